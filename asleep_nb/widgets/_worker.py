"""Run an explorer's redraws off the kernel's message loop, newest request only.

A widget observer runs on the kernel's shell thread: while it works, every
later click waits in the queue and is then worked through, one stale view
after another. :class:`LatestOnly` instead hands each request to one worker
thread and returns at once, so the next click is read immediately; a request
that arrives while another waits replaces it, and a job still running sees
through its ``stale()`` callable that it has been superseded and stops
without touching the widgets. With ``background=False`` (scripts, tests) a
job runs inline, before :meth:`LatestOnly.submit` returns.

Examples
--------
>>> runs = []
>>> worker = LatestOnly(background=True)
>>> worker.submit(lambda stale: runs.append("a"))
>>> worker.wait(5.0)
True
>>> runs
['a']
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Job", "LatestOnly", "in_kernel"]

#: A job receives ``stale()``: true once a newer job has been submitted.
Job = Callable[[Callable[[], bool]], None]


def in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel (where widgets talk to a page).

    Examples
    --------
    >>> in_kernel()
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LatestOnly:
    """One worker thread, one waiting job: a newer job replaces the waiting one.

    Parameters
    ----------
    background
        Run jobs on the worker thread (``True``) or inline (``False``).
    """

    def __init__(self, background: bool) -> None:
        self.background = background
        self._lock = threading.Condition()
        self._generation = 0
        self._pending: tuple[int, Job] | None = None
        self._running = False

    @property
    def lock(self) -> threading.Condition:
        """Held while a job publishes its results, so a newer job's "working" status is not overwritten."""
        return self._lock

    def stale_since(self, generation: int) -> Callable[[], bool]:
        """A callable that turns true once a job newer than ``generation`` is submitted."""
        return lambda: self._generation != generation

    def submit(self, job: Job) -> None:
        """Run ``job`` (newest wins); inline when not in the background."""
        with self._lock:
            self._generation += 1
            generation = self._generation
            if self.background:
                self._pending = (generation, job)
                if not self._running:
                    self._running = True
                    threading.Thread(target=self._drain, name="asleep-explorer", daemon=True).start()
                return
        job(self.stale_since(generation))

    def _drain(self) -> None:
        while True:
            with self._lock:
                if self._pending is None:
                    self._running = False
                    self._lock.notify_all()
                    return
                generation, job = self._pending
                self._pending = None
            try:
                job(self.stale_since(generation))
            except Exception:  # a job reports its own failures; never kill the worker
                pass

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until no job runs or waits (at most ``timeout`` seconds); whether it is idle."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._running and self._pending is None, timeout)
