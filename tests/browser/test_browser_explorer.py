"""The explorers in a real browser: Voilà serves the notebooks of tests/browser/, Chromium drives them.

``explorer.ipynb`` holds a SessionExplorer, ``cohort_explorer.ipynb`` a CohortExplorer on the whole
demo manifest (study, panel and the contract's edge cases); both are also opened in Voilà's dark
theme (``?theme=dark``, JupyterLab's own theme CSS). Needs Debian's ``chromium``
(``apt-get install -y chromium``), ``playwright`` and ``voila``. Screenshots go to a temporary
folder and, when ``ASLEEP_NB_SHOTS`` names a folder, there too.
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
NOTEBOOKS = ("explorer.ipynb", "cohort_explorer.ipynb")
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
    """Serve temporary copies of the notebooks with Voilà on 127.0.0.1; yield the URL that renders them."""
    root = tmp_path_factory.mktemp("voila")
    for name in NOTEBOOKS:
        shutil.copy(HERE / name, root / name)
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
                str(root),
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kernel goes down with it
        )
    try:
        _wait_for_port(port, proc, log, STARTUP_S)
        yield f"http://127.0.0.1:{port}/voila/render/"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def _is_error(message) -> bool:
    """A console error of the page, not a resource from outside 127.0.0.1 (this runner has no DNS)."""
    return message.type == "error" and "ERR_NAME_NOT_RESOLVED" not in message.text


def _open(browser, url: str, ready: str):
    """A new page on ``url``, once ``ready`` is shown; console errors are collected in ``page.errors``."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if _is_error(m) else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.set_default_timeout(STEP_MS)
    page.goto(url, timeout=STARTUP_S * 1000)
    page.locator(ready).first.wait_for(timeout=STARTUP_S * 1000)
    return page


@pytest.fixture(scope="module")
def page(browser, voila_url):
    page = _open(browser, voila_url + "explorer.ipynb", ".asleep-stat-table table")
    yield page
    page.close()


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
    image = page.locator("img.asleep-hypnogram.asleep-figure-light").screenshot()
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


def test_part_of_a_user_id_filters_the_list_and_keeps_the_night(page, shots):
    table = page.locator(".asleep-stat-table").inner_text()
    box = page.locator(".asleep-user input")
    box.fill("G-2025")
    box.press("Tab")  # leave the box
    page.wait_for_function("() => document.querySelector('.asleep-status').innerText.includes('pick one')")
    shots(page, "5-partial-user-id")
    assert "Invalid identifier" not in page.locator(".asleep-status").inner_text()
    assert page.locator(".asleep-stat-table").inner_text() == table
    options = page.locator(".asleep-user datalist option")
    values = [options.nth(i).get_attribute("value") for i in range(options.count())]
    assert values and all("G-2025" in v for v in values)


def _status(page) -> str:
    return page.locator(".asleep-status").inner_text()


def _wait_redrawn(page, before: str) -> str:
    """Wait until the status has changed from ``before`` and no longer says "Working"."""
    page.wait_for_function(
        "before => { const s = document.querySelector('.asleep-status');"
        " return s && s.innerText !== before && !s.innerText.startsWith('Working'); }",
        arg=before,
        timeout=STEP_MS * 3,
    )
    return _status(page)


def _figures_drawn(page, variant: str) -> None:
    for name in ("metric-figure", "hypnodensity"):
        image = page.locator(f"img.asleep-{name}.asleep-figure-{variant}")
        assert image.is_visible(), (name, variant)
        assert image.evaluate("img => img.naturalWidth > 100 && img.complete"), (name, variant)


@pytest.fixture(scope="module")
def cohort_page(browser, voila_url):
    page = _open(browser, voila_url + "cohort_explorer.ipynb", ".asleep-numbers-table table")
    page.wait_for_function("() => !document.querySelector('.asleep-status').innerText.startsWith('Working')")
    yield page
    page.close()


def test_cohort_explorer_every_option_of_every_control(cohort_page, shots):
    page = cohort_page
    shots(page, "cohort-0-initial")
    assert not page.locator(".asleep-error").count(), _status(page)
    _figures_drawn(page, "light")
    visited = []
    for control in ("by", "align", "metric"):
        select = page.locator(f".asleep-{control} select")
        values = [o.get_attribute("value") for o in select.locator("option").all()]
        start = select.input_value()
        for value in [v for v in values if v != start] + [start]:
            before = _status(page)
            select.select_option(value)
            after = _wait_redrawn(page, before)
            visited.append((control, value))
            assert not page.locator(".asleep-error").count(), (control, value, after)
            _figures_drawn(page, "light")
            if control == "by" and value.startswith("user_id"):  # the option's label says "one group"
                shots(page, "cohort-1-user-id-summarised")
                assert "shown as one group" in after
            if control == "by" and value.startswith("two_stage"):
                assert "Unexpected" not in after
    assert len(visited) > 30 and any(v.startswith("two_stage") for _, v in visited)
    assert "Traceback" not in page.content()
    assert not page.errors, page.errors


def test_later_clicks_do_not_queue_behind_stale_work(cohort_page):
    page = cohort_page
    by, metric = page.locator(".asleep-by select"), page.locator(".asleep-metric select")
    by.select_option("timezone")
    page.wait_for_function("() => document.querySelector('.asleep-status').innerText.startsWith('Working')")
    metric.select_option("sleep_efficiency")
    by.select_option("group")
    page.wait_for_function(
        "() => document.querySelector('.asleep-status').innerText.startsWith('sleep efficiency by group')",
        timeout=STEP_MS * 3,
    )
    assert not page.locator(".asleep-error").count()


@pytest.mark.parametrize(
    "notebook, ready, figures",
    [
        ("explorer.ipynb", ".asleep-stat-table table", ("hypnogram",)),
        ("cohort_explorer.ipynb", ".asleep-numbers-table table", ("metric-figure", "hypnodensity")),
    ],
)
def test_dark_theme_shows_dark_figures_and_theme_status_colours(
    browser, voila_url, shots, notebook, ready, figures
):
    light = _open(browser, voila_url + notebook, ready)
    dark = _open(browser, voila_url + notebook + "?theme=dark", ready)
    try:
        for page in (light, dark):
            page.wait_for_function(
                "() => !document.querySelector('.asleep-status').innerText.startsWith('Working')"
            )
        assert dark.locator('body[data-jp-theme-light="false"]').count() == 1
        colours = []
        for page, variant, other in ((light, "light", "dark"), (dark, "dark", "light")):
            shots(page, f"theme-{variant}-{notebook.split('.')[0]}")
            for name in figures:
                assert page.locator(f"img.asleep-{name}.asleep-figure-{variant}").is_visible()
                assert not page.locator(f"img.asleep-{name}.asleep-figure-{other}").is_visible()
            colours.append(page.locator(".asleep-status").evaluate("e => getComputedStyle(e).color"))
            background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert not page.locator(".asleep-error").count()
        assert colours[0] != colours[1]  # the status colour is the theme's, not a fixed hex
        assert background != "rgb(255, 255, 255)"  # the dark page really is dark
    finally:
        light.close()
        dark.close()
