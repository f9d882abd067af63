"""Reading in-year monitoring files (绩效运行监控, issue 17) into a MonitorBatch: the 项目支出绩效目标执行监控表
(one or several forms per sheet, merged cells, one- or two-row indicator headers) and the flat monitoring
sheets (“执行监控” one row per project, “监控指标” one row per indicator). Nothing here touches the database.

The monitoring period is the month M of the labels “1—M月执行数 / 1—M月执行率 / 1—M月执行情况” (or the flat
sheet's 监控月份 column). Money is parsed by perfboard.cells, indicator values by perfboard.flat /
perfboard.targets, exactly as for self-evaluations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from . import cells
from .batch import Batch
from .flat import indicator_values
from .readers import RawBook, Sheet
from .validation_report import ERROR, INFO, WARNING

MAX_ROWS = 3000            # a form is a page or two (flat sheets are read whole)
MAX_COLS = 60
DETECT_ROWS = 60           # a form's title and money header sit near its top
HEADER_SCAN = 20           # flat sheets: the header row is among the first rows
RATE_TOLERANCE = 0.0005
MONEY_EPS = 1e-6

# "1—7月", "1-7月", "1至7月", "1月—7月", "1~7月" (after NFKC: full-width dashes and tildes are ASCII)
PERIOD = re.compile(r"1月?[-—–―~〜至到]+(\d{1,2})月")
FOOTERS = ("填表人", "填报人", "联系人", "联系电话", "单位负责人", "审核人", "财务负责人", "填报日期", "填表日期", "注:",
           "说明:")

# field -> labels (compared after cells.norm, a trailing bracket such as （万元） removed, lower-case).
# Period-prefixed labels (“1—7月执行数”) are matched without their prefix: 执行数, 执行率, 执行情况.
FIELDS: dict[str, tuple[str, ...]] = {
    "year": ("年度", "年份", "预算年度", "year"),
    "period_month": ("监控月份", "监控期", "截至月份", "月份", "period_month"),
    "department": ("主管部门", "主管部门及代码", "主管部门名称", "部门", "单位", "department"),
    "unit": ("实施单位", "实施单位名称", "unit"),
    "project_code": ("项目编码", "项目代码", "项目编号", "project_code"),
    "project_name": ("项目名称", "project_name"),
    "initial_budget": ("年初预算数", "年初预算", "initial_budget"),
    "budget": ("调整后预算数", "调整后预算", "全年预算数", "预算数", "budget"),
    "spent_to_date": ("执行数", "累计执行数", "截至当期执行数", "spent_to_date"),
    "reported_rate": ("执行率", "累计执行率", "reported_rate"),
    "forecast_spent": ("全年预计执行数", "预计全年执行数", "全年预计执行", "forecast_spent"),
    "goal": ("年度总体目标", "总体目标", "年度绩效目标", "goal"),
    "level1": ("一级指标", "level1"),
    "level2": ("二级指标", "level2"),
    "level3": ("三级指标", "指标名称", "level3"),
    "target": ("年度指标值", "指标值", "年度目标值", "target"),
    "actual": ("执行情况", "完成情况", "截至当期完成值", "累计完成值", "actual_to_date"),
    "forecast": ("全年预计完成情况", "全年预计完成值", "预计全年完成情况", "全年预计完成", "forecast"),
    "reason_funding": ("经费保障", "reason_funding"),
    "reason_system": ("制度保障", "reason_system"),
    "reason_staff": ("人员保障", "reason_staff"),
    "reason_hardware": ("硬件条件保障", "硬件保障", "reason_hardware"),
    "reason_other": ("其他", "其他原因", "reason_other"),
    "reason_text": ("偏差原因分析", "偏差原因", "原因分析"),
    "likelihood": ("完成目标可能性", "完成可能性", "likelihood"),
    "lik_sure": ("确定能",),
    "lik_maybe": ("有可能",),
    "lik_impossible": ("完全不可能",),
    "note": ("备注", "note"),
}
ZH = {f: names[0] for f, names in FIELDS.items()}
ZH.update({"spent_to_date": "1—M月执行数", "reported_rate": "1—M月执行率", "actual": "1—M月执行情况"})
_INDEX = {cells.norm(a).lower(): f for f, names in FIELDS.items() for a in names}
_BRACKET = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]$")
REASONS = ("reason_funding", "reason_system", "reason_staff", "reason_hardware")
REASON_ZH = {"reason_funding": "经费保障", "reason_system": "制度保障", "reason_staff": "人员保障",
             "reason_hardware": "硬件条件保障"}
LIKELIHOOD_TICKS = {"lik_sure": "确定能", "lik_maybe": "有可能", "lik_impossible": "完全不可能"}
LIKELIHOOD_ORDER = ("确定能", "有可能", "完全不可能")          # the worst ticked wins
LIKELIHOOD_WORDS = {"确定能": "确定能", "能": "确定能", "确定": "确定能", "肯定能": "确定能", "能完成": "确定能",
                    "有可能": "有可能", "可能": "有可能", "较可能": "有可能", "完全不可能": "完全不可能",
                    "不可能": "完全不可能", "不能": "完全不可能"}
TICKS = {"√", "✓", "✔", "☑", "✅", "是", "1", "y", "yes", "true", "有", "●", "■", "v"}
NO_TICKS = {"否", "0", "×", "✗", "✘", "n", "no", "false", "无", "-", "—", "/", "□", "☐"}
FUND_KINDS = {"年度资金总额": "total", "资金总额": "total", "财政拨款": "fiscal", "财政资金": "fiscal",
              "本年财政拨款": "fiscal", "财政拨款资金": "fiscal", "其他资金": "other", "上年结转资金": "carryover",
              "上年结转": "carryover"}
FLAT_PROJECT_SHEETS = {"执行监控", "监控", "运行监控", "监控项目", "monitoring"}
FLAT_INDICATOR_SHEETS = {"监控指标", "运行监控指标", "monitoring_indicators"}
MONEY_FIELDS = ("initial_budget", "budget", "spent_to_date", "forecast_spent")
ITEM_COLUMNS = ["year", "period_month", "department", "unit", "project_code", "name", "initial_budget", "budget",
                "spent_to_date", "reported_rate", "forecast_spent", "goal", "source_file", "source_sheet", "source_row"]
INDICATOR_COLUMNS = ["position", "level1", "level2", "level3", "direction", "target_value", "target_unit",
                     "target_text", "actual_value", "actual_text", "forecast_value", "forecast_text",
                     "reason_funding", "reason_system", "reason_staff", "reason_hardware", "reason_other",
                     "likelihood", "note", "source_sheet", "source_row"]
FUND_COLUMNS = ["kind", "initial_budget", "budget", "spent_to_date", "forecast_spent"]


@dataclass
class MonitorBatch(Batch):
    """A monitoring import: `items` (one per project and period, ITEM_COLUMNS), `monitor_indicators` and
    `monitor_funds` (each with `ref`, the index of its item). `projects` stays empty: a monitoring import
    never replaces self-evaluation data (Batch.scopes() is empty), it replaces periods (periods())."""
    items: list[dict] = field(default_factory=list)
    monitor_indicators: list[dict] = field(default_factory=list)
    monitor_funds: list[dict] = field(default_factory=list)

    @property
    def project_count(self) -> int:
        return len(self.items)

    @property
    def indicator_count(self) -> int:
        return len(self.monitor_indicators)

    def periods(self) -> list[tuple[int, int, str]]:
        """(year, period_month, department) snapshots this batch writes."""
        return sorted({(i["year"], i["period_month"], i["department"]) for i in self.items})

    def projects_frame(self) -> pd.DataFrame:
        counts: dict[int, int] = {}
        for ind in self.monitor_indicators:
            counts[ind["ref"]] = counts.get(ind["ref"], 0) + 1
        rows = []
        for i, p in enumerate(self.items):
            rate = p["spent_to_date"] / p["budget"] if p.get("budget") else None
            rows.append({"年度": p["year"], "监控期": f"1—{p['period_month']}月", "主管部门": p["department"],
                         "项目名称": p["name"], "预算数（万元）": p["budget"], "执行数（万元）": p["spent_to_date"],
                         "执行率": rate, "全年预计执行数（万元）": p.get("forecast_spent"), "指标数": counts.get(i, 0),
                         "来源": f"{p.get('source_sheet') or ''} 第{p.get('source_row') or ''}行"})
        return pd.DataFrame(rows)


# ---------------------------------------------------------------- labels
def _key(v) -> str:
    return "" if cells.is_blank(v) else cells.norm(v).lower().strip("*＊")


def match(label) -> tuple[str | None, str | None, int | None]:
    """A header or label cell -> (field, unit in its bracket, month of a “1—M月” prefix)."""
    k = _key(label)
    if not k:
        return None, None, None
    month = None
    m = PERIOD.search(k)
    if m:
        month = int(m.group(1))
        k = (k[:m.start()] + k[m.end():]).strip(":：")
        if k.startswith("截至"):
            k = k[2:]
    unit = None
    while True:
        if k in _INDEX:
            return _INDEX[k], unit, month
        b = _BRACKET.search(k)
        if not b:
            break
        inner = b.group(1).split(":")[-1].split("：")[-1]
        if inner in ("元", "万元"):
            unit = inner
        k = k[:b.start()]
    return None, None, None


def _fund_kind(v) -> str | None:
    k = _key(v)
    for prefix in ("其中:", "其中：", "其中", "(其中)"):
        if k.startswith(prefix):
            k = k[len(prefix):]
    k = re.sub(r"[(\[【][^()\[\]【】]*[)\]】]$", "", k)
    return FUND_KINDS.get(k)


def tick(v) -> tuple[bool, bool]:
    """A tick cell -> (ticked, understood). √ ✓ 是 1 tick; blank, 否, 0, × do not; other text is read as a
    tick that should be checked (understood False)."""
    if cells.is_blank(v):
        return False, True
    if isinstance(v, bool):
        return v, True
    if isinstance(v, (int, float)):
        return (v == 1, v in (0, 1))
    k = _key(v)
    if k in TICKS:
        return True, True
    if k in NO_TICKS:
        return False, True
    return True, False


def likelihood_word(v) -> str | None:
    k = _key(v)
    return LIKELIHOOD_WORDS.get(k.rstrip("。.")) if k else None


_DEPT_CODE = (re.compile(r"[(\[【]\s*[0-9A-Za-z\-]+\s*[)\]】]"), re.compile(r"^[0-9A-Za-z\-]+[\s_、:：\-]*"),
              re.compile(r"[\s_、:：\-]*[0-9]+$"))


def department_name(v) -> str | None:
    """“张掖市科学技术局（123001）” / “123001 张掖市科学技术局” -> the name without its code."""
    s = cells.text(v)
    if not s:
        return None
    out = unicode_strip(s)
    for pat in _DEPT_CODE:
        out = pat.sub("", out).strip()
    return out or s


def unicode_strip(s: str) -> str:
    import unicodedata
    return unicodedata.normalize("NFKC", s).strip()


# ---------------------------------------------------------------- the grid of a form
class Grid:
    """A sheet's cells with merges resolved: value(r, c) is the top-left value of the merge holding (r, c)."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.nrows = min(len(sheet.rows), MAX_ROWS)
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for (r1, c1), (r2, c2) in sheet.merged or []:
            if r1 >= self.nrows or (r2 - r1 + 1) * (c2 - c1 + 1) > 20_000:
                continue
            for r in range(r1, min(r2, self.nrows - 1) + 1):
                for c in range(c1, min(c2, MAX_COLS - 1) + 1):
                    if (r, c) != (r1, c1):
                        self.origin[(r, c)] = (r1, c1)

    def ncols(self, r: int) -> int:
        return min(len(self.sheet.rows[r]), MAX_COLS) if 0 <= r < self.nrows else 0

    def raw(self, r: int, c: int):
        return self.sheet.cell(r, c)

    def value(self, r: int, c: int):
        return self.sheet.cell(*self.origin.get((r, c), (r, c)))

    def continuation(self, r: int, c: int) -> bool:
        return (r, c) in self.origin

    def own_cells(self, r: int):
        """(c, value) of the row's non-blank cells that start there (not the inside of a merge)."""
        for c in range(self.ncols(r)):
            if not self.continuation(r, c) and not cells.is_blank(self.raw(r, c)):
                yield c, self.raw(r, c)

    def right_of(self, r: int, c: int):
        """The first value right of the label at (r, c), past its own merge; None when the next filled cell
        is another label."""
        origin = self.origin.get((r, c), (r, c))
        for cc in range(c + 1, self.ncols(r)):
            if self.origin.get((r, cc)) == origin:
                continue
            v = self.value(r, cc)
            if cells.is_blank(v):
                continue
            return None if match(v)[0] is not None else v
        return None


