"""Fetching that never stops on one bad session, stays bounded, and ends clearly when the disk does.

Against the stand-in over real sockets; the only double is a thin wrapper
around a real client where a test needs a session to fail in a new way.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from asleep_nb.api.client import Client
from asleep_nb.cli import main
from asleep_nb.data.manifest import read_manifest
from asleep_nb.errors import ArchiveUnwritable, InvalidIdentifier, RateLimited, SessionNotFound
from asleep_nb.loading import atomic, pool
from asleep_nb.loading.archive import MANIFEST_NAME, open_archive
from asleep_nb.loading.fetch import fetch_sessions
from asleep_nb.loading.selection import select_sessions

REPO = Path(__file__).resolve().parents[1]
SESSIONS = "/data/v3/sessions/"


def _client(server, **kw) -> Client:
    return Client(api_key=server.api_key, base_url=server.url, **kw)


def _paging(server, ids, n: int, start: int = 0) -> list[tuple[str, str]]:
    return [(s.id, s.user_id) for s in server.store.by_user[ids.paging_user][start : start + n]]


class _Buggy:
    """A real client whose Get Session hits a bug (``KeyError``) for one session."""

    def __init__(self, client: Client, broken: str) -> None:
        self.client, self.broken = client, broken

    def get_session_payload(self, session_id: str, **kw):
        if session_id == self.broken:
            raise KeyError("a bug, not an API error")
        return self.client.get_session_payload(session_id, **kw)

    def get_session(self, session_id: str, **kw):
        return self.client.get_session(session_id, **kw)


# ----------------------------------------------------------------------------- failures of any kind


def test_every_failure_of_any_kind_is_recorded_and_the_run_goes_on(
    standin_fresh, standin_ids, tmp_path
) -> None:
    todo = _paging(standin_fresh, standin_ids, 16)
    user = standin_ids.paging_user
    bad = [
        (
            todo[0][0],
            "G-２0240101000004-PagingPagingPagingPa",
        ),  # a full-width digit: once a UnicodeEncodeError
        ("2" * 100_000, user),  # never sent
        ("20990101000000_ghost", user),  # not found
        (todo[5][0], user),  # the bug
    ]
    requests = [*todo[:3], bad[0], *todo[3:8], bad[1], bad[2], *todo[8:]]
    requests.insert(14, bad[3])
    requests.remove(todo[5])
    started = time.monotonic()
    got = fetch_sessions(
        _Buggy(_client(standin_fresh), todo[5][0]), requests, workers=3, archive=tmp_path, progress=False
    )
    assert time.monotonic() - started < 10
    assert [type(e) for _, e in got.failed] == [
        InvalidIdentifier,
        InvalidIdentifier,
        SessionNotFound,
        KeyError,
    ]
    assert [r.session_id for r, _ in got.failed][2:] == ["20990101000000_ghost", todo[5][0]]
    assert "(100000 characters)" in str(got.failed[1][1]) and len(str(got.failed[1][1])) < 250
    assert got.fetched == 15 and len(open_archive(tmp_path).records()) == 15
    assert not any(path.startswith(SESSIONS + "2222") for _, path in standin_fresh.requests)
    assert {f["error"] for f in got.failures()} == {"InvalidIdentifier", "SessionNotFound", "KeyError"}


def test_a_rate_limit_beyond_the_longest_pause_fails_that_session_at_once(standin_fresh, standin_ids) -> None:
    todo = _paging(standin_fresh, standin_ids, 6)
    standin_fresh.fail_next(
        1, 429, "Too Many Requests", path_prefix=SESSIONS, headers={"Retry-After": "100000"}
    )
    started = time.monotonic()
    got = fetch_sessions(_client(standin_fresh, max_retries=3), todo, workers=1, progress=False)
    assert time.monotonic() - started < 5 and got.rate_limit_pauses == 0
    ((_, exc),) = got.failed
    assert type(exc) is RateLimited and exc.retry_after == 100000.0 and "allows the next try" in str(exc)
    assert len(got.results) == 5


def test_a_full_disk_stops_the_run_and_keeps_what_was_archived(
    standin_fresh, standin_ids, tmp_path, monkeypatch
):
    todo = _paging(standin_fresh, standin_ids, 40)
    real_write, calls = os.write, []

    def filling(fd: int, data) -> int:
        calls.append(1)
        if len(calls) > 10:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(atomic.os, "write", filling)
    started = time.monotonic()
    with pytest.raises(ArchiveUnwritable, match="No space left on device"):
        fetch_sessions(_client(standin_fresh), todo, workers=2, archive=tmp_path, progress=False)
    monkeypatch.undo()
    assert time.monotonic() - started < 10
    kept = open_archive(tmp_path)
    assert 1 <= len(kept) < 40 and len(kept.records()) == len(kept)  # what was written verifies
    assert standin_fresh.request_count < 40  # the run stopped: it did not fetch everything for nothing
    assert not list(tmp_path.rglob("*.tmp"))


# ----------------------------------------------------------------------------- bounded in-flight work


def test_the_in_flight_window_is_bounded(standin_fresh, standin_ids, monkeypatch) -> None:
    todo = _paging(standin_fresh, standin_ids, 200)
    outstanding, peak, lock = [0], [0], threading.Lock()

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            with lock:
                outstanding[0] += 1
                peak[0] = max(peak[0], outstanding[0])
            future = super().submit(fn, *args, **kwargs)
            future.add_done_callback(lambda _: _forget())
            return future

    def _forget() -> None:
        with lock:
            outstanding[0] -= 1

    monkeypatch.setattr(pool, "ThreadPoolExecutor", Counting)
    got = fetch_sessions(_client(standin_fresh), todo, workers=3, progress=False, keep_results=False)
    assert got.ok and got.fetched == 200 and got.results == []
    assert 3 < peak[0] <= pool.WINDOW_PER_WORKER * 3  # busy, and never all 200 at once


# ----------------------------------------------------------------------------- manifests


def _rows(ids, n_rows: int) -> pd.DataFrame:
    """``n_rows`` rows of the paging user, each a disjoint 20-day range."""
    first = ids.paging_first_start.date()
    ranges = [
        (first + pd.Timedelta(days=20 * i), first + pd.Timedelta(days=20 * i + 19)) for i in range(n_rows)
    ]
    return pd.DataFrame(
        {
            "user_id": [ids.paging_user] * n_rows,
            "group": ["g"] * n_rows,
            "date_gte": [a.isoformat() for a, _ in ranges],
            "date_lte": [b.isoformat() for _, b in ranges],
        }
    )


class _CountingLister:
    """A real client, counting how many ``list_sessions`` calls run at once."""

    def __init__(self, client: Client) -> None:
        self.client, self.now, self.peak, self.lock = client, 0, 0, threading.Lock()

    def list_sessions(self, *args, **kw):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            return self.client.list_sessions(*args, **kw)
        finally:
            with self.lock:
                self.now -= 1


def test_users_are_listed_concurrently_with_the_same_bounded_pool(standin_fresh, standin_ids) -> None:
    table = read_manifest(_rows(standin_ids, 8))
    standin_fresh.set_latency(0.1)
    lister = _CountingLister(_client(standin_fresh))
    started = time.monotonic()
    selection = select_sessions(lister, table, workers=4)
    elapsed = time.monotonic() - started
    assert not selection.failed and len(selection.requests) == 160
    assert [r.row for r in selection.requests[::20]] == list(range(1, 9))  # row order kept
    assert 2 <= lister.peak <= 4 and elapsed < 0.7  # one by one would take 0.8 s or more


def test_a_row_that_cannot_be_listed_fails_alone(standin_fresh, standin_ids) -> None:
    user = standin_ids.seoul_user
    table = read_manifest(
        pd.DataFrame(
            {
                "user_id": [user, standin_ids.unknown_user, "G-1", user, user],
                "group": ["a", "b", "c", "d", "e"],
                "session_id": ["", "", "", "", standin_ids.seoul_late_session],
            }
        )
    )
    standin_fresh.fail_next(1, 500, "Internal Server Error", path_prefix="/data/v1/sessions")
    selection = select_sessions(_client(standin_fresh, max_retries=0), table, workers=1)
    assert [(r.row, type(e).__name__) for r, e in selection.failed] == [
        (1, "ServerError"),
        (3, "InvalidIdentifier"),
        (5, "ManifestError"),  # row 4 selected that session already
    ]
    assert "is also selected by row 4" in str(selection.failed[2][1])
    assert [(r.row, r.group) for r in selection.requests] == [(4, "d"), (4, "d")]  # the unknown user has none


# ----------------------------------------------------------------------------- the command


@pytest.fixture
def cli_env(standin_fresh, monkeypatch):
    monkeypatch.setenv("ASLEEP_API_KEY", standin_fresh.api_key)
    monkeypatch.setenv("ASLEEP_BASE_URL", standin_fresh.url)
    return standin_fresh


def test_the_command_names_the_manifest_line_of_every_failure(cli_env, standin_ids, tmp_path, capsys) -> None:
    ids = standin_ids
    manifest = tmp_path / "study.csv"
    manifest.write_text(
        "user_id,group,session_id\n"
        f"{ids.example_user},a,{ids.example_session}\n"
        "\n"  # a blank line: rows and lines part ways
        "G-1,b,\n"
        f"G-２0240101000001-ParisParisParisParis,c,{ids.paris_session}\n"
        f"{ids.paris_user},d,20990101000000_ghost\n"
    )
    code = main(["fetch", "--manifest", str(manifest), "--archive", str(tmp_path / "a"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 2  # bad input (two rows' ids) outranks a session that could not be had
    assert "fetched 1, from archive 0, failed 3" in out
    assert "manifest study.csv, line 4: the sessions of row 2 of user G-1 (UTC): InvalidIdentifier" in out
    assert "manifest study.csv, line 5: 20250330003000_paris" in out and "InvalidIdentifier" in out
    assert "manifest study.csv, line 6: 20990101000000_ghost" in out and "SessionNotFound" in out


@pytest.mark.parametrize(
    ("failure", "words"),
    [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")],
)
def test_storage_failures_end_in_one_line_and_exit_status_3(
    cli_env, standin_ids, tmp_path, capsys, monkeypatch, failure, words
) -> None:
    manifest = tmp_path / "m.csv"
    pd.DataFrame({"user_id": [standin_ids.seoul_user], "group": ["kr"]}).to_csv(manifest, index=False)

    def refuse(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    code = main(["fetch", "--manifest", str(manifest), "--archive", str(tmp_path / "a"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1 and err.startswith("asleep-nb fetch: cannot write to the archive at ")
    assert words in err and "Traceback" not in err


def _subprocess_env(server) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASLEEP_")}
    env.update(ASLEEP_API_KEY=server.api_key, ASLEEP_BASE_URL=server.url, PYTHONPATH=str(REPO))
    return env


def _manifest_of(path: Path, rows: list[tuple[str, str]]) -> Path:
    pd.DataFrame({"user_id": [u for _, u in rows], "group": "g", "session_id": [s for s, _ in rows]}).to_csv(
        path, index=False
    )
    return path


def test_three_processes_filling_one_archive_stay_consistent(standin_fresh, standin_ids, tmp_path) -> None:
    archive = tmp_path / "shared"
    commands = []
    for k in range(3):  # overlapping thirds: sessions k*40 .. k*40+119 of 200
        manifest = _manifest_of(
            tmp_path / f"m{k}.csv", _paging(standin_fresh, standin_ids, 120, start=40 * k)
        )
        options = ["--manifest", str(manifest), "--archive", str(archive), "--workers", "3", "--no-progress"]
        commands.append([sys.executable, "-m", "asleep_nb.cli", "fetch", *options])
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            c, env=_subprocess_env(standin_fresh), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for c in commands
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert time.monotonic() - started < 60
    assert [p.returncode for p in procs] == [0, 0, 0], [e[-500:] for _, e in outs]
    counts = [out.strip().splitlines()[-1] for out, _ in outs]
    assert all(c.endswith("failed 0") for c in counts), counts
    done = open_archive(archive)
    assert len(done) == 200 and len({e.session_id for e in done.entries()}) == 200
    assert len(done.records()) == 200  # every file verifies
    assert len((archive / MANIFEST_NAME).read_bytes().splitlines()) == 200  # no session written twice
    assert not list(archive.rglob("*.tmp"))


def _unshare_available() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10).returncode == 0


@pytest.mark.skipif(
    not _unshare_available(), reason="needs unshare -rm (user namespaces) for a private tmpfs"
)
def test_a_really_full_disk_ends_the_command_in_one_line(standin_fresh, standin_ids, tmp_path) -> None:
    """A 160 kB tmpfs of the command's own (a user namespace): a real ENOSPC, no mock."""
    manifest = _manifest_of(tmp_path / "m.csv", _paging(standin_fresh, standin_ids, 250))
    disk = tmp_path / "disk"
    disk.mkdir()
    script = (
        f"mount -t tmpfs -o size=160k tmpfs {disk} && exec {sys.executable} -m asleep_nb.cli fetch "
        f"--manifest {manifest} --archive {disk}/a --workers 2 --no-progress"
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        env=_subprocess_env(standin_fresh),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("asleep-nb fetch: cannot write to the archive at ")
        and "No space left on device" in last
    )
    assert "Traceback" not in done.stderr
