"""Every mixed model of the toolkit against R's lme4 (``lmer(..., REML = TRUE)``), in one R call.

The fits: the 22 group comparisons of the demo (11 metrics, healthy vs panel and apnea vs panel:
the healthy and apnea users have one night each, so they pair with the panel's 14 nights; among
them ``deep_ratio`` of apnea vs panel, where statsmodels' default fit stopped short of the REML
optimum, and three fits on the boundary, a user variance of 0), the panel split in halves, the
panel's periods, simulated data, comparisons adjusted for covariates (simulated and the demo's
age, sex and BMI) and the per-night trends with a random intercept and slope, plain and adjusted
for covariates (whose own effects are compared too). On each: the fixed effect, its standard
error, the user and residual variances and the ICC equal lme4's within 1e-4 relative (a variance
lme4 puts at 0 within 1e-10 of the total variance), and so does the REML log-likelihood.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lme4_oracle import lme4_fits, needs_lme4
from statsmodels.tools.sm_exceptions import ConvergenceWarning

import asleep_nb
from asleep_nb.resources import demo_data_dir
from asleep_nb.stats import compare_groups, compare_periods, trend
from asleep_nb.stats.night import research_sleep_latency
from asleep_nb.stats.study.table import DEFAULT_METRICS

pytestmark = needs_lme4

Z95 = 1.959963984540054
METRICS = [*DEFAULT_METRICS, "snoring_ratio"]


@dataclass
class Case:
    """One of our fits and the data and formula lme4 fits for it."""

    ours: Callable[[], pd.DataFrame]
    data: pd.DataFrame  # numeric columns for lme4, user_id
    formula: str
    term: str  # the fixed effect compared, in lme4's naming
    row: str  # its row in our output


def quiet(function: Callable[..., Any], *args: Any, expected: str | None = None, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` without convergence warnings; ``expected`` must be warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = function(*args, **kwargs)
    said = [str(w.message) for w in caught]
    if expected is not None:
        assert any(expected in message for message in said), said
    for w in caught:  # anything else is shown, as without the wrapper
        if expected is None or expected not in str(w.message):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def simulate(seed: int, n_users: int = 20) -> pd.DataFrame:
    """Nights nested in users, a group effect 0.8, age (per user) +0.05 per year, sex male -0.5."""
    rng = np.random.default_rng(seed)
    nights = rng.integers(3, 9, n_users)
    users = np.repeat([f"u{i:02d}" for i in range(n_users)], nights)
    group = np.repeat(np.where(np.arange(n_users) < n_users // 2, "control", "treated"), nights)
    age = np.repeat(rng.uniform(20, 70, n_users).round(1), nights)
    sex = np.repeat(rng.choice(["female", "male"], n_users), nights)
    person = np.repeat(rng.normal(0.0, 1.0, n_users), nights)
    value = 7.0 + 0.8 * (group == "treated") + 0.05 * (age - 45) - 0.5 * (sex == "male") + person
    value = value + rng.normal(0.0, 1.0, users.size)
    return pd.DataFrame({"user_id": users, "group": group, "age": age, "sex": sex, "score": value})


@pytest.fixture(scope="module")
def demo_table() -> pd.DataFrame:
    manifest = pd.read_csv(demo_data_dir() / "manifest.csv")
    manifest = manifest[manifest["group"].isin(["healthy", "apnea", "panel"])].reset_index(drop=True)
    cohort = asleep_nb.load_cohort(asleep_nb.connect(), manifest)
    table = asleep_nb.stats_table(cohort)
    table["research_sleep_latency"] = research_sleep_latency(cohort).values
    return table


@pytest.fixture(scope="module")
def study_table() -> pd.DataFrame:
    """study.csv and panel.csv: healthy, apnea and panel users with age, sex and BMI."""
    manifest = pd.concat(
        [pd.read_csv(demo_data_dir() / "study.csv"), pd.read_csv(demo_data_dir() / "panel.csv")]
    )
    cohort = asleep_nb.load_cohort(asleep_nb.connect(), manifest.reset_index(drop=True), progress=False)
    return asleep_nb.stats_table(cohort)


def _pair(table: pd.DataFrame, name: str, by: str, ref: str, other: str, covariates=()) -> pd.DataFrame:
    used = table[table[by].isin([ref, other])].dropna(subset=[name, *covariates])
    return pd.DataFrame({"user_id": used["user_id"].to_numpy(), "x": (used[by] == other).to_numpy(float),
                         "y": pd.to_numeric(used[name]).to_numpy(float),
                         **{c: used[c].to_numpy() for c in covariates}})  # fmt: skip


def _cases(table: pd.DataFrame, study: pd.DataFrame) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    covariates = ["age", "sex", "bmi"]
    for name in ("time_in_sleep", "sleep_efficiency", "deep_ratio", "waso_count"):
        for ref in ("apnea", "healthy"):
            cases[f"{name}: panel - {ref}, adjusted"] = Case(
                lambda n=name, r=ref: quiet(compare_groups, study, n, groups=[r, "panel"], method="mixed",
                                            covariates=covariates),
                _pair(study, name, "group", ref, "panel", covariates),
                "y ~ x + age + sex + bmi + (1 | user_id)", "x", f"panel - {ref}")  # fmt: skip
    for name in METRICS:
        for ref in ("apnea", "healthy"):
            cases[f"{name}: panel - {ref}"] = Case(
                lambda n=name, r=ref: quiet(compare_groups, table, n, groups=[r, "panel"], method="mixed"),
                _pair(table, name, "group", ref, "panel"),
                "y ~ x + (1 | user_id)",
                "x",
                f"panel - {ref}",
            )
    panel = table[table["group"] == "panel"].copy()
    users = sorted(panel["user_id"].unique())
    panel["half"] = np.where(panel["user_id"].isin(users[:4]), "first", "second")
    day = (panel["night"] - panel.groupby("user_id")["night"].transform("min")).dt.days
    panel["period"] = np.where(day < 7, "baseline", "intervention")
    for name in ("time_in_sleep", "sleep_efficiency", "waso_count"):
        cases[f"{name}: halves"] = Case(
            lambda n=name: quiet(compare_groups, panel, n, by="half", method="mixed"),
            _pair(panel, name, "half", "first", "second"),
            "y ~ x + (1 | user_id)",
            "x",
            "second - first",
        )
        cases[f"{name}: periods"] = Case(
            lambda n=name: quiet(compare_periods, panel, n),
            _pair(panel, name, "period", "baseline", "intervention"), "y ~ x + (1 | user_id)", "x",
            "intervention - baseline")  # fmt: skip
    for seed in range(4):
        data = simulate(seed)
        cases[f"simulated {seed}"] = Case(
            lambda d=data: quiet(compare_groups, d, "score", method="mixed"),
            _pair(data, "score", "group", "control", "treated"),
            "y ~ x + (1 | user_id)",
            "x",
            "treated - control",
        )
        cases[f"simulated {seed}, adjusted"] = Case(
            lambda d=data: quiet(compare_groups, d, "score", method="mixed", covariates=["age", "sex"]),
            _pair(data, "score", "group", "control", "treated", ["age", "sex"]),
            "y ~ x + age + sex + (1 | user_id)", "x", "treated - control")  # fmt: skip
    return cases


def simulate_trend(seed: int, n_users: int = 12) -> pd.DataFrame:
    """Two groups x 14 nights; user intercept SD 0.5, slope SD 0.03; slopes 0.04 and 0; weekend +0.4."""
    rng = np.random.default_rng(seed)
    nights = pd.Timestamp("2025-01-06") + pd.to_timedelta(np.arange(14), unit="D")
    rows = []
    for i in range(n_users):
        group = "a" if i < n_users // 2 else "b"
        start = rng.integers(0, 7)
        mine = nights[start:] if rng.random() < 0.3 else nights  # some users with fewer nights
        day = (mine - mine[0]).days.to_numpy(float)
        weekend = mine.day_of_week.isin([4, 5]).astype(float)
        slope = (0.04 if group == "a" else 0.0) + rng.normal(0, 0.03)
        value = 7 + rng.normal(0, 0.5) + slope * day + 0.4 * weekend + rng.normal(0, 0.3, len(day))
        rows.append(pd.DataFrame({"user_id": f"u{i:02d}", "group": group, "night": mine, "score": value}))
    return pd.concat(rows, ignore_index=True)


def simulate_trend_adjusted(seed: int) -> pd.DataFrame:
    """:func:`simulate_trend` with a user's age (+0.02 a year) and sex (male -0.3), drawn apart."""
    data = simulate_trend(seed)
    rng = np.random.default_rng(1_000 + seed)
    users = sorted(data["user_id"].unique())
    age = dict(zip(users, rng.uniform(20, 70, len(users)).round(1), strict=True))
    sex = dict(zip(users, rng.choice(["female", "male"], len(users)), strict=True))
    data["age"], data["sex"] = data["user_id"].map(age), data["user_id"].map(sex)
    data["score"] += 0.02 * (data["age"] - 45) - 0.3 * (data["sex"] == "male")
    return data


