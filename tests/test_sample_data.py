"""Checks on the sample workbook data/sample/zhangye-kjj-2024.xlsx.

Reads the file with openpyxl only (independent of the app's importer).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
WORKBOOK = SAMPLE_DIR / "zhangye-kjj-2024.xlsx"
SCRIPT = SAMPLE_DIR / "build_sample.py"

PROJECT_HEADERS = [
    "年度", "主管部门", "实施单位", "项目编码", "项目名称", "资金来源",
    "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "执行率",
    "项目概况", "年度总体目标", "实际完成情况", "偏离原因", "改进措施",
]
INDICATOR_HEADERS = [
    "年度", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值",
    "实际完成值", "分值", "得分", "评价结论", "偏差原因分析及改进措施",
]


def _records(ws, headers):
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == headers
    return [dict(zip(headers, r)) for r in rows[1:] if any(v is not None for v in r)]


@pytest.fixture(scope="module")
def wb():
    return load_workbook(WORKBOOK)


@pytest.fixture(scope="module")
def projects(wb):
    return _records(wb["项目"], PROJECT_HEADERS)


@pytest.fixture(scope="module")
def indicators(wb):
    return _records(wb["绩效指标"], INDICATOR_HEADERS)


def test_sheets(wb):
    assert wb.sheetnames == ["项目", "绩效指标", "说明"]
    assert wb["说明"].max_row > 5


def test_twelve_projects_unique_names(projects):
    assert len(projects) == 12
    names = [p["项目名称"] for p in projects]
    assert len(set(names)) == 12
    for p in projects:
        assert p["年度"] == 2024
        assert p["主管部门"] == "张掖市科学技术局"
        # only where the report states it (issue 15); empty otherwise
        assert p["资金来源"] in {"市级财政资金", "上年结转资金", "省级转移支付资金", None}


def test_money_totals(projects):
    for p in projects:
        for key in ("全年预算数（万元）", "全年执行数（万元）"):
            assert isinstance(p[key], (int, float)), (p["项目名称"], key)
        assert p["年初预算数（万元）"] is None, p["项目名称"]      # not in the report (issue 15)
    assert sum(p["全年预算数（万元）"] for p in projects) == pytest.approx(636.98, abs=1e-9)
    assert sum(p["全年执行数（万元）"] for p in projects) == pytest.approx(635.517, abs=1e-9)


def test_rates_are_fractions_formatted_as_percent(wb, projects):
    ws = wb["项目"]
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row=row, column=10)
        if cell.value is not None:
            assert 0 < cell.value <= 1
            assert cell.number_format == "0.0%"


def test_indicators_belong_to_projects(projects, indicators):
    names = {p["项目名称"] for p in projects}
    assert indicators
    for ind in indicators:
        assert ind["项目名称"] in names
        assert ind["一级指标"] in {"产出指标", "效益指标", "满意度指标"}
        assert ind["三级指标"]
    counts = {n: 0 for n in names}
    for ind in indicators:
        counts[ind["项目名称"]] += 1
    assert all(c >= 1 for c in counts.values()), counts


def test_zhaoshang(projects):
    (p,) = [p for p in projects if p["项目名称"] == "2024 年招商引资"]
    assert p["全年预算数（万元）"] == 5
    assert p["全年执行数（万元）"] == pytest.approx(3.537)
    assert p["执行率"] == pytest.approx(0.704)  # as reported (true rate 70.74 %)
    assert "过“紧日子”" in p["偏离原因"]
    assert p["改进措施"] is None


def test_first_project(projects):
    first = projects[0]
    assert first["项目名称"] == "2024 年市级科技计划项目"
    assert first["全年预算数（万元）"] == 425
    # the carried-over 2023 project is a different one
    assert any(p["项目名称"] == "市级科技计划项目" and p["全年预算数（万元）"] == 50 for p in projects)


def test_no_formula_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("="), (ws.title, cell.coordinate)


def test_headers_bold_and_frozen(wb):
    for title in ("项目", "绩效指标", "说明"):
        ws = wb[title]
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1] if c.value is not None)


def _load_script():
    spec = importlib.util.spec_from_file_location("build_sample_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_regenerates_identical_workbook(tmp_path, wb):
    module = _load_script()
    out = module.build(tmp_path / "regen.xlsx")
    fresh = load_workbook(out)
    assert fresh.sheetnames == wb.sheetnames
    for name in wb.sheetnames:
        committed = [list(r) for r in wb[name].iter_rows(values_only=True)]
        rebuilt = [list(r) for r in fresh[name].iter_rows(values_only=True)]
        assert rebuilt == committed, name


def test_truncated_opening_of_the_first_project_is_marked(projects):
    """The source text of the first project starts mid-sentence ("划项目资金 425 万元…"): the sample says so in
    the text itself, so a reader of 实际完成情况 on a page or in the report does not take it for the original."""
    actual = projects[0]["实际完成情况"]
    assert actual.startswith("（原文开头缺失）划项目资金 425 万元，")
    assert sum("原文开头缺失" in (p["实际完成情况"] or "") for p in projects) == 1
