"""What the cohort explorer shows for one choice of metric and grouping: the same nights in every panel.

:func:`cohort_view` selects the nights of the analysis set
(:func:`asleep_nb.stats.sample.analysis_set`) that have a value of the
metric, from the cohort and from the stats table alike, so the metric
figure, the hypnodensity (onset or clock) and the numbers all count the same
users and nights (:func:`asleep_nb.stats.sample.group_sizes`). A grouping
with more than :data:`MAX_GROUPS` values is summarised as one group,
:data:`SUMMARY_LABEL`, and says so.

Examples
--------
>>> import numpy as np, pandas as pd, xarray as xr
>>> cohort = xr.Dataset(
...     {"sleep_stage": (("session", "epoch"), np.ones((3, 2), "int8")),
...      "time_in_sleep": ("session", [60.0, 60.0, 60.0])},
...     coords={"session_id": ("session", ["s1", "s2", "s3"]), "user_id": ("session", ["a", "b", "c"]),
...             "group": ("session", ["x", "y", "y"])})
>>> table = pd.DataFrame({"session_id": ["s1", "s2", "s3"], "user_id": ["a", "b", "c"],
...                       "group": ["x", "y", "y"], "time_in_sleep": [60.0, np.nan, 60.0]})
>>> view = cohort_view(cohort, table, "time_in_sleep", "group")
>>> view.cohort.sizes["session"], len(view.stats), view.by, view.notes
(2, 2, 'group', ['1 night has no value of time in sleep.'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions.display import inline_label
from asleep_nb.stats.sample import analysis_set

__all__ = ["MAX_GROUPS", "SUMMARY_LABEL", "SUMMARY_BY", "CohortView", "cohort_view", "n_groups"]

#: The most groups the cohort explorer draws, one panel (hypnodensity) or one
#: column (metric) each: a grouping with more values (``user_id`` on a study,
#: 90-odd users) is summarised as one group instead, with a message.
MAX_GROUPS = 8
#: The label of that one group, and the name of the coordinate holding it.
SUMMARY_LABEL, SUMMARY_BY = "all nights", "all_nights"


@dataclass
class CohortView:
    """The nights shown: ``cohort`` and ``stats`` restricted alike, the grouping drawn, and notes."""

    cohort: xr.Dataset
    stats: Any
    by: str
    notes: list[str] = field(default_factory=list)
    summarised: bool = False


def n_groups(values: Any) -> int:
    """Number of distinct labels (missing values count as one).

    Examples
    --------
    >>> n_groups(np.array(["a", "b", "a"])), n_groups(np.array([True, False]))
    (2, 2)
    """
    return len(pd.unique(pd.Series(np.asarray(values), dtype=object)))


def _ids(data: Any) -> np.ndarray | None:
    if isinstance(data, pd.DataFrame):
        if "session_id" in data.columns:
            return data["session_id"].astype(str).to_numpy()
        if "session_id" in data.index.names:
            return data.index.get_level_values("session_id").astype(str).to_numpy()
        return None
    return np.asarray(data["session_id"].values).astype(str) if "session_id" in data.variables else None


def _valued(stats: Any, name: str) -> np.ndarray:
    values = stats[name] if isinstance(stats, pd.DataFrame) else stats[name].to_series()
    return pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").notna().to_numpy()


def _take(data: Any, keep: np.ndarray) -> Any:
    return data.loc[keep] if isinstance(data, pd.DataFrame) else data.isel(session=np.flatnonzero(keep))


def cohort_view(cohort: xr.Dataset, stats: Any, name: str, by: str) -> CohortView:
    """The nights of the analysis set with a value of ``name``, grouped by ``by`` (or summarised).

    Parameters
    ----------
    cohort, stats
        The cohort and its stats table (rows matched on ``session_id``; a
        table without one is taken row for row with the cohort).
    name, by
        The metric shown and the per-session coordinate grouping it.

    Returns
    -------
    CohortView
        ``notes`` say which nights were left out and why, and when the
        grouping was summarised.
    """
    chosen = analysis_set(cohort)
    cohort_ids, stats_ids = _ids(cohort), _ids(stats)
    in_set = chosen.mask
    if cohort_ids is not None and stats_ids is not None:
        stats_keep = np.isin(stats_ids, cohort_ids[in_set])
    else:
        stats_keep = in_set.copy()
    kept = stats_keep.sum()
    stats_keep &= _valued(stats, name)
    notes = [chosen.describe()] if chosen.describe() else []
    missing = int(kept - stats_keep.sum())
    if missing:
        nights = "1 night has" if missing == 1 else f"{missing} nights have"
        notes.append(f"{nights} no value of {inline_label(name)}.")
    if cohort_ids is not None and stats_ids is not None:
        cohort_keep = in_set & np.isin(cohort_ids, stats_ids[stats_keep])
    else:
        cohort_keep = stats_keep
    shown, table = _take(cohort, cohort_keep), _take(stats, stats_keep)
    view = CohortView(shown, table, by, notes)
    if by in shown.variables and n_groups(shown[by].values) > MAX_GROUPS:
        count = n_groups(shown[by].values)
        view.notes.append(
            f"{by} has {count} values, more than the {MAX_GROUPS} groups the explorer draws: "
            f"shown as one group, {SUMMARY_LABEL!r}."
        )
        labels = np.full(shown.sizes["session"], SUMMARY_LABEL, dtype=object)
        view.cohort = shown.assign_coords({SUMMARY_BY: ("session", labels)})
        if isinstance(table, pd.DataFrame):
            view.stats = table.assign(**{SUMMARY_BY: SUMMARY_LABEL})
        else:
            view.stats = table.assign_coords({SUMMARY_BY: ("session", labels[: table.sizes["session"]])})
        view.by, view.summarised = SUMMARY_BY, True
    return view
