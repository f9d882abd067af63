"""Benchmark: every `python -m perfboard` command on a province-sized database (issue 19).

    python bench/bench_cli.py --db bench/out/bench-200000x5-....duckdb     # every command, one process each
    python bench/bench_cli.py --db tiny.duckdb --inprocess                 # all in this process (quick, smoke)

Every subcommand of perfboard/cli.py runs once, in its own Python process (`cli_probe`), so wall seconds
include the interpreter's start and imports, as a user typing the command sees them. Measured:
  wall    seconds from spawn to exit (the parent's clock)
  cpu     user + system seconds of the command's process and its children (DuckDB threads included;
          an import's forkserver worker too when it has exited)
  peak    the larger of the process's VmHWM at exit and the polled RSS of its whole process tree (MB)
Goals (issue 19): under 60 s and 1.5 GB peak each on 200,000 projects; `score --json` under 10 s.

The read-only commands run on one copy of the database, the writing ones (backup, sample, user, restore,
import) on a second copy in this order: backup -> sample -> sample --remove -> user add -> user list ->
restore (back to the backup) -> import (a new year, 2025) -> compare 2025 vs 2024 (the new year pair).
A copy of the work database is taken right after the import (cli-after-import.duckdb): the page bench of
the new pair opens that state, so nothing run after the import (the compare) has computed the pair for it.
Each command is stopped at 1.5x its goal in CPU seconds (at least 30 s), at 4x on the wall (at least 120 s)
or above 6 GB, and reported with its CPU so far.
`export` runs once per --what choice (read from the CLI's own parser, so a new table gets a row);
`forms` (one worksheet per project) runs for the largest department, as a department would use it."""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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

GOAL_S, GOAL_MB, SCORE_GOAL_S = 60.0, 1536.0, 10.0
MAX_RSS_MB = 6_000.0          # a command above this is stopped (the machine is shared; `ulimit -v` would kill
                              # the brief's chart renderer, V8 reserves address space far beyond its use)
PASSWORD = "bench-Passw0rd-19"


