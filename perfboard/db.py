"""The one module that touches DuckDB: opening the file, migrations, queries, transactions."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pandas as pd

from .indicator_status import refresh_status     # pure judgement, imports no store

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
QUERIES_DIR = ROOT / "queries"
DEFAULT_DB = ROOT / "var" / "perfboard.duckdb"


class StoreError(Exception):
    """A database problem explained in Chinese, safe to show on a page."""


class StoreLockedError(StoreError):
    """Another process holds the database file; `pid` is that process's (None when DuckDB did not say)."""

    def __init__(self, message: str, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


def resolve_db_path(cli_path: str | os.PathLike | None = None) -> Path:
    """--db beats PERFBOARD_DB beats the default file under the git-ignored var/ folder."""
    if cli_path:
        return Path(cli_path)
    env = os.environ.get("PERFBOARD_DB")
    if env:
        return Path(env)
    return DEFAULT_DB


# ---------------------------------------------------------------- queries/*.sql
_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_][A-Za-z0-9_]*)")


class Query:
    """One SQL file: its text and the $params it declares."""

    def __init__(self, name: str, sql: str):
        self.name = name
        # drop comments before collecting params so a `$x` in a comment is not a parameter
        code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
        self.sql = sql
        self.params = frozenset(_PARAM.findall(code))

    def bind(self, params: dict[str, Any] | None) -> dict[str, Any]:
        params = dict(params or {})
        missing = self.params - params.keys()
        extra = params.keys() - self.params
        if missing or extra:
            raise KeyError(f"query {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return params


def load_queries(folder: Path = QUERIES_DIR) -> dict[str, Query]:
    return {p.stem: Query(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.sql"))}


QUERIES = load_queries()


# ---------------------------------------------------------------- migrations
def migrations() -> list[tuple[int, str, str]]:
    out = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        num = int(p.name.split("_", 1)[0])
        out.append((num, p.name, p.read_text(encoding="utf-8")))
    nums = [n for n, _, _ in out]
    # Numbers are reserved per developer, so a gap (004 landing before 003) is allowed; a clash is not.
    assert nums == sorted(set(nums)) and (not nums or nums[0] == 1), f"migrations must be unique from 1, got {nums}"
    return out


def _applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    return {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration not yet applied to the file (a later-landing lower number too), each in
    its own transaction; returns the highest applied version."""
    applied = _applied_versions(con)
    current = max(applied, default=0)
    for num, name, sql in migrations():
        if num in applied:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [num, name, datetime.now()])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = max(current, num)
    return current


# ---------------------------------------------------------------- the store
_LOCK_PID = re.compile(r"PID (\d+)")


def _explain_open_error(path: Path, exc: Exception) -> StoreError:
    text = str(exc)
    # a word match: corruption messages say "... in block at location N", which holds "lock"
    if re.search(r"\block(ed)?\b", text, re.IGNORECASE):
        pid = _LOCK_PID.search(text)
        who = f"进程 {pid.group(1)}" if pid else "另一个程序"
        return StoreLockedError(
            f"数据库文件 {path} 正被{who}占用（例如正在运行的 PerfBoard 应用或命令行导入）。"
            "请等待其结束或关闭它后重试。",
            int(pid.group(1)) if pid else None,
        )
    return StoreError(f"无法打开数据库文件 {path}：文件可能已损坏或不是 PerfBoard 数据库。（{text.splitlines()[0][:200]}）")


# ---------------------------------------------------------------- what a write transaction wrote
# The projects' columns the year-pair matching reads (perfboard.matching._identity of the rows of
# queries/scoped/compare_projects.sql: id, year, department, code = project_code, name). A transaction that
# may have changed one of them, or inserted or deleted a project, moves the projects version (migration 020),
# which keys the stored matching (perfboard.year_pairs); every other write leaves it.
MATCHING_COLUMNS = frozenset({"id", "year", "department", "project_code", "name"})
# Explanatory text no figure, light, score, count, filter option or ranking reads: a transaction whose every
# writing statement is an UPDATE of these tables naming only these columns, or a write into LOG_TABLES (the
# change log editing.save and undo write), is notes-only and leaves the figures version (migration 021); every
# other write moves it with the data version. A function that reads none of these columns and none of the log
# tables may key its cache on the figures version (perfboard.versions.notes_blind). Only add a column after
# checking every query and function that reads it: scoring's "unmet-no-note" finding, the overview's 数据检查
# counts and 需关注 texts and 自评复核's findings read these, so those functions keep the data version.
NOTE_COLUMNS = {
    "indicators": frozenset({"deviation_note"}),
    "projects": frozenset({"overview", "goal", "achievement", "deviation_reason", "improvement"}),
}
LOG_TABLES = frozenset({"saves", "audit_log"})
_READS = frozenset({"SELECT", "FROM", "VALUES", "PRAGMA", "SHOW", "DESCRIBE", "EXPLAIN", "SUMMARIZE", "SET", "RESET",
                    "BEGIN", "COMMIT", "ROLLBACK"})
_UPDATE_SET = re.compile(r'^\s*UPDATE\s+"?([A-Za-z_]\w*)"?(?:\s+(?:AS\s+)?(?!SET\b)[A-Za-z_]\w*)?\s+SET\s', re.I)
_SET_END = re.compile(r"(?:FROM|WHERE|RETURNING)\b", re.I)
_ASSIGNED = re.compile(r'\s*"?([A-Za-z_]\w*)"?\s*=(?!=)')


def statements(sql: str) -> list[str]:
    """The statements of a text as the write tracking reads them: `--` comment lines out, split at every `;`
    outside a string literal or quoted name (DuckDB runs `a; b` on one line as two statements)."""
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    out, quote, start = [], None, 0
    for i, ch in enumerate(code):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == ";":
            out.append(code[start:i])
            start = i + 1
    out.append(code[start:])
    return [s for s in out if s.strip()]


def _set_columns(stmt: str, table: str = "projects") -> set[str] | None:
    """The columns an `UPDATE <table> [alias] SET a = …, b = … [FROM|WHERE|RETURNING …]` assigns; None when
    the statement is not such an UPDATE of `table` or the SET list is not that simple (e.g. `SET (a, b) = …`):
    the caller then assumes any column."""
    m = _UPDATE_SET.match(stmt)
    if not m or m.group(1).lower() != table:
        return None
    body, depth, quote, start, parts = stmt[m.end():], 0, None, 0, []
    i = 0
    while i < len(body):
        ch = body[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch == ",":
            parts.append(body[start:i])
            start = i + 1
        elif depth == 0 and (i == 0 or not (body[i - 1].isalnum() or body[i - 1] == "_")) and _SET_END.match(body, i):
            break
        i += 1
    if quote or depth:
        return None
    parts.append(body[start:i])
    cols = set()
    for part in parts:
        a = _ASSIGNED.match(part)
        if not a:
            return None
        cols.add(a.group(1).lower())
    return cols


class Writes:
    """What one write transaction wrote, noted from the SQL text of each statement run through its cursor:
    `tables`, the targets of INSERT INTO / UPDATE / DELETE FROM (PgStore bumps their versions, see
    perfboard_table_versions), and `matching`: whether it may have changed the matching's inputs
    (MATCHING_COLUMNS of projects), then the transaction moves the projects version. Conservative: an insert
    into or delete from projects, an UPDATE of projects whose SET list names a matching column or cannot be
    read, and any other writing statement that names projects (CREATE OR REPLACE, TRUNCATE, COPY, a WITH
    before a write...) all count; only SELECTs and UPDATEs of projects' other columns (amounts, texts) do not.
    And `figures`: whether it may have changed anything but notes (NOTE_COLUMNS) and the change log
    (LOG_TABLES), then the transaction moves the figures version. Conservative the same way: it stays False
    only while every writing statement is an UPDATE of a NOTE_COLUMNS table whose readable SET list names only
    its note columns, or an INSERT/UPDATE/DELETE of a log table; any other target, an unreadable SET list,
    CREATE (but of a temporary object), COPY, TRUNCATE, ALTER, a WITH before a write... sets it."""

    def __init__(self):
        self.tables: set[str] = set()
        self.matching = False
        self.figures = False

    def note(self, sql: str) -> None:
        for stmt in statements(sql):
            self._note(stmt)

    def _note(self, stmt: str) -> None:
        first = re.match(r"\s*\(?\s*([A-Za-z]+)", stmt)
        kw = first.group(1).upper() if first else ""
        target = _WRITE_TARGET.match(stmt)
        if target:
            table = target.group(1).lower()
            self.tables.add(table)
            cols = _set_columns(stmt, table) if kw == "UPDATE" else None
            if table == "projects":
                self.matching |= cols is None or bool(cols & MATCHING_COLUMNS)
            if table not in LOG_TABLES:
                notes = NOTE_COLUMNS.get(table)
                self.figures |= cols is None or notes is None or not cols <= notes
            return
        if kw in _READS or (kw == "WITH" and not re.search(r"\b(?:INSERT|UPDATE|DELETE)\b", stmt, re.I)):
            return
        if kw == "CREATE" and re.match(r"\s*CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\b", stmt, re.I):
            return                          # a temporary table or macro of this connection only
        self.figures = True
        if re.search(r"\bprojects\b", stmt, re.I):
            self.matching = True


class TrackedCursor:
    """A DuckDB cursor inside Store.transaction: every statement run through execute/executemany/sql/query
    (and a frame append()ed to a table) is noted in the transaction's Writes first; everything else is the
    cursor's own. Chained calls (cur.execute(...).fetchall()) work on the cursor itself."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, writes: Writes):
        self._cur = cur
        self._writes = writes

    def execute(self, sql: str, parameters: Any = None, *args, **kwargs):
        self._writes.note(sql)
        return self._cur.execute(sql, parameters, *args, **kwargs)

    def executemany(self, sql: str, parameters: Any = None, *args, **kwargs):
        self._writes.note(sql)
        return self._cur.executemany(sql, parameters, *args, **kwargs)

    def sql(self, query: str, *args, **kwargs):
        self._writes.note(query)
        return self._cur.sql(query, *args, **kwargs)

    def query(self, query: str, *args, **kwargs):
        self._writes.note(query)
        return self._cur.query(query, *args, **kwargs)

    def append(self, table_name: str, df, *args, **kwargs):
        self._writes.note(f"INSERT INTO {table_name}")
        return self._cur.append(table_name, df, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._cur, name)


PRIVATE = 0o600          # database and backup files hold password hashes: owner only (issue 20)


def private_files() -> None:
    """Make every file this process creates from now on owner-only (umask 077): the database, its
    write-ahead log (recreated after every checkpoint), backups, the kept file of a restore."""
    old = os.umask(0o077)
    os.umask(old | 0o077)


class Store:
    """A DuckDB file with PerfBoard's schema. One per process; use a cursor per thread. Opening one for
    writing makes the process's new files owner-only (private_files); a new database file is 0600."""

    def __new__(cls, path: str | os.PathLike | None = None, read_only: bool = False):
        if cls is Store and is_pg_url(str(resolve_target(path))):
            return object.__new__(PgStore)          # a postgresql:// URL: PostgreSQL as the system of record
        return object.__new__(cls)

    def __init__(self, path: str | os.PathLike | None = None, read_only: bool = False):
        self.path = resolve_db_path(path)
        self.read_only = read_only
        new = False
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists()
            if not read_only:
                private_files()
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise _explain_open_error(self.path, exc) from exc
        if new and self.path.exists():
            os.chmod(self.path, PRIVATE)
        self._write_lock = threading.Lock()
        self._pools: dict[str, list[duckdb.DuckDBPyConnection]] = {}     # see defined_df
        self._pool_lock = threading.Lock()
        if not read_only:
            try:
                migrate(self.con)
            except duckdb.Error as exc:
                self.con.close()
                raise _explain_open_error(self.path, exc) from exc
            self._fill_derived()

    def _fill_derived(self) -> None:
        """Derived columns a migration added but SQL cannot compute (indicators.status, judged in Python):
        filled once for the rows that lack them, in one transaction that leaves data_version alone."""
        has = self.con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'indicators'"
                               " AND column_name = 'status' AND database_name = current_database()").fetchall()[0][0]
        if not has or not self.con.execute("SELECT count(*) FROM indicators WHERE status IS NULL").fetchall()[0][0]:
            return
        with self.transaction(bump_version=False) as cur:
            refresh_status(cur)

    def close(self) -> None:
        with self._pool_lock:
            self._pools.clear()         # closing the connection closes its cursors
        self.con.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    # reads ---------------------------------------------------------------
    def df(self, name: str, params: dict[str, Any] | None = None, tables: dict[str, Any] | None = None,
           arrow: bool = False, types_mapper=None) -> pd.DataFrame:
        """Run queries/<name>.sql with bound $params and return a DataFrame. `tables` are
        DataFrames/Arrow tables the query may read by name (e.g. the ids of filtered projects). arrow=True
        fetches through Arrow (see defined_df; `types_mapper` as pyarrow's to_pandas takes it)."""
        q = QUERIES[name]
        cur = self.cursor()
        try:
            for tname, obj in (tables or {}).items():
                cur.register(tname, obj)
            if arrow:
                return cur.sql(q.sql, params=q.bind(params)).to_arrow_table().to_pandas(types_mapper=types_mapper)
            return cur.execute(q.sql, q.bind(params)).df()
        finally:
            cur.close()

    POOL_SIZE = 8       # idle cursors kept per store and definitions (more threads than that make new ones)

    def defined_df(self, definitions: str, sql: str, params: dict[str, Any] | None = None,
                   tables: dict[str, Any] | None = None, arrow: bool = False) -> pd.DataFrame:
        """Run `sql` (bound `params`, `tables` registered by name for this query only) on a cursor where
        `definitions` have run: temporary macros such as queries/scope.sql's. Temporary definitions live
        per cursor, so such cursors are kept in a small pool per store and definitions text (one thread
        at a time on each) instead of parsing the definitions again before every query (4-5 times per
        page run). A cursor whose query failed or was interrupted is closed, never handed out again.
        arrow=True fetches through Arrow (the same frame for plain types; for 400,000 rows of strings a
        quarter of .df()'s CPU: 同比分析's projects of two years); not for DECIMAL or nested columns."""
        while True:
            cur, pooled = self._take_defined(definitions)
            try:
                for name, obj in (tables or {}).items():
                    cur.register(name, obj)
                out = (cur.sql(sql, params=params or {}).to_arrow_table().to_pandas() if arrow
                       else cur.execute(sql, params or {}).df())
                for name in tables or {}:
                    cur.unregister(name)
            except duckdb.ConnectionException:
                cur.close()
                if pooled:      # a pooled cursor of a connection closed meanwhile: drop the pool, try afresh
                    with self._pool_lock:
                        self._pools.pop(definitions, None)
                    continue
                raise
            except BaseException:
                cur.close()
                raise
            with self._pool_lock:
                pool = self._pools.setdefault(definitions, [])
                if len(pool) < self.POOL_SIZE:
                    pool.append(cur)
                    return out
            cur.close()
            return out

    def _take_defined(self, definitions: str) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """(a cursor on which `definitions` have run, whether it came from the pool)."""
        with self._pool_lock:
            pool = self._pools.get(definitions)
            if pool:
                return pool.pop(), True
        cur = self.cursor()
        try:
            cur.execute(definitions)
        except BaseException:
            cur.close()
            raise
        return cur, False

    def sql_df(self, sql: str, params: Any = None) -> pd.DataFrame:
        return self.cursor().execute(sql, params or []).df()

    def scalar(self, sql: str, params: Any = None) -> Any:
        rows = self.cursor().execute(sql, params or []).fetchall()
        row = rows[0] if rows else None
        return row[0] if row else None

    def data_version(self) -> int:
        return int(self.scalar("SELECT version FROM data_version"))

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One page run's reads (ui.state.page_run wraps each script run in it). A DuckDB file: nothing to
        do, every read sees the file's committed state. PgStore: see there."""
        yield

    def figures_version(self) -> int:
        """The figures version (migration 021): moves with every write the data version moves with, except a
        notes-only one (Writes.figures: only note columns and the change log written), so a function that
        reads neither (perfboard.versions.notes_blind) may key its cache on it; the data version on a file not
        migrated to it (opened read-only: as conservative as the data version). On PostgreSQL (PgStore) read from
        the process's copy, as PgStore.data_version: the version and the rows computed under it come from the same
        sync."""
        try:
            return int(self.scalar("SELECT version FROM figures_version"))
        except duckdb.CatalogException:
            return self.data_version()

    def projects_version(self) -> int:
        """The projects version (migration 020): moves only with a write that may change what the year-pair
        matching reads (see Writes); the data version on a file not migrated to it (opened read-only, where
        nothing writes meanwhile: as conservative as the data version)."""
        try:
            return int(self.scalar("SELECT version FROM projects_version"))
        except duckdb.CatalogException:
            return self.data_version()

    # writes --------------------------------------------------------------
    @contextmanager
    def transaction(self, bump_version: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction; bumps the data version (unless the write touches no figures, e.g.
        a failed-login counter) and with it the figures version unless the write was notes-only, and the
        projects version when it may have changed the matching's inputs (Writes: the statements run through
        the cursor it yields); rolls back on any error."""
        with self._write_lock:
            raw = self.cursor()
            writes = Writes()
            cur = TrackedCursor(raw, writes)
            raw.execute("BEGIN TRANSACTION")
            try:
                yield cur
                if bump_version:
                    raw.execute("UPDATE data_version SET version = version + 1")
                    if writes.figures:
                        raw.execute("UPDATE figures_version SET version = version + 1")
                if writes.matching:
                    raw.execute("UPDATE projects_version SET version = version + 1")
                raw.execute("COMMIT")
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            finally:
                raw.close()

    # settings ------------------------------------------------------------
    def years(self) -> list[int]:
        """The years that hold projects, newest first (the warm-ups walk them in this order)."""
        return [int(r[0]) for r in self.cursor().execute(
            "SELECT DISTINCT year FROM projects WHERE year IS NOT NULL ORDER BY year DESC").fetchall()]

    def get_setting(self, key: str, default: Any = None) -> Any:
        raw = self.scalar("SELECT value FROM settings WHERE key = ?", [key])
        return default if raw is None else json.loads(raw)

    def set_setting(self, key: str, value: Any, cur: duckdb.DuckDBPyConnection | None = None) -> None:
        def write(c):
            c.execute("DELETE FROM settings WHERE key = ?", [key])
            c.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(value, ensure_ascii=False)])

        if cur is not None:
            write(cur)
        else:
            with self.transaction() as c:
                write(c)

    @staticmethod
    def next_id(cur: duckdb.DuckDBPyConnection, table: str) -> int:
        """First free id of a table; call inside the write transaction that inserts."""
        assert table in {"projects", "indicators", "import_log", "audit_log", "saves"}, table
        return int(cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchall()[0][0])

    def is_empty(self) -> bool:
        return self.scalar("SELECT count(*) FROM projects") == 0 and self.scalar("SELECT count(*) FROM import_log") == 0


# ---------------------------------------------------------------- backup and restore
def _sql_string(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def backup(store: Store, out: str | os.PathLike, overwrite: bool = False) -> Path:
    """Write a consistent copy of the store's database to `out` (a new DuckDB file, mode 0600), from inside
    the process that holds it: COPY FROM DATABASE reads one transaction's snapshot, so saves and imports
    may go on meanwhile. Written to a temporary name and renamed, so `out` is never half a file. An
    existing `out` is refused unless overwrite=True (the CLI's --force)."""
    if isinstance(store, PgStore):
        raise StoreError("PostgreSQL 数据库请用 pg_dump 备份（见 docs/deploy.md“备份”），应用内的备份仅适用于本机数据库文件。")
    out = Path(out).resolve()
    if str(store.path) != ":memory:" and out == Path(store.path).resolve():
        raise StoreError("备份文件不能与数据库文件相同。")
    if out.exists() and not overwrite:
        raise StoreError(f"文件 {out} 已存在，未覆盖。请换一个文件名，或确认覆盖（命令行加 --force）。")
    private_files()
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + f".part-{os.getpid()}")
    for p in (part, Path(str(part) + ".wal")):
        p.unlink(missing_ok=True)
    alias = f"perfboard_backup_{os.getpid()}_{threading.get_ident()}"
    cur = store.cursor()
    try:
        source = cur.execute("SELECT current_database()").fetchall()[0][0]
        cur.execute(f"ATTACH {_sql_string(str(part))} AS {alias} (READ_WRITE)")   # also from a read-only store
        try:
            cur.execute("BEGIN TRANSACTION")
            cur.execute(f'COPY FROM DATABASE "{source.replace(chr(34), chr(34) * 2)}" TO {alias}')
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.execute(f"DETACH {alias}")
    except duckdb.Error as exc:
        part.unlink(missing_ok=True)
        raise StoreError(f"备份失败：{str(exc).splitlines()[0][:200]}") from exc
    finally:
        cur.close()
    Path(str(out) + ".wal").unlink(missing_ok=True)     # a stale log would be replayed onto the copy
    os.chmod(part, PRIVATE)
    os.replace(part, out)
    checksum_file(out).write_text(f"{file_digest(out)}  {out.name}\n", encoding="utf-8")
    return out


def checksum_file(path: Path) -> Path:
    """The SHA-256 written beside every backup (<name>.sha256, sha256sum's format); restore checks it."""
    return path.with_name(path.name + ".sha256")


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


REQUIRED_TABLES = {"schema_migrations", "projects", "indicators", "import_log", "settings", "data_version"}


def check_backup(path: str | os.PathLike) -> int:
    """Open a backup file read-only and check it completely; return its schema version. StoreError if it
    is not a PerfBoard database, was written by a newer version (unknown migrations), or any table cannot
    be read in full: every row of every table is read (hash of each whole row), so DuckDB verifies the
    checksum of every data block."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"找不到备份文件 {path}。")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _explain_open_error(path, exc) from exc
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                            "current_database() ORDER BY table_name").fetchall()]
        if not REQUIRED_TABLES <= set(tables):
            raise StoreError(f"{path} 不是 PerfBoard 的数据库备份（缺少必需的数据表）。")
        applied = {int(r[0]) for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
        unknown = sorted(applied - {n for n, _, _ in migrations()})
        if unknown:
            raise StoreError(f"备份 {path} 来自更新版本的 PerfBoard（含本版本未知的数据库迁移 "
                             f"{'、'.join(f'{n:03d}' for n in unknown)}），不能恢复。请先升级 PerfBoard。")
        for t in tables:
            q = '"' + t.replace('"', '""') + '"'
            con.execute(f"SELECT count(*), sum(hash(r)) FROM {q} AS r").fetchall()
        return max(applied, default=0)
    except duckdb.Error as exc:
        raise StoreError(f"备份 {path} 已损坏或无法完整读取，未恢复：{str(exc).splitlines()[0][:200]}") from exc
    finally:
        con.close()


def _verify_checksum(path: Path) -> bool:
    """Compare a backup with the SHA-256 written beside it; False when there is none (older backups)."""
    side = checksum_file(path)
    if not side.is_file():
        return False
    want = side.read_text(encoding="utf-8").split()[:1]
    if not want or want[0].lower() != file_digest(path):
        raise StoreError(f"备份 {path} 与其校验和文件 {side.name} 不符：文件已损坏或被改动，未恢复。")
    return True


def _rebuild(source: Path, part: Path) -> None:
    """A fresh database file holding everything `source` holds, copied table by table (COPY FROM DATABASE):
    every row is read (and its blocks checksummed) and the indexes are built anew, not copied."""
    alias = f"perfboard_restore_{os.getpid()}"
    con = duckdb.connect(str(part))
    try:
        con.execute(f"ATTACH {_sql_string(str(source))} AS {alias} (READ_ONLY)")
        try:
            target = con.execute("SELECT current_database()").fetchall()[0][0]
            con.execute(f'COPY FROM DATABASE {alias} TO "{target.replace(chr(34), chr(34) * 2)}"')
        finally:
            con.execute(f"DETACH {alias}")
    except duckdb.Error as exc:
        raise StoreError(f"备份 {source} 已损坏或无法完整读取，未恢复：{str(exc).splitlines()[0][:200]}") from exc
    finally:
        con.close()


def restore(backup_path: str | os.PathLike, db_path: str | os.PathLike | None = None) -> Path | None:
    """Replace the database file with a backup, atomically and only after checking it in full:
    1. its SHA-256 against the <backup>.sha256 written by backup() (when there is one);
    2. check_backup: a PerfBoard database, no migration unknown to this version, every table readable;
    3. rebuilt into a new file next to the database (every row read, indexes built anew), checked again
       and migrated to this version;
    4. only then renamed over the database (os.replace), so the live file is never missing, half-written
       or a corrupt backup. The replaced file is kept as <name>.before-restore-<time> (mode 0600).
    The database must not be open anywhere (a running app holds it: StoreLockedError names the process).
    Returns the kept file (None if there was no database). Any refusal leaves the database untouched."""
    if is_pg_url(str(resolve_target(db_path))):
        raise StoreError("PostgreSQL 数据库请用 pg_restore 恢复（见 docs/deploy.md“备份”）。")
    target = resolve_db_path(db_path)
    backup_path = Path(backup_path)
    if not backup_path.is_file():
        raise StoreError(f"找不到备份文件 {backup_path}。")
    if backup_path.resolve() == target.resolve():
        raise StoreError("备份文件与数据库文件相同，无需恢复。")
    _verify_checksum(backup_path)
    check_backup(backup_path)
    private_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + f".restoring-{os.getpid()}")
    leftovers = (part, Path(str(part) + ".wal"))
    for p in leftovers:
        p.unlink(missing_ok=True)
    try:
        _rebuild(backup_path, part)
        os.chmod(part, PRIVATE)
        check_backup(part)
        Store(part).close()             # migrate a backup written by an older version, checkpointed
        kept = None
        if target.exists():
            Store(target).close()       # fails with the holder's PID if open elsewhere; checkpoints the WAL
            kept = target.with_name(f"{target.name}.before-restore-{datetime.now():%Y%m%d-%H%M%S}")
            shutil.copyfile(target, kept)
            os.chmod(kept, PRIVATE)
        Path(str(part) + ".wal").unlink(missing_ok=True)
        Path(str(target) + ".wal").unlink(missing_ok=True)
        os.replace(part, target)        # atomic: readers see the old file or the new one, never neither
    finally:
        for p in leftovers:
            p.unlink(missing_ok=True)
    return kept


# ---------------------------------------------------------------- PostgreSQL (issue 16)
def pg_dialect(sql: str) -> str:
    """A migration file as PostgreSQL runs it. The migrations are written in the SQL both engines share;
    the one type spelt differently is DuckDB's DOUBLE (PostgreSQL: DOUBLE PRECISION)."""
    return re.sub(r"\bDOUBLE\b(?!\s+PRECISION)", "DOUBLE PRECISION", sql)


# Big tables copied row by row into each process's DuckDB copy: the key the copy replaces rows by. Their
# PostgreSQL rows carry perfboard_rev (a trigger stamps every insert and update from one sequence) and a
# delete leaves (rev, table, key) in perfboard_deleted; every other table is copied whole when it changes.
INCREMENTAL = {"projects": "id", "indicators": "id", "project_funds": "project_id"}
REV = "perfboard_rev"


def pg_replicate(url: str, dst: duckdb.DuckDBPyConnection, tables: list[str] | None = None,
                 since: int | None = None) -> dict:
    """Bring the DuckDB connection `dst` to PostgreSQL's committed state over ADBC (Arrow, binary COPY):
    every table is read in one REPEATABLE READ snapshot and written in one DuckDB transaction, so a
    reader of `dst` sees the old copy or the new one, never a mix. `tables`: those to bring (None: all);
    with `since` (the rev of the previous call), the INCREMENTAL tables bring only the rows inserted,
    updated or deleted after it. Returns {"rows": rows copied, "versions": perfboard_table_versions and
    "rev": the newest perfboard_rev, both read in the same snapshot}."""
    import adbc_driver_postgresql.dbapi as pgdb
    n = 0
    with pgdb.connect(url) as src:
        cur = src.cursor()
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
                    " ORDER BY table_name, ordinal_position")
        columns: dict[str, list[str]] = {}
        for t, c in cur.fetchall():
            columns.setdefault(t, []).append(c)
        versions, rev = {}, None
        if "perfboard_table_versions" in columns:
            cur.execute("SELECT name, version FROM perfboard_table_versions")
            versions = {r[0]: r[1] for r in cur.fetchall()}
            cur.execute("SELECT greatest(" + ", ".join(f"(SELECT max({REV}) FROM {t})" for t in INCREMENTAL)
                        + f", (SELECT max(rev) FROM perfboard_deleted), 0)")
            rev = int(cur.fetchall()[0][0])
        wanted = [t for t in (tables if tables is not None else columns)
                  if t in columns and not t.startswith("perfboard_")]
        w = dst.cursor()
        w.execute("BEGIN TRANSACTION")
        try:
            for t in wanted:            # streamed batch by batch: a province's tables never sit whole in memory
                cols = ", ".join(f'"{c}"' for c in columns[t] if c != REV)
                key = INCREMENTAL.get(t)
                if since is not None and key and REV in columns[t]:
                    keys = (f"SELECT {key} FROM {t} WHERE {REV} > {int(since)} UNION "
                            f"SELECT key FROM perfboard_deleted WHERE tbl = '{t}' AND rev > {int(since)}")
                    cur.execute(keys)
                    gone = cur.fetch_arrow_table().rename_columns(["k"])
                    if not gone.num_rows:
                        continue
                    w.register("_pg_keys", gone)
                    w.execute(f'DELETE FROM "{t}" WHERE {key} IN (SELECT k FROM _pg_keys)')
                    w.unregister("_pg_keys")
                    cur.execute(f'SELECT {cols} FROM "{t}" WHERE {key} IN ({keys})')
                    w.register("_pg_copy", cur.fetch_record_batch())
                    n += w.execute(f'INSERT INTO "{t}" SELECT * FROM _pg_copy').fetchall()[0][0]
                else:
                    cur.execute(f'SELECT {cols} FROM "{t}"')
                    w.register("_pg_copy", cur.fetch_record_batch())
                    w.execute(f'CREATE OR REPLACE TABLE "{t}" AS SELECT * FROM _pg_copy')
                    n += w.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
                w.unregister("_pg_copy")
            w.execute("COMMIT")
        except BaseException:
            w.execute("ROLLBACK")
            raise
        finally:
            w.close()
        src.rollback()
    return {"rows": n, "versions": versions, "rev": rev}


def is_pg_url(target: Any) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def resolve_target(cli_path: str | os.PathLike | None = None) -> "Path | str":
    """Like resolve_db_path, but a postgresql:// URL (from --db or PERFBOARD_DB) stays a URL."""
    for cand in (cli_path, os.environ.get("PERFBOARD_DB")):
        if cand:
            return str(cand) if is_pg_url(str(cand)) else Path(cand)
    return DEFAULT_DB


def redact(url: str) -> str:
    """A store URL fit for a message or a page: the password replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


_WRITE_TARGET = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?([A-Za-z_][A-Za-z0-9_]*)", re.I)
_LIST_CONTAINS = re.compile(r"list_contains\(\s*\?\s*,\s*((?:[^()]|\([^()]*\))+?)\)", re.I)
_CONTAINS = re.compile(r"(?<![\w.])contains\(", re.I)


def pg_statement(sql: str) -> str:
    """A write-path statement in DuckDB's spelling as PostgreSQL (psycopg, client-side binding) runs it:
    `?` -> %s, `$name` -> %(name)s, list_contains(?, x) -> x = ANY(?), contains(a, b) -> strpos(a, b) > 0,
    and a literal % doubled. Only the statements the write transactions use; the page queries never run
    on PostgreSQL (they run on the process's DuckDB copy)."""
    sql = _LIST_CONTAINS.sub(lambda m: f"({m.group(1)} = ANY(?))", sql)
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):                     # a comment: dropped (it may hold ' or ?)
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif ch == "'":                                 # a string literal: copied as it is (% doubled)
            j = i + 1
            while j < n and not (sql[j] == "'" and (j + 1 >= n or sql[j + 1] != "'")):
                j += 2 if sql[j] == "'" else 1
            out.append(sql[i:j + 1].replace("%", "%%"))
            i = j + 1
        elif ch == "?":
            out.append("%s")
            i += 1
        elif ch == "%":
            out.append("%%")
            i += 1
        elif ch == "$" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql[i:])
            out.append(f"%({m.group(1)})s")
            i += len(m.group(0))
        else:
            out.append(ch)
            i += 1
    sql = "".join(out)
    return _CONTAINS.sub("perfboard_contains(", sql)


_ARROW_PG = {"int64": "BIGINT", "int32": "INTEGER", "double": "DOUBLE PRECISION", "float": "REAL",
             "string": "VARCHAR", "large_string": "VARCHAR", "bool": "BOOLEAN", "timestamp[us]": "TIMESTAMP",
             "timestamp[ns]": "TIMESTAMP", "date32[day]": "DATE"}


def _pg_value(v: Any) -> Any:
    """A bound value as PostgreSQL takes it: its text type cannot hold NUL (U+0000), which DuckDB keeps; an
    invisible control character no one types, so it is dropped rather than failing the whole save."""
    if isinstance(v, str):
        return v.replace("\x00", "")
    if isinstance(v, tuple):
        return list(v)
    return v


def _pg_csv_options():
    """Arrow's CSV writer as PgCursor.register's COPY (FORMAT csv) reads it: every value quoted, NULL not
    (PostgreSQL reads an unquoted empty field as NULL and "" as the empty string), no header."""
    import pyarrow.csv as pacsv
    return pacsv.WriteOptions(include_header=False, quoting_style="all_valid")


def _pg_csv_columns(table):
    """`table` with the values PgCursor.register's COPY writes (as _pg_value and the row path do): NaN as
    NULL, NUL characters dropped from text, dictionary columns as their values, timestamps in microseconds;
    None when a column has a type Arrow's CSV writer cannot write (lists, structs)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    cols = []
    for col in table.columns:
        t = col.type
        if pa.types.is_dictionary(t):
            col, t = col.cast(t.value_type), t.value_type
        if pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            return None
        if pa.types.is_floating(t):
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, t), col)
        elif pa.types.is_string(t) or pa.types.is_large_string(t):
            col = pc.replace_substring(col, "\x00", "")
        elif pa.types.is_timestamp(t) and t.unit == "ns":
            col = pc.round_temporal(col, unit="microsecond").cast(pa.timestamp("us", t.tz))   # as PostgreSQL rounds
        cols.append(col)
    out = pa.table(cols, names=table.column_names)
    try:                            # a type the writer lacks (durations…) fails here, not inside the COPY
        pacsv.write_csv(out.slice(0, 1), pa.BufferOutputStream(), _pg_csv_options())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return out


def _pg_params(params: Any) -> Any:
    if isinstance(params, dict):
        return {k: _pg_value(v) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return [_pg_value(v) for v in params]
    return params


class PgCursor:
    """A PostgreSQL cursor inside one write transaction with the calls the write code makes on a DuckDB
    cursor: execute/executemany (DuckDB spelling, see pg_statement), fetchall/fetchone/df/description,
    register/unregister (an Arrow table or DataFrame as a temporary table, filled by COPY)."""

    def __init__(self, conn, writes: Writes):
        import psycopg
        self._cur = psycopg.ClientCursor(conn)
        self._writes = writes

    def execute(self, sql: str, params: Any = None) -> "PgCursor":
        stmt = pg_statement(sql)
        self._writes.note(sql)
        params = _pg_params(params)
        self._cur.execute(stmt, params if params not in (None, []) else ())     # () so %% means %
        return self

    def executemany(self, sql: str, seq) -> "PgCursor":
        self._writes.note(sql)
        self._cur.executemany(pg_statement(sql), [_pg_params(p) for p in seq])
        return self

    @property
    def description(self):
        return self._cur.description

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def fetchone(self):
        return self._cur.fetchone()

    def df(self) -> pd.DataFrame:
        cols = [d.name for d in self._cur.description]
        return pd.DataFrame(self._cur.fetchall(), columns=cols)

    def register(self, name: str, obj: Any) -> None:
        import pyarrow as pa
        table = obj if isinstance(obj, pa.Table) else pa.Table.from_pandas(obj, preserve_index=False)
        cols = []
        for f in table.schema:
            t = str(f.type)
            if t.startswith("timestamp"):
                t = "timestamp[us]"
            if t.startswith("dictionary"):
                t = "string"
            cols.append(f'"{f.name}" {_ARROW_PG.get(t, "VARCHAR")}')
        self._cur.execute(f'CREATE TEMP TABLE "{name}" ({", ".join(cols)}) ON COMMIT DROP')
        names = ", ".join(f'"{c}"' for c in table.column_names)
        csv = _pg_csv_columns(table) if self._cur.connection.info.encoding == "utf-8" else None
        if csv is None:             # a type Arrow's CSV writer cannot write (nested): row by row
            with self._cur.copy(f'COPY "{name}" ({names}) FROM STDIN') as cp:
                for row in table.to_pylist():
                    cp.write_row([None if (isinstance(v, float) and v != v) else _pg_value(v) for v in row.values()])
            return
        import pyarrow.csv as pacsv
        # One COPY in CSV, written by Arrow batch by batch instead of a Python call per row
        options = _pg_csv_options()
        with self._cur.copy(f'COPY "{name}" ({names}) FROM STDIN (FORMAT csv)') as cp:
            for batch in csv.to_batches(max_chunksize=65_536):
                if batch.num_rows:
                    sink = pa.BufferOutputStream()
                    pacsv.write_csv(batch, sink, options)
                    cp.write(sink.getvalue())

    def unregister(self, name: str) -> None:
        self._cur.execute(f'DROP TABLE IF EXISTS "{name}"')

    def close(self) -> None:
        self._cur.close()


_PG_SETUP = """
CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS perfboard_table_versions (name VARCHAR PRIMARY KEY, version BIGINT NOT NULL);
CREATE OR REPLACE FUNCTION perfboard_contains(a text, b text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT strpos(a, b) > 0';
CREATE SEQUENCE IF NOT EXISTS perfboard_rev;
CREATE TABLE IF NOT EXISTS perfboard_deleted (rev BIGINT NOT NULL, tbl VARCHAR NOT NULL, key BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS perfboard_deleted_rev ON perfboard_deleted (tbl, rev);
CREATE OR REPLACE FUNCTION perfboard_stamp() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN NEW.perfboard_rev := nextval(''perfboard_rev''); RETURN NEW; END';
CREATE OR REPLACE FUNCTION perfboard_gone() RETURNS trigger LANGUAGE plpgsql AS
    'BEGIN INSERT INTO perfboard_deleted VALUES (nextval(''perfboard_rev''), TG_TABLE_NAME,
                                                 (to_jsonb(OLD) ->> TG_ARGV[0])::bigint); RETURN OLD; END';
"""
_PG_TRACK = """
ALTER TABLE {t} ADD COLUMN IF NOT EXISTS perfboard_rev BIGINT;
CREATE INDEX IF NOT EXISTS {t}_perfboard_rev ON {t} (perfboard_rev);
CREATE INDEX IF NOT EXISTS {t}_perfboard_key ON {t} ({key});
DROP TRIGGER IF EXISTS perfboard_stamp ON {t};
CREATE TRIGGER perfboard_stamp BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION perfboard_stamp();
DROP TRIGGER IF EXISTS perfboard_gone ON {t};
CREATE TRIGGER perfboard_gone AFTER DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION perfboard_gone('{key}');
"""
PG_LOCK = 16016     # pg_advisory_xact_lock key: every write transaction of every process, one at a time


class PgStore(Store):
    """PostgreSQL as the system of record (issue 16): writes run in PostgreSQL transactions, serialised
    across processes by one advisory lock (so the optimistic edit check and next_id hold across
    processes); reads run on this process's in-memory DuckDB copy of the tables (the page queries stay
    in their one DuckDB spelling), refreshed table by table from one PostgreSQL snapshot whenever a
    table's version moved (perfboard_table_versions, bumped by the transaction that wrote the table)."""

    def __init__(self, path: str | os.PathLike | None = None, read_only: bool = False):
        import psycopg
        self.url = str(resolve_target(path))
        self.path = redact(self.url)
        try:
            self._pg = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"无法连接 PostgreSQL 数据库 {self.path}：{str(exc).splitlines()[0][:200]}") from exc
        self._pg_lock = threading.Lock()          # the one connection for version checks and writes
        self._writers = None                      # the write transactions' connection pool, made on first write
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self.con = duckdb.connect(":memory:")
        self._pools: dict[str, list[duckdb.DuckDBPyConnection]] = {}     # see defined_df
        self._pool_lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._local = threading.local()     # .reading: this thread is inside reading() (how deep)
        self._rev: int | None = None        # perfboard_rev the copy of the INCREMENTAL tables is at
        self.read_only = read_only
        if not read_only:
            self._migrate()
        elif self._pg.execute("SELECT to_regclass('perfboard_table_versions')").fetchone()[0] is None:
            self._pg.close()
            raise StoreError(f"PostgreSQL 数据库 {self.path} 还不是 PerfBoard 数据库（没有 PerfBoard 的表），不能只读打开。"
                             "请先以可写方式打开一次以建立表结构：启动应用，或运行一个写入命令（例如 "
                             "python -m perfboard import 文件.xlsx --db …），然后重试。")
        self.sync()

    def _migrate(self) -> None:
        with self._pg_lock, self._pg.transaction():
            self._pg.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK])
            self._pg.execute(_PG_SETUP)
            applied = {r[0] for r in self._pg.execute("SELECT version FROM schema_migrations").fetchall()}
            for num, name, sql in migrations():
                if num in applied:
                    continue
                self._pg.execute(pg_dialect(sql))
                self._pg.execute("INSERT INTO schema_migrations VALUES (%s, %s, %s)", [num, name, datetime.now()])
                written = set(re.findall(r"(?:CREATE TABLE|ALTER TABLE|INSERT INTO)\s+(?:IF NOT EXISTS\s+)?(\w+)",
                                         sql, re.I))
                self._bump(self._pg, written | {"schema_migrations"})
            # Only what is missing: ALTER/CREATE INDEX/DROP TRIGGER lock the big tables (ACCESS EXCLUSIVE for
            # the trigger and the column) even when nothing changes, and would queue behind another
            # process's minutes-long first copy (COPY holds ACCESS SHARE), blocking every open after it.
            for t, key in INCREMENTAL.items():
                if not self._tracked(t):
                    self._pg.execute(_PG_TRACK.format(t=t, key=key))
            # the write path looks rows up by project and by scope; DuckDB scans, PostgreSQL needs indexes
            if not self._pg.execute("SELECT to_regclass('indicators_project_id') IS NOT NULL"
                                    " AND to_regclass('projects_scope') IS NOT NULL").fetchone()[0]:
                self._pg.execute("CREATE INDEX IF NOT EXISTS indicators_project_id ON indicators (project_id);"
                                 "CREATE INDEX IF NOT EXISTS projects_scope ON projects (year, department)")

    def _tracked(self, table: str) -> bool:
        """The table has its rev column, both indexes and both triggers (what _PG_TRACK makes)."""
        return bool(self._pg.execute(
            "SELECT (SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(%s)"
            "        AND tgname IN ('perfboard_stamp', 'perfboard_gone')) = 2"
            " AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s)"
            "             AND attname = 'perfboard_rev' AND NOT attisdropped)"
            " AND to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            [table, table, f"{table}_perfboard_rev", f"{table}_perfboard_key"]).fetchone()[0])

    @staticmethod
    def _bump(conn, tables: set[str]) -> None:
        for t in sorted(tables):
            conn.execute("INSERT INTO perfboard_table_versions VALUES (%s, 1) ON CONFLICT (name) DO UPDATE"
                         " SET version = perfboard_table_versions.version + 1", [t])

    def _pg_versions(self) -> dict[str, int]:
        """PostgreSQL's committed table versions: the round trip every check for news costs, on the one
        connection all threads share (under _pg_lock)."""
        with self._pg_lock:
            return dict(self._pg.execute("SELECT name, version FROM perfboard_table_versions").fetchall())

    def sync(self) -> None:
        """Bring this process's DuckDB copy up to PostgreSQL's committed state (only the tables whose
        version moved); a no-op costing one small query when nothing changed."""
        current = self._pg_versions()
        if current == self._versions and self._rev is not None:
            return
        with self._sync_lock:
            current = self._pg_versions()
            stale = {t for t, v in current.items() if self._versions.get(t) != v}
            if not stale and self._rev is not None:
                return
            stale = sorted(stale | set(INCREMENTAL))      # their changed rows only: cheap when there are none
            first = self._rev is None                     # the first copy: every table, whole
            got = pg_replicate(self.url, self.con, None if first else stale, since=self._rev)
            self._versions.update(got["versions"] if first else
                                  {t: got["versions"][t] for t in stale if t in got["versions"]})
            self._rev = got["rev"]

    def close(self) -> None:
        with self._pool_lock:
            self._pools.clear()
        self.con.close()
        self._pg.close()
        if self._writers is not None:
            self._writers.close()

    def _writer(self):
        """The pool the write transactions take their connection from (one at a time per process, see
        _write_lock): a save reuses a connection instead of connecting anew (5-10 ms); a connection the
        server dropped (restart, idle timeout) is checked and replaced before use. min_size=0: a pool never
        reconnects on its own (a store left open on a dropped database does not retry in the background), and
        an idle connection closes after max_idle (10 min). Call under _write_lock."""
        if self._writers is None:
            from psycopg_pool import ConnectionPool
            self._writers = ConnectionPool(self.url, min_size=0, max_size=1, num_workers=1, open=True,
                                           check=ConnectionPool.check_connection, name="perfboard-writes")
        return self._writers

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One page run's reads: the copy is brought up to date once, here, and this thread's reads inside
        skip the check for news (one round trip on the shared connection, 3-87 per page run otherwise,
        queued behind every other session's). Another process's committed write is seen from the next
        reading() on; this process's own writes at once (transaction() syncs after its commit). Other
        threads (background work, the command line, a widget's callback, which runs before the script)
        keep checking before every query. Not a snapshot of its own: another thread's sync may still move
        the shared copy between two queries of the run, as without it (each query sees one sync's state)."""
        self.sync()
        self._local.reading = getattr(self._local, "reading", 0) + 1
        try:
            yield
        finally:
            self._local.reading -= 1

    def _fresh(self) -> None:
        """Before a read: sync, unless this thread is inside reading() (which synced at its start)."""
        if not getattr(self._local, "reading", 0):
            self.sync()

    def defined_df(self, definitions: str, sql: str, params: dict[str, Any] | None = None,
                   tables: dict[str, Any] | None = None, arrow: bool = False) -> pd.DataFrame:
        self._fresh()                   # pooled cursors skip cursor(): bring the copy up to date first
        return super().defined_df(definitions, sql, params, tables, arrow)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self._fresh()
        return self.con.cursor()

    def sql_df(self, sql: str, params: Any = None) -> pd.DataFrame:
        return self.cursor().execute(sql, params or []).df()

    def data_version(self) -> int:
        """From the copy (data_version is one of its tables, copied whenever a write bumped it), so the
        version and the rows a cached read computes under it come from the same sync: read from
        PostgreSQL while the copy is not yet synced, a newer version could key rows of the older state."""
        return int(self.scalar("SELECT version FROM data_version"))

    @contextmanager
    def transaction(self, bump_version: bool = True) -> Iterator[PgCursor]:
        if self.read_only:
            raise StoreError("只读打开的数据库不能写入。")
        writes = Writes()
        with self._write_lock, self._writer().connection() as conn:
            try:
                cur = PgCursor(conn, writes)
                cur._cur.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK])
                yield cur
                figures = writes.figures            # before the bumps below, which the cursor notes too
                if bump_version:
                    cur.execute("UPDATE data_version SET version = version + 1")
                    if figures:
                        cur.execute("UPDATE figures_version SET version = version + 1")
                if writes.matching:
                    cur.execute("UPDATE projects_version SET version = version + 1")
                self._bump(conn, writes.tables)
                conn.commit()
            except BaseException:
                if not conn.closed:
                    conn.rollback()
                raise
        self.sync()

    def _fill_derived(self) -> None:
        """Nothing to fill: every indicator reaches PostgreSQL through a PerfBoard write, which sets status."""
