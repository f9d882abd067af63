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
    assert row["状态"] == "红" and row["资金来源"] == "未填写"         # the report does not state it (issue 15)
    assert list(t.columns) == ["项目名称", "主管部门", "资金来源", "全年预算数（万元）", "全年执行数（万元）",
                               "执行率", "填报执行率", "状态"]


def test_grouped_by_funding_source_is_weighted(sample_store):
    g = execution(sample_store, Filters(year=YEAR))["by_funding_source"].set_index("资金来源")
    unstated = g.loc["未填写"]                      # 8 projects whose source the report does not state (issue 15)
    assert unstated["项目数"] == 8 and unstated["偏离项目数"] == 1
    assert unstated["执行率（加权）"] == pytest.approx(547.717 / 549.18)     # not the mean of the rates
    assert g.index.tolist() == ["未填写", "上年结转资金", "省级转移支付资金", "市级财政资金"]   # largest budget first


def test_unknown_grouping(sample_store):
    with pytest.raises(ValueError):
        group_table(execution(sample_store, Filters(year=YEAR))["projects"], "name")


def test_nothing_matches(sample_store):
    e = execution(sample_store, Filters(year=YEAR, search="没有"))
    assert e["totals"]["projects"] == 0 and e["table"].empty and e["by_department"].empty
    assert e["table_total"].iloc[0]["全年预算数（万元）"] == 0


# ---------------------------------------------------------------- SQL aggregates vs the pandas reference (issue 9)
import re  # noqa: E402

import pandas as pd  # noqa: E402

from perfboard import charts  # noqa: E402
from perfboard.db import QUERIES  # noqa: E402
from perfboard.deviations import BUDGET_DEVIATION_LIGHTS  # noqa: E402
from perfboard.execution import (aggregates, figures, full_table, project_rows, project_table,  # noqa: E402
                                 table_page)
from perfboard.summary import projects, totals  # noqa: E402
from tests.scale_fixtures import _synthetic_db, departments, synthetic_db_path, synthetic_store  # noqa: E402,F401


def test_filter_and_light_ctes_are_projects_sql_verbatim():
    """The light of a project is defined once, in queries/projects.sql (queries/scope.sql's scoped_projects
    is its tested copy); every aggregate query reads scoped_projects instead of carrying CTEs of its own."""
    cte = re.search(r"WITH p AS \(.*?\n    FROM p\n\)", QUERIES["projects"].sql, re.S).group(0)
    assert "AS light" in cte and "$green" in cte
    from perfboard.scope import SCOPED
    for name in ("execution_groups", "execution_projects", "compare_trend", "compare_projects", "score_projects",
                 "summary_items", "summary_money"):
        assert "FROM scoped_projects($year, $departments, $funding_sources, $search, $lights, $green, $yellow)" \
            in SCOPED[name].sql and "WITH p AS" not in SCOPED[name].sql, name


def reference(df: pd.DataFrame) -> dict:
    """The pre-issue-9 pandas implementation of the page's figures, over a projects() frame."""
    def group(by):
        key = df[by].fillna("未填写")
        rows = []
        for name, part in df.groupby(key, sort=False):
            t = totals(part)
            rows.append({"key": name, "projects": t["projects"], "budget": t["budget_wan"], "spent": t["spent_wan"],
                         "rate": t["execution_rate"],
                         "deviating": int(part["light"].isin(BUDGET_DEVIATION_LIGHTS).sum())})
        out = pd.DataFrame(rows, columns=["key", "projects", "budget", "spent", "rate", "deviating"])
        return out.sort_values("budget", ascending=False, kind="stable").reset_index(drop=True)

    capped = charts.cap_projects(df, 15, df["budget"])
    return {"totals": totals(df), "department": group("department"), "funding_source": group("funding_source"),
            "distribution": charts.rate_distribution_data(df), "table": project_table(df),
            "top": capped["name"].tolist(), "other": capped.iloc[-1].to_dict() if len(df) > 15 else None}