def _title_text(sheet: Sheet, r0: int, r1: int) -> str:
    return " ".join(cells.norm(v) for r in range(r0, min(r1, len(sheet.rows))) for v in sheet.rows[r][:MAX_COLS]
                    if not cells.is_blank(v))


def _is_form_sheet(sheet: Sheet) -> bool:
    """A 项目名称 label cell and a “1—M月执行数” column label, under a 监控 title or with 全年预计 columns (a notes
    sheet that only mentions the form in a sentence is not one)."""
    fields = {match(v)[0] for row in sheet.rows[:DETECT_ROWS] for v in row[:MAX_COLS] if not cells.is_blank(v)}
    if not {"project_name", "spent_to_date"} <= fields:
        return False
    return "监控" in _title_text(sheet, 0, DETECT_ROWS) or "forecast_spent" in fields


def _flat_header(sheet: Sheet) -> tuple[int, dict] | None:
    """(row, {field: (col, unit, month, header)}) of a flat monitoring sheet's header row, or None."""
    for r in range(min(HEADER_SCAN, len(sheet.rows))):
        mapping: dict = {}
        for c, v in enumerate(sheet.rows[r]):
            f, unit, month = match(v)
            if f and f not in mapping:
                mapping[f] = (c, unit, month, str(v).strip())
        if ("project_name" in mapping or "project_code" in mapping) and len(mapping) >= 3:
            named = cells.norm(sheet.name).lower()
            marker = ("period_month" in mapping or "forecast_spent" in mapping or "forecast" in mapping
                      or any(m[2] for m in mapping.values()) or named in FLAT_PROJECT_SHEETS | FLAT_INDICATOR_SHEETS)
            if marker:
                return r, mapping
    return None


