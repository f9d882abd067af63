"""Benchmark: page runs of the app (AppTest) against a province-sized database, page time vs DuckDB time.

    python bench/bench_pages.py                               # 200,000 projects x 5 years, 4 pages
    python bench/bench_pages.py --projects 20000 --pages overview,compare --profile
    python bench/bench_pages.py --pages all                   # every pages/*.py
    python bench/bench_pages.py --file bench/out/run/pages.duckdb --pages review --profile   # a row not held

A runner process imports the app's modules once (timed apart: a server's start-up), then forks one
process per page (so caches, the store and the peak RSS are that page's, as in a fresh server process
after its imports), which runs app.py with streamlit.testing AppTest, pointed at the database from
bench/build_db.py (PERFBOARD_DB), landing straight on the page, and times four runs:
  cold    first render in the process (every cache empty, the store opened)
  filter  one department picked in the sidebar (主管部门 multiselect): a cache miss for that filter
  year    the sidebar year moved one year back: a cache miss again
  rerun   a plain rerun with nothing changed: every state.load() a cache hit
then the same runs on an empty page in app.py's frame (bench/empty_page.py): the framework floor.
Each run reports wall seconds, process CPU seconds (all threads, DuckDB's included), the wall and CPU
seconds spent inside DuckDB (every execute and fetch through perfboard.db.Store's connection and its
cursors), the number of queries, the slowest queries, the process's peak RSS so far, the load average
and the cores other processes kept busy during the run (bench/machine.py).
Goal (issue 19): a rerun after a filter change costs at most the floor + 2x its DuckDB time; RSS < 1.5 GB
(judged in bench/run_all.py, on wall and on CPU). A page over --timeout CPU seconds (3x that on the wall)
or --max-rss is stopped alone."""
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

import machine  # noqa: E402

PAGES = {"overview": "pages/overview.py", "execution": "pages/execution.py",
         "deviations": "pages/deviations.py", "compare": "pages/compare.py"}
# Not in the default run (issue 9 names the four above), but benchable with --pages: pages with project pickers.
EXTRA_PAGES = {"history": "pages/history.py", "indicators_edit": "pages/indicators_edit.py",
               "reports": "pages/reports.py"}
TITLES = {"overview": "总览", "execution": "预算执行", "deviations": "偏离分析", "compare": "同比分析",
          "history": "修改记录", "indicators_edit": "指标填报", "reports": "报表导出"}
