"""A local stand-in of the Asleep API: a real HTTP server on loopback.

It serves the four read endpoints of the contract (Get Session v3, List
Sessions, Get User, Average Stats) from a data folder (see
:mod:`asleep_nb.standin.store`), with the contract's headers, envelopes,
status codes and exact ``detail`` texts (:mod:`asleep_nb.standin.responses`),
and converts every timestamp into the requested IANA zone. Idle connections
wait in one selector thread and requests are answered by a bounded pool of
worker threads (:mod:`asleep_nb.standin.connections`: a 503 with
``Retry-After`` when all are busy, idle connections closed after 15 s); it speaks
HTTP/1.1 with keep-alive, binds ``127.0.0.1`` only, and shuts down cleanly.
Test hooks inject failures, dropped connections and latency. The request
handling itself is :class:`~asleep_nb.standin.endpoints.StandinAPI`.

Examples
--------
>>> import requests
>>> from asleep_nb.standin import serve
>>> with serve(api_key="local-key") as srv:  # the demo cohort
...     r = requests.get(f"{srv.url}/data/v3/sessions/20250115025029_fvivn",
...                      headers={"x-api-key": srv.api_key,
...                               "x-user-id": "G-20250115025029-vLErWBfQNtnfvgDccFOQ"})
>>> r.status_code, r.json()["result"]["session"]["id"]
(200, '20250115025029_fvivn')
"""

from __future__ import annotations

import errno
import math
import secrets
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from asleep_nb.resources import demo_data_dir
from asleep_nb.standin.connections import WaitingRoom
from asleep_nb.standin.endpoints import StandinAPI
from asleep_nb.standin.handler import StandinHandler, StandinHTTPServer
from asleep_nb.standin.release import ReleaseSchedule
from asleep_nb.standin.responses import Response
from asleep_nb.standin.store import load

__all__ = ["StandinAPI", "StandinServer", "Fault", "Response", "serve", "demo_data_dir", "HOST"]

HOST = "127.0.0.1"


@dataclass(slots=True)
class Fault:
    """A failure queued by :meth:`StandinServer.fail_next` or :meth:`StandinServer.drop_next`."""

    kind: Literal["fail", "drop"]
    remaining: int
    path_prefix: str | None
    status: int = 503
    detail: str = "Service Unavailable"
    headers: tuple[tuple[str, str], ...] = field(default=())


