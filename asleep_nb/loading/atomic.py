r"""Crash-safe file writes: whole files replaced atomically, lines appended whole, one writer at a time.

- :func:`atomic_write`: the bytes go to a temporary file in the same folder,
  which is then ``os.replace``-d over the target: a reader sees the old bytes
  or the new, never a mix; a crash leaves at worst a stray ``.*.tmp`` file.
- :func:`append_line`: one ``write`` on a file opened in append mode, so
  lines of several processes never interleave.
- :class:`FolderLock`: an exclusive lock on a folder, between the threads of
  a process and between processes (``flock`` on a lock file, where the
  system has it), held while an archive checks and writes.
- :func:`remove_stale`: the temporary files a killed run left behind (``kill -9``
  mid-write), removed by the next run that takes the lock. A temporary file's
  name carries its writer (a tag of the host and the process id), so a file
  is removed only when its writer is gone (same host, no such process) or it
  is older than :data:`STALE_AFTER` (any host); a live writer's file stays.

No ``fsync`` per file by default: an archive verifies every file against the
SHA-256 and size its manifest records before trusting it, so a file or a
line lost or torn by a power cut costs a refetch, never a wrong answer.
:func:`sync_file` makes a file durable when a run ends.

Errors are the system's ``OSError`` (``ENOSPC``, ``EACCES``, ``EROFS``...),
raised after the temporary file is removed.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> atomic_write(folder / "a.json", b"{}")
>>> append_line(folder / "log.jsonl", b'{"n":1}')  # the size the file had before
0
>>> (folder / "a.json").read_bytes(), (folder / "log.jsonl").read_bytes()
(b'{}', b'{"n":1}\n')
>>> with FolderLock(folder):
...     pass
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

try:  # pragma: no cover - POSIX has it, Windows does not
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "atomic_write",
    "StagedFile",
    "append_line",
    "sync_file",
    "write_all",
    "FolderLock",
    "LOCK_NAME",
    "STALE_AFTER",
    "remove_stale",
]

#: Name of the lock file :class:`FolderLock` creates in its folder.
LOCK_NAME = ".lock"
#: Seconds after which a temporary file is stale whoever wrote it (a staged file lives milliseconds).
STALE_AFTER = 3600.0
#: This host, as 8 hex digits in temporary file names (a folder may be shared between hosts).
_HOST_TAG = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
#: ``.<target>.<host tag>-<pid>.<random>.tmp``; files of older versions lack the owner part.
_TEMPORARY = re.compile(r"\..+\.tmp", re.DOTALL)
_OWNER = re.compile(r"\.([0-9a-f]{8})-([0-9]+)\.[^.]+\.tmp$", re.ASCII)


def _owner_tag() -> str:
    return f"{_HOST_TAG}-{os.getpid()}"


def _writer_gone(name: str) -> bool:
    """Whether the temporary file ``name`` was written by a process of this host that no longer runs."""
    owner = _OWNER.search(name)
    if owner is None or owner.group(1) != _HOST_TAG or os.name != "posix":
        return False  # another host, or no way to ask (os.kill on Windows would end the process)
    try:
        os.kill(int(owner.group(2)), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, ValueError):
        return False  # it exists (another user's), or the number is no pid
    return False


def remove_stale(
    root: str | os.PathLike[str], below: str | None = None, *, older_than: float = STALE_AFTER
) -> list[str]:
    """Remove the stale temporary files (``.*.tmp``) of ``root`` and of each folder in ``root/below``.

    Stale: written by a process of this host that no longer runs, or not
    modified for ``older_than`` seconds. Links and anything but regular
    files are left alone. Call it holding the folder's :class:`FolderLock`.
    Returns the paths removed.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / ".a.json.x1.tmp").write_bytes(b"{}")
    >>> [Path(p).name for p in remove_stale(folder, older_than=0)]
    ['.a.json.x1.tmp']
    """
    folders = [os.fspath(root)]
    if below is not None:
        try:
            with os.scandir(os.path.join(root, below)) as found:
                folders += [e.path for e in found if e.is_dir(follow_symlinks=False)]
        except OSError:
            pass
    removed: list[str] = []
    now = time.time()
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:  # bounded: one pass over the folder's names
            if not _TEMPORARY.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                old = now - entry.stat(follow_symlinks=False).st_mtime > older_than
                if old or _writer_gone(entry.name):
                    os.unlink(entry.path)
                    removed.append(entry.path)
            except OSError:
                continue  # gone already (its writer committed it), or not ours to remove
    return removed


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less); ``ENOSPC`` if nothing goes."""
    view = memoryview(data)
    while view:  # bounded: every pass writes at least one byte or raises
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def atomic_write(target: Path, data: bytes, *, sync: bool = False) -> None:
    """Write ``data`` to ``target`` through a temporary file in the same folder, replaced over it.

    Parameters
    ----------
    target
        The file to (re)place; its folder must exist.
    data
        The whole new content.
    sync
        ``fsync`` the temporary file before the replace (durable, slower).
    """
    with StagedFile(target, data, sync=sync) as staged:
        staged.commit()


