"""Shared fixtures: a fresh database per test, the sample loaded once into a template file."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from perfboard.db import Store
from perfboard.sample import load_sample

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the second store (issue 16)
# PERFBOARD_TEST_PG: a PostgreSQL URL whose role may create databases (.ci/run sets it). Tests taking
# `any_store` / `any_sample_store` run on both stores; PERFBOARD_TEST_STORE=postgres makes the plain
# `store`, `sample_store`, `sample_db_path`, `db_target` and `app_env` fixtures PostgreSQL too (.ci/run's
# second pass; the browser journeys' servers as well, see tests/browser/conftest.py).
from pg_helpers import ON_PG, PG_ADMIN, _pg_admin, _pg_drop, _pg_url, pg_database  # noqa: E402,F401

# The PostgreSQL pass (PERFBOARD_TEST_STORE=postgres) runs only the tests that open a store through one of
# these fixtures: a test that never asks for one never touches PostgreSQL and has run in the DuckDB pass
# already. Tests about the DuckDB file itself carry @pytest.mark.duckdb_only("why") and are skipped, with
# that reason, on PostgreSQL.
STORE_FIXTURES = {"store", "sample_store", "sample_db_path", "app_env", "any_store", "any_sample_store",
                  "pg_url", "pg_sample_url", "db_target", "app_url", "private_app_url"}


def pytest_configure(config):
    config.addinivalue_line("markers", "duckdb_only(reason): about the DuckDB file; skipped on PostgreSQL")


def pytest_collection_modifyitems(config, items):
    if not ON_PG:
        return
    keep, drop = [], []
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        duckdb_twin = params.get("any_store") == "duckdb" or params.get("any_sample_store") == "duckdb"
        (keep if names & STORE_FIXTURES and not duckdb_twin else drop).append(item)
        mark = item.get_closest_marker("duckdb_only")
        if mark:
            item.add_marker(pytest.mark.skip(reason="DuckDB file only: " + (mark.args[0] if mark.args else "")))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def _pg_sample_template(_sample_db):
    """A PostgreSQL database holding the sample (as _sample_db), the template of each test's copy."""
    if not PG_ADMIN:
        pytest.skip("PERFBOARD_TEST_PG is not set: no PostgreSQL to test against")
    name = f"perfboard_tmpl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f"CREATE DATABASE {name}")
    s = Store(_pg_url(name))
    assert load_sample(s).ok
    s.set_setting("sample_offered", True)
    s.close()
    yield name
    _pg_drop(name)


@pytest.fixture
def pg_url():
    yield from pg_database()


@pytest.fixture
def pg_sample_url(request):
    yield from pg_database(request.getfixturevalue("_pg_sample_template"))


@pytest.fixture(params=["duckdb", "postgres"])
def any_store(request, tmp_path):
    target = tmp_path / "t.duckdb" if request.param == "duckdb" else request.getfixturevalue("pg_url")
    s = Store(target)
    yield s
    s.close()


@pytest.fixture(params=["duckdb", "postgres"])
def any_sample_store(request):
    target = (request.getfixturevalue("sample_db_path") if request.param == "duckdb"
              else request.getfixturevalue("pg_sample_url"))
    s = Store(target)
    yield s
    s.close()


@pytest.fixture
def store(request, tmp_path):
    s = Store(request.getfixturevalue("pg_url") if ON_PG else tmp_path / "t.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def _sample_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    s = Store(path)
    plan = load_sample(s)
    assert plan.ok, plan.report.to_frame()
    s.set_setting("sample_offered", True)
    s.close()
    return path


@pytest.fixture
def db_target(request, tmp_path):
    """Where a test opens a fresh, empty store itself: a file under tmp_path, or (on PostgreSQL) a URL."""
    return request.getfixturevalue("pg_url") if ON_PG else tmp_path / "t.duckdb"


@pytest.fixture
def sample_db_path(request, _sample_db, tmp_path) -> Path:
    """A private copy of a database holding the sample data (on PostgreSQL: the URL of a private copy)."""
    if ON_PG:
        return request.getfixturevalue("pg_sample_url")
    path = tmp_path / "sample.duckdb"
    shutil.copy(_sample_db, path)
    return path


@pytest.fixture
def sample_store(sample_db_path):
    s = Store(sample_db_path)
    yield s
    s.close()


@pytest.fixture
def app_env(monkeypatch, sample_db_path):
    """Point the app at a private sample database for AppTest."""
    monkeypatch.setenv("PERFBOARD_DB", str(sample_db_path))
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()
    return sample_db_path
