"""Contract tests of the stand-in API: real HTTP over a loopback socket."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime
from http.client import HTTPConnection
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from asleep_nb.definitions.identifiers import format_session_id, is_session_id, is_user_id
from asleep_nb.errors import InvalidIdentifier, PayloadError
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin import load, serve, write_session, write_user
from asleep_nb.standin.averages import circular_mean_clock

EXAMPLE_PATH = "/data/v3/sessions/20250115025029_fvivn"


@pytest.fixture(scope="module")
def web():
    with requests.Session() as session:
        yield session


def headers(srv, user_id=None, timezone=None, key=None):
    out = {"x-api-key": srv.api_key if key is None else key}
    if user_id is not None:
        out["x-user-id"] = user_id
    if timezone is not None:
        out["timezone"] = timezone
    return out


def get(web, srv, path, *, user_id=None, timezone=None, key=None, params=None):
    return web.get(srv.url + path, headers=headers(srv, user_id, timezone, key), params=params, timeout=10)


def get_session(web, srv, session_id, user_id, timezone="UTC"):
    r = get(web, srv, f"/data/v3/sessions/{session_id}", user_id=user_id, timezone=timezone)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def list_sessions(web, srv, user_id, timezone="UTC", **params):
    r = get(web, srv, "/data/v1/sessions", user_id=user_id, timezone=timezone, params=params)
    assert r.status_code == 200, r.text
    return r.json()["result"]["sleep_session_list"]


# -- Get Session: the published example, envelopes, headers ------------------------------------
def test_published_example_comes_back_exactly(web, standin, standin_ids, example_result):
    r = get(web, standin, EXAMPLE_PATH, user_id=standin_ids.example_user, timezone="UTC")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert r.json() == {"detail": "OK", "result": example_result}


def test_timezone_header_defaults_to_utc(web, standin, standin_ids, example_result):
    r = get(web, standin, EXAMPLE_PATH, user_id=standin_ids.example_user)
    assert r.json()["result"] == example_result


def test_example_in_seoul(web, standin, standin_ids, example_result):
    result = get_session(web, standin, "20250115025029_fvivn", standin_ids.example_user, "Asia/Seoul")
    assert result["timezone"] == "Asia/Seoul"
    assert result["session"]["start_time"] == "2025-01-15T11:50:29+09:00"
    assert result["session"]["end_time"] == "2025-01-15T12:50:29+09:00"
    assert result["stat"]["sleep_time"] == "2025-01-15T12:05:29+09:00"
    assert result["stat"]["wake_time"] == "2025-01-15T12:26:29+09:00"
    # everything but the times is untouched
    assert result["session"]["sleep_stages"] == example_result["session"]["sleep_stages"]
    assert result["stat"]["time_in_sleep"] == example_result["stat"]["time_in_sleep"]


# -- the error table -----------------------------------------------------------------------------
S = "/data/v3/sessions/{example_session}"
BAD_USER = "The format of x-user-id is invalid"
BAD_ZONE = "The invalid timezone is provided"

# (name, path, header overrides (None removes), status, detail); "{...}" are fields of StandinIds
ERROR_TABLE = [
    ("missing key", S, {"x-api-key": None}, 401, "Unauthorized"),
    ("wrong key", S, {"x-api-key": "wrong"}, 401, "Unauthorized"),
    ("missing user", S, {"x-user-id": None}, 400, BAD_USER),
    ("bad user", S, {"x-user-id": "G-123"}, 400, BAD_USER),
    ("bad user letters", S, {"x-user-id": "G-20250115025029-vLErWBfQNtnfvgDccFO1"}, 400, BAD_USER),
    ("bad zone", S, {"timezone": "Mars/Olympus"}, 400, BAD_ZONE),
    ("offset zone", S, {"timezone": "+09:00"}, 400, BAD_ZONE),
    ("empty zone", S, {"timezone": ""}, 400, BAD_ZONE),
    (
        "short session id",
        "/data/v3/sessions/20230608020315_hz82",
        {},
        400,
        "The format of sleep session id 20230608020315_hz82 is not valid",
    ),
    (
        "upper-case session id",
        "/data/v3/sessions/20250115025029_FVIVN",
        {},
        400,
        "The format of sleep session id 20250115025029_FVIVN is not valid",
    ),
    (
        "unknown session",
        "/data/v3/sessions/20250115025029_zzzzz",
        {},
        404,
        "Unable to find the sleep session of id 20250115025029_zzzzz",
    ),
    (
        "another user's session",
        "/data/v3/sessions/{paris_session}",
        {},
        404,
        "Unable to find the sleep session of id {paris_session}",
    ),
    # the order of checks: key, user id, timezone, session id format, lookup
    ("key before user", S, {"x-api-key": "w", "x-user-id": "x"}, 401, "Unauthorized"),
    ("user before zone", S, {"x-user-id": "x", "timezone": "Nowhere"}, 400, BAD_USER),
    ("zone before session id", "/data/v3/sessions/nope", {"timezone": "Nowhere"}, 400, BAD_ZONE),
    (
        "session id before lookup",
        "/data/v3/sessions/nope",
        {},
        400,
        "The format of sleep session id nope is not valid",
    ),
    ("list: missing key", "/data/v1/sessions", {"x-api-key": None}, 401, "Unauthorized"),
    ("list: bad user", "/data/v1/sessions", {"x-user-id": "bad"}, 400, BAD_USER),
    ("list: bad zone", "/data/v1/sessions", {"timezone": "Seoul"}, 400, BAD_ZONE),
    ("user: wrong key", "/ai/v1/users/{example_user}", {"x-api-key": "wrong"}, 401, "Unauthorized"),
    ("user: bad zone", "/ai/v1/users/{example_user}", {"timezone": "Nowhere"}, 400, BAD_ZONE),
    ("user: unknown", "/ai/v1/users/{unknown_user}", {}, 404, "user does not exist"),
    ("user: malformed", "/ai/v1/users/someone", {}, 404, "user does not exist"),
    (
        "stats: wrong key",
        "/data/v1/users/{example_user}/average-stats",
        {"x-api-key": "w"},
        401,
        "Unauthorized",
    ),
    ("unknown path", "/data/v2/sessions/x", {}, 404, "Not Found"),
    ("root without key", "/", {"x-api-key": None}, 404, "Not Found"),
]


@pytest.mark.parametrize(
    ("path", "overrides", "status", "detail"), [c[1:] for c in ERROR_TABLE], ids=[c[0] for c in ERROR_TABLE]
)
def test_error_table(web, standin, standin_ids, path, overrides, status, detail):
    fields = dataclasses.asdict(standin_ids)
    h = headers(standin, standin_ids.example_user, "UTC")
    h.update(overrides)
    h = {k: v for k, v in h.items() if v is not None}
    r = web.get(standin.url + path.format(**fields), headers=h, timeout=10)
    assert (r.status_code, r.json()) == (status, {"detail": detail.format(**fields)})
    assert r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Content-Length"]) == len(r.content)


ID_PROBES = [
    "20250115025029_fvivn",
    "20250115025029_fviv",
    "20250115025029_fvivn0",
    "20250115025029-fvivn",
    "2025011502502_fvivn0",
    "20250115025029_fv-vn",
    "20250115025029_FVIVN",
    "G-20250115025029-vLErWBfQNtnfvgDccFOQ",
    "G-20250115025029-vLErWBfQNtnfvgDccFO1",
    "G-20250115025029-vLErWBfQNtnfvgDccFO",
    "g-20250115025029-vLErWBfQNtnfvgDccFOQ",
]


@pytest.mark.parametrize("probe", ID_PROBES)
def test_the_standin_checks_ids_with_the_one_definition(web, standin, standin_ids, probe):
    # the session id in the path: 400 exactly when definitions.identifiers says it is malformed
    r = get(web, standin, f"/data/v3/sessions/{probe}", user_id=standin_ids.example_user)
    assert (r.status_code == 400) == (not is_session_id(probe)), r.text
    # the user id header: 400 exactly when it is malformed (otherwise the lookup decides)
    r = get(web, standin, EXAMPLE_PATH, user_id=probe)
    assert (r.json()["detail"] == BAD_USER) == (not is_user_id(probe)), r.text


def test_identifier_formats_round_trip():
    start = datetime.fromisoformat("2025-01-15T11:50:29+09:00")
    assert format_session_id(start, "fvivn") == "20250115025029_fvivn"
    with pytest.raises(InvalidIdentifier, match="breaks the format"):
        format_session_id(start, "FVIVN")
    with pytest.raises(InvalidIdentifier, match="timezone-aware"):
        format_session_id(datetime(2025, 1, 15), "fvivn")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(web, standin, standin_ids, method):
    r = web.request(
        method, standin.url + EXAMPLE_PATH, headers=headers(standin, standin_ids.example_user), data=b"{}"
    )
    assert r.status_code == 405
    assert r.json() == {"detail": "Method Not Allowed"}
    assert r.headers["Allow"] == "GET"


def test_head_is_405_without_body(standin):
    conn = HTTPConnection("127.0.0.1", standin.port, timeout=10)
    conn.request("HEAD", EXAMPLE_PATH, headers={"x-api-key": standin.api_key})
    r = conn.getresponse()
    assert r.status == 405 and r.read() == b""
    conn.close()


# -- OPEN, CLOSED, two-stage ---------------------------------------------------------------------
def test_open_session(web, standin, standin_ids):
    result = get_session(web, standin, standin_ids.open_session, standin_ids.edge_user, "Asia/Seoul")
    assert result["session"]["state"] == "OPEN"
    assert result["session"]["end_time"] is None
    assert result["stat"] is None
    assert "IN_PROGRESS" in result["peculiarities"]
    assert result["session"]["start_time"] == "2025-02-02T07:00:00+09:00"
    item = next(s for s in list_sessions(web, standin, standin_ids.edge_user) if s["state"] == "OPEN")
    assert item["session_end_time"] is None and item["time_in_bed"] is None


def test_closed_and_two_stage_sessions(web, standin, standin_ids):
    closed = get_session(web, standin, standin_ids.closed_session, standin_ids.edge_user)
    assert closed["session"]["state"] == "CLOSED" and closed["stat"] is None
    two = get_session(web, standin, standin_ids.two_stage_session, standin_ids.edge_user, "Europe/Paris")
    assert set(two["session"]["sleep_stages"]) == {0, 1}
    assert two["stat"]["time_in_light"] is None and two["stat"]["rem_latency"] is None
    assert two["stat"]["time_in_sleep"] == 500 * 30


def test_list_items_have_the_contract_fields(web, standin, standin_ids):
    (item,) = list_sessions(web, standin, standin_ids.example_user)
    assert item == {
        "session_id": "20250115025029_fvivn",
        "state": "COMPLETE",
        "session_start_time": "2025-01-15T02:50:29+00:00",
        "session_end_time": "2025-01-15T03:50:29+00:00",
        "created_timezone": "UTC",
        "unexpected_end_time": None,
        "last_received_seq_num": 119,
        "time_in_bed": 3600,
    }


# -- time zones across daylight-saving changes --------------------------------------------------
def _all_times(result):
    session, stat = result["session"], result["stat"]
    times = [session["start_time"], session["end_time"], stat["sleep_time"], stat["wake_time"]]
    return times + list(stat["sleep_cycle_time"])


@pytest.mark.parametrize(
    ("zone", "which", "start", "end"),
    [
        ("Europe/Paris", "paris", "2025-03-30T01:30:00+01:00", "2025-03-30T08:30:00+02:00"),
        ("America/New_York", "newyork", "2025-03-09T00:00:00-05:00", "2025-03-09T08:00:00-04:00"),
    ],
)
def test_times_cross_dst(web, standin, standin_ids, zone, which, start, end):
    user_id, session_id = getattr(standin_ids, f"{which}_user"), getattr(standin_ids, f"{which}_session")
    utc = get_session(web, standin, session_id, user_id, "UTC")
    local = get_session(web, standin, session_id, user_id, zone)
    assert local["timezone"] == zone
    assert (local["session"]["start_time"], local["session"]["end_time"]) == (start, end)
    tz = ZoneInfo(zone)
    for u, t in zip(_all_times(utc), _all_times(local), strict=True):
        instant = datetime.fromisoformat(t)
        assert instant == datetime.fromisoformat(u)  # same instant
        assert instant.utcoffset() == instant.astimezone(tz).utcoffset()  # the zone's offset then
        assert len(t) == 25  # whole seconds with a numeric offset
    offsets = {datetime.fromisoformat(t).utcoffset() for t in _all_times(local)}
    assert len(offsets) == 2  # the night crosses the change
    assert local["session"]["sleep_stages"] == utc["session"]["sleep_stages"]


def test_paris_stat_times(web, standin, standin_ids):
    local = get_session(web, standin, standin_ids.paris_session, standin_ids.paris_user, "Europe/Paris")
    assert local["stat"]["sleep_time"] == "2025-03-30T01:45:00+01:00"  # 00:45Z, before the change
    assert local["stat"]["wake_time"] == "2025-03-30T08:15:00+02:00"  # 06:15Z, after it
    assert local["stat"]["sleep_cycle_time"] == ["2025-03-30T01:45:00+01:00", "2025-03-30T08:14:30+02:00"]


def test_list_and_user_times_are_converted(web, standin, standin_ids):
    (item,) = list_sessions(web, standin, standin_ids.paris_user, "Europe/Paris")
    assert item["session_start_time"] == "2025-03-30T01:30:00+01:00"
    assert item["session_end_time"] == "2025-03-30T08:30:00+02:00"
    r = get(web, standin, f"/ai/v1/users/{standin_ids.paris_user}", timezone="Europe/Paris")
    assert r.status_code == 200 and r.json()["detail"] == "success"
    info = r.json()["result"]["last_session_info"]
    assert (info["start_time"], info["end_time"]) == (
        "2025-03-30T01:30:00+01:00",
        "2025-03-30T08:30:00+02:00",
    )


def test_get_user_as_stored(web, standin, standin_ids):
    r = get(web, standin, f"/ai/v1/users/{standin_ids.example_user}")
    body = r.json()
    assert body["detail"] == "success"
    assert body["result"]["user_id"] == standin_ids.example_user
    assert body["result"]["metadata"]["gender"] == "other"
    assert body["result"]["last_session_info"]["start_time"] == "2025-01-15T02:50:29+00:00"


# -- List Sessions: paging, filters, ordering -----------------------------------------------------
def test_paging_walks_every_session_once(web, standin, standin_ids):
    seen, offset = [], 0
    while True:
        page = list_sessions(web, standin, standin_ids.paging_user, order_by="ASC", offset=offset, limit=100)
        seen += page
        offset += len(page)
        if len(page) < 100:
            break
    assert len(seen) == standin_ids.paging_count == len({s["session_id"] for s in seen})
    starts = [s["session_start_time"] for s in seen]
    assert starts == sorted(starts)
    assert [
        len(list_sessions(web, standin, standin_ids.paging_user, offset=o, limit=100)) for o in (0, 100, 200)
    ] == [
        100,
        100,
        50,
    ]


def test_default_page_and_short_last_page(web, standin, standin_ids):
    assert len(list_sessions(web, standin, standin_ids.paging_user)) == 20
    assert len(list_sessions(web, standin, standin_ids.paging_user, offset=240, limit=20)) == 10
    assert list_sessions(web, standin, standin_ids.paging_user, offset=1000) == []
    assert len(list_sessions(web, standin, standin_ids.paging_user, limit=1)) == 1
    assert list_sessions(web, standin, standin_ids.paging_user, limit=0) == []
    assert list_sessions(web, standin, standin_ids.unknown_user) == []


def test_order_by(web, standin, standin_ids):
    desc = list_sessions(web, standin, standin_ids.paging_user, limit=3)
    asc = list_sessions(web, standin, standin_ids.paging_user, limit=3, order_by="ASC")
    assert desc[0]["session_start_time"] > desc[1]["session_start_time"] > desc[2]["session_start_time"]
    assert asc[0]["session_start_time"].startswith("2024-01-01T22:00:00")
    assert desc[0]["session_start_time"] > asc[-1]["session_start_time"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": "-1"}, "limit must be an integer from 0 to 100, got '-1'"),
        ({"limit": "101"}, "limit must be an integer from 0 to 100, got '101'"),
        ({"limit": "ten"}, "limit must be an integer from 0 to 100, got 'ten'"),
        ({"offset": "-1"}, "offset must be an integer of at least 0, got '-1'"),
        ({"order_by": "up"}, "order_by must be ASC or DESC, got 'up'"),
        ({"date_gte": "2025-13-01"}, "date_gte must be a date YYYY-MM-DD, got '2025-13-01'"),
        ({"date_lte": "15/01/2025"}, "date_lte must be a date YYYY-MM-DD, got '15/01/2025'"),
    ],
)
def test_bad_list_queries_are_400(web, standin, standin_ids, params, detail):
    r = get(web, standin, "/data/v1/sessions", user_id=standin_ids.paging_user, params=params)
    assert (r.status_code, r.json()) == (400, {"detail": detail})


def test_date_filters_use_the_requested_zone(web, standin, standin_ids):
    day = {"date_gte": "2025-01-15", "date_lte": "2025-01-15"}
    seoul = list_sessions(web, standin, standin_ids.seoul_user, "Asia/Seoul", **day)
    assert [s["session_id"] for s in seoul] == [standin_ids.seoul_late_session]
    assert seoul[0]["session_start_time"] == "2025-01-15T08:30:00+09:00"
    assert list_sessions(web, standin, standin_ids.seoul_user, "UTC", **day) == []
    utc_14 = list_sessions(
        web, standin, standin_ids.seoul_user, "UTC", date_gte="2025-01-14", date_lte="2025-01-14"
    )
    assert len(utc_14) == 2
    only_gte = list_sessions(web, standin, standin_ids.paging_user, date_gte="2024-09-01", limit=100)
    assert len(only_gte) == 250 - 244  # 2024-01-01 + 244 days = 2024-09-01
    assert (
        list_sessions(web, standin, standin_ids.paging_user, date_gte="2024-03-02", date_lte="2024-03-01")
        == []
    )


# -- Average Stats --------------------------------------------------------------------------------
def average(web, srv, user_id, start, end, timezone="UTC"):
    params = {"start_date": start, "end_date": end}
    return get(web, srv, f"/data/v1/users/{user_id}/average-stats", timezone=timezone, params=params)


def test_average_stats(web, standin, standin_ids):
    r = average(web, standin, standin_ids.paging_user, "2024-01-01", "2024-01-10", "Asia/Seoul")
    assert r.status_code == 200
    body = r.json()
    assert body["detail"] == "OK"
    result = body["result"]
    assert result["period"] == {"start_date": "2024-01-01", "end_date": "2024-01-10"}
    # sessions start 22:00Z = 07:00 next day in Seoul: 2024-01-02 .. 2024-01-10 in Seoul
    assert len(result["slept_sessions"]) == 9 and result["never_slept_sessions"] == []
    avg = result["average_stats"]
    assert avg["start_time"] == "07:00:00" and avg["sleep_time"] == "07:02:00"
    assert avg["time_in_sleep"] == 32 * 30 and avg["sleep_latency"] == 120
    assert avg["sleep_efficiency"] == 0.8 and avg["time_in_light"] == 960
    first = result["slept_sessions"][0]
    assert first["start_time"] == "2024-01-02T07:00:00+09:00"
    assert first["sleep_time"] == "2024-01-02T07:02:00+09:00"


def test_average_stats_two_stage_fields_are_null(web, standin, standin_ids):
    result = average(web, standin, standin_ids.edge_user, "2025-02-01", "2025-02-28").json()["result"]
    assert [s["id"] for s in result["slept_sessions"]] == [
        standin_ids.two_stage_session
    ]  # OPEN/CLOSED skipped
    assert result["average_stats"]["time_in_light"] is None
    assert result["average_stats"]["time_in_sleep"] == 500 * 30


@pytest.mark.parametrize(
    ("start", "end", "status", "detail"),
    [
        ("2024-01-01", "2024-04-11", 400, "The period should be less than or equal to 100 days"),
        ("2024-01-10", "2024-01-01", 400, "end_date must not be before start_date"),
        ("2024-01-01", "", 400, "end_date is required, as a date YYYY-MM-DD"),
        ("01-01-2024", "2024-01-02", 400, "start_date must be a date YYYY-MM-DD, got '01-01-2024'"),
    ],
)
def test_average_stats_errors(web, standin, standin_ids, start, end, status, detail):
    r = average(web, standin, standin_ids.paging_user, start, end)
    assert (r.status_code, r.json()) == (status, {"detail": detail})


def test_average_stats_limits(web, standin, standin_ids):
    assert average(web, standin, standin_ids.paging_user, "2024-01-01", "2024-04-10").status_code == 200
    r = average(web, standin, standin_ids.unknown_user, "2024-01-01", "2024-01-02")
    assert (r.status_code, r.json()) == (404, {"detail": "user does not exist"})


def test_circular_mean_clock():
    assert circular_mean_clock([23 * 3600 + 30 * 60, 30 * 60]) == "00:00:00"
    assert circular_mean_clock([22 * 3600, 22 * 3600]) == "22:00:00"
    assert circular_mean_clock([]) is None


# -- concurrency, keep-alive, shutdown, faults ---------------------------------------------------
def test_concurrent_requests_from_8_threads(standin_fresh, standin_ids, example_result):
    errors, results = [], []

    def worker():
        try:
            with requests.Session() as s:
                for _ in range(25):
                    r = get(s, standin_fresh, EXAMPLE_PATH, user_id=standin_ids.example_user)
                    results.append(r.json()["result"] == example_result)
        except Exception as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 200 and all(results)
    assert standin_fresh.request_count == 200
    assert set(standin_fresh.requests) == {("GET", EXAMPLE_PATH)}


def test_keep_alive_serves_many_requests_on_one_connection(standin, standin_ids):
    conn = HTTPConnection("127.0.0.1", standin.port, timeout=10)
    h = headers(standin, standin_ids.example_user)
    for _ in range(3):
        conn.request("GET", EXAMPLE_PATH, headers=h)
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["detail"] == "OK"
    conn.close()


def test_requests_are_recorded_without_query(web, standin_fresh, standin_ids):
    list_sessions(web, standin_fresh, standin_ids.paging_user, limit=5)
    assert standin_fresh.requests == [("GET", "/data/v1/sessions")]
    assert standin_fresh.request_count == 1
    standin_fresh.reset_counts()
    assert standin_fresh.request_count == 0 and standin_fresh.requests == []


def test_fail_next_with_headers_and_prefix(web, standin_fresh, standin_ids):
    srv = standin_fresh
    srv.fail_next(2, 403, "Rate limit exceeded", path_prefix="/data/v3/", headers={"Retry-After": "1"})
    r = get(web, srv, "/data/v1/sessions", user_id=standin_ids.example_user)  # not matching: served
    assert r.status_code == 200
    for _ in range(2):
        r = get(web, srv, EXAMPLE_PATH, user_id=standin_ids.example_user)
        assert (r.status_code, r.json(), r.headers["Retry-After"]) == (
            403,
            {"detail": "Rate limit exceeded"},
            "1",
        )
    assert get(web, srv, EXAMPLE_PATH, user_id=standin_ids.example_user).status_code == 200
    srv.fail_next(1)
    r = get(web, srv, "/anything")
    assert (r.status_code, r.json()) == (503, {"detail": "Service Unavailable"})
    assert srv.request_count == 5


def test_drop_next_closes_without_response(standin_fresh, standin_ids):
    srv = standin_fresh
    srv.drop_next(1, path_prefix="/data/v3/")
    with requests.Session() as s, pytest.raises(requests.ConnectionError):
        get(s, srv, EXAMPLE_PATH, user_id=standin_ids.example_user)
    with requests.Session() as s:
        assert get(s, srv, EXAMPLE_PATH, user_id=standin_ids.example_user).status_code == 200
    assert srv.request_count == 2


def test_clear_faults_and_latency(web, standin_fresh, standin_ids):
    standin_fresh.fail_next(5)
    standin_fresh.clear_faults()
    standin_fresh.set_latency(0.01)
    assert get(web, standin_fresh, EXAMPLE_PATH, user_id=standin_ids.example_user).status_code == 200
    with pytest.raises(ValueError, match="latency"):
        standin_fresh.set_latency(-1)
    with pytest.raises(ValueError, match="non-negative"):
        standin_fresh.fail_next(-1)


def test_clean_shutdown_frees_the_port(standin_data_dir, standin_ids):
    srv = serve(standin_data_dir, api_key="k")
    with requests.Session() as s:  # leaves a keep-alive connection open
        assert get(s, srv, EXAMPLE_PATH, user_id=standin_ids.example_user).status_code == 200
        srv.close()
        srv.close()  # idempotent
        assert srv.closed and not srv._thread.is_alive()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        with pytest.raises(requests.ConnectionError):
            get(s, srv, EXAMPLE_PATH, user_id=standin_ids.example_user)


def test_context_manager_and_chosen_port(standin_data_dir):
    with serve(standin_data_dir) as first:
        assert first.url == f"http://127.0.0.1:{first.port}"
        with pytest.raises(OSError, match="already in use"):
            serve(standin_data_dir, port=first.port)
    assert first.closed


def test_key_never_shown(standin_data_dir, standin_ids, caplog):
    key = "very-secret-stand-in-key"
    with (
        caplog.at_level(logging.DEBUG, logger="asleep_nb.standin"),
        serve(standin_data_dir, api_key=key) as srv,
    ):
        assert key not in repr(srv)
        assert key not in repr(srv.api)
        with requests.Session() as s:
            get(s, srv, EXAMPLE_PATH, user_id=standin_ids.example_user)
            get(s, srv, EXAMPLE_PATH, user_id=standin_ids.example_user, key="wrong")
    assert "GET /data/v3/sessions/20250115025029_fvivn 200" in caplog.text
    assert "401" in caplog.text
    assert key not in caplog.text


def test_random_key_by_default(standin_data_dir):
    with serve(standin_data_dir) as a, serve(standin_data_dir) as b:
        assert len(a.api_key) >= 20 and a.api_key != b.api_key


# -- the data folder -------------------------------------------------------------------------------
def test_store_round_trip_and_utc_normalisation(tmp_path, example_webhook, standin_ids):
    data = json.loads(json.dumps(example_webhook["data"]))
    data["timezone"] = "Asia/Seoul"
    data["session"]["start_time"] = "2025-01-15T11:50:29+09:00"
    data["session"]["end_time"] = "2025-01-15T12:50:29+09:00"
    data["stat"]["sleep_time"] = "2025-01-15T12:05:29+09:00"
    data["stat"]["wake_time"] = "2025-01-15T12:26:29+09:00"
    path = write_session(tmp_path, data)
    assert json.loads(path.read_text()) == example_webhook["data"]
    write_user(tmp_path, {"user_id": standin_ids.example_user, "last_session_info": None})
    index = load(tmp_path)
    stored = index.sessions["20250115025029_fvivn"]
    assert stored.user_id == standin_ids.example_user
    assert [s.id for s in index.by_user[standin_ids.example_user]] == ["20250115025029_fvivn"]
    assert standin_ids.example_user in index.users and index.manifest == []


def test_store_loads_manifest(tmp_path):
    (tmp_path / "manifest.csv").write_text("user_id,group,timezone\nG-x,edge,UTC\n")
    assert load(tmp_path).manifest == [{"user_id": "G-x", "group": "edge", "timezone": "UTC"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(user_id="nobody"), "data.user_id"),
        (lambda d: d["session"].update(id="20230608020315_hz82"), "data.session.id"),
        (lambda d: d["session"].update(start_time="2025-01-15T02:50:29"), "data.session.start_time"),
        (lambda d: d.pop("stat"), "data.stat"),
    ],
)
def test_write_session_rejects_bad_payloads(tmp_path, example_webhook, change, field):
    data = json.loads(json.dumps(example_webhook["data"]))
    change(data)
    with pytest.raises(PayloadError) as info:
        write_session(tmp_path, data)
    assert info.value.field == field


def test_write_session_rejects_a_whole_webhook(tmp_path, example_webhook):
    with pytest.raises(PayloadError, match="'data' object"):
        write_session(tmp_path, example_webhook)


def test_load_rejects_misnamed_and_broken_files(tmp_path, example_webhook):
    path = write_session(tmp_path, example_webhook["data"])
    path.rename(path.with_name("20250115025029_other.json"))
    with pytest.raises(PayloadError, match="holds session"):
        load(tmp_path)
    (tmp_path / "sessions" / "20250115025029_other.json").write_text("{not json")
    with pytest.raises(PayloadError, match="not valid JSON"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load(tmp_path / "missing")


def test_demo_data_dir(monkeypatch, standin_data_dir, tmp_path):
    monkeypatch.setenv("ASLEEP_NB_DEMO_DIR", str(standin_data_dir))
    assert demo_data_dir() == standin_data_dir
    with serve() as srv:
        assert srv.data_dir == standin_data_dir
    monkeypatch.setenv("ASLEEP_NB_DEMO_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="ASLEEP_NB_DEMO_DIR"):
        demo_data_dir()


# -- the pytest plugin ---------------------------------------------------------------------------
PLUGIN_USER_TEST = """
import requests

