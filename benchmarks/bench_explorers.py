"""How long each explorer redraw takes: every option of every CohortExplorer control, SessionExplorer steps.

Workload: the whole demo manifest (204 sessions of 97 users: study, panel and the contract's edge
cases) loaded from the stand-in, aligned on onset; the CohortExplorer with ``theme="light"`` (one
PNG per figure, the baseline) and ``theme="auto"`` (light and dark PNGs) side by side, inline
(``background=False``) so each redraw is timed whole. The SessionExplorer: a user change (list +
load + draw) and a zone change, on the demo.

Run: ``MPLBACKEND=Agg PYTHONPATH=. python benchmarks/bench_explorers.py``. Prints milliseconds per
redraw (median and max over the options of each control). No timed assertion anywhere.
"""

from __future__ import annotations

import statistics
import time
import warnings

import asleep_nb
from asleep_nb.loading.load import load_cohort
from asleep_nb.widgets import CohortExplorer, SessionExplorer
from asleep_nb.widgets._render import demo_manifest_path


def _values(control) -> list:
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def cohort_redraws(cohort, theme: str) -> dict[str, list[float]]:
    explorer = CohortExplorer(cohort, theme=theme, background=False)
    out: dict[str, list[float]] = {}
    for control in (explorer.by, explorer.align, explorer.metric):
        first = control.value
        for value in _values(control):
            if value == control.value:
                continue
            start = time.perf_counter()
            control.value = value
            out.setdefault(control.description, []).append((time.perf_counter() - start) * 1000)
        control.value = first
    return out


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = asleep_nb.connect()
        cohort = load_cohort(client, demo_manifest_path(), align="onset")
    print(f"workload: {cohort.sizes['session']} sessions, {cohort.sizes['epoch']} epoch slots")
    for theme in ("light", "auto"):
        for control, times in cohort_redraws(cohort, theme).items():
            print(
                f"CohortExplorer theme={theme:5s} {control:9s} n={len(times):2d} "
                f"median {statistics.median(times):6.0f} ms  max {max(times):6.0f} ms"
            )
    explorer = SessionExplorer(client)
    users = list(explorer.user.options)[1:6]
    for theme in ("light", "auto"):
        explorer = SessionExplorer(client, theme=theme)
        user_ms, zone_ms = [], []
        for user in users:
            start = time.perf_counter()
            explorer.user.value = user
            user_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            explorer.timezone.value = (
                "Pacific/Auckland" if explorer.timezone.value != "Pacific/Auckland" else "UTC"
            )
            zone_ms.append((time.perf_counter() - start) * 1000)
        print(
            f"SessionExplorer theme={theme:5s} user change median {statistics.median(user_ms):5.0f} ms, "
            f"zone change median {statistics.median(zone_ms):5.0f} ms (n={len(users)})"
        )


if __name__ == "__main__":
    main()
