"""perfboard.overview on the sample: the figures equal summary() (one code path), deltas, 需关注, empties."""
from __future__ import annotations

import pytest

from perfboard.filters import Filters
from perfboard.overview import overview
from perfboard.summary import change, filter_options, summary, totals_with_base
from tests.dashboard_helpers import YEAR, add_copy_of_year

FILTERS = [
    Filters(year=YEAR),
    Filters(year=YEAR, search="招商"),
    Filters(year=YEAR, lights=("绿",)),
    Filters(year=YEAR, funding_sources=("省级转移支付资金",)),
    Filters(year=YEAR, departments=("张掖市科学技术局",), search="科技"),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
def test_figures_equal_summary(sample_store, f):
    o, s = overview(sample_store, f), summary(sample_store, f)
    for key in ("projects", "budget_wan", "spent_wan", "execution_rate"):
        assert o["figures"][key] == s[key], key
    assert o["chart_projects"] == sum(i["execution_rate"] is not None for i in s["items"])
    assert sorted(o["chart"]["name"]) == sorted(i["name"] for i in s["items"] if i["execution_rate"] is not None)
    assert o["departments"] == sorted({i["department"] for i in s["items"]})


def test_sample_2024_figures(sample_store):
    fig = overview(sample_store, Filters(year=YEAR))["figures"]
    assert fig["projects"] == 12
    assert round(fig["budget_wan"], 2) == 636.98
    assert fig["spent_wan"] == pytest.approx(635.517)
    assert f"{fig['execution_rate']:.2%}" == "99.77%"
    assert fig["deviation_projects"] == 1 and fig["budget_deviation_projects"] == 1
    assert fig["indicator_deviation_projects"] == 0
    assert (fig["indicators_met"], fig["indicators_total"]) == (52, 56)


def test_attention_lists_zhaoshang_with_reason_and_missing_measures(sample_store):
    o = overview(sample_store, Filters(year=YEAR))
    assert o["attention_total"] == 1
    (item,) = o["attention"]
    assert item["name"] == "2024 年招商引资"
    assert item["execution_rate"] == pytest.approx(0.7074)
    assert item["reported_rate"] == pytest.approx(0.704) and item["rate_mismatch"]
    assert item["light"] == "红"
    assert "过“紧日子”" in item["reason"]
    assert item["measures"] == "未填写"


def test_quality_counts_on_sample(sample_store):
    q = overview(sample_store, Filters(year=YEAR))["quality"]
    assert q["rate_mismatch"] == 1
    assert q["missing_actual"] == 0 and q["unmet_no_reason"] == 0 and q["budget_no_reason"] == 0
    assert q["missing_target"] == 4


def test_earliest_year_has_no_base_and_no_change(sample_store):
    first = min(filter_options(sample_store)["years"])
    o = overview(sample_store, Filters(year=first))
    assert o["base"] is None and o["base_year"] is None and o["change"] == {}


def test_change_from_previous_year_uses_summary_change(sample_store):
    add_copy_of_year(sample_store, year=2030, spent_factor=0.9)
    f = Filters(year=2030)
    o = overview(sample_store, f)
    current, base, base_year = totals_with_base(sample_store, f)
    assert o["base_year"] == base_year == YEAR
    expected = change(current, base)
    for key, value in expected.items():
        assert o["change"][key] == value, key
    assert o["change"]["spent_wan"] == pytest.approx(635.517 * 0.9 - 635.517)
    assert o["change"]["deviation_projects"] == o["figures"]["deviation_projects"] - 1
    assert o["change"]["indicators_met"] == 0


def test_base_year_without_matching_projects_shows_no_change(sample_store):
    add_copy_of_year(sample_store, year=2030)
    with sample_store.transaction() as cur:
        cur.execute("UPDATE projects SET name = name || '（新）' WHERE year = 2030 AND name LIKE '%招商%'")
    o = overview(sample_store, Filters(year=2030, search="（新）"))
    assert o["figures"]["projects"] == 1
    assert o["base"] is None and o["base_year"] == YEAR and o["change"] == {}


def test_filter_matching_nothing(sample_store):
    o = overview(sample_store, Filters(year=YEAR, search="没有这个项目"))
    assert o["figures"]["projects"] == 0 and o["figures"]["execution_rate"] is None
    assert o["attention"] == [] and all(n == 0 for n in o["quality"].values())


def test_empty_database(store):
    o = overview(store, Filters())
    assert o["figures"]["projects"] == 0 and o["base"] is None and o["attention"] == []


def test_bands_from_settings_change_the_deviation_count(sample_store):
    sample_store.set_setting("rate_bands", {"green": 0.7, "yellow": 0.5})
    o = overview(sample_store, Filters(year=YEAR))
    assert o["figures"]["deviation_projects"] == 0 and o["attention"] == []
    assert o["bands"] == {"green": 0.7, "yellow": 0.5}
