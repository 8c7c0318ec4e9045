"""Figures of a validation study: confusion matrix, Bland-Altman panels, device-over-reference hypnogram.

Baseline images (tests/baseline/agreement_*.png) follow tests/test_plot.py: regenerate them, after
looking at the new PNGs, with ``ASLEEP_NB_REGENERATE_BASELINES=1 pytest tests/test_plot_agreement.py``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from agreement_data import generated_pair
from test_plot import PINNED_RC, check_image, pinned

from asleep_nb import plot as ap
from asleep_nb.definitions import STAGES
from asleep_nb.definitions.display import display_value
from asleep_nb.plot._style import format_share
from asleep_nb.stats import bland_altman, epoch_agreement, stats_agreement


@pytest.fixture(scope="module")
def pair():
    device, reference, dev_stages, ref_stages = generated_pair(
        seed=21, users=6, nights=2, offsets_s=(0, 10, 15)
    )
    return device, reference, dev_stages, ref_stages


@pytest.fixture(scope="module")
def agreement(pair):
    return epoch_agreement(pair[0], pair[1], n_boot=200)


@pytest.fixture(scope="module")
def table(pair):
    return stats_agreement(pair[0], pair[1], n_boot=200)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def fixed_table() -> pd.DataFrame:
    """A table of two metrics from fixed nights: one parametric, one with regression limits."""
    rng = np.random.default_rng(7)
    ref_tst = rng.normal(7 * 3600, 2400, 30)
    dev_tst = ref_tst + 600 + rng.normal(0, 900, 30)
    ref_lat = rng.uniform(60, 3600, 30)
    dev_lat = ref_lat + rng.normal(0, 1, 30) * ref_lat * 0.5
    rows = {
        "time_in_sleep": bland_altman(ref_tst, dev_tst, n_boot=200),
        "sleep_latency": bland_altman(ref_lat, dev_lat, n_boot=200),
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs.update(
        device=pd.DataFrame({"time_in_sleep": dev_tst, "sleep_latency": dev_lat}),
        reference=pd.DataFrame({"time_in_sleep": ref_tst, "sleep_latency": ref_lat}),
    )
    return table


FIGURES = {
    "confusion_matrix": lambda p, a, t, **kw: ap.confusion_matrix(a, **kw),
    "bland_altman": lambda p, a, t, **kw: ap.bland_altman(t, "time_in_sleep", **kw),
    "hypnogram_comparison": lambda p, a, t, **kw: ap.hypnogram_comparison(p[0], p[1], 1, **kw),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_global_state_untouched_and_given_axes_used(name, pair, agreement, table):
    before = dict(mpl.rcParams)
    ax = FIGURES[name](pair, agreement, table)
    assert isinstance(ax, mpl.axes.Axes)
    assert dict(mpl.rcParams) == before
    _fig, given = plt.subplots()
    n_figs = len(plt.get_fignums())
    assert FIGURES[name](pair, agreement, table, ax=given) is given
    assert len(plt.get_fignums()) == n_figs
    assert dict(mpl.rcParams) == before


def test_confusion_matrix_writes_row_shares_and_counts(agreement):
    ax = ap.confusion_matrix(agreement)
    counts = agreement.confusion.to_numpy()
    shares = agreement.confusion_normalized.to_numpy()
    cells = [t.get_text() for t in ax.texts if t.get_gid() == "cell"]
    expected = [f"{format_share(s)}\n{c:,}" for s, c in zip(shares.ravel(), counts.ravel(), strict=True)]
    assert cells == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == [STAGES[c].label for c in range(4)]
    assert ax.get_xlabel() == "Device" and ax.get_ylabel() == "Reference (epochs)"
    two = ap.confusion_matrix(np.array([[30, 5], [2, 100]]))
    assert [t.get_text() for t in two.get_xticklabels()] == ["Wake", "Sleep"]
    with pytest.raises(ValueError, match="4 x 4 or 2 x 2"):
        ap.confusion_matrix(np.ones((3, 3)))
    with pytest.raises(ValueError, match="whole numbers"):
        ap.confusion_matrix(np.array([[1.5, 0], [0, 1]]))


def test_bland_altman_draws_the_table():
    table = fixed_table()
    ax = ap.bland_altman(table, "time_in_sleep")
    row = table.loc["time_in_sleep"]
    nights = next(c for c in ax.collections if c.get_gid() == "nights")
    ref = table.attrs["reference"]["time_in_sleep"].to_numpy()
    dev = table.attrs["device"]["time_in_sleep"].to_numpy()
    np.testing.assert_allclose(nights.get_offsets()[:, 0], display_value("time_in_sleep", ref))
    np.testing.assert_allclose(nights.get_offsets()[:, 1], display_value("time_in_sleep", dev - ref))
    lines = {line.get_gid(): line for line in ax.lines}
    assert row["bias_method"] == row["loa_method"] == "parametric"
    np.testing.assert_allclose(lines["bias"].get_ydata(), display_value("time_in_sleep", row["bias"]))
    np.testing.assert_allclose(lines["loa_low"].get_ydata(), display_value("time_in_sleep", row["loa_low"]))
    np.testing.assert_allclose(lines["loa_high"].get_ydata(), display_value("time_in_sleep", row["loa_high"]))
    bands = {p.get_gid() for p in ax.patches}
    assert bands >= {"bias_ci", "loa_low_ci", "loa_high_ci"}  # horizontal lines: shaded intervals
    assert ax.get_xlabel() == "Reference: time in sleep (h)"
    with pytest.raises(KeyError, match="no metric 'nope'"):
        ap.bland_altman(table, "nope")
    bare = table.copy()
    bare.attrs = {}
    with pytest.raises(ValueError, match="no per-night values"):
        ap.bland_altman(bare, "time_in_sleep")


def test_bland_altman_bias_is_written_at_least_tick_size_under_its_title():
    """The bias is each panel's result: never below the ticks (issue 23's standard), under the title."""
    ax = ap.bland_altman(fixed_table(), "time_in_sleep")
    ax.figure.canvas.draw()
    (summary,) = [t for t in ax.texts if t.get_gid() == "summary"]
    ticks = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    assert summary.get_fontsize() >= max(ticks)
    assert summary.get_text().startswith("Bias ") and ax.get_title(loc="left") == "Time in sleep"
    assert ax.title.get_window_extent().y0 >= summary.get_window_extent().y1 - 1
    plt.close(ax.figure)


def test_bland_altman_regression_limits_follow_the_reference():
    table = fixed_table()
    row = table.loc["sleep_latency"]
    assert row["loa_method"] == "regression"
    ax = ap.bland_altman(table, "sleep_latency")
    lines = {line.get_gid(): line for line in ax.lines}
    x = np.asarray(lines["loa_high"].get_xdata())
    half = display_value("sleep_latency", row["loa_intercept"]) + row["loa_slope"] * x
    centre = display_value("sleep_latency", row["bias_intercept"]) + row["bias_slope"] * x
    np.testing.assert_allclose(lines["loa_high"].get_ydata(), centre + half)
    np.testing.assert_allclose(lines["loa_low"].get_ydata(), centre - half)
    assert {c.get_label() for c in ax.containers} >= {"_loa_low_ci", "_loa_high_ci"}  # error bars at the mean


def test_bland_altman_panels_one_per_metric(table):
    fig = ap.bland_altman_panels(table, ["time_in_sleep", "time_in_rem"])
    assert [a.get_label() for a in fig.axes] == ["time_in_sleep", "time_in_rem"]
    assert len(ap.bland_altman_panels(table).axes) == int(np.isfinite(table["bias"]).sum())


def test_hypnogram_comparison_marks_disagreement(pair):
    device, reference, _, _ = pair
    ax = ap.hypnogram_comparison(device, reference, 2)
    result = epoch_agreement(device.isel(session=[2]), reference.isel(session=[2]), n_boot=100)
    disagree = int(result.pooled["n_epochs"] - np.trace(result.confusion.to_numpy()))
    assert ax.get_legend().get_texts()[0].get_text() == f"Disagree ({disagree} epochs)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Wake", "REM", "Light", "Deep"] * 2
    assert ax.get_xlabel() == "Local time (UTC)"
    with pytest.raises(KeyError, match="no session"):
        ap.hypnogram_comparison(device, reference, "20990101000000_nopee")
    with pytest.raises(IndexError):
        ap.hypnogram_comparison(device, reference, 99)


def test_image_confusion_matrix(tmp_path):
    with mpl.rc_context(PINNED_RC):
        fig, ax = plt.subplots(figsize=(4.6, 3.6), layout="constrained")
        ap.confusion_matrix(np.array([[2220, 569, 24, 268], [316, 11948, 494, 697], [15, 474, 2952, 1],
                                      [122, 461, 0, 4104]]), ax=ax)  # fmt: skip
    check_image(fig, "agreement_confusion_matrix", tmp_path)


def test_image_bland_altman(tmp_path):
    table = fixed_table()
    ax = pinned(lambda **kw: ap.bland_altman(table, "sleep_latency", **kw), figsize=(4.8, 3.6))
    check_image(ax.figure, "agreement_bland_altman", tmp_path)


def test_hypnogram_comparison_of_a_two_stage_night(pair):
    from asleep_nb.definitions import to_sleep_wake

    device, reference, _, _ = pair
    stages = device["sleep_stage"].values.copy()
    stages[0] = to_sleep_wake(stages[0])
    flags = np.zeros(device.sizes["session"], dtype=bool)
    flags[0] = True
    two = device.assign(sleep_stage=(("session", "epoch"), stages)).assign_coords(
        two_stage=("session", flags)
    )
    ax = ap.hypnogram_comparison(two, reference, 0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Wake", "Sleep"] * 2
    result = epoch_agreement(two.isel(session=[0]), reference.isel(session=[0]), classes=2, n_boot=100)
    disagree = int(result.pooled["n_epochs"] - np.trace(result.confusion.to_numpy()))
    assert ax.get_legend().get_texts()[0].get_text() == f"Disagree ({disagree} epochs)"
