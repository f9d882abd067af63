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
    assert fig["deviation_projects"] == 3 and fig["budget_deviation_projects"] == 1
    # issue 15: the goal targets of projects 6 and 7 have no actual in the report (a missing actual deviates)
    assert fig["indicator_deviation_projects"] == 2
    assert (fig["indicators_met"], fig["indicators_total"]) == (52, 62)


def test_attention_lists_zhaoshang_with_reason_and_missing_measures(sample_store):
    o = overview(sample_store, Filters(year=YEAR))
    assert o["attention_total"] == 3
    assert [i["name"] for i in o["attention"]][1:] == ["市级科技计划项目", "完成技术合同登记任务指标机构奖励"]
    item = o["attention"][0]
    assert item["name"] == "2024 年招商引资"
    assert item["execution_rate"] == pytest.approx(0.7074)
    assert item["reported_rate"] == pytest.approx(0.704) and item["rate_mismatch"]
    assert item["light"] == "红"
    assert "过“紧日子”" in item["reason"]
    assert item["measures"] == "未填写"


def test_quality_counts_on_sample(sample_store):
    q = overview(sample_store, Filters(year=YEAR))["quality"]
    assert q["rate_mismatch"] == 1
    assert q["missing_actual"] == 6 and q["unmet_no_reason"] == 0 and q["budget_no_reason"] == 0
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
    assert o["change"]["deviation_projects"] == o["figures"]["deviation_projects"] - 3
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
    assert o["figures"]["deviation_projects"] == 2             # only the two projects missing actuals
    assert [i["name"] for i in o["attention"]] == ["市级科技计划项目", "完成技术合同登记任务指标机构奖励"]
    assert o["bands"] == {"green": 0.7, "yellow": 0.5}


# ---------------------------------------------------------------- SQL = the old pandas computation
from perfboard.charts import rate_chart_data  # noqa: E402
from perfboard.summary import projects  # noqa: E402
from tests import deviation_reference as ref  # noqa: E402
from tests.synthetic_data import synthetic_db, synthetic_store  # noqa: E402,F401  (fixtures)

SYNTHETIC = [Filters(year=2024), Filters(year=2023, departments=("张掖市教育局", "酒泉市科学技术局")),
             Filters(year=2024, lights=("红", "黄")), Filters(year=2024, search="没有这个项目")]


def _same_overview(store, f, limit=8, top=20):
    o, want = overview(store, f, attention_limit=limit, chart_top=top), ref.figures(store, f)
    for k in ("projects", "deviation_projects", "indicators_met", "indicators_total", "indicators_pending"):
        assert o["figures"][k] == want[k], k
    assert o["quality"] == want["quality"] and o["departments"] == want["departments"]
    assert o["attention_total"] == int(want["_flags"]["in_deviation"].sum())
    assert o["attention"] == ref.attention(want["_flags"], limit)
    # the chart draws the same bars as it did from every project (the rest folded into "其他")
    df = projects(store, f)
    assert o["chart_projects"] == int(df["execution_rate"].notna().sum())
    got, expected = rate_chart_data(o["chart"], top_n=len(o["chart"])), rate_chart_data(df, top_n=top)
    assert got["id"].tolist() == expected["id"].tolist() and got["name"].tolist() == expected["name"].tolist()
    assert got["light"].tolist() == expected["light"].tolist()
    for col in ("budget", "spent", "execution_rate"):
        assert got[col].tolist() == pytest.approx(expected[col].tolist(), rel=1e-9, nan_ok=True), col
    return o


def test_overview_equals_pandas_on_sample(sample_store):
    o = _same_overview(sample_store, Filters(year=2023), limit=3, top=5)
    assert o["attention_total"] == 7 and len(o["attention"]) == 3
    assert o["chart"]["name"].iloc[-1] == "其他 7 个项目" and o["chart_projects"] == 12


@pytest.mark.parametrize("f", SYNTHETIC, ids=str)
def test_overview_equals_pandas_on_synthetic(synthetic_store, f):
    o = _same_overview(synthetic_store, f)
    if f == Filters(year=2024):
        assert o["attention_total"] > 8 and any(i["deviating_indicators"] for i in o["attention"])
        assert o["base_year"] == 2023 and o["base"]["projects"] == 300
        base = ref.figures(synthetic_store, f.with_year(2023))
        assert o["change"]["deviation_projects"] == o["figures"]["deviation_projects"] - base["deviation_projects"]
        assert o["change"]["indicators_met"] == o["figures"]["indicators_met"] - base["indicators_met"]


def test_full_attention_list_names_every_deviating_indicator(synthetic_store):
    f = Filters(year=2024)
    o = overview(synthetic_store, f, attention_limit=None)
    want = ref.figures(synthetic_store, f)["_flags"]
    assert o["attention"] == ref.attention(want) and len(o["attention"]) == o["attention_total"]
