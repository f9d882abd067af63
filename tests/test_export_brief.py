"""The one-page meeting brief: its content (the overview's figures with year-over-year changes, the chart,
the attention list), the .docx re-opened, the .pdf (one A4 landscape page, CJK font embedded), and what
happens without a CJK font."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from docx import Document

from perfboard.export import brief as brief_mod
from perfboard.export import fonts
from perfboard.export.brief import brief_data, brief_docx, brief_pdf, change_pp, change_wan, chart_png
from perfboard.filters import Filters

Y2024 = Filters(year=2024)


@pytest.fixture(scope="module")
def data_2024(_sample_db, tmp_path_factory):
    """brief_data of the sample (chart included), computed once: vl-convert takes a moment."""
    from perfboard.db import Store
    path = tmp_path_factory.mktemp("brief") / "s.duckdb"
    shutil.copy(_sample_db, path)
    s = Store(path)
    yield s, brief_data(s, Y2024)
    s.close()


def test_brief_content(data_2024):
    _, d = data_2024
    assert d.title == "张掖市科学技术局 2024 年度预算绩效简报"
    assert "变化为与 2023 年度（示例（虚构））同口径比较" in d.subtitle          # the 2023 sample is invented
    figures = {f.label: (f.value, f.change) for f in d.figures}
    assert figures["项目数"][0] == "12 个"
    assert figures["全年预算数（万元）"][0] == "636.98"
    assert figures["全年执行数（万元）"][0] == "635.52"
    assert figures["执行率"][0] == "99.77%"
    assert all(change is not None for _, change in figures.values())      # the sample has a 2023 to compare with
    assert [a["name"] for a in d.attention] == ["2024 年招商引资", "市级科技计划项目", "完成技术合同登记任务指标机构奖励"]
    assert d.attention[0]["reason"].startswith("2024 年招商引资工作经费 5 万元")
    assert d.chart_png.startswith(b"\x89PNG") and d.chart_note is None
    # every label counts what it says (issue 15): 4 undecided rows are not "47 without a target"; the items are
    # the 自评复核 rules' (tests/test_brief_review.py)
    assert [q.text for q in d.quality] == ["填报执行率与计算值不一致 1 个项目", "指标缺少实际完成值 6 条指标",
                                           "指标无年度指标值且未人工判定 4 条指标"]
    assert d.undecided == [("2024 年残疾人就业保障金", 3), ("2024 年招商引资", 1)]      # apart from the red ones


def test_change_texts():
    assert change_wan(24.98, 0.041) == "+24.98 万元（+4.1%）"
    assert change_wan(-3, None) == "−3.00 万元"
    assert change_wan(0.001, 0) == "持平"
    assert change_pp(12.97) == "+12.97 个百分点" and change_pp(None) is None


def test_brief_docx(data_2024):
    store, d = data_2024
    doc = Document(io.BytesIO(brief_docx(store, Y2024, d)))
    sec = doc.sections[0]
    assert sec.page_width > sec.page_height                              # A4 landscape
    assert round(sec.page_width.cm, 1) == 29.7 and round(sec.page_height.cm, 1) == 21.0
    assert doc.paragraphs[0].text == d.title and doc.paragraphs[0].style.name == "Title"
    figures = doc.tables[0]
    assert [c.text for c in figures.rows[1].cells] == ["12 个", "636.98", "635.52", "99.77%", d.figures[4].value,
                                                       d.figures[5].value]
    assert len(doc.inline_shapes) == 1                                   # the chart
    right = doc.tables[1].cell(0, 1).text
    assert "需关注（3 个项目偏离）" in right and "1. 2024 年招商引资" in right
    assert "待判定指标：2024 年残疾人就业保障金 3 条、2024 年招商引资 1 条" in right and "偏离原因：2024 年招商引资工作经费" in right


def test_brief_pdf_one_landscape_page_with_embedded_font(data_2024):
    store, d = data_2024
    pdf = brief_pdf(store, Y2024, d)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0 0 841\.8\d* 595\.2\d*", pdf)
    assert b"/FontFile2" in pdf and fonts.find_cjk_font().family.replace(" ", "").encode() in pdf
    if shutil.which("pdftotext"):                     # poppler, where installed: the text really is there
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True).stdout.decode()
        for needle in ("预算绩效简报", "636.98", "635.52", "99.77%", "2024 年招商引资", "需关注"):
            assert needle in text, needle


def test_no_cjk_font(sample_store, sample_db_path, monkeypatch, capsys, tmp_path):
    store = sample_store

    def missing():
        raise fonts.FontMissing(fonts.INSTALL_HINT)
    monkeypatch.setattr(brief_mod, "reportlab_font", missing)
    monkeypatch.setattr(brief_mod, "vl_convert_font", missing)
    with pytest.raises(fonts.FontMissing, match="fonts-wqy-microhei"):
        brief_pdf(store, Y2024)
    d = brief_data(store, Y2024)
    assert d.chart_png is None and "fonts-wqy-microhei" in d.chart_note
    doc = Document(io.BytesIO(brief_docx(store, Y2024, d)))
    assert len(doc.inline_shapes) == 0 and "执行率图未生成" in doc.tables[1].cell(0, 0).text

    from perfboard.cli import main
    store.close()                      # one process may hold the file: the CLI opens it itself
    out = tmp_path / "b.pdf"
    assert main(["brief", "--db", str(sample_db_path), "--year", "2024", "--out", str(out)]) == 1
    assert "fonts-wqy-microhei" in capsys.readouterr().err and not out.exists()


def test_font_from_environment(monkeypatch, tmp_path):
    fonts.find_cjk_font.cache_clear()
    try:
        bad = tmp_path / "nofont.ttf"
        bad.write_bytes(b"not a font")
        monkeypatch.setenv(fonts.ENV, str(bad))
        with pytest.raises(fonts.FontMissing, match=fonts.ENV):
            fonts.find_cjk_font()
        monkeypatch.setenv(fonts.ENV, str(fonts.CANDIDATES[0]))
        if fonts._load(fonts.CANDIDATES[0]):
            assert fonts.find_cjk_font().path.name == "wqy-microhei.ttc"
    finally:
        fonts.find_cjk_font.cache_clear()


def test_chart_png_without_rates(data_2024):
    store, _ = data_2024
    from perfboard.summary import projects
    df = projects(store, Y2024).assign(execution_rate=None)
    assert chart_png(df, {"green": 0.95, "yellow": 0.9}) is None


def test_undecided_line_names_ten_projects_and_counts_the_rest():
    """At a province's scale 100,000 projects had undecided indicators: the one page named them all (2.8M
    characters). It names the ten with the most and counts every project and indicator."""
    from perfboard.export.brief import BriefData, _undecided_line
    d = BriefData(title="", subtitle="", figures=[], attention=[], attention_total=0, quality=[],
                  undecided=[(f"项目{i}", 12 - i) for i in range(12)], review=[])
    line = _undecided_line(d)
    assert line.startswith("待判定指标：项目0 12 条、项目1 11 条") and "项目9 3 条等 12 个项目共 78 条（逐条见“自评复核”页面）" in line
    assert "项目10" not in line
    d.undecided = d.undecided[:10]
    assert _undecided_line(d).endswith("项目9 3 条")
