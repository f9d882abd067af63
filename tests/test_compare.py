"""Year-over-year comparison figures checked against values computed here from the sample workbooks
(read with openpyxl, independent of the importer and of perfboard.compare), and `compare --json`."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfboard import matching
from perfboard.cli import main
from perfboard.db import Store
from perfboard.compare import compare, indicator_comparison, to_json, trend
from perfboard.filters import Filters
from perfboard.sample import SAMPLE_DIR
from perfboard.summary import change, totals_with_base

WB_2023 = SAMPLE_DIR / "示例（虚构）-zhangye-kjj-2023.xlsx"
WB_2024 = SAMPLE_DIR / "zhangye-kjj-2024.xlsx"
F2024 = Filters(year=2024)

# Which 2023 project each 2024 project continues (written down by reading the two workbooks).
EXPECTED_PAIRS = {
    "2024 年市级科技计划项目": "2023年市级科技计划项目",
    "2024 年强科技行动工作经费": "2023 年强科技行动工作经费",
    "2024 年招商引资": "2023年招商引资",
    "2024 年科技活动周": "2023 年科技活动周",
    "完成技术合同登记任务指标机构奖励": "完成技术合同登记任务指标机构奖励",
    "2024 年市级科技特派员奖补资金": "2023 年市级科技特派员奖补资金",
    "2024 年重点工作完成情况奖励资金": "2023 年重点工作完成情况奖励资金",
    "2023 年省科学技术奖励资金": "2022 年省科学技术奖励资金",
    "2024 年第一、二批省级科技计划项目资金": "2023年度第一、二批省级科技计划项目资金",
    "2024 年残疾人就业保障金": "2023 年残疾人就业保障金",
}


def workbook_projects(path: Path) -> dict[str, dict]:
    ws = load_workbook(path, read_only=True)["项目"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    out = {}
    for r in rows[1:]:
        d = dict(zip(head, r))
        out[d["项目名称"]] = {"budget": float(d["全年预算数（万元）"]), "spent": float(d["全年执行数（万元）"] or 0),
                           "source": d["资金来源"]}
    return out


@pytest.fixture(scope="module")
def wb():
    return {2023: workbook_projects(WB_2023), 2024: workbook_projects(WB_2024)}


@pytest.fixture(params=["computed", "stored"])
def figures_store(request, sample_store, monkeypatch):
    """The sample store, once as a process that computes the pair and once as a fresh process finding the
    pair's finished result stored (perfboard.pair_results): the figures below hold either way."""
    from perfboard import compare as cmp
    cmp.clear_cache()
    if request.param == "stored":
        assert cmp.store_result(sample_store, 2023, 2024, matching.DEFAULT_THRESHOLD)
        cmp.clear_cache()

        def refuse(*a, **k):
            raise AssertionError("the pair was computed although its result is stored")
        monkeypatch.setattr(cmp, "_prepared_pair", refuse)
    yield sample_store
    cmp.clear_cache()


def item(c, name=None, base_name=None):
    df = c.items
    sel = (df["name"] == name) if name else (df["base_name"] == base_name)
    (row,) = df[sel].to_dict("records")
    return row


def test_totals_by_hand(figures_store, wb):
    c = compare(figures_store, F2024, 2023, 2024)
    b23 = sum(p["budget"] for p in wb[2023].values())
    s23 = sum(p["spent"] for p in wb[2023].values())
    b24 = sum(p["budget"] for p in wb[2024].values())
    s24 = sum(p["spent"] for p in wb[2024].values())
    assert (b23, s23) == pytest.approx((612.0, 531.22))
    assert (b24, s24) == pytest.approx((636.98, 635.517))          # 2024 unchanged by the 2023 sample
    assert c.base["budget_wan"] == pytest.approx(b23) and c.current["spent_wan"] == pytest.approx(s24)
    assert c.change["budget_wan"] == pytest.approx(b24 - b23)
    assert c.change["spent_wan_pct"] == pytest.approx((s24 - s23) / s23)
    assert c.change["execution_rate_pp"] == pytest.approx((s24 / b24 - s23 / b23) * 100)
    # the same numbers as the overview's deltas, which come from totals_with_base/change
    current, base, base_year = totals_with_base(figures_store, F2024)
    assert base_year == 2023 and c.change == change(current, base)


