"""Importing the 项目支出绩效自评表 forms (perfboard.forms) in every layout, with the messes real forms have."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from form_fixtures import INSTRUCTIONS, Form, Formula, Ind, build, form_from_batch  # noqa: E402

from perfboard.batch import PROJECT_COLUMNS  # noqa: E402
from perfboard.forms import split_weight  # noqa: E402
from perfboard.importer import ImportRefused, commit, parse_file, prepare  # noqa: E402
from perfboard.validation_report import MESSAGES  # noqa: E402

IND_KEYS = ("position", "level1", "level2", "level3", "target_text", "actual_text", "direction", "target_value",
            "target_unit", "actual_value", "actual_unit", "weight", "reported_score", "deviation_note", "source_row")


def parse(sheets, department=None, name="forms.xlsx"):
    data, placed = build(sheets)
    return parse_file(name, data, department), placed


def problems(batch, *severities):
    return [(p.code, p.sheet, p.row, p.column) for p in batch.report.problems
            if not severities or p.severity in severities]


def ind_rows(batch, ref=0):
    return [tuple(i[k] for k in IND_KEYS) for i in batch.indicators if i["ref"] == ref]


def national_expected_indicators(rows):
    """What Form()'s default indicators become, given the Excel rows they landed on."""
    r = rows
    return [
        (1, "产出指标", "数量指标", "市级科技计划项目立项数量", "≥70项", "77项", "≥", 70.0, "项", 77.0, "项", 20.0, 20.0, None, r[0]),
        (2, "产出指标", "质量指标", "项目立项合规率", "=100%", "100%", "=", 100.0, "%", 100.0, "%", 15.0, 15.0, None, r[1]),
        (3, "产出指标", "时效指标", "资金拨付及时性", "及时拨付", "及时拨付", "定性", None, None, None, None, 10.0, 10.0,
         None, r[2]),
        (4, "产出指标", "成本指标", "项目总成本", "≤425万元", "425万元", "≤", 425.0, "万元", 425.0, "万元", 5.0, 5.0, None,
         r[3]),
        (5, "效益指标", "社会效益指标", "科技创新影响力", "显著提升", "效果明显", "定性", None, None, None, None, 15.0, 15.0,
         None, r[4]),
        (6, "效益指标", "可持续影响指标", "科技服务能力", "持续提升", "持续提升", "定性", None, None, None, None, 15.0, 15.0,
         None, r[5]),
        (7, "满意度指标", "服务对象满意度指标", "项目实施单位满意度", "≥95%", "96%", "≥", 95.0, "%", 96.0, "%", 10.0, 10.0,
         None, r[6]),
    ]


def national_expected_project(sheet, name_row, **changes):
    p = {"year": 2022, "department": "张掖市科学技术局", "unit": "张掖市科学技术局", "project_code": None,
         "name": "2022年市级科技计划项目", "funding_source": None, "initial_budget": 425.0, "budget": 425.0,
         "spent": 425.0, "reported_rate": 1.0, "overview": None,
         "goal": "完成2022年度市级科技计划项目立项实施，推动科技成果转化。",
         "achievement": "立项实施市级科技计划项目77项，资金全部拨付到位。", "deviation_reason": None, "improvement": None,
         "execution_weight": 10.0, "execution_reported_score": 10.0, "reported_total_score": 100.0,
         "source_file": "forms.xlsx", "source_sheet": sheet, "source_row": name_row}
    p.update(changes)
    assert list(p) == PROJECT_COLUMNS
    return p


NATIONAL_FUNDS = [{"kind": "current", "initial_budget": 400.0, "budget": 400.0, "spent": 400.0, "ref": 0},
                  {"kind": "carryover", "initial_budget": 25.0, "budget": 25.0, "spent": 25.0, "ref": 0}]


# ---------------------------------------------------------------- layouts
def test_national_form_reads_every_part():
    b, placed = parse([("科技计划", Form())])
    pl = placed["科技计划"]
    # the fixture puts the parts where the national form has them
    assert (pl["title"], pl["year"], pl["name"], pl["money_header"], pl["total"], pl["ind_header"],
            pl["total_score"]) == (1, 2, 3, 5, 6, 12, 20)
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("form-found", "科技计划", 3, None)]
    assert b.report.problems[0].value == "全国通用格式：2022年市级科技计划项目"
    assert b.projects == [national_expected_project("科技计划", 3)]
    assert ind_rows(b) == national_expected_indicators(pl["indicators"])
    assert all(i["source_sheet"] == "科技计划" and i["judgement"] is None for i in b.indicators)
    assert b.funds == NATIONAL_FUNDS


def test_ab_variant_gives_the_same_data():
    b, placed = parse([("科技计划", Form(layout="ab"))])
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("form-found", "科技计划", 3, None)]
    assert b.report.problems[0].value.startswith("全国通用格式（A/B 标注）")
    assert b.projects == [national_expected_project("科技计划", 3)]
    assert ind_rows(b) == national_expected_indicators(placed["科技计划"]["indicators"])
    assert b.funds == NATIONAL_FUNDS


