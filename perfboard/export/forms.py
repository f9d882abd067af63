"""The 项目支出绩效自评表 as .xlsx, one sheet per project: the national layout and the Sichuan variant.

Real layout (merged cells, borders, wrapped text, print area, A4), filled from the store. Two fillings:
- "computed" (default): 分值/得分 from perfboard.scoring (stored weights, or the default weights: then the
  分值/得分/总分 headers say 估算, and the importer reads such columns back as estimates, i.e. leaves them out);
  the 执行率 is the reported one where the data has it (recomputed only where none was reported);
- "stored": exactly what the database holds (reported rate, reported scores), so that a form re-imports
  to the data it came from (tests/test_export_forms.py proves the round trip).
The label texts are the ones perfboard.forms (the importer) looks for. A 评价结论 column right of the printed
form (outside the print area) carries the stored judgements (达成/部分达成/未达成/不适用) so they survive a
re-import; it is written only when some indicator has one.
"""
from __future__ import annotations

import io
import math
from copy import copy
from dataclasses import dataclass, field

import pandas as pd

from ..db import Store
from .. import auth
from ..filters import Filters
from ..indicators import indicator_rows
from ..summary import projects
from ..targets import QUALITATIVE
from ..text import clean
from .tables import _display_width

TITLE = "项目支出绩效自评表"
FUND_ROWS = [("total", "年度资金总额"), ("current", "其中：本年财政拨款"), ("carryover", "上年结转资金"),
             ("other", "其他资金")]
MONEY_FORMAT = "#,##0.00##"     # two decimals, more only when the amount has them (3.537 万元 stays 3.537)
RATE_FORMAT = "0.00%"
SCORE_FORMAT = "0.00"
ESTIMATE_NOTE = ("注：原始数据未填写分值，本表标“估算”的分值按默认权重估算，得分按评分规则计算，仅供参考；"
                 "执行率为填报值（未填报时按全年执行数÷全年预算数计算）。")
COMPUTED_NOTE = "注：得分按评分规则计算；执行率为填报值（未填报时按全年执行数÷全年预算数计算）。"
ESTIMATE = "（估算）"            # appended to the 分值/得分/总分 labels of an estimated form (the importer looks for 估算)
JUDGEMENT_LABEL = "评价结论"
JUDGEMENT_WIDTH = 10
NO_SCORING_NOTE = "注：评分模块不可用，得分栏留空。"
FILLS = ("computed", "stored")
# Sheets per workbook: the largest department of a 200,000-project province (3,451) fits; a whole province
# (200,000 sheets) is refused with a message instead of hours of work and gigabytes of memory.
MAX_SHEETS = 5000


# ---------------------------------------------------------------- data
@dataclass
class FormIndicator:
    level1: str | None
    level2: str | None
    level3: str | None
    target_text: str | None
    actual_text: str | None
    direction: str | None
    target_value: float | None
    target_unit: str | None
    weight: float | None
    score: float | None
    deviation_note: str | None
    judgement: str | None = None


@dataclass
class FormProject:
    year: int
    department: str
    unit: str | None
    name: str
    funds: dict                      # kind -> (initial_budget, budget, spent); "total" always present
    rate: float | None
    execution_weight: float | None
    execution_score: float | None
    total_weight: float | None
    total_score: float | None
    goal: str | None
    achievement: str | None
    deviation_reason: str | None
    indicators: list[FormIndicator] = field(default_factory=list)
    note: str | None = None
    estimated: bool = False          # 分值/得分 are estimates (default weights): the labels say 估算
    fictional: bool = False          # an invented sample year: the title and the note say 示例（虚构）

    def label(self, text: str) -> str:
        return text + ESTIMATE if self.estimated else text

    @property
    def has_judgements(self) -> bool:
        return any(i.judgement for i in self.indicators)


