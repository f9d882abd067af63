"""The two stores compared (issue 16): the embedded DuckDB file against PostgreSQL (PgStore), in one run.

    nice -n 5 python bench/bench_stores.py --scratch /work/scratch/i16-stores \
        --db /work/benchdb/bench-200000x5-d60-s7-g1-m15.duckdb [--parts import,pages,sessions] [--json OUT]
    python bench/bench_stores.py --quick          # a tiny database, 300 projects, 1 x 2 sessions: a smoke check

Three parts, each on both stores (PostgreSQL: a fresh database made on the server of --pg, dropped at the end
unless --keep-pg):
  import    a flat workbook of 10,000 projects (bench_import.workbook: bench/generate.py, 2024, 20 departments)
            imported with the CLI (`python -m perfboard import FILE --db FILE|URL`, bench_cli.run_process: its
            own Python, wall from spawn to exit, CPU of its process tree, peak RSS) into an empty store, then a
            second workbook (10,000 projects of 2025, bench_cli.import_workbook) into the store now holding the
            first. PostgreSQL's own CPU: the backends of that database (process titles name it), sampled every
            0.2 s from /proc (their parallel workers included), and the whole cluster's (others' use included).
  pages     the bench database (--db, 200,000 projects x 5 years; copied into --scratch first, never written)
            is loaded into a PostgreSQL database once (bench_pg_readpath.load: ADBC, binary COPY), timed, then
            opened once as every app process would the first time ever (PgStore's migration step: rev columns,
            triggers, indexes; no copy), timed. Then per store one fresh process (bench_stores --page-child):
            imports, then the store opened as the app opens it (ui.state._open_store: on PostgreSQL the first
            copy into the process's DuckDB: wall, CPU, peak RSS, server CPU), then every page of --pages in
            app.py's frame with AppTest (bench_pages.page_steps: cold, filter = the biggest department, year =
            one back, plain rerun; a step under 0.5 s repeated and the median kept), the cached reads cleared
            between pages (st.cache_data) but the store kept (a server process serves every page from one store),
            and then "after save": one 指标填报 save of a project of the shown year and department, then a plain
            rerun. On PostgreSQL the save is made by another process (bench_stores --writer: a real
            editing.save through PgStore's write path, its reads from the bench file holding the same rows, so it
            does not pay a copy of its own), so the rerun pays the incremental sync (PgStore.sync, timed apart);
            on a DuckDB file no other process can write while the app holds it (issue 16's premise): the save is
            made by the page's own process. The empty page (bench/empty_page.py) gets the same steps: the floor.
  sessions  bench_team.run: N `streamlit run app.py` behind nginx, sessions over Streamlit's websocket protocol,
            saves, a CLI import beside the app (PostgreSQL only), cross-process checks (3 processes). --sessions
            lists the runs (store:processes x sessions per process): on PostgreSQL 1x20, 3x7, 1x60, 3x20; on the
            DuckDB file 1x20 and 1x60 (one process only: a second process cannot open a file the first holds).
            --team-pages narrows the pages the readers visit (总览 always; editors also use 指标填报).
Every figure carries the load average at its start and end; CPU seconds are the steadier numbers on a shared
machine. The results go to --json (default bench/out/stores.json) and the tables to the same name with .md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (str(ROOT), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import bench_team  # noqa: E402
import machine  # noqa: E402
from bench_team import _pg_url, create_pg_database, drop_pg_database, loadavg, pg_admin_url, postgres_cpu, proc_cpu  # noqa: E402

PY = sys.executable
DEFAULT_DB = "/work/benchdb/bench-200000x5-d60-s7-g1-m15.duckdb"
PAGES = ["overview", "execution", "deviations", "compare", "history"]
SESSIONS = "postgres:1x20,postgres:3x7,postgres:1x60,postgres:3x20,duckdb:1x20,duckdb:1x60"


# ---------------------------------------------------------------- PostgreSQL's own CPU
class PgCpu:
    """CPU seconds PostgreSQL spent while the block ran: `db_s` = the backends of database `name` (the
    process title names the database) and their parallel workers, polled every `interval` s (a backend's
    last fraction of a poll before it exits is missed: a lower bound); `cluster_s` = every postgres process
    of the machine, ended backends included (the postmaster's reaped children): others' work too."""

    def __init__(self, name: str, interval: float = 0.2):
        self.name, self.interval = name, interval
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def poll(self) -> None:
        mine = set(self.seen)
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                if (d / "comm").read_text().strip() != "postgres":
                    continue
                title = (d / "cmdline").read_text().replace("\0", " ")
            except OSError:
                continue
            pid = int(d.name)
            worker = "parallel worker for PID " in title and int(title.rsplit("PID", 1)[1].split()[0]) in mine
            if f" {self.name} " in title or worker:
                self.seen[pid] = max(self.seen.get(pid, 0.0), proc_cpu(pid))
                mine.add(pid)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def __enter__(self) -> "PgCpu":
        self.cluster0 = postgres_cpu()
        self.poll()
        self.base = dict(self.seen)            # backends already there: count only what they use from now
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.poll()
        self._stop.set()
        self._thread.join()
        self.db_s = round(sum(v - self.base.get(p, 0.0) for p, v in self.seen.items()), 1)
        self.cluster_s = round(postgres_cpu() - self.cluster0, 1)

    def figures(self) -> dict:
        return {"pg_db_cpu_s": self.db_s, "pg_cluster_cpu_s": self.cluster_s}


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def timed(fn):
    """fn() with wall, process CPU (every thread of this process), the machine's other cores, load."""
    l0, b, c, t = loadavg(), machine.busy_seconds(), time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return out, {"seconds": round(wall, 2), "cpu": round(cpu, 2), "load_start": l0, "load_end": loadavg(),
                 "others": machine.others_cores(b, machine.busy_seconds(), cpu, wall)}


# ---------------------------------------------------------------- part 1: import of 10,000 projects
def part_import(cfg: dict, scratch: Path) -> dict:
    import bench_cli
    import bench_import
    n = cfg["import_projects"]
    t = time.perf_counter()
    first = bench_import.workbook(n)                                  # 2024, 20 departments, seed 7
    second = bench_cli.import_workbook(n, 20, year=2025)             # 2025, 20 departments, seed 19
    out = {"projects": n, "workbooks": [str(first), str(second)], "workbook_seconds": round(time.perf_counter() - t, 1),
           "runs": []}
    steps = [("into an empty store", first), ("a second year into the store holding the first", second)]

    def one(store: str, target: str, pg_name: str | None) -> None:
        for label, wb in steps:
            l0 = loadavg()
            if pg_name:
                with PgCpu(pg_name) as pc:
                    r = bench_cli.run_process(["import", str(wb), "--db", target], timeout=1800, wall_limit=3600)
                r.update(pc.figures())
            else:
                r = bench_cli.run_process(["import", str(wb), "--db", target], timeout=1800, wall_limit=3600)
            r.update({"store": store, "what": label, "load_start": l0, "load_end": loadavg()})
            out["runs"].append(r)
            print(f"import {store} {label}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, {r['peak_mb']:.0f} MB"
                  + (f", PostgreSQL {r['pg_db_cpu_s']} s CPU (cluster {r['pg_cluster_cpu_s']})" if pg_name else "")
                  + f", rc {r['rc']}, load {l0}", flush=True)

    f = scratch / "import.duckdb"
    for p in (f, f.with_name(f.name + ".wal")):
        p.unlink(missing_ok=True)
    one("duckdb", str(f), None)
    out["duckdb_projects"] = _count_duckdb(f)
    name, url = create_pg_database(cfg["pg"])
    try:
        one("postgres", url, name)
        out["postgres_projects"] = _count_pg(url)
    finally:
        if not cfg["keep_pg"]:
            drop_pg_database(cfg["pg"], name)
    f.unlink(missing_ok=True)
    return out


def _count_duckdb(path: Path) -> int:
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM projects").fetchone()[0]
    finally:
        con.close()


def _count_pg(url: str) -> int:
    import psycopg
    with psycopg.connect(url) as con:
        return con.execute("SELECT count(*) FROM projects").fetchone()[0]


def part_bigimport(cfg: dict, scratch: Path) -> dict:
    """The second workbook (10,000 projects of 2025) imported into the province: the page part's DuckDB copy and
    its kept PostgreSQL database (--pg-db): on PostgreSQL the command's own first copy of the province included."""
    import bench_cli
    wb = bench_cli.import_workbook(cfg["import_projects"], 20, year=2025)
    runs = []
    targets = [("duckdb", str(scratch / "pages.duckdb"), None)]
    if cfg["pg_db"]:
        targets.append(("postgres", _pg_url(cfg["pg"], cfg["pg_db"]), cfg["pg_db"]))
    for store, target, name in targets:
        l0 = loadavg()
        if name:
            with PgCpu(name) as pc:
                r = bench_cli.run_process(["import", str(wb), "--db", target], timeout=3600, wall_limit=3600, max_rss_mb=12_000)
            r.update(pc.figures())
        else:
            r = bench_cli.run_process(["import", str(wb), "--db", target], timeout=3600, wall_limit=3600)
        r.update({"store": store, "what": "10,000 projects of 2025 into the province (200,000 x 5)", "load_start": l0,
                  "load_end": loadavg()})
        runs.append(r)
        print(f"import into the province, {store}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, {r['peak_mb']:.0f} MB"
              + (f", PostgreSQL {r['pg_db_cpu_s']} s CPU" if name else "") + f", rc {r['rc']} {r.get('error', '')}",
              flush=True)
    return {"runs": runs}


# ---------------------------------------------------------------- part 2: page reruns
def part_pages(cfg: dict, scratch: Path) -> dict:
    import bench_pages
    import bench_pg_readpath
    src = Path(cfg["db"])
    copy = scratch / "pages.duckdb"
    _, cp = timed(lambda: shutil.copyfile(src, copy))
    years, depts = bench_pages._choices(str(copy))
    out = {"db": str(src), "copy_seconds": cp["seconds"], "year": years[0], "base_year": years[1] if len(years) > 1 else None,
           "department": depts[0], "stores": {}}
    common = {"pages": cfg["pages"], "year": years[0], "base_year": out["base_year"], "department": depts[0],
              "more_departments": depts[1:3], "more_years": years[2:4], "timeout": cfg["page_timeout"],
              "source": str(src)}
    admin = cfg["pg"]
    name = cfg["pg_db"]
    made = False
    if name:
        url = _pg_url(admin, name)
        out["pg_load"] = {"reused": name}
    else:
        name, url = create_pg_database(admin)
        made = True
    try:
        if made:
            with PgCpu(name) as pc:
                got, t = timed(lambda: bench_pg_readpath.load(copy, url))
            out["pg_load"] = {**t, **pc.figures(), "rows": got["rows"], "peak_rss_mb": _vm("VmHWM")}
            print(f"load into PostgreSQL: {t['seconds']} s wall, {t['cpu']} s CPU here, PostgreSQL {pc.db_s} s CPU "
                  f"(cluster {pc.cluster_s}), load {t['load_start']} -> {t['load_end']}", flush=True)
            with PgCpu(name) as pc:
                _, t = timed(lambda: migrate_only(url))
            out["pg_first_open_ever"] = {**t, **pc.figures()}
            print(f"first open ever (rev columns, triggers, indexes): {t['seconds']} s wall, PostgreSQL {pc.db_s} s CPU",
                  flush=True)
        for store, target in (("duckdb", str(copy)), ("postgres", url)):
            if store not in cfg["page_stores"]:
                continue
            spec = {**common, "store": store, "target": target, "pg_name": name if store == "postgres" else None,
                    "out": str(scratch / f"pages-{store}.json")}
            out["stores"][store] = run_page_child(spec, cfg["page_timeout"] * 4 * (len(cfg["pages"]) + 2))
            print_pages(store, out["stores"][store])
    finally:
        if made and not cfg["keep_pg"]:
            drop_pg_database(admin, name)
        elif made:
            print(f"kept PostgreSQL database {name} (--pg-db {name} reuses it)", flush=True)
            out["pg_db_kept"] = name
    return out


def migrate_only(url: str) -> None:
    """What the first PgStore open ever does before its copy: PgStore._migrate (rev columns, triggers, indexes)."""
    from perfboard.db import PgStore

    class Migrating(PgStore):
        def sync(self):
            pass
    Migrating(url).close()


def run_page_child(spec: dict, limit: float) -> dict:
    out = Path(spec["out"])
    out.unlink(missing_ok=True)
    log = out.with_suffix(".log")
    t = time.perf_counter()
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.Popen([PY, str(Path(__file__).resolve()), "--page-child", json.dumps(spec, ensure_ascii=False)],
                                cwd=str(ROOT), stdout=fh, stderr=subprocess.STDOUT)
        err = None
        while proc.poll() is None:
            if time.perf_counter() - t > limit:
                proc.kill()
                err = f"stopped after {limit:.0f} s"
            time.sleep(0.5)
    res = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"pages": {}}
    res["process_seconds"] = round(time.perf_counter() - t, 1)
    res["process_cpu"] = None
    if err or proc.returncode:
        res["error"] = err or log.read_text(encoding="utf-8", errors="replace")[-2000:]
    return res