def is_monitoring(book: RawBook) -> bool:
    """A monitoring form or flat monitoring sheet anywhere in the book (CSV: a flat monitoring table)."""
    for sheet in book.sheets:
        if _flat_header(sheet) is not None or (book.kind != "csv" and _is_form_sheet(sheet)):
            return True
    return False


def parse(book: RawBook, batch: Batch, department: str | None = None) -> MonitorBatch:
    out = MonitorBatch(file_name=batch.file_name, content_hash=batch.content_hash, report=batch.report)
    for sheet in book.sheets:
        header = _flat_header(sheet)
        if header is not None:
            r, mapping = header
            if "level3" in mapping:
                continue                      # indicator sheets after the project sheets
            _FlatReader(sheet, out, department).projects(r, mapping)
        elif book.kind != "csv" and _is_form_sheet(sheet):
            _FormReader(sheet, out, department).read()
        else:
            out.report.add("sheet-skipped", INFO, sheet=sheet.name)
    for sheet in book.sheets:
        header = _flat_header(sheet)
        if header is not None and "level3" in header[1]:
            _FlatReader(sheet, out, department).indicators(*header)
    for item in out.items:          # one spelling per department, as the main importer stores it (issue 20)
        item["department"] = cells.department(item["department"])
    _check_duplicates(out)
    if out.report.ok and not out.items:
        out.report.add("no-data", ERROR)
    return out


