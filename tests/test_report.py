"""The reproducible HTML report: ``build_report`` and ``asleep-nb report``.

Each report runs the shipped notebook in a real kernel (~10 s each): one default (demo) report
through the command line, and two identical runs on a small manifest with a time zone to
check that the same inputs give byte-identical HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from asleep_nb import cli
from asleep_nb.errors import InvalidTimezone
from asleep_nb.report import TEMPLATE, _inject_parameters, build_report, dataset_fingerprint, provenance
from asleep_nb.resources import demo_data_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jupyter_home(tmp_path_factory: pytest.TempPathFactory):
    """Keep Jupyter, IPython and matplotlib state out of $HOME (the kernel inherits the env)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        for var, sub in (
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("IPYTHONDIR", "ipython"),
            ("MPLCONFIGDIR", "mpl"),
        ):
            (home / sub).mkdir()
            mp.setenv(var, str(home / sub))
        yield home


@pytest.fixture(scope="module")
def demo_report(jupyter_home: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("demo") / "report.html"
    assert cli.main(["report", "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def small_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    demo = pd.read_csv(demo_data_dir() / "manifest.csv", dtype=str)
    rows = pd.concat([demo[demo["group"] == g].head(3) for g in ("healthy", "apnea")])
    path = tmp_path_factory.mktemp("manifest") / "small.csv"
    rows.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def seoul_pair(jupyter_home: Path, small_manifest: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("seoul")
    first = build_report(folder / "a.html", manifest=small_manifest, timezone="Asia/Seoul")
    second = build_report(folder / "b.html", manifest=small_manifest, timezone="Asia/Seoul")
    return first.read_bytes(), second.read_bytes()


# -- the default report ---------------------------------------------------------------------------
def test_demo_report_embeds_figures_as_png(demo_report: str) -> None:
    images = re.findall(r'<img[^>]+src="data:image/png;base64,', demo_report)
    assert len(images) == 3  # metric grid, hypnodensity, stage distribution + transitions


def test_demo_report_has_no_code(demo_report: str) -> None:
    assert "In&nbsp;[" not in demo_report and "In [" not in demo_report
    assert "jp-Editor jp-InputArea-editor" not in demo_report and 'class="highlight' not in demo_report
    for source in ("import asleep_nb", "def show_table", "stats.verify(result)", "plt.subplots"):
        assert source not in demo_report


def test_demo_report_opens_offline(demo_report: str) -> None:
    assert "<script src=" not in demo_report
    assert "<title>Sleep cohort report</title>" in demo_report


def test_demo_report_content(demo_report: str) -> None:
    assert "80 sessions of 80 users" in demo_report
    assert "<b>80</b> sessions verified, <b>0</b> mismatched" in demo_report
    assert "healthy - apnea" in demo_report
    assert "127.0.0.1" not in demo_report  # the demo's port never reaches the report


def test_demo_report_records_provenance(demo_report: str) -> None:
    assert re.search(r"data fingerprint \(SHA-256\)</th>\s*<td>[0-9a-f]{64}</td>", demo_report)
    for item in ("parameter manifest", "parameter timezone", "python", "numpy", "xarray", "asleep-nb"):
        assert f"<th>{item}</th>" in demo_report
    assert f"<td>{np.__version__}</td>" in demo_report
    assert "the demo cohort (groups healthy, apnea)" in demo_report


# -- parameters and reproducibility ---------------------------------------------------------------
def test_same_inputs_give_byte_identical_html(seoul_pair: tuple[bytes, bytes]) -> None:
    first, second = seoul_pair
    assert first == second


def test_parameters_reach_the_notebook(seoul_pair: tuple[bytes, bytes], small_manifest: Path) -> None:
    html = seoul_pair[0].decode()
    assert "6 sessions of 6 users" in html
    assert "time zones: Asia/Seoul." in html
    assert "<td>Asia/Seoul</td>" in html
    assert f"manifest {small_manifest}" in html


def test_invalid_timezone_fails_before_running(tmp_path: Path) -> None:
    with pytest.raises(InvalidTimezone, match="Mars/Olympus"):
        build_report(tmp_path / "r.html", timezone="Mars/Olympus")
    assert not (tmp_path / "r.html").exists()


def test_missing_manifest(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        build_report(tmp_path / "r.html", manifest=tmp_path / "nope.csv")


def test_cli_reports_bad_input_with_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "--timezone", "Mars/Olympus", "--out", str(tmp_path / "r.html")]) == 2
    assert "Mars/Olympus" in capsys.readouterr().err
    assert cli.main(["report", "--manifest", str(tmp_path / "none.csv")]) == 2


# -- the pieces -----------------------------------------------------------------------------------
def test_template_has_a_parameters_cell_with_defaults() -> None:
    nb = nbformat.read(TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert "manifest = None" in tagged[0].source and "timezone = None" in tagged[0].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_parameters_are_injected_after_the_tagged_cell() -> None:
    nb = nbformat.read(TEMPLATE, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    _inject_parameters(nb, {"manifest": "/x.csv", "timezone": None})
    assert nb.cells[at + 1].source == "manifest = '/x.csv'\ntimezone = None"
    untagged = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="parameters"):
        _inject_parameters(untagged, {"x": 2})


def test_fingerprint_sees_one_changed_epoch_and_ignores_layout() -> None:
    stages = np.zeros((2, 5), dtype=np.int8)
    ds = xr.Dataset(
        {"sleep_stage": (("session", "epoch"), stages)}, coords={"user_id": ("session", ["a", "b"])}
    )
    changed = ds.copy(deep=True)
    changed["sleep_stage"][1, 3] = 2
    assert dataset_fingerprint(ds) == dataset_fingerprint(ds.copy(deep=True))
    assert dataset_fingerprint(ds) != dataset_fingerprint(changed)
    assert dataset_fingerprint(ds) != dataset_fingerprint(ds.assign_attrs(source="other"))


def test_provenance_lists_parameters_fingerprint_and_versions() -> None:
    info = provenance({"manifest": "m.csv", "timezone": "UTC"}, "f" * 64)
    assert info["parameter manifest"] == "m.csv" and info["parameter timezone"] == "UTC"
    assert info["data fingerprint (SHA-256)"] == "f" * 64
    assert info["numpy"] == np.__version__
    assert {"python", "pandas", "xarray", "matplotlib", "asleep-nb"} <= set(info)
