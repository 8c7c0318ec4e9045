"""Adherence of a study run day by day: who recorded last night, who needs contact.

:func:`adherence` gives one row per participant of a participants manifest
(:mod:`asleep_nb.data.participants`) on the morning of ``today``;
:func:`night_table` the status of every study night so far (the calendar
:func:`asleep_nb.plot.adherence_calendar` draws). Statuses, colours and the
contact rules are defined in :mod:`asleep_nb.definitions.adherence`.

Nights are local: the night rule (:func:`~asleep_nb.definitions.rules.night_of`)
applied to each session's start in the participant's zone, through the zone's
rules, so a night across a daylight-saving change is one night. "Last night"
is ``today - 1``: the night that ended this morning.

The source is a cohort (``xarray.Dataset`` from :func:`asleep_nb.load_cohort`
or an archive's ``to_cohort``), an archive (anything with a
``sessions_frame()`` method: :class:`asleep_nb.loading.archive.Archive`, whose
frame also holds the sessions still ``OPEN`` or ``CLOSED``), or a table with
the columns :data:`SESSION_COLUMNS` (:func:`asleep_nb.loading.sessions_frame`).

Examples
--------
>>> import pandas as pd
>>> sessions = pd.DataFrame({
...     "user_id": ["G-1", "G-1"], "session_id": ["a", "b"], "state": ["COMPLETE", "CLOSED"],
...     "start_time": pd.to_datetime(["2025-03-01T21:30Z", "2025-03-03T21:30Z"]),
...     "peculiarities": ["", "IN_PROGRESS"], "no_signal_share": [0.01, float("nan")]})
>>> people = pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "timezone": ["Europe/Paris"],
...                        "date_gte": ["2025-03-01"]})
>>> table = adherence(sessions, people, today=date(2025, 3, 5))
>>> table[["nights_recorded", "missed_in_a_row", "processing", "needs_contact"]].to_dict("records")
[{'nights_recorded': 2, 'missed_in_a_row': 1, 'processing': 1, 'needs_contact': False}]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.manifest import read_manifest
from asleep_nb.data.participants import Participant, participants
from asleep_nb.definitions.adherence import PROCESSING_STATES, STATUS_ORDER, AdherenceRules
from asleep_nb.definitions.fields import INVALID_PECULIARITIES
from asleep_nb.definitions.rules import night_of
from asleep_nb.stats.quality import no_signal_share

__all__ = ["SESSION_COLUMNS", "ADHERENCE_COLUMNS", "adherence", "night_table", "cohort_sessions"]

#: The columns of a sessions table, one row per session.
SESSION_COLUMNS: tuple[str, ...] = (
    "user_id",
    "session_id",
    "state",
    "start_time",
    "peculiarities",
    "no_signal_share",
)
_INVALID = tuple(sorted(INVALID_PECULIARITIES))
#: The columns of :func:`adherence`, in order.
ADHERENCE_COLUMNS: tuple[str, ...] = (
    "user_id",
    "group",
    "timezone",
    "enrolment",
    "nights_in_window",
    "nights_recorded",
    "nights_valid",
    "last_night",
    "missed_in_a_row",
    "processing",
    "invalid",
    *(p.lower() for p in _INVALID),
    "mean_no_signal_share",
    "needs_contact",
    "reason",
)
Manifest = str | os.PathLike[str] | pd.DataFrame


def cohort_sessions(cohort: xr.Dataset) -> pd.DataFrame:
    """A cohort's sessions as a table with the columns :data:`SESSION_COLUMNS` (no-signal share per night)."""
    shares = no_signal_share(cohort["sleep_stage"].values) if cohort.sizes.get("session") else np.empty(0)
    return pd.DataFrame(
        {
            "user_id": cohort["user_id"].values.astype(str),
            "session_id": cohort["session_id"].values.astype(str),
            "state": cohort["state"].values.astype(str),
            "start_time": pd.to_datetime(cohort["start_time"].values).tz_localize("UTC"),
            "peculiarities": cohort["peculiarities"].values.astype(str),
            "no_signal_share": shares,
        }
    )


def _sessions(source: object) -> pd.DataFrame:
    if isinstance(source, xr.Dataset):
        return cohort_sessions(source)
    if isinstance(source, pd.DataFrame):
        missing = [c for c in SESSION_COLUMNS if c not in source.columns]
        if missing:
            raise ValueError(f"a sessions table needs the columns {', '.join(missing)}")
        return source
    frame_of = getattr(source, "sessions_frame", None)
    if callable(frame_of):
        frame: pd.DataFrame = frame_of()
        return frame
    if isinstance(source, str | os.PathLike):
        raise TypeError(f"open the archive first: asleep_nb.open_archive({os.fspath(source)!r})")
    raise TypeError(f"source must be a cohort, an archive or a sessions table, not {type(source).__name__}")


