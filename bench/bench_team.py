"""Team mode under load: N Streamlit processes behind nginx on one PostgreSQL store (issue 16, item 3).

    nice -n 10 python bench/bench_team.py [--processes 3] [--sessions 10] [--saves 60] [--rounds 2]
                                          [--store postgres|duckdb] [--pg URL] [--json out.json]

What runs (everything real except the browser, see bench/st_client.py):
  * `processes` app processes (`streamlit run app.py`, each on its own localhost port, PERFBOARD_DB the
    store) behind one nginx started from deploy/nginx-team.conf (cookie-hash stickiness + websockets);
  * `sessions` sessions per process (the bench picks route cookies until each process has its share),
    each logged in through the login form, visiting every page of the app `rounds` times;
    2 sessions per process are editors: together they save `saves` edits (改进措施 of their own
    project) on 指标填报, as a user does (type, then press 保存);
  * once every session has shown its first page, the command line imports the 2024 sample workbook as
    a new department (`python -m perfboard import … --department 张掖市负载测试局`) beside the app;
  * a watcher in the bench process reads the store through its own PgStore copy in a loop.
Then, with the load over: a conflict across processes (two sessions on different processes edit the
same project; the second save must get the conflict message), a lock-out across processes (5 wrong
passwords spread over 3 processes lock the account for the next login on any of them) and a login
session ended from elsewhere (the command line disables the account; sessions on two other processes
show the login form at their next rerun).

Checks: 0 errors (exceptions or error boxes on any page, protocol failures), 0 lost saves (every save
the app reported is in `saves`, in `audit_log` with its text, and the project holds the last text),
0 half states: 总览 shows six figures; every 总览 must show exactly the figures every session saw first
(before the import) or exactly those all see at the end (after it: 12 more projects and their money),
so a page showing part of the department is caught; a 总览 started after the import command exited must
show the new figures (each process's next rerun sees the new data); every watcher snapshot (one
transaction: projects/budget/spent/indicators of the year) is the before or the after state and
saves == audit rows in it.

--store duckdb runs the same sessions and saves on one DuckDB file; the import command cannot run
beside the app there (the file is held: issue 16's premise), so that run has no import, and one process.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from st_client import ProtocolError, Session, route_cookie_for  # noqa: E402

PY = sys.executable
YEAR = 2024
NEW_DEPARTMENT = "张掖市负载测试局"
PASSWORD = "Team-Load-2026"
READER, EDITOR_PREFIX = "负载读者", "负载编辑"
LOCK_USER, DISABLE_USER = "锁定测试", "停用测试"
EDIT_FIELD = "改进措施"
OVERVIEW = ""                      # the default page's url path
NGINX = "/usr/sbin/nginx"
TEMPLATE = ROOT / "deploy" / "nginx-team.conf"
CONFLICT_ZH = "您载入此项目后"      # editing.EditConflict: 保存失败：您载入此项目后，X已修改了它…
EXPECTED_ERRORS = ("用户名或密码错误",)   # the lock-out check provokes this one on purpose


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def proc_cpu(pid: int) -> float:
    """user+sys CPU seconds of a process and its reaped children."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")