def test_transfer_payment_form_without_weights():
    form = Form(layout="transfer", name="2022年科技成果转化引导资金", department="张掖市科学技术局",
                unit="张掖市生产力促进中心", central_department="科学技术部",
                money={"total": (None, 100, 97.25), "central": (None, 80, 78.5), "local": (None, 20, 18.75)},
                rate=0.9725, exec_weight=None, exec_score=None,
                goal="支持科技成果转化项目10项。", achievement="支持科技成果转化项目12项。",
                indicators=[Ind("产出指标", "数量指标", "支持成果转化项目数", "≥10项", "12项", note=None),
                            Ind("产出指标", "时效指标", "资金下达及时性", "及时", "及时"),
                            Ind("效益指标", "经济效益指标", "带动企业新增产值", "≥500万元", "480万元",
                                note="受市场需求影响，部分企业投产推迟；下一步加强跟踪服务。"),
                            Ind("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "95%")])
    b, placed = parse([("转移支付", form)])
    pl = placed["转移支付"]
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("form-found", "转移支付", pl["name"], None)]
    assert b.report.problems[0].value.startswith("转移支付绩效自评表")
    p = b.projects[0]
    assert (p["year"], p["department"], p["unit"], p["name"]) == (2022, "张掖市科学技术局", "张掖市生产力促进中心",
                                                                  "2022年科技成果转化引导资金")
    assert (p["initial_budget"], p["budget"], p["spent"], p["reported_rate"]) == (None, 100.0, 97.25, 0.9725)
    assert (p["execution_weight"], p["execution_reported_score"], p["reported_total_score"]) == (None, None, None)
    assert (p["goal"], p["achievement"]) == ("支持科技成果转化项目10项。", "支持科技成果转化项目12项。")
    assert p["source_row"] == pl["name"]
    rows = pl["indicators"]
    assert ind_rows(b) == [
        (1, "产出指标", "数量指标", "支持成果转化项目数", "≥10项", "12项", "≥", 10.0, "项", 12.0, "项", None, None, None,
         rows[0]),
        (2, "产出指标", "时效指标", "资金下达及时性", "及时", "及时", "定性", None, None, None, None, None, None, None,
         rows[1]),
        (3, "效益指标", "经济效益指标", "带动企业新增产值", "≥500万元", "480万元", "≥", 500.0, "万元", 480.0, "万元",
         None, None, "受市场需求影响，部分企业投产推迟；下一步加强跟踪服务。", rows[2]),
        (4, "满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "95%", "≥", 90.0, "%", 95.0, "%", None, None, None,
         rows[3]),
    ]
    # 中央财政资金 and 地方资金 are both this year's appropriation: one 'current' row holding their sum
    assert b.funds == [{"kind": "current", "initial_budget": None, "budget": 100.0, "spent": 97.25, "ref": 0}]


def test_sichuan_form_with_split_targets():
    form = Form(layout="sichuan", name="科技服务平台运行维护", department="[301]四川省科学技术厅",
                unit="四川省科技信息中心", year_text="（2023年度）",
                money={"total": (50, 60, 48), "current": (50, 50, 40), "carryover": (0, 10, 8)},
                rate=0.8, exec_weight=10, exec_score=8,
                reason="部分合同尾款按进度于次年支付。",
                goal="保障平台全年稳定运行。", achievement="平台全年稳定运行，服务企业320家。",
                indicators=[Ind("产出指标", "数量指标", "服务企业数量", 300, 320, 20, 20, direction="≥", unit="家"),
                            Ind("产出指标", "质量指标", "系统可用率", 99, 99.5, 20, 20, direction="≥", unit="%"),
                            Ind("产出指标", "成本指标", "运维成本", 60, 48, 10, 10, direction="≤", unit="万元"),
                            Ind("效益指标", "社会效益指标", "科技服务能力", "明显提升", "明显提升", 30, 30,
                                direction="定性"),
                            Ind("满意度指标", "服务对象满意度指标", "用户满意度", 90, 88, 10, 9, direction="≥", unit="%",
                                note="个别用户反映响应偏慢；将增加值守人员。")],
                total_weight=100, total_score=97)
    b, placed = parse([("四川", form)])
    pl = placed["四川"]
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("form-found", "四川", pl["name"], None)]
    assert b.report.problems[0].value.startswith("四川省格式")
    p = b.projects[0]
    assert (p["year"], p["department"], p["unit"]) == (2023, "四川省科学技术厅", "四川省科技信息中心")
    assert (p["initial_budget"], p["budget"], p["spent"], p["reported_rate"]) == (50.0, 60.0, 48.0, 0.8)
    assert (p["execution_weight"], p["execution_reported_score"], p["reported_total_score"]) == (10.0, 8.0, 97.0)
    assert p["deviation_reason"] == "部分合同尾款按进度于次年支付。"
    assert (p["goal"], p["achievement"]) == ("保障平台全年稳定运行。", "平台全年稳定运行，服务企业320家。")
    rows = pl["indicators"]
    assert ind_rows(b) == [
        (1, "产出指标", "数量指标", "服务企业数量", "≥300家", "320", "≥", 300.0, "家", 320.0, "家", 20.0, 20.0, None,
         rows[0]),
        (2, "产出指标", "质量指标", "系统可用率", "≥99%", "99.5", "≥", 99.0, "%", 99.5, "%", 20.0, 20.0, None, rows[1]),
        (3, "产出指标", "成本指标", "运维成本", "≤60万元", "48", "≤", 60.0, "万元", 48.0, "万元", 10.0, 10.0, None,
         rows[2]),
        (4, "效益指标", "社会效益指标", "科技服务能力", "明显提升", "明显提升", "定性", None, None, None, None, 30.0, 30.0,
         None, rows[3]),
        (5, "满意度指标", "服务对象满意度指标", "用户满意度", "≥90%", "88", "≥", 90.0, "%", 88.0, "%", 10.0, 9.0,
         "个别用户反映响应偏慢；将增加值守人员。", rows[4]),
    ]
    assert b.funds == [{"kind": "current", "initial_budget": 50.0, "budget": 50.0, "spent": 40.0, "ref": 0},
                       {"kind": "carryover", "initial_budget": 0.0, "budget": 10.0, "spent": 8.0, "ref": 0}]


def test_several_forms_with_instruction_and_note_sheets():
    second = Form(name="2022年招商引资", money={"total": (5, 5, 3.537), "current": (5, 5, 3.537)},
                  rate=0.7074, exec_score=7.07, goal="引进科技型企业。", achievement="引进科技型企业3家。",
                  indicators=[Ind("产出指标（50分）", "数量指标", "引进企业数量", "≥3家", "3家", 50, 50),
                              Ind("效益指标（30分）", "经济效益指标", "新增投资", "≥1000万元", "1200万元", 30, 30),
                              Ind("满意度指标（10分）", "服务对象满意度指标", "企业满意度", "≥95%", "96%", 10, 10)],
                  total_score=97.07)
    notes = ["备注", "以上数据经财务科核对。", ["审核人", "张三"]]
    b, placed = parse([("填表说明", INSTRUCTIONS), ("科技计划", Form()), ("招商引资", second), ("备注", notes)])
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("sheet-skipped", "填表说明", None, None), ("form-found", "科技计划", 3, None),
                           ("form-found", "招商引资", 3, None), ("sheet-skipped", "备注", None, None)]
    assert [p["name"] for p in b.projects] == ["2022年市级科技计划项目", "2022年招商引资"]
    assert b.projects[0] == national_expected_project("科技计划", 3)
    p = b.projects[1]
    assert (p["source_sheet"], p["initial_budget"], p["budget"], p["spent"], p["reported_rate"]) == \
        ("招商引资", 5.0, 5.0, 3.537, 0.7074)
    assert (p["execution_reported_score"], p["reported_total_score"]) == (7.07, 97.07)
    assert [i["ref"] for i in b.indicators] == [0] * 7 + [1] * 3
    assert [i["position"] for i in b.indicators if i["ref"] == 1] == [1, 2, 3]
    assert ind_rows(b, 0) == national_expected_indicators(placed["科技计划"]["indicators"])
    assert [i["level3"] for i in b.indicators if i["ref"] == 1] == ["引进企业数量", "新增投资", "企业满意度"]
    assert b.funds == NATIONAL_FUNDS + [{"kind": "current", "initial_budget": 5.0, "budget": 5.0, "spent": 3.537,
                                         "ref": 1}]


