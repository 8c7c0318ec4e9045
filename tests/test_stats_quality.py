"""Data quality of a cohort (asleep_nb.stats.quality) against a plain per-night computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from asleep_nb.definitions import PAD
from asleep_nb.stats.quality import (
    FLAG_NO_SIGNAL_SHARE,
    LONG_EDGE_RUN_MINUTES,
    check_flag_share,
    check_run_minutes,
    edge_no_signal_runs,
    group_quality,
    night_quality,
    no_signal_share,
    peculiarity_counts,
    research_sleep_latency,
)


# -- the reference: one night at a time, in plain Python ---------------------------------------------
def reference(night: list[int]) -> dict[str, float]:
    """Share, edge runs and research latency of one night's epochs (no padding), loop by loop."""
    n = len(night)
    lead = 0
    while lead < n and night[lead] == -1:
        lead += 1
    trail = 0
    while trail < n and night[n - 1 - trail] == -1:
        trail += 1
    onset = next((i for i, code in enumerate(night) if code in (1, 2, 3)), None)
    return {
        "share": night.count(-1) / n if n else float("nan"),
        "lead": lead,
        "trail": trail,
        "latency": float("nan") if onset is None else onset * 30.0,
    }


nights_strategy = st.lists(
    st.lists(st.sampled_from([-1, -1, 0, 1, 2, 3]), min_size=0, max_size=40), min_size=1, max_size=8
)


def padded(nights: list[list[int]], offsets: list[int]) -> np.ndarray:
    """Nights placed at their offsets in an int8 matrix padded with PAD, as in a cohort."""
    width = max(o + len(night) for night, o in zip(nights, offsets, strict=True)) + 1
    out = np.full((len(nights), width), PAD, dtype=np.int8)
    for row, (night, o) in enumerate(zip(nights, offsets, strict=True)):
        out[row, o : o + len(night)] = night
    return out


@settings(max_examples=200, deadline=None)
@given(nights=nights_strategy, data=st.data())
def test_matrix_functions_match_a_night_by_night_loop(nights: list[list[int]], data: st.DataObject) -> None:
    offsets = data.draw(st.lists(st.integers(0, 5), min_size=len(nights), max_size=len(nights)))
    stages = padded(nights, offsets)
    expected = [reference(night) for night in nights]
    lead, trail = edge_no_signal_runs(stages)
    np.testing.assert_array_equal(lead, [e["lead"] for e in expected])
    np.testing.assert_array_equal(trail, [e["trail"] for e in expected])
    np.testing.assert_allclose(no_signal_share(stages), [e["share"] for e in expected], equal_nan=True)
    np.testing.assert_allclose(
        research_sleep_latency(stages), [e["latency"] for e in expected], equal_nan=True
    )


def test_one_night_may_be_given_one_dimensional() -> None:
    assert no_signal_share([-1, 0, 1, 1]).tolist() == [0.25]
    assert [r.tolist() for r in edge_no_signal_runs([-1, 0, 1, -1])] == [[1], [1]]


@pytest.mark.parametrize(
    ("stages", "error"),
    [
        (np.zeros((2, 2, 2), dtype=np.int8), ValueError),
        (np.zeros((2, 3)), TypeError),
        ([True, False], TypeError),
    ],
)
def test_bad_stage_arrays_are_refused(stages: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="stage"):
        no_signal_share(stages)  # type: ignore[arg-type]