STEPS = ["cold", "filter", "year", "rerun"]
EXTRA_STEPS = ["uncomputed"]     # 自评复核 only (review_uncomputed)
WALL_FACTOR = 3.0        # a page is stopped at --timeout CPU seconds, or at this many times it on the wall
CHEAP_S = 0.5            # a filter / year step under this is repeated twice more (other departments / years)
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
        self.syncing = threading.local()            # inside PgStore.sync: the copy's statements are not page queries
        self.reset()

    def reset(self):
        self.seconds = 0.0
        self.cpu = 0.0                              # process CPU seconds while inside DuckDB (all its threads)
        self.count = 0
        self.slowest: dict[str, list] = {}        # label -> [seconds, calls]
        # PostgreSQL store (issue 16): PgStore.sync calls (the version check, and the copy when data moved)
        self.sync_seconds = self.sync_cpu = 0.0
        self.sync_calls = 0

    def add(self, label: str | None, seconds: float, is_query: bool, cpu: float = 0.0):
        if getattr(self.syncing, "on", False):
            return
        with self.lock:
            self.seconds += seconds
            self.cpu += cpu
            if is_query:
                self.count += 1
            if label:
                s = self.slowest.setdefault(label, [0.0, 0])
                s[0] += seconds
                s[1] += is_query

    def add_sync(self, seconds: float, cpu: float) -> None:
        with self.lock:
            self.sync_seconds += seconds
            self.sync_cpu += cpu
            self.sync_calls += 1

    def sync_figures(self) -> dict:
        """The PgStore.sync figures of a step (nothing on a DuckDB file)."""
        if not self.sync_calls:
            return {}
        return {"sync_seconds": round(self.sync_seconds, 4), "sync_cpu": round(self.sync_cpu, 4),
                "sync_calls": self.sync_calls}

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
        t, c = time.perf_counter(), time.process_time()
        try:
            return what(*a, **k)
        finally:
            self._stats.add(label, time.perf_counter() - t, is_query, time.process_time() - c)

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
            # the script threads only: the app's own background threads (the snapshot server waiting on its
            # socket, the warm-up) would be counted as the page's time while they sleep
            names = {t.ident: t.name for t in threading.enumerate()}
            for tid, frame in sys._current_frames().items():
                if tid in self._ignore or not names.get(tid, "").startswith("ScriptRunner"):
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
    """Every Store opened from now on runs its SQL through a TimedConnection. A PostgreSQL store (PgStore:
    the pages read its in-memory DuckDB copy) is wrapped too, and its sync() (the version check on
    PostgreSQL, and the copy of what changed) is timed apart: stats.sync_*, not counted as page queries."""
    from perfboard import db
    for cls in (db.Store, db.PgStore):
        original = cls.__dict__["__init__"]

        def init(self, *a, _original=original, **k):
            _original(self, *a, **k)
            if not isinstance(self.con, TimedConnection):
                self.con = TimedConnection(self.con, stats)

        cls.__init__ = init
    sync = db.PgStore.sync

    def timed_sync(self):
        t, c = time.perf_counter(), time.process_time()
        stats.syncing.on = True
        try:
            return sync(self)
        finally:
            stats.syncing.on = False
            stats.add_sync(time.perf_counter() - t, time.process_time() - c)

    db.PgStore.sync = timed_sync


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


