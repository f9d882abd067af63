"""自评复核: the review rules' findings under the sidebar filters, the units that need attention first, each
finding grouped by severity and 维度, linked to its project in 指标填报, and marked 已核实 / 不采纳 by a reviewer
(perfboard.review; the same rows as `python -m perfboard review --json`)."""
import streamlit as st

from perfboard import review
from perfboard.auth import PermissionDenied
from perfboard.export.workpaper import workpaper_xlsx
from perfboard.sample import fictional_years
from ui import render, state
from ui.auth import download
from ui.export import XLSX_MIME, file_name
from ui.paging import page_slice

K_RULES, K_SEVERITY, K_STATUS, K_PICK = "rv_rules", "rv_severity", "rv_status", "rv_pick"
TABLE_COLUMNS = {"dimension": "复核维度", "title": "规则", "department": "主管部门", "project": "项目",
                 "location": "位置", "message": "复核发现", "status_zh": "复核状态"}

f = state.filters()
st.title("自评复核" + (f"　{f.year} 年度" if f.year else ""))
state.show_flash()
if f.year is None:
    render.needs_data()
store = state.store()
st.caption(f"{render.md(f.describe())}　·　按复核规则检查自评数据（规则与阈值见“设置 › 自评复核规则”），"
           "逐条核实后标记“已核实”或“不采纳”。")
render.illustrative(f)

c1, c2, c3 = st.columns([3, 1, 1])
rules = c1.multiselect("复核规则", list(review.RULES), key=K_RULES, placeholder="全部规则",
                       format_func=lambda c: f"{review.RULES[c].title}（{c}）")
severities = c2.multiselect("等级", list(review.SEVERITIES), key=K_SEVERITY, placeholder="全部等级")
statuses = c3.multiselect("复核状态", list(review.STATUSES), key=K_STATUS, placeholder="全部状态",
                          format_func=review.STATUS_ZH.get)
with st.spinner("正在按复核规则检查（全省数据首次约需十余秒，之后直到数据或设置改变前不再重算）…"):
    # the year's findings are stored once per data version and settings; each rerun reads in SQL only the
    # counts and the rows shown (perfboard.review.PageView)
    view = review.page_view(store, f, rules, severities, statuses)

by_sev = view.by_severity()
m = st.columns(5)
for i, sev in enumerate(review.SEVERITIES):
    m[i].metric(review.SEVERITY_ZH[sev], f"{by_sev[sev]:,}")
m[3].metric("待核实", f"{view.open():,}")
m[4].metric("涉及单位", f"{view.unit_count():,}")
fictional = state.load(fictional_years)
st.download_button("导出复核底稿（Excel）",
                   data=download(lambda _user: workpaper_xlsx(view.all(), f.describe(), fictional=fictional)),
                   file_name=file_name("自评复核底稿", f, "xlsx"), mime=XLSX_MIME, key="rv_workpaper",
                   icon=":material/download:", on_click="ignore", disabled=not view.total())
if not view.total():
    st.success("当前筛选条件下未发现问题。", icon=":material/check_circle:")
    st.stop()

st.markdown("**各单位发现**（待核实的 P0、P1 多的单位在前）")
units = view.units().rename(columns={"year": "年度", "department": "主管部门", "open": "待核实", "total": "合计"})
render.table(units.head(200), key="rv_units")
with st.expander("复核记录（最近 200 条）"):
    log = review.decision_log(store, f)
    if len(log):
        log = log.assign(old_status=log["old_status"].map(review.STATUS_ZH), new_status=log["new_status"].map(review.STATUS_ZH))
        st.dataframe(log.rename(columns={"changed_at": "时间", "user_name": "复核人", "code": "规则", "year": "年度",
                                         "department": "主管部门", "project_name": "项目", "indicator": "指标",
                                         "old_status": "原状态", "new_status": "新状态", "reason": "理由"}),
                     hide_index=True, width="stretch", placeholder="—")
    else:
        st.caption("还没有复核记录。")


def _titled(rows):
    return rows.assign(title=rows["code"].map(lambda c: review.RULES[c].title),
                       status_zh=rows["status"].map(review.STATUS_ZH))


for sev in review.SEVERITIES:
    if not by_sev[sev]:
        continue
    dims = "、".join(f"{d} {n:,}" for d, n in view.dimensions(sev))
    st.subheader(f"{review.SEVERITY_ZH[sev]}（{by_sev[sev]:,} 条：{dims}）")
    limit, offset = page_slice(by_sev[sev], f"rv_page_{sev}")
    shown = _titled(view.rows(sev, offset, limit))
    event = st.dataframe(shown[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS), hide_index=True,
                         width="stretch", placeholder="—", on_select="rerun", selection_mode="single-row",
                         key=f"rv_table_{sev}")
    if event.selection.rows:
        st.session_state[K_PICK] = shown.iloc[event.selection.rows[0]]["key"]

picked = view.picked(st.session_state.get(K_PICK))
if not len(picked):
    st.info("在上面的表格中点选一条发现，查看事实及判定、核验依据，并标记复核结论。", icon=":material/touch_app:")
    st.stop()

r = picked.iloc[0]
rule = review.RULES[r["code"]]
st.divider()
st.markdown(f"**[{r['severity']}] {render.md(rule.title)}**　{render.md(r['dimension'])}　·　"
            f"{render.md(r['department'])}" + (f" · {render.md(r['project'])}" if isinstance(r["project"], str) else "")
            + f"  \n位置：{render.md(r['location'])}  \n复核发现：{render.md(r['message'])}"
            f"  \n事实及判定：{render.md(r['fact'])}  \n处理建议：{render.md(rule.suggestion)}"
            f"  \n核验依据：{render.md(rule.basis)}  \n复核状态：**{review.STATUS_ZH[r['status']]}**"
            + (f"（{render.md(r['decided_by'])}：{render.md(r['reason'])}）" if isinstance(r["reason"], str) else ""))
if isinstance(r["project"], str) and r["project_id"] is not None:
    if st.button("在指标填报中打开此项目", icon=":material/edit_note:"):
        st.session_state[state.K_EDIT_PROJECT] = int(r["project_id"])
        state.flash(f"自评复核：{r['location']} — {r['message']}", "info")
        st.switch_page("pages/indicators_edit.py")

with st.form("rv_decide", width=640):
    choice = st.radio("复核结论", ["verified", "rejected", "open"], horizontal=True,
                      format_func={"verified": "已核实", "rejected": "不采纳", "open": "待核实（撤销结论）"}.get)
    reason = st.text_input("理由（不采纳时必填）", max_chars=500)
    if st.form_submit_button("保存复核结论", type="primary"):
        try:
            review.decide(store, r.to_dict(), choice, reason, state.user_name())
        except (PermissionDenied, review.DecisionError) as exc:
            st.error(f"未保存：{render.md(exc)}")
        else:
            state.flash(f"已保存复核结论：{review.STATUS_ZH[choice]}（{rule.title} · {r['location']}）")
            st.rerun()