def _status(state: str, peculiarities: str, share: float, rules: AdherenceRules) -> str:
    """The status of one session (see :mod:`asleep_nb.definitions.adherence`)."""
    labels = set(filter(None, peculiarities.split(",")))
    if state in PROCESSING_STATES:
        return "processing"
    if labels & INVALID_PECULIARITIES:
        return "invalid"
    limit = rules.max_no_signal_share
    if "NEVER_SLEPT" in labels or (limit is not None and share > limit):
        return "recorded"
    return "valid"


def _today(value: date | None, zone: str) -> date:
    if value is None:
        return datetime.now(ZoneInfo(zone)).date()
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"today must be a datetime.date or None, got {value!r}")
    return value


def _nights_of(frame: pd.DataFrame, zone: str) -> list[date]:
    # naive instants are UTC, as everywhere in the toolkit
    instants = pd.DatetimeIndex(pd.to_datetime(frame["start_time"], utc=True))
    local = instants.tz_convert(zone).tz_localize(None).to_numpy()
    return [d.item() for d in night_of(local).astype("datetime64[D]")]


def _person(
    person: Participant, frame: pd.DataFrame, today: date | None, rules: AdherenceRules
) -> tuple[dict[str, Any], list[tuple[date, str]], date, date]:
    """A participant's sessions with nights and statuses, the study's nights so far and their statuses."""
    mine = frame[frame["user_id"] == person.user_id]
    nights = _nights_of(mine, person.timezone)
    last = _today(today, person.timezone) - timedelta(days=1)
    if person.last_night is not None:
        last = min(last, person.last_night)
    first = person.first_night or min((n for n in nights if n <= last), default=last)
    statuses = [
        _status(s, p, float(x), rules)
        for s, p, x in zip(mine["state"], mine["peculiarities"], mine["no_signal_share"], strict=True)
    ]
    by_night: dict[date, list[int]] = {}
    for i, night in enumerate(nights):
        by_night.setdefault(night, []).append(i)
    calendar = []
    for k in range((last - first).days + 1):
        night = first + timedelta(days=k)
        found = {statuses[i] for i in by_night.get(night, [])}
        calendar.append((night, next((s for s in STATUS_ORDER if s in found), "missing")))
    info = {"nights": nights, "statuses": statuses, "mine": mine}
    return info, calendar, first, last


def night_table(
    source: object,
    manifest: Manifest,
    *,
    today: date | None = None,
    rules: AdherenceRules = AdherenceRules(),  # noqa: B008 - frozen, immutable
) -> pd.DataFrame:
    """The status of every study night so far, one row per participant and night.

    Parameters are :func:`adherence`'s. Columns ``user_id``, ``night`` (a
    ``datetime.date``, local), ``status`` (a name of
    :data:`~asleep_nb.definitions.adherence.NIGHT_STATUSES`); nights from the
    participant's first study night to the last night (``today - 1``, or the
    enrolment's last night), in manifest order.

    Examples
    --------
    >>> import pandas as pd
    >>> sessions = pd.DataFrame({"user_id": ["G-1"], "session_id": ["a"], "state": ["OPEN"],
    ...     "start_time": pd.to_datetime(["2025-03-01T21:30Z"]), "peculiarities": ["IN_PROGRESS"],
    ...     "no_signal_share": [0.0]})
    >>> people = pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "timezone": ["UTC"]})
    >>> night_table(sessions, people, today=date(2025, 3, 3))["status"].tolist()  # nights 1 and 2 March
    ['processing', 'missing']
    """
    frame = _sessions(source)
    rows: list[tuple[str, str, date | None, str | None]] = []
    for person in participants(read_manifest(manifest), need_zone=True):
        _, calendar, _, _ = _person(person, frame, today, rules)
        if not calendar:  # not started yet: one row without a night keeps the participant in view
            rows.append((person.user_id, person.timezone, None, None))
        rows.extend((person.user_id, person.timezone, night, status) for night, status in calendar)
    return pd.DataFrame(rows, columns=["user_id", "timezone", "night", "status"])


def _count(values: Iterable[bool]) -> int:
    return int(sum(bool(v) for v in values))


