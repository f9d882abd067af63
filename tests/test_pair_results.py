"""同比分析's stored finished result of a year pair (issue 19, migration 019, perfboard.pair_results): a fresh
process that finds it shows exactly what a process computing the pair shows (items, candidates, totals, groups,
decisions, both years' scores) under any filter; an edit, an import, a match decision and a scoring-settings
save each make it stale, and a stale result is never read; nothing is stored from data that moved on or into a
read-only store."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard import compare as cmp
from perfboard import matching, pair_results
from perfboard.auth import local_admin
from perfboard.filters import Filters
from perfboard.importer import import_paths
from perfboard.sample import sample_files
from perfboard.scoring import SETTING_KEY, project_scores, scoring_settings
from tests.scale_fixtures import _synthetic_db, departments, synthetic_db_path, synthetic_store  # noqa: F401

TH = matching.DEFAULT_THRESHOLD


def current(store, base_year=2023, year=2024):
    md5 = pair_results.md5_of(scoring_settings(store))
    return pair_results.find(store, base_year, year, TH, store.figures_version(), md5)


def computed(store, filters, base_year=2023, year=2024, monkeypatch=None):
    """The view as a process computes it: nothing stored is read."""
    with monkeypatch.context() as m:
        m.setattr(pair_results, "find", lambda *a, **k: None)
        cmp.clear_cache()
        c = cmp.compare(store, filters, base_year, year, scores=False)
    cmp.clear_cache()
    return c


def stored(store, filters, base_year=2023, year=2024, monkeypatch=None):
    """The view as a fresh process finds it with the result stored: the pair is never computed."""
    cmp.clear_cache()
    assert current(store, base_year, year) is not None

    def refuse(*a, **k):
        raise AssertionError("the pair was computed although its result is stored")
    with monkeypatch.context() as m:
        m.setattr(cmp, "_prepared_pair", refuse)
        c = cmp.compare(store, filters, base_year, year, scores=False)
    cmp.clear_cache()
    return c


def same_view(a, b, store, filters):
    pd.testing.assert_frame_equal(a.items, b.items, check_dtype=False)
    pd.testing.assert_frame_equal(a.candidates, b.candidates, check_dtype=False)
    pd.testing.assert_frame_equal(a.decisions, b.decisions, check_dtype=False)
    assert (a.current, a.base) == (b.current, b.base)
    assert a.change == b.change
    pd.testing.assert_frame_equal(a.by_department, b.by_department)
    pd.testing.assert_frame_equal(a.by_funding_source, b.by_funding_source)
    assert a.indicator_totals == b.indicator_totals
    # the stored scores are project_scores of each year under the filters, in its order
    for y, sc in ((b.year, b.scores), (b.base_year, b.base_scores)):
        ref = project_scores(store, filters.with_year(y))[pair_results.SCORES]
        pd.testing.assert_frame_equal(sc.reset_index(drop=True), ref.reset_index(drop=True), check_dtype=False)
        assert (sc["grade"].isna() == ref["grade"].isna()).all()


def sample_filters(store):
    (dept,) = {d for d in cmp.year_pair(store, 2023, 2024).items["department"]}
    return [Filters(year=2024), Filters(year=2024, departments=(dept,)), Filters(year=2024, lights=("红",)),
            Filters(year=2024, funding_sources=("市级财政资金",)), Filters(year=2024, search="科技"),
            Filters(year=2024, search="不存在的项目")]


def test_stored_result_equals_the_computed_one_on_the_sample(sample_store, monkeypatch):
    s = sample_store
    cmp.clear_cache()
    assert current(s) is None
    assert cmp.warm(s, load=False) == (2023, 2024)            # as the command-line import does
    run = current(s)
    assert run is not None and run["items"] == 14 and run["candidates"] == 1 and run["scores"] == 24
    for f in sample_filters(s):
        a, b = computed(s, f, monkeypatch=monkeypatch), stored(s, f, monkeypatch=monkeypatch)
        same_view(a, b, s, f)
    # the figures of the reference report (tests/test_compare.py, read from the workbooks) from the stored one
    c = stored(s, Filters(year=2024), monkeypatch=monkeypatch)
    assert (c.base["budget_wan"], c.current["budget_wan"]) == pytest.approx((612.0, 636.98))
    assert (c.base["spent_wan"], c.current["spent_wan"]) == pytest.approx((531.22, 635.517))
    assert c.indicator_totals["met"] == 52 and c.indicator_totals["total"] == 62
    assert (c.items["status"] == "continued").sum() == 10 and len(c.candidates) == 1
    # compare(scores=True) fills the items' scores from the stored ones, as from project_scores
    cmp.clear_cache()
    with_stored = cmp.compare(s, Filters(year=2024), 2023, 2024)
    with monkeypatch.context() as m:
        m.setattr(pair_results, "find", lambda *a, **k: None)
        cmp.clear_cache()
        scored = cmp.compare(s, Filters(year=2024), 2023, 2024)
    cmp.clear_cache()
    assert with_stored.scores is not None and scored.scores is None
    pd.testing.assert_frame_equal(with_stored.items, scored.items, check_dtype=False)
    assert with_stored.items["score"].notna().sum() == 12


def test_stored_result_equals_the_computed_one_on_synthetic_data(synthetic_store, monkeypatch):
    s = synthetic_store
    cmp.clear_cache()
    assert cmp.store_result(s, 2023, 2024, TH)
    assert not cmp.store_result(s, 2023, 2024, TH)                 # once
    d = departments(s)
    for f in [Filters(year=2024), Filters(year=2024, departments=tuple(d[:2])), Filters(year=2024, lights=("绿",)),
              Filters(year=2024, funding_sources=("未填写",)), Filters(year=2024, departments=(d[0],), search="项目")]:
        same_view(computed(s, f, monkeypatch=monkeypatch), stored(s, f, monkeypatch=monkeypatch), s, f)


def test_an_edit_an_import_a_decision_and_a_settings_save_each_make_it_stale(sample_store, monkeypatch):
    s = sample_store
    f = Filters(year=2024)

    def fresh_result():
        cmp.clear_cache()
        assert cmp.store_result(s, 2023, 2024, TH)
        assert current(s) is not None

    # an edit: the new figure is shown, not the stored one
    fresh_result()
    before = stored(s, f, monkeypatch=monkeypatch)
    pid = int(before.items.loc[before.items["name"] == "2024 年招商引资", "target_id"].iloc[0])
    with s.transaction() as cur:
        cur.execute("UPDATE projects SET budget = budget + 100 WHERE id = ?", [pid])
    assert current(s) is None
    cmp.clear_cache()
    after = cmp.compare(s, f, 2023, 2024, scores=False)
    assert after.current["budget_wan"] == pytest.approx(before.current["budget_wan"] + 100)
    assert after.scores is None                                 # computed: nothing current was stored

    # a match decision: takes effect at once, in a fresh process too
    fresh_result()
    (pair,) = stored(s, f, monkeypatch=monkeypatch).candidates.to_dict("records")
    matching.decide(s, pair, "confirmed")
    assert current(s) is None
    cmp.clear_cache()
    c = cmp.compare(s, f, 2023, 2024, scores=False)
    r = c.items[c.items["name"] == "市级科技计划项目"].iloc[0]
    assert (r["status"], r["match"]) == ("continued", "confirmed") and c.candidates.empty
    fresh_result()                                              # stored again after the decision: the same view
    same_view(computed(s, f, monkeypatch=monkeypatch), stored(s, f, monkeypatch=monkeypatch), s, f)
    assert (stored(s, f, monkeypatch=monkeypatch).items["match"] == "confirmed").sum() == 1
    matching.undo(s, pair)
    assert current(s) is None

    # a scoring-settings save: another md5 (and data version), the scores computed again
    fresh_result()
    cfg = scoring_settings(s)
    cfg["grades"] = [[100.5, "优"], [80.0, "良"], [60.0, "中"], [0.0, "差"]]     # 100 is no longer 优
    s.set_setting(SETTING_KEY, cfg)
    assert current(s) is None
    cmp.clear_cache()
    assert cmp.store_result(s, 2023, 2024, TH)
    c = stored(s, f, monkeypatch=monkeypatch)
    ref = project_scores(s, f)
    assert c.scores["grade"].tolist() == ref["grade"].tolist() and (ref["grade"] == "良").any()

    # a re-import of one year: new ids; the stored result of the old version is never read, then cleared
    assert current(s) is not None
    v = s.figures_version()
    f2024 = [p for p in sample_files() if "2024" in p.name and "2023" not in p.name]
    plan = import_paths(s, f2024, replace=True, user=local_admin("测试"))
    assert plan.ok, plan.report.to_frame()
    assert s.figures_version() > v and current(s) is None
    cmp.clear_cache()
    again = cmp.compare(s, f, 2023, 2024, scores=False)
    assert again.scores is None                                 # computed, not read
    assert set(again.items["target_id"].dropna()).isdisjoint(before.items["target_id"].dropna())
    fresh_result()
    assert int(s.scalar("SELECT count(*) FROM year_pair_results")) == 1
    n = int(s.scalar("SELECT count(*) FROM year_pair_result_items"))
    assert n == current(s)["items"]                             # the old version's rows are gone


def test_a_result_computed_from_data_that_moved_on_is_not_stored(sample_store):
    s = sample_store
    cmp.clear_cache()
    v = s.figures_version()
    yp = cmp.year_pair(s, 2023, 2024)
    md5 = pair_results.md5_of(scoring_settings(s))
    scores = {y: project_scores(s, Filters(year=y)) for y in (2023, 2024)}
    s.set_setting("some_other_setting", 1)                      # a write: version v + 1
    assert not pair_results.save(s, v, md5, 2023, 2024, TH, yp.items, yp.candidates, scores)
    assert int(s.scalar("SELECT count(*) FROM year_pair_results")) == 0
    assert int(s.scalar("SELECT count(*) FROM year_pair_result_items")) == 0
    assert pair_results.save(s, v + 1, md5, 2023, 2024, TH, yp.items, yp.candidates, scores)
    assert not pair_results.save(s, v + 1, md5, 2023, 2024, TH, yp.items, yp.candidates, scores)
    cmp.clear_cache()


@pytest.mark.duckdb_only("opens the file read-only")
def test_a_read_only_store_reads_the_stored_result_and_writes_nothing(sample_db_path, monkeypatch):
    from perfboard.db import Store
    with Store(sample_db_path) as s:
        cmp.clear_cache()
        assert cmp.store_result(s, 2023, 2024, TH)
        want = computed(s, Filters(year=2024), monkeypatch=monkeypatch)
    with Store(sample_db_path, read_only=True) as r:
        got = stored(r, Filters(year=2024), monkeypatch=monkeypatch)
        same_view(want, got, r, Filters(year=2024))
        assert not cmp.store_result(r, 2023, 2024, TH)
    cmp.clear_cache()


def test_rows_read_out_of_order_are_put_back_in_their_stored_order():
    # the read queries leave out ORDER BY (a DuckDB scan keeps the insertion order); a join or another store's
    # copy may not, and then pair_results sorts them
    rows = pd.DataFrame({"seq": [2, 0, 1], "x": ["c", "a", "b"]})
    assert pair_results._ordered(rows)["x"].tolist() == ["a", "b", "c"]
    assert list(pair_results._ordered(rows).columns) == ["x"]
    per_year = pd.DataFrame({"year": [2024, 2023, 2024, 2023], "seq": [1, 0, 0, 1], "x": ["b", "p", "a", "q"]})
    out = pair_results._ordered(per_year, by_year=True)
    assert out[out["year"] == 2024]["x"].tolist() == ["a", "b"] and out[out["year"] == 2023]["x"].tolist() == ["p", "q"]
    kept = pd.DataFrame({"year": [2024, 2024, 2023], "seq": [0, 1, 0], "x": ["a", "b", "p"]})
    assert pair_results._ordered(kept, by_year=True)["x"].tolist() == ["a", "b", "p"]     # in order: as read