def _check_duplicates(b: MonitorBatch) -> None:
    seen: dict[tuple, int] = {}
    keep = []
    for i, p in enumerate(b.items):
        key = (p["year"], p["period_month"], p["department"], p["project_code"] or cells.norm(p["name"]))
        if key in seen:
            first = b.items[seen[key]]
            b.report.add("duplicate-project", ERROR, sheet=p["source_sheet"], row=p["source_row"], column="项目名称",
                         value=p["project_code"] or p["name"],
                         limit=f"{first['source_row']}（工作表“{first['source_sheet']}”）")
        else:
            seen[key] = i
            keep.append(i)


# ---------------------------------------------------------------- shared value parsing
class _Values:
    def __init__(self, sheet: Sheet, batch: MonitorBatch):
        self.sheet, self.batch = sheet, batch

    def add(self, code, severity, row=None, column=None, value=None, limit=None, message=None):
        self.batch.report.add(code, severity, sheet=self.sheet.name, row=row, column=column, value=value,
                              limit=limit, message=message)

    def formula(self, r: int, c: int, column: str) -> bool:
        f = self.sheet.formulas.get((r, c))
        if f:
            self.add("formula-no-value", ERROR, r + 1, column, f)
            return True
        return False

    def money(self, v, unit, r, c, column):
        if self.formula(r, c, column):
            return None, False
        value, problem = cells.money(v, unit or "万元")
        if problem:
            self.add(problem, ERROR, r + 1, column, v)
            return None, False
        return value, True

    def rate(self, v, r, c, column):
        if self.formula(r, c, column):
            return None
        value, problem = cells.rate(v)
        if problem:
            self.add(problem, WARNING, r + 1, column, v)      # a stated rate is checked, never needed
            return None
        return value

    def check_item(self, item: dict, r: int, columns: dict) -> bool:
        ok = True
        if item["budget"] is None:
            self.add("empty-required", ERROR, r + 1, columns.get("budget", "年初预算数"))
            ok = False
        if item["spent_to_date"] is None:
            self.add("empty-required", ERROR, r + 1, columns.get("spent_to_date", "1—M月执行数"))
            ok = False
        if not ok:
            return False
        if item["budget"] <= MONEY_EPS:
            self.add("zero-budget", WARNING, r + 1, columns.get("budget", "年初预算数"))
        elif item["reported_rate"] is not None:
            computed = item["spent_to_date"] / item["budget"]
            if abs(computed - item["reported_rate"]) > RATE_TOLERANCE:
                self.add("monitor-rate-mismatch", WARNING, r + 1, columns.get("reported_rate", "执行率"),
                         f"{item['reported_rate']:.2%}", f"{computed:.2%}")
        return True

    def indicator(self, values: dict, r: int, columns: dict) -> dict:
        """Indicator fields from the raw cells of one row ({field: value}); problems reported."""
        target, actual, forecast = values.get("target"), values.get("actual"), values.get("forecast")
        iv = indicator_values(target, actual)
        fv = indicator_values(target, forecast)
        out = {"level1": cells.text(values.get("level1")), "level2": cells.text(values.get("level2")),
               "level3": cells.text(values.get("level3")), "direction": iv["direction"],
               "target_value": iv["target_value"], "target_unit": iv["target_unit"], "target_text": iv["target_text"],
               "actual_value": iv["actual_value"], "actual_text": iv["actual_text"],
               "forecast_value": fv["actual_value"], "forecast_text": fv["actual_text"],
               "reason_other": None, "likelihood": None, "note": cells.text(values.get("note")),
               "source_sheet": self.sheet.name, "source_row": r + 1}
        for f in REASONS:
            ticked, understood = tick(values.get(f))
            out[f] = ticked
            if not understood:
                self.add("monitor-bad-tick", WARNING, r + 1, columns.get(f, REASON_ZH[f]), values.get(f))
        other = cells.text(values.get("reason_other"))
        text_reason = cells.text(values.get("reason_text"))
        if other is not None and tick(other) == (True, True):
            other = "其他"                                          # a tick in the 其他 column: no text given
        elif other is not None and tick(other) == (False, True):
            other = None
        out["reason_other"] = "；".join(t for t in (other, text_reason) if t) or None
        lik = values.get("likelihood")
        if not cells.is_blank(lik):
            word = likelihood_word(lik)
            if word is None:
                self.add("monitor-bad-likelihood", WARNING, r + 1, columns.get("likelihood", "完成目标可能性"), lik)
            out["likelihood"] = word
        ticked = [w for f, w in LIKELIHOOD_TICKS.items() if tick(values.get(f))[0]]
        for f in LIKELIHOOD_TICKS:
            if not tick(values.get(f))[1]:
                self.add("monitor-bad-tick", WARNING, r + 1, columns.get(f, ZH[f]), values.get(f))
        if ticked:
            worst = max(ticked, key=LIKELIHOOD_ORDER.index)
            if len(ticked) > 1:
                self.add("monitor-likelihood-several", WARNING, r + 1, "完成目标可能性", "、".join(ticked), worst)
            out["likelihood"] = worst
        if out["target_text"] is None:
            self.add("target-missing", WARNING, r + 1, columns.get("target", "年度指标值"))
        return out


