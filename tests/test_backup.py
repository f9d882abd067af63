"""Backup and restore (perfboard.db.backup/restore and the CLI): a restored backup gives identical figures."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from perfboard import auth
from perfboard.db import Store, StoreError, StoreLockedError, backup, check_backup, restore
from perfboard.summary import summary

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.duckdb_only("backup/restore copy the DuckDB file (on PostgreSQL backup() refuses, "
                                     "pointing to pg_dump: tests/test_pg_store.py)")


def figures(path) -> dict:
    s = Store(path, read_only=True)
    try:
        out = summary(s)
        out["tables"] = {t: s.scalar(f'SELECT count(*) FROM "{t}"') for (t,) in s.cursor().execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()}
        out["indicator_values"] = s.cursor().execute(
            "SELECT count(*), sum(target_value), sum(actual_value), string_agg(actual_text, '|' ORDER BY id)"
            " FROM indicators").fetchall()
        return out
    finally:
        s.close()


def cli(*args, input=None):
    return subprocess.run([sys.executable, "-m", "perfboard", *map(str, args)], input=input, text=True,
                          capture_output=True, cwd=ROOT, timeout=120)


def hold(path):
    """A separate process holding the database read-write, as the running app does."""
    code = ("import sys, time; from perfboard.db import Store; s = Store(sys.argv[1]); print('ready', flush=True);"
            " sys.stdin.read()")
    p = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def test_backup_from_the_holding_process_and_restore_gives_identical_figures(sample_store, sample_db_path, tmp_path):
    monkey_rounds = auth.BCRYPT_ROUNDS
    auth.BCRYPT_ROUNDS = 4
    try:
        auth.add_user(sample_store, "zhang", "password-123", "viewer", ["甲局"])
    finally:
        auth.BCRYPT_ROUNDS = monkey_rounds
    out = backup(sample_store, tmp_path / "bk" / "perfboard-backup.duckdb")   # the store stays open
    assert out.is_file() and not Path(str(out) + ".wal").exists()
    assert check_backup(out) >= 4
    sample_store.close()
    before = figures(sample_db_path)
    assert before["projects"] > 0
    restored = tmp_path / "restored.duckdb"
    assert restore(out, restored) is None
    assert figures(restored) == before
    s = Store(restored)
    try:
        assert auth.authenticate(s, "zhang", "password-123").name == "zhang"   # users come along
    finally:
        s.close()


def test_backup_is_consistent_while_writes_go_on(sample_store, tmp_path):
    """Writers in another thread keep committing; each copy holds one committed state. Every
    transaction adds 1 to spent and then to budget of every row, so a torn copy would change budget - spent."""
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            with sample_store.transaction() as cur:
                cur.execute("UPDATE projects SET spent = spent + 1")
                cur.execute("UPDATE projects SET budget = budget + 1")

    t = threading.Thread(target=writer)
    t.start()
    try:
        outs = [backup(sample_store, tmp_path / f"b{i}.duckdb") for i in range(5)]
    finally:
        stop.set()
        t.join()
    live = sample_store.sql_df("SELECT id, budget - spent AS d FROM projects ORDER BY id")
    for out in outs:
        con = duckdb.connect(str(out), read_only=True)
        copy = con.execute("SELECT id, budget - spent AS d FROM projects ORDER BY id").df()
        con.close()
        assert copy["d"].round(6).tolist() == live["d"].round(6).tolist()


def test_backup_refuses_its_own_file(sample_store):
    with pytest.raises(StoreError):
        backup(sample_store, sample_store.path)


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as e:
        restore(junk, tmp_path / "db.duckdb")
    assert "Traceback" not in str(e.value)
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE x (a INT)")
    con.close()
    with pytest.raises(StoreError, match="不是 PerfBoard"):
        restore(other, tmp_path / "db.duckdb")
    with pytest.raises(StoreError, match="找不到"):
        restore(tmp_path / "missing.duckdb", tmp_path / "db.duckdb")
    assert not (tmp_path / "db.duckdb").exists()


def test_restore_keeps_the_replaced_file(sample_db_path, tmp_path):
    s = Store(sample_db_path)
    out = backup(s, tmp_path / "b.duckdb")
    s.close()
    target = tmp_path / "target.duckdb"
    Store(target).close()                                     # an empty database
    kept = restore(out, target)
    assert kept is not None and kept.is_file() and ".before-restore-" in kept.name
    assert figures(target) == figures(sample_db_path)
    assert figures(kept)["projects"] == 0


def test_cli_backup_and_restore(sample_db_path, tmp_path):
    before = figures(sample_db_path)
    out = tmp_path / "cli-backup.duckdb"
    r = cli("backup", "--out", out, "--db", sample_db_path)
    assert r.returncode == 0, r.stderr
    target = tmp_path / "again.duckdb"
    r = cli("restore", "--from", out, "--db", target)
    assert r.returncode == 0, r.stderr
    assert figures(target) == before


def test_cli_backup_and_restore_while_the_app_holds_the_file(sample_db_path, tmp_path):
    p = hold(sample_db_path)
    try:
        r = cli("backup", "--out", tmp_path / "b.duckdb", "--db", sample_db_path)
        assert r.returncode == 3
        assert f"进程 {p.pid}" in r.stderr and "应用" in r.stderr and "Traceback" not in r.stderr
        assert not (tmp_path / "b.duckdb").exists()
        s = Store(tmp_path / "other.duckdb")
        out = backup(s, tmp_path / "other-backup.duckdb")
        s.close()
        r = cli("restore", "--from", out, "--db", sample_db_path)
        assert r.returncode == 3 and f"进程 {p.pid}" in r.stderr and "关闭应用" in r.stderr
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert figures(sample_db_path)["projects"] > 0          # untouched


def test_locked_file_message_names_the_pid(sample_db_path):
    p = hold(sample_db_path)
    try:
        with pytest.raises(StoreLockedError) as e:
            Store(sample_db_path)
        assert f"进程 {p.pid}" in str(e.value)
        with pytest.raises(StoreLockedError):
            Store(sample_db_path, read_only=True)
        r = cli("summary", "--db", sample_db_path)
        assert r.returncode == 3 and f"进程 {p.pid}" in r.stderr and "Traceback" not in r.stderr
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert os.path.exists(sample_db_path)
