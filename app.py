"""PerfBoard 绩效看板: the frame around the pages (page config, shared sidebar filters, navigation)."""
import streamlit as st

from perfboard.filters import LIGHTS
from perfboard.summary import filter_options
from ui import state
from ui.auth import gate as auth_gate
from ui.state import K_DEPTS, K_FUNDS, K_LIGHTS, K_SEARCH, K_YEAR

st.set_page_config(page_title="PerfBoard 绩效看板", page_icon="📊", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="首页", icon="🏠", default=True),
    st.Page("pages/indicators_edit.py", title="指标填报", icon=":material/edit_note:"),
    st.Page("pages/history.py", title="修改记录", icon=":material/history:"),
    st.Page("pages/compare.py", title="同比分析", icon=":material/compare_arrows:"),
    st.Page("pages/reports.py", title="报表导出", icon=":material/download:"),
    st.Page("pages/import_data.py", title="数据导入", icon="📥"),
]
page = st.navigation(PAGES)
auth_gate()   # login, or single-user local mode; after st.navigation so no page runs ungated

store = state.store()
opts = state.load(filter_options)
with st.sidebar:
    st.markdown("### 筛选")
    if opts["years"]:
        if st.session_state.get(K_YEAR) not in opts["years"]:
            st.session_state[K_YEAR] = opts["years"][0]      # default: the latest year
        st.selectbox("年度", opts["years"], key=K_YEAR, format_func=lambda y: f"{y} 年度")
    st.multiselect("主管部门", opts["departments"], key=K_DEPTS, placeholder="全部部门")
    st.multiselect("资金来源", opts["funding_sources"], key=K_FUNDS, placeholder="全部来源")
    st.multiselect("执行率状态", LIGHTS, key=K_LIGHTS, placeholder="全部状态")
    st.text_input("项目名称搜索", key=K_SEARCH, placeholder="输入关键字")

page.run()
