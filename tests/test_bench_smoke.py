"""Smoke test of the scale benchmarks (bench/): the vectorised database builder writes what the importer
would write, and the page bench times a real AppTest run with its DuckDB queries counted. Tiny sizes."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import bench_pages  # noqa: E402
import build_db  # noqa: E402

from perfboard import matching  # noqa: E402
from perfboard.flat import indicator_values  # noqa: E402
from perfboard.indicators import status_of  # noqa: E402


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> str:
    info = build_db.ensure(300, 2, 12, 7, quiet=True, out=tmp_path_factory.mktemp("bench"))
    return info["path"]


def _none(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def test_build_db_writes_what_the_importer_would(tiny_db):
    con = duckdb.connect(tiny_db, read_only=True)
    try:
        per_year = con.execute("SELECT year, count(*), count(DISTINCT department) FROM projects GROUP BY 1 ORDER BY 1").fetchall()
        n_ind = con.execute("SELECT count(*) FROM indicators").fetchall()[0][0]
        per_project = con.execute("SELECT min(n), max(n) FROM (SELECT project_id, count(*) n FROM indicators GROUP BY 1)").fetchall()[0]
        orphans = con.execute("SELECT count(*) FROM indicators WHERE project_id NOT IN (SELECT id FROM projects)").fetchall()[0][0]
        cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'indicators'").fetchall()]
        ind = con.execute("SELECT * FROM indicators").df()
        projects = con.execute("SELECT id, year, department, project_code AS code, name, budget, spent FROM projects").df()
    finally:
        con.close()
    assert [(y, n) for y, n, _ in per_year] == [(2023, 300), (2024, 300)]
    assert all(d == 12 for _, _, d in per_year)
    assert 8 <= per_project[0] and per_project[1] <= 15 and 600 * 8 <= n_ind <= 600 * 15
    assert orphans == 0
    assert (projects["spent"] <= projects["budget"] * 1.15 + 1e-9).all()
    # every indicator row holds exactly what the flat importer derives from its two texts, and its status
    bad = []
    for r in ind.to_dict("records"):
        r = {k: _none(v) for k, v in r.items()}
        for k, v in indicator_values(r["target_text"], r["actual_text"]).items():
            if _none(v) != r[k]:
                bad.append((k, r[k], v))
        if "status" in cols and status_of(r) != r["status"]:
            bad.append(("status", r["status"], status_of(r)))
    assert not bad, bad[:5]
    # names carry their year and most projects continue: year-over-year matching finds them
    m = matching.match(projects[projects["year"] == 2023], projects[projects["year"] == 2024])
    assert 0.7 * 300 < len(m.pairs) < 300
    assert set(m.pairs["match"]) >= {"code", "name"}


def test_page_bench_times_a_page_and_its_queries(tiny_db):
    res = bench_pages.run_page("execution", tiny_db, timeout=120)
    assert "error" not in res, res.get("error")
    assert list(res["steps"]) == bench_pages.STEPS
    for name, s in res["steps"].items():
        assert s["title"].startswith("预算执行"), (name, s["title"])
        assert s["seconds"] > 0 and s["queries"] > 0, (name, s)
        assert 0 < s["query_seconds"] <= s["seconds"], (name, s)
    # a cold render runs more queries than a rerun that hits the caches
    assert res["steps"]["cold"]["queries"] > res["steps"]["rerun"]["queries"]
    assert 50 < res["peak_rss_mb"] < 4000


def test_review_bench_runs_every_rule_on_the_tiny_database(tiny_db):
    import bench_review
    r = bench_review.run(db=tiny_db, year=int(duckdb.connect(tiny_db, read_only=True).execute(
        "SELECT max(year) FROM projects").fetchall()[0][0]))
    assert r["projects"] == 300 and r["texts"] >= 300 and r["findings"] > 0
    assert r["by_code"].get("copied-text", 0) > 0          # the written texts include verbatim copies
    assert r["peak_rss_mb"] > 0 and not r["capped"]


def test_run_all_has_a_row_per_command_and_per_page_with_held(tmp_path):
    """The issue-19 harness on a tiny database: every CLI subcommand (every export table) and every page
    gets a row in the table with a held column; no timed asserts (the goals are the bench's business)."""
    import bench_cli
    import run_all

    cfg = dict(run_all.QUICK, quick=True, db=(60, 2, 4), import_projects=30)
    res = run_all.run(["cli", "pages", "pair"], cfg, tmp_path / "cache", None, tmp_path / "scratch")
    rows = res["rows"]
    whats = [r["what"] for r in rows]
    assert all(isinstance(r["held"], bool) for r in rows), [r for r in rows if not isinstance(r["held"], bool)]
    # every subcommand of the CLI's parser, and every table `export --what` offers, has a row that ran
    cli_rows = [r for r in rows if r["kind"] == "cli"]
    for command in bench_cli.cli_commands():
        assert any(w.startswith(f"cli `{command}") or w.startswith(f"cli `{command} ") for w in whats), command
    for what in bench_cli.export_choices():
        assert any(f"`export --what {what} " in w for w in whats), what
    assert not [r for r in cli_rows if "exit" in r["note"] or "timeout" in r["note"]], \
        [(r["what"], r["note"]) for r in cli_rows if r["note"]]
    # every page script, after a filter change and after a year change, each measured against the floor
    for page in bench_pages.all_pages():
        for step in ("filter", "year"):
            hit = [r for r in rows if f"({page}): rerun after a {step} change" in r["what"]]
            assert len(hit) == 1, (page, step)
            assert hit[0]["wall"] > 0 and "floor" in hit[0]["goal"] and "DuckDB" in hit[0]["note"], hit[0]
    assert any(r["kind"] == "pair" and r["wall"] is not None for r in rows)
    header = res["table"].splitlines()[0]
    assert "| held |" in header and len(res["table"].splitlines()) == len(rows) + 2
