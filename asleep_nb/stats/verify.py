"""Check a server's ``stat`` object against its recomputation from the stages.

Examples
--------
>>> import json
>>> body = json.load(open("data/published_example.json"))
>>> verify(body["data"])
{}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.errors import PayloadError
from asleep_nb.stats._core import UNKNOWABLE_FIELDS
from asleep_nb.stats.vendor import compute_stat, compute_stats
from asleep_nb.timezones import parse_iso

__all__ = ["verify", "verify_cohort", "stat_from_pysleep"]


def _instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            return value
    return value


def _same(kind: str, server: Any, mine: Any) -> bool:
    if kind == "time":
        return _instant(server) == _instant(mine)
    if kind == "time_list":
        if server is None or mine is None:
            return server is mine
        return len(server) == len(mine) and all(
            _instant(a) == _instant(b) for a, b in zip(server, mine, strict=True)
        )
    return server == mine and (server is None) == (mine is None)


def _inputs(result: Any) -> tuple[Any, Any, datetime, datetime | None, dict[str, Any] | None, bool]:
    """Stages, snoring, start, end, server stat (JSON form) and two-stage flag."""
    if isinstance(result, Mapping):
        session = result.get("session") or {}
        stat = result.get("stat")
        try:
            start = parse_iso(session["start_time"])
            end = parse_iso(session["end_time"]) if session.get("end_time") else None
        except (KeyError, TypeError, ValueError) as exc:
            raise PayloadError("session.start_time", f"cannot read the session times: {exc}") from None
        stages, snoring = session.get("sleep_stages"), session.get("snoring_stages")
        two_stage = stat is not None and stat.get("time_in_light") is None
    else:
        session = result.session
        stat = result.stat.to_dict() if result.stat is not None else None
        start, end = session.start_time, session.end_time
        stages, snoring = session.sleep_stages, session.snoring_stages
        two_stage = bool(result.is_two_stage)
    return stages, snoring, start, end, stat, two_stage


def verify(result: Any) -> dict[str, tuple[Any, Any]]:
    """Fields where the server's ``stat`` differs from the recomputation.

    Parameters
    ----------
    result
        A :class:`asleep_nb.api.records.SessionResult` or a raw Get Session
        ``result`` dict (a webhook's ``data`` works too).

    Returns
    -------
    dict
        ``{field: (server_value, recomputed_value)}`` in JSON form for every
        field that differs; empty when they agree, and for sessions whose
        ``stat`` is null. ``sleep_index`` and the breathing fields are not
        compared (they cannot be recomputed); times are compared as instants
        (the offsets may differ); a two-stage night (``time_in_light`` null
        on the server) is recomputed as two-stage.

    Raises
    ------
    PayloadError
        When the stat is present but the stages or times needed to recompute
        it are missing or invalid.

    Examples
    --------
    >>> result = {
    ...     "session": {"start_time": "2025-01-15T02:50:29+00:00", "end_time": "2025-01-15T02:52:29+00:00",
    ...                 "sleep_stages": [0, 1, 1, 0], "snoring_stages": None},
    ...     "stat": {"time_in_sleep": 60, "sleep_latency": 60},
    ... }
    >>> verify(result)  # doctest: +ELLIPSIS
    {'sleep_latency': (60, 30)}
    """
    stages, snoring, start, end, stat, two_stage = _inputs(result)
    if stat is None:
        return {}
    if stages is None or end is None:
        raise PayloadError("session.sleep_stages", "stat present but no stages or end_time to recompute it")
    mine = compute_stat(stages, start, end, snoring_stages=snoring, two_stage=two_stage)
    diff: dict[str, tuple[Any, Any]] = {}
    for name, field in STAT_FIELDS.items():
        if name in UNKNOWABLE_FIELDS or name not in stat:
            continue
        if not _same(field.kind, stat[name], mine[name]):
            diff[name] = (stat[name], mine[name])
    return diff


def stat_from_pysleep(sleep_stat: Any) -> dict[str, Any]:
    """The JSON form of a ``pysleep`` ``SleepStat`` (for comparisons).

    Duck-typed: ``pysleep`` is not imported. Durations become integer
    seconds, ``sleep_cycle`` the integer nearest to pysleep's fraction
    (Python's ``round``, ties to even: the rule of :func:`compute_stat`),
    times ISO strings, ``sleep_cycle_time`` a list of them. pysleep's own
    conventions are kept otherwise (its snoring fields are ``None`` and a
    never-slept night has numbers where the API has nulls).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from datetime import timedelta
    >>> stat_from_pysleep(SimpleNamespace(time_in_bed=timedelta(seconds=60)))["time_in_bed"]
    60
    """
    out: dict[str, Any] = {}
    for name, field in STAT_FIELDS.items():
        value = getattr(sleep_stat, name, None)
        if isinstance(value, timedelta):
            seconds = value.total_seconds()
            value = round(seconds) if name == "sleep_cycle" else int(seconds)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif field.kind == "time_list" and value is not None:
            value = [t.isoformat() for t in value]
        out[name] = value
    return out


#: Columns of :func:`verify_cohort`'s table: one row per differing field of a session.
_DIFFERENCE_COLUMNS = ["session_id", "field", "server", "recomputed"]


def _null(values: np.ndarray) -> np.ndarray:
    """Where a stat column is null: ``NaT`` for times, ``NaN`` for numbers."""
    return np.isnat(values) if values.dtype.kind == "M" else np.isnan(values.astype(float))


def verify_cohort(cohort: Any) -> pd.DataFrame:
    """Every field where a cohort's server ``stat`` differs from its recomputation, one row each.

    The cohort form of :func:`verify`, vectorised: :func:`compute_stats` on
    the sessions that carry a ``stat`` (``COMPLETE``, not null), compared
    field by field with the values the server sent, by the same rule
    (exact values; instants as instants; ``sleep_index`` and the breathing
    fields left out).

    Parameters
    ----------
    cohort
        A cohort from :func:`asleep_nb.load_cohort` / :func:`asleep_nb.to_cohort`.

    Returns
    -------
    pandas.DataFrame
        Columns ``session_id``, ``field``, ``server``, ``recomputed``; empty
        when every session agrees.

    Examples
    --------
    >>> verify_cohort(cohort).empty  # the demo study: the server's numbers are the vendor's
    True
    """
    has = np.asarray(cohort["state"].values == "COMPLETE") & ~np.isnan(
        np.asarray(cohort["time_in_bed"].values, dtype=float)
    )
    rows: list[tuple[str, str, Any, Any]] = []
    if not has.any():
        return pd.DataFrame(rows, columns=_DIFFERENCE_COLUMNS)
    sent = cohort.isel(session=np.flatnonzero(has))
    mine = compute_stats(sent)
    ids = np.asarray(sent["session_id"].values)
    for name in STAT_FIELDS:
        if name in UNKNOWABLE_FIELDS or name not in sent or name not in mine:
            continue
        a, b = sent[name], mine[name]
        if "cycle" in a.dims:  # widths may differ: compare on the wider axis, NaT beyond a list
            width = max(a.sizes["cycle"], b.sizes["cycle"])
            a, b = (x.pad(cycle=(0, width - x.sizes["cycle"])) for x in (a, b))
        av, bv = np.asarray(a.values), np.asarray(b.values)
        same = (av == bv) | (_null(av) & _null(bv))
        if same.ndim > 1:
            same = same.all(axis=tuple(range(1, same.ndim)))
        for i in np.flatnonzero(~same):
            server, recomputed = (xr.DataArray(v).values.tolist() for v in (av[i], bv[i]))
            rows.append((str(ids[i]), name, server, recomputed))
    return pd.DataFrame(rows, columns=_DIFFERENCE_COLUMNS)
