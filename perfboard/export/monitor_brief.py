"""The one-page monitoring brief (issue 17), A4 landscape, like the meeting brief (brief.py): one monitoring
period's figures against 序时进度, the execution chart with the 序时进度 line as a PNG, and the projects at risk
with their reasons. As .docx (python-docx) and .pdf (reportlab with the embedded CJK font, fonts.py).

The content is the 执行监控 page's (perfboard.monitoring), so the brief never disagrees with the screen."""
from __future__ import annotations

import io
from datetime import datetime

from .. import auth, monitoring
from ..db import Store
from ..filters import Filters
from .brief import BriefData, Figure, LIGHT_HEX, _set_font, clip, pct_text, wan_text
from .fonts import FontMissing, reportlab_font, vl_convert_font

RISK_LIMIT = 6

MONITOR_HEX = {**LIGHT_HEX, "蓝": "1565C0"}


class NoSnapshot(Exception):
    """No monitoring snapshot for the asked year / period (the message is Chinese)."""


def monitor_brief_data(store: Store, filters: Filters = Filters(), year: int | None = None, period: int | None = None,
                       with_chart: bool = True, now: datetime | None = None, user=None) -> BriefData:
    filters = auth.scoped(store, filters, user, "export")
    picked = monitoring.pick_period(store, year if year is not None else filters.year, period)
    if picked is None:
        raise NoSnapshot("没有符合条件的运行监控数据。")
    year, period = picked
    fig = monitoring.figures(store, filters, year, period)
    t = fig["totals"] or {"projects": 0, "budget": 0.0, "spent": 0.0, "red": 0, "yellow": 0, "green": 0, "at_risk": 0}
    tp = fig["time_progress"]
    rate = t["spent"] / t["budget"] if t["budget"] else None
    depts = list(filters.departments)
    scope = depts[0] if len(depts) == 1 else ("各部门" if not depts else f"{depts[0]}等 {len(depts)} 个部门")
    now = now or datetime.now()
    title = f"{scope} {year} 年 1—{period}月绩效运行监控简报"
    subtitle = (f"筛选：{filters.describe()}　·　序时进度 {tp:.1%}（{period} ÷ 12）　·　生成时间：{now:%Y-%m-%d %H:%M}")
    figures = [
        Figure("项目数", f"{int(t['projects'])} 个"),
        Figure("预算数（万元）", wan_text(t["budget"])),
        Figure(f"1—{period}月执行数（万元）", wan_text(t["spent"])),
        Figure("执行率", pct_text(rate), None if rate is None else f"对序时进度 {(rate - tp) * 100:+.1f} 个百分点"),
        Figure("红 / 黄 / 绿", f"{int(t['red'])} / {int(t['yellow'])} / {int(t['green'])}"),
        Figure("风险项目", f"{int(t['at_risk'])} 个"),
    ]
    risky = monitoring.at_risk(store, filters, year, period, RISK_LIMIT)
    attention = [{"name": r["name"], "light": r["light"], "execution_rate": r["execution_rate"],
                  "lines": [clip(x) for x in r["risk_reasons"]]
                  + ([f"偏差原因：{clip('、'.join(r['causes']))}"] if r["causes"] else [])} for r in risky]
    counts = fig["indicator_lights"].groupby("light", dropna=False)["n"].sum()
    quality = [f"指标 {k} {int(counts.get(k, 0))} 条" for k in monitoring.INDICATOR_LIGHTS]
    quality.append(f"待判定 {int(counts[counts.index.isna()].sum())} 条")
    data = BriefData(title=title, subtitle=subtitle, figures=figures, attention=attention,
                     attention_total=int(t["at_risk"]), quality=quality)
    if with_chart:
        if not len(fig["chart"]):
            data.chart_note = "筛选出的项目都没有预算数，无法计算执行率，未绘制执行率图。"
        else:
            try:
                data.chart_png = chart_png(fig["chart"], tp)
            except FontMissing as exc:
                data.chart_note = f"执行率图未生成：{exc}"
                data.warnings.append(str(exc))
    return data


