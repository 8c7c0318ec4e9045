"""The vectorised engine behind the vendor-exact ``stat`` object.

One function, :func:`stat_arrays`, computes every recomputable field of the
API's ``stat`` object for many sessions at once from a 2-D stage array
(sessions x epochs, padded with :data:`asleep_nb.definitions.PAD`). It uses
array operations across sessions only: no Python loop per session or per
epoch. :func:`asleep_nb.stats.compute_stat` (one night) and
:func:`asleep_nb.stats.compute_stats` (a cohort, eager or dask-backed)
both call it, so there is a single implementation of the rules.

The rules are the contract's (``asleep-api.md``), i.e. the vendor's reference
``pysleep`` 0.2.0 ``SleepStageCalculator``, with the sleep period of
:func:`asleep_nb.definitions.vendor_sleep_period` and the extra choices of
:mod:`asleep_nb.stats.vendor`; one helper per group of fields below.

How it is fast: the cost follows the epochs recorded, not the padding.
Sessions go in blocks of like extent (:mod:`asleep_nb.stats._blocks`), so a
block's columns hold its own sessions' slots; only the code check, the run
boundaries of :class:`~asleep_nb.stats._runs.Runs` and snoring touch every slot.
Everything else works on runs (about 80 per real night): epochs per code with
one ``np.add.at``, the vendor rule on each session's run codes, wake after
onset, REM clusters and snoring on the runs that matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from asleep_nb.definitions import (
    EPOCH_SECONDS,
    FOUR_STAGE_ONLY_FIELDS,
    NEVER_SLEPT_NULL_FIELDS,
    PAD,
    STAT_FIELDS,
    SleepStage,
)
from asleep_nb.errors import PayloadError
from asleep_nb.stats._blocks import plan_blocks, row_extents
from asleep_nb.stats._checks import aware_datetime, check_codes, check_epoch_count
from asleep_nb.stats._cycles import REM_CLUSTER_DISTANCE, REM_CLUSTER_MIN_EPOCHS, max_cycles, rem_clusters
from asleep_nb.stats._rounding import round2_hundredths, round_half_even
from asleep_nb.stats._runs import Runs, per_session, vendor_period
from asleep_nb.stats._snoring import check_snoring_shape, snoring_in_period

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
_NEVER_SLEPT_COLUMNS = np.array(sorted(_COL[f] for f in NEVER_SLEPT_NULL_FIELDS if f in _COL), dtype=np.intp)
_FOUR_STAGE_COLUMNS = np.array(sorted(_COL[f] for f in FOUR_STAGE_ONLY_FIELDS), dtype=np.intp)
_E = EPOCH_SECONDS
# columns of the per-code tables of Runs.tables(PAD, 3): PAD, -1, wake, light, deep, rem
_WAKE, _LIGHT, _DEEP, _REM = 2, 3, 4, 5
# codes as plain ints: comparing int8 codes with an IntEnum member casts them to int64 (10x slower)
_WAKE_CODE = int(SleepStage.WAKE)
_SLEEP_CODES = (int(SleepStage.LIGHT), int(SleepStage.DEEP), int(SleepStage.REM))  # _Nights.first_at columns
_LATENCIES = ("light_latency", "deep_latency", "rem_latency")
#: Epoch slots per block: its 1 MB masks are reused from the heap; 4 MB ones (2**22) cost ~10,000
#: page faults a call (numpy advises huge pages for them, the heap gives them back after each call).
_BLOCK_SLOTS = 2**20
#: Recorded share of the matrix above which blocks are plain ranges of rows (extents cost more).
_PLAIN_SHARE = 0.6


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


@dataclass(frozen=True)
class _Nights:
    """What every group of fields needs to know about the sessions."""

    runs: Runs
    counts: np.ndarray  # epochs per (session, code column)
    first_at: np.ndarray  # first epoch of light, deep, REM per session (meaningless where absent)
    start: np.ndarray  # each session's first epoch slot
    end: np.ndarray  # each session's last epoch slot
    n_epochs: np.ndarray
    time_in_bed: np.ndarray  # seconds, may be fractional
    first: np.ndarray  # vendor-rule sleep onset epoch (-1: never slept)
    last: np.ndarray  # vendor-rule last epoch of the sleep period
    slept: np.ndarray
    waso_count: np.ndarray  # wake runs strictly inside the sleep period
    n_wake: np.ndarray  # their epochs
    longest_waso: np.ndarray  # epochs of the longest

    @cached_property
    def n_sleep(self) -> np.ndarray:
        return np.asarray(self.counts[:, _LIGHT] + self.counts[:, _DEEP] + self.counts[:, _REM])

    @cached_property
    def n_period(self) -> np.ndarray:
        """Epochs of the sleep period that count in ``time_in_sleep_period`` (no-signal ones do not)."""
        return self.n_sleep + self.n_wake


class _Columns:
    """The (sessions, FIELD_COLUMNS) output, filled field by field."""

    def __init__(self, n_sessions: int) -> None:
        self.values = np.full((n_sessions, len(FIELD_COLUMNS)), np.nan)

    def put(self, name: str, values: np.ndarray, where: np.ndarray | None = None) -> None:
        self.values[:, _COL[name]] = values if where is None else np.where(where, values, np.nan)


def _validated(stages: np.ndarray) -> np.ndarray:
    """The stages as C-ordered ``int8``; ``int8`` codes are checked block by block in :func:`_stat_block`."""
    S = np.asarray(stages)
    if S.ndim != 2:
        raise ValueError(f"stages must be 2-D (sessions, epochs), got shape {S.shape}")
    if not np.issubdtype(S.dtype, np.integer):
        raise TypeError(f"stages must hold integer codes, got dtype {S.dtype}")
    if S.dtype != np.int8:
        check_codes(S, PAD, 3, "sleep_stage")
    # lossless after the check; every later pass reads one byte an epoch, in row-major order
    return np.ascontiguousarray(S, dtype=np.int8)


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _nights(runs: Runs, tib: np.ndarray, two: np.ndarray) -> _Nights:
    """Per-code tables and the vendor-rule sleep period of the stage runs; checks the sessions' shape."""
    counts = runs.counts(PAD, 3)
    n_ep = runs.n_epochs - counts[:, 0]
    start, end = runs.span(PAD)
    gaps = (n_ep > 0) & (end - start + 1 != n_ep)
    if gaps.any():
        raise PayloadError(f"sleep_stage[{_first_bad(gaps)}]", "a session's epochs must be contiguous")
    check_epoch_count(n_ep, tib)
    bad_two = two & (counts[:, _DEEP] + counts[:, _REM] > 0)
    if bad_two.any():
        raise PayloadError(
            f"sleep_stage[{_first_bad(bad_two)}]", "deep (2) or REM (3) code in a two-stage session"
        )
    matrix = runs.code_matrix(PAD)
    first, last, slept = vendor_period(runs, matrix)
    first_at = np.stack([runs.first_epoch(matrix, code) for code in _SLEEP_CODES], axis=1)
    wake = np.flatnonzero(runs.code == _WAKE_CODE)
    r, col = runs.row[wake], runs.col[wake]
    waso = (col > first[r]) & (col < last[r])  # strictly inside; never slept: first = last = -1, none is
    waso_runs = per_session(r[waso], runs.length[wake][waso], len(tib))
    return _Nights(runs, counts, first_at, start, end, n_ep, tib, first, last, slept, *waso_runs)


