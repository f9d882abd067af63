"""The cells of a 项目支出绩效自评表: label keys and the label sets built from perfboard/form_layouts.py, cell
content rules (blank, template text, codes, weights in labels), the sheet grid with its merges, form detection,
and FormScope, the reporting and cell-reading primitives every block reader (form_blocks, form_money,
form_indicators) works through. Nothing here names a label: the labels are data in form_layouts."""
from __future__ import annotations

import datetime as dt
import math
import re

from . import cells, form_layouts, rows
from .batch import Batch
from .readers import Sheet
from .validation_report import ERROR, INFO, WARNING, Report
from .targets import DIRECTIONS, format_target, normalize_direction, parse_value

MAX_FORM_ROWS = 3000        # a form is a page or two; never walk a huge data sheet cell by cell
MAX_FORM_COLS = 60
DETECT_ROWS = 400           # a form's labels appear near its top

# ---------------------------------------------------------------- labels
def key_of(v) -> str:
    """A cell as a label: NFKC, no whitespace, no leading '*', no trailing colon, no '其中:' prefix."""
    if not isinstance(v, str):
        return ""
    k = cells.norm(v).lstrip("*").rstrip(":")
    if k.startswith("其中:"):
        k = k[3:]
    return k


_TRAILING_BRACKET = re.compile(r"^(.*?)[(\[【]([^()\[\]【】]*)[)\]】]$")


def base_label(k: str) -> tuple[str, list[str]]:
    """'全年预算数(A)' -> ('全年预算数', ['A']); '项目资金(万元)' -> ('项目资金', ['万元'])."""
    inner = []
    while True:
        m = _TRAILING_BRACKET.match(k)
        if not m or not m.group(1):
            return k, inner
        k = m.group(1)
        inner.append(m.group(2))


def label_set(*names: str) -> frozenset[str]:
    return frozenset(key_of(n) for n in names)


LAYOUT = form_layouts.merged()
NAME = label_set(*LAYOUT["parties"]["name"])
# one set per label, in the table's order: the first label found wins (主管部门 before 地方/中央主管部门)
DEPARTMENT = [label_set(x) for x in LAYOUT["parties"]["department"]]
UNIT = label_set(*LAYOUT["parties"]["unit"])
CODE = label_set(*LAYOUT["parties"]["code"])
YEAR = label_set(*LAYOUT["parties"]["year"])
STATED_TOTAL = label_set(*LAYOUT["parties"]["stated_total"])
TITLES = label_set(*LAYOUT["title"])

MONEY_HEADERS = {f: label_set(*names) for f, names in LAYOUT["money"]["fields"].items()}
MONEY_ZH = form_layouts.FIELD_NAMES["money"]
MONEY_BLOCK = label_set(*LAYOUT["money"]["block"])
TOTAL_ROW = label_set(*LAYOUT["money"]["total_row"])
FUND_ROWS = {kind: label_set(*names) for kind, names in LAYOUT["money"]["sub_rows"].items()}
GOAL = label_set(*LAYOUT["goal"]["block"])
GOAL_HEADERS = label_set(*LAYOUT["goal"]["expected"])
ACHIEVEMENT_HEADERS = label_set(*LAYOUT["goal"]["achieved"])

INDICATOR_HEADERS = {f: label_set(*names) for f, names in LAYOUT["indicators"]["fields"].items()}
INDICATOR_ZH = form_layouts.FIELD_NAMES["indicators"]
TOTAL_SCORE = label_set(*LAYOUT["total"])
FOOTER_PREFIXES = form_layouts.END_PREFIXES
FOOTER_TEXT_PREFIXES = tuple(key_of(p) for p in form_layouts.FOOTER_TEXT_PREFIXES)
NOT_PROJECT = {key_of(k): v for k, v in form_layouts.NOT_PROJECT_FORMS.items()}

INDICATOR_BLOCK = label_set(*LAYOUT["indicators"]["block"])

ALL_LABELS = (NAME | UNIT | CODE | YEAR | STATED_TOTAL | frozenset().union(*DEPARTMENT) | TOTAL_ROW | GOAL
              | GOAL_HEADERS | ACHIEVEMENT_HEADERS | MONEY_BLOCK | frozenset().union(*MONEY_HEADERS.values())
              | frozenset().union(*INDICATOR_HEADERS.values()) | INDICATOR_BLOCK)


