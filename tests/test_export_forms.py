"""The 项目支出绩效自评表 export: layout re-opened with openpyxl (merges, borders, wrap, print setup, values),
sheet names, the formula guard, and the round trip through the forms importer."""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

from perfboard.export.forms import FormIndicator, forms_xlsx, sheet_names, sichuan_target
from perfboard.filters import Filters
from perfboard.indicators import indicator_rows
from perfboard.summary import projects

Y2024 = Filters(year=2024)
ZS = "2024 年招商引资"


def book(data: bytes):
    return load_workbook(io.BytesIO(data))


def merged(ws) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}


def test_one_sheet_per_project_in_list_order(sample_store):
    wb = book(forms_xlsx(sample_store, Y2024))
    names = list(projects(sample_store, Y2024)["name"])
    assert wb.sheetnames == sheet_names(names)
    assert len(wb.sheetnames) == 12


def test_national_layout(sample_store):
    ws = book(forms_xlsx(sample_store, Y2024))[ZS]
    m = merged(ws)
    assert ws["A1"].value == "项目支出绩效自评表" and ws["A2"].value == "（2024年度）"
    assert {"A1:J1", "A2:J2", "A3:B3", "C3:J3", "A4:B4", "C4:F4", "H4:J4", "A5:A9", "I5:J5", "B6:C6",
            "A10:A11", "B10:F10", "G10:J10", "B11:F11", "G11:J11"} <= m
    assert (ws["A3"].value, ws["C3"].value) == ("项目名称", ZS)
    assert (ws["A4"].value, ws["C4"].value, ws["G4"].value) == ("主管部门", "张掖市科学技术局", "实施单位")
    # no weights in the sample: the 分值/得分 labels say 估算 (issue 15)
    assert [ws.cell(5, c).value for c in range(4, 10)] == ["年初预算数", "全年预算数", "全年执行数", "分值（估算）", "执行率",
                                                          "得分（估算）"]
    assert [ws.cell(r, 2).value for r in range(6, 10)] == ["年度资金总额", "其中：本年财政拨款", "上年结转资金", "其他资金"]
    assert (ws["D6"].value, ws["E6"].value, ws["F6"].value) == (None, 5, 3.537)     # 年初预算数 not in the report
    assert ws["F6"].number_format == "#,##0.00##"
    assert ws["H6"].value == 0.704 and ws["H6"].number_format == "0.00%"      # the reported rate, as reported
    assert ws["G6"].value == 10 and ws["I6"].value == pytest.approx(round(3.537 / 5 * 10, 2))
    assert ws["B11"].value == "年度赴外招商 2 次，全年引进落地项目 1 项。"
    assert ws["B11"].alignment.wrap_text and ws["B11"].alignment.horizontal == "left"
    assert [ws.cell(12, c).value for c in range(1, 10)] == ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值",
                                                           "实际完成值", "分值（估算）", "得分（估算）", "偏差原因分析及改进措施"]
    # 6 indicators: 产出 (成本, 数量 x2, 质量, 时效) then 满意度; 一级 merged over its rows, 二级 within
    assert "A12:A18" in m and "B13:B17" in m and "C14:C15" in m
    assert [ws.cell(r, 4).value for r in range(13, 19)] == ["项目总成本", "年度赴外招商", "全年引进落地项目", "经费支出合规性",
                                                           "资金拨付及时性", "服务对象满意度"]
    assert (ws["E14"].value, ws["F14"].value) == ("2次", "2次")
    assert ws["A19"].value == "总分（估算）" and "A19:F19" in m
    assert ws["G19"].value == pytest.approx(100)
    # borders: every side of plain cells, the outer edges of merged ranges
    sides = lambda ref: {k for k in ("left", "right", "top", "bottom") if getattr(getattr(ws[ref].border, k), "style", None) == "thin"}  # noqa: E731
    for ref in ("D14", "E14", "G6", "H19", "A3", "C3"):
        assert sides(ref) == {"left", "right", "top", "bottom"}, ref
    assert {"right", "top", "bottom"} <= sides("J3") and {"left", "right"} <= sides("A15")
    assert {"top", "bottom"} <= sides("C7") and {"bottom"} <= sides("F19")
    assert sides("A1") == set()
    # print: A4 portrait, one page wide, print area over the whole form
    assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_area == f"'{ZS}'!$A$1:$J$20"


def test_computed_scores_are_the_scoring_modules(sample_store):
    from perfboard.scoring import scores
    s = {p["name"]: sc for p, sc in scores(sample_store, Y2024)}[ZS]
    ws = book(forms_xlsx(sample_store, Y2024))[ZS]
    assert ws["H19"].value == pytest.approx(s.total)
    assert [ws.cell(r, 8).value for r in range(13, 19)] == pytest.approx(list(s.indicators["score"]))
    assert "估算" in ws["A20"].value          # no weights in the sample: labelled as an estimate


