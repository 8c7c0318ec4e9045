"""A deliberately hostile Asleep API on 127.0.0.1: real sockets, answers as the test tells it.

:class:`HostileServer` serves Get Session, List Sessions and Get User from a
dict of payloads, honestly by default; :meth:`HostileServer.behave` makes
every following answer misbehave in one way:

==================  ==============================================================
``"honest"``        the payload asked for, in the zone asked for
``"other_session"`` another session's payload (``other=<session id>``)
``"other_zone"``    the payload, but saying another zone (``zone=...``)
``"other_user"``    Get User about another user (``user=...``)
``"trickle"``       the answer one byte every ``interval`` s (``part="body"`` or ``"headers"``)
``"gzip_bomb"``     a small gzip body that inflates to ``inflated`` bytes of zeros
``"oversized"``     a body of ``size`` bytes (``declared=False``: no Content-Length)
``"retry_after"``   ``status`` (429, or 403 ``Rate limit exceeded``) with ``Retry-After: value``
``"echo_key"``      ``status`` with a ``detail`` holding the request's key at position ``at``
``"redirect"``      ``status`` (302, 307, ...) to ``location``
``"status"``        ``status`` with ``detail`` (``times=n``: then honest again)
``"sequence"``      the next of ``answers`` (``(status, detail)`` pairs) per request, then honest
``"raw"``           ``status`` with exactly the bytes ``body`` (JSON Content-Type), whatever was asked
==================  ==============================================================

Every request is recorded (path, and whether it carried a key), so a test
can say how many attempts were made and where the key went.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
import tracemalloc
import warnings
import zlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asleep_nb.api.client import Client

__all__ = [
    "HostileServer",
    "gzip_zeros",
    "KEY",
    "MiB",
    "hostile_client",
    "probe",
    "key_fragments",
    "unused_port",
]

#: The key every hostile test sends: 46 characters, one '-', none of them in the filler the server pads with.
KEY = "KEY-" + "s3cr3t" * 7
MiB = 2**20


def hostile_client(server: Any, *, timeout: float = 2.0, **settings: Any) -> Client:
    """A client of ``server`` with :data:`KEY`: no retries, no backoff, a short wait, ``settings`` on top."""
    options = {"timeout": timeout, "max_retries": 0, "backoff_factor": 0.0, "max_wait": 1.0, **settings}
    return Client(KEY, base_url=server.url, **options)


def probe(call: Callable[[], object], *, quiet: bool = False) -> tuple[BaseException | None, float, int]:
    """Run ``call`` (``quiet``: warnings silenced): what it raised, seconds taken, traced memory peak."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore")
            call()
    except BaseException as exc:
        raised: BaseException | None = exc
    else:
        raised = None
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return raised, elapsed, peak


def unused_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (bound, then released).

    Connecting to it is refused; a test server may be started on it.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def key_fragments(text: str, size: int = 5) -> list[str]:
    """The ``size``-character pieces of :data:`KEY` that ``text`` shows."""
    return [KEY[i : i + size] for i in range(len(KEY) - size + 1) if KEY[i : i + size] in text]


_CHUNK = 64 * 1024


