"""The one-page A4 landscape layout shared by the meeting brief (brief.py) and the monitoring brief
(monitor_brief.py): title, subtitle, a row of big figures, a chart on the left, a list of projects with their
lines on the right (and an optional line under them), one footer line. As .docx (python-docx) and .pdf
(reportlab with the embedded CJK font, fonts.py). The briefs decide the content; this module only lays it out."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from ..text import clean_deep
from .fonts import reportlab_font


@dataclass
class Entry:
    head: str               # "1. " is put in front
    colour: str             # hex without '#', e.g. "C62828"
    lines: list[str] = field(default_factory=list)


@dataclass
class OnePage:
    title: str
    subtitle: str
    figures: list           # brief.Figure: label, value, change
    chart_heading: str
    chart_png: bytes | None
    chart_note: str | None
    heading: str            # of the right column
    entries: list[Entry]
    footer: str
    after: str | None = None        # a bold line under the entries
    value_pt: tuple[float, float] = (18, 17)     # the figures' values: .docx, .pdf
    blank_change: str = "—"                      # a figure without a change


def onepage_docx(page: OnePage) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt, RGBColor

    from .docxutil import fixed_widths, shade_cell, style_text
    from .report import _no_border

    page = clean_deep(page)                   # lxml refuses control characters
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21)
    sec.left_margin = sec.right_margin = Cm(1.5)
    sec.top_margin = sec.bottom_margin = Cm(1.2)
    normal = style_text(doc, "Normal", "微软雅黑", 10, latin="Arial")
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    h = style_text(doc, "Title", "黑体", 18, bold=True, latin="Arial")
    h.paragraph_format.space_after = Pt(2)
    _no_border(h)

    doc.add_paragraph(page.title, style="Title")
    p = doc.add_paragraph()
    r = p.add_run(page.subtitle)
    r.font.size, r.font.color.rgb = Pt(9), RGBColor(0x59, 0x59, 0x59)
    p.paragraph_format.space_after = Pt(6)

    n_fig = len(page.figures)
    table = doc.add_table(rows=3, cols=n_fig)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    fixed_widths(table, [Cm(26.6 / n_fig)] * n_fig)
    for i, f in enumerate(page.figures):
        for row, text, size, bold, colour in ((0, f.label, 9, False, "595959"),
                                              (1, f.value, page.value_pt[0], True, "000000"),
                                              (2, f.change or page.blank_change, 9, False, "595959")):
            cell = table.cell(row, i)
            shade_cell(cell, "F3F6FA")
            para = cell.paragraphs[0]
            para.alignment = 1
            run = para.add_run(text)
            run.font.size, run.bold = Pt(size), bold
            run.font.color.rgb = RGBColor.from_string(colour)
    doc.add_paragraph().paragraph_format.space_after = Pt(4)

    body = doc.add_table(rows=1, cols=2)
    fixed_widths(body, [Cm(15.6), Cm(11)])
    left, right = body.cell(0, 0), body.cell(0, 1)
    left.paragraphs[0].add_run(page.chart_heading).bold = True
    if page.chart_png:
        from PIL import Image
        w, hgt = Image.open(io.BytesIO(page.chart_png)).size
        width_cm = min(15.0, 11.0 * w / hgt)           # at most 11 cm high, so the page stays one page
        left.add_paragraph().add_run().add_picture(io.BytesIO(page.chart_png), width=Cm(width_cm))
    else:
        run = left.add_paragraph().add_run(page.chart_note or "")
        run.font.color.rgb = RGBColor(0xC0, 0, 0)
    right.paragraphs[0].add_run(page.heading).bold = True
    for n, entry in enumerate(page.entries, start=1):
        para = right.add_paragraph()
        para.paragraph_format.space_before = Pt(4)
        run = para.add_run(f"{n}. {entry.head}")
        run.bold, run.font.size = True, Pt(9.5)
        run.font.color.rgb = RGBColor.from_string(entry.colour)
        for line in entry.lines:
            right.add_paragraph().add_run(line).font.size = Pt(8.5)
    if page.after:
        run = right.add_paragraph().add_run(page.after)
        run.bold, run.font.size = True, Pt(9)
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(6)
    run = p.add_run(page.footer)
    run.font.size, run.font.color.rgb = Pt(9), RGBColor(0x59, 0x59, 0x59)
    doc.core_properties.title = page.title
    doc.core_properties.author = "PerfBoard"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def onepage_pdf(page: OnePage) -> bytes:
    """One PDF page with the CJK font embedded. Raises FontMissing without a CJK font."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = reportlab_font()                     # FontMissing before any work when there is no CJK font
    page = clean_deep(page)                     # reportlab's parser refuses control characters too

    def style(size, colour="#000000", leading=None, align=0):
        return ParagraphStyle("s", fontName=font, fontSize=size, leading=leading or size * 1.3,
                              textColor=colors.HexColor(colour), wordWrap="CJK", alignment=align)

    page_w, page_h = landscape(A4)
    margin_x, margin_y = 1.5 * cm, 1.2 * cm
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=margin_x, rightMargin=margin_x,
                            topMargin=margin_y, bottomMargin=margin_y, title=page.title, author="PerfBoard")
    width = page_w - 2 * margin_x
    story = [Paragraph(escape(page.title), style(18, leading=24)), Spacer(1, 2),
             Paragraph(escape(page.subtitle), style(8.5, "#595959")), Spacer(1, 8)]
    value_pt = page.value_pt[1]
    cells = [[Paragraph(escape(f.label), style(9, "#595959", align=1)) for f in page.figures],
             [Paragraph(escape(f.value), style(value_pt, leading=value_pt + 5, align=1)) for f in page.figures],
             [Paragraph(escape(f.change or page.blank_change), style(8.5, "#595959", align=1)) for f in page.figures]]
    figures = Table(cells, colWidths=[width / len(page.figures)] * len(page.figures))
    figures.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F3F6FA")),
                                 ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
                                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                 ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    story += [figures, Spacer(1, 8)]

    left_w, right_w = width * 0.58, width * 0.42
    body_h = page_h - 2 * margin_y - 4.6 * cm          # what is left under the title and the figures
    left = [Paragraph(escape(page.chart_heading), style(10, leading=14)), Spacer(1, 4)]
    if page.chart_png:
        from PIL import Image as PILImage
        w, h = PILImage.open(io.BytesIO(page.chart_png)).size
        scale = min((left_w - 8) / w, (body_h - 30) / h)
        left.append(Image(io.BytesIO(page.chart_png), width=w * scale, height=h * scale))
    else:
        left.append(Paragraph(escape(page.chart_note or ""), style(9, "#C00000")))
    right = [Paragraph(escape(page.heading), style(10, leading=14)), Spacer(1, 4)]
    for n, entry in enumerate(page.entries, start=1):
        right.append(Paragraph(escape(f"{n}. {entry.head}"), style(9, "#" + entry.colour)))
        for line in entry.lines:
            right.append(Paragraph(escape(line), style(8, "#333333", leading=10.5)))
        right.append(Spacer(1, 4))
    if page.after:
        right.append(Paragraph(escape(page.after), style(9, leading=12)))
    body = Table([[KeepInFrame(left_w, body_h, left, mode="shrink"),
                   KeepInFrame(right_w, body_h, right, mode="shrink")]], colWidths=[left_w, right_w])
    body.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEBEFORE", (1, 0), (1, 0), 0.5, colors.HexColor("#CCCCCC")),
                              ("LEFTPADDING", (1, 0), (1, 0), 10)]))
    story += [body, Spacer(1, 6), Paragraph(escape(page.footer), style(8.5, "#595959"))]
    doc.build(story)
    return buf.getvalue()
