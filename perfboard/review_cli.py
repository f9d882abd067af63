"""`python -m perfboard review`: the 自评复核 findings of the filtered projects as text, JSON or the .xlsx
workpaper (wired into perfboard.cli). Reads as --user, within that user's departments, like every read."""
from __future__ import annotations

import sys
from pathlib import Path

from .review import RULES, SEVERITIES, STATUS_ZH, STATUSES

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(sub, db_arg, filter_args) -> None:
    p = sub.add_parser("review", help="自评复核：按复核规则检查自评数据，输出发现（文字、JSON 或复核底稿 .xlsx）")
    db_arg(p)
    filter_args(p)
    p.add_argument("--rule", action="append", default=[], choices=list(RULES), help="只看某条规则（可重复）")
    p.add_argument("--severity", action="append", default=[], choices=list(SEVERITIES), help="只看某个等级（可重复）")
    p.add_argument("--status", action="append", default=[], choices=list(STATUSES),
                   help="只看某种复核状态（open=待核实，verified=已核实，rejected=不采纳；可重复）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（findings、counts、units）")
    p.add_argument("--out", help="写出复核底稿 .xlsx")


def cmd_review(a) -> int:
    from .cli_common import open_store, scoped_filters
    from .review import findings, iter_json
    if a.out and Path(a.out).suffix.lower() != ".xlsx":
        print("错误：--out 须以 .xlsx 结尾。", file=sys.stderr)
        return EXIT_USAGE
    with open_store(a) as store:
        filters, _ = scoped_filters(store, a, "view")
        f = findings(store, filters, a.rule, a.severity, a.status)
        from .sample import fictional_years
        fictional = fictional_years(store)            # the workpaper labels rows of an invented sample year
    if a.out:
        from .export.workpaper import write_workpaper
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        write_workpaper(a.out, f, filters.describe(), fictional=fictional)      # row by row, constant memory
        if not a.json:
            print(f"已导出复核底稿：{a.out}（{len(f)} 条发现）")
    if a.json:      # streamed in pieces: the same text as json.dumps(to_json(f) + filters), told to be JSON
        from .text import write_json
        for piece in iter_json(f, {"filters": filters.describe()}):
            write_json(sys.stdout, piece)
        print()
        return EXIT_OK
    if a.out:
        return EXIT_OK
    if not len(f):
        print(f"未发现问题（{filters.describe()}）。")
        return EXIT_OK
    for r in f.itertuples(index=False):
        obj = r.department + (f" · {r.project}" if isinstance(r.project, str) else "")
        print(f"[{r.severity}] {RULES[r.code].title}（{r.code}）{obj} · {r.location}：{r.message}"
              f"　[{STATUS_ZH[r.status]}]")
    print(f"共 {len(f)} 条发现。")
    return EXIT_OK