def _timing_fields(out: _Columns, n: _Nights) -> np.ndarray:
    """Onset, final awakening and latencies; returns ``sleep_latency`` (seconds) of every session."""
    sleep_latency = (n.first - n.start) * _E
    wakeup_latency = (n.end - n.last) * _E
    out.put("sleep_time", sleep_latency, n.slept)
    out.put("wake_time", n.time_in_bed - wakeup_latency, n.slept)
    out.put("sleep_latency", sleep_latency, n.slept)
    out.put("wakeup_latency", wakeup_latency, n.slept)
    for name, code, first_at in zip(_LATENCIES, _SLEEP_CODES, n.first_at.T, strict=True):
        out.put(name, (first_at - n.first) * _E, n.counts[:, code - PAD] > 0)
    return sleep_latency


def _duration_fields(out: _Columns, n: _Nights) -> None:
    out.put("time_in_bed", np.floor(n.time_in_bed))
    out.put("time_in_sleep_period", n.n_period * _E)
    out.put("time_in_sleep", n.n_sleep * _E)
    out.put("time_in_wake", n.n_wake * _E)
    out.put("time_in_light", n.counts[:, _LIGHT] * _E)
    out.put("time_in_deep", n.counts[:, _DEEP] * _E)
    out.put("time_in_rem", n.counts[:, _REM] * _E)


