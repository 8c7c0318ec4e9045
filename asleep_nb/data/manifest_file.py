"""A manifest read from its CSV file: its rows, the file line of each row, and its SHA-256.

What a command line tool needs beyond :func:`asleep_nb.data.manifest.read_manifest`:
errors name the line of the file as an editor shows it (the header is line 1),
and the file is named by its name and SHA-256, never its folder, so a copy
elsewhere is the same manifest (``asleep-nb fetch`` and ``asleep-nb report``
use it).

Examples
--------
>>> from asleep_nb.resources import demo_data_dir
>>> m = read_manifest_file(demo_data_dir() / "manifest.csv")
>>> m.name, m.lines[:2]
('manifest manifest.csv', (2, 3))
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from asleep_nb.data.manifest import read_manifest
from asleep_nb.errors import ManifestError

__all__ = ["ManifestFile", "read_manifest_file"]

_ROW = re.compile(r"\brow (\d+)\b")


@dataclass(frozen=True)
class ManifestFile:
    """A validated manifest read from a CSV file.

    Attributes
    ----------
    path
        Absolute path of the file.
    name
        How reports name it: ``"manifest <file name>"`` (no folder).
    sha256
        Hex SHA-256 of the file's bytes.
    rows
        The validated rows (:func:`asleep_nb.data.manifest.read_manifest`).
    lines
        The file line (1-based; the header is line 1) of each row.
    """

    path: Path
    name: str
    sha256: str
    rows: pd.DataFrame
    lines: tuple[int, ...]

    def where(self, row: int) -> str:
        """``"<name>, line <n>"`` for the row at position ``row`` (0-based).

        Examples
        --------
        >>> from asleep_nb.resources import demo_data_dir
        >>> read_manifest_file(demo_data_dir() / "manifest.csv").where(0)
        'manifest manifest.csv, line 2'

        """
        return f"{self.name}, line {self.lines[row]}"

    def located(self, error: ManifestError) -> ManifestError:
        """A rule broken by a row of this file (``"row 3: ..."``), as an error naming its file line.

        Examples
        --------
        >>> from asleep_nb.resources import demo_data_dir
        >>> m = read_manifest_file(demo_data_dir() / "manifest.csv")
        >>> str(m.located(ManifestError("row 1: names a session")))
        'manifest manifest.csv, line 2: names a session'
        """
        return ManifestError(f"{self.name}{_with_lines(str(error), self.lines)}")


def read_manifest_file(path: str | os.PathLike[str]) -> ManifestFile:
    """Read and validate a manifest CSV, keeping each row's file line.

    Parameters
    ----------
    path
        The CSV file (see :mod:`asleep_nb.data.manifest` for its columns).

    Returns
    -------
    ManifestFile

    Raises
    ------
    ManifestError
        The file is missing or unreadable, or a row breaks a rule; the
        message names the file line (``"study.csv, line 4: user_id is empty"``).

    Examples
    --------
    >>> read_manifest_file("no/such.csv")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ManifestError: manifest no/such.csv not found
    """
    shown = os.fspath(path)
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise ManifestError(f"manifest {shown} not found") from None
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {shown}: {exc.strerror or exc}") from None
    try:
        lines = _row_lines(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"manifest {shown} is not a UTF-8 CSV file: {exc}") from None
    try:
        rows = read_manifest(file)
    except ManifestError as exc:
        raise ManifestError(f"manifest {shown}{_with_lines(str(exc), lines)}") from None
    if len(lines) != len(rows):  # pragma: no cover - a CSV pandas reads otherwise than the csv module
        lines = tuple(range(2, len(rows) + 2))
    return ManifestFile(
        file.resolve(), f"manifest {file.name}", hashlib.sha256(data).hexdigest(), rows, lines
    )


def _row_lines(text: str) -> tuple[int, ...]:
    """File line of each data row of a CSV text (blank lines skipped, as pandas does)."""
    reader = csv.reader(io.StringIO(text))
    starts: list[int] = []
    start = 1
    for record in reader:
        if any(cell.strip() for cell in record):
            starts.append(start)
        start = reader.line_num + 1
    return tuple(starts[1:])  # the first record is the header


def _with_lines(message: str, lines: tuple[int, ...]) -> str:
    """A :class:`ManifestError` message, to follow the manifest's name, with rows as file lines.

    ``"row 3: user_id is empty"`` becomes ``", line 4: user_id is empty"``; a
    complaint about a column points at the header (line 1).
    """

    def line(match: re.Match[str]) -> str:
        row = int(match.group(1))
        return f"line {lines[row - 1]}" if 0 < row <= len(lines) else match.group(0)

    if _ROW.match(message):
        return ", " + _ROW.sub(line, message)
    if message.startswith("cannot read manifest"):
        return ": cannot be read as CSV: " + message.split(": ", 1)[-1]
    rest = message.removeprefix("manifest ")
    return (", line 1 (header): " if "column" in rest else ": ") + rest
