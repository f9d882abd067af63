"""The overview's and deviations page's figures as they were computed before they moved into DuckDB:
every filtered project and indicator in pandas, each indicator judged in Python by status_of. Tests
compare the SQL figures, orders and pages with this, on the sample and on synthetic data."""
from __future__ import annotations

import pandas as pd

from perfboard.db import Store
from perfboard.deviations import (INDICATOR_COLUMNS, INDICATOR_DEVIATION_STATUS, NO_MEASURE, NO_REASON,
                                  PROJECT_COLUMNS, blank, judged_by, judgement_label, or_placeholder)
from perfboard.filters import Filters
from perfboard.indicators import STATUS_ZH, status_of
from perfboard.summary import projects, totals


def indicators(store: Store, project_df: pd.DataFrame) -> pd.DataFrame:
    """Every indicator of the projects, judged here row by row (not the stored status)."""
    df = store.df("indicators", tables={"project_ids": project_df[["id"]]})
    df["status"] = [status_of(r) for r in df.to_dict("records")] if len(df) else pd.Series(dtype=object)
    df["status_zh"] = df["status"].map(STATUS_ZH)
    return df


def budget_table(flags: pd.DataFrame) -> pd.DataFrame:
    df = flags[flags["budget_deviation"]]
    out = df[[c for c in PROJECT_COLUMNS if c != "funding_source"]].rename(columns=PROJECT_COLUMNS)
    out["填报不一致"] = df["rate_mismatch"].astype(bool).to_numpy()
    out["偏离原因"] = [or_placeholder(t, NO_REASON) for t in df["deviation_reason"]]
    out["改进措施"] = [or_placeholder(t, NO_MEASURE) for t in df["improvement"]]
    return out.reset_index(drop=True)


def rate_mismatch_table(flags: pd.DataFrame) -> pd.DataFrame:
    mism = flags[flags["rate_mismatch"].astype(bool)]
    rate = mism[["name", "department", "budget", "spent", "execution_rate", "reported_rate"]].rename(
        columns={**PROJECT_COLUMNS, "execution_rate": "计算执行率"})
    rate["差异（百分点）"] = ((mism["reported_rate"] - mism["execution_rate"]) * 100).round(2).to_numpy()
    return rate.reset_index(drop=True)


def indicator_table(ind: pd.DataFrame) -> pd.DataFrame:
    out = ind[list(INDICATOR_COLUMNS)].rename(columns=INDICATOR_COLUMNS).astype(object)
    out = out.where(out.notna(), "")
    recs = ind.to_dict("records")
    out["判定"] = [judgement_label(r) for r in recs]
    out["判定方式"] = [judged_by(r) for r in recs]
    out["偏差原因分析及改进措施"] = [
        or_placeholder(r["deviation_note"], NO_REASON if r["status"] in INDICATOR_DEVIATION_STATUS else "")
        for r in recs]
    return out.reset_index(drop=True)


def rate_severity(rate) -> float:
    return 0.0 if rate is None or pd.isna(rate) else abs(1.0 - float(rate))


def project_flags(project_df: pd.DataFrame, indicator_df: pd.DataFrame) -> pd.DataFrame:
    df = project_df.copy()
    ind = indicator_df[indicator_df["status"].isin(INDICATOR_DEVIATION_STATUS)] if len(indicator_df) else indicator_df
    counts = ind.groupby("project_id").size() if len(ind) else pd.Series(dtype=int)
    names = (ind.assign(label=ind["level3"].fillna("（未命名指标）") + "（" + ind["status_zh"] + "）")
             .groupby("project_id")["label"].agg("；".join)) if len(ind) else pd.Series(dtype=str)
    df["budget_deviation"] = df["light"].isin(("黄", "红", "超预算"))
    df["indicator_deviations"] = df["id"].map(counts).fillna(0).astype(int)
    df["deviating_indicators"] = df["id"].map(names).fillna("")
    df["in_deviation"] = df["budget_deviation"] | (df["indicator_deviations"] > 0)
    df["severity"] = [rate_severity(r) if b else 0.0 for r, b in zip(df["execution_rate"], df["budget_deviation"])]
    return df.sort_values(["severity", "indicator_deviations", "id"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)


def figures(store: Store, filters: Filters) -> dict:
    """totals() + deviation counts + quality counts, the old way."""
    df = projects(store, filters)
    ind = indicators(store, df)
    flags = project_flags(df, ind)
    judged = ind[ind["status"] != "na"] if len(ind) else ind
    t = tables(store, filters, df, ind, flags)
    return {**totals(df),
            "deviation_projects": int(flags["in_deviation"].sum()),
            "budget_deviation_projects": int(flags["budget_deviation"].sum()),
            "indicator_deviation_projects": int((flags["indicator_deviations"] > 0).sum()),
            "indicators_total": int(len(judged)),
            "indicators_met": int((judged["status"] == "met").sum()) if len(judged) else 0,
            "indicators_pending": int((judged["status"] == "pending").sum()) if len(judged) else 0,
            "quality": {k: len(v) for k, v in t["quality"].items()},
            "departments": sorted(set(df["department"])),
            "_tables": t, "_flags": flags}


def tables(store, filters, project_df=None, ind=None, flags=None) -> dict:
    """The old deviations(): every table in full, indicators in the projects' worst-first order."""
    project_df = projects(store, filters) if project_df is None else project_df
    ind = indicators(store, project_df) if ind is None else ind
    flags = project_flags(project_df, ind) if flags is None else flags
    order = {pid: i for i, pid in enumerate(flags["id"])}
    ind_sorted = ind.assign(_o=ind["project_id"].map(order)).sort_values(["_o", "position", "id"], kind="stable") \
        if len(ind) else ind
    no_reason = flags[flags["budget_deviation"] & flags["deviation_reason"].map(blank)]
    return {
        "budget": budget_table(flags),
        "indicators": indicator_table(ind_sorted[ind_sorted["status"].isin(INDICATOR_DEVIATION_STATUS)]
                                      if len(ind_sorted) else ind_sorted),
        "pending": indicator_table(ind_sorted[ind_sorted["status"] == "pending"] if len(ind_sorted) else ind_sorted),
        "all_indicators": indicator_table(ind_sorted),
        "quality": {
            "rate_mismatch": rate_mismatch_table(flags),
            "budget_no_reason": budget_table(no_reason),
            "missing_actual": indicator_table(ind_sorted[ind_sorted["status"] == "missing"] if len(ind) else ind),
            "missing_target": indicator_table(ind_sorted[ind_sorted["status"] == "no_target"] if len(ind) else ind),
            "unmet_no_reason": indicator_table(
                ind_sorted[(ind_sorted["status"] == "unmet") & ind_sorted["deviation_note"].map(blank)]
                if len(ind) else ind),
        },
    }


def attention(flags: pd.DataFrame, limit: int | None = None) -> list[dict]:
    rows = flags[flags["in_deviation"]]
    if limit is not None:
        rows = rows.head(limit)
    return [{
        "id": int(r.id), "year": int(r.year), "name": r.name, "department": r.department,
        "light": r.light, "execution_rate": None if pd.isna(r.execution_rate) else float(r.execution_rate),
        "reported_rate": None if pd.isna(r.reported_rate) else float(r.reported_rate),
        "rate_mismatch": bool(r.rate_mismatch), "budget_deviation": bool(r.budget_deviation),
        "deviating_indicators": r.deviating_indicators,
        "reason": or_placeholder(r.deviation_reason, NO_REASON),
        "measures": or_placeholder(r.improvement, NO_MEASURE),
    } for r in rows.itertuples(index=False)]
