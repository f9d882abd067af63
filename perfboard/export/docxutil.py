"""python-docx helpers shared by the report and the brief: Chinese fonts on styles, page setup, page numbers."""
from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

BLACK = RGBColor(0, 0, 0)
MISSING_COLOUR = RGBColor(0xC0, 0x00, 0x00)   # placeholders such as （未填写项目概况）: easy to spot, easy to delete


def set_fonts(style_or_run, east_asian: str, latin: str = "Times New Roman") -> None:
    """Set the Latin and the East Asian font (python-docx's font.name sets only the Latin one), and drop
    theme fonts, which would otherwise win in Word."""
    style_or_run.font.name = latin
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(key), latin)
    fonts.set(qn("w:eastAsia"), east_asian)


def style_text(doc, name: str, east_asian: str, size_pt: float, bold: bool = False, colour=BLACK,
               latin: str = "Times New Roman"):
    st = doc.styles[name]
    set_fonts(st, east_asian, latin)
    st.font.size = Pt(size_pt)
    st.font.bold = bold
    st.font.italic = False
    st.font.color.rgb = colour
    return st


def add_page_number_footer(section, template: str = "- {} -") -> None:
    """Centered page number in the footer, e.g. "- 3 -" as in government documents."""
    p = section.footer.paragraphs[0] if section.footer.paragraphs else section.footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, after = template.partition("{}")
    if before:
        p.add_run(before)
    run = p.add_run()
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), tag)
            run._r.append(fld)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
    if after:
        p.add_run(after)


def shade_cell(cell, hex_fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_fill)
    tc_pr.append(shd)


def fixed_widths(table, widths) -> None:
    """Column widths Word and LibreOffice both respect: fixed layout, every cell sized."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for i, w in enumerate(widths):
        table.columns[i].width = w
        for cell in table.columns[i].cells:
            cell.width = w