def test_form_offset_from_a1_with_spaces_and_line_breaks_in_labels():
    form = Form(origin=(6, 4), noisy=True, year_text="（ 2022 年度 ）")
    b, placed = parse([("偏移", form)])
    pl = placed["偏移"]
    assert pl["name"] == 8 and pl["money_col"]["spent"] == "I"
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("form-found", "偏移", 8, None)]
    assert b.projects == [national_expected_project("偏移", 8)]
    assert ind_rows(b) == national_expected_indicators(pl["indicators"])
    assert b.funds == NATIONAL_FUNDS


def test_noisy_money_header_is_reported_as_written_without_the_line_break():
    form = Form(origin=(2, 2), noisy=True, money={"total": (425, 425, "见附件")})
    b, placed = parse([("表", form)])
    assert problems(b, "error") == [("not-a-number", "表", placed["表"]["total"], "全年执行数")]
    assert b.projects == [] and b.indicators == [] and b.funds == []


def test_stacked_forms_in_one_sheet():
    second = Form(name="2022年科技宣传", money={"total": (10, 10, 10), "current": (10, 10, 10)},
                  indicators=[Ind("产出指标（50分）", "数量指标", "宣传活动场次", "≥5场", "6场", 50, 50),
                              Ind("效益指标（30分）", "社会效益指标", "公众科学素质", "提升", "提升", 30, 30),
                              Ind("满意度指标（10分）", "服务对象满意度指标", "群众满意度", "≥90%", "92%", 10, 10)])
    b, placed = parse([("全部", [Form(), second])])
    first, other = placed["全部"]
    assert b.report.ok, b.report.to_frame()
    assert [(p["name"], p["source_row"], p["budget"]) for p in b.projects] == \
        [("2022年市级科技计划项目", first["name"], 425.0), ("2022年科技宣传", other["name"], 10.0)]
    assert ind_rows(b, 0) == national_expected_indicators(first["indicators"])
    assert [i["source_row"] for i in b.indicators if i["ref"] == 1] == other["indicators"]


