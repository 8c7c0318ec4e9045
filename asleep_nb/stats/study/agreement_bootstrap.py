"""The participant-level bootstrap of a bias and its limits of agreement, all resamples at once.

A resample draws participants with replacement; every drawn participant brings all their nights,
and a participant drawn twice counts as two participants. Instead of copying rows for each
resample, each resample is a vector of **multiplicities** (how often each participant was drawn),
and every quantity is a weighted sum over the nights: the mean difference, the least-squares lines
(weights are exact for duplicated rows), and the one-way random-effects ANOVA of Bland & Altman
(2007) from per-participant sums. :func:`scipy.stats.bootstrap` draws the resamples (percentile
interval) and hands them over in batches, so memory stays at ``batch x nights``.

Examples
--------
>>> import numpy as np
>>> x = np.array([400.0, 420, 380, 450, 410, 390])
>>> d = np.array([10.0, -5, 12, 3, 8, -2])
>>> low, high = limits_bootstrap(x, d, np.array([0, 0, 1, 1, 2, 2]), ("parametric", "parametric"),
...                              log_ratio=None, ci=0.95, n_boot=200, seed=0)
>>> bool(low[0] < d.mean() < high[0])
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["limits_bootstrap"]

_Z = 1.96
_REGRESSION_Z = _Z * float(np.sqrt(np.pi / 2))


class _Sample:
    """The nights, sorted by participant, and the weighted sums every statistic is made of."""

    def __init__(self, x: np.ndarray, group: np.ndarray, repeated: bool) -> None:
        self.order = np.argsort(group, kind="stable")
        self.group = group[self.order]
        self.x = x[self.order]
        self.counts = np.bincount(self.group)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        self.repeated = repeated

    def weights(self, drawn: np.ndarray) -> np.ndarray:
        """Multiplicity of each participant in each resample, ``(batch, participants)``."""
        m = np.zeros((drawn.shape[0], self.counts.size))
        np.add.at(m, (np.arange(drawn.shape[0])[:, None], drawn), 1.0)
        return m

    def line(self, w: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares ``(intercept, slope)`` of ``y`` (nights or batch x nights) on ``x``."""
        s1, sx, sxx = w.sum(1), w @ self.x, w @ (self.x**2)
        sy = (w * y).sum(1) if y.ndim == 2 else w @ y
        sxy = (w * y * self.x).sum(1) if y.ndim == 2 else w @ (self.x * y)
        var = sxx - sx**2 / s1
        flat = var <= 1e-12 * np.maximum(sxx, 1e-300)  # one x value: a flat line through the mean
        slope = np.where(flat, 0.0, (sxy - sx * sy / s1) / np.where(flat, 1.0, var))
        return (sy - slope * sx) / s1, slope

    def total_variance(self, m: np.ndarray, w: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Variance of one new value of ``e`` (``(batch, nights)``): sample variance or the ANOVA total."""
        s1 = w.sum(1)
        se, see = (w * e).sum(1), (w * e**2).sum(1)
        sample = (see - se**2 / s1) / (s1 - 1)
        if not self.repeated:
            return np.asarray(sample)
        k = m.sum(1)  # participants drawn (each copy its own)
        n_u = self.counts.astype(np.float64)
        su = np.add.reduceat(e, self.starts, axis=1)  # per-participant sums
        suu = np.add.reduceat(e**2, self.starts, axis=1)
        msw = (m * (suu - su**2 / n_u)).sum(1) / np.maximum(s1 - k, 1.0)
        grand = (m * su).sum(1) / s1
        msb = (m * n_u * (su / n_u - grand[:, None]) ** 2).sum(1) / (k - 1)
        m0 = (s1 - (m * n_u**2).sum(1) / s1) / (k - 1)
        anova = np.maximum(msb / m0 + (1 - 1 / m0) * msw, msw)
        return np.asarray(np.where(s1 > k, anova, sample))


def limits_bootstrap(
    x: np.ndarray,
    d: np.ndarray,
    group: np.ndarray,
    methods: tuple[str, str],
    *,
    log_ratio: np.ndarray | None,
    ci: float,
    n_boot: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile intervals of bias, lower and upper limit (at the mean ``x``), participants resampled.

    Parameters
    ----------
    x, d
        Reference value and difference (device - reference) of each night.
    group
        Participant of each night as integers ``0 .. n_participants - 1``.
    methods
        ``(bias_method, loa_method)``, fixed for every resample: ``"parametric"`` or
        ``"regression"`` bias; ``"parametric"``, ``"regression"`` or ``"log"`` limits.
    log_ratio
        ``log(device) - log(reference)`` of each night (``"log"`` limits only).
    ci, n_boot, seed
        Confidence level, resamples, seed of ``numpy.random.default_rng``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)``, each ``[bias, loa_low, loa_high]``.

    Examples
    --------
    See the module docstring.
    """
    from scipy import stats  # slow to import

    repeated = np.unique(group).size < group.size
    sample = _Sample(np.asarray(x, dtype=np.float64), np.asarray(group), repeated)
    d_sorted = np.asarray(d, dtype=np.float64)[sample.order]
    g_sorted = None if log_ratio is None else np.asarray(log_ratio, dtype=np.float64)[sample.order]
    x_bar = float(np.mean(x))
    bias_method, loa_method = methods

    if loa_method == "log" and g_sorted is None:
        raise ValueError("log limits need the log ratio of each night")

    def statistic(drawn: np.ndarray, axis: int = -1) -> np.ndarray:
        single = np.ndim(drawn) == 1  # scipy's call on the original sample
        drawn = np.atleast_2d(np.moveaxis(np.asarray(drawn, dtype=np.int64), axis, -1))
        m = sample.weights(drawn)
        w = m[:, sample.group]
        bias = (w @ d_sorted) / w.sum(1)
        if bias_method == "regression":
            b0, b1 = sample.line(w, d_sorted)
        else:
            b0, b1 = bias, np.zeros_like(bias)
        if loa_method == "parametric":
            resid = d_sorted[None, :] - (b0[:, None] + b1[:, None] * sample.x[None, :])
            h0, h1 = _Z * np.sqrt(sample.total_variance(m, w, resid)), np.zeros_like(bias)
        elif loa_method == "log":
            log_ratios = np.broadcast_to(np.asarray(g_sorted), w.shape)
            z = _Z * np.sqrt(sample.total_variance(m, w, log_ratios))
            h0, h1 = np.zeros_like(bias), 2 * (np.exp(z) - 1) / (np.exp(z) + 1)
        else:
            l0, l1 = sample.line(w, d_sorted)
            spread = np.abs(d_sorted[None, :] - (l0[:, None] + l1[:, None] * sample.x[None, :]))
            c0, c1 = sample.line(w, spread)
            h0, h1 = _REGRESSION_Z * c0, _REGRESSION_Z * c1
        centre, half = b0 + b1 * x_bar, h0 + h1 * x_bar
        out = np.stack([bias, centre - half, centre + half])
        return out[:, 0] if single else out

    result = stats.bootstrap(
        (np.arange(sample.counts.size),),
        statistic,
        n_resamples=n_boot,
        confidence_level=ci,
        method="percentile",
        vectorized=True,
        batch=max(1, min(n_boot, 2_000_000 // max(x.size, 1))),
        rng=np.random.default_rng(seed),
    )
    return np.asarray(result.confidence_interval.low), np.asarray(result.confidence_interval.high)
