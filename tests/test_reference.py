"""Reference scorings in: the label rule, every reader on files written by other tools, every bad input.

Oracles: pandas writes the CSV/TSV files, MNE (with edfio) writes the EDF+ hypnograms, the NSRR XML
is written by hand in the NSRR layout, and the demo's reference files are checked against the raw
DOD scorings (strict majorities of the five technologists) and the raw model hypnograms.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.reference import read_reference, read_reference_manifest
from asleep_nb.data.reference.delimited import read_delimited
from asleep_nb.data.reference.edf import read_edf
from asleep_nb.data.reference.nsrr import read_nsrr
from asleep_nb.definitions import PAD
from asleep_nb.definitions.scoring import REFERENCE_LABELS, reference_stage
from asleep_nb.errors import InvalidIdentifier, ReferenceFileError, ValidationError
from asleep_nb.resources import demo_data_dir
from asleep_nb.standin.builder import default_source

SID = "20250101220000_abcde"
SID2 = "20250102220000_fghij"
UID = "G-20241201000000-abcdefghijABCDEFGHIJ"
UID2 = "G-20241201000000-bbcdefghijABCDEFGHIJ"
T0 = datetime(2025, 1, 1, 22, 0, 10, tzinfo=UTC)

#: A night in AASM labels with its expected Asleep codes, movement and unscored included.
AASM = ["W", "W", "N1", "N2", "N2", "N3", "N3", "R", "R", "?", "W", "N2"]
CODES = [0, 0, 1, 1, 1, 2, 2, 3, 3, -1, 0, 1]
RK = ["Sleep stage W", "Sleep stage 1", "Sleep stage 2", "Sleep stage 3", "Sleep stage 4", "Sleep stage R",
      "Movement time", "Sleep stage ?", "Sleep stage W"]  # fmt: skip
RK_CODES = [0, 1, 1, 2, 2, 3, -1, -1, 0]


def _runs(labels: list[str]) -> list[tuple[int, int, str]]:
    """(onset s, duration s, label) of each run of one label."""
    out: list[tuple[int, int, str]] = []
    for i, label in enumerate(labels):
        if out and out[-1][2] == label:
            out[-1] = (out[-1][0], out[-1][1] + 30, label)
        else:
            out.append((i * 30, 30, label))
    return out


def _one(path: Path, **kw) -> xr.Dataset:
    return read_reference(path, session_id=SID, user_id=UID, **kw)


# --- the label rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "code", "excluded"),
    [
        ("W", 0, ""), ("wake", 0, ""), ("N1", 1, ""), ("N2", 1, ""), ("N3", 2, ""), ("R", 3, ""),
        ("REM", 3, ""), ("Sleep stage W", 0, ""), ("Sleep stage 1", 1, ""), ("Sleep stage 2", 1, ""),
        ("Sleep stage 3", 2, ""), ("Sleep stage 4", 2, ""), ("Sleep stage R", 3, ""),
        ("Sleep stage ?", -1, "unscored"), ("Movement time", -1, "movement"), ("Wake|0", 0, ""),
        ("Stage 1 sleep|1", 1, ""), ("Stage 2 sleep|2", 1, ""), ("Stage 3 sleep|3", 2, ""),
        ("Stage 4 sleep|4", 2, ""), ("REM sleep|5", 3, ""), ("Movement|6", -1, "movement"),
        ("Unscored|9", -1, "unscored"), (-1, -1, "unscored"), (0, 0, ""), (1, 1, ""), (2, 1, ""),
        (3, 2, ""), (4, 3, ""), ("4.0", 3, ""), ("  sleep   STAGE r ", 3, ""),
    ],
)  # fmt: skip
def test_label_rule(label, code, excluded):
    stage = reference_stage(label)
    assert stage is not None and (stage.code, stage.excluded) == (code, excluded)


@pytest.mark.parametrize("label", ["N5", "", "stage 5", 5, -2, "1.5", "Sleep stage 5", "Lights off"])
def test_unknown_labels_are_not_guessed(label):
    assert reference_stage(label) is None


def test_every_known_label_maps_to_a_stage_or_an_exclusion():
    for stage in REFERENCE_LABELS.values():
        assert (stage.code in (0, 1, 2, 3) and stage.excluded == "") or (
            stage.code == -1 and stage.excluded in ("movement", "unscored")
        )


# --- CSV / TSV written by pandas -------------------------------------------------------------------


def test_csv_one_row_per_epoch_round_trip(tmp_path):
    path = tmp_path / "n.csv"
    pd.DataFrame({"epoch": range(len(AASM)), "stage": AASM}).to_csv(path, index=False)
    ds = _one(path, start_time=T0.isoformat())
    assert ds.sleep_stage.values[0].tolist() == CODES
    assert pd.Timestamp(ds.start_time.values[0]) == pd.Timestamp(T0).tz_convert(None)
    assert int(ds.n_unscored[0]) == 1 and int(ds.n_movement[0]) == 0


def test_csv_per_stage_change_with_duration_and_onset_only(tmp_path):
    runs = _runs(AASM)
    frame = pd.DataFrame(runs, columns=["onset", "duration", "stage"])
    frame.to_csv(tmp_path / "d.csv", index=False)
    assert _one(tmp_path / "d.csv", start_time=T0).sleep_stage.values[0].tolist() == CODES
    # onset only: each row lasts to the next one, the last one epoch
    frame[["onset", "stage"]].to_csv(tmp_path / "o.csv", index=False)
    got = _one(tmp_path / "o.csv", start_time=T0).sleep_stage.values[0].tolist()
    assert got == CODES  # the last run of AASM is one epoch long


def test_csv_absolute_times_keep_a_fraction_of_an_epoch(tmp_path):
    times = pd.date_range("2025-01-01 22:00:29", periods=len(AASM), freq="30s", tz="Europe/Paris")
    pd.DataFrame({"time": times, "stage": AASM}).to_csv(tmp_path / "t.csv", index=False)
    ds = _one(tmp_path / "t.csv")
    assert ds.sleep_stage.values[0].tolist() == CODES
    assert pd.Timestamp(ds.start_time.values[0]) == times[0].tz_convert(None)  # 21:00:29 UTC


def test_tsv_and_the_format_argument(tmp_path):
    pd.DataFrame({"Stage": RK}).to_csv(tmp_path / "n.tsv", sep="\t", index=False)
    ds = _one(tmp_path / "n.tsv", start_time=T0)
    assert ds.sleep_stage.values[0].tolist() == RK_CODES
    assert (int(ds.n_movement[0]), int(ds.n_unscored[0])) == (1, 1)
    pd.DataFrame({"stage": RK}).to_csv(tmp_path / "n.dat", sep="\t", index=False)
    assert _one(tmp_path / "n.dat", start_time=T0, format="tsv").sleep_stage.values[0].tolist() == RK_CODES


# --- EDF+ written by MNE ---------------------------------------------------------------------------


def _write_edf(path: Path, runs: list[tuple[int, int, str]], start: datetime) -> None:
    mne = pytest.importorskip("mne")
    pytest.importorskip("edfio")
    total = runs[-1][0] + runs[-1][1]
    raw = mne.io.RawArray(np.zeros((1, total)), mne.create_info(["EEG"], 1.0, "eeg"), verbose=False)
    raw.set_meas_date(start)
    raw.set_annotations(mne.Annotations(*zip(*runs, strict=True)))
    raw.export(path, fmt="edf", overwrite=True, verbose=False)


def test_edf_hypnogram_written_by_mne(tmp_path):
    path = tmp_path / "SC4001E0-Hypnogram.edf"
    start = datetime(2025, 1, 1, 22, 0, 0, tzinfo=UTC)
    _write_edf(path, _runs(RK), start)
    ds = _one(path)
    assert ds.sleep_stage.values[0].tolist() == RK_CODES
    assert pd.Timestamp(ds.start_time.values[0]) == pd.Timestamp("2025-01-01 22:00:00")  # header clock
    assert (int(ds.n_movement[0]), int(ds.n_unscored[0])) == (1, 1)
    shifted = _one(path, start_time="2025-01-01T23:00:15+01:00")  # the clock was Paris time
    assert pd.Timestamp(shifted.start_time.values[0]) == pd.Timestamp("2025-01-01 22:00:15")


def test_edf_unknown_annotation_is_named(tmp_path):
    path = tmp_path / "h.edf"
    _write_edf(path, [(0, 60, "Sleep stage W"), (60, 30, "Lights on")], datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ReferenceFileError, match=r"h\.edf, annotation 2: unknown stage label 'Lights on'"):
        _one(path)


def test_edf_not_an_edf_file_and_mne_missing(tmp_path, monkeypatch):
    path = tmp_path / "x.edf"
    path.write_bytes(b"0" * 300)
    with pytest.raises(ReferenceFileError, match=r"x\.edf(, header)?: (not an EDF|the header's start)"):
        _one(path)
    path.write_bytes(b"")
    with pytest.raises(ReferenceFileError, match=r"x\.edf(, header)?: not an EDF"):
        _one(path)
    monkeypatch.setitem(sys.modules, "mne", None)
    with pytest.raises(ImportError, match=r"pip install 'asleep-nb\[edf\]'"):
        read_edf(path)


# --- NSRR XML ------------------------------------------------------------------------------------

_EVENT = """<ScoredEvent>
<EventType>{kind}</EventType>
<EventConcept>{concept}</EventConcept>
<Start>{start}</Start>
<Duration>{duration}</Duration>
</ScoredEvent>
"""


def _nsrr(events: list[tuple[str, str, float, float]], epoch_length: str = "30") -> str:
    body = "".join(_EVENT.format(kind=k, concept=c, start=s, duration=d) for k, c, s, d in events)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<PSGAnnotation>\n'
        f"<SoftwareVersion>Compumedics</SoftwareVersion>\n<EpochLength>{epoch_length}</EpochLength>\n"
        "<ScoredEvents>\n"
        + _EVENT.format(kind="", concept="Recording Start Time", start=0, duration=360.0)
        + body
        + "</ScoredEvents>\n</PSGAnnotation>\n"
    )


NSRR_STAGES = [("Wake|0", 0, 60), ("Stage 1 sleep|1", 60, 30), ("Stage 2 sleep|2", 90, 60),
               ("Stage 3 sleep|3", 150, 30), ("Stage 4 sleep|4", 180, 30), ("REM sleep|5", 210, 60),
               ("Movement|6", 270, 30), ("Unscored|9", 300, 30)]  # fmt: skip
NSRR_CODES = [0, 0, 1, 1, 1, 2, 2, 3, 3, -1, -1]


def _nsrr_events() -> list[tuple[str, str, float, float]]:
    events = [("Stages|Stages", c, float(s), float(d)) for c, s, d in NSRR_STAGES]
    events.insert(3, ("Arousals|Arousals", "Arousal|Arousal ()", 100.5, 4.0))  # not a stage: skipped
    return events


def test_nsrr_xml_round_trip(tmp_path):
    path = tmp_path / "shhs1-200001-nsrr.xml"
    path.write_text(_nsrr(_nsrr_events()))
    ds = _one(path, start_time="2025-01-01T22:00:00Z")
    assert ds.sleep_stage.values[0].tolist() == NSRR_CODES
    assert (int(ds.n_movement[0]), int(ds.n_unscored[0])) == (1, 1)


def test_nsrr_needs_a_start_time_and_thirty_second_epochs(tmp_path):
    path = tmp_path / "n.xml"
    path.write_text(_nsrr(_nsrr_events()))
    with pytest.raises(ReferenceFileError, match="no start time"):
        read_nsrr(path)
    path.write_text(_nsrr(_nsrr_events(), epoch_length="20"))
    with pytest.raises(ReferenceFileError, match="EpochLength '20': only 30-s"):
        read_nsrr(path, start_time=T0)


def test_nsrr_bad_event_is_named_by_line(tmp_path):
    events = _nsrr_events()
    events[5] = ("Stages|Stages", "Stage 7 sleep|7", 180.0, 30.0)
    text = _nsrr(events)
    path = tmp_path / "n.xml"
    path.write_text(text)
    line = (
        text.splitlines().index("<EventConcept>Stage 7 sleep|7</EventConcept>") - 1
    )  # the <ScoredEvent> tag
    with pytest.raises(
        ReferenceFileError, match=rf"n\.xml, line {line}: unknown stage label 'Stage 7 sleep\|7'"
    ):
        read_nsrr(path, start_time=T0)
    path.write_text(text.replace("<Start>60.0</Start>", "<Start>sixty</Start>"))
    with pytest.raises(ReferenceFileError, match="Start 'sixty' is not a number"):
        read_nsrr(path, start_time=T0)
    path.write_text(text.replace("</ScoredEvents>", "</ScoredEvent>"))
    with pytest.raises(ReferenceFileError, match=r"line \d+: malformed XML"):
        read_nsrr(path, start_time=T0)


_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PSGAnnotation><ScoredEvents><ScoredEvent><EventType>Stages|Stages</EventType>
<EventConcept>&lol9;</EventConcept><Start>0</Start><Duration>30</Duration></ScoredEvent>
</ScoredEvents></PSGAnnotation>
"""

_EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE PSGAnnotation [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<PSGAnnotation><ScoredEvents><ScoredEvent><EventType>Stages|Stages</EventType>
<EventConcept>&secret;</EventConcept><Start>0</Start><Duration>30</Duration></ScoredEvent>
</ScoredEvents></PSGAnnotation>
"""

_ENTITY_WITHOUT_DOCTYPE_NAME = _BILLION_LAUGHS.replace("<!DOCTYPE lolz [", "<!DOCTYPE PSGAnnotation [")


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", [_BILLION_LAUGHS, _EXTERNAL, _ENTITY_WITHOUT_DOCTYPE_NAME])
def test_xml_entity_bombs_and_external_entities_are_refused_at_once(tmp_path, text):
    path = tmp_path / "bomb.xml"
    path.write_text(text)
    began = time.monotonic()
    with pytest.raises(ReferenceFileError, match=r"bomb\.xml, line \d+: refused as unsafe XML") as info:
        read_nsrr(path, start_time=T0)
    assert isinstance(info.value, ValidationError)
    assert time.monotonic() - began < 5  # refused, not expanded
    assert "root:" not in str(info.value)


# --- bad input: every rule names file and line -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("onset,stage\n0,W\n30,N5\n", r"line 3: unknown stage label 'N5'"),
        ("onset,duration,stage\n0,60,W\n60,30,N2\n30,30,N1\n", r"line 4: times go backwards"),
        ("onset,duration,stage\n0,60,W\n30,30,N2\n", r"line 3: overlap: this row starts at 30 s"),
        ("onset,duration,stage\n0,30,W\n90,30,N2\n", r"line 3: gap: this row starts at 90 s"),
        ("onset,stage\n0,W\n0,N2\n", r"line 3: overlap"),
        ("onset,stage\n0,W\n60,N2\n30,N1\n", r"line 4: times go backwards"),
        ("onset,stage\n", r"no stage rows"),
        ("", r"no stage rows: the file is empty"),
        (
            "onset,duration,stage\n0,20,W\n20,20,N2\n",
            r"line 2: a row lasting 20 s is not a whole number of 30-s",
        ),
        ("onset,duration,stage\n0,45,W\n", r"line 2: a row lasting 45 s"),
        ("onset,stage\n0,W\nabc,N2\n", r"line 3: onset 'abc' is not a number"),
        ("time,stage\n2025-01-01T22:00:00,W\n", r"line 2: time '2025-01-01T22:00:00' has no UTC offset"),
        ("time,stage\nyesterday,W\n", r"line 2: time 'yesterday' is not an ISO 8601"),
        ("onset,sleep\n0,W\n", r"line 1 \(header\): no stage column"),
        ("onset,stage\n0,W\nnan,N2\n", r"line 3: onset nan is not a number"),
        ("onset,duration,stage\n0,3e8,W\n", r"line 2: longer than 8640 epochs"),
    ],
)
def test_bad_csv_is_named_by_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(
        ReferenceFileError, match=r"reference .*bad\.csv" + (", " if "line" in message else ": ") + message
    ):
        read_delimited(path, start_time=T0)


def test_csv_without_a_start_time_and_time_column(tmp_path):
    (tmp_path / "n.csv").write_text("stage\nW\n")
    with pytest.raises(ReferenceFileError, match="no start time"):
        read_delimited(tmp_path / "n.csv")
    with pytest.raises(ReferenceFileError, match="start_time: time '2025-01-01T22:00' has no UTC offset"):
        read_delimited(tmp_path / "n.csv", start_time="2025-01-01T22:00")


def test_unreadable_files(tmp_path):
    with pytest.raises(ReferenceFileError, match="file not found"):
        _one(tmp_path / "none.csv", start_time=T0)
    (tmp_path / "b.csv").write_bytes(b"stage\n\xff\xfe\n")
    with pytest.raises(ReferenceFileError, match="not a UTF-8 text file"):
        _one(tmp_path / "b.csv", start_time=T0)
    with pytest.raises(ReferenceFileError, match="cannot tell the format"):
        _one(tmp_path / "b.dat", start_time=T0)
    with pytest.raises(ReferenceFileError, match="unknown format 'parquet'"):
        _one(tmp_path / "b.csv", format="parquet")
    with pytest.raises(InvalidIdentifier):
        read_reference(tmp_path / "b.csv", session_id="night-1", user_id=UID)


# --- the reference manifest ------------------------------------------------------------------------


def _manifest(tmp_path: Path, rows: list[str], header: str = "session_id,user_id,file,start_time") -> Path:
    path = tmp_path / "refs.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_manifest_keys_files_to_sessions_and_sorts_them(tmp_path):
    pd.DataFrame({"stage": AASM}).to_csv(tmp_path / "a.csv", index=False)
    (tmp_path / "b.xml").write_text(_nsrr(_nsrr_events()))
    path = _manifest(
        tmp_path,
        [f"{SID2},{UID2},a.csv,2025-01-02T22:00:00Z", f"{SID},{UID},b.xml,2025-01-01T22:00:15+00:00"],
    )
    ds = read_reference(path)
    assert ds.session_id.values.tolist() == [SID, SID2]  # by user
    assert ds.source_file.values.tolist() == ["b.xml", "a.csv"]
    assert ds.sleep_stage.values[0].tolist() == NSRR_CODES + [PAD] * (len(CODES) - len(NSRR_CODES))
    assert ds.sleep_stage.values[1].tolist() == CODES
    assert ds.n_epochs.values.tolist() == [len(NSRR_CODES), len(CODES)]
    assert ds.attrs["source_files"] == "a.csv, b.xml"
    assert ds.attrs["history"].startswith("read_reference(manifest refs.csv sha256 ")


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (
            [f"{SID},{UID},a.csv", f"{SID},{UID2},b.csv"],
            None,
            r"line 3: duplicate session_id .* \(also on line 2\)",
        ),
        ([f"{SID},{UID}"], "session_id,user_id", r"line 1 \(header\): missing column\(s\) file"),
        ([f"night1,{UID},a.csv"], None, r"line 2: session_id 'night1' is not an Asleep session id"),
        ([f"{SID},P01,a.csv"], None, r"line 2: user_id 'P01' is not an Asleep user id"),
        ([f"{SID},{UID},"], None, r"line 2: file is empty"),
        ([f"{SID},{UID},a.csv,pdf"], "session_id,user_id,file,format", r"line 2: unknown format 'pdf'"),
        ([], None, r"the manifest has no rows"),
    ],
)
def test_bad_manifests_are_named_by_line(tmp_path, rows, header, message):
    path = _manifest(tmp_path, rows, header or "session_id,user_id,file")
    with pytest.raises(ReferenceFileError, match=r"refs\.csv, " + message if "line" in message else message):
        read_reference_manifest(path)


def test_a_bad_file_in_a_manifest_names_the_file(tmp_path):
    (tmp_path / "a.csv").write_text("onset,stage\n0,W\n30,X\n")
    path = _manifest(tmp_path, [f"{SID},{UID},a.csv,2025-01-01T22:00:00Z"])
    with pytest.raises(ReferenceFileError, match=r"reference a\.csv, line 3: unknown stage label 'X'"):
        read_reference(path)


# --- the form of a cohort ------------------------------------------------------------------------


def test_same_form_as_a_cohort(tmp_path):
    from asleep_nb.standin.store import load

    pd.DataFrame({"stage": AASM}).to_csv(tmp_path / "a.csv", index=False)
    ref = _one(tmp_path / "a.csv", start_time=T0)
    data = json.loads(next(iter(sorted((demo_data_dir() / "sessions").glob("*.json")))).read_text())
    assert load(demo_data_dir()).sessions  # the demo loads
    cohort = to_cohort([data])
    assert ref.sleep_stage.dims == cohort.sleep_stage.dims == ("session", "epoch")
    assert ref.sleep_stage.dtype == cohort.sleep_stage.dtype == np.int8
    for name in ("session_id", "user_id", "start_time", "n_epochs", "offset", "epoch", "elapsed"):
        assert ref[name].dtype == cohort[name].dtype, name
        assert ref[name].attrs == cohort[name].attrs, name
    assert {k: str(v) for k, v in ref.sleep_stage.attrs.items()} == {
        k: str(v) for k, v in cohort.sleep_stage.attrs.items()
    }
    assert ref.sleep_stage.encoding["_FillValue"] == PAD
    assert ref.attrs["Conventions"] == cohort.attrs["Conventions"] and ref.attrs["alignment"] == "start"
    for name in ("n_movement", "n_unscored", "source_file"):
        assert ref[name].attrs["long_name"], name


def test_reference_dataset_writes_to_netcdf(tmp_path):
    pytest.importorskip("h5netcdf")
    pd.DataFrame({"stage": AASM}).to_csv(tmp_path / "a.csv", index=False)
    ref = _one(tmp_path / "a.csv", start_time=T0)
    ref.to_netcdf(tmp_path / "r.nc", engine="h5netcdf")
    back = xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf", mask_and_scale=False)
    assert back.sleep_stage.values.tolist() == ref.sleep_stage.values.tolist()
    assert pd.Timestamp(back.start_time.values[0]) == pd.Timestamp(ref.start_time.values[0])


# --- the demo validation study ---------------------------------------------------------------------


def _demo_reference() -> xr.Dataset:
    return read_reference(demo_data_dir() / "reference" / "manifest.csv")


def test_demo_reference_matches_the_validation_manifest_and_sessions():
    ref = _demo_reference()
    study = pd.read_csv(demo_data_dir() / "validation.csv")
    assert sorted(ref.session_id.values.tolist()) == sorted(study.session_id) and len(study) == 80
    assert study.groupby("group").size().to_dict() == {"validation_apnea": 55, "validation_healthy": 25}
    users = dict(zip(study.session_id, study.user_id, strict=True))
    assert all(users[s] == u for s, u in zip(ref.session_id.values, ref.user_id.values, strict=True))
    sessions = pd.read_csv(demo_data_dir() / "sessions.csv").set_index("session_id")
    shifts, partial = set(), 0
    for i, sid in enumerate(ref.session_id.values):
        data = json.loads((demo_data_dir() / "sessions" / f"{sid}.json").read_text())
        device_start = datetime.fromisoformat(data["session"]["start_time"])
        ref_start = pd.Timestamp(ref.start_time.values[i]).tz_localize("UTC").to_pydatetime()
        shifts.add((ref_start - device_start) / timedelta(seconds=1) % 30)
        device_end = device_start + timedelta(seconds=30 * len(data["session"]["sleep_stages"]))
        ref_end = ref_start + timedelta(seconds=30 * int(ref.n_epochs[i]))
        half = timedelta(seconds=15)  # a grid offset, not a partial night
        partial += ref_start > device_start + half or ref_end < device_end - half
        assert sessions.loc[sid, "group"].startswith("validation")
    assert shifts == {0.0, 10.0, 15.0, 29.0}
    assert partial == 10


def test_demo_hypnograms_are_the_real_ones():
    source = default_source()
    if not (source / "dodh_models.json").is_file():
        pytest.skip(f"DOD source not found at {source}")
    ref = _demo_reference()
    sessions = pd.read_csv(demo_data_dir() / "sessions.csv").set_index("session_id")
    to_asleep = {-1: -1, 0: 0, 1: 1, 2: 1, 3: 2, 4: 3}
    checked = 0
    for cohort in ("dodh", "dodo"):
        scorers = json.loads((source / f"{cohort}.json").read_text())
        models = json.loads((source / f"{cohort}_models.json").read_text())
        for i, sid in enumerate(ref.session_id.values):
            record = sessions.loc[sid, "dod_record"]
            if record not in models:
                continue
            # the device: the model's hypnogram, mapped, from its first to its last staged epoch
            model = [to_asleep[c] for c in models[record]["chambon_2018"]]
            staged = [k for k, c in enumerate(model) if c >= 0]
            data = json.loads((demo_data_dir() / "sessions" / f"{sid}.json").read_text())
            assert data["session"]["sleep_stages"] == model[staged[0] : staged[-1] + 1]
            # the reference: wherever three of the five technologists agree, the file says so
            votes = np.array(list(scorers[record].values()))
            ref_codes = ref.sleep_stage.values[i, : int(ref.n_epochs[i])]
            device_start = datetime.fromisoformat(data["session"]["start_time"])
            ref_start = pd.Timestamp(ref.start_time.values[i]).tz_localize("UTC").to_pydatetime()
            # whole epochs between the starts, the grid offset (-15 to +14 s) set aside
            first = staged[0] + (ref_start - device_start + timedelta(seconds=15)) // timedelta(seconds=30)
            for k in range(0, ref_codes.size, 7):
                counts = np.bincount(votes[:, first + k] + 1, minlength=6)
                if counts.max() >= 3:
                    assert ref_codes[k] == to_asleep[int(np.argmax(counts)) - 1], (sid, k)
            checked += 1
    assert checked == 80
