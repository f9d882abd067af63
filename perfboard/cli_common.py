"""What every command-line module shares: exit codes, the --db and filter arguments, who reads (--user)
and the filters narrowed to that user. Below perfboard.cli and its subcommand modules (export.cli,
review_cli, monitor_cli), so they use it without importing each other."""
from __future__ import annotations

import argparse
import sys

from .db import Store
from .filters import Filters

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 3


def db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="数据库文件路径（默认：环境变量 PERFBOARD_DB，否则 var/perfboard.duckdb）")


def filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--year", type=int, help="年度（默认：最新年度，与页面一致；不同年度的数字从不相加）")
    p.add_argument("--department", action="append", default=[], help="主管部门（可重复）")
    p.add_argument("--funding-source", action="append", default=[])
    p.add_argument("--light", action="append", default=[], choices=["绿", "黄", "红", "超预算", "无预算"])
    p.add_argument("--search", default="")
    p.add_argument("--user", help="以该用户身份读取：只输出其可查看的部门。已创建用户时必须指定；"
                                  "密码从终端输入，或从标准输入读取（一行）")


def filters_from(a: argparse.Namespace) -> Filters:
    return Filters(year=a.year, departments=tuple(a.department), funding_sources=tuple(a.funding_source),
                   lights=tuple(a.light), search=a.search)


class Refused(Exception):
    """A command refused for who runs it (no/wrong login, no permission); the message is Chinese."""


def read_password(stdin=None) -> str:
    """The login password for --user: hidden from the terminal, or the first line of standard input
    (scripts). Never a command-line argument, so it stays out of shell history and ps."""
    import getpass
    stdin = stdin or sys.stdin
    if stdin.isatty():
        return getpass.getpass("密码：")
    line = stdin.readline()
    if not line:
        raise Refused("标准输入中没有密码。")
    return line.rstrip("\r\n")


def acting_user(store: Store, a: argparse.Namespace):
    """Who reads: --user NAME after a password check (same lock-out as the login page); without --user,
    the local administrator, but only while no user exists (single-user mode)."""
    from . import auth
    name = getattr(a, "user", None)
    if name:
        try:
            password = read_password()
        except (EOFError, KeyboardInterrupt):
            raise Refused("已取消。") from None
        try:
            return auth.authenticate(store, name, password)
        except auth.AuthError:
            raise Refused(auth.GENERIC_FAILURE) from None
    if auth.single_user_mode(store):
        return auth.LOCAL_ADMIN
    raise Refused("已启用用户登录：请用 --user 用户名 指定身份（密码从终端输入，或从标准输入读取）；"
                  "输出只包含该用户可查看的部门。")


def scoped_filters(store: Store, a: argparse.Namespace, action: str = "view"):
    """The command's filters narrowed to the acting user's departments, and that user."""
    from . import auth
    from .summary import with_default_year
    user = acting_user(store, a)
    return with_default_year(store, auth.scoped(store, filters_from(a), user, action)), user
