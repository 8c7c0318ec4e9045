"""Where an archive keeps each payload, and reading or placing a file there without leaving the folder.

The layout (:mod:`asleep_nb.loading.archive`)::

    <dir>/sessions/<user_id>/<session_id>@<zone>.json     (``/`` in the zone written as ``~``)

Ids are checked against the contract's formats and zones against the IANA
names before a path is built, so no id can climb out of the folder. A
symbolic link could still lead out (``sessions`` pointing elsewhere): the
layout has no links, so a file is only read or written when neither
``sessions`` nor its user folder is a link (two ``lstat`` calls, cheaper than
resolving the whole path), and a payload file that is itself a link is never
opened (``O_NOFOLLOW``); all raise :class:`~asleep_nb.errors.ArchiveCorrupt`.
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

__all__ = ["SESSIONS_DIR", "zone_token", "relative_file", "folder_for", "read_inside"]

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
        if stat.S_ISLNK(mode):
            raise ArchiveCorrupt(
                Path(folder),
                f"it is a symbolic link (to {os.path.realpath(folder)}); it could lead "
                "out of the archive, whose folders are never links",
            )
        if not stat.S_ISDIR(mode):
            raise ArchiveCorrupt(Path(folder), "it is not a folder")
    return Path(folder)


def read_inside(root: Path, relative: str) -> bytes:
    """The bytes of the file ``relative`` to ``root``, read once, never through a link.

    Raises
    ------
    ArchiveCorrupt
        When the file is missing, unreadable, a symbolic link, or in a
        folder that is a link.
    """
    path = os.path.join(root, relative)
    try:
        folder_for(root, relative)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise ArchiveCorrupt(
                Path(path), "it is a symbolic link; archived files are never links"
            ) from None
        raise ArchiveCorrupt(path, f"cannot read it ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ArchiveCorrupt(path, f"cannot read it ({exc.strerror or exc})") from None