def page_child(spec: dict) -> None:
    """One fresh process: the store opened as the app does, then each page's steps (see the module doc)."""
    os.environ["PERFBOARD_DB"] = spec["target"]
    os.environ["PERFBOARD_WARM"] = "0"           # the background warm-up would run beside the timed steps
    import bench_pages as bp
    stats = bp.QueryStats()
    bp.instrument(stats)
    bp._frame_navigation()
    from perfboard.db import redact, resolve_target
    res = {"store": spec["store"], "target": redact(spec["target"]), "pages": {}, "pid": os.getpid(),
           "load_start": loadavg()}
    out = Path(spec["out"])

    def save():
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(out)

    t = time.perf_counter()
    bp.warm_imports()
    from streamlit.testing.v1 import AppTest  # noqa: F401
    import streamlit as st

    import ui.state
    res["import_seconds"] = round(time.perf_counter() - t, 2)
    res["rss_after_imports_mb"] = _vm("VmRSS")
    save()
    stats.reset()
    path = str(resolve_target(spec["target"]))
    if spec["pg_name"]:
        with PgCpu(spec["pg_name"]) as pc:
            store, t = timed(lambda: ui.state._open_store(path))
        t.update(pc.figures())
    else:
        store, t = timed(lambda: ui.state._open_store(path))
    res["open"] = {**t, "peak_rss_mb": _vm("VmHWM"), "rss_mb": _vm("VmRSS"), **stats.sync_figures()}
    save()
    print("open:", res["open"], flush=True)
    paths = {**bp.PAGES, **bp.EXTRA_PAGES, **bp.all_pages()}
    order = list(spec["pages"]) + ["(empty page)"]
    for k, page in enumerate(order):
        st.cache_data.clear()                   # each page starts from cold reads, as in its own process
        path_, title = ((bp.EMPTY_PAGE, bp.EMPTY_TITLE) if page == "(empty page)" else (paths[page], bp.TITLES.get(page, "")))

        def extra(at, step, shown, k=k, page=page):
            after_save(spec, store, at, step, shown, res["pages"][page], k)

        try:
            bp.page_steps(page, path_, title, spec["department"], db=res["target"], year=spec["year"],
                          base_year=spec["base_year"], stats=stats, sink=res["pages"], save=save,
                          timeout=spec["timeout"], more_departments=spec["more_departments"],
                          more_years=spec["more_years"], extra=extra)
        except BaseException as exc:     # noqa: BLE001 -- the next page still runs
            res["pages"].setdefault(page, {"page": page, "steps": {}})["error"] = f"{type(exc).__name__}: {str(exc)[-1500:]}"
        res["pages"][page]["rss_mb"] = _vm("VmRSS")
        save()
        print(page, {s: (v["seconds"], v["cpu"]) for s, v in res["pages"][page].get("steps", {}).items()},
              res["pages"][page].get("error", ""), flush=True)
    res["peak_rss_mb"] = _vm("VmHWM")
    res["cpu"] = round(time.process_time(), 1)
    res["load_end"] = loadavg()
    save()
    os._exit(0)          # a DuckDB thread left behind by AppTest's script threads must not hold the exit


