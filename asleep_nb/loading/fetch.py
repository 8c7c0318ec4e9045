"""Fetching many sessions: bounded in-flight work, a shared rate-limit pause, progress, resume.

:func:`fetch_sessions` gets a list of sessions with ``workers`` threads
sharing one :class:`~asleep_nb.api.client.Client` (its connection pool is
thread-safe), never more than a few times ``workers`` sessions in flight
(:mod:`asleep_nb.loading.pool`). With an archive (``archive=`` or the
client's own), sessions already archived as ``COMPLETE`` are read from it
without any request, and every session fetched is written to it as soon as
it arrives, so an interrupted run resumes where it stopped; the archive's
manifest is synced once when the run ends.

Rate limits: the client first retries a ``403 Rate limit exceeded`` / 429
by itself. When one still surfaces as :class:`~asleep_nb.errors.RateLimited`,
a :class:`BackoffGate` shared by all workers closes: every worker waits
before its next request (``rate_limit_pause`` seconds, doubling while the
limit persists, at most :data:`MAX_PAUSE`), then the session is retried,
up to ``rate_limit_retries`` times. A server that asks to wait longer than
:data:`MAX_PAUSE` (``RateLimited.retry_after``) fails that session at once.

Failures never stop the run: whatever one session raises (an API error, a
malformed id, a wrong answer, a conflict in the archive, even a bug) is
recorded in ``failed`` and every other session is still fetched. Only a
storage failure of the archive (:class:`~asleep_nb.errors.ArchiveUnwritable`:
disk full, no permission), which no other session could escape, or an
interruption ends the run, after the sessions in flight; what was archived
stays.

Memory grows with the sessions in flight, plus the results kept: pass
``keep_results=False`` to only fill an archive (``asleep-nb fetch`` does).

Examples
--------
>>> from asleep_nb.loading.fetch import fetch_sessions
>>> from asleep_nb.data.manifest import SessionRequest
>>> todo = [SessionRequest("20250115025029_fvivn", "G-20250115025029-vLErWBfQNtnfvgDccFOQ", "UTC", "all")]
>>> fetched = fetch_sessions(client, todo, workers=8, archive="study")
>>> len(fetched.results), fetched.failed
(1, [])
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypedDict

from asleep_nb.api.protocols import FetchClient
from asleep_nb.api.records import SessionResult
from asleep_nb.errors import ArchiveUnwritable, AsleepError, RateLimited
from asleep_nb.loading.archive import Archive, as_archive
from asleep_nb.loading.backoff import MAX_PAUSE, BackoffGate
from asleep_nb.loading.fetch_result import FetchResult, FetchWarning, Request
from asleep_nb.loading.pool import run_bounded

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


def fetch_sessions(
    client: FetchClient,
    requests: Sequence[object],
    *,
    workers: int = DEFAULT_WORKERS,
    archive: Archive | str | os.PathLike[str] | None = None,
    progress: bool = True,
    rate_limit_pause: float = 1.0,
    rate_limit_retries: int = 5,
    keep_results: bool = True,
) -> FetchResult:
    """Fetch many sessions with a bounded thread pool; keep what succeeds, record what fails.

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
    keep_results
        Keep the records in ``results`` (``False``: only counts and failures,
        for filling an archive with memory bounded by the sessions in flight).

    Returns
    -------
    FetchResult
        ``results`` in input order, ``failed`` ``(request, exception)``
        pairs for every session that failed, whatever the exception, counts.

    Raises
    ------
    ValueError, TypeError
        Before any request, on bad options or a request of the wrong shape.
    asleep_nb.errors.ArchiveUnwritable
        When the archive cannot be written (disk full, no permission): the
        run stops after the sessions in flight; what was archived stays.

    Examples
    --------
    >>> fetched = fetch_sessions(client, [("20250115025029_fvivn",
    ...     "G-20250115025029-vLErWBfQNtnfvgDccFOQ")], progress=False)
    >>> print(fetched.summary())
    fetched 1, from archive 0, failed 0
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(rate_limit_retries, int) or rate_limit_retries < 0:
        raise ValueError(f"rate_limit_retries must be a non-negative integer, got {rate_limit_retries!r}")
    todo = [Request.of(item) for item in requests]
    store: Archive | None = as_archive(archive) if archive is not None else getattr(client, "archive", None)
    worker = _Worker(client, store, BackoffGate(rate_limit_pause), threading.Event(), rate_limit_retries)
    tally = _Tally(FetchResult(), {}, {}, keep_results, _progress_bar(len(todo), progress))
    try:
        run_bounded(
            worker, todo, workers=workers, stop=worker.stop, on_done=tally.add, fatal=(ArchiveUnwritable,)
        )
    finally:
        tally.close()
    if store is not None:
        store.flush()
    return tally.result(worker.gate.trips)


@dataclass
class _Worker:
    """Fetches one session, pausing with every other worker after a rate limit."""

    client: FetchClient
    store: Archive | None
    gate: BackoffGate
    stop: threading.Event
    rate_limit_retries: int

    def __call__(self, request: Request) -> tuple[SessionResult, bool]:
        for attempt in range(self.rate_limit_retries + 1):
            self.gate.wait(self.stop)
            if self.stop.is_set():
                raise _Cancelled
            try:
                got = self._get(request)
            except RateLimited as exc:
                too_long = exc.retry_after is not None and exc.retry_after > self.gate.maximum
                if too_long or attempt >= self.rate_limit_retries:
                    raise
                pause = self.gate.trip()
                logger.info("rate limited on %s; all workers pause %.2f s", request.session_id, pause)
                continue
            self.gate.success()
            return got
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _get(self, request: Request) -> tuple[SessionResult, bool]:
        session_id, user_id, zone = request.session_id, request.user_id, request.timezone
        if self.store is not None:
            return self.store.fetch_status(self.client, session_id, user_id=user_id, timezone=zone)
        return self.client.get_session(session_id, user_id=user_id, timezone=zone), False


@dataclass
class _Tally:
    """What the run got so far: counts, failures and (if kept) results, by input position."""

    out: FetchResult
    kept: dict[int, tuple[Request, SessionResult]]
    failed: dict[int, tuple[Request, BaseException]]
    keep_results: bool
    bar: _ProgressBar | None

    def add(self, index: int, request: Request, outcome: tuple[SessionResult, bool] | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.failed[index] = (request, outcome)
            if isinstance(outcome, AsleepError):
                logger.warning("could not fetch %s: %s", request.session_id, outcome)
            else:  # a bug, recorded like any failure, logged with its traceback
                logger.error("could not fetch %s", request.session_id, exc_info=outcome)
        else:
            record, from_archive = outcome
            if from_archive:
                self.out.from_archive += 1
            else:
                self.out.fetched += 1
            if self.keep_results:
                self.kept[index] = (request, record)
        if self.bar is not None:
            self.bar.update(1)
            if self.failed:
                self.bar.set_postfix(failed=len(self.failed), refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def result(self, rate_limit_pauses: int) -> FetchResult:
        out = self.out
        out.rate_limit_pauses = rate_limit_pauses
        for index in sorted(self.kept):
            request, record = self.kept[index]
            out.requests.append(request)
            out.results.append(record)
        out.failed.extend(self.failed[index] for index in sorted(self.failed))
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
