"""All the scale benchmarks of issue 9 in one command, one markdown table, bench/out/results.json.

    python bench/run_all.py                 # full sizes (builds the 200,000 x 5 database once, ~1 min)
    python bench/run_all.py --quick         # small sizes, a smoke check in about two minutes
    python bench/run_all.py --only pages    # import | pages | matching | export | load (comma-separated)

Each benchmark runs in its own subprocess (the page bench one per page), so memory and caches of one
do not colour the next. Every figure has its baseline or goal from the same run; the load average
is recorded with each, since a shared machine slows wall times (CPU seconds are in the JSON)."""
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
sys.path.insert(0, str(HERE))

OUT = HERE / "out"
NAMES = ["import", "pages", "matching", "export", "load", "review"]

FULL = {"import_n": 10_000, "pages": (200_000, 5, 60), "page_timeout": 900, "matching_n": 200_000,
        "matching_sample": 2000, "export_rows": 50_000, "export_repeats": 3}
QUICK = {"import_n": 500, "pages": (300, 2, 12), "page_timeout": 180, "matching_n": 5000,
         "matching_sample": 300, "export_rows": 5000, "export_repeats": 1}

PAGE_GOAL_S, PAGE_GOAL_RATIO, RSS_GOAL_MB = 1.0, 2.0, 1536
MATCH_GOAL_S, IMPORT_GOAL_X = 5.0, 5.0


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _sub(code: str, timeout: float = 3600) -> dict:
    """Run `code` (which must print one JSON line last) in a fresh Python; returns that JSON."""
    proc = subprocess.run([sys.executable, "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(HERE)!r}]\n" + code],
                          capture_output=True, text=True, cwd=str(ROOT), timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError((proc.stderr or proc.stdout)[-2000:])
    return json.loads(lines[-1])


# ---------------------------------------------------------------- each benchmark -> rows
def bench_import(cfg: dict) -> tuple[list[dict], dict]:
    n = cfg["import_n"]
    raw = _sub(f"""
import json, bench_import as b
x = b.workbook({n})
pb = b.run_perfboard(x); base = b.run_baseline(x)
assert base["counts"] == pb["counts"], (base["counts"], pb["counts"])
print(json.dumps({{"perfboard": pb, "baseline": base}}, default=str))
""")
    pb, base = raw["perfboard"], raw["baseline"]
    speed = base["total"] / pb["total"]
    rows = [{"benchmark": f"import: flat workbook, {n:,} projects + {pb['counts'][1]:,} indicators "
                          "(parse + validate + commit)",
             "measured": f"{pb['total']:.2f} s (read {pb['parse']:.2f} + commit {pb['commit']:.2f}; CPU {pb['cpu'][2]:.2f})",
             "baseline": f"{base['total']:.2f} s pandas.read_excel(openpyxl) + INSERT (CPU {base['cpu'][2]:.2f})",
             "goal": f">= {IMPORT_GOAL_X:g}x faster", "met": speed >= IMPORT_GOAL_X, "note": f"{speed:.1f}x",
             "load": _load()}]
    return rows, raw


def bench_pages(cfg: dict) -> tuple[list[dict], dict]:
    import bench_pages
    n, years, depts = cfg["pages"]
    raw = bench_pages.run(n, years, depts, pages=cfg.get("page_list"), timeout=cfg["page_timeout"], quiet=False)
    rows = []
    for page, r in raw["pages"].items():
        steps = r.get("steps", {})
        for step in bench_pages.STEPS:
            s = steps.get(step)
            if s is None:
                rows.append({"benchmark": f"page {page}: {step}", "measured": r.get("error", "not run")[:120],
                             "baseline": "-", "goal": "-", "met": False, "load": "/".join(map(str, r.get("load_start", [])))})
                continue
            goal = step in ("filter", "year") and not cfg.get("quick")    # goals are for the full size
            ratio = s["ratio"] or float("inf")
            rows.append({
                "benchmark": f"page {page}: {step} ({n:,} x {years} years)",
                "measured": f"{s['seconds']:.2f} s (CPU {s['cpu']:.2f})",
                "baseline": f"DuckDB {s['query_seconds']:.2f} s in {s['queries']} queries; page/DuckDB {ratio:.1f}x",
                "goal": f"< {PAGE_GOAL_S:g} s and <= {PAGE_GOAL_RATIO:g}x DuckDB" if goal else "-",
                "met": (s["seconds"] < PAGE_GOAL_S and ratio <= PAGE_GOAL_RATIO) if goal else None,
                "load": "/".join(f"{x:.1f}" for x in s["load"])})
        peak = r.get("peak_rss_mb") or r.get("polled_peak_rss_mb")
        rows.append({"benchmark": f"page {page}: peak RSS of the app process", "measured": f"{peak:,.0f} MB" if peak else "-",
                     "baseline": "-", "goal": "-" if cfg.get("quick") else f"< {RSS_GOAL_MB / 1024:g} GB",
                     "met": None if cfg.get("quick") else bool(peak) and peak < RSS_GOAL_MB, "load": ""})
    return rows, raw


def bench_matching(cfg: dict) -> tuple[list[dict], dict]:
    n = cfg["matching_n"]
    raw = _sub(f"""
import json, bench_matching as b
print(json.dumps(b.run({n}, sample={cfg['matching_sample']}, quiet=True)))
""")
    b = raw["baseline"]
    rows = []
    for key, label in (("match", "60% coded"), ("match_no_codes", "no codes")):
        m = raw[key]
        rows.append({"benchmark": f"matching: 2 x {n:,} projects ({label}), exact + fuzzy candidates",
                     "measured": f"{m['seconds']:.2f} s (names {m['prepare_seconds']:.2f}, fuzzy {m['fuzzy_seconds']:.2f}; "
                                 f"{m['pairs']:,} pairs, {m['candidates']:,} candidates)",
                     "baseline": f"all-pairs EXTRAPOLATED from {b['sample']:,}²: loop {b['loop_extrapolated_seconds']:,.0f} s, "
                                 f"cdist {b['cdist_extrapolated_seconds']:,.0f} s",
                     "goal": f"< {MATCH_GOAL_S:g} s", "met": m["seconds"] < MATCH_GOAL_S,
                     "load": "/".join(f"{x:.1f}" for x in raw["load"])})
    return rows, raw


def bench_export(cfg: dict) -> tuple[list[dict], dict]:
    rows_n, rep = cfg["export_rows"], cfg["export_repeats"]
    raw = _sub(f"""
import json, bench_export as b
from perfboard.export import tables
r = b.main({rows_n}, {rep})
r["default_engine"] = tables.DEFAULT_ENGINE
print(json.dumps(r))
""")
    used = raw["default_engine"]
    other = "openpyxl" if used == "xlsxwriter" else "xlsxwriter"
    rows = [{"benchmark": f"export: {rows_n:,} rows to .xlsx (writer used: {used})",
             "measured": f"{raw[used]:.2f} s ({raw[used + ' bytes'] / 1e6:.1f} MB)",
             "baseline": f"{other} {raw[other]:.2f} s; csv {raw['csv']:.2f} s",
             "goal": "report both", "met": None, "note": f"layout (shared) {raw['layout (shared)']:.2f} s",
             "load": _load()}]
    return rows, raw


def bench_load(cfg: dict) -> tuple[list[dict], dict]:
    if not (HERE / "bench_load.py").exists():
        return [], {"skipped": "bench/bench_load.py does not exist"}
    quick = bool(cfg.get("quick"))
    raw = _sub(f"""
import json, bench_load as b
print(json.dumps({{"rows": b.run(quick={quick})}}, default=str))
""")
    rows = [{**r, "load": _load()} for r in raw["rows"]]
    return rows, raw


def bench_review(cfg: dict) -> tuple[list[dict], dict]:
    n, years, _ = cfg["pages"]          # the pages' database (built once, shared)
    raw = _sub(f"""
import json, bench_review as b
print(json.dumps(b.run({n}, {years})))
""")
    rows = [{"benchmark": f"自评复核: every rule over one year ({raw['projects']:,} projects, {raw['indicators']:,} indicators)",
             "measured": f"{raw['seconds']:.2f} s, peak {raw['peak_rss_mb']:,} MB (copied-text {raw['copied_text_seconds']:.2f} s, "
                         f"{raw['pairs_compared']:,} pairs{', capped' if raw['capped'] else ''}; {raw['findings']:,} findings)",
             "baseline": "-", "goal": "-" if cfg.get("quick") else raw["goal"],
             "met": None if cfg.get("quick") else raw["met"], "load": _load()}]
    return rows, raw


BENCHES = {"import": bench_import, "pages": bench_pages, "matching": bench_matching, "export": bench_export,
           "load": bench_load, "review": bench_review}


def markdown(rows: list[dict]) -> str:
    def met(v):
        return "—" if v is None else ("yes" if v else "**no**")
    lines = ["| benchmark | measured | baseline / engine | goal | met? | load |", "|---|---|---|---|---|---|"]
    for r in rows:
        measured = r["measured"] + (f" — {r['note']}" if r.get("note") else "")
        lines.append(f"| {r['benchmark']} | {measured} | {r['baseline']} | {r['goal']} | {met(r['met'])} | {r.get('load', '')} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="Run the issue-9 benchmarks and print one table")
    ap.add_argument("--quick", action="store_true", help="small sizes (about two minutes)")
    ap.add_argument("--only", help="comma-separated subset of " + ", ".join(NAMES))
    ap.add_argument("--pages", help="page bench: comma-separated pages (default all four)")
    ap.add_argument("--out", default=str(OUT / "results.json"))
    a = ap.parse_args()
    cfg = dict(QUICK if a.quick else FULL, quick=a.quick)
    if a.pages:
        cfg["page_list"] = a.pages.split(",")
    names = a.only.split(",") if a.only else NAMES
    unknown = set(names) - set(NAMES)
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; choose from {NAMES}")
    OUT.mkdir(parents=True, exist_ok=True)
    rows, raw = [], {}
    t0 = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        print(f"== {name} (load {_load()})", flush=True)
        try:
            r, raw[name] = BENCHES[name](cfg)
        except Exception as exc:                         # one failing benchmark must not hide the others
            r, raw[name] = [{"benchmark": name, "measured": f"FAILED: {str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else exc!r}",
                             "baseline": "-", "goal": "-", "met": False, "load": _load()}], {"error": str(exc)}
        rows += r
        print(f"   {time.perf_counter() - t:.1f} s", flush=True)
    table = markdown(rows)
    print("\n" + table)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; "
          + ("quick sizes: the page goals (1 s, 2x DuckDB, 1.5 GB) are judged at the full size only" if a.quick
             else "full sizes"))
    Path(a.out).write_text(json.dumps({"quick": a.quick, "rows": rows, "raw": raw, "table": table,
                                       "finished": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count()},
                                      ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
