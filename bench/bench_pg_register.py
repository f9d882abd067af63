"""PgCursor.register (a DataFrame/Arrow table as a temporary PostgreSQL table inside a write): rows per
second of the one CSV COPY against the row-by-row COPY it replaced (still the fallback for nested types),
same process, same database, alternating.

    nice -n 19 python bench/bench_pg_register.py [--rows 470000] [--repeats 3] [--pg URL]

Tables: `pair` is 同比分析's stored year pair (year_pairs.store: nine numeric columns, NaN scores);
`text` is string-heavy (names, departments, notes with NULLs, a timestamp, a flag). The database: a fresh
one made with --pg (default PERFBOARD_TEST_PG), dropped afterwards. Prints one JSON object: per table and
path the median wall and CPU (this process; the server's share is not in it) and rows/s on the wall.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from perfboard import db  # noqa: E402
from perfboard.db import Store  # noqa: E402


def tables(n: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(19)
    score = rng.random(n)
    score[rng.random(n) < 0.3] = np.nan
    pair = pd.DataFrame({"prepared_version": np.full(n, 7), "base_year": np.full(n, 2023), "year": np.full(n, 2024),
                         "threshold": np.full(n, 0.6), "part": rng.integers(1, 5, n), "seq": np.arange(n),
                         "base_id": rng.integers(1, 10**6, n), "target_id": rng.integers(1, 10**6, n), "score": score})
    depts = np.array([f"张掖市第{i}局" for i in range(300)], dtype=object)
    notes = np.array(["", None, "资金已拨付，项目按计划推进", '含"引号"与,逗号', "第一行\n第二行"], dtype=object)
    text = pd.DataFrame({"id": np.arange(n), "name": [f"2024 年项目{i} 建设与运维" for i in range(n)],
                         "department": depts[rng.integers(0, 300, n)], "note": notes[rng.integers(0, 5, n)],
                         "budget": rng.random(n) * 1e6, "at": pd.Timestamp("2024-01-01") + pd.to_timedelta(
                             rng.integers(0, 10**6, n), unit="s"), "flag": rng.random(n) < 0.5})
    return {"pair": pair, "text": text}


def timed(url: str, frame: pd.DataFrame) -> tuple[float, float]:
    with Store(url) as s, s.transaction(bump_version=False) as cur:
        w, c = time.perf_counter(), time.process_time()
        cur.register("_bench", frame)
        w, c = time.perf_counter() - w, time.process_time() - c
        assert cur.execute("SELECT count(*) FROM _bench").fetchone()[0] == len(frame)
    return w, c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=470_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pg", default=os.environ.get("PERFBOARD_TEST_PG"))
    a = ap.parse_args()
    import psycopg
    from urllib.parse import urlparse, urlunparse
    name = f"perfboard_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(a.pg, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    url = urlunparse(urlparse(a.pg)._replace(path="/" + name))
    csv_columns = db._pg_csv_columns
    out = {"rows": a.rows, "load_avg": os.getloadavg()}
    try:
        Store(url).close()                          # migrations once, not in the timings
        for tname, frame in tables(a.rows).items():
            got = {"csv": [], "row_by_row": []}
            for _ in range(a.repeats):
                for path in got:
                    db._pg_csv_columns = csv_columns if path == "csv" else (lambda t: None)
                    got[path].append(timed(url, frame))
            db._pg_csv_columns = csv_columns
            out[tname] = {path: {"wall_s": round(statistics.median(w for w, _ in runs), 3),
                                 "cpu_s": round(statistics.median(c for _, c in runs), 3),
                                 "rows_per_s": int(a.rows / statistics.median(w for w, _ in runs))}
                          for path, runs in got.items()}
        out["load_avg_after"] = os.getloadavg()
        print(json.dumps(out, ensure_ascii=False, indent=1))
    finally:
        with psycopg.connect(a.pg, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
