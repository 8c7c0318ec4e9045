"""Where runs start: the engine's vectorised numpy pass beside a compiled (numba) loop, in one run.

The question behind it: would a compiled per-epoch pass make ``compute_stats`` clearly faster? Its
slot-level core is finding where each run of equal codes starts in every block of sessions
(``stats._runs.Runs``: one ``np.not_equal`` and one ``np.flatnonzero`` over the block's slots). This
script times that pass beside the same job as a numba loop (branch-free: every slot writes its index,
the output cursor moves on where a run starts), on the blocks ``compute_stats`` plans for the
workload of ``bench_stats_lengths.py`` (real DOD nights of 430-3,000 epochs, one 25-hour session
per 1,000 nights, padded to the longest: 52% of the matrix recorded), at 1,000 and 10,000 nights.
Both give the same starts (checked); best and median of 25 runs each, alternately, after a
warm-up (numba's compile time is left out). numba is not a dependency of the package; it comes
with the test extra (YASA needs it).

Usage: ``python benchmarks/bench_run_boundaries.py [N ...]``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _varied_nights import snoring_for, varied_nights, workload
from bench_stats_real import cohort_of

from asleep_nb.definitions import PAD
from asleep_nb.stats._blocks import BLOCK_SLOTS, plan_blocks, row_extents

SIZES = (1_000, 10_000)
REPEATS = 25


def numpy_starts(block: np.ndarray) -> np.ndarray:
    """Flat index of each run's first slot, split at row ends: the engine's pass."""
    n_e = block.shape[1]
    flat = block.reshape(-1)
    change = np.empty(flat.size, dtype=bool)
    change[0] = True
    np.not_equal(flat[1:], flat[:-1], out=change[1:])
    change[::n_e] = True
    return np.flatnonzero(change)


def compiled() -> Callable[[np.ndarray], np.ndarray]:
    """The same starts by a numba loop over the slots, row by row."""
    import numba

    @numba.njit(nogil=True)
    def starts_into(flat: np.ndarray, n_s: int, n_e: int, out: np.ndarray) -> int:
        k = 0
        for r in range(n_s):
            base = r * n_e
            prev = flat[base]
            out[k] = base
            k += 1
            for j in range(base + 1, base + n_e):
                x = flat[j]
                out[k] = j
                k += x != prev
                prev = x
        return k

    def starts(block: np.ndarray) -> np.ndarray:
        out = np.empty(block.size, dtype=np.int64)
        return out[: starts_into(block.reshape(-1), block.shape[0], block.shape[1], out)]

    return starts


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def measure(n: int, loop: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
    nights = varied_nights(n)
    stages = cohort_of(nights, snoring_for(nights))["sleep_stage"].values
    blocks = [
        np.ascontiguousarray(stages[:, b.lo : b.hi][b.rows])
        for b in plan_blocks(*row_extents(stages, PAD), BLOCK_SLOTS)
    ]
    for block in blocks:  # warm-up, and both give the same starts
        assert np.array_equal(numpy_starts(block), loop(block))
    times: dict[str, list[float]] = {"numpy": [], "numba": []}
    for _ in range(REPEATS):
        times["numpy"].append(timed(lambda: [numpy_starts(b) for b in blocks])[0])
        times["numba"].append(timed(lambda: [loop(b) for b in blocks])[0])
    return {
        "workload": workload(nights),
        "slots": sum(b.size for b in blocks),
        "blocks": len(blocks),
        **{k: (min(v), float(np.median(v))) for k, v in times.items()},
    }


def main(sizes: tuple[int, ...] = SIZES) -> None:
    try:
        loop = compiled()
    except ImportError:
        sys.exit("numba is not installed (pip install numba, or the test extra)")
    print(f"run starts over the blocks compute_stats plans, best / median of {REPEATS} runs, alternately")
    header = f"{'nights':>8} {'blocks':>7} {'slots':>8} {'numpy ms':>15} {'numba ms':>15} {'numba/numpy':>12}"
    print(f"{header}  workload")
    for n in sizes:
        r = measure(n, loop)
        (a, a_med), (b, b_med) = r["numpy"], r["numba"]
        print(
            f"{n:>8,} {r['blocks']:>7} {r['slots'] / 1e6:>7.1f}M {a * 1e3:>7.2f} / {a_med * 1e3:<5.2f}"
            f" {b * 1e3:>7.2f} / {b_med * 1e3:<5.2f} {b / a:>11.2f}x  {r['workload']}"
        )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
