"""perfboard.execution: the project table, its totals row and the grouped views (weighted rates)."""
from __future__ import annotations

import pytest

from perfboard.execution import execution, group_table
from perfboard.filters import Filters
from perfboard.summary import summary
from tests.dashboard_helpers import YEAR


@pytest.mark.parametrize("f", [Filters(year=YEAR), Filters(year=YEAR, search="招商"),
                               Filters(year=YEAR, funding_sources=("市级财政资金",))], ids=str)
def test_totals_equal_summary(sample_store, f):
    e, s = execution(sample_store, f), summary(sample_store, f)
    total = e["table_total"].iloc[0]
    assert total["全年预算数（万元）"] == s["budget_wan"] and total["全年执行数（万元）"] == s["spent_wan"]
    assert total["执行率"] == s["execution_rate"]
    assert len(e["table"]) == s["projects"]
    for key in ("by_department", "by_funding_source"):
        assert e[key]["全年预算数（万元）"].sum() == pytest.approx(s["budget_wan"])
        assert e[key]["项目数"].sum() == s["projects"]
        assert e[f"{key}_total"].iloc[0]["执行率（加权）"] == s["execution_rate"]


def test_project_table_on_sample(sample_store):
    t = execution(sample_store, Filters(year=YEAR))["table"]
    row = t.set_index("项目名称").loc["2024 年招商引资"]
    assert row["执行率"] == pytest.approx(0.7074) and row["填报执行率"] == pytest.approx(0.704)
    assert row["状态"] == "红" and row["资金来源"] == "市级财政资金"
    assert list(t.columns) == ["项目名称", "主管部门", "资金来源", "全年预算数（万元）", "全年执行数（万元）",
                               "执行率", "填报执行率", "状态"]


def test_grouped_by_funding_source_is_weighted(sample_store):
    g = execution(sample_store, Filters(year=YEAR))["by_funding_source"].set_index("资金来源")
    city = g.loc["市级财政资金"]
    assert city["项目数"] == 7 and city["偏离项目数"] == 1
    assert city["执行率（加权）"] == pytest.approx(454.517 / 455.98)     # not the mean of the rates
    assert g.index.tolist()[0] == "市级财政资金"                          # largest budget first


def test_unknown_grouping(sample_store):
    with pytest.raises(ValueError):
        group_table(execution(sample_store, Filters(year=YEAR))["projects"], "name")


def test_nothing_matches(sample_store):
    e = execution(sample_store, Filters(year=YEAR, search="没有"))
    assert e["totals"]["projects"] == 0 and e["table"].empty and e["by_department"].empty
    assert e["table_total"].iloc[0]["全年预算数（万元）"] == 0
