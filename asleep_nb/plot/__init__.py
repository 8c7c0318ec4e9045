"""Figures of nights and cohorts, ready for a paper.

Every function takes ``ax=None`` (or ``fig=None`` for multi-panel figures),
returns what it drew on, applies its style inside ``plt.rc_context`` and
never changes global matplotlib state. Stages have one colour-blind-safe
colour (Okabe-Ito) in every figure; see :mod:`asleep_nb.plot._style`.

- :func:`hypnogram`: one night against local clock time (DST-correct);
- :func:`nights`: many nights of one user stacked by date (sleep diary);
- :func:`stage_distribution`, :func:`metric`, :func:`hypnodensity`,
  :func:`transition_matrix`: cohort comparisons grouped by any per-session
  coordinate (default ``"group"``);

Examples
--------
>>> import asleep_nb.plot as ap
>>> ax = ap.hypnogram(ds)  # doctest: +SKIP
>>> ax = ap.metric(cohort, "time_in_sleep")  # numbers: asleep_nb.stats.compare_groups  # doctest: +SKIP
"""

from __future__ import annotations

from asleep_nb.plot._style import STAGE_COLORS, STAGE_LABELS
from asleep_nb.plot.cohort import hypnodensity, metric, stage_distribution, transition_matrix
from asleep_nb.plot.hypnogram import hypnogram
from asleep_nb.plot.nights import nights

__all__ = [
    "STAGE_COLORS",
    "STAGE_LABELS",
    "hypnodensity",
    "hypnogram",
    "metric",
    "nights",
    "stage_distribution",
    "transition_matrix",
]
