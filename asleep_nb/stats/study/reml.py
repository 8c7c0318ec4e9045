"""The REML optimum of a linear mixed model, whichever optimiser reaches it.

statsmodels' :class:`~statsmodels.regression.mixed_linear_model.MixedLM`
stops where its optimiser stops; on some data that is short of the REML
optimum (on the demo, ``deep_ratio`` of apnea against panel: a REML
log-likelihood of 205.57 where lme4 reaches 206.35, an ICC of 0.106 instead
of 0.018). :func:`fit_reml` maximises the same profiled REML log-likelihood
(lme4's REML criterion; fixed effects and residual variance profiled out)
with each of the optimisers ``MixedLM.fit`` offers, :data:`OPTIMISERS`
(scipy's L-BFGS-B, BFGS, Powell, Nelder-Mead and CG), from two starting
values of the relative covariance of the random effects (their covariance
over the residual variance, parametrised by its Cholesky factor ``theta`` as
in lme4): lme4's start, the identity, and the moment estimate from user
means. The best is refined by L-BFGS-B with the standard deviations bounded
below by 0 (lme4's constraint), a variance that is practically 0 is set to
exactly 0 when that is as likely (where lme4's bounded optimiser lands), and
the fit with the highest REML log-likelihood is kept.

The likelihood is evaluated from per-user sufficient statistics (``Z'Z``,
``Z'X``, ``Z'y``) with ``V_i^-1 = I - Z_i Psi (I + Z_i'Z_i Psi)^-1 Z_i'``, so a
fit costs milliseconds and stays defined where a variance is 0. The fixed
effects' covariance is lme4's ``vcov``, ``scale * inv(X' V^-1 X)``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> users = np.repeat(np.arange(10), 5)
>>> y = pd.Series(rng.normal(0, 1, 10).repeat(5) + rng.normal(0, 1, 50))
>>> fit = fit_reml(y, pd.DataFrame({"Intercept": np.ones(50)}), pd.Series(users))
>>> fit.optimiser.split(" ")[0] in OPTIMISERS, fit.params.index.tolist(), fit.converged, fit.boundary
(True, ['Intercept'], True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = ["OPTIMISERS", "BOUNDARY_SHARE", "RemlFit", "fit_reml"]

#: The optimisers tried, by ``MixedLM.fit``'s names, with the scipy method each names; ties go to the first.
OPTIMISERS: dict[str, str] = {
    "lbfgs": "L-BFGS-B",
    "bfgs": "BFGS",
    "powell": "Powell",
    "nm": "Nelder-Mead",
    "cg": "CG",
}
#: A random-effect variance below this share of the total variance is on the boundary (0).
BOUNDARY_SHARE = 1e-3
#: Bound of every iteration count (each optimiser, the refinement).
MAX_ITERATIONS = 2000


@dataclass(frozen=True)
class RemlFit:
    """The best REML fit found.

    Attributes
    ----------
    params
        Fixed effects, named by the columns of ``exog``.
    cov_params
        Their covariance (lme4's ``vcov``), a DataFrame.
    cov_re
        Covariance of the random effects (per user), in the outcome's units.
    scale
        Residual variance.
    llf
        REML log-likelihood (lme4's ``logLik(fit)`` of a REML fit).
    optimiser, start
        The optimiser (and refinement) and starting value that reached it.
    converged
        Whether an optimiser reported convergence at a log-likelihood within
        1e-6 of the one kept.
    boundary
        A random-effect variance at 0 (below :data:`BOUNDARY_SHARE` of the
        total variance) or a correlation of random effects at +-1.
    tried
        ``"optimiser/start"`` -> REML log-likelihood reached (``-inf`` when it failed).
    messages
        Problems worth a warning (none when all went well).
    """

    params: pd.Series
    cov_params: pd.DataFrame
    cov_re: np.ndarray
    scale: float
    llf: float
    optimiser: str
    start: str
    converged: bool
    boundary: bool
    tried: dict[str, float]
    messages: tuple[str, ...]


class _Data(NamedTuple):
    """Per-user sufficient statistics of ``y = X b + Z u + e``."""

    ztz: np.ndarray  # (users, k, k)
    ztx: np.ndarray  # (users, k, p)
    zty: np.ndarray  # (users, k)
    xtx: np.ndarray  # (p, p)
    xty: np.ndarray  # (p,)
    yty: float
    n: int


class _Candidate(NamedTuple):
    theta: np.ndarray  # lower-triangular Cholesky factor of the relative covariance, packed by rows
    llf: float
    converged: bool


class _Profile(NamedTuple):
    fe: np.ndarray
    scale: float
    llf: float
    information: np.ndarray  # X' V^-1 X


def fit_reml(
    endog: pd.Series,
    exog: pd.DataFrame,
    groups: pd.Series,
    exog_re: pd.DataFrame | None = None,
) -> RemlFit:
    """Fit ``endog ~ exog`` with random effects ``exog_re`` per group by REML; the best of many fits.

    Parameters
    ----------
    endog
        The outcome, one value per night.
    exog
        Fixed-effect design (named columns, an ``Intercept`` among them), of full rank.
    groups
        The user of each night.
    exog_re
        Random-effect design; default a random intercept.

    Returns
    -------
    RemlFit

    Raises
    ------
    numpy.linalg.LinAlgError
        When ``exog`` is not of full rank or no optimiser reaches a finite likelihood.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 2, 3, 5, 6])
    >>> fit = fit_reml(y, pd.DataFrame({"Intercept": np.ones(8)}), pd.Series(list("aabbccdd")))
    >>> round(float(fit.params["Intercept"]), 3)
    3.25
    """
    from scipy.optimize import minimize

    y = np.asarray(endog, dtype=float)
    x = np.asarray(exog, dtype=float)
    z = np.ones((len(y), 1)) if exog_re is None else np.asarray(exog_re, dtype=float)
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise np.linalg.LinAlgError(f"the fixed effects {list(exog.columns)} are collinear")
    data = _sufficient(y, x, z, np.asarray(groups))
    k = z.shape[1]

    def objective(theta: np.ndarray) -> float:
        return -_loglike(data, theta, k)

    def gradient(theta: np.ndarray) -> np.ndarray:
        """Central differences (scipy's own finite differences cost ten times the likelihood)."""
        out = np.empty_like(theta)
        for i in range(theta.size):
            h = 1e-6 * max(1.0, abs(float(theta[i])))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            out[i] = (objective(up) - objective(down)) / (2 * h)
        return out

    candidates: dict[tuple[str, str], _Candidate] = {}
    for start_name, start in _starts(data, y, np.asarray(groups), k).items():
        for name, method in OPTIMISERS.items():
            if start_name != "identity" and name != "lbfgs":
                continue  # the moment start: L-BFGS only
            jac = None if method in ("Powell", "Nelder-Mead") else gradient
            with np.errstate(all="ignore"):
                found = minimize(
                    objective, start, jac=jac, method=method, options={"maxiter": MAX_ITERATIONS}
                )
            llf = -float(found.fun)
            candidates[(name, start_name)] = _Candidate(np.asarray(found.x), llf, bool(found.success))
    best_key = max(candidates, key=lambda key: candidates[key].llf)  # the first of equals
    if not np.isfinite(candidates[best_key].llf):
        raise np.linalg.LinAlgError("no optimiser reached a finite REML likelihood")
    rows, cols = np.tril_indices(k)
    bounds = [(0.0, None) if r == c else (None, None) for r, c in zip(rows, cols, strict=True)]
    start = _canonical(candidates[best_key].theta, k)
    with np.errstate(all="ignore"):
        refined = minimize(objective, start, method="L-BFGS-B", jac=gradient, bounds=bounds,
                           options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": MAX_ITERATIONS})  # fmt: skip
    if -float(refined.fun) >= candidates[best_key].llf:
        best_key = (f"{best_key[0]} + bounded L-BFGS-B", best_key[1])
        candidates[best_key] = _Candidate(np.asarray(refined.x), -float(refined.fun), bool(refined.success))
    zeroed = _zero_small_variances(data, candidates[best_key], k)
    if zeroed is not None:
        best_key = (f"{best_key[0]}, variance at 0", best_key[1])
        candidates[best_key] = zeroed
    best = candidates[best_key]
    # converged: an optimiser reported convergence at (practically) the optimum kept
    converged = any(c.converged and c.llf >= best.llf - 1e-6 for c in candidates.values())
    psi = _relative(best.theta, k)
    profile = _profile(data, psi)
    names = list(exog.columns)
    cov_re = profile.scale * psi
    boundary = _on_boundary(cov_re, profile.scale)
    return RemlFit(
        params=pd.Series(profile.fe, index=names),
        cov_params=pd.DataFrame(
            profile.scale * np.linalg.inv(profile.information), index=names, columns=names
        ),
        cov_re=cov_re,
        scale=profile.scale,
        llf=profile.llf,
        optimiser=best_key[0],
        start=best_key[1],
        converged=converged,
        boundary=boundary,
        tried={f"{key[0]}/{key[1]}": c.llf for key, c in candidates.items()},
        messages=(),
    )


def _sufficient(y: np.ndarray, x: np.ndarray, z: np.ndarray, groups: np.ndarray) -> _Data:
    _, index = np.unique(groups, return_inverse=True)
    users = int(index.max()) + 1
    k, p = z.shape[1], x.shape[1]
    ztz, ztx, zty = np.zeros((users, k, k)), np.zeros((users, k, p)), np.zeros((users, k))
    np.add.at(ztz, index, z[:, :, None] * z[:, None, :])
    np.add.at(ztx, index, z[:, :, None] * x[:, None, :])
    np.add.at(zty, index, z * y[:, None])
    return _Data(ztz, ztx, zty, x.T @ x, x.T @ y, float(y @ y), len(y))


def _relative(theta: np.ndarray, k: int) -> np.ndarray:
    """The relative covariance ``L L'`` of the packed lower-triangular factor ``L``."""
    factor = np.zeros((k, k))
    factor[np.tril_indices(k)] = theta
    return factor @ factor.T


def _canonical(theta: np.ndarray, k: int) -> np.ndarray:
    """The same ``L L'`` with a non-negative diagonal (the sign of a column of ``L`` does not matter)."""
    factor = np.zeros((k, k))
    factor[np.tril_indices(k)] = theta
    factor = factor * np.where(np.diag(factor) < 0, -1.0, 1.0)[None, :]
    return factor[np.tril_indices(k)]


def _profile(data: _Data, psi: np.ndarray) -> _Profile:
    """Generalised least squares at relative covariance ``psi``, and lme4's REML log-likelihood.

    ``-2 llf = (n - p)(1 + log(2 pi scale)) + log|V| + log|X'V^-1X|`` with
    ``scale = r'V^-1r / (n - p)`` (lme4's REML criterion; statsmodels' value too).
    """
    k = psi.shape[0]
    m = np.eye(k)[None] + data.ztz @ psi  # I + Z'Z Psi, per user
    a = psi[None] @ np.linalg.inv(m)  # Psi (I + Z'Z Psi)^-1
    xvx = data.xtx - np.einsum("gkp,gkl,glq->pq", data.ztx, a, data.ztx)
    xvy = data.xty - np.einsum("gkp,gkl,gl->p", data.ztx, a, data.zty)
    yvy = data.yty - float(np.einsum("gk,gkl,gl->", data.zty, a, data.zty))
    fe = np.linalg.solve(xvx, xvy)
    dof = data.n - len(fe)
    scale = float(yvy - xvy @ fe) / dof
    logdet_v = float(np.sum(np.linalg.slogdet(m)[1]))
    llf = -0.5 * (dof * (1 + np.log(2 * np.pi * scale)) + logdet_v + np.linalg.slogdet(xvx)[1])
    return _Profile(fe, scale, float(llf), xvx)


def _loglike(data: _Data, theta: np.ndarray, k: int) -> float:
    try:
        llf = _profile(data, _relative(theta, k)).llf
    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
        return -np.inf
    return llf if np.isfinite(llf) else -np.inf


def _starts(data: _Data, y: np.ndarray, groups: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Packed Cholesky factors to start from: lme4's identity, and the moment estimate."""
    frame = pd.DataFrame({"y": y, "g": groups}).groupby("g")["y"]
    within = float(frame.var(ddof=1).mean())
    between = float(frame.mean().var(ddof=1))
    moment = between / within if np.isfinite(within) and within > 0 and np.isfinite(between) else 1.0
    identity = np.eye(k)[np.tril_indices(k)]
    return {"identity": identity, "moment": identity * np.sqrt(float(np.clip(moment, 1e-2, 1e2)))}


def _zero_small_variances(data: _Data, best: _Candidate, k: int) -> _Candidate | None:
    """The fit with near-zero random-effect variances set to exactly 0, when it is as likely.

    In the Cholesky parameters the gradient vanishes towards 0, so optimisers
    stop at a tiny positive variance where lme4's bounded optimiser reaches 0.
    """
    psi = _relative(best.theta, k)
    scale = _profile(data, psi).scale
    small = np.diag(psi) * scale < BOUNDARY_SHARE * (np.trace(psi) * scale + scale)
    if not small.any():
        return None
    factor = np.zeros((k, k))
    kept = np.flatnonzero(~small)
    if kept.size:
        factor[np.ix_(kept, kept)] = np.linalg.cholesky(psi[np.ix_(kept, kept)])
    theta = factor[np.tril_indices(k)]
    llf = _loglike(data, theta, k)
    return best._replace(theta=theta, llf=llf) if llf >= best.llf - 1e-10 else None


def _on_boundary(cov_re: np.ndarray, scale: float) -> bool:
    variances = np.diag(cov_re)
    if np.any(variances < BOUNDARY_SHARE * (variances.sum() + scale)):
        return True
    if len(variances) > 1:
        upper = np.triu_indices(len(variances), 1)
        corr = cov_re[upper] / np.sqrt(np.outer(variances, variances))[upper]
        return bool(np.any(np.abs(corr) > 1 - 1e-6))
    return False


def describe(fit: RemlFit) -> dict[str, Any]:
    """The fit's optimiser, start, log-likelihood, convergence and boundary, for ``attrs``.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 2, 3, 5, 6])
    >>> sorted(describe(fit_reml(y, pd.DataFrame({"Intercept": np.ones(8)}), pd.Series(list("aabbccdd")))))
    ['boundary', 'converged', 'llf', 'optimiser']
    """
    return {"optimiser": f"{fit.optimiser} (start: {fit.start})", "llf": fit.llf,
            "converged": fit.converged, "boundary": fit.boundary}  # fmt: skip
