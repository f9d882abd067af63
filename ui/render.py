"""Small render helpers shared by pages: empty states, the 需关注 card, the data-quality strip, tables."""
from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from pandas.io.formats.style_render import maybe_convert_css_to_tuples

from perfboard.bands import pct_text
from perfboard.charts import execution_rate_spec
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
    from streamlit.elements import vega_charts
    with vega_charts._altair_globals_lock:    # Altair's data transformer is global; Streamlit switches it under this lock
        return execution_rate_spec(rows, dict(bands), top_n=len(rows), font_size=font_size)   # = the chart's to_dict


def rate_chart(rows: pd.DataFrame, bands: dict, font_size: int) -> None:
    """The execution-rate chart of rows already capped (perfboard.overview.rate_chart_rows). Building
    the Altair chart and its spec costs more than the queries behind it, so the spec is cached on
    the (few) rows, the bands and the type size: a rerun or a filter that leaves the bars alone
    reuses it."""
    st.vega_lite_chart(spec=_rate_chart_spec(rows=rows, bands=tuple(sorted(bands.items())), font_size=font_size),
                       width="stretch")


def altair_spec(chart) -> dict:
    """What st.altair_chart sends for an Altair `chart`: Streamlit's own conversion (the "none" theme, so no
    default sizes; each data frame as Arrow bytes named by their hash), the same dict, but without
    validating it against the Vega-Lite schema (most of to_dict's time; validation changes nothing in the
    dict, and tests/test_charts.py validates the charts). st.vega_lite_chart(spec=altair_spec(chart)) is
    then the same element as st.altair_chart(chart) (tests/test_render_charts.py)."""
    from contextlib import nullcontext

    import altair as alt
    from streamlit.elements import vega_charts

    datasets: dict = {}
    alt.data_transformers.register("to_arrow_dataset", vega_charts._to_arrow_dataset)
    with vega_charts._altair_globals_lock:          # the theme and the transformer are global to all threads
        theme = alt.theme.enable("none") if alt.theme.active == "default" else nullcontext()
        with theme, alt.data_transformers.enable("to_arrow_dataset", datasets=datasets):
            spec = chart.to_dict(validate=False)
    existing = spec.get("datasets")
    spec["datasets"] = {**existing, **datasets} if isinstance(existing, dict) else datasets
    return spec


@st.cache_data(show_spinner=False, max_entries=128)
def _chart_spec(fn_path: str, args: tuple, kwargs: tuple) -> dict:
    import altair as alt
    module, name = fn_path.rsplit(".", 1)
    # Altair's debug mode validates every schema object as it is made (a third of a chart's build); the
    # objects and the spec are the same without it, and tests/test_charts.py validates the charts
    with alt.utils.schemapi.debug_mode(False):
        chart = getattr(importlib.import_module(module), name)(*args, **dict(kwargs))
    return altair_spec(chart)


def altair_chart(fn, *args, width="stretch", **kwargs) -> None:
    """st.altair_chart(fn(*args, **kwargs), width=width), the chart's spec cached on the builder and its
    arguments (the few rows a chart draws, the type size): building an Altair chart and its spec costs
    more than the queries behind it, so a rerun, another session or a filter that leaves the bars alone
    reuses the spec. `fn` is a builder of perfboard.charts (a module-level function)."""
    st.vega_lite_chart(spec=_chart_spec(fn_path=f"{fn.__module__}.{fn.__qualname__}", args=args,
                                        kwargs=tuple(sorted(kwargs.items()))), width=width)


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
    st.table(styled(shown, _report_styles(shown, money=money, rates=rates)), hide_index=True)


def styled(shown: pd.DataFrame, css: pd.DataFrame) -> Styler:
    """`shown` as a pandas Styler whose cells carry the CSS of `css` (same shape: a declaration string per
    cell, "" for none): what `shown.style.apply(lambda _: css, axis=None)` gives st.table, without pandas'
    HTML rendering model. st.table reads a Styler through `_compute()` and `_translate()` (the cell styles
    grouped by declarations, and every cell's display value); building the whole render model costs
    tens of milliseconds for a hundred rows, more than the page's queries. Here only what st.table reads
    is made: the cells with a style, grouped as pandas groups them (same declarations, same order), and
    the display values that differ from the cell's plain text (pandas' own formatter of each cell).
    tests/test_render_report_table.py checks the marshalled table equals the Styler's, byte for byte."""
    styler = shown.style
    values, rules = css.to_numpy(), {}
    parsed: dict[str, tuple] = {}
    for r in range(values.shape[0]):
        for c in range(values.shape[1]):
            text = values[r, c]
            if not text:
                continue
            props = parsed.get(text)
            if props is None:
                props = parsed[text] = tuple(maybe_convert_css_to_tuples(text))
            if props:
                rules.setdefault(props, []).append(f"row{r}_col{c}")
    cells = []
    for c, column in enumerate(shown.columns):
        if shown[column].dtype.kind in "iub":       # ints and bools: pandas shows str(value), as astype(str) does
            continue
        data = shown[column].tolist()
        if all(type(v) is str for v in data):     # shown as the text itself, which is what astype(str) gives
            continue
        cells += [{"id": f"row{r}_col{c}", "display_value": styler._display_funcs[(r, c)](v)}
                  for r, v in enumerate(data)]
    translated = {"cellstyle": [{"props": list(p), "selectors": s} for p, s in rules.items()], "body": [cells]}
    styler._compute = lambda: styler                                    # what st.table calls, in this order
    styler._translate = lambda *args, **kwargs: translated
    return styler


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
