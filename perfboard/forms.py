"""Reading the 项目支出绩效自评表 users already have: the national form and its variants ("(A)/(B)" labels,
transfer payments without 分值/得分, the Sichuan form), one project per form, found by their labels."""
from __future__ import annotations

import datetime as dt
import math
import re

from . import cells, form_layouts, rows
from .batch import PROJECT_COLUMNS, Batch
from .flat import RATE_TOLERANCE, indicator_values
from .readers import RawBook, Sheet
from .validation_report import ERROR, INFO, WARNING, Report
from .targets import DIRECTIONS, JUDGEMENTS, format_target, normalize_direction, parse_value

MAX_FORM_ROWS = 3000        # a form is a page or two; never walk a huge data sheet cell by cell
MAX_FORM_COLS = 60
DETECT_ROWS = 400           # a form's labels appear near its top
MONEY_EPS = 1e-6            # 万元: 0.01 yuan, below any amount a form shows
SCORE_TOLERANCE = 0.01



# ---------------------------------------------------------------- labels
def _key(v) -> str:
    """A cell as a label: NFKC, no whitespace, no leading '*', no trailing colon, no '其中:' prefix."""
    if not isinstance(v, str):
        return ""
    k = cells.norm(v).lstrip("*").rstrip(":")
    if k.startswith("其中:"):
        k = k[3:]
    return k


_TRAILING_BRACKET = re.compile(r"^(.*?)[(\[【]([^()\[\]【】]*)[)\]】]$")


def _base(k: str) -> tuple[str, list[str]]:
    """'全年预算数(A)' -> ('全年预算数', ['A']); '项目资金(万元)' -> ('项目资金', ['万元'])."""
    inner = []
    while True:
        m = _TRAILING_BRACKET.match(k)
        if not m or not m.group(1):
            return k, inner
        k = m.group(1)
        inner.append(m.group(2))


def _labels(*names: str) -> frozenset[str]:
    return frozenset(_key(n) for n in names)


_L = form_layouts.merged()
NAME = _labels(*_L["parties"]["name"])
# one set per label, in the table's order: the first label found wins (主管部门 before 地方/中央主管部门)
DEPARTMENT = [_labels(x) for x in _L["parties"]["department"]]
UNIT = _labels(*_L["parties"]["unit"])
CODE = _labels(*_L["parties"]["code"])
YEAR = _labels(*_L["parties"]["year"])
STATED_TOTAL = _labels(*_L["parties"]["stated_total"])
TITLES = _labels(*_L["title"])

MONEY_HEADERS = {f: _labels(*names) for f, names in _L["money"]["fields"].items()}
MONEY_ZH = {"initial": "年初预算数", "budget": "全年预算数", "spent": "全年执行数"}
MONEY_BLOCK = _labels(*_L["money"]["block"])
TOTAL_ROW = _labels(*_L["money"]["total_row"])
FUND_ROWS = {kind: _labels(*names) for kind, names in _L["money"]["sub_rows"].items()}
GOAL = _labels(*_L["goal"]["block"])
GOAL_HEADERS = _labels(*_L["goal"]["expected"])
ACHIEVEMENT_HEADERS = _labels(*_L["goal"]["achieved"])

INDICATOR_HEADERS = {f: _labels(*names) for f, names in _L["indicators"]["fields"].items()}
INDICATOR_ZH = {"level3": "三级指标", "target": "年度指标值", "actual": "实际完成值"}
TOTAL_SCORE = _labels(*_L["total"])
FOOTER_PREFIXES = form_layouts.END_PREFIXES
NOT_PROJECT = {_key(k): v for k, v in form_layouts.NOT_PROJECT_FORMS.items()}

_ALL_LABELS = (NAME | UNIT | CODE | YEAR | STATED_TOTAL | frozenset().union(*DEPARTMENT) | TOTAL_ROW | GOAL
               | GOAL_HEADERS | ACHIEVEMENT_HEADERS | MONEY_BLOCK | frozenset().union(*MONEY_HEADERS.values())
               | frozenset().union(*INDICATOR_HEADERS.values()) | _labels("绩效指标"))


def looked_for() -> str:
    """The labels a form is recognised by, for the message that refuses a workbook without any."""
    return "、".join(f"“{x}”" for x in (_L["parties"]["name"][0], _L["money"]["total_row"][0],
                                       *_L["money"]["fields"]["budget"][:3], *_L["money"]["fields"]["spent"][:3],
                                       _L["indicators"]["fields"]["level3"][0]))


def _variant_labels(v: dict) -> frozenset[str]:
    out = []
    for block in ("money", "indicators"):
        for names in v[block].get("fields", {}).values():
            out += names
    out += v["money"].get("total_row", []) + [x for n in v["money"].get("sub_rows", {}).values() for x in n]
    out += [x for n in v["goal"].values() for x in n] + v["total"]
    out += [x for n in v["parties"].values() for x in n]
    return _labels(*out)


_NATIONAL_LABELS = _variant_labels(form_layouts.VARIANTS[0])
_NATIONAL_TITLES = _labels(*form_layouts.VARIANTS[0]["title"])
_NAME_CODE = re.compile(r"^([0-9A-Za-z]*\d[0-9A-Za-z]{7,})\s*[-－—_:：]\s*(\S.*)$")


