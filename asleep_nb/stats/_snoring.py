"""Snoring of the stat engine: snoring epochs and runs of them inside the sleep period.

Each epoch's snoring and stage codes are read as one ``int8`` code,
``8 * snoring + stage`` (:data:`_PAIR`): every pair of valid codes has its own
value, and each question the engine asks of a pair is a comparison of that
code with a constant. So the block is read a few times, with comparisons that
numpy vectorises, and no index of an epoch is ever made: the cost is that of
the block, however often snoring starts and stops.
"""

from __future__ import annotations

import numpy as np

from asleep_nb.definitions import PAD, SleepStage, SnoringStage
from asleep_nb.errors import PayloadError
from asleep_nb.stats._checks import unknown_code
from asleep_nb.stats._scratch import Scratch, work_array

__all__ = ["check_snoring_shape", "snoring_in_period"]

#: A snoring and a stage code as one: ``_PAIR * snoring + stage``; stages span -2..3, fewer than 8 codes.
_PAIR = 8
# plain ints: comparing int8 codes with an IntEnum member casts them to int64 (10x slower)
_ERROR, _WAKE, _LIGHT, _REM = (
    int(s) for s in (SleepStage.ERROR, SleepStage.WAKE, SleepStage.LIGHT, SleepStage.REM)
)
_SNORING = int(SnoringStage.SNORING)
#: Pair codes of snoring: asleep (light, deep or REM) from ``_ASLEEP`` up; awake, ``_AWAKE``.
_ASLEEP, _AWAKE = _PAIR * _SNORING + _LIGHT, _PAIR * _SNORING + _WAKE
#: An epoch with a stage but no snoring code (``PAD``): pair codes ``_MISSING .. _MISSING + _MISSING_SPAN``.
_MISSING, _MISSING_SPAN = _PAIR * PAD + _ERROR, _REM - _ERROR


def snoring_in_period(
    stages: np.ndarray,
    snoring: np.ndarray,
    period: tuple[np.ndarray, np.ndarray],
    epochs: np.ndarray,
    scratch: Scratch | None = None,
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
    epochs
        Each session's epochs (slots that are not ``PAD``).
    scratch
        Work memory for the three block-sized temporaries; fresh arrays if ``None``.

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
    >>> period = (np.array([1]), np.array([4]))
    >>> [a.tolist() for a in snoring_in_period(stages, snoring, period, np.array([6]))]
    [[True], [3], [2]]
    """
    stages = np.ascontiguousarray(stages)
    N = check_snoring_shape(snoring, stages)
    # the slow exact check only when a code is off, or the codes are not integers (xarray makes floats)
    if not np.issubdtype(N.dtype, np.integer) or (N.size and (N.min() < PAD or N.max() > _SNORING)):
        N = _contract_codes(N, stages)
    code = work_array(scratch, "snoring.code", stages.shape, np.int8)  # C order: flat views below are views
    np.multiply(N, _PAIR, out=code)
    code += stages
    mask = work_array(scratch, "snoring.mask", stages.shape, bool)
    starts = work_array(scratch, "snoring.starts", stages.shape, bool)
    # ``starts`` holds nothing yet: it lends its bytes to the missing-code check first
    has_snoring = _has_snoring(code, mask, starts.view(np.uint8), np.asarray(epochs))
    if np.equal(code, _AWAKE, out=mask).any():
        # snoring while awake counts inside the sleep period only, so mark the period
        first, last = period
        col = np.arange(stages.shape[1], dtype=np.int32)
        snore = np.greater_equal(code, _AWAKE, out=mask)  # snoring in any stage but -1 (and PAD)
        snore &= np.greater_equal(col, first.astype(np.int32)[:, None])
        snore &= np.less_equal(col, last.astype(np.int32)[:, None])
    else:  # snoring only in sleep epochs (1-3), which all lie inside the period
        snore = np.greater_equal(code, _ASLEEP, out=mask)
    # a run starts at a snoring epoch whose epoch before does not snore (none does before the period)
    flat = snore.reshape(-1)
    if flat.size:
        np.greater(flat[1:], flat[:-1], out=starts.reshape(-1)[1:])
        starts[:, 0] = snore[:, 0]
    return has_snoring, _row_sums(snore), _row_sums(starts)


def _contract_codes(snoring: np.ndarray, stages: np.ndarray) -> np.ndarray:
    """Snoring as ``int8`` codes; :class:`PayloadError` on a code off the contract in a session's epoch.

    A value outside a session's epochs is ignored (it becomes ``PAD``); in an
    epoch, a value that is not one of the codes (a fraction, ``NaN``) is refused.
    """
    outside = stages == PAD
    scored = np.where(outside | (snoring == PAD), 0, snoring)
    off = (scored < -1) | (scored > _SNORING)
    if not np.issubdtype(scored.dtype, np.integer):
        off |= scored != np.round(scored)  # NaN differs from itself: refused too
    if off.any():
        r, c = np.argwhere(off)[0]
        raise unknown_code("snoring_stage", (r, c), scored[r, c], PAD, _SNORING)
    return np.where(outside, PAD, snoring).astype(np.int8)


def _has_snoring(code: np.ndarray, mask: np.ndarray, shifted: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """Sessions whose epochs have snoring codes; :class:`PayloadError` where only some have.

    ``mask`` (``bool``) and ``shifted`` (``uint8``) are work arrays of ``code``'s shape.
    """
    # pair codes _MISSING.._MISSING + _MISSING_SPAN, by one unsigned comparison of the shifted codes
    np.subtract(code, _MISSING, out=shifted.view(np.int8))
    missing = np.less_equal(shifted, _MISSING_SPAN, out=mask)
    if not missing.any():  # the common case: every epoch has a code
        return epochs > 0
    n_missing = _row_sums(missing)
    partial = (n_missing > 0) & (n_missing < epochs)
    if partial.any():
        bad = int(np.flatnonzero(partial)[0])
        raise PayloadError(f"snoring_stage[{bad}]", "length differs from sleep_stage's")
    return (epochs > 0) & (n_missing == 0)


def _row_sums(mask: np.ndarray) -> np.ndarray:
    """``True`` values per row of a C-ordered 2-D boolean array, as ``int64``.

    Eight booleans are one 64-bit word whose set bits count the ``True``
    ones (``np.bitwise_count``, numpy 2), where rows are whole words; else
    the booleans are summed as bytes.
    """
    width = mask.shape[1]
    dtype = np.uint16 if width < 2**16 else np.int64
    if _bitwise_count is not None and width % 8 == 0 and width and mask.flags.c_contiguous:
        return _bitwise_count(mask.view(np.uint64)).sum(axis=1, dtype=dtype).astype(np.int64)
    return mask.view(np.uint8).sum(axis=1, dtype=dtype).astype(np.int64)


_bitwise_count = getattr(np, "bitwise_count", None)  # numpy >= 2.0


def check_snoring_shape(snoring: np.ndarray, stages: np.ndarray) -> np.ndarray:
    """``snoring`` as an array, or :class:`PayloadError` when its shape differs from the stages'."""
    N = np.asarray(snoring)
    if N.shape != stages.shape:
        raise PayloadError("snoring_stage", f"shape {N.shape} differs from sleep_stage's {stages.shape}")
    return N
