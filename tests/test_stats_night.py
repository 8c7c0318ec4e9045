"""Per-night research metrics: hand-computed nights, cohort == per night, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from asleep_nb.definitions import PAD
from asleep_nb.stats.night import (
    persistent_sleep_latency,
    rem_latency_from_onset,
    sleep_fragmentation_index,
    stage_bouts,
    stage_matrix,
    transition_counts,
    transition_probabilities,
)

SCALARS = [persistent_sleep_latency, rem_latency_from_onset, sleep_fragmentation_index]


def make_cohort(nights, offsets=None, width=None, start="2025-01-06T22:00"):
    """A cohort dataset; night i sits at slot offsets[i] of a PAD-filled row."""
    offsets = offsets or [0] * len(nights)
    width = width or max(o + len(n) for o, n in zip(offsets, nights, strict=True))
    codes = np.full((len(nights), width), PAD, dtype=np.int8)
    for i, (o, n) in enumerate(zip(offsets, nights, strict=True)):
        codes[i, o : o + len(n)] = n
    starts = pd.date_range(start, periods=len(nights), freq="D").to_numpy("datetime64[ns]")
    return xr.Dataset(
        {"sleep_stage": (("session", "epoch"), codes)},
        coords={
            "session_id": ("session", [f"s{i}" for i in range(len(nights))]),
            "user_id": ("session", ["u"] * len(nights)),
            "start_time": ("session", starts),
        },
    )


def one_night_dataset(stages, start="2025-01-15T02:50:29"):
    time = pd.date_range(start, periods=len(stages), freq="30s").to_numpy("datetime64[ns]")
    return xr.Dataset({"sleep_stage": ("time", np.asarray(stages, dtype=np.int8))}, coords={"time": time})


# -- hand-computed nights --------------------------------------------------------------------------


def test_persistent_sleep_latency_hand_computed():
    # a 19-epoch run does not count; an error epoch breaks the run; the 20-run starts at 4 + 19 + 1 + 5 + 1
    night = [0] * 4 + [1] * 19 + [0] + [2] * 5 + [-1] + [1, 2, 3] * 7 + [0]
    assert persistent_sleep_latency(night) == 30.0 * 30
    assert persistent_sleep_latency([1] * 20) == 0.0
    assert math.isnan(persistent_sleep_latency([1] * 19 + [0] + [1] * 19))
    assert persistent_sleep_latency([0, 1, 1, 0, 1, 1, 1], min_epochs=3) == 120.0


def test_rem_latency_hand_computed():
    assert rem_latency_from_onset([0, 0, 0, 1, 1, 2, 3, 3]) == 90.0
    assert rem_latency_from_onset([0, -1, 1, 3]) == 30.0  # research rule: onset at the first sleep epoch, 2
    assert rem_latency_from_onset([3, 0]) == 0.0
    assert math.isnan(rem_latency_from_onset([0, 1, 2, 1]))
    assert math.isnan(rem_latency_from_onset([0, 0]))


def test_transition_counts_hand_computed():
    night = [0, 0, 1, 1, 2, -1, 2, 3, 0, 1, 0, 0]
    c = transition_counts(night, within="night")
    assert c.dims == ("from_stage", "to_stage")
    assert list(c.from_stage.values) == ["wake", "light", "deep", "rem"]
    expected = np.zeros((4, 4), dtype=int)
    for a, b in [(0, 0), (0, 1), (1, 1), (1, 2), (2, 3), (3, 0), (0, 1), (1, 0), (0, 0)]:
        expected[a, b] += 1
    np.testing.assert_array_equal(c.values, expected)
    # sleep period: epochs 2..9 (first and last non-wake)
    sp = transition_counts(night)
    expected_sp = np.zeros((4, 4), dtype=int)
    for a, b in [(1, 1), (1, 2), (2, 3), (3, 0), (0, 1)]:
        expected_sp[a, b] += 1
    np.testing.assert_array_equal(sp.values, expected_sp)
    assert sp.attrs["within"] == "sleep_period"


def test_transition_probabilities():
    night = [1, 1, 1, 2, 1, 3, 1]
    p = transition_probabilities(night)
    np.testing.assert_allclose(p.sel(from_stage="light").values, [0, 0.5, 0.25, 0.25])
    assert p.sel(from_stage="deep", to_stage="light") == 1.0
    assert p.sel(from_stage="wake").isnull().all()
    q = transition_probabilities(night, self_transitions=False)
    np.testing.assert_allclose(q.sel(from_stage="light").values, [0, np.nan, 0.5, 0.5])
    assert np.isnan(np.diag(q.values)).all()
    sums = p.sum("to_stage", skipna=False).values
    np.testing.assert_allclose(sums[~np.isnan(sums)], 1.0)


def test_sleep_fragmentation_index_hand_computed():
    # 120 sleep epochs = 1 h; counted: deep->light, light->wake, rem->light (rem->deep, light->rem not)
    night = [0] * 4 + [1] * 30 + [2] * 20 + [1] * 20 + [0] * 2 + [1] * 10 + [3] * 20 + [2] + [3] + [1] * 18
    night += [0] * 3
    assert sum(s > 0 for s in night) == 120
    assert sleep_fragmentation_index(night) == 3.0
    assert sleep_fragmentation_index(night, within="night") == 4.0  # + the final awakening
    # an error epoch between sleep and wake hides that transition
    assert sleep_fragmentation_index([1] * 60 + [-1, 0] + [1] * 60) == 0.0
    assert math.isnan(sleep_fragmentation_index([0, 0, -1]))


def test_stage_bouts_hand_computed():
    df = stage_bouts([0, 0, 1, 1, 1, -1, 1, 2, 2, 2, 2])
    assert list(df.columns) == ["stage", "start_epoch", "n_epochs", "duration_s"]
    assert df["stage"].astype(str).tolist() == ["wake", "light", "error", "light", "deep"]
    assert df["start_epoch"].tolist() == [0, 2, 5, 6, 7]
    assert df["n_epochs"].tolist() == [2, 3, 1, 1, 4]
    assert df["duration_s"].tolist() == [60, 90, 30, 30, 120]
    long = stage_bouts([0, 0, 1, 1, 1, -1, 1, 2, 2, 2, 2], min_epochs=3)
    assert long["stage"].astype(str).tolist() == ["light", "deep"]


def test_single_night_dataset_and_dataarray():
    stages = [0] * 3 + [1] * 25 + [3] * 2
    ds = one_night_dataset(stages)
    assert persistent_sleep_latency(ds) == persistent_sleep_latency(ds["sleep_stage"]) == 90.0
    bouts = stage_bouts(ds)
    assert bouts["start_time"].tolist() == [
        pd.Timestamp("2025-01-15T02:50:29"),
        pd.Timestamp("2025-01-15T02:51:59"),
        pd.Timestamp("2025-01-15T03:04:29"),
    ]


def test_pad_is_ignored_in_one_night():
    assert persistent_sleep_latency([PAD, PAD, 0] + [1] * 20 + [PAD]) == 30.0
    assert stage_bouts([PAD, 1, 1, PAD])["start_epoch"].tolist() == [0]


# -- cohorts: vectorised == per night ---------------------------------------------------------------

nights_strategy = st.lists(
    st.lists(st.sampled_from([-1, 0, 0, 1, 1, 1, 2, 3]), min_size=1, max_size=120),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(nights=nights_strategy, data=st.data())
def test_cohort_equals_per_night(nights, data):
    offsets = [data.draw(st.integers(0, 5)) for _ in nights]
    cohort = make_cohort(nights, offsets)
    for func in SCALARS:
        got = func(cohort)
        assert got.dims == ("session",)
        assert list(got["session_id"].values) == list(cohort["session_id"].values)
        np.testing.assert_array_equal(got.values, [func(n) for n in nights])
    for within in ("sleep_period", "night"):
        got = transition_counts(cohort, within=within)
        assert got.dims == ("session", "from_stage", "to_stage")
        for i, n in enumerate(nights):
            np.testing.assert_array_equal(got.values[i], transition_counts(n, within=within).values)
        probs = transition_probabilities(cohort, within=within, self_transitions=False)
        for i, n in enumerate(nights):
            np.testing.assert_array_equal(
                probs.values[i], transition_probabilities(n, within=within, self_transitions=False).values
            )
    bouts = stage_bouts(cohort, min_epochs=2)
    for i, n in enumerate(nights):
        mine = bouts[bouts["session"] == i].drop(columns=["session", "start_time"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, stage_bouts(n, min_epochs=2))


def test_cohort_bouts_start_time_and_dataarray_input():
    cohort = make_cohort([[0, 1, 1], [2, 2]], offsets=[2, 0])
    bouts = stage_bouts(cohort["sleep_stage"])
    assert bouts["session"].tolist() == [0, 0, 1]
    assert bouts["start_time"].tolist() == [
        pd.Timestamp("2025-01-06T22:00"),
        pd.Timestamp("2025-01-06T22:00:30"),
        pd.Timestamp("2025-01-07T22:00"),
    ]
    # a transposed cohort DataArray works the same
    np.testing.assert_array_equal(
        persistent_sleep_latency(cohort["sleep_stage"].T, min_epochs=2).values, [30.0, 0.0]
    )


def test_all_pad_session_gives_nan():
    cohort = make_cohort([[1] * 30, []], width=30)
    np.testing.assert_array_equal(persistent_sleep_latency(cohort).values, [0.0, np.nan])
    assert transition_counts(cohort).values[1].sum() == 0


def test_vectorised_on_a_large_cohort_is_consistent():
    rng = np.random.default_rng(5)
    nights = [rng.choice([0, 1, 2, 3], size=rng.integers(600, 960)).tolist() for _ in range(40)]
    cohort = make_cohort(nights)
    np.testing.assert_array_equal(
        sleep_fragmentation_index(cohort).values, [sleep_fragmentation_index(n) for n in nights]
    )


# -- invalid input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        ([], ValueError, "empty"),
        ([0, 1, 4], ValueError, "unknown stage codes"),
        ([0, 1, -3], ValueError, "unknown stage codes"),
        ([0.0, 1.5], ValueError, "whole stage codes"),
        ([0.0, np.nan], ValueError, "whole stage codes"),
        (["wake", "light"], TypeError, "integer stage codes"),
        ([True, False], TypeError, "integer stage codes"),
        ("0101", ValueError, "1-D"),
        ([[[0, 1]], [[1, 0]]], ValueError, "1-D"),
        (3, ValueError, "1-D"),
        ([PAD, PAD], ValueError, "only padding"),
        (xr.DataArray(np.zeros((2, 3), dtype=np.int8), dims=("a", "b")), ValueError, "session"),
        (xr.Dataset({"x": ("time", [0, 1])}), ValueError, "sleep_stage"),
        (xr.DataArray(np.zeros((0, 3), dtype=np.int8), dims=("session", "epoch")), ValueError, "no sessions"),
    ],
)
def test_invalid_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        stage_matrix(bad)
    with pytest.raises(exc, match=match):
        persistent_sleep_latency(bad)


@pytest.mark.parametrize("func", [persistent_sleep_latency, stage_bouts])
@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_invalid_min_epochs(func, bad):
    with pytest.raises(ValueError, match="min_epochs"):
        func([1, 1], min_epochs=bad)


def test_invalid_within():
    with pytest.raises(ValueError, match="within"):
        transition_counts([0, 1], within="period")
