"""首页: what PerfBoard is, what data it holds now, where to go next."""
import streamlit as st

from perfboard.sample import sample_in_use
from perfboard.summary import summary
from ui import state
from ui.fmt import pct, wan_unit

st.title("PerfBoard 绩效看板")
st.caption("预算绩效自评：执行率、绩效目标偏离、同比分析与报表导出")
state.show_flash()

samples = state.load(sample_in_use)
if samples:
    st.info("当前显示的是**示例数据**（" + "、".join(samples) + "）。导入本单位的数据后即可替换或并存。", icon="ℹ️")

f = state.filters()
s = state.load(summary, f)
if not s["projects"]:
    st.warning("当前筛选条件下没有项目数据。请调整左侧筛选，或到“数据导入”页面上传文件。")
    st.page_link("pages/import_data.py", label="前往数据导入", icon="📥")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("项目数", f"{s['projects']} 个")
c2.metric("全年预算数", wan_unit(s["budget_wan"]))
c3.metric("全年执行数", wan_unit(s["spent_wan"]))
c4.metric("执行率", pct(s["execution_rate"]))
st.caption(f"筛选：{f.describe()}")

mismatch = [i for i in s["items"] if i["rate_mismatch"]]
if mismatch:
    st.warning("以下项目的填报执行率与按“全年执行数÷全年预算数”计算的结果不一致："
               + "；".join(f"{i['name']}（填报 {pct(i['reported_rate'], 1)}，计算 {pct(i['execution_rate'])}）" for i in mismatch))
st.page_link("pages/import_data.py", label="导入数据", icon="📥")
