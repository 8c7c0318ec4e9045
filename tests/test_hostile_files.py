"""Hostile files and an interrupted run: a FIFO in the archive, stale temporary files, formula cells.

Every call that could block is run in a thread joined with a bound, so a
regression fails the test instead of hanging the suite.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import IDS
from test_dataset import make_payload, night_stages

from asleep_nb import errors
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.export import export_epochs, export_stats, read_table
from asleep_nb.data.table import stats_table
from asleep_nb.loading.archive import Archive, open_archive
from asleep_nb.loading.archive_layout import InsideReader

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX (FIFOs, kill -9)")


def _bounded(call: Callable[[], object], seconds: float = 5.0) -> tuple[BaseException | None, float]:
    """Run ``call`` in a thread; what it raised and how long it took. Fails the test past ``seconds``."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    elapsed = time.monotonic() - started
    assert not worker.is_alive(), f"still blocked after {seconds} s"
    return outcome[0], elapsed


# ----------------------------------------------------------------------------- 2. a FIFO


@pytest.fixture
def fifo_archive(tmp_path, example_result) -> tuple[Path, Path]:
    """An archive whose one session file was replaced by a FIFO (nobody ever writes to it)."""
    archive = Archive(tmp_path / "archive")
    entry = archive.write(copy.deepcopy(example_result), user_id=IDS.example_user)
    archive.close()
    path = archive.path / entry.file
    path.unlink()
    os.mkfifo(path)
    yield archive.path, path
    try:  # should a read still wait on the FIFO, a writer opening and closing it lets it end
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


def test_a_fifo_in_place_of_a_session_file_ends_promptly_as_archive_corrupt(fifo_archive) -> None:
    folder, fifo = fifo_archive
    raised, elapsed = _bounded(lambda: open_archive(folder).to_cohort())
    assert type(raised) is errors.ArchiveCorrupt and elapsed < 2
    assert raised.path == str(fifo) and "not a regular file but a FIFO" in str(raised)


def test_a_fifo_is_skipped_with_a_warning_under_on_corrupt_skip(fifo_archive) -> None:
    folder, _ = fifo_archive
    with pytest.warns(errors.ArchiveWarning, match="FIFO"):
        raised, _ = _bounded(lambda: open_archive(folder).records(on_corrupt="skip"))
    assert raised is None
    assert open_archive(folder).cached(IDS.example_session, IDS.example_user) is None  # refetched, not hung


def test_the_fallback_reader_without_folder_descriptors_refuses_a_fifo_too(fifo_archive) -> None:
    folder, fifo = fifo_archive
    reader = InsideReader(folder)
    reader._by_fd = False  # the path taken where os.open has no dir_fd (Windows)
    raised, elapsed = _bounded(lambda: reader.read(fifo.relative_to(folder).as_posix()))
    assert type(raised) is errors.ArchiveCorrupt and "FIFO" in str(raised) and elapsed < 2


# ----------------------------------------------------------------------------- 7. an interrupted run

_WRITER = """
import sys, time
from pathlib import Path
from asleep_nb.loading.atomic import StagedFile
staged = StagedFile(Path(sys.argv[1]), b'{"partial": true}' * 50_000)  # staged, not yet renamed
print(staged.temporary, flush=True)
time.sleep(120)  # a fetch between staging and commit; ended by the test (kill -9) well before
"""


