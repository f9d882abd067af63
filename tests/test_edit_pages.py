"""指标填报 and 修改记录 through AppTest: edit, save, unsaved edits across page switches, conflicts, undo."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from perfboard import editing
from perfboard.db import Store
from ui.state import K_EDIT_PROJECT, editor_key

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
EDIT, HISTORY = "pages/indicators_edit.py", "pages/history.py"
NO_EDIT = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}


@pytest.fixture
def at(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(EDIT).run()
    assert not at.exception, at.exception
    return at


def open_db(app_env) -> Store:
    # the app's cached store is the same DuckDB instance in this process; a second Store shares it
    from ui import state
    return state._open_store(str(app_env))


def pick(at, store, name: str) -> int:
    pid = store.scalar("SELECT id FROM projects WHERE name = ? AND year = 2024", [name])
    at.selectbox(key=K_EDIT_PROJECT).select(pid).run()
    return pid


def edit(at, pid: int, edited_rows: dict, generation: int = 0) -> None:
    at.session_state[editor_key(pid, generation)] = {**NO_EDIT, "edited_rows": edited_rows}
    at.run()


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def test_edit_and_save_through_the_page(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年市级科技计划项目")
    assert button(at, "保存").disabled                    # nothing to save yet
    edit(at, pid, {0: {"实际完成值": "80项"}})
    assert "未保存：1 处修改" in texts(at.warning)
    button(at, "保存").click().run()
    assert not at.exception, at.exception
    assert "已保存：1 处修改" in texts(at.success)
    assert "未保存" not in texts(at.warning)
    row = store.sql_df("SELECT actual_text, actual_value FROM indicators WHERE project_id = ? AND position = 1", [pid])
    assert row.values.tolist() == [["80项", 80.0]]
    audit = store.sql_df("SELECT user_name, field, old_value, new_value FROM audit_log ORDER BY id")
    assert audit.values.tolist() == [["匿名", "actual_value", "77.0", "80.0"], ["匿名", "actual_text", '"77项"', '"80项"']]


def test_the_user_name_typed_is_recorded(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年科技活动周")
    at.text_input(key="user_name").input("赵六").run()
    edit(at, pid, {6: {"偏差原因分析及改进措施": "无偏差"}})
    button(at, "保存").click().run()
    assert store.scalar("SELECT user_name FROM saves") == "赵六"


def test_unsaved_edits_survive_a_page_switch_and_a_project_switch(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年招商引资")
    edit(at, pid, {1: {"实际完成值": "3次"}})
    assert "未保存：1 处修改" in texts(at.warning)

    at.switch_page("pages/import_data.py").run()
    at.switch_page(EDIT).run()
    assert not at.exception, at.exception
    assert "未保存：1 处修改" in texts(at.warning)

    other = pick(at, store, "2024 年科技活动周")
    assert "其他项目也有未保存的修改" in texts(at.caption) and "招商引资" in texts(at.caption)
    pick(at, store, "2024 年招商引资")
    assert "未保存：1 处修改" in texts(at.warning) and other != pid

    button(at, "保存").click().run()                      # the edit made before the switches lands
    assert "已保存：1 处修改" in texts(at.success)
    assert store.scalar("SELECT actual_text FROM indicators WHERE project_id = ? AND level3 = '年度赴外招商'", [pid]) == "3次"


def test_project_fields_are_edited_and_saved(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年招商引资")
    key = next(w.key for w in at.text_area if w.label == "改进措施")
    at.text_area(key=key).input("下半年集中开展招商").run()
    rate_key = next(w.key for w in at.number_input if w.label == "填报执行率（%）")
    at.number_input(key=rate_key).set_value(70.74).run()
    assert "未保存：2 处修改" in texts(at.warning)
    button(at, "保存").click().run()
    assert "已保存：2 处修改" in texts(at.success)
    assert store.sql_df("SELECT improvement, reported_rate FROM projects WHERE id = ?", [pid]).values.tolist() \
        == [["下半年集中开展招商", 0.7074]]


def test_validation_errors_block_the_save_button(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年招商引资")
    edit(at, pid, {1: {"年度指标值": "每半年至少一次"}})        # its 指标性质 is ≥
    assert "不能保存" in texts(at.error) and "没有可识别的数值" in texts(at.error)
    assert button(at, "保存").disabled


def test_someone_elses_save_meanwhile_is_a_conflict(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年招商引资")
    edit(at, pid, {1: {"实际完成值": "4次"}})
    theirs = editing.load_state(store, pid)
    rows = theirs.rows()
    rows[1]["actual_text"] = "3次"
    editing.save(store, theirs, {}, rows, "李四")

    at.run()
    assert "已被他人修改" in texts(at.error)
    button(at, "保存").click().run()
    assert "保存失败" in texts(at.error) and "李四" in texts(at.error) and "2次 → 3次" in texts(at.error)
    assert store.scalar("SELECT actual_text FROM indicators WHERE project_id = ? AND level3 = '年度赴外招商'", [pid]) == "3次"
    assert "未保存：1 处修改" in texts(at.warning)           # the person's edit is kept, not lost
    button(at, "放弃修改").click().run()
    assert "未保存" not in texts(at.warning) and "已被他人修改" not in texts(at.error)


def test_estimated_scores_are_labelled(at, app_env):
    store = open_db(app_env)
    pick(at, store, "2024 年招商引资")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["预算执行得分"] == "7.07 / 10"
    assert metrics["总分（估算）"] == "82.07" and metrics["等级（估算）"] == "待判定"


def test_history_page_lists_saves_and_undoes_one(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年招商引资")
    edit(at, pid, {1: {"实际完成值": "3次"}})
    button(at, "保存").click().run()
    button(at, "查看本项目的修改记录").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "修改记录"
    at.switch_page(HISTORY).run()          # AppTest reruns its own page after an in-app switch_page
    assert at.selectbox(key="hist_project").value == pid
    assert "年度赴外招商" in texts(at.markdown) and "导入" in texts(at.markdown)
    save_id = store.scalar("SELECT max(id) FROM saves")
    at.button(key=f"undo_{save_id}").click().run()
    assert f"已撤销第 {save_id} 次保存" in texts(at.success)
    assert store.scalar("SELECT actual_text FROM indicators WHERE project_id = ? AND level3 = '年度赴外招商'", [pid]) == "2次"
    assert store.scalar("SELECT kind FROM saves WHERE reverts = ?", [save_id]) == "undo"
    assert "已于第" in texts(at.markdown)

    at.multiselect(key="hist_kinds").select("import").run()
    assert "年度赴外招商" not in texts(at.markdown)


def test_rows_added_and_deleted_in_the_editor_are_saved(at, app_env):
    store = open_db(app_env)
    pid = pick(at, store, "2024 年招商引资")
    at.session_state[editor_key(pid, 0)] = {
        "edited_rows": {}, "deleted_rows": [3],
        "added_rows": [{"一级指标": "效益指标", "二级指标": "经济效益指标", "三级指标": "带动投资", "年度指标值": "≥100万元",
                        "实际完成值": "120万元"}]}
    at.run()
    assert "未保存：2 处修改" in texts(at.warning)
    button(at, "保存").click().run()
    assert "已保存：2 处修改" in texts(at.success)
    names = store.sql_df("SELECT level3, level1, target_value FROM indicators WHERE project_id = ? ORDER BY position", [pid])
    assert "经费支出合规性" not in names["level3"].tolist()
    assert names.values.tolist()[-2] == ["带动投资", "效益指标", 100.0]     # before 满意度, grouped by 一级
