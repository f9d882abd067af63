"""Small render helpers shared by pages: empty states, the 需关注 card, the data-quality strip, tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from perfboard.bands import pct_text
from perfboard.charts import execution_rate_chart
from perfboard.deviations import NO_MEASURE, NO_REASON
from perfboard.display import NAME_LIMIT, TEXT_LIMIT, md_text, plain
from ui import state
from ui.fmt import pct, wan

LIGHT_BADGE = {"绿": "green", "黄": "orange", "红": "red", "超预算": "violet", "无预算": "gray"}

MONEY = st.column_config.NumberColumn(format="%,.2f")     # 万元: two decimals, thousands separators
RATE = st.column_config.NumberColumn(format="percent")


def md(text, limit: int | None = TEXT_LIMIT) -> str:
    """Data (names, texts, file names, messages quoting them) for anything Streamlit renders as Markdown:
    st.markdown/caption/info/warning/error/success/toast, widget labels and help, metric, tab and
    expander labels, st.table cells. Shows as its literal characters: no link, image, icon, emoji,
    formula, directive or formatting (perfboard.display.md_text). Clipped past `limit` characters."""
    return md_text(text, limit)


def name(text) -> str:
    """A name inside a Markdown line or a label (clipped to NAME_LIMIT characters)."""
    return md_text(text, NAME_LIMIT)


def option(text) -> str:
    """A name as a select box / multiselect option (plain text there, but clipped and bidi-isolated)."""
    return plain(text, NAME_LIMIT)


def light_badge(light: str, rate) -> str:
    return f":{LIGHT_BADGE.get(light, 'gray')}-badge[{light} · {pct(rate)}]"


def light_legend(bands: dict) -> str:
    """The traffic-light colours named in one Markdown line (charts carry no colour legend)."""
    g, y = pct_text(bands["green"]), pct_text(bands["yellow"])
    return f":green[■ ≥{g}]　:orange[■ {y}–{g}]　:red[■ <{y}]　:violet[■ >100%]"


@st.cache_data(show_spinner=False, max_entries=64)
def _rate_chart_spec(rows: pd.DataFrame, bands: tuple, font_size: int) -> dict:
    # Not validated against the Vega-Lite schema on every build (that is half of to_dict's time): the
    # spec is the same either way, and tests/test_charts.py validates the chart's structure.
    return execution_rate_chart(rows, dict(bands), top_n=len(rows), font_size=font_size).to_dict(validate=False)


def rate_chart(rows: pd.DataFrame, bands: dict, font_size: int) -> None:
    """The execution-rate chart of rows already capped (perfboard.overview.rate_chart_rows). Building
    the Altair chart and its spec costs more than the queries behind it, so the spec is cached on
    the (few) rows, the bands and the type size: a rerun or a filter that leaves the bars alone
    reuses it."""
    st.vega_lite_chart(spec=_rate_chart_spec(rows, tuple(sorted(bands.items())), font_size), width="stretch")


def needs_data() -> None:
    """The empty state of an empty database; stops the page."""
    st.info("数据库中还没有项目数据。请先到“数据导入”页面上传自评表或导入表。", icon=":material/info:")
    st.page_link("pages/import_data.py", label="前往数据导入", icon=":material/upload_file:")
    st.stop()


def nothing_matches(description: str) -> None:
    """The empty state of a filter that matches nothing; stops the page."""
    st.info(f"当前筛选条件下没有项目（{md(description)}）。请调整或清除左侧筛选。", icon=":material/filter_alt_off:")
    st.stop()


def _placeholder_or(text: str, placeholder: str) -> str:
    return f":orange[**{placeholder}**]" if text == placeholder else md(text)


def attention_item(item: dict) -> None:
    """One project of the 需关注 list: name, light and rate, deviating indicators, reason, measures."""
    lines = [f"**{name(item['name'])}**　{light_badge(item['light'], item['execution_rate'])}"]
    if item["rate_mismatch"]:
        lines.append(f":orange[:material/warning: 填报执行率 {pct(item['reported_rate'])}，与计算值不一致]")
    lines.append(f"偏离指标：{md(item['deviating_indicators']) or '无'}")
    lines.append(f"偏离原因：{_placeholder_or(item['reason'], NO_REASON)}")
    lines.append(f"改进措施：{_placeholder_or(item['measures'], NO_MEASURE)}")
    st.markdown("  \n".join(lines))


def quality_strip(counts: dict, labels: dict, target_page: str) -> None:
    """The findings of the data-quality checks on one line, each a button that opens the offending
    rows on `target_page`; the checks that found nothing are summed up at the end of the line."""
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    for key, n in counts.items():
        if not n:
            continue
        label, short, unit = labels[key]
        if row.button(f"{short} {n} {unit}", key=f"dq_{key}", icon=":material/warning:",
                      help=f"{label}：{n} {unit}，点击查看", width="content"):
            st.session_state[state.K_DQ] = key
            st.session_state[state.K_DQ_OPEN] = True
            st.switch_page(target_page)
    passed = [labels[k][1] for k in counts if not counts[k]]
    if passed:
        row.caption(":green[:material/check_circle:] 未发现：" + "、".join(passed), width="content")


def table(df, money=(), rates=(), wide=(), widths=None, height="auto", key=None) -> None:
    """A sortable table: money columns as 万元, rate columns as percentages, long text columns wide;
    `widths` fixes pixel widths (so a totals table below lines up with its table)."""
    config = {c: MONEY for c in money} | {c: RATE for c in rates}
    config |= {c: st.column_config.TextColumn(width="large") for c in wide}
    for c, w in (widths or {}).items():
        kind = (st.column_config.NumberColumn(format="%,.2f", width=w) if c in money else
                st.column_config.NumberColumn(format="percent", width=w) if c in rates else
                st.column_config.Column(width=w))
        config[c] = kind
    config = {c: v for c, v in config.items() if c in df.columns}
    st.dataframe(df, hide_index=True, placeholder="—", width="stretch", height=height, column_config=config, key=key)


REPORT_ROWS = 100


def report_table(df, money=(), rates=(), flag=None) -> None:
    """A static table whose long texts (reasons, measures) wrap instead of hiding in a cell; numbers
    formatted as 万元 and percentages. Past REPORT_ROWS rows it falls back to a scrolling table."""
    if len(df) > REPORT_ROWS:
        st.caption(f"共 {len(df):,} 行，可滚动查看、点击列名排序。")
        table(df, money=money, rates=rates, wide=[c for c in df.columns if pd.api.types.is_string_dtype(df[c])][-2:])
        return
    shown = df.copy()
    for c in shown.columns:
        if c in money:
            shown[c] = shown[c].map(wan)
        elif c in rates:
            shown[c] = shown[c].map(pct)
        elif shown[c].dtype == bool:
            shown[c] = shown[c].map({True: "是", False: ""})
    if "填报不一致" in shown and "填报执行率" in shown:
        shown["填报执行率"] = [r + ("（与计算值不一致）" if bad else "")
                          for r, bad in zip(shown["填报执行率"], shown.pop("填报不一致") == "是")]
    for c in shown.columns:      # st.table renders every cell as Markdown
        shown[c] = shown[c].map(lambda v: md(v) if isinstance(v, str) else v)
    st.table(shown.style.apply(_report_styles, axis=None, money=money, rates=rates), hide_index=True)


_SHORT = ("状态", "判定", "判定方式", "一级指标", "二级指标", "年度指标值")
_FLAG_STYLE = "white-space: nowrap; color: #b45309; font-weight: 600"


def _report_styles(shown: pd.DataFrame, money=(), rates=()) -> pd.DataFrame:
    """The CSS of every cell of a report table in one pass (one Styler step, not three): numbers
    right-aligned, short columns unwrapped, the 未填写 placeholders of reasons and measures marked.
    The same declarations in the same order as three Styler steps would give."""
    css = {}
    for c in shown.columns:
        number = c in money or c in rates
        base = "text-align: right; white-space: nowrap;" if number else "white-space: nowrap;" if c in _SHORT else ""
        column = np.full(len(shown), base, dtype=object)
        flags = shown[c].isin((NO_REASON, NO_MEASURE)).to_numpy()
        column[flags] = base + _FLAG_STYLE
        css[c] = column
    return pd.DataFrame(css, index=shown.index, columns=shown.columns)


def illustrative(filters, compared=()) -> None:
    """The 示例（虚构） label next to data of an invented sample year, or compared against one (issue 15); nothing
    for real data. Which years are illustrative is perfboard.sample's decision."""
    from perfboard.sample import FICTIONAL_LABEL, illustrative_note
    note = state.load(illustrative_note, filters, tuple(int(y) for y in compared if y is not None))
    if note:
        st.caption(f":orange-badge[{FICTIONAL_LABEL}] " + md(note))
