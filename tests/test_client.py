"""The client against the stand-in API over a loopback socket (no mocks of requests)."""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from hostile import unused_port

from asleep_nb import errors
from asleep_nb.api.client import Client
from asleep_nb.api.records import SessionResult, SessionState
from asleep_nb.api.retry import retry_policy

MAX_RETRIES = 3
S1 = "20250101000000_s0001"
U1 = "G-20250101000000-UuuuuuuuuuuuuuuuuuuU"


@pytest.fixture
def client(standin_fresh) -> Iterator[Client]:
    with Client(
        standin_fresh.api_key, base_url=standin_fresh.url, backoff_factor=0.01, max_retries=MAX_RETRIES
    ) as c:
        yield c


def session_path(session_id: str) -> str:
    return f"/data/v3/sessions/{session_id}"


# ----------------------------------------------------------------------------- endpoints


def test_get_session_matches_the_published_webhook(client, standin_ids, example_webhook) -> None:
    result = client.get_session(standin_ids.example_session, user_id=standin_ids.example_user)
    assert isinstance(result, SessionResult)
    assert result == SessionResult.from_webhook(example_webhook)
    assert result.user_id == standin_ids.example_user


def test_get_session_payload_is_the_raw_result(client, standin, standin_ids, example_result) -> None:
    payload = client.get_session_payload(standin_ids.example_session, user_id=standin_ids.example_user)
    assert payload == example_result
    assert standin.requests == [("GET", session_path(standin_ids.example_session))]


def test_get_session_in_another_zone_is_the_same_instant(client, standin_ids) -> None:
    utc = client.get_session(standin_ids.example_session, user_id=standin_ids.example_user)
    seoul = client.get_session(
        standin_ids.example_session, user_id=standin_ids.example_user, timezone="Asia/Seoul"
    )
    assert seoul.timezone == "Asia/Seoul"
    assert seoul.session.start_time.utcoffset() == timedelta(hours=9)
    assert seoul.session.start_time == utc.session.start_time
    assert seoul.stat.sleep_time == utc.stat.sleep_time


def test_open_and_two_stage_sessions(client, standin_ids) -> None:
    opened = client.get_session(standin_ids.open_session, user_id=standin_ids.edge_user)
    assert opened.state is SessionState.OPEN and opened.session.end_time is None and opened.stat is None
    two = client.get_session(standin_ids.two_stage_session, user_id=standin_ids.edge_user)
    assert two.is_two_stage and two.stat.time_in_light is None


def test_list_sessions_pages_until_a_short_page(client, standin, standin_ids) -> None:
    items = client.list_sessions(standin_ids.paging_user, order_by="ASC")
    assert len(items) == standin_ids.paging_count == 250
    assert len({s.session_id for s in items}) == 250
    starts = [s.session_start_time for s in items]
    assert starts == sorted(starts) and starts[0] == standin_ids.paging_first_start
    assert standin.request_count == 3  # 100 + 100 + 50


def test_list_sessions_full_last_page_needs_one_more_request(client, standin, standin_ids) -> None:
    first = standin_ids.paging_first_start.date()
    items = client.list_sessions(
        standin_ids.paging_user, date_gte=first, date_lte=first + timedelta(days=199), order_by="DESC"
    )
    assert len(items) == 200
    assert items[0].session_start_time > items[-1].session_start_time
    assert standin.request_count == 3  # 100 + 100 + an empty page


def test_list_sessions_date_bounds_use_the_zone(client, standin_ids) -> None:
    utc = client.list_sessions(standin_ids.seoul_user, date_gte="2025-01-15", date_lte="2025-01-15")
    seoul = client.list_sessions(
        standin_ids.seoul_user, date_gte=date(2025, 1, 15), date_lte=date(2025, 1, 15), timezone="Asia/Seoul"
    )
    assert [s.session_id for s in utc] == []
    assert [s.session_id for s in seoul] == [standin_ids.seoul_late_session]


def test_get_user(client, standin_ids) -> None:
    user = client.get_user(standin_ids.example_user)
    assert user.user_id == standin_ids.example_user and user.to_be_deleted is False
    assert user.metadata.birth_year == 1990 and user.metadata.gender == "other"
    assert user.last_session_info.session_id == standin_ids.example_session
    assert user.last_session_info.start_time == datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)


