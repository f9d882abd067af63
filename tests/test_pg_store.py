"""Issue 16: PostgreSQL as the system of record. The same behaviour on both stores (the `any_*` fixtures run
each test on DuckDB and, when PERFBOARD_TEST_PG is set, on PostgreSQL), edits from another process, and
the copy each process reads from."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from perfboard import auth, editing, scope, sessions
from perfboard.db import PgStore, Store, pg_dialect, pg_statement, redact
from perfboard.editing import EditConflict, load_state, save, undo
from perfboard.filters import Filters
from perfboard.importer import ImportRefused, commit, prepare
from perfboard.sample import sample_files
from tests.dashboard_helpers import frame  # noqa: F401  (fixture: run app.py around each page)

ROOT = Path(__file__).resolve().parent.parent
PW = "password-123"
LOCAL = auth.local_admin("测试")


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def zs_id(store) -> int:
    return store.scalar("SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")


# ---------------------------------------------------------------- without PostgreSQL
def test_write_statements_are_translated_for_postgresql():
    assert pg_statement("SELECT x FROM t WHERE a = ? AND list_contains(?, coalesce(b, '')) -- it's ?\n") == \
        "SELECT x FROM t WHERE a = %s AND (coalesce(b, '') = ANY(%s)) \n"
    assert pg_statement("SELECT '50%?' || $name, contains(scope, ?), list_contains(x, y)") == \
        "SELECT '50%%?' || %(name)s, perfboard_contains(scope, %s), list_contains(x, y)"
    assert pg_dialect("a DOUBLE, b DOUBLE PRECISION, c DOUBLE NOT NULL") == \
        "a DOUBLE PRECISION, b DOUBLE PRECISION, c DOUBLE PRECISION NOT NULL"
    assert redact("postgresql://pb:s3cret@db.example/pb") == "postgresql://pb:***@db.example/pb"


def test_a_postgresql_url_opens_the_postgresql_store_and_a_path_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PERFBOARD_DB", raising=False)
    with Store(tmp_path / "x.duckdb") as s:
        assert type(s) is Store
    monkeypatch.setenv("PERFBOARD_DB", "postgresql://nobody:wrong@127.0.0.1:1/none")
    with pytest.raises(Exception) as e:
        Store()
    assert "无法连接 PostgreSQL 数据库 postgresql://nobody:***@127.0.0.1:1/none" in str(e.value)
    assert "wrong" not in str(e.value)


# ---------------------------------------------------------------- on both stores
def test_migrations_and_settings(any_store):
    from perfboard.db import migrations
    applied = [r[0] for r in any_store.sql_df("SELECT version FROM schema_migrations ORDER BY version")
               .itertuples(index=False)]
    assert applied == [n for n, _, _ in migrations()]
    v = any_store.data_version()
    any_store.set_setting("bands", {"green": 0.9, "yellow": 0.8})
    assert any_store.get_setting("bands") == {"green": 0.9, "yellow": 0.8}
    assert any_store.data_version() == v + 1


def test_import_is_one_transaction_and_replace_needs_consent(any_sample_store):
    s = any_sample_store
    assert s.scalar("SELECT count(*) FROM projects") == 24
    assert s.scalar("SELECT count(*) FROM indicators") == 104
    before = (s.data_version(), s.scalar("SELECT count(*) FROM import_log"))
    files = [(p.name, p.read_bytes()) for p in sample_files()]
    plan = prepare(s, files, replace=False)
    assert not plan.ok
    with pytest.raises(ImportRefused, match="2024 年度“张掖市科学技术局” 的数据已存在；如需用本文件替换"):
        commit(s, plan)
    assert (s.data_version(), s.scalar("SELECT count(*) FROM import_log")) == before
    assert s.scalar("SELECT count(*) FROM projects") == 24
    plan = prepare(s, files, replace=True)
    commit(s, plan)
    assert s.scalar("SELECT count(*) FROM projects") == 24                # replaced, not added
    assert s.scalar("SELECT count(*) FROM indicators") == 104
    assert s.scalar("SELECT count(DISTINCT id) FROM projects") == 24


def test_edit_audit_and_undo(any_sample_store):
    s = any_sample_store
    pid = zs_id(s)
    st = load_state(s, pid)
    assert st.project["spent"] == 3.537
    res = save(s, st, {"spent": 4.0, "improvement": "加强招商"}, st.rows(), "张三")
    assert res.changes == 2
    audit = s.sql_df("SELECT user_name, field, old_value, new_value FROM audit_log WHERE save_id = ? ORDER BY field",
                     [res.save_id]).values.tolist()
    assert audit == [["张三", "improvement", "null", '"加强招商"'], ["张三", "spent", "3.537", "4.0"]]
    assert editing.history(s)["user_name"].tolist()[0] == "张三"
    undo(s, res.save_id, "王五")
    back = load_state(s, pid)
    assert back.token == st.token and back.project["spent"] == 3.537


def test_users_sessions_and_lockout(any_store, fast):
    s = any_store
    auth.add_user(s, "admin1", PW, "admin", by=LOCAL)
    auth.add_user(s, "li", PW, "viewer", ["甲局"], by=LOCAL)
    t0 = datetime(2026, 3, 1, 9, 0)
    token = sessions.start(s, "li", "10.0.0.8", now=t0)
    assert sessions.check(s, token, now=t0 + timedelta(minutes=1)).name == "li"
    for i in range(auth.MAX_FAILURES):
        with pytest.raises(auth.AuthError):
            auth.authenticate(s, "li", "wrong password", now=t0 + timedelta(seconds=i))
    with pytest.raises(auth.AuthError):      # locked: even the right password fails
        auth.authenticate(s, "li", PW, now=t0 + timedelta(seconds=30))
    auth.disable_user(s, "li", by=auth.get_user(s, "admin1"))
    with pytest.raises(sessions.SessionEnded):
        sessions.check(s, token, now=t0 + timedelta(minutes=2))


def test_page_queries_give_the_same_rows_on_both_stores(sample_store, request):
    pg = Store(request.getfixturevalue("pg_sample_url"))
    try:
        for f in (Filters(year=2024), Filters(), Filters(year=2024, departments=("张掖市科学技术局",))):
            a = scope.run(sample_store, "figures", f, {"attention": 5})
            b = scope.run(pg, "figures", f, {"attention": 5})
            assert a.drop(columns="attention").to_dict("records") == b.drop(columns="attention").to_dict("records")
            assert [x["id"] for x in a.loc[0, "attention"]] == [x["id"] for x in b.loc[0, "attention"]]
        fig = scope.run(pg, "figures", Filters(year=2024), {"attention": 0})
        assert int(fig.loc[0, "projects"]) == sample_store.scalar("SELECT count(*) FROM projects WHERE year = 2024")
    finally:
        pg.close()


# ---------------------------------------------------------------- PostgreSQL only: several processes
EDIT_IN_ANOTHER_PROCESS = r"""
import sys
from perfboard.db import Store
from perfboard.editing import load_state, save
s = Store(sys.argv[1])
pid = s.scalar("SELECT id FROM projects WHERE name = '2024 年招商引资' AND year = 2024")
st = load_state(s, pid)
save(s, st, {"improvement": "另一进程"}, st.rows(), "李四")
s.close()
"""


def test_a_save_in_another_process_is_seen_and_conflicts(pg_sample_url):
    a, b = Store(pg_sample_url), Store(pg_sample_url)
    try:
        assert isinstance(a, PgStore)
        pid = zs_id(a)
        mine = load_state(a, pid)
        v = a.data_version()
        subprocess.run([sys.executable, "-c", EDIT_IN_ANOTHER_PROCESS, pg_sample_url], cwd=ROOT, check=True,
                       timeout=120)
        assert a.data_version() == v + 1
        assert a.scalar("SELECT improvement FROM projects WHERE id = ?", [pid]) == "另一进程"    # the copy follows
        with pytest.raises(EditConflict, match="李四"):
            save(a, mine, {"improvement": "本进程"}, mine.rows(), "张三")
        assert b.scalar("SELECT count(*) FROM saves") == 1                 # the refused save left nothing
        assert b.scalar("SELECT improvement FROM projects WHERE id = ?", [pid]) == "另一进程"
        assert b.scalar("SELECT count(*) FROM indicators") == 104
    finally:
        a.close()
        b.close()


def test_the_copy_follows_deletes_and_reimports_row_by_row(pg_sample_url):
    a, b = Store(pg_sample_url), Store(pg_sample_url)
    try:
        pid = zs_id(a)
        st = load_state(a, pid)
        rows = st.rows()
        gone = rows.pop(0)["id"]
        save(a, st, {}, rows, "张三")
        assert b.scalar("SELECT count(*) FROM indicators WHERE id = ?", [gone]) == 0
        assert b.scalar("SELECT count(*) FROM indicators") == 103
        files = [(p.name, p.read_bytes()) for p in sample_files()]
        commit(b, prepare(b, files, replace=True))
        for s in (a, b):
            assert s.scalar("SELECT count(*) FROM indicators") == 104
            assert s.scalar("SELECT count(*) FROM projects") == 24
            assert s.scalar("SELECT count(*) - count(DISTINCT id) FROM indicators") == 0
        # what each copy holds is what PostgreSQL holds
        import psycopg
        with psycopg.connect(pg_sample_url) as con:
            want = con.execute("SELECT sum(id), sum(coalesce(weight, 0)) FROM indicators").fetchone()
        got = a.cursor().execute("SELECT sum(id), sum(coalesce(weight, 0)) FROM indicators").fetchall()[0]
        assert int(got[0]) == int(want[0]) and abs(got[1] - want[1]) < 1e-9
    finally:
        a.close()
        b.close()


def test_the_command_line_and_the_app_open_a_postgresql_url(pg_sample_url, monkeypatch, tmp_path):
    """--db URL / PERFBOARD_DB=URL reach PgStore, not a file named 'postgresql:/…' (a regression: the
    command line's and the app's store opening once turned the URL into a path)."""
    import json

    from perfboard.db import resolve_target
    r = subprocess.run([sys.executable, "-m", "perfboard", "summary", "--json", "--year", "2024",
                        "--db", pg_sample_url], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["projects"], round(out["budget_wan"], 2)) == (12, 636.98)
    monkeypatch.setenv("PERFBOARD_DB", pg_sample_url)
    monkeypatch.setenv("PERFBOARD_WARM", "0")
    assert resolve_target(None) == pg_sample_url
    import streamlit as st

    from ui import state
    st.cache_resource.clear()
    try:
        s = state.store()
        assert isinstance(s, PgStore) and s.scalar("SELECT count(*) FROM projects WHERE year = 2024") == 12
        s.close()
    finally:
        st.cache_resource.clear()
    assert not list(ROOT.glob("postgresql:*"))          # no snapshot files beside a "path"


def test_a_nul_character_in_a_saved_text_is_dropped_not_a_failed_save(pg_sample_url):
    """PostgreSQL text cannot hold U+0000 (DuckDB can): the save goes through without it."""
    s = Store(pg_sample_url)
    try:
        st = load_state(s, zs_id(s))
        res = save(s, st, {"improvement": "改进\x00措施"}, st.rows(), "张三")
        assert res.changes == 1
        assert load_state(s, zs_id(s)).project["improvement"] == "改进措施"
    finally:
        s.close()


@pytest.mark.parametrize("action", ["password", "disabled"])
def test_a_reset_or_disable_in_one_process_ends_the_sessions_another_serves(any_store, fast, action):
    """Process A serves li's session; an administrator in process B resets li's password or disables li:
    A's next check ends the session (on PostgreSQL each Store is its own copy, as in another process)."""
    import re
    a = any_store
    auth.add_user(a, "admin1", PW, "admin", by=LOCAL)
    auth.add_user(a, "li", PW, "viewer", ["甲局"], by=LOCAL)
    t0 = datetime.now()
    token = sessions.start(a, "li", "10.0.0.8", now=t0)
    b = Store(a.url if isinstance(a, PgStore) else a.path)
    try:
        assert sessions.check(b, token, now=t0).name == "li"           # B sees the session A started
        admin = auth.get_user(b, "admin1")
        if action == "password":
            auth.set_password(b, "li", "new-password-456", by=admin)
        else:
            auth.disable_user(b, "li", by=admin)
    finally:
        b.close()
    with pytest.raises(sessions.SessionEnded, match=re.escape(sessions.ENDED_ZH[action])):
        sessions.check(a, token, now=t0 + timedelta(seconds=1))
    assert sessions.open_sessions(a, "li") == 0
    if action == "password":                                            # the new password works, once more
        assert auth.authenticate(a, "li", "new-password-456").name == "li"