def test_pairs_statuses_and_zhaoshang_by_hand(figures_store, wb):
    c = compare(figures_store, F2024, 2023, 2024)
    continued = {r["name"]: r["base_name"] for r in c.items.to_dict("records") if r["status"] == "continued"}
    assert continued == EXPECTED_PAIRS
    assert set(c.items.loc[c.items["status"] == "new", "name"]) == {"市级科技计划项目", "“张掖科技”政务新媒体平台管理运维"}
    assert set(c.items.loc[c.items["status"] == "discontinued", "base_name"]) == {
        "2023 年度市级科技计划－服务体系建设专项", "2023 年科技创新券补助资金"}
    assert set(c.items.loc[c.items["status"] == "continued", "match"]) == {"name"}

    zs, z3 = wb[2024]["2024 年招商引资"], wb[2023]["2023年招商引资"]
    r = item(c, "2024 年招商引资")
    assert (r["base_budget"], r["budget"], r["base_spent"], r["spent"]) == pytest.approx((5, 5, 4.6, 3.537))
    assert r["spent_change"] == pytest.approx(zs["spent"] - z3["spent"])               # -1.063
    assert r["spent_change_pct"] == pytest.approx((3.537 - 4.6) / 4.6)
    assert r["execution_rate_change_pp"] == pytest.approx((3.537 / 5 - 4.6 / 5) * 100)  # -21.26
    assert r["budget_change_pct"] == 0
    # indicators: 2023 all six met; 2024 项目总成本 has no target and no conclusion
    assert (r["base_met"], r["base_indicators"], r["met"], r["indicators"]) == (6, 6, 5, 6)

    new = item(c, "“张掖科技”政务新媒体平台管理运维")
    assert new["budget_change"] == pytest.approx(2.8) and new["budget_change_pct"] != new["budget_change_pct"]  # NaN
    gone = item(c, base_name="2023 年科技创新券补助资金")
    assert gone["budget_change"] == pytest.approx(-15) and gone["match"] == "none"
    # new and discontinued count whole: the per-project changes add up to the total change
    assert c.items["budget_change"].sum() == pytest.approx(c.change["budget_wan"])


def test_rates_move_both_ways(figures_store):
    c = compare(figures_store, F2024, 2023, 2024)
    pp = c.items.set_index("name")["execution_rate_change_pp"]
    assert pp["2024 年招商引资"] < 0 < pp["2024 年科技活动周"]
    share = c.items.set_index("name")["met_share_change_pp"]
    assert share["2024 年残疾人就业保障金"] < 0 < share["2024 年市级科技计划项目"]


def test_groups_by_funding_source_by_hand(figures_store, wb):
    c = compare(figures_store, F2024, 2023, 2024)
    g = c.by_funding_source.set_index("funding_source")
    for source in ("市级财政资金", "省级转移支付资金"):
        b = sum(p["budget"] for p in wb[2023].values() if p["source"] == source)
        s = sum(p["spent"] for p in wb[2023].values() if p["source"] == source)
        b24 = sum(p["budget"] for p in wb[2024].values() if p["source"] == source)
        assert g.loc[source, "base_budget"] == pytest.approx(b)
        assert g.loc[source, "base_execution_rate"] == pytest.approx(s / b)
        assert g.loc[source, "budget_change"] == pytest.approx(b24 - b)
    assert g.loc["上年结转资金", "base_projects"] == 0 and g.loc["上年结转资金", "budget"] == 50
    assert g["budget_change"].sum() == pytest.approx(c.change["budget_wan"])
    assert c.by_department["department"].tolist() == ["张掖市科学技术局"]


