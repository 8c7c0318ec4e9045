"""A cohort's (or one night's) stat fields as a tidy table, one row per session.

Examples
--------
>>> from asleep_nb.data.table import stats_table
>>> table = stats_table(cohort)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.cohort import DEFAULT_GROUP
from asleep_nb.data.night import local_naive
from asleep_nb.definitions import STAT_FIELDS, night_of

__all__ = ["stats_table", "session_labels", "aware_times", "COVARIATE_ATTR"]


def stats_table(ds: xr.Dataset) -> pd.DataFrame:
    """Tidy table of a cohort (or one night): one row per session.

    Columns: the session coordinates (``session_id``, ``user_id``, ``group``,
    ``night``, ``start_time``, ``end_time``, ``timezone``, ``state``,
    ``two_stage``, ``n_epochs``, ``peculiarities``, ``missing_data_ratio``;
    a cohort adds ``offset`` and ``local_start_time``) followed by every stat
    field in the API's order:

    - durations in seconds as ``float64`` (``NaN`` for null); counts as
      nullable ``Int64``; ratios and indexes ``float64``; text as ``str``
      (missing for null);
    - times (``start_time``, ``end_time`` and the stat times) tz-aware in
      each session's own ``timezone``. A pandas column holds one zone, so
      when every session shares a zone the column is ``datetime64[ns, zone]``;
      when zones differ it is ``object`` holding tz-aware ``Timestamp`` objects;
    - ``sleep_cycle_time`` as a list of tz-aware ``Timestamp`` objects per row.

    Stat columns are present (all missing) even when no session has a stat.
    Covariates of the manifest (per-session coordinates marked with the
    attribute :data:`COVARIATE_ATTR`, e.g. ``age``, ``sex``, ``bmi``) come
    last, in the manifest's order: numbers as ``float64``, text as a pandas
    ``category`` (categories sorted; missing, or empty text after a round
    trip through a store, as ``NaN``).

    Parameters
    ----------
    ds
        A cohort from :func:`to_cohort` or a night from
        :func:`asleep_nb.to_dataset`.

    Examples
    --------
    >>> table = stats_table(cohort)
    >>> (table.groupby("group")["time_in_sleep"].mean() / 3600).round(2).to_dict()
    {'apnea': 6.54, 'healthy': 7.28}
    """
    if "session" not in ds.dims:
        ds = _night_as_cohort(ds)
    zones = np.asarray(ds["timezone"].values, dtype=object)
    columns: dict[str, Any] = {}
    for name in _SESSION_COORDS:
        if name not in ds.variables:
            continue
        values = ds[name].values
        if name in ("start_time", "end_time"):
            columns[name] = aware_times(values, zones)
        else:
            columns[name] = values
        if name == "peculiarities":
            columns["missing_data_ratio"] = ds["missing_data_ratio"].values
    n = ds.sizes["session"]
    for name, field in STAT_FIELDS.items():
        if name not in ds:
            columns[name] = _missing_column(field.kind, n)
            continue
        values = ds[name].values
        if field.kind == "time":
            columns[name] = aware_times(values, zones)
        elif field.kind == "time_list":
            columns[name] = [
                [pd.Timestamp(t).tz_localize("UTC").tz_convert(z) for t in row if not np.isnat(t)]
                for row, z in zip(values, zones, strict=True)
            ]
        elif field.kind == "count":
            columns[name] = pd.array(values, dtype="Int64")
        elif field.kind == "text":
            columns[name] = pd.array([v if v else None for v in values], dtype="str")
        else:
            columns[name] = values.astype(np.float64)
    for key, coord in ds.coords.items():
        if coord.dims == ("session",) and COVARIATE_ATTR in coord.attrs and str(key) not in columns:
            values = coord.values
            columns[str(key)] = (
                values.astype(np.float64)
                if values.dtype.kind in "fiub"
                else pd.Categorical([v if isinstance(v, str) and v else None for v in values])
            )
    table = pd.DataFrame(columns)
    table.index.name = "session"
    return table


#: Attribute marking a per-session coordinate as a covariate (from the manifest): a column of the stats table.
COVARIATE_ATTR = "covariate"

_SESSION_COORDS = (
    "session_id",
    "user_id",
    "group",
    "period",
    "night",
    "start_time",
    "end_time",
    "local_start_time",
    "timezone",
    "state",
    "two_stage",
    "n_epochs",
    "offset",
    "peculiarities",
)


def aware_times(utc: np.ndarray, zones: np.ndarray) -> pd.DatetimeIndex | np.ndarray:
    """UTC-naive instants as tz-aware times, each in its row's IANA zone (the stats table's time columns).

    One zone: a ``DatetimeIndex`` in it; several: an ``object`` array of
    tz-aware ``Timestamp`` objects.

    Examples
    --------
    >>> t = np.array(["2025-03-29T22:00"], "datetime64[ns]")
    >>> str(aware_times(t, np.array(["Europe/Paris"], dtype=object))[0])
    '2025-03-29 23:00:00+01:00'
    """
    index = pd.DatetimeIndex(np.asarray(utc, dtype="datetime64[ns]")).tz_localize("UTC")
    unique = set(zones.tolist())
    if len(unique) == 1:
        return index.tz_convert(unique.pop())
    out = np.empty(len(utc), dtype=object)
    for zone in unique:
        rows = zones == zone
        out[rows] = list(index[rows].tz_convert(zone))
    return out


def _missing_column(kind: str, n: int) -> Any:
    if kind == "time":
        return pd.array([pd.NaT] * n, dtype="datetime64[ns, UTC]")
    if kind == "time_list":
        return [[] for _ in range(n)]
    if kind == "count":
        return pd.array([None] * n, dtype="Int64")
    if kind == "text":
        return pd.array([None] * n, dtype="str")
    return np.full(n, np.nan)


def _utc_from_iso(text: str) -> np.datetime64:
    """An ISO instant (a one-night dataset's attr) as UTC-naive ``datetime64[ns]``; ``""`` is ``NaT``."""
    if not text:
        return np.datetime64("NaT", "ns")
    return np.datetime64(pd.Timestamp(text).tz_convert("UTC").tz_localize(None).as_unit("ns"))


def _night_as_cohort(ds: xr.Dataset) -> xr.Dataset:
    """A one-night dataset as a one-session table source (no stage arrays)."""
    a = ds.attrs
    stats = {name: ds[name].variable for name in STAT_FIELDS if name in ds}
    coords = {
        "session_id": [a.get("session_id", "")],
        "user_id": [a.get("user_id", "")],
        "group": [a.get("group", DEFAULT_GROUP)],
        "start_time": [_utc_from_iso(a.get("start_time", ""))],
        "end_time": [_utc_from_iso(a.get("end_time", ""))],
        "timezone": [a.get("timezone", "UTC")],
        "state": [a.get("state", "")],
        "two_stage": [bool(a.get("two_stage", 0))],
        "n_epochs": [ds.sizes.get("time", 0)],
        "peculiarities": [a.get("peculiarities", "")],
    }
    local = local_naive(np.array(coords["start_time"], dtype="datetime64[ns]"), coords["timezone"][0])
    coords["night"] = list(night_of(local))
    data = {name: var.expand_dims("session") for name, var in stats.items()}
    data["missing_data_ratio"] = xr.Variable("session", [a.get("missing_data_ratio", np.nan)])
    return xr.Dataset(
        data, {k: ("session", np.asarray(v, dtype=object if k in _TEXT else None)) for k, v in coords.items()}
    )


_TEXT = {"session_id", "user_id", "group", "period", "timezone", "state", "peculiarities"}


def session_labels(cohort: xr.Dataset, by: str) -> np.ndarray:
    """Values of the per-session coordinate ``by`` (e.g. ``"group"``, ``"user_id"``)."""
    if by not in cohort.variables or cohort[by].dims != ("session",):
        options = sorted(str(k) for k, v in cohort.variables.items() if v.dims == ("session",))
        raise KeyError(f"no per-session coordinate {by!r} to group by; available: {options}")
    return np.asarray(cohort[by].values)
