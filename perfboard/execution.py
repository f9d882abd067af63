"""Budget execution (预算执行): totals, grouped views with weighted rates, the project table a page
at a time, and the data of the two charts, all aggregated in DuckDB.

At a province's scale (200,000 projects a year) nothing here pulls every filtered project into
pandas: queries/scoped/execution_groups.sql returns the 合计 figures, the department and funding-source
groups and the rate buckets in one scan (a few hundred rows), queries/scoped/execution_projects.sql a
page of the project table (or the largest budgets for the chart). Both read queries/scope.sql's
scoped_projects, projects.sql's filters and light (tests/test_scope.py checks the copy), so the
tables add up to the figures of the overview and `summary --json`.
"""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from . import scope
from .db import Store
from .deviations import BUDGET_DEVIATION_LIGHTS, PROJECT_COLUMNS
from .filters import Filters
from .summary import bands, projects
from .versions import notes_blind

TOTAL_LABEL = "合计"
GROUPS = {"department": "主管部门", "funding_source": "资金来源"}
GROUP_COLUMNS = ["项目数", "全年预算数（万元）", "全年执行数（万元）", "执行率（加权）", "偏离项目数"]
CHART_TOP = 15          # bars of the budget/spent chart; the rest fold into one "其他" bar
NAMES_SHOWN = 5         # project names in a rate bucket's tooltip
ALL_ROWS = None         # limit of project_rows(): every row
CHUNK_ROWS = 50_000     # rows of a piece of table_chunks() (the streamed CSV export)


