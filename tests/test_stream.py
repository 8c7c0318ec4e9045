"""Streaming an archive into a zarr cohort chunk by chunk: the same cohort, the same statistics."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import dask
import numpy as np
import pytest
import xarray as xr

import asleep_nb.loading.stream as stream
from asleep_nb.data.cohort import to_cohort
from asleep_nb.errors import ArchiveCorrupt, ArchiveWarning
from asleep_nb.loading.archive import Archive, open_archive
from asleep_nb.loading.stream import archive_to_zarr, plan_stream
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin.convert import session_result_in_zone
from asleep_nb.stats import compute_stats

#: Small enough that the 284 demo sessions span several chunks of different epoch widths.
CHUNK = 37
#: Every session of the demo (healthy, apnea, panel, edge and validation users).
N_DEMO = 284


def _demo_payloads() -> list[tuple[dict, str, str]]:
    """Every demo session as (Get Session result in its user's zone, user id, zone)."""
    folder = demo_data_dir()
    with (folder / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        zones = {row["user_id"]: row["timezone"] or "UTC" for row in csv.DictReader(fh)}
    out = []
    for path in sorted((folder / "sessions").glob("*.json")):
        data = json.loads(path.read_bytes())
        user_id = data.pop("user_id")
        out.append((session_result_in_zone(data, zones[user_id]), user_id, zones[user_id]))
    return out


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory) -> Path:
    """An archive of the 284 demo sessions, each in its user's zone (several zones, DST nights)."""
    path = tmp_path_factory.mktemp("stream") / "archive"
    archive = Archive(path)
    for payload, user_id, zone in _demo_payloads():
        archive.write(payload, user_id=user_id, timezone=zone)
    return path


@pytest.fixture(scope="module")
def groups(archive_path) -> dict[str, str]:
    """A group per session: the demo manifest's group of its user."""
    with (demo_data_dir() / "manifest.csv").open(newline="", encoding="utf-8") as fh:
        by_user = {row["user_id"]: row["group"] for row in csv.DictReader(fh)}
    return {e.session_id: by_user[e.user_id] for e in open_archive(archive_path).entries()}


@pytest.mark.parametrize("align", ["start", "onset", "clock"])
def test_streamed_store_equals_to_cohort_of_all_records(archive_path, groups, tmp_path, align):
    archive = open_archive(archive_path)
    lazy = archive_to_zarr(archive, tmp_path / "c.zarr", chunk=CHUNK, align=align, groups=groups)
    expected = archive.to_cohort(align=align, groups=groups)
    assert lazy["sleep_stage"].chunks[0][0] == CHUNK
    assert lazy.sizes["session"] == N_DEMO
    xr.testing.assert_identical(lazy.compute(), expected)


def test_the_archive_method_streams_the_same_store(archive_path, groups, tmp_path):
    archive = open_archive(archive_path)
    lazy = archive.to_zarr(tmp_path / "m.zarr", chunk=CHUNK, align="onset", groups=groups)
    xr.testing.assert_identical(lazy.compute(), archive.to_cohort(align="onset", groups=groups))


def test_chunks_of_different_widths_are_padded_to_the_planned_axis(archive_path, tmp_path):
    archive = open_archive(archive_path)
    plan = plan_stream(archive, chunk=CHUNK, align="onset")
    pieces = [
        to_cohort(
            [archive.read(e.session_id, e.timezone) for e in plan.entries[i : i + CHUNK]], align="onset"
        )
        for i in range(0, N_DEMO, CHUNK)
    ]
    widths = {p.sizes["epoch"] for p in pieces}
    assert len(widths) > 1  # the test really exercises widening
    lo, hi = plan.epoch_bounds
    assert lo == min(int(p["epoch"][0]) for p in pieces) and hi == max(
        int(p["epoch"][-1]) + 1 for p in pieces
    )
    assert plan.cycles == max(p.sizes["cycle"] for p in pieces)


def test_one_chunk_and_sequence_groups(archive_path, tmp_path):
    archive = open_archive(archive_path)
    labels = ["a" if i % 3 else "b" for i in range(len(archive))]
    lazy = archive_to_zarr(archive, tmp_path / "c.zarr", chunk=1000, groups=labels)
    xr.testing.assert_identical(lazy.compute(), archive.to_cohort(groups=labels))


def test_compute_stats_through_dask_equals_in_memory(archive_path, tmp_path):
    archive = open_archive(archive_path)
    lazy = archive_to_zarr(archive, tmp_path / "c.zarr", chunk=CHUNK, align="clock")
    eager = compute_stats(archive.to_cohort(align="clock"))
    with dask.config.set(scheduler="threads"):
        result = compute_stats(lazy)
        assert result["time_in_sleep"].chunks is not None  # lazy: one task per session chunk
        computed = result.compute()
    n = eager.sizes["cycle"]
    assert np.isnat(computed["sleep_cycle_time"].values[:, n:]).all()
    xr.testing.assert_identical(computed.isel(cycle=slice(0, n)), eager)


def test_never_more_than_chunk_sessions_built_at_once(archive_path, tmp_path, monkeypatch):
    sizes: list[int] = []

    def spy(records, **kwargs):
        records = list(records)
        sizes.append(len(records))
        return to_cohort(records, **kwargs)

    monkeypatch.setattr(stream, "to_cohort", spy)
    archive_to_zarr(open_archive(archive_path), tmp_path / "c.zarr", chunk=50)
    assert max(sizes) == 50
    assert sum(sizes) == 2 * N_DEMO  # two passes, every session once in each
    sizes.clear()
    archive_to_zarr(open_archive(archive_path), tmp_path / "d.zarr", chunk=500)
    assert sizes == [N_DEMO]  # it all fits in one chunk: one pass


def test_corrupt_file_raises_or_is_skipped(archive_path, tmp_path):
    copy = tmp_path / "archive"
    archive = Archive(copy)
    for payload, user_id, zone in _demo_payloads()[:20]:
        archive.write(payload, user_id=user_id, timezone=zone)
    victim = archive.entries()[5]
    (copy / victim.file).write_bytes(b"{}")
    with pytest.raises(ArchiveCorrupt):
        archive_to_zarr(archive, tmp_path / "a.zarr", chunk=7)
    with pytest.warns(ArchiveWarning, match="skipped"):
        lazy = archive_to_zarr(archive, tmp_path / "b.zarr", chunk=7, on_corrupt="skip")
        expected = archive.to_cohort(on_corrupt="skip")
    assert victim.session_id not in lazy["session_id"].values
    xr.testing.assert_identical(lazy.compute(), expected)


def test_refuses_what_to_cohort_refuses(archive_path, tmp_path):
    archive = open_archive(archive_path)
    with pytest.raises(ValueError, match="chunk"):
        archive_to_zarr(archive, tmp_path / "a.zarr", chunk=0)
    (tmp_path / "exists.zarr").mkdir()
    with pytest.raises(FileExistsError):
        archive_to_zarr(archive, tmp_path / "exists.zarr")
    with pytest.raises(ValueError, match="no session"):
        archive_to_zarr(Archive(tmp_path / "empty"), tmp_path / "b.zarr")
    twice = Archive(tmp_path / "twice")
    payload, user_id, _ = _demo_payloads()[0]
    twice.write(payload, user_id=user_id, timezone=payload["timezone"])
    twice.write(session_result_in_zone(payload, "Asia/Tokyo"), user_id=user_id, timezone="Asia/Tokyo")
    with pytest.raises(ValueError, match="several zones"):
        archive_to_zarr(twice, tmp_path / "c.zarr")
    with pytest.raises(ValueError, match="labels"):
        archive_to_zarr(archive, tmp_path / "d.zarr", groups=["a", "b"])


def test_a_failed_write_leaves_no_store_and_mode_w_replaces(archive_path, tmp_path, monkeypatch):
    archive = open_archive(archive_path)
    calls = []
    widen = stream.widen

    def failing_widen(*args):
        calls.append(1)
        if len(calls) == 2:  # the second chunk's write fails
            raise OSError("disk full")
        return widen(*args)

    monkeypatch.setattr(stream, "widen", failing_widen)
    with pytest.raises(OSError, match="disk full"):
        archive_to_zarr(archive, tmp_path / "c.zarr", chunk=CHUNK)
    assert list(tmp_path.iterdir()) == []  # neither the store nor a partial one
    monkeypatch.undo()
    archive_to_zarr(archive, tmp_path / "c.zarr", chunk=CHUNK, align="onset")
    lazy = archive_to_zarr(archive, tmp_path / "c.zarr", chunk=CHUNK, mode="w")
    assert lazy.attrs["alignment"] == "start"
    assert [p.name for p in tmp_path.iterdir()] == ["c.zarr"]
