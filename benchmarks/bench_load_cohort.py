"""``load_cohort`` with a fresh archive beside a bare ``requests`` loop; reopening beside ``json.loads``.

Against a stand-in data folder of N sessions (``make_standin_folder.py``, cached under
``$ASLEEP_BENCH_CACHE``) served from its own process on loopback, at two sizes (default 500 and
5,000), each measurement in a fresh child process after a warm-up:

- ``bare loop``: the named baseline of the issue: one ``requests.Session`` asking for each
  session (same ids, users and zones) and only writing each body to a file and renaming it;
- ``bare loop x4``: the same with 4 threads (what ``load_cohort``'s 4 workers could at best do);
- ``load_cohort``: ``asleep_nb.load_cohort(client, manifest, archive=<fresh dir>)``, the manifest
  naming every session (no List Sessions calls), default workers, no progress bar;
- ``reopen``: ``open_archive(dir).to_cohort()`` on the archive just filled, beside ``json.loads``
  of the same files (``read_bytes`` + ``json.loads``; best of 2 each).

A warm-up loop first asks for every session once, so the stand-in's per-zone answer cache is warm
for all measured runs alike. The sizes are measured in turn, ``BENCH_REPEATS`` times (default 2),
and each phase keeps its best run: on a shared 2-core machine a single run of the bare loop itself
varies by a third, which would swamp a 1.2x growth target.

Targets (issue 17): per-session cost of ``load_cohort`` at 5,000 <= 1.2x its cost at 500 and
<= 2x the bare loop; reopen <= 1.5x ``json.loads``.

The archives and the bare loop's files go to the temporary folder (``TMPDIR``). On a disk, the
kernel starts writing dirty pages back after some tens of megabytes, and every file created after
that costs more, for the bare loop as for ``load_cohort``: the growth of both is printed, and their
quotient is the growth ``load_cohort`` itself adds. ``TMPDIR=/dev/shm`` (tmpfs) takes the disk out.

Usage: ``python benchmarks/bench_load_cohort.py [SIZE ...]`` (default 500 5000).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from _harness import CACHE, best_of, cpu_seconds, peak_rss_mib, run_phase, standin_process, table
from make_standin_folder import ensure_folder

WORKERS = 4
REPEATS = int(os.environ.get("BENCH_REPEATS", "2"))


def _rows(folder: Path, n: int) -> list[dict[str, str]]:
    with (folder / "sessions.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) < n:
        raise SystemExit(f"{folder} has {len(rows)} sessions, fewer than {n}")
    return rows[:n]


def phase_bare(folder: str, n: int, out: str, threads: int) -> dict:
    import requests

    url, key = os.environ["BENCH_URL"], os.environ["BENCH_KEY"]
    rows = _rows(Path(folder), n)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)

    def loop(part: list[dict[str, str]]) -> None:
        with requests.Session() as http:
            for row in part:
                r = http.get(
                    f"{url}/data/v3/sessions/{row['session_id']}",
                    headers={"x-api-key": key, "x-user-id": row["user_id"], "timezone": row["timezone"]},
                    timeout=30,
                )
                r.raise_for_status()
                tmp = target / f".{row['session_id']}.tmp"
                tmp.write_bytes(r.content)
                os.replace(tmp, target / f"{row['session_id']}.json")

    loop(rows[:3])  # warm-up: connection, imports
    start, cpu = time.perf_counter(), cpu_seconds()
    parts = [rows[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=loop, args=(p,)) for p in parts]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu, "peak_mib": peak_rss_mib()}


def phase_load(folder: str, n: int, archive: str) -> dict:
    import warnings

    import pandas as pd

    import asleep_nb
    from asleep_nb.api.client import Client
    from asleep_nb.errors import UnanalysableSessionWarning

    manifest = pd.DataFrame(_rows(Path(folder), n))
    client = Client(api_key=os.environ["BENCH_KEY"], base_url=os.environ["BENCH_URL"])
    with tempfile.TemporaryDirectory() as warm:  # warm-up: imports, first-call costs
        asleep_nb.load_cohort(client, manifest.iloc[:3], archive=warm, progress=False)
    start, cpu = time.perf_counter(), cpu_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed session would make the comparison meaningless
        # the stand-in folder holds the contract's unanalysable sessions on purpose: loading them is work
        warnings.simplefilter("ignore", UnanalysableSessionWarning)
        cohort = asleep_nb.load_cohort(client, manifest, archive=archive, progress=False)
    seconds = time.perf_counter() - start
    assert cohort.sizes["session"] == n, cohort.sizes
    cpu = cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "peak_mib": peak_rss_mib(), "epochs": cohort.sizes["epoch"]}


def phase_reopen(archive: str) -> dict:
    from asleep_nb.loading.archive import open_archive

    files = sorted(p for p in Path(archive, "sessions").rglob("*.json"))
    open_archive(archive).to_cohort()  # warm-up: page cache, imports

    def parse_all() -> int:
        return len([json.loads(p.read_bytes()) for p in files])

    t_json, count = best_of(2, parse_all)
    t_open, cohort = best_of(2, lambda: open_archive(archive).to_cohort())
    assert cohort.sizes["session"] == count, (cohort.sizes, count)
    return {"json_seconds": t_json, "open_seconds": t_open, "files": count, "peak_mib": peak_rss_mib()}


def main(sizes: list[int]) -> None:
    folder = ensure_folder(CACHE / f"standin-{max(sizes)}", max(sizes))
    here = Path(__file__)
    results: dict[int, dict[str, dict]] = {}
    with standin_process(folder) as server, tempfile.TemporaryDirectory() as tmp:
        url, key = server["url"], server["api_key"]
        os.environ["BENCH_URL"], os.environ["BENCH_KEY"] = url, key
        run_phase(here, "bare", folder, max(sizes), f"{tmp}/warm", 1)  # warm the stand-in's cache
        for rep in range(REPEATS):  # sizes interleaved, best of REPEATS per size and phase
            for n in sizes:
                got = results.setdefault(n, {})
                runs = {
                    "bare": run_phase(here, "bare", folder, n, f"{tmp}/bare-{n}-{rep}", 1),
                    "bare4": run_phase(here, "bare", folder, n, f"{tmp}/bare4-{n}-{rep}", WORKERS),
                    "load": run_phase(here, "load", folder, n, f"{tmp}/archive-{n}-{rep}"),
                    "reopen": run_phase(here, "reopen", f"{tmp}/archive-{n}-{rep}"),
                }
                for phase, run in runs.items():
                    key = "open_seconds" if phase == "reopen" else "seconds"
                    if phase not in got or run[key] < got[phase][key]:
                        got[phase] = run
                shutil.rmtree(f"{tmp}/archive-{n}-{rep}")
    print(f"stand-in folder {folder}; server in its own process; {os.cpu_count()} CPUs; best of {REPEATS}")
    rows = []
    for n, got in results.items():
        bare, bare4, load = (got[k]["seconds"] / n * 1e3 for k in ("bare", "bare4", "load"))
        cpu_bare, cpu_load = (got[k]["cpu"] / n * 1e3 for k in ("bare", "load"))
        rate = n / got["load"]["seconds"]
        rows.append([f"{n:,}", bare, bare4, load, load / bare, rate, cpu_bare, cpu_load])
    header = ["sessions", "bare ms/s", "bare x4 ms/s", "load_cohort ms/s", "load/bare", "load sessions/s"]
    print(table([*header, "bare CPU ms/s", "load CPU ms/s"], rows))
    rows = []
    for n, got in results.items():
        r = got["reopen"]
        rows.append([f"{n:,}", r["json_seconds"] / n * 1e3, r["open_seconds"] / n * 1e3])
        rows[-1].append(r["open_seconds"] / r["json_seconds"])
    print(table(["sessions", "json.loads ms/s", "open+to_cohort ms/s", "ratio"], rows))
    if len(sizes) == 2:
        small, large = sizes
        per = {n: results[n]["load"]["seconds"] / n for n in sizes}
        bare = {n: results[n]["bare"]["seconds"] / n for n in sizes}
        reo = {n: results[n]["reopen"]["open_seconds"] / n for n in sizes}
        growth, bare_growth = per[large] / per[small], bare[large] / bare[small]
        print(f"growth of per-session cost {small:,} -> {large:,}:")
        print(f"  load_cohort {growth:.2f}x (target <= 1.2x)")
        print(f"  bare loop   {bare_growth:.2f}x (the machine's own: a disk slows as dirty pages pile up)")
        print(f"  load_cohort relative to the bare loop {growth / bare_growth:.2f}x")
        print(f"  reopen      {reo[large] / reo[small]:.2f}x")
    print(f"peak RSS of load_cohort at {max(sizes):,}: {results[max(sizes)]['load']['peak_mib']:,.0f} MiB")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        phase, *rest = sys.argv[2:]
        if phase == "bare":
            print(json.dumps(phase_bare(rest[0], int(rest[1]), rest[2], int(rest[3]))))
        elif phase == "load":
            print(json.dumps(phase_load(rest[0], int(rest[1]), rest[2])))
        else:
            print(json.dumps(phase_reopen(rest[0])))
    else:
        main([int(a) for a in sys.argv[1:]] or [500, 5000])
