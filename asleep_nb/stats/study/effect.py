"""Effect sizes of group differences: Hedges' g on user means, with its confidence interval.

Examples
--------
>>> import numpy as np
>>> g, low, high = hedges_g(np.array([1.0, 2, 3, 4, 5]), np.array([3.0, 4, 5, 6, 7]))
>>> round(g, 3), bool(low < g < high)
(1.143, True)
"""

from __future__ import annotations

import numpy as np

from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bootstrap import DEFAULT_CI

__all__ = ["hedges_g"]


def hedges_g(
    reference: np.ndarray, other: np.ndarray, *, ci: float = DEFAULT_CI
) -> tuple[float, float, float]:
    """Hedges' g of ``mean(other) - mean(reference)`` and its normal-approximation interval.

    The standardised mean difference over the pooled standard deviation,
    times the small-sample correction ``1 - 3 / (4 (n1 + n2) - 9)``, as
    :func:`statsmodels.stats.meta_analysis.effectsize_smd` computes it; the
    interval is ``g +/- z * sqrt(var(g))`` with that function's variance
    (Hedges and Olkin, 1985; Borenstein et al., 2009).

    Parameters
    ----------
    reference, other
        One value per user (user means) in each group.
    ci
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        ``(g, low, high)``; all ``NaN`` when both groups have no spread.

    Raises
    ------
    ValidationError
        When a group has fewer than two users (no standard deviation).

    Examples
    --------
    >>> hedges_g(np.array([1.0]), np.array([2.0, 3.0]))
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ValidationError: Hedges' g needs at least two users per group, got 1 and 2
    """
    a = np.asarray(reference, dtype=float)
    b = np.asarray(other, dtype=float)
    if a.size < 2 or b.size < 2:
        raise ValidationError(f"Hedges' g needs at least two users per group, got {a.size} and {b.size}")
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie strictly between 0 and 1, got {ci}")
    sd_a, sd_b = a.std(ddof=1), b.std(ddof=1)
    if sd_a == 0 and sd_b == 0:
        return np.nan, np.nan, np.nan
    from scipy.stats import norm  # heavy imports only when an effect size is asked for
    from statsmodels.stats.meta_analysis import effectsize_smd

    g, variance = effectsize_smd(b.mean(), sd_b, b.size, a.mean(), sd_a, a.size)
    half = norm.ppf(0.5 + ci / 2) * np.sqrt(variance)
    return float(g), float(g - half), float(g + half)
