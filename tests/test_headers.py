"""perfboard.headers: the column headers users actually write map to PerfBoard's fields."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfboard.headers import INDICATOR_FIELDS, PROJECT_FIELDS, map_header_row, match_header


@pytest.mark.parametrize("header, field, unit", [
    ("全年预算数", "budget", None),
    (" 全年 预算数 ", "budget", None),
    ("全年预算数\u3000", "budget", None),
    ("全年预算数（万元）", "budget", "万元"),
    ("全年预算数(万元)", "budget", "万元"),
    ("全年预算数 （ 万元 ）", "budget", "万元"),
    ("全年预算数（元）", "budget", "元"),
    ("全年预算数【元】", "budget", "元"),
    ("全年预算数[万元]", "budget", "万元"),
    ("全年预算数（单位：元）", "budget", "元"),
    ("全年预算数(单位:万元)", "budget", "万元"),
    ("*全年预算数", "budget", None),
    ("年度(year)", "year", None),
    ("年度（year）", "year", None),
    ("year", "year", None),
    ("Year", "year", None),
    ("budget", "budget", None),
    ("BUDGET", "budget", None),
    ("budget(元)", "budget", "元"),
    ("项目名称(project_name)", "project_name", None),
    ("执行率（%）", "reported_rate", "%"),
    # variants users write for the same column
    ("单位", "department", None),
    ("单位名称", "department", None),
    ("部门", "department", None),
    ("预算单位", "department", None),
    ("主管部门", "department", None),
    ("预算数", "budget", None),
    ("调整后预算数", "budget", None),
    ("调整后预算数（万元）", "budget", "万元"),
    ("执行数", "spent", None),
    ("支出数", "spent", None),
    ("实际支出", "spent", None),
    ("实际支出（元）", "spent", "元"),
    ("全年执行数", "spent", None),
    ("实施单位", "unit", None),
])
def test_project_headers(header, field, unit):
    assert match_header(header, "projects") == (field, unit)


@pytest.mark.parametrize("header, field", [
    ("三级指标", "level3"), ("指标名称", "level3"), ("年度指标值", "target"), ("实际完成值", "actual"),
    ("度量单位", "unit"), ("单位", "unit"),           # on the indicators sheet 单位 is the measurement unit
    ("分值", "weight"), ("得分", "score"), ("偏差原因分析及改进措施", "deviation_note"), ("项目编码", "project_code"),
])
def test_indicator_headers(header, field):
    assert match_header(header, "indicators")[0] == field


@pytest.mark.parametrize("header", ["备注", "联系人", "序号", "", "   ", "预算数差额",
                                    "项目", "名称(备注)"])
def test_unknown_headers(header):
    assert match_header(header, "projects") == (None, None)


def test_map_header_row_keeps_unknown_aside_and_first_column_wins():
    row = ["序号", "年度", "主管部门", "项目名称", "全年预算数（元）", "全年执行数（元）", "备注", "", None, "预算数"]
    mapping, unknown = map_header_row(row, "projects")
    assert mapping == {
        "year": (1, None, "年度"),
        "department": (2, None, "主管部门"),
        "project_name": (3, None, "项目名称"),
        "budget": (4, "元", "全年预算数（元）"),
        "spent": (5, "元", "全年执行数（元）"),
    }
    assert unknown == [(0, "序号"), (6, "备注")]


def test_column_order_does_not_matter():
    a, _ = map_header_row(["项目名称", "全年执行数", "年度", "全年预算数"], "projects")
    b, _ = map_header_row(["年度", "全年预算数", "项目名称", "全年执行数"], "projects")
    assert {f: v[2] for f, v in a.items()} == {f: v[2] for f, v in b.items()}


# ---------------------------------------------------------------- property: decorations never change the field
_FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}   # ASCII -> full-width forms


def _widen(s: str, flags: list[bool]) -> str:
    return "".join(_FULL.get(ch, ch) if f else ch for ch, f in zip(s, flags + [False] * len(s)))


def _spaced(s: str, spaces: list[str]) -> str:
    out = []
    for i, ch in enumerate(s):
        out.append(spaces[i % len(spaces)] if spaces else "")
        out.append(ch)
    return "".join(out) + (spaces[-1] if spaces else "")


ALIASES = [("projects", f, a) for f, names in PROJECT_FIELDS.items() for a in names] + \
          [("indicators", f, a) for f, names in INDICATOR_FIELDS.items() for a in names]
UNIT_SUFFIXES = ["", "(万元)", "（万元）", "(元)", "（元）", "【万元】", "[元]", "（单位：万元）", "(单位:元)", "（%）"]
BRACKETS = [("(", ")"), ("（", "）"), ("[", "]"), ("【", "】")]


@settings(max_examples=500, deadline=None)
@given(alias=st.sampled_from(ALIASES), suffix=st.sampled_from(UNIT_SUFFIXES),
       spaces=st.lists(st.sampled_from(["", " ", "  ", "\u3000", "\t"]), max_size=6),
       wide=st.lists(st.booleans(), max_size=30), star=st.booleans(), upper=st.booleans(),
       english=st.booleans(), english_first=st.booleans(), bracket=st.sampled_from(BRACKETS))
def test_decorated_alias_maps_to_same_field(alias, suffix, spaces, wide, star, upper, english, english_first, bracket):
    fields, field, name = alias
    groups = [suffix] if suffix else []
    if english and not name.isascii():
        # a Chinese header carrying its English alias in brackets: 全年预算数(budget), 全年预算数(budget)(元)
        english_alias = [a for a in (PROJECT_FIELDS if fields == "projects" else INDICATOR_FIELDS)[field] if a.isascii()][0]
        group = f"{bracket[0]}{english_alias.upper() if upper else english_alias}{bracket[1]}"
        groups = [group] + groups if english_first else groups + [group]
    header = ("*" if star else "") + (name.upper() if upper else name)
    header = _spaced(_widen(header, wide), spaces) + "".join(groups)
    expected_unit = suffix.strip("()（）[]【】").replace("：", ":").split(":")[-1] or None
    assert match_header(header, fields) == (field, expected_unit), header
