"""The one home for definitions: stages, metrics, display formats, and every layer using them."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from asleep_nb import definitions as d
from asleep_nb import plot as ap
from asleep_nb.definitions import display
from asleep_nb.widgets._format import numbers_html, stat_table_html

PACKAGE = Path(__file__).resolve().parents[1] / "asleep_nb"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ---------------------------------------------------------------- stages
def test_every_stage_code_has_one_entry_in_code_order():
    assert list(d.STAGES) == [-1, 0, 1, 2, 3] == sorted(d.SLEEP_STAGE_CODES)
    assert [s.name for s in d.STAGES.values()] == d.SLEEP_STAGE_FLAGS["flag_meanings"].split()
    assert d.SLEEP_STAGE_FLAGS["flag_values"] == list(d.STAGES)
    assert d.SLEEP_CODES == {1, 2, 3} == {s.code for s in d.STAGES.values() if s.is_sleep}
    colors = [s.color for s in d.STAGES.values()]
    assert len(set(colors)) == len(colors) and all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors)


def test_code_minus_one_has_one_display_name():
    assert d.stage_label(-1) == d.stage_label(-1, two_stage=True) == d.NO_SIGNAL_LABEL == "No signal"
    assert ap.STAGE_LABELS[-1] == "No signal"
    assert ap.STAGE_COLORS == {code: s.color for code, s in d.STAGES.items()}
    with pytest.raises(KeyError, match="not a sleep-stage code"):
        d.stage_label(7)


def _string_literals(path: Path) -> list[str]:
    """Every string constant of a module except docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def test_no_module_spells_a_stage_label_or_colour_of_its_own():
    """Display labels and colours of stages are written in definitions/stages.py only."""
    owned = {s.label for s in d.STAGES.values()} | {"Sleep", "No signal"}
    colors = {s.color.upper() for s in d.STAGES.values()}
    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "definitions":
            continue
        for text in _string_literals(path):
            if text in owned - {"Wake", "Sleep"} or text.upper() in colors:  # "wake"/"sleep" are words
                spelled.append(f"{path.relative_to(PACKAGE)}: {text!r}")
    assert spelled == []


@pytest.fixture(scope="module")
def cohort():
    from test_plot import demo_cohort

    return demo_cohort(n_users=4, nights_per_user=2)


def test_every_figure_names_code_minus_one_no_signal(cohort):
    from test_plot import make_night, synthetic_stages

    night = make_night(synthetic_stages(np.random.default_rng(0), 900), "2025-01-14T22:30:00")
    legends = [
        ap.hypnogram(night).get_legend(),
        ap.nights(cohort, user_id="u1").get_legend(),
        ap.stage_distribution(cohort).get_legend(),
        ap.hypnodensity(cohort).axes[0].get_legend(),
    ]
    for legend in legends:
        texts = [t.get_text() for t in legend.get_texts()]
        assert "No signal" in texts and "Error" not in texts, texts


# ---------------------------------------------------------------- metrics
def test_every_metric_is_complete():
    assert set(d.METRICS) == set(d.STAT_FIELDS) | set(d.RESEARCH_METRICS)
    assert not set(d.STAT_FIELDS) & set(d.RESEARCH_METRICS)
    labels = [f.label for f in d.METRICS.values()]
    assert len(set(labels)) == len(labels), "two metrics share a label"
    for name, f in d.METRICS.items():
        assert f.name == name
        assert f.label and f.label[0].isupper() and f.definition.endswith("."), name
        assert 0 <= f.precision <= 3, name
        assert f.display_unit in ("h", "min", "%", "/h", "local clock time", ""), name
        if f.kind == "duration":
            assert f.display_unit in ("h", "min") and f.units in ("s", "h"), name
        if f.kind == "ratio":
            assert f.display_unit == "%" and f.units == "1", name


def test_research_metrics_match_what_stats_computes():
    from asleep_nb.stats import persistent_sleep_latency, rem_latency_from_onset, research_sleep_latency

    night = [0] * 4 + [1] * 25 + [3] * 3
    for fn in (persistent_sleep_latency, rem_latency_from_onset, research_sleep_latency):
        assert d.METRICS[fn.__name__].units == "s"
        assert not math.isnan(fn(night))