def adherence(
    source: object,
    manifest: Manifest,
    *,
    today: date | None = None,
    window: int = 7,
    rules: AdherenceRules = AdherenceRules(),  # noqa: B008 - frozen, immutable
) -> pd.DataFrame:
    """One row per participant: nights recorded and valid, last night, missed in a row, who needs contact.

    Parameters
    ----------
    source
        A cohort, an archive (``asleep_nb.open_archive(path)``) or a sessions
        table (see the module docs).
    manifest
        A participants manifest (path or DataFrame): one row per user with a
        ``timezone``; ``date_gte``/``date_lte`` are the first and last night
        of the enrolment (without ``date_gte``, the first night recorded).
    today
        The morning the table is for; ``None``: today in each participant's zone.
    window
        How many nights, up to last night, the counts cover.
    rules
        When a participant needs contact (:class:`~asleep_nb.definitions.adherence.AdherenceRules`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ADHERENCE_COLUMNS`, in manifest order:
        ``enrolment`` (``"not started"``, ``"in study"``, ``"ended"``),
        ``nights_in_window`` (study nights in the window), ``nights_recorded``
        and ``nights_valid`` (of those), ``last_night`` (the latest night with
        a session, local date, ``None`` without one), ``missed_in_a_row``
        (nights without any session counting back from last night),
        ``processing`` (sessions still ``OPEN`` or ``CLOSED``), ``invalid``
        (invalid nights in the window) and one count of sessions per invalid
        peculiarity (lower case), ``mean_no_signal_share`` (complete, valid
        sessions in the window; ``nan`` without one), ``needs_contact`` and
        ``reason`` (the rules met, ``"; "``-joined, ``""`` when none).
        ``attrs`` hold ``today``, ``window`` and ``rules``.

    Raises
    ------
    asleep_nb.errors.ManifestError
        A malformed manifest, a row naming a session, a user twice, or a row
        without a zone (nights are local dates).
    TypeError
        A source of another kind (a path: open the archive first).

    Examples
    --------
    >>> import pandas as pd
    >>> empty = pd.DataFrame(columns=list(SESSION_COLUMNS))
    >>> people = pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "timezone": ["Asia/Seoul"],
    ...                        "date_gte": ["2025-03-01"]})
    >>> adherence(empty, people, today=date(2025, 3, 4))[["missed_in_a_row", "reason"]].to_dict("records")
    [{'missed_in_a_row': 3, 'reason': 'no night recorded yet'}]
    """
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if not isinstance(rules, AdherenceRules):
        raise TypeError(f"rules must be an AdherenceRules, got {type(rules).__name__}")
    people = participants(read_manifest(manifest), need_zone=True)
    frame = _sessions(source)
    rows = [_row(person, frame, today, window, rules) for person in people]
    table = pd.DataFrame(rows, columns=list(ADHERENCE_COLUMNS))
    table.attrs.update(today=None if today is None else today.isoformat(), window=window, rules=asdict(rules))
    return table


def _row(
    person: Participant, frame: pd.DataFrame, today: date | None, window: int, rules: AdherenceRules
) -> dict[str, Any]:
    info, calendar, first, last = _person(person, frame, today, rules)
    nights, statuses, mine = info["nights"], info["statuses"], info["mine"]
    ended = person.last_night is not None and last >= person.last_night
    enrolment = "not started" if last < first else "ended" if ended else "in study"
    low = last - timedelta(days=window - 1)
    in_window = [(n, s) for n, s in calendar if n >= low]
    chosen = [i for i, n in enumerate(nights) if low <= n <= last and n >= first]
    missed = 0
    for _, status in reversed(calendar):
        if status != "missing":
            break
        missed += 1
    labels = [set(mine["peculiarities"].iloc[i].split(",")) for i in chosen]
    shares = [float(mine["no_signal_share"].iloc[i]) for i in chosen if statuses[i] in ("valid", "recorded")]
    recorded = [n for n in nights if n <= last]
    row: dict[str, Any] = {
        "user_id": person.user_id,
        "group": person.group,
        "timezone": person.timezone,
        "enrolment": enrolment,
        "nights_in_window": len(in_window),
        "nights_recorded": _count(s != "missing" for _, s in in_window),
        "nights_valid": _count(s == "valid" for _, s in in_window),
        "last_night": max(recorded) if recorded else None,
        "missed_in_a_row": missed,
        "processing": _count(s == "processing" for s in statuses),
        "invalid": _count(s == "invalid" for _, s in in_window),
        **{p.lower(): _count(p in found for found in labels) for p in _INVALID},
        "mean_no_signal_share": float(np.nanmean(shares)) if any(np.isfinite(shares)) else np.nan,
    }
    reasons = _reasons(row, rules, started=enrolment != "not started", ever=bool(recorded))
    row.update(needs_contact=bool(reasons), reason="; ".join(reasons))
    return row


def _reasons(row: dict[str, Any], rules: AdherenceRules, *, started: bool, ever: bool) -> list[str]:
    """The contact rules a participant's row meets, as short sentences."""
    if not started:
        return []
    if not ever:
        return ["no night recorded yet"] if rules.flag_never_recorded else []
    out = []
    if rules.max_missed_in_a_row is not None and row["missed_in_a_row"] >= rules.max_missed_in_a_row:
        out.append(f"{row['missed_in_a_row']} nights missed in a row")
    if rules.max_invalid is not None and row["invalid"] >= rules.max_invalid:
        kinds = ", ".join(
            f"{p.lower().replace('_', ' ')} x{row[p.lower()]}" for p in _INVALID if row[p.lower()]
        )
        out.append(f"{row['invalid']} invalid nights in the last {row['nights_in_window']} ({kinds})")
    share = row["mean_no_signal_share"]
    if rules.max_no_signal_share is not None and np.isfinite(share) and share > rules.max_no_signal_share:
        out.append(f"no signal in {share:.0%} of epochs")
    return out