def _trend_data(table: pd.DataFrame, name: str, by: str = "group", covariates=()) -> pd.DataFrame:
    """Numeric columns for lme4: ``g<i>``, ``n<i>``, ``w<i>`` per group and a column per covariate
    (a category as indicators ``<name>_<level>`` of every level but the first, as ours)."""
    used = table.dropna(subset=[name, *covariates])
    night = pd.to_datetime(used["night"])
    day = (night - night.groupby(used["user_id"]).transform("min")).dt.days.to_numpy(float)
    weekend = night.dt.day_of_week.isin([4, 5]).to_numpy(float)
    levels = sorted(used[by].unique())
    out = {
        "user_id": used["user_id"].to_numpy(),
        "y": pd.to_numeric(used[name]).to_numpy(float),
        "night": day,
    }
    for i, level in enumerate(levels):
        mine = (used[by] == level).to_numpy(float)
        out.update({f"g{i}": mine, f"n{i}": mine * day, f"w{i}": mine * weekend})
    for c in covariates:
        values = used[c]
        if pd.api.types.is_numeric_dtype(values):
            out[c] = values.to_numpy(float)
        else:
            for level in sorted(values.unique())[1:]:
                out[f"{c}_{level}"] = (values == level).to_numpy(float)
    return pd.DataFrame(out)


