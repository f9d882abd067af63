"""What every command-line module shares: exit codes, the --db/--wait and filter arguments, opening the
store beside a running app, who reads (--user) and the filters narrowed to that user. Below perfboard.cli
and its subcommand modules (export.cli, review_cli, monitor_cli), so they use it without importing each other."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Callable, TypeVar

from .db import Store, StoreLockedError, resolve_target
from .filters import Filters

T = TypeVar("T")
SNAPSHOT_TIMEOUT = 300      # seconds a read waits for the app's copy at least (a province's file: ~10-120 s)

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 3


def db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="数据库文件路径（默认：环境变量 PERFBOARD_DB，否则 var/perfboard.duckdb）")
    p.add_argument("--wait", type=float, default=0, metavar="秒数",
                   help="数据库文件被另一进程占用时，最多等待这么多秒再放弃（默认不等待）；"
                        "应用运行时，只读命令读取应用写出的一致副本，无需等待")


def _locked_message(path, exc: StoreLockedError, write: bool, app: bool, waited: float) -> str:
    """What to do, said exactly: who holds the file and the commands that work."""
    who = f"进程 {exc.pid}" if exc.pid else "另一个程序"
    head = f"数据库文件 {path} 正被{'PerfBoard 应用（' + who + '）' if app else who}占用"
    head += f"，已等待 {waited:.0f} 秒仍未释放。" if waited else "。"
    if app and write:
        return (head + "应用运行时命令行不能写入数据库。请在应用中操作（导入：“数据导入”页面；用户：“用户管理”页面），"
                "或先停止应用（例如 systemctl stop perfboard）再运行本命令；加 --wait 秒数（例如 --wait 600）"
                "可在应用停止后自动继续。只读命令（summary、export、report、backup 等）在应用运行时读取应用写出的"
                "一致副本，无需停止应用。")
    return (head + "它可能是另一个命令行导入、恢复或备份，或不提供一致副本的旧版应用。请加 --wait 秒数 等待其结束后"
            "自动继续（例如 --wait 600），或结束该进程后重试。")


def waiting(a: argparse.Namespace, attempt: Callable[[], T], write: bool = True) -> T:
    """attempt() (which opens the database), retried for up to --wait seconds while another process holds
    the file, with a progress line on stderr every 5 seconds; StoreLockedError saying what to do after."""
    path = resolve_target(getattr(a, "db", None))
    wait = max(float(getattr(a, "wait", 0) or 0), 0.0)
    start = time.monotonic()
    told = 0.0
    while True:
        try:
            return attempt()
        except StoreLockedError as exc:
            from . import snapshots
            app = exc.pid is not None and snapshots.serving_pid(path) == exc.pid
            waited = time.monotonic() - start
            if waited >= wait:
                raise StoreLockedError(_locked_message(path, exc, write, app, waited if wait else 0), exc.pid) from None
            if waited - told >= 5 or not told:
                told = waited or 0.001
                print(f"数据库文件正被进程 {exc.pid or '（未知）'} 占用，等待其释放……（已等待 {waited:.0f} 秒，"
                      f"最多 {wait:.0f} 秒）", file=sys.stderr, flush=True)
            time.sleep(min(0.5, max(wait - waited, 0.01)))


def open_store(a: argparse.Namespace, write: bool = False, read_only: bool = False) -> Store:
    """The command's store. While another process holds the file: a read asks a running app for a consistent
    copy and opens that read-only (saying so on stderr); anything else waits up to --wait seconds."""
    path = resolve_target(getattr(a, "db", None))
    if write:
        return waiting(a, lambda: Store(path), write=True)
    try:
        return Store(path, read_only=read_only)
    except StoreLockedError as exc:
        from . import snapshots
        if exc.pid is None or snapshots.serving_pid(path) != exc.pid:
            return waiting(a, lambda: Store(path, read_only=read_only), write=False)
        print(f"提示：数据库文件正被 PerfBoard 应用（进程 {exc.pid}）占用，正在请求应用写出一致副本……",
              file=sys.stderr, flush=True)
        copy = snapshots.request(path, max(float(getattr(a, "wait", 0) or 0), SNAPSHOT_TIMEOUT),
                                 lambda s: print(f"……仍在等待应用写出一致副本（已等待 {s:.0f} 秒）", file=sys.stderr,
                                                 flush=True))
        store = Store(copy, read_only=True)
        print(f"提示：本次读取的是应用写出的一致副本 {copy}（{snapshots.describe(path)}），"
              "不含此后的修改。", file=sys.stderr, flush=True)
        return store


STREAM_MEMORY = "300MB"         # DuckDB's memory in a command that streams one big sorted query


def cap_memory(store: Store) -> None:
    """For a command that streams one big query and does nothing else: DuckDB may spill the sort to disk
    rather than take a gigabyte for it (measured at 2.3M indicator rows: 1.24 GB peak without the limit).
    Not on PostgreSQL: there the tables themselves are an in-memory DuckDB copy, which the cap would squeeze."""
    from .db import PgStore
    if not isinstance(store, PgStore):
        store.cursor().execute(f"SET memory_limit = '{STREAM_MEMORY}'")


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
            if store.read_only:     # the app's copy: the login counters cannot be written there
                return auth.check_only(store, name, password)
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
