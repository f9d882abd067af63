"""The figures version (issue 19, migration 021, perfboard.versions): a save of notes only (an indicator's
偏差原因分析及改进措施, a project's 偏离原因/改进措施) leaves it and moves the data version; a save of a figure moves
both. Every function marked notes_blind (whose cache ui.state.load keys on the figures version) gives the same
result before and after notes-only saves that change what the note-reading functions show; a wrongly marked
function fails here. On both stores."""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
import pandas as pd
import pytest

from perfboard import bands, compare, editing, execution, monitoring, sample, scoring, summary, versions
from perfboard.db import Writes
from perfboard.filters import Filters
from perfboard import overview as ov
from perfboard.overview import overview

F24, F23 = Filters(year=2024), Filters(year=2023)


# ---------------------------------------------------------------- what each marked function is called with
def _pairs(store) -> list[tuple]:
    """(base_id, target_id) of every item of the sample's 2023/2024 comparison (pairs and unpaired projects)."""
    compare.clear_cache()
    c = compare.compare(store, Filters(), 2023, 2024, scores=False)
    compare.clear_cache()
    out = []
    for b, t in zip(c.items["base_id"], c.items["target_id"]):
        out.append((None if pd.isna(b) else int(b), None if pd.isna(t) else int(t)))
    return out


def calls(store) -> dict[str, list[tuple]]:
    """versions.name_of(fn) -> the argument tuples (after the store) each marked function is checked with."""
    depts = tuple(summary.filter_options(store)["departments"])
    monitor = [(f, 2024, 7) for f in (F24, Filters())]
    return {
        versions.name_of(fn): args for fn, args in [
            (summary.filter_options, [(), (depts[:1],)]),
            (summary.previous_year, [(2024,), (2023,), (None,)]),
            (sample.sample_in_use, [()]),
            (sample.fictional_years, [()]),
            (sample.illustrative_note, [(F24,), (F24, (2023,)), (Filters(),)]),
            (execution.figures, [(F24,), (F23,), (Filters(year=2024, departments=depts[:1]),)]),
            (execution.table_page, [(F24, 50, 0), (F23, 5, 5)]),
            (bands.get_bands, [()]),
            (compare.sample_years, [()]),
            (compare.indicator_comparison, _pairs(store)),
            (compare.trend, [(F24,), (Filters(),)]),
            (monitoring.get_rules, [()]),
            (monitoring.periods, [()]),
            (monitoring.figures, monitor),
            (monitoring.rows, [a + (50, 0, True) for a in monitor]),
            (monitoring.table, [a + (50, 0) for a in monitor]),
            (monitoring.at_risk, monitor),
            (monitoring.project_indicators, [a + (1,) for a in monitor]),
            (monitoring.trajectory, [(F24,)]),
            (scoring.scoring_settings, [()]),
            (scoring.project_grades, [(F24,), (F23,), (Filters(),)]),
            (editing.indicator_levels, [()]),
            (editing.project_choices, [(F24, 1000, None), (Filters(), 5, None)]),
            (ov.overview_figures, [(F24,), (F23,), (Filters(year=2024, departments=depts[:1]), 2, 3)]),
        ]
    }


def _fresh(store, name: str, args: tuple):
    """The function's result computed now, no process-wide cache of an earlier version read."""
    compare.clear_cache()
    scoring._CACHE.clear()
    module, fn = name.rsplit(".", 1)
    import importlib
    return getattr(importlib.import_module(module), fn)(store, *args)


def assert_same(a, b, where: str = "") -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where or "DataFrame")
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where or "Series")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif dataclasses.is_dataclass(a):
        assert_same(dataclasses.asdict(a), dataclasses.asdict(b), where)
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _one(store, sql: str, params=()) -> int:
    return int(store.scalar(sql, list(params)))


def _save_indicator_note(store, indicator_id: int, note: str | None) -> None:
    pid = _one(store, "SELECT project_id FROM indicators WHERE id = ?", [indicator_id])
    st = editing.load_state(store, pid)
    rows = st.rows()
    (row,) = [r for r in rows if r["id"] == indicator_id]
    row["deviation_note"] = note
    assert editing.save(store, st, st.fields(), rows).save_id is not None