def test_get_average_stats(client, standin_ids) -> None:
    avg = client.get_average_stats(standin_ids.example_user, "2025-01-01", date(2025, 1, 31))
    assert avg.period == {"start_date": "2025-01-01", "end_date": "2025-01-31"}
    assert avg.average_stats["time_in_sleep"] == 1080
    assert [s["id"] for s in avg.slept_sessions] == [standin_ids.example_session]


# ----------------------------------------------------------------------------- server errors


def test_unknown_session_is_session_not_found(client, standin, standin_ids) -> None:
    missing = "20250115025029_zzzzz"
    with pytest.raises(errors.SessionNotFound) as info:
        client.get_session(missing, user_id=standin_ids.example_user)
    err = info.value
    assert err.status_code == 404
    assert err.detail == f"Unable to find the sleep session of id {missing}"
    assert err.request == f"GET /data/v3/sessions/{missing}"
    assert standin.request_count == 1  # never retried


@pytest.mark.parametrize(
    ("session_id", "user_id", "shown"),
    [
        ("20230608020315_hz82", None, "session id '20230608020315_hz82'"),  # the contract's own bad example
        (None, "not-a-user-id", "user id 'not-a-user-id'"),
        (None, "G-２0250115025029-vLErWBfQNtnfvgDccFOQ", "user id 'G-２0250115025029"),  # a full-width digit
        ("2" * 100_000, None, "... (100000 characters)"),
        (None, "G-20250115025029-vLErWBfQNtnfvgDccFOQ ", "user id"),
    ],
)
def test_ids_that_break_the_contract_format_are_refused_before_any_request(
    client, standin, standin_ids, session_id, user_id, shown
) -> None:
    with pytest.raises(errors.InvalidIdentifier) as info:
        client.get_session(
            session_id or standin_ids.example_session, user_id=user_id or standin_ids.example_user
        )
    assert type(info.value) is errors.InvalidIdentifier and shown in str(info.value)
    assert "contract's format" in str(info.value) and len(str(info.value)) < 250
    assert standin.request_count == 0


def test_unknown_user(client, standin_ids) -> None:
    with pytest.raises(errors.UserNotFound) as info:
        client.get_user(standin_ids.unknown_user)
    assert info.value.detail == "user does not exist" and info.value.status_code == 404
    with pytest.raises(errors.UserNotFound):
        client.get_average_stats(standin_ids.unknown_user, "2025-01-01", "2025-01-02")


def test_wrong_key_is_unauthorized(standin_fresh, standin_ids) -> None:
    with Client("wrong-key", base_url=standin_fresh.url, backoff_factor=0.01) as c:
        with pytest.raises(errors.Unauthorized) as info:
            c.get_user(standin_ids.example_user)
    assert info.value.status_code == 401 and info.value.detail == "Unauthorized"
    assert standin_fresh.request_count == 1


# (status, detail, exception, retried?)
INJECTED = [
    (400, "The invalid timezone is provided", errors.InvalidTimezone, False),
    (400, "The format of x-user-id is invalid", errors.InvalidUserId, False),
    (400, "The format of sleep session id abc is not valid", errors.InvalidSessionId, False),
    (401, "Unauthorized", errors.Unauthorized, False),
    (403, "Rate limit exceeded", errors.RateLimited, True),
    (403, "Quota exceeded", errors.QuotaExceeded, False),
    (403, "Plan is expired", errors.PlanExpired, False),
    (403, "Forbidden", errors.Unauthorized, False),
    (404, "Unable to find the sleep session of id x", errors.SessionNotFound, False),
    (404, "user does not exist", errors.UserNotFound, False),
    (429, "Too Many Requests", errors.RateLimited, True),
    (500, "Internal Server Error", errors.ServerError, True),
    (502, "Bad Gateway", errors.ServerError, True),
    (503, "Service Unavailable", errors.ServerError, True),
    (504, "Gateway Timeout", errors.ServerError, True),
]


