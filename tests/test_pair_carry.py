"""同比分析's stored matching kept across writes that cannot change it (migration 020, perfboard.db.Writes,
perfboard.year_pairs): an edit of an indicator or of a project's amounts leaves the projects version, so the
next 同比分析 reuses the stored matching (matching.prepare is not called) and still shows the new figures; a
rename, a code change, an import or the sample's removal moves it and the pair is matched again. On both
stores."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard import compare as cmp
from perfboard import editing, matching, year_pairs
from perfboard.auth import local_admin
from perfboard.db import Writes
from perfboard.filters import Filters

TH = matching.DEFAULT_THRESHOLD
F = Filters(year=2024)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cmp.clear_cache()
    yield
    cmp.clear_cache()


@pytest.fixture
def prepares(monkeypatch):
    """The calls of matching.prepare made from now on (a list growing by one per call)."""
    calls = []
    real = matching.prepare

    def counted(*a, **k):
        calls.append(1)
        return real(*a, **k)
    monkeypatch.setattr(matching, "prepare", counted)
    return calls


def computed(store, monkeypatch) -> cmp.Comparison:
    """compare() with nothing stored or cached: the figures as the data is now."""
    with monkeypatch.context() as m:
        m.setattr(year_pairs, "find", lambda *a, **k: None)
        m.setattr(year_pairs, "save_quietly", lambda *a, **k: False)
        m.setattr(cmp.pair_results, "find", lambda *a, **k: None)
        cmp.clear_cache()
        c = cmp.compare(store, F, 2023, 2024, scores=False)
    cmp.clear_cache()
    return c


def same(a: cmp.Comparison, b: cmp.Comparison) -> None:
    pd.testing.assert_frame_equal(a.items.reset_index(drop=True), b.items.reset_index(drop=True))
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    assert a.current == b.current and a.base == b.base and a.indicator_totals == b.indicator_totals
    assert cmp.headline(a) == cmp.headline(b)


def item_of(c: cmp.Comparison, target_id: int) -> pd.Series:
    rows = c.items[c.items["target_id"] == target_id]
    assert len(rows) == 1
    return rows.iloc[0]


def project_id(store, name: str, year: int = 2024) -> int:
    return int(store.scalar("SELECT id FROM projects WHERE name = ? AND year = ?", [name, year]))


def row_named(rows, name):
    (row,) = [r for r in rows if r["level3"] == name]
    return row


# ---------------------------------------------------------------- saves that change no project's identity
@pytest.mark.parametrize("fresh_process", [False, True])
def test_an_indicator_save_reuses_the_stored_matching_and_shows_the_new_value(any_sample_store, prepares,
                                                                              monkeypatch, fresh_process):
    s = any_sample_store
    before = cmp.compare(s, F, 2023, 2024, scores=False)          # matches the pair and stores it
    assert len(prepares) == 1
    v, p = s.data_version(), s.projects_version()
    assert year_pairs.find(s, p, 2023, 2024, TH) == p
    pid = project_id(s, "2024 年招商引资")
    old = item_of(before, pid)
    assert old["status"] == "continued" and old["met"] == 5 and old["indicators"] == 6

    st = editing.load_state(s, pid)
    rows = st.rows()
    row = row_named(rows, "年度赴外招商")
    assert (row["target_text"], row["actual_text"], row["judgement"]) == ("2次", "2次", "达成")
    row["actual_text"], row["judgement"] = "1次", None               # target ≥ 2次: met -> unmet
    assert editing.save(s, st, {}, rows).save_id is not None
    assert s.data_version() == v + 1 and s.projects_version() == p  # an indicator: not the matching's input
    assert year_pairs.find(s, p, 2023, 2024, TH) == p

    if fresh_process:            # nothing in this process's memory: the stored matching is loaded
        cmp.clear_cache()
    after = cmp.compare(s, F, 2023, 2024, scores=False)
    assert len(prepares) == 1                                       # not matched again
    new = item_of(after, pid)
    assert new["met"] == 4 and new["indicators"] == 6 and new["base_id"] == old["base_id"]
    assert after.indicator_totals["met"] == before.indicator_totals["met"] - 1
    shown = {m["label"]: m["value"] for m in cmp.headline(after)}
    assert shown["指标达成"] != {m["label"]: m["value"] for m in cmp.headline(before)}["指标达成"]
    same(after, computed(s, monkeypatch))


def test_an_amount_save_and_its_undo_reuse_the_matching_and_show_the_new_budget(any_sample_store, prepares,
                                                                                monkeypatch):
    s = any_sample_store
    before = cmp.compare(s, F, 2023, 2024, scores=False)
    p = s.projects_version()
    pid = project_id(s, "2024 年招商引资")
    st = editing.load_state(s, pid)
    res = editing.save(s, st, {"budget": 8.0, "goal": "新的年度目标"}, st.rows())
    assert s.projects_version() == p
    after = cmp.compare(s, F, 2023, 2024, scores=False)
    assert len(prepares) == 1
    assert item_of(before, pid)["budget"] == 5.0 and item_of(after, pid)["budget"] == 8.0
    assert after.current["budget_wan"] == pytest.approx(before.current["budget_wan"] + 3.0)
    same(after, computed(s, monkeypatch))                           # (computed() matches on its own)

    calls = len(prepares)
    editing.undo(s, res.save_id)
    assert s.projects_version() == p
    cmp.clear_cache()
    back = cmp.compare(s, F, 2023, 2024, scores=False)
    assert len(prepares) == calls
    assert item_of(back, pid)["budget"] == 5.0
    same(back, before)


def test_settings_and_match_decisions_leave_the_projects_version(any_sample_store, prepares):
    s = any_sample_store
    (pair,) = cmp.year_pair(s, 2023, 2024).candidates.to_dict("records")
    p = s.projects_version()
    s.set_setting("some_other_setting", 1)
    matching.decide(s, pair, "confirmed")
    assert s.projects_version() == p
    cmp.clear_cache()
    yp = cmp.year_pair(s, 2023, 2024)
    assert (yp.items["match"] == "confirmed").sum() == 1 and yp.candidates.empty
    matching.undo(s, pair)
    assert s.projects_version() == p and len(prepares) == 1


# ---------------------------------------------------------------- writes that may change the matching
@pytest.mark.parametrize("change", ["name", "code"])
def test_a_rename_or_a_code_change_matches_the_pair_again(any_sample_store, prepares, monkeypatch, change):
    s = any_sample_store
    before = cmp.compare(s, F, 2023, 2024, scores=False)
    p = s.projects_version()
    pid = project_id(s, "2024 年招商引资")
    assert item_of(before, pid)["match"] == "name"
    with s.transaction() as cur:
        if change == "name":         # no longer the same name as 2023's: at most a candidate
            cur.execute("UPDATE projects SET name = ? WHERE id = ?", ["2024 年全新项目甲", pid])
        else:                        # the same code as a 2023 project of its department: paired by code
            base_id = int(item_of(before, pid)["base_id"])
            cur.execute("UPDATE projects SET project_code = 'X-1' WHERE id IN (?, ?)", [pid, base_id])
    assert s.projects_version() == p + 1
    assert year_pairs.find(s, p + 1, 2023, 2024, TH) is None
    after = cmp.compare(s, F, 2023, 2024, scores=False)
    assert len(prepares) == 2                                       # matched again
    assert year_pairs.find(s, p + 1, 2023, 2024, TH) == p + 1
    assert item_of(after, pid)["match"] == ("none" if change == "name" else "code")
    same(after, computed(s, monkeypatch))


def test_an_import_and_the_sample_removal_move_the_projects_version(any_sample_store):
    from perfboard.importer import import_paths
    from perfboard.sample import remove_sample, sample_files
    s = any_sample_store
    p = s.projects_version()
    f2024 = [f for f in sample_files() if "2024" in f.name and "2023" not in f.name]
    assert import_paths(s, f2024, replace=True, user=local_admin("测试")).ok
    assert s.projects_version() == p + 1
    remove_sample(s, local_admin("测试"))
    assert s.projects_version() == p + 2


def test_a_transaction_that_writes_no_project_or_rolls_back_leaves_it(any_sample_store):
    s = any_sample_store
    p = s.projects_version()
    with s.transaction() as cur:
        cur.execute("UPDATE indicators SET actual_text = actual_text WHERE project_id IN (SELECT id FROM projects)")
        cur.execute("UPDATE projects SET spent = spent, achievement = achievement")
    assert s.projects_version() == p
    with pytest.raises(RuntimeError):
        with s.transaction() as cur:
            cur.execute("DELETE FROM projects WHERE id = (SELECT min(id) FROM projects)")
            raise RuntimeError("rolled back")
    assert s.projects_version() == p
    with s.transaction(bump_version=False) as cur:         # a write that moves no figures still counts
        cur.execute("DELETE FROM projects WHERE id = (SELECT max(id) FROM projects)")
    assert s.projects_version() == p + 1


# ---------------------------------------------------------------- reading the SQL
@pytest.mark.parametrize("sql, matching_changed", [
    ("UPDATE projects SET budget = ? WHERE id = ?", False),
    ("update projects set spent = ?, reported_rate = ? where id = ?", False),
    ("UPDATE projects SET achievement = t.achievement FROM new_texts t WHERE projects.id = t.id", False),
    ("UPDATE projects AS p SET goal = 'a, name = b WHERE c' WHERE p.id = 1", False),
    ("UPDATE projects SET goal = coalesce(goal, ''), improvement = ? WHERE id = ?", False),
    ("-- a comment naming projects\nUPDATE indicators SET status = 'met' WHERE id = 1", False),
    ("DELETE FROM indicators WHERE project_id IN (SELECT id FROM projects WHERE year = ?)", False),
    ("SELECT * FROM projects", False),
    ("WITH x AS (SELECT id FROM projects) SELECT count(*) FROM x", False),
    ("CREATE TEMP TABLE t AS SELECT * FROM projects", False),
    ("UPDATE projects SET name = ? WHERE id = ?", True),
    ("UPDATE \"projects\" SET \"Project_Code\" = NULL", True),
    ("UPDATE projects SET department = ?", True),
    ("UPDATE projects SET year = year + 1", True),
    ("UPDATE projects SET id = id + 1000", True),
    ("UPDATE projects SET budget = (SELECT max(b) FROM t WHERE t.id = projects.id), name = ? WHERE id = ?", True),
    ("UPDATE projects SET (budget, name) = (?, ?) WHERE id = ?", True),
    ("UPDATE projects p SET goal = 'x' FROM t WHERE p.id = t.id; UPDATE projects SET name = 'y'", True),
    ("INSERT INTO projects (id, year) SELECT id, year FROM _incoming", True),
    ("DELETE FROM projects WHERE year = ? AND department = ?", True),
    ("INSERT OR REPLACE INTO projects SELECT * FROM t", True),
    ("CREATE OR REPLACE TABLE projects AS SELECT * FROM t", True),
    ("TRUNCATE projects", True),
    ("WITH x AS (SELECT 1) UPDATE projects SET name = 'a'", True),
    ("WITH x AS (SELECT 1) UPDATE projects SET budget = 1", True),         # not read so far: counted
])
def test_which_statements_may_change_the_matching(sql, matching_changed):
    w = Writes()
    w.note(sql)
    assert w.matching is matching_changed


def test_the_tables_written_are_noted_as_before():
    w = Writes()
    w.note("INSERT INTO saves VALUES (1);\nUPDATE indicators SET x = 1 WHERE id = 2;\nSELECT 1")
    w.note("DELETE FROM \"audit_log\" WHERE id = 3")
    assert w.tables == {"saves", "indicators", "audit_log"} and not w.matching