def _ratio_fields(out: _Columns, n: _Nights) -> None:
    """Ratios: hundredths with Python's rounding, then the vendor's fix-up so the shares sum to 1."""
    tib_int = np.floor(n.time_in_bed)
    pos = tib_int > 0
    eff = np.zeros(len(tib_int))
    eff[pos] = round2_hundredths(n.n_sleep[pos] * _E, tib_int[pos].astype(np.int64)) / 100
    out.put("sleep_efficiency", eff)
    n_period = n.n_period
    per = n_period > 0
    den = np.where(per, n_period, 1)
    # priority order of the fix-up: light, rem, deep, wake
    parts = (n.counts[:, _LIGHT], n.counts[:, _REM], n.counts[:, _DEEP], n.n_wake)
    M = round2_hundredths(np.stack(parts, axis=1), den[:, None])
    M[~per] = 0
    err = np.where(per, M.sum(axis=1) - 100, 0)
    while (err != 0).any():
        adj = np.sign(err)
        nz = M != 0
        rows = np.flatnonzero((err != 0) & nz.any(axis=1))
        M[rows, nz[rows].argmax(axis=1)] -= adj[rows]
        err -= adj
    m_light, m_rem, m_deep, m_wake = M.T
    out.put("sleep_ratio", np.maximum(100 - m_wake, 0) * per / 100)
    out.put("wake_ratio", m_wake / 100)
    out.put("light_ratio", m_light / 100)
    out.put("deep_ratio", m_deep / 100)
    out.put("rem_ratio", m_rem / 100)


def _waso_fields(out: _Columns, n: _Nights) -> None:
    """Runs of wake strictly inside the sleep period."""
    out.put("waso_count", n.waso_count)
    out.put("longest_waso", n.longest_waso * _E)


def _cycle_fields(out: _Columns, n: _Nights, sleep_latency: np.ndarray, n_cycles: int) -> np.ndarray:
    """``sleep_cycle_count``, ``sleep_cycle``; returns the ``sleep_cycle_time`` array."""
    n_s = n.runs.n_sessions
    clusters = rem_clusters(n.runs)
    count = clusters.per_session
    out.put("sleep_cycle_count", count)
    has_cycle = count > 0
    row_begin = np.concatenate([[0], np.cumsum(count)])
    last_end = np.zeros(n_s, dtype=np.int64)
    last_end[has_cycle] = clusters.last_epoch[row_begin[1:][has_cycle] - 1]
    out.put(
        "sleep_cycle", round_half_even((last_end - n.first) * _E, np.where(has_cycle, count, 1)), has_cycle
    )
    cycles = np.full((n_s, n_cycles), np.nan)
    cycles[has_cycle, 0] = sleep_latency[has_cycle]
    rank = np.arange(clusters.row.size) - row_begin[clusters.row]
    cycles[clusters.row, rank + 1] = (clusters.last_epoch - n.start[clusters.row]) * _E
    return cycles


def _snoring_fields(out: _Columns, n: _Nights, stages: np.ndarray, snoring: np.ndarray) -> None:
    """Snoring over the sleep period (epochs whose sleep stage is -1 are out of it)."""
    has_snoring, n_snore, snoring_count = snoring_in_period(stages, snoring, (n.first, n.last))
    n_period = n.n_period
    per = n_period > 0
    m_snore = np.where(per, round2_hundredths(n_snore, np.where(per, n_period, 1)), 0)
    out.put("time_in_snoring", n_snore * _E, has_snoring)
    out.put("time_in_no_snoring", (n_period - n_snore) * _E, has_snoring)
    out.put("snoring_ratio", m_snore / 100, has_snoring)
    out.put("no_snoring_ratio", (100 - m_snore) * per / 100, has_snoring)
    out.put("snoring_count", snoring_count, has_snoring)


