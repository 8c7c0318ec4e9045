"""``asleep-nb validate``: the demo validation study end to end, offline from an archive, and every failure.

The numbers in the report are checked against scikit-learn on the same aligned epochs (accuracy,
Cohen's kappa, the confusion matrix) and against ``stats_agreement`` run here on the same nights
read straight from the demo's files; failures before the kernel starts are one line and an exit
status (2 bad input, 1 data that cannot be had), and so are failures inside it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from hostile import unused_port
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix

from asleep_nb import cli
from asleep_nb.data.cohort import to_cohort
from asleep_nb.data.reference import read_reference
from asleep_nb.definitions import format_estimate, format_value
from asleep_nb.report.validation import ValidationParameters
from asleep_nb.report.validation.parameters import N_BOOT, SEED, VALIDATION_METRICS
from asleep_nb.resources import demo_data_dir
from asleep_nb.stats import epoch_agreement, stats_agreement
from asleep_nb.stats.study.agreement import paired_epochs

DEMO = demo_data_dir()
STUDY = DEMO / "validation.csv"
REFERENCE = DEMO / "reference" / "manifest.csv"


def fails(args: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> tuple[int, list[str]]:
    """Run ``asleep-nb validate ARGS``; return the exit status and stderr lines. Nothing may be written."""
    status = cli.main(["validate", "--out", str(out), *args])
    captured = capsys.readouterr()
    assert not out.exists()
    assert captured.out == ""
    return status, [
        line for line in captured.err.splitlines() if "running the validation notebook" not in line
    ]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "v.html"


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("validate") / "v.html"
    assert cli.main(["validate", "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pair():
    """The demo's device nights read from its files (no HTTP) and their reference."""
    study = pd.read_csv(STUDY)
    payloads = [json.loads((DEMO / "sessions" / f"{sid}.json").read_text()) for sid in study.session_id]
    groups = dict(zip(study.session_id, study.group, strict=True))  # the report's session order
    return to_cohort(payloads, groups=groups, align="start"), read_reference(REFERENCE)


# -- the demo, end to end -----------------------------------------------------------------------------
def test_default_is_the_demo_study_and_its_numbers_are_scikit_learns(demo_html, pair):
    device, reference = pair
    for heading in ("Methods", "Epoch by epoch", "Night by night", "Provenance"):
        assert f">{heading}<" in demo_html
    assert "reference label rule" in demo_html and "majority-cover rule" in demo_html
    assert "80 sessions of 80 participants from the built-in demo" in demo_html
    for classes in (4, 2):
        d, r, _ = paired_epochs(device, reference, classes=classes)
        both = d >= 0
        kappa = cohen_kappa_score(r[both], d[both])
        result = epoch_agreement(device, reference, classes=classes, n_boot=N_BOOT, seed=SEED)
        assert abs(result.pooled["kappa"] - kappa) < 1e-12
        ci = f"{kappa:.3f} ({result.pooled['kappa_ci_low']:.3f} to {result.pooled['kappa_ci_high']:.3f})"
        assert ci in demo_html
        assert f"{100 * accuracy_score(r[both], d[both]):.1f} %" in demo_html
        counts = confusion_matrix(r[both], d[both], labels=list(range(classes)))
        for k in range(classes):
            share = 100 * counts[k, k] / counts[k].sum()
            assert f"{counts[k, k]} ({share:.1f} %)" in demo_html


def test_agreement_per_group_is_scikit_learns(demo_html, pair):
    device, reference = pair
    assert "Pooled agreement per study group, four stages" in demo_html
    d, r, _ = paired_epochs(device, reference)
    groups = device["group"].values
    for group in ("validation_apnea", "validation_healthy"):
        rows = groups == group
        both = d[rows] >= 0
        kappa = cohen_kappa_score(r[rows][both], d[rows][both])
        assert f"<td>{kappa:.3f} (" in demo_html, group


def test_discrepancy_table_is_stats_agreement(demo_html, pair):
    device, reference = pair
    table = stats_agreement(device, reference, metrics=list(VALIDATION_METRICS), n_boot=N_BOOT, seed=SEED)
    for metric, row in table.iterrows():
        bias = format_estimate(
            str(metric), row["bias"], row["bias_ci_low"], row["bias_ci_high"], difference=True
        )
        assert bias in demo_html, metric
        assert format_value(str(metric), row["mean_reference"]) in demo_html, metric


