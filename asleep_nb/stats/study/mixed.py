"""Nights nested in users: a linear mixed model with a random intercept per user.

``value ~ level`` (one fixed effect per level of a grouping, a group or a
period, against a reference level) with a random intercept per user, fitted
by REML with :class:`statsmodels.regression.mixed_linear_model.MixedLM`:
exactly ``statsmodels.formula.api.mixedlm("value ~ C(level, Treatment(ref))",
data, groups=data["user_id"]).fit(reml=True)``. Estimates, Wald intervals
and p-values are statsmodels' own; the variances of the user intercepts and
of the nights around them give the intraclass correlation. Wald intervals
and tests use the normal distribution, with no small-sample correction of the
degrees of freedom (statsmodels has none): with few users they are narrow.

Whether the user variance sits on the boundary of its range (zero) is judged
on the ICC, below :data:`BOUNDARY_ICC`, not by statsmodels' own check, which
compares the variance with 0.01 in the outcome's units: always "on the
boundary" for ratios (variances near 1e-3), never for seconds (near 1e6).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> users = np.repeat([f"u{i}" for i in range(12)], 4)
>>> level = np.where(np.arange(48) < 24, "a", "b")
>>> value = 1.0 * (level == "b") + rng.normal(0, 1, 12).repeat(4) + rng.normal(0, 0.5, 48)
>>> fit = fit_random_intercept(pd.DataFrame({"user_id": users, GROUP: level, "value": value}), ["a", "b"])
>>> fit.estimates.index.tolist()
['a', 'b', 'b - a']
>>> bool(0.5 < fit.icc < 1)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.metric_frame import GROUP

__all__ = ["RandomInterceptFit", "fit_random_intercept", "check_nested_design"]

#: An ICC below this puts the user variance on the boundary of its range: a warning says so.
BOUNDARY_ICC = 1e-3
#: statsmodels' unit-dependent boundary message, replaced by the check on the ICC.
_UNIT_BOUNDARY = "The MLE may be on the boundary of the parameter space"

#: Columns of :attr:`RandomInterceptFit.estimates`.
ESTIMATE_COLUMNS = ("mean", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class RandomInterceptFit:
    """What a random-intercept fit gives.

    Attributes
    ----------
    estimates
        Rows: each level's model mean (intercept plus its fixed effect), then
        ``"<level> - <reference>"`` for every other level (the fixed effect);
        columns ``mean``, ``ci_low``, ``ci_high`` (Wald) and ``p_value``
        (Wald z-test; ``NaN`` for the level means).
    user_variance, residual_variance
        REML variance of the user intercepts and of the nights around them.
    icc
        Intraclass correlation: ``user_variance / (user_variance + residual_variance)``.
    converged
        statsmodels' convergence flag.
    fit_warnings
        The distinct warnings the fit raised (also re-issued to the caller).
    formula
        The model, in the notation of ``statsmodels.formula.api.mixedlm``.
    """

    estimates: pd.DataFrame
    user_variance: float
    residual_variance: float
    icc: float
    converged: bool
    fit_warnings: tuple[str, ...]
    formula: str

    def attrs(self) -> dict[str, Any]:
        """What a comparison records of the fit in its ``attrs``."""
        return {
            "interval": "Wald",
            "test": "Wald z-test of the fixed effect",
            "formula": self.formula,
            "user_variance": self.user_variance,
            "residual_variance": self.residual_variance,
            "icc": self.icc,
            "converged": self.converged,
            "fit_warnings": list(self.fit_warnings),
        }


def check_nested_design(frame: pd.DataFrame, levels: Sequence[object], what: str = "group") -> pd.DataFrame:
    """The rows of ``frame`` a random-intercept comparison of ``levels`` can use, or a clear error.

    Keeps rows with a value whose level is in ``levels``; raises
    :class:`~asleep_nb.errors.ValidationError` when fewer than two levels are
    given, when a level has fewer than two users, or when no user has more
    than one night (the user and night variances cannot be told apart).

    Examples
    --------
    >>> frame = pd.DataFrame({"user_id": ["a", "b"], GROUP: ["x", "y"], "value": [1.0, 2.0]})
    >>> check_nested_design(frame, ["x", "y"])
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ValidationError: group 'x' has 1 user; a comparison needs at least two users per group
    """
    if len(levels) < 2:
        raise ValidationError(f"a comparison needs at least two {what}s, got {list(levels)}")
    used = frame[frame[GROUP].isin(list(levels)) & frame["value"].notna()]
    users = used.groupby(GROUP, observed=True)["user_id"].nunique()
    for level in levels:
        n = int(users.get(level, 0))
        if n < 2:
            raise ValidationError(
                f"{what} {level!r} has {n} user{'s' if n != 1 else ''}; "
                f"a comparison needs at least two users per {what}"
            )
    if used.groupby("user_id").size().max() < 2:
        raise ValidationError(
            "every user has a single night: a random intercept per user cannot be told apart from "
            "night-to-night variation; compare user means instead (method='bootstrap')"
        )
    return used


def fit_random_intercept(
    frame: pd.DataFrame,
    levels: Sequence[object],
    *,
    ci: float = 0.95,
    label: str = "value",
    what: str = "group",
) -> RandomInterceptFit:
    """Fit ``value ~ level`` with a random intercept per user, by REML; ``levels[0]`` is the reference.

    Parameters
    ----------
    frame
        Columns ``user_id``, :data:`~asleep_nb.stats.study.metric_frame.GROUP`
        (the level of each night) and ``value`` (missing values are dropped).
    levels
        The levels to compare, reference first; rows of other levels are left out.
    ci
        Confidence level of the Wald intervals.
    label
        Names the outcome in the formula and in warnings (e.g. the metric).
    what
        Names a level in error messages (``"group"``, ``"period"``).

    Returns
    -------
    RandomInterceptFit

    Warns
    -----
    statsmodels.tools.sm_exceptions.ConvergenceWarning
        Once, listing statsmodels' convergence and singularity warnings of the
        fit, a user variance on the boundary (ICC below :data:`BOUNDARY_ICC`),
        or a fit that did not converge.
    """
    used = check_nested_design(frame, levels, what)
    reference, others = levels[0], list(levels[1:])
    names = [f"{level} - {reference}" for level in others]
    indicators = {n: (used[GROUP] == o).astype(float) for n, o in zip(names, others, strict=True)}
    exog = pd.DataFrame({"Intercept": 1.0, **indicators})
    result, messages = _fit(used["value"].astype(float), exog, used["user_id"].astype(str))
    formula = f"{label} ~ C({what}, Treatment({reference!r})) + (1 | user_id)"
    user_var = float(np.asarray(result.cov_re)[0, 0])
    residual_var = float(result.scale)
    icc = user_var / (user_var + residual_var)
    messages = tuple(m for m in messages if m != _UNIT_BOUNDARY)
    if icc < BOUNDARY_ICC:
        messages += (f"the user variance is on the boundary, 0 (ICC {icc:.1g}): "
                     "a user's nights vary as much as different users' nights",)  # fmt: skip
    if messages or not result.converged:
        _warn(formula, messages, result.converged)
    return RandomInterceptFit(
        estimates=_estimates(result, levels, names, ci),
        user_variance=user_var,
        residual_variance=residual_var,
        icc=icc,
        converged=bool(result.converged),
        fit_warnings=messages,
        formula=formula,
    )


def _fit(endog: pd.Series, exog: pd.DataFrame, groups: pd.Series) -> tuple[Any, tuple[str, ...]]:
    """REML fit; statsmodels' convergence messages collected (deduplicated), other warnings passed on."""
    from statsmodels.regression.mixed_linear_model import MixedLM  # ~1.5 s to import: only when fitting
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, ModelWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = MixedLM(endog, exog, groups=groups).fit(reml=True)
    messages: dict[str, None] = {}
    for w in caught:
        if issubclass(w.category, (ConvergenceWarning, ModelWarning, RuntimeWarning)):
            messages[str(w.message).strip().rstrip(".")] = None
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result, tuple(messages)


