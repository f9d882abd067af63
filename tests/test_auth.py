"""Users, roles, department scope, lock-out and hashing (perfboard.auth), and import enforcement."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from perfboard import auth
from perfboard.auth import LOCAL_ADMIN, AuthError, PermissionDenied, User, UserError
from perfboard.importer import commit, prepare

A, B = "甲局", "乙局"
PW = "correct horse 电池"
LOCAL = auth.local_admin("测试")      # a trusted local process (the CLI) acting as administrator


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    monkeypatch.setattr(auth, "_DUMMY_HASH", None)


def csv_bytes(*rows: tuple[str, str, float, float]) -> bytes:
    lines = ["年度,主管部门,项目名称,全年预算数,全年执行数"] + [f"2024,{d},{n},{b},{s}" for d, n, b, s in rows]
    return "\n".join(lines).encode("utf-8")


# ---------------------------------------------------------------- role × action × department
EXPECTED = {
    # role: actions allowed in own department; nothing is allowed in another department except for admin
    "viewer": {"view", "export"},
    "editor": {"view", "export", "import", "edit"},
    "admin": set(auth.ACTIONS),
}


@pytest.mark.parametrize("role,action,dept", list(itertools.product(auth.ROLES, auth.ACTIONS, [A, B, None])))
def test_permission_matrix(role, action, dept):
    user = User(name="u", role=role, departments=(A,))
    if role == "admin":
        allowed = True
    elif action == "admin":
        allowed = False
    else:
        allowed = action in EXPECTED[role] and dept in (A, None)   # None: role-level question only
    assert auth.can(user, action, dept) is allowed
    if allowed:
        auth.require(user, action, dept)
    else:
        with pytest.raises(PermissionDenied) as e:
            auth.require(user, action, dept)
        assert "无权" in str(e.value)


@pytest.mark.parametrize("role,action", list(itertools.product(auth.ROLES, auth.ACTIONS)))
def test_disabled_user_may_do_nothing(role, action):
    user = User(name="u", role=role, departments=(A, "*"), disabled=True)
    for dept in (A, B, None):
        assert not auth.can(user, action, dept)


def test_no_user_may_do_nothing():
    for action in auth.ACTIONS:
        assert not auth.can(None, action, A)
        with pytest.raises(PermissionDenied):
            auth.require(None, action, A)


def test_star_means_every_department_but_not_admin():
    viewer = User(name="v", role="viewer", departments=("*",))
    assert auth.can(viewer, "view", B) and auth.can(viewer, "export", "任何部门")
    assert not auth.can(viewer, "import", B) and not auth.can(viewer, "admin")


def test_department_names_match_after_normalisation():
    user = User(name="u", role="editor", departments=("甲 局",))
    assert auth.can(user, "import", "甲局") and auth.can(user, "import", "甲　局")


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        auth.can(LOCAL_ADMIN, "delete-everything", A)


def test_local_admin_does_everything():
    for action in auth.ACTIONS:
        for dept in (A, B, None):
            auth.require(LOCAL_ADMIN, action, dept)


def test_filter_departments():
    depts = [A, B, "丙局"]
    assert auth.filter_departments(User(name="v", role="viewer", departments=(A,)), depts) == [A]
    assert auth.filter_departments(User(name="e", role="editor", departments=(A, "丙局")), depts) == [A, "丙局"]
    assert auth.filter_departments(User(name="a", role="admin"), depts) == depts
    assert auth.filter_departments(LOCAL_ADMIN, depts) == depts
    assert auth.filter_departments(None, depts) == []
    assert auth.filter_departments(User(name="v", role="viewer", departments=(A,)), depts, "import") == []
    assert auth.filter_departments(User(name="d", role="admin", disabled=True), depts) == []


def test_scope_filters_limit_reads_to_own_departments(sample_store):
    from perfboard.filters import Filters
    from perfboard.summary import filter_options, summary
    depts = filter_options(sample_store)["departments"]
    assert depts
    d0 = depts[0]
    viewer = User(name="v", role="viewer", departments=(d0,))
    f = auth.scope_filters(viewer, Filters())
    assert f.departments == (d0,)
    assert {i["department"] for i in summary(sample_store, f)["items"]} == {d0}
    # choosing a department outside the scope yields nothing, not everything
    outside = auth.scope_filters(viewer, Filters(departments=("别的部门",)))
    assert summary(sample_store, outside)["projects"] == 0
    assert summary(sample_store, auth.scope_filters(None, Filters()))["projects"] == 0
    assert summary(sample_store, auth.scope_filters(User(name="x", role="admin", disabled=True), Filters()))[
        "projects"] == 0
    # admins, '*' and the local administrator keep the filters as they are
    for u in (User(name="a", role="admin"), User(name="s", role="viewer", departments=("*",)), LOCAL_ADMIN):
        assert auth.scope_filters(u, Filters(year=2024)) == Filters(year=2024)


# ---------------------------------------------------------------- users and hashing
def test_add_and_list_users(store):
    assert auth.single_user_mode(store)
    auth.add_user(store, "zhang", PW, "editor", [A], by=LOCAL)
    auth.add_user(store, "admin", PW, "admin", by=LOCAL)
    assert not auth.single_user_mode(store)
    users = auth.list_users(store)
    assert [(u.name, u.role, u.departments, u.disabled) for u in users] == [
        ("admin", "admin", (), False), ("zhang", "editor", (A,), False)]


def test_add_user_checks(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    with pytest.raises(UserError, match="已存在"):
        auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    with pytest.raises(UserError, match="角色"):
        auth.add_user(store, "li", PW, "superuser", [A], by=LOCAL)
    with pytest.raises(UserError, match="主管部门"):
        auth.add_user(store, "li", PW, "viewer", [], by=LOCAL)
    with pytest.raises(UserError, match="至少"):
        auth.add_user(store, "li", "short", "viewer", [A], by=LOCAL)
    with pytest.raises(UserError):
        auth.add_user(store, "bad\x00name", PW, "viewer", [A], by=LOCAL)
    with pytest.raises(UserError):
        auth.add_user(store, "   ", PW, "viewer", [A], by=LOCAL)
    assert [u.name for u in auth.list_users(store)] == ["zhang"]


def test_no_plaintext_password_stored(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    auth.set_password(store, "zhang", PW + "2", by=LOCAL)
    dump = store.sql_df("SELECT * FROM users").to_csv()
    assert PW not in dump
    (h,) = store.cursor().execute("SELECT password_hash FROM users").fetchall()[0]
    assert h.startswith("$2b$") and len(h) == 60
    # every text column of every table, not just users
    for (table,) in store.cursor().execute("SELECT table_name FROM information_schema.tables").fetchall():
        assert PW not in store.sql_df(f'SELECT * FROM "{table}"').to_csv()


def test_hash_is_salted_and_long_passwords_count_beyond_72_bytes():
    assert auth.hash_password(PW) != auth.hash_password(PW)
    long_a, long_b = "密" * 40 + "a", "密" * 40 + "b"      # 121 bytes: bcrypt alone would see only 72
    h = auth.hash_password(long_a)
    assert auth.check_password(long_a, h) and not auth.check_password(long_b, h)
    assert not auth.check_password(PW, "not a hash")


def test_authenticate(store):
    auth.add_user(store, "zhang", PW, "editor", [A, B], by=LOCAL)
    u = auth.authenticate(store, "zhang", PW)
    assert u == User(name="zhang", role="editor", departments=(A, B))
    assert auth.authenticate(store, " zhang ", PW).name == "zhang"


@pytest.mark.parametrize("name,password", [("zhang", "wrong password"), ("nobody", PW), ("", ""), ("zhang", "")])
def test_authentication_failure_is_generic(store, name, password):
    auth.add_user(store, "zhang", PW, "editor", [A], by=LOCAL)
    with pytest.raises(AuthError) as e:
        auth.authenticate(store, name, password)
    assert str(e.value) == auth.GENERIC_FAILURE


def test_disabled_user_cannot_log_in_and_can_be_enabled(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    auth.disable_user(store, "zhang", by=LOCAL)
    assert auth.get_user(store, "zhang").disabled
    with pytest.raises(AuthError) as e:
        auth.authenticate(store, "zhang", PW)
    assert str(e.value) == auth.GENERIC_FAILURE
    auth.disable_user(store, "zhang", False, by=LOCAL)
    assert auth.authenticate(store, "zhang", PW).name == "zhang"
    with pytest.raises(UserError, match="不存在"):
        auth.disable_user(store, "nobody", by=LOCAL)


def test_set_password(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    auth.set_password(store, "zhang", "新的密码 12345", by=LOCAL)
    with pytest.raises(AuthError):
        auth.authenticate(store, "zhang", PW)
    assert auth.authenticate(store, "zhang", "新的密码 12345").name == "zhang"
    with pytest.raises(UserError):
        auth.set_password(store, "zhang", "short", by=LOCAL)
    with pytest.raises(UserError, match="不存在"):
        auth.set_password(store, "nobody", PW, by=LOCAL)


def test_user_writes_do_not_invalidate_figure_caches(store):
    v = store.data_version()
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    with pytest.raises(AuthError):
        auth.authenticate(store, "zhang", "wrong password")
    assert store.data_version() == v


# ---------------------------------------------------------------- lock-out
def test_lock_duration_backs_off_exponentially():
    assert [auth.lock_duration(n) for n in range(auth.MAX_FAILURES)] == [None] * auth.MAX_FAILURES
    base = auth.LOCK_BASE
    assert auth.lock_duration(auth.MAX_FAILURES) == base
    assert auth.lock_duration(auth.MAX_FAILURES + 1) == base * 2
    assert auth.lock_duration(auth.MAX_FAILURES + 2) == base * 4
    assert auth.lock_duration(auth.MAX_FAILURES + 50) == auth.LOCK_MAX


def test_lock_out_after_repeated_failures(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    t0 = datetime(2026, 1, 1, 9, 0, 0)
    for i in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            auth.authenticate(store, "zhang", "wrong password", now=t0)
    u = auth.get_user(store, "zhang")
    assert u.failed_attempts == auth.MAX_FAILURES and u.locked_until == t0 + auth.LOCK_BASE
    # locked: even the right password fails, with the same message, and does not extend the lock
    with pytest.raises(AuthError) as e:
        auth.authenticate(store, "zhang", PW, now=t0 + timedelta(seconds=1))
    assert str(e.value) == auth.GENERIC_FAILURE
    assert auth.get_user(store, "zhang").locked_until == t0 + auth.LOCK_BASE
    # after the lock, one more failure locks for twice as long
    t1 = t0 + auth.LOCK_BASE + timedelta(seconds=1)
    with pytest.raises(AuthError):
        auth.authenticate(store, "zhang", "wrong again", now=t1)
    assert auth.get_user(store, "zhang").locked_until == t1 + 2 * auth.LOCK_BASE
    # once it expires, the right password works and resets the counter
    t2 = t1 + 2 * auth.LOCK_BASE + timedelta(seconds=1)
    assert auth.authenticate(store, "zhang", PW, now=t2).name == "zhang"
    u = auth.get_user(store, "zhang")
    assert u.failed_attempts == 0 and u.locked_until is None


def test_new_password_lifts_lock(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            auth.authenticate(store, "zhang", "wrong password")
    with pytest.raises(AuthError):
        auth.authenticate(store, "zhang", PW)
    auth.set_password(store, "zhang", "另一个密码 abc", by=LOCAL)
    assert auth.authenticate(store, "zhang", "另一个密码 abc").name == "zhang"


def test_success_before_limit_resets_counter(store):
    auth.add_user(store, "zhang", PW, "viewer", [A], by=LOCAL)
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(AuthError):
            auth.authenticate(store, "zhang", "wrong password")
    auth.authenticate(store, "zhang", PW)
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(AuthError):
            auth.authenticate(store, "zhang", "wrong password")
    assert auth.authenticate(store, "zhang", PW).name == "zhang"


# ---------------------------------------------------------------- enforcement in the import
def _counts(store):
    return store.cursor().execute("SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM import_log),"
                                  " (SELECT coalesce(sum(budget), 0) FROM projects)").fetchall()[0]


@pytest.mark.parametrize("role,depts,ok", [
    ("viewer", (A, B), False),
    ("editor", (A,), False),          # the file also touches 乙局
    ("editor", (A, B), True),
    ("editor", ("*",), True),
    ("admin", (), True),
])
def test_commit_checks_every_scope(store, role, depts, ok):
    auth.add_user(store, "someone", PW, "admin", by=LOCAL)          # leave single-user mode
    plan = prepare(store, [("x.csv", csv_bytes((A, "项目一", 10, 5), (B, "项目二", 20, 10)))])
    assert plan.ok, plan.report.to_frame()
    user = User(name="u", role=role, departments=depts)
    before = _counts(store)
    if ok:
        commit(store, plan, user=user)
        assert _counts(store)[0] == 2
        assert store.scalar("SELECT user_name FROM import_log") == "u"
    else:
        with pytest.raises(PermissionDenied):
            commit(store, plan, user=user)
        assert _counts(store) == before


def test_commit_replace_needs_permission_on_the_replaced_scope(store):
    commit(store, prepare(store, [("a.csv", csv_bytes((A, "项目一", 10, 5)))]))
    auth.add_user(store, "someone", PW, "admin", by=LOCAL)
    plan = prepare(store, [("b.csv", csv_bytes((A, "项目一", 99, 5)))], replace=True)
    assert plan.ok
    before = _counts(store)
    with pytest.raises(PermissionDenied):
        commit(store, plan, user=User(name="e", role="editor", departments=(B,)))
    assert _counts(store) == before
    commit(store, plan, user=User(name="e", role="editor", departments=(A,)))
    assert _counts(store)[2] == 99


def test_commit_without_user_only_in_single_user_mode(store):
    plan = prepare(store, [("a.csv", csv_bytes((A, "项目一", 10, 5)))])
    commit(store, plan)                                   # single-user mode: the local administrator
    assert store.scalar("SELECT user_name FROM import_log") == LOCAL_ADMIN.name
    auth.add_user(store, "someone", PW, "admin", by=LOCAL)
    plan = prepare(store, [("b.csv", csv_bytes((B, "项目二", 10, 5)))])
    before = _counts(store)
    for anonymous in (None, "匿名"):
        with pytest.raises(PermissionDenied, match="登录"):
            commit(store, plan, user=anonymous)
    assert _counts(store) == before
    commit(store, plan, user=auth.local_admin("命令行"))    # a trusted local process (the CLI)
    assert _counts(store)[0] == 2


def test_disabled_user_cannot_import(store):
    auth.add_user(store, "someone", PW, "admin", by=LOCAL)
    plan = prepare(store, [("a.csv", csv_bytes((A, "项目一", 10, 5)))])
    with pytest.raises(PermissionDenied):
        commit(store, plan, user=User(name="x", role="admin", disabled=True))
    assert _counts(store)[0] == 0


# ---------------------------------------------------------------- CLI: python -m perfboard user ...
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def cli(db, *args, input=None):
    env = {**os.environ, "PERFBOARD_BCRYPT_ROUNDS": "4"}
    return subprocess.run([sys.executable, "-m", "perfboard", *args, "--db", str(db)], input=input, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)


def test_cli_user_lifecycle(tmp_path):
    from perfboard.db import Store
    db = tmp_path / "u.duckdb"
    r = cli(db, "user", "list")
    assert r.returncode == 0 and "单用户模式" in r.stdout
    r = cli(db, "user", "add", "zhang", "--role", "editor", "--department", A, "--department", B, input=PW + "\n")
    assert r.returncode == 0, r.stderr
    assert "zhang" in r.stdout and PW not in r.stdout + r.stderr
    r = cli(db, "user", "add", "admin", "--role", "admin", input=f"{PW}\n{PW}\n")
    assert r.returncode == 0, r.stderr
    r = cli(db, "user", "list", "--json")
    assert [(u["name"], u["role"], u["departments"], u["disabled"]) for u in json.loads(r.stdout)] == [
        ("admin", "admin", [], False), ("zhang", "editor", [A, B], False)]
    r = cli(db, "user", "passwd", "zhang", input="新密码新密码新密码\n新密码新密码新密码\n")
    assert r.returncode == 0, r.stderr
    r = cli(db, "user", "disable", "zhang")
    assert r.returncode == 0 and "已停用" in r.stdout
    r = cli(db, "user", "list")
    assert "已停用" in r.stdout
    s = Store(db)
    try:
        assert auth.get_user(s, "zhang").disabled
        assert auth.authenticate(s, "admin", PW).role == "admin"
        with pytest.raises(AuthError):
            auth.authenticate(s, "zhang", "新密码新密码新密码")
        auth.disable_user(s, "zhang", False, by=LOCAL)
        assert auth.authenticate(s, "zhang", "新密码新密码新密码").name == "zhang"
    finally:
        s.close()


@pytest.mark.parametrize("stdin,message", [
    ("", "没有密码"),
    ("aaaaaaaa1\naaaaaaaa2\n", "不一致"),
    ("short\n", "至少"),
])
def test_cli_bad_password_input(tmp_path, stdin, message):
    r = cli(tmp_path / "u.duckdb", "user", "add", "zhang", "--role", "admin", input=stdin)
    assert r.returncode == 1 and message in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_user_errors_are_clear(tmp_path):
    db = tmp_path / "u.duckdb"
    assert cli(db, "user", "add", "zhang", "--role", "viewer", "--department", A, input=PW).returncode == 0
    r = cli(db, "user", "add", "zhang", "--role", "viewer", "--department", A, input=PW)
    assert r.returncode == 1 and "已存在" in r.stderr
    r = cli(db, "user", "add", "li", "--role", "viewer", input=PW)
    assert r.returncode == 1 and "主管部门" in r.stderr
    r = cli(db, "user", "disable", "nobody")
    assert r.returncode == 1 and "不存在" in r.stderr
    r = cli(db, "user", "add", "li", "--role", "root", input=PW)
    assert r.returncode == 2                                       # argparse: invalid choice


def test_cli_has_no_password_argument():
    from perfboard.cli import build_parser
    for argv in (["user", "add", "x", "--role", "admin", "--password", "p"], ["user", "passwd", "x", "p"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)


def test_cli_import_still_works_when_users_exist(tmp_path):
    db = tmp_path / "u.duckdb"
    assert cli(db, "user", "add", "admin", "--role", "admin", input=PW).returncode == 0
    f = tmp_path / "a.csv"
    f.write_bytes(csv_bytes((A, "项目一", 10, 5)))
    r = cli(db, "import", str(f))
    assert r.returncode == 0, r.stdout + r.stderr


def test_cli_user_list_shows_last_login(tmp_path):
    from perfboard.db import Store
    db = tmp_path / "u.duckdb"
    assert cli(db, "user", "add", "admin", "--role", "admin", input=PW + "\n").returncode == 0
    assert cli(db, "user", "add", "zhang", "--role", "viewer", "--department", A, input=PW + "\n").returncode == 0
    s = Store(db)
    try:
        auth.authenticate(s, "admin", PW, now=datetime(2026, 3, 1, 9, 30))
    finally:
        s.close()
    listed = {u["name"]: u["last_login"] for u in json.loads(cli(db, "user", "list", "--json").stdout)}
    assert listed == {"admin": "2026-03-01 09:30:00", "zhang": None}
    text = cli(db, "user", "list").stdout
    assert "最近登录 2026-03-01 09:30" in text and "从未登录" in text
    s = Store(db)
    try:      # the CLI acted as the local administrator, and said so in the log
        assert s.sql_df("SELECT user_name, key FROM settings_log ORDER BY id").values.tolist() == [
            ["命令行", "user:admin"], ["命令行", "user:zhang"]]
    finally:
        s.close()
