"""The shipped sample, imported by the app's own importer, gives the hand-computed 2024 figures.

Other sample years may be added to data/sample/, so every pinned figure filters year=2024."""
from __future__ import annotations

from collections import Counter

import pytest
from openpyxl import load_workbook

from perfboard.filters import Filters
from perfboard.sample import SAMPLE_DIR, load_sample, sample_files
from perfboard.summary import summary

WORKBOOK_2024 = SAMPLE_DIR / "zhangye-kjj-2024.xlsx"
Y2024 = Filters(year=2024)


@pytest.fixture(scope="module")
def workbook_indicators():
    """绩效指标 rows of the 2024 workbook, read with openpyxl (independent of the importer): name -> count."""
    ws = load_workbook(WORKBOOK_2024, read_only=True)["绩效指标"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    year, name = header.index("年度"), header.index("项目名称")
    return Counter(str(r[name]).strip() for r in rows[1:] if any(v not in (None, "") for v in r) and int(r[year]) == 2024)


def test_sample_loads_cleanly(store):
    assert WORKBOOK_2024 in sample_files()
    plan = load_sample(store)
    assert plan.ok
    problems = [(p.code, p.severity, p.file, p.sheet, p.row, p.column) for p in plan.report.problems
                if p.severity != "info" and p.file == WORKBOOK_2024.name]
    # the only warning of the 2024 workbook: 招商引资 reports 70.4% where 3.537 / 5 = 70.74%
    assert problems == [("rate-mismatch", "warning", WORKBOOK_2024.name, "项目", 5, "执行率")]


def test_2024_totals(sample_store):
    s = summary(sample_store, Y2024)
    assert s["years"] == [2024]
    assert s["projects"] == 12
    assert s["budget_wan"] == pytest.approx(636.98, abs=1e-9)
    assert s["spent_wan"] == pytest.approx(635.517, abs=1e-9)
    assert s["execution_rate"] == pytest.approx(635.517 / 636.98, rel=1e-12)
    assert s["execution_rate"] == pytest.approx(0.99770, abs=5e-6)
    assert round(s["execution_rate"] * 100, 2) == 99.77
    assert sum(i["budget_wan"] for i in s["items"]) == pytest.approx(636.98, abs=1e-9)


def test_exactly_one_project_under_100_percent_is_zhaoshang(sample_store):
    items = summary(sample_store, Y2024)["items"]
    under = [i for i in items if i["execution_rate"] < 1 - 1e-12]
    assert len(under) == 1
    (p,) = under
    assert "招商引资" in p["name"]
    assert (p["budget_wan"], p["spent_wan"]) == (5.0, 3.537)
    assert p["execution_rate"] == pytest.approx(3.537 / 5, rel=1e-12)
    assert p["execution_rate"] == pytest.approx(0.7074, abs=1e-12)
    assert p["reported_rate"] == pytest.approx(0.704, abs=1e-12)
    assert p["rate_mismatch"] is True
    assert [i["name"] for i in items if i["rate_mismatch"]] == [p["name"]]


def test_indicator_count_equals_workbook_rows(sample_store, workbook_indicators):
    items = summary(sample_store, Y2024)["items"]
    assert sum(i["indicators"] for i in items) == sum(workbook_indicators.values())
    assert {i["name"]: i["indicators"] for i in items} == dict(workbook_indicators)
    n = sample_store.scalar("SELECT count(*) FROM indicators i JOIN projects p ON p.id = i.project_id WHERE p.year = 2024")
    assert n == sum(workbook_indicators.values())


def test_summary_keys_exactly_as_the_issue_lists(sample_store):
    s = summary(sample_store, Y2024)
    assert set(s) == {"years", "projects", "budget_wan", "spent_wan", "execution_rate", "items"}
    for item in s["items"]:
        assert set(item) == {"year", "department", "name", "code", "budget_wan", "spent_wan", "execution_rate",
                             "reported_rate", "rate_mismatch", "indicators"}
        assert isinstance(item["rate_mismatch"], bool) and isinstance(item["indicators"], int)
        assert item["year"] == 2024


def test_reloading_the_sample_replaces_it(sample_store):
    before = summary(sample_store, Y2024)
    plan = load_sample(sample_store)
    assert plan.ok
    assert summary(sample_store, Y2024) == before
