"""Faults: a process killed mid-import leaves the database exactly as before or exactly imported;
a corrupt file gives a clear Chinese message; a held file names the holding process."""
from __future__ import annotations

import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xlsxwriter

from perfboard.db import Store, StoreError, StoreLockedError
from perfboard.importer import commit, prepare

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = 3000
KILL_ITERATIONS = 8


def workbook(version: int, projects: int = PROJECTS) -> bytes:
    """A flat workbook: `projects` projects over three departments, two indicators each. The
    figures depend on `version` so before/after states are told apart by their sums."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ps = wb.add_worksheet("项目")
    ps.write_row(0, 0, ["年度", "主管部门", "项目编码", "项目名称", "全年预算数", "全年执行数"])
    ins = wb.add_worksheet("绩效指标")
    ins.write_row(0, 0, ["年度", "项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值"])
    r = 1
    for i in range(projects):
        code = f"P{i:05d}"
        budget = 100 + i % 97 + version
        ps.write_row(i + 1, 0, [2024, f"部门{i % 3}", code, f"项目{i}", budget, budget * 0.8])
        for k in range(2):
            ins.write_row(r, 0, [2024, code, f"项目{i}", "产出指标", "数量指标", f"指标{k}", f"≥{10 + k}个",
                                 f"{10 + k + version}个"])
            r += 1
    wb.close()
    return buf.getvalue()


def state(path) -> tuple:
    """Row counts and sums that identify a database state."""
    s = Store(path)
    try:
        return tuple(s.cursor().execute(
            "SELECT (SELECT count(*) FROM projects), (SELECT round(sum(budget), 4) FROM projects),"
            " (SELECT round(sum(spent), 4) FROM projects), (SELECT count(*) FROM indicators),"
            " (SELECT round(sum(actual_value), 4) FROM indicators), (SELECT count(*) FROM project_funds),"
            " (SELECT count(*) FROM import_log), (SELECT max(version) FROM data_version)").fetchall()[0])
    finally:
        s.close()


IMPORTER = r"""
import sys
from pathlib import Path
from perfboard.db import Store
from perfboard.importer import commit, prepare
store = Store(sys.argv[1])
plan = prepare(store, [("v2.xlsx", Path(sys.argv[2]).read_bytes())], replace=True)
assert plan.ok, plan.report.to_frame()
print("prepared", flush=True)
commit(store, plan)
print("committed", flush=True)
store.close()
"""


@pytest.fixture(scope="module")
def kill_setup(tmp_path_factory):
    """A database holding version 1 of the workbook, version 2 on disk, and both states."""
    d = tmp_path_factory.mktemp("kill")
    base = d / "base.duckdb"
    s = Store(base)
    plan = prepare(s, [("v1.xlsx", workbook(1))])
    assert plan.ok, plan.report.to_frame()
    commit(s, plan)
    s.close()
    v2 = d / "v2.xlsx"
    v2.write_bytes(workbook(2))
    before = state(base)
    # a full run, timed, gives the "after" state and how long the commit takes
    full = d / "full.duckdb"
    shutil.copy(base, full)
    p = subprocess.Popen([sys.executable, "-c", IMPORTER, str(full), str(v2)], cwd=ROOT, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "prepared"
    t0 = time.perf_counter()
    assert p.stdout.readline().strip() == "committed"
    commit_seconds = time.perf_counter() - t0
    assert p.wait(timeout=60) == 0
    after = state(full)
    assert before != after and after[0] == PROJECTS and after[3] == 2 * PROJECTS
    return base, v2, before, after, commit_seconds


def test_kill_during_import_leaves_before_or_after(kill_setup, tmp_path, record_property):
    base, v2, before, after, commit_seconds = kill_setup
    rng = random.Random(20261129)
    outcomes = []
    for i in range(KILL_ITERATIONS):
        db = tmp_path / f"k{i}.duckdb"
        shutil.copy(base, db)
        p = subprocess.Popen([sys.executable, "-c", IMPORTER, str(db), str(v2)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
        assert p.stdout.readline().strip() == "prepared"
        # spread the kills over the whole commit (and a little past it)
        delay = rng.uniform(0, commit_seconds * 1.2)
        time.sleep(delay)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        got = state(db)                       # opens (replaying the WAL if any) without error
        assert got in (before, after), f"iteration {i}, delay {delay:.3f}s: partial state {got}"
        outcomes.append(("before" if got == before else "after", round(delay, 3)))
    record_property("kill_outcomes", outcomes)
    print(f"\ncommit takes {commit_seconds:.3f}s; kill outcomes: {outcomes}")


def test_kill_after_commit_printed_keeps_the_import(kill_setup, tmp_path):
    """The durable side: once commit returned, a kill cannot take the import back."""
    base, v2, before, after, _ = kill_setup
    db = tmp_path / "k.duckdb"
    shutil.copy(base, db)
    p = subprocess.Popen([sys.executable, "-c", IMPORTER, str(db), str(v2)], cwd=ROOT, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "prepared"
    assert p.stdout.readline().strip() == "committed"
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert state(db) == after


def test_failure_inside_commit_rolls_back(kill_setup, tmp_path, monkeypatch):
    """An exception half-way through the writes (after the old scope was deleted) leaves it intact."""
    base, v2, before, _, _ = kill_setup
    db = tmp_path / "f.duckdb"
    shutil.copy(base, db)
    s = Store(db)
    plan = prepare(s, [("v2.xlsx", v2.read_bytes())], replace=True)
    import perfboard.importer as importer
    real = importer._insert

    def failing(cur, table, cols, rows):
        if table == "indicators":
            raise RuntimeError("disk full (simulated)")
        return real(cur, table, cols, rows)

    monkeypatch.setattr(importer, "_insert", failing)
    with pytest.raises(RuntimeError):
        commit(s, plan)
    s.close()
    assert state(db) == before


# ---------------------------------------------------------------- corrupt and locked files
def _corruptions(good: Path, d: Path):
    data = good.read_bytes()
    yield "garbage", b"\x00garbage, not a database\xff" * 500
    yield "text", "年度,主管部门\n2024,甲局\n".encode("utf-8")
    yield "truncated", data[: len(data) // 3]
    yield "header-only", data[:4096]
    mid = bytearray(data)
    for off in range(4096, min(len(mid), 4096 * 4)):
        mid[off] = 0xA5
    yield "scribbled-header", bytes(mid)


@pytest.mark.duckdb_only("a corrupt DuckDB file")
@pytest.mark.parametrize("kind", ["garbage", "text", "truncated", "header-only", "scribbled-header"])
def test_corrupt_database_file_gives_a_clear_message(sample_db_path, tmp_path, kind):
    data = dict(_corruptions(sample_db_path, tmp_path))[kind]
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(data)
    try:
        s = Store(bad)
    except StoreError as exc:
        msg = str(exc)
        assert "数据库文件" in msg and str(bad) in msg and ("损坏" in msg or "占用" not in msg)
        assert "Traceback" not in msg
    else:
        # DuckDB may accept some damage it cannot see until a read; then reading must not crash the process
        try:
            s.scalar("SELECT count(*) FROM projects")
        except Exception:
            pass
        s.close()
    r = subprocess.run([sys.executable, "-m", "perfboard", "summary", "--db", str(bad)], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert "Traceback" not in r.stderr, r.stderr
    if r.returncode != 0:
        assert r.returncode == 3 and "错误" in r.stderr


def test_empty_file_is_a_fresh_database_or_a_clear_error(tmp_path):
    bad = tmp_path / "empty.duckdb"
    bad.write_bytes(b"")
    try:
        Store(bad).close()
    except StoreError as exc:
        assert "数据库文件" in str(exc)


def test_held_file_names_the_holder(tmp_path):
    db = tmp_path / "held.duckdb"
    Store(db).close()
    code = "import sys; from perfboard.db import Store; s = Store(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    p = subprocess.Popen([sys.executable, "-c", code, str(db)], cwd=ROOT, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError) as e:
            Store(db)
        assert f"进程 {p.pid}" in str(e.value) and "占用" in str(e.value)
        f = tmp_path / "a.csv"
        f.write_text("年度,主管部门,项目名称,全年预算数,全年执行数\n2024,甲局,项目,10,5\n", encoding="utf-8")
        r = subprocess.run([sys.executable, "-m", "perfboard", "import", str(f), "--db", str(db)], cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 3 and f"进程 {p.pid}" in r.stderr and "Traceback" not in r.stderr
    finally:
        p.stdin.close()
        p.wait(timeout=30)
