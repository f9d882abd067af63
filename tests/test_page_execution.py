"""AppTest of 预算执行: the tables and their totals equal summary(), filters, charts, empty states."""
from __future__ import annotations

import pytest

from perfboard.filters import Filters
from perfboard.summary import summary
from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import YEAR, open_page, opened
from ui.state import K_FUNDS, K_SEARCH

pytestmark = pytest.mark.usefixtures("frame")
PAGE = "pages/execution.py"


def frames(at):
    return [d.value for d in at.dataframe]


def test_table_and_totals_equal_summary(app_env):
    at = open_page(PAGE)
    with opened(app_env) as s:
        expected = summary(s, Filters(year=YEAR))
    table, total, by_dept, dept_total, by_fund, fund_total = frames(at)
    assert len(table) == 12 and table["项目名称"].tolist() == [i["name"] for i in expected["items"]]
    assert total.iloc[0]["全年预算数（万元）"] == expected["budget_wan"]
    assert total.iloc[0]["全年执行数（万元）"] == expected["spent_wan"]
    assert total.iloc[0]["执行率"] == expected["execution_rate"]
    assert dept_total.iloc[0]["执行率（加权）"] == fund_total.iloc[0]["执行率（加权）"] == expected["execution_rate"]
    assert by_fund["全年预算数（万元）"].sum() == pytest.approx(expected["budget_wan"])
    assert [t.label for t in at.tabs] == ["按项目", "按主管部门", "按资金来源"]
    assert any("636.98 万元" in c.value and "99.77%" in c.value for c in at.caption)
    assert len(at.get("vega_lite_chart")) == 2


def test_search_and_funding_filters(app_env):
    at = open_page(PAGE)
    at.sidebar.text_input(key=K_SEARCH).input("招商").run()
    table = frames(at)[0]
    assert table["项目名称"].tolist() == ["2024 年招商引资"]
    at.sidebar.text_input(key=K_SEARCH).input("").run()
    at.sidebar.multiselect(key=K_FUNDS).select("省级转移支付资金").run()
    assert not at.exception
    # the two projects whose report states a provincial source (issue 15: unstated sources stay empty)
    assert len(frames(at)[0]) == 2 and frames(at)[1].iloc[0]["全年预算数（万元）"] == 35.0


def test_filter_matching_nothing(app_env):
    at = open_page(PAGE, **{K_SEARCH: "没有这个项目"})
    assert not at.dataframe and not at.get("vega_lite_chart")
    assert any("没有项目" in i.value for i in at.info)


# ---------------------------------------------------------------- a long table a page at a time (issue 9)
from perfboard.execution import figures, full_table  # noqa: E402
from tests.scale_fixtures import _synthetic_db, synthetic_db_path, synthetic_env  # noqa: E402,F401


def test_long_table_is_paged(synthetic_env):
    at = open_page(PAGE)
    with opened(synthetic_env) as s:
        e, full = figures(s, Filters(year=YEAR)), full_table(s, Filters(year=YEAR))
    n = e["totals"]["projects"]
    assert n > 200
    table, total = frames(at)[:2]
    assert len(table) == 200 and table["项目名称"].tolist() == full["项目名称"].head(200).tolist()
    assert total.iloc[0]["项目名称"] == f"合计（{n} 个项目）"
    assert total.iloc[0]["全年预算数（万元）"] == pytest.approx(e["totals"]["budget_wan"])
    assert any(f"共 {n:,} 行" in c.value for c in at.caption)
    at.number_input(key="exec_page").set_value(2).run()
    assert not at.exception
    assert frames(at)[0]["项目名称"].tolist() == full["项目名称"].iloc[200:].tolist()
    assert not at.get("download_button")[0].proto.disabled
    # the charts ship a bounded number of marks: 15 projects and one 其他 bar, bucket counts
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2
    import json
    order = json.loads(charts[0].proto.spec)["encoding"]["y"]["sort"]     # rows travel separately
    assert len(order) == 16 and order[-1] == f"其他 {n - 15} 个项目"
