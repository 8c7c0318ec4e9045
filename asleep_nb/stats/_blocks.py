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

import itertools
from typing import NamedTuple

import numpy as np

__all__ = ["BLOCK_SLOTS", "GROWTH", "WASTE", "Block", "plan_blocks", "row_extents"]

#: Epoch slots per block, for the stat engine and the research metrics alike: a block's 1 MB masks
#: are reused from the heap; 4 MB ones (2**22) cost ~10,000 page faults a call (numpy advises huge
#: pages for them, the heap gives them back after each call), and smaller blocks pay their fixed
#: cost (about 0.2 ms of numpy calls each) more often.
BLOCK_SLOTS = 2**20

#: Rows whose ends differ by less than this factor are of one class (they waste little as one block).
GROWTH = 1.25
#: Most columns a block may hold per slot its rows use, once it is past a small size.
WASTE = 1.3


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
        words = matrix[:, : 8 * n_words].view(np.uint64)
        step = max(1, _CHUNK_WORDS // n_words)  # rows at a time: small masks, reused from the heap
        busy = np.empty((min(step, n_rows), n_words), dtype=bool)
        for a in range(0, n_rows, step):
            part = np.not_equal(words[a : a + step], word, out=busy[: min(step, n_rows - a)])
            start[a : a + step] = 8 * part.argmax(axis=1)
            stop[a : a + step] = 8 * (_last_true(part) + 1)
    if n_cols > 8 * n_words:
        tail = (matrix[:, 8 * n_words :] != fill).any(axis=1)
        start[tail & (stop == 0)] = 8 * n_words
        stop[tail] = n_cols
    return start, stop


#: Words of eight columns :func:`row_extents` compares at a time (a 256 kB mask; a whole-matrix one
#: of megabytes costs page faults on every call).
_CHUNK_WORDS = 2**18
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
    """Group rows of like extent into blocks of at most about ``slots`` recorded slots each.

    Rows are taken in order of where they end, in classes of ends within a
    factor of :data:`GROWTH`; consecutive classes share a block while the
    block's columns (least ``start`` to greatest ``stop``) hold at most
    :data:`WASTE` times its rows' own slots, or while it is small (an eighth of
    ``slots``: a block has a fixed cost). So a block of short nights is
    narrow, whatever the longest night of the cohort. Each block's rows are
    in ascending order.

    Examples
    --------
    >>> import numpy as np
    >>> blocks = plan_blocks(np.array([0, 0, 0, 0]), np.array([10, 3000, 12, 11]), 80)
    >>> [(b.rows.tolist(), b.lo, b.hi) for b in blocks]
    [([0, 2, 3], 0, 12), ([1], 0, 3000)]
    """
    order = np.argsort(stop, kind="stable")
    first, last = start[order], stop[order]
    recorded = np.concatenate(([0], np.cumsum(last - first)))
    ends = np.floor(np.log(np.maximum(last, 1)) / np.log(GROWTH))
    bounds = [0, *(np.flatnonzero(np.diff(ends)) + 1).tolist(), len(order)]
    ranges, lo = [], 0
    for a, b in itertools.pairwise(bounds):  # one pass over the classes (a few dozen)
        if a > lo and recorded[a] - recorded[lo] >= slots // 8:
            area = (b - lo) * (last[b - 1] - first[lo:b].min())
            if area > WASTE * (recorded[b] - recorded[lo]) or recorded[b] - recorded[lo] > slots:
                ranges.append((lo, a))
                lo = a
    ranges.append((lo, len(order)))
    blocks = []
    for lo, hi in ranges:  # a range of more than ``slots`` slots in parts of about ``slots``
        part = (recorded[lo + 1 : hi + 1] - recorded[lo] - 1) // max(slots, 1)
        for rows in np.split(order[lo:hi], np.flatnonzero(np.diff(part)) + 1):
            if rows.size:
                # in matrix order: copying a block's rows then reads the matrix forwards (twice as fast
                # as in order of their ends, which jumps about it)
                rows = np.sort(rows)
                blocks.append(Block(rows, int(start[rows].min()), int(stop[rows].max())))
    return blocks