# ---------------------------------------------------------------- what real forms get wrong
MESSY_INDICATORS = [
    Ind("产出指标（50分）", "数量指标", "市级科技计划项目立项数量", "≥70项", "77项", 20, 20),
    Ind("产出指标（50分）", "质量指标", "项目验收通过率", "≥95%", None, 15, 10,
        note="请说明偏差原因及改进措施"),                                        # blank actual, template text
    Ind("产出指标（50分）", "时效指标", dt.datetime(2022, 3, 15), "按时完成", "按时完成", 10, 10),  # a date as name
    Ind("效益指标（30分）", "经济效益指标", "指标1：", None, None, None, None),   # unused template row
    Ind("效益指标（30分）", "社会效益指标", "科技创新影响力", "显著提升", "效果明显", 30, 30),
    Ind("效益指标（30分）", "生态效益指标", None, None, None, None, None),        # empty 二级 category
    Ind("满意度指标（10分）", "服务对象满意度指标", "项目实施单位满意度", "≥95%", 0.9, 10, 8),   # no reason given
]


def messy_form(**changes) -> Form:
    base = dict(name="2022年招商引资", money={"total": (0, 0, 0), "current": (5, 5, 3.537)},
                rate="70.4%", exec_score=7.5, indicators=list(MESSY_INDICATORS),
                goal="请根据项目实际填写年度总体目标", achievement="引进科技型企业3家。", total_score=95)
    base.update(changes)
    return Form(**base)


def test_messy_form_imports_what_is_there_and_flags_the_rest():
    b, placed = parse([("招商引资", messy_form())])
    pl = placed["招商引资"]
    rows = pl["indicators"]
    assert b.report.ok, b.report.to_frame()
    total = pl["total"]
    got = problems(b, "warning")
    expected = {
        ("fund-total-zero", "招商引资", total, "年初预算数"),
        ("fund-total-zero", "招商引资", total, "全年预算数"),
        ("fund-total-zero", "招商引资", total, "全年执行数"),
        ("rate-mismatch", "招商引资", total, "执行率"),
        ("score-mismatch", "招商引资", total, "得分"),
        ("template-text", "招商引资", pl["goal_text"], "预期目标"),
        ("actual-missing", "招商引资", rows[1], "实际完成值"),
        ("template-text", "招商引资", rows[1], "偏差原因分析及改进措施"),
        ("reason-missing", "招商引资", rows[1], "偏差原因分析及改进措施"),
        ("date-in-text", "招商引资", rows[2], "三级指标"),
        ("reason-missing", "招商引资", rows[6], "偏差原因分析及改进措施"),
        ("weight-mismatch", "招商引资", rows[0], "一级指标"),          # 产出指标（50分） over 20 + 15 + 10
        ("weight-mismatch", "招商引资", pl["total_score"], "分值"),    # 100 over 10 + 45 + 30 + 10
        ("total-mismatch", "招商引资", pl["total_score"], "得分"),
    }
    assert len(got) == len(expected) and set(got) == expected, got
    by_code = {p.code: p for p in b.report.warnings}
    assert (by_code["rate-mismatch"].value, by_code["rate-mismatch"].message) == \
        ("70.4%", MESSAGES["rate-mismatch"].format(value="70.4%", limit="70.74%"))
    assert "7.5" in by_code["score-mismatch"].message and "7.074" in by_code["score-mismatch"].message
    # 总分 95 vs 7.5 + 20 + 10 + 10 + 30 + 8 = 85.5
    assert "95" in by_code["total-mismatch"].message and "85.5" in by_code["total-mismatch"].message
    zero = [p for p in b.report.warnings if p.code == "fund-total-zero"]
    assert [(p.value, p.message.split("合计 ")[1].split(" ")[0]) for p in zero] == \
        [("0", "5"), ("0", "5"), ("0", "3.537")]

    p = b.projects[0]
    assert (p["initial_budget"], p["budget"], p["spent"]) == (5.0, 5.0, 3.537)
    assert (p["reported_rate"], p["execution_weight"], p["execution_reported_score"], p["reported_total_score"]) == \
        (0.704, 10.0, 7.5, 95.0)
    assert (p["goal"], p["achievement"]) == (None, "引进科技型企业3家。")
    assert b.funds == [{"kind": "current", "initial_budget": 5.0, "budget": 5.0, "spent": 3.537, "ref": 0}]
    # the unused 经济效益 "指标1：" row and the empty 生态效益 row are not indicators
    assert ind_rows(b) == [
        (1, "产出指标", "数量指标", "市级科技计划项目立项数量", "≥70项", "77项", "≥", 70.0, "项", 77.0, "项", 20.0, 20.0, None,
         rows[0]),
        (2, "产出指标", "质量指标", "项目验收通过率", "≥95%", None, "≥", 95.0, "%", None, None, 15.0, 10.0, None, rows[1]),
        (3, "产出指标", "时效指标", "2022-03-15", "按时完成", "按时完成", "定性", None, None, None, None, 10.0, 10.0, None,
         rows[2]),
        (4, "效益指标", "社会效益指标", "科技创新影响力", "显著提升", "效果明显", "定性", None, None, None, None, 30.0, 30.0,
         None, rows[4]),
        (5, "满意度指标", "服务对象满意度指标", "项目实施单位满意度", "≥95%", "90%", "≥", 95.0, "%", 90.0, "%", 10.0, 8.0,
         None, rows[6]),
    ]


