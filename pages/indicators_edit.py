"""指标填报: one project's money, texts and indicator table, edited in place, checked, scored and saved
with an audit trail; unsaved edits stay in the session until saved or discarded."""
import streamlit as st

from perfboard import editing, scoring
from perfboard.auth import PermissionDenied
from perfboard.export.tables import infer_spec
from perfboard.filters import Filters
from ui import drafts, picker, render, state
from ui.export import download_buttons
from ui.fmt import pct

st.title("指标填报")
state.show_flash()
store = state.store()
state.keep(state.K_EDIT_PROJECT)
rows_by_id, _ = picker.projects(state.filters(), keep=st.session_state.get(state.K_EDIT_PROJECT))
if not rows_by_id:
    st.info("当前筛选条件下没有项目。请调整左侧筛选，或先到“数据导入”页面导入数据。", icon=":material/info:")
    st.stop()


def _label(pid: int) -> str:
    # No unsaved marker in the label: a label that changes between runs would make the widget start over.
    year, _, name = rows_by_id[pid]
    return f"{year} 年 · {render.option(name)}"


choices = list(rows_by_id)
if st.session_state.get(state.K_EDIT_PROJECT) not in rows_by_id:
    st.session_state[state.K_EDIT_PROJECT] = choices[0]
state.keep(state.K_USER)
c1, c2 = st.columns([4, 1])
pid = c1.selectbox("项目（按左侧筛选）", choices, key=state.K_EDIT_PROJECT, format_func=_label)
c2.text_input("填报人", key=state.K_USER, placeholder="匿名", help="保存时记入修改记录")
render.illustrative(Filters(year=rows_by_id[pid][0], departments=(rows_by_id[pid][1],)))

current = editing.load_state(store, pid)
d = drafts.draft_for(current)
levels, cfg = state.load(editing.indicator_levels), state.load(scoring.scoring_settings)
others = drafts.others_unsaved(current)
if others:
    st.caption(":orange[● 其他项目也有未保存的修改：" + "、".join(render.name(o) for o in others) + "]")

status_box, score_box = st.container(), st.container()
with st.expander("项目资金与文字说明（年度总体目标、实际完成情况、偏离原因、改进措施）"):
    drafts.project_fields(d)

st.markdown("**绩效指标**　按一级、二级指标分组，顺序同自评表。可直接修改单元格，在表格末行新增指标，选中行后删除。")
drafts.indicator_table(d, levels)

score = editing.draft_score(d.state, d.fields, d.rows, cfg)
issues = editing.validate(d.state, d.fields, d.rows, levels, cfg, score=score)      # scored once, shown below
errors = [i for i in issues if i.severity == "error"]
warnings = [i for i in issues if i.severity == "warning"]
if errors:
    st.error("**不能保存，请先更正：**\n" + "\n".join(f"- {render.md(i.message)}" for i in errors),
             icon=":material/block:")
if warnings:
    st.warning("**请检查（不影响保存）：**\n" + "\n".join(f"- {render.md(i.message)}" for i in warnings),
               icon=":material/warning:")
for i in issues:
    if i.severity == "info":
        st.caption(f":material/info: {render.md(i.message)}")

pending = d.pending()
b1, b2, b3 = st.columns([1, 1, 4], vertical_alignment="center")
if b1.button("保存", type="primary", icon=":material/save:", disabled=bool(errors) or not pending):
    try:
        result = editing.save(store, d.state, d.fields, d.rows, state.user_name(), levels, cfg)
    except editing.EditConflict as exc:
        st.error(render.md(str(exc)) + ("\n\n对方的修改：\n" + "\n".join(f"- {render.md(c)}" for c in exc.changes)
                                        if exc.changes else ""),
                 icon=":material/sync_problem:")
    except (editing.EditRefused, PermissionDenied) as exc:
        st.error(f"未保存：{render.md(exc)}")
    else:
        drafts.reset(result.state)
        state.flash(result.message)
        st.rerun()
if b2.button("放弃修改", icon=":material/undo:", disabled=not pending):
    drafts.reset(current)
    st.rerun()
if b3.button("查看本项目的修改记录", icon=":material/history:", type="tertiary"):
    st.session_state[state.K_HIST_PROJECT] = pid
    st.switch_page("pages/history.py")

with status_box:
    if pending:
        st.warning(f"**● 未保存：{pending} 处修改。** 点击下方“保存”后才会写入数据库并记入修改记录；"
                   "切换项目或页面不会丢失，关闭浏览器会丢失。", icon=":material/edit_note:")
    if d.state.token != current.token:
        st.error("此项目在您开始修改后已被他人修改，现在保存会被拒绝。可“放弃修改”载入最新数据后重新填写。\n"
                 + "\n".join(f"- {render.md(c)}" for c in editing.describe(d.state, current)),
                 icon=":material/sync_problem:")

with score_box:
    est = "（估算）" if score.estimated else ""
    m = st.columns(4)
    m[0].metric("预算执行得分", f"{score.execution_score:.2f} / {score.execution_weight:g}",
                help=f"执行率 {pct(score.execution_rate)}，得分 = min(执行率, 100%) × {score.execution_weight:g}")
    m[1].metric("指标得分" + est, f"{score.indicator_score:.2f} / {score.indicator_weight:g}",
                help="未填写分值时按默认分值估算：产出 50、效益 30、满意度 10（按实际有的一级指标折算），一级内平均分配")
    m[2].metric("总分" + est, f"{score.total:.2f}")
    m[3].metric("等级" + est, score.grade or "待判定",
                help=None if score.grade else "有指标缺实际完成值或尚未判定，总分只是下限，暂不评定等级")
    if score.estimated:
        st.caption(":orange-badge[估算] 本项目未填写指标分值，得分按默认分值估算，仅供参考。")

with st.expander("评分明细"):
    score_table = score.table()
    st.dataframe(score_table, hide_index=True, placeholder="—", width="stretch",
                 column_config={"得分比例": st.column_config.NumberColumn(format="percent")})
    download_buttons(score_table, f"评分明细（{_label(pid)}）", state.filters(),
                     spec=infer_spec(score_table, rates=("得分比例",)), key="exp_score")
    for finding in score.findings:
        st.markdown(f"- {scoring.FINDINGS_ZH.get(finding.code, finding.code)}：{render.md(finding.text())}")
