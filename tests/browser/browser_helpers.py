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
QUIET_MS = 250           # idle also means: the page has stopped changing for this long (see wait_idle)

# Installed in every page before the app loads: counts the app's runs (each time the app element's
# data-test-script-state becomes "running"), so opening the app or an action that must rerun it can wait
# for that run to have started, not just for an idle state that may still be the one before it.
RUN_COUNTER_JS = """
window.__stRuns = 0;
new MutationObserver(records => {
  for (const r of records) {
    if (r.attributeName === 'data-test-script-state' && r.oldValue !== 'running'
        && r.target.getAttribute('data-test-script-state') === 'running') window.__stRuns += 1;
  }
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
window.__stChanged = performance.now();
new MutationObserver(() => { window.__stChanged = performance.now(); })
  .observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
"""

IDLE_JS = """() => !!document.querySelector('[data-testid="stApp"][data-test-script-state="notRunning"]')
                 && document.querySelectorAll('[data-testid="stStatusWidget"]').length === 0"""
IDLE_QUIET_JS = f"""() => ({IDLE_JS})() && (performance.now() - (window.__stChanged || 0)) > {QUIET_MS}"""


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
    """Wait until Streamlit has finished the current run: app marked notRunning and no status widget.

    Streamlit draws a run's elements in batches and may mark the run finished before the last batch is
    on screen (measured: 0 of 6 metrics drawn at "notRunning" on a busy machine), so idle also requires
    the page to have stopped changing for QUIET_MS.
    """
    page.wait_for_function(IDLE_JS, timeout=timeout)
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_function(IDLE_QUIET_JS, timeout=timeout)


def runs(page) -> int:
    return page.evaluate("window.__stRuns || 0")


def rerun_after(page, action, until=None, timeout: int = TIMEOUT_MS):
    """Do `action()` (a click, a key press) that must rerun the app; wait for that rerun to start and end.

    Safer than a settle pause alone when the machine is busy: the rerun is observed, not assumed.
    `until`: a locator that the action's outcome shows. Give it when the app answers with st.rerun()
    (a flash message): the app looks idle for a moment between the click's run and the rerun.
    """
    before = runs(page)
    result = action()
    page.wait_for_function(f"(window.__stRuns || 0) > {before}", timeout=timeout)
    if until is not None:
        until.first.wait_for(state="visible", timeout=timeout)
    wait_idle(page, timeout)
    return result


def open_app(page, base_url: str, path: str = "") -> None:
    page.goto(f"{base_url}/{path}", timeout=TIMEOUT_MS)
    wait_first_run(page)


def wait_first_run(page) -> None:
    """After a (re)load: the first run has started and finished (before it, the empty app looks idle)."""
    page.wait_for_function("(window.__stRuns || 0) >= 1", timeout=TIMEOUT_MS)
    wait_idle(page)


def assert_no_exception(page) -> None:
    """No Python exception element and no traceback text anywhere on the page."""
    exc = page.get_by_test_id("stException")
    assert exc.count() == 0, "page shows an exception:\n" + "\n".join(exc.all_inner_texts())
    body = page.inner_text("body")
    assert "Traceback" not in body, "page shows a traceback:\n" + body[-3000:]


