r"""Crash-safe file writes: whole files replaced atomically, lines appended durably.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> atomic_write(folder / "a.json", b"{}")
>>> append_line(folder / "log.jsonl", b'{"n":1}')
>>> (folder / "a.json").read_bytes(), (folder / "log.jsonl").read_bytes()
(b'{}', b'{"n":1}\n')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "append_line"]


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a fsync-ed temporary file in the same folder.

    The temporary file (``.<name>.*.tmp``) is ``os.replace``-d over
    ``target``: a reader sees the old bytes or the new, never a mix, and a
    crash leaves at worst a stray temporary file.
    """
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


def append_line(path: Path, line: bytes) -> None:
    """Append ``line`` and a newline to ``path`` in one ``write`` call, then ``fsync``.

    When the file's last line was torn by a crash (no final newline), a
    newline is written first, so the torn line stays on its own (and is
    ignored by readers that skip unparsable lines).
    """
    data = line + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