# -- read as a sleep researcher would (issue 23's standard, as tests/test_report.py checks the study report)
def test_every_figure_has_alt_text_saying_its_numbers(demo_html, pair):
    device, reference = pair
    alts = [image.get("alt", "") for image in BeautifulSoup(demo_html, "html.parser").find_all("img")]
    assert len(alts) == 3 and all(len(alt) > 80 for alt in alts), alts
    confusion, panels, night = alts
    d, r, _ = paired_epochs(device, reference, classes=4)
    both = d >= 0
    counts = confusion_matrix(r[both], d[both], labels=list(range(4)))
    for k, stage in enumerate(("Wake", "Light", "Deep", "REM")):
        assert f"{stage} {100 * counts[k, k] / counts[k].sum():.1f} %" in confusion, stage
    table = stats_agreement(device, reference, metrics=list(VALIDATION_METRICS), n_boot=N_BOOT, seed=SEED)
    assert panels.startswith(f"Bland-Altman plots, one panel per metric ({len(table)})")
    for metric, row in table.iterrows():
        bias = format_estimate(
            str(metric), row["bias"], row["bias_ci_low"], row["bias_ci_high"], difference=True
        )
        assert bias in panels, metric
    result = epoch_agreement(device, reference, n_boot=N_BOOT, seed=SEED).per_night
    typical = re.search(r"session (\S+), the device above the reference", night).group(1)
    wrong = round((1 - result.loc[typical, "accuracy"]) * result.loc[typical, "n_epochs"])
    assert f"at the {wrong} epochs where they disagree" in night
    assert f"kappa, {result.loc[typical, 'kappa']:.3f}, is the median" in night


def test_no_path_of_this_machine_and_no_raw_stderr(demo_html):
    here = [str(Path.cwd()), str(Path.home()), sys.prefix, os.path.dirname(np.__file__), str(DEMO), "/tmp/"]
    for path in here:
        assert path not in demo_html, path
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in demo_html
    assert not re.search(r"\.py:\d+: \w+Warning", demo_html)


def test_tables_have_one_header_row_in_plain_words(demo_html):
    soup = BeautifulSoup(demo_html, "html.parser")
    raw = {"user_id", "session_id", "group_id", "accuracy", "kappa", "device", "item_id", "n_epochs"}
    for table in soup.find_all("table"):
        head = table.find("thead")
        assert head is not None and len(head.find_all("tr")) == 1, table.find_previous("b")
        words = [th.get_text(strip=True) for th in head.find_all("th")]
        assert not raw & set(words), words
    corners = [t.find("thead").find("th").get_text(strip=True) for t in soup.find_all("table")]
    assert corners.count("reference (rows) / device (columns)") == 2


def test_report_reads_without_stopping(demo_html):
    text = " ".join(BeautifulSoup(demo_html, "html.parser").get_text(" ").split())
    for phrase in ("named by manifest", "cannot be had: stop", "had of", "plt.show", "sessions that cannot"):
        assert phrase not in text, phrase
    assert text.count("Provenance") == 1
    assert (
        "named by the manifest validation.csv; reference scorings from the demo's reference/manifest.csv"
        in text
    )
    assert "sessions 80 of the 80 sessions requested were fetched" in text
    assert "a session that cannot be had stops the report" in text
    assert "Manifest rows (80), by file line" in text
    assert "device fingerprint (SHA-256)" in text and "reference fingerprint (SHA-256)" in text
    estimates = BeautifulSoup(demo_html, "html.parser").find_all("table", class_="report-nowrap")
    assert (
        len(estimates) == 1 and "Bias (95 % CI)" in estimates[0].get_text()
    )  # an interval reads on one line


