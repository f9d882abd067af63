"""Parse, judge, score and format indicator values such as "≥25项", "＝2.8 万", "1000余份" or "及时拨付"."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "DIRECTIONS",
    "QUALITATIVE",
    "RESULTS",
    "JUDGEMENTS",
    "Parsed",
    "parse_value",
    "normalize_unit",
    "normalize_direction",
    "effective_direction",
    "units_compatible",
    "judge",
    "completion_ratio",
    "format_target",
]

DIRECTIONS = ("≥", ">", "≤", "<", "=")  # normalised operator symbols
QUALITATIVE = "定性"

# Every value judge() can return.
RESULTS = ("met", "unmet", "missing", "no_target", "pending", "na")

# A person's call on an indicator. 部分达成 counts as "unmet" for met/not-met purposes;
# scoring gives it a partial coefficient elsewhere.
JUDGEMENTS = {"达成": "met", "部分达成": "unmet", "未达成": "unmet", "不适用": "na"}


@dataclass(frozen=True)
class Parsed:
    """One indicator value split into operator, number and unit."""

    text: str  # the original input exactly as given (str(x); '' for None)
    direction: str | None  # one of DIRECTIONS, QUALITATIVE, or None (no operator written / empty)
    value: float | None  # None for qualitative or empty
    unit: str  # normalised unit, '' if none
    approx: bool = False  # the text used a vague word: 余/多/约/左右/以上/以下

    @property
    def qualitative(self) -> bool:
        return self.direction == QUALITATIVE

    @property
    def empty(self) -> bool:
        # Derived from the fields rather than re-reading `text`: a parse yields
        # neither direction nor value only when nothing was given (blank text,
        # or a NaN float, which is how pandas reports an empty cell).
        return self.direction is None and self.value is None


# ---------------------------------------------------------------------------
# Vocabulary. Longer words must win over their prefixes (大于等于 vs 大于), so
# the regex alternations below are built longest first.

_PREFIX_OPS = {
    "≥": "≥", "不少于": "≥", "不低于": "≥", "不小于": "≥", "至少": "≥", "最少": "≥",
    "大于等于": "≥", "大于或等于": "≥", "高于或等于": "≥", "不得少于": "≥", "不得低于": "≥",
    ">": ">", "超过": ">", "高于": ">", "大于": ">", "多于": ">",
    "≤": "≤", "不超过": "≤", "不高于": "≤", "不多于": "≤", "不大于": "≤", "至多": "≤", "最多": "≤",
    "小于等于": "≤", "小于或等于": "≤", "低于或等于": "≤", "不得超过": "≤", "不得高于": "≤",
    # "成本控制在90万元" means "kept within", with or without a trailing 以内.
    "控制在": "≤",
    "<": "<", "低于": "<", "小于": "<", "少于": "<",
    # The brief maps 达到 to "=", although "达到95%以上" is read as ≥ (suffix wins, see _combine).
    "=": "=", "达到": "=", "等于": "=",
}

_APPROX_PREFIXES = ("大约", "约")

# Between the number and the unit: "1000余份", "10多次" mean "somewhat more than".
_INFIX = {"余": "≥", "多": "≥"}

# After the unit: (direction, approx).
_SUFFIXES = {
    "以上": ("≥", True), "及以上": ("≥", True), "或以上": ("≥", True),
    "以下": ("≤", True), "及以下": ("≤", True), "或以下": ("≤", True),
    "以内": ("≤", False), "之内": ("≤", False), "内": ("≤", False),
    "左右": (None, True),
}

# Units are a whitelist on purpose: a free-form "any CJK after the number" unit would
# read "2024年底前完成" as 2024 with unit "年底前完成". An unknown unit makes the value
# qualitative, i.e. "pending" for a person to judge, which is the safe failure.
_BASE_UNITS = (
    # money and ratios
    "元", "万元", "亿元", "千元", "百万元", "%", "‰", "百分比", "百分点", "个百分点", "倍",
    # counts
    "项", "个", "份", "次", "人", "人次", "家", "家次", "户", "户次", "条", "篇", "场", "场次",
    "期", "批", "批次", "件", "套", "台", "辆", "座", "所", "处", "名", "位", "本", "册", "部",
    "张", "块", "株", "棵", "头", "只", "支", "组", "队", "类", "种", "门", "节", "课时",
    "学时", "班", "班次", "届", "轮", "首", "幅", "间", "栋", "根", "片", "枚", "宗", "例",
    "起", "单", "笔", "分", "级", "星", "点", "个点",
    # time
    "年", "月", "个月", "日", "天", "周", "小时", "分钟", "秒", "工作日", "个工作日",
    "季度", "个季度", "学期",
    # physical quantities
    "亩", "公顷", "平方米", "平米", "平方公里", "米", "公里", "千米", "厘米", "吨", "公斤",
    "千克", "克", "立方米", "千瓦", "兆瓦", "千瓦时", "度", "瓦",
    # ASCII units (NFKC turns ㎡ into m2, ㎏ into kg)
    "kg", "g", "t", "km", "m", "cm", "mm", "m2", "m3", "km2", "kw", "kW", "kWh", "kwh",
    "MW", "GB", "TB", "MB", "h",
)
_MAGNITUDES = ("百万", "万", "亿", "千")


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_UNIT_PART = rf"(?:(?:{_alternation(_MAGNITUDES)})?(?:{_alternation(_BASE_UNITS)})|万|亿)"
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"

_VALUE_RE = re.compile(
    rf"""
    (?P<op>{_alternation(_PREFIX_OPS)})?
    (?P<about>{_alternation(_APPROX_PREFIXES)})?
    (?P<pct>百分之)?
    (?P<num>{_NUMBER})
    (?P<infix>{_alternation(_INFIX)})?
    (?P<unit>{_UNIT_PART}(?:/{_UNIT_PART})?)?
    (?P<suffix>{_alternation(_SUFFIXES)})?
    """,
    re.VERBOSE,
)

# Operator spellings NFKC leaves alone (＞ ＜ ＝ are already folded by NFKC).
_OP_REPLACEMENTS = (
    (">=", "≥"), ("=>", "≥"), ("<=", "≤"), ("=<", "≤"), ("==", "="),
    ("≧", "≥"), ("≦", "≤"), ("⩾", "≥"), ("⩽", "≤"), ("≮", "≥"), ("≯", "≤"),
    ("\u2212", "-"),  # MINUS SIGN, common in text pasted from Word
)
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_DIGIT_GAP_RE = re.compile(r"(?<=\d)\s+(?=\d)")
_SPACE_RE = re.compile(r"\s+")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TRAILING_PUNCT = "。.;,、!"


def _fold(text: str) -> str:
    """Canonical form of a cell's text: half-width, no spaces, one spelling per operator."""
    s = unicodedata.normalize("NFKC", text)
    s = _INVISIBLE_RE.sub("", s)
    # "2 3" is two numbers, not 23: keep a non-digit between them so it stays qualitative.
    s = _DIGIT_GAP_RE.sub("|", s)
    s = _SPACE_RE.sub("", s)
    for old, new in _OP_REPLACEMENTS:
        s = s.replace(old, new)
    return _THOUSANDS_RE.sub("", s)


