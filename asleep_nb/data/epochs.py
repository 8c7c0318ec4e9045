"""The long per-epoch table: one row per 30-s epoch of every session, padding left out.

Its columns (``session_id, time, local_time, epoch, stage, stage_label,
snoring``) are defined in
:data:`asleep_nb.definitions.variables.EPOCH_TABLE_COLUMNS`;
:func:`asleep_nb.data.export.write_table` writes it to CSV or Parquet.

Examples
--------
>>> from asleep_nb.data.epochs import epoch_table
>>> table = epoch_table(cohort)
>>> deep = table.groupby("session_id")["stage"].apply(lambda s: (s == 2).mean())  # share of deep epochs
>>> len(deep), round(float(deep.max()), 2)
(80, 0.26)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.night import EPOCH, local_naive
from asleep_nb.definitions import PAD, STAGES, stage_label
from asleep_nb.definitions.variables import EPOCH_TABLE_COLUMNS

__all__ = ["EPOCH_COLUMNS", "epoch_table"]

#: Columns of :func:`epoch_table`, in order.
EPOCH_COLUMNS: tuple[str, ...] = tuple(EPOCH_TABLE_COLUMNS)


def epoch_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per epoch of every session of a cohort (or of one night); padding is left out.

    Columns: ``session_id`` (str), ``time`` (epoch start, ``datetime64[ns, UTC]``),
    ``local_time`` (naive wall clock in the session's zone), ``epoch`` (``int32``,
    0 at the session start whatever the cohort's alignment), ``stage`` (``int8``
    sleep-stage code), ``stage_label`` (display label; code 1 is "Sleep" on a
    two-stage night), ``snoring`` (nullable ``Int8`` snoring code, missing
    when the session has no snoring data). Rows follow the sessions' order,
    epochs ascending.

    Parameters
    ----------
    ds
        A cohort from :func:`~asleep_nb.data.cohort.to_cohort` (in memory or
        dask-backed: the stage arrays are loaded) or a night from
        :func:`~asleep_nb.data.night.to_dataset`.

    Examples
    --------
    >>> table = epoch_table(ds)
    >>> list(table.columns[:4]), len(table)
    (['session_id', 'time', 'local_time', 'epoch'], 120)
    """
    if "session" not in ds.dims:
        n = ds.sizes["time"]
        ids = np.full(n, str(ds.attrs.get("session_id", "")), dtype=object)
        time = np.asarray(ds["time"].values, dtype="datetime64[ns]")
        local = np.asarray(ds["local_time"].values, dtype="datetime64[ns]")
        epoch = np.asarray(ds["epoch"].values, dtype=np.int32)
        stage = np.asarray(ds["sleep_stage"].values, dtype=np.int8)
        snoring = np.asarray(ds["snoring_stage"].values) if "snoring_stage" in ds else None
        two = np.full(n, bool(int(ds.attrs.get("two_stage", 0))))
    else:
        offset = np.asarray(ds["offset"].values, dtype=np.int64)
        rel = np.arange(ds.sizes["epoch"], dtype=np.int64)[None, :] - offset[:, None]
        inside = (rel >= 0) & (rel < np.asarray(ds["n_epochs"].values, dtype=np.int64)[:, None])
        rows, cols = np.nonzero(inside)
        epoch = rel[rows, cols].astype(np.int32)
        ids = np.asarray(ds["session_id"].values, dtype=object)[rows]
        time = (
            np.asarray(ds["start_time"].values, dtype="datetime64[ns]")[rows] + epoch.astype(np.int64) * EPOCH
        )
        zones = np.asarray(ds["timezone"].values, dtype=object)[rows]
        local = np.empty_like(time)
        for zone in set(zones.tolist()):
            at = zones == zone
            local[at] = local_naive(time[at], str(zone))
        stage = np.asarray(ds["sleep_stage"].values, dtype=np.int8)[rows, cols]
        snoring = np.asarray(ds["snoring_stage"].values)[rows, cols] if "snoring_stage" in ds else None
        two = np.asarray(ds["two_stage"].values, dtype=bool)[rows]
    snore = pd.array(np.zeros(len(stage), dtype=np.int8), dtype="Int8")
    snore[:] = pd.NA
    if snoring is not None:
        known = snoring != PAD
        snore[known] = snoring[known].astype(np.int8)
    return pd.DataFrame(
        {
            "session_id": pd.array(ids, dtype="str"),
            "time": pd.DatetimeIndex(time).as_unit("ns").tz_localize("UTC"),
            "local_time": local,
            "epoch": epoch,
            "stage": stage,
            "stage_label": pd.array(_labels(stage, two), dtype="str"),
            "snoring": snore,
        }
    )


def _labels(stage: np.ndarray, two: np.ndarray) -> np.ndarray:
    """Display labels of stage codes (two-stage labels where ``two``)."""
    out = np.empty(len(stage), dtype=object)
    for code in np.unique(stage).tolist():
        for two_stage in (False, True):
            rows = (stage == code) & (two == two_stage)
            if rows.any():
                try:
                    out[rows] = stage_label(code, two_stage=two_stage)
                except KeyError:  # deep or REM on a two-stage night, or not a stage code
                    out[rows] = STAGES[code].label if code in STAGES else str(code)
    return out
