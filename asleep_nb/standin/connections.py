"""The stand-in's connections: idle ones wait in one selector, only requests take a worker thread.

A thread per connection lets a few thousand clients that connect and send
nothing (or keep an idle keep-alive connection) hold a few thousand threads.
Here a connection holds a worker only while a request is read and answered:

- every accepted connection, and every keep-alive connection between two
  requests, waits in a :class:`WaitingRoom` (one thread, one ``selectors``
  selector) until the whole head of a request has arrived (seen with
  ``MSG_PEEK``, so nothing is consumed: a client sending half a request line
  and stopping holds no worker); one that stays idle or incomplete longer
  than :data:`IDLE_TIMEOUT` is closed;
- a connection with bytes to read goes to a worker thread, at most
  :data:`MAX_WORKERS` at once; when all are busy it is answered ``503`` with
  ``Retry-After: 1`` and closed at once, never queued without bound;
- at most :data:`MAX_WAITING` connections wait; past that, new ones get the
  same ``503``.

So a flood of half-open connections costs one file descriptor each and no
thread, and a well-behaved client is served while it lasts.

Examples
--------
>>> room = WaitingRoom(lambda conn, address: False, idle_timeout=1.0)
>>> room.waiting(), room.max_workers
(0, 64)
>>> room.close()
"""

from __future__ import annotations

import queue
import selectors
import socket
import threading
import time
from collections.abc import Callable

__all__ = ["IDLE_TIMEOUT", "MAX_WORKERS", "MAX_WAITING", "BUSY_RESPONSE", "WaitingRoom"]

#: Seconds a connection may wait for its first request, or between two requests, before it is closed.
IDLE_TIMEOUT = 15.0
#: Requests handled at once (worker threads).
MAX_WORKERS = 64
#: Connections that may wait for a request at once.
MAX_WAITING = 4096
#: Bytes of a request head looked at before it goes to a worker anyway (which then refuses it).
HEAD_MAX = 65536
#: Seconds between two looks at connections that sent part of a request head.
_PARTIAL_POLL = 0.02
_BUSY_BODY = b'{"detail":"Service Unavailable: too many clients, retry in a second"}'
#: The answer when no worker is free or too many connections wait.
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\nContent-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)

Address = tuple[str, int]
#: ``(socket, address) -> keep``: handle the requests readable on a connection; ``True`` to keep it.
Handle = Callable[[socket.socket, Address], bool]


