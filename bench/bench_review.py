"""自评复核 at a province's scale: every rule of perfboard.review over one year of the bench database (200,000
projects, ~2.3M indicators), copied-text included, timed in a fresh process with its peak RSS.

    python bench/bench_review.py                       # build_db's 200,000 x 5 database (built if missing)
    python bench/bench_review.py --db bench/out/x.duckdb
    python bench/bench_review.py --projects 20000 --quick

The bench database's 实际完成情况 is one short phrase for every project, which would make copied-text free.
Before measuring, a copy of the database gets texts shaped like real ones (seeded): ~55% written
per project from a vocabulary of phrases (many share an opening, as real texts do), ~30% from one of 40
templates with the project's own name and numbers, ~8% verbatim copies of five standard texts and ~7% those
texts with a phrase changed. Goal (issue 18): under 30 s and under 1.5 GB for the 200,000 projects of a year.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

GOAL_SECONDS, GOAL_MB = 30.0, 1536

PHRASES = [
    "严格按照项目实施方案组织实施", "全面完成年度绩效目标任务", "资金拨付及时足额到位", "项目管理制度健全规范",
    "召开专题会议研究部署工作", "组织开展业务培训和技术指导", "加强与相关部门的沟通协调", "建立健全长效工作机制",
    "开展督导检查确保工作质量", "服务对象满意度明显提升", "项目效益逐步显现", "推动重点任务落地见效",
    "完成年度建设内容并通过验收", "强化资金使用监管", "群众获得感进一步增强", "基础设施条件得到改善",
    "形成可复制可推广的经验做法", "专项资金使用规范合理", "有效带动相关产业发展", "社会影响力不断扩大",
]
OPENINGS = ["2024年，", "本年度，", "项目实施以来，", "我单位", "按照年初计划，", "根据项目批复，", ""]
STANDARD = [
    "本年度按照年初计划组织实施项目，完成了各项建设任务，资金使用规范，达到了预期绩效目标，社会效益显著，服务对象满意。",
    "项目实施过程中严格执行财务管理制度，资金全部按进度拨付到位，各项产出指标均已完成，取得了良好的经济效益和社会效益。",
    "通过项目实施，进一步提升了公共服务能力和水平，群众满意度持续提高，项目整体绩效目标全面实现，无偏离绩效目标情况。",
    "我单位高度重视项目实施工作，成立工作专班，细化工作方案，明确责任分工，项目按期保质完成，绩效目标全部实现。",
    "项目资金到位及时，使用规范，实施进度符合预期，产出数量、质量、时效均达到年初设定目标，效益明显，满意度较高。",
]


def texts_for(names: list[str], seed: int) -> list[str]:
    import numpy as np
    rng = np.random.default_rng(seed)
    n = len(names)
    kind = rng.random(n)
    out = []
    templates = [[PHRASES[(t * 7 + k * 3) % len(PHRASES)] for k in range(4)] for t in range(40)]
    for i, name in enumerate(names):
        k = kind[i]
        if k < 0.55:
            ph = rng.choice(len(PHRASES), 4, replace=False)
            out.append(OPENINGS[i % len(OPENINGS)] + "，".join(PHRASES[j] for j in ph)
                       + f"，完成投资{rng.integers(5, 900)}万元，惠及{rng.integers(100, 90000)}人次。")
        elif k < 0.85:
            t = templates[int(rng.integers(40))]
            out.append(f"{t[0]}，{name}共完成{rng.integers(1, 300)}项任务，{t[1]}，{t[2]}，"
                       f"覆盖{rng.integers(2, 60)}个乡镇，{t[3]}。")
        elif k < 0.93:
            out.append(STANDARD[int(rng.integers(5))])
        else:
            s = STANDARD[int(rng.integers(5))]
            out.append(s.replace("项目", "工程", 1) if rng.random() < 0.5 else s[:-1] + "，无偏差。")
    return out


def prepare(src: Path, dst: Path, year: int, seed: int) -> dict:
    """Copy `src` to `dst` and give the year's projects real-looking 实际完成情况 (see the module doc)."""
    import pandas as pd

    from perfboard.db import Store
    shutil.copyfile(src, dst)
    t0 = time.perf_counter()
    with Store(dst) as store:
        df = store.sql_df("SELECT id, name FROM projects WHERE year = ? ORDER BY id", [year])
        upd = pd.DataFrame({"id": df["id"], "achievement": texts_for(df["name"].tolist(), seed)})
        with store.transaction() as cur:
            cur.register("new_texts", upd)
            cur.execute("UPDATE projects SET achievement = t.achievement FROM new_texts t WHERE projects.id = t.id")
            cur.unregister("new_texts")
    return {"projects": len(df), "prepare_s": round(time.perf_counter() - t0, 2)}