def _server_script_cache() -> None:
    """AppTest (1.67) compiles app.py and the page again on every run, with ScriptCaches of its own each
    time (the page's in AppTest._run, app.py's in LocalScriptRunner); a server compiles a script once (its
    Runtime's ScriptCache, shared by every session and rerun). One cache per process here, as
    bench_load.app_frame does, so a rerun is timed as a server runs it: the first (cold) run still compiles."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner
    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


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
          profile: bool = False, floor_department: str | None = None, max_rss_mb: float = 6_000,
          more_departments: list[str] = (), more_years: list[int] = ()) -> None:
    """The page runner: Python imports once (timed apart: a server's start-up, not a page's render), then
    one forked process per page, so every page starts as a fresh server process would after its imports
    (empty caches, the store opened by the page, its own peak memory) without paying the imports again.
    In that process: the page's four timed runs, then the empty page's runs (the framework floor of
    that process). A page over `timeout` seconds or `max_rss_mb` is stopped and reported with the steps
    it finished; the next page still runs. Results are written to `out` after each step."""
    os.environ["PERFBOARD_DB"] = db
    # The app's background warm-up (ui.state.warm_up) would run its matching queries on another thread
    # during the timed runs and be counted as this page's DuckDB time; the bench measures the page alone.
    os.environ["PERFBOARD_WARM"] = "0"
    stats = QueryStats()
    instrument(stats)
    _frame_navigation()
    multi = {"pages": {}, "load_start": load_avg(), "pid": os.getpid(), "floors": {}, "floors_cpu": {}}

    def save():
        tmp = Path(out + ".tmp")
        tmp.write_text(json.dumps(multi, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(out)

    t = time.perf_counter()
    warm_imports()
    from streamlit.testing.v1 import AppTest  # noqa: F401  (imported before the forks)
    _server_script_cache()
    multi["import_seconds"] = round(time.perf_counter() - t, 2)
    all_paths = {**PAGES, **EXTRA_PAGES, **all_pages()}
    for page in pages:
        if page not in all_paths:
            raise SystemExit(f"unknown page {page!r}; pages: {sorted(all_paths)}")
    save()
    for page in pages:
        part = f"{out}.{page}"
        Path(part).unlink(missing_ok=True)
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:                      # the page's own process
            code = 0
            try:
                _page_process(page, all_paths[page], db, year, base_year, department, part, timeout, profile,
                              floor_department, stats, more_departments, more_years)
            except BaseException as exc:  # noqa: BLE001 - reported to the runner through the result file
                code = 3
                try:
                    r = json.loads(Path(part).read_text(encoding="utf-8")) if Path(part).exists() else {"pages": {}}
                    msg = (str(exc) if isinstance(exc, SystemExit) else repr(exc))[-1500:]
                    if "timed out" in msg:          # AppTest's own wall limit (WALL_FACTOR x timeout)
                        msg = f"timeout: stopped, {msg}"
                    r.setdefault("pages", {}).setdefault(page, {"page": page, "steps": {}})["error"] = msg
                    Path(part).write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
                except Exception:
                    pass
            finally:
                os._exit(code)
        err, peak = None, 0.0
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            rss, cpu = _proc_rss_mb(pid), _proc_cpu(pid)
            peak, elapsed = max(peak, rss), time.perf_counter() - t0
            if rss > max_rss_mb:
                os.kill(pid, 9)
                err = f"stopped: RSS {rss:,.0f} MB above the bench's limit of {max_rss_mb:,.0f} MB"
            elif cpu > timeout or elapsed > WALL_FACTOR * timeout:     # CPU: a busy machine does not stop a page
                os.kill(pid, 9)
                err = f"timeout: stopped after {elapsed:.0f} s ({cpu:.0f} s CPU)"
            if err:
                os.waitpid(pid, 0)
                break
            time.sleep(0.1)
        r = json.loads(Path(part).read_text(encoding="utf-8")) if Path(part).exists() else {"pages": {}}
        Path(part).unlink(missing_ok=True)
        res = r.get("pages", {}).get(page) or {"page": page, "steps": {}}
        res["process_seconds"] = round(time.perf_counter() - t0, 2)
        res["polled_peak_rss_mb"] = round(peak, 1)
        res.setdefault("peak_rss_mb", round(peak, 1))
        if err:
            res["error"] = err
        elif not done or status:
            res.setdefault("error", f"page process ended with status {status}")
        multi["pages"][page] = res
        if r.get("floor"):
            multi["floors"][page], multi["floors_cpu"][page] = r["floor"], r["floor_cpu"]
            multi["floor"], multi["floor_cpu"] = r["floor"], r["floor_cpu"]      # the last page's, for one-page runs
        multi["peak_rss_mb"] = max(multi.get("peak_rss_mb", 0.0), res.get("peak_rss_mb") or 0.0)
        save()


def page_steps(page: str, path: str, title: str, dept: str, *, db: str, year: int, base_year: int | None,
               stats: "QueryStats", sink: dict, save, timeout: float, sampler: "Sampler | None" = None,
               more_departments: list[str] = (), more_years: list[int] = (), extra=None) -> dict:
    """One page in app.py's frame with AppTest, in this process: cold, filter (a department), year (one back),
    rerun; each step's wall, CPU, DuckDB seconds, RSS, load and others. The result is put in sink[page] before
    the first step (so a page stopped later keeps the steps it finished); `save()` is called after each step.
    `extra(at, step, shown)`, when given, runs more steps after "rerun" (shown: the year and department the
    page shows then); `step(name, action)` times one."""
    from streamlit.testing.v1 import AppTest

    from ui.state import K_DEPTS, K_YEAR
    result = {"page": page, "db": db, "year": year, "department": dept, "steps": {},
              "load_start": load_avg(), "pid": os.getpid()}
    sink[page] = result
    shown = {"year": year, "department": None}
    b0, c0, t0 = machine.busy_seconds(), time.process_time(), time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=WALL_FACTOR * timeout)     # the wall cap
    at.session_state[K_YEAR] = year
    if path != "pages/overview.py":
        at.switch_page(path)

    def step(name: str, action) -> None:
        stats.reset()
        if sampler:
            sampler.reset()
        b, c, t = machine.busy_seconds(), time.process_time(), time.perf_counter()
        action()
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        others = machine.others_cores(b, machine.busy_seconds(), cpu, wall)
        errors = [str(e.value)[:300] for e in at.exception]
        titles = [t.value for t in at.title]
        result["steps"][name] = {
            "seconds": round(wall, 4), "cpu": round(cpu, 4), "query_seconds": round(stats.seconds, 4),
            "query_cpu": round(stats.cpu, 4), "queries": stats.count,
            "ratio": round(wall / stats.seconds, 2) if stats.seconds else None,
            "rss_mb": round(_rss_mb(), 1), "errors": errors, "title": titles[0] if titles else None,
            "slowest": stats.top(), "load": load_avg(), "others": others, **stats.sync_figures(),
        }
        if sampler:
            result["steps"][name]["profile"] = sampler.report()
        save()
        if errors:
            raise SystemExit(f"{page} {name}: {errors}")
        if not (titles and titles[0].startswith(title)):
            raise SystemExit(f"{page} {name}: landed on {titles[:1]}, not on {title}")

    def repeated(name: str, action, values: list) -> None:
        """The step with values[0]; when that took under CHEAP_S, again with each further value (another
        cache miss each) and the median run kept: a few milliseconds of noise decide a cheap page's row."""
        step(name, lambda: action(values[0]))
        runs = [result["steps"][name]]
        if runs[0]["seconds"] < CHEAP_S:
            for i, v in enumerate(values[1:], 2):
                step(f"{name}#{i}", lambda v=v: action(v))
                runs.append(result["steps"].pop(f"{name}#{i}"))
        if len(runs) > 1:
            keep = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
            keep["repeats"] = [{"seconds": r["seconds"], "cpu": r["cpu"], "query_seconds": r["query_seconds"]}
                               for r in runs]
            result["steps"][name] = keep
            save()

    def pick_department(d):
        shown["department"] = d
        at.multiselect(key=K_DEPTS).set_value([d]).run()

    def pick_year(y):
        shown["year"] = y
        at.selectbox(key=K_YEAR).set_value(y).run()

    step("cold", lambda: at.run())
    repeated("filter", pick_department, [dept, *more_departments])
    if base_year is not None:
        repeated("year", pick_year, [base_year, *more_years])
    step("rerun", lambda: at.run())
    # the page's peak over its four runs: an extra step (e.g. 自评复核's "uncomputed") reports its own rss_mb
    result["peak_rss_mb"] = round(_rss_mb(), 1)
    if extra:
        extra(at, step, dict(shown))
        result["peak_rss_mb_with_extra"] = round(_rss_mb(), 1)
    # the other processes' cores over the page's whole run: /proc/stat counts in 10 ms ticks, too coarse
    # for a step of a few tens of milliseconds
    result["others"] = machine.others_cores(b0, machine.busy_seconds(), time.process_time() - c0,
                                            time.perf_counter() - t0)
    result["load_end"] = load_avg()
    save()
    return result


