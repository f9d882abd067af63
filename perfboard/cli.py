"""Command line: python -m perfboard import | summary | sample | template."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .db import Store, StoreError
from .filters import Filters

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 3


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="数据库文件路径（默认：环境变量 PERFBOARD_DB，否则 var/perfboard.duckdb）")


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int)
    p.add_argument("--department", action="append", default=[], help="主管部门（可重复）")
    p.add_argument("--funding-source", action="append", default=[])
    p.add_argument("--light", action="append", default=[], choices=["绿", "黄", "红", "超预算", "无预算"])
    p.add_argument("--search", default="")


def filters_from(a: argparse.Namespace) -> Filters:
    return Filters(year=a.year, departments=tuple(a.department), funding_sources=tuple(a.funding_source),
                   lights=tuple(a.light), search=a.search)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m perfboard", description="PerfBoard 绩效看板 命令行")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="校验并导入 Excel/CSV 文件")
    p.add_argument("files", nargs="+")
    _db_arg(p)
    p.add_argument("--department", help="指定主管部门（覆盖文件中的值）")
    p.add_argument("--replace", action="store_true", help="替换同年度、同部门的已有数据")
    p.add_argument("--json", action="store_true", help="以 JSON 输出校验报告")

    p = sub.add_parser("summary", help="汇总数字（与页面一致）")
    _db_arg(p)
    _filter_args(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("sample", help="载入随附的示例数据")
    _db_arg(p)

    p = sub.add_parser("template", help="生成空白导入模板")
    p.add_argument("--out", required=True)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    try:
        a = ap.parse_args(argv)
    except SystemExit as exc:        # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return COMMANDS[a.command](a)
    except StoreError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_STORE


def cmd_import(a) -> int:
    from .auth import local_admin
    from .importer import import_paths
    missing = [f for f in a.files if not Path(f).is_file()]
    if missing:
        print("错误：找不到文件：" + "、".join(missing), file=sys.stderr)
        return EXIT_USAGE
    store = Store(a.db)
    try:
        plan = import_paths(store, a.files, department=a.department, replace=a.replace, user=local_admin("命令行"))
    finally:
        store.close()
    if a.json:
        print(json.dumps({"imported": plan.ok, "projects": plan.projects, "indicators": plan.indicators,
                          "problems": plan.report.to_dicts()}, ensure_ascii=False, default=str))
    else:
        for p in plan.report.problems:
            print(p.text())
        if plan.ok:
            print(f"已导入：{plan.projects} 个项目，{plan.indicators} 条指标。")
        else:
            print(f"未导入：{len(plan.report.errors)} 个错误，数据库未作任何修改。")
            if any(p.code == "replace-needed" for p in plan.report.errors):
                print("如需替换已有数据，请加 --replace。")
    return EXIT_OK if plan.ok else EXIT_REFUSED


def cmd_summary(a) -> int:
    from .summary import summary
    store = Store(a.db)
    try:
        s = summary(store, filters_from(a))
    finally:
        store.close()
    if a.json:
        print(json.dumps(s, ensure_ascii=False))
    else:
        rate = "—" if s["execution_rate"] is None else f"{s['execution_rate']:.2%}"
        print(f"项目 {s['projects']} 个；全年预算数 {s['budget_wan']:,.2f} 万元；全年执行数 {s['spent_wan']:,.2f} 万元；执行率 {rate}")
    return EXIT_OK


def cmd_sample(a) -> int:
    from .sample import load_sample
    store = Store(a.db)
    try:
        plan = load_sample(store)
    finally:
        store.close()
    for p in plan.report.errors:
        print(p.text())
    print(f"已载入示例数据：{plan.projects} 个项目，{plan.indicators} 条指标。" if plan.ok else "示例数据载入失败。")
    return EXIT_OK if plan.ok else EXIT_REFUSED


def cmd_template(a) -> int:
    from .template import template_bytes
    Path(a.out).write_bytes(template_bytes())
    print(f"已生成导入模板：{a.out}")
    return EXIT_OK


COMMANDS = {"import": cmd_import, "summary": cmd_summary, "sample": cmd_sample, "template": cmd_template}
