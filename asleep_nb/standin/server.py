"""A local stand-in of the Asleep API: a real HTTP server on loopback.

It serves the four read endpoints of the contract (Get Session v3, List
Sessions, Get User, Average Stats) from a data folder (see
:mod:`asleep_nb.standin.store`), with the contract's headers, envelopes,
status codes and exact ``detail`` texts, and converts every timestamp into the
requested IANA zone. It is threaded (one daemon thread per connection),
speaks HTTP/1.1 with keep-alive, binds ``127.0.0.1`` only, and shuts down
cleanly. Test hooks inject failures, dropped connections and latency.

The order of checks on a request: the route (unknown path: 404
``Not Found``), the method (not GET: 405), the key (401 ``Unauthorized``), the
``x-user-id`` header (400), the ``timezone`` header (400), the session id
format (400), query values (400), then the lookup (404).

Examples
--------
>>> import requests
>>> from asleep_nb.standin import serve
>>> with serve("tests/data", api_key="local-key") as srv:  # doctest: +SKIP
...     r = requests.get(f"{srv.url}/data/v3/sessions/20250115025029_fvivn",
...                      headers={"x-api-key": srv.api_key, "x-user-id": "G-...", "timezone": "UTC"})
"""

from __future__ import annotations

import errno
import hmac
import logging
import math
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote
from zoneinfo import ZoneInfo

from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.errors import InvalidTimezone
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin import store as _store
from asleep_nb.timezones import validate_timezone

__all__ = ["StandinAPI", "StandinServer", "Response", "serve", "demo_data_dir"]

logger = logging.getLogger("asleep_nb.standin")

HOST = "127.0.0.1"
JSON_TYPE = "application/json"
#: Largest ``limit`` of List Sessions; ``limit`` must be 0..100 as the contract says.
MAX_LIMIT = 100
DEFAULT_LIMIT = 20
#: Longest Average Stats period, in days between ``start_date`` and ``end_date``.
MAX_PERIOD_DAYS = 100

