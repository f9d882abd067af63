"""Filtered-table exports: .xlsx re-opened with openpyxl (title, headers, formats, frozen header,
autofilter, lights, totals, formula guard) for both writers, and .csv (BOM, encoding, quote guard)."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape

from perfboard.export.tables import (FIRST_DATA_ROW, Col, auto_totals, infer_spec, is_risky, make_spec, to_csv,
                                     to_xlsx)
from perfboard.filters import Filters

RISKY = ['=HYPERLINK("http://x","a")', "+1", "-2", "@SUM(A1)", "\tcmd", "\r=1+1"]
SPEC = [("name", "项目名称"), ("budget", "全年预算数（万元）", "wan"), ("spent", "全年执行数（万元）", "wan"),
        ("rate", "执行率", "rate"), ("light", "状态", "light"), ("n", "指标数", "int")]
NOW = datetime(2025, 3, 1, 9, 30)


def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["招商引资", "科技活动周", "无预算项目"] + RISKY,
        "budget": [5, 1234567.891, None, 1, 1, 1, 1, 1, 1],
        "spent": [3.537, 1234567.891, 2, 1, 1, 1, 1, 1, 1.2],
        "rate": [0.7074, 1.0, None, 1, 1, 1, 1, 1, 1.2],
        "light": ["红", "绿", "无预算", "绿", "绿", "黄", "绿", "绿", "超预算"],
        "n": [6, 7, 0, 1, 1, 1, 1, 1, 1],
    })


def reopen(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def widths(ws) -> dict[str, float]:
    """Column letter -> width (openpyxl folds runs of equal widths into one dimension)."""
    out = {}
    for dim in ws.column_dimensions.values():
        for i in range(dim.min, dim.max + 1):
            out[get_column_letter(i)] = dim.width
    return out


def value(cell):
    """The text as Excel shows it: xlsxwriter writes a CR as the OOXML escape _x000D_, openpyxl keeps it."""
    return unescape(cell.value) if isinstance(cell.value, str) else cell.value


@pytest.fixture(params=["openpyxl", "xlsxwriter"])
def engine(request):
    return request.param


def test_layout_title_headers_freeze_filter(engine):
    df = frame()
    ws = reopen(to_xlsx(df, "项目执行情况", Filters(year=2024, departments=("张掖市科学技术局",)), SPEC,
                        engine=engine, now=NOW))
    assert ws.title == "项目执行情况"
    assert ws["A1"].value == "项目执行情况" and ws["A1"].font.bold
    assert ws["A2"].value == "筛选：2024 年度；部门：张掖市科学技术局　　导出时间：2025-03-01 09:30"
    assert [c.value for c in ws[3]] == ["项目名称", "全年预算数（万元）", "全年执行数（万元）", "执行率", "状态", "指标数"]
    assert all(c.font.bold for c in ws[3])
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == f"A3:F{3 + len(df)}"
    assert ws.max_row == 3 + len(df)
    # widths fitted: the long name column is wider than the short count column, none absurdly wide
    w = widths(ws)
    assert w["A"] > w["F"] and max(w.values()) <= 61
    assert w["B"] >= len("1,234,567.89")


def test_numbers_stay_numbers_with_formats(engine):
    ws = reopen(to_xlsx(frame(), "t", "筛选", SPEC, engine=engine))
    r = FIRST_DATA_ROW + 1
    assert ws.cell(r, 2).value == 5 and ws.cell(r, 2).number_format == "#,##0.00"
    assert ws.cell(r, 3).value == pytest.approx(3.537)           # exact value kept, two decimals shown
    assert ws.cell(r, 4).value == pytest.approx(0.7074) and ws.cell(r, 4).number_format == "0.00%"
    assert ws.cell(r, 6).value == 6 and ws.cell(r, 6).number_format == "#,##0"
    assert ws.cell(r + 1, 2).value == pytest.approx(1234567.891)
    assert ws.cell(r + 2, 2).value is None and ws.cell(r + 2, 4).value is None     # missing stays empty


def test_lights_coloured(engine):
    ws = reopen(to_xlsx(frame(), "t", "", SPEC, engine=engine))
    fills = {ws.cell(r, 5).value: ws.cell(r, 5).fill.fgColor.rgb[-6:] for r in range(4, ws.max_row + 1)}
    assert fills == {"红": "FFC7CE", "绿": "C6EFCE", "无预算": "EDEDED", "黄": "FFEB9C", "超预算": "E4DFEC"}


def test_totals_row(engine):
    df = frame().iloc[:3]
    tot = auto_totals(df, SPEC, rate=("rate", "spent", "budget"))
    assert tot["rate"] == pytest.approx((3.537 + 1234567.891 + 2) / (5 + 1234567.891))
    ws = reopen(to_xlsx(df, "t", "", SPEC, tot, engine=engine))
    last = ws.max_row
    assert last == 3 + 3 + 1
    assert ws.cell(last, 1).value == "合计" and ws.cell(last, 1).font.bold
    assert ws.cell(last, 2).value == pytest.approx(5 + 1234567.891)
    assert ws.cell(last, 2).number_format == "#,##0.00" and ws.cell(last, 2).font.bold
    assert ws.cell(last, 4).number_format == "0.00%"
    assert ws.auto_filter.ref == "A3:F6"            # sorting the data never moves the totals row


def test_totals_from_a_page_total_frame(engine):
    df = pd.DataFrame({"项目名称": ["甲", "乙"], "全年预算数（万元）": [1.0, 2.0]})
    total = pd.DataFrame([{"项目名称": "合计（2 个项目）", "全年预算数（万元）": 3.0}])
    ws = reopen(to_xlsx(df, "t", "", None, total, engine=engine))
    assert [c.value for c in ws[ws.max_row]] == ["合计（2 个项目）", 3]
    assert ws.cell(ws.max_row, 2).number_format == "#,##0.00"


def test_formula_injection_guard_xlsx(engine):
    data = to_xlsx(frame(), "t", "=cmd|' /C calc'!A0", SPEC, engine=engine)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet              # no formula anywhere
    ws = reopen(data)
    names = {value(ws.cell(r, 1)): ws.cell(r, 1) for r in range(4, ws.max_row + 1)}
    for text in RISKY:
        cell = names[text]
        assert cell.data_type == "s", text
        assert cell.quotePrefix, text
    assert names["招商引资"].quotePrefix is False
    # also reloaded with data_only: still the text, not a computed value
    ws2 = load_workbook(io.BytesIO(data), data_only=True).worksheets[0]
    assert ws2.cell(4 + 3, 1).value == RISKY[0]


def test_same_workbook_from_both_writers():
    a, b = (reopen(to_xlsx(frame(), "t", "f", SPEC, engine=e, now=NOW)) for e in ("openpyxl", "xlsxwriter"))
    rows = lambda ws: [[value(c) for c in row] for row in ws.iter_rows()]  # noqa: E731
    assert rows(a) == rows(b)
    assert [c.number_format for c in a[4]] == [c.number_format for c in b[4]]


def test_default_engine_is_xlsxwriter_and_large_table_keeps_formats():
    n = 3000
    df = pd.DataFrame({"name": [f"项目{i}" for i in range(n)], "budget": [float(i) for i in range(n)],
                       "spent": [i * 0.9 for i in range(n)], "rate": [0.9] * n, "light": ["黄"] * n, "n": [1] * n})
    data = to_xlsx(df, "t", "", SPEC)
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(min_row=n + 3, max_row=n + 3))
    assert rows[0][1].number_format == "#,##0.00" and rows[0][3].number_format == "0.00%"


def test_csv_bom_headers_numbers_and_guard():
    df = frame()
    data = to_csv(df, SPEC, auto_totals(df, SPEC))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["项目名称", "全年预算数（万元）", "全年执行数（万元）", "执行率", "状态", "指标数"]
    assert rows[1] == ["招商引资", "5", "3.537", "70.74%", "红", "6"]
    assert rows[2][1] == "1234567.891"                        # no separators, full precision
    assert rows[3][1] == "" and rows[3][3] == ""               # missing stays empty
    guarded = [r[0] for r in rows[4:4 + len(RISKY)]]
    assert guarded == ["'" + t for t in RISKY]
    assert rows[-1][0] == "合计"
    assert text.encode("utf-8").decode("utf-8") == text         # valid UTF-8 throughout


def test_csv_keeps_negative_numbers_numeric():
    df = pd.DataFrame({"x": ["-5"], "y": [-5.5]})
    rows = list(csv.reader(io.StringIO(to_csv(df, [("x", "文本"), ("y", "数", "num")]).decode("utf-8-sig"))))
    assert rows[1] == ["'-5", "-5.5"]


def test_spec_conventions():
    df = pd.DataFrame({"项目名称": ["a"], "全年预算数（万元）": [1.0], "执行率": [1.0], "执行率（加权）": [1.0],
                       "差异（百分点）": [0.1], "2024 执行率（%）": [70.74], "状态": ["绿"], "项目数": [1], "填报不一致": [True]})
    kinds = {c.header: c.kind for c in infer_spec(df)}
    assert kinds == {"项目名称": "text", "全年预算数（万元）": "wan", "执行率": "rate", "执行率（加权）": "rate",
                     "差异（百分点）": "num", "2024 执行率（%）": "num", "状态": "light", "项目数": "int", "填报不一致": "text"}
    assert make_spec(df, [("项目名称", "名称")]) == [Col("项目名称", "名称", "text")]
    with pytest.raises(KeyError):
        make_spec(df, [("nope", "x")])
    with pytest.raises(ValueError):
        Col("a", "b", "money")
    ws = reopen(to_xlsx(df, "t", ""))
    assert ws.cell(4, 9).value == "是"


def test_is_risky():
    assert all(is_risky(t) for t in RISKY)
    assert not any(is_risky(t) for t in ["", "招商", "1+1", " =1", "＝100%"])


def test_empty_table(engine):
    df = frame().iloc[0:0]
    ws = reopen(to_xlsx(df, "空表", "", SPEC, engine=engine))
    assert ws.max_row == 3 and ws.auto_filter.ref == "A3:F3"
    assert to_csv(df, SPEC).decode("utf-8-sig").strip() == "项目名称,全年预算数（万元）,全年执行数（万元）,执行率,状态,指标数"


def test_long_title_makes_a_valid_sheet_name():
    ws = reopen(to_xlsx(frame(), "张掖市科学技术局 2024 年度 [项目] 执行情况：按主管部门/资金来源汇总的明细表格", "", SPEC))
    assert len(ws.title) <= 31 and not set("[]:*?/\\") & set(ws.title)


def test_a_table_longer_than_an_excel_sheet_is_refused_with_a_message(monkeypatch):
    import pandas as pd

    from perfboard.export import tables
    monkeypatch.setattr(tables, "MAX_XLSX_ROWS", 3)
    df = pd.DataFrame({"项目名称": list("甲乙丙丁"), "全年预算数（万元）": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(tables.TooManyRows, match="共 4 行，超过 Excel 工作表的行数上限"):
        tables.to_xlsx(df, "全部指标")
    assert tables.to_xlsx(df.head(3), "全部指标")[:2] == b"PK"
