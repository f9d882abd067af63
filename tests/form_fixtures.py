"""Fixture workbooks in the layouts of the real 项目支出绩效自评表 (national, "(A)/(B)", transfer payment,
Sichuan), written with openpyxl the way real forms are: merged cells, borders, wrapped text.

`Form` holds what a form shows, cell values as a person typed them (text, numbers, dates, formulas);
`write_form` lays it out on a worksheet and returns where each part landed (Excel row numbers), so
tests can assert locations without counting rows by hand. The national label texts are exactly the
ones of the national form, so a later exporter can compare its output with these fixtures and a
round trip through the parser (see `form_from_batch`).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

# ---------------------------------------------------------------- layouts
# Each layout: the labels as printed and how many columns every cell spans. Column A (one column)
# always holds the block labels (项目资金 / 年度总体目标 / 绩效指标); the rest is the block's content.
LAYOUTS: dict[str, dict] = {
    "national": {
        "width": 10,
        "title": "项目支出绩效自评表",
        "name_label": "项目名称",
        "party_rows": [[("主管部门", 2, "label"), ("department", 4, "value"), ("实施单位", 1, "label"),
                        ("unit", 3, "value")]],
        "money_label": "项目资金（万元）",
        "money_row_span": 2,
        "money_cols": [("年初预算数", "initial", 1), ("全年预算数", "budget", 1), ("全年执行数", "spent", 1),
                       ("分值", "weight", 1), ("执行率", "rate", 1), ("得分", "score", 2)],
        "money_rows": [("年度资金总额", "total"), ("其中：本年财政拨款", "current"), ("上年结转资金", "carryover"),
                       ("其他资金", "other")],
        "dash_sub_rows": ("weight", "rate", "score"),
        "goal_label": "年度总体目标",
        "goal_headers": (("预期目标", 5), ("实际完成情况", 4)),
        "ind_label": "绩效指标",
        "ind_cols": [("一级指标", "level1", 1), ("二级指标", "level2", 1), ("三级指标", "level3", 1),
                     ("年度指标值", "target", 1), ("实际完成值", "actual", 1), ("分值", "weight", 1),
                     ("得分", "score", 1), ("偏差原因分析及改进措施", "note", 2)],
        "total_label": "总分",
    },
    "ab": {
        "width": 10,
        "title": "项目支出绩效自评表",
        "name_label": "项目名称",
        "party_rows": [[("主管部门", 2, "label"), ("department", 4, "value"), ("实施单位", 1, "label"),
                        ("unit", 3, "value")]],
        "money_label": "项目资金（万元）",
        "money_row_span": 2,
        "money_cols": [("年初预算数", "initial", 1), ("全年预算数（A）", "budget", 1), ("全年执行数（B）", "spent", 1),
                       ("分值", "weight", 1), ("执行率（B/A）", "rate", 1), ("得分", "score", 2)],
        "money_rows": [("年度资金总额", "total"), ("其中：本年财政拨款", "current"), ("上年结转资金", "carryover"),
                       ("其他资金", "other")],
        "dash_sub_rows": ("weight", "rate", "score"),
        "goal_label": "年度总体目标",
        "goal_headers": (("预期目标", 5), ("实际完成情况", 4)),
        "ind_label": "绩效指标",
        "ind_cols": [("一级指标", "level1", 1), ("二级指标", "level2", 1), ("三级指标", "level3", 1),
                     ("年度指标值（A）", "target", 1), ("实际完成值（B）", "actual", 1), ("分值", "weight", 1),
                     ("得分", "score", 1), ("偏差原因分析及改进措施", "note", 2)],
        "total_label": "总分",
    },
    "transfer": {
        "width": 9,
        "title": "转移支付区域绩效自评表",
        "name_label": "转移支付（项目）名称",
        "party_rows": [[("中央主管部门", 2, "label"), ("central_department", 7, "value")],
                       [("地方主管部门", 2, "label"), ("department", 3, "value"), ("资金使用单位", 2, "label"),
                        ("unit", 2, "value")]],
        "money_label": "资金情况（万元）",
        "money_row_span": 2,
        "money_cols": [("全年预算数（A）", "budget", 2), ("全年执行数（B）", "spent", 2), ("执行率（B/A）", "rate", 2)],
        "money_rows": [("年度资金总额", "total"), ("其中：中央财政资金", "central"), ("地方资金", "local"),
                       ("其他资金", "other")],
        "dash_sub_rows": ("rate",),
        "goal_label": "年度总体目标",
        "goal_headers": (("年初设定目标", 4), ("全年实际完成情况", 4)),
        "ind_label": "绩效指标",
        "ind_cols": [("一级指标", "level1", 1), ("二级指标", "level2", 1), ("三级指标", "level3", 1),
                     ("指标值", "target", 1), ("全年完成值", "actual", 1), ("未完成原因和改进措施", "note", 3)],
        "total_label": None,
    },
    "sichuan": {
        "width": 12,
        "title": "项目支出绩效自评表",
        "name_label": "项目名称",
        "party_rows": [[("主管部门及代码", 2, "label"), ("department", 4, "value"), ("实施单位", 2, "label"),
                        ("unit", 3, "value")]],
        "money_label": "项目资金（万元）",
        "money_row_span": 2,
        "money_cols": [("年初预算", "initial", 1), ("调整后预算数", "budget", 1), ("预算执行数", "spent", 1),
                       ("预算执行率", "rate", 1), ("权重", "weight", 1), ("得分", "score", 1), ("原因", "reason", 3)],
        "money_rows": [("年度资金总额", "total"), ("其中：财政拨款", "current"), ("上年结转", "carryover"),
                       ("其他资金", "other")],
        "dash_sub_rows": ("weight", "rate", "score", "reason"),
        "goal_label": "年度总体目标",
        "goal_headers": (("预期目标", 5), ("实际完成目标", 6)),
        "ind_label": "绩效指标",
        "ind_cols": [("一级指标", "level1", 1), ("二级指标", "level2", 1), ("三级指标", "level3", 1),
                     ("指标性质", "direction", 1), ("指标值", "target", 1), ("度量单位", "unit", 1),
                     ("完成值", "actual", 1), ("权重", "weight", 1), ("得分", "score", 1),
                     ("未完成原因分析", "note", 2)],
        "total_label": "总分",
    },
}


class Formula(str):
    """A cell formula, written without a cached value (as openpyxl always does): `Formula("=E6+E7")`.
    Plain strings starting with "=" are written as text."""


@dataclass
class Ind:
    """One indicator row as it appears on the form (level1 as written, e.g. "产出指标（50分）")."""
    level1: Any
    level2: Any
    level3: Any = None
    target: Any = None
    actual: Any = None
    weight: Any = None
    score: Any = None
    note: Any = None
    direction: Any = None      # Sichuan 指标性质
    unit: Any = None           # Sichuan 度量单位


@dataclass
class Form:
    name: Any = "2022年市级科技计划项目"
    department: Any = "031-张掖市科学技术局"
    unit: Any = "张掖市科学技术局"
    central_department: Any = "科学技术部"             # transfer payment only
    year_text: Any = "（2022年度）"                      # the line under the title; None leaves it out
    title: str | None = None                             # None: the layout's title
    subtitle: Any = None                                 # e.g. "单位：元", written above the form
    money_label: str | None = None                       # None: the layout's, e.g. "项目资金（万元）"
    # kind -> (年初预算数, 全年预算数, 全年执行数) cells; a missing kind leaves its row blank
    money: dict = field(default_factory=lambda: {"total": (425, 425, 425), "current": (400, 400, 400),
                                                 "carryover": (25, 25, 25)})
    exec_weight: Any = 10
    rate: Any = 1.0            # written with a percent number format when it is a number
    exec_score: Any = 10
    reason: Any = None         # Sichuan 原因
    goal: Any = "完成2022年度市级科技计划项目立项实施，推动科技成果转化。"
    achievement: Any = "立项实施市级科技计划项目77项，资金全部拨付到位。"
    indicators: list = field(default_factory=lambda: list(NATIONAL_INDICATORS))
    total_weight: Any = 100
    total_score: Any = 100
    layout: str = "national"
    origin: tuple[int, int] = (1, 1)          # Excel row, column of the form's top-left cell
    noisy: bool = False                       # labels with spaces and line breaks, as typed by hand
    merge_levels: bool = True                 # False: 一级/二级 written once, the rows below left blank
    omit: frozenset = frozenset()            # labels left blank (a damaged or cut-down form)
    extra_rows_after: list = field(default_factory=list)   # rows of text written after the form


NATIONAL_INDICATORS = [
    Ind("产出指标（50分）", "数量指标", "市级科技计划项目立项数量", "≥70项", "77项", 20, 20),
    Ind("产出指标（50分）", "质量指标", "项目立项合规率", "=100%", "100%", 15, 15),
    Ind("产出指标（50分）", "时效指标", "资金拨付及时性", "及时拨付", "及时拨付", 10, 10),
    Ind("产出指标（50分）", "成本指标", "项目总成本", "≤425万元", "425万元", 5, 5),
    Ind("效益指标（30分）", "社会效益指标", "科技创新影响力", "显著提升", "效果明显", 15, 15),
    Ind("效益指标（30分）", "可持续影响指标", "科技服务能力", "持续提升", "持续提升", 15, 15),
    Ind("满意度指标（10分）", "服务对象满意度指标", "项目实施单位满意度", "≥95%", 0.96, 10, 10),
]

INSTRUCTIONS = [
    "填表说明",
    "1. 项目名称：按预算批复的项目名称填写。",
    "2. 全年预算数、全年执行数：单位为万元，保留两位小数。",
    "3. 执行率＝全年执行数÷全年预算数；三级指标按年初批复的绩效目标逐项填写。",
    "4. 偏差原因分析及改进措施：未完成目标的指标须说明原因。",
]

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center", horizontal="center")
WRAP_LEFT = Alignment(wrap_text=True, vertical="center", horizontal="left")


def noisy_label(label: str) -> str:
    """How hand-typed labels look: a space in front, a line break in the middle, a space inside."""
    if len(label) < 2:
        return " " + label
    mid = len(label) // 2
    head = label[:mid]
    if len(head) >= 2:
        head = head[0] + " " + head[1:]
    return " " + head + "\n" + label[mid:] + " "


class _Writer:
    def __init__(self, ws, form: Form):
        self.ws, self.form = ws, form
        self.lay = LAYOUTS[form.layout]
        self.r0, self.c0 = form.origin
        self.row = self.r0
        self.width = self.lay["width"]

    def label(self, text: str) -> str | None:
        if text in self.form.omit:
            return None
        return noisy_label(text) if self.form.noisy else text

    def put(self, row: int, col_off: int, value, span: int = 1, rows: int = 1, bold=False, left=False, fmt=None):
        col = self.c0 + col_off
        cell = self.ws.cell(row=row, column=col)
        if value is not None:
            cell.value = value
            if isinstance(value, str) and value.startswith("=") and not isinstance(value, Formula):
                cell.data_type = "s"      # "=100%" typed as text, not a formula
        if fmt:
            cell.number_format = fmt
        cell.font = Font(bold=bold, name="宋体", size=10)
        cell.alignment = WRAP_LEFT if left else WRAP
        for r in range(row, row + rows):
            for c in range(col, col + span):
                self.ws.cell(row=r, column=c).border = BORDER
        if span > 1 or rows > 1:
            self.ws.merge_cells(start_row=row, start_column=col, end_row=row + rows - 1, end_column=col + span - 1)
        return col


def write_form(ws, form: Form) -> dict:
    """Lay `form` out on `ws`; return the Excel rows of its parts:
    title, year, name, money_header, total/current/carryover/other (money rows), goal_header, goal_text,
    ind_header, indicators (list, one per Ind), total_score; and `col` mapping each field to its Excel
    column letter in the money block (`money_col`) and the indicator block (`ind_col`)."""
    w = _Writer(ws, form)
    lay, width = w.lay, w.width
    placed: dict[str, Any] = {"money_col": {}, "ind_col": {}}
    for i in range(width):
        ws.column_dimensions[get_column_letter(w.c0 + i)].width = 14
    title = form.title or lay["title"]
    placed["title"] = w.row
    w.put(w.row, 0, title, span=width, bold=True)
    ws.row_dimensions[w.row].height = 28
    w.row += 1
    if form.year_text is not None:
        placed["year"] = w.row
        w.put(w.row, 0, form.year_text, span=width)
        w.row += 1
    if form.subtitle is not None:
        placed["subtitle"] = w.row
        w.put(w.row, 0, form.subtitle, span=width, left=True)
        w.row += 1

    placed["name"] = w.row
    w.put(w.row, 0, w.label(lay["name_label"]), span=2, bold=True)
    w.put(w.row, 2, form.name, span=width - 2, left=True)
    w.row += 1
    for party in lay["party_rows"]:
        off = 0
        for text, span, kind in party:
            value = w.label(text) if kind == "label" else getattr(form, text)
            w.put(w.row, off, value, span=span, bold=kind == "label", left=kind == "value")
            off += span
        w.row += 1

    # money block: column A label over all its rows, row labels, one column (or more) per header
    rows = lay["money_rows"]
    placed["money_header"] = w.row
    w.put(w.row, 0, w.label(form.money_label or lay["money_label"]), rows=1 + len(rows), bold=True)
    rs = lay["money_row_span"]
    w.put(w.row, 1, None, span=rs)
    off = 1 + rs
    offsets = {}
    for text, key, span in lay["money_cols"]:
        w.put(w.row, off, w.label(text), span=span, bold=True)
        offsets[key] = (off, span)
        placed["money_col"][key] = get_column_letter(w.c0 + off)
        off += span
    w.row += 1
    for text, kind in rows:
        placed[kind] = w.row
        w.put(w.row, 1, w.label(text), span=rs, left=kind != "total")
        values = form.money.get(kind, (None, None, None))
        for key, v in zip(("initial", "budget", "spent"), values):
            if key in offsets:
                w.put(w.row, offsets[key][0], v, span=offsets[key][1])
        for key in ("weight", "rate", "score", "reason"):
            if key not in offsets:
                continue
            if kind == "total":
                v = {"weight": form.exec_weight, "rate": form.rate, "score": form.exec_score,
                     "reason": form.reason}[key]
            else:
                v = "—" if key in lay["dash_sub_rows"] and key != "reason" else None
            fmt = "0.00%" if key == "rate" and isinstance(v, float) else None
            w.put(w.row, offsets[key][0], v, span=offsets[key][1], fmt=fmt, left=key == "reason")
        w.row += 1

    # 年度总体目标: label over two rows, headers, then the texts under them
    (goal_head, goal_span), (ach_head, ach_span) = lay["goal_headers"]
    placed["goal_header"] = w.row
    w.put(w.row, 0, w.label(lay["goal_label"]), rows=2, bold=True)
    w.put(w.row, 1, w.label(goal_head), span=goal_span, bold=True)
    w.put(w.row, 1 + goal_span, w.label(ach_head), span=ach_span, bold=True)
    w.row += 1
    placed["goal_text"] = w.row
    w.put(w.row, 1, form.goal, span=goal_span, left=True)
    w.put(w.row, 1 + goal_span, form.achievement, span=ach_span, left=True)
    ws.row_dimensions[w.row].height = 60
    w.row += 1

    # indicator block
    inds = form.indicators
    n_rows = 1 + len(inds)
    placed["ind_header"] = w.row
    w.put(w.row, 0, w.label(lay["ind_label"]), rows=n_rows, bold=True)
    off = 1
    ioff = {}
    for text, key, span in lay["ind_cols"]:
        w.put(w.row, off, w.label(text), span=span, bold=True)
        ioff[key] = (off, span)
        placed["ind_col"][key] = get_column_letter(w.c0 + off)
        off += span
    w.row += 1
    first = w.row
    placed["indicators"] = list(range(first, first + len(inds)))
    for i, ind in enumerate(inds):
        r = first + i
        for key, (o, span) in ioff.items():
            if key in ("level1", "level2"):
                continue
            v = getattr(ind, key)
            w.put(r, o, v, span=span, left=key in ("level3", "note"))
    # 一级 and 二级 merged over runs of equal consecutive values, the way the national form does it
    for key in ("level1", "level2"):
        o, _ = ioff[key]
        i = 0
        while i < len(inds):
            j = i
            while j + 1 < len(inds) and getattr(inds[j + 1], key) == getattr(inds[i], key) and \
                    (key == "level1" or inds[j + 1].level1 == inds[i].level1):
                j += 1
            if form.merge_levels:
                w.put(first + i, o, getattr(inds[i], key), rows=j - i + 1)
            else:
                w.put(first + i, o, getattr(inds[i], key))
                for k in range(i + 1, j + 1):
                    w.put(first + k, o, None)
            i = j + 1
    w.row = first + len(inds)
    if lay["total_label"]:
        placed["total_score"] = w.row
        wo, _ = ioff["weight"]
        so, _ = ioff["score"]
        w.put(w.row, 0, w.label(lay["total_label"]), span=wo, bold=True)
        w.put(w.row, wo, form.total_weight)
        w.put(w.row, so, form.total_score)
        rest = so + 1
        if rest < width:
            w.put(w.row, rest, None, span=width - rest)
        w.row += 1
    for text in form.extra_rows_after:
        w.put(w.row, 0, text, span=width, left=True)
        w.row += 1
    placed["end"] = w.row - 1
    ws.print_area = f"{get_column_letter(w.c0)}{w.r0}:{get_column_letter(w.c0 + width - 1)}{w.row - 1}"
    return placed


def build(sheets: list[tuple[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    """A workbook from (sheet name, content): a Form, a list of Forms stacked down one sheet, a list
    of text lines (instructions, notes), or a list of lists (a plain table). Returns the .xlsx bytes
    and, per sheet, what write_form returned (a list of them for stacked forms)."""
    wb = Workbook()
    wb.remove(wb.active)
    placed: dict[str, Any] = {}
    for name, content in sheets:
        ws = wb.create_sheet(name)
        if isinstance(content, Form):
            placed[name] = write_form(ws, content)
        elif isinstance(content, list) and content and all(isinstance(x, Form) for x in content):
            out, row = [], 1
            for f in content:
                f.origin = (row, f.origin[1])
                out.append(write_form(ws, f))
                row = out[-1]["end"] + 3
            placed[name] = out
        else:
            for i, line in enumerate(content):
                if isinstance(line, (list, tuple)):
                    for j, v in enumerate(line):
                        ws.cell(row=i + 1, column=j + 1, value=v)
                else:
                    ws.cell(row=i + 1, column=1, value=line).alignment = Alignment(wrap_text=True)
            ws.column_dimensions["A"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), placed


def form_from_batch(project: dict, indicators: list[dict], funds: list[dict], level1_weights: bool = True) -> Form:
    """A national form showing stored data (what an exporter would write): money in 万元, rate as a
    fraction, indicator texts as stored, 一级 labels carrying the sum of their weights."""
    money = {"total": (project["initial_budget"], project["budget"], project["spent"])}
    for f in funds:
        money[f["kind"]] = (f["initial_budget"], f["budget"], f["spent"])
    sums: dict[str, float] = {}
    for ind in indicators:
        if ind["weight"] is not None:
            sums[ind["level1"]] = sums.get(ind["level1"], 0) + ind["weight"]

    def l1(name):
        if level1_weights and name in sums:
            w = sums[name]
            return f"{name}（{int(w) if float(w).is_integer() else w}分）"
        return name

    inds = [Ind(l1(i["level1"]), i["level2"], i["level3"], i["target_text"], i["actual_text"], i["weight"],
                i["reported_score"], i["deviation_note"]) for i in indicators]
    return Form(name=project["name"], department=project["department"], unit=project["unit"],
                year_text=f"（{project['year']}年度）", money=money, exec_weight=project["execution_weight"],
                rate=project["reported_rate"], exec_score=project["execution_reported_score"],
                goal=project["goal"], achievement=project["achievement"], indicators=inds,
                total_weight=(project["execution_weight"] or 0) + sum(sums.values()) if sums else None,
                total_score=project["reported_total_score"])
