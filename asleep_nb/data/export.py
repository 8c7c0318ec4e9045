"""Tidy tables for colleagues outside Python: CSV and Parquet files that carry their units.

Two tables leave the toolkit:

- the stats table (:func:`asleep_nb.stats_table`): one row per session, its
  coordinates and every ``stat`` field;
- the epoch table (:func:`asleep_nb.data.epochs.epoch_table`, also importable
  from here): one row per 30-s epoch of every session, with columns
  ``session_id, time, local_time, epoch, stage, stage_label, snoring``.

:func:`write_table` writes either by the file's suffix, column names kept as
they are (the API's names, so R code reads ``df$time_in_sleep``):

- ``.parquet``: typed columns (instants as UTC timestamps, wall-clock times
  as timestamps without zone, ``night`` as a date, ``sleep_cycle_time`` as a
  list of timestamps, nullable integers), each field's metadata holding
  ``units``, ``long_name`` and ``description`` from
  :mod:`asleep_nb.definitions`, the schema's metadata the table's title,
  source and references;
- ``.csv``: plain text (instants ISO 8601 with their UTC offset: the session's
  local offset in the stats table; wall-clock times ISO 8601 without offset,
  declared as text (a string of that format, not a ``dateTime``) so no
  reader takes them for instants;
  dates ``YYYY-MM-DD``; lists space-separated; booleans ``true``/``false``;
  missing values empty) and beside it ``<name>.csv-metadata.json``, a W3C
  CSV on the Web description of every column (datatype, ``schema:unitText``,
  ``dc:description``). Text cells a spreadsheet would run as a formula get a
  leading ``'`` (:mod:`asleep_nb.data.spreadsheet`; ``spreadsheet_safe=False``
  writes them verbatim).

:func:`read_table` reads either back into the table that was written.

Examples
--------
>>> from asleep_nb.data.export import export_epochs, export_stats, read_table
>>> export_stats(cohort, "stats.parquet")
PosixPath('stats.parquet')
>>> export_epochs(cohort, "epochs.csv")  # also writes epochs.csv-metadata.json
PosixPath('epochs.csv')
>>> read_table("stats.parquet").equals(asleep_nb.stats_table(cohort))
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from asleep_nb.data.epochs import EPOCH_COLUMNS, epoch_table
from asleep_nb.data.spreadsheet import neutralise_formulas, restore_formulas
from asleep_nb.data.table import aware_times, stats_table
from asleep_nb.definitions import METRICS
from asleep_nb.definitions.variables import (
    COHORT_VARIABLES,
    EPOCH_TABLE_COLUMNS,
    REFERENCES,
    SOURCES,
    TABLE_TITLES,
)
from asleep_nb.version import __version__

__all__ = ["EPOCH_COLUMNS", "epoch_table", "write_table", "read_table", "export_stats", "export_epochs"]

_SUFFIXES = (".csv", ".parquet")
#: JSON-LD context of the CSV metadata: CSV on the Web, and a prefix for the toolkit's own properties.
_CSVW: list[Any] = ["http://www.w3.org/ns/csvw", {"asleep_nb": "urn:asleep_nb:"}]
_CSVW_TYPES: dict[str, Any] = {
    "instant": "dateTimeStamp",
    "instant_list": "dateTimeStamp",
    # a wall clock is no instant: text (ISO 8601 without offset), so readers such as R's readr keep it
    # as written instead of taking it for a UTC time; the column's description says whose clock it is
    "wallclock": {"base": "string", "format": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"},
    "date": "date",
    "boolean": "boolean",
    "integer": "integer",
    "number": "double",
    "string": "string",
}


# --------------------------------------------------------------------------- column descriptions
def _logical(name: str, series: pd.Series) -> str:
    """What a column holds: instant, instant_list, wallclock, date, boolean, integer, number or string."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "instant"
    if dtype.kind == "M":
        return "date" if name == "night" else "wallclock"
    if name in METRICS and METRICS[name].kind == "time_list":
        return "instant_list"
    if (name in ("start_time", "end_time") or (name in METRICS and METRICS[name].kind == "time")) and (
        dtype.kind == "O"
    ):
        return "instant"  # tz-aware Timestamps of several zones
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    return "string"


