"""A local archive of raw Get Session payloads: fetch once, reanalyse offline.

An archive is a folder::

    <dir>/manifest.jsonl                          one JSON object per line (see below)
    <dir>/sessions/<user_id>/<session_id>@<zone>.json
                                                  the ``result`` object of one Get Session
                                                  answer, in the zone it was asked for
                                                  (``/`` in the zone name written as ``~``)

Each file holds the server's ``result`` object as compact JSON (UTF-8); the
values are exactly those received (JSON numbers and strings round-trip),
only insignificant whitespace may differ from the wire. Each manifest line
records ``session_id``, ``user_id``, ``timezone``, ``state``,
``fetched_at`` (UTC ISO 8601), ``sha256`` and ``size`` of the file bytes and
``file`` (the path relative to ``<dir>``); the last line for a
``(session_id, timezone)`` wins.

Rules
-----
- ``COMPLETE`` sessions are immutable: once archived they are served from
  the archive and never fetched again. ``OPEN`` and ``CLOSED`` ones are
  refetched (and rewritten) every time they are asked for through a client.
- Writes are atomic: the payload goes to a temporary file in the same
  folder, is flushed and ``fsync``-ed, then ``os.replace``-d over the final
  name; only then is its manifest line appended (one ``write`` call on a
  file opened in append mode, then ``fsync``). A crash leaves at worst a
  stray ``.*.tmp`` file (ignored) or a file without a manifest line, or a
  truncated last manifest line (ignored): never a file that is trusted.
- Every read checks the file's SHA-256 against the manifest. A mismatch, a
  missing or unparsable file raises :class:`ArchiveCorrupt`; when fetching,
  such a session counts as missing and is fetched again.

Examples
--------
>>> from asleep_nb import Client
>>> client = Archive("study").wrap(Client(api_key="...", base_url="http://127.0.0.1:8000"))  # doctest: +SKIP
>>> night = client.get_session("20250115025029_fvivn",
...                            user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
>>> archive = open_archive("study")  # doctest: +SKIP
>>> cohort = archive.to_cohort(align="onset")  # no network  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asleep_nb.api.ids import check_path_id
from asleep_nb.errors import AsleepError, PayloadError
from asleep_nb.timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

    from asleep_nb.api.records import SessionResult

__all__ = ["Archive", "ArchiveCorrupt", "ArchiveEntry", "open_archive", "MANIFEST_NAME", "IMMUTABLE_STATES"]

logger = logging.getLogger("asleep_nb.loading.archive")

#: File name of the manifest inside an archive folder.
MANIFEST_NAME = "manifest.jsonl"
#: Session states that never change once reached: archived copies are final.
IMMUTABLE_STATES: frozenset[str] = frozenset({"COMPLETE"})
_MANIFEST_FIELDS = ("session_id", "user_id", "timezone", "state", "fetched_at", "sha256", "size", "file")


class ArchiveCorrupt(AsleepError):
    """An archived file that cannot be trusted: missing, unreadable, or not matching its hash.

    Parameters
    ----------
    path
        The file concerned.
    reason
        What was wrong.

    Examples
    --------
    >>> err = ArchiveCorrupt("sessions/G-1/x@UTC.json", "sha256 mismatch")
    >>> str(err)
    'archived file sessions/G-1/x@UTC.json cannot be trusted: sha256 mismatch'
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"archived file {self.path} cannot be trusted: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))