def test_confirmed_pair_turns_new_and_discontinued_into_continued(sample_store):
    c = compare(sample_store, F2024, 2023, 2024)
    (pair,) = c.candidates.to_dict("records")
    assert item(c, "市级科技计划项目")["candidates"] == 1
    matching.decide(sample_store, pair, "confirmed")
    c = compare(sample_store, F2024, 2023, 2024)
    r = item(c, "市级科技计划项目")
    assert (r["status"], r["match"], r["base_name"]) == ("continued", "confirmed", "2023 年度市级科技计划－服务体系建设专项")
    assert (r["base_execution_rate"], r["execution_rate"]) == (0, 1)
    assert len(c.items) == 13 and c.candidates.empty


def test_filters_apply_after_matching(figures_store):
    # 招商引资 is red in 2024 (70.74%) and yellow in 2023 (92%): under 红 it is still a continued pair
    c = compare(figures_store, Filters(year=2024, lights=("红",)), 2023, 2024)
    r = item(c, "2024 年招商引资")
    assert r["status"] == "continued" and r["in_current"] and not r["in_base"]
    assert c.current["projects"] == 1
    assert c.base["projects"] == 2            # 2023's red ones: 服务体系建设专项 (0%), 科技创新券 (82%)
    nothing = compare(figures_store, Filters(year=2024, search="不存在的项目"), 2023, 2024)
    assert nothing.items.empty and nothing.current["projects"] == 0


def test_reverse_direction_and_no_base(sample_store):
    c = compare(sample_store, Filters(), 2024, 2023)
    assert item(c, "2023年招商引资")["base_name"] == "2024 年招商引资"
    none = compare(sample_store, Filters(year=2023), None, 2023)
    assert none.base is None and none.items.empty and none.change == {}


def test_indicator_comparison_aligns_year_changed_names(sample_store):
    c = compare(sample_store, F2024, 2023, 2024)
    r = item(c, "2024 年市级科技计划项目")
    df = indicator_comparison(sample_store, int(r["base_id"]), int(r["target_id"]))
    first = df.iloc[0]
    assert first["level3"] == "立项实施 2024 年度市级科技计划项目"
    assert (first["target_text_base"], first["actual_text_base"], first["actual_text"]) == ("≥70项", "68项", "77项")
    assert first["change"] == "better"
    assert df["change"].tolist().count("same") == 2          # 合规率 met both years; 满意度 met both years
    zs = item(c, "2024 年招商引资")
    df = indicator_comparison(sample_store, int(zs["base_id"]), int(zs["target_id"]))
    assert df.set_index("level3").loc["项目总成本", "change"] == "worse"
    only_new = indicator_comparison(sample_store, None, int(item(c, "“张掖科技”政务新媒体平台管理运维")["target_id"]))
    assert set(only_new["change"]) == {"added"}


def test_trend_needs_years(sample_store):
    t = trend(sample_store, Filters())
    assert t["year"].tolist() == [2023, 2024]
    assert t["budget_wan"].tolist() == pytest.approx([612.0, 636.98])
    cur = sample_store.cursor()
    cur.execute("INSERT INTO projects (id, year, department, name, budget, spent) VALUES (9999, 2022, '张掖市科学技术局', '2022年招商引资', 4, 4)")
    t = trend(sample_store, Filters())
    assert t["year"].tolist() == [2022, 2023, 2024] and t["execution_rate"].iloc[0] == 1


def test_cli_compare_json(sample_db_path):
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["compare", "--db", str(sample_db_path), "--base", "2023", "--year", "2024", "--json"])
    assert code == 0
    data = json.loads(out.getvalue())
    assert (data["base_year"], data["year"]) == (2023, 2024)
    assert data["totals"]["base"]["budget_wan"] == pytest.approx(612.0)
    assert data["totals"]["current"]["budget_wan"] == pytest.approx(636.98)
    assert data["change"]["execution_rate_pp"] == pytest.approx((635.517 / 636.98 - 531.22 / 612) * 100)
    items = {(i["name"], i["base_name"]): i for i in data["items"]}
    assert len(items) == 14
    zs = items[("2024 年招商引资", "2023年招商引资")]
    assert (zs["status"], zs["match"]) == ("continued", "name")
    assert zs["base_execution_rate"] == pytest.approx(0.92) and zs["execution_rate"] == pytest.approx(0.7074)
    assert zs["spent_change_wan"] == pytest.approx(-1.063)
    assert zs["execution_rate_change_pp"] == pytest.approx(-21.26)
    assert items[("市级科技计划项目", None)]["status"] == "new"
    assert items[(None, "2023 年科技创新券补助资金")] == {**items[(None, "2023 年科技创新券补助资金")],
                                                     "status": "discontinued", "match": "none", "budget_wan": None}
    assert [c["via"] for c in data["candidates"]] == ["fuzzy"]
    store = Store(sample_db_path)
    try:                                   # the CLI prints exactly what the page's function returns
        assert to_json(compare(store, F2024, 2023, 2024))["items"] == data["items"]
    finally:
        store.close()


