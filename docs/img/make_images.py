"""Regenerate the README figures docs/img/hypnogram.png and docs/img/cohort.png.

Run from the repository root (after checking the new PNGs by eye)::

    MPLBACKEND=Agg PYTHONPATH=. python docs/img/make_images.py
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

import asleep_nb
from asleep_nb import plot as ap

ROOT = Path(__file__).parents[2]
OUT = Path(__file__).parent
DEMO = ROOT / "data" / "demo"


def main() -> None:
    """Draw both figures from the demo data into docs/img/."""
    manifest = pd.read_csv(DEMO / "manifest.csv")
    group_of = dict(zip(manifest.user_id, manifest.group, strict=True))
    bodies = [json.loads(p.read_text()) for p in sorted((DEMO / "sessions").glob("*.json"))]

    dst = next(b for b in bodies if b["session"]["id"] == "20250329221840_sghtv")
    fig, ax = plt.subplots(figsize=(8.8, 3.3), layout="constrained")
    ap.hypnogram(asleep_nb.to_dataset(dst), ax=ax, timezone="Europe/Paris",
                 title="Session 20250329221840_sghtv (spring DST change)")  # fmt: skip
    fig.savefig(OUT / "hypnogram.png", dpi=100)
    plt.close(fig)

    chosen = [b for b in bodies if group_of[b["user_id"]] in ("healthy", "apnea")]
    groups = {b["session"]["id"]: group_of[b["user_id"]] for b in chosen}
    cohort = asleep_nb.to_cohort(chosen, groups=groups, align="onset")
    fig = plt.figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.6, 1])
    ap.hypnodensity(cohort, fig=left)
    ap.metric(asleep_nb.stats_table(cohort), "sleep_efficiency", ax=right.subplots())
    fig.savefig(OUT / "cohort.png", dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
