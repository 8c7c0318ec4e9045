"""The reproducible HTML report, executed in real kernels.

Few full reports are built (each runs the whole notebook, ~8 s), and shared by module fixtures:

- the default (demo) report, through ``python -m asleep_nb.cli`` as a user runs it;
- two identical runs from an archive, in two different folders, for byte-identity;
- one run with every option at once (archive, missing sessions allowed, clock alignment,
  metrics, title, flagged nights excluded, both no-signal thresholds).

The figures' difference annotations are compared with Table 1 on the demo page by drawing the
same figures in this process (same nights, groups and bootstrap).

Failures that need a kernel (a missing session, a template that raises) run tiny notebooks or
stop at the first cell that loads data. Failures caught before any kernel starts are in
``tests/test_report_cli.py``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from bs4 import BeautifulSoup
from nbclient.exceptions import CellExecutionError

import asleep_nb.plot as ap
from asleep_nb import Client, cli
from asleep_nb.data.codebook import codebook_html
from asleep_nb.data.manifest import read_manifest
from asleep_nb.definitions.display import axis_label, difference_unit, precision
from asleep_nb.loading.archive import open_archive
from asleep_nb.loading.fetch import fetch_sessions
from asleep_nb.loading.load import expand_manifest
from asleep_nb.report import TEMPLATE, ReportParameters, build_report, dataset_fingerprint, load_report_data
from asleep_nb.report import provenance as provenance_table
from asleep_nb.report.build import inject_parameters
from asleep_nb.report.comparison import (
    N_BOOT,
    SEED,
    TABLE_ONE_CAPTION,
    compared_groups,
    compared_metrics,
    comparison_table,
    rules_note,
    table_one_header,
    table_one_latex,
)
from asleep_nb.report.manifest import demo_manifest
from asleep_nb.report.sections import alignment_words, compared, latency_rules
from asleep_nb.stats.quality import night_quality

#: Caption of the report's Table 1.
TABLE_ONE = TABLE_ONE_CAPTION
#: Caption of the provenance table (under the heading "Provenance", which the page says once).
PROVENANCE = "Data, choices and software"

pytestmark = pytest.mark.slow


# -- helpers ---------------------------------------------------------------------------------------
def tables(html: str) -> dict[str, list[list[str]]]:
    """Every table of a report by its caption (the bold text before it), as rows of cell texts.

    A header cell spanning several columns is repeated in each. The codebook appendix (a
    ``<section>``, its tables without captions) is left out.
    """
    out = {}
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        if table.find_parent("section") is not None:
            continue
        caption = table.find_previous("b")
        rows = [
            [
                cell.get_text(" ", strip=True)
                for cell in tr.find_all(["th", "td"])
                for _ in range(int(cell.get("colspan", 1)))
            ]
            for tr in table.find_all("tr")
        ]
        out[caption.get_text(strip=True) if caption else ""] = rows
    return out


def body_rows(rows: list[list[str]]) -> dict[str, list[str]]:
    """Table rows keyed by their first cell (header rows dropped)."""
    return {row[0]: row[1:] for row in rows if len(row) > 1 and row[0]}


def column_of(rows: list[list[str]], top: str, statistic: str) -> int:
    """Position, among a body row's cells after its label, of Table 1's column (``top``, ``statistic``).

    Table 1 has a header of two rows: a group or a difference over its columns, then each column.
    """
    return list(zip(rows[0][1:], rows[1][1:], strict=True)).index((top, statistic))


def notebook(*sources: str) -> nbformat.NotebookNode:
    """A notebook whose first cell is tagged ``parameters``."""
    cells = [nbformat.v4.new_code_cell(sources[0], metadata={"tags": ["parameters"]})]
    cells += [nbformat.v4.new_code_cell(s) for s in sources[1:]]
    return nbformat.v4.new_notebook(cells=cells)


@dataclass
class Run:
    status: int
    html: str
    stdout: str
    stderr: str


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jupyter_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
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
def demo(jupyter_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The default report, as a user runs it: a new process, no option but --out."""
    folder = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "asleep_nb.cli", "report", "--out", "report.html"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    html = (folder / "report.html").read_text(encoding="utf-8") if proc.returncode == 0 else ""
    return Run(proc.returncode, html, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def demo_data() -> object:
    """What the demo report analyses, loaded in this process (the numbers to check the page against)."""
    return load_report_data(ReportParameters())


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory, asleep_standin) -> Path:
    """A folder with small.csv (3 healthy, 3 apnea demo users) and their sessions archived in Asia/Seoul."""
    folder = tmp_path_factory.mktemp("study")
    demo_rows = pd.read_csv(demo_manifest().path, dtype=str)
    rows = pd.concat([demo_rows[demo_rows["group"] == g].head(3) for g in ("healthy", "apnea")])
    rows.to_csv(folder / "small.csv", index=False)
    with Client(api_key=asleep_standin.api_key, base_url=asleep_standin.url) as client:
        requests = expand_manifest(client, read_manifest(folder / "small.csv"), timezone="Asia/Seoul")
        assert fetch_sessions(client, requests, archive=folder / "archive", progress=False).ok
    return folder


