"""Average Stats: the means over a user's slept sessions of a period (:class:`AverageStats`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asleep_nb.api.records._parse import KeepsPayload, ReadOnlyMapping, as_object, describe, frozen_view
from asleep_nb.api.records.labels import Peculiarity, as_labels
from asleep_nb.errors import PayloadError

__all__ = ["AverageStats"]


@dataclass(frozen=True, slots=True)
class AverageStats(KeepsPayload):
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
        obj = as_object(result, "result")
        averages = as_object(obj.get("average_stats"), "average_stats", nullable=True)
        lists = {}
        for name in ("never_slept_sessions", "slept_sessions"):
            value = obj.get(name, [])
            if value is None:
                value = []
            if not isinstance(value, list | tuple):
                raise PayloadError(name, f"expected an array, got {describe(value)}")
            lists[name] = tuple(frozen_view(entry) for entry in value)
        return cls(
            period=frozen_view(obj.get("period")),
            peculiarities=as_labels(Peculiarity, obj.get("peculiarities", []), "peculiarities"),
            average_stats=None if averages is None else ReadOnlyMapping(averages),
            _payload=obj,
            **lists,
        )
