"""A zarr cohort computed on a dask.distributed cluster of worker *processes* equals the in-memory path.

Process workers (not threads) make every task cross a process boundary: the engine, the research
metrics and their arguments must pickle, and the workers import asleep_nb themselves, as on a real
cluster. One cluster serves the module (it takes several seconds to start on two cores).
"""

from __future__ import annotations

import dataclasses

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
from asleep_nb.stats import (
    compute_stats,
    persistent_sleep_latency,
    rem_latency_from_onset,
    research_sleep_latency,
    sleep_fragmentation_index,
    table_one,
    transition_counts,
    transition_probabilities,
)

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

METRICS = (
    research_sleep_latency,
    persistent_sleep_latency,
    rem_latency_from_onset,
    sleep_fragmentation_index,
    transition_counts,
    transition_probabilities,
)


@pytest.fixture(scope="module")
def cohort() -> xr.Dataset:
    """The 80 single-night demo users (healthy and apnea) and the 112 panel nights, aligned by onset."""
    store = load(demo_data_dir())
    records = [
        dataclasses.replace(SessionResult.from_payload(s.result), user_id=s.user_id)
        for s in store.sessions.values()
        if s.result["session"]["state"] == "COMPLETE"
    ]
    groups = {row["user_id"]: row["group"] for row in store.manifest}
    records = [r for r in records if groups.get(r.user_id) in ("healthy", "apnea", "panel")]
    return to_cohort(records, groups=[groups[r.user_id] for r in records], align="onset")


@pytest.fixture(scope="module")
def lazy(cohort, tmp_path_factory) -> xr.Dataset:
    path = tmp_path_factory.mktemp("zarr") / "cohort.zarr"
    to_zarr(cohort, path, chunks=40)
    return open_cohort(path)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _ran_on_workers(client, tasks) -> int:
    """How many task executions the workers logged (the scheduler saw them, not this process)."""
    return len(tasks.data)


def test_the_cluster_has_two_process_workers(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2 and __import__("os").getpid() not in pids


def test_compute_stats_on_the_cluster_equals_in_memory(client, cohort, lazy):
    eager = compute_stats(cohort)
    with distributed.get_task_stream(client) as tasks:
        computed = compute_stats(lazy).compute()
    assert _ran_on_workers(client, tasks) >= lazy["sleep_stage"].data.numblocks[0]
    n = eager.sizes["cycle"]
    assert np.isnat(computed["sleep_cycle_time"].values[:, n:]).all()
    xr.testing.assert_identical(computed.isel(cycle=slice(0, n)), eager)


@pytest.mark.parametrize("metric", METRICS, ids=lambda f: f.__name__)
def test_research_metrics_run_chunk_by_chunk_on_the_cluster(client, cohort, lazy, metric):
    result = metric(lazy)
    assert result.chunks is not None and result.chunks[0] == lazy["sleep_stage"].chunks[0]
    with distributed.get_task_stream(client) as tasks:
        computed = result.compute()
    assert _ran_on_workers(client, tasks) >= len(result.chunks[0])
    xr.testing.assert_identical(computed, metric(cohort))


def test_stats_table_and_table_one_on_the_cluster_equal_in_memory(client, cohort, lazy):
    pd.testing.assert_frame_equal(stats_table(lazy), stats_table(cohort))
    pd.testing.assert_frame_equal(
        table_one(lazy, groups=("healthy", "apnea"), n_boot=199),
        table_one(cohort, groups=("healthy", "apnea"), n_boot=199),
    )
