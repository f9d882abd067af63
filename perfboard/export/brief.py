"""The one-page meeting brief (A4 landscape): the overview figures with year-over-year changes, the
execution-rate chart as a PNG, and the projects needing attention with their reasons. As .docx
(python-docx) and .pdf (reportlab, with an embedded CJK font; see fonts.py).

The content is the overview page's (perfboard.overview), so the brief never disagrees with the screen.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import datetime

from .. import auth
from ..db import Store
from ..filters import Filters
from ..text import clean_deep
from .fonts import FontMissing, reportlab_font, vl_convert_font

ATTENTION_LIMIT = 6       # what fits on the page next to the chart
CHART_PROJECTS = 12
TEXT_LIMIT = 70           # characters of a reason or measure shown in the brief
LIGHT_HEX = {"绿": "2E7D32", "黄": "B26A00", "红": "C62828", "超预算": "7B1FA2", "无预算": "757575"}


# ---------------------------------------------------------------- formatting
def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _signed(x: float, body: str) -> str:
    return ("+" if x > 0 else "−" if x < 0 else "±") + body


def wan_text(x) -> str:
    return "—" if _missing(x) else f"{x:,.2f}"


def pct_text(x) -> str:
    return "—" if _missing(x) else f"{x * 100:.2f}%"


def change_count(d, unit="个") -> str | None:
    return None if _missing(d) else ("持平" if d == 0 else _signed(d, f"{abs(int(d))} {unit}"))


def change_wan(d, rel) -> str | None:
    if _missing(d):
        return None
    if abs(d) < 0.005:
        return "持平"
    text = _signed(d, f"{abs(d):,.2f} 万元")
    return text + (f"（{_signed(rel, f'{abs(rel) * 100:.1f}%')}）" if not _missing(rel) else "")


def change_pp(pp) -> str | None:
    return None if _missing(pp) else ("持平" if abs(pp) < 0.005 else _signed(pp, f"{abs(pp):.2f} 个百分点"))


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------- the content
@dataclass
class Figure:
    label: str
    value: str
    change: str | None = None


@dataclass
class BriefData:
    title: str
    subtitle: str
    figures: list[Figure]
    attention: list[dict]
    attention_total: int
    quality: list          # review.CountItem: the overview strip's checks
    undecided: list[tuple[str, int]] = field(default_factory=list)   # (project, indicators nobody decided yet)
    review: list = field(default_factory=list)    # review.CountItem: the other review findings
    chart_png: bytes | None = None
    chart_note: str | None = None
    warnings: list[str] = field(default_factory=list)


def _scope_name(filters: Filters, departments: list[str]) -> str:
    depts = list(filters.departments) or sorted(departments)
    if len(depts) == 1:
        return depts[0]
    return "各部门" if not depts else f"{depts[0]}等 {len(depts)} 个部门"


# The data-quality part is the 自评复核 rules' (perfboard.review), one source of truth with the overview strip, the
# review page and `review --json`: the strip's checks under the strip's labels and counts, then every other
# finding by severity and rule, each item counting units, projects or indicators as its label says; the undecided
# list is the missing-target and pending-judgement findings per project.
def review_part(store: Store, filters: Filters) -> tuple[list, list, list[tuple[str, int]]]:
    """(the strip's check items, the other rules' items (review.CountItem), undecided projects) under `filters`."""
    from .. import review
    f = review.findings(store, filters)
    items = review.count_items(f)
    return ([i for i in items if i.check], [i for i in items if not i.check], review.undecided(f))


def brief_data(store: Store, filters: Filters = Filters(), with_chart: bool = True,
               now: datetime | None = None, user=None) -> BriefData:
    from ..overview import overview
    from ..sample import FICTIONAL_LABEL, fictional_years
    from ..summary import with_default_year
    filters = auth.scoped(store, filters, user, "export")      # only the departments `user` may export
    filters = with_default_year(store, filters)                # never several years (nor a fictional one) added up
    o = overview(store, filters, attention_limit=ATTENTION_LIMIT, chart_top=CHART_PROJECTS)
    fig, ch = o["figures"], o["change"]
    now = now or datetime.now()
    invented = set(fictional_years(store))
    mark = lambda y: f"{y} 年度" + (f"（{FICTIONAL_LABEL}）" if y in invented else "")  # noqa: E731
    year = mark(filters.year) if filters.year else "各年度"
    title = f"{_scope_name(filters, o['departments'])} {year}预算绩效简报"
    if o["base"]:
        compare = f"变化为与 {mark(o['base_year'])}同口径比较"
        if o["base_year"] in invented:
            compare += f"；{o['base_year']} 年度为虚构的示例数据，变化仅供演示"
    elif o["base_year"]:
        compare = f"{o['base_year']} 年度没有符合筛选条件的项目，不作同比"
    else:
        compare = "没有更早年度的数据，不作同比"
    subtitle = f"筛选：{filters.describe()}　·　{compare}　·　生成时间：{now:%Y-%m-%d %H:%M}"
    figures = [
        Figure("项目数", f"{fig['projects']} 个", change_count(ch.get("projects"))),
        Figure("全年预算数（万元）", wan_text(fig["budget_wan"]), change_wan(ch.get("budget_wan"), ch.get("budget_wan_pct"))),
        Figure("全年执行数（万元）", wan_text(fig["spent_wan"]), change_wan(ch.get("spent_wan"), ch.get("spent_wan_pct"))),
        Figure("执行率", pct_text(fig["execution_rate"]), change_pp(ch.get("execution_rate_pp"))),
        Figure("偏离项目", f"{fig['deviation_projects']} 个", change_count(ch.get("deviation_projects"))),
        Figure("指标达成", f"{fig['indicators_met']} / {fig['indicators_total']}",
               change_pp(ch.get("indicators_met_share_pp"))),
    ]
    quality, others, undecided = review_part(store, filters)
    data = BriefData(title=title, subtitle=subtitle, figures=figures, attention=o["attention"],
                     attention_total=o["attention_total"], quality=quality, undecided=undecided, review=others)
    if with_chart:
        try:
            data.chart_png = chart_png(o["chart"], o["bands"], top_n=len(o["chart"]))   # already capped
            if data.chart_png is None:
                data.chart_note = "筛选出的项目都没有全年预算数，无法计算执行率，未绘制执行率图。"
        except FontMissing as exc:
            data.chart_note = f"执行率图未生成：{exc}"
            data.warnings.append(str(exc))
    return data


def chart_png(projects_df, bands: dict, top_n: int = CHART_PROJECTS, width: int = 560, scale: float = 2.0) -> bytes | None:
    """The overview's execution-rate chart as PNG (None when no project has a rate). Raises FontMissing
    when no CJK font is installed: vl-convert would draw every Chinese character as a box."""
    if not len(projects_df) or not projects_df["execution_rate"].notna().any():
        return None
    import vl_convert as vlc

    from ..charts import execution_rate_chart
    family = vl_convert_font()
    bars = min(int(projects_df["execution_rate"].notna().sum()), top_n + 1)
    step = max(18, min(32, 420 // max(bars, 1)))       # fill the brief's chart box, however many bars
    projects_df = clean_deep(projects_df)      # vl-convert aborts the process on a control character (NonXmlChar)
    spec = execution_rate_chart(projects_df, bands, top_n=top_n, font_size=12, bar_step=step) \
        .properties(width=width).to_dict()
    _set_font(spec, family)
    return vlc.vegalite_to_png(spec, scale=scale)


def _set_font(spec, family: str) -> None:
    """Every font setting in a chart spec -> the one family vl-convert actually has (the CSS fallback
    lists the pages use name fonts of other systems)."""
    def walk(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in ("font", "labelFont", "titleFont") and isinstance(v, str):
                    obj[k] = family
                else:
                    walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
    walk(spec)
    spec.setdefault("config", {})["font"] = family


def _attention_lines(item: dict) -> tuple[str, list[str]]:
    head = f"{item['name']}　{item['light']} · 执行率 {pct_text(item['execution_rate'])}"
    lines = []
    if item.get("rate_mismatch"):
        lines.append(f"填报执行率 {pct_text(item['reported_rate'])}，与计算值不一致")
    if item.get("deviating_indicators"):
        lines.append("偏离指标：" + clip(item["deviating_indicators"]))
    lines.append("偏离原因：" + clip(item["reason"]))
    lines.append("改进措施：" + clip(item["measures"]))
    return head, lines


def _attention_heading(data: BriefData) -> str:
    if not data.attention_total:
        return "需关注：无偏离项目"
    shown = len(data.attention)
    more = f"，列出最严重的 {shown} 个" if data.attention_total > shown else ""
    return f"需关注（{data.attention_total} 个项目偏离{more}）"


def _undecided_line(data: BriefData) -> str | None:
    if not data.undecided:
        return None
    return "待判定指标：" + "、".join(f"{name} {n} 条" for name, n in data.undecided)


def _quality_line(data: BriefData) -> str:
    line = "数据检查：" + ("；".join(i.text for i in data.quality) if data.quality else "未发现问题")
    if data.review:
        by = {}
        for i in data.review:
            by.setdefault(i.severity, []).append(i.text)
        line += "。自评复核另发现：" + "；".join(f"{sev} " + "、".join(t) for sev, t in by.items())
    return line


# ---------------------------------------------------------------- .docx
def brief_docx(store: Store, filters: Filters = Filters(), data: BriefData | None = None, user=None) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Pt, RGBColor

    from .docxutil import fixed_widths, set_fonts, shade_cell, style_text

    data = clean_deep(data or brief_data(store, filters, user=user))     # lxml refuses control characters
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
    from .report import _no_border
    _no_border(h)

    doc.add_paragraph(data.title, style="Title")
    p = doc.add_paragraph()
    r = p.add_run(data.subtitle)
    r.font.size, r.font.color.rgb = Pt(9), RGBColor(0x59, 0x59, 0x59)
    p.paragraph_format.space_after = Pt(6)

    table = doc.add_table(rows=3, cols=len(data.figures))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    fixed_widths(table, [Cm(26.6 / len(data.figures))] * len(data.figures))
    for i, f in enumerate(data.figures):
        for row, text, size, bold, colour in ((0, f.label, 9, False, "595959"), (1, f.value, 18, True, "000000"),
                                              (2, f.change or "—", 9, False, "595959")):
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
    lp = left.paragraphs[0]
    lp.add_run("各项目执行率（由低到高）").bold = True
    if data.chart_png:
        from PIL import Image
        w, hgt = Image.open(io.BytesIO(data.chart_png)).size
        width_cm = min(15.0, 11.0 * w / hgt)           # at most 11 cm high, so the page stays one page
        left.add_paragraph().add_run().add_picture(io.BytesIO(data.chart_png), width=Cm(width_cm))
    else:
        run = left.add_paragraph().add_run(data.chart_note or "")
        run.font.color.rgb = RGBColor(0xC0, 0, 0)
    rp = right.paragraphs[0]
    rp.add_run(_attention_heading(data)).bold = True
    for n, item in enumerate(data.attention, start=1):
        head, lines = _attention_lines(item)
        para = right.add_paragraph()
        para.paragraph_format.space_before = Pt(4)
        run = para.add_run(f"{n}. {head}")
        run.bold, run.font.size = True, Pt(9.5)
        run.font.color.rgb = RGBColor.from_string(LIGHT_HEX.get(item["light"], "000000"))
        for line in lines:
            lr = right.add_paragraph().add_run(line)
            lr.font.size = Pt(8.5)
    if _undecided_line(data):          # apart from the red ones: nobody has decided these indicators yet
        ur = right.add_paragraph().add_run(_undecided_line(data))
        ur.bold, ur.font.size = True, Pt(9)
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(6)
    qr = p.add_run(_quality_line(data))
    qr.font.size, qr.font.color.rgb = Pt(9), RGBColor(0x59, 0x59, 0x59)
    doc.core_properties.title = data.title
    doc.core_properties.author = "PerfBoard"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- .pdf
def brief_pdf(store: Store, filters: Filters = Filters(), data: BriefData | None = None, user=None) -> bytes:
    """The brief as a one-page PDF with the CJK font embedded. Raises FontMissing without a CJK font."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from xml.sax.saxutils import escape

    font = reportlab_font()                     # FontMissing before any work when there is no CJK font
    data = clean_deep(data or brief_data(store, filters, user=user))     # reportlab's parser too

    def style(size, colour="#000000", leading=None, bold=False, align=0):
        return ParagraphStyle("s", fontName=font, fontSize=size, leading=leading or size * 1.3,
                              textColor=colors.HexColor(colour), wordWrap="CJK", alignment=align)

    page_w, page_h = landscape(A4)
    margin_x, margin_y = 1.5 * cm, 1.2 * cm
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=margin_x, rightMargin=margin_x,
                            topMargin=margin_y, bottomMargin=margin_y, title=data.title, author="PerfBoard")
    width = page_w - 2 * margin_x
    story = [Paragraph(escape(data.title), style(18, leading=24)), Spacer(1, 2),
             Paragraph(escape(data.subtitle), style(8.5, "#595959")), Spacer(1, 8)]
    cells = [[Paragraph(escape(f.label), style(9, "#595959", align=1)) for f in data.figures],
             [Paragraph(escape(f.value), style(17, leading=22, align=1)) for f in data.figures],
             [Paragraph(escape(f.change or "—"), style(8.5, "#595959", align=1)) for f in data.figures]]
    figures = Table(cells, colWidths=[width / len(data.figures)] * len(data.figures))
    figures.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F3F6FA")),
                                 ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
                                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                 ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    story += [figures, Spacer(1, 8)]

    left_w, right_w = width * 0.58, width * 0.42
    body_h = page_h - 2 * margin_y - 4.6 * cm          # what is left under the title and the figures
    left = [Paragraph("各项目执行率（由低到高）", style(10, leading=14)), Spacer(1, 4)]
    if data.chart_png:
        from PIL import Image as PILImage
        w, h = PILImage.open(io.BytesIO(data.chart_png)).size
        scale = min((left_w - 8) / w, (body_h - 30) / h)
        left.append(Image(io.BytesIO(data.chart_png), width=w * scale, height=h * scale))
    else:
        left.append(Paragraph(escape(data.chart_note or ""), style(9, "#C00000")))
    right = [Paragraph(escape(_attention_heading(data)), style(10, leading=14)), Spacer(1, 4)]
    for n, item in enumerate(data.attention, start=1):
        head, lines = _attention_lines(item)
        right.append(Paragraph(escape(f"{n}. {head}"), style(9, "#" + LIGHT_HEX.get(item["light"], "000000"))))
        for line in lines:
            right.append(Paragraph(escape(line), style(8, "#333333", leading=10.5)))
        right.append(Spacer(1, 4))
    body = Table([[KeepInFrame(left_w, body_h, left, mode="shrink"),
                   KeepInFrame(right_w, body_h, right, mode="shrink")]], colWidths=[left_w, right_w])
    body.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEBEFORE", (1, 0), (1, 0), 0.5, colors.HexColor("#CCCCCC")),
                              ("LEFTPADDING", (1, 0), (1, 0), 10)]))
    if _undecided_line(data):          # apart from the red ones: nobody has decided these indicators yet
        right.append(Paragraph(escape(_undecided_line(data)), style(9, leading=12)))
    body = Table([[KeepInFrame(left_w, body_h, left, mode="shrink"),
                   KeepInFrame(right_w, body_h, right, mode="shrink")]], colWidths=[left_w, right_w])
    body.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("LINEBEFORE", (1, 0), (1, 0), 0.5, colors.HexColor("#CCCCCC")),
                              ("LEFTPADDING", (1, 0), (1, 0), 10)]))
    story += [body, Spacer(1, 6), Paragraph(escape(_quality_line(data)), style(8.5, "#595959"))]
    doc.build(story)
    return buf.getvalue()


def brief_bytes(store: Store, filters: Filters, fmt: str, user=None) -> bytes:
    """"docx" or "pdf"."""
    if fmt == "pdf":
        return brief_pdf(store, filters, user=user)
    if fmt == "docx":
        return brief_docx(store, filters, user=user)
    raise ValueError(f"unknown brief format {fmt!r}")
