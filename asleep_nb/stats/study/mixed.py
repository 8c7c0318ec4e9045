"""Nights nested in users: a linear mixed model with a random intercept per user.

``value ~ level (+ covariates)`` (one fixed effect per level of a grouping, a
group or a period, against a reference level) with a random intercept per
user, fitted by REML at the optimum lme4 reaches: several optimisers and
starting values of :class:`statsmodels.regression.mixed_linear_model.MixedLM`,
the highest REML log-likelihood kept (:func:`~asleep_nb.stats.study.reml.fit_reml`).
The estimates, their standard errors (lme4's ``vcov``), the variance
components and the intraclass correlation equal ``lme4::lmer(value ~ level +
(1 | user_id), REML = TRUE)``'s. Wald intervals and tests use the normal
distribution, with no small-sample correction of the degrees of freedom:
with few users they are narrow.

Whether the user variance sits on the boundary of its range (zero) is judged
on its share of the total variance, below
:data:`~asleep_nb.stats.study.reml.BOUNDARY_SHARE` (statsmodels' own check
compares the variance with 0.01 in the outcome's units: always "on the
boundary" for ratios, never for seconds).

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
>>> bool(0.5 < fit.icc < 1), fit.boundary
(True, False)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bootstrap import DEFAULT_CI
from asleep_nb.stats.study.covariates import covariate_design
from asleep_nb.stats.study.metric_frame import GROUP
from asleep_nb.stats.study.reml import RemlFit, fit_reml

__all__ = [
    "RandomInterceptFit",
    "fit_random_intercept",
    "check_nested_design",
    "wald",
    "fixed_effects",
    "fit_notes",
]

#: Columns of :attr:`RandomInterceptFit.estimates`.
ESTIMATE_COLUMNS = ("mean", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class RandomInterceptFit:
    """What a random-intercept fit gives.

    Attributes
    ----------
    estimates
        Rows: each level's model mean (intercept plus its fixed effect, at the
        covariates' means when there are covariates), then ``"<level> -
        <reference>"`` for every other level (the fixed effect); columns
        ``mean``, ``ci_low``, ``ci_high`` (Wald) and ``p_value`` (Wald z-test;
        ``NaN`` for the level means).
    user_variance, residual_variance
        REML variance of the user intercepts and of the nights around them.
    icc
        Intraclass correlation: ``user_variance / (user_variance + residual_variance)``.
    reml
        The REML fit (optimiser, log-likelihood, convergence, boundary, fixed effects).
    fit_warnings
        The distinct warnings of the fit (also re-issued to the caller).
    formula
        The model, in lme4's notation.
    covariates
        The fixed effects of the covariates (``mean``, ``ci_low``, ``ci_high``, ``p_value``).
    """

    estimates: pd.DataFrame
    user_variance: float
    residual_variance: float
    icc: float
    reml: RemlFit
    fit_warnings: tuple[str, ...]
    formula: str
    covariates: pd.DataFrame

    @property
    def converged(self) -> bool:
        """Whether the optimiser of the kept fit reported convergence."""
        return self.reml.converged

    @property
    def boundary(self) -> bool:
        """Whether the user variance is 0 (below the boundary share of the total)."""
        return self.reml.boundary

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
            "boundary": self.boundary,
            "optimiser": self.reml.optimiser,
            "llf": self.reml.llf,
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
    ci: float = DEFAULT_CI,
    label: str = "value",
    what: str = "group",
    covariates: Sequence[str] = (),
) -> RandomInterceptFit:
    """Fit ``value ~ level + covariates`` with a random intercept per user by REML; reference ``levels[0]``.

    Parameters
    ----------
    frame
        Columns ``user_id``, :data:`~asleep_nb.stats.study.metric_frame.GROUP`
        (the level of each night), ``value`` (missing values are dropped) and
        the ``covariates``.
    levels
        The levels to compare, reference first; rows of other levels are left out.
    ci
        Confidence level of the Wald intervals.
    label
        Names the outcome in the formula and in warnings (e.g. the metric).
    what
        Names a level in error messages (``"group"``, ``"period"``).
    covariates
        Columns of ``frame`` entered as fixed effects
        (:func:`~asleep_nb.stats.study.covariates.covariate_design`).

    Returns
    -------
    RandomInterceptFit

    Raises
    ------
    ValidationError
        A design that cannot be estimated (:func:`check_nested_design`), or a
        covariate that is constant, all missing or collinear with the levels.

    Warns
    -----
    statsmodels.tools.sm_exceptions.ConvergenceWarning
        Once, listing the fit's convergence and singularity warnings, a user
        variance on the boundary (0), or a fit that did not converge.
    """
    used = check_nested_design(frame, levels, what)
    reference, others = levels[0], list(levels[1:])
    names = [f"{level} - {reference}" for level in others]
    indicators = {n: (used[GROUP] == o).astype(float) for n, o in zip(names, others, strict=True)}
    design = pd.DataFrame({"Intercept": 1.0, **indicators}, index=used.index)
    extra: list[str] = []
    if covariates:
        columns = covariate_design(used, covariates, levels=design, what=what)
        used, design = used.loc[columns.index], design.loc[columns.index].join(columns)
        extra = list(columns.columns)
        check_nested_design(used, levels, what)
    fit = fit_reml(used["value"].astype(float), design, used["user_id"].astype(str))
    terms = " + ".join([f"{what} (reference {reference!r})", *covariates])
    formula = f"{label} ~ {terms} + (1 | user_id)"
    user_var, residual_var = float(fit.cov_re[0, 0]), fit.scale
    icc = user_var / (user_var + residual_var)
    messages = fit_notes(fit)
    if messages:
        _warn(formula, messages)
    at = design.mean()  # level means at the covariates' means
    rows: dict[object, tuple[float, ...]] = {}
    for i, level in enumerate(levels):
        contrast = pd.Series(0.0, index=design.columns)
        contrast[extra] = at[extra]
        contrast["Intercept"] = 1.0
        if i:
            contrast[names[i - 1]] = 1.0
        rows[level] = (*wald(fit, contrast, ci)[:3], np.nan)
    means = pd.DataFrame.from_dict(rows, orient="index", columns=list(ESTIMATE_COLUMNS))
    return RandomInterceptFit(
        estimates=pd.concat([means, fixed_effects(fit, names, ci)]),  # each difference is one fixed effect
        user_variance=user_var,
        residual_variance=residual_var,
        icc=icc,
        reml=fit,
        fit_warnings=messages,
        formula=formula,
        covariates=fixed_effects(fit, extra, ci),
    )


def wald(fit: RemlFit, contrast: pd.Series, ci: float) -> tuple[float, float, float, float]:
    """Estimate, Wald interval and two-sided z-test p-value of ``contrast @ fixed effects``.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 2, 3, 5, 6])
    >>> fit = fit_reml(y, pd.DataFrame({"Intercept": np.ones(8)}), pd.Series(list("aabbccdd")))
    >>> round(wald(fit, pd.Series({"Intercept": 1.0}), 0.95)[0], 2)
    3.25
    """
    from scipy.stats import norm

    c = contrast.reindex(fit.params.index).fillna(0.0).to_numpy(dtype=float)
    estimate = float(c @ fit.params.to_numpy())
    se = float(np.sqrt(c @ fit.cov_params.to_numpy() @ c))
    half = float(norm.ppf(0.5 + ci / 2)) * se
    p = float(2 * norm.sf(abs(estimate) / se)) if se > 0 else np.nan
    return estimate, estimate - half, estimate + half, p


def fixed_effects(fit: RemlFit, columns: Sequence[str], ci: float) -> pd.DataFrame:
    """Each of ``columns``' fixed effects alone: estimate, Wald interval and p-value, a row each.

    Columns :data:`ESTIMATE_COLUMNS`; how a comparison or a trend reports its covariates.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 2, 3, 5, 6])
    >>> X = pd.DataFrame({"Intercept": np.ones(8), "x": [0.0, 1] * 4})
    >>> fixed_effects(fit_reml(y, X, pd.Series(list("aabbccdd"))), ["x"], 0.95).round(2)["mean"].tolist()
    [1.0]
    """
    rows = {c: wald(fit, pd.Series({c: 1.0}), ci) for c in columns}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(ESTIMATE_COLUMNS))


def fit_notes(fit: RemlFit) -> tuple[str, ...]:
    """The fit's warnings, with a boundary or a failed convergence said in words.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 2, 3, 5, 6])
    >>> fit_notes(fit_reml(y, pd.DataFrame({"Intercept": np.ones(8)}), pd.Series(list("aabbccdd"))))
    ()
    """
    messages = fit.messages
    if fit.boundary:
        messages += ("a random-effect variance is on the boundary, 0 (singular fit, as lme4's "
                     "isSingular): a user's nights vary as much as different users' nights",)  # fmt: skip
    if not fit.converged:
        messages += ("the fit did not converge",)
    return messages


def _warn(formula: str, messages: tuple[str, ...]) -> None:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    warnings.warn(f"mixed model {formula}: {'; '.join(messages)}", ConvergenceWarning, stacklevel=4)
