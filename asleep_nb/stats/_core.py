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
:mod:`asleep_nb.stats.vendor`. Each block of sessions is summarised here
(:func:`_summarise`: per-session counts, sleep period, wake after onset, REM
clusters, snoring); the summaries of all blocks are gathered and the fields
computed once per cohort by :func:`asleep_nb.stats._fields.field_values`.

How it is fast: the cost follows the epochs recorded, not the padding.
Sessions go in blocks of like extent (:mod:`asleep_nb.stats._blocks`), so a
block's columns hold its own sessions' slots; only the run boundaries of
:class:`~asleep_nb.stats._runs.Runs` and snoring (a few comparisons of one pair
code per epoch, :mod:`~asleep_nb.stats._snoring`) touch every slot, in work
memory lent by a per-call :class:`~asleep_nb.stats._scratch.Scratch`.
Everything else works on runs (about 80 per real night): the code check,
epochs per code with one ``np.add.at``, the vendor rule on each session's run
codes, wake after onset and REM clusters.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Any, NamedTuple

import numpy as np

from asleep_nb.definitions import EPOCH_SECONDS, PAD, SleepStage
from asleep_nb.errors import PayloadError
from asleep_nb.stats._blocks import BLOCK_SLOTS as _BLOCK_SLOTS  # a module global: tests vary it
from asleep_nb.stats._blocks import plan_blocks, row_extents
from asleep_nb.stats._checks import aware_datetime, check_codes, check_epoch_count, check_run_codes
from asleep_nb.stats._cycles import REM_CLUSTER_DISTANCE, REM_CLUSTER_MIN_EPOCHS, max_cycles, rem_clusters
from asleep_nb.stats._fields import (
    FIELD_COLUMNS,
    SLEEP_CODES,
    UNKNOWABLE_FIELDS,
    Nights,
    count_column,
    field_values,
)
from asleep_nb.stats._rounding import round2_hundredths
from asleep_nb.stats._runs import Runs, per_session, vendor_period
from asleep_nb.stats._scratch import Scratch
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

_E = EPOCH_SECONDS
# a plain int: comparing int8 codes with an IntEnum member casts them to int64 (10x slower)
_WAKE_CODE = int(SleepStage.WAKE)
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


def _validated(stages: np.ndarray) -> np.ndarray:
    """The stages as C-ordered ``int8``; ``int8`` codes are checked block by block in :func:`_summarise`."""
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


def _summarise(
    S: np.ndarray,
    snoring: np.ndarray | None,
    tib: np.ndarray,
    two: np.ndarray,
    n_cycles: int,
    scratch: Scratch | None = None,
) -> tuple[Nights, np.ndarray]:
    """One block of ``int8`` stages: its :class:`Nights` and ``n_cycles`` columns of cycles; checks them."""
    S = np.ascontiguousarray(S)
    runs = Runs(S, scratch)
    check_run_codes(runs.code, runs.row, runs.col, PAD, 3, "sleep_stage")
    counts = runs.counts(PAD, 3)
    n_ep = runs.n_epochs - counts[:, count_column(PAD)]
    start, end = runs.span(PAD)
    gaps = (n_ep > 0) & (end - start + 1 != n_ep)
    if gaps.any():
        raise PayloadError(f"sleep_stage[{_first_bad(gaps)}]", "a session's epochs must be contiguous")
    check_epoch_count(n_ep, tib)
    bad_two = two & (counts[:, count_column(SleepStage.DEEP)] + counts[:, count_column(SleepStage.REM)] > 0)
    if bad_two.any():
        raise PayloadError(
            f"sleep_stage[{_first_bad(bad_two)}]", "deep (2) or REM (3) code in a two-stage session"
        )
    matrix = runs.code_matrix(PAD)
    first, last, slept = vendor_period(runs, matrix)
    first_at = np.stack([runs.first_epoch(matrix, code) for code in SLEEP_CODES], axis=1)
    wake = np.flatnonzero(runs.code == _WAKE_CODE)
    r, col = runs.row[wake], runs.col[wake]
    waso = (col > first[r]) & (col < last[r])  # strictly inside; never slept: first = last = -1, none is
    waso_count, n_wake, longest_waso = per_session(r[waso], runs.length[wake][waso], len(tib))
    cycle_count, last_end, cycles = _cycles(runs, first - start, start, n_cycles)
    snore = None if snoring is None else snoring_in_period(S, snoring, (first, last), n_ep, scratch)
    nights = Nights(
        *(counts, first_at, start, end, tib, first, last, slept),
        *(waso_count, n_wake, longest_waso, cycle_count, last_end, snore),
    )
    return nights, cycles


