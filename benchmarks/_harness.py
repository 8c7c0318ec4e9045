"""Shared pieces of the study-scale benchmarks: a stand-in in its own process, child phases, tables.

- :func:`standin_process` serves a data folder from a separate Python process (so the server and
  the client measured do not share a GIL, as with a real remote API) and yields ``(url, key)``;
  the server exits when its stdin closes.
- :func:`run_phase` runs ``python SCRIPT --phase NAME ARGS...`` in a fresh process and returns the
  JSON object its last stdout line holds; phases report their own peak RSS with :func:`peak_rss_mib`.
- :func:`table` prints rows aligned.

Run as ``python benchmarks/_harness.py serve DATA_DIR`` to be the server process.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: Where generated stand-in folders are kept between runs (regenerated when parameters change).
CACHE = Path(os.environ.get("ASLEEP_BENCH_CACHE", "/tmp/asleep-nb-bench"))

T = TypeVar("T")


def cpu_seconds() -> float:
    """User plus system CPU time of this process (all its threads) so far, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def standin_process(data_dir: str | Path, *, nice: int = 0) -> Iterator[dict[str, Any]]:
    """Serve ``data_dir`` from a child process; yield its info; stop it on exit.

    The info holds ``url``, ``api_key``, ``sessions``, ``load_seconds`` (to load the folder) and
    ``peak_mib`` (the server process's peak RSS once loaded).
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "serve", str(data_dir)]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the stand-in process for {data_dir} exited with {proc.wait()}")
        yield json.loads(line)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _serve_until_stdin_closes(data_dir: str) -> None:
    from asleep_nb.standin import serve

    start = time.perf_counter()
    with serve(data_dir) as srv:
        info = {
            "url": srv.url,
            "api_key": srv.api_key,
            "sessions": len(srv.store.sessions),
            "load_seconds": time.perf_counter() - start,
            "peak_mib": peak_rss_mib(),
        }
        print(json.dumps(info), flush=True)
        sys.stdin.read()  # returns when the parent closes our stdin


def run_phase(script: str | Path, phase: str, *args: Any, nice: int = 0) -> dict[str, Any]:
    """Run one phase of ``script`` in a fresh process; return the JSON of its last stdout line."""
    cmd = [sys.executable, str(script), "--phase", phase, *map(str, args)]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if result.returncode:
        raise SystemExit(f"phase {phase} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def best_of(repeats: int, run: Callable[[], T]) -> tuple[float, T]:
    """Least wall time of ``repeats`` runs (the least disturbed by other load) and the last result."""
    times = []
    result: T | None = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), result


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as an aligned text table (first column left, others right)."""
    cells = [[str(c) for c in header], *[[c if isinstance(c, str) else f"{c:,.2f}" for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for k, r in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        _serve_until_stdin_closes(sys.argv[2])
    else:
        raise SystemExit("usage: python benchmarks/_harness.py serve DATA_DIR")