def test_read_only_on_a_database_never_opened_for_writing_says_what_to_do(pg_url, capsys):
    """Read-only on an empty PostgreSQL database: a Chinese message (what to run first), not a traceback."""
    from perfboard.cli import main
    from perfboard.db import StoreError
    with pytest.raises(StoreError, match="不能只读打开.*启动应用，或运行一个写入命令"):
        Store(pg_url, read_only=True)
    assert main(["backup", "--db", pg_url, "--out", "/tmp/never-written.duckdb"]) == 3     # opens read-only
    err = capsys.readouterr().err
    assert "还不是 PerfBoard 数据库" in err and "Traceback" not in err
    with Store(pg_url) as s:                        # once opened for writing, read-only works
        assert not s.read_only
    with Store(pg_url, read_only=True) as s:
        assert s.scalar("SELECT count(*) FROM projects") == 0


def test_writes_reuse_one_pooled_connection_and_survive_its_loss(pg_sample_url):
    """Write transactions take their connection from a pool (no new connection per save); a connection the
    server dropped in between (restart, idle timeout) is replaced, and the next save goes through."""
    import psycopg

    from perfboard.db import PgStore

    def backend(s) -> int:
        with s.transaction(bump_version=False) as cur:
            return cur.execute("SELECT pg_backend_pid()").fetchone()[0]

    s = Store(pg_sample_url)
    try:
        assert isinstance(s, PgStore)
        first = backend(s)
        assert backend(s) == first
        with psycopg.connect(pg_sample_url, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", [first]).fetchone()[0]
        st = load_state(s, zs_id(s))
        assert save(s, st, {"improvement": "断线之后"}, st.rows(), "张三").changes == 1
        assert backend(s) != first
    finally:
        s.close()
    with Store(pg_sample_url) as again:
        assert load_state(again, zs_id(again)).project["improvement"] == "断线之后"


def test_a_write_statement_without_parameters_keeps_its_percent_sign(pg_sample_url):
    """`position % 2` in a statement with no bound values: psycopg only turns %% back into % when it binds."""
    with Store(pg_sample_url) as s:
        with s.transaction(bump_version=False) as cur:
            cur.execute("UPDATE indicators SET deviation_note = '50%' WHERE position % 2 = 0")
            n = cur.execute("SELECT count(*) FROM indicators WHERE position % 2 = 0").fetchone()[0]
        assert n > 0 and s.scalar("SELECT count(*) FROM indicators WHERE deviation_note = '50%'") == n


def test_opening_again_takes_no_lock_on_the_big_tables(pg_sample_url):
    """A second open must not queue behind a long reader of the tables (another process's first copy holds
    ACCESS SHARE on indicators for minutes at a province's scale): nothing is altered when it is in place."""
    import threading

    import psycopg
    Store(pg_sample_url).close()                   # tracked once
    holder = psycopg.connect(pg_sample_url)
    opened = []
    try:
        holder.execute("LOCK TABLE indicators, projects, project_funds IN ACCESS SHARE MODE")
        t = threading.Thread(target=lambda: opened.append(Store(pg_sample_url)), daemon=True)
        t.start()
        t.join(30)
        waited = t.is_alive()
    finally:
        holder.rollback()
        holder.close()
    t.join(60)
    for s in opened:
        s.close()
    assert not waited, "the open waited for the lock held by a reader"
    assert len(opened) == 1


# ---------------------------------------------------------------- one check for news per page run
def count_checks(store, monkeypatch) -> list[str]:
    """The names of the threads that asked PostgreSQL for its table versions, one entry per ask."""
    import threading
    asked, real = [], store._pg_versions

    def counted():
        asked.append(threading.current_thread().name)
        return real()
    monkeypatch.setattr(store, "_pg_versions", counted)
    return asked


def test_a_page_run_asks_postgresql_for_news_once_not_once_per_query(pg_sample_url, monkeypatch):
    import threading

    from perfboard.overview import overview
    from perfboard.summary import filter_options
    with Store(pg_sample_url) as s:
        asked = count_checks(s, monkeypatch)

        def queries():
            filter_options(s)                                   # Store.df
            overview(s, Filters(year=2024))                     # defined_df (scope.run), several
            s.scalar("SELECT count(*) FROM projects")
            s.sql_df("SELECT * FROM settings")
            s.get_setting("bands")
            return s.data_version()

        with s.reading():
            assert len(asked) == 1                              # the start of the run syncs
            queries()
            queries()
            assert len(asked) == 1
            other = threading.Thread(target=queries, name="not-in-the-run")     # another thread: checks per query
            other.start()
            other.join()
            assert asked.count("not-in-the-run") >= 5
        n = len(asked)
        queries()                                               # after the run: every query checks again
        assert len(asked) - n >= 5


def test_a_page_run_sees_another_process_write_from_its_next_run_on(pg_sample_url):
    """A run reads one state: another store's commit during the run is not mixed in; the next run shows it.
    The run's own save is checked against PostgreSQL (a conflict, not an overwrite) and, made, is seen at once."""
    a, b = Store(pg_sample_url), Store(pg_sample_url)
    try:
        pid = zs_id(a)
        improvement = "SELECT improvement FROM projects WHERE id = ?"
        with a.reading():
            v, before = a.data_version(), a.scalar(improvement, [pid])
            mine = load_state(a, pid)
            theirs = load_state(b, pid)
            save(b, theirs, {"improvement": "另一个存储"}, theirs.rows(), "李四")
            assert a.data_version() == v
            assert a.scalar(improvement, [pid]) == before
            assert load_state(a, pid).project["improvement"] == before
            with pytest.raises(EditConflict, match="李四"):     # the check runs on PostgreSQL, not on the copy
                save(a, mine, {"improvement": "本进程"}, mine.rows(), "张三")
        with a.reading():
            assert a.data_version() == v + 1
            assert a.scalar(improvement, [pid]) == "另一个存储"
            mine = load_state(a, pid)
            save(a, mine, {"improvement": "本进程"}, mine.rows(), "张三")
            assert a.data_version() == v + 2                    # its own write: at once, in the same run
            assert a.scalar(improvement, [pid]) == "本进程"
        with b.reading():
            assert b.scalar(improvement, [pid]) == "本进程"
    finally:
        a.close()
        b.close()


def test_the_app_asks_postgresql_for_news_once_per_rerun(pg_sample_url, monkeypatch, frame):
    """app.py wraps each run in Store.reading: a rerun of 总览 (app.py around it, as a browser runs it: the
    `frame` fixture) makes one version check on the script thread."""
    import threading

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import state
    monkeypatch.setenv("PERFBOARD_DB", pg_sample_url)
    monkeypatch.setenv("PERFBOARD_WARM", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception
        s = state._open_store(path=pg_sample_url)
        asked = count_checks(s, monkeypatch)
        main = threading.current_thread().name
        for _ in range(3):
            at.run()
            assert not at.exception
        script = [t for t in asked if t != main]
        assert len(script) == 3, asked
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


# ---------------------------------------------------------------- PgCursor.register: one COPY in CSV
def hard_table():
    """Every kind of value a registered table brings to PostgreSQL's COPY."""
    import pyarrow as pa
    return pa.table({
        "i": pa.array([1, 2**40, None, -(2**62), 0, 7], pa.int64()),
        "i32": pa.array([1, None, -5, 2**31 - 1, 0, 3], pa.int32()),
        "x": pa.array([1.5, float("nan"), None, 1 / 3, 1e300, -0.0], pa.float64()),
        "s": pa.array(["plain", None, "", 'quote " and, comma', "第一行\n第二行\r\n中文", "nul\x00char"]),
        "d": pa.array(["甲", "乙", None, "甲", "", "乙"]).dictionary_encode(),
        "b": pa.array([True, False, None, True, False, True]),
        "t": pa.array([datetime(2024, 3, 1, 12, 30, 45, 123456), None, datetime(1999, 12, 31),
                       datetime(2024, 1, 1), None, datetime(2030, 6, 30, 23, 59, 59)], pa.timestamp("us")),
        "tn": pa.array([1_700_000_000_123_456_789, None, 0, 1, 2, 3], pa.timestamp("ns")),
        "lit": pa.array(["\\N", "\\.", "NULL", '""', "\\", "\t"]),
    })


def registered_rows(url, table) -> list[tuple]:
    with Store(url) as s, s.transaction(bump_version=False) as cur:
        cur.register("_hard", table)
        return cur.execute("SELECT * FROM _hard ORDER BY i32 NULLS FIRST, i NULLS FIRST").fetchall()


def test_a_registered_table_reaches_postgresql_as_the_row_by_row_copy_wrote_it(pg_url, monkeypatch):
    from perfboard import db
    table = hard_table()
    made, real = [], db._pg_csv_columns
    monkeypatch.setattr(db, "_pg_csv_columns", lambda t: made.append(real(t)) or made[-1])
    bulk = registered_rows(pg_url, table)
    assert len(made) == 1 and made[0] is not None                       # the CSV path ran, not the fallback
    monkeypatch.setattr(db, "_pg_csv_columns", lambda t: None)        # the row-by-row COPY (the old path)
    by_row = registered_rows(pg_url, table)
    assert bulk == by_row
    rows = {r[1]: r for r in bulk}                                      # by i32
    plain, nan, empty, third, newline, nul = rows[1], rows[None], rows[-5], rows[2**31 - 1], rows[0], rows[3]
    assert plain[:4] == (1, 1, 1.5, "plain") and plain[5] is True
    assert plain[6] == datetime(2024, 3, 1, 12, 30, 45, 123456)
    assert nan[2] is None and nan[3] is None and nan[0] == 2**40           # NaN and None: NULL
    assert empty[3] == "" and empty[4] is None and empty[2] is None       # '' stays '', NULL stays NULL
    assert third[2] == 1 / 3 and third[3] == 'quote " and, comma' and third[0] == -(2**62)
    assert newline[3] == "第一行\n第二行\r\n中文" and newline[4] == "" and newline[2] == 1e300
    assert nul[3] == "nulchar"                                          # PostgreSQL text holds no NUL
    assert {r[1]: r[8] for r in bulk} == dict(zip(table["i32"].to_pylist(), table["lit"].to_pylist()))  # \N, "NULL"…
    assert {r[1]: r[7] for r in bulk}[1] == datetime(2023, 11, 14, 22, 13, 20, 123457)   # ns: rounded as PostgreSQL does


def test_a_column_the_csv_writer_cannot_write_takes_the_row_by_row_copy(pg_url):
    import pyarrow as pa
    table = pa.table({"k": [1, 2], "l": pa.array([["a", "b"], None], pa.list_(pa.string()))})
    with Store(pg_url) as s, s.transaction(bump_version=False) as cur:
        cur.register("_nested", table)
        assert cur.execute("SELECT k, l FROM _nested ORDER BY k").fetchall() == [(1, "{a,b}"), (2, None)]
