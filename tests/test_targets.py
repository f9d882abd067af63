"""Tests for perfboard.targets: parsing, judging, scoring and formatting indicator values."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfboard.targets import (
    DIRECTIONS,
    QUALITATIVE,
    RESULTS,
    Parsed,
    completion_ratio,
    effective_direction,
    format_target,
    judge,
    normalize_direction,
    normalize_unit,
    parse_value,
    units_compatible,
)

Q = QUALITATIVE

# (input, direction, value, unit, qualitative). Most rows are copied from the 2024
# 张掖市科技局 self-evaluation report or the domain primer, spacing included.
REAL_EXAMPLES = [
    # operators, half- and full-width
    ("≥25项", "≥", 25, "项", False),
    ("≥25 项", "≥", 25, "项", False),
    ("≥10 项", "≥", 10, "项", False),
    ("≥1 项", "≥", 1, "项", False),
    ("≥1 次", "≥", 1, "次", False),
    ("≥1年", "≥", 1, "年", False),
    ("≥1 年", "≥", 1, "年", False),
    ("=100%", "=", 100, "%", False),
    ("＝100%", "=", 100, "%", False),
    ("≥95%", "≥", 95, "%", False),
    ("≥80%", "≥", 80, "%", False),
    ("＞95%", ">", 95, "%", False),
    ("≤90万元", "≤", 90, "万元", False),
    ("＝2.8 万", "=", 2.8, "万元", False),
    ("＝3.537\n万", "=", 3.537, "万元", False),  # line break inside a cell
    ("＝5 万元", "=", 5, "万元", False),
    ("≥ 95 ％", "≥", 95, "%", False),
    ("＜5%", "<", 5, "%", False),
    (">=95%", "≥", 95, "%", False),
    ("＞＝95%", "≥", 95, "%", False),
    ("≧95％", "≥", 95, "%", False),
    ("<=90万元", "≤", 90, "万元", False),
    ("≦90万", "≤", 90, "万元", False),
    # plain numbers: no operator written
    ("77项", None, 77, "项", False),
    ("771 项", None, 771, "项", False),
    ("12 条", None, 12, "条", False),
    ("1 个", None, 1, "个", False),
    ("2 次", None, 2, "次", False),
    ("1 家", None, 1, "家", False),
    ("55 人", None, 55, "人", False),
    ("50 人", None, 50, "人", False),
    ("6 个", None, 6, "个", False),
    ("425 万元", None, 425, "万元", False),
    ("8.48 万元", None, 8.48, "万元", False),
    ("3.537 万元", None, 3.537, "万元", False),
    ("70.4%", None, 70.4, "%", False),
    ("1.5%", None, 1.5, "%", False),
    ("１００％", None, 100, "%", False),
    ("100", None, 100, "", False),
    (95.0, None, 95, "", False),
    (100, None, 100, "", False),
    ("1,000份", None, 1000, "份", False),
    ("90分", None, 90, "分", False),
    # words as operators
    ("1000余份", "≥", 1000, "份", False),
    ("1000 余份", "≥", 1000, "份", False),
    ("10余次", "≥", 10, "次", False),
    ("30 人以上", "≥", 30, "人", False),
    ("1 项以上", "≥", 1, "项", False),
    ("3 年以上", "≥", 3, "年", False),
    ("50 亿元以上", "≥", 50, "亿元", False),
    ("不少于 1 次", "≥", 1, "次", False),
    ("不低于95%", "≥", 95, "%", False),
    ("至少2次", "≥", 2, "次", False),
    ("超过90%", ">", 90, "%", False),
    ("高于90%", ">", 90, "%", False),
    ("不超过5万元", "≤", 5, "万元", False),
    ("不高于5万", "≤", 5, "万元", False),
    ("控制在90万元以内", "≤", 90, "万元", False),
    ("3个工作日内", "≤", 3, "个工作日", False),
    ("5%以下", "≤", 5, "%", False),
    ("低于5%", "<", 5, "%", False),
    ("达到100%", "=", 100, "%", False),
    ("达到95%以上", "≥", 95, "%", False),  # 以上 refines 达到
    ("约100人", None, 100, "人", False),
    ("95%左右", None, 95, "%", False),
    ("百分之95", None, 95, "%", False),
    ("≥95%；", "≥", 95, "%", False),  # trailing punctuation left in a cell
    # qualitative: words, leftover text, two numbers
    ("达成预期指标", Q, None, "", True),
    ("及时拨付", Q, None, "", True),
    ("资金已及时拨付", Q, None, "", True),
    ("效果明显", Q, None, "", True),
    ("已全面完成目标任务", Q, None, "", True),
    ("经费支出合规", Q, None, "", True),
    ("扩大了张掖市科技创新工作影响力", Q, None, "", True),
    ("2024年底前完成", Q, None, "", True),
    ("赴外招商2次，引进项目1项", Q, None, "", True),
    ("执行率＝100%", Q, None, "", True),
    ("增长 10%", Q, None, "", True),
    ("2 3", Q, None, "", True),
    ("5 万元-10 万元", Q, None, "", True),
    ("不超过90以上", Q, None, "", True),  # contradictory operators
    ("—", Q, None, "", True),
    # empty
    ("", None, None, "", False),
    ("   ", None, None, "", False),
    ("\u3000\n", None, None, "", False),
    (None, None, None, "", False),
    (float("nan"), None, None, "", False),  # pandas' empty cell
]


@pytest.mark.parametrize("text,direction,value,unit,qualitative", REAL_EXAMPLES)
def test_real_examples(text, direction, value, unit, qualitative):
    p = parse_value(text)
    assert (p.direction, p.value, p.unit, p.qualitative) == (direction, value, unit, qualitative)
    assert p.text == ("" if text is None else str(text))


@pytest.mark.parametrize(
    "text,approx",
    [("1000余份", True), ("10多次", True), ("30 人以上", True), ("约100人", True),
     ("95%左右", True), ("≥25项", False), ("77项", False), ("控制在90万元以内", False)],
)
def test_approx_flag(text, approx):
    assert parse_value(text).approx is approx


def test_empty_is_not_qualitative():
    for text in ("", "  ", None):
        p = parse_value(text)
        assert p.empty and not p.qualitative
    p = parse_value("及时拨付")
    assert p.qualitative and not p.empty
    assert not parse_value("77项").empty


def test_float_inputs_from_spreadsheets():
    assert parse_value(1e-05).value == 1e-05  # str() would give exponent notation
    assert parse_value(float("inf")).qualitative
    assert parse_value(True).qualitative  # a bool is not a count


def test_never_raises_on_hostile_objects():
    class Boom:
        def __str__(self):
            raise RuntimeError("no")

    p = parse_value(Boom())
    assert p.text == "" and p.empty
    assert parse_value(10**5000).value is None  # too big for str() and for float()
    assert parse_value("9" * 400).qualitative  # overflows to inf


def test_normalize_unit_and_direction():
    assert normalize_unit("％") == "%"
    assert normalize_unit("百分比") == "%"
    assert normalize_unit("万") == "万元"
    assert normalize_unit(" 万元 ") == "万元"
    assert normalize_unit("万/人") == "万元/人"
    assert normalize_unit(None) == ""
    assert normalize_direction("＞") == ">"
    assert normalize_direction(">=") == "≥"
    assert normalize_direction("不少于") == "≥"
    assert normalize_direction("以内") == "≤"
    assert normalize_direction("定量") is None


# --------------------------------------------------------------------------- properties

@given(st.text())
def test_parse_never_raises_on_text(text):
    p = parse_value(text)
    assert p.text == text
    assert p.direction in DIRECTIONS + (QUALITATIVE, None)
    assert (p.value is None) == (p.qualitative or p.empty)
    assert p.value is None or math.isfinite(p.value)


@given(st.floats())
def test_parse_never_raises_on_floats(x):
    p = parse_value(x)
    assert p.text == str(x)
    if math.isfinite(x):
        assert p.value == x and p.direction is None


@given(st.integers())
def test_parse_never_raises_on_ints(n):
    assert parse_value(n).text == str(n)


OPERATORS = [None, "≥", ">", "≤", "<", "=", "＞", "＜", "＝", ">=", "<=", "≧", "≦", "＞＝", "＜＝"]
UNITS = ["", "%", "％", "百分比", "万", "万元", "元", "项", "份", "次", "年", "人", "个", "家", "条", "天", "分"]
finite = st.floats(allow_nan=False, allow_infinity=False)


@given(st.sampled_from(OPERATORS), finite, st.sampled_from(UNITS))
def test_format_then_parse_round_trips(op, value, unit):
    text = format_target(op, value, unit)
    p = parse_value(text)
    assert p.direction == (None if op is None else normalize_direction(op))
    assert p.value == value
    assert p.unit == normalize_unit(unit)


def _full_width(s: str) -> str:
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s
    )


cell_text = st.text(alphabet="0123456789.,%-+<>=≥≤ 万元项次余以上内约左右及时拨付", max_size=14)


@given(cell_text)
def test_full_width_parses_like_half_width(s):
    a, b = parse_value(s), parse_value(_full_width(s))
    assert (a.direction, a.value, a.unit, a.approx) == (b.direction, b.value, b.unit, b.approx)


@given(st.sampled_from(OPERATORS), finite, st.sampled_from(UNITS))
def test_full_width_formatted_values(op, value, unit):
    s = format_target(op, value, unit)
    a, b = parse_value(s), parse_value(_full_width(s))
    assert (a.direction, a.value, a.unit) == (b.direction, b.value, b.unit)


whitespace = st.text(alphabet=" \t\r\n\u3000", max_size=4)


@given(whitespace, st.one_of(cell_text, st.text()), whitespace)
def test_surrounding_whitespace_does_not_matter(left, s, right):
    a, b = parse_value(s), parse_value(left + s + right)
    assert (a.direction, a.value, a.unit, a.approx, a.empty) == (
        b.direction, b.value, b.unit, b.approx, b.empty
    )


@given(st.text(max_size=12), st.text(max_size=12), st.one_of(st.none(), st.text(max_size=5)))
def test_judge_never_raises(t, a, j):
    assert judge(parse_value(t), parse_value(a), j) in RESULTS


@given(st.one_of(st.none(), st.sampled_from(DIRECTIONS), st.text(max_size=3)), st.floats(), st.floats())
def test_completion_ratio_in_unit_interval(d, t, a):
    r = completion_ratio(d, t, a)
    assert 0.0 <= r <= 1.0


# --------------------------------------------------------------------------- judge

def J(target, actual, judgement=None):
    return judge(parse_value(target), parse_value(actual), judgement)


@pytest.mark.parametrize(
    "target,actual,expected",
    [
        ("≥25项", "30项", "met"),
        ("≥25项", "25项", "met"),
        ("≥25项", "24项", "unmet"),
        ("＞95%", "96%", "met"),
        ("＞95%", "95%", "unmet"),
        ("≤90万元", "90万元", "met"),
        ("≤90万元", "90.5万元", "unmet"),
        ("<5%", "4.9%", "met"),
        ("<5%", "5%", "unmet"),
        ("=100%", "100%", "met"),
        ("=100%", "99.9%", "unmet"),
        ("＝2.8 万", "2.8万元", "met"),  # 万 and 万元 are the same unit
        ("=0.3", "0.1", "unmet"),
        ("=0.3", 0.1 + 0.2, "met"),  # float noise tolerated
        ("77项", "77 项", "met"),  # plain number target read as ≥
        ("77项", "76项", "unmet"),
        ("1000余份", "1000份", "met"),
        ("≥95%", "≥95%", "met"),  # the report writes actuals with the operator too
        ("≥95%", "96", "met"),  # actual without unit: compatible
        ("=100%", 100.0, "met"),
    ],
)
def test_judge_directions(target, actual, expected):
    assert J(target, actual) == expected


def test_judge_missing_and_no_target():
    assert J("≥25项", "") == "missing"
    assert J("≥25项", None) == "missing"
    assert J("及时拨付", "  ") == "missing"
    assert J("", "30项") == "no_target"
    assert J(None, "资金已及时拨付") == "no_target"
    assert J("", "") == "missing"


def test_judge_pending():
    assert J("及时拨付", "资金已及时拨付") == "pending"
    assert J("≥25项", "已全面完成目标任务") == "pending"
    assert J("达成预期指标", "30项") == "pending"
    assert J("=100%", "77项") == "pending"  # incompatible units
    assert J("≤90万元", "900000元") == "pending"  # no silent unit conversion


def test_judge_person_overrides():
    assert J("及时拨付", "资金已及时拨付", "达成") == "met"
    assert J("≥25项", "30项", "未达成") == "unmet"
    assert J("≥25项", "20项", "部分达成") == "unmet"
    assert J("≥25项", "", "不适用") == "na"
    assert J("≥25项", "20项", " 达成 ") == "met"
    assert J("≥25项", "30项", "随便") == "met"  # unknown text is ignored
    assert J("≥25项", "30项", "") == "met"


def test_judge_accepts_strings():
    assert judge("≥25项", "30项") == "met"


def test_effective_direction():
    assert effective_direction(parse_value("77项")) == "≥"
    assert effective_direction(parse_value("≤90万元")) == "≤"
    assert effective_direction(parse_value("及时拨付")) is None
    assert effective_direction(parse_value("")) is None


def test_units_compatible():
    assert units_compatible("万", "万元")
    assert units_compatible("%", "％")
    assert units_compatible("%", "百分比")
    assert units_compatible("项", "")
    assert units_compatible("", "")
    assert not units_compatible("%", "项")
    assert not units_compatible("元", "万元")


# --------------------------------------------------------------------------- completion_ratio

@pytest.mark.parametrize(
    "direction,target,actual,expected",
    [
        ("≥", 25, 20, 0.8),
        ("≥", 25, 30, 1.0),  # capped
        (">", 95, 76, 0.8),
        (None, 77, 77, 1.0),  # plain-number target
        ("≤", 90, 100, 0.9),
        ("≤", 90, 80, 1.0),  # capped
        ("<", 5, 10, 0.5),
        ("=", 100, 95, 0.95),
        ("=", 100, 105, 100 / 105),
        ("=", 100, 100, 1.0),
        # zero and sign handling
        ("≥", 0, 0, 1.0),
        ("≥", 0, 5, 1.0),
        ("≥", 0, -1, 0.0),
        ("≥", 25, 0, 0.0),
        ("≥", 25, -5, 0.0),
        ("≤", 90, 0, 1.0),
        ("≤", 0, 5, 0.0),
        ("≤", -5, 5, 0.0),
        ("=", 0, 0, 1.0),
        ("=", 0, 5, 0.0),
        ("=", 5, 0, 0.0),
        ("=", 5, -5, 0.0),
        # nonsense
        ("≥", float("nan"), 5, 0.0),
        ("≥", 5, float("inf"), 0.0),
        ("?", 5, 5, 0.0),
        (QUALITATIVE, 5, 5, 0.0),
        ("≥", "abc", 5, 0.0),
        ("≥", None, 5, 0.0),
    ],
)
def test_completion_ratio(direction, target, actual, expected):
    assert completion_ratio(direction, target, actual) == pytest.approx(expected)


# --------------------------------------------------------------------------- format_target

@pytest.mark.parametrize(
    "direction,value,unit,expected",
    [
        ("≥", 25, "项", "≥25项"),
        (None, 77, "项", "77项"),
        ("=", 2.8, "万", "=2.8万元"),
        ("=", 100.0, "%", "=100%"),
        ("≤", 90.0, "万元", "≤90万元"),
        ("＞", 95, "％", ">95%"),
        (">=", 1, "年", "≥1年"),
        (None, 100.0, "", "100"),
        (None, 1e-05, "", "0.00001"),
        (None, 1e16, "", "10000000000000000"),
        (None, -0.0, "", "0"),
        (QUALITATIVE, None, "", ""),
        ("≥", None, "项", ""),
        ("≥", float("nan"), "项", ""),
    ],
)
def test_format_target(direction, value, unit, expected):
    assert format_target(direction, value, unit) == expected


def test_parsed_is_frozen_and_has_defaults():
    p = Parsed("x", None, 1.0, "")
    assert p.approx is False
    with pytest.raises(AttributeError):
        p.value = 2.0  # type: ignore[misc]
