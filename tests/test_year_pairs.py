"""同比分析's stored year pairs (issue 19 item 3, migrations 008 and 020, perfboard.year_pairs): the pair loaded from
the database gives exactly the items and candidates of the pair computed in memory, after decisions and their
undo, after a re-import and after the sample is deleted; a stored pair of another projects version is never
served; decisions and edits that change no project's identity keep it (tests/test_pair_carry.py), other writes
do not."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard import compare as cmp
from perfboard import matching, year_pairs
from perfboard.auth import local_admin
from perfboard.filters import Filters
from perfboard.importer import import_paths
from perfboard.sample import remove_sample, sample_files
from tests.scale_fixtures import _synthetic_db, synthetic_db_path, synthetic_store  # noqa: F401

TH = matching.DEFAULT_THRESHOLD


def in_memory(store, base_year, year, monkeypatch):
    """The pair as the code computes it with nothing stored (nothing read from or written to year_pairs)."""
    with monkeypatch.context() as m:
        m.setattr(year_pairs, "find", lambda *a, **k: None)
        m.setattr(year_pairs, "save_quietly", lambda *a, **k: False)
        cmp.clear_cache()
        yp = cmp.year_pair(store, base_year, year)
    cmp.clear_cache()
    return yp


def from_store(store, base_year, year, monkeypatch):
    """The pair as a fresh process finds it: loaded from year_pairs, matching.prepare never called."""
    cmp.clear_cache()
    assert year_pairs.find(store, store.projects_version(), base_year, year, TH) is not None

    def refuse(*a, **k):
        raise AssertionError("matching.prepare called although the pair is stored")
    with monkeypatch.context() as m:
        m.setattr(matching, "prepare", refuse)
        yp = cmp.year_pair(store, base_year, year)
    cmp.clear_cache()
    return yp


def same(a, b):
    pd.testing.assert_frame_equal(a.items, b.items)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)
    pd.testing.assert_frame_equal(a.current, b.current)
    pd.testing.assert_frame_equal(a.base, b.base)


def stored_rows(store) -> int:
    return int(store.scalar("SELECT count(*) FROM year_pair_parts"))


def test_stored_pair_equals_the_computed_one_through_decisions_and_undo(synthetic_store, monkeypatch):
    s = synthetic_store
    firsts = {}
    for by, y in ((2023, 2024), (2022, 2024)):
        assert year_pairs.find(s, s.projects_version(), by, y, TH) is None
        cmp.clear_cache()
        firsts[by] = cmp.year_pair(s, by, y)             # computes and stores it
        same(firsts[by], in_memory(s, by, y, monkeypatch))
        same(from_store(s, by, y, monkeypatch), firsts[by])
    assert stored_rows(s) > 0

    v, p = s.data_version(), s.projects_version()
    cand = cmp.year_pair(s, 2023, 2024).candidates
    assert len(cand) >= 2
    confirm, reject = cand.iloc[0].to_dict(), cand.iloc[-1].to_dict()
    matching.decide(s, confirm, "confirmed")
    matching.decide(s, reject, "rejected")
    assert s.data_version() == v + 2 and s.projects_version() == p
    assert year_pairs.find(s, p, 2023, 2024, TH) == p           # decisions change no project: still served
    loaded = from_store(s, 2023, 2024, monkeypatch)
    same(loaded, in_memory(s, 2023, 2024, monkeypatch))
    it = loaded.items
    assert ((it["base_id"] == confirm["base_id"]) & (it["target_id"] == confirm["target_id"])
            & (it["match"] == "confirmed")).sum() == 1
    assert not ((loaded.candidates["base_id"] == reject["base_id"])
                & (loaded.candidates["target_id"] == reject["target_id"])).any()
    same(from_store(s, 2022, 2024, monkeypatch), in_memory(s, 2022, 2024, monkeypatch))

    matching.undo(s, confirm)
    matching.undo(s, reject)
    same(from_store(s, 2023, 2024, monkeypatch), firsts[2023])  # back to the first matching, from the store


def test_a_write_that_is_not_a_decision_makes_the_stored_pair_stale(synthetic_store, monkeypatch):
    s = synthetic_store
    cmp.clear_cache()
    before = cmp.year_pair(s, 2023, 2024)
    p = s.projects_version()
    coded = before.items[(before.items["match"] == "code")].iloc[0]
    with s.transaction() as cur:           # the base project loses its code: the code tier no longer pairs it
        cur.execute("UPDATE projects SET project_code = NULL, name = name || '（改名）' WHERE id = ?",
                    [int(coded["base_id"])])
    assert s.projects_version() == p + 1
    assert year_pairs.find(s, p + 1, 2023, 2024, TH) is None    # the stored pair of p is not served
    cmp.clear_cache()
    after = cmp.year_pair(s, 2023, 2024)
    same(after, in_memory(s, 2023, 2024, monkeypatch))
    row = after.items[after.items["base_id"] == coded["base_id"]]
    assert len(row) == 1 and row["match"].iloc[0] != "code"
    assert year_pairs.find(s, p + 1, 2023, 2024, TH) == p + 1
    assert int(s.scalar("SELECT count(*) FROM year_pairs WHERE projects_version <> ?", [p + 1])) == 0   # old cleared
    assert int(s.scalar("SELECT count(DISTINCT projects_version) FROM year_pair_parts")) == 1


def test_a_pair_computed_from_data_that_moved_on_is_not_stored(synthetic_store):
    s = synthetic_store
    v = s.projects_version()
    base, target = (cmp._year_rows(f, y) for f in [cmp.scope.run(s, "compare_projects", Filters(),
                                                                 {"years": [2023, 2024]})] for y in (2023, 2024))
    prep = matching.prepare(base, target)
    with s.transaction() as cur:                                  # a project renamed: projects version v + 1
        cur.execute("UPDATE projects SET name = name || '（改）' WHERE id = (SELECT min(id) FROM projects)")
    assert not year_pairs.save(s, v, 2023, 2024, TH, prep)
    assert year_pairs.find(s, v, 2023, 2024, TH) is None and stored_rows(s) == 0
    assert year_pairs.save(s, v + 1, 2023, 2024, TH, prep)
    assert not year_pairs.save(s, v + 1, 2023, 2024, TH, prep)  # once
    assert year_pairs.find(s, v + 1, 2023, 2024, TH) == v + 1


def test_stored_parts_round_trip_to_the_same_finish(synthetic_store):
    s = synthetic_store
    frame = cmp.scope.run(s, "compare_projects", Filters(), {"years": [2023, 2024]})
    base, target = cmp._year_rows(frame, 2023), cmp._year_rows(frame, 2024)
    prep = matching.prepare(base, target)
    v = s.projects_version()
    assert year_pairs.save(s, v, 2023, 2024, TH, prep)
    loaded = year_pairs.load(s, v, 2023, 2024, TH, base, target)
    for name in matching.PARTS:
        a, b = getattr(prep, name).reset_index(drop=True), getattr(loaded, name).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False)
    a, b = matching.finish(prep), matching.finish(loaded)
    pd.testing.assert_frame_equal(a.pairs, b.pairs)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)


def test_sample_pair_stored_then_reimport_and_sample_removal(sample_store, monkeypatch):
    s = sample_store
    cmp.clear_cache()
    first = cmp.year_pair(s, 2023, 2024)
    assert len(first.items) and year_pairs.find(s, s.projects_version(), 2023, 2024, TH) is not None
    same(from_store(s, 2023, 2024, monkeypatch), in_memory(s, 2023, 2024, monkeypatch))
    assert cmp.warm(s) == (2023, 2024)

    # a re-import of one year: a new version, the stored pair not served, the new one stored and equal
    v = s.projects_version()
    f2024 = [p for p in sample_files() if "2024" in p.name and "2023" not in p.name]
    plan = import_paths(s, f2024, replace=True, user=local_admin("测试"))
    assert plan.ok, plan.report.to_frame()
    assert s.projects_version() > v and year_pairs.find(s, s.projects_version(), 2023, 2024, TH) is None
    cmp.clear_cache()
    again = cmp.year_pair(s, 2023, 2024)
    same(again, in_memory(s, 2023, 2024, monkeypatch))
    same(from_store(s, 2023, 2024, monkeypatch), again)
    assert set(again.current["id"]).isdisjoint(first.current["id"])      # re-imported rows: new ids

    remove_sample(s, local_admin("测试"))
    assert year_pairs.find(s, s.projects_version(), 2023, 2024, TH) is None
    cmp.clear_cache()
    gone = cmp.compare(s, Filters(year=2024), 2023, 2024, scores=False)
    assert gone.items.empty
    same(cmp.year_pair(s, 2023, 2024), in_memory(s, 2023, 2024, monkeypatch))


def test_a_read_only_store_serves_the_stored_pair_and_writes_nothing(sample_db_path, monkeypatch):
    from perfboard.db import Store
    with Store(sample_db_path) as s:
        cmp.clear_cache()
        first = cmp.year_pair(s, 2023, 2024)
    with Store(sample_db_path, read_only=True) as r:
        same(from_store(r, 2023, 2024, monkeypatch), first)
        cmp.clear_cache()
        assert not year_pairs.save(r, r.projects_version(), 2023, 2024, 70.0, None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cmp.clear_cache()
    yield
    cmp.clear_cache()


def test_the_command_line_import_stores_the_new_pair(tmp_path, monkeypatch):
    import io
    from contextlib import redirect_stdout

    from perfboard.cli import main
    from perfboard.db import Store
    db = tmp_path / "cli.duckdb"
    files = sample_files()
    with redirect_stdout(io.StringIO()):
        assert main(["import", "--db", str(db), str(files[0])]) == 0          # one year: no pair yet
        with Store(db) as s:
            assert int(s.scalar("SELECT count(*) FROM year_pairs")) == 0
        assert main(["import", "--db", str(db), str(files[1])]) == 0          # the second year makes the pair
    with Store(db, read_only=True) as s:
        v = s.projects_version()
        assert year_pairs.find(s, v, 2023, 2024, TH) == v
        same(from_store(s, 2023, 2024, monkeypatch), in_memory(s, 2023, 2024, monkeypatch))


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_compare_json_is_streamed_with_the_same_text(sample_db_path, monkeypatch, capsys, chunk):
    """`compare --json` writes the items a chunk at a time; its text is json.dumps of to_json(), whatever the chunk."""
    import json

    from perfboard.cli import main
    from perfboard.db import Store
    with Store(sample_db_path) as s:       # a control character and a DEL in a name: escaped the same in pieces
        with s.transaction() as cur:
            cur.execute("UPDATE projects SET name = name || '\x07\x7f' WHERE id IN (SELECT min(id) FROM projects)")
    for args, f, base in ((["--year", "2024"], Filters(year=2024), 2023), (["--year", "2023"], Filters(year=2023), 2024),
                          (["--year", "2024", "--search", "没有这样的项目"], Filters(year=2024, search="没有这样的项目"),
                           2023)):
        cmp.clear_cache()
        with Store(sample_db_path) as s:
            whole = json.dumps(cmp.to_json(cmp.compare(s, f, base, f.year, scores=False)), ensure_ascii=False)
        monkeypatch.setattr(cmp, "JSON_CHUNK", chunk)
        assert main(["compare", "--json", "--db", str(sample_db_path), "--base", str(base), *args]) == 0
        out = capsys.readouterr().out
        from perfboard.text import json_terminal
        assert out == json_terminal(whole) + "\n"
        assert json.loads(out) == json.loads(whole)
        assert ("--search" in args) == (json.loads(out)["items"] == [])


def test_a_single_confirmation_with_the_stored_matching_loaded(sample_store, monkeypatch):
    # decisions of one kind only (no rejection): a fresh process loading the stored matching (its projects
    # without keys) once failed to merge the empty rejections on a key column that came out float
    s = sample_store
    cmp.clear_cache()
    (pair,) = cmp.year_pair(s, 2023, 2024).candidates.to_dict("records")
    matching.decide(s, pair, "confirmed")
    loaded = from_store(s, 2023, 2024, monkeypatch)
    same(loaded, in_memory(s, 2023, 2024, monkeypatch))
    assert (loaded.items["match"] == "confirmed").sum() == 1 and loaded.candidates.empty
