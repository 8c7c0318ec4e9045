"""The reference manifest: which scoring file belongs to which Asleep session.

A CSV file, one row per night, header on line 1:

================  ========  ==================================================================
column            required  what
================  ========  ==================================================================
``session_id``    yes       the Asleep session the scoring is compared with (unique)
``user_id``       yes       the participant (the Asleep user id)
``file``          yes       the scoring file, relative to the manifest's folder (or absolute)
``format``        no        ``csv``, ``tsv``, ``edf`` or ``nsrr``; empty: from the file's
                            extension (``.csv``; ``.tsv``/``.tab``/``.txt``; ``.edf``; ``.xml``)
``start_time``    no        ISO 8601 instant with a UTC offset of the scoring's onset 0;
                            required for NSRR XML and for CSV files without a ``time`` column
================  ========  ==================================================================

Other columns are ignored. Errors name the manifest line.

Examples
--------
>>> from asleep_nb.resources import demo_data_dir
>>> m = read_reference_manifest(demo_data_dir() / "reference" / "manifest.csv")
>>> m.entries[0].format, m.entries[0].where
('csv', 'manifest.csv, line 2')
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asleep_nb.data.reference.delimited import read_bytes, read_delimited
from asleep_nb.data.reference.edf import read_edf
from asleep_nb.data.reference.epochs import Scoring
from asleep_nb.data.reference.nsrr import read_nsrr
from asleep_nb.definitions.identifiers import is_session_id, is_user_id
from asleep_nb.errors import ReferenceFileError, shorten

__all__ = [
    "FORMATS",
    "EXTENSIONS",
    "ReferenceEntry",
    "ReferenceManifest",
    "format_of",
    "read_reference_manifest",
]

Reader = Callable[..., Scoring]
#: Every supported format and its reader.
FORMATS: dict[str, Reader] = {
    "csv": read_delimited,
    "tsv": read_delimited,
    "edf": read_edf,
    "nsrr": read_nsrr,
}
#: File extension -> format, when the manifest leaves ``format`` empty.
EXTENSIONS: dict[str, str] = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".edf": "edf", ".xml": "nsrr"
}  # fmt: skip
_REQUIRED = ("session_id", "user_id", "file")
_MAX_ROWS = 100_000


def format_of(file: str | os.PathLike[str], given: str | None, shown: str, where: str = "") -> str:
    """The format of a scoring file: ``given`` if set (checked), else from its extension.

    Examples
    --------
    >>> format_of("n1.XML", None, "m.csv"), format_of("n1.dat", "TSV", "m.csv")
    ('nsrr', 'tsv')
    """
    if given:
        name = given.strip().lower()
        if name not in FORMATS:
            raise ReferenceFileError(
                shown, f"unknown format {shorten(given)}; expected one of {', '.join(FORMATS)}", where
            )
        return name
    suffix = Path(file).suffix.lower()
    if suffix not in EXTENSIONS:
        raise ReferenceFileError(
            shown,
            f"cannot tell the format of {shorten(os.fspath(file))} from its extension: give format",
            where,
        )
    return EXTENSIONS[suffix]


@dataclass(frozen=True)
class ReferenceEntry:
    """One row of a reference manifest: a scoring file keyed to an Asleep session.

    Attributes
    ----------
    session_id, user_id
        The Asleep session and user the scoring is compared with.
    file
        The scoring file (resolved against the manifest's folder).
    shown
        How messages name it (as the manifest wrote it).
    format
        ``csv``, ``tsv``, ``edf`` or ``nsrr``.
    start_time
        Instant of onset 0 as written, or ``None``.
    where
        ``"<manifest name>, line <n>"``.
    """

    session_id: str
    user_id: str
    file: Path
    shown: str
    format: str
    start_time: str | datetime | None = None
    where: str = ""

    def read(self) -> Scoring:
        """Read the scoring with its format's reader.

        Examples
        --------
        >>> from asleep_nb.resources import demo_data_dir
        >>> m = read_reference_manifest(demo_data_dir() / "reference" / "manifest.csv")
        >>> m.entries[0].read().stages.dtype
        dtype('int8')
        """
        return FORMATS[self.format](self.file, start_time=self.start_time, shown=self.shown)


@dataclass(frozen=True)
class ReferenceManifest:
    """A validated reference manifest.

    Attributes
    ----------
    path
        Absolute path of the manifest.
    sha256
        Hex SHA-256 of its bytes (provenance).
    entries
        One :class:`ReferenceEntry` per row, in file order.
    """

    path: Path
    sha256: str
    entries: tuple[ReferenceEntry, ...]


def read_reference_manifest(path: str | os.PathLike[str]) -> ReferenceManifest:
    """Read and check a reference manifest (see the module for its columns).

    Raises
    ------
    ReferenceFileError
        Missing file, a required column missing, an empty or malformed id, an
        unknown format, or a duplicate ``session_id`` (naming both lines).

    Examples
    --------
    >>> read_reference_manifest("no/such.csv")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference no/such.csv: file not found
    """
    shown = os.fspath(path)
    file = Path(path)
    data = read_bytes(file, shown)
    name = file.name
    try:
        text = data.decode("utf-8-sig")
        records = list(_records(text))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ReferenceFileError(shown, f"not a UTF-8 CSV file: {exc}") from None
    if not records:
        raise ReferenceFileError(shown, "the manifest is empty")
    header = [c.strip().lower() for c in records[0][1]]
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise ReferenceFileError(shown, f"missing column(s) {', '.join(missing)}", "line 1 (header)")
    if len(records) > _MAX_ROWS + 1:
        raise ReferenceFileError(shown, f"more than {_MAX_ROWS} rows")
    entries: list[ReferenceEntry] = []
    seen: dict[str, int] = {}
    for line, record in records[1:]:
        row = {c: (record[i].strip() if i < len(record) else "") for i, c in enumerate(header)}
        where = f"line {line}"
        if not is_session_id(row["session_id"]):
            raise ReferenceFileError(
                shown, f"session_id {shorten(row['session_id'])} is not an Asleep session id", where
            )
        if not is_user_id(row["user_id"]):
            raise ReferenceFileError(
                shown, f"user_id {shorten(row['user_id'])} is not an Asleep user id", where
            )
        if row["session_id"] in seen:
            raise ReferenceFileError(
                shown,
                f"duplicate session_id {row['session_id']} (also on line {seen[row['session_id']]})",
                where,
            )
        seen[row["session_id"]] = line
        if not row["file"]:
            raise ReferenceFileError(shown, "file is empty", where)
        target = Path(row["file"])
        entries.append(
            ReferenceEntry(
                row["session_id"],
                row["user_id"],
                target if target.is_absolute() else file.parent / target,
                row["file"],
                format_of(target, row.get("format"), shown, where),
                row.get("start_time") or None,
                f"{name}, {where}",
            )
        )
    if not entries:
        raise ReferenceFileError(shown, "the manifest has no rows")
    return ReferenceManifest(file.resolve(), hashlib.sha256(data).hexdigest(), tuple(entries))


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank CSV records of ``text``, each with its first file line."""
    reader = csv.reader(io.StringIO(text))
    out: list[tuple[int, list[str]]] = []
    start = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            out.append((start, record))
        start = reader.line_num + 1
    return out
