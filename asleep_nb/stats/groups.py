"""The numbers behind :func:`asleep_nb.plot.metric`: group means with bootstrap CIs.

Nights are aggregated within users first (each user's mean over their
nights), so a user with many nights weighs no more than one with few. The
group mean is the mean of user means; its 95 % confidence interval is a
percentile bootstrap that resamples *users* with replacement within each
group. The difference between two groups is bootstrapped from the two
independent resamples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.table import session_labels
from asleep_nb.definitions import STAT_FIELDS

__all__ = ["compare_groups", "user_means", "metric_values"]


def metric_values(frame: pd.DataFrame, name: str) -> pd.Series:
    """The ``value`` column as ``float``: seconds, ratios, counts, or local clock hours.

    Stat times (``sleep_time``, ``wake_time``) become each session's local
    wall-clock hours (see :func:`~asleep_nb.stats.groups.local_clock_hours`)
    anchored at noon (12 to 36), so bedtimes either side of midnight average
    correctly: 23:30 is 23.5 and 00:30 is 24.5.

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

    ``frame`` is a :func:`~asleep_nb.stats.groups.stats_frame`; the result has
    columns :data:`~asleep_nb.stats.groups.GROUP`, ``user_id``, ``mean``, ``count``.

    Examples
    --------
    >>> frame = pd.DataFrame({"user_id": ["a", "a", "b"], GROUP: ["x", "x", "x"], "value": [1.0, 3.0, 5.0]})
    >>> user_means(frame)["mean"].tolist()
    [2.0, 5.0]
    """
    clean = frame.dropna(subset=["value"])
    grouped = clean.groupby([GROUP, "user_id"], sort=True, observed=True)["value"]
    return grouped.agg(["mean", "count"]).reset_index()


def _boot_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    return values[idx].mean(axis=1)


def compare_groups(
    stats: object,
    name: str,
    by: str = "group",
    groups: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Group means of a stat with bootstrap confidence intervals, users as the unit.

    Parameters
    ----------
    stats
        A :func:`asleep_nb.stats_table` DataFrame (columns ``user_id``, ``by``
        and ``name``) or a cohort Dataset holding ``name`` along ``session``.
    name
        The stat to compare, e.g. ``"time_in_sleep"``. Durations stay in
        seconds, ratios in [0, 1]; stat times become local clock hours
        anchored at noon (23:30 is 23.5, 00:30 is 24.5).
    by
        Per-session column / coordinate defining the groups.
    groups
        Groups to keep, in this order; default: all, sorted.
    n_boot
        Bootstrap resamples (at least 100).
    seed
        Seed of the resampling, for reproducible intervals.
    ci
        Confidence level of the percentile intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, columns ``n_users``, ``n_nights``, ``mean`` (mean
        of user means), ``ci_low``, ``ci_high``. With exactly two groups a
        last row ``"<second> - <first>"`` holds the difference of means and
        its interval (``n_users``/``n_nights`` are the totals). A group with
        a single user gets a ``NaN`` interval. ``attrs`` record ``name``,
        ``units``, ``ci``, ``n_boot`` and ``seed``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"user_id": ["a", "a", "b", "c", "d"],
    ...                       "group": ["x", "x", "x", "y", "y"],
    ...                       "time_in_sleep": [25200.0, 27000, 24000, 21600, 22000]})
    >>> out = compare_groups(table, "time_in_sleep")
    >>> int(out.loc["x", "n_users"]), int(out.loc["x", "n_nights"]), float(out.loc["x", "mean"])
    (2, 3, 25050.0)
    >>> out.index.tolist()
    ['x', 'y', 'y - x']
    """
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100, got {n_boot}")
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie strictly between 0 and 1, got {ci}")
    frame = stats_frame(stats, name, by)
    frame["value"] = metric_values(frame, name)
    per_user = user_means(frame)
    present = sorted(per_user[GROUP].unique().tolist(), key=str)
    if groups is None:
        groups = present
    missing = [g for g in groups if g not in present]
    if missing:
        raise KeyError(f"no non-missing {name!r} for group(s) {missing}; groups with data: {present}")
    rng = np.random.default_rng(seed)
    alpha = (1 - ci) / 2
    rows, boots = {}, {}
    for g in groups:  # a handful of groups; users are vectorised
        sub = per_user[per_user[GROUP] == g]
        values = sub["mean"].to_numpy(dtype=float)
        boot = _boot_means(values, n_boot, rng)
        boots[g] = boot
        low, high = (np.nan, np.nan) if values.size < 2 else np.quantile(boot, [alpha, 1 - alpha])
        rows[g] = {
            "n_users": int(values.size),
            "n_nights": int(sub["count"].sum()),
            "mean": float(values.mean()),
            "ci_low": float(low),
            "ci_high": float(high),
        }
    if len(groups) == 2:
        a, b = groups
        diff = boots[b] - boots[a]
        ok = rows[a]["n_users"] > 1 and rows[b]["n_users"] > 1
        low, high = np.quantile(diff, [alpha, 1 - alpha]) if ok else (np.nan, np.nan)
        rows[f"{b} - {a}"] = {
            "n_users": rows[a]["n_users"] + rows[b]["n_users"],
            "n_nights": rows[a]["n_nights"] + rows[b]["n_nights"],
            "mean": rows[b]["mean"] - rows[a]["mean"],
            "ci_low": float(low),
            "ci_high": float(high),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by
    field = STAT_FIELDS.get(name)
    units = (
        "h (local clock)" if field is not None and field.kind == "time" else (field.units if field else "")
    )
    out.attrs.update({"name": name, "units": units, "ci": ci, "n_boot": n_boot, "seed": seed})
    return out


#: Column of :func:`stats_frame` holding the group label (a fixed name, so that
#: grouping by ``user_id`` itself works).
GROUP = "group_key"


def stats_frame(stats: object, name: str, by: str) -> pd.DataFrame:
    """Columns ``user_id``, :data:`GROUP` (the ``by`` labels), ``value`` and ``timezone``.

    ``timezone`` holds each session's IANA zone when the table or dataset
    has one, else ``None``. ``by`` may be ``"user_id"`` itself.

    Examples
    --------
    >>> table = pd.DataFrame({"user_id": ["a", "b"], "time_in_sleep": [1.0, 2.0]})
    >>> stats_frame(table, "time_in_sleep", by="user_id").columns.tolist()
    ['user_id', 'group_key', 'value', 'timezone']
    """
    if isinstance(stats, xr.Dataset):
        if name not in stats or stats[name].dims != ("session",):
            raise KeyError(f"the dataset has no per-session stat variable {name!r}")
        for needed in ("user_id", by):
            session_labels(stats, needed)

        def column(key: str) -> np.ndarray:
            return np.asarray(stats[key].values)

        has_zone = "timezone" in stats.variables and stats["timezone"].dims == ("session",)
    elif isinstance(stats, pd.DataFrame):
        table = stats
        wanted = {"user_id", by, name}
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
            "user_id": column("user_id"),
            GROUP: column(by),
            "value": values if values.dtype != object else list(values),
            "timezone": column("timezone") if has_zone else None,
        }
    )
    if frame.empty:
        raise ValueError("no session to compare")
    return frame


def local_clock_hours(values: object, zones: object = None) -> np.ndarray:
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
    zone_list = [None] * n if zones is None else list(np.asarray(zones, dtype=object))
    if len(zone_list) != n:
        raise ValueError(f"got {n} times but {len(zone_list)} zones")
    out = np.full(n, np.nan)
    stamps = [None if v is None or pd.isna(v) else pd.Timestamp(v) for v in items]
    utc = pd.DatetimeIndex(
        [pd.NaT if t is None else (t.tz_convert("UTC") if t.tzinfo else t.tz_localize("UTC")) for t in stamps]
    )
    given = np.array([isinstance(z, str) and bool(z) for z in zone_list], dtype=bool)
    for i in np.flatnonzero(~given):  # no zone given: the timestamp's own wall clock
        t = stamps[i]
        if t is not None:
            out[i] = t.hour + t.minute / 60 + t.second / 3600
    target = np.array(zone_list, dtype=object)
    for zone in set(target[given].tolist()):  # one vectorised conversion per zone
        idx = np.flatnonzero(given & (target == zone))
        local = utc[idx].tz_convert(zone)
        hours = local.hour + local.minute / 60 + local.second / 3600
        out[idx] = hours.to_numpy(dtype=float, na_value=np.nan)
    return out