@pytest.mark.parametrize(
    ("status", "detail", "exc", "retried"), INJECTED, ids=[f"{c[0]}-{c[1]}" for c in INJECTED]
)
def test_every_documented_error_maps_to_its_exception(
    client, standin, standin_ids, status, detail, exc, retried
) -> None:
    standin.fail_next(10, status, detail)
    with pytest.raises(exc) as info:
        client.get_session(standin_ids.example_session, user_id=standin_ids.example_user)
    err = info.value
    assert isinstance(err, errors.AsleepAPIError)
    assert (err.status_code, err.detail) == (status, detail)
    assert err.request == f"GET /data/v3/sessions/{standin_ids.example_session}"
    assert str(err) == f"HTTP {status}: {detail} (GET /data/v3/sessions/{standin_ids.example_session})"
    assert standin.request_count == (1 + MAX_RETRIES if retried else 1)


def test_404_on_a_user_endpoint_is_user_not_found(client, standin, standin_ids) -> None:
    standin.fail_next(1, 404, "Not Found")
    with pytest.raises(errors.UserNotFound):
        client.get_user(standin_ids.example_user)


@pytest.mark.parametrize(("status", "detail"), [(503, "Service Unavailable"), (403, "Rate limit exceeded")])
def test_transient_errors_are_retried_then_succeed(client, standin, standin_ids, status, detail) -> None:
    standin.fail_next(2, status, detail)
    result = client.get_session(standin_ids.example_session, user_id=standin_ids.example_user)
    assert result.session.id == standin_ids.example_session
    assert standin.request_count == 3


def test_no_retries_when_max_retries_is_zero(standin_fresh, standin_ids) -> None:
    standin_fresh.fail_next(1, 503)
    with Client(standin_fresh.api_key, base_url=standin_fresh.url, max_retries=0) as c:
        with pytest.raises(errors.ServerError):
            c.get_user(standin_ids.example_user)
    assert standin_fresh.request_count == 1


@pytest.mark.parametrize(("status", "detail"), [(429, "Too Many Requests"), (403, "Rate limit exceeded")])
def test_retry_after_is_honoured(client, standin, standin_ids, status, detail) -> None:
    standin.fail_next(1, status, detail, headers={"Retry-After": "1"})
    started = time.monotonic()
    client.get_user(standin_ids.example_user)
    waited = time.monotonic() - started
    assert standin.request_count == 2
    assert waited >= 0.9  # the server asked for one second; backoff alone would be ~0 s


def test_dropped_connections_are_retried(client, standin, standin_ids) -> None:
    standin.drop_next(2)
    assert client.get_user(standin_ids.example_user).user_id == standin_ids.example_user
    assert standin.request_count == 3


def test_dropped_connections_end_in_transport_error(client, standin, standin_ids) -> None:
    standin.drop_next(10)
    with pytest.raises(errors.TransportError) as info:
        client.get_user(standin_ids.example_user)
    assert info.value.status_code is None
    assert info.value.request == f"GET /ai/v1/users/{standin_ids.example_user}"
    assert isinstance(info.value, ConnectionError)
    assert standin.request_count == 1 + MAX_RETRIES


def test_timeouts_end_in_transport_error(standin_fresh, standin_ids) -> None:
    standin_fresh.set_latency(0.5)
    with Client(standin_fresh.api_key, base_url=standin_fresh.url, timeout=0.1, max_retries=1) as c:
        with pytest.raises(errors.DeadlineExceeded, match=r"0\.1 s deadline of an attempt \(2 attempts\)"):
            c.get_user(standin_ids.example_user)
    standin_fresh.set_latency(0)
    time.sleep(0.6)  # let the server finish answering before counting
    assert standin_fresh.request_count == 2


def test_connection_refused_is_transport_error(standin_ids) -> None:
    port = unused_port()
    with Client("k", base_url=f"http://127.0.0.1:{port}", backoff_factor=0.01, max_retries=2) as c:
        with pytest.raises(errors.TransportError, match="no response after 3 attempts: ConnectionError"):
            c.get_user(standin_ids.example_user)


# ----------------------------------------------------------------------------- checks before any request