def variant_labels(v: dict) -> frozenset[str]:
    out = []
    for block in ("money", "indicators"):
        for names in v[block].get("fields", {}).values():
            out += names
    out += v["money"].get("total_row", []) + [x for n in v["money"].get("sub_rows", {}).values() for x in n]
    out += [x for n in v["goal"].values() for x in n] + v["total"]
    out += [x for n in v["parties"].values() for x in n]
    return label_set(*out)


NATIONAL_LABELS = variant_labels(form_layouts.VARIANTS[0])
NATIONAL_TITLES = label_set(*form_layouts.VARIANTS[0]["title"])
NAME_CODE = re.compile(r"^([0-9A-Za-z]*\d[0-9A-Za-z]{7,})\s*[-－—_:：]\s*(\S.*)$")


def looked_for_money(field: str) -> str:
    """'全年预算数（已查找的栏目：“全年预算数”“调整后预算数”…）' for a form refused without that column."""
    return f"{MONEY_ZH[field]}（已查找的栏目：" + "、".join(f"“{x}”" for x in LAYOUT["money"]["fields"][field]) + "）"


# issue 15 (estimates in a round trip): PerfBoard's exported forms label default-weight 分值/得分/总分 columns
# "（估算）". Those numbers are the app's estimates, not reported figures: they are left out (and reported once
# per column), so the scorer estimates them again after the import instead of taking them as reported.
ESTIMATE_MARK = form_layouts.ESTIMATE_MARK


def is_estimate(header) -> bool:
    return isinstance(header, str) and ESTIMATE_MARK in header


def matches(k: str, labels: frozenset[str]) -> bool:
    return bool(k) and (k in labels or base_label(k)[0] in labels)


def inline_label(k: str, labels: frozenset[str]) -> bool:
    """'项目名称:XXX' in a single cell."""
    head, sep, rest = k.partition(":")
    return bool(sep and rest) and matches(head, labels)


def is_label(k: str) -> bool:
    return matches(k, ALL_LABELS)


def field_of(k: str, table: dict[str, frozenset[str]]) -> str | None:
    for f, labels in table.items():
        if matches(k, labels):
            return f
    return None


def unit_of(k: str) -> str | None:
    """'项目资金(万元)' -> '万元'; '单位:元' -> '元'."""
    m = re.search(r"单位:?(万元|元)", k) or re.search(r"\((万元|元)\)", k)
    return m.group(1) if m else None


def as_written(v) -> str:
    """A header as the user wrote it, without the line breaks and spaces of a wrapped cell."""
    return re.sub(r"[\s\u3000]+", "", str(v))


# ---------------------------------------------------------------- cell content
# Instructions the template ships with ("请说明偏差原因…", "（定量指标填写数值）"): they start with 请 or
# sit in brackets; a note that merely contains 请 ("已请专家说明情况") is data.
TEMPLATE = re.compile(r"^[(\[【]?请[^。]{0,12}?(?:填写|填报|说明|输入|列明|描述|选择)"
                       r"|^[(\[【][^)\]】]*(?:填写|填报)[^)\]】]*[)\]】]$"
                       r"|(?:填写|填报|填表)说明|此处填|^示例:|[(（]\d+字以内[)）]")
YEAR_CELL = re.compile(r"^\(?(\d{4})年度?\)?$")
TITLE_YEAR = re.compile(r"^\(\d{4}年度?\)$|^\d{4}年度$")
YEAR_IN_TITLE = re.compile(r"(\d{4})年")
_CODE_PREFIX = (re.compile(r"^[\[【(（]\s*[0-9A-Za-z]+\s*[\]】)）]\s*"),
                re.compile(r"^[0-9A-Za-z]*\d[0-9A-Za-z]*\s*[-－—_:：、.\s]\s*"))
_WEIGHT_IN_LABEL = (re.compile(r"^(?P<name>.+?)[(（\[【]\s*(?:分值|权重)?[:：]?\s*(?P<w>\d+(?:\.\d+)?)\s*分?\s*[)）\]】]$"),
                    re.compile(r"^(?P<name>.*?[^\d.])(?P<w>\d+(?:\.\d+)?)分$"))


dash = rows.dash


def blank(v) -> bool:
    return cells.is_blank(v) or dash(v)


def is_template(v) -> bool:
    return isinstance(v, str) and bool(TEMPLATE.search(cells.norm(v)))


placeholder = rows.placeholder


def text_of(v) -> str | None:
    if blank(v):
        return None
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date().isoformat()
    return cells.text(v)


def squash(v) -> str | None:
    """Category names (一级/二级) without the spaces and line breaks of a wrapped cell."""
    t = text_of(v)
    return re.sub(r"[\s\u3000]+", "", t) if t else None


