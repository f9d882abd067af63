"""执行监控 (绩效运行监控, issue 17): one monitoring period's execution against 序时进度 by project and by
department, the chart against the 序时进度 line, the projects at risk with their reasons, and indicator lights."""
import streamlit as st

from perfboard import monitoring
from ui import monitor, render, state
from ui.export import download_buttons
from ui.fmt import count, pct, wan
from ui.paging import page_slice

MONEY = ["预算数（万元）", "执行数（万元）", "全年预计执行数（万元）"]
RATES = ["执行率", "序时进度", "执行率（加权）"]
RISK_SHOWN = 20

f = state.filters()
st.title("执行监控")
year, period = monitor.pick_period(f.year)
fig = state.load(monitoring.figures, f, year, period)
t, tp = fig["totals"], fig["time_progress"]
st.caption(f"{year} 年 1—{period}月运行监控　·　序时进度 {tp:.1%}（{period} ÷ 12）　·　侧栏的主管部门、项目名称搜索和"
           "执行率状态（按监控灯：绿、黄、红）适用于本页；资金来源不适用于监控表。")
if t is None:
    render.nothing_matches(f.describe())
monitor.brief_buttons(f, year, period)

rate = t["spent"] / t["budget"] if t["budget"] else None
c = st.columns(6)
c[0].metric("项目数", count(t["projects"]))
c[1].metric("预算数（万元）", wan(t["budget"]))
c[2].metric(f"1—{period}月执行数（万元）", wan(t["spent"]))
c[3].metric("执行率", pct(rate), None if rate is None else f"{(rate - tp) * 100:+.1f} 个百分点（对序时进度）",
            delta_color="normal", help="执行数合计 ÷ 预算数合计；箭头为与序时进度之差")
c[4].metric("红 / 黄 / 绿", f"{int(t['red'])} / {int(t['yellow'])} / {int(t['green'])}",
            help=monitoring.describe_rules(fig["rules"]))
c[5].metric("风险项目", count(t["at_risk"]), help="执行灯为红、任一指标“完全不可能”完成，或全年预计执行数低于预算的 "
            f"{fig['rules']['forecast_floor']:.0%}")

left, right = st.columns([3, 2], gap="medium")
with left:
    st.markdown(f"**各项目执行率与序时进度**（落后最多的 {monitoring.TOP_N} 个，其余合为“其他”）")
    if len(fig["chart"]):
        monitor.rate_chart(fig["chart"], tp, state.chart_font())
    else:
        st.info("筛选出的项目都没有预算数，无法计算执行率。")
with right:
    st.markdown(f"**风险项目**（{int(t['at_risk']):,} 个，最严重的在前）")
    risky = state.load(monitoring.at_risk, f, year, period, RISK_SHOWN)
    if not risky:
        st.success("没有风险项目。", icon=":material/check_circle:")
    else:
        with st.container(height=420 if len(risky) > 2 else "content", border=True):
            for item in risky:
                monitor.risk_item(item)

by_project, by_department, indicators = st.tabs(["按项目", "按主管部门", "指标进度"])
store = state.store()
with by_project:
    worst = st.toggle("风险项目在前（按落后程度）", key="mon_worst")
    limit, offset = page_slice(int(t["projects"]), "mon_page")
    rows = state.load(monitoring.table, f, year, period, limit, offset, worst)
    render.table(rows, money=MONEY, rates=RATES, wide=["风险原因"], height=min(35 * len(rows) + 38, 563))
    download_buttons(lambda: monitoring.table(store, f, year, period, worst_first=worst), f"运行监控-1—{period}月",
                     f, key="exp_monitor", rows=int(t["projects"]), illustrative=False)   # never sample data
with by_department:
    st.caption("执行率（加权）= 执行数合计 ÷ 预算数合计；状态按同一序时进度规则判定。")
    render.table(fig["by_department"], money=MONEY, rates=RATES)
    download_buttons(fig["by_department"], f"运行监控按部门-1—{period}月", f, key="exp_monitor_dept", illustrative=False)
with indicators:
    counts = fig["indicator_lights"].groupby("light", dropna=False)["n"].sum()
    st.markdown("　".join(f"{monitor.badge(k)} {int(counts.get(k, 0)):,} 条" for k in monitoring.INDICATOR_LIGHTS)
                + f"　:gray[待判定 {int(counts[counts.index.isna()].sum()):,} 条]")
    choices = state.load(monitoring.rows, f, year, period, 1000, 0, True)
    if len(choices):
        labels = dict(zip(choices["id"].astype(int), choices["name"] + "（" + choices["department"] + "）"))
        pid = st.selectbox("项目（风险项目在前，最多列出 1,000 个）", list(labels), format_func=labels.get, key="mon_project")
        ind = state.load(monitoring.project_indicators, f, year, period, int(pid))
        shown = ind.rename(columns={"level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "target_text": "年度指标值",
                                    "actual_text": f"1—{period}月执行情况", "forecast_text": "全年预计完成情况",
                                    "light": "状态", "likelihood": "完成目标可能性", "note": "备注"})
        shown["偏差原因"] = ["、".join(x) if x is not None else "" for x in ind["reasons"]]
        render.table(shown.drop(columns=["position", "reasons"]), wide=["偏差原因", "备注"])
