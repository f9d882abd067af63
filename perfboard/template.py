"""The blank flat import template, generated from the importer's own header lists so they never drift."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .headers import INDICATOR_FIELDS, PROJECT_FIELDS

MONEY = {"initial_budget", "budget", "spent"}
PROJECT_ORDER = ["year", "department", "unit", "project_code", "project_name", "funding_source", "initial_budget",
                 "budget", "spent", "reported_rate", "overview", "goal", "achievement", "deviation_reason",
                 "improvement"]
INDICATOR_ORDER = ["year", "project_code", "project_name", "level1", "level2", "level3", "direction", "target",
                   "unit", "actual", "weight", "score", "judgement", "deviation_note"]


def project_headers() -> list[str]:
    return [PROJECT_FIELDS[f][0] + ("（万元）" if f in MONEY else "") for f in PROJECT_ORDER]


def indicator_headers() -> list[str]:
    return [INDICATOR_FIELDS[f][0] for f in INDICATOR_ORDER]


INSTRUCTIONS = [
    "PerfBoard 绩效看板 导入模板（由程序生成，与导入程序读取的列名一致）",
    "1. “项目”工作表每行一个项目；必填：年度、主管部门（或导入时指定）、项目名称、全年预算数、全年执行数。",
    "2. 金额单位为万元；若表头写“（元）”，程序自动换算为万元。单元格也可写“25万元”。",
    "3. 执行率可写 0.95、95% 或 95；程序会用 全年执行数÷全年预算数 复核，相差超过 0.05 个百分点时给出警告。",
    "4. “绩效指标”工作表每行一个三级指标，用“项目名称”（或“项目编码”）关联到项目；同一项目的指标按行顺序排列。",
    "5. 年度指标值、实际完成值按原文填写，如“≥25项”“=100%”“≤90万元”“及时拨付”；定性指标可在“评价结论”填 达成/部分达成/未达成/不适用。",
    "6. 每个表头也可用英文别名，例如 年度(year)、项目名称(project_name)、全年预算数(budget)。",
    "7. 请勿留下没有计算结果的公式；导入前在 Excel/WPS 中保存一次即可。",
    "8. 本“说明”工作表导入时自动跳过。",
]


def _workbook(sheets, instructions, notes_width: int) -> bytes:
    """A blank template: one sheet per (title, headers) with the headers bold on a
    blue fill, frozen under the header row, then the 说明 sheet of `instructions`."""
    wb = Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for n, (title, headers) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet(title)
        ws.title = title
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[cell.column_letter].width = max(10, min(30, len(str(cell.value)) * 2 + 4))
        ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明")
    for line in instructions:
        notes.append([line])
    notes.column_dimensions["A"].width = notes_width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_bytes() -> bytes:
    return _workbook([("项目", project_headers()), ("绩效指标", indicator_headers())], INSTRUCTIONS, 110)


def monitoring_template_bytes() -> bytes:
    """The blank flat monitoring template (issue 17): 执行监控 and 监控指标 sheets and the instructions, from the
    monitoring reader's own header lists (tests import it back)."""
    from .monitoring_forms import TEMPLATE_INDICATOR_HEADERS, TEMPLATE_INSTRUCTIONS, TEMPLATE_PROJECT_HEADERS
    return _workbook([("执行监控", TEMPLATE_PROJECT_HEADERS), ("监控指标", TEMPLATE_INDICATOR_HEADERS)],
                     TEMPLATE_INSTRUCTIONS, 120)