def strip_code(s: str | None) -> str | None:
    """'031-张掖市科学技术局' -> '张掖市科学技术局'; '[301]四川省教育厅' -> '四川省教育厅'."""
    if not s:
        return s
    for pat in _CODE_PREFIX:
        m = pat.match(s)
        if m and m.end() < len(s):
            return s[m.end():].strip()
    return s


def split_weight(label: str | None) -> tuple[str | None, float | None]:
    """'产出指标（50分）' -> ('产出指标', 50.0); '产出指标' -> ('产出指标', None)."""
    if not label:
        return label, None
    for pat in _WEIGHT_IN_LABEL:
        m = pat.match(label)
        if m and m.group("name").strip():
            return m.group("name").strip(), float(m.group("w"))
    return label, None


def fmt(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def half_unit(x: float) -> float:
    """Half a unit of the last decimal the value shows: 7.07 -> 0.005, 71 -> 0.5."""
    s = f"{abs(x):.10g}"
    decimals = len(s.split(".")[1]) if "." in s and "e" not in s else 0
    return 0.5 * 10 ** -decimals


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------- the sheet grid
class Grid:
    """A sheet's cells with its merged ranges: the value of any cell of a merge is its top-left's."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.nrows = min(len(sheet.rows), MAX_FORM_ROWS)
        self.keys = [[key_of(v) for v in row[:MAX_FORM_COLS]] for row in sheet.rows[:self.nrows]]
        self.top: dict[tuple[int, int], tuple[int, int]] = {}
        self.extent: dict[tuple[int, int], tuple[int, int]] = {}
        for (r1, c1), (r2, c2) in sheet.merged or []:
            self.extent[(r1, c1)] = (r2, c2)
            if r1 >= self.nrows or (r2 - r1 + 1) * (c2 - c1 + 1) > 20_000:
                continue
            for r in range(r1, min(r2, self.nrows - 1) + 1):
                for c in range(c1, min(c2, MAX_FORM_COLS - 1) + 1):
                    if (r, c) != (r1, c1):
                        self.top[(r, c)] = (r1, c1)

    def key(self, r: int, c: int) -> str:
        if 0 <= r < self.nrows and 0 <= c < len(self.keys[r]):
            return self.keys[r][c]
        return ""

    def ncols(self, r: int) -> int:
        return len(self.keys[r]) if 0 <= r < self.nrows else 0

    def origin(self, r: int, c: int) -> tuple[int, int]:
        return self.top.get((r, c), (r, c))

    def end(self, r: int, c: int) -> tuple[int, int]:
        return self.extent.get((r, c), (r, c))

    def find(self, labels: frozenset[str], r0: int, r1: int, inline: bool = False) -> list[tuple[int, int]]:
        """Cells holding one of `labels` (with `inline`, also 'label：value' in one cell), in reading order."""
        return [(r, c) for r in range(max(r0, 0), min(r1, self.nrows)) for c, k in enumerate(self.keys[r])
                if matches(k, labels) or (inline and inline_label(k, labels))]


def detect(g: Grid) -> set[str]:
    """Which parts of a form a sheet shows, by exact labels: prose in an instructions sheet that mentions
    项目名称 or 全年预算数 does not count, and a header row needs several headers side by side, which a
    two-column "栏目 | 填写说明" table never has."""
    found = set()
    for r in range(min(g.nrows, DETECT_ROWS)):
        money = indicators = 0
        for k in g.keys[r]:
            if not k:
                continue
            if matches(k, NAME) or inline_label(k, NAME):
                found.add("name")
            elif ("自评表" in k or any(t in k for t in NOT_PROJECT)) and len(k) <= 40 and "说明" not in k:
                found.add("title")
            elif matches(k, TOTAL_ROW):
                found.add("total")
            elif matches(k, GOAL):
                found.add("goal")
            if matches(k, MONEY_HEADERS["budget"]) or matches(k, MONEY_HEADERS["spent"]):
                money += 2
            elif field_of(k, MONEY_HEADERS):
                money += 1
            if matches(k, INDICATOR_HEADERS["level3"]):
                indicators += 2
            elif field_of(k, INDICATOR_HEADERS):
                indicators += 1
        if money >= 3:
            found.add("money")
        if indicators >= 3:
            found.add("indicators")
    return found


def is_form(found: set[str]) -> bool:
    return bool(found & {"money", "indicators"}) and len(found) >= 2 or {"name", "title"} <= found



def split_target(direction, target, unit):
    """Sichuan keeps 指标性质 | 指标值 | 度量单位 apart: ('≥', 70, '项') is shown and stored as '≥70项', the
    text the national form would have, so both layouts give the same target_text."""
    d = normalize_direction(direction) if not blank(direction) else None
    if d in DIRECTIONS and not blank(target):
        p = parse_value(target)
        if p.value is not None and p.direction is None and not p.unit:
            return format_target(d, p.value, "" if blank(unit) else str(unit).strip())
    return target


def dateless(v):
    """A date typed into a target/actual cell (a deadline) as ISO text, which parse_value keeps qualitative."""
    return text_of(v) if isinstance(v, (dt.date, dt.datetime, dt.time)) else v



# ---------------------------------------------------------------- one form's scope
class Claims:
    """The rows of a sheet that its forms' blocks read (or that a refused form covers), and the areas the
    blocks span: every other row with content of its own is reported, named by the area it lies in."""

    def __init__(self):
        self.rows: set[int] = set()
        self.areas: list[tuple[int, int, str]] = []

    def claim(self, r0: int, r1: int) -> None:
        self.rows.update(range(r0, r1))

    def area(self, r0: int, r1: int, name: str) -> None:
        if r1 > r0:
            self.areas.append((r0, r1, name))

    def area_of(self, r: int) -> str:
        return next((name for r0, r1, name in reversed(self.areas) if r0 <= r < r1), "各部分之外")


class FormScope:
    """One form: rows [lo, hi) of a sheet, its title somewhere in [title_lo, lo); its report lines and the
    labels found missing. The block readers read cells and report through it."""

    def __init__(self, g: Grid, batch: Batch, department: str | None, title_lo: int, lo: int, hi: int,
                 has_name: bool, claims: Claims | None = None):
        self.g, self.sheet, self.batch = g, g.sheet, batch
        self.claims = claims if claims is not None else Claims()
        self.department = department
        self.title_lo, self.lo, self.hi, self.has_name = title_lo, lo, hi, has_name
        self.rep = Report()
        self.missing: list[str] = []

    # -- reporting
    def add(self, code, severity, r=None, column=None, **kw):
        self.rep.add(code, severity, sheet=self.sheet.name, row=None if r is None else r + 1, column=column, **kw)

    def estimate_left_out(self, r: int, column: str) -> bool:
        """issue 15: a column labelled 估算 is not read (reported once per column)."""
        seen = self.__dict__.setdefault("_estimates", set())
        if column not in seen:
            seen.add(column)
            self.add("estimate-left-out", INFO, r, column, value=column)
        return True

    def cell(self, r: int, c: int, column: str | None):
        """The value shown at (r, c), following merges; a formula with no saved result is an error."""
        r1, c1 = self.g.origin(r, c)
        f = self.sheet.formulas.get((r1, c1))
        if f is not None:
            self.add("formula-no-value", ERROR, r1, column, value=f)
            return None, False
        return self.sheet.cell(r1, c1), True

    def right_of(self, r: int, c: int):
        """The first non-blank cell right of a label (not another label), with inline 'label：value'."""
        raw = self.sheet.cell(r, c)
        if isinstance(raw, str):
            parts = re.split(r"[:：]", raw, maxsplit=1)
            if len(parts) == 2 and parts[1].strip():
                return parts[1].strip()
        _, c2 = self.g.end(r, c)
        for cc in range(c2 + 1, self.g.ncols(r)):
            if (r, cc) in self.g.top:
                continue
            if (r, cc) in self.sheet.formulas:
                return self.cell(r, cc, as_written(raw))[0]
            v = self.sheet.cell(r, cc)
            if blank(v):
                continue
            return None if is_label(self.g.key(r, cc)) else v
        return None

    def claim(self, r0: int, r1: int) -> None:
        """Rows [r0, r1) are read by a block (or covered by the form's refusal)."""
        self.claims.claim(r0, r1)

    def own_cells(self, r: int) -> list:
        """The non-blank values row r writes itself (not those merged down from a row above)."""
        if not 0 <= r < self.g.nrows:
            return []
        return [v for c, v in enumerate(self.sheet.rows[r][:MAX_FORM_COLS])
                if self.g.origin(r, c) == (r, c) and not blank(v)]

    def need(self, what: str):
        self.missing.append(what)

    def clean_text(self, v, r: int, column: str) -> str | None:
        if is_template(v):
            self.add("template-text", WARNING, r, column, value=v)
            return None
        return text_of(v)

    def date_check(self, v, r: int, column: str | None) -> None:
        if isinstance(v, (dt.date, dt.datetime)):
            self.add("date-in-text", WARNING, r, column, value=text_of(v))

