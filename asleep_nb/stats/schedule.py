"""The sleep schedule of every session: instants and local clock times of bed, onset, wake, mid-sleep.

:func:`sleep_schedule` turns a cohort or a ``stats_table`` frame into one
frame of instants and local clock times, which the regularity metrics of
:mod:`asleep_nb.stats.regularity` use. Sleep onset and final awakening are
the ``stat`` object's ``sleep_time`` and ``wake_time`` (the vendor rule,
:func:`asleep_nb.definitions.vendor_sleep_period`; recomputed from the
stages where a cohort lacks them), so a cohort and its ``stats_table`` give
the same schedule. A session's night follows :func:`asleep_nb.definitions.night_of`.

Clock times are ``float`` hours since local midnight in ``[0, 24)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import EPOCH_SECONDS, night_of, vendor_sleep_period
from asleep_nb.stats.stage_matrix import stage_matrix
from asleep_nb.timezones import validate_timezone

__all__ = ["sleep_schedule", "local_wall_clock", "clock_hours_of"]

_EPOCH = np.timedelta64(EPOCH_SECONDS, "s")
_HOUR = pd.Timedelta(hours=1)


# -- instants and local clocks -------------------------------------------------------------------


def _utc_naive(values: Any, name: str) -> np.ndarray:
    """Instants as UTC-naive ``datetime64[ns]`` (naive input is taken as UTC)."""
    try:
        parsed = pd.to_datetime(pd.Series(values), utc=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"column {name!r} does not hold date-times: {exc}") from None
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def local_wall_clock(utc: np.ndarray, zones: np.ndarray, session: np.ndarray | None = None) -> np.ndarray:
    """UTC-naive instants to naive local wall-clock times.

    ``zones`` holds one IANA name per session; ``session`` maps each instant
    to its session (``None``: one instant per session).
    """
    codes, names = pd.factorize(np.asarray(zones, dtype=object))
    if session is not None:
        codes = codes[session]
    out = np.full(utc.shape, np.datetime64("NaT", "ns"))
    for code, name in enumerate(names):
        sel = codes == code
        index = pd.DatetimeIndex(utc[sel]).tz_localize("UTC").tz_convert(validate_timezone(str(name)))
        out[sel] = index.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return out


def clock_hours_of(local: np.ndarray) -> np.ndarray:
    """Hours since midnight of naive local times (``NaN`` for ``NaT``)."""
    index = pd.DatetimeIndex(local)
    return ((index - index.normalize()) / _HOUR).to_numpy(dtype=np.float64, na_value=np.nan)


# -- the schedule frame --------------------------------------------------------------------------


def _schedule_from_cohort(cohort: xr.Dataset) -> pd.DataFrame:
    m = stage_matrix(cohort)
    if not m.is_cohort:
        raise ValueError("expected a cohort dataset with dims ('session', 'epoch')")
    missing = [c for c in ("user_id", "start_time", "timezone") if c not in cohort.coords]
    if missing or m.start_time is None:
        raise ValueError(f"the cohort lacks the per-session coordinates {missing or ['start_time']}")
    start = m.start_time
    # the stat object's sleep_time / wake_time (vendor rule) where the server sent none, so a
    # cohort and its stats_table give the same schedule
    period = vendor_sleep_period(m.codes)
    first, last, slept = period.onset, period.last, period.slept
    sleep = np.where(slept, start + first * _EPOCH, np.datetime64("NaT"))
    if "end_time" in cohort.coords:
        end = cohort["end_time"].values.astype("datetime64[ns]")
        wake = end - (m.n_epochs - 1 - last) * _EPOCH
    else:
        wake = start + (last + 1) * _EPOCH
    wake = np.where(slept, wake, np.datetime64("NaT"))
    for name, computed in (("sleep_time", sleep), ("wake_time", wake)):
        if name in cohort.data_vars and cohort[name].dims == ("session",):
            server = cohort[name].values.astype("datetime64[ns]")
            computed[:] = np.where(np.isnat(server), computed, server)
    frame = pd.DataFrame(
        {
            "user_id": cohort["user_id"].values,
            "timezone": cohort["timezone"].values.astype(str),
            "start_time": start,
            "sleep_time": sleep,
            "wake_time": wake,
        }
    )
    if "night" in cohort.coords:
        frame["night"] = cohort["night"].values.astype("datetime64[ns]")
    ids = cohort["session_id"].values if "session_id" in cohort.coords else cohort["session"].values
    frame.index = pd.Index(ids, name="session")
    return frame


def _schedule_from_frame(table: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("user_id", "sleep_time", "wake_time") if c not in table.columns]
    if missing:
        raise ValueError(f"the table lacks the columns {missing}")
    frame = pd.DataFrame(index=table.index)
    frame["user_id"] = table["user_id"].to_numpy()
    if "timezone" in table.columns:
        zones = table["timezone"].astype(str).to_numpy()
    else:
        dtype = table["sleep_time"].dtype
        if not isinstance(dtype, pd.DatetimeTZDtype):
            raise ValueError(
                "the table has no 'timezone' column: give one (IANA names), or give sleep_time and "
                "wake_time as timezone-aware values in one zone"
            )
        zones = np.full(len(table), str(dtype.tz), dtype=object)
    frame["timezone"] = zones
    for name in ("start_time", "sleep_time", "wake_time"):
        if name in table.columns:
            frame[name] = _utc_naive(table[name], name)
    if "night" in table.columns:
        frame["night"] = pd.to_datetime(table["night"]).dt.tz_localize(None).to_numpy("datetime64[ns]")
    return frame


def sleep_schedule(data: xr.Dataset | pd.DataFrame) -> pd.DataFrame:
    """One row per session: instants and local clock times of bed, sleep onset, wake and mid-sleep.

    Parameters
    ----------
    data
        A cohort dataset or a per-session table (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed by session (``session_id`` for cohorts, the input index for
        tables). Columns ``user_id``, ``timezone``, ``night`` (local date,
        ``datetime64``), ``start_time``, ``sleep_time``, ``wake_time``
        (UTC-naive ``datetime64[ns]``; ``start_time`` ``NaT`` when unknown),
        and clock hours in ``[0, 24)``: ``bed_clock`` (local session start),
        ``sleep_clock``, ``wake_clock``, ``mid_sleep`` (see
        :func:`mid_sleep_time`). Nights without sleep have ``NaT`` / ``NaN``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"user_id": ["u"], "timezone": ["Asia/Seoul"],
    ...                   "sleep_time": [pd.Timestamp("2025-01-14T15:00")],
    ...                   "wake_time": [pd.Timestamp("2025-01-14T22:00")]})
    >>> sleep_schedule(t)[["night", "sleep_clock", "wake_clock", "mid_sleep"]].to_dict("records")
    [{'night': Timestamp('2025-01-14 00:00:00'), 'sleep_clock': 0.0, 'wake_clock': 7.0, 'mid_sleep': 3.5}]
    """
    if isinstance(data, xr.Dataset):
        frame = _schedule_from_cohort(data)
    elif isinstance(data, pd.DataFrame):
        frame = _schedule_from_frame(data)
    else:
        raise TypeError(f"expected a cohort xarray.Dataset or a pandas.DataFrame, got {type(data).__name__}")
    if len(frame) == 0:
        raise ValueError("no sessions: the input is empty")
    zones = frame["timezone"].to_numpy()
    for name in ("start_time", "sleep_time", "wake_time"):
        if name not in frame.columns:
            frame[name] = np.full(len(frame), np.datetime64("NaT", "ns"))
    sleep, wake = frame["sleep_time"].to_numpy(), frame["wake_time"].to_numpy()
    if np.any(wake < sleep):
        raise ValueError("some sessions have wake_time before sleep_time")
    mid = sleep + (wake - sleep) / 2
    local = {
        name: local_wall_clock(frame[name].to_numpy(), zones)
        for name in ("start_time", "sleep_time", "wake_time")
    }
    if "night" not in frame.columns:
        anchor = np.where(np.isnat(local["start_time"]), local["sleep_time"], local["start_time"])
        frame["night"] = night_of(anchor)
    frame["bed_clock"] = clock_hours_of(local["start_time"])
    frame["sleep_clock"] = clock_hours_of(local["sleep_time"])
    frame["wake_clock"] = clock_hours_of(local["wake_time"])
    frame["mid_sleep"] = clock_hours_of(local_wall_clock(mid, zones))
    order = ["user_id", "timezone", "night", "start_time", "sleep_time", "wake_time"]
    return frame[[*order, "bed_clock", "sleep_clock", "wake_clock", "mid_sleep"]]
