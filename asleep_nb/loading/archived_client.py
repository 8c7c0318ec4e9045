"""A client that reads sessions through an archive: what :meth:`Archive.wrap` returns.

Examples
--------
>>> from asleep_nb.loading.archive import Archive
>>> archived = Archive("study").wrap(client)
>>> archived.get_session("20250115025029_fvivn",
...                      user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ").stat.time_in_sleep
1080
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asleep_nb.api.protocols import PayloadSource
from asleep_nb.api.records import SessionResult

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.loading.archive import Archive

__all__ = ["ArchivedClient"]


class ArchivedClient:
    """A client whose :meth:`get_session` reads through an :class:`Archive` (see :meth:`Archive.wrap`).

    ``COMPLETE`` sessions come from the archive once stored; everything else
    is fetched with ``client`` and archived. Every other attribute
    (``list_sessions``, ``get_user``, ``close``, ...) is ``client``'s own.

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client` (or anything with ``get_session_payload``).
    archive
        The archive to consult and fill.
    """

    def __init__(self, client: PayloadSource, archive: Archive) -> None:
        self.client = client
        self.archive = archive

    def __repr__(self) -> str:
        return f"ArchivedClient({self.client!r}, {self.archive!r})"

    def get_session(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> SessionResult:
        """:meth:`asleep_nb.Client.get_session` through the archive (see :meth:`Archive.fetch`)."""
        return self.archive.fetch(self.client, session_id, user_id=user_id, timezone=timezone)

    def get_session_payload(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> dict[str, Any]:
        """The wrapped client's :meth:`~asleep_nb.Client.get_session_payload` (not through the archive)."""
        return self.client.get_session_payload(session_id, user_id=user_id, timezone=timezone)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def __enter__(self) -> ArchivedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        close = getattr(self.client, "close", None)
        if close is not None:
            close()
