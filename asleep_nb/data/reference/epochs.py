"""One night of reference scoring on its 30-s grid, from the labelled rows of any file format.

Every reader turns its file into :class:`Row` objects (onset in seconds from
a time origin, optional duration, label, where in the file) and hands them to
:func:`scoring_from_rows`, which applies the rules once:

- each row lasts ``duration`` seconds, or until the next row's onset when it
  has none (the last such row lasts one epoch), so a file may hold one row
  per epoch or one per stage change;
- onsets must increase (else *times go backwards*), each row must start
  exactly where the previous one ended (else *overlap* or *gap*), and every
  duration must be a whole number of 30-s epochs (else *wrong epoch length*:
  only 30-s scorings are read; a 20-s or 60-s grid is refused, never resampled);
- labels go through the reference label rule
  (:func:`asleep_nb.definitions.scoring.reference_stage`); movement and
  unscored epochs become -1 and are counted;
- the scoring starts at ``origin + first onset``, to the nanosecond: it may sit
  a fraction of an epoch away from the device's grid.

Examples
--------
>>> import numpy as np
>>> rows = [Row(0, 60, "W", "line 2"), Row(60, None, "N2", "line 3"), Row(90, None, "?", "line 4")]
>>> s = scoring_from_rows(rows, "n.csv", np.datetime64("2025-01-01T22:00:10", "ns"))
>>> s.stages.tolist(), str(s.start_time), s.n_unscored
([0, 0, 1, -1], '2025-01-01T22:00:10.000000000', 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import numpy as np

from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.definitions.scoring import reference_stage
from asleep_nb.errors import ReferenceFileError, shorten

__all__ = ["MAX_EPOCHS", "Row", "Scoring", "parse_instant", "parse_seconds", "scoring_from_rows"]

#: Longest reference scoring read: 72 hours of 30-s epochs (a bound on what a file can make us allocate).
MAX_EPOCHS: Final = 72 * 120
_NS = 1_000_000_000


@dataclass(frozen=True)
class Row:
    """One labelled row of a scoring file.

    Attributes
    ----------
    onset
        Seconds from the file's time origin.
    duration
        Seconds, or ``None``: until the next row (one epoch for the last).
    label
        The stage label as the file holds it.
    where
        Where the row is in the file, for messages (``"line 4"``, ``"annotation 3"``).
    """

    onset: float
    duration: float | None
    label: object
    where: str


@dataclass(frozen=True)
class Scoring:
    """One night of reference scoring.

    Attributes
    ----------
    path
        The file, as messages and attributes name it.
    start_time
        UTC-naive ``datetime64[ns]`` start of the first epoch.
    stages
        ``int8`` Asleep codes, one per 30-s epoch; -1 where excluded.
    n_movement, n_unscored
        Epochs excluded as movement and as unscored.
    """

    path: str
    start_time: np.datetime64
    stages: np.ndarray = field(repr=False)
    n_movement: int = 0
    n_unscored: int = 0


def parse_seconds(text: str, column: str, path: str, where: str) -> float:
    """A file's onset or duration cell as seconds, or :class:`ReferenceFileError` naming the cell.

    Examples
    --------
    >>> parse_seconds("30", "duration", "night.csv", "line 2")
    30.0
    >>> parse_seconds("1e", "onset", "n.csv", "line 2")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference n.csv, line 2: onset '1e' is not a number of seconds
    """
    try:
        return float(text)
    except ValueError:
        raise ReferenceFileError(
            path, f"{column} {shorten(text)} is not a number of seconds", where
        ) from None


def parse_instant(value: object, path: str, where: str) -> np.datetime64:
    """An ISO 8601 instant with a UTC offset (or a zone-aware ``datetime``) as UTC-naive ``datetime64[ns]``.

    A time without offset is refused: a scoring's clock is never guessed.

    Raises
    ------
    ReferenceFileError
        Not a date and time, or no UTC offset.

    Examples
    --------
    >>> str(parse_instant("2025-01-01T23:00:15+01:00", "m.csv", "line 2"))
    '2025-01-01T22:00:15.000000000'
    >>> parse_instant("2025-01-01 22:00", "m.csv", "line 2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference m.csv, line 2: time '2025-01-01 22:00' has no UTC ...
    """
    if isinstance(value, datetime):
        instant = value
    else:
        text = str(value).strip()
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise ReferenceFileError(
                path, f"time {shorten(text)} is not an ISO 8601 date and time", where
            ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ReferenceFileError(
            path,
            f"time {shorten(str(value))} has no UTC offset (write it as 2025-01-01T22:00:00+00:00 or with Z)",
            where,
        )
    naive = instant.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(naive, "ns")


def _epochs(seconds: float, row: Row, path: str) -> int:
    """``seconds`` as a whole number of epochs, or the wrong-epoch-length error."""
    count = seconds / EPOCH_SECONDS
    if not math.isfinite(count) or count <= 0 or abs(count - round(count)) > 1e-6:
        raise ReferenceFileError(
            path,
            f"a row lasting {seconds:g} s is not a whole number of {EPOCH_SECONDS}-s epochs "
            f"(only {EPOCH_SECONDS}-s scorings are read)",
            row.where,
        )
    return round(count)


def scoring_from_rows(rows: Sequence[Row], path: str, origin: np.datetime64) -> Scoring:
    """The epoch array of one night from labelled rows (see the module's rules).

    Parameters
    ----------
    rows
        The file's stage rows in file order.
    path
        The file, for messages.
    origin
        UTC-naive ``datetime64[ns]`` instant of onset 0.

    Returns
    -------
    Scoring

    Raises
    ------
    ReferenceFileError
        No rows, an unknown label, times going backwards, overlap, gap, a
        duration that is not a whole number of 30-s epochs, or more than
        :data:`MAX_EPOCHS` epochs; the message names the row.

    Examples
    --------
    >>> t0 = np.datetime64("2025-01-01T22:00:00", "ns")
    >>> scoring_from_rows([Row(0, 30, "W", "line 2"), Row(60, 30, "N1", "line 3")], "a.csv", t0)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ReferenceFileError: reference a.csv, line 3: gap: this row starts at 60 s, ...
    """
    if not rows:
        raise ReferenceFileError(path, "no stage rows: the file holds no scored epoch")
    for row in rows:
        if not math.isfinite(row.onset):
            raise ReferenceFileError(path, f"onset {row.onset!r} is not a number of seconds", row.where)
    codes: list[np.ndarray] = []
    n_movement = n_unscored = total = 0
    for i, row in enumerate(rows):
        stage = reference_stage(row.label)
        if stage is None:
            raise ReferenceFileError(
                path, f"unknown stage label {shorten(row.label)} (see the reference label rule)", row.where
            )
        if i:
            previous = rows[i - 1]
            end = rows[0].onset + total * EPOCH_SECONDS
            if row.onset < previous.onset:
                raise ReferenceFileError(
                    path,
                    f"times go backwards: this row starts at {row.onset:g} s, before the previous one "
                    f"({previous.onset:g} s)",
                    row.where,
                )
            if not math.isclose(row.onset, end, abs_tol=1e-3):
                kind = "overlap" if row.onset < end else "gap"
                raise ReferenceFileError(
                    path,
                    f"{kind}: this row starts at {row.onset:g} s, the previous one ended at {end:g} s",
                    row.where,
                )
        if row.duration is not None:
            seconds = row.duration
        elif i + 1 < len(rows):
            seconds = rows[i + 1].onset - row.onset
            if seconds < 0:
                raise ReferenceFileError(
                    path,
                    f"times go backwards: the next row starts at {rows[i + 1].onset:g} s, before this one "
                    f"({row.onset:g} s)",
                    rows[i + 1].where,
                )
            if seconds == 0:
                raise ReferenceFileError(
                    path, f"overlap: the next row starts at the same {row.onset:g} s", rows[i + 1].where
                )
        else:
            seconds = EPOCH_SECONDS
        n = _epochs(seconds, row, path)
        total += n
        if total > MAX_EPOCHS:
            raise ReferenceFileError(path, f"longer than {MAX_EPOCHS} epochs (72 h)", row.where)
        codes.append(np.full(n, stage.code, dtype=np.int8))
        n_movement += n if stage.excluded == "movement" else 0
        n_unscored += n if stage.excluded == "unscored" else 0
    start = origin + np.timedelta64(round(rows[0].onset * _NS), "ns")
    return Scoring(path, start, np.concatenate(codes), n_movement, n_unscored)