# ---------------------------------------------------------------- forms
class _FormReader(_Values):
    def __init__(self, sheet: Sheet, batch: MonitorBatch, department: str | None):
        super().__init__(sheet, batch)
        self.g = Grid(sheet)
        self.department = department
        self.sheet_year: int | None = None

    def read(self) -> None:
        g = self.g
        starts = []
        for r in range(g.nrows):
            first = next(g.own_cells(r), None)
            if first is not None and match(first[1])[0] == "project_name":
                starts.append(r)
        if not starts:
            self.add("form-incomplete", ERROR, value="项目名称")
            return
        bounds = starts + [g.nrows]
        prev_end = 0
        for i, r0 in enumerate(starts):
            self.segment(prev_end, r0, bounds[i + 1])
            prev_end = bounds[i + 1]

    def _year(self, title_from: int, r0: int, r1: int) -> int | None:
        """The 年度 label's value, else a year in the title above the form (not in the project name: "2024年
        招商引资" names a project), else the year of the form above it on the same sheet."""
        for r in range(title_from, r1):
            for c, v in self.g.own_cells(r):
                if match(v)[0] == "year":
                    y, _ = cells.year(self.g.right_of(r, c))
                    if y:
                        return y
        m = re.search(r"(\d{4})年", _title_text(self.sheet, title_from, r0))
        if m and 1990 <= int(m.group(1)) <= 2100:
            self.sheet_year = int(m.group(1))
        return self.sheet_year

    def segment(self, title_from: int, r0: int, r1: int) -> None:
        g = self.g
        labels: dict[str, tuple[int, int]] = {}
        for r in range(r0, r1):
            for c, v in g.own_cells(r):
                f = match(v)[0]
                if f in ("project_name", "department", "unit", "project_code", "goal") and f not in labels:
                    labels[f] = (r, c)
        name = cells.text(g.right_of(*labels["project_name"]))
        if not name:
            self.add("empty-required", ERROR, labels["project_name"][0] + 1, "项目名称")
            return
        dept = self.department or (department_name(g.right_of(*labels["department"])) if "department" in labels else None)
        if not dept:
            self.add("no-department", ERROR, r0 + 1, "主管部门及代码")
            return
        year = self._year(title_from, r0, r1)
        if year is None:
            self.add("monitor-no-year", ERROR, r0 + 1)
            return
        money = self.money_block(r0, r1)
        if money is None:
            return
        item, funds, month_money, columns, hr, tr = money
        ind_header = self.indicator_header(r0, r1)
        months = {m for m in (month_money, ind_header[3] if ind_header else None) if m}
        if not months:
            m = PERIOD.search(_title_text(self.sheet, title_from, r0 + 1))
            months = {int(m.group(1))} if m else set()
        if len(months) != 1 or not 1 <= min(months) <= 12:
            self.add("monitor-no-period" if not months else "monitor-period-mismatch", ERROR, hr + 1,
                     value="、".join(f"1—{m}月" for m in sorted(months)) or None)
            return
        item.update({"year": year, "period_month": months.pop(), "department": dept, "name": name,
                     "unit": cells.text(g.right_of(*labels["unit"])) if "unit" in labels else None,
                     "project_code": cells.text(g.right_of(*labels["project_code"])) if "project_code" in labels else None,
                     "goal": self.goal(labels.get("goal")), "source_file": self.batch.file_name,
                     "source_sheet": self.sheet.name, "source_row": labels["project_name"][0] + 1})
        if not self.check_item(item, tr, columns):
            return
        ref = len(self.batch.items)
        self.batch.items.append({c: item.get(c) for c in ITEM_COLUMNS})
        for f in funds:
            self.batch.monitor_funds.append({**f, "ref": ref})
        if ind_header:
            self.indicators(ref, ind_header, r1)
        self.batch.report.add("monitor-form-found", INFO, sheet=self.sheet.name, row=r0 + 1,
                              value=f"{name}，{year} 年 1—{item['period_month']}月")

    def goal(self, at) -> str | None:
        if at is None:
            return None
        v = self.g.right_of(*at)
        if cells.is_blank(v):
            v = self.g.value(at[0] + 1, at[1])
            if match(v)[0] is not None:
                v = None
        return cells.text(v)

    def money_block(self, r0: int, r1: int):
        """(item money fields, fund rows, month of the labels, {field: header}, header row, 年度资金总额 row) or
        None (reported)."""
        g = self.g
        for hr in range(r0, r1):
            cols: dict[str, tuple[int, str | None, str]] = {}
            month = None
            for c, v in g.own_cells(hr):
                f, unit, m = match(v)
                if f in ("initial_budget", "budget", "spent_to_date", "reported_rate", "forecast_spent") and f not in cols:
                    cols[f] = (c, unit, str(v).strip())
                    month = month or m
            if "spent_to_date" in cols and ("initial_budget" in cols or "budget" in cols):
                break
        else:
            self.add("form-incomplete", ERROR, r0 + 1, value="项目资金（1—M月执行数）")
            return None
        first_money = min(c for c, _, _ in cols.values())
        columns = {f: h for f, (_, _, h) in cols.items()}
        rows: dict[str, tuple[int, dict]] = {}
        for r in range(hr + 1, r1):
            kind = None
            for c in range(first_money):
                kind = _fund_kind(g.value(r, c)) or kind
            if kind is None:
                break
            vals: dict = {}
            for f, (c, unit, header) in cols.items():
                v = g.raw(r, c)
                if f == "reported_rate":
                    vals[f] = self.rate(v, r, c, header)
                else:
                    vals[f], _ = self.money(v, unit, r, c, header)
            if kind not in rows:
                rows[kind] = (r, vals)
        if "total" not in rows:
            self.add("form-incomplete", ERROR, hr + 1, value="年度资金总额")
            return None
        tr, total = rows["total"]
        parts = [vals for k, (_, vals) in rows.items() if k != "total"]
        for f in MONEY_FIELDS:
            if f not in cols or not parts:
                continue
            s = sum(p.get(f) or 0.0 for p in parts)
            if (total.get(f) in (None, 0.0)) and s > MONEY_EPS:
                self.add("fund-total-zero", WARNING, tr + 1, columns[f], total.get(f) or 0, f"{s:.2f}")
                total[f] = s
        budget = total.get("budget") if total.get("budget") is not None else total.get("initial_budget")
        item = {"initial_budget": total.get("initial_budget"), "budget": budget,
                "spent_to_date": total.get("spent_to_date"), "reported_rate": total.get("reported_rate"),
                "forecast_spent": total.get("forecast_spent")}
        if "budget" not in cols:
            columns["budget"] = columns.get("initial_budget", "年初预算数")
        funds = [{"kind": k, "initial_budget": vals.get("initial_budget"),
                  "budget": vals.get("budget") if vals.get("budget") is not None else vals.get("initial_budget"),
                  "spent_to_date": vals.get("spent_to_date"), "forecast_spent": vals.get("forecast_spent")}
                 for k, (_, vals) in rows.items() if k != "total"]
        return item, funds, month, columns, hr, tr

    def indicator_header(self, r0: int, r1: int):
        """(first data row, {field: col}, {field: header}, month) of the indicator block, or None."""
        g = self.g
        for hr in range(r0, r1):
            if any(match(v)[0] == "level3" for _, v in g.own_cells(hr)):
                break
        else:
            return None
        width = max(g.ncols(hr), g.ncols(hr + 1))
        sub_fields = set(REASONS) | {"reason_other"} | set(LIKELIHOOD_TICKS)
        two_rows = any(match(v)[0] in sub_fields for _, v in g.own_cells(hr + 1))
        cols: dict[str, int] = {}
        headers: dict[str, str] = {}
        month = None
        for c in range(width):
            top = g.value(hr, c)
            f, _, m = match(top)
            month = month or m
            if two_rows:
                sub = g.value(hr + 1, c)
                fs, _, ms = match(sub)
                month = month or ms
                if fs is not None and fs != f:        # a sub-header, not the top one merged down
                    f, top = fs, sub
            if f is not None and f not in cols:
                cols[f] = c
                headers[f] = str(top).strip()
        return hr + (2 if two_rows else 1), cols, headers, month

    def indicators(self, ref: int, header, r1: int) -> None:
        g = self.g
        start, cols, headers, _ = header
        carry = {"level1": None, "level2": None}
        position = sum(1 for i in self.batch.monitor_indicators if i["ref"] == ref)
        for r in range(start, r1):
            own = list(g.own_cells(r))
            if not own:
                continue
            first = cells.norm(own[0][1])
            if first.startswith(FOOTERS) or (first.startswith("备注") and len(own) <= 2 and own[0][0] == 0):
                break
            if match(own[0][1])[0] in ("project_name",):
                break
            values = {f: g.value(r, c) for f, c in cols.items()}
            for lv in ("level1", "level2"):
                if cells.is_blank(values.get(lv)):
                    values[lv] = carry[lv]
                else:
                    carry[lv] = values[lv]
                    if lv == "level1":
                        carry["level2"] = None if cells.is_blank(values.get("level2")) else values["level2"]
            content = {f: v for f, v in values.items() if f not in ("level1", "level2") and not cells.is_blank(v)}
            # a cell merged down from the row above is not this row's content
            content = {f: v for f, v in content.items() if not g.continuation(r, cols[f]) or f == "level3"}
            if "level3" not in content:
                if content:
                    self.add("indicator-name-missing", WARNING, r + 1, headers.get("level3", "三级指标"),
                             "；".join(str(v) for v in content.values())[:80])
                else:
                    self.add("monitor-empty-row", INFO, r + 1)
                continue
            for f in ("target", "actual", "forecast"):
                if f in cols and self.formula(r, cols[f], headers[f]):
                    values[f] = None
            ind = self.indicator(values, r, headers)
            ind.update({"ref": ref, "position": position})
            position += 1
            self.batch.monitor_indicators.append(ind)


