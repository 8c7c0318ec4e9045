"""Group comparisons of one stat, users as the unit: bootstrap of user means, or a mixed model of nights.

A study records people night after night, so its data are nights nested in
users. :func:`compare_groups` answers "do the groups differ?" in three ways,
each giving a difference's interval and p-value from one and the same method:

- ``method="bootstrap"``: each user's nights are averaged first, so a user
  with many nights weighs no more than one with few; group means are means
  of user means, their intervals :func:`scipy.stats.bootstrap` intervals
  (users resampled within groups), the p-value of a difference the
  bootstrap's own (the interval inverted: it excludes 0 exactly when
  ``p < 1 - ci``);
- ``method="welch"``: the same user means, Student intervals of each group
  mean, Welch's interval and Welch's t-test of the difference;
- ``method="mixed"``: every night enters a linear mixed model ``name ~ group
  (+ covariates)`` with a random intercept per user, fitted by REML at the
  optimum lme4 reaches (:mod:`asleep_nb.stats.study.mixed`); Wald intervals
  and z-tests.

A difference is always "other minus reference", labelled
``"<other> - <reference>"`` (:func:`asleep_nb.definitions.difference_label`).
All report Hedges' g on user means with its interval (:mod:`asleep_nb.stats.study.effect`).

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

from asleep_nb.definitions import difference_label
from asleep_nb.errors import ValidationError
from asleep_nb.stats.sample import group_sizes
from asleep_nb.stats.study.bootstrap import (
    DEFAULT_CI,
    DEFAULT_N_BOOT,
    Interval,
    check_options,
    difference_test,
    interval_for,
    mean_interval,
)
from asleep_nb.stats.study.covariates import check_covariate_roles
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

Method = Literal["bootstrap", "welch", "mixed"]
#: The methods of :func:`compare_groups`, and how a table names each.
METHODS: dict[str, str] = {
    "bootstrap": "bootstrap of user means",
    "welch": "Welch's t on user means",
    "mixed": "mixed model, Wald",
}

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
    ci: float = DEFAULT_CI,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    interval: Interval = "percentile",
    covariates: Sequence[str] = (),
) -> pd.DataFrame:
    """Compare a stat between groups, users as the unit: bootstrap or Welch on user means, or a mixed model.

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
        ``"bootstrap"``: user means, :func:`scipy.stats.bootstrap` intervals
        and the bootstrap p-value from the same resamples. ``"welch"``: user
        means, Student intervals of group means, Welch's interval and t-test
        of a difference. ``"mixed"``: ``name ~ group (+ covariates)`` with a
        random intercept per ``user_id`` over every night, REML (lme4's
        optimum), Wald intervals and z-tests; each group's row holds the
        model's mean for that group (at the covariates' means).
    reference
        The group differences are taken against (default: the first group);
        a difference is ``other - reference``.
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
        of :func:`scipy.stats.bootstrap`. BCa with fewer than
        :data:`~asleep_nb.stats.study.bootstrap.BCA_MIN_USERS` users in a
        group is unstable: a warning, and the percentile interval instead
        (``attrs["interval"]`` records the one used).
    covariates
        Per-session columns (from the manifest: ``age``, ``sex``, ``bmi``,
        ...) adjusted for as fixed effects: the difference becomes the
        adjusted difference. ``method="mixed"`` only; the coefficients are in
        ``attrs["covariates"]``.

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
        ``residual_variance``, ``icc``, ``converged``, ``boundary`` (user
        variance 0), ``optimiser`` and ``llf`` (the REML fit kept),
        ``fit_warnings`` and ``covariates`` (a DataFrame of their effects).

    Raises
    ------
    KeyError
        A group or reference with no value of ``name``, or a missing column.
    ValidationError
        ``name`` missing in every night; a comparison with one group; with
        ``method="mixed"``: a group with one user, or one night per user; a
        covariate that is constant, all missing, collinear with the group or
        already in the model (``name``, ``by``, ``user_id``); covariates with
        another method.

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
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    check_options(ci, n_boot, interval)
    covariates = list(covariates)
    if covariates and method != "mixed":
        raise ValidationError(
            f"covariates {covariates} are adjusted for by the mixed model only: use method='mixed' "
            f"(a {method} of user means has no adjustment)"
        )
    check_covariate_roles(covariates, name, by)
    frame = metric_frame(data, name, by, extra=covariates)
    per_user = user_means(frame)
    levels, ref = comparison_levels(per_user, groups, reference, name)
    differences = method == "mixed" or len(levels) == 2 or reference is not None
    if differences and len(levels) < 2:
        raise ValidationError(f"a comparison needs at least two groups; {name!r} has only {levels}")
    means = {g: per_user.loc[per_user[GROUP] == g, "mean"].to_numpy(dtype=float) for g in levels}
    valued = frame.dropna(subset=["value"])
    sizes = group_sizes(valued["user_id"].to_numpy(), valued[GROUP].to_numpy()).to_dict("index")
    nights = {g: sizes[g]["n_nights"] for g in levels}
    rows: dict[Any, dict[str, Any]] = {
        g: {"n_users": int(sizes[g]["n_users"]), "n_nights": int(sizes[g]["n_nights"])} for g in levels
    }
    others = [g for g in levels if g != ref] if differences else []
    for other in others:
        rows[difference_label(other, ref)] = {
            "n_users": means[ref].size + means[other].size,
            "n_nights": int(nights[ref] + nights[other]),
            **_effect(means[ref], means[other], ci),
        }
    attrs: dict[str, Any] = {"name": name, "units": metric_units(name), "method": method, "ci": ci}
    attrs.update(
        adjusted_for=covariates,
        reference=ref,
        direction=f"other minus reference ({ref})",
        method_label=METHODS[method],
    )
    if method == "mixed":
        fit = fit_random_intercept(frame, [ref, *others], ci=ci, label=name, what=by, covariates=covariates)
        estimates = fit.estimates
        attrs.update(fit.attrs(), covariates=fit.covariates)
    elif method == "welch":
        estimates = _welch(means, ref, others, ci=ci)
        attrs.update(interval="Student / Welch", test="Welch's t-test on user means")
    else:
        used = interval_for(interval, *(means[g].size for g in [ref, *others]))
        estimates = _bootstrap(means, ref, others, ci=ci, n_boot=n_boot, seed=seed, interval=used)
        test = "bootstrap test of user means (the interval inverted)"
        attrs.update(interval=used, test=test, n_boot=n_boot, seed=seed)
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
        low, high, p = difference_test(a, b, rng=np.random.default_rng(seed), **options)
        rows[difference_label(other, ref)] = (b.mean() - a.mean(), low, high, p)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "ci_low", "ci_high", "p_value"])


