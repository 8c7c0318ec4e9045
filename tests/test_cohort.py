"""Cohorts: layout, the three alignments across zones and DST, padding memory, tables, manifests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asleep_nb.api.records import SessionResult
from asleep_nb.data.cohort import CLOCK_SLOTS, to_cohort
from asleep_nb.data.manifest import MANIFEST_COLUMNS, ManifestError, read_manifest
from asleep_nb.data.table import stats_table
from asleep_nb.definitions import PAD, STAT_FIELDS
from asleep_nb.errors import InvalidTimezone
from asleep_nb.loading.load import load_cohort

_spec = importlib.util.spec_from_file_location("_night_payloads", Path(__file__).with_name("test_dataset.py"))
_payloads = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_payloads)
make_payload, night_stages, round_trip = _payloads.make_payload, _payloads.night_stages, _payloads.round_trip

U1 = "G-20250101000001-AaaaaaaaaaAaaaaaaaaa"
U2 = "G-20250101000002-BbbbbbbbbbBbbbbbbbbb"
U3 = "G-20250101000003-CccccccccCccccccccccC"[:37]


def zone_nights():
    """A Paris night across the spring DST change, a New York one across its change, a Seoul one."""
    return [
        make_payload(
            "2025-03-29T23:00:00", "Europe/Paris", night_stages(20, 780, 40), suffix="paris", user_id=U1
        ),
        make_payload(
            "2025-03-08T22:30:00", "America/New_York", night_stages(40, 800, 60), suffix="nyc01", user_id=U2
        ),
        make_payload(
            "2025-03-10T23:00:00", "Asia/Seoul", night_stages(10, 900, 20), suffix="seoul", user_id=U3
        ),
    ]


@pytest.fixture(scope="module")
def mixed(example_webhook):
    payloads = [
        *zone_nights(),
        example_webhook,
        make_payload(
            "2025-02-01T22:00:00", "UTC", [0] * 10 + [1] * 30, state="OPEN", suffix="open1", user_id=U1
        ),
        make_payload(
            "2025-02-02T22:00:00", "UTC", night_stages(20, 600), state="CLOSED", suffix="clos1", user_id=U1
        ),
        make_payload(
            "2025-02-03T22:00:00", "UTC", [0] * 20 + [1] * 500, two_stage=True, suffix="twost", user_id=U2
        ),
    ]
    groups = ["b", "b", "a", "a", "b", "b", "a"]
    return to_cohort(payloads, groups=groups)


# --------------------------------------------------------------------------- layout
def test_layout_dims_dtypes_coords(mixed):
    ds = mixed
    assert ds.sizes["session"] == 7 and ds.sizes["epoch"] == 930
    assert ds["sleep_stage"].dims == ("session", "epoch") and ds["sleep_stage"].dtype == np.int8
    assert ds["snoring_stage"].dtype == np.int8 and "breath_stage" not in ds
    assert ds.attrs["alignment"] == "start" and ds.attrs["fill_code"] == PAD
    expected = {
        "session_id": "O", "user_id": "O", "group": "O", "night": "M", "start_time": "M", "end_time": "M",
        "local_start_time": "M", "timezone": "O", "state": "O", "two_stage": "b", "n_epochs": "i",
        "offset": "i", "peculiarities": "O",
    }  # fmt: skip
    for name, kind in expected.items():
        assert ds[name].dims == ("session",) and ds[name].dtype.kind == kind, name
    assert ds["n_epochs"].dtype == np.int32 and ds["offset"].dtype == np.int32
    assert ds["epoch"].values.tolist() == list(range(930))
    assert ds["elapsed"].values[2] == np.timedelta64(60, "s")
    for name in STAT_FIELDS:
        assert name in ds and ds[name].dims[0] == "session", name


def test_sorted_by_group_user_start(mixed):
    keys = list(zip(mixed["group"].values, mixed["user_id"].values, mixed["start_time"].values, strict=True))
    assert keys == sorted(keys)
    assert mixed["group"].values.tolist() == ["a", "a", "a", "b", "b", "b", "b"]


def test_each_session_placed_and_padded(mixed, example_webhook):
    ds = mixed
    i = ds["session_id"].values.tolist().index("20250115025029_fvivn")
    row = ds["sleep_stage"].values[i]
    assert row[:120].tolist() == example_webhook["data"]["session"]["sleep_stages"]
    assert (row[120:] == PAD).all()
    for k in range(ds.sizes["session"]):
        n = int(ds["n_epochs"][k])
        assert (ds["sleep_stage"].values[k, n:] == PAD).all() and (
            ds["sleep_stage"].values[k, :n] != PAD
        ).all()


def test_stage_memory_is_one_byte_per_slot(mixed):
    slots = mixed.sizes["session"] * mixed.sizes["epoch"]
    for name in ("sleep_stage", "snoring_stage"):
        assert mixed[name].nbytes <= 1.2 * slots


def test_open_closed_and_two_stage_in_a_cohort(mixed):
    by_id = {sid: k for k, sid in enumerate(mixed["session_id"].values)}
    open_ = next(k for sid, k in by_id.items() if sid.endswith("open1"))
    closed = next(k for sid, k in by_id.items() if sid.endswith("clos1"))
    two = next(k for sid, k in by_id.items() if sid.endswith("twost"))
    assert mixed["state"].values[open_] == "OPEN" and np.isnat(mixed["end_time"].values[open_])
    assert mixed["state"].values[closed] == "CLOSED" and not np.isnat(mixed["end_time"].values[closed])
    for k in (open_, closed):
        assert np.isnan(mixed["time_in_sleep"].values[k]) and np.isnat(mixed["sleep_time"].values[k])
        assert mixed["breathing_pattern"].values[k] == ""
    assert bool(mixed["two_stage"].values[two]) and np.isnan(mixed["time_in_light"].values[two])
    assert mixed["n_epochs"].values[open_] == 40


def test_accepts_records_and_group_mapping(example_webhook):
    record = SessionResult.from_webhook(example_webhook)
    ds = to_cohort([record], groups={"20250115025029_fvivn": "x"})
    assert ds["group"].values.tolist() == ["x"]
    assert to_cohort([example_webhook])["group"].values.tolist() == ["all"]


def test_bad_arguments(example_webhook):
    with pytest.raises(ValueError, match="at least one"):
        to_cohort([])
    with pytest.raises(ValueError, match="align"):
        to_cohort([example_webhook], align="bedtime")
    with pytest.raises(ValueError, match="clock_start"):
        to_cohort([example_webhook], align="clock", clock_start="25:00")
    with pytest.raises(ValueError, match="2 labels for 1"):
        to_cohort([example_webhook], groups=["a", "b"])
    with pytest.raises(ValueError, match="no label"):
        to_cohort([example_webhook], groups={"other": "a"})
    with pytest.raises(ValueError, match="more than once"):
        to_cohort([example_webhook, example_webhook])
    with pytest.raises(InvalidTimezone):
        to_cohort([example_webhook], timezone="Nowhere/Land")


# --------------------------------------------------------------------------- alignments
def test_align_onset():
    payloads = [*zone_nights(), make_payload("2025-01-01T22:00:00", "UTC", [0] * 50, suffix="never")]
    ds = to_cohort(payloads, align="onset")
    assert ds.attrs["alignment"] == "onset"
    assert ds["epoch"].values[0] == -40  # the longest latency: New York, 40 epochs of wake
    at_onset = ds["sleep_stage"].sel(epoch=0).values
    never = (
        ds["session_id"]
        .values.tolist()
        .index(next(s for s in ds["session_id"].values if s.endswith("never")))
    )
    slept = [k for k in range(4) if k != never]
    assert (at_onset[slept] > 0).all()
    assert (ds["sleep_stage"].sel(epoch=-1).values[slept] == 0).all()
    # the never-slept night aligns at its start
    assert ds["offset"].values[never] == 40
    assert ds["elapsed"].sel(epoch=-40).values == np.timedelta64(-1200, "s")


def test_align_clock_lines_up_zones_by_bedtime():
    ds = to_cohort(zone_nights(), align="clock", clock_start="18:00")
    assert ds.attrs["alignment"] == "clock" and ds.attrs["clock_start"] == "18:00"
    assert ds.sizes["epoch"] == CLOCK_SLOTS
    assert ds["clock"].values[-1] == np.timedelta64(24 * 3600 - 30, "s")
    offsets = dict(zip([s[-5:] for s in ds["session_id"].values], ds["offset"].values.tolist(), strict=True))
    # 23:00 local -> 5 h after 18:00; 22:30 local -> 4.5 h
    assert offsets == {"paris": 600, "nyc01": 540, "seoul": 600}
    local = dict(zip([s[-5:] for s in ds["session_id"].values], ds["local_start_time"].values, strict=True))
    assert local["paris"] == np.datetime64("2025-03-29T23:00") and local["seoul"] == np.datetime64(
        "2025-03-10T23:00"
    )
    tz = dict(zip([s[-5:] for s in ds["session_id"].values], ds["timezone"].values, strict=True))
    assert tz == {"paris": "Europe/Paris", "nyc01": "America/New_York", "seoul": "Asia/Seoul"}


def test_align_clock_window_and_overrun():
    # a 17:00 start belongs to the previous day's 18:00 window: 23 h in, and the grid grows past 24 h
    early = make_payload("2025-01-10T17:00:00", "Asia/Seoul", [0] * 200, suffix="early")
    ds = to_cohort([early], align="clock", clock_start="18:00")
    assert ds["offset"].values[0] == 23 * 120
    assert ds.sizes["epoch"] == 23 * 120 + 200


def test_clock_alignment_across_dst_uses_wall_clock():
    # Paris, clock_start 00:00: start 2025-03-30 01:30 local is 1.5 wall-clock hours in (DST at 02:00)
    night = make_payload("2025-03-30T01:30:00", "Europe/Paris", [0] * 10 + [1] * 100, suffix="pdst1")
    ds = to_cohort([night], align="clock", clock_start="00:00")
    assert ds["offset"].values[0] == 180
    local = ds.asleep.local_time.values[0]
    k = 180 + 59  # last epoch before 02:00 local
    assert str(local[k]).startswith("2025-03-30T01:59:30") and str(local[k + 1]).startswith(
        "2025-03-30T03:00:00"
    )
    assert np.isnat(local[:180]).all() and np.isnat(local[180 + 110 :]).all()


def test_night_rule():
    saturday_late = make_payload(
        "2025-03-09T00:30:00", "Europe/Paris", [0] * 10, suffix="sun00"
    )  # Sunday 00:30
    sunday_day = make_payload("2025-03-09T13:00:00", "Europe/Paris", [0] * 10, suffix="sun13")
    ds = to_cohort([saturday_late, sunday_day])
    nights = dict(zip([s[-5:] for s in ds["session_id"].values], ds["night"].values, strict=True))
    assert nights["sun00"] == np.datetime64("2025-03-08")  # Saturday's night
    assert nights["sun13"] == np.datetime64("2025-03-09")


def test_timezone_override_changes_local_view(example_webhook):
    ds = to_cohort([example_webhook], timezone="Asia/Seoul")
    assert ds["timezone"].values[0] == "Asia/Seoul"
    assert ds["local_start_time"].values[0] == np.datetime64("2025-01-15T11:50:29")
    assert ds["night"].values[0] == np.datetime64("2025-01-14")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(-1, 3), max_size=60), min_size=1, max_size=6),
    st.sampled_from(["start", "onset"]),
)
def test_placement_property(stage_lists, align):
    payloads = [
        make_payload(f"2025-01-{day + 1:02d}T22:00:00", "UTC", stages, suffix=f"p{day:04d}", snoring=False)
        for day, stages in enumerate(stage_lists)
    ]
    ds = to_cohort(payloads, align=align)
    grid = ds["sleep_stage"].values
    assert grid.dtype == np.int8 and grid.nbytes <= 1.2 * grid.size
    for k, stages in enumerate(stage_lists):  # sorted by start = input order here
        off, n = int(ds["offset"][k]), int(ds["n_epochs"][k])
        assert n == len(stages) and grid[k, off : off + n].tolist() == stages
        assert (np.delete(grid[k], np.arange(off, off + n)) == PAD).all()


# --------------------------------------------------------------------------- accessor on cohorts
def test_cohort_to_timezone():
    ds = to_cohort(zone_nights())
    utc = ds.asleep.to_timezone("UTC")
    assert set(utc["timezone"].values) == {"UTC"}
    assert (utc["local_start_time"].values == utc["start_time"].values).all()
    assert (utc["night"].values == ds["night"].values).all()
    assert utc["sleep_stage"].variable.identical(ds["sleep_stage"].variable)


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("engine", ["netcdf", "netcdf-xarray", "zarr"])
@pytest.mark.parametrize("align", ["start", "onset", "clock"])
def test_cohort_round_trip_identical(tmp_path, engine, align, example_webhook):
    payloads = [*zone_nights(), example_webhook]
    payloads.append(
        make_payload("2025-02-01T22:00:00", "UTC", [0] * 10 + [1] * 30, state="OPEN", suffix="open1")
    )
    ds = to_cohort(payloads, align=align, groups=["a", "b", "a", "b", "a"])
    back = round_trip(ds, tmp_path, engine)
    assert back.identical(ds)


# --------------------------------------------------------------------------- stats table
def test_stats_table_mixed_zones(mixed):
    table = stats_table(mixed)
    assert len(table) == mixed.sizes["session"]
    assert list(table.columns[:3]) == ["session_id", "user_id", "group"]
    assert all(name in table.columns for name in STAT_FIELDS)
    assert table["start_time"].dtype == object  # zones differ: tz-aware Timestamps, each in its own zone
    paris = table[table["session_id"].str.endswith("paris")].iloc[0]
    assert str(paris["start_time"]) == "2025-03-29 23:00:00+01:00"
    assert str(paris["sleep_time"].tz) == "Europe/Paris"
    assert all(str(t.tz) == "Europe/Paris" for t in paris["sleep_cycle_time"])
    assert table["time_in_sleep"].dtype == np.float64
    assert str(table["waso_count"].dtype) == "Int64"
    open_row = table[table["state"] == "OPEN"].iloc[0]
    assert (
        pd.isna(open_row["time_in_sleep"])
        and pd.isna(open_row["waso_count"])
        and open_row["sleep_cycle_time"] == []
    )
    assert table.equals(mixed.asleep.stats_table())


def test_stats_table_single_zone_and_single_night(example_webhook):
    from asleep_nb.data.night import to_dataset

    ds = to_cohort([example_webhook], timezone="Asia/Seoul")
    table = stats_table(ds)
    assert str(table["start_time"].dtype) == "datetime64[ns, Asia/Seoul]"
    assert str(table["sleep_time"].iloc[0]) == "2025-01-15 12:05:29+09:00"
    night_table = stats_table(to_dataset(example_webhook, timezone="Asia/Seoul"))
    assert len(night_table) == 1
    for name in ("session_id", "sleep_time", "time_in_sleep", "waso_count", "night"):
        assert night_table[name].iloc[0] == table[name].iloc[0], name


# --------------------------------------------------------------------------- manifests
@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"user_id": ["G-1"]}, "missing the required column 'group'"),
        ({"user_id": ["G-1"], "group": ["a"], "sesion_id": ["x"]}, "did you mean 'session_id'"),
        ({"user_id": [""], "group": ["a"]}, "row 1: user_id is empty"),
        ({"user_id": ["G-1", "G-2"], "group": ["a", None]}, "row 2: group is empty"),
        ({"user_id": ["G-1"], "group": ["a"], "date_gte": ["2025-13-01"]}, "not a date"),
        (
            {"user_id": ["G-1"], "group": ["a"], "date_gte": ["2025-02-01"], "date_lte": ["2025-01-01"]},
            "after",
        ),
        ({"user_id": ["G-1"], "group": ["a"], "session_id": ["s"], "date_lte": ["2025-01-01"]}, "not both"),
        ({"user_id": ["G-1"], "group": ["a"], "timezone": ["Paris"]}, "not an IANA zone"),
        (
            {"user_id": ["G-1", "G-1"], "group": ["a", "b"], "session_id": ["s", "s"]},
            "already listed in row 1",
        ),
        ({"user_id": [], "group": []}, "no rows"),
    ],
)
def test_manifest_errors(frame, message):
    with pytest.raises(ManifestError, match=message):
        read_manifest(pd.DataFrame(frame))


def test_manifest_csv(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("user_id,group,session_id,date_gte,date_lte\nG-1,1,,2025-01-01,2025-01-31\nG-2,b,s2,,\n")
    table = read_manifest(path)
    assert table.columns.tolist() == list(MANIFEST_COLUMNS)  # every column, "" where not given
    assert table.columns.tolist()[:6] == [
        "user_id",
        "group",
        "session_id",
        "date_gte",
        "date_lte",
        "timezone",
    ]
    assert table["group"].tolist() == ["1", "b"] and table["session_id"].tolist() == ["", "s2"]
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "missing.csv")
    with pytest.raises(TypeError):
        read_manifest(42)


# --------------------------------------------------------------------------- through the stand-in
def _client(standin):
    from asleep_nb.api.client import Client

    return Client(api_key=standin.api_key, base_url=standin.url)


def test_load_cohort_from_standin(standin, standin_ids):
    ids = standin_ids
    manifest = pd.DataFrame(
        {
            "user_id": [ids.paris_user, ids.newyork_user, ids.seoul_user, ids.example_user],
            "group": ["eu", "us", "kr", "eu"],
            "session_id": [ids.paris_session, "", "", ids.example_session],
            "date_gte": ["", "2025-03-01", "2025-01-14", ""],
            "date_lte": ["", "2025-03-31", "2025-01-15", ""],
            "timezone": ["Europe/Paris", "America/New_York", "Asia/Seoul", ""],
        }
    )
    ds = load_cohort(_client(standin), manifest, align="clock")
    expected = [ids.paris_session, ids.newyork_session, ids.seoul_late_session, ids.seoul_early_session]
    assert set(ds["session_id"].values) == {*expected, ids.example_session}
    zones = dict(zip(ds["session_id"].values, ds["timezone"].values, strict=True))
    assert zones[ids.paris_session] == "Europe/Paris" and zones[ids.example_session] == "UTC"
    groups = dict(zip(ds["session_id"].values, ds["group"].values, strict=True))
    assert groups[ids.seoul_late_session] == "kr" and groups[ids.example_session] == "eu"
    users = dict(zip(ds["session_id"].values, ds["user_id"].values, strict=True))
    assert users[ids.newyork_session] == ids.newyork_user
    # Seoul: 2025-01-14 23:30Z is 08:30 local on the 15th -> night of the 14th; 10:00Z is 19:00 on the 14th
    nights = dict(zip(ds["session_id"].values, ds["night"].values, strict=True))
    assert nights[ids.seoul_late_session] == np.datetime64("2025-01-14")


def test_load_cohort_single_zone_and_empty_selection(standin, standin_ids):
    ids = standin_ids
    client = _client(standin)
    ds = load_cohort(client, pd.DataFrame({"user_id": [ids.seoul_user], "group": ["kr"]}), timezone="UTC")
    assert set(ds["timezone"].values) == {"UTC"} and ds.sizes["session"] == 2
    empty = pd.DataFrame({"user_id": [ids.seoul_user], "group": ["kr"], "date_gte": ["2030-01-01"]})
    with pytest.raises(ManifestError, match="selects no session"):
        load_cohort(client, empty)
    with pytest.raises(TypeError, match="unexpected option"):
        load_cohort(client, pd.DataFrame({"user_id": [ids.seoul_user], "group": ["kr"]}), bogus=3)


def test_manifest_period_column_becomes_a_coordinate_for_paired_designs(asleep_client):
    """A ``period`` per manifest row reaches the cohort, the stats table and compare_periods."""
    from asleep_nb.stats import compare_periods

    sessions = pd.read_csv(Path(__file__).parents[1] / "data" / "demo" / "sessions.csv", dtype=str)
    panel = sessions[sessions["group"] == "panel"].sort_values(["user_id", "start_time_utc"])
    users = panel["user_id"].unique()[:3]
    rows = []
    for user in users:
        mine = panel[panel["user_id"] == user].head(4)
        for k, (session_id, zone) in enumerate(zip(mine["session_id"], mine["timezone"], strict=True)):
            rows.append((user, "panel", session_id, zone, "baseline" if k < 2 else "intervention"))
    manifest = pd.DataFrame(rows, columns=["user_id", "group", "session_id", "timezone", "period"])
    cohort = load_cohort(asleep_client, manifest, progress=False)
    assert cohort["period"].dims == ("session",) and cohort["period"].attrs["long_name"] == "design period"
    expected = dict(zip(manifest["session_id"], manifest["period"], strict=True))
    assert [expected[s] for s in cohort["session_id"].values] == list(cohort["period"].values)
    table = stats_table(cohort)
    assert (table.groupby("period").size() == 6).all()
    change = compare_periods(table, "time_in_sleep", method="paired", n_boot=200)
    assert np.isfinite(change["mean"]).all()
    no_period = load_cohort(asleep_client, manifest.drop(columns="period"), progress=False)
    assert "period" not in no_period.coords and "period" not in stats_table(no_period)
