"""Monitoring workbooks for the tests (issue 17): 项目支出绩效目标执行监控表 in several layouts (merged cells,
two-row indicator headers, ticks written √ ✓ 是 1) and the flat monitoring sheets. Built here, never shipped."""
from __future__ import annotations

import io

from openpyxl import Workbook

# Two projects of a 1—7月 form: hand-computed expectations live in the tests.
JIA = {"name": "2024年科技创新平台建设", "department": "张掖市科学技术局（301001）", "unit": "张掖市科技服务中心",
       "money": {"total": (100, 30, "30%", 95), "fiscal": (80, 30, "37.5%", 80), "other": (20, 0, "0%", 15)},
       "goal": "建设科技创新平台 12 个",
       "indicators": [
           # level1, level2, level3, target, actual, forecast, ticks(经费,制度,人员,硬件), other, likelihood, note
           ("产出指标", "数量指标", "平台建设数量", "≥12个", "5个", "12个", ("", "", "√", ""), "", "有可能", ""),
           ("产出指标", "质量指标", "验收合格率", "＝100%", "100%", "100%", ("", "", "", ""), "", "确定能", ""),
           ("产出指标", "时效指标", "资金拨付时间", "≤30天", "35天", "30天", ("✓", "", "", ""), "", "有可能", ""),
           ("效益指标", "社会效益指标", "科技服务能力", "有效提升", "部分达到", "达到", ("", "", "", ""), "", "确定能", ""),
           ("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "92%", "95%", ("", "", "", ""), "", "确定能", ""),
       ]}
YI = {"name": "2024年科技特派员服务", "department": "张掖市科学技术局（301001）", "unit": "张掖市农业科技园区",
      "money": {"total": (200, 110, "55%", 170), "fiscal": (200, 110, "55%", 170), "other": (0, 0, "", 0)},
      "goal": "选派科技特派员 100 名",
      "indicators": [
          ("产出指标", "数量指标", "选派科技特派员人数", "≥100人", "70人", "100人", ("", "", "", ""), "", "确定能", ""),
          ("产出指标", "数量指标", "技术培训场次", "≥24场", "8场", "12场", ("是", "", "1", ""), "审批延迟", "完全不可能",
           "下半年集中开展"),
      ]}


def _cell(ws, r, c, v):
    ws.cell(row=r, column=c, value=v)


def write_form(ws, project: dict, top: int = 1, year: int = 2024, month: int = 7, adjusted: bool = False,
               likelihood_ticks: bool = False, title: bool = True) -> int:
    """One 执行监控表 from row `top`; returns the next free row. Column A is 项目资金（万元） merged down the money
    block; the indicator header takes two rows (偏差原因分析 merged over its five sub-columns)."""
    r = top
    period = f"1—{month}月"
    if title:
        _cell(ws, r, 1, f"{year}年度项目支出绩效目标执行监控表")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=14)
        r += 1
    _cell(ws, r, 1, "项目名称")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    _cell(ws, r, 3, project["name"])
    ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=14)
    r += 1
    _cell(ws, r, 1, "主管部门及代码")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    _cell(ws, r, 3, project["department"])
    ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=6)
    _cell(ws, r, 7, "实施单位")
    _cell(ws, r, 8, project["unit"])
    ws.merge_cells(start_row=r, start_column=8, end_row=r, end_column=14)
    r += 1
    money_top = r
    _cell(ws, r, 1, "项目资金（万元）")
    heads = ["年初预算数"] + (["调整后预算数"] if adjusted else []) + [f"{period}执行数", f"{period}执行率", "全年预计执行数"]
    for j, h in enumerate(heads):
        _cell(ws, r, 3 + j, h)
    r += 1
    for kind, label in (("total", "年度资金总额"), ("fiscal", "其中：财政拨款"), ("other", "其他资金")):
        initial, spent, rate, forecast = project["money"][kind]
        _cell(ws, r, 2, label)
        vals = [initial] + ([initial] if adjusted else []) + [spent, rate, forecast]
        for j, v in enumerate(vals):
            _cell(ws, r, 3 + j, v)
        r += 1
    ws.merge_cells(start_row=money_top, start_column=1, end_row=r - 1, end_column=1)
    _cell(ws, r, 1, "年度总体目标")
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    _cell(ws, r, 3, project["goal"])
    ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=14)
    r += 1
    # indicator header: two rows
    h1 = ["一级指标", "二级指标", "三级指标", "年度指标值", f"{period}执行情况", "全年预计完成情况"]
    for j, h in enumerate(h1):
        _cell(ws, r, 1 + j, h)
        ws.merge_cells(start_row=r, start_column=1 + j, end_row=r + 1, end_column=1 + j)
    _cell(ws, r, 7, "偏差原因分析")
    ws.merge_cells(start_row=r, start_column=7, end_row=r, end_column=11)
    for j, h in enumerate(["经费保障", "制度保障", "人员保障", "硬件条件保障", "其他"]):
        _cell(ws, r + 1, 7 + j, h)
    if likelihood_ticks:
        _cell(ws, r, 12, "完成目标可能性")
        ws.merge_cells(start_row=r, start_column=12, end_row=r, end_column=14)
        for j, h in enumerate(["确定能", "有可能", "完全不可能"]):
            _cell(ws, r + 1, 12 + j, h)
        _cell(ws, r, 15, "备注")
        ws.merge_cells(start_row=r, start_column=15, end_row=r + 1, end_column=15)
    else:
        _cell(ws, r, 12, "完成目标可能性")
        ws.merge_cells(start_row=r, start_column=12, end_row=r + 1, end_column=12)
        _cell(ws, r, 13, "备注")
        ws.merge_cells(start_row=r, start_column=13, end_row=r + 1, end_column=14)
    r += 2
    first = r
    for ind in project["indicators"]:
        l1, l2, l3, target, actual, forecast, ticks, other, likelihood, note = ind
        for j, v in enumerate([l1, l2, l3, target, actual, forecast, *ticks, other]):
            _cell(ws, r, 1 + j, v or None)
        if likelihood_ticks:
            if likelihood:
                _cell(ws, r, 12 + ["确定能", "有可能", "完全不可能"].index(likelihood), "√")
            _cell(ws, r, 15, note or None)
        else:
            _cell(ws, r, 12, likelihood or None)
            _cell(ws, r, 13, note or None)
        r += 1
    # 一级指标 merged over its rows, as units fill it (the merge keeps only the top value, as Excel does)
    rows = project["indicators"]
    k = 0
    while k < len(rows):
        n = 1
        while k + n < len(rows) and rows[k + n][0] == rows[k][0]:
            n += 1
        if n > 1:
            ws.merge_cells(start_row=first + k, start_column=1, end_row=first + k + n - 1, end_column=1)
        k += n
    return r


