"""AppTest of 总览: the figures shown equal summary(), deltas, filters, empty states, links."""
from __future__ import annotations

import json

import pytest

from perfboard.filters import Filters
from perfboard.summary import filter_options, summary
from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import YEAR, add_copy_of_year, deltas, metrics, open_page, opened
from ui.fmt import count, pct, wan
from ui.state import K_DQ, K_PRESENT, K_SEARCH

pytestmark = pytest.mark.usefixtures("frame")
PAGE = "pages/overview.py"


def test_figures_equal_summary(app_env):
    at = open_page(PAGE)
    with opened(app_env) as s:
        expected = summary(s, Filters(year=YEAR))
    shown = metrics(at)
    assert shown["项目数"] == count(expected["projects"]) == "12 个"
    assert shown["全年预算数（万元）"] == wan(expected["budget_wan"]) == "636.98"
    assert shown["全年执行数（万元）"] == wan(expected["spent_wan"]) == "635.52"
    assert shown["执行率"] == pct(expected["execution_rate"]) == "99.77%"
    assert shown["偏离项目"] == "3 个"        # 招商引资; 6 and 7 miss actuals of goal targets (issue 15)
    assert shown["指标达成"] == "52 / 62"
    assert at.title[0].value.startswith("总览")


def test_attention_list_and_chart(app_env):
    at = open_page(PAGE)
    text = "\n".join(m.value for m in at.markdown)
    assert "2024 年招商引资" in text and "70.74%" in text and "70.40%" in text
    assert "过“紧日子”" in text
    assert "改进措施：:orange[**未填写**]" in text
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    order = spec["layer"][0]["encoding"]["y"]["sort"]       # rows travel separately; the sort names them
    assert len(order) == 12 and order[0] == "2024 年招商引资"


def test_search_filter(app_env):
    at = open_page(PAGE)
    at.sidebar.text_input(key=K_SEARCH).input("招商").run()
    assert not at.exception
    shown = metrics(at)
    assert shown["项目数"] == "1 个" and shown["全年预算数（万元）"] == "5.00" and shown["执行率"] == "70.74%"


def test_light_filter_via_session_state(app_env):
    at = open_page(PAGE, f_lights=["绿"])
    assert metrics(at)["项目数"] == "11 个" and metrics(at)["偏离项目"] == "2 个"


def test_filter_matching_nothing(app_env):
    at = open_page(PAGE, **{K_SEARCH: "没有这个项目"})
    assert not at.metric and not at.get("vega_lite_chart")
    assert any("没有项目" in i.value for i in at.info)


def test_earliest_year_shows_no_delta(app_env):
    with opened(app_env) as s:
        first = min(filter_options(s)["years"])
    at = open_page(PAGE, year=first)
    assert at.metric and all(not d for d in deltas(at).values())
    assert any("没有更早年度的数据" in i.value for i in at.info)


def test_deltas_from_previous_year(app_env):
    with opened(app_env) as s:
        add_copy_of_year(s, year=2030, spent_factor=0.9)
    at = open_page(PAGE, year=2030)
    d = deltas(at)
    assert d["项目数"] == "0"
    assert d["全年预算数（万元）"] == "0"
    assert d["全年执行数（万元）"] == "-63.55（-10.0%）"
    assert d["执行率"] == "-9.98 个百分点"
    assert d["偏离项目"].startswith("+")
    assert any("与 2024 年度同口径比较" in c.value for c in at.caption)


def test_quality_link_opens_deviations(app_env):
    at = open_page(PAGE)
    at.button(key="dq_rate_mismatch").click().run()
    assert not at.exception
    assert at.title[0].value.startswith("偏离分析")
    assert at.session_state[K_DQ] == "rate_mismatch"


def test_presentation_mode(app_env):
    at = open_page(PAGE)
    at.sidebar.toggle(key=K_PRESENT).set_value(True).run()
    assert not at.exception
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["config"]["axis"]["labelFontSize"] == 16
    assert metrics(at)["执行率"] == "99.77%"


def test_sample_label_in_frame(app_env):
    at = open_page(PAGE)
    assert any("示例数据" in c.value for c in at.caption)


def test_empty_database(monkeypatch, tmp_path):
    import streamlit as st
    path = tmp_path / "empty.duckdb"
    with opened(path) as s:
        s.set_setting("sample_offered", True)       # a database whose owner removed the sample
    monkeypatch.setenv("PERFBOARD_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    for page in ("pages/overview.py", "pages/execution.py", "pages/deviations.py"):
        at = open_page(page, year=None)
        assert any("还没有项目数据" in i.value for i in at.info), page
        assert not at.metric and not at.get("vega_lite_chart")


def test_figures_equal_cli_summary_json(app_env, capsys):
    """The figures on the page are the ones `python -m perfboard summary --json` prints."""
    from perfboard.cli import main
    assert main(["summary", "--json", "--db", str(app_env), "--year", str(YEAR), "--search", "招商"]) == 0
    cli = json.loads(capsys.readouterr().out)
    at = open_page(PAGE, **{K_SEARCH: "招商"})
    shown = metrics(at)
    assert shown["项目数"] == count(cli["projects"])
    assert shown["全年预算数（万元）"] == wan(cli["budget_wan"])
    assert shown["全年执行数（万元）"] == wan(cli["spent_wan"])
    assert shown["执行率"] == pct(cli["execution_rate"]) == "70.74%"


from tests.synthetic_data import synthetic_db  # noqa: E402,F401  (fixture)


def test_chart_ships_only_the_bars_it_draws(monkeypatch, synthetic_db):
    """300 projects: the chart gets the 20 furthest from 100% and one "其他" bar, and says so."""
    import streamlit as st
    monkeypatch.setenv("PERFBOARD_DB", str(synthetic_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_page(PAGE)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    order = spec["layer"][0]["encoding"]["y"]["sort"]
    with opened(synthetic_db) as s:
        n = int(summary(s, Filters(year=YEAR))["projects"])
        with_rate = sum(i["execution_rate"] is not None for i in summary(s, Filters(year=YEAR))["items"])
    assert n == 300 and len(order) == 21 and order[-1] == f"其他 {with_rate - 20} 个项目"
    assert any(f"共 {with_rate:,} 个项目，显示执行率偏离 100% 最多的 20 个" in c.value for c in at.caption)
    assert metrics(at)["项目数"] == "300 个"
