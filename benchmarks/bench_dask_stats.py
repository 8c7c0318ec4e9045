"""``compute_stats`` on 200,000 nights of 960 epochs through dask, with peak memory.

1. A zarr cohort store of N synthetic nights is written chunk by chunk
   (``asleep_nb.data.store.to_zarr`` then ``append=True``): the whole stage array
   (N x 960 int8) is never in memory at once.
2. ``compute_stats(open_cohort(store))`` is computed lazily on the threaded
   scheduler and streamed to another zarr store (never the whole result in
   memory either).
3. Baseline: the in-memory path (numpy cohort, eager ``compute_stats``) on a
   20,000-night subset, beside the dask path on the same subset (results
   checked equal).

Each phase runs in a fresh child process so that its peak resident memory
(``resource.getrusage(...).ru_maxrss``) is its own.

Usage: ``python benchmarks/bench_dask_stats.py [N] [SUBSET]`` (default 200000, 20000).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

N_EPOCHS = 960
#: Nights generated and appended per write (what is in memory while writing).
CHUNK = 10_000
#: Sessions per zarr chunk, hence per dask task: peak memory follows this, not N.
STORE_CHUNK = 2_500


def synthetic_cohort(first: int, n: int, seed: int) -> xr.Dataset:
    """``n`` nights (sessions ``first..first+n-1``) shaped like ``to_cohort`` output (stages and times)."""
    rng = np.random.default_rng(seed)
    blocks = rng.choice(np.array([0, 1, 1, 2, 3], np.int8), size=(n, N_EPOCHS // 10))
    stages = np.repeat(blocks, 10, axis=1)
    stages[:, :12] = 0
    two_stage = rng.random(n) < 0.05
    stages[two_stage] = np.minimum(stages[two_stage], 1)  # two-stage nights: wake/sleep only
    lengths = rng.integers(600, N_EPOCHS + 1, n)
    slot = np.arange(N_EPOCHS)[None, :]
    stages[slot >= lengths[:, None]] = -2  # PAD after each night's last epoch
    snoring = np.where(stages == -2, -2, rng.integers(0, 2, (n, N_EPOCHS))).astype(np.int8)
    start = np.datetime64("2024-01-01T22:00", "ns") + (
        np.arange(first, first + n) // 50 * 86_400 + rng.integers(0, 7200, n)
    ).astype("timedelta64[s]")
    end = start + (lengths * 30).astype("timedelta64[s]")
    coords = {
        "epoch": np.arange(N_EPOCHS, dtype=np.int32),
        "session_id": ("session", np.array([f"s{i:07d}" for i in range(first, first + n)], dtype=object)),
        "start_time": ("session", start),
        "end_time": ("session", end),
        "two_stage": ("session", two_stage),
        "n_epochs": ("session", lengths.astype(np.int32)),
        "offset": ("session", np.zeros(n, np.int32)),
    }
    data = {
        "sleep_stage": (("session", "epoch"), stages),
        "snoring_stage": (("session", "epoch"), snoring),
    }
    return xr.Dataset(data, coords)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_write(store: str, n: int) -> dict:
    from asleep_nb.data.store import to_zarr

    synthetic_cohort(0, 10, seed=0)  # warm up: imports and first allocations
    base = peak_mib()
    start = time.perf_counter()
    for k, first in enumerate(range(0, n, CHUNK)):
        part = synthetic_cohort(first, min(CHUNK, n - first), seed=k)
        if first == 0:
            to_zarr(part, store, chunks=STORE_CHUNK)
        else:
            to_zarr(part, store, append=True)
    return {"seconds": time.perf_counter() - start, "peak_mib": peak_mib(), "base_mib": base}


def phase_dask(store: str, out: str) -> dict:
    import dask

    from asleep_nb.data.store import open_cohort, to_zarr
    from asleep_nb.stats import compute_stats

    start = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        stats = compute_stats(open_cohort(store))
        to_zarr(stats, out, chunks=STORE_CHUNK)
    seconds = time.perf_counter() - start
    check = xr.open_zarr(out, consolidated=False)["time_in_sleep"]
    return {"seconds": seconds, "peak_mib": peak_mib(), "sessions": int(check.sizes["session"])}


def phase_subset(store: str, subset: int) -> dict:
    import dask

    from asleep_nb.data.store import open_cohort
    from asleep_nb.stats import compute_stats

    eager = open_cohort(store).isel(session=slice(0, subset)).compute()
    start = time.perf_counter()
    expected = compute_stats(eager)
    memory_seconds = time.perf_counter() - start
    lazy = open_cohort(store).isel(session=slice(0, subset))
    start = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        got = compute_stats(lazy).compute()
    dask_seconds = time.perf_counter() - start
    xr.testing.assert_identical(expected, got.isel(cycle=slice(0, expected.sizes["cycle"])))
    return {"memory_seconds": memory_seconds, "dask_seconds": dask_seconds, "peak_mib": peak_mib()}


def child(phase: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args], capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"phase {phase} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(n: int = 200_000, subset: int = 20_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, out = str(Path(tmp) / "cohort.zarr"), str(Path(tmp) / "stats.zarr")
        written = child("write", store, str(n))
        lazy = child("dask", store, out)
        small = child("subset", store, str(subset))
    stage_mib = n * N_EPOCHS * 2 / 2**20
    print(f"compute_stats on {n:,} nights x {N_EPOCHS} epochs (sleep + snoring stages: {stage_mib:,.0f} MiB)")
    print(f"  (peak RSS of a child after imports, before any work: {written['base_mib']:,.0f} MiB)")
    print(
        f"  write zarr {CHUNK:,} nights at a time ({STORE_CHUNK:,}/chunk): {written['seconds']:7.1f} s, "
        f"peak RSS {written['peak_mib']:,.0f} MiB"
    )
    print(
        f"  dask compute_stats -> zarr (threads):     {lazy['seconds']:7.1f} s, "
        f"peak RSS {lazy['peak_mib']:,.0f} MiB, {lazy['sessions']:,} sessions"
    )
    print(
        f"  subset of {subset:,} nights: in memory {small['memory_seconds']:.2f} s, "
        f"dask {small['dask_seconds']:.2f} s (identical results), peak RSS {small['peak_mib']:,.0f} MiB"
    )
    mem_us, dask_us = small["memory_seconds"] / subset * 1e6, lazy["seconds"] / n * 1e6
    print(f"  per night: in memory {mem_us:.1f} us, dask (full run) {dask_us:.1f} us")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        phase, *rest = sys.argv[2:]
        if phase == "write":
            print(json.dumps(phase_write(rest[0], int(rest[1]))))
        elif phase == "dask":
            print(json.dumps(phase_dask(rest[0], rest[1])))
        else:
            print(json.dumps(phase_subset(rest[0], int(rest[1]))))
    else:
        main(*(int(a) for a in sys.argv[1:3]))
