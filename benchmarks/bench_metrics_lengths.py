"""The research metrics block by block beside the whole padded matrix, on nights of varied lengths.

The workload of issue 25 (``_varied_nights``, as ``bench_stats_lengths.py``): N nights cut from or
concatenated of the 80 DOD majority-vote scorings, each uniform(0.4, 2.5) times the mean DOD night
(about 400 to 2,500 epochs), one session of 25 hours (3,000 epochs) per 1,000 nights, the demo's
snoring on every night, padded with ``PAD`` to the longest session. Each size (default 1,000 and
10,000 nights) is measured as is and with the sessions over 24 hours doubled to 50 hours.

Three columns per metric, best of 3 wall-time runs each: the **base** code, before the metrics ran
by blocks (:data:`BASELINE`, its ``asleep_nb`` taken with ``git archive``, run in its own process
right after, on the same cohort pickled), and this
branch's metrics on the **whole** padded matrix (``stage_matrix._plan`` replaced by one block of
every row and column: the kernels as they ran before) and by **blocks** of like length, those two
alternately in one process. Metrics: the seven that scan nights (research_sleep_latency,
persistent_sleep_latency, rem_latency_from_onset, transition_counts, transition_probabilities,
sleep_fragmentation_index, stage_bouts). Every result is compared bit for bit with the block path's
(the script exits 1 on any difference). Printed per cohort with its workload: seconds per metric and
in total, the speed-up of blocks over the base, the total time per recorded epoch, and its growth when
the longest night doubles (target <= 1.2x).

Usage: ``python benchmarks/bench_metrics_lengths.py [N ...]``.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from _varied_nights import doubled, snoring_for, varied_nights, workload
from bench_stats_real import cohort_of

from asleep_nb.stats.night import (
    persistent_sleep_latency,
    rem_latency_from_onset,
    research_sleep_latency,
    sleep_fragmentation_index,
    stage_bouts,
    transition_counts,
    transition_probabilities,
)

SIZES = (1_000, 10_000)
REPEATS = 3
METRICS: dict[str, Callable[[Any], Any]] = {
    "research_sleep_latency": research_sleep_latency,
    "persistent_sleep_latency": persistent_sleep_latency,
    "rem_latency_from_onset": rem_latency_from_onset,
    "transition_counts": transition_counts,
    "transition_probabilities": transition_probabilities,
    "sleep_fragmentation_index": sleep_fragmentation_index,
    "stage_bouts": stage_bouts,
}
HERE = Path(__file__).resolve().parent


def cohort(n: int, twice: bool) -> tuple[xr.Dataset, list[np.ndarray]]:
    nights = varied_nights(n)
    snoring = snoring_for(nights)
    if twice:
        nights, snoring = doubled(nights, snoring)
    return cohort_of(nights, snoring), nights


#: The code before the research metrics ran by blocks (the parent of the commit that made them).
BASELINE = "bd830c6^"


def run(metric: Callable[[Any], Any], data: xr.Dataset, whole: bool) -> Any:
    """One metric on the block path, or (``whole``) with one block of the whole padded matrix."""
    if not whole:
        return metric(data)
    from asleep_nb.stats import stage_matrix as sm
    from asleep_nb.stats._blocks import Block

    planned = sm._plan

    def whole_matrix(codes: np.ndarray, n_epochs: np.ndarray | None = None) -> list[Block]:
        return [Block(np.arange(codes.shape[0]), 0, codes.shape[1])]

    sm._plan = whole_matrix  # type: ignore[assignment]
    try:
        return metric(data)
    finally:
        sm._plan = planned  # type: ignore[assignment]


def base_code(ref: str, data: xr.Dataset) -> tuple[dict[str, float], dict[str, Any]]:
    """Best of REPEATS times and results of ``ref``'s metrics (its package unpacked to a temp folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", ref, "asleep_nb"], cwd=HERE.parent, check=True, capture_output=True
        ).stdout
        Path(tmp, "a.tar").write_bytes(archive)
        with tarfile.open(Path(tmp, "a.tar")) as tar:
            tar.extractall(tmp, filter="data")
        out = Path(tmp, "out.pkl")
        with out.open("wb") as f:
            pickle.dump(data, f)  # the same cohort (the DOD files are found beside the package)
        env = {**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{HERE}"}
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(out)]
        subprocess.run(cmd, env=env, check=True, timeout=1_800)
        with out.open("rb") as f:
            loaded: tuple[dict[str, float], dict[str, Any]] = pickle.load(f)
        return loaded


