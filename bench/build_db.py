"""A province-sized PerfBoard database for the page and matching benchmarks, built vectorised.

    python bench/build_db.py                         # 200,000 projects x 5 years (~10M indicator rows)
    python bench/build_db.py --projects 20000 --years 5 --departments 60 --seed 7

Shapes follow bench/generate.py (its vocabulary, departments, funding sources, the same mix of
directions and qualitative rows, rates mostly near 100% with a tail, deviations with reasons) but
nothing goes through Python row by row: project attributes are numpy arrays, indicator texts are
Arrow dictionary arrays over a few hundred distinct strings, and each year is inserted with one
`INSERT ... SELECT` from a registered Arrow table inside store.transaction(). Indicator columns are
what the importer writes (perfboard.flat.indicator_values of the texts, computed once per distinct
text). `indicators.status` is filled when the schema has it (migration 005), judged once per
distinct (target, actual, judgement) with perfboard.indicators.compute_status (or status_of).

Across years: ~85% of projects continue (same lineage, name re-dated: "2023年X" -> "2024年X"),
the rest are discontinued and replaced by new ones; ~60% carry a project code (the rest are matched
by name), ~10% have no year in their name, and ~3% of continuing projects are renamed a little
each year, so year-over-year matching has exact, name and fuzzy work to do.

The file is cached in bench/out/ under a name made of its parameters and the schema version; it is
rebuilt only when missing (or with --force). Never commit it (bench/out/ is git-ignored)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402

from generate import CITIES, DEPT_STEMS, FUNDING, QUAL, QUANT, TOPICS  # noqa: E402

OUT = HERE / "out"
GENERATOR_VERSION = 1          # bump when the shapes change, so cached files are rebuilt
FIRST_YEAR = 2024              # the latest year; earlier years count back from it
CODED_SHARE = 0.60             # projects carrying a 项目编码
NO_YEAR_SHARE = 0.10           # names without a year token
RENAME_SHARE = 0.03            # continuing projects renamed a little each year
QUAL_SHARE = 0.25              # qualitative indicator rows
MISSING_ACTUAL = 0.03          # indicator rows with no 实际完成值
QUALIFIERS = ["", "", "", "市级", "县级", "重点", "专项", "省级", "城乡", "乡村", "社区", "基层"]
RENAMES = ["（二期）", "专项", "提升工程", "补助资金", "（续建）"]
OPS = ["≥", "=", "≤"]
OP_P = [0.5, 0.25, 0.25]       # generate.py draws from ["≥", "≥", "=", "≤"]
TARGETS = np.array([10, 20, 25, 50, 95, 100])


def departments(n: int) -> list[str]:
    """The same names as bench/generate.py."""
    return [f"{CITIES[i % len(CITIES)]}{DEPT_STEMS[i % len(DEPT_STEMS)]}局"
            + (f"{i // len(DEPT_STEMS)}" if i >= len(DEPT_STEMS) else "") for i in range(n)]


def schema_version() -> int:
    from perfboard.db import migrations
    return max(n for n, _, _ in migrations())


def db_path(projects: int, years: int, depts: int, seed: int, out: Path | None = None) -> Path:
    return Path(out or OUT) / f"bench-{projects}x{years}-d{depts}-s{seed}-g{GENERATOR_VERSION}-m{schema_version()}.duckdb"


# ---------------------------------------------------------------- projects
def project_years(projects: int, years: int, depts: int, seed: int, continue_share: float = 0.85):
    """Yield (year, DataFrame) per year, oldest first, with the projects table's columns except
    ids. Deterministic in the parameters."""
    rng = np.random.default_rng(seed)
    dnames = np.array(departments(depts), dtype=object)
    cap = projects + int(projects * (1 - continue_share) * 1.5 + 100) * max(years - 1, 0)
    lin_dept = rng.integers(0, depts, cap)
    lin_topic = rng.integers(0, len(TOPICS), cap)
    lin_fund = rng.choice(len(FUNDING), cap, p=[0.45, 0.25, 0.15, 0.1, 0.05])
    lin_qual = rng.integers(0, len(QUALIFIERS), cap)
    lin_coded = rng.random(cap) < CODED_SHARE
    lin_noyear = rng.random(cap) < NO_YEAR_SHARE
    lin_rename = np.full(cap, -1)                 # index into RENAMES once renamed
    lin_unit = rng.random(cap) < 0.5
    alive = np.arange(projects)
    nxt = projects
    start = FIRST_YEAR - years + 1
    for y in range(start, start + years):
        if y > start:
            keep = alive[rng.random(len(alive)) < continue_share]
            need = projects - len(keep)
            if nxt + need > cap:
                raise RuntimeError("lineage capacity exceeded")
            alive = np.concatenate([keep, np.arange(nxt, nxt + need)])
            nxt += need
            renamed = keep[(rng.random(len(keep)) < RENAME_SHARE) & (lin_rename[keep] < 0)]
            lin_rename[renamed] = rng.integers(0, len(RENAMES), len(renamed))
        n = len(alive)
        alive = alive[np.argsort(lin_dept[alive], kind="stable")]      # a file per department, as imported
        dept = lin_dept[alive]
        topic = lin_topic[alive]
        names = [("" if ny else f"{y}年") + QUALIFIERS[q] + TOPICS[t] + (RENAMES[r] if r >= 0 else "") + f"（{k:06d}）"
                 for ny, q, t, r, k in zip(lin_noyear[alive].tolist(), lin_qual[alive].tolist(), topic.tolist(),
                                           lin_rename[alive].tolist(), alive.tolist())]
        budget = np.round(rng.lognormal(mean=3.0, sigma=1.2, size=n), 2) + 0.5
        rate = np.where(rng.random(n) < 0.8, 1.0, np.clip(rng.normal(0.85, 0.15, n), 0.05, 1.15))
        spent = np.round(budget * rate, 3)
        initial = np.where(rng.random(n) < 0.7, budget, np.round(budget * rng.uniform(0.6, 1.0, n), 2))
        reported = np.where(rng.random(n) < 0.7, np.round(spent / budget, 3), np.nan)
        off = rng.random(n) < 0.01                                     # a stated rate that disagrees
        reported = np.where(off & ~np.isnan(reported), np.round(reported + 0.02, 3), reported)
        deviates = spent < budget
        r1, r2 = rng.random(n), rng.random(n)
        topics = np.array(TOPICS, dtype=object)[topic]
        df = pd.DataFrame({
            "year": np.int32(y), "department": dnames[dept],
            "unit": np.where(lin_unit[alive], pd.Series(dnames[dept]).str.replace("局", "事务中心", regex=False), None),
            "project_code": np.where(lin_coded[alive], pd.Series(alive).map("P{:07d}".format), None),
            "name": names,
            "funding_source": np.array(FUNDING, dtype=object)[lin_fund[alive]],
            "initial_budget": initial, "budget": budget, "spent": spent,
            "reported_rate": reported,
            "overview": topics + "项目概况", "goal": "完成" + topics + "年度任务", "achievement": "按计划实施",
            "deviation_reason": np.where(deviates & (r1 < 0.7), "按照过“紧日子”要求节约开支", None),
            "improvement": np.where(deviates & (r2 < 0.5), "加强预算执行监控", None),
            "topic": topic,
        })
        yield y, df


# ---------------------------------------------------------------- indicators
def _lookup(keys: np.ndarray, make) -> tuple[np.ndarray, list]:
    """Distinct keys -> make(key) once each; returns (inverse indices, values per distinct key)."""
    uniq, inv = np.unique(keys, return_inverse=True)
    return inv.astype(np.int32), [make(int(k)) for k in uniq.tolist()]


def _strings(inv: np.ndarray, values: list) -> pa.Array:
    """A string column from indices into a small list of str/None (no Python object per row)."""
    dictionary = pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(inv), dictionary).dictionary_decode()


def _floats(inv: np.ndarray, values: list) -> pa.Array:
    arr = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)[inv]
    return pa.array(arr, mask=np.isnan(arr))


def indicators_for(year: int, topics: np.ndarray, project_ids: np.ndarray, first_id: int,
                   rng: np.random.Generator, with_status: bool) -> pa.Table:
    """8-15 indicator rows per project, columns as the importer writes them."""
    from perfboard.flat import indicator_values
    k = rng.integers(8, 16, len(project_ids))
    m = int(k.sum())
    proj = np.repeat(np.arange(len(project_ids)), k)
    starts = np.repeat(np.cumsum(k) - k, k)
    j = np.arange(m) - starts                                   # 0-based position within the project
    topic = topics[proj]
    qual = rng.random(m) < QUAL_SHARE
    tmpl = rng.integers(0, len(QUANT), m)
    qtmpl = rng.integers(0, len(QUAL), m)
    op = rng.choice(len(OPS), m, p=OP_P)
    tgt = rng.integers(0, len(TARGETS), m)
    target = TARGETS[tgt]
    off = rng.random(m) >= 0.85
    actual = np.where(off, np.round(target * rng.uniform(0.6, 1.1, m)), target).astype(np.int64)
    missing = rng.random(m) < MISSING_ACTUAL
    jr = rng.random(m)

    # target text: quantitative (template, op, target) or qualitative template
    tkey = np.where(qual, 10_000 + qtmpl, (tmpl * len(OPS) + op) * len(TARGETS) + tgt)

    def target_text(key):
        if key >= 10_000:
            return QUAL[key - 10_000][3]
        t, rest = divmod(key, len(OPS) * len(TARGETS))
        o, g = divmod(rest, len(TARGETS))
        return f"{OPS[o]}{TARGETS[g]}{QUANT[t][3]}"

    # actual text: number + the template's unit, the qualitative answer, or nothing
    akey = np.where(missing, -1, np.where(qual, 1_000_000 + qtmpl, tmpl * 10_000 + actual))

    def actual_text(key):
        if key < 0:
            return None
        if key >= 1_000_000:
            return QUAL[key - 1_000_000][4]
        t, a = divmod(key, 10_000)
        return f"{a}{QUANT[t][3]}"

    # a person's judgement: qualitative rows mostly judged, quantitative ones rarely
    jcode = np.where(qual, np.where(jr < 0.6, 1, np.where(jr < 0.7, 2, 0)), np.where(jr < 0.02, 1, 0))
    judgements = [None, "达成", "部分达成"]

    tinv, ttexts = _lookup(tkey, target_text)
    ainv, atexts = _lookup(akey, actual_text)
    tvals = [indicator_values(t, None) for t in ttexts]
    avals = [indicator_values(None, a) for a in atexts]
    # level1/2/3 from the template, level3 numbered by position as in generate.py
    lkey = np.where(qual, 1_000_000 + qtmpl * 100 + j, (tmpl * 100 + topic) * 100 + j)

    def levels(key):
        if key >= 1_000_000:
            q, jj = divmod(key - 1_000_000, 100)
            return QUAL[q][0], QUAL[q][1], QUAL[q][2] + f"{jj}"
        rest, jj = divmod(key, 100)
        t, tp = divmod(rest, 100)
        return QUANT[t][0], QUANT[t][1], QUANT[t][2].format(TOPICS[tp]) + f"{jj}"

    linv, lvals = _lookup(lkey, levels)
    short = ~missing & ~qual & (actual < target)
    cols = {
        "id": pa.array(np.arange(first_id, first_id + m, dtype=np.int64)),
        "project_id": pa.array(project_ids[proj].astype(np.int64)),
        "position": pa.array((j + 1).astype(np.int32)),
        "level1": _strings(linv, [v[0] for v in lvals]),
        "level2": _strings(linv, [v[1] for v in lvals]),
        "level3": _strings(linv, [v[2] for v in lvals]),
        "direction": _strings(tinv, [v["direction"] for v in tvals]),
        "target_value": _floats(tinv, [v["target_value"] for v in tvals]),
        "target_unit": _strings(tinv, [v["target_unit"] for v in tvals]),
        "actual_value": _floats(ainv, [v["actual_value"] for v in avals]),
        "actual_unit": _strings(ainv, [v["actual_unit"] for v in avals]),
        "target_text": _strings(tinv, [v["target_text"] for v in tvals]),
        "actual_text": _strings(ainv, [v["actual_text"] for v in avals]),
        "weight": pa.nulls(m, pa.float64()),
        "reported_score": pa.nulls(m, pa.float64()),
        "judgement": _strings(jcode.astype(np.int32), judgements),
        "deviation_note": pa.array(np.where(short, "进度滞后", None), pa.string()),
        "source_sheet": _strings(np.zeros(m, np.int32), ["绩效指标"]),
        "source_row": pa.array(np.arange(2, m + 2, dtype=np.int32)),
    }
    if with_status:
        cols["status"] = _status(tinv, ainv, jcode, tvals, avals, judgements)
    return pa.table(cols)


def _status(tinv, ainv, jcode, tvals, avals, judgements) -> pa.Array:
    """The judged status, computed once per distinct (target, actual, judgement): it depends on
    nothing else, so this equals judging every row."""
    na = len(avals)
    combo = (tinv.astype(np.int64) * na + ainv) * len(judgements) + jcode
    uniq, inv = np.unique(combo, return_inverse=True)
    rows = []
    for c in uniq.tolist():
        rest, jc = divmod(c, len(judgements))
        ti, ai = divmod(rest, na)
        t, a = tvals[ti], avals[ai]
        rows.append({"direction": t["direction"], "target_value": t["target_value"], "target_unit": t["target_unit"],
                     "target_text": t["target_text"], "actual_value": a["actual_value"],
                     "actual_unit": a["actual_unit"], "actual_text": a["actual_text"],
                     "judgement": judgements[jc], "weight": None, "reported_score": None})
    small = pd.DataFrame(rows)
    from perfboard import indicators as ind
    if hasattr(ind, "compute_status"):
        status = list(ind.compute_status(small))
    else:
        status = [ind.status_of(r) for r in small.to_dict("records")]
    return _strings(inv.astype(np.int32), status)


# ---------------------------------------------------------------- the file
def _columns(cur, table: str) -> list[str]:
    return [r[0] for r in cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]


def warm_after_import(store, quiet: bool = False) -> None:
    """Leave the database as the app leaves one after an import: its warm-up (ui.state.warm_up ->
    perfboard.compare.warm, perfboard.review.warm) stores 同比分析's result of every adjacent year pair and the
    自评复核 findings of every year, so either page reads them whatever year it is moved to. The same functions,
    run here in the foreground (the app runs them in background threads). The page's computation of a year
    nobody computed is still measured: bench_pages' review step "uncomputed"."""
    from perfboard import compare, review
    t = time.perf_counter()
    newest = compare.warm(store, load=False)
    if not quiet:
        print(f"  同比分析 results stored (newest pair {newest}) in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    years = review.warm(store)
    if not quiet:
        print(f"  自评复核 findings stored for {years} in {time.perf_counter() - t:.1f} s", flush=True)


def _pairs_current(store) -> bool:
    """Whether 同比分析's result of every adjacent year pair is stored and current (compare.warm's pairs)."""
    from perfboard import compare, matching, pair_results
    from perfboard.scoring import scoring_settings
    threshold = float(store.get_setting("match_threshold", matching.DEFAULT_THRESHOLD))
    version, md5 = store.figures_version(), pair_results.md5_of(scoring_settings(store))
    return all(pair_results.find(store, b, y, threshold, version, md5) is not None
               for b, y in compare.adjacent_pairs(store))


def needs_warm(path: Path) -> bool:
    """Whether some year of the database at `path` has no current stored 自评复核 findings, or some adjacent year
    pair no current stored 同比分析 result (read-only look)."""
    from perfboard import review
    from perfboard.db import Store
    with Store(path, read_only=True) as store:
        return (any(review.stored_year(store, y, remember=False) is None for y in store.years())
                or not _pairs_current(store))


def warm_file(path: Path, quiet: bool = False) -> float:
    """warm_after_import on a copy of the file at `path` that then replaces it (a reader of the old file keeps
    it: the file itself is never opened for writing). Seconds taken; 0 when every year was current."""
    import shutil

    from perfboard.db import Store
    if not needs_warm(path):
        return 0.0
    t = time.perf_counter()
    tmp = path.with_name(path.name + f".warming-{os.getpid()}")
    shutil.copyfile(path, tmp)
    tmp.chmod(0o644)
    with Store(tmp) as store:
        warm_after_import(store, quiet)
        store.cursor().execute("CHECKPOINT")
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    tmp.replace(path)
    return time.perf_counter() - t


def build(path: Path, projects: int, years: int, depts: int, seed: int, quiet: bool = False,
          warm: bool = True) -> dict:
    from perfboard.db import Store
    part = path.with_name(path.name + f".part-{os.getpid()}")
    for p in (part, Path(str(part) + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    store = Store(part)
    rng = np.random.default_rng(seed + 1)
    now = datetime.now()
    counts = {"projects": 0, "indicators": 0}
    try:
        with_status = "status" in _columns(store.cursor(), "indicators")
        for y, df in project_years(projects, years, depts, seed):
            t = time.perf_counter()
            with store.transaction() as cur:
                pid0 = store.next_id(cur, "projects")
                iid0 = store.next_id(cur, "indicators")
                log_id = store.next_id(cur, "import_log")
                ids = np.arange(pid0, pid0 + len(df), dtype=np.int64)
                topics = df.pop("topic").to_numpy()
                df.insert(0, "id", ids)
                df["source_file"] = f"bench-{y}.xlsx"
                df["source_sheet"] = "项目"
                df["source_row"] = np.arange(2, len(df) + 2, dtype=np.int32)
                df["import_id"] = log_id
                df["imported_at"] = now
                cur.register("_bench_projects", df)
                cols = ", ".join(df.columns)
                cur.execute(f"INSERT INTO projects ({cols}) SELECT {cols} FROM _bench_projects")
                cur.unregister("_bench_projects")
                ind = indicators_for(y, topics, ids, iid0, rng, with_status)
                cur.register("_bench_indicators", ind)
                cols = ", ".join(ind.column_names)
                cur.execute(f"INSERT INTO indicators ({cols}) SELECT {cols} FROM _bench_indicators")
                cur.unregister("_bench_indicators")
                cur.execute(
                    "INSERT INTO import_log (id, file_name, content_hash, imported_at, outcome, projects, indicators,"
                    " errors, warnings, scope, message, user_name) VALUES (?, ?, ?, ?, 'imported', ?, ?, 0, 0, ?, ?, ?)",
                    [log_id, f"bench-{y}.xlsx", f"bench-{y}-{seed}", now, len(df), ind.num_rows,
                     f"{y} 全部部门（基准数据）", f"导入 {len(df)} 个项目、{ind.num_rows} 条指标", "bench"])
            counts["projects"] += len(df)
            counts["indicators"] += ind.num_rows
            if not quiet:
                print(f"  {y}: {len(df):,} projects, {ind.num_rows:,} indicators in {time.perf_counter() - t:.1f} s",
                      flush=True)
            del df, ind
        store.set_setting("sample_offered", True)       # never load the shipped sample on top
        if warm:
            warm_after_import(store, quiet)
        store.cursor().execute("CHECKPOINT")
    finally:
        store.close()
    Path(str(part) + ".wal").unlink(missing_ok=True)
    os.replace(part, path)
    return {"path": str(path), "seconds": time.perf_counter() - t0, "bytes": path.stat().st_size,
            "status_filled": with_status, **counts}


def ensure(projects: int = 200_000, years: int = 5, depts: int = 60, seed: int = 7, force: bool = False,
           quiet: bool = False, out: Path | None = None, warm: bool = True) -> dict:
    """The cached database for these parameters (in `out`, default bench/out), built when missing; with `warm`
    (warm_after_import) its 自评复核 findings and 同比分析 pair results stored, a cached file's too when some year or
    pair lacks them."""
    path = db_path(projects, years, depts, seed, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not force:
        secs = warm_file(path, quiet) if warm else 0.0
        return {"path": str(path), "seconds": secs, "bytes": path.stat().st_size, "cached": True}
    info = build(path, projects, years, depts, seed, quiet, warm)
    return {**info, "cached": False}


def main() -> None:
    ap = argparse.ArgumentParser(description="Build (or reuse) a big PerfBoard database for the benchmarks")
    ap.add_argument("--projects", type=int, default=200_000, help="projects per year (default 200,000)")
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--departments", type=int, default=60)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--force", action="store_true", help="rebuild even if the cached file exists")
    ap.add_argument("--no-warm", action="store_true",
                    help="leave the 自评复核 findings uncomputed (by default stored for every year, as the app's "
                         "warm-up after an import does)")
    a = ap.parse_args()
    info = ensure(a.projects, a.years, a.departments, a.seed, a.force, warm=not a.no_warm)
    if info["cached"]:
        print(f"{info['path']}: cached, {info['bytes'] / 1e6:,.0f} MB")
    else:
        print(f"{info['path']}: {info['projects']:,} projects, {info['indicators']:,} indicators"
              f"{' (status filled)' if info['status_filled'] else ''} in {info['seconds']:.1f} s, "
              f"{info['bytes'] / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
