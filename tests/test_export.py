"""Tidy exports: the stats and epoch tables to CSV and Parquet with their units, and back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_dataset import make_payload, night_stages, paris_dst_night

from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.export import (
    EPOCH_COLUMNS,
    epoch_table,
    export_epochs,
    export_stats,
    read_table,
    write_table,
)
from asleep_nb.data.night import to_dataset
from asleep_nb.data.table import stats_table
from asleep_nb.definitions import PAD

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture(scope="module")
def sources(example_webhook):
    """A cohort of mixed zones (DST, OPEN, two-stage, no snoring), a one-zone cohort, one night."""
    payloads = [
        paris_dst_night(),
        make_payload("2025-03-10T23:00:00", "Asia/Seoul", night_stages(10, 300, 20), suffix="seoul"),
        example_webhook,
        make_payload("2025-02-01T22:00:00", "UTC", [0] * 10 + [1] * 30, state="OPEN", suffix="open1"),
        make_payload("2025-02-03T22:00:00", "UTC", [0] * 20 + [1] * 50, two_stage=True, suffix="twost"),
        make_payload("2025-02-05T22:00:00", "UTC", [0, -1, 1, 1, 0], snoring=False, suffix="nosno"),
    ]
    return {
        "mixed-onset": to_cohort(payloads, align="onset"),
        "one-zone": to_cohort([example_webhook, paris_dst_night()], timezone="Asia/Seoul"),
        "night": to_dataset(paris_dst_night()),
    }


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("source", ["mixed-onset", "one-zone", "night"])
def test_stats_table_round_trip(tmp_path, sources, source, suffix):
    table = stats_table(sources[source])
    path = write_table(table, tmp_path / f"stats{suffix}")
    pd.testing.assert_frame_equal(read_table(path), table)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("source", ["mixed-onset", "night"])
def test_epoch_table_round_trip(tmp_path, sources, source, suffix):
    table = epoch_table(sources[source])
    path = write_table(table, tmp_path / f"epochs{suffix}")
    pd.testing.assert_frame_equal(read_table(path), table)


# --------------------------------------------------------------------------- the epoch table
def test_epoch_table_has_one_row_per_epoch_and_no_padding(sources):
    cohort = sources["mixed-onset"]
    table = epoch_table(cohort)
    assert tuple(table.columns) == EPOCH_COLUMNS
    assert len(table) == int(cohort["n_epochs"].sum())
    assert PAD not in table["stage"].to_numpy()
    dtypes = {name: str(dtype) for name, dtype in table.dtypes.items()}
    assert dtypes == {
        "session_id": "str", "time": "datetime64[ns, UTC]", "local_time": "datetime64[ns]", "epoch": "int32",
        "stage": "int8", "stage_label": "str", "snoring": "Int8",
    }  # fmt: skip
    by_session = table.groupby("session_id", sort=False)
    assert list(by_session.groups) == cohort["session_id"].values.tolist()
    assert (by_session["epoch"].min() == 0).all()


def test_a_cohort_row_equals_the_night_on_its_own(sources):
    """The Paris night in an onset-aligned cohort gives the rows of the night alone (local time jumps)."""
    alone = epoch_table(sources["night"])
    rows = epoch_table(sources["mixed-onset"]).query("session_id == '20250329220000_paris'")
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), alone)
    jump = np.diff(alone["local_time"].to_numpy()) != np.timedelta64(30, "s")
    assert jump.sum() == 1 and (np.diff(alone["time"].to_numpy()) == np.timedelta64(30, "s")).all()


def test_labels_and_missing_snoring(sources):
    table = epoch_table(sources["mixed-onset"])
    two = table[table["session_id"].str.endswith("twost")]
    assert set(two["stage_label"]) == {"Wake", "Sleep"}
    none = table[table["session_id"].str.endswith("nosno")]
    assert none["stage_label"].tolist() == ["Wake", "No signal", "Light", "Light", "Wake"]
    assert none["snoring"].isna().all() and table["snoring"].notna().sum() > 0


# --------------------------------------------------------------------------- what other tools see
def test_parquet_columns_are_typed_and_carry_units(tmp_path, sources):
    path = export_stats(sources["mixed-onset"], tmp_path / "stats.parquet")
    schema = pq.read_schema(path)
    assert schema.field("time_in_sleep").metadata[b"units"] == b"s"
    assert schema.field("sleep_efficiency").metadata[b"units"] == b"1"
    assert schema.field("time_in_sleep").metadata[b"long_name"] == b"light plus deep plus REM"
    assert schema.field("sleep_time").type == pa.timestamp("ns", tz="UTC")
    assert schema.field("night").type == pa.date32()
    assert schema.field("local_start_time").type == pa.timestamp("ns")
    assert schema.field("sleep_cycle_time").type == pa.list_(pa.timestamp("ns", tz="UTC"))
    assert json.loads(schema.metadata[b"asleep_nb"])["table"] == "stats"
    plain = pd.read_parquet(path)  # what any Parquet reader gets: instants in UTC
    paris = plain[plain["session_id"] == "20250329220000_paris"].iloc[0]
    assert paris["start_time"] == pd.Timestamp("2025-03-29T22:00:00Z")


def test_csv_is_plain_text_with_a_csvw_description(tmp_path, sources):
    path = export_epochs(sources["mixed-onset"], tmp_path / "epochs.csv")
    plain = pd.read_csv(path)
    assert tuple(plain.columns) == EPOCH_COLUMNS
    meta = json.loads(Path(f"{path}-metadata.json").read_text())
    assert meta["url"] == "epochs.csv" and "http://www.w3.org/ns/csvw" in meta["@context"]
    columns = {c["name"]: c for c in meta["tableSchema"]["columns"]}
    assert list(columns) == list(EPOCH_COLUMNS)
    assert columns["time"]["datatype"] == "dateTimeStamp"
    assert columns["local_time"]["datatype"]["base"] == "string"  # a wall clock, declared as text
    assert columns["epoch"]["schema:unitText"] == "1"
    first = plain[plain["session_id"] == "20250329220000_paris"].iloc[0]
    assert first["time"] == "2025-03-29T22:00:00+00:00" and first["local_time"] == "2025-03-29T23:00:00"

    stats = export_stats(sources["mixed-onset"], tmp_path / "stats.csv")
    text = pd.read_csv(stats, keep_default_na=False)
    paris = text[text["session_id"] == "20250329220000_paris"].iloc[0]
    assert paris["start_time"] == "2025-03-29T23:00:00+01:00" and paris["night"] == "2025-03-29"
    assert paris["sleep_cycle_time"] == "2025-03-29T23:10:00+01:00 2025-03-30T07:00:00+02:00"
    assert not paris["two_stage"] and ",Europe/Paris,COMPLETE,false," in stats.read_text()
    assert float(paris["time_in_sleep"]) == 23400.0
    columns = json.loads(Path(f"{stats}-metadata.json").read_text())["tableSchema"]["columns"]
    units = {c["name"]: c.get("schema:unitText") for c in columns}
    assert units["time_in_sleep"] == "s" and units["missing_data_ratio"] == "1"


def test_bad_paths(tmp_path, sources):
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        export_stats(sources["night"], tmp_path / "stats.xlsx")
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        read_table(tmp_path / "stats.txt")
    (tmp_path / "lonely.csv").write_text("a\n1\n")
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "lonely.csv")


# --------------------------------------------------------------------------- read by R
R_READS_THE_CSV = r"""
suppressPackageStartupMessages({library(readr); library(jsonlite)})
stats  <- read_csv("stats.csv", col_types = cols(local_start_time = col_character()))
epochs <- read_csv("epochs.csv", col_types = cols(local_time = col_character()))
naive  <- read_csv("epochs.csv", show_col_types = FALSE)
cols   <- fromJSON("epochs.csv-metadata.json")$tableSchema$columns
units  <- setNames(cols$`schema:unitText`, cols$name)
scols  <- fromJSON("stats.csv-metadata.json")$tableSchema$columns
sunits <- setNames(scols$`schema:unitText`, scols$name)
paris  <- epochs[epochs$session_id == "20250329220000_paris", ]
hours  <- aggregate(time_in_sleep / 3600 ~ group, data = stats, FUN = mean)
cat(toJSON(list(
  stats_rows = nrow(stats), epoch_rows = nrow(epochs),
  time_class = class(epochs$time)[1],
  first_time_utc = format(paris$time[1], "%Y-%m-%dT%H:%M:%SZ", tz = "UTC"),
  local_class = class(epochs$local_time)[1], first_local = paris$local_time[1],
  start_class = class(stats$local_start_time)[1],
  paris_start = stats$local_start_time[stats$session_id == "20250329220000_paris"],
  naive_local_class = class(naive$local_time)[1],
  local_datatype = cols$datatype[[which(cols$name == "local_time")]]$base,
  stage_na = sum(is.na(epochs$stage)),
  sleep_unit = unname(sunits["time_in_sleep"]), epoch_unit = unname(units["epoch"]),
  hours = setNames(as.list(hours[[2]]), hours$group)
), auto_unbox = TRUE, digits = NA))
"""


def test_the_readme_r_snippet_reads_the_csv_as_this_test_does():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```r\n(.*?)```", readme, re.S)
    assert snippet
    reads = [ln.split("#")[0].strip() for ln in snippet.group(1).splitlines() if "read_csv(" in ln]
    assert len(reads) == 2 and all(line in R_READS_THE_CSV for line in reads), reads


@pytest.mark.skipif(
    shutil.which("Rscript") is None, reason="needs R with readr and jsonlite (.ci/run installs them)"
)
def test_r_reads_the_csv_tables_with_their_times_and_units(tmp_path, sources):
    # the README's R snippet, CSV half (Debian has no arrow package for R, so Parquet is not run)
    cohort = sources["mixed-onset"]
    export_stats(cohort, tmp_path / "stats.csv")
    export_epochs(cohort, tmp_path / "epochs.csv")
    run = subprocess.run(
        ["Rscript", "--vanilla", "-e", R_READS_THE_CSV],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    stats, epochs = stats_table(cohort), epoch_table(cohort)
    assert got["stats_rows"] == len(stats) and got["epoch_rows"] == len(epochs)
    assert got["time_class"] == "POSIXct"  # ISO 8601 with offsets parse as instants
    assert got["first_time_utc"] == "2025-03-29T22:00:00Z"
    assert got["stage_na"] == 0
    # a wall clock reaches R as the text on the sleeper's clock (Paris, UTC+1 that night), not an instant
    assert got["local_class"] == got["start_class"] == "character"
    assert got["first_local"] == got["paris_start"] == "2025-03-29T23:00:00"
    assert got["local_datatype"] == "string"  # declared as text in the CSVW metadata
    assert got["naive_local_class"] == "POSIXct"  # why the col_types are needed (readr guesses UTC)
    assert got["sleep_unit"] == "s" and got["epoch_unit"] == "1"
    expected = (stats["time_in_sleep"] / 3600).groupby(stats["group"]).mean().dropna()
    assert got["hours"] and got["hours"] == pytest.approx(expected.to_dict())
