"""Benchmark (issue 17): in-year monitoring at a province's scale.

    python bench/bench_monitor.py                   # 200,000 projects x 2 snapshots (1—6月, 1—7月), 5 indicators each
    python bench/bench_monitor.py --projects 20000

Builds (or reuses) bench/out/monitor-<N>.duckdb: synthetic monitoring snapshots generated in DuckDB (monitor_projects
2 x N rows, monitor_indicators 10 x N rows; department 0 is the sample's, so the sidebar can pick it). Then times
  cli        `python -m perfboard monitor --json` in a subprocess (wall seconds, output size)  -- goal < 10 s
  page       the 执行监控 page in AppTest inside app.py's frame: cold (first run), rerun (nothing changed: every
             state.load a cache hit), period (1—7月 -> 1—6月: cache misses), filter (one department in the sidebar)
             -- goal: rerun < 0.5 s
and prints a JSON summary (also written to bench/out/monitor.json)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
OUT = HERE / "out"
SAMPLE_DEPARTMENT = "张掖市科学技术局"


def build(path: Path, projects: int, departments: int = 60) -> None:
    from perfboard.db import Store
    from perfboard.sample import load_sample
    path.unlink(missing_ok=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    with Store(path) as store:
        load_sample(store)          # the app's frame needs a year of projects; the sample is what it would load
        with store.transaction() as cur:
            add_monitoring(cur, projects, 2024, [SAMPLE_DEPARTMENT] + [f"第{k:02d}部门" for k in range(1, departments)])


def add_monitoring(cur, projects: int, year: int, departments: list[str]) -> None:
    """Two monitoring snapshots (1—6月, 1—7月) of `projects` projects of `year`, project i in departments[i % len]
    (bench/bench_cli.py adds them to the page bench's database, in its departments)."""
    cur.execute("""
        INSERT INTO monitor_projects (id, year, period_month, department, unit, project_code, name,
            initial_budget, budget, spent_to_date, reported_rate, forecast_spent, goal, source_file,
            source_sheet, source_row, import_id, imported_at)
        SELECT i * 2 + (m - 6) + 1, $year, m, $depts[(i % $d) + 1],
               NULL, printf('P%07d', i), printf('2024年项目%07d', i),
               10 + i % 500, 10 + i % 500,
               (10 + i % 500) * ((hash(i) % 1000) / 1000.0) * m / 7.0, NULL,
               (10 + i % 500) * (0.75 + (hash(i * 7) % 300) / 1000.0), NULL, 'bench', 'bench', 1, 0,
               now()::TIMESTAMP
        FROM range($n) t(i), (VALUES (6), (7)) s(m)""", {"n": projects, "d": len(departments), "year": year,
                                                      "depts": departments})
    cur.execute("""
        INSERT INTO monitor_indicators (id, project_id, position, level1, level2, level3, direction,
            target_value, target_unit, target_text, actual_value, actual_text, forecast_value, forecast_text,
            reason_funding, reason_system, reason_staff, reason_hardware, reason_other, likelihood, note,
            source_sheet, source_row)
        SELECT p.id * 5 + k, p.id, k,
               ['产出指标', '产出指标', '产出指标', '效益指标', '满意度指标'][k::BIGINT + 1],
               ['数量指标', '质量指标', '时效指标', '社会效益指标', '服务对象满意度指标'][k::BIGINT + 1],
               printf('指标%d', k::BIGINT),
               ['≥', '=', '≤', '定性', '≥'][k::BIGINT + 1],
               [20.0, 100.0, 30.0, NULL, 90.0][k::BIGINT + 1], ['项', '%', '天', NULL, '%'][k::BIGINT + 1],
               ['≥20项', '=100%', '≤30天', '效果明显', '≥90%'][k::BIGINT + 1],
               CASE k WHEN 0 THEN (hash(p.id + k) % 25)::DOUBLE WHEN 1 THEN 100.0
                      WHEN 2 THEN (20 + hash(p.id) % 20)::DOUBLE WHEN 3 THEN NULL ELSE 92.0 END,
               CASE k WHEN 3 THEN ['达到', '部分达到', '未达到'][(hash(p.id) % 3)::BIGINT + 1] ELSE 'x' END,
               NULL, NULL,
               hash(p.id + k) % 10 = 0, false, hash(p.id + k) % 13 = 0, false,
               CASE WHEN hash(p.id + k) % 17 = 0 THEN '审批延迟' END,
               CASE WHEN hash(p.id * 3 + k) % 100 = 0 THEN '完全不可能'
                    WHEN hash(p.id * 3 + k) % 5 = 0 THEN '有可能' ELSE '确定能' END, NULL, 'bench', 1
        FROM monitor_projects p, range(5) r(k)""")


def time_cli(db: Path) -> dict:
    env = {**os.environ, "PERFBOARD_WARM": "0"}
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "perfboard", "monitor", "--db", str(db), "--json"], cwd=ROOT,
                          capture_output=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0, proc.stderr.decode()[:500]
    out = json.loads(proc.stdout)
    return {"seconds": round(wall, 2), "cpu": round(cpu, 2), "peak_rss_mb": round(after.ru_maxrss / 1024),
            "items": len(out["items"]), "bytes": len(proc.stdout),
            "period_month": out["period_month"]}


