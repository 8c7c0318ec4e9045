"""Runs of equal codes of a (sessions, epochs) array, the stat engine's working unit."""

from __future__ import annotations

import numpy as np

__all__ = ["Runs"]


class Runs:
    """Runs of equal codes of a (sessions, epochs) array, split at row ends.

    Working on runs (about 80 per real night) instead of epochs keeps every
    later step small; only building them touches every epoch (one comparison
    and one ``flatnonzero`` over the whole array).

    Attributes
    ----------
    length, code, row, col
        Per run: its number of epochs, its code (the array's dtype), its
        session (row) and its first epoch (column); runs are in row-major
        order, so each row's runs are contiguous and in epoch order.

    Examples
    --------
    >>> import numpy as np
    >>> runs = Runs(np.array([[0, 0, 1], [2, 2, 2]], dtype=np.int8))
    >>> runs.code.tolist(), runs.length.tolist(), runs.row.tolist(), runs.col.tolist()
    ([0, 1, 2], [2, 1, 3], [0, 0, 1], [0, 2, 0])
    """

    def __init__(self, stages: np.ndarray) -> None:
        n_s, n_e = stages.shape
        flat = np.ascontiguousarray(stages).reshape(-1)
        change = np.empty(flat.size, dtype=bool)
        if flat.size:
            change[0] = True
            np.not_equal(flat[1:], flat[:-1], out=change[1:])
            change[::n_e] = True
        starts = np.flatnonzero(change)
        del change
        self.n_sessions, self.n_epochs = n_s, n_e
        # in place where possible: fresh temporaries of this size cost page faults
        self.length = np.empty_like(starts)
        np.subtract(starts[1:], starts[:-1], out=self.length[:-1])
        self.length[-1:] = flat.size - starts[-1:]
        self.code = flat[starts]
        self.row = starts // max(n_e, 1)
        self.col = np.subtract(starts, self.row * n_e, out=starts)

    def tables(self, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
        """Per (session, code) for codes ``low..high``: epochs, and first epoch.

        Each is an ``int64`` array (sessions, ``high - low + 1``); the first
        epoch is the number of epoch slots where the code does not occur.

        Examples
        --------
        >>> import numpy as np
        >>> counts, first = Runs(np.array([[0, 1, 1, 0]], dtype=np.int8)).tables(0, 2)
        >>> counts.tolist(), first.tolist()
        ([[2, 2, 0]], [[0, 1, 4]])
        """
        k = high - low + 1
        key = self.row * k
        key += self.code
        key -= low
        size = self.n_sessions * k
        counts = np.zeros(size, dtype=np.int64)
        np.add.at(counts, key, self.length)
        first = np.full(size, self.n_epochs, dtype=np.int64)
        np.minimum.at(first, key, self.col)
        return counts.reshape(-1, k), first.reshape(-1, k)

    def span(self, pad: int) -> tuple[np.ndarray, np.ndarray]:
        """Per session: the slot after its leading run of ``pad`` and the slot before its trailing one.

        For a session whose ``pad`` slots are only at its edges these are its
        first and last epoch; a session of only ``pad`` gets
        ``(n_epochs, -1)``. Compare ``end - start + 1`` with the count of
        other codes to find sessions with ``pad`` inside.

        Examples
        --------
        >>> import numpy as np
        >>> start, end = Runs(np.array([[-2, 0, 1, -2], [0, 0, 0, 0], [-2] * 4], dtype=np.int8)).span(-2)
        >>> start.tolist(), end.tolist()
        ([1, 0, 4], [2, 3, -1])
        """
        if self.row.size == 0:  # no sessions, or sessions of no slot
            return np.full(self.n_sessions, self.n_epochs), np.full(self.n_sessions, -1)
        first_run = np.searchsorted(self.row, np.arange(self.n_sessions))
        last_run = np.append(first_run[1:], self.row.size) - 1
        start = np.where(self.code[first_run] == pad, self.length[first_run], 0)
        end = np.where(self.code[last_run] == pad, self.col[last_run], self.n_epochs) - 1
        return start, end
