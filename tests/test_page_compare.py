"""The 同比分析 page through AppTest: figures, matched projects, confirm/reject/undo, empty states."""
from __future__ import annotations

from pathlib import Path

import pytest
import pandas as pd
from streamlit.testing.v1 import AppTest

from perfboard.db import Store
from perfboard.importer import import_paths
from perfboard.sample import SAMPLE_DIR

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/compare.py"


def open_compare(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "info", "warning", "success") for e in at.get(kind))


def project_table(at):
    return at.dataframe[0].value


def test_matched_projects_and_figures(app_env):
    at = open_compare()
    assert at.title[0].value == "同比分析"
    assert (at.selectbox(key="cmp_year").value, at.selectbox(key="cmp_base").value) == (2024, 2023)
    m = {x.label: (x.value, x.delta) for x in at.metric}
    assert m["全年预算数（万元）"] == ("636.98", "+24.98（+4.1%）")
    assert m["指标达成"][0] == "52 / 62"
    assert m["执行率"] == ("99.77%", "+12.97 个百分点")
    assert m["项目数"] == ("12 个", "持平")
    assert "示例（虚构）" in texts(at)                      # the invented 2023 data is labelled
    table = project_table(at)
    matched = table[table["状态"] == "延续"].set_index("2024 项目名称")
    assert len(matched) == 10
    assert matched.loc["2024 年招商引资", "2023 项目名称"] == "2023年招商引资"
    assert matched.loc["2024 年招商引资", "执行率变化（百分点）"] == pytest.approx(-21.26)
    assert matched.loc["2024 年招商引资", "2024 指标达成"] == "5/6"
    assert len(at.get("vega_lite_chart")) >= 2
    assert "需要人工确认" in texts(at)


def test_confirm_persists_and_undo(app_env):
    at = open_compare()
    assert [b.label for b in at.button if b.key and b.key.startswith("cmp_")] == ["确认", "拒绝"]
    next(b for b in at.button if b.label == "确认").click().run()
    assert not at.exception
    assert "已确认" in texts(at)
    table = project_table(at)
    row = table[table["2024 项目名称"] == "市级科技计划项目"].iloc[0]
    assert (row["状态"], row["匹配"], row["2023 项目名称"]) == ("延续", "人工确认", "2023 年度市级科技计划－服务体系建设专项")
    # stored in the database, not in the session: a new session sees it
    at2 = open_compare()
    assert "人工确认" in set(project_table(at2)["匹配"])
    next(b for b in at2.button if b.label == "撤销").click().run()
    assert not at2.exception
    table = project_table(at2)
    assert table[table["2024 项目名称"] == "市级科技计划项目"].iloc[0]["状态"] == "新增"
    assert [b.label for b in at2.button if b.key and b.key.startswith("cmp_")] == ["确认", "拒绝"]


def test_reject_removes_the_candidate(app_env):
    at = open_compare()
    next(b for b in at.button if b.label == "拒绝").click().run()
    assert not at.exception
    assert "没有待确认的候选" in texts(at) and "已拒绝" in texts(at)


def test_year_with_no_previous_year(app_env):
    at = open_compare(f_year=2023)
    assert at.selectbox(key="cmp_year").value == 2023
    assert at.selectbox(key="cmp_base").value is None
    assert any("2023 年度之前没有可比较的年度数据" in i.value for i in at.info)
    assert not at.metric
    # any two years: the later one can still be chosen as the base
    at.selectbox(key="cmp_base").set_value(2024).run()
    assert not at.exception and at.metric


def test_filter_matching_nothing(app_env):
    at = open_compare(f_search="不存在的项目")
    assert any("都没有项目" in w.value for w in at.warning)


def test_indicator_comparison_of_selected_pair(app_env):
    at = open_compare()
    pick = at.selectbox(key="cmp_pair")
    zs = next(i for i in pick.options if i.startswith("2024 年招商引资"))
    pick.set_value(pick.options.index(zs) if isinstance(pick.value, int) else zs).run()
    assert not at.exception
    ind = at.dataframe[-1].value
    assert "退步" in set(ind["变化"])                            # 项目总成本: met in 2023, no target in 2024