# ---------------------------------------------------------------- flat sheets
class _FlatReader(_Values):
    def __init__(self, sheet: Sheet, batch: MonitorBatch, department: str | None):
        super().__init__(sheet, batch)
        self.department = department

    def _month(self, r: int, mapping: dict):
        if "period_month" in mapping:
            c, _, _, header = mapping["period_month"]
            v = self.sheet.cell(r, c)
            if cells.is_blank(v):
                return None, header
            k = cells.norm(v)
            m = PERIOD.search(k) or re.fullmatch(r"(\d{1,2})(?:\.0)?月?(?:底|末)?", k)
            month = int(m.group(1)) if m else None
            if month is None or not 1 <= month <= 12:
                self.add("monitor-bad-month", ERROR, r + 1, header, v)
                return None, header
            return month, header
        months = {m[2] for m in mapping.values() if m[2]}
        return (months.pop() if len(months) == 1 else None), "监控月份"

    def projects(self, hr: int, mapping: dict) -> None:
        sheet = self.sheet
        columns = {f: h for f, (_, _, _, h) in mapping.items()}
        for r in range(hr + 1, len(sheet.rows)):
            row = sheet.rows[r]
            if all(cells.is_blank(v) for v in row):
                continue

            def get(f):
                return sheet.cell(r, mapping[f][0]) if f in mapping else None
            name = cells.text(get("project_name"))
            if not name:
                self.add("empty-required", ERROR, r + 1, columns.get("project_name", "项目名称"))
                continue
            year, problem = cells.year(get("year"))
            if problem or year is None:
                self.add(problem or "empty-required", ERROR, r + 1, columns.get("year", "年度"), get("year"))
                continue
            month, month_header = self._month(r, mapping)
            if month is None:
                if "period_month" in mapping and cells.is_blank(get("period_month")):
                    self.add("empty-required", ERROR, r + 1, month_header)
                elif "period_month" not in mapping:
                    self.add("monitor-no-period", ERROR, r + 1)
                continue
            dept = self.department or department_name(get("department"))
            if not dept:
                self.add("no-department", ERROR, r + 1, columns.get("department", "主管部门"))
                continue
            item = {"year": year, "period_month": month, "department": dept, "name": name,
                    "unit": cells.text(get("unit")), "project_code": cells.text(get("project_code")),
                    "goal": cells.text(get("goal")), "source_file": self.batch.file_name,
                    "source_sheet": sheet.name, "source_row": r + 1}
            ok = True
            for f in MONEY_FIELDS:
                if f in mapping:
                    item[f], good = self.money(get(f), mapping[f][1], r, mapping[f][0], columns[f])
                    ok &= good
                else:
                    item[f] = None
            item["reported_rate"] = self.rate(get("reported_rate"), r, mapping["reported_rate"][0],
                                              columns["reported_rate"]) if "reported_rate" in mapping else None
            if item["budget"] is None:
                item["budget"] = item["initial_budget"]
                columns.setdefault("budget", columns.get("initial_budget", "年初预算数"))
            if not ok or not self.check_item(item, r, columns):
                continue
            self.batch.items.append({c: item.get(c) for c in ITEM_COLUMNS})

    def indicators(self, hr: int, mapping: dict) -> None:
        sheet = self.sheet
        headers = {f: h for f, (_, _, _, h) in mapping.items()}
        by_code, by_name = {}, {}
        for i, p in enumerate(self.batch.items):
            if p["project_code"]:
                by_code.setdefault((p["year"], p["period_month"], p["project_code"]), i)
            by_name.setdefault((p["year"], p["period_month"], cells.norm(p["name"])), i)
        positions: dict[int, int] = {}
        for r in range(hr + 1, len(sheet.rows)):
            row = sheet.rows[r]
            if all(cells.is_blank(v) for v in row):
                continue
            values = {f: sheet.cell(r, c) for f, (c, _, _, _) in mapping.items()}
            year, _ = cells.year(values.get("year"))
            month, _ = self._month(r, mapping)
            code, name = cells.text(values.get("project_code")), cells.text(values.get("project_name"))
            periods = sorted({(p["year"], p["period_month"]) for p in self.batch.items
                              if (year is None or p["year"] == year) and (month is None or p["period_month"] == month)})
            ref = None
            if len(periods) == 1:           # the row's period, or the only one the projects have
                y, m = periods[0]
                ref = by_code.get((y, m, code)) if code else None
                if ref is None and name:
                    ref = by_name.get((y, m, cells.norm(name)))
            if ref is None:
                self.add("orphan-indicator", ERROR, r + 1, headers.get("project_name", "项目名称"),
                         code or name or "（无项目名称）")
                continue
            if cells.is_blank(values.get("level3")):
                self.add("empty-required", ERROR, r + 1, headers.get("level3", "三级指标"))
                continue
            ind = self.indicator(values, r, headers)
            ind.update({"ref": ref, "position": positions.get(ref, 0)})
            positions[ref] = positions.get(ref, 0) + 1
            self.batch.monitor_indicators.append(ind)


