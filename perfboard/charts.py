"""Chart builders: pure `DataFrame -> alt.Chart` functions over a projects() frame, Chinese labels.

Every builder caps its marks (the N most telling projects plus one "其他" bar), so a database of
thousands of projects never ships thousands of bars to the browser.
"""
from __future__ import annotations

import copy
from functools import lru_cache

import altair as alt
import pandas as pd
from altair.vegalite.data import default_data_transformer

from .bands import pct_text
from .filters import DEFAULT_BANDS

LIGHT_COLORS = {"绿": "#2e7d32", "黄": "#e6a100", "红": "#c62828", "超预算": "#7b1fa2",
                "无预算": "#9e9e9e", "其他": "#90a4ae"}
OTHER = "其他"
FONT = "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"
WAN = ",.2f"
RATE = ".2%"
LABEL_LIMIT = 200       # px; longer project names end in "…" with the full name in the tooltip


def _configure(chart, font_size: int):
    """The chart (a copy) with the fonts and no view border: what chart.configure(font=...)
    .configure_axis(...).configure_legend(...).configure_text(...).configure_view(...) makes, in one
    copy instead of five (each copy of a layered chart rebuilds it, several ms apiece)."""
    config = alt.Config(font=FONT)
    config["axis"] = alt.AxisConfig(labelFontSize=font_size, titleFontSize=font_size, labelFont=FONT, titleFont=FONT)
    config["legend"] = alt.LegendConfig(labelFontSize=font_size, titleFontSize=font_size, labelFont=FONT,
                                        titleFont=FONT)
    config["text"] = alt.MarkConfig(font=FONT)
    config["view"] = alt.ViewConfig(stroke=None)
    out = chart.copy(deep=False)
    out.config = config
    return out


def unique_labels(df: pd.DataFrame) -> pd.Series:
    """Axis labels: the project name, made unique with the department (then the id) when repeated."""
    labels = df["name"].astype(str)
    dup = labels.duplicated(keep=False)
    if dup.any() and "department" in df:
        labels = labels.where(~dup, labels + "（" + df["department"].astype(str) + "）")
    dup = labels.duplicated(keep=False)
    if dup.any():
        labels = labels.where(~dup, labels + " #" + df["id"].astype(str))
    return labels


def other_row(count: int, budget: float, spent: float) -> dict:
    """The folded "其他 k 个项目" row of a capped chart (its rate the weighted rate)."""
    return {"id": -1, "name": f"{OTHER} {count} 个项目", "label": f"{OTHER} {count} 个项目",
            "department": "", "budget": budget, "spent": spent,
            "execution_rate": spent / budget if budget > 0 else None, "reported_rate": None, "light": OTHER}


def cap_projects(df: pd.DataFrame, top_n: int, order: pd.Series) -> pd.DataFrame:
    """Keep the `top_n` rows ranking highest by `order`; fold the rest into one "其他 k 个项目" row
    (budget and spent summed, its rate the weighted rate)."""
    frame = df.assign(_order=order.to_numpy()).sort_values("_order", ascending=False, kind="stable")
    keep, rest = frame.head(top_n).drop(columns="_order"), frame.iloc[top_n:]
    if rest.empty:
        return keep
    other = other_row(len(rest), float(rest["budget"].sum()), float(rest["spent"].sum()))
    return pd.concat([keep, pd.DataFrame([other])], ignore_index=True)


def _base(df: pd.DataFrame) -> pd.DataFrame:
    cols = ["id", "name", "department", "budget", "spent", "execution_rate", "reported_rate", "light"]
    out = df[cols].copy()
    out["label"] = unique_labels(out)
    return out


def _tooltip():
    return [alt.Tooltip("name:N", title="项目"),
            alt.Tooltip("budget:Q", title="全年预算数（万元）", format=WAN),
            alt.Tooltip("spent:Q", title="全年执行数（万元）", format=WAN),
            alt.Tooltip("execution_rate:Q", title="执行率", format=RATE),
            alt.Tooltip("reported_rate:Q", title="填报执行率", format=RATE),
            alt.Tooltip("light:N", title="状态")]


