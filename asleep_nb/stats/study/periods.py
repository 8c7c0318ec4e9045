"""Within-person designs: the change of a stat between periods (baseline, intervention) of the same users.

Each night carries a period label (a ``period`` column of the stats table or
coordinate of the cohort). :func:`compare_periods` estimates the change from
the reference period either with a linear mixed model over every night
(period as fixed effect, a random intercept per user: each user is their own
control) or as the mean of the users' paired differences of period means,
with a :func:`scipy.stats.bootstrap` interval that resamples users.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"user_id": list("aabbcc"), "period": ["pre", "post"] * 3,
...                       "waso_count": [10, 7, 12, 10, 9, 8]})
>>> paired = compare_periods(table, "waso_count", periods=["pre", "post"], method="paired", n_boot=999)
>>> paired.loc["post - pre", ["n_users", "mean"]].tolist()  # users: -3, -2, -1
[3.0, -2.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import difference_label
from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bootstrap import (
    DEFAULT_CI,
    DEFAULT_N_BOOT,
    Interval,
    check_options,
    interval_for,
    mean_interval,
    paired_test,
)
from asleep_nb.stats.study.groups import comparison_levels
from asleep_nb.stats.study.metric_frame import GROUP, metric_frame, metric_units, user_means
from asleep_nb.stats.study.mixed import fit_random_intercept

__all__ = ["compare_periods", "PERIOD_COLUMNS"]

#: Columns of :func:`compare_periods`.
PERIOD_COLUMNS = ("n_users", "n_nights", "mean", "ci_low", "ci_high", "p_value")


def compare_periods(
    data: object,
    name: str,
    *,
    period: str = "period",
    periods: Sequence[str] | None = None,
    within: str = "user_id",
    method: Literal["mixed", "paired"] = "mixed",
    reference: str | None = None,
    ci: float = DEFAULT_CI,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    interval: Interval = "percentile",
) -> pd.DataFrame:
    """The within-person change of a stat between periods, each user their own control.

    Parameters
    ----------
    data
        A :func:`asleep_nb.stats_table` DataFrame or a cohort Dataset with a
        per-night ``period`` label and ``within`` (the person).
    name
        The stat, e.g. ``"time_in_sleep"`` (units as in :func:`compare_groups`).
    period
        The column / coordinate holding each night's period.
    periods
        The periods to compare, in this order; default: all, sorted.
    within
        The column identifying the person whose nights are compared.
    method
        ``"mixed"``: ``name ~ period`` with a random intercept per person over
        every night (REML, statsmodels' Wald intervals and z-tests; a person
        seen in one period only still informs the user variance).
        ``"paired"``: the persons with nights in every period compared; per
        period the mean of their user means, per change the mean paired
        difference with a :func:`scipy.stats.bootstrap` interval (persons
        resampled) and the bootstrap p-value from the same resamples (the
        interval inverted: one method per number).
    reference
        The period changes are measured from (default: the first period).
    ci, n_boot, seed, interval
        As for :func:`compare_groups` (``n_boot``, ``seed`` and ``interval``
        for ``method="paired"`` only; each change uses a fresh generator).

    Returns
    -------
    pandas.DataFrame
        One row per period, then ``"<period> - <reference>"`` per change;
        columns :data:`PERIOD_COLUMNS`. A change row counts the persons with
        nights in both periods and those nights. ``attrs`` record ``name``,
        ``units``, ``method``, ``reference``, ``ci``, ``interval`` and
        ``test``; ``"mixed"`` adds ``formula``, ``user_variance``,
        ``residual_variance``, ``icc``, ``converged``, ``fit_warnings``;
        ``"paired"`` adds ``n_boot``, ``seed`` and ``left_out`` (persons
        without nights in every period).

    Raises
    ------
    ValidationError
        No ``period`` column, nights without a period, fewer than two
        periods, no person observed in two periods, fewer than two persons
        to pair, ``name`` missing in every night.

    Warns
    -----
    UserWarning
        ``"paired"``: persons left out for want of nights in every period.
    statsmodels.tools.sm_exceptions.ConvergenceWarning
        ``"mixed"``: a convergence or boundary problem of the fit.

    Examples
    --------
    >>> import pandas as pd
    >>> minutes = [400.0, 410, 380, 390, 420, 430] + [430.0, 440, 400, 400, 450, 470]
    >>> table = pd.DataFrame({"user_id": list("aabbcc") * 2, "time_in_sleep": minutes,
    ...                       "period": ["baseline"] * 6 + ["intervention"] * 6})
    >>> mixed = compare_periods(table, "time_in_sleep")
    >>> round(float(mixed.loc["intervention - baseline", "mean"]), 2), mixed.attrs["method"]
    (26.67, 'mixed')
    """
    if method not in ("mixed", "paired"):
        raise ValueError(f"method must be 'mixed' or 'paired', got {method!r}")
    check_options(ci, n_boot, interval)
    frame = _period_frame(data, name, period, within)
    levels, ref = comparison_levels(user_means(frame), periods, reference, name)
    if len(levels) < 2:
        raise ValidationError(f"a within-person comparison needs at least two periods, got {levels}")
    others = [p for p in levels if p != ref]
    frame = frame[frame[GROUP].isin(levels)]
    _check_within(frame, within)
    attrs: dict[str, Any] = {"name": name, "units": metric_units(name), "method": method, "period": period}
    attrs.update(reference=ref, ci=ci)
    if method == "mixed":
        fit = fit_random_intercept(frame, [ref, *others], ci=ci, label=name, what="period")
        out = _counts(frame, levels, ref, others).join(fit.estimates)
        attrs.update(fit.attrs())
    else:
        out, left_out, used = _paired(
            frame, levels, ref, others, ci=ci, n_boot=n_boot, seed=seed, interval=interval
        )
        test = "bootstrap test of the paired differences (the interval inverted)"
        attrs.update(interval=used, test=test, n_boot=n_boot, seed=seed, left_out=left_out)
    out = out.reindex(columns=list(PERIOD_COLUMNS))
    out.index.name = period
    out.attrs.update(attrs)
    return out


def _period_frame(data: object, name: str, period: str, within: str) -> pd.DataFrame:
    """:func:`metric_frame` by period, after checking every night has one."""
    if not _has_labels(data, period):
        raise ValidationError(
            f"no {period!r} column: a within-person comparison needs each night's period "
            "(e.g. 'baseline', 'intervention') as a column of the stats table or a cohort coordinate"
        )
    frame = metric_frame(data, name, by=period, unit=within)
    labels = frame[GROUP]
    unlabelled = int((labels.isna() | (labels.astype(str).str.strip() == "")).sum())
    if unlabelled:
        raise ValidationError(f"{unlabelled} of {len(frame)} nights have no {period!r}; label every night")
    return frame


def _has_labels(data: object, column: str) -> bool:
    if isinstance(data, xr.Dataset):
        return column in data.variables and data[column].dims == ("session",)
    if isinstance(data, pd.DataFrame):
        return column in data.columns or column in (data.index.names or [])
    return True  # stats_frame names the wrong type


def _check_within(frame: pd.DataFrame, within: str) -> None:
    seen = frame.dropna(subset=["value"]).groupby("user_id")[GROUP].nunique()
    if seen.empty or seen.max() < 2:
        raise ValidationError(
            f"no {within} has nights in more than one period: this is not a within-person design "
            "(compare independent groups with compare_groups)"
        )


def _counts(frame: pd.DataFrame, levels: list[Any], ref: Any, others: list[Any]) -> pd.DataFrame:
    """Persons and their nights: per period, and per change those seen in both periods."""
    per_user = user_means(frame)
    periods = {**{p: [p] for p in levels}, **{difference_label(o, ref): [ref, o] for o in others}}
    rows = {}
    for row, wanted in periods.items():
        used = per_user[per_user[GROUP].isin(wanted)]
        complete = used.groupby("user_id")[GROUP].transform("nunique") == len(wanted)
        users, nights = used.loc[complete, "user_id"].nunique(), used.loc[complete, "count"].sum()
        rows[row] = {"n_users": int(users), "n_nights": int(nights)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _paired(
    frame: pd.DataFrame, levels: list[Any], ref: Any, others: list[Any], **options: Any
) -> tuple[pd.DataFrame, list[Any], str]:
    """Period and change rows over the persons with nights in every period; those left out; the interval."""
    seed = options.pop("seed")
    wide = user_means(frame).pivot(index="user_id", columns=GROUP, values="mean")[levels]
    counts = user_means(frame).pivot(index="user_id", columns=GROUP, values="count")[levels]
    complete = wide.notna().all(axis=1)
    left_out = sorted(wide.index[~complete].tolist(), key=str)
    if left_out:
        warnings.warn(
            f"{len(left_out)} of {len(wide)} users have no nights in every period {levels} and are "
            f"left out of the paired comparison: {left_out}",
            UserWarning,
            stacklevel=3,
        )
    wide, counts = wide[complete], counts[complete]
    if len(wide) < 2:
        raise ValidationError(
            f"a paired comparison needs at least two users with nights in every period, got {len(wide)}"
        )
    options["interval"] = interval_for(options["interval"], len(wide))
    rng = np.random.default_rng(seed)
    rows: dict[Any, dict[str, float]] = {}
    for p in levels:
        values = wide[p].to_numpy(dtype=float)
        low, high = mean_interval(values, rng=rng, **options)
        rows[p] = _row(len(wide), counts[p].sum(), values.mean(), low, high, np.nan)
    for o in others:
        before, after = wide[ref].to_numpy(dtype=float), wide[o].to_numpy(dtype=float)
        low, high, p_value = paired_test(before, after, rng=np.random.default_rng(seed), **options)
        nights = counts[ref].sum() + counts[o].sum()
        rows[difference_label(o, ref)] = _row(
            len(wide), nights, float(np.mean(after - before)), low, high, p_value
        )
    return pd.DataFrame.from_dict(rows, orient="index"), left_out, str(options["interval"])


def _row(n_users: int, n_nights: float, mean: float, low: float, high: float, p: float) -> dict[str, Any]:
    return {"n_users": int(n_users), "n_nights": int(n_nights), "mean": float(mean), "ci_low": low,
            "ci_high": high, "p_value": p}  # fmt: skip