def test_stored_fill_writes_the_database_as_is(sample_store):
    ws = book(forms_xlsx(sample_store, Y2024, fill="stored"))[ZS]
    assert ws["H6"].value == pytest.approx(0.704)          # the reported (wrong) rate, for checking
    assert ws["I6"].value is None and ws["H19"].value is None and ws["G13"].value is None
    assert ws["A20"].value is None


def test_sichuan_layout(sample_store):
    ws = book(forms_xlsx(sample_store, Y2024, variant="sichuan"))["市级科技计划项目"]
    m = merged(ws)
    assert ws["A4"].value == "主管部门及代码"
    assert [ws.cell(5, c).value for c in range(4, 11)] == ["年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重（估算）",
                                                          "得分（估算）", "原因"]
    assert ws["B7"].value == "其中：财政拨款" and ws["B8"].value == "上年结转"
    assert ws["G10"].value == "实际完成目标" and "G10:L10" in m
    assert [ws.cell(12, c).value for c in range(2, 12)] == ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位",
                                                           "完成值", "权重（估算）", "得分（估算）", "未完成原因分析"]
    # "30人以上" split into 指标性质 / 指标值 / 度量单位
    assert (ws["D14"].value, ws["E14"].value, ws["F14"].value, ws["G14"].value, ws["H14"].value) == \
        ("培训我市从事科技创新管理和服务工作的从业人员", "≥", "30", "人", "55人")
    assert ws.print_area.endswith("$A$1:$L$22")        # 8 indicators since issue 15 added the system's 4 targets


def test_sichuan_target_split():
    def ind(**kw):
        base = dict(level1=None, level2=None, level3=None, target_text=None, actual_text=None, direction=None,
                    target_value=None, target_unit=None, weight=None, score=None, deviation_note=None)
        return FormIndicator(**{**base, **kw})
    assert sichuan_target(ind(target_text="≥95%", direction="≥", target_value=95.0, target_unit="%")) == ("≥", "95", "%")
    assert sichuan_target(ind(target_text="≤2.5万元", direction="≤", target_value=2.5, target_unit="万元")) == \
        ("≤", "2.5", "万元")
    assert sichuan_target(ind(target_text="及时拨付", direction="定性")) == ("定性", "及时拨付", None)
    assert sichuan_target(ind()) == (None, None, None)


def test_sheet_names():
    names = sheet_names(["a" * 40, "a" * 40, "A" * 40, "x/y:z[1]*?", "'quoted'", "", "Sheet"])
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)
    assert names[0] == "a" * 31 and names[1] == "a" * 28 + "(2)" and names[2] == "A" * 28 + "(3)"
    assert names[3] == "x_y_z_1___" and names[4] == "quoted" and names[5] == "项目"


def test_one_project_only(sample_store):
    pid = int(projects(sample_store, Y2024).query("name == @ZS")["id"].iloc[0])
    wb = book(forms_xlsx(sample_store, Y2024, project_ids=[pid]))
    assert wb.sheetnames == [ZS]


def test_no_projects_is_a_clear_error(sample_store):
    with pytest.raises(ValueError, match="没有项目"):
        forms_xlsx(sample_store, Filters(year=1999))


