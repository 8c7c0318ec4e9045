"""``asleep-nb report`` options and every failure found before a kernel starts: exit status, one line.

These tests never execute a notebook (bad input is refused before the kernel starts), so they
are fast; the runs that do execute one are in ``tests/test_report.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from hostile import unused_port

from asleep_nb import cli
from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.loading.archive_reader import ArchiveReader
from asleep_nb.report import DEFAULT_METRICS, DataUnavailable, ReportParameters
from asleep_nb.report.manifest import demo_manifest, read_manifest_file
from asleep_nb.report.parameters import METRIC_CHOICES
from asleep_nb.report.sources import Missing, load_report_data, open_report_archive
from asleep_nb.stats.quality import FLAG_NO_SIGNAL_SHARE, LONG_EDGE_RUN_MINUTES


def fails(args: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> tuple[int, list[str]]:
    """Run ``asleep-nb report ARGS``; return the exit status and the stderr lines. Nothing may be written."""
    status = cli.main(["report", "--out", str(out), *args])
    captured = capsys.readouterr()
    assert not out.exists()
    assert captured.out == ""
    return status, captured.err.splitlines()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "report.html"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


USER = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"


# -- bad manifests: the file line is named ----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "user_id,session_id\nG-1,s1\n",
            "manifest {path}, line 1 (header): is missing the required column 'group'",
        ),
        (
            "user_id,group,sesion_id\nG-1,a,s1\n",
            "manifest {path}, line 1 (header): has unknown column(s) 'sesion_id' (did you mean",
        ),
        (
            f"user_id,group,date_gte\n{USER},a,2025-01-01\n\n{USER},b,2025-13-01\n",
            "manifest {path}, line 4: date_gte '2025-13-01' is not a date YYYY-MM-DD",
        ),
        (
            f"user_id,group,timezone\n{USER},a,Mars/Olympus\n",
            "manifest {path}, line 2: timezone 'Mars/Olympus'",
        ),
        (f"user_id,group\n{USER},\n", "manifest {path}, line 2: group is empty"),
        (
            f"user_id,group,session_id\n{USER},a,s1\n{USER},a,s1\n",
            "manifest {path}, line 3: session 's1' is already listed in line 2",
        ),
        ("user_id,group\n", "manifest {path}: has no rows"),
    ],
)
def test_bad_manifest_names_its_line(
    text: str, expected: str, tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "study.csv", text)
    status, lines = fails(["--manifest", str(path)], capsys, out)
    assert status == 2
    assert len(lines) == 1
    assert lines[0].startswith("asleep-nb report: " + expected.format(path=path))


def test_missing_manifest(tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = fails(["--manifest", str(tmp_path / "none.csv")], capsys, out)
    assert (status, lines) == (2, [f"asleep-nb report: manifest {tmp_path / 'none.csv'} not found"])


def test_manifest_lines_follow_the_file() -> None:
    demo = demo_manifest()
    assert len(demo.lines) == len(demo.rows) == 80
    assert demo.where(0).endswith("line 2") and demo.sha256 == read_manifest_file(demo.path).sha256


# -- bad options -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--timezone", "Mars/Olympus"], "--timezone: "),
        (["--align", "sunset"], "--align must be one of 'start', 'onset', 'clock', got 'sunset'"),
        (
            ["--metrics", "sleep_eficiency"],
            "--metrics: 'sleep_eficiency' is not a stat a report can compare (did you mean",
        ),
        (["--metrics", "breathing_pattern"], "--metrics: 'breathing_pattern' is not a stat"),
        (["--metrics", " , "], "--metrics names no stat"),
        (["--metrics", "rem_ratio,rem_ratio"], "--metrics names a stat twice"),
        (["--title", "  "], "--title must be one non-empty line"),
        (
            ["--no-signal-threshold", "1.5"],
            "--no-signal-threshold: the no-signal threshold must be a share between 0 and 1",
        ),
        (["--no-signal-threshold", "a fifth"], "--no-signal-threshold: "),
        (["--no-signal-run", "-5"], "--no-signal-run: the long no-signal run must be a non-negative number"),
        (["--archive", "/no/such/archive"], "--archive: no archive folder at '/no/such/archive'"),
        (
            ["--archive", ".", "--base-url", "http://127.0.0.1:9"],
            "give either --archive (no network) or --base-url",
        ),
    ],
)
def test_bad_option_is_one_line_and_status_2(
    args: list[str], expected: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = fails(args, capsys, out)
    assert status == 2
    assert len(lines) == 1 and lines[0].startswith("asleep-nb report: " + expected), lines


def test_a_folder_without_archive_manifest_is_refused(tmp_path: Path, out: Path, capsys) -> None:
    status, lines = fails(["--archive", str(tmp_path)], capsys, out)
    assert status == 2 and len(lines) == 1 and "is not an archive: it has no manifest.jsonl" in lines[0]


# -- bad templates ---------------------------------------------------------------------------------
def test_bad_templates(tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    untagged = tmp_path / "untagged.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), untagged)
    cases = {
        tmp_path / "none.ipynb": "not found",
        write(
            tmp_path / "text.ipynb", "print('hello')\n"
        ): "is not a Jupyter notebook: Notebook does not appear",
        write(tmp_path / "list.ipynb", "[1, 2]"): "is not a Jupyter notebook",
        untagged: "has no cell tagged 'parameters'; tag the cell that sets the report's parameters",
    }
    for path, expected in cases.items():
        status, lines = fails(["--template", str(path)], capsys, out)
        assert status == 2 and len(lines) == 1
        assert lines[0].startswith(f"asleep-nb report: --template {path} {expected}"), lines


# -- the API: key and reachability, checked before the kernel starts -----------------------------------
def test_base_url_without_a_key(out: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASLEEP_API_KEY", raising=False)
    monkeypatch.delenv("ASLEEP_NB_STANDIN_KEY", raising=False)
    status, lines = fails(["--base-url", "http://127.0.0.1:9"], capsys, out)
    assert status == 2 and len(lines) == 1
    assert lines[0].startswith("asleep-nb report: --base-url: ") and "ASLEEP_API_KEY" in lines[0]


def test_unreachable_server_fails_fast_without_leaking_the_key(
    out: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = unused_port()
    monkeypatch.setenv("ASLEEP_API_KEY", "secret-key-123")
    status, lines = fails(["--base-url", f"http://127.0.0.1:{port}"], capsys, out)
    assert status == 1
    assert lines == [f"asleep-nb report: cannot reach the API at 127.0.0.1:{port}: Connection refused"]


# -- parameters ------------------------------------------------------------------------------------
def test_parameter_defaults_are_the_named_ones() -> None:
    p = ReportParameters.from_values(metrics=None, title=None, align=None, no_signal_threshold=None)
    assert p == ReportParameters()
    assert p.metrics == DEFAULT_METRICS and p.align == "onset"
    assert (p.no_signal_threshold, p.no_signal_run) == (FLAG_NO_SIGNAL_SHARE, LONG_EDGE_RUN_MINUTES)
    assert set(DEFAULT_METRICS) <= set(METRIC_CHOICES)
    assert all(STAT_FIELDS[m].kind not in ("text", "time_list") for m in METRIC_CHOICES)


def test_parameters_round_trip_through_plain_values() -> None:
    p = ReportParameters.from_values(metrics="rem_ratio, sleep_time", no_signal_threshold="0.1", title=" T ")
    assert p.metrics == ("rem_ratio", "sleep_time") and p.no_signal_threshold == 0.1 and p.title == "T"
    assert ReportParameters(**p.values()) == p
    shown = p.shown()
    assert shown["metrics compared"] == "rem_ratio, sleep_time"
    assert shown["no-signal threshold"] == "a night with more than 10 % no-signal epochs is flagged"
    assert "key" not in " ".join(shown).lower()


# -- the archive as an offline client ----------------------------------------------------------------
@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory, asleep_standin) -> Path:
    """Two demo sessions archived in Asia/Seoul (fetched from the stand-in once)."""
    from asleep_nb import Client
    from asleep_nb.data.manifest import read_manifest
    from asleep_nb.loading.fetch import fetch_sessions
    from asleep_nb.loading.load import expand_manifest

    folder = tmp_path_factory.mktemp("archive")
    rows = demo_manifest().rows.head(2)
    with Client(api_key=asleep_standin.api_key, base_url=asleep_standin.url) as client:
        requests = expand_manifest(client, read_manifest(rows), timezone="Asia/Seoul")
        assert fetch_sessions(client, requests, archive=folder / "study", progress=False).ok
    rows.to_csv(folder / "two.csv", index=False)
    return folder


def test_archive_reader_answers_offline(small_archive: Path) -> None:
    archive = open_report_archive(small_archive / "study")
    reader = ArchiveReader(archive)
    entry = archive.entries()[0]
    listed = reader.list_sessions(entry.user_id, timezone="Asia/Seoul")
    assert [s.session_id for s in listed] == [entry.session_id]
    day = listed[0].start_time.date().isoformat()
    assert reader.list_sessions(entry.user_id, date_gte=day, date_lte=day, timezone="Asia/Seoul")
    assert not reader.list_sessions(entry.user_id, date_lte="2000-01-01", timezone="Asia/Seoul")
    assert (
        reader.get_session(entry.session_id, user_id=entry.user_id, timezone="Asia/Seoul").session.id
        == entry.session_id
    )
    with pytest.raises(Exception, match="archived in zone\\(s\\) Asia/Seoul, not in UTC"):
        reader.get_session(entry.session_id, user_id=entry.user_id)
    with pytest.raises(Exception, match="is not in the archive"):
        reader.get_session("20250101000000_nosuc", user_id=entry.user_id)
    with pytest.raises(Exception, match="has no session in the archive"):
        reader.list_sessions("G-20240101000009-NobodyNobodyNobodyNo")


def test_load_report_data_lists_what_cannot_be_had(small_archive: Path, monkeypatch) -> None:
    monkeypatch.chdir(small_archive)
    rows = pd.read_csv("two.csv", dtype=str)
    extra = pd.DataFrame(
        {"user_id": [rows["user_id"][0]], "group": ["healthy"], "session_id": ["20250101000000_nosuc"]}
    )
    pd.concat([rows, extra]).to_csv("three.csv", index=False)
    params = ReportParameters(
        manifest="three.csv", archive="study", timezone="Asia/Seoul", allow_missing=True
    )
    data = load_report_data(params)
    assert data.source == "archive study" and data.requested == 3 and len(data.results) == 2
    assert data.missing == [
        Missing("20250101000000_nosuc", rows["user_id"][0], "healthy", "manifest three.csv, line 4",
                "SessionNotFound: session 20250101000000_nosuc is not in the archive", position=2)
    ]  # fmt: skip
    assert (
        data.details["archive manifest.jsonl SHA-256"]
        == __import__("hashlib").sha256((small_archive / "study" / "manifest.jsonl").read_bytes()).hexdigest()
    )
    everything = load_report_data(ReportParameters(archive="study"))  # no manifest: every archived session
    assert everything.manifest is None and set(everything.cohort["group"].values) == {"all"}


def test_a_corrupt_archived_file_is_a_missing_session(
    small_archive: Path, tmp_path: Path, monkeypatch
) -> None:
    shutil.copytree(small_archive, tmp_path / "copy")
    monkeypatch.chdir(tmp_path / "copy")
    victim = open_report_archive("study").entries()[0]
    path = Path("study") / victim.file
    path.write_bytes(path.read_bytes().replace(b'"COMPLETE"', b'"COMPLETX"'))
    params = ReportParameters(manifest="two.csv", archive="study", timezone="Asia/Seoul", allow_missing=True)
    data = load_report_data(params)
    assert [m.session_id for m in data.missing] == [victim.session_id]
    assert (
        data.missing[0].reason.startswith("ArchiveCorrupt: archived file ")
        and "sha256" in data.missing[0].reason
    )
    with pytest.raises(DataUnavailable, match=f"session {victim.session_id} of user .*ArchiveCorrupt"):
        load_report_data(ReportParameters(manifest="two.csv", archive="study", timezone="Asia/Seoul"))


def test_an_invalid_user_id_is_bad_input_even_with_allow_missing(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "study.csv", f"user_id,group\n{USER},a\nG-bad,b\n")
    for extra in ([], ["--allow-missing"]):
        status, lines = fails(["--manifest", str(path), *extra], capsys, out)
        assert status == 2, lines
        text = "\n".join(lines)
        assert "G-bad (manifest" in text and "line 3" in text and "InvalidIdentifier" in text