def test_offline_from_an_archive_gives_the_same_numbers(demo_html, tmp_path, capsys):
    archive = tmp_path / "archive"
    assert cli.main(["fetch", "--manifest", str(STUDY), "--archive", str(archive), "--no-progress"]) == 0
    capsys.readouterr()
    out = tmp_path / "offline.html"
    assert cli.main(["validate", "--archive", str(archive), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")

    def section(page: str) -> str:
        return page[page.index(">Epoch by epoch<") : page.index(">Provenance<")]

    assert section(html) == section(demo_html)
    assert "archive" in html[html.index(">Provenance<") :]


# -- failures inside the kernel: data that cannot be had ---------------------------------------------
def test_a_session_that_cannot_be_had_is_status_1(tmp_path, out, capsys):
    study = pd.read_csv(STUDY).head(2)
    gone = "20250105124909_zzzzz"
    study.loc[1, "session_id"] = gone
    study.to_csv(tmp_path / "study.csv", index=False)
    refs = pd.read_csv(REFERENCE)
    row = refs[refs.session_id == pd.read_csv(STUDY).session_id[1]].copy()
    row["session_id"], row["file"] = gone, str(DEMO / "reference" / row["file"].iloc[0])
    refs["file"] = [str(DEMO / "reference" / f) for f in refs["file"]]
    pd.concat([refs, row]).to_csv(tmp_path / "refs.csv", index=False)
    args = ["--manifest", str(tmp_path / "study.csv"), "--reference", str(tmp_path / "refs.csv")]
    status, lines = fails(args, capsys, out)
    assert status == 1
    assert gone in lines[0] and "SessionNotFound" in lines[0]


# -- bad input, refused before the kernel starts -------------------------------------------------------
def test_missing_reference_manifest(out, capsys):
    status, lines = fails(["--reference", "no/such.csv"], capsys, out)
    assert status == 2 and lines == ["asleep-nb validate: --reference: reference no/such.csv: file not found"]


def _copy_reference(tmp_path: Path) -> Path:
    folder = tmp_path / "reference"
    shutil.copytree(DEMO / "reference", folder)
    return folder


def test_bad_reference_manifest_names_its_line(tmp_path, out, capsys):
    folder = _copy_reference(tmp_path)
    lines = (folder / "manifest.csv").read_text().splitlines()
    (folder / "manifest.csv").write_text("\n".join([*lines, lines[3]]) + "\n")
    status, err = fails(["--reference", str(folder / "manifest.csv")], capsys, out)
    assert status == 2 and len(err) == 1
    assert (
        f"manifest.csv, line {len(lines) + 1}: duplicate session_id" in err[0]
        and "(also on line 4)" in err[0]
    )


def test_a_session_without_reference(tmp_path, out, capsys):
    folder = _copy_reference(tmp_path)
    lines = (folder / "manifest.csv").read_text().splitlines()
    dropped = lines[5].split(",")[0]
    (folder / "manifest.csv").write_text("\n".join(lines[:5] + lines[6:]) + "\n")
    line = 1 + pd.read_csv(STUDY).session_id.tolist().index(dropped) + 1
    status, err = fails(["--reference", str(folder / "manifest.csv")], capsys, out)
    assert status == 2
    assert err == [
        f"asleep-nb validate: manifest validation.csv, line {line}: session {dropped} has no scoring in the "
        "reference manifest manifest.csv"
    ]


def test_a_reference_of_another_user(tmp_path, out, capsys):
    folder = _copy_reference(tmp_path)
    text = (folder / "manifest.csv").read_text().splitlines()
    first, second = text[1].split(","), text[2].split(",")
    first[1] = second[1]
    text[1] = ",".join(first)
    (folder / "manifest.csv").write_text("\n".join(text) + "\n")
    status, err = fails(["--reference", str(folder / "manifest.csv")], capsys, out)
    assert status == 2 and "manifest.csv, line 2: session" in err[0] and f"not {second[1]}" in err[0]


def test_a_bad_scoring_file_names_file_and_line(tmp_path, out, capsys):
    folder = _copy_reference(tmp_path)
    name = pd.read_csv(folder / "manifest.csv").file[7]
    rows = (folder / name).read_text().splitlines()
    rows[4] = rows[4].rsplit(",", 1)[0] + ",N4?"
    (folder / name).write_text("\n".join(rows) + "\n")
    status, err = fails(["--reference", str(folder / "manifest.csv")], capsys, out)
    assert status == 2
    assert err == [
        f"asleep-nb validate: reference {name}, line 5: unknown stage label 'N4?' "
        "(see the reference label rule)"
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--metrics", "sleep_time"], "--metrics: 'sleep_time' is a time, not a duration, share or count"),
        (["--metrics", "time_in_slep"], "did you mean 'time_in_sleep'?"),
        (["--timezone", "Mars/Olympus"], "--timezone: "),
        (["--title", " "], "--title must be one non-empty line"),
        (["--archive", "/no/such/archive"], "--archive: no archive folder at '/no/such/archive'"),
        (["--archive", "a", "--base-url", "http://x"], "give either --archive (no network) or --base-url"),
        (["--manifest", "no/such.csv"], "manifest no/such.csv not found"),
    ],
)
def test_bad_options_are_one_line_and_status_2(args, expected, out, capsys):
    status, lines = fails(args, capsys, out)
    assert status == 2 and len(lines) == 1 and expected in lines[0], lines


def test_unreachable_server_is_status_1_without_the_key(out, capsys, monkeypatch):
    port = unused_port()
    monkeypatch.setenv("ASLEEP_API_KEY", "secret-key-123")
    status, lines = fails(["--base-url", f"http://127.0.0.1:{port}"], capsys, out)
    assert status == 1
    assert lines == [f"asleep-nb validate: cannot reach the API at 127.0.0.1:{port}: Connection refused"]


def test_parameters_round_trip():
    p = ValidationParameters.from_values(metrics="time_in_rem", title="T", allow_missing=True)
    assert ValidationParameters(**{**p.values(), "metrics": tuple(p.values()["metrics"])}) == p
    assert ValidationParameters().report_parameters().align == "start"
