"""Bootstrap confidence intervals of user means, computed by :func:`scipy.stats.bootstrap`.

Users are the resampled unit: each sample holds one value per user (the mean
of that user's nights). Three statistics cover the comparisons of the
toolkit: the mean of one group, the difference of two independent groups'
means (each group resampled on its own), and the mean within-user change
between two periods (users resampled with both their values).

Examples
--------
>>> import numpy as np
>>> low, high = mean_interval(np.array([6.5, 7.0, 7.5, 8.0]), n_boot=999, rng=np.random.default_rng(0))
>>> bool(6.5 <= low < 7.25 < high <= 8.0)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

__all__ = [
    "Interval",
    "INTERVALS",
    "check_options",
    "mean_interval",
    "difference_interval",
    "paired_interval",
]

#: How the bootstrap distribution becomes an interval: ``"percentile"`` (its
#: quantiles), ``"BCa"`` (bias-corrected and accelerated) or ``"basic"``;
#: the ``method`` of :func:`scipy.stats.bootstrap`.
Interval = Literal["percentile", "BCa", "basic"]
INTERVALS: tuple[str, ...] = ("percentile", "BCa", "basic")

Seed = int | np.random.Generator


def check_options(ci: float, n_boot: int, interval: str) -> None:
    """Raise ``ValueError`` naming a confidence level, resample count or interval kind that will not do.

    Examples
    --------
    >>> check_options(0.95, 50, "percentile")
    Traceback (most recent call last):
    ...
    ValueError: n_boot must be at least 100, got 50
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie strictly between 0 and 1, got {ci}")
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100, got {n_boot}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _difference(reference: np.ndarray, other: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(other, axis=axis) - np.mean(reference, axis=axis)


def _interval(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    *,
    n_boot: int,
    ci: float,
    interval: str,
    rng: Seed,
    paired: bool = False,
) -> tuple[float, float]:
    """``scipy.stats.bootstrap`` of ``statistic``; ``(nan, nan)`` when a sample has fewer than 2 values."""
    check_options(ci, n_boot, interval)
    if min(s.size for s in samples) < 2:
        return np.nan, np.nan
    from scipy.stats import bootstrap  # scipy.stats takes ~0.7 s to import: only when asked

    result = bootstrap(
        samples,
        statistic,
        n_resamples=n_boot,
        confidence_level=ci,
        method=interval,
        paired=paired,
        vectorized=True,
        rng=rng,
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def mean_interval(
    values: np.ndarray, *, n_boot: int = 2000, ci: float = 0.95, interval: str = "percentile", rng: Seed = 0
) -> tuple[float, float]:
    """Bootstrap interval of the mean of ``values`` (one value per user).

    Parameters
    ----------
    values
        The user means of one group.
    n_boot
        Number of resamples.
    ci
        Confidence level.
    interval
        One of :data:`INTERVALS`.
    rng
        Seed or generator of the resampling (a generator is advanced, so
        consecutive calls draw consecutive resamples).

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(nan, nan)`` with fewer than two values.

    Examples
    --------
    >>> mean_interval(np.array([7.0]))
    (nan, nan)
    """
    return _interval((values,), _mean, n_boot=n_boot, ci=ci, interval=interval, rng=rng)


def difference_interval(
    reference: np.ndarray,
    other: np.ndarray,
    *,
    n_boot: int = 2000,
    ci: float = 0.95,
    interval: str = "percentile",
    rng: Seed = 0,
) -> tuple[float, float]:
    """Bootstrap interval of ``mean(other) - mean(reference)``, the groups resampled independently.

    The reference group is resampled first, then the other, from the same
    generator: with a fresh ``numpy.random.default_rng(seed)`` the resamples
    are those :func:`mean_interval` draws for the two groups in that order.

    Examples
    --------
    >>> low, high = difference_interval(np.array([1.0, 2, 3, 4]), np.array([5.0, 6, 7, 8]), n_boot=999)
    >>> bool(2 < low < 4 < high < 6)
    True
    """
    return _interval((reference, other), _difference, n_boot=n_boot, ci=ci, interval=interval, rng=rng)


def paired_interval(
    before: np.ndarray,
    after: np.ndarray,
    *,
    n_boot: int = 2000,
    ci: float = 0.95,
    interval: str = "percentile",
    rng: Seed = 0,
) -> tuple[float, float]:
    """Bootstrap interval of the mean change ``mean(after - before)``, users resampled in pairs.

    ``before[i]`` and ``after[i]`` belong to the same user.

    Examples
    --------
    >>> low, high = paired_interval(np.array([1.0, 2, 3, 4]), np.array([1.5, 2.4, 3.6, 4.5]), n_boot=999)
    >>> bool(0.4 <= low < 0.5 < high <= 0.6)
    True
    """
    if before.shape != after.shape:
        raise ValueError(f"paired samples differ in length: {before.size} and {after.size}")
    return _interval(
        (before, after), _difference, n_boot=n_boot, ci=ci, interval=interval, rng=rng, paired=True
    )
