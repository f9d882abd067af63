"""Deviations (偏离) of the filtered projects, budget and indicator, and the data-quality findings.

What counts as a deviation is decided here once, for the overview, the deviations page and the
exports: a budget deviation is a rate below the green band or above 100% (the `light` computed
in queries/projects.sql with the stored bands); an indicator deviation is an indicator judged
`unmet` or `missing` by perfboard.indicators (the one place indicators are judged).
"""
from __future__ import annotations

import pandas as pd

from .db import Store
from .filters import Filters
from .indicators import indicator_rows
from .summary import projects
from .targets import JUDGEMENTS

BUDGET_DEVIATION_LIGHTS = ("黄", "红", "超预算")
INDICATOR_DEVIATION_STATUS = ("unmet", "missing")
NO_REASON = "未填写原因"
NO_MEASURE = "未填写"

# Data-quality checks: key -> (label, short label for the overview strip, what the count counts).
QUALITY_CHECKS = {
    "rate_mismatch": ("填报执行率与计算值不一致", "执行率填报不一致", "个项目"),
    "budget_no_reason": ("执行偏离但未填写偏离原因", "偏离未填原因", "个项目"),
    "missing_actual": ("指标缺少实际完成值", "缺实际完成值", "条指标"),
    "missing_target": ("指标缺少年度指标值", "缺年度指标值", "条指标"),
    "unmet_no_reason": ("未达成指标未填写偏差原因", "未达成未填原因", "条指标"),
}

# Display headers shared by every project table, so exports and pages name columns alike.
PROJECT_COLUMNS = {
    "name": "项目名称", "department": "主管部门", "funding_source": "资金来源",
    "budget": "全年预算数（万元）", "spent": "全年执行数（万元）",
    "execution_rate": "执行率", "reported_rate": "填报执行率", "light": "状态",
}


def blank(text) -> bool:
    return text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip()


def or_placeholder(text, placeholder: str) -> str:
    return placeholder if blank(text) else str(text).strip()


def rate_severity(rate) -> float:
    """How far a rate is from 100%, either way (0 when it has no rate)."""
    if rate is None or pd.isna(rate):
        return 0.0
    return abs(1.0 - float(rate))


def is_budget_deviation(light: pd.Series) -> pd.Series:
    return light.isin(BUDGET_DEVIATION_LIGHTS)


def is_indicator_deviation(status: pd.Series) -> pd.Series:
    return status.isin(INDICATOR_DEVIATION_STATUS)


def judgement_label(row) -> str:
    """What the 判定 column shows: a person's stored call as written, else the computed status."""
    j = row.get("judgement")
    if isinstance(j, str) and j.strip() in JUDGEMENTS:
        return j.strip()
    return row["status_zh"]


def judged_by(row) -> str:
    j = row.get("judgement")
    if isinstance(j, str) and j.strip() in JUDGEMENTS:
        return "人工判定"
    return "待判定" if row["status"] == "pending" else "自动判定"


