"""Many nights as one :class:`xarray.Dataset` (dimensions ``session``, ``epoch``).

:func:`to_cohort` stacks session results on a common epoch axis,
:func:`load_cohort` fetches the sessions a manifest names and does the same,
and :func:`stats_table` turns a cohort's stat fields into a tidy table.

Rules (also in each function's docstring):

- **order**: sessions are sorted by ``(group, user_id, start_time)`` (then
  ``session_id``), whatever order they came in;
- **night**: the local calendar date of (local start time minus 12 hours),
  so a session starting at 00:30 on Sunday belongs to Saturday's night and
  one starting at 13:00 on Sunday to Sunday's;
- **padding**: stage arrays are ``int8``; slots holding no epoch of a
  session carry :data:`asleep_nb.definitions.PAD` (-2). A session's epochs are
  contiguous along ``epoch`` from ``offset`` for ``n_epochs`` slots;
- **times**: instants are UTC-naive ``datetime64[ns]``; each session's IANA
  zone is the ``timezone`` coordinate; ``local_start_time`` is the wall clock.

Examples
--------
>>> cohort = to_cohort([payload_a, payload_b], groups=["control", "treated"])  # doctest: +SKIP
>>> cohort.sizes  # doctest: +SKIP
Frozen({'session': 2, 'epoch': 960, 'cycle': 5})
>>> table = stats_table(cohort)  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.night import (
    EPOCH,
    as_result,
    fit_stages,
    label,
    local_naive,
    stage_attrs,
    stat_variables,
    time_variable,
    timedelta_variable,
    utc_ns_array,
)
from asleep_nb.definitions import EPOCH_SECONDS, PAD
from asleep_nb.timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.api.records import SessionResult

__all__ = ["to_cohort", "ALIGNMENTS", "DEFAULT_GROUP"]

Alignment = Literal["start", "onset", "clock"]
#: The ways a cohort's epoch axis can be aligned.
ALIGNMENTS: tuple[str, ...] = ("start", "onset", "clock")
#: Group label of sessions given without one.
DEFAULT_GROUP = "all"
#: Slots of the 24-hour clock grid of ``align="clock"``.
CLOCK_SLOTS = 24 * 3600 // EPOCH_SECONDS
_HALF_DAY = np.timedelta64(12, "h").astype("timedelta64[ns]")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
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
        - ``"onset"``: epoch 0 is sleep onset, the first epoch whose stage
          is neither wake (0) nor error (-1); earlier epochs get negative
          numbers; a night that never slept aligns at its start;
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
        - attrs ``alignment``, ``clock_start`` (``""`` unless clock),
          ``epoch_seconds``, ``fill_code``, ``night_rule``, ``session_order``.

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
    >>> cohort = to_cohort(results, groups=["a", "b"], align="onset")  # doctest: +SKIP
    >>> cohort.sleep_stage.sel(epoch=0)  # every session at sleep onset  # doctest: +SKIP
    """
    if align not in ALIGNMENTS:
        raise ValueError(f"align must be one of {', '.join(map(repr, ALIGNMENTS))}, got {align!r}")
    clock_offset = _parse_clock_start(clock_start)
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
    night = (local_start - _HALF_DAY).astype("datetime64[D]").astype("datetime64[ns]")

    rel, lo, hi = _placement(align, stage_lists, n_epochs, local_start, clock_offset)
    offset = rel - lo
    n_slots = int(hi - lo)

    data_vars: dict[str, xr.Variable] = {}
    for var_name, attr in _STAGE_FIELDS:
        arrays = stage_lists if attr == "sleep_stages" else [getattr(s, attr) for s in sessions]
        if var_name != "sleep_stage" and all(a is None for a in arrays):
            continue
        data_vars[var_name] = xr.Variable(
            ("session", "epoch"),
            _place(var_name, arrays, sessions, offset, n_epochs, n_slots),
            stage_attrs(var_name),
        )
    mdr = [r.missing_data_ratio for r in items]
    data_vars["missing_data_ratio"] = xr.Variable(
        "session",
        np.array([np.nan if v is None else v for v in mdr], dtype=np.float64),
        {"long_name": "share of the night lost to missing audio", "units": "1"},
    )
    data_vars.update(stat_variables([r.stat for r in items], "session"))

    epoch = np.arange(lo, hi, dtype=np.int32)
    spans = epoch.astype(np.int64) * EPOCH
    coords: dict[str, xr.Variable] = {
        "epoch": xr.Variable("epoch", epoch, {"long_name": f"epoch slot ({align} alignment)"}),
    }
    if align == "clock":
        coords["clock"] = timedelta_variable(
            "epoch", spans, {"long_name": "local clock time since clock_start"}
        )
    else:
        since = "session start" if align == "start" else "sleep onset"
        coords["elapsed"] = timedelta_variable("epoch", spans, {"long_name": f"time since {since}"})
    coords.update(
        {
            "session_id": xr.Variable("session", np.array(session_ids, dtype=object)),
            "user_id": xr.Variable("session", np.array(user_ids, dtype=object)),
            "group": xr.Variable("session", np.array(group_of, dtype=object)),
            "night": time_variable(
                "session", night, {"long_name": "local calendar date of (local start - 12 h)"}
            ),
            "start_time": time_variable("session", starts, {"long_name": "session start (UTC)"}),
            "end_time": time_variable(
                "session", utc_ns_array([s.end_time for s in sessions]), {"long_name": "session end (UTC)"}
            ),
            "local_start_time": time_variable(
                "session", local_start, {"long_name": "local wall-clock start (see timezone)"}
            ),
            "timezone": xr.Variable("session", zones),
            "state": xr.Variable("session", np.array([label(s.state) for s in sessions], dtype=object)),
            "two_stage": xr.Variable("session", np.array([bool(r.is_two_stage) for r in items])),
            "n_epochs": xr.Variable("session", n_epochs.astype(np.int32)),
            "offset": xr.Variable(
                "session", offset.astype(np.int32), {"long_name": "slot of the session's first epoch"}
            ),
            "peculiarities": xr.Variable(
                "session",
                np.array([",".join(label(p) for p in r.peculiarities) for r in items], dtype=object),
            ),
        }
    )
    attrs = {
        "alignment": align,
        "clock_start": _format_clock(clock_offset) if align == "clock" else "",
        "epoch_seconds": EPOCH_SECONDS,
        "fill_code": PAD,
        "night_rule": "local calendar date of (local start time - 12 h)",
        "session_order": "group, user_id, start_time",
        "source": "Asleep API v3 Get Session results",
    }
    return xr.Dataset(data_vars, coords, attrs)