@dataclasses.dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One manifest line: an archived Get Session payload.

    Attributes
    ----------
    session_id, user_id, timezone
        What was asked for.
    state
        ``session.state`` of the payload (``OPEN``, ``CLOSED``, ``COMPLETE``...).
    fetched_at
        When it was received, UTC ISO 8601.
    sha256, size
        Hex SHA-256 and length of the file bytes.
    file
        Path of the file relative to the archive folder (``/`` separators).
    """

    session_id: str
    user_id: str
    timezone: str
    state: str
    fetched_at: str
    sha256: str
    size: int
    file: str

    @property
    def is_final(self) -> bool:
        """Whether the session can no longer change (``state`` is ``COMPLETE``)."""
        return self.state in IMMUTABLE_STATES


def zone_token(timezone: str) -> str:
    """The file-name form of an IANA zone name (``/`` becomes ``~``).

    Examples
    --------
    >>> zone_token("America/Argentina/Buenos_Aires")
    'America~Argentina~Buenos_Aires'
    """
    return timezone.replace("/", "~")


class Archive:
    """A folder of raw Get Session payloads with a hashed manifest (see the module docs).

    Thread-safe: one archive may be filled by many fetching threads at once.

    Parameters
    ----------
    path
        The archive folder.
    create
        Create the folder (and an empty manifest) when it does not exist;
        otherwise a missing folder raises ``FileNotFoundError``.

    Examples
    --------
    >>> import tempfile
    >>> archive = Archive(tempfile.mkdtemp())
    >>> len(archive), archive.manifest.columns.tolist()[:3]
    (0, ['session_id', 'user_id', 'timezone'])
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            if not create:
                raise FileNotFoundError(f"no archive folder at {os.fspath(path)!r}")
            self.path.mkdir(parents=True, exist_ok=True)
        elif not create and not (self.path / MANIFEST_NAME).is_file():
            raise FileNotFoundError(f"{os.fspath(path)!r} is not an archive: it has no {MANIFEST_NAME}")
        (self.path / MANIFEST_NAME).touch(exist_ok=True)
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], ArchiveEntry] = {}
        self._manifest_size = -1
        self._manifest_mtime = -1
        self._load_manifest()

    def __repr__(self) -> str:
        return f"Archive({os.fspath(self.path)!r}, sessions={len(self)})"

    # ------------------------------------------------------------------ manifest
    def _load_manifest(self) -> None:
        """(Re)read the manifest if it changed on disk since last read (another process)."""
        manifest = self.path / MANIFEST_NAME
        stat = manifest.stat()
        if (stat.st_size, stat.st_mtime_ns) == (self._manifest_size, self._manifest_mtime):
            return
        entries: dict[tuple[str, str], ArchiveEntry] = {}
        with open(manifest, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                entry = _parse_manifest_line(line)
                if entry is None:
                    if line.strip():
                        logger.warning("%s line %d is not a manifest entry; ignored", manifest, number)
                    continue
                entries[(entry.session_id, entry.timezone)] = entry
        self._entries = entries
        self._manifest_size, self._manifest_mtime = stat.st_size, stat.st_mtime_ns

    def _append_manifest(self, entry: ArchiveEntry) -> None:
        line = (json.dumps(dataclasses.asdict(entry), separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path / MANIFEST_NAME, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line  # end a line torn by a crash, so it stays ignored on its own
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._entries[(entry.session_id, entry.timezone)] = entry
        stat = (self.path / MANIFEST_NAME).stat()
        self._manifest_size, self._manifest_mtime = stat.st_size, stat.st_mtime_ns

    def entries(self) -> list[ArchiveEntry]:
        """Every archived payload's manifest entry (latest per session and zone), sorted.

        Examples
        --------
        >>> [e.session_id for e in archive.entries()]  # doctest: +SKIP
        ['20250115025029_fvivn']
        """
        with self._lock:
            self._load_manifest()
            return sorted(self._entries.values(), key=lambda e: (e.user_id, e.session_id, e.timezone))

    def __len__(self) -> int:
        with self._lock:
            self._load_manifest()
            return len(self._entries)

    def __iter__(self) -> Iterator[ArchiveEntry]:
        return iter(self.entries())

    def entry(self, session_id: str, timezone: str = "UTC") -> ArchiveEntry | None:
        """The manifest entry of a session in a zone, or ``None`` when not archived."""
        with self._lock:
            self._load_manifest()
            return self._entries.get((session_id, timezone))

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
        table = pd.DataFrame(rows, columns=list(_MANIFEST_FIELDS))
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
        >>> Archive(tempfile.mkdtemp()).file_for("20250115025029_fvivn", "G-1", "Asia/Seoul").name
        '20250115025029_fvivn@Asia~Seoul.json'
        """
        check_path_id(session_id, "session id")
        check_path_id(user_id, "user id")
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
        from asleep_nb.api.records import SessionResult

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

    def records(self, *, on_corrupt: str = "raise") -> list[SessionResult]:
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

    def to_cohort(self, *, on_corrupt: str = "raise", **kwargs: Any) -> xr.Dataset:
        """Every archived session as a cohort: :func:`asleep_nb.data.cohort.to_cohort` of :meth:`records`.

        Parameters
        ----------
        on_corrupt
            As in :meth:`records`.
        **kwargs
            Passed to :func:`~asleep_nb.data.cohort.to_cohort` (``groups``,
            ``align``, ``clock_start``, ``timezone``).

        Examples
        --------
        >>> cohort = open_archive("study").to_cohort(align="onset")  # doctest: +SKIP
        """
        from asleep_nb.data.cohort import to_cohort

        return to_cohort(self.records(on_corrupt=on_corrupt), **kwargs)

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
        session_id = session.get("id") if isinstance(session, Mapping) else None
        if not isinstance(session_id, str):
            raise PayloadError("session.id", "missing: cannot name the archived file")
        state = session.get("state")
        target = self.file_for(session_id, user_id, timezone)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, data)
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
        with self._lock:
            self._append_manifest(entry)
        return entry

    def fetch(self, client: Any, session_id: str, *, user_id: str, timezone: str = "UTC") -> SessionResult:
        """A session from the archive when final, else fetched with ``client`` and archived.

        Parameters
        ----------
        client
            An :class:`asleep_nb.Client` (its ``get_session_payload`` is used).
        session_id, user_id, timezone
            As in :meth:`asleep_nb.Client.get_session`.

        Examples
        --------
        >>> archive.fetch(client, "20250115025029_fvivn",
        ...               user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
        """
        return self.fetch_status(client, session_id, user_id=user_id, timezone=timezone)[0]

    def fetch_status(
        self, client: Any, session_id: str, *, user_id: str, timezone: str = "UTC"
    ) -> tuple[SessionResult, bool]:
        """Like :meth:`fetch`, also telling whether the archive answered (``True``) or the network.

        The payload is validated (``SessionResult.from_payload``) before it is
        archived: an invalid payload raises and is not written.
        """
        from asleep_nb.api.records import SessionResult

        cached = self.cached(session_id, user_id, timezone)
        if cached is not None:
            return cached, True
        fetch: Callable[..., dict[str, Any]] = client.get_session_payload
        payload = fetch(session_id, user_id=user_id, timezone=timezone)
        try:
            record = SessionResult.from_payload(payload)
        except PayloadError as exc:
            raise PayloadError(
                exc.field, exc.reason, status_code=200, request=f"GET /data/v3/sessions/{session_id}"
            ) from None
        self.write(payload, user_id=user_id, timezone=timezone)
        return dataclasses.replace(record, user_id=user_id), False

    def wrap(self, client: Any) -> ArchivedClient:
        """A client whose ``get_session`` reads through this archive.

        ``COMPLETE`` sessions come from the archive once stored; everything
        else is fetched with ``client`` and archived. Every other attribute
        (``list_sessions``, ``get_user``, ``close``, ...) is ``client``'s own.

        Examples
        --------
        >>> archived = Archive("study").wrap(client)  # doctest: +SKIP
        >>> archived.get_session("20250115025029_fvivn",
        ...                      user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
        """
        return ArchivedClient(client, self)

    def compact(self) -> None:
        """Rewrite the manifest with one line per (session, zone), atomically.

        Examples
        --------
        >>> archive.compact()  # doctest: +SKIP
        """
        with self._lock:
            self._load_manifest()
            lines = [
                json.dumps(dataclasses.asdict(e), separators=(",", ":")) + "\n"
                for e in self._entries.values()
            ]
            _atomic_write(self.path / MANIFEST_NAME, "".join(lines).encode())
            self._manifest_size = -1
            self._load_manifest()


class ArchivedClient:
    """A client whose :meth:`get_session` reads through an :class:`Archive` (see :meth:`Archive.wrap`).

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client` (or anything with ``get_session_payload``).
    archive
        The archive to consult and fill.
    """

    def __init__(self, client: Any, archive: Archive) -> None:
        self.client = client
        self.archive = archive

    def __repr__(self) -> str:
        return f"ArchivedClient({self.client!r}, {self.archive!r})"

    def get_session(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> SessionResult:
        """:meth:`asleep_nb.Client.get_session` through the archive (see :meth:`Archive.fetch`)."""
        return self.archive.fetch(self.client, session_id, user_id=user_id, timezone=timezone)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def __enter__(self) -> ArchivedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()


def open_archive(path: str | os.PathLike[str]) -> Archive:
    """Open an existing archive folder (no network is ever used).

    Parameters
    ----------
    path
        A folder filled by :meth:`Archive.wrap`, :func:`asleep_nb.loading.fetch.fetch_sessions`
        or ``asleep-nb fetch``.

    Raises
    ------
    FileNotFoundError
        When the folder or its manifest does not exist.

    Examples
    --------
    >>> archive = open_archive("study")  # doctest: +SKIP
    >>> cohort = archive.to_cohort()  # doctest: +SKIP
    """
    return Archive(path, create=False)


def as_archive(archive: Archive | str | os.PathLike[str] | None) -> Archive | None:
    """An :class:`Archive` from a path (created if missing), an archive, or ``None``.

    Examples
    --------
    >>> as_archive(None) is None
    True
    """
    if archive is None or isinstance(archive, Archive):
        return archive
    if isinstance(archive, (str, os.PathLike)):
        return Archive(archive)
    raise TypeError(f"archive must be a folder path or an Archive, not {type(archive).__name__}")


def _parse_manifest_line(line: str) -> ArchiveEntry | None:
    try:
        obj = json.loads(line)
        entry = ArchiveEntry(**{k: obj[k] for k in _MANIFEST_FIELDS})
    except (json.JSONDecodeError, TypeError, KeyError):
        return None
    if not isinstance(entry.size, int) or ".." in entry.file.split("/") or entry.file.startswith("/"):
        return None
    return entry


def _atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a fsync-ed temporary file in the same folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