def measure(db: Path, year: int) -> dict:
    """Run every rule over `year` (a fresh process: the peak RSS is this run's)."""
    from perfboard import review
    from perfboard.db import Store
    from perfboard.filters import Filters
    with Store(db) as store:
        cfg = review.review_settings(store)
        stats = review.CopyStats()
        t0, c0 = time.perf_counter(), time.process_time()
        f = review.run_rules(store, Filters(year=year), cfg, stats)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        copied = stats.seconds
        t2 = time.perf_counter()
        review.unit_counts(f.assign(status="open"))
        units = time.perf_counter() - t2
        projects = store.scalar("SELECT count(*) FROM projects WHERE year = ?", [year])
        indicators = store.scalar("SELECT count(*) FROM indicators WHERE project_id IN "
                                  "(SELECT id FROM projects WHERE year = ?)", [year])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"projects": int(projects), "indicators": int(indicators), "findings": len(f),
            "by_code": {k: int(v) for k, v in f["code"].value_counts().items()},
            "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "copied_text_seconds": round(copied, 2),
            "unit_counts_seconds": round(units, 3), "peak_rss_mb": round(rss_mb), "texts": stats.texts,
            "pairs_compared": stats.pairs_compared, "similar_pairs": stats.similar_pairs, "capped": stats.capped,
            "load_average": os.getloadavg()[0]}


def run(projects: int = 200_000, years: int = 5, seed: int = 7, db: str | None = None, year: int = 2024) -> dict:
    """Prepare a copy of the bench database (build_db's, or `db`), measure in a fresh process, return the figures."""
    if db:
        src = Path(db)
    else:
        import build_db
        src = Path(build_db.ensure(projects, years, seed=seed, quiet=True)["path"])
    work = HERE / "out" / f"review-{src.stem}.duckdb"
    work.parent.mkdir(parents=True, exist_ok=True)
    prep = prepare(src, work, year, seed)
    try:
        child = subprocess.run([sys.executable, __file__, "--measure", str(work), "--year", str(year)],
                               capture_output=True, text=True, check=True)
    finally:
        work.unlink(missing_ok=True)
    r = json.loads(child.stdout.strip().splitlines()[-1])
    r.update(prep)
    r["goal"] = f"< {GOAL_SECONDS:g} s, < {GOAL_MB} MB"
    r["met"] = r["seconds"] < GOAL_SECONDS and r["peak_rss_mb"] < GOAL_MB
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="a bench database (default: build_db's, built when missing)")
    ap.add_argument("--projects", type=int, default=200_000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="20,000 projects x 2 years")
    ap.add_argument("--measure", help=argparse.SUPPRESS)     # internal: the measuring child process
    ap.add_argument("--year", type=int, default=2024)
    a = ap.parse_args()
    if a.measure:
        print(json.dumps(measure(Path(a.measure), a.year)))
        return
    if a.quick:
        a.projects, a.years = 20_000, 2
    r = run(a.projects, a.years, a.seed, a.db, a.year)
    print(f"| 自评复核 {r['projects']:,} 个项目 / {r['indicators']:,} 条指标 | {r['seconds']} s "
          f"(CPU {r['cpu_seconds']} s; copied-text {r['copied_text_seconds']} s, {r['pairs_compared']:,} 对) | "
          f"峰值 {r['peak_rss_mb']} MB | {r['findings']:,} 条发现 | {r['goal']} | {'是' if r['met'] else '否'} | "
          f"load {r['load_average']:.1f} |")
    out = HERE / "out" / "bench_review.json"
    out.write_text(json.dumps(r, ensure_ascii=False, indent=1))
    print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