@lru_cache(maxsize=4)
def gzip_zeros(inflated: int) -> bytes:
    """A gzip stream of ``inflated`` zero bytes (about 1000 times smaller), built in chunks."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts, left = [], inflated
    while left > 0:  # bounded: ``inflated`` bytes in 1 MiB steps
        step = min(left, len(zeros))
        parts.append(packer.compress(zeros[:step]))
        left -= step
    parts.append(packer.flush())
    return b"".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms Nagle stalls

    def do_GET(self) -> None:
        owner = self.server.owner
        key = self.headers.get("x-api-key", "")
        owner.note(self.path, key)
        mode, options = owner.current()
        try:
            getattr(self, f"_mode_{mode}")(key, **options)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass

    # -- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: Any, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), headers)

    def _honest_body(
        self, zone: str | None = None, session: str | None = None, user: str | None = None
    ) -> tuple:
        owner = self.server.owner
        path, _, _query = self.path.partition("?")
        asked_zone = self.headers.get("timezone", "UTC")
        if path.startswith("/data/v3/sessions/"):
            session_id = session or path.rsplit("/", 1)[1]
            result = copy.deepcopy(owner.payloads.get(session_id))
            if result is None:
                return 404, {"detail": f"Unable to find the sleep session of id {session_id}"}
            result["timezone"] = zone or asked_zone
            return 200, {"detail": "OK", "result": result}
        if path == "/data/v1/sessions":
            items = [
                {
                    "session_id": sid,
                    "state": p["session"]["state"],
                    "session_start_time": p["session"]["start_time"],
                    "session_end_time": p["session"]["end_time"],
                    "created_timezone": p["session"]["created_timezone"],
                    "unexpected_end_time": None,
                    "last_received_seq_num": 1,
                    "time_in_bed": 3600,
                }
                for sid, p in owner.payloads.items()
                if owner.owners.get(sid) == self.headers.get("x-user-id")
            ]
            return 200, {
                "detail": "OK",
                "result": {"timezone": zone or asked_zone, "sleep_session_list": items},
            }
        if path.startswith("/ai/v1/users/"):
            user_id = user or path.rsplit("/", 1)[1]
            result = {"user_id": user_id, "to_be_deleted": False, "last_session_info": None, "metadata": None}
            return 200, {"detail": "success", "result": result}
        return 404, {"detail": "Not Found"}

    # -- behaviours -------------------------------------------------------------------------
    def _mode_honest(self, key: str) -> None:
        self._json(*self._honest_body())

    def _mode_other_session(self, key: str, other: str) -> None:
        self._json(*self._honest_body(session=other))

    def _mode_other_zone(self, key: str, zone: str) -> None:
        self._json(*self._honest_body(zone=zone))

    def _mode_other_user(self, key: str, user: str) -> None:
        self._json(*self._honest_body(user=user))

    def _mode_status(
        self, key: str, status: int, detail: str = "Service Unavailable", times: int = -1
    ) -> None:
        if times == 0:
            self._mode_honest(key)
            return
        self.server.owner.count_down()
        self._json(status, {"detail": detail})

    def _mode_sequence(self, key: str, answers: list[tuple[int, str]]) -> None:
        answer = self.server.owner.next_answer()
        if answer is None:
            self._mode_honest(key)
        else:
            self._json(answer[0], {"detail": answer[1]})

    def _mode_retry_after(
        self, key: str, value: str, status: int = 429, detail: str = "Too Many Requests"
    ) -> None:
        self._json(status, {"detail": detail}, {"Retry-After": value})

    def _mode_echo_key(
        self, key: str, at: int, status: int = 403, raw: bool = False, where: str = "body"
    ) -> None:
        filler = "x" * 400
        detail = filler[:at] + key + filler[at:]
        if where == "reason":  # an empty body: the reason phrase is all there is to show
            self.send_response(status, f"Nope {key}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif where == "content-type":  # a success that is not JSON: its Content-Type is shown
            self._send(200, b"<html></html>", {"Content-Type": f"text/html; key={key}"})
        elif raw:  # not JSON: the key in plain text
            self._send(status, detail.encode())
        else:
            self._json(status, {"detail": detail})

    def _mode_raw(self, key: str, status: int, body: bytes) -> None:
        self._send(status, body)

    def _mode_redirect(self, key: str, location: str, status: int = 302) -> None:
        self._send(status, b"", {"Location": location})

    def _mode_gzip_bomb(self, key: str, inflated: int) -> None:
        body = gzip_zeros(inflated)
        self._send(200, body, {"Content-Encoding": "gzip"})

    def _mode_oversized(self, key: str, size: int, declared: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if declared:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        block = b'{"detail":"OK","result":{"pad":"' + b"x" * _CHUNK
        sent = 0
        while sent < size and not self.server.owner.stopping.is_set():  # bounded by ``size``
            part = block[: min(len(block), size - sent)]
            self.wfile.write(part)
            sent += len(part)

    def _mode_trickle(self, key: str, interval: float, part: str = "body", limit: int = 10_000) -> None:
        status, obj = self._honest_body()
        body = json.dumps(obj).encode()
        head = (
            f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "X-Padding: " + "p" * 200 + "\r\n\r\n"
        ).encode()
        slow, fast = (head, b"") if part == "headers" else (b"", head)
        if fast:
            self.wfile.write(fast)
            self.wfile.flush()
        drip = slow or body
        stop = self.server.owner.stopping
        for i in range(min(len(drip), limit)):  # bounded: ``limit`` bytes at most
            if stop.is_set():
                return
            self.wfile.write(drip[i : i + 1])
            self.wfile.flush()
            time.sleep(interval)
        if slow:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """See the module docs. A context manager; ``url`` is ``http://127.0.0.1:<port>``.

    Parameters
    ----------
    payloads
        Get Session ``result`` objects by session id (their ``timezone`` is set to the zone asked).
    owners
        The user of each session id (List Sessions answers with them).
    """

    def __init__(self, payloads: Mapping[str, dict] | None = None, owners: Mapping[str, str] | None = None):
        self.payloads = dict(payloads or {})
        self.owners = dict(owners or {})
        self.hits: list[tuple[str, bool]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._mode: tuple[str, dict[str, Any]] = ("honest", {})
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def behave(self, mode: str, **options: Any) -> None:
        """Answer every following request in ``mode`` (see the module docs)."""
        if not hasattr(_Handler, f"_mode_{mode}"):
            raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            self._mode = (mode, copy.deepcopy(options))
            self.hits.clear()

    def current(self) -> tuple[str, dict[str, Any]]:
        with self._lock:
            return self._mode[0], dict(self._mode[1])

    def count_down(self) -> None:
        with self._lock:
            options = self._mode[1]
            if options.get("times", -1) > 0:
                options["times"] -= 1

    def next_answer(self) -> tuple[int, str] | None:
        with self._lock:
            answers = self._mode[1].get("answers", [])
            return answers.pop(0) if answers else None

    def note(self, path: str, key: str) -> None:
        with self._lock:
            self.hits.append((path, bool(key)))

    @property
    def attempts(self) -> int:
        """Requests received since the last :meth:`behave`."""
        with self._lock:
            return len(self.hits)
