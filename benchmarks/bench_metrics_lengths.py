"""The research metrics block by block beside the whole padded matrix, on nights of varied lengths.

The workload of issue 25 (``_varied_nights``, as ``bench_stats_lengths.py``): N nights cut from or
concatenated of the 80 DOD majority-vote scorings, each uniform(0.4, 2.5) times the mean DOD night
(about 400 to 2,500 epochs), one session of 25 hours (3,000 epochs) per 1,000 nights, the demo's
snoring on every night, padded with ``PAD`` to the longest session. Each size (default 1,000 and
10,000 nights) is measured as is and with the sessions over 24 hours doubled to 50 hours.

"before" is main's whole-matrix path: the same per-row kernels run once on the whole padded
(session, epoch) matrix (``stage_matrix._plan`` replaced by one block of every row and column), which
is the code the metrics ran before they went block by block; "after" is the block path. Both are
timed alternately in one process (best of 3 wall-time runs each) on the seven metrics that scan
nights (research_sleep_latency, persistent_sleep_latency, rem_latency_from_onset, transition_counts,
transition_probabilities, sleep_fragmentation_index, stage_bouts), and their results are compared
bit for bit (the script exits 1 on any difference). Printed: per metric and in total, seconds before
and after, the speed-up, and the total time per recorded epoch, whose growth when the longest night
doubles must stay <= 1.2x.

Usage: ``python benchmarks/bench_metrics_lengths.py [N ...]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from _varied_nights import doubled, snoring_for, varied_nights, workload
from bench_stats_real import cohort_of

from asleep_nb.stats import stage_matrix as sm
from asleep_nb.stats._blocks import Block
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
PLANNED = sm._plan


def whole(codes: np.ndarray) -> list[Block]:
    """Main's path: one block of every row and every column of the padded matrix."""
    return [Block(np.arange(codes.shape[0]), 0, codes.shape[1])]


def run(metric: Callable[[Any], Any], cohort: xr.Dataset, plan: Callable[[np.ndarray], list[Block]]) -> Any:
    sm._plan = plan  # type: ignore[assignment]
    try:
        return metric(cohort)
    finally:
        sm._plan = PLANNED  # type: ignore[assignment]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return bool(a.equals(b))
    return bool(a.dtype == b.dtype and np.array_equal(a.values.view(np.uint8), b.values.view(np.uint8)))


def measure(nights: list[np.ndarray], snoring: list[np.ndarray]) -> dict[str, Any]:
    cohort = cohort_of(nights, snoring)
    out: dict[str, Any] = {"workload": workload(nights), "epochs": sum(len(x) for x in nights)}
    out["slots"] = cohort.sizes["session"] * cohort.sizes["epoch"]
    for name, metric in METRICS.items():
        run(metric, cohort.isel(session=slice(0, 10)), PLANNED)  # warm-up
        before: list[float] = []
        after: list[float] = []
        for _ in range(REPEATS):  # alternately, so both see the same load on a shared machine
            t = time.perf_counter()
            old = run(metric, cohort, whole)
            before.append(time.perf_counter() - t)
            t = time.perf_counter()
            new = run(metric, cohort, PLANNED)
            after.append(time.perf_counter() - t)
        out[name] = (min(before), min(after), same(old, new))
    return out


def main(sizes: tuple[int, ...] = SIZES) -> None:
    rows = []
    for n in sizes:
        nights = varied_nights(n)
        snoring = snoring_for(nights)
        rows.append(("as is", n, measure(nights, snoring)))
        rows.append(("longest x2", n, measure(*doubled(nights, snoring))))
        print(f"measured {n:,} nights", file=sys.stderr)
    print(
        f"research metrics: whole padded matrix (before, main) vs blocks of like length (after), "
        f"best of {REPEATS} wall-time runs each, alternately, in one process"
    )
    per_epoch = {}
    differing = 0
    for label, n, r in rows:
        print(f"\n{label}, {n:,} nights: {r['workload']}; matrix {r['slots'] / 1e6:.1f} M slots")
        print(f"  {'metric':<28}{'before s':>10}{'after s':>10}{'speed-up':>10}{'identical':>11}")
        total_before = total_after = 0.0
        for name in METRICS:
            b, a, ok = r[name]
            total_before += b
            total_after += a
            differing += not ok
            print(f"  {name:<28}{b:>10.3f}{a:>10.3f}{b / a:>9.1f}x{'yes' if ok else 'NO':>11}")
        print(
            f"  {'all seven':<28}{total_before:>10.3f}{total_after:>10.3f}{total_before / total_after:>9.1f}x"
        )
        per_epoch[label, n] = (total_before / r["epochs"], total_after / r["epochs"])
        print(
            f"  ns per recorded epoch (all seven): before {per_epoch[label, n][0] * 1e9:.1f}, "
            f"after {per_epoch[label, n][1] * 1e9:.1f}"
        )
    print()
    for n in sizes:
        b = per_epoch["longest x2", n][0] / per_epoch["as is", n][0]
        a = per_epoch["longest x2", n][1] / per_epoch["as is", n][1]
        print(
            f"time per recorded epoch when the longest night doubles, {n:,} nights: "
            f"before {b:.2f}x, after {a:.2f}x (target <= 1.2x)"
        )
    if differing:
        print(f"{differing} metric results differ between the paths")
        sys.exit(1)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
