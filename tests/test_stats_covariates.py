"""Covariates: from the manifest into the cohort and the stats table, into adjusted comparisons and Table 1.

- extra manifest columns become per-session coordinates and stats-table columns, numbers as
  ``float64`` and text as categories; a near miss of a known column is still an error;
- the demo's ``study.csv`` and ``panel.csv`` carry age, sex and BMI generated from the users'
  metadata (recomputed here from ``users/*.json``);
- ``compare_groups(..., covariates=...)`` recovers a simulated adjusted effect (coverage over
  seeds) where the unadjusted comparison is biased; lme4 checks each fit in ``test_stats_lme4.py``;
- Table 1's balance rows equal pandas group-bys of user values;
- clear errors: a constant, all-missing or group-collinear covariate, one that is already in the model
  (the outcome, the grouping, the user), covariates with the bootstrap.
"""

from __future__ import annotations

import json
import warnings
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from statsmodels.tools.sm_exceptions import ConvergenceWarning

import asleep_nb
from asleep_nb.data.manifest import covariate_columns, read_manifest
from asleep_nb.errors import ManifestError, ValidationError
from asleep_nb.resources import demo_data_dir
from asleep_nb.stats import compare_groups, table_one


@pytest.fixture(scope="module")
def study():
    """The demo's study.csv and panel.csv together: healthy, apnea and panel users with covariates."""
    manifest = pd.concat(
        [pd.read_csv(demo_data_dir() / "study.csv"), pd.read_csv(demo_data_dir() / "panel.csv")]
    )
    return asleep_nb.load_cohort(asleep_nb.connect(), manifest.reset_index(drop=True), progress=False)


def simulate(seed: int, n_users: int = 24) -> pd.DataFrame:
    """Treated users are older (confounding); age +0.08 per year, male -0.6, treatment +0.5."""
    rng = np.random.default_rng(seed)
    nights = rng.integers(3, 8, n_users)
    treated = np.arange(n_users) >= n_users // 2
    age = np.where(treated, rng.uniform(45, 75, n_users), rng.uniform(25, 55, n_users))
    sex = rng.choice(["female", "male"], n_users)
    person = rng.normal(0.0, 0.8, n_users)
    mean = 5.0 + 0.5 * treated + 0.08 * (age - 50) - 0.6 * (sex == "male") + person
    return pd.DataFrame({
        "user_id": np.repeat([f"u{i:02d}" for i in range(n_users)], nights),
        "group": np.repeat(np.where(treated, "treated", "control"), nights),
        "age": np.repeat(age.round(1), nights), "sex": np.repeat(sex, nights),
        "score": np.repeat(mean, nights) + rng.normal(0.0, 0.7, nights.sum()),
    })  # fmt: skip


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return function(*args, **kwargs)


# ----------------------------------------------------------------------------- manifest -> cohort -> table
def test_extra_manifest_columns_are_typed_covariates():
    table = read_manifest(pd.DataFrame({"user_id": ["G-1", "G-2", "G-3"], "group": ["a", "b", "a"],
                                        "age": ["41.5", "", "30"], "sex": ["male", "female", ""],
                                        "site": [1, 2, "x"]}))  # fmt: skip
    assert covariate_columns(table) == ["age", "sex", "site"]
    assert table["age"].dtype == np.float64 and np.isnan(table["age"].iloc[1])
    assert table["sex"].tolist() == ["male", "female", None]
    assert table["site"].tolist() == ["1", "2", "x"]  # a text cell makes the column text


@pytest.mark.parametrize(("column", "hint"), [("sesion_id", "session_id"), ("timezon", "timezone"),
                                              ("groups", "group"), ("date_lt", "date_lte")])  # fmt: skip
def test_a_misspelt_known_column_is_still_an_error(column, hint):
    with pytest.raises(ManifestError, match=rf"unknown column\(s\) '{column}' \(did you mean '{hint}'\?\)"):
        read_manifest(pd.DataFrame({"user_id": ["G-1"], "group": ["a"], column: ["x"]}))


def test_covariates_flow_into_the_cohort_and_the_stats_table(study):
    assert study["age"].dtype == np.float64 and study["sex"].dtype == object
    assert study["bmi"].attrs["covariate"] == "manifest column"
    table = asleep_nb.stats_table(study)
    assert table.columns[-3:].tolist() == ["age", "sex", "bmi"]
    assert table["age"].dtype == np.float64 and isinstance(table["sex"].dtype, pd.CategoricalDtype)
    assert list(table["sex"].cat.categories) == sorted(table["sex"].dropna().unique())


def test_demo_covariates_come_from_the_users_metadata(study):
    table = asleep_nb.stats_table(study)
    for _, row in table.sample(12, random_state=0).iterrows():
        meta = json.loads((demo_data_dir() / "users" / f"{row['user_id']}.json").read_text())["metadata"]
        start = pd.Timestamp(row["start_time"]).tz_convert("UTC").isoformat()
        night = datetime.fromisoformat(start).astimezone(ZoneInfo(row["timezone"])).date()
        born = date(meta["birth_year"], meta["birth_month"], meta["birth_day"])
        assert row["age"] == round((night - born).days / 365.25, 1)
        assert row["sex"] == meta["gender"]
        assert row["bmi"] == round(meta["weight"] / (meta["height"] / 100) ** 2, 1)


