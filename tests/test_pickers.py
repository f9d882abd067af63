"""Project pickers list at most ui.picker.CAP projects (a province has 200,000 a year) and say how to narrow;
reports refuse to build a workbook or report of more than MAX_PROJECTS projects."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import picker
from ui.state import K_EDIT_PROJECT

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_edit_picker_is_capped_and_says_how_to_narrow(app_env, monkeypatch):
    monkeypatch.setattr(picker, "CAP", 5)
    at = open_page("pages/indicators_edit.py")
    box = at.selectbox(key=K_EDIT_PROJECT)
    assert len(box.options) == 5
    assert any("共 12 个项目，下拉框只列出前 5 个" in c.value for c in at.caption)


def test_project_choices_cap_total_and_keep(sample_store):
    from perfboard.editing import project_choices
    from perfboard.filters import Filters
    df, total = project_choices(sample_store, Filters(year=2024), limit=3)
    assert total == 12 and df["name"].tolist() == ["2024 年市级科技计划项目", "2024 年强科技行动工作经费",
                                                   "“张掖科技”政务新媒体平台管理运维"]
    last = int(sample_store.scalar("SELECT max(id) FROM projects WHERE year = 2024"))
    df, _ = project_choices(sample_store, Filters(year=2024), limit=3, keep=last)
    assert len(df) == 4 and int(df["id"].iloc[-1]) == last
    df, total = project_choices(sample_store, Filters(year=2024, search="科技"), limit=100)
    assert total == len(df) == int(sample_store.scalar(
        "SELECT count(*) FROM projects WHERE year = 2024 AND contains(name, '科技')"))
    df, _ = project_choices(sample_store, Filters(year=2023), limit=100, keep=last)   # not under the filters
    assert last not in df["id"].tolist()


def test_history_picker_is_capped(app_env, monkeypatch):
    monkeypatch.setattr(picker, "CAP", 4)
    at = open_page("pages/history.py")
    from ui.state import K_HIST_PROJECT
    assert len(at.selectbox(key=K_HIST_PROJECT).options) == 5        # 全部项目 + 4
    assert any("下拉框只列出前 4 个" in c.value for c in at.caption)


def test_edit_picker_keeps_a_project_opened_past_the_cap(app_env, monkeypatch):
    monkeypatch.setattr(picker, "CAP", 3)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    from perfboard.db import Store
    with Store(app_env) as s:
        last = s.scalar("SELECT max(id) FROM projects WHERE year = 2024")
    at.session_state[K_EDIT_PROJECT] = last
    at.switch_page("pages/indicators_edit.py").run()
    assert not at.exception
    assert at.selectbox(key=K_EDIT_PROJECT).value == last and len(at.selectbox(key=K_EDIT_PROJECT).options) == 4


def test_no_caption_under_the_cap(app_env):
    at = open_page("pages/indicators_edit.py")
    assert len(at.selectbox(key=K_EDIT_PROJECT).options) == 12
    assert not any("下拉框只列出" in c.value for c in at.caption)


def _report_buttons(at) -> dict:
    return {b.proto.label: b.proto.disabled for b in at.get("download_button")}


def test_reports_refuse_whole_filter_exports_past_the_limit(app_env, monkeypatch):
    at = open_page("pages/reports.py")
    buttons = _report_buttons(at)
    assert not buttons["下载自评表（.xlsx）"] and not buttons["下载自评报告（.docx）"]
    monkeypatch.setattr(picker, "MAX_EXPORT", 10)
    at.run()
    buttons = _report_buttons(at)
    assert buttons["下载自评表（.xlsx）"]
    assert any("一次最多导出 10 个项目的自评表" in c.value and "当前 24 个" in c.value for c in at.caption), [c.value for c in at.caption]
    # the report is never refused: above its section limit it is the aggregate chapters, and the page says so
    assert not buttons["下载自评报告（.docx）"]
    assert not any("超过逐项目章节上限" in c.value for c in at.caption)
    at.number_input(key="rep_max_sections").set_value(10).run()
    assert not _report_buttons(at)["下载自评报告（.docx）"]
    assert any("当前 24 个项目，超过逐项目章节上限 10：报告只写汇总章节" in c.value for c in at.caption)
    assert at.number_input(key="rep_max_sections").max == 5000
    at.selectbox(key="rep_project").select(at.selectbox(key="rep_project").options[1]).run()
    assert not _report_buttons(at)["下载自评表（.xlsx）"]          # one project: allowed
