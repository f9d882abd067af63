"""Project figures under the filters: the one code path behind the pages and `summary --json`."""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from . import cells, scope
from .db import Store
from .filters import Filters
from .scope import bands  # noqa: F401 (the pages' and modules' name for it)
from .versions import notes_blind


def projects(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    return store.df("projects", filters.params(bands(store)))


def totals(df: pd.DataFrame) -> dict:
    budget = float(df["budget"].sum()) if len(df) else 0.0
    spent = float(df["spent"].sum()) if len(df) else 0.0
    return {"projects": int(len(df)), "budget_wan": budget, "spent_wan": spent,
            "execution_rate": spent / budget if budget > 0 else None}


SUMMARY_CHUNK = 50_000          # items of `summary --json` built and written at a time


def summary_head(store: Store, filters: Filters = Filters()) -> dict:
    """summary() without its items: years and totals(), from the filtered projects' year, budget and
    spent alone (queries/scoped/summary_money.sql, in projects()' order: the same sums to the last bit)."""
    df = scope.run(store, "summary_money", filters)
    return {"years": sorted(int(y) for y in df["year"].unique()), **totals(df)}


def _or_none(s: pd.Series) -> list:
    """The column's values, None where missing (NaN, None, NA), column-wise (what pd.isna says per cell)."""
    return s.astype(object).where(s.notna(), None).tolist()


def _items(df: pd.DataFrame) -> list[dict]:
    cols = [df[c].tolist() for c in ("year", "department", "name")]
    cols.append(_or_none(df["code"]))
    cols += [df[c].astype(float).tolist() for c in ("budget", "spent")]
    cols += [[None if v is None else float(v) for v in _or_none(df[c])] for c in ("execution_rate", "reported_rate")]
    cols += [df["rate_mismatch"].tolist(), df["indicators"].tolist()]
    return [
        {"year": int(year), "department": department, "name": name, "code": code, "budget_wan": budget,
         "spent_wan": spent, "execution_rate": rate, "reported_rate": reported, "rate_mismatch": bool(mismatch),
         "indicators": int(n)}
        for year, department, name, code, budget, spent, rate, reported, mismatch, n in zip(*cols)
    ]


def summary_items(store: Store, filters: Filters = Filters(), rows: int | None = None) -> Iterator[list[dict]]:
    """summary()'s items, at most `rows` (default SUMMARY_CHUNK) at a time (lists, in order), streamed from
    one query (queries/scoped/summary_items.sql): a million projects are never all held, as frames or dicts."""
    for df in scope.stream(store, "summary_items", filters, None, rows or SUMMARY_CHUNK):
        yield _items(df)


def summary(store: Store, filters: Filters = Filters()) -> dict:
    """Years, totals() and one item per filtered project (projects()' order): `summary --json`, which writes
    summary_head() and then summary_items() a piece at a time, the same text as json.dumps of this."""
    out = summary_head(store, filters)
    out["items"] = [i for items in summary_items(store, filters) for i in items]
    return out


@notes_blind
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


@notes_blind
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
