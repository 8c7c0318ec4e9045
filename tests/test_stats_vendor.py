"""The vendor-exact stat engine: published example, rules, batches, verify, peculiarities."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from asleep_nb import stats
from asleep_nb.definitions import FOUR_STAGE_ONLY_FIELDS, NEVER_SLEPT_NULL_FIELDS, PAD, STAT_FIELDS
from asleep_nb.errors import PayloadError
from asleep_nb.stats import (
    FIELD_COLUMNS,
    TOO_SHORT_SECONDS,
    UNKNOWABLE_FIELDS,
    compute_stat,
    compute_stats,
    derive_peculiarities,
    error_epoch_share,
    peculiarity_flags,
    stat_arrays,
    verify,
)
from asleep_nb.stats._cycles import max_cycles
from asleep_nb.stats._rounding import round2_hundredths
from asleep_nb.stats._rounding import round_half_even as _round_half_even

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "published_example.json"
START = datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)


def example() -> dict:
    return json.loads(EXAMPLE.read_text())["data"]


def at(seconds: float, start: datetime = START) -> datetime:
    return start + timedelta(seconds=seconds)


def night(stages, **kw) -> dict:
    stages = list(stages)
    return compute_stat(stages, START, at(30 * len(stages)), **kw)


def utc_instant(value):
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def normalise(stat: dict) -> dict:
    """Times as UTC instants so that rows of compute_stats compare with compute_stat."""
    out = dict(stat)
    for name, field in STAT_FIELDS.items():
        if field.kind == "time":
            out[name] = utc_instant(stat[name])
        elif field.kind == "time_list":
            out[name] = [utc_instant(t) for t in stat[name]]
    return out


def json_row(ds: xr.Dataset, i: int) -> dict:
    out = {}
    for name, field in STAT_FIELDS.items():
        v = ds[name].values[i]
        if name in UNKNOWABLE_FIELDS:
            out[name] = None
        elif field.kind == "time_list":
            out[name] = [pd.Timestamp(t).tz_localize(UTC).to_pydatetime() for t in v if not np.isnat(t)]
        elif field.kind == "time":
            out[name] = None if np.isnat(v) else pd.Timestamp(v).tz_localize(UTC).to_pydatetime()
        else:
            out[name] = None if math.isnan(v) else (float(v) if field.kind == "ratio" else int(v))
    return out


# --- the published example ---------------------------------------------------------------


def test_published_example_is_reproduced_exactly():
    data = example()
    s = data["session"]
    mine = compute_stat(
        s["sleep_stages"],
        datetime.fromisoformat(s["start_time"]),
        datetime.fromisoformat(s["end_time"]),
        snoring_stages=s["snoring_stages"],
    )
    published = data["stat"]
    assert list(mine) == list(STAT_FIELDS)
    for name in UNKNOWABLE_FIELDS:
        assert mine[name] is None
        mine[name] = published[name]
    assert mine == published
    assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in published.items()}


def test_published_example_verifies_clean_and_tampering_is_reported():
    data = example()
    assert verify(data) == {}
    data["stat"] = {**data["stat"], "sleep_ratio": 0.85, "wake_time": "2025-01-15T12:26:29+09:00"}
    assert verify(data) == {"sleep_ratio": (0.85, 0.86)}  # same instant in another offset is equal
    assert verify({**data, "stat": None}) == {}


def test_verify_accepts_a_session_result():
    records = pytest.importorskip("asleep_nb.api.records")
    result = records.SessionResult.from_webhook(json.loads(EXAMPLE.read_text()))
    assert verify(result) == {}


# --- rounding ----------------------------------------------------------------------------


def test_round2_equals_python_round_for_every_ratio_up_to_3000_epochs():
    n = np.concatenate([np.full(d + 1, d) for d in range(1, 3001)])
    k = np.concatenate([np.arange(d + 1) for d in range(1, 3001)])
    mine = round2_hundredths(k, n) / 100
    python = np.array([round(a / b, 2) for a, b in zip(k.tolist(), n.tolist(), strict=True)])
    assert np.array_equal(mine, python)  # bit for bit (numpy.round differs on 1230 of these)


def test_round2_equals_python_round_for_efficiencies_in_seconds():
    rng = np.random.default_rng(5)
    den = rng.integers(1, 200_000, 20_000)
    num = 30 * rng.integers(0, den // 30 + 2)
    # and exact halves such as 0.125, 0.135 ... in seconds
    den = np.concatenate([den, np.full(199, 2000 * 30)])
    num = np.concatenate([num, 30 * 10 * np.arange(1, 200)])
    mine = round2_hundredths(num, den) / 100
    assert np.array_equal(mine, [round(a / b, 2) for a, b in zip(num.tolist(), den.tolist(), strict=True)])


def test_sleep_cycle_rounds_half_to_even():
    assert _round_half_even(np.array([75, 45, 30, 31]), np.array([10, 10, 4, 4])).tolist() == [8, 4, 8, 8]


def test_sleep_cycle_rounding_on_a_night():
    # 4 cycles of 20 REM epochs 21 epochs apart; the last REM is 143 epochs after onset:
    # 143 * 30 / 4 = 1072.5 s, rounded half to even -> 1072
    stages = [1] + ([3] * 20 + [1] * 21) * 3 + [3] * 20 + [1] * 5
    stat = night(stages)
    assert (stat["sleep_cycle_count"], stat["sleep_cycle"]) == (4, 1072)
    assert stat["sleep_cycle_time"] == [at(30 * i).isoformat() for i in (0, 20, 61, 102, 143)]


# --- rules -------------------------------------------------------------------------------


def test_ratio_fixup_moves_onto_light_first():
    # wake 1/8 -> 0.12, light 3/8 -> 0.38, deep 0, rem 4/8 -> 0.5: sum 1.0 already
    assert night([1, 0, 1, 1, 3, 3, 3, 3])["light_ratio"] == 0.38
    # thirds: 0.33 * 3 = 0.99 -> light gets the missing hundredth
    stat = night([0, 1, 2, 0, 1, 2, 0, 1, 2])
    assert round(stat["wake_ratio"] + stat["light_ratio"] + stat["deep_ratio"] + stat["rem_ratio"], 2) == 1.0


def test_never_slept_follows_the_null_rules():
    stat = night([0] * 20, snoring_stages=[1] * 20)
    for name in NEVER_SLEPT_NULL_FIELDS:
        assert stat[name] is None, name
    assert stat["sleep_efficiency"] == 0.0
    assert stat["time_in_bed"] == 600
    times_in = [
        f for f in STAT_FIELDS if f.startswith("time_in") and f != "time_in_bed" and "breath" not in f
    ]
    assert [stat[f] for f in times_in] == [0] * 8
    assert (stat["waso_count"], stat["sleep_cycle_count"], stat["sleep_cycle_time"]) == (0, 0, [])
    assert (stat["snoring_ratio"], stat["no_snoring_ratio"], stat["snoring_count"]) == (0.0, 0.0, 0)


def test_a_night_of_only_wake_and_error_epochs_never_slept():
    stat = night([0, -1, 0, 0, -1, 0])
    assert stat["sleep_time"] is None and stat["time_in_wake"] == 0 and stat["waso_count"] == 0


def test_two_stage_nights_null_the_four_stage_fields():
    stat = night([0, 0, 1, 1, 0, 1, 1, 1, 0], two_stage=True)
    for name in FOUR_STAGE_ONLY_FIELDS:
        assert stat[name] is None, name
    assert (stat["time_in_sleep"], stat["time_in_wake"], stat["sleep_ratio"]) == (150, 30, 0.83)
    with pytest.raises(PayloadError, match=r"sleep_stages\[2\]"):
        night([0, 0, 3], two_stage=True)


def test_error_epochs_rule_field_by_field():
    #        0   1  2  3   4  5  6   7  8  9
    stages = [0, -1, 1, 0, -1, 0, 3, 1, -1, 0]
    stat = night(stages, snoring_stages=[1, 1, 1, 1, 1, 0, 1, 1, 1, 1])
    assert stat["sleep_latency"] == 30 and stat["sleep_time"] == at(30).isoformat()  # onset on the -1
    assert stat["wakeup_latency"] == 30 and stat["wake_time"] == at(270).isoformat()  # last non-wake: the -1
    assert (stat["light_latency"], stat["rem_latency"], stat["deep_latency"]) == (30, 150, None)
    assert (stat["time_in_light"], stat["time_in_rem"], stat["time_in_sleep"]) == (60, 30, 90)
    assert stat["time_in_wake"] == 60  # epochs 3 and 5, the -1 between them is not wake
    assert stat["time_in_sleep_period"] == 150  # -1 epochs left out
    assert (stat["waso_count"], stat["longest_waso"]) == (2, 30)  # the -1 at 4 splits the wake run
    assert (stat["wake_ratio"], stat["light_ratio"], stat["rem_ratio"]) == (0.4, 0.4, 0.2)
    # snoring on epochs 2, 3, 6, 7 (1, 4, 8 are -1 sleep epochs, out of every duration)
    assert (stat["time_in_snoring"], stat["time_in_no_snoring"], stat["snoring_count"]) == (120, 30, 2)
    assert (stat["snoring_ratio"], stat["no_snoring_ratio"]) == (0.8, 0.2)


def test_error_epochs_count_as_non_rem_for_clusters():
    rem = [3] * 20
    # a 21-epoch gap made of error epochs separates two clusters
    assert night([1, *rem, *([-1] * 21), *rem, 1])["sleep_cycle_count"] == 2
    assert night([1, *rem, *([-1] * 20), *rem, 1])["sleep_cycle_count"] == 1


def test_snoring_ratios_sum_to_one_and_are_absent_without_snoring():
    stages = [1] * 200
    for k in range(0, 201, 7):
        stat = night(stages, snoring_stages=[1] * k + [0] * (200 - k))
        assert round(stat["snoring_ratio"] + stat["no_snoring_ratio"], 2) == 1.0
        assert stat["time_in_snoring"] + stat["time_in_no_snoring"] == stat["time_in_sleep_period"]
    stat = night(stages)
    assert all(stat[f] is None for f in ("time_in_snoring", "snoring_ratio", "snoring_count"))


def test_times_keep_the_zone_of_start_time_across_dst():
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2025, 3, 30, 1, 0, tzinfo=paris)  # clocks go 02:00 -> 03:00
    end = datetime(2025, 3, 30, 4, 0, tzinfo=paris)  # two hours later (wall clocks say three)
    stat = compute_stat([0] * 2 + [1] * 236 + [0] * 2, start, end)
    assert stat["time_in_bed"] == 7200
    assert stat["sleep_time"] == "2025-03-30T01:01:00+01:00"
    assert stat["wake_time"] == "2025-03-30T03:59:00+02:00"  # 1 h 58 min later in real time


def test_wake_time_counts_back_from_end_time():
    stat = compute_stat([0, 1, 1, 0], START, at(137))
    assert stat["time_in_bed"] == 137 and stat["wake_time"] == at(107).isoformat()


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stages", "match"),
    [
        ([0, 1, 4, 1], r"sleep_stages\[2\]: unknown code 4"),
        ([0, 1.5, 1, 1], r"sleep_stages\[1\]"),
        ([0, -2, 1, 1], "-2"),
    ],
)
def test_unknown_codes_are_refused(stages, match):
    with pytest.raises(PayloadError, match=match):
        night(stages)


def test_bad_times_and_lengths_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_stat([0, 1], datetime(2025, 1, 1), datetime(2025, 1, 1, 0, 1))
    with pytest.raises(TypeError):
        compute_stat([0, 1], "2025-01-01T00:00:00+00:00", at(60))
    with pytest.raises(PayloadError, match="end_time"):
        compute_stat([0, 1], START, START)
    with pytest.raises(PayloadError, match="sleep_stages"):
        compute_stat([0, 1, 1, 1], START, at(60))
    with pytest.raises(PayloadError, match="snoring_stages"):
        night([0, 1, 1], snoring_stages=[0, 1])
    with pytest.raises(PayloadError, match=r"snoring_stages\[1\]"):
        night([0, 1, 1], snoring_stages=[0, 2, 0])


def test_engine_refuses_gaps_and_bad_codes():
    with pytest.raises(PayloadError, match="contiguous"):
        stat_arrays(np.array([[0, PAD, 1]], dtype=np.int8), None, np.array([90.0]))
    with pytest.raises(PayloadError, match=r"sleep_stage\[1, 0\]"):
        stat_arrays(np.array([[0, 1], [7, 1]], dtype=np.int8), None, np.array([60.0, 60.0]))


# --- batches -----------------------------------------------------------------------------


def mixed_batch():
    rng = np.random.default_rng(3)
    rem = [3] * 25
    nights = [
        [0] * 5 + [1] * 30 + rem + [2] * 40 + [1] * 30 + rem + [0] * 3 + [1] * 10,
        [0, -1, 1, 0, -1, 0, 3, 1, -1, 0],
        [0] * 12,
        [0, 0, 1, 1, 0, 1, 1, 1, 0, 1],
        [-1] * 3 + [1] * 50 + [-1] * 21 + rem + [0] * 2,
        list(rng.choice([-1, 0, 1, 2, 3], 300, p=[0.05, 0.2, 0.4, 0.15, 0.2])),
        [1],
    ]
    snoring = [list(rng.choice([-1, 0, 1], len(s))) if i % 3 != 1 else None for i, s in enumerate(nights)]
    two = [i == 3 for i in range(len(nights))]
    starts = [datetime(2025, 1, 1 + i, 22, 0, 3 * i, tzinfo=UTC) for i in range(len(nights))]
    ends = [
        s + timedelta(seconds=30 * len(n) + 11 * i % 30)
        for i, (s, n) in enumerate(zip(starts, nights, strict=True))
    ]
    return nights, snoring, two, starts, ends


def batch_dataset(align_right: bool = False) -> tuple[xr.Dataset, list[dict]]:
    nights, snoring, two, starts, ends = mixed_batch()
    width = max(len(n) for n in nights) + 3
    sl = np.full((len(nights), width), PAD, dtype=np.int8)
    sn = np.full_like(sl, PAD)
    for i, n in enumerate(nights):
        cols = slice(width - len(n), width) if align_right else slice(2, 2 + len(n))
        sl[i, cols] = n
        if snoring[i] is not None:
            sn[i, cols] = snoring[i]
    ds = xr.Dataset(
        {"sleep_stage": (("session", "epoch"), sl), "snoring_stage": (("session", "epoch"), sn)},
        coords={
            "session_id": ("session", [f"s{i}" for i in range(len(nights))]),
            "start_time": ("session", pd.to_datetime(starts).tz_convert(None)),
            "end_time": ("session", pd.to_datetime(ends).tz_convert(None)),
            "two_stage": ("session", two),
        },
    )
    expected = [
        normalise(compute_stat(n, s, e, snoring_stages=sn_, two_stage=t))
        for n, sn_, t, s, e in zip(nights, snoring, two, starts, ends, strict=True)
    ]
    return ds, expected


@pytest.mark.parametrize("align_right", [False, True])
def test_compute_stats_equals_compute_stat_on_each_night(align_right):
    ds, expected = batch_dataset(align_right)
    out = compute_stats(ds)
    assert list(out.data_vars) == list(STAT_FIELDS)
    assert out["session_id"].values.tolist() == [f"s{i}" for i in range(len(expected))]
    for i, exp in enumerate(expected):
        assert json_row(out, i) == exp, i
    assert out["time_in_rem"].attrs["units"] == "s"
    assert out["sleep_time"].dtype == np.dtype("datetime64[ns]")
    assert out["breathing_pattern"].values.tolist() == [""] * len(expected)
    assert out.sizes["cycle"] == 3


def test_compute_stats_on_a_single_night_dataset():
    data = example()
    s = data["session"]
    n = len(s["sleep_stages"])
    start = np.datetime64("2025-01-15T02:50:29", "ns")
    night_ds = xr.Dataset(
        {
            "sleep_stage": ("time", np.array(s["sleep_stages"], dtype=np.int8)),
            "snoring_stage": ("time", np.array(s["snoring_stages"], dtype=np.int8)),
        },
        coords={"time": start + np.arange(n) * np.timedelta64(30, "s")},
        attrs={
            "start_time": s["start_time"],
            "end_time": s["end_time"],
            "two_stage": 0,
            "session_id": s["id"],
        },
    )
    out = compute_stats(night_ds)
    expected = normalise({**data["stat"], **{f: None for f in UNKNOWABLE_FIELDS}})
    assert json_row(out, 0) == expected
    assert out["session_id"].values.tolist() == [s["id"]]


def test_compute_stats_is_lazy_on_dask_and_matches():
    pytest.importorskip("dask")
    import dask

    ds, expected = batch_dataset()
    lazy = compute_stats(ds.chunk({"session": 3, "epoch": 100}))
    assert lazy["time_in_sleep"].chunks is not None
    with dask.config.set(scheduler="threads"):
        out = lazy.compute()
    assert out.sizes["cycle"] == max_cycles(ds.sizes["epoch"]) + 1
    for i, exp in enumerate(expected):
        assert json_row(out, i) == exp, i


def test_engine_columns_and_cycle_capacity():
    assert "sleep_time" in FIELD_COLUMNS and "sleep_index" not in FIELD_COLUMNS
    rem, gap = [3] * 20, [1] * 21
    full = rem + (gap + rem) * (max_cycles(205) - 1)
    assert len(full) == 41 * max_cycles(205) - 21 <= 205
    assert night(full)["sleep_cycle_count"] == max_cycles(205)


# --- peculiarities -----------------------------------------------------------------------


def test_derive_peculiarities():
    assert derive_peculiarities([0, 1], START, at(TOO_SHORT_SECONDS)) == []
    assert derive_peculiarities([0, 1], START, at(TOO_SHORT_SECONDS - 1)) == ["TOO_SHORT_FOR_ANALYSIS"]
    assert derive_peculiarities([0, 1], START, at(1000), too_short_seconds=1200) == ["TOO_SHORT_FOR_ANALYSIS"]
    assert derive_peculiarities([0, -1, 0], START, at(86401)) == ["NEVER_SLEPT", "TOO_LONG_FOR_ANALYSIS"]
    assert error_epoch_share([-1, 0, 1, -1]) == 0.5
    assert math.isnan(error_epoch_share([]))


def test_peculiarity_flags_match_the_per_night_function():
    ds, _ = batch_dataset()
    nights, _, _, starts, ends = mixed_batch()
    flags = peculiarity_flags(ds, too_short_seconds=200)
    for i, n in enumerate(nights):
        labels = derive_peculiarities(n, starts[i], ends[i], too_short_seconds=200)
        names = ("NEVER_SLEPT", "TOO_SHORT_FOR_ANALYSIS", "TOO_LONG_FOR_ANALYSIS")
        assert [k for k in names if flags[k][i]] == labels
        assert flags["error_epoch_share"].values[i] == error_epoch_share(n)


def test_research_names_are_exported_lazily():
    assert "sleep_regularity_index" in stats.__all__ and "stage_bouts" in stats.__all__
    with pytest.raises(AttributeError):
        stats.no_such_metric  # noqa: B018
