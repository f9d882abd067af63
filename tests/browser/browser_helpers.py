"""Helpers for the browser journeys (issue 8): start the app, wait for Streamlit, find widgets by visible text.

Everything here drives the app the way a person does: sidebar links, labelled widgets, the grid's own
"Download as CSV" button to read a table, real file inputs and real downloads.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("PERFBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1366, "height": 768}
TIMEOUT_MS = 60_000
SETTLE_MS = 300          # the one fixed pause: lets a rerun that was just triggered flip the script state

IDLE_JS = """() => !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
                 && document.querySelectorAll('[data-testid="stStatusWidget"]').length === 0"""


# --------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def run_app(db_path: Path, log_path: Path, attempts: int = 3):
    """Start `streamlit run app.py` on a free port with PERFBOARD_DB=db_path; yield its base URL; stop it.

    The server is stopped by its own process id (terminate, then kill) whatever happens in the body.
    """
    env = dict(os.environ, PERFBOARD_DB=str(db_path))
    last_error = ""
    for _ in range(attempts):
        port = free_port()
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py",
                 "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false",
                 # Other people edit the working tree while tests run: no "source file changed" prompts.
                 "--server.fileWatcherType", "none"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            if _wait_healthy(proc, port):
                yield f"http://127.0.0.1:{port}"
                return
            last_error = _tail(log_path)
        finally:
            stop(proc)
    raise RuntimeError(f"streamlit did not start after {attempts} attempts; log {log_path}:\n{last_error}")


def _wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:          # exited: e.g. the port was taken meanwhile
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:]
    except OSError:
        return ""


# --------------------------------------------------------------------------- waiting and checking

def wait_idle(page, timeout: int = TIMEOUT_MS) -> None:
    """Wait until Streamlit has finished the current run: app marked notRunning and no status widget."""
    page.wait_for_function(IDLE_JS, timeout=timeout)
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_function(IDLE_JS, timeout=timeout)


def open_app(page, base_url: str, path: str = "") -> None:
    page.goto(f"{base_url}/{path}", timeout=TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stApp"]', timeout=TIMEOUT_MS)
    wait_idle(page)


def assert_no_exception(page) -> None:
    """No Python exception element and no traceback text anywhere on the page."""
    exc = page.get_by_test_id("stException")
    assert exc.count() == 0, "page shows an exception:\n" + "\n".join(exc.all_inner_texts())
    body = page.inner_text("body")
    assert "Traceback" not in body, "page shows a traceback:\n" + body[-3000:]


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


# --------------------------------------------------------------------------- navigation and widgets

def sidebar(page):
    return page.get_by_test_id("stSidebar")


def nav_link(page, title: str):
    return page.get_by_test_id("stSidebarNav").locator("a").filter(
        has=page.get_by_text(title, exact=True))


def goto_page(page, title: str) -> None:
    """Open a page through its sidebar navigation link (by its visible title)."""
    link = nav_link(page, title)
    assert link.count() == 1, f"no sidebar link {title!r}; links: " + " | ".join(
        t.replace("\n", " ") for t in page.get_by_test_id("stSidebarNav").locator("a").all_inner_texts())
    link.click()
    wait_idle(page)
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for(timeout=TIMEOUT_MS)
    assert_no_exception(page)


def metrics(page) -> dict[str, str]:
    """{label: value} of every st.metric on the page, as displayed."""
    out = {}
    for m in page.get_by_test_id("stMetric").all():
        label = m.get_by_test_id("stMetricLabel").inner_text().strip()
        out[label] = m.get_by_test_id("stMetricValue").inner_text().strip()
    return out


def figure(found: dict[str, str], label: str) -> str:
    """The value of the metric whose label starts with `label` ("全年预算数" matches "全年预算数（万元）"),
    without its unit words: "636.98 万元" and "636.98" both give "636.98", "12 个" gives "12"."""
    hits = [v for k, v in found.items() if k.startswith(label)]
    assert len(hits) == 1, f"metric {label!r}: {found}"
    return hits[0].replace("万元", "").replace("个", "").strip()


def multiselect(page, label: str, scope=None):
    scope = scope or sidebar(page)
    return scope.get_by_test_id("stMultiSelect").filter(has=page.get_by_text(label, exact=True))


def multiselect_options(page, label: str, scope=None) -> list[str]:
    """The options a multiselect offers (opens its list, reads it, closes it)."""
    box = multiselect(page, label, scope)
    box.locator("input").click()
    opts = page.get_by_role("option")
    opts.first.wait_for(timeout=TIMEOUT_MS)
    texts = [t.strip() for t in opts.all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def choose(page, label: str, option: str, scope=None) -> None:
    """Pick one option in a labelled multiselect (sidebar by default) and wait for the rerun."""
    box = multiselect(page, label, scope)
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_idle(page)


def type_into(page, label: str, text: str, scope=None) -> None:
    """Fill a labelled text input and commit it with Enter."""
    scope = scope or page
    box = scope.get_by_test_id("stTextInput").filter(has=page.get_by_text(label, exact=True)).locator("input")
    box.fill(text)
    box.press("Enter")
    wait_idle(page)


def read_grid(page, grid, save_to: Path) -> list[dict[str, str]]:
    """Rows of a st.dataframe / st.data_editor as the grid itself exports them (toolbar "Download as CSV").

    The grid is a canvas, so its cells are not in the DOM; its own CSV export is what a person would use.
    (The page fixture removes window.showSaveFilePicker so the export arrives as a normal download.)
    """
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    grid.hover()
    button = grid.get_by_role("button", name="Download as CSV")
    button.hover()
    with page.expect_download(timeout=TIMEOUT_MS) as d:
        button.click()
    d.value.save_as(save_to)
    text = save_to.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def screenshot(page, path: Path) -> None:
    """The whole main area, not just the viewport: Streamlit scrolls inside the page, so grow the viewport."""
    height = page.evaluate("""() => Math.max(...[document.querySelector('[data-testid="stMain"]'),
                                                  document.querySelector('[data-testid="stMainBlockContainer"]')]
                                                 .filter(Boolean).map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(int(height), 6000))})
    page.wait_for_timeout(200)
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)


def slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "test"
