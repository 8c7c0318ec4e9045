"""The vectorised engine behind the vendor-exact ``stat`` object.

One function, :func:`stat_arrays`, computes every recomputable field of the
API's ``stat`` object for many sessions at once from a 2-D stage array
(sessions x epochs, padded with :data:`asleep_nb.definitions.PAD`). It uses
array operations across sessions only: no Python loop per session or per
epoch. :func:`asleep_nb.stats.compute_stat` (one night) and
:func:`asleep_nb.stats.compute_stats` (a cohort, eager or dask-backed)
both call it, so there is a single implementation of the rules.

The rules are those of the contract (``asleep-api.md``, "How the stat object
is computed"), i.e. of the vendor's reference ``pysleep`` 0.2.0
``SleepStageCalculator``; the extra choices are documented in
:mod:`asleep_nb.stats.vendor`.

Rounding to two decimals
------------------------
Ratios are ``round(k / n, 2)`` with Python's ``round``, which rounds the
*exact* decimal value of the double ``k / n``. ``numpy.round`` does not (it
rounds ``x * 100``); for instance ``round(1 / 40, 2) == 0.03`` but
``np.round(1 / 40, 2) == 0.02`` (1230 of the 4.5 million ratios ``k / n``
with ``n <= 3000`` differ). This module computes the number of hundredths
``m`` with exact integer arithmetic instead: ``m`` is the integer nearest
to ``100 k / n`` (``(200 k + n) // (2 n)``), except when ``100 k / n`` is
exactly a half ``j / 2`` (``j`` odd). Then the double ``k / n`` equals the
double ``j / 200`` whatever ``k`` and ``n`` are, so the answer depends on
``j`` only and is taken from Python's own ``round(j / 200, 2)``. Away from
halves the exact value is at least ``1 / (200 n)`` from a rounding
boundary, far more than the error of a double, so both agree. The ratio is
then ``m / 100`` (the double nearest to ``m / 100``, which is what Python's
``round`` returns). The test suite checks this bit for bit against
``round`` for every ``k / n`` with ``n <= 3000``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import numpy as np

from asleep_nb.definitions import (
    EPOCH_SECONDS,
    FOUR_STAGE_ONLY_FIELDS,
    NEVER_SLEPT_NULL_FIELDS,
    PAD,
    STAT_FIELDS,
)
from asleep_nb.errors import PayloadError

__all__ = [
    "UNKNOWABLE_FIELDS",
    "FIELD_COLUMNS",
    "REM_CLUSTER_DISTANCE",
    "REM_CLUSTER_MIN_EPOCHS",
    "StatArrays",
    "stat_arrays",
    "max_cycles",
    "round2_hundredths",
    "check_epoch_count",
    "aware_datetime",
]

#: Fields that depend on data other than the stage arrays (breathing) or on
#: the vendor's learned model (``sleep_index``): never recomputed.
UNKNOWABLE_FIELDS: frozenset[str] = frozenset(
    {
        "time_in_stable_breath",
        "time_in_unstable_breath",
        "stable_breath_ratio",
        "unstable_breath_ratio",
        "breathing_pattern",
        "breathing_index",
        "unstable_breath_count",
        "sleep_index",
    }
)

#: Columns of :attr:`StatArrays.fields`, in ``STAT_FIELDS`` order: every
#: recomputable field except ``sleep_cycle_time``. Time fields are seconds
#: after the session start.
FIELD_COLUMNS: tuple[str, ...] = tuple(
    name for name, f in STAT_FIELDS.items() if f.kind != "time_list" and name not in UNKNOWABLE_FIELDS
)
_COL = {name: i for i, name in enumerate(FIELD_COLUMNS)}

#: A REM epoch after more than this many non-REM epochs starts a new cluster.
REM_CLUSTER_DISTANCE: int = 20
#: A REM cluster counts as a sleep cycle with at least this many REM epochs.
REM_CLUSTER_MIN_EPOCHS: int = 20


class StatArrays(NamedTuple):
    """What :func:`stat_arrays` returns.

    Attributes
    ----------
    fields
        ``float64`` array (sessions, ``len(FIELD_COLUMNS)``); ``NaN`` is null.
        Durations and counts are whole numbers; times are seconds after the
        session start.
    cycles
        ``float64`` array (sessions, ``max_cycles(n_epochs) + 1``): the
        ``sleep_cycle_time`` list as seconds after the session start,
        padded with ``NaN`` (a night without a counted cycle is all ``NaN``).
    """

    fields: np.ndarray
    cycles: np.ndarray


def max_cycles(n_epochs: int) -> int:
    """Most REM-cluster cycles a night of ``n_epochs`` epochs can hold.

    A counted cluster has at least 20 REM epochs and clusters are more than
    20 epochs apart, so ``c`` cycles need ``41 c - 21`` epochs.

    Examples
    --------
    >>> max_cycles(960)
    23
    """
    span = REM_CLUSTER_MIN_EPOCHS + REM_CLUSTER_DISTANCE + 1
    return max(0, (int(n_epochs) + REM_CLUSTER_DISTANCE + 1) // span)


def round2_hundredths(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Hundredths of ``round(num / den, 2)`` with Python's ``round``, exactly.

    Parameters
    ----------
    num, den
        Non-negative integer arrays of the same shape; ``den > 0``.

    Returns
    -------
    numpy.ndarray
        ``int64`` ``m`` such that ``m / 100 == round(num / den, 2)`` bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> round2_hundredths(np.array([1, 3, 27]), np.array([40, 40, 200])).tolist()
    [3, 7, 14]
    """
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    num200 = 200 * num
    q, r = np.divmod(num200, den)
    m = (num200 + den) // (2 * den)
    half = (r == 0) & (q % 2 == 1)
    if half.any():
        js = np.unique(q[half])
        # Python's round on the double j / 200 (== the double num / den).
        table = np.array([round(round(int(j) / 200, 2) * 100) for j in js], dtype=np.int64)
        m = np.where(half, table[np.searchsorted(js, np.where(half, q, js[0]))], m)
    return m