def _normalize_unit_part(part: str) -> str:
    if part in ("%", "百分比"):
        return "%"
    if part == "个百分点":
        return "百分点"
    # A bare 万/亿 after a number is money in these reports ("项目总成本＝2.8 万").
    if part in ("万", "亿"):
        return part + "元"
    return part


def normalize_unit(unit) -> str:
    """Canonical unit: '%' for %/％/百分比, '万元' for 万, '亿元' for 亿; others as written."""
    if unit is None:
        return ""
    try:
        folded = _fold(str(unit))
    except Exception:
        return ""
    return "/".join(_normalize_unit_part(p) for p in folded.split("/"))


def normalize_direction(word) -> str | None:
    """Map an operator spelling (≧, >=, ＞, 不少于, 以上 …) to one of DIRECTIONS, else None.

    Useful for forms (e.g. Sichuan) that keep 指标性质 in its own column.
    """
    if word is None:
        return None
    try:
        s = _fold(str(word))
    except Exception:
        return None
    if s in _PREFIX_OPS:
        return _PREFIX_OPS[s]
    if s in _SUFFIXES:
        return _SUFFIXES[s][0]
    return None


def _combine(prefix: str | None, infix: str | None, suffix: str | None) -> str | None:
    """Merge the directions implied by the words around the number.

    Returns QUALITATIVE when they contradict ("不超过90以上"). "=" yields to any
    other word, so "达到95%以上" is ≥; a strict operator absorbs its non-strict
    twin, so "低于5%以下" is <.
    """
    found = {d for d in (prefix, infix, suffix) if d is not None}
    if len(found) > 1:
        found.discard("=")
    if not found:
        return None
    if found <= {"≥", ">"}:
        return ">" if ">" in found else "≥"
    if found <= {"≤", "<"}:
        return "<" if "<" in found else "≤"
    if found == {"="}:
        return "="
    return QUALITATIVE


