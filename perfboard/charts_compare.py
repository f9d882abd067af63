"""Charts of the year-over-year page: pure `DataFrame -> alt.Chart` over compare.Comparison frames.

Marks are capped (the N largest projects by budget; the budget-change bars fold the rest into one
"其他" bar so they still add up), and the title says so, so a province's data never ships
thousands of marks to the browser.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from .compare import STATUS_ZH

FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
WAN, RATE = ",.2f", ".1%"
TOP_N = 20
LABEL_LIMIT = 220
ROW = 26                # px per project row
STATUS_COLORS = {"延续": "#1f77b4", "新增": "#2e7d32", "不再安排": "#9e9e9e", "其他": "#b0bec5"}
UP, DOWN = "#2e7d32", "#c62828"


def _finish(chart, height):
    """height: pixels, or alt.Step(px) per row of a discrete y axis (so every label has room). One
    properties() call with the whole config: each of Altair's configure_*() deep-copies the chart."""
    config = alt.Config(font=FONT, axis=alt.AxisConfig(labelFont=FONT, titleFont=FONT, labelFontSize=12, titleFontSize=12),
                        legend=alt.LegendConfig(labelFont=FONT, titleFont=FONT, orient="top", title=None),
                        title=alt.TitleConfig(font=FONT, fontSize=14, anchor="start"), view=alt.ViewConfig(stroke=None))
    return chart.properties(height=height, width="container", config=config)


def labels(items: pd.DataFrame) -> pd.Series:
    """A project's label: this year's name, else last year's; repeated labels get the department."""
    lab = items["name"].where(items["name"].notna(), items["base_name"]).astype(str)
    dup = lab.duplicated(keep=False)
    if dup.any():
        lab = lab.where(~dup, lab + "（" + items["department"].astype(str) + "）")
    dup = lab.duplicated(keep=False)
    if dup.any():
        lab = lab.where(~dup, lab + " #" + pd.Series(range(len(lab)), index=lab.index).astype(str))
    return lab


def _title(text: str, shown: int, total: int) -> alt.TitleParams:
    sub = f"仅显示预算最大的 {shown} 个（共 {total:,} 个）" if shown < total else ""
    return alt.TitleParams(text, subtitle=sub, subtitleFont=FONT, subtitleColor="#666")


def rate_dumbbell_data(items: pd.DataFrame, top_n: int = TOP_N) -> tuple[pd.DataFrame, int]:
    """Continued projects with a rate in both years, the top_n by budget; long format (one row per
    project and year). Returns (rows, number of such projects before the cap)."""
    both = (items["status"] == "continued") & items["execution_rate"].notna() & items["base_execution_rate"].notna()
    total = int(both.sum())
    # cap first, without copying every continued row: labels for the shown rows only
    d = items.loc[items["size"][both].nlargest(top_n).index]
    d = d.assign(label=labels(d))
    keep = ["label", "execution_rate", "base_execution_rate", "execution_rate_change_pp", "budget", "base_budget"]
    return d[keep].reset_index(drop=True), total


def rate_dumbbell(items: pd.DataFrame, base_year: int, year: int, top_n: int = TOP_N) -> alt.Chart:
    """Execution rate per continued project in the two years: a grey bar from one to the other, a
    dot per year; sorted by the change, the largest fall on top."""
    return rate_dumbbell_chart(*rate_dumbbell_data(items, top_n), base_year, year)


def rate_dumbbell_chart(d: pd.DataFrame, total: int, base_year: int, year: int) -> alt.Chart:
    """rate_dumbbell from rate_dumbbell_data's rows (a page caches the spec on these few rows)."""
    base_label, year_label = f"{base_year} 年", f"{year} 年"
    long = pd.concat([d.assign(年度=base_label, rate=d["base_execution_rate"]),
                      d.assign(年度=year_label, rate=d["execution_rate"])], ignore_index=True)
    order = d.sort_values("execution_rate_change_pp")["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT))
    tips = [alt.Tooltip("label:N", title="项目"), alt.Tooltip("base_execution_rate:Q", title=f"{base_label}执行率", format=RATE),
            alt.Tooltip("execution_rate:Q", title=f"{year_label}执行率", format=RATE),
            alt.Tooltip("execution_rate_change_pp:Q", title="变化（百分点）", format="+.2f")]
    bar = alt.Chart(d).mark_rule(strokeWidth=3, color="#cfd8dc").encode(
        x=alt.X("base_execution_rate:Q", title="执行率", axis=alt.Axis(format="%")), x2="execution_rate:Q", y=y,
        tooltip=tips)
    dots = alt.Chart(long).mark_circle(size=90, opacity=1).encode(
        x="rate:Q", y=y, tooltip=tips,
        color=alt.Color("年度:N", scale=alt.Scale(domain=[base_label, year_label], range=["#90a4ae", "#1565c0"])))
    full = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="#555").encode(x="x:Q")
    chart = alt.layer(bar, dots, full).properties(title=_title(f"执行率 {base_label} → {year_label}", len(d), total))
    return _finish(chart, alt.Step(ROW))


