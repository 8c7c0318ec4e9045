"""Many nights as one :class:`xarray.Dataset` (dimensions ``session``, ``epoch``).

:func:`to_cohort` stacks session results on a common epoch axis,
:func:`load_cohort` fetches the sessions a manifest names and does the same,
and :func:`stats_table` turns a cohort's stat fields into a tidy table.

Rules (also in each function's docstring):

- **order**: sessions are sorted by ``(group, user_id, start_time)`` (then
  ``session_id``), whatever order they came in;
- **night**: the local calendar date of (local start time minus 12 hours),
  so a session starting at 00:30 on Sunday belongs to Saturday's night and
  one starting at 13:00 on Sunday to Sunday's
  (:func:`asleep_nb.definitions.night_of`);
- **padding**: stage arrays are ``int8``; slots holding no epoch of a
  session carry :data:`asleep_nb.definitions.PAD` (-2). A session's epochs are
  contiguous along ``epoch`` from ``offset`` for ``n_epochs`` slots;
- **times**: instants are UTC-naive ``datetime64[ns]``; each session's IANA
  zone is the ``timezone`` coordinate; ``local_start_time`` is the wall clock.

Examples
--------
>>> from asleep_nb.data.table import stats_table
>>> pair = to_cohort([payload, client.get_session("20250103132806_etntv",
...     user_id="G-20241222101057-HWJOOPUVjwpEctWWIVPe")], groups=["control", "treated"])
>>> dict(pair.sizes), list(pair["group"].values)
({'session': 2, 'epoch': 1012, 'cycle': 3}, ['control', 'treated'])
>>> table = stats_table(pair)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from asleep_nb.data.alignment import (
    ALIGNMENTS,
    CLOCK_SLOTS,
    Alignment,
    check_alignment,
    format_clock,
    parse_clock_start,
    place,
    placement,
)
from asleep_nb.data.attributes import annotate
from asleep_nb.data.night import EPOCH, as_result, label, local_naive, stat_variables, utc_ns_array
from asleep_nb.definitions import EPOCH_SECONDS, NIGHT_RULE, PAD, night_of
from asleep_nb.timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.api.records import SessionResult

__all__ = [
    "to_cohort",
    "check_alignment",
    "parse_clock_start",
    "Alignment",
    "ALIGNMENTS",
    "DEFAULT_GROUP",
    "CLOCK_SLOTS",
]

#: Group label of sessions given without one.
DEFAULT_GROUP = "all"
_STAGE_FIELDS = (
    ("sleep_stage", "sleep_stages"),
    ("snoring_stage", "snoring_stages"),
    ("breath_stage", "breath_stages"),
)


# --------------------------------------------------------------------------- building
def to_cohort(
    results: Iterable[SessionResult | Mapping[str, Any]],
    *,
    groups: str | Sequence[str] | Mapping[str, str] | None = None,
    align: Alignment = "start",
    clock_start: str | dt_time = "18:00",
    timezone: str | None = None,
) -> xr.Dataset:
    """Stack sessions into one cohort dataset with dimensions (``session``, ``epoch``).

    Parameters
    ----------
    results
        :class:`~asleep_nb.api.records.SessionResult` objects, Get Session
        ``result`` dicts or webhook bodies (dicts are parsed with
        ``SessionResult.from_payload``). At least one.
    groups
        Study group of each session: one label for all, a sequence in the
        order of ``results``, or a mapping ``session_id -> group``. ``None``
        puts every session in :data:`DEFAULT_GROUP` (``"all"``).
    align
        - ``"start"``: epoch 0 is each session's start;
        - ``"onset"``: epoch 0 is sleep onset by the research rule
          (:func:`asleep_nb.definitions.research_sleep_period`: the first
          epoch scored as light, deep or REM, so a leading run of no signal
          comes before it); earlier epochs get negative numbers; a night
          that never slept aligns at its start;
        - ``"clock"``: a common local clock grid. Epoch 0 is ``clock_start``
          (local wall clock) and the grid covers at least 24 hours
          (:data:`CLOCK_SLOTS` 30-s slots, longer if a session runs past
          it). Each session sits at ``floor((local start - clock_start of
          its window) / 30 s)``, its window being the one that opened at the
          latest ``clock_start`` at or before its local start. So nights
          from different zones and dates line up by bedtime. Positions are
          wall-clock time elapsed since ``clock_start`` (computed on naive
          local times): across a daylight-saving change the session is
          still placed by its local start, and its epochs then follow in
          real 30-s steps, so after the change a slot's wall-clock label is
          off by the shift (one hour) for that night.
    clock_start
        ``"HH:MM"`` (or ``"HH:MM:SS"`` or a ``datetime.time``) opening the
        clock grid; used only by ``align="clock"`` (recorded in attrs).
    timezone
        One IANA zone for every session's local view (night, local start,
        clock placement). ``None`` keeps each session's own
        ``result.timezone`` (the zone it was fetched in).

    Returns
    -------
    xarray.Dataset
        - ``sleep_stage`` (``int8``, ``(session, epoch)``), and
          ``snoring_stage`` / ``breath_stage`` when any session has them,
          padded with :data:`asleep_nb.definitions.PAD` (-2): one byte per slot;
        - coordinate ``epoch`` (``int32``; negative before onset with
          ``align="onset"``) and ``elapsed`` (``start``/``onset``) or
          ``clock`` (``clock``: time since ``clock_start``) along it;
        - per-session coordinates ``session_id``, ``user_id``, ``group``,
          ``night`` (``datetime64``: local date of start minus 12 h),
          ``start_time``, ``end_time`` (UTC-naive, ``NaT`` while OPEN),
          ``local_start_time`` (naive wall clock), ``timezone`` (IANA),
          ``state``, ``two_stage`` (bool), ``n_epochs`` and ``offset``
          (``int32``: first slot of the session along ``epoch``),
          ``peculiarities`` (comma-separated text);
        - ``missing_data_ratio`` and every stat field along ``session``
          (``NaN``/``NaT``/``""`` where a session has no ``stat``: OPEN,
          CLOSED or invalid sessions), ``sleep_cycle_time`` along
          (``session``, ``cycle``);
        - attrs: the CF-1.11 ``Conventions``, ``title``, ``history``,
          ``source`` and ``references``, then ``alignment``, ``clock_start``
          (``""`` unless clock), ``epoch_seconds``, ``fill_code``,
          ``night_rule``, ``session_order``; every variable with its CF
          ``long_name`` (``units``, ``standard_name`` where they exist), stage
          arrays as CF flag variables whose ``missing_value`` is ``PAD``
          (:func:`asleep_nb.data.attributes.annotate`).

        Sessions are sorted by ``(group, user_id, start_time)``.

    Raises
    ------
    ValueError
        No sessions, an unknown ``align``, a malformed ``clock_start``,
        ``groups`` not matching the sessions, or the same session twice.
    asleep_nb.errors.InvalidTimezone
        An unknown zone name.

    Examples
    --------
    >>> pair = to_cohort([payload, client.get_session("20250103132806_etntv",
    ...     user_id="G-20241222101057-HWJOOPUVjwpEctWWIVPe")], groups=["a", "b"], align="onset")
    >>> pair.sleep_stage.sel(epoch=0).values.tolist()  # every session at sleep onset (research rule)
    [1, 1]
    """
    align = check_alignment(align)
    clock_offset = parse_clock_start(clock_start)
    if timezone is not None:
        validate_timezone(timezone)
    items = [as_result(r) for r in results]
    if not items:
        raise ValueError("to_cohort needs at least one session")
    group_of = _group_labels(groups, items)

    sessions = [r.session for r in items]
    starts = utc_ns_array([s.start_time for s in sessions])
    start_key = starts.view(np.int64)
    user_ids = [r.user_id or "" for r in items]
    order = sorted(range(len(items)), key=lambda i: (group_of[i], user_ids[i], start_key[i], sessions[i].id))
    items = [items[i] for i in order]
    sessions = [sessions[i] for i in order]
    group_of = [group_of[i] for i in order]
    user_ids = [user_ids[i] for i in order]
    starts = starts[order]
    session_ids = [s.id for s in sessions]
    _check_unique(session_ids)
    zones = np.array([timezone or r.timezone for r in items], dtype=object)

    n_sessions = len(items)
    stage_lists = [s.sleep_stages for s in sessions]
    n_epochs = np.fromiter((0 if a is None else len(a) for a in stage_lists), np.int64, n_sessions)
    local_start = np.empty(n_sessions, dtype="datetime64[ns]")
    for zone in set(zones.tolist()):
        rows = zones == zone
        local_start[rows] = local_naive(starts[rows], zone)
    night = night_of(local_start)

    rel, lo, hi = placement(align, stage_lists, n_epochs, local_start, clock_offset)
    offset = rel - lo
    n_slots = int(hi - lo)

    data_vars: dict[str, xr.Variable] = {}
    for var_name, attr in _STAGE_FIELDS:
        arrays = stage_lists if attr == "sleep_stages" else [getattr(s, attr) for s in sessions]
        if var_name != "sleep_stage" and all(a is None for a in arrays):
            continue
        data_vars[var_name] = xr.Variable(
            ("session", "epoch"), place(var_name, arrays, sessions, offset, n_epochs, n_slots)
        )
    mdr = [r.missing_data_ratio for r in items]
    data_vars["missing_data_ratio"] = xr.Variable(
        "session", np.array([np.nan if v is None else v for v in mdr], dtype=np.float64)
    )
    data_vars.update(stat_variables([r.stat for r in items], "session"))

    epoch = np.arange(lo, hi, dtype=np.int32)
    coords: dict[str, xr.Variable] = {
        "epoch": xr.Variable("epoch", epoch),
        "clock" if align == "clock" else "elapsed": xr.Variable("epoch", epoch.astype(np.int64) * EPOCH),
        "session_id": xr.Variable("session", np.array(session_ids, dtype=object)),
        "user_id": xr.Variable("session", np.array(user_ids, dtype=object)),
        "group": xr.Variable("session", np.array(group_of, dtype=object)),
        "night": xr.Variable("session", night),
        "start_time": xr.Variable("session", starts),
        "end_time": xr.Variable("session", utc_ns_array([s.end_time for s in sessions])),
        "local_start_time": xr.Variable("session", local_start),
        "timezone": xr.Variable("session", zones),
        "state": xr.Variable("session", np.array([label(s.state) for s in sessions], dtype=object)),
        "two_stage": xr.Variable("session", np.array([bool(r.is_two_stage) for r in items])),
        "n_epochs": xr.Variable("session", n_epochs.astype(np.int32)),
        "offset": xr.Variable("session", offset.astype(np.int32)),
        "peculiarities": xr.Variable(
            "session", np.array([",".join(label(p) for p in r.peculiarities) for r in items], dtype=object)
        ),
    }
    attrs = {
        "alignment": align,
        "clock_start": format_clock(clock_offset) if align == "clock" else "",
        "epoch_seconds": EPOCH_SECONDS,
        "fill_code": PAD,
        "night_rule": NIGHT_RULE,
        "session_order": "group, user_id, start_time",
    }
    detail = f"align={align!r}" + (f", clock_start={attrs['clock_start']!r}" if align == "clock" else "")
    return annotate(xr.Dataset(data_vars, coords), "cohort", detail=detail, keep=attrs)


def _group_labels(groups: Any, items: list[SessionResult]) -> list[str]:
    n = len(items)
    if groups is None:
        return [DEFAULT_GROUP] * n
    if isinstance(groups, str):
        return [groups] * n
    if isinstance(groups, Mapping):
        missing = [r.session.id for r in items if r.session.id not in groups]
        if missing:
            raise ValueError(f"groups has no label for session(s) {', '.join(missing[:5])}")
        return [str(groups[r.session.id]) for r in items]
    labels = [str(g) for g in groups]
    if len(labels) != n:
        raise ValueError(f"groups has {len(labels)} labels for {n} sessions")
    return labels


def _check_unique(session_ids: list[str]) -> None:
    if len(set(session_ids)) != len(session_ids):
        dupes = sorted(s for s, n in Counter(session_ids).items() if n > 1)
        raise ValueError(f"the same session is given more than once: {', '.join(dupes[:5])}")