def assert_same_as_reference(store, f):
    df = projects(store, f)
    ref, e = reference(df), figures(store, f)
    assert e["totals"]["projects"] == ref["totals"]["projects"]
    assert e["totals"]["budget_wan"] == pytest.approx(ref["totals"]["budget_wan"], rel=1e-12, abs=1e-9)
    assert e["totals"]["spent_wan"] == pytest.approx(ref["totals"]["spent_wan"], rel=1e-12, abs=1e-9)
    for by, label in (("department", "主管部门"), ("funding_source", "资金来源")):
        got, want = e[f"by_{by}"], ref[by]
        assert got[label].tolist() == want["key"].tolist(), by
        assert got["项目数"].tolist() == want["projects"].tolist()
        assert got["偏离项目数"].tolist() == want["deviating"].tolist()
        assert got["全年预算数（万元）"].tolist() == pytest.approx(want["budget"].tolist(), rel=1e-12)
        assert got["全年执行数（万元）"].tolist() == pytest.approx(want["spent"].tolist(), rel=1e-12)
        assert [None if r is None or r != r else pytest.approx(r, rel=1e-12) for r in want["rate"]] == \
            [None if r is None or r != r else r for r in got["执行率（加权）"]]
        assert e[f"by_{by}_total"].iloc[0]["偏离项目数"] == int(df["light"].isin(BUDGET_DEVIATION_LIGHTS).sum())
    pd.testing.assert_frame_equal(e["distribution"], ref["distribution"], check_dtype=False)
    pd.testing.assert_frame_equal(full_table(store, f), ref["table"], check_dtype=False)
    assert e["top"]["name"].tolist() == ref["top"][:len(e["top"])]
    if ref["other"] is None:
        assert e["rest"] is None
    else:
        assert e["rest"]["projects"] == len(df) - 15
        assert e["rest"]["budget"] == pytest.approx(ref["other"]["budget"], rel=1e-9)
        assert e["rest"]["spent"] == pytest.approx(ref["other"]["spent"], rel=1e-9)


@pytest.mark.parametrize("f", [Filters(year=YEAR), Filters(year=YEAR, lights=("绿",)), Filters(year=YEAR, search="科技"),
                               Filters(), Filters(year=YEAR, search="没有")], ids=str)
def test_sql_figures_equal_pandas_on_sample(sample_store, f):
    assert_same_as_reference(sample_store, f)


def synthetic_filters(store):
    d = departments(store)
    return [Filters(year=2024), Filters(), Filters(year=2023, departments=(d[0], d[3])),
            Filters(year=2024, funding_sources=("市级财政资金", "未填写")), Filters(year=2022, lights=("黄", "红", "无预算")),
            Filters(year=2024, lights=("超预算",)), Filters(year=2024, search="招商"),
            Filters(year=2024, departments=(d[1],), funding_sources=("其他资金",), lights=("绿",))]


def test_sql_figures_equal_pandas_on_synthetic_data(synthetic_store):
    s = synthetic_store
    lights = set(projects(s, Filters())["light"])
    assert {"绿", "黄", "红", "超预算", "无预算"} <= lights                  # every branch of the light exercised
    assert projects(s, Filters())["funding_source"].isna().any()
    for f in synthetic_filters(s):
        assert_same_as_reference(s, f)


def test_rows_and_lights_agree_with_projects_sql(synthetic_store):
    s = synthetic_store
    for f in synthetic_filters(s):
        mine = project_rows(s, f).set_index("id")
        ref = projects(s, f).set_index("id")
        assert mine.index.tolist() == ref.index.tolist()
        assert mine["light"].tolist() == ref["light"].tolist()
        assert mine["execution_rate"].fillna(-1).tolist() == ref["execution_rate"].fillna(-1).tolist()


def test_sql_bucket_equals_rate_bucket(synthetic_store):
    """The bucket CASE of execution_groups.sql against charts.rate_bucket, on every rate of the data and
    on the edges."""
    s = synthetic_store
    edges = [0.0, 0.4999999, 0.5, 0.6999, 0.7, 0.8, 0.9, 0.95, 0.96, 1 - 2e-9, 1 - 1e-10, 1.0, 1 + 1e-10, 1 + 2e-9, 1.2]
    with s.transaction() as cur:
        for i, r in enumerate(edges):
            cur.execute("INSERT INTO projects (id, year, department, name, budget, spent) VALUES (?, 2030, '边界局', ?, 100, ?)",
                        [900000 + i, f"边界{i}", 100 * r])
    f = Filters(year=2030)
    got = figures(s, f)["distribution"]
    df = projects(s, f)
    want = df.assign(bucket=df["execution_rate"].map(charts.rate_bucket)).groupby(["bucket", "light"]).size()
    assert {(r.bucket, r.light): r.count for r in got.itertuples()} == want.to_dict()


def test_table_pages(synthetic_store):
    s, f = synthetic_store, Filters(year=2024)
    full = full_table(s, f)
    n = figures(s, f)["totals"]["projects"]
    assert len(full) == n > 200
    first, second = table_page(s, f, 200, 0), table_page(s, f, 200, 200)
    assert len(first) == 200 and len(second) == n - 200
    pd.testing.assert_frame_equal(pd.concat([first, second], ignore_index=True), full)
    assert table_page(s, f, 200, 10_000).empty
    assert table_page(s, f, 7, 3).equals(full.iloc[3:10].reset_index(drop=True))


def test_aggregates_are_small(synthetic_store):
    """What the page loads does not grow with the projects: a row per group and bucket."""
    agg = aggregates(synthetic_store, Filters())
    assert len(agg) <= 1 + 7 + 6 + 8 * 5 + 5
    e = figures(synthetic_store, Filters())
    assert len(e["top"]) == 15 and e["rest"]["projects"] == e["totals"]["projects"] - 15
    assert "table" not in e and "projects" not in e