def parse_value(text) -> Parsed:
    """Split an indicator value into (direction, value, unit); never raises.

    Anything that is not exactly [operator] number [unit] [suffix] is qualitative.
    """
    try:
        original = "" if text is None else str(text)
    except Exception:  # a hostile __str__; nothing sensible to keep
        original = ""
    try:
        return _parse(text, original)
    except Exception:
        # Defensive: the parser is meant to be total, but a cell must never crash an import.
        return Parsed(original, QUALITATIVE, None, "", False)


def _parse(raw, original: str) -> Parsed:
    # Numbers straight from a spreadsheet reader: no text to interpret. Going through
    # str() would turn 1e-05 into exponent notation the text grammar does not accept.
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
        if math.isnan(value):
            return Parsed(original, None, None, "", False)  # pandas' empty cell
        if math.isinf(value):
            return Parsed(original, QUALITATIVE, None, "", False)
        return Parsed(original, None, value, "", False)

    s = _fold(original)
    if not s:
        return Parsed(original, None, None, "", False)
    s = s.rstrip(_TRAILING_PUNCT)  # "≥95%；" in a cell is still ≥95%

    m = _VALUE_RE.fullmatch(s)
    if m is None:
        return Parsed(original, QUALITATIVE, None, "", False)

    value = float(m["num"])
    if not math.isfinite(value):  # hundreds of digits overflow to inf
        return Parsed(original, QUALITATIVE, None, "", False)

    unit = normalize_unit(m["unit"]) if m["unit"] else ""
    if m["pct"]:
        if unit not in ("", "%"):  # "百分之5项" is not a percentage of anything
            return Parsed(original, QUALITATIVE, None, "", False)
        unit = "%"

    suffix_dir, suffix_approx = _SUFFIXES.get(m["suffix"], (None, False))
    direction = _combine(
        _PREFIX_OPS.get(m["op"]) if m["op"] else None,
        _INFIX.get(m["infix"]) if m["infix"] else None,
        suffix_dir,
    )
    if direction == QUALITATIVE:
        return Parsed(original, QUALITATIVE, None, "", False)
    approx = bool(m["about"] or m["infix"] or suffix_approx)
    return Parsed(original, direction, value, unit, approx)


# ---------------------------------------------------------------------------
# Judging and scoring


def effective_direction(p: Parsed) -> str | None:
    """Direction used to judge a target: a plain number ("77项") is read as ≥."""
    if p is None or p.empty or p.qualitative:
        return None
    if p.direction is None:
        return "≥"
    return p.direction if p.direction in DIRECTIONS else None


