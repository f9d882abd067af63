"""AppTest of 偏离分析: 招商引资 with its reason and the missing measures, indicator views, checks."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard.indicators import refresh_status

from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import YEAR, open_page, opened
from tests.hostile.markup import visible
from ui.state import K_DQ, K_DQ_OPEN, K_INDICATOR_VIEW, K_LIGHTS, K_SEARCH

pytestmark = pytest.mark.usefixtures("frame")
PAGE = "pages/deviations.py"


def test_budget_deviation_shows_zhaoshang(app_env):
    at = open_page(PAGE)
    budget = at.table[0].value.map(lambda v: visible(v) if isinstance(v, str) else v)   # cells are escaped Markdown
    assert budget["项目名称"].tolist() == ["2024 年招商引资"]
    row = budget.iloc[0]
    assert row["执行率"] == "70.74%" and row["填报执行率"].startswith("70.40%（与计算值不一致")
    assert "过“紧日子”" in row["偏离原因"] and "节省" in row["偏离原因"]
    assert row["改进措施"] == "未填写"
    assert [t.label for t in at.tabs][0] == "预算执行偏离（1）"


def test_indicator_views(app_env):
    at = open_page(PAGE)
    # issue 15: only the six goal targets the report gives no actual for
    assert not any("没有未达成或缺少实际完成值的指标" in s.value for s in at.success)
    at.segmented_control(key=K_INDICATOR_VIEW).set_value("全部指标").run()
    assert not at.exception
    tables = [t.value for t in at.table]
    all_ind = next(t for t in tables if "判定方式" in t.columns)
    assert len(all_ind) == 62 and set(all_ind["判定"]) == {"达成", "无目标值", "缺实际值"}


def test_pending_indicator_shows_daipanding(app_env):
    with opened(app_env) as s, s.transaction() as cur:
        cur.execute("""UPDATE indicators SET judgement = NULL, target_text = '经费支出合规'
                       WHERE level3 = '经费支出合规性' AND project_id IN (SELECT id FROM projects WHERE year = ?)""",
                    [YEAR])
        refresh_status(cur, [r[0] for r in cur.execute("SELECT id FROM projects").fetchall()])
    at = open_page(PAGE, **{K_INDICATOR_VIEW: "待判定"})
    pending = next(t.value for t in at.table if "判定方式" in t.value.columns)
    assert pending["三级指标"].tolist() == ["经费支出合规性"] and pending.iloc[0]["判定"] == "待判定"


def test_quality_tab_preselected_by_link_state(app_env):
    at = open_page(PAGE, **{K_DQ: "missing_target", K_DQ_OPEN: True})
    assert at.segmented_control(key=K_DQ).value == "missing_target"
    rows = next(t.value for t in at.table if "判定" in t.value.columns and len(t.value) == 4)
    assert set(rows["判定"]) == {"无目标值"}
    assert K_DQ_OPEN not in at.session_state


def test_green_filter_has_no_budget_deviation(app_env):
    at = open_page(PAGE, **{K_LIGHTS: ["绿"]})
    assert any("没有预算执行偏离的项目" in s.value for s in at.success)


def test_filter_matching_nothing(app_env):
    at = open_page(PAGE, **{K_SEARCH: "没有这个项目"})
    assert not at.table and not at.tabs
    assert any("没有项目" in i.value for i in at.info)


# ---------------------------------------------------------------- long tables: a page at a time
from perfboard import deviations as dev  # noqa: E402
from perfboard.filters import Filters  # noqa: E402
from tests.synthetic_data import synthetic_db  # noqa: E402,F401  (fixture)


@pytest.fixture
def synthetic_env(monkeypatch, synthetic_db):
    import streamlit as st
    monkeypatch.setenv("PERFBOARD_DB", str(synthetic_db))
    st.cache_resource.clear()
    st.cache_data.clear()
    return synthetic_db


@pytest.fixture
def exports(monkeypatch):
    """What each download_buttons call on the page was given: key -> (table or callable, rows)."""
    import ui.export
    calls = {}
    original = ui.export.download_buttons

    def record(df, title, filters, spec=None, totals=None, key="export", rows=None, **more):
        calls[key] = (df, rows)
        calls[f"{key}_more"] = more
        original(df, title, filters, spec, totals, key=key, rows=rows, **more)

    monkeypatch.setattr(ui.export, "download_buttons", record)
    return calls


def _shown(at):
    return next(t.value for t in at.table if "判定方式" in t.value.columns)


def test_long_table_is_paged_and_exports_every_row(synthetic_env, exports, monkeypatch):
    at = open_page(PAGE, **{K_INDICATOR_VIEW: "全部指标"})
    with opened(synthetic_env) as s:
        f = Filters(year=YEAR)
        total = dev.figures(s, f)["rows"]["all_indicators"]
        pages = [dev.table(s, f, "all_indicators", 100, 100 * n) for n in range(3)]
        everything = dev.table(s, f, "all_indicators")
    assert total > 1000
    pages_total = -(-total // 100)
    assert len(_shown(at)) == 100 and _shown(at)["三级指标"].tolist() == pages[0]["三级指标"].tolist()
    assert any(f"第 1 页（共 {pages_total:,} 页），第 1–100 行，共 {total:,} 行" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "dev_cursors_all_indicators_back"]      # nothing before page 1
    # forward twice, then back once: the pages OFFSET would give, in order
    for expected, no in ((pages[1], 2), (pages[2], 3)):
        at.button(key="dev_cursors_all_indicators_next").click().run()
        assert not at.exception
        shown = _shown(at)
        assert shown["三级指标"].tolist() == expected["三级指标"].tolist()
        assert shown["项目名称"].tolist() == expected["项目名称"].tolist()
        first = (no - 1) * 100 + 1
        assert any(f"第 {no} 页（共 {pages_total:,} 页），第 {first:,}–{first + 99:,} 行，共 {total:,} 行" in c.value
                   for c in at.caption)
    at.button(key="dev_cursors_all_indicators_back").click().run()
    assert _shown(at)["项目名称"].tolist() == pages[1]["项目名称"].tolist()
    assert any(f"第 2 页（共 {pages_total:,} 页）" in c.value for c in at.caption)
    make, rows = exports["exp_dev_indicators"]
    assert callable(make) and rows == total
    import ui.state
    ui.state._open_store.clear()              # the app's store is closed; the export opens its own
    with opened(synthetic_env) as s:      # the export builds every row, not the page shown
        monkeypatch.setattr(ui.state, "store", lambda: s)
        full = make()
        # the CSV button writes the same rows a piece at a time: the bytes of the whole table
        from perfboard.export.tables import csv_chunks, to_csv
        pieces = exports["exp_dev_indicators_more"]["pieces"]
        assert b"".join(csv_chunks(pieces(), None, "")) == to_csv(everything, None, None, "")
    assert len(full) == total
    pd.testing.assert_frame_equal(full, everything)


def test_a_new_filter_starts_at_the_first_page(synthetic_env):
    at = open_page(PAGE, **{K_INDICATOR_VIEW: "全部指标"})
    at.button(key="dev_cursors_all_indicators_next").click().run()
    assert any(c.value.startswith("第 2 页") for c in at.caption)
    at.session_state[K_LIGHTS] = ["绿"]
    at.run()
    assert not at.exception
    with opened(synthetic_env) as s:
        f = Filters(year=YEAR, lights=("绿",))
        first = dev.table(s, f, "all_indicators", 100, 0)
        total = dev.figures(s, f)["rows"]["all_indicators"]
    assert _shown(at)["项目名称"].tolist() == first["项目名称"].tolist()
    assert any(c.value.startswith("第 1 页") and f"共 {total:,} 行" in c.value for c in at.caption)
    # a filter that matches nothing: the page says so, no table, no error
    at.session_state[K_SEARCH] = "没有这个项目"
    at.run()
    assert not at.exception and not at.table
    assert any("没有项目" in i.value for i in at.info)