def _color(lights, legend: bool = True):
    domain = [k for k in LIGHT_COLORS if k in set(lights)]
    return alt.Color("light:N", title="状态", scale=alt.Scale(domain=domain, range=[LIGHT_COLORS[k] for k in domain]),
                     legend=alt.Legend(orient="top", direction="horizontal", title=None) if legend else None)


def rate_chart_data(df: pd.DataFrame, top_n: int = 20) -> pd.DataFrame:
    """Projects with a rate, the `top_n` furthest from 100% kept, sorted lowest rate first."""
    data = _base(df[df["execution_rate"].notna()])
    data = cap_projects(data, top_n, (data["execution_rate"] - 1).abs())
    data = data.assign(_other=data["light"] == OTHER)     # the folded bar goes last
    return data.sort_values(["_other", "execution_rate", "label"], kind="stable").drop(columns="_other") \
        .reset_index(drop=True)


def execution_rate_chart(df: pd.DataFrame, bands: dict | None = None, top_n: int = 20,
                         font_size: int = 12, bar_step: int | None = None) -> alt.LayerChart:
    """Horizontal bars of execution rate by project, lowest first, coloured by traffic light, with a
    100% rule and the green/yellow band lines (labelled above the plot); the tooltip shows budget,
    spent, rate and reported rate. No colour legend: the page names the colours in its heading."""
    bands = bands or DEFAULT_BANDS
    data = rate_chart_data(df, top_n)
    order, x_max, x_values, height = _rate_layout(data, font_size, bar_step)
    x = alt.X("execution_rate:Q", title=None, scale=alt.Scale(domain=[0, x_max], nice=False),
              axis=alt.Axis(format="%", values=x_values, grid=True))
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=LABEL_LIMIT, labelOverlap=False))
    base = alt.Chart(data)
    bars = base.mark_bar(height={"band": 0.7}).encode(x=x, y=y, color=_color(data["light"], legend=False),
                                                      tooltip=_tooltip())
    # Label only the bars off 100%: twelve "100.00%" labels would bury the one that matters.
    text = base.transform_filter("abs(datum.execution_rate - 1) > 1e-9").mark_text(
        align="left", dx=4, fontSize=font_size - 1, fontWeight="bold").encode(
        x="execution_rate:Q", y=alt.Y("label:N", sort=order), text=alt.Text("execution_rate:Q", format=RATE),
        tooltip=_tooltip())
    rules, *labels = _band_layers(float(bands["green"]), float(bands["yellow"]), font_size)
    return _configure(alt.layer(bars, text, rules, *labels, height=height), font_size)   # one build, no copy


def _rate_layout(data: pd.DataFrame, font_size: int, bar_step: int | None) -> tuple[list, float, list, int]:
    """What of execution_rate_chart depends on its rows: the bar order, the x range and its tick values,
    the height."""
    order = data["label"].tolist()
    x_max = max(1.1, float(data["execution_rate"].max() or 0) + 0.12) if len(data) else 1.1
    bar_step = bar_step or font_size + 10            # a bar per label line, whatever the type size
    height = max(bar_step * len(data), 40) + 4 * font_size + 30
    return order, x_max, [i / 10 for i in range(0, int(x_max * 10) + 1, 2)], height


