"""The local archive of raw payloads, against the stand-in over a real socket."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from asleep_nb.api.client import Client
from asleep_nb.errors import ArchiveWarning, InvalidIdentifier, PayloadError
from asleep_nb.loading.archive import (
    MANIFEST_NAME,
    Archive,
    ArchiveCorrupt,
    as_archive,
    open_archive,
    zone_token,
)
from asleep_nb.standin import serve


def _client(server, **kw) -> Client:
    return Client(api_key=server.api_key, base_url=server.url, **kw)


def _flip_a_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_fetch_writes_the_payload_file_and_a_manifest_line(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    archive = Archive(tmp_path / "a")
    client = _client(standin_fresh)
    record = archive.fetch(client, ids.example_session, user_id=ids.example_user, timezone="Asia/Seoul")
    assert record.user_id == ids.example_user and record.session.id == ids.example_session
    path = tmp_path / "a" / "sessions" / ids.example_user / f"{ids.example_session}@Asia~Seoul.json"
    data = path.read_bytes()
    assert json.loads(data) == client.get_session_payload(
        ids.example_session, user_id=ids.example_user, timezone="Asia/Seoul"
    )
    (entry,) = archive.entries()
    assert entry.sha256 == hashlib.sha256(data).hexdigest() and entry.size == len(data)
    assert (entry.state, entry.timezone, entry.file) == (
        "COMPLETE",
        "Asia/Seoul",
        f"sessions/{ids.example_user}/{ids.example_session}@Asia~Seoul.json",
    )
    table = archive.manifest
    assert list(table.columns) == [
        "session_id",
        "user_id",
        "timezone",
        "state",
        "fetched_at",
        "sha256",
        "size",
        "file",
    ]
    assert str(table["fetched_at"].dt.tz) == "UTC"
    lines = (tmp_path / "a" / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["session_id"] == ids.example_session


def test_complete_is_never_fetched_twice_open_and_closed_are(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    archive = Archive(tmp_path)
    client = _client(standin_fresh)
    wanted = [
        (ids.example_session, ids.example_user),
        (ids.open_session, ids.edge_user),
        (ids.closed_session, ids.edge_user),
    ]
    for sid, uid in wanted:
        archive.fetch(client, sid, user_id=uid)
    assert standin_fresh.request_count == 3
    standin_fresh.reset_counts()
    again = [archive.fetch_status(client, sid, user_id=uid) for sid, uid in wanted]
    assert [from_archive for _, from_archive in again] == [True, False, False]
    assert sorted(p for _, p in standin_fresh.requests) == sorted(
        f"/data/v3/sessions/{s}" for s in (ids.open_session, ids.closed_session)
    )
    # the same session in another zone is another file
    archive.fetch(client, ids.example_session, user_id=ids.example_user, timezone="Europe/Paris")
    assert len(archive) == 4
    assert archive.read(ids.example_session, "Europe/Paris").timezone == "Europe/Paris"


def test_corrupt_file_is_detected_not_trusted_and_refetched(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    archive = Archive(tmp_path)
    client = _client(standin_fresh)
    archive.fetch(client, ids.example_session, user_id=ids.example_user)
    good = archive.read_payload(ids.example_session)
    path = tmp_path / archive.entry(ids.example_session).file
    _flip_a_byte(path)
    with pytest.raises(ArchiveCorrupt, match="sha256") as info:
        archive.read(ids.example_session)
    assert info.value.path == str(path)
    assert archive.cached(ids.example_session, ids.example_user) is None
    with pytest.raises(ArchiveCorrupt):
        open_archive(tmp_path).records()
    with pytest.warns(ArchiveWarning, match="cannot be trusted"):
        assert open_archive(tmp_path).records(on_corrupt="skip") == []
    standin_fresh.reset_counts()
    _, from_archive = archive.fetch_status(client, ids.example_session, user_id=ids.example_user)
    assert not from_archive and standin_fresh.request_count == 1
    assert archive.read_payload(ids.example_session) == good


@pytest.mark.parametrize(
    "damage",
    ["truncate", "delete", "not_json", "not_a_payload"],
)
def test_other_damage_is_corrupt_too(standin_fresh, standin_ids, tmp_path, damage):
    ids = standin_ids
    archive = Archive(tmp_path)
    archive.fetch(_client(standin_fresh), ids.example_session, user_id=ids.example_user)
    entry = archive.entry(ids.example_session)
    path = tmp_path / entry.file
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-10])
    elif damage == "delete":
        path.unlink()
    else:  # consistent hash, bad content: a manifest line written by hand
        data = b"[1, 2" if damage == "not_json" else b'{"session": {"id": 3}}'
        path.write_bytes(data)
        line = {
            **json.loads((tmp_path / MANIFEST_NAME).read_text()),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        line["size"] = len(data)
        (tmp_path / MANIFEST_NAME).write_text(json.dumps(line) + "\n")
    with pytest.raises(ArchiveCorrupt):
        open_archive(tmp_path).read(ids.example_session)


def test_leftovers_of_a_crash_are_ignored(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    archive = Archive(tmp_path)
    client = _client(standin_fresh)
    archive.fetch(client, ids.example_session, user_id=ids.example_user)
    folder = tmp_path / "sessions" / ids.edge_user
    folder.mkdir(parents=True)
    # a temp file of an interrupted write, a file whose manifest line never came, a torn last line
    (folder / f".{ids.two_stage_session}@UTC.json.abc123.tmp").write_bytes(b'{"session": {"id"')
    (folder / f"{ids.closed_session}@UTC.json").write_bytes(b"{}")
    with open(tmp_path / MANIFEST_NAME, "a") as fh:
        fh.write('{"session_id": "20250203220000_tw')
    reopened = open_archive(tmp_path)
    assert [e.session_id for e in reopened.entries()] == [ids.example_session]
    assert [r.session.id for r in reopened.records()] == [ids.example_session]
    standin_fresh.reset_counts()
    # the torn line is no longer the last once a new line follows it: skipped, with one warning naming it
    with pytest.warns(ArchiveWarning, match="line 2 is not a manifest entry"):
        reopened.fetch(client, ids.two_stage_session, user_id=ids.edge_user)
    assert standin_fresh.request_count == 1
    assert {e.session_id for e in reopened.entries()} == {ids.example_session, ids.two_stage_session}
    with pytest.warns(ArchiveWarning, match="line 2 is not a manifest entry"):
        again = open_archive(tmp_path)
    assert {e.session_id for e in again.entries()} == {ids.example_session, ids.two_stage_session}


def test_a_second_archive_object_sees_what_the_first_wrote(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    writer, reader = Archive(tmp_path), Archive(tmp_path)
    assert len(reader) == 0
    writer.fetch(_client(standin_fresh), ids.example_session, user_id=ids.example_user)
    # the reader rereads manifest.jsonl once it changed on disk (as when another process writes)
    assert [e.session_id for e in reader.entries()] == [ids.example_session]
    assert reader.cached(ids.example_session, ids.example_user) is not None


def test_archived_client_reads_through_the_archive_and_passes_raw_payloads(
    standin_fresh, standin_ids, tmp_path
):
    ids = standin_ids
    archive = Archive(tmp_path)
    with archive.wrap(_client(standin_fresh)) as client:
        payload = client.get_session_payload(ids.example_session, user_id=ids.example_user)
        assert payload["session"]["id"] == ids.example_session and len(archive) == 0
        first = client.get_session(ids.example_session, user_id=ids.example_user)
        standin_fresh.reset_counts()
        again = client.get_session(ids.example_session, user_id=ids.example_user)
        assert standin_fresh.request_count == 0 and again == first and len(archive) == 1
        assert client.get_user(ids.example_user).user_id == ids.example_user  # the client's own


def test_compact_keeps_the_latest_line_per_session(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    archive = Archive(tmp_path)
    client = _client(standin_fresh)
    for _ in range(3):
        archive.fetch(client, ids.open_session, user_id=ids.edge_user)
    assert len((tmp_path / MANIFEST_NAME).read_text().splitlines()) == 3
    latest = archive.entry(ids.open_session)
    archive.compact()
    assert len((tmp_path / MANIFEST_NAME).read_text().splitlines()) == 1
    assert open_archive(tmp_path).entry(ids.open_session) == latest
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_open_archive_works_with_the_server_shut_down(standin_data_dir, standin_ids, tmp_path):
    ids = standin_ids
    wanted = [
        (ids.example_session, ids.example_user, "UTC"),
        (ids.paris_session, ids.paris_user, "Europe/Paris"),
        (ids.seoul_late_session, ids.seoul_user, "Asia/Seoul"),
    ]
    with serve(standin_data_dir) as server:
        archive = Archive(tmp_path)
        client = _client(server)
        fetched = [archive.fetch(client, s, user_id=u, timezone=z) for s, u, z in wanted]
    assert server.closed
    offline = open_archive(tmp_path)
    records = offline.records()
    assert sorted(r.session.id for r in records) == sorted(r.session.id for r in fetched)
    assert {r.session.id: r.user_id for r in records}[ids.paris_session] == ids.paris_user
    cohort = offline.to_cohort(groups="study")
    assert cohort.sizes["session"] == 3 and set(cohort["group"].values) == {"study"}
    assert dict(zip(cohort["session_id"].values, cohort["timezone"].values, strict=True)) == {
        s: z for s, _, z in wanted
    }


def test_open_archive_refuses_what_is_not_an_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="no archive folder"):
        open_archive(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match=MANIFEST_NAME):
        open_archive(tmp_path)
    Archive(tmp_path / "new")  # created on demand
    assert len(open_archive(tmp_path / "new")) == 0
    assert repr(open_archive(tmp_path / "new")).endswith("sessions=0)")


def test_bad_input_is_a_typed_error(tmp_path, example_result):
    archive = Archive(tmp_path)
    with pytest.raises(InvalidIdentifier):
        archive.file_for("../../etc", "G-1")
    with pytest.raises(InvalidIdentifier):
        archive.write(example_result, user_id="a/b")
    with pytest.raises(PayloadError, match=r"session\.id"):
        archive.write({"session": {}}, user_id="G-1")
    with pytest.raises(KeyError, match="not in the archive"):
        archive.read("20250115025029_fvivn")
    with pytest.raises(ValueError, match="on_corrupt"):
        archive.records(on_corrupt="ignore")
    with pytest.raises(TypeError, match="archive must be"):
        as_archive(3)
    assert as_archive(archive) is archive and isinstance(as_archive(tmp_path / "b"), Archive)
    assert zone_token("Etc/GMT+5") == "Etc~GMT+5"
    entry = archive.write(example_result, user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
    assert archive.read(entry.session_id).stat.time_in_sleep == example_result["stat"]["time_in_sleep"]
    assert not [n for n in os.listdir(tmp_path / "sessions" / entry.user_id) if n.endswith(".tmp")]


def test_the_api_key_is_written_nowhere_in_an_archive(standin_fresh, standin_ids, tmp_path):
    ids = standin_ids
    client = Archive(tmp_path / "a").wrap(Client(api_key=standin_fresh.api_key, base_url=standin_fresh.url))
    client.get_session(ids.example_session, user_id=ids.example_user, timezone="Europe/Paris")
    written = [p for p in (tmp_path / "a").rglob("*") if p.is_file()]
    assert written, "the archive should hold the payload and its manifest"
    key = standin_fresh.api_key.encode()
    assert not [p for p in written if key in p.read_bytes()]


@pytest.mark.filterwarnings("ignore::asleep_nb.errors.UnanalysableSessionWarning")  # OPEN, CLOSED on purpose
def test_a_cohort_from_the_archive_is_identical_to_one_from_the_network(standin_data_dir, tmp_path):
    # every demo session, each in its own zone: fetched plain, fetched into an archive, reopened offline
    import pandas as pd

    from asleep_nb.loading.load import load_cohort
    from asleep_nb.standin.store import load

    store = load(standin_data_dir)
    zones = ["UTC", "Asia/Seoul", "Europe/Paris", "America/New_York"]
    manifest = pd.DataFrame(
        [
            {"group": "g", "session_id": s.id, "user_id": s.user_id, "timezone": zones[k % len(zones)]}
            for k, s in enumerate(sorted(store.sessions.values(), key=lambda s: s.id))
        ]
    )
    with serve(standin_data_dir) as server:
        client = _client(server)
        plain = load_cohort(client, manifest, progress=False)
        archived = load_cohort(client, manifest, archive=tmp_path / "a", progress=False)
        again = load_cohort(client, manifest, archive=tmp_path / "a", progress=False)  # all from the archive
        requests_before_reopen = server.request_count
    offline = open_archive(tmp_path / "a").to_cohort(groups="g")  # the archive keeps no group labels
    assert plain.sizes["session"] == len(manifest) > 100
    for other in (archived, again, offline):
        assert other.identical(plain)
    assert server.request_count == requests_before_reopen
