"""``compute_stats`` beside a pysleep loop on real nights of varied lengths, with snoring, in one run.

The workload of issue 25 (``_varied_nights``): N nights cut from or concatenated of the 80 DOD
majority-vote scorings (-1 scored as wake so pysleep accepts them), each uniform(0.4, 2.5) times the
mean DOD night (about 400 to 2,500 epochs), one session of 25 hours per 1,000 nights, and the demo's
snoring on every night (the API always sends ``snoring_stages``); the cohort is padded with ``PAD``
to its longest session. Each size (default 1,000 and 10,000 nights) is measured as is and with the
sessions over 24 hours doubled to 50 hours (twice the matrix width, almost the same epochs).

Printed per cohort, the workload beside each figure: best wall time and spread (worst / best) of
``compute_stats(cohort)`` (5 runs) and of a loop of pysleep's ``SleepStageCalculator.calculate``
(3 runs), measured alternately in one run; the ratio (target >= 50x, stretch 100x); the number of
differing values over every field pysleep has (must be 0: the script exits 1 otherwise); and
``compute_stats``'s time per recorded epoch, whose growth when the longest night doubles must stay
<= 1.2x. pysleep has no snoring fields: those are pinned by the oracle tests.

Usage: ``python benchmarks/bench_stats_lengths.py [N ...]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from _varied_nights import doubled, snoring_for, varied_nights, workload
from bench_stats import COMPARABLE, count_mismatches
from bench_stats_real import cohort_of

from asleep_nb.stats import compute_stats

SIZES = (1_000, 10_000)
OURS_REPEATS, PYSLEEP_REPEATS = 5, 3


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def measure(nights: list[np.ndarray], snoring: list[np.ndarray]) -> dict[str, Any]:
    from pysleep import SleepStageCalculator

    cohort = cohort_of(nights, snoring)
    assert "snoring_stage" in cohort
    compute_stats(cohort.isel(session=slice(0, 10)))  # warm-up: imports and first-call costs
    calc = SleepStageCalculator()
    base = datetime(2025, 1, 15, 22, tzinfo=UTC)
    jobs = [(x.tolist(), base + timedelta(days=i), 30 * len(x)) for i, x in enumerate(nights)]

    def loop() -> list[Any]:
        return [calc.calculate(s, t, t + timedelta(seconds=secs)) for s, t, secs in jobs]

    ours: list[float] = []
    theirs: list[float] = []
    for k in range(OURS_REPEATS):  # alternately, so both see the same load on a shared machine
        t, stats = timed(lambda: compute_stats(cohort))
        ours.append(t)
        if k < PYSLEEP_REPEATS:
            t, ref = timed(loop)
            theirs.append(t)
    epochs = sum(len(x) for x in nights)
    return {
        "workload": workload(nights),
        "epochs": epochs,
        "slots": cohort.sizes["session"] * cohort.sizes["epoch"],
        "ours": min(ours),
        "ours_spread": max(ours) / min(ours),
        "theirs": min(theirs),
        "theirs_spread": max(theirs) / min(theirs),
        "mismatches": count_mismatches(stats, ref),
    }


def main(sizes: tuple[int, ...] = SIZES) -> None:
    rows = []
    for n in sizes:
        nights = varied_nights(n)
        snoring = snoring_for(nights)
        rows.append(("as is", n, measure(nights, snoring)))
        rows.append(("longest x2", n, measure(*doubled(nights, snoring))))
    print(
        f"compute_stats vs a pysleep loop, best of {OURS_REPEATS} / {PYSLEEP_REPEATS} wall-time runs "
        "(spread = worst / best), measured alternately; -1 scored as wake; snoring on every night"
    )
    header = (
        f"{'cohort':<12}{'nights':>8}{'ours s':>8}{'spread':>8}{'pysleep s':>10}{'spread':>8}{'ratio':>8}"
        f"{'diffs':>6}{'ns/epoch':>9}  workload"
    )
    print(header)
    print("-" * (len(header) + 60))
    per_epoch = {}
    for label, n, r in rows:
        per_epoch[label, n] = r["ours"] / r["epochs"]
        print(
            f"{label:<12}{n:>8,}{r['ours']:>8.3f}{r['ours_spread']:>7.2f}x{r['theirs']:>10.2f}"
            f"{r['theirs_spread']:>7.2f}x{r['theirs'] / r['ours']:>7.1f}x{r['mismatches']:>6}"
            f"{per_epoch[label, n] * 1e9:>9.2f}  {r['workload']}; matrix {r['slots'] / 1e6:.1f} M slots"
        )
    print(
        f"differing values over {len(COMPARABLE)} fields pysleep has must be 0; target >= 50x (stretch 100x)"
    )
    for n in sizes:
        growth = per_epoch["longest x2", n] / per_epoch["as is", n]
        print(f"time per recorded epoch, longest night doubled, {n:,} nights: {growth:.2f}x (target <= 1.2x)")
    if len(sizes) == 2:
        small, large = sizes
        growth = per_epoch["as is", large] / per_epoch["as is", small]
        print(f"time per recorded epoch from {small:,} to {large:,} nights: {growth:.2f}x")
    if any(r["mismatches"] for _, _, r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