def units_compatible(u1: str, u2: str) -> bool:
    """Equal after normalisation, or one side has no unit (staff often drop it on the actual)."""
    n1, n2 = normalize_unit(u1), normalize_unit(u2)
    return n1 == n2 or n1 == "" or n2 == ""


def _as_parsed(x) -> Parsed:
    return x if isinstance(x, Parsed) else parse_value(x)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _equal(target: float, actual: float) -> bool:
    return abs(actual - target) <= 1e-9 * max(1.0, abs(target))


def _judgement_result(judgement) -> str | None:
    if judgement is None:
        return None
    try:
        key = _fold(str(judgement))
    except Exception:
        return None
    # Exact match only: "未达成" contains "达成".
    return JUDGEMENTS.get(key)


def judge(target: Parsed, actual: Parsed, judgement: str | None = None) -> str:
    """Return one of RESULTS for a (target, actual) pair.

    A person's `judgement` (达成/部分达成/未达成/不适用) wins; unknown judgement text
    is ignored. Strings are accepted for target/actual and parsed. Only the actual's
    number is compared: an actual written "≥95%" counts as 95.
    """
    verdict = _judgement_result(judgement)
    if verdict is not None:
        return verdict
    target, actual = _as_parsed(target), _as_parsed(actual)
    if actual.empty:
        return "missing"
    if target.empty:
        return "no_target"
    if target.qualitative or actual.qualitative:
        return "pending"
    if not units_compatible(target.unit, actual.unit):
        return "pending"
    direction = effective_direction(target)
    t, a = target.value, actual.value
    if direction is None or not _finite(t) or not _finite(a):
        return "pending"
    ok = {
        "≥": a >= t,
        ">": a > t,
        "≤": a <= t,
        "<": a < t,
        "=": _equal(t, a),
    }[direction]
    return "met" if ok else "unmet"


def completion_ratio(direction: str, target: float, actual: float) -> float:
    """Share of a quantitative target achieved, in [0, 1]; never raises.

    `direction` None is read as ≥ (a plain-number target). Unknown directions and
    non-numeric or non-finite inputs give 0.0.
    """
    try:
        d = "≥" if direction is None else (direction if direction in DIRECTIONS else normalize_direction(direction))
        t, a = float(target), float(actual)
        if d is None or not (math.isfinite(t) and math.isfinite(a)):
            return 0.0
        if d in ("≥", ">"):
            if t <= 0:  # a ratio against zero or a negative target means nothing
                return 1.0 if a >= t else 0.0
            ratio = a / t
        elif d in ("≤", "<"):
            if a <= 0:  # spent nothing (or less) against a ceiling: fully within it
                return 1.0
            ratio = t / a
        else:  # "="
            if _equal(t, a):
                return 1.0
            if t == 0 or a == 0:
                return 0.0
            ratio = min(a / t, t / a)
        if not math.isfinite(ratio):
            return 0.0
        return min(max(ratio, 0.0), 1.0)
    except Exception:
        return 0.0


# ---------------------------------------------------------------------------
# Display / export


def _format_number(value: float) -> str:
    if value == 0:
        return "0"  # also folds -0.0
    # repr() is the shortest round-tripping form; Decimal's "f" spells out any exponent,
    # which parse_value does not read.
    s = format(Decimal(repr(value)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def format_target(direction: str | None, value: float | None, unit: str) -> str:
    """Inverse of parse_value for display: ("≥", 25, "项") -> "≥25项"; qualitative -> ''.

    Operator aliases (">=", "＞", "不少于") are normalised; an unrecognised direction
    is dropped and only number and unit are shown.
    """
    if direction == QUALITATIVE or value is None:
        return ""
    try:
        v = float(value)
    except Exception:
        return ""
    if not math.isfinite(v):
        return ""
    if direction is None:
        op = ""
    elif direction in DIRECTIONS:
        op = direction
    else:
        op = normalize_direction(direction) or ""
    return f"{op}{_format_number(v)}{normalize_unit(unit)}"
