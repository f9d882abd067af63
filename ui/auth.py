"""Login gate for every page: single-user local mode when no users exist, else a login form,
idle expiry and logout. Permissions themselves are enforced in perfboard.auth, not here."""
from __future__ import annotations

import time

import streamlit as st

from perfboard import auth, sessions
from perfboard.auth import LOCAL_ADMIN, AuthError, User
from perfboard.display import md_text
from perfboard.sessions import DEFAULT_IDLE_MINUTES, IDLE_SETTING, SessionEnded, idle_minutes  # noqa: F401
from ui import state

K_USER, K_SEEN, K_NOTICE, K_SESSION = "auth_user", "auth_last_seen", "auth_notice", "auth_session"
PROXY_HEADERS = ("X-Real-Ip", "X-Forwarded-For")


def _proxied_address() -> str | None:
    """The client address a reverse proxy on this machine passed on (docs/deploy.md sets X-Real-IP)."""
    try:
        headers = st.context.headers
        for h in PROXY_HEADERS:
            value = headers.get(h)
            if isinstance(value, str) and value.strip():
                return value.split(",")[0].strip()[:64]
    except Exception:
        pass
    return None


def client_address() -> str | None:
    """The client's address for the per-address login limit; None for this machine."""
    try:
        ip = st.context.ip_address
    except Exception:
        ip = None
    if isinstance(ip, str) and ip not in ("127.0.0.1", "::1"):
        return ip[:64]
    return _proxied_address()       # through a local proxy Streamlit sees only 127.0.0.1


def _is_local_client() -> bool:
    # Streamlit reports None for a connection through localhost; a request a local reverse proxy forwarded
    # (it carries X-Real-IP / X-Forwarded-For) comes from elsewhere
    try:
        ip = st.context.ip_address
    except Exception:
        return True
    local = not isinstance(ip, str) or ip in ("127.0.0.1", "::1")   # AppTest gives a mock object
    return local and _proxied_address() is None


def logout(notice: str | None = None, reason: str = "logout") -> None:
    sessions.end(state.store(), st.session_state.get(K_SESSION), reason)
    for k in (K_USER, K_SEEN, K_SESSION):
        st.session_state.pop(k, None)
    if notice:
        st.session_state[K_NOTICE] = notice


def download(make):
    """`data=` for st.download_button: a callable Streamlit runs at the click (in another thread, so it
    reads nothing from st.*). It builds the bytes only if this session is still valid then (not logged
    out, not idle past the limit, the account not disabled): make(user) gets the user as stored now;
    otherwise SessionEnded is raised and the browser gets no file."""
    return sessions.guarded(state.store(), st.session_state.get(K_SESSION), make)


def current_user() -> User | None:
    """The user of this session, checked again (a button's callback runs before the gate): the local
    administrator in single-user mode; None once the session has ended (idle, logged out elsewhere, the
    account disabled), which every domain write refuses."""
    name = st.session_state.get(K_USER)
    store = state.store()
    if name is None:
        return LOCAL_ADMIN if auth.single_user_mode(store) else None
    seen = st.session_state.get(K_SEEN)
    if seen is not None and time.time() - seen > idle_minutes(store) * 60:
        return None
    token = st.session_state.get(K_SESSION)
    if token is None:                       # a page run without the gate (page tests)
        user = auth.get_user(store, name)
        return None if user is None or user.disabled else user
    try:
        return sessions.check(store, token)
    except SessionEnded:
        return None


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
        if ss.get(K_SESSION) is None:      # set only server-side (the login form; tests log in this way)
            ss[K_SESSION] = sessions.start(store, name, client_address())
        seen = ss.get(K_SEEN, 0.0)
        user = None
        if now - seen > idle_minutes(store) * 60:
            logout(sessions.ENDED_ZH["idle"], "idle")
        else:
            try:            # the session row: ended by a logout elsewhere, idle, or the account disabled
                user = sessions.check(store, ss[K_SESSION], touch=True)
            except SessionEnded as exc:
                logout(str(exc), exc.reason)
        if user is not None:
            ss[K_SEEN] = now
            with st.sidebar:
                scope = "全部部门" if user.all_departments else "、".join(user.departments)
                st.caption(md_text(f"已登录：{user.name}（{auth.ROLE_ZH.get(user.role, user.role)}；{scope}）"))
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
            user = auth.authenticate(store, name, password, address=client_address())
        except AuthError:
            st.error(auth.GENERIC_FAILURE)
            return
        st.session_state[K_USER] = user.name
        st.session_state[K_SEEN] = time.time()
        st.session_state[K_SESSION] = sessions.start(store, user.name, client_address())
        st.rerun()
