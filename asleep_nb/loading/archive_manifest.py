"""An archive's ``manifest.jsonl``: one line per archived payload, the last line per key wins.

Each line is a JSON object with ``session_id``, ``user_id``, ``timezone``,
``state``, ``fetched_at`` (UTC ISO 8601), ``sha256`` and ``size`` of the
file bytes, and ``file`` (the path relative to the archive folder). Lines
are appended durably (:func:`~asleep_nb.loading.atomic.append_line`); a
line that does not parse (one torn by a crash) is ignored with a warning.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> manifest = ArchiveManifest(Path(tempfile.mkdtemp()) / MANIFEST_NAME)
>>> entry = ArchiveEntry("20250115025029_fvivn", "G-1", "UTC", "COMPLETE",
...                      "2025-01-15T04:00:00.000+00:00", "ab" * 32, 2, "sessions/x.json")
>>> manifest.append(entry)
>>> manifest.get("20250115025029_fvivn", "UTC").is_final, len(manifest)
(True, 1)
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from pathlib import Path

from asleep_nb.loading.atomic import append_line, atomic_write

__all__ = ["MANIFEST_NAME", "MANIFEST_FIELDS", "IMMUTABLE_STATES", "ArchiveEntry", "ArchiveManifest"]

logger = logging.getLogger("asleep_nb.loading.archive")

#: File name of the manifest inside an archive folder.
MANIFEST_NAME = "manifest.jsonl"
#: Session states that never change once reached: archived copies are final.
IMMUTABLE_STATES: frozenset[str] = frozenset({"COMPLETE"})
#: The keys of a manifest line, in order.
MANIFEST_FIELDS = ("session_id", "user_id", "timezone", "state", "fetched_at", "sha256", "size", "file")


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
        return json.dumps(dataclasses.asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_line(cls, line: str) -> ArchiveEntry | None:
        """The entry a manifest line holds, or ``None`` when it is not one (or names a file outside)."""
        try:
            obj = json.loads(line)
            entry = cls(**{k: obj[k] for k in MANIFEST_FIELDS})
        except (json.JSONDecodeError, TypeError, KeyError):
            return None
        if not isinstance(entry.size, int) or ".." in entry.file.split("/") or entry.file.startswith("/"):
            return None
        return entry


class ArchiveManifest:
    """The entries of a manifest file, reread when the file changes on disk (another process wrote).

    Thread-safe: every method holds one lock.

    Parameters
    ----------
    path
        The ``manifest.jsonl`` file; created empty when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch(exist_ok=True)
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], ArchiveEntry] = {}
        self._seen: tuple[int, int] = (-1, -1)  # (size, mtime_ns) of the file last read
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
        """Append one entry durably."""
        with self._lock:
            append_line(self.path, entry.to_line())
            self._entries[(entry.session_id, entry.timezone)] = entry
            self._seen = self._stamp()

    def compact(self) -> None:
        """Rewrite the file with one line per (session, zone), atomically."""
        with self._lock:
            self._refresh()
            data = b"".join(e.to_line() + b"\n" for e in self._entries.values())
            atomic_write(self.path, data)
            self._seen = (-1, -1)
            self._refresh()

    def _stamp(self) -> tuple[int, int]:
        stat = self.path.stat()
        return stat.st_size, stat.st_mtime_ns

    def _refresh(self) -> None:
        """(Re)read the file if it changed since last read. Call with the lock held."""
        stamp = self._stamp()
        if stamp == self._seen:
            return
        entries: dict[tuple[str, str], ArchiveEntry] = {}
        with open(self.path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                entry = ArchiveEntry.from_line(line)
                if entry is None:
                    if line.strip():
                        logger.warning("%s line %d is not a manifest entry; ignored", self.path, number)
                    continue
                entries[(entry.session_id, entry.timezone)] = entry
        self._entries = entries
        self._seen = stamp
