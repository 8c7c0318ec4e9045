"""Get User: the user (:class:`User`), its ``last_session_info`` and ``metadata``.

The vendor documents this object loosely: only ``user_id`` is required, and
absent optional keys read as ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asleep_nb.api.records._parse import (
    KeepsPayload,
    as_boolean,
    as_integer,
    as_number,
    as_object,
    as_string,
    as_time,
    required,
)
from asleep_nb.api.records.labels import SessionState, as_label

__all__ = ["LastSessionInfo", "UserMetadata", "User"]


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
        obj = as_object(info, path)
        state = obj.get("state")
        return cls(
            session_id=as_string(obj.get("session_id"), f"{path}.session_id", nullable=True),
            state=None if state is None else as_label(SessionState, state, f"{path}.state"),
            start_time=as_time(obj.get("start_time"), f"{path}.start_time"),
            end_time=as_time(obj.get("end_time"), f"{path}.end_time"),
            unexpected_end_time=as_time(obj.get("unexpected_end_time"), f"{path}.unexpected_end_time"),
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
        obj = as_object(metadata, path)
        height = as_number(obj.get("height"), f"{path}.height")
        weight = as_number(obj.get("weight"), f"{path}.weight")
        return cls(
            birth_year=as_integer(obj.get("birth_year"), f"{path}.birth_year"),
            birth_month=as_integer(obj.get("birth_month"), f"{path}.birth_month"),
            birth_day=as_integer(obj.get("birth_day"), f"{path}.birth_day"),
            gender=as_string(obj.get("gender"), f"{path}.gender", nullable=True),
            height=None if height is None else float(height),
            weight=None if weight is None else float(weight),
        )


@dataclass(frozen=True, slots=True)
class User(KeepsPayload):
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
        obj = as_object(user, "result")
        info = as_object(obj.get("last_session_info"), "last_session_info", nullable=True)
        metadata = as_object(obj.get("metadata"), "metadata", nullable=True)
        return cls(
            user_id=as_string(required(obj, "user_id", ""), "user_id"),
            to_be_deleted=as_boolean(obj.get("to_be_deleted"), "to_be_deleted"),
            last_session_info=None if info is None else LastSessionInfo.from_payload(info),
            metadata=None if metadata is None else UserMetadata.from_payload(metadata),
            _payload=obj,
        )
