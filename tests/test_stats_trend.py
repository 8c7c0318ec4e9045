"""stats.trend: per-night slopes and weekend contrasts (lme4 checks each fit in test_stats_lme4.py).

- on simulated nights the slope's and the weekend contrast's intervals cover the truth in at
  least 88 % of 25 seeds;
- the demo panel's generated weekend delay of bedtime (50-100 minutes on Friday and Saturday
  nights) is found, and its random slopes are singular, so the model falls back with a warning;
- clear errors for a design without change over nights.
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
