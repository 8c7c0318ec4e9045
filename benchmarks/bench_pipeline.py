"""The whole study path at scale: fetch N sessions into an archive, stream it to zarr, compute stats.

Steps, each in its own process so that its peak resident memory (``ru_maxrss``) is its own:

0. ``make``: a stand-in data folder of N sessions (``make_standin_folder.py``; reused when it
   exists with the same parameters, under ``$ASLEEP_BENCH_CACHE``);
1. ``serve``: the stand-in loads the folder in a separate process (load time, its peak RSS);
2. ``fetch``: ``fetch_sessions(client, <every session>, archive=<fresh dir>, keep_results=False)``
   (default workers, no progress bar), what ``asleep-nb fetch`` does; ``--keep-records`` keeps
   every record in memory as well (``keep_results=True``), to measure what that costs;
3. ``stream``: ``archive_to_zarr(open_archive(dir), store, chunk=CHUNK)``
   (``asleep_nb.loading.stream``; target: peak RSS below 1 GiB);
4. ``stats``: ``compute_stats(open_cohort(store))`` with dask (threaded scheduler), written to
   another zarr store so the result is never all in memory either.

A step's "base" memory is the child's peak RSS after its imports, before any work.

Usage: ``nice -n 10 python benchmarks/bench_pipeline.py [N] [--chunk 2000] [--keep DIR] [--keep-records]``
(default N 100,000; ``--keep`` leaves the archive and stores in DIR instead of a temp dir).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _harness import CACHE, peak_rss_mib, run_phase, standin_process, table
from make_standin_folder import ensure_folder

CHUNK = 2000


def _imports_done() -> float:
    import dask  # noqa: F401
    import xarray  # noqa: F401

    import asleep_nb
    import asleep_nb.loading.fetch
    import asleep_nb.loading.stream
    import asleep_nb.stats  # noqa: F401

    return peak_rss_mib()


def phase_fetch(folder: str, archive: str, keep_records: bool) -> dict:
    from asleep_nb.api.client import Client
    from asleep_nb.loading.fetch import fetch_sessions

    base = _imports_done()
    with open(Path(folder) / "sessions.csv", newline="", encoding="utf-8") as fh:
        requests = list(csv.DictReader(fh))
    client = Client(api_key=os.environ["BENCH_KEY"], base_url=os.environ["BENCH_URL"])
    start = time.perf_counter()
    got = fetch_sessions(client, requests, archive=archive, progress=False, keep_results=keep_records)
    seconds = time.perf_counter() - start
    if got.failed:
        raise SystemExit(got.summary()[:2000])
    return {"seconds": seconds, "peak_mib": peak_rss_mib(), "base_mib": base, "sessions": got.fetched}


def phase_stream(archive: str, store: str, chunk: int) -> dict:
    from asleep_nb.loading.archive import open_archive
    from asleep_nb.loading.stream import archive_to_zarr

    base = _imports_done()
    start = time.perf_counter()
    lazy = archive_to_zarr(open_archive(archive), store, chunk=chunk)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mib": peak_rss_mib(),
        "base_mib": base,
        "sessions": lazy.sizes["session"],
        "epochs": lazy.sizes["epoch"],
    }


def phase_stats(store: str, out: str) -> dict:
    import dask
    import xarray as xr

    from asleep_nb.data.store import open_cohort, to_zarr
    from asleep_nb.stats import compute_stats

    base = _imports_done()
    start = time.perf_counter()
    with dask.config.set(scheduler="threads"):
        lazy = open_cohort(store)
        to_zarr(compute_stats(lazy), out, chunks=lazy.chunks["session"][0])
    seconds = time.perf_counter() - start
    check = xr.open_zarr(out, consolidated=False)["time_in_sleep"]
    return {
        "seconds": seconds,
        "peak_mib": peak_rss_mib(),
        "base_mib": base,
        "sessions": check.sizes["session"],
    }


def _size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main(n: int, chunk: int, keep: str | None, keep_records: bool) -> None:
    here = Path(__file__)
    start = time.perf_counter()
    folder = ensure_folder(CACHE / f"standin-{n}", n)
    made = time.perf_counter() - start
    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="asleep-pipeline-"))
    for name in ("archive", "cohort.zarr", "stats.zarr"):
        shutil.rmtree(work / name, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    try:
        with standin_process(folder) as server:
            os.environ["BENCH_URL"], os.environ["BENCH_KEY"] = server["url"], server["api_key"]
            fetch = run_phase(here, "fetch", folder, work / "archive", int(keep_records))
        stream = run_phase(here, "stream", work / "archive", work / "cohort.zarr", chunk)
        stats = run_phase(here, "stats", work / "cohort.zarr", work / "stats.zarr")
        sizes = {name: _size_mib(work / name) for name in ("archive", "cohort.zarr", "stats.zarr")}
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{n:,} sessions ({folder}; folder made or checked in {made:.1f} s); {os.cpu_count()} CPUs")
    rows = [
        ["stand-in loads the folder", server["load_seconds"], "", server["peak_mib"], ""],
        [
            "fetch into an archive" + (" (records kept)" if keep_records else ""),
            fetch["seconds"],
            n / fetch["seconds"],
            fetch["peak_mib"],
            fetch["base_mib"],
        ],
        [f"stream to zarr (chunk {chunk:,})", stream["seconds"], n / stream["seconds"], stream["peak_mib"]],
        [
            "compute_stats with dask",
            stats["seconds"],
            n / stats["seconds"],
            stats["peak_mib"],
            stats["base_mib"],
        ],
    ]
    rows[2].append(stream["base_mib"])
    print(table(["step", "wall s", "sessions/s", "peak RSS MiB", "base MiB"], rows))
    print(
        f"stream peak RSS {stream['peak_mib']:,.0f} MiB (target < 1,024); "
        f"epoch axis {stream['epochs']:,} slots"
    )
    print("on disk: " + ", ".join(f"{k} {v:,.0f} MiB" for k, v in sizes.items()))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--phase"]:
        phase, *rest = sys.argv[2:]
        if phase == "fetch":
            print(json.dumps(phase_fetch(rest[0], rest[1], bool(int(rest[2])))))
        elif phase == "stream":
            print(json.dumps(phase_stream(rest[0], rest[1], int(rest[2]))))
        else:
            print(json.dumps(phase_stats(rest[0], rest[1])))
    else:
        parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        parser.add_argument("n", nargs="?", type=int, default=100_000)
        parser.add_argument("--chunk", type=int, default=CHUNK)
        parser.add_argument("--keep", default=None)
        parser.add_argument("--keep-records", action="store_true")
        args = parser.parse_args()
        main(args.n, args.chunk, args.keep, args.keep_records)