def aggregates(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """queries/execution_groups.sql: grouped_by, department, funding_source, bucket, light, projects,
    budget, spent, deviating, names (one row per group; see the query)."""
    return scope.run(store, "execution_groups", filters, {"deviating": list(BUDGET_DEVIATION_LIGHTS),
                                                         "names": NAMES_SHOWN})


def _rate(spent: float, budget: float):
    return spent / budget if budget > 0 else None


def _totals(agg: pd.DataFrame) -> dict:
    """summary.totals() of the filtered projects, from the 'total' row."""
    t = agg[agg["grouped_by"] == "total"]
    n = int(t["projects"].iloc[0]) if len(t) else 0
    budget = float(t["budget"].iloc[0]) if n else 0.0
    spent = float(t["spent"].iloc[0]) if n else 0.0
    return {"projects": n, "budget_wan": budget, "spent_wan": spent, "execution_rate": _rate(spent, budget)}


def group_table(agg: pd.DataFrame, by: str) -> pd.DataFrame:
    """Projects grouped by department or funding source: count, sums and the weighted rate
    (sum spent / sum budget, not the mean of the rates), largest budget first."""
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    g = agg[agg["grouped_by"] == by]
    out = pd.DataFrame({GROUPS[by]: g[by].to_numpy(dtype=object), "项目数": g["projects"].astype(int).to_numpy(),
                        "全年预算数（万元）": g["budget"].astype(float).to_numpy(),
                        "全年执行数（万元）": g["spent"].astype(float).to_numpy(),
                        "执行率（加权）": [_rate(s, b) for s, b in zip(g["spent"].tolist(), g["budget"].tolist())],
                        "偏离项目数": g["deviating"].astype(int).to_numpy()},
                       columns=[GROUPS[by], *GROUP_COLUMNS])
    return out


def group_totals_row(agg: pd.DataFrame, by: str) -> pd.DataFrame:
    t = _totals(agg)
    total = agg[agg["grouped_by"] == "total"]
    deviating = int(total["deviating"].iloc[0]) if len(total) else 0
    return pd.DataFrame([{GROUPS[by]: TOTAL_LABEL, "项目数": t["projects"], "全年预算数（万元）": t["budget_wan"],
                          "全年执行数（万元）": t["spent_wan"], "执行率（加权）": t["execution_rate"],
                          "偏离项目数": deviating}])


def totals_row(t: dict) -> pd.DataFrame:
    """The 合计 row of the project table: its columns up to 执行率 (a reported rate or a light means
    nothing for a sum)."""
    row = {"项目名称": f"{TOTAL_LABEL}（{t['projects']:,} 个项目）", "主管部门": "", "资金来源": "",
           "全年预算数（万元）": t["budget_wan"], "全年执行数（万元）": t["spent_wan"], "执行率": t["execution_rate"]}
    return pd.DataFrame([row])


def distribution(agg: pd.DataFrame) -> pd.DataFrame:
    """Project counts per rate bucket and light (charts.rate_distribution_data's shape: bucket, light,
    count, names), projects without a rate left out."""
    from .charts import RATE_BUCKETS
    d = agg[(agg["grouped_by"] == "bucket") & agg["bucket"].notna()]
    rows = []
    for r in d.itertuples(index=False):
        names = [str(n) for n in r.names]
        shown = "、".join(names[:NAMES_SHOWN]) + (f" 等 {r.projects} 个" if r.projects > NAMES_SHOWN else "")
        rows.append({"bucket": r.bucket, "light": r.light, "count": int(r.projects), "names": shown})
    out = pd.DataFrame(rows, columns=["bucket", "light", "count", "names"])
    out["_o"] = out["bucket"].map(RATE_BUCKETS.index)
    return out.sort_values(["_o", "light"]).drop(columns="_o").reset_index(drop=True)


def project_rows(store: Store, filters: Filters = Filters(), limit: int | None = ALL_ROWS, offset: int = 0,
                 by_budget: bool = False) -> pd.DataFrame:
    """Filtered projects (id, name, department, funding_source, budget, spent, execution_rate,
    reported_rate, light) in the table's order (year, department, id), or largest budget first;
    `limit` rows from `offset` (limit None: all)."""
    return scope.run(store, "execution_projects", filters, {"limit": limit, "offset": int(offset),
                                                           "by_budget": bool(by_budget)})


def project_table(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of project_rows() (or a projects() frame) for display, numbers staying numbers."""
    out = df[list(PROJECT_COLUMNS)].rename(columns=PROJECT_COLUMNS)
    out["资金来源"] = out["资金来源"].fillna("未填写")
    return out.reset_index(drop=True)


def table_chunks(store: Store, filters: Filters = Filters(), rows: int | None = None) -> Iterator[pd.DataFrame]:
    """full_table() in pieces of at most `rows` (default CHUNK_ROWS) rows, streamed from one query
    (scope.stream): the CSV export of a province's million projects never holds them all. The first piece
    comes even when it is empty; the pieces concatenate to full_table()."""
    for df in scope.stream(store, "execution_projects", filters, {"limit": ALL_ROWS, "offset": 0, "by_budget": False},
                           rows or CHUNK_ROWS):
        yield project_table(df)


def table_total(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """The project table's 合计 row (figures()["table_total"]) alone: one scan, no project rows."""
    return totals_row(_totals(aggregates(store, filters)))


@notes_blind
def table_page(store: Store, filters: Filters, limit: int, offset: int) -> pd.DataFrame:
    """One page of the project table as shown."""
    return project_table(project_rows(store, filters, limit, offset))


def full_table(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """Every row of the project table (for the export buttons and the CLI)."""
    return project_table(project_rows(store, filters))


def chart_top(store: Store, filters: Filters, t: dict, top_n: int = CHART_TOP) -> tuple[pd.DataFrame, dict | None]:
    """The budget chart's data: the top_n projects by budget, and the rest summed ({"projects",
    "budget", "spent"}, None when nothing is left over)."""
    top = project_rows(store, filters, top_n, 0, by_budget=True)
    n = t["projects"] - len(top)
    if n <= 0:
        return top, None
    return top, {"projects": n, "budget": t["budget_wan"] - float(top["budget"].sum()),
                 "spent": t["spent_wan"] - float(top["spent"].sum())}


@notes_blind
def figures(store: Store, filters: Filters = Filters()) -> dict:
    """What the execution page shows except the project rows (a few hundred rows whatever the data):
    {"totals": summary.totals(), "table_total", "by_department"/"by_department_total",
    "by_funding_source"/"by_funding_source_total", "distribution", "top"/"rest" (budget chart), "bands"}."""
    agg = aggregates(store, filters)
    t = _totals(agg)
    out = {"totals": t, "bands": bands(store), "table_total": totals_row(t), "distribution": distribution(agg)}
    for by in GROUPS:
        out[f"by_{by}"] = group_table(agg, by)
        out[f"by_{by}_total"] = group_totals_row(agg, by)
    out["top"], out["rest"] = chart_top(store, filters, t) if t["projects"] else (project_rows(store, filters, 0), None)
    return out


def execution(store: Store, filters: Filters = Filters()) -> dict:
    """figures() plus every row: "table" (the full project table, for exports and the CLI) and
    "projects" (the raw projects() frame). Pages use figures() and table_page() instead."""
    out = figures(store, filters)
    out["table"] = full_table(store, filters)
    out["projects"] = projects(store, filters)
    return out
