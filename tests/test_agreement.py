"""Epoch-by-epoch and night-by-night agreement against scikit-learn and YASA, on generated and real pairs.

The real pair: the DOD nights (``../shared/data/dod``), device = the Chambon et al. (2018) model's
hypnogram, reference = the five technologists' per-epoch majority (both real; ids and times generated).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from agreement_data import DOD, dod_pair, generated_pair
from sklearn.metrics import (
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from asleep_nb.definitions import class_labels, to_sleep_wake
from asleep_nb.errors import ValidationError
from asleep_nb.stats import bland_altman, epoch_agreement, night_stats_pair, stats_agreement

yasa = pytest.importorskip("yasa")
logging.getLogger("yasa").setLevel(logging.ERROR)

needs_dod = pytest.mark.skipif(
    not (DOD / "dodh_models.json").exists(), reason="../shared/data/dod is missing"
)


def both_scored(dev_stages, ref_stages, classes):
    """The epochs both scored, pooled and per night, straight from the raw arrays (start-aligned pairs)."""
    nights = []
    for d, r in zip(dev_stages, ref_stages, strict=True):
        n = min(d.size, r.size)
        d, r = d[:n], r[:n]
        keep = (d >= 0) & (r >= 0)
        d, r = d[keep], r[keep]
        if classes == 2:
            d, r = to_sleep_wake(d), to_sleep_wake(r)
        nights.append((r.astype(int), d.astype(int)))
    return nights


def check_against_sklearn(result, nights, classes):
    labels = list(range(classes))
    y_ref = np.concatenate([r for r, _ in nights])
    y_dev = np.concatenate([d for _, d in nights])
    assert result.confusion.to_numpy().tolist() == confusion_matrix(y_ref, y_dev, labels=labels).tolist()
    assert list(result.confusion.index) == list(class_labels(classes)) == list(result.confusion.columns)
    pooled = result.pooled
    assert pooled["n_epochs"] == y_ref.size
    assert pooled["accuracy"] == pytest.approx(np.mean(y_ref == y_dev), abs=1e-12)
    assert pooled["kappa"] == pytest.approx(cohen_kappa_score(y_ref, y_dev, labels=labels), abs=1e-12)
    assert pooled["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_ref, y_dev), abs=1e-12)
    macro = f1_score(y_ref, y_dev, labels=labels, average="macro", zero_division=0)
    assert pooled["macro_f1"] == pytest.approx(macro, abs=1e-12)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_ref, y_dev, labels=labels, zero_division=0
    )
    stage = result.by_stage
    np.testing.assert_allclose(stage["sensitivity"], recall, atol=1e-12)
    np.testing.assert_allclose(stage["ppv"], precision, atol=1e-12)
    np.testing.assert_allclose(stage["f1"], f1, atol=1e-12)
    assert stage["n_reference"].tolist() == support.tolist()
    for c, label in enumerate(class_labels(classes)):  # one stage against the rest: the negative class
        neg_p, neg_r, _, _ = precision_recall_fscore_support(
            y_ref == c, y_dev == c, pos_label=False, average="binary"
        )
        assert stage.loc[label, "specificity"] == pytest.approx(neg_r, abs=1e-12)
        assert stage.loc[label, "npv"] == pytest.approx(neg_p, abs=1e-12)
    for (r, d), (_, row) in zip(nights, result.per_night.iterrows(), strict=True):
        assert row["n_epochs"] == r.size
        assert row["accuracy"] == pytest.approx(np.mean(r == d), abs=1e-12)
        assert row["kappa"] == pytest.approx(cohen_kappa_score(r, d, labels=labels), abs=1e-12)
    normalized = result.confusion_normalized
    np.testing.assert_allclose(normalized.sum(axis=1), 1.0)


@pytest.mark.parametrize("classes", [4, 2])
def test_epoch_agreement_equals_scikit_learn_on_generated_pairs(classes):
    device, reference, dev_stages, ref_stages = generated_pair(seed=classes)
    result = epoch_agreement(device, reference, classes=classes, n_boot=200)
    order = [str(s) for s in result.per_night.index]
    ids = [str(s) for s in device["session_id"].values]
    assert order == ids
    check_against_sklearn(result, both_scored(dev_stages, ref_stages, classes), classes)
    low, high = result.pooled["kappa_ci_low"], result.pooled["kappa_ci_high"]
    assert low < result.pooled["kappa"] < high


@needs_dod
@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize(("dataset", "classes"), [("dodh", 4), ("dodo", 4), ("dodh", 2)])
def test_epoch_agreement_equals_scikit_learn_and_yasa_on_the_real_dod_nights(dataset, classes):
    device, reference, dev_stages, ref_stages = dod_pair(dataset)
    result = epoch_agreement(device, reference, classes=classes, n_boot=200)
    nights = both_scored(dev_stages, ref_stages, classes)
    check_against_sklearn(result, nights, classes)
    if classes == 4:  # the README of the data: about 84 % five-class accuracy; four classes do better
        assert 0.75 < result.pooled["accuracy"] < 0.95
        names = np.array(["WAKE", "LIGHT", "DEEP", "REM"])
        refs = [yasa.Hypnogram(list(names[r]), n_stages=4, scorer="PSG") for r, _ in nights]
        devs = [yasa.Hypnogram(list(names[d]), n_stages=4, scorer="Device") for _, d in nights]
        theirs = yasa.EpochByEpochAgreement(refs, devs).get_agreement()
        np.testing.assert_allclose(result.per_night["kappa"], theirs["kappa"], atol=1e-12)
        np.testing.assert_allclose(result.per_night["accuracy"] * 100, theirs["accuracy"], atol=1e-10)


def test_only_epochs_both_scored_count():
    device, reference, dev_stages, _ref_stages = generated_pair(seed=9, users=2, nights=1)
    stages = reference["sleep_stage"].values.copy()
    stages[0, 100:130] = -1  # unscored by the reference
    reference = reference.assign(sleep_stage=(("session", "epoch"), stages))
    result = epoch_agreement(device, reference, n_boot=100)
    n_ref = [int(reference["n_epochs"].values[i]) for i in range(2)]
    expected = sum(
        int(((d[: min(d.size, n)] >= 0) & (stages[i, : min(d.size, n)] >= 0)).sum())
        for i, (d, n) in enumerate(zip(dev_stages, n_ref, strict=True))
    )
    assert result.pooled["n_epochs"] == expected
    assert result.overlap["reference_unscored"].iloc[0] == 30
    assert result.overlap["scored_epochs"].sum() == expected


def test_the_bootstrap_resamples_participants_as_blocks():
    device, reference, _, _ = generated_pair(seed=5, users=5, nights=2)
    base = epoch_agreement(device, reference, n_boot=500, seed=3)
    # every participant's nights twice over: a participant-level bootstrap sees the same participants
    twice_dev = _twice(device)
    twice_ref = _twice(reference)
    doubled = epoch_agreement(twice_dev, twice_ref, n_boot=500, seed=3)
    assert doubled.pooled["n_epochs"] == 2 * base.pooled["n_epochs"]
    assert doubled.pooled["kappa_ci_low"] == pytest.approx(base.pooled["kappa_ci_low"], abs=1e-12)
    assert doubled.pooled["kappa_ci_high"] == pytest.approx(base.pooled["kappa_ci_high"], abs=1e-12)
    # the same nights, each its own participant: more units, a narrower interval
    alone = device.assign_coords(user_id=("session", [f"p{i}" for i in range(device.sizes["session"])]))
    separate = epoch_agreement(alone, reference.assign_coords(user_id=alone["user_id"]), n_boot=500, seed=3)
    assert separate.pooled["kappa"] == base.pooled["kappa"]
    width = base.pooled["kappa_ci_high"] - base.pooled["kappa_ci_low"]
    assert separate.pooled["kappa_ci_high"] - separate.pooled["kappa_ci_low"] < width
    again = epoch_agreement(device, reference, n_boot=500, seed=3)
    assert again.pooled.equals(base.pooled)
    one = device.assign_coords(user_id=("session", ["p"] * device.sizes["session"]))
    one_ref = reference.assign_coords(user_id=one["user_id"])
    assert np.isnan(epoch_agreement(one, one_ref, n_boot=100).pooled["kappa_ci_low"])


def _twice(cohort):
    import xarray as xr

    copy = cohort.copy()
    renamed = [f"{s[:-5]}z{i:04d}" for i, s in enumerate(cohort["session_id"].values)]
    copy = copy.assign_coords(session_id=("session", renamed))
    return xr.concat([cohort, copy], dim="session")


def test_bad_input_is_named():
    device, reference, _, _ = generated_pair(seed=1, users=2, nights=1)
    with pytest.raises(ValueError, match="classes must be 4"):
        epoch_agreement(device, reference, classes=3)  # type: ignore[arg-type]
    blank = reference.assign(sleep_stage=reference["sleep_stage"].where(reference["sleep_stage"] < 0, -1))
    with pytest.raises(ValidationError, match="no epoch was scored by both"):
        epoch_agreement(device, blank, n_boot=100)
    with pytest.raises(ValidationError, match="no numeric sleep statistic named"):
        stats_agreement(device, reference, metrics=["sleep_time"])


# ------------------------------------------------------------------ night by night
def _tables(seed=0, n=40):
    rng = np.random.default_rng(seed)
    ref = rng.normal(400, 40, n)
    index = pd.Index([f"s{i}" for i in range(n)], name="session_id")
    reference = pd.DataFrame({"constant": ref, "proportional": ref, "spread": ref}, index=index)
    device = pd.DataFrame(
        {
            "constant": ref + 10 + rng.normal(0, 15, n),
            "proportional": ref + 0.3 * (ref - 400) + rng.normal(0, 15, n),
            "spread": ref + rng.normal(0, 1, n) * (ref - 300) * 0.4,
        },
        index=index,
    )
    return reference, device


def _yasa_row(ssa, name):
    summary = ssa.summary(ci_method="param")
    values = summary.loc[name]
    assumptions = ssa.assumptions.loc[name]
    return values, assumptions


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bland_altman_equals_yasa_with_one_night_per_participant(seed):
    reference, device = _tables(seed)
    ssa = yasa.SleepStatsAgreement(reference, device)
    for name in reference.columns:
        ours = bland_altman(reference[name], device[name], n_boot=200)
        values, assumptions = _yasa_row(ssa, name)
        assert ours["bias"] == pytest.approx(values[("bias_mean", "center")], rel=1e-12)
        assert ours["bias_ci_low"] == pytest.approx(values[("bias_mean", "lower")], rel=1e-10)
        assert ours["bias_ci_high"] == pytest.approx(values[("bias_mean", "upper")], rel=1e-10)
        assert ours["proportional_slope"] == pytest.approx(assumptions[("constant_bias", "slope")], rel=1e-10)
        assert ours["proportional_p"] == pytest.approx(
            assumptions[("constant_bias", "pvalue")], rel=1e-8, abs=1e-300
        )
        assert ours["heteroscedasticity_p"] == pytest.approx(
            assumptions[("homoscedastic", "pvalue")], rel=1e-8
        )
        yasa_bias = {"param": "parametric", "regr": "regression"}[assumptions[("constant_bias", "method")]]
        yasa_loa = {"param": "parametric", "regr": "regression"}[assumptions[("homoscedastic", "method")]]
        assert (ours["bias_method"], ours["loa_method"]) == (yasa_bias, yasa_loa)
        if ours["bias_method"] == "regression":
            assert ours["bias_intercept"] == pytest.approx(values[("bias_intercept", "center")], rel=1e-10)
            assert ours["bias_slope"] == pytest.approx(values[("bias_slope", "center")], rel=1e-10)
        if ours["loa_method"] == "regression":
            z = 1.96 * np.sqrt(np.pi / 2)
            assert ours["loa_intercept"] == pytest.approx(z * values[("loa_intercept", "center")], rel=1e-10)
            assert ours["loa_slope"] == pytest.approx(z * values[("loa_slope", "center")], rel=1e-10)
        elif ours["bias_method"] == "regression":
            assert ours["loa_intercept"] == pytest.approx(values[("loa_halfwidth", "center")], rel=1e-10)
        else:
            for ours_key, theirs in (("loa_low", "loa_lower"), ("loa_high", "loa_upper")):
                assert ours[ours_key] == pytest.approx(values[(theirs, "center")], rel=1e-12)
                assert ours[f"{ours_key}_ci_low"] == pytest.approx(values[(theirs, "lower")], rel=1e-10)
                assert ours[f"{ours_key}_ci_high"] == pytest.approx(values[(theirs, "upper")], rel=1e-10)
            assert ours["ci_method"] == "parametric"
    methods = {n: bland_altman(reference[n], device[n], n_boot=200)["loa_method"] for n in reference}
    if seed == 0:  # the three cases are what they were made to be
        assert methods == {"constant": "parametric", "proportional": "parametric", "spread": "regression"}


def test_log_limits_equal_yasa_log_transform():
    reference, device = _tables(0)
    ssa = yasa.SleepStatsAgreement(reference, device, log_transform=True)
    ours = bland_altman(reference["spread"], device["spread"], heteroscedastic_loa="log", n_boot=200)
    assert ours["loa_method"] == "log"
    assert ours["loa_slope"] == pytest.approx(ssa._loa_log_slope["spread"], rel=1e-10)  # no public accessor
    x_bar = reference["spread"].mean()
    assert ours["loa_high"] - ours["loa_low"] == pytest.approx(2 * ours["loa_slope"] * x_bar)


def test_nights_nested_in_participants_equal_yasa_repeated_measures():
    rng = np.random.default_rng(11)
    users = np.repeat([f"u{i}" for i in range(12)], 4)
    offset = rng.normal(0, 12, 12).repeat(4)
    ref = rng.normal(400, 40, users.size)
    dev = ref + 8 + offset + rng.normal(0, 10, users.size)
    index = pd.Index([f"s{i}" for i in range(users.size)], name="session_id")
    reference, device = pd.DataFrame({"tst": ref}, index=index), pd.DataFrame({"tst": dev}, index=index)
    ssa = yasa.SleepStatsAgreement(reference, device, subjects=list(users))
    values, assumptions = _yasa_row(ssa, "tst")
    ours = bland_altman(ref, dev, users, n_boot=300)
    assert ours["bias"] == pytest.approx(values[("bias_mean", "center")], rel=1e-12)
    assert ours["loa_low"] == pytest.approx(values[("loa_lower", "center")], rel=1e-12)
    assert ours["loa_high"] == pytest.approx(values[("loa_upper", "center")], rel=1e-12)
    assert ours["sd"] == pytest.approx(ssa.variance_components.loc["tst", "sd_total"], rel=1e-12)
    assert ours["proportional_slope"] == pytest.approx(assumptions[("constant_bias", "slope")], rel=1e-6)
    assert ours["proportional_p"] == pytest.approx(assumptions[("constant_bias", "pvalue")], rel=1e-5)
    assert ours["ci_method"] == "bootstrap" and ours["n_users"] == 12
    assert ours["bias_ci_low"] < ours["bias"] < ours["bias_ci_high"]
    # a participant's nights move as one block: every night twice over leaves the bias interval as it was
    doubled = bland_altman(np.tile(ref, 2), np.tile(dev, 2), np.tile(users, 2), n_boot=300)
    assert doubled["bias_ci_low"] == pytest.approx(ours["bias_ci_low"], rel=1e-12)
    assert doubled["bias_ci_high"] == pytest.approx(ours["bias_ci_high"], rel=1e-12)


def test_night_stats_use_one_rule_on_the_same_epochs():
    device, reference, dev_stages, ref_stages = generated_pair(seed=6, users=3, nights=2)
    dev, ref = night_stats_pair(device, reference)
    for i, (d, r) in enumerate(zip(dev_stages, ref_stages, strict=True)):
        n = min(d.size, r.size)
        keep = (d[:n] >= 0) & (r[:n] >= 0)
        for table, stages in ((dev, d[:n]), (ref, r[:n])):
            row = table.iloc[i]
            assert row["time_in_sleep"] == 30 * int(((stages > 0) & keep).sum())
            assert row["time_in_bed"] == 30 * n
            asleep = np.flatnonzero((stages > 0) & keep)
            first, last = int(asleep[0]), int(asleep[-1])
            assert row["sleep_latency"] == 30 * first  # the research rule's onset
            assert row["wakeup_latency"] == 30 * (n - 1 - last)  # and its final awakening
            period = slice(first, last + 1)
            assert row["time_in_wake"] == 30 * int(((stages[period] == 0) & keep[period]).sum())
    leading = device.assign(sleep_stage=device["sleep_stage"].where(device["epoch"] >= 40, -1))
    dev, _ = night_stats_pair(leading, reference)
    assert (dev["sleep_latency"] >= 40 * 30).all()  # no signal before onset is not sleep
    # no signal around the sleep period adds no wake: a night framed by no signal
    framed = np.array([-1] * 5 + [0] * 3 + [1] * 10 + [0] * 2 + [1] * 5 + [-1] * 4 + [0] * 3, dtype=np.int8)
    one_dev = device.isel(session=[0]).copy()
    grid = np.full(one_dev["sleep_stage"].shape, -2, dtype=np.int8)
    grid[0, : framed.size] = framed
    one_dev = one_dev.assign(sleep_stage=(("session", "epoch"), grid))
    one_dev = one_dev.assign_coords(n_epochs=("session", [framed.size]))
    dev, _ = night_stats_pair(one_dev, reference.isel(session=[0]))
    row = dev.iloc[0]
    assert (row["sleep_latency"], row["time_in_sleep"], row["time_in_wake"]) == (8 * 30, 15 * 30, 2 * 30)
    assert (row["wakeup_latency"], row["waso_count"], row["time_in_bed"]) == (7 * 30, 1, framed.size * 30)


@pytest.mark.parametrize("source", ["generated", pytest.param("dodh", marks=needs_dod)])
def test_stats_agreement_equals_yasa_on_the_same_table(source):
    if source == "generated":
        device, reference, _, _ = generated_pair(seed=8, users=30, nights=1)
    else:
        device, reference, _, _ = dod_pair("dodh")
    table = stats_agreement(device, reference, n_boot=200)
    dev, ref = table.attrs["device"], table.attrs["reference"]
    metrics = [m for m in table.index if (dev[m] != ref[m]).any()]
    ssa = yasa.SleepStatsAgreement(ref[metrics].astype(float), dev[metrics].astype(float))
    summary = ssa.summary(ci_method="param")
    for name in metrics:
        row = table.loc[name]
        assert row["n"] == device.sizes["session"]
        assert row["bias"] == pytest.approx(summary.loc[name, ("bias_mean", "center")], rel=1e-12, abs=1e-9)
        assert row["bias_ci_low"] == pytest.approx(
            summary.loc[name, ("bias_mean", "lower")], rel=1e-9, abs=1e-9
        )
        assert row["proportional_p"] == pytest.approx(
            ssa.assumptions.loc[name, ("constant_bias", "pvalue")], rel=1e-6, abs=1e-300
        )
        if row["loa_method"] == "parametric" and row["bias_method"] == "parametric":
            assert row["loa_low"] == pytest.approx(summary.loc[name, ("loa_lower", "center")], rel=1e-12)
            assert row["loa_high_ci_high"] == pytest.approx(
                summary.loc[name, ("loa_upper", "upper")], rel=1e-9
            )
    assert table.loc["time_in_sleep", "mean_device"] == pytest.approx(dev["time_in_sleep"].mean())


def test_two_stage_device_nights_are_compared_in_sleep_wake():
    device, reference, _, _ = generated_pair(seed=12, users=4, nights=1)
    flags = np.array([True, False, False, False])
    two = device.assign_coords(two_stage=("session", flags))
    stages = two["sleep_stage"].values.copy()
    stages[0] = to_sleep_wake(stages[0])
    two = two.assign(sleep_stage=(("session", "epoch"), stages))
    with pytest.raises(ValidationError, match="two-stage"):
        epoch_agreement(two, reference, n_boot=100)
    assert epoch_agreement(two, reference, classes=2, n_boot=100).pooled["n_epochs"] > 0
    dev, ref = night_stats_pair(two, reference)
    first = str(two["session_id"].values[0])
    assert np.isnan(dev.loc[first, "time_in_deep"]) and np.isnan(ref.loc[first, "time_in_deep"])
    assert dev.loc[first, "time_in_sleep"] > 0 and ref.loc[first, "time_in_sleep"] > 0
    assert not np.isnan(ref.iloc[1]["time_in_deep"])


@pytest.mark.parametrize("align", ["onset", "clock"])
def test_any_device_alignment_gives_the_same_agreement(align):
    from datetime import UTC

    from agreement_data import device_cohort

    from asleep_nb.data.reference_alignment import native_stages

    device, reference, _, _ = generated_pair(seed=13, users=4, nights=2, offsets_s=(0, 10, 15, 29))
    ids = [str(s) for s in device["session_id"].values]
    starts = [t.astype("datetime64[s]").item().replace(tzinfo=UTC) for t in device["start_time"].values]
    users = [str(u) for u in device["user_id"].values]
    moved = device_cohort(
        [native_stages(device, i) for i in range(len(ids))], users, starts, ids, align=align
    )
    base, other = (
        epoch_agreement(device, reference, n_boot=200),
        epoch_agreement(moved, reference, n_boot=200),
    )
    assert other.confusion.equals(base.confusion) and other.pooled.equals(base.pooled)
    table = stats_agreement(device, reference, metrics=["time_in_sleep", "sleep_latency"], n_boot=200)
    again = stats_agreement(moved, reference, metrics=["time_in_sleep", "sleep_latency"], n_boot=200)
    pd.testing.assert_frame_equal(table, again)


def test_few_or_identical_nights_give_plain_numbers():
    few = bland_altman([400.0, 420.0], [401.0, 421.0])
    assert few["n"] == 2 and few["bias"] == 1.0 and np.isnan(few["loa_low"])
    same = bland_altman([400.0, 420, 380, 450], [400.0, 420, 380, 450])
    assert (same["bias"], same["loa_low"], same["loa_high"]) == (0.0, 0.0, 0.0)
    assert np.isnan(same["proportional_p"])


def _loop_statistic(x, y, group, methods, repeated):
    """The bootstrap statistic written the plain way, copying the drawn participants' nights."""
    from asleep_nb.stats.study.bland_altman import REGRESSION_Z, total_variance

    rows_of = [np.flatnonzero(group == g) for g in range(group.max() + 1)]
    x_bar = x.mean()

    def fit(a, b):
        return np.polyfit(a, b, 1)[::-1] if np.ptp(a) > 0 else (b.mean(), 0.0)

    def statistic(drawn):
        rows = np.concatenate([rows_of[int(g)] for g in drawn])
        labels = np.repeat(np.arange(drawn.size), [rows_of[int(g)].size for g in drawn]) if repeated else None
        xs, ds = x[rows], y[rows] - x[rows]
        b0, b1 = fit(xs, ds) if methods[0] == "regression" else (ds.mean(), 0.0)
        if methods[1] == "parametric":
            h0, h1 = 1.96 * np.sqrt(total_variance(ds - (b0 + b1 * xs), labels)), 0.0
        elif methods[1] == "log":
            z = 1.96 * np.sqrt(total_variance(np.log(y[rows]) - np.log(xs), labels))
            h0, h1 = 0.0, 2 * (np.exp(z) - 1) / (np.exp(z) + 1)
        else:
            l0, l1 = fit(xs, ds)
            c0, c1 = fit(xs, np.abs(ds - (l0 + l1 * xs)))
            h0, h1 = REGRESSION_Z * c0, REGRESSION_Z * c1
        centre, half = b0 + b1 * x_bar, h0 + h1 * x_bar
        return np.array([ds.mean(), centre - half, centre + half])

    return statistic