def _vm(field: str, pid: str | int = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants (an import parses in a forkserver worker)."""
    total, todo, seen = 0.0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _vm("VmRSS", p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
                todo += [int(k) for k in kids]
        except OSError:
            pass
    return total


def largest_department(db: str, year: int) -> str:
    import duckdb
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute("SELECT department FROM projects WHERE year = ? GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
                           [year]).fetchall()[0][0]
    finally:
        con.close()


def years_of(db: str) -> list[int]:
    import duckdb
    con = duckdb.connect(db, read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT DISTINCT year FROM projects ORDER BY 1 DESC").fetchall()]
    finally:
        con.close()


def export_choices() -> list[str]:
    """The --what choices of `export`, from the CLI's own parser."""
    from perfboard.cli import build_parser
    ap = build_parser()
    sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    exp = sub.choices["export"]
    return list(next(a for a in exp._actions if a.dest == "what").choices)


def cli_commands() -> list[str]:
    from perfboard.cli import build_parser
    ap = build_parser()
    sub = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def import_workbook(projects: int, departments: int, year: int = 2025, out: Path | None = None) -> Path:
    """A flat workbook of `projects` projects of `year` (bench/generate.py shapes), cached."""
    from generate import generate, write_workbook
    path = Path(out or HERE / "out") / f"import-{year}-{projects}-d{departments}.xlsx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        frames = generate(projects_per_year=projects, years=1, departments=departments, seed=19, first_year=year)
        tmp = path.with_suffix(".tmp.xlsx")
        write_workbook(frames, tmp)
        tmp.replace(path)
    return path


REFUSAL = "超过 Excel 工作表的行数上限"        # export's answer for a table too long for one sheet


def plan(read_db: str, work_db: str, scratch: Path, workbook: Path) -> list[dict]:
    """Every command, with its arguments and goal. `what` is the row's label."""
    years = years_of(read_db)
    year, base = years[0], (years[1] if len(years) > 1 else years[0])
    dept = largest_department(read_db, year)
    r = ["--db", read_db]
    out = lambda name: str(scratch / name)   # noqa: E731
    cmds = [
        {"what": "summary --json", "args": ["summary", "--json", *r]},
        {"what": "score --json", "args": ["score", "--json", *r], "goal_s": SCORE_GOAL_S},
        {"what": f"compare --base {base} --json", "args": ["compare", "--base", str(base), "--json", *r]},
    ]
    for what in export_choices():
        # a table longer than one sheet (indicators: 2.3M rows a year at 200k) is refused, counted in SQL first:
        # that refusal (exit 1, the Chinese message) is the command's answer, timed like any other
        cmds.append({"what": f"export --what {what} (.xlsx)", "args": ["export", "--what", what, "--out", out(f"export-{what}.xlsx"), *r],
                     "refusal": REFUSAL})
    cmds += [
        {"what": "export --what projects (.csv)", "args": ["export", "--what", "projects", "--out", out("export-projects.csv"), *r]},
        {"what": "export --what indicators (.csv)", "args": ["export", "--what", "indicators", "--out", out("export-indicators.csv"), *r]},
        {"what": "forms, largest department", "args": ["forms", "--department", dept, "--out", out("forms.xlsx"), *r],
         "note": f"{dept}"},
        {"what": "report (.docx), aggregate", "args": ["report", "--out", out("report.docx"), *r],
         "note": "whole year: the aggregate chapters (more than 500 projects)"},
        {"what": "report (.docx), largest department", "args": ["report", "--department", dept, "--max-sections", "5000",
                                                              "--out", out("report-dept.docx"), *r],
         "note": f"{dept}: a section per project"},
        {"what": "brief (.docx)", "args": ["brief", "--out", out("brief.docx"), *r]},
        {"what": "review --json", "args": ["review", "--json", *r]},
        {"what": "review --out (复核底稿 .xlsx)", "args": ["review", "--out", out("review.xlsx"), *r]},
        {"what": "monitor --json", "args": ["monitor", "--json", *r]},
        {"what": "template", "args": ["template", "--out", out("template.xlsx")]},
    ]
    w = ["--db", work_db]
    backup = out("backup.duckdb")
    cmds += [
        {"what": "backup", "args": ["backup", "--out", backup, "--force", *w]},
        {"what": "sample (load)", "args": ["sample", *w]},
        {"what": "sample --remove", "args": ["sample", "--remove", *w]},
        {"what": "user add", "args": ["user", "add", "bench-admin", "--role", "admin", *w],
         "stdin": f"{PASSWORD}\n{PASSWORD}\n"},
        {"what": "user list --json", "args": ["user", "list", "--json", *w]},
        {"what": "restore", "args": ["restore", "--from", backup, *w]},
        {"what": f"import (new year {year + 1}, flat workbook)", "args": ["import", str(workbook), *w], "year": year + 1,
         "snapshot": out("cli-after-import.duckdb")},     # the 同比分析 new-pair bench opens this, not a later state
        {"what": f"compare --year {year + 1} --base {year} (the new pair)",
         "args": ["compare", "--year", str(year + 1), "--base", str(year), "--json", *w]},
    ]
    return cmds


def previous_seconds(results_json: Path) -> dict[str, float]:
    """what -> CPU seconds (the wall where none) of each command row of an earlier run_all results file
    (rows named "cli `what` (...)"); {} when there is none."""
    try:
        rows = json.loads(Path(results_json).read_text(encoding="utf-8"))["rows"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    out = {}
    for r in rows:
        name = str(r.get("what", ""))
        if r.get("kind") != "cli" or not name.startswith("cli `") or "`" not in name[5:]:
            continue
        secs = r.get("cpu") if r.get("cpu") is not None else r.get("wall")
        if secs is not None:
            out[name[5:name.index("`", 5)]] = float(secs)
    return out


def schedule(cmds: list[dict], writes: list[int], jobs: int, estimates: dict[str, float] | None = None
             ) -> list[list[int]]:
    """The units of work in the order the lanes take them: each read command alone, the writing commands
    (on the work copy) one unit in their order. One lane: the plan's order. Several: longest first by
    `estimates` (the writing chain by the sum of its commands), so that the short ones fill in at the end and
    the lanes end together (a long command started last would run alone); a command with no estimate
    counts as the longest known one, ties keep the plan's order. Without estimates: the writing chain first,
    then the plan's order."""
    reads = [[i] for i in range(len(cmds)) if i not in writes]
    units = reads + ([writes] if writes else [])
    if jobs == 1:
        return units
    if not estimates:
        return ([writes] if writes else []) + reads
    longest = max(estimates.values())

    def secs(unit: list[int]) -> float:
        return sum(estimates.get(cmds[i]["what"], longest) for i in unit)
    return sorted(units, key=lambda u: -secs(u))        # sorted() is stable: ties keep the plan's order


# ---------------------------------------------------------------- one command
def run_inline(args: list[str], stdin: str | None = None) -> dict:
    """Run one command in this process; wall/CPU of the call, VmHWM of the process so far."""
    import io

    from perfboard import cli
    old_in, old_out = sys.stdin, sys.stdout
    sys.stdin = io.StringIO(stdin or "")
    sink = io.StringIO()
    sys.stdout = sink
    c0, t0 = os.times(), time.perf_counter()
    try:
        rc = cli.main(args)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin, sys.stdout = old_in, old_out
    c1 = os.times()
    cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) \
        + (c1.children_system - c0.children_system)
    return {"rc": rc, "wall": round(time.perf_counter() - t0, 3), "cpu": round(cpu, 3),
            "peak_mb": round(_vm("VmHWM"), 1), "stdout_bytes": len(sink.getvalue().encode())}


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in out:
            continue
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                todo += [int(k) for k in Path(f"/proc/{p}/task/{t}/children").read_text().split()]
        except OSError:
            pass
    return out


def _own_cpu(pids: list[int], seen: dict[int, float]) -> None:
    """Record in `seen` the user + system seconds so far of each process (its own, not its children's)."""
    tck = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            seen[p] = max(seen.get(p, 0.0), (int(fields[11]) + int(fields[12])) / tck)     # utime stime
        except (OSError, IndexError, ValueError):
            pass


class Ledger:
    """CPU seconds of the bench's own commands, for the rows that run side by side (--jobs): a row's
    `others` is the machine's busy time minus what *every* bench command used meanwhile, so a lane next
    to it never counts as another process (and never turns a missed wall into a CPU verdict)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.finished = 0.0
        self.running: dict[int, float] = {}

    def update(self, key: int, cpu: float) -> None:
        with self.lock:
            self.running[key] = cpu

    def finish(self, key: int, cpu: float) -> None:
        with self.lock:
            self.running.pop(key, None)
            self.finished += cpu

    def total(self) -> float:
        with self.lock:
            return self.finished + sum(self.running.values())


def run_process(args: list[str], stdin: str | None = None, timeout: float = 300, max_rss_mb: float = MAX_RSS_MB,
                ledger: Ledger | None = None, wall_limit: float | None = None) -> dict:
    """Run one command in a fresh Python (bench/bench_cli.py --probe), polling its process tree's RSS and CPU.
    Stopped (and reported with its CPU so far) once its CPU seconds pass `timeout`, its wall seconds pass
    `wall_limit` (default: `timeout`), or its memory `max_rss_mb`. A CPU limit, so that a busy machine does
    not stop a command whose own work is within bounds; the wall limit bounds the run on a busy machine."""
    wall_limit = timeout if wall_limit is None else wall_limit
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"cli-probe-{os.getpid()}-{time.monotonic_ns()}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--probe", str(out), "--", *args]
    key = time.monotonic_ns()
    own0 = ledger.total() if ledger else 0.0
    busy0, t0 = machine.busy_seconds(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    peak, err, stopped, seen = 0.0, None, False, {}
    while proc.poll() is None:
        rss = _tree_rss_mb(proc.pid)
        peak = max(peak, rss)
        tree = _tree(proc.pid)
        _own_cpu(tree, seen)          # a forkserver worker that outlives the command counts too
        if ledger:
            ledger.update(key, sum(seen.values()))
        cpu_now, elapsed = sum(seen.values()), time.perf_counter() - t0
        over = cpu_now > timeout or elapsed > wall_limit
        if over or rss > max_rss_mb:
            stopped = True
            for p in reversed(tree):
                try:
                    os.kill(p, 9)
                except OSError:
                    pass
            err = (f"timeout: stopped after {elapsed:.0f} s ({cpu_now:.0f} s CPU)" if over else
                   f"stopped: {rss:,.0f} MB above the bench's limit of {max_rss_mb:,.0f} MB")
            break
        time.sleep(0.1)
    proc.wait()
    wall = time.perf_counter() - t0
    busy1 = machine.busy_seconds()
    stderr = proc.stderr.read()
    res = {"rc": proc.returncode, "wall": round(wall, 3), "polled_peak_mb": round(peak, 1)}
    if out.exists():
        res.update({k: v for k, v in json.loads(out.read_text()).items() if k != "wall"})
        out.unlink()
    polled_cpu = sum(seen.values())
    res["cpu"] = round(max(res.get("cpu") or 0.0, polled_cpu), 3)
    if stopped:
        res["cpu_so_far"] = True
    res["peak_mb"] = round(max(res.get("peak_mb", 0.0), peak), 1)
    if ledger:
        ledger.finish(key, res["cpu"])
        res["others"] = machine.others_cores(busy0, busy1, ledger.total() - own0, wall)
    else:
        res["others"] = machine.others_cores(busy0, busy1, res.get("cpu"), wall)
    if err or res["rc"]:
        res["error"] = err or (stderr.strip().splitlines() or ["exit %s" % res["rc"]])[-1][:300]
    return res


def probe(out: str, args: list[str]) -> None:
    """The child of run_process: run the command, then write CPU and peak memory of this process."""
    from perfboard import cli
    try:
        rc = cli.main(args)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 1
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(out).write_text(json.dumps({
        "rc": rc, "cpu": round(me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime, 3),
        "peak_mb": round(max(_vm("VmHWM"), kids.ru_maxrss / 1024), 1)}))
    sys.stdout.flush()
    os._exit(rc or 0)


def prepare(db: str, scratch: Path) -> tuple[Path, Path]:
    """Two copies of the cached database in `scratch`: the read copy gets the two monitoring snapshots
    (执行监控, `monitor`) of its latest year in its own departments; the work copy is for the writing
    commands. The cached file itself is never opened for writing (another run may be reading it)."""
    scratch.mkdir(parents=True, exist_ok=True)
    read_db, work_db = scratch / "cli-read.duckdb", scratch / "cli-work.duckdb"
    for p in (read_db, work_db):
        for extra in (p, p.with_name(p.name + ".wal")):
            extra.unlink(missing_ok=True)
        shutil.copyfile(db, p)
    from perfboard.db import Store
    Store(work_db).close()        # a migration the cached file lacks runs here, not inside the first command
    add_snapshots(read_db)
    return read_db, work_db


def add_snapshots(db: str | Path, moves_version: bool = True) -> None:
    """The two 执行监控 snapshots (bench_monitor.add_monitoring) of the latest year of the database at `db`, in
    its departments, unless it holds some. In a transaction that moves the data version (as any import does:
    the CLI's read copy, whose `review` and `brief` then compute the year), or, moves_version=False, one that
    leaves it (the pages' copy: the app's warm-up after such an import would have stored the 自评复核 findings
    again, which read no snapshot, so the copy stays as the app leaves a database after its warm-up)."""
    from bench_monitor import add_monitoring

    from perfboard.db import Store
    with Store(db) as store:
        with store.transaction(bump_version=moves_version) as cur:
            year, n = cur.execute("SELECT year, count(*) FROM projects GROUP BY 1 ORDER BY 1 DESC LIMIT 1").fetchall()[0]
            depts = [r[0] for r in cur.execute("SELECT DISTINCT department FROM projects WHERE year = ? ORDER BY 1",
                                               [year]).fetchall()]
            if not cur.execute("SELECT count(*) FROM monitor_projects").fetchall()[0][0]:
                add_monitoring(cur, n, year, depts)


LIMIT_FACTOR = 1.5     # a command is stopped at 1.5x its goal in CPU seconds (at least 30 s): past it the row is
WALL_FACTOR = 4.0      # not held; and at 4x its goal on the wall (at least 120 s), whatever the machine's load


def judge(row: dict) -> dict:
    """held / not held of one command row (bench/README.md, "How held is decided"): no error, peak under
    the memory goal, and the wall under the time goal; or, when other processes kept at least
    machine.BUSY_CORES cores busy during the row, its CPU seconds under the time goal (the wall then
    includes waiting for a core). Adds wall_ok, cpu_ok, busy, held, held_on."""
    ok = not row.get("error")
    mem = (row.get("peak_mb") or 0) < row["goal_mb"]
    row["wall_ok"] = ok and row["wall"] < row["goal_s"]
    row["cpu_ok"] = ok and row.get("cpu") is not None and row["cpu"] < row["goal_s"]
    row["mem_ok"] = mem
    row["busy"] = machine.busy(row.get("others"))
    row["held"] = mem and (row["wall_ok"] or (row["cpu_ok"] and row["busy"]))
    row["held_on"] = ("wall" if row["wall_ok"] else "CPU") if row["held"] else None
    return row


def run(db: str, scratch: Path, workbook: Path, inprocess: bool = False, limit_factor: float = LIMIT_FACTOR,
        only: list[str] | None = None, quiet: bool = True, copies: tuple[Path, Path] | None = None,
        max_rss_mb: float = MAX_RSS_MB, jobs: int = 1, estimates: dict[str, float] | None = None) -> dict:
    """Run every command on copies of `db` (see prepare); returns {"commands": [...], "read_db", "work_db"}.
    Each command is stopped at limit_factor x its goal in CPU seconds (at least 30 s), WALL_FACTOR x on the
    wall (at least 120 s), or above max_rss_mb.
    jobs > 1: that many commands at once, each lane on its own copy of the read database (DuckDB allows
    one writer per file), the writing commands in their order in one lane; rows keep the plan's order.
    `estimates` (what -> seconds, e.g. an earlier run's CPU seconds: previous_seconds) orders the units
    longest first when jobs > 1 (see schedule)."""
    read_db, work_db = copies or prepare(db, scratch)
    cmds = [c for c in plan(str(read_db), str(work_db), scratch, workbook)
            if not only or any(c["what"].startswith(o) for o in only)]
    jobs = 1 if inprocess else max(1, jobs)
    ledger = Ledger() if jobs > 1 else None
    lane_dbs = [str(read_db)]
    for i in range(2, jobs + 1):               # the read copy (with its 执行监控 snapshots) once per extra lane
        extra = scratch / f"cli-read-{i}.duckdb"
        extra.unlink(missing_ok=True)
        shutil.copyfile(read_db, extra)
        lane_dbs.append(str(extra))
    results: dict[int, dict] = {}
    print_lock = threading.Lock()

    def one(i: int, c: dict, lane_db: str) -> None:
        args = [lane_db if a == str(read_db) else a for a in c["args"]]
        load = machine.load_avg()
        goal_s = c.get("goal_s", GOAL_S)
        limit = max(30.0, limit_factor * goal_s)
        if inprocess:
            b0 = machine.busy_seconds()
            r = run_inline(args, c.get("stdin"))
            r["others"] = machine.others_cores(b0, machine.busy_seconds(), r["cpu"], r["wall"])
        else:
            r = run_process(args, c.get("stdin"), limit, max_rss_mb, ledger,
                            wall_limit=max(120.0, WALL_FACTOR * goal_s))
        if c.get("refusal") and r["rc"] == 1 and c["refusal"] in r.get("error", ""):
            r.pop("error")                 # the stated refusal, not a failure
            r["note"] = ("refused: " + c["refusal"] + " (the command's answer, counted in SQL before anything is "
                         "built; the rows go out as CSV: the .csv row)")
        if r["rc"] and "error" not in r and not r.get("note", "").startswith("refused: "):
            r["error"] = f"exit {r['rc']}"
        if c.get("snapshot"):
            for src, dst in ((Path(work_db), Path(c["snapshot"])),
                             (Path(str(work_db) + ".wal"), Path(c["snapshot"] + ".wal"))):
                dst.unlink(missing_ok=True)
                if src.exists():
                    shutil.copyfile(src, dst)
        row = {**c, **r, "load": load, "goal_s": goal_s, "goal_mb": GOAL_MB, "limit_s": limit,
               "lanes": jobs, "lane_db": lane_db if str(work_db) not in c["args"] else str(work_db)}
        row.pop("stdin", None)
        judge(row)
        results[i] = row
        if not quiet:
            with print_lock:
                print(f"  {c['what']:<48} {r['wall']:>8.2f} s  CPU {r.get('cpu', 0):>7.2f}  peak {r['peak_mb']:>7.0f} MB"
                      f"  others {r.get('others')}  {'held' if row['held'] else 'NOT held'}  {r.get('error', '')}",
                      flush=True)

    writes = [i for i, c in enumerate(cmds) if str(work_db) in c["args"]]
    todo, lock = schedule(cmds, writes, jobs, estimates), threading.Lock()

    def lane(lane_db: str) -> None:
        while True:
            with lock:
                if not todo:
                    return
                unit = todo.pop(0)
            for i in unit:
                one(i, cmds[i], lane_db)

    threads = [threading.Thread(target=lane, args=(d,)) for d in lane_dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = [results[i] for i in sorted(results)]
    snap = next((c["snapshot"] for c in rows if c.get("snapshot")), None)
    return {"commands": rows, "read_db": str(read_db), "work_db": str(work_db), "after_import_db": snap, "jobs": jobs}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--probe":
        sep = sys.argv.index("--")
        probe(sys.argv[2], sys.argv[sep + 1:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="a database from bench/build_db.py (copied, never changed)")
    ap.add_argument("--scratch", default=str(HERE / "out" / "cli"))
    ap.add_argument("--import-projects", type=int, default=20_000)
    ap.add_argument("--inprocess", action="store_true")
    ap.add_argument("--only", help="comma-separated label prefixes, e.g. 'score,summary'")
    a = ap.parse_args()
    wb = import_workbook(a.import_projects, 20)
    run(a.db, Path(a.scratch), wb, a.inprocess, only=a.only.split(",") if a.only else None, quiet=False)


if __name__ == "__main__":
    main()
