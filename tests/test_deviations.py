"""perfboard.deviations: budget and indicator deviations, judgements, data-quality rows."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard.deviations import NO_MEASURE, NO_REASON, deviations
from perfboard.filters import Filters
from perfboard.indicators import refresh_status
from tests.dashboard_helpers import YEAR

F = Filters(year=YEAR)


def _indicator(store, project_like: str, level3: str):
    rows = store.sql_df("""SELECT i.id FROM indicators i JOIN projects p ON p.id = i.project_id
                           WHERE p.year = ? AND p.name LIKE ? AND i.level3 = ?""",
                        [YEAR, f"%{project_like}%", level3])
    return int(rows["id"].iloc[0])


def _update(store, sql, params):
    """A raw edit of indicator rows, as the domain would write it: the stored status follows (migration 005)."""
    with store.transaction() as cur:
        cur.execute(sql, params)
        refresh_status(cur, [r[0] for r in cur.execute("SELECT id FROM projects").fetchall()])


def test_budget_deviation_is_zhaoshang_with_reason(sample_store):
    d = deviations(sample_store, F)
    b = d["budget"]
    assert b["项目名称"].tolist() == ["2024 年招商引资"]
    row = b.iloc[0]
    assert row["执行率"] == pytest.approx(0.7074) and row["填报执行率"] == pytest.approx(0.704)
    assert bool(row["填报不一致"]) and row["状态"] == "红"
    assert "过“紧日子”" in row["偏离原因"] and "节省" in row["偏离原因"]
    assert row["改进措施"] == NO_MEASURE == "未填写"


GOAL_TARGETS = ["建成科技管理信息系统功能模块（并使用正常）", "培训市县两级项目管理人员", "租赁服务器", "签订运维合同期限", "全市技术合同认定登记金额增长率", "全市技术合同认定登记金额"]     # no actual in the report (issue 15)


def test_only_the_goal_targets_without_actuals_deviate_in_sample(sample_store):
    d = deviations(sample_store, F)
    assert d["indicators"]["三级指标"].tolist() == GOAL_TARGETS and set(d["indicators"]["判定"]) == {"缺实际值"}
    assert d["pending"].empty
    assert len(d["all_indicators"]) == 62
    assert d["counts"]["indicators_met"] == 52


def test_unmet_indicator_without_reason(sample_store):
    iid = _indicator(sample_store, "招商引资", "年度赴外招商")
    _update(sample_store, "UPDATE indicators SET actual_text = '1次', actual_value = 1, judgement = NULL WHERE id = ?", [iid])
    d = deviations(sample_store, F)
    ind = d["indicators"]
    ind = ind[~ind["三级指标"].isin(GOAL_TARGETS)]
    assert ind["三级指标"].tolist() == ["年度赴外招商"]
    assert ind.iloc[0]["判定"] == "未达成" and ind.iloc[0]["判定方式"] == "自动判定"
    assert ind.iloc[0]["偏差原因分析及改进措施"] == NO_REASON
    assert len(d["quality"]["unmet_no_reason"]) == 1
    assert d["counts"]["indicator_deviation_projects"] == 3 and d["counts"]["deviation_projects"] == 3


def test_missing_actual_is_a_deviation_and_a_quality_finding(sample_store):
    iid = _indicator(sample_store, "科技活动周", "举办科技活动周启动仪式")
    _update(sample_store, "UPDATE indicators SET actual_text = NULL, actual_value = NULL, actual_unit = NULL, "
                          "judgement = NULL WHERE id = ?", [iid])
    d = deviations(sample_store, F)
    ind = d["indicators"]
    assert ind[~ind["三级指标"].isin(GOAL_TARGETS)]["判定"].tolist() == ["缺实际值"]
    assert "2024 年科技活动周" in d["quality"]["missing_actual"]["项目名称"].tolist()
    assert d["counts"]["deviation_projects"] == 4


def test_qualitative_indicator_pending_or_stored_judgement(sample_store):
    iid = _indicator(sample_store, "招商引资", "经费支出合规性")
    _update(sample_store, "UPDATE indicators SET target_text = '经费支出合规', judgement = NULL WHERE id = ?", [iid])
    d = deviations(sample_store, F)
    assert d["pending"]["三级指标"].tolist() == ["经费支出合规性"]
    assert d["pending"].iloc[0]["判定"] == "待判定" and d["pending"].iloc[0]["判定方式"] == "待判定"
    _update(sample_store, "UPDATE indicators SET judgement = '部分达成', deviation_note = '部分支出凭证不全' WHERE id = ?",
            [iid])
    d = deviations(sample_store, F)
    assert d["pending"].empty
    row = d["indicators"].iloc[0]
    assert (row["判定"], row["判定方式"], row["偏差原因分析及改进措施"]) == ("部分达成", "人工判定", "部分支出凭证不全")


def test_over_execution_is_its_own_budget_deviation(sample_store):
    _update(sample_store, "UPDATE projects SET spent = 9.5 WHERE year = ? AND name LIKE '%科技活动周%'", [YEAR])
    b = deviations(sample_store, F)["budget"]
    assert b["项目名称"].tolist() == ["2024 年科技活动周", "2024 年招商引资"]   # 58% over is further off than 29% short
    assert b.set_index("项目名称").loc["2024 年科技活动周", "状态"] == "超预算"


def test_worst_first(sample_store):
    _update(sample_store, "UPDATE projects SET spent = budget * 0.5 WHERE year = ? AND name LIKE '%科技活动周%'", [YEAR])
    _update(sample_store, "UPDATE projects SET spent = budget * 0.93 WHERE year = ? AND name LIKE '%残疾人%'", [YEAR])
    b = deviations(sample_store, F)["budget"]
    assert b["项目名称"].tolist() == ["2024 年科技活动周", "2024 年招商引资", "2024 年残疾人就业保障金"]
    assert b["状态"].tolist() == ["红", "红", "黄"]


def test_rate_mismatch_rows(sample_store):
    q = deviations(sample_store, F)["quality"]["rate_mismatch"]
    assert q["项目名称"].tolist() == ["2024 年招商引资"]
    assert q.iloc[0]["差异（百分点）"] == pytest.approx(-0.34)


def test_budget_deviation_without_reason(sample_store):
    _update(sample_store, "UPDATE projects SET deviation_reason = '  ' WHERE year = ? AND name LIKE '%招商%'", [YEAR])
    d = deviations(sample_store, F)
    assert d["budget"].iloc[0]["偏离原因"] == NO_REASON == "未填写原因"
    assert d["quality"]["budget_no_reason"]["项目名称"].tolist() == ["2024 年招商引资"]


def test_filters_apply(sample_store):
    assert deviations(sample_store, Filters(year=YEAR, lights=("绿",)))["budget"].empty
    d = deviations(sample_store, Filters(year=YEAR, search="nothing-matches"))
    assert d["projects"] == 0 and d["budget"].empty and d["all_indicators"].empty
    assert all(v.empty for v in d["quality"].values())


def test_empty_database(store):
    d = deviations(store, Filters())
    assert d["projects"] == 0 and d["budget"].empty


# ---------------------------------------------------------------- SQL = the old pandas computation
from perfboard import deviations as dev  # noqa: E402
from tests import deviation_reference as ref  # noqa: E402
from tests.synthetic_data import synthetic_db, synthetic_store  # noqa: E402,F401  (fixtures)

SYNTHETIC = [Filters(year=2024), Filters(year=2023), Filters(),
             Filters(year=2024, departments=("张掖市教育局", "酒泉市科学技术局")),
             Filters(year=2024, funding_sources=("未填写", "市级财政资金")),
             Filters(year=2024, lights=("红", "超预算", "无预算")),
             Filters(year=2023, search="招商"), Filters(year=2024, search="没有这个项目")]
COUNTS = ("projects", "deviation_projects", "budget_deviation_projects", "indicator_deviation_projects",
          "indicators_total", "indicators_met", "indicators_pending")


def _same_figures(store, f):
    got, want = dev.figures(store, f), ref.figures(store, f)
    for k in COUNTS:
        assert got[k] == want[k], k
    for k in ("budget_wan", "spent_wan", "execution_rate"):
        assert got[k] == (None if want[k] is None else pytest.approx(want[k], rel=1e-12)), k
    assert got["quality"] == want["quality"] and got["departments"] == want["departments"]
    t = want["_tables"]
    assert got["rows"] == {k: len(t["quality"][k] if k in dev.QUALITY_CHECKS else t[k]) for k in dev.TABLES}
    return got, want


def _same_table(got, want):
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("f", [F, Filters(year=2023), Filters(year=YEAR, search="招商"), Filters()], ids=str)
def test_sql_figures_and_tables_equal_pandas_on_sample(sample_store, f):
    _, want = _same_figures(sample_store, f)
    for key in dev.TABLES:
        expected = want["_tables"]["quality"][key] if key in dev.QUALITY_CHECKS else want["_tables"][key]
        _same_table(dev.table(sample_store, f, key), expected)


@pytest.mark.parametrize("f", SYNTHETIC, ids=str)
def test_sql_figures_and_tables_equal_pandas_on_synthetic(synthetic_store, f):
    got, want = _same_figures(synthetic_store, f)
    for key in dev.TABLES:
        expected = want["_tables"]["quality"][key] if key in dev.QUALITY_CHECKS else want["_tables"][key]
        _same_table(dev.table(synthetic_store, f, key), expected)
    if f == Filters(year=2024):     # the synthetic data exercise every kind of row
        assert all(got["rows"][k] > 3 for k in dev.TABLES) and got["indicators_total"] < got["rows"]["all_indicators"]


def test_pages_are_slices_of_the_full_table(synthetic_store):
    f = Filters(year=2024)
    for key in ("budget", "indicators", "all_indicators", "missing_actual", "rate_mismatch"):
        full = dev.table(synthetic_store, f, key)
        assert len(full) > 20, key
        for offset in (0, 7, len(full) - 3, len(full) + 5):
            _same_table(dev.table(synthetic_store, f, key, 7, offset), full.iloc[offset:offset + 7])


def test_blank_reasons_in_unicode_whitespace_count_as_missing(synthetic_store):
    q = dev.table(synthetic_store, Filters(year=2024), "budget_no_reason")
    raw = synthetic_store.sql_df("SELECT deviation_reason FROM projects WHERE year = 2024")["deviation_reason"]
    assert set(q["偏离原因"]) == {NO_REASON} and any(r == "　 " for r in raw)
    assert len(q) == len(dev.table(synthetic_store, Filters(year=2024), "budget").query("偏离原因 == @NO_REASON"))
