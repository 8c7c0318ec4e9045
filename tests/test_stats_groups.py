"""Cohort statistics against the libraries that define them: statsmodels, scipy, pandas.

- ``compare_groups(method="mixed")`` and ``compare_periods(method="mixed")``
  equal ``statsmodels.formula.api.mixedlm(...).fit(reml=True)`` on the same
  table where statsmodels reaches the REML optimum (within 1e-5; lme4 is the
  oracle of every fit in ``test_stats_lme4.py``); the simulated effect is
  inside the interval in at least 90 % of 200 seeds;
- the bootstrap paths equal ``scipy.stats.bootstrap`` with the same seed
  (and the percentile path the hand-written bootstrap it replaced);
- ``table_one`` equals pandas group-bys of user means;
- clear errors for a single group, a group with one user, a missing
  ``period`` and a metric that is all NaN.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import statsmodels.formula.api as smf
from statsmodels.stats.meta_analysis import effectsize_smd
from statsmodels.tools.sm_exceptions import ConvergenceWarning

import asleep_nb
from asleep_nb.definitions import axis_label, format_estimate, format_value
from asleep_nb.errors import ValidationError
from asleep_nb.resources import demo_data_dir
from asleep_nb.stats import (
    compare_groups,
    compare_periods,
    fdr_adjust,
    hedges_g,
    table_one,
    table_one_numbers,
)
from asleep_nb.stats.night import research_sleep_latency

SEED = 3


# ----------------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def demo_cohort():
    """The demo's healthy, apnea and panel users (the stand-in starts on first use)."""
    manifest = pd.read_csv(demo_data_dir() / "manifest.csv")
    manifest = manifest[manifest["group"].isin(["healthy", "apnea", "panel"])]
    return asleep_nb.load_cohort(asleep_nb.connect(), manifest.reset_index(drop=True))


@pytest.fixture(scope="module")
def demo_table(demo_cohort):
    return asleep_nb.stats_table(demo_cohort)


@pytest.fixture(scope="module")
def panel(demo_table):
    """The panel (8 users x 14 nights): ``half`` splits users 4/4, ``period`` their first/last 7 nights."""
    table = demo_table[demo_table["group"] == "panel"].copy()
    users = sorted(table["user_id"].unique())
    table["half"] = np.where(table["user_id"].isin(users[:4]), "first", "second")
    day = (table["night"] - table.groupby("user_id")["night"].transform("min")).dt.days
    table["period"] = np.where(day < 7, "baseline", "intervention")
    return table