def _cycles(
    runs: Runs, onset: np.ndarray, start: np.ndarray, n_cycles: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """REM clusters per session, the last one's last epoch, and the ``sleep_cycle_time`` array."""
    clusters = rem_clusters(runs)
    count = clusters.per_session
    has_cycle = count > 0
    row_begin = np.concatenate([[0], np.cumsum(count)])
    last_end = np.zeros(runs.n_sessions, dtype=np.int64)
    last_end[has_cycle] = clusters.last_epoch[row_begin[1:][has_cycle] - 1]
    cycles = np.full((runs.n_sessions, n_cycles), np.nan)
    cycles[has_cycle, 0] = onset[has_cycle] * _E  # sleep latency
    rank = np.arange(clusters.row.size) - row_begin[clusters.row]
    cycles[clusters.row, rank + 1] = (clusters.last_epoch - start[clusters.row]) * _E
    return count, last_end, cycles


def _gathered(parts: list[tuple[Any, Nights]], n_s: int) -> Nights:
    """The :class:`Nights` of the whole cohort from those of its blocks (``rows``: where each block's go)."""
    if len(parts) == 1 and isinstance(parts[0][0], slice) and parts[0][0] == slice(None):
        return parts[0][1]
    values: dict[str, Any] = {}
    for f in dataclass_fields(Nights):
        pieces = [getattr(n, f.name) for _, n in parts]
        if pieces[0] is None:
            values[f.name] = None
            continue
        items = list(zip(*pieces, strict=True)) if f.name == "snoring" else [tuple(pieces)]
        gathered = []
        for item in items:
            whole = np.empty((n_s, *item[0].shape[1:]), dtype=np.result_type(*item))
            for (rows, _), piece in zip(parts, item, strict=True):
                whole[rows] = piece
            gathered.append(whole)
        values[f.name] = tuple(gathered) if f.name == "snoring" else gathered[0]
    return Nights(**values)


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
        blocks: list[tuple[Any, int, int]] = [(slice(None), 0, n_e)]
    elif tib.sum() / _E >= _PLAIN_SHARE * n_s * n_e:  # little padding: ranges of rows, views, no copy
        step = max(1, _BLOCK_SLOTS // max(n_e, 1))
        blocks = [(slice(a, a + step), 0, n_e) for a in range(0, n_s, step)]
    else:
        blocks = list(plan_blocks(*row_extents(S, PAD), _BLOCK_SLOTS))
    parts: list[tuple[Any, Nights]] = []
    cycle_parts: list[tuple[Any, np.ndarray]] = []
    scratch = Scratch()  # the blocks' temporaries, in memory touched once per call
    try:
        for rows, lo, hi in blocks:
            snoring_part = None if N is None else N[:, lo:hi][rows]
            n_cycles = min(width, max_cycles(hi - lo) + 1)  # a block's nights hold no more cycles
            nights, part_cycles = _summarise(
                S[:, lo:hi][rows], snoring_part, tib[rows], two[rows], n_cycles, scratch
            )
            parts.append((rows, nights))
            cycle_parts.append((rows, part_cycles))
    except PayloadError:  # raise it again, naming the session by its index in the whole array
        if len(blocks) > 1:
            _summarise(S, N, tib, two, width)
        raise
    fields = field_values(_gathered(parts, n_s), two)  # once per cohort, not once per block
    if len(blocks) == 1:
        cycles = cycle_parts[0][1]
        return StatArrays(fields, cycles[:, : _used(cycles)] if trim_cycles else cycles)
    width = max((_used(c) for _, c in cycle_parts), default=0) if trim_cycles else width
    cycles = np.full((n_s, width), np.nan)
    for rows, part_cycles in cycle_parts:
        k = min(width, part_cycles.shape[1])
        cycles[rows, :k] = part_cycles[:, :k]
    return StatArrays(fields, cycles)


def _used(cycles: np.ndarray) -> int:
    """Columns of a ``cycles`` array that hold a value in some row (they are filled from the left)."""
    return int((~np.isnan(cycles)).sum(axis=1).max(initial=0))