def _welch(means: dict[Any, np.ndarray], ref: Any, others: Sequence[Any], *, ci: float) -> pd.DataFrame:
    """Student intervals of group means; Welch's interval and t-test of each difference (scipy)."""
    from scipy.stats import ttest_1samp, ttest_ind  # scipy.stats is slow to import: only when testing

    rows: dict[Any, tuple[float, float, float, float]] = {}
    for g, v in means.items():
        low, high = ttest_1samp(v, 0.0).confidence_interval(ci) if v.size > 1 else (np.nan, np.nan)
        rows[g] = (float(v.mean()), float(low), float(high), np.nan)
    for other in others:
        a, b = means[ref], means[other]
        if a.size < 2 or b.size < 2:
            rows[difference_label(other, ref)] = (float(b.mean() - a.mean()), np.nan, np.nan, np.nan)
            continue
        test = ttest_ind(b, a, equal_var=False)
        low, high = test.confidence_interval(ci)
        rows[difference_label(other, ref)] = (float(b.mean() - a.mean()), float(low), float(high),
                                              float(test.pvalue))  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "ci_low", "ci_high", "p_value"])


def _effect(reference: np.ndarray, other: np.ndarray, ci: float) -> dict[str, float]:
    """Hedges' g columns; ``NaN`` when a group has a single user."""
    if reference.size < 2 or other.size < 2:
        g = low = high = np.nan
    else:
        g, low, high = hedges_g(reference, other, ci=ci)
    return {"effect_size": g, "effect_ci_low": low, "effect_ci_high": high}
