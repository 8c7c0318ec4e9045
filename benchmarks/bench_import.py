"""Import cost of ``import asleep_nb``, ``import asleep_nb.plot`` and the first ``load_cohort`` call.

Each line is a fresh interpreter (best of 5 wall times, ``python -X importtime`` for the
breakdown). Baselines in the same run: the bare interpreter (``python -c pass``) and the
libraries the data layer cannot do without (``numpy``, ``pandas``, ``xarray``). For each
``import`` the top packages by their own import time (``self`` summed over their modules) show
what is heavy. The first ``load_cohort`` call (10 demo sessions from a stand-in in another
process) is timed beside the second one; the modules it imports on first use are listed.

Usage: ``python benchmarks/bench_import.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict

from _harness import REPO, run_phase, standin_process, table

REPEATS = 5
STATEMENTS = {
    "python -c pass (baseline)": "pass",
    "import numpy": "import numpy",
    "import pandas": "import pandas",
    "import xarray": "import xarray",
    "import asleep_nb": "import asleep_nb",
    "import asleep_nb.plot": "import asleep_nb.plot",
    "import asleep_nb; asleep_nb.load_cohort": "import asleep_nb; asleep_nb.load_cohort",
}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}


def wall(statement: str) -> float:
    """Best wall time of a fresh interpreter running ``statement``."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True, env=_env())
        times.append(time.perf_counter() - start)
    return min(times)


def importtime(statement: str) -> list[tuple[int, int, str]]:
    """``(self_us, cumulative_us, module)`` of every module ``statement`` imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line[len("import time:") :].split("|")
        rows.append((int(self_us), int(cumulative), name.strip()))
    return rows


def heaviest(rows: list[tuple[int, int, str]], top: int = 8) -> str:
    by_package: dict[str, int] = defaultdict(int)
    for self_us, _, name in rows:
        by_package[name.split(".")[0]] += self_us
    ranked = sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return ", ".join(f"{name} {us / 1000:.0f}" for name, us in ranked)


def phase_first_call() -> dict:
    """In a fresh process: import, then the first and second ``load_cohort`` on 10 demo sessions."""
    import warnings

    start = time.perf_counter()
    import asleep_nb
    from asleep_nb.api.client import Client

    imported = time.perf_counter() - start
    before = set(sys.modules)
    client = Client(api_key=os.environ["BENCH_KEY"], base_url=os.environ["BENCH_URL"])
    manifest = str(REPO / "data" / "demo" / "sessions.csv")
    import pandas as pd

    rows = pd.read_csv(manifest).iloc[:10][["session_id", "user_id", "group", "timezone"]]
    times = []
    for _ in range(2):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            asleep_nb.load_cohort(client, rows, progress=False)
        times.append(time.perf_counter() - start)
    new = sorted({m.split(".")[0] for m in set(sys.modules) - before})
    return {"import": imported, "first": times[0], "second": times[1], "new_packages": new}


def main() -> None:
    rows = []
    breakdown = {}
    for label, statement in STATEMENTS.items():
        seconds = wall(statement)
        detail = importtime(statement)
        rows.append([label, seconds * 1e3, sum(s for s, _, _ in detail) / 1e3, len(detail)])
        breakdown[label] = heaviest(detail)
    base = rows[0][1]
    for r in rows:
        r.append(r[1] - base)
    print(f"fresh interpreters, best of {REPEATS} wall times; importtime = sum of 'self' over modules")
    print(table(["statement", "wall ms", "importtime ms", "modules", "wall - bare ms"], rows))
    print("heaviest packages (own import ms):")
    for label, text in breakdown.items():
        if label.startswith("import asleep_nb"):
            print(f"  {label}: {text}")
    with standin_process(REPO / "data" / "demo") as server:
        url, key = server["url"], server["api_key"]
        os.environ["BENCH_URL"], os.environ["BENCH_KEY"] = url, key
        first = run_phase(__file__, "first")
    print(
        f"fresh process: import asleep_nb {first['import'] * 1e3:.0f} ms; load_cohort of 10 demo sessions: "
        f"first call {first['first'] * 1e3:.0f} ms, second {first['second'] * 1e3:.0f} ms"
    )
    print(f"  packages first imported by the first call: {', '.join(first['new_packages'])}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--phase"]:
        print(json.dumps(phase_first_call()))
    else:
        main()
