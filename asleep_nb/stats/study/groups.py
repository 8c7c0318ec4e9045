"""Group comparisons of one stat, users as the unit: bootstrap of user means, or a mixed model of nights.

A study records people night after night, so its data are nights nested in
users. :func:`compare_groups` answers "do the groups differ?" in two ways:

- ``method="bootstrap"``: each user's nights are averaged first, so a user
  with many nights weighs no more than one with few; group means are means
  of user means, their intervals :func:`scipy.stats.bootstrap` intervals
  (users resampled within groups), the test of a difference Welch's t-test
  on user means;
- ``method="mixed"``: every night enters a linear mixed model ``name ~ group``
  with a random intercept per user, fitted by REML with statsmodels
  (:mod:`asleep_nb.stats.study.mixed`); estimates, Wald intervals and p-values are
  statsmodels' own.

Both report Hedges' g on user means with its interval (:mod:`asleep_nb.stats.study.effect`).

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"user_id": list("aabbccdd"), "group": list("xxxxyyyy"),
...                       "time_in_sleep": [25200.0, 27000, 24000, 24600, 21600, 22000, 23400, 22800]})
>>> mixed = compare_groups(table, "time_in_sleep", method="mixed")
>>> print(mixed[["n_users", "n_nights", "mean", "ci_low", "ci_high"]].round(1).to_string(index_names=False))
       n_users  n_nights     mean   ci_low  ci_high
x            2         4  25200.0  23661.4  26738.6
y            2         4  22450.0  20911.4  23988.6
y - x        4         8  -2750.0  -4925.9   -574.1
>>> round(float(mixed.loc["y - x", "p_value"]), 3), round(mixed.attrs["icc"], 2)
(0.013, 0.65)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bootstrap import Interval, check_options, difference_interval, mean_interval
from asleep_nb.stats.study.effect import hedges_g
from asleep_nb.stats.study.metric_frame import (
    GROUP,
    local_clock_hours,
    metric_frame,
    metric_units,
    metric_values,
    stats_frame,
    user_means,
)
from asleep_nb.stats.study.mixed import fit_random_intercept

# the frame helpers live in metric_frame; re-exported here, their first home
__all__ = [
    "COLUMNS",
    "compare_groups",
    "comparison_levels",
    "GROUP",
    "user_means",
    "metric_values",
    "stats_frame",
    "local_clock_hours",
]

Method = Literal["bootstrap", "mixed"]

#: Columns of a comparison: one row per group, then one per difference against the reference.
COLUMNS = (
    "n_users",
    "n_nights",
    "mean",
    "ci_low",
    "ci_high",
    "p_value",
    "effect_size",
    "effect_ci_low",
    "effect_ci_high",
)


def compare_groups(
    data: object,
    name: str,
    *,
    by: str = "group",
    groups: Sequence[str] | None = None,
    method: Method = "bootstrap",
    reference: str | None = None,
    ci: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
    interval: Interval = "percentile",
) -> pd.DataFrame:
    """Compare a stat between groups, users as the unit; bootstrap of user means or a mixed model.

    Parameters
    ----------
    data
        A :func:`asleep_nb.stats_table` DataFrame (columns ``user_id``, ``by``
        and ``name``) or a cohort Dataset holding ``name`` along ``session``.
    name
        The stat to compare, e.g. ``"time_in_sleep"``. Durations stay in
        seconds, ratios in [0, 1]; stat times become local clock hours
        anchored at noon (23:30 is 23.5, 00:30 is 24.5).
    by
        Per-session column / coordinate defining the groups (``"user_id"``
        itself describes each user).
    groups
        Groups to keep, in this order; default: all, sorted.
    method
        ``"bootstrap"``: user means, :func:`scipy.stats.bootstrap` intervals,
        Welch's t-test. ``"mixed"``: ``name ~ group`` with a random intercept
        per ``user_id`` over every night, REML, statsmodels' Wald intervals
        and z-tests; each group's row holds the model's mean for that group.
    reference
        The group differences are taken against (default: the first group).
        Difference rows appear with two groups, with ``method="mixed"``, or
        when ``reference`` is given.
    ci
        Confidence level of every interval.
    n_boot
        Bootstrap resamples (at least 100; ``method="bootstrap"`` only).
    seed
        Seed of the resampling. The groups draw in turn from one
        ``numpy.random.default_rng(seed)``; each difference from a fresh one,
        the reference group first, so with two groups and the first as
        reference the difference reuses the two groups' own resamples.
    interval
        ``"percentile"`` (default), ``"BCa"`` or ``"basic"``: the ``method``
        of :func:`scipy.stats.bootstrap`.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (index name ``by``), then ``"<group> - <reference>"``
        rows; columns :data:`COLUMNS`. Group rows: ``n_users``, ``n_nights``
        with a value, ``mean`` and its interval (``NaN`` for a one-user group
        under the bootstrap); difference rows: the totals of users and nights
        of the two groups, the difference, its interval, ``p_value`` and
        Hedges' g on user means with its interval. ``attrs`` record
        ``name``, ``units``, ``method``, ``interval``, ``ci``, ``reference``,
        ``test``, ``effect_size``, ``n_boot`` and ``seed``; with
        ``method="mixed"`` also ``formula``, ``user_variance``,
        ``residual_variance``, ``icc``, ``converged`` and ``fit_warnings``.

    Raises
    ------
    KeyError
        A group or reference with no value of ``name``, or a missing column.
    ValidationError
        ``name`` missing in every night; a comparison with one group; with
        ``method="mixed"``: a group with one user, or one night per user.

    Warns
    -----
    statsmodels.tools.sm_exceptions.ConvergenceWarning
        When the mixed model's fit reports a convergence or boundary problem.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"user_id": ["a", "a", "b", "c", "d"],
    ...                       "group": ["x", "x", "x", "y", "y"],
    ...                       "time_in_sleep": [25200.0, 27000, 24000, 21600, 22000]})
    >>> out = compare_groups(table, "time_in_sleep")
    >>> int(out.loc["x", "n_users"]), int(out.loc["x", "n_nights"]), float(out.loc["x", "mean"])
    (2, 3, 25050.0)
    >>> out.index.tolist()
    ['x', 'y', 'y - x']
    """
    if method not in ("bootstrap", "mixed"):
        raise ValueError(f"method must be 'bootstrap' or 'mixed', got {method!r}")
    check_options(ci, n_boot, interval)
    frame = metric_frame(data, name, by)
    per_user = user_means(frame)
    levels, ref = comparison_levels(per_user, groups, reference, name)
    differences = method == "mixed" or len(levels) == 2 or reference is not None
    if differences and len(levels) < 2:
        raise ValidationError(f"a comparison needs at least two groups; {name!r} has only {levels}")
    means = {g: per_user.loc[per_user[GROUP] == g, "mean"].to_numpy(dtype=float) for g in levels}
    nights = per_user.groupby(GROUP, observed=True)["count"].sum()
    rows = {g: {"n_users": means[g].size, "n_nights": int(nights[g])} for g in levels}
    others = [g for g in levels if g != ref] if differences else []
    for other in others:
        rows[f"{other} - {ref}"] = {
            "n_users": means[ref].size + means[other].size,
            "n_nights": int(nights[ref] + nights[other]),
            **_effect(means[ref], means[other], ci),
        }
    attrs: dict[str, Any] = {"name": name, "units": metric_units(name), "method": method, "ci": ci}
    attrs["reference"] = ref
    if method == "mixed":
        fit = fit_random_intercept(frame, [ref, *others], ci=ci, label=name, what=by)
        estimates = fit.estimates
        attrs.update(fit.attrs())
    else:
        estimates = _bootstrap(means, ref, others, ci=ci, n_boot=n_boot, seed=seed, interval=interval)
        attrs.update(interval=interval, test="Welch's t-test on user means", n_boot=n_boot, seed=seed)
    attrs["effect_size"] = "Hedges' g on user means, normal-approximation interval"
    out = pd.DataFrame.from_dict(rows, orient="index").join(estimates).reindex(columns=list(COLUMNS))
    out.index.name = by
    out.attrs.update(attrs)
    return out


def comparison_levels(
    per_user: pd.DataFrame, groups: Sequence[Any] | None, reference: Any, name: str
) -> tuple[list[Any], Any]:
    """The groups to compare (``groups``, default all sorted) and the reference (default the first).

    Examples
    --------
    >>> per_user = pd.DataFrame({GROUP: ["x", "y", "z"], "mean": [1.0, 2.0, 3.0]})
    >>> comparison_levels(per_user, None, "y", "time_in_sleep")
    (['x', 'y', 'z'], 'y')
    """
    present = sorted(per_user[GROUP].unique().tolist(), key=str)
    levels = present if groups is None else list(groups)
    missing = [g for g in levels if g not in present]
    if missing:
        raise KeyError(f"no non-missing {name!r} for group(s) {missing}; groups with data: {present}")
    if reference is not None and reference not in levels:
        raise KeyError(f"reference {reference!r} is not among the groups compared: {levels}")
    return levels, (levels[0] if reference is None else reference)


def _bootstrap(means: dict[Any, np.ndarray], ref: Any, others: Sequence[Any], **options: Any) -> pd.DataFrame:
    """Group and difference estimates from the user means (see ``seed`` in :func:`compare_groups`)."""
    seed = options.pop("seed")
    rng = np.random.default_rng(seed)
    rows = {g: (v.mean(), *mean_interval(v, rng=rng, **options), np.nan) for g, v in means.items()}
    for other in others:
        a, b = means[ref], means[other]
        low, high = difference_interval(a, b, rng=np.random.default_rng(seed), **options)
        rows[f"{other} - {ref}"] = (b.mean() - a.mean(), low, high, _welch_p(a, b))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "ci_low", "ci_high", "p_value"])


def _welch_p(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or b.size < 2:
        return np.nan
    from scipy.stats import ttest_ind  # scipy.stats is slow to import: only when testing

    return float(ttest_ind(b, a, equal_var=False).pvalue)


def _effect(reference: np.ndarray, other: np.ndarray, ci: float) -> dict[str, float]:
    """Hedges' g columns; ``NaN`` when a group has a single user."""
    if reference.size < 2 or other.size < 2:
        g = low = high = np.nan
    else:
        g, low, high = hedges_g(reference, other, ci=ci)
    return {"effect_size": g, "effect_ci_low": low, "effect_ci_high": high}
