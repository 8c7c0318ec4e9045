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
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime

from asleep_nb.errors import InvalidTimezone

__all__ = ["validate_timezone", "available_timezones", "to_zone", "parse_iso"]


@functools.lru_cache(maxsize=1024)
def validate_timezone(name: str) -> zoneinfo.ZoneInfo:
    """Return the ``ZoneInfo`` for an IANA name, or raise :class:`InvalidTimezone`.

    ``"UTC"`` is accepted. Names are case-sensitive, as the IANA database is.

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
    if not isinstance(name, str) or not name or name != name.strip() or "\x00" in name:
        raise InvalidTimezone(f"Unknown IANA time zone {name!r}")
    if name.startswith(("/", ".")) or ".." in name:
        raise InvalidTimezone(f"Unknown IANA time zone {name!r}")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidTimezone(f"Unknown IANA time zone {name!r}") from None


@functools.lru_cache(maxsize=1)
def available_timezones() -> tuple[str, ...]:
    """All IANA zone names known to this Python, sorted, ``"UTC"`` first."""
    names = sorted(zoneinfo.available_timezones() - {"UTC"})
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