def test_cli_compare_department_and_text(sample_db_path):
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["compare", "--db", str(sample_db_path), "--base", "2023", "--year", "2024",
                     "--department", "不存在的部门", "--json"])
    assert code == 0 and json.loads(out.getvalue())["items"] == []
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["compare", "--db", str(sample_db_path), "--base", "2023"]) == 0
    assert "2023年招商引资 → 2024 年招商引资" in out.getvalue()


# ---------------------------------------------------------------- at scale: cached matching, filters after it (issue 9)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from perfboard import compare as cmp  # noqa: E402
from perfboard.indicators import indicator_rows  # noqa: E402
from perfboard.scoring import project_scores  # noqa: E402
from perfboard.summary import projects, totals  # noqa: E402
from tests.scale_fixtures import _synthetic_db, departments, synthetic_db_path, synthetic_store  # noqa: E402,F401


@pytest.fixture
def count_matching(monkeypatch):
    """How many times the costly part of the matching really ran (matching.prepare, or all of
    matching.match); the decisions' part (matching.finish) is counted in count_matching.finish."""
    calls = CallList()
    for name, into in (("prepare", calls), ("match", calls), ("finish", calls.finish)):
        real = getattr(matching, name)

        def counted(*args, _real=real, _into=into, **kwargs):
            _into.append(1)
            return _real(*args, **kwargs)
        monkeypatch.setattr(matching, name, counted)
    cmp.clear_cache()
    return calls


class CallList(list):
    def __init__(self):
        super().__init__()
        self.finish = []


def scale_filters(store):
    d = departments(store)
    return [Filters(year=2024), Filters(year=2024, departments=(d[0],)), Filters(year=2024, departments=(d[2], d[5])),
            Filters(year=2024, funding_sources=("市级财政资金", "未填写")), Filters(year=2024, lights=("红", "黄")),
            Filters(year=2024, search="招商"), Filters(year=2024, departments=(d[1],), lights=("绿",))]


def test_filters_apply_to_the_matching_of_whole_years(synthetic_store, count_matching):
    s = synthetic_store
    for f in scale_filters(s):
        c = compare(s, f, 2023, 2024)
        cur, base = projects(s, f.with_year(2024)), projects(s, f.with_year(2023))
        assert c.current == pytest.approx(totals(cur)) and c.base == pytest.approx(totals(base))
        assert set(c.items.loc[c.items["in_current"], "target_id"]) == set(cur["id"])
        assert set(c.items.loc[c.items["in_base"], "base_id"]) == set(base["id"])
        assert c.items["in_current"].sum() == len(cur) and c.items["in_base"].sum() == len(base)
        # matching is per department: matching only the filtered departments pairs the same projects
        alone = matching.match_years(s, 2023, 2024, f.departments).pairs
        count_matching.pop()                         # that one was ours, not compare's
        both = c.items[c.items["status"] == "continued"]
        want = alone[alone["target_id"].isin(cur["id"]) | alone["base_id"].isin(base["id"])]
        assert set(zip(both["base_id"], both["target_id"], both["match"])) == \
            set(zip(want["base_id"], want["target_id"], want["match"]))
        # groups = the projects of each year summed per department
        g = c.by_department.set_index("department")
        for dept, part in cur.groupby("department"):
            assert g.loc[dept, "projects"] == len(part) and g.loc[dept, "budget"] == pytest.approx(part["budget"].sum())
        for dept, part in base.groupby("department"):
            assert g.loc[dept, "base_spent"] == pytest.approx(part["spent"].sum())
        i = c.items
        assert i.loc[i["in_current"], "budget"].sum() - i.loc[i["in_base"], "base_budget"].sum() == \
            pytest.approx(c.change["budget_wan"])
        if not (f.lights or f.search or f.funding_sources):   # a filter both years pass alike: changes add up
            assert i["budget_change"].sum() == pytest.approx(c.change["budget_wan"])
    assert len(count_matching) == 1                  # seven filter changes, one matching