def stat_arrays(
    stages: np.ndarray,
    snoring: np.ndarray | None,
    time_in_bed: np.ndarray,
    two_stage: np.ndarray | bool = False,
    *,
    trim_cycles: bool = False,
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
    trim_cycles
        ``cycles`` only as wide as the longest list needs (no fresh memory for
        columns no night fills), not ``max_cycles(n_epochs) + 1``.

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
    S = _validated(stages)
    n_s, n_e = S.shape
    tib = np.broadcast_to(np.asarray(time_in_bed, dtype=np.float64), (n_s,))
    two = np.broadcast_to(np.asarray(two_stage, dtype=bool), (n_s,))
    N = None if snoring is None else check_snoring_shape(snoring, S)
    width = max_cycles(n_e) + 1
    if n_s * n_e <= 2 * _BLOCK_SLOTS:  # one block of up to 2 MB masks costs less than two blocks
        whole = _stat_block(S, N, tib, two, width)
        return StatArrays(whole.fields, whole.cycles[:, : _used(whole.cycles)]) if trim_cycles else whole
    fields, parts = np.empty((n_s, len(FIELD_COLUMNS))), []
    if tib.sum() / _E >= _PLAIN_SHARE * n_s * n_e:  # little padding: ranges of rows, views, no copy
        step = max(1, _BLOCK_SLOTS // max(n_e, 1))
        blocks: list[tuple[Any, int, int]] = [(slice(a, a + step), 0, n_e) for a in range(0, n_s, step)]
    else:
        blocks = list(plan_blocks(*row_extents(S, PAD), _BLOCK_SLOTS))
    try:
        for rows, lo, hi in blocks:
            snoring_part = None if N is None else N[:, lo:hi][rows]
            n_cycles = min(width, max_cycles(hi - lo) + 1)  # a block's nights hold no more cycles
            part = _stat_block(S[:, lo:hi][rows], snoring_part, tib[rows], two[rows], n_cycles)
            fields[rows] = part.fields
            parts.append((rows, part.cycles))
    except PayloadError:  # raise it again, naming the session by its index in the whole array
        _stat_block(S, N, tib, two, width)
        raise
    width = max((_used(c) for _, c in parts), default=0) if trim_cycles else width
    cycles = np.full((n_s, width), np.nan)
    for rows, part_cycles in parts:
        k = min(width, part_cycles.shape[1])
        cycles[rows, :k] = part_cycles[:, :k]
    return StatArrays(fields, cycles)


def _used(cycles: np.ndarray) -> int:
    """Columns of a ``cycles`` array that hold a value in some row (they are filled from the left)."""
    return int((~np.isnan(cycles)).sum(axis=1).max(initial=0))


def _stat_block(
    S: np.ndarray, snoring: np.ndarray | None, tib: np.ndarray, two: np.ndarray, n_cycles: int
) -> StatArrays:
    """:func:`stat_arrays` of ``int8`` stages, in one piece; ``n_cycles`` columns of cycles."""
    S = np.ascontiguousarray(S)
    check_codes(S, PAD, 3, "sleep_stage")
    n_s = S.shape[0]
    nights = _nights(Runs(S), tib, two)
    out = _Columns(n_s)
    sleep_latency = _timing_fields(out, nights)
    _duration_fields(out, nights)
    _ratio_fields(out, nights)
    _waso_fields(out, nights)
    cycles = _cycle_fields(out, nights, sleep_latency, n_cycles)
    if snoring is not None:
        _snoring_fields(out, nights, S, snoring)
    # Null rules: never slept, then two-stage.
    out.values[np.ix_(~nights.slept, _NEVER_SLEPT_COLUMNS)] = np.nan
    out.values[np.ix_(two, _FOUR_STAGE_COLUMNS)] = np.nan
    return StatArrays(out.values, cycles)
