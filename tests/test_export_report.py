"""The written self-evaluation report: numerals and numbers as the reference writes them, the sentences,
and the sample's .docx re-opened with python-docx (heading styles, figures, the 招商引资 deviation)."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document

from perfboard.export.report import (deviation_paras, indicator_class_paras, indicator_phrase, money_paras, num, pct,
                                     rate_phrase, report_docx, report_model, zh_numeral)
from perfboard.filters import Filters

Y2024 = Filters(year=2024)
ZS_REASON = ("2024 年招商引资工作经费 5 万元，实际支出 3.537 万元，偏离绩效目标，主要原因在于按照过“紧日子”的相关工作要求，"
             "严格节省经费开支。")
# (project, budget, spent, rate) as the reference report states them
REFERENCE = [
    ("2024 年市级科技计划项目", "425", "425", "执行率＝100%"),
    ("2024 年强科技行动工作经费", "8.48", "8.48", "执行率＝100%"),
    ("“张掖科技”政务新媒体平台管理运维", "2.8", "2.8", "执行率＝100%"),
    ("2024 年招商引资", "5", "3.537", "执行率为 70.74%"),
    ("2024 年科技活动周", "6", "6", "执行率＝100%"),
    ("完成技术合同登记任务指标机构奖励", "91", "91", "执行率＝100%"),
    ("市级科技计划项目", "50", "50", "执行率＝100%"),
    ("2024 年市级科技特派员奖补资金", "5.5", "5.5", "执行率＝100%"),
    ("2024 年重点工作完成情况奖励资金", "30", "30", "执行率＝100%"),
    ("2023 年省科学技术奖励资金", "5", "5", "执行率＝100%"),
    ("2024 年第一、二批省级科技计划项目资金", "5", "5", "执行率＝100%"),
    ("2024 年残疾人就业保障金", "3.2", "3.2", "执行率＝100%"),
]


@pytest.mark.parametrize("n,text", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (12, "十二"), (19, "十九"), (20, "二十"),
                                    (21, "二十一"), (40, "四十"), (99, "九十九"), (100, "一百"), (101, "一百零一"),
                                    (110, "一百一十"), (115, "一百一十五"), (999, "九百九十九"), (1000, "一千"),
                                    (1005, "一千零五"), (1010, "一千零一十"), (2300, "二千三百")])
def test_zh_numeral(n, text):
    assert zh_numeral(n) == text


def test_zh_numeral_range():
    with pytest.raises(ValueError):
        zh_numeral(0)


def test_numbers_as_the_reference_writes_them():
    assert [num(x) for x in (425, 425.0, 8.48, 3.537, 2.80, 0.0, 1234.5678, 1 / 3)] == \
        ["425", "425", "8.48", "3.537", "2.8", "0", "1234.5678", "0.3333"]
    assert [pct(x) for x in (1, 0.7074, 0.704, 0.5, 1.052, 0.123456)] == \
        ["100%", "70.74%", "70.4%", "50%", "105.2%", "12.35%"]
    assert rate_phrase(1.0) == "执行率＝100%"
    assert rate_phrase(3.537 / 5) == "执行率为 70.74%"
    assert rate_phrase(None).startswith("执行率无法计算")


def test_money_paragraphs():
    p = {"year": 2024, "budget": 5.0, "spent": 3.537, "initial_budget": 5.0, "execution_rate": 3.537 / 5,
         "reported_rate": 0.704}
    one, two = money_paras(p, [])
    assert one.text.startswith("1.资金投入情况分析。2024 年度项目全年预算数 5 万元。截至 2024 年底，全年执行数 3.537 万元，"
                               "执行率为 70.74%，结余 1.463 万元。")
    assert "原填报执行率为 70.4%" in one.text and one.runs[-1][1] == "missing"
    assert two.text == "2.绩效目标完成情况分析。截至 2024 年底，支出 3.537 万元，执行率为 70.74%；"
    p = {"year": 2024, "budget": 425.0, "spent": 425.0, "initial_budget": 400.0, "execution_rate": 1.0,
         "reported_rate": None}
    one, two = money_paras(p, [{"kind": "current", "budget": 375.0}, {"kind": "carryover", "budget": 50.0},
                               {"kind": "other", "budget": None}])
    assert "全年预算数 425 万元（年初预算数 400 万元），其中本年财政拨款 375 万元、上年结转资金 50 万元。" in one.text
    assert two.text.endswith("425 万元已全部支出，执行率＝100%；")
    one, _ = money_paras({"year": 2024, "budget": None, "spent": None, "execution_rate": None}, [])
    assert "（未填写全年预算数）" in one.text and "（未填写全年执行数）" in one.text


def test_indicator_phrases():
    r = lambda **kw: {"level3": None, "target_text": None, "actual_text": None, "status": "met", **kw}  # noqa: E731
    assert indicator_phrase(r(level3="服务对象满意度", actual_text="≥95%"))[0] == "服务对象满意度≥95%"
    assert indicator_phrase(r(level3="全年登记合同数量", actual_text="771项"))[0] == "全年登记合同数量 771项"
    assert indicator_phrase(r(level3="资金拨付及时性", actual_text="资金已及时拨付"))[0] == "资金已及时拨付"
    assert indicator_phrase(r(level3="评审数量", target_text="≥25项", actual_text="已全面完成目标任务"))[0] == \
        "评审数量≥25项，已全面完成目标任务"
    assert indicator_phrase(r(level3="年度赴外招商", target_text="2次", actual_text="2次"))[0] == \
        "年度赴外招商，年度指标值 2次，实际完成 2次"
    text, note = indicator_phrase(r(level3="培训人数", target_text="≥30人", actual_text="20人", status="unmet"))
    assert text == "培训人数，年度指标值 ≥30人，实际完成 20人，未达成目标（完成率为 66.67%）" and note is None
    assert indicator_phrase(r(level3="培训人数", target_text="≥30人", status="missing")) == \
        ("培训人数，年度指标值 ≥30人", "（未填写实际完成值）")


def test_indicator_classes_in_form_order():
    rows = [{"level1": "产出指标", "level2": "数量指标", "level3": "立项数量", "actual_text": "77项", "status": "met"},
            {"level1": "产出指标", "level2": "时效指标", "level3": "及时性", "actual_text": "资金已及时拨付", "status": "met"},
            {"level1": "产出指标", "level2": "数量", "level3": "评审数量", "actual_text": "25项", "status": "met"},
            {"level1": "满意度指标", "level2": None, "level3": "满意度", "actual_text": "≥95%", "status": "met"}]
    paras = indicator_class_paras(rows)
    assert [p.text for p in paras] == ["数量指标：立项数量 77项；评审数量 25项，执行率＝100%；", "时效指标：资金已及时拨付；",
                                       "满意度指标：满意度≥95%。"]


def test_deviation_section():
    met = [{"level3": "a", "status": "met"}]
    full = {"execution_rate": 1.0, "deviation_reason": None, "improvement": None}
    assert [p.text for p in deviation_paras(full, met)] == ["未偏离绩效目标。"]
    pending = deviation_paras(full, met + [{"level3": "资金支出合规性", "status": "pending"}])
    assert "尚未判定" in pending[0].text and "资金支出合规性" in pending[0].text
    low = {"execution_rate": 0.5, "budget": 10.0, "spent": 5.0, "deviation_reason": None, "improvement": None}
    texts = [p.text for p in deviation_paras(low, met)]
    assert texts[0] == "全年预算数 10 万元，全年执行数 5 万元，执行率为 50%，偏离绩效目标。（未填写偏离原因）"
    assert texts[1] == "下一步改进措施：（未填写改进措施）"
    stated = dict(low, deviation_reason="原因甲。", improvement="措施乙。")
    unmet = [{"level3": "培训人数", "status": "unmet", "deviation_note": "疫情影响。"}]
    assert [p.text for p in deviation_paras(stated, unmet)] == ["原因甲。", "培训人数：疫情影响。", "下一步改进措施：措施乙。"]


# ---------------------------------------------------------------- the sample's report
@pytest.fixture
def sample_doc(sample_store):
    return Document(io.BytesIO(report_docx(sample_store, Y2024)))


def _sections(doc) -> dict[str, str]:
    """Project heading -> the text under it, up to the next project."""
    out, current = {}, None
    for p in doc.paragraphs:
        if p.style.name == "Heading 1":
            current = p.text
            out[current] = ""
        elif current:
            out[current] += p.text + "\n"
    return out


def test_report_structure_uses_real_headings(sample_doc):
    h1 = [p.text for p in sample_doc.paragraphs if p.style.name == "Heading 1"]
    assert h1 == [f"{zh_numeral(i)}、{name}" for i, (name, *_rest) in enumerate(REFERENCE, start=1)]
    h2 = [p.text for p in sample_doc.paragraphs if p.style.name == "Heading 2"]
    assert h2 == ["（一）项目基本情况", "（二）绩效目标完成情况分析", "（三）偏离绩效目标的原因和下一步改进措施"] * 12
    title = [p.text for p in sample_doc.paragraphs if p.style.name == "Title"]
    assert title == ["张掖市科学技术局2024年度项目支出绩效自评报告"]
    assert sample_doc.core_properties.title == title[0]


def test_report_figures_as_in_the_reference(sample_doc):
    sections = _sections(sample_doc)
    for i, (name, budget, spent, rate) in enumerate(REFERENCE, start=1):
        text = sections[f"{zh_numeral(i)}、{name}"]
        assert f"全年预算数 {budget} 万元" in text, name
        assert f"全年执行数 {spent} 万元" in text, name
        assert rate in text, name
        assert text.count("1.项目概况。") == 1 and "2.项目绩效总目标。" in text


def test_report_zhaoshang_deviation_paragraph(sample_doc):
    text = _sections(sample_doc)["四、2024 年招商引资"]
    section3 = text.split("（三）")[-1] if "（三）" in text else text
    paragraphs = [p.text for p in sample_doc.paragraphs]
    assert ZS_REASON in paragraphs                       # stored text, as written, its own paragraph
    assert "下一步改进措施：（未填写改进措施）" in section3 or "下一步改进措施：（未填写改进措施）" in text
    assert "未偏离绩效目标。" not in text
    assert "原填报执行率为 70.4%" in text                   # the reported rate that disagrees is pointed out


def test_report_met_projects_and_visible_gaps(sample_doc):
    sections = _sections(sample_doc)
    assert sections["二、2024 年强科技行动工作经费"].rstrip().endswith("未偏离绩效目标。")
    first = sections["一、2024 年市级科技计划项目"]
    assert "1.项目概况。（未填写项目概况）" in first and "2.项目绩效总目标。（未填写项目绩效总目标）" in first
    # missing data is red so staff see it
    red = [r.text for p in sample_doc.paragraphs for r in p.runs
           if r.font.color is not None and r.font.color.rgb is not None and str(r.font.color.rgb) == "C00000"]
    assert "（未填写项目概况）" in red
    # the stored overview is used as written
    assert "强科技行动工作经费主要用于市级科技计划项目评审、强科技行动推进及弥补部门运转等相关支出。" in sections["二、2024 年强科技行动工作经费"]
    # indicator classes with their values
    assert "数量指标：立项实施 2024 年度市级科技计划项目 77项，执行率＝100%；" in first
    assert "服务对象满意度指标：项目立项实施单位满意度≥95%。" in first
    # the unfinished last project says what is undecided instead of claiming no deviation
    last = sections["十二、2024 年残疾人就业保障金"]
    assert "尚未判定" in last and "未偏离绩效目标。" not in last


def test_report_with_achievement_and_groups(sample_store):
    m = report_model(sample_store, Filters(), include_achievement=True)
    assert [g for g, _ in m.groups] == ["张掖市科学技术局2023年度项目支出绩效自评报告",
                                        "张掖市科学技术局2024年度项目支出绩效自评报告"]
    assert all(any(p.text.startswith("年度总体目标实际完成情况：") for p in s.analysis) for _, ss in m.groups for s in ss)
    doc = Document(io.BytesIO(report_docx(sample_store, Filters())))
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == [g for g, _ in m.groups]
    assert sum(1 for p in doc.paragraphs if re.match(r"^一、", p.text) and p.style.name == "Heading 1") == 2


def test_report_needs_projects(sample_store):
    with pytest.raises(ValueError, match="没有项目"):
        report_docx(sample_store, Filters(year=1999))