def _trend_formula(levels: int, slope: bool, data: pd.DataFrame | None = None) -> str:
    fixed = " + ".join(f"g{i} + n{i} + w{i}" for i in range(levels))
    covariates = [] if data is None else [c for c in data.columns[3:] if not re.fullmatch(r"[gnw]\d+", c)]
    fixed = " + ".join([fixed, *covariates])
    return f"y ~ 0 + {fixed} + " + ("(1 + night | user_id)" if slope else "(1 | user_id)")


def _trend_cases(table: pd.DataFrame, study: pd.DataFrame) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for seed in range(3):
        data = simulate_trend(seed)
        frame = _trend_data(data, "score")
        cases[f"trend {seed}, slope a"] = Case(lambda d=data: quiet(trend, d, "score"), frame,
                                               _trend_formula(2, True), "n0", ("a", "per night"))  # fmt: skip
        cases[f"trend {seed}, weekend b"] = Case(lambda d=data: quiet(trend, d, "score"), frame,
                                                 _trend_formula(2, True), "w1",
                                                 ("b", "weekend - weekday"))  # fmt: skip
        cases[f"trend {seed}, intercept only"] = Case(
            lambda d=data: quiet(trend, d, "score", random_slope=False), _trend_data(data, "score"),
            _trend_formula(2, False), "n1", ("b", "per night"))  # fmt: skip
        adjusted = simulate_trend_adjusted(seed)
        frame = _trend_data(adjusted, "score", covariates=["age", "sex"])
        for term, row in (("n0", ("a", "per night")), ("w1", ("b", "weekend - weekday"))):
            cases[f"trend {seed}, {term}, adjusted"] = Case(
                lambda d=adjusted: quiet(trend, d, "score", covariates=["age", "sex"]), frame,
                _trend_formula(2, True, frame), term, row)  # fmt: skip
    panel = table[table["group"] == "panel"]
    for name in ("time_in_sleep", "sleep_efficiency"):  # the demo's random slopes are singular: the fallback
        cases[f"trend demo {name}"] = Case(
            lambda n=name: quiet(trend, panel, n, expected="the random slope's variance is 0"),
            _trend_data(panel, name), _trend_formula(1, False), "w0",
            ("panel", "weekend - weekday"))  # fmt: skip
    covariates = ["age", "sex", "bmi"]
    panel = study[study["group"] == "panel"]
    frame = _trend_data(panel, "time_in_sleep", covariates=covariates)
    cases["trend demo time_in_sleep, adjusted"] = Case(
        lambda: quiet(trend, panel, "time_in_sleep", covariates=covariates, expected="slope's variance"),
        frame, _trend_formula(1, False, frame), "n0", ("panel", "per night"))  # fmt: skip
    return cases


