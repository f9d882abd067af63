"""Login gate for every page: single-user local mode when no users exist, else a login form,
idle expiry and logout. Permissions themselves are enforced in perfboard.auth, not here."""
from __future__ import annotations

import time

import streamlit as st

from perfboard import auth
from perfboard.auth import LOCAL_ADMIN, AuthError, User
from ui import state

K_USER, K_SEEN, K_NOTICE = "auth_user", "auth_last_seen", "auth_notice"
IDLE_SETTING = "session_idle_minutes"
DEFAULT_IDLE_MINUTES = 30


def idle_minutes(store) -> float:
    try:
        return max(float(store.get_setting(IDLE_SETTING, DEFAULT_IDLE_MINUTES)), 1.0)
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


def _is_local_client() -> bool:
    # Streamlit reports None for a connection through localhost
    try:
        ip = st.context.ip_address
    except Exception:
        return True
    return not isinstance(ip, str) or ip in ("127.0.0.1", "::1")   # AppTest gives a mock object


def logout(notice: str | None = None) -> None:
    for k in (K_USER, K_SEEN):
        st.session_state.pop(k, None)
    if notice:
        st.session_state[K_NOTICE] = notice


def current_user() -> User | None:
    """The user of this session as last checked by gate() (the local administrator in single-user mode)."""
    name = st.session_state.get(K_USER)
    if name is None:
        return LOCAL_ADMIN if auth.single_user_mode(state.store()) else None
    return auth.get_user(state.store(), name)


def gate() -> User:
    """Call once per run, before any page content. Returns the current user or stops the run with
    the login form."""
    store = state.store()
    if auth.single_user_mode(store):
        if not _is_local_client():
            st.error("本机单用户模式只允许在本机访问。若要让同事通过内网使用，请先用命令行创建用户："
                     "python -m perfboard user add 用户名 --role admin")
            st.stop()
        st.sidebar.caption("本机单用户模式：尚未创建用户，您是本机管理员。")
        return LOCAL_ADMIN

    ss = st.session_state
    now = time.time()
    name = ss.get(K_USER)
    if name is not None:
        seen = ss.get(K_SEEN, 0.0)
        user = auth.get_user(store, name)
        if now - seen > idle_minutes(store) * 60:
            logout("长时间未操作，已自动退出，请重新登录。")
        elif user is None or user.disabled:
            logout("账户已被停用，请联系管理员。")
        else:
            ss[K_SEEN] = now
            with st.sidebar:
                scope = "全部部门" if user.all_departments else "、".join(user.departments)
                st.caption(f"已登录：{user.name}（{auth.ROLE_ZH.get(user.role, user.role)}；{scope}）")
                st.button("退出登录", key="auth_logout", on_click=logout, args=("已退出登录。",))
            return user

    _login_form(store)
    st.stop()


def _login_form(store) -> None:
    st.title("PerfBoard 绩效看板")
    notice = st.session_state.pop(K_NOTICE, None)
    if notice:
        st.info(notice)
    with st.form("auth_login"):
        st.subheader("登录")
        name = st.text_input("用户名", key="auth_name")
        password = st.text_input("密码", type="password", key="auth_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        try:
            user = auth.authenticate(store, name, password)
        except AuthError:
            st.error(auth.GENERIC_FAILURE)
            return
        st.session_state[K_USER] = user.name
        st.session_state[K_SEEN] = time.time()
        st.rerun()
