"""Bias and limits of agreement of one metric, Menghini et al. (2021), nights nested in participants.

:func:`bland_altman` takes one value per night from the reference and from the
device (and the participant of each night) and follows the framework of
Menghini, Cellini, Goldstone, Baker & de Zambotti (2021, SLEEP 44(2), zsaa170),
as YASA 0.8's ``SleepStatsAgreement`` implements it:

1. **Bias**: the mean difference ``device - reference`` over nights.
2. **Proportional bias**: the differences regressed on the reference values;
   found when the slope's p-value is below ``alpha`` **and** the reference
   explains more than ``r2_gate`` of the differences' variance. Then the
   bias is the line ``b0 + b1 * reference`` (``bias_method="regression"``).
3. **Heteroscedasticity**: the absolute residuals of that regression regressed
   on the reference; found when p < ``alpha`` **and** the fitted absolute
   residual changes by more than ``sd_ratio_gate`` (either way) across the
   observed reference range.
4. **Limits of agreement** ``bias(x) +- half(x)``:

   - ``"parametric"`` (homoscedastic): ``half = 1.96 SD`` of the differences
     (of the residuals around the bias line when the bias is proportional);
   - ``"regression"`` (heteroscedastic): ``half(x) = 2.46 (c0 + c1 x)``, the
     regression of the absolute residuals (``2.46 = 1.96 sqrt(pi / 2)``);
   - ``"log"`` (heteroscedastic, with ``heteroscedastic_loa="log"`` and every
     value positive): ``half(x) = s x`` with
     ``s = 2 (e^z - 1) / (e^z + 1)``, ``z = 1.96 SD(log device - log reference)``
     (Euser et al. 2008, as Menghini et al. use it).

   ``loa_low`` and ``loa_high`` are the limits at the mean reference value;
   ``bias_intercept``, ``bias_slope``, ``loa_intercept`` and ``loa_slope``
   give the lines (``half(x) = loa_intercept + loa_slope x``).

**Nights nested in participants.** When a participant has several nights
(``users`` repeats), the nights are not independent:

- the SD behind the limits is the total SD of a one-way random-effects ANOVA
  of the differences (Bland & Altman 2007: the SD of a new night of a new
  participant), the bias still the mean of all nights;
- the regressions of steps 2 and 3 are linear mixed models with a random
  intercept per participant (REML, statsmodels), the slope tested with
  ``t(n_participants - 2)``; least squares with fewer than 3 participants;
- every interval (bias and both limits) comes from a **participant-level
  bootstrap**: participants drawn with replacement, each with all their nights,
  the statistics recomputed with the methods fixed (percentile interval, lines
  refitted by least squares), :func:`scipy.stats.bootstrap`, seeded.

With one night per participant the intervals are parametric where the method
allows (bias: ``t(n - 1)``; parametric limits: ``+- t sqrt(3) SD / sqrt(n)``,
Bland & Altman 1999) and bootstrapped for regression or log limits.

Examples
--------
>>> import numpy as np
>>> ref = np.array([400.0, 420, 380, 450, 410, 390, 430, 440])
>>> dev = ref + np.array([10.0, -5, 12, 3, 8, -2, 6, 0])
>>> out = bland_altman(ref, dev, n_boot=200)
>>> round(out["bias"], 2), out["loa_method"], out["ci_method"]
(4.0, 'parametric', 'parametric')
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from asleep_nb.stats.study.agreement_bootstrap import limits_bootstrap
from asleep_nb.stats.study.bootstrap import DEFAULT_CI, DEFAULT_N_BOOT

__all__ = [
    "AGREEMENT_Z",
    "REGRESSION_Z",
    "R2_GATE",
    "SD_RATIO_GATE",
    "BA_FIELDS",
    "bland_altman",
    "total_variance",
    "regress",
]

#: Multiple of the SD of the differences that bounds 95 % of them.
AGREEMENT_Z = 1.96
#: Multiple of the fitted absolute residual for regression limits: 1.96 * sqrt(pi / 2).
REGRESSION_Z = AGREEMENT_Z * float(np.sqrt(np.pi / 2))
#: Default ``r2_gate``: a significant proportional bias is modelled only past this share of variance.
R2_GATE = 0.1
#: Default ``sd_ratio_gate``: heteroscedastic limits only past this change of the residual SD.
SD_RATIO_GATE = 1.5

#: Keys of :func:`bland_altman`'s result, in the order of the discrepancy table.
BA_FIELDS = (
    "n",
    "n_users",
    "mean_device",
    "mean_reference",
    "bias",
    "bias_ci_low",
    "bias_ci_high",
    "proportional_slope",
    "proportional_p",
    "proportional_r2",
    "heteroscedasticity_p",
    "heteroscedasticity_sd_ratio",
    "bias_method",
    "loa_method",
    "loa_low",
    "loa_low_ci_low",
    "loa_low_ci_high",
    "loa_high",
    "loa_high_ci_low",
    "loa_high_ci_high",
    "ci_method",
    "bias_intercept",
    "bias_slope",
    "loa_intercept",
    "loa_slope",
    "sd",
)

HeteroscedasticLoA = Literal["regression", "log"]


def total_variance(values: np.ndarray, users: np.ndarray | None) -> float:
    """Variance of one new value: the sample variance, or the one-way random-effects ANOVA total.

    With ``users`` repeating, ``MSW`` and ``MSB`` are the within- and between-participant
    mean squares and ``m0 = (N - sum(m_i^2) / N) / (n - 1)``; the total is
    ``max(MSB / m0 + (1 - 1 / m0) MSW, MSW)`` (Bland & Altman 2007).

    Examples
    --------
    >>> total_variance(np.array([1.0, 2, 3, 4]), None)
    1.6666666666666667
    """
    values = np.asarray(values, dtype=np.float64)
    if users is None or np.unique(users).size in (1, values.size):
        return float(np.var(values, ddof=1)) if values.size > 1 else np.nan
    _, group, counts = np.unique(users, return_inverse=True, return_counts=True)
    n_users, n = counts.size, values.size
    means = np.bincount(group, weights=values) / counts
    msw = float(((values - means[group]) ** 2).sum()) / (n - n_users)
    msb = float((counts * (means - values.mean()) ** 2).sum()) / (n_users - 1)
    m0 = (n - float((counts**2).sum()) / n) / (n_users - 1)
    return max(msb / m0 + (1 - 1 / m0) * msw, msw)


def regress(x: np.ndarray, y: np.ndarray, users: np.ndarray | None) -> dict[str, float]:
    """Slope, intercept, p-value of the slope and r^2 of ``y`` on ``x``.

    Least squares (:func:`scipy.stats.linregress`), or with repeated
    participants (at least 3) a random-intercept mixed model (REML,
    statsmodels) whose slope is tested with ``t(n_participants - 2)``; ``r2``
    is then the squared Pearson correlation. A constant ``x`` gives slope 0
    and p 1.

    Examples
    --------
    >>> out = regress(np.array([1.0, 2, 3, 4]), np.array([2.0, 4.1, 5.9, 8.0]), None)
    >>> round(out["slope"], 2), round(out["intercept"], 2)
    (1.98, 0.05)
    """
    from scipy import stats  # slow to import: only when fitting

    if np.ptp(x) == 0:
        return {"slope": 0.0, "intercept": float(np.mean(y)), "p": 1.0, "r2": 0.0}
    n_users = 0 if users is None else np.unique(users).size
    if users is not None and 3 <= n_users < len(x):
        fit = _mixed(x, y, users)
        if fit is not None:
            slope, intercept, se = fit
            p = float(2 * stats.t.sf(abs(slope / se), n_users - 2))
            return {"slope": slope, "intercept": intercept, "p": p, "r2": float(np.corrcoef(x, y)[0, 1] ** 2)}
    res = stats.linregress(x, y)
    return {
        "slope": float(res.slope),
        "intercept": float(res.intercept),
        "p": float(res.pvalue),
        "r2": float(res.rvalue**2),
    }


def _mixed(x: np.ndarray, y: np.ndarray, users: np.ndarray) -> tuple[float, float, float] | None:
    """Fixed slope, intercept and the slope's standard error; ``None`` when the fit degenerates."""
    from statsmodels.regression.mixed_linear_model import MixedLM  # slow to import

    exog = np.column_stack([np.ones_like(x, dtype=np.float64), x])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # boundary fits (no participant variance) reduce to OLS below
            result = MixedLM(np.asarray(y, dtype=np.float64), exog, groups=np.asarray(users)).fit(reml=True)
            intercept, slope = (float(v) for v in np.asarray(result.fe_params))
            se = float(np.asarray(result.bse_fe)[1])
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not np.isfinite([slope, intercept, se]).all():
        return None
    return slope, intercept, se