@pytest.fixture(scope="module")
def oracle(demo_table, study_table, tmp_path_factory) -> tuple[dict[str, Case], dict[str, dict]]:
    cases = {**_cases(demo_table, study_table), **_trend_cases(demo_table, study_table)}
    models = {key: (case.data, case.formula) for key, case in cases.items()}
    return cases, lme4_fits(models, tmp_path_factory.mktemp("lme4"))


def test_the_test_set_holds_the_fits_of_the_issue(oracle):
    cases, fits = oracle
    assert sum(key.endswith(("panel - apnea", "panel - healthy")) for key in cases) == 22
    assert sum(key.endswith("adjusted") for key in cases) >= 12
    assert sum(bool(fit["singular"]) for fit in fits.values()) >= 3  # boundary fits are in the set
    assert len(fits) == len(cases)


def test_every_mixed_fit_equals_lme4(oracle):
    cases, fits = oracle
    failures = []
    for key, case in cases.items():
        out, fit = case.ours(), fits[key]
        row = out.loc[case.row]
        se = (row["ci_high"] - row["ci_low"]) / (2 * Z95)
        user, residual = fit["cov_re"][0][0], fit["residual"]
        total = user + residual
        ours_user = out.attrs["user_variance"]
        if isinstance(ours_user, list):  # a trend: the random-effect covariance
            if len(ours_user) > 1:
                got = np.asarray(ours_user, dtype=float)
                expected = np.asarray(fit["cov_re"], dtype=float)
                if got != pytest.approx(expected, rel=1e-4, abs=1e-10 * total):
                    failures.append(
                        f"{key}: random-effect covariance {got.tolist()} vs lme4 {expected.tolist()}"
                    )
            ours_user = ours_user[0][0]
            out.attrs["icc"] = ours_user / (ours_user + out.attrs["residual_variance"])
        estimate = row["estimate"] if "estimate" in row.index else row["mean"]
        checks = {
            "estimate": (estimate, fit["fixef"][case.term], 1e-4, 0.0),
            "SE": (se, fit["se"][case.term], 1e-4, 0.0),
            "user variance": (ours_user, user, 1e-4, 1e-10 * total),
            "residual variance": (out.attrs["residual_variance"], residual, 1e-4, 0.0),
            "ICC": (out.attrs["icc"], user / total, 1e-4, 1e-10),
            "REML log-likelihood": (out.attrs["llf"], fit["loglik"], 1e-8, 1e-6),
        }
        for what, (got, expected, rel, abs_) in checks.items():
            if got != pytest.approx(expected, rel=rel, abs=abs_):
                failures.append(f"{key}: {what} {got!r} vs lme4 {expected!r}")
        if bool(out.attrs["boundary"]) != bool(fit["singular"]):
            failures.append(f"{key}: boundary {out.attrs['boundary']} vs lme4 isSingular {fit['singular']}")
    assert not failures, "\n".join(failures)


def test_trend_covariate_effects_equal_lme4(oracle):
    cases, fits = oracle
    keys = [key for key in cases if key.startswith("trend") and key.endswith("adjusted")]
    assert len(keys) == 7
    compared = 0
    for key in keys:
        effects, fixef = cases[key].ours().attrs["covariates"], fits[key]["fixef"]
        for name, row in effects.iterrows():
            r_name = re.sub(r"\[(.*)\]$", r"_\1", str(name))  # sex[male] is lme4's sex_male column
            assert row["mean"] == pytest.approx(fixef[r_name], rel=1e-4), (key, name)
            compared += 1
    assert compared == 6 * 2 + 4  # age and sex in the simulations; age, two sex levels and BMI in the demo
