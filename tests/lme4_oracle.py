"""R's lme4 as the oracle of the mixed models: many fits in one ``Rscript`` call, results as JSON.

Each model is a data frame (numeric columns, ``user_id``) and an lme4 formula; every model is
fitted with ``lmer(formula, data, REML = TRUE)`` and reported as fixed effects, their standard
errors (``sqrt(diag(vcov))``), the random-effect covariance of ``user_id``, the residual
variance, the REML log-likelihood and ``isSingular``. lme4's optimiser (nloptwrap's BOBYQA) runs
with tight tolerances: at its defaults it stops up to 2e-4 relative short in a variance of a
random-slope model (a REML log-likelihood 1e-7 below the optimum). R starts once per call (about 2 s).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

R_FITS = r"""
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
spec <- fromJSON("models.json", simplifyVector = FALSE)
out <- lapply(spec, function(m) {
  d <- read.csv(m$file)
  d$user_id <- factor(d$user_id)
  tight <- lmerControl(optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, ftol_rel = 1e-14))
  fit <- lmer(as.formula(m$formula), data = d, REML = TRUE, control = tight)
  vc <- VarCorr(fit)$user_id
  list(fixef = as.list(fixef(fit)), se = as.list(sqrt(diag(as.matrix(vcov(fit))))),
       cov_re = unname(as.matrix(vc)), names_re = colnames(vc),
       residual = sigma(fit)^2, loglik = as.numeric(logLik(fit)), singular = isSingular(fit))
})
names(out) <- names(spec)
cat(toJSON(out, auto_unbox = TRUE, digits = NA, matrix = "rowmajor"))
"""

needs_lme4 = pytest.mark.skipif(
    shutil.which("Rscript") is None
    or subprocess.run(["Rscript", "-e", "library(lme4)"], capture_output=True).returncode != 0,
    reason="needs R with lme4 and jsonlite (.ci/run installs r-cran-lme4)",
)


def lme4_fits(models: dict[str, tuple[pd.DataFrame, str]], folder: Path) -> dict[str, dict]:
    """Fit every ``name: (data, formula)`` with lme4 in one R process; the results by name."""
    spec = {}
    for i, (name, (data, formula)) in enumerate(models.items()):
        file = f"m{i}.csv"
        data.to_csv(folder / file, index=False, float_format="%.17g")
        spec[name] = {"file": file, "formula": formula}
    (folder / "models.json").write_text(json.dumps(spec))
    run = subprocess.run(
        ["Rscript", "--vanilla", "-e", R_FITS], cwd=folder, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)
