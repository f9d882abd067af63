"""Editing a project: validation, atomic saves with an audit trail, conflicts, undo, history."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst

from perfboard import auth, editing
from perfboard.editing import (Draft, EditConflict, EditRefused, HistoryFilter, UndoRefused, history, load_state,
                               save, save_details, undo, validate)


def pid_of(store, name: str, year: int = 2024) -> int:
    return store.scalar("SELECT id FROM projects WHERE name = ? AND year = ?", [name, year])


@pytest.fixture
def zs(sample_store):
    """The sample's 2024 招商引资 project: 5 万元 budget, 3.537 spent, six indicators."""
    return sample_store, pid_of(sample_store, "2024 年招商引资")


def codes(issues, severity=None):
    return [(i.code, i.row) for i in issues if severity is None or i.severity == severity]


def row_named(rows, name):
    return next(r for r in rows if r["level3"] == name)


# ---------------------------------------------------------------- loading
def test_load_state_rows_are_grouped_and_token_tracks_the_data(zs):
    store, pid = zs
    st = load_state(store, pid)
    assert st.identity == (2024, "张掖市科学技术局", "2024 年招商引资")
    assert [r["level3"] for r in st.rows()][:2] == ["项目总成本", "年度赴外招商"]
    assert load_state(store, pid).token == st.token
    store.cursor().execute("UPDATE indicators SET deviation_note = 'x' WHERE project_id = ?", [pid])
    assert load_state(store, pid).token != st.token
    assert load_state(store, 10_000) is None


def test_levels_come_from_settings(store):
    assert editing.indicator_levels(store)["产出指标"] == ["数量指标", "质量指标", "时效指标", "成本指标"]
    store.set_setting("indicator_levels", {"产出指标": ["数量指标"], "成本指标": ["经济成本指标"]})
    assert editing.indicator_levels(store) == {"产出指标": ["数量指标"], "成本指标": ["经济成本指标"]}
    l1, l2 = editing.level_choices(editing.indicator_levels(store), [{"level1": "效益指标", "level2": "社会效益指标"}])
    assert l1 == ["产出指标", "成本指标", "效益指标"] and l2 == ["数量指标", "经济成本指标", "社会效益指标"]


