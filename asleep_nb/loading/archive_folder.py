"""The files of a local archive: verified reads and guarded writes, no network.

:class:`ArchiveFolder` is the storage half of :class:`~asleep_nb.loading.archive.Archive`
(which adds fetching through a client and building cohorts); the folder
layout, the manifest and the rules are described in :mod:`asleep_nb.loading.archive`.

Examples
--------
>>> import tempfile
>>> folder = ArchiveFolder(tempfile.mkdtemp())
>>> folder.file_for("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ", "Asia/Seoul").name
'20250115025029_fvivn@Asia~Seoul.json'
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from asleep_nb.api.identity import session_identity
from asleep_nb.api.jsonbytes import dumps
from asleep_nb.api.records import SessionResult
from asleep_nb.errors import (
    ArchiveConflict,
    ArchiveCorrupt,
    ArchiveUnwritable,
    ArchiveWarning,
    IdentityMismatch,
    PayloadError,
)
from asleep_nb.loading.archive_layout import SESSIONS_DIR, InsideReader, folder_for, relative_file, zone_token
from asleep_nb.loading.archive_manifest import MANIFEST_FIELDS, MANIFEST_NAME, ArchiveEntry, ArchiveManifest
from asleep_nb.loading.archive_verify import read_verified
from asleep_nb.loading.atomic import FolderLock, StagedFile, remove_stale

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ArchiveFolder", "OnCorrupt", "zone_token"]

logger = logging.getLogger("asleep_nb.loading.archive")

#: What to do with a corrupt archived file when reading many: raise, or skip it with a warning.
OnCorrupt = Literal["raise", "skip"]


class ArchiveFolder:
    """An archive folder's files and manifest (see :class:`~asleep_nb.loading.archive.Archive`).

    Thread-safe, and safe with other processes filling the same folder: each
    write holds the folder's lock (:class:`~asleep_nb.loading.atomic.FolderLock`)
    while it checks what is stored, places the file and appends its line. A
    read-only folder opens for reading (nothing is created until a write).
    The parameters (``path``, ``create``) are described on :class:`~asleep_nb.loading.archive.Archive`.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        manifest = self.path / MANIFEST_NAME
        try:
            if not self.path.is_dir():
                if not create:
                    raise FileNotFoundError(f"no archive folder at {os.fspath(path)!r}")
                self.path.mkdir(parents=True, exist_ok=True)
            elif not create and not manifest.is_file():
                raise FileNotFoundError(f"{os.fspath(path)!r} is not an archive: it has no {MANIFEST_NAME}")
            self._manifest = ArchiveManifest(manifest, create=create)
        except (PermissionError, OSError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise ArchiveUnwritable.from_os_error(self.path, exc) from None
        self._lock = FolderLock(self.path)
        self._swept = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({os.fspath(self.path)!r}, sessions={len(self)})"

    # ------------------------------------------------------------------ manifest
    def entries(self) -> list[ArchiveEntry]:
        """Every archived payload's manifest entry (latest per session and zone), sorted.

        Examples
        --------
        >>> entries = archive.entries()
        >>> len(entries), "20250115025029_fvivn" in {e.session_id for e in entries}
        (81, True)
        """
        return self._manifest.entries()

    def __len__(self) -> int:
        return len(self._manifest)

    def __iter__(self) -> Iterator[ArchiveEntry]:
        return iter(self.entries())

    def entry(self, session_id: str, timezone: str = "UTC") -> ArchiveEntry | None:
        """The manifest entry of a session in a zone, or ``None`` when not archived."""
        return self._manifest.get(session_id, timezone)

    @property
    def manifest(self) -> pd.DataFrame:
        """The manifest as a table, one row per archived (session, zone).

        Columns ``session_id``, ``user_id``, ``timezone``, ``state``,
        ``fetched_at`` (tz-aware UTC timestamps), ``sha256``, ``size``,
        ``file``.

        Examples
        --------
        >>> archive.manifest["state"].value_counts().to_dict()
        {'COMPLETE': 81}
        """
        import pandas as pd

        rows = [dataclasses.asdict(e) for e in self.entries()]
        table = pd.DataFrame(rows, columns=list(MANIFEST_FIELDS))
        table["fetched_at"] = pd.to_datetime(table["fetched_at"], utc=True)
        table["size"] = table["size"].astype("int64")
        return table

    # ------------------------------------------------------------------ reading
    def file_for(self, session_id: str, user_id: str, timezone: str = "UTC") -> Path:
        """Where the payload of a session in a zone is (or would be) stored.

        Raises
        ------
        asleep_nb.errors.InvalidIdentifier, asleep_nb.errors.InvalidTimezone
            For ids not in the contract's formats or an unknown zone.

        Examples
        --------
        >>> import tempfile
        >>> user = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
        >>> ArchiveFolder(tempfile.mkdtemp()).file_for("20250115025029_fvivn", user, "Asia/Seoul").name
        '20250115025029_fvivn@Asia~Seoul.json'
        """
        return self.path / relative_file(session_id, user_id, timezone)

    def read_bytes(self, entry: ArchiveEntry) -> bytes:
        """The bytes of an archived payload, checked against the manifest's size and SHA-256.

        Raises
        ------
        ArchiveCorrupt
            When the file is missing, unreadable, a link, reached through a
            link out of the archive, not where its entry's ids say, or its
            size or SHA-256 differ from the manifest.
        """
        return self._verified(entry)[0]

    def _verified(
        self, entry: ArchiveEntry, reader: InsideReader | None = None
    ) -> tuple[bytes, dict[str, Any]]:
        """Read a file once: its bytes and parsed payload, after every check against its entry."""
        return read_verified(self.path, entry, reader)

    def read_payload(self, session_id: str, timezone: str = "UTC") -> dict[str, Any]:
        """The archived ``result`` dict of a session in a zone, verified.

        Raises
        ------
        KeyError
            When that session and zone are not archived.
        ArchiveCorrupt
            When the file fails verification.

        Examples
        --------
        >>> archive.read_payload("20250115025029_fvivn")["session"]["state"]
        'COMPLETE'
        """
        return self._verified(self._entry_or_key_error(session_id, timezone))[1]

    def read(self, session_id: str, timezone: str = "UTC") -> SessionResult:
        """An archived session as a :class:`~asleep_nb.api.records.SessionResult` (``user_id`` set).

        Raises
        ------
        KeyError
            When not archived.
        ArchiveCorrupt
            When the file fails verification or no longer parses as a payload.

        Examples
        --------
        >>> archive.read("20250115025029_fvivn").stat.time_in_sleep
        1080
        """
        return self._record(self._entry_or_key_error(session_id, timezone))

    def _entry_or_key_error(self, session_id: str, timezone: str) -> ArchiveEntry:
        entry = self.entry(session_id, timezone)
        if entry is None:
            raise KeyError(f"session {session_id!r} in zone {timezone!r} is not in the archive")
        return entry

    def _record(self, entry: ArchiveEntry, reader: InsideReader | None = None) -> SessionResult:
        data, payload = self._verified(entry, reader)
        try:
            return SessionResult.from_payload(payload, user_id=entry.user_id, text=data)
        except PayloadError as exc:
            raise ArchiveCorrupt(self.path / entry.file, f"not a valid payload ({exc})") from None

    def cached(self, session_id: str, user_id: str, timezone: str = "UTC") -> SessionResult | None:
        """The archived copy when it is final (``COMPLETE``) and verifies, else ``None``.

        A corrupt copy is logged (warning) and treated as missing.

        Examples
        --------
        >>> archive.cached("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ").session.id
        '20250115025029_fvivn'
        """
        entry = self.entry(session_id, timezone)
        if entry is None or not entry.is_final or entry.user_id != user_id:
            return None
        try:
            return self._record(entry)
        except ArchiveCorrupt as exc:
            logger.warning("%s; it will be fetched again", exc)
            return None

    def records(self, *, on_corrupt: OnCorrupt = "raise") -> list[SessionResult]:
        """Every archived session as a record, sorted by user, session and zone. No network.

        Each file is read once: bytes, size and SHA-256 checked, parsed once,
        its session id and zone checked against its manifest line.

        Parameters
        ----------
        on_corrupt
            ``"raise"`` (default): the first corrupt file raises
            :class:`ArchiveCorrupt`; ``"skip"``: corrupt files are left out
            with an :class:`~asleep_nb.errors.ArchiveWarning` naming each.

        Examples
        --------
        >>> len(open_archive("study").records())
        81
        """
        out = []
        for _, record in self.read_entries(self.entries(), on_corrupt=on_corrupt, stacklevel=3):
            out.append(record)
        return out

    def read_entries(
        self, entries: Iterable[ArchiveEntry], *, on_corrupt: OnCorrupt = "raise", stacklevel: int = 2
    ) -> Iterator[tuple[ArchiveEntry, SessionResult]]:
        """The records of ``entries`` in their order, verified as in :meth:`records`, through one reader.

        Entries sorted by user (as :meth:`entries` gives them) open each user
        folder once (:class:`~asleep_nb.loading.archive_layout.InsideReader`).
        ``on_corrupt`` is as in :meth:`records`; ``stacklevel`` is the warnings'.

        Examples
        --------
        >>> sorted(e.session_id for e, _ in archive.read_entries(archive.entries()))[:2]
        ['20250103132806_etntv', '20250108131638_ujjwk']
        """
        if on_corrupt not in ("raise", "skip"):
            raise ValueError(f"on_corrupt must be 'raise' or 'skip', got {on_corrupt!r}")
        with InsideReader(self.path) as reader:
            for entry in entries:
                try:
                    record = self._record(entry, reader)
                except ArchiveCorrupt as exc:
                    if on_corrupt == "raise":
                        raise
                    warnings.warn(f"{exc}; skipped", ArchiveWarning, stacklevel=stacklevel)
                    continue
                yield entry, record

    # ------------------------------------------------------------------ writing
    def write(self, payload: Mapping[str, Any], *, user_id: str, timezone: str = "UTC") -> ArchiveEntry:
        """Archive one Get Session ``result``; return its manifest entry.

        A stored final (``COMPLETE``) copy is never replaced: the same payload
        again is a no-op returning the stored entry, a different one raises
        :class:`~asleep_nb.errors.ArchiveConflict` naming both hashes.

        Parameters
        ----------
        payload
            The ``result`` object (``session.id`` names the session).
        user_id
            The session's owner (Get Session does not return it).
        timezone
            The zone the payload was asked for; the payload's own
            ``timezone`` must say the same.

        Raises
        ------
        asleep_nb.errors.PayloadError
            When the payload has no ``session.id`` or ``timezone`` string.
        asleep_nb.errors.IdentityMismatch
            When the payload is in another zone than ``timezone``.
        asleep_nb.errors.ArchiveConflict
            See above. Nothing is written.
        asleep_nb.errors.ArchiveCorrupt
            When the place of the file leads out of the archive.
        asleep_nb.errors.ArchiveUnwritable
            Disk full, no permission, read-only folder.

        Examples
        --------
        >>> import tempfile
        >>> from asleep_nb.loading.archive import Archive
        >>> fresh = Archive(tempfile.mkdtemp())
        >>> entry = fresh.write(payload, user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
        >>> entry.session_id, entry.timezone
        ('20250115025029_fvivn', 'UTC')
        """
        return self._write(payload, dumps(payload), user_id=user_id, timezone=timezone)

    def _write(self, payload: Mapping[str, Any], data: bytes, *, user_id: str, timezone: str) -> ArchiveEntry:
        """:meth:`write` of ``payload`` whose JSON text ``data`` the caller already holds."""
        session_id, zone = session_identity(payload)
        if zone != timezone:
            raise IdentityMismatch.of("timezone", timezone, zone)
        target = self.file_for(session_id, user_id, timezone)
        entry = ArchiveEntry(
            session_id=session_id,
            user_id=user_id,
            timezone=timezone,
            state=str((payload.get("session") or {}).get("state")),
            fetched_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            file=target.relative_to(self.path).as_posix(),
        )
        try:
            folder_for(self.path, entry.file, create=True)
            # the file is created outside the lock (the slow part, threads in parallel);
            # only the check, the rename and the manifest line are serialised
            with StagedFile(target, data) as staged, self._lock:
                if not self._swept:
                    self._sweep()
                stored = self._final_copy(session_id, timezone)
                if stored is not None:
                    return self._same_or_conflict(stored, entry, payload)
                staged.commit()
                self._manifest.append(entry)
        except OSError as exc:
            raise ArchiveUnwritable.from_os_error(target, exc) from None
        return entry

    def _sweep(self) -> None:
        """Remove what an interrupted run left (its writer gone, or old): once, under the lock."""
        self._swept = True
        if removed := remove_stale(self.path, SESSIONS_DIR):
            logger.info("removed %d temporary file(s) an interrupted run left in %s", len(removed), self.path)

    def _final_copy(self, session_id: str, timezone: str) -> tuple[ArchiveEntry, dict[str, Any]] | None:
        """The stored final copy (entry and payload) when there is one that verifies."""
        stored = self.entry(session_id, timezone)
        if stored is None or not stored.is_final:
            return None
        try:
            return stored, self._verified(stored)[1]
        except ArchiveCorrupt as exc:
            logger.warning("%s; it is replaced", exc)
            return None

    def _same_or_conflict(
        self, stored: tuple[ArchiveEntry, dict[str, Any]], new: ArchiveEntry, payload: Mapping[str, Any]
    ) -> ArchiveEntry:
        entry, stored_payload = stored
        if entry.sha256 == new.sha256 or stored_payload == payload:
            return entry
        raise ArchiveConflict(self.path / entry.file, entry.sha256, new.sha256)

    def close(self) -> None:
        """Release the folder's lock file (the archive stays usable; the next write reopens it)."""
        self._lock.close()

    def flush(self) -> None:
        """Make what was written durable: one ``fsync`` of the manifest (see the module docs).

        Examples
        --------
        >>> archive.flush()
        """
        try:
            self._manifest.sync()
        except OSError as exc:
            raise ArchiveUnwritable.from_os_error(self.path / MANIFEST_NAME, exc) from None

    def compact(self) -> None:
        """Rewrite the manifest with one line per (session, zone), atomically.

        Examples
        --------
        >>> archive.compact()
        """
        try:
            with self._lock:
                self._manifest.compact()
        except OSError as exc:
            raise ArchiveUnwritable.from_os_error(self.path / MANIFEST_NAME, exc) from None