def after_save(spec: dict, store, at, step, shown: dict, result: dict, k: int) -> None:
    """One 指标填报 save of a project of the shown year and department, then a plain rerun of the page."""
    year, dept = shown["year"], shown["department"] or spec["department"]
    pid = store.cursor().execute("SELECT id FROM projects WHERE year = ? AND department = ? ORDER BY id LIMIT 1 OFFSET ?",
                                 [year, dept, 10 + k]).fetchone()[0]
    text = f"存储对比基准：第 {k + 1} 次保存 {time.time_ns()}"
    if spec["store"] == "postgres":
        w = {"url": spec["target"], "file": spec["source"], "project": int(pid), "text": text}
        l0, t = loadavg(), time.perf_counter()
        p = subprocess.run([PY, str(Path(__file__).resolve()), "--writer", json.dumps(w, ensure_ascii=False)],
                           cwd=str(ROOT), capture_output=True, text=True, timeout=900)
        if p.returncode:
            raise RuntimeError(f"writer exited {p.returncode}: {p.stderr[-1500:]}")
        result["save"] = {**json.loads(p.stdout.strip().splitlines()[-1]), "by": "another process",
                          "process_seconds": round(time.perf_counter() - t, 2), "load_start": l0}
    else:
        from perfboard.editing import load_state, save
        state = load_state(store, int(pid))
        l0, t, c = loadavg(), time.perf_counter(), time.process_time()
        r = save(store, state, {"improvement": text}, state.rows(), "bench")
        result["save"] = {"seconds": round(time.perf_counter() - t, 3), "cpu": round(time.process_time() - c, 3),
                          "save_id": r.save_id, "by": "this process (no other can write the file)", "load_start": l0}
    result["save"]["project_id"] = int(pid)
    step("after save", lambda: at.run())


