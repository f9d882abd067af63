"""A synthetic multi-department, multi-year database (bench/generate.py through the real importer), for
the tests of the SQL aggregates and the cached year-over-year matching (issue 9).

`synthetic_db_path` is built once per session (3 years x 260 projects, 7 departments, ~8,000
indicators) with a few edge cases added by hand: blank funding sources, zero budgets (无预算) and a
third of the projects without a code (matched by name across years). Tests copy it (`synthetic_store`, `synthetic_env`)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from perfboard.db import Store
from perfboard.importer import import_paths

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate, write_workbook  # noqa: E402

PER_YEAR, YEARS, DEPARTMENTS, SEED = 260, 3, 7, 11
LAST_YEAR = 2024


@pytest.fixture(scope="session")
def _synthetic_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    frames = generate(PER_YEAR, YEARS, DEPARTMENTS, SEED, first_year=LAST_YEAR)     # years ending at LAST_YEAR
    book = write_workbook(frames, folder / "synthetic.xlsx")
    path = folder / "synthetic.duckdb"
    s = Store(path)
    plan = import_paths(s, [book])
    assert plan.ok, plan.report.to_frame()
    with s.transaction() as cur:        # edge cases the generator does not make
        cur.execute("UPDATE projects SET funding_source = NULL WHERE id % 13 = 0")
        cur.execute("UPDATE projects SET budget = 0 WHERE id % 29 = 0")
        cur.execute("UPDATE projects SET spent = budget WHERE id % 31 = 0")
        # a third without a code (re-dated names then match by name, year to year), as in real files
        cur.execute("UPDATE projects SET project_code = NULL WHERE id % 3 = 0")
    s.set_setting("sample_offered", True)
    s.close()
    return path


@pytest.fixture
def synthetic_db_path(_synthetic_db, tmp_path) -> Path:
    path = tmp_path / "synthetic.duckdb"
    shutil.copy(_synthetic_db, path)
    return path


@pytest.fixture
def synthetic_store(synthetic_db_path):
    s = Store(synthetic_db_path)
    yield s
    s.close()


@pytest.fixture
def synthetic_env(monkeypatch, synthetic_db_path):
    """Point the app at a private copy of the synthetic database for AppTest."""
    monkeypatch.setenv("PERFBOARD_DB", str(synthetic_db_path))
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()
    return synthetic_db_path


def departments(store: Store) -> list[str]:
    return [r[0] for r in store.cursor().execute("SELECT DISTINCT department FROM projects ORDER BY 1").fetchall()]
