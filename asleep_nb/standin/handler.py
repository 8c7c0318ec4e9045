"""The HTTP side of the stand-in: an HTTP/1.1 server handing each request to :class:`StandinAPI`.

Connections wait for requests in a :class:`~asleep_nb.standin.connections.WaitingRoom`
(one selector thread) and take one of a bounded pool of worker threads only
while a request is read and answered, so clients that connect and send
nothing cost no thread; when every worker is busy a connection is answered
``503`` with ``Retry-After: 1``.

The handler asks its :class:`~asleep_nb.standin.server.StandinServer` (the
``owner``) for the API, the injected faults and latency, and reports each
request and connection back to it.
"""

from __future__ import annotations

import logging
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from asleep_nb.standin.connections import Address, WaitingRoom
from asleep_nb.standin.responses import JSON_TYPE, Response

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.standin.server import StandinServer

__all__ = ["StandinHTTPServer", "StandinHandler"]

logger = logging.getLogger("asleep_nb.standin")


class StandinHTTPServer(ThreadingHTTPServer):
    """An HTTP server that knows the :class:`StandinServer` it serves for; connections bounded."""

    daemon_threads = True
    request_queue_size = 128
    owner: StandinServer

    def __init__(self, address: Address, handler: type[StandinHandler]) -> None:
        super().__init__(address, handler)
        self.room = WaitingRoom(self._serve_connection)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Let the accepted connection wait for its request (no thread until it has one)."""
        self.room.admit(request, client_address)

    def _serve_connection(self, conn: socket.socket, address: Address) -> bool:
        """Answer the requests readable on ``conn`` (a worker thread); whether to keep it open."""
        handler = StandinHandler(conn, address, self)
        return handler.keep

    def server_close(self) -> None:
        """Stop listening and close every waiting connection."""
        super().server_close()
        room = getattr(self, "room", None)  # None when binding the port failed
        if room is not None:
            room.close()


class StandinHandler(BaseHTTPRequestHandler):
    """Answers each request with the owner's API, or with an injected fault."""

    protocol_version = "HTTP/1.1"
    server_version = "asleep-nb-standin"
    sys_version = ""
    timeout = 10  # seconds a started request may pause (idle connections: connections.IDLE_TIMEOUT)
    server: StandinHTTPServer
    keep = False

    def handle(self) -> None:
        """Answer one request and any the client already sent behind it; set ``keep``."""
        self.close_connection = True
        self.handle_one_request()
        for _ in range(100):  # bounded: pipelined requests already here, else back to the waiting room
            if self.close_connection or not self._more_sent():
                break
            self.handle_one_request()
        self.keep = not self.close_connection

    def _more_sent(self) -> bool:
        """Whether bytes of another request are already buffered or readable (without waiting)."""
        try:
            self.connection.settimeout(0.0)
            return bool(self.rfile.peek(1))  # type: ignore[attr-defined]
        except OSError:
            return False
        finally:
            try:
                self.connection.settimeout(self.timeout)
            except OSError:
                pass

    def setup(self) -> None:
        """Disable Nagle's algorithm and register the connection with the owner."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner.track_connection(self.connection, add=True)

    def finish(self) -> None:
        """Unregister the connection from the owner."""
        try:
            super().finish()
        finally:
            self.server.owner.track_connection(self.connection, add=False)

    def _answer(self) -> None:
        owner = self.server.owner
        method = self.command
        path, _, query = self.path.partition("?")
        owner.note_request(method, path)
        self._drain_body()
        fault = owner.take_fault(path)
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
