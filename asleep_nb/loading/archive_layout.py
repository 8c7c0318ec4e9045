"""Where an archive keeps each payload, and reading or placing a file there without leaving the folder.

The layout (:mod:`asleep_nb.loading.archive`)::

    <dir>/sessions/<user_id>/<session_id>@<zone>.json     (``/`` in the zone written as ``~``)

Ids are checked against the contract's formats and zones against the IANA
names before a path is built, so no id can climb out of the folder. A
symbolic link could still lead out (``sessions`` pointing elsewhere): the
layout has no links, so a file is only written when neither ``sessions``
nor its user folder is a link (two ``lstat`` calls), and only read through
descriptors (:class:`InsideReader`): each folder is opened with ``O_NOFOLLOW``
relative to its parent's descriptor, so no part of the path can be swapped for
a link between a check and the read, and a payload file that is itself a link
is never opened. All of these raise :class:`~asleep_nb.errors.ArchiveCorrupt`.
The archive folder itself may be reached through a link: that is the
user's choice of where it lives.

Examples
--------
>>> relative_file("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ", "Asia/Seoul")
'sessions/G-20250115025029-vLErWBfQNtnfvgDccFOQ/20250115025029_fvivn@Asia~Seoul.json'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from asleep_nb.api.ids import check_session_id, check_user_id
from asleep_nb.errors import ArchiveCorrupt
from asleep_nb.timezones import validate_timezone

__all__ = ["SESSIONS_DIR", "zone_token", "relative_file", "folder_for", "InsideReader", "read_inside"]

#: The folder of payload files inside an archive.
SESSIONS_DIR = "sessions"


def zone_token(timezone: str) -> str:
    """The file-name form of an IANA zone name (``/`` becomes ``~``).

    Examples
    --------
    >>> zone_token("America/Argentina/Buenos_Aires")
    'America~Argentina~Buenos_Aires'
    """
    return timezone.replace("/", "~")


def relative_file(session_id: str, user_id: str, timezone: str) -> str:
    """The path of a session's payload in a zone, relative to the archive folder (``/`` separators).

    Raises
    ------
    asleep_nb.errors.InvalidIdentifier, asleep_nb.errors.InvalidTimezone
        For ids not in the contract's formats or an unknown zone.
    """
    check_session_id(session_id)
    check_user_id(user_id)
    validate_timezone(timezone)
    return f"{SESSIONS_DIR}/{user_id}/{session_id}@{zone_token(timezone)}.json"


def folder_for(root: Path, relative: str, *, create: bool = False) -> Path:
    """The folder of the file ``relative`` to ``root``, checked to hold no link (made if ``create``).

    Raises
    ------
    ArchiveCorrupt
        When ``sessions`` or the user folder is a symbolic link (or not a folder).
    FileNotFoundError
        When a folder is missing and ``create`` is false.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> folder_for(root, "sessions/G-1/x.json", create=True).relative_to(root).as_posix()
    'sessions/G-1'
    """
    folder = os.fspath(root)  # strings, not Path objects: this runs on every archived read and write
    for part in relative.split("/")[:-1]:
        folder = os.path.join(folder, part)
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            if not create:
                raise
            os.makedirs(folder, exist_ok=True)
            mode = os.lstat(folder).st_mode
        if not stat.S_ISDIR(mode):
            _refuse_folder(folder)
            raise ArchiveCorrupt(Path(folder), "it is not a folder")  # it changed since: refuse anyway
    return Path(folder)


class InsideReader:
    """Reads files inside one folder through directory descriptors, never through a link.

    Each folder on the way is opened with ``O_DIRECTORY | O_NOFOLLOW`` relative
    to its parent's descriptor and the file with ``O_NOFOLLOW`` relative to its
    folder's, so a link anywhere below ``root`` is refused and nothing can be
    swapped in between a check and the read. The last folder stays open:
    reading a user's nights one after another opens that folder once, and a
    file costs three system calls (open, read, close) plus one to see the end.
    Where ``os.open`` takes no ``dir_fd`` (Windows), each read checks the
    folders with ``lstat`` first instead (:func:`folder_for`).

    Use it as a context manager; :func:`read_inside` reads one file with a
    reader of its own.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (folder_for(root, "sessions/G-1/x.json", create=True) / "x.json").write_bytes(b"{}")
    >>> with InsideReader(root) as reader:
    ...     reader.read("sessions/G-1/x.json", size=2)
    b'{}'
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        self._by_fd = os.open in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
        self._folder: str | None = None
        self._folder_fd = -1

    def __enter__(self) -> InsideReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the folder kept open (reading again reopens it)."""
        if self._folder_fd >= 0:
            os.close(self._folder_fd)
        self._folder, self._folder_fd = None, -1

    def read(self, relative: str, size: int = -1) -> bytes:
        """The bytes of the file ``relative`` to the root (``/`` separators).

        ``size`` is what the caller expects (a manifest's size): the file is
        read in one call of that size plus one, whatever its real size.

        Raises
        ------
        ArchiveCorrupt
            When the file is missing, unreadable, a symbolic link, not a
            regular file (a FIFO, a device: opened without blocking, checked
            with ``fstat`` before any read), or in a folder that is a link or
            not a folder.
        """
        folder, _, name = relative.rpartition("/")
        path = os.path.join(self.root, relative)
        try:
            if self._by_fd:
                fd = os.open(name, _FILE_FLAGS, dir_fd=self._open_folder(folder))
            else:
                folder_for(Path(self.root), relative)
                fd = os.open(path, _FILE_FLAGS)
        except ArchiveCorrupt:
            raise
        except OSError as exc:
            if os.path.islink(path):
                raise ArchiveCorrupt(
                    Path(path), "it is a symbolic link; archived files are never links"
                ) from None
            raise ArchiveCorrupt(path, f"cannot read it ({exc.strerror or exc})") from None
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):  # a FIFO would block the read forever, a device never end
                raise ArchiveCorrupt(path, f"it is not a regular file but {_file_kind(mode)}")
            return _read_to_end(fd, size)
        except OSError as exc:
            raise ArchiveCorrupt(path, f"cannot read it ({exc.strerror or exc})") from None
        finally:
            os.close(fd)

    def _open_folder(self, folder: str) -> int:
        """The descriptor of ``folder`` (relative to the root), opened link-free; the last one is kept."""
        if folder == self._folder:
            return self._folder_fd
        self.close()
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)  # the root itself may be a link
        try:
            so_far = self.root
            for part in folder.split("/") if folder else ():
                so_far = os.path.join(so_far, part)
                try:
                    child = os.open(part, _FOLDER_FLAGS, dir_fd=fd)
                except OSError:
                    _refuse_folder(so_far)  # a link or not a folder: says which
                    raise  # missing or unreadable: the caller names the file
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        self._folder, self._folder_fd = folder, fd
        return fd


#: ``O_NONBLOCK``: opening a FIFO must not wait for a writer (it is then refused as not a file).
_FILE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _read_to_end(fd: int, size: int) -> bytes:
    """Everything left in ``fd``: one read of ``size + 1`` bytes, then reads until the end."""
    parts = [os.read(fd, size + 1 if size >= 0 else _CHUNK)]
    while parts[-1]:
        parts.append(os.read(fd, _CHUNK))
    return b"".join(parts)


_CHUNK = 1 << 16


def _file_kind(mode: int) -> str:
    """What a file that is not a regular one is, for messages."""
    kinds = (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    )
    return next((name for test, name in kinds if test(mode)), f"a file of mode {mode:o}")


def _refuse_folder(folder: str) -> None:
    """Raise :class:`ArchiveCorrupt` when ``folder`` is a symbolic link or not a folder."""
    try:
        mode = os.lstat(folder).st_mode
    except OSError:
        return
    if stat.S_ISLNK(mode):
        raise ArchiveCorrupt(
            Path(folder),
            f"it is a symbolic link (to {os.path.realpath(folder)}); it could lead "
            "out of the archive, whose folders are never links",
        )
    if not stat.S_ISDIR(mode):
        raise ArchiveCorrupt(Path(folder), "it is not a folder")


def read_inside(root: Path, relative: str) -> bytes:
    """The bytes of the file ``relative`` to ``root``, read once, never through a link.

    Raises
    ------
    ArchiveCorrupt
        When the file is missing, unreadable, a symbolic link, or in a
        folder that is a link.
    """
    with InsideReader(root) as reader:
        return reader.read(relative)
