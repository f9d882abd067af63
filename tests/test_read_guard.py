"""Bounded reading (issue 20): a sheet's extent checked before the reader allocates, limits from audited
settings, the parse in a worker process whose crash or timeout is an import error, the import permission
checked before anything is parsed, and the import page parsing an upload once per session."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile.corpus import DEPARTMENT, HEADER, cells_without_r, csv_text, far_cell, good_rows, xlsx
from perfboard import auth, importer, isolate, readers
from perfboard.auth import User
from perfboard.importer import prepare
from perfboard.readers import Limits
from perfboard.validation_report import Report

ROOT = Path(__file__).resolve().parent.parent
GOOD = xlsx(good_rows())
UNGUARDED = Limits(max_rows=10**9, max_cols=10**6, max_cells=10**15)     # lets a far cell through to the reader


# ---------------------------------------------------------------- the streamed extent
@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_sheet_extent_streams_across_chunk_boundaries(chunk):
    xml = (b'<?xml version="1.0"?><x:worksheet xmlns:x="m"><x:dimension ref="B2:AB30"/><x:sheetData>'
           b'<x:row r="2"><x:c r="B2" t="s"><x:v>0</x:v></x:c><x:c><x:v>1</x:v></x:c></x:row>'   # C2: no r
           b'<x:row><x:c r="AA3"/><x:c/></x:row>'                                                # row 3, AB3
           b'<x:row r="7" spans="1:2"><x:c r="D7"><x:is><x:t>a &gt; b &lt; c</x:t></x:is></x:c></x:row>'
           b'</x:sheetData><x:cols><x:col min="1" max="16384"/></x:cols><x:rowBreaks count="1"/></x:worksheet>')
    declared, actual = readers.sheet_extent(io.BytesIO(xml), chunk=chunk)
    assert declared == (30, 28)
    assert actual == (7, 28)          # AB = 28; <col>/<cols>/<rowBreaks> are not cells


@pytest.mark.parametrize("ref, refused", [("XFD1048576", True), ("XFD40000", True), ("A1048576", False),
                                          ("G1000000", False), ("XFD600", False), ("XFD611", True)])
def test_far_cell_against_the_default_limits(ref, refused):
    """Default: 10,000,000 cells of extent (XFD611 = 16,384 x 611 = 10,010,624). The real one-million-row
    shapes a spreadsheet carries (a formula filled down a few columns) stay readable."""
    rep = Report()
    book = readers.read_book("far.xlsx", far_cell(GOOD, ref), rep)
    if refused:
        assert book is None and rep.codes() == ["sheet-too-large"]
        p = rep.problems[0]
        assert (p.sheet, p.value) == ("项目", ref)
        assert ref in p.text() and "项目" in p.text() and "删除数据区以外的行和列" in p.text()
    else:
        assert book is not None and rep.ok, rep.codes()


def test_declared_dimension_alone_is_checked():
    from hostile.corpus import huge_dimension
    rep = Report()
    assert readers.read_book("d.xlsx", huge_dimension(GOOD), rep) is None
    assert rep.codes() == ["sheet-too-large"] and rep.problems[0].value.startswith("XFD1048576")


def test_cells_without_r_count_as_a_reader_places_them():
    rep = Report()
    assert readers.read_book("n.xlsx", cells_without_r(GOOD, 17_000), rep) is None
    assert rep.codes() == ["sheet-too-large"] and rep.problems[0].value == "YCV4"      # column 17,000, row 4
    assert readers.read_book("n.xlsx", cells_without_r(GOOD, 100), Report()) is not None


def test_calamine_is_never_handed_a_far_cell(monkeypatch):
    monkeypatch.setattr(readers.pc.CalamineWorkbook, "from_filelike",
                        lambda *a, **k: (_ for _ in ()).throw(AssertionError("reader called")))
    rep = Report()
    assert readers.read_book("far.xlsx", far_cell(GOOD, "XFD1048576"), rep) is None


# ---------------------------------------------------------------- limits are settings
def test_limits_come_from_settings_and_changes_are_audited(store):
    rows = [HEADER] + [[2024, DEPARTMENT, f"项目{i}", 10, 5, ""] for i in range(30)]     # A1:F31
    data = xlsx(rows)
    assert prepare(store, [("a.xlsx", data)]).ok
    errors = importer.save_import_limits(store, Limits(max_rows=20), None)      # single-user: the local admin
    assert errors == []
    plan = prepare(store, [("a.xlsx", data)])
    assert [(p.code, p.sheet, p.value) for p in plan.report.errors] == [("sheet-too-large", "项目", "F31")]
    assert "最多 20 行" in plan.report.errors[0].message
    log = auth.settings_history(store)
    assert log.iloc[0]["key"] == "import_limits" and log.iloc[0]["what"] == "导入文件上限"
    assert '"max_rows": 20' in log.iloc[0]["new_value"]
    assert importer.save_import_limits(store, Limits(max_cols=0), None) == ["“每个工作表最多列数”应在 1 到 16,384 之间。"]
    auth.add_user(store, "v", "password-123", "viewer", ["甲局"], by=auth.local_admin())
    with pytest.raises(auth.PermissionDenied):
        importer.save_import_limits(store, Limits(), User(name="v", role="viewer", departments=("甲局",)))
    assert readers.limits_of(store).max_rows == 20


def test_bad_stored_limits_fall_back_to_defaults():
    assert Limits.from_setting({"max_rows": -1, "max_cols": "x", "max_cells": 5, "bogus": 1}) == Limits(max_cells=5)
    assert Limits.from_setting(None) == readers.DEFAULT_LIMITS


# ---------------------------------------------------------------- the worker
def test_worker_returns_the_same_batch_as_in_process():
    data = csv_text(good_rows(3)).encode()
    a = isolate.parse_isolated(importer.parse_file, "g.csv", data)
    b = importer.parse_file("g.csv", data)
    assert a.projects == b.projects and a.report.codes() == b.report.codes() and a.content_hash == b.content_hash


def test_a_reader_crash_is_an_import_error_not_a_dead_process():
    """With the extent check switched off, the reader asks for ~20 GB and aborts its process: only the
    worker dies, and the file gets `parse-failed`."""
    batch = isolate.parse_isolated(importer.parse_file, "far.xlsx", far_cell(GOOD, "XFD40000"), limits=UNGUARDED)
    assert batch.report.codes() == ["parse-failed"] and not batch.projects
    assert "内存" in batch.report.problems[0].message
    again = isolate.parse_isolated(importer.parse_file, "g.xlsx", GOOD)        # the next parse works
    assert again.report.ok and len(again.projects) == 2


def test_a_parse_past_its_time_is_stopped():
    from dataclasses import replace
    batch = isolate.parse_isolated(importer.parse_file, "far.xlsx", far_cell(GOOD, "XFD40000"),
                                   limits=replace(UNGUARDED, timeout_s=1, memory_mb=10**6))
    assert batch.report.codes() in (["parse-timeout"], ["parse-failed"])   # killed at 1 s, or out of memory first


def test_prepare_isolates_by_default(monkeypatch):
    calls = []
    real = isolate.parse_isolated
    monkeypatch.setattr(isolate, "parse_isolated", lambda parse, *a, **k: calls.append(parse) or real(parse, *a, **k))
    plan = prepare(None, [("g.xlsx", GOOD)])
    assert plan.ok and plan.projects == 2
    assert calls == [importer.parse_file]          # parsed in the worker, not in this process


def test_cli_import_of_a_far_cell_file_exits_1_with_the_message(tmp_path):
    f = tmp_path / "远端.xlsx"
    f.write_bytes(far_cell(GOOD, "XFD1048576"))
    env = {k: v for k, v in os.environ.items() if k != "PERFBOARD_DB"}
    r = subprocess.run([sys.executable, "-m", "perfboard", "import", str(f), "--db", str(tmp_path / "d.duckdb")],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, (r.returncode, r.stderr[-500:])
    assert "XFD1048576" in r.stdout and "工作表“项目”" in r.stdout and "未导入" in r.stdout


# ---------------------------------------------------------------- permission before parsing
def test_a_viewer_is_refused_before_any_file_is_parsed(store, monkeypatch):
    auth.add_user(store, "admin1", "password-123", "admin", by=auth.local_admin())
    monkeypatch.setattr(importer, "parse", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
    viewer = User(name="v", role="viewer", departments=("甲局",))
    plan = prepare(store, [("far.xlsx", far_cell(GOOD, "XFD1048576"))], user=viewer)
    assert plan.report.codes() == ["no-permission"] and "无权导入" in plan.report.errors[0].message
    editor = User(name="e", role="editor", departments=("甲局",))
    plan = prepare(store, [("x.csv", b"")], department="乙局", user=editor)
    assert plan.report.codes() == ["no-permission"] and "乙局" in plan.report.errors[0].message
    plan = prepare(store, [("x.csv", b"")], user="anyone")          # a bare name once users exist: not logged in
    assert plan.report.codes() == ["no-permission"]


# ---------------------------------------------------------------- parse once per upload
def test_parsed_hook_reuses_a_batch_without_changing_it(monkeypatch):
    data = csv_text(good_rows(2)).encode()
    cache, calls = {}, []

    def parsed(name, data, parse_one):
        if name not in cache:
            calls.append(name)
            cache[name] = parse_one()
        return cache[name]

    files = [("a.csv", data), ("b.csv", data)]           # the same projects twice: duplicate-project errors
    first = prepare(None, files, parsed=parsed)
    second = prepare(None, files, parsed=parsed)
    assert calls == ["a.csv", "b.csv"]
    assert first.report.codes() == second.report.codes() and first.report.codes().count("duplicate-project") == 2
    assert cache["b.csv"].report.ok                      # the cached parse itself is not changed by prepare


def test_import_page_parses_an_upload_once(app_env, monkeypatch):
    from streamlit.testing.v1 import AppTest
    calls = []
    real = importer.parse

    def counting(*a, **k):
        calls.append(a[0])
        return real(*a, **k)

    monkeypatch.setattr(importer, "parse", counting)
    at = AppTest.from_file(str(ROOT / "pages" / "import_data.py"), default_timeout=60)
    at.run()
    at.file_uploader[0].upload("x.csv", csv_text(good_rows(2)).encode(), "text/csv")
    at.run()
    at.text_input[0].input("")          # reruns: typing, ticking
    at.run()
    at.run()
    assert calls == ["x.csv"]
    assert any("2 个项目" in m.value for m in at.markdown)
