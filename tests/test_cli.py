"""`python -m perfboard` as a user runs it: exit statuses, what it writes, and summary --json."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from perfboard import importer
from perfboard.db import Store
from perfboard.filters import Filters
from perfboard.sample import SAMPLE_DIR
from perfboard.summary import summary

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_2024 = SAMPLE_DIR / "zhangye-kjj-2024.xlsx"


def run(*args, env_db: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PERFBOARD_DB"}
    if env_db:
        env["PERFBOARD_DB"] = env_db
    return subprocess.run([sys.executable, "-m", "perfboard", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def snapshot(path: Path) -> dict:
    s = Store(path)
    try:
        cur = s.cursor()
        tables = [r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: cur.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        s.close()


def summary_of(path: Path, filters: Filters = Filters()) -> dict:
    s = Store(path)
    try:
        return summary(s, filters)
    finally:
        s.close()


def bad_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）"])
    ws.append([2024, "张掖市财政局", "甲", "二十五万", 10])
    wb.save(path)
    return path


def good_workbook(path: Path, name="甲", dept="张掖市财政局") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）"])
    ws.append([2024, dept, name, 20, 10])
    wb.save(path)
    return path


@pytest.fixture
def db(db_target) -> Path | str:
    """A fresh store: a DuckDB file, or a PostgreSQL URL in the PostgreSQL pass (tests/conftest.py)."""
    return db_target


def created(db: Path | str) -> bool:
    """Whether anything was created: the file, or (PostgreSQL) any table in the database."""
    if isinstance(db, Path):
        return db.exists()
    import psycopg
    with psycopg.connect(db) as con:
        return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                           ).fetchone()[0] > 0


def test_import_sample_file_then_summary_json_matches_summary(db):
    r = run("import", SAMPLE_2024, "--db", db)
    assert r.returncode == 0, r.stderr
    assert "已导入：12 个项目" in r.stdout
    for args, filters in ((["--year", "2024"], Filters(year=2024)), ([], Filters()),
                          (["--year", "2024", "--department", "张掖市科学技术局"],
                           Filters(year=2024, departments=("张掖市科学技术局",))),
                          (["--search", "招商"], Filters(search="招商"))):
        r = run("summary", "--db", db, "--json", *args)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == summary_of(db, filters)
    s = json.loads(run("summary", "--db", db, "--json", "--year", "2024").stdout)
    assert (s["projects"], round(s["budget_wan"], 6), round(s["spent_wan"], 6)) == (12, 636.98, 635.517)


def test_import_bad_file_exits_1_and_changes_nothing(db, tmp_path):
    assert run("import", SAMPLE_2024, "--db", db).returncode == 0
    before = snapshot(db)
    r = run("import", bad_workbook(tmp_path / "坏.xlsx"), "--db", db, "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["imported"] is False
    # a refused import names its counts as parsed, not as projects/indicators that look imported (issue 14)
    assert "projects" not in out and "indicators" not in out
    assert (out["parsed_projects"], out["parsed_indicators"]) == (0, 0)
    assert [(p["code"], p["severity"], p["sheet"], p["row"], p["column"]) for p in out["problems"]] == \
        [("not-a-number", "error", "项目", 2, "全年预算数（万元）")]
    assert snapshot(db) == before
    r = run("import", tmp_path / "坏.xlsx", "--db", db)          # the human-readable report
    assert r.returncode == 1 and "第 2 行" in r.stdout and "数据库未作任何修改" in r.stdout
    assert snapshot(db) == before


def test_import_corrupt_file_exits_1(db, tmp_path):
    f = tmp_path / "乱码.xlsx"
    f.write_bytes(os.urandom(2000))
    r = run("import", f, "--db", db, "--json")
    assert r.returncode == 1
    assert [p["code"] for p in json.loads(r.stdout)["problems"]] == ["file-unreadable"]


@pytest.mark.parametrize("args", [[], ["--bogus"], ["import"], ["import", "x.xlsx", "--bogus"],
                                  ["summary", "--year", "二〇二四"], ["frobnicate"], ["template"]])
def test_usage_errors_exit_2(args, db):
    if args[:1] == ["import"] and len(args) > 1:
        args = [*args, "--db", str(db)]
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert not created(db)


def test_missing_file_exits_2_and_creates_nothing(db, tmp_path):
    r = run("import", tmp_path / "没有这个文件.xlsx", "--db", db)
    assert r.returncode == 2
    assert "找不到文件" in r.stderr
    assert not created(db)


def test_perfboard_db_environment_variable(tmp_path):
    env_db = tmp_path / "env" / "from-env.duckdb"
    r = run("sample", env_db=str(env_db))
    assert r.returncode == 0, r.stderr
    assert env_db.exists()
    r = run("summary", "--json", "--year", "2024", env_db=str(env_db))
    assert json.loads(r.stdout)["projects"] == 12
    # --db beats the environment
    other = tmp_path / "other.duckdb"
    r = run("summary", "--json", "--db", other, env_db=str(env_db))
    assert json.loads(r.stdout)["projects"] == 0


def test_replace(db, tmp_path):
    assert run("import", good_workbook(tmp_path / "a.xlsx", "甲"), "--db", db).returncode == 0
    before = snapshot(db)
    b = good_workbook(tmp_path / "b.xlsx", "乙")
    r = run("import", b, "--db", db)
    assert r.returncode == 1
    assert "--replace" in r.stdout
    assert snapshot(db) == before
    r = run("import", b, "--db", db, "--replace")
    assert r.returncode == 0, r.stdout
    assert [i["name"] for i in summary_of(db)["items"]] == ["乙"]
    s = Store(db)
    try:
        assert s.scalar("SELECT outcome FROM import_log ORDER BY id DESC LIMIT 1") == "replaced"
    finally:
        s.close()


def test_department_option_overrides(db, tmp_path):
    r = run("import", good_workbook(tmp_path / "a.xlsx"), "--db", db, "--department", "张掖市教育局")
    assert r.returncode == 0
    assert [i["department"] for i in summary_of(db)["items"]] == ["张掖市教育局"]


def test_sample_command(db):
    r = run("sample", "--db", db)
    assert r.returncode == 0, r.stderr
    assert "已载入示例数据" in r.stdout
    s = summary_of(db, Filters(year=2024))
    assert (s["projects"], round(s["budget_wan"], 6), round(s["spent_wan"], 6)) == (12, 636.98, 635.517)
    assert run("sample", "--db", db).returncode == 0          # loading again replaces, not duplicates
    assert summary_of(db, Filters(year=2024))["projects"] == 12


def test_template_out(tmp_path):
    out = tmp_path / "模板.xlsx"
    r = run("template", "--out", out)
    assert r.returncode == 0
    batch = importer.parse_file(out.name, out.read_bytes())
    assert [p.code for p in batch.report.errors] == ["no-data"]
    assert batch.report.warnings == []


@pytest.mark.duckdb_only("another process holding the DuckDB file")
def test_locked_database_is_explained(db, tmp_path):
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        r = run("summary", "--db", db, "--json")
        assert r.returncode == 3
        assert f"进程 {holder.pid}" in r.stderr and "Traceback" not in r.stderr
    finally:
        holder.kill()
        holder.wait()