def _described(name: str) -> dict[str, str]:
    """``units``, ``long_name`` and ``description`` of a column, from the definitions."""
    if name in EPOCH_TABLE_COLUMNS:
        var = EPOCH_TABLE_COLUMNS[name]
        return {"units": var.units, "long_name": var.long_name, "description": var.meaning}
    if name in COHORT_VARIABLES:
        var = COHORT_VARIABLES[name]
        return {"units": var.units, "long_name": var.long_name, "description": var.meaning}
    if name in METRICS:
        field = METRICS[name]
        return {"units": field.units, "long_name": field.description, "description": field.definition}
    return {"units": "", "long_name": name, "description": ""}


def _columns(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "name": str(name),
            "logical": _logical(str(name), table[name]),
            "dtype": str(table[name].dtype),
            "nullable": bool(table[name].isna().any()) or _logical(str(name), table[name]) != "string",
            **_described(str(name)),
        }
        for name in table.columns
    ]


def _kind(table: pd.DataFrame) -> str:
    return "epochs" if tuple(table.columns[: len(EPOCH_COLUMNS)]) == EPOCH_COLUMNS else "stats"


def _table_meta(kind: str) -> dict[str, str]:
    return {
        "table": kind,
        "title": TABLE_TITLES[kind],
        "source": SOURCES["cohort"],
        "references": REFERENCES,
        "history": f"write_table by asleep_nb {__version__}",
    }


