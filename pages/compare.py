"""同比分析: two years side by side under the sidebar filters; matched projects; candidates to confirm."""
import streamlit as st

from perfboard import charts_compare as charts
from perfboard import compare as cmp
from perfboard import matching
from perfboard.auth import PermissionDenied, can, department_scope
from perfboard.scoring import grade_line, project_grades
from perfboard.summary import filter_options, previous_year
from ui import render, state
from ui.auth import current_user
from ui.export import download_buttons
from ui.paging import page_slice

K_YEAR, K_BASE, K_SYNC, K_PAIR = "cmp_year", "cmp_base", "cmp_synced_to", "cmp_pair"
NUM = st.column_config.NumberColumn(format="%.2f")

st.title("同比分析")
st.caption("任选两个年度对比（默认：左侧所选年度与其上一年度），沿用左侧的部门、资金来源等筛选条件。")
state.show_flash()
years = state.load(filter_options, department_scope(current_user()))["years"]
if len(years) < 2:
    st.info("同比分析需要至少两个年度的数据，目前只有" + ("、".join(f"{y} 年度" for y in years) or "0 个年度")
            + "。请到“数据导入”页面导入其他年度的数据。")
    st.stop()

f, samples = state.filters(), state.load(cmp.sample_years)
if st.session_state.get(K_SYNC) != f.year:          # the sidebar year picks this page's year
    st.session_state[K_SYNC] = st.session_state[K_YEAR] = f.year if f.year in years else years[0]
    st.session_state.pop(K_BASE, None)
fictional = {y for y, files in samples.items() if "虚构" in cmp.sample_label(files)}
label = lambda y: "（无）" if y is None else f"{y} 年度" + ("（示例（虚构））" if y in fictional else "")  # noqa: E731

c1, c2, _ = st.columns([1, 1, 2])
year = c1.selectbox("本年度", years, key=K_YEAR, format_func=label, on_change=lambda: st.session_state.pop(K_BASE, None))
others = [None] + [y for y in years if y != year]
if st.session_state.get(K_BASE, "unset") not in others:
    st.session_state[K_BASE] = state.load(previous_year, year)
base_year = c2.selectbox("对比年度", others, key=K_BASE, format_func=label)
if base_year is None:
    st.info(f"{year} 年度之前没有可比较的年度数据。可在“对比年度”中选择其他年度，或导入更早年度的数据。")
    st.stop()

for y in sorted({base_year, year} & fictional):
    st.caption(f":orange-badge[示例（虚构）] {y} 年度的数据是虚构的示例（{render.md('、'.join(samples[y]))}），仅用于演示同比分析，不是真实数据。")

# Not state.load: compare() keeps its own process-wide cache (the matching of the two whole years per data
# version, and the filtered views), and returns shared frames instead of pickled copies of 400,000 items.
c = cmp.compare(state.store(), f, base_year, year, scores=False)
if c.items.empty:
    st.warning(f"当前筛选条件下，{base_year} 与 {year} 年度都没有项目。请调整左侧筛选条件。")
    st.stop()

for col, m in zip(st.columns(5), cmp.headline(c)):
    col.metric(m["label"], m["value"], m["delta"], help=m["help"], delta_color=m["color"], delta_arrow=m["arrow"])
st.caption(f"与 {base_year} 年度相比；筛选：{render.md(f.with_year(year).describe())}。项目明细含任一年度符合筛选条件的项目。")
# the stored result of the pair holds both years' scores (perfboard.pair_results); else scored here
scores = ({year: c.scores, base_year: c.base_scores} if c.scores is not None else
          {y: state.load(project_grades, f.with_year(y)) for y in (year, base_year)})
for y in (year, base_year):
    st.markdown(grade_line(scores[y], f"{y} 年度自评等级"))

@st.cache_data(show_spinner=False, max_entries=64)
def chart_spec(kind: str, rows, total: int, base_year: int, year: int) -> dict:
    """The Vega-Lite spec of a chart from its few capped rows: building the Altair chart and its spec
    costs more than picking the rows, so reruns and filters that leave the bars alone reuse it. Not
    validated against the Vega-Lite schema here (most of to_dict's time, same dict): the charts' shapes
    are fixed, and tests/test_charts_compare.py validates them."""
    build = {"dumbbell": charts.rate_dumbbell_chart, "budget": charts.budget_change_chart, "trend": charts.trend_chart}
    chart = build[kind](rows) if kind == "trend" else build[kind](rows, total, base_year, year)
    return chart.to_dict(validate=False)


left, right = st.columns(2)
with left:
    if (c.items["status"] == "continued").any():
        st.vega_lite_chart(spec=chart_spec("dumbbell", *charts.rate_dumbbell_data(c.items), base_year, year),
                           width="stretch")
    else:
        st.info("两个年度之间没有匹配上的项目，无法比较执行率。")
with right:
    st.vega_lite_chart(spec=chart_spec("budget", *charts.budget_change_data(c.items), base_year, year),
                       width="stretch")

n_cand = len(c.candidates)
if n_cand:
    st.warning(f"有 {n_cand} 对名称相近的项目需要人工确认是否为同一项目（见“待确认匹配”），确认前按新增/不再安排统计。")