def main_text(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def wait_text(page, *snippets: str, timeout: int = TIMEOUT_MS) -> str:
    """Wait (like Playwright's expect) until the main area shows every snippet; return its text.
    On timeout, fail with the snippets missing and the text the page does show."""
    try:
        page.wait_for_function(
            """snippets => { const m = document.querySelector('[data-testid="stMain"]');
                             return !!m && snippets.every(s => m.innerText.includes(s)); }""",
            arg=list(snippets), timeout=timeout)
    except Exception:
        text = main_text(page)
        missing = [s for s in snippets if s not in text]
        raise AssertionError(f"page does not show {missing}; it shows:\n{text}") from None
    return main_text(page)


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
    rerun_after(page, link.click)
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for(timeout=TIMEOUT_MS)
    assert_no_exception(page)


def metrics(page, labels=()) -> dict[str, str]:
    """{label: value} of every st.metric on the page, as displayed; first waits (like Playwright's own
    assertions) until a metric starting with each of `labels` is on the page (or at least one metric)."""
    page.wait_for_function(
        """labels => {
             const shown = [...document.querySelectorAll('[data-testid="stMetricLabel"]')].map(e => e.innerText.trim());
             return shown.length > 0 && labels.every(l => shown.some(s => s.startsWith(l)));
           }""", arg=list(labels), timeout=TIMEOUT_MS)
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


def open_options(page, label: str, scope=None):
    """Open a labelled multiselect's list of options; return the options locator. The list sometimes
    closes again when a late render lands just after the click, so open it until it stays open."""
    box = multiselect(page, label, scope).locator("input")
    opts = page.get_by_role("option")
    for attempt in range(4):
        box.click()
        if attempt:
            box.press("ArrowDown")                  # the keyboard way to open a combobox's list
        try:
            opts.first.wait_for(timeout=3000)
            return opts
        except Exception:
            page.keyboard.press("Escape")
            wait_idle(page)
    opts.first.wait_for(timeout=TIMEOUT_MS)
    return opts


def multiselect_options(page, label: str, scope=None) -> list[str]:
    """The options a multiselect offers (opens its list, reads it, closes it)."""
    texts = [t.strip() for t in open_options(page, label, scope).all_inner_texts()]
    page.keyboard.press("Escape")
    return texts


def choose(page, label: str, option: str, scope=None) -> None:
    """Pick one option in a labelled multiselect (sidebar by default) and wait for the rerun."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    for _ in range(4):
        opts = open_options(page, label, scope)
        before = runs(page)
        try:      # a list can still close under the pointer (a late render): then open it again
            opts.get_by_text(option, exact=True).first.click(timeout=3000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
            continue
        page.wait_for_function(f"(window.__stRuns || 0) > {before}", timeout=TIMEOUT_MS)
        break
    page.keyboard.press("Escape")
    wait_idle(page)
    assert option in multiselect(page, label, scope).inner_text(), f"{option!r} was not chosen in {label!r}"


def type_into(page, label: str, text: str, scope=None) -> None:
    """Fill a labelled text input and commit it with Enter."""
    scope = scope or page
    box = scope.get_by_test_id("stTextInput").filter(has=page.get_by_text(label, exact=True)).locator("input")
    changed = box.input_value() != text
    box.fill(text)
    if changed:
        rerun_after(page, lambda: box.press("Enter"))
    else:
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


def grid_cell(grid, row: int, column: str):
    """The grid's accessibility-table cell (the canvas's DOM twin that Glide keeps for screen readers)
    for data row `row` (0-based) under the header `column`."""
    canvas = grid.get_by_test_id("data-grid-canvas")
    canvas.focus()                                   # the table is filled in once the grid has had focus
    header = canvas.locator("thead th").filter(has_text=column)
    header.first.wait_for(state="attached")
    index = next(h.get_attribute("aria-colindex") for h in header.all() if h.inner_text().strip() == column)
    return canvas.get_by_test_id(f"glide-cell-{index}-{row}")


def _open_cell_editor(page, grid, cell, expect_text: str, attempts: int = 6):
    """Select `cell` and open its editor with Enter; return the editor's box once it is over that cell.

    Glide moves its selection to the cell whose DOM twin gets focus, but only once it has a selection
    (a click on any cell gives it one) and not always before the next key press: hence the checks."""
    overlay = page.get_by_test_id("portal").locator(".gdg-clip-region")
    grid_box = grid.bounding_box()
    for attempt in range(attempts):
        if attempt % 2 == 0:                          # (again) give the grid a selection: click a cell of row 0
            x, y = grid_box["x"] + grid_box["width"] * 0.4, grid_box["y"] + 36 + 17
            page.mouse.move(x, y, steps=4)           # the grid ignores a click that arrives without a hover
            page.mouse.click(x, y)
        cell.focus()
        page.wait_for_timeout(50 * (attempt + 1))
        page.keyboard.press("Enter")
        try:
            overlay.wait_for(timeout=3000)
        except Exception:
            continue
        box = overlay.bounding_box()
        field = overlay.locator("input, textarea")
        inside = grid_box["x"] <= box["x"] and box["x"] + box["width"] <= grid_box["x"] + grid_box["width"] + 1
        right = inside and field.count() == 1 and field.input_value() == expect_text
        page.keyboard.press("Escape")
        overlay.wait_for(state="detached")
        if right:
            return box
    raise AssertionError(f"could not open the editor of the cell showing {expect_text!r}")


def edit_cell(page, grid, row: int, column: str, value: str) -> None:
    """Edit one cell of a st.data_editor as a person does: double-click it, type, Enter.

    The grid is a canvas: the cell is found through Glide's accessibility table (selected there, Enter
    shows its editor exactly over it), that editor is closed, and the cell is double-clicked at that
    spot. Independent of column widths, the row-marker column and page scrolling.
    """
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    cell = grid_cell(grid, row, column)
    old = cell.inner_text()
    box = _open_cell_editor(page, grid, cell, old)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y, steps=4)           # the grid ignores a click that arrives without a hover first
    page.mouse.dblclick(x, y)
    overlay = page.get_by_test_id("portal").locator(".gdg-clip-region")
    field = overlay.locator("input, textarea")
    field.wait_for()
    assert field.input_value() == old, f"double-click opened a cell showing {field.input_value()!r}, not {old!r}"
    field.fill(value)
    rerun_after(page, lambda: field.press("Enter"))     # a committed edit reruns the app
    overlay.wait_for(state="detached")


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
