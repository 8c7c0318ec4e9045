"""An archive that is never silently wrong: damaged manifests, edited lines, links, read-only folders.

Each test damages an archive the way a crash, an editor or a careless
``ln -s`` would, and checks the exact error (or warning), that nothing
valid was lost or overwritten, and that what is still good stays readable.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import IDS, _night, make_session

from asleep_nb.errors import (
    ArchiveConflict,
    ArchiveCorrupt,
    ArchiveUnwritable,
    ArchiveWarning,
    IdentityMismatch,
)
from asleep_nb.loading.archive import MANIFEST_NAME, Archive, open_archive

REPO = Path(__file__).resolve().parents[1]
USER = IDS.example_user
OTHER = "20250116000000_other"


def _payload(session_id: str, day: int, zone: str = "UTC") -> dict:
    data = make_session(session_id, USER, datetime(2025, 1, day, 22, tzinfo=UTC), _night(10, 100))
    data.pop("user_id")
    data["timezone"] = zone
    return data


@pytest.fixture
def filled(tmp_path, example_result) -> Archive:
    """An archive of three COMPLETE sessions of the example user."""
    archive = Archive(tmp_path / "a")
    archive.write(example_result, user_id=USER)
    archive.write(_payload(OTHER, 16), user_id=USER)
    archive.write(_payload("20250117000000_third", 17), user_id=USER)
    return archive


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _lines(archive: Archive) -> list[bytes]:
    return (archive.path / MANIFEST_NAME).read_bytes().splitlines()


def _rewrite(archive: Archive, lines: list[bytes]) -> None:
    (archive.path / MANIFEST_NAME).write_bytes(b"\n".join(lines) + b"\n")


# ----------------------------------------------------------------------------- the manifest


def test_a_non_utf8_line_is_skipped_with_one_warning_naming_it(filled) -> None:
    lines = _lines(filled)
    lines.insert(1, b'{"session_id": "\xff\xfe broken"}')
    _rewrite(filled, lines)
    with pytest.warns(ArchiveWarning, match=r"manifest.jsonl line 2 is not a manifest entry") as caught:
        reopened = open_archive(filled.path)
        assert len(reopened) == 3 and len(reopened.records()) == 3
        reopened.entries()
    assert len([w for w in caught if issubclass(w.category, ArchiveWarning)]) == 1  # once, not per read


@pytest.mark.parametrize(
    "damage",
    [
        b'{"session_id": "20250115025029_fv',  # torn by a crash
        b"not json at all",
        b'{"session_id": "x", "user_id": "y"}',  # keys missing
        b'{"session_id": "a", "user_id": "b", "timezone": "UTC", "state": "COMPLETE", "fetched_at": "t",'
        b' "sha256": "00", "size": 1, "file": "sessions/x.json"}',  # not a sha256
        b'{"session_id": "a", "user_id": "b", "timezone": "UTC", "state": "COMPLETE", "fetched_at": "t",'
        b' "sha256": "' + b"0" * 64 + b'", "size": 1, "file": "../../etc/passwd"}',  # climbs out
    ],
    ids=["torn", "not-json", "keys-missing", "bad-hash", "climbs-out"],
)
def test_unreadable_lines_in_the_middle_are_skipped_the_rest_stays(filled, damage) -> None:
    lines = _lines(filled)
    expected = [e.session_id for e in filled.entries()]
    _rewrite(filled, [lines[0], damage, *lines[1:]])
    with pytest.warns(ArchiveWarning, match="line 2"):
        reopened = open_archive(filled.path)
    assert [r.session.id for r in reopened.records()] == expected


def test_an_unfinished_last_line_waits_silently_then_is_skipped_once_followed(filled, recwarn) -> None:
    with open(filled.path / MANIFEST_NAME, "ab") as fh:
        fh.write(b'{"session_id": "2025011')  # another process is writing it, or crashed
    reopened = open_archive(filled.path)
    assert len(reopened) == 3 and not [w for w in recwarn if issubclass(w.category, ArchiveWarning)]
    reopened.write(_payload("20250118000000_after", 18), user_id=USER)  # starts a new line after it
    with pytest.warns(ArchiveWarning, match="line 4"):
        assert len(open_archive(filled.path)) == 4


# --------------------------------------------------------------------------- entries checked against payloads


def test_an_edited_line_pointing_at_another_sessions_file_is_not_trusted(filled) -> None:
    entries = {e.session_id: e for e in filled.entries()}
    stolen = entries[OTHER]
    line = json.loads(_lines(filled)[0])
    line.update(file=stolen.file, sha256=stolen.sha256, size=stolen.size)  # X's line, Y's file
    _rewrite(filled, [json.dumps(line).encode(), *_lines(filled)[1:]])
    reopened = open_archive(filled.path)
    with pytest.raises(ArchiveCorrupt, match="its ids say"):
        reopened.read(IDS.example_session)
    with pytest.raises(ArchiveCorrupt):
        reopened.to_cohort()
    with pytest.warns(ArchiveWarning, match="cannot be trusted"):
        cohort = reopened.to_cohort(on_corrupt="skip")
    assert sorted(cohort["session_id"].values) == sorted([OTHER, "20250117000000_third"])  # no duplicate


def test_a_file_holding_another_session_under_the_right_name_is_not_trusted(filled) -> None:
    entries = {e.session_id: e for e in filled.entries()}
    mine, theirs = entries[IDS.example_session], entries[OTHER]
    shutil.copyfile(filled.path / theirs.file, filled.path / mine.file)  # consistent hash and size below
    line = json.loads(_lines(filled)[0])
    line.update(sha256=theirs.sha256, size=theirs.size)
    _rewrite(filled, [json.dumps(line).encode(), *_lines(filled)[1:]])
    with pytest.raises(ArchiveCorrupt, match=f"it holds session '{OTHER}'"):
        open_archive(filled.path).read(IDS.example_session)


def test_a_payload_in_another_zone_than_its_name_is_not_trusted(filled) -> None:
    entry = filled.entry(IDS.example_session)
    path = filled.path / entry.file
    payload = json.loads(path.read_bytes())
    payload["timezone"] = "Asia/Seoul"
    data = json.dumps(payload).encode()
    path.write_bytes(data)
    line = json.loads(_lines(filled)[0])
    line.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    _rewrite(filled, [json.dumps(line).encode(), *_lines(filled)[1:]])
    with pytest.raises(ArchiveCorrupt, match="'Asia/Seoul'"):
        open_archive(filled.path).read(IDS.example_session)


def test_a_complete_payload_is_never_replaced_and_a_different_one_names_both_hashes(
    filled, example_result
) -> None:
    before = _snapshot(filled.path)
    stored = filled.entry(IDS.example_session)
    assert filled.write(copy.deepcopy(example_result), user_id=USER) == stored  # the same: a no-op
    changed = copy.deepcopy(example_result)
    changed["stat"]["time_in_sleep"] += 30
    with pytest.raises(ArchiveConflict) as info:
        filled.write(changed, user_id=USER)
    assert info.value.stored == stored.sha256 and info.value.received != stored.sha256
    assert stored.sha256 in str(info.value) and info.value.received in str(info.value)
    assert _snapshot(filled.path) == before  # nothing written, not even a manifest line


def test_a_payload_in_another_zone_than_asked_is_never_written(filled, example_result) -> None:
    before = _snapshot(filled.path)
    with pytest.raises(IdentityMismatch, match=r"'Europe/Paris'.*'UTC'"):
        filled.write(example_result, user_id=USER, timezone="Europe/Paris")
    assert _snapshot(filled.path) == before


def test_an_open_session_is_replaced_by_its_later_copy(tmp_path) -> None:
    archive = Archive(tmp_path)
    opened = _payload(OTHER, 16)
    opened["session"]["state"] = "OPEN"
    archive.write(opened, user_id=USER)
    archive.write(_payload(OTHER, 16), user_id=USER)
    assert archive.entry(OTHER).state == "COMPLETE" and archive.read(OTHER).session.id == OTHER


# ----------------------------------------------------------------------------- links out of the archive


def test_a_sessions_folder_linked_out_of_the_archive_is_refused(tmp_path, example_result) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    archive = Archive(tmp_path / "a")
    (archive.path / "sessions").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ArchiveCorrupt, match=r"symbolic link .* could lead out of the archive"):
        archive.write(example_result, user_id=USER)
    assert list(outside.iterdir()) == [] and len(archive) == 0


def test_a_linked_user_folder_or_file_is_never_read(filled, tmp_path) -> None:
    entry = filled.entry(IDS.example_session)
    user_dir = (filled.path / entry.file).parent
    moved = tmp_path / "moved"
    shutil.move(user_dir, moved)
    user_dir.symlink_to(moved, target_is_directory=True)
    with pytest.raises(ArchiveCorrupt, match=r"symbolic link .* could lead out of the archive"):
        open_archive(filled.path).read(IDS.example_session)
    user_dir.unlink()
    shutil.move(moved, user_dir)
    target = filled.path / entry.file
    copy_outside = tmp_path / "copy.json"
    shutil.copyfile(target, copy_outside)
    target.unlink()
    target.symlink_to(copy_outside)  # same bytes, but a link
    with pytest.raises(ArchiveCorrupt, match="symbolic link"):
        open_archive(filled.path).read(IDS.example_session)


# ----------------------------------------------------------------------------- read-only archives


def test_a_read_only_archive_opens_and_reads_without_writing_anything(filled) -> None:
    before = _snapshot(filled.path)
    for path in [filled.path, *filled.path.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        reopened = open_archive(filled.path)
        assert len(reopened.records()) == 3 and len(reopened.to_cohort()["session"]) == 3
        assert _snapshot(filled.path) == before  # not even a touch of the manifest, no lock file
    finally:
        for path in [filled.path, *filled.path.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


def _unshare_available() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=10)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(not _unshare_available(), reason="needs unshare -rm (user namespaces)")


@needs_namespaces
def test_a_read_only_mount_reads_and_a_write_ends_in_archive_unwritable(filled) -> None:
    """A real read-only file system (a bind mount in a user namespace): root cannot write either."""
    code = (
        "import sys; from asleep_nb.loading.archive import open_archive; from asleep_nb.errors import *\n"
        f"a = open_archive({str(filled.path)!r}); print(len(a.records()))\n"
        f"p = dict(a.read_payload({IDS.example_session!r}))\n"
        "p['session'] = dict(p['session'], id='20250119000000_new01')\n"
        "try: a.write(p, user_id=a.entries()[0].user_id)\n"
        "except ArchiveUnwritable as e: print(type(e).__name__, e.errno)\n"
    )
    root = str(filled.path)
    script = f'mount --bind {root} {root} && mount -o remount,bind,ro {root} && exec {sys.executable} -c "$0"'
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "ArchiveUnwritable", "30"]  # EROFS


# ----------------------------------------------------------------------------- the disk fills up


def test_a_full_disk_ends_in_archive_unwritable_and_keeps_what_was_there(
    filled, example_result, monkeypatch
) -> None:
    import errno

    from asleep_nb.loading import atomic

    before = _snapshot(filled.path)

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(ArchiveUnwritable, match="No space left on device") as info:
        filled.write(_payload("20250120000000_full1", 20), user_id=USER)
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC
    assert _snapshot(filled.path) == before  # no temporary file left, nothing replaced
    assert len(open_archive(filled.path).records()) == 3


class _LyingSource:
    """A payload source (not a Client: no checks of its own) answering every request with one payload."""

    def __init__(self, payload: dict) -> None:
        self.payload = payload

    def get_session_payload(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> dict:
        return copy.deepcopy(self.payload)


def test_the_archive_checks_any_source_before_writing(filled, example_result) -> None:
    before = _snapshot(filled.path)
    liar = _LyingSource(_payload(OTHER, 16))
    with pytest.raises(IdentityMismatch, match=f"'20250121000000_asked'.*'{OTHER}'"):
        filled.fetch(liar, "20250121000000_asked", user_id=USER)
    liar = _LyingSource({**example_result, "timezone": "Asia/Seoul"})
    with pytest.raises(IdentityMismatch, match=r"timezone 'UTC'.*'Asia/Seoul'"):
        filled.fetch(liar, IDS.example_session, user_id=IDS.edge_user)  # not cached for this user
    assert _snapshot(filled.path) == before


# ----------------------------------------------------------------------------- one reader, many files
@pytest.fixture(params=["descriptors", "paths"])
def reader_mode(request, monkeypatch) -> str:
    """Both ways InsideReader reads: through folder descriptors, and the lstat-first fallback."""
    if request.param == "paths":
        from asleep_nb.loading import archive_layout

        real = archive_layout.InsideReader.__init__

        def without_dir_fd(self, root):  # what a platform without dir_fd (Windows) does
            real(self, root)
            self._by_fd = False

        monkeypatch.setattr(archive_layout.InsideReader, "__init__", without_dir_fd)
    return request.param


def _many_users(root: Path, n_users: int) -> Archive:
    archive = Archive(root)
    for u in range(n_users):
        user = f"G-20250115025029-{chr(65 + u) * 20}"
        for night in range(2):
            data = make_session(
                f"2025011{night}00000{u}_u{u:04d}",
                user,
                datetime(2025, 1, 10 + night, 22, tzinfo=UTC),
                _night(5, 40),
            )
            data.pop("user_id")
            archive.write(data, user_id=user)
    return archive


def test_one_pass_reads_every_user_folder_and_equals_reading_one_by_one(tmp_path, reader_mode) -> None:
    archive = _many_users(tmp_path / "a", 4)
    entries = archive.entries()
    one_by_one = [archive.read(e.session_id, e.timezone) for e in entries]
    in_one_pass = [record for _, record in archive.read_entries(entries)]
    assert in_one_pass == one_by_one and [r.user_id for r in in_one_pass] == [e.user_id for e in entries]
    shuffled = entries[::-1]  # users in any order: each folder change reopens the right one
    assert [r.session.id for _, r in archive.read_entries(shuffled)] == [e.session_id for e in shuffled]


def test_one_pass_refuses_a_linked_sessions_folder(filled, tmp_path, reader_mode) -> None:
    moved = tmp_path / "moved"
    shutil.move(filled.path / "sessions", moved)
    (filled.path / "sessions").symlink_to(moved, target_is_directory=True)
    with pytest.raises(ArchiveCorrupt, match=r"sessions.*symbolic link .* could lead out of the archive"):
        open_archive(filled.path).records()
    with pytest.warns(ArchiveWarning, match="symbolic link"):
        assert open_archive(filled.path).records(on_corrupt="skip") == []


def test_one_pass_names_a_user_folder_that_is_a_file_or_missing(filled, reader_mode) -> None:
    entry = filled.entry(IDS.example_session)
    user_dir = (filled.path / entry.file).parent
    shutil.rmtree(user_dir)
    with pytest.raises(ArchiveCorrupt, match="cannot read it"):
        open_archive(filled.path).records()
    user_dir.write_bytes(b"not a folder")
    with pytest.raises(ArchiveCorrupt, match="it is not a folder"):
        open_archive(filled.path).records()


@pytest.mark.parametrize("change", [b"", b" ", b"\n" * 70_000])
def test_one_pass_reads_to_the_end_whatever_the_manifest_size(filled, reader_mode, change) -> None:
    # the reader asks for the manifest's size plus one byte; a longer or shorter file is still read whole
    entry = filled.entry(IDS.example_session)
    path = filled.path / entry.file
    path.write_bytes(path.read_bytes()[: -1 if not change else None] + change)
    size = path.stat().st_size
    with pytest.raises(ArchiveCorrupt, match=f"size {size} bytes, the manifest says {entry.size}"):
        open_archive(filled.path).records()


# ----------------------------------------------------------------------------- writers at once
def test_threads_writing_at_once_lose_nothing_and_one_session_has_one_winner(tmp_path) -> None:
    # files are created outside the folder lock (in parallel) and put in place under it
    from concurrent.futures import ThreadPoolExecutor

    archive = Archive(tmp_path / "a")
    payloads = [_payload(f"202501{d:02d}000000_ra{d:03d}", d) for d in range(1, 29)]
    with ThreadPoolExecutor(8) as pool:
        entries = list(pool.map(lambda p: archive.write(p, user_id=USER), payloads))
    assert len(open_archive(archive.path).records()) == len(payloads) == len(set(entries))

    rivals = [copy.deepcopy(payloads[0]) for _ in range(8)]
    for k, rival in enumerate(rivals):
        rival["session"]["id"] = "20250130000000_rival"
        rival["stat"]["sleep_index"] = 60 + k  # eight different final copies of one session

    def attempt(payload: dict) -> str:
        try:
            archive.write(payload, user_id=USER)
        except ArchiveConflict:
            return "refused"
        return "stored"

    with ThreadPoolExecutor(8) as pool:
        outcome = list(pool.map(attempt, rivals))
    assert outcome.count("stored") == 1 and outcome.count("refused") == 7
    kept = open_archive(archive.path).read("20250130000000_rival")
    assert kept.stat.sleep_index == 60 + outcome.index("stored")
    assert not list(archive.path.rglob("*.tmp"))  # the seven staged copies were removed