def _flat_workbook(rows: list[list]) -> bytes:
    """A flat import workbook whose text cells are all strings (pandas would write "=..." as a formula)."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_user_text_never_becomes_a_formula(store):
    from perfboard.importer import commit, prepare
    data = _flat_workbook([["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "年度总体目标"],
                           [2024, "某局", '=HYPERLINK("http://x","a")', 1, 1, "-目标"],
                           [2024, "某局", "+1", 2, 2, "@目标"]])
    plan = prepare(store, [("p.xlsx", data)])
    assert plan.ok, [p.text() for p in plan.report.errors]
    commit(store, plan)
    assert set(projects(store, Filters(year=2024))["name"]) == {'=HYPERLINK("http://x","a")', "+1"}
    wb = book(forms_xlsx(store, Filters(year=2024)))
    values = {wb[s]["C3"].value: wb[s]["C3"] for s in wb.sheetnames}
    for text in ('=HYPERLINK("http://x","a")', "+1"):
        assert values[text].data_type == "s"
    assert {wb[s]["B11"].value for s in wb.sheetnames} == {"-目标", "@目标"}


# ---------------------------------------------------------------- round trip through the importer
def _same(a, b) -> bool:
    blank = lambda x: x is None or (isinstance(x, float) and math.isnan(x)) or x == ""  # noqa: E731
    if blank(a) or blank(b):
        return blank(a) and blank(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


PROJECT_FIELDS = ["year", "department", "unit", "name", "initial_budget", "budget", "spent", "reported_rate", "goal",
                  "achievement"]
INDICATOR_FIELDS = ["level1", "level2", "level3", "actual_text", "actual_value", "actual_unit", "direction",
                    "target_value", "target_unit", "weight", "reported_score", "deviation_note"]


def _roundtrip(store, filters, variant, fill):
    pytest.importorskip("perfboard.forms")
    from perfboard.importer import parse_file
    batch = parse_file("exported.xlsx", forms_xlsx(store, filters, variant=variant, fill=fill))
    assert batch.report.ok, [p.text() for p in batch.report.errors]
    assert not [p for p in batch.report.problems if p.code in ("form-incomplete", "template-text", "date-in-text")]
    return batch


@pytest.mark.parametrize("variant", ["national", "sichuan"])
def test_round_trip_stored_forms_reimport_identically(sample_store, variant):
    batch = _roundtrip(sample_store, Y2024, variant, "stored")
    pdf = projects(sample_store, Y2024)
    ind = indicator_rows(sample_store, Y2024, project_df=pdf)
    assert len(batch.projects) == len(pdf) == 12
    for got, want in zip(batch.projects, pdf.to_dict("records")):
        for f in PROJECT_FIELDS + (["deviation_reason"] if variant == "sichuan" else []):
            assert _same(got[f], want[f]), (want["name"], f, got[f], want[f])
    fields = INDICATOR_FIELDS + (["target_text"] if variant == "national" else [])
    assert len(batch.indicators) == len(ind) == 62
    for got, want in zip(batch.indicators, ind.to_dict("records")):
        assert batch.projects[got["ref"]]["name"] == want["project_name"]
        for f in fields:
            assert _same(got[f], want[f]), (want["project_name"], want["level3"], f, got[f], want[f])


def test_round_trip_funds_and_scores(store):
    """A project with its money split and stored weights/scores comes back with the same split and scores."""
    pytest.importorskip("perfboard.forms")
    from perfboard.importer import commit, parse_file, prepare
    from tests.form_fixtures import Form, Ind, build
    form = Form(name="2022年市级科技计划项目", money={"total": (425, 425, 420), "current": (400, 400, 395),
                                                    "carryover": (25, 25, 25)},
                exec_weight=10, rate=420 / 425, exec_score=9.88,
                indicators=[Ind("产出指标", "数量指标", "立项数量", "≥70项", "77项", 50, 50),
                            Ind("效益指标", "社会效益指标", "影响力", "显著提升", "效果明显", 30, 24, "宣传不足，明年加强"),
                            Ind("满意度指标", "服务对象满意度指标", "满意度", "≥95%", "96%", 10, 10)],
                total_weight=100, total_score=93.88)
    data, _ = build([("表", form)])
    plan = prepare(store, [("in.xlsx", data)])
    assert plan.ok, [p.text() for p in plan.report.errors]
    commit(store, plan)
    f = Filters(year=2022)
    for variant in ("national", "sichuan"):
        batch = parse_file("out.xlsx", forms_xlsx(store, f, variant=variant, fill="stored"))
        assert batch.report.ok, [p.text() for p in batch.report.errors]
        (p,) = batch.projects
        assert (p["budget"], p["spent"], p["execution_weight"], p["execution_reported_score"]) == (425, 420, 10, 9.88)
        assert p["reported_total_score"] == pytest.approx(93.88)
        assert sorted((x["kind"], x["budget"], x["spent"]) for x in batch.funds) == \
            [("carryover", 25, 25), ("current", 400, 395)]
        assert [(i["weight"], i["reported_score"], i["deviation_note"]) for i in batch.indicators] == \
            [(50, 50, None), (30, 24, "宣传不足，明年加强"), (10, 10, None)]


def test_round_trip_computed_forms_read_back_estimates_as_estimates(sample_store):
    """issue 15: estimated 分值/得分 are labelled 估算 and left out on import (estimated again there), the
    reported 执行率 stays as reported, the judgements come back."""
    batch = _roundtrip(sample_store, Y2024, "national", "computed")
    assert all(p["execution_weight"] is None and p["execution_reported_score"] is None
               and p["reported_total_score"] is None for p in batch.projects)
    assert all(i["weight"] is None and i["reported_score"] is None for i in batch.indicators)
    rates = {p["name"]: p["reported_rate"] for p in batch.projects}
    assert rates["2024 年招商引资"] == 0.704
    assert sum(i["judgement"] == "达成" for i in batch.indicators) == 52
    left_out = [x for x in batch.report.problems if x.code == "estimate-left-out"]
    assert {(x.sheet, x.column) for x in left_out if x.sheet == "2024 年招商引资"} == {
        ("2024 年招商引资", "分值（估算）"), ("2024 年招商引资", "得分（估算）")}
    assert not [x for x in batch.report.problems if x.code in ("weight-mismatch", "total-mismatch", "score-mismatch")]

def test_each_form_holds_its_own_projects_rows_in_form_order(sample_store):
    """form_projects splits the filter's fund and indicator rows once; every project still gets exactly its
    own rows, in position order (the reference: a scan of all rows per project)."""
    from perfboard.export.forms import form_projects
    f = Filters()
    pdf = projects(sample_store, f)
    ind = indicator_rows(sample_store, f, project_df=pdf)
    funds = sample_store.df("project_funds", tables={"project_ids": pdf[["id"]]})
    got = form_projects(sample_store, f, fill="stored")
    assert [p.name for p in got] == list(pdf["name"]) and len(got) > 12
    for p, pid in zip(got, pdf["id"]):
        own = ind[ind["project_id"] == pid].sort_values("position")
        assert [(i.level3, i.target_text, i.actual_text) for i in p.indicators] == \
            [tuple(None if pd.isna(v) else v for v in r) for r in own[["level3", "target_text", "actual_text"]].itertuples(index=False)]
        kinds = sorted(funds.loc[funds["project_id"] == pid, "kind"])
        assert sorted(k for k in p.funds if k != "total") == kinds


# ---------------------------------------------------------------- the fast writer is the plain openpyxl one
def _dump(data: bytes) -> dict:
    """Everything a form shows, read back: sheets, values and types, resolved styles, merges, sizes, print setup."""
    wb = book(data)
    out = {"sheets": wb.sheetnames, "props": (wb.properties.title, wb.properties.creator)}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None or c.has_style:
                    f, a, b = c.font, c.alignment, c.border
                    cells[c.coordinate] = (c.value, c.data_type, c.number_format, f.name, f.sz, f.b,
                                           f.color.rgb if f.color is not None else None, a.horizontal, a.wrap_text,
                                           tuple(getattr(getattr(b, s), "style", None) for s in ("left", "right", "top", "bottom")),
                                           c.fill.fill_type, c.fill.fgColor.rgb if c.fill.fill_type else None)
        out[ws.title] = (cells, sorted(str(r) for r in ws.merged_cells.ranges),
                         {k: v.width for k, v in ws.column_dimensions.items()},
                         {k: v.height for k, v in ws.row_dimensions.items()}, ws.print_area,
                         ws.page_setup.orientation, ws.sheet_properties.pageSetUpPr.fitToPage)
    return out


@pytest.mark.parametrize("variant", ["national", "sichuan"])
@pytest.mark.parametrize("year", [2024, 2023])
def test_fast_writer_writes_what_plain_openpyxl_writes(sample_store, monkeypatch, variant, year):
    """Styles by copied style arrays and merges without ws.merge_cells (issue 19: 3,451 forms 58.8 -> 34.5 s
    CPU) give the very form the plain calls give: cells, styles, merges, sizes (the 2023 sample says 示例（虚构）)."""
    from perfboard.export import forms
    fast = forms_xlsx(sample_store, Filters(year=year), variant)

    def plain_merged(self, r1, c1, r2, c2, value, **kw):
        if (r1, c1) != (r2, c2):
            self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        cell = self.put(r1, c1, value, **kw)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                if (r, c) != (r1, c1):
                    self.ws.cell(row=r, column=c).style = cell.style
        return cell

    monkeypatch.setattr(forms._Sheet, "merged", plain_merged)
    monkeypatch.setattr(forms._Sheet, "_apply", lambda self, cell, name: setattr(cell, "style", name))
    plain = forms_xlsx(sample_store, Filters(year=year), variant)
    a, b = _dump(fast), _dump(plain)
    assert a == b
    if year == 2023:
        assert "示例（虚构）" in book(fast).worksheets[0]["A1"].value


def test_a_whole_province_of_forms_is_refused_in_chinese(sample_store, monkeypatch):
    from perfboard.export import forms
    monkeypatch.setattr(forms, "MAX_SHEETS", 11)             # the sample's 12 projects stand in for 200,000
    with pytest.raises(ValueError, match=r"最多 11 个项目，当前筛选出 12 个。请按主管部门分别导出"):
        forms_xlsx(sample_store, Y2024)
    pids = [int(i) for i in projects(sample_store, Y2024)["id"]]
    assert len(book(forms_xlsx(sample_store, Y2024, project_ids=pids[:11])).sheetnames) == 11
    with pytest.raises(ValueError, match="当前筛选出 12 个"):
        forms_xlsx(sample_store, Y2024, project_ids=pids + [10**9])    # an unknown id is not counted