def child(out: str) -> None:
    """In the baseline's interpreter: time its metrics on the pickled cohort, pickle times and results."""
    with open(out, "rb") as f:
        data = pickle.load(f)
    times, results = {}, {}
    for name, metric in METRICS.items():
        metric(data.isel(session=slice(0, 10)))  # warm-up
        best = np.inf
        for _ in range(REPEATS):
            t = time.perf_counter()
            results[name] = metric(data)
            best = min(best, time.perf_counter() - t)
        times[name] = best
    with open(out, "wb") as f:
        pickle.dump((times, results), f)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return bool(a.equals(b))
    return bool(a.dtype == b.dtype and np.array_equal(a.values.view(np.uint8), b.values.view(np.uint8)))


def measure(n: int, twice: bool, ref: str) -> dict[str, Any]:
    data, nights = cohort(n, twice)
    out: dict[str, Any] = {"workload": workload(nights), "epochs": sum(len(x) for x in nights)}
    out["slots"] = data.sizes["session"] * data.sizes["epoch"]
    for name, metric in METRICS.items():
        run(metric, data.isel(session=slice(0, 10)), False)  # warm-up
        before: list[float] = []
        after: list[float] = []
        for _ in range(REPEATS):  # alternately, so both see the same load on a shared machine
            t = time.perf_counter()
            old = run(metric, data, True)
            before.append(time.perf_counter() - t)
            t = time.perf_counter()
            new = run(metric, data, False)
            after.append(time.perf_counter() - t)
        out[name] = [min(before), min(after), same(old, new)]
    base_times, base_results = base_code(ref, data)
    for name in METRICS:
        out[name] += [base_times[name], same(base_results[name], run(METRICS[name], data, False))]
    return out


def main(sizes: tuple[int, ...] = SIZES, ref: str = BASELINE) -> None:
    rows = []
    for n in sizes:
        for twice in (False, True):
            rows.append(("longest x2" if twice else "as is", n, measure(n, twice, ref)))
        print(f"measured {n:,} nights", file=sys.stderr)
    print(
        f"research metrics, best of {REPEATS} wall-time runs each: base = {ref}'s code (own process, right "
        "after), the whole padded matrix and blocks of like length (this tree, alternately, in one process)"
    )
    per_epoch = {}
    differing = 0
    for label, n, r in rows:
        print(f"\n{label}, {n:,} nights: {r['workload']}; matrix {r['slots'] / 1e6:.1f} M slots")
        print(f"  {'metric':<28}{'base s':>9}{'whole s':>9}{'blocks s':>9}{'vs base':>9}{'identical':>11}")
        totals = np.zeros(3)
        for name in METRICS:
            whole, blocks, ok, base, ok_base = r[name]
            totals += (base, whole, blocks)
            differing += (not ok) + (not ok_base)
            print(
                f"  {name:<28}{base:>9.3f}{whole:>9.3f}{blocks:>9.3f}{base / blocks:>8.1f}x"
                f"{'yes' if ok and ok_base else 'NO':>11}"
            )
        t0, t1, t2 = totals
        print(f"  {'all seven':<28}{t0:>9.3f}{t1:>9.3f}{t2:>9.3f}{t0 / t2:>8.1f}x")
        per_epoch[label, n] = totals / r["epochs"]
        print(
            "  ns per recorded epoch (all seven): "
            + ", ".join(
                f"{k} {v * 1e9:.1f}"
                for k, v in zip(("base", "whole", "blocks"), per_epoch[label, n], strict=True)
            )
        )
    print()
    for n in sizes:
        g = per_epoch["longest x2", n] / per_epoch["as is", n]
        print(
            f"time per recorded epoch when the longest night doubles, {n:,} nights: "
            f"base {g[0]:.2f}x, whole {g[1]:.2f}x, blocks {g[2]:.2f}x (target <= 1.2x)"
        )
    if differing:
        print(f"{differing} metric results differ between the paths")
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
