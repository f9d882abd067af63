"""Importing the flat workbook and CSV: every bad-input case of issue 2, located exactly
(code, severity, sheet, row, column), and the database row-for-row unchanged after each refusal."""
from __future__ import annotations

import io
import random
import time
import zipfile
from contextlib import contextmanager

import pytest
from openpyxl import Workbook, load_workbook

from perfboard import importer, readers
from perfboard.importer import ImportRefused, commit, prepare
from perfboard.validation_report import MAX_PROBLEMS
from perfboard.template import template_bytes

DEPT = "张掖市科学技术局"
P_HEADERS = ["年度", "主管部门", "实施单位", "项目编码", "项目名称", "资金来源", "年初预算数（万元）",
             "全年预算数（万元）", "全年执行数（万元）", "执行率", "项目概况", "年度总体目标", "实际完成情况",
             "偏离原因", "改进措施"]          # column H is 全年预算数, I is 全年执行数, J is 执行率
I_HEADERS = ["年度", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
BUDGET, SPENT, RATE = "全年预算数（万元）", "全年执行数（万元）", "执行率"


# ---------------------------------------------------------------- building input files
def project(name="科技计划项目", budget=100, spent=95, *, year=2024, dept=DEPT, rate=None, **more) -> dict:
    return {"年度": year, "主管部门": dept, "项目名称": name, BUDGET: budget, SPENT: spent, RATE: rate, **more}


def indicator(project_name="科技计划项目", level3="科技计划项目数量", target="≥25项", actual="30项", *, year=2024,
              **more) -> dict:
    return {"年度": year, "项目名称": project_name, "一级指标": "产出指标", "二级指标": "数量指标", "三级指标": level3,
            "年度指标值": target, "实际完成值": actual, "分值": 10, "得分": 10, **more}


def xlsx(projects=(), indicators=None, *, p_headers=P_HEADERS, i_headers=I_HEADERS, project_sheet="项目",
         edit=None) -> bytes:
    """A flat workbook: rows are dicts keyed by header (missing keys are blank cells)."""
    wb = Workbook()
    ws = wb.active
    ws.title = project_sheet
    ws.append(p_headers)
    for row in projects:
        ws.append([row.get(h) for h in p_headers])
    if indicators is not None:
        wi = wb.create_sheet("绩效指标")
        wi.append(i_headers)
        for row in indicators:
            wi.append([row.get(h) for h in i_headers])
    if edit:
        edit(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_text(rows) -> str:
    headers = ["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "执行率"]
    lines = [",".join(headers)] + [",".join("" if r.get(h) is None else str(r.get(h)) for h in headers) for r in rows]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the database before and after
def snapshot(store) -> dict:
    """Every table of the database, every row, in a stable order."""
    cur = store.cursor()
    tables = [r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    assert {"projects", "indicators", "project_funds", "import_log", "settings", "data_version"} <= set(tables)
    return {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


@pytest.fixture
def seeded(store):
    """A database that already holds one import (2023, another department), so 'unchanged' means something."""
    plan = prepare(store, [("seed.xlsx", xlsx([project("往年项目", 10, 9, year=2023, dept="张掖市财政局")],
                                               [indicator("往年项目", year=2023)]))])
    assert plan.ok, plan.report.to_frame()
    commit(store, plan)
    store.set_setting("probe", {"a": 1})
    return store


@contextmanager
def unchanged(store):
    before = snapshot(store)
    yield
    assert snapshot(store) == before


def refused(store, files, **kw):
    """prepare must refuse; commit must refuse too; the database must be row-for-row what it was."""
    with unchanged(store):
        plan = prepare(store, files, **kw)
        assert not plan.ok
        with pytest.raises(ImportRefused):
            commit(store, plan)
    return plan


def imported(store, files, **kw):
    plan = prepare(store, files, **kw)
    assert plan.ok, plan.report.to_frame().to_string()
    commit(store, plan)
    return plan


def where(plan, code):
    return [(p.code, p.severity, p.sheet, p.row, p.column) for p in plan.report.problems if p.code == code]


def errors(plan):
    return [(p.code, p.sheet, p.row, p.column) for p in plan.report.errors]


def rows(store, sql, params=None):
    return store.cursor().execute(sql, params or []).fetchall()


# ---------------------------------------------------------------- not an Excel file / corrupt
def test_random_bytes_named_xlsx(seeded):
    data = random.Random(1).randbytes(5000)
    plan = refused(seeded, [("预算.xlsx", data)])
    assert errors(plan) == [("file-unreadable", None, None, None)]
    assert plan.report.errors[0].file == "预算.xlsx"


def test_truncated_zip(seeded):
    data = xlsx([project()])
    plan = refused(seeded, [("截断.xlsx", data[: len(data) // 2])])
    assert errors(plan) == [("file-unreadable", None, None, None)]


def test_corrupt_zip_member(seeded):
    """A zip whose sheet part is damaged (bytes flipped inside the compressed stream)."""
    data = bytearray(xlsx([project(f"项目{i}") for i in range(200)]))
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 50, start + 150):
        data[k] ^= 0x5A
    plan = refused(seeded, [("损坏.xlsx", bytes(data))])
    assert [c for c, *_ in errors(plan)] == ["file-unreadable"]


def test_docx_renamed_to_xlsx(seeded):
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    doc.add_paragraph("项目支出绩效自评报告")
    buf = io.BytesIO()
    doc.save(buf)
    plan = refused(seeded, [("自评报告.xlsx", buf.getvalue())])
    assert errors(plan) == [("file-unreadable", None, None, None)]
    plan = refused(seeded, [("自评报告.docx", buf.getvalue())])
    assert errors(plan) == [("file-type", None, None, None)]


def test_empty_file(seeded):
    plan = refused(seeded, [("空.xlsx", b"")])
    assert [c for c, *_ in errors(plan)] == ["file-unreadable"]


# ---------------------------------------------------------------- sheets and headers
def test_no_project_sheet(seeded):
    def edit(wb):
        ws = wb.active
        ws.title = "Sheet1"
        ws.delete_rows(1, ws.max_row)
        ws.append(["序号", "内容"])
        ws.append([1, "随便什么"])

    plan = refused(seeded, [("无项目表.xlsx", xlsx(edit=edit))])
    # no-sheet from the flat reader; no-form once the self-evaluation form reader (perfboard.forms) is present
    assert errors(plan) in ([("no-sheet", None, None, None)], [("no-form", None, None, None)])
    assert where(plan, "sheet-skipped") == [("sheet-skipped", "info", "Sheet1", None, None)]


def test_project_sheet_without_header(seeded):
    def edit(wb):
        ws = wb["项目"]
        ws.delete_rows(1, ws.max_row)
        for i in range(5):
            ws.append([2024, "某部门", 100, 95])

    plan = refused(seeded, [("无表头.xlsx", xlsx(edit=edit))])
    assert errors(plan) == [("no-header", "项目", None, None)]


def test_header_found_below_a_title_row(store):
    def edit(wb):
        wb["项目"].insert_rows(1, 2)
        wb["项目"]["A1"] = "2024年度项目支出绩效自评汇总表"

    plan = imported(store, [("带标题.xlsx", xlsx([project("甲", 5, 5)], edit=edit))])
    assert rows(store, "SELECT name, source_row FROM projects") == [("甲", 4)]
    assert plan.projects == 1


@pytest.mark.parametrize("header", ["年度", "项目名称", BUDGET, SPENT, "主管部门"])
def test_required_column_missing(seeded, header):
    headers = [h for h in P_HEADERS if h != header]
    plan = refused(seeded, [("缺列.xlsx", xlsx([project()], p_headers=headers))])
    missing = [p for p in plan.report.errors if p.code == "missing-column"]
    assert [(p.sheet, p.row, p.value) for p in missing] == [("项目", 1, header.replace("（万元）", ""))]
    assert plan.projects == 0


def test_extra_columns_reported_as_info_and_ignored(store):
    headers = P_HEADERS[:5] + ["备注"] + P_HEADERS[5:] + ["联系人"]
    plan = imported(store, [("多列.xlsx", xlsx([project(备注="无", 联系人="张三")], p_headers=headers))])
    assert where(plan, "unknown-column") == [("unknown-column", "info", "项目", 1, "备注"),
                                             ("unknown-column", "info", "项目", 1, "联系人")]
    assert rows(store, "SELECT name, budget, spent FROM projects") == [("科技计划项目", 100.0, 95.0)]


def test_only_projects_sheet_is_valid(store):
    plan = imported(store, [("只有项目.xlsx", xlsx([project("甲"), project("乙", 5, 5)]))])
    assert plan.report.errors == [] and plan.report.warnings == []
    assert plan.projects == 2 and plan.indicators == 0
    assert rows(store, "SELECT count(*) FROM indicators") == [(0,)]


def test_sheet_named_projects_in_english_with_english_headers(store):
    headers = ["year", "department", "project_name", "budget(元)", "spent(元)"]
    data = xlsx([{"year": 2024, "department": DEPT, "project_name": "甲", "budget(元)": 250000, "spent(元)": 125000}],
                p_headers=headers, project_sheet="projects")
    imported(store, [("en.xlsx", data)])
    assert rows(store, "SELECT name, budget, spent FROM projects") == [("甲", 25.0, 12.5)]


# ---------------------------------------------------------------- cells
def test_text_in_money(seeded):
    plan = refused(seeded, [("文字金额.xlsx", xlsx([project("甲"), project("乙", budget="二十五万")]))])
    assert errors(plan) == [("not-a-number", "项目", 3, BUDGET)]
    assert plan.report.errors[0].value == "二十五万"


def test_money_with_unit_text_parses(store):
    imported(store, [("带单位.xlsx", xlsx([project("甲", budget="25万元", spent="250000元")]))])
    assert rows(store, "SELECT budget, spent FROM projects") == [(25.0, 25.0)]


def test_money_header_in_yuan_converts(store):
    headers = [h.replace("（万元）", "（元）") for h in P_HEADERS]
    rows_in = [{"年度": 2024, "主管部门": DEPT, "项目名称": "甲", "全年预算数（元）": 50000, "全年执行数（元）": 35370,
                "年初预算数（元）": "5万元"}]
    imported(store, [("元.xlsx", xlsx(rows_in, p_headers=headers))])
    assert rows(store, "SELECT initial_budget, budget, spent FROM projects") == [(5.0, 5.0, 3.537)]


def test_money_header_unit_in_a_note_converts(store):
    headers = ["年度", "主管部门", "项目名称", "全年预算数（单位：元）", "全年执行数（单位：元）"]
    rows_in = [{"年度": 2024, "主管部门": DEPT, "项目名称": "甲", headers[3]: 50000, headers[4]: 35370}]
    imported(store, [("元.xlsx", xlsx(rows_in, p_headers=headers))])
    assert rows(store, "SELECT budget, spent FROM projects") == [(5.0, 3.537)]


def test_negative_money(seeded):
    plan = refused(seeded, [("负数.xlsx", xlsx([project("甲", spent=-3)]))])
    assert errors(plan) == [("negative-money", "项目", 2, SPENT)]


@pytest.mark.parametrize("header, blank", [("年度", {"年度": None}), ("主管部门", {"主管部门": None}),
                                           ("项目名称", {"项目名称": "  "}), (BUDGET, {BUDGET: None}),
                                           (SPENT, {SPENT: ""})])
def test_empty_required_cell(seeded, header, blank):
    plan = refused(seeded, [("空格.xlsx", xlsx([project("甲"), {**project("乙"), **blank}]))])
    assert errors(plan) == [("empty-required", "项目", 3, header)]


def test_bad_year(seeded):
    plan = refused(seeded, [("年度.xlsx", xlsx([project(year="二〇二四")]))])
    assert errors(plan) == [("bad-year", "项目", 2, "年度")]


def test_every_problem_collected_not_just_the_first(seeded):
    data = xlsx([project("甲", budget="二十五万"), project("乙", spent=-1), project(None), project("丁", year="x")])
    plan = refused(seeded, [("多错.xlsx", data)])
    assert errors(plan) == [("not-a-number", "项目", 2, BUDGET), ("negative-money", "项目", 3, SPENT),
                            ("empty-required", "项目", 4, "项目名称"), ("bad-year", "项目", 5, "年度")]


def test_spent_over_budget_is_a_warning_and_imports(store):
    plan = imported(store, [("超支.xlsx", xlsx([project("甲", 100, 110)]))])
    assert where(plan, "over-execution") == [("over-execution", "warning", "项目", 2, SPENT)]
    assert rows(store, "SELECT budget, spent FROM projects") == [(100.0, 110.0)]


def test_reported_rate_mismatch_reference_case(store):
    """The reference report's 招商引资: 3.537 of 5 万元 is 70.74%, the report says 70.4%."""
    plan = imported(store, [("招商.xlsx", xlsx([project("招商引资工作经费", 5, 3.537, rate="70.4%")]))])
    assert where(plan, "rate-mismatch") == [("rate-mismatch", "warning", "项目", 2, RATE)]
    assert [p.value for p in plan.report.warnings] == ["70.40%"]
    assert "70.74%" in plan.report.warnings[0].message
    ((reported, budget, spent),) = rows(store, "SELECT reported_rate, budget, spent FROM projects")
    assert reported == pytest.approx(0.704) and (budget, spent) == (5.0, 3.537)


@pytest.mark.parametrize("stated, warns", [("70.74%", False), (0.7074, False), (70.74, False), ("70.7%", False),
                                           ("70.78%", False), ("70.8%", True), ("70.68%", True), ("70.4%", True),
                                           (0.704, True), (None, False)])
def test_reported_rate_tolerance_is_005_points(stated, warns):
    batch = importer.parse_file("r.xlsx", xlsx([project("招商引资", 5, 3.537, rate=stated)]))
    assert batch.report.ok
    assert ("rate-mismatch" in batch.report.codes()) is warns


def test_duplicate_project_in_one_file(seeded):
    data = xlsx([project("甲"), project("乙"), project("甲", 5, 5)])
    plan = refused(seeded, [("重复.xlsx", data)])
    assert errors(plan) == [("duplicate-project", "项目", 4, "项目名称")]


def test_same_name_in_other_year_or_department_is_not_a_duplicate(store):
    plan = imported(store, [("不重复.xlsx", xlsx([project("甲"), project("甲", dept="张掖市财政局"),
                                                  project("甲", year=2023)]))])
    assert plan.projects == 3


def test_duplicates_across_two_files_in_one_import(seeded):
    a = xlsx([project("甲"), project("乙")])
    b = xlsx([project("丙"), project("乙", 5, 5)])
    plan = refused(seeded, [("a.xlsx", a), ("b.xlsx", b)])
    assert errors(plan) == [("duplicate-project", "项目", 3, "项目名称")]
    assert plan.report.errors[0].file == "b.xlsx"
    assert "a.xlsx" in plan.report.errors[0].message


def test_orphan_indicator_rows(seeded):
    inds = [indicator("甲"), indicator("不存在的项目"), indicator("甲", year=2023)]
    plan = refused(seeded, [("孤儿.xlsx", xlsx([project("甲")], inds))])
    assert errors(plan) == [("orphan-indicator", "绩效指标", 3, "项目名称"), ("orphan-indicator", "绩效指标", 4, "项目名称")]


def test_indicators_link_by_code(store):
    i_headers = ["项目编码", "三级指标", "年度指标值", "实际完成值"]
    data = xlsx([project("甲", 项目编码="P001"), project("乙", 项目编码="P002")],
                [{"项目编码": "P002", "三级指标": "数量", "年度指标值": "≥1项", "实际完成值": "2项"}], i_headers=i_headers)
    imported(store, [("编码.xlsx", data)])
    assert rows(store, "SELECT p.name, i.level3, i.direction, i.target_value, i.actual_value, i.target_text "
                       "FROM indicators i JOIN projects p ON p.id = i.project_id") == \
        [("乙", "数量", "≥", 1.0, 2.0, "≥1项")]


def test_formula_without_cached_value(seeded):
    def edit(wb):
        wb["项目"]["H2"] = "=F2*0.9"                 # H is 全年预算数 ; openpyxl saves no cached value

    plan = refused(seeded, [("公式.xlsx", xlsx([project("甲")], edit=edit))])
    assert errors(plan) == [("formula-no-value", "项目", 2, BUDGET)]
    assert plan.report.errors[0].value == "=F2*0.9"


def test_formula_without_cached_value_in_indicators(seeded):
    def edit(wb):
        wb["绩效指标"]["I3"] = "=H3"                 # I is 得分

    plan = refused(seeded, [("公式.xlsx", xlsx([project("甲")], [indicator("甲"), indicator("甲", "第二个")], edit=edit))])
    assert errors(plan) == [("formula-no-value", "绩效指标", 3, "得分")]


def test_formula_with_cached_value_imports(store):
    import xlsxwriter
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet("项目")
    ws.write_row(0, 0, ["年度", "主管部门", "项目名称", "全年预算数", "全年执行数"])
    ws.write_row(1, 0, [2024, DEPT, "甲", 100])
    ws.write_formula(1, 4, "=D2*0.9", None, 90)
    wb.close()
    imported(store, [("缓存值.xlsx", buf.getvalue())])
    assert rows(store, "SELECT budget, spent FROM projects") == [(100.0, 90.0)]


# ---------------------------------------------------------------- CSV
CSV_ROWS = [project("招商引资工作经费", 5, 3.537, rate="70.4%"), project("科技活动周", "25万元", 25)]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings_import_the_same_figures(store, encoding):
    plan = imported(store, [("项目.csv", csv_text(CSV_ROWS).encode(encoding))])
    assert where(plan, "rate-mismatch") == [("rate-mismatch", "warning", "项目", 2, "执行率")]
    got = rows(store, "SELECT year, department, name, budget, spent, round(reported_rate, 12) FROM projects ORDER BY name")
    assert sorted(got) == sorted([(2024, DEPT, "招商引资工作经费", 5.0, 3.537, 0.704), (2024, DEPT, "科技活动周", 25.0, 25.0, None)])


def test_csv_in_gbk_and_utf8_give_identical_batches():
    text = csv_text(CSV_ROWS)
    batches = [importer.parse_file("项目.csv", text.encode(enc)).projects for enc in ("gbk", "utf-8-sig", "utf-8")]
    assert batches[0] == batches[1] == batches[2] and len(batches[0]) == 2


def test_csv_undecodable(seeded):
    data = csv_text(CSV_ROWS).encode("gbk")
    data = data[:30] + b"\xff\xff" + data[30:]          # 0xFF is valid in neither UTF-8 nor GBK/GB18030
    plan = refused(seeded, [("项目.csv", data)])
    assert errors(plan) == [("csv-encoding", None, None, None)]


def test_csv_with_error_located(seeded):
    plan = refused(seeded, [("项目.csv", csv_text([project("甲"), project("乙", budget="二十五万")]).encode("gbk"))])
    assert errors(plan) == [("not-a-number", "项目", 3, BUDGET)]


# ---------------------------------------------------------------- re-import, hashes
def test_reimport_same_scope_needs_replace(seeded):
    first = xlsx([project("甲"), project("乙")], [indicator("甲"), indicator("乙")])
    imported(seeded, [("2024.xlsx", first)])
    second = xlsx([project("丙", 7, 7)], [indicator("丙")])
    plan = refused(seeded, [("2024新.xlsx", second)])
    assert errors(plan) == [("replace-needed", None, None, None)]
    assert plan.existing_scopes == [(2024, DEPT)]

    log_before = rows(seeded, "SELECT count(*) FROM import_log")[0][0]
    plan = imported(seeded, [("2024新.xlsx", second)], replace=True)
    assert rows(seeded, "SELECT year, department, name FROM projects ORDER BY year, name") == \
        [(2023, "张掖市财政局", "往年项目"), (2024, DEPT, "丙")]
    # old indicators went with their projects; the other scope is untouched
    assert rows(seeded, "SELECT p.name FROM indicators i JOIN projects p ON p.id = i.project_id ORDER BY 1") == \
        [("丙",), ("往年项目",)]
    assert rows(seeded, "SELECT count(*) FROM indicators WHERE project_id NOT IN (SELECT id FROM projects)") == [(0,)]
    assert rows(seeded, "SELECT outcome, projects, indicators FROM import_log ORDER BY id DESC LIMIT 1") == \
        [("replaced", 1, 1)]
    assert rows(seeded, "SELECT count(*) FROM import_log")[0][0] == log_before + 1


def test_same_file_twice_detected_by_hash(seeded):
    data = xlsx([project("甲")])
    imported(seeded, [("一次.xlsx", data)])
    plan = refused(seeded, [("改名了.xlsx", data)])
    assert where(plan, "already-imported") == [("already-imported", "info", None, None, None)]
    assert plan.report.problems[[p.code for p in plan.report.problems].index("already-imported")].file == "改名了.xlsx"
    plan = imported(seeded, [("改名了.xlsx", data)], replace=True)
    assert where(plan, "already-imported") == [("already-imported", "info", None, None, None)]
    assert rows(seeded, "SELECT count(*) FROM projects WHERE year = 2024") == [(1,)]


def test_different_file_same_content_elsewhere_is_not_flagged(seeded):
    plan = imported(seeded, [("新.xlsx", xlsx([project("甲")]))])
    assert where(plan, "already-imported") == []


# ---------------------------------------------------------------- limits
def test_problem_cap(seeded):
    data = xlsx([project(f"项目{i}", budget="二十五万") for i in range(1000)])
    plan = refused(seeded, [("千错.xlsx", data)])
    assert plan.report.truncated
    assert len(plan.report.problems) == MAX_PROBLEMS + 1
    assert plan.report.problems[-1].code == "truncated" and plan.report.problems[-1].severity == "info"
    assert [p.code for p in plan.report.problems].count("truncated") == 1
    assert plan.report.problems[0].row == 2 and plan.report.problems[MAX_PROBLEMS - 1].row == MAX_PROBLEMS + 1
    # the heading counts every error, not just the listed ones
    assert plan.report.error_count == 1000
    assert plan.report.count_text() == f"1000 个错误，0 个警告（下表只列出前 {MAX_PROBLEMS} 条问题）"


def test_errors_beyond_the_cap_still_block(seeded):
    """300+ warnings first, then one bad row: the bad row is not listed but the import is refused."""
    data = xlsx([project(f"项目{i}", 100, 101) for i in range(400)] + [project("坏", budget="二十五万")])
    plan = refused(seeded, [("超支很多.xlsx", data)])
    assert plan.report.truncated and plan.report.errors == []
    assert plan.report.error_count == 1 and plan.report.count_text().startswith("1 个错误，400 个警告")


def test_file_over_size_limit_refused_before_parsing(seeded, monkeypatch):
    class NoParsing:
        def __getattr__(self, name):
            raise AssertionError("the file was parsed")

    monkeypatch.setattr(readers, "pc", NoParsing())
    monkeypatch.setattr(readers, "zipfile", NoParsing())
    # in this process (isolate=False): the patched modules are this process's
    plan = refused(seeded, [("大.xlsx", xlsx([project()]))], max_mb=0.001, isolate=False)
    assert errors(plan) == [("file-too-large", None, None, None)]
    plan = refused(seeded, [("大.csv", csv_text(CSV_ROWS).encode())], max_mb=0.0001, isolate=False)
    assert errors(plan) == [("file-too-large", None, None, None)]


def _with_padded_sheet(data: bytes, padding: int) -> bytes:
    """The same workbook with `padding` bytes of whitespace inside sheet1.xml: valid XML, compresses ~1000:1."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", b" " * padding + b"</sheetData>")
            z.writestr(info.filename, part)
    return out.getvalue()


def test_zip_bomb_by_compression_ratio(seeded, monkeypatch):
    bomb = _with_padded_sheet(xlsx([project()]), 40 * 1024 * 1024)
    assert len(bomb) < 100_000
    monkeypatch.setattr(readers, "pc", None)         # refused before calamine ever sees it
    plan = refused(seeded, [("炸弹.xlsx", bomb)], isolate=False)
    assert errors(plan) == [("zip-bomb", None, None, None)]


def test_zip_bomb_by_total_size(seeded, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNCOMPRESSED", 200_000)
    data = _with_padded_sheet(xlsx([project()]), 300_000)
    monkeypatch.setattr(readers, "pc", None)
    plan = refused(seeded, [("大表.xlsx", data)], isolate=False)
    assert errors(plan) == [("zip-bomb", None, None, None)]


def test_too_many_rows_refused_with_a_clear_message(seeded, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROWS", 50)
    plan = refused(seeded, [("多行.xlsx", xlsx([project(f"项目{i}") for i in range(60)]))], isolate=False)
    assert errors(plan) == [("too-many-rows", "项目", None, None)]
    assert "50" in plan.report.errors[0].message
    plan = refused(seeded, [("多行.csv", csv_text([project(f"项目{i}") for i in range(60)]).encode())], isolate=False)
    assert [c for c, *_ in errors(plan)] == ["too-many-rows"]


def test_200000_row_projects_sheet_imports(store):
    """Measured: ~4 s to write with xlsxwriter, ~3 s to validate, ~1.5 s to commit on the 2-core box."""
    import xlsxwriter
    n = 200_000
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True})
    ws = wb.add_worksheet("项目")
    ws.write_row(0, 0, ["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）"])
    for i in range(n):
        ws.write_row(i + 1, 0, [2024, f"部门{i % 50}", f"项目{i}", 10 + i % 7, 9.5])
    wb.close()
    t0 = time.perf_counter()
    plan = imported(store, [("二十万行.xlsx", buf.getvalue())])
    elapsed = time.perf_counter() - t0
    assert plan.projects == n
    assert rows(store, "SELECT count(*), sum(spent), count(DISTINCT department) FROM projects") == [(n, 9.5 * n, 50)]
    assert elapsed < 60, f"200,000 rows took {elapsed:.1f} s"


# ---------------------------------------------------------------- department given at import
def test_department_given_at_import_fills_a_missing_column(store):
    headers = [h for h in P_HEADERS if h != "主管部门"]
    plan = imported(store, [("无部门.xlsx", xlsx([project("甲"), project("乙")], p_headers=headers))], department="张掖市教育局")
    assert plan.projects == 2
    assert rows(store, "SELECT DISTINCT department FROM projects") == [("张掖市教育局",)]


def test_department_given_at_import_overrides_the_file(store):
    imported(store, [("有部门.xlsx", xlsx([project("甲"), project("乙", dept="别的部门"), project("丙", dept=None)]))],
             department="张掖市教育局")
    assert rows(store, "SELECT DISTINCT department FROM projects") == [("张掖市教育局",)]


# ---------------------------------------------------------------- the template
def test_blank_template_has_no_errors_but_no_data():
    batch = importer.parse_file("模板.xlsx", template_bytes())
    assert [(p.code, p.severity) for p in batch.report.problems if p.severity != "info"] == [("no-data", "error")]
    assert [(p.code, p.sheet) for p in batch.report.problems if p.severity == "info"] == [("sheet-skipped", "说明")]


def test_filled_template_imports(store):
    wb = load_workbook(io.BytesIO(template_bytes()))
    headers = {s: [c.value for c in wb[s][1]] for s in ("项目", "绩效指标")}
    values = {"年度": 2024, "主管部门": DEPT, "项目名称": "招商引资工作经费", "项目编码": "ZS-01",
              "全年预算数（万元）": 5, "全年执行数（万元）": 3.537, "年初预算数（万元）": 5, "执行率": "70.74%",
              "资金来源": "市级财政资金", "偏离原因": "部分活动未开展"}
    wb["项目"].append([values.get(h) for h in headers["项目"]])
    ind = {"年度": 2024, "项目名称": "招商引资工作经费", "一级指标": "产出指标", "二级指标": "数量指标",
           "三级指标": "招商活动次数", "年度指标值": "≥2次", "实际完成值": "3次", "分值": 20, "得分": 20,
           "评价结论": "达成"}
    wb["绩效指标"].append([ind.get(h) for h in headers["绩效指标"]])
    buf = io.BytesIO()
    wb.save(buf)
    plan = imported(store, [("填好的模板.xlsx", buf.getvalue())])
    assert [p.code for p in plan.report.problems] == ["sheet-skipped"]
    assert rows(store, "SELECT project_code, name, funding_source, initial_budget, budget, spent, reported_rate, "
                       "deviation_reason, source_sheet, source_row FROM projects") == \
        [("ZS-01", "招商引资工作经费", "市级财政资金", 5.0, 5.0, 3.537, pytest.approx(0.7074), "部分活动未开展", "项目", 2)]
    assert rows(store, "SELECT level1, level2, level3, direction, target_value, target_unit, actual_value, weight, "
                       "reported_score, judgement, position, source_row FROM indicators") == \
        [("产出指标", "数量指标", "招商活动次数", "≥", 2.0, "次", 3.0, 20.0, 20.0, "达成", 1, 2)]


# ---------------------------------------------------------------- one transaction
def test_a_commit_that_fails_halfway_changes_nothing(seeded, monkeypatch):
    plan = prepare(seeded, [("好文件.xlsx", xlsx([project("甲"), project("乙")], [indicator("甲")]))])
    assert plan.ok
    real = importer._insert

    def failing(cur, table, cols, rows_):
        if table == "indicators":
            raise RuntimeError("disk full")
        real(cur, table, cols, rows_)

    monkeypatch.setattr(importer, "_insert", failing)
    with unchanged(seeded):
        with pytest.raises(RuntimeError):
            commit(seeded, plan)


def test_commit_rechecks_the_scope_at_write_time(seeded):
    """Two previews of the same scope: the second commit may not silently add to the first."""
    a = prepare(seeded, [("a.xlsx", xlsx([project("甲")]))])
    b = prepare(seeded, [("b.xlsx", xlsx([project("乙")]))])
    commit(seeded, a)
    with unchanged(seeded):
        with pytest.raises(ImportRefused):
            commit(seeded, b)


def test_successful_import_writes_log_and_bumps_version(seeded):
    v = seeded.data_version()
    plan = imported(seeded, [("好.xlsx", xlsx([project("甲", 100, 110)], [indicator("甲")]))])
    assert seeded.data_version() == v + 1
    log = rows(seeded, "SELECT file_name, outcome, projects, indicators, errors, warnings, scope FROM import_log "
                       "ORDER BY id DESC LIMIT 1")
    assert log == [("好.xlsx", "imported", 1, 1, 0, 1, f"2024 {DEPT}")]
    assert plan.projects == 1


def test_indicators_of_a_refused_project_are_not_reported_as_orphans(seeded):
    """招商引资 is refused for text in 全年执行数: that is the one error; its indicator rows are not also called
    orphans (they would be listed first and send the user looking in the wrong sheet). A real orphan still is."""
    inds = [indicator("甲"), indicator("招商引资"), indicator("招商引资", level3="招商活动"), indicator("不存在的项目")]
    plan = refused(seeded, [("a.xlsx", xlsx([project("甲"), project("招商引资", 5, "三万五")], inds))])
    assert errors(plan) == [("not-a-number", "项目", 3, SPENT), ("orphan-indicator", "绩效指标", 5, "项目名称")]
