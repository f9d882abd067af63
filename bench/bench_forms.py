"""Benchmark: self-evaluation forms (issue 14). Goals: form detection < 0.2 s per sheet; a workbook of 300
forms imports (read + detect + parse + validate, importer.prepare) in < 30 s.

    python bench/bench_forms.py --forms 300

The workbook cycles through the importable fixtures of tests/form_corpus.py (real layouts: Sichuan, Anhui,
Yunnan, Ningxia, Hubei, Hunan, Shanxi) with a distinct project name per sheet, one form per sheet, written with openpyxl."""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from openpyxl import Workbook  # noqa: E402

from form_corpus import CORPUS, write  # noqa: E402
from perfboard import form_cells, importer  # noqa: E402
from perfboard.readers import read_book  # noqa: E402
from perfboard.validation_report import Report  # noqa: E402

IMPORTABLE = ["sc-qingshen-2023", "sc-daying-2023", "sc-zhongjiang-2022", "ah-tangxi-weituo-2022",
              "ah-tangxi-cunji-2022", "yn-yongde-2022", "nx-yinchuan-2021", "hb-xiangyang-2021",
              "hn-hengshan-2020", "sx-jishan-2020", "hb-changjiang-2020"]
NAME_LABELS = ("项目名称", "专项资金名称")


def workbook(n: int) -> bytes:
    fixtures = [f for f in CORPUS if f["id"] in IMPORTABLE]
    wb = Workbook()
    wb.remove(wb.active)
    for i in range(n):
        f = fixtures[i % len(fixtures)]
        rows = [list(r) for r in f["rows"]]
        for r, row in enumerate(rows):          # a distinct name per form: the cell right of 项目名称
            if row and (row[0] in NAME_LABELS or (isinstance(row[0], tuple) and row[0][0] in NAME_LABELS)):
                cell = row[1]
                text = cell[0] if isinstance(cell, tuple) else cell
                if text[:1].isdigit() and "-" in text:          # Sichuan: a distinct code in front of the name
                    text = text.replace("-", f"{i:04d}-", 1)
                cell = (text, *cell[1:]) if isinstance(cell, tuple) else text
                rows[r][1] = (f"{cell[0] if isinstance(cell, tuple) else cell}（第{i + 1}号）", *cell[1:]) \
                    if isinstance(cell, tuple) else f"{cell}（第{i + 1}号）"
        write(wb.create_sheet(f"表{i + 1}"), rows)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--forms", type=int, default=300)
    a = ap.parse_args()
    t = time.perf_counter()
    data = workbook(a.forms)
    print(f"workbook: {a.forms} forms, {len(data) / 1e6:.1f} MB, written in {time.perf_counter() - t:.1f} s")

    book = read_book("forms.xlsx", data, Report())
    times = []
    for sheet in book.sheets:
        t = time.perf_counter()
        assert form_cells.is_form(form_cells.detect(form_cells.Grid(sheet)))
        times.append(time.perf_counter() - t)
    print(f"detection per sheet: mean {statistics.mean(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms "
          f"(goal < 200 ms)")

    t, c = time.perf_counter(), time.process_time()
    plan = importer.prepare(None, [("forms.xlsx", data)])
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"import (prepare) of {a.forms} forms: {wall:.2f} s wall, {cpu:.2f} s CPU; {plan.projects} projects, "
          f"{plan.indicators} indicators, {plan.report.error_count} errors (goal < 30 s)")


if __name__ == "__main__":
    main()
