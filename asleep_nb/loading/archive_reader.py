"""An archive as a read-only, offline client: sessions come from its verified files, never the network.

:class:`ArchiveReader` answers ``get_session`` and ``list_sessions`` the way
:class:`asleep_nb.Client` does, so anything that takes a client (a report,
:func:`~asleep_nb.loading.load.expand_manifest`,
:func:`~asleep_nb.loading.fetch.fetch_sessions`) runs offline on an archive.

Examples
--------
>>> import tempfile
>>> from asleep_nb.loading.archive import Archive
>>> reader = ArchiveReader(Archive(tempfile.mkdtemp()))
>>> reader.list_sessions("G-20250115025029-vLErWBfQNtnfvgDccFOQ")
Traceback (most recent call last):
...
asleep_nb.errors.UserNotFound: user G-20250115025029-vLErWBfQNtnfvgDccFOQ has no session in the archive
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from asleep_nb.errors import ArchiveCorrupt, SessionNotFound, UserNotFound

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.api.records import SessionResult
    from asleep_nb.loading.archive import Archive

__all__ = ["ArchiveReader", "ArchivedSession"]


class ArchivedSession(NamedTuple):
    """What :meth:`ArchiveReader.list_sessions` lists of one archived session."""

    session_id: str
    start_time: Any


class ArchiveReader:
    """A read-only, offline client: sessions come from an archive, never from the network.

    Only what a report needs: :meth:`get_session` and :meth:`list_sessions`.
    A session that is not archived (in the zone asked) raises
    :class:`~asleep_nb.errors.SessionNotFound`, a user without any archived
    session :class:`~asleep_nb.errors.UserNotFound`, a file that fails its
    SHA-256 check :class:`~asleep_nb.loading.archive.ArchiveCorrupt`.

    Parameters
    ----------
    archive
        An opened archive.

    Examples
    --------
    >>> reader = ArchiveReader(open_archive("study"))
    >>> user = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
    >>> reader.get_session("20250115025029_fvivn", user_id=user).stat.time_in_sleep
    1080
    """

    def __init__(self, archive: Archive) -> None:
        # not named ``archive``: fetch_sessions would take the reader for a client with an archive
        self.store = archive

    def get_session(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> SessionResult:
        """The archived session in ``timezone``, verified against the archive's manifest."""
        entry = self.store.entry(session_id, timezone)
        if entry is None:
            zones = sorted(e.timezone for e in self.store.entries() if e.session_id == session_id)
            if not zones:
                raise SessionNotFound(None, f"session {session_id} is not in the archive")
            raise SessionNotFound(
                None, f"session {session_id} is archived in zone(s) {', '.join(zones)}, not in {timezone}"
            )
        if entry.user_id != user_id:
            raise SessionNotFound(None, f"session {session_id} is archived for user {entry.user_id}")
        return self.store.read(session_id, timezone)

    def list_sessions(
        self,
        user_id: str,
        *,
        date_gte: date | str | None = None,
        date_lte: date | str | None = None,
        order_by: str = "ASC",
        timezone: str = "UTC",
    ) -> list[ArchivedSession]:
        """The user's sessions archived in ``timezone`` whose local start date is in the range.

        A session whose file fails verification is listed (its date unknown,
        last), so that :meth:`get_session` reports it instead of it vanishing.
        """
        entries = [e for e in self.store.entries() if e.user_id == user_id]
        if not entries:
            raise UserNotFound(None, f"user {user_id} has no session in the archive")
        low, high = (date.fromisoformat(str(d)) if d else None for d in (date_gte, date_lte))
        listed, unreadable = [], []
        for entry in entries:
            if entry.timezone != timezone:
                continue
            try:
                start = self.store.read(entry.session_id, timezone).session.start_time
            except ArchiveCorrupt:
                unreadable.append(ArchivedSession(entry.session_id, None))
                continue
            if (low is None or start.date() >= low) and (high is None or start.date() <= high):
                listed.append(ArchivedSession(entry.session_id, start))
        listed.sort(key=lambda s: s.start_time, reverse=order_by == "DESC")
        return listed + unreadable

    def close(self) -> None:
        """Nothing to release (present so the reader can stand in for a client)."""
