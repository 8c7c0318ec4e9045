"""Reading one archived file and trusting it only after every check against its manifest line.

:func:`read_verified` is the one place an archived payload is read: the
line's ids must name the file, the bytes must have the line's size and
SHA-256, and the JSON object must be about the line's session in the line's
zone. Anything else raises :class:`~asleep_nb.errors.ArchiveCorrupt` naming
the file and what was wrong.

Examples
--------
>>> import tempfile
>>> from asleep_nb.loading.archive import Archive
>>> archive = Archive(tempfile.mkdtemp())
>>> from asleep_nb.loading.archive_manifest import ArchiveEntry
>>> edited = ArchiveEntry("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ", "UTC",
...                       "COMPLETE", "2025-01-15T00:00:00.000+00:00", "0" * 64, 2, "sessions/elsewhere.json")
>>> read_verified(archive.path, edited)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
asleep_nb.errors.ArchiveCorrupt: ...: its manifest line names it, but its ids say sessions/G-...@UTC.json
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from asleep_nb.api.identity import session_identity
from asleep_nb.api.jsonbytes import loads
from asleep_nb.errors import ArchiveCorrupt, PayloadError
from asleep_nb.loading.archive_layout import InsideReader, read_inside, relative_file
from asleep_nb.loading.archive_manifest import ArchiveEntry

__all__ = ["read_verified"]


def read_verified(
    root: Path, entry: ArchiveEntry, reader: InsideReader | None = None
) -> tuple[bytes, dict[str, Any]]:
    """The bytes of ``entry``'s file and the JSON object they hold, read once and checked.

    Parameters
    ----------
    root
        The archive folder.
    entry
        The file's manifest line.
    reader
        A reader kept open over many files (:class:`~asleep_nb.loading.archive_layout.InsideReader`);
        by default the file is read with one of its own.

    Raises
    ------
    ArchiveCorrupt
        When the line's ids are not valid or do not name the file; the file
        is missing, unreadable, a link or reached through one; its size or
        SHA-256 differ from the line; it is not a JSON object about the
        line's session in the line's zone.
    """
    path = os.path.join(root, entry.file)  # only error messages name it: no Path object
    try:
        expected = relative_file(entry.session_id, entry.user_id, entry.timezone)
    except ValueError as exc:  # InvalidIdentifier, InvalidTimezone: an edited line
        raise ArchiveCorrupt(path, f"its manifest line is not valid ({exc})") from None
    if entry.file != expected:
        raise ArchiveCorrupt(path, f"its manifest line names it, but its ids say {expected}")
    data = read_inside(root, entry.file) if reader is None else reader.read(entry.file, entry.size)
    if len(data) != entry.size:
        raise ArchiveCorrupt(path, f"size {len(data)} bytes, the manifest says {entry.size}")
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256:
        raise ArchiveCorrupt(path, f"sha256 {digest} does not match the manifest's {entry.sha256}")
    try:
        payload = loads(data)
    except ValueError as exc:
        raise ArchiveCorrupt(path, f"not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise ArchiveCorrupt(path, f"not a JSON object but {type(payload).__name__}")
    try:
        session_id, zone = session_identity(payload)
    except PayloadError as exc:
        raise ArchiveCorrupt(path, f"not a session payload ({exc})") from None
    if (session_id, zone) != (entry.session_id, entry.timezone):
        raise ArchiveCorrupt(
            path,
            f"it holds session {session_id!r} in {zone!r}; the manifest says "
            f"{entry.session_id!r} in {entry.timezone!r}",
        )
    return data, payload
