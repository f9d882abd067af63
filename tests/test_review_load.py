"""自评复核 under load (issue 19): sessions waiting for a year's findings take the ones computed for the data
version they saw or a newer one (one computation for every waiting session, not one per save that came
meanwhile), and never an older one: after a notes-only save of a 偏差原因 the page shows exactly what a fresh
computation shows, the finding about the missing 偏差原因 gone, and back after the note is cleared again."""
from __future__ import annotations

import threading

import pandas as pd

from perfboard import review, review_store
from perfboard.editing import load_state, save
from perfboard.filters import Filters
from tests.test_review_view import _new_page

YEAR = 2023          # the sample's unmet indicators without a 偏差原因 are in 2023


def _fresh_page(store, filters=Filters(year=YEAR)):
    """The page as a fresh computation of the rules over the data as it is now shows it (and some keys)."""
    f = review.run_rules(store, filters)
    frame = review._decided(store, f)
    keys = frame["key"].tolist()
    return review.PageView(store, filters, frame=frame), keys


def _same_page(store, view, filters=Filters(year=YEAR)):
    fresh, keys = _fresh_page(store, filters)
    assert view.total() == fresh.total() > 0
    assert _new_page(view, keys) == _new_page(fresh, keys)


def _missing_reason(store) -> set[int]:
    f = review.findings(store, Filters(year=YEAR), codes=["missing-reason"])
    return {int(i) for i in f["indicator_id"] if i is not None}


def _set_note(store, iid: int, text: str | None) -> None:
    """Save indicator `iid`'s 偏差原因 as the 指标填报 page does (a notes-only save)."""
    pid = int(store.scalar("SELECT project_id FROM indicators WHERE id = ?", [iid]))
    state = load_state(store, pid)
    rows = [dict(r, deviation_note=text) if int(r["id"]) == iid else r for r in state.rows()]
    figures = store.figures_version()
    res = save(store, state, state.fields(), rows)
    assert res.changes == 1
    assert store.figures_version() == figures            # notes only: the figures version stays


def test_a_notes_only_save_shows_what_a_fresh_computation_shows(any_sample_store):
    s = any_sample_store
    view = review.page_view(s, Filters(year=YEAR))
    assert view.stored
    _same_page(s, view)
    iid = min(_missing_reason(s))
    _set_note(s, iid, "受天气影响，工期顺延至次年一季度")
    view = review.page_view(s, Filters(year=YEAR))
    assert iid not in set(view.rows("P1", 0, 10_000)["indicator_id"])
    _same_page(s, view)
    _set_note(s, iid, None)
    view = review.page_view(s, Filters(year=YEAR))
    assert iid in set(view.rows("P1", 0, 10_000)["indicator_id"])
    _same_page(s, view)


def test_findings_of_a_version_the_data_left_during_the_computation(any_sample_store, monkeypatch):
    """The save refused (the data moved while the rules ran): the session that computed them shows them (they
    are of the version it saw), the next session, which saw the newer version, computes again."""
    s = any_sample_store
    iid = min(_missing_reason(s))
    real, calls = review.run_rules, []

    def run(store, filters=Filters(), cfg=None, stats=None):
        f = real(store, filters, cfg, stats)
        calls.append(filters.year)
        if len(calls) == 1:                       # a save lands while the first computation runs
            _set_note(store, iid, "资金下达较晚")
        return f
    monkeypatch.setattr(review, "run_rules", run)
    s.set_setting("load_test_marker", 1)          # a write: whatever is stored is stale (the first computes)
    first = review.page_view(s, Filters(year=YEAR))
    assert not first.stored and iid in set(first.rows("P1", 0, 10_000)["indicator_id"])
    second = review.page_view(s, Filters(year=YEAR))
    assert calls == [YEAR, YEAR] and second.stored
    assert iid not in set(second.rows("P1", 0, 10_000)["indicator_id"])
    monkeypatch.setattr(review, "run_rules", real)
    _same_page(s, second)
    third = review.page_view(s, Filters(year=YEAR, departments=(first.rows("P1").iloc[0]["department"],)))
    assert third.stored and calls == [YEAR, YEAR]          # a filter change: read, nothing computed


def test_waiting_sessions_share_one_computation_for_the_newest_version(any_sample_store, monkeypatch):
    """Session A computes at version v; a save moves the data to v+1 meanwhile; sessions B..E, which saw v+1,
    wait for A, then one of them computes for v+1 and the others read it: two computations, not five; A shows
    the finding the save removed, B..E do not."""
    s = any_sample_store
    iid = min(_missing_reason(s))
    review.page_view(s, Filters(year=YEAR))             # stored at the start version
    real, calls = review.run_rules, []
    computing, saved = threading.Event(), threading.Event()

    def run(store, filters=Filters(), cfg=None, stats=None):
        calls.append(filters.year)
        f = real(store, filters, cfg, stats)
        if len(calls) == 1:
            computing.set()
            assert saved.wait(30)                  # A holds _COMPUTE_LOCK until the others are waiting
        return f
    monkeypatch.setattr(review, "run_rules", run)
    s.set_setting("load_test_marker", 1)          # a write: the stored findings are stale (A computes)
    views, errors = {}, []

    def session(name):
        try:
            views[name] = review.page_view(s, Filters(year=YEAR))
        except Exception as exc:       # noqa: BLE001 - reported below
            errors.append(exc)
    a = threading.Thread(target=session, args=("A",))
    a.start()
    assert computing.wait(30)
    _set_note(s, iid, "资金下达较晚")
    others = [threading.Thread(target=session, args=(n,)) for n in "BCDE"]
    for t in others:
        t.start()
    saved.set()
    for t in [a, *others]:
        t.join(60)
    assert not errors and len(views) == 5
    assert calls == [YEAR, YEAR]
    assert iid in set(views["A"].rows("P1", 0, 10_000)["indicator_id"])
    monkeypatch.setattr(review, "run_rules", real)
    for n in "BCDE":
        assert iid not in set(views[n].rows("P1", 0, 10_000)["indicator_id"])
        _same_page(s, views[n])


def test_stored_version_is_the_newest_stored(any_sample_store):
    s = any_sample_store
    md5 = review_store.settings_md5(review._settings_key(s, review.review_settings(s)))
    s.set_setting("load_test_marker", 1)
    assert (review_store.stored_version(s, YEAR, md5) or 0) < s.data_version()
    review.page_view(s, Filters(year=YEAR))
    v = s.data_version()
    assert review_store.stored_version(s, YEAR, md5) == v
    assert review_store.stored_version(s, YEAR, "other settings") is None
    s.set_setting("load_test_marker", 2)
    assert review_store.stored_version(s, YEAR, md5) == v < s.data_version()


def test_kept_frames_are_never_older_than_asked(sample_store):
    s = sample_store
    skey = review._settings_key(s, review.review_settings(s))
    f = pd.DataFrame({"x": [1]})
    review._CACHE[s] = {(5, "year", YEAR, skey): f}
    assert review._kept_since(s, YEAR, skey, 5) is f and review._kept_since(s, YEAR, skey, 4) is f
    assert review._kept_since(s, YEAR, skey, 6) is None
    assert review._kept_since(s, YEAR + 1, skey, 5) is None and review._kept_since(s, YEAR, "x", 5) is None
