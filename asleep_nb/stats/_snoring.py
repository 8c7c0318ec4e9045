"""Snoring of the stat engine: snoring epochs and runs of them inside the sleep period.

Only comparisons over a block's epochs, which numpy vectorises: a mask of the
epochs of the period that snore, a mask of those that start a run of them,
and one sum of each per session. No index of an epoch is ever made, so the
cost is that of reading the block a few times, however often snoring starts
and stops.
"""

from __future__ import annotations

import numpy as np

from asleep_nb.definitions import PAD, SleepStage, SnoringStage
from asleep_nb.errors import PayloadError
from asleep_nb.stats._checks import check_codes

__all__ = ["check_snoring_shape", "snoring_in_period"]

# plain ints: comparing int8 codes with an IntEnum member casts them to int64 (10x slower)
_ERROR, _WAKE, _SNORING = int(SleepStage.ERROR), int(SleepStage.WAKE), int(SnoringStage.SNORING)


def snoring_in_period(
    stages: np.ndarray, snoring: np.ndarray, period: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which sessions have snoring data; snoring epochs and runs of them inside the sleep period.

    Parameters
    ----------
    stages
        ``int8`` sleep stages (sessions, epochs), padded with ``PAD``; each
        session's epochs are contiguous.
    snoring
        Snoring codes of the same shape; a session whose epochs have only
        ``PAD`` snoring has no snoring data; codes outside its epochs are ignored.
    period
        Each session's sleep period, first and last epoch (both -1 for a
        night that never slept: nothing counts).

    Returns
    -------
    tuple of numpy.ndarray
        ``has_snoring`` (bool), snoring epochs and runs of snoring epochs
        (``int64``). A snoring epoch whose sleep stage is -1 does not count
        and splits a run.

    Raises
    ------
    PayloadError
        A shape that differs from ``stages``', an unknown code, or snoring
        data on only part of a session's epochs.

    Examples
    --------
    >>> import numpy as np
    >>> stages = np.array([[0, 1, 1, -1, 1, 0, -2]], dtype=np.int8)
    >>> snoring = np.array([[1, 1, 1, 1, 1, 1, -2]], dtype=np.int8)
    >>> [a.tolist() for a in snoring_in_period(stages, snoring, (np.array([1]), np.array([4])))]
    [[True], [3], [2]]
    """
    stages = np.ascontiguousarray(stages)
    N = np.ascontiguousarray(check_snoring_shape(snoring, stages))  # C order: flat views below
    # two block-sized scratch masks, reused by every step: fresh ones cost page faults, not only passes
    recorded = np.not_equal(stages, PAD)
    if N.size and (N.min() < PAD or N.max() > 1):  # the slow exact check only when a code is off
        check_codes(np.where(recorded & (N != PAD), N, 0), -1, 1, "snoring_stage")
    scratch = np.equal(N, PAD)
    has_snoring = _sessions_with_snoring(recorded, scratch)
    snore = np.equal(N, _SNORING, out=recorded)
    np.equal(stages, _WAKE, out=scratch)
    if np.logical_and(scratch, snore, out=scratch).any():
        # snoring while awake: it counts inside the sleep period only, so mark the period
        first, last = period
        col = np.arange(stages.shape[1], dtype=np.int32)
        snore &= np.greater_equal(col, first.astype(np.int32)[:, None])
        snore &= np.less_equal(col, last.astype(np.int32)[:, None])
        snore &= np.not_equal(stages, _ERROR)
    else:  # snoring only in sleep epochs (1-3), which all lie inside the period
        snore &= np.greater(stages, _WAKE, out=scratch)
    # a run starts at a snoring epoch whose epoch before does not snore (none does before the period)
    before = scratch
    before.reshape(-1)[1:] = snore.reshape(-1)[:-1]
    before[:, :1] = False
    starts = np.greater(snore, before, out=before)
    return has_snoring, _row_sums(snore), _row_sums(starts)


def _sessions_with_snoring(recorded: np.ndarray, unscored: np.ndarray) -> np.ndarray:
    """Sessions whose epochs have snoring codes; :class:`PayloadError` where only some have."""
    missing = np.logical_and(unscored, recorded, out=unscored)
    if not missing.any():  # the common case: every epoch has a code
        return np.asarray(recorded.any(axis=1))
    has_snoring = np.greater(recorded, missing).any(axis=1)
    partial = has_snoring & missing.any(axis=1)
    if partial.any():
        bad = int(np.flatnonzero(partial)[0])
        raise PayloadError(f"snoring_stage[{bad}]", "length differs from sleep_stage's")
    return has_snoring


def _row_sums(mask: np.ndarray) -> np.ndarray:
    """``True`` values per row of a 2-D boolean array, as ``int64`` (summed as bytes, the fast way)."""
    small = mask.shape[1] < 2**16
    return mask.view(np.uint8).sum(axis=1, dtype=np.uint16 if small else np.int64).astype(np.int64)


def check_snoring_shape(snoring: np.ndarray, stages: np.ndarray) -> np.ndarray:
    """``snoring`` as an array, or :class:`PayloadError` when its shape differs from the stages'."""
    N = np.asarray(snoring)
    if N.shape != stages.shape:
        raise PayloadError("snoring_stage", f"shape {N.shape} differs from sleep_stage's {stages.shape}")
    return N