def _parse_clock_start(value: str | dt_time) -> np.timedelta64:
    if isinstance(value, dt_time):
        if value.tzinfo is not None:
            raise ValueError("clock_start must be a naive local time (no tzinfo)")
        h, m, s = value.hour, value.minute, value.second
    else:
        match = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"clock_start must be 'HH:MM' or 'HH:MM:SS', got {value!r}")
        h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
        if h > 23 or m > 59 or s > 59:
            raise ValueError(f"clock_start {value!r} is not a time of day")
    return np.timedelta64(h * 3600 + m * 60 + s, "s").astype("timedelta64[ns]")


def _format_clock(offset: np.timedelta64) -> str:
    seconds = int(offset // np.timedelta64(1, "s"))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


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
        seen: set[str] = set()
        dupes = sorted({s for s in session_ids if s in seen or seen.add(s)})  # type: ignore[func-returns-value]
        raise ValueError(f"the same session is given more than once: {', '.join(dupes[:5])}")


def _onset_index(stages: np.ndarray | None) -> int:
    """Index of the first epoch that is neither wake (0) nor error (-1); 0 when none."""
    if stages is None or len(stages) == 0:
        return 0
    asleep = np.asarray(stages) > 0
    k = int(asleep.argmax())
    return k if asleep[k] else 0


def _placement(
    align: str,
    stage_lists: list[Any],
    n_epochs: np.ndarray,
    local_start: np.ndarray,
    clock_offset: np.timedelta64,
) -> tuple[np.ndarray, int, int]:
    """Position of each session's first epoch relative to epoch 0, and the axis bounds [lo, hi)."""
    if align == "start":
        rel = np.zeros(len(n_epochs), dtype=np.int64)
        return rel, 0, int(n_epochs.max(initial=0))
    if align == "onset":
        rel = -np.fromiter((_onset_index(a) for a in stage_lists), np.int64, len(stage_lists))
        return rel, int(min(rel.min(), 0)), int(max((rel + n_epochs).max(), 0))
    shifted = local_start - clock_offset
    window_open = shifted.astype("datetime64[D]").astype("datetime64[ns]") + clock_offset
    rel = (local_start - window_open) // EPOCH
    return rel.astype(np.int64), 0, int(max(CLOCK_SLOTS, (rel + n_epochs).max()))


def _place(
    name: str,
    arrays: list[Any],
    sessions: list[Any],
    offset: np.ndarray,
    n_epochs: np.ndarray,
    n_slots: int,
) -> np.ndarray:
    """One preallocated ``int8`` grid filled with ``PAD`` and each session's epochs sliced in."""
    grid = np.full((len(arrays), n_slots), PAD, dtype=np.int8)
    check = name != "sleep_stage"
    for i, values in enumerate(arrays):
        if values is None:
            continue
        n = int(n_epochs[i])
        if check and len(values) != n:
            values = fit_stages(name, np.asarray(values, dtype=np.int8), n, f"session {sessions[i].id}")
        if n:
            start = int(offset[i])
            grid[i, start : start + n] = values
    return grid


# --------------------------------------------------------------------------- fetching


# --------------------------------------------------------------------------- tables


def _utc_from_iso(text: str) -> np.datetime64:
    if not text:
        return np.datetime64("NaT", "ns")
    return np.datetime64(pd.Timestamp(text).tz_convert("UTC").tz_localize(None).as_unit("ns"))