def test_weights_in_level1_labels_are_checked():
    inds = [Ind("产出指标（50分）", "数量指标", "立项数量", "≥70项", "77项", 20, 20),
            Ind("产出指标（50分）", "质量指标", "合规率", "=100%", "100%", 25, 25),
            Ind("效益指标（30分）", "社会效益指标", "影响力", "提升", "提升", 30, 30),
            Ind("满意度指标（10分）", "服务对象满意度指标", "满意度", "≥95%", "96%", 10, 10)]
    b, placed = parse([("表", Form(indicators=inds, total_score=95))])
    pl = placed["表"]
    assert b.report.ok
    assert problems(b, "warning") == [("weight-mismatch", "表", pl["indicators"][0], "一级指标"),
                                      ("weight-mismatch", "表", pl["total_score"], "分值")]
    w = b.report.warnings
    assert (w[0].value, w[1].value) == ("50", "100")
    assert "45" in w[0].message and "95" in w[1].message and "100" in w[1].message
    assert [i["level1"] for i in b.indicators] == ["产出指标", "产出指标", "效益指标", "满意度指标"]


def test_levels_left_blank_without_merges_carry_down_and_repeated_headers_are_skipped():
    inds = list(Form().indicators)
    # a printed page break repeats the indicator header inside the block
    inds.insert(2, Ind("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"))
    b, placed = parse([("表", Form(indicators=inds, merge_levels=False))])
    rows = placed["表"]["indicators"]
    assert b.report.ok, b.report.to_frame()
    assert problems(b, "warning") == []
    assert ind_rows(b) == national_expected_indicators(rows[:2] + rows[3:])


def test_score_above_weight_is_flagged():
    inds = [Ind("产出指标", "数量指标", "立项数量", "≥70项", "77项", 50, 55)]
    b, placed = parse([("表", Form(indicators=inds, total_weight=None, total_score=None))])
    row = placed["表"]["indicators"][0]
    # issue 14: a form without 效益/满意度 indicators and with an empty 总分 now says so (they used to pass silently)
    assert problems(b, "warning") == [("score-over-weight", "表", row, "得分"),
                                      ("level1-missing", "表", placed["表"]["ind_header"], "一级指标"),
                                      ("level1-missing", "表", placed["表"]["ind_header"], "一级指标"),
                                      ("total-score-missing", "表", placed["表"]["total_score"], "得分")]


def test_split_weight():
    assert split_weight("产出指标（50分）") == ("产出指标", 50.0)
    assert split_weight("产出指标(50)") == ("产出指标", 50.0)
    assert split_weight("效益指标30分") == ("效益指标", 30.0)
    assert split_weight("满意度指标（分值：10）") == ("满意度指标", 10.0)
    assert split_weight("成本指标（12.5分）") == ("成本指标", 12.5)
    assert split_weight("产出指标") == ("产出指标", None)
    assert split_weight(None) == (None, None)


def test_rate_written_with_fewer_decimals_is_accepted_when_it_rounds_the_true_rate():
    ok, _ = parse([("a", messy_form(money={"total": (5, 5, 3.537)}, rate="71%", exec_score=7.07,
                                    indicators=NATIONAL_OK, total_score=None))])
    assert "rate-mismatch" not in ok.report.codes()
    off, _ = parse([("a", messy_form(money={"total": (5, 5, 3.537)}, rate="70%", exec_score=7.07,
                                     indicators=NATIONAL_OK, total_score=None))])
    assert off.report.codes().count("rate-mismatch") == 1


NATIONAL_OK = [Ind("产出指标", "数量指标", "引进企业数量", "≥3家", "3家", 50, 50)]


