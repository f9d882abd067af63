"""Load: many sessions browsing while one session imports a file and another saves indicator edits.

    python bench/bench_load.py [--readers 20] [--saves 40] [--rounds 6] [--quick]

The scenario (also run, shorter, by tests/test_load.py) in one process, as a Streamlit server runs it:
  * `readers` sessions, each an AppTest of app.py in its own thread (the same process-wide cached
    Store, the same st.cache_data, a DuckDB cursor per call), browse 总览 -> 预算执行 -> 偏离分析 ->
    修改记录 -> 同比分析 -> 总览 ... and, each round, read the totals in one transaction of their own;
  * one editor saves `saves` indicator edits (editing.save, as the 指标填报 page does), one field each,
    on one project, a few milliseconds apart;
  * one importer, once every reader has shown its first page, commits a workbook of a department
    the database does not hold yet (importer.prepare + commit, as the 数据导入 page does).

Checked: no exception or error element on any page; every 总览 shows the six figures (value and delta)
of the data before the import or after it, nothing else; every snapshot read (projects, budget, spent,
indicators of the year; saves vs audit rows) is the before or the after state and saves == audit rows;
afterwards every save is in saves/audit_log and every indicator holds the last value saved for it.
Latency is wall time of one AppTest run (one page render, server side: no browser, no network).
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

APP = str(ROOT / "app.py")
YEAR = 2024
NEW_DEPARTMENT = "张掖市负载测试局"
EDIT_PROJECT = "2024 年招商引资"
EDITOR = "负载测试编辑"
PAGES = ["pages/overview.py", "pages/execution.py", "pages/deviations.py", "pages/history.py", "pages/compare.py"]
PAGE_ZH = {"pages/overview.py": "总览", "pages/execution.py": "预算执行", "pages/deviations.py": "偏离分析",
           "pages/history.py": "修改记录", "pages/compare.py": "同比分析"}
SNAPSHOT_SQL = [
    "SELECT count(*), round(sum(budget), 4), round(sum(spent), 4) FROM projects WHERE year = ?",
    "SELECT count(*) FROM indicators i JOIN projects p ON p.id = i.project_id WHERE p.year = ?",
]


@dataclass
class Result:
    latencies: dict = field(default_factory=dict)      # page title -> [seconds]
    cpu: dict = field(default_factory=dict)            # page title -> [CPU seconds of the render's script thread]
    errors: list = field(default_factory=list)
    overview_seen: dict = field(default_factory=lambda: {"before": 0, "after": 0})
    snapshots_seen: dict = field(default_factory=lambda: {"before": 0, "after": 0})
    saves_done: int = 0
    wall: float = 0.0
    import_at: float | None = None

    def percentiles(self) -> dict:
        out = {}
        for page, xs in sorted(self.latencies.items()):
            xs = sorted(xs)
            q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) > 1 else [xs[0]] * 99
            out[page] = {"n": len(xs), "p50": q[49], "p90": q[89], "p99": q[98], "max": xs[-1]}
            cpu = self.cpu.get(page) or []
            if cpu:
                out[page].update(cpu_mean=statistics.fmean(cpu), cpu_sum=sum(cpu))
        return out


@contextmanager
def app_frame():
    """AppTest instances in threads, sharing the process as sessions of one server do.

    AppTest (1.67) was written for one run at a time: each run swaps a mock Runtime into the global
    Runtime._instance and sets it back to None, resets the class attribute
    PagesManager.uses_pages_directory, patches the config option global.appTest, and compiles the
    scripts with private ScriptCaches (the page's in AppTest._run, app.py's in LocalScriptRunner; and
    ast.parse is not thread-safe in CPython 3.11). A server has one Runtime and one ScriptCache. So here: one shared mock Runtime whenever none is set, one ScriptCache,
    global.appTest on throughout, and the legacy pages/ folder path off (as st.navigation does in a
    server; see tests/dashboard_helpers.frame). None of this touches the app or the database."""
    from unittest.mock import MagicMock

    from streamlit import config
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = MagicMock(spec=Runtime)
    shared.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    shared.cache_storage_manager = MemoryCacheStorageManager()
    shared.dataframe_source_mgr = DataframeSourceManager()
    script_cache = ScriptCache()
    import ast
    parse, parse_lock = ast.parse, threading.RLock()

    def locked_parse(*args, **kwargs):      # CPython 3.11's parser state is not thread-safe (tracebacks call it too)
        with parse_lock:
            return parse(*args, **kwargs)

    class ServerPagesManager(PagesManager):
        pass                      # AppTest resets *this* class's flag; the one the runtime reads stays False

    saved = (Runtime.__dict__["instance"], Runtime.__dict__["exists"], PagesManager.__init__,
             app_test.PagesManager, app_test.ScriptCache, config.get_option("global.appTest"),
             local_script_runner.ScriptCache)
    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    ast.parse = locked_parse
    Runtime.instance = classmethod(lambda cls: cls._instance if cls._instance is not None else shared)
    Runtime.exists = classmethod(lambda cls: True)
    PagesManager.__init__ = init
    PagesManager.uses_pages_directory = False
    app_test.PagesManager = ServerPagesManager
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: script_cache     # app.py's runner too
    config.set_option("global.appTest", True)
    try:
        yield
    finally:
        ast.parse = parse
        Runtime.instance, Runtime.exists = saved[0], saved[1]
        PagesManager.__init__ = saved[2]
        app_test.PagesManager, app_test.ScriptCache, local_script_runner.ScriptCache = saved[3], saved[4], saved[6]
        config.set_option("global.appTest", saved[5])
        PagesManager.uses_pages_directory = None


def make_import_bytes() -> tuple[str, bytes]:
    from perfboard.sample import sample_files
    src = next(p for p in sample_files() if "2024" in p.name)
    return "负载测试-2024.xlsx", src.read_bytes()


def _metrics(at) -> tuple:
    return tuple((m.label, m.value, m.delta) for m in at.metric)


def _snapshot(store) -> tuple:
    """Projects/budget/spent/indicators of the year and the saves/audit counts, in one transaction."""
    cur = store.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        figures = tuple(cur.execute(SNAPSHOT_SQL[0], [YEAR]).fetchall()[0]) + \
            tuple(cur.execute(SNAPSHOT_SQL[1], [YEAR]).fetchall()[0])
        saves = cur.execute("SELECT count(*) FROM saves").fetchall()[0][0]
        audits = cur.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
        cur.execute("COMMIT")
    finally:
        cur.close()
    return figures, saves, audits


_SCRIPT_CPU: dict[int, float] = {}      # thread that ran AppTest.run -> CPU seconds of the script threads it started
_CPU_LOCK = threading.Lock()


@contextmanager
def script_cpu():
    """Count every AppTest script run's CPU seconds (time.thread_time of its script thread: the page's Python
    and the DuckDB calls made on that thread) against the session thread that ran it: where a loaded
    process's CPU goes, page by page (the wall of a render under load is mostly waiting for the GIL)."""
    from streamlit.testing.v1.local_script_runner import LocalScriptRunner
    init, run_thread = LocalScriptRunner.__init__, LocalScriptRunner._run_script_thread

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._bench_owner = threading.get_ident()

    def _run_script_thread(self):
        t = time.thread_time()
        try:
            run_thread(self)
        finally:
            owner = getattr(self, "_bench_owner", None)
            with _CPU_LOCK:
                _SCRIPT_CPU[owner] = _SCRIPT_CPU.get(owner, 0.0) + time.thread_time() - t

    LocalScriptRunner.__init__, LocalScriptRunner._run_script_thread = __init__, _run_script_thread
    try:
        yield
    finally:
        LocalScriptRunner.__init__, LocalScriptRunner._run_script_thread = init, run_thread