def _round_half_even(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Integer nearest to the exact ``num / den`` (ties to even), for ``den > 0``."""
    q, r = np.divmod(num, den)
    return q + ((2 * r > den) | ((2 * r == den) & (q % 2 == 1)))


def aware_datetime(value: Any, name: str) -> datetime:
    """``value`` itself when it is a timezone-aware ``datetime``.

    Raises
    ------
    TypeError
        ``value`` is not a ``datetime``.
    ValueError
        ``value`` is naive.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> aware_datetime(datetime(2025, 1, 15, tzinfo=UTC), "start_time").isoformat()
    '2025-01-15T00:00:00+00:00'
    >>> aware_datetime(datetime(2025, 1, 15), "start_time")
    Traceback (most recent call last):
    ...
    ValueError: start_time must be timezone-aware (naive datetimes are ambiguous)
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a timezone-aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (naive datetimes are ambiguous)")
    return value


def check_epoch_count(n_epochs: np.ndarray, time_in_bed: np.ndarray, what: str = "session") -> None:
    """Raise :class:`PayloadError` where the epoch count disagrees with the times.

    The contract has ``n == floor(time_in_bed / 30)``; a count within one
    epoch of ``time_in_bed / 30`` is accepted.

    Examples
    --------
    >>> import numpy as np
    >>> check_epoch_count(np.array([120]), np.array([3600.0]))
    >>> check_epoch_count(np.array([100]), np.array([3600.0]))
    Traceback (most recent call last):
    ...
    asleep_nb.errors.PayloadError: session[0]: 100 epochs (3000 s) but end_time - start_time is 3600 s
    """
    n_epochs = np.atleast_1d(n_epochs)
    time_in_bed = np.broadcast_to(np.atleast_1d(time_in_bed), n_epochs.shape)
    bad = np.abs(n_epochs * EPOCH_SECONDS - time_in_bed) > EPOCH_SECONDS
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = what if n_epochs.size == 1 and what != "session" else f"{what}[{i}]"
        raise PayloadError(
            where,
            f"{int(n_epochs[i])} epochs ({int(n_epochs[i]) * EPOCH_SECONDS} s) but end_time - start_time "
            f"is {time_in_bed[i]:g} s",
        )


class _Runs:
    """Runs of equal codes of a (sessions, epochs) array, split at row ends.

    Working on runs (a few hundred per night) instead of epochs keeps every
    later step small; only building them touches every epoch.
    """

    def __init__(self, S: np.ndarray) -> None:
        n_s, n_e = S.shape
        flat = np.ascontiguousarray(S).reshape(-1)
        change = np.empty(flat.size, dtype=bool)
        if flat.size:
            change[0] = True
            np.not_equal(flat[1:], flat[:-1], out=change[1:])
            change[::n_e] = True
        starts = np.flatnonzero(change)
        self.n_sessions, self.n_epochs = n_s, n_e
        self.length = np.diff(starts, append=flat.size)
        self.code = flat[starts].astype(np.int64)
        self.row, self.col = np.divmod(starts, max(n_e, 1))
        self.end = self.col + self.length - 1  # last epoch of the run

    def tables(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per (session, code) for codes ``low..high``: epochs, first epoch, last epoch.

        Each is an array (sessions, ``high - low + 1``); first is the number of
        epoch slots and last is -1 where the code does not occur.
        """
        k = high - low + 1
        key = self.row * k + (self.code - low)
        size = self.n_sessions * k
        counts = np.bincount(key, weights=self.length, minlength=size).astype(np.int64)
        first = np.full(size, self.n_epochs, dtype=np.int64)
        np.minimum.at(first, key, self.col)
        last = np.full(size, -1, dtype=np.int64)
        np.maximum.at(last, key, self.end)
        return counts.reshape(-1, k), first.reshape(-1, k), last.reshape(-1, k)


def _check_codes(values: np.ndarray, low: int, high: int, name: str) -> None:
    """Raise on the first value outside ``[low, high]`` (two fast reductions when all is well)."""
    if values.size and (values.min() < low or values.max() > high):
        r, c = np.argwhere((values < low) | (values > high))[0]
        raise PayloadError(
            f"{name}[{r}, {c}]",
            f"unknown code {int(values[r, c])}; expected {low + 1}..{high} (or PAD {PAD})",
        )


def stat_arrays(
    stages: np.ndarray,
    snoring: np.ndarray | None,
    time_in_bed: np.ndarray,
    two_stage: np.ndarray | bool = False,
) -> StatArrays:
    """Recompute the stat fields of many sessions at once.

    Parameters
    ----------
    stages
        Integer array (sessions, epochs) of sleep stage codes; each session's
        epochs are contiguous, the other slots hold ``PAD`` (-2).
    snoring
        Snoring codes of the same shape, or ``None``. A session whose
        snoring slots are all ``PAD`` has no snoring data (snoring fields null).
    time_in_bed
        ``end_time - start_time`` in seconds per session (may be fractional).
    two_stage
        Per session (or one flag for all): two-stage contract, so the
        light/deep/REM fields are null.

    Returns
    -------
    StatArrays
        ``fields`` (columns :data:`FIELD_COLUMNS`) and ``cycles``.

    Raises
    ------
    PayloadError
        Unknown codes, non-contiguous sessions, deep/REM codes in a two-stage
        session, or an epoch count that disagrees with ``time_in_bed``.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48], dtype=np.int8)
    >>> out = stat_arrays(s, None, np.array([3600.0]))
    >>> out.fields[0, FIELD_COLUMNS.index("time_in_sleep")]
    np.float64(1080.0)
    """
    S = np.asarray(stages)
    if S.ndim != 2:
        raise ValueError(f"stages must be 2-D (sessions, epochs), got shape {S.shape}")
    if not np.issubdtype(S.dtype, np.integer):
        raise TypeError(f"stages must hold integer codes, got dtype {S.dtype}")
    n_s, n_e = S.shape
    tib = np.broadcast_to(np.asarray(time_in_bed, dtype=np.float64), (n_s,))
    two = np.broadcast_to(np.asarray(two_stage, dtype=bool), (n_s,))
    E = EPOCH_SECONDS
    _check_codes(S, PAD, 3, "sleep_stage")

    runs = _Runs(S)
    r, v = runs.row, runs.code
    # columns: PAD, -1, wake, light, deep, rem
    counts, first_at, last_at = runs.tables(PAD, 3)
    n_ep = n_e - counts[:, 0]
    n_light, n_deep, n_rem = counts[:, 3], counts[:, 4], counts[:, 5]
    start_idx, end_idx = first_at[:, 1:].min(axis=1), last_at[:, 1:].max(axis=1)
    gaps = (n_ep > 0) & (end_idx - start_idx + 1 != n_ep)
    if gaps.any():
        first_bad = int(np.flatnonzero(gaps)[0])
        raise PayloadError(f"sleep_stage[{first_bad}]", "a session's epochs must be contiguous")
    check_epoch_count(n_ep, tib)
    bad_two = two & (n_deep + n_rem > 0)
    if bad_two.any():
        first_bad = int(np.flatnonzero(bad_two)[0])
        raise PayloadError(f"sleep_stage[{first_bad}]", "deep (2) or REM (3) code in a two-stage session")

    n_sleep = n_light + n_deep + n_rem
    slept = n_sleep > 0
    # Sleep onset / final awakening: first and last epoch that is not wake
    # (error epochs -1 count as "not wake"); undefined when never slept.
    nonwake = [1, 3, 4, 5]
    first, last = first_at[:, nonwake].min(axis=1), last_at[:, nonwake].max(axis=1)
    # WASO: wake runs strictly inside the sleep period
    waso = (v == 0) & slept[r] & (runs.col > first[r]) & (runs.col < last[r])
    waso_rows, waso_len = r[waso], runs.length[waso]
    n_wake = np.bincount(waso_rows, weights=waso_len, minlength=n_s).astype(np.int64)
    n_period = n_sleep + n_wake

    out = np.full((n_s, len(FIELD_COLUMNS)), np.nan)

    def put(name: str, values: np.ndarray, where: np.ndarray | None = None) -> None:
        if where is None:
            out[:, _COL[name]] = values
        else:
            out[where, _COL[name]] = np.asarray(values)[where]

    tib_int = np.floor(tib)
    sleep_latency = (first - start_idx) * E
    wakeup_latency = (end_idx - last) * E
    put("sleep_time", sleep_latency, slept)
    put("wake_time", tib - wakeup_latency, slept)
    put("sleep_latency", sleep_latency, slept)
    put("wakeup_latency", wakeup_latency, slept)
    for name, column in (("light_latency", 3), ("deep_latency", 4), ("rem_latency", 5)):
        put(name, (first_at[:, column] - first) * E, counts[:, column] > 0)
    put("time_in_bed", tib_int)
    put("time_in_sleep_period", n_period * E)
    put("time_in_sleep", n_sleep * E)
    put("time_in_wake", n_wake * E)
    put("time_in_light", n_light * E)
    put("time_in_deep", n_deep * E)
    put("time_in_rem", n_rem * E)

    # Ratios: hundredths with Python's rounding, then the vendor's fix-up.
    pos = tib_int > 0
    eff = np.zeros(n_s)
    eff[pos] = round2_hundredths(n_sleep[pos] * E, tib_int[pos].astype(np.int64)) / 100
    put("sleep_efficiency", eff)
    per = n_period > 0
    den = np.where(per, n_period, 1)
    # priority order of the fix-up: light, rem, deep, wake
    M = np.stack([round2_hundredths(c, den) for c in (n_light, n_rem, n_deep, n_wake)], axis=1)
    M[~per] = 0
    err = np.where(per, M.sum(axis=1) - 100, 0)
    while (err != 0).any():
        adj = np.sign(err)
        nz = M != 0
        rows = np.flatnonzero((err != 0) & nz.any(axis=1))
        M[rows, nz[rows].argmax(axis=1)] -= adj[rows]
        err -= adj
    m_light, m_rem, m_deep, m_wake = M.T
    put("sleep_ratio", np.maximum(100 - m_wake, 0) * per / 100)
    put("wake_ratio", m_wake / 100)
    put("light_ratio", m_light / 100)
    put("deep_ratio", m_deep / 100)
    put("rem_ratio", m_rem / 100)

    put("waso_count", np.bincount(waso_rows, minlength=n_s))
    longest = np.zeros(n_s, dtype=np.int64)
    np.maximum.at(longest, waso_rows, waso_len)
    put("longest_waso", longest * E)

    # REM clusters, on REM runs: a REM run more than 20 non-REM epochs after
    # the previous REM run of its night starts a new cluster.
    rr = np.flatnonzero(v == 3)
    rows, rem_start, rem_end = r[rr], runs.col[rr], runs.end[rr]
    new = np.ones(rr.size, dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]) | (rem_start[1:] - rem_end[:-1] - 1 > REM_CLUSTER_DISTANCE)
    cluster = np.cumsum(new) - 1
    size = np.bincount(cluster, weights=runs.length[rr]) if rr.size else np.zeros(0)
    last_run = np.append(np.flatnonzero(new)[1:] - 1, rr.size - 1) if rr.size else np.zeros(0, dtype=np.int64)
    counted = size >= REM_CLUSTER_MIN_EPOCHS
    cl_row, cl_last = rows[new][counted], rem_end[last_run][counted]
    n_cycles = np.bincount(cl_row, minlength=n_s)
    put("sleep_cycle_count", n_cycles)
    has_cycle = n_cycles > 0
    row_begin = np.concatenate([[0], np.cumsum(n_cycles)])
    last_end = np.zeros(n_s, dtype=np.int64)
    last_end[has_cycle] = cl_last[row_begin[1:][has_cycle] - 1]
    cycle = _round_half_even((last_end - first) * E, np.where(has_cycle, n_cycles, 1))
    put("sleep_cycle", cycle, has_cycle)
    cycles = np.full((n_s, max_cycles(n_e) + 1), np.nan)
    cycles[has_cycle, 0] = sleep_latency[has_cycle]
    rank = np.arange(cl_row.size) - row_begin[cl_row]
    cycles[cl_row, rank + 1] = (cl_last - start_idx[cl_row]) * E

    # Snoring over the sleep period (epochs whose sleep stage is -1 are out
    # of the period's durations, so out of the snoring ones too).
    if snoring is not None:
        N = np.asarray(snoring)
        if N.shape != S.shape:
            raise PayloadError("snoring_stage", f"shape {N.shape} differs from sleep_stage's {S.shape}")
        valid = S != PAD
        inside = valid & (N != PAD)
        _check_codes(np.where(inside, N, 0), -1, 1, "snoring_stage")
        has_snoring = inside.any(axis=1)
        partial = has_snoring & (inside.sum(axis=1) != n_ep)
        if partial.any():
            raise PayloadError(
                f"snoring_stage[{int(np.flatnonzero(partial)[0])}]", "length differs from sleep_stage's"
            )
        col = np.arange(n_e)
        in_period = (col >= first[:, None]) & (col <= last[:, None]) & slept[:, None]
        snore = (N == 1) & in_period & (S != -1)
        n_snore = snore.sum(axis=1)
        snore_runs = snore.copy()
        snore_runs[:, 1:] &= ~snore[:, :-1]
        m_snore = np.where(per, round2_hundredths(n_snore, den), 0)
        put("time_in_snoring", n_snore * E, has_snoring)
        put("time_in_no_snoring", (n_period - n_snore) * E, has_snoring)
        put("snoring_ratio", m_snore / 100, has_snoring)
        put("no_snoring_ratio", (100 - m_snore) * per / 100, has_snoring)
        put("snoring_count", snore_runs.sum(axis=1), has_snoring)

    # Null rules: never slept, then two-stage.
    out[np.ix_(~slept, [_COL[f] for f in NEVER_SLEPT_NULL_FIELDS if f in _COL])] = np.nan
    out[np.ix_(two, [_COL[f] for f in FOUR_STAGE_ONLY_FIELDS])] = np.nan
    return StatArrays(out, cycles)