def proc_hwm_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postgres_cpu() -> float:
    """CPU seconds of every postgres process on the machine (the cluster; backends that ended are in
    the postmaster's reaped-children times)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "postgres":
                    total += proc_cpu(int(d.name))
            except OSError:
                pass
    return total


# ---------------------------------------------------------------- the store
def pg_admin_url() -> str:
    return os.environ.get("PERFBOARD_TEST_PG") or "postgresql://perfboard_ci:perfboard_ci@127.0.0.1/postgres"


def _pg_url(admin: str, name: str) -> str:
    from urllib.parse import urlparse, urlunparse
    return urlunparse(urlparse(admin)._replace(path="/" + name))


def create_pg_database(admin: str) -> tuple[str, str]:
    import psycopg
    name = f"perfboard_team_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return name, _pg_url(admin, name)


def drop_pg_database(admin: str, name: str) -> None:
    import psycopg
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def prepare_store(target: str, editors: int) -> None:
    """The sample data and the accounts the sessions log in with."""
    from perfboard import auth
    from perfboard.db import Store
    from perfboard.sample import load_sample
    s = Store(target)
    try:
        assert load_sample(s).ok
        s.set_setting("sample_offered", True)
        admin = auth.add_user(s, READER, PASSWORD, "admin", ["*"])    # every page, 用户管理 included
        for k in range(editors):
            auth.add_user(s, f"{EDITOR_PREFIX}{k + 1}", PASSWORD, "editor", ["*"], by=admin)
        auth.add_user(s, LOCK_USER, PASSWORD, "viewer", ["*"], by=admin)
        auth.add_user(s, DISABLE_USER, PASSWORD, "viewer", ["*"], by=admin)
    finally:
        s.close()


# ---------------------------------------------------------------- the processes
class Cluster:
    """`n` app processes on localhost ports behind one nginx (deploy/nginx-team.conf)."""

    def __init__(self, store: str, n: int, work: Path, env: dict | None = None):
        self.store, self.n, self.work = store, n, work
        self.env = dict(os.environ, PERFBOARD_DB=store, **(env or {}))
        self.apps: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.nginx: subprocess.Popen | None = None
        self.port = 0
        self.kill_needed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 600) -> "Cluster":
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> "Cluster":
        for i in range(self.n):
            port = free_port()
            log = open(self.work / f"app-{port}.log", "wb")
            self.apps.append(subprocess.Popen(
                [PY, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
                 "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
                 "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
            self.ports.append(port)
        self.port = free_port()
        conf = self.write_nginx_conf()
        self.nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(self.work) + "/", "-g", "daemon off;"],
                                      stdout=open(self.work / "nginx.out", "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        for port in self.ports + [self.port]:
            while True:
                if any(p.poll() is not None for p in self.apps + [self.nginx]):
                    raise RuntimeError("an app process or nginx ended at start: "
                                       + str([p.poll() for p in self.apps + [self.nginx]]) + self.logs())
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2):
                        pass
                    import urllib.request
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=30) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {port} did not answer within {timeout:.0f} s: " + self.logs())
                time.sleep(0.5)
        return self

    def write_nginx_conf(self) -> Path:
        fill = {"@SERVERS@": "\n".join(f"    server 127.0.0.1:{p};" for p in self.ports),
                "@LISTEN@": f"127.0.0.1:{self.port}",
                "@BENCH@": "        add_header X-PerfBoard-Upstream $upstream_addr always;"}
        lines = []
        for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):          # the comments name the placeholders too
                for k, v in fill.items():
                    line = line.replace(k, v)
            lines.append(line)
        site = "\n".join(lines) + "\n"
        (self.work / "site.conf").write_text(site, encoding="utf-8")
        for d in ("logs", "tmp"):
            (self.work / d).mkdir(exist_ok=True)
        main = self.work / "nginx.conf"
        main.write_text(f"""worker_processes 1;
