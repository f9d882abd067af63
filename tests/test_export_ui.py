"""The 报表导出 page and the download buttons (AppTest cannot read a download's bytes, so the byte-building
function is tested directly)."""
from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from perfboard.filters import Filters
from ui.export import export_bytes, file_name

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def test_reports_page_offers_every_download(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/reports.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "报表导出"
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["下载自评表（.xlsx）", "下载自评报告（.docx）", "下载简报（.docx）", "下载简报（.pdf）"]
    at.radio(key="rep_variant").set_value("sichuan").run()
    at.selectbox(key="rep_project").select_index(4).run()
    at.radio(key="rep_fill").set_value("stored").run()
    at.checkbox(key="rep_achievement").check().run()
    assert not at.exception, [e.value for e in at.exception]


def test_reports_page_without_projects(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["f_search"] = "不存在的项目名称"
    at.switch_page("pages/reports.py").run()
    assert not at.exception
    assert any("没有项目" in i.value for i in at.info)
    assert not at.get("download_button")


def test_download_bytes_and_names():
    df = pd.DataFrame({"项目名称": ["=1+1", "乙"], "全年预算数（万元）": [1.5, 2.0], "执行率": [0.5, 1.0], "状态": ["红", "绿"]})
    f = Filters(year=2024)
    ws = load_workbook(io.BytesIO(export_bytes(df, "预算执行偏离", f))).worksheets[0]
    assert ws["A1"].value == "预算执行偏离" and ws["A2"].value.startswith("筛选：2024 年度")
    assert ws["A4"].value == "=1+1" and ws["A4"].data_type == "s"
    assert ws["B4"].number_format == "#,##0.00" and ws["C4"].number_format == "0.00%"
    csv_bytes = export_bytes(df, "预算执行偏离", f, fmt="csv")
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and "'=1+1" in csv_bytes.decode("utf-8-sig")
    assert file_name("预算执行偏离", f, "xlsx", datetime(2025, 3, 1, 9, 5)) == "预算执行偏离-2024年度-20250301-0905.xlsx"
    assert file_name("a/b: c", Filters(), "csv", datetime(2025, 3, 1)) == "a_b_c-全部年度-20250301-0000.csv"


PAGE_BUTTONS = {
    "pages/overview.py": ["exp_attention"],
    "pages/execution.py": ["exp_exec_projects", "exp_exec_dept", "exp_exec_fund"],
    "pages/deviations.py": ["exp_dev_budget", "exp_dev_indicators", "exp_dev_quality"],
    "pages/compare.py": ["exp_cmp_items", "exp_cmp_department", "exp_cmp_funding_source", "exp_cmp_indicators"],
    "pages/indicators_edit.py": ["exp_score"],
    "pages/history.py": ["exp_history"],
}


@pytest.mark.parametrize("page", sorted(PAGE_BUTTONS))
def test_table_pages_offer_xlsx_and_csv(app_env, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["dev_indicator_view"] = "全部指标"      # the sample has no deviating indicator to show
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    keys = {b.key for b in at.get("download_button")}
    for k in PAGE_BUTTONS[page]:
        assert {f"{k}_xlsx", f"{k}_csv"} <= keys, (page, k, keys)


def test_excel_button_is_off_for_a_table_longer_than_a_sheet(app_env, monkeypatch):
    """全部指标 at a province's scale has millions of rows: Excel cannot hold them, CSV can."""
    from perfboard.export import tables
    from ui import export as ui_export
    monkeypatch.setattr(ui_export, "MAX_XLSX_ROWS", 10)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.session_state["dev_indicator_view"] = "全部指标"
    at.switch_page("pages/deviations.py").run()
    assert not at.exception
    buttons = {b.key: b.proto for b in at.get("download_button")}
    xlsx, csv = buttons["exp_dev_indicators_xlsx"], buttons["exp_dev_indicators_csv"]
    assert xlsx.disabled and "超过 Excel 工作表的行数上限" in xlsx.help
    assert not csv.disabled
    assert tables.MAX_XLSX_ROWS > 1_000_000        # the real limit is untouched
