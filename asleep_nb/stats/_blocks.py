"""Blocks of sessions of like extent: the stat engine's cost follows the epochs recorded, not the padding.

A cohort is a (session, epoch) matrix padded with ``PAD`` up to its longest
session, so one night of 25 hours among a thousand of 8 makes the matrix three
times the epochs recorded. :func:`row_extents` finds where each session's
slots lie with one comparison per eight slots (the padding read as 64-bit
words), and :func:`plan_blocks` groups the sessions, in order of where they
end, into blocks whose columns span only their own sessions' slots: the engine
then runs block by block, and a long night costs its own epochs, not those
epochs times the number of sessions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Block", "plan_blocks", "row_extents"]


class Block(NamedTuple):
    """Sessions computed together: their rows, and the columns ``lo:hi`` that hold all their slots."""

    rows: np.ndarray
    lo: int
    hi: int


def row_extents(matrix: np.ndarray, fill: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, a column range ``start:stop`` outside which every value is ``fill``.

    The range is found by words of eight columns, so it may hold up to seven
    ``fill`` columns at either edge; a row of only ``fill`` gets ``0:0``.

    Parameters
    ----------
    matrix
        A C-contiguous ``int8`` array (rows, columns).
    fill
        The padding value.

    Returns
    -------
    tuple of numpy.ndarray
        ``start`` and ``stop`` (``int64``) per row.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.full((3, 20), -2, dtype=np.int8)
    >>> m[0, 3:5], m[1, 9:20] = 1, 0
    >>> [a.tolist() for a in row_extents(m, -2)]
    [[0, 8, 0], [8, 20, 0]]
    """
    n_rows, n_cols = matrix.shape
    n_words = n_cols // 8
    start = np.zeros(n_rows, dtype=np.int64)
    stop = np.zeros(n_rows, dtype=np.int64)
    if n_words:
        word = np.full(8, fill, dtype=np.int8).view(np.uint64)[0]
        busy = matrix[:, : 8 * n_words].view(np.uint64) != word
        start = 8 * busy.argmax(axis=1)
        stop = 8 * (_last_true(busy) + 1)
    if n_cols > 8 * n_words:
        tail = (matrix[:, 8 * n_words :] != fill).any(axis=1)
        start[tail & (stop == 0)] = 8 * n_words
        stop[tail] = n_cols
    return start, stop


#: Position (0 = most significant) of the lowest set bit of each byte value, as ``np.packbits`` orders bits.
_LAST_BIT = np.array([7 - ((b & -b).bit_length() - 1) if b else 0 for b in range(256)], dtype=np.int64)


def _last_true(mask: np.ndarray) -> np.ndarray:
    """Column of the last ``True`` of each row (-1 for none), by the packed bits read from the end."""
    packed = np.packbits(mask, axis=1)
    backwards = np.ascontiguousarray(packed[:, ::-1])  # reversed rows are 8 times smaller packed
    from_end = (backwards != 0).argmax(axis=1)
    byte = np.take_along_axis(backwards, from_end[:, None], axis=1)[:, 0]
    last = 8 * (packed.shape[1] - 1 - from_end) + _LAST_BIT[byte]
    return np.where(byte != 0, last, -1)


def plan_blocks(start: np.ndarray, stop: np.ndarray, slots: int) -> list[Block]:
    """Group rows in order of where they end into blocks of about ``slots`` recorded slots each.

    Each block's columns run from the least ``start`` to the greatest
    ``stop`` of its rows, so a block of short nights is narrow whatever the
    longest night of the cohort. Rows without slots go in the first block.

    Examples
    --------
    >>> import numpy as np
    >>> blocks = plan_blocks(np.array([0, 0, 0, 0]), np.array([10, 3000, 12, 11]), 40)
    >>> [(b.rows.tolist(), b.lo, b.hi) for b in blocks]
    [([0, 3, 2], 0, 12), ([1], 0, 3000)]
    """
    order = np.argsort(stop, kind="stable")
    width = stop[order] - start[order]
    # a new block wherever the running sum of widths passes another multiple of ``slots``
    block_of = np.cumsum(width) // max(slots, 1)
    cuts = np.flatnonzero(np.diff(block_of)) + 1
    blocks = []
    for rows in np.split(order, cuts):
        if rows.size:
            blocks.append(Block(rows, int(start[rows].min()), int(stop[rows].max())))
    return blocks