def _save_project_notes(store, project_id: int, **fields) -> None:
    st = editing.load_state(store, project_id)
    assert editing.save(store, st, {**st.fields(), **fields}, st.rows()).save_id is not None


def _notes_only_saves(store):
    """Three notes-only saves, each changing what a note-reading function shows: a 偏差原因 written on an unmet
    indicator whose note was blank (the overview's 未达成未填原因 and scoring's unmet-no-note finding move), a
    project in budget deviation losing its 偏离原因 and gaining 改进措施 (偏离未填原因 moves), the note written
    cleared (the sample holds no indicator note). Yields after each one."""
    blank = "status = 'unmet' AND trim(coalesce(deviation_note, '')) = ''"
    unmet = _one(store, f"SELECT min(id) FROM indicators i WHERE {blank} AND (SELECT count(*) FROM indicators"
                        f" WHERE project_id = i.project_id AND {blank}) = 1")      # its project's only one
    late = _one(store, "SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
    _save_indicator_note(store, unmet, "因场地未落实，建设推迟至次年；已调整实施计划。")
    yield "note written"
    _save_project_notes(store, late, deviation_reason=None, improvement="加快支付进度")
    yield "project reason cleared"
    _save_indicator_note(store, unmet, None)
    yield "note cleared"


def test_every_marked_function_is_checked():
    """A function marked notes_blind without a case in calls() fails here: mark it, check it."""
    checked = set(versions.NOTES_BLIND)
    names = {versions.name_of(fn) for fn in (
        summary.filter_options, summary.previous_year, sample.sample_in_use, sample.fictional_years,
        sample.illustrative_note, execution.figures, execution.table_page, bands.get_bands, compare.sample_years,
        compare.indicator_comparison, compare.trend, monitoring.get_rules, monitoring.periods, monitoring.figures,
        monitoring.rows, monitoring.table, monitoring.at_risk, monitoring.project_indicators, monitoring.trajectory,
        scoring.scoring_settings, scoring.project_grades, editing.indicator_levels, editing.project_choices,
        ov.overview_figures)}
    assert checked == names
    # and no function reading notes is marked
    for fn in (overview, ov.overview_notes, scoring.project_scores, editing.history):
        assert not versions.is_notes_blind(fn)


def test_marked_functions_give_the_same_results_after_notes_only_saves(any_sample_store):
    s = any_sample_store
    cases = calls(s)
    assert set(cases) == versions.NOTES_BLIND
    before = {(n, a): _fresh(s, n, a) for n, args in cases.items() for a in args}
    quality = {y: overview(s, Filters(year=y))["quality"] for y in (2023, 2024)}
    findings = scoring.project_scores(s, Filters())["findings"].map(tuple).tolist()
    fv, dv = s.figures_version(), s.data_version()
    for step in _notes_only_saves(s):
        assert s.figures_version() == fv, step
        assert s.data_version() > dv, step
        dv = s.data_version()
        for (n, a), want in before.items():
            assert_same(_fresh(s, n, a), want, f"{n}{a} after {step}")
        # the saves do change what the note-reading functions show (else this test could not fail)
        if step == "note written":
            assert overview(s, F23)["quality"]["unmet_no_reason"] == quality[2023]["unmet_no_reason"] - 1
            assert scoring.project_scores(s, Filters())["findings"].map(tuple).tolist() != findings
        elif step == "project reason cleared":
            assert overview(s, F24)["quality"]["budget_no_reason"] == quality[2024]["budget_no_reason"] + 1
            assert any(i["reason"] == "未填写原因" and i["measures"] == "加快支付进度"
                       for i in ov.with_notes(ov.overview_figures(s, F24), ov.overview_notes(
                           s, F24, tuple(i["id"] for i in ov.overview_figures(s, F24)["attention"])))["attention"])
        else:
            assert overview(s, F23)["quality"]["unmet_no_reason"] == quality[2023]["unmet_no_reason"]


def test_a_figure_save_moves_both_versions(any_sample_store):
    s = any_sample_store
    fv, dv, pv = s.figures_version(), s.data_version(), s.projects_version()
    pid = _one(s, "SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
    st = editing.load_state(s, pid)
    assert editing.save(s, st, {**st.fields(), "spent": 4.0}, st.rows()).save_id is not None
    assert (s.figures_version(), s.data_version(), s.projects_version()) == (fv + 1, dv + 1, pv)
    # an indicator's actual value (its status moves): a figure too
    st = editing.load_state(s, pid)
    rows = st.rows()
    met = [r for r in rows if r["judgement"] == "达成"][0]
    met["actual_text"], met["judgement"] = "0次", None
    assert editing.save(s, st, st.fields(), rows).save_id is not None
    assert (s.figures_version(), s.data_version()) == (fv + 2, dv + 2)
    # a save of a note together with a figure: a figure save
    st = editing.load_state(s, pid)
    assert editing.save(s, st, {**st.fields(), "budget": 6.0, "improvement": "另写"}, st.rows()).save_id is not None
    assert (s.figures_version(), s.data_version()) == (fv + 3, dv + 3)
    # a settings save
    s.set_setting("some_setting", 1)
    assert (s.figures_version(), s.data_version()) == (fv + 4, dv + 4)


def test_an_undo_of_a_notes_only_save_is_notes_only(any_sample_store):
    s = any_sample_store
    pid = _one(s, "SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
    st = editing.load_state(s, pid)
    res = editing.save(s, st, {**st.fields(), "improvement": "加快支付进度"}, st.rows())
    fv, dv = s.figures_version(), s.data_version()
    editing.undo(s, res.save_id)
    assert (s.figures_version(), s.data_version()) == (fv, dv + 1)
    assert editing.load_state(s, pid).project["improvement"] is None


def _joined(store, filters, *args):
    part = ov.overview_figures(store, filters, *args)
    return ov.with_notes(part, ov.overview_notes(store, filters, tuple(i["id"] for i in part["attention"])))


def _unjoined(o: dict) -> dict:
    """overview()'s dict less figures()' quality/rows/attention of "figures" and "base" (not shown)."""
    return {**o, "figures": ov._figures_only(o["figures"]), "base": ov._figures_only(o["base"])}


def test_the_overview_page_joins_its_two_parts_into_the_overview(any_sample_store):
    s = any_sample_store
    for filters, args in ((F24, ()), (F23, ()), (Filters(year=2024, lights=("黄", "红")), (1, 3)), (Filters(), ())):
        assert_same(_joined(s, filters, *args), _unjoined(overview(s, filters, *args)), str(filters))
    for _ in _notes_only_saves(s):
        for filters in (F24, F23):
            assert_same(_joined(s, filters), _unjoined(overview(s, filters)), str(filters))


# ---------------------------------------------------------------- ui.state.load's key
def test_load_keeps_a_marked_functions_cache_across_a_notes_only_save_and_follows_a_figure_save(
        any_sample_store, monkeypatch):
    from ui import state
    s = any_sample_store
    monkeypatch.setattr(state, "store", lambda: s)
    computed = {"figures": 0, "overview": 0}

    def counted(fn, key):
        @functools.wraps(fn)
        def wrapper(*a, **k):
            computed[key] += 1
            return fn(*a, **k)
        return wrapper
    monkeypatch.setattr(execution, "figures", counted(execution.figures, "figures"))
    import perfboard.overview as ov
    monkeypatch.setattr(ov, "overview", counted(ov.overview, "overview"))
    assert versions.is_notes_blind(execution.figures) and not versions.is_notes_blind(ov.overview)
    state._cached.clear()
    try:
        first = state.load(execution.figures, F24)
        state.load(ov.overview, F24)
        assert computed == {"figures": 1, "overview": 1}
        pid = _one(s, "SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
        _save_project_notes(s, pid, improvement="加快支付进度")
        assert state.load(execution.figures, F24) is not None and computed["figures"] == 1     # kept
        state.load(ov.overview, F24)
        assert computed["overview"] == 2                                                    # reads notes
        st = editing.load_state(s, pid)
        assert editing.save(s, st, {**st.fields(), "spent": 4.5}, st.rows()).save_id is not None
        after = state.load(execution.figures, F24)
        assert computed["figures"] == 2
        assert after["totals"]["spent_wan"] == pytest.approx(first["totals"]["spent_wan"] - 3.537 + 4.5)
    finally:
        state._cached.clear()


# ---------------------------------------------------------------- reading the SQL
@pytest.mark.parametrize("sql, figures", [
    ("UPDATE indicators SET deviation_note = ? WHERE id = ?", False),
    ("update \"indicators\" set \"Deviation_Note\" = NULL where id = 3", False),
    ("UPDATE indicators AS i SET deviation_note = 'a, status = b WHERE c' WHERE i.id = 1", False),
    ("UPDATE projects SET deviation_reason = ?, improvement = ? WHERE id = ?", False),
    ("UPDATE projects SET goal = ?, achievement = ?, overview = ? WHERE id = ?", False),
    ("INSERT INTO saves (id, kind) VALUES (?, ?)", False),
    ("INSERT INTO audit_log (id) VALUES (?)", False),
    ("UPDATE saves SET reverted_by = ? WHERE id = ?", False),
    ("SELECT * FROM indicators; SELECT count(*) FROM saves", False),
    ("CREATE TEMP TABLE t AS SELECT * FROM indicators", False),
    ("-- UPDATE indicators SET budget = 1\nUPDATE indicators SET deviation_note = ''", False),
    ("UPDATE indicators SET status = u.status FROM _status_update u WHERE indicators.id = u.id", True),
    ("UPDATE indicators SET deviation_note = ?, actual_text = ? WHERE id = ?", True),
    ("UPDATE indicators SET (deviation_note) = (?)", True),
    ("UPDATE projects SET budget = ? WHERE id = ?", True),
    ("UPDATE projects SET improvement = ?, name = ? WHERE id = ?", True),
    ("UPDATE project_funds SET budget = ?", True),
    ("UPDATE settings SET value = ? WHERE key = ?", True),
    ("INSERT INTO indicators (id, project_id) VALUES (?, ?)", True),
    ("DELETE FROM indicators WHERE id = ?", True),
    ("INSERT INTO settings VALUES (?, ?)", True),
    ("INSERT OR REPLACE INTO saves SELECT * FROM t", True),
    ("INSERT INTO main.saves VALUES (1)", True),
    ("CREATE OR REPLACE TABLE saves AS SELECT * FROM t", True),
    ("CREATE TABLE x (a INT)", True),
    ("COPY indicators FROM 'x.csv'", True),
    ("TRUNCATE audit_log", True),
    ("ALTER TABLE indicators ADD COLUMN x INT", True),
    ("WITH x AS (SELECT 1) UPDATE indicators SET deviation_note = 'a'", True),
    ("UPDATE indicators SET deviation_note = 'a'; DELETE FROM projects", True),
    ("UPDATE indicators_archive SET deviation_note = ?", True),
])
def test_which_statements_may_change_a_figure(sql, figures):
    w = Writes()
    w.note(sql)
    assert w.figures is figures


def test_a_transaction_is_notes_only_only_when_every_statement_is():
    w = Writes()
    w.note("UPDATE indicators SET deviation_note = ? WHERE id = ?")
    w.note("INSERT INTO saves VALUES (1)")
    assert not w.figures
    w.note("UPDATE indicators SET weight = 2 WHERE id = 1")
    w.note("UPDATE indicators SET deviation_note = ? WHERE id = ?")
    assert w.figures


def test_a_notes_only_transaction_through_the_store(any_sample_store):
    s = any_sample_store
    fv, dv = s.figures_version(), s.data_version()
    with s.transaction() as cur:
        cur.execute("UPDATE indicators SET deviation_note = ? WHERE id = ?", ["说明", 1])
    assert (s.figures_version(), s.data_version()) == (fv, dv + 1)
    with s.transaction() as cur:
        cur.execute("UPDATE indicators SET deviation_note = ? WHERE id = ?", ["说明", 1])
        cur.execute("UPDATE indicators SET weight = weight WHERE id = ?", [1])      # unprovable: moves it
    assert (s.figures_version(), s.data_version()) == (fv + 1, dv + 2)
    with s.transaction(bump_version=False) as cur:
        cur.execute("UPDATE projects SET budget = budget WHERE id = ?", [1])
    assert (s.figures_version(), s.data_version()) == (fv + 1, dv + 2)