def _writer(target: Path) -> tuple[subprocess.Popen[str], Path]:
    """A real process that stages ``target`` and stops there; its temporary file."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # bounded: the child prints one line, or dies
    assert line, "the writer did not start"
    return proc, Path(line)


def test_the_next_run_removes_what_a_killed_run_left_but_not_a_live_writers_file(
    tmp_path, example_result, hostile_payloads
) -> None:
    archive = Archive(tmp_path / "archive")
    first = archive.write(copy.deepcopy(example_result), user_id=IDS.example_user)
    archive.close()
    folder = (archive.path / first.file).parent
    killed, killed_file = _writer(folder / "20250116000000_other@UTC.json")
    live, live_file = _writer(folder / "20250117000000_third@UTC.json")
    try:
        killed.kill()  # kill -9 mid-fetch: the staged payload stays behind
        killed.wait(timeout=10)
        old_unowned = folder / ".x.json.abc123.tmp"  # left by an older version, hours ago
        old_unowned.write_bytes(b"{}")
        os.utime(old_unowned, (time.time() - 7200, time.time() - 7200))
        recent_unowned = archive.path / ".manifest.jsonl.def456.tmp"  # maybe another host's, just now
        recent_unowned.write_bytes(b"")
        assert killed_file.exists() and killed_file.stat().st_size == 17 * 50_000

        nothing_yet = Archive(archive.path)  # opening reads, takes no lock: nothing is removed
        assert killed_file.exists() and nothing_yet.entries()
        nothing_yet.write(copy.deepcopy(hostile_payloads["20250116000000_other"]), user_id=IDS.example_user)

        assert not killed_file.exists() and not old_unowned.exists()
        assert live_file.exists() and recent_unowned.exists()
        assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
            first.file.rsplit("/", 1)[1],
            "20250116000000_other@UTC.json",
        ]
    finally:
        live.kill()
        live.wait(timeout=10)
    later = Archive(archive.path)  # its writer gone too: the next run takes it
    later.write(copy.deepcopy(example_result), user_id=IDS.example_user)
    assert not live_file.exists() and recent_unowned.exists()


# ----------------------------------------------------------------------------- 6. formula cells

HOSTILE_GROUPS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "'=quoted"]


@pytest.fixture(scope="module")
def hostile_cohort():
    nights = [
        make_payload("2025-03-10T23:00:00", "Asia/Seoul", night_stages(10, 100, 10), suffix=f"grou{i}")
        for i in range(len(HOSTILE_GROUPS))
    ]
    return to_cohort(nights, groups=HOSTILE_GROUPS)


def _cells(path: Path, column: str) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [row[column] for row in csv.DictReader(fh)]


def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(tmp_path, hostile_cohort) -> None:
    out = export_stats(hostile_cohort, tmp_path / "stats.csv")
    groups = _cells(out, "group")
    assert sorted(groups) == sorted("'" + g for g in HOSTILE_GROUPS)  # OWASP: a leading single quote
    with out.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):  # no text cell of the file starts a formula
            assert not [c for c in row if c[:1] in ("=", "+", "@", "\t", "\r") or c.startswith("-2")]
    meta = json.loads(Path(f"{out}-metadata.json").read_text())
    assert meta["asleep_nb:spreadsheetSafe"] is True
    back = read_table(out)  # read back exactly what was exported
    assert back["group"].tolist() == stats_table(hostile_cohort)["group"].tolist()
    assert back.equals(stats_table(hostile_cohort))


def test_spreadsheet_safety_can_be_turned_off_for_r_and_pandas(tmp_path, hostile_cohort) -> None:
    out = export_stats(hostile_cohort, tmp_path / "stats.csv", spreadsheet_safe=False)
    assert sorted(_cells(out, "group")) == sorted(HOSTILE_GROUPS)
    assert json.loads(Path(f"{out}-metadata.json").read_text())["asleep_nb:spreadsheetSafe"] is False
    assert read_table(out).equals(stats_table(hostile_cohort))


def test_numbers_are_never_quoted(tmp_path, hostile_cohort) -> None:
    out = export_epochs(hostile_cohort, tmp_path / "epochs.csv")
    stages = _cells(out, "stage")
    assert "-1" in stages or "0" in stages
    assert not [s for s in stages if s.startswith("'")]  # a numeric column holds numbers, unquoted


def test_a_hostile_sync_state_is_archive_corrupt_never_a_hang_or_a_recursion_error(tmp_path) -> None:
    from asleep_nb.loading.sync_state import SYNC_STATE_NAME, read_sync_state

    path = tmp_path / SYNC_STATE_NAME
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    raised, _ = _bounded(lambda: read_sync_state(tmp_path))
    assert type(raised) is errors.ArchiveCorrupt and "nested 100000 levels deep" in str(raised)
    path.unlink()
    os.mkfifo(path)
    raised, elapsed = _bounded(lambda: read_sync_state(tmp_path))
    assert type(raised) is errors.ArchiveCorrupt and "FIFO" in str(raised) and elapsed < 2
