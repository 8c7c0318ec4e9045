"""The README's promises: its two opening commands and its code examples stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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
    assert "pip install -e ." in demo and "asleep-nb report" in demo
    assert "pip install" in tests and tests.endswith("pytest")
    assert README.index("```bash") < README.index("## "), "the commands come before any section"


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, tests = _first_bash_block()
    assert tests in ci.splitlines()


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def test_fetch_example_runs_against_the_standin(asleep_standin, monkeypatch):
    block = next(b for b in _python_blocks() if "get_session" in b)
    monkeypatch.setenv("ASLEEP_API_KEY", asleep_standin.api_key)
    monkeypatch.setenv("ASLEEP_BASE_URL", asleep_standin.url)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["result"].stat.time_in_sleep == 1080


def test_night_and_cohort_example_runs(asleep_client, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import asleep_nb

    block = next(b for b in _python_blocks() if "load_cohort" in b)
    monkeypatch.chdir(ROOT)
    namespace = {"asleep_nb": asleep_nb, "client": asleep_client}
    exec(compile(block, "README.md", "exec"), namespace)
    plt.close("all")
    assert namespace["paris"].attrs["timezone"] == "Europe/Paris"
    assert len(namespace["table"]) == namespace["cohort"].sizes["session"]