class WaitingRoom:
    """Idle connections in one selector thread; readable ones handed to at most ``max_workers`` threads.

    Parameters
    ----------
    handle
        Called in a worker thread with a connection that has bytes to read;
        returns whether the connection stays open (keep-alive): it then waits
        here again, else it is closed.
    idle_timeout, max_workers, max_waiting
        See the module constants.
    """

    def __init__(
        self,
        handle: Handle,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_workers: int = MAX_WORKERS,
        max_waiting: int = MAX_WAITING,
    ) -> None:
        self._handle = handle
        self.idle_timeout = idle_timeout
        self.max_waiting = max_waiting
        self.max_workers = max_workers
        self._jobs: queue.SimpleQueue[tuple[socket.socket, Address] | None] = queue.SimpleQueue()
        self._started = 0  # worker threads started (they live until close)
        self._idle = 0  # of which waiting for a job
        self._selector = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._incoming: list[tuple[socket.socket, Address]] = []
        self._partial: dict[socket.socket, Address] = {}  # sent part of a head: looked at again
        self._since: dict[socket.socket, float] = {}
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._wake_write.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="asleep-nb-standin-waiting", daemon=True)
        self._thread.start()

    def waiting(self) -> int:
        """Connections waiting for a request now."""
        with self._lock:
            return len(self._since) + len(self._incoming)

    def admit(self, conn: socket.socket, address: Address) -> None:
        """Let ``conn`` wait for its next request (or refuse it with a 503 when too many wait)."""
        with self._lock:
            full = self._closed.is_set() or len(self._since) + len(self._incoming) >= self.max_waiting
            if not full:
                self._incoming.append((conn, address))
        if full:
            _refuse(conn)
            return
        try:
            self._wake_write.send(b"\0")
        except OSError:  # the wake-up buffer is full: the loop is awake anyway
            pass

    def close(self) -> None:
        """Close every waiting connection and stop the selector thread."""
        self._closed.set()
        try:
            self._wake_write.send(b"\0")
        except OSError:
            pass
        with self._lock:
            workers = self._started
        for _ in range(workers):
            self._jobs.put(None)
        self._thread.join(timeout=5)

    # -- the selector thread ------------------------------------------------------------------
    def _run(self) -> None:
        addresses: dict[socket.socket, Address] = {}
        try:
            while not self._closed.is_set():  # ends on close(); each pass waits at most 0.25 s
                wait = _PARTIAL_POLL if self._partial else 0.25
                for key, _ in self._selector.select(timeout=wait):
                    conn = key.fileobj
                    if conn is self._wake_read:
                        self._drain_wake()
                        continue
                    assert isinstance(conn, socket.socket)
                    self._selector.unregister(conn)
                    self._partial[conn] = addresses.pop(conn)
                for conn in list(self._partial):  # bounded: the connections with bytes waiting
                    self._look(conn)
                self._take_incoming(addresses)
                self._expire(addresses)
        finally:
            with self._lock:
                left = list(self._since) + [conn for conn, _ in self._incoming] + list(self._partial)
                self._since.clear()
                self._incoming.clear()
            for conn in left:
                _close(conn)
            self._selector.close()
            self._wake_read.close()
            self._wake_write.close()

    def _look(self, conn: socket.socket) -> None:
        """Hand ``conn`` to a worker once a whole request head (or the end) is there; else keep it."""
        try:
            conn.settimeout(0.0)
            head = conn.recv(HEAD_MAX, socket.MSG_PEEK)
        except BlockingIOError:
            return
        except OSError:
            head = b""
        if head and b"\r\n\r\n" not in head and len(head) < HEAD_MAX:
            return  # part of a head: looked at again until it is whole or the idle timeout passes
        address = self._partial.pop(conn)
        with self._lock:
            self._since.pop(conn, None)
        if head:
            self._dispatch(conn, address)
        else:  # the client closed (or reset) the connection
            _close(conn)

    def _drain_wake(self) -> None:
        try:
            while self._wake_read.recv(4096):  # bounded: the buffer holds a few kilobytes
                pass
        except OSError:
            pass

    def _take_incoming(self, addresses: dict[socket.socket, Address]) -> None:
        with self._lock:
            incoming, self._incoming = self._incoming, []
            now = time.monotonic()
            for conn, _ in incoming:
                self._since[conn] = now
        for conn, address in incoming:
            try:
                self._selector.register(conn, selectors.EVENT_READ)
            except (ValueError, OSError):  # closed meanwhile
                with self._lock:
                    self._since.pop(conn, None)
                continue
            addresses[conn] = address

    def _expire(self, addresses: dict[socket.socket, Address]) -> None:
        limit = time.monotonic() - self.idle_timeout
        with self._lock:
            stale = [conn for conn, since in self._since.items() if since < limit]
            for conn in stale:
                del self._since[conn]
        for conn in stale:
            if self._partial.pop(conn, None) is None:
                self._selector.unregister(conn)
                addresses.pop(conn, None)
            _close(conn)

    def _dispatch(self, conn: socket.socket, address: Address) -> None:
        with self._lock:
            start = busy = False
            if self._idle > 0:
                self._idle -= 1
            elif self._started < self.max_workers:
                self._started += 1
                start = True
            else:
                busy = True
        if busy:
            _refuse(conn)
            return
        self._jobs.put((conn, address))
        if start:
            threading.Thread(target=self._worker, name="asleep-nb-standin-worker", daemon=True).start()

    def _worker(self) -> None:
        while (job := self._jobs.get()) is not None:  # ends on close(): one None per worker
            conn, address = job
            keep = False
            try:
                keep = self._handle(conn, address)
            except Exception:  # the handler logs its own failures; never lose the worker
                keep = False
            if keep and not self._closed.is_set():
                self.admit(conn, address)
            else:
                _close(conn)
            with self._lock:
                self._idle += 1


def _refuse(conn: socket.socket) -> None:
    """Answer 503 with ``Retry-After`` without waiting on the client, then close."""
    try:
        conn.setblocking(False)
        conn.send(BUSY_RESPONSE)
    except OSError:
        pass
    _close(conn)


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