def test_fund_total_that_disagrees_with_its_sub_rows():
    b, placed = parse([("表", Form(money={"total": (425, 425, 420), "current": (400, 400, 400),
                                          "carryover": (25, 25, 25)}, rate=420 / 425, exec_score=420 / 425 * 10))])
    assert b.report.ok
    assert problems(b, "warning") == [("fund-sum-mismatch", "表", placed["表"]["total"], "全年执行数")]
    assert b.projects[0]["spent"] == 420.0          # the total as written is kept


@pytest.mark.parametrize("subtitle, money_label", [("单位：元", "项目资金"), (None, "项目资金（元）")])
def test_money_in_yuan_is_converted(subtitle, money_label):
    form = Form(subtitle=subtitle, money_label=money_label, money={"total": (4_250_000, 4_250_000, 4_250_000), "current": (4_000_000, 4_000_000,
                                                                                              4_000_000),
                                         "carryover": (250_000, 250_000, 250_000)})
    b, _ = parse([("元", form)])
    assert b.report.ok, b.report.to_frame()
    p = b.projects[0]
    assert (p["initial_budget"], p["budget"], p["spent"]) == (425.0, 425.0, 425.0)
    assert [(f["kind"], f["budget"]) for f in b.funds] == [("current", 400.0), ("carryover", 25.0)]


def test_money_kept_at_full_precision():
    b, _ = parse([("表", Form(money={"total": (3.53712345, 3.53712345, 1.23456789)}, rate=None, exec_score=None,
                             total_score=None))])
    p = b.projects[0]
    assert (p["initial_budget"], p["budget"], p["spent"]) == (3.53712345, 3.53712345, 1.23456789)


def test_year_from_a_year_label_and_department_override():
    form = Form(year_text=None, subtitle="年度：2021")
    b, _ = parse([("表", form)], department="张掖市财政局")
    assert b.report.ok, b.report.to_frame()
    assert (b.projects[0]["year"], b.projects[0]["department"], b.projects[0]["unit"]) == \
        (2021, "张掖市财政局", "张掖市科学技术局")


def test_form_without_a_year_is_refused():
    b, _ = parse([("表", Form(year_text=None))])
    assert [(p.code, p.sheet) for p in b.report.errors] == [("form-incomplete", "表")]
    assert "年度" in b.report.errors[0].message and b.projects == []


def test_form_missing_spent_column_is_refused_with_a_clear_message():
    b, _ = parse([("招商引资", Form(omit=frozenset({"全年执行数"}))), ("科技计划", Form())])
    errors = b.report.errors
    # issue 14: the refusal names every label that was looked for
    assert [(p.code, p.sheet) for p in errors] == [("form-incomplete", "招商引资")]
    assert errors[0].value.startswith("全年执行数（已查找的栏目：“全年执行数”")
    assert "“预算执行数”" in errors[0].message and "“全年执行数(B)”" in errors[0].message
    assert "未找到‘全年执行数" in errors[0].message
    assert "招商引资" in errors[0].text()
    # the broken sheet adds nothing; the good one is still read (the import as a whole is refused by the report)
    assert [p["source_sheet"] for p in b.projects] == ["科技计划"]
    assert {i["ref"] for i in b.indicators} == {0} and {f["ref"] for f in b.funds} == {0}


def test_unknown_total_row_label_takes_the_first_row_with_amounts_and_says_so():
    # issue 14 (degrade, don't refuse): a money block whose total row carries no known label is read from its
    # first row with amounts, and the warning names the label that was assumed (here the row has none)
    b, placed = parse([("表", Form(omit=frozenset({"年度资金总额"})))])
    assert b.report.ok
    assert problems(b, "warning") == [("total-row-assumed", "表", placed["表"]["total"], "（无标签）")]
    assert (b.projects[0]["budget"], b.projects[0]["spent"]) == (425, 425)


@pytest.mark.parametrize("omit, missing", [
    ({"三级指标"}, "三级指标"),
    ({"实际完成值"}, "实际完成值"),
    ({"项目名称"}, "项目名称"),
])
def test_other_missing_parts(omit, missing):
    b, _ = parse([("表", Form(omit=frozenset(omit)))])
    assert [(p.code, p.value) for p in b.report.errors] == [("form-incomplete", missing)]
    assert b.projects == [] and b.indicators == [] and b.funds == []


def test_empty_project_name_and_missing_department():
    b, placed = parse([("表", Form(name=None, department=None))])
    row = placed["表"]["name"]
    assert sorted((p.code, p.row, p.column) for p in b.report.errors) == \
        [("empty-required", row, "项目名称"), ("no-department", row, None)]
    assert b.projects == []


def test_text_negative_and_formula_money_cells_are_errors_at_their_cell():
    form = Form(money={"total": (425, "四百二十五", 425), "current": (400, 400, -400), "carryover": (25, 25, 25)},
                exec_score=Formula("=H6*G6"))
    b, placed = parse([("表", form)])
    pl = placed["表"]
    assert sorted(problems(b, "error")) == sorted([
        ("not-a-number", "表", pl["total"], "全年预算数"),
        ("negative-money", "表", pl["current"], "全年执行数"),
        ("formula-no-value", "表", pl["total"], "得分"),
    ])
    formula = next(p for p in b.report.errors if p.code == "formula-no-value")
    assert formula.value == "=H6*G6"
    assert b.projects == [] and b.indicators == [] and b.funds == []


