"""The 执行监控 chart: execution rate by project against the 序时进度 line (issue 17). A pure DataFrame ->
alt.Chart builder over queries/monitor/chart.sql's rows (already capped: top N behind 序时进度 + 其他)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from .charts import LABEL_LIMIT, LIGHT_COLORS, RATE, WAN, _configure, unique_labels

MONITOR_COLORS = {**LIGHT_COLORS, "蓝": "#1565c0"}


def monitor_rate_chart(rows: pd.DataFrame, time_progress: float, font_size: int = 12) -> alt.LayerChart:
    """Horizontal bars of 1—M月执行率 (lowest first, the folded 其他 bar last), coloured by the monitoring light,
    with a dashed rule at 序时进度 labelled above the plot."""
    data = rows.copy()
    data["label"] = unique_labels(data) if len(data) else pd.Series(dtype=str)
    data["_other"] = data["light"] == "其他"
    data = data.sort_values(["_other", "execution_rate", "label"], kind="stable").drop(columns="_other")
    order = data["label"].tolist()
    x_max = max(1.0, float(data["execution_rate"].max() or 0) + 0.1) if len(data) else 1.0
    domain = [k for k in MONITOR_COLORS if k in set(data["light"])]
    tooltip = [alt.Tooltip("name:N", title="项目"), alt.Tooltip("department:N", title="主管部门"),
               alt.Tooltip("budget:Q", title="预算数（万元）", format=WAN),
               alt.Tooltip("spent_to_date:Q", title="执行数（万元）", format=WAN),
               alt.Tooltip("execution_rate:Q", title="执行率", format=RATE), alt.Tooltip("light:N", title="状态")]
    base = alt.Chart(data)
    bars = base.mark_bar(height={"band": 0.7}).encode(
        x=alt.X("execution_rate:Q", title=None, scale=alt.Scale(domain=[0, x_max], nice=False),
                axis=alt.Axis(format="%", grid=True)),
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=LABEL_LIMIT, labelOverlap=False)),
        color=alt.Color("light:N", scale=alt.Scale(domain=domain, range=[MONITOR_COLORS[k] for k in domain]),
                        legend=None),
        tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=font_size - 1).encode(
        x="execution_rate:Q", y=alt.Y("label:N", sort=order), text=alt.Text("execution_rate:Q", format=".1%"))
    line = pd.DataFrame([{"value": time_progress, "label": f"序时进度 {time_progress:.1%}"}])
    rule = alt.Chart(line).mark_rule(strokeDash=[5, 3], strokeWidth=1.5, color="#37474f").encode(
        x="value:Q", tooltip=[alt.Tooltip("label:N", title="参考线")])
    label = alt.Chart(line).mark_text(align="left", dx=3, dy=-3, baseline="bottom", fontSize=font_size - 1,
                                      color="#37474f").encode(x="value:Q", y=alt.value(0), text="label:N")
    height = max((font_size + 10) * len(data), 40) + 4 * font_size + 30
    return _configure(alt.layer(bars, text, rule, label, height=height), font_size)