def review_uncomputed(db: str, year: int):
    """自评复核's extra step "uncomputed": the sidebar moved back to `year` after its stored findings were removed
    (untimed), so the page computes them, as it does for a year nobody computed yet (a database whose warm-up
    has not reached that year, or any write since: every year is stale until the next warm-up). The bench
    database has every year's findings stored (build_db.warm_after_import), so the "year" step reads them."""
    def extra(at, step, shown):
        from ui.state import K_YEAR
        from ui.state import store as page_store
        store = page_store()              # the page's own store (st.cache_resource of this process)
        with store.transaction(bump_version=False) as cur:
            cur.execute("DELETE FROM review_findings_runs WHERE year = ?", [year])
            cur.execute("DELETE FROM review_findings WHERE year = ?", [year])
        step("uncomputed", lambda: at.selectbox(key=K_YEAR).set_value(year).run())
    return extra


def _page_process(page: str, path: str, db: str, year: int, base_year: int | None, department: str, out: str,
                  timeout: float, profile: bool, floor_department: str | None, stats: "QueryStats",
                  more_departments: list[str] = (), more_years: list[int] = ()) -> None:
    """Runs in the page's forked process: the page's steps, then the empty page's (the floor)."""
    sampler = Sampler() if profile else None
    if sampler:
        sampler.start()
    multi = {"pages": {}, "pid": os.getpid()}

    def save():
        Path(out).write_text(json.dumps(multi, ensure_ascii=False, indent=1), encoding="utf-8")

    common = dict(db=db, year=year, base_year=base_year, stats=stats, sink=multi["pages"], save=save,
                  timeout=timeout, sampler=sampler, more_departments=more_departments, more_years=more_years)
    page_steps(page, path, TITLES.get(page, ""), department, **common,
               extra=review_uncomputed(db, year) if page == "review" else None)
    # the framework floor: the same runs on the empty page, in this process, after the page
    floor = page_steps("(empty page)", EMPTY_PAGE, EMPTY_TITLE, floor_department or department, **common)
    multi["floor"] = {k: v["seconds"] for k, v in floor["steps"].items()}
    multi["floor_cpu"] = {k: v["cpu"] for k, v in floor["steps"].items()}
    multi["pages"][page]["floor"], multi["pages"][page]["floor_cpu"] = multi["floor"], multi["floor_cpu"]
    save()


