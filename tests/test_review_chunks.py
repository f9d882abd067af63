"""自评复核 computed a group of whole units at a time (review.GROUP_PROJECTS, issue 19: a province's year in one
piece peaked at ~2.5 GB) gives exactly the findings of one run over all the filtered projects: the same rows in
the same order with the same values and dtypes, on the sample and on a generated set of 40 units with texts
copied across units, stated scores, a unit all of whose projects have full marks and projects sharing one
identity inside a unit (duplicate keys)."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from perfboard import review
from perfboard.db import Store
from perfboard.filters import Filters

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def _rules(store, filters, group_projects, monkeypatch, calls=None) -> pd.DataFrame:
    monkeypatch.setattr(review, "GROUP_PROJECTS", group_projects)
    if calls is not None:
        real, me = review._group_rules, threading.current_thread()

        def recording(*a):
            # only this thread's calls: a warm-up thread an earlier test of this worker left running
            # (ui.state.warm_up -> review.warm) may compute findings meanwhile through the same function
            if threading.current_thread() is me:
                calls.append(a[3])
            return real(*a)
        monkeypatch.setattr(review, "_group_rules", recording)
    return review.run_rules(store, filters)


def _identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes]
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    for c in a.columns:          # None and NaN are told apart (the JSON and the store write them differently)
        x = a[c].astype(object).tolist()
        y = b[c].astype(object).tolist()
        assert [type(v) for v in x] == [type(v) for v in y], c
        assert [v if v == v else "NaN" for v in x] == [v if v == v else "NaN" for v in y], c


def _check(store, filters, monkeypatch, sizes) -> pd.DataFrame:
    whole = _rules(store, filters, 10 ** 9, monkeypatch)
    assert len(whole) > 0
    for size in sizes:
        calls = []
        got = _rules(store, filters, size, monkeypatch, calls)
        assert len(calls) > 1 and all(c is not None for c in calls), size      # really in groups
        _identical(got, whole)
    return whole


def test_groups_of_units_equal_one_run_on_the_sample(sample_store, monkeypatch):
    s = sample_store
    whole = review.run_rules(s, Filters(year=2024))
    monkeypatch.setattr(review, "GROUP_PROJECTS", 1)
    _identical(review.run_rules(s, Filters(year=2024)), whole)       # one unit: one group however small
    # the sample is one unit: split it in three (every third project moved to two other units)
    with s.transaction() as cur:
        cur.execute("UPDATE projects SET department = department || '（二）' WHERE id % 3 = 1")
        cur.execute("UPDATE projects SET department = '甲' || department WHERE id % 3 = 2")
    for f in (Filters(year=2024), Filters(year=2023), Filters()):
        two = int(review.scope.run(s, "review_departments", f)["projects"].iloc[:2].sum())
        _check(s, f, monkeypatch, (1, two))         # a unit per group; the first two units together


# ---------------------------------------------------------------- a generated set of 40 units
def _build(target) -> None:
    from bench_review import texts_for
    from generate import generate

    from tests.synthetic_data import import_frames
    with Store(target) as store:
        import_frames(store, generate(900, 2, 40, 23, first_year=2024), "mid.xlsx")
        with store.transaction() as cur:
            ids, names = zip(*cur.execute("SELECT id, name FROM projects ORDER BY id").fetchall())
            first = cur.execute("SELECT min(department) FROM projects WHERE year = 2024").fetchall()[0][0]
            # texts copied across units (exact and near copies, templates with the project's own name)
            for i, text in zip(ids, texts_for(list(names), 5)):
                if i % 4:
                    cur.execute("UPDATE projects SET achievement = ? WHERE id = ?", [text, i])
            cur.execute("UPDATE projects SET deviation_reason = achievement WHERE id % 9 = 0")
            # stated scores: some differ from the computed ones; one unit all at full marks (score-inflation)
            cur.execute("UPDATE projects SET reported_total_score = 88 WHERE id % 5 = 0")
            cur.execute("UPDATE projects SET reported_total_score = 100 WHERE department = ?", [first])
            cur.execute("UPDATE indicators SET reported_score = weight WHERE id % 7 = 0")
            # two projects of one unit with one identity (same code and name): findings with the same key
            cur.execute("UPDATE projects SET project_code = 'DUP-' || CAST(id % 3 AS VARCHAR), name = '同名项目' "
                        "WHERE id % 61 = 0")


@pytest.fixture(scope="module")
def _mid_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("mid") / "mid.duckdb"
    _build(path)
    return path


@pytest.fixture
def mid_store(db_target, request):
    from pg_helpers import ON_PG
    if ON_PG:                         # the PostgreSQL pass: the same set built in that store
        _build(db_target)
    else:
        import shutil
        shutil.copy(request.getfixturevalue("_mid_db"), db_target)
    s = Store(db_target)
    yield s
    s.close()


def test_groups_of_units_equal_one_run_on_a_generated_set(mid_store, monkeypatch):
    s = mid_store
    whole = _check(s, Filters(year=2024), monkeypatch, (1, 500))
    codes = set(whole["code"])
    # the cases this set is there for
    assert {"copied-text", "score-inflation", "reported-vs-computed"} <= codes
    copied = whole[whole["code"] == "copied-text"]
    assert (copied["fact"].str.contains("本单位") == False).any()          # noqa: E712 - a copy from another unit
    assert s.scalar("SELECT count(*) FROM projects WHERE name = '同名项目' AND year = 2024") > 2
    _check(s, Filters(), monkeypatch, (150,))                                    # both years at once
    depts = sorted(set(whole["department"]))
    _check(s, Filters(year=2024, departments=tuple(depts[:9])), monkeypatch, (100,))
    _check(s, Filters(year=2024, lights=("绿",)), monkeypatch, (200,))


def test_a_year_in_groups_is_stored_and_read_back_the_same(mid_store, monkeypatch):
    monkeypatch.setattr(review, "GROUP_PROJECTS", 100)
    first = review.findings(mid_store, Filters(year=2024))
    review._CACHE.clear()                  # another process: read back from the database
    again = review.findings(mid_store, Filters(year=2024))
    assert len(first) > 0
    assert first["key"].tolist() == again["key"].tolist()
    assert first["message"].tolist() == again["message"].tolist()