def form_book(projects=(JIA, YI), stacked: bool = False, **kw) -> bytes:
    """One form per sheet (default) or all forms stacked in one sheet."""
    wb = Workbook()
    if stacked:
        ws = wb.active
        ws.title = "监控表"
        r = 1
        for i, p in enumerate(projects):
            r = write_form(ws, p, top=r, title=(i == 0), **kw) + 2
    else:
        for i, p in enumerate(projects):
            ws = wb.active if i == 0 else wb.create_sheet()
            ws.title = f"监控表{i + 1}"
            write_form(ws, p, **kw)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


FLAT_PROJECT_HEADERS = ["年度", "监控月份", "主管部门", "项目名称", "年初预算数（万元）", "执行数（万元）", "全年预计执行数（万元）"]
FLAT_INDICATOR_HEADERS = ["年度", "监控月份", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值", "执行情况",
                          "全年预计完成情况", "经费保障", "制度保障", "人员保障", "硬件条件保障", "其他", "完成目标可能性", "备注"]


def flat_book(projects: list[list], indicators: list[list] = (), project_headers=FLAT_PROJECT_HEADERS,
              indicator_headers=FLAT_INDICATOR_HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "执行监控"
    ws.append(list(project_headers))
    for row in projects:
        ws.append(list(row))
    if indicators:
        wi = wb.create_sheet("监控指标")
        wi.append(list(indicator_headers))
        for row in indicators:
            wi.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
