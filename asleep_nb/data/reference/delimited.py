r"""Reference scorings as CSV or TSV: one row per epoch, or one row per stage change.

Columns (header names are matched case-insensitively; other columns are ignored):

- ``stage`` (or ``label``): the stage label, any spelling of the reference
  label rule (``W``, ``N2``, ``Sleep stage 4``, ``REM sleep|5``, ``0`` .. ``4``);
- time, one of:

  - ``time``: the row's start as an ISO 8601 instant *with* a UTC offset
    (``2025-03-01T22:14:10+00:00``); the file then needs no start time;
  - ``onset``: seconds since the start time given by the reference manifest
    (``start_time``) or the caller;
  - neither: one row per epoch, the first at the given start time;

- ``duration`` (optional): seconds; without it a row lasts until the next
  row (the last one epoch).

A ``.tsv`` (or ``.tab``, ``.txt``) file is tab-separated, anything else comma-separated.
Messages name the file line as an editor shows it (the header is line 1).

Examples
--------
>>> import tempfile, pathlib
>>> f = pathlib.Path(tempfile.mkdtemp()) / "night.csv"
>>> _ = f.write_text("onset,stage\n0,W\n90,N2\n120,R\n")
>>> s = read_delimited(f, start_time="2025-01-01T22:00:00Z")
>>> s.stages.tolist()
[0, 0, 0, 1, 3]
"""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from pathlib import Path

import numpy as np

from asleep_nb.data.reference.epochs import (
    MAX_EPOCHS,
    Row,
    Scoring,
    parse_instant,
    parse_seconds,
    scoring_from_rows,
)
from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.errors import ReferenceFileError

__all__ = ["MAX_FILE_BYTES", "read_bytes", "read_delimited"]

#: Largest scoring file read (a 72-hour night of one row per epoch is far below it).
MAX_FILE_BYTES = 20_000_000
_STAGE = ("stage", "label")
_TABS = (".tsv", ".tab", ".txt")


def read_bytes(path: Path, shown: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, or a :class:`ReferenceFileError` (missing, unreadable, over ``limit``).

    Examples
    --------
    >>> read_bytes(Path("no/such.xml"), "n.xml")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference n.xml: file not found
    """
    try:
        size = path.stat().st_size
        if size > limit:
            raise ReferenceFileError(shown, f"file is {size} bytes, over the {limit}-byte limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise ReferenceFileError(shown, "file not found") from None
    except OSError as exc:
        raise ReferenceFileError(shown, f"cannot read the file: {exc.strerror or exc}") from None


def read_delimited(
    path: str | os.PathLike[str],
    *,
    start_time: str | datetime | None = None,
    shown: str | None = None,
) -> Scoring:
    """Read one night from a CSV/TSV scoring file (see the module for the columns).

    Parameters
    ----------
    path
        The file.
    start_time
        ISO 8601 instant with a UTC offset (or an aware ``datetime``) of
        onset 0; needed unless the file has a ``time`` column (then ignored).
    shown
        How messages name the file (default: ``path`` as given).

    Returns
    -------
    Scoring

    Raises
    ------
    ReferenceFileError
        Missing file, no ``stage`` column, an unreadable number or time, no
        start time, or a rule of :func:`~asleep_nb.data.reference.epochs.scoring_from_rows`
        broken; the message names the line.

    Examples
    --------
    >>> read_delimited("no/such.csv")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference no/such.csv: file not found
    """
    file = Path(path)
    shown = os.fspath(path) if shown is None else shown
    try:
        text = read_bytes(file, shown).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReferenceFileError(shown, f"not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    delimiter = "\t" if file.suffix.lower() in _TABS else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                if header is None:
                    header = [cell.strip().lower() for cell in record]
                else:
                    records.append((line, record))
                    if len(records) > MAX_EPOCHS:
                        raise ReferenceFileError(shown, f"more than {MAX_EPOCHS} rows (72 h)", f"line {line}")
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ReferenceFileError(shown, f"not a readable CSV file: {exc}", f"line {line}") from None
    if header is None:
        raise ReferenceFileError(shown, "no stage rows: the file is empty")
    stage_col = next((header.index(c) for c in _STAGE if c in header), None)
    if stage_col is None:
        raise ReferenceFileError(
            shown,
            f"no stage column: expected one named 'stage' (found {', '.join(header)})",
            "line 1 (header)",
        )
    has: dict[str, int] = {c: header.index(c) for c in ("time", "onset", "duration") if c in header}

    def cell(record: list[str], column: str) -> str:
        index = has[column]
        return record[index].strip() if index < len(record) else ""

    rows: list[Row] = []
    origin: np.datetime64 | None = None
    for number, record in records:
        where = f"line {number}"
        label = record[stage_col] if stage_col < len(record) else ""
        duration = None
        if "duration" in has:
            duration = parse_seconds(cell(record, "duration"), "duration", shown, where)
        if "time" in has:
            instant = parse_instant(cell(record, "time"), shown, where)
            origin = instant if origin is None else origin
            onset = float((instant - origin) / np.timedelta64(1, "ns")) / 1e9
        elif "onset" in has:
            onset = parse_seconds(cell(record, "onset"), "onset", shown, where)
        else:
            onset, duration = float(len(rows) * EPOCH_SECONDS), float(EPOCH_SECONDS)
        rows.append(Row(onset, duration, label, where))
    if origin is None:
        if start_time is None:
            raise ReferenceFileError(
                shown,
                "no start time: the file has no 'time' column, so give start_time (reference manifest "
                "column or argument)",
            )
        origin = parse_instant(start_time, shown, "start_time")
    return scoring_from_rows(rows, shown, origin)