pid {self.work}/nginx.pid;
error_log {self.work}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {self.work}/logs/access.log;
    client_body_temp_path {self.work}/tmp/body;
    proxy_temp_path {self.work}/tmp/proxy;
    fastcgi_temp_path {self.work}/tmp/fastcgi;
    uwsgi_temp_path {self.work}/tmp/uwsgi;
    scgi_temp_path {self.work}/tmp/scgi;
    include {self.work}/site.conf;
}}
""", encoding="utf-8")
        return main

    def logs(self) -> str:
        out = []
        for f in sorted(self.work.glob("app-*.log")) + [self.work / "logs" / "error.log", self.work / "nginx.out"]:
            if f.exists():
                out.append(f"--- {f.name}\n" + f.read_text(errors="replace")[-3000:])
        return "\n".join(out)

    def upstream_of(self, port_text: str) -> int:
        return self.ports.index(int(port_text.rsplit(":", 1)[1]))

    def cookies(self, per_process: int) -> list[list[str]]:
        """Route cookies, `per_process` for each process: fresh ones from nginx until every process has
        its share (the consistent hash spreads random values evenly only on average)."""
        got: list[list[str]] = [[] for _ in self.ports]
        for _ in range(per_process * self.n * 50):
            if all(len(g) >= per_process for g in got):
                return got
            cookie, upstream = route_cookie_for(self.url)
            k = self.upstream_of(upstream)
            if len(got[k]) < per_process:
                got[k].append(cookie)
        raise RuntimeError(f"could not place {per_process} sessions on each process: {[len(g) for g in got]}")

    def usage(self) -> dict:
        return {"app_cpu_s": [round(proc_cpu(p.pid), 1) for p in self.apps],
                "app_peak_rss_mb": [round(proc_hwm_mb(p.pid)) for p in self.apps]}

    def stop(self) -> None:
        for p in self.apps + ([self.nginx] if self.nginx else []):
            if p.poll() is None:
                p.terminate()
        for p in self.apps + ([self.nginx] if self.nginx else []):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:     # seen on PostgreSQL: an app process ignores SIGTERM
                self.kill_needed = True
                p.kill()
                p.wait()


# ---------------------------------------------------------------- the sessions
@dataclass
class Result:
    latencies: dict = field(default_factory=dict)       # page -> [s]
    errors: list = field(default_factory=list)
    overviews: list = field(default_factory=list)       # (t0, t1, metrics, who)
    snapshots: list = field(default_factory=list)       # (figures, saves, audits)
    saves: list = field(default_factory=list)           # (user, project name, text)
    checks: dict = field(default_factory=dict)
    finals: dict = field(default_factory=dict)          # reader -> 总览 figures once everything is over
    import_window: tuple | None = None                  # (started, ended) perf_counter
    import_cpu_s: float | None = None
    wall: float = 0.0

    def percentiles(self) -> dict:
        out = {}
        for page, xs in sorted(self.latencies.items()):
            xs = sorted(xs)
            q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) > 1 else [xs[0]] * 99
            out[page] = {"n": len(xs), "p50": round(q[49], 3), "p90": round(q[89], 3), "p99": round(q[98], 3),
                         "max": round(xs[-1], 3)}
        return out


class Tab:
    """A logged-in session plus the widget values it keeps sending (as a browser tab does)."""

    def __init__(self, url: str, cookie: str, who: str, result: Result, lock: threading.Lock):
        self.s = Session(url, cookie, timeout=float(os.environ.get("BENCH_TEAM_TIMEOUT", "300")))
        self.who, self.result, self.lock = who, result, lock
        self.sticky: dict[str, tuple] = {}
        self.filtered = False            # a search narrows 总览: not compared with the whole year's figures

    def run(self, page: str | None = None, extra: list | None = None, record: bool = True, expect=()):
        t0 = time.perf_counter()
        widgets = [(wid, kind, value) for wid, (kind, value) in self.sticky.items()] + (extra or [])
        run = self.s.run(page, widgets)
        t1 = time.perf_counter()
        if os.environ.get("BENCH_TEAM_TRACE"):
            print(f"{time.strftime('%H:%M:%S')} {self.who} {page!r} {run.seconds:.2f}s {run.errors()[:1]}",
                  file=sys.stderr, flush=True)
        title = page if page is not None else "(same page)"
        errors = [e for e in run.errors() if not any(x in e for x in expect)]
        with self.lock:
            if record:
                self.result.latencies.setdefault(title or "overview", []).append(run.seconds)
            for e in errors:
                self.result.errors.append(f"{self.who} on {title or 'overview'}: {e[:300]}")
            if page == OVERVIEW and record and not self.filtered:
                self.result.overviews.append((t0, t1, tuple(run.metrics), self.who))
        return run

    def login(self, user: str, password: str = PASSWORD, expect=()):
        first = self.run(OVERVIEW, record=False)
        if "用户名" not in first.widgets:
            raise ProtocolError(f"{self.who}: no login form ({first.errors()})")
        return self.run(None, [(self.s.widget("用户名"), "string", user), (self.s.widget("密码"), "string", password),
                               (self.s.widget("登录"), "trigger", True)], record=False, expect=expect)

    def search(self, text: str) -> None:
        self.sticky[self.s.widget("项目名称搜索")] = ("string", text)
        self.filtered = True

    def type_text(self, text: str):
        """On 指标填报: type `text` into 改进措施 (the browser sends it when the field loses focus): an unsaved
        edit of the project as loaded now."""
        self.run("indicators_edit")
        self.sticky[self.s.widget(EDIT_FIELD)] = ("string", text)
        return self.run(None, record=False)

    def press_save(self, expect=()):
        return self.run(None, [(self.s.widget("保存"), "trigger", True)], record=False, expect=expect)

    def save(self, text: str, expect=()):
        self.type_text(text)
        return self.press_save(expect)

    def close(self):
        self.s.close()


def project_names(store: str) -> list[str]:
    from perfboard.db import Store
    s = Store(store)
    try:
        return [r[0] for r in s.cursor().execute(
            "SELECT name FROM projects WHERE year = ? ORDER BY name", [YEAR]).fetchall()]
    finally:
        s.close()


def snapshot(store) -> tuple:
    cur = store.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        a = cur.execute("SELECT count(*), round(sum(budget), 4), round(sum(spent), 4) FROM projects WHERE year = ?",
                        [YEAR]).fetchall()[0]
        b = cur.execute("SELECT count(*) FROM indicators i JOIN projects p ON p.id = i.project_id WHERE p.year = ?",
                        [YEAR]).fetchall()[0]
        saves = cur.execute("SELECT count(*) FROM saves").fetchall()[0][0]
        audits = cur.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
        cur.execute("COMMIT")
    finally:
        cur.close()
    return tuple(a) + tuple(b), saves, audits


def import_file(work: Path) -> Path:
    from perfboard.sample import sample_files
    src = next(p for p in sample_files() if "2024" in p.name and "示例" not in p.name)
    dst = work / "负载测试-2024.xlsx"
    shutil.copy(src, dst)
    return dst


def scenario(cluster: Cluster, sessions: int, saves: int, rounds: int, do_import: bool,
             cross_checks: bool, work: Path, names: list[str], only: tuple | None = None) -> Result:
    """`only`: the url paths the sessions visit (None: every page; 总览 is always one)."""
    from perfboard.db import Store

    result, lock = Result(), threading.Lock()
    n = cluster.n
    editors_per_process = 2 if sessions >= 3 else 1
    cookies = cluster.cookies(sessions + (2 if cross_checks else 0))
    tabs: list[Tab] = []
    for k in range(n):
        for j in range(sessions):
            tabs.append(Tab(cluster.url, cookies[k][j], f"p{k + 1}s{j + 1}", result, lock))
    savers = [t for t in tabs if int(t.who.split("s")[1]) <= editors_per_process]
    readers = [t for t in tabs if t not in savers]
    per_saver = [saves // len(savers) + (1 if i < saves % len(savers) else 0) for i in range(len(savers))]
    if len(names) < len(savers) + 1:
        raise RuntimeError("not enough projects for one per editor")

    watcher_store = Store(cluster.store) if not cluster.store.endswith(".duckdb") else None
    first_pages = threading.Barrier(len(tabs) + 1 + (1 if do_import else 0))    # sessions, this thread, importer
    imported, saving_done, stop_watch = threading.Event(), threading.Event(), threading.Event()
    if not do_import:
        imported.set()
    order_all: list[str] = []

    def fail(who: str, exc: BaseException):
        with lock:
            result.errors.append(f"{who}: {type(exc).__name__}: {str(exc)[:500]}")

    def session_body(t: Tab, saver_index: int | None):
        try:
            user = READER if saver_index is None else f"{EDITOR_PREFIX}{saver_index + 1}"
            run = t.login(user)
            if "用户名" in run.widgets:
                raise ProtocolError(f"{t.who}: login as {user} failed: {run.alerts}")
            t.run(OVERVIEW)                                   # the first page (before the import)
            pages = [p for p in dict.fromkeys(v for v in t.s.pages if "/" not in v)
                     if p in PAGE_PATHS and (only is None or p in only or p == OVERVIEW)]
            with lock:
                if not order_all:
                    order_all.extend(pages)
            first_pages.wait(timeout=900)
            if saver_index is None:
                k = int(t.who.split("s")[1])
                order = pages[k % len(pages):] + pages[:k % len(pages)]
                done = 0
                while True:
                    after = imported.is_set()
                    for p in order:
                        t.run(p)
                    done += 1
                    if done >= rounds and after and saving_done.is_set():
                        break
            else:
                project = names[saver_index]
                t.search(project)
                for i in range(per_saver[saver_index]):
                    text = f"团队负载测试：{t.who} 第 {i + 1} 次保存 {secrets.token_hex(3)}"
                    run = t.save(text)
                    if run.errors():
                        continue                                # counted by Tab.run
                    with lock:
                        result.saves.append((user, project, text))
                    t.run(pages[(i * 5 + saver_index) % len(pages)])
        except BaseException as exc:     # noqa: BLE001 -- every failure is reported
            fail(t.who, exc)
            try:
                first_pages.abort()
            except threading.BrokenBarrierError:
                pass

    def importer():
        try:
            first_pages.wait(timeout=900)
            time.sleep(1.0)
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-f", "%U %S", PY, "-m", "perfboard", "import", str(import_file(work)),
                                "--db", cluster.store, "--department", NEW_DEPARTMENT],
                               cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=900)
            t1 = time.perf_counter()
            result.import_window = (t0, t1)
            try:
                u, s_ = p.stderr.strip().splitlines()[-1].split()
                result.import_cpu_s = float(u) + float(s_)
            except ValueError:
                pass
            if p.returncode != 0:
                raise RuntimeError(f"import exited {p.returncode}: {p.stdout[-800:]} {p.stderr[-800:]}")
        except BaseException as exc:     # noqa: BLE001
            fail("import command", exc)
        finally:
            imported.set()

    def watcher():
        try:
            while not stop_watch.is_set():
                snap = snapshot(watcher_store)
                with lock:
                    result.snapshots.append(snap)
                time.sleep(0.05)
        except BaseException as exc:     # noqa: BLE001
            fail("watcher", exc)

    t_start = time.perf_counter()
    threads = []
    for t in tabs:
        si = savers.index(t) if t in savers else None
        threads.append(threading.Thread(target=session_body, args=(t, si), name=t.who))
    if do_import:
        threads.append(threading.Thread(target=importer, name="importer"))
    watch = threading.Thread(target=watcher, name="watcher") if watcher_store else None
    for th in threads:
        th.start()
    if watch:
        watch.start()
    try:
        first_pages.wait(timeout=900)
    except threading.BrokenBarrierError:
        pass
    for th in threads:
        if th.name.startswith("p") and "s" in th.name and int(th.name.split("s")[1]) <= editors_per_process:
            th.join()
    saving_done.set()
    for th in threads:
        th.join()
    stop_watch.set()
    if watch:
        watch.join()
    result.wall = time.perf_counter() - t_start

    # ---- afterwards: every session's next 总览 shows the final data
    for t in readers:
        try:
            result.finals[t.who] = tuple(t.run(OVERVIEW, record=False).metrics)
        except BaseException as exc:     # noqa: BLE001
            fail(t.who, exc)
    check_states(result, do_import)
    if cross_checks:
        cross_process_checks(cluster, cookies, sessions, names[len(savers)], result, lock)
    for t in tabs:
        t.close()
    if watcher_store:
        watcher_store.close()
    return result


PAGE_PATHS = ("", "execution", "monitoring", "deviations", "review", "compare", "indicators_edit", "history",
              "reports", "import_data", "settings", "users")


def check_states(result: Result, imported: bool) -> None:
    """0 half states: every 总览 is the first state or the last; after the import, only the last."""
    if not result.overviews:
        result.errors.append("no 总览 rendered")
        return
    first = [m for t0, t1, m, who in result.overviews]
    before = first[0]
    afters = set(result.finals.values())         # every reader's 总览 once the import and saves are over
    if imported and before in afters:
        result.errors.append("a session still shows the figures from before the import at the end")
    if len(afters) != 1:
        result.errors.append(f"the sessions end on different 总览 figures: {afters}")
    after = next(iter(afters))
    seen = {"before": 0, "after": 0, "stale": 0, "half": 0}
    end = result.import_window[1] if result.import_window else None
    for t0, t1, m, who in result.overviews:
        if m == before:
            key = "before"
            if end is not None and t0 > end and m != after:
                key = "stale"
                result.errors.append(f"{who}: 总览 started {t0 - end:.1f} s after the import ended shows the old figures")
        elif m == after:
            key = "after"
        else:
            key = "half"
            result.errors.append(f"{who}: 总览 is neither before nor after (half state): {m}")
        seen[key] += 1
    result.checks["overview_states"] = seen
    result.checks["overview_before"] = before
    result.checks["overview_after"] = after
    if result.snapshots:
        states = [s[0] for s in result.snapshots]
        a, b = states[0], states[-1]
        bad = [s for s in states if s not in (a, b)]
        half_saves = [s for s in result.snapshots if s[1] - result.snapshots[0][1] != s[2] - result.snapshots[0][2]]
        result.checks["snapshots"] = {"n": len(states), "before": states.count(a), "after": states.count(b),
                                      "neither": len(bad), "save_without_audit": len(half_saves), "first": a, "last": b}
        if bad:
            result.errors.append(f"watcher: {len(bad)} snapshots neither before nor after, e.g. {bad[0]}")
        if half_saves:
            result.errors.append(f"watcher: {len(half_saves)} snapshots with saves != audit rows")


def check_saves(store_url: str, result: Result) -> None:
    """0 lost saves: each reported save is a `saves` row of its user with one audit row holding its text,
    and each project holds the last text saved for it."""
    from perfboard.db import Store
    s = Store(store_url)
    try:
        cur = s.cursor()
        rows = cur.execute(
            "SELECT s.user_name, a.new_value, a.field FROM saves s JOIN audit_log a ON a.save_id = s.id "
            "WHERE s.user_name LIKE ? ORDER BY s.id", [EDITOR_PREFIX + "%"]).fetchall()
        rows = [(u, v, f) for u, v, f in rows if f == "improvement" and json.loads(v).startswith("团队负载测试")]
        stored = {(u, json.loads(v)) for u, v, f in rows}
        lost = [(u, t) for u, _, t in result.saves if (u, t) not in stored]
        if lost:
            lost.append(("stored e.g.", rows[:2]))
        extra = len(rows) - len(result.saves)
        last = {}
        for u, p, t in result.saves:
            last[p] = t
        wrong = []
        for p, t in last.items():
            got = [r[0] for r in cur.execute("SELECT improvement FROM projects WHERE year = ? AND name = ? "
                                              "AND department <> ?", [YEAR, p, NEW_DEPARTMENT]).fetchall()]
            if got != [t]:
                wrong.append((p, got, t))
        cur.close()
    finally:
        s.close()
    result.checks["saves"] = {"reported": len(result.saves), "in_db_with_audit": len(rows), "lost": len(lost),
                              "not_last_value": len(wrong)}
    if lost:
        result.errors.append(f"{len(lost)} lost saves, e.g. {lost[0]}")
    if extra:
        result.errors.append(f"{extra} more saves in the store than the app reported")
    if wrong:
        result.errors.append(f"{len(wrong)} projects do not hold the last text saved, e.g. {wrong[0]}")


def cross_process_checks(cluster: Cluster, cookies, sessions: int, project: str, result: Result, lock) -> None:
    """Conflict, lock-out and a session ended from elsewhere, each across processes."""
    spare = [cookies[k][sessions:] for k in range(cluster.n)]      # 2 fresh cookies per process
    out = result.checks.setdefault("cross_process", {})
    tabs = []
    try:
        # conflict: process 1 and 2 load the same project; 1 saves, then 2's save is refused
        a = Tab(cluster.url, spare[0][0], "conflict-p1", result, lock)
        b = Tab(cluster.url, spare[1 % cluster.n][0], "conflict-p2", result, lock)
        tabs += [a, b]
        for t, u in ((a, f"{EDITOR_PREFIX}1"), (b, f"{EDITOR_PREFIX}2")):
            t.login(u)
            t.search(project)
            t.run("indicators_edit", record=False)
        b.type_text("冲突测试：第二个进程的修改")                 # unsaved on process 2 ...
        ra = a.save("冲突测试：第一个进程的修改")                  # ... while process 1 saves
        rb = b.press_save(expect=(CONFLICT_ZH, "已被他人修改"))
        out["conflict_first_saved"] = not ra.errors()
        out["conflict_second_refused"] = any(CONFLICT_ZH in body for kind, body in rb.alerts if kind == "error")
        if not (out["conflict_first_saved"] and out["conflict_second_refused"]):
            result.errors.append(f"conflict across processes not detected: first {ra.alerts}, second {rb.alerts}")
        # lock-out: 5 wrong passwords over three processes; then the right one is refused on any process
        ls = [Tab(cluster.url, spare[k][1], f"lock-p{k + 1}", result, lock) for k in range(cluster.n)]
        tabs += ls
        for i in range(5):
            ls[i % len(ls)].login(LOCK_USER, "wrong-password", expect=EXPECTED_ERRORS)
        r = ls[-1].login(LOCK_USER, PASSWORD, expect=EXPECTED_ERRORS)
        out["locked_out_everywhere"] = "用户名" in r.widgets and any("用户名或密码错误" in b for _, b in r.alerts)
        if not out["locked_out_everywhere"]:
            result.errors.append(f"lock-out across processes failed: {r.alerts}")
        # a login session ended elsewhere: logged in on process 2 and 3; the command line disables the account
        ds = [Tab(cluster.url, spare[k][1], f"disable-p{k + 1}", result, lock) for k in range(1, cluster.n)] or \
            [Tab(cluster.url, spare[0][1], "disable-p1", result, lock)]
        tabs += ds
        for t in ds:
            r = t.login(DISABLE_USER)
            if "用户名" in r.widgets:
                result.errors.append(f"{t.who}: login as {DISABLE_USER} failed: {r.alerts}")
        p = subprocess.run([PY, "-m", "perfboard", "user", "disable", DISABLE_USER, "--db", cluster.store],
                           cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            result.errors.append(f"user disable exited {p.returncode}: {p.stderr[-500:]}")
        ended = [("用户名" in t.run(OVERVIEW, record=False).widgets) for t in ds]
        out["session_ended_everywhere"] = all(ended)
        if not all(ended):
            result.errors.append(f"a session of a disabled account still runs on some process: {ended}")
    except BaseException as exc:     # noqa: BLE001
        result.errors.append(f"cross-process checks: {type(exc).__name__}: {str(exc)[:500]}")
    finally:
        for t in tabs:
            t.close()


# ---------------------------------------------------------------- a whole run
def run(store: str = "postgres", processes: int = 3, sessions: int = 10, saves: int = 60, rounds: int = 2,
        pg: str | None = None, cross_checks: bool = True, work: Path | None = None,
        pages: tuple | None = None) -> dict:
    tmp = tempfile.TemporaryDirectory(prefix="perfboard-team-")
    work = Path(work or tmp.name)
    editors = 2 * processes + 2
    db_name = None
    admin = pg or pg_admin_url()
    if store == "postgres":
        db_name, target = create_pg_database(admin)
    else:
        target = str(work / "team.duckdb")
    cluster = None
    try:
        prepare_store(target, editors)
        names = project_names(target)
        pg_cpu0, load0 = postgres_cpu(), loadavg()
        t0 = time.perf_counter()
        cluster = Cluster(target, processes, work).start()
        start_s = time.perf_counter() - t0
        result = scenario(cluster, sessions, saves, rounds, do_import=(store == "postgres"),
                          cross_checks=cross_checks and store == "postgres" and processes > 1, work=work,
                          names=names, only=pages)
        usage = cluster.usage()
        cluster.stop()
        usage["sigterm_ignored"] = cluster.kill_needed              # a DuckDB file is held by its app process
        check_saves(target, result)
        out = {"store": store, "processes": processes, "sessions": sessions * processes, "saves": len(result.saves),
               "page_set": "all" if pages is None else ",".join(p or "overview" for p in pages),
               "rounds": rounds, "errors": result.errors, "checks": result.checks,
               "pages": result.percentiles(), "wall_s": round(result.wall, 1), "start_s": round(start_s, 1),
               "import_s": round(result.import_window[1] - result.import_window[0], 1) if result.import_window else None,
               "import_cpu_s": result.import_cpu_s, **usage,
               "postgres_cpu_s": round(postgres_cpu() - pg_cpu0, 1) if store == "postgres" else None,
               "bench_cpu_s": round(sum(os.times()[:2]), 1), "bench_peak_rss_mb": round(proc_hwm_mb(os.getpid())),
               "loadavg_start": load0, "loadavg_end": loadavg()}
        return out
    finally:
        if cluster:
            cluster.stop()
        if db_name:
            drop_pg_database(admin, db_name)
        tmp.cleanup()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", choices=("postgres", "duckdb"), default="postgres")
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=10, help="sessions per process")
    ap.add_argument("--saves", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=2, help="times each reading session visits every page")
    ap.add_argument("--pg", help="PostgreSQL URL whose role may CREATE DATABASE (default PERFBOARD_TEST_PG)")
    ap.add_argument("--no-cross-checks", action="store_true")
    ap.add_argument("--pages", help="comma-separated url paths the sessions visit (overview = 总览, always "
                                    "visited), e.g. execution,deviations,compare,history; default every page")
    ap.add_argument("--json", help="write the result here too")
    a = ap.parse_args()
    only = tuple("" if p == "overview" else p for p in a.pages.split(",")) if a.pages else None
    out = run(a.store, a.processes, a.sessions, a.saves, a.rounds, a.pg, not a.no_cross_checks, pages=only)
    print(f"{out['store']}: {out['processes']} processes x {a.sessions} sessions, {out['saves']} saves, "
          f"import {out['import_s']} s; wall {out['wall_s']} s; load average {out['loadavg_start']} -> {out['loadavg_end']}")
    print(f"app CPU s {out['app_cpu_s']}, peak RSS MB {out['app_peak_rss_mb']}, postgres CPU s {out['postgres_cpu_s']}, "
          f"bench CPU s {out['bench_cpu_s']}")
    print(f"{'page':<16} {'n':>5} {'p50':>7} {'p90':>7} {'p99':>7} {'max':>7}")
    for page, p in out["pages"].items():
        print(f"{page or 'overview':<16} {p['n']:>5} {p['p50']:>7.3f} {p['p90']:>7.3f} {p['p99']:>7.3f} {p['max']:>7.3f}")
    print("checks:", json.dumps(out["checks"], ensure_ascii=False, default=str))
    print("errors:", len(out["errors"]))
    for e in out["errors"][:30]:
        print("  ", e)
    if a.json:
        Path(a.json).write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    sys.exit(1 if out["errors"] else 0)


if __name__ == "__main__":
    main()
