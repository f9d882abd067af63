"""Issue 14 behaviour shared by both importers and the messages a clerk acts on."""
from __future__ import annotations

from form_fixtures import NATIONAL_INDICATORS, Form, Ind, build
from test_import_flat import BUDGET, SPENT, indicator, project, xlsx

from perfboard import importer, rows, scoring
from perfboard.importer import prepare

UNUSED = {"一级指标": "效益指标", "二级指标": "生态效益指标", "三级指标": None, "年度指标值": None, "实际完成值": None,
          "分值": None, "得分": None}


def infos(batch, code):
    return [(p.sheet, p.row, p.value) for p in batch.report.problems if p.code == code]


def test_is_unused_category():
    assert rows.is_unused_category("效益指标", "生态效益指标", None, None, None, None, None)
    assert rows.is_unused_category(None, "生态效益指标", "", "—", "/", None, 0)          # dashes, score 0
    assert rows.is_unused_category("效益指标", None, "指标1：", "……", None, None, "0")   # template placeholders
    assert not rows.is_unused_category("效益指标", "生态效益指标", None, None, None, 10, None)   # a weight
    assert not rows.is_unused_category("效益指标", "生态效益指标", None, None, None, None, 5)    # a score
    assert not rows.is_unused_category("效益指标", "生态效益指标", "水质达标率", None, None, None, None)
    assert not rows.is_unused_category(None, None, None, None, None, None, None)         # an empty row


def test_the_same_unused_row_is_skipped_with_an_info_line_by_both_importers():
    # flat: the row used to refuse the whole workbook (必填项“level3”为空)
    flat = importer.parse_file("flat.xlsx", xlsx([project()], [indicator(), {**indicator(), **UNUSED}]))
    assert flat.report.ok and len(flat.indicators) == 1
    assert infos(flat, "unused-category") == [("绩效指标", 3, "效益指标 / 生态效益指标")]
    # form: the same row on a national form
    inds = [*NATIONAL_INDICATORS[:5], Ind("效益指标（30分）", "生态效益指标"), *NATIONAL_INDICATORS[5:]]
    data, placed = build([("表", Form(indicators=inds))])
    form = importer.parse_file("form.xlsx", data)
    assert form.report.ok and len(form.indicators) == len(NATIONAL_INDICATORS)
    assert infos(form, "unused-category") == [("表", placed["表"]["indicators"][5], "效益指标 / 生态效益指标")]
    assert not form.report.warnings


def test_a_national_form_whose_only_unused_row_carries_score_0_gets_its_grade(store):
    inds = [*NATIONAL_INDICATORS, Ind("效益指标（30分）", "生态效益指标", score=0)]
    data, _ = build([("表", Form(indicators=inds))])
    plan = importer.prepare(store, [("form.xlsx", data)])
    assert plan.ok and plan.indicators == len(NATIONAL_INDICATORS)
    importer.commit(store, plan)
    [(_, score)] = scoring.scores(store)
    assert score.grade == "优" and score.total == 100


def test_money_written_with_its_unit_imports_with_an_info_line():
    b = importer.parse_file("m.xlsx", xlsx([project(budget="25万元", spent="250000元")]))
    assert b.report.ok and (b.projects[0]["budget"], b.projects[0]["spent"]) == (25, 25)
    assert [(p.column, p.value, p.message) for p in b.report.problems if p.code == "money-as-text"] == [
        (BUDGET, "25万元", "金额写作“25万元”，已按 25 万元导入。"),
        (SPENT, "250000元", "金额写作“250000元”，已按 25 万元导入。")]


def test_numbers_are_quoted_as_written():
    b = importer.parse_file("n.xlsx", xlsx([project(spent=-5.0)]))
    [e] = b.report.errors
    assert e.code == "negative-money" and "-5。" in e.message and "-5.0" not in e.message
    assert b.report.to_dicts()[0]["value"] == "-5"


def test_cross_file_duplicate_names_both_files_and_rows():
    plan = prepare(None, [("huoqiu-2021.xlsx", xlsx([project("甲"), project("乙")])),
                          ("huoqiu-2022-kjtpy.xlsx", xlsx([project("丙"), project("乙")]))])
    [e] = plan.report.errors
    assert (e.file, e.sheet, e.row) == ("huoqiu-2022-kjtpy.xlsx", "项目", 3)
    assert e.message == "项目重复：与文件“huoqiu-2021.xlsx”工作表“项目”第 3 行的项目（同年度、主管部门、乙）重复。"


def test_no_recognisable_sheet_lists_flat_columns_and_form_labels():
    b = importer.parse_file("x.xlsx", xlsx([], project_sheet="随便", p_headers=["序号", "备注"]))
    [e] = b.report.errors
    assert e.code in ("no-form", "no-sheet")
    for label in ("“项目”", "“全年预算数”", "“全年执行数”", "“年度资金总额”", "“调整后预算数”", "“三级指标”"):
        assert label in e.message