def chart_png(rows, time_progress: float, width: int = 560, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    from ..charts_monitor import monitor_rate_chart
    family = vl_convert_font()
    spec = monitor_rate_chart(rows, time_progress, font_size=12).properties(width=width).to_dict()
    _set_font(spec, family)
    return vlc.vegalite_to_png(spec, scale=scale)


def _heading(data: BriefData) -> str:
    if not data.attention_total:
        return "风险项目：无"
    more = f"，列出最严重的 {len(data.attention)} 个" if data.attention_total > len(data.attention) else ""
    return f"风险项目（{data.attention_total} 个{more}）"


def _head(item: dict) -> str:
    return f"{item['name']}　{item['light']} · 执行率 {pct_text(item['execution_rate'])}"


def _footer(data: BriefData) -> str:
    return "指标进度：" + "；".join(data.quality)


def monitor_brief_docx(data: BriefData) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt, RGBColor

    from .docxutil import fixed_widths, shade_cell, style_text

    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21)
    sec.left_margin = sec.right_margin = Cm(1.5)
    sec.top_margin = sec.bottom_margin = Cm(1.2)
    normal = style_text(doc, "Normal", "微软雅黑", 10, latin="Arial")
    normal.paragraph_format.space_after = Pt(0)
    style_text(doc, "Title", "黑体", 18, bold=True, latin="Arial")
    doc.add_paragraph(data.title, style="Title")
    run = doc.add_paragraph().add_run(data.subtitle)
    run.font.size, run.font.color.rgb = Pt(9), RGBColor(0x59, 0x59, 0x59)
    table = doc.add_table(rows=3, cols=len(data.figures))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    fixed_widths(table, [Cm(26.6 / len(data.figures))] * len(data.figures))
    for i, f in enumerate(data.figures):
        for row, text, size, bold in ((0, f.label, 9, False), (1, f.value, 16, True), (2, f.change or "", 8.5, False)):
            cell = table.cell(row, i)
            shade_cell(cell, "F3F6FA")
            para = cell.paragraphs[0]
            para.alignment = 1
            r = para.add_run(text)
            r.font.size, r.bold = Pt(size), bold
    doc.add_paragraph()
    body = doc.add_table(rows=1, cols=2)
    fixed_widths(body, [Cm(15.6), Cm(11)])
    left, right = body.cell(0, 0), body.cell(0, 1)
    left.paragraphs[0].add_run("各项目执行率与序时进度（落后最多的在前）").bold = True
    if data.chart_png:
        from PIL import Image
        w, h = Image.open(io.BytesIO(data.chart_png)).size
        left.add_paragraph().add_run().add_picture(io.BytesIO(data.chart_png), width=Cm(min(15.0, 11.0 * w / h)))
    else:
        r = left.add_paragraph().add_run(data.chart_note or "")
        r.font.color.rgb = RGBColor(0xC0, 0, 0)
    right.paragraphs[0].add_run(_heading(data)).bold = True
    for n, item in enumerate(data.attention, start=1):
        para = right.add_paragraph()
        para.paragraph_format.space_before = Pt(4)
        r = para.add_run(f"{n}. {_head(item)}")
        r.bold, r.font.size = True, Pt(9.5)
        r.font.color.rgb = RGBColor.from_string(MONITOR_HEX.get(item["light"], "000000"))
        for line in item["lines"]:
            right.add_paragraph().add_run(line).font.size = Pt(8.5)
    r = doc.add_paragraph().add_run(_footer(data))
    r.font.size, r.font.color.rgb = Pt(9), RGBColor(0x59, 0x59, 0x59)
    doc.core_properties.title = data.title
    doc.core_properties.author = "PerfBoard"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def monitor_brief_pdf(data: BriefData) -> bytes:
    """Raises FontMissing without a CJK font."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = reportlab_font()

    def style(size, colour="#000000", leading=None, align=0):
        return ParagraphStyle("s", fontName=font, fontSize=size, leading=leading or size * 1.3,
                              textColor=colors.HexColor(colour), wordWrap="CJK", alignment=align)

    page_w, page_h = landscape(A4)
    mx, my = 1.5 * cm, 1.2 * cm
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=mx, rightMargin=mx, topMargin=my,
                            bottomMargin=my, title=data.title, author="PerfBoard")
    width = page_w - 2 * mx
    story = [Paragraph(escape(data.title), style(18, leading=24)), Spacer(1, 2),
             Paragraph(escape(data.subtitle), style(8.5, "#595959")), Spacer(1, 8)]
    cells = [[Paragraph(escape(f.label), style(9, "#595959", align=1)) for f in data.figures],
             [Paragraph(escape(f.value), style(16, leading=21, align=1)) for f in data.figures],
             [Paragraph(escape(f.change or ""), style(8, "#595959", align=1)) for f in data.figures]]
    figures = Table(cells, colWidths=[width / len(data.figures)] * len(data.figures))
    figures.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F3F6FA")),
                                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [figures, Spacer(1, 8)]
    left_w, right_w = width * 0.58, width * 0.42
    body_h = page_h - 2 * my - 4.6 * cm
    left = [Paragraph("各项目执行率与序时进度（落后最多的在前）", style(10, leading=14)), Spacer(1, 4)]
    if data.chart_png:
        from PIL import Image as PILImage
        w, h = PILImage.open(io.BytesIO(data.chart_png)).size
        k = min((left_w - 8) / w, (body_h - 30) / h)
        left.append(Image(io.BytesIO(data.chart_png), width=w * k, height=h * k))
    else:
        left.append(Paragraph(escape(data.chart_note or ""), style(9, "#C00000")))
    right = [Paragraph(escape(_heading(data)), style(10, leading=14)), Spacer(1, 4)]
    for n, item in enumerate(data.attention, start=1):
        right.append(Paragraph(escape(f"{n}. {_head(item)}"), style(9, "#" + MONITOR_HEX.get(item["light"], "000000"))))
        for line in item["lines"]:
            right.append(Paragraph(escape(line), style(8, "#333333", leading=10.5)))
        right.append(Spacer(1, 4))
    body = Table([[KeepInFrame(left_w, body_h, left, mode="shrink"), KeepInFrame(right_w, body_h, right, mode="shrink")]],
                 colWidths=[left_w, right_w])
    body.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEBEFORE", (1, 0), (1, 0), 0.5, colors.HexColor("#CCCCCC")),
                              ("LEFTPADDING", (1, 0), (1, 0), 10)]))
    story += [body, Spacer(1, 6), Paragraph(escape(_footer(data)), style(8.5, "#595959"))]
    doc.build(story)
    return buf.getvalue()


def monitor_brief_bytes(store: Store, filters: Filters, year: int, period: int, fmt: str, user=None) -> bytes:
    """"docx" or "pdf" of one snapshot."""
    if fmt == "pdf":
        reportlab_font()                      # FontMissing before any work
        return monitor_brief_pdf(monitor_brief_data(store, filters, year, period, user=user))
    if fmt == "docx":
        return monitor_brief_docx(monitor_brief_data(store, filters, year, period, user=user))
    raise ValueError(f"unknown brief format {fmt!r}")
