"""Time to draw one hypnogram and a cohort hypnodensity of 10,000 synthetic nights.

Run: ``MPLBACKEND=Agg PYTHONPATH=. python benchmarks/bench_plot.py``. Prints
seconds (best of 3) next to the target budget.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from test_plot import make_cohort, make_night, synthetic_stages

import asleep_nb.plot as ap


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fig = fn()
        fig.canvas.draw()
        times.append(time.perf_counter() - t)
        plt.close("all")
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    night = make_night(
        synthetic_stages(rng, 960), timezone="Europe/Paris", snoring=(rng.random(960) < 0.1).astype(np.int8)
    )
    base = [synthetic_stages(rng, int(rng.integers(800, 1100))) for _ in range(50)]
    nights = [
        make_night(
            base[i % 50],
            f"2025-01-{1 + i % 28:02d}T22:{i % 60:02d}",
            "Europe/Paris",
            session_id=f"s{i}",
            user_id=f"u{i // 5}",
        )
        for i in range(10_000)
    ]
    cohort = make_cohort(nights, ["a" if i % 2 else "b" for i in range(10_000)])
    rows = [
        ("hypnogram, 1 night (960 epochs), incl. draw", best_of(lambda: ap.hypnogram(night).figure), 0.5),
        ("hypnodensity onset, 10,000 nights, incl. draw", best_of(lambda: ap.hypnodensity(cohort)), 5.0),
        (
            "hypnodensity clock, 10,000 nights, incl. draw",
            best_of(lambda: ap.hypnodensity(cohort, relative_to="clock")),
            5.0,
        ),
        (
            "stage_distribution, 10,000 nights, incl. draw",
            best_of(lambda: ap.stage_distribution(cohort).figure),
            3.0,
        ),
    ]
    print(f"{'figure':50s} {'seconds':>8s} {'budget':>8s}")
    for name, seconds, budget in rows:
        print(f"{name:50s} {seconds:8.3f} {budget:8.1f}")


if __name__ == "__main__":
    main()
