"""Helpers for the overview / execution / deviations / settings tests: open a page on the sample, and
make a later year out of 2024 so the year-over-year deltas have something to show."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from perfboard.db import Store
from ui.state import K_YEAR

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
YEAR = 2024


@pytest.fixture
def frame(monkeypatch):
    """Run app.py (the frame: sidebar filters, sample label) around every page, as a browser does.

    AppTest (1.67) resets PagesManager.uses_pages_directory before each run, and since a pages/
    folder exists, a run after switch_page() takes the legacy multipage path and executes
    pages/x.py alone, without app.py: no sidebar, no frame. st.navigation turns that legacy
    path off in a real server; here we do it after each reset.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def open_page(page: str, year: int | None = YEAR, **state) -> AppTest:
    """Run the app with `state` preset (year and any session keys), then switch to `page`."""
    at = AppTest.from_file(APP, default_timeout=60)
    if year is not None:
        at.session_state[K_YEAR] = year
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page != "pages/overview.py":
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def add_copy_of_year(store: Store, source: int = YEAR, year: int = 2030, spent_factor: float = 0.9) -> None:
    """Copy the `source` year's projects and indicators to `year`, spending `spent_factor` as much."""
    # plain INSERT … SELECT with column lists: the same statement runs on DuckDB and on PostgreSQL
    def columns(table: str, replace: dict[str, str]) -> tuple[str, str]:
        names = [d[0] for d in store.cursor().execute(f"SELECT * FROM {table} LIMIT 0").description]
        return ", ".join(names), ", ".join(replace.get(n, n) for n in names)

    p_cols, p_vals = columns("projects", {"id": "id + 100000", "year": "?", "spent": "spent * ?",
                                          "reported_rate": "NULL"})
    i_cols, i_vals = columns("indicators", {"id": "id + 1000000", "project_id": "project_id + 100000"})
    with store.transaction() as cur:
        cur.execute(f"INSERT INTO projects ({p_cols}) SELECT {p_vals} FROM projects WHERE year = ?",
                    [year, spent_factor, source])
        cur.execute(f"INSERT INTO indicators ({i_cols}) SELECT {i_vals} FROM indicators"
                    " WHERE project_id IN (SELECT id FROM projects WHERE year = ?)", [source])


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.delta for m in at.metric}


@contextmanager
def opened(path):
    """A Store on `path`, closed afterwards (before the app under test opens the file)."""
    s = Store(path)
    try:
        yield s
    finally:
        s.close()
