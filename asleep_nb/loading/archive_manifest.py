"""An archive's ``manifest.jsonl``: one line per archived payload, the last line per key wins.

Each line is a JSON object with ``session_id``, ``user_id``, ``timezone``,
``state``, ``fetched_at`` (UTC ISO 8601), ``sha256`` and ``size`` of the
file bytes, and ``file`` (the path relative to the archive folder). Lines
are appended whole (:func:`~asleep_nb.loading.atomic.append_line`).

Reading is forgiving and never trusts a line blindly: a line that is not
UTF-8, not JSON, or not an entry (a missing key, a wrong type, a file path
that leaves the folder) is skipped with one :class:`~asleep_nb.errors.ArchiveWarning`
naming its line number; an unfinished last line (another process may be
writing it) is left for the next read. The file is read once, then only
what other processes append to it (a rewrite by :meth:`ArchiveManifest.compact`
is noticed and read whole), so following a growing manifest costs time in
proportion to what was added.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> manifest = ArchiveManifest(Path(tempfile.mkdtemp()) / MANIFEST_NAME, create=True)
>>> entry = ArchiveEntry("20250115025029_fvivn", "G-1", "UTC", "COMPLETE",
...                      "2025-01-15T04:00:00.000+00:00", "ab" * 32, 2, "sessions/x.json")
>>> manifest.append(entry)
>>> manifest.get("20250115025029_fvivn", "UTC").is_final, len(manifest)
(True, 1)
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Any

from asleep_nb.api.jsonbytes import dumps, loads
from asleep_nb.errors import ArchiveWarning
from asleep_nb.loading.atomic import append_line, atomic_write

__all__ = ["MANIFEST_NAME", "MANIFEST_FIELDS", "IMMUTABLE_STATES", "ArchiveEntry", "ArchiveManifest"]

#: File name of the manifest inside an archive folder.
MANIFEST_NAME = "manifest.jsonl"
#: Session states that never change once reached: archived copies are final.
IMMUTABLE_STATES: frozenset[str] = frozenset({"COMPLETE"})
#: The keys of a manifest line, in order.
MANIFEST_FIELDS = ("session_id", "user_id", "timezone", "state", "fetched_at", "sha256", "size", "file")
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)


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

    def to_line(self) -> bytes:
        """The compact JSON line of this entry (no newline)."""
        return dumps({name: getattr(self, name) for name in MANIFEST_FIELDS})

    @classmethod
    def from_line(cls, line: bytes | str) -> ArchiveEntry | None:
        """The entry a manifest line holds, or ``None`` when it is not one.

        Not one: not UTF-8 or not JSON, a key missing, a value of the wrong
        type, a ``sha256`` that is not 64 hex digits, a negative ``size``, or
        a ``file`` that is absolute or climbs out of the folder.

        Examples
        --------
        >>> ArchiveEntry.from_line(b'{"session_id": 3}') is None
        True
        """
        try:
            obj: Any = loads(line)
            values = {k: obj[k] for k in MANIFEST_FIELDS}
        except (ValueError, TypeError, KeyError):
            return None
        texts = [values[k] for k in MANIFEST_FIELDS if k != "size"]
        size, file = values["size"], values["file"]
        if not all(isinstance(v, str) and v for v in texts) or type(size) is not int or size < 0:
            return None
        if not _SHA256.fullmatch(values["sha256"]) or file.startswith("/") or "\\" in file:
            return None
        if ".." in file.split("/"):
            return None
        return cls(**values)


class ArchiveManifest:
    """The entries of a manifest file, following what other processes append (see the module docs).

    Thread-safe: every method holds one lock.

    Parameters
    ----------
    path
        The ``manifest.jsonl`` file.
    create
        Create it empty when missing (else a missing file reads as empty).
    """

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if create and not path.exists():
            path.touch()
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], ArchiveEntry] = {}
        self._identity: tuple[int, int] | None = None  # (device, inode) of the file read
        self._offset = 0  # bytes of it consumed (whole lines only)
        self._tail = b""  # the last bytes consumed: an in-place rewrite changes them
        self._lines = 0  # lines consumed
        self._warned: set[int] = set()
        with self._lock:
            self._refresh()

    def __len__(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._entries)

    def entries(self) -> list[ArchiveEntry]:
        """Every entry (the latest per session and zone), sorted by user, session and zone."""
        with self._lock:
            self._refresh()
            return sorted(self._entries.values(), key=lambda e: (e.user_id, e.session_id, e.timezone))

    def get(self, session_id: str, timezone: str) -> ArchiveEntry | None:
        """The entry of a session in a zone, or ``None``."""
        with self._lock:
            self._refresh()
            return self._entries.get((session_id, timezone))

    def append(self, entry: ArchiveEntry) -> None:
        """Append one entry (the caller holds the archive's folder lock across processes)."""
        line = entry.to_line() + b"\n"
        with self._lock:
            self._refresh()
            before = append_line(self.path, line[:-1])
            if before != self._offset or self._identity is None:  # something unread was there
                self._refresh()
                return
            self._offset, self._tail = before + len(line), (self._tail + line)[-64:]
            self._lines += 1
            self._entries[(entry.session_id, entry.timezone)] = entry

    def compact(self) -> None:
        """Rewrite the file with one line per (session, zone), atomically."""
        with self._lock:
            self._refresh()
            data = b"".join(e.to_line() + b"\n" for e in self._entries.values())
            atomic_write(self.path, data)
            self._identity = None
            self._refresh()

    def sync(self) -> None:
        """Make the file durable (one ``fsync``), e.g. when a fetching run ends."""
        from asleep_nb.loading.atomic import sync_file

        with self._lock:
            if self.path.exists():
                sync_file(self.path)

    def _refresh(self) -> None:
        """Read what was appended since the last read (all of it if the file was replaced or rewritten)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._restart(None)
            return
        identity = (stat.st_dev, stat.st_ino)
        if identity != self._identity or stat.st_size < self._offset:  # replaced (compacted) or cut
            self._restart(identity)
        if stat.st_size == self._offset:
            return
        with open(self.path, "rb") as fh:
            fh.seek(self._offset - len(self._tail))
            data = fh.read(stat.st_size - self._offset + len(self._tail))
            if not data.startswith(self._tail):  # rewritten in place (an editor): read it all again
                self._restart(identity)
                fh.seek(0)
                data = fh.read(stat.st_size)
        data = data[len(self._tail) :]
        end = data.rfind(b"\n") + 1  # an unfinished last line waits for the next read
        for line in data[:end].split(b"\n")[:-1]:
            self._lines += 1
            self._take(line)
        self._offset += end
        if end:
            self._tail = data[max(0, end - 64) : end]

    def _restart(self, identity: tuple[int, int] | None) -> None:
        self._entries, self._identity, self._offset, self._tail, self._lines = {}, identity, 0, b"", 0

    def _take(self, line: bytes) -> None:
        """Keep the entry a line holds, or warn (once per line number) that it holds none."""
        entry = ArchiveEntry.from_line(line) if line.strip() else None
        if entry is not None:
            self._entries[(entry.session_id, entry.timezone)] = entry
        elif line.strip() and self._lines not in self._warned:
            self._warned.add(self._lines)
            warnings.warn(
                f"{self.path} line {self._lines} is not a manifest entry (not UTF-8 JSON with the "
                f"keys {', '.join(MANIFEST_FIELDS)}); skipped",
                ArchiveWarning,
                stacklevel=5,
            )
