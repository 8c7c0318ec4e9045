"""Change over time: the per-night slope of a stat, and weekend against weekday nights, per group.

:func:`trend` fits one linear mixed model over every night by REML (lme4's
optimum, :func:`~asleep_nb.stats.study.reml.fit_reml`)::

    value ~ 0 + group + group:night + group:weekend + (1 + night | user_id)

``night`` is the night index, the days since the user's first night (so the
intercept is a user's first night and the slope the change per night);
``weekend`` is 1 on weekend nights (:data:`~asleep_nb.definitions.WEEKEND_NIGHTS`:
Friday and Saturday nights, those before a free day). Each group gets its own
intercept, slope and weekend contrast; each user a random intercept and a
random slope. Where the data do not allow a random slope (fewer than two
users with three nights or more, or a slope variance on the boundary, 0, or
a correlation of +-1) the model falls back to a random intercept, with a
warning. Differences of slopes between groups are "other minus reference".

With ``covariates`` (age, sex, BMI, ... from the manifest) the model adds
them as fixed effects, coded as in
:func:`~asleep_nb.stats.study.covariates.covariate_design` (numbers as they
are, categories as indicators against their first level)::

    value ~ 0 + group + group:night + group:weekend + age + sex + (1 + night | user_id)

so each slope and weekend contrast is adjusted for them; their own effects
are in ``attrs["covariates"]``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> nights = pd.Timestamp("2025-01-06") + pd.to_timedelta(np.tile(np.arange(14), 10), unit="D")
>>> users = np.repeat([f"u{i}" for i in range(10)], 14)
>>> day = np.tile(np.arange(14), 10)
>>> slope = 0.05 + rng.normal(0, 0.03, 10).repeat(14)
>>> value = 7 + slope * day + rng.normal(0, 0.5, 10).repeat(14) + rng.normal(0, 0.3, 140)
>>> table = pd.DataFrame({"user_id": users, "group": "all", "night": nights, "score": value})
>>> out = trend(table, "score")
>>> bool(out.loc[("all", "per night"), "ci_low"] < 0.05 < out.loc[("all", "per night"), "ci_high"])
True
>>> out.attrs["random"]
'intercept and slope'
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import pandas as pd

from asleep_nb.definitions import WEEKEND_NIGHTS, difference_label
from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bootstrap import DEFAULT_CI
from asleep_nb.stats.study.covariates import check_covariate_roles, covariate_design
from asleep_nb.stats.study.groups import comparison_levels
from asleep_nb.stats.study.metric_frame import GROUP, metric_frame, metric_units, user_means
from asleep_nb.stats.study.mixed import fit_notes, fixed_effects, wald
from asleep_nb.stats.study.reml import RemlFit, fit_reml

__all__ = ["trend", "TREND_COLUMNS", "TERMS"]

#: Columns of :func:`trend`.
TREND_COLUMNS = ("n_users", "n_nights", "estimate", "ci_low", "ci_high", "p_value")
#: The terms of each group: the change per night, weekend minus weekday nights.
TERMS = ("per night", "weekend - weekday")
#: A random slope needs at least this many users with at least this many nights.
MIN_SLOPE_USERS, MIN_SLOPE_NIGHTS = 2, 3


def trend(
    data: object,
    name: str,
    *,
    by: str = "group",
    groups: Sequence[str] | None = None,
    reference: str | None = None,
    ci: float = DEFAULT_CI,
    random_slope: bool = True,
    covariates: Sequence[str] = (),
) -> pd.DataFrame:
    """The per-night slope of a stat and its weekend-weekday contrast, per group, by a mixed model.

    Parameters
    ----------
    data
        A :func:`asleep_nb.stats_table` DataFrame or a cohort Dataset with
        ``user_id``, ``night``, ``by`` and ``name`` per session.
    name
        The stat (units as in :func:`~asleep_nb.stats.study.groups.compare_groups`:
        seconds, ratios, local clock hours for stat times).
    by
        Per-session column defining the groups.
    groups, reference
        The groups (default all, sorted) and the one slopes are compared with
        (default the first).
    ci
        Confidence level of the Wald intervals.
    random_slope
        ``False`` fits a random intercept only.
    covariates
        Per-session columns adjusted for, as fixed effects (e.g.
        ``["age", "sex"]``); nights without a value of one are left out,
        with a warning.

    Returns
    -------
    pandas.DataFrame
        Index ``(row, term)``: ``(group, "per night")`` (slope, units per
        night), ``(group, "weekend - weekday")``, then ``("<other> -
        <reference>", term)`` for each other group; columns
        :data:`TREND_COLUMNS` (Wald interval, z-test). ``attrs``: ``name``,
        ``units``, ``formula``, ``random`` (``"intercept and slope"`` or
        ``"intercept"``), ``user_variance`` (the random-effect covariance),
        ``residual_variance``, ``optimiser``, ``llf``, ``converged``,
        ``boundary``, ``fit_warnings``, ``weekend_nights``, ``adjusted_for``
        (the covariates) and ``covariates`` (a DataFrame of their fixed
        effects: ``mean``, ``ci_low``, ``ci_high``, ``p_value``, a row per
        model column such as ``"age"`` or ``"sex[male]"``).

    Raises
    ------
    KeyError
        A covariate that is not a column.
    ValidationError
        No ``night``, a group with one user or no user with two nights; a
        covariate missing in every night, constant, collinear with the
        groups, or already in the model (the metric, ``by``, ``user_id``,
        ``night``).

    Warns
    -----
    UserWarning
        When the random slope is left out, and why; when a group has only
        weekday (or only weekend) nights, so its weekend contrast is left out;
        when nights without a covariate are left out.
    statsmodels.tools.sm_exceptions.ConvergenceWarning
        A fit on the boundary or that did not converge.

    Examples
    --------
    Twelve users of two groups, 14 nights each, a person-level ``age``:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> users = np.repeat([f"u{i}" for i in range(12)], 14)
    >>> day = np.tile(np.arange(14), 12)
    >>> age = np.repeat(rng.uniform(20, 70, 12), 14)
    >>> score = 7 + 0.03 * age + 0.05 * day + rng.normal(0, 0.5, 12).repeat(14) + rng.normal(0, 0.3, 168)
    >>> table = pd.DataFrame({"user_id": users, "group": np.where(users < "u6", "a", "b"), "age": age,
    ...                       "night": pd.Timestamp("2025-01-06") + pd.to_timedelta(day, unit="D"),
    ...                       "score": score})
    >>> out = trend(table, "score", covariates=["age"], random_slope=False)
    >>> out.attrs["formula"]
    'score ~ 0 + group + group:night + group:weekend + age + (1 | user_id)'
    >>> out.attrs["covariates"].index.tolist(), bool(out.loc[("a", "per night"), "p_value"] < 0.001)
    (['age'], True)
    """
    covariates = list(covariates)
    check_covariate_roles(covariates, name, by, night="the time axis (the night index)")
    frame = metric_frame(data, name, by, extra=["night", *covariates]).dropna(subset=["value", "night"])
    levels, ref = comparison_levels(user_means(frame), groups, reference, name)
    frame = frame[frame[GROUP].isin(levels)].copy()
    if covariates:  # the nights the adjusted model can use (the others are said in a warning)
        frame = frame.loc[covariate_design(frame, covariates).index]
    night = pd.to_datetime(frame["night"])
    frame["index"] = (night - night.groupby(frame["user_id"]).transform("min")).dt.days.astype(float)
    frame["weekend"] = night.dt.day_of_week.isin(WEEKEND_NIGHTS).astype(float)
    _check(frame, levels)
    design, terms = _design(frame, levels)
    effects: list[str] = []
    if covariates:  # checked against the groups' columns: a covariate that is the group is refused
        columns = covariate_design(frame, covariates, levels=design, what=by)
        design, effects = design.join(columns), list(columns.columns)
    slope = random_slope and _slope_possible(frame)
    fit, slope = _fit(frame, design, slope)
    rows = _rows(fit, frame, levels, ref, terms, ci)
    random = "intercept and slope" if slope else "intercept"
    adjusted = "".join(f"{c} + " for c in covariates)
    formula = (f"{name} ~ 0 + {by} + {by}:night + {by}:weekend + {adjusted}"
               + ("(1 + night | user_id)" if slope else "(1 | user_id)"))  # fmt: skip
    messages = fit_notes(fit)
    if messages:
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        warnings.warn(f"mixed model {formula}: {'; '.join(messages)}", ConvergenceWarning, stacklevel=2)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(TREND_COLUMNS))
    out.index = pd.MultiIndex.from_tuples(out.index, names=[by, "term"])
    units = f"{metric_units(name)} per night".strip()
    out.attrs.update(
        name=name, units=units, formula=formula, random=random, reference=ref,
        user_variance=fit.cov_re.tolist(), residual_variance=fit.scale, optimiser=fit.optimiser,
        llf=fit.llf, converged=fit.converged, boundary=fit.boundary, fit_warnings=list(messages),
        interval="Wald", test="Wald z-test", weekend_nights="Friday and Saturday nights (before a free day)",
        adjusted_for=covariates, covariates=fixed_effects(fit, effects, ci),
    )  # fmt: skip
    return out


def _check(frame: pd.DataFrame, levels: list[Any]) -> None:
    users = frame.groupby(GROUP, observed=True)["user_id"].nunique()
    for level in levels:
        if int(users.get(level, 0)) < 2:
            raise ValidationError(
                f"group {level!r} has {int(users.get(level, 0))} user(s); a trend needs two"
            )
    if frame.groupby("user_id").size().max() < 2:
        raise ValidationError("every user has a single night: there is no change over nights to estimate")


def _design(frame: pd.DataFrame, levels: list[Any]) -> tuple[pd.DataFrame, dict[tuple[Any, str], str]]:
    """Per group: indicator, slope and weekend columns (the weekend one left out where it cannot be told)."""
    columns: dict[str, pd.Series] = {}
    terms: dict[tuple[Any, str], str] = {}
    for i, level in enumerate(levels):
        mine = (frame[GROUP] == level).astype(float)
        columns[f"g{i}"] = mine
        columns[f"g{i}:night"] = mine * frame["index"]
        terms[(level, TERMS[0])] = f"g{i}:night"
        weekend = frame.loc[mine == 1, "weekend"]
        if 0 < weekend.sum() < len(weekend):
            columns[f"g{i}:weekend"] = mine * frame["weekend"]
            terms[(level, TERMS[1])] = f"g{i}:weekend"
        else:
            warnings.warn(f"group {level!r} has only {'weekend' if weekend.sum() else 'weekday'} nights: "
                          "no weekend contrast", UserWarning, stacklevel=4)  # fmt: skip
    return pd.DataFrame(columns, index=frame.index), terms


def _slope_possible(frame: pd.DataFrame) -> bool:
    enough = int((frame.groupby("user_id").size() >= MIN_SLOPE_NIGHTS).sum())
    if enough < MIN_SLOPE_USERS:
        warnings.warn(f"only {enough} user(s) have {MIN_SLOPE_NIGHTS} nights or more: no random slope per "
                      "user, a random intercept only", UserWarning, stacklevel=4)  # fmt: skip
        return False
    return True


def _fit(frame: pd.DataFrame, design: pd.DataFrame, slope: bool) -> tuple[RemlFit, bool]:
    y, users = frame["value"].astype(float), frame["user_id"].astype(str)
    if slope:
        fit = fit_reml(y, design, users, pd.DataFrame({"Intercept": 1.0, "night": frame["index"]}))
        if not fit.boundary:
            return fit, True
        said = (
            "the random slope's variance is 0 or its correlation with the intercept +-1 (a singular fit): "
            "falling back to a random intercept only"
        )
        warnings.warn(said, UserWarning, stacklevel=4)
    return fit_reml(y, design, users), False


def _rows(
    fit: RemlFit,
    frame: pd.DataFrame,
    levels: list[Any],
    ref: Any,
    terms: dict[tuple[Any, str], str],
    ci: float,
) -> dict[tuple[Any, str], tuple[float, ...]]:
    rows: dict[tuple[Any, str], tuple[float, ...]] = {}
    for level in levels:
        mine = frame[frame[GROUP] == level]
        counts = (mine["user_id"].nunique(), len(mine))
        for term in TERMS:
            if (level, term) in terms:
                rows[(level, term)] = (*counts, *wald(fit, pd.Series({terms[(level, term)]: 1.0}), ci))
    for level in levels:
        if level == ref:
            continue
        both = frame[frame[GROUP].isin([ref, level])]
        counts = (both["user_id"].nunique(), len(both))
        for term in TERMS:
            if (level, term) in terms and (ref, term) in terms:
                contrast = pd.Series({terms[(level, term)]: 1.0, terms[(ref, term)]: -1.0})
                rows[(difference_label(level, ref), term)] = (*counts, *wald(fit, contrast, ci))
    return rows