@contextmanager
def offline(folder: Path) -> Iterator[None]:
    """In ``folder``, with an API key and a base URL that lead nowhere: a run that sends any request fails."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASLEEP_API_KEY", "never-sent-key")
        mp.setenv("ASLEEP_BASE_URL", "http://127.0.0.1:9")
        mp.chdir(folder)
        yield


@pytest.fixture(scope="module")
def archive_pair(jupyter_home: Path, study: Path, tmp_path_factory) -> tuple[bytes, bytes]:
    """The same report built twice from an archive: in the study folder, then in a copy elsewhere."""
    elsewhere = tmp_path_factory.mktemp("copy") / "deeper"
    shutil.copytree(study, elsewhere)
    built = []
    for folder in (study, elsewhere):
        with offline(folder):
            path = build_report("out.html", manifest="small.csv", archive="archive", timezone="Asia/Seoul")
            built.append(path.read_bytes())
    return built[0], built[1]


def shares(study: Path) -> dict[str, float]:
    """No-signal share of every archived night, counted directly from its stage array."""
    records = open_archive(study / "archive").records()
    return {
        r.session.id: list(r.session.sleep_stages).count(-1) / len(r.session.sleep_stages) for r in records
    }


@pytest.fixture(scope="module")
def options(jupyter_home: Path, study: Path) -> tuple[Run, float, str]:
    """One report with every option; returns it, the threshold used and the one night it flags."""
    share = shares(study)
    ordered = sorted(share.values())
    threshold = round((ordered[-1] + ordered[-2]) / 2, 4)  # exactly one night above it
    assert ordered[-2] < threshold < ordered[-1]
    worst = max(share, key=share.__getitem__)
    rows = pd.read_csv(study / "small.csv", dtype=str)
    extra = pd.DataFrame(
        {
            "user_id": [rows["user_id"].iloc[0], "G-20240101000009-NobodyNobodyNobodyNo"],
            "group": ["healthy", "apnea"],
            "session_id": ["20250101000000_nosuc", ""],
        }
    )
    pd.concat([rows, extra]).to_csv(study / "options.csv", index=False)
    with offline(study):
        status = cli.main(
            ["report", "--out", "options.html", "--manifest", "options.csv", "--archive", "archive",
             "--timezone", "Asia/Seoul", "--allow-missing", "--align", "clock",
             "--metrics", "time_in_sleep,sleep_efficiency,sleep_latency", "--title", "Pilot <study> & co",
             "--exclude-flagged", "--no-signal-threshold", str(threshold), "--no-signal-run", "10"]
        )  # fmt: skip
    html = (study / "options.html").read_text(encoding="utf-8") if status == 0 else ""
    return Run(status, html, "", ""), threshold, worst


# -- the default report ----------------------------------------------------------------------------
def test_demo_report_runs_quietly(demo: Run) -> None:
    assert demo.status == 0, demo.stderr
    assert demo.stderr.splitlines() == ["asleep-nb report: running the report notebook ..."]  # no TCP warning
    assert demo.stdout.startswith("asleep-nb report: wrote ") and demo.stdout.rstrip().endswith("report.html")


def test_demo_report_embeds_figures_as_png(demo: Run) -> None:
    images = re.findall(r'<img[^>]+src="data:image/png;base64,', demo.html)
    assert len(images) == 3  # metric grid, hypnodensity, stage distribution + transitions


def test_demo_report_has_no_code(demo: Run) -> None:
    assert "In&nbsp;[" not in demo.html and "In [" not in demo.html
    assert "jp-Editor jp-InputArea-editor" not in demo.html and 'class="highlight' not in demo.html
    for source in (
        "import asleep_nb",
        "def show_table",
        "stats.verify(result)",
        "plt.subplots",
        "manifest = None",
    ):
        assert source not in demo.html


def test_demo_report_opens_offline(demo: Run) -> None:
    assert "<script src=" not in demo.html
    assert "<title>Sleep cohort report</title>" in demo.html and "<h1>Sleep cohort report</h1>" in demo.html


def test_demo_report_content(demo: Run) -> None:
    assert (
        "80 sessions of 80 users from the built-in demo, "
        "named by the demo's study.csv (groups healthy, apnea)" in demo.html
    )
    assert "aligned at sleep onset" in demo.html
    assert "<b>80</b> sessions verified, <b>0</b> mismatched" in demo.html
    assert "apnea - healthy" in demo.html  # other minus reference: the manifest names healthy first
    assert "127.0.0.1" not in demo.html  # the demo's port never reaches the report
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in demo.html
    for heading in ("Data quality", "Sleep latency under two rules", "Provenance"):
        assert f">{heading}" in demo.html


def test_demo_data_quality_numbers_match_a_direct_count(demo: Run, demo_data) -> None:
    shown = body_rows(tables(demo.html)["No signal per group"])
    for group in ("apnea", "healthy"):
        nights = [
            r.session.sleep_stages
            for r, g in zip(demo_data.results, groups_of(demo_data), strict=True)
            if g == group
        ]
        epochs = sum(len(s) for s in nights)
        lost = sum(list(s).count(-1) for s in nights)
        leading = sum(_run(list(s)) * 30 > 30 * 60 for s in nights)
        trailing = sum(_run(list(s)[::-1]) * 30 > 30 * 60 for s in nights)
        flagged = sum(list(s).count(-1) / len(s) > 0.2 for s in nights)
        assert shown[group] == [
            str(len(nights)),
            f"{100 * lost / epochs:.1f}",
            str(leading),
            str(trailing),
            str(flagged),
        ]


def groups_of(data) -> list[str]:
    by_session = dict(zip(data.cohort["session_id"].values, data.cohort["group"].values, strict=True))
    return [by_session[r.session.id] for r in data.results]


def _run(stages: list[int]) -> int:
    n = 0
    while n < len(stages) and stages[n] == -1:
        n += 1
    return n


def test_demo_latency_rules_match_a_direct_count(demo: Run, demo_data) -> None:
    shown = body_rows(tables(demo.html)["Nights whose two sleep latencies differ"])
    for group in ("apnea", "healthy"):
        differ = zero = n = 0
        for result, g in zip(demo_data.results, groups_of(demo_data), strict=True):
            if g != group:
                continue
            n += 1
            stages = list(result.session.sleep_stages)
            onset = next((i for i, code in enumerate(stages) if code in (1, 2, 3)), None)
            vendor = result.stat.sleep_latency
            if onset is not None and vendor is not None and onset * 30 != vendor:
                differ += 1
                zero += vendor == 0
        assert shown[group] == [str(n), str(differ), str(zero)]
    assert differ == 0 or "Sleep latency (research rule, min)" in body_rows(tables(demo.html)[TABLE_ONE])
    assert (
        "vendor rule (the API&#x27;s stat object)" in demo.html
        or "vendor rule (the API's stat object)" in demo.html
    )


#: A difference with its interval as figures and tables write it: "+4.2 pp [95% CI 1.1, 7.3]".
ESTIMATE = re.compile(
    r"(?P<number>[+-][0-9.]+)(?P<unit> \S+)? \[95% CI (?P<low>-?[0-9.]+), (?P<high>-?[0-9.]+)\]"
)


def test_figures_and_table_one_write_each_difference_alike(demo: Run, demo_data) -> None:
    """The metric figures and Table 1 show one difference per metric, in one unit and one precision.

    The figures are drawn here as the report draws them (same nights, groups and bootstrap);
    their difference annotations and y labels are compared with Table 1 on the demo's page.
    """
    params = ReportParameters()
    nights = night_quality(
        demo_data.cohort, flag_share=params.no_signal_threshold, long_run_minutes=params.no_signal_run
    )
    kept = compared(nights, exclude_flagged=False)
    analysed = demo_data.cohort.isel(session=kept)
    differ = bool(latency_rules(nights.iloc[kept])["latencies differ"].sum())
    shown = compared_metrics(params.metrics, latencies_differ=differ)
    assert "research_sleep_latency" in shown  # demo apnea nights open with no signal
    groups = compared_groups(analysed["group"].values, demo_data.manifest.rows["group"])
    comparison = comparison_table(analysed, shown)
    # one research onset: the latency the figures and Table 1 compare is the data-quality section's
    quality_latency = comparison["session_id"].map(nights["research_sleep_latency"])
    np.testing.assert_array_equal(comparison["research_sleep_latency"], quality_latency)
    study = tables(demo.html)[TABLE_ONE]
    rows = body_rows(study)
    assert list(rows) == [axis_label(name) for name in shown]
    estimate_at = column_of(study, "apnea - healthy", "estimate")
    mean_at = [column_of(study, g, "mean (SD)") for g in groups]
    for name in shown:
        ax = ap.metric(comparison, name, groups=groups, n_boot=N_BOOT, seed=SEED)
        label = ax.get_ylabel()
        notes = [t.get_text() for t in ax.texts if t.get_gid() == "difference"]
        means = ax.containers[0].lines[0].get_ydata()  # the group means, in display units
        plt.close(ax.figure)
        row = rows[label]  # the figure's y label is the table's row label
        (drawn,) = [m.group(0) for note in notes for m in ESTIMATE.finditer(note)]
        assert row[estimate_at] == drawn, name
        parts = ESTIMATE.fullmatch(drawn)
        assert parts is not None
        digits = precision(name)
        for number in ("number", "low", "high"):
            assert len(parts[number].rpartition(".")[2]) == digits, (name, drawn)
        assert (parts["unit"] or "").strip() == difference_unit(name), (name, drawn)
        if name.endswith("_ratio") or name == "sleep_efficiency":
            assert parts["unit"] == " pp"
        shown_means = [row[i].split(" ")[0] for i in mean_at]
        assert shown_means == [f"{m:.{digits}f}" for m in means], name


def test_demo_report_names_the_rule_of_every_onset(demo: Run) -> None:
    text = " ".join(BeautifulSoup(demo.html, "html.parser").get_text().split())
    assert "aligned at sleep onset by the research rule" in text
    assert unescape(rules_note(["sleep_latency", "research_sleep_latency"])) in text
    assert "Sleep onset and the sleep period in these figures follow the research rule" in text
    assert "the vendor rule of the API's stat object counts a leading run" in text


def test_demo_report_offers_table_one_as_escaped_latex(demo: Run) -> None:
    soup = BeautifulSoup(demo.html, "html.parser")
    summary = soup.find("summary", string=lambda t: t is not None and "Table 1 as LaTeX" in t)
    assert summary is not None
    latex = summary.find_parent("details").find("pre").get_text()
    assert latex.startswith("\\begin{tabular}") and "\\toprule" in latex
    assert "Sleep efficiency (\\%)" in latex and "[95\\% CI" in latex
    assert "\\multicolumn{3}{c}{apnea}" in latex
    assert not re.search(r"(?<!\\)%", latex) and "<" not in latex


def test_demo_report_ends_with_the_codebook_without_attributes(demo: Run) -> None:
    soup = BeautifulSoup(demo.html, "html.parser")
    (section,) = soup.find_all("section")
    assert not section.attrs and all(not tag.attrs for tag in section.find_all(True))
    expected = BeautifulSoup(codebook_html(level=3), "html.parser")
    assert section.get_text() == expected.get_text() and section.find("h3").get_text() == "asleep_nb codebook"
    headings = [h.get_text(strip=True).rstrip("¶") for h in soup.find_all("h2")]
    assert headings[-2:] == ["Provenance", "Appendix: codebook"]
    assert section.find_next("h2") is None  # the appendix closes the page


def test_demo_report_records_provenance(demo: Run) -> None:
    info = body_rows(tables(demo.html)[PROVENANCE])
    assert info["data source"] == ["the built-in demo"]
    assert info["manifest SHA-256"] == [hashlib.sha256(demo_manifest().path.read_bytes()).hexdigest()]
    assert info["manifest"] == ["the demo's study.csv (groups healthy, apnea): 80 rows, listed below"]
    assert info["sessions"] == ["80 of the 80 sessions requested were fetched"]
    assert re.fullmatch(r"[0-9a-f]{64}", info["data fingerprint (SHA-256)"][0])
    for item in ("time zone", "alignment", "metrics compared", "no-signal threshold", "long no-signal run",
                 "flagged nights", "title", "a session that cannot be had"):  # fmt: skip
        assert item in info
    assert info["a session that cannot be had"] == ["stops the report"]
    assert info["numpy"] == [np.__version__]
    lines = [k for k in body_rows(tables(demo.html)["Manifest rows (80), by file line"]) if k.isdigit()]
    assert lines[:3] == ["2", "3", "4"] and len(lines) == 80
    assert "<details>" in demo.html


# -- reproducibility -------------------------------------------------------------------------------
def test_same_inputs_give_byte_identical_html_wherever_they_lie(archive_pair: tuple[bytes, bytes]) -> None:
    first, second = archive_pair
    assert first == second


def test_archive_report_names_its_source_and_parameters(
    archive_pair: tuple[bytes, bytes], study: Path
) -> None:
    html = archive_pair[0].decode()
    assert "6 sessions of 6 users from archive archive, named by the manifest small.csv" in html
    assert "time zones: Asia/Seoul" in html
    info = body_rows(tables(html)[PROVENANCE])
    assert info["data source"] == ["archive archive"]
    assert info["archive manifest.jsonl SHA-256"] == [
        hashlib.sha256((study / "archive" / "manifest.jsonl").read_bytes()).hexdigest()
    ]
    assert info["manifest SHA-256"] == [hashlib.sha256((study / "small.csv").read_bytes()).hexdigest()]
    assert info["time zone"] == ["Asia/Seoul"]
    assert info["manifest"] == ["small.csv: 6 rows, listed below"]
    assert str(study) not in html and "never-sent-key" not in html


# -- every option at once --------------------------------------------------------------------------
def test_options_report_is_written(options: tuple[Run, float, str]) -> None:
    assert options[0].status == 0


def test_title_is_escaped(options: tuple[Run, float, str]) -> None:
    html = options[0].html
    assert (
        "<title>Pilot &lt;study&gt; &amp; co</title>" in html
        and "<h1>Pilot &lt;study&gt; &amp; co</h1>" in html
    )


def test_missing_and_excluded_sessions_are_listed(options: tuple[Run, float, str], study: Path) -> None:
    run, threshold, worst = options
    worst_share = shares(study)[worst]
    gone = body_rows(tables(run.html)["Sessions left out of the analysis (3)"])
    assert gone["20250101000000_nosuc"][2:] == [
        "could not be had (manifest options.csv, line 8)",
        "SessionNotFound: session 20250101000000_nosuc is not in the archive",
    ]
    assert gone["—"][0] == "G-20240101000009-NobodyNobodyNobodyNo"
    assert gone["—"][2:] == [
        "could not be had (manifest options.csv, line 9)",
        "UserNotFound: user G-20240101000009-NobodyNobodyNobodyNo has no session in the archive",
    ]
    assert gone[worst][2:] == [
        "flagged, excluded",
        f"{100 * worst_share:.1f} % of its epochs are no signal (> {threshold * 100:g} %)",
    ]
    assert (
        "Flagged nights excluded from the group comparison and the sleep architecture below: <b>1</b>."
        in run.html
    )
    study = tables(run.html)[TABLE_ONE]
    users = {"apnea": 3, "healthy": 3}
    users[gone[worst][1]] -= 1  # the flagged night's user has no other night
    at = {group: column_of(study, group, "users (nights)") for group in users}
    row = body_rows(study)["Time in sleep (h)"]
    assert {g: row[i] for g, i in at.items()} == {g: f"{n} ({n})" for g, n in users.items()}
    assert "6 sessions of 6 users" in run.html  # the flagged night is still analysed for quality


def test_options_reach_the_page(options: tuple[Run, float, str]) -> None:
    run, threshold, _ = options
    html = run.html
    assert "aligned on a common local clock from 18:00" in html
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html  # no stray warning
    assert f"nights flagged (&gt; {threshold * 100:g} % no signal)" in html
    assert "nights opening with &gt; 10 min of no signal" in html
    statistics = list(body_rows(tables(html)[TABLE_ONE]))
    assert statistics[:3] == ["Time in sleep (h)", "Sleep efficiency (%)", "Sleep latency (min)"]
    assert statistics[3:] in ([], ["Sleep latency (research rule, min)"])  # where the two latencies differ
    info = body_rows(tables(html)[PROVENANCE])
    assert info["alignment"] == ["clock"]
    assert info["metrics compared"] == ["time_in_sleep, sleep_efficiency, sleep_latency"]
    assert info["a session that cannot be had"] == ["is left out and listed (--allow-missing)"]
    assert info["flagged nights"] == ["excluded from the group comparison (--exclude-flagged)"]
    assert info["sessions"] == ["6 of the 8 sessions requested were read from the archive"]
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 3


# -- failures that need a kernel -------------------------------------------------------------------
def test_missing_session_stops_the_report_in_two_lines(
    jupyter_home: Path, options: tuple[Run, float, str], study: Path, capsys
) -> None:
    with offline(study):
        status = cli.main(["report", "--out", "stop.html", "--manifest", "options.csv", "--archive",
                           "archive",
                           "--timezone", "Asia/Seoul"])  # fmt: skip
    err = capsys.readouterr().err.splitlines()
    assert status == 1 and not (study / "stop.html").exists()
    assert err == [
        "asleep-nb report: running the report notebook ...",
        "asleep-nb report: session 20250101000000_nosuc of user "
        f"{pd.read_csv(study / 'small.csv')['user_id'].iloc[0]} (manifest options.csv, line 8): "
        "SessionNotFound: session 20250101000000_nosuc is not in the archive",
        "2 of 8 sessions could not be had; --allow-missing leaves them out and lists them in the report",
    ]


def test_template_and_base_url(
    jupyter_home: Path, asleep_standin, study: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("ASLEEP_API_KEY", asleep_standin.api_key)
    template = tmp_path / "mine.ipynb"
    nbformat.write(
        notebook(
            "manifest = timezone = base_url = None",
            "from asleep_nb.report import ReportParameters, load_report_data\n"
            "params = ReportParameters(manifest=manifest, timezone=timezone, base_url=base_url)\n"
            "data = load_report_data(params)\n"
            "print(data.source, len(data.results), title)",
        ),
        template,
    )
    out = tmp_path / "mine.html"
    status = cli.main(["report", "--template", str(template), "--base-url", asleep_standin.url,
                       "--manifest", str(study / "small.csv"), "--title", "Mine",
                       "--out", str(out)])  # fmt: skip
    assert status == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    host = asleep_standin.url.split("//", 1)[1]
    assert f"the Asleep API at {host} 6 Mine" in html and "<title>Mine</title>" in html
    assert asleep_standin.api_key not in html and asleep_standin.api_key not in capsys.readouterr().err


def test_an_asleep_error_in_a_template_is_one_line(jupyter_home: Path, tmp_path: Path, capsys) -> None:
    template = tmp_path / "raises.ipynb"
    nbformat.write(
        notebook("x = 1", "from asleep_nb.errors import ManifestError\nraise ManifestError('row 3: no')"),
        template,
    )
    status = cli.main(["report", "--template", str(template), "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.splitlines()
    assert status == 2
    assert err == [
        "asleep-nb report: running the report notebook ...",
        "asleep-nb report: ManifestError: row 3: no",
    ]


def test_a_bug_keeps_its_traceback_without_colours(jupyter_home: Path, tmp_path: Path) -> None:
    template = tmp_path / "bug.ipynb"
    nbformat.write(notebook("x = 1", "1 / 0"), template)
    with pytest.raises(CellExecutionError) as info:
        build_report(tmp_path / "r.html", template=template)
    assert "ZeroDivisionError" in str(info.value) and "\x1b[" not in str(info.value)
    assert not (tmp_path / "r.html").exists()


# -- the rendered page -----------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_new_sections_render_in_chromium(
    options: tuple[Run, float, str], study: Path, tmp_path: Path
) -> None:
    page = study / "options.html"
    shot = tmp_path / "options.png"
    common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    subprocess.run([shutil.which("chromium"), *common, "--window-size=1200,4000", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)  # fmt: skip
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    dom = subprocess.run([shutil.which("chromium"), *common, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout  # fmt: skip
    for text in ("Data quality", "No signal per group", "Sessions left out of the analysis (3)",
                 "Sleep latency under two rules", "Manifest rows (8), by file line", TABLE_ONE,
                 "apnea - healthy", "Time in sleep (h)", "Table 1 as LaTeX", "Appendix: codebook",
                 "asleep_nb codebook"):  # fmt: skip
        assert text in dom


# -- the pieces ------------------------------------------------------------------------------------
def test_template_has_a_parameters_cell_naming_every_option() -> None:
    nb = nbformat.read(TEMPLATE, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assigned = set(re.findall(r"^(\w+) = ", tagged[0].source, flags=re.MULTILINE))
    assert assigned == set(ReportParameters().values())
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_parameters_are_injected_after_the_tagged_cell() -> None:
    nb = nbformat.read(TEMPLATE, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    inject_parameters(nb, {"manifest": "/x.csv", "timezone": None})
    assert nb.cells[at + 1].source == "manifest = '/x.csv'\ntimezone = None"
    untagged = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="parameters"):
        inject_parameters(untagged, {"x": 2})


def test_table_one_header_puts_each_group_and_difference_over_its_columns() -> None:
    # stats.table_one's columns with three groups: each difference's p prefixed with its name
    names = ["a: mean (SD)", "a: users (nights)", "b: mean (SD)", "c: mean (SD)",
             "b - a", "b - a: p", "b - a: p (FDR)", "c - a", "c - a: p", "c - a: p (FDR)"]  # fmt: skip
    flat = pd.DataFrame([["1.0 (0.1)", "2 (2)", "1.1 (0.2)", "0.9 (0.1)", "+0.1 pp [95% CI 0.0, 0.2]",
                          "<0.001", "0.5", "-0.1 pp [95% CI -0.2, 0.0]", "0.9", "0.9"]],
                        index=["Sleep efficiency (%)"], columns=names)  # fmt: skip
    assert table_one_header(flat, ["a", "b", "c"]).columns.tolist() == [
        ("a", "mean (SD)"), ("a", "users (nights)"), ("b", "mean (SD)"), ("c", "mean (SD)"),
        ("b - a", "estimate"), ("b - a", "p"), ("b - a", "p (FDR)"),
        ("c - a", "estimate"), ("c - a", "p"), ("c - a", "p (FDR)"),
    ]  # fmt: skip
    latex = table_one_latex(table_one_header(flat, ["a", "b", "c"]))
    assert "Sleep efficiency (\\%)" in latex and "\\multicolumn{3}{c}{b - a}" in latex
    assert "[95\\% CI 0.0, 0.2]" in latex and "\\textless{}0.001" in latex


def test_compared_metrics_and_rules_note() -> None:
    both = ("sleep_latency", "research_sleep_latency")
    assert compared_metrics(["sleep_latency"], latencies_differ=True) == both
    assert compared_metrics(["sleep_latency"], latencies_differ=False) == ("sleep_latency",)
    assert compared_metrics(["rem_ratio"], latencies_differ=True) == ("rem_ratio",)
    stat_only = rules_note(["rem_ratio"])
    assert stat_only.startswith("Every panel and row is a field of the API&#x27;s stat object")
    assert rules_note(both).startswith(
        "Sleep latency (research rule) is computed from the stage arrays by the"
    )
    onset = alignment_words(xr.Dataset(attrs={"alignment": "onset"}))
    assert onset.startswith("at sleep onset by the research rule")


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
    info = provenance_table({"manifest": "m.csv", "timezone": "UTC"}, "f" * 64)
    assert info["manifest"] == "m.csv" and info["timezone"] == "UTC"
    assert info["data fingerprint (SHA-256)"] == "f" * 64
    assert info["numpy"] == np.__version__
    assert {"python", "pandas", "xarray", "matplotlib", "asleep-nb"} <= set(info)
    assert os.environ.get("ASLEEP_API_KEY") is None or os.environ["ASLEEP_API_KEY"] not in str(info)


# -- read as a sleep researcher would (issue 23) ---------------------------------------------------
def test_demo_report_reads_without_stopping(demo: Run) -> None:
    text = " ".join(BeautifulSoup(demo.html, "html.parser").get_text(" ").split())
    for phrase in ("had of", "parameter sessions", "named by manifest", "do not edit by hand",
                   "Probability (scaled", "0 under the vendor rule only"):  # fmt: skip
        assert phrase not in text, phrase
    assert text.count("Provenance") == 1
    assert "80 of the 80 sessions requested were fetched" in text
    # a peculiarity every night carries is said once, not counted in a table of full rows
    assert "Every session carries NO_BREATHING_STABILITY (the API sets it on every v3 session)" in text
    cells = [cell for rows in tables(demo.html).values() for row in rows for cell in row]
    assert all("NO_BREATHING_STABILITY" not in cell for cell in cells)
    # the latency table's last column is explained in the sentence above it
    assert "of which latency 0 by the vendor rule (no signal before sleep) counts the nights" in text
    # the SRI is described as what it is
    assert "200 x that probability - 100, from -100 to 100" in text


def test_demo_report_tables_have_one_header_row_in_plain_words(demo: Run) -> None:
    soup = BeautifulSoup(demo.html, "html.parser")
    for table in soup.find_all("table"):
        if table.find_parent("section") is not None or "report-grouped" in table.get("class", []):
            continue  # the codebook's own tables, and Table 1 (a group over its columns)
        head = table.find("thead")
        assert head is not None and len(head.find_all("tr")) == 1, table.find_previous("b")
        words = [th.get_text(strip=True) for th in head.find_all("th")]
        assert not {"user_id", "session_id", "group_id", "date_gte", "timezone"} & set(words), words
    flagged = tables(demo.html)["Flagged nights (1)"][0]
    assert flagged[:3] == ["session", "user", "group"]


def test_every_figure_has_alt_text(demo: Run, options: tuple[Run, float, str]) -> None:
    for html in (demo.html, options[0].html):
        images = BeautifulSoup(html, "html.parser").find_all("img")
        assert len(images) == 3
        for image in images:
            alt = image.get("alt", "")
            assert len(alt) > 80 and "No description" not in alt, alt
    alts = [i["alt"] for i in BeautifulSoup(demo.html, "html.parser").find_all("img")]
    assert (
        "apnea, 55 users" in alts[0] and "healthy, 25 users" in alts[0] and alts[1].startswith("Hypnodensity")
    )


def test_no_path_of_this_machine_and_no_raw_stderr(demo: Run, options: tuple[Run, float, str]) -> None:
    here = [str(Path.cwd()), str(Path.home()), sys.prefix, os.path.dirname(np.__file__), "/tmp/", "/root"]
    for html in (demo.html, options[0].html):
        for path in here:
            assert path not in html, path
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html
        assert not re.search(r"\.py:\d+: \w+Warning", html)


def test_a_warning_in_the_report_loses_its_paths(jupyter_home: Path, tmp_path: Path) -> None:
    """Built in two folders, a template that warns about a file gives the same bytes, naming no folder."""
    template = notebook(
        "manifest = None",
        "import warnings, pathlib\nwarnings.warn(f'cannot read {pathlib.Path.cwd() / \"x.csv\"}')",
    )
    built = []
    for name in ("one", "two/deeper"):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        nbformat.write(template, folder / "warns.ipynb")
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(folder)
            built.append(build_report("r.html", template="warns.ipynb").read_bytes())
    assert built[0] == built[1]
    html = built[0].decode()
    assert "UserWarning: cannot read x.csv" in html and str(tmp_path) not in html


def test_difference_labels_are_at_least_tick_size_and_each_panel_has_a_title(demo_data) -> None:
    """The report's comparison figure as the template draws it: a difference label never below the ticks."""
    from asleep_nb.definitions.display import label

    cohort = demo_data.cohort
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.75), layout="constrained")
    for ax, name in zip(axes, ("time_in_sleep", "rem_ratio"), strict=True):
        ap.metric(comparison_table(cohort, (name,)), name, ax=ax, n_boot=200, seed=SEED, title=label(name))
    fig.canvas.draw()
    for ax, name in zip(axes, ("time_in_sleep", "rem_ratio"), strict=True):
        (difference,) = [t for t in ax.texts if t.get_gid() == "difference"]
        ticks = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        assert difference.get_fontsize() >= max(ticks)
        assert ax.get_title(loc="left") == label(name)
        # the title sits above the difference line, which sits above the legend
        title_box = ax.title.get_window_extent()
        assert title_box.y0 >= difference.get_window_extent().y1 - 1
    plt.close(fig)
