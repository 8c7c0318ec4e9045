"""A hard deadline on one HTTP attempt: name lookup, connect, headers and body together.

``requests`` and ``urllib3`` bound each *socket operation* (the connect
timeout, the read timeout between two packets), never a whole answer: a
server that sends one byte a second keeps every read short and the call
busy for as long as it likes. Here an :class:`Attempt` arms a timer on a
single watchdog thread; when it fires before the attempt is finished, the
socket of the connection in use is shut down, so whatever read is blocked
returns at once, and the attempt is marked :attr:`~Attempt.expired`.

The connection in use is known because :class:`DeadlineAdapter` (a
``requests`` adapter) makes ``urllib3`` build its connections from classes
that tell the attempt of the current thread which connection it is using,
when they connect and when they start reading an answer.

What was read by an expired attempt is never used: the caller checks
:meth:`Attempt.finish` (which says whether the deadline passed first), not
whatever exception the interrupted read raised.

Examples
--------
>>> import requests
>>> from asleep_nb.api.deadline import Attempt, DeadlineAdapter
>>> session = requests.Session()
>>> session.mount("http://", DeadlineAdapter())
>>> with Attempt(2.0) as attempt:
...     response = session.get(f"{srv.url}/", stream=True, timeout=attempt.remaining())
...     body = response.raw.read()
...     expired = attempt.finish()
>>> response.status_code, expired
(404, False)
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.response import HTTPResponse
from urllib3.util import connection as urllib3_connection
from urllib3.util.connection import allowed_gai_family

__all__ = ["Attempt", "DeadlineAdapter"]

_current = threading.local()


class Attempt:
    """One attempt with a hard deadline (see the module docs); a context manager.

    Parameters
    ----------
    seconds
        How long the attempt may take, from entering the ``with`` block.

    Examples
    --------
    >>> with Attempt(60.0) as attempt:
    ...     left = attempt.remaining()
    ...     expired = attempt.finish()
    >>> 0 < left <= 60.0, expired
    (True, False)
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._finished = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left before the deadline (at least a millisecond, for socket timeouts)."""
        return max(self.deadline - time.monotonic(), 0.001)

    def use(self, connection: HTTPConnection) -> None:
        """Note the connection this attempt now waits on (called by the connection classes)."""
        with self._lock:
            self._connection = connection
            if self.expired and not self._finished:
                _shut(connection)

    def finish(self) -> bool:
        """End the attempt; return whether the deadline passed first (then discard what was read).

        Also true when the deadline has passed though the watchdog has not
        fired yet (a socket timeout, set to the time left, may beat it).
        """
        with self._lock:
            self._finished = True
            return self.expired or time.monotonic() >= self.deadline

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self.expired = True
            if self._connection is not None:
                _shut(self._connection)

    def __enter__(self) -> Self:
        _current.attempt = self
        self._ticket = _WATCHDOG.schedule(self.deadline, self._expire)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finish()
        _WATCHDOG.cancel(self._ticket)
        _current.attempt = None


def _shut(connection: HTTPConnection) -> None:
    """Shut the connection's socket down (not close it: the reading thread owns it)."""
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:  # the plain socket call, also for TLS sockets: it wakes a blocked read at once
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass


def _note(connection: HTTPConnection) -> None:
    attempt: Attempt | None = getattr(_current, "attempt", None)
    if attempt is not None:
        attempt.use(connection)


class _Watchdog:
    """One daemon thread firing the callbacks of deadlines in time order.

    Started on first use; it sleeps until the next deadline (or until one is
    scheduled) and ends after :data:`_IDLE_EXIT` seconds without any, to be
    started again by the next attempt. Cancelled deadlines leave the heap
    when they come up, so it holds at most the attempts of the last
    ``timeout`` seconds.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Any]] = []
        self._cancelled: set[int] = set()
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, when: float, callback: Any) -> int:
        with self._cond:
            ticket = next(self._counter)
            heapq.heappush(self._heap, (when, ticket, callback))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="asleep-deadline", daemon=True)
                self._thread.start()
            self._cond.notify()
            return ticket

    def cancel(self, ticket: int) -> None:
        with self._cond:
            self._cancelled.add(ticket)
            while self._heap and self._heap[0][1] in self._cancelled:  # keep the heap small
                self._cancelled.discard(heapq.heappop(self._heap)[1])

    def _run(self) -> None:
        while True:  # ends after _IDLE_EXIT seconds with nothing scheduled
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    if not self._heap and not self._cond.wait(_IDLE_EXIT) and not self._heap:
                        self._thread = None
                        return
                    if self._heap:
                        self._cond.wait(max(self._heap[0][0] - time.monotonic(), 0.0))
                _, ticket, callback = heapq.heappop(self._heap)
                if ticket in self._cancelled:
                    self._cancelled.discard(ticket)
                    continue
            callback()


#: Seconds the watchdog thread waits with nothing scheduled before it ends.
_IDLE_EXIT = 30.0
_WATCHDOG = _Watchdog()


class _Watched(HTTPConnection):
    """A connection that tells the watchdog when it connects and when it waits for an answer."""

    def connect(self) -> None:
        _note(self)
        super().connect()

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3 itself
        _note(self)
        return super().getresponse()

    def _new_conn(self) -> socket.socket:
        """urllib3's connect, with the name lookup bounded by the attempt's time left.

        ``getaddrinfo`` takes no timeout and no socket exists yet for the
        watchdog to shut, so the lookup runs on a daemon thread that is waited
        for at most the time left; the addresses it found are then tried in
        order by urllib3's own ``create_connection`` (an address literal is
        not looked up again). A lookup the deadline gave up on ends on its own
        thread, within the system resolver's timeouts.
        """
        attempt: Attempt | None = getattr(_current, "attempt", None)
        host = self._dns_host.strip("[]")
        if attempt is None or _is_address(host):
            return super()._new_conn()
        addresses = _lookup(host, self.port, attempt.remaining(), self)
        error: Exception | None = None
        for address in addresses:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port), self.timeout, self.source_address, self.socket_options
                )
            except OSError as exc:  # this address refused or timed out: try the next one
                error = exc
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. ({error})") from error
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _lookup(host: str, port: int | None, seconds: float, connection: HTTPConnection) -> list[str]:
    """The addresses of ``host`` (urllib3's address family), or an error after ``seconds``."""
    done = threading.Event()
    found: list[Any] = []

    def resolve() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM))
        except Exception as exc:  # handed to the waiting thread
            found.append(exc)
        done.set()

    threading.Thread(target=resolve, name="asleep-resolve", daemon=True).start()
    if not done.wait(seconds):
        raise ConnectTimeoutError(connection, f"looking up {host} took longer than the {seconds:.1f} s left")
    (outcome,) = found
    if isinstance(outcome, socket.gaierror):
        raise NameResolutionError(host, connection, outcome)
    if isinstance(outcome, Exception):
        raise NewConnectionError(connection, f"Failed to establish a new connection: {outcome}")
    return [info[4][0] for info in outcome]


class _DeadlineHTTPConnection(_Watched):
    pass


class _DeadlineHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """A ``requests`` adapter whose connections report to the current :class:`Attempt`.

    Mount it on a ``requests.Session`` for ``http://`` and ``https://``;
    requests made outside an :class:`Attempt` behave as with the plain adapter.
    Retries are not this adapter's business (``max_retries`` stays 0): the
    client retries whole attempts itself (:mod:`asleep_nb.api.retry`).
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Build the pool manager, with connection pools of the deadline-aware classes."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """The proxy manager for ``proxy``, with deadline-aware pools too."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