@pytest.mark.parametrize("methods", [("parametric", "parametric"), ("regression", "parametric"),
                                     ("parametric", "regression"), ("regression", "log")])  # fmt: skip
@pytest.mark.parametrize("nights", [1, 3])
def test_the_vectorised_bootstrap_equals_copying_the_drawn_nights(methods, nights):
    from scipy import stats as sps

    from asleep_nb.stats.study.agreement_bootstrap import limits_bootstrap

    rng = np.random.default_rng(nights)
    n_users = 15
    group = np.repeat(np.arange(n_users), nights)
    rng.shuffle(group)
    x = rng.uniform(300, 500, group.size)
    y = x + 0.2 * (x - 400) + rng.normal(0, 5, n_users)[group] + rng.normal(0, 1, group.size) * (x - 250) / 10
    log_ratio = np.log(y) - np.log(x)
    low, high = limits_bootstrap(x, y - x, group, methods, log_ratio=log_ratio, ci=0.9, n_boot=300, seed=4)
    batch = max(1, min(300, 2_000_000 // x.size))
    plain = sps.bootstrap(
        (np.arange(n_users),),
        _loop_statistic(x, y, group, methods, nights > 1),
        n_resamples=300,
        confidence_level=0.9,
        method="percentile",
        vectorized=False,
        batch=batch,
        rng=np.random.default_rng(4),
    )
    np.testing.assert_allclose(low, plain.confidence_interval.low, rtol=1e-9)
    np.testing.assert_allclose(high, plain.confidence_interval.high, rtol=1e-9)
