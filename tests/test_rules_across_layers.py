"""One night through every layer: each gives the sleep onset and final awakening of its named rule.

The night ``[0, -1, 1, 1, 0, 1, -1, 0]`` starts its sleep period with a
no-signal epoch and ends it with one. The vendor rule (the ``stat`` object)
puts sleep onset at epoch 1 and the last epoch of the sleep period at 6; the
research rule (figures, alignment, research metrics) at epochs 2 and 5.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from asleep_nb import plot as ap
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.night import to_dataset
from asleep_nb.data.table import stats_table
from asleep_nb.definitions import PAD, research_sleep_period, sleep_period, vendor_sleep_period
from asleep_nb.plot._time import to_num
from asleep_nb.stats import (
    compute_stat,
    compute_stats,
    rem_latency_from_onset,
    research_sleep_latency,
    transition_counts,
)

NIGHT = [0, -1, 1, 1, 0, 1, -1, 0]
#: (onset epoch, last epoch of the sleep period) of each rule on NIGHT
VENDOR = (1, 6)
RESEARCH = (2, 5)
START = datetime(2025, 1, 15, 22, 0, tzinfo=UTC)
END = START + timedelta(seconds=30 * len(NIGHT))
EPOCH = np.timedelta64(30, "s")


def _utc(dt: datetime) -> np.datetime64:
    return np.datetime64(dt.replace(tzinfo=None), "ns")


def payload(stages: list[int] = NIGHT, session_id: str = "20250115220000_rules") -> dict:
    """A Get Session ``result`` whose stat is the vendor-exact recomputation."""
    end = START + timedelta(seconds=30 * len(stages))
    return {
        "timezone": "UTC",
        "peculiarities": ["NO_BREATHING_STABILITY"],
        "missing_data_ratio": 0.0,
        "session": {
            "id": session_id,
            "state": "COMPLETE",
            "start_time": START.isoformat(),
            "end_time": end.isoformat(),
            "unexpected_end_time": None,
            "created_timezone": "UTC",
            "sleep_stages": stages,
            "breath_stages": None,
            "snoring_stages": None,
        },
        "stat": compute_stat(stages, START, end),
    }


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ---------------------------------------------------------------- the rules themselves
def test_the_named_rules_on_the_night():
    assert tuple(int(v) for v in vendor_sleep_period(NIGHT)) == VENDOR
    assert tuple(int(v) for v in research_sleep_period(NIGHT)) == RESEARCH
    assert tuple(int(v) for v in sleep_period(NIGHT, "vendor")) == VENDOR
    with pytest.raises(ValueError, match="rule must be one of"):
        sleep_period(NIGHT, "pysleep")  # type: ignore[arg-type]


def test_the_rules_agree_without_no_signal_at_the_edges():
    night = [0, 0, 1, 2, 0, -1, 3, 1, 0]  # no signal only inside the period
    assert tuple(int(v) for v in vendor_sleep_period(night)) == tuple(
        int(v) for v in research_sleep_period(night)
    )


def test_the_rules_on_a_padded_cohort_matrix():
    rows = np.full((3, 10), PAD, dtype=np.int8)
    rows[0, :8] = NIGHT
    rows[1, 2:5] = [0, -1, 0]  # never slept (no signal is not sleep)
    rows[2, 1:4] = [3, 3, 0]
    assert vendor_sleep_period(rows).onset.tolist() == [1, -1, 1]
    assert research_sleep_period(rows).onset.tolist() == [2, -1, 1]
    assert vendor_sleep_period(rows).last.tolist() == [6, -1, 2]
    assert research_sleep_period(rows).last.tolist() == [5, -1, 2]
    assert vendor_sleep_period(np.zeros((2, 0), np.int8)).onset.tolist() == [-1, -1]


def test_the_rules_reject_bad_input():
    with pytest.raises(TypeError, match="integer"):
        research_sleep_period([0.5, 1.0])
    with pytest.raises(ValueError, match="at least one dimension"):
        vendor_sleep_period(3)


# ---------------------------------------------------------------- stats: vendor rule
def test_the_stat_object_follows_the_vendor_rule():
    stat = compute_stat(NIGHT, START, END)
    onset, last = VENDOR
    assert stat["sleep_latency"] == 30 * onset
    assert stat["sleep_time"] == (START + timedelta(seconds=30 * onset)).isoformat()
    assert stat["wakeup_latency"] == 30 * (len(NIGHT) - 1 - last)
    assert stat["wake_time"] == (START + timedelta(seconds=30 * (last + 1))).isoformat()


def test_compute_stats_on_a_cohort_follows_the_vendor_rule():
    cohort = to_cohort([payload()], align="onset")  # the alignment does not change the stat
    stats = compute_stats(cohort)
    assert float(stats["sleep_latency"][0]) == 30 * VENDOR[0]
    assert stats["sleep_time"].values[0] == _utc(START) + VENDOR[0] * EPOCH
    assert stats["wake_time"].values[0] == _utc(START) + (VENDOR[1] + 1) * EPOCH
    # and the server's stat carried through the data layer says the same
    table = stats_table(to_cohort([payload()]))
    assert table["sleep_latency"].iloc[0] == 30 * VENDOR[0]


# ---------------------------------------------------------------- data: research rule
def test_onset_alignment_follows_the_research_rule():
    other = [0, 0, 0, 1, 1, 0]  # onset at epoch 3 under both rules
    cohort = to_cohort([payload(), payload(other, "20250115220000_other")], groups=["a", "b"], align="onset")
    at_onset = cohort["sleep_stage"].sel(epoch=0).values.tolist()
    assert at_onset == [NIGHT[RESEARCH[0]], other[3]]
    first_slot = cohort["epoch"].values[cohort["offset"].values]
    assert first_slot.tolist() == [-RESEARCH[0], -3]


# ---------------------------------------------------------------- figures: research rule
def test_hypnogram_markers_follow_the_research_rule():
    ds = to_dataset(payload())
    assert "sleep_time" in ds  # the vendor's onset is there, and the figure does not use it
    ax = ap.hypnogram(ds)
    onset = next(a for a in ax.lines if a.get_gid() == "onset").get_xdata()[0]
    awakening = next(a for a in ax.lines if a.get_gid() == "awakening").get_xdata()[0]
    time = ds["time"].values
    second = 1 / 86400  # matplotlib date numbers are days
    assert onset == pytest.approx(to_num(time[RESEARCH[0]])[0], abs=0.01 * second)
    assert awakening == pytest.approx(to_num(time[RESEARCH[1]] + EPOCH)[0], abs=0.01 * second)
    vendor_onset = to_num(ds["sleep_time"].values)[0]
    assert onset - vendor_onset == pytest.approx(30 * (RESEARCH[0] - VENDOR[0]) * second, abs=0.01 * second)


def test_stage_distribution_sleep_period_follows_the_research_rule():
    cohort = to_cohort([payload()])
    ax = ap.stage_distribution(cohort)
    heights = {p.get_gid(): p.get_height() for p in ax.patches}
    # research period: epochs 2..5 = light, light, wake, light (no no-signal epoch inside)
    assert heights["stage_light"] == pytest.approx(75.0)
    assert heights["stage_wake"] == pytest.approx(25.0)
    assert heights["stage_error"] == pytest.approx(0.0)


def test_hypnodensity_onset_follows_the_research_rule():
    cohort = to_cohort([payload()])
    fig = ap.hypnodensity(cohort, bin_minutes=1, before_onset=1 / 60, min_nights=0)
    light = next(p for p in fig.axes[0].patches if p.get_gid() == "stage_light")
    data = light.get_data()
    # bins of two epochs; one bin (1 min) before onset: epochs 0, 1 (wake, no signal);
    # the bin starting at time 0 holds epochs 2, 3: light, light
    assert data.edges[1] == pytest.approx(0.0)
    assert data.values[1] - data.baseline[1] == pytest.approx(100.0)
    assert data.values[0] - data.baseline[0] == pytest.approx(0.0)


# ---------------------------------------------------------------- research metrics: research rule
def test_research_metrics_follow_the_research_rule():
    assert research_sleep_latency(NIGHT) == 30 * RESEARCH[0]
    assert compute_stat(NIGHT, START, END)["sleep_latency"] == 30 * VENDOR[0]
    with_rem = [*NIGHT[:4], 3, *NIGHT[5:]]  # REM at epoch 4
    assert rem_latency_from_onset(with_rem) == 30 * (4 - RESEARCH[0])
    end = START + timedelta(seconds=30 * len(with_rem))
    assert compute_stat(with_rem, START, end)["rem_latency"] == 30 * (4 - VENDOR[0])
    # transitions inside the sleep period: the vendor period would start at epoch 1 and count
    # the wake -> wake pair (2, 3) before the first sleep epoch
    late = [0, -1, 0, 0, 1, 1, 0]
    assert int(vendor_sleep_period(late).onset) == 1 and int(research_sleep_period(late).onset) == 4
    counts = transition_counts(late)
    assert int(counts.sel(from_stage="wake", to_stage="wake")) == 0
    assert int(counts.sum()) == 1  # light -> light


def test_a_cohort_gives_each_sessions_research_metric():
    cohort = to_cohort([payload(), payload([0, 0, 1, 0], "20250115220000_short")], align="clock")
    values = research_sleep_latency(cohort)
    assert isinstance(values, xr.DataArray)
    by_session = dict(zip(cohort["session_id"].values, values.values, strict=True))
    assert by_session == {"20250115220000_rules": 60.0, "20250115220000_short": 60.0}
