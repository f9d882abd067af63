"""Benchmark: importing a flat workbook of N projects (~11 indicators each), PerfBoard against the obvious baseline.

    python bench/bench_import.py --n 10000

Generates bench/out/import-<N>.xlsx once (bench/generate.py: realistic Chinese names, money, indicator
texts; xlsxwriter), then times in the same run:
  (a) PerfBoard: importer.prepare(store, [(name, bytes)]) -- read with calamine, validate every cell,
      check duplicates/orphans/hash/scope -- and importer.commit into a fresh DuckDB file;
  (b) the baseline: pandas.read_excel(engine="openpyxl") for both sheets, then a row-by-row
      parameterised INSERT (executemany) into the same schema in a fresh DuckDB file, no validation.
Both end with the same rows in the database (checked). Wall seconds and process CPU seconds are
shown: on a shared machine the CPU column is the steadier one (DuckDB may use more than one core)."""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402

from generate import generate, write_workbook  # noqa: E402
from perfboard import importer  # noqa: E402
from perfboard.db import Store  # noqa: E402

OUT = HERE / "out"

PROJECT_COLS = {"年度": "year", "主管部门": "department", "实施单位": "unit", "项目编码": "project_code",
                "项目名称": "name", "资金来源": "funding_source", "年初预算数（万元）": "initial_budget",
                "全年预算数（万元）": "budget", "全年执行数（万元）": "spent", "执行率": "reported_rate",
                "项目概况": "overview", "年度总体目标": "goal", "实际完成情况": "achievement",
                "偏离原因": "deviation_reason", "改进措施": "improvement"}
INDICATOR_COLS = {"一级指标": "level1", "二级指标": "level2", "三级指标": "level3", "年度指标值": "target_text",
                  "实际完成值": "actual_text", "分值": "weight", "得分": "reported_score", "评价结论": "judgement",
                  "偏差原因分析及改进措施": "deviation_note"}


def workbook(n: int, regen: bool = False) -> Path:
    path = OUT / f"import-{n}.xlsx"
    if regen or not path.exists():
        t = time.perf_counter()
        frames = generate(projects_per_year=n, years=1, departments=20, seed=7)
        write_workbook(frames, path)
        print(f"generated {path.relative_to(HERE.parent)}: {len(frames.projects):,} projects, "
              f"{len(frames.indicators):,} indicators, {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")
    return path


def fresh(path: Path) -> Store:
    for p in (path, path.with_suffix(path.suffix + ".wal")):
        p.unlink(missing_ok=True)
    return Store(path)


def run_perfboard(xlsx: Path) -> dict:
    store = fresh(OUT / "bench-perfboard.duckdb")
    c0, t0 = time.process_time(), time.perf_counter()
    plan = importer.prepare(store, [(xlsx.name, xlsx.read_bytes())])
    c1, t1 = time.process_time(), time.perf_counter()
    if not plan.ok:
        raise SystemExit(plan.report.to_frame().head(20).to_string())
    importer.commit(store, plan, user="bench")
    c2, t2 = time.process_time(), time.perf_counter()
    counts = _counts(store)
    store.close()
    return {"parse": t1 - t0, "commit": t2 - t1, "total": t2 - t0, "cpu": (c1 - c0, c2 - c1, c2 - c0),
            "counts": counts, "warnings": len(plan.report.warnings), "truncated": plan.report.truncated}


def _none(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def run_baseline(xlsx: Path) -> dict:
    store = fresh(OUT / "bench-baseline.duckdb")
    cur = store.cursor()
    c0, t0 = time.process_time(), time.perf_counter()
    sheets = pd.read_excel(xlsx, sheet_name=["项目", "绩效指标"], engine="openpyxl")
    c1, t1 = time.process_time(), time.perf_counter()
    projects, indicators = sheets["项目"], sheets["绩效指标"]
    cols = list(PROJECT_COLS.values()) + ["id", "source_file"]
    ids: dict[str, int] = {}
    prow = []
    for i, r in enumerate(projects.itertuples(index=False), start=1):
        rec = dict(zip(projects.columns, r))
        ids[rec["项目编码"]] = i
        prow.append([_none(rec[h]) for h in PROJECT_COLS] + [i, xlsx.name])
        prow[-1][0] = int(prow[-1][0])
    irow = []
    positions: dict[int, int] = {}
    for k, r in enumerate(indicators.itertuples(index=False), start=1):
        rec = dict(zip(indicators.columns, r))
        pid = ids[rec["项目编码"]]
        positions[pid] = positions.get(pid, 0) + 1
        irow.append([_none(rec[h]) for h in INDICATOR_COLS] + [k, pid, positions[pid]])
    cur.execute("BEGIN TRANSACTION")
    cur.executemany(f"INSERT INTO projects ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", prow)
    icols = list(INDICATOR_COLS.values()) + ["id", "project_id", "position"]
    cur.executemany(f"INSERT INTO indicators ({', '.join(icols)}) VALUES ({', '.join('?' * len(icols))})", irow)
    cur.execute("COMMIT")
    c2, t2 = time.process_time(), time.perf_counter()
    counts = _counts(store)
    store.close()
    return {"parse": t1 - t0, "commit": t2 - t1, "total": t2 - t0, "cpu": (c1 - c0, c2 - c1, c2 - c0),
            "counts": counts}


def _counts(store: Store) -> tuple:
    return tuple(store.cursor().execute(
        "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM indicators), "
        "(SELECT round(sum(budget), 4) FROM projects), (SELECT round(sum(spent), 4) FROM projects)").fetchall()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description="PerfBoard import vs pandas.read_excel(openpyxl) + row-by-row INSERT")
    ap.add_argument("--n", type=int, default=10_000, help="projects (default 10,000)")
    ap.add_argument("--regen", action="store_true", help="write the workbook again")
    ap.add_argument("--skip-baseline", action="store_true")
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    xlsx = workbook(a.n, a.regen)

    pb = run_perfboard(xlsx)
    rows = pb["counts"][0] + pb["counts"][1]
    print(f"\nN = {a.n:,} projects, {pb['counts'][1]:,} indicators ({rows:,} rows), {xlsx.stat().st_size / 1e6:.1f} MB; "
          f"PerfBoard listed {pb['warnings']} warnings" + (" (report capped)" if pb["truncated"] else ""))
    table = [("PerfBoard  read + validate (calamine)", pb["parse"], pb["cpu"][0]),
             ("PerfBoard  commit (Arrow, one transaction)", pb["commit"], pb["cpu"][1]),
             ("PerfBoard  total", pb["total"], pb["cpu"][2])]
    if not a.skip_baseline:
        base = run_baseline(xlsx)
        assert base["counts"] == pb["counts"], (base["counts"], pb["counts"])
        table += [("baseline   pandas.read_excel(openpyxl)", base["parse"], base["cpu"][0]),
                  ("baseline   row-by-row INSERT (executemany)", base["commit"], base["cpu"][1]),
                  ("baseline   total", base["total"], base["cpu"][2])]
    print(f"\n{'stage':<44}{'seconds':>9}{'rows/s':>12}{'CPU s':>9}")
    for name, sec, cpu in table:
        print(f"{name:<44}{sec:>9.2f}{rows / sec:>12,.0f}{cpu:>9.2f}")
    if not a.skip_baseline:
        print(f"\nspeed-up (baseline total / PerfBoard total): {base['total'] / pb['total']:.1f}x")
        print(f"  reading: {base['parse'] / pb['parse']:.1f}x   writing: {base['commit'] / pb['commit']:.1f}x")


if __name__ == "__main__":
    main()
