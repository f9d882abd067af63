"""Deviations (偏离) of the filtered projects, budget and indicator, and the data-quality findings.

What counts as a deviation is decided once, in queries/scope.sql (run ahead of every query of
queries/scoped/ by perfboard.scope), for the overview, the deviations page and the exports: a budget
deviation is a rate below the green band or above 100% (light 黄/红/超预算, the light of
queries/projects.sql with the stored bands); an indicator deviation is an indicator whose stored status
(perfboard.indicators.status_of, kept in indicators.status) is `unmet` or `missing`.

Everything is counted and ordered in DuckDB: `figures()` is one row of counts, `table()` one page of a
table (or all of it, for an export) in the worst-first order; pandas only formats the rows shown.
"""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from . import scope
from .db import Store
from .filters import Filters
from .indicators import STATUS_ZH
from .targets import JUDGEMENTS

BUDGET_DEVIATION_LIGHTS = ("黄", "红", "超预算")
INDICATOR_DEVIATION_STATUS = ("unmet", "missing")
NO_REASON = "未填写原因"
NO_MEASURE = "未填写"
CHUNK_ROWS = 50_000     # rows of a piece of the streamed tables (indicator_chunks, project_chunks: CSV exports)

# Data-quality checks: key -> (label, short label for the overview strip, what the count counts).
QUALITY_CHECKS = {
    "rate_mismatch": ("填报执行率与计算值不一致", "执行率填报不一致", "个项目"),
    "budget_no_reason": ("执行偏离但未填写偏离原因", "偏离未填原因", "个项目"),
    "missing_actual": ("指标缺少实际完成值", "缺实际完成值", "条指标"),
    "missing_target": ("指标无年度指标值且未人工判定", "缺指标值未判定", "条指标"),
    "unmet_no_reason": ("未达成指标未填写偏差原因", "未达成未填原因", "条指标"),
}

# The deviations page's tables (table() keys): key -> the figures.sql column counting its rows.
PROJECT_TABLES = {"budget": "budget_deviation_projects", "rate_mismatch": "rate_mismatch",
                  "budget_no_reason": "budget_no_reason"}
INDICATOR_TABLES = {"indicators": "deviating_indicators", "pending": "indicators_pending",
                    "all_indicators": "all_indicators", "missing_actual": "missing_actual",
                    "missing_target": "missing_target", "unmet_no_reason": "unmet_no_reason"}
TABLES = list(PROJECT_TABLES) + list(INDICATOR_TABLES)

# Display headers shared by every project table, so exports and pages name columns alike.
PROJECT_COLUMNS = {
    "name": "项目名称", "department": "主管部门", "funding_source": "资金来源",
    "budget": "全年预算数（万元）", "spent": "全年执行数（万元）",
    "execution_rate": "执行率", "reported_rate": "填报执行率", "light": "状态",
}
ATTENTION_FIELDS = ["id", "year", "name", "department", "light", "execution_rate", "reported_rate", "rate_mismatch",
                    "budget_deviation", "indicator_deviations", "deviation_reason", "improvement"]
FIGURE_KEYS = ("projects", "budget_wan", "spent_wan", "execution_rate", "deviation_projects",
               "budget_deviation_projects", "indicator_deviation_projects", "indicators_total", "indicators_met",
               "indicators_pending")


def blank(text) -> bool:
    return text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip()


def or_placeholder(text, placeholder: str) -> str:
    return placeholder if blank(text) else str(text).strip()


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


# ---------------------------------------------------------------- figures (one SQL row)
def figures(store: Store, filters: Filters = Filters(), attention: int | None = 0) -> dict:
    """Every count of the filtered projects, from queries/scoped/figures.sql:
    projects, budget_wan, spent_wan, execution_rate (summary.totals()), the deviation counts
    (deviation_projects, budget_deviation_projects, indicator_deviation_projects, indicators_total (not
    counting 不适用), indicators_met, indicators_pending), "quality": {check: count}, "rows": {table: row
    count} (TABLES), "departments" (sorted), and "attention": the `attention` projects in deviation
    worst first (None: all) as a DataFrame (id, year, name, department, light, execution_rate,
    reported_rate, rate_mismatch, budget_deviation, indicator_deviations, deviation_reason, improvement)."""
    r = scope.run(store, "figures", filters, {"attention": attention}).iloc[0]
    out = {k: int(r[k]) for k in FIGURE_KEYS if k not in ("budget_wan", "spent_wan", "execution_rate")}
    out["budget_wan"], out["spent_wan"] = float(r["budget_wan"]), float(r["spent_wan"])
    out["execution_rate"] = out["spent_wan"] / out["budget_wan"] if out["budget_wan"] > 0 else None
    out["quality"] = {k: int(r[k]) for k in QUALITY_CHECKS}
    out["rows"] = {k: int(r[c]) for k, c in {**PROJECT_TABLES, **INDICATOR_TABLES}.items()}
    out["departments"] = [str(d) for d in r["departments"]]
    out["attention"] = pd.DataFrame(list(r["attention"]), columns=ATTENTION_FIELDS)
    return out


