"""Read paths for PostgreSQL as the system of record (issue 16, item 2), measured on one database.

    PERFBOARD_BENCH_PG=postgresql://perfboard:perfboard@127.0.0.1/perfboard_bench \
        python bench/bench_pg_readpath.py [--db bench/out/bench-200000x5-….duckdb] [--duck144 /tmp/duck144]

Steps (each timed, wall and CPU of this process; PostgreSQL's own CPU is not in "cpu"):
  load     the bench DuckDB file (bench/build_db.py) copied into PostgreSQL: the schema from
           perfboard/migrations (db.pg_dialect), then every table through ADBC (Arrow, binary COPY).
  refresh  option (c): PostgreSQL -> an in-memory DuckDB copy over ADBC/Arrow, every table, in one
           REPEATABLE READ snapshot (what a process does when data_version moves).
  pages    the 总览 figure queries (queries/scope.sql + scoped/figures.sql, rate_chart.sql,
           execution_groups.sql) for the whole newest year and for one department of it, on
             - the local DuckDB copy (option c, and the embedded mode: the same engine and data),
             - DuckDB 1.4.4 with the postgres extension attached to PostgreSQL (option a), run in a
               subprocess with --duck144 on sys.path (pip install --target DIR duckdb==1.4.4
               duckdb-ext-postgres); DuckDB 2.0 has no packaged extension.
  dialect  option (b): how many queries/**/*.sql use DuckDB-only syntax (PostgreSQL would need a
           second copy of them).
Results go to bench/out/pg_readpath.json and stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

PAGE_QUERIES = ["figures", "rate_chart", "execution_groups"]
TABLES_ORDER = None     # every table of the DuckDB file

# DuckDB-only constructs found in queries/ (each one would need a PostgreSQL rewrite)
DUCKDB_ONLY = {
    "table/temp macros": r"\bMACRO\b|scoped_projects\(|scoped_flags\(",
    "list_contains/list()/[] lists": r"list_contains|\blist\(|\[\]::|::VARCHAR\[\]|list_",
    "FILTER (cond) without WHERE": r"FILTER\s*\((?!\s*WHERE)",
    "struct literals {'k': v}": r"\{\s*'",
    "regexp_full_match / contains()": r"regexp_full_match|\bcontains\(",
    "QUALIFY / EXCLUDE / COLUMNS": r"\bQUALIFY\b|\bEXCLUDE\b|COLUMNS\(",
    "$name params": r"\$[A-Za-z_]",
}


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, round(time.perf_counter() - w, 3), round(time.process_time() - c, 3)


def dialect_count() -> dict:
    files = sorted((ROOT / "queries").rglob("*.sql"))
    per = {}
    only = 0
    for f in files:
        code = "\n".join(line.split("--", 1)[0] for line in f.read_text(encoding="utf-8").splitlines())
        hits = [k for k, pat in DUCKDB_ONLY.items() if k != "$name params" and re.search(pat, code, re.I)]
        if hits:
            only += 1
        per[str(f.relative_to(ROOT))] = hits
    return {"files": len(files), "duckdb_only": only, "per_file": per}


def load(duck_path: Path, url: str) -> dict:
    import adbc_driver_postgresql.dbapi as pgdb
    import duckdb

    from perfboard.db import migrations, pg_dialect
    src = duckdb.connect(str(duck_path), read_only=True)
    tables = [r[0] for r in src.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                        "current_database() ORDER BY table_name").fetchall()]
    import psycopg
    with psycopg.connect(url) as ddl:
        ddl.execute("DROP SCHEMA public CASCADE")
        ddl.execute("CREATE SCHEMA public")
        ddl.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
        for num, name, sql in migrations():
            ddl.execute(pg_dialect(sql))
            # recorded as applied, as PgStore._migrate does: a PgStore opening the loaded database must not run
            # the migrations again (CREATE TABLE projects would fail)
            ddl.execute("INSERT INTO schema_migrations VALUES (%s, %s, now())", [num, name])
    with pgdb.connect(url) as con:
        cur = con.cursor()
        rows = {}
        t0 = time.perf_counter()
        for t in tables:
            if t in ("data_version",):
                continue
            if t == "schema_migrations":
                continue
            if not src.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]:
                continue
            # streamed in batches: a province's indicators (11.5M rows) never sit whole in memory
            batches = src.sql(f'SELECT * FROM "{t}"').to_arrow_reader(100_000)
            cur.execute(f'TRUNCATE "{t}"')
            rows[t] = cur.adbc_ingest(t, batches, mode="append")
        cur.execute("ANALYZE")
        con.commit()
        secs = round(time.perf_counter() - t0, 2)
    src.close()
    return {"seconds": secs, "rows": rows}


def refresh(url: str) -> dict:
    import duckdb

    from perfboard.db import pg_replicate
    dst = duckdb.connect(":memory:")
    (got, wall, cpu) = timed(lambda: pg_replicate(url, dst))
    n = got["rows"]
    rss = _rss_mb()
    dst.close()
    return {"seconds": wall, "cpu": cpu, "rows": n, "rss_mb": rss}


def _rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    return 0


def page_sql() -> list[tuple[str, str, dict]]:
    """(name, sql, params) of the 总览 queries for the two filters."""
    from perfboard.db import QUERIES, QUERIES_DIR, load_queries
    scoped = load_queries(QUERIES_DIR / "scoped")
    out = []
    for label, deps in (("year", None), ("dept", ["部门01"])):
        base = {"year": 2024, "departments": deps, "funding_sources": None, "search": None, "lights": None,
                "green": 0.95, "yellow": 0.90}
        extra = {"attention": 10, "top": 15, "deviating": ["黄", "红", "超预算"], "names": 3}
        for q in PAGE_QUERIES:
            query = scoped[q]
            params = {k: v for k, v in {**base, **extra}.items() if k in query.params}
            out.append((f"{label}:{q}", query.sql, params))
    return out, QUERIES["scope"].sql


def time_queries(con, definitions: str, reps: int = 3) -> dict:
    con.execute(definitions)
    queries, _ = page_sql()
    res = {}
    for name, sql, params in queries:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            con.execute(sql, params).fetchall()
            times.append(time.perf_counter() - t)
        res[name] = round(sorted(times)[len(times) // 2], 3)
    for label in ("year", "dept"):
        res[f"{label}:page_total"] = round(sum(v for k, v in res.items() if k.startswith(label + ":")), 3)
    return res


def pages_local(duck_path: Path) -> dict:
    import duckdb
    _, defs = page_sql()
    con = duckdb.connect(str(duck_path), read_only=True)
    out = time_queries(con, defs)
    con.close()
    return out


ATTACHED = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb
assert duckdb.__version__ == "1.4.4", duckdb.__version__
ext, dsn, payload = sys.argv[2], sys.argv[3], json.loads(sys.stdin.read())
con = duckdb.connect()
con.execute(f"LOAD '{ext}'")
t = time.perf_counter()
con.execute(f"ATTACH '{dsn}' AS pg (TYPE postgres, READ_ONLY)")
con.execute("USE pg")
attach = time.perf_counter() - t
con.execute(payload["defs"])
res = {"attach": round(attach, 3)}
for name, sql, params in payload["queries"]:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        try:
            con.execute(sql, params).fetchall()
        except Exception as exc:
            res[name] = "error: " + str(exc).splitlines()[0][:150]
            break
        times.append(time.perf_counter() - t)
    else:
        res[name] = round(sorted(times)[1], 3)
print(json.dumps(res))
"""


