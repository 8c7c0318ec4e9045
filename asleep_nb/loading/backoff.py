"""A pause shared by all fetching threads after a rate limit.

Examples
--------
>>> from asleep_nb.loading.backoff import BackoffGate
>>> gate = BackoffGate(base=0.5, maximum=1.0)
>>> gate.trip(), gate.trip(), gate.trip()  # doubling, capped
(0.5, 1.0, 1.0)
"""

from __future__ import annotations

import threading
import time

__all__ = ["BackoffGate", "MAX_PAUSE"]

#: Longest shared pause after a rate limit, in seconds.
MAX_PAUSE = 60.0


class BackoffGate:
    """A pause shared by all fetching threads after a rate limit.

    :meth:`trip` closes the gate for ``base * 2 ** (k - 1)`` seconds (``k``
    consecutive trips without a success in between, at most ``maximum``);
    :meth:`wait` blocks until it is open; :meth:`success` resets ``k``.

    Parameters
    ----------
    base
        The first pause, in seconds.
    maximum
        The longest pause.

    Examples
    --------
    >>> gate = BackoffGate(base=0.01)
    >>> gate.trip()
    0.01
    >>> gate.wait(); gate.trips
    1
    """

    def __init__(self, base: float = 1.0, maximum: float = MAX_PAUSE) -> None:
        if not base >= 0 or not maximum >= 0:
            raise ValueError(f"pauses must be non-negative, got base={base!r}, maximum={maximum!r}")
        self.base = float(base)
        self.maximum = float(maximum)
        self.trips = 0
        self._streak = 0
        self._open_at = 0.0
        self._cond = threading.Condition()

    def trip(self) -> float:
        """Close the gate after a rate limit; return the pause chosen, in seconds."""
        with self._cond:
            self.trips += 1
            self._streak += 1
            pause = min(self.base * 2 ** (self._streak - 1), self.maximum)
            self._open_at = max(self._open_at, time.monotonic() + pause)
            return pause

    def success(self) -> None:
        """A request went through: the next trip starts again from ``base``."""
        with self._cond:
            self._streak = 0

    def wait(self, stop: threading.Event | None = None) -> None:
        """Block while the gate is closed (or until ``stop`` is set)."""
        with self._cond:
            while (remaining := self._open_at - time.monotonic()) > 0:
                if stop is not None and stop.is_set():
                    return
                self._cond.wait(min(remaining, 0.25))
