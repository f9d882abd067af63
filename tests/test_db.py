"""perfboard.db: migrations keep older files working, the database path, lock and corruption
errors explained in Chinese, and the queries/*.sql files."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from perfboard import db
from perfboard.db import Query, Store, StoreError, StoreLockedError, load_queries, migrations, resolve_db_path

MIGRATION_001 = db.MIGRATIONS_DIR / "001_init.sql"


def tables(store: Store) -> set[str]:
    return {r[0] for r in store.cursor().execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def versions(store: Store) -> list[int]:
    return [r[0] for r in store.cursor().execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]


# ---------------------------------------------------------------- migrations
def test_migration_files_are_numbered():
    files = sorted(p.name for p in db.MIGRATIONS_DIR.glob("*.sql"))
    assert files and files[0] == "001_init.sql"
    for name in files:
        assert re.fullmatch(r"\d{3}_[a-z0-9_]+\.sql", name), name
    found = migrations()
    nums = [n for n, _, _ in found]
    assert nums == sorted(set(nums)), "migration numbers must be unique and in order"
    assert nums[0] == 1
    assert [name for _, name, _ in found] == files


def test_fresh_database_gets_every_migration(store):
    assert versions(store) == [n for n, _, _ in migrations()]
    assert {"projects", "indicators", "project_funds", "import_log", "settings", "data_version"} <= tables(store)
    assert store.data_version() == 0


def test_database_made_with_only_migration_001_keeps_its_data(tmp_path):
    """An older PerfBoard: schema 001 and its bookkeeping row, one project and indicator in it."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
    con.execute(MIGRATION_001.read_text(encoding="utf-8"))
    con.execute("INSERT INTO schema_migrations VALUES (1, '001_init.sql', ?)", [datetime(2025, 1, 1)])
    con.execute("INSERT INTO projects (id, year, department, name, budget, spent, reported_rate) "
                "VALUES (1, 2024, '张掖市科学技术局', '2024 年招商引资', 5, 3.537, 0.704)")
    con.execute("INSERT INTO indicators (id, project_id, position, level3, target_text) VALUES (1, 1, 1, '招商活动', '≥2次')")
    con.execute("INSERT INTO settings VALUES ('rate_bands', '{\"green\": 0.9, \"yellow\": 0.8}')")
    con.close()

    s = Store(path)
    try:
        assert versions(s) == [n for n, _, _ in migrations()]
        assert s.cursor().execute("SELECT id, year, department, name, budget, spent, reported_rate FROM projects").fetchall() == \
            [(1, 2024, "张掖市科学技术局", "2024 年招商引资", 5.0, 3.537, 0.704)]
        assert s.cursor().execute("SELECT project_id, level3, target_text FROM indicators").fetchall() == [(1, "招商活动", "≥2次")]
        # migration 005's derived column is filled on open: a target without an actual is 缺实际值
        assert s.cursor().execute("SELECT status FROM indicators").fetchall() == [("missing",)]
        assert s.get_setting("rate_bands") == {"green": 0.9, "yellow": 0.8}
        from perfboard.summary import summary
        assert summary(s)["projects"] == 1
    finally:
        s.close()
    # opening again applies nothing twice
    s = Store(path)
    try:
        assert versions(s) == [n for n, _, _ in migrations()]
    finally:
        s.close()


def test_file_migrated_by_an_older_store_with_only_001(tmp_path, monkeypatch):
    only_001 = tmp_path / "migrations"
    only_001.mkdir()
    shutil.copy(MIGRATION_001, only_001)
    path = tmp_path / "old.duckdb"
    monkeypatch.setattr(db, "MIGRATIONS_DIR", only_001)
    s = Store(path)
    assert versions(s) == [1]
    s.cursor().execute("INSERT INTO projects (id, year, department, name, budget, spent) VALUES (7, 2023, '部门', '旧项目', 1, 1)")
    s.close()
    monkeypatch.undo()
    s = Store(path)
    try:
        assert versions(s) == [n for n, _, _ in migrations()]
        assert s.cursor().execute("SELECT id, name FROM projects").fetchall() == [(7, "旧项目")]
    finally:
        s.close()


