"""Checks of JSON values against the contract, shared by every record.

Each ``as_*`` function takes a value from ``json.loads`` and the dotted
``path`` naming it, and returns it typed, or raises
:class:`~asleep_nb.errors.PayloadError` naming the path and what was wrong.
A ``nullable`` variant also lets ``null`` (``None``) through.

Examples
--------
>>> from asleep_nb.api.records._parse import as_integer
>>> as_integer(3, "stat.waso_count")
3
>>> as_integer("3", "stat.waso_count")
Traceback (most recent call last):
...
asleep_nb.errors.PayloadError: stat.waso_count: expected an integer or null, got string '3'
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, overload

from asleep_nb.api.jsonbytes import loads
from asleep_nb.definitions.contract import MAX_SAFE_INTEGER
from asleep_nb.errors import InvalidTimezone, PayloadError, PayloadWarning
from asleep_nb.timezones import parse_iso, validate_timezone

__all__ = [
    "KeepsPayload",
    "ReadOnlyMapping",
    "as_boolean",
    "as_created_timezone",
    "as_integer",
    "as_number",
    "as_object",
    "as_ratio",
    "as_required_time",
    "as_string",
    "as_time",
    "as_time_list",
    "as_zone_name",
    "check_not_before",
    "describe",
    "frozen_view",
    "join_path",
    "required",
]

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def describe(value: object) -> str:
    """``"string '12'"``: the JSON type and a short repr of ``value``, for messages."""
    if value is None:
        return "null"
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{_JSON_TYPE_NAMES.get(type(value), type(value).__name__)} {text}"


def join_path(prefix: str, key: str) -> str:
    """``prefix.key``, or ``key`` at the top level (empty ``prefix``)."""
    return f"{prefix}.{key}" if prefix else key


@overload
def as_object(value: object, path: str, *, nullable: Literal[False] = ...) -> Mapping[str, Any]: ...
@overload
def as_object(value: object, path: str, *, nullable: bool) -> Mapping[str, Any] | None: ...
def as_object(value: object, path: str, *, nullable: bool = False) -> Mapping[str, Any] | None:
    """A JSON object (any ``Mapping``); ``None`` too when ``nullable``."""
    if isinstance(value, Mapping):
        return value
    if value is None and nullable:
        return None
    raise PayloadError(path, f"expected an object{' or null' if nullable else ''}, got {describe(value)}")


def required(obj: Mapping[str, Any], key: str, prefix: str) -> Any:
    """``obj[key]`` (an unchecked JSON value), or :class:`PayloadError` naming ``prefix.key``."""
    try:
        return obj[key]
    except KeyError:
        raise PayloadError(join_path(prefix, key), "required key is missing") from None


@overload
def as_string(value: object, path: str, *, nullable: Literal[False] = ...) -> str: ...
@overload
def as_string(value: object, path: str, *, nullable: bool) -> str | None: ...
def as_string(value: object, path: str, *, nullable: bool = False) -> str | None:
    """A JSON string; ``None`` too when ``nullable``."""
    if isinstance(value, str):
        return value
    if value is None and nullable:
        return None
    raise PayloadError(path, f"expected a string{' or null' if nullable else ''}, got {describe(value)}")


def as_boolean(value: object, path: str) -> bool | None:
    """``true``, ``false`` or ``null``."""
    if value is None or isinstance(value, bool):
        return value
    raise PayloadError(path, f"expected true, false or null, got {describe(value)}")


def as_integer(
    value: object, path: str, *, minimum: int | None = 0, maximum: int = MAX_SAFE_INTEGER
) -> int | None:
    """A JSON integer (not a float, not a boolean) from ``minimum`` to ``maximum``, or ``None``.

    ``maximum`` is at most :data:`~asleep_nb.definitions.contract.MAX_SAFE_INTEGER`
    (2**53 - 1): a larger integer has no exact ``float`` and no meaning in a payload.
    """
    if value is None:
        return None
    if type(value) is not int:
        raise PayloadError(path, f"expected an integer or null, got {describe(value)}")
    if minimum is not None and value < minimum:
        raise PayloadError(path, f"expected an integer >= {minimum}, got {value}")
    if value > maximum:
        raise PayloadError(path, f"expected an integer <= {maximum}, got {describe(value)}")
    return value


def as_number(value: object, path: str, *, unit_interval: bool = False) -> int | float | None:
    """A finite JSON number (integer or float, not boolean), or ``None``; type kept."""
    if value is None:
        return None
    # exactly int or float: bool (an int subclass) and other number types are refused
    if not isinstance(value, int | float) or type(value) not in (int, float):
        raise PayloadError(path, f"expected a number or null, got {describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError(path, f"expected a finite number, got {value!r}")
    if abs(value) > MAX_SAFE_INTEGER:  # orjson reads an integer past 64 bits as a float
        raise PayloadError(path, f"expected a number within +-{MAX_SAFE_INTEGER}, got {describe(value)}")
    if unit_interval and not 0.0 <= value <= 1.0:
        raise PayloadError(path, f"expected a ratio in [0, 1], got {value!r}")
    return value


def as_ratio(value: object, path: str) -> float | None:
    """A finite number in [0, 1] as ``float``, or ``None``."""
    number = as_number(value, path, unit_interval=True)
    return None if number is None else float(number)


def as_time(value: object, path: str) -> datetime | None:
    """An ISO 8601 timestamp with an offset -> aware ``datetime``; ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(path, f"expected an ISO 8601 timestamp string or null, got {describe(value)}")
    try:
        return parse_iso(value)
    except ValueError:
        raise PayloadError(path, f"not an ISO 8601 timestamp with a UTC offset: {value!r}") from None


