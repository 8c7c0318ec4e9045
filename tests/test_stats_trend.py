"""stats.trend: per-night slopes and weekend contrasts (lme4 checks each fit in test_stats_lme4.py).

- on simulated nights the slope's and the weekend contrast's intervals cover the truth in at
  least 88 % of 25 seeds;
- the demo panel's generated weekend delay of bedtime (50-100 minutes on Friday and Saturday
  nights) is found, and its random slopes are singular, so the model falls back with a warning;
- covariates adjust the slope (a night-level covariate that rises over the nights: the adjusted
  interval covers the true slope, the unadjusted one does not) and give their own effects; the
  demo's weekend delay is unchanged when adjusted for age, sex and BMI;
- clear errors for a design without change over nights, and for covariates the model cannot use.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.sm_exceptions import ConvergenceWarning

import asleep_nb
from asleep_nb.errors import ValidationError
from asleep_nb.resources import demo_data_dir
from asleep_nb.stats import trend


def simulate(seed: int, n_users: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nights = pd.Timestamp("2025-01-06") + pd.to_timedelta(np.arange(14), unit="D")
    day = np.arange(14.0)
    weekend = nights.day_of_week.isin([4, 5]).astype(float)
    rows = []
    for i in range(n_users):
        slope = 0.05 + rng.normal(0, 0.03)
        value = 7 + rng.normal(0, 0.5) + slope * day + 0.4 * weekend + rng.normal(0, 0.3, 14)
        rows.append(pd.DataFrame({"user_id": f"u{i:02d}", "group": "all", "night": nights, "score": value}))
    return pd.concat(rows, ignore_index=True)


def test_trend_covers_the_simulated_slope_and_weekend_contrast():
    hits = {"per night": 0, "weekend - weekday": 0}
    truth = {"per night": 0.05, "weekend - weekday": 0.4}
    slopes = 0
    for seed in range(25):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = trend(simulate(seed), "score")
        slopes += out.attrs["random"] == "intercept and slope"
        for term in hits:
            row = out.loc[("all", term)]
            hits[term] += bool(row["ci_low"] <= truth[term] <= row["ci_high"])
    assert min(hits.values()) >= 22, hits  # 95% intervals: at least 88% of 25
    assert slopes >= 18  # the random slope is kept where the data show it


@pytest.fixture(scope="module")
def panel():
    return asleep_nb.load_cohort(asleep_nb.connect(), demo_data_dir() / "panel.csv", progress=False)


def test_demo_weekend_delay_and_the_fallback(panel):
    with pytest.warns(UserWarning, match="falling back to a random intercept only"):
        out = trend(panel, "sleep_time")
    assert out.attrs["random"] == "intercept" and out.attrs["formula"].endswith("(1 | user_id)")
    weekend = out.loc[("panel", "weekend - weekday")]
    assert 50 / 60 < weekend["estimate"] < 100 / 60 and weekend["p_value"] < 0.001
    assert (
        out.loc[("panel", "per night"), "n_users"] == 8 and out.attrs["units"] == "h (local clock) per night"
    )


def test_two_groups_give_the_difference_of_slopes(panel):
    table = asleep_nb.stats_table(panel)
    users = sorted(table["user_id"].unique())
    table["half"] = np.where(table["user_id"].isin(users[:4]), "first", "second")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = trend(table, "sleep_time", by="half")
    assert out.index.get_level_values(0).unique().tolist() == ["first", "second", "second - first"]
    difference = out.loc[("second - first", "per night"), "estimate"]
    slopes = out.xs("per night", level="term")["estimate"]
    assert difference == pytest.approx(slopes["second"] - slopes["first"])


def test_trend_errors():
    one_night = pd.DataFrame({"user_id": ["a", "b"], "group": "g", "night": pd.Timestamp("2025-01-06"),
                              "score": [1.0, 2.0]})  # fmt: skip
    with pytest.raises(ValidationError, match="single night"):
        trend(one_night, "score")
    with pytest.raises(ValidationError, match="has 1 user"):
        trend(simulate(0).query("user_id == 'u00'"), "score")
    short = simulate(0).groupby("user_id").head(2)  # two nights each: no random slope
    with pytest.warns(UserWarning, match="no random slope per user"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="group .* has only weekday nights")  # two nights each
        assert trend(short, "score").attrs["random"] == "intercept"


def simulate_adjusted(seed: int, n_users: int = 16) -> pd.DataFrame:
    """Nights whose value also follows a night-level covariate that rises over the nights.

    ``caffeine`` rises by 0.1 a night (with noise) and adds 0.3 a unit, so the slope is 0.05 once
    adjusted for it and about 0.08 without; ``age`` (per user) adds 0.02 a year.
    """
    rng = np.random.default_rng(seed)
    nights = pd.Timestamp("2025-01-06") + pd.to_timedelta(np.arange(14), unit="D")
    day = np.arange(14.0)
    rows = []
    for i in range(n_users):
        age = rng.uniform(20, 70)
        caffeine = 0.1 * day + rng.normal(0, 0.5, 14)
        value = (7 + 0.02 * (age - 45) + rng.normal(0, 0.3) + (0.05 + rng.normal(0, 0.01)) * day
                 + 0.3 * caffeine + rng.normal(0, 0.2, 14))  # fmt: skip
        rows.append(pd.DataFrame({"user_id": f"u{i:02d}", "group": "all", "night": nights, "age": age,
                                  "caffeine": caffeine, "score": value}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def test_covariates_adjust_the_slope_and_give_their_own_effects():
    covered = {"per night": 0, "caffeine": 0, "age": 0}
    plain_covered = 0
    for seed in range(12):
        data = simulate_adjusted(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = trend(data, "score", covariates=["caffeine", "age"])
            plain = trend(data, "score")
        slope, effects = out.loc[("all", "per night")], out.attrs["covariates"]
        covered["per night"] += bool(slope["ci_low"] <= 0.05 <= slope["ci_high"])
        for name, truth in (("caffeine", 0.3), ("age", 0.02)):
            covered[name] += bool(effects.loc[name, "ci_low"] <= truth <= effects.loc[name, "ci_high"])
        row = plain.loc[("all", "per night")]
        plain_covered += bool(row["ci_low"] <= 0.05 <= row["ci_high"])
    assert min(covered.values()) >= 10, covered  # 95% intervals: at least 10 of 12
    assert plain_covered <= 2  # without the covariate the slope is about 0.08: adjusting is what finds 0.05
    assert out.attrs["adjusted_for"] == ["caffeine", "age"]
    fixed = out.attrs["formula"].split(" + (")[0]  # the random part is the data's (a slope or not)
    assert fixed == "score ~ 0 + group + group:night + group:weekend + caffeine + age"
    assert effects.columns.tolist() == ["mean", "ci_low", "ci_high", "p_value"]


def test_demo_trend_adjusted_for_the_manifest_covariates(panel):
    with pytest.warns(UserWarning, match="falling back to a random intercept only"):
        out = trend(panel, "sleep_time", covariates=["age", "sex", "bmi"])
    assert out.attrs["formula"] == (
        "sleep_time ~ 0 + group + group:night + group:weekend + age + sex + bmi + (1 | user_id)"
    )
    assert out.attrs["covariates"].index.tolist() == ["age", "sex[male]", "sex[prefer_not_to_say]", "bmi"]
    weekend = out.loc[("panel", "weekend - weekday")]  # a within-user contrast: the covariates leave it
    assert 50 / 60 < weekend["estimate"] < 100 / 60 and weekend["p_value"] < 0.001
    with pytest.warns(UserWarning, match="falling back"):
        plain = trend(panel, "sleep_time")
    unadjusted = plain.loc[("panel", "weekend - weekday"), "estimate"]
    assert weekend["estimate"] == pytest.approx(unadjusted, rel=0.05)
    assert plain.attrs["adjusted_for"] == [] and plain.attrs["covariates"].empty


def test_covariate_errors_and_missing_values():
    data = simulate_adjusted(0)
    with pytest.raises(KeyError, match=r"no column\(s\) \['height'\]"):
        trend(data, "score", covariates=["height"])
    with pytest.raises(ValidationError, match="covariate 'site' is constant"):
        trend(data.assign(site="lab"), "score", covariates=["site"])
    data["half"] = np.where(data["user_id"] < "u08", "first", "second")
    with pytest.raises(ValidationError, match="covariate 'arm' is collinear with the half"):
        trend(data.assign(arm=data["half"]), "score", by="half", covariates=["arm"])
    with pytest.raises(ValidationError, match="missing in every one"):
        trend(data.assign(age=np.nan), "score", covariates=["age"])
    parts = {"score": "the outcome", "half": "the grouping", "user_id": "the user", "night": "the time axis"}
    for column, part in parts.items():
        with pytest.raises(ValidationError, match=f"covariate '{column}' is {part}.* in the model already"):
            trend(data, "score", by="half", covariates=["age", column])
    holes = data.copy()
    holes.loc[holes["user_id"] == "u03", "age"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = trend(holes, "score", covariates=["age"])
    assert any("14 of 224 nights have no value of a covariate" in str(w.message) for w in caught)
    assert out.loc[("all", "per night"), ["n_users", "n_nights"]].tolist() == [15, 210]
