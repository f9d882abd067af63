"""Users, roles and department scope: who may see and change what, enforced in the domain layer."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import bcrypt

from . import cells
from .db import Store

ROLES = ("viewer", "editor", "admin")
ROLE_ZH = {"viewer": "查看者", "editor": "编辑者", "admin": "管理员"}
ACTIONS = ("view", "export", "import", "edit", "admin")
ACTION_ZH = {"view": "查看", "export": "导出", "import": "导入", "edit": "修改", "admin": "管理"}
ROLE_ACTIONS = {
    "viewer": frozenset({"view", "export"}),
    "editor": frozenset({"view", "export", "import", "edit"}),
    "admin": frozenset(ACTIONS),
}
ALL_DEPARTMENTS = "*"

# Lock-out: after MAX_FAILURES wrong passwords in a row the account is locked for LOCK_BASE, doubling
# with every further failure up to LOCK_MAX. A success (or a new password) resets it.
MAX_FAILURES = 5
LOCK_BASE = timedelta(seconds=30)
LOCK_MAX = timedelta(hours=1)
MIN_PASSWORD = 8
# 12 is the interactive-login norm (~0.25 s); tests lower it through the environment.
BCRYPT_ROUNDS = int(os.environ.get("PERFBOARD_BCRYPT_ROUNDS", "12"))

GENERIC_FAILURE = "用户名或密码错误，或账户已被暂时锁定。请稍后重试或联系管理员。"


class AuthError(Exception):
    """Login failed; the message never says which part was wrong."""


class PermissionDenied(Exception):
    """The user may not do this; the message is Chinese and safe to show."""


class UserError(ValueError):
    """A bad user-management request (duplicate name, weak password, unknown role...)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    departments: tuple[str, ...] = ()
    disabled: bool = False
    local: bool = False          # the single-user-mode administrator (or a trusted local process)
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = field(default=None, compare=False)
    updated_at: datetime | None = field(default=None, compare=False)
    last_login: datetime | None = field(default=None, compare=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and not self.disabled

    @property
    def all_departments(self) -> bool:
        return self.is_admin or ALL_DEPARTMENTS in self.departments


LOCAL_ADMIN = User(name="本机管理员", role="admin", local=True)


def local_admin(label: str = LOCAL_ADMIN.name) -> User:
    """The administrator of a trusted local process (the CLI, the sample loader); `label` goes to the logs."""
    return User(name=label, role="admin", local=True)


# ---------------------------------------------------------------- permissions
def _dept_key(d: str) -> str:
    return cells.department(d)      # the form the importer stores: full-width and spacing variants are one


def can(user: User | None, action: str, department: str | None = None) -> bool:
    """Whether `user` may do `action` in `department`. department None asks about the role only
    (whether to show a button); every read or write of data passes the department it touches."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or user.disabled:
        return False
    if action not in ROLE_ACTIONS.get(user.role, frozenset()):
        return False
    if user.all_departments or action == "admin":
        return True
    if department is None:
        return bool(user.departments)
    return _dept_key(department) in {_dept_key(d) for d in user.departments}


def require(user: User | None, action: str, department: str | None = None) -> None:
    """Raise PermissionDenied unless `user` may do `action` in `department`."""
    if can(user, action, department):
        return
    who = "未登录用户" if user is None else f"用户“{user.name}”"
    where = f"“{department}”的" if department is not None else ""
    raise PermissionDenied(f"{who}无权{ACTION_ZH.get(action, action)}{where}数据。")


def filter_departments(user: User | None, departments, action: str = "view") -> list[str]:
    """The departments of `departments` the user may see (read paths: filters, summaries, exports)."""
    return [d for d in departments if can(user, action, d)]


def department_scope(user: User | None) -> tuple[str, ...] | None:
    """The departments `user` may view, for narrowing pickers: None = every department; () = none."""
    if user is None or user.disabled:
        return ()
    return None if user.all_departments else tuple(user.departments)


NO_DEPARTMENT = "\x00（无可查看的部门）"     # a department no project has: the filter then matches nothing


def scope_filters(user: User | None, filters):
    """`filters` (perfboard.filters.Filters) narrowed to the departments `user` may view: an empty
    selection ('all') becomes the user's own departments; a chosen department outside them is dropped."""
    if user is not None and not user.disabled and user.all_departments:
        return filters
    chosen = filters.departments or (user.departments if user is not None else ())
    kept = tuple(d for d in chosen if can(user, "view", d))
    return dataclasses.replace(filters, departments=kept or (NO_DEPARTMENT,))


def scoped(store: Store, filters, user: User | str | None = None, action: str = "export"):
    """`filters` narrowed to the departments `user` may read, after checking the user may `action`
    (view/export) at all. None (or a name) is the local administrator, only in single-user mode: once
    users exist, a read path that is not told who asks gets PermissionDenied, never everything."""
    actor = resolve(store, user)
    require(actor, action)
    return scope_filters(actor, filters)


def resolve(store: Store, user: User | str | None) -> User:
    """The acting user for a domain write. A User is used as is. None (or a bare name string, as older
    callers pass) means the local administrator, which exists only in single-user mode."""
    if isinstance(user, User):
        return user
    if single_user_mode(store):
        return local_admin(user) if isinstance(user, str) and user.strip() else LOCAL_ADMIN
    raise PermissionDenied("已启用用户登录：请先登录后再操作。")


# ---------------------------------------------------------------- hashing
def _prehash(password: str) -> bytes:
    # bcrypt reads only 72 bytes (24 Chinese characters); hashing first keeps every character significant
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password), password_hash.encode("ascii"))
    except ValueError:
        return False


