"""Benchmark: year-over-year matching of two years x N projects (perfboard.matching.match, the function
the 同比分析 page runs through perfboard.compare.compare), against all-pairs baselines.

    python bench/bench_matching.py                  # 2 x 200,000 projects
    python bench/bench_matching.py --projects 20000

The two years come from bench/build_db.project_years (in memory, no database): ~85% of projects
continue, ~60% carry a code, names carry their year ("2023年X" -> "2024年X"), ~3% of continuing
projects are renamed a little, the rest are new or discontinued; 60 departments. Timed:
  match        matching.match(base, target): code tier, name tier (stems + year tags), fuzzy
               candidates (blocked by department; rare-bigram narrowing for big blocks)
    of which   fuzzy_candidates alone, and the name analysis (_prepare)
  no codes     the same years with every code removed, so all 2 x N names are analysed and matched
  baselines    all-pairs fuzz.ratio over the stems, measured on a sample x sample block and
               EXTRAPOLATED to N x N (clearly not run at full size): (a) a Python double loop,
               (b) rapidfuzz.process.cdist, vectorised but not blocked.
Goal (issue 9): under 5 s for 2 x 200,000 including fuzzy candidates."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def two_years(projects: int, departments: int = 60, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    from build_db import project_years
    frames, next_id = [], 1
    for _, df in project_years(projects, 2, departments, seed):
        df = df[["year", "department", "project_code", "name"]].rename(columns={"project_code": "code"})
        df.insert(0, "id", np.arange(next_id, next_id + len(df), dtype=np.int64))
        next_id += len(df)
        frames.append(df.reset_index(drop=True))
    return frames[0], frames[1]


def timed_match(base: pd.DataFrame, target: pd.DataFrame) -> dict:
    """matching.match with its fuzzy and name-analysis parts timed from inside."""
    from perfboard import matching
    parts = {"fuzzy": 0.0, "prepare": 0.0}
    originals = {"fuzzy": matching.fuzzy_candidates, "prepare": matching._prepare}

    def wrap(key):
        def f(*a, **k):
            t = time.perf_counter()
            try:
                return originals[key](*a, **k)
            finally:
                parts[key] += time.perf_counter() - t
        return f

    matching.fuzzy_candidates, matching._prepare = wrap("fuzzy"), wrap("prepare")
    try:
        c, t = time.process_time(), time.perf_counter()
        m = matching.match(base, target, None, matching.DEFAULT_THRESHOLD)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        matching.fuzzy_candidates, matching._prepare = originals["fuzzy"], originals["prepare"]
    tiers = m.pairs["match"].value_counts().to_dict()
    return {"seconds": round(wall, 3), "cpu": round(cpu, 3), "fuzzy_seconds": round(parts["fuzzy"], 3),
            "prepare_seconds": round(parts["prepare"], 3), "pairs": int(len(m.pairs)),
            "by_tier": {k: int(v) for k, v in tiers.items()}, "candidates": int(len(m.candidates)),
            "fuzzy_candidates": int((m.candidates["via"] == "fuzzy").sum()) if len(m.candidates) else 0}


def baselines(base: pd.DataFrame, target: pd.DataFrame, sample: int, seed: int = 7) -> dict:
    """All-pairs similarity on a sample x sample block, extrapolated to len(base) x len(target)."""
    from rapidfuzz import fuzz, process

    from perfboard import matching
    rng = np.random.default_rng(seed)
    bs = [matching.normalise_name(n) for n in base["name"].to_numpy()[rng.choice(len(base), sample, replace=False)]]
    ts = [matching.normalise_name(n) for n in target["name"].to_numpy()[rng.choice(len(target), sample, replace=False)]]
    scale = len(base) * len(target) / (sample * sample)
    t = time.perf_counter()
    hits = 0
    for a in bs:
        for b in ts:
            if fuzz.ratio(a, b) >= matching.DEFAULT_THRESHOLD:
                hits += 1
    loop = time.perf_counter() - t
    t = time.perf_counter()
    process.cdist(bs, ts, scorer=fuzz.ratio, score_cutoff=matching.DEFAULT_THRESHOLD, workers=-1, dtype=np.float32)
    cdist = time.perf_counter() - t
    return {"sample": sample, "scale": scale,
            "loop_sample_seconds": round(loop, 3), "loop_extrapolated_seconds": round(loop * scale, 1),
            "cdist_sample_seconds": round(cdist, 3), "cdist_extrapolated_seconds": round(cdist * scale, 1)}


def run(projects: int = 200_000, departments: int = 60, seed: int = 7, sample: int = 2000,
        no_codes: bool = True, quiet: bool = False) -> dict:
    t = time.perf_counter()
    base, target = two_years(projects, departments, seed)
    gen = time.perf_counter() - t
    out = {"projects_per_year": projects, "departments": departments, "generate_seconds": round(gen, 2),
           "load": [round(x, 2) for x in os.getloadavg()]}
    out["match"] = timed_match(base, target)
    if no_codes:
        out["match_no_codes"] = timed_match(base.assign(code=None), target.assign(code=None))
    out["baseline"] = baselines(base, target, min(sample, len(base), len(target)), seed)
    if not quiet:
        print_result(out)
    return out


def print_result(r: dict) -> None:
    n = r["projects_per_year"]
    print(f"two years x {n:,} projects, {r['departments']} departments (load {r['load']}; "
          f"generated in {r['generate_seconds']} s)")
    for key, label in (("match", "matching.match (60% coded)"), ("match_no_codes", "matching.match (no codes)")):
        m = r.get(key)
        if not m:
            continue
        print(f"  {label:<30}{m['seconds']:>8.2f} s  (CPU {m['cpu']:.2f} s; names {m['prepare_seconds']:.2f} s, "
              f"fuzzy {m['fuzzy_seconds']:.2f} s)  pairs {m['pairs']:,} {m['by_tier']}, "
              f"candidates {m['candidates']:,} ({m['fuzzy_candidates']:,} fuzzy)")
    b = r["baseline"]
    print(f"  baseline all-pairs, measured on {b['sample']:,} x {b['sample']:,} and EXTRAPOLATED x{b['scale']:,.0f}:")
    print(f"    Python loop of fuzz.ratio   {b['loop_sample_seconds']:.2f} s -> {b['loop_extrapolated_seconds']:,.0f} s "
          f"(~{b['loop_extrapolated_seconds'] / 3600:,.1f} h)")
    print(f"    rapidfuzz cdist, unblocked  {b['cdist_sample_seconds']:.2f} s -> {b['cdist_extrapolated_seconds']:,.0f} s "
          f"(~{b['cdist_extrapolated_seconds'] / 60:,.1f} min)")


def main() -> None:
    ap = argparse.ArgumentParser(description="Year-over-year matching of two years of projects vs all-pairs")
    ap.add_argument("--projects", type=int, default=200_000, help="projects per year")
    ap.add_argument("--departments", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sample", type=int, default=2000, help="side of the all-pairs baseline block")
    ap.add_argument("--skip-no-codes", action="store_true")
    ap.add_argument("--out", help="write the results as JSON here")
    a = ap.parse_args()
    r = run(a.projects, a.departments, a.seed, a.sample, not a.skip_no_codes)
    if a.out:
        Path(a.out).write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
