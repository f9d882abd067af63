"""perfboard.cells: money in 万元, rates as fractions, years, plain numbers, text.

Every parser returns (value, problem_code); a None code means the cell is fine."""
from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfboard import cells


# ---------------------------------------------------------------- money
@pytest.mark.parametrize("cell, header_unit, expected", [
    ("25万元", "万元", 25.0),
    ("25万", "万元", 25.0),
    ("25 万元", "万元", 25.0),
    ("２５万元", "万元", 25.0),            # full-width digits
    ("250000元", "万元", 25.0),           # a unit in the cell beats the header
    ("25万元", "元", 25.0),
    ("1,234.5", "万元", 1234.5),
    ("１，２３４．５", "万元", 1234.5),
    ("636.98", "万元", 636.98),
    (25, "万元", 25.0),
    (3.537, "万元", 3.537),
    (0, "万元", 0.0),
    (250000, "元", 25.0),                 # header says 元: converts
    (250000.0, "元", 25.0),
    ("250000", "元", 25.0),
    ("35370", "元", 3.537),
    ("+5", "万元", 5.0),
])
def test_money_ok(cell, header_unit, expected):
    value, code = cells.money(cell, header_unit)
    assert code is None
    assert value == pytest.approx(expected, rel=1e-12)


def test_money_keeps_full_precision():
    # no rounding on the way in: 1.23456789 万元 stays so
    assert cells.money("1.23456789")[0] == 1.23456789
    # 元 -> 万元 is a division, exact to the last bit like the written figure (not 35370 * 0.0001)
    assert cells.money(35370, "元") == (3.537, None)
    assert cells.money("35370", "元") == (3.537, None)
    assert cells.money("35370元") == (3.537, None)
    assert all(cells.money(k * 10, "元")[0] == float(f"{k / 1000}") for k in range(1, 100000, 7))
    assert cells.money(12345, "元")[0] == pytest.approx(1.2345, rel=1e-15)


@pytest.mark.parametrize("cell", ["二十五万", "二十五万元", "约25万", "25万元整", "￥25", "25.5.1", "abc", "1e3",
                                  True, dt.date(2024, 1, 1), float("inf"), float("-inf")])
def test_money_not_a_number(cell):
    assert cells.money(cell) == (None, "not-a-number")


@pytest.mark.parametrize("cell, expected", [(-5, -5.0), ("-5", -5.0), ("-25万元", -25.0), ("-250000元", -25.0),
                                            (-0.001, -0.001)])
def test_money_negative(cell, expected):
    value, code = cells.money(cell)
    assert code == "negative-money"
    assert value == pytest.approx(expected)


@pytest.mark.parametrize("cell", [None, "", "   ", "\u3000", float("nan")])
def test_money_blank_is_none_without_problem(cell):
    assert cells.money(cell) == (None, None)


@given(st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False))
def test_money_text_and_number_agree(d):
    as_number = cells.money(float(d))
    as_text = cells.money(f"{d}万元")
    as_yuan = cells.money(f"{d * 10000}元")
    assert as_number[1] is as_text[1] is as_yuan[1] is None
    assert as_text[0] == pytest.approx(as_number[0], rel=1e-12, abs=1e-12)
    assert as_yuan[0] == pytest.approx(as_number[0], rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- rate
@pytest.mark.parametrize("cell, expected", [
    ("70.4%", 0.704),
    ("７０．４％", 0.704),
    ("70.4 %", 0.704),
    ("100%", 1.0),
    ("99.77%", 0.9977),
    (0.704, 0.704),
    ("0.704", 0.704),
    (70.4, 0.704),
    ("70.4", 0.704),
    (100, 1.0),
    (1, 1.0),                  # a bare number up to 3 is a fraction (100%)
    (1.05, 1.05),              # over-execution stays a fraction
    (0, 0.0),
])
def test_rate_ok(cell, expected):
    value, code = cells.rate(cell)
    assert code is None
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("cell", ["七成", "70.4%%", "约70%", True, dt.date(2024, 1, 1), float("inf")])
def test_rate_not_a_number(cell):
    assert cells.rate(cell) == (None, "not-a-number")


@pytest.mark.parametrize("cell", [None, "", " ", float("nan")])
def test_rate_blank(cell):
    assert cells.rate(cell) == (None, None)


@given(st.floats(min_value=3.01, max_value=1000, allow_nan=False))
def test_rate_percent_text_and_number_agree(x):
    assert cells.rate(x)[0] == pytest.approx(cells.rate(f"{x!r}%")[0], rel=1e-12)


# ---------------------------------------------------------------- year
@pytest.mark.parametrize("cell", ["2024", 2024, 2024.0, "2024年", "2024年度", " 2024 ", "２０２４", " 2024年 "])
def test_year_ok(cell):
    assert cells.year(cell) == (2024, None)


@pytest.mark.parametrize("cell", ["二〇二四", "24", "2024-01", "2024.5", 2024.5, 1800, 3000, "1989", "abcd",
                                  dt.date(2024, 1, 1), "2024年年"])
def test_year_bad(cell):
    assert cells.year(cell) == (None, "bad-year")


@pytest.mark.parametrize("cell", [None, "", "  "])
def test_year_blank(cell):
    assert cells.year(cell) == (None, None)


# ---------------------------------------------------------------- number (weights, scores)
@pytest.mark.parametrize("cell, expected", [(10, 10.0), (9.5, 9.5), ("10", 10.0), ("10分", 10.0), ("1,000", 1000.0),
                                            ("１０", 10.0), ("-2", -2.0), ("0", 0.0)])
def test_number_ok(cell, expected):
    assert cells.number(cell) == (expected, None)


@pytest.mark.parametrize("cell", ["十分", "满分", "10分分", True, dt.date(2024, 1, 1), float("inf")])
def test_number_bad(cell):
    assert cells.number(cell) == (None, "not-a-number")


def test_number_blank():
    assert cells.number(None) == (None, None)
    assert cells.number("") == (None, None)


# ---------------------------------------------------------------- text and helpers
@pytest.mark.parametrize("cell, expected", [(2024.0, "2024"), (3.537, "3.537"), ("  招商引资 ", "招商引资"), (None, None),
                                            ("", None), (True, "是"), (dt.date(2024, 12, 31), "2024-12-31")])
def test_text(cell, expected):
    assert cells.text(cell) == expected


def test_norm_removes_all_space_and_full_width():
    assert cells.norm(" 全年 预算数（万元）\u3000") == "全年预算数(万元)"
    assert cells.norm("ＡＢｃ") == "ABc"


@pytest.mark.parametrize("v, blank", [(None, True), ("", True), (" \t", True), (float("nan"), True), (0, False),
                                      ("0", False), (0.0, False)])
def test_is_blank(v, blank):
    assert cells.is_blank(v) is blank
    if blank and v is not None and not isinstance(v, str):
        assert math.isnan(v)