# --------------------------------------------------------------------------- write
def _check_suffix(path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    if out.suffix.lower() not in _SUFFIXES:
        raise ValueError(f"write a table to a .csv or .parquet file, got {out.name!r}")
    return out


def write_table(table: pd.DataFrame, path: str | os.PathLike[str], *, spreadsheet_safe: bool = True) -> Path:
    """Write a stats or epoch table to CSV or Parquet (by the suffix of ``path``), units in metadata.

    Parameters
    ----------
    table
        :func:`asleep_nb.stats_table` or :func:`epoch_table` output (other
        columns of the user's own are written too, without units).
    path
        A ``.csv`` file (plus ``<path>-metadata.json``) or a ``.parquet`` file.
    spreadsheet_safe
        CSV: prefix text cells starting with ``= + - @``, tab or CR with ``'``
        (:mod:`asleep_nb.data.spreadsheet`); ``False`` for R/pandas-only use.

    Returns
    -------
    pathlib.Path
        The table file.

    Raises
    ------
    ValueError
        Any other suffix.

    Examples
    --------
    >>> write_table(epoch_table(night), "night.parquet")
    PosixPath('night.parquet')
    """
    out = _check_suffix(path)
    columns = _columns(table)
    meta = _table_meta(_kind(table))
    if out.suffix.lower() == ".parquet":
        _write_parquet(table, columns, meta, out)
    else:
        _write_csv(table, columns, meta, out, spreadsheet_safe)
    return out


def _utc(series: pd.Series) -> pd.Series:
    """Instants (one zone, or tz-aware Timestamps of many zones) as ``datetime64[ns, UTC]``."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.as_unit("ns")
    return pd.Series(pd.to_datetime(list(series), utc=True), index=series.index).dt.as_unit("ns")


def _timestamp(value: Any, zone: str) -> pd.Timestamp:
    """``value`` (tz-aware, or naive UTC as pyarrow gives list items) as a Timestamp in ``zone``."""
    stamp = pd.Timestamp(value)
    return (stamp if stamp.tzinfo is not None else stamp.tz_localize("UTC")).tz_convert(zone)


def _write_parquet(
    table: pd.DataFrame, columns: list[dict[str, Any]], meta: dict[str, str], out: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays, fields = [], []
    for col in columns:
        series = table[col["name"]]
        logical = col["logical"]
        if logical == "instant":
            array = pa.array(_utc(series), type=pa.timestamp("ns", tz="UTC"))
        elif logical == "instant_list":
            rows = [[_timestamp(t, "UTC") for t in row] for row in series]
            array = pa.array(rows, type=pa.list_(pa.timestamp("ns", tz="UTC")))
        elif logical == "date":
            array = pa.array(series.dt.date, type=pa.date32())
        else:
            array = pa.Array.from_pandas(series)
        keys = ("units", "long_name", "description", "dtype")
        fields.append(pa.field(col["name"], array.type, metadata={k: col[k] for k in keys}))
        arrays.append(array)
    schema = pa.schema(fields, metadata={"asleep_nb": json.dumps(meta)})
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out)


def _iso(series: pd.Series, logical: str) -> pd.Series:
    """A time column as ISO 8601 text, ``""`` where missing."""
    if logical == "instant_list":
        return series.map(lambda row: " ".join(pd.Timestamp(t).isoformat() for t in row))
    if logical == "instant" and isinstance(series.dtype, pd.DatetimeTZDtype) and str(series.dt.tz) == "UTC":
        utc = series.dt.tz_localize(None).to_numpy("datetime64[ns]")
        text = (np.datetime_as_string(utc, unit="s").astype(object) + "+00:00").astype(object)
        text[np.isnat(utc)] = ""
        return pd.Series(text, index=series.index)
    if logical == "instant":
        return series.map(lambda t: "" if pd.isna(t) else pd.Timestamp(t).isoformat())
    values: npt.NDArray[np.datetime64] = np.asarray(series.values, dtype="datetime64[ns]")
    unit: Literal["D", "s"] = "D" if logical == "date" else "s"
    text = np.datetime_as_string(values, unit=unit).astype(object)
    text[np.isnat(values)] = ""
    return pd.Series(text, index=series.index)


def _write_csv(
    table: pd.DataFrame, columns: list[dict[str, Any]], meta: dict[str, str], out: Path, safe: bool
) -> None:
    frame = pd.DataFrame(index=table.index)
    for col in columns:
        series = table[col["name"]]
        if col["logical"] in ("instant", "instant_list", "wallclock", "date"):
            frame[col["name"]] = _iso(series, col["logical"])
        elif col["logical"] == "boolean":
            frame[col["name"]] = series.map({True: "true", False: "false"})
        elif col["logical"] == "string" and safe:
            frame[col["name"]] = neutralise_formulas(series)
        else:
            frame[col["name"]] = series
    frame.to_csv(out, index=False)
    csvw = {
        "@context": _CSVW,
        "url": out.name,
        "dc:title": meta["title"],
        "dc:source": meta["source"],
        "dc:references": meta["references"],
        "asleep_nb:table": meta["table"],
        "asleep_nb:spreadsheetSafe": safe,  # text cells starting = + - @ tab CR: a ' was put before
        "tableSchema": {"columns": [_csvw_column(col) for col in columns]},
    }
    Path(f"{out}-metadata.json").write_text(json.dumps(csvw, indent=1) + "\n", encoding="utf-8")


def _csvw_column(col: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": col["name"],
        "titles": col["name"],
        "datatype": _CSVW_TYPES[col["logical"]],
        "dc:description": col["long_name"] + (f": {col['description']}" if col["description"] else ""),
        "null": "" if col["nullable"] else [],
        "asleep_nb:dtype": col["dtype"],
    }
    if col["units"]:
        entry["schema:unitText"] = col["units"]
    if col["logical"] == "instant_list":
        entry["separator"] = " "
    return entry


def export_stats(data: xr.Dataset, path: str | os.PathLike[str], *, spreadsheet_safe: bool = True) -> Path:
    """:func:`write_table` of :func:`asleep_nb.stats_table` of a cohort or night.

    Examples
    --------
    >>> export_stats(cohort, "stats.csv")
    PosixPath('stats.csv')
    """
    _check_suffix(path)
    return write_table(stats_table(data), path, spreadsheet_safe=spreadsheet_safe)


def export_epochs(data: xr.Dataset, path: str | os.PathLike[str], *, spreadsheet_safe: bool = True) -> Path:
    """:func:`write_table` of :func:`epoch_table` of a cohort or night.

    Examples
    --------
    >>> export_epochs(cohort, "epochs.parquet")
    PosixPath('epochs.parquet')
    """
    _check_suffix(path)
    return write_table(epoch_table(data), path, spreadsheet_safe=spreadsheet_safe)


# --------------------------------------------------------------------------- read
def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table written by :func:`write_table` back, with the dtypes it was written with.

    Instants come back in each session's own zone (the ``timezone`` column)
    as :func:`asleep_nb.stats_table` gives them, or in UTC without one.

    Raises
    ------
    FileNotFoundError
        No file at ``path`` (or, for CSV, no metadata file beside it).
    ValueError
        A suffix other than ``.csv`` or ``.parquet``.

    Examples
    --------
    >>> export_stats(cohort, "stats.parquet")
    PosixPath('stats.parquet')
    >>> table = read_table("stats.parquet")
    >>> len(table), table["time_in_sleep"].dtype
    (80, dtype('float64'))
    """
    src = _check_suffix(path)
    if src.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        arrow = pq.read_table(src)
        columns = [{**{k.decode(): v.decode() for k, v in (f.metadata or {}).items()}, "name": f.name}
                   for f in arrow.schema]  # fmt: skip
        frame = arrow.to_pandas(ignore_metadata=True)
        meta = json.loads(arrow.schema.metadata[b"asleep_nb"])
        parsed = {c["name"]: frame[c["name"]] for c in columns}
    else:
        csvw = json.loads(Path(f"{src}-metadata.json").read_text(encoding="utf-8"))
        columns = [
            {"name": c["name"], "dtype": c["asleep_nb:dtype"], "datatype": c["datatype"],
             "nullable": c["null"] == "", "list": "separator" in c}
            for c in csvw["tableSchema"]["columns"]
        ]  # fmt: skip
        text = pd.read_csv(src, dtype=str, keep_default_na=False)
        kinds = {c["name"]: c["datatype"] for c in columns}
        if csvw.get("asleep_nb:spreadsheetSafe"):
            text = text.apply(lambda col: restore_formulas(col) if kinds[col.name] == "string" else col)
        parsed = {c["name"]: _parse_csv(text[c["name"]], c) for c in columns}
        meta = {"table": csvw["asleep_nb:table"]}
    zones = parsed["timezone"].astype(object).to_numpy() if "timezone" in parsed else None
    out = pd.DataFrame({c["name"]: _restore(parsed[c["name"]], c["dtype"], zones) for c in columns})
    if meta["table"] == "stats":
        out.index.name = "session"
    return out


def _parse_csv(text: pd.Series, col: dict[str, Any]) -> pd.Series:
    missing = text == ""
    datatype = col["datatype"]
    if col["list"]:
        return text.map(lambda cell: list(pd.to_datetime(cell.split(), utc=True, format="ISO8601")))
    if datatype in ("dateTimeStamp", "dateTime", "date"):
        return pd.Series(
            pd.to_datetime(text.mask(missing, None), format="ISO8601", utc=datatype == "dateTimeStamp")
        )
    if datatype == "boolean":
        return text.map({"true": True, "false": False})
    if col["nullable"]:
        return text.mask(missing, None)
    return text


def _restore(series: pd.Series, dtype: str, zones: np.ndarray | None) -> Any:
    """A parsed column in the dtype it was written with (instants back in each row's zone)."""
    if (dtype.startswith("datetime64") and "," in dtype) or (dtype == "object" and _holds_instants(series)):
        utc = pd.to_datetime(series, utc=True).dt.as_unit("ns")
        if zones is None:
            return utc.dt.tz_convert(dtype.split(",")[1].strip(" ]")) if "," in dtype else utc
        return aware_times(utc.dt.tz_localize(None).to_numpy("datetime64[ns]"), zones)
    if dtype == "object" and series.map(lambda v: isinstance(v, list | np.ndarray)).all():
        return [
            [_timestamp(t, zones[i] if zones is not None else "UTC") for t in row]
            for i, row in enumerate(series)
        ]
    if dtype.startswith("datetime64"):
        return pd.to_datetime(series).to_numpy(dtype)
    return series.astype(pd.api.types.pandas_dtype(dtype))


def _holds_instants(series: pd.Series) -> bool:
    first = series.dropna()
    return len(first) > 0 and isinstance(first.iloc[0], pd.Timestamp | np.datetime64)
