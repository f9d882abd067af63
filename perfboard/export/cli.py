"""Command-line exports: `export`, `forms`, `report`, `brief` (wired into perfboard.cli)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def add_parsers(sub, db_arg, filter_args) -> None:
    from .catalog import table_names
    p = sub.add_parser("export", help="导出表格（与页面显示一致）为 .xlsx 或 .csv")
    p.add_argument("--what", required=True, choices=table_names(), help="导出哪张表")
    p.add_argument("--format", choices=["xlsx", "csv"], help="默认按 --out 的扩展名")
    p.add_argument("--out", required=True)
    db_arg(p)
    filter_args(p)

    p = sub.add_parser("forms", help="导出项目支出绩效自评表（每个项目一个工作表）")
    p.add_argument("--variant", choices=["national", "sichuan"], default="national", help="national=全国通用，sichuan=四川省格式")
    p.add_argument("--fill", choices=["computed", "stored"], default="computed",
                   help="computed=执行率与得分按规则计算（默认）；stored=原样填入库中数据（填报执行率、填报得分）")
    p.add_argument("--project-id", type=int, action="append", default=None, help="只导出指定项目（可重复）")
    p.add_argument("--out", required=True)
    db_arg(p)
    filter_args(p)

    p = sub.add_parser("report", help="生成绩效自评报告（.docx）")
    p.add_argument("--with-achievement", action="store_true", help="填报了“实际完成情况”的项目，（二）始终按原文写；加此项时，未填报的项目在（二）末尾以红字标出“未填写实际完成情况”")
    p.add_argument("--with-review", action="store_true", help="附上自评复核发现（不含已标记“不采纳”的；仅限逐项目报告）")
    p.add_argument("--max-sections", type=int, default=None, metavar="N",
                   help="逐项目章节上限（默认 500，最多 5000，0 = 只生成汇总章节）：筛选出的项目超过 N 个时，"
                        "报告只写汇总章节（每个项目都计入总数和各部门表），并注明如何取得逐项目章节")
    p.add_argument("--out", required=True)
    db_arg(p)
    filter_args(p)

    p = sub.add_parser("brief", help="生成一页会议简报（.docx 或 .pdf）")
    p.add_argument("--out", required=True)
    db_arg(p)
    filter_args(p)


def _store_and_filters(a):
    """The store, the filters narrowed to the acting user's departments (--user; the local administrator
    in single-user mode) and that user, whom the export functions check again."""
    from ..cli_common import open_store, scoped_filters
    store = open_store(a)
    try:
        filters, user = scoped_filters(store, a, "export")
    except BaseException:
        store.close()
        raise
    return store, filters, user


def _write(path: str, data: bytes, what: str) -> int:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)
    print(f"已导出{what}：{path}")
    return EXIT_OK


def cmd_export(a) -> int:
    from . import tables
    from .catalog import build_table, count_rows, table_chunks, table_of, table_totals
    fmt = a.format or Path(a.out).suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        print("错误：请用 --format xlsx|csv，或让 --out 以 .xlsx / .csv 结尾。", file=sys.stderr)
        return EXIT_USAGE
    from ..sample import illustrative_note
    store, filters, user = _store_and_filters(a)
    try:
        title = table_of(a.what).title
        if fmt == "xlsx":            # counted in SQL first: a table too long for a sheet is refused before it is built
            rows = count_rows(store, filters, a.what, user=user)
            if rows is not None and rows > tables.MAX_XLSX_ROWS:
                print(f"错误：{tables.too_many_rows_message(title, rows)}", file=sys.stderr)
                return EXIT_REFUSED
        note = illustrative_note(store, filters)           # rows of an invented sample year say 示例（虚构）
        chunks = table_chunks(store, filters, a.what, user=user) if fmt == "csv" else None
        if chunks is not None:       # written as it is read: a province's 2.3M indicator rows are never all held
            from ..cli_common import cap_memory
            cap_memory(store)
            totals = table_totals(store, filters, a.what, user=user)      # the 合计 row, from SQL
            rows = []

            def counted(pieces):
                for piece in pieces:
                    rows.append(len(piece))
                    yield piece
            _write_chunks(a.out, tables.csv_chunks(counted(chunks), None, note, totals))
            print(f"已导出“{title}”（{sum(rows)} 行）：{a.out}")
            return EXIT_OK
        table, df, totals = build_table(store, filters, a.what, user=user)
    finally:
        store.close()
    try:
        data = (tables.to_xlsx(df, table.title, filters, None, totals, note=note) if fmt == "xlsx"
                else tables.to_csv(df, None, totals, note))
    except tables.TooManyRows as exc:        # a Chinese message naming the way out, never a traceback
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    return _write(a.out, data, f"“{table.title}”（{len(df)} 行）")


def _write_chunks(path: str, chunks) -> None:
    """The CSV's bytes as they come, into a file beside `path` that replaces it only when complete."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        with open(part, "wb") as fh:
            for data in chunks:
                fh.write(data)
        part.replace(out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def cmd_forms(a) -> int:
    from .forms import forms_xlsx
    store, filters, user = _store_and_filters(a)
    try:
        data = forms_xlsx(store, filters, a.variant, a.project_id, a.fill, user=user)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    return _write(a.out, data, "项目支出绩效自评表")


def cmd_report(a) -> int:
    from .report import MAX_SECTION_LIMIT, SECTION_LIMIT, report_docx
    limit = SECTION_LIMIT if a.max_sections is None else a.max_sections
    if not 0 <= limit <= MAX_SECTION_LIMIT:
        print(f"错误：--max-sections 须在 0 到 {MAX_SECTION_LIMIT} 之间（0 表示只生成汇总章节）。", file=sys.stderr)
        return EXIT_USAGE
    store, filters, user = _store_and_filters(a)
    try:
        data = report_docx(store, filters, include_achievement=a.with_achievement, user=user,
                           include_review=a.with_review, max_sections=limit)
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    return _write(a.out, data, "绩效自评报告")


def cmd_brief(a) -> int:
    from .brief import brief_bytes
    from .fonts import FontMissing
    fmt = Path(a.out).suffix.lower().lstrip(".")
    if fmt not in ("docx", "pdf"):
        print("错误：--out 须以 .docx 或 .pdf 结尾。", file=sys.stderr)
        return EXIT_USAGE
    store, filters, user = _store_and_filters(a)
    try:
        data = brief_bytes(store, filters, fmt, user=user)
    except FontMissing as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    return _write(a.out, data, "会议简报")


COMMANDS = {"export": cmd_export, "forms": cmd_forms, "report": cmd_report, "brief": cmd_brief}
