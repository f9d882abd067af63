"""`summary --json` and the project-level CSV exports (`export --what projects|deviations`) at a province's
scale: written a piece at a time from one streamed query, never holding every project as frames or dicts,
and still exactly what the whole-frame code wrote: the same JSON text, the same CSV bytes (issue 19, the
1,000,000-project rows of the bench). Checked on the sample and on a generated set with awkward values,
with pieces small enough that every output spans many of them."""
from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from perfboard import execution
from perfboard import summary as summary_mod
from perfboard.cli import main
from perfboard.db import Store
from perfboard.deviations import project_chunks, table
from perfboard.export.tables import csv_chunks, to_csv
from perfboard.filters import Filters
from perfboard.sample import illustrative_note
from perfboard.summary import projects, summary, summary_head, summary_items, totals
from perfboard.text import TerminalStream

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate, write_workbook  # noqa: E402

# names a writer must handle: formula-like, quotes and commas, line breaks, what JSON leaves raw for a terminal
# (DEL, a C1 CSI, the line separators), a terminal escape, blank
AWKWARD = ["=HYPERLINK(\"http://x\")", "+1+2", "-3", "@SUM(A1)", "逗号,引号\"", "两行\n文字", "删除\x7f符",
           "控制\x9b[31m红", "行\u2028分隔", "\x1b[2J清屏", "  ", "１００%"]



def _filter_args(f) -> list[str]:
    """The command-line options that select what the Filters `f` select."""
    args = []
    for d in f.departments:
        args += ["--department", d]
    for fs in f.funding_sources:
        args += ["--funding-source", fs]
    for light in f.lights:
        args += ["--light", light]
    return args + (["--search", f.search] if f.search else [])

def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def whole_summary(store, filters):
    """What summary() returned (and `summary --json` printed) before it streamed: every project in one frame."""
    df = projects(store, filters)
    out = {"years": sorted(int(y) for y in df["year"].unique()), **totals(df)}
    out["items"] = [
        {"year": int(r.year), "department": r.department, "name": r.name,
         "code": None if pd.isna(r.code) else r.code, "budget_wan": float(r.budget), "spent_wan": float(r.spent),
         "execution_rate": _num(r.execution_rate), "reported_rate": _num(r.reported_rate),
         "rate_mismatch": bool(r.rate_mismatch), "indicators": int(r.indicators)}
        for r in df.itertuples(index=False)
    ]
    return out


def whole_summary_output(store, filters) -> str:
    """The old command's stdout: print(json.dumps(summary)) through the CLI's TerminalStream."""
    buf = io.StringIO()
    print(json.dumps(whole_summary(store, filters), ensure_ascii=False), file=TerminalStream(buf))
    return buf.getvalue()


def whole_projects_csv(store, filters) -> bytes:
    """What `export --what projects` wrote before it streamed: to_csv of the page's whole table and 合计."""
    e = execution.execution(store, filters)
    return to_csv(e["table"], None, e["table_total"], illustrative_note(store, filters))


def whole_budget_csv(store, filters) -> bytes:
    return to_csv(table(store, filters, "budget"), None, None, illustrative_note(store, filters))


@pytest.fixture
def generated(db_target, tmp_path):
    """A store target (DuckDB file, or PostgreSQL in that pass) with 3 years x 90 projects of bench/generate.py
    imported, then made awkward: names above, blank funding sources, zero budgets (无预算), projects
    without a code or a stated rate, rates stated wrong, and equal budgets (ties in every sort)."""
    frames = generate(90, 3, 5, 23)
    book = write_workbook(frames, tmp_path / "generated.xlsx")
    from perfboard.importer import import_paths
    s = Store(db_target)
    try:
        plan = import_paths(s, [book])
        assert plan.ok, plan.report.to_frame()
        with s.transaction() as cur:
            ids = [r[0] for r in cur.execute("SELECT id FROM projects ORDER BY id").fetchall()]
            for n, i in enumerate(ids[::7]):
                cur.execute("UPDATE projects SET name = ? WHERE id = ?", [f"{AWKWARD[n % len(AWKWARD)]}{i}", i])
            cur.execute("UPDATE projects SET funding_source = NULL WHERE id % 11 = 0")
            cur.execute("UPDATE projects SET budget = 0 WHERE id % 17 = 0")
            cur.execute("UPDATE projects SET project_code = NULL WHERE id % 3 = 0")
            cur.execute("UPDATE projects SET reported_rate = NULL WHERE id % 5 = 0")
            cur.execute("UPDATE projects SET reported_rate = 0.5 WHERE id % 19 = 0")
            cur.execute("UPDATE projects SET budget = 100, spent = 80 WHERE id % 23 = 0")
        years = [r[0] for r in s.cursor().execute("SELECT DISTINCT year FROM projects ORDER BY 1").fetchall()]
        departments = [r[0] for r in s.cursor().execute("SELECT DISTINCT department FROM projects ORDER BY 1").fetchall()]
    finally:
        s.close()
    assert len(years) == 3 and len(ids) == 270
    return db_target, years, departments


def filter_cases(years, departments):
    last = years[-1]
    return [Filters(year=last), Filters(year=years[0]), Filters(), Filters(year=last, search="没有这个项目"),
            Filters(year=last, lights=("红", "超预算", "无预算")), Filters(year=last, departments=tuple(departments[:2])),
            Filters(year=last, funding_sources=("未填写",))]


def pieces_of(chunks) -> list:
    return list(chunks)


