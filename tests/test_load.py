"""Issue 10, load: 20 sessions browse while one imports and one saves edits (bench/bench_load.py, short).

Each session is an AppTest of app.py in its own thread, sharing this process's cached Store and
st.cache_data as sessions of one server do. Fails on any page exception or error, any 总览 whose six
figures are neither those of the data before the import nor after it (both rendered beforehand on
copies of the file), any one-transaction snapshot that is neither (or holds a save without its audit
row), any save missing afterwards or any indicator not holding the last value saved for it."""
from __future__ import annotations

import time

import pytest

from bench.bench_load import NEW_DEPARTMENT, scenario

READERS, SAVES = 20, 15


@pytest.mark.duckdb_only("counts the app's snapshot copies of the DuckDB file; team mode's load test is "
                         "bench/ (3 processes)")
def test_twenty_sessions_import_and_edits(sample_db_path, monkeypatch):
    monkeypatch.setenv("PERFBOARD_DB", str(sample_db_path))        # scenario() points it at the file too
    t0 = time.perf_counter()
    result, expect = scenario(sample_db_path, readers=READERS, saves=SAVES, rounds=1)
    assert result.errors == []
    assert result.saves_done == SAVES
    # the import landed while sessions were reading: both states were seen, by pages and by snapshots
    assert result.overview_seen["before"] >= READERS and result.overview_seen["after"] >= READERS
    assert result.snapshots_seen["before"] > 0 and result.snapshots_seen["after"] > 0
    # the two states differ by the imported department's 12 projects (the 2024 sample: 636.98 万元)
    assert expect["before_snapshot"][:3] == (12, 636.98, 635.517)
    assert expect["after_snapshot"][:3] == (24, 1273.96, 1271.034)
    assert dict((label, value) for label, value, _ in expect["after"])["项目数"] == "24 个"
    assert sum(len(v) for v in result.latencies.values()) >= READERS * 6
    assert time.perf_counter() - t0 < 120, "the load test should stay short"
    import streamlit as st
    st.cache_resource.clear()       # the scenario's Store holds the file; let the fixture's copy go
    assert NEW_DEPARTMENT