def _warn(formula: str, messages: tuple[str, ...], converged: bool) -> None:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    said = list(messages) + ([] if converged else ["the fit did not converge"])
    warnings.warn(f"mixed model {formula}: {'; '.join(said)}", ConvergenceWarning, stacklevel=4)


def _estimates(result: Any, levels: Sequence[object], names: list[str], ci: float) -> pd.DataFrame:
    """Level means (contrasts of the fixed effects) and the fixed effects themselves."""
    params = result.params
    fixed = ["Intercept", *names]
    rows: dict[object, tuple[float, float, float, float]] = {}
    for i, level in enumerate(levels):
        contrast = np.zeros((1, len(fixed)))  # over the fixed effects only
        contrast[0, 0] = 1.0
        if i:
            contrast[0, i] = 1.0
        test = result.t_test(contrast)
        low, high = np.asarray(test.conf_int(alpha=1 - ci)).ravel()
        rows[level] = (float(np.asarray(test.effect).item()), float(low), float(high), np.nan)
    bounds = result.conf_int(alpha=1 - ci)
    for name in names:
        p = float(result.pvalues[name])
        rows[name] = (float(params[name]), float(bounds.loc[name, 0]), float(bounds.loc[name, 1]), p)
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(ESTIMATE_COLUMNS))
