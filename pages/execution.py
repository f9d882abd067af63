"""预算执行: every project's budget, spent and rate with a totals row, the same grouped by department
and by funding source (weighted rates), budget vs spent per project and the spread of rates."""
import streamlit as st

from perfboard.charts import budget_spent_chart_top, rate_distribution_chart
from perfboard.execution import figures, full_table, table_page
from perfboard.scoring import grade_line, project_grades
from ui import render, state
from ui.export import download_buttons
from ui.fmt import pct, wan_unit
from ui.paging import page_slice

MONEY, RATES = ["全年预算数（万元）", "全年执行数（万元）"], ["执行率", "填报执行率", "执行率（加权）"]
# Fixed widths so each totals table lines up under its table.
WIDTHS = {"项目名称": 230, "主管部门": 120, "资金来源": 115, "全年预算数（万元）": 145, "全年执行数（万元）": 145,
          "执行率": 70, "填报执行率": 90, "状态": 50, "项目数": 70, "执行率（加权）": 110, "偏离项目数": 90}

f = state.filters()
st.title("预算执行" + (f"　{f.year} 年度" if f.year else ""))
if f.year is None:
    render.needs_data()
e = state.load(figures, f)
t = e["totals"]
if not t["projects"]:
    render.nothing_matches(f.describe())
st.caption(f"{render.md(f.describe())}　·　合计 {t['projects']:,} 个项目，全年预算数 {wan_unit(t['budget_wan'])}，"
           f"全年执行数 {wan_unit(t['spent_wan'])}，执行率 {pct(t['execution_rate'])}")
render.illustrative(f)

st.markdown(grade_line(state.load(project_grades, f)))
by_project, by_department, by_fund = st.tabs(["按项目", "按主管部门", "按资金来源"])
with by_project:
    st.caption("点击列名排序（分页时在本页内排序）；合计行在表格下方。")
    limit, offset = page_slice(t["projects"], "exec_page")
    rows = state.load(table_page, f, limit, offset)
    render.table(rows, money=MONEY, rates=RATES, widths=WIDTHS, height=min(35 * len(rows) + 38, 563))
    render.table(e["table_total"], money=MONEY, rates=RATES, widths=WIDTHS)
    store = state.store()           # captured now: the callable runs when a button is clicked
    download_buttons(lambda: full_table(store, f), "项目执行情况", f, totals=e["table_total"],
                     key="exp_exec_projects", rows=t["projects"])
with by_department:
    st.caption("执行率（加权）= 全年执行数合计 ÷ 全年预算数合计。")
    render.table(e["by_department"], money=MONEY, rates=RATES, widths=WIDTHS)
    render.table(e["by_department_total"], money=MONEY, rates=RATES, widths=WIDTHS)
    download_buttons(e["by_department"], "按主管部门汇总", f, totals=e["by_department_total"], key="exp_exec_dept")
with by_fund:
    st.caption("执行率（加权）= 全年执行数合计 ÷ 全年预算数合计。")
    render.table(e["by_funding_source"], money=MONEY, rates=RATES, widths=WIDTHS)
    render.table(e["by_funding_source_total"], money=MONEY, rates=RATES, widths=WIDTHS)
    download_buttons(e["by_funding_source"], "按资金来源汇总", f, totals=e["by_funding_source_total"],
                     key="exp_exec_fund")

left, right = st.columns(2, gap="medium")
font = state.chart_font()
with left:
    st.markdown("**全年预算数与全年执行数**（按预算由大到小）")
    render.altair_chart(budget_spent_chart_top, e["top"], e["rest"], font_size=font)
with right:
    st.markdown("**执行率分布**")
    if len(e["distribution"]):
        render.altair_chart(rate_distribution_chart, None, font_size=font, data=e["distribution"])
    else:
        st.info("筛选出的项目都没有全年预算数，无法计算执行率。")
