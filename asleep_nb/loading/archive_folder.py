"""The files of a local archive: verified reads and atomic writes, no network.

:class:`ArchiveFolder` is the storage half of :class:`~asleep_nb.loading.archive.Archive`
(which adds fetching through a client and building cohorts); the folder
layout, the manifest and the rules are described in :mod:`asleep_nb.loading.archive`.

Examples
--------
>>> import tempfile
>>> folder = ArchiveFolder(tempfile.mkdtemp())
>>> folder.file_for("20250115025029_fvivn", "G-1", "Asia/Seoul").name
'20250115025029_fvivn@Asia~Seoul.json'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from asleep_nb.api.ids import check_session_id, check_user_id
from asleep_nb.api.records import SessionResult
from asleep_nb.errors import ArchiveCorrupt, PayloadError
from asleep_nb.loading.archive_manifest import MANIFEST_FIELDS, MANIFEST_NAME, ArchiveEntry, ArchiveManifest
from asleep_nb.loading.atomic import atomic_write
from asleep_nb.timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ArchiveFolder", "OnCorrupt", "zone_token"]

logger = logging.getLogger("asleep_nb.loading.archive")

#: What to do with a corrupt archived file when reading many: raise, or skip it with a warning.
OnCorrupt = Literal["raise", "skip"]


def zone_token(timezone: str) -> str:
    """The file-name form of an IANA zone name (``/`` becomes ``~``).

    Examples
    --------
    >>> zone_token("America/Argentina/Buenos_Aires")
    'America~Argentina~Buenos_Aires'
    """
    return timezone.replace("/", "~")


class ArchiveFolder:
    """An archive folder's files and manifest (see :class:`~asleep_nb.loading.archive.Archive`).

    Thread-safe: one folder may be filled by many fetching threads at once.
    The parameters (``path``, ``create``) are described on :class:`~asleep_nb.loading.archive.Archive`.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            if not create:
                raise FileNotFoundError(f"no archive folder at {os.fspath(path)!r}")
            self.path.mkdir(parents=True, exist_ok=True)
        elif not create and not (self.path / MANIFEST_NAME).is_file():
            raise FileNotFoundError(f"{os.fspath(path)!r} is not an archive: it has no {MANIFEST_NAME}")
        self._manifest = ArchiveManifest(self.path / MANIFEST_NAME)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({os.fspath(self.path)!r}, sessions={len(self)})"

    # ------------------------------------------------------------------ manifest
    def entries(self) -> list[ArchiveEntry]:
        """Every archived payload's manifest entry (latest per session and zone), sorted.

        Examples
        --------
        >>> [e.session_id for e in archive.entries()]  # doctest: +SKIP
        ['20250115025029_fvivn']
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
        >>> archive.manifest[["session_id", "state"]]  # doctest: +SKIP
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
            For ids that are not plain identifiers or an unknown zone.

        Examples
        --------
        >>> import tempfile
        >>> ArchiveFolder(tempfile.mkdtemp()).file_for("20250115025029_fvivn", "G-1", "Asia/Seoul").name
        '20250115025029_fvivn@Asia~Seoul.json'
        """
        check_session_id(session_id)
        check_user_id(user_id)
        validate_timezone(timezone)
        return self.path / "sessions" / user_id / f"{session_id}@{zone_token(timezone)}.json"

    def read_bytes(self, entry: ArchiveEntry) -> bytes:
        """The verified bytes of an archived payload.

        Raises
        ------
        ArchiveCorrupt
            When the file is missing, unreadable, or its size or SHA-256
            differ from the manifest.
        """
        path = self.path / entry.file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArchiveCorrupt(path, f"cannot read it ({exc.strerror or exc})") from None
        if len(data) != entry.size:
            raise ArchiveCorrupt(path, f"size {len(data)} bytes, the manifest says {entry.size}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.sha256:
            raise ArchiveCorrupt(path, f"sha256 {digest[:12]}... does not match the manifest's")
        return data

    def read_payload(self, session_id: str, timezone: str = "UTC") -> dict[str, Any]:
        """The archived ``result`` dict of a session in a zone, verified.

        Raises
        ------
        KeyError
            When that session and zone are not archived.
        ArchiveCorrupt
            When the file fails verification or is not a JSON object.

        Examples
        --------
        >>> archive.read_payload("20250115025029_fvivn")["session"]["state"]  # doctest: +SKIP
        'COMPLETE'
        """
        entry = self.entry(session_id, timezone)
        if entry is None:
            raise KeyError(f"session {session_id!r} in zone {timezone!r} is not in the archive")
        return self._payload(entry)

    def _payload(self, entry: ArchiveEntry) -> dict[str, Any]:
        data = self.read_bytes(entry)
        try:
            payload = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArchiveCorrupt(self.path / entry.file, f"not JSON ({exc})") from None
        if not isinstance(payload, dict):
            raise ArchiveCorrupt(self.path / entry.file, f"not a JSON object but {type(payload).__name__}")
        return payload

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
        >>> archive.read("20250115025029_fvivn").stat.time_in_sleep  # doctest: +SKIP
        1080
        """
        entry = self.entry(session_id, timezone)
        if entry is None:
            raise KeyError(f"session {session_id!r} in zone {timezone!r} is not in the archive")
        return self._record(entry)

    def _record(self, entry: ArchiveEntry) -> SessionResult:
        payload = self._payload(entry)
        try:
            record = SessionResult.from_payload(payload)
        except PayloadError as exc:
            raise ArchiveCorrupt(self.path / entry.file, f"not a valid payload ({exc})") from None
        return dataclasses.replace(record, user_id=entry.user_id)

    def cached(self, session_id: str, user_id: str, timezone: str = "UTC") -> SessionResult | None:
        """The archived copy when it is final (``COMPLETE``) and verifies, else ``None``.

        A corrupt copy is logged (warning) and treated as missing.

        Examples
        --------
        >>> archive.cached("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
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

        Parameters
        ----------
        on_corrupt
            ``"raise"`` (default): the first corrupt file raises
            :class:`ArchiveCorrupt`; ``"skip"``: corrupt files are left out
            with a warning.

        Examples
        --------
        >>> [r.session.id for r in open_archive("study").records()]  # doctest: +SKIP
        """
        if on_corrupt not in ("raise", "skip"):
            raise ValueError(f"on_corrupt must be 'raise' or 'skip', got {on_corrupt!r}")
        out = []
        for entry in self.entries():
            try:
                out.append(self._record(entry))
            except ArchiveCorrupt as exc:
                if on_corrupt == "raise":
                    raise
                logger.warning("%s; skipped", exc)
        return out

    # ------------------------------------------------------------------ writing
    def write(self, payload: Mapping[str, Any], *, user_id: str, timezone: str = "UTC") -> ArchiveEntry:
        """Archive one Get Session ``result`` atomically; return its manifest entry.

        Parameters
        ----------
        payload
            The ``result`` object (``session.id`` names the session).
        user_id
            The session's owner (Get Session does not return it).
        timezone
            The zone the payload was asked for.

        Raises
        ------
        asleep_nb.errors.PayloadError
            When the payload has no ``session.id`` string.

        Examples
        --------
        >>> entry = archive.write(result, user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
        """
        session = payload.get("session") if isinstance(payload, Mapping) else None
        if not isinstance(session, Mapping) or not isinstance(session.get("id"), str):
            raise PayloadError("session.id", "missing: cannot name the archived file")
        session_id: str = session["id"]
        state = session.get("state")
        target = self.file_for(session_id, user_id, timezone)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        entry = ArchiveEntry(
            session_id=session_id,
            user_id=user_id,
            timezone=timezone,
            state=str(state),
            fetched_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            file=target.relative_to(self.path).as_posix(),
        )
        self._manifest.append(entry)
        return entry

    def compact(self) -> None:
        """Rewrite the manifest with one line per (session, zone), atomically.

        Examples
        --------
        >>> archive.compact()  # doctest: +SKIP
        """
        self._manifest.compact()
