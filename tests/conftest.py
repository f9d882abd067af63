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
# `store` and `sample_store` fixtures PostgreSQL too (.ci/run runs a chosen set of test files that way).
PG_ADMIN = os.environ.get("PERFBOARD_TEST_PG")
ON_PG = os.environ.get("PERFBOARD_TEST_STORE") == "postgres"


def _pg_admin(sql: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(sql)


def _pg_url(name: str) -> str:
    from urllib.parse import urlparse, urlunparse
    return urlunparse(urlparse(PG_ADMIN)._replace(path="/" + name))


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


def pg_database(template: str | None = None):
    """A fresh PostgreSQL database (a copy of `template`); yields its URL, drops it afterwards."""
    if not PG_ADMIN:
        pytest.skip("PERFBOARD_TEST_PG is not set: no PostgreSQL to test against")
    name = f"perfboard_t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield _pg_url(name)
    finally:
        _pg_drop(name)


def _pg_drop(name: str) -> None:
    """Drop a test database; a background worker still in it (autovacuum) is waited for, briefly."""
    import time

    import psycopg
    for attempt in range(10):
        try:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except psycopg.errors.InsufficientPrivilege:
            time.sleep(0.5)
    import warnings
    warnings.warn(f"test database {name} left behind: something still uses it")


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
def sample_db_path(_sample_db, tmp_path) -> Path:
    """A private copy of a database holding the sample data."""
    path = tmp_path / "sample.duckdb"
    shutil.copy(_sample_db, path)
    return path


@pytest.fixture
def sample_store(request, sample_db_path):
    s = Store(request.getfixturevalue("pg_sample_url") if ON_PG else sample_db_path)
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
