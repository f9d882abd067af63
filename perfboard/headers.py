"""Matching the column headers users actually write to PerfBoard's fields."""
from __future__ import annotations

import re

from .cells import norm

# field -> accepted header spellings (after norm(); English aliases compared lower-case).
PROJECT_FIELDS: dict[str, list[str]] = {
    "year": ["年度", "年份", "预算年度", "year"],
    "department": ["主管部门", "单位", "单位名称", "部门", "预算单位", "主管部门名称", "部门名称", "department"],
    "unit": ["实施单位", "实施单位名称", "unit"],
    "project_code": ["项目编码", "项目代码", "项目编号", "project_code"],
    "project_name": ["项目名称", "project_name"],
    "funding_source": ["资金来源", "资金性质", "funding_source"],
    "initial_budget": ["年初预算数", "年初预算", "initial_budget"],
    "budget": ["全年预算数", "预算数", "调整后预算数", "调整后预算", "全年预算", "budget"],
    "spent": ["全年执行数", "执行数", "支出数", "实际支出", "预算执行数", "spent"],
    "reported_rate": ["执行率", "预算执行率", "reported_rate"],
    "overview": ["项目概况", "overview"],
    "goal": ["年度总体目标", "总体目标", "绩效总目标", "项目绩效总目标", "goal"],
    "achievement": ["实际完成情况", "完成情况", "achievement"],
    "deviation_reason": ["偏离原因", "偏差原因", "偏离绩效目标的原因", "deviation_reason"],
    "improvement": ["改进措施", "下一步改进措施", "improvement"],
}
PROJECT_REQUIRED = ["year", "project_name", "budget", "spent"]   # department: column or given at import

INDICATOR_FIELDS: dict[str, list[str]] = {
    "year": ["年度", "年份", "year"],
    "project_code": ["项目编码", "项目代码", "项目编号", "project_code"],
    "project_name": ["项目名称", "project_name"],
    "level1": ["一级指标", "一级", "level1"],
    "level2": ["二级指标", "二级", "level2"],
    "level3": ["三级指标", "三级", "指标名称", "level3"],
    "direction": ["指标性质", "指标方向", "direction"],
    "target": ["年度指标值", "指标值", "目标值", "年度目标值", "target"],
    "unit": ["度量单位", "计量单位", "单位", "unit"],
    "actual": ["实际完成值", "完成值", "实际值", "全年完成值", "actual"],
    "weight": ["分值", "权重", "weight"],
    "score": ["得分", "score"],
    "judgement": ["评价结论", "完成情况判定", "判定", "judgement"],
    "deviation_note": ["偏差原因分析及改进措施", "偏差原因", "未完成原因分析", "未完成原因和改进措施", "deviation_note"],
}
INDICATOR_REQUIRED = ["level3"]

PROJECT_ZH = {f: names[0] for f, names in PROJECT_FIELDS.items()}
INDICATOR_ZH = {f: names[0] for f, names in INDICATOR_FIELDS.items()}

_BRACKET = re.compile(r"^(.*?)[(\[【](.*?)[)\]】]$")
_GROUP = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]")
_UNITS = {"元", "万元", "%", "百分比"}


def _index(fields: dict[str, list[str]]) -> dict[str, str]:
    return {norm(alias).lower(): f for f, aliases in fields.items() for alias in aliases}


_PROJECT_INDEX = _index(PROJECT_FIELDS)
_INDICATOR_INDEX = _index(INDICATOR_FIELDS)


def match_header(header, fields: str = "projects") -> tuple[str | None, str | None]:
    """'全年预算数（万元）' -> ('budget', '万元'); '年度(year)' -> ('year', None); unknown -> (None, None)."""
    index = _PROJECT_INDEX if fields == "projects" else _INDICATOR_INDEX
    h = norm(header).strip("*＊").lower()
    if not h:
        return None, None
    if h in index:
        return index[h], None
    m = _BRACKET.match(h)
    if m:
        # one or more bracket groups after the name: '（元）', '（单位：元）', '(budget)', '(budget)(元)'
        base, groups = m.group(1).strip("*"), _GROUP.findall(h[len(m.group(1)):])
        units = [g.split(":")[-1] for g in groups if g.split(":")[-1] in _UNITS]
        unit = units[0] if units else None
        for cand in (base, *groups):
            if cand in index:
                return index[cand], unit
    return None, None


def map_header_row(row: list, fields: str) -> tuple[dict[str, tuple[int, str | None, str]], list[tuple[int, str]]]:
    """Header cells -> {field: (column index, unit, header as written)} and the unknown columns.
    The first column wins when two headers map to the same field."""
    mapping: dict[str, tuple[int, str | None, str]] = {}
    unknown: list[tuple[int, str]] = []
    for c, cell in enumerate(row):
        if cell is None or str(cell).strip() == "":
            continue
        field, unit = match_header(cell, fields)
        if field is None:
            unknown.append((c, str(cell).strip()))
        elif field not in mapping:
            mapping[field] = (c, unit, str(cell).strip())
    return mapping, unknown
