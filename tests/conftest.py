"""Shared fixtures: a fresh database per test, the sample loaded once into a template file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfboard.db import Store
from perfboard.sample import load_sample

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
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
