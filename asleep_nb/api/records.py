"""Typed, immutable records of the Asleep API's payloads.

Every record is a frozen, slotted dataclass whose attributes keep the API's
field names, so ``result.session.start_time`` and ``result.stat.time_in_sleep``
mean what the API reference says. Times become timezone-aware ``datetime``
objects carrying the offset the server sent; stage arrays become read-only
``numpy.int8`` arrays; every field the contract makes nullable stays nullable
(``None``). The payload a record was built from stays reachable as
``record.payload`` (a read-only view) for archiving.

Building a record validates the payload. What does not match the contract
either raises :class:`~asleep_nb.errors.PayloadError`, whose message names the
field as a dotted path (``session.sleep_stages[12]: value 7 is not a sleep
stage code (-1, 0, 1, 2, 3)``), or, when the data is still usable, emits a
:class:`~asleep_nb.errors.PayloadWarning` and keeps what the server sent:

=======================================================  ==================
What is wrong                                            Outcome
=======================================================  ==================
not a JSON object / array where one is required          PayloadError
a required key missing (Get Session, List Sessions)      PayloadError
wrong JSON type (string for an integer, float for an     PayloadError
integer, boolean for a number, ...)
NaN or infinity in a number                              PayloadError
timestamp not ISO 8601 or without a UTC offset           PayloadError
``timezone`` not an IANA zone name                       PayloadError
``created_timezone`` not an IANA zone name               PayloadWarning
negative duration or count; ratio outside [0, 1]         PayloadError
stage value outside its code set                         PayloadError
stage array length differs from                          PayloadError
``(end_time - start_time) // 30`` by two epochs or more
``end_time`` or ``unexpected_end_time`` before           PayloadError
``start_time``
webhook ``event`` other than ``SESSION_COMPLETE``        PayloadError
stage array length off by exactly one epoch              PayloadWarning
``stat`` present although a peculiarity says it is null  PayloadWarning
(``IN_PROGRESS``, ``NO_REALTIME_POLLING``,
``TOO_SHORT_FOR_ANALYSIS``,
``TOO_MANY_DEFECTS_IN_SLEEP_STAGES``)
``stat`` null although the session is ``COMPLETE`` and   PayloadWarning
no peculiarity explains it
unknown ``state`` or peculiarity label                   PayloadWarning,
                                                         label kept
webhook ``version`` other than ``V3``                    PayloadWarning
unknown extra keys                                       ignored (kept in
                                                         ``payload``)
=======================================================  ==================

Warnings never change the data: a record holds what the server sent. Turn
them into errors with ``warnings.simplefilter("error", PayloadWarning)``.

Get User and Average Stats are documented loosely by the vendor ("...");
their records require only the id and the container types, and read absent
optional keys as ``None``.

Examples
--------
>>> import json
>>> from asleep_nb.api.records import SessionResult
>>> body = json.load(open("data/published_example.json"))  # doctest: +SKIP
>>> result = SessionResult.from_webhook(body)  # doctest: +SKIP
>>> result.session.id, result.stat.time_in_sleep, result.user_id  # doctest: +SKIP
('20250115025029_fvivn', 1080, 'G-20250115025029-vLErWBfQNtnfvgDccFOQ')
"""

from __future__ import annotations

import array
import enum
import math
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from types import MappingProxyType
from typing import Any, Self

import numpy as np

from asleep_nb import definitions as schema
from asleep_nb.errors import InvalidTimezone, PayloadError, PayloadWarning
from asleep_nb.timezones import parse_iso, validate_timezone

__all__ = [
    "SessionState",
    "Peculiarity",
    "Session",
    "Stat",
    "SessionResult",
    "SessionSummary",
    "LastSessionInfo",
    "UserMetadata",
    "User",
    "AverageStats",
]


# --------------------------------------------------------------------------- labels


