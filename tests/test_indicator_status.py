"""indicators.status is stored (migration 005) so pages count in SQL; it must always equal status_of(row),
the one definition of an indicator's status, after every write path: import, edit, undo, backfill."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from perfboard import editing, importer
from perfboard.db import Store
from perfboard.indicators import STATUS_INPUTS, compute_status, refresh_status, status_of

ROWS = "SELECT id, project_id, status, " + ", ".join(STATUS_INPUTS) + " FROM indicators ORDER BY id"


def stored_vs_judged(store: Store) -> tuple[list, list]:
    df = store.sql_df(ROWS)
    return df["status"].tolist(), [status_of(r) for r in df.to_dict("records")]


def test_sample_statuses_are_stored_and_equal_status_of(sample_store):
    stored, judged = stored_vs_judged(sample_store)
    assert len(stored) == 62 + sample_store.scalar("SELECT count(*) FROM indicators i JOIN projects p "
                                                   "ON p.id = i.project_id WHERE p.year <> 2024")
    assert stored == judged
    # the reference report: every 2024 indicator 达成 except the four with no target (资金拨付 rows) and the six
    # goal targets whose actual the report does not give (issue 15)
    counts = dict(sample_store.cursor().execute(
        "SELECT status, count(*) FROM indicators i JOIN projects p ON p.id = i.project_id WHERE p.year = 2024 "
        "GROUP BY 1").fetchall())
    assert counts == {"met": 52, "no_target": 4, "missing": 6}


def test_compute_status_matches_status_of_on_synthetic_data():
    from bench.generate import generate
    from perfboard import flat
    frames = generate(projects_per_year=300, years=1, departments=5, seed=3)
    df = frames.indicators
    rows = [{**flat.indicator_values(text, actual), "judgement": judgement if isinstance(judgement, str) else None}
            for text, actual, judgement in zip(df["年度指标值"], df["实际完成值"], df["评价结论"])]
    frame = pd.DataFrame(rows, columns=STATUS_INPUTS)
    assert compute_status(frame).tolist() == [status_of(r) for r in frame.to_dict("records")]
    assert {"met", "unmet"} <= set(compute_status(frame)) and frame["judgement"].notna().any()


TEXTS = hst.sampled_from([None, "", "≥95%", "100%", "≤5万元", "=12个月", "<3天", "及时拨付", "效果明显", "77项",
                          "约100人", "大于等于90", "定性"])
UNITS = hst.sampled_from([None, "", "%", "％", "万元", "万", "人", "项", "个月", "次"])
NUMS = hst.one_of(hst.none(), hst.floats(allow_nan=True, allow_infinity=True, width=32),
                  hst.sampled_from([0.0, 95.0, 100.0, 5.0, 12.0, 1e-10, -3.0]))
ROW = hst.fixed_dictionaries({
    "direction": hst.sampled_from([None, "≥", ">", "≤", "<", "=", "定性", "", "大于"]),
    "target_value": NUMS, "target_unit": UNITS, "actual_value": NUMS, "actual_unit": UNITS,
    "target_text": TEXTS, "actual_text": TEXTS,
    "judgement": hst.sampled_from([None, "达成", "部分达成", "未达成", "不适用", " 达成 ", "良好", ""]),
})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hst.lists(ROW, min_size=1, max_size=40))
def test_compute_status_equals_status_of_for_any_rows(rows):
    frame = pd.DataFrame(rows, columns=STATUS_INPUTS)
    assert compute_status(frame).tolist() == [status_of(r) for r in frame.to_dict("records")]


def test_compute_status_keeps_the_index_and_handles_empty():
    frame = pd.DataFrame([{"direction": "≥", "target_value": 2.0, "target_unit": "次", "actual_value": 3.0,
                           "actual_unit": "次", "target_text": "≥2次", "actual_text": "3次", "judgement": None}],
                         index=[17])
    assert compute_status(frame).to_dict() == {17: "met"}
    assert compute_status(frame.iloc[:0]).tolist() == []


def test_edit_and_undo_keep_the_stored_status(sample_store):
    store = sample_store
    pid = store.scalar("SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
    st = editing.load_state(store, pid)
    rows = st.rows()
    row = next(r for r in rows if r["level3"] == "年度赴外招商")
    row["actual_text"], row["judgement"] = "1次", None    # target 2次 (read as ≥): now 未达成
    row["deviation_note"] = "疫情影响"
    rows.append({"id": None, "level1": "效益指标", "level2": "社会效益指标", "level3": "带动就业", "direction": None,
                 "target_text": "≥10人", "target_unit": "", "actual_text": "", "weight": None, "judgement": None,
                 "deviation_note": ""})
    res = editing.save(store, st, {}, rows, "张三")
    status = dict(store.cursor().execute("SELECT level3, status FROM indicators WHERE project_id = ?",
                                         [pid]).fetchall())
    assert status["年度赴外招商"] == "unmet" and status["带动就业"] == "missing"
    stored, judged = stored_vs_judged(store)
    assert stored == judged
    editing.undo(store, res.save_id, "张三")
    status = dict(store.cursor().execute("SELECT level3, status FROM indicators WHERE project_id = ?",
                                         [pid]).fetchall())
    assert status["年度赴外招商"] == "met" and "带动就业" not in status
    stored, judged = stored_vs_judged(store)
    assert stored == judged


@pytest.mark.duckdb_only("a DuckDB file from before migration 005; a PostgreSQL store starts at today's schema")
def test_a_database_from_before_005_gets_its_statuses_on_open(sample_db_path, tmp_path):
    import shutil
    path = tmp_path / "old.duckdb"
    shutil.copy(sample_db_path, path)
    with Store(path) as s, s.transaction(bump_version=False) as cur:
        cur.execute("UPDATE indicators SET status = NULL")
    with Store(path) as s:
        stored, judged = stored_vs_judged(s)
        assert None not in stored and stored == judged


def test_refresh_status_of_some_projects_only(sample_store):
    store = sample_store
    pid = store.scalar("SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
    with store.transaction() as cur:
        cur.execute("UPDATE indicators SET actual_text = NULL, actual_value = NULL, actual_unit = NULL, judgement = NULL,"
                    " status = 'x'")
        assert refresh_status(cur, [pid]) == 6
    rows = store.cursor().execute("SELECT project_id = ?, status FROM indicators", [pid]).fetchall()
    assert {s for mine, s in rows if mine} == {"missing"}
    assert {s for mine, s in rows if not mine} == {"x"}
