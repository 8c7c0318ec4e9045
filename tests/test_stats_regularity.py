"""Across-night metrics: circular clock statistics, mid-sleep, social jet lag, SRI."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from asleep_nb.definitions import PAD
from asleep_nb.errors import InvalidTimezone
from asleep_nb.stats.circular import (
    circular_stats_by,
    clock_difference,
    clock_hours,
    format_clock,
)
from asleep_nb.stats.regularity import (
    circular_mean_time,
    circular_std_time,
    clock_time_summary,
    mid_sleep_time,
    sleep_regularity_index,
    sleep_schedule,
    social_jet_lag,
)

BASE = [0] * 60 + [1] * 840 + [0] * 60  # 8 h from 22:00: asleep 22:30 - 05:30


def cohort(nights, starts, users=None, zones=None, width=None):
    """Cohort dataset of stage lists with UTC-naive starts (strings)."""
    n = len(nights)
    width = width or max(len(x) for x in nights)
    codes = np.full((n, width), PAD, dtype=np.int8)
    for i, x in enumerate(nights):
        codes[i, : len(x)] = x
    start = pd.to_datetime(list(starts)).to_numpy("datetime64[ns]")
    end = start + np.array([len(x) for x in nights]) * np.timedelta64(30, "s")
    return xr.Dataset(
        {"sleep_stage": (("session", "epoch"), codes)},
        coords={
            "session_id": ("session", [f"s{i}" for i in range(n)]),
            "user_id": ("session", users or ["u"] * n),
            "timezone": ("session", zones or ["UTC"] * n),
            "start_time": ("session", start),
            "end_time": ("session", end),
        },
    )


def daily(first, n):
    return [str(t) for t in pd.date_range(first, periods=n, freq="D")]


# -- circular statistics ---------------------------------------------------------------------------


def test_circular_mean_across_midnight():
    assert circular_mean_time(["23:30", "00:30"]) == 0.0
    assert circular_mean_time([23.5, 0.5]) == 0.0
    assert circular_mean_time([dt.time(23, 30), dt.time(0, 30)]) == 0.0
    stamps = pd.to_datetime(["2025-01-06T23:30", "2025-01-08T00:30"])
    assert circular_mean_time(stamps) == 0.0
    aware = stamps.tz_localize("Asia/Seoul")  # the wall clock of aware values is used
    assert circular_mean_time(pd.Series(aware)) == 0.0
    assert circular_mean_time([22.0, 23.0, 1.0, 2.0]) == 0.0
    assert circular_mean_time([6.0, 8.0]) == pytest.approx(7.0)


def test_circular_std():
    assert circular_std_time([23.0, 23.0, np.nan]) == 0.0
    r = abs(np.mean(np.exp(1j * np.array([23.5, 0.5]) * 2 * np.pi / 24)))
    assert circular_std_time(["23:30", "00:30"]) == pytest.approx(
        math.sqrt(-2 * math.log(r)) * 24 / (2 * math.pi)
    )
    # small spread: close to the linear std (ddof=0) of the unwrapped times
    times = np.array([23.0, 23.5, 0.0, 0.25, 0.75])
    unwrapped = np.where(times > 12, times - 24, times)
    assert circular_std_time(times) == pytest.approx(unwrapped.std(), rel=0.01)


def test_circular_degenerate():
    assert math.isnan(circular_mean_time([]))
    assert math.isnan(circular_std_time([np.nan, None]))
    assert math.isnan(circular_mean_time([0.0, 12.0]))
    assert circular_std_time([0.0, 12.0]) == math.inf


def test_clock_hours_kinds_and_errors():
    values = [
        1.5,
        "01:30",
        "01:30:00",
        dt.time(1, 30),
        pd.Timedelta(minutes=90),
        np.datetime64("2025-01-01T01:30"),
    ]
    assert [clock_hours(v)[0] for v in values] == [1.5] * 6
    with pytest.raises(ValueError, match=r"\[0, 24\]"):
        clock_hours([25.0])
    with pytest.raises(ValueError, match=r"\[0, 24\]"):
        clock_hours([-1.0])
    with pytest.raises(ValueError, match="HH:MM"):
        clock_hours(["half past one"])
    with pytest.raises(TypeError):
        clock_hours([object()])
    with pytest.raises(TypeError):
        clock_hours([True, False])


def test_clock_difference_and_format():
    assert clock_difference(0.5, 23.5) == 1.0
    assert clock_difference(23.5, 0.5) == -1.0
    np.testing.assert_allclose(clock_difference([1.0, 13.0], [2.0, 1.0]), [-1.0, -12.0])
    assert format_clock(23.999) == "00:00"
    assert format_clock(7.25) == "07:15"


def test_circular_stats_by_matches_scalar_functions():
    rng = np.random.default_rng(0)
    hours = rng.uniform(0, 24, 60)
    groups = rng.choice(["a", "b", "c"], 60)
    out = circular_stats_by(hours, groups)
    for g in "abc":
        assert out.loc[g, "mean"] == pytest.approx(circular_mean_time(hours[groups == g]))
        assert out.loc[g, "std"] == pytest.approx(circular_std_time(hours[groups == g]))
        assert out.loc[g, "n"] == (groups == g).sum()
    with pytest.raises(ValueError, match="group labels"):
        circular_stats_by([1.0, 2.0], ["a"])


# -- mid-sleep and schedules -----------------------------------------------------------------------


def test_mid_sleep_hand_computed_across_midnight():
    table = pd.DataFrame(
        {
            "user_id": ["u", "u", "v"],
            "timezone": ["UTC", "Europe/Paris", "UTC"],
            "sleep_time": pd.to_datetime(["2025-01-06T23:30", "2025-01-07T22:30", "2025-01-06T20:00"]),
            "wake_time": pd.to_datetime(["2025-01-07T03:30", "2025-01-08T06:30", "2025-01-07T04:30"]),
        },
        index=["a", "b", "c"],
    )
    mid = mid_sleep_time(table)
    assert mid.index.tolist() == ["a", "b", "c"]
    assert mid.tolist() == [1.5, 3.5, 0.25]


def test_mid_sleep_tz_aware_table_without_timezone_column():
    sleep = pd.to_datetime(["2025-01-06T23:30"]).tz_localize("America/New_York")
    table = pd.DataFrame({"user_id": ["u"], "sleep_time": sleep, "wake_time": sleep + pd.Timedelta(hours=7)})
    assert mid_sleep_time(table).tolist() == [3.0]
    assert sleep_schedule(table)["timezone"].tolist() == ["America/New_York"]


def test_mid_sleep_across_dst_uses_elapsed_time():
    # Europe/Paris springs forward at 02:00 on 2025-03-30: 22:00 CET -> 07:00 CEST is 8 h of elapsed time
    table = pd.DataFrame(
        {
            "user_id": ["u"],
            "timezone": ["Europe/Paris"],
            "sleep_time": pd.to_datetime(["2025-03-29T21:00"]),
            "wake_time": pd.to_datetime(["2025-03-30T05:00"]),
        }
    )
    assert mid_sleep_time(table).tolist() == [3.0]  # 01:00 UTC = 03:00 CEST


def test_mid_sleep_cohort_equals_table_and_server_stat_used():
    ds = cohort([BASE, BASE[:900], [0] * 10], daily("2025-01-06T22:00", 3))
    mid = mid_sleep_time(ds)
    assert mid.dims == ("session",)
    # asleep 22:30 -> 05:30 (wake_time = end of the last sleep epoch) -> 02:00
    np.testing.assert_array_equal(mid.values, [2.0, 2.0, np.nan])
    schedule = sleep_schedule(ds)
    assert schedule.index.tolist() == ["s0", "s1", "s2"]
    assert schedule["sleep_time"].iloc[0] == pd.Timestamp("2025-01-06T22:30")
    assert schedule["wake_time"].iloc[0] == pd.Timestamp("2025-01-07T05:30")
    assert schedule["night"].tolist()[:2] == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-07")]
    table = schedule[["user_id", "timezone", "sleep_time", "wake_time"]]
    np.testing.assert_array_equal(mid_sleep_time(table).to_numpy(), mid.values)
    # stat variables from the server win where they are not NaT
    ds["sleep_time"] = ("session", np.array(["2025-01-06T23:30", "NaT", "NaT"], dtype="datetime64[ns]"))
    np.testing.assert_array_equal(mid_sleep_time(ds).values, [2.5, 2.0, np.nan])


def test_schedule_errors():
    with pytest.raises(TypeError, match="DataFrame"):
        sleep_schedule([1, 2])
    with pytest.raises(ValueError, match="columns"):
        sleep_schedule(pd.DataFrame({"user_id": ["u"]}))
    naive = pd.DataFrame(
        {
            "user_id": ["u"],
            "sleep_time": [pd.Timestamp("2025-01-06T23:00")],
            "wake_time": [pd.Timestamp("2025-01-07")],
        }
    )
    with pytest.raises(ValueError, match="timezone"):
        sleep_schedule(naive)
    with pytest.raises(InvalidTimezone):
        sleep_schedule(naive.assign(timezone="Mars/Olympus"))
    with pytest.raises(ValueError, match="before sleep_time"):
        sleep_schedule(naive.assign(timezone="UTC", wake_time=pd.Timestamp("2025-01-06")))
    with pytest.raises(ValueError, match="empty"):
        sleep_schedule(naive.assign(timezone="UTC").iloc[:0])
    with pytest.raises(TypeError, match="date-times"):
        sleep_schedule(naive.assign(timezone="UTC", sleep_time=[object()]))
    with pytest.raises(ValueError, match="coordinates"):
        sleep_schedule(cohort([BASE], ["2025-01-06T22:00"]).drop_vars("timezone"))


# -- social jet lag ----------------------------------------------------------------------------------


def schedule_table(user, first_night, n, onset_h, free_shift_h, zone="UTC", free_days=(4, 5)):
    nights = pd.date_range(first_night, periods=n, freq="D")
    shift = np.where(nights.day_of_week.isin(free_days), free_shift_h, 0.0)
    sleep_local = nights + pd.to_timedelta(onset_h + shift, unit="h")
    sleep = sleep_local.tz_localize(zone).tz_convert("UTC").tz_localize(None)
    return pd.DataFrame(
        {
            "user_id": user,
            "timezone": zone,
            "night": nights,
            "sleep_time": sleep,
            "wake_time": sleep + pd.Timedelta(hours=7.5),
        }
    )


def test_social_jet_lag_equals_built_in_shift():
    table = pd.concat(
        [
            schedule_table("a", "2025-01-06", 28, 23.0, 1.5),
            schedule_table("b", "2025-01-06", 28, 23.5, 2.25, zone="Asia/Seoul"),  # crosses midnight
            schedule_table("c", "2025-01-06", 28, 22.0, -1.0, zone="America/Los_Angeles"),
            schedule_table("d", "2025-01-06", 3, 23.0, 1.0),  # Mon..Wed: no free night
        ],
        ignore_index=True,
    )
    sjl = social_jet_lag(table)
    assert sjl.index.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_allclose(sjl.to_numpy()[:3], [1.5, 2.25, 1.0], atol=1e-9)
    assert math.isnan(sjl["d"])
    signed = social_jet_lag(table, signed=True)
    np.testing.assert_allclose(signed.to_numpy()[:3], [1.5, 2.25, -1.0], atol=1e-9)
    # other free nights: shifted days treated as workdays dilute the difference to a smaller value
    assert social_jet_lag(table, free_nights=["Sat", 6])["a"] < 1.5
    assert social_jet_lag(table, free_nights=[4, "saturday"])["a"] == pytest.approx(1.5)


def test_social_jet_lag_night_derived_from_start_or_onset():
    table = schedule_table("a", "2025-01-06", 14, 23.5, 1.0).drop(columns="night")
    # onset after midnight on free nights (00:30) still belongs to Friday/Saturday night
    assert social_jet_lag(table)["a"] == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [["Funday"], [7], [], list(range(7)), [True]])
def test_social_jet_lag_bad_free_nights(bad):
    with pytest.raises(ValueError, match="free"):
        social_jet_lag(schedule_table("a", "2025-01-06", 7, 23.0, 1.0), free_nights=bad)


def test_clock_time_summary():
    table = schedule_table("a", "2025-01-06", 14, 23.5, 1.0)
    table["start_time"] = table["sleep_time"] - pd.Timedelta(minutes=15)
    out = clock_time_summary(table)
    assert out.index.tolist() == ["a"]
    assert out.loc["a", "n_nights"] == 14
    onsets = np.where(np.isin(np.arange(14) % 7, [4, 5]), 0.5, 23.5)  # Monday first
    assert out.loc["a", "sleep_time_mean"] == pytest.approx(circular_mean_time(onsets))
    assert out.loc["a", "sleep_time_std"] == pytest.approx(circular_std_time(onsets))
    assert out.loc["a", "bed_time_mean"] == pytest.approx((out.loc["a", "sleep_time_mean"] - 0.25) % 24)
    assert out.loc["a", "wake_time_std"] == pytest.approx(out.loc["a", "sleep_time_std"])


# -- sleep regularity index --------------------------------------------------------------------------


def test_sri_identical_nights_is_100():
    ds = cohort([BASE] * 5, daily("2025-01-06T22:00", 5))
    assert sleep_regularity_index(ds).to_dict() == {"u": 100.0}
    assert sleep_regularity_index(ds, outside="wake").to_dict() == {"u": 100.0}


def test_sri_shifted_hand_computed():
    late = [0] * 120 + [1] * 780 + [0] * 60  # onset 30 min later
    ds = cohort([BASE, late], daily("2025-01-06T22:00", 2))
    # 960 pairs, 60 disagree: -100 + 200 * 900 / 960
    assert sleep_regularity_index(ds)["u"] == pytest.approx(87.5)
    assert sleep_regularity_index(ds, outside="wake")["u"] == pytest.approx(87.5)


def test_sri_start_shift_with_unaligned_seconds():
    # second night starts 10 min 7 s later on the clock: slots snap to the 30-s grid
    ds = cohort([BASE, BASE], ["2025-01-06T22:00:00", "2025-01-07T22:10:07"])
    # overlap 960 - 20 = 940 pairs; disagree at onset (20) and at the final awakening (20)
    assert sleep_regularity_index(ds)["u"] == pytest.approx(-100 + 200 * 900 / 940)


def test_sri_missing_night_and_outside_wake():
    ds = cohort([BASE, BASE], ["2025-01-06T22:00", "2025-01-08T22:00"])
    assert math.isnan(sleep_regularity_index(ds)["u"])
    # day 0 vs empty day 1 (wake): 120 of 960 agree, same for day 1 vs day 2, plus 1920 wake-wake pairs
    assert sleep_regularity_index(ds, outside="wake")["u"] == pytest.approx(-100 + 200 * 2160 / 3840)


def test_sri_random_near_zero_and_jitter_lower():
    rng = np.random.default_rng(1)
    random_nights = [rng.integers(0, 2, 960).tolist() for _ in range(10)]
    jittered = []
    for _ in range(10):
        k = int(rng.integers(0, 120))
        jittered.append([0] * k + [1] * 840 + [0] * (120 - k))
    ds = cohort(
        random_nights + jittered + [BASE] * 10,
        daily("2025-01-06T22:00", 10) * 3,
        users=["random"] * 10 + ["jitter"] * 10 + ["regular"] * 10,
    )
    sri = sleep_regularity_index(ds)
    assert sri.index.tolist() == ["jitter", "random", "regular"]
    assert abs(sri["random"]) < 10
    assert 50 < sri["jitter"] < 100
    assert sri["regular"] == 100.0


def test_sri_local_clock_across_dst_and_errors_missing():
    # 22:00 -> 01:00 in Paris every night from 27 March to 1 April 2025 (clocks go forward on the 30th)
    short = [0] * 30 + [1] * 300 + [0] * 30
    starts = pd.date_range("2025-03-27T22:00", periods=6, freq="D").tz_localize("Europe/Paris")
    utc = [str(t) for t in starts.tz_convert("UTC").tz_localize(None)]
    with_errors = [-1 if i % 37 == 0 else s for i, s in enumerate(short)]  # errors are missing, not wake
    ds = cohort([short] * 5 + [with_errors], utc, zones=["Europe/Paris"] * 6)
    assert sleep_regularity_index(ds)["u"] == 100.0
    # the same UTC schedule (21:00 UTC every night) moves by an hour on the local clock
    same_utc = pd.date_range("2025-03-27T21:00", periods=6, freq="D").to_numpy("datetime64[ns]")
    assert sleep_regularity_index(ds.assign_coords(start_time=("session", same_utc)))["u"] < 100.0


def test_sri_two_users_kept_apart():
    ds = cohort(
        [BASE, [1] * 960, BASE, [1] * 960],
        ["2025-01-06T22:00", "2025-01-07T22:00", "2025-01-07T22:00", "2025-01-06T22:00"],
        users=["a", "a", "b", "b"],
    )
    sri = sleep_regularity_index(ds)
    assert sri["a"] == sri["b"] == pytest.approx(-100 + 200 * 840 / 960)


def test_sri_errors():
    ds = cohort([BASE], ["2025-01-06T22:00"])
    with pytest.raises(TypeError, match="Dataset"):
        sleep_regularity_index(ds["sleep_stage"])
    with pytest.raises(ValueError, match="outside"):
        sleep_regularity_index(ds, outside="sleep")
    with pytest.raises(ValueError, match="user_id"):
        sleep_regularity_index(ds.drop_vars("user_id"))
    with pytest.raises(ValueError, match="unknown stage codes"):
        sleep_regularity_index(ds.assign(sleep_stage=ds["sleep_stage"] + 5))
    with pytest.raises(ValueError, match="start_time"):
        sleep_regularity_index(ds.assign_coords(start_time=("session", np.array(["NaT"], "datetime64[ns]"))))
    assert math.isnan(sleep_regularity_index(ds)["u"])  # one night: no pair 24 h apart
