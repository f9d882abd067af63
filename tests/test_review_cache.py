"""自评复核's findings are computed once per (year, data version, settings) and narrowed to the filters
(issue 19): the narrowed findings are the old per-filter computation's, a save / undo / import / settings
change computes them again, a filter change or a decision does not."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard import review
from perfboard.editing import load_state, save, undo
from perfboard.filters import Filters
from tests.synthetic_data import synthetic_db, synthetic_store  # noqa: F401  (fixtures)

# Judged on the whole year now, not on the filtered projects only (narrow_findings' docstring): a text
# copied from a unit outside the filters, and a unit all of whose projects have full marks.
WHOLE_YEAR_RULES = ("copied-text", "score-inflation")


def _fresh(store, filters):
    """The old computation: the rules over the filtered projects only, with decisions."""
    f = review.run_rules(store, filters)
    d = review.decisions(store)
    out = f.merge(d, on="key", how="left")
    out["status"] = out["status"].fillna("open")
    out["reason"] = out["reason"].astype(object).where(out["reason"].notna(), None)
    return out[review.FINDING_COLUMNS].reset_index(drop=True)


def _same(a: pd.DataFrame, b: pd.DataFrame, skip=()) -> None:
    a = a[~a["code"].isin(skip)].reset_index(drop=True)
    b = b[~b["code"].isin(skip)].reset_index(drop=True)
    assert len(a) == len(b)
    for c in review.FINDING_COLUMNS:
        x, y = a[c].astype(object).where(a[c].notna(), None), b[c].astype(object).where(b[c].notna(), None)
        assert x.tolist() == y.tolist(), c


def _departments(store, year):
    return [r[0] for r in store.cursor().execute(
        "SELECT department FROM projects WHERE year = ? GROUP BY 1 ORDER BY count(*) DESC, 1", [year]).fetchall()]


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = review.run_rules

    def run(store, filters=Filters(), cfg=None, stats=None):
        calls.append(filters)
        return real(store, filters, cfg, stats)
    monkeypatch.setattr(review, "run_rules", run)
    return calls


def test_cached_year_equals_fresh_computation(synthetic_store):
    s = synthetic_store
    for year in (2023, 2024):
        _same(review.findings(s, Filters(year=year)), _fresh(s, Filters(year=year)))


@pytest.mark.parametrize("kind", ["departments", "lights", "search", "funding", "mixed"])
def test_narrowed_findings_equal_the_per_filter_computation(synthetic_store, kind):
    s = synthetic_store
    depts = _departments(s, 2024)
    fund = s.scalar("SELECT funding_source FROM projects WHERE year = 2024 AND funding_source IS NOT NULL "
                    "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    filters = {"departments": Filters(year=2024, departments=tuple(depts[:2])),
               "lights": Filters(year=2024, lights=("红", "黄")),
               "search": Filters(year=2024, search="项目"),
               "funding": Filters(year=2024, funding_sources=(fund,)),
               "mixed": Filters(year=2024, departments=tuple(depts[:3]), lights=("红", "绿"))}[kind]
    got, want = review.findings(s, filters), _fresh(s, filters)
    assert len(got) > 0
    _same(got, want, WHOLE_YEAR_RULES)
    # the whole-year rules: exactly the year's findings of these projects and units
    year = review.findings(s, Filters(year=2024))
    ids = set(review.scope.run(s, "review_scope_ids", filters)["id"])
    units = set(review.scope.run(s, "review_scope_ids", filters)["department"])
    whole = year[year["code"].isin(WHOLE_YEAR_RULES)]
    pid = pd.to_numeric(whole["project_id"], errors="coerce")
    expect = whole[pid.isin(ids) | (pid.isna() & whole["department"].isin(units))]
    assert sorted(got[got["code"].isin(WHOLE_YEAR_RULES)]["key"]) == sorted(expect["key"])


def test_department_filter_on_the_sample_equals_the_old_computation(sample_store):
    for f in (Filters(year=2024, departments=("张掖市科学技术局",)), Filters(year=2024), Filters(year=2023),
              Filters(year=2024, search="科技"), Filters(year=2024, lights=("红",))):
        _same(review.findings(sample_store, f), _fresh(sample_store, f),
              WHOLE_YEAR_RULES if f.search or f.lights else ())


def test_rules_run_once_per_year_and_version(sample_store, counted):
    s = sample_store
    a = review.findings(s, Filters(year=2024))
    review.findings(s, Filters(year=2024, departments=("张掖市科学技术局",)))
    review.findings(s, Filters(year=2024, lights=("红",)), severities=["P1"])
    review.decide(s, a.iloc[0].to_dict(), "verified", None)            # a decision: no new data version
    assert review.findings(s, Filters(year=2024))["status"].iloc[0] == "verified"
    assert counted == [Filters(year=2024)]


def test_save_undo_settings_and_import_compute_again(sample_store, counted, tmp_path):
    s = sample_store
    f = review.findings(s, Filters(year=2024))
    assert "2024 年招商引资" in set(f.loc[f["code"] == "missing-improvement", "project"])
    pid = int(s.scalar("SELECT id FROM projects WHERE year = 2024 AND name = '2024 年招商引资'"))
    res = save(s, load_state(s, pid), {"improvement": "下半年加快支出进度"}, load_state(s, pid).rows())
    f = review.findings(s, Filters(year=2024))
    assert "2024 年招商引资" not in set(f.loc[f["code"] == "missing-improvement", "project"])
    undo(s, res.save_id)
    f = review.findings(s, Filters(year=2024))
    assert "2024 年招商引资" in set(f.loc[f["code"] == "missing-improvement", "project"])
    assert len(counted) == 3
    cfg = review.review_settings(s)
    review.save_review_settings(s, {**cfg, "severity": {**cfg["severity"], "unit-mismatch": "P0"}})
    f = review.findings(s, Filters(year=2024))
    assert set(f.loc[f["code"] == "unit-mismatch", "severity"]) == {"P0"} and len(counted) == 4
    from perfboard.importer import import_paths
    from tests.test_review import SAMPLE_2024
    before = s.data_version()
    import_paths(s, [SAMPLE_2024], replace=True)
    assert s.data_version() != before
    review.findings(s, Filters(year=2024))
    assert len(counted) == 5
    _same(review.findings(s, Filters(year=2024)), _fresh(s, Filters(year=2024)))


def test_warm_stores_every_year_once_and_again_after_a_write(sample_store, counted):
    s = sample_store
    assert review.warm(s) == [2024, 2023]
    assert counted == [Filters(year=2024), Filters(year=2023)]          # newest first, each year once
    assert review._CACHE.get(s, {}) == {}                               # stored, not kept in this process
    for year in (2024, 2023):                                           # the page: read, nothing computed
        assert review.page_view(s, Filters(year=year, departments=("张掖市科学技术局",))).stored
    assert review.warm(s) == [2024, 2023] and len(counted) == 2         # current: nothing computed again
    cfg = review.review_settings(s)
    review.save_review_settings(s, {**cfg, "thin_min_output": 4})      # a write: every year is stale
    assert review.warm(s) == [2024, 2023] and counted[2:] == [Filters(year=2024), Filters(year=2023)]


def test_warm_ups_side_by_side_compute_one_year_at_a_time(sample_store, monkeypatch):
    import threading
    import time
    real, lock, running, calls = review.run_rules, threading.Lock(), [0, 0], []

    def run(store, filters=Filters(), cfg=None, stats=None):
        with lock:
            running[0] += 1
            running[1] = max(running)
            calls.append(filters.year)
        time.sleep(0.2)                                  # long enough for the other thread to try
        try:
            return real(store, filters, cfg, stats)
        finally:
            with lock:
                running[0] -= 1
    monkeypatch.setattr(review, "run_rules", run)
    threads = [threading.Thread(target=review.warm, args=(sample_store,)) for _ in range(2)]
    threads.append(threading.Thread(target=review.page_view, args=(sample_store, Filters(year=2023))))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert running[1] == 1 and sorted(calls) == [2023, 2024]           # never two at once, each year once


# ---------------------------------------------------------------- kept in the database (migration 015)
def test_a_year_computed_once_is_read_by_every_process(sample_store, counted):
    from perfboard import review_store
    s = sample_store
    first = review.findings(s, Filters(year=2024))
    review._CACHE.clear()                          # another process: only the database is shared
    again = review.findings(s, Filters(year=2024))
    assert counted == [Filters(year=2024)]
    _same(again, first)
    assert review.findings(s, Filters(year=2024, departments=("张掖市科学技术局",)))["key"].tolist() == \
        first["key"].tolist()
    assert s.scalar("SELECT findings FROM review_findings_runs WHERE year = 2024") == len(first) > 0
    # a write moves the data version: the stored year is not read again, and a save of stale findings is refused
    old = s.data_version()
    cfg = review.review_settings(s)
    review.save_review_settings(s, {**cfg, "thin_min_output": 4})
    review._CACHE.clear()
    assert len(review.findings(s, Filters(year=2024))) > len(first) and len(counted) == 2
    md5 = review_store.settings_md5(review._settings_key(s, review.review_settings(s)))
    assert not review_store.save(s, 2024, old, md5, first)
    assert review_store.load(s, 2024, old, md5) is None


def test_cli_json_is_the_same_computed_or_read_back(sample_db_path, capsys, counted, tmp_path):
    from perfboard.cli import main
    outs = []
    for _ in range(2):
        assert main(["review", "--db", str(sample_db_path), "--json"]) == 0
        outs.append(capsys.readouterr().out)
    assert len(counted) == 1 and outs[0] == outs[1] and '"findings": [{' in outs[0]
    path = tmp_path / "wp.xlsx"          # sample_db_path is a URL on PostgreSQL
    assert main(["review", "--db", str(sample_db_path), "--out", str(path)]) == 0 and len(counted) == 1