def test_formula_in_an_indicator_cell_without_cached_value():
    inds = list(NATIONAL_OK) + [Ind("满意度指标", "服务对象满意度指标", "满意度", "≥95%", Formula("=95%+1%"), 10, 10)]
    b, placed = parse([("表", Form(indicators=inds, total_score=None))])
    assert problems(b, "error") == [("formula-no-value", "表", placed["表"]["indicators"][1], "实际完成值")]
    assert b.projects == []


def test_bad_weight_text_is_an_error():
    inds = [Ind("产出指标", "数量指标", "立项数量", "≥70项", "77项", "二十", 20)]
    b, placed = parse([("表", Form(indicators=inds, total_score=None))])
    assert problems(b, "error") == [("not-a-number", "表", placed["表"]["indicators"][0], "分值")]


def test_workbook_without_any_form():
    b, _ = parse([("说明", INSTRUCTIONS), ("数据", [["序号", "名称", "金额"], [1, "办公用品", 3.5]])])
    assert problems(b) == [("sheet-skipped", "说明", None, None), ("sheet-skipped", "数据", None, None),
                           ("no-form", None, None, None)]
    assert "项目支出绩效自评表" in b.report.errors[0].message and "全年执行数" in b.report.errors[0].message


def test_instructions_laid_out_as_a_label_table_are_not_a_form():
    table = [["栏目", "填写说明"], ["项目名称", "按预算批复填写"], ["年度资金总额", "本年财政拨款、上年结转资金、其他资金之和"],
             ["全年预算数", "调整后的预算"], ["全年执行数", "截至12月31日的支出"], ["三级指标", "按批复的绩效目标逐项填写"]]
    b, _ = parse([("填表说明", table), ("科技计划", Form())])
    assert b.report.ok, b.report.to_frame()
    assert problems(b) == [("sheet-skipped", "填表说明", None, None), ("form-found", "科技计划", 3, None)]


# ---------------------------------------------------------------- round trip
def test_round_trip_through_a_national_form_written_from_stored_data():
    """What an exporter writes from the stored data re-imports to identical data."""
    first, _ = parse([("招商引资", messy_form())])
    assert first.report.ok
    project = first.projects[0]
    indicators = [i for i in first.indicators if i["ref"] == 0]
    form = form_from_batch(project, indicators, first.funds)
    second, placed = parse([("招商引资", form)])
    assert second.report.ok
    drop = {"source_row"}
    assert {k: v for k, v in second.projects[0].items() if k not in drop} == \
        {k: v for k, v in project.items() if k not in drop}
    assert [{k: v for k, v in i.items() if k not in drop} for i in second.indicators] == \
        [{k: v for k, v in i.items() if k not in drop} for i in indicators]
    assert second.funds == first.funds


# ---------------------------------------------------------------- through the importer into the database
def _snapshot(store):
    return {t: store.sql_df(f"SELECT * FROM {t} ORDER BY ALL").to_json(orient="records", force_ascii=False)
            for t in ("projects", "indicators", "project_funds", "import_log")}


def test_import_forms_into_the_database_and_a_bad_form_changes_nothing(store):
    data, placed = build([("填表说明", INSTRUCTIONS), ("科技计划", Form()),
                          ("招商引资", messy_form(year_text="（2022年度）"))])
    plan = prepare(store, [("自评表2022.xlsx", data)])
    assert plan.ok, plan.report.to_frame()
    commit(store, plan)
    projects = store.sql_df("SELECT * FROM projects ORDER BY id")
    assert list(projects["name"]) == ["2022年市级科技计划项目", "2022年招商引资"]
    assert list(projects["year"]) == [2022, 2022]
    assert list(projects["department"]) == ["张掖市科学技术局"] * 2
    assert list(projects["spent"]) == [425.0, 3.537]
    assert list(projects["reported_total_score"]) == [100.0, 95.0]
    assert list(projects["execution_reported_score"]) == [10.0, 7.5]
    assert list(projects["source_sheet"]) == ["科技计划", "招商引资"]
    ind = store.sql_df("SELECT p.name, i.position, i.level1, i.level3, i.weight, i.reported_score FROM indicators i "
                       "JOIN projects p ON p.id = i.project_id ORDER BY p.id, i.position")
    assert len(ind) == 12
    assert list(ind["level1"][:3]) == ["产出指标"] * 3
    assert list(ind[ind["name"] == "2022年招商引资"]["level3"]) == \
        ["市级科技计划项目立项数量", "项目验收通过率", "2022-03-15", "科技创新影响力", "项目实施单位满意度"]
    funds = store.sql_df("SELECT p.name, f.kind, f.budget, f.spent FROM project_funds f JOIN projects p "
                         "ON p.id = f.project_id ORDER BY p.id, f.kind").values.tolist()
    assert funds == [["2022年市级科技计划项目", "carryover", 25.0, 25.0],
                     ["2022年市级科技计划项目", "current", 400.0, 400.0], ["2022年招商引资", "current", 5.0, 3.537]]

    before = _snapshot(store)
    bad, _ = build([("科技宣传", Form(name="2023年科技宣传", year_text="（2023年度）")),
                    ("坏表", Form(name="2023年坏表", year_text="（2023年度）", omit=frozenset({"全年执行数"})))])
    plan = prepare(store, [("坏表.xlsx", bad)])
    assert not plan.ok
    assert [(p.code, p.sheet) for p in plan.report.errors] == [("form-incomplete", "坏表")]
    assert plan.report.errors[0].value.startswith("全年执行数（已查找的栏目")
    with pytest.raises(ImportRefused):
        commit(store, plan)
    assert _snapshot(store) == before


