"""数据导入: upload -> validation report -> preview -> commit."""
import streamlit as st

from perfboard.auth import PermissionDenied
from perfboard.importer import ImportRefused, commit, may_import, prepare
from perfboard.sample import sample_in_use
from perfboard.template import template_bytes
from ui import render, state, upload_cache
from ui import sample as sample_ui
from ui.auth import current_user

K_UPLOAD, K_DEPT, K_REPLACE, K_DROP_SAMPLE = "imp_files", "imp_department", "imp_replace", "imp_remove_sample"

st.title("数据导入")
state.show_flash()
st.markdown("上传一个或多个文件：扁平导入表（“项目”“绩效指标”两个工作表）、项目支出绩效自评表（每个工作表一个项目），"
            "或 CSV（UTF-8 或 GBK 编码均可）；年中的《项目支出绩效目标执行监控表》和运行监控模板也在这里导入（见“执行监控”页）。"
            "系统先**校验**并**预览**，确认后才写入数据库。")
# data=template_bytes: the workbook is built at the click, not on every run of the page (it costs more than the page)
st.download_button("下载空白导入模板（.xlsx）", data=template_bytes, file_name="PerfBoard导入模板.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

store = state.store()
user = current_user()
refused = may_import(store, user)            # before any file is received or parsed
if refused:
    st.error(f"{refused}。如需导入，请联系管理员调整账户权限。")
    st.stop()

samples = state.load(sample_in_use)
if samples:
    st.info("数据库中现有随附的示例数据（" + render.md("、".join(samples)) + "）。导入本单位数据时可在预览中选择一并删除，"
            "也可以现在删除。")
    sample_ui.remove_button("import")

# Streamlit 1.67 has no option for the drop zone's own texts (its button reads "Upload"): the label and the
# help say in Chinese what to do, naming the button as it is shown.
files = st.file_uploader("选择文件（拖入下框，或点击框内的 Upload 按钮选择）", type=["xlsx", "xlsm", "xls", "csv"],
                         accept_multiple_files=True, key=K_UPLOAD,
                         help="可一次选择多个文件：.xlsx、.xlsm、.xls 或 .csv，每个不超过 50 MB。")
department = st.text_input("指定主管部门（可选；填写后覆盖文件中的主管部门）", key=K_DEPT).strip() or None
if not files:
    st.stop()

payload = [(f.name, f.getvalue()) for f in files]
plan = prepare(store, payload, department, replace=st.session_state.get(K_REPLACE, False), user=user,
               parsed=upload_cache.parsed(department),        # a rerun (a keystroke, a checkbox) does not parse again
               remove_sample=bool(samples) and st.session_state.get(K_DROP_SAMPLE, True))
report = plan.report

st.subheader("校验报告")
if report.problems:
    n_err, n_warn = report.error_count, len(report.warnings)
    (st.error if n_err else st.warning if n_warn else st.info)(report.count_text() + "。" + ("有错误时不能导入，请修改文件后重新上传。" if n_err else ""))
    st.dataframe(report.to_frame(), hide_index=True, placeholder="—", width="stretch",
                 column_config={"说明": st.column_config.TextColumn(width="large")})
else:
    st.success("未发现问题。")

if plan.sample_loaded:
    st.checkbox("同时删除示例数据（与本次导入在同一事务中完成）", key=K_DROP_SAMPLE, value=True,
                help="勾选后，确认导入时一并删除随附的示例数据；导入失败则两者都不发生。")
if plan.existing_scopes:
    st.checkbox("替换已有数据：" + "、".join(f"{y} 年度 {render.name(d)}" for y, d in plan.existing_scopes), key=K_REPLACE)

if plan.batches and any(b.project_count for b in plan.batches):
    st.subheader("导入预览")
    for b in plan.batches:
        if b.project_count:
            st.markdown(f"**{render.name(b.file_name)}**：{b.project_count:,} 个项目，{b.indicator_count:,} 条指标")
            st.dataframe(b.projects_frame(), hide_index=True, placeholder="—", width="stretch",
                         column_config={"执行率": st.column_config.NumberColumn(format="percent"),
                                        "填报执行率": st.column_config.NumberColumn(format="percent"),
                                        "全年预算数（万元）": st.column_config.NumberColumn(format="%.2f"),
                                        "全年执行数（万元）": st.column_config.NumberColumn(format="%.2f")})

if st.button("确认导入", type="primary", disabled=not plan.ok):
    try:
        commit(store, plan, user=current_user())
    except (ImportRefused, PermissionDenied) as exc:
        st.error(f"未导入：{render.md(exc)}")
    else:
        st.session_state.pop(K_UPLOAD, None)
        upload_cache.clear()
        st.session_state.pop(K_REPLACE, None)
        st.session_state.pop(K_DROP_SAMPLE, None)
        state.warm_up(store)
        state.flash(f"已导入 {plan.projects:,} 个项目、{plan.indicators:,} 条指标。"
                    + ("已删除示例数据。" if plan.remove_sample and plan.sample_loaded else ""))
        st.rerun()
