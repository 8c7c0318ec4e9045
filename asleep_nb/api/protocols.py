"""What the layers above ask of a client, as structural types.

Loading, archives and the explorers accept any object with the right
methods, not only :class:`~asleep_nb.api.client.Client`: an archive-backed
client (:meth:`asleep_nb.loading.archive.Archive.wrap`) or a test double
works as well. These protocols name those methods for type checkers; they
are never checked at run time.

Examples
--------
>>> from asleep_nb.api.client import Client
>>> from asleep_nb.api.protocols import SessionSource
>>> def night_length(client: SessionSource, session_id: str, user_id: str) -> int:
...     return len(client.get_session(session_id, user_id=user_id).session.sleep_stages)
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Protocol

from asleep_nb.api.records import SessionResult, SessionSummary

__all__ = ["SessionSource", "PayloadSource", "SessionLister", "FetchClient", "CohortClient"]


class SessionSource(Protocol):
    """Anything with :meth:`Client.get_session <asleep_nb.api.client.Client.get_session>`."""

    def get_session(self, session_id: str, *, user_id: str, timezone: str = ...) -> SessionResult:
        """One session as a record."""
        ...


class PayloadSource(Protocol):
    """Anything with :meth:`Client.get_session_payload <asleep_nb.api.client.Client.get_session_payload>`."""

    def get_session_payload(self, session_id: str, *, user_id: str, timezone: str = ...) -> dict[str, Any]:
        """One session's raw ``result`` object."""
        ...


class SessionLister(Protocol):
    """Anything with :meth:`Client.list_sessions <asleep_nb.api.client.Client.list_sessions>`."""

    def list_sessions(
        self,
        user_id: str,
        *,
        date_gte: date | str | None = ...,
        date_lte: date | str | None = ...,
        order_by: Literal["ASC", "DESC"] = ...,
        timezone: str = ...,
    ) -> list[SessionSummary]:
        """Every session of a user."""
        ...


class FetchClient(SessionSource, PayloadSource, Protocol):
    """A client sessions can be fetched with, into an archive or not."""


class CohortClient(FetchClient, SessionLister, Protocol):
    """A client a cohort manifest can be loaded with (sessions listed, then fetched)."""