class _OpenLabel(enum.StrEnum):
    """A ``str`` enum that keeps labels it does not know.

    ``Label("SOMETHING_NEW")`` returns a pseudo-member that equals the string,
    hashes like it and prints like a member, and emits a
    :class:`~asleep_nb.errors.PayloadWarning`; ``is_known`` is then ``False``.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        warnings.warn(f"unknown {cls.__name__} label {value!r}: kept as is", PayloadWarning, stacklevel=2)
        return cls._pseudo_member(value)

    @classmethod
    def _pseudo_member(cls, value: str) -> Self:
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        """Whether the label is one the toolkit knows (``False`` for a kept unknown label)."""
        return type(self)._value2member_map_.get(self._value_) is self


class SessionState(_OpenLabel):
    """``session.state``: ``OPEN`` recording, ``CLOSED`` analysing, ``COMPLETE`` done.

    Unknown states are kept (with a :class:`~asleep_nb.errors.PayloadWarning`).

    Examples
    --------
    >>> SessionState("COMPLETE") is SessionState.COMPLETE
    True
    >>> SessionState.OPEN == "OPEN"
    True
    """

    OPEN = "OPEN"
    CLOSED = "CLOSED"
    COMPLETE = "COMPLETE"


class Peculiarity(_OpenLabel):
    """A label of ``result.peculiarities``.

    Unknown labels are kept (with a :class:`~asleep_nb.errors.PayloadWarning`).

    Examples
    --------
    >>> Peculiarity("NEVER_SLEPT").is_known
    True
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     label = Peculiarity("BRAND_NEW_LABEL")
    >>> label == "BRAND_NEW_LABEL", label.is_known
    (True, False)
    """

    IN_PROGRESS = "IN_PROGRESS"
    NEVER_SLEPT = "NEVER_SLEPT"
    TOO_SHORT_FOR_ANALYSIS = "TOO_SHORT_FOR_ANALYSIS"
    TOO_LONG_FOR_ANALYSIS = "TOO_LONG_FOR_ANALYSIS"
    TOO_MANY_DEFECTS_IN_SLEEP_STAGES = "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"
    NO_BREATHING_STABILITY = "NO_BREATHING_STABILITY"
    NO_REALTIME_POLLING = "NO_REALTIME_POLLING"


# --------------------------------------------------------------------------- field checks

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


def _describe(value: object) -> str:
    """``"string '12'"``: the JSON type and a short repr of ``value``, for messages."""
    if value is None:
        return "null"
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{_JSON_TYPE_NAMES.get(type(value), type(value).__name__)} {text}"


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _object(value: object, path: str, *, nullable: bool = False) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    if value is None and nullable:
        return None
    raise PayloadError(path, f"expected an object{' or null' if nullable else ''}, got {_describe(value)}")


def _required(obj: Mapping[str, Any], key: str, prefix: str) -> Any:
    try:
        return obj[key]
    except KeyError:
        raise PayloadError(_join(prefix, key), "required key is missing") from None


def _string(value: object, path: str, *, nullable: bool = False) -> str | None:
    if isinstance(value, str):
        return value
    if value is None and nullable:
        return None
    raise PayloadError(path, f"expected a string{' or null' if nullable else ''}, got {_describe(value)}")


def _boolean(value: object, path: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise PayloadError(path, f"expected true, false or null, got {_describe(value)}")


def _integer(value: object, path: str, *, minimum: int | None = 0) -> int | None:
    """A JSON integer (not a float, not a boolean), or ``None``."""
    if value is None:
        return None
    if type(value) is not int:
        raise PayloadError(path, f"expected an integer or null, got {_describe(value)}")
    if minimum is not None and value < minimum:
        raise PayloadError(path, f"expected an integer >= {minimum}, got {value}")
    return value


def _number(value: object, path: str, *, unit_interval: bool = False) -> int | float | None:
    """A finite JSON number (integer or float, not boolean), or ``None``; type kept."""
    if value is None:
        return None
    kind = type(value)
    if kind is not float and kind is not int:
        raise PayloadError(path, f"expected a number or null, got {_describe(value)}")
    if kind is float and not math.isfinite(value):
        raise PayloadError(path, f"expected a finite number, got {value!r}")
    if unit_interval and not 0.0 <= value <= 1.0:
        raise PayloadError(path, f"expected a ratio in [0, 1], got {value!r}")
    return value


def _ratio(value: object, path: str) -> float | None:
    number = _number(value, path, unit_interval=True)
    return None if number is None else float(number)


def _time(value: object, path: str) -> datetime | None:
    """An ISO 8601 timestamp with an offset -> aware ``datetime``; ``None`` stays ``None``."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(path, f"expected an ISO 8601 timestamp string or null, got {_describe(value)}")
    try:
        return parse_iso(value)
    except ValueError:
        raise PayloadError(path, f"not an ISO 8601 timestamp with a UTC offset: {value!r}") from None