BAD_IDS = ["", "a/b", "..", "../etc", ".", "a b", " a", "a\tb", "a\nb", "a\x00b", "x?y", "x#y", "%2e%2e",
           "a\\b", "a\u200bb", 123, None]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_unsafe_ids_are_rejected_before_any_request(client, standin, standin_ids, bad) -> None:
    user, session = standin_ids.example_user, standin_ids.example_session
    calls = [
        lambda: client.get_session(bad, user_id=user),
        lambda: client.get_session(session, user_id=bad),
        lambda: client.get_session_payload(bad, user_id=user),
        lambda: client.list_sessions(bad),
        lambda: client.get_user(bad),
        lambda: client.get_average_stats(bad, "2025-01-01", "2025-01-02"),
    ]
    for call in calls:
        with pytest.raises(errors.InvalidIdentifier) as info:
            call()
        assert info.value.status_code is None
        assert "id" in info.value.detail
    assert standin.request_count == 0


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (lambda c, u, s: c.get_session(s, user_id=u, timezone="Mars/Olympus"), errors.InvalidTimezone),
        (lambda c, u, s: c.get_session(s, user_id=u, timezone="+09:00"), errors.InvalidTimezone),
        (lambda c, u, s: c.list_sessions(u, timezone="utc "), errors.InvalidTimezone),
        (lambda c, u, s: c.get_session(s, user_id=u, timezone="posixrules"), errors.InvalidTimezone),
        (lambda c, u, s: c.get_session(s, user_id=u, timezone="Factory"), errors.InvalidTimezone),
        (lambda c, u, s: c.get_session(s, user_id=u, timezone="localtime"), errors.InvalidTimezone),
        (lambda c, u, s: c.get_session(s, user_id=u, timezone="right/UTC"), errors.InvalidTimezone),
        (lambda c, u, s: c.list_sessions(u, timezone="posix/Asia/Seoul"), errors.InvalidTimezone),
        (lambda c, u, s: c.list_sessions(u, timezone="Asia/" + "x" * 100_000), errors.InvalidTimezone),
        (lambda c, u, s: c.list_sessions(u, order_by="asc"), ValueError),
        (lambda c, u, s: c.list_sessions(u, date_gte="2025-1-1"), ValueError),
        (lambda c, u, s: c.list_sessions(u, date_gte="2025-02-30"), ValueError),
        (lambda c, u, s: c.list_sessions(u, date_gte=datetime(2025, 1, 1)), TypeError),
        (lambda c, u, s: c.list_sessions(u, date_gte=20250101), TypeError),
        (lambda c, u, s: c.list_sessions(u, date_gte="2025-01-02", date_lte="2025-01-01"), ValueError),
        (lambda c, u, s: c.get_average_stats(u, "2025-01-01", "2025-04-12"), ValueError),
        (lambda c, u, s: c.get_average_stats(u, "2025-01-02", "2025-01-01"), ValueError),
        (lambda c, u, s: c.get_average_stats(u, "2025-01-01", "2025-01-02", timezone="Nowhere"), ValueError),
    ],
)
def test_bad_arguments_are_rejected_before_any_request(client, standin, standin_ids, call, exc) -> None:
    with pytest.raises(exc):
        call(client, standin_ids.example_user, standin_ids.example_session)
    assert standin.request_count == 0


def test_period_of_exactly_100_days_is_allowed(client, standin_ids) -> None:
    client.get_average_stats(standin_ids.example_user, "2025-01-01", "2025-04-11")


# ----------------------------------------------------------------------------- construction and secrecy


def test_no_key_is_unauthorized_at_construction(monkeypatch) -> None:
    monkeypatch.delenv("ASLEEP_API_KEY", raising=False)
    with pytest.raises(errors.Unauthorized, match="No API key: pass api_key= or set ASLEEP_API_KEY"):
        Client()


def test_key_and_base_url_from_the_environment(monkeypatch, standin_fresh, standin_ids) -> None:
    monkeypatch.setenv("ASLEEP_API_KEY", standin_fresh.api_key)
    monkeypatch.setenv("ASLEEP_BASE_URL", standin_fresh.url + "/")
    with Client() as c:
        assert c.base_url == standin_fresh.url
        assert c.get_user(standin_ids.example_user).user_id == standin_ids.example_user


def test_default_base_url(monkeypatch) -> None:
    monkeypatch.delenv("ASLEEP_BASE_URL", raising=False)
    with Client("k") as c:
        assert c.base_url == "https://api.asleep.ai"


