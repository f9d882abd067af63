"""The overview (总览) for a meeting: big figures with the change from the previous year, the
projects that need attention and the data-quality counts, all under the sidebar filters.

The money figures come from summary.totals_with_base/change, the same code as `summary --json`
and the year-over-year page, so the overview can never disagree with them.
"""
from __future__ import annotations

import pandas as pd

from .db import Store
from .deviations import (NO_MEASURE, NO_REASON, QUALITY_CHECKS, deviation_counts, or_placeholder,
                         project_flags, quality_counts)
from .filters import Filters
from .indicators import indicator_rows
from .summary import bands, change, projects, totals_with_base


def _deviation_figures(store: Store, filters: Filters) -> dict:
    df = projects(store, filters)
    return deviation_counts(df, indicator_rows(store, filters, project_df=df))


def figure_changes(current: dict, base: dict | None) -> dict:
    """summary.change() plus the deviation and indicator figures of the overview."""
    if not base:
        return {}
    out = change(current, base)
    out["deviation_projects"] = current["deviation_projects"] - base["deviation_projects"]
    out["indicators_met"] = current["indicators_met"] - base["indicators_met"]
    share = [f["indicators_met"] / f["indicators_total"] if f["indicators_total"] else None for f in (current, base)]
    out["indicators_met_share_pp"] = (share[0] - share[1]) * 100 if None not in share else None
    return out


def attention(flags: pd.DataFrame, limit: int | None = None) -> list[dict]:
    """需关注: projects in deviation, worst first, with rate, deviating indicators, reason, measures."""
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


def overview(store: Store, filters: Filters = Filters(), attention_limit: int = 8) -> dict:
    """Everything the overview page shows.

    {"figures": totals() + deviation_counts() of the filtered year, "base": the same for the
    previous year or None, "base_year" (None when no earlier year holds data), "change": figure_changes(), "projects": projects() frame
    (for the chart), "bands", "attention": list, "attention_total": int, "quality": {check: count},
    "quality_labels": QUALITY_CHECKS}.
    """
    current, base, base_year = totals_with_base(store, filters)
    if base is not None and base["projects"] == 0:
        base = None      # nothing under these filters that year: no change to show, but say which year
    df = projects(store, filters)
    ind = indicator_rows(store, filters, project_df=df)
    flags = project_flags(df, ind)
    figures = {**current, **deviation_counts(df, ind)}
    base_figures = {**base, **_deviation_figures(store, filters.with_year(base_year))} if base else None
    return {
        "figures": figures,
        "base": base_figures,
        "base_year": base_year,
        "change": figure_changes(figures, base_figures),
        "projects": df,
        "bands": bands(store),
        "attention": attention(flags, attention_limit),
        "attention_total": int(flags["in_deviation"].sum()),
        "quality": quality_counts(flags, ind),
        "quality_labels": QUALITY_CHECKS,
    }