def pages_attached(url: str, duck144: Path) -> dict:
    ext = next(duck144.rglob("postgres_scanner.duckdb_extension"))
    from urllib.parse import urlparse
    u = urlparse(url)
    dsn = f"dbname={u.path.lstrip('/')} host={u.hostname} port={u.port or 5432} user={u.username} password={u.password}"
    queries, defs = page_sql()
    payload = json.dumps({"defs": defs, "queries": queries})
    p = subprocess.run([sys.executable, "-c", ATTACHED, str(duck144), str(ext), dsn], input=payload,
                       capture_output=True, text=True, timeout=1800)
    if p.returncode:
        return {"error": p.stderr[-800:]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    for label in ("year", "dept"):
        vals = [v for k, v in res.items() if k.startswith(label + ":") and isinstance(v, float)]
        res[f"{label}:page_total"] = round(sum(vals), 3)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=str(HERE / "out" / "bench-200000x5-d60-s7-g1-m10.duckdb"))
    ap.add_argument("--duck144", default="/tmp/duck144")
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--skip-refresh", action="store_true")
    args = ap.parse_args()
    url = os.environ["PERFBOARD_BENCH_PG"]
    prev = HERE / "out" / "pg_readpath.json"
    out = json.loads(prev.read_text(encoding="utf-8")) if prev.exists() else {}
    out["dialect"] = dialect_count()
    print("dialect:", out["dialect"]["duckdb_only"], "of", out["dialect"]["files"], "files DuckDB-only", flush=True)
    if not args.skip_load:
        out["load"] = load(Path(args.db), url)
        print("load:", out["load"], flush=True)
    if not args.skip_refresh:
        out["refresh"] = refresh(url)
        print("refresh:", out["refresh"], flush=True)
    out["pages_local_duckdb"] = pages_local(Path(args.db))
    print("local:", out["pages_local_duckdb"], flush=True)
    if Path(args.duck144).exists():
        out["pages_attached_pg"] = pages_attached(url, Path(args.duck144))
        print("attached:", out["pages_attached_pg"], flush=True)
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / "pg_readpath.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
