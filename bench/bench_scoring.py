"""Benchmark: scores and grades of every filtered project (scoring.project_scores, behind the grade line of
总览 and 预算执行) against the per-project Python path it replaced (score_project per project).

    python bench/bench_scoring.py --n 50000 [--years 1] [--db bench/out/scoring-50000x1.duckdb] [--reference]

Builds the database once (bench/generate.py frames, varied by `varied` below so that weights, reported scores,
judgements, 不适用 rows, missing actuals and unclassified 一级 all occur; written as a flat workbook and imported
through perfboard.importer), then times project_scores for a year, a year and one department (and with
several years all years and one department across them): cold (nothing kept: right after an import or edit)
and kept (a filter change under the same data version); with --reference also the per-project path, and
checks both frames are equal."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from generate import Frames, generate, write_workbook  # noqa: E402

OUT = HERE / "out"


def varied(frames: Frames, seed: int = 11) -> Frames:
    """The generator's frames with the shapes scoring has to handle: per project no weights (estimated),
    full weights (summing to 90 or not) or some weights missing; 得分 next to some weights; 部分达成 /
    未达成 / 不适用 judgements (sometimes a whole 一级 不适用); qualitative rows left unjudged; missing
    actuals; notes dropped; 一级 spelled with its points, as 成本指标, unclassifiable or blank."""
    rng = np.random.default_rng(seed)
    ind = frames.indicators.copy()
    n = len(ind)
    key = ind["年度"].astype(str) + "|" + ind["项目编码"].astype(str)
    proj, _ = pd.factorize(key)
    kind = rng.choice(3, size=proj.max() + 1, p=[0.45, 0.45, 0.10])[proj]    # 0 none, 1 all, 2 some weights
    weights = rng.choice([5.0, 10.0, 7.5, 3.33, 12.0, 20.0, 15.0, 0.0], size=n)
    w = np.where(kind == 0, np.nan, weights)
    w = np.where((kind == 2) & (rng.random(n) < 0.4), np.nan, w)
    ind["分值"] = w
    score = np.where(rng.random(n) < 0.5, w, np.round(w * rng.uniform(0.3, 1.0, n), 2))
    ind["得分"] = np.where(rng.random(n) < 0.35, score, np.nan)
    judgement = ind["评价结论"].where(ind["评价结论"].astype(bool), None).to_numpy(dtype=object)
    r = rng.random(n)
    judgement = np.where(r < 0.05, "不适用", np.where(r < 0.10, "部分达成", np.where(r < 0.13, "未达成", judgement)))
    judgement = np.where((judgement == "达成") & (rng.random(n) < 0.3), None, judgement)
    sat_na = (ind["一级指标"] == "满意度指标").to_numpy() & (rng.random(proj.max() + 1) < 0.1)[proj]
    ind["评价结论"] = np.where(sat_na, "不适用", judgement)
    ind["实际完成值"] = np.where(rng.random(n) < 0.03, None, ind["实际完成值"].to_numpy(dtype=object))
    ind["偏差原因分析及改进措施"] = np.where(rng.random(n) < 0.5, "", ind["偏差原因分析及改进措施"].to_numpy(dtype=object))
    l1 = ind["一级指标"].to_numpy(dtype=object)
    r = rng.random(n)
    l1 = np.where(r < 0.05, np.char.add(l1.astype(str), "（50分）").astype(object), l1)
    l1 = np.where((r >= 0.05) & (r < 0.08) & (ind["二级指标"] == "成本指标").to_numpy(), "成本指标", l1)
    l1 = np.where((r >= 0.08) & (r < 0.09), "其他指标", l1)
    l1 = np.where((r >= 0.09) & (r < 0.095), None, l1)
    ind["一级指标"] = l1
    return Frames(frames.projects, ind)


def build(path: Path, n: int, years: int = 1, departments: int = 60, seed: int = 7) -> Path:
    """A database at `path` with `n` projects per year for `years` years (varied synthetic data)."""
    from perfboard import importer
    from perfboard.db import Store
    t = time.perf_counter()
    frames = varied(generate(projects_per_year=n, years=years, departments=departments, seed=seed), seed)
    depts = frames.projects["主管部门"].drop_duplicates().tolist()
    per_file = max(1, len(depts) * 20000 // max(len(frames.projects), 1))     # < 500,000 indicator rows a file
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for c in range(0, len(depts), per_file):
            chunk = set(depts[c:c + per_file])
            pmask = frames.projects["主管部门"].isin(chunk)
            keys = set(zip(frames.projects.loc[pmask, "年度"], frames.projects.loc[pmask, "项目编码"]))
            imask = [k in keys for k in zip(frames.indicators["年度"], frames.indicators["项目编码"])]
            files.append(write_workbook(Frames(frames.projects[pmask], frames.indicators[imask]),
                                        Path(tmp) / f"scoring-{n}x{years}-{c}.xlsx"))
        t1 = time.perf_counter()
        path.parent.mkdir(parents=True, exist_ok=True)
        with Store(path) as store:
            for xlsx in files:
                plan = importer.import_paths(store, [xlsx], user="bench")
                if not plan.ok:
                    raise SystemExit(plan.report.to_frame().head(20).to_string())
    print(f"built {path}: {len(frames.projects):,} projects, {len(frames.indicators):,} indicators "
          f"(workbook {t1 - t:.0f} s, import {time.perf_counter() - t1:.0f} s)", flush=True)
    return path


def _time(fn, repeat: int = 3, before=lambda: None) -> tuple[float, float, object]:
    """Best wall and process CPU seconds of `repeat` calls (CPU: DuckDB's threads count too)."""
    best, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        before()
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        best, cpu = min(best, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return best, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50000, help="projects per year")
    ap.add_argument("--years", type=int, default=1)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--reference", action="store_true", help="also time the per-project path (slow) and compare")
    a = ap.parse_args()
    path = a.db or OUT / f"scoring-{a.n}x{a.years}.duckdb"
    if not path.exists():
        build(path, a.n, a.years)
    from perfboard import scoring
    from perfboard.db import Store
    from perfboard.filters import Filters
    with Store(path, read_only=True) as store:
        years = [int(y) for y, in store.cursor().execute("SELECT DISTINCT year FROM projects ORDER BY 1").fetchall()]
        dept = store.cursor().execute("SELECT min(department) FROM projects").fetchall()[0][0]
        cases = [("one year", Filters(year=years[-1])),
                 ("one year, one department", Filters(year=years[-1], departments=(dept,)))]
        if len(years) > 1:
            cases += [("all years", Filters()), ("one department, all years", Filters(departments=(dept,)))]
        print(f"{'filters':28} {'projects':>9} {'cold s':>7} {'cpu s':>6} {'kept s':>7} {'per-project s':>14}  equal")
        for label, f in cases:
            t_new, c_new, new = _time(lambda: scoring.project_scores(store, f), before=scoring._CACHE.clear)
            t_kept, _, _ = _time(lambda: scoring.project_scores(store, f))
            t_old, same = float("nan"), ""
            if a.reference:
                t_old, _, old = _time(lambda: scoring.project_scores_by_project(store, f), repeat=1)
                same = "yes" if new.equals(old) else "NO"
            print(f"{label:28} {len(new):>9,} {t_new:>7.3f} {c_new:>6.3f} {t_kept:>7.3f} {t_old:>14.2f}  {same}", flush=True)


if __name__ == "__main__":
    main()
