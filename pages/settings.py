"""设置: the execution-rate traffic-light bands, stored in the database (shared by every user and page)."""
import streamlit as st

from perfboard.bands import describe_bands, get_bands, reset_bands, save_bands
from perfboard.filters import DEFAULT_BANDS
from ui import state

st.title("设置")
state.show_flash()
store = state.store()
bands = state.load(get_bands)

st.subheader("执行率红绿灯区间")
st.caption("用于总览、预算执行、偏离分析各页面的状态颜色和“预算执行偏离”的判定。保存在数据库中，对所有用户生效。")
st.markdown("当前：" + describe_bands(bands))

with st.form("rate_bands", width=520):
    green = st.number_input("绿灯下限（%）：执行率不低于此值为绿", min_value=0.0, max_value=200.0, step=0.5,
                            value=round(bands["green"] * 100, 4), format="%.1f", key="set_green")
    yellow = st.number_input("黄灯下限（%）：不低于此值、低于绿灯下限为黄，再低为红", min_value=0.0, max_value=200.0,
                             step=0.5, value=round(bands["yellow"] * 100, 4), format="%.1f", key="set_yellow")
    st.caption("执行率超过 100% 的项目始终单独标为“超预算”。")
    submitted = st.form_submit_button("保存", type="primary")

if submitted:
    errors = save_bands(store, green / 100, yellow / 100)
    if errors:
        for message in errors:
            st.error(message)
    else:
        state.flash(f"已保存执行率区间：{describe_bands(get_bands(store))}")
        st.rerun()

default_text = describe_bands(DEFAULT_BANDS)
if bands != DEFAULT_BANDS and st.button("恢复默认区间", help=default_text):
    reset_bands(store)
    for key in ("set_green", "set_yellow"):
        st.session_state.pop(key, None)
    state.flash(f"已恢复默认区间：{default_text}")
    st.rerun()

from ui import backup  # noqa: E402  (issue 10: administrators back up from here while the app runs)
backup.panel()