def execution_rate_spec(df: pd.DataFrame, bands: dict | None = None, top_n: int = 20, font_size: int = 12,
                        bar_step: int | None = None) -> dict:
    """execution_rate_chart(...).to_dict(validate=False), the same dict, without building the chart: Altair's
    object model (six layers, their copies and the recursive to_dict) costs tens of milliseconds, more than
    the query behind the chart. The chart's structure is built once per bands and type size (_rate_skeleton,
    with Altair); the rows' data set, order, x range, colours and height are put into a copy of it.
    tests/test_charts.py compares the two dicts over many shapes of rows."""
    bands = bands or DEFAULT_BANDS
    data = rate_chart_data(df, top_n)
    if not len(data):
        return execution_rate_chart(df, bands, top_n, font_size, bar_step).to_dict(validate=False)
    from altair.vegalite.v6.api import _dataset_name
    order, x_max, x_values, height = _rate_layout(data, font_size, bar_step)
    spec = copy.deepcopy(_rate_skeleton(float(bands["green"]), float(bands["yellow"]), font_size))
    # what Altair's default data transformer makes of the frame, called directly: the active transformer is
    # global, and Streamlit switches it for its own conversions
    values = default_data_transformer(data)["values"]
    name = _dataset_name(values)
    bars, text = spec["layer"][0], spec["layer"][1]
    old = bars["data"]["name"]
    bars["data"]["name"] = text["data"]["name"] = name
    domain = [k for k in LIGHT_COLORS if k in set(data["light"])]             # as _color gives them
    bars["encoding"]["color"]["scale"] = {"domain": domain, "range": [LIGHT_COLORS[k] for k in domain]}
    bars["encoding"]["x"]["scale"]["domain"] = [0, x_max]
    bars["encoding"]["x"]["axis"]["values"] = x_values
    bars["encoding"]["y"]["sort"] = text["encoding"]["y"]["sort"] = order
    spec["height"] = height
    spec["datasets"] = {name if k == old else k: values if k == old else v for k, v in spec["datasets"].items()}
    return spec


@lru_cache(maxsize=32)
def _rate_skeleton(green: float, yellow: float, font_size: int) -> dict:
    """execution_rate_chart's spec for two placeholder rows (a red and a green one): the structure the rows
    of execution_rate_spec are put into. Never handed out: callers get a deep copy."""
    rows = pd.DataFrame({"id": [1, 2], "name": ["甲", "乙"], "department": ["", ""], "budget": [1.0, 1.0],
                         "spent": [0.5, 1.0], "execution_rate": [0.5, 1.0], "reported_rate": [None, None],
                         "light": ["红", "绿"]})
    spec = execution_rate_chart(rows, {"green": green, "yellow": yellow}, 2, font_size).to_dict(validate=False)
    if not all(isinstance(v, list) for v in (spec.get("datasets") or {None: None}).values()):
        # made under another thread's data transformer (Streamlit's Arrow one): not kept (an exception is
        # not cached); ui.render builds it under Streamlit's Altair lock, so this does not happen there
        raise RuntimeError("the rate chart's skeleton was made under another data transformer")
    return spec


@lru_cache(maxsize=32)
def _band_layers(green: float, yellow: float, font_size: int) -> tuple:
    """The reference lines of execution_rate_chart and their labels: they depend on the bands and the
    type size only, and building them is most of the chart's cost, so they are built once (alt.layer
    copies its layers, so the cached charts are never changed)."""
    bands = {"green": green, "yellow": yellow}
    # Lines at 100% and the band floors; their labels sit above the plot: the 100% one right of its
    # line, the green one left of its line, the yellow one left of its line one row higher, so the
    # three never collide however close the bands are.
    lines = pd.DataFrame([
        {"value": 1.0, "label": "100%", "color": "#37474f", "align": "left", "row": 0},
        {"value": bands["green"], "label": f"绿 {pct_text(bands['green'])}", "color": LIGHT_COLORS["绿"],
         "align": "right", "row": 0},
        {"value": bands["yellow"], "label": f"黄 {pct_text(bands['yellow'])}", "color": LIGHT_COLORS["黄"],
         "align": "right", "row": 1},
    ])
    rule_base = alt.Chart(lines)
    rules = rule_base.mark_rule(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x="value:Q", color=alt.Color("color:N", scale=None), tooltip=[alt.Tooltip("label:N", title="参考线")])
    labels = [
        rule_base.transform_filter(alt.datum.label == line.label).mark_text(
            align=line.align, dx=3 if line.align == "left" else -3, dy=-3 - line.row * (font_size + 3),
            baseline="bottom", fontSize=font_size - 1, color=line.color).encode(
            x="value:Q", y=alt.value(0), text="label:N")
        for line in lines.itertuples()]
    return (rules, *labels)


def budget_spent_chart(df: pd.DataFrame, top_n: int = 15, font_size: int = 12) -> alt.Chart:
    """Paired horizontal bars per project, budget next to spent, largest budget first (from every
    project of a frame; pages with many projects use budget_spent_chart_top with SQL's top rows)."""
    data = _base(df)
    return _budget_spent(cap_projects(data, top_n, data["budget"]), font_size)


