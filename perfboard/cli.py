"""Command line: python -m perfboard import | summary | sample | template."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli_common import (EXIT_OK, EXIT_REFUSED, EXIT_STORE, EXIT_USAGE, Refused,  # noqa: F401 (used by tests)
                         cap_memory, db_arg, filter_args, open_store, scoped_filters, waiting)
from .db import StoreError


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m perfboard", description="PerfBoard 绩效看板 命令行")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="校验并导入 Excel/CSV 文件")
    p.add_argument("files", nargs="+")
    db_arg(p)
    p.add_argument("--department", help="指定主管部门（覆盖文件中的值）")
    p.add_argument("--replace", action="store_true", help="替换同年度、同部门的已有数据")
    p.add_argument("--remove-sample", action="store_true", help="同时删除随附的示例数据（与导入在同一事务中）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出校验报告")

    p = sub.add_parser("summary", help="汇总数字（与页面一致）")
    db_arg(p)
    filter_args(p)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("sample", help="载入随附的示例数据（--remove：删除全部示例数据）")
    p.add_argument("--remove", action="store_true", help="删除数据库中的全部示例数据（一个事务）")
    db_arg(p)

    p = sub.add_parser("template", help="生成空白导入模板")
    p.add_argument("--out", required=True)

    _add_user_parsers(sub)
    _add_backup_parsers(sub)
    _add_score_parser(sub)
    _add_compare_parser(sub)
    _add_export_parsers(sub)
    from .review_cli import add_parser as _add_review_parser
    _add_review_parser(sub, db_arg, filter_args)
    from .monitor_cli import add_parser as add_monitor_parser     # issue 17
    add_monitor_parser(sub, db_arg, filter_args)
    return ap


def _add_user_parsers(sub) -> None:
    p = sub.add_parser("user", help="用户管理：add | passwd | disable | enable | list")
    us = p.add_subparsers(dest="user_command", required=True)
    q = us.add_parser("add", help="新增用户（密码从终端输入两次，或从标准输入读取）")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=["viewer", "editor", "admin"])
    q.add_argument("--department", action="append", default=[], help="可管理/查看的主管部门（可重复；“*”表示全部）")
    db_arg(q)
    q = us.add_parser("passwd", help="重设密码（同时解除锁定）")
    q.add_argument("name")
    db_arg(q)
    q = us.add_parser("disable", help="停用用户")
    q.add_argument("name")
    db_arg(q)
    q = us.add_parser("enable", help="重新启用用户")
    q.add_argument("name")
    db_arg(q)
    q = us.add_parser("list", help="列出用户")
    q.add_argument("--json", action="store_true")
    db_arg(q)


def _add_backup_parsers(sub) -> None:
    p = sub.add_parser("backup", help="备份数据库到一个文件（应用运行时请用应用内的备份）")
    p.add_argument("--out", required=True)
    p.add_argument("--force", action="store_true", help="覆盖已存在的同名文件")
    db_arg(p)
    p = sub.add_parser("restore", help="用备份文件替换数据库（须先关闭应用）")
    p.add_argument("--from", dest="source", required=True)
    db_arg(p)


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    try:
        a = ap.parse_args(argv)
    except SystemExit as exc:        # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    from .auth import PermissionDenied
    from .text import TerminalStream
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalStream(out), TerminalStream(err)   # names are data, not terminal commands
    try:
        return COMMANDS[a.command](a)
    except StoreError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_STORE
    except (Refused, PermissionDenied) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        sys.stdout, sys.stderr = out, err


def cmd_import(a) -> int:
    from .auth import local_admin
    from .importer import import_paths
    missing = [f for f in a.files if not Path(f).is_file()]
    if missing:
        print("错误：找不到文件：" + "、".join(missing), file=sys.stderr)
        return EXIT_USAGE
    with open_store(a, write=True) as store:
        plan = import_paths(store, a.files, department=a.department, replace=a.replace, user=local_admin("命令行"),
                            remove_sample=a.remove_sample)
        if plan.ok:         # 同比分析's newest pair, matched once here and stored for every later process
            from .compare import warm
            # only the newest: an import makes every pair's result stale, and the older ones would add seconds
            # each to the command at a province's scale (the app's warm-up stores them on its next open)
            warm(store, load=False, older=False)
    if a.json:
        # a refused import names its counts as parsed: nothing of them is in the database
        counts = ({"projects": plan.projects, "indicators": plan.indicators} if plan.ok else
                  {"parsed_projects": plan.projects, "parsed_indicators": plan.indicators})
        print(json.dumps({"imported": plan.ok, **counts, "problems": plan.report.to_dicts()},
                         ensure_ascii=False, default=str))
    else:
        for p in plan.report.problems:
            print(p.text())
        if plan.ok:
            print(f"已导入：{plan.projects} 个项目，{plan.indicators} 条指标。")
        else:
            print(f"未导入：{plan.report.error_count} 个错误，数据库未作任何修改。")
            if any(p.code == "replace-needed" for p in plan.report.errors):
                print("如需替换已有数据，请加 --replace。")
        if plan.sample_loaded and not a.remove_sample:
            print("提示：数据库中仍有随附的示例数据；删除：python -m perfboard sample --remove"
                  "（或导入时加 --remove-sample）。")
    return EXIT_OK if plan.ok else EXIT_REFUSED


def cmd_summary(a) -> int:
    from .summary import summary_head, summary_items
    if a.json:      # streamed as `score --json` is: the text of json.dumps(summary()), items a piece at a time
        from .text import write_json
        with open_store(a) as store:
            cap_memory(store)
            filters = scoped_filters(store, a)[0]
            head = json.dumps(summary_head(store, filters), ensure_ascii=False)
            write_json(sys.stdout, head[:-1] + ', "items": [')
            first = True
            for items in summary_items(store, filters):
                if items:       # a list's text is its items' joined by ", ": one dumps per piece, not per item
                    write_json(sys.stdout, ("" if first else ", ") + json.dumps(items, ensure_ascii=False)[1:-1])
                    first = False
            write_json(sys.stdout, "]}")
        print()
        return EXIT_OK
    with open_store(a) as store:
        s = summary_head(store, scoped_filters(store, a)[0])
    rate = "—" if s["execution_rate"] is None else f"{s['execution_rate']:.2%}"
    print(f"项目 {s['projects']} 个；全年预算数 {s['budget_wan']:,.2f} 万元；全年执行数 {s['spent_wan']:,.2f} 万元；执行率 {rate}")
    return EXIT_OK


def cmd_sample(a) -> int:
    from .sample import load_sample, remove_sample
    if a.remove:
        from .auth import local_admin
        with open_store(a, write=True) as store:
            n_projects, n_indicators = remove_sample(store, local_admin("命令行"))
            store.set_setting("sample_offered", True)       # not loaded again on the next start
        print(f"已删除示例数据：{n_projects} 个项目，{n_indicators} 条指标。" if n_projects else "数据库中没有示例数据。")
        return EXIT_OK
    with open_store(a, write=True) as store:
        plan = load_sample(store)
    for p in plan.report.errors:
        print(p.text())
    print(f"已载入示例数据：{plan.projects} 个项目，{plan.indicators} 条指标。" if plan.ok else "示例数据载入失败。")
    return EXIT_OK if plan.ok else EXIT_REFUSED


def cmd_template(a) -> int:
    from .template import template_bytes
    Path(a.out).write_bytes(template_bytes())
    print(f"已生成导入模板：{a.out}")
    return EXIT_OK


def read_new_password(stdin=None) -> str:
    """Twice from the terminal (hidden), or from standard input when it is not a terminal: one line,
    or two identical lines. Never from the command line, so it stays out of shell history and ps."""
    import getpass
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass("新密码：")
        second = getpass.getpass("再次输入新密码：")
    else:
        lines = stdin.read().splitlines()
        lines = [ln.rstrip("\r") for ln in lines]
        if not lines:
            raise ValueError("标准输入中没有密码。")
        first = lines[0]
        second = lines[1] if len(lines) > 1 else first
        if len(lines) > 2 and any(ln for ln in lines[2:]):
            raise ValueError("标准输入应只有一行密码（或两行相同的密码）。")
    if first != second:
        raise ValueError("两次输入的密码不一致。")
    return first


def cmd_user(a) -> int:
    from . import auth
    password = None
    if a.user_command in ("add", "passwd"):
        try:
            password = read_new_password()
        except (ValueError, EOFError, KeyboardInterrupt) as exc:
            print(f"错误：{exc or '已取消。'}", file=sys.stderr)
            return EXIT_REFUSED
    store = open_store(a, write=True)
    by = auth.local_admin("命令行")      # whoever runs the CLI holds the database file: the local administrator
    try:
        if a.user_command == "add":
            u = auth.add_user(store, a.name, password, a.role, a.department, by=by)
            scope = "全部部门" if u.all_departments else "、".join(u.departments)
            print(f"已新增用户“{u.name}”（{auth.ROLE_ZH[u.role]}；{scope}）。")
        elif a.user_command == "passwd":
            auth.set_password(store, a.name, password, by=by)
            print(f"已重设用户“{a.name.strip()}”的密码。")
        elif a.user_command in ("disable", "enable"):
            auth.disable_user(store, a.name, a.user_command == "disable", by=by)
            print(f"已{'停用' if a.user_command == 'disable' else '启用'}用户“{a.name.strip()}”。")
        else:
            users = auth.list_users(store)
            if a.json:
                print(json.dumps([{"name": u.name, "role": u.role, "departments": list(u.departments),
                                   "disabled": u.disabled, "locked_until": u.locked_until, "last_login": u.last_login}
                                  for u in users],
                                 ensure_ascii=False, default=str))
            elif not users:
                print("尚无用户：应用处于本机单用户模式（仅本机可访问）。")
            else:
                for u in users:
                    scope = "全部部门" if u.all_departments else "、".join(u.departments)
                    state = "已停用" if u.disabled else ("锁定中" if u.locked_until else "正常")
                    last = f"最近登录 {u.last_login:%Y-%m-%d %H:%M}" if u.last_login else "从未登录"
                    print(f"{u.name}\t{auth.ROLE_ZH[u.role]}\t{scope}\t{state}\t{last}")
    except auth.UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    return EXIT_OK


def cmd_backup(a) -> int:
    from .db import backup
    store = open_store(a, read_only=True)     # beside the app: its consistent copy
    try:
        out = backup(store, a.out, overwrite=a.force)
    except StoreError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        store.close()
    print(f"已备份到 {out}")
    return EXIT_OK


def cmd_restore(a) -> int:
    from .db import StoreLockedError, restore
    try:
        kept = waiting(a, lambda: restore(a.source, a.db))
    except StoreLockedError as exc:
        print(f"错误：{exc}\n恢复会替换整个数据库文件，请先关闭应用再运行本命令。", file=sys.stderr)
        return EXIT_STORE
    except StoreError as exc:        # the backup failed its check: the database file was not touched
        print(f"错误：{exc}\n数据库文件未改动。", file=sys.stderr)
        return EXIT_STORE
    print("已从备份恢复数据库。" + (f"原数据库文件已保留为 {kept}" if kept else ""))
    return EXIT_OK


COMMANDS = {"import": cmd_import, "summary": cmd_summary, "sample": cmd_sample, "template": cmd_template,
            "user": cmd_user, "backup": cmd_backup, "restore": cmd_restore}


def _add_score_parser(sub) -> None:
    p = sub.add_parser("score", help="按评分规则计算得分与等级（无分值时为估算）")
    db_arg(p)
    filter_args(p)
    p.add_argument("--json", action="store_true")


def cmd_score(a) -> int:
    from .scoring import FINDINGS_ZH, iter_score_report, score_report
    if a.json:     # streamed a chunk at a time: the same text as json.dumps({"items": [...]}), never all in memory
        from .text import json_terminal
        # pieces of one JSON document: escaped as TerminalStream escapes a whole one (json_terminal), and
        # written past it (a piece alone does not parse as JSON, so it would be cleaned as plain text)
        out, first = getattr(sys.stdout, "_stream", sys.stdout), True
        with open_store(a) as store:
            out.write('{"items": [')
            for items in iter_score_report(store, scoped_filters(store, a)[0]):
                out.write(("" if first else ", ") + ", ".join(json_terminal(json.dumps(i, ensure_ascii=False))
                                                              for i in items))
                first = False
            out.write("]}\n")
        return EXIT_OK
    with open_store(a) as store:
        items = score_report(store, scoped_filters(store, a)[0])
    if not items:
        print("没有符合条件的项目。")
    for i in items:
        grade = i["grade"] or "待判定"
        mark = "（估算）" if i["estimated"] else ""
        print(f"{i['year']} {i['name']}：执行 {i['execution_score']:.2f} + 指标 {i['indicator_score']:.2f} = "
              f"{i['total']:.2f} 分{mark}，{grade}" + ("；" + "、".join(FINDINGS_ZH[c] for c in i["findings"])
                                                    if i["findings"] else ""))
    return EXIT_OK


COMMANDS["score"] = cmd_score


def _add_compare_parser(sub) -> None:
    p = sub.add_parser("compare", help="同比分析：两个年度的总数、分组与逐项目变化（与页面一致）")
    db_arg(p)
    filter_args(p)             # --year: the year compared (default: the latest)
    p.add_argument("--base", type=int, required=True, help="对比年度（基期）")
    p.add_argument("--json", action="store_true")


def cmd_compare(a) -> int:
    from .compare import STATUS_ZH, compare, iter_json_items, json_head, to_json
    with open_store(a) as store:
        filters = scoped_filters(store, a)[0]
        year = a.year if a.year is not None else store.scalar("SELECT max(year) FROM projects")
        if year is None:
            print("错误：数据库中没有项目数据。", file=sys.stderr)
            return EXIT_USAGE
        c = compare(store, filters, a.base, int(year), scores=False)     # the output has no scores
    if a.json:      # streamed as `score --json` is: the text of json.dumps(to_json(c)), items a chunk at a time
        from .text import json_terminal
        out, first = getattr(sys.stdout, "_stream", sys.stdout), True
        head = json_head(c)
        cand = head.pop("candidates")
        head.pop("items")
        out.write(json_terminal(json.dumps(head, ensure_ascii=False))[:-1] + ', "items": [')
        for items in iter_json_items(c):
            out.write(("" if first else ", ") + ", ".join(json_terminal(json.dumps(i, ensure_ascii=False))
                                                          for i in items))
            first = False
        out.write('], "candidates": ' + json_terminal(json.dumps(cand, ensure_ascii=False)) + "}\n")
        return EXIT_OK
    out = to_json(c)
    cur, base, d = out["totals"]["current"], out["totals"]["base"], out["change"]
    rate = lambda r: "—" if r is None else f"{r:.2%}"  # noqa: E731
    print(f"{out['base_year']} → {out['year']}：全年预算数 {base['budget_wan']:,.2f} → {cur['budget_wan']:,.2f} 万元"
          f"（{d['budget_wan']:+,.2f}）；执行率 {rate(base['execution_rate'])} → {rate(cur['execution_rate'])}")
    for i in out["items"]:
        names = i["name"] if i["status"] == "new" else i["base_name"] if i["status"] == "discontinued" \
            else f"{i['base_name']} → {i['name']}"
        print(f"[{STATUS_ZH[i['status']]}] {names}：预算 {i['budget_change_wan']:+,.2f} 万元"
              + (f"，执行率 {i['execution_rate_change_pp']:+.2f} 个百分点" if i["execution_rate_change_pp"] is not None else ""))
    if out["candidates"]:
        print(f"另有 {len(out['candidates'])} 对名称相近的候选待人工确认（在“同比分析”页面中确认或拒绝）。")
    return EXIT_OK


COMMANDS["compare"] = cmd_compare


def _add_export_parsers(sub) -> None:
    from .export.cli import add_parsers
    add_parsers(sub, db_arg, filter_args)


def _export_command(name):
    def run(a) -> int:
        from .export.cli import COMMANDS as EXPORT_COMMANDS
        return EXPORT_COMMANDS[name](a)
    return run


COMMANDS.update({name: _export_command(name) for name in ("export", "forms", "report", "brief")})


def _cmd_review(a) -> int:
    from .review_cli import cmd_review
    return cmd_review(a)


COMMANDS["review"] = _cmd_review


def cmd_monitor(a) -> int:
    from .monitor_cli import run
    return run(a)


COMMANDS["monitor"] = cmd_monitor
