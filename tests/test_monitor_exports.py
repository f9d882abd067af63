"""Monitoring exports (issue 17): the table as .xlsx / .csv, the one-page brief as .docx / .pdf."""
from __future__ import annotations

import io

import pytest

from monitor_fixtures import JIA, YI, form_book
from perfboard import monitoring
from perfboard.db import Store
from perfboard.export.monitor_brief import NoSnapshot, monitor_brief_bytes, monitor_brief_data
from perfboard.filters import Filters
from perfboard.importer import commit, prepare
from ui.export import export_bytes


@pytest.fixture
def store():
    s = Store(":memory:")
    plan = prepare(s, [("m.xlsx", form_book())])
    commit(s, plan)
    yield s
    s.close()


def test_table_exports_every_row_with_numbers_and_lights(store):
    from openpyxl import load_workbook
    df = monitoring.table(store, Filters(), 2024, 7, worst_first=True)
    assert df["项目名称"].tolist() == [JIA["name"], YI["name"]]        # 甲 is red and furthest behind
    ws = load_workbook(io.BytesIO(export_bytes(df, "运行监控", Filters(year=2024)))).active
    header = [c.value for c in ws[3]]
    row = dict(zip(header, [c.value for c in ws[4]]))
    assert row["项目名称"] == JIA["name"] and row["预算数（万元）"] == 100 and row["执行率"] == pytest.approx(0.3)
    assert row["状态"] == "红" and row["风险"] == "是" and "28.3 个百分点" in row["风险原因"]
    csv = export_bytes(df, "运行监控", Filters(year=2024), fmt="csv").decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("项目名称,主管部门,预算数（万元）")
    assert len(csv.strip().splitlines()) == 3


def test_brief_content_docx_and_pdf(store):
    data = monitor_brief_data(store, Filters(), with_chart=False)
    assert data.title == "各部门 2024 年 1—7月绩效运行监控简报"
    assert {f.label: f.value for f in data.figures} == {
        "项目数": "2 个", "预算数（万元）": "300.00", "1—7月执行数（万元）": "140.00", "执行率": "46.67%",
        "红 / 黄 / 绿": "1 / 1 / 0", "风险项目": "2 个"}
    assert [a["name"] for a in data.attention] == [JIA["name"], YI["name"]]
    assert "偏差原因：经费保障、人员保障、审批延迟" in data.attention[1]["lines"]
    assert data.quality == ["指标 绿 1 条", "指标 黄 2 条", "指标 红 2 条", "指标 蓝 2 条", "待判定 0 条"]
    from docx import Document
    doc = Document(io.BytesIO(monitor_brief_bytes(store, Filters(), 2024, 7, "docx")))
    text = "\n".join(p.text for p in doc.paragraphs) + "".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "绩效运行监控简报" in text and "风险项目（2 个）" in text and YI["name"] in text
    pdf = monitor_brief_bytes(store, Filters(), 2024, 7, "pdf")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + \
        pdf.count(b"/Type /Page ") >= 1


def test_brief_without_snapshot(store):
    with pytest.raises(NoSnapshot):
        monitor_brief_data(store, Filters(), 2023, 7)