def _required_time(value: object, path: str) -> datetime:
    parsed = _time(value, path)
    if parsed is None:
        raise PayloadError(path, "expected an ISO 8601 timestamp, got null")
    return parsed


def _time_list(value: object, path: str) -> tuple[datetime, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise PayloadError(path, f"expected an array of timestamps or null, got {_describe(value)}")
    return tuple(_required_time(item, f"{path}[{i}]") for i, item in enumerate(value))


def _zone_name(value: object, path: str, *, nullable: bool = False, strict: bool = True) -> str | None:
    """An IANA zone name; an unknown one is an error if ``strict``, else a warning (kept)."""
    name = _string(value, path, nullable=nullable)
    if name is not None:
        try:
            validate_timezone(name)
        except InvalidTimezone:
            if strict:
                raise PayloadError(path, f"not an IANA time zone name: {name!r}") from None
            warnings.warn(
                f"{path}: not an IANA time zone name: {name!r}; kept as is", PayloadWarning, stacklevel=4
            )
    return name


# A session's creation zone may be null, and an unknown name is kept with a
# warning. A partial adds no frame, so the warning's stacklevel still points
# where it does for a direct ``_zone_name`` call.
_created_timezone = partial(_zone_name, nullable=True, strict=False)


def _not_before(moment: datetime | None, start: datetime, path: str, start_name: str) -> None:
    """Raise :class:`PayloadError` at ``path`` when ``moment`` is before ``start``."""
    if moment is not None and moment < start:
        raise PayloadError(path, f"{moment.isoformat()} is before {start_name} {start.isoformat()}")


def _label(cls: type[_OpenLabel], value: object, path: str) -> Any:
    text = _string(value, path)
    member = cls._value2member_map_.get(text)
    if member is None:
        warnings.warn(
            f"{path}: unknown {cls.__name__} label {text!r}; kept as is", PayloadWarning, stacklevel=4
        )
        member = cls._pseudo_member(text)
    return member


def _labels(cls: type[_OpenLabel], value: object, path: str) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise PayloadError(path, f"expected an array of strings, got {_describe(value)}")
    return tuple(_label(cls, item, f"{path}[{i}]") for i, item in enumerate(value))


class _ReadOnlyMapping(Mapping[str, Any]):
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


def _frozen(value: object) -> object:
    """A read-only view of a JSON object; anything else unchanged."""
    return _ReadOnlyMapping(value) if isinstance(value, Mapping) else value


# --------------------------------------------------------------------------- stage arrays


@dataclass(frozen=True)
class _StageCodes:
    label: str
    lo: int
    hi: int

    @classmethod
    def of(cls, label: str, codes: frozenset[int]) -> _StageCodes:
        lo, hi = min(codes), max(codes)
        if set(codes) != set(range(lo, hi + 1)):  # the range check below needs a contiguous set
            raise AssertionError(f"{label} codes are not contiguous: {sorted(codes)}")
        return cls(label, lo, hi)

    def listing(self) -> str:
        return ", ".join(str(c) for c in range(self.lo, self.hi + 1))


_STAGE_CODES = {
    "sleep_stages": _StageCodes.of("sleep stage", schema.SLEEP_STAGE_CODES),
    "breath_stages": _StageCodes.of("breath stage", schema.BREATH_STAGE_CODES),
    "snoring_stages": _StageCodes.of("snoring stage", schema.SNORING_STAGE_CODES),
}


def _stage_array(value: object, path: str, codes: _StageCodes) -> np.ndarray | None:
    """A JSON array of stage codes -> read-only ``int8`` array; ``None`` stays ``None``.

    Fast path: ``array.array("h", ...)`` converts in C and refuses anything that
    is not an integer (floats, strings, nulls, nested arrays), the code range is
    then checked vectorised. Booleans are refused by a type scan.
    """
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise PayloadError(path, f"expected an array of integers or null, got {_describe(value)}")
    try:
        raw = np.frombuffer(array.array("h", value), dtype=np.int16)
    except (TypeError, OverflowError):
        raise _first_bad_stage(value, path, codes) from None
    if bool in set(map(type, value)):
        raise _first_bad_stage(value, path, codes)
    if raw.size and (raw.min() < codes.lo or raw.max() > codes.hi):
        i = int(np.flatnonzero((raw < codes.lo) | (raw > codes.hi))[0])
        raise PayloadError(
            f"{path}[{i}]", f"value {int(raw[i])} is not a {codes.label} code ({codes.listing()})"
        )
    out = raw.astype(np.int8)
    out.flags.writeable = False
    return out


def _first_bad_stage(value: list[Any] | tuple[Any, ...], path: str, codes: _StageCodes) -> PayloadError:
    for i, item in enumerate(value):
        if type(item) is not int:
            return PayloadError(
                f"{path}[{i}]", f"expected an integer {codes.label} code, got {_describe(item)}"
            )
        if not codes.lo <= item <= codes.hi:
            return PayloadError(
                f"{path}[{i}]", f"value {item} is not a {codes.label} code ({codes.listing()})"
            )
    return PayloadError(path, "not an array of stage codes")  # pragma: no cover - unreachable


def _check_epoch_count(array_: np.ndarray, path: str, start: datetime, end: datetime) -> None:
    expected = int((end - start).total_seconds() // schema.EPOCH_SECONDS)
    diff = len(array_) - expected
    if diff == 0:
        return
    span = f"start_time..end_time spans {expected} epochs of {schema.EPOCH_SECONDS} s"
    if abs(diff) == 1:
        warnings.warn(
            f"{path}: has {len(array_)} epochs but {span} (one epoch off; kept as sent)",
            PayloadWarning,
            stacklevel=5,
        )
        return
    raise PayloadError(path, f"has {len(array_)} epochs but {span}")


def _arrays_equal(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool((a == b).all())


# --------------------------------------------------------------------------- Get Session


class _KeepsPayload:
    """Base of the records that keep the result object they were built from."""

    __slots__ = ()
    _payload: Mapping[str, Any]

    @property
    def payload(self) -> Mapping[str, Any]:
        """The original result object, read-only."""
        return MappingProxyType(self._payload)


@dataclass(frozen=True, slots=True, eq=False)
class Session:
    """``result.session`` of Get Session.

    Attributes
    ----------
    id
        The session id.
    state
        :class:`SessionState`.
    start_time, end_time, unexpected_end_time
        Aware ``datetime``; ``end_time`` is ``None`` while ``OPEN``;
        ``unexpected_end_time`` is set when the app crashed and the session
        was closed later.
    created_timezone
        IANA name of the zone the session was created in, or ``None``.
    sleep_stages, breath_stages, snoring_stages
        Read-only ``numpy.int8`` arrays, one value per 30-second epoch from
        ``start_time`` on, or ``None``.

    Examples
    --------
    >>> s = Session.from_payload({
    ...     "id": "20250115025029_fvivn", "state": "COMPLETE",
    ...     "start_time": "2025-01-15T02:50:29+00:00", "end_time": "2025-01-15T02:52:29+00:00",
    ...     "unexpected_end_time": None, "created_timezone": "UTC",
    ...     "sleep_stages": [0, 1, 1, 0], "breath_stages": None, "snoring_stages": None})
    >>> s.sleep_stages
    array([0, 1, 1, 0], dtype=int8)
    >>> s.sleep_stages.flags.writeable
    False
    """

    id: str
    state: SessionState
    start_time: datetime
    end_time: datetime | None
    unexpected_end_time: datetime | None
    created_timezone: str | None
    sleep_stages: np.ndarray | None
    breath_stages: np.ndarray | None
    snoring_stages: np.ndarray | None

    @classmethod
    def from_payload(cls, session: Mapping[str, Any], *, path: str = "session") -> Session:
        """Build from the ``session`` object of a Get Session result.

        Parameters
        ----------
        session
            The JSON object.
        path
            Dotted path of the object, used in error messages.

        Raises
        ------
        PayloadError
            See the table in :mod:`asleep_nb.api.records`.
        """
        obj = _object(session, path)
        start = _required_time(_required(obj, "start_time", path), f"{path}.start_time")
        end = _time(_required(obj, "end_time", path), f"{path}.end_time")
        unexpected_end = _time(_required(obj, "unexpected_end_time", path), f"{path}.unexpected_end_time")
        for name, moment in (("end_time", end), ("unexpected_end_time", unexpected_end)):
            _not_before(moment, start, f"{path}.{name}", "start_time")
        stages = {}
        for name, codes in _STAGE_CODES.items():
            where = f"{path}.{name}"
            stages[name] = _stage_array(_required(obj, name, path), where, codes)
            if stages[name] is not None and end is not None:
                _check_epoch_count(stages[name], where, start, end)
        return cls(
            id=_string(_required(obj, "id", path), f"{path}.id"),
            state=_label(SessionState, _required(obj, "state", path), f"{path}.state"),
            start_time=start,
            end_time=end,
            unexpected_end_time=unexpected_end,
            created_timezone=_created_timezone(
                _required(obj, "created_timezone", path), f"{path}.created_timezone"
            ),
            **stages,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Session):
            return NotImplemented
        return (
            self.id == other.id
            and self.state == other.state
            and self.start_time == other.start_time
            and self.end_time == other.end_time
            and self.unexpected_end_time == other.unexpected_end_time
            and self.created_timezone == other.created_timezone
            and _arrays_equal(self.sleep_stages, other.sleep_stages)
            and _arrays_equal(self.breath_stages, other.breath_stages)
            and _arrays_equal(self.snoring_stages, other.snoring_stages)
        )

    def __hash__(self) -> int:
        return hash((self.id, self.state, self.start_time, self.end_time))

    def __repr__(self) -> str:
        def stages(a: np.ndarray | None) -> str:
            return "None" if a is None else f"<{len(a)} epochs>"

        return (
            f"Session(id={self.id!r}, state={self.state!s}, start_time={_iso(self.start_time)}, "
            f"end_time={_iso(self.end_time)}, unexpected_end_time={_iso(self.unexpected_end_time)}, "
            f"created_timezone={self.created_timezone!r}, sleep_stages={stages(self.sleep_stages)}, "
            f"breath_stages={stages(self.breath_stages)}, snoring_stages={stages(self.snoring_stages)})"
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


_STAT_PARSERS: dict[str, Callable[[object, str], Any]] = {
    "time": _time,
    "duration": _integer,
    "count": _integer,
    "ratio": _ratio,
    "index": _number,
    "text": lambda value, path: _string(value, path, nullable=True),
    "time_list": _time_list,
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
    >>> raw = json.load(open("data/published_example.json"))["data"]["stat"]  # doctest: +SKIP
    >>> stat = Stat.from_payload(raw)  # doctest: +SKIP
    >>> stat.time_in_sleep, stat.sleep_efficiency, stat.to_dict() == raw  # doctest: +SKIP
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
        obj = _object(stat, path)
        values = {}
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


@dataclass(frozen=True, slots=True)
class SessionResult(_KeepsPayload):
    """The ``result`` of Get Session (or the ``data`` of a ``SESSION_COMPLETE`` webhook).

    Attributes
    ----------
    timezone
        IANA name of the zone the times are expressed in.
    peculiarities
        Tuple of :class:`Peculiarity`.
    missing_data_ratio
        Share of the night lost to missing audio, or ``None``.
    session
        :class:`Session`.
    stat
        :class:`Stat`, or ``None`` (in progress, too short, too many defects).
    user_id
        The owner: set by :meth:`from_webhook` and by ``Client.get_session``,
        else ``None``.
    payload
        The result object the record was built from, as a read-only mapping
        (not copied; for a webhook, ``data`` without ``user_id``). Archive it
        with ``json.dumps(dict(result.payload))``.

    Examples
    --------
    >>> import json
    >>> body = json.load(open("data/published_example.json"))  # doctest: +SKIP
    >>> result = SessionResult.from_webhook(body)  # doctest: +SKIP
    >>> result.state, result.is_valid, result.is_two_stage  # doctest: +SKIP
    (<SessionState.COMPLETE: 'COMPLETE'>, True, False)
    """

    timezone: str
    peculiarities: tuple[Peculiarity, ...]
    missing_data_ratio: float | None
    session: Session
    stat: Stat | None
    user_id: str | None = None
    _payload: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, result: Mapping[str, Any]) -> SessionResult:
        """Build from a Get Session ``result`` object.

        Parameters
        ----------
        result
            The ``result`` of the response (a ``dict`` from ``json.loads``).

        Returns
        -------
        SessionResult
            With ``user_id`` ``None`` (Get Session does not return it), unless
            the object carries one: a webhook's ``data`` object, or a file of
            the stand-in's data folder, is a result plus ``user_id``.

        Raises
        ------
        PayloadError
            See the table in :mod:`asleep_nb.api.records`.
        """
        user_id = result.get("user_id") if isinstance(result, Mapping) else None
        if user_id is not None:
            user_id = _string(user_id, "user_id")
        return _parse_result(result, "", user_id=user_id)

    @classmethod
    def from_webhook(cls, body: Mapping[str, Any]) -> SessionResult:
        """Build from a saved ``SESSION_COMPLETE`` webhook body.

        The record equals the one Get Session gives for the same session,
        plus ``user_id`` from ``data.user_id``. Error paths start with
        ``data.``.

        Raises
        ------
        PayloadError
            When the body is not a ``SESSION_COMPLETE`` event or ``data``
            breaks the contract.
        """
        obj = _object(body, "body")
        event = obj.get("event")
        if event != "SESSION_COMPLETE":
            raise PayloadError("event", f"expected 'SESSION_COMPLETE', got {_describe(event)}")
        version = obj.get("version")
        if version is not None and version != "V3":
            warnings.warn(f"version: {version!r} read as 'V3'", PayloadWarning, stacklevel=2)
        data = _object(_required(obj, "data", ""), "data")
        user_id = _string(_required(data, "user_id", "data"), "data.user_id")
        result = {key: value for key, value in data.items() if key != "user_id"}
        return _parse_result(result, "data", user_id=user_id)

    @property
    def state(self) -> SessionState:
        """``session.state``."""
        return self.session.state

    @property
    def is_valid(self) -> bool:
        """``False`` under ``TOO_SHORT_FOR_ANALYSIS`` or ``TOO_MANY_DEFECTS_IN_SLEEP_STAGES``."""
        return schema.INVALID_PECULIARITIES.isdisjoint(self.peculiarities)

    @property
    def is_two_stage(self) -> bool:
        """Whether the stat is a two-stage contract's (present, with ``time_in_light`` null)."""
        return self.stat is not None and self.stat.time_in_light is None


def _parse_result(result: Mapping[str, Any], prefix: str, *, user_id: str | None) -> SessionResult:
    obj = _object(result, prefix or "result")
    peculiarities = _labels(
        Peculiarity, _required(obj, "peculiarities", prefix), _join(prefix, "peculiarities")
    )
    session = Session.from_payload(_required(obj, "session", prefix), path=_join(prefix, "session"))
    raw_stat = _required(obj, "stat", prefix)
    stat_path = _join(prefix, "stat")
    stat = None if raw_stat is None else Stat.from_payload(raw_stat, path=stat_path)
    null_reasons = schema.STAT_NULL_PECULIARITIES.intersection(peculiarities)
    if stat is not None and null_reasons:
        warnings.warn(
            f"{stat_path}: present although peculiarities hold {', '.join(sorted(null_reasons))}, "
            "under which the contract says it is null; kept as sent",
            PayloadWarning,
            stacklevel=3,
        )
    elif stat is None and not null_reasons and session.state == SessionState.COMPLETE:
        warnings.warn(
            f"{stat_path}: null although the session is COMPLETE and no peculiarity explains it",
            PayloadWarning,
            stacklevel=3,
        )
    return SessionResult(
        timezone=_zone_name(_required(obj, "timezone", prefix), _join(prefix, "timezone")),
        peculiarities=peculiarities,
        missing_data_ratio=_ratio(
            _required(obj, "missing_data_ratio", prefix), _join(prefix, "missing_data_ratio")
        ),
        session=session,
        stat=stat,
        user_id=user_id,
        _payload=obj,
    )


# --------------------------------------------------------------------------- List Sessions


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One item of List Sessions' ``sleep_session_list``.

    Attributes
    ----------
    session_id, state
        The session id and :class:`SessionState`.
    session_start_time, session_end_time, unexpected_end_time
        Aware ``datetime`` (end ``None`` while ``OPEN``).
    created_timezone
        IANA zone name or ``None``.
    last_received_seq_num
        Sequence number of the last uploaded chunk, or ``None``.
    time_in_bed
        Seconds, or ``None``.

    Examples
    --------
    >>> item = SessionSummary.from_payload({
    ...     "session_id": "20250115025029_fvivn", "state": "COMPLETE",
    ...     "session_start_time": "2025-01-15T02:50:29+00:00",
    ...     "session_end_time": "2025-01-15T03:50:29+00:00", "created_timezone": "UTC",
    ...     "unexpected_end_time": None, "last_received_seq_num": 119, "time_in_bed": 3600})
    >>> item.session_start_time.isoformat(), item.time_in_bed
    ('2025-01-15T02:50:29+00:00', 3600)
    """

    session_id: str
    state: SessionState
    session_start_time: datetime
    session_end_time: datetime | None
    created_timezone: str | None
    unexpected_end_time: datetime | None
    last_received_seq_num: int | None
    time_in_bed: int | None

    @classmethod
    def from_payload(cls, item: Mapping[str, Any], *, path: str = "item") -> SessionSummary:
        """Build from one list item (every documented key must be present).

        Raises
        ------
        PayloadError
            A key missing, a wrong type, or the end before the start.
        """
        obj = _object(item, path)
        start = _required_time(_required(obj, "session_start_time", path), f"{path}.session_start_time")
        end = _time(_required(obj, "session_end_time", path), f"{path}.session_end_time")
        _not_before(end, start, f"{path}.session_end_time", "session_start_time")
        return cls(
            session_id=_string(_required(obj, "session_id", path), f"{path}.session_id"),
            state=_label(SessionState, _required(obj, "state", path), f"{path}.state"),
            session_start_time=start,
            session_end_time=end,
            created_timezone=_created_timezone(
                _required(obj, "created_timezone", path), f"{path}.created_timezone"
            ),
            unexpected_end_time=_time(
                _required(obj, "unexpected_end_time", path), f"{path}.unexpected_end_time"
            ),
            last_received_seq_num=_integer(
                _required(obj, "last_received_seq_num", path), f"{path}.last_received_seq_num"
            ),
            time_in_bed=_integer(_required(obj, "time_in_bed", path), f"{path}.time_in_bed"),
        )


# --------------------------------------------------------------------------- Get User


@dataclass(frozen=True, slots=True)
class LastSessionInfo:
    """``last_session_info`` of Get User (absent keys read as ``None``).

    Examples
    --------
    >>> info = LastSessionInfo.from_payload({"session_id": "s1", "state": "OPEN",
    ...                                      "start_time": "2025-01-15T02:50:29+00:00"})
    >>> info.state, info.end_time
    (<SessionState.OPEN: 'OPEN'>, None)
    """

    session_id: str | None
    state: SessionState | None
    start_time: datetime | None
    end_time: datetime | None
    unexpected_end_time: datetime | None

    @classmethod
    def from_payload(cls, info: Mapping[str, Any], *, path: str = "last_session_info") -> LastSessionInfo:
        """Build from the JSON object; raises :class:`PayloadError` on wrong types."""
        obj = _object(info, path)
        state = obj.get("state")
        return cls(
            session_id=_string(obj.get("session_id"), f"{path}.session_id", nullable=True),
            state=None if state is None else _label(SessionState, state, f"{path}.state"),
            start_time=_time(obj.get("start_time"), f"{path}.start_time"),
            end_time=_time(obj.get("end_time"), f"{path}.end_time"),
            unexpected_end_time=_time(obj.get("unexpected_end_time"), f"{path}.unexpected_end_time"),
        )


@dataclass(frozen=True, slots=True)
class UserMetadata:
    """``metadata`` of Get User (absent keys read as ``None``).

    ``gender`` is one of ``male``, ``female``, ``non_binary``, ``other``,
    ``prefer_not_to_say`` per the contract, kept as the string sent;
    ``height`` is in cm and ``weight`` in kg.

    Examples
    --------
    >>> UserMetadata.from_payload({"birth_year": 1990, "gender": "female", "height": 165.5}).height
    165.5
    """

    birth_year: int | None
    birth_month: int | None
    birth_day: int | None
    gender: str | None
    height: float | None
    weight: float | None

    @classmethod
    def from_payload(cls, metadata: Mapping[str, Any], *, path: str = "metadata") -> UserMetadata:
        """Build from the JSON object; raises :class:`PayloadError` on wrong types."""
        obj = _object(metadata, path)
        height = _number(obj.get("height"), f"{path}.height")
        weight = _number(obj.get("weight"), f"{path}.weight")
        return cls(
            birth_year=_integer(obj.get("birth_year"), f"{path}.birth_year"),
            birth_month=_integer(obj.get("birth_month"), f"{path}.birth_month"),
            birth_day=_integer(obj.get("birth_day"), f"{path}.birth_day"),
            gender=_string(obj.get("gender"), f"{path}.gender", nullable=True),
            height=None if height is None else float(height),
            weight=None if weight is None else float(weight),
        )


@dataclass(frozen=True, slots=True)
class User(_KeepsPayload):
    """The ``result`` of Get User.

    Attributes
    ----------
    user_id
        The user id.
    to_be_deleted
        ``bool``, or ``None`` when absent.
    last_session_info
        :class:`LastSessionInfo` or ``None``.
    metadata
        :class:`UserMetadata` or ``None``.
    payload
        The original result object, read-only.

    Examples
    --------
    >>> user = User.from_payload({"user_id": "G-20250115025029-vLErWBfQNtnfvgDccFOQ",
    ...                           "to_be_deleted": False, "last_session_info": None,
    ...                           "metadata": {"birth_year": 1990}})
    >>> user.metadata.birth_year, user.last_session_info
    (1990, None)
    """

    user_id: str
    to_be_deleted: bool | None
    last_session_info: LastSessionInfo | None
    metadata: UserMetadata | None
    _payload: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, user: Mapping[str, Any]) -> User:
        """Build from a Get User ``result`` (only ``user_id`` is required).

        Raises
        ------
        PayloadError
            ``user_id`` missing, or a wrong type anywhere.
        """
        obj = _object(user, "result")
        info = _object(obj.get("last_session_info"), "last_session_info", nullable=True)
        metadata = _object(obj.get("metadata"), "metadata", nullable=True)
        return cls(
            user_id=_string(_required(obj, "user_id", ""), "user_id"),
            to_be_deleted=_boolean(obj.get("to_be_deleted"), "to_be_deleted"),
            last_session_info=None if info is None else LastSessionInfo.from_payload(info),
            metadata=None if metadata is None else UserMetadata.from_payload(metadata),
            _payload=obj,
        )


# --------------------------------------------------------------------------- Average Stats


@dataclass(frozen=True, slots=True)
class AverageStats(_KeepsPayload):
    """The ``result`` of the average-stats endpoint.

    The vendor documents this object loosely, so its parts are kept as the
    JSON sent, behind read-only views: ``average_stats`` holds the means over
    slept sessions (clock times such as ``sleep_time`` as ``"hh:mm:ss"``
    strings, ratios with three decimals); ``slept_sessions`` and
    ``never_slept_sessions`` hold one entry per session.

    Attributes
    ----------
    period
        Read-only mapping (or the value sent, e.g. ``None``).
    peculiarities
        Tuple of :class:`Peculiarity`.
    average_stats
        Read-only mapping, or ``None``.
    never_slept_sessions, slept_sessions
        Tuples of entries (objects as read-only mappings).
    payload
        The original result object, read-only.

    Examples
    --------
    >>> avg = AverageStats.from_payload({
    ...     "period": {"start_date": "2025-01-01", "end_date": "2025-01-31"},
    ...     "peculiarities": [], "average_stats": {"time_in_sleep": 25200},
    ...     "never_slept_sessions": [], "slept_sessions": [{"session_id": "s1"}]})
    >>> avg.average_stats["time_in_sleep"], len(avg.slept_sessions)
    (25200, 1)
    """

    period: Any
    peculiarities: tuple[Peculiarity, ...]
    average_stats: Mapping[str, Any] | None
    never_slept_sessions: tuple[Any, ...]
    slept_sessions: tuple[Any, ...]
    _payload: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(cls, result: Mapping[str, Any]) -> AverageStats:
        """Build from the ``result`` object (absent parts read as empty or ``None``).

        Raises
        ------
        PayloadError
            A part of the wrong JSON type.
        """
        obj = _object(result, "result")
        averages = _object(obj.get("average_stats"), "average_stats", nullable=True)
        lists = {}
        for name in ("never_slept_sessions", "slept_sessions"):
            value = obj.get(name, [])
            if value is None:
                value = []
            if not isinstance(value, list | tuple):
                raise PayloadError(name, f"expected an array, got {_describe(value)}")
            lists[name] = tuple(_frozen(entry) for entry in value)
        return cls(
            period=_frozen(obj.get("period")),
            peculiarities=_labels(Peculiarity, obj.get("peculiarities", []), "peculiarities"),
            average_stats=None if averages is None else _ReadOnlyMapping(averages),
            _payload=obj,
            **lists,
        )