def _euser_slope(log_ratio: np.ndarray, users: np.ndarray | None) -> float:
    z = AGREEMENT_Z * np.sqrt(total_variance(log_ratio, users))
    return float(2 * (np.exp(z) - 1) / (np.exp(z) + 1))


def bland_altman(
    reference: Sequence[float] | np.ndarray,
    device: Sequence[float] | np.ndarray,
    users: Sequence[Any] | np.ndarray | None = None,
    *,
    ci: float = DEFAULT_CI,
    alpha: float = 0.05,
    r2_gate: float | None = R2_GATE,
    sd_ratio_gate: float | None = SD_RATIO_GATE,
    heteroscedastic_loa: HeteroscedasticLoA = "regression",
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> dict[str, Any]:
    """Bias, proportional bias, heteroscedasticity and limits of agreement of one metric.

    Parameters
    ----------
    reference, device
        One value per night (``NaN`` pairs are dropped).
    users
        The participant of each night; ``None``: every night its own participant.
    ci
        Confidence level of every interval.
    alpha
        Level of the proportional-bias and heteroscedasticity tests.
    r2_gate, sd_ratio_gate
        Effect sizes a significant test must also exceed (YASA 0.8's
        defaults); ``None`` lets the p-value alone decide.
    heteroscedastic_loa
        Limits when heteroscedasticity is found: ``"regression"`` or ``"log"``
        (regression when a value is not positive).
    n_boot, seed
        Participant-level bootstrap resamples and seed (module docstring).

    Returns
    -------
    dict
        :data:`BA_FIELDS`.

    Examples
    --------
    See the module docstring.
    """
    x_all, y_all = np.asarray(reference, dtype=np.float64), np.asarray(device, dtype=np.float64)
    keep = np.isfinite(x_all) & np.isfinite(y_all)
    x, y = x_all[keep], y_all[keep]
    u_all = np.arange(x_all.size).astype(str) if users is None else np.asarray(users).astype(str)
    u = u_all[keep]
    d = y - x
    out: dict[str, Any] = dict.fromkeys(BA_FIELDS, np.nan)
    n, n_users = int(d.size), int(np.unique(u).size)
    out.update(n=n, n_users=n_users)
    if n < 3:
        out.update(
            mean_device=float(y.mean()) if n else np.nan,
            mean_reference=float(x.mean()) if n else np.nan,
            bias=float(d.mean()) if n else np.nan,
            bias_method="",
            loa_method="",
            ci_method="",
        )
        return out
    repeated = n_users < n
    groups = u if repeated else None
    bias_fit = regress(x, d, groups)
    resid = np.abs(d - (bias_fit["intercept"] + bias_fit["slope"] * x))
    loa_fit = regress(x, resid, groups)
    ends = [max(loa_fit["intercept"] + loa_fit["slope"] * v, 1e-9) for v in (x.min(), x.max())]
    sd_ratio = ends[1] / ends[0]
    proportional = bias_fit["p"] < alpha and (r2_gate is None or bias_fit["r2"] > r2_gate)
    hetero = loa_fit["p"] < alpha and (sd_ratio_gate is None or max(sd_ratio, 1 / sd_ratio) > sd_ratio_gate)
    bias_method = "regression" if proportional else "parametric"
    loa_method = "parametric"
    if hetero:
        loa_method = (
            "log" if heteroscedastic_loa == "log" and (x > 0).all() and (y > 0).all() else "regression"
        )
    sd = float(np.sqrt(total_variance(d, groups)))
    b0, b1 = (bias_fit["intercept"], bias_fit["slope"]) if proportional else (float(d.mean()), 0.0)
    if loa_method == "parametric":
        h0, h1 = AGREEMENT_Z * float(np.sqrt(total_variance(d - (b0 + b1 * x), groups))), 0.0
    elif loa_method == "regression":
        h0, h1 = REGRESSION_Z * loa_fit["intercept"], REGRESSION_Z * loa_fit["slope"]
    else:
        h0, h1 = 0.0, _euser_slope(np.log(y) - np.log(x), groups)
    x_bar = float(x.mean())
    out.update(
        mean_device=float(y.mean()),
        mean_reference=x_bar,
        bias=float(d.mean()),
        sd=sd,
        proportional_slope=bias_fit["slope"],
        proportional_p=bias_fit["p"],
        proportional_r2=bias_fit["r2"],
        heteroscedasticity_p=loa_fit["p"],
        heteroscedasticity_sd_ratio=sd_ratio,
        bias_method=bias_method,
        loa_method=loa_method,
        bias_intercept=b0,
        bias_slope=b1,
        loa_intercept=h0,
        loa_slope=h1,
        loa_low=b0 + b1 * x_bar - (h0 + h1 * x_bar),
        loa_high=b0 + b1 * x_bar + (h0 + h1 * x_bar),
    )
    _intervals(out, x, y, u, repeated, ci=ci, n_boot=n_boot, seed=seed)
    return {k: float(v) if isinstance(v, np.floating) else v for k, v in out.items()}


def _intervals(
    out: dict[str, Any], x: np.ndarray, y: np.ndarray, u: np.ndarray, repeated: bool, **options: Any
) -> None:
    """Fill the bias and limit intervals: parametric where the method allows, else by the bootstrap."""
    from scipy import stats  # slow to import

    ci, n = options["ci"], x.size
    parametric_loa = out["loa_method"] == "parametric" and out["bias_method"] == "parametric"
    if not repeated:
        t = float(stats.t.ppf((1 + ci) / 2, n - 1))
        se = out["sd"] / np.sqrt(n)
        out.update(bias_ci_low=out["bias"] - t * se, bias_ci_high=out["bias"] + t * se)
        if parametric_loa:
            half = t * np.sqrt(3) * se
            out.update(
                loa_low_ci_low=out["loa_low"] - half,
                loa_low_ci_high=out["loa_low"] + half,
                loa_high_ci_low=out["loa_high"] - half,
                loa_high_ci_high=out["loa_high"] + half,
                ci_method="parametric",
            )
            return
    _, group = np.unique(u, return_inverse=True)
    log_ratio = np.log(y) - np.log(x) if out["loa_method"] == "log" else None
    low, high = limits_bootstrap(
        x,
        y - x,
        group,
        (out["bias_method"], out["loa_method"]),
        log_ratio=log_ratio,
        ci=ci,
        n_boot=options["n_boot"],
        seed=options["seed"],
    )
    if repeated:
        out.update(bias_ci_low=float(low[0]), bias_ci_high=float(high[0]))
    out.update(
        loa_low_ci_low=float(low[1]),
        loa_low_ci_high=float(high[1]),
        loa_high_ci_low=float(low[2]),
        loa_high_ci_high=float(high[2]),
        ci_method="bootstrap",
    )