def budget_change_data(items: pd.DataFrame, top_n: int = TOP_N) -> tuple[pd.DataFrame, int]:
    """Budget change per project (new: + its budget, discontinued: − last year's), the top_n by
    budget, the rest folded into one "其他 k 个项目" bar so the bars add up to the total change."""
    total = len(items)
    keep = items.nlargest(top_n, "size", keep="first")     # = a stable sort's head; labels for these only
    keep = keep.assign(label=labels(keep), status_zh=keep["status"].map(STATUS_ZH))
    cols = ["label", "status_zh", "budget", "base_budget", "budget_change", "budget_change_pct"]
    out = keep[cols]
    rest = total - len(keep)
    if rest:
        sums = {c: float(items[c].sum()) - float(keep[c].sum()) for c in ("budget", "base_budget", "budget_change")}
        other = {"label": f"其他 {rest} 个项目", "status_zh": "其他", **sums, "budget_change_pct": None}
        out = pd.concat([out, pd.DataFrame([other])], ignore_index=True)
    return out.reset_index(drop=True), total


def budget_change_bar(items: pd.DataFrame, base_year: int, year: int, top_n: int = TOP_N) -> alt.Chart:
    """Change of 全年预算数 per project in 万元, coloured by 延续 / 新增 / 不再安排."""
    return budget_change_chart(*budget_change_data(items, top_n), base_year, year)


def budget_change_chart(d: pd.DataFrame, total: int, base_year: int, year: int) -> alt.Chart:
    """budget_change_bar from budget_change_data's rows."""
    shown = len(d) - int((d["status_zh"] == "其他").sum())
    domain = [k for k in STATUS_COLORS if k in set(d["status_zh"])]
    chart = alt.Chart(d).mark_bar().encode(
        x=alt.X("budget_change:Q", title="全年预算数变化（万元）", axis=alt.Axis(format=",.0f")),
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        color=alt.Color("status_zh:N", scale=alt.Scale(domain=domain, range=[STATUS_COLORS[k] for k in domain])),
        tooltip=[alt.Tooltip("label:N", title="项目"), alt.Tooltip("status_zh:N", title="状态"),
                 alt.Tooltip("base_budget:Q", title=f"{base_year} 年（万元）", format=WAN),
                 alt.Tooltip("budget:Q", title=f"{year} 年（万元）", format=WAN),
                 alt.Tooltip("budget_change:Q", title="变化（万元）", format="+,.2f"),
                 alt.Tooltip("budget_change_pct:Q", title="变化率", format="+.1%")],
    ).properties(title=_title(f"全年预算数变化 {base_year} → {year}", shown, total))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#555").encode(x="x:Q")
    return _finish(alt.layer(chart, zero), alt.Step(ROW))


def trend_chart(trend: pd.DataFrame) -> alt.Chart:
    """Total budget and spent per year (bars, 万元) and the execution rate (line, right axis)."""
    d = trend.assign(年度=trend["year"].astype(int).astype(str) + " 年")
    money = d.melt(id_vars=["年度"], value_vars=["budget_wan", "spent_wan"], var_name="kind", value_name="wan")
    money["指标"] = money["kind"].map({"budget_wan": "全年预算数", "spent_wan": "全年执行数"})
    bars = alt.Chart(money).mark_bar().encode(
        x=alt.X("年度:N", title=None), xOffset="指标:N",
        y=alt.Y("wan:Q", title="万元", axis=alt.Axis(format=",.0f")),
        color=alt.Color("指标:N", scale=alt.Scale(domain=["全年预算数", "全年执行数"], range=["#90caf9", "#1565c0"])),
        tooltip=[alt.Tooltip("年度:N"), alt.Tooltip("指标:N"), alt.Tooltip("wan:Q", title="万元", format=WAN)])
    line = alt.Chart(d).mark_line(point=True, color="#e65100").encode(
        x="年度:N", y=alt.Y("execution_rate:Q", title="执行率", axis=alt.Axis(format="%", titleColor="#e65100")),
        tooltip=[alt.Tooltip("年度:N"), alt.Tooltip("execution_rate:Q", title="执行率", format=".2%")])
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(title="历年预算与执行")
    return _finish(chart, 280)
