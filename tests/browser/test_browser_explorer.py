"""The SessionExplorer in a real browser: Voilà serves tests/browser/explorer.ipynb, Chromium drives it.

Needs Debian's ``chromium`` (``apt-get install -y chromium``), ``playwright`` and ``voila``.
Screenshots go to a temporary folder and, when ``ASLEEP_NB_SHOTS`` names a folder, there too.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NOTEBOOK = HERE / "explorer.ipynb"
CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_S = 120  # Voilà start + kernel start + imports + stand-in start, on a slow 2-core runner
STEP_MS = 60_000

if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("voila", reason="voila is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"voila did not open port {port} within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    """Serve a temporary copy of the notebook with Voilà on 127.0.0.1; yield its URL."""
    root = tmp_path_factory.mktemp("voila")
    notebook = root / NOTEBOOK.name
    shutil.copy(NOTEBOOK, notebook)
    env = {k: v for k, v in os.environ.items() if k != "ASLEEP_API_KEY"}  # the demo, never a real key
    env.update(
        HOME=str(root / "home"),
        JUPYTER_CONFIG_DIR=str(root / "jupyter" / "config"),
        JUPYTER_DATA_DIR=str(root / "jupyter" / "data"),
        JUPYTER_RUNTIME_DIR=str(root / "jupyter" / "runtime"),
        IPYTHONDIR=str(root / "ipython"),
        MPLCONFIGDIR=str(root / "mpl"),
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
    )
    port = _free_port()
    log = root / "voila.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voila",
                "--no-browser",
                f"--port={port}",
                "--Voila.ip=127.0.0.1",
                "--ServerApp.token=",
                str(notebook),
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kernel goes down with it
        )
    try:
        _wait_for_port(port, proc, log, STARTUP_S)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture(scope="module")
def page(voila_url):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_MS)
            page.goto(voila_url, timeout=STARTUP_S * 1000)
            page.locator(".asleep-stat-table table").wait_for(timeout=STARTUP_S * 1000)
            yield page
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folders = [tmp_path_factory.mktemp("shots")]
    if os.environ.get("ASLEEP_NB_SHOTS"):
        folders.append(Path(os.environ["ASLEEP_NB_SHOTS"]))
        folders[-1].mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> None:
        png = page.screenshot(full_page=True)
        for folder in folders:
            (folder / f"{name}.png").write_bytes(png)

    return save


def _state(page) -> tuple[str, bytes]:
    """The stat table's text and the hypnogram's pixels."""
    table = page.locator(".asleep-stat-table").inner_text()
    image = page.locator("img.asleep-hypnogram").screenshot()
    return table, image


def _wait_table_change(page, before: str) -> str:
    page.wait_for_function(
        "before => { const t = document.querySelector('.asleep-stat-table');"
        " const s = document.querySelector('.asleep-status');"
        " return t && t.innerText !== before && s && !s.innerText.endsWith('…'); }",
        arg=before,
    )
    return page.locator(".asleep-stat-table").inner_text()


def _submit(page, selector: str, text: str) -> None:
    box = page.locator(f"{selector} input")
    box.fill(text)
    box.press("Enter")


def test_explorer_follows_user_session_and_zone(page, shots):
    shots(page, "0-initial")
    assert page.locator(".asleep-status").first.is_visible()
    assert not page.locator(".asleep-error").count(), page.locator(".asleep-status").inner_text()
    options = page.locator(".asleep-user datalist option")
    users = [options.nth(i).get_attribute("value") for i in range(options.count())]
    first = page.locator(".asleep-user input").input_value()
    assert first == users[0] and len(users) > 1

    table0, image0 = _state(page)

    # another user: one of the demo's panel users, who has many nights (in another zone)
    manifest = pd.read_csv(REPO / "data" / "demo" / "manifest.csv", dtype=str)
    panel = [u for u in manifest.loc[manifest["group"] == "panel", "user_id"] if u in users and u != first]
    _submit(page, ".asleep-user", panel[0])
    table1 = _wait_table_change(page, table0)
    _, image1 = _state(page)
    shots(page, "1-other-user")
    assert image1 != image0

    # another session of that user
    select = page.locator(".asleep-session select")
    assert select.locator("option").count() > 1
    select.select_option(index=1)
    table2 = _wait_table_change(page, table1)
    _, image2 = _state(page)
    shots(page, "2-other-session")
    assert image2 != image1

    # another time zone: clock times in the table and on the axis move
    zone = page.locator(".asleep-timezone input").input_value()
    new_zone = "Pacific/Auckland" if zone != "Pacific/Auckland" else "America/Los_Angeles"
    _submit(page, ".asleep-timezone", new_zone)
    table3 = _wait_table_change(page, table2)
    _, image3 = _state(page)
    shots(page, "3-other-zone")
    assert new_zone in table3
    assert image3 != image2

    # a mistyped zone: a visible message, the zone and the night stay
    _submit(page, ".asleep-timezone", "Mars/Olympus")
    page.locator(".asleep-error").wait_for()
    shots(page, "4-invalid-zone")
    assert "Mars/Olympus" in page.locator(".asleep-status").inner_text()
    assert page.locator(".asleep-timezone input").input_value() == new_zone
    assert page.locator(".asleep-stat-table").inner_text() == table3
    assert "Traceback" not in page.content()
