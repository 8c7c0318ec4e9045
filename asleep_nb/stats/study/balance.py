"""Covariate balance of a Table 1: each covariate described per group, users as the unit.

A number (age, BMI) is the mean (SD) of the users' values (a user's mean
over their nights); a category (sex, site) is the number and share of users
at each level (a user's most frequent level), as Table 1 of a paper shows
them before the comparisons.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"user_id": list("abcd"), "group": list("xxyy"),
...                       "age": [30.0, 40.0, 50.0, 70.0], "sex": ["f", "m", "f", "f"]})
>>> print(balance_text(table, ["age", "sex"], by="group", groups=["x", "y"]).to_string())
                         x            y
age, mean (SD)  35.0 (7.1)  60.0 (14.1)
sex = f, n (%)     1 (50%)     2 (100%)
sex = m, n (%)     1 (50%)       0 (0%)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import xarray as xr

from asleep_nb.data.table import stats_table
from asleep_nb.stats.study.covariates import is_categorical

__all__ = ["covariate_balance", "balance_text"]


def covariate_balance(
    data: pd.DataFrame | xr.Dataset, covariates: Sequence[str], *, by: str = "group", groups: Sequence[Any]
) -> pd.DataFrame:
    """The numbers of the balance rows: per covariate (and level) and group, over users.

    Parameters
    ----------
    data
        A stats table or a cohort Dataset with the covariates per session.
    covariates
        Column / coordinate names.
    by, groups
        The grouping and the groups, in column order.

    Returns
    -------
    pandas.DataFrame
        Index ``(covariate, level)`` (level ``""`` for a number); columns a
        MultiIndex ``(group, statistic)``: ``mean``, ``sd`` and ``n`` (users
        with a value) for a number, ``n`` (users at the level), ``share`` (of
        the group's users with a value) for a category.

    Examples
    --------
    >>> table = pd.DataFrame({"user_id": list("abcd"), "group": list("xxyy"), "bmi": [20.0, 22, 30, 28]})
    >>> covariate_balance(table, ["bmi"], groups=["x", "y"]).loc[("bmi", ""), ("y", "mean")]
    np.float64(29.0)
    """
    table = stats_table(data) if isinstance(data, xr.Dataset) else data.reset_index()
    missing = [c for c in [*covariates, by, "user_id"] if c not in table.columns]
    if missing:
        raise KeyError(f"no column(s) {missing} for the covariate balance; columns: {list(table.columns)}")
    rows: dict[tuple[str, str], dict[tuple[Any, str], float]] = {}
    for c in covariates:
        values = table[[by, "user_id", c]].dropna()
        if is_categorical(table[c]):
            per_user = values.groupby([by, "user_id"], observed=True)[c].agg(lambda v: v.mode().iloc[0])
            levels = sorted(per_user.unique().tolist(), key=str)
            for level in levels:
                rows[(c, str(level))] = {}
                for g in groups:
                    mine = per_user[per_user.index.get_level_values(0) == g]
                    n = int((mine == level).sum())
                    rows[(c, str(level))].update(
                        {(g, "n"): n, (g, "share"): n / len(mine) if len(mine) else 0.0}
                    )
        else:
            per_user = values.groupby([by, "user_id"], observed=True)[c].mean()
            rows[(c, "")] = {}
            for g in groups:
                mine = per_user[per_user.index.get_level_values(0) == g]
                rows[(c, "")].update(
                    {(g, "mean"): mine.mean(), (g, "sd"): mine.std(ddof=1), (g, "n"): len(mine)}
                )
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.names = ["covariate", "level"]
    return out


def balance_text(
    data: pd.DataFrame | xr.Dataset, covariates: Sequence[str], *, by: str = "group", groups: Sequence[Any]
) -> pd.DataFrame:
    """The balance rows as text: ``"<covariate>, mean (SD)"`` or ``"<covariate> = <level>, n (%)"``.

    Examples
    --------
    >>> table = pd.DataFrame({"user_id": list("abcd"), "group": list("xxyy"), "bmi": [20.0, 22, 30, 28]})
    >>> balance_text(table, ["bmi"], groups=["x", "y"]).loc["bmi, mean (SD)", "x"]
    '21.0 (1.4)'
    """
    numbers = covariate_balance(data, covariates, by=by, groups=groups)
    rows: dict[str, dict[Any, str]] = {}
    for key, row in numbers.iterrows():
        c, level = str(key[0]), str(key[1])  # type: ignore[index]  # a (covariate, level) MultiIndex
        if level == "":
            rows[f"{c}, mean (SD)"] = {g: f"{row[(g, 'mean')]:.1f} ({row[(g, 'sd')]:.1f})" for g in groups}
        else:
            rows[f"{c} = {level}, n (%)"] = {
                g: f"{int(row[(g, 'n')])} ({100 * row[(g, 'share')]:.0f}%)" for g in groups
            }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(groups))
