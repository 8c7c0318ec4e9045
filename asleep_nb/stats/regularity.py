"""Metrics across a user's nights: regularity, mid-sleep, social jet lag, clock-time spread.

Inputs
------
* A cohort :class:`xarray.Dataset` (dims ``session``, ``epoch``) with
  ``sleep_stage`` padded with ``PAD`` and the per-session coordinates
  ``user_id``, ``start_time`` (UTC-naive), ``timezone`` (IANA name), and
  optionally ``end_time``, ``night`` and ``session_id``; stat variables
  ``sleep_time`` / ``wake_time`` are used where present (else recomputed
  from the stages by the vendor's rule).
* A tidy :class:`pandas.DataFrame`, one row per session (as from
  ``stats_table``), with columns ``user_id``, ``sleep_time``, ``wake_time``
  and, when those are UTC-naive, ``timezone``; ``start_time`` and ``night``
  are optional. Times may be UTC-naive ``datetime64`` (then ``timezone`` is
  required), timezone-aware, or ISO strings.

:func:`sleep_schedule` turns either into one frame of instants and local
clock times (:mod:`asleep_nb.stats.schedule`), which the other functions use. :func:`sleep_regularity_index`
needs the stages, so it takes a cohort only.

**Representation.** Clock times are ``float`` hours since local midnight in
``[0, 24)``; differences and spreads are hours. Means across nights are
circular (see :mod:`asleep_nb.stats.circular`). A ``night`` is the local
calendar date of the session start minus 12 hours (the cohort's rule), so a
night that starts at 23:00 on Friday or at 01:00 on Saturday is "Friday's
night".

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "user_id": ["u1", "u1"],
...     "timezone": ["Europe/Paris", "Europe/Paris"],
...     "sleep_time": pd.to_datetime(["2025-01-09T22:30", "2025-01-10T22:30"]),  # UTC
...     "wake_time": pd.to_datetime(["2025-01-10T06:30", "2025-01-11T06:30"]),
... })
>>> mid_sleep_time(frame).tolist()  # 23:30 -> 07:30 local
[3.5, 3.5]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import EPOCH_SECONDS, PAD, WEEKEND_NIGHTS, SleepStage
from asleep_nb.stats.circular import (
    circular_mean_time,
    circular_stats_by,
    circular_std_time,
    clock_difference,
)
from asleep_nb.stats.schedule import local_wall_clock, sleep_schedule
from asleep_nb.stats.stage_matrix import stage_matrix

__all__ = [
    "sleep_schedule",
    "sleep_regularity_index",
    "mid_sleep_time",
    "social_jet_lag",
    "clock_time_summary",
    "circular_mean_time",
    "circular_std_time",
]

_EPOCH = np.timedelta64(EPOCH_SECONDS, "s")
_DAY_EPOCHS = 24 * 3600 // EPOCH_SECONDS
_WEEKDAYS = {name: i for i, name in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])}


# -- per night -----------------------------------------------------------------------------------


def mid_sleep_time(data: xr.Dataset | pd.DataFrame) -> pd.Series | xr.DataArray:
    """Mid-sleep: the local clock time halfway between sleep onset and final awakening.

    The midpoint is taken between the instants ``sleep_time`` and
    ``wake_time`` (so a night across a daylight-saving change is handled by
    elapsed time), then read on the session's local clock: 23:30 -> 03:30
    gives 01:30, i.e. ``1.5``.

    Parameters
    ----------
    data
        A cohort dataset or a per-session table (see the module docstring).

    Returns
    -------
    pandas.Series or xarray.DataArray
        Hours since local midnight in ``[0, 24)``, one per session (a
        ``DataArray`` along ``session`` for a cohort, a ``Series`` aligned
        with the table's index otherwise); ``NaN`` for nights without sleep.
        Average them with :func:`circular_mean_time`, not ``mean``.

    References
    ----------
    .. [1] Roenneberg T, Wirz-Justice A, Merrow M. Life between clocks: daily
       temporal patterns of human chronotypes. J Biol Rhythms
       2003;18(1):80-90.

    Examples
    --------
    See the module docstring.
    """
    hours = sleep_schedule(data)["mid_sleep"]
    if isinstance(data, xr.Dataset):
        coords = {k: c for k, c in data.coords.items() if c.dims == ("session",)}
        return xr.DataArray(
            hours.to_numpy(),
            dims="session",
            coords=coords,
            name="mid_sleep_time",
            attrs={"units": "h", "long_name": "mid-sleep, hours since local midnight"},
        )
    return pd.Series(hours.to_numpy(), index=data.index, name="mid_sleep_time")


# -- per user ------------------------------------------------------------------------------------


def _weekday_numbers(free_nights: Iterable[int | str]) -> set[int]:
    days: set[int] = set()
    for day in free_nights:
        if isinstance(day, str) and day[:3].lower() in _WEEKDAYS:
            days.add(_WEEKDAYS[day[:3].lower()])
        elif isinstance(day, (int, np.integer)) and not isinstance(day, bool) and 0 <= day <= 6:
            days.add(int(day))
        else:
            raise ValueError(f"free night {day!r} is not a weekday name or a number 0 (Monday)..6 (Sunday)")
    if not days or len(days) == 7:
        raise ValueError("free_nights must name at least one and at most six weekdays")
    return days


def social_jet_lag(
    data: xr.Dataset | pd.DataFrame,
    *,
    free_nights: Iterable[int | str] = WEEKEND_NIGHTS,
    signed: bool = False,
) -> pd.Series:
    """Social jet lag: the shift of mid-sleep between free days and workdays, per user.

    ``SJL = |MSF - MSW|`` where ``MSF`` and ``MSW`` are the circular means of
    :func:`mid_sleep_time` over the user's free nights and work nights
    (nights before a free day, by default Friday and Saturday nights, i.e.
    nights before Saturday and Sunday). The difference is taken on the
    clock circle, so it lies in ``[0, 12]`` hours.

    Parameters
    ----------
    data
        A cohort dataset or a per-session table (see the module docstring).
    free_nights
        Weekdays of the ``night`` (weekday names such as ``"Fri"`` or
        numbers 0 = Monday .. 6 = Sunday) that precede a free day.
    signed
        ``True`` gives ``MSF - MSW`` in ``[-12, 12)`` (positive when sleep
        is later on free days) instead of its absolute value.

    Returns
    -------
    pandas.Series
        Hours, indexed by ``user_id``; ``NaN`` for a user without both kinds
        of night (with sleep).

    References
    ----------
    .. [1] Wittmann M, Dinich J, Merrow M, Roenneberg T. Social jetlag:
       misalignment of biological and social time. Chronobiol Int
       2006;23(1-2):497-509.

    Examples
    --------
    >>> import pandas as pd
    >>> nights = pd.date_range("2025-01-06", periods=7, freq="D")  # Monday..Sunday
    >>> sleep = nights + pd.Timedelta(hours=23) + pd.to_timedelta([0, 0, 0, 0, 2, 2, 0], unit="h")
    >>> t = pd.DataFrame({"user_id": "u", "timezone": "UTC", "night": nights,
    ...                   "sleep_time": sleep, "wake_time": sleep + pd.Timedelta(hours=8)})
    >>> social_jet_lag(t).to_dict()
    {'u': 2.0}
    """
    free = _weekday_numbers(free_nights)
    schedule = sleep_schedule(data)
    is_free = pd.DatetimeIndex(schedule["night"]).day_of_week.isin(sorted(free))
    key = np.where(is_free, "free", "work")
    stats = circular_stats_by(
        schedule["mid_sleep"], pd.Series(list(zip(schedule["user_id"], key, strict=True)))
    )
    users = pd.Index(pd.unique(schedule["user_id"]), name="user_id").sort_values()
    means = stats["mean"]
    msf = np.array([means.get((u, "free"), np.nan) for u in users], dtype=np.float64)
    msw = np.array([means.get((u, "work"), np.nan) for u in users], dtype=np.float64)
    diff = np.asarray(clock_difference(msf, msw), dtype=np.float64) if len(users) else np.array([])
    return pd.Series(diff if signed else np.abs(diff), index=users, name="social_jet_lag")


def clock_time_summary(data: xr.Dataset | pd.DataFrame) -> pd.DataFrame:
    """Circular mean and spread of bed, sleep-onset, wake and mid-sleep clock times, per user.

    Parameters
    ----------
    data
        A cohort dataset or a per-session table (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``user_id``; columns ``n_nights`` (nights with sleep),
        then ``<what>_mean`` (hours in ``[0, 24)``, :func:`circular_mean_time`)
        and ``<what>_std`` (hours, :func:`circular_std_time`) for ``bed_time``
        (local session start), ``sleep_time``, ``wake_time`` and ``mid_sleep``.

    References
    ----------
    .. [1] Fisher NI. Statistical Analysis of Circular Data. Cambridge
       University Press, 1993.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"user_id": ["u", "u"], "timezone": "UTC",
    ...                   "sleep_time": pd.to_datetime(["2025-01-06T23:30", "2025-01-08T00:30"]),
    ...                   "wake_time": pd.to_datetime(["2025-01-07T07:00", "2025-01-08T07:00"])})
    >>> clock_time_summary(t).loc["u", ["n_nights", "sleep_time_mean", "wake_time_std"]].tolist()
    [2.0, 0.0, 0.0]
    """
    schedule = sleep_schedule(data)
    users = schedule["user_id"]
    columns: dict[str, pd.Series] = {}
    for label, column in (
        ("bed_time", "bed_clock"),
        ("sleep_time", "sleep_clock"),
        ("wake_time", "wake_clock"),
        ("mid_sleep", "mid_sleep"),
    ):
        stats = circular_stats_by(schedule[column], users)
        if label == "sleep_time":
            columns["n_nights"] = stats["n"]
        columns[f"{label}_mean"] = stats["mean"]
        columns[f"{label}_std"] = stats["std"]
    out = pd.DataFrame(columns)
    out.index.name = "user_id"
    return out


def sleep_regularity_index(
    cohort: xr.Dataset, *, outside: Literal["missing", "wake"] = "missing"
) -> pd.Series:
    """Sleep regularity index (SRI) of each user, from -100 to 100.

    The SRI is the probability that the user is in the same state (sleep vs
    wake) at two time points 24 hours apart, scaled so that 100 is a
    perfectly regular schedule and 0 a random one:

    ``SRI = -100 + 200 / (M (N - 1)) * sum_j sum_i delta(s[i, j], s[i + 1, j])``

    with ``M`` epochs per day, ``N`` days and ``delta = 1`` when day ``i``
    and day ``i + 1`` agree at epoch ``j``. Here every epoch of every
    session of the user is placed on a common local clock grid of 30-s
    slots (``start_time + k * 30 s`` converted to the session's time zone
    and rounded to the nearest slot, so "24 hours apart" means the same
    local clock time on the next day, also across daylight-saving changes).
    Sleep is light, deep or REM; wake is wake; error epochs are missing.
    Pairs with a missing side are left out, and the sum is divided by the
    number of pairs used instead of ``M (N - 1)`` (the two agree when
    nothing is missing).

    Parameters
    ----------
    cohort
        A cohort dataset with coordinates ``user_id``, ``start_time`` and
        ``timezone``.
    outside
        ``"missing"`` (default): slots outside every recording are missing,
        so only times recorded on both days count. ``"wake"``: slots outside
        recordings, between the user's first and last recorded epoch, count
        as wake (for devices that record only the time in bed); a night with
        no recording then counts as a day awake.

    Returns
    -------
    pandas.Series
        Indexed by ``user_id`` (sorted); ``NaN`` for a user without any pair
        of slots 24 hours apart.

    Notes
    -----
    Where sessions of one user overlap (or a daylight-saving fall-back
    repeats a local hour), one epoch per slot is kept: the one that comes
    last in the cohort.

    References
    ----------
    .. [1] Phillips AJK, Clerx WM, O'Brien CS, et al. Irregular sleep/wake
       patterns are associated with poorer academic performance and delayed
       circadian and sleep/wake timing. Sci Rep 2017;7:3216.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> night = np.array([0] * 60 + [1] * 840 + [0] * 60, dtype=np.int8)
    >>> cohort = xr.Dataset(
    ...     {"sleep_stage": (("session", "epoch"), np.stack([night, night, night]))},
    ...     coords={"user_id": ("session", ["u"] * 3), "timezone": ("session", ["UTC"] * 3),
    ...             "start_time": ("session", pd.date_range("2025-01-06T22:00", periods=3, freq="D"))})
    >>> sleep_regularity_index(cohort).to_dict()
    {'u': 100.0}
    """
    if not isinstance(cohort, xr.Dataset):
        raise TypeError(f"sleep_regularity_index needs a cohort xarray.Dataset, got {type(cohort).__name__}")
    if outside not in ("missing", "wake"):
        raise ValueError(f"outside must be 'missing' or 'wake', got {outside!r}")
    m = stage_matrix(cohort)
    missing = [c for c in ("user_id", "start_time", "timezone") if c not in cohort.coords]
    if not m.is_cohort or missing or m.start_time is None:
        raise ValueError(
            "sleep_regularity_index needs a cohort (dims 'session', 'epoch') with coordinates "
            f"user_id, start_time and timezone; missing {missing or ['dims']}"
        )
    if np.isnat(m.start_time[m.n_epochs > 0]).any():
        raise ValueError("some sessions with epochs have no start_time (NaT)")
    user_codes, users = pd.factorize(cohort["user_id"].values, sort=True)
    zones = cohort["timezone"].values.astype(str)

    recorded = m.codes != PAD
    session, k = np.nonzero(recorded)
    code = m.codes[recorded]
    state = np.where(code >= SleepStage.LIGHT, 1, np.where(code == SleepStage.WAKE, 0, -1)).astype(np.int8)
    local = local_wall_clock(m.start_time[session] + k * _EPOCH, zones, session)
    slot = (local.astype(np.int64) + EPOCH_SECONDS * 10**9 // 2) // (EPOCH_SECONDS * 10**9)
    keys = user_codes[session].astype(np.int64) << 32 | slot
    # one epoch per (user, slot): the last in cohort order
    keys_unique, last_pos = np.unique(keys[::-1], return_index=True)
    state = state[::-1][last_pos]
    owner = (keys_unique >> 32).astype(np.int64)
    n_users = len(users)

    def partner(offset: int) -> tuple[np.ndarray, np.ndarray]:
        target = keys_unique + offset
        pos = np.minimum(np.searchsorted(keys_unique, target), keys_unique.size - 1)
        return keys_unique[pos] == target, pos

    has_next, pos = partner(_DAY_EPOCHS)
    a, b = state[has_next], state[pos[has_next]]
    valid = (a >= 0) & (b >= 0)
    n_pairs = np.bincount(owner[has_next][valid], minlength=n_users).astype(np.float64)
    n_same = np.bincount(owner[has_next][valid & (a == b)], minlength=n_users).astype(np.float64)

    if outside == "wake":
        own_slot = keys_unique & 0xFFFFFFFF
        lo = np.full(n_users, np.iinfo(np.int64).max)
        hi = np.full(n_users, np.iinfo(np.int64).min)
        np.minimum.at(lo, owner, own_slot)
        np.maximum.at(hi, owner, own_slot)
        has_prev, _ = partner(-_DAY_EPOCHS)
        # pairs of a recorded slot with an unrecorded one (which counts as wake)
        alone_pairs = (~has_next & (own_slot + _DAY_EPOCHS <= hi[owner])).astype(np.int64) + (
            ~has_prev & (own_slot - _DAY_EPOCHS >= lo[owner])
        )
        n_pairs += np.bincount(owner, weights=alone_pairs * (state >= 0), minlength=n_users)
        n_same += np.bincount(owner, weights=alone_pairs * (state == 0), minlength=n_users)
        # pairs with neither slot recorded: wake and wake
        seen = lo <= hi
        span_pairs = np.where(seen, np.maximum(hi - lo + 1 - _DAY_EPOCHS, 0), 0)
        recorded_pairs = np.bincount(owner[has_next], minlength=n_users) + np.bincount(
            owner, weights=alone_pairs, minlength=n_users
        )
        neither = span_pairs - recorded_pairs
        n_pairs += neither
        n_same += neither

    with np.errstate(invalid="ignore", divide="ignore"):
        sri = np.where(n_pairs > 0, -100.0 + 200.0 * n_same / n_pairs, np.nan)
    return pd.Series(sri, index=pd.Index(users, name="user_id"), name="sleep_regularity_index")
