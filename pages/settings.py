"""设置: the execution-rate traffic-light bands and the login idle time, stored in the database (shared by
every user and page). Administrators change them; every change is recorded (修改记录 › 设置修改)."""
import streamlit as st

from perfboard import auth
from perfboard.bands import describe_bands, get_bands, reset_bands, save_bands
from perfboard.filters import DEFAULT_BANDS
from ui import state
from ui.auth import DEFAULT_IDLE_MINUTES, IDLE_SETTING, current_user, idle_minutes

st.title("设置")
state.show_flash()
store = state.store()
bands = state.load(get_bands)
admin = auth.can(current_user(), "admin")

st.subheader("执行率红绿灯区间")
st.caption("用于总览、预算执行、偏离分析各页面的状态颜色和“预算执行偏离”的判定。保存在数据库中，对所有用户生效。")
st.markdown("当前：" + describe_bands(bands))
if not admin:
    st.info("只有管理员可以修改设置。", icon=":material/lock:")

if admin:
    with st.form("rate_bands", width=520):
        green = st.number_input("绿灯下限（%）：执行率不低于此值为绿", min_value=0.0, max_value=200.0, step=0.5,
                                value=round(bands["green"] * 100, 4), format="%.1f", key="set_green")
        yellow = st.number_input("黄灯下限（%）：不低于此值、低于绿灯下限为黄，再低为红", min_value=0.0, max_value=200.0,
                                 step=0.5, value=round(bands["yellow"] * 100, 4), format="%.1f", key="set_yellow")
        st.caption("执行率超过 100% 的项目始终单独标为“超预算”。")
        submitted = st.form_submit_button("保存", type="primary")

    if submitted:
        try:
            errors = save_bands(store, green / 100, yellow / 100, state.user_name())
        except auth.PermissionDenied as exc:
            errors = [str(exc)]
        if errors:
            for message in errors:
                st.error(message)
        else:
            state.flash(f"已保存执行率区间：{describe_bands(get_bands(store))}")
            st.rerun()

    default_text = describe_bands(DEFAULT_BANDS)
    if bands != DEFAULT_BANDS and st.button("恢复默认区间", help=default_text):
        try:
            reset_bands(store, state.user_name())
        except auth.PermissionDenied as exc:
            state.flash(str(exc), "error")
        else:
            for key in ("set_green", "set_yellow"):
                st.session_state.pop(key, None)
            state.flash(f"已恢复默认区间：{default_text}")
        st.rerun()

    if not auth.single_user_mode(store):
        st.subheader("登录")
        with st.form("idle_minutes", width=520):
            minutes = st.number_input("空闲多少分钟后自动退出登录", min_value=1, max_value=24 * 60, step=5,
                                      value=int(idle_minutes(store)), key="set_idle",
                                      help=f"默认 {DEFAULT_IDLE_MINUTES} 分钟。对之后的每次操作生效。")
            if st.form_submit_button("保存", type="primary"):
                try:
                    auth.change_setting(store, IDLE_SETTING, int(minutes), state.user_name())
                except auth.PermissionDenied as exc:
                    st.error(str(exc))
                else:
                    state.flash(f"已保存：空闲 {int(minutes)} 分钟后自动退出登录。")
                    st.rerun()

from ui import review_settings  # noqa: E402  (issue 18: the 自评复核 rules' severities and thresholds)
review_settings.panel()

from ui import monitor  # noqa: E402  (issue 17: the monitoring thresholds)
monitor.settings_panel()

from ui import import_limits  # noqa: E402  (issue 20: how far a sheet may reach, what a parse may use)
import_limits.panel(admin)

from ui import backup  # noqa: E402  (issue 10: administrators back up from here while the app runs)
backup.panel()
