"""Fixtures for the browser journeys (issue 8): one app server per session, one browser context per test.

Needs the playwright Python package and Debian's Chromium (/usr/bin/chromium, or $PERFBOARD_CHROMIUM);
without them the tests skip, except in CI (CI=true) where a missing browser fails them.
"""
from __future__ import annotations

import os

import pytest

from pg_helpers import ON_PG, pg_database
from browser_helpers import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, RUN_COUNTER_JS, VIEWPORT, open_app, run_app,
                             screenshot, slug)

# Streamlit's grid export prefers the File System Access API (a native "save as" dialog, which a headless
# browser cannot answer); without it the export is an ordinary download that Playwright can catch.
NO_SAVE_PICKER = "try { delete window.showSaveFilePicker; } catch (e) {} window.showSaveFilePicker = undefined;"


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium fonts-wqy-microhei)"
    return None


@pytest.fixture(scope="session")
def _browser_ready():
    reason = _missing_browser()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests must run in CI, but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def app_url(_browser_ready, tmp_path_factory):
    """Base URL of one `streamlit run app.py` on a fresh temporary database (the sample loads on first open)."""
    tmp = tmp_path_factory.mktemp("browser-app")
    if ON_PG:                           # team mode: the server on an empty PostgreSQL database
        databases = pg_database()
        target = next(databases)
    else:
        target = tmp / "perfboard.duckdb"
    try:
        with run_app(target, tmp / "streamlit.log") as url:
            yield url
    finally:
        if ON_PG:
            databases.close()           # drops the database


@pytest.fixture
def private_app_url(_browser_ready, tmp_path, request):
    """A server of its own on a fresh database, for a journey that changes data for good (an import)."""
    target = request.getfixturevalue("pg_url") if ON_PG else tmp_path / "perfboard.duckdb"
    with run_app(target, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser(_browser_ready):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="zh-CN")
    ctx.add_init_script(NO_SAVE_PICKER)
    ctx.add_init_script(RUN_COUNTER_JS)
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context, request):
    """A fresh tab; its final state is saved to test-artifacts/browser/<test>.png (pass or fail)."""
    pg = context.new_page()
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        screenshot(pg, ARTIFACTS / f"{slug(request.node.name)}.png")
    except Exception as exc:  # a screenshot must never hide the test's own result
        print(f"screenshot failed: {exc}")


@pytest.fixture
def shot(page, request):
    """shot("label"): save the page as it is now, next to the final screenshot (<test>-<label>.png)."""
    def save(label: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, ARTIFACTS / f"{slug(request.node.name)}-{slug(label)}.png")
    return save


@pytest.fixture
def app(page, app_url):
    """The shared app, opened on its first page and idle."""
    open_app(page, app_url)
    return page
