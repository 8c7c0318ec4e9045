"""A thread pool with bounded in-flight work: what fetching and listing run on.

:func:`run_bounded` runs a task on every item of a sequence with ``workers``
threads, never more than ``window`` items submitted and not yet handled
(default :data:`WINDOW_PER_WORKER` times ``workers``). Each outcome (a result
or the exception the task raised) goes to ``on_done`` as soon as it is
known, in the calling thread, so the caller keeps only what it wants:
memory and bookkeeping grow with the window, not with the number of items,
and waiting costs time in proportion to the window (never the
``concurrent.futures.wait`` over every pending future, which made a run
quadratic).

An exception of a ``fatal`` type (or any ``BaseException`` that is not an
``Exception``, such as ``KeyboardInterrupt``) stops the run: ``stop`` is
set so running tasks can give up early, queued ones are cancelled, the pool
waits for the running ones (each bounded by its own deadline) and the
exception is raised.

Examples
--------
>>> import threading
>>> seen = []
>>> run_bounded(lambda x: x * x, range(10), workers=3, stop=threading.Event(),
...             on_done=lambda i, item, outcome: seen.append((i, outcome)))
>>> sorted(seen)[:3]
[(0, 0), (1, 1), (2, 4)]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

__all__ = ["WINDOW_PER_WORKER", "run_bounded"]

#: Items in flight per worker thread: enough to keep every thread busy, few enough to stay small.
WINDOW_PER_WORKER = 4

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_bounded(
    task: Callable[[Item], Result],
    items: Iterable[Item],
    *,
    workers: int,
    stop: threading.Event,
    on_done: Callable[[int, Item, Result | BaseException], None],
    fatal: tuple[type[BaseException], ...] = (),
    window: int | None = None,
    name: str = "asleep-fetch",
) -> None:
    """Run ``task`` on every item with ``workers`` threads and at most ``window`` items in flight.

    Parameters
    ----------
    task
        Called once per item, in a worker thread.
    items
        The items, consumed lazily in order.
    workers
        Threads (at least 1).
    stop
        Set when the run stops early (tasks may watch it).
    on_done
        ``on_done(index, item, outcome)`` in the calling thread, as each item
        ends; ``outcome`` is the task's result or the ``Exception`` it raised.
    fatal
        Exception types that stop the whole run (then raised here).
    window
        Most items submitted and not yet handled; default
        :data:`WINDOW_PER_WORKER` * ``workers``.
    name
        Prefix of the worker threads' names.

    Raises
    ------
    BaseException
        The first fatal exception of a task, or an interruption of the
        calling thread, after the pool has stopped.
    """
    limit = window if window is not None else WINDOW_PER_WORKER * workers
    if limit < 1:
        raise ValueError(f"window must be at least 1, got {limit}")
    queue = iter(enumerate(items))
    pending: dict[Future[Result], tuple[int, Item]] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        try:
            _fill(pool, task, queue, pending, limit)
            while pending:  # ends: every pass handles at least one of finitely many items
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index, item = pending.pop(future)
                    error = future.exception()
                    if error is not None and (isinstance(error, fatal) or not isinstance(error, Exception)):
                        raise error
                    on_done(index, item, future.result() if error is None else error)
                _fill(pool, task, queue, pending, limit)
        except BaseException:
            stop.set()
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _fill(
    pool: ThreadPoolExecutor,
    task: Callable[[Item], Result],
    queue: Iterator[tuple[int, Item]],
    pending: dict[Future[Result], tuple[int, Item]],
    limit: int,
) -> None:
    """Submit items until ``limit`` are in flight or none is left."""
    while len(pending) < limit:  # ends: at most ``limit`` submissions
        following = next(queue, None)
        if following is None:
            return
        index, item = following
        pending[pool.submit(task, item)] = (index, item)