USER = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"


def test_raw_http(asleep_standin):
    key = asleep_standin.api_key
    r = requests.get(f"{asleep_standin.url}/ai/v1/users/{USER}", headers={"x-api-key": key})
    assert r.json()["detail"] == "success"


def test_client(asleep_client, asleep_standin):
    assert asleep_client.base_url == asleep_standin.url
    payload = asleep_client.get_session_payload("20250115025029_fvivn", user_id=USER)
    assert payload["stat"]["time_in_sleep"] == 1080
"""


def test_pytest_plugin_fixtures(tmp_path, standin_data_dir):
    pytest.importorskip("asleep_nb.api.client")
    (tmp_path / "test_user.py").write_text(PLUGIN_USER_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "ASLEEP_NB_DEMO_DIR": str(standin_data_dir)}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "asleep_nb.standin.pytest_plugin",
        "-p",
        "no:cacheprovider",
    ]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_the_store_keeps_each_session_as_its_answer_not_as_a_parsed_tree(standin_data_dir):
    # 100,000 sessions must fit: no per-epoch Python objects are kept, the result is parsed on demand
    index = load(standin_data_dir)
    stored = index.sessions["20250115025029_fvivn"]
    on_disk = json.loads((Path(standin_data_dir) / "sessions" / f"{stored.id}.json").read_bytes())
    on_disk.pop("user_id")
    assert stored.result == on_disk and stored.result is not stored.result  # a fresh copy each time
    assert json.loads(stored.utc_body) == {"detail": "OK", "result": on_disk}
    assert not any(key.endswith("_stages") for key in stored.brief)
    assert stored.brief["epochs"] == len(on_disk["session"]["sleep_stages"])
    assert stored.brief["has_stat"] is (on_disk["stat"] is not None)
    assert not hasattr(stored, "__dict__")  # slots: nothing else hangs on a stored session