def test_indicator_counts_and_scores_of_items(synthetic_store):
    s, f = synthetic_store, Filters(year=2024)
    c = compare(s, f, 2023, 2024)
    ids = pd.concat([c.items["target_id"], c.items["base_id"]]).dropna().astype("int64")
    rows = indicator_rows(s, project_df=pd.DataFrame({"id": ids}))
    rows = rows[rows["status"] != "na"]
    met = rows[rows["status"] == "met"].groupby("project_id").size()
    total = rows.groupby("project_id").size()
    t = c.items.dropna(subset=["target_id"])
    assert t["indicators"].tolist() == total.reindex(t["target_id"].astype(int)).fillna(0).tolist()
    assert t["met"].tolist() == met.reindex(t["target_id"].astype(int)).fillna(0).tolist()
    b = c.items.dropna(subset=["base_id"])
    assert b["base_met"].tolist() == met.reindex(b["base_id"].astype(int)).fillna(0).tolist()
    sc = project_scores(s, f).set_index("id")["total"]
    assert t["score"].tolist() == pytest.approx(sc.reindex(t["target_id"].astype(int)).tolist(), nan_ok=True)
    bare = compare(s, f, 2023, 2024, scores=False)
    assert bare.items["score"].isna().all()
    shown = cmp.with_scores(bare.items.head(5), project_scores(s, f), project_scores(s, Filters(year=2023)))
    assert shown["score"].tolist() == pytest.approx(c.items["score"].head(5).tolist(), nan_ok=True)


def test_unjudged_indicators_are_judged_in_python(synthetic_store):
    s = synthetic_store
    before = compare(s, Filters(year=2024), 2023, 2024, scores=False).items
    with s.transaction() as cur:
        cur.execute("UPDATE indicators SET status = NULL WHERE project_id % 3 = 0")
    after = compare(s, Filters(year=2024), 2023, 2024, scores=False).items
    for col in ("met", "indicators", "base_met", "base_indicators"):
        assert after[col].fillna(-1).tolist() == before[col].fillna(-1).tolist()


def test_cache_follows_the_data_version(synthetic_store, count_matching):
    s, f = synthetic_store, Filters(year=2024)
    c = compare(s, f, 2023, 2024)
    assert compare(s, f, 2023, 2024, scores=False) is compare(s, f, 2023, 2024, scores=False)
    assert len(count_matching) == 1
    r = c.items[c.items["status"] == "continued"].iloc[0]
    with s.transaction() as cur:                    # an edit: the figures change at once
        cur.execute("UPDATE projects SET budget = budget + 100 WHERE id = ?", [int(r["target_id"])])
    c2 = compare(s, f, 2023, 2024)
    assert len(count_matching) == 1                  # an amount is not the matching's input: kept (migration 020)
    assert c2.current["budget_wan"] == pytest.approx(c.current["budget_wan"] + 100)
    row = c2.items[c2.items["target_id"] == r["target_id"]].iloc[0]
    assert row["budget"] == pytest.approx(r["budget"] + 100)
    with s.transaction() as cur:                    # a rename may change the matching: matched again
        cur.execute("UPDATE projects SET name = name || '（调整）' WHERE id = ?", [int(r["target_id"])])
    c3 = compare(s, f, 2023, 2024)
    assert len(count_matching) == 2
    assert c3.items.loc[c3.items["target_id"] == r["target_id"], "name"].iloc[0].endswith("（调整）")