# ---------------------------------------------------------------- the parent
def _pick(db: str) -> tuple[int, int | None, str]:
    """Latest year, the one before it, and the department with the most projects that year."""
    years, depts = _choices(db)
    return years[0], (years[1] if len(years) > 1 else None), depts[0]


def _choices(db: str) -> tuple[list[int], list[str]]:
    """The years, latest first, and the three departments with the most projects in the latest year."""
    import duckdb
    con = duckdb.connect(db, read_only=True)
    try:
        years = [r[0] for r in con.execute("SELECT DISTINCT year FROM projects ORDER BY year DESC").fetchall()]
        depts = [r[0] for r in con.execute("SELECT department FROM projects WHERE year = ? GROUP BY department "
                                           "ORDER BY count(*) DESC, department LIMIT 3", [years[0]]).fetchall()]
    finally:
        con.close()
    return years, depts


def _proc_cpu(pid: int) -> float:
    """User + system seconds of a process so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _proc_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_pages(pages: list[str], db: str, timeout: float = 900, max_rss_mb: float = 6_000, profile: bool = False,
              year: int | None = None, base_year: int | None = None, department: str | None = None) -> dict:
    """`pages` in one fresh runner process (imports once), each page in a process of its own forked from it
    (its own session, caches, store and peak memory) followed by the empty page (the floor of that process).
    `timeout` and `max_rss_mb` are per page: a page over either is stopped, reported with the steps it
    finished, and the next page runs. Returns {"pages": {name: result (with its floor)}, "floor": ...}.
    year / base_year / department default to _pick's (the latest year, the one before, the biggest department)."""
    years, depts = _choices(db)
    repeat = year is None and base_year is None and department is None     # the default picks: cheap steps repeated
    year, department = year or years[0], department or depts[0]
    base_year = base_year if base_year is not None else (years[1] if len(years) > 1 else None)
    more_depts = [d for d in depts if d != department][:2] if repeat else []
    more_years = [y for y in years if base_year is not None and y < base_year][:2] if repeat else []
    out = Path(db).with_name(f"pages-{pages[0]}-{os.getpid()}.json")
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", ",".join(pages), "--db", db, "--year", str(year),
           "--department", department, "--json", str(out), "--timeout", str(timeout), "--max-rss", str(max_rss_mb)]
    if base_year is not None:
        cmd += ["--base-year", str(base_year)]
    if more_depts:
        cmd += ["--more-departments", "\t".join(more_depts)]
    if more_years:
        cmd += ["--more-years", ",".join(map(str, more_years))]
    if profile:
        cmd += ["--profile"]
    t = time.perf_counter()
    err = None
    limit = 120 + WALL_FACTOR * timeout * len(pages)     # the runner's imports, then every page at most its own
    log = out.with_suffix(".log")
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT))
        while proc.poll() is None:
            if time.perf_counter() - t > limit:
                proc.kill()
                err = f"timeout: the page runner stopped after {limit:.0f} s"
            time.sleep(0.25)
    if proc.returncode and not err:
        err = log.read_text(encoding="utf-8", errors="replace")[-1500:]
    log.unlink(missing_ok=True)
    res = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"pages": {}}
    out.unlink(missing_ok=True)
    for extra in out.parent.glob(out.name + ".*"):
        extra.unlink(missing_ok=True)
    res["process_seconds"] = round(time.perf_counter() - t, 1)
    res["polled_peak_rss_mb"] = max([r.get("polled_peak_rss_mb") or 0.0 for r in res["pages"].values()] or [0.0])
    for page in pages:                      # a page the runner never reached
        r = res["pages"].setdefault(page, {"page": page, "steps": {}})
        if err and "process_seconds" not in r:
            r["error"] = err
    if err:
        res["error"] = err
    return res


