"""Budget execution (预算执行) tables: projects with a totals row, and grouped views with weighted rates.

Every total is summary.totals() of the same projects() frame, so the tables add up to the figures
of the overview and `summary --json`.
"""
from __future__ import annotations

import pandas as pd

from .db import Store
from .deviations import BUDGET_DEVIATION_LIGHTS, PROJECT_COLUMNS
from .filters import Filters
from .summary import bands, projects, totals

TOTAL_LABEL = "合计"
GROUPS = {"department": "主管部门", "funding_source": "资金来源"}


def project_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per project for display (numbers stay numbers, so the table sorts)."""
    out = df[list(PROJECT_COLUMNS)].rename(columns=PROJECT_COLUMNS)
    out["资金来源"] = out["资金来源"].fillna("未填写")
    return out.reset_index(drop=True)


def totals_row(df: pd.DataFrame) -> pd.DataFrame:
    """The 合计 row of a projects() frame: the project table's columns up to 执行率 (a reported rate
    or a light means nothing for a sum)."""
    t = totals(df)
    row = {"项目名称": f"{TOTAL_LABEL}（{t['projects']} 个项目）", "主管部门": "", "资金来源": "",
           "全年预算数（万元）": t["budget_wan"], "全年执行数（万元）": t["spent_wan"], "执行率": t["execution_rate"]}
    return pd.DataFrame([row])


def group_table(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Projects grouped by department or funding source: count, sums and the weighted rate
    (sum spent / sum budget, not the mean of the rates), largest budget first."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    key = df[by].fillna("未填写")
    rows = []
    for name, part in df.groupby(key, sort=False):
        t = totals(part)
        rows.append({GROUPS[by]: name, "项目数": t["projects"], "全年预算数（万元）": t["budget_wan"],
                     "全年执行数（万元）": t["spent_wan"], "执行率（加权）": t["execution_rate"],
                     "偏离项目数": int(part["light"].isin(BUDGET_DEVIATION_LIGHTS).sum())})
    cols = [GROUPS[by], "项目数", "全年预算数（万元）", "全年执行数（万元）", "执行率（加权）", "偏离项目数"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("全年预算数（万元）", ascending=False, kind="stable").reset_index(drop=True)


def group_totals_row(df: pd.DataFrame, by: str) -> pd.DataFrame:
    t = totals(df)
    return pd.DataFrame([{GROUPS[by]: TOTAL_LABEL, "项目数": t["projects"], "全年预算数（万元）": t["budget_wan"],
                          "全年执行数（万元）": t["spent_wan"], "执行率（加权）": t["execution_rate"],
                          "偏离项目数": int(df["light"].isin(BUDGET_DEVIATION_LIGHTS).sum())}])


def execution(store: Store, filters: Filters = Filters()) -> dict:
    """Everything the execution page shows: {"projects": raw projects() frame (for charts),
    "totals": totals(), "table"/"table_total", "by_department"/"by_department_total",
    "by_funding_source"/"by_funding_source_total", "bands"}."""
    df = projects(store, filters)
    out = {"projects": df, "totals": totals(df), "bands": bands(store),
           "table": project_table(df), "table_total": totals_row(df)}
    for by in GROUPS:
        out[f"by_{by}"] = group_table(df, by)
        out[f"by_{by}_total"] = group_totals_row(df, by)
    return out
