"""Where the time of ``load_cohort`` (with a fresh archive) and of reopening an archive goes.

cProfile of, in order:

1. ``load_cohort(client, manifest, archive=<fresh dir>)`` on N sessions (default 5,000) of a
   generated stand-in folder served from another process. The fetching happens in worker threads,
   which ``cProfile`` does not follow by itself: each new thread gets its own profiler
   (``threading.setprofile``), so the report has two parts, the calling thread (manifest, waiting
   for futures, ``to_cohort``) and all worker threads together (requests, archive, records).
2. ``open_archive(dir).to_cohort()`` on the archive just filled (one thread).

Each part lists functions by own time (``tottime``) with their share of the part's total, then
the main entry points by cumulative time.

Usage: ``python benchmarks/profile_loading.py [N] [--top 25]``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import threading
import time
from typing import Any

from _harness import CACHE, standin_process
from make_standin_folder import ensure_folder


def _where(path: str, line: int, name: str) -> str:
    short = path.split("site-packages/")[-1].split("/work/main/")[-1].split("/lib/python3.11/")[-1]
    return f"{name} ({short}:{line})"


def report(title: str, stats: pstats.Stats, total_wall: float, top: int, cumulative: tuple[str, ...]) -> str:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    lines = [f"== {title}: wall {total_wall:.2f} s, profiled own time {total:.2f} s"]
    lines.append("   by own time:")
    for (path, line, name), (_, ncalls, tottime, cumtime, _) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    )[:top]:
        lines.append(
            f"   {tottime / total:6.1%} own {tottime:7.2f} s  cum {cumtime:7.2f} s {ncalls:>9}x  "
            f"{_where(path, line, name)}"
        )
    lines.append("   selected cumulative times:")
    for (path, line, name), (_, ncalls, _, cumtime, _) in sorted(
        raw.items(), key=lambda kv: kv[1][3], reverse=True
    ):
        if any(key in f"{path}:{name}" for key in cumulative):
            lines.append(
                f"   {cumtime / total:6.1%} cum {cumtime:7.2f} s {ncalls:>9}x  {_where(path, line, name)}"
            )
    return "\n".join(lines)


CUMULATIVE = (
    "fetch.py:fetch_sessions",
    "fetch.py:one",
    "archive.py:fetch_status",
    "archive.py:write",
    "archive.py:cached",
    "archive.py:_record",
    "archive.py:_payload",
    "archive.py:read_bytes",
    "archive.py:records",
    "archive_manifest.py:append",
    "archive_manifest.py:get",
    "archive_manifest.py:_refresh",
    "atomic.py:",
    "client.py:get_session_payload",
    "client.py:get_session",
    "records/session.py:from_payload",
    "records/stages.py:",
    "cohort.py:to_cohort",
    "load.py:expand_manifest",
    "json/__init__.py:loads",
    "json/__init__.py:dumps",
    "sessions.py:request",
    ":_wait_for_tstate_lock",
    "_base.py:wait",
)


def main(n: int, top: int) -> None:
    import pandas as pd

    import asleep_nb
    from asleep_nb.api.client import Client
    from asleep_nb.loading.archive import open_archive

    folder = ensure_folder(CACHE / f"standin-{max(n, 5000)}", max(n, 5000))
    manifest = pd.read_csv(folder / "sessions.csv", dtype=str).iloc[:n]
    with standin_process(folder) as server, tempfile.TemporaryDirectory() as tmp:
        url, key = server["url"], server["api_key"]
        client = Client(api_key=key, base_url=url)
        with tempfile.TemporaryDirectory() as warm:  # imports, first-call costs, stand-in cache
            asleep_nb.load_cohort(client, manifest.iloc[:3], archive=warm, progress=False)
        workers: list[cProfile.Profile] = []

        def start_profiler(*_: Any) -> None:
            prof = cProfile.Profile()
            workers.append(prof)
            prof.enable()

        threading.setprofile(start_profiler)
        main_prof = cProfile.Profile()
        start = time.perf_counter()
        main_prof.enable()
        asleep_nb.load_cohort(client, manifest, archive=f"{tmp}/archive", progress=False)
        main_prof.disable()
        wall = time.perf_counter() - start
        threading.setprofile(None)  # type: ignore[arg-type]
        print(f"load_cohort of {n:,} sessions with a fresh archive ({len(workers)} worker threads profiled)")
        print(report("calling thread", pstats.Stats(main_prof), wall, top, CUMULATIVE))
        print(report("worker threads together", pstats.Stats(*workers), wall, top, CUMULATIVE))

        open_archive(f"{tmp}/archive").to_cohort()  # page cache warm
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        open_archive(f"{tmp}/archive").to_cohort()
        prof.disable()
        wall = time.perf_counter() - start
        print(
            report(
                f"open_archive(...).to_cohort() of {n:,} sessions", pstats.Stats(prof), wall, top, CUMULATIVE
            )
        )
    os.environ.pop("BENCH_KEY", None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=5000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    main(args.n, args.top)