def _script_cpu_so_far() -> float:
    with _CPU_LOCK:
        return _SCRIPT_CPU.get(threading.get_ident(), 0.0)


def _run_page(at, page: str | None, result: Result, lock: threading.Lock):
    t0, c0 = time.perf_counter(), _script_cpu_so_far()
    (at if page is None else at.switch_page(page)).run()
    dt, cpu = time.perf_counter() - t0, _script_cpu_so_far() - c0
    title = PAGE_ZH[page or PAGES[0]]
    with lock:
        result.latencies.setdefault(title, []).append(dt)
        result.cpu.setdefault(title, []).append(cpu)
        if at.exception:
            result.errors.append(f"{title}: exception {[e.value for e in at.exception][:1]}")
        if at.error:
            result.errors.append(f"{title}: error {[e.value for e in at.error][:1]}")
    return at


def expected_states(db_path: Path, work: Path) -> dict:
    """The 总览 figures and the snapshot before and after the import, computed on copies of the file."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from perfboard import importer
    from perfboard.db import Store
    from ui.state import K_YEAR

    name, data = make_import_bytes()
    out = {}
    for label in ("before", "after"):
        copy = work / f"{label}.duckdb"
        shutil.copy(db_path, copy)
        s = Store(copy)
        if label == "after":
            plan = importer.prepare(s, [(name, data)], department=NEW_DEPARTMENT)
            assert plan.ok, plan.report.to_frame()
            importer.commit(s, plan)
        out[label + "_snapshot"] = _snapshot(s)[0]
        s.close()
        os.environ["PERFBOARD_DB"] = str(copy)
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state[K_YEAR] = YEAR
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        out[label] = _metrics(at)
    return out


def scenario(db_path: str | os.PathLike, readers: int = 20, saves: int = 20, rounds: int = 2,
             pages: list[str] = PAGES, seed: int = 0) -> tuple[Result, dict]:
    """Run the scenario against a copy-free database file holding the sample (and nothing of
    NEW_DEPARTMENT). Returns the result and the expected before/after states."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from perfboard import editing, importer
    from ui import state as ui_state
    from ui.state import K_YEAR

    db_path = Path(db_path)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, app_frame(), script_cpu():
        expect = expected_states(db_path, Path(tmp))
        assert expect["before"] != expect["after"] and expect["before_snapshot"] != expect["after_snapshot"]
        os.environ["PERFBOARD_DB"] = str(db_path)
        st.cache_resource.clear()
        st.cache_data.clear()
        store = ui_state._open_store(str(db_path))       # the very Store the sessions use
        name, data = make_import_bytes()
        plan = importer.prepare(store, [(name, data)], department=NEW_DEPARTMENT)
        assert plan.ok, plan.report.to_frame()
        pid = int(store.scalar("SELECT id FROM projects WHERE year = ? AND name = ?", [YEAR, EDIT_PROJECT]))
        base_saves = int(store.scalar("SELECT count(*) FROM saves"))
        base_audit = int(store.scalar("SELECT count(*) FROM audit_log"))

        result = Result()
        lock = threading.Lock()
        first_pages = threading.Barrier(readers + 1)
        imported = threading.Event()
        editing_done = threading.Event()
        written: dict[int, str] = {}            # indicator id -> last deviation_note saved

        def classify_overview(at, where: str):
            m = _metrics(at)
            with lock:
                if m == expect["before"]:
                    result.overview_seen["before"] += 1
                elif m == expect["after"]:
                    result.overview_seen["after"] += 1
                else:
                    result.errors.append(f"{where}: 总览 shows a mix: {m}")

        def classify_snapshot(where: str):
            figures, n_saves, n_audit = _snapshot(store)
            with lock:
                key = "before" if figures == expect["before_snapshot"] else \
                    "after" if figures == expect["after_snapshot"] else None
                if key is None:
                    result.errors.append(f"{where}: snapshot is neither before nor after: {figures}")
                else:
                    result.snapshots_seen[key] += 1
                if n_saves - base_saves != n_audit - base_audit:
                    result.errors.append(f"{where}: half a save: {n_saves} saves, {n_audit} audit rows")

        def reader(i: int):
            try:
                at = AppTest.from_file(APP, default_timeout=300)
                at.session_state[K_YEAR] = YEAR
                _run_page(at, None, result, lock)
                classify_overview(at, f"reader {i} first")
                first_pages.wait(timeout=600)
                order = pages[1:] + pages[:1]
                done, after_import = 0, False
                while True:
                    started_after = imported.is_set()
                    for page in rng_pages(order, i):
                        _run_page(at, page, result, lock)
                        if page == PAGES[0]:
                            classify_overview(at, f"reader {i}")
                    classify_snapshot(f"reader {i}")
                    done += 1
                    after_import = after_import or started_after
                    if done >= rounds and after_import and editing_done.is_set():
                        break
            except Exception as exc:          # noqa: BLE001 -- every failure is reported, none is lost
                with lock:
                    result.errors.append(f"reader {i}: {type(exc).__name__}: {exc}")
                try:
                    first_pages.abort()
                except threading.BrokenBarrierError:
                    pass

        def watcher():
            # a domain reader in a tight loop: one-transaction snapshots and summary() totals, through the commit
            from perfboard.filters import Filters
            from perfboard.summary import summary
            try:
                while not (imported.is_set() and editing_done.is_set()):
                    classify_snapshot("watcher")
                    s = summary(store, Filters(year=YEAR))
                    totals = (s["projects"], round(s["budget_wan"], 4), round(s["spent_wan"], 4))
                    if totals not in (expect["before_snapshot"][:3], expect["after_snapshot"][:3]):
                        with lock:
                            result.errors.append(f"watcher: summary() is neither before nor after: {totals}")
                    time.sleep(0.005)
            except Exception as exc:          # noqa: BLE001
                with lock:
                    result.errors.append(f"watcher: {type(exc).__name__}: {exc}")

        def rng_pages(order, i):
            # every session visits every page each round, starting at a different one
            k = i % len(order)
            return order[k:] + order[:k]

        def editor():
            try:
                for k in range(saves):
                    st_ = editing.load_state(store, pid)
                    rows = st_.rows()
                    j = k % len(rows)
                    text = f"负载测试第 {k + 1} 次保存"
                    rows[j] = dict(rows[j], deviation_note=text)
                    res = editing.save(store, st_, st_.fields(), rows, user=EDITOR)
                    assert res.save_id is not None and res.changes == 1, res
                    with lock:
                        written[int(rows[j]["id"])] = text
                        result.saves_done += 1
                    time.sleep(rng.uniform(0.0, 0.05))
            except Exception as exc:          # noqa: BLE001
                with lock:
                    result.errors.append(f"editor: {type(exc).__name__}: {exc}")
            finally:
                editing_done.set()

        def importer_session():
            try:
                first_pages.wait(timeout=600)
                time.sleep(0.2)
                importer.commit(store, plan)
                result.import_at = time.perf_counter() - t_start
            except Exception as exc:          # noqa: BLE001
                with lock:
                    result.errors.append(f"importer: {type(exc).__name__}: {exc}")
            finally:
                imported.set()

        t_start = time.perf_counter()
        threads = [threading.Thread(target=reader, args=(i,), name=f"reader-{i}") for i in range(readers)]
        threads += [threading.Thread(target=editor, name="editor"), threading.Thread(target=importer_session, name="importer"),
                    threading.Thread(target=watcher, name="watcher")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        result.wall = time.perf_counter() - t_start

        # afterwards: every edit is there, once, with its user, and the import is whole
        new_saves = store.sql_df("SELECT s.id, s.user_name, a.indicator_id, a.field, a.new_value FROM saves s "
                                 "JOIN audit_log a ON a.save_id = s.id WHERE s.id > ? ORDER BY s.id", [base_saves])
        if len(new_saves) != result.saves_done or set(new_saves["user_name"]) - {EDITOR}:
            result.errors.append(f"saves recorded {len(new_saves)} != saves done {result.saves_done}")
        for iid, text in written.items():
            got = store.scalar("SELECT deviation_note FROM indicators WHERE id = ?", [iid])
            if got != text:
                result.errors.append(f"lost edit: indicator {iid} holds {got!r}, last saved {text!r}")
        if _snapshot(store)[0] != expect["after_snapshot"]:
            result.errors.append("the import is not whole afterwards")
    return result, expect


def _fresh_sample_db(folder: Path) -> Path:
    from perfboard.db import Store
    from perfboard.sample import load_sample
    path = folder / "load.duckdb"
    s = Store(path)
    assert load_sample(s).ok
    s.set_setting("sample_offered", True)
    s.close()
    return path


GOAL_P99 = 3.0       # seconds per page render, 20 sessions at once (issue 19; issue 10 had 10 s)


def every_page() -> list[str]:
    """Every page script of the app (overview first: the scenario classifies its figures), titles in PAGE_ZH."""
    sys.path.insert(0, str(HERE))
    import bench_pages
    names = bench_pages.all_pages()
    for name, path in names.items():
        PAGE_ZH.setdefault(path, bench_pages.TITLES.get(name, name))
    paths = list(names.values())
    return [PAGES[0]] + [p for p in paths if p != PAGES[0]]


def single_session(db_path: Path, rounds: int = 3, pages: list[str] = PAGES) -> dict:
    """Median render time per page for one session alone, the data version bumped before each round so
    every round computes afresh (as after a save). The baseline the loaded percentiles compare with."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from perfboard.db import Store  # noqa: F401
    from ui import state as ui_state
    from ui.state import K_YEAR

    os.environ["PERFBOARD_DB"] = str(db_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    times: dict = {}
    cpus: dict = {}
    with app_frame(), script_cpu():
        store = ui_state._open_store(str(db_path))
        at = AppTest.from_file(APP, default_timeout=300)
        at.session_state[K_YEAR] = YEAR
        at.run()
        for _ in range(rounds):
            with store.transaction() as cur:        # a new data and figures version: cached reads start over
                cur.execute("UPDATE settings SET value = value WHERE false")   # (a write no notes-only one)
            for page in pages:
                t0, c0 = time.perf_counter(), _script_cpu_so_far()
                at.switch_page(page).run()
                times.setdefault(PAGE_ZH[page], []).append(time.perf_counter() - t0)
                cpus.setdefault(PAGE_ZH[page], []).append(_script_cpu_so_far() - c0)
        st.cache_resource.clear()
    single_session.cpu = {page: statistics.median(xs) for page, xs in cpus.items()}     # read by run()
    return {page: statistics.median(xs) for page, xs in times.items()}


def run(quick: bool = False, readers: int | None = None, saves: int | None = None, rounds: int | None = None,
        pages: list[str] | None = None, alone_rounds: int | None = None) -> list[dict]:
    d_readers, d_saves, d_rounds = (20, 20, 2) if quick else (20, 60, 6)
    readers, saves, rounds = readers or d_readers, saves or d_saves, rounds or d_rounds
    pages = pages or PAGES
    with tempfile.TemporaryDirectory() as tmp:
        db = _fresh_sample_db(Path(tmp))
        alone = single_session(db, rounds=alone_rounds or (1 if quick else 3), pages=pages)
        result, _ = scenario(db, readers=readers, saves=saves, rounds=rounds, pages=pages)
    rows = []
    for page, p in result.percentiles().items():
        rows.append({"benchmark": f"load: {page} render, {readers} sessions + import + {saves} saves (p50/p90/p99/max s)",
                     "measured": f"{p['p50']:.3f}/{p['p90']:.3f}/{p['p99']:.3f}/{p['max']:.3f} (n={p['n']})",
                     "baseline": f"{alone.get(page, float('nan')):.3f} s median, one session alone",
                     "goal": f"p99 < {GOAL_P99:g} s, no errors", "met": p["p99"] < GOAL_P99 and not result.errors,
                     "page": page, "p99": p["p99"], "n": p["n"], "alone": alone.get(page),
                     "cpu_mean": p.get("cpu_mean"), "cpu_sum": p.get("cpu_sum"),
                     "alone_cpu": getattr(single_session, "cpu", {}).get(page)})
    rows.append({"benchmark": "load: correctness (errors, mixed figures, lost edits)",
                 "measured": f"{len(result.errors)} errors; 总览 before/after {result.overview_seen}; "
                             f"snapshots {result.snapshots_seen}; saves {result.saves_done}/{saves}; wall {result.wall:.1f} s",
                 "baseline": "-", "goal": "0 errors", "met": not result.errors})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=20)
    ap.add_argument("--saves", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--every-page", action="store_true", help="every page of the app (as run_all.py), not the five")
    a = ap.parse_args()
    if a.quick:
        a.saves, a.rounds = 20, 2
    pages = every_page() if a.every_page else PAGES
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as tmp:
        db = _fresh_sample_db(Path(tmp))
        alone = single_session(db, pages=pages)
        result, _ = scenario(db, readers=a.readers, saves=a.saves, rounds=a.rounds, pages=pages)
    print(f"process: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU, load {os.getloadavg()}")
    print("one session alone, median render (s): " + ", ".join(f"{k} {v:.3f}" for k, v in alone.items()))
    print(f"{a.readers} sessions x {a.rounds}+ rounds of {len(pages)} pages, {result.saves_done} saves, "
          f"1 import (committed at {result.import_at or float('nan'):.1f} s); wall {result.wall:.1f} s")
    print(f"总览 figures seen: before {result.overview_seen['before']}, after {result.overview_seen['after']}; "
          f"snapshots: before {result.snapshots_seen['before']}, after {result.snapshots_seen['after']}")
    print(f"{'page':<8} {'n':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7} {'CPU':>7} {'CPU sum':>8} {'alone':>7}"
          f" {'CPU':>7}  (seconds per render; CPU: the script thread's)")
    alone_cpu = getattr(single_session, "cpu", {})
    for page, p in result.percentiles().items():
        print(f"{page:<8} {p['n']:>5} {p['p50']:>7.3f} {p['p90']:>7.3f} {p['p99']:>7.3f} {p['max']:>7.3f}"
              f" {p.get('cpu_mean', 0):>7.3f} {p.get('cpu_sum', 0):>8.2f} {alone.get(page, 0):>7.3f}"
              f" {alone_cpu.get(page, 0):>7.3f}")
    print("errors:", len(result.errors))
    for e in result.errors[:20]:
        print("  ", e)
    sys.exit(1 if result.errors else 0)


if __name__ == "__main__":
    main()
