"""用户管理 (administrators): the accounts, add one, reset a password, disable or enable. Every action goes
through the same perfboard.auth functions as `python -m perfboard user …`, which refuse anyone but an
administrator and record the change (修改记录 › 设置修改)."""
from datetime import datetime

import pandas as pd
import streamlit as st

from perfboard import auth
from perfboard.summary import filter_options
from ui import render, state
from ui.auth import current_user

st.title("用户管理")
state.show_flash()
store = state.store()
me = current_user()
if not auth.can(me, "admin"):
    st.error("只有管理员可以管理用户。")
    st.stop()

users = auth.list_users(store)
single = not users
ALL_DEPTS = auth.ALL_DEPARTMENTS


def _state(u) -> str:
    if u.disabled:
        return "已停用"
    if u.locked_until is not None and u.locked_until > datetime.now():
        return f"锁定至 {u.locked_until:%H:%M}"
    return "正常"


if single:
    st.info("尚无用户：应用处于本机单用户模式，只有本机可以访问。添加第一个用户（须为管理员）后，所有页面都需要登录，"
            "同事即可通过内网使用。", icon=":material/info:")
else:
    st.dataframe(pd.DataFrame([{
        "用户名": u.name, "角色": auth.ROLE_ZH.get(u.role, u.role),
        "部门": "全部部门" if u.all_departments else "、".join(u.departments),
        "状态": _state(u), "最近登录": u.last_login, "创建时间": u.created_at} for u in users]),
        hide_index=True, placeholder="—", width="stretch",
        column_config={"最近登录": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                       "创建时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def _run(action, message: str) -> None:
    """Call a domain function as the logged-in administrator; show its refusal, or flash and rerun."""
    try:
        action()
    except (auth.UserError, auth.PermissionDenied) as exc:
        st.error(render.md(exc))
        return
    state.flash(message)
    st.rerun()


st.subheader("新增用户")
departments = state.load(filter_options)["departments"]
with st.form("user_add", clear_on_submit=False, width=640):
    c1, c2 = st.columns(2)
    name = c1.text_input("用户名", key="ua_name", max_chars=64)
    roles = ["admin"] if single else list(auth.ROLES)
    role = c2.selectbox("角色", roles, key="ua_role", format_func=lambda r: auth.ROLE_ZH[r],
                        help="查看者：查看和导出本部门；编辑者：另可导入和修改本部门；管理员：全部，包括用户和设置。")
    depts = st.multiselect("可访问的主管部门（管理员不需要）", [ALL_DEPTS, *departments], key="ua_depts",
                           format_func=lambda d: "全部部门（*）" if d == ALL_DEPTS else render.option(d),
                           accept_new_options=True,
                           placeholder="选择或输入部门名称")
    c3, c4 = st.columns(2)
    pw1 = c3.text_input("密码", type="password", key="ua_pw1", help=f"至少 {auth.MIN_PASSWORD} 个字符")
    pw2 = c4.text_input("再次输入密码", type="password", key="ua_pw2")
    add = st.form_submit_button("新增用户", type="primary")
if add:
    if pw1 != pw2:
        st.error("两次输入的密码不一致。")
    else:
        _run(lambda: auth.add_user(store, name, pw1, role, depts, by=me),
             f"已新增用户“{name.strip()}”（{auth.ROLE_ZH[role]}）。"
             + ("从现在起所有页面都需要登录，请用刚创建的账户登录。" if single else ""))

if not single:
    names = [u.name for u in users]
    st.subheader("重设密码")
    with st.form("user_passwd", width=640):
        who = st.selectbox("用户", names, key="up_name", format_func=render.option)
        c1, c2 = st.columns(2)
        np1 = c1.text_input("新密码", type="password", key="up_pw1")
        np2 = c2.text_input("再次输入新密码", type="password", key="up_pw2")
        reset = st.form_submit_button("重设密码（同时解除锁定）")
    if reset:
        if np1 != np2:
            st.error("两次输入的密码不一致。")
        else:
            _run(lambda: auth.set_password(store, who, np1, by=me), f"已重设用户“{who}”的密码。")

    st.subheader("停用 / 启用")
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    target = c1.selectbox("用户", names, key="ud_name",
                          format_func=lambda n: render.option(n) + ("（已停用）" if auth.get_user(store, n).disabled else ""))
    disabled = bool(target) and auth.get_user(store, target).disabled
    if c2.button("启用" if disabled else "停用", key="ud_toggle", icon=":material/person_check:" if disabled
                 else ":material/person_off:"):
        _run(lambda: auth.disable_user(store, target, not disabled, by=me),
             f"已{'启用' if disabled else '停用'}用户“{target}”。")