PAGE_SCRIPT = r"""
import json, os, sys, time
sys.path.insert(0, {root!r})
sys.path.insert(0, os.path.join({root!r}, "tests"))
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
original = PagesManager.__init__
def init(self, *a, **k):
    original(self, *a, **k)
    PagesManager.uses_pages_directory = False
PagesManager.__init__ = init
at = AppTest.from_file(os.path.join({root!r}, "app.py"), default_timeout=600)
at.run()
out = {{}}
def step(name, fn):
    t = time.perf_counter(); c = time.process_time()
    fn()
    assert not at.exception, [e.value for e in at.exception]
    out[name] = {{"seconds": round(time.perf_counter() - t, 3), "cpu": round(time.process_time() - c, 3)}}
step("cold", lambda: at.switch_page("pages/monitoring.py").run())
step("rerun", lambda: at.run())
step("rerun2", lambda: at.run())
step("period", lambda: at.selectbox(key="mon_period").set_value(6).run())
def dept():
    at.session_state["f_departments"] = [{dept!r}]
    at.run()
step("filter", dept)
step("filter_rerun", lambda: at.run())
out["projects_metric"] = {{m.label: m.value for m in at.metric}}.get("项目数")
print("RESULT" + json.dumps(out, ensure_ascii=False))
"""


def time_page(db: Path) -> dict:
    env = {**os.environ, "PERFBOARD_DB": str(db), "PERFBOARD_WARM": "0"}
    proc = subprocess.run([sys.executable, "-c", PAGE_SCRIPT.format(root=str(ROOT), dept=SAMPLE_DEPARTMENT)],
                          cwd=ROOT, capture_output=True, env=env)
    line = next((ln for ln in proc.stdout.decode().splitlines() if ln.startswith("RESULT")), None)
    assert line, proc.stderr.decode()[-2000:]
    return json.loads(line[len("RESULT"):])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=200_000)
    ap.add_argument("--force", action="store_true", help="rebuild the database")
    a = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    db = OUT / f"monitor-{a.projects}.duckdb"
    result = {"projects": a.projects, "snapshots": 2, "indicators_per_project": 5,
              "load_avg": list(os.getloadavg())}
    if a.force or not db.exists():
        t = time.perf_counter()
        part = db.with_name(db.name + ".part")
        build(part, a.projects)             # renamed only when complete: a failed build is never reused
        os.replace(part, db)
        result["build_seconds"] = round(time.perf_counter() - t, 1)
    result["cli"] = time_cli(db)
    result["page"] = time_page(db)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    (OUT / "monitor.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
