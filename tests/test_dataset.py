"""One night as an xarray Dataset: dims, dtypes, coords, attrs, time zones, round trips."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import xarray as xr

from asleep_nb import __version__
from asleep_nb.api.records import SessionResult
from asleep_nb.data.cf import encode, open_dataset, to_netcdf
from asleep_nb.data.night import to_dataset
from asleep_nb.definitions import PAD, STAT_FIELDS
from asleep_nb.definitions.variables import REFERENCES
from asleep_nb.errors import InvalidTimezone
from asleep_nb.loading.load import load_session

UTC = ZoneInfo("UTC")
USER = "G-20250101000000-AbcdefghijAbcdefghij"


# --------------------------------------------------------------------------- payload builder
def make_payload(
    start_local: str,
    zone: str,
    stages: list[int],
    *,
    state: str = "COMPLETE",
    two_stage: bool = False,
    suffix: str = "abcde",
    user_id: str = USER,
    snoring: bool = True,
) -> dict[str, Any]:
    """A Get Session result whose times are expressed in ``zone`` (start given as local wall clock).

    Used by test_cohort.py too. OPEN sessions have no end; OPEN/CLOSED no stat.
    """
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(start_local).replace(tzinfo=tz)
    end = start.astimezone(UTC) + timedelta(seconds=30 * len(stages))

    def iso(dt: datetime) -> str:
        return dt.astimezone(tz).isoformat(timespec="seconds")

    session_id = f"{start.astimezone(UTC):%Y%m%d%H%M%S}_{suffix}"
    stat = None
    if state == "COMPLETE":
        asleep = [i for i, s in enumerate(stages) if s > 0]
        first, last = (asleep[0], asleep[-1]) if asleep else (0, len(stages) - 1)
        stat = dict.fromkeys(STAT_FIELDS)
        counts = {c: 30 * stages.count(c) for c in (0, 1, 2, 3)}
        stat.update(
            # instants from UTC: an aware datetime plus a timedelta is wall-clock arithmetic, an hour
            # off across a daylight-saving change (the ContractWarning of a payload caught it)
            sleep_time=iso(start.astimezone(UTC) + timedelta(seconds=30 * first)),
            wake_time=iso(start.astimezone(UTC) + timedelta(seconds=30 * (last + 1))),
            sleep_latency=30 * first,
            time_in_bed=30 * len(stages),
            time_in_sleep=counts[1] + counts[2] + counts[3],
            time_in_wake=counts[0],
            sleep_efficiency=0.5,
            waso_count=2,
            sleep_cycle_count=1,
            snoring_count=0,
            sleep_index=70,
            breathing_pattern=None,
            sleep_cycle_time=[iso(start + timedelta(seconds=30 * first)), iso(end)],
        )
        if not two_stage:
            stat.update(
                time_in_light=counts[1], time_in_deep=counts[2], time_in_rem=counts[3], light_ratio=0.5
            )
    return {
        "timezone": zone,
        "peculiarities": ["NO_BREATHING_STABILITY"] + ([] if state == "COMPLETE" else ["IN_PROGRESS"]),
        "missing_data_ratio": 0.0,
        "session": {
            "id": session_id,
            "state": state,
            "start_time": iso(start),
            "end_time": None if state == "OPEN" else iso(end),
            "unexpected_end_time": None,
            "created_timezone": zone,
            "sleep_stages": stages,
            "breath_stages": None,
            "snoring_stages": [0] * len(stages) if snoring else None,
        },
        "stat": stat,
        "user_id": user_id,
    }


def night_stages(n_wake: int, n_sleep: int, n_after: int = 10) -> list[int]:
    body = ([1] * 10 + [2] * 10 + [3] * 20) * (n_sleep // 40 + 1)
    return [0] * n_wake + body[:n_sleep] + [0] * n_after


def paris_dst_night() -> dict[str, Any]:
    """2025-03-29 23:00 -> 2025-03-30 07:00 Paris local: 7 real hours (clocks jump 02:00 -> 03:00)."""
    return make_payload("2025-03-29T23:00:00", "Europe/Paris", night_stages(20, 780, 40), suffix="paris")


def round_trip(ds: xr.Dataset, path, engine: str) -> xr.Dataset:
    """Write ``ds`` and read it back with asleep_nb's reader.

    ``netcdf``: the toolkit's CF form (``cf.to_netcdf``); ``netcdf-xarray``:
    xarray's own ``to_netcdf`` straight from the dataset; ``zarr``: the CF
    form in a consolidated zarr store.
    """
    if engine == "netcdf":
        to_netcdf(ds, path / "x.nc", engine="h5netcdf")
        return open_dataset(path / "x.nc", engine="h5netcdf").load()
    if engine == "netcdf-xarray":
        ds.to_netcdf(path / "raw.nc", engine="h5netcdf")
        return open_dataset(path / "raw.nc", engine="h5netcdf").load()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata")  # zarr v3: not in the spec
        encode(ds).to_zarr(path / "x.zarr", consolidated=True)
    return open_dataset(path / "x.zarr", engine="zarr", consolidated=True, chunks=None).load()


# --------------------------------------------------------------------------- published example
def test_published_example_layout(example_webhook):
    ds = to_dataset(example_webhook)
    assert dict(ds.sizes) == {"time": 120, "cycle": 0}
    assert ds["time"].dtype == np.dtype("datetime64[ns]")
    assert ds["time"].values[0] == np.datetime64("2025-01-15T02:50:29")
    assert (np.diff(ds["time"].values) == np.timedelta64(30, "s")).all()
    assert ds["epoch"].dtype == np.int32 and ds["epoch"].values[-1] == 119
    assert ds["elapsed"].values[-1] == np.timedelta64(3570, "s")
    assert (ds["local_time"].values == ds["time"].values).all()  # UTC night
    assert set(ds.coords) == {"time", "epoch", "elapsed", "local_time"}
    stage = ds["sleep_stage"]
    assert stage.dtype == np.int8
    assert stage.values.tolist() == [0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48
    assert stage.attrs["flag_meanings"] == "error wake light deep rem"
    assert stage.attrs["flag_values"].dtype == np.int8
    assert ds["snoring_stage"].dtype == np.int8 and "breath_stage" not in ds
    # stat fields as 0-d variables with the documented representation
    assert float(ds["sleep_latency"]) == 900 and ds["sleep_latency"].attrs["units"] == "s"
    assert float(ds["time_in_bed"]) == 3600 and float(ds["time_in_sleep"]) == 1080
    assert float(ds["sleep_index"]) == 50
    assert ds["sleep_time"].values == np.datetime64("2025-01-15T03:05:29")
    assert np.isnan(ds["deep_latency"].values) and ds["breathing_pattern"].values == ""
    assert ds["sleep_cycle_time"].dims == ("cycle",)
    for name, field in STAT_FIELDS.items():
        assert name in ds, name
        expected = {"time": "M", "time_list": "M", "text": "O"}.get(field.kind, "f")
        assert ds[name].dtype.kind == expected, name
    assert ds.attrs == {
        "Conventions": "CF-1.11",
        "title": "One night recorded with the Asleep sleep-tracking API",
        "history": f"to_dataset(timezone='UTC') by asleep_nb {__version__}",
        "source": "Asleep API v3 Get Session result",
        "references": REFERENCES,
        "session_id": "20250115025029_fvivn",
        "user_id": "G-20250115025029-vLErWBfQNtnfvgDccFOQ",
        "state": "COMPLETE",
        "timezone": "UTC",
        "created_timezone": "UTC",
        "peculiarities": "NO_BREATHING_STABILITY",
        "missing_data_ratio": 0.0,
        "start_time": "2025-01-15T02:50:29+00:00",
        "end_time": "2025-01-15T03:50:29+00:00",
        "unexpected_end_time": "",
        "two_stage": 0,
    }


def test_accepts_result_dict_webhook_and_record(example_webhook, example_result):
    from_webhook = to_dataset(example_webhook)
    from_record = to_dataset(SessionResult.from_webhook(example_webhook))
    from_dict = to_dataset(example_result)
    assert from_webhook.identical(from_record)
    assert from_dict.drop_attrs().identical(from_webhook.drop_attrs())
    assert from_dict.attrs["user_id"] == ""


def test_rejects_other_inputs():
    with pytest.raises(TypeError, match="SessionResult"):
        to_dataset([1, 2, 3])


def test_timezone_view(example_webhook):
    ds = to_dataset(example_webhook, timezone="Asia/Seoul")
    assert ds.attrs["timezone"] == "Asia/Seoul"
    assert ds["local_time"].values[0] == np.datetime64("2025-01-15T11:50:29")
    assert ds["time"].values[0] == np.datetime64("2025-01-15T02:50:29")
    with pytest.raises(InvalidTimezone):
        to_dataset(example_webhook, timezone="Mars/Olympus")


# --------------------------------------------------------------------------- DST
def test_paris_dst_night_local_time_jumps_time_does_not():
    ds = to_dataset(paris_dst_night())
    assert ds.attrs["timezone"] == "Europe/Paris"
    assert ds["time"].values[0] == np.datetime64("2025-03-29T22:00:00")  # UTC-naive
    assert ds.sizes["time"] == 840  # 7 real hours
    local = ds["local_time"].values
    jump = int(np.flatnonzero(np.diff(local) != np.timedelta64(30, "s"))[0])
    assert str(local[jump]).startswith("2025-03-30T01:59:30")
    assert str(local[jump + 1]).startswith("2025-03-30T03:00:00")
    assert (np.diff(ds["time"].values) == np.timedelta64(30, "s")).all()
    assert str(local[-1]).startswith("2025-03-30T06:59:30")


def test_to_timezone_moves_only_the_local_view():
    paris = to_dataset(paris_dst_night())
    utc = paris.asleep.to_timezone("UTC")
    assert (utc["local_time"].values == utc["time"].values).all()
    assert utc.attrs["timezone"] == "UTC"
    back = utc.asleep.to_timezone("Europe/Paris")
    assert back.identical(paris)
    assert paris.asleep.local_time.identical(paris["local_time"])
    with pytest.raises(InvalidTimezone):
        paris.asleep.to_timezone("Europe/Atlantis")


def test_new_york_fall_back_repeats_local_hour():
    ds = to_dataset(make_payload("2025-11-01T23:00:00", "America/New_York", night_stages(10, 900, 50)))
    local = ds["local_time"].values
    steps = np.diff(local)
    back = int(np.flatnonzero(steps < np.timedelta64(0, "s"))[0])
    assert str(local[back]).startswith("2025-11-02T01:59:30")
    assert str(local[back + 1]).startswith("2025-11-02T01:00:00")


# --------------------------------------------------------------------------- states and contracts
def test_open_session_covers_epochs_received():
    ds = to_dataset(make_payload("2025-02-01T22:00:00", "UTC", [0] * 10 + [1] * 30, state="OPEN"))
    assert ds.sizes["time"] == 40
    assert ds.attrs["state"] == "OPEN" and ds.attrs["end_time"] == ""
    assert ds.attrs["peculiarities"].split(",") == ["NO_BREATHING_STABILITY", "IN_PROGRESS"]
    assert not any(name in ds for name in STAT_FIELDS)


def test_closed_session_has_no_stat_variables():
    ds = to_dataset(make_payload("2025-02-02T22:00:00", "UTC", night_stages(20, 600), state="CLOSED"))
    assert ds.attrs["state"] == "CLOSED" and ds.attrs["end_time"] != ""
    assert ds.sizes["time"] == 630
    assert not any(name in ds for name in STAT_FIELDS)


def test_two_stage_session():
    ds = to_dataset(make_payload("2025-02-03T22:00:00", "Asia/Seoul", [0] * 20 + [1] * 500, two_stage=True))
    assert ds.attrs["two_stage"] == 1
    assert np.isnan(float(ds["time_in_light"])) and np.isnan(float(ds["light_ratio"]))
    assert float(ds["time_in_sleep"]) == 500 * 30
    assert ds.sizes["cycle"] == 2


def test_no_snoring_array_means_no_variable():
    ds = to_dataset(make_payload("2025-02-03T22:00:00", "UTC", [0, 1, 1, 0], snoring=False))
    assert "snoring_stage" not in ds and "breath_stage" not in ds


def test_stage_padding_is_the_cf_missing_value(example_webhook):
    ds = to_dataset(make_payload("2025-02-03T22:00:00", "UTC", [0, 1, 1, 0], snoring=False))
    for name in ("sleep_stage",):
        var = ds[name]
        assert var.attrs["missing_value"] == PAD and var.attrs["missing_value"].dtype == np.int8
        assert var.encoding["_FillValue"] == PAD and var.encoding["_FillValue"].dtype == np.int8
        assert "fill_code" not in var.attrs and PAD not in var.attrs["flag_values"]


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("engine", ["netcdf", "netcdf-xarray", "zarr"])
@pytest.mark.parametrize("which", ["published", "paris", "open", "two_stage"])
def test_round_trip_identical(tmp_path, engine, which, example_webhook):
    payload = {
        "published": example_webhook,
        "paris": paris_dst_night(),
        "open": make_payload("2025-02-01T22:00:00", "UTC", [0] * 10 + [1] * 30, state="OPEN"),
        "two_stage": make_payload("2025-02-03T22:00:00", "Asia/Seoul", [0] * 20 + [1] * 50, two_stage=True),
    }[which]
    ds = to_dataset(payload)
    back = round_trip(ds, tmp_path, engine)
    assert back.identical(ds)
    assert back["time"].encoding["units"] == "seconds since 1970-01-01"
    assert "units" not in back["time"].attrs


# --------------------------------------------------------------------------- through the stand-in
def test_load_session_from_standin(standin, standin_ids):
    from asleep_nb.api.client import Client

    client = Client(api_key=standin.api_key, base_url=standin.url)
    ds = load_session(
        client, standin_ids.paris_session, user_id=standin_ids.paris_user, timezone="Europe/Paris"
    )
    assert ds.attrs["session_id"] == standin_ids.paris_session
    assert ds.attrs["user_id"] == standin_ids.paris_user
    assert ds.attrs["timezone"] == "Europe/Paris"
    assert ds["time"].values[0] == np.datetime64("2025-03-30T00:30:00")
    assert str(ds["local_time"].values[0]).startswith("2025-03-30T01:30:00")
    assert ds.sizes["time"] == 720
