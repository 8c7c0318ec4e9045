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

import warnings
from collections.abc import Callable
from typing import Literal

import numpy as np

__all__ = [
    "Interval",
    "INTERVALS",
    "BCA_MIN_USERS",
    "DEFAULT_CI",
    "DEFAULT_N_BOOT",
    "check_options",
    "interval_for",
    "mean_interval",
    "difference_interval",
    "difference_test",
    "paired_interval",
    "paired_test",
]

#: The confidence level of every interval of the study layer unless ``ci`` says otherwise.
DEFAULT_CI = 0.95
#: Bootstrap resamples unless ``n_boot`` says otherwise.
DEFAULT_N_BOOT = 2000

#: Fewer users than this in a group make BCa intervals unstable: the percentile interval is used.
BCA_MIN_USERS = 10

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


def interval_for(interval: str, *sizes: int) -> str:
    """The interval kind used: ``"percentile"`` instead of ``"BCa"`` when a group has < :data:`BCA_MIN_USERS`.

    BCa's acceleration comes from a jackknife over the users: with few users
    a last-bit change of one user mean moves its bounds visibly (0.75 % of the
    mean on the demo panel split of 4 and 4 users). A ``UserWarning`` says so.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     interval_for("BCa", 4, 30), interval_for("BCa", 12, 30), interval_for("basic", 4)
    ('percentile', 'BCa', 'basic')
    """
    if interval == "BCa" and sizes and min(sizes) < BCA_MIN_USERS:
        warnings.warn(
            f"BCa intervals are unstable with fewer than {BCA_MIN_USERS} users in a group (here "
            f"{min(sizes)}): the percentile interval is used instead",
            UserWarning,
            stacklevel=3,
        )
        return "percentile"
    return interval


def _test(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    *,
    n_boot: int,
    ci: float,
    interval: str,
    rng: Seed,
    paired: bool = False,
) -> tuple[float, float, float]:
    """Interval and the p-value of "statistic = 0" found by inverting the same interval.

    ``(nan, nan, nan)`` when a sample has fewer than 2 values; every interval
    function is this one's first two values, so an interval and its test
    always come from the same resamples.
    """
    check_options(ci, n_boot, interval)
    if min(s.size for s in samples) < 2:
        return np.nan, np.nan, np.nan
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
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    estimate = float(statistic(*samples, axis=-1))
    p = _inverted_p(np.asarray(result.bootstrap_distribution), estimate, samples, statistic, interval, paired)
    return low, high, p


def _inverted_p(
    boots: np.ndarray,
    estimate: float,
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    interval: str,
    paired: bool,
) -> float:
    """Two-sided p-value of 0: twice the smallest tail level at which the interval just reaches 0.

    The interval of level ``1 - p`` has 0 as a bound, so an interval excludes 0
    exactly when ``p`` is below ``1 - ci`` (up to the bootstrap's resolution,
    ``1 / n_boot``). Percentile: the share of resamples on the far side of 0;
    basic: of resamples beyond ``2 * estimate``; BCa: that share mapped back
    through the bias correction ``z0`` and acceleration ``a`` (Efron and
    Tibshirani, 1993, 14.3; the same ``z0`` and jackknife ``a`` as scipy).
    """
    from scipy.special import ndtr, ndtri

    n = boots.size
    if interval == "basic":
        boots, origin = 2 * estimate - boots, 0.0
    else:
        origin = 0.0
    below = float(np.count_nonzero(boots < origin) + np.count_nonzero(boots <= origin)) / (2 * n)
    if interval == "BCa":
        z0 = ndtri((np.count_nonzero(boots < estimate) + np.count_nonzero(boots <= estimate)) / (2 * n))
        a = _acceleration(samples, statistic, paired)
        w = ndtri(np.clip(below, 0.5 / n, 1 - 0.5 / n)) - z0
        below = float(ndtr(w / (1 + a * w) - z0))
    return float(min(1.0, max(2 * min(below, 1 - below), 1.0 / n)))


def _acceleration(
    samples: tuple[np.ndarray, ...], statistic: Callable[..., np.ndarray], paired: bool
) -> float:
    """BCa's acceleration from the jackknife, per sample (all samples together when paired)."""
    groups = [list(range(len(samples)))] if paired else [[j] for j in range(len(samples))]
    numerator = denominator = 0.0
    for which in groups:
        size = samples[which[0]].size
        keep = ~np.eye(size, dtype=bool)
        loo = [np.broadcast_to(s, (size, s.size))[keep].reshape(size, size - 1) if j in which else s[None, :]
               for j, s in enumerate(samples)]  # fmt: skip
        theta = np.asarray(statistic(*loo, axis=-1), dtype=float)
        u = (size - 1) * (theta.mean() - theta)
        numerator += float(np.sum(u**3)) / size**3
        denominator += float(np.sum(u**2)) / size**2
    return numerator / (6 * denominator**1.5) if denominator > 0 else 0.0


def mean_interval(
    values: np.ndarray,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    ci: float = DEFAULT_CI,
    interval: str = "percentile",
    rng: Seed = 0,
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
    return _test((values,), _mean, n_boot=n_boot, ci=ci, interval=interval, rng=rng)[:2]


def difference_interval(
    reference: np.ndarray,
    other: np.ndarray,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    ci: float = DEFAULT_CI,
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
    return difference_test(reference, other, n_boot=n_boot, ci=ci, interval=interval, rng=rng)[:2]


def difference_test(
    reference: np.ndarray,
    other: np.ndarray,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    ci: float = DEFAULT_CI,
    interval: str = "percentile",
    rng: Seed = 0,
) -> tuple[float, float, float]:
    """:func:`difference_interval` and the bootstrap p-value of "no difference" from the same resamples.

    The p-value inverts the same interval (see ``_inverted_p``): the interval
    excludes 0 exactly when ``p < 1 - ci``, so a table never pairs an interval
    excluding 0 with a p-value above the level.

    Examples
    --------
    >>> low, high, p = difference_test(np.array([1.0, 2, 3, 4]), np.array([5.0, 6, 7, 8]), n_boot=999)
    >>> bool(low > 0), bool(p < 0.05)
    (True, True)
    """
    return _test((reference, other), _difference, n_boot=n_boot, ci=ci, interval=interval, rng=rng)


def paired_test(
    before: np.ndarray,
    after: np.ndarray,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    ci: float = DEFAULT_CI,
    interval: str = "percentile",
    rng: Seed = 0,
) -> tuple[float, float, float]:
    """:func:`paired_interval` and its bootstrap p-value of "no change", from the same resamples.

    Examples
    --------
    >>> low, high, p = paired_test(np.array([1.0, 2, 3, 4]), np.array([1.5, 2.4, 3.6, 4.5]), n_boot=999)
    >>> bool(low > 0), bool(p < 0.05)
    (True, True)
    """
    if before.shape != after.shape:
        raise ValueError(f"paired samples differ in length: {before.size} and {after.size}")
    return _test((before, after), _difference, n_boot=n_boot, ci=ci, interval=interval, rng=rng, paired=True)


def paired_interval(
    before: np.ndarray,
    after: np.ndarray,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    ci: float = DEFAULT_CI,
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
    return paired_test(before, after, n_boot=n_boot, ci=ci, interval=interval, rng=rng)[:2]
