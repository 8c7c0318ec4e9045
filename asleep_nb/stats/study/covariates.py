"""Covariates of a study model: manifest columns such as age, sex or BMI as fixed effects.

A covariate is a per-night column (a column of the stats table, a
coordinate of the cohort, from the manifest). Numbers enter the model as
they are (one slope each); text, booleans and categories as treatment
indicators against their first level (sorted, or the categorical's own
order), named ``"<covariate>[<level>]"``. Nights without a value of a
covariate are left out of the model, with a warning (as R's ``na.omit``).

A covariate the model cannot use is an error, named: missing in every
night, constant over the nights compared, or collinear with the groups
compared (e.g. a ``site`` column that equals the group).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"age": [30, 41, 52, 60], "sex": ["f", "m", "m", "f"]})
>>> covariate_design(frame, ["age", "sex"]).columns.tolist()
['age', 'sex[m]']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from asleep_nb.errors import ValidationError

__all__ = ["covariate_design", "check_covariate_roles", "is_categorical"]


def is_categorical(values: pd.Series) -> bool:
    """Whether a covariate is a category (text, boolean, categorical) rather than a number.

    Examples
    --------
    >>> is_categorical(pd.Series(["f", "m"])), is_categorical(pd.Series([1.5, 2.0]))
    (True, False)
    """
    return not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)


def check_covariate_roles(covariates: Sequence[str], name: str, by: str, **roles: str) -> None:
    """Refuse, by name, a covariate that already has a part in the model.

    The metric ``name`` is the outcome, ``by`` the grouping and ``user_id``
    the user's random effect; ``roles`` names more columns of the model and
    their part (``night="the time axis"``). Adjusting for one of them is not
    an adjustment: the outcome would explain itself, the others are in the
    model already.

    Raises
    ------
    ValidationError
        A covariate that is one of those columns.

    Examples
    --------
    >>> check_covariate_roles(["age", "user_id"], "time_in_sleep", "group")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ValidationError: covariate 'user_id' is the user (its random effect) in the model...
    """
    parts = {name: "the outcome", by: "the grouping", "user_id": "the user (its random effect)", **roles}
    for c in covariates:
        if c in parts:
            raise ValidationError(
                f"covariate {c!r} is {parts[c]} in the model already: it cannot be adjusted for"
            )


def covariate_design(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    *,
    levels: pd.DataFrame | None = None,
    what: str = "group",
) -> pd.DataFrame:
    """The fixed-effect columns of ``covariates``, over the rows of ``frame`` where all are given.

    Parameters
    ----------
    frame
        One row per night, a column per covariate.
    covariates
        The covariates, in model order.
    levels
        The rest of the fixed-effect design (intercept and level indicators,
        same index as ``frame``): the covariates must not be collinear with it.
    what
        Names the levels in the collinearity error (``"group"``).

    Returns
    -------
    pandas.DataFrame
        ``float`` columns: a number as it is, a category as indicators of
        every level but the first; indexed as the rows of ``frame`` kept.

    Raises
    ------
    KeyError
        A covariate that is not a column.
    ValidationError
        A covariate missing in every night, constant, or collinear with ``levels``.

    Warns
    -----
    UserWarning
        When nights without a covariate are left out.

    Examples
    --------
    >>> covariate_design(pd.DataFrame({"age": [30.0, 30.0]}), ["age"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ValidationError: covariate 'age' is constant (30.0 in all 2 nights): ...
    """
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise KeyError(f"no covariate column(s) {missing}; columns: {list(frame.columns)}")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"a covariate is named twice: {list(covariates)}")
    for c in covariates:
        if frame[c].isna().all():
            raise ValidationError(f"covariate {c!r} is missing in every one of the {len(frame)} nights")
    complete = frame[list(covariates)].notna().all(axis=1)
    if not complete.all():
        warnings.warn(
            f"{int((~complete).sum())} of {len(frame)} nights have no value of a covariate "
            f"{list(covariates)} and are left out of the adjusted model",
            UserWarning,
            stacklevel=4,
        )
    kept = frame[complete]
    parts = [_columns(kept[c], c) for c in covariates]
    design = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=kept.index)
    if levels is not None:
        _check_collinear(levels.loc[kept.index], parts, list(covariates), what)
    return design


def _columns(values: pd.Series, name: str) -> pd.DataFrame:
    distinct = values.unique()
    if len(distinct) < 2:
        raise ValidationError(
            f"covariate {name!r} is constant ({distinct.tolist()[0]!r} in all {len(values)} nights): "
            "it cannot be adjusted for"
        )
    if not is_categorical(values):
        return pd.DataFrame({name: values.astype(float)})
    if isinstance(values.dtype, pd.CategoricalDtype):
        order = [c for c in values.cat.categories if c in set(distinct)]
    else:
        order = sorted(distinct.tolist(), key=str)
    return pd.DataFrame({f"{name}[{level}]": (values == level).astype(float) for level in order[1:]})


def _check_collinear(levels: pd.DataFrame, parts: list[pd.DataFrame], names: list[str], what: str) -> None:
    """A clear error naming the covariate that, added to the levels, leaves the design short of rank."""
    base = levels.to_numpy(dtype=float)
    for part, name in zip(parts, names, strict=True):
        both = np.column_stack([base, part.to_numpy(dtype=float)])
        if np.linalg.matrix_rank(both) < both.shape[1]:
            raise ValidationError(
                f"covariate {name!r} is collinear with the {what} (it is determined by the {what} or "
                f"its levels are): the {what} difference cannot be adjusted for it"
            )
    full = np.column_stack([base, *[p.to_numpy(dtype=float) for p in parts]])
    if np.linalg.matrix_rank(full) < full.shape[1]:
        raise ValidationError(f"the covariates {names} are collinear with each other or with the {what}")
