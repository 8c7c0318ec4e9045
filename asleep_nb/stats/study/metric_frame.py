"""One metric of a study as a tidy frame: a row per night with its person, its label and its value.

Every comparison in :mod:`asleep_nb.stats` starts here: a ``stats_table``
DataFrame or a cohort Dataset becomes the columns ``user_id``, :data:`GROUP`,
``value`` (a ``float``: seconds, ratios, counts, or local clock hours) and
``timezone``; :func:`user_means` then averages each person's nights, the
unit of analysis of every between-person comparison.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"user_id": ["a", "a", "b"], "group": ["x", "x", "y"],
...                       "time_in_sleep": [25200.0, 27000.0, 24000.0]})
>>> user_means(metric_frame(table, "time_in_sleep"))["mean"].tolist()
[26100.0, 24000.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.table import session_labels
from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.errors import ValidationError
from asleep_nb.stats.circular import clock_hours

__all__ = [
    "GROUP",
    "metric_frame",
    "metric_units",
    "stats_frame",
    "metric_values",
    "user_means",
    "local_clock_hours",
]

#: Column of :func:`stats_frame` holding the group label (a fixed name, so that
#: grouping by ``user_id`` itself works).
GROUP = "group_key"


def metric_frame(
    data: object, name: str, by: str = "group", *, unit: str = "user_id", extra: Sequence[str] = ()
) -> pd.DataFrame:
    """:func:`stats_frame` with ``value`` as ``float`` (:func:`metric_values`).

    Raises
    ------
    ValidationError
        When no night has a value of ``name``.

    Examples
    --------
    >>> table = pd.DataFrame({"user_id": ["a", "b"], "group": ["x", "y"], "waso_count": [3, None]})
    >>> metric_frame(table, "waso_count")["value"].tolist()
    [3.0, nan]
    """
    frame = stats_frame(data, name, by, unit=unit, extra=extra)
    frame["value"] = metric_values(frame, name)
    if frame["value"].isna().all():
        raise ValidationError(f"{name!r} is missing in every one of the {len(frame)} nights")
    return frame


def metric_units(name: str) -> str:
    """Units of :func:`metric_values` of ``name``: the field's units, or local clock hours for a time.

    Examples
    --------
    >>> metric_units("time_in_sleep"), metric_units("sleep_time"), metric_units("not_a_field")
    ('s', 'h (local clock)', '')
    """
    field = STAT_FIELDS.get(name)
    if field is None:
        return ""
    return "h (local clock)" if field.kind == "time" else field.units


def stats_frame(
    stats: object, name: str, by: str, *, unit: str = "user_id", extra: Sequence[str] = ()
) -> pd.DataFrame:
    """Columns ``user_id``, :data:`GROUP` (the ``by`` labels), ``value``, ``timezone`` and ``extra``.

    ``user_id`` holds the labels of ``unit``, the person whose nights are
    averaged (``"user_id"`` unless told otherwise). ``timezone`` holds each
    session's IANA zone when the table or dataset has one, else ``None``.
    ``by`` may be ``"user_id"`` itself. ``extra`` names more per-session
    columns or coordinates to carry (covariates, the night), under their names.

    Examples
    --------
    >>> table = pd.DataFrame({"user_id": ["a", "b"], "time_in_sleep": [1.0, 2.0]})
    >>> stats_frame(table, "time_in_sleep", by="user_id").columns.tolist()
    ['user_id', 'group_key', 'value', 'timezone']
    """
    if isinstance(stats, xr.Dataset):
        if name not in stats or stats[name].dims != ("session",):
            raise KeyError(f"the dataset has no per-session stat variable {name!r}")
        for needed in (unit, by, *extra):
            session_labels(stats, needed)

        def column(key: str) -> np.ndarray:
            return np.asarray(stats[key].values)

        has_zone = "timezone" in stats.variables and stats["timezone"].dims == ("session",)
    elif isinstance(stats, pd.DataFrame):
        table = stats
        wanted = {unit, by, name, *extra}
        if not wanted <= set(table.columns):
            table = table.reset_index()
        missing = sorted(wanted - set(table.columns))
        if missing:
            raise KeyError(f"the stats table has no column(s) {missing}; columns: {list(stats.columns)}")

        def column(key: str) -> np.ndarray:
            return table[key].to_numpy()

        has_zone = "timezone" in table.columns
    else:
        raise TypeError(
            f"stats must be a pandas DataFrame (stats_table) or a cohort Dataset, not {type(stats).__name__}"
        )
    values = column(name)
    frame = pd.DataFrame(
        {
            "user_id": column(unit),
            GROUP: column(by),
            "value": values if values.dtype != object else list(values),
            "timezone": column("timezone") if has_zone else None,
        }
    )
    for key in extra:
        if key not in frame.columns:
            frame[key] = column(key)
    if frame.empty:
        raise ValueError("no session to compare")
    return frame


def metric_values(frame: pd.DataFrame, name: str) -> pd.Series:
    """The ``value`` column as ``float``: seconds, ratios, counts, or local clock hours.

    Stat times (``sleep_time``, ``wake_time``) become each session's local
    wall-clock hours (see :func:`local_clock_hours`) anchored at noon (12 to
    36), so bedtimes either side of midnight average correctly: 23:30 is
    23.5 and 00:30 is 24.5.

    Examples
    --------
    >>> frame = pd.DataFrame({"value": [pd.Timestamp("2025-01-01 23:30", tz="Europe/Paris"),
    ...                                 pd.Timestamp("2025-01-02 00:30", tz="Asia/Seoul")]})
    >>> metric_values(frame, "sleep_time").tolist()
    [23.5, 24.5]
    """
    field = STAT_FIELDS.get(name)
    kind = field.kind if field is not None else None
    values = frame["value"]
    if kind in ("text", "time_list"):
        raise TypeError(f"{name!r} is a {kind} field and cannot be averaged")
    if kind == "time" or pd.api.types.is_datetime64_any_dtype(values.dtype) or values.dtype == object:
        zones = frame["timezone"].to_numpy() if "timezone" in frame else None
        hours = local_clock_hours(values.to_numpy(), zones)
        return pd.Series(np.where(hours < 12, hours + 24, hours), index=frame.index)
    return pd.Series(pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan), index=frame.index)


def user_means(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and night count of each user within each group (rows with missing values dropped).

    ``frame`` is a :func:`stats_frame`; the result has columns :data:`GROUP`,
    ``user_id``, ``mean``, ``count``, sorted by group then user.

    Examples
    --------
    >>> frame = pd.DataFrame({"user_id": ["a", "a", "b"], GROUP: ["x", "x", "x"], "value": [1.0, 3.0, 5.0]})
    >>> user_means(frame)["mean"].tolist()
    [2.0, 5.0]
    """
    clean = frame.dropna(subset=["value"])
    grouped = clean.groupby([GROUP, "user_id"], sort=True, observed=True)["value"]
    return grouped.agg(["mean", "count"]).reset_index()


