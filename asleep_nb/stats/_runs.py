"""Runs of equal codes of a (sessions, epochs) array, the stat engine's working unit."""

from __future__ import annotations

import numpy as np

from asleep_nb.definitions import vendor_sleep_period
from asleep_nb.stats._scratch import Scratch, work_array

__all__ = ["Runs", "per_session", "vendor_period"]


class Runs:
    """Runs of equal codes of a (sessions, epochs) array, split at row ends.

    Working on runs (about 80 per real night) instead of epochs keeps every
    later step small; only building them touches every epoch (one comparison
    and one ``flatnonzero`` over the whole array).

    Attributes
    ----------
    first_run, n_runs
        Per session: the index of its first run (the run at its slot 0) and
        its number of runs.
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

    def __init__(self, stages: np.ndarray, scratch: Scratch | None = None) -> None:
        n_s, n_e = stages.shape
        flat = np.ascontiguousarray(stages).reshape(-1)
        change = work_array(scratch, "runs.change", (flat.size,), bool)
        if flat.size:
            change[0] = True
            np.not_equal(flat[1:], flat[:-1], out=change[1:])
            change[::n_e] = True
        starts = np.flatnonzero(change)
        del change
        self.n_sessions, self.n_epochs = n_s, n_e
        # in place where possible: fresh temporaries of this size cost page faults (see _scratch)
        self.length = np.empty_like(starts)
        np.subtract(starts[1:], starts[:-1], out=self.length[:-1])
        self.length[-1:] = flat.size - starts[-1:]
        self.code = flat[starts]
        # each row's first run starts at its slot 0: found by bisection, and rows and columns follow
        # from them without dividing every run's start by the row length
        row_start = np.arange(n_s, dtype=starts.dtype) * n_e
        self.first_run = np.searchsorted(starts, row_start)
        self.n_runs = np.diff(self.first_run, append=starts.size)
        self.row = np.repeat(np.arange(n_s, dtype=starts.dtype), self.n_runs)
        self.col = np.subtract(starts, np.repeat(row_start, self.n_runs), out=starts)

    def counts(self, low: int, high: int) -> np.ndarray:
        """Epochs per (session, code) for codes ``low..high``: ``int64`` (sessions, ``high - low + 1``).

        Examples
        --------
        >>> import numpy as np
        >>> Runs(np.array([[0, 1, 1, 0]], dtype=np.int8)).counts(0, 2).tolist()
        [[2, 2, 0]]
        """
        k = high - low + 1
        key = self.row * k
        key += self.code
        key -= low
        counts = np.zeros(self.n_sessions * k, dtype=np.int64)
        np.add.at(counts, key, self.length)
        return counts.reshape(-1, k)

    def first_epoch(self, matrix: np.ndarray, code: int) -> np.ndarray:
        """First epoch of ``code`` per session, from :meth:`code_matrix`; meaningless where it does not occur.

        Examples
        --------
        >>> import numpy as np
        >>> runs = Runs(np.array([[0, 0, 1, 3], [1, 1, 1, 1]], dtype=np.int8))
        >>> runs.first_epoch(runs.code_matrix(-2), 1).tolist()
        [2, 0]
        """
        if self.row.size == 0:
            return np.zeros(self.n_sessions, dtype=np.intp)
        return self.col[self.first_run + np.argmax(matrix == code, axis=1)]

    def code_matrix(self, fill: int) -> np.ndarray:
        """Each session's run codes in order, padded with ``fill``: (sessions, most runs of a session).

        A rule that marks epochs by their code marks the same runs on this
        matrix, so its first and last marked column are run ranks: run
        ``first_run + rank``.

        Examples
        --------
        >>> import numpy as np
        >>> Runs(np.array([[0, 0, 1, 0], [2, 2, 2, 2]], dtype=np.int8)).code_matrix(-2).tolist()
        [[0, 1, 0], [2, -2, -2]]
        """
        width = int(self.n_runs.max(initial=0))
        out = np.full((self.n_sessions, width), fill, dtype=self.code.dtype)
        out[np.arange(width) < self.n_runs[:, None]] = self.code  # row-major, as the runs
        return out

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
        first_run = self.first_run
        last_run = first_run + self.n_runs - 1
        start = np.where(self.code[first_run] == pad, self.length[first_run], 0)
        end = np.where(self.code[last_run] == pad, self.col[last_run], self.n_epochs) - 1
        return start, end


def per_session(rows: np.ndarray, lengths: np.ndarray, n_s: int) -> tuple[np.ndarray, ...]:
    """Runs, epochs and the longest run's epochs per session, of runs given in session order.

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in per_session(np.array([0, 0, 2]), np.array([3, 5, 1]), 3)]
    [[2, 0, 1], [8, 0, 1], [5, 0, 1]]
    """
    count = np.bincount(rows, minlength=n_s)
    epochs, longest = np.zeros(n_s, dtype=np.int64), np.zeros(n_s, dtype=np.int64)
    if rows.size:
        begin = np.concatenate(([0], np.flatnonzero(rows[1:] != rows[:-1]) + 1))  # each session's first run
        epochs[rows[begin]] = np.add.reduceat(lengths, begin)
        longest[rows[begin]] = np.maximum.reduceat(lengths, begin)
    return count, epochs, longest


def vendor_period(runs: Runs, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Onset epoch, last epoch of the sleep period and "slept", by :func:`vendor_sleep_period`.

    The rule marks epochs by their code, so on the matrix of each session's
    run codes (``matrix``: :meth:`Runs.code_matrix` of ``PAD``, a few times
    smaller than the epochs of a real night) it marks the same runs: the
    onset is the first epoch of the first marked run, the period ends with
    the last epoch of the last one.

    Examples
    --------
    >>> import numpy as np
    >>> runs = Runs(np.array([[0] * 3 + [1] * 4 + [0] * 2 + [2] * 3 + [0] * 5], dtype=np.int8))
    >>> [a.tolist() for a in vendor_period(runs, runs.code_matrix(-2))]
    [[3], [11], [True]]
    """
    period = vendor_sleep_period(matrix)
    slept = period.slept
    if not slept.any():
        return period.onset, period.last, slept
    onset_run = runs.first_run + np.where(slept, period.onset, 0)
    last_run = runs.first_run + np.where(slept, period.last, 0)
    first = np.where(slept, runs.col[onset_run], -1)
    last = np.where(slept, runs.col[last_run] + runs.length[last_run] - 1, -1)
    return first, last, slept
