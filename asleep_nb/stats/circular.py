"""Circular statistics of clock times (bed times, sleep onsets, wake times).

Clock times live on a 24-hour circle: the mean of 23:30 and 00:30 is 00:00,
not 12:00. Each time is mapped to an angle ``2 * pi * hours / 24``; the mean
direction of the angles gives the circular mean, and the mean resultant
length ``R`` (1 when all times agree, 0 when they spread evenly around the
clock) gives the circular standard deviation ``sqrt(-2 ln R)``, converted
back to hours.

**Representation.** Every function here returns clock times as ``float``
hours since local midnight in ``[0, 24)`` and spreads as ``float`` hours.
:func:`format_clock` turns hours into ``"HH:MM"`` text.

Accepted inputs (:func:`clock_hours`): numbers (hours in ``[0, 24]``),
``datetime64`` / ``datetime`` / ``pandas.Timestamp`` values (their wall clock
as given: naive values are taken as already local, aware ones in their own
zone), ``datetime.time`` objects, ``timedelta`` since midnight, and
``"HH:MM"`` or ``"HH:MM:SS"`` strings. Missing values (``NaN``, ``NaT``,
``None``) are ignored.

Examples
--------
>>> from asleep_nb.stats.circular import circular_mean_time, format_clock
>>> format_clock(circular_mean_time(["23:30", "00:30"]))
'00:00'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "clock_hours",
    "circular_stats_by",
    "circular_mean_time",
    "circular_std_time",
    "clock_difference",
    "format_clock",
]

_HOUR = pd.Timedelta(hours=1)
_CLOCK_TEXT = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*$")


def _one_clock(value: Any) -> float:
    if value is None or value is pd.NaT:
        return math.nan
    if isinstance(value, bool):
        raise TypeError("a clock time cannot be a bool")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        match = _CLOCK_TEXT.match(value)
        if not match:
            raise ValueError(f"cannot read {value!r} as a clock time: expected 'HH:MM' or 'HH:MM:SS'")
        h, mi, s = int(match[1]), int(match[2]), float(match[3] or 0)
        if h > 24 or mi > 59 or s >= 60:
            raise ValueError(f"{value!r} is not a valid clock time")
        return h + mi / 60 + s / 3600
    if isinstance(value, (dt.datetime, np.datetime64)):
        ts = pd.Timestamp(value)
        return (ts - ts.normalize()) / _HOUR
    if isinstance(value, dt.time):
        return value.hour + value.minute / 60 + (value.second + value.microsecond / 1e6) / 3600
    if isinstance(value, (dt.timedelta, np.timedelta64)):
        return pd.Timedelta(value) / _HOUR
    raise TypeError(f"cannot read a clock time from {type(value).__name__} value {value!r}")


def clock_hours(times: Any) -> np.ndarray:
    """Clock times as ``float`` hours since local midnight (``NaN`` for missing).

    Parameters
    ----------
    times
        One clock time or an array-like of them (see the module docstring
        for the accepted kinds).

    Returns
    -------
    numpy.ndarray
        1-D ``float64`` hours in ``[0, 24]``.

    Raises
    ------
    TypeError
        For values that are not clock times.
    ValueError
        For numbers outside ``[0, 24]`` or unreadable text.

    Examples
    --------
    >>> import pandas as pd
    >>> clock_hours(["23:30", pd.Timestamp("2025-01-15T01:15:00")]).tolist()
    [23.5, 1.25]
    """
    if isinstance(times, (str, dt.datetime, dt.time, dt.timedelta)) or np.ndim(times) == 0:
        times = [times]
    series = pd.Series(times) if not isinstance(times, pd.Series) else times
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(series.dtype):
        since_midnight = (series - series.dt.normalize()).to_numpy(dtype="timedelta64[ns]")
        hours = since_midnight / np.timedelta64(1, "h")
    elif pd.api.types.is_timedelta64_dtype(series.dtype):
        hours = series.to_numpy(dtype="timedelta64[ns]") / np.timedelta64(1, "h")
    elif pd.api.types.is_bool_dtype(series.dtype):
        raise TypeError("clock times cannot be booleans")
    elif pd.api.types.is_numeric_dtype(series.dtype):
        hours = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        hours = np.array(
            [_one_clock(v) if not _is_missing(v) else math.nan for v in series], dtype=np.float64
        )
    bad = np.isfinite(hours) & ((hours < 0) | (hours > 24)) | np.isinf(hours)
    if bad.any():
        raise ValueError(
            f"clock times must lie in [0, 24] hours since midnight, got {hours[bad][:5].tolist()}"
        )
    return hours


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _from_moments(c: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean direction (hours in [0, 24), NaN when undefined) and std (hours) from mean cos/sin."""
    r = np.minimum(np.hypot(c, s), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # rounded to ~4 us so that floating noise around midnight gives 0.0, not 23.999...
        mean = np.where(r > 1e-12, np.round(np.arctan2(s, c) * 24 / (2 * np.pi), 9) % 24, np.nan)
        std = np.where(r > 1e-12, np.sqrt(np.maximum(0.0, -2.0 * np.log(r))) * 24 / (2 * np.pi), np.inf)
    std = np.where(np.isnan(r), np.nan, std)
    return mean + 0.0, std + 0.0  # + 0.0 turns -0.0 into 0.0


def _moments(hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    angle = hours * (2 * np.pi / 24)
    return np.cos(angle), np.sin(angle)


def _summary(times: Any) -> tuple[float, float]:
    hours = clock_hours(times)
    hours = hours[np.isfinite(hours)]
    if hours.size == 0:
        return math.nan, math.nan
    c, s = _moments(hours)
    mean, std = _from_moments(np.mean(c), np.mean(s))
    return float(mean), float(std)


def circular_stats_by(hours: Any, groups: Any) -> pd.DataFrame:
    """Circular mean, standard deviation and count of clock times per group, vectorised.

    Parameters
    ----------
    hours
        Clock times (anything :func:`clock_hours` reads); ``NaN`` ignored.
    groups
        Group labels, one per time (for example ``user_id``).

    Returns
    -------
    pandas.DataFrame
        Indexed by group (sorted), columns ``mean`` and ``std`` (hours, as
        :func:`circular_mean_time` and :func:`circular_std_time`) and ``n``.

    Examples
    --------
    >>> circular_stats_by([23.5, 0.5, 6.0], ["a", "a", "b"]).round(3).to_dict("index")
    {'a': {'mean': 0.0, 'std': 0.501, 'n': 2}, 'b': {'mean': 6.0, 'std': 0.0, 'n': 1}}
    """
    h = clock_hours(hours)
    labels = pd.Series(np.asarray(groups, dtype=object) if not isinstance(groups, pd.Series) else groups)
    if len(labels) != h.size:
        raise ValueError(f"got {h.size} clock times but {len(labels)} group labels")
    ok = np.isfinite(h)
    c, s = _moments(np.where(ok, h, 0.0))
    frame = pd.DataFrame(
        {"g": labels.to_numpy(), "c": np.where(ok, c, np.nan), "s": np.where(ok, s, np.nan), "n": ok}
    )
    agg = frame.groupby("g", sort=True).agg(c=("c", "mean"), s=("s", "mean"), n=("n", "sum"))
    mean, std = _from_moments(agg["c"].to_numpy(), agg["s"].to_numpy())
    out = pd.DataFrame({"mean": mean, "std": std, "n": agg["n"].astype(np.int64).to_numpy()}, index=agg.index)
    out.index.name = labels.name
    return out


def circular_mean_time(times: Any) -> float:
    """Circular mean of clock times, in hours since midnight.

    The clock times are angles on the 24-hour circle; the result is the
    direction of their mean resultant vector.

    Parameters
    ----------
    times
        Clock times (see the module docstring); missing values are ignored.

    Returns
    -------
    float
        Hours in ``[0, 24)``; ``NaN`` when there is no time or when the
        times cancel out (for example 00:00 and 12:00), so that no mean
        direction exists.

    References
    ----------
    .. [1] Fisher NI. Statistical Analysis of Circular Data. Cambridge
       University Press, 1993, section 2.3.1.
    .. [2] Mardia KV, Jupp PE. Directional Statistics. Wiley, 2000,
       section 2.2.

    Examples
    --------
    >>> circular_mean_time([23.5, 0.5])
    0.0
    >>> round(circular_mean_time(["22:00", "23:00", "03:00"]), 3)
    23.922
    """
    return _summary(times)[0]


def circular_std_time(times: Any) -> float:
    """Circular standard deviation of clock times, in hours.

    ``sqrt(-2 ln R) * 24 / (2 pi)``, where ``R`` is the mean resultant length
    of the times as angles on the 24-hour circle. For times spread over a
    small part of the clock it is close to the ordinary standard deviation
    (with divisor n) of the times unwrapped around their mean.

    Returns
    -------
    float
        Hours (``0.0`` when all times agree; ``inf`` when they cancel out;
        ``NaN`` when there is no time).

    References
    ----------
    .. [1] Fisher NI. Statistical Analysis of Circular Data. Cambridge
       University Press, 1993, equation 2.12.
    .. [2] Mardia KV, Jupp PE. Directional Statistics. Wiley, 2000,
       section 2.3.4.

    Examples
    --------
    >>> circular_std_time(["23:00", "23:00"])
    0.0
    >>> round(circular_std_time([23.5, 0.5]), 3)
    0.501
    """
    return _summary(times)[1]


def clock_difference(a: Any, b: Any) -> np.ndarray | float:
    """Signed difference ``a - b`` of clock times, wrapped to ``[-12, 12)`` hours.

    Examples
    --------
    >>> clock_difference(0.5, 23.5)
    1.0
    >>> clock_difference("22:00", "02:00")
    -4.0
    """
    diff = (np.asarray(clock_hours(a)) - np.asarray(clock_hours(b)) + 12.0) % 24.0 - 12.0
    return float(diff[0]) if diff.size == 1 and np.ndim(a) == 0 and np.ndim(b) == 0 else diff


def format_clock(hours: float) -> str:
    """``"HH:MM"`` text of a clock time given in hours (rounded to the minute).

    Examples
    --------
    >>> format_clock(23.999), format_clock(1.5), format_clock(float("nan"))
    ('00:00', '01:30', '')
    """
    if hours is None or not math.isfinite(hours):
        return ""
    minutes = round(hours * 60) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