@pytest.mark.parametrize("key", ["line\nbreak-secret", "tab\tsecret", "sp ace-secret", "naïve-secret"])
def test_unusable_keys_are_refused_without_echoing_them(key) -> None:
    with pytest.raises(errors.Unauthorized) as info:
        Client(key, base_url="http://127.0.0.1:9")
    assert "secret" not in str(info.value) and "secret" not in repr(info.value)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"base_url": "api.asleep.ai"}, "http(s) URL"),
        ({"base_url": "ftp://x"}, "http(s) URL"),
        ({"base_url": "https://user:pw@api.asleep.ai"}, "credentials"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"backoff_factor": -0.1}, "backoff_factor"),
        ({"timeout": float("inf")}, "timeout"),
        ({"max_wait": -1}, "max_wait"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"max_inflated_bytes": 1.5}, "max_inflated_bytes"),
    ],
)
def test_bad_settings(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Client("k", **kwargs)


def test_retry_policy() -> None:
    policy = retry_policy(4, 0.25, 30.0)
    assert policy.total == 4 and policy.backoff_factor == 0.25 and policy.backoff_jitter == 0.25
    assert policy.backoff_max == 30.0 and (policy.connect, policy.read, policy.status) == (None, None, None)
    assert policy.allowed_methods == frozenset({"GET"})
    assert {429, 500, 502, 503, 504} <= set(policy.status_forcelist)
    assert not {400, 401, 403, 404} & set(policy.status_forcelist)
    assert policy.respect_retry_after_header and not policy.raise_on_status


def test_the_key_never_shows(standin_fresh, standin_ids, caplog) -> None:
    key = standin_fresh.api_key
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []
    with Client(key, base_url=standin_fresh.url, backoff_factor=0.01, max_retries=1) as c:
        shown += [repr(c), str(c)]
        c.get_session(standin_ids.example_session, user_id=standin_ids.example_user)
        faults = [
            lambda: standin_fresh.fail_next(1, 403, f"Quota exceeded for key {key}"),  # a server echoing it
            lambda: standin_fresh.fail_next(2, 503),
            lambda: standin_fresh.fail_next(1, 401, "Unauthorized"),
            lambda: standin_fresh.drop_next(2),
        ]
        for inject in faults:
            inject()
            with pytest.raises(errors.AsleepAPIError) as info:
                c.get_user(standin_ids.example_user)
            shown += [str(info.value), repr(info.value), info.value.detail, str(info.value.request)]
    assert any("<api key>" in text for text in shown)
    assert all(key not in text for text in shown)
    assert "GET /ai/v1/users/" in caplog.text
    assert key not in caplog.text
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(Client(key, base_url=standin_fresh.url))


def test_client_logs_method_path_and_status(client, standin_ids, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="asleep_nb.api.client")
    client.get_user(standin_ids.example_user)
    records = [r for r in caplog.records if r.name == "asleep_nb.api.client"]
    assert [r.getMessage() for r in records] == [f"GET /ai/v1/users/{standin_ids.example_user} -> 200"]


# ----------------------------------------------------------------------------- malformed responses


class _Canned(BaseHTTPRequestHandler):
    """Answers every GET with the next canned (status, headers, body) of the server."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        status, headers, body = self.server.answer(self.path)
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.daemon_threads = True
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _json(obj: Any, status: int = 200) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("answer", "field", "words"),
    [
        ((200, {"Content-Type": "text/html"}, b"<html>hello</html>"), "response", "not JSON"),
        (_json(["OK"]), "response", "expected a JSON object"),
        (_json({"detail": "OK"}), "result", "missing from the response envelope"),
        (_json({"detail": "OK", "result": "none"}), "result", "expected an object"),
        (_json({"detail": "OK", "result": {"timezone": "UTC"}}), "session.id", "missing or not a string"),
        (
            _json({"detail": "OK", "result": {"timezone": "UTC", "session": {"id": S1}}}),
            "peculiarities",
            "required key is missing",
        ),
    ],
)
def test_malformed_responses_are_payload_errors(canned, answer, field, words) -> None:
    canned.answer = lambda path: answer
    with Client("k", base_url=f"http://127.0.0.1:{canned.server_port}") as c:
        with pytest.raises(errors.PayloadError) as info:
            c.get_session(S1, user_id=U1)
    assert info.value.field == field and words in info.value.reason
    assert info.value.request == f"GET /data/v3/sessions/{S1}"
    assert info.value.status_code == 200


def test_bad_stage_value_from_the_server_names_the_field(canned, example_result) -> None:
    bad = json.loads(json.dumps(example_result))
    bad["session"]["sleep_stages"][12] = 7
    canned.answer = lambda path: _json({"detail": "OK", "result": bad})
    with Client("k", base_url=f"http://127.0.0.1:{canned.server_port}") as c:
        with pytest.raises(errors.PayloadError) as info:
            c.get_session("20250115025029_fvivn", user_id=U1)
        assert c.get_session_payload("20250115025029_fvivn", user_id=U1) == bad  # raw: not validated
    assert str(info.value) == (
        "HTTP 200: session.sleep_stages[12]: value 7 is not a sleep stage code (-1, 0, 1, 2, 3) "
        "(GET /data/v3/sessions/20250115025029_fvivn)"
    )


def test_error_without_json_body_keeps_the_status(canned) -> None:
    canned.answer = lambda path: (502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>")
    with Client(
        "k", base_url=f"http://127.0.0.1:{canned.server_port}", max_retries=1, backoff_factor=0.01
    ) as c:
        with pytest.raises(errors.ServerError) as info:
            c.get_user(U1)
    assert info.value.status_code == 502 and "bad gateway" in info.value.detail
    assert len(canned.hits) == 2


def test_redirects_are_not_followed(canned) -> None:
    canned.answer = lambda path: (302, {"Location": "http://example.invalid/steal"}, b"")
    with Client("k", base_url=f"http://127.0.0.1:{canned.server_port}") as c:
        with pytest.raises(errors.ServerError) as info:
            c.get_user(U1)
    assert info.value.status_code == 302
    assert canned.hits == [f"/ai/v1/users/{U1}"]


def test_a_server_that_ignores_offset_is_caught(canned) -> None:
    item = {
        "session_id": "s",
        "state": "COMPLETE",
        "session_start_time": "2025-01-15T02:50:29+00:00",
        "session_end_time": None,
        "created_timezone": "UTC",
        "unexpected_end_time": None,
        "last_received_seq_num": 0,
        "time_in_bed": None,
    }
    page = {"detail": "OK", "result": {"timezone": "UTC", "sleep_session_list": [item] * 100}}
    canned.answer = lambda path: _json(page)
    with Client("k", base_url=f"http://127.0.0.1:{canned.server_port}") as c:
        with pytest.raises(errors.PayloadError, match="repeats the previous page"):
            c.list_sessions(U1)
    assert len(canned.hits) == 2


def test_list_item_errors_name_the_item(canned) -> None:
    page = {"detail": "OK", "result": {"timezone": "UTC", "sleep_session_list": [{"session_id": "s"}]}}
    canned.answer = lambda path: _json(page)
    with Client("k", base_url=f"http://127.0.0.1:{canned.server_port}") as c:
        with pytest.raises(errors.PayloadError) as info:
            c.list_sessions(U1)
    assert info.value.field.startswith("sleep_session_list[0].")
    assert "offset=0" in canned.hits[0] and "limit=100" in canned.hits[0]


def test_get_session_sets_user_id_without_touching_the_rest(client, standin_ids) -> None:
    result = client.get_session(standin_ids.example_session, user_id=standin_ids.example_user)
    bare = SessionResult.from_payload(dict(result.payload))
    assert dataclasses.replace(bare, user_id=standin_ids.example_user) == result


class _ForwardProxy(BaseHTTPRequestHandler):
    """A forward proxy that only records what it is asked for and answers 502."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def forward_proxy() -> Iterator[str]:
    _ForwardProxy.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ForwardProxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_environment_proxies_are_honoured_as_they_were_when_the_client_was_made(
    standin, standin_ids, forward_proxy, monkeypatch
) -> None:
    ids = standin_ids
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", forward_proxy)
    proxied = Client(api_key=standin.api_key, base_url=standin.url, max_retries=0)
    with pytest.raises(errors.ServerError):
        proxied.get_session(ids.example_session, user_id=ids.example_user)
    assert _ForwardProxy.seen == [f"{standin.url}/data/v3/sessions/{ids.example_session}"]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = Client(api_key=standin.api_key, base_url=standin.url, max_retries=0)
    assert direct.get_session(ids.example_session, user_id=ids.example_user).session.id == ids.example_session
    monkeypatch.delenv("NO_PROXY")  # read once, when the client was made: later changes do not reach it
    assert direct.get_session(ids.example_session, user_id=ids.example_user).session.id == ids.example_session
    assert len(_ForwardProxy.seen) == 1
    proxied.close()
    direct.close()
