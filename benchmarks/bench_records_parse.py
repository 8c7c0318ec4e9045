"""Stage-array parsing of the records layer beside ``json.loads`` of the same arrays, in one run.

60,000 stage arrays of 960 epochs (an 8-hour night; two sleep arrays for one snoring array, as
20,000 sessions have), each a list of plain ``int`` as ``json.loads`` gives it. Best of 3 of:

- ``json.loads`` of the arrays' JSON text (the baseline: what reading them costs anyway);
- ``as_stage_array`` on every list (what ``SessionResult.from_payload`` spends on stage arrays);
- its general path alone (``array.array("h")`` + a type set: what every array took before the
  fast path for lists of plain ``int``);
- ``np.fromiter(list, int8)`` alone (the floor of any list -> int8 conversion, without checks).

Usage: ``python benchmarks/bench_records_parse.py [n_arrays]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import numpy as np

from asleep_nb.api.records.stages import STAGE_CODES, _general_stage_array, as_stage_array

N_EPOCHS = 960
REPEATS = 3


def best_of(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int = 60_000) -> None:
    rng = np.random.default_rng(0)
    names = ["sleep_stages", "sleep_stages", "snoring_stages"] * (n // 3 + 1)
    names = names[:n]
    lists = [
        rng.choice([-1, 0, 1, 1, 2, 3] if name == "sleep_stages" else [-1, 0, 0, 1], N_EPOCHS).tolist()
        for name in names
    ]
    text = json.dumps(lists)
    codes = [STAGE_CODES[name] for name in names]
    paths = [f"session.{name}" for name in names]
    t_loads = best_of(lambda: json.loads(text))
    t_parse = best_of(lambda: [as_stage_array(v, p, c) for v, p, c in zip(lists, paths, codes, strict=True)])
    t_general = best_of(
        lambda: [_general_stage_array(v, p, c) for v, p, c in zip(lists, paths, codes, strict=True)]
    )
    t_floor = best_of(lambda: [np.fromiter(v, dtype=np.int8, count=len(v)) for v in lists])
    print(f"{n:,} stage arrays of {N_EPOCHS} epochs, best of {REPEATS}")
    for label, t in (
        ("json.loads of the arrays (baseline)", t_loads),
        ("as_stage_array", t_parse),
        ("general path (before)", t_general),
        ("np.fromiter(list, int8), no checks", t_floor),
    ):
        print(f"  {label:<38}{t:8.3f} s {t / n * 1e6:8.1f} us/array {t / t_loads:7.2f}x json.loads")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60_000)
