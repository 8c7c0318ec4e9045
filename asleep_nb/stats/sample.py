"""Which nights a cohort comparison shows, and how a group's size is counted: one rule for every panel.

Two rules, each defined here once and used by every figure, table and
explorer that states the size of a group:

- :func:`analysis_set`: the nights a four-stage comparison of a cohort can
  use. A night is left out, for the first reason that applies, when its
  analysis is not finished (state ``OPEN`` or ``CLOSED``), when it has no
  statistics (the API returned ``stat: null``: invalid for analysis), when
  it is two-stage (wake/sleep only, not comparable stage by stage), or when
  it never slept (no epoch scored as sleep, by the research rule).
- :func:`group_sizes`: a group's size is its number of distinct users and
  its number of nights (sessions), counted over the nights the panel shows.

Panels that draw the same nights therefore say the same numbers, whatever
their alignment (onset or clock) or kind (metric, hypnodensity, table).

Examples
--------
>>> import numpy as np
>>> group_sizes(np.array(["u1", "u1", "u2", "u3"]), np.array(["a", "a", "a", "b"]))
   n_users  n_nights
a        2         3
b        1         1
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import research_sleep_period

__all__ = ["LEFT_OUT_REASONS", "AnalysisSet", "analysis_set", "group_sizes"]

#: Why a night is left out of a comparison, in the order the rules are applied.
LEFT_OUT_REASONS: tuple[str, ...] = (
    "not finished (OPEN or CLOSED)",
    "no statistics",
    "two-stage",
    "never slept",
)
_UNFINISHED = ("OPEN", "CLOSED")


@dataclass(frozen=True)
class AnalysisSet:
    """The nights of a cohort a comparison uses, and how many were left out for each reason.

    Attributes
    ----------
    mask
        ``bool`` per session: the night is in the set.
    left_out
        ``{reason: number of nights}`` for the reasons of
        :data:`LEFT_OUT_REASONS` that left out at least one night.
    """

    mask: np.ndarray
    left_out: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One sentence for a reader: ``"Left out 3 of 204 nights: 2 not finished ..., 1 never slept."``.

        Empty when no night is left out.

        Examples
        --------
        >>> AnalysisSet(np.array([True, False]), {"never slept": 1}).describe()
        'Left out 1 of 2 nights: 1 never slept.'
        >>> AnalysisSet(np.array([True])).describe()
        ''
        """
        if not self.left_out:
            return ""
        parts = ", ".join(f"{n} {reason}" for reason, n in self.left_out.items())
        return f"Left out {sum(self.left_out.values())} of {self.mask.size} nights: {parts}."


def analysis_set(cohort: xr.Dataset) -> AnalysisSet:
    """The nights of ``cohort`` a four-stage comparison uses (see the module docstring for the rule).

    Each rule reads what the cohort holds: ``state``, the stat variable
    ``time_in_sleep`` (missing when the API sent no stat), ``two_stage`` and
    ``sleep_stage``; a rule whose variable is absent leaves no night out.

    Parameters
    ----------
    cohort
        A cohort (dims ``session``, ``epoch``), any alignment.

    Returns
    -------
    AnalysisSet

    Examples
    --------
    >>> import xarray as xr
    >>> cohort = xr.Dataset(
    ...     {"sleep_stage": (("session", "epoch"), np.array([[0, 1, 2], [0, 0, 0], [0, 1, -2]], "int8")),
    ...      "time_in_sleep": ("session", [60.0, 0.0, np.nan])},
    ...     coords={"state": ("session", ["COMPLETE", "COMPLETE", "OPEN"])})
    >>> chosen = analysis_set(cohort)
    >>> chosen.mask.tolist(), chosen.left_out
    ([True, False, False], {'not finished (OPEN or CLOSED)': 1, 'never slept': 1})
    """
    n = int(cohort.sizes.get("session", 0))
    keep = np.ones(n, dtype=bool)
    out: dict[str, int] = {}
    rules: list[tuple[str, np.ndarray]] = []
    if "state" in cohort.variables:
        states = np.asarray(cohort["state"].values).astype(str)
        rules.append((LEFT_OUT_REASONS[0], np.isin(states, _UNFINISHED)))
    if "time_in_sleep" in cohort.variables:
        rules.append(
            (LEFT_OUT_REASONS[1], ~np.isfinite(np.asarray(cohort["time_in_sleep"].values, dtype=float)))
        )
    if "two_stage" in cohort.variables:
        rules.append((LEFT_OUT_REASONS[2], np.asarray(cohort["two_stage"].values, dtype=bool)))
    if "sleep_stage" in cohort.variables and n:
        stages = np.asarray(cohort["sleep_stage"].transpose("session", ...).values)
        rules.append((LEFT_OUT_REASONS[3], research_sleep_period(stages).onset < 0))
    for reason, drop in rules:
        hit = drop & keep
        if hit.any():
            out[reason] = int(hit.sum())
        keep &= ~drop
    return AnalysisSet(keep, out)


def group_sizes(users: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Distinct users and nights of each group: the size every panel states for a group.

    Parameters
    ----------
    users, labels
        The user id and the group label of each night shown, same length.

    Returns
    -------
    pandas.DataFrame
        Indexed by group label (sorted by its text, the order of the
        figures), columns ``n_users`` and ``n_nights`` (``int``).

    Examples
    --------
    >>> group_sizes(np.array(["u1", "u1", "u2"]), np.array([True, True, False])).to_dict("index")
    {False: {'n_users': 1, 'n_nights': 1}, True: {'n_users': 1, 'n_nights': 2}}
    """
    users, labels = np.asarray(users), np.asarray(labels)
    if users.shape != labels.shape:
        raise ValueError(f"users and labels differ in length: {users.shape} vs {labels.shape}")
    frame = pd.DataFrame({"user": users, "label": pd.Series(labels, dtype=object)})
    order = sorted(pd.unique(frame["label"]).tolist(), key=str)
    grouped = frame.groupby("label", sort=False, dropna=False)
    out = pd.DataFrame({"n_users": grouped["user"].nunique(), "n_nights": grouped.size()})
    out = out.reindex(pd.Index(order, dtype=object))
    return out.astype(int)
