"""Time-zone names and conversions.

The toolkit keeps IANA zone names (``"Europe/Paris"``), never fixed offsets:
a night can cross a daylight-saving change, and only the name knows that.
Instants are stored as UTC; local wall-clock views are derived.

Examples
--------
>>> from asleep_nb.timezones import validate_timezone
>>> validate_timezone("Asia/Seoul").key
'Asia/Seoul'
>>> validate_timezone("Mars/Olympus")
Traceback (most recent call last):
...
asleep_nb.errors.InvalidTimezone: Unknown IANA time zone 'Mars/Olympus'
>>> validate_timezone("posixrules")  # a file of the zone database, not a zone
Traceback (most recent call last):
...
asleep_nb.errors.InvalidTimezone: Unknown IANA time zone 'posixrules'
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from asleep_nb.errors import InvalidTimezone, shorten

__all__ = ["validate_timezone", "is_zone_name", "available_timezones", "to_zone", "parse_iso", "NOT_ZONES"]

#: Names the zone database ships that are not zones a request can ask for: a placeholder
#: (``Factory``), the system's own setting (``localtime``) and a rules template (``posixrules``).
#: The ``posix/`` and ``right/`` trees (leap-second variants) are refused too.
NOT_ZONES: frozenset[str] = frozenset({"Factory", "localtime", "posixrules"})


def validate_timezone(name: str) -> zoneinfo.ZoneInfo:
    """Return the ``ZoneInfo`` for an IANA name, or raise :class:`InvalidTimezone`.

    Only the names of :func:`available_timezones` are accepted: real IANA
    zones such as ``"Europe/Paris"``, ``"UTC"`` and ``"Etc/GMT+5"`` (and the
    database's backward-compatible aliases such as ``"US/Eastern"``), never a
    file of the database that is not a zone (:data:`NOT_ZONES`, ``posix/...``,
    ``right/...``) nor a path. Names are case-sensitive, as the database is.

    Parameters
    ----------
    name
        An IANA time-zone name such as ``"Europe/Paris"``.

    Returns
    -------
    zoneinfo.ZoneInfo

    Raises
    ------
    InvalidTimezone
        When ``name`` is not a string or names no zone.
    """
    if not is_zone_name(name):
        shown = shorten(name) if isinstance(name, str) else f"of type {type(name).__name__}"
        raise InvalidTimezone(f"Unknown IANA time zone {shown}")
    try:
        return zoneinfo.ZoneInfo(name)  # cached by zoneinfo itself
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # pragma: no cover - listed yet unreadable
        raise InvalidTimezone(f"Unknown IANA time zone {name!r}") from None


def is_zone_name(name: object) -> bool:
    """Whether ``name`` is a real IANA zone name this Python knows (see :func:`validate_timezone`).

    Examples
    --------
    >>> is_zone_name("Asia/Seoul"), is_zone_name("right/UTC"), is_zone_name("Factory"), is_zone_name(3)
    (True, False, False, False)
    """
    return isinstance(name, str) and name in _zone_names()


@functools.lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    names = zoneinfo.available_timezones() | {"UTC"}
    return frozenset(n for n in names if n not in NOT_ZONES and not n.startswith(("posix/", "right/")))


@functools.lru_cache(maxsize=1)
def available_timezones() -> tuple[str, ...]:
    """The zone names :func:`validate_timezone` accepts, sorted, ``"UTC"`` first."""
    names = sorted(_zone_names() - {"UTC"})
    return ("UTC", *names)


def to_zone(dt: datetime, name: str) -> datetime:
    """Express an aware ``datetime`` in the zone ``name``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> to_zone(datetime(2025, 1, 15, 2, 50, 29, tzinfo=timezone.utc), "Asia/Seoul").isoformat()
    '2025-01-15T11:50:29+09:00'
    """
    if dt.tzinfo is None:
        raise ValueError("to_zone needs a timezone-aware datetime")
    return dt.astimezone(validate_timezone(name))


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry an offset; return it aware.

    ``Z`` is accepted for UTC.

    Raises
    ------
    ValueError
        When the text is not ISO 8601 or has no offset.
    """
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    return dt
