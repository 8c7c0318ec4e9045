"""Parsing speed of SessionResult.from_payload against json.loads (the baseline).

Target: parsing 10,000 Get Session results of 960 epochs (8 hours) takes at
most about twice as long as ``json.loads`` of the same payloads.

Run: ``python benchmarks/bench_records.py [n_payloads]``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asleep_nb.api.records import SessionResult
from asleep_nb.stats.vendor import compute_stat

N_EPOCHS = 960


def make_payload(rng: random.Random) -> str:
    """One Get Session result of 960 epochs, as JSON text, from the published example."""
    example = json.loads((Path(__file__).parent.parent / "data" / "published_example.json").read_text())
    result = {k: v for k, v in example["data"].items() if k != "user_id"}
    start = datetime(2025, 1, 15, 22, 0, 0, tzinfo=UTC)
    session = dict(result["session"])
    session["start_time"] = start.isoformat()
    session["end_time"] = (start + timedelta(seconds=30 * N_EPOCHS)).isoformat()
    session["sleep_stages"] = [rng.choice((0, 1, 1, 2, 3)) for _ in range(N_EPOCHS)]
    session["snoring_stages"] = [rng.choice((0, 0, 1)) for _ in range(N_EPOCHS)]
    result["session"] = session
    end = start + timedelta(seconds=30 * N_EPOCHS)  # the stat of these stages, as the server sends it
    stat = compute_stat(session["sleep_stages"], start, end, snoring_stages=session["snoring_stages"])
    result["stat"] = {
        **result["stat"],
        **{k: v for k, v in stat.items() if v is not None or k not in result["stat"]},
    }
    return json.dumps(result)


def main(n: int = 10_000) -> None:
    rng = random.Random(0)
    texts = [make_payload(rng) for _ in range(20)] * (n // 20)
    t0 = time.perf_counter()
    dicts = [json.loads(t) for t in texts]
    t_loads = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in dicts:
        SessionResult.from_payload(d)
    t_parse = time.perf_counter() - t0
    print(f"{len(texts)} payloads of {N_EPOCHS} epochs (sleep + snoring stages)")
    print(f"json.loads (baseline)        {t_loads:7.3f} s  {t_loads / len(texts) * 1e6:7.1f} us/payload")
    print(f"SessionResult.from_payload   {t_parse:7.3f} s  {t_parse / len(texts) * 1e6:7.1f} us/payload")
    print(f"ratio parse / json.loads     {t_parse / t_loads:7.2f}  (target <= ~2)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