UNAUTHORIZED = "Unauthorized"
BAD_TIMEZONE = "The invalid timezone is provided"
BAD_USER_ID = "The format of x-user-id is invalid"
BAD_SESSION_ID = "The format of sleep session id {} is not valid"
NO_SESSION = "Unable to find the sleep session of id {}"
NO_USER = "user does not exist"
PERIOD_TOO_LONG = "The period should be less than or equal to 100 days"

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INT_RE = re.compile(r"-?[0-9]{1,9}")


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP response: status, JSON body bytes and extra headers."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def error(cls, status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        """The error envelope ``{"detail": detail}``.

        Examples
        --------
        >>> Response.error(401, "Unauthorized").body
        b'{"detail":"Unauthorized"}'
        """
        return cls(status, _store.dumps({"detail": detail}), headers)

    @classmethod
    def ok(cls, result: Any, detail: str = "OK") -> Response:
        """The success envelope ``{"detail": detail, "result": result}``."""
        return cls(200, _store.dumps({"detail": detail, "result": result}))


class _RequestError(Exception):
    """Raised inside the API to answer with an error envelope."""

    def __init__(self, status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(status, detail)
        self.response = Response.error(status, detail, headers)


def _parse_date(query: Mapping[str, str], name: str) -> date | None:
    """The ``YYYY-MM-DD`` query value ``name``, ``None`` when absent or empty."""
    text = query.get(name)
    if not text:
        return None
    if not _DATE_RE.fullmatch(text):
        raise _RequestError(400, f"{name} must be a date YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _RequestError(400, f"{name} must be a date YYYY-MM-DD, got {text!r}") from None


def _required_date(query: Mapping[str, str], name: str) -> date:
    value = _parse_date(query, name)
    if value is None:
        raise _RequestError(400, f"{name} is required, as a date YYYY-MM-DD")
    return value


def _parse_int(query: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    """The integer query value ``name`` within ``[low, high]``, ``default`` when absent."""
    text = query.get(name)
    if text is None:
        return default
    value = int(text) if _INT_RE.fullmatch(text) else None
    if value is None or value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise _RequestError(400, f"{name} must be an integer {bound}, got {text!r}")
    return value


def _clock_seconds(iso: str, zone: ZoneInfo) -> float:
    local = datetime.fromisoformat(iso).astimezone(zone)
    return local.hour * 3600 + local.minute * 60 + local.second


def circular_mean_clock(seconds_of_day: list[float]) -> str | None:
    """Mean of clock times (seconds after midnight) on the 24-hour circle, as ``hh:mm:ss``.

    23:00 and 01:00 average to 00:00, not 12:00. ``None`` for no values.

    Examples
    --------
    >>> circular_mean_clock([23 * 3600, 1 * 3600])
    '00:00:00'
    >>> circular_mean_clock([])
    """
    if not seconds_of_day:
        return None
    angles = [2 * math.pi * s / 86400 for s in seconds_of_day]
    mean = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))
    total = round((mean % (2 * math.pi)) / (2 * math.pi) * 86400) % 86400
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _mean(values: list[float], kind: str) -> float | int | None:
    if not values:
        return None
    mean = sum(values) / len(values)
    return round(mean) if kind == "duration" else round(mean, 3)


class StandinAPI:
    """The stand-in's request handling, independent of sockets.

    Parameters
    ----------
    index
        The loaded data folder.
    api_key
        The key every request must carry in ``x-api-key``.

    Examples
    --------
    >>> from asleep_nb.standin.store import StandinStore
    >>> api = StandinAPI(StandinStore(data_dir=Path(".")), api_key="k")
    >>> api.handle("GET", "/data/v1/sessions", "", {}).status
    401
    """

    _CACHE_SIZE = 8192

    def __init__(self, index: _store.StandinStore, api_key: str) -> None:
        self.index = index
        self._api_key = api_key.encode()
        self._cache: dict[tuple[str, str], bytes] = {}

    def __repr__(self) -> str:
        return f"StandinAPI({self.index!r})"

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str] | Message) -> Response:
        """Answer one request.

        Parameters
        ----------
        method
            The HTTP method.
        path
            The URL path, without the query string.
        query
            The raw query string (may be empty).
        headers
            The request headers (case-insensitive lookup is done here).

        Returns
        -------
        Response
        """
        route = self._route(unquote(path))
        if route is None:
            return Response.error(404, "Not Found")
        if method != "GET":
            return Response.error(405, "Method Not Allowed", (("Allow", "GET"),))
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get("x-api-key", "").encode()
        if not key or not hmac.compare_digest(key, self._api_key):
            return Response.error(401, UNAUTHORIZED)
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        handler, args = route
        try:
            return handler(lowered, params, *args)
        except _RequestError as exc:
            return exc.response

    def _route(self, path: str) -> tuple[Callable[..., Response], tuple[str, ...]] | None:
        parts = path.split("/")
        if len(parts) == 5 and parts[1:4] == ["data", "v3", "sessions"] and parts[4]:
            return self.get_session, (parts[4],)
        if path == "/data/v1/sessions":
            return self.list_sessions, ()
        if len(parts) == 5 and parts[1:4] == ["ai", "v1", "users"] and parts[4]:
            return self.get_user, (parts[4],)
        if len(parts) == 6 and parts[1:4] == ["data", "v1", "users"] and parts[5] == "average-stats":
            return self.average_stats, (parts[4],)
        return None

    # -- header checks ------------------------------------------------------------------------
    @staticmethod
    def _user_header(headers: Mapping[str, str]) -> str:
        user_id = headers.get("x-user-id")
        if not _store.is_user_id(user_id):
            raise _RequestError(400, BAD_USER_ID)
        return str(user_id)

    @staticmethod
    def _timezone(headers: Mapping[str, str]) -> str:
        name = headers.get("timezone", "UTC")
        try:
            validate_timezone(name)
        except InvalidTimezone:
            raise _RequestError(400, BAD_TIMEZONE) from None
        return name

    # -- endpoints ----------------------------------------------------------------------------
    def get_session(self, headers: Mapping[str, str], query: Mapping[str, str], session_id: str) -> Response:
        """``GET /data/v3/sessions/{session_id}``: one session, times in the requested zone."""
        user_id = self._user_header(headers)
        zone_name = self._timezone(headers)
        if not _store.is_session_id(session_id):
            return Response.error(400, BAD_SESSION_ID.format(session_id))
        stored = self.index.sessions.get(session_id)
        if stored is None or stored.user_id != user_id:
            return Response.error(404, NO_SESSION.format(session_id))
        if zone_name == "UTC":
            return Response(200, stored.utc_body)
        key = (session_id, zone_name)
        body = self._cache.get(key)
        if body is None:
            result = _store.session_result_in_zone(stored.result, zone_name)
            body = _store.dumps({"detail": "OK", "result": result})
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = body
        return Response(200, body)

    def list_sessions(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Response:
        """``GET /data/v1/sessions``: a user's sessions, filtered on the local start date, paged.

        Query values: ``date_gte``/``date_lte`` (``YYYY-MM-DD``, inclusive, compared
        with the start date in the requested zone), ``order_by`` (``ASC``/``DESC``,
        default ``DESC``), ``offset`` (>= 0, default 0), ``limit`` (0..100, default
        20, as the contract says; ``limit=0`` returns an empty page, which is "short" only for a
        positive limit, so clients page with a positive limit).
        """
        user_id = self._user_header(headers)
        zone_name = self._timezone(headers)
        date_gte = _parse_date(query, "date_gte")
        date_lte = _parse_date(query, "date_lte")
        order_by = query.get("order_by", "DESC")
        if order_by.upper() not in ("ASC", "DESC"):
            raise _RequestError(400, f"order_by must be ASC or DESC, got {order_by!r}")
        offset = _parse_int(query, "offset", 0, 0, None)
        limit = _parse_int(query, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT)
        zone = validate_timezone(zone_name)
        sessions = self.index.by_user.get(user_id, [])
        if date_gte is not None or date_lte is not None:
            low, high = date_gte or date.min, date_lte or date.max
            sessions = [s for s in sessions if low <= s.local_start_date(zone) <= high]
        if order_by.upper() == "DESC":
            sessions = sessions[::-1]
        page = [s.summary(zone_name) for s in sessions[offset : offset + limit]]
        return Response.ok({"timezone": zone_name, "sleep_session_list": page})

    def _known_user(self, user_id: str) -> bool:
        return user_id in self.index.users or user_id in self.index.by_user

    def get_user(self, headers: Mapping[str, str], query: Mapping[str, str], user_id: str) -> Response:
        """``GET /ai/v1/users/{user_id}``: the stored user, ``last_session_info`` times in the zone."""
        zone_name = self._timezone(headers)
        user = self.index.users.get(user_id)
        if user is None:
            return Response.error(404, NO_USER)
        return Response.ok(_store.user_in_zone(user, zone_name), detail="success")

    def average_stats(self, headers: Mapping[str, str], query: Mapping[str, str], user_id: str) -> Response:
        """``GET /data/v1/users/{user_id}/average-stats``: means over the slept sessions of a period.

        Sessions count when their start date in the requested zone lies in
        ``[start_date, end_date]`` and they carry a ``stat``. Those with
        ``NEVER_SLEPT`` are listed in ``never_slept_sessions``; the others in
        ``slept_sessions`` and averaged: clock times (``start_time``,
        ``end_time``, ``sleep_time``, ``wake_time``) by circular mean as
        ``hh:mm:ss`` in the requested zone, durations as whole seconds,
        ratios, counts and indexes with three decimals, ``null`` when no
        session has a value.
        """
        zone_name = self._timezone(headers)
        start_date = _required_date(query, "start_date")
        end_date = _required_date(query, "end_date")
        if end_date < start_date:
            raise _RequestError(400, "end_date must not be before start_date")
        if end_date - start_date > timedelta(days=MAX_PERIOD_DAYS):
            raise _RequestError(400, PERIOD_TOO_LONG)
        if not self._known_user(user_id):
            return Response.error(404, NO_USER)
        zone = validate_timezone(zone_name)
        chosen = [
            s
            for s in self.index.by_user.get(user_id, [])
            if start_date <= s.local_start_date(zone) <= end_date and s.result.get("stat") is not None
        ]
        slept: list[dict[str, Any]] = []
        never_slept: list[dict[str, Any]] = []
        for stored in chosen:
            result = _store.session_result_in_zone(stored.result, zone_name)
            session = result["session"]
            entry = {
                "id": stored.id,
                "state": session.get("state"),
                "created_timezone": session.get("created_timezone"),
                "start_time": session["start_time"],
                "end_time": session.get("end_time"),
                "unexpected_end_time": session.get("unexpected_end_time"),
            }
            if "NEVER_SLEPT" in (result.get("peculiarities") or []):
                never_slept.append(entry)
            else:
                slept.append({**entry, **result["stat"]})
        result = {
            "timezone": zone_name,
            "period": {"start_date": start_date.isoformat(), "end_date": end_date.isoformat()},
            "peculiarities": [],
            "average_stats": _average(slept, zone),
            "never_slept_sessions": never_slept,
            "slept_sessions": slept,
        }
        return Response.ok(result)


def _average(slept: list[dict[str, Any]], zone: ZoneInfo) -> dict[str, Any]:
    """The ``average_stats`` object over slept sessions (see :meth:`StandinAPI.average_stats`)."""
    out: dict[str, Any] = {}
    for name in ("start_time", "end_time"):
        out[name] = circular_mean_clock([_clock_seconds(e[name], zone) for e in slept if e.get(name)])
    for name, spec in STAT_FIELDS.items():
        present = [e[name] for e in slept if e.get(name) is not None]
        if spec.kind == "time":
            out[name] = circular_mean_clock([_clock_seconds(v, zone) for v in present])
        elif spec.kind in ("duration", "ratio", "count", "index"):
            out[name] = _mean([float(v) for v in present], spec.kind)
    return out


# -- the HTTP layer -----------------------------------------------------------------------------
@dataclass(slots=True)
class _Fault:
    kind: str  # "fail" or "drop"
    remaining: int
    path_prefix: str | None
    status: int = 503
    detail: str = "Service Unavailable"
    headers: tuple[tuple[str, str], ...] = field(default=())


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    owner: StandinServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "asleep-nb-standin"
    sys_version = ""
    timeout = 120  # seconds an idle keep-alive connection is kept
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def _answer(self) -> None:
        owner = self.server.owner
        method = self.command
        path, _, query = self.path.partition("?")
        owner._record(method, path)
        self._drain_body()
        fault = owner._take_fault(path)
        latency = owner.latency
        if latency > 0:
            time.sleep(latency)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            logger.debug("%s %s dropped (injected)", method, path)
            return
        if fault is not None:
            response = Response.error(fault.status, fault.detail, fault.headers)
        else:
            try:
                response = owner.api.handle(method, path, query, self.headers)
            except Exception:  # never leave a client hanging on a bug
                logger.exception("stand-in failed on %s %s", method, path)
                response = Response.error(500, "Internal Server Error")
        self._send(response, head=method == "HEAD")
        logger.debug("%s %s %s", method, path, response.status)

    def _drain_body(self) -> None:
        length = self.headers.get("Content-Length")
        if not length:
            return
        try:
            size = int(length)
        except ValueError:
            self.close_connection = True
            return
        if 0 < size <= 1 << 20:
            self.rfile.read(size)
        elif size > 0:
            self.close_connection = True

    def _send(self, response: Response, *, head: bool) -> None:
        lines = [
            f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {JSON_TYPE}",
            f"Content-Length: {len(response.body)}",
        ]
        lines += [f"{name}: {value}" for name, value in response.headers]
        if self.close_connection:
            lines.append("Connection: close")
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head_bytes if head else head_bytes + response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Log to ``logging`` at DEBUG (never headers, so never the key)."""
        logger.debug("stand-in: " + format, *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests are logged by ``_answer`` as method, path and status only."""


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
    >>> with StandinServer("tests/data").start() as srv:  # doctest: +SKIP
    ...     srv.url
    'http://127.0.0.1:41234'
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        port: int = 0,
        api_key: str | None = None,
        latency: float = 0.0,
    ) -> None:
        if api_key is None:
            api_key = secrets.token_urlsafe(24)
        if not isinstance(api_key, str) or not api_key or api_key != api_key.strip():
            raise ValueError("api_key must be a non-empty string without surrounding whitespace")
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, got {port!r}")
        self.data_dir = Path(data_dir) if data_dir is not None else demo_data_dir()
        self.store = _store.load(self.data_dir)
        self.api_key = api_key
        self.api = StandinAPI(self.store, api_key)
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str]] = []
        self._faults: list[_Fault] = []
        self._connections: set[socket.socket] = set()
        self._closed = threading.Event()
        self.latency = 0.0
        self.set_latency(latency)
        try:
            self._httpd = _HTTPServer((HOST, port), _Handler)
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
            f"sessions={len(self.store.sessions)}, {state})"
        )

    # -- counters -----------------------------------------------------------------------------
    def _record(self, method: str, path: str) -> None:
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
        >>> srv.fail_next(2, 403, "Rate limit exceeded", path_prefix="/data/v3/")  # doctest: +SKIP
        """
        self._queue(_Fault("fail", n, path_prefix, status, detail, tuple((headers or {}).items())))

    def drop_next(self, n: int, path_prefix: str | None = None) -> None:
        """Close the connection without any response for the next ``n`` matching requests."""
        self._queue(_Fault("drop", n, path_prefix))

    def clear_faults(self) -> None:
        """Forget every queued failure and drop."""
        with self._lock:
            self._faults.clear()

    def _queue(self, fault: _Fault) -> None:
        if not isinstance(fault.remaining, int) or fault.remaining < 0:
            raise ValueError(f"n must be a non-negative integer, got {fault.remaining!r}")
        if fault.remaining:
            with self._lock:
                self._faults.append(fault)

    def _take_fault(self, path: str) -> _Fault | None:
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
    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

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
    >>> with serve() as srv:  # doctest: +SKIP
    ...     r = requests.get(f"{srv.url}/ai/v1/users/G-20250115025029-vLErWBfQNtnfvgDccFOQ",
    ...                      headers={"x-api-key": srv.api_key})
    ...     r.json()["detail"]
    'success'
    """
    return StandinServer(data_dir, port=port, api_key=api_key, latency=latency).start()
