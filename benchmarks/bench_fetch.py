"""Fetch 500 sessions from the stand-in with 50 ms of latency: sequential vs 8 workers.

Baseline: ``fetch_sessions(..., workers=1)`` (one request at a time).
Measured: ``fetch_sessions(..., workers=8)`` on the same 500 requests.
Aim: at least 5x faster. Each run fetches into its own fresh archive (so
both really hit the network and pay for hashing and atomic writes).

The 500 requests are the demo cohort's sessions, each asked for in a few
time zones (a different zone is a different payload and a different file).

Usage: ``python benchmarks/bench_fetch.py [N] [LATENCY_S]`` (default 500, 0.05).
"""

from __future__ import annotations

import sys
import tempfile
import time

from asleep_nb.api.client import Client
from asleep_nb.loading.fetch import fetch_sessions
from asleep_nb.standin import serve

ZONES = ("UTC", "Asia/Seoul", "Europe/Paris", "America/New_York")


def main(n: int = 500, latency: float = 0.05) -> None:
    with serve(latency=latency) as server:
        sessions = list(server.store.sessions.values())
        requests = [(s.id, s.user_id, zone) for zone in ZONES for s in sessions][:n]
        if len(requests) < n:
            raise SystemExit(f"only {len(requests)} distinct (session, zone) requests available")
        client = Client(api_key=server.api_key, base_url=server.url)
        times = {}
        for workers in (1, 8):
            with tempfile.TemporaryDirectory() as folder:
                server.reset_counts()
                start = time.perf_counter()
                got = fetch_sessions(client, requests, workers=workers, archive=folder, progress=False)
                times[workers] = time.perf_counter() - start
                assert got.ok and got.fetched == n and server.request_count == n, got.summary()
        client.close()
    print(f"fetch {n} sessions, {latency * 1000:.0f} ms latency per request")
    print(f"  sequential (workers=1): {times[1]:7.2f} s  ({n / times[1]:6.1f} sessions/s)")
    print(f"  concurrent (workers=8): {times[8]:7.2f} s  ({n / times[8]:6.1f} sessions/s)")
    print(f"  speed-up: {times[1] / times[8]:.1f}x  (aim >= 5x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500, float(sys.argv[2]) if len(sys.argv) > 2 else 0.05)
