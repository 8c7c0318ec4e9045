"""Read what the figures need out of night and cohort datasets (vectorised).

Everything here follows the contracts in ``docs/architecture.md``: a night
has dim ``time``; a cohort has dims (``session``, ``epoch``) with
``sleep_stage`` padded with :data:`asleep_nb.schema.PAD` and per-session
coordinates ``offset`` / ``n_epochs`` locating each session's epochs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from ..schema import PAD

__all__ = [
    "check_night",
    "check_cohort",
    "start_aligned",
    "onset_final",
    "session_labels",
    "four_stage_only",
    "stats_frame",
    "local_clock_hours",
    "GROUP",
]

_SLEEP_CODES = np.array([1, 2, 3], dtype=np.int8)


def check_night(ds: object) -> xr.Dataset:
    """Return ``ds`` if it is a one-night dataset, else raise ``TypeError``/``ValueError``."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected a one-night xarray.Dataset (see to_dataset), got {type(ds).__name__}")
    if "time" not in ds.dims or "sleep_stage" not in ds:
        raise ValueError(
            "expected a one-night dataset with dimension 'time' and variable 'sleep_stage' "
            f"(dims here: {dict(ds.sizes)}); for a cohort select one session first"
        )
    return ds


def check_cohort(cohort: object) -> xr.Dataset:
    """Return ``cohort`` if it is a cohort dataset, else raise ``TypeError``/``ValueError``."""
    if not isinstance(cohort, xr.Dataset):
        raise TypeError(f"expected a cohort xarray.Dataset (see to_cohort), got {type(cohort).__name__}")
    missing = [n for n in ("sleep_stage", "offset", "n_epochs") if n not in cohort.variables]
    if "session" not in cohort.dims or "epoch" not in cohort.dims or missing:
        raise ValueError(
            "expected a cohort with dimensions ('session', 'epoch'), variable 'sleep_stage' and "
            f"coordinates 'offset', 'n_epochs'; dims here: {dict(cohort.sizes)}, missing: {missing}"
        )
    if cohort.sizes["session"] == 0:
        raise ValueError("the cohort holds no session")
    return cohort


def start_aligned(cohort: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Stage matrix with every session starting at column 0, whatever the cohort's alignment.

    Returns
    -------
    stages
        ``int8`` array (session, max n_epochs), padded with ``PAD``.
    n_epochs
        ``int64`` array (session,).
    """
    raw = np.asarray(cohort["sleep_stage"].transpose("session", "epoch").values)
    offset = np.asarray(cohort["offset"].values, dtype=np.int64)
    n = np.asarray(cohort["n_epochs"].values, dtype=np.int64)
    width = int(n.max()) if n.size else 0
    cols = offset[:, None] + np.arange(width)[None, :]
    inside = (np.arange(width)[None, :] < n[:, None]) & (cols < raw.shape[1]) & (cols >= 0)
    taken = np.take_along_axis(raw, np.clip(cols, 0, max(raw.shape[1] - 1, 0)), axis=1)
    return np.where(inside, taken, np.int8(PAD)).astype(np.int8), n


def onset_final(stages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first sleep epoch and one past the last sleep epoch of each row.

    Rows without any sleep epoch get ``-1`` for both.

    Examples
    --------
    >>> onset_final(np.array([[0, 1, 3, 0, -2], [0, 0, 0, -2, -2]], dtype=np.int8))
    (array([ 1, -1]), array([ 3, -1]))
    """
    stages = np.atleast_2d(stages)
    sleep = np.isin(stages, _SLEEP_CODES)
    any_sleep = sleep.any(axis=1)
    first = np.argmax(sleep, axis=1)
    last = stages.shape[1] - np.argmax(sleep[:, ::-1], axis=1)
    return np.where(any_sleep, first, -1), np.where(any_sleep, last, -1)


def session_labels(cohort: xr.Dataset, by: str) -> np.ndarray:
    """Values of the per-session coordinate ``by`` (e.g. ``"group"``, ``"user_id"``)."""
    if by not in cohort.variables or cohort[by].dims != ("session",):
        options = sorted(str(k) for k, v in cohort.variables.items() if v.dims == ("session",))
        raise KeyError(f"no per-session coordinate {by!r} to group by; available: {options}")
    return np.asarray(cohort[by].values)


def four_stage_only(cohort: xr.Dataset, what: str) -> xr.Dataset:
    """Drop two-stage sessions (with a warning), unless every session is two-stage."""
    if "two_stage" not in cohort.variables:
        return cohort
    two = np.asarray(cohort["two_stage"].values, dtype=bool)
    if two.all() or not two.any():
        return cohort
    warnings.warn(
        f"{what}: leaving out {int(two.sum())} two-stage session(s) (wake/sleep only) from a "
        "four-stage comparison",
        UserWarning,
        stacklevel=3,
    )
    return cohort.isel(session=np.flatnonzero(~two))


def is_two_stage(cohort: xr.Dataset) -> bool:
    """Whether every session of the cohort (or the night) is two-stage."""
    if "two_stage" in cohort.variables:
        return bool(np.asarray(cohort["two_stage"].values, dtype=bool).all())
    return bool(int(cohort.attrs.get("two_stage", 0)))


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
