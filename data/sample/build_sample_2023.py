"""Build the ILLUSTRATIVE 2023 sample workbook ``示例（虚构）-zhangye-kjj-2023.xlsx``.

示例（虚构）数据: no real 2023 self-evaluation of 张掖市科学技术局 is available. Every figure below
is invented so that the year-over-year page (同比分析) has something to compare with the real
2024 sample (build_sample.py). The file name, the 说明 sheet and every project's 项目概况 say so.

How it lines up with 2024 (and why):
- most 2024 projects continue under year-changed names ("2023年招商引资" -> "2024 年招商引资");
  "完成技术合同登记任务指标机构奖励" keeps its name without a year; the provincial award is named
  after the previous year in both years ("2022 年省科学技术奖励资金" -> "2023 年省科学技术奖励资金").
- the 2024 report says its "市级科技计划项目" (50 万元, carried over) is the "2023 年度市级科技计划－
  服务体系建设专项" set up on 2023-11-09 and carried over unspent. So that is its 2023 counterpart,
  with 0 spent in 2023; its name changed, so it is the one pair a person must confirm (fuzzy).
  The 2023 annual round "2023年市级科技计划项目" continues as "2024 年市级科技计划项目" (425 万元),
  and must NOT be matched to the carried-over "市级科技计划项目" although its stem is the same.
- new in 2024: "“张掖科技”政务新媒体平台管理运维" (the account was set up in 2023-04 and its first
  year of operation paid in 2024). Discontinued after 2023: "2023 年科技创新券补助资金".
- rates and indicator outcomes move both ways (招商引资 92% -> 70.74%; 科技活动周 97% -> 100%;
  残疾人就业保障金 indicators 3/3 -> 0/3 because the 2024 report is cut off before its conclusions).

Usage:  python data/sample/build_sample_2023.py [output.xlsx]
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "示例（虚构）-zhangye-kjj-2023.xlsx"


def _writer():
    """The 2024 builder's headers, vocabulary and cell/sheet writers (one layout for both years)."""
    spec = importlib.util.spec_from_file_location("build_sample_2024", HERE / "build_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


W = _writer()
YEAR = 2023
DEPARTMENT = W.DEPARTMENT
CITY, PROVINCE = W.CITY, W.PROVINCE
LABEL = "【示例（虚构）数据】"
OK, PART, NO = "达成", "部分达成", "未达成"
SAT = "服务对象满意度指标"

# (name, unit, funding source, budget, spent, overview, reason, measures, indicators)
# indicators: (二级指标, 三级指标, 年度指标值, 实际完成值, 评价结论); a blank 评价结论 leaves the
# judgement to the app (quantitative target vs actual).
PROJECTS = [
    ("2023年市级科技计划项目", "", CITY, 400, 374,
     "2023 年度市级科技计划项目资金，用于支持当年立项的市级科技计划项目。",
     "部分项目未通过中期检查，剩余 26 万元按规定收回财政。", "加强立项前论证和实施过程督导，确保项目按期实施。",
     [("数量指标", "立项实施 2023 年度市级科技计划项目", "≥70项", "68项", ""),
      ("质量指标", "项目立项合规率", "=100%", "100%", ""),
      ("时效指标", "资金拨付及时性", "及时拨付", "部分项目资金于次年初拨付", PART),
      (SAT, "项目立项实施单位满意度", "≥95%", "96%", "")]),
    ("2023 年强科技行动工作经费", "", CITY, 10, 10,
     "强科技行动工作经费主要用于市级科技计划项目评审、强科技行动推进等相关支出。", "", "",
     [("数量指标", "市级科技计划项目评审数量", "≥25项", "27项", ""),
      ("数量指标", "揭榜挂帅制项目评审论证数量", "≥10项", "8项", ""),
      ("数量指标", "弥补部门运转", "≥1年", "1年", ""),
      ("质量指标", "项目立项合规率", "=100%", "100%", ""),
      (SAT, "服务对象满意度", "≥95%", "96%", "")]),
    ("2023年招商引资", "", CITY, 5, 4.6,
     "根据市委市政府下达的招商引资目标任务，每半年赴外招商不少于 1 次，全年引进落地项目 1 项以上。",
     "原计划的第三次赴外招商因对接企业行程调整取消，结余 0.4 万元。", "提前与目标企业对接，合理安排赴外招商行程。",
     [("成本指标", "项目总成本", "≤5万元", "4.6万元", ""),
      ("数量指标", "年度赴外招商", "2次", "2次", ""),
      ("数量指标", "全年引进落地项目", "1项", "1项", ""),
      ("质量指标", "经费支出合规性", "合规", "经费支出合规", OK),
      ("时效指标", "资金拨付及时性", "及时拨付", "资金已及时拨付", OK),
      (SAT, "服务对象满意度", "≥95%", "96%", "")]),
    ("2023 年科技活动周", "", CITY, 6, 5.82,
     "举办 2023 年张掖市科技活动周，开展科普宣传活动。",
     "部分科普宣传活动因天气原因取消，结余 0.18 万元。", "提前制定备用方案，室内外活动相结合。",
     [("数量指标", "举办科技活动周启动仪式", "1次", "1次", ""),
      ("数量指标", "科技活动周期间开展科普宣传场次", "≥10次", "8次", ""),
      ("数量指标", "印制宣传材料、制作宣传品份数", "≥1000份", "1200份", ""),
      (SAT, "参与公众满意度", "≥95%", "93%", "")]),
    ("完成技术合同登记任务指标机构奖励", "", PROVINCE, 80, 80,
     "下达技术合同认定登记机构奖励资金 80 万元。", "", "",
     [("数量指标", "全年登记合同数量", "≥600项", "652项", ""),
      ("质量指标", "登记技术合同质量", "≥80%", "85%", ""),
      (SAT, "服务对象满意度", "≥95%", "97%", "")]),
    ("2023 年度市级科技计划－服务体系建设专项", "张掖市科技服务中心、张掖市科技情报研究所", CITY, 50, 0,
     "2023 年 11 月 9 日立项服务体系建设专项 2 项：张掖市科技管理服务人员业务能力提升（20 万元）、"
     "张掖市科技管理信息系统建设（30 万元）。",
     "项目于 2023 年 11 月 9 日立项，立项时间较晚，经申请 50 万元资金结转至 2024 年度支出。",
     "2024 年加快项目实施，确保结转资金年内支出完毕。",
     [("数量指标", "建成张掖市科技大市场", "1处", "0处", ""),
      ("数量指标", "培训我市从事科技创新管理和服务工作的从业人员", "30人以上", "0人", ""),
      ("时效指标", "资金支付及时性", "及时支付", "资金结转至 2024 年度支出", NO)]),
    ("2023 年市级科技特派员奖补资金", "", CITY, 5, 5,
     "对年度表现突出的科技特派员以奖代补并通报表扬。", "", "",
     [("数量指标", "给予补助并发放荣誉证书人数", "45人", "45人", ""),
      ("质量指标", "补助对象资格", "符合资格", "补助对象符合资格", OK),
      (SAT, "补助对象满意度", "≥95%", "96%", "")]),
    ("2023 年重点工作完成情况奖励资金", "", PROVINCE, 20, 18.5,
     "省对市州重点工作完成情况奖励资金，统筹用于项目谋划储备及弥补部门运转。",
     "年底前部分报销单据未及时办结，结余 1.5 万元。", "加快报销进度，年底前清理往来款项。",
     [("数量指标", "弥补部门运转", "≥1年", "1年", ""),
      ("数量指标", "项目立项", "≥1项", "2项", ""),
      ("时效指标", "资金支付及时性", "及时支付", "年底结余 1.5 万元", PART)]),
    ("2022 年省科学技术奖励资金", "", PROVINCE, 8, 8,
     "2022 年度甘肃省科学技术奖励资金，拨付获奖单位。", "", "",
     [("数量指标", "奖励单位", "2家", "2家", ""),
      ("时效指标", "资金拨付及时性", "及时拨付", "资金已及时拨付", OK),
      (SAT, "获奖单位满意度", "≥95%", "98%", "")]),
    ("2023年度第一、二批省级科技计划项目资金", "", PROVINCE, 10, 10,
     "下达 2023 年度第一、二批省级科技计划项目资金 10 万元。", "", "",
     [("时效指标", "资金拨付及时性", "及时拨付", "资金已及时拨付", OK),
      (SAT, "服务对象满意度", "≥95%", "95%", "")]),
    ("2023 年残疾人就业保障金", "", CITY, 3, 3,
     "按单位总人数 1.5% 的比例缴纳残疾人就业保障金。", "", "",
     [("质量指标", "资金支出合规性", "合规", "资金支出符合规定", OK),
      ("时效指标", "资金缴纳及时性", "及时缴纳", "资金已及时缴纳", OK),
      ("社会效益指标", "社会保障压力", "减轻", "减轻社会保障压力", OK)]),
    ("2023 年科技创新券补助资金", "", CITY, 15, 12.3,
     "向科技型中小企业发放科技创新券，补助其购买科技服务。2024 年起不再安排。",
     "部分企业未在规定期限内提交兑付材料，结余 2.7 万元。", "政策调整后不再安排，结余资金收回财政。",
     [("数量指标", "发放科技创新券企业数量", "≥20家", "16家", ""),
      ("时效指标", "创新券兑付及时性", "及时兑付", "按季度兑付", OK),
      (SAT, "服务对象满意度", "≥95%", "95%", "")]),
]

NOTES = [
    "示例（虚构）数据：本工作簿的全部项目、金额和指标均为虚构，仅用于演示 PerfBoard 的同比分析功能，"
    "不是张掖市科学技术局的真实 2023 年度自评数据。真实数据只有 2024 年度（zhangye-kjj-2024.xlsx，转录自自评报告）。",
    "每个项目的“项目概况”都以“【示例（虚构）数据】”开头；应用在显示 2023 年度数据时也会标注“示例（虚构）”。",
    "与 2024 年度的对应关系：大多数项目在 2024 年换了年份后继续（如“2023年招商引资”→“2024 年招商引资”）；"
    "“完成技术合同登记任务指标机构奖励”两年同名；省科学技术奖励资金两年都以上一年命名（2022→2023）。",
    "2024 年度的“市级科技计划项目”（50 万元）按 2024 年报告是 2023 年 11 月立项、结转至 2024 年支出的"
    "“2023 年度市级科技计划－服务体系建设专项”，故本表该项目 2023 年执行数为 0；两者名称不同，需要人工确认匹配。"
    "“2023年市级科技计划项目”对应的是 2024 年度的“2024 年市级科技计划项目”，不能与结转的“市级科技计划项目”合并。",
    "2024 年新增：“张掖科技”政务新媒体平台管理运维。2023 年有、2024 年不再安排：2023 年科技创新券补助资金。",
    "执行率为执行数 ÷ 全年预算数；年初预算数等于全年预算数；项目编码留空（与 2024 年示例一致）。",
    "运行 data/sample/build_sample_2023.py 可重新生成本工作簿。",
]


def project_rows():
    for name, unit, source, budget, spent, overview, reason, measures, _ in PROJECTS:
        yield [YEAR, DEPARTMENT, unit, "", name, source, budget, budget, spent, spent / budget,
               LABEL + overview, "", "", reason, measures]


def indicator_rows():
    for name, *_, indicators in PROJECTS:
        for level2, level3, target, actual, verdict in indicators:
            yield [YEAR, name, W.LEVEL1[level2], level2, level3, target, actual, None, None, verdict, ""]


def build(path: Path | str = DEFAULT_OUTPUT) -> Path:
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(W.PROJECT_HEADERS)
    for r, values in enumerate(project_rows(), start=2):
        for c, v in enumerate(values, start=1):
            W._put(ws, r, c, v)
        ws.cell(row=r, column=10).number_format = "0.0%"
    W._style_sheet(ws, [7, 18, 24, 10, 34, 16, 12, 12, 12, 9, 60, 30, 30, 50, 30],
                   wrap_cols=(2, 3, 5, 6, 11, 12, 13, 14, 15))

    ws = wb.create_sheet("绩效指标")
    ws.append(W.INDICATOR_HEADERS)
    for r, values in enumerate(indicator_rows(), start=2):
        for c, v in enumerate(values, start=1):
            W._put(ws, r, c, v)
    W._style_sheet(ws, [7, 34, 12, 20, 32, 14, 36, 8, 8, 10, 30], wrap_cols=(2, 5, 6, 7, 11))

    ws = wb.create_sheet("说明")
    ws.append([W.NOTES_HEADER])
    for r, note in enumerate(NOTES, start=2):
        W._put(ws, r, 1, note)
    W._style_sheet(ws, [120], wrap_cols=(1,))

    wb.save(path)
    return path


def _check():
    names = [p[0] for p in PROJECTS]
    assert len(set(names)) == len(names)
    assert all(level2 in W.LEVEL1 for p in PROJECTS for level2, *_ in p[-1])


if __name__ == "__main__":
    _check()
    out = build(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUTPUT)
    print(f"wrote {out}: {len(PROJECTS)} projects, {sum(len(p[-1]) for p in PROJECTS)} indicators")
