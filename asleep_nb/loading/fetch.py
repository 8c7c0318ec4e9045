"""Fetching many sessions: a bounded thread pool, a shared rate-limit backoff, progress, resume.

:func:`fetch_sessions` gets a list of sessions with ``workers`` threads
sharing one :class:`~asleep_nb.api.client.Client` (its connection pool is
thread-safe). With an archive (``archive=`` or the client's own), sessions
already archived as ``COMPLETE`` are read from it without any request, and
every session fetched is written to it as soon as it arrives, so an
interrupted run resumes where it stopped.

Rate limits: the client first retries a ``403 Rate limit exceeded`` / 429
by itself. When one still surfaces as :class:`~asleep_nb.errors.RateLimited`,
a :class:`BackoffGate` shared by all workers closes: every worker waits
before its next request (``rate_limit_pause`` seconds, doubling while the
limit persists, at most :data:`MAX_PAUSE`), then the session is retried,
up to ``rate_limit_retries`` times.

Failures never stop the run: every other session is still fetched, and
the result lists ``failed`` ``(request, exception)`` pairs.

Examples
--------
>>> from asleep_nb.loading.fetch import fetch_sessions
>>> from asleep_nb.data.manifest import SessionRequest
>>> todo = [SessionRequest("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ", "UTC", "all")]
>>> fetched = fetch_sessions(client, todo, workers=8, archive="study")  # doctest: +SKIP
>>> len(fetched.results), fetched.failed  # doctest: +SKIP
(1, [])
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol, TypedDict

from asleep_nb.api.protocols import FetchClient
from asleep_nb.api.records import SessionResult
from asleep_nb.errors import AsleepError, RateLimited
from asleep_nb.loading.archive import Archive, as_archive
from asleep_nb.loading.backoff import MAX_PAUSE, BackoffGate
from asleep_nb.loading.fetch_result import FetchResult, FetchWarning, Request

__all__ = [
    "BackoffGate",
    "FetchResult",
    "FetchWarning",
    "Request",
    "fetch_sessions",
    "DEFAULT_WORKERS",
    "FETCH_OPTIONS",
    "FetchOptions",
    "MAX_PAUSE",
]

logger = logging.getLogger("asleep_nb.loading.fetch")

#: Default number of fetching threads.
DEFAULT_WORKERS = 4


class FetchOptions(TypedDict, total=False):
    """Keyword options of :func:`fetch_sessions` that ``load_cohort`` passes through."""

    workers: int
    archive: Archive | str | os.PathLike[str] | None
    progress: bool
    rate_limit_pause: float
    rate_limit_retries: int


#: The names of :class:`FetchOptions`.
FETCH_OPTIONS: frozenset[str] = frozenset(FetchOptions.__annotations__)

#: One session's outcome: ``(record, read from the archive)``, the error that stopped it, or not yet run.
_Outcome = tuple[SessionResult, bool] | BaseException | None


def fetch_sessions(
    client: FetchClient,
    requests: Sequence[object],
    *,
    workers: int = DEFAULT_WORKERS,
    archive: Archive | str | os.PathLike[str] | None = None,
    progress: bool = True,
    rate_limit_pause: float = 1.0,
    rate_limit_retries: int = 5,
) -> FetchResult:
    """Fetch many sessions with a bounded thread pool; keep what succeeds.

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client`.
    requests
        :class:`~asleep_nb.data.manifest.SessionRequest` objects, or tuples
        ``(session_id, user_id[, timezone[, group]])`` or mappings (see
        :class:`Request`).
    workers
        Threads fetching at once (at least 1).
    archive
        An :class:`~asleep_nb.loading.archive.Archive` or folder path; default the
        client's ``archive`` if it has one. ``COMPLETE`` sessions found
        there (and verifying) are not fetched; every fetched session is
        written there as it arrives.
    progress
        Show a ``tqdm.auto`` bar (a widget in Jupyter, text on stderr in a
        terminal).
    rate_limit_pause, rate_limit_retries
        First shared pause (seconds) after a :class:`~asleep_nb.errors.RateLimited`
        and how many times one session is retried after one.

    Returns
    -------
    FetchResult
        ``results`` in input order, ``failed`` ``(request, exception)``
        pairs, counts. Only :class:`~asleep_nb.errors.AsleepError` counts as
        a failure; any other exception (a bug) stops the run and is raised.

    Examples
    --------
    >>> fetched = fetch_sessions(client, [("20250115025029_fvivn",
    ...     "G-20250115025029-vLErWBfQNtnfvgDccFOQ")], progress=False)  # doctest: +SKIP
    >>> print(fetched.summary())  # doctest: +SKIP
    fetched 1, from archive 0, failed 0
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(rate_limit_retries, int) or rate_limit_retries < 0:
        raise ValueError(f"rate_limit_retries must be a non-negative integer, got {rate_limit_retries!r}")
    todo = [Request.of(item) for item in requests]
    store: Archive | None = as_archive(archive) if archive is not None else getattr(client, "archive", None)
    worker = _Worker(client, store, BackoffGate(rate_limit_pause), threading.Event(), rate_limit_retries)
    outcomes = _run(todo, worker, workers, _progress_bar(len(todo), progress))
    return _collect(todo, outcomes, worker.gate.trips)


@dataclass
class _Worker:
    """Fetches one session, pausing with every other worker after a rate limit."""

    client: FetchClient
    store: Archive | None
    gate: BackoffGate
    stop: threading.Event
    rate_limit_retries: int

    def __call__(self, request: Request) -> tuple[SessionResult, bool]:
        attempt = 0
        while True:
            self.gate.wait(self.stop)
            if self.stop.is_set():
                raise _Cancelled
            try:
                got = self._get(request)
            except RateLimited:
                if attempt >= self.rate_limit_retries:
                    raise
                attempt += 1
                pause = self.gate.trip()
                logger.info("rate limited on %s; all workers pause %.2f s", request.session_id, pause)
                continue
            self.gate.success()
            return got

    def _get(self, request: Request) -> tuple[SessionResult, bool]:
        session_id, user_id, zone = request.session_id, request.user_id, request.timezone
        if self.store is not None:
            return self.store.fetch_status(self.client, session_id, user_id=user_id, timezone=zone)
        return self.client.get_session(session_id, user_id=user_id, timezone=zone), False


def _run(todo: list[Request], worker: _Worker, workers: int, bar: _ProgressBar | None) -> list[_Outcome]:
    """Run ``worker`` on every request in a pool; an error that is not an :class:`AsleepError` stops all."""
    outcomes: list[_Outcome] = [None] * len(todo)
    n_failed = 0
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asleep-fetch") as pool:
            pending: dict[Future[tuple[SessionResult, bool]], int] = {
                pool.submit(worker, request): i for i, request in enumerate(todo)
            }
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = pending.pop(future)
                        exc = future.exception()
                        if exc is None:
                            outcomes[i] = future.result()
                        elif isinstance(exc, AsleepError):
                            outcomes[i] = exc
                            n_failed += 1
                            logger.warning("could not fetch %s: %s", todo[i].session_id, exc)
                        else:
                            raise exc
                        if bar is not None:
                            bar.update(1)
                            if n_failed:
                                bar.set_postfix(failed=n_failed, refresh=False)
            except BaseException:
                worker.stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        if bar is not None:
            bar.close()
    return outcomes


def _collect(todo: list[Request], outcomes: list[_Outcome], rate_limit_pauses: int) -> FetchResult:
    """The :class:`FetchResult` of a run, in input order."""
    out = FetchResult(rate_limit_pauses=rate_limit_pauses)
    for request, outcome in zip(todo, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            out.failed.append((request, outcome))
        elif outcome is not None:
            record, from_archive = outcome
            out.results.append(record)
            out.requests.append(request)
            if from_archive:
                out.from_archive += 1
            else:
                out.fetched += 1
    return out


class _Cancelled(Exception):
    """A queued fetch abandoned because the run is stopping."""


class _ProgressBar(Protocol):
    """What is used of a ``tqdm`` bar."""

    def update(self, n: int = 1) -> object: ...
    def set_postfix(self, *, failed: int, refresh: bool = True) -> None: ...
    def close(self) -> None: ...


def _progress_bar(total: int, enabled: bool) -> _ProgressBar | None:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    bar: _ProgressBar = tqdm(total=total, desc="sessions", unit="session", dynamic_ncols=True)
    return bar
