"""Get Session: ``result.session`` (:class:`Session`) and the whole ``result`` (:class:`SessionResult`).

A saved ``SESSION_COMPLETE`` webhook body is one more way to get the same
record (:meth:`SessionResult.from_webhook`).

Examples
--------
>>> import json
>>> from asleep_nb.api.records import SessionResult
>>> body = json.load(open("data/published_example.json"))
>>> SessionResult.from_webhook(body).session.id
'20250115025029_fvivn'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asleep_nb import definitions as schema
from asleep_nb.api.records._parse import (
    KeepsPayload,
    as_created_timezone,
    as_object,
    as_ratio,
    as_required_time,
    as_string,
    as_time,
    as_zone_name,
    check_not_before,
    describe,
    join_path,
    required,
)
from asleep_nb.api.records.bounds import check_stat_bounds, contract_warnings, session_seconds
from asleep_nb.api.records.labels import Peculiarity, SessionState, as_label, as_labels
from asleep_nb.api.records.stages import (
    STAGE_CODES,
    StageArray,
    arrays_equal,
    as_stage_array,
    check_epoch_count,
)
from asleep_nb.api.records.stat import Stat
from asleep_nb.errors import ContractWarning, PayloadError, PayloadWarning

__all__ = ["Session", "SessionResult"]


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
    sleep_stages: StageArray | None
    breath_stages: StageArray | None
    snoring_stages: StageArray | None

    @classmethod
    def from_payload(
        cls, session: Mapping[str, Any], *, path: str = "session", no_booleans: bool = False
    ) -> Session:
        """Build from the ``session`` object of a Get Session result.

        Parameters
        ----------
        session
            The JSON object.
        path
            Dotted path of the object, used in error messages.
        no_booleans
            The caller knows the object holds no JSON ``true`` or ``false``
            (its text has neither word): stage arrays skip their per-element
            type pass (:func:`~asleep_nb.api.records.stages.as_stage_array`).

        Raises
        ------
        PayloadError
            See the table in :mod:`asleep_nb.api.records`.
        """
        obj = as_object(session, path)
        start = as_required_time(required(obj, "start_time", path), f"{path}.start_time")
        end = as_time(required(obj, "end_time", path), f"{path}.end_time")
        unexpected_end = as_time(required(obj, "unexpected_end_time", path), f"{path}.unexpected_end_time")
        for name, moment in (("end_time", end), ("unexpected_end_time", unexpected_end)):
            check_not_before(moment, start, f"{path}.{name}", "start_time")
        most_epochs = session_seconds(start, end, path) // schema.EPOCH_SECONDS + 1
        stages: dict[str, StageArray | None] = {}
        for name, codes in STAGE_CODES.items():
            where = f"{path}.{name}"
            value = required(obj, name, path)
            if end is None and isinstance(value, list) and len(value) > most_epochs:  # OPEN: no end_time
                raise PayloadError(where, f"has {len(value)} epochs, more than the session can hold")
            stages[name] = stage_array = as_stage_array(value, where, codes, no_booleans=no_booleans)
            if stage_array is not None and end is not None:
                check_epoch_count(stage_array, where, start, end)
        return cls(
            id=as_string(required(obj, "id", path), f"{path}.id"),
            state=as_label(SessionState, required(obj, "state", path), f"{path}.state"),
            start_time=start,
            end_time=end,
            unexpected_end_time=unexpected_end,
            created_timezone=as_created_timezone(
                required(obj, "created_timezone", path), f"{path}.created_timezone"
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
            and arrays_equal(self.sleep_stages, other.sleep_stages)
            and arrays_equal(self.breath_stages, other.breath_stages)
            and arrays_equal(self.snoring_stages, other.snoring_stages)
        )

    def __hash__(self) -> int:
        return hash((self.id, self.state, self.start_time, self.end_time))

    def __repr__(self) -> str:
        def stages(a: StageArray | None) -> str:
            return "None" if a is None else f"<{len(a)} epochs>"

        return (
            f"Session(id={self.id!r}, state={self.state!s}, start_time={_iso(self.start_time)}, "
            f"end_time={_iso(self.end_time)}, unexpected_end_time={_iso(self.unexpected_end_time)}, "
            f"created_timezone={self.created_timezone!r}, sleep_stages={stages(self.sleep_stages)}, "
            f"breath_stages={stages(self.breath_stages)}, snoring_stages={stages(self.snoring_stages)})"
        )


@dataclass(frozen=True, slots=True)
class SessionResult(KeepsPayload):
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
        (not copied; for a webhook, ``data`` without ``user_id``). A record
        built with its JSON ``text`` (read from an archive) keeps only those
        bytes and parses them again on each access. Archive it with
        ``json.dumps(dict(result.payload))``.

    Examples
    --------
    >>> import json
    >>> body = json.load(open("data/published_example.json"))
    >>> result = SessionResult.from_webhook(body)
    >>> result.state, result.is_valid, result.is_two_stage
    (<SessionState.COMPLETE: 'COMPLETE'>, True, False)
    """

    timezone: str
    peculiarities: tuple[Peculiarity, ...]
    missing_data_ratio: float | None
    session: Session
    stat: Stat | None
    user_id: str | None = None
    _payload: Mapping[str, Any] | bytes = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_payload(
        cls, result: Mapping[str, Any], *, user_id: str | None = None, text: bytes | None = None
    ) -> SessionResult:
        """Build from a Get Session ``result`` object.

        Parameters
        ----------
        result
            The ``result`` of the response (a ``dict`` from ``json.loads``).
        user_id
            The owner, when the caller knows it (the request's ``x-user-id``,
            an archive's manifest line).
        text
            The JSON text ``result`` was parsed from, when the caller holds
            it: the record keeps these bytes instead of ``result`` (see
            :class:`~asleep_nb.api.records._parse.KeepsPayload`). They must
            be that object's text; the archive passes a file it has just
            parsed.

        Returns
        -------
        SessionResult
            With ``user_id`` as given, else the object's own (a webhook's
            ``data`` object, or a file of the stand-in's data folder, is a
            result plus ``user_id``), else ``None`` (Get Session does not
            return it).

        Raises
        ------
        PayloadError
            See the table in :mod:`asleep_nb.api.records`; also when the
            object's ``user_id`` differs from the one given.
        """
        own = result.get("user_id") if isinstance(result, Mapping) else None
        if own is not None:
            own = as_string(own, "user_id")
            if user_id is not None and own != user_id:
                raise PayloadError("user_id", f"the object belongs to {own!r}, not to {user_id!r}")
        return _parse_result(result, "", user_id=user_id if user_id is not None else own, text=text)

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
        obj = as_object(body, "body")
        event = obj.get("event")
        if event != "SESSION_COMPLETE":
            raise PayloadError("event", f"expected 'SESSION_COMPLETE', got {describe(event)}")
        version = obj.get("version")
        if version is not None and version != "V3":
            warnings.warn(f"version: {version!r} read as 'V3'", PayloadWarning, stacklevel=2)
        data = as_object(required(obj, "data", ""), "data")
        user_id = as_string(required(data, "user_id", "data"), "data.user_id")
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