def check_summary(store, filters):
    expected = whole_summary(store, filters)
    assert json.dumps(summary(store, filters), ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
    head = {k: v for k, v in expected.items() if k != "items"}
    assert json.dumps(summary_head(store, filters)) == json.dumps(head)
    n = len(expected["items"])
    for rows in (1, 7, 10 ** 6):                    # pieces of one item, several, all in one
        pieces = pieces_of(summary_items(store, filters, rows))
        assert all(len(p) <= rows for p in pieces)
        assert len(pieces) == max(1, -(-n // rows))     # streamed: as many pieces as the size makes
        got = [i for p in pieces for i in p]
        assert json.dumps(got, ensure_ascii=False) == json.dumps(expected["items"], ensure_ascii=False), rows
    return expected


def test_summary_streamed_is_the_whole_summary_on_the_sample(sample_store):
    seen = 0
    for f in [Filters(year=2024), Filters(year=2023), Filters(), Filters(year=2024, search="没有这个项目"),
              Filters(year=2024, lights=("红",))]:
        seen += len(check_summary(sample_store, f)["items"])
    assert seen > 20


def test_summary_streamed_is_the_whole_summary_on_generated_data(generated):
    target, years, departments = generated
    s = Store(target, read_only=True)
    try:
        sizes = [len(check_summary(s, f)["items"]) for f in filter_cases(years, departments)]
    finally:
        s.close()
    assert sizes[2] == 270 and sizes[0] == 90 and sizes[3] == 0 and all(sizes[4:])   # every case has rows but one


def test_summary_json_command_prints_what_it_printed_before(generated, monkeypatch, capsys):
    target, years, departments = generated
    s = Store(target, read_only=True)
    try:
        cases = [(f, whole_summary_output(s, f)) for f in filter_cases(years, departments)]
    finally:
        s.close()
    monkeypatch.setattr(summary_mod, "SUMMARY_CHUNK", 4)           # a piece of four items at a time
    monkeypatch.setattr(summary_mod, "projects", None)             # the whole-frame reader is not used
    for f, expected in cases:
        args = ["summary", "--db", str(target), "--json", *(["--year", str(f.year)] if f.year else [])]
        args += _filter_args(f)
        assert main(args) == 0
        out = capsys.readouterr().out
        if f.year is None:            # the command reads the latest year, as the page does
            s = Store(target, read_only=True)
            try:
                expected = whole_summary_output(s, f.with_year(years[-1]))
            finally:
                s.close()
        assert out == expected, f
        assert "\x7f" not in out and "\x9b" not in out and "\u2028" not in out and "\x1b" not in out
        json.loads(out)


def test_summary_text_command_still_prints_the_totals(sample_db_path, capsys):
    assert main(["summary", "--db", str(sample_db_path), "--year", "2024"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("项目 12 个；全年预算数 636.98 万元") and "执行率" in out


def check_csv(store, filters):
    note = illustrative_note(store, filters)
    expected = whole_projects_csv(store, filters)
    budget = whole_budget_csv(store, filters)
    total = execution.table_total(store, filters)
    for rows in (1, 7, 10 ** 6):
        pieces = list(execution.table_chunks(store, filters, rows))
        assert all(len(p) <= rows for p in pieces)
        assert b"".join(csv_chunks(iter(pieces), None, note, total)) == expected, rows
        assert b"".join(csv_chunks(project_chunks(store, filters, "budget", rows), None, note)) == budget, rows
    return expected, budget


def test_projects_csv_streamed_is_byte_identical_on_the_sample(sample_store):
    for f in [Filters(year=2024), Filters(year=2023), Filters(), Filters(year=2024, search="没有这个项目")]:
        expected, _ = check_csv(sample_store, f)
        assert expected.startswith(b"\xef\xbb\xbf") and expected.count(b"\xef\xbb\xbf") == 1
        assert "合计（".encode() in expected


def test_projects_csv_streamed_is_byte_identical_on_generated_data(generated):
    target, years, departments = generated
    s = Store(target, read_only=True)
    try:
        for f in filter_cases(years, departments):
            expected, budget = check_csv(s, f)
            assert expected.decode("utf-8-sig").count("\r\n") >= 2            # header and 合计 at least
    finally:
        s.close()


@pytest.mark.parametrize("what", ["projects", "deviations"])
def test_export_command_streams_the_csv(generated, tmp_path, monkeypatch, what):
    target, years, departments = generated
    s = Store(target, read_only=True)
    try:
        cases = [(f, (whole_projects_csv if what == "projects" else whole_budget_csv)(s, f))
                 for f in filter_cases(years, departments) if f.year is not None]
    finally:
        s.close()
    from perfboard import deviations

    def never(*args, **kwargs):
        raise AssertionError("the whole table was built")
    monkeypatch.setattr(execution, "full_table", never)
    monkeypatch.setattr(execution, "projects", never)
    monkeypatch.setattr(deviations, "table", never)
    monkeypatch.setattr(execution, "CHUNK_ROWS", 6)
    monkeypatch.setattr(deviations, "CHUNK_ROWS", 6)
    for n, (f, expected) in enumerate(cases):
        out = tmp_path / f"{what}-{n}.csv"
        args = ["export", "--db", str(target), "--what", what, "--out", str(out), "--year", str(f.year)]
        args += _filter_args(f)
        assert main(args) == 0
        assert out.read_bytes() == expected, f
        assert not (tmp_path / f"{what}-{n}.csv.part").exists()


def test_project_chunks_refuses_what_is_not_a_budget_table(sample_store):
    with pytest.raises(KeyError):
        next(project_chunks(sample_store, Filters(year=2024), "rate_mismatch"))
