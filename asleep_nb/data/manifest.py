"""Cohort manifests: which sessions of which users, in which group.

A manifest is a CSV file or a :class:`pandas.DataFrame`, one row per
request, with the columns

========== ======== ==========================================================
column     required meaning
========== ======== ==========================================================
user_id    yes      the session owner (``G-...``)
group      yes      study group label (any non-empty text)
session_id no       one session; leave empty to take every session of the user
date_gte   no       ``YYYY-MM-DD``: first local start date (only without session_id)
date_lte   no       ``YYYY-MM-DD``: last local start date, inclusive (idem)
timezone   no       IANA zone the user's sessions are fetched in (default UTC)
period     no       design period of the row's sessions (e.g. ``baseline``,
                    ``intervention``): the cohort's ``period`` coordinate, for
                    :func:`asleep_nb.stats.compare_periods`
========== ======== ==========================================================

Empty cells mean "not given". Any other column is a **covariate** of the
study (``age``, ``sex``, ``bmi``, ``site``, ...): it becomes a per-session
coordinate of the cohort and a column of :func:`asleep_nb.stats_table`, for
:func:`asleep_nb.stats.compare_groups` (``covariates=``) and Table 1's
balance rows. Its type is inferred from the cells given (:func:`covariate_values`):
a column whose every non-empty cell is a number becomes ``float64``
(missing: ``NaN``), any other column text (missing: ``None``), shown as a
pandas category in the stats table. A column whose name is close to a known
column (``sesion_id``, ``timezon``) is still an error: a misspelt
``session_id`` must not silently mean "all sessions".

Examples
--------
>>> import pandas as pd
>>> from asleep_nb.data.manifest import read_manifest
>>> table = read_manifest(pd.DataFrame({"user_id": ["G-1"], "group": ["control"]}))
>>> table.loc[0, "session_id"], table.loc[0, "timezone"]
('', '')
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from asleep_nb.definitions.contract import DATE_PATTERN
from asleep_nb.errors import InvalidTimezone, ManifestError
from asleep_nb.timezones import validate_timezone

__all__ = [
    "ManifestError",
    "SessionRequest",
    "MANIFEST_COLUMNS",
    "read_manifest",
    "covariate_columns",
    "covariate_values",
]

#: Every column a manifest may have; the first two are required.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "user_id",
    "group",
    "session_id",
    "date_gte",
    "date_lte",
    "timezone",
    "period",
)
_REQUIRED = ("user_id", "group")
#: How close (difflib ratio) a column name must be to a known column to count as its misspelling.
MISSPELLING_CUTOFF = 0.8


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """One session to fetch for a cohort.

    Parameters
    ----------
    session_id, user_id
        The session and its owner.
    timezone
        IANA zone to ask the server for.
    group
        The study group of the session.
    """

    session_id: str
    user_id: str
    timezone: str
    group: str


def read_manifest(manifest: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    """Read and validate a manifest; return it with every column, as text.

    Parameters
    ----------
    manifest
        A CSV path or a DataFrame (see the module docstring for columns).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MANIFEST_COLUMNS` in that order, all ``str``, ``""``
        for not given, then the covariates in the manifest's order, typed by
        :func:`covariate_values`; a fresh 0..n-1 index.

    Raises
    ------
    ManifestError
        Naming the row (1-based, as in a spreadsheet without header) and the
        column of the first problem: missing required column, a column that
        looks like a misspelt known column, a duplicated column,
        empty ``user_id``/``group``, a malformed date, ``date_gte`` after
        ``date_lte``, dates together with a ``session_id``, an unknown time
        zone, or the same session twice.

    Examples
    --------
    >>> read_manifest(pd.DataFrame({"user_id": ["G-1"]}))
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ManifestError: manifest is missing the required column 'group'
    """
    if isinstance(manifest, pd.DataFrame):
        frame = manifest.copy()
    elif isinstance(manifest, (str, os.PathLike)):
        try:
            frame = pd.read_csv(manifest, dtype=str, keep_default_na=False, skipinitialspace=True)
        except FileNotFoundError:
            raise ManifestError(f"manifest file not found: {os.fspath(manifest)!r}") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ManifestError(f"cannot read manifest {os.fspath(manifest)!r} as CSV: {exc}") from None
    else:
        raise TypeError(f"manifest must be a CSV path or a pandas DataFrame, got {type(manifest).__name__}")

    frame.columns = [str(c).strip() for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        twice = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
        raise ManifestError(f"manifest has the column(s) {twice} more than once")
    extra = [c for c in frame.columns if c not in MANIFEST_COLUMNS]
    misspelt = []
    for col in extra:
        close = difflib.get_close_matches(col, MANIFEST_COLUMNS, n=1, cutoff=MISSPELLING_CUTOFF)
        if close or not col:
            misspelt.append(f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else " (no name)"))
    if misspelt:
        raise ManifestError(
            f"manifest has unknown column(s) {', '.join(misspelt)}; known: {', '.join(MANIFEST_COLUMNS)} "
            "(other columns are covariates)"
        )
    for col in _REQUIRED:
        if col not in frame.columns:
            raise ManifestError(f"manifest is missing the required column {col!r}")
    if len(frame) == 0:
        raise ManifestError("manifest has no rows")

    table = pd.DataFrame(
        {col: _text_column(frame[col]) if col in frame else [""] * len(frame) for col in MANIFEST_COLUMNS}
    )
    for col in extra:
        table[col] = covariate_values(_text_column(frame[col]))
    seen: dict[tuple[str, str], int] = {}
    rows: list[dict[str, str]] = [
        dict(zip(MANIFEST_COLUMNS, values, strict=True))
        for values in table[list(MANIFEST_COLUMNS)].to_numpy()
    ]
    for i, row in enumerate(rows, start=1):
        _check_row(i, row)
        if row["session_id"]:
            key = (row["user_id"], row["session_id"])
            if key in seen:
                raise ManifestError(
                    f"row {i}: session {row['session_id']!r} is already listed in row {seen[key]}"
                )
            seen[key] = i
    return table


def covariate_columns(table: pd.DataFrame) -> list[str]:
    """The covariates of a :func:`read_manifest` table: its columns after :data:`MANIFEST_COLUMNS`.

    Examples
    --------
    >>> covariate_columns(read_manifest(pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "age": [40]})))
    ['age']
    """
    return [c for c in table.columns if c not in MANIFEST_COLUMNS]


def covariate_values(cells: Iterable[str]) -> pd.Series:
    """A covariate's cells (text, ``""`` for missing) typed: numbers as ``float64``, else text.

    Every non-empty cell a number (``40``, ``23.5``, ``1e3``): ``float64``
    with ``NaN`` for empty cells. Otherwise text, ``None`` for empty cells
    (``"1"`` and ``"male"`` in one column stay text).

    Examples
    --------
    >>> covariate_values(["41.5", "", "30"]).tolist(), covariate_values(["male", "", "female"]).tolist()
    ([41.5, nan, 30.0], ['male', None, 'female'])
    """
    text = list(cells)
    given = [c for c in text if c != ""]
    numbers = pd.to_numeric(pd.Series(given, dtype=object), errors="coerce")
    if given and numbers.notna().all():
        return pd.Series([float(c) if c != "" else float("nan") for c in text], dtype="float64")
    return pd.Series([c if c != "" else None for c in text], dtype=object)


def _text_column(values: Iterable[Any]) -> list[str]:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
            out.append("")
        elif isinstance(v, (date, pd.Timestamp)):
            out.append(v.strftime("%Y-%m-%d"))
        else:
            out.append(str(v).strip())
    return out


def _check_row(i: int, row: dict[str, str]) -> None:
    for col in _REQUIRED:
        if not row[col]:
            raise ManifestError(f"row {i}: {col} is empty")
    dates = {}
    for col in ("date_gte", "date_lte"):
        text = row[col]
        if not text:
            continue
        if row["session_id"]:
            raise ManifestError(
                f"row {i}: give either a session_id or a date range, not both "
                f"(session_id={row['session_id']!r}, {col}={text!r})"
            )
        try:
            if not DATE_PATTERN.fullmatch(text):
                raise ValueError
            dates[col] = date.fromisoformat(text)
        except ValueError:
            raise ManifestError(f"row {i}: {col} {text!r} is not a date YYYY-MM-DD") from None
    if len(dates) == 2 and dates["date_gte"] > dates["date_lte"]:
        raise ManifestError(f"row {i}: date_gte {row['date_gte']!r} is after date_lte {row['date_lte']!r}")
    if row["timezone"]:
        try:
            validate_timezone(row["timezone"])
        except InvalidTimezone:
            raise ManifestError(f"row {i}: timezone {row['timezone']!r} is not an IANA zone name") from None
