"""When each participant of an archive was last synced: ``<archive>/sync.json``.

One JSON object, participant user id -> what the last successful sync of
that participant saw::

    {"G-2025...": {"synced_at": "2026-01-05T06:00:01.250+00:00",  # UTC, when
                   "today": "2025-03-31",                          # the study day it ran for, or null
                   "timezone": "Europe/Paris",                     # the zone it listed in
                   "last_start_date": "2025-03-30"}}               # latest session start, local date

:func:`~asleep_nb.loading.incremental.sync` reads it to list only from the last
session on, and updates it after a run, read-merge-written under the
archive's folder lock and replaced atomically (a temporary file renamed
over it), like every other archive file. A missing file means "never
synced"; an unreadable one raises :class:`~asleep_nb.errors.ArchiveCorrupt`.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> write_sync_state(folder, {"G-1": SyncMark("2026-01-05T06:00:00+00:00", None, "UTC", "2025-03-30")})
>>> read_sync_state(folder)["G-1"].last_start_date
'2025-03-30'
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from asleep_nb.api.jsonbytes import loads
from asleep_nb.errors import ArchiveCorrupt, ArchiveUnwritable
from asleep_nb.loading.archive_layout import read_inside
from asleep_nb.loading.atomic import FolderLock, atomic_write

__all__ = ["SYNC_STATE_NAME", "SyncMark", "read_sync_state", "write_sync_state"]

#: File name of the sync state inside an archive folder.
SYNC_STATE_NAME = "sync.json"


@dataclass(frozen=True, slots=True)
class SyncMark:
    """What the last sync of one participant saw (see the module docs)."""

    synced_at: str
    today: str | None
    timezone: str
    last_start_date: str | None


def read_sync_state(folder: str | Path) -> dict[str, SyncMark]:
    """The sync marks of an archive folder, by user id (empty when never synced).

    Raises
    ------
    ArchiveCorrupt
        When ``sync.json`` is not a JSON object of marks.
    """
    path = Path(folder) / SYNC_STATE_NAME
    if not os.path.lexists(path):
        return {}
    text = read_inside(Path(folder), SYNC_STATE_NAME)  # a regular file, never a link or a FIFO
    try:
        raw = loads(text)  # the one decoding point: depth-limited, PayloadError is a ValueError
        return {str(user): SyncMark(**mark) for user, mark in raw.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise ArchiveCorrupt(path, f"not a sync state ({exc})") from None


def write_sync_state(folder: str | Path, marks: Mapping[str, SyncMark]) -> None:
    """Merge ``marks`` into the archive's ``sync.json`` under its folder lock, replaced atomically.

    Raises
    ------
    ArchiveUnwritable
        Disk full, no permission.
    """
    root = Path(folder)
    lock = FolderLock(root)
    try:
        with lock:
            merged = {**read_sync_state(root), **marks}
            data = {user: dataclasses.asdict(mark) for user, mark in sorted(merged.items())}
            atomic_write(root / SYNC_STATE_NAME, json.dumps(data, indent=1).encode() + b"\n")
    except OSError as exc:
        raise ArchiveUnwritable.from_os_error(root / SYNC_STATE_NAME, exc) from None
    finally:
        lock.close()