def _v(x):
    """None for NaN/NA/empty text, else the value (floats as float)."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, str) and not x.strip():
        return None
    try:
        if pd.isna(x):
            return None
    except (TypeError, ValueError):
        pass
    return x


def _f(x) -> float | None:
    x = _v(x)
    return None if x is None else float(x)


def _scores(store: Store, filters: Filters, project_ids):
    """{project id: scoring.FormScore} of `project_ids` (vectorised scoring), or None when scoring is not
    available."""
    try:
        from ..scoring import form_scores
    except ImportError:
        return None
    return form_scores(store, filters, project_ids)


def form_projects(store: Store, filters: Filters = Filters(), project_ids: list[int] | None = None,
                  fill: str = "computed", user=None) -> list[FormProject]:
    """What the forms show for the filtered projects (or only `project_ids` among them), in list order.
    Only the departments `user` may export (auth.scoped: None is the local administrator of single-user mode)."""
    if fill not in FILLS:
        raise ValueError(f"fill must be one of {FILLS}")
    filters = auth.scoped(store, filters, user, "export")
    pdf = projects(store, filters)
    if project_ids is not None:
        wanted = {int(i) for i in project_ids}
        pdf = pdf[pdf["id"].isin(wanted)]
    if not len(pdf):
        return []
    ind = indicator_rows(store, filters, project_df=pdf)
    funds = store.df("project_funds", tables={"project_ids": pdf[["id"]]})
    extra = store.sql_df("SELECT id, execution_weight, execution_reported_score, reported_total_score FROM projects "
                         "WHERE list_contains(?, id)", [[int(i) for i in pdf["id"]]]).set_index("id")
    scored = _scores(store, filters, pdf["id"]) if fill == "computed" else None
    from ..sample import FICTIONAL_LABEL, fictional_years
    invented = set(fictional_years(store))
    # each project's fund and indicator rows, split once (not a scan of every row per project), as records:
    # a DataFrame per project and its to_dict, or a .loc per project, cost more than the forms' cells
    funds_of = {int(k): g.to_dict("records") for k, g in funds.groupby("project_id", sort=False)} if len(funds) else {}
    ind_of: dict[int, list[dict]] = {}
    if len(ind):
        for r in ind.sort_values(["project_id", "position"], kind="stable").to_dict("records"):
            ind_of.setdefault(int(r["project_id"]), []).append(r)
    extra_of = extra.to_dict("index")
    out = []
    for p in pdf.to_dict("records"):
        pid = int(p["id"])
        x = extra_of.get(pid, {})
        fund_map = {"total": (_f(p["initial_budget"]), _f(p["budget"]), _f(p["spent"]))}
        for f in funds_of.get(pid, ()):
            fund_map[f["kind"]] = (_f(f["initial_budget"]), _f(f["budget"]), _f(f["spent"]))
        s = scored.get(pid) if scored else None
        score_by_id = s.indicators if s is not None else {}
        indicators = []
        for r in ind_of.get(pid, ()):
            if fill == "computed" and s is not None:
                # unrounded, so the 分值 add up to the 总分 exactly; the cells show two decimals
                weight, score = score_by_id.get(int(r["id"]), (_f(r["weight"]), None))
                weight, score = _f(weight), _f(score)
            else:
                weight, score = _f(r["weight"]), (_f(r["reported_score"]) if fill == "stored" else None)
            indicators.append(FormIndicator(
                level1=_v(r["level1"]), level2=_v(r["level2"]), level3=_v(r["level3"]),
                target_text=_v(r["target_text"]), actual_text=_v(r["actual_text"]), direction=_v(r["direction"]),
                target_value=_f(r["target_value"]), target_unit=_v(r["target_unit"]),
                weight=weight, score=score, deviation_note=_v(r["deviation_note"]), judgement=_v(r["judgement"])))
        estimated = False
        if fill == "stored":
            rate = _f(p["reported_rate"])
            exec_weight, exec_score = _f(x.get("execution_weight")), _f(x.get("execution_reported_score"))
            total_score = _f(x.get("reported_total_score"))
            weights = [i.weight for i in indicators if i.weight is not None]
            total_weight = (exec_weight or 0) + sum(weights) if (weights or exec_weight is not None) else None
            note = None
        else:
            # the rate as reported stays as reported (招商引资 70.4%, not the recomputed 70.74%)
            rate = _f(p["reported_rate"]) if _f(p["reported_rate"]) is not None else _f(p["execution_rate"])
            if s is not None:
                exec_weight, exec_score = s.execution_weight, s.execution_score
                total_weight, total_score = s.execution_weight + s.indicator_weight, s.total
                note = ESTIMATE_NOTE if s.estimated else COMPUTED_NOTE
                estimated = bool(s.estimated)
            else:
                exec_weight, exec_score = _f(x.get("execution_weight")), None
                weights = [i.weight for i in indicators if i.weight is not None]
                total_weight = (exec_weight or 0) + sum(weights) if weights else None
                total_score, note = None, NO_SCORING_NOTE
        out.append(FormProject(
            year=int(p["year"]), department=p["department"], unit=_v(p["unit"]), name=p["name"], funds=fund_map,
            rate=rate, execution_weight=exec_weight, execution_score=exec_score, total_weight=total_weight,
            total_score=total_score, goal=_v(p["goal"]), achievement=_v(p["achievement"]),
            deviation_reason=_v(p["deviation_reason"]), indicators=indicators, estimated=estimated,
            fictional=int(p["year"]) in invented,
            note=(f"注：{FICTIONAL_LABEL}——本表是随附的虚构示例数据，不是真实数据。" + (note[2:] if note else ""))
            if int(p["year"]) in invented else note))
    return out


# ---------------------------------------------------------------- writing
_FORMAT_KIND = {None: None, MONEY_FORMAT: "money", RATE_FORMAT: "rate", SCORE_FORMAT: "score"}


def _known_styles(wb) -> dict:
    """Per workbook: named style -> the style array a cell gets when the style is assigned to it."""
    known = getattr(wb, "_pb_form_styles", None)
    if known is None:
        known = wb._pb_form_styles = {}
    return known


class _Sheet:
    """openpyxl helpers: write (text always as a string, never a formula), merge, style a form range.

    Cells get named styles (registered once per workbook): assigning Font/Alignment/Border objects cell
    by cell costs openpyxl a style lookup each time and made twelve forms take over a second.
    """

    FORMATS = {None: "General", "money": MONEY_FORMAT, "rate": RATE_FORMAT, "score": SCORE_FORMAT}

    def __init__(self, ws, widths: list[float]):
        self.ws, self.widths, self.ncols = ws, widths, len(widths)
        self.heights: dict[int, float] = {}
        wb = ws.parent
        self.known = _known_styles(wb)
        self.names = getattr(wb, "_pb_form_style_names", None)
        if self.names is None:
            self.names = wb._pb_form_style_names = {}
        self.merges: list[tuple[int, int, int, int]] = []     # the ranges merged so far, (r1, c1, r2, c2)

    def _style(self, bold: bool, align: str, fmt: str | None, fill: bool, border: bool = True) -> str:
        names = self.names
        key = (bold, align, fmt, fill, border)
        name = names.get(key)
        if name is None:            # the name of these options, registered once per workbook
            name = names[key] = self._named_style(bold, align, fmt, fill, border)
        return name

    def _named_style(self, bold: bool, align: str, fmt: str | None, fill: bool, border: bool = True) -> str:
        from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
        kind = _FORMAT_KIND.get(fmt, fmt)
        name = f"pb_form_{int(bold)}{align}_{kind}_{int(fill)}{int(border)}"
        wb = self.ws.parent
        known = _known_styles(wb)
        if name not in known and name not in wb.named_styles:
            side = Side(style="thin", color="000000")
            st = NamedStyle(name=name, number_format=self.FORMATS.get(kind, "General"),
                            font=Font(name="宋体", size=10, bold=bold),
                            alignment=Alignment(horizontal=align, vertical="center", wrap_text=True))
            if border:
                st.border = Border(left=side, right=side, top=side, bottom=side)
            if fill:
                st.fill = PatternFill("solid", fgColor="F2F2F2")
            wb.add_named_style(st)
        return name

    def _apply(self, cell, name: str) -> None:
        """cell.style = name, without openpyxl's lookup of the name in the list of named styles each time
        (2.5 million list builds for a department's 3,300 forms): the style array the assignment makes
        once per workbook is copied, which is exactly what the assignment stores."""
        known = self.known
        arr = known.get(name)
        if arr is None:
            cell.style = name
            known[name] = copy(cell._style)
        else:
            cell._style = copy(arr)

    def put(self, row: int, col: int, value, *, fmt: str | None = None, bold=False, align="center", fill=False,
            border=True):
        cell = self.ws.cell(row=row, column=col)
        if value is not None:
            if isinstance(value, str):
                value = clean(value)          # openpyxl refuses control characters (IllegalCharacterError)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"          # a name like "=HYPERLINK(...)" stays text
        self._apply(cell, self._style(bold, align, None if isinstance(value, str) else fmt, fill, border))
        return cell

    def merged(self, r1: int, c1: int, r2: int, c2: int, value, **kw):
        """The range merged, every cell of it given the style (so the range's edges have their borders).

        Not ws.merge_cells: that builds the range's border by adding Border objects cell by cell (three
        quarters of a department's forms export); the covered cells are made here as openpyxl makes them
        (MergedCell) with the top-left cell's style, which is what it writes and reads back."""
        from openpyxl.cell.cell import MergedCell
        from openpyxl.worksheet.cell_range import CellRange
        cell = self.put(r1, c1, value, **kw)
        if (r1, c1) != (r2, c2):
            ws = self.ws
            # ws.merged_cells.add(range) without its check of every range so far (CellRange.issubset, ~3 million
            # calls for a department's forms); the same check on plain tuples: a range inside one already
            # merged is not added again
            if not any(a <= r1 and b <= c1 and r2 <= c and c2 <= d for a, b, c, d in self.merges):
                ws.merged_cells.ranges.add(CellRange(min_col=c1, min_row=r1, max_col=c2, max_row=r2))
                self.merges.append((r1, c1, r2, c2))
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        m = MergedCell(ws, row=r, column=c)
                        m._style = copy(cell._style)
                        ws._cells[r, c] = m
        return cell

    def need_height(self, row: int, text, width_chars: float, rows_spanned: int = 1) -> None:
        """Remember the height a wrapped text needs (Excel does not grow rows for merged cells)."""
        if not text:
            return
        lines = sum(max(1, math.ceil(_display_width(part) / max(width_chars - 1, 1)))
                    for part in str(text).split("\n"))
        per_row = lines * 13.5 / rows_spanned + 4
        self.heights[row] = max(self.heights.get(row, 18.0), per_row)

    def finish(self, last_row: int, landscape: bool = False) -> None:
        from openpyxl.utils import get_column_letter
        ws = self.ws
        for i, w in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        for r in range(3, last_row + 1):
            ws.row_dimensions[r].height = max(self.heights.get(r, 20.0), 20.0)
        ws.print_area = f"A1:{get_column_letter(self.ncols)}{last_row + 1}"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.sheet_view.showGridLines = False


def _title(sh: _Sheet, p: FormProject) -> None:
    from openpyxl.styles import Font
    c = sh.merged(1, 1, 1, sh.ncols, TITLE + ("（示例（虚构）数据）" if p.fictional else ""), border=False)
    c.font = Font(name="黑体", size=16, bold=True)
    sh.ws.row_dimensions[1].height = 30
    sh.merged(2, 1, 2, sh.ncols, f"（{p.year}年度）", border=False)
    sh.ws.row_dimensions[2].height = 20


def _parties(sh: _Sheet, p: FormProject, department_label: str) -> None:
    """项目名称 over two columns, then 主管部门 / 实施单位, as on the printed national form."""
    n = sh.ncols
    sh.merged(3, 1, 3, 2, "项目名称", bold=True)
    sh.merged(3, 3, 3, n, p.name, align="left")
    sh.merged(4, 1, 4, 2, department_label, bold=True)
    sh.merged(4, 3, 4, 6, p.department, align="left")
    sh.put(4, 7, "实施单位", bold=True)
    sh.merged(4, 8, 4, n, p.unit, align="left")
    sh.need_height(3, p.name, sum(sh.widths[2:]))


def _runs(values: list) -> list[tuple[int, int]]:
    """(start, end) index ranges of equal consecutive values (None never merges with a neighbour)."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start] or values[i] is None:
            runs.append((start, i - 1))
            start = i
    return runs


class NationalForm:
    """财政部 national layout, 10 columns A–J."""
    name = "national"
    label = "全国通用格式"
    ncols = 10
    widths = [11, 12, 14, 26, 14, 14, 8, 8, 14, 14]

    def write(self, ws, p: FormProject) -> None:
        sh = _Sheet(ws, self.widths)
        _title(sh, p)
        _parties(sh, p, "主管部门")
        # money block
        sh.merged(5, 1, 9, 1, "项目资金（万元）", bold=True)
        sh.merged(5, 2, 5, 3, None)
        for col, label in zip(range(4, 9), ["年初预算数", "全年预算数", "全年执行数", p.label("分值"), "执行率"]):
            sh.put(5, col, label, bold=True)
        sh.merged(5, 9, 5, 10, p.label("得分"), bold=True)
        for i, (kind, label) in enumerate(FUND_ROWS):
            r = 6 + i
            sh.merged(r, 2, r, 3, label, align="left" if i else "center")
            money = p.funds.get(kind)
            for col, v in zip((4, 5, 6), money or (None, None, None)):
                sh.put(r, col, v, fmt="money")
            if kind == "total":
                sh.put(r, 7, p.execution_weight, fmt="score")
                sh.put(r, 8, p.rate, fmt="rate")
                sh.merged(r, 9, r, 10, p.execution_score, fmt="score")
            else:
                for col in (7, 8):
                    sh.put(r, col, "—", fill=True)
                sh.merged(r, 9, r, 10, "—", fill=True)
        # goal block
        sh.merged(10, 1, 11, 1, "年度总体目标", bold=True)
        sh.merged(10, 2, 10, 6, "预期目标", bold=True)
        sh.merged(10, 7, 10, 10, "实际完成情况", bold=True)
        sh.merged(11, 2, 11, 6, p.goal, align="left")
        sh.merged(11, 7, 11, 10, p.achievement, align="left")
        sh.need_height(11, p.goal, sum(self.widths[1:6]))
        sh.need_height(11, p.achievement, sum(self.widths[6:10]))
        # indicator block
        head = 12
        for col, label in zip(range(2, 9), ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                                            p.label("分值"), p.label("得分")]):
            sh.put(head, col, label, bold=True)
        sh.merged(head, 9, head, 10, "偏差原因分析及改进措施", bold=True)
        _judgements(sh, p, head, self.ncols + 1)
        rows = p.indicators or [FormIndicator(*([None] * 11))]
        first = head + 1
        for k, ind in enumerate(rows):
            r = first + k
            sh.put(r, 4, ind.level3, align="left")
            sh.put(r, 5, ind.target_text)
            sh.put(r, 6, ind.actual_text)
            sh.put(r, 7, ind.weight, fmt="score")
            sh.put(r, 8, ind.score, fmt="score")
            sh.merged(r, 9, r, 10, ind.deviation_note, align="left")
            sh.need_height(r, ind.level3, self.widths[3])
            sh.need_height(r, ind.target_text, self.widths[4])
            sh.need_height(r, ind.actual_text, self.widths[5])
            sh.need_height(r, ind.deviation_note, self.widths[8] + self.widths[9])
        _merge_levels(sh, rows, first, col1=2, col2=3)
        last_ind = first + len(rows) - 1
        sh.merged(head, 1, last_ind, 1, "绩效指标", bold=True)
        total = last_ind + 1
        sh.merged(total, 1, total, 6, p.label("总分"), bold=True)
        sh.put(total, 7, p.total_weight, fmt="score", bold=True)
        sh.put(total, 8, p.total_score, fmt="score", bold=True)
        sh.merged(total, 9, total, 10, None)
        sh.finish(total)
        _note(sh, total + 1, p.note)


class SichuanForm:
    """四川省 variant, 12 columns A–L: 调整后预算数 / 权重 / 原因, targets split into 指标性质 | 指标值 | 度量单位."""
    name = "sichuan"
    label = "四川省格式"
    ncols = 12
    widths = [10, 10, 12, 24, 8, 10, 8, 14, 8, 8, 10, 12]

    def write(self, ws, p: FormProject) -> None:
        sh = _Sheet(ws, self.widths)
        _title(sh, p)
        _parties(sh, p, "主管部门及代码")
        sh.merged(5, 1, 9, 1, "项目资金（万元）", bold=True)
        sh.merged(5, 2, 5, 3, None)
        for col, label in zip(range(4, 10), ["年初预算", "调整后预算数", "预算执行数", "预算执行率", p.label("权重"),
                                             p.label("得分")]):
            sh.put(5, col, label, bold=True)
        sh.merged(5, 10, 5, 12, "原因", bold=True)
        labels = {"total": "年度资金总额", "current": "其中：财政拨款", "carryover": "上年结转", "other": "其他资金"}
        for i, (kind, _) in enumerate(FUND_ROWS):
            r = 6 + i
            sh.merged(r, 2, r, 3, labels[kind], align="left" if i else "center")
            for col, v in zip((4, 5, 6), p.funds.get(kind) or (None, None, None)):
                sh.put(r, col, v, fmt="money")
            if kind == "total":
                sh.put(r, 7, p.rate, fmt="rate")
                sh.put(r, 8, p.execution_weight, fmt="score")
                sh.put(r, 9, p.execution_score, fmt="score")
                sh.merged(r, 10, r + 3, 12, p.deviation_reason, align="left")
                sh.need_height(r, p.deviation_reason, sum(self.widths[9:12]), rows_spanned=4)
            else:
                for col in (7, 8, 9):
                    sh.put(r, col, "—", fill=True)
        sh.merged(10, 1, 11, 1, "年度总体目标", bold=True)
        sh.merged(10, 2, 10, 6, "预期目标", bold=True)
        sh.merged(10, 7, 10, 12, "实际完成目标", bold=True)
        sh.merged(11, 2, 11, 6, p.goal, align="left")
        sh.merged(11, 7, 11, 12, p.achievement, align="left")
        sh.need_height(11, p.goal, sum(self.widths[1:6]))
        sh.need_height(11, p.achievement, sum(self.widths[6:12]))
        head = 12
        for col, label in zip(range(2, 11), ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位",
                                             "完成值", p.label("权重"), p.label("得分")]):
            sh.put(head, col, label, bold=True)
        sh.merged(head, 11, head, 12, "未完成原因分析", bold=True)
        _judgements(sh, p, head, self.ncols + 1)
        rows = p.indicators or [FormIndicator(*([None] * 11))]
        first = head + 1
        for k, ind in enumerate(rows):
            r = first + k
            nature, value, unit = sichuan_target(ind)
            sh.put(r, 4, ind.level3, align="left")
            sh.put(r, 5, nature)
            sh.put(r, 6, value)
            sh.put(r, 7, unit)
            sh.put(r, 8, ind.actual_text)
            sh.put(r, 9, ind.weight, fmt="score")
            sh.put(r, 10, ind.score, fmt="score")
            sh.merged(r, 11, r, 12, ind.deviation_note, align="left")
            for col, text in ((4, ind.level3), (6, value), (8, ind.actual_text)):
                sh.need_height(r, text, self.widths[col - 1])
            sh.need_height(r, ind.deviation_note, self.widths[10] + self.widths[11])
        _merge_levels(sh, rows, first, col1=2, col2=3)
        last_ind = first + len(rows) - 1
        sh.merged(head, 1, last_ind, 1, "绩效指标", bold=True)
        total = last_ind + 1
        sh.merged(total, 1, total, 8, p.label("总分"), bold=True)
        sh.put(total, 9, p.total_weight, fmt="score", bold=True)
        sh.put(total, 10, p.total_score, fmt="score", bold=True)
        sh.merged(total, 11, total, 12, None)
        sh.finish(total)
        _note(sh, total + 1, p.note)


def sichuan_target(ind: FormIndicator) -> tuple[str | None, object, str | None]:
    """(指标性质, 指标值, 度量单位) of a target: the parsed operator, number and unit, or 定性 with the text."""
    if ind.target_value is not None and ind.direction != QUALITATIVE:
        # the number as text: a bare number next to a percentage would be read back as a fraction
        return ind.direction, _number_text(ind.target_value), ind.target_unit
    if ind.target_text:
        return QUALITATIVE, ind.target_text, None
    return None, None, None


def _number_text(v: float) -> str:
    from ..targets import format_target
    return format_target(None, v, "")


def _merge_levels(sh: _Sheet, rows: list[FormIndicator], first: int, col1: int, col2: int) -> None:
    """一级 merged over its consecutive rows; 二级 merged within each 一级 run."""
    l1 = [r.level1 for r in rows]
    for a, b in _runs(l1):
        sh.merged(first + a, col1, first + b, col1, l1[a])
        l2 = [r.level2 for r in rows[a:b + 1]]
        for c, d in _runs(l2):
            sh.merged(first + a + c, col2, first + a + d, col2, l2[c])


def _judgements(sh: _Sheet, p: FormProject, head: int, col: int) -> None:
    """The stored 评价结论 in a column right of the form (outside its print area), so they survive a re-import."""
    if not p.has_judgements:
        return
    from openpyxl.utils import get_column_letter
    sh.put(head, col, JUDGEMENT_LABEL, bold=True)
    for k, ind in enumerate(p.indicators):
        sh.put(head + 1 + k, col, ind.judgement)
    sh.ws.column_dimensions[get_column_letter(col)].width = JUDGEMENT_WIDTH


def _note(sh: _Sheet, row: int, note: str | None) -> None:
    if not note:
        return
    from openpyxl.styles import Font
    c = sh.merged(row, 1, row, sh.ncols, note, align="left", border=False)
    c.font = Font(name="宋体", size=9, color="595959")
    sh.ws.row_dimensions[row].height = 18


VARIANTS = {"national": NationalForm(), "sichuan": SichuanForm()}


def sheet_names(names: list[str]) -> list[str]:
    """Excel sheet names for the projects: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    out, seen = [], set()
    for raw in names:
        base = "".join("_" if ch in '[]:*?/\\' else ch for ch in clean(str(raw)).replace("\n", " ")).strip().strip("'") or "项目"
        name, n = base[:31], 1
        while name.casefold() in seen:
            n += 1
            suffix = f"({n})"
            name = base[:31 - len(suffix)] + suffix
        seen.add(name.casefold())
        out.append(name)
    return out


def forms_workbook(items: list[FormProject], variant: str = "national") -> bytes:
    """One sheet per project in the chosen layout; raises ValueError when there is nothing to write."""
    from openpyxl import Workbook
    if variant not in VARIANTS:
        raise ValueError(f"unknown form variant {variant!r}; expected one of {sorted(VARIANTS)}")
    if not items:
        raise ValueError("当前筛选条件下没有项目，无法生成自评表。")
    layout = VARIANTS[variant]
    wb = Workbook()
    wb.remove(wb.active)
    sheets = []
    for name, p in zip(sheet_names([p.name for p in items]), items):
        # openpyxl checks a new sheet's title against every title so far (quadratic: 3,300 sheets cost
        # ~10 s); sheet_names has already made them unique, so each sheet is created alone, then all kept
        wb._sheets = []
        ws = wb.create_sheet(name)
        sheets.append(ws)
        layout.write(ws, p)
    wb._sheets = sheets
    wb.properties.title = TITLE
    wb.properties.creator = "PerfBoard"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def forms_xlsx(store: Store, filters: Filters = Filters(), variant: str = "national",
               project_ids: list[int] | None = None, fill: str = "computed", user=None) -> bytes:
    """The self-evaluation forms of the filtered projects (or `project_ids` among them) as .xlsx bytes,
    within the departments `user` may export. Refused (ValueError, in Chinese) above MAX_SHEETS projects."""
    too_many(store, filters, project_ids, user)
    return forms_workbook(form_projects(store, filters, project_ids, fill, user), variant)


def too_many(store: Store, filters: Filters = Filters(), project_ids: list[int] | None = None, user=None) -> None:
    """Raise the Chinese refusal when the forms would take more than MAX_SHEETS sheets (counted in SQL)."""
    if project_ids is not None and len(set(project_ids)) <= MAX_SHEETS:
        return
    from .. import scope
    ids = scope.run(store, "report_projects", auth.scoped(store, filters, user, "export"))["id"]
    n = int(ids.isin({int(i) for i in project_ids}).sum()) if project_ids is not None else len(ids)
    if n > MAX_SHEETS:
        raise ValueError(f"自评表每个项目一个工作表，一个文件最多 {MAX_SHEETS} 个项目，当前筛选出 {n:,} 个。"
                         "请按主管部门分别导出（页面左侧筛选，或命令行 --department；可加 --year），"
                         "或用 --project-id 指定项目。")