_DUMMY_HASH = None


def _dummy_check(password: str) -> None:
    """Spend the same time for an unknown name as for a wrong password."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not-a-real-password")
    check_password(password, _DUMMY_HASH)


def validate_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少需要 {MIN_PASSWORD} 个字符。")
    if any(unicodedata.category(ch) == "Cc" for ch in password):
        raise UserError("密码不能包含控制字符。")


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise UserError("用户名须为 1–64 个字符。")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise UserError("用户名不能包含控制字符。")
    return name


# ---------------------------------------------------------------- users
_COLS = "name, role, departments, disabled, failed_attempts, locked_until, created_at, updated_at, last_login"


def _row_to_user(r) -> User:
    return User(name=r[0], role=r[1], departments=tuple(json.loads(r[2] or "[]")), disabled=bool(r[3]),
                failed_attempts=int(r[4]), locked_until=r[5], created_at=r[6], updated_at=r[7], last_login=r[8])


def single_user_mode(store: Store) -> bool:
    """No users configured: the app is the local administrator's alone (and listens on localhost only)."""
    return store.scalar("SELECT count(*) FROM users") == 0


def get_user(store: Store, name: str) -> User | None:
    rows = store.cursor().execute(f"SELECT {_COLS} FROM users WHERE name = ?", [(name or "").strip()]).fetchall()
    return _row_to_user(rows[0]) if rows else None


def list_users(store: Store) -> list[User]:
    return [_row_to_user(r) for r in store.cursor().execute(f"SELECT {_COLS} FROM users ORDER BY name").fetchall()]


def _admin(store: Store, by) -> User:
    """The acting administrator of a user or settings change: `by` (a User), or the local administrator
    in single-user mode; PermissionDenied for anyone else."""
    actor = resolve(store, by)
    require(actor, "admin")
    return actor


def _account(u: User | None) -> str | None:
    """What the audit trail keeps of an account: never the password or its hash."""
    if u is None:
        return None
    return json.dumps({"role": u.role, "departments": list(u.departments), "disabled": u.disabled},
                      ensure_ascii=False)


def add_user(store: Store, name: str, password: str, role: str, departments=(), by: User | str | None = None) -> User:
    """Create an account. `by` must be an administrator (the CLI passes the local administrator; None
    is the local administrator only while no user exists, i.e. when creating the first one)."""
    actor = _admin(store, by)
    name = _validate_name(name)
    if role not in ROLES:
        raise UserError(f"角色须为 {'/'.join(ROLES)} 之一。")
    depts = list(dict.fromkeys(cells.department(d) for d in departments if d and d.strip()))
    if role != "admin" and not depts:
        raise UserError("查看者和编辑者至少需要一个主管部门（--department；“*”表示全部部门）。")
    validate_password(password)
    pw_hash = hash_password(password)
    now = datetime.now()
    with store.transaction(bump_version=False) as cur:
        if cur.execute("SELECT count(*) FROM users WHERE name = ?", [name]).fetchall()[0][0]:
            raise UserError(f"用户“{name}”已存在。")
        cur.execute("INSERT INTO users (name, password_hash, role, departments, disabled, failed_attempts, "
                    "locked_until, created_at, updated_at) VALUES (?, ?, ?, ?, false, 0, NULL, ?, ?)",
                    [name, pw_hash, role, json.dumps(depts, ensure_ascii=False), now, now])
        log_change(cur, actor, "user:" + name, None, _account(User(name=name, role=role, departments=tuple(depts))), now)
    return get_user(store, name)


