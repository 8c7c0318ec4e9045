"""Figures of nights and cohorts, ready for a paper.

Every function takes ``ax=None`` (or ``fig=None`` for multi-panel figures),
returns what it drew on, applies its style inside ``plt.rc_context`` and
never changes global matplotlib state. Stages have one colour-blind-safe
colour (Okabe-Ito) and one label in every figure, metrics one display unit
and precision, all from :mod:`asleep_nb.definitions`; sleep onset and final
awakening are those of the research rule
(:func:`asleep_nb.definitions.research_sleep_period`).

- :func:`hypnogram`: one night against local clock time (DST-correct);
- :func:`nights`: many nights of one user stacked by date (sleep diary);
- :func:`stage_distribution`, :func:`metric`, :func:`hypnodensity`,
  :func:`transition_matrix` / :func:`transition_matrices`: cohort comparisons
  grouped by any per-session coordinate (default ``"group"``), one module per
  figure family (``distribution``, ``comparison``, ``density``, ``transitions``).
  :func:`hypnodensity` is a full-width figure (:func:`hypnodensity_figsize`);
- :func:`adherence_calendar`: participants x nights of a study run day by day,
  coloured by status (:func:`asleep_nb.stats.night_table`);
- validation studies (device against a reference): :func:`confusion_matrix`,
  :func:`bland_altman` / :func:`bland_altman_panels` (numbers from
  :func:`asleep_nb.stats.epoch_agreement` and :func:`asleep_nb.stats.stats_agreement`)
  and :func:`hypnogram_comparison` (one night, device over reference).

Examples
--------
>>> import asleep_nb.plot as ap
>>> ax = ap.hypnogram(ds)
>>> ax = ap.metric(cohort, "time_in_sleep")  # numbers: asleep_nb.stats.compare_groups
"""

from __future__ import annotations

from asleep_nb.plot._style import STAGE_COLORS, STAGE_LABELS
from asleep_nb.plot.agreement import confusion_matrix, hypnogram_comparison
from asleep_nb.plot.bland_altman import bland_altman, bland_altman_panels
from asleep_nb.plot.calendar import adherence_calendar
from asleep_nb.plot.comparison import metric
from asleep_nb.plot.density import hypnodensity, hypnodensity_figsize
from asleep_nb.plot.distribution import stage_distribution
from asleep_nb.plot.hypnogram import hypnogram
from asleep_nb.plot.nights import nights
from asleep_nb.plot.transitions import transition_matrices, transition_matrix

__all__ = [
    "STAGE_COLORS",
    "STAGE_LABELS",
    "adherence_calendar",
    "bland_altman",
    "bland_altman_panels",
    "confusion_matrix",
    "hypnogram_comparison",
    "hypnodensity",
    "hypnodensity_figsize",
    "hypnogram",
    "metric",
    "nights",
    "stage_distribution",
    "transition_matrices",
    "transition_matrix",
]