def as_required_time(value: object, path: str) -> datetime:
    """Like :func:`as_time`, but ``null`` is an error."""
    parsed = as_time(value, path)
    if parsed is None:
        raise PayloadError(path, "expected an ISO 8601 timestamp, got null")
    return parsed


def as_time_list(value: object, path: str) -> tuple[datetime, ...] | None:
    """An array of timestamps as a tuple of aware ``datetime``, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise PayloadError(path, f"expected an array of timestamps or null, got {describe(value)}")
    return tuple(as_required_time(item, f"{path}[{i}]") for i, item in enumerate(value))


def as_zone_name(value: object, path: str) -> str:
    """An IANA zone name (the zone a result's times are in); an unknown one is an error."""
    name = as_string(value, path)
    if not _is_zone(name):
        raise PayloadError(path, f"not an IANA time zone name: {name!r}")
    return name


def as_created_timezone(value: object, path: str) -> str | None:
    """A session's creation zone: may be null, and an unknown name is kept with a warning."""
    name = as_string(value, path, nullable=True)
    if name is not None and not _is_zone(name):
        warnings.warn(
            f"{path}: not an IANA time zone name: {name!r}; kept as is", PayloadWarning, stacklevel=4
        )
    return name


def _is_zone(name: str) -> bool:
    try:
        validate_timezone(name)
    except InvalidTimezone:
        return False
    return True


def check_not_before(moment: datetime | None, start: datetime, path: str, start_name: str) -> None:
    """Raise :class:`PayloadError` at ``path`` when ``moment`` is before ``start``."""
    if moment is not None and moment < start:
        raise PayloadError(path, f"{moment.isoformat()} is before {start_name} {start.isoformat()}")


class ReadOnlyMapping(Mapping[str, Any]):
    """A read-only, picklable view of a JSON object (top level only)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(dict(self._data))

    def __getstate__(self) -> dict[str, Any]:
        return dict(self._data)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state


def frozen_view(value: object) -> object:
    """A read-only view of a JSON object; anything else unchanged."""
    return ReadOnlyMapping(value) if isinstance(value, Mapping) else value


class KeepsPayload:
    """Base of the records that keep the result object they were built from.

    A record keeps either the parsed object itself or, when it was parsed
    from JSON text the caller still holds (an archived file), that text: a
    few kilobytes of ``bytes`` instead of a tree of lists with one Python
    integer per epoch, which the garbage collector would otherwise walk
    again and again while a large cohort is read. ``payload`` parses the
    text on access.
    """

    __slots__ = ()
    _payload: Mapping[str, Any] | bytes

    @property
    def payload(self) -> Mapping[str, Any]:
        """The original result object, read-only."""
        kept = self._payload
        return MappingProxyType(loads(kept) if isinstance(kept, bytes) else kept)