def run_page(page: str, db: str, timeout: float = 900, max_rss_mb: float = 6_000, profile: bool = False,
             **kw) -> dict:
    """One page in its own process; its result, with the floor of that process and its polled peak RSS."""
    res = run_pages([page], db, timeout, max_rss_mb, profile, **kw)
    r = res["pages"][page]
    r.setdefault("floor", res.get("floor"))
    r.setdefault("floor_cpu", res.get("floor_cpu"))
    r["import_seconds"] = res.get("import_seconds")
    if res.get("error"):
        r.setdefault("error", res["error"])
    return r


def run(projects: int = 200_000, years: int = 5, departments: int = 60, seed: int = 7,
        pages: list[str] | None = None, timeout: float = 900, quiet: bool = False,
        max_rss_mb: float = 6_000, out: Path | None = None, profile: bool = False, file: str | None = None) -> dict:
    import build_db
    info = ({"path": file, "bytes": Path(file).stat().st_size, "cached": True} if file else
            build_db.ensure(projects, years, departments, seed, quiet=quiet, out=out))
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
    for name in STEPS + EXTRA_STEPS:
        s = r["steps"].get(name)
        if s:
            ratio = f"{s['ratio']:.1f}x" if s["ratio"] else "-"
            print(f"  {name:<8}{s['seconds']:>9.2f}{s['cpu']:>9.2f}{s['query_seconds']:>9.2f}{ratio:>8}"
                  f"{s['queries']:>9}{s['rss_mb']:>9.0f}")
    for name in STEPS + EXTRA_STEPS:
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
    ap.add_argument("--max-rss", type=float, default=6_000, help="stop a page above this RSS (MB)")
    ap.add_argument("--profile", action="store_true",
                    help="sample the page's stack every 5 ms and list the hottest project functions per run")
    ap.add_argument("--out", help="write the results as JSON here")
    ap.add_argument("--file", help="an existing database instead of building one, e.g. bench/out/run/pages.duckdb "
                                   "(the pages may store caches in it: give a copy)")
    ap.add_argument("--cache", help="where build_db keeps its databases (default bench/out)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--year", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--base-year", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--department", help=argparse.SUPPRESS)
    ap.add_argument("--more-departments", default="", help=argparse.SUPPRESS)
    ap.add_argument("--more-years", default="", help=argparse.SUPPRESS)
    ap.add_argument("--json", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child.split(","), a.db, a.year, a.base_year, a.department, a.json, a.timeout, a.profile,
              max_rss_mb=a.max_rss, more_departments=[d for d in a.more_departments.split("\t") if d],
              more_years=[int(y) for y in a.more_years.split(",") if y])
        return
    res = run(a.projects, a.years, a.departments, a.seed, [p for p in a.pages.split(",") if p], a.timeout,
              max_rss_mb=a.max_rss, profile=a.profile, file=a.file, out=Path(a.cache) if a.cache else None)
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
