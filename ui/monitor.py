"""Streamlit pieces of the 执行监控 page (issue 17): the empty state, the period picker, the at-risk cards."""
from __future__ import annotations

import streamlit as st

from perfboard import monitoring
from perfboard.template import monitoring_template_bytes
from ui import state
from ui.export import XLSX_MIME
from ui.fmt import pct, wan_unit
from ui.render import md

K_YEAR, K_PERIOD = "mon_year", "mon_period"
LIGHT_BADGE = {"绿": "green", "黄": "orange", "红": "red", "蓝": "blue", "无预算": "gray"}


def empty_state() -> None:
    """No snapshot at all: what to upload, and the template; stops the page."""
    st.info("还没有运行监控数据。年度中期（通常为 1—6月、1—7月或 1—8月），请到“数据导入”页面上传各单位填报的"
            "《项目支出绩效目标执行监控表》（每个工作表一张，或多张上下排列），或填好的运行监控导入模板"
            "（“执行监控”“监控指标”两个工作表）。导入后本页按序时进度（月数 ÷ 12）显示执行进度、指标进度和风险项目。",
            icon=":material/info:")
    st.download_button("下载运行监控导入模板（.xlsx）", data=monitoring_template_bytes, file_name="PerfBoard运行监控模板.xlsx",
                       mime=XLSX_MIME, key="mon_template")
    st.page_link("pages/import_data.py", label="前往数据导入", icon=":material/upload_file:")
    st.stop()


def pick_period(sidebar_year: int | None) -> tuple[int, int]:
    """Year and 监控期 pickers over the snapshots held; the sidebar's year first when it has one."""
    snaps = state.load(monitoring.periods)
    if snaps.empty:
        empty_state()
    years = sorted({int(y) for y in snaps["year"]}, reverse=True)
    if st.session_state.get(K_YEAR) not in years:
        st.session_state[K_YEAR] = sidebar_year if sidebar_year in years else years[0]
    left, right, _ = st.columns([1, 1, 3])
    year = left.selectbox("监控年度", years, key=K_YEAR, format_func=lambda y: f"{y} 年度")
    months = [int(m) for m in snaps.loc[snaps["year"] == year, "period_month"]]
    if st.session_state.get(K_PERIOD) not in months:
        st.session_state[K_PERIOD] = months[0]
    period = right.selectbox("监控期", months, key=K_PERIOD, format_func=lambda m: f"1—{m}月（序时进度 {m / 12:.1%}）")
    return int(year), int(period)


def badge(light: str | None, text: str = "") -> str:
    light = light or "待判定"
    return f":{LIGHT_BADGE.get(light, 'gray')}-badge[{light}{' · ' + text if text else ''}]"


def risk_item(item: dict) -> None:
    """One at-risk project: name, light and rate, the reasons, the causes and likelihoods its indicators state."""
    lines = [f"**{md(item['name'])}**　{badge(item['light'], pct(item['execution_rate'], 1))}　"
             f":gray[{md(item['department'])}]"]
    for reason in item["risk_reasons"]:
        lines.append(f"- {md(reason)}")
    if item["causes"]:
        lines.append("偏差原因：" + md("、".join(item["causes"])))
    if item["likelihood"]:
        lines.append("完成目标可能性：" + md("、".join(f"{k} {v} 项" for k, v in item["likelihood"].items())))
    if item["forecast_spent"] is not None:
        lines.append(f"全年预计执行数 {wan_unit(item['forecast_spent'])}（预算 {wan_unit(item['budget'])}）")
    st.markdown("  \n".join(lines))