def simulate(seed: int, effect: float = 0.8, n_users: int = 20) -> pd.DataFrame:
    """Nights nested in users: a user intercept (SD 1), night noise (SD 1), ``effect`` in ``treated``."""
    rng = np.random.default_rng(seed)
    nights = rng.integers(3, 9, n_users)
    users = np.repeat([f"u{i:02d}" for i in range(n_users)], nights)
    group = np.repeat(np.where(np.arange(n_users) < n_users // 2, "control", "treated"), nights)
    person = np.repeat(rng.normal(0.0, 1.0, n_users), nights)
    value = 7.0 + effect * (group == "treated") + person + rng.normal(0.0, 1.0, users.size)
    return pd.DataFrame({"user_id": users, "group": group, "score": value})


def simulate_periods(seed: int, change: float = -0.5, n_users: int = 12) -> pd.DataFrame:
    """Each user seen 5 nights per period; the intervention shifts every user by ``change``."""
    rng = np.random.default_rng(seed)
    users = np.repeat([f"u{i:02d}" for i in range(n_users)], 10)
    period = np.tile(np.repeat(["baseline", "intervention"], 5), n_users)
    person = np.repeat(rng.normal(0.0, 1.0, n_users), 10)
    value = 5.0 + change * (period == "intervention") + person + rng.normal(0.0, 0.7, users.size)
    return pd.DataFrame({"user_id": users, "period": period, "score": value})


def statsmodels_fit(table: pd.DataFrame, name: str, by: str, reference: str):
    data = table.dropna(subset=[name])
    formula = f"{name} ~ C({by}, Treatment({reference!r}))"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smf.mixedlm(formula, data, groups=data["user_id"]).fit(reml=True)


def assert_equals_statsmodels(out: pd.DataFrame, fit, level: str, reference: str) -> None:
    """Our fit is never short of statsmodels' optimum, and agrees with it (lme4 is the exact oracle)."""
    term = f"C({out.index.name}, Treatment({reference!r}))[T.{level}]"
    row = out.loc[f"{level} - {reference}"]
    low, high = fit.conf_int(alpha=0.05).loc[term]
    assert out.attrs["llf"] >= fit.llf - 1e-9  # never short of statsmodels' own optimum
    assert row["mean"] == pytest.approx(fit.params[term], rel=1e-3)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-3)
    assert out.loc[reference, "mean"] == pytest.approx(fit.params["Intercept"], rel=1e-3)
    assert out.loc[level, "mean"] == pytest.approx(fit.params["Intercept"] + fit.params[term], rel=1e-3)
    user_var, residual = float(fit.cov_re.iloc[0, 0]), float(fit.scale)
    total = user_var + residual
    assert out.attrs["user_variance"] == pytest.approx(user_var, abs=1e-3 * total)
    assert out.attrs["residual_variance"] == pytest.approx(residual, rel=1e-3)
    assert out.attrs["icc"] == pytest.approx(user_var / total, abs=1e-3)


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return function(*args, **kwargs)


# ----------------------------------------------------------------------------- mixed model
@pytest.mark.parametrize("name", ["time_in_sleep", "sleep_efficiency", "waso_count"])
def test_mixed_equals_statsmodels_on_the_demo_panel(panel, name):
    out = quiet(compare_groups, panel, name, by="half", method="mixed")
    assert out.index.tolist() == ["first", "second", "second - first"]
    assert_equals_statsmodels(out, statsmodels_fit(panel, name, "half", "first"), "second", "first")
    assert out.attrs["method"] == "mixed" and out.attrs["interval"] == "Wald"
    assert out.loc["first", "n_users"] == 4 and out.loc["first", "n_nights"] == 56


@pytest.mark.parametrize("seed", range(5))
def test_mixed_equals_statsmodels_on_simulated_data(seed):
    table = simulate(seed)
    out = quiet(compare_groups, table, "score", method="mixed", reference="treated")
    assert_equals_statsmodels(out, statsmodels_fit(table, "score", "group", "treated"), "control", "treated")


def test_mixed_interval_covers_the_simulated_effect_in_200_seeds():
    hits = 0
    for seed in range(200):
        row = quiet(compare_groups, simulate(seed), "score", method="mixed").loc["treated - control"]
        hits += bool(row["ci_low"] <= 0.8 <= row["ci_high"])
    assert hits >= 180, f"the 95% interval covered the effect in {hits} of 200 seeds"


def test_fit_warnings_reach_the_user():
    users = np.repeat([f"u{i:02d}" for i in range(20)], 5)  # no user effect: REML puts its variance at 0
    table = pd.DataFrame({"user_id": users, "group": np.repeat(["a", "b"], 50),
                          "score": np.random.default_rng(1).normal(0, 1, 100)})  # fmt: skip
    with pytest.warns(ConvergenceWarning, match=r"mixed model score ~ group .*on the boundary, 0 \(singular"):
        out = compare_groups(table, "score", method="mixed")
    assert out.attrs["converged"] and out.attrs["boundary"] and out.attrs["icc"] == 0
    assert "boundary" in out.attrs["fit_warnings"][0]
    text = quiet(table_one, table, metrics=["score"], method="mixed")
    assert text["fit"].tolist() == ["boundary"]  # visible in Table 1


def test_mixed_needs_a_design_it_can_estimate(demo_table, panel):
    one_night = demo_table[demo_table["group"].isin(["healthy", "apnea"])]
    with pytest.raises(ValidationError, match="single night"):
        compare_groups(one_night, "time_in_sleep", method="mixed")
    with pytest.raises(ValidationError, match="at least two groups"):
        compare_groups(panel, "time_in_sleep", method="mixed")
    lone = panel[(panel["half"] == "first") | (panel["user_id"] == panel["user_id"].max())]
    with pytest.raises(ValidationError, match="'second' has 1 user"):
        compare_groups(lone, "time_in_sleep", by="half", method="mixed")


# ----------------------------------------------------------------------------- bootstrap
def _difference(a, b, axis=-1):
    return np.mean(b, axis=axis) - np.mean(a, axis=axis)


@pytest.mark.parametrize("interval", ["percentile", "BCa"])
def test_bootstrap_equals_scipy_with_the_same_seed(demo_table, interval):
    out = compare_groups(demo_table, "sleep_efficiency", groups=["healthy", "apnea"], n_boot=999, seed=SEED,
                         interval=interval)  # fmt: skip
    per_user = demo_table.groupby(["group", "user_id"])["sleep_efficiency"].mean()
    healthy, apnea = per_user["healthy"].to_numpy(), per_user["apnea"].to_numpy()
    rng = np.random.default_rng(SEED)  # the groups draw in turn from one generator
    for group, values in (("healthy", healthy), ("apnea", apnea)):
        ci = scipy.stats.bootstrap((values,), np.mean, n_resamples=999, method=interval, rng=rng)
        assert (out.loc[group, "ci_low"], out.loc[group, "ci_high"]) == pytest.approx(
            (ci.confidence_interval.low, ci.confidence_interval.high), rel=1e-12)  # fmt: skip
    ci = scipy.stats.bootstrap((healthy, apnea), _difference, n_resamples=999, method=interval, rng=SEED)
    row = out.loc["apnea - healthy"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(ci.confidence_interval, rel=1e-12)
    assert row["mean"] == pytest.approx(apnea.mean() - healthy.mean())
    assert row["p_value"] < 0.01 and row["ci_high"] < 0
    assert out.attrs["interval"] == interval and out.attrs["method"] == "bootstrap"


@pytest.mark.parametrize("interval", ["percentile", "basic", "BCa"])
def test_bootstrap_p_inverts_scipys_interval(interval):
    """scipy's interval of level 1 - p, from the same resamples, has 0 as a bound."""
    rng = np.random.default_rng(SEED)
    for _ in range(3):
        a, b = rng.normal(0, 1, 15), rng.normal(0.2, 1.3, 20)
        table = pd.DataFrame({"user_id": range(35), "group": ["a"] * 15 + ["b"] * 20, "score": np.r_[a, b]})
        row = compare_groups(table, "score", interval=interval, n_boot=4999, seed=SEED).loc["b - a"]
        at_p = scipy.stats.bootstrap((a, b), _difference, n_resamples=4999, method=interval, rng=SEED,
                                     confidence_level=1 - row["p_value"]).confidence_interval  # fmt: skip
        assert row["p_value"] > 0.002  # away from the resolution, where the inversion is exact
        assert min(abs(at_p.low), abs(at_p.high)) < 0.01 * (row["ci_high"] - row["ci_low"]), (row, at_p)


def test_welch_interval_and_p_are_scipys(demo_table):
    out = compare_groups(demo_table, "sleep_efficiency", groups=["healthy", "apnea"], method="welch")
    per_user = demo_table.groupby(["group", "user_id"])["sleep_efficiency"].mean()
    healthy, apnea = per_user["healthy"].to_numpy(), per_user["apnea"].to_numpy()
    test = scipy.stats.ttest_ind(apnea, healthy, equal_var=False)
    row = out.loc["apnea - healthy"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(test.confidence_interval(0.95)), rel=1e-12)
    assert row["p_value"] == pytest.approx(test.pvalue, rel=1e-12)
    group_ci = scipy.stats.ttest_1samp(healthy, 0).confidence_interval(0.95)
    assert out.loc["healthy", ["ci_low", "ci_high"]].tolist() == pytest.approx(list(group_ci), rel=1e-12)


@pytest.mark.parametrize("method", ["bootstrap", "welch", "mixed"])
def test_no_interval_excluding_0_beside_p_above_the_level(demo_cohort, method):
    """One method per number: across the demo's Table 1, an interval excludes 0 exactly when p < 0.05."""
    cohort = demo_cohort.isel(session=np.flatnonzero(demo_cohort["group"].isin(["healthy", "apnea"]).values))
    groups = ["healthy", "apnea"]
    if (
        method == "mixed"
    ):  # the two-group demo has one night per user: the mixed model compares with the panel
        cohort, groups = (
            demo_cohort.isel(session=np.flatnonzero(demo_cohort["group"].isin(["apnea", "panel"]).values)),
            ["apnea", "panel"],
        )
    numbers = quiet(table_one_numbers, cohort, groups=groups, method=method, n_boot=999)
    difference = numbers[f"{groups[1]} - {groups[0]}"]
    excludes = (difference["ci_low"] > 0) | (difference["ci_high"] < 0)
    assert excludes.any() and (~excludes).any()  # both kinds of rows are in the table
    p, slack = difference["p_value"], 1 / 999  # the bootstrap's resolution
    shown = difference[["ci_low", "ci_high", "p_value"]]
    assert (p[excludes] < 0.05 + slack).all() and (p[~excludes] > 0.05 - slack).all(), shown
    text = quiet(table_one, cohort, groups=groups, method=method, n_boot=999)
    assert text["method"].nunique() == 1 and text["method"].iloc[0].startswith(
        {"bootstrap": "bootstrap of user means", "welch": "Welch", "mixed": "mixed model"}[method]
    )


def test_bca_with_few_users_warns_and_uses_the_percentile_interval(panel):
    with pytest.warns(UserWarning, match="BCa intervals are unstable with fewer than 10 users"):
        out = compare_groups(panel, "sleep_efficiency", by="half", interval="BCa", n_boot=999)
    percentile = compare_groups(panel, "sleep_efficiency", by="half", interval="percentile", n_boot=999)
    assert out.attrs["interval"] == "percentile"
    pd.testing.assert_frame_equal(out, percentile)


def test_percentile_bootstrap_keeps_the_numbers_of_the_hand_written_one(demo_table):
    """Same resamples as the bootstrap it replaced: notebook 3 and the report keep their numbers."""
    out = compare_groups(demo_table, "time_in_sleep", groups=["healthy", "apnea"], n_boot=2000, seed=0)
    per_user = demo_table.groupby(["group", "user_id"])["time_in_sleep"].mean()
    rng, boots = np.random.default_rng(0), {}
    for group in ("healthy", "apnea"):
        values = per_user[group].to_numpy()
        boots[group] = values[rng.integers(0, values.size, size=(2000, values.size))].mean(axis=1)
        expected = np.quantile(boots[group], [0.025, 0.975])
        assert out.loc[group, ["ci_low", "ci_high"]].tolist() == pytest.approx(expected, rel=1e-12)
    expected = np.quantile(boots["apnea"] - boots["healthy"], [0.025, 0.975])
    assert out.loc["apnea - healthy", ["ci_low", "ci_high"]].tolist() == pytest.approx(expected, rel=1e-12)


def test_hedges_g_equals_statsmodels_and_its_formula():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 9), rng.normal(1, 1, 14)
    g, low, high = hedges_g(a, b)
    smd, variance = effectsize_smd(b.mean(), b.std(ddof=1), b.size, a.mean(), a.std(ddof=1), a.size)
    pooled = np.sqrt(((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2))
    assert g == pytest.approx(smd) == pytest.approx((b.mean() - a.mean()) / pooled * (1 - 3 / (4 * 23 - 9)))
    assert (low, high) == pytest.approx((g - 1.959964 * np.sqrt(variance), g + 1.959964 * np.sqrt(variance)))
    out = compare_groups(pd.DataFrame({"user_id": range(23), "group": ["a"] * 9 + ["b"] * 14,
                                       "score": np.r_[a, b]}), "score")  # fmt: skip
    assert out.loc["b - a", ["effect_size", "effect_ci_low", "effect_ci_high"]].tolist() == pytest.approx(
        [g, low, high])  # fmt: skip
    with pytest.raises(ValidationError, match="two users per group"):
        hedges_g(a[:1], b)


def test_compare_groups_errors_and_options(demo_table):
    healthy = demo_table[demo_table["group"] == "healthy"]
    assert compare_groups(healthy, "time_in_sleep").index.tolist() == ["healthy"]  # one group: described
    with pytest.raises(ValidationError, match="at least two groups"):
        compare_groups(healthy, "time_in_sleep", reference="healthy")
    with pytest.raises(ValidationError, match="'deep_ratio' is missing in every one of the 25 nights"):
        compare_groups(healthy.assign(deep_ratio=np.nan), "deep_ratio")
    with pytest.raises(KeyError, match="reference 'panel'"):
        compare_groups(demo_table, "time_in_sleep", groups=["healthy", "apnea"], reference="panel")
    with pytest.raises(ValueError, match="method"):
        compare_groups(demo_table, "time_in_sleep", method="anova")
    with pytest.raises(ValueError, match="interval"):
        compare_groups(demo_table, "time_in_sleep", interval="studentized")
    three = compare_groups(demo_table, "time_in_sleep", reference="healthy")
    assert three.index.tolist()[3:] == ["apnea - healthy", "panel - healthy"]


# ----------------------------------------------------------------------------- periods
def test_periods_mixed_equals_statsmodels(panel):
    out = quiet(compare_periods, panel, "time_in_sleep")
    assert_equals_statsmodels(out, statsmodels_fit(panel, "time_in_sleep", "period", "baseline"),
                              "intervention", "baseline")  # fmt: skip
    assert out.loc["intervention - baseline", ["n_users", "n_nights"]].tolist() == [8, 112]
    table = simulate_periods(0)
    out = quiet(compare_periods, table, "score", reference="intervention")
    assert_equals_statsmodels(out, statsmodels_fit(table, "score", "period", "intervention"),
                              "baseline", "intervention")  # fmt: skip


def test_paired_equals_scipy(panel):
    out = compare_periods(panel, "sleep_efficiency", method="paired", n_boot=999, seed=SEED)
    wide = panel.groupby(["user_id", "period"])["sleep_efficiency"].mean().unstack()
    before, after = wide["baseline"].to_numpy(), wide["intervention"].to_numpy()
    ci = scipy.stats.bootstrap((before, after), _difference, paired=True, n_resamples=999, rng=SEED,
                               method="percentile")  # fmt: skip
    row = out.loc["intervention - baseline"]
    assert row["mean"] == pytest.approx(np.mean(after - before))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(ci.confidence_interval, rel=1e-12)
    boots = scipy.stats.bootstrap((before, after), _difference, paired=True, n_resamples=999, rng=SEED,
                                  method="percentile").bootstrap_distribution  # fmt: skip
    share = (np.mean(boots < 0) + np.mean(boots <= 0)) / 2  # the interval inverted at 0
    assert row["p_value"] == pytest.approx(
        max(2 * min(share, 1 - share), 1 / 999), abs=1.01 / 999
    )  # ties at 0
    assert out.loc["baseline", "mean"] == pytest.approx(before.mean())
    assert out.attrs["left_out"] == [] and out.attrs["test"].startswith("bootstrap test")


def test_periods_cover_the_simulated_change():
    hits = {"mixed": 0, "paired": 0}
    for seed in range(40):
        table = simulate_periods(seed)
        for method in hits:
            row = quiet(compare_periods, table, "score", method=method, n_boot=500).iloc[-1]
            hits[method] += bool(row["ci_low"] <= -0.5 <= row["ci_high"])
    assert hits["mixed"] >= 34 and hits["paired"] >= 32, hits


def test_periods_from_a_cohort_with_a_period_coordinate(demo_cohort, panel):
    cohort = demo_cohort.isel(session=np.flatnonzero(demo_cohort["group"].values == "panel"))
    by_id = panel.set_index("session_id")["period"]
    cohort = cohort.assign_coords(period=("session", by_id.loc[cohort["session_id"].values].to_numpy()))
    from_cohort = compare_periods(cohort, "time_in_sleep", method="paired", n_boot=200)
    from_table = compare_periods(panel, "time_in_sleep", method="paired", n_boot=200)
    pd.testing.assert_frame_equal(from_cohort, from_table)


def test_period_errors(panel):
    with pytest.raises(ValidationError, match="no 'period' column"):
        compare_periods(panel.drop(columns="period"), "time_in_sleep")
    with pytest.raises(ValidationError, match="3 of 112 nights have no 'period'"):
        compare_periods(panel.assign(period=panel["period"].mask(panel.index.isin(panel.index[:3]), "")),
                        "time_in_sleep")  # fmt: skip
    with pytest.raises(ValidationError, match="at least two periods"):
        compare_periods(panel[panel["period"] == "baseline"], "time_in_sleep")
    between = panel.assign(period=panel["half"])  # each user in one "period": not within-person
    with pytest.raises(ValidationError, match="not a within-person design"):
        compare_periods(between, "time_in_sleep")
    with pytest.raises(ValidationError, match="missing in every one"):
        compare_periods(panel.assign(time_in_sleep=np.nan), "time_in_sleep")
    first = panel["user_id"].min()
    partial = panel[~((panel["user_id"] == first) & (panel["period"] == "intervention"))]
    with pytest.warns(UserWarning, match="1 of 8 users have no nights in every period"):
        out = compare_periods(partial, "time_in_sleep", method="paired", n_boot=200)
    assert out.attrs["left_out"] == [first] and out.loc["intervention - baseline", "n_users"] == 7


# ----------------------------------------------------------------------------- table one
@pytest.fixture(scope="module")
def two_groups(demo_cohort):
    return demo_cohort.isel(session=np.flatnonzero(demo_cohort["group"].isin(["healthy", "apnea"]).values))


def test_table_one_numbers_equal_pandas_groupbys_of_user_means(two_groups):
    numbers = table_one_numbers(two_groups, groups=["healthy", "apnea"], n_boot=500)
    table = asleep_nb.stats_table(two_groups)
    table["research_sleep_latency"] = research_sleep_latency(two_groups).values
    assert numbers.index.tolist()[:4] == ["time_in_bed", "time_in_sleep", "sleep_efficiency",
                                          "research_sleep_latency"]  # fmt: skip
    for name in numbers.index:
        values = pd.to_numeric(table[name]).astype(float)
        per_user = values.groupby([table["group"], table["user_id"]]).mean().dropna()
        by_group = per_user.groupby(level="group")
        expected = pd.DataFrame({
            "n_users": by_group.size(), "n_nights": values.groupby(table["group"]).count(),
            "mean": by_group.mean(), "sd": by_group.std(), "median": by_group.median(),
            "q1": by_group.quantile(0.25), "q3": by_group.quantile(0.75),
        })  # fmt: skip
        for group in ("healthy", "apnea"):
            got = numbers.loc[name, group][expected.columns].to_numpy(dtype=float)
            assert got == pytest.approx(expected.loc[group].to_numpy(dtype=float), rel=1e-12), (name, group)
        compared = compare_groups(table, name, groups=["healthy", "apnea"], n_boot=500)
        difference = numbers.loc[name, "apnea - healthy"]
        assert difference["difference"] == pytest.approx(compared.loc["apnea - healthy", "mean"])
        assert difference["ci_low"] == pytest.approx(compared.loc["apnea - healthy", "ci_low"])
    p = numbers[("apnea - healthy", "p_value")].to_numpy()
    assert numbers[("apnea - healthy", "p_fdr")].to_numpy() == pytest.approx(
        scipy.stats.false_discovery_control(p, method="bh"))  # fmt: skip


def test_table_one_text_uses_the_definitions(two_groups):
    numbers = table_one_numbers(two_groups, groups=["healthy", "apnea"], n_boot=500)
    text = table_one(two_groups, groups=["healthy", "apnea"], n_boot=500)
    assert text.index.tolist() == [axis_label(n) for n in numbers.index]
    assert text.columns.tolist() == [
        "healthy: mean (SD)", "healthy: median [IQR]", "healthy: users (nights)",
        "apnea: mean (SD)", "apnea: median [IQR]", "apnea: users (nights)", "apnea - healthy", "p", "p (FDR)",
        "method",
    ]  # fmt: skip
    row, label = numbers.loc["rem_ratio"], axis_label("rem_ratio")
    mean, sd = format_value("rem_ratio", row[("apnea", "mean")], unit=False), row[("apnea", "sd")] * 100
    assert text.loc[label, "apnea: mean (SD)"] == f"{mean} ({sd:.1f})"
    estimate = format_estimate("rem_ratio", *row["apnea - healthy"][["difference", "ci_low", "ci_high"]],
                               difference=True)  # fmt: skip
    assert text.loc[label, "apnea - healthy"] == estimate and " pp [95% CI " in estimate
    assert text.loc[axis_label("time_in_sleep"), "healthy: users (nights)"] == "25 (25)"
    assert pd.read_csv(pd.io.common.StringIO(text.to_csv()), index_col=0, dtype=str).equals(text)
    assert "Sleep efficiency (\\%)" in text.to_latex(escape=True)
    pytest.importorskip("tabulate")
    assert "| Time in bed (h)" in text.to_markdown()


def test_table_one_errors_and_defaults(demo_table, panel):
    healthy = demo_table[demo_table["group"] == "healthy"]
    with pytest.raises(ValidationError, match="compares groups"):
        table_one(healthy, metrics=["time_in_sleep"])
    with pytest.raises(ValidationError, match="'deep_ratio' is missing in every one"):
        table_one(demo_table.assign(deep_ratio=np.nan), metrics=["deep_ratio"])
    with pytest.warns(UserWarning, match=r"leaves out \['research_sleep_latency'\].*pass the cohort"):
        text = table_one(demo_table, groups=["healthy", "apnea"], n_boot=200, fdr=False)
    assert "p (FDR)" not in text.columns and len(text) == 9
    names = ["time_in_sleep", "deep_ratio"]
    mixed = quiet(table_one_numbers, panel, by="half", metrics=names, method="mixed")
    assert set(mixed.attrs["fits"]) == set(names)
    alone = quiet(compare_groups, panel, "time_in_sleep", by="half", method="mixed")
    assert mixed.loc["time_in_sleep", ("second - first", "difference")] == alone.loc["second - first", "mean"]


def test_fdr_adjust_keeps_missing_values_out_of_the_family():
    p = [0.01, np.nan, 0.04, 0.03]
    adjusted = fdr_adjust(p)
    assert np.isnan(adjusted[1])
    assert adjusted[[0, 2, 3]] == pytest.approx(scipy.stats.false_discovery_control([0.01, 0.04, 0.03]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fdr_adjust([1.5])
