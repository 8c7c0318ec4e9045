"""Snoring of the stat engine: snoring epochs and runs of them inside the sleep period.

Epoch-level work over the (sessions, epochs) arrays in a few flat passes,
whose cost does not depend on how often snoring starts and stops: masks over
the flat arrays, then sums over one segment of each session (its epochs, its
sleep period) with a single ``np.add.reduceat``.
"""

from __future__ import annotations

import numpy as np

from asleep_nb.definitions import PAD, SleepStage, SnoringStage
from asleep_nb.errors import PayloadError
from asleep_nb.stats._checks import check_codes

__all__ = ["check_snoring_shape", "snoring_in_period", "segment_sums"]

# plain ints: comparing int8 codes with an IntEnum member casts them to int64 (10x slower)
_ERROR, _SNORING = int(SleepStage.ERROR), int(SnoringStage.SNORING)


def snoring_in_period(
    stages: np.ndarray,
    snoring: np.ndarray,
    span: tuple[np.ndarray, np.ndarray],
    period: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which sessions have snoring data; snoring epochs and runs of them inside the sleep period.

    Parameters
    ----------
    stages
        ``int8`` sleep stages (sessions, epochs), padded with ``PAD``; each
        session's epochs are contiguous.
    snoring
        Snoring codes of the same shape; a session whose slots are all ``PAD``
        has no snoring data.
    span
        Each session's first and last epoch slot (``start > end`` for none).
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
    >>> span, period = (np.array([0]), np.array([5])), (np.array([1]), np.array([4]))
    >>> [a.tolist() for a in snoring_in_period(stages, snoring, span, period)]
    [[True], [3], [2]]
    """
    stages = np.ascontiguousarray(stages)
    N = np.ascontiguousarray(check_snoring_shape(snoring, stages))  # C order: flat views below
    if N.size and (N.min() < PAD or N.max() > 1):  # the slow exact check only when a code is off
        check_codes(np.where((stages != PAD) & (N != PAD), N, 0), -1, 1, "snoring_stage")
    n_e = stages.shape[1]
    offset = np.arange(stages.shape[0]) * n_e
    start, end = span
    mask = np.not_equal(N, PAD)  # reused below: fresh temporaries of this size cost page faults
    n_inside = segment_sums(mask.reshape(-1), offset + start, offset + np.maximum(end + 1, start))
    has_snoring = n_inside > 0
    partial = has_snoring & (n_inside != np.maximum(end - start + 1, 0))
    if partial.any():
        bad = int(np.flatnonzero(partial)[0])
        raise PayloadError(f"snoring_stage[{bad}]", "length differs from sleep_stage's")
    snore = np.equal(N, _SNORING, out=mask).reshape(-1)
    scratch = np.not_equal(stages, _ERROR).reshape(-1)
    snore &= scratch
    first, last = period
    slept = first >= 0
    lo, hi = (offset + first)[slept], (offset + last)[slept]
    epochs = np.zeros(len(first), dtype=np.int64)
    epochs[slept] = segment_sums(snore, lo, hi + 1)
    # runs: changes between consecutive epochs of the period, plus a run open at either end, halved
    changes = segment_sums(np.not_equal(snore[1:], snore[:-1], out=scratch[:-1]), lo, hi)
    runs = np.zeros(len(first), dtype=np.int64)
    runs[slept] = (changes + snore[lo] + snore[hi]) // 2
    return has_snoring, epochs, runs


def check_snoring_shape(snoring: np.ndarray, stages: np.ndarray) -> np.ndarray:
    """``snoring`` as an array, or :class:`PayloadError` when its shape differs from the stages'."""
    N = np.asarray(snoring)
    if N.shape != stages.shape:
        raise PayloadError("snoring_stage", f"shape {N.shape} differs from sleep_stage's {stages.shape}")
    return N


def segment_sums(mask: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """True values of a flat boolean array in each segment ``lo[i]:hi[i]``, in one pass.

    The segments must be in order and not overlap (``lo[i] <= hi[i] <= lo[i + 1]``)
    (sums are accumulated as ``uint16``, the fast way, when every segment is
    shorter than 65,536).

    Examples
    --------
    >>> import numpy as np
    >>> mask = np.array([1, 1, 0, 1, 1, 1, 0, 1], dtype=bool)
    >>> segment_sums(mask, np.array([0, 2, 3, 7]), np.array([2, 2, 6, 8])).tolist()
    [2, 0, 3, 1]
    """
    out = np.zeros(len(lo), dtype=np.int64)
    kept = hi > lo
    bounds = np.stack([lo[kept], hi[kept]], axis=1).reshape(-1)
    if not bounds.size:
        return out
    # reduceat sums values[b[i]:b[i + 1]] (the last to the end), and needs every index < len(values)
    at_end = bounds[-1] == mask.size
    small = int((hi - lo).max()) < 2**16
    sums = np.add.reduceat(
        mask.view(np.uint8), bounds[:-1] if at_end else bounds, dtype=np.uint16 if small else np.int64
    )
    out[kept] = sums[::2]
    return out