# -- tables of a cohort ---------------------------------------------------------------------------
def small_cohort() -> xr.Dataset:
    """Three nights of two groups, start-aligned except the last (placed at offset 2)."""
    rows = [
        [-1] * 70 + [0] * 2 + [1] * 40 + [-2] * 8,  # 35 min of no signal first, share 70/112
        [0] * 4 + [1] * 100 + [-1] * 16,  # no signal at the end only: 8 min
        [-2, -2] + [0] * 10 + [-1] * 2 + [2] * 100 + [0] * 6,  # -1 inside: the latencies differ
    ]
    return xr.Dataset(
        {"sleep_stage": (("session", "epoch"), np.array(rows, dtype=np.int8))},
        coords={
            "session_id": ("session", ["s1", "s2", "s3"]),
            "user_id": ("session", ["u1", "u2", "u3"]),
            "group": ("session", ["a", "a", "b"]),
            "peculiarities": ("session", np.array(["NEVER_SLEPT", "", "NEVER_SLEPT,TOO_LONG"], dtype=object)),
            "sleep_latency": ("session", [0.0, 120.0, 300.0]),
        },
    )


def test_night_quality_of_a_small_cohort() -> None:
    q = night_quality(small_cohort(), flag_share=0.5, long_run_minutes=30)
    assert q.index.tolist() == ["s1", "s2", "s3"]
    assert q["epochs"].tolist() == [112, 120, 118]
    assert q["no_signal_epochs"].tolist() == [70, 16, 2]
    assert q["leading_no_signal"].tolist() == [35.0, 0.0, 0.0]
    assert q["trailing_no_signal"].tolist() == [0.0, 8.0, 0.0]
    assert q["long_leading"].tolist() == [True, False, False]
    assert q["flagged"].tolist() == [True, False, False]
    assert q["research_sleep_latency"].tolist() == [2160.0, 120.0, 360.0]
    assert q["sleep_latency"].tolist() == [0.0, 120.0, 300.0]
    assert q.attrs == {"flag_share": 0.5, "long_run_minutes": 30.0}


def test_thresholds_are_strict_and_named_defaults() -> None:
    cohort = small_cohort()
    share = 70 / 112
    assert night_quality(cohort, flag_share=share)["flagged"].tolist() == [False, False, False]
    assert night_quality(cohort, long_run_minutes=35)["long_leading"].tolist() == [False, False, False]
    default = night_quality(cohort)
    assert default.attrs == {"flag_share": FLAG_NO_SIGNAL_SHARE, "long_run_minutes": LONG_EDGE_RUN_MINUTES}


def test_group_quality_pools_epochs() -> None:
    groups = group_quality(night_quality(small_cohort(), flag_share=0.5))
    assert groups.index.tolist() == ["a", "b"]
    assert groups.loc["a", "nights"] == 2 and groups.loc["a", "epochs"] == 232
    assert groups.loc["a", "no_signal_share"] == pytest.approx(86 / 232)
    assert groups.loc["a", "flagged"] == 1 and groups.loc["b", "flagged"] == 0
    assert groups.loc["a", "long_leading"] == 1 and groups.loc["a", "long_trailing"] == 0


def test_peculiarity_counts_per_group() -> None:
    counts = peculiarity_counts(night_quality(small_cohort()))
    assert counts.to_dict() == {
        "a": {"NEVER_SLEPT": 1, "TOO_LONG": 0},
        "b": {"NEVER_SLEPT": 1, "TOO_LONG": 1},
    }
    none = pd.DataFrame({"group": ["a", "b"], "peculiarities": ["", ""]})
    assert peculiarity_counts(none).shape == (0, 2)


def test_a_cohort_without_stat_has_nan_vendor_latency() -> None:
    cohort = small_cohort().drop_vars(["sleep_latency", "peculiarities"])
    q = night_quality(cohort)
    assert q["sleep_latency"].isna().all() and (q["peculiarities"] == "").all()


@pytest.mark.parametrize("bad", [-0.1, 1.5, "half", float("nan"), None])
def test_bad_flag_share(bad: object) -> None:
    with pytest.raises(ValueError, match="share between 0 and 1"):
        check_flag_share(bad)


@pytest.mark.parametrize("bad", [-1, float("inf"), "long"])
def test_bad_run_minutes(bad: object) -> None:
    with pytest.raises(ValueError, match="non-negative number of minutes"):
        check_run_minutes(bad)