def project_flags(project_df: pd.DataFrame, indicator_df: pd.DataFrame) -> pd.DataFrame:
    """One row per project: budget deviation, indicator deviations (count and names), worst first.

    Sorted by how far the rate is from 100% (budget deviations only), then by the number of
    deviating indicators, so the 需关注 list and the deviations table agree on "worst".
    """
    df = project_df.copy()
    ind = indicator_df[is_indicator_deviation(indicator_df["status"])] if len(indicator_df) else indicator_df
    counts = ind.groupby("project_id").size() if len(ind) else pd.Series(dtype=int)
    names = (ind.assign(label=ind["level3"].fillna("（未命名指标）") + "（" + ind["status_zh"] + "）")
             .groupby("project_id")["label"].agg("；".join)) if len(ind) else pd.Series(dtype=str)
    df["budget_deviation"] = is_budget_deviation(df["light"])
    df["indicator_deviations"] = df["id"].map(counts).fillna(0).astype(int)
    df["deviating_indicators"] = df["id"].map(names).fillna("")
    df["in_deviation"] = df["budget_deviation"] | (df["indicator_deviations"] > 0)
    df["severity"] = [rate_severity(r) if b else 0.0 for r, b in zip(df["execution_rate"], df["budget_deviation"])]
    return df.sort_values(["severity", "indicator_deviations", "id"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)


def deviation_counts(project_df: pd.DataFrame, indicator_df: pd.DataFrame) -> dict:
    flags = project_flags(project_df, indicator_df)
    judged = indicator_df[indicator_df["status"] != "na"] if len(indicator_df) else indicator_df
    return {
        "deviation_projects": int(flags["in_deviation"].sum()),
        "budget_deviation_projects": int(flags["budget_deviation"].sum()),
        "indicator_deviation_projects": int((flags["indicator_deviations"] > 0).sum()),
        "indicators_total": int(len(judged)),
        "indicators_met": int((judged["status"] == "met").sum()) if len(judged) else 0,
        "indicators_pending": int((judged["status"] == "pending").sum()) if len(judged) else 0,
    }


# ---------------------------------------------------------------- display tables
def budget_table(flags: pd.DataFrame) -> pd.DataFrame:
    """Budget deviations, worst first, with the stated reason and measures (or a visible 未填写)."""
    df = flags[flags["budget_deviation"]]
    out = df[[c for c in PROJECT_COLUMNS if c != "funding_source"]].rename(columns=PROJECT_COLUMNS)
    out["填报不一致"] = df["rate_mismatch"].astype(bool).to_numpy()
    out["偏离原因"] = [or_placeholder(t, NO_REASON) for t in df["deviation_reason"]]
    out["改进措施"] = [or_placeholder(t, NO_MEASURE) for t in df["improvement"]]
    return out.reset_index(drop=True)


INDICATOR_COLUMNS = {"project_name": "项目名称", "level1": "一级指标", "level2": "二级指标", "level3": "三级指标",
                     "target_text": "年度指标值", "actual_text": "实际完成值"}


def indicator_table(ind: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows for display: values as written, the judgement and who made it, the reason."""
    out = ind[list(INDICATOR_COLUMNS)].rename(columns=INDICATOR_COLUMNS).astype(object)
    out = out.where(out.notna(), "")
    recs = ind.to_dict("records")
    out["判定"] = [judgement_label(r) for r in recs]
    out["判定方式"] = [judged_by(r) for r in recs]
    out["偏差原因分析及改进措施"] = [
        or_placeholder(r["deviation_note"], NO_REASON if r["status"] in INDICATOR_DEVIATION_STATUS else "")
        for r in recs]
    return out.reset_index(drop=True)


def _quality_rows(flags: pd.DataFrame, ind: pd.DataFrame) -> dict[str, pd.DataFrame]:
    mism = flags[flags["rate_mismatch"].astype(bool)]
    rate = mism[["name", "department", "budget", "spent", "execution_rate", "reported_rate"]].rename(
        columns={**PROJECT_COLUMNS, "execution_rate": "计算执行率"})
    rate["差异（百分点）"] = ((mism["reported_rate"] - mism["execution_rate"]) * 100).round(2).to_numpy()
    no_reason = flags[flags["budget_deviation"] & flags["deviation_reason"].map(blank)]
    unmet = ind[(ind["status"] == "unmet") & ind["deviation_note"].map(blank)] if len(ind) else ind
    missing = ind[ind["status"] == "missing"] if len(ind) else ind
    no_target = ind[ind["status"] == "no_target"] if len(ind) else ind
    return {
        "rate_mismatch": rate.reset_index(drop=True),
        "budget_no_reason": budget_table(no_reason),
        "missing_actual": indicator_table(missing),
        "missing_target": indicator_table(no_target),
        "unmet_no_reason": indicator_table(unmet),
    }


def quality_counts(flags: pd.DataFrame, ind: pd.DataFrame) -> dict[str, int]:
    return {k: len(v) for k, v in _quality_rows(flags, ind).items()}


def deviations(store: Store, filters: Filters = Filters()) -> dict:
    """Everything the deviations page shows, from one read of projects and indicators.

    Returns {"budget": DataFrame, "indicators": DataFrame (unmet/missing), "pending": DataFrame,
    "all_indicators": DataFrame, "quality": {check: DataFrame}, "counts": deviation_counts(),
    "projects": int}.
    """
    project_df = projects(store, filters)
    ind = indicator_rows(store, filters, project_df=project_df)
    flags = project_flags(project_df, ind)
    order = {pid: i for i, pid in enumerate(flags["id"])}   # indicator tables follow the worst-first order
    ind_sorted = ind.assign(_o=ind["project_id"].map(order)).sort_values(["_o", "position"], kind="stable") \
        if len(ind) else ind
    return {
        "projects": int(len(project_df)),
        "counts": deviation_counts(project_df, ind),
        "budget": budget_table(flags),
        "indicators": indicator_table(ind_sorted[is_indicator_deviation(ind_sorted["status"])]
                                      if len(ind_sorted) else ind_sorted),
        "pending": indicator_table(ind_sorted[ind_sorted["status"] == "pending"] if len(ind_sorted) else ind_sorted),
        "all_indicators": indicator_table(ind_sorted),
        "quality": _quality_rows(flags, ind_sorted),
    }
