"""Login sessions kept in the database (issue 20), so a session ends everywhere at once.

A login starts a row in `sessions`; the page gate checks it on every run and every download checks it
at the moment of the click (a download's bytes are built in another thread, outside the page run). A
session is over once it was ended (logout, an administrator disabling the account) or idle for longer
than the `session_idle_minutes` setting. Single-user mode (no users) has no sessions: the local
administrator is valid while no user exists.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from . import auth
from .auth import LOCAL_ADMIN, PermissionDenied, User
from .db import Store

IDLE_SETTING = "session_idle_minutes"
DEFAULT_IDLE_MINUTES = 30
TOUCH_EVERY = timedelta(seconds=5)      # last_seen is written at most this often (one write per rerun otherwise)

ENDED_ZH = {
    "logout": "已退出登录，请重新登录。",
    "idle": "长时间未操作，已自动退出，请重新登录。",
    "disabled": "账户已被停用，请联系管理员。",
    "password": "密码已被重设，请重新登录。",
}


class SessionEnded(PermissionDenied):
    """The session is over; the message (Chinese) says why."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(ENDED_ZH.get(reason, "登录已失效，请重新登录。"))


def idle_minutes(store: Store) -> float:
    try:
        return max(float(store.get_setting(IDLE_SETTING, DEFAULT_IDLE_MINUTES)), 1.0)
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


def start(store: Store, user_name: str, address: str | None = None, now: datetime | None = None) -> str:
    """A new session for a user who just logged in; returns its token (kept server-side only)."""
    now = now or datetime.now()
    token = secrets.token_urlsafe(32)
    with store.transaction(bump_version=False) as cur:
        cur.execute("INSERT INTO sessions (id, user_name, address, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
                    [token, user_name, address, now, now])
    return token


def end(store: Store, token: str | None, reason: str = "logout", now: datetime | None = None) -> None:
    if not token:
        return
    with store.transaction(bump_version=False) as cur:
        cur.execute("UPDATE sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
                    [now or datetime.now(), reason, token])


def check(store: Store, token: str | None, now: datetime | None = None, touch: bool = False) -> User:
    """The session's user, fresh from the database, or SessionEnded. touch=True records activity (a page
    run, a download)."""
    if token is None:
        if auth.single_user_mode(store):
            return LOCAL_ADMIN
        raise SessionEnded("none")
    now = now or datetime.now()
    rows = store.cursor().execute("SELECT user_name, last_seen, ended_at, end_reason FROM sessions WHERE id = ?",
                                  [token]).fetchall()
    if not rows:
        raise SessionEnded("none")
    name, last_seen, ended_at, reason = rows[0]
    if ended_at is not None:
        raise SessionEnded(reason)
    if now - last_seen > timedelta(minutes=idle_minutes(store)):
        end(store, token, "idle", now)
        raise SessionEnded("idle")
    user = auth.get_user(store, name)
    if user is None or user.disabled:
        end(store, token, "disabled", now)
        raise SessionEnded("disabled")
    if touch and now - last_seen >= TOUCH_EVERY:
        with store.transaction(bump_version=False) as cur:
            cur.execute("UPDATE sessions SET last_seen = ? WHERE id = ? AND ended_at IS NULL", [now, token])
    return user


def open_sessions(store: Store, user_name: str) -> int:
    return int(store.scalar("SELECT count(*) FROM sessions WHERE user_name = ? AND ended_at IS NULL", [user_name]))


def guarded(store: Store, token: str | None, make):
    """A download's data callable: at the click it checks the session (and the account) first and only then
    calls make(user) with the user as stored now; SessionEnded otherwise, and no bytes are built."""
    def data():
        return make(check(store, token, touch=True))
    return data
