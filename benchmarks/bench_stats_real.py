"""``compute_stats`` beside a pysleep loop on real nights (DOD) and generated ones, two sizes, one run.

Real nights: the 80 DOD nights (DOD-H and DOD-O, ``/work/shared/data/dod`` or
``$ASLEEP_NB_DOD_DIR``), each the majority vote of its five scorers exactly as the demo builder
makes it (``asleep_nb.standin.builder.load_recordings``), any ``-1`` scored as wake (0) so pysleep
accepts them, cycled to N nights with their own lengths (a cohort padded with ``PAD``): many short
stage runs (median ~76 per night). Generated nights: ``bench_stats.hypnogram`` (fewer, longer runs),
960 epochs.

For each set and size (default 1,000 and 10,000 nights): the best wall time (of 3 runs at 10,000
nights, of 10,000 / N runs below) of ``compute_stats(cohort)`` and of a loop of pysleep's
``SleepStageCalculator.calculate``, the ratio (target on real nights: >= 50x, stretch 100x), the
number of differing values over every comparable field (must be 0; the script exits 1 otherwise),
and, for information, the time of ``compute_stats`` when the cohort also carries the demo's
snoring (Markov chain of ``generate_snoring``; pysleep has no snoring fields, nothing to compare).
``--profile`` adds a cProfile of ``compute_stats`` on the largest real cohort (own time).

Usage: ``python benchmarks/bench_stats_real.py [N ...] [--profile]``.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import xarray as xr
from bench_stats import COMPARABLE, best_of, count_mismatches, hypnogram

from asleep_nb.definitions import PAD
from asleep_nb.stats import compute_stats

REPEATS = 3  # at 10,000 nights; more on smaller sets (10,000 / N), the same for both engines
SIZES = (1_000, 10_000)


def real_nights(n: int) -> list[np.ndarray]:
    """The DOD majority-vote nights, -1 as wake, cycled to ``n``."""
    from asleep_nb.standin.builder import load_recordings

    recordings = load_recordings()
    nights = [
        np.where(r.stages < 0, 0, r.stages).astype(np.int8) for c in ("dodh", "dodo") for r in recordings[c]
    ]
    return [nights[i % len(nights)] for i in range(n)]


def generated_nights(n: int, n_epochs: int = 960) -> list[np.ndarray]:
    rng = np.random.default_rng(20250115)
    return [hypnogram(rng, n_epochs) for _ in range(n)]


def snoring_of(nights: list[np.ndarray]) -> list[np.ndarray]:
    """Demo-like snoring for each night (DOD-O's mid rates), one seeded stream per distinct night."""
    from asleep_nb.standin.builder import generate_snoring

    cache: dict[int, np.ndarray] = {}
    out = []
    for x in nights:
        key = id(x)
        if key not in cache:
            cache[key] = generate_snoring(x, np.random.default_rng(len(cache)), 0.05, 0.1)
        out.append(cache[key])
    return out


def cohort_of(nights: list[np.ndarray], snoring: list[np.ndarray] | None = None) -> xr.Dataset:
    """Nights from slot 0, padded with PAD; one evening each, end = start + 30 s x epochs."""
    width = max(len(x) for x in nights)

    def padded(arrays: list[np.ndarray]) -> np.ndarray:
        out = np.full((len(arrays), width), PAD, dtype=np.int8)
        for i, x in enumerate(arrays):
            out[i, : len(x)] = x
        return out

    data = {"sleep_stage": (("session", "epoch"), padded(nights))}
    if snoring is not None:
        data["snoring_stage"] = (("session", "epoch"), padded(snoring))
    lengths = np.array([len(x) for x in nights])
    start = np.datetime64("2025-01-15T22:00:00", "ns") + np.arange(len(nights)) * np.timedelta64(1, "D")
    end = start + lengths * np.timedelta64(30, "s")
    return xr.Dataset(data, coords={"start_time": ("session", start), "end_time": ("session", end)})


def runs_per_night(nights: list[np.ndarray]) -> np.ndarray:
    return np.array([1 + int(np.count_nonzero(np.diff(x))) for x in nights])


def measure(label: str, nights: list[np.ndarray]) -> dict[str, Any]:
    from pysleep import SleepStageCalculator

    repeats = max(REPEATS, 10_000 // len(nights))
    cohort = cohort_of(nights)
    compute_stats(cohort.isel(session=slice(0, 10)))  # warm-up: imports and first-call costs
    t_ours, ours = best_of(repeats, lambda: compute_stats(cohort))
    with_snoring = cohort_of(nights, snoring_of(nights))
    t_snoring, _ = best_of(repeats, lambda: compute_stats(with_snoring))
    calc = SleepStageCalculator()
    base = datetime(2025, 1, 15, 22, tzinfo=UTC)
    jobs = [(x.tolist(), base + timedelta(days=i), 30 * len(x)) for i, x in enumerate(nights)]
    t_theirs, theirs = best_of(
        repeats, lambda: [calc.calculate(s, t, t + timedelta(seconds=secs)) for s, t, secs in jobs]
    )
    runs = runs_per_night(nights)
    lengths = np.array([len(x) for x in nights])
    return {
        "label": label,
        "n": len(nights),
        "epochs": f"{np.median(lengths):.0f} ({lengths.max()})",
        "runs": f"{np.median(runs):.0f} ({runs.max()})",
        "ours": t_ours,
        "snoring": t_snoring,
        "theirs": t_theirs,
        "mismatches": count_mismatches(ours, theirs),
    }


def profile(nights: list[np.ndarray], top: int = 25) -> str:
    cohort = cohort_of(nights)
    compute_stats(cohort.isel(session=slice(0, 10)))
    prof = cProfile.Profile()
    prof.enable()
    compute_stats(cohort)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    lines = [
        f"cProfile of compute_stats on {len(nights):,} real nights: {total:.3f} s (own time per function)"
    ]
    for (path, line, name), (_, ncalls, tottime, cumtime, _) in rows:
        where = path.split("site-packages/")[-1].split("/work/main/")[-1]
        lines.append(
            f"  {tottime / total:6.1%}  own {tottime:7.3f} s  cum {cumtime:7.3f} s  {ncalls:>7}x  "
            f"{name} ({where}:{line})"
        )
    return "\n".join(lines)


def main(sizes: tuple[int, ...] = SIZES, with_profile: bool = False) -> None:
    results = [
        measure(label, make(n))
        for n in sizes
        for label, make in (("real (DOD)", real_nights), ("generated", generated_nights))
    ]
    print("compute_stats vs a pysleep loop, best of 3 runs (10,000 / N below 10,000) each; -1 scored as wake")
    header = (
        f"{'nights':<12}{'n':>8}{'epochs med (max)':>18}{'runs med (max)':>16}{'ours s':>9}{'us/night':>10}"
        f"{'pysleep s':>11}{'ratio':>8}{'diffs':>7}{'+snoring s':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['label']:<12}{r['n']:>8,}{r['epochs']:>18}{r['runs']:>16}{r['ours']:>9.3f}"
            f"{r['ours'] / r['n'] * 1e6:>10.1f}{r['theirs']:>11.2f}{r['theirs'] / r['ours']:>7.1f}x"
            f"{r['mismatches']:>7}{r['snoring']:>12.3f}"
        )
    print(
        f"target on real nights >= 50x (stretch 100x); differing values over {len(COMPARABLE)} comparable "
        "fields must be 0 (+snoring: compute_stats with the demo's snoring too, not in pysleep)"
    )
    if with_profile:
        print(profile(real_nights(max(sizes))))
    if any(r["mismatches"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    args = tuple(int(a) for a in sys.argv[1:] if not a.startswith("--"))
    main(args or SIZES, "--profile" in sys.argv)