def writer(spec: dict) -> None:
    """Another process's save on PostgreSQL (part 2): editing.save through PgStore (its write transaction,
    the optimistic check on PostgreSQL, the audit rows), reading the project from the bench file, which holds
    the same rows PostgreSQL was loaded with: this process does not make a copy of its own."""
    import duckdb

    from perfboard import db
    from perfboard.editing import load_state, save
    db.PgStore.sync = lambda self: None
    t, c = time.perf_counter(), time.process_time()
    s = db.Store(spec["url"])
    s.con.close()
    s.con = duckdb.connect(spec["file"], read_only=True)
    opened = round(time.perf_counter() - t, 3)
    state = load_state(s, spec["project"])
    t1, c1 = time.perf_counter(), time.process_time()
    r = save(s, state, {"improvement": spec["text"]}, state.rows(), "bench")
    out = {"seconds": round(time.perf_counter() - t1, 3), "cpu": round(time.process_time() - c1, 3),
           "open_seconds": opened, "save_id": r.save_id, "process_cpu": round(time.process_time() - c, 3)}
    s.close()
    print(json.dumps(out))


# ---------------------------------------------------------------- part 3: sessions
def part_sessions(cfg: dict, scratch: Path) -> dict:
    runs = []
    only = tuple("" if p == "overview" else p for p in cfg["team_pages"]) if cfg["team_pages"] else None
    for item in cfg["sessions"]:
        store, shape = item.split(":")
        procs, per = (int(x) for x in shape.split("x"))
        print(f"sessions: {store} {procs} x {per}, {cfg['saves']} saves, rounds {cfg['rounds']} "
              f"(load {loadavg()})", flush=True)
        c0 = sum(os.times()[:2])
        try:
            r = bench_team.run(store, procs, per, cfg["saves"], cfg["rounds"], cfg["pg"], pages=only)
        except BaseException as exc:     # noqa: BLE001 -- the next run still goes
            r = {"store": store, "processes": procs, "sessions": procs * per, "errors": [f"{type(exc).__name__}: {exc}"]}
        r["bench_cpu_s"] = round(sum(os.times()[:2]) - c0, 1)      # this run's clients (the process runs them all)
        r["run"] = item
        runs.append(r)
        print(f"  wall {r.get('wall_s')} s, app CPU {r.get('app_cpu_s')}, PostgreSQL CPU {r.get('postgres_cpu_s')}, "
              f"errors {len(r.get('errors', []))}, load {r.get('loadavg_start')} -> {r.get('loadavg_end')}", flush=True)
        save_partial(cfg, "sessions", {"runs": runs})
    return {"runs": runs}


