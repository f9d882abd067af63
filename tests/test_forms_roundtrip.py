"""issue 15: exported forms round-trip without turning estimates into facts: export the 2024 sample's forms,
import them into a fresh database, export again."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from perfboard.db import Store
from perfboard.export.forms import forms_xlsx
from perfboard.filters import Filters
from perfboard.importer import commit, prepare
from perfboard.scoring import score_report

Y2024, Y2023 = Filters(year=2024), Filters(year=2023)


def _values(data: bytes) -> dict:
    wb = load_workbook(io.BytesIO(data))
    return {n: [list(r) for r in wb[n].iter_rows(values_only=True)] for n in wb.sheetnames}


@pytest.mark.parametrize("variant", ["national", "sichuan"])
def test_export_import_export_keeps_grades_estimates_rates_and_content(sample_store, tmp_path, variant):
    first = forms_xlsx(sample_store, Y2024, variant)
    fresh = Store(tmp_path / "fresh.duckdb")
    try:
        plan = prepare(fresh, [("自评表.xlsx", first)])
        assert plan.ok, [p.text() for p in plan.report.errors]
        commit(fresh, plan)
        before = {i["name"]: i for i in score_report(sample_store, Y2024)}
        after = {i["name"]: i for i in score_report(fresh, Y2024)}
        assert len(after) == 12
        assert {n: i["grade"] for n, i in after.items()} == {n: i["grade"] for n, i in before.items()}
        assert {n: round(i["total"], 6) for n, i in after.items()} == {n: round(i["total"], 6) for n, i in before.items()}
        assert all(i["estimated"] is True for i in after.values())
        assert fresh.scalar("SELECT reported_rate FROM projects WHERE name = '2024 年招商引资'") == 0.704
        assert fresh.scalar("SELECT count(*) FROM indicators WHERE judgement = '达成'") == 52
        second = forms_xlsx(fresh, Y2024, variant)
    finally:
        fresh.close()
    assert _values(second) == _values(first)


def test_estimated_form_labels_say_estimate_and_rate_is_reported(sample_store):
    ws = load_workbook(io.BytesIO(forms_xlsx(sample_store, Y2024, project_ids=[
        sample_store.scalar("SELECT id FROM projects WHERE name = '2024 年招商引资'")])))["2024 年招商引资"]
    assert [ws["G5"].value, ws["H5"].value, ws["I5"].value] == ["分值（估算）", "执行率", "得分（估算）"]
    assert ws["H6"].value == 0.704
    assert ws["K12"].value == "评价结论" and ws["K14"].value == "达成"
    assert ws.print_area == "'2024 年招商引资'!$A$1:$J$20"        # the judgement column is not printed


def test_illustrative_year_forms_say_so(sample_store):
    wb = load_workbook(io.BytesIO(forms_xlsx(sample_store, Y2023)))
    for ws in wb.worksheets:
        assert ws["A1"].value == "项目支出绩效自评表（示例（虚构）数据）"
        notes = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("注：示例（虚构）")]
        assert len(notes) == 1
    wb = load_workbook(io.BytesIO(forms_xlsx(sample_store, Y2024)))
    assert not any("虚构" in str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
