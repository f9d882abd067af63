"""Charts of the 同比分析 page, through their Vega-Lite specs."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard import charts_compare as charts
from perfboard.compare import compare, trend
from perfboard.filters import Filters


@pytest.fixture
def comparison(sample_store):
    return compare(sample_store, Filters(year=2024), 2023, 2024)


def many_items(n: int) -> pd.DataFrame:
    """n continued projects with rates and budgets 1..n."""
    return pd.DataFrame({
        "name": [f"项目{i}" for i in range(n)], "base_name": [f"旧项目{i}" for i in range(n)],
        "department": "甲局", "status": "continued", "size": [float(i + 1) for i in range(n)],
        "budget": [float(i + 1) for i in range(n)], "base_budget": [float(i) for i in range(n)],
        "budget_change": 1.0, "budget_change_pct": 0.1,
        "execution_rate": 0.9, "base_execution_rate": 0.8, "execution_rate_change_pp": 10.0})


def _layers(spec):
    return spec["layer"]


def test_dumbbell_has_both_years_per_continued_project(comparison):
    spec = charts.rate_dumbbell(comparison.items, 2023, 2024).to_dict()
    rule, dots, full = _layers(spec)
    assert rule["mark"]["type"] == "rule" and dots["mark"]["type"] == "circle"
    data = spec["datasets"][dots["data"]["name"]]
    assert len(data) == 2 * 10                                         # 10 continued projects, two years each
    zs = {d["年度"]: d["rate"] for d in data if d["label"] == "2024 年招商引资"}
    assert zs == {"2023 年": pytest.approx(0.92), "2024 年": pytest.approx(0.7074)}
    sort = dots["encoding"]["y"]["sort"]
    assert sort[0] == "2024 年招商引资"                                # the largest fall on top
    assert spec["title"]["subtitle"] == ""


def test_dumbbell_caps_marks_and_says_so():
    spec = charts.rate_dumbbell(many_items(50), 2023, 2024, top_n=8).to_dict()
    dots = _layers(spec)[1]
    assert len(spec["datasets"][dots["data"]["name"]]) == 16
    assert "8" in spec["title"]["subtitle"] and "50" in spec["title"]["subtitle"]


def test_budget_change_bars_fold_the_rest_and_add_up(comparison):
    spec = charts.budget_change_bar(comparison.items, 2023, 2024, top_n=5).to_dict()
    bars = _layers(spec)[0]
    data = spec["datasets"][bars["data"]["name"]]
    assert len(data) == 6 and data[-1]["label"] == "其他 9 个项目"
    assert sum(d["budget_change"] for d in data) == pytest.approx(comparison.change["budget_wan"])
    colours = bars["encoding"]["color"]["scale"]["domain"]
    assert "新增" in colours or "不再安排" in colours or "延续" in colours
    uncapped = charts.budget_change_data(comparison.items)[0]
    assert set(uncapped["status_zh"]) == {"延续", "新增", "不再安排"}


def test_trend_chart_two_axes(sample_store):
    t = trend(sample_store, Filters())
    spec = charts.trend_chart(t).to_dict()
    assert spec["resolve"]["scale"]["y"] == "independent"
    bars, line = _layers(spec)
    assert bars["mark"]["type"] == "bar" and line["mark"]["type"] == "line"
    assert len(spec["datasets"][bars["data"]["name"]]) == 2 * len(t)


def test_labels_unique():
    items = pd.DataFrame({"name": ["甲", "甲", None], "base_name": [None, None, "乙"], "department": ["一局", "二局", "一局"]})
    assert charts.labels(items).tolist() == ["甲（一局）", "甲（二局）", "乙"]
