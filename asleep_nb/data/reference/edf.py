"""Reference scorings as EDF+ hypnogram annotations (the Sleep-EDF ``*-Hypnogram.edf`` form), read by MNE.

The annotations are read with :func:`mne.read_annotations` (the optional
extra ``pip install 'asleep-nb[edf]'``; imported only when an EDF file is
read). Each annotation is one row: onset and duration in seconds from the
recording start, description the stage label (``Sleep stage W/1/2/3/4/R/?``,
``Movement time``). Messages name the annotation (``annotation 12``, counted
from 1 in onset order, as MNE returns them).

Start time: the caller's (reference manifest ``start_time``) when given,
else the EDF header's start date and time. EDF keeps a wall clock without a
zone; like MNE, the header clock is then read as UTC, so give ``start_time``
whenever the recording's clock was not UTC.

Examples
--------
>>> from asleep_nb.data.reference.edf import header_start
>>> header = b" " * 168 + b"02.01.25" + b"22.30.00" + b" " * 72
>>> str(header_start(header, "h.edf"))
'2025-01-02T22:30:00.000000000'
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np

from asleep_nb.data.reference.delimited import MAX_FILE_BYTES, read_bytes
from asleep_nb.data.reference.epochs import MAX_EPOCHS, Row, Scoring, parse_instant, scoring_from_rows
from asleep_nb.errors import ReferenceFileError

__all__ = ["MNE_MISSING", "header_start", "read_edf"]

#: What the reader says when MNE is not installed.
MNE_MISSING = "reading EDF+ hypnograms needs MNE: pip install 'asleep-nb[edf]'"
_DATE = re.compile(rb"(\d\d)\.(\d\d)\.(\d\d)")


def header_start(header: bytes, shown: str) -> np.datetime64:
    """Start of an EDF header (bytes 168-183: ``dd.mm.yy``, ``hh.mm.ss``) as ``datetime64[ns]``.

    Years 85-99 are 1985-1999, 00-84 are 2000-2084 (the EDF specification).

    Raises
    ------
    ReferenceFileError
        The header is too short or its date or time is malformed.

    Examples
    --------
    >>> header_start(b"short", "h.edf")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference h.edf, header: not an EDF header (5 bytes)
    """
    if len(header) < 184:
        raise ReferenceFileError(shown, f"not an EDF header ({len(header)} bytes)", "header")
    date, clock = _DATE.fullmatch(header[168:176]), _DATE.fullmatch(header[176:184])
    if date is None or clock is None:
        raise ReferenceFileError(shown, "the header's start date or time is malformed", "header")
    day, month, yy = (int(x) for x in date.groups())
    hour, minute, second = (int(x) for x in clock.groups())
    try:
        start = datetime(yy + (1900 if yy >= 85 else 2000), month, day, hour, minute, second)
    except ValueError as exc:
        raise ReferenceFileError(
            shown, f"the header's start date or time is invalid: {exc}", "header"
        ) from None
    return np.datetime64(start, "ns")


def read_edf(
    path: str | os.PathLike[str],
    *,
    start_time: str | datetime | None = None,
    shown: str | None = None,
) -> Scoring:
    """Read one night from an EDF+ hypnogram (annotations) with MNE.

    Parameters
    ----------
    path
        The EDF+ file.
    start_time
        ISO 8601 instant with a UTC offset of the recording start; default:
        the header's clock, read as UTC.
    shown
        How messages name the file (default: ``path`` as given).

    Returns
    -------
    Scoring

    Raises
    ------
    ImportError
        MNE is not installed (:data:`MNE_MISSING`).
    ReferenceFileError
        Missing file, not an EDF+ file MNE can read, or a rule of
        :func:`~asleep_nb.data.reference.epochs.scoring_from_rows` broken (the
        message names the annotation).

    Examples
    --------
    >>> read_edf("no/such.edf")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference no/such.edf: file not found
    """
    file = Path(path)
    shown = os.fspath(path) if shown is None else shown
    header = read_bytes(file, shown, MAX_FILE_BYTES)[:256]  # missing or too large: refused before MNE
    try:
        import mne
    except ImportError:  # pragma: no cover - MNE is installed where the tests run
        raise ImportError(MNE_MISSING) from None
    try:
        annotations = mne.read_annotations(file)
    except Exception as exc:  # MNE raises many types for a file it cannot parse
        raise ReferenceFileError(
            shown, f"not an EDF+ file MNE can read ({type(exc).__name__}: {exc})"
        ) from None
    if len(annotations) > MAX_EPOCHS:
        raise ReferenceFileError(shown, f"more than {MAX_EPOCHS} annotations (72 h)")
    rows = [
        Row(float(onset), float(duration), str(label), f"annotation {i + 1}")
        for i, (onset, duration, label) in enumerate(
            zip(annotations.onset, annotations.duration, annotations.description, strict=True)
        )
    ]
    origin = (
        header_start(header, shown) if start_time is None else parse_instant(start_time, shown, "start_time")
    )
    return scoring_from_rows(rows, shown, origin)
