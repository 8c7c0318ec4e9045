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

import json
import logging
import os
import threading
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asleep_nb.errors import AsleepError, RateLimited

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from asleep_nb.api.records import SessionResult
    from asleep_nb.loading.archive import Archive

__all__ = [
    "BackoffGate",
    "FetchResult",
    "FetchWarning",
    "Request",
    "fetch_sessions",
    "DEFAULT_WORKERS",
    "FETCH_OPTIONS",
    "MAX_PAUSE",
]

logger = logging.getLogger("asleep_nb.loading.fetch")

#: Default number of fetching threads.
DEFAULT_WORKERS = 4
#: Longest shared pause after a rate limit, in seconds.
MAX_PAUSE = 60.0
#: Keyword options of :func:`fetch_sessions` that ``load_cohort`` passes through.
FETCH_OPTIONS: frozenset[str] = frozenset(
    {"workers", "archive", "progress", "rate_limit_pause", "rate_limit_retries"}
)


class FetchWarning(UserWarning):
    """Some sessions could not be fetched; the rest were kept."""


@dataclass(frozen=True, slots=True)
class Request:
    """One session to fetch: ``(session_id, user_id, timezone)`` and an optional ``group``.

    :class:`asleep_nb.data.manifest.SessionRequest` objects, tuples
    ``(session_id, user_id[, timezone])`` and mappings with those keys are
    all accepted by :func:`fetch_sessions` and turned into this.

    Examples
    --------
    >>> Request.of(("20250115025029_fvivn", "G-1"))
    Request(session_id='20250115025029_fvivn', user_id='G-1', timezone='UTC', group='all')
    """

    session_id: str
    user_id: str
    timezone: str = "UTC"
    group: str = "all"

    @classmethod
    def of(cls, item: Any) -> Request:
        """Normalise a request given as an object, a tuple or a mapping."""
        if isinstance(item, Request):
            return item
        if isinstance(item, dict):
            get = item.get
        elif isinstance(item, tuple | list):
            if not 2 <= len(item) <= 4:
                raise TypeError(
                    f"a request tuple is (session_id, user_id[, timezone[, group]]), got {item!r}"
                )
            return cls(*(str(v) for v in item))
        else:

            def get(name: str, default: Any = None) -> Any:
                return getattr(item, name, default)

        session_id, user_id = get("session_id"), get("user_id")
        if not isinstance(session_id, str) or not isinstance(user_id, str):
            raise TypeError(f"a request needs str session_id and user_id, got {item!r}")
        return cls(session_id, user_id, get("timezone") or "UTC", get("group") or "all")


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


@dataclass
class FetchResult:
    """What :func:`fetch_sessions` got.

    Attributes
    ----------
    results
        The sessions fetched (or read from the archive), in input order.
    requests
        The request of each entry of ``results`` (same order).
    failed
        ``(request, exception)`` for each session that could not be had,
        in input order.
    fetched, from_archive
        How many successes came from the network and from the archive.
    rate_limit_pauses
        How many times the workers paused together after a rate limit.
    """

    results: list[SessionResult] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    failed: list[tuple[Request, BaseException]] = field(default_factory=list)
    fetched: int = 0
    from_archive: int = 0
    rate_limit_pauses: int = 0

    @property
    def ok(self) -> bool:
        """``True`` when nothing failed."""
        return not self.failed

    def failures(self) -> list[dict[str, Any]]:
        """The failures as plain dicts (JSON-ready): ids, zone, group, error class, status, reason.

        Examples
        --------
        >>> FetchResult().failures()
        []
        """
        return [
            {
                "session_id": r.session_id,
                "user_id": r.user_id,
                "timezone": r.timezone,
                "group": r.group,
                "error": type(exc).__name__,
                "status_code": getattr(exc, "status_code", None),
                "reason": str(exc),
            }
            for r, exc in self.failed
        ]

    def summary(self) -> str:
        """One line per outcome, for people.

        Examples
        --------
        >>> FetchResult().summary()
        'fetched 0, from archive 0, failed 0'
        """
        lines = [f"fetched {self.fetched}, from archive {self.from_archive}, failed {len(self.failed)}"]
        for r, exc in self.failed:
            lines.append(f"  {r.session_id} (user {r.user_id}, {r.timezone}): {type(exc).__name__}: {exc}")
        return "\n".join(lines)

    def raise_if_empty(self) -> None:
        """Raise the first failure's exception when nothing at all succeeded (and something failed)."""
        if not self.results and self.failed:
            raise self.failed[0][1]

    def attach(self, cohort: xr.Dataset) -> xr.Dataset:
        """Record the failures on a cohort built from :attr:`results`, with a :class:`FetchWarning`.

        When some sessions failed, ``cohort.attrs["failed_sessions"]`` is a
        JSON list of :meth:`failures` and a warning names them; otherwise
        the cohort is returned untouched.
        """
        if self.failed:
            cohort.attrs["failed_sessions"] = json.dumps(self.failures())
            shown = ", ".join(f"{r.session_id} ({type(e).__name__})" for r, e in self.failed[:10])
            more = f" and {len(self.failed) - 10} more" if len(self.failed) > 10 else ""
            warnings.warn(
                f"{len(self.failed)} of {len(self.failed) + len(self.results)} sessions could not be "
                f"fetched and are left out of the cohort: {shown}{more}; see "
                'cohort.attrs["failed_sessions"]',
                FetchWarning,
                stacklevel=3,
            )
        return cohort


def fetch_sessions(
    client: Any,
    requests: Sequence[Any],
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
    from asleep_nb.loading.archive import as_archive

    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(rate_limit_retries, int) or rate_limit_retries < 0:
        raise ValueError(f"rate_limit_retries must be a non-negative integer, got {rate_limit_retries!r}")
    todo = [Request.of(item) for item in requests]
    store = as_archive(archive) if archive is not None else getattr(client, "archive", None)
    gate = BackoffGate(rate_limit_pause)
    stop = threading.Event()

    def one(request: Request) -> tuple[SessionResult, bool]:
        attempt = 0
        while True:
            gate.wait(stop)
            if stop.is_set():
                raise _Cancelled
            try:
                if store is not None:
                    got = store.fetch_status(
                        client, request.session_id, user_id=request.user_id, timezone=request.timezone
                    )
                else:
                    got = (
                        client.get_session(
                            request.session_id, user_id=request.user_id, timezone=request.timezone
                        ),
                        False,
                    )
            except RateLimited:
                if attempt >= rate_limit_retries:
                    raise
                attempt += 1
                pause = gate.trip()
                logger.info("rate limited on %s; all workers pause %.2f s", request.session_id, pause)
                continue
            gate.success()
            return got

    outcomes: list[tuple[SessionResult, bool] | BaseException | None] = [None] * len(todo)
    bar = _progress_bar(len(todo), progress)
    n_failed = 0
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asleep-fetch") as pool:
            pending: dict[Future[tuple[SessionResult, bool]], int] = {
                pool.submit(one, request): i for i, request in enumerate(todo)
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
                stop.set()
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        if bar is not None:
            bar.close()

    out = FetchResult(rate_limit_pauses=gate.trips)
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


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="sessions", unit="session", dynamic_ncols=True)


# --------------------------------------------------------------------------- command line
