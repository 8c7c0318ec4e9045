"""List Sessions: one item of ``sleep_session_list`` (:class:`SessionSummary`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asleep_nb.api.records._parse import (
    as_created_timezone,
    as_integer,
    as_object,
    as_required_time,
    as_string,
    as_time,
    check_not_before,
    required,
)
from asleep_nb.api.records.labels import SessionState, as_label

__all__ = ["SessionSummary"]


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
        obj = as_object(item, path)
        start = as_required_time(required(obj, "session_start_time", path), f"{path}.session_start_time")
        end = as_time(required(obj, "session_end_time", path), f"{path}.session_end_time")
        check_not_before(end, start, f"{path}.session_end_time", "session_start_time")
        return cls(
            session_id=as_string(required(obj, "session_id", path), f"{path}.session_id"),
            state=as_label(SessionState, required(obj, "state", path), f"{path}.state"),
            session_start_time=start,
            session_end_time=end,
            created_timezone=as_created_timezone(
                required(obj, "created_timezone", path), f"{path}.created_timezone"
            ),
            unexpected_end_time=as_time(
                required(obj, "unexpected_end_time", path), f"{path}.unexpected_end_time"
            ),
            last_received_seq_num=as_integer(
                required(obj, "last_received_seq_num", path), f"{path}.last_received_seq_num"
            ),
            time_in_bed=as_integer(required(obj, "time_in_bed", path), f"{path}.time_in_bed"),
        )
