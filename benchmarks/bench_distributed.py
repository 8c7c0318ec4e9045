"""A zarr cohort of N nights on a dask.distributed cluster: 1 worker against 2, peak memory per worker.

Workload (stated beside every figure): N nights (default 200,000) tiled from the 193 COMPLETE demo
nights that are real DOD scorings re-timed (healthy, apnea, panel: 791-1,310 epochs, the demo's
snoring on every night) plus, once per 1,000 nights, the demo's session over 24 hours (the edge
case TOO_LONG_FOR_ANALYSIS, 4,057 epochs), so the padded epoch axis is the long night's, as in a
real cohort. Stored with ``to_zarr`` in chunks of ``--chunk`` sessions (default 2,000), built
chunk by chunk (appends), never whole in memory.

For each worker count, a fresh ``LocalCluster(n_workers=k, threads_per_worker=1,
processes=True)`` runs, each timed:

- ``compute_stats``: the vendor-exact stat object of every night, written to another zarr store
  (``to_zarr`` of the lazy result: nothing gathered in the client);
- ``metrics``: ``persistent_sleep_latency`` and ``sleep_fragmentation_index``, chunk by chunk
  (one value per night gathered: 1.6 MB each at 200,000 nights).

Peak memory per worker is each worker process's ``ru_maxrss`` after the run (MiB). The machine
has 2 cores: 2 workers can at most halve the time.

Usage: ``python benchmarks/bench_distributed.py [N] [--chunk 2000] [--workers 1 2]``
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import shutil
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from asleep_nb.api.records import SessionResult
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.store import open_cohort, to_zarr
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin import load


def _base_nights() -> tuple[xr.Dataset, xr.Dataset]:
    """(the 193 complete demo nights, the one night over 24 hours), aligned by start, same epoch axis."""
    store = load(demo_data_dir())
    groups = {row["user_id"]: row["group"] for row in store.manifest}
    records, long_night = [], None
    for s in store.sessions.values():
        record = dataclasses.replace(SessionResult.from_payload(s.result), user_id=s.user_id)
        if s.result["session"]["state"] != "COMPLETE":
            continue
        if groups.get(s.user_id) in ("healthy", "apnea", "panel"):
            records.append(record)
        elif len(s.result["session"]["sleep_stages"]) > 2880:
            long_night = record
    assert long_night is not None, "the demo lost its session over 24 hours"
    both = to_cohort([*records, long_night], groups="bench")
    return both.isel(session=slice(0, len(records))), both.isel(session=[len(records)])


def build_store(path: Path, n: int, chunk: int) -> None:
    """Write N tiled nights to ``path``, ``chunk`` at a time; one long night per 1,000."""
    base, long_night = _base_nights()
    written = 0
    while written < n:
        size = min(chunk, n - written)
        index = np.arange(written, written + size)
        pick = np.where(index % 1000 == 999, -1, index % base.sizes["session"])
        piece = _tile(base, long_night, pick)
        piece = piece.assign_coords(session_id=("session", [f"s{i:09d}" for i in index]))
        to_zarr(piece, path, chunks=chunk, append=written > 0)
        written += size


def _tile(base: xr.Dataset, long_night: xr.Dataset, pick: np.ndarray) -> xr.Dataset:
    normal = base.isel(session=np.where(pick < 0, 0, pick))
    if (pick < 0).any():
        where = np.flatnonzero(pick < 0)
        parts = []
        last = 0
        for w in where:
            parts += [normal.isel(session=slice(last, w)), long_night]
            last = w + 1
        parts.append(normal.isel(session=slice(last, None)))
        return xr.concat([p for p in parts if p.sizes["session"]], dim="session")
    return normal


def _worker_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(store: Path, workers: int, out: Path) -> dict[str, float]:
    from distributed import Client, LocalCluster

    from asleep_nb.stats import compute_stats, persistent_sleep_latency, sleep_fragmentation_index

    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        lazy = open_cohort(store)
        t0 = time.perf_counter()
        to_zarr(compute_stats(lazy), out / f"stats-{workers}.zarr", mode="w")
        t1 = time.perf_counter()
        psl = persistent_sleep_latency(lazy).compute()
        sfi = sleep_fragmentation_index(lazy).compute()
        t2 = time.perf_counter()
        peaks = client.run(_worker_peak_mib)
    assert psl.sizes["session"] == lazy.sizes["session"] == sfi.sizes["session"]
    return {"stats": t1 - t0, "metrics": t2 - t1, "peak": max(peaks.values())}


def main() -> None:
    warnings.filterwarnings("ignore", message="The data type .* does not have a Zarr V3 specification")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=200_000)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    try:
        store = folder / "cohort.zarr"
        t = time.perf_counter()
        build_store(store, args.n, args.chunk)
        lazy = open_cohort(store)
        print(
            f"workload: {args.n:,} nights tiled from 193 real demo nights (791-1,310 epochs, snoring on "
            f"every night) + 1 night over 24 h per 1,000; padded epoch axis {lazy.sizes['epoch']} slots; "
            f"chunks of {args.chunk} sessions; store built in {time.perf_counter() - t:.0f} s"
        )
        results = {k: run(store, k, folder) for k in args.workers}
        first = results[args.workers[0]]
        header = ("workers", "compute_stats s", "metrics s", "speed-up", "peak MiB/worker")
        print(" ".join(f"{h:>16}" for h in header))
        for k, r in results.items():
            speedup = (first["stats"] + first["metrics"]) / (r["stats"] + r["metrics"])
            row = (f"{k}", f"{r['stats']:.1f}", f"{r['metrics']:.1f}", f"{speedup:.2f}x", f"{r['peak']:.0f}")
            print(" ".join(f"{v:>16}" for v in row))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
