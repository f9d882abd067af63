"""Benchmark: a 50,000-row filtered table to .xlsx with openpyxl (write_only) vs xlsxwriter, same formatting.

Both writers go through perfboard.export.tables (title row, Chinese headers, frozen header, autofilter,
万元/percent number formats, coloured traffic lights, totals row); the layout step they share is timed
separately. Usage:  python bench/bench_export.py [rows] [repeats]
"""
from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfboard.export.tables import auto_totals, layout, to_csv, to_xlsx  # noqa: E402

SPEC = [("year", "年度", "int"), ("department", "主管部门"), ("unit", "实施单位"), ("name", "项目名称"),
        ("funding_source", "资金来源"), ("initial_budget", "年初预算数（万元）", "wan"),
        ("budget", "全年预算数（万元）", "wan"), ("spent", "全年执行数（万元）", "wan"),
        ("execution_rate", "执行率", "rate"), ("light", "状态", "light"), ("indicators", "指标数", "int"),
        ("deviation_reason", "偏离原因")]


def table(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    budget = rng.uniform(1, 5000, n).round(4)
    rate = np.clip(rng.normal(0.93, 0.08, n), 0.3, 1.1)
    spent = (budget * rate).round(4)
    light = np.where(rate > 1, "超预算", np.where(rate >= 0.95, "绿", np.where(rate >= 0.9, "黄", "红")))
    depts = [f"某市第{i}局" for i in range(40)]
    return pd.DataFrame({
        "year": 2024, "department": rng.choice(depts, n), "unit": rng.choice(["实施单位甲", "实施单位乙", ""], n),
        "name": [f"2024 年第 {i} 号项目：科技创新专项资金" for i in range(n)],
        "funding_source": rng.choice(["市级财政资金", "省级转移支付资金", "上年结转资金"], n),
        "initial_budget": budget, "budget": budget, "spent": spent, "execution_rate": spent / budget,
        "light": light, "indicators": rng.integers(2, 12, n),
        "deviation_reason": np.where(rate < 0.9, "按照过“紧日子”的要求，严格节省经费开支。", ""),
    })


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main(rows: int = 50_000, repeats: int = 3) -> dict:
    df = table(rows)
    totals = auto_totals(df, SPEC, rate=("execution_rate", "spent", "budget"))
    results = {}
    results["layout (shared)"], _ = timed(lambda: layout(df, "项目执行情况", "2024 年度", SPEC, totals), repeats)
    for engine in ("openpyxl", "xlsxwriter"):
        t, data = timed(lambda: to_xlsx(df, "项目执行情况", "2024 年度", SPEC, totals, engine=engine), repeats)
        results[engine] = t
        results[engine + " bytes"] = len(data)
        _check(data, rows)
    results["csv"], _ = timed(lambda: to_csv(df, SPEC, totals), repeats)
    print(f"{rows:,} rows x {len(SPEC)} columns, median of {repeats}:")
    for k, v in results.items():
        print(f"  {k:<22} {v:>12,.0f}" if "bytes" in k else f"  {k:<22} {v:>10.2f} s")
    return results


def _check(data: bytes, rows: int) -> None:
    """Both engines must keep the formats: spot-check the first data row and the totals row."""
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    first = next(ws.iter_rows(min_row=4, max_row=4))
    assert first[7].number_format == "#,##0.00" and first[8].number_format == "0.00%", "formats lost"
    assert first[9].fill.fgColor.rgb[-6:] in ("C6EFCE", "FFEB9C", "FFC7CE", "E4DFEC"), "light colour lost"


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