def _parse_result(
    result: Mapping[str, Any], prefix: str, *, user_id: str | None, text: bytes | None = None
) -> SessionResult:
    obj = as_object(result, prefix or "result")
    peculiarities = as_labels(
        Peculiarity, required(obj, "peculiarities", prefix), join_path(prefix, "peculiarities")
    )
    no_booleans = text is not None and b"true" not in text and b"false" not in text
    session = Session.from_payload(
        required(obj, "session", prefix), path=join_path(prefix, "session"), no_booleans=no_booleans
    )
    raw_stat = required(obj, "stat", prefix)
    stat_path = join_path(prefix, "stat")
    stat = None if raw_stat is None else Stat.from_payload(raw_stat, path=stat_path)
    if stat is not None:
        check_stat_bounds(stat, session.start_time, session.end_time, stat_path)
    null_reasons = schema.STAT_NULL_PECULIARITIES.intersection(peculiarities)
    if stat is not None and null_reasons:
        warnings.warn(
            f"{stat_path}: present although peculiarities hold {', '.join(sorted(null_reasons))}, "
            "under which the contract says it is null; kept as sent",
            ContractWarning,
            stacklevel=3,
        )
    if stat is not None:
        start, end = session.start_time, session.end_time
        state = SessionState.COMPLETE if null_reasons else session.state  # said once, just above
        stages = session.sleep_stages
        no_signal = stages is not None and bool((stages == -1).any())
        contract_warnings(stat, state, start, end, stat_path, 4, session.id, no_signal)
    elif stat is None and not null_reasons and session.state == SessionState.COMPLETE:
        warnings.warn(
            f"{stat_path}: null although the session is COMPLETE and no peculiarity explains it",
            PayloadWarning,
            stacklevel=3,
        )
    return SessionResult(
        timezone=as_zone_name(required(obj, "timezone", prefix), join_path(prefix, "timezone")),
        peculiarities=peculiarities,
        missing_data_ratio=as_ratio(
            required(obj, "missing_data_ratio", prefix), join_path(prefix, "missing_data_ratio")
        ),
        session=session,
        stat=stat,
        user_id=user_id,
        _payload=obj if text is None else text,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
