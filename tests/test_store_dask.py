"""Zarr cohort stores and lazy (dask) statistics, threaded and on a dask.distributed cluster."""

from __future__ import annotations

import dataclasses

import dask
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from asleep_nb.api.records import SessionResult
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.store import open_cohort, to_zarr
from asleep_nb.data.table import stats_table
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin import load
from asleep_nb.stats import compute_stats


@pytest.fixture(scope="module")
def cohort() -> xr.Dataset:
    """60 demo nights (several users and zones), in memory."""
    store = load(demo_data_dir())
    records = [
        dataclasses.replace(SessionResult.from_payload(s.result), user_id=s.user_id)
        for s in list(store.sessions.values())[:60]
    ]
    return to_cohort(records, groups=[r.user_id[-3:] for r in records])


@pytest.fixture(scope="module")
def zarr_path(cohort, tmp_path_factory):
    path = tmp_path_factory.mktemp("zarr") / "cohort.zarr"
    to_zarr(cohort, path, chunks=16)
    return path


def _same_stats(eager: xr.Dataset, lazy: xr.Dataset) -> None:
    """Lazy stats equal eager ones; the lazy ``cycle`` axis is the full bound, padded with NaT."""
    computed = lazy.compute()
    n = eager.sizes["cycle"]
    assert np.isnat(computed["sleep_cycle_time"].values[:, n:]).all()
    xr.testing.assert_identical(eager, computed.isel(cycle=slice(0, n)))


def test_round_trip_is_identical_and_chunked_along_session(cohort, zarr_path):
    lazy = open_cohort(zarr_path)
    assert lazy["sleep_stage"].chunks == ((16, 16, 16, 12), (cohort.sizes["epoch"],))
    assert all(v.chunks is not None for v in lazy.data_vars.values())
    xr.testing.assert_identical(lazy.compute(), cohort)
    for name in ("session_id", "group", "timezone", "state", "peculiarities"):
        assert lazy[name].dtype == object
    rechunked = open_cohort(zarr_path, chunks={"session": 25})
    assert rechunked["sleep_stage"].chunks[0] == (25, 25, 10)
    assert open_cohort(zarr_path, chunks=7)["start_time"].chunks[0][0] == 7
    with pytest.raises(ValueError, match="chunk size"):
        open_cohort(zarr_path, chunks="auto")


def test_append_chunk_by_chunk_gives_the_same_store(cohort, tmp_path):
    path = tmp_path / "parts.zarr"
    to_zarr(cohort.isel(session=slice(0, 20)), path, chunks=10)
    to_zarr(cohort.isel(session=slice(20, 40)), path, append=True)
    to_zarr(cohort.isel(session=slice(40, None)), path, append=True)
    lazy = open_cohort(path)
    assert lazy["sleep_stage"].chunks[0] == (10,) * 6
    xr.testing.assert_identical(lazy.compute(), cohort)
    # the consolidated metadata follows the appends: a plain reader sees every session
    assert xr.open_zarr(path, consolidated=True).sizes["session"] == cohort.sizes["session"]
    with pytest.raises(ValueError, match="epoch axis differs"):
        to_zarr(cohort.isel(session=slice(0, 2), epoch=slice(0, 10)), path, append=True)


def test_bad_arguments(cohort, zarr_path, tmp_path):
    with pytest.raises(FileExistsError, match="mode='w'"):
        to_zarr(cohort, zarr_path)
    with pytest.raises(ValueError, match="chunk size"):
        to_zarr(cohort, tmp_path / "x.zarr", chunks={"session": 0})
    with pytest.raises(ValueError, match="mode"):
        to_zarr(cohort, tmp_path / "x.zarr", mode="a")
    with pytest.raises(ValueError, match="zarr_format must be 2 or 3"):
        to_zarr(cohort, tmp_path / "x.zarr", zarr_format=4)
    with pytest.raises(ValueError, match="session"):
        to_zarr(cohort.isel(session=0), tmp_path / "x.zarr")
    with pytest.raises(FileNotFoundError, match="no zarr store"):
        open_cohort(tmp_path / "missing.zarr")
    to_zarr(cohort.isel(session=slice(0, 3)), zarr_path.parent / "small.zarr", mode="w")
    to_zarr(cohort.isel(session=slice(0, 5)), zarr_path.parent / "small.zarr", mode="w")
    assert open_cohort(zarr_path.parent / "small.zarr").sizes["session"] == 5


def test_compute_stats_is_lazy_and_matches_in_memory_threaded(cohort, zarr_path):
    lazy = open_cohort(zarr_path)
    stats = compute_stats(lazy)
    assert isinstance(stats["time_in_sleep"].data, dask.array.Array)
    with dask.config.set(scheduler="threads"):
        _same_stats(compute_stats(cohort), stats)


def test_compute_stats_on_a_local_cluster_matches_in_memory(cohort, zarr_path):
    distributed = pytest.importorskip("distributed")
    # processes=False: worker threads in this process; process workers take ~8 s to start on 2 cores
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        lazy = compute_stats(open_cohort(zarr_path, chunks={"session": 20}))
        assert len(client.scheduler_info()["workers"]) == 2
        _same_stats(compute_stats(cohort), lazy)


def test_stats_table_of_a_zarr_cohort_equals_in_memory(cohort, zarr_path):
    pd.testing.assert_frame_equal(stats_table(open_cohort(zarr_path)), stats_table(cohort))


def test_accessor_to_zarr(cohort, tmp_path):
    cohort.asleep.to_zarr(tmp_path / "acc.zarr", chunks={"session": 30})
    lazy = open_cohort(tmp_path / "acc.zarr")
    assert lazy["sleep_stage"].chunks[0] == (30, 30)
    xr.testing.assert_identical(lazy.compute(), cohort)
    # a dask-backed cohort written again (rechunked) round-trips too
    to_zarr(lazy, tmp_path / "again.zarr", chunks=25)
    xr.testing.assert_identical(open_cohort(tmp_path / "again.zarr").compute(), cohort)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_store_formats_are_consolidated_and_hold_the_cf_form(cohort, tmp_path, zarr_format):
    path = tmp_path / f"v{zarr_format}.zarr"
    to_zarr(cohort, path, chunks=25, zarr_format=zarr_format)
    assert (path / (".zmetadata" if zarr_format == 2 else "zarr.json")).exists()
    plain = xr.open_zarr(path, consolidated=True)
    assert plain["night"].dtype.kind in "OTU" and plain["local_start_time"].dtype.kind in "OTU"
    assert plain["sleep_stage"].dtype == np.float32  # padding masked for plain readers
    lazy = open_cohort(path)
    assert lazy["sleep_stage"].dtype == np.int8 and lazy["sleep_stage"].chunks[0] == (25, 25, 10)
    xr.testing.assert_identical(lazy.compute(), cohort)


def test_a_store_written_before_consolidation_still_opens(cohort, tmp_path):
    path = tmp_path / "old.zarr"
    cohort.to_zarr(path, consolidated=False)  # xarray's own writer, no CF form, no consolidated metadata
    xr.testing.assert_identical(open_cohort(path).compute(), cohort)
