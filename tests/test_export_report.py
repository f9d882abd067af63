"""The written self-evaluation report: numerals and numbers as the reference writes them, the sentences,
and the sample's .docx re-opened with python-docx (heading styles, figures, the 招商引资 deviation)."""
from __future__ import annotations

import io
import re

import pytest
from docx import Document

from perfboard.export.report import (tidy, deviation_paras, indicator_class_paras, indicator_phrase, money_paras, num, pct,
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
    # no spaces between numbers and the words around them, money always with 万元 (issue 15)
    assert one.text.startswith("1.资金投入情况分析。2024年度项目全年预算数5万元。截至2024年底，全年执行数3.537万元，"
                               "执行率为70.74%，结余1.463万元。")
    assert "原填报执行率为70.4%" in one.text and one.runs[-1][1] == "missing"
    assert two.text == "2.绩效目标完成情况分析。截至2024年底，支出3.537万元，执行率为70.74%；"
    p = {"year": 2024, "budget": 425.0, "spent": 425.0, "initial_budget": 400.0, "execution_rate": 1.0,
         "reported_rate": None}
    one, two = money_paras(p, [{"kind": "current", "budget": 375.0}, {"kind": "carryover", "budget": 50.0},
                               {"kind": "other", "budget": None}])
    assert "全年预算数425万元（年初预算数400万元），其中本年财政拨款375万元、上年结转资金50万元。" in one.text
    assert two.text.endswith("425万元已全部支出，执行率＝100%；")
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
    assert [p.text for p in paras] == ["数量指标：立项数量77项；评审数量25项，执行率＝100%；", "时效指标：资金已及时拨付；",
                                       "满意度指标：满意度≥95%。"]


def test_tidy_and_one_shared_actual_per_class():
    assert tidy("截止 2024 年底，91 万已全部支付，共 77 项，培训 10 万人次") == "截止2024年底，91万元已全部支付，共77项，培训10万人次"
    rows = [{"level2": "数量指标", "level3": n, "target_text": t, "actual_text": "已全面完成目标任务", "status": "met"}
            for n, t in (("评审数量", "≥25项"), ("论证数量", "≥10项"), ("弥补部门运转", "≥1年"), ("差旅费", "≥1次"))]
    (p,) = indicator_class_paras(rows)
    assert p.text == "数量指标：评审数量≥25项、论证数量≥10项、弥补部门运转≥1年、差旅费≥1次，已全面完成目标任务，执行率＝100%。"  # as the reference writes it (its line 54)


def test_deviation_section():
    met = [{"level3": "a", "status": "met"}]
    full = {"execution_rate": 1.0, "deviation_reason": None, "improvement": None}
    assert [p.text for p in deviation_paras(full, met)] == ["未偏离绩效目标。"]
    pending = deviation_paras(full, met + [{"level3": "资金支出合规性", "status": "pending"}])
    assert "尚未判定" in pending[0].text and "资金支出合规性" in pending[0].text
    low = {"execution_rate": 0.5, "budget": 10.0, "spent": 5.0, "deviation_reason": None, "improvement": None}
    texts = [p.text for p in deviation_paras(low, met)]
    assert texts[0] == "全年预算数10万元，全年执行数5万元，执行率为50%，偏离绩效目标。（未填写偏离原因）"
    assert texts[1] == "下一步改进措施：（未填写改进措施）"
    stated = dict(low, deviation_reason="原因甲。", improvement="措施乙。")
    unmet = [{"level3": "培训人数", "status": "unmet", "deviation_note": "疫情影响。"}]
    assert [p.text for p in deviation_paras(stated, unmet)] == ["原因甲。", "培训人数：疫情影响。", "下一步改进措施：措施乙。"]
    # an indicator without an actual is not called a deviation: the data does not say it is one
    no_actual = met + [{"level3": "租赁服务器", "status": "missing"}, {"level3": "签订运维合同期限", "status": "missing"}]
    assert [p.text for p in deviation_paras(full, no_actual)] == ["（2项指标缺少实际完成值（见上），补充后再确认是否偏离绩效目标。）"]
    texts = [p.text for p in deviation_paras(low, no_actual)]
    assert texts == ["全年预算数10万元，全年执行数5万元，执行率为50%，偏离绩效目标。（未填写偏离原因）",
                     "下一步改进措施：（未填写改进措施）", "（2项指标缺少实际完成值（见上），请补充。）"]


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
    assert h1 == ["总体情况"] + [f"{zh_numeral(i)}、{tidy(name)}" for i, (name, *_rest) in enumerate(REFERENCE, start=1)]
    h2 = [p.text for p in sample_doc.paragraphs if p.style.name == "Heading 2"]
    assert h2 == ["（一）项目基本情况", "（二）绩效目标完成情况分析", "（三）偏离绩效目标的原因和下一步改进措施"] * 12
    title = [p.text for p in sample_doc.paragraphs if p.style.name == "Title"]
    assert title == ["张掖市科学技术局2024年度项目支出绩效自评报告"]
    assert sample_doc.core_properties.title == title[0]


def test_report_overall_part_first(sample_doc, sample_store):
    overall = _sections(sample_doc)["总体情况"]
    assert "2024年度共实施项目12个，全年预算数636.98万元，全年执行数635.517万元，执行率99.77%。" in overall
    (table,) = sample_doc.tables
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["项目名称", "自评得分", "等级"] and len(rows) == 13
    # the name column gets the room (checked in a PDF print: equal columns wrapped 8 of 12 names)
    widths = [c.width for c in table.columns]
    assert widths[0] > 2 * widths[1] and abs(sum(widths) - 15.6 * 360000) < 360000
    assert [r[0] for r in rows[1:]] == [tidy(name) for name, *_ in REFERENCE]
    assert rows[4] == ["2024年招商引资", "82.07（估算）", "待判定"]
    assert rows[5] == ["2024年科技活动周", "100.00（估算）", "优（估算）"]
    assert all("估算" in r[1] for r in rows[1:])                # no 分值 in the sample: every score is an estimate
    assert "总体来看，8个项目未偏离绩效目标，1个项目偏离绩效目标（2024年招商引资）。" in overall
    assert "自评等级：优8个、待判定4个。" in overall


def test_report_text_as_a_bureau_writes_it(sample_store, sample_doc):
    text = "\n".join(p.text for p in sample_doc.paragraphs) + "\n".join(
        c.text for t in sample_doc.tables for r in t.rows for c in r.cells)
    assert "636.98万元" in text
    assert not re.search(r"\d万(?!元)", text)                  # money always with 万元 (not 2.8万 / 3.537万)
    assert not re.search(r"\d[ \u3000]+[\u4e00-\u9fff]|[\u4e00-\u9fff][ \u3000]+\d", text)   # no "77 项"
    for tool in ("PerfBoard", "绩效看板", "Streamlit", "streamlit"):
        assert tool not in text                                 # no tool caption in the body ...
    for section in sample_doc.sections:                         # ... nor in the running header/footer
        for part in (section.header, section.footer):
            assert not any(t in p.text for p in part.paragraphs for t in ("PerfBoard", "绩效看板", "Streamlit"))
    assert "PerfBoard" in sample_doc.core_properties.comments   # ... the document properties may name it
    for p in sample_doc.paragraphs:
        assert p.text.count("已全面完成目标任务") <= 1
    sections = _sections(sample_doc)
    # the bureau's own 实际完成情况: dates, recipients and uses, not one formula for every project
    assert "2024年6月，由市财政局拨付至我局招商引资经费5万元" in sections["四、2024年招商引资"]
    assert "已拨付至甘肃前进牧业科技有限责任公司" in sections["十、2023年省科学技术奖励资金"]
    for i, (name, *_rest) in enumerate(REFERENCE, start=1):
        s = sections[f"{zh_numeral(i)}、{tidy(name)}"]
        assert s.count("1.项目概况。") == 1 and "2.项目绩效总目标。" in s
    # the goal targets without an actual are pointed out in red
    assert "以下指标未填写实际完成值：建成科技管理信息系统功能模块（并使用正常）（年度指标值6个）" in sections["七、市级科技计划项目"]
    # ... and the project is not called deviating for them, as the overall part says
    assert "偏离绩效目标。" not in sections["七、市级科技计划项目"].replace("确认是否偏离绩效目标。", "")
    assert "（4项指标缺少实际完成值（见上），补充后再确认是否偏离绩效目标。）" in sections["七、市级科技计划项目"]


def test_report_zhaoshang_deviation_paragraph(sample_doc):
    text = _sections(sample_doc)["四、2024年招商引资"]
    section3 = text.split("（三）")[-1] if "（三）" in text else text
    paragraphs = [p.text for p in sample_doc.paragraphs]
    assert tidy(ZS_REASON) in paragraphs                 # stored text, as written, its own paragraph
    assert "下一步改进措施：（未填写改进措施）" in section3 or "下一步改进措施：（未填写改进措施）" in text
    assert "未偏离绩效目标。" not in text
    assert "填报执行率为70.4%，按全年执行数÷全年预算数计算为70.74%" in text   # the disagreeing rate is pointed out


def test_report_met_projects_and_visible_gaps(sample_doc):
    sections = _sections(sample_doc)
    assert sections["二、2024年强科技行动工作经费"].rstrip().endswith("未偏离绩效目标。")
    first = sections["一、2024年市级科技计划项目"]
    assert "1.项目概况。（未填写项目概况）" in first and "2.项目绩效总目标。（未填写项目绩效总目标）" in first
    # missing data is red so staff see it
    red = [r.text for p in sample_doc.paragraphs for r in p.runs
           if r.font.color is not None and r.font.color.rgb is not None and str(r.font.color.rgb) == "C00000"]
    assert "（未填写项目概况）" in red
    # the stored overview is used as written
    assert "强科技行动工作经费主要用于市级科技计划项目评审、强科技行动推进及弥补部门运转等相关支出。" in sections["二、2024年强科技行动工作经费"]
    # the stored 实际完成情况 with its indicator sentences
    assert "数量指标：立项实施2024年度市级科技计划项目77项，执行率＝100%；" in first
    assert "满意度指标：项目立项实施单位满意度≥95%。" in first
    # the unfinished last project says what is undecided instead of claiming no deviation
    last = sections["十二、2024年残疾人就业保障金"]
    assert "尚未判定" in last and "未偏离绩效目标。" not in last


def test_report_with_achievement_years_and_the_invented_year(sample_store):
    # without a year: the latest only (an illustrative year is never reported together with a real one)
    m = report_model(sample_store, Filters(), include_achievement=True)
    assert [g for g, _ in m.groups] == ["张掖市科学技术局2024年度项目支出绩效自评报告"]
    for _, ss in m.groups:          # --with-achievement no longer repeats section （二）
        for s in ss:
            assert sum(p.text.startswith("1.资") for p in s.analysis) <= 1, s.name
    m = report_model(sample_store, Filters(year=2023))
    assert [g for g, _ in m.groups] == ["张掖市科学技术局2023年度项目支出绩效自评报告（示例（虚构）数据）"]
    assert "2023年度为示例（虚构）数据" in m.overall[0].paras[0].text


def test_report_needs_projects(sample_store):
    with pytest.raises(ValueError, match="没有项目"):
        report_docx(sample_store, Filters(year=1999))


# ---------------------------------------------------------------- a province's scale (issue 19)
def test_aggregate_report_states_the_overall_parts_figures(sample_store):
    """Above the section limit the report is the aggregate chapters, from SQL: the same figures the overall
    part of the per-project report states (636.98万元, 8 未偏离 / 1 偏离, 优8个、待判定4个), every project counted."""
    full = report_model(sample_store, Y2024)
    agg = report_model(sample_store, Y2024, max_sections=0)
    o, a = full.overall[0], agg.overall[0]
    assert agg.groups == [("张掖市科学技术局2024年度项目支出绩效自评报告", [])] and agg.title == full.title
    assert a.paras[0].text == o.paras[0].text == "2024年度共实施项目12个，全年预算数636.98万元，全年执行数635.517万元，执行率99.77%。"
    assert a.table == o.table and len(a.table) == 12 and a.header == ("项目名称", "自评得分", "等级")
    assert a.departments == []                  # one department: no table of departments
    assert [p.text for p in a.closing] == [
        "总体来看，8个项目未偏离绩效目标，1个项目偏离绩效目标。自评等级：优8个、待判定4个。",
        "（3个项目有指标尚未判定或缺少实际完成值，补充后再确认是否偏离绩效目标。）",
        "（标“估算”的得分按默认权重估算：原始数据未填写分值，请核实后确定。）"]
    # the per-project report names the same projects: 8 + 1 + 3 = 12
    assert o.closing[0].text.startswith("总体来看，8个项目未偏离绩效目标，1个项目偏离绩效目标（2024年招商引资）")
    assert o.closing[1].text.count("、") == 2
    (note,) = a.notes
    assert "涵盖筛选出的全部12个项目" in note.text and "本次按要求只生成汇总章节" in note.text
    assert "--department" in note.text and "--max-sections" in note.text


def test_aggregate_report_docx_and_the_invented_year(sample_store):
    doc = Document(io.BytesIO(report_docx(sample_store, Y2024, max_sections=11)))
    assert [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")] == ["总体情况", "各项目自评得分"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "逐项目章节只在筛选结果不超过11个项目时生成，本次共12个项目，未生成" in text
    (table,) = doc.tables
    assert len(table.rows) == 13 and [c.text for c in table.rows[4].cells] == ["2024年招商引资", "82.07（估算）", "待判定"]
    m = report_model(sample_store, Filters(year=2023), max_sections=0)
    assert m.title.endswith("（示例（虚构）数据）")
    assert m.overall[0].paras[0].text == "（2023年度为示例（虚构）数据，不是真实数据，仅供演示。）"
    assert "2023年度共实施项目12个，全年预算数612万元" in m.overall[0].paras[1].text
    # 12 projects within the default limit: the per-project report, as before
    assert len(report_model(sample_store, Y2024).groups[0][1]) == 12


def test_aggregate_report_of_two_departments(sample_store):
    """A second department (the sample copied under another name): a table per 主管部门, every project listed
    with its department, the totals of both."""
    cur = sample_store.cursor()
    cur.execute("CREATE TEMP TABLE x AS SELECT * FROM projects WHERE year = 2024")
    cur.execute("UPDATE x SET id = id + 100000, department = '甲局'")
    cur.execute("INSERT INTO projects SELECT * FROM x")
    m = report_model(sample_store, Y2024, max_sections=20)
    o = m.overall[0]
    assert m.title == "2024年度项目支出绩效自评报告（2个主管部门汇总）"
    assert o.paras[0].text == "2024年度共实施项目24个，全年预算数1273.96万元，全年执行数1271.034万元，执行率99.77%。"
    assert [r[:2] for r in o.departments] == [("张掖市科学技术局", "12"), ("甲局", "12")] or \
        [r[:2] for r in o.departments] == [("甲局", "12"), ("张掖市科学技术局", "12")]
    by = {r[0]: r for r in o.departments}
    assert by["张掖市科学技术局"][2:] == ("636.98", "635.52", "99.77%", "1", "3", "优8个、待判定4个")
    assert by["甲局"][5:7] == ("1", "0")         # no indicators copied: the copy has nothing undecided
    assert o.header == ("主管部门", "项目名称", "自评得分", "等级") and len(o.table) == 24


def test_section_limit_is_checked(sample_store):
    for bad in (-1, 5001, 2.5, True):
        with pytest.raises(ValueError, match="逐项目章节上限"):
            report_model(sample_store, Y2024, max_sections=bad)