# ---------------------------------------------------------------- output
def print_pages(store: str, r: dict) -> None:
    o = r.get("open", {})
    print(f"\n{store}: open {o.get('seconds')} s wall, {o.get('cpu')} s CPU, peak {o.get('peak_rss_mb')} MB"
          + (f", PostgreSQL {o.get('pg_db_cpu_s')} s CPU" if "pg_db_cpu_s" in o else ""), flush=True)
    for page, p in r.get("pages", {}).items():
        cells = " ".join(f"{s}={v['seconds']:.2f}/{v['cpu']:.2f}" for s, v in p.get("steps", {}).items())
        print(f"  {page:<14} {cells} {p.get('error', '')[:200]}", flush=True)
    if r.get("error"):
        print("  ERROR:", r["error"][-800:], flush=True)


def _f(v, spec=".2f") -> str:
    return "–" if v is None else format(v, spec)


def _import_table(title: str, runs: list[dict]) -> list[str]:
    """One import part as a markdown table (the command in its own process, PostgreSQL's CPU beside it)."""
    lines = [f"**{title}** (CLI `import`, its own process)", "",
             "| store | what | wall s | CPU s (command) | peak MB | PostgreSQL CPU s (its backends / whole cluster) | load at start → end | rc |",
             "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        pg = f"{r['pg_db_cpu_s']} / {r['pg_cluster_cpu_s']}" if "pg_db_cpu_s" in r else "–"
        lines.append(f"| {r['store']} | {r['what']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['peak_mb']:.0f} | {pg} | "
                     f"{r['load_start']} → {r['load_end']} | {r['rc']} |")
    return lines + [""]


def markdown(res: dict) -> str:
    from bench_pages import TITLES
    lines = [f"bench/bench_stores.py, {res.get('started')} – {res.get('ended')} UTC, {os.cpu_count()} cores", ""]
    imp = res.get("import")
    if imp:
        lines += _import_table(f"Import of {imp['projects']:,} projects", imp["runs"])
    big = res.get("bigimport")
    if big:
        lines += _import_table("Import into the province", big["runs"])
    pages = res.get("pages")
    if pages:
        ld = pages.get("pg_load", {})
        if "seconds" in ld:
            lines += [f"Loading the bench database into PostgreSQL (ADBC): {ld['seconds']} s wall, {ld['cpu']} s CPU in the "
                      f"loader, PostgreSQL {ld.get('pg_db_cpu_s')} s CPU (cluster {ld.get('pg_cluster_cpu_s')}), load "
                      f"{ld['load_start']} → {ld['load_end']}."]
        fo = pages.get("pg_first_open_ever")
        if fo:
            lines += [f"First open ever (PgStore's migration step: rev columns, triggers, indexes; no copy): "
                      f"{fo['seconds']} s wall, PostgreSQL {fo.get('pg_db_cpu_s')} s CPU, load {fo['load_start']} → {fo['load_end']}."]
        lines += [""]
        for store, r in pages.get("stores", {}).items():
            o = r.get("open", {})
            lines.append(f"{store}: the process's first open of the store: {o.get('seconds')} s wall, {o.get('cpu')} s CPU, "
                         f"peak RSS {o.get('peak_rss_mb')} MB (RSS after {o.get('rss_mb')} MB)"
                         + (f", PostgreSQL {o.get('pg_db_cpu_s')} s CPU" if "pg_db_cpu_s" in o else "")
                         + f", load {o.get('load_start')} → {o.get('load_end')}; process peak RSS {r.get('peak_rss_mb')} MB, "
                         f"CPU {r.get('cpu')} s.")
        lines += ["", f"**Page reruns at {pages.get('db', '').split('/')[-1]}** (year {pages.get('year')}, department "
                      f"{pages.get('department')}): wall s / CPU s (DuckDB s); after save: sync s", "",
                  "| page | step | DuckDB file | PostgreSQL | load (DuckDB run / PostgreSQL run) |", "|---|---|---|---|---|"]
        stores = pages.get("stores", {})
        names = list(dict.fromkeys(p for r in stores.values() for p in r.get("pages", {})))
        for page in names:
            for step in ("cold", "filter", "year", "rerun", "after save"):
                cells, loads = [], []
                for store in ("duckdb", "postgres"):
                    p = stores.get(store, {}).get("pages", {}).get(page, {})
                    s = p.get("steps", {}).get(step)
                    if not s:
                        cells.append(p.get("error", "–")[:60] if step == "cold" and p.get("error") else "–")
                        loads.append("–")
                        continue
                    c = f"{s['seconds']:.2f} / {s['cpu']:.2f} ({s['query_seconds']:.2f})"
                    if step == "after save":
                        if "sync_seconds" in s:
                            c += f"; sync {s['sync_seconds']:.2f}"
                        sv = p.get("save", {})
                        c += f"; save {sv.get('seconds')} s"
                    cells.append(c)
                    loads.append(" ".join(str(x) for x in s.get("load", [])[:1]))
                label = TITLES.get(page, page) if page != "(empty page)" else "空白页 (floor)"
                lines.append(f"| {label} | {step} | {cells[0]} | {cells[1]} | {' / '.join(loads)} |")
        lines.append("")
    ses = res.get("sessions")
    if ses:
        lines += ["**Sessions** (bench_team.py)", "",
                  "| store | processes × sessions | wall s | errors | saves reported / lost | 总览 half / stale | app CPU s | app peak MB | PostgreSQL CPU s | bench CPU s | load start → end |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in ses["runs"]:
            ck = r.get("checks", {})
            sv, ov = ck.get("saves", {}), ck.get("overview_states", {})
            per = r["sessions"] // max(1, r["processes"])
            lines.append(f"| {r['store']} | {r['processes']} × {per} | {r.get('wall_s')} | {len(r.get('errors', []))} | "
                         f"{sv.get('reported')} / {sv.get('lost')} | {ov.get('half')} / {ov.get('stale')} | "
                         f"{'+'.join(str(x) for x in r.get('app_cpu_s', []))} | {'/'.join(str(x) for x in r.get('app_peak_rss_mb', []))} | "
                         f"{r.get('postgres_cpu_s')} | {r.get('bench_cpu_s')} | {r.get('loadavg_start')} → {r.get('loadavg_end')} |")
        allp = list(dict.fromkeys(p for r in ses["runs"] for p in r.get("pages", {})))
        heads = [f"{r['store']} {r['processes']}×{r['sessions'] // max(1, r['processes'])}" for r in ses["runs"]]
        lines += ["", "p50 / p99 s (n) per page", "", "| page | " + " | ".join(heads) + " |",
                  "|---|" + "---|" * len(heads)]
        for page in allp:
            cells = []
            for r in ses["runs"]:
                p = r.get("pages", {}).get(page)
                cells.append(f"{p['p50']:.2f} / {p['p99']:.2f} ({p['n']})" if p else "–")
            lines.append(f"| {page} | " + " | ".join(cells) + " |")
        errs = [(r["run"], e) for r in ses["runs"] for e in r.get("errors", [])[:5]]
        if errs:
            lines += ["", "Errors (first 5 per run):"] + [f"- {run}: {e[:300]}" for run, e in errs]
    return "\n".join(lines) + "\n"


_STATE: dict = {}


def save_partial(cfg: dict, part: str, value) -> None:
    _STATE[part] = value
    _STATE["ended"] = time.strftime("%H:%M", time.gmtime())
    Path(cfg["json"]).parent.mkdir(parents=True, exist_ok=True)
    Path(cfg["json"]).write_text(json.dumps(_STATE, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    Path(cfg["json"]).with_suffix(".md").write_text(markdown(_STATE), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", default="import,pages,sessions",
                    help="import, pages, sessions; bigimport (10,000 projects into the province: the page part's "
                         "DuckDB copy and the PostgreSQL database of --pg-db)")
    ap.add_argument("--scratch", default=str(HERE / "out" / "stores"))
    ap.add_argument("--db", default=DEFAULT_DB, help="the bench database (read only: copied into --scratch)")
    ap.add_argument("--pg", default=None, help="PostgreSQL URL whose role may CREATE DATABASE (default PERFBOARD_TEST_PG)")
    ap.add_argument("--pg-db", help="reuse this already loaded PostgreSQL database for the pages (skips the load)")
    ap.add_argument("--keep-pg", action="store_true", help="keep the PostgreSQL databases made (to reuse with --pg-db)")
    ap.add_argument("--import-projects", type=int, default=10_000)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--page-stores", default="duckdb,postgres")
    ap.add_argument("--page-timeout", type=float, default=300, help="CPU-ish seconds a page step may take (AppTest: 3x on the wall)")
    ap.add_argument("--sessions", default=SESSIONS, help="runs: store:PROCESSESxSESSIONS_PER_PROCESS, comma-separated")
    ap.add_argument("--saves", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--team-pages", default="overview,execution,deviations,compare,history",
                    help="pages the session readers visit (url paths; 'all' for every page)")
    ap.add_argument("--quick", action="store_true", help="a tiny database and workbook, 1 x 2 sessions: a smoke check")
    ap.add_argument("--json", default=str(HERE / "out" / "stores.json"))
    ap.add_argument("--page-child", help=argparse.SUPPRESS)
    ap.add_argument("--writer", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.page_child:
        page_child(json.loads(a.page_child))
        return
    if a.writer:
        writer(json.loads(a.writer))
        return
    scratch = Path(a.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    cfg = {"parts": a.parts.split(","), "db": a.db, "pg": a.pg or pg_admin_url(), "pg_db": a.pg_db, "keep_pg": a.keep_pg,
           "import_projects": a.import_projects, "pages": [p for p in a.pages.split(",") if p],
           "page_stores": a.page_stores.split(","), "page_timeout": a.page_timeout,
           "sessions": [s for s in a.sessions.split(",") if s], "saves": a.saves, "rounds": a.rounds,
           "team_pages": None if a.team_pages == "all" else a.team_pages.split(","), "json": a.json}
    if a.quick:
        import build_db
        cfg["db"] = build_db.ensure(300, 2, 6, 7, quiet=True, out=scratch)["path"]
        cfg.update(import_projects=300, sessions=["postgres:1x2", "duckdb:1x2"], saves=2, page_timeout=60,
                   json=str(scratch / "stores-quick.json"))
    _STATE.update({"started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "config": cfg,
                   "command": " ".join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])})
    for part, fn in (("import", part_import), ("pages", part_pages), ("bigimport", part_bigimport),
                     ("sessions", part_sessions)):
        if part in cfg["parts"]:
            print(f"== {part} ({time.strftime('%H:%M:%S', time.gmtime())} UTC, load {loadavg()})", flush=True)
            save_partial(cfg, part, fn(cfg, scratch))
    print(Path(cfg["json"]).with_suffix(".md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
