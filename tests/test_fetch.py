"""Fetching many sessions: thread pool, shared backoff, progress, resume; over a real socket."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from asleep_nb.api.client import Client
from asleep_nb.data.manifest import SessionRequest
from asleep_nb.errors import SessionNotFound, TransportError
from asleep_nb.loading.archive import Archive, open_archive
from asleep_nb.loading.fetch import BackoffGate, FetchResult, Request, fetch_sessions

SESSIONS = "/data/v3/sessions/"


def _client(server, **kw) -> Client:
    return Client(api_key=server.api_key, base_url=server.url, **kw)


def _paging(standin_fresh, ids, n=20) -> list[SessionRequest]:
    stored = standin_fresh.store.by_user[ids.paging_user][:n]
    return [SessionRequest(s.id, s.user_id, "UTC", "g") for s in stored]


def test_results_in_input_order_and_a_second_fetch_makes_no_request(standin_fresh, standin_ids, tmp_path):
    todo = _paging(standin_fresh, standin_ids)[::-1]
    got = fetch_sessions(_client(standin_fresh), todo, workers=4, archive=tmp_path, progress=False)
    assert got.ok and (got.fetched, got.from_archive) == (20, 0)
    assert [r.session.id for r in got.results] == [r.session_id for r in todo]
    assert [r.session_id for r in got.requests] == [r.session_id for r in todo]
    assert all(r.user_id == standin_ids.paging_user for r in got.results)
    assert standin_fresh.request_count == 20 and len(open_archive(tmp_path)) == 20
    standin_fresh.reset_counts()
    again = fetch_sessions(_client(standin_fresh), todo, workers=4, archive=tmp_path, progress=False)
    assert standin_fresh.request_count == 0
    assert (again.fetched, again.from_archive) == (0, 20)
    assert [r.session.id for r in again.results] == [r.session.id for r in got.results]


def test_an_interrupted_fetch_resumes_with_only_the_missing_sessions(standin_fresh, standin_ids, tmp_path):
    todo = _paging(standin_fresh, standin_ids)
    client = _client(standin_fresh, max_retries=0)
    standin_fresh.drop_next(5, path_prefix=SESSIONS)
    first = fetch_sessions(client, todo, workers=3, archive=tmp_path, progress=False)
    assert len(first.results) == 15 and len(first.failed) == 5
    assert all(isinstance(exc, TransportError) for _, exc in first.failed)
    missing = {r.session_id for r, _ in first.failed}
    standin_fresh.reset_counts()
    second = fetch_sessions(client, todo, workers=3, archive=tmp_path, progress=False)
    assert second.ok and (second.fetched, second.from_archive) == (5, 15)
    assert {path.removeprefix(SESSIONS) for _, path in standin_fresh.requests} == missing
    assert standin_fresh.request_count == 5


def test_a_5xx_is_retried_and_a_404_reported_while_the_rest_arrive(standin_fresh, standin_ids):
    todo = _paging(standin_fresh, standin_ids, 8)
    ghost = SessionRequest("20990101000000_ghost", standin_ids.paging_user, "UTC", "g")
    todo.insert(3, ghost)
    standin_fresh.fail_next(1, 503, "Service Unavailable", path_prefix=SESSIONS)
    got = fetch_sessions(_client(standin_fresh, backoff_factor=0), todo, workers=2, progress=False)
    assert len(got.results) == 8 and got.fetched == 8
    assert standin_fresh.request_count == 10  # 9 sessions, one of them twice
    ((request, exc),) = got.failed
    assert request.session_id == ghost.session_id and isinstance(exc, SessionNotFound)
    (failure,) = got.failures()
    assert failure["error"] == "SessionNotFound" and failure["status_code"] == 404
    assert "20990101000000_ghost" in failure["reason"]
    assert "failed 1" in got.summary() and "SessionNotFound" in got.summary()


def test_a_rate_limit_pauses_every_worker_then_retries(standin_fresh, standin_ids):
    todo = _paging(standin_fresh, standin_ids, 12)
    standin_fresh.fail_next(3, 403, "Rate limit exceeded", path_prefix=SESSIONS)
    client = _client(standin_fresh, max_retries=0)
    got = fetch_sessions(client, todo, workers=4, progress=False, rate_limit_pause=0.02)
    assert got.ok and len(got.results) == 12
    assert got.rate_limit_pauses == 3 and standin_fresh.request_count == 15
    standin_fresh.fail_next(10, 403, "Rate limit exceeded", path_prefix=SESSIONS)
    stubborn = fetch_sessions(
        client, todo[:1], workers=1, progress=False, rate_limit_pause=0.001, rate_limit_retries=2
    )
    assert [type(e).__name__ for _, e in stubborn.failed] == ["RateLimited"]


def test_backoff_gate_is_shared_doubles_and_resets():
    gate = BackoffGate(base=0.05, maximum=0.15)
    assert [gate.trip(), gate.trip(), gate.trip()] == [0.05, 0.1, 0.15]
    gate.success()
    assert gate.trip() == 0.05
    released = []
    threads = [threading.Thread(target=lambda: (gate.wait(), released.append(1))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert released == [1, 1, 1] and gate.trips == 4
    gate.trip()
    stop = threading.Event()
    stop.set()
    gate.wait(stop)  # returns at once when the run stops
    with pytest.raises(ValueError):
        BackoffGate(base=-1)


def test_progress_bar_in_a_terminal(standin_fresh, standin_ids, capsys):
    fetch_sessions(_client(standin_fresh), _paging(standin_fresh, standin_ids, 3), progress=True)
    err = capsys.readouterr().err
    assert "sessions" in err and "3/3" in err
    fetch_sessions(_client(standin_fresh), _paging(standin_fresh, standin_ids, 3), progress=False)
    assert capsys.readouterr().err == ""


def test_requests_in_any_shape_and_bad_arguments(standin_fresh, standin_ids):
    ids = standin_ids
    shapes = [
        (ids.example_session, ids.example_user),
        {"session_id": ids.paris_session, "user_id": ids.paris_user, "timezone": "Europe/Paris"},
        Request(ids.seoul_late_session, ids.seoul_user, "Asia/Seoul"),
    ]
    got = fetch_sessions(_client(standin_fresh), shapes, workers=2, progress=False)
    assert [r.timezone for r in got.results] == ["UTC", "Europe/Paris", "Asia/Seoul"]
    with pytest.raises(ValueError, match="workers"):
        fetch_sessions(_client(standin_fresh), shapes, workers=0)
    with pytest.raises(TypeError, match="request"):
        fetch_sessions(_client(standin_fresh), [(ids.example_session,)])
    with pytest.raises(TypeError, match="session_id"):
        fetch_sessions(_client(standin_fresh), [object()])
    assert FetchResult().ok and fetch_sessions(_client(standin_fresh), [], progress=False).ok


def test_an_invalid_id_fails_alone(standin_fresh, standin_ids):
    todo = [("../x", standin_ids.example_user), (standin_ids.example_session, standin_ids.example_user)]
    got = fetch_sessions(_client(standin_fresh), todo, progress=False)
    assert [type(e).__name__ for _, e in got.failed] == ["InvalidIdentifier"] and len(got.results) == 1
    with pytest.raises(type(got.failed[0][1])):
        FetchResult(failed=got.failed).raise_if_empty()


def test_concurrency_is_bounded_and_used(standin_fresh, standin_ids):
    todo = _paging(standin_fresh, standin_ids, 16)
    standin_fresh.set_latency(0.05)
    seen: set[str] = set()
    client = _client(standin_fresh)
    original = client.get_session

    def spy(*args, **kw):
        seen.add(threading.current_thread().name)
        return original(*args, **kw)

    client.get_session = spy
    got = fetch_sessions(client, todo, workers=4, progress=False)  # speed: benchmarks/bench_fetch.py
    assert got.ok
    assert 1 < len(seen) <= 4 and all(name.startswith("asleep-fetch") for name in seen)


def test_client_archive_parameter_fills_and_consults_the_archive(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    client = Archive(tmp_path).wrap(_client(standin_fresh))
    first = client.get_session(ids.example_session, user_id=ids.example_user)
    second = client.get_session(ids.example_session, user_id=ids.example_user)
    assert standin_fresh.request_count == 1 and first.session == second.session
    assert isinstance(client.archive, Archive) and len(open_archive(tmp_path)) == 1
    standin_fresh.reset_counts()
    got = fetch_sessions(client, [(ids.example_session, ids.example_user)], progress=False)
    assert standin_fresh.request_count == 0 and got.from_archive == 1


def test_load_cohort_keeps_what_succeeded_and_reports_failures(standin_fresh, standin_ids, tmp_path):
    from asleep_nb.loading.fetch import FetchWarning
    from asleep_nb.loading.load import load_cohort

    ids = standin_ids
    manifest = pd.DataFrame(
        {
            "user_id": [ids.example_user, ids.paris_user, ids.seoul_user],
            "group": ["a", "b", "c"],
            "session_id": [ids.example_session, "20990101000000_ghost", ids.seoul_late_session],
        }
    )
    with pytest.warns(FetchWarning, match="1 of 3 sessions could not be fetched.*20990101000000_ghost"):
        cohort = load_cohort(_client(standin_fresh), manifest, workers=2, archive=tmp_path, progress=False)
    assert sorted(cohort["session_id"].values) == sorted([ids.example_session, ids.seoul_late_session])
    assert dict(zip(cohort["session_id"].values, cohort["group"].values, strict=True)) == {
        ids.example_session: "a",
        ids.seoul_late_session: "c",
    }
    (failure,) = json.loads(cohort.attrs["failed_sessions"])
    assert failure["session_id"] == "20990101000000_ghost" and failure["error"] == "SessionNotFound"
    standin_fresh.reset_counts()
    with pytest.raises(SessionNotFound):  # nothing at all succeeded: the error itself
        load_cohort(_client(standin_fresh), manifest.iloc[[1]], progress=False)


def test_cli_fetch_fills_an_archive_and_reports(standin_fresh, standin_ids, tmp_path, monkeypatch, capsys):
    from asleep_nb.cli import main

    ids = standin_ids
    monkeypatch.setenv("ASLEEP_API_KEY", standin_fresh.api_key)
    monkeypatch.setenv("ASLEEP_BASE_URL", standin_fresh.url)
    manifest = tmp_path / "m.csv"
    pd.DataFrame(
        {"user_id": [ids.seoul_user, ids.example_user], "group": ["kr", "eu"], "session_id": ["", ""]}
    ).to_csv(manifest, index=False)
    args = ["fetch", "--manifest", str(manifest), "--archive", str(tmp_path / "a"), "--workers", "2"]
    assert main([*args, "--timezone", "Asia/Seoul"]) == 0
    out = capsys.readouterr().out
    assert "fetched 3, from archive 0, failed 0" in out
    assert main([*args, "--timezone", "Asia/Seoul", "--no-progress"]) == 0
    assert "fetched 0, from archive 3, failed 0" in capsys.readouterr().out
    assert {e.timezone for e in open_archive(tmp_path / "a").entries()} == {"Asia/Seoul"}
    pd.DataFrame(
        {"user_id": [ids.example_user], "group": ["x"], "session_id": ["20990101000000_ghost"]}
    ).to_csv(manifest, index=False)
    assert main([*args, "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "failed 1" in out and "20990101000000_ghost" in out and "SessionNotFound" in out
    assert main(["fetch", "--manifest", str(tmp_path / "none.csv"), "--archive", str(tmp_path / "a")]) == 2
    assert "none.csv not found" in capsys.readouterr().err


def test_cli_fetch_an_invalid_user_id_is_bad_input(standin_fresh, standin_ids, tmp_path, monkeypatch, capsys):
    """Status 2 (bad input, as --help says), the row named with its line, the other rows still fetched."""
    from asleep_nb.cli import main

    monkeypatch.setenv("ASLEEP_API_KEY", standin_fresh.api_key)
    monkeypatch.setenv("ASLEEP_BASE_URL", standin_fresh.url)
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"user_id,group\n{standin_ids.example_user},a\nG-bad,b\n", encoding="utf-8")
    args = ["fetch", "--manifest", str(manifest), "--archive", str(tmp_path / "a"), "--no-progress"]
    assert main(args) == 2
    out = capsys.readouterr().out
    assert "m.csv, line 3" in out and "InvalidIdentifier" in out and "fetched 1," in out


def test_load_cohort_warns_once_about_sessions_that_cannot_be_analysed(asleep_client):
    """The demo's edge cases: kept, and named in one warning with how many and why (oracle: the files)."""
    import json
    import warnings

    from asleep_nb.definitions import UNANALYSABLE_PECULIARITIES
    from asleep_nb.errors import UnanalysableSessionWarning
    from asleep_nb.loading.load import analysable, load_cohort
    from asleep_nb.resources import demo_data_dir

    demo = demo_data_dir()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        edge = load_cohort(asleep_client, demo / "edge.csv", progress=False)
    mine = [w for w in caught if issubclass(w.category, UnanalysableSessionWarning)]
    assert len(mine) == 1
    # the oracle: the stand-in's own session files
    bad = {}
    for sid in edge["session_id"].values:
        data = json.loads((demo / "sessions" / f"{sid}.json").read_text(encoding="utf-8"))
        why = [data["session"]["state"]] if data["session"]["state"] != "COMPLETE" else []
        why += [p for p in data["peculiarities"] if p in UNANALYSABLE_PECULIARITIES]
        if why:
            bad[str(sid)] = why
    assert len(bad) == 5 and {r for why in bad.values() for r in why} == {
        "OPEN", "CLOSED", "NEVER_SLEPT", "TOO_SHORT_FOR_ANALYSIS", "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"
    }  # fmt: skip
    message = str(mine[0].message)
    assert message.startswith(f"{len(bad)} of {edge.sizes['session']} sessions cannot be analysed")
    assert "1 OPEN" in message and "1 NEVER_SLEPT" in message and "kept in the cohort" in message
    assert edge.sizes["session"] == 12  # kept
    ok = analysable(edge)
    assert sorted(edge["session_id"].values[~ok.values]) == sorted(bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnanalysableSessionWarning)
        study = load_cohort(asleep_client, demo / "study.csv", progress=False)  # the science: no warning
    assert bool(analysable(study).all())