# ---------------------------------------------------------------- display
@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("time_in_sleep", 27660, "7.68 h"),
        ("time_in_bed", 3600.0, "1.00 h"),
        ("sleep_latency", 750, "12.5 min"),
        ("rem_latency", 0, "0.0 min"),
        ("sleep_efficiency", 0.934, "93.4%"),
        ("rem_ratio", 0.2, "20.0%"),
        ("waso_count", 3, "3.0"),
        ("sleep_index", 71.25, "71.2"),
        ("sleep_time", 23.5, "23:30"),
        ("sleep_time", 24.75, "00:45"),
        ("sleep_fragmentation_index", 12.34, "12.3/h"),
        ("my_own_column", 1.234, "1.23"),
        ("time_in_sleep", np.nan, "–"),
        ("rem_ratio", None, "–"),
    ],
)
def test_format_value(name, value, text):
    assert display.format_value(name, value) == text


def test_differences_are_signed_and_ratios_in_percentage_points():
    assert display.format_value("rem_ratio", 0.032, difference=True) == "+3.2 pp"
    assert display.format_value("sleep_time", -0.25, difference=True) == "-0.25 h"
    assert display.format_value("time_in_sleep", -1116, difference=True) == "-0.31 h"
    assert display.format_estimate("deep_ratio", -0.011, -0.02, -0.002, difference=True) == (
        "-1.1 pp [95% CI -2.0, -0.2]"
    )
    assert display.format_estimate("sleep_latency", 900, 600, 1200) == "15.0 min [95% CI 10.0, 20.0]"


def test_display_value_converts_arrays_and_scalars():
    np.testing.assert_allclose(display.display_value("time_in_sleep", np.array([3600, 5400])), [1.0, 1.5])
    assert display.display_value("sleep_efficiency", 0.5) == 50.0
    assert display.display_value("waso_count", 4) == 4.0
    assert display.display_value("social_jet_lag", 1.5) == 1.5  # stored in hours, shown in hours


def test_labels():
    assert display.axis_label("time_in_sleep") == "Time in sleep (h)"
    assert display.axis_label("waso_count") == "Awakenings"
    assert display.axis_label("sleep_time") == "Sleep onset (local clock time)"
    assert display.inline_label("time_in_bed") == "time in bed"
    assert display.inline_label("rem_ratio") == "REM sleep share"
    assert display.label("custom_thing") == "Custom thing"


# ---------------------------------------------------------------- layers use them
@pytest.mark.parametrize("name", ["time_in_sleep", "sleep_latency", "sleep_efficiency", "waso_count"])
def test_a_figure_label_and_a_table_show_one_unit_and_precision(cohort, name):
    from asleep_nb.stats import compare_groups

    table = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(8)],
            "group": ["a", "b"] * 4,
            name: np.linspace(0.8, 0.95, 8) if name == "sleep_efficiency" else np.linspace(600, 28000, 8),
        }
    )
    ax = ap.metric(table, name, n_boot=200)
    assert ax.get_ylabel() == display.axis_label(name)
    numbers = compare_groups(table, name, n_boot=200)
    diff = numbers.iloc[2]
    text = next(t.get_text() for t in ax.texts if "95% CI" in t.get_text())
    expected = display.format_estimate(name, diff["mean"], diff["ci_low"], diff["ci_high"], difference=True)
    assert text.endswith(expected)
    html = numbers_html(numbers, name)
    for column in ("mean", "ci_low", "ci_high"):
        assert f">{display.format_value(name, diff[column], difference=True, unit=False)}<" in html


def test_the_explorer_table_labels_come_from_the_definitions():
    html = stat_table_html({"time_in_sleep": 1080.0, "waso_count": 2.0, "rem_ratio": 0.21}, "UTC")
    for name in ("time_in_sleep", "waso_count", "rem_ratio"):
        assert f"<th>{display.inline_label(name)}</th>" in html
    assert "0:18" in html and "21%" in html and ">2<" in html
