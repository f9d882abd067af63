"""Benchmark: page runs of the app (AppTest) against a province-sized database, page time vs DuckDB time.

    python bench/bench_pages.py                               # 200,000 projects x 5 years, 4 pages
    python bench/bench_pages.py --projects 20000 --pages overview,compare

For each page (总览 overview, 预算执行 execution, 偏离分析 deviations, 同比分析 compare) a fresh
subprocess (so peak RSS is that page's) runs app.py with streamlit.testing AppTest, the app
pointed at the database from bench/build_db.py (PERFBOARD_DB), landing straight on the page, and
times four runs:
  cold    first render in the process (every cache empty, the store opened)
  filter  one department picked in the sidebar (主管部门 multiselect): a cache miss for that filter
  year    the sidebar year moved one year back: a cache miss again
  rerun   a plain rerun with nothing changed: every state.load() a cache hit
Each run reports wall seconds, process CPU seconds, the seconds spent inside DuckDB (every execute
and fetch through perfboard.db.Store's connection and its cursors is timed in the child), the
number of queries, the ratio page/queries, the slowest queries, and the process's peak RSS so far.
The goal (issue 9): filter reruns under 1 s and within 2x of their DuckDB time; RSS under 1.5 GB.

The machine's load average is recorded with every page: on a shared machine the CPU column is the
steadier figure."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

PAGES = {"overview": "pages/overview.py", "execution": "pages/execution.py",
         "deviations": "pages/deviations.py", "compare": "pages/compare.py"}
# Not in the default run (issue 9 names the four above), but benchable with --pages: pages with project pickers.
EXTRA_PAGES = {"history": "pages/history.py", "indicators_edit": "pages/indicators_edit.py",
               "reports": "pages/reports.py"}
TITLES = {"overview": "总览", "execution": "预算执行", "deviations": "偏离分析", "compare": "同比分析",
          "history": "修改记录", "indicators_edit": "指标填报", "reports": "报表导出"}
STEPS = ["cold", "filter", "year", "rerun"]
# The framework floor (issue 19): an empty page inside app.py's frame (sidebar, filters, banner), its
# filter and year reruns timed in the same process as the page's; bench/empty_page.py, added to the
# navigation by _frame_navigation.
EMPTY_PAGE, EMPTY_TITLE = "bench/empty_page.py", "空白页"


def all_pages() -> dict[str, str]:
    """Every page script of the app (pages/*.py) by name, with its title from app.py's st.Page list:
    a page added later gets a bench row without editing this file."""
    titles = dict(re.findall(r'st\.Page\("pages/(\w+)\.py", title="([^"]+)"', (ROOT / "app.py").read_text(encoding="utf-8")))
    for name, title in titles.items():
        TITLES.setdefault(name, title)
    return {f.stem: f"pages/{f.name}" for f in sorted((ROOT / "pages").glob("*.py"))}


def load_avg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# ---------------------------------------------------------------- timing DuckDB in the child
class QueryStats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.seconds = 0.0
        self.count = 0
        self.slowest: dict[str, list] = {}        # label -> [seconds, calls]

    def add(self, label: str | None, seconds: float, is_query: bool):
        with self.lock:
            self.seconds += seconds
            if is_query:
                self.count += 1
            if label:
                s = self.slowest.setdefault(label, [0.0, 0])
                s[0] += seconds
                s[1] += is_query

    def top(self, n: int = 6) -> list[dict]:
        items = sorted(self.slowest.items(), key=lambda kv: -kv[1][0])[:n]
        return [{"query": k, "seconds": round(v[0], 4), "calls": v[1]} for k, v in items]


_FETCH = ("df", "fetchdf", "fetch_df", "fetchall", "fetchone", "fetchmany", "arrow", "fetch_arrow_table",
          "fetchnumpy", "pl", "fetch_record_batch", "to_arrow_table", "to_df")


def _label(sql) -> str:
    from perfboard.db import QUERIES
    text = str(sql)
    for name, q in QUERIES.items():
        if q.sql == text:
            return f"queries/{name}.sql"
    return re.sub(r"\s+", " ", text).strip()[:90]


class TimedConnection:
    """Wraps a DuckDB connection or cursor: execute/executemany/sql and every fetch are timed into
    STATS; anything else is passed through. execute() returns the wrapper so chained fetches count."""

    def __init__(self, con, stats: QueryStats):
        object.__setattr__(self, "_con", con)
        object.__setattr__(self, "_stats", stats)
        object.__setattr__(self, "_last", None)

    def _timed(self, what, label, is_query, *a, **k):
        t = time.perf_counter()
        try:
            return what(*a, **k)
        finally:
            self._stats.add(label, time.perf_counter() - t, is_query)

    def execute(self, sql, *a, **k):
        label = _label(sql)
        object.__setattr__(self, "_last", label)
        self._timed(self._con.execute, label, True, sql, *a, **k)
        return self

    def executemany(self, sql, *a, **k):
        label = _label(sql)
        object.__setattr__(self, "_last", label)
        self._timed(self._con.executemany, label, True, sql, *a, **k)
        return self

    def cursor(self):
        return TimedConnection(self._con.cursor(), self._stats)

    def __getattr__(self, name):
        attr = getattr(self._con, name)
        if name in _FETCH and callable(attr):
            def fetch(*a, **k):
                return self._timed(attr, self._last, False, *a, **k)
            return fetch
        if name in ("sql", "query") and callable(attr):      # relations are lazy: time their creation only
            def rel(sql, *a, **k):
                return self._timed(attr, _label(sql), True, sql, *a, **k)
            return rel
        return attr

    def __setattr__(self, name, value):
        setattr(self._con, name, value)

    def __enter__(self):
        self._con.__enter__()
        return self

    def __exit__(self, *exc):
        return self._con.__exit__(*exc)


class Sampler:
    """A small sampling profiler for the script thread (AppTest runs the page in a thread of its own,
    which cProfile in the main thread would not see): every `interval` seconds the stacks of the
    other threads are read; per step it reports the project functions (app.py, pages/, perfboard/,
    ui/) seen most often anywhere on the stack (cumulative) and at the innermost project frame."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.cum: dict[str, float] = {}
        self.own: dict[str, float] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._ignore = {threading.main_thread().ident}

    def start(self):
        self._ignore.add(None)
        self._thread.start()
        self._ignore.add(self._thread.ident)

    def reset(self):
        self.cum, self.own, self.samples = {}, {}, 0

    def stop(self):
        self._stop.set()

    def _loop(self):
        root = str(ROOT) + os.sep
        last = time.perf_counter()
        while not self._stop.wait(self.interval):
            now = time.perf_counter()
            w, last = now - last, now             # weight by real elapsed time: the GIL delays samples
            for tid, frame in sys._current_frames().items():
                if tid in self._ignore:
                    continue
                seen, inner, f = set(), None, frame
                while f is not None:
                    fn = f.f_code.co_filename
                    if fn.startswith(root) and os.sep + "bench" + os.sep not in fn[len(root) - 1:]:
                        key = f"{fn[len(root):]}:{f.f_code.co_name}"
                        if inner is None:
                            inner = f"{key}:{f.f_lineno}"
                        seen.add(key)
                    f = f.f_back
                if not seen:
                    continue
                self.samples += 1
                for k in seen:
                    self.cum[k] = self.cum.get(k, 0) + w
                self.own[inner] = self.own.get(inner, 0) + w

    def report(self, n: int = 12) -> dict:
        top = lambda d: [{"where": k, "seconds": round(v, 2)} for k, v in  # noqa: E731
                         sorted(d.items(), key=lambda kv: -kv[1])[:n]]
        return {"samples": self.samples, "cumulative": top(self.cum), "innermost": top(self.own)}


def instrument(stats: QueryStats) -> None:
    """Every Store opened from now on runs its SQL through a TimedConnection."""
    from perfboard import db
    original = db.Store.__init__

    def init(self, *a, **k):
        original(self, *a, **k)
        if not isinstance(self.con, TimedConnection):
            self.con = TimedConnection(self.con, stats)

    db.Store.__init__ = init


def _frame_navigation() -> None:
    """As tests/dashboard_helpers.frame: keep AppTest on app.py's st.navigation path after a page switch.
    Also offers the empty page (EMPTY_PAGE) in app.py's navigation, for the framework floor."""
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    navigation = st.navigation
    if getattr(navigation, "_bench_empty", False):
        return

    def nav(pages, *a, **k):
        if isinstance(pages, list):
            pages = [*pages, st.Page(EMPTY_PAGE, title=EMPTY_TITLE)]
        return navigation(pages, *a, **k)

    nav._bench_empty = True
    st.navigation = nav


def warm_imports() -> None:
    """Import every module of perfboard/ and ui/ (and what they import: streamlit, altair, ...)."""
    import importlib
    import pkgutil
    for pkg in ("perfboard", "ui"):
        mod = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
            if info.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(info.name)
            except Exception:          # an optional extra (e.g. a PDF font) missing: the page will say so
                pass


def _rss_mb() -> float:
    """Peak RSS of this process so far. VmHWM, not getrusage().ru_maxrss: Linux keeps ru_maxrss across
    fork + exec, so a child would report its parent's peak (e.g. building the database) if higher."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024       # KB on Linux


def child(pages: list[str], db: str, year: int, base_year: int | None, department: str, out: str, timeout: float,
          profile: bool = False, floor_department: str | None = None) -> None:
    """Pages in this process, each in a fresh AppTest session: four timed runs each, then the empty
    page's runs (the framework floor) in the same process; results written to `out` after each step."""
    os.environ["PERFBOARD_DB"] = db
    # The app's background warm-up (ui.state.warm_up) would run its matching queries on another thread
    # during the timed runs and be counted as this page's DuckDB time; the bench measures the page alone.
    os.environ["PERFBOARD_WARM"] = "0"
    stats = QueryStats()
    sampler = Sampler() if profile else None
    if sampler:
        sampler.start()
    instrument(stats)
    _frame_navigation()
    from streamlit.testing.v1 import AppTest

    from ui.state import K_DEPTS, K_YEAR
    all_paths = {**PAGES, **EXTRA_PAGES, **all_pages()}
    multi = {"pages": {}, "load_start": load_avg(), "pid": os.getpid()}

    def save():
        Path(out).write_text(json.dumps(multi, ensure_ascii=False, indent=1), encoding="utf-8")

    # Python imports are a server's start-up, not a page's first render: done (and timed) apart.
    t = time.perf_counter()
    warm_imports()
    multi["import_seconds"] = round(time.perf_counter() - t, 2)

    def one(page: str, path: str, title: str, dept: str) -> dict:
        result = {"page": page, "db": db, "year": year, "department": dept, "steps": {},
                  "load_start": load_avg(), "pid": os.getpid(), "import_seconds": multi["import_seconds"]}
        multi["pages"][page] = result
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        at.session_state[K_YEAR] = year
        if path != "pages/overview.py":
            at.switch_page(path)

        def step(name: str, action) -> None:
            stats.reset()
            if sampler:
                sampler.reset()
            c, t = time.process_time(), time.perf_counter()
            action()
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            errors = [str(e.value)[:300] for e in at.exception]
            titles = [t.value for t in at.title]
            result["steps"][name] = {
                "seconds": round(wall, 4), "cpu": round(cpu, 4), "query_seconds": round(stats.seconds, 4),
                "queries": stats.count, "ratio": round(wall / stats.seconds, 2) if stats.seconds else None,
                "rss_mb": round(_rss_mb(), 1), "errors": errors, "title": titles[0] if titles else None,
                "slowest": stats.top(), "load": load_avg(),
            }
            if sampler:
                result["steps"][name]["profile"] = sampler.report()
            save()
            if errors:
                raise SystemExit(f"{page} {name}: {errors}")
            if not (titles and titles[0].startswith(title)):
                raise SystemExit(f"{page} {name}: landed on {titles[:1]}, not on {title}")

        step("cold", lambda: at.run())
        step("filter", lambda: at.multiselect(key=K_DEPTS).set_value([dept]).run())
        if base_year is not None:
            step("year", lambda: at.selectbox(key=K_YEAR).set_value(base_year).run())
        step("rerun", lambda: at.run())
        result["peak_rss_mb"] = round(_rss_mb(), 1)
        result["load_end"] = load_avg()
        save()
        return result

    for page in pages:
        path = all_paths.get(page)
        if path is None:
            raise SystemExit(f"unknown page {page!r}; pages: {sorted(all_paths)}")
        one(page, path, TITLES.get(page, ""), department)
    # the framework floor: the same runs on the empty page, in this process, after the pages
    floor = one("(empty page)", EMPTY_PAGE, EMPTY_TITLE, floor_department or department)
    multi["floor"] = {k: v["seconds"] for k, v in floor["steps"].items()}
    multi["floor_cpu"] = {k: v["cpu"] for k, v in floor["steps"].items()}
    multi["peak_rss_mb"] = round(_rss_mb(), 1)
    save()


# ---------------------------------------------------------------- the parent
def _pick(db: str) -> tuple[int, int | None, str]:
    """Latest year, the one before it, and the department with the most projects that year."""
    import duckdb
    con = duckdb.connect(db, read_only=True)
    try:
        years = [r[0] for r in con.execute("SELECT DISTINCT year FROM projects ORDER BY year DESC").fetchall()]
        dept = con.execute("SELECT department FROM projects WHERE year = ? GROUP BY department "
                           "ORDER BY count(*) DESC, department LIMIT 1", [years[0]]).fetchall()[0][0]
    finally:
        con.close()
    return years[0], (years[1] if len(years) > 1 else None), dept


def _proc_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_pages(pages: list[str], db: str, timeout: float = 900, max_rss_mb: float = 12_000, profile: bool = False,
              year: int | None = None, base_year: int | None = None, department: str | None = None) -> dict:
    """`pages` in one fresh subprocess (each in its own session), then the empty page (the floor);
    returns {"pages": {name: result}, "floor": {step: s}, ...} (partial, with 'error', on failure/timeout).
    year / base_year / department default to _pick's (the latest year, the one before, the biggest department)."""
    y, by, d = _pick(db)
    year, department = year or y, department or d
    base_year = base_year if base_year is not None else by
    out = Path(db).with_name(f"pages-{pages[0]}-{os.getpid()}.json")
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", ",".join(pages), "--db", db, "--year", str(year),
           "--department", department, "--json", str(out), "--timeout", str(timeout)]
    if base_year is not None:
        cmd += ["--base-year", str(base_year)]
    if profile:
        cmd += ["--profile"]
    t = time.perf_counter()
    err = None
    log = out.with_suffix(".log")
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT))
        peak = 0.0
        while proc.poll() is None:
            rss = _proc_rss_mb(proc.pid)
            peak = max(peak, rss)
            if rss > max_rss_mb:
                proc.kill()
                err = f"killed: RSS {rss:,.0f} MB above the bench's limit of {max_rss_mb:,.0f} MB"
            elif time.perf_counter() - t > timeout:
                proc.kill()
                err = f"timeout after {timeout:.0f} s"
            time.sleep(0.25)
    if proc.returncode and not err:
        err = log.read_text(encoding="utf-8", errors="replace")[-1500:]
    log.unlink(missing_ok=True)
    res = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"pages": {}}
    out.unlink(missing_ok=True)
    res["process_seconds"] = round(time.perf_counter() - t, 1)
    res["polled_peak_rss_mb"] = round(peak, 1)
    for page in pages:                      # a page the process never reached, or the one it failed on
        r = res["pages"].setdefault(page, {"page": page, "steps": {}})
        if err and (len(r["steps"]) < len(STEPS) - (base_year is None) or "peak_rss_mb" not in r):
            r["error"] = err
    if err:
        res["error"] = err
    return res


def run_page(page: str, db: str, timeout: float = 900, max_rss_mb: float = 12_000, profile: bool = False,
             **kw) -> dict:
    """One page in a fresh subprocess; its result, with the floor of that process and its polled peak RSS."""
    res = run_pages([page], db, timeout, max_rss_mb, profile, **kw)
    r = res["pages"][page]
    r.update({"floor": res.get("floor"), "floor_cpu": res.get("floor_cpu"),
              "process_seconds": res["process_seconds"], "polled_peak_rss_mb": res["polled_peak_rss_mb"]})
    if res.get("error"):
        r.setdefault("error", res["error"])
    return r


def run(projects: int = 200_000, years: int = 5, departments: int = 60, seed: int = 7,
        pages: list[str] | None = None, timeout: float = 900, quiet: bool = False,
        max_rss_mb: float = 12_000, out: Path | None = None, profile: bool = False) -> dict:
    import build_db
    info = build_db.ensure(projects, years, departments, seed, quiet=quiet, out=out)
    if not quiet:
        print(f"database {info['path']}: {info['bytes'] / 1e6:,.0f} MB"
              + ("" if info["cached"] else f", built in {info['seconds']:.1f} s"), flush=True)
    results = {"projects_per_year": projects, "years": years, "departments": departments, "seed": seed,
               "db": info, "pages": {}}
    if pages == ["all"]:
        pages = list(all_pages())
    for page in pages or list(PAGES):
        r = run_page(page, info["path"], timeout, max_rss_mb, profile)
        results["pages"][page] = r
        if not quiet:
            print_page(r)
    return results


def print_page(r: dict) -> None:
    print(f"\n{r['page']}  (dept {r.get('department')}, load at start {r.get('load_start')}, "
          f"imports {r.get('import_seconds')} s, "
          f"peak RSS {r.get('peak_rss_mb', '?')} MB, process {r.get('process_seconds')} s)", flush=True)
    print(f"  {'run':<8}{'page s':>9}{'CPU s':>9}{'query s':>9}{'ratio':>8}{'queries':>9}{'RSS MB':>9}")
    for name in STEPS:
        s = r["steps"].get(name)
        if s:
            ratio = f"{s['ratio']:.1f}x" if s["ratio"] else "-"
            print(f"  {name:<8}{s['seconds']:>9.2f}{s['cpu']:>9.2f}{s['query_seconds']:>9.2f}{ratio:>8}"
                  f"{s['queries']:>9}{s['rss_mb']:>9.0f}")
    for name in STEPS:
        prof = (r["steps"].get(name) or {}).get("profile")
        if prof and prof["samples"]:
            print(f"  {name}: hottest project functions (sampled s, cumulative): "
                  + "; ".join(f"{p['where']} {p['seconds']}" for p in prof["cumulative"][:6]))
            print(f"  {name}: innermost project lines: "
                  + "; ".join(f"{p['where']} {p['seconds']}" for p in prof["innermost"][:6]))
    if "error" in r:
        print("  ERROR:", r["error"].strip().splitlines()[-1] if r["error"].strip() else r["error"])


def main() -> None:
    ap = argparse.ArgumentParser(description="Page runs (AppTest) against a big database: page vs DuckDB time")
    ap.add_argument("--projects", type=int, default=200_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--departments", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pages", default=",".join(PAGES),
                    help="comma-separated: " + ",".join(PAGES) + " (also: " + ",".join(EXTRA_PAGES) + "; or all)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per page process")
    ap.add_argument("--max-rss", type=float, default=12_000, help="kill a page process above this RSS (MB)")
    ap.add_argument("--profile", action="store_true",
                    help="sample the page's stack every 5 ms and list the hottest project functions per run")
    ap.add_argument("--out", help="write the results as JSON here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--year", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--base-year", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--department", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child.split(","), a.db, a.year, a.base_year, a.department, a.json, a.timeout, a.profile)
        return
    res = run(a.projects, a.years, a.departments, a.seed, [p for p in a.pages.split(",") if p], a.timeout,
              max_rss_mb=a.max_rss, profile=a.profile)
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