def _looked_for_money(field: str) -> str:
    """'全年预算数（已查找的栏目：“全年预算数”“调整后预算数”…）' for a form refused without that column."""
    return f"{MONEY_ZH[field]}（已查找的栏目：" + "、".join(f"“{x}”" for x in _L["money"]["fields"][field]) + "）"


# issue 15 (estimates in a round trip): PerfBoard's exported forms label default-weight 分值/得分/总分 columns
# "（估算）". Those numbers are the app's estimates, not reported figures: they are left out (and reported once
# per column), so the scorer estimates them again after the import instead of taking them as reported.
ESTIMATE_MARK = "估算"


def _estimate(header) -> bool:
    return isinstance(header, str) and ESTIMATE_MARK in header


def _match(k: str, labels: frozenset[str]) -> bool:
    return bool(k) and (k in labels or _base(k)[0] in labels)


def _inline(k: str, labels: frozenset[str]) -> bool:
    """'项目名称:XXX' in a single cell."""
    head, sep, rest = k.partition(":")
    return bool(sep and rest) and _match(head, labels)


def _is_label(k: str) -> bool:
    return _match(k, _ALL_LABELS)


def _field_of(k: str, table: dict[str, frozenset[str]]) -> str | None:
    for f, labels in table.items():
        if _match(k, labels):
            return f
    return None


def _unit_of(k: str) -> str | None:
    """'项目资金(万元)' -> '万元'; '单位:元' -> '元'."""
    m = re.search(r"单位:?(万元|元)", k) or re.search(r"\((万元|元)\)", k)
    return m.group(1) if m else None


def _as_written(v) -> str:
    """A header as the user wrote it, without the line breaks and spaces of a wrapped cell."""
    return re.sub(r"[\s\u3000]+", "", str(v))


# ---------------------------------------------------------------- cell content
# Instructions the template ships with ("请说明偏差原因…", "（定量指标填写数值）"): they start with 请 or
# sit in brackets; a note that merely contains 请 ("已请专家说明情况") is data.
_TEMPLATE = re.compile(r"^[(\[【]?请[^。]{0,12}?(?:填写|填报|说明|输入|列明|描述|选择)"
                       r"|^[(\[【][^)\]】]*(?:填写|填报)[^)\]】]*[)\]】]$"
                       r"|(?:填写|填报|填表)说明|此处填|^示例:|[(（]\d+字以内[)）]")
_YEAR_CELL = re.compile(r"^\(?(\d{4})年度?\)?$")
_TITLE_YEAR = re.compile(r"^\(\d{4}年度?\)$|^\d{4}年度$")
_YEAR_IN_TITLE = re.compile(r"(\d{4})年")
_CODE_PREFIX = (re.compile(r"^[\[【(（]\s*[0-9A-Za-z]+\s*[\]】)）]\s*"),
                re.compile(r"^[0-9A-Za-z]*\d[0-9A-Za-z]*\s*[-－—_:：、.\s]\s*"))
_WEIGHT_IN_LABEL = (re.compile(r"^(?P<name>.+?)[(（\[【]\s*(?:分值|权重)?[:：]?\s*(?P<w>\d+(?:\.\d+)?)\s*分?\s*[)）\]】]$"),
                    re.compile(r"^(?P<name>.*?[^\d.])(?P<w>\d+(?:\.\d+)?)分$"))


_dash = rows.dash


def _blank(v) -> bool:
    return cells.is_blank(v) or _dash(v)


def _template(v) -> bool:
    return isinstance(v, str) and bool(_TEMPLATE.search(cells.norm(v)))


_placeholder = rows.placeholder


def _text(v) -> str | None:
    if _blank(v):
        return None
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date().isoformat()
    return cells.text(v)


def _squash(v) -> str | None:
    """Category names (一级/二级) without the spaces and line breaks of a wrapped cell."""
    t = _text(v)
    return re.sub(r"[\s\u3000]+", "", t) if t else None


def _strip_code(s: str | None) -> str | None:
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


