"""The stand-in under a slow-client flood: hundreds of half-open connections cost no thread.

Connections are made by the test on 127.0.0.1 and never send a byte (or
send half a request line); a well-behaved client must still be answered
within a bound, the stand-in's thread count must stay bounded, idle
connections must be closed after the idle timeout, and a client finding
every worker busy gets ``503`` with ``Retry-After`` at once.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from conftest import IDS

from asleep_nb.api.client import Client
from asleep_nb.standin import serve
from asleep_nb.standin.connections import IDLE_TIMEOUT, MAX_WORKERS

FLOOD = 400


def _open(port: int, n: int, first_bytes: bytes = b"") -> list[socket.socket]:
    socks = []
    for _ in range(n):  # bounded: n connections
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if first_bytes:
            sock.sendall(first_bytes)
        socks.append(sock)
    return socks


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # bounded in time
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_a_flood_of_half_open_connections_leaves_well_behaved_clients_served(standin_data_dir) -> None:
    with serve(standin_data_dir) as srv:
        threads_before = threading.active_count()
        silent = _open(srv.port, FLOOD)
        slow = _open(srv.port, FLOOD // 4, b"GET /ai/v1/users/")  # half a request line, then nothing
        try:
            assert _wait_until(lambda: srv.connections.waiting() >= FLOOD, 5)
            with Client(srv.api_key, base_url=srv.url, timeout=5.0, max_retries=0) as client:
                for _ in range(5):  # bounded: five calls, each timed
                    started = time.monotonic()
                    result = client.get_session(IDS.example_session, user_id=IDS.example_user)
                    assert result.session.id == IDS.example_session
                    assert time.monotonic() - started < 1.0
            # no thread per connection: the workers (slow clients hold some) plus the selector
            assert threading.active_count() - threads_before <= MAX_WORKERS + 2
        finally:
            for sock in silent + slow:
                sock.close()
        # closed silent ones go at once; half a head then a close is only seen at the idle timeout
        assert _wait_until(lambda: srv.connections.waiting() <= FLOOD // 4, 5)
        srv.connections.idle_timeout = 0.5
        assert _wait_until(lambda: srv.connections.waiting() == 0, 5)


def test_idle_connections_are_closed_after_the_idle_timeout(standin_data_dir) -> None:
    assert IDLE_TIMEOUT <= 30  # was 120 s per connection thread
    with serve(standin_data_dir) as srv:
        srv.connections.idle_timeout = 0.5
        socks = _open(srv.port, 20)
        try:
            started = time.monotonic()
            for sock in socks:
                sock.settimeout(3)
                assert sock.recv(1) == b""  # the server closed it
            assert 0.4 < time.monotonic() - started < 3
        finally:
            for sock in socks:
                sock.close()


def test_every_worker_busy_is_a_503_with_retry_after_at_once(standin_data_dir) -> None:
    with serve(standin_data_dir, latency=1.0) as srv:
        srv.connections.max_workers = 2
        url = f"{srv.url}/ai/v1/users/{IDS.example_user}"
        headers = {"x-api-key": srv.api_key}
        answers: list[int] = []
        busy = [
            threading.Thread(
                target=lambda: answers.append(requests.get(url, headers=headers, timeout=5).status_code)
            )
            for _ in range(2)
        ]
        for thread in busy:
            thread.start()
        assert _wait_until(lambda: srv.request_count == 2, 3)
        started = time.monotonic()
        refused = requests.get(url, headers=headers, timeout=5)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert time.monotonic() - started < 0.5
        for thread in busy:
            thread.join(5)
        assert answers == [200, 200]
        srv.set_latency(0)
        with Client(srv.api_key, base_url=srv.url, max_retries=2) as client:  # it honours Retry-After
            assert client.get_user(IDS.example_user).user_id == IDS.example_user


@pytest.mark.parametrize("pipelined", [1, 3])
def test_keep_alive_and_pipelined_requests_are_all_answered(standin_data_dir, pipelined) -> None:
    with serve(standin_data_dir) as srv:
        request = (
            f"GET /ai/v1/users/{IDS.example_user} HTTP/1.1\r\nHost: x\r\nx-api-key: {srv.api_key}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            for _ in range(2):  # two rounds on one connection: it went back to waiting in between
                sock.sendall(request * pipelined)
                received = b""
                while received.count(b"HTTP/1.1 200") < pipelined or not received.endswith(b"}"):
                    chunk = sock.recv(65536)  # bounded by the 5 s timeout
                    assert chunk, received
                    received += chunk
                assert received.count(b"HTTP/1.1 200") == pipelined