class StandinServer:
    """A running stand-in server: the handle :func:`serve` returns.

    Use it as a context manager, or call :meth:`close`. Test hooks
    (:meth:`fail_next`, :meth:`drop_next`, :meth:`set_latency`, the request
    counters) let client tests exercise retries and concurrency.

    Parameters
    ----------
    data_dir
        A stand-in data folder; ``None`` serves the demo cohort
        (:func:`demo_data_dir`).
    port
        The port on ``127.0.0.1``; 0 picks a free one.
    api_key
        The key requests must carry; ``None`` makes a random one.
    latency
        Seconds to sleep before each response.
    today
        Release the nights day by day as of this morning (see
        :mod:`asleep_nb.standin.release`); ``None`` serves every session as
        stored. Change it with :meth:`set_today` and :meth:`advance`.
    schedule
        How each session is released when ``today`` is set; default the demo's
        (:meth:`ReleaseSchedule.demo <asleep_nb.standin.release.ReleaseSchedule.demo>`).

    Attributes
    ----------
    url : str
        ``"http://127.0.0.1:PORT"``.
    port : int
        The bound port.
    api_key : str
        The key to send in ``x-api-key`` (never shown by ``repr``).
    data_dir : pathlib.Path
        The folder served.
    store : StandinStore
        The loaded data.

    Examples
    --------
    >>> with StandinServer().start() as srv:  # the demo cohort
    ...     srv.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        port: int = 0,
        api_key: str | None = None,
        latency: float = 0.0,
        today: date | None = None,
        schedule: ReleaseSchedule | None = None,
    ) -> None:
        if api_key is None:
            api_key = secrets.token_urlsafe(24)
        if not isinstance(api_key, str) or not api_key or api_key != api_key.strip():
            raise ValueError("api_key must be a non-empty string without surrounding whitespace")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, got {port!r}")
        self.data_dir = Path(data_dir) if data_dir is not None else demo_data_dir()
        self.store = load(self.data_dir)
        self.api_key = api_key
        self.api = StandinAPI(self.store, api_key, today=today, schedule=schedule)
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str]] = []
        self._faults: list[Fault] = []
        self._connections: set[socket.socket] = set()
        self._closed = threading.Event()
        self.latency = 0.0
        self.set_latency(latency)
        try:
            self._httpd = StandinHTTPServer((HOST, port), StandinHandler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    exc.errno, f"port {port} on {HOST} is already in use; choose another, or 0 for a free one"
                ) from None
            raise
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"asleep-nb-standin-{self.port}",
            daemon=True,
        )

    def start(self) -> Self:
        """Start serving in a background daemon thread; return ``self``."""
        if not self._thread.is_alive() and not self._closed.is_set():
            self._thread.start()
        return self

    def __repr__(self) -> str:
        state = "closed" if self._closed.is_set() else "running"
        return (
            f"StandinServer(url={self.url!r}, users={len(self.store.users)}, "
            f"sessions={len(self.store.sessions)}, {state}"
            + (f", today={self.today.isoformat()})" if self.today is not None else ")")
        )

    # -- release day by day -------------------------------------------------------------------
    @property
    def today(self) -> date | None:
        """The morning the study is served as of; ``None``: every session as stored."""
        return self.api.today

    def set_today(self, today: date | None) -> None:
        """Serve the study as it stood on the morning of ``today`` (``None``: everything as stored)."""
        with self._lock:
            self.api.today = today

    def advance(self, days: int = 1) -> date:
        """Move ``today`` on by ``days``; return the new date (a test's "next morning")."""
        with self._lock:
            return self.api.advance(days)

    # -- counters -----------------------------------------------------------------------------
    def note_request(self, method: str, path: str) -> None:
        """Count a request (called by the HTTP handler)."""
        with self._lock:
            self._requests.append((method, path))

    @property
    def request_count(self) -> int:
        """Number of requests received since start or :meth:`reset_counts`."""
        with self._lock:
            return len(self._requests)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """A copy of the ``(method, path)`` of every request received, path without query."""
        with self._lock:
            return list(self._requests)

    def reset_counts(self) -> None:
        """Forget the requests counted so far."""
        with self._lock:
            self._requests.clear()

    # -- fault injection ----------------------------------------------------------------------
    def fail_next(
        self,
        n: int,
        status: int = 503,
        detail: str = "Service Unavailable",
        *,
        path_prefix: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``n`` requests (whose path starts with ``path_prefix``) with an error.

        Parameters
        ----------
        n
            How many requests to fail.
        status, detail
            The status and the ``detail`` of the error envelope sent.
        path_prefix
            Only requests whose path starts with this are failed (all when ``None``).
        headers
            Extra response headers, e.g. ``{"Retry-After": "1"}``.

        Examples
        --------
        >>> with serve() as srv:
        ...     srv.fail_next(2, 403, "Rate limit exceeded", path_prefix="/data/v3/")
        """
        self._queue(Fault("fail", n, path_prefix, status, detail, tuple((headers or {}).items())))

    def drop_next(self, n: int, path_prefix: str | None = None) -> None:
        """Close the connection without any response for the next ``n`` matching requests."""
        self._queue(Fault("drop", n, path_prefix))

    def clear_faults(self) -> None:
        """Forget every queued failure and drop."""
        with self._lock:
            self._faults.clear()

    def _queue(self, fault: Fault) -> None:
        if not isinstance(fault.remaining, int) or fault.remaining < 0:
            raise ValueError(f"n must be a non-negative integer, got {fault.remaining!r}")
        if fault.remaining:
            with self._lock:
                self._faults.append(fault)

    def take_fault(self, path: str) -> Fault | None:
        """The queued fault for a request to ``path``, used up by one (called by the HTTP handler)."""
        with self._lock:
            for fault in self._faults:
                if fault.path_prefix is None or path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def set_latency(self, seconds: float) -> None:
        """Sleep ``seconds`` before each response from now on (0 for none)."""
        if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"latency must be a non-negative number of seconds, got {seconds!r}")
        self.latency = float(seconds)

    # -- lifecycle ----------------------------------------------------------------------------
    def track_connection(self, conn: socket.socket, *, add: bool) -> None:
        """Register or forget an open connection, closed on :meth:`close` (called by the HTTP handler)."""
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    @property
    def connections(self) -> WaitingRoom:
        """Where idle connections wait (:mod:`~asleep_nb.standin.connections`): ``waiting()``, limits."""
        return self._httpd.room

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server is closed (or ``timeout`` passes); return whether it is."""
        return self._closed.wait(timeout)

    def close(self) -> None:
        """Stop serving, close open keep-alive connections and free the port. Idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(
    data_dir: str | Path | None = None,
    *,
    port: int = 0,
    api_key: str | None = None,
    latency: float = 0.0,
    today: date | None = None,
    schedule: ReleaseSchedule | None = None,
) -> StandinServer:
    """Start the stand-in API on ``127.0.0.1`` in a background thread.

    Parameters
    ----------
    data_dir
        A stand-in data folder (see :mod:`asleep_nb.standin.store`); ``None``
        serves the demo cohort (``$ASLEEP_NB_DEMO_DIR`` or ``data/demo``).
    port
        The port; 0 (the default) picks a free one.
    api_key
        The key requests must send in ``x-api-key``; ``None`` makes a random one
        (read it back from ``.api_key``).
    latency
        Seconds to sleep before each response.
    today
        Release the nights day by day as of this morning (see
        :mod:`asleep_nb.standin.release`); ``None`` serves everything as stored.
    schedule
        How each session is released then (default: the demo's schedule).

    Returns
    -------
    StandinServer
        Running; a context manager that closes it on exit.

    Raises
    ------
    FileNotFoundError
        When the data folder does not exist.
    OSError
        When ``port`` is taken.

    Examples
    --------
    >>> import requests
    >>> from asleep_nb.standin import serve
    >>> with serve() as srv:
    ...     r = requests.get(f"{srv.url}/ai/v1/users/G-20250115025029-vLErWBfQNtnfvgDccFOQ",
    ...                      headers={"x-api-key": srv.api_key})
    ...     r.json()["detail"]
    'success'
    """
    return StandinServer(
        data_dir, port=port, api_key=api_key, latency=latency, today=today, schedule=schedule
    ).start()
