"""``compute_stats`` beside a pysleep loop on REAL nights (DOD) and on generated ones, in one run.

Real nights: the 80 DOD nights (DOD-H and DOD-O, ``/work/shared/data/dod`` or
``$ASLEEP_NB_DOD_DIR``), each the majority vote of its five scorers exactly as the demo builder
makes it (``asleep_nb.standin.builder.load_recordings``), any ``-1`` scored as wake (0) so pysleep
accepts them, cycled to N nights (default 10,000) with their own lengths (a cohort padded with
``PAD``). Generated nights: ``bench_stats.hypnogram`` (longer, fewer stage runs), 960 epochs.

For each set: best-of-3 wall time of ``compute_stats(cohort)`` and of a loop of pysleep's
``SleepStageCalculator.calculate``, the ratio (target on real nights: >= 50x, stretch 100x) and the
number of differing values on every comparable field (must be 0). ``--profile`` adds a cProfile
of ``compute_stats`` on the real nights (functions by own time, share of the total).

Usage: ``python benchmarks/bench_stats_real.py [N] [--profile]``.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import xarray as xr
from bench_stats import COMPARABLE, best_of, count_mismatches, hypnogram

from asleep_nb.definitions import PAD
from asleep_nb.stats import compute_stats

REPEATS = 3


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


def cohort_of(nights: list[np.ndarray]) -> xr.Dataset:
    """Nights from slot 0, padded with PAD; one evening each, end = start + 30 s x epochs."""
    width = max(len(x) for x in nights)
    stages = np.full((len(nights), width), PAD, dtype=np.int8)
    for i, x in enumerate(nights):
        stages[i, : len(x)] = x
    lengths = np.array([len(x) for x in nights])
    start = np.datetime64("2025-01-15T22:00:00", "ns") + np.arange(len(nights)) * np.timedelta64(1, "D")
    end = start + lengths * np.timedelta64(30, "s")
    return xr.Dataset(
        {"sleep_stage": (("session", "epoch"), stages)},
        coords={"start_time": ("session", start), "end_time": ("session", end)},
    )


def runs_per_night(nights: list[np.ndarray]) -> np.ndarray:
    return np.array([1 + int(np.count_nonzero(np.diff(x))) for x in nights])


def measure(label: str, nights: list[np.ndarray]) -> dict:
    from pysleep import SleepStageCalculator

    cohort = cohort_of(nights)
    compute_stats(cohort.isel(session=slice(0, 10)))  # warm-up: imports and first-call costs
    t_ours, ours = best_of(REPEATS, lambda: compute_stats(cohort))
    calc = SleepStageCalculator()
    base = datetime(2025, 1, 15, 22, tzinfo=UTC)
    jobs = [(x.tolist(), base + timedelta(days=i), 30 * len(x)) for i, x in enumerate(nights)]
    t_theirs, theirs = best_of(
        REPEATS, lambda: [calc.calculate(s, t, t + timedelta(seconds=secs)) for s, t, secs in jobs]
    )
    runs = runs_per_night(nights)
    lengths = np.array([len(x) for x in nights])
    return {
        "label": label,
        "n": len(nights),
        "epochs": f"{np.median(lengths):.0f} (max {lengths.max()})",
        "runs": f"{np.median(runs):.0f} (max {runs.max()})",
        "ours": t_ours,
        "theirs": t_theirs,
        "mismatches": count_mismatches(ours, theirs),
    }


def profile(nights: list[np.ndarray], top: int = 20, repeats: int = 5) -> str:
    """cProfile of ``repeats`` runs together (steadier than one): own time, then the engine's cumulative."""
    cohort = cohort_of(nights)
    compute_stats(cohort.isel(session=slice(0, 10)))
    prof = cProfile.Profile()
    for _ in range(repeats):
        prof.enable()
        compute_stats(cohort)
        prof.disable()
    stats = pstats.Stats(prof, stream=io.StringIO())
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    lines = [
        f"cProfile of compute_stats on {len(nights):,} real nights, {repeats} runs: "
        f"{total / repeats * 1e3:.0f} ms a run; by own time:"
    ]

    def where(path: str, line: int, name: str) -> str:
        return f"{name} ({path.split('site-packages/')[-1].split('/work/main/')[-1]}:{line})"

    by_own = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for key, (_, ncalls, tottime, _, _) in by_own:
        ms, calls = tottime / repeats * 1e3, ncalls // repeats
        lines.append(f"  {tottime / total:6.1%}  own {ms:6.1f} ms  {calls:>5}x  {where(*key)}")
    lines.append("  asleep_nb functions by cumulative time (share of a run):")
    ranked = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)
    for key, (_, ncalls, _, cumtime, _) in [kv for kv in ranked if "asleep_nb/" in kv[0][0]][:top]:
        ms, calls = cumtime / repeats * 1e3, ncalls // repeats
        lines.append(f"  {cumtime / total:6.1%}  cum {ms:6.1f} ms  {calls:>5}x  {where(*key)}")
    return "\n".join(lines)


def main(n: int = 10_000, with_profile: bool = False) -> None:
    results = [measure("real (DOD)", real_nights(n)), measure("generated", generated_nights(n))]
    print(f"compute_stats vs pysleep loop, {n:,} nights each, best of {REPEATS}")
    print(
        f"{'nights':<12}{'epochs median':>18}{'stage runs median':>19}{'ours s':>9}"
        f"{'pysleep s':>11}{'ratio':>8}{'diffs':>7}"
    )
    for r in results:
        print(
            f"{r['label']:<12}{r['epochs']:>18}{r['runs']:>19}{r['ours']:>9.3f}{r['theirs']:>11.2f}"
            f"{r['theirs'] / r['ours']:>7.1f}x{r['mismatches']:>7}"
        )
    print(
        f"per night: real {results[0]['ours'] / n * 1e6:.0f} us, "
        f"generated {results[1]['ours'] / n * 1e6:.0f} us"
    )
    print(
        f"target on real nights >= 50x (stretch 100x); differing values on {len(COMPARABLE)} fields must be 0"
    )
    if with_profile:
        print(profile(real_nights(n)))
    if any(r["mismatches"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10_000, "--profile" in sys.argv)
