"""``result.stat`` of Get Session: the vendor's statistics of one night, typed.

Examples
--------
>>> from asleep_nb.api.records import Stat
>>> stat = Stat.from_payload(dict.fromkeys(Stat.__dataclass_fields__))
>>> stat.time_in_sleep is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asleep_nb import definitions as schema
from asleep_nb.api.records._parse import (
    as_integer,
    as_number,
    as_object,
    as_ratio,
    as_string,
    as_time,
    as_time_list,
)
from asleep_nb.errors import PayloadError

__all__ = ["Stat"]

# kind -> parser of a non-null JSON value; each kind gives its own type (datetime, int, float, ...)
_STAT_PARSERS: dict[str, Callable[[object, str], Any]] = {
    "time": as_time,
    "duration": as_integer,
    "count": as_integer,
    "ratio": as_ratio,
    "index": as_number,
    "text": lambda value, path: as_string(value, path, nullable=True),
    "time_list": as_time_list,
}
_STAT_KINDS: tuple[tuple[str, str], ...] = tuple((f.name, f.kind) for f in schema.STAT_FIELDS.values())


@dataclass(frozen=True, slots=True)
class Stat:
    """``result.stat`` of Get Session: one attribute per field of the API.

    The fields and their kinds are listed in :data:`asleep_nb.definitions.STAT_FIELDS`.
    ``time`` fields are aware ``datetime``; durations (seconds) and counts are
    ``int``; ratios are ``float``; ``sleep_index`` and ``breathing_index``
    keep the JSON number type; ``breathing_pattern`` is a ``str``;
    ``sleep_cycle_time`` is a tuple of aware ``datetime``. Every field may be
    ``None`` (null).

    Examples
    --------
    >>> import json
    >>> raw = json.load(open("data/published_example.json"))["data"]["stat"]
    >>> stat = Stat.from_payload(raw)
    >>> stat.time_in_sleep, stat.sleep_efficiency, stat.to_dict() == raw
    (1080, 0.3, True)
    """

    sleep_time: datetime | None
    wake_time: datetime | None
    sleep_latency: int | None
    wakeup_latency: int | None
    light_latency: int | None
    deep_latency: int | None
    rem_latency: int | None
    time_in_bed: int | None
    time_in_sleep_period: int | None
    time_in_sleep: int | None
    time_in_wake: int | None
    time_in_light: int | None
    time_in_deep: int | None
    time_in_rem: int | None
    time_in_stable_breath: int | None
    time_in_unstable_breath: int | None
    time_in_snoring: int | None
    time_in_no_snoring: int | None
    sleep_efficiency: float | None
    sleep_ratio: float | None
    wake_ratio: float | None
    light_ratio: float | None
    deep_ratio: float | None
    rem_ratio: float | None
    stable_breath_ratio: float | None
    unstable_breath_ratio: float | None
    snoring_ratio: float | None
    no_snoring_ratio: float | None
    breathing_pattern: str | None
    breathing_index: int | float | None
    waso_count: int | None
    longest_waso: int | None
    sleep_cycle_count: int | None
    sleep_cycle: int | None
    unstable_breath_count: int | None
    snoring_count: int | None
    sleep_index: int | float | None
    sleep_cycle_time: tuple[datetime, ...] | None

    @classmethod
    def from_payload(cls, stat: Mapping[str, Any], *, path: str = "stat") -> Stat:
        """Build from a ``stat`` JSON object (every field of the API must be present).

        Parameters
        ----------
        stat
            The JSON object.
        path
            Dotted path of the object, used in error messages.

        Raises
        ------
        PayloadError
            A field missing, of the wrong type, negative (durations, counts)
            or outside [0, 1] (ratios).
        """
        obj = as_object(stat, path)
        values: dict[str, Any] = {}
        for name, kind in _STAT_KINDS:
            if name not in obj:
                raise PayloadError(f"{path}.{name}", "required key is missing")
            value = obj[name]
            values[name] = None if value is None else _STAT_PARSERS[kind](value, f"{path}.{name}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the stat object, in the API's field order.

        For a payload within the contract (numeric offsets, whole seconds) it
        equals the object the record was built from.

        Examples
        --------
        >>> stat = Stat(**dict.fromkeys(Stat.__dataclass_fields__))
        >>> stat.to_dict()["time_in_sleep"] is None
        True
        """
        out: dict[str, Any] = {}
        for name, kind in _STAT_KINDS:
            value = getattr(self, name)
            if value is not None and kind == "time":
                value = value.isoformat()
            elif value is not None and kind == "time_list":
                value = [moment.isoformat() for moment in value]
            out[name] = value
        return out
