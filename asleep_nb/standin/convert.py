"""Timestamps of stored payloads, expressed in the zone a request asks for.

The stand-in stores every payload in UTC; each answer converts the
timestamps it holds into the requested IANA zone (whole seconds, numeric
offset), as the API does.

Examples
--------
>>> from asleep_nb.standin.convert import convert_time
>>> convert_time("2025-01-15T02:50:29+00:00", ZoneInfo("Asia/Seoul"))
'2025-01-15T11:50:29+09:00'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.errors import PayloadError

__all__ = [
    "SESSION_TIME_KEYS",
    "STAT_TIME_KEYS",
    "STAT_TIME_LIST_KEYS",
    "USER_TIME_KEYS",
    "dumps",
    "parse_time",
    "convert_time",
    "session_result_in_zone",
    "user_in_zone",
]

#: Keys of ``result.session`` holding timestamps.
SESSION_TIME_KEYS = ("start_time", "end_time", "unexpected_end_time")
#: Keys of ``result.stat`` holding one timestamp, and holding a list of them.
STAT_TIME_KEYS = tuple(n for n, f in STAT_FIELDS.items() if f.kind == "time")
STAT_TIME_LIST_KEYS = tuple(n for n, f in STAT_FIELDS.items() if f.kind == "time_list")
#: Keys of a Get User ``last_session_info`` holding timestamps.
USER_TIME_KEYS = ("start_time", "end_time", "unexpected_end_time")


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, the form the server sends and the store writes.

    Examples
    --------
    >>> dumps({"detail": "OK"})
    b'{"detail":"OK"}'
    """
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def parse_time(value: object, where: str) -> datetime:
    """An ISO 8601 timestamp with an offset, or :class:`PayloadError` naming ``where``."""
    if not isinstance(value, str):
        raise PayloadError(where, f"expected an ISO 8601 timestamp, got {value!r}")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(where, f"not an ISO 8601 timestamp: {value!r}") from None
    if dt.tzinfo is None:
        raise PayloadError(where, f"timestamp {value!r} has no UTC offset")
    return dt


def convert_time(value: str | None, zone: ZoneInfo | None) -> str | None:
    """Express an ISO timestamp in ``zone`` (UTC when ``None``), whole seconds.

    ``None`` stays ``None``.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> convert_time("2025-03-30T00:30:00+00:00", ZoneInfo("Europe/Paris"))
    '2025-03-30T01:30:00+01:00'
    >>> convert_time("2025-03-30T01:30:00+00:00", ZoneInfo("Europe/Paris"))
    '2025-03-30T03:30:00+02:00'
    """
    if value is None:
        return None
    dt = parse_time(value, "timestamp")
    return dt.astimezone(zone or UTC).isoformat(timespec="seconds")


def _convert_mapping(
    obj: Mapping[str, Any] | None, keys: tuple[str, ...], zone: ZoneInfo | None, where: str
) -> dict[str, Any] | None:
    if obj is None:
        return None
    if not isinstance(obj, Mapping):
        raise PayloadError(where, f"expected an object or null, got {type(obj).__name__}")
    out = dict(obj)
    for key in keys:
        if out.get(key) is not None:
            parse_time(out[key], f"{where}.{key}")
            out[key] = convert_time(out[key], zone)
    return out


def session_result_in_zone(result: Mapping[str, Any], zone_name: str) -> dict[str, Any]:
    """A Get Session ``result`` with every timestamp expressed in ``zone_name``.

    Converts ``session.start_time``, ``end_time``, ``unexpected_end_time``, the
    stat's ``sleep_time``, ``wake_time`` and each ``sleep_cycle_time`` entry, and
    sets ``timezone``. Other values are shared with ``result``, not copied.

    Examples
    --------
    >>> r = {"timezone": "UTC", "session": {"start_time": "2025-01-14T23:30:00+00:00"}, "stat": None}
    >>> session_result_in_zone(r, "Asia/Seoul")["session"]["start_time"]
    '2025-01-15T08:30:00+09:00'
    """
    zone = None if zone_name == "UTC" else ZoneInfo(zone_name)
    out = dict(result)
    out["timezone"] = zone_name
    out["session"] = _convert_mapping(result.get("session"), SESSION_TIME_KEYS, zone, "result.session")
    stat = _convert_mapping(result.get("stat"), STAT_TIME_KEYS, zone, "result.stat")
    if stat is not None:
        for key in STAT_TIME_LIST_KEYS:
            if isinstance(stat.get(key), list):
                stat[key] = [convert_time(t, zone) for t in stat[key]]
    out["stat"] = stat
    return out


def user_in_zone(user: Mapping[str, Any], zone_name: str) -> dict[str, Any]:
    """A Get User ``result`` with ``last_session_info`` times expressed in ``zone_name``.

    Examples
    --------
    >>> u = {"user_id": "x", "last_session_info": {"start_time": "2025-01-15T02:50:29+00:00"}}
    >>> user_in_zone(u, "Asia/Seoul")["last_session_info"]["start_time"]
    '2025-01-15T11:50:29+09:00'
    """
    zone = None if zone_name == "UTC" else ZoneInfo(zone_name)
    out = dict(user)
    out["last_session_info"] = _convert_mapping(
        user.get("last_session_info"), USER_TIME_KEYS, zone, "result.last_session_info"
    )
    return out