# ----------------------------------------------------------------------------- adjusted comparisons
def test_adjustment_recovers_the_simulated_effect_over_seeds():
    hits, crude_hits, seeds = 0, 0, 60
    for seed in range(seeds):
        data = simulate(seed)
        row = quiet(compare_groups, data, "score", method="mixed", covariates=["age", "sex"]).loc[
            "treated - control"
        ]
        crude = quiet(compare_groups, data, "score", method="mixed").loc["treated - control"]
        hits += bool(row["ci_low"] <= 0.5 <= row["ci_high"])
        crude_hits += bool(crude["ci_low"] <= 0.5 <= crude["ci_high"])
    assert hits >= 0.9 * seeds, f"adjusted interval covered 0.5 in {hits} of {seeds} seeds"
    assert crude_hits < 0.5 * seeds  # confounded by age: unadjusted intervals miss the effect


def test_adjusted_comparison_records_its_covariates():
    out = quiet(compare_groups, simulate(0), "score", method="mixed", covariates=["age", "sex"])
    assert out.attrs["adjusted_for"] == ["age", "sex"]
    assert out.attrs["formula"] == "score ~ group (reference 'control') + age + sex + (1 | user_id)"
    effects = out.attrs["covariates"]
    assert effects.index.tolist() == ["age", "sex[male]"]
    assert effects.loc["age", "ci_low"] < 0.08 < effects.loc["age", "ci_high"]


def test_covariate_errors(study):
    data = simulate(1)
    with pytest.raises(ValidationError, match="covariate 'site' is constant"):
        compare_groups(data.assign(site="Paris"), "score", method="mixed", covariates=["site"])
    with pytest.raises(ValidationError, match="covariate 'bmi' is missing in every one of the"):
        compare_groups(data.assign(bmi=np.nan), "score", method="mixed", covariates=["bmi"])
    with pytest.raises(ValidationError, match="covariate 'arm' is collinear with the group"):
        compare_groups(data.assign(arm=data["group"].map({"control": "A", "treated": "B"})), "score",
                       method="mixed", covariates=["arm"])  # fmt: skip
    with pytest.raises(ValidationError, match="adjusted for by the mixed model only: use method='mixed'"):
        compare_groups(data, "score", covariates=["age"])
    with pytest.raises(KeyError, match="bmi"):
        compare_groups(data, "score", method="mixed", covariates=["bmi"])
    gappy = data.assign(age=data["age"].mask(data["user_id"] == "u00"))
    with pytest.warns(UserWarning, match="have no value of a covariate"):
        quiet(compare_groups, gappy, "score", method="mixed", covariates=["age"])
    for column, part in (("score", "the outcome"), ("group", "the grouping"), ("user_id", "the user")):
        with pytest.raises(ValidationError, match=f"covariate '{column}' is {part}.* in the model already"):
            compare_groups(data, "score", method="mixed", covariates=["age", column])


# ----------------------------------------------------------------------------- Table 1 balance
def test_table_one_balance_rows_equal_pandas(study):
    text = quiet(table_one, study, groups=["apnea", "panel"], metrics=["sleep_efficiency"], method="mixed",
                 covariates=["age", "sex"], balance=["age", "sex", "bmi"])  # fmt: skip
    table = asleep_nb.stats_table(study)
    per_user = table.groupby(["group", "user_id"], observed=True).agg(
        age=("age", "mean"), bmi=("bmi", "mean"), sex=("sex", "first"))  # fmt: skip
    for g in ("apnea", "panel"):
        mine = per_user.loc[g]
        assert (
            text.loc["age, mean (SD)", f"{g}: mean (SD)"]
            == f"{mine['age'].mean():.1f} ({mine['age'].std():.1f})"
        )
        assert (
            text.loc["bmi, mean (SD)", f"{g}: mean (SD)"]
            == f"{mine['bmi'].mean():.1f} ({mine['bmi'].std():.1f})"
        )
        n = int((mine["sex"] == "female").sum())
        assert text.loc["sex = female, n (%)", f"{g}: mean (SD)"] == f"{n} ({100 * n / len(mine):.0f}%)"
    assert text.loc["Sleep efficiency (%)", "method"] == "mixed model, Wald, adjusted for age, sex"
    assert "fit" in text.columns


def test_covariates_survive_a_store_round_trip(tmp_path):
    from asleep_nb.data.store import open_cohort, to_zarr

    manifest = pd.read_csv(demo_data_dir() / "study.csv")
    manifest.loc[0, "sex"], manifest.loc[1, "age"] = None, None
    cohort = asleep_nb.load_cohort(asleep_nb.connect(), manifest, progress=False)
    to_zarr(cohort, tmp_path / "c.zarr")
    before, after = asleep_nb.stats_table(cohort), asleep_nb.stats_table(open_cohort(tmp_path / "c.zarr"))
    pd.testing.assert_frame_equal(before[["age", "sex", "bmi"]], after[["age", "sex", "bmi"]])
    assert before["sex"].isna().sum() == 1 and before["age"].isna().sum() == 1
