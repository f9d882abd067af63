"""Project figures under the filters: the one code path behind the pages and `summary --json`."""
from __future__ import annotations

import math

import pandas as pd

from . import cells
from .db import Store
from .filters import DEFAULT_BANDS, Filters


def bands(store: Store) -> dict:
    return store.get_setting("rate_bands", DEFAULT_BANDS)


def projects(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    return store.df("projects", filters.params(bands(store)))


def totals(df: pd.DataFrame) -> dict:
    budget = float(df["budget"].sum()) if len(df) else 0.0
    spent = float(df["spent"].sum()) if len(df) else 0.0
    return {"projects": int(len(df)), "budget_wan": budget, "spent_wan": spent,
            "execution_rate": spent / budget if budget > 0 else None}


def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def summary(store: Store, filters: Filters = Filters()) -> dict:
    df = projects(store, filters)
    out = {"years": sorted(int(y) for y in df["year"].unique()), **totals(df)}
    out["items"] = [
        {"year": int(r.year), "department": r.department, "name": r.name,
         "code": None if pd.isna(r.code) else r.code, "budget_wan": float(r.budget), "spent_wan": float(r.spent),
         "execution_rate": _num(r.execution_rate), "reported_rate": _num(r.reported_rate),
         "rate_mismatch": bool(r.rate_mismatch), "indicators": int(r.indicators)}
        for r in df.itertuples(index=False)
    ]
    return out


def filter_options(store: Store, departments: tuple[str, ...] | None = None) -> dict:
    """Years, departments and funding sources the sidebar offers. `departments` (None = all) narrows every
    list to what occurs in those departments: a viewer's pickers show nothing of other departments."""
    df = store.df("filter_options")
    if departments is not None:
        keys = {cells.department(d) for d in departments}
        df = df[[cells.department(d) in keys for d in df["department"]]]
    own = df[~df["monitor_only"].astype(bool)]          # self-evaluation rows; monitoring adds departments only
    return {"years": sorted({int(y) for y in own["year"]}, reverse=True),
            "departments": sorted(set(df["department"])),
            "funding_sources": sorted(set(own["funding_source"]))}


def latest_year(store: Store, filters: Filters = Filters()) -> int | None:
    """The latest year holding a project of the filters' departments (all departments when none is chosen)."""
    if filters.departments:
        return store.scalar("SELECT max(year) FROM projects WHERE list_contains(?, department)",
                            [list(filters.departments)])
    return store.scalar("SELECT max(year) FROM projects")


def with_default_year(store: Store, filters: Filters) -> Filters:
    """Filters without a year read the latest year, as the app's sidebar does: outputs never add up several
    years (nor an illustrative 示例（虚构） year to a real one) unless a caller asks for one year at a time."""
    if filters.year is not None:
        return filters
    year = latest_year(store, filters)
    return filters if year is None else filters.with_year(int(year))


def previous_year(store: Store, year: int | None) -> int | None:
    """The latest year before `year` that holds any project (not just year - 1: gaps happen)."""
    if year is None:
        return None
    return store.scalar("SELECT max(year) FROM projects WHERE year < ?", [year])


def change(current: dict, base: dict | None) -> dict:
    """Differences of two totals() dicts: absolute, relative (fraction) and the rate in points."""
    if not base:
        return {}
    out = {"projects": current["projects"] - base["projects"]}
    for k in ("budget_wan", "spent_wan"):
        out[k] = current[k] - base[k]
        out[k + "_pct"] = (current[k] - base[k]) / base[k] if base[k] else None
    if current["execution_rate"] is not None and base["execution_rate"] is not None:
        out["execution_rate_pp"] = (current["execution_rate"] - base["execution_rate"]) * 100
    else:
        out["execution_rate_pp"] = None
    return out


def totals_with_base(store: Store, filters: Filters, base_year: int | None = None) -> tuple[dict, dict | None, int | None]:
    """Totals under the filters, and the same filters applied to the base year (default: previous year)."""
    current = totals(projects(store, filters))
    base_year = base_year if base_year is not None else previous_year(store, filters.year)
    if base_year is None:
        return current, None, None
    return current, totals(projects(store, filters.with_year(base_year))), base_year