def budget_spent_chart_top(top: pd.DataFrame, rest: dict | None = None, font_size: int = 12) -> alt.Chart:
    """The same chart from the largest projects already picked (largest budget first, as
    execution.chart_top returns them) and the rest summed: {"projects", "budget", "spent"} or None."""
    data = _base(top)
    if rest:
        data = pd.concat([data, pd.DataFrame([other_row(rest["projects"], rest["budget"], rest["spent"])])],
                         ignore_index=True)
    return _budget_spent(data, font_size)


def _budget_spent(data: pd.DataFrame, font_size: int) -> alt.Chart:
    order = data["label"].tolist()
    # melt() drops everything when a value column is also an id column: melt copies of the two.
    long = data.assign(全年预算数=data["budget"], 全年执行数=data["spent"]).melt(
        id_vars=["label", "name", "execution_rate", "light", "budget", "spent", "reported_rate"],
        value_vars=["全年预算数", "全年执行数"], var_name="measure", value_name="amount")
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X("amount:Q", title="万元", axis=alt.Axis(format=",.0f")),
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        yOffset=alt.YOffset("measure:N", sort=["全年预算数", "全年执行数"]),
        color=alt.Color("measure:N", title=None, sort=["全年预算数", "全年执行数"],
                        scale=alt.Scale(domain=["全年预算数", "全年执行数"], range=["#b0bec5", "#1565c0"]),
                        legend=alt.Legend(orient="top", direction="horizontal")),
        tooltip=_tooltip(),
    ).properties(height=max(30 * len(data), 40) + 4 * font_size + 40)
    return _configure(chart, font_size)


RATE_BUCKETS = ["<50%", "50–70%", "70–80%", "80–90%", "90–95%", "95–100%", "100%", ">100%"]


def rate_bucket(rate) -> str | None:
    if rate is None or pd.isna(rate):
        return None
    if abs(rate - 1) <= 1e-9:
        return "100%"
    if rate > 1:
        return ">100%"
    for edge, name in zip((0.5, 0.7, 0.8, 0.9, 0.95), RATE_BUCKETS):
        if rate < edge:
            return name
    return "95–100%"


def rate_distribution_data(df: pd.DataFrame, names_shown: int = 5) -> pd.DataFrame:
    """Project counts per rate bucket and light (a bounded table whatever the number of projects)."""
    d = df[df["execution_rate"].notna()].assign(bucket=lambda x: x["execution_rate"].map(rate_bucket))
    rows = []
    for (bucket, light), part in d.groupby(["bucket", "light"], sort=False):
        names = part["name"].astype(str).tolist()
        shown = "、".join(names[:names_shown]) + (f" 等 {len(names)} 个" if len(names) > names_shown else "")
        rows.append({"bucket": bucket, "light": light, "count": len(part), "names": shown})
    out = pd.DataFrame(rows, columns=["bucket", "light", "count", "names"])
    out["_o"] = out["bucket"].map(RATE_BUCKETS.index)
    return out.sort_values(["_o", "light"]).drop(columns="_o").reset_index(drop=True)


def rate_distribution_chart(df: pd.DataFrame, font_size: int = 12, data: pd.DataFrame | None = None) -> alt.Chart:
    """How many projects fall in each execution-rate bucket, stacked by traffic light. `data`: the
    bucket counts already made (rate_distribution_data's shape, e.g. execution.distribution from
    SQL); then df is not read (pass None)."""
    data = rate_distribution_data(df) if data is None else data
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("bucket:N", title="执行率区间", sort=RATE_BUCKETS, scale=alt.Scale(domain=RATE_BUCKETS),
                axis=alt.Axis(labelAngle=0, labelOverlap=False, labelFontSize=max(font_size - 2, 10))),
        y=alt.Y("count:Q", title="项目数", axis=alt.Axis(tickMinStep=1, format="d")),
        color=_color(data["light"]),
        tooltip=[alt.Tooltip("bucket:N", title="执行率区间"), alt.Tooltip("light:N", title="状态"),
                 alt.Tooltip("count:Q", title="项目数"), alt.Tooltip("names:N", title="项目")],
    ).properties(height=260)
    return _configure(chart, font_size)
