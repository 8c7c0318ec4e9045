"""Work memory the stat engine reuses from block to block within one call.

A block's temporaries (masks and codes of a million epoch slots) are freshly
allocated memory if made with ``np.empty``, and whether the C allocator hands
back memory it has already touched depends on the state of the whole
process's heap: in a process that also holds many small Python objects (a
notebook, a benchmark beside a pysleep loop), every fresh megabyte costs 256
page faults. Taking them from a :class:`Scratch` made once per call touches
each megabyte once per call instead of once per block.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["Scratch", "work_array"]


class Scratch:
    """Named byte buffers, grown on demand, lent out as arrays of any shape and dtype.

    An array lent under a name is valid until the next request for that
    name; callers use each name for one temporary at a time.

    Examples
    --------
    >>> scratch = Scratch()
    >>> a = scratch.array("mask", (2, 3), bool)
    >>> b = scratch.array("mask", (3, 2), bool)  # the same memory, lent again
    >>> np.shares_memory(a, b), b.shape
    (True, (3, 2))
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
        """An uninitialised C-ordered array of ``shape`` and ``dtype`` in the buffer ``name``."""
        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < nbytes:
            # in 8-byte words: an ``int64`` or ``uint64`` view of any part is aligned
            buffer = self._buffers[name] = np.empty(-(-max(nbytes, 8) // 8), dtype=np.uint64).view(np.uint8)
        return buffer[:nbytes].view(dtype).reshape(shape)


def work_array(scratch: Scratch | None, name: str, shape: tuple[int, ...], dtype: DTypeLike) -> np.ndarray:
    """``scratch.array(name, shape, dtype)``, or a fresh ``np.empty`` when there is no scratch."""
    if scratch is None:
        return np.empty(shape, dtype=dtype)
    return scratch.array(name, shape, dtype)