def settings_panel() -> None:
    """设置 › 运行监控规则: the thresholds, shown to everyone, changed by administrators (audited)."""
    from perfboard import auth
    from ui.auth import current_user
    store = state.store()
    rules = state.load(monitoring.get_rules)
    st.subheader("运行监控规则")
    st.caption("用于“执行监控”页面、命令行 monitor 和监控导出的红绿灯与风险判定。序时进度 = 监控月数 ÷ 12。")
    st.markdown(md(monitoring.describe_rules(rules)))
    if not auth.can(current_user(), "admin"):
        return
    with st.form("monitor_rules", width=520):
        values = {}
        for key, label in monitoring.RULES_ZH.items():
            values[key] = st.number_input(label + "（%）", min_value=0.0, max_value=500.0, step=1.0,
                                          value=round(rules[key] * 100, 4), format="%.1f", key=f"set_mon_{key}") / 100
        submitted = st.form_submit_button("保存", type="primary")
    if submitted:
        try:
            errors = monitoring.save_rules(store, values, state.user_name())
        except auth.PermissionDenied as exc:
            errors = [str(exc)]
        for message in errors:
            st.error(message)
        if not errors:
            state.flash("已保存运行监控规则。")
            st.rerun()
    if rules != monitoring.DEFAULT_RULES and st.button("恢复默认监控规则"):
        try:
            monitoring.save_rules(store, dict(monitoring.DEFAULT_RULES), state.user_name())
        except auth.PermissionDenied as exc:
            state.flash(str(exc), "error")
        else:
            for key in monitoring.RULES_ZH:
                st.session_state.pop(f"set_mon_{key}", None)
            state.flash("已恢复默认运行监控规则。")
        st.rerun()


def overview_trajectory(filters) -> None:
    """总览: when the year has monitoring snapshots, how each project stood at each one (“7月 30.0% → 年末 99.0%”),
    in a closed expander."""
    traj = state.load(monitoring.trajectory, filters)
    if traj.empty:
        return
    total = traj.attrs.get("total", len(traj))
    with st.expander(f"运行监控轨迹：{total:,} 个项目有年中监控数据（执行率 → 年末自评执行率）", icon=":material/timeline:"):
        if total > len(traj):
            st.caption(f"列出 {len(traj):,} 个（监控期最多的在前）；全部见“执行监控”页。")
        from ui.render import table
        table(traj, wide=["执行进度"])


def brief_buttons(filters, year: int, period: int) -> None:
    """The one-page monitoring brief (.docx / .pdf) of the period shown, built when a button is clicked."""
    from perfboard.export.fonts import FontMissing, find_cjk_font
    from perfboard.export.monitor_brief import monitor_brief_bytes
    from ui.auth import download           # the brief is built at the click, for a session still valid then
    from ui.export import DOCX_MIME, PDF_MIME, file_name
    store = state.store()
    try:
        find_cjk_font()
        font_problem = None
    except FontMissing as exc:
        font_problem = str(exc)
    title = f"运行监控简报-1—{period}月"
    b1, b2, _ = st.columns([1, 1, 3])
    b1.download_button("监控简报（.docx）", data=download(lambda u: monitor_brief_bytes(store, filters, year, period, "docx", u)),
                       file_name=file_name(title, filters, "docx"), mime=DOCX_MIME, key="mon_brief_docx",
                       icon=":material/slideshow:", on_click="ignore")
    b2.download_button("监控简报（.pdf）", data=download(lambda u: monitor_brief_bytes(store, filters, year, period, "pdf", u)),
                       file_name=file_name(title, filters, "pdf"), mime=PDF_MIME, key="mon_brief_pdf",
                       icon=":material/picture_as_pdf:", on_click="ignore", disabled=font_problem is not None)
    if font_problem:
        st.caption(font_problem)


@st.cache_data(show_spinner=False, max_entries=32)
def _chart_spec(rows, time_progress: float, font_size: int) -> dict:
    from perfboard.charts_monitor import monitor_rate_chart
    # not validated on every build (tests/test_monitoring.py validates the chart): a rerun reuses the spec
    return monitor_rate_chart(rows, time_progress, font_size).to_dict(validate=False)


def rate_chart(rows, time_progress: float, font_size: int) -> None:
    """The execution chart; building the Altair spec costs more than the query behind it, so it is cached."""
    st.vega_lite_chart(spec=_chart_spec(rows, time_progress, font_size), width="stretch")
