"""PerfBoard 绩效看板: the frame around the pages (page config, shared sidebar filters, navigation)."""
import streamlit as st

from perfboard.display import md_text, plain
from perfboard.filters import LIGHTS
from perfboard.sample import FICTIONAL_LABEL, fictional_years, sample_in_use
from perfboard.summary import filter_options
from ui import state, style
from perfboard.auth import can, department_scope
from ui.auth import current_user, gate as auth_gate
from ui.state import K_DEPTS, K_FUNDS, K_LIGHTS, K_PRESENT, K_SEARCH, K_YEAR

st.set_page_config(page_title="PerfBoard 绩效看板", page_icon="📊", layout="wide")

# The whole run inside one read window: on PostgreSQL one check for news per run, not one per query.
with state.page_run():
    PAGES = [
        st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
        st.Page("pages/execution.py", title="预算执行", icon=":material/payments:"),
        st.Page("pages/monitoring.py", title="执行监控", icon=":material/monitor_heart:"),
        st.Page("pages/deviations.py", title="偏离分析", icon=":material/report:"),
        st.Page("pages/review.py", title="自评复核", icon=":material/fact_check:"),
        st.Page("pages/compare.py", title="同比分析", icon=":material/compare_arrows:"),
        st.Page("pages/indicators_edit.py", title="指标填报", icon=":material/edit_note:"),
        st.Page("pages/history.py", title="修改记录", icon=":material/history:"),
        st.Page("pages/reports.py", title="报表导出", icon=":material/download:"),
        st.Page("pages/import_data.py", title="数据导入", icon=":material/upload_file:"),
        st.Page("pages/settings.py", title="设置", icon=":material/settings:"),
    ]
    # Listed for administrators only, but always registered (hidden for others): a bookmarked or refreshed
    # …/users opens the login form first and then the page, instead of Streamlit's English "Page not found";
    # the page itself and perfboard.auth refuse anyone who is not an administrator.
    PAGES.append(st.Page("pages/users.py", title="用户管理", icon=":material/group:",
                         visibility="visible" if can(current_user(), "admin") else "hidden"))
    page = st.navigation(PAGES)
    user = auth_gate()   # login, or single-user local mode; after st.navigation so no page runs ungated

    store = state.store()
    # a viewer/editor is offered only the years, departments and funding sources of their own departments
    opts = state.load(filter_options, department_scope(user))


    def _clear_filters():
        for key in (K_DEPTS, K_FUNDS, K_LIGHTS):
            st.session_state[key] = []
        st.session_state[K_SEARCH] = ""


    # Selections that are no longer offered (data replaced, another year) would make the widgets fail.
    for key, options in ((K_DEPTS, opts["departments"]), (K_FUNDS, opts["funding_sources"]), (K_LIGHTS, LIGHTS)):
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] or [] if v in options]

    with st.sidebar:
        st.markdown("### 筛选")
        if opts["years"]:
            if st.session_state.get(K_YEAR) not in opts["years"]:
                st.session_state[K_YEAR] = opts["years"][0]      # default: the latest year
            st.selectbox("年度", opts["years"], key=K_YEAR, format_func=lambda y: f"{y} 年度")
        st.multiselect("主管部门", opts["departments"], key=K_DEPTS, placeholder="全部部门", format_func=plain)
        st.multiselect("资金来源", opts["funding_sources"], key=K_FUNDS, placeholder="全部来源", format_func=plain)
        st.multiselect("执行率状态", LIGHTS, key=K_LIGHTS, placeholder="全部状态",
                       help="按“设置”页的执行率区间判定：绿、黄、红；执行率超过 100% 单独标为“超预算”。")
        st.text_input("项目名称搜索", key=K_SEARCH, placeholder="输入关键字")
        if state.narrowed():
            st.button("清除筛选", on_click=_clear_filters, icon=":material/filter_alt_off:", width="stretch")
        st.divider()
        st.toggle("演示模式（大字号）", key=K_PRESENT, help="投影时使用：字号加大、页面加宽。点左上角“«”收起侧栏可再腾出空间。")

    style.apply(state.presentation())
    samples = state.load(sample_in_use)
    if samples:
        fictional = state.load(fictional_years)
        year = st.session_state.get(K_YEAR)
        note = (f"{year} 年度的数据是虚构的（{FICTIONAL_LABEL}），不是真实数据。" if year in fictional
                else "、".join(f"{y} 年度" for y in fictional) + f"为{FICTIONAL_LABEL}数据。" if fictional else "")
        banner, action = st.columns([5, 1], vertical_alignment="center")
        banner.caption(":orange-badge[:material/science: 示例数据] 当前显示的是随附的示例数据（" + md_text("、".join(samples))
                       + "），仅供演示。" + note + "导入本单位数据时可一并删除示例数据。")
        if can(user, "import"):     # a link, not a button: the removal (with its confirmation) is on 数据导入
            action.page_link("pages/import_data.py", label="删除示例数据", icon=":material/delete:")

    page.run()
