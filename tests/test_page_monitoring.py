"""The 执行监控 page (issue 17) through AppTest, inside the app's frame: empty state, figures, filters, picker."""
from __future__ import annotations

import re

import pytest

from dashboard_helpers import frame, opened, open_page  # noqa: F401  (fixture)
from monitor_fixtures import JIA, YI, flat_book, form_book
from perfboard.display import md_text
from perfboard.importer import commit, prepare
from perfboard.sample import load_sample
from ui.state import K_DEPTS

PAGE = "pages/monitoring.py"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "m.duckdb"
    monkeypatch.setenv("PERFBOARD_DB", str(path))
    monkeypatch.setenv("PERFBOARD_WARM", "0")
    with opened(path) as s:
        load_sample(s)
    return path


def _import(path, data, name="m.xlsx"):
    with opened(path) as s:
        plan = prepare(s, [(name, data)])
        assert plan.ok, plan.report.codes()
        commit(s, plan)


def test_empty_state_explains_and_offers_the_template(frame, db):  # noqa: F811
    at = open_page(PAGE)
    text = " ".join(i.value for i in at.info)
    assert "还没有运行监控数据" in text and "项目支出绩效目标执行监控表" in text
    assert [b.label for b in at.get("download_button")] == ["下载运行监控导入模板（.xlsx）"]


def test_figures_lights_risks_and_indicators(frame, db):  # noqa: F811
    _import(db, form_book())
    at = open_page(PAGE)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["项目数"] == "2 个"
    assert metrics["预算数（万元）"] == "300.00" and metrics["1—7月执行数（万元）"] == "140.00"
    assert metrics["执行率"] == "46.67%"          # 140 / 300
    assert metrics["红 / 黄 / 绿"] == "1 / 1 / 0" and metrics["风险项目"] == "2 个"
    md = " ".join(_read(m.value) for m in at.markdown)
    assert "执行进度落后序时进度 28.3 个百分点" in md and "审批延迟" in md and "完全不可能 1 项" in md
    assert len(at.get("vega_lite_chart")) == 1 or len(at.get("arrow_vega_lite_chart")) == 1
    table = at.dataframe[0].value
    assert table["项目名称"].tolist() == [JIA["name"], YI["name"]]
    assert table["状态"].tolist() == ["红", "黄"]
    # indicator lights of the chosen project (at-risk first: 甲 is furthest behind)
    ind = at.dataframe[-1].value
    assert ind["三级指标"].tolist()[:3] == ["平台建设数量", "验收合格率", "资金拨付时间"]
    assert ind["状态"].tolist() == ["黄", "绿", "红", "黄", "蓝"]


def test_sidebar_department_filter_and_period_picker(frame, db):  # noqa: F811
    _import(db, form_book())
    _import(db, flat_book([[2024, 6, "另一局", "别的项目", 100, 10, 100],
                           [2024, 7, "另一局", "别的项目", 100, 80, 100]]), "b.xlsx")
    at = open_page(PAGE)
    assert at.selectbox(key="mon_period").value == 7
    assert {m.label: m.value for m in at.metric}["项目数"] == "3 个"
    at.selectbox(key="mon_period").set_value(6).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["项目数"] == "1 个"
    at.selectbox(key="mon_period").set_value(7).run()
    at.session_state[K_DEPTS] = ["张掖市科学技术局"]       # offered by the sample's projects
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["项目数"] == "2 个"
    assert at.dataframe[0].value["主管部门"].tolist() == ["张掖市科学技术局"] * 2


def test_a_monitoring_form_goes_through_the_upload_page(frame, db):  # noqa: F811
    at = open_page("pages/import_data.py")
    at.file_uploader[0].upload("监控表.xlsx", form_book(), "application/octet-stream").run()
    assert not at.exception
    assert "**监控表.xlsx**：2 个项目，7 条指标" in [_read(m.value) for m in at.markdown]
    preview = at.dataframe[-1].value
    assert preview["监控期"].tolist() == ["1—7月", "1—7月"] and preview["执行率"].tolist() == [0.3, 0.55]
    next(b for b in at.button if b.label == "确认导入").click().run()
    assert not at.exception
    # the sample is loaded here, and the preview removes it in the same transaction by default (issue 15)
    assert "已导入 2 个项目、7 条指标。已删除示例数据。" in [m.value for m in at.success]
    # the same period again: the replace checkbox names it
    at.file_uploader[0].upload("监控表.xlsx", form_book(), "application/octet-stream").run()
    assert [c.label for c in at.checkbox] == ["替换已有数据：2024 年度 张掖市科学技术局（1—7月监控）"]



def test_settings_page_changes_the_monitoring_rules(frame, db):  # noqa: F811
    at = open_page("pages/settings.py")
    assert any("落后不足 20 个百分点为黄" in m.value for m in at.markdown)
    at.number_input(key="set_mon_yellow_gap").set_value(10.0)
    next(b for b in at.button if b.label == "保存" and "monitor_rules" in str(b.form_id)).click().run()
    assert not at.exception
    assert "已保存运行监控规则。" in [m.value for m in at.success]
    assert any("落后不足 10 个百分点为黄" in m.value for m in at.markdown)


def test_overview_shows_the_trajectory_only_with_snapshots(frame, db):  # noqa: F811
    at = open_page("pages/overview.py")
    assert not [e for e in at.expander if "运行监控轨迹" in e.label]
    # a 2024 sample project monitored at months 6 and 7: 30 / 100 then 45 / 100, year end from the sample
    with opened(db) as s:
        name, dept, budget, spent = s.sql_df("SELECT name, department, budget, spent FROM projects "
                                             "WHERE year = 2024 ORDER BY id LIMIT 1").values.tolist()[0]
    for month, to_date in ((6, 0.3), (7, 0.45)):
        _import(db, flat_book([[2024, month, dept, name, budget, budget * to_date, budget]]), f"m{month}.xlsx")
    at = open_page("pages/overview.py")
    exp = [e for e in at.expander if "运行监控轨迹" in e.label]
    assert len(exp) == 1 and "1 个项目" in exp[0].label
    table = at.dataframe[-1].value
    assert table["执行进度"].tolist() == [f"6月 30.0% → 7月 45.0% → 年末 {spent / budget:.1%}"]


def _read(markdown: str) -> str:
    """What a person reads of escaped markdown: backslash escapes resolved, word joiners (which break autolinks) gone."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def test_text_from_files_is_shown_escaped(frame, db):  # noqa: F811
    hostile = "**粗体**[链接](http://example.com)<b>x</b>"
    rows = [[2024, 7, "张掖市科学技术局", hostile, 100, 10, 100]]
    inds = [[2024, 7, hostile, "产出指标", "数量指标", "指标_*x*_", "≥10项", "1项", None, None, None, None, None,
             "原因[点我](javascript:alert(1))", "完全不可能", None]]
    _import(db, flat_book(rows, inds))
    at = open_page(PAGE)
    card = next(m.value for m in at.markdown if "粗体" in m.value)
    # shown through the one escaping helper (issue 20): what a person reads is the literal text
    assert md_text(hostile) in card and hostile in _read(card)
    assert md_text("原因[点我](javascript:alert(1))") in card and "指标_*x*_" in _read(card)
