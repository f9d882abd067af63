"""The command line beside a process that holds the database file (issue 16, item 4): a real second
process holds it, as the app or as another command; reads get the app's consistent copy, writes and
reads beside a non-app holder wait with --wait or fail saying exactly what to do."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from perfboard import cli, snapshots
from perfboard.db import Store, check_backup

ROOT = Path(__file__).resolve().parent.parent

# The holder: opens the store like the app (optionally serving snapshot requests), then obeys stdin lines.
HOLDER = """
import sys
from perfboard.db import Store
from perfboard import snapshots
store = Store(sys.argv[1])
server = snapshots.serve(store) if sys.argv[2] == "app" else None
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "add-budget":        # one project's budget + 100.00 (a save in the app)
        with store.transaction() as cur:
            cur.execute("UPDATE projects SET budget = budget + 100 WHERE id = (SELECT min(id) FROM projects)")
        print("done", flush=True)
    elif line.strip() == "quit":
        break
if server is not None:
    server.stop()
store.close()
"""

pytestmark = pytest.mark.duckdb_only("a command beside the app holding the DuckDB file (its snapshot copy, --wait); "
                                     "PostgreSQL has no file lock")


class Holder:
    def __init__(self, db: Path, as_app: bool):
        env = {k: v for k, v in os.environ.items() if k != "PERFBOARD_DB"}
        self.p = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), "app" if as_app else "plain"], cwd=ROOT,
                                  env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def send(self, line: str) -> None:
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        if line != "quit":
            assert self.p.stdout.readline().strip() == "done"

    def close(self) -> None:
        if self.p.poll() is None:
            self.send("quit")
            self.p.wait(timeout=60)


@pytest.fixture
def holder(sample_db_path):
    made = []

    def start(as_app: bool) -> Holder:
        made.append(Holder(sample_db_path, as_app))
        return made[-1]
    yield start
    for h in made:
        h.close()


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_reads_beside_the_app_read_its_consistent_copy(sample_db_path, holder, capsys):
    code, out, _ = run(capsys, "summary", "--json", "--year", "2024", "--db", sample_db_path)
    assert code == 0
    before = json.loads(out)
    app = holder(as_app=True)
    code, out, err = run(capsys, "summary", "--json", "--year", "2024", "--db", sample_db_path)
    assert code == 0, err
    assert json.loads(out) == before                # stdout stays the JSON alone; the note goes to stderr
    assert "一致副本" in err and f"进程 {app.p.pid}" in err
    copy = snapshots.snapshot_path(sample_db_path)
    inode = copy.stat().st_ino
    code, out, _ = run(capsys, "summary", "--json", "--year", "2024", "--db", sample_db_path)
    assert code == 0 and copy.stat().st_ino == inode          # nothing changed: the copy is reused
    app.send("add-budget")
    code, out, _ = run(capsys, "summary", "--json", "--year", "2024", "--db", sample_db_path)
    after = json.loads(out)
    assert copy.stat().st_ino != inode                          # a save moved the data version: copied again
    assert after["projects"] == before["projects"]
    assert round(after["budget_wan"] - before["budget_wan"], 2) == 100.00


def test_backup_beside_the_app_is_a_checked_copy(sample_db_path, holder, capsys, tmp_path):
    holder(as_app=True)
    out_file = tmp_path / "nightly.duckdb"
    code, out, err = run(capsys, "backup", "--out", out_file, "--db", sample_db_path)
    assert code == 0, err
    assert check_backup(out_file) >= 1 and f"已备份到 {out_file}" in out
    with Store(out_file, read_only=True) as s:
        assert s.scalar("SELECT count(*) FROM projects") > 0


def test_a_write_beside_the_app_says_what_to_do(sample_db_path, holder, capsys):
    app = holder(as_app=True)
    code, _, err = run(capsys, "sample", "--remove", "--db", sample_db_path)
    assert code == cli.EXIT_STORE
    assert f"PerfBoard 应用（进程 {app.p.pid}）" in err
    assert "“数据导入”页面" in err and "--wait" in err and "先停止应用" in err


def test_beside_another_command_a_read_fails_naming_wait(sample_db_path, holder, capsys):
    other = holder(as_app=False)            # e.g. a nightly import: serves no copy
    code, _, err = run(capsys, "summary", "--db", sample_db_path)
    assert code == cli.EXIT_STORE
    assert f"进程 {other.p.pid}" in err and "--wait 秒数" in err and "应用（" not in err


def test_wait_continues_once_the_holder_lets_go(sample_db_path, holder, capsys):
    other = holder(as_app=False)
    timer = threading.Timer(2.0, other.close)
    timer.start()
    try:
        code, out, err = run(capsys, "summary", "--year", "2024", "--wait", "120", "--db", sample_db_path)
    finally:
        timer.join()
    assert code == 0, err
    assert "等待其释放" in err and "项目" in out


def test_wait_gives_up_after_its_time_saying_so(sample_db_path, holder, capsys):
    holder(as_app=False)
    code, _, err = run(capsys, "summary", "--wait", "1", "--db", sample_db_path)
    assert code == cli.EXIT_STORE
    assert "等待其释放" in err and "已等待 1 秒仍未释放" in err


def test_user_reads_beside_the_app_check_the_password_on_the_copy(sample_db_path, holder, capsys, monkeypatch):
    """--user against the app's read-only copy: the right password reads, a wrong one is refused the same way
    as always (nothing can be counted on the copy: the app's own counters stay untouched)."""
    import io

    from perfboard import auth
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    with Store(sample_db_path) as s:
        auth.add_user(s, "wang", "password-123", "admin", by=auth.local_admin("测试"))
    holder(as_app=True)
    monkeypatch.setattr(sys, "stdin", io.StringIO("password-123\n"))
    code, out, err = run(capsys, "summary", "--json", "--year", "2024", "--user", "wang", "--db", sample_db_path)
    assert code == 0 and json.loads(out)["projects"] > 0, err
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong-password\n"))
    code, out, err = run(capsys, "summary", "--json", "--year", "2024", "--user", "wang", "--db", sample_db_path)
    assert code == cli.EXIT_REFUSED and auth.GENERIC_FAILURE in err and out == ""
