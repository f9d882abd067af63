"""`python -m perfboard export | forms | report | brief`: every table, files re-opened, the page's rows."""
from __future__ import annotations

import csv
import io

import pytest
from docx import Document
from openpyxl import load_workbook

from perfboard.cli import main
from perfboard.export.catalog import TABLES, build_table, table_names
from perfboard.filters import Filters


@pytest.mark.parametrize("what", table_names())
def test_export_every_table_as_xlsx_and_csv(sample_db_path, what, tmp_path):
    x, c = tmp_path / f"{what}.xlsx", tmp_path / f"{what}.csv"
    assert main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", what, "--out", str(x)]) == 0
    assert main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", what, "--format", "csv",
                 "--out", str(c)]) == 0
    ws = load_workbook(x).worksheets[0]
    assert ws["A2"].value.startswith("筛选：2024 年度")
    assert ws.freeze_panes == "A4"
    rows = list(csv.reader(io.StringIO(c.read_bytes().decode("utf-8-sig"))))
    assert [v for v in (cell.value for cell in ws[3])] == rows[0]


def test_exported_rows_are_the_pages_rows(sample_store):
    from perfboard.execution import execution
    table, df, totals = build_table(sample_store, Filters(year=2024), "execution")
    assert table is TABLES["projects"]
    page = execution(sample_store, Filters(year=2024))
    assert df.equals(page["table"]) and totals.equals(page["table_total"])


def test_projects_xlsx_content(sample_db_path, tmp_path):
    out = tmp_path / "p.xlsx"
    assert main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", "projects", "--out", str(out)]) == 0
    ws = load_workbook(out).worksheets[0]
    headers = [c.value for c in ws[3]]
    rows = {r[headers.index("项目名称")].value: r for r in ws.iter_rows(min_row=4)}
    zs = rows["2024 年招商引资"]
    assert zs[headers.index("全年执行数（万元）")].value == pytest.approx(3.537)
    assert zs[headers.index("全年执行数（万元）")].number_format == "#,##0.00"
    assert zs[headers.index("执行率")].number_format == "0.00%"
    assert zs[headers.index("状态")].fill.fgColor.rgb.endswith("FFC7CE")
    total = ws[ws.max_row]
    assert total[0].value.startswith("合计") and total[headers.index("全年预算数（万元）")].value == pytest.approx(636.98)


def test_forms_report_brief_commands(sample_db_path, tmp_path):
    db = ["--db", str(sample_db_path), "--year", "2024"]
    assert main(["forms", *db, "--out", str(tmp_path / "f.xlsx")]) == 0
    assert main(["forms", *db, "--variant", "sichuan", "--fill", "stored", "--out", str(tmp_path / "s.xlsx")]) == 0
    assert load_workbook(tmp_path / "s.xlsx").worksheets[0]["D5"].value == "年初预算"
    assert len(load_workbook(tmp_path / "f.xlsx").sheetnames) == 12
    assert main(["report", *db, "--out", str(tmp_path / "r.docx")]) == 0
    assert Document(tmp_path / "r.docx").paragraphs[0].text == "张掖市科学技术局2024年度项目支出绩效自评报告"
    assert main(["brief", *db, "--out", str(tmp_path / "b.docx")]) == 0
    assert main(["brief", *db, "--out", str(tmp_path / "b.pdf")]) == 0
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")


def test_usage_errors(sample_db_path, tmp_path, capsys):
    db = ["--db", str(sample_db_path)]
    assert main(["export", *db, "--what", "projects", "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["brief", *db, "--out", str(tmp_path / "x.pptx")]) == 2
    assert main(["forms", *db, "--year", "1999", "--out", str(tmp_path / "f.xlsx")]) == 1
    assert "没有项目" in capsys.readouterr().err
    assert main(["export", *db, "--what", "nonsense", "--out", str(tmp_path / "x.xlsx")]) == 2


def test_too_long_for_excel_is_a_chinese_refusal_not_a_traceback(sample_db_path, tmp_path, monkeypatch, capsys):
    from perfboard.export import tables
    monkeypatch.setattr(tables, "MAX_XLSX_ROWS", 5)          # the sample's 62 indicators stand in for 1,048,576 rows
    out = tmp_path / "indicators.xlsx"
    code = main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", "indicators", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "超过 Excel 工作表的行数上限" in err and "请导出 CSV" in err and "Traceback" not in err
    # CSV has no such limit: the same table exports
    assert main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", "indicators", "--format", "csv",
                 "--out", str(tmp_path / "indicators.csv")]) == 0


def test_report_section_limit_and_forms_refusal_from_the_command_line(sample_db_path, tmp_path, monkeypatch, capsys):
    db = ["--db", str(sample_db_path), "--year", "2024"]
    assert main(["report", *db, "--max-sections", "11", "--out", str(tmp_path / "a.docx")]) == 0
    text = "\n".join(p.text for p in Document(tmp_path / "a.docx").paragraphs)
    assert "逐项目章节只在筛选结果不超过11个项目时生成，本次共12个项目，未生成" in text and "一、" not in text
    assert main(["report", *db, "--max-sections", "5001", "--out", str(tmp_path / "b.docx")]) == 2
    assert "--max-sections 须在 0 到 5000 之间" in capsys.readouterr().err and not (tmp_path / "b.docx").exists()
    from perfboard.export import forms
    monkeypatch.setattr(forms, "MAX_SHEETS", 3)
    assert main(["forms", *db, "--out", str(tmp_path / "f.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "一个文件最多 3 个项目，当前筛选出 12 个" in err and "Traceback" not in err
