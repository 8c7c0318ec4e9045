"""compute_stats on 10,000 nights beside a loop of the vendor's pysleep, in one run.

Run: ``PYTHONPATH=. python benchmarks/bench_stats.py [n_nights] [n_epochs]``.
Prints both wall times, the speed ratio (target: at least 30x), the peak
memory of compute_stats, and checks that every comparable field is identical.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

import numpy as np
import xarray as xr

from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.stats import UNKNOWABLE_FIELDS, compute_stats, stat_from_pysleep

SNORING = {"time_in_snoring", "time_in_no_snoring", "snoring_ratio", "no_snoring_ratio", "snoring_count"}
COMPARABLE = [f for f in STAT_FIELDS if f not in UNKNOWABLE_FIELDS | SNORING]


def hypnogram(rng: np.random.Generator, n: int) -> np.ndarray:
    """A plausible night: onset latency, ~90-minute cycles (deep early, REM late), brief wakes."""
    out = [np.zeros(rng.integers(2, 60), dtype=np.int8)]
    cycle = 0
    while sum(map(len, out)) < n:
        deep = max(0, int(rng.normal(40 - 10 * cycle, 8)))
        rem = max(0, int(rng.normal(10 + 8 * cycle, 6)))
        parts = [(1, rng.integers(10, 40)), (2, deep), (1, rng.integers(5, 30)), (3, rem)]
        if rng.random() < 0.5:
            parts.insert(rng.integers(0, 4), (0, rng.integers(1, 12)))
        for stage, length in parts:
            block = np.full(length, stage, dtype=np.int8)
            if stage == 3 and length > 4 and rng.random() < 0.4:  # REM interrupted by light
                block[rng.integers(1, length - 1)] = 1
            out.append(block)
        cycle += 1
    night = np.concatenate(out)[:n]
    night[n - rng.integers(1, 40) :] = 0  # final awakening
    return night


REPEATS = 3


def best_of(repeats: int, run):
    """Best wall time of ``repeats`` runs (the least disturbed by other load) and the last result."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return min(times), result


def count_mismatches(ours: xr.Dataset, theirs: list) -> int:
    """Values differing between ``compute_stats`` and pysleep ``SleepStat`` objects, comparable fields."""
    converted = [stat_from_pysleep(r) for r in theirs]
    mismatches = 0
    for name in COMPARABLE:
        kind = STAT_FIELDS[name].kind
        mine = ours[name].values
        if kind == "time":
            ref = np.array(
                [np.datetime64(datetime.fromisoformat(c[name]).replace(tzinfo=None)) for c in converted]
            )
            mismatches += int((mine != ref.astype("datetime64[ns]")).sum())
        elif kind == "time_list":
            for i, c in enumerate(converted):
                row = mine[i][~np.isnat(mine[i])]
                ref = [np.datetime64(datetime.fromisoformat(t).replace(tzinfo=None), "ns") for t in c[name]]
                mismatches += len(row) != len(ref) or bool((row != np.array(ref, "datetime64[ns]")).any())
        else:
            ref = np.array([np.nan if c[name] is None else c[name] for c in converted], dtype=np.float64)
            same = (mine == ref) | (np.isnan(mine) & np.isnan(ref))
            mismatches += int((~same).sum())
    return mismatches


def main(n_nights: int = 10_000, n_epochs: int = 960) -> None:
    rng = np.random.default_rng(20250115)
    stages = np.stack([hypnogram(rng, n_epochs) for _ in range(n_nights)])
    start = np.datetime64("2025-01-15T22:00:00", "ns") + np.arange(n_nights) * np.timedelta64(1, "D")
    end = start + n_epochs * np.timedelta64(30, "s")
    cohort = xr.Dataset(
        {"sleep_stage": (("session", "epoch"), stages)},
        coords={"start_time": ("session", start), "end_time": ("session", end)},
    )
    print(f"{n_nights} nights x {n_epochs} epochs")

    compute_stats(cohort.isel(session=slice(0, 10)))  # warm-up: imports and first-call costs
    t_ours, ours = best_of(REPEATS, lambda: compute_stats(cohort))
    tracemalloc.start()
    compute_stats(cohort)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    from pysleep import SleepStageCalculator

    calc = SleepStageCalculator()
    starts = [datetime(2025, 1, 15, 22, tzinfo=UTC) + timedelta(days=i) for i in range(n_nights)]
    lists = stages.tolist()
    t_theirs, theirs = best_of(
        REPEATS,
        lambda: [
            calc.calculate(s, t, t + timedelta(seconds=30 * n_epochs))
            for s, t in zip(lists, starts, strict=True)
        ],
    )

    mismatches = count_mismatches(ours, theirs)
    never_slept = int(np.isnan(ours["sleep_latency"].values).sum())
    cycles = ours["sleep_cycle_count"].values

    print(f"compute_stats : {t_ours:8.3f} s  (best of {REPEATS})")
    print(f"pysleep loop  : {t_theirs:8.3f} s  (best of {REPEATS})")
    print(f"speed ratio   : {t_theirs / t_ours:8.1f} x  (target >= 30 x)")
    print(f"peak memory of compute_stats (tracemalloc): {peak / 2**20:.0f} MiB;", end=" ")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")
    print(f"cycles per night: mean {cycles.mean():.2f}, max {cycles.max():.0f}; never slept: {never_slept}")
    print(f"differing values on {len(COMPARABLE)} comparable fields: {mismatches}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
