"""总览: the meeting page. Big figures with the change from the previous year, execution rate by
project, the projects that need attention (worst first) and the data-quality strip."""
import streamlit as st

from perfboard.charts import OTHER
from perfboard.display import met_text
from perfboard.export.catalog import attention_table
from perfboard.overview import overview_figures, overview_notes, with_notes
from perfboard.scoring import grade_line, project_grades
from ui import render, state
from ui.export import download_buttons
from ui.fmt import count, delta_count, delta_pp, delta_wan, pct, wan

f = state.filters()
st.title("总览" + (f"　{f.year} 年度" if f.year else ""))
state.show_flash()
if f.year is None:
    render.needs_data()

# the figures cached across saves of notes only, the note parts (two counts, the 需关注 texts) per data version
o = state.load(overview_figures, f)
o = with_notes(o, state.load(overview_notes, f, tuple(item["id"] for item in o["attention"])))
fig, ch = o["figures"], o["change"]
if not fig["projects"]:
    render.nothing_matches(f.describe())

if o["base"]:
    st.caption(f"{render.md(f.describe())}　·　箭头为与 {o['base_year']} 年度同口径比较")
elif o["base_year"]:
    st.info(f"{render.md(f.describe())}。{o['base_year']} 年度没有符合筛选条件的项目，不显示同比变化。", icon=":material/info:")
else:
    st.info(f"{render.md(f.describe())}。没有更早年度的数据，不显示同比变化。", icon=":material/info:")
render.illustrative(f, [o["base_year"]] if o["base"] else [])

c = st.columns(6)
c[0].metric("项目数", count(fig["projects"]), delta_count(ch.get("projects")), delta_color="off")
c[1].metric("全年预算数（万元）", wan(fig["budget_wan"]),
            delta_wan(ch.get("budget_wan"), ch.get("budget_wan_pct")), delta_color="off")
c[2].metric("全年执行数（万元）", wan(fig["spent_wan"]),
            delta_wan(ch.get("spent_wan"), ch.get("spent_wan_pct")), delta_color="off")
c[3].metric("执行率", pct(fig["execution_rate"]), delta_pp(ch.get("execution_rate_pp")),
            help="全年执行数 ÷ 全年预算数（按金额加权）")
c[4].metric("偏离项目", count(fig["deviation_projects"]), delta_count(ch.get("deviation_projects")),
            delta_color="inverse",
            help=f"预算执行偏离 {fig['budget_deviation_projects']} 个（执行率低于绿色区间或超过 100%）；"
                 f"绩效指标偏离 {fig['indicator_deviation_projects']} 个（指标未达成或缺实际值）")
c[5].metric("指标达成", met_text(fig["indicators_met"], fig["indicators_total"]),
            delta_pp(ch.get("indicators_met_share_pp")),
            help=f"达成的指标数 / 指标总数（不含不适用）：{fig['indicators_met']:,} / {fig['indicators_total']:,}；"
                 f"待人工判定 {fig['indicators_pending']:,} 条")

st.markdown(grade_line(state.load(project_grades, f)))

left, right = st.columns([3, 2], gap="medium")
with left:
    st.markdown("**各项目执行率**（由低到高）　" + render.light_legend(o["bands"]))
    if o["chart_projects"]:
        if o["chart"]["light"].iloc[-1] == OTHER:        # the last bar is "其他 k 个项目"
            st.caption(f"共 {o['chart_projects']:,} 个项目，显示执行率偏离 100% 最多的 {len(o['chart']) - 1} 个，"
                       "其余合为“其他”一条。")
        render.rate_chart(o["chart"], o["bands"], state.chart_font())
    else:
        st.info("筛选出的项目都没有全年预算数，无法计算执行率。")
with right:
    st.markdown(f"**需关注**（{o['attention_total']:,} 个项目，最严重的在前）")
    if not o["attention"]:
        st.success("没有偏离的项目：执行率均在绿色区间内，绩效指标均已达成或待判定。", icon=":material/check_circle:")
    else:
        with st.container(height=(420 if state.presentation() else 320) if len(o["attention"]) > 2 else "content",
                          border=True):
            for item in o["attention"]:
                render.attention_item(item)
        download_buttons(attention_table(o["attention"]), "需关注项目", f, key="exp_attention", narrow=True)
        if o["attention_total"] > len(o["attention"]):
            st.page_link("pages/deviations.py", label=f"查看全部 {o['attention_total']:,} 个偏离项目",
                         icon=":material/arrow_forward:")

st.markdown("**数据检查**（点击查看具体项目或指标）")
render.quality_strip(o["quality"], o["quality_labels"], "pages/deviations.py")
st.page_link("pages/review.py", label="自评复核：以上检查及指标设置、自评口径等全部复核规则的逐条发现",
             icon=":material/fact_check:")

from ui import monitor  # noqa: E402  (issue 17: 运行监控轨迹 when the year has monitoring snapshots)
monitor.overview_trajectory(f)