def _update(store: Store, name: str, sets: str, params: list, by, new_value=None, end_sessions: str | None = None) -> None:
    actor = _admin(store, by)
    now = datetime.now()
    with store.transaction(bump_version=False) as cur:
        rows = cur.execute(f"SELECT {_COLS} FROM users WHERE name = ?", [name]).fetchall()
        if not rows:
            raise UserError(f"用户“{name}”不存在。")
        old = _row_to_user(rows[0])
        cur.execute(f"UPDATE users SET {sets}, updated_at = ? WHERE name = ?", [*params, now, name])
        new = _row_to_user(cur.execute(f"SELECT {_COLS} FROM users WHERE name = ?", [name]).fetchall()[0])
        log_change(cur, actor, "user:" + name, _account(old), new_value or _account(new), now)
        if end_sessions:            # every open tab of the account is logged out on its next run or download
            cur.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE user_name = ? AND ended_at IS NULL",
                        [now, end_sessions, name])


def set_password(store: Store, name: str, password: str, by: User | str | None = None) -> None:
    """A new password also lifts a lock-out and ends the account's open sessions in every process (whoever
    knew the old password is logged out). Administrators only (the audit trail notes the reset)."""
    validate_password(password)
    _update(store, (name or "").strip(), "password_hash = ?, failed_attempts = 0, locked_until = NULL",
            [hash_password(password)], by, json.dumps({"password": "已重设"}, ensure_ascii=False),
            end_sessions="password")


def disable_user(store: Store, name: str, disabled: bool = True, by: User | str | None = None) -> None:
    """Disable (or enable again) an account. An administrator cannot disable their own account, so the
    last way in is not shut by mistake."""
    name = (name or "").strip()
    if disabled and isinstance(by, User) and not by.local and by.name == name:
        raise UserError("不能停用自己的账户。")
    _update(store, name, "disabled = ?", [disabled], by, end_sessions="disabled" if disabled else None)


# ---------------------------------------------------------------- settings changes (audited)
SETTING_ZH = {"rate_bands": "执行率红绿灯区间", "scoring": "评分规则", "session_idle_minutes": "登录空闲超时（分钟）",
              "indicator_levels": "指标层级", "match_threshold": "同比匹配阈值", "user_name": "默认操作人",
              "review": "自评复核规则",
              "monitor_rules": "运行监控规则",
              "import_limits": "导入文件上限"}


def log_change(cur, actor: User, key: str, old_value: str | None, new_value: str | None,
               when: datetime | None = None) -> None:
    """One settings_log row (inside the caller's transaction): who, when, which key, old and new JSON."""
    next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM settings_log").fetchall()[0][0]
    cur.execute("INSERT INTO settings_log (id, changed_at, user_name, key, old_value, new_value) "
                "VALUES (?, ?, ?, ?, ?, ?)", [next_id, when or datetime.now(), actor.name, key, old_value, new_value])


def change_setting(store: Store, key: str, value, user: User | str | None = None) -> bool:
    """Store a setting as `user` (administrators only; None = the local administrator in single-user
    mode) and record who, when, old and new value in the same transaction. False when nothing changed."""
    actor = _admin(store, user)
    new = json.dumps(value, ensure_ascii=False)
    try:
        with store.transaction() as cur:
            rows = cur.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchall()
            old = rows[0][0] if rows else None
            if old is not None and json.loads(old) == value:
                raise _Unchanged       # roll back: no new data version, no log row
            store.set_setting(key, value, cur=cur)
            log_change(cur, actor, key, old, new)
    except _Unchanged:
        return False
    return True


class _Unchanged(Exception):
    pass


def settings_history(store: Store, limit: int = 100, include_users: bool = True):
    """Settings (and account) changes, newest first: changed_at, user_name, key, what (Chinese), old_value,
    new_value (JSON text)."""
    sql = ("SELECT changed_at, user_name, key, old_value, new_value FROM settings_log "
           + ("" if include_users else "WHERE NOT starts_with(key, 'user:') ")
           + "ORDER BY changed_at DESC, id DESC LIMIT ?")
    df = store.sql_df(sql, [int(limit)])
    df.insert(3, "what", [("用户“" + k[5:] + "”") if k.startswith("user:") else SETTING_ZH.get(k, k) for k in df["key"]])
    return df


