"""Sleep cycles of the stat engine: REM clusters, as the contract counts them.

Walking from sleep onset, a REM epoch that comes after more than
:data:`REM_CLUSTER_DISTANCE` consecutive non-REM epochs starts a new cluster;
a cluster counts as a sleep cycle with at least :data:`REM_CLUSTER_MIN_EPOCHS`
REM epochs. The work is done on REM *runs* (a handful per night), for every
session at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from asleep_nb.definitions import SleepStage
from asleep_nb.stats._runs import Runs

__all__ = ["REM_CLUSTER_DISTANCE", "REM_CLUSTER_MIN_EPOCHS", "Clusters", "max_cycles", "rem_clusters"]

#: A REM epoch after more than this many non-REM epochs starts a new cluster.
REM_CLUSTER_DISTANCE: int = 20
#: A REM cluster counts as a sleep cycle with at least this many REM epochs.
REM_CLUSTER_MIN_EPOCHS: int = 20

_REM = int(SleepStage.REM)  # a plain int: comparing int8 codes with an IntEnum member casts them to int64


def max_cycles(n_epochs: int) -> int:
    """Most REM-cluster cycles a night of ``n_epochs`` epochs can hold.

    A counted cluster has at least 20 REM epochs and clusters are more than
    20 epochs apart, so ``c`` cycles need ``41 c - 21`` epochs.

    Examples
    --------
    >>> max_cycles(960)
    23
    """
    span = REM_CLUSTER_MIN_EPOCHS + REM_CLUSTER_DISTANCE + 1
    return max(0, (int(n_epochs) + REM_CLUSTER_DISTANCE + 1) // span)


class Clusters(NamedTuple):
    """The counted REM clusters of every session.

    Attributes
    ----------
    row
        Session of each counted cluster, sessions in order.
    last_epoch
        Last REM epoch of each counted cluster.
    per_session
        Counted clusters per session (``sleep_cycle_count``).
    """

    row: np.ndarray
    last_epoch: np.ndarray
    per_session: np.ndarray


def rem_clusters(runs: Runs) -> Clusters:
    """Group each session's REM runs into clusters and keep those that count.

    Examples
    --------
    >>> import numpy as np
    >>> night = np.array([[3] * 20 + [1] * 21 + [3] * 20 + [1] * 5 + [3] * 2], dtype=np.int8)
    >>> c = rem_clusters(Runs(night))
    >>> c.per_session.tolist(), c.last_epoch.tolist()
    ([2], [19, 67])
    """
    rr = np.flatnonzero(runs.code == _REM)
    rows, rem_start, rem_length = runs.row[rr], runs.col[rr], runs.length[rr]
    rem_end = rem_start + rem_length - 1
    new = np.ones(rr.size, dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]) | (rem_start[1:] - rem_end[:-1] - 1 > REM_CLUSTER_DISTANCE)
    begin = np.flatnonzero(new)  # first REM run of each cluster
    if not rr.size:
        return Clusters(rows, rem_end, np.zeros(runs.n_sessions, dtype=np.int64))
    counted = np.add.reduceat(rem_length, begin) >= REM_CLUSTER_MIN_EPOCHS
    row = rows[begin][counted]
    last_run = np.append(begin[1:], rr.size) - 1
    return Clusters(row, rem_end[last_run][counted], np.bincount(row, minlength=runs.n_sessions))
