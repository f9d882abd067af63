"""Checks for news per page run on a PostgreSQL store: what one app process asks PostgreSQL per rerun, and
what many sessions' page runs cost when they share its one version-check connection.

    nice -n 19 python bench/bench_pg_rerun.py [--root REPO] [--reruns 20] [--threads 20] [--runs 5] [--pg URL]

--root: the checkout whose app.py / perfboard run (default: this one); run it once with the code before a
change and once after, same machine, same minute. The database: a fresh PostgreSQL database (made with
--pg, default PERFBOARD_TEST_PG, dropped afterwards) holding the sample data (the app's first run loads it).

Two parts:
  * page: AppTest reruns of app.py around 总览 (as a browser runs it: app.py, then the page), one session,
    `reruns` times: statements on the store's version connection per rerun (perfboard_table_versions
    checks and data_version reads) and the wall per rerun (median).
  * threads: `threads` threads (sessions), each making `runs` page runs of 总览's reads (the domain calls the
    page makes, no Streamlit cache), inside Store.reading() when the code has it: version statements and
    the wall per page run (median, p90), and the whole wall.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Counting:
    """The store's psycopg connection, counting the statements run on it."""

    def __init__(self, con):
        self._con, self.n, self._lock = con, {"versions": 0, "data_version": 0, "other": 0}, threading.Lock()

    def execute(self, sql, *a, **k):
        kind = ("versions" if "perfboard_table_versions" in sql else
                "data_version" if "FROM data_version" in sql else "other")
        with self._lock:
            self.n[kind] += 1
        return self._con.execute(sql, *a, **k)

    def __getattr__(self, name):
        return getattr(self._con, name)


def page_part(url: str, root: Path, reruns: int) -> dict:
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    from ui import state
    original = PagesManager.__init__

    def init(self, *args, **kwargs):       # as tests/dashboard_helpers.frame: app.py around the page
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False
    PagesManager.__init__ = init
    os.environ["PERFBOARD_DB"] = url
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(root / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    s = state._open_store(path=url)
    s._pg = counting = Counting(s._pg)
    walls = []
    for _ in range(reruns):
        t = time.perf_counter()
        at.run()
        walls.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    PagesManager.__init__ = original
    return {"reruns": reruns, "statements_per_rerun": {k: v / reruns for k, v in counting.n.items()},
            "rerun_wall_median_s": round(statistics.median(walls), 4)}


def threads_part(url: str, threads: int, runs: int) -> dict:
    from perfboard.db import Store
    from perfboard.filters import Filters
    from perfboard.overview import overview
    from perfboard.scoring import project_scores
    from perfboard.summary import filter_options
    s = Store(url)
    s._pg = counting = Counting(s._pg)
    f = Filters(year=2024)
    walls: list[float] = []
    lock = threading.Lock()

    def session():
        for _ in range(runs):
            t = time.perf_counter()
            with (s.reading() if hasattr(s, "reading") else nullcontext()):
                s.data_version()
                filter_options(s)
                s.data_version()
                overview(s, f)
                s.data_version()
                project_scores(s, f)
            with lock:
                walls.append(time.perf_counter() - t)
    t0 = time.perf_counter()
    ts = [threading.Thread(target=session) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    total = time.perf_counter() - t0
    s.close()
    walls.sort()
    n = threads * runs
    return {"threads": threads, "runs_each": runs,
            "statements_per_page_run": {k: round(v / n, 2) for k, v in counting.n.items()},
            "page_run_wall_median_s": round(statistics.median(walls), 4),
            "page_run_wall_p90_s": round(walls[int(0.9 * (len(walls) - 1))], 4), "total_wall_s": round(total, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=str(HERE.parent))
    ap.add_argument("--pg", default=os.environ.get("PERFBOARD_TEST_PG"))
    ap.add_argument("--reruns", type=int, default=20)
    ap.add_argument("--threads", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    root = Path(a.root).resolve()
    sys.path.insert(0, str(root))
    os.chdir(root)
    os.environ["PERFBOARD_WARM"] = "0"
    import psycopg
    from urllib.parse import urlparse, urlunparse
    name = f"perfboard_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(a.pg, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    url = urlunparse(urlparse(a.pg)._replace(path="/" + name))
    try:
        out = {"root": str(root), "load_avg": os.getloadavg()}
        out["page"] = page_part(url, root, a.reruns)
        out["threads"] = threads_part(url, a.threads, a.runs)
        out["load_avg_after"] = os.getloadavg()
        print(json.dumps(out, ensure_ascii=False, indent=1))
    finally:
        import streamlit as st
        st.cache_resource.clear()           # closes nothing itself; the process exits next
        with psycopg.connect(a.pg, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        os._exit(0)                         # the app's snapshot server thread (snapshots.serve) is not a daemon


if __name__ == "__main__":
    main()
