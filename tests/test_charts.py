"""perfboard.charts: pure DataFrame -> alt.Chart builders, checked through to_dict()."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from perfboard import charts
from perfboard.filters import Filters
from perfboard.summary import projects
from tests.dashboard_helpers import YEAR


@pytest.fixture
def sample_projects(sample_store):
    return projects(sample_store, Filters(year=YEAR))


def synthetic(n: int) -> pd.DataFrame:
    """n projects with rates spread from 10% to 120% (one in ten 100%)."""
    rows = []
    for i in range(n):
        rate = 1.0 if i % 10 == 0 else 0.1 + 1.1 * i / n
        light = "超预算" if rate > 1 else "绿" if rate >= 0.95 else "黄" if rate >= 0.9 else "红"
        rows.append({"id": i + 1, "name": f"项目{i:04d}" + "很长的名字" * (i % 3), "department": "局",
                     "budget": 10.0 + i, "spent": (10.0 + i) * rate, "execution_rate": rate,
                     "reported_rate": None, "light": light})
    return pd.DataFrame(rows)


def rows_of(spec: dict) -> list[dict]:
    """Every data row a chart ships to the browser."""
    return [r for ds in spec.get("datasets", {}).values() for r in ds]


def layer_data(spec: dict, i: int) -> list[dict]:
    return spec["datasets"][spec["layer"][i]["data"]["name"]]


def test_execution_rate_chart_on_sample(sample_projects):
    spec = charts.execution_rate_chart(sample_projects, {"green": 0.95, "yellow": 0.9}).to_dict()
    bars = layer_data(spec, 0)
    assert len(bars) == 12
    assert bars[0]["name"] == "2024 年招商引资" and bars[0]["light"] == "红"      # lowest first
    assert [b["execution_rate"] for b in bars] == sorted(b["execution_rate"] for b in bars)
    enc = spec["layer"][0]["encoding"]
    assert enc["y"]["sort"][0] == "2024 年招商引资"
    assert {t["field"] for t in enc["tooltip"]} >= {"name", "budget", "spent", "execution_rate", "reported_rate"}
    assert {t["title"] for t in enc["tooltip"]} >= {"全年预算数（万元）", "全年执行数（万元）", "执行率", "填报执行率"}
    assert enc["color"]["scale"]["domain"] == ["绿", "红"]
    assert enc["color"]["scale"]["range"] == [charts.LIGHT_COLORS["绿"], charts.LIGHT_COLORS["红"]]
    lines = layer_data(spec, 2)
    assert sorted(line["value"] for line in lines) == [0.9, 0.95, 1.0]
    assert "绿 95%" in {line["label"] for line in lines}
    assert enc["y"]["axis"]["labelLimit"] == charts.LABEL_LIMIT                 # long names end in …
    assert "Microsoft YaHei" in spec["config"]["font"]


def test_rate_chart_follows_bands(sample_projects):
    spec = charts.execution_rate_chart(sample_projects, {"green": 0.925, "yellow": 0.8}).to_dict()
    assert {line["label"] for line in layer_data(spec, 2)} == {"100%", "绿 92.5%", "黄 80%"}



def test_rate_chart_reference_layers_are_reused_unchanged(sample_projects):
    """The band lines and labels are built once per (bands, type size) and shared: a chart of other
    data or other bands in between leaves the next chart exactly as the first."""
    first = json.dumps(charts.execution_rate_chart(sample_projects, {"green": 0.95, "yellow": 0.9}).to_dict())
    other = charts.execution_rate_chart(sample_projects.head(3), {"green": 0.95, "yellow": 0.9}, font_size=16)
    assert len(layer_data(other.to_dict(), 0)) == 3
    charts.execution_rate_chart(sample_projects, {"green": 0.8, "yellow": 0.5}).to_dict()
    assert json.dumps(charts.execution_rate_chart(sample_projects, {"green": 0.95, "yellow": 0.9}).to_dict()) == first
    labels = [layer for layer in other.to_dict()["layer"][3:]]
    assert [layer["mark"]["fontSize"] for layer in labels] == [15, 15, 15]

def test_rate_chart_caps_marks():
    df = synthetic(3000)
    spec = charts.execution_rate_chart(df, top_n=20).to_dict()
    bars = layer_data(spec, 0)
    assert len(bars) == 21
    other = bars[-1]
    assert other["name"] == "其他 2980 个项目" and other["light"] == "其他"
    kept = {b["id"] for b in bars[:-1]}
    rest = df[~df["id"].isin(kept)]
    assert other["execution_rate"] == pytest.approx(rest["spent"].sum() / rest["budget"].sum())
    assert len(json.dumps(spec)) < 60_000


def test_budget_spent_chart_pairs_bars(sample_projects):
    spec = charts.budget_spent_chart(sample_projects).to_dict()
    data = rows_of(spec)
    assert len(data) == 24
    assert {r["measure"] for r in data} == {"全年预算数", "全年执行数"}
    zs = {r["measure"]: r["amount"] for r in data if r["name"] == "2024 年招商引资"}
    assert zs == {"全年预算数": 5.0, "全年执行数": pytest.approx(3.537)}
    assert spec["encoding"]["y"]["sort"][0] == "2024 年市级科技计划项目"            # largest budget first
    assert spec["encoding"]["x"]["title"] == "万元"


def test_budget_spent_chart_caps_marks():
    spec = charts.budget_spent_chart(synthetic(2000), top_n=15).to_dict()
    assert len(rows_of(spec)) == 32
    assert spec["encoding"]["y"]["sort"][-1] == "其他 1985 个项目"


def test_rate_distribution(sample_projects):
    data = charts.rate_distribution_data(sample_projects)
    assert data[["bucket", "light", "count"]].values.tolist() == [["70–80%", "红", 1], ["100%", "绿", 11]]
    spec = charts.rate_distribution_chart(sample_projects).to_dict()
    assert spec["encoding"]["x"]["scale"]["domain"] == charts.RATE_BUCKETS
    assert spec["encoding"]["y"]["title"] == "项目数"


def test_rate_distribution_is_bounded():
    data = charts.rate_distribution_data(synthetic(5000))
    assert len(data) <= len(charts.RATE_BUCKETS) * len(charts.LIGHT_COLORS)
    assert data["count"].sum() == 5000
    assert all(len(n) < 120 for n in data["names"])


@pytest.mark.parametrize("rate, bucket", [(0.7074, "70–80%"), (1.0, "100%"), (1.0000000001, "100%"),
                                          (1.2, ">100%"), (0.96, "95–100%"), (0.1, "<50%"), (None, None)])
def test_rate_bucket(rate, bucket):
    assert charts.rate_bucket(rate) == bucket


def test_unique_labels():
    df = pd.DataFrame({"id": [1, 2, 3, 4], "name": ["甲", "甲", "乙", "乙"], "department": ["A", "B", "C", "C"]})
    assert charts.unique_labels(df).tolist() == ["甲（A）", "甲（B）", "乙（C） #3", "乙（C） #4"]


def test_builders_accept_empty_frames(sample_projects):
    empty = sample_projects.iloc[0:0]
    for chart in (charts.execution_rate_chart(empty), charts.budget_spent_chart(empty),
                  charts.rate_distribution_chart(empty)):
        chart.to_dict()


def test_presentation_font_size(sample_projects):
    spec = charts.execution_rate_chart(sample_projects, font_size=16).to_dict()
    assert spec["config"]["axis"]["labelFontSize"] == 16


def test_page_spec_skips_only_the_validation(sample_projects):
    """ui.render builds the overview chart's spec without schema validation: the same JSON as the
    validated spec."""
    from ui.render import _rate_chart_spec
    rows = charts.rate_chart_data(sample_projects, 20)
    bands = {"green": 0.95, "yellow": 0.9}
    want = charts.execution_rate_chart(rows, bands, top_n=len(rows), font_size=16).to_dict()
    got = _rate_chart_spec.__wrapped__(rows, tuple(sorted(bands.items())), 16)
    assert json.dumps(got, ensure_ascii=False) == json.dumps(want, ensure_ascii=False)


@pytest.mark.parametrize("n,top_n,font,bands,bar_step", [
    (1, 20, 12, None, None), (6, 4, 12, None, None), (40, 20, 16, {"green": 0.8, "yellow": 0.6}, None),
    (25, 25, 12, {"green": 0.9, "yellow": 0.7}, 30), (3, 20, 14, None, None)])
def test_execution_rate_spec_is_the_charts_dict(n, top_n, font, bands, bar_step):
    """The spec made without building the chart is the chart's to_dict, whatever the rows: counts, lights
    present, the folded 其他 bar, rates over 100% (a wider x range), repeated names, type sizes, bands."""
    df = synthetic(n)
    if n == 3:
        df["execution_rate"] = [1.0, 1.0, 1.0]            # all on 100%: no labels, x range the minimum
        df["light"] = ["绿", "绿", "绿"]
        df["name"] = ["同名项目", "同名项目", "另一个"]        # labels made unique with the department, then the id
    got = charts.execution_rate_spec(df, bands, top_n, font, bar_step)
    want = charts.execution_rate_chart(df, bands, top_n, font, bar_step).to_dict(validate=False)
    assert json.dumps(got, ensure_ascii=False) == json.dumps(want, ensure_ascii=False)     # same keys, same order
    assert rows_of(got) and got["height"] > 0


def test_execution_rate_spec_does_not_change_its_skeleton():
    a = charts.execution_rate_spec(synthetic(5), None, 20, 12)
    a["layer"][0]["encoding"]["y"]["sort"].append("改动")
    a["datasets"].clear()
    b = charts.execution_rate_spec(synthetic(5), None, 20, 12)
    assert b == charts.execution_rate_chart(synthetic(5), None, 20, 12).to_dict(validate=False)


def test_execution_rate_spec_does_not_keep_a_skeleton_made_under_another_transformer():
    """Altair's active data transformer is global (Streamlit switches it to its Arrow one for its own
    conversions): a skeleton made under it is refused, not cached, and the rows' values never depend on it."""
    import altair as alt
    alt.data_transformers.register("bench_named_only", lambda data, **kw: {"name": "elsewhere"})
    charts._rate_skeleton.cache_clear()
    with alt.data_transformers.enable("bench_named_only"):
        with pytest.raises(RuntimeError):
            charts.execution_rate_spec(synthetic(5), None, 20, 13)
    got = charts.execution_rate_spec(synthetic(5), None, 20, 13)
    assert got == charts.execution_rate_chart(synthetic(5), None, 20, 13).to_dict(validate=False)
