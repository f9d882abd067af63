"""Benchmark (issue 20): what bounded reading costs on the fast path, for a 10,000-project flat workbook.

    python bench/bench_read_guard.py --n 10000 --repeat 3

Times, on the same file in the same run (best of --repeat, wall and this process's CPU seconds):
  (a) in process:  importer.parse_file            -- the read + validation as before the guard
  (b) the checks alone: readers.sheet_extent over every worksheet part (streamed) + perfboard.text
      cleaning of every cell, i.e. what the guard adds inside the parse
  (c) worker:      importer.parse(isolate=True)   -- the same parse in a forkserver worker with RLIMIT_AS
                   (fork + pickling the file there and the Batch back); the first call also starts the
                   forkserver (reported apart, once per server process)
  (d) a refused far cell (XFD1048576): how fast the refusal comes
Worker CPU is in the child, so compare wall seconds for (c)."""
from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def timed(fn, repeat: int):
    best = None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        w, cpu = time.perf_counter() - t, time.process_time() - c
        best = (w, cpu) if best is None or w < best[0] else best
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from bench_import import workbook
    from perfboard import importer, readers
    from perfboard.validation_report import Report

    path = workbook(a.n)
    data = path.read_bytes()
    print(f"{path.name}: {len(data) / 1e6:.1f} MB")

    (w_in, c_in), batch = timed(lambda: importer.parse_file(path.name, data), a.repeat)
    n_proj, n_ind = len(batch.projects), len(batch.indicators)

    def checks():
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                if "worksheets/" in name:
                    with zf.open(name) as fh:
                        readers.sheet_extent(fh)
        return None

    (w_scan, c_scan), _ = timed(checks, a.repeat)
    book = readers.read_book(path.name, data, Report())
    cells = sum(len(r) for s in book.sheets for r in s.rows)
    (w_clean, c_clean), _ = timed(lambda: [readers.clean_cells(s, Report()) for s in book.sheets], a.repeat)

    t = time.perf_counter()
    importer.parse("warm.csv", b"a,b\n1,2\n", isolate=True)        # starts the forkserver
    w_start = time.perf_counter() - t
    (w_w, c_w), wb = timed(lambda: importer.parse(path.name, data, isolate=True), a.repeat)
    assert len(wb.projects) == n_proj and len(wb.indicators) == n_ind and wb.report.codes() == batch.report.codes()

    from hostile.corpus import far_cell, good_rows, xlsx
    far = far_cell(xlsx(good_rows()), "XFD1048576")
    (w_far, _), fb = timed(lambda: importer.parse("far.xlsx", far, isolate=True), a.repeat)
    assert fb.report.codes() == ["sheet-too-large"]

    print(f"{n_proj:,} projects, {n_ind:,} indicators, {cells:,} cells read\n")
    print("| step | wall s | CPU s (this process) |\n|---|---|---|")
    print(f"| (a) parse in process | {w_in:.2f} | {c_in:.2f} |")
    print(f"| (b) extent scan of every sheet (streamed) | {w_scan:.3f} | {c_scan:.3f} |")
    print(f"| (b) control-character check of every cell | {w_clean:.3f} | {c_clean:.3f} |")
    print(f"| (c) parse in the worker | {w_w:.2f} | {c_w:.2f} |")
    print(f"| (c) worker overhead vs (a) | {w_w - w_in:+.2f} ({(w_w / w_in - 1) * 100:+.0f}%) | |")
    print(f"| forkserver start (once per server) | {w_start:.2f} | |")
    print(f"| (d) far cell XFD1048576 refused (worker) | {w_far:.3f} | |")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "tests"))
    main()