def test_one_year_only(monkeypatch, tmp_path):
    import streamlit as st
    path = tmp_path / "one.duckdb"
    s = Store(path)
    assert import_paths(s, [SAMPLE_DIR / "zhangye-kjj-2024.xlsx"]).ok
    s.set_setting("sample_offered", True)
    s.close()
    monkeypatch.setenv("PERFBOARD_DB", str(path))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_compare()
    assert any("至少两个年度" in i.value for i in at.info)


# ---------------------------------------------------------------- a long comparison a page at a time (issue 9)
from perfboard import compare as cmp  # noqa: E402
from perfboard.filters import Filters  # noqa: E402
from tests.scale_fixtures import _synthetic_db, synthetic_db_path, synthetic_env  # noqa: E402,F401


def test_long_comparison_is_paged(synthetic_env):
    at = open_compare()
    s = Store(synthetic_env)
    try:
        c = cmp.compare(s, Filters(year=2024), 2023, 2024)
        n = len(c.items)
        names = c.items["name"].where(c.items["name"].notna(), c.items["base_name"]).tolist()
    finally:
        s.close()
    assert n > 200
    table = project_table(at)
    assert len(table) == 200
    assert any(f"共 {n:,} 行" in x.value for x in at.caption)
    assert len(at.selectbox(key="cmp_pair").options) == 200          # the picker lists the page shown
    at.number_input(key="cmp_page").set_value(2).run()
    assert not at.exception
    table = project_table(at)
    assert len(table) == n - 200
    shown = table["2024 项目名称"].where(table["2024 项目名称"].notna(), table["2023 项目名称"]).tolist()
    assert shown == names[200:]
    assert len(at.selectbox(key="cmp_pair").options) == n - 200
    # another filter reuses the matching: the page still shows the same pairs, fewer of them
    narrowed = open_compare(f_funding=["市级财政资金"])
    table = project_table(narrowed)
    assert 0 < len(table) < 200 and set(table["状态"]) <= {"延续", "新增", "不再安排"}


def page_snapshot(at) -> dict:
    """What the page shows: figures, lines of text, every table, the charts' specs and the buttons."""
    return {"metrics": [(m.label, m.value, m.delta) for m in at.metric],
            "text": texts(at), "tables": [d.value for d in at.dataframe],
            "charts": [str(c.proto.spec) for c in at.get("vega_lite_chart")],
            "buttons": [(b.label, b.key, b.disabled) for b in at.button]}


@pytest.mark.parametrize("state", [{}, {"f_lights": ["红"]}, {"f_search": "科技"}])
def test_a_stored_result_shows_the_same_page(app_env, monkeypatch, state):
    """The first render of a pair whose finished result is stored (perfboard.pair_results, as the import
    leaves it) shows exactly what a render that computes the pair shows."""
    import streamlit as st

    from perfboard import matching, pair_results
    monkeypatch.setenv("PERFBOARD_WARM", "0")                 # no background warm-up: each render on its own
    with Store(app_env) as s:
        assert cmp.store_result(s, 2023, 2024, matching.DEFAULT_THRESHOLD)

    def fresh():
        st.cache_resource.clear()
        st.cache_data.clear()
        cmp.clear_cache()

    def refuse(*a, **k):
        raise AssertionError("the pair was computed although its result is stored")
    fresh()
    with monkeypatch.context() as m:
        m.setattr(cmp, "_prepared_pair", refuse)
        stored = page_snapshot(open_compare(**state))
    fresh()
    with monkeypatch.context() as m:
        m.setattr(pair_results, "find", lambda *a, **k: None)
        computed = page_snapshot(open_compare(**state))
    fresh()
    assert stored["metrics"] and stored["tables"]
    tables = stored.pop("tables"), computed.pop("tables")
    assert len(tables[0]) == len(tables[1]) >= 3
    for a, b in zip(*tables):
        pd.testing.assert_frame_equal(a, b)
    assert stored == computed
