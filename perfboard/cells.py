"""Turning spreadsheet cells into typed values: money in 万元, rates as fractions, years, text.
Each parser returns (value, problem_code); problem_code None means fine."""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000]+")
_MONEY = re.compile(r"^([+-]?\d+(?:\.\d+)?)(万元|万|元)?$")
_RATE = re.compile(r"^([+-]?\d+(?:\.\d+)?)(%)?$")
_YEAR = re.compile(r"^(\d{4})(?:年度?)?$")


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def norm(s) -> str:
    """NFKC (full-width to half-width) and no whitespace at all: for matching labels, not for storing."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(s)))


def department(s) -> str | None:
    """The one stored form of a 主管部门 name (issue 20): NFKC (full-width letters, digits and spaces become
    half-width) and no whitespace at all, so names that differ only in spacing or width are one department.
    The importer stores this form and perfboard.auth compares user departments in it. Rows imported before
    (issue 20) keep their spelling: no migration rewrites them, since folding could silently merge two
    scopes of one year; permission checks still fold them, and re-importing a scope stores this form."""
    return None if s is None else norm(s)


def text(v) -> str | None:
    """Cell as stored text: numbers without a spurious '.0', dates ISO, surrounding space trimmed."""
    if type(v) is str:              # the common case, ~10 calls per indicator row
        return v.strip() or None
    if is_blank(v):
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    return str(v).strip()


def money(v, header_unit: str = "万元"):
    """A money cell in 万元. `header_unit` is '元' when the column header says so.
    Accepts numbers and text such as '25万元', '1,234.5', '250000元'."""
    if is_blank(v):
        return None, None
    divisor = 10000.0 if header_unit == "元" else 1.0     # divide, not * 0.0001: 35370元 is 3.537, not 3.5370000000000004
    if isinstance(v, bool) or isinstance(v, (dt.date, dt.datetime)):
        return None, "not-a-number"
    if isinstance(v, (int, float)):
        value = float(v) / divisor
    else:
        s = norm(v).replace(",", "")
        m = _MONEY.match(s)
        if not m:
            return None, "not-a-number"
        value = float(m.group(1))
        if m.group(2) == "元":
            value /= 10000
        elif m.group(2) is None:
            value /= divisor
    if not math.isfinite(value):
        return None, "not-a-number"
    if value < 0:
        return value, "negative-money"
    return value, None


def money_as_text(v) -> bool:
    """A money cell written as text with a unit or separators ('25万元', '1,234.5'): worth telling how it was read."""
    return isinstance(v, str) and not re.fullmatch(r"[+-]?\d+(?:\.\d+)?", norm(v))


def number(v):
    """A plain number (weights, scores)."""
    if is_blank(v):
        return None, None
    if isinstance(v, bool) or isinstance(v, (dt.date, dt.datetime)):
        return None, "not-a-number"
    if isinstance(v, (int, float)):
        return (float(v), None) if math.isfinite(float(v)) else (None, "not-a-number")
    s = norm(v).replace(",", "")
    s = re.sub(r"分$", "", s)
    try:
        return float(s), None
    except ValueError:
        return None, "not-a-number"


def rate(v):
    """An execution rate as a fraction. '70.4%' -> 0.704; 0.704 -> 0.704; 70.4 -> 0.704 (a bare
    number above 3 can only be a percentage: no real project spends three times its budget)."""
    if is_blank(v):
        return None, None
    if isinstance(v, bool) or isinstance(v, (dt.date, dt.datetime)):
        return None, "not-a-number"
    if isinstance(v, (int, float)):
        value = float(v)
        if not math.isfinite(value):
            return None, "not-a-number"
        return (value / 100 if abs(value) > 3 else value), None
    s = norm(v).replace(",", "")
    m = _RATE.match(s)
    if not m:
        return None, "not-a-number"
    value = float(m.group(1))
    if m.group(2) or abs(value) > 3:
        value /= 100
    return value, None


def year(v):
    if is_blank(v):
        return None, None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return (v, None) if 1990 <= v <= 2100 else (None, "bad-year")
    m = _YEAR.match(norm(v))
    if m and 1990 <= int(m.group(1)) <= 2100:
        return int(m.group(1)), None
    return None, "bad-year"