def _fmt(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def _half_unit(x: float) -> float:
    """Half a unit of the last decimal the value shows: 7.07 -> 0.005, 71 -> 0.5."""
    s = f"{abs(x):.10g}"
    decimals = len(s.split(".")[1]) if "." in s and "e" not in s else 0
    return 0.5 * 10 ** -decimals


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------- the sheet grid
class _Grid:
    """A sheet's cells with its merged ranges: the value of any cell of a merge is its top-left's."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.nrows = min(len(sheet.rows), MAX_FORM_ROWS)
        self.keys = [[_key(v) for v in row[:MAX_FORM_COLS]] for row in sheet.rows[:self.nrows]]
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
                if _match(k, labels) or (inline and _inline(k, labels))]


def _detect(g: _Grid) -> set[str]:
    """Which parts of a form a sheet shows, by exact labels: prose in an instructions sheet that mentions
    项目名称 or 全年预算数 does not count, and a header row needs several headers side by side, which a
    two-column "栏目 | 填写说明" table never has."""
    found = set()
    for r in range(min(g.nrows, DETECT_ROWS)):
        money = indicators = 0
        for k in g.keys[r]:
            if not k:
                continue
            if _match(k, NAME) or _inline(k, NAME):
                found.add("name")
            elif ("自评表" in k or any(t in k for t in NOT_PROJECT)) and len(k) <= 40 and "说明" not in k:
                found.add("title")
            elif _match(k, TOTAL_ROW):
                found.add("total")
            elif _match(k, GOAL):
                found.add("goal")
            if _match(k, MONEY_HEADERS["budget"]) or _match(k, MONEY_HEADERS["spent"]):
                money += 2
            elif _field_of(k, MONEY_HEADERS):
                money += 1
            if _match(k, INDICATOR_HEADERS["level3"]):
                indicators += 2
            elif _field_of(k, INDICATOR_HEADERS):
                indicators += 1
        if money >= 3:
            found.add("money")
        if indicators >= 3:
            found.add("indicators")
    return found


def _is_form(found: set[str]) -> bool:
    return bool(found & {"money", "indicators"}) and len(found) >= 2 or {"name", "title"} <= found


# ---------------------------------------------------------------- public entry
def _summary_table(sheet) -> bool:
    """A flat table of projects (项目名称 with 全年预算数/全年执行数 columns), e.g. a summary next to forms."""
    from .flat import classify
    return classify(sheet) is not None


def has_form(book: RawBook) -> bool:
    """True when any sheet is a 项目支出绩效自评表 (a summary table of projects is not one)."""
    return any(not _summary_table(sheet) and _is_form(_detect(_Grid(sheet))) for sheet in book.sheets)


def parse_forms(book: RawBook, batch: Batch, department: str | None) -> None:
    """Fill `batch` from every sheet that is a 项目支出绩效自评表 (one project per form). A form with any
    error adds nothing (its problems go to the report); sheets that are not forms get an info line."""
    rep = batch.report
    forms = 0
    for sheet in book.sheets:
        if _summary_table(sheet):
            rep.add("summary-skipped", INFO, sheet=sheet.name, value=sheet.name)
            continue
        g = _Grid(sheet)
        if not _is_form(_detect(g)):
            rep.add("sheet-skipped", INFO, sheet=sheet.name, value=sheet.name)
            continue
        name_rows = sorted({r for r, _ in g.find(NAME, 0, g.nrows, inline=True)})
        bounds = name_rows or [None]
        for i, label_row in enumerate(bounds):
            lo = label_row if label_row is not None else 0
            hi = bounds[i + 1] if i + 1 < len(bounds) else g.nrows
            title_lo = (bounds[i - 1] + 1) if i > 0 else 0
            forms += 1
            _FormReader(g, batch, department, title_lo, lo, hi, label_row is not None).read()
    if not forms:
        rep.add("no-form", ERROR)


class _Incomplete(Exception):
    pass


class _FormReader:
    """One form: rows [lo, hi) of a sheet, its title somewhere in [title_lo, lo)."""

    def __init__(self, g: _Grid, batch: Batch, department: str | None, title_lo: int, lo: int, hi: int,
                 has_name: bool):
        self.g, self.sheet, self.batch = g, g.sheet, batch
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
                return self.cell(r, cc, _as_written(raw))[0]
            v = self.sheet.cell(r, cc)
            if _blank(v):
                continue
            return None if _is_label(self.g.key(r, cc)) else v
        return None

    def need(self, what: str):
        self.missing.append(what)

    # -- the whole form
    def read(self) -> None:
        try:
            project, indicators, funds = self._read()
        except _Incomplete:
            project = None
        for what in self.missing:
            self.add("form-incomplete", ERROR, value=what)
        if project is not None and not self.rep.errors:
            ref = len(self.batch.projects)
            self.batch.projects.append({c: project.get(c) for c in PROJECT_COLUMNS})
            self.batch.indicators += [{**i, "ref": ref} for i in indicators]
            self.batch.funds += [{**f, "ref": ref} for f in funds]
        self.batch.report.extend(self.rep)

    def _read(self):
        g = self.g
        project: dict = {"source_file": self.batch.file_name, "source_sheet": self.sheet.name,
                         "source_row": self.lo + 1 if self.has_name else None, "funding_source": None,
                         "overview": None, "improvement": None, "deviation_reason": None}
        title = self._title()
        what = next((v for k, v in NOT_PROJECT.items() if k in title), None)
        if what:                       # a department-wide or a target form: not one project's self-evaluation
            self.add("form-not-project", ERROR, self.lo, value=what)
            raise _Incomplete
        # 项目名称
        if not self.has_name:
            self.need("项目名称")
            name = None
        else:
            c = next(c for r, c in g.find(NAME, self.lo, self.lo + 1, inline=True))
            name = _text(self.right_of(self.lo, c))
            if name is None:
                self.add("empty-required", ERROR, self.lo, _as_written(self.sheet.cell(self.lo, c)).split("：")[0])
        project["name"] = name

        money = self._money_header()
        ind = self._indicator_header(money[0] if money else self.lo)
        body_end = ind[0] if ind else self.hi
        year = self._year(self.lo if self.has_name else (money[0] if money else body_end))
        project["year"] = year
        dept_row_end = money[0] if money else body_end
        project["department"] = self.department or _strip_code(self._party(DEPARTMENT, dept_row_end))
        project["unit"] = _strip_code(self._party([UNIT], dept_row_end))
        project["project_code"] = self._party([CODE], dept_row_end)
        if name and not project["project_code"]:
            project["name"], project["project_code"] = self._split_name_code(name)
        if project["department"] is None:
            self.add("no-department", ERROR, self.lo)
        if money is None or ind is None or year is None:
            raise _Incomplete
        funds = self._money(money, body_end, project)
        if funds is None:
            raise _Incomplete
        project["goal"], project["achievement"] = self._goal(self.lo, body_end)
        if project["achievement"] is None:
            self.add("achievement-missing", WARNING, self.lo)
        indicators, total = self._indicators(ind, project)
        project["reported_total_score"] = total
        layout = self._layout(title)
        self.add("form-found", INFO, self.lo, value=f"{layout['zh']}：{project['name'] or ''}")
        return project, indicators, funds

    def _title(self) -> str:
        """The form's title line (the cell naming a 自评表 above the 项目名称 row), as a label key."""
        above = range(self.lo - 1, self.title_lo - 1, -1) if self.has_name else range(self.lo, min(self.hi, self.lo + 5))
        for r in above:
            for k in self.g.keys[r] if 0 <= r < self.g.nrows else []:
                if "表" in k and len(k) <= 60:
                    return k
        return ""

    def _split_name_code(self, name: str) -> tuple[str, str | None]:
        """'51000021R000000019951-工资性支出' -> ('工资性支出', '51000021R000000019951'): Sichuan's 一体化 system
        prints the project code in front of the name; a form without a 项目编码 line keeps it as the code."""
        m = _NAME_CODE.match(name)
        if not m:
            return name, None
        self.add("name-code-split", INFO, self.lo, value=name, limit=m.group(1))
        return m.group(2).strip(), m.group(1)

    def _layout(self, title: str) -> dict:
        """The variant of form_layouts.VARIANTS this form matches best: the most of its own labels (those the
        national form does not print) found on the form, the fewest of them missing; the national form when
        no other variant's own label appears."""
        keys = {k for r in range(self.title_lo, min(self.hi, self.g.nrows)) for k in self.g.keys[r] if k}
        bases = keys | {_base(k)[0] for k in keys}
        best, best_rank = form_layouts.VARIANTS[0], (0, 0)
        for v in form_layouts.VARIANTS[1:]:
            own = _variant_labels(v) - _NATIONAL_LABELS
            hits = sum(1 for x in own if x in keys or (x in bases and "(" not in x))
            hits += sum(2 for t in v["title"] if _key(t) in title and _key(t) not in _NATIONAL_TITLES)
            rank = (hits, -(len(own) - hits))
            if hits and rank > best_rank:
                best, best_rank = v, rank
        return best

    # -- title, year, parties
    def _year(self, above: int) -> int | None:
        g = self.g
        for r in range(above - 1, self.title_lo - 1, -1):        # nearest title line above the name
            for k in g.keys[r] if r < g.nrows else []:
                m = _YEAR_CELL.match(k) or (_YEAR_IN_TITLE.search(k) if "自评表" in k else None)
                if m:
                    y, code = cells.year(m.group(1))
                    if y is not None:
                        return y
        for r, c in g.find(YEAR, self.title_lo, self.hi, inline=True):
            v = self.right_of(r, c)
            y, code = cells.year(v)
            if y is not None:
                return y
            if v is not None:
                self.add("bad-year", ERROR, r, _as_written(self.sheet.cell(r, c)), value=v)
                return None
        self.need("年度（如标题下的“（2022年度）”）")
        return None

    def _party(self, label_sets: list[frozenset[str]], r_end: int) -> str | None:
        for labels in label_sets:
            for r, c in self.g.find(labels, self.lo, r_end, inline=True):
                v = _text(self.right_of(r, c))
                if v:
                    return v
        return None

    # -- money block
    def _money_header(self):
        """(row, {field: (col, unit, header)}, data_start) of the money block, or None."""
        g = self.g
        missing = []
        for r in range(self.lo, min(self.hi, g.nrows)):
            fields = {}
            for c, k in enumerate(g.keys[r]):
                f = _field_of(k, MONEY_HEADERS)
                if f and f not in fields:
                    fields[f] = (c, _unit_of(k), _as_written(self.sheet.cell(r, c)))
            if "budget" in fields or "spent" in fields:
                missing = [f for f in ("budget", "spent") if f not in fields]
                for f in missing:
                    self.need(_looked_for_money(f))
                start = max(g.end(r, c)[0] for c, _, _ in fields.values()) + 1
                return None if missing else (r, fields, start)
        self.need(_looked_for_money("budget"))
        self.need(_looked_for_money("spent"))
        return None

    def _first_amount_row(self, fields: dict, start: int, end: int, first_col: int) -> tuple[int, str] | None:
        """The first row of the money block with an amount under 全年预算数 or 全年执行数, and its label."""
        for r in range(start, end):
            for f in ("budget", "spent"):
                c = fields[f][0]
                v = self.sheet.cell(*self.g.origin(r, c))
                if not _blank(v) and cells.money(v)[1] is None:
                    # the row's own label: not the block label (项目资金) merged down beside all the rows
                    label = next((_as_written(self.sheet.cell(*self.g.origin(r, cc))) for cc in range(first_col)
                                  if self.g.origin(r, cc)[0] == r and self.g.key(*self.g.origin(r, cc))), "（无标签）")
                    return r, label
        return None

    def _sheet_unit(self, header_row: int, first_col: int) -> str:
        g = self.g
        for c in range(first_col):
            r1, c1 = g.origin(header_row, c)
            u = _unit_of(g.key(r1, c1))
            if u:
                return u
        for r in range(header_row, self.title_lo - 1, -1):
            for k in g.keys[r]:
                u = _unit_of(k)
                if u:
                    return u
        return "万元"

    def _money(self, money, body_end: int, project: dict) -> list[dict] | None:
        g = self.g
        hr, fields, start = money
        first_col = min(c for c, _, _ in fields.values())
        block_unit = self._sheet_unit(hr, first_col)
        goal_rows = [r for r, _ in g.find(GOAL, start, body_end)]
        end = min(goal_rows + [body_end])
        rows: dict[str, list[int]] = {}
        for r in range(start, end):
            for c in range(first_col):
                if g.origin(r, c) != (r, c):
                    # a total label merged down from the header row (银川: 年度资金总额 beside the headers)
                    if "total" not in rows and _match(g.key(*g.origin(r, c)), TOTAL_ROW):
                        rows["total"] = [r]
                        break
                    continue
                k = g.key(r, c)
                if _match(k, TOTAL_ROW):
                    rows.setdefault("total", []).append(r)
                    break
                kind = _field_of(k, FUND_ROWS)
                if kind:
                    rows.setdefault(kind, []).append(r)
                    break
        if "total" not in rows:
            assumed = self._first_amount_row(fields, start, end, first_col)
            if assumed is None:
                self.need("年度资金总额（已查找的行：" + "、".join(f"“{x}”" for x in _L["money"]["total_row"]) + "）")
                return None
            r, label = assumed
            self.add("total-row-assumed", WARNING, r, label, value=label)
            rows["total"] = [r]
        bad = False

        def amount(r, f):
            nonlocal bad
            if f not in fields:
                return None
            c, unit, header = fields[f]
            v, ok = self.cell(r, c, header)
            if not ok:
                bad = True
                return None
            if _blank(v) or (isinstance(v, str) and cells.norm(v) == "无"):
                return None
            value, code = cells.money(v, unit or block_unit)
            if code:
                self.add(code, ERROR, r, header, value=v)
                bad = True
                return None
            if cells.money_as_text(v):
                self.add("money-as-text", INFO, r, header, value=v.strip(), limit=_fmt(value))
            return value

        tr = rows["total"][0]
        total = {f: amount(tr, f) for f in MONEY_ZH}
        funds, subs = [], {f: [] for f in MONEY_ZH}
        for kind in ("current", "carryover", "other"):
            merged: dict | None = None
            for r in rows.get(kind, []):
                vals = {f: amount(r, f) for f in MONEY_ZH}
                for f, v in vals.items():
                    if v is not None:
                        subs[f].append(v)
                if all(v is None for v in vals.values()):
                    continue
                if merged is None:
                    merged = {"kind": kind, **vals}
                else:          # e.g. 中央财政资金 and 地方资金 of a transfer payment: both this year's money
                    for f, v in vals.items():
                        if v is not None:
                            merged[f] = (merged[f] or 0) + v
            if merged is not None:
                funds.append({"kind": kind, "initial_budget": merged["initial"], "budget": merged["budget"],
                              "spent": merged["spent"]})
        for f in MONEY_ZH:
            if f not in fields:
                continue
            header = fields[f][2]
            s = math.fsum(subs[f]) if subs[f] else None
            if (total[f] is None or total[f] == 0) and s:
                self.add("fund-total-zero", WARNING, tr, header, value="（空）" if total[f] is None else _fmt(total[f]),
                         limit=_fmt(s))
                total[f] = s
            elif total[f] is not None and s is not None and abs(total[f] - s) > MONEY_EPS:
                self.add("fund-sum-mismatch", WARNING, tr, header, value=_fmt(total[f]), limit=_fmt(s))
        for f in ("budget", "spent"):
            if total[f] is None and not bad:
                self.add("empty-required", ERROR, tr, fields[f][2])
                bad = True
        project["initial_budget"], project["budget"], project["spent"] = total["initial"], total["budget"], total["spent"]

        # 分值 / 执行率 / 得分 / 原因 of the total row
        def number(f, parse):
            nonlocal bad
            if f not in fields:
                return None, None
            c, _, header = fields[f]
            if f in ("weight", "score") and _estimate(header) and self.estimate_left_out(tr, header):
                return None, None
            v, ok = self.cell(tr, c, header)
            if not ok:
                bad = True
                return None, None
            if _blank(v):
                return None, None
            value, code = parse(v)
            if code:
                self.add(code, ERROR, tr, header, value=v)
                bad = True
                return None, None
            return value, v

        weight, _ = number("weight", cells.number)
        rate, _ = number("rate", cells.rate)
        if rate is not None:       # '70.4%' / 100 is 0.7040000000000001 in binary; keep the figure written
            rate = float(f"{rate:.12g}")
        score, _ = number("score", cells.number)
        project["execution_weight"], project["reported_rate"], project["execution_reported_score"] = weight, rate, score
        if weight is not None and score is None and "score" in fields and not bad:
            self.add("score-missing", WARNING, tr, fields["score"][2], value=_fmt(weight))
        if "reason" in fields:
            v, ok = self.cell(tr, fields["reason"][0], fields["reason"][2])
            bad |= not ok
            project["deviation_reason"] = self._clean_text(v, tr, fields["reason"][2])
        if bad:
            return None
        self._check_execution(tr, fields, project)
        return funds

    def _check_execution(self, tr: int, fields: dict, p: dict) -> None:
        budget, spent, rate = p["budget"], p["spent"], p["reported_rate"]
        if budget == 0:
            self.add("zero-budget", WARNING, tr, fields["budget"][2], value=0)
        if spent > budget:
            self.add("over-execution", WARNING, tr, fields["spent"][2], value=_fmt(spent), limit=_fmt(budget))
        if rate is not None:
            header = fields["rate"][2]
            if not -0.01 <= rate <= 3:
                self.add("rate-out-of-range", WARNING, tr, header, value=f"{rate:.2%}")
            elif budget:
                actual = spent / budget
                # a rate written with fewer decimals is right when it rounds the true one: 71% for 70.74%
                tolerance = max(RATE_TOLERANCE, _half_unit(rate * 100) / 100)
                if abs(rate - actual) > tolerance + 1e-12:
                    shown, true = f"{rate * 100:.10g}%", f"{actual * 100:.2f}%"
                    message = None
                    if tolerance > RATE_TOLERANCE:
                        message = (f"填报执行率 {shown} 与按全年执行数÷全年预算数计算的 {true} 不一致"
                                   f"（已按填报值的小数位数取舍比较）。")
                    self.add("rate-mismatch", WARNING, tr, header, value=shown, limit=true, message=message)
        weight, score = p["execution_weight"], p["execution_reported_score"]
        if weight is not None and score is not None and budget:
            expected = min(spent / budget, 1.0) * weight
            if abs(score - expected) > max(SCORE_TOLERANCE, _half_unit(score)) + 1e-9:
                self.add("score-mismatch", WARNING, tr, fields["score"][2], value=_fmt(score), limit=_fmt(expected))

    def _clean_text(self, v, r: int, column: str) -> str | None:
        if _template(v):
            self.add("template-text", WARNING, r, column, value=v)
            return None
        return _text(v)

    # -- 年度总体目标
    def _goal(self, money_row: int, body_end: int) -> tuple[str | None, str | None]:
        g = self.g
        found = g.find(GOAL, money_row, body_end)
        if not found:
            return None, None
        gr, gc = found[0]
        gr2 = max(g.end(gr, gc)[0], gr + 1)
        block_end = min(body_end, gr2 + 1)
        out = []
        for labels in (GOAL_HEADERS, ACHIEVEMENT_HEADERS):
            heads = [(r, c) for r, c in g.find(labels, gr, block_end) if c > gc]
            if not heads:
                out.append(None)
                continue
            hr, hc = heads[0]
            value, where = None, None
            for r in range(g.end(hr, hc)[0] + 1, block_end):
                v, ok = self.cell(r, hc, _as_written(self.sheet.cell(hr, hc)))
                if not _blank(v):
                    value, where = v, r
                    break
            if value is None:
                value, where = self.right_of(hr, hc), hr
            out.append(self._clean_text(value, where, _as_written(self.sheet.cell(hr, hc))))
        if out == [None, None] and not any(c > gc for _, c in g.find(GOAL_HEADERS | ACHIEVEMENT_HEADERS, gr, block_end)):
            out[0] = self._clean_text(self.right_of(gr, gc), gr, _as_written(self.sheet.cell(gr, gc)))
        return out[0], out[1]

    # -- indicator block
    def _indicator_header(self, after: int):
        g = self.g
        for r in range(after, min(self.hi, g.nrows)):
            if not any(_match(k, INDICATOR_HEADERS["level3"]) for k in g.keys[r]):
                continue
            cols = {}
            for c in range(g.ncols(r)):
                # own headers, and headers merged down from the row above (a two-row header: 云南 prints
                # 年度指标值 over 指标性质 | 指标值 | 度量单位, with 实际完成值, 分值, 得分 spanning both rows)
                r1, c1 = g.origin(r, c)
                if (r1, c1) != (r, c) and (r1 == r or c1 != c):
                    continue
                f = _field_of(g.key(r1, c1), INDICATOR_HEADERS)
                if f and f not in cols:
                    cols[f] = (c, _as_written(self.sheet.cell(r1, c1)))
            for f in ("target", "actual"):
                if f not in cols:
                    self.need(INDICATOR_ZH[f])
            if "target" not in cols or "actual" not in cols:
                return None
            start = max(g.end(r, c)[0] for c, _ in cols.values()) + 1
            return r, cols, start
        self.need("三级指标")
        return None

    def _stop_row(self, r: int, cols: dict) -> str | None:
        """'total' at the 总分 row, 'end' at a footer or the next form's title, else None."""
        g = self.g
        first = next((k for k in g.keys[r] if k), "")
        limit = cols.get("weight", cols.get("score", cols.get("target", (g.ncols(r), ""))))[0]
        for c in range(0, limit):
            k = g.key(*g.origin(r, c))
            if _match(k, TOTAL_SCORE):
                return "total"
        if first.startswith(FOOTER_PREFIXES) or "自评表" in first or _TITLE_YEAR.match(first):
            return "end"
        return None

    def _indicators(self, ind, project: dict) -> tuple[list[dict], float | None]:
        g = self.g
        hr, cols, start = ind
        out: list[dict] = []
        level1_claims: list[tuple[str, float, int]] = []     # (level1, weight in its label, row)
        unused: list[tuple[str, int]] = []                    # (category named, row) of unused-category rows
        carry1 = carry2 = None
        total_row = None
        bad = False

        def header(f):
            return cols[f][1] if f in cols else None

        def get(r, f):
            nonlocal bad
            if f not in cols:
                return None
            v, ok = self.cell(r, cols[f][0], cols[f][1])
            bad |= not ok
            return v

        for r in range(start, min(self.hi, g.nrows)):
            stop = self._stop_row(r, cols)
            if stop == "total":
                total_row = r
                break
            if stop == "end":
                break
            if _match(g.key(*g.origin(r, cols["level3"][0])), INDICATOR_HEADERS["level3"]):
                continue          # the header repeated at the top of a printed page
            # 一级 / 二级: merged cells give every covered row the top-left value; a level left blank
            # without a merge continues the one above (within the same 一级 for 二级).
            new_group = False
            level1 = level2 = None
            if "level1" in cols:
                c = cols["level1"][0]
                v = get(r, "level1")
                if not _blank(v):
                    own = g.origin(r, c) == (r, c)
                    text = _squash(v)
                    if own:
                        self._date_check(v, r, header("level1"))
                        name, weight = split_weight(text)
                        if weight is not None and text != carry1:
                            level1_claims.append((name, weight, r))
                        new_group = text != carry1
                    carry1 = text
                level1 = split_weight(carry1)[0] if carry1 else None
            if "level2" in cols:
                v = get(r, "level2")
                if not _blank(v):
                    if g.origin(r, cols["level2"][0]) == (r, cols["level2"][0]):
                        self._date_check(v, r, header("level2"))
                    carry2 = _squash(v)
                elif new_group:
                    carry2 = None
                level2 = split_weight(carry2)[0] if carry2 else None

            raw = {f: get(r, f) for f in ("level3", "target", "actual", "weight", "score", "note", "direction", "unit",
                                          "judgement")}
            # a row of the template never filled in: an unused 二级 category, "指标1：" and nothing else
            if rows.empty(raw["note"]) and rows.is_unused_category(level1, level2, raw["level3"], raw["target"],
                                                                   raw["actual"], raw["weight"], raw["score"]):
                if self._names_a_level(r, cols) or not (_blank(raw["level3"]) and _blank(raw["score"])):
                    text = rows.category_text(level1, level2)
                    self.add("unused-category", INFO, r, header("level2") or header("level1"), value=text)
                    unused.append((text, r))
                continue
            if all(rows.empty(raw[f]) for f in ("level3", "target", "actual", "weight", "score", "note")):
                continue          # covered only by the merged 一级/二级 of the rows above: nothing of its own
            level3 = raw["level3"]
            if _placeholder(level3):
                self.add("indicator-name-missing", WARNING, r, header("level3"), value=level3)
                level3 = None
            elif _blank(level3):
                self.add("indicator-name-missing", WARNING, r, header("level3"), value="（空）")
                level3 = None
            else:
                self._date_check(level3, r, header("level3"))
                level3 = self._clean_text(level3, r, header("level3"))
            target = None if _template(raw["target"]) else raw["target"]
            actual = None if _template(raw["actual"]) else raw["actual"]
            for f, v in (("target", raw["target"]), ("actual", raw["actual"])):
                if _template(v):
                    self.add("template-text", WARNING, r, header(f), value=v)
            if _blank(target):
                if not _template(raw["target"]):
                    self.add("target-missing", WARNING, r, header("target"))
                target = None
            if _blank(actual):
                if not _template(raw["actual"]):
                    self.add("actual-missing", WARNING, r, header("actual"))
                actual = None
            note = self._clean_text(raw["note"], r, header("note")) if "note" in cols else None
            nums = {}
            for f in ("weight", "score"):
                v = raw[f]
                if _blank(v) or (_estimate(header(f)) and self.estimate_left_out(r, header(f))):
                    nums[f] = None
                    continue
                value, code = cells.number(v)
                if code:
                    self.add(code, ERROR, r, header(f), value=v)
                    bad = True
                nums[f] = value
            weight, score = nums["weight"], nums["score"]
            if "score" in cols and score is None and weight is not None and not bad:
                self.add("score-missing", WARNING, r, header("score"), value=_fmt(weight))
            if weight is not None and score is not None:
                if score > weight + 1e-9:
                    self.add("score-over-weight", WARNING, r, header("score"), value=_fmt(score), limit=_fmt(weight))
                elif score < weight - 1e-9 and note is None:
                    self.add("reason-missing", WARNING, r, header("note") or header("score"), value=_fmt(score),
                             limit=_fmt(weight))
            direction = None if _blank(raw["direction"]) else raw["direction"]
            direction = form_layouts.DIRECTION_ALIASES.get(cells.norm(direction), direction) if direction else None
            unit = None if _blank(raw["unit"]) else raw["unit"]
            judgement = None if _blank(raw["judgement"]) else _squash(raw["judgement"])
            if judgement is not None and judgement not in JUDGEMENTS:
                self.add("bad-judgement", ERROR, r, header("judgement"), value=raw["judgement"])
                bad = True
            out.append({"position": len(out) + 1, "level1": level1, "level2": level2, "level3": level3,
                        "weight": weight, "reported_score": score, "judgement": judgement, "deviation_note": note,
                        "source_sheet": self.sheet.name, "source_row": r + 1,
                        **indicator_values(_split_target(direction, _dateless(target), unit), _dateless(actual),
                                           direction, unit)})
        if bad:
            return out, None

        self._check_categories(out, unused, hr, header("level1"))
        # checks of the weights written in 一级 labels and of the 总分 row
        for name, claimed, r in level1_claims:
            ws = [i["weight"] for i in out if i["level1"] == name and i["weight"] is not None]
            if ws and abs(math.fsum(ws) - claimed) > 1e-6:
                self.add("weight-mismatch", WARNING, r, header("level1"), value=_fmt(claimed), limit=_fmt(math.fsum(ws)))
        total = None
        if total_row is not None:
            total_weight = None
            if "weight" in cols and not _estimate(header("weight")):
                v = get(total_row, "weight")
                if not _blank(v):
                    total_weight, code = cells.number(v)
                    if code:
                        self.add(code, ERROR, total_row, header("weight"), value=v)
            if "score" in cols and not _estimate(header("score")):
                v = get(total_row, "score")
                if not _blank(v):
                    total, code = cells.number(v)
                    if code:
                        self.add(code, ERROR, total_row, header("score"), value=v)
                else:
                    self.add("total-score-missing", WARNING, total_row, header("score"),
                             value=_as_written(self.sheet.cell(*g.origin(total_row, 0))) or "总分")
            weights = [i["weight"] for i in out if i["weight"] is not None]
            if total_weight is not None and weights:
                expected = math.fsum(weights) + (project.get("execution_weight") or 0)
                if abs(expected - total_weight) > 1e-6:
                    self.add("weight-mismatch", WARNING, total_row, header("weight"), value=_fmt(total_weight),
                             limit=_fmt(expected))
            scores = [i["reported_score"] for i in out if i["reported_score"] is not None]
            if total is not None and (scores or project.get("execution_reported_score") is not None):
                expected = math.fsum(scores) + (project.get("execution_reported_score") or 0)
                if abs(expected - total) > max(SCORE_TOLERANCE, _half_unit(total)) + 1e-9:
                    self.add("total-mismatch", WARNING, total_row, header("score"), value=_fmt(total),
                             limit=_fmt(expected))
        elif "score" in cols:
            total = self._stated_total(hr)
            if total is None:
                last = self._last_row(start, out, unused)
                self.add("total-score-missing", WARNING, hr if last is None else last, header("score"), value="总分")
        return out, total

    def _names_a_level(self, r: int, cols: dict) -> bool:
        """The row writes a 一级 or 二级 name of its own (not only the merged name of the rows above)."""
        for f in ("level1", "level2"):
            if f in cols:
                c = cols[f][0]
                if self.g.origin(r, c) == (r, c) and not _blank(self.sheet.cell(r, c)):
                    return True
        return False

    def _last_row(self, start: int, out: list, unused: list) -> int | None:
        rows_seen = [i["source_row"] - 1 for i in out] + [r for _, r in unused]
        return max(rows_seen) if rows_seen else None

    def _check_categories(self, out: list[dict], unused: list[tuple[str, int]], hr: int, column) -> None:
        """产出, 效益 and 满意度 should each have an indicator: a missing one is a warning with the row that
        names the category (an unused-category row) or the header row."""
        for word, label in form_layouts.LEVEL1_EXPECTED:
            if any(word in (i["level1"] or "") or word in (i["level2"] or "") for i in out):
                continue
            r = next((r for text, r in reversed(unused) if word in text), hr)
            self.add("level1-missing", WARNING, r, column, value=label)

    def _stated_total(self, hr: int) -> float | None:
        """A total written in the header lines ("自评得分 98", 银川) when the form has no 总分 row."""
        for r, c in self.g.find(STATED_TOTAL, self.lo, hr, inline=True):
            value, code = cells.number(self.right_of(r, c))
            if code is None and value is not None:
                return value
        return None

    def _date_check(self, v, r: int, column: str | None) -> None:
        if isinstance(v, (dt.date, dt.datetime)):
            self.add("date-in-text", WARNING, r, column, value=_text(v))


def _split_target(direction, target, unit):
    """Sichuan keeps 指标性质 | 指标值 | 度量单位 apart: ('≥', 70, '项') is shown and stored as '≥70项', the
    text the national form would have, so both layouts give the same target_text."""
    d = normalize_direction(direction) if not _blank(direction) else None
    if d in DIRECTIONS and not _blank(target):
        p = parse_value(target)
        if p.value is not None and p.direction is None and not p.unit:
            return format_target(d, p.value, "" if _blank(unit) else str(unit).strip())
    return target


def _dateless(v):
    """A date typed into a target/actual cell (a deadline) as ISO text, which parse_value keeps qualitative."""
    return _text(v) if isinstance(v, (dt.date, dt.datetime, dt.time)) else v