def test_a_failing_migration_leaves_the_file_at_the_previous_version(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    folder.mkdir()
    shutil.copy(MIGRATION_001, folder)
    (folder / "002_broken.sql").write_text("CREATE TABLE half_done (x INTEGER);\nSELECT * FROM no_such_table;\n",
                                           encoding="utf-8")
    monkeypatch.setattr(db, "MIGRATIONS_DIR", folder)
    path = tmp_path / "m.duckdb"
    with pytest.raises(StoreError):
        Store(path)
    (folder / "002_broken.sql").unlink()
    s = Store(path)
    try:
        assert versions(s) == [1]
        assert "half_done" not in tables(s)
    finally:
        s.close()


# ---------------------------------------------------------------- the database path
def test_resolve_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("PERFBOARD_DB", raising=False)
    assert resolve_db_path(None) == db.DEFAULT_DB
    assert db.DEFAULT_DB.parent.name == "var" and db.DEFAULT_DB.parent.parent == db.ROOT
    monkeypatch.setenv("PERFBOARD_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path("") == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "cli.duckdb") == tmp_path / "cli.duckdb"
    assert resolve_db_path(str(tmp_path / "cli.duckdb")) == tmp_path / "cli.duckdb"
    monkeypatch.setenv("PERFBOARD_DB", "")
    assert resolve_db_path(None) == db.DEFAULT_DB


def test_default_database_folder_is_git_ignored():
    ignored = (db.ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "var/" in ignored or "var" in ignored
    assert "*.duckdb" in ignored


def test_store_uses_env_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PERFBOARD_DB", str(tmp_path / "sub" / "env.duckdb"))
    s = Store()
    try:
        assert s.path == tmp_path / "sub" / "env.duckdb"
    finally:
        s.close()
    assert (tmp_path / "sub" / "env.duckdb").exists()


# ---------------------------------------------------------------- errors explained
@pytest.fixture
def held(tmp_path):
    """A database file opened read-write by another process."""
    path = tmp_path / "held.duckdb"
    Store(path).close()
    proc = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                             "print('ready', flush=True); time.sleep(60)", str(path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    yield path, proc.pid
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("read_only", [False, True])
def test_locked_database(held, read_only):
    path, pid = held
    with pytest.raises(StoreLockedError) as info:
        Store(path, read_only=read_only)
    msg = str(info.value)
    assert f"进程 {pid}" in msg
    assert "占用" in msg and re.search(r"[\u4e00-\u9fff]{4}", msg)
    assert str(path) in msg
    assert not isinstance(info.value, duckdb.Error)


@pytest.mark.parametrize("content", [b"\x00" * 10, b"not a database at all" * 500, bytes(range(256)) * 64])
def test_corrupt_file_raises_store_error(tmp_path, content):
    path = tmp_path / "bad.duckdb"
    path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert not isinstance(info.value, StoreLockedError)
    assert not isinstance(info.value, duckdb.Error)
    assert "无法打开数据库文件" in str(info.value)
    assert path.read_bytes() == content          # we never "repair" a user's file by overwriting it


def test_database_path_is_a_directory(tmp_path):
    with pytest.raises(StoreError):
        Store(tmp_path)


# ---------------------------------------------------------------- queries
def test_query_params_and_bind():
    q = Query("t", "-- uses $ignored in a comment\nSELECT $a, $b_2 WHERE x = $a AND price = '$5'")
    assert q.params == {"a", "b_2"}
    assert q.bind({"a": 1, "b_2": None}) == {"a": 1, "b_2": None}
    with pytest.raises(KeyError, match="missing"):
        q.bind({"a": 1})
    with pytest.raises(KeyError, match="unexpected"):
        q.bind({"a": 1, "b_2": 2, "c": 3})
    with pytest.raises(KeyError):
        q.bind(None)
    assert Query("n", "SELECT 1").bind(None) == {}


def test_store_df_rejects_wrong_params(store):
    with pytest.raises(KeyError):
        store.df("projects", {"year": 2024})
    with pytest.raises(KeyError):
        store.df("filter_options", {"year": 2024})


def test_every_query_file_loads_and_runs(store):
    files = sorted(p.stem for p in db.QUERIES_DIR.glob("*.sql"))
    loaded = load_queries()
    assert sorted(loaded) == files and "projects" in files
    for name, q in loaded.items():
        cur = store.cursor()
        cur.register("project_ids", pd.DataFrame({"id": pd.Series([], dtype="int64")}))
        for name, table in (("_year_pair_rows", "year_pair_parts"), ("_year_pair_entry", "year_pairs"),
                            *((f"_pair_result_{t}", f"year_pair_result_{t}") for t in ("items", "candidates", "scores"))):
            cur.register(name, store.sql_df(f"SELECT * FROM {table} LIMIT 0"))      # year_pairs.save's, empty
        cur.register("_pair_result_run", store.sql_df("SELECT * FROM year_pair_results LIMIT 0"))
        for name in ("cur_ids", "base_ids"):                                      # pair_results.read's
            cur.register(name, pd.DataFrame({"id": pd.Series([], dtype="int64")}))
        cur.execute("BEGIN TRANSACTION")
        try:
            cur.execute(q.sql, q.bind({p: None for p in q.params}))
        finally:
            cur.execute("ROLLBACK")
            cur.close()


def test_transaction_rolls_back_and_bumps_version(store):
    v = store.data_version()
    with pytest.raises(RuntimeError):
        with store.transaction() as cur:
            cur.execute("INSERT INTO settings VALUES ('x', '1')")
            raise RuntimeError("boom")
    assert store.get_setting("x") is None and store.data_version() == v
    store.set_setting("x", {"中文": 1})
    assert store.get_setting("x") == {"中文": 1} and store.data_version() == v + 1
