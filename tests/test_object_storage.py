"""Cohort stores on object storage: fsspec URLs against a real S3-compatible server on 127.0.0.1.

The server is moto's (``moto[server]``, from PyPI) started by the test on a free loopback port;
s3fs talks to it over HTTP exactly as it would to a cloud bucket. ``memory://`` covers the
fsspec path without a server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import xarray as xr
from hostile import unused_port

from asleep_nb.data.location import StoreLocation
from asleep_nb.data.store import open_cohort, to_zarr
from asleep_nb.loading.archive import Archive, open_archive
from asleep_nb.stats import compute_stats, persistent_sleep_latency

s3fs = pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

SECRET = "not-a-real-secret-8b1f"
BUCKET = "asleep-study"


@pytest.fixture(scope="module")
def s3() -> Iterator[dict]:
    """storage_options for a bucket on a moto S3 server on 127.0.0.1, stopped after the module."""
    port = unused_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {
        "key": "test-key",
        "secret": SECRET,
        "client_kwargs": {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"},
    }
    fs = s3fs.S3FileSystem(**options)
    fs.call_s3("create_bucket", Bucket=BUCKET)
    try:
        yield options
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cohort(asleep_standin) -> xr.Dataset:
    import asleep_nb

    with asleep_nb.Client(base_url=asleep_standin.url, api_key=asleep_standin.api_key) as client:
        return asleep_nb.load_cohort(client, "data/demo/study.csv", align="onset", progress=False)


def _url(name: str) -> str:
    return f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}/{name}"


def test_memory_url_round_trip_is_identical(cohort):
    url = f"memory://{uuid.uuid4().hex}/cohort.zarr"
    cohort.asleep.to_zarr(url, chunks=25)
    lazy = open_cohort(url)
    assert lazy["sleep_stage"].chunks[0] == (25, 25, 25, 5)
    xr.testing.assert_identical(lazy.compute(), cohort)


def test_s3_round_trip_modes_and_append(cohort, s3):
    url = _url("cohort.zarr")
    first, rest = cohort.isel(session=slice(0, 50)), cohort.isel(session=slice(50, None))
    to_zarr(first, url, chunks=20, storage_options=s3)
    with pytest.raises(FileExistsError, match="exists"):
        to_zarr(first, url, storage_options=s3)
    to_zarr(rest, url, append=True, storage_options=s3)
    xr.testing.assert_identical(open_cohort(url, storage_options=s3).compute(), cohort)
    to_zarr(first, url, mode="w", storage_options=s3)  # overwrite
    assert open_cohort(url, storage_options=s3).sizes["session"] == 50


def test_lazy_statistics_read_from_s3_equal_in_memory(cohort, s3):
    url = _url("stats.zarr")
    to_zarr(cohort, url, chunks=30, storage_options=s3)
    lazy = open_cohort(url, storage_options=s3)
    eager = compute_stats(cohort)
    computed = compute_stats(lazy).compute().isel(cycle=slice(0, eager.sizes["cycle"]))
    xr.testing.assert_identical(computed, eager)
    xr.testing.assert_identical(persistent_sleep_latency(lazy).compute(), persistent_sleep_latency(cohort))


def test_an_archive_streams_to_s3_and_leaves_no_partial_store(cohort, s3, tmp_path: Path, asleep_standin):
    import asleep_nb

    archive_dir = tmp_path / "archive"
    with asleep_nb.Client(base_url=asleep_standin.url, api_key=asleep_standin.api_key) as client:
        asleep_nb.load_cohort(client, "data/demo/study.csv", archive=Archive(archive_dir), progress=False)
    url = _url("streamed.zarr")
    lazy = open_archive(archive_dir).to_zarr(url, chunk=30, align="onset", storage_options=s3)
    local = open_archive(archive_dir).to_zarr(tmp_path / "local.zarr", chunk=30, align="onset")
    xr.testing.assert_identical(lazy.compute(), local.compute())
    fs = s3fs.S3FileSystem(**s3)
    prefix = url.removeprefix("s3://").rsplit("/", 1)[0]
    assert [p.rsplit("/", 1)[1] for p in fs.ls(prefix)] == ["streamed.zarr"]  # no ".partial-<pid>" left
    with pytest.raises(FileExistsError):
        open_archive(archive_dir).to_zarr(url, chunk=30, storage_options=s3)


def test_credentials_never_reach_a_message(s3):
    url = f"s3://user:{SECRET}@{BUCKET}/missing.zarr"
    with pytest.raises(FileNotFoundError) as info:
        open_cohort(f"s3://{BUCKET}/missing.zarr", storage_options=s3)
    assert SECRET not in str(info.value)
    where = StoreLocation.of(url, s3)
    assert SECRET not in repr(where) and SECRET not in str(where)


def test_storage_options_for_a_local_path_are_refused(tmp_path, cohort):
    with pytest.raises(ValueError, match="storage_options apply to URLs"):
        to_zarr(cohort, tmp_path / "c.zarr", storage_options={"anon": True})
