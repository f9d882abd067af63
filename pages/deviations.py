"""偏离分析: budget deviations and indicator deviations with their reasons and measures, the
qualitative indicators with their judgement (or 待判定), and the data-quality findings.

Counts come from one SQL row (perfboard.deviations.figures); each table shows one page of rows fetched
in SQL, and its export buttons build every row only when clicked. The project tables pick a page by
number (deviations.table with LIMIT/OFFSET: a year has at most its projects); the indicator tables
(millions of rows at a province's scale) step 上一页 / 下一页 after the last row shown (keyset paging,
deviations.indicator_page), so a deep page costs what the first one costs."""
import streamlit as st

from perfboard.bands import describe_bands, get_bands
from perfboard.deviations import (INDICATOR_TABLES, QUALITY_CHECKS, figures, indicator_chunks, indicator_page,
                                  table)
from ui import render, state
from ui.export import download_buttons
from ui.paging import cursor_stack, keyset_buttons, keyset_caption, page_slice

MONEY, RATES = ["全年预算数（万元）", "全年执行数（万元）"], ["执行率", "填报执行率", "计算执行率"]
VIEWS = {"偏离指标": "indicators", "待判定": "pending", "全部指标": "all_indicators"}

f = state.filters()
st.title("偏离分析" + (f"　{f.year} 年度" if f.year else ""))
if f.year is None:
    render.needs_data()
d = state.load(figures, f)
if not d["projects"]:
    render.nothing_matches(f.describe())
st.caption(f"{render.md(f.describe())}　·　{describe_bands(state.load(get_bands))}")
render.illustrative(f)
rows = d["rows"]


def paged_table(key: str, title: str, export_key: str) -> None:
    """One page of the table `key` (a page picker when it is long) and export buttons for all of it."""
    total = rows[key]
    if key in INDICATOR_TABLES:
        keyset_table(key, total)
    else:
        limit, offset = page_slice(total, f"dev_page_{key}", page_rows=render.REPORT_ROWS)
        render.report_table(state.load(table, f, key, limit, offset), money=MONEY, rates=RATES)
    download_buttons(lambda: table(state.store(), f, key), title, f, key=export_key, rows=total,
                     pieces=(lambda: indicator_chunks(state.store(), f, key)) if key in INDICATOR_TABLES else None)


def keyset_table(key: str, total: int) -> None:
    """One page of an indicator table after the cursor on top of this filter's stack, with 上一页 / 下一页."""
    page_rows, cursors = render.REPORT_ROWS, f"dev_cursors_{key}"
    stack = cursor_stack(cursors, f)
    df, last = state.load(indicator_page, f, key, page_rows, stack[-1] if stack else None)
    if not len(df) and stack:          # the data changed under a deep page: back to the first page
        stack.clear()
        df, last = state.load(indicator_page, f, key, page_rows, None)
    if total > page_rows:
        st.caption(keyset_caption(stack, len(df), total, page_rows))
    render.report_table(df, money=MONEY, rates=RATES)
    if total > page_rows:
        keyset_buttons(cursors, stack, last, len(df) >= page_rows and (len(stack) + 1) * page_rows < total)


quality_total = sum(d["quality"].values())
labels = [f"预算执行偏离（{rows['budget']:,}）", f"绩效指标偏离（{rows['indicators']:,}）", f"数据检查（{quality_total:,}）"]
open_quality = st.session_state.pop(state.K_DQ_OPEN, False)
budget_tab, indicator_tab, quality_tab = st.tabs(labels, default=labels[2] if open_quality else labels[0])

with budget_tab:
    if not rows["budget"]:
        st.success("没有预算执行偏离的项目。", icon=":material/check_circle:")
    else:
        st.caption("执行率低于绿色区间或超过 100% 的项目，按偏离程度由大到小排列；“填报不一致”表示填报的执行率与计算值不符。")
        paged_table("budget", "预算执行偏离", "exp_dev_budget")

with indicator_tab:
    st.caption(f"定量指标按年度指标值与实际完成值自动判定；定性指标显示人工判定结果，尚未判定的显示“待判定”"
               f"（{rows['pending']:,} 条）。")
    st.session_state.setdefault(state.K_INDICATOR_VIEW, "偏离指标")
    view = st.segmented_control("显示", list(VIEWS), key=state.K_INDICATOR_VIEW, required=True,
                                label_visibility="collapsed")
    if not rows[VIEWS[view]]:
        st.success({"偏离指标": "没有未达成或缺少实际完成值的指标。", "待判定": "没有待判定的指标。",
                    "全部指标": "筛选出的项目没有绩效指标。"}[view], icon=":material/check_circle:")
    else:
        paged_table(VIEWS[view], f"绩效指标（{view}）", "exp_dev_indicators")

with quality_tab:
    counts = d["quality"]
    if st.session_state.get(state.K_DQ) not in QUALITY_CHECKS:
        st.session_state[state.K_DQ] = next((k for k, n in counts.items() if n), next(iter(QUALITY_CHECKS)))
    check = st.segmented_control("检查项", list(QUALITY_CHECKS), key=state.K_DQ, required=True,
                                 format_func=lambda k: f"{QUALITY_CHECKS[k][0]}（{counts[k]:,}）")
    if not counts[check]:
        st.success(f"未发现问题：没有{QUALITY_CHECKS[check][0]}的情况。", icon=":material/check_circle:")
    else:
        paged_table(check, f"数据检查（{QUALITY_CHECKS[check][0]}）", "exp_dev_quality")
