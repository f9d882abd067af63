"""Issue 16: what the per-process DuckDB copy of a PostgreSQL store costs at the province size.

    PERFBOARD_BENCH_PG=postgresql://…/perfboard_bench python bench/bench_pg_sync.py

The database is the one bench/bench_pg_readpath.py loaded (bench/build_db.py's 200,000 projects x 5 years).
Measured: opening the store (migrations, the row-stamping triggers and indexes on first open, then the
first full copy), the peak RSS, one indicator save (PostgreSQL transaction + the row-by-row sync of the
copy), and a no-change sync check. Appends to bench/out/pg_readpath.json under "sync"."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from perfboard.db import Store  # noqa: E402
from perfboard.editing import load_state, save  # noqa: E402


def rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    url = os.environ["PERFBOARD_BENCH_PG"]
    out = {}
    t = time.perf_counter()
    s = Store(url)
    out["open_and_first_copy_s"] = round(time.perf_counter() - t, 2)
    out["rss_after_copy_mb"] = rss_mb()
    t = time.perf_counter()
    s.sync()
    out["sync_no_change_s"] = round(time.perf_counter() - t, 4)
    pid = s.scalar("SELECT min(id) FROM projects WHERE year = 2024")
    st = load_state(s, pid)
    rows = st.rows()
    rows[0]["deviation_note"] = "基准测试修改"
    t = time.perf_counter()
    save(s, st, {"improvement": "基准测试"}, rows, "bench")
    out["save_with_sync_s"] = round(time.perf_counter() - t, 3)
    out["projects"] = s.scalar("SELECT count(*) FROM projects")
    out["indicators"] = s.scalar("SELECT count(*) FROM indicators")
    s.close()
    print(out)
    p = HERE / "out" / "pg_readpath.json"
    data = json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
    data["sync"] = out
    p.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