def lock_duration(failures: int) -> timedelta | None:
    """How long the account stays locked after `failures` consecutive wrong passwords."""
    if failures < MAX_FAILURES:
        return None
    exponent = min(failures - MAX_FAILURES, 20)      # 2**20 x 30 s is past any cap; avoids overflow
    return min(LOCK_BASE * (2 ** exponent), LOCK_MAX)


# Per client address (issue 20): ADDRESS_MAX_FAILURES wrong passwords from one address within ADDRESS_WINDOW
# lock that address for ADDRESS_LOCK, for every account, without counting against the accounts tried, so
# one address cannot keep every account locked. Stored in login_failures, so new tabs do not reset it.
ADDRESS_MAX_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_LOCK = timedelta(minutes=15)
LOCAL_ADDRESS = "本机"          # a client on this machine (or a proxy that did not pass the address on)


def address_locked(store: Store, address: str | None, now: datetime | None = None) -> bool:
    until = store.scalar("SELECT locked_until FROM login_failures WHERE address = ?", [address or LOCAL_ADDRESS])
    return until is not None and (now or datetime.now()) < until


def _address_failed(cur, address: str | None, now: datetime) -> None:
    address = address or LOCAL_ADDRESS
    rows = cur.execute("SELECT failures, first_failure FROM login_failures WHERE address = ?", [address]).fetchall()
    if not rows or now - rows[0][1] > ADDRESS_WINDOW:
        failures, first = 1, now
    else:
        failures, first = rows[0][0] + 1, rows[0][1]
    locked = now + ADDRESS_LOCK if failures >= ADDRESS_MAX_FAILURES else None
    if rows:
        cur.execute("UPDATE login_failures SET failures = ?, first_failure = ?, locked_until = ? WHERE address = ?",
                    [0 if locked else failures, now if locked else first, locked, address])
    else:
        cur.execute("INSERT INTO login_failures VALUES (?, ?, ?, ?)", [address, failures, first, locked])


def check_only(store: Store, name: str, password: str, now: datetime | None = None) -> User:
    """authenticate's answer without recording anything, for a read-only copy of the database (a command
    reading the app's snapshot): the counters cannot be written there, so a failure is not counted; a locked,
    disabled or unknown account and a wrong password fail alike."""
    now = now or datetime.now()
    name = (name or "").strip()
    rows = store.cursor().execute("SELECT password_hash, disabled, locked_until FROM users WHERE name = ?",
                                  [name]).fetchall()
    if not rows:
        _dummy_check(password or "")
        raise AuthError(GENERIC_FAILURE)
    pw_hash, disabled, locked_until = rows[0]
    if check_password(password or "", pw_hash) and not disabled and not (locked_until and now < locked_until):
        return get_user(store, name)
    raise AuthError(GENERIC_FAILURE)


def authenticate(store: Store, name: str, password: str, now: datetime | None = None,
                 address: str | None = None) -> User:
    """The user, or AuthError(GENERIC_FAILURE) for an unknown name, a wrong password, a disabled or
    locked account alike. While locked, even the right password fails (and does not extend the lock).
    `address` is the client's (None: this machine); a locked address fails every attempt the same way."""
    now = now or datetime.now()
    name = (name or "").strip()
    if address_locked(store, address, now):
        _dummy_check(password or "")
        raise AuthError(GENERIC_FAILURE)
    rows = store.cursor().execute("SELECT password_hash, disabled, failed_attempts, locked_until FROM users "
                                  "WHERE name = ?", [name]).fetchall()
    if not rows:
        _dummy_check(password or "")
        with store.transaction(bump_version=False) as cur:
            _address_failed(cur, address, now)
        raise AuthError(GENERIC_FAILURE)
    pw_hash, disabled, failures, locked_until = rows[0]
    if locked_until is not None and now < locked_until:
        _dummy_check(password or "")
        with store.transaction(bump_version=False) as cur:
            _address_failed(cur, address, now)      # counts for the address, does not extend the account's lock
        raise AuthError(GENERIC_FAILURE)
    ok = check_password(password or "", pw_hash)
    if ok and not disabled:
        with store.transaction(bump_version=False) as cur:
            cur.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login = ? WHERE name = ?",
                        [now, name])
        return get_user(store, name)
    if not ok:
        failures += 1
        lock = lock_duration(failures)
        with store.transaction(bump_version=False) as cur:
            cur.execute("UPDATE users SET failed_attempts = ?, locked_until = ? WHERE name = ?",
                        [failures, now + lock if lock else None, name])
            _address_failed(cur, address, now)
    raise AuthError(GENERIC_FAILURE)
