"""project_scores (all projects at once, vectorised) equals score_project per project: on the sample, on
synthetic data imported through the importer, and on random indicator sets written straight to a database."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import hypothesis.strategies as hst
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from perfboard import importer
from perfboard.db import Store
from perfboard.filters import Filters
from perfboard.flat import indicator_values
from perfboard.indicators import status_of
from perfboard.scoring import (DEFAULTS, SCORE_COLUMNS, _round2, form_scores, project_scores, project_scores_by_project,
                               save_scoring_settings, score_project, score_report, scores, scoring_settings)
from perfboard.summary import projects

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def assert_same(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    """Equal frames, exactly: same rows in the same order, same floats to the bit, same finding lists."""
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)


FILTERS = [Filters(), Filters(year=2024), Filters(year=2023), Filters(lights=("绿",)), Filters(lights=("红", "黄")),
           Filters(search="科技"), Filters(year=2024, funding_sources=("未填写",)), Filters(year=2099)]


# ---------------------------------------------------------------- the sample
@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
def test_the_sample_scores_the_same_both_ways(sample_store, f):
    assert_same(project_scores(sample_store, f), project_scores_by_project(sample_store, f))


def slow_report(store, f) -> list[dict]:
    """score --json as it was: score_project per project (the reference)."""
    return [{"year": int(p["year"]), "department": p["department"], "name": p["name"], **s.as_dict()}
            for p, s in scores(store, f)]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe())
def test_score_report_is_the_per_project_report(sample_store, f):
    assert score_report(sample_store, f) == slow_report(sample_store, f)


def test_form_scores_are_score_projects_on_the_sample(sample_store):
    ref = {int(p["id"]): s for p, s in scores(sample_store, Filters())}
    got = form_scores(sample_store, Filters(), list(ref))
    assert set(got) == set(ref) and len(ref) == 24
    for pid, s in ref.items():
        g = got[pid]
        assert (g.execution_rate, g.execution_weight, g.execution_score, g.indicator_weight, g.total, g.estimated) == \
            (s.execution_rate, s.execution_weight, s.execution_score, s.indicator_weight, s.total, s.estimated)
        assert g.indicators == {int(r["id"]): (r["weight_used"], r["score"]) for r in s.indicators.to_dict("records")}
    # only the filtered projects among those asked for
    y2024 = {int(i) for i in projects(sample_store, Filters(year=2024))["id"]}
    assert set(form_scores(sample_store, Filters(year=2024), list(ref))) == y2024 and 0 < len(y2024) < len(ref)
    assert form_scores(sample_store, Filters(), []) == {}


def test_hand_checked_figures_of_the_sample(sample_store):
    df = project_scores(sample_store, Filters(year=2024))
    names = projects(sample_store, Filters(year=2024)).set_index("id")["name"]
    df.index = names.loc[df["id"]].to_numpy()
    assert df.loc["2024 年招商引资", ["execution_score", "indicator_score", "total"]].tolist() == [7.07, 75.0, 82.07]
    assert df.loc["2024 年招商引资", "findings"] == ["not-judged"] and pd.isna(df.loc["2024 年招商引资", "grade"])
    assert df.loc["2024 年残疾人就业保障金", "total"] == 10.0
    assert (df["grade"] == "优").sum() == 8 and df["estimated"].all()      # 6 and 7 miss actuals (issue 15)


def test_the_scoring_query_selects_what_the_projects_query_selects(sample_store):
    depts = tuple(projects(sample_store)["department"].unique()[:1])
    funds = tuple(projects(sample_store)["funding_source"].dropna().unique()[:1])
    for f in FILTERS + [Filters(departments=depts), Filters(year=2024, funding_sources=funds),
                        Filters(lights=("超预算", "无预算")), Filters(search="2024 年")]:
        assert project_scores(sample_store, f)["id"].tolist() == projects(sample_store, f)["id"].tolist(), f


def test_stored_settings_are_used(sample_store):
    before = project_scores(sample_store, Filters())
    save_scoring_settings(sample_store, {"class_weights": {"产出指标": 40.0, "效益指标": 33.3, "满意度指标": 16.7},
                                         "execution_weight": 10.0, "grades": [[95, "优"], [85, "良"], [60, "中"], [0, "差"]]})
    fast = project_scores(sample_store, Filters())
    assert_same(fast, project_scores_by_project(sample_store, Filters()))
    changed = fast["total"] != before["total"]
    assert changed.any() and (fast.loc[changed, "estimated"]).all()      # the class weights only move estimates


def test_both_indicator_queries_return_the_same_rows(sample_store):
    ids = projects(sample_store, Filters())["id"]
    texts = {"spaces": " ", "level1_texts": ["", "产出指标"], "judgement_texts": [""]}
    by_range = sample_store.df("score_indicators", {**texts, "lo": int(ids.min()), "hi": int(ids.max())})
    by_ids = sample_store.df("score_indicators_of", texts, tables={"project_ids": pd.DataFrame({"id": ids})})
    assert set(by_range["level1"]) == {2, -1}           # 产出指标; the others are not in the list
    assert len(by_range) == sample_store.scalar("SELECT count(*) FROM indicators") == 104
    assert_same(by_range.sort_values("id").reset_index(drop=True), by_ids.sort_values("id").reset_index(drop=True))


def test_a_sparse_filter_fetches_by_id_and_scores_the_same(sample_store, monkeypatch):
    import perfboard.scoring as scoring
    f = Filters(departments=tuple(projects(sample_store)["department"].unique()[:1]))
    dense = project_scores(sample_store, f)
    monkeypatch.setattr(scoring, "_DENSE", 2.0)            # every filter counts as sparse
    assert_same(project_scores(sample_store, f), dense)
    assert_same(dense, project_scores_by_project(sample_store, f))


def test_no_projects_gives_the_empty_frame(store):
    df = project_scores(store, Filters())
    assert list(df.columns) == SCORE_COLUMNS and len(df) == 0


# ---------------------------------------------------------------- helpers, exactly as Python does them
def test_round2_is_pythons_round():
    xs = np.array([0.125, 0.375, 2.675, 1.005, 82.07, 7.074, -0.125, 1e15 + 0.5, 0.0, 99.995, 89.99499999999999,
                   float("nan"), float("inf")] + list(np.random.default_rng(1).uniform(0, 100, 2000))
                  + [i / 1000 for i in range(0, 100000, 5)])
    got = _round2(xs)
    want = [round(float(x), 2) for x in xs]
    assert all((g == w) or (np.isnan(g) and np.isnan(w)) for g, w in zip(got, want))


def test_bincount_adds_left_to_right_as_python_sum_does():
    # the vectorised path's sums rest on this: np.bincount adds each bin's weights in array order from 0.0
    vals = np.array([0.1, 0.2, 0.3, 1e16, 1.0, -1e16, 3.33, 3.33, 3.34, 7.0])
    got = np.bincount(np.array([0, 0, 0, 1, 1, 1, 3, 3, 3, 4]), weights=vals).tolist()
    assert got == [sum(vals[:3]), sum(vals[3:6]), 0.0, sum(vals[6:9]), 7.0]
    assert got[0] == 0.6000000000000001 and got[1] == 0.0      # fsum or pairwise sums would give 0.6 and 1.0
    rng = np.random.default_rng(3)
    x = rng.standard_normal(20000) * 10.0 ** rng.integers(-3, 12, 20000)
    g = rng.integers(0, 50, 20000)
    assert np.bincount(g, weights=x, minlength=50).tolist() == [sum(x[g == i].tolist()) for i in range(50)]


# ---------------------------------------------------------------- synthetic data through the importer
def _import(store: Store, frames, tmp_path: Path) -> None:
    from generate import write_workbook
    xlsx = write_workbook(frames, tmp_path / "synthetic.xlsx")
    plan = importer.import_paths(store, [xlsx])
    assert plan.ok, plan.report.to_frame().head(10)


def test_synthetic_data_scores_the_same_both_ways(store, tmp_path):
    from bench_scoring import varied
    from generate import generate
    _import(store, varied(generate(projects_per_year=400, years=2, departments=6, seed=5), seed=5), tmp_path)
    fast = project_scores(store, Filters())
    assert len(fast) == 800
    assert_same(fast, project_scores_by_project(store, Filters()))
    assert score_report(store, Filters()) == slow_report(store, Filters())
    # the varied data covers every branch: estimates and given weights, each grade, pending, most findings
    assert fast["estimated"].any() and not fast["estimated"].all()
    assert {"优", "良", "中", "差"} <= set(fast["grade"].dropna()) and fast["grade"].isna().any()
    codes = {c for fs in fast["findings"] for c in fs}
    assert {"unclassified", "weight-missing", "unmet-no-note", "missing-actual", "not-judged", "score-mismatch",
            "weights-sum"} <= codes
    year = Filters(year=2024, departments=(store.scalar("SELECT min(department) FROM projects"),))
    assert_same(project_scores(store, year), project_scores_by_project(store, year))
    # other settings: uneven class weights, other coefficients, a lower cap for unmet rows
    save_scoring_settings(store, {"class_weights": {"产出指标": 45.5, "效益指标": 33.3, "满意度指标": 11.2},
                                  "coefficients": {"达成": 1.0, "部分达成": 0.65, "未达成": 0.35},
                                  "unmet_max_ratio": 0.9, "score_tolerance": 0.5})
    assert_same(project_scores(store, Filters()), project_scores_by_project(store, Filters()))


# ---------------------------------------------------------------- random indicator sets
TEXTS = ["≥100项", "≥95%", ">95%", "≤90万元", "<5%", "=100%", "=12个月", "77项", "100%", "0项", "≥0项", "≤0万元",
         "及时拨付", "效果明显", "", None, "约100人", "95%以上", "1000余份", "80项", "120项", "-5项", "5万元", "0"]
ROW = hst.fixed_dictionaries({
    "level1": hst.sampled_from(["产出指标", "效益指标", "满意度指标", "成本指标", "产出指标（50分）", "服务对象满意度指标",
                                "其他", None, "", " 效益指标 "]),
    "target": hst.sampled_from(TEXTS), "actual": hst.sampled_from(TEXTS),
    "weight": hst.one_of(hst.none(), hst.sampled_from([0.0, 5.0, 10.0, 7.5, 3.33, 12.5, 45.0, 50.0, 0.1, -2.0]),
                         hst.floats(0, 60, allow_nan=False).map(lambda x: round(x, 2))),
    "reported": hst.one_of(hst.none(), hst.sampled_from([0.0, 5.0, 10.0, 3.0, 7.49]),
                           hst.floats(0, 60, allow_nan=False).map(lambda x: round(x, 2))),
    "judgement": hst.sampled_from([None, None, None, "达成", "部分达成", "未达成", "不适用", " 达成 ", "良好", ""]),
    "note": hst.sampled_from([None, "", " ", "\u3000", "原因", "进度滞后"]),
    "drop_numbers": hst.booleans(),       # a row edited by hand: texts without their parsed numbers
})
PROJECT = hst.fixed_dictionaries({
    "budget": hst.sampled_from([0.0, 100.0, 5.0, 3.3, 425.0]),
    "spent": hst.sampled_from([0.0, 3.537, 100.0, 130.0, 95.0, 2.2]),
    "execution_weight": hst.sampled_from([None, None, 10.0, 20.0, 0.0, 15.5]),
    "execution_reported_score": hst.sampled_from([None, 10.0, 7.07, 0.0]),
    "reported_total_score": hst.sampled_from([None, 100.0, 82.07, 95.0]),
    "rows": hst.lists(ROW, min_size=0, max_size=14),
})
SETTINGS = hst.fixed_dictionaries({
    "class_weights": hst.sampled_from([DEFAULTS["class_weights"], {"产出指标": 45.5, "效益指标": 33.3, "满意度指标": 11.2},
                                       {"产出指标": 0.1, "效益指标": 0.2, "满意度指标": 0.3},
                                       {"产出指标": 50.0, "效益指标": 0.0, "满意度指标": 10.0}]),
    "coefficients": hst.sampled_from([DEFAULTS["coefficients"], {"达成": 1.0, "部分达成": 0.7, "未达成": 0.3}]),
    "unmet_max_ratio": hst.sampled_from([0.99, 0.9, 0.0]),
    "execution_weight": hst.sampled_from([10.0, 20.0]),
})

_DB: list[Store] = []


def _db() -> Store:
    if not _DB:
        _DB.append(Store(":memory:"))
    return _DB[0]


def _write(store: Store, plist: list[dict]) -> tuple[list[dict], dict[int, pd.DataFrame]]:
    """Write the projects and their indicators (with their status, as the importer stores it); returns the
    project rows and per project the indicator frame score_project takes."""
    prow, irows, frames = [], [], {}
    next_id = 1
    for pid, p in enumerate(plist, start=1):
        prow.append({"id": pid, "year": 2024, "department": f"部门{pid % 3}", "name": f"项目{pid}", "budget": p["budget"],
                     "spent": p["spent"], "execution_weight": p["execution_weight"],
                     "execution_reported_score": p["execution_reported_score"],
                     "reported_total_score": p["reported_total_score"]})
        rows = []
        for pos, r in enumerate(p["rows"], start=1):
            values = indicator_values(r["target"], r["actual"])
            if r["drop_numbers"]:
                values.update(target_value=None, actual_value=None)
            row = {"id": next_id, "project_id": pid, "position": pos, "level1": r["level1"], "level2": None,
                   "level3": f"指标{pos}", "weight": r["weight"], "reported_score": r["reported"],
                   "judgement": r["judgement"], "deviation_note": r["note"], **values}
            row["status"] = status_of(row)
            rows.append(row)
            next_id += 1
        irows += rows
        frames[pid] = pd.DataFrame(rows)
    pcols = list(prow[0]) if prow else ["id"]
    icols = ["id", "project_id", "position", "level1", "level2", "level3", "direction", "target_value", "target_unit",
             "actual_value", "actual_unit", "target_text", "actual_text", "weight", "reported_score", "judgement",
             "deviation_note", "status"]
    with store.transaction() as cur:
        cur.execute("DELETE FROM indicators")
        cur.execute("DELETE FROM projects")
        if prow:
            cur.register("_p", pd.DataFrame(prow, columns=pcols).astype(
                {c: "float64" for c in pcols if c not in ("id", "year", "department", "name")}))
            cur.execute(f"INSERT INTO projects ({', '.join(pcols)}) SELECT {', '.join(pcols)} FROM _p")
        if irows:
            df = pd.DataFrame(irows, columns=icols).astype({"weight": "float64", "reported_score": "float64",
                                                           "target_value": "float64", "actual_value": "float64"})
            cur.register("_i", df)
            cur.execute(f"INSERT INTO indicators ({', '.join(icols)}) SELECT {', '.join(icols)} FROM _i")
    return prow, frames


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hst.lists(PROJECT, min_size=1, max_size=6), SETTINGS)
def test_random_indicator_sets_score_as_score_project_does(plist, cfg_change):
    store = _db()
    store.set_setting("scoring", {**copy.deepcopy(DEFAULTS), **cfg_change})
    cfg = scoring_settings(store)
    prow, frames = _write(store, plist)
    fast = project_scores(store, Filters()).set_index("id")
    assert sorted(fast.index) == [p["id"] for p in prow]
    for p in prow:
        s = score_project(p, frames[p["id"]] if len(frames[p["id"]]) else frames[p["id"]].reindex(
            columns=["id", "level1", "level3", "weight", "judgement", "status"]), cfg)
        got = fast.loc[p["id"]]
        grade = None if pd.isna(got["grade"]) else got["grade"]
        assert (got["execution_score"], got["indicator_score"], got["total"], grade, got["estimated"],
                got["findings"]) == (s.execution_score, s.indicator_score, s.total, s.grade, s.estimated,
                                     s.finding_codes), (p, s.indicators)
    # the rows a 自评表 shows: each indicator's weight and score, bit for bit score_project's
    forms = form_scores(store, Filters(), [p["id"] for p in prow])
    for p in prow:
        s = score_project(p, frames[p["id"]] if len(frames[p["id"]]) else frames[p["id"]].reindex(
            columns=["id", "level1", "level3", "weight", "judgement", "status"]), cfg)
        f = forms[p["id"]]
        assert (f.execution_rate, f.execution_weight, f.execution_score, f.indicator_weight, f.total, f.estimated) == \
            (s.execution_rate, s.execution_weight, s.execution_score, s.indicator_weight, s.total, s.estimated)
        want = {int(r["id"]): (r["weight_used"], None if r["score"] is None or pd.isna(r["score"]) else r["score"])
                for r in s.indicators.to_dict("records")}
        assert f.indicators == want, (p, s.indicators)


# ---------------------------------------------------------------- kept per store until a write
def test_scores_are_kept_until_the_data_or_the_settings_change(sample_store, monkeypatch):
    import perfboard.scoring as scoring
    calls = []
    real = scoring._score_projects
    monkeypatch.setattr(scoring, "_score_projects", lambda store, pj, cfg: calls.append(len(pj)) or real(store, pj, cfg))
    y2024 = project_scores(sample_store, Filters(year=2024))
    assert calls == [12]
    assert_same(project_scores(sample_store, Filters(year=2024, search="科技")),
                project_scores_by_project(sample_store, Filters(year=2024, search="科技")))
    assert calls == [12]                                  # a narrower filter: nothing new to score
    project_scores(sample_store, Filters())
    assert calls == [12, 12]                              # all years: only 2023 is new
    # an edit through a transaction bumps the data version: everything is scored again, with the new weight
    pid = int(y2024["id"].iloc[0])
    with sample_store.transaction() as cur:
        cur.execute("UPDATE indicators SET weight = 90, reported_score = 1 WHERE project_id = ? AND position = 1", [pid])
    after = project_scores(sample_store, Filters(year=2024))
    assert calls == [12, 12, 12]
    assert "weight-missing" in after.loc[after["id"] == pid, "findings"].iloc[0]
    assert_same(after, project_scores_by_project(sample_store, Filters(year=2024)))
    save_scoring_settings(sample_store, {"execution_weight": 20.0})
    assert_same(project_scores(sample_store, Filters(year=2024)), project_scores_by_project(sample_store, Filters(year=2024)))
    assert calls == [12, 12, 12, 12]


def test_a_text_missing_from_the_lists_falls_back_to_the_per_project_path(sample_store, monkeypatch):
    import perfboard.scoring as scoring
    f = Filters(year=2024)
    from perfboard import scope
    pj = scope.run(sample_store, "score_projects", f)
    texts = {"level1": [""], "judgement": [""]}               # as if a row was written after the labels query
    ind = sample_store.df("score_indicators", {"spaces": " ", "level1_texts": texts["level1"],
                                               "judgement_texts": texts["judgement"], "lo": 0, "hi": 10 ** 9})
    assert scoring._vector_scores(pj, ind, texts, DEFAULTS, None) is None
    monkeypatch.setattr(scoring, "_score_projects", lambda store, pj, cfg: None)
    assert_same(project_scores(sample_store, f), project_scores_by_project(sample_store, f))


def test_projects_are_scored_a_slice_at_a_time_with_the_same_result(sample_store, monkeypatch):
    import perfboard.scoring as scoring
    calls = []
    real = scoring._score_projects
    monkeypatch.setattr(scoring, "_CHUNK", 5)
    monkeypatch.setattr(scoring, "_score_projects", lambda store, pj, cfg: calls.append(len(pj)) or real(store, pj, cfg))
    assert_same(project_scores(sample_store, Filters()), project_scores_by_project(sample_store, Filters()))
    assert calls == [5, 5, 5, 5, 4]


def test_rows_without_a_stored_status_or_numbers_are_read_from_their_texts(sample_store):
    with sample_store.transaction() as cur:        # as an older writer might have left them
        cur.execute("UPDATE indicators SET status = NULL WHERE position % 2 = 0")
        cur.execute("UPDATE indicators SET target_value = NULL, actual_value = NULL, actual_text = '1项', "
                    "target_text = '≥4项', status = CASE WHEN judgement IS NULL THEN 'unmet' END WHERE position = 3")
    fast = project_scores(sample_store, Filters())
    assert_same(fast, project_scores_by_project(sample_store, Filters()))
    # the edited rows read 1 of ≥4: unmet, and say nothing why
    edited = [r[0] for r in sample_store.cursor().execute(
        "SELECT project_id FROM indicators WHERE position = 3 AND judgement IS NULL "
        "AND coalesce(trim(deviation_note), '') = ''").fetchall()]
    findings = fast.set_index("id")["findings"]
    assert len(edited) >= 8 and all("unmet-no-note" in findings[pid] for pid in edited)


# ---------------------------------------------------------------- score --json streamed
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_score_json_is_streamed_in_chunks_with_the_same_text(sample_db_path, monkeypatch, capsys, chunk):
    """The CLI writes the items a chunk at a time; the text is json.dumps of the whole report, whatever the chunk."""
    import json

    from perfboard import cli, scoring
    from perfboard.summary import with_default_year
    for f in (Filters(), Filters(year=2023), Filters(search="没有这样的项目")):
        with Store(sample_db_path) as s:
            whole = json.dumps({"items": slow_report(s, with_default_year(s, f))}, ensure_ascii=False)
        monkeypatch.setattr(scoring, "REPORT_CHUNK", chunk)
        args = ["score", "--json", "--db", str(sample_db_path)] + (["--year", str(f.year)] if f.year else []) \
            + (["--search", f.search] if f.search else [])
        assert cli.main(args) == 0
        out = capsys.readouterr().out
        assert out == whole + "\n"
        assert json.loads(out)["items"] == (json.loads(whole)["items"])
