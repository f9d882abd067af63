"""No silent drops around a form's blocks (issue 14): a row with content of its own that no block reads (a tail
of another form above the 项目名称 line, an unknown money row with amounts, a stray line below the 总分 row)
is reported once per run of rows, naming sheet, first row, how many rows and where it lies; a well-formed form
gives no such line."""
from __future__ import annotations

from form_corpus import _n, _national_ind_header, _national_money, build
from perfboard import importer


def _form(money_subs, below_total=(), above=()):
    inds = [_n(("产出指标", 1, 1), "数量指标", "培训人次", "≥100人次", "120人次", 45, 45),
            _n(("效益指标", 1, 1), "社会效益指标", "群众知晓率", "≥90%", "95%", 35, 35),
            _n(("满意度指标", 1, 1), "服务对象满意度指标", "学员满意度", "≥90%", "96%", 10, 10)]
    return {"id": "leftover", "rows": [
        *above,
        [("项目支出绩效自评表", 10)],
        [("(2023年度)", 10)],
        [("项目名称", 2), ("农民技能培训", 8)],
        [("主管部门", 2), ("某县农业农村局", 3), ("实施单位", 2), ("某县农技中心", 3)],
        *_national_money("项目资金 (万元)", [20, 20, 18, 10, "90%", (9, 2)], money_subs),
        [("年度总体目标", 1, 2), ("预期目标", 5), ("实际完成情况", 4)],
        [("培训农民100人次。", 5), ("培训农民120人次。", 4)],
        _national_ind_header(len(inds)),
        *inds,
        [("总分", 6), 100, 99, (None, 2)],
        *below_total,
        [("填表人:", 5), ("填报日期:", 5)],
    ]}


def _lines(fixture):
    b = importer.parse_file("leftover.xlsx", build(fixture))
    return b, [(p.severity, p.sheet, p.row, p.message) for p in b.report.problems if p.code == "row-not-read"]


SUBS = [("其中:本年财政拨款", [20, 20, 18, None, None]), ("上年结转资金", [None] * 5), ("其他资金", [None] * 5)]


def test_a_well_formed_form_has_no_leftover_line():
    b, lines = _lines(_form(SUBS))
    assert b.report.ok and lines == []


def test_an_unknown_money_row_with_amounts_is_reported_in_the_money_block():
    b, lines = _lines(_form(SUBS + [("社会捐赠", [None, 2, 2, None, None])]))
    assert b.report.ok and b.projects[0]["budget"] == 20          # the total row still gives the money
    [(severity, sheet, row, message)] = lines
    assert (severity, sheet, row) == ("warning", "自评表", 10)      # title 2 rows, parties 2, header 6, 3 sub-rows
    assert "1 行" in message and "资金部分" in message and "社会捐赠" in message


def test_a_stray_line_below_the_total_row_is_reported_and_the_footer_is_not():
    b, lines = _lines(_form(SUBS, below_total=[[("另附：培训签到表3页", 10)]]))
    [(_, _, row, message)] = lines
    assert row == 17 and "绩效指标部分之后" in message and "另附" in message


def test_rows_above_the_name_line_that_are_not_title_lines_are_reported_as_one_run():
    tail = [["产出指标", "数量指标", "上一张表的指标", "≥5次", "6次", 50, 50, (None, 2)],
            [("总分", 6), 100, 100, (None, 2)]]
    b, lines = _lines(_form(SUBS, above=tail))
    assert b.report.ok
    [(_, _, row, message)] = lines
    assert row == 1 and "2 行" in message and "项目名称行之上" in message


def _footer_lines(below_total):
    b = importer.parse_file("leftover.xlsx", build(_form(SUBS, below_total=below_total)))
    return b, [(p.severity, p.row, p.message) for p in b.report.problems if p.code == "footer-text-not-imported"]


def test_footer_text_the_unit_wrote_is_said_not_imported_with_its_row():
    b, lines = _footer_lines([[("存在问题", 2), ("部分乡镇培训签到不全，影响台账核实。", 8)],
                              [("改进措施:下一年度统一使用电子签到。", 10)]])
    assert b.report.ok and b.projects[0]["improvement"] in (None, "")     # not stored as if it were data
    assert [(s, r) for s, r, _ in lines] == [("info", 17), ("info", 18)]
    assert "存在问题" in lines[0][2] and "改进措施" in lines[1][2] and "未作为数据导入" in lines[0][2]


def test_footer_lines_saying_nothing_or_the_template_instruction_give_no_line():
    b, lines = _footer_lines([[("存在问题", 2), ("无", 8)],
                              [("改进措施", 2), ("针对项目自评中发现的问题,提出改进意见。(200字以内)", 8)],
                              [("评价结论", 2), ("——", 8)]])
    assert b.report.ok and lines == []
