"""Requests per second of the stand-in's Get Session, 8 concurrent clients vs 1.

Each client is a thread with its own ``requests.Session`` (keep-alive). The
baseline is one client on the same server; the second zone shows the cost of
converting times (cached after the first request per session and zone).

Usage: ``PYTHONPATH=. python benchmarks/bench_standin.py [--seconds 5] [--data-dir DIR]``
(default data: the demo cohort, else a folder made from the published example).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import requests

from asleep_nb.resources import demo_data_dir
from asleep_nb.standin import serve, write_session

REPO = Path(__file__).resolve().parents[1]


def _data_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    try:
        return demo_data_dir()
    except FileNotFoundError:
        folder = Path(tempfile.mkdtemp())
        write_session(folder, json.loads((REPO / "data" / "published_example.json").read_text())["data"])
        return folder


def run(srv, targets: list[tuple[str, str]], clients: int, seconds: float, timezone: str) -> float:
    """Requests per second of ``clients`` threads cycling through ``targets`` for ``seconds``."""
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        with requests.Session() as s:
            n = 0
            while time.perf_counter() < stop:
                session_id, user_id = targets[(i + n) % len(targets)]
                r = s.get(
                    f"{srv.url}/data/v3/sessions/{session_id}",
                    headers={"x-api-key": srv.api_key, "x-user-id": user_id, "timezone": timezone},
                    timeout=10,
                )
                r.raise_for_status()
                n += 1
            counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    with serve(_data_dir(args.data_dir)) as srv:
        targets = [(s.id, s.user_id) for s in srv.store.sessions.values()]
        print(f"stand-in: {len(targets)} sessions, {args.seconds:g} s per run")
        print(f"{'zone':<14}{'1 client (baseline)':>22}{'8 clients':>14}{'speed-up':>10}")
        for zone in ("UTC", "Europe/Paris"):
            one = run(srv, targets, 1, args.seconds, zone)
            eight = run(srv, targets, 8, args.seconds, zone)
            print(f"{zone:<14}{one:>18.0f} r/s{eight:>10.0f} r/s{eight / one:>9.2f}x")


if __name__ == "__main__":
    main()
