"""Average Stats of the stand-in: means over slept sessions, clock times on the 24-hour circle.

Examples
--------
>>> from asleep_nb.standin.averages import circular_mean_clock
>>> circular_mean_clock([22 * 3600, 2 * 3600])
'00:00:00'
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from asleep_nb.definitions import STAT_FIELDS

__all__ = ["circular_mean_clock", "average_stats"]


def _clock_seconds(iso: str, zone: ZoneInfo) -> float:
    local = datetime.fromisoformat(iso).astimezone(zone)
    return local.hour * 3600 + local.minute * 60 + local.second


def circular_mean_clock(seconds_of_day: list[float]) -> str | None:
    """Mean of clock times (seconds after midnight) on the 24-hour circle, as ``hh:mm:ss``.

    23:00 and 01:00 average to 00:00, not 12:00. ``None`` for no values.

    Examples
    --------
    >>> circular_mean_clock([23 * 3600, 1 * 3600])
    '00:00:00'
    >>> circular_mean_clock([])
    """
    if not seconds_of_day:
        return None
    angles = [2 * math.pi * s / 86400 for s in seconds_of_day]
    mean = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))
    total = round((mean % (2 * math.pi)) / (2 * math.pi) * 86400) % 86400
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _mean(values: list[float], kind: str) -> float | int | None:
    if not values:
        return None
    mean = sum(values) / len(values)
    return round(mean) if kind == "duration" else round(mean, 3)


def average_stats(slept: list[dict[str, Any]], zone: ZoneInfo) -> dict[str, Any]:
    """The ``average_stats`` object over slept sessions.

    See :meth:`~asleep_nb.standin.endpoints.StandinAPI.average_stats` for the rules.
    """
    out: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        out[name] = circular_mean_clock([_clock_seconds(e[name], zone) for e in slept if e.get(name)])
    for name, spec in STAT_FIELDS.items():
        present = [e[name] for e in slept if e.get(name) is not None]
        if spec.kind == "time":
            out[name] = circular_mean_clock([_clock_seconds(v, zone) for v in present])
        elif spec.kind in ("duration", "ratio", "count", "index"):
            out[name] = _mean([float(v) for v in present], spec.kind)
    return out