class StagedFile:
    """``data`` written to a temporary file beside ``target``, put in place by :meth:`commit`.

    The two halves of :func:`atomic_write`, for a caller that must decide
    under a lock whether the file goes in: creating a file is the slow part
    (on the ext4 disks measured, about 0.65 ms, against 27 µs for the
    rename), so it happens before the lock is taken, by many threads at once,
    and only the rename happens under it. Leaving the ``with`` block without
    :meth:`commit` removes the temporary file.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with StagedFile(folder / "a.json", b"{}") as staged:
    ...     staged.commit()
    >>> with StagedFile(folder / "b.json", b"{}"):
    ...     pass  # not committed: nothing is left
    >>> sorted(p.name for p in folder.iterdir())
    ['a.json']
    """

    def __init__(self, target: Path, data: bytes, *, sync: bool = False) -> None:
        self.target = target
        prefix = f".{target.name}.{_owner_tag()}."  # names the writer: see :func:`remove_stale`
        fd, self.temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
        self._done = False
        try:
            try:
                write_all(fd, data)
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        """Replace ``target`` with the staged bytes (atomically: ``os.replace``)."""
        if self._done:
            raise RuntimeError(f"{self.target} was already committed or discarded")
        try:
            os.replace(self.temporary, self.target)
        except BaseException:
            self.discard()
            raise
        self._done = True

    def discard(self) -> None:
        """Remove the temporary file (nothing happens to ``target``)."""
        self._done = True
        Path(self.temporary).unlink(missing_ok=True)

    def __enter__(self) -> StagedFile:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._done:
            self.discard()


def append_line(path: Path, line: bytes) -> int:
    """Append ``line`` and a newline to ``path`` in one ``write`` call; return the size it had before.

    When the file's last line was torn by a crash (no final newline), a
    newline is written first, so the torn line stays on its own (and is
    skipped by readers, which skip lines that do not parse).
    """
    data = line + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        written = os.write(fd, data)
        if written != len(data):  # a partial append (disk full): say so, the reader skips the torn line
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))
    finally:
        os.close(fd)
    return size


def sync_file(path: Path) -> None:
    """``fsync`` an existing file (its content reaches the disk)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderLock:
    """An exclusive lock on ``folder``, between threads and between processes; a context manager.

    The lock file (:data:`LOCK_NAME`) is created and opened on first use
    (so a read-only folder can be opened without one) and stays open until
    :meth:`close`; each ``with`` block is then one ``flock`` call each way.

    Parameters
    ----------
    folder
        The folder to lock.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        self._thread_lock.acquire()
        try:
            if fcntl is not None:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if fcntl is not None and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        """Close the lock file (the next ``with`` opens it again)."""
        with self._thread_lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __del__(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:  # pragma: no cover
                pass