def test_decisions_apply_at_once(synthetic_store, count_matching):
    s, f = synthetic_store, Filters(year=2024)
    c = compare(s, f, 2023, 2024)
    fuzzy = c.candidates[c.candidates["via"] == "fuzzy"]
    assert len(fuzzy) >= 2
    first, second = fuzzy.iloc[0].to_dict(), fuzzy.iloc[1].to_dict()
    matching.decide(s, first, "confirmed")
    c2 = compare(s, f, 2023, 2024)
    row = c2.items[c2.items["target_id"] == first["target_id"]].iloc[0]
    assert (row["status"], row["match"], row["base_id"]) == ("continued", "confirmed", first["base_id"])
    matching.decide(s, second, "rejected")
    c3 = compare(s, f, 2023, 2024)
    pairs = set(zip(c3.candidates["base_id"], c3.candidates["target_id"]))
    assert (second["base_id"], second["target_id"]) not in pairs
    matching.undo(s, first)
    c4 = compare(s, f, 2023, 2024)
    assert c4.items[c4.items["target_id"] == first["target_id"]].iloc[0]["status"] == "new"
    assert len(count_matching) == 1                  # names, codes and similarities once
    assert len(count_matching.finish) == 4           # the decisions' part once per decision, not per look
    # what older versions held is freed: only the current version's pair and view are kept
    assert {k[2] for k in cmp._CACHE[s] if k[0] in ("pair", "view")} == {s.data_version()}
    assert len([k for k in cmp._CACHE[s] if k[0] == "prep"]) == 1


def test_cache_is_bounded(synthetic_store):
    s = synthetic_store
    cmp.clear_cache()
    for f in scale_filters(s):
        compare(s, f, 2023, 2024, scores=False)
    compare(s, Filters(year=2023), 2022, 2023, scores=False)
    compare(s, Filters(year=2024), 2022, 2024, scores=False)
    kinds = [k[0] for k in cmp._CACHE[s]]
    assert kinds.count("pair") == cmp.PAIRS_CACHED and kinds.count("view") == cmp.VIEWS_CACHED


def test_trend_in_sql_equals_totals_per_year(synthetic_store):
    s = synthetic_store
    for f in scale_filters(s) + [Filters()]:
        t = trend(s, f).set_index("year")
        df = projects(s, f.with_year(None))
        for y, part in df.groupby("year"):
            want = totals(part)
            assert t.loc[y, "projects"] == want["projects"]
            assert t.loc[y, "budget_wan"] == pytest.approx(want["budget_wan"])
            assert t.loc[y, "execution_rate"] == pytest.approx(want["execution_rate"])
        assert len(t) == df["year"].nunique()


def test_export_builds_every_item(synthetic_store):
    """The page shows 200 rows at a time; its export callable builds the table of every item."""
    from ui.export import export_bytes
    s, f = synthetic_store, Filters(year=2024)
    c = compare(s, f, 2023, 2024, scores=False)
    table = cmp.items_table(cmp.with_scores(c.items, project_scores(s, f), project_scores(s, Filters(year=2023))),
                            2023, 2024)
    assert len(table) == len(c.items) > 200
    csv = export_bytes(table, "同比分析", f, fmt="csv").decode("utf-8-sig")
    assert len(csv.strip().splitlines()) >= len(c.items) + 1
    assert table["2024 得分"].notna().sum() == c.items["target_id"].notna().sum()


def test_warm_builds_the_newest_pair_so_the_page_finds_it_cached(sample_store, monkeypatch):
    from perfboard import compare as cmp
    cmp.clear_cache()
    assert cmp.warm(sample_store) == (2023, 2024)
    calls = []
    monkeypatch.setattr(cmp, "_prepared_pair", lambda *a, **k: calls.append(a))
    c = cmp.compare(sample_store, Filters(year=2024), 2023, 2024, scores=False)
    assert calls == [] and len(c.items)          # served from the warmed cache, nothing prepared again


def test_warm_without_two_years_does_nothing(store):
    from perfboard import compare as cmp
    assert cmp.warm(store) is None