# ---------------------------------------------------------------- validation
def test_validation_errors(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    rows[0]["weight"] = "十分"
    rows[1]["weight"] = -1
    rows[2]["level3"] = "  "
    rows[3]["direction"] = "约"
    rows[4]["judgement"] = "基本达成"
    issues = validate(st, {"budget": "五万", "spent": -2}, rows)
    assert ("not-a-number", 1) in codes(issues, "error") and ("negative", 2) in codes(issues, "error")
    assert ("empty-required", 3) in codes(issues, "error")
    assert [(c, r) for c, r in codes(issues, "error") if c == "bad-choice"] == [("bad-choice", 4), ("bad-choice", 5)]
    project = [(i.code, i.column) for i in issues if i.row is None]
    assert ("not-a-number", "全年预算数（万元）") in project and ("negative", "全年执行数（万元）") in project
    assert editing.validate(st, {"budget": None}, st.rows())[0].code == "empty-required"


def test_a_target_that_no_longer_parses_is_an_error_when_the_direction_is_quantitative(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    r = row_named(rows, "年度赴外招商")          # ≥ 2次
    r["target_text"] = "每半年至少一次"
    assert ("target-unparsable", 2) in codes(validate(st, {}, rows), "error")
    r["direction"] = "定性"                       # the person says it is qualitative now: fine
    assert "target-unparsable" not in [c for c, _ in codes(validate(st, {}, rows))]
    r["direction"], r["target_text"] = "≥", "3次"
    assert "target-unparsable" not in [c for c, _ in codes(validate(st, {}, rows))]


def test_validation_warnings(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    for r, w in zip(rows, [10, 10, 10, 10, 10, 30]):
        r["weight"] = w
    r = row_named(rows, "年度赴外招商")
    r["actual_text"], r["judgement"] = "1次", None        # unmet, no deviation note
    row_named(rows, "服务对象满意度")["actual_text"] = ""   # judged 达成: a judgement needs no actual
    row_named(rows, "全年引进落地项目").update(actual_text="", judgement=None)
    issues = validate(st, {"spent": 6.0, "reported_rate": 0.704}, rows)
    warnings = {c: r for c, r in codes(issues, "warning")}
    assert not codes(issues, "error")
    assert warnings["unmet-no-note"] == 2 and warnings["missing-actual"] == 3
    assert warnings["weights-sum"] is None
    assert next(i.message for i in issues if i.code == "weights-sum") == "指标分值合计 80 分，应为 90 分"
    assert {"over-execution", "rate-mismatch", "not-judged"} <= warnings.keys()     # 项目总成本 has no target
    r["deviation_note"] = "受天气影响，第二次招商推迟到次年"
    assert "unmet-no-note" not in {c for c, _ in codes(validate(st, {}, rows))}


def test_a_judgement_that_disagrees_with_the_numbers_is_a_warning(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    row_named(rows, "年度赴外招商")["actual_text"] = "1次"     # target ≥2次, still judged 达成
    issues = [i for i in validate(st, {}, rows) if i.code == "judgement-disagrees"]
    assert [(i.row, i.severity) for i in issues] == [(2, "warning")]
    assert "判定为“达成”，但按年度指标值与实际完成值为“未达成”" in issues[0].message


def test_no_weights_is_only_information(zs):
    store, pid = zs
    st = load_state(store, pid)
    issues = validate(st, {}, st.rows())
    assert [(i.code, i.severity) for i in issues if i.code == "no-weights"] == [("no-weights", "info")]


# ---------------------------------------------------------------- saving and the audit trail
def test_save_writes_changed_fields_and_records_each_in_the_audit_log(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    row_named(rows, "项目总成本")["target_text"] = "≤5万元"
    row_named(rows, "年度赴外招商")["actual_text"] = "3次"
    rows.append({"id": None, "level1": "效益指标", "level2": "社会效益指标", "level3": "带动就业", "direction": None,
                 "target_text": "≥10人", "target_unit": "", "actual_text": "12人", "weight": None, "judgement": None,
                 "deviation_note": ""})
    rows = [r for r in rows if r["level3"] != "经费支出合规性"]
    res = save(store, st, {"spent": 4.0, "improvement": "提前谋划"}, rows, "张三")
    assert res.message == "已保存：6 处修改"     # 2 project fields, 2 cells, 1 row added, 1 deleted

    cost = store.sql_df("SELECT * FROM indicators WHERE project_id = ? AND level3 = '项目总成本'", [pid]).iloc[0]
    assert (cost.direction, cost.target_value, cost.target_unit, cost.target_text) == ("≤", 5.0, "万元", "≤5万元")
    added = store.sql_df("SELECT * FROM indicators WHERE level3 = '带动就业'").iloc[0]
    assert (added.project_id, added.target_value, added.actual_value, added.level1) == (pid, 10.0, 12.0, "效益指标")
    assert store.scalar("SELECT count(*) FROM indicators WHERE level3 = '经费支出合规性' AND project_id = ?", [pid]) == 0
    # grouped by 一级: the new 效益 row sits before 满意度
    assert list(store.sql_df("SELECT level1 FROM indicators WHERE project_id = ? ORDER BY position", [pid])["level1"]) \
        == ["产出指标"] * 4 + ["效益指标", "满意度指标"]

    saves = store.sql_df("SELECT * FROM saves")
    assert saves[["kind", "user_name", "project_id", "year", "department", "project_name", "changes"]].values.tolist() \
        == [["edit", "张三", pid, 2024, "张掖市科学技术局", "2024 年招商引资", 6]]
    audit = store.sql_df("SELECT * FROM audit_log ORDER BY id")
    assert set(audit["save_id"]) == {res.save_id} and set(audit["user_name"]) == {"张三"}
    spent = audit[audit.field == "spent"].iloc[0]
    assert pd.isna(spent.indicator_id) and (spent.old_value, spent.new_value) == ("3.537", "4.0")
    actual = audit[(audit.indicator_name == "年度赴外招商") & (audit.field == "actual_text")].iloc[0]
    assert (actual.old_value, actual.new_value) == ('"2次"', '"3次"')
    assert json.loads(audit[audit.action == "insert"].iloc[0].new_value)["level3"] == "带动就业"
    assert json.loads(audit[audit.action == "delete"].iloc[0].old_value)["actual_text"] == "经费支出合规"
    details = save_details(store, res.save_id)
    assert list(details.columns) == ["指标", "操作", "字段", "原值", "新值"]
    assert ["（项目）", "修改", "全年执行数（万元）", "3.537", "4"] in details.values.tolist()
    assert res.state.token == load_state(store, pid).token


def test_nothing_changed_saves_nothing(zs):
    store, pid = zs
    st = load_state(store, pid)
    version = store.data_version()
    res = save(store, st, st.fields(), st.rows())
    assert res.save_id is None and res.message == "没有需要保存的修改。"
    assert store.data_version() == version and store.scalar("SELECT count(*) FROM saves") == 0


def test_errors_block_the_save_and_nothing_is_written(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    rows[0]["weight"] = "abc"
    rows[1]["actual_text"] = "5次"
    with pytest.raises(EditRefused) as exc:
        save(store, st, {}, rows)
    assert [i.code for i in exc.value.issues if i.severity == "error"] == ["not-a-number"]
    assert load_state(store, pid).token == st.token and store.scalar("SELECT count(*) FROM audit_log") == 0


def test_a_viewer_may_not_save(zs):
    store, pid = zs
    st = load_state(store, pid)
    rows = st.rows()
    rows[0]["deviation_note"] = "x"
    with pytest.raises(auth.PermissionDenied):
        save(store, st, {}, rows, auth.User(name="只读", role="viewer", departments=("*",)))


# ---------------------------------------------------------------- conflicts
def test_two_loads_two_saves_the_second_is_refused_and_the_first_kept(zs):
    store, pid = zs
    mine, theirs = load_state(store, pid), load_state(store, pid)
    rows = theirs.rows()
    row_named(rows, "年度赴外招商")["actual_text"] = "3次"
    save(store, theirs, {}, rows, "李四")

    rows = mine.rows()
    row_named(rows, "年度赴外招商")["actual_text"] = "4次"
    with pytest.raises(EditConflict) as exc:
        save(store, mine, {"goal": "新目标"}, rows, "张三")
    assert "李四" in str(exc.value)
    assert exc.value.changes == ["指标“年度赴外招商”的实际完成值：2次 → 3次"]
    now = load_state(store, pid)
    assert row_named(now.rows(), "年度赴外招商")["actual_text"] == "3次"
    assert now.project["goal"] != "新目标"
    assert store.sql_df("SELECT user_name FROM saves")["user_name"].tolist() == ["李四"]


def test_an_edit_to_another_project_is_no_conflict(zs):
    store, pid = zs
    mine = load_state(store, pid)
    other = load_state(store, pid_of(store, "2024 年科技活动周"))
    save(store, other, {"improvement": "x"}, other.rows())
    res = save(store, mine, {"improvement": "y"}, mine.rows())
    assert res.changes == 1


def test_a_deleted_or_reimported_project_is_a_conflict(zs):
    from perfboard.importer import delete_scope
    store, pid = zs
    mine = load_state(store, pid)
    with store.transaction() as cur:
        delete_scope(cur, 2024, "张掖市科学技术局")
    with pytest.raises(EditConflict, match="重新导入"):
        save(store, mine, {"improvement": "y"}, mine.rows())


def test_a_reimport_with_other_values_is_a_conflict_naming_the_import(zs):
    store, pid = zs
    mine = load_state(store, pid)
    with store.transaction() as cur:       # what a re-import of an updated file leaves behind
        cur.execute("UPDATE projects SET spent = 4 WHERE id = ?", [pid])
        cur.execute("INSERT INTO import_log (id, file_name, content_hash, imported_at, outcome, scope) VALUES"
                    " (99, '新表.xlsx', 'h', now(), 'replaced', '2024 张掖市科学技术局')")
    with pytest.raises(EditConflict, match="数据导入（新表.xlsx）") as exc:
        save(store, mine, {"improvement": "y"}, mine.rows())
    assert exc.value.changes == ["项目的全年执行数（万元）：3.537 → 4"]


# ---------------------------------------------------------------- undo
def test_undo_restores_exact_old_values_floats_and_nulls(zs):
    store, pid = zs
    with store.transaction(bump_version=False) as cur:        # a value no editor would type (both stores)
        cur.execute("UPDATE indicators SET weight = 12.345678901234567 WHERE project_id = ? AND position = 1", [pid])
    before = load_state(store, pid)
    rows = before.rows()
    rows[0]["weight"] = 15.0
    rows[1]["deviation_note"] = "说明"         # NULL -> text
    rows[2]["actual_text"] = ""                 # text -> NULL (actual_value too)
    del rows[3]
    rows.append({"id": None, "level1": "产出指标", "level2": "数量指标", "level3": "新增", "target_text": "≥1项",
                 "actual_text": "1项"})
    res = save(store, before, {"spent": 3.5371, "improvement": "改进", "reported_rate": None}, rows, "张三")
    assert res.changes == 8

    back = undo(store, res.save_id, "王五")
    after = load_state(store, pid)
    assert after.token == before.token
    assert after.indicators == before.indicators           # same ids, same values, bit for bit
    assert after.project["spent"] == 3.537 and after.project["reported_rate"] == 0.704
    assert after.project["improvement"] is None
    assert after.indicators[0]["weight"] == 12.345678901234567

    saves = store.sql_df("SELECT id, kind, user_name, reverts, reverted_by, changes FROM saves ORDER BY id")
    assert saves.values.tolist()[1][:3] == [back.save_id, "undo", "王五"]
    assert saves.loc[0, "reverted_by"] == back.save_id and saves.loc[1, "reverts"] == res.save_id
    assert back.changes == 8
    with pytest.raises(UndoRefused, match="已于第"):
        undo(store, res.save_id)

    again = undo(store, back.save_id)                        # undoing the undo re-applies the edit
    assert load_state(store, pid).project["spent"] == 3.5371
    assert again.changes == 8


def test_undo_is_refused_when_a_later_save_changed_the_same_value(zs):
    store, pid = zs
    st = load_state(store, pid)
    first = save(store, st, {"improvement": "一"}, st.rows())
    second = save(store, first.state, {"improvement": "二"}, first.state.rows())
    with pytest.raises(UndoRefused, match="改进措施"):
        undo(store, first.save_id)
    assert load_state(store, pid).project["improvement"] == "二"
    undo(store, second.save_id)
    undo(store, first.save_id)
    assert load_state(store, pid).project["improvement"] is None


def test_undo_after_the_project_was_reimported_is_refused(zs):
    from perfboard.sample import load_sample
    store, pid = zs
    st = load_state(store, pid)
    res = save(store, st, {"improvement": "一"}, st.rows())
    load_sample(store)                      # puts the file's values back: the saved value is gone
    with pytest.raises(UndoRefused, match="此后已被修改"):
        undo(store, res.save_id)
    with store.transaction(bump_version=False) as cur:
        cur.execute("UPDATE projects SET name = '改名' WHERE id = ?", [pid])
    with pytest.raises(UndoRefused, match="重新导入"):
        undo(store, res.save_id)


# ---------------------------------------------------------------- history
def test_history_merges_imports_and_filters(zs):
    store, pid = zs
    st = load_state(store, pid)
    a = save(store, st, {"improvement": "一"}, st.rows(), "张三")
    other = load_state(store, pid_of(store, "2024 年科技活动周"))
    save(store, other, {"improvement": "x"}, other.rows(), "李四")
    undo(store, a.save_id, "张三")

    everything = history(store)
    assert everything["kind"].tolist()[:3] == ["undo", "edit", "edit"] and "import" in set(everything["kind"])
    assert everything["can_undo"].tolist()[:3] == [True, True, False]

    mine = history(store, HistoryFilter(project=st.identity))
    assert [k for k in mine["kind"]] == ["undo", "edit", "import"]      # only the 2024 import touches it
    assert history(store, HistoryFilter(users=("李四",)))["project_name"].tolist() == ["2024 年科技活动周"]
    assert set(history(store, HistoryFilter(kinds=("import",)))["kind"]) == {"import"}
    assert history(store, HistoryFilter(search="活动周"))["user_name"].tolist() == ["李四"]
    assert len(history(store, HistoryFilter(year=2023, kinds=("edit", "undo")))) == 0
    assert {"张三", "李四", "系统（示例数据）"} <= set(editing.history_users(store))


def test_validate_with_the_pages_score_finds_what_it_finds_alone(zs):
    """指标填报 scores the draft once and hands the score to validate: the same issues as validate scoring
    it itself, for the full set of fields the page has; a partial set is scored with the stored rest."""
    store, pid = zs
    st = load_state(store, pid)
    d = Draft.of(st)
    r = row_named(d.rows, "年度赴外招商")
    r["actual_text"], r["judgement"] = "1次", "达成"        # a judgement the numbers disagree with
    d.fields["spent"] = 6.0
    score = editing.draft_score(st, d.fields, d.rows)
    alone = validate(st, d.fields, d.rows)
    assert validate(st, d.fields, d.rows, score=score) == alone
    assert "judgement-disagrees" in {c for c, _ in codes(alone)}
    other = editing.draft_score(st, {**d.fields, "spent": 1.0}, d.rows)     # not this draft's score
    assert validate(st, {"spent": 6.0}, d.rows, score=other) == validate(st, {"spent": 6.0}, d.rows)


def test_draft_counts_pending_changes(zs):
    store, pid = zs
    d = Draft.of(load_state(store, pid))
    assert d.pending() == 0
    d.rows[0]["actual_text"] = "4万元"
    d.fields["goal"] = "新目标"
    assert d.pending() == 2                     # counted again: the values changed in place
    d.fields["goal"] = load_state(store, pid).fields()["goal"]
    assert d.pending() == 1


def test_rows_stored_out_of_group_order_are_not_unsaved_edits(zs):
    """A flat import may list 效益 before 产出: the editor groups (renumbers) them, which is not an edit."""
    store, pid = zs
    with store.transaction() as cur:
        # the first 产出 row moved after the 满意度 row: 产出 is no longer one block
        cur.execute("UPDATE indicators SET position = CASE WHEN position = 1 THEN 99 ELSE position END"
                    " WHERE project_id = ?", [pid])
    d = Draft.of(load_state(store, pid))
    assert d.changes() and all(c.field == "position" for c in d.changes())     # the editor does renumber
    assert d.pending() == 0
    row_named(d.rows, "年度赴外招商")["deviation_note"] = "说明"
    assert d.pending() == 1
    res = save(store, d.state, d.fields, d.rows, "张三")
    assert res.changes == 1
    assert Draft.of(load_state(store, pid)).changes() == []                    # grouped order now stored


# ---------------------------------------------------------------- property: save then undo is the identity
_texts = hst.one_of(hst.none(), hst.sampled_from(["≥25项", "=100%", "≤90万元", "77项", "及时拨付", "1000余份", ""]),
                    hst.text(max_size=8))
_numbers = hst.one_of(hst.none(), hst.floats(min_value=0, max_value=100, allow_nan=False))
_cell = hst.one_of(
    hst.tuples(hst.just("actual_text"), _texts), hst.tuples(hst.just("target_text"), _texts),
    hst.tuples(hst.just("weight"), _numbers), hst.tuples(hst.just("deviation_note"), _texts),
    hst.tuples(hst.just("judgement"), hst.sampled_from([None, "达成", "部分达成", "未达成", "不适用"])),
    hst.tuples(hst.just("direction"), hst.sampled_from([None, "定性"])),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=hst.lists(hst.tuples(hst.integers(0, 5), _cell), max_size=6),
       spent=hst.floats(min_value=0, max_value=5, allow_nan=False), drop=hst.booleans(), add=hst.booleans())
def test_save_then_undo_restores_every_value(zs, edits, spent, drop, add):
    store, pid = zs
    before = load_state(store, pid)
    rows = before.rows()
    for i, (col, value) in edits:
        rows[i][col] = value
    if drop:
        rows.pop(0)
    if add:
        rows.append({"id": None, "level1": "效益指标", "level2": None, "level3": "新增", "target_text": "≥1项",
                     "actual_text": "2项"})
    try:
        res = save(store, before, {"spent": spent}, rows, "张三")
    except EditRefused:
        return
    if res.save_id is None:
        return
    undo(store, res.save_id)
    after = load_state(store, pid)
    assert after.token == before.token and after.project == before.project


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_history_pages_follow_each_other_without_gaps_or_repeats(zs, limit):
    """Keyset paging: each page starts after the last row of the one before. Many rows share one time
    (saves, imports and a match decision all at the same instant): the order is still total, so the pages
    concatenate to the full history, in its order, each row once."""
    from perfboard.editing import history_cursor
    store, pid = zs
    st = load_state(store, pid)
    for i in range(4):
        st = load_state(store, pid)
        save(store, st, {"improvement": f"第{i}次"}, st.rows(), "张三")
    store.cursor().execute(
        "INSERT INTO match_log (id, decided_at, user_name, action, base_year, base_department, base_key, base_name, "
        "target_year, target_department, target_key, target_name) SELECT 1, '2026-01-01 00:00:00', '李四', 'confirmed', "
        "2023, '甲', 'name:a', 'a', 2024, '甲', 'name:b', 'b'")
    tied = "TIMESTAMP '2026-01-01 00:00:00'"
    store.cursor().execute(f"UPDATE saves SET saved_at = {tied} WHERE id % 2 = 0")
    store.cursor().execute(f"UPDATE import_log SET imported_at = {tied}")
    full = history(store, HistoryFilter(), limit=10_000)
    keys = list(zip(full["src"], full["src_id"]))
    assert len(full) >= 7 and len(set(keys)) == len(keys)
    assert (full["saved_at"] == pd.Timestamp("2026-01-01")).sum() >= 4        # ties of the sort key
    assert {0, 1, 2} <= set(full["src"])
    got, after = [], None
    for _ in range(len(full) + 2):
        page = history(store, HistoryFilter(), limit=limit, after=after)
        assert len(page) <= limit
        if not len(page):
            break
        got += list(zip(page["src"], page["src_id"]))
        after = history_cursor(page)
    assert got == keys