# ---------------------------------------------------------------- the flat template's columns (template.py, README)
TEMPLATE_PROJECT_HEADERS = ["年度", "监控月份", "主管部门", "实施单位", "项目编码", "项目名称", "年初预算数（万元）",
                            "调整后预算数（万元）", "执行数（万元）", "执行率", "全年预计执行数（万元）", "年度总体目标"]
TEMPLATE_INDICATOR_HEADERS = ["年度", "监控月份", "项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值",
                              "执行情况", "全年预计完成情况", "经费保障", "制度保障", "人员保障", "硬件条件保障", "其他",
                              "完成目标可能性", "备注"]
TEMPLATE_INSTRUCTIONS = [
    "PerfBoard 运行监控导入模板（由程序生成，与导入程序读取的列名一致）",
    "1. “执行监控”工作表每行一个项目的一期监控数据；必填：年度、监控月份（截至第几月，如 7 表示 1—7月）、主管部门、"
    "项目名称、年初预算数（或调整后预算数）、执行数（1 月至监控月份的累计执行数）。",
    "2. 金额单位为万元；表头写“（元）”时按元换算。执行率可写 0.3、30% 或 30，程序按 执行数÷预算数 复核。",
    "3. “监控指标”工作表每行一个三级指标，用“项目名称”（或“项目编码”）及年度、监控月份关联到项目。",
    "4. 执行情况 = 1 月至监控月份的完成值（如“5个”“100%”，定性指标写 达到 / 部分达到 / 未达到）；"
    "全年预计完成情况 = 预计全年完成值。",
    "5. 偏差原因：经费保障、制度保障、人员保障、硬件条件保障四栏勾选（√、✓、是 或 1），其他原因写在“其他”栏；"
    "完成目标可能性填 确定能 / 有可能 / 完全不可能。",
    "6. 同一年度、同一监控月份、同一主管部门再次导入时，需确认“替换已有数据”（命令行 --replace）；其他月份的数据保留。",
    "7. 也可直接上传各单位填报的《项目支出绩效目标执行监控表》（每个工作表一张或多张），程序按标题和栏目自动识别。",
]
