"""Benchmark: the domain functions behind 预算执行 and 同比分析 on a big database (issue 9).

    python bench/bench_exec_compare.py                       # 50,000 projects x 2 years
    python bench/bench_exec_compare.py --projects 200000 --years 5

Builds (or reuses) the database with bench/build_db.py, copies it (match decisions are written), and
times in one process: execution.figures (every aggregate of the page), its one SQL scan, a page of the
project table, the full table (export); compare: the first comparison of two years (prepared matching,
decisions, items, view), the same again (cached), each sidebar filter (applied to the cached matching),
a confirm/reject/undo followed by the comparison, the trend. Prints one table; not a test."""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import build_db  # noqa: E402

from perfboard import compare as cmp  # noqa: E402
from perfboard import execution as ex  # noqa: E402
from perfboard import matching  # noqa: E402
from perfboard.db import Store  # noqa: E402
from perfboard.filters import Filters  # noqa: E402

ROWS: list[tuple[str, float, str]] = []


def timed(label: str, fn, note=lambda r: ""):
    t = time.perf_counter()
    r = fn()
    ROWS.append((label, time.perf_counter() - t, note(r)))
    print(f"  {label:<46} {ROWS[-1][1]:8.3f} s  {ROWS[-1][2]}", flush=True)
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=50_000)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--departments", type=int, default=60)
    a = ap.parse_args()
    info = build_db.ensure(a.projects, a.years, a.departments, 7, quiet=True)
    path = HERE / "out" / f"bench-exec-compare-{os.getpid()}.duckdb"
    shutil.copy(info["path"], path)
    store = Store(path)
    try:
        y1 = int(store.scalar("SELECT max(year) FROM projects"))
        y0 = y1 - 1
        dept = store.scalar("SELECT department FROM projects WHERE year = ? GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", [y1])
        print(f"{info['path']}: {a.projects:,} projects x {a.years} years; load {os.getloadavg()[0]:.1f}")
        filters = {"year": Filters(year=y1), "+department": Filters(year=y1, departments=(dept,)),
                   "+funding": Filters(year=y1, funding_sources=("市级财政资金",)),
                   "+light 红": Filters(year=y1, lights=("红",)), "+search 招商": Filters(year=y1, search="招商")}
        print("预算执行")
        for name, f in filters.items():
            timed(f"figures ({name})", lambda: ex.figures(store, f), lambda e: f"{e['totals']['projects']:,} projects")
            timed(f"  its SQL scan (execution_groups.sql)", lambda: ex.aggregates(store, f), lambda g: f"{len(g)} rows")
            timed(f"  table page 200 rows", lambda: ex.table_page(store, f, 200, 0))
        timed("full table (export)", lambda: ex.full_table(store, filters["year"]), lambda t: f"{len(t):,} rows")
        print("同比分析")
        c = timed(f"compare {y0}-{y1} first (matching)", lambda: cmp.compare(store, filters["year"], y0, y1, scores=False),
                  lambda c: f"{len(c.items):,} items, {len(c.candidates):,} candidates")
        timed("compare again (cached)", lambda: cmp.compare(store, filters["year"], y0, y1, scores=False))
        for name, f in list(filters.items())[1:]:
            timed(f"compare ({name})", lambda: cmp.compare(store, f, y0, y1, scores=False),
                  lambda c: f"{len(c.items):,} items")
        fuzzy = c.candidates[c.candidates["via"] == "fuzzy"]
        for what in ("confirmed", "rejected", "undo"):
            pair = fuzzy.iloc[0 if what != "rejected" else 1].to_dict()
            (matching.undo(store, pair) if what == "undo" else matching.decide(store, pair, what))
            timed(f"compare after {what}", lambda: cmp.compare(store, filters["year"], y0, y1, scores=False))
        timed("trend (every year)", lambda: cmp.trend(store, filters["year"]))
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    finally:
        store.close()
        for p in (path, Path(str(path) + ".wal")):
            p.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
