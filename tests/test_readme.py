"""The README's promises: its two opening commands and its code examples stay true."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _first_bash_block() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block, "the README must open with a bash block"
    return [ln for ln in block.group(1).splitlines() if ln and not ln.startswith("#")]


def test_readme_opens_with_the_two_commands():
    commands = _first_bash_block()
    assert len(commands) == 2
    demo, tests = commands
    assert "pip install -q -e ." in demo and "asleep-nb report" in demo, "command 1 is quiet like command 2"
    assert "pip install" in tests and tests.endswith("pytest")
    assert README.index("```bash") < README.index("## "), "the commands come before any section"


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = _first_bash_block()
    assert tests in ci.splitlines()


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def test_every_python_block_runs_in_order_against_the_demo(asleep_standin, monkeypatch, tmp_path):
    """The README's ```python blocks, in order, in one namespace, as a newcomer would paste them.

    Blocks that need a real key get it the documented way (ASLEEP_API_KEY and ASLEEP_BASE_URL, here
    the stand-in's); relative paths (``data/demo/...``, the files the blocks write) resolve in a
    fresh folder that holds the repository's ``data``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("ASLEEP_API_KEY", asleep_standin.api_key)
    monkeypatch.setenv("ASLEEP_BASE_URL", asleep_standin.url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(ROOT / "data")
    blocks = _python_blocks()
    assert len(blocks) >= 8
    namespace: dict = {"__name__": "readme"}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for number, block in enumerate(blocks, 1):
            try:
                exec(compile(block, f"README.md python block {number}", "exec"), namespace)
            except Exception as exc:  # name the block, so a failure says which README lines broke
                raise AssertionError(f"README python block {number} fails:\n{block}") from exc
    # the only warnings a newcomer meets: the boundary (singular) fits the README says reach the user
    unexpected = [f"{w.category.__name__}: {w.message}" for w in seen if "singular fit" not in str(w.message)]
    assert not unexpected, unexpected
    plt.close("all")
    import asleep_nb

    assert namespace["result"].stat.time_in_sleep == 1080
    assert isinstance(namespace["client"], asleep_nb.Client)
    assert namespace["paris"].attrs["timezone"] == "Europe/Paris"
    assert sorted(set(namespace["cohort"]["group"].values)) == ["apnea", "healthy"]
    assert len(namespace["table"]) == namespace["cohort"].sizes["session"] == 80
    assert set(namespace["panel"]["period"].values) == {"baseline", "intervention"}
    assert (tmp_path / "stats.parquet").is_file() and (tmp_path / "epochs.csv").is_file()
    assert namespace["lazy"].sizes == namespace["cohort"].sizes


def test_the_readme_hypnogram_comment_names_what_it_returns():
    assert "ds.asleep.hypnogram()  # a matplotlib Axes" in README


def _readme_imports() -> set[str]:
    """Top-level modules the README's Python blocks import, and those its features need at run time."""
    names = set()
    for block in _python_blocks():
        names |= set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", block, re.M))
    # what the README's lines reach behind a call: zarr stores computed with dask (to_zarr, open_cohort,
    # xr.open_zarr), netCDF files (to_netcdf), Parquet (export_stats), Markdown tables (to_markdown)
    return names | {"zarr", "dask", "h5netcdf", "pyarrow", "tabulate"}


#: import name -> distribution name, where they differ
_DISTRIBUTION = {"asleep_nb": "asleep-nb", "yaml": "pyyaml"}


def _base_dependencies() -> set[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[\[<>=!~ ;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}


def test_a_base_install_covers_every_module_the_readme_uses():
    import importlib.util
    import sys

    base = _base_dependencies() | {"asleep-nb"}
    for name in sorted(_readme_imports()):
        if name in sys.stdlib_module_names:
            continue
        dist = _DISTRIBUTION.get(name, name.replace("_", "-"))
        assert dist in base, f"the README uses {name!r}, which `pip install -e .` does not install"
        assert importlib.util.find_spec(name) is not None, name


def test_the_base_dependencies_import(tmp_path):
    """Every base dependency imports with its module name (the map above stays true)."""
    import importlib

    for name in _readme_imports() - {"asleep_nb"}:
        if name not in __import__("sys").stdlib_module_names:
            importlib.import_module(name)