t_items, t_groups, t_match, t_ind, t_trend = st.tabs(
    ["项目对比", "分组对比", f"待确认匹配（{n_cand}）", "指标对比", "历年趋势"])
with t_items:
    st.caption("延续、新增、不再安排，各按预算从大到小。")
    limit, offset = page_slice(len(c.items), "cmp_page")
    shown = cmp.with_scores(c.items.iloc[offset:offset + limit], scores[year], scores[base_year])
    table = cmp.items_table(shown, base_year, year)
    st.dataframe(table, hide_index=True, placeholder="—", width="stretch",
                 column_config={k: NUM for k in table.columns if "（" in k and "名称" not in k})
    download_buttons(lambda: cmp.items_table(cmp.with_scores(c.items, scores[year], scores[base_year]), base_year, year),
                     f"同比分析（{base_year}—{year} 项目对比）",
                     f.with_year(year), key="exp_cmp_items", rows=len(c.items), compared=[base_year])
with t_groups:
    for by in ("department", "funding_source"):
        g = cmp.groups_table(getattr(c, f"by_{by}"), by, base_year, year)
        st.dataframe(g, hide_index=True, placeholder="—", width="stretch",
                     column_config={k: NUM for k in g.columns if "（" in k})
        download_buttons(g, f"同比分析（{base_year}—{year} 按{'主管部门' if by == 'department' else '资金来源'}）",
                         f.with_year(year), key=f"exp_cmp_{by}", compared=[base_year])


def decide(pair, decision):
    try:       # perfboard checks the user again: editors of both departments only (issue 20)
        matching.decide(state.store(), pair, decision, user=current_user())
    except PermissionDenied as exc:
        state.flash(str(exc), "error")
    else:
        state.flash(f"已{'确认' if decision == 'confirmed' else '拒绝'}：{pair['base_name']} → {pair['target_name']}")


def undo(pair):
    try:
        matching.undo(state.store(), pair, user=current_user())
    except PermissionDenied as exc:
        state.flash(str(exc), "error")
    else:
        state.flash(f"已撤销对 {pair['base_name']} → {pair['target_name']} 的决定。", "info")


def may_decide(r) -> bool:
    me = current_user()
    return all(can(me, "edit", r[f"{side}_department"]) for side in ("base", "target"))


NO_RIGHT = "只有两个项目所属部门的编辑者或管理员可以确认、拒绝或撤销匹配。"

with t_match:
    st.caption("名称相近但不能自动认定为同一项目的候选，需人工确认；系统不会自动采用。确认或拒绝后会保存，可撤销。")
    if not n_cand:
        st.success("没有待确认的候选。")
    for r in c.candidates.head(20).to_dict("records"):
        a, b1, b2 = st.columns([6, 1, 1])
        a.markdown(cmp.candidate_text(r))
        k = f"{r['base_key']}|{r['target_key']}"
        off = not may_decide(r)
        b1.button("确认", key=f"cmp_ok|{k}", on_click=decide, args=(r, "confirmed"), type="primary", disabled=off,
                  help=NO_RIGHT if off else None)
        b2.button("拒绝", key=f"cmp_no|{k}", on_click=decide, args=(r, "rejected"), disabled=off,
                  help=NO_RIGHT if off else None)
    if n_cand > 20:
        st.caption(f"共 {n_cand:,} 对候选，仅显示前 20 对。")
    if len(c.decisions):
        st.markdown("**已作出的决定**")
    for r in c.decisions.head(50).to_dict("records"):
        a, b1 = st.columns([7, 1])
        a.markdown(cmp.decision_text(r))
        off = not may_decide(r)
        b1.button("撤销", key=f"cmp_undo|{r['base_key']}|{r['target_key']}", on_click=undo, args=(r,), disabled=off,
                  help=NO_RIGHT if off else None)
with t_ind:
    rows = shown.to_dict("records")          # the projects of the page shown in 项目对比
    pick = st.selectbox("选择项目" + ("（“项目对比”当前页）" if len(c.items) > len(shown) else ""), range(len(rows)),
                        key=K_PAIR, format_func=lambda i: cmp.pair_label(rows[i]))
    r = rows[pick if pick is not None and pick < len(rows) else 0]
    ind = state.load(cmp.indicator_comparison, *cmp.pair_ids(r))
    if ind.empty:
        st.info("该项目在两个年度都没有绩效指标。")
    else:
        ind_table = cmp.indicator_table(ind, base_year, year)
        st.dataframe(ind_table, hide_index=True, placeholder="—", width="stretch")
        download_buttons(ind_table, f"指标对比（{r.get('name') or r.get('base_name')}）", f.with_year(year),
                         key="exp_cmp_indicators", compared=[base_year])
        st.caption(f"改善 {(ind['change'] == 'better').sum()} 项，退步 {(ind['change'] == 'worse').sum()} 项。"
                   "按三级指标名称（忽略年份、空格和标点）对齐。")
with t_trend:
    tr = state.load(cmp.trend, f)
    if len(tr) >= 3:
        st.vega_lite_chart(spec=chart_spec("trend", tr, len(tr), base_year, year), width="stretch")
    else:
        st.info(f"历年趋势需要至少三个年度的数据（当前筛选下有 {len(tr)} 个年度）。")