# ---------------------------------------------------------------- any placement, any noise
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LEVELS = [("产出指标", ["数量指标", "质量指标", "时效指标", "成本指标"]),
           ("效益指标", ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"]),
           ("满意度指标", ["服务对象满意度指标"])]
_VALUES = ["≥25项", "=100%", "≤90万元", "77项", "1000余份", "及时拨付", "效果明显", "＝2.8 万", "≥95%", "10余次"]


@st.composite
def _forms(draw):
    inds = []
    for level1, level2s in _LEVELS:
        for level2 in draw(st.lists(st.sampled_from(level2s), min_size=1, max_size=3, unique=True)):
            for _ in range(draw(st.integers(1, 2))):
                inds.append(Ind(level1, level2, f"指标名称{len(inds) + 1}", draw(st.sampled_from(_VALUES)),
                                draw(st.sampled_from(_VALUES)), draw(st.integers(1, 30)), None))
    cents = st.integers(0, 10**9).map(lambda n: n / 100)
    budget, spent = draw(cents), draw(cents)
    form = Form(origin=(draw(st.integers(1, 8)), draw(st.integers(1, 5))), noisy=draw(st.booleans()),
                merge_levels=draw(st.booleans()), layout=draw(st.sampled_from(["national", "ab"])),
                money={"total": (budget, budget, spent)}, rate=None, exec_score=None, indicators=inds,
                total_weight=None, total_score=None)
    return form


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_forms())
def test_any_placement_and_label_noise_reads_the_same(form):
    b, placed = parse([("表", form)])
    assert b.report.ok, b.report.to_frame()
    p = b.projects[0]
    assert (p["budget"], p["spent"], p["source_row"]) == (form.money["total"][1], form.money["total"][2],
                                                         placed["表"]["name"])
    assert [(i["level1"], i["level2"], i["level3"], i["target_text"], i["actual_text"], i["weight"], i["source_row"])
            for i in b.indicators] == \
        [(i.level1, i.level2, i.level3, i.target, i.actual, float(i.weight), r)
         for i, r in zip(form.indicators, placed["表"]["indicators"])]


def test_forms_next_to_a_summary_table_import_as_forms(store):
    """A workbook of forms with a 汇总 sheet (项目名称 / 全年预算数 / 全年执行数 columns) is forms, not the flat
    format: the summary is skipped with a note instead of failing as a flat 项目 sheet without 年度."""
    summary = [["序号", "项目名称", "主管部门", "全年预算数（万元）", "全年执行数（万元）", "执行率"],
               [1, "2022年市级科技计划项目", "张掖市科学技术局", 425, 425, 1.0]]
    data, _ = build([("汇总", summary), ("科技计划", Form())])
    plan = prepare(store, [("自评表与汇总.xlsx", data)])
    assert plan.ok, plan.report.to_frame()
    notes = [(p.code, p.sheet) for p in plan.report.problems]
    assert ("summary-skipped", "汇总") in notes and ("form-found", "科技计划") in notes
    commit(store, plan)
    assert store.sql_df("SELECT name, spent, source_sheet FROM projects").values.tolist() == \
        [["2022年市级科技计划项目", 425.0, "科技计划"]]


def test_a_flat_workbook_with_both_tables_stays_flat(store):
    """项目 + 绩效指标 sheets are the flat format even when a form sits next to them."""
    projects = [["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）"],
                [2024, "张掖市科学技术局", "2024 年招商引资", 5, 3.537]]
    indicators = [["项目名称", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值"],
                  ["2024 年招商引资", "产出指标", "数量指标", "年度赴外招商", "≥2次", "2次"]]
    data, _ = build([("项目", projects), ("绩效指标", indicators), ("科技计划", Form())])
    plan = prepare(store, [("flat.xlsx", data)])
    assert plan.ok, plan.report.to_frame()
    assert sum(len(b.projects) for b in plan.batches) == 1
    assert plan.batches[0].projects[0]["name"] == "2024 年招商引资"
