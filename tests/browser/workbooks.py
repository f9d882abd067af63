"""Small flat import workbooks for the browser journeys, with the sample's own headers."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from openpyxl import Workbook

from browser_helpers import ROOT

_spec = importlib.util.spec_from_file_location("_build_sample", ROOT / "data" / "sample" / "build_sample.py")
_bs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bs)
PROJECT_HEADERS, INDICATOR_HEADERS = _bs.PROJECT_HEADERS, _bs.INDICATOR_HEADERS

DEPARTMENT = "测试部门"
# name, code, budget, spent (万元)
PROJECTS = [("测试项目甲", "CS-001", 100, 80), ("测试项目乙", "CS-002", 50, 50)]
INDICATORS = [
    # 项目名称, 一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分, 评价结论, 偏差原因
    ("测试项目甲", "产出指标", "数量指标", "培训人次", "≥100人次", "80人次", 10, 8, "部分达成", "经费压减"),
    ("测试项目甲", "满意度指标", "服务对象满意度指标", "参训人员满意度", "≥90%", "95%", 10, 10, "达成", ""),
    ("测试项目乙", "产出指标", "数量指标", "发放手册", "500册", "500册", 10, 10, "达成", ""),
]


def flat_workbook(path: Path, budget_override=None, year: int = 2024) -> Path:
    """Write a flat import workbook (sheets 项目, 绩效指标) for DEPARTMENT; budget_override replaces the
    first project's 全年预算数 cell (e.g. a text such as "二十五万" to make a bad file)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(PROJECT_HEADERS)
    for i, (name, code, budget, spent) in enumerate(PROJECTS):
        row = {
            "年度": year, "主管部门": DEPARTMENT, "实施单位": "测试实施单位", "项目编码": code, "项目名称": name,
            "资金来源": "市级财政资金", "年初预算数（万元）": budget,
            "全年预算数（万元）": budget_override if (i == 0 and budget_override is not None) else budget,
            "全年执行数（万元）": spent, "执行率": round(spent / budget, 4),
            "项目概况": f"{name}概况", "年度总体目标": f"{name}目标", "实际完成情况": f"{name}完成情况",
            "偏离原因": "经费压减" if spent < budget else "", "改进措施": "加快执行" if spent < budget else "",
        }
        ws.append([row[h] for h in PROJECT_HEADERS])
    ws = wb.create_sheet("绩效指标")
    ws.append(INDICATOR_HEADERS)
    for ind in INDICATORS:
        ws.append([year, *ind])
    wb.save(path)
    return path
