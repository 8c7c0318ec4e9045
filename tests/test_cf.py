"""Files other tools read without asleep_nb: CF-1.11 netCDF, zarr that opens anywhere, no fake instants."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from test_dataset import make_payload, night_stages, paris_dst_night

from asleep_nb import __version__
from asleep_nb.data.cf import decode, encode, open_dataset, to_netcdf
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.night import to_dataset
from asleep_nb.data.store import to_zarr
from asleep_nb.definitions import PAD, STAT_FIELDS
from asleep_nb.stats import compute_stats

pytestmark = pytest.mark.filterwarnings("ignore:The ioos_sos checker is deprecated:DeprecationWarning")

#: Variables that hold UTC instants: the only ones a file may hold as CF times ("... since ...").
INSTANTS = {"time", "start_time", "end_time"} | {
    n for n, f in STAT_FIELDS.items() if f.kind.startswith("time")
}
DATASETS = ["night", "cohort-start", "cohort-onset", "cohort-clock", "stats"]


def _cohort_payloads(example_webhook):
    u1, u2 = "G-20250101000001-AaaaaaaaaaAaaaaaaaaa", "G-20250101000002-BbbbbbbbbbBbbbbbbbbb"
    return [
        paris_dst_night(),
        make_payload("2025-03-08T22:30:00", "America/New_York", night_stages(40, 800, 60), suffix="nyc01"),
        make_payload(
            "2025-03-10T23:00:00", "Asia/Seoul", night_stages(10, 900, 20), suffix="seoul", user_id=u1
        ),
        example_webhook,
        make_payload(
            "2025-02-01T22:00:00", "UTC", [0] * 10 + [1] * 30, state="OPEN", suffix="open1", user_id=u1
        ),
        make_payload(
            "2025-02-03T22:00:00", "UTC", [0] * 20 + [1] * 500, two_stage=True, suffix="twost", user_id=u2
        ),
    ]


@pytest.fixture(scope="module")
def datasets(example_webhook) -> dict[str, xr.Dataset]:
    """A DST night, a cohort under each alignment (zones, DST, OPEN, two-stage), a stats dataset."""
    payloads = _cohort_payloads(example_webhook)
    groups = ["a", "b", "a", "b", "a", "b"]
    out = {"night": to_dataset(paris_dst_night())}
    for align in ("start", "onset", "clock"):
        out[f"cohort-{align}"] = to_cohort(payloads, groups=groups, align=align)
    out["stats"] = compute_stats(out["cohort-start"])
    return out


def cf_issues(path: Path) -> list[str]:
    """Every message of ``compliance-checker -t cf:1.11`` on ``path`` (empty: no issue at all)."""
    runner = pytest.importorskip("compliance_checker.runner")
    runner.CheckSuite().load_all_available_checkers()
    report = path.with_suffix(".json")
    runner.ComplianceChecker.run_checker(
        str(path), ["cf:1.11"], 0, "strict", output_filename=str(report), output_format="json"
    )
    result = json.loads(report.read_text())["cf:1.11"]
    messages = [
        f"{check['name']}: {msg}"
        for level in ("high_priorities", "medium_priorities", "low_priorities")
        for check in result[level]
        for msg in check["msgs"]
    ]
    if result["scored_points"] != result["possible_points"]:
        messages.append(f"score {result['scored_points']}/{result['possible_points']}")
    return messages


# --------------------------------------------------------------------------- the CF checker
@pytest.mark.parametrize("name", DATASETS)
def test_xarray_own_to_netcdf_passes_the_cf_checker(tmp_path, datasets, name):
    path = tmp_path / f"{name}.nc"
    datasets[name].to_netcdf(path)
    assert cf_issues(path) == []


@pytest.mark.parametrize("name", ["night", "cohort-clock", "stats"])
def test_toolkit_files_pass_the_cf_checker(tmp_path, datasets, name):
    path = tmp_path / f"{name}.nc"
    to_netcdf(datasets[name], path)
    assert cf_issues(path) == []


def test_the_checker_sees_a_file_without_cf_attributes(tmp_path, datasets):
    path = tmp_path / "bare.nc"
    datasets["cohort-start"].drop_attrs().to_netcdf(path)
    issues = cf_issues(path)
    assert any("Conventions" in m for m in issues) and any("long_name" in m for m in issues)


# --------------------------------------------------------------------------- attributes
@pytest.mark.parametrize(
    ("name", "builder"),
    [("night", "to_dataset"), ("cohort-onset", "to_cohort(align='onset')"), ("stats", "compute_stats()")],
)
def test_global_cf_attributes(datasets, name, builder):
    attrs = datasets[name].attrs
    assert attrs["Conventions"] == "CF-1.11"
    assert attrs["history"].startswith(builder) and attrs["history"].endswith(f"asleep_nb {__version__}")
    for key in ("title", "source", "references"):
        assert isinstance(attrs[key], str) and attrs[key], key
    assert "https://docs-en.asleep.ai" in attrs["references"]


@pytest.mark.parametrize("name", DATASETS)
def test_every_variable_says_what_it_is(datasets, name):
    ds = datasets[name]
    for var_name, var in ds.variables.items():
        assert var.attrs.get("long_name") or var.attrs.get("standard_name"), var_name
        assert "dtype" not in var.attrs and "fill_code" not in var.attrs, var_name
        numeric = var.dtype.kind in "iuf" and "flag_values" not in var.attrs
        assert not numeric or "units" in var.attrs, var_name
        if var.dtype.kind == "M" and var_name in INSTANTS:
            assert (
                var.attrs["standard_name"] == "time" and var.encoding["units"] == "seconds since 1970-01-01"
            )
    for stage in ("sleep_stage", "snoring_stage"):
        if stage in ds:
            attrs = ds[stage].attrs
            assert attrs["flag_values"].dtype == np.int8 and attrs["missing_value"] == PAD
            assert PAD not in attrs["flag_values"]


def test_cohort_flags_carry_long_names_and_no_dtype_attribute_in_files(tmp_path, datasets):
    cohort = datasets["cohort-start"]
    assert cohort["n_epochs"].attrs["long_name"] == "epochs in the session"
    assert cohort["two_stage"].attrs["long_name"] == "scored under a two-stage contract"
    for write in (cohort.to_netcdf, lambda p: to_netcdf(cohort, p)):
        path = tmp_path / "c.nc"
        write(path)
        raw = xr.open_dataset(path, decode_cf=False)
        assert raw["two_stage"].dtype == np.int8 and "dtype" not in raw["two_stage"].attrs
        assert raw["two_stage"].attrs["flag_meanings"] == "four_stage two_stage"
        raw.close()
        path.unlink()


def test_stats_dataset_attrs_do_not_leak_from_the_stage_array(datasets):
    for name in STAT_FIELDS:
        assert "flag_values" not in datasets["stats"][name].attrs, name


# --------------------------------------------------------------------------- plain readers
def test_plain_xarray_masks_padding_and_cf_xarray_decodes_the_flags(tmp_path, datasets):
    cf_xarray = pytest.importorskip("cf_xarray")
    assert cf_xarray
    cohort = datasets["cohort-onset"]
    path = tmp_path / "cohort.nc"
    cohort.to_netcdf(path)
    with xr.open_dataset(path) as plain:
        stage = plain["sleep_stage"]
        padding = int((cohort["sleep_stage"] == PAD).sum())
        assert padding > 0 and int(stage.isnull().sum()) == padding
        assert set(np.unique(stage.values[stage.notnull().values]).astype(int)) <= {-1, 0, 1, 2, 3}
        assert stage.cf.is_flag_variable
        assert ((stage.cf == "rem").values == (cohort["sleep_stage"] == 3).values).all()
        assert list(stage.cf.flags.data_vars) == ["error", "wake", "light", "deep", "rem"]
        assert (plain["snoring_stage"].cf == "snoring").sum() == (cohort["snoring_stage"] == 1).sum()


def test_decode_turns_masked_stage_arrays_back_into_int8(tmp_path, datasets):
    cohort = datasets["cohort-clock"]
    path = tmp_path / "cohort.nc"
    to_netcdf(cohort, path)
    with xr.open_dataset(path) as plain:  # masked: float32 with NaN padding
        assert plain["sleep_stage"].dtype == np.float32
        assert decode(plain.load()).identical(cohort)


def test_wall_clock_values_are_never_cf_times_in_toolkit_files(tmp_path, datasets):
    night, cohort = datasets["night"], datasets["cohort-start"]
    for ds, name in ((night, "night.nc"), (cohort, "cohort.nc"), (datasets["stats"], "stats.nc")):
        to_netcdf(ds, tmp_path / name)
        with xr.open_dataset(tmp_path / name, decode_cf=False) as raw:
            as_times = {k for k, v in raw.variables.items() if "since" in str(v.attrs.get("units", ""))}
            assert as_times <= INSTANTS, as_times - INSTANTS
    with xr.open_dataset(tmp_path / "night.nc") as plain:  # the Paris night across the spring change
        assert "local_time" not in plain.variables
        offset = plain["utc_offset"]
        assert offset.dtype == np.int32 and offset.attrs["units"] == "s"
        assert offset.values[0] == 3600 and offset.values[-1] == 7200
        local = plain["time"].values + offset.values.astype("timedelta64[s]")
        assert (local == night["local_time"].values).all()
    with xr.open_dataset(tmp_path / "cohort.nc") as plain:
        paris = cohort["session_id"].values.tolist().index("20250329220000_paris")
        assert plain["night"].values[paris] == "2025-03-29"
        assert plain["local_start_time"].values[paris] == "2025-03-29T23:00:00"
        assert plain["start_time"].values[paris] == np.datetime64("2025-03-29T22:00:00")


def test_decode_inverts_encode_and_encode_leaves_its_input_alone(datasets):
    for name, ds in datasets.items():
        before = ds.copy(deep=True)
        encoded = encode(ds)
        assert ds.identical(before), name
        assert decode(encoded).identical(ds), name
        assert all(v.dtype.kind != "M" for k, v in encoded.variables.items() if k not in INSTANTS), name


def test_open_dataset_needs_a_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        open_dataset(tmp_path / "missing.nc")


# --------------------------------------------------------------------------- zarr without asleep_nb
_PLAIN_OPEN = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("error")
    import xarray as xr, zarr
    ds = xr.open_zarr(sys.argv[1]).load()
    group = zarr.open_consolidated(sys.argv[1], mode="r")
    stage = group["sleep_stage"][:]
    assert "asleep_nb" not in sys.modules
    print(ds.sizes["session"], int(ds["sleep_stage"].isnull().sum()), int((stage == -2).sum()),
          group.metadata.zarr_format, ds["night"].values[0], ds["two_stage"].dtype)
    """
)


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_plain_xarray_and_zarr_open_a_store_with_no_warning(tmp_path, datasets, zarr_format):
    cohort = datasets["cohort-onset"]
    path = tmp_path / "study.zarr"
    to_zarr(cohort, path, chunks=4, zarr_format=zarr_format)
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", _PLAIN_OPEN, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    padding = int((cohort["sleep_stage"] == PAD).sum())
    first_night = str(cohort["night"].values[0])[:10]
    assert out.stdout.split() == [str(cohort.sizes["session"]), str(padding), str(padding), str(zarr_format),
                                  first_night, "int8"]  # fmt: skip