def local_clock_hours(values: Iterable[Any], zones: Iterable[Any] | None = None) -> np.ndarray:
    """Local wall-clock hours (``h + min/60 + s/3600``) of stat times, row by row.

    Each value is read in its session's zone: ``zones[i]`` when given (an
    IANA name; aware timestamps are converted to it, UTC-naive ones are
    taken as UTC first), else the timestamp's own zone (UTC for naive
    values). Works on an object column of aware timestamps in different
    zones, on ``datetime64`` (naive = UTC) and on ``datetime64[ns, tz]``.
    Missing values give ``NaN``.

    Examples
    --------
    >>> t = pd.Series([pd.Timestamp("2025-01-01 22:30", tz="Europe/Paris"),
    ...                pd.Timestamp("2025-01-01 23:15", tz="Asia/Seoul")], dtype=object)
    >>> local_clock_hours(t).tolist()
    [22.5, 23.25]
    >>> naive = np.array(["2025-01-01T21:30", "2025-01-01T14:15"], dtype="datetime64[ns]")
    >>> local_clock_hours(naive, ["Europe/Paris", "Asia/Seoul"]).tolist()
    [22.5, 23.25]
    """
    items = list(values.tolist() if isinstance(values, np.ndarray) and values.dtype == object else values)
    n = len(items)
    zone_list = [None] * n if zones is None else list(np.asarray(list(zones), dtype=object))
    if len(zone_list) != n:
        raise ValueError(f"got {n} times but {len(zone_list)} zones")
    wall = np.full(n, np.datetime64("NaT", "ns"))  # each time on its local wall clock, naive
    stamps = [None if v is None or pd.isna(v) else pd.Timestamp(v) for v in items]
    utc = pd.DatetimeIndex(
        [pd.NaT if t is None else (t.tz_convert("UTC") if t.tzinfo else t.tz_localize("UTC")) for t in stamps]
    )
    given = np.array([isinstance(z, str) and bool(z) for z in zone_list], dtype=bool)
    for i in np.flatnonzero(~given):  # no zone given: the timestamp's own wall clock
        t = stamps[i]
        if t is not None:
            wall[i] = t.tz_localize(None).as_unit("ns").to_datetime64()
    target = np.array(zone_list, dtype=object)
    for zone in set(target[given].tolist()):  # one vectorised conversion per zone
        idx = np.flatnonzero(given & (target == zone))
        wall[idx] = utc[idx].tz_convert(zone).tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return clock_hours(wall)  # the one reading of a wall clock as hours since midnight