def deviation_counts(fig: dict) -> dict:
    """The deviation and indicator figures of a figures() dict (the overview's big numbers)."""
    return {k: fig[k] for k in ("deviation_projects", "budget_deviation_projects", "indicator_deviation_projects",
                                "indicators_total", "indicators_met", "indicators_pending")}


# ---------------------------------------------------------------- rows worst first
def project_rows(store: Store, filters: Filters, kind: str, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """Projects of `kind` ('budget', 'rate_mismatch', 'budget_no_reason') worst first:
    by how far the rate is from 100% (budget deviations only), then the number of deviating indicators,
    then id; `limit` rows from `offset` (None: all)."""
    return scope.run(store, "flags", filters, {"kind": kind, "limit": limit, "offset": int(offset)})


# The sort key of indicator rows (queries/scoped/indicator_rows.sql), a total order: a page's cursor.
INDICATOR_KEY = ("severity", "indicator_deviations", "project_id", "position", "id")


def indicator_rows(store: Store, filters: Filters, kind: str, limit: int | None = None, offset: int = 0,
                   after: tuple | None = None) -> pd.DataFrame:
    """Indicator rows of `kind` (INDICATOR_TABLES) in the projects' worst-first order, then form order,
    with `status` and `status_zh` (and the sort key INDICATOR_KEY). `after`: indicator_cursor() of the
    last row of the previous page (keyset paging: page N costs what page 1 costs); None starts at the top."""
    s, n, p, pos, i = after if after is not None else (None,) * 5
    df = scope.run(store, "indicator_rows", filters, {
        "kind": kind, "limit": limit, "offset": int(offset), "after_severity": s, "after_deviations": n,
        "after_project": p, "after_position": pos, "after_id": i})
    df["status_zh"] = df["status"].map(STATUS_ZH)
    return df


def indicator_cursor(rows: pd.DataFrame) -> tuple | None:
    """The `after` of the page following `rows` (an indicator_rows() page): its last row's sort key."""
    if not len(rows):
        return None
    last = rows.iloc[-1]
    return (float(last["severity"]), int(last["indicator_deviations"]), int(last["project_id"]),
            int(last["position"]), int(last["id"]))


def indicator_page(store: Store, filters: Filters, key: str, limit: int, after: tuple | None = None
                   ) -> tuple[pd.DataFrame, tuple | None]:
    """One page of an indicator table of the deviations page (INDICATOR_TABLES) for display, after the
    cursor `after`, and the cursor of its last row (the next page's `after`)."""
    rows = indicator_rows(store, filters, key, limit, after=after)
    return indicator_table(rows), indicator_cursor(rows)


def deviating_names(store: Store, filters: Filters, project_ids) -> dict[int, str]:
    """"三级指标（未达成）；…" of the deviating indicators of each project in `project_ids`, form order."""
    ids = pd.DataFrame({"id": pd.Series([int(i) for i in project_ids], dtype="int64")})
    if ids.empty:
        return {}
    ind = scope.run(store, "deviating_names", filters, tables={"project_ids": ids})
    labels = ind["level3"].fillna("（未命名指标）") + "（" + ind["status"].map(STATUS_ZH) + "）"
    # grouped in plain Python (first appearance, rows in order, as groupby(sort=False).agg("；".join)): pandas
    # joined each of a province's ~150,000 groups through a Series slice
    out: dict[int, list[str]] = {}
    for pid, label in zip(ind["project_id"].tolist(), labels.tolist()):
        out.setdefault(pid, []).append(label)
    return {pid: "；".join(parts) for pid, parts in out.items()}


# ---------------------------------------------------------------- display tables
def _or_placeholder(texts: pd.Series, placeholder) -> pd.Series:
    """or_placeholder() of a column: the text stripped, or `placeholder` (a str, or a Series per row)."""
    stripped = texts.astype(object).where(texts.notna(), "").astype(str).str.strip()
    return stripped.where(stripped != "", placeholder)


def budget_table(flags: pd.DataFrame) -> pd.DataFrame:
    """Budget deviations, worst first, with the stated reason and measures (or a visible 未填写)."""
    df = flags[flags["budget_deviation"].astype(bool)]
    out = df[[c for c in PROJECT_COLUMNS if c != "funding_source"]].rename(columns=PROJECT_COLUMNS)
    out["填报不一致"] = df["rate_mismatch"].astype(bool).to_numpy()
    out["偏离原因"] = _or_placeholder(df["deviation_reason"], NO_REASON).to_numpy(dtype=object)
    out["改进措施"] = _or_placeholder(df["improvement"], NO_MEASURE).to_numpy(dtype=object)
    return out.reset_index(drop=True)


def rate_mismatch_table(flags: pd.DataFrame) -> pd.DataFrame:
    """Projects whose stated rate differs from spent ÷ budget, with the difference in points."""
    mism = flags[flags["rate_mismatch"].astype(bool)]
    rate = mism[["name", "department", "budget", "spent", "execution_rate", "reported_rate"]].rename(
        columns={**PROJECT_COLUMNS, "execution_rate": "计算执行率"})
    rate["差异（百分点）"] = ((mism["reported_rate"] - mism["execution_rate"]) * 100).round(2).to_numpy()
    return rate.reset_index(drop=True)


INDICATOR_COLUMNS = {"project_name": "项目名称", "level1": "一级指标", "level2": "二级指标", "level3": "三级指标",
                     "target_text": "年度指标值", "actual_text": "实际完成值"}


def indicator_table(ind: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows for display: values as written, the judgement and who made it, the reason
    (judgement_label / judged_by / or_placeholder of every row, column-wise)."""
    out = ind[list(INDICATOR_COLUMNS)].rename(columns=INDICATOR_COLUMNS).astype(object)
    out = out.where(out.notna(), "")
    judgement = ind["judgement"].astype(object).where(ind["judgement"].notna(), "").astype(str).str.strip()
    person = judgement.isin(JUDGEMENTS)
    out["判定"] = judgement.where(person, ind["status_zh"]).to_numpy(dtype=object)
    out["判定方式"] = pd.Series("自动判定", index=ind.index).where(ind["status"] != "pending", "待判定") \
        .where(~person, "人工判定").to_numpy(dtype=object)
    placeholder = pd.Series("", index=ind.index).where(~ind["status"].isin(INDICATOR_DEVIATION_STATUS), NO_REASON)
    out["偏差原因分析及改进措施"] = _or_placeholder(ind["deviation_note"], placeholder).to_numpy(dtype=object)
    return out.reset_index(drop=True)


def table(store: Store, filters: Filters, key: str, limit: int | None = None, offset: int = 0) -> pd.DataFrame:
    """One table of the deviations page (TABLES: 'budget', 'indicators', 'pending', 'all_indicators' or a
    QUALITY_CHECKS key), `limit` rows from `offset` in the page's order; limit None: every row (exports)."""
    if key in INDICATOR_TABLES:
        return indicator_table(indicator_rows(store, filters, key, limit, offset))
    if key == "rate_mismatch":
        return rate_mismatch_table(project_rows(store, filters, key, limit, offset))
    if key in PROJECT_TABLES:
        return budget_table(project_rows(store, filters, key, limit, offset))
    raise KeyError(f"unknown deviations table {key!r}")


def indicator_chunks(store: Store, filters: Filters, key: str, size: int | None = None) -> Iterator[pd.DataFrame]:
    """table(store, filters, key) of an indicator table (INDICATOR_TABLES) in pieces of at most `size`
    (default CHUNK_ROWS) rows, streamed from one query (the CSV export of a province's 2.3M rows never holds them all). The
    first piece comes even when it is empty; the pieces concatenate to table()."""
    for rows in scope.stream(store, "indicator_rows", filters, {
            "kind": key, "limit": None, "offset": 0, "after_severity": None, "after_deviations": None,
            "after_project": None, "after_position": None, "after_id": None}, size or CHUNK_ROWS):
        rows["status_zh"] = rows["status"].map(STATUS_ZH)
        yield indicator_table(rows)


def project_chunks(store: Store, filters: Filters, key: str, size: int | None = None) -> Iterator[pd.DataFrame]:
    """table(store, filters, key) of a budget table (PROJECT_TABLES but rate_mismatch) in pieces of at most
    `size` (default CHUNK_ROWS) rows, streamed from one query as indicator_chunks; the pieces concatenate
    to table()."""
    if key not in PROJECT_TABLES or key == "rate_mismatch":
        raise KeyError(f"not a budget table: {key!r}")
    for rows in scope.stream(store, "flags", filters, {"kind": key, "limit": None, "offset": 0}, size or CHUNK_ROWS):
        yield budget_table(rows)


def deviations(store: Store, filters: Filters = Filters()) -> dict:
    """Every table of the deviations page in full (for exports and the CLI; the page shows them a page at
    a time through table()).

    Returns {"budget": DataFrame, "indicators": DataFrame (unmet/missing), "pending": DataFrame,
    "all_indicators": DataFrame, "quality": {check: DataFrame}, "counts": deviation_counts(),
    "projects": int}.
    """
    fig = figures(store, filters)
    out = {"projects": fig["projects"], "counts": deviation_counts(fig)}
    for key in ("budget", "indicators", "pending", "all_indicators"):
        out[key] = table(store, filters, key)
    out["quality"] = {k: table(store, filters, k) for k in QUALITY_CHECKS}
    return out
