"""The overview (总览) for a meeting: big figures with the change from the previous year, the
projects that need attention and the data-quality counts, all under the sidebar filters.

Everything is aggregated in DuckDB (perfboard.deviations.figures: one row of counts for the year and
one for the base year; the 需关注 list a top-N query; the chart its N rows plus one for the rest), so
the page costs the same for twelve projects or two hundred thousand. The money figures are the same
totals as `summary --json` and the year-over-year page (tests check), so they can never disagree.
"""
from __future__ import annotations

import pandas as pd

from . import scope
from .db import Store
from .deviations import NO_MEASURE, NO_REASON, QUALITY_CHECKS, deviating_names, figures, or_placeholder
from .filters import Filters
from .summary import bands, change, previous_year
from .versions import notes_blind

CHART_TOP = 20          # bars of the execution-rate chart; the rest fold into one "其他" bar
TOTAL_KEYS = ("projects", "budget_wan", "spent_wan", "execution_rate")


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


def _num(v):
    return None if v is None or pd.isna(v) else float(v)


def attention_items(rows: pd.DataFrame, names: dict[int, str]) -> list[dict]:
    """需关注 items of deviations.figures()["attention"] rows, with their deviating indicators named."""
    return [{
        "id": int(r.id), "year": int(r.year), "name": r.name, "department": r.department,
        "light": r.light, "execution_rate": _num(r.execution_rate), "reported_rate": _num(r.reported_rate),
        "rate_mismatch": bool(r.rate_mismatch), "budget_deviation": bool(r.budget_deviation),
        "deviating_indicators": names.get(int(r.id), ""),
        "reason": or_placeholder(r.deviation_reason, NO_REASON),
        "measures": or_placeholder(r.improvement, NO_MEASURE),
    } for r in rows.itertuples(index=False)]


def attention(store: Store, filters: Filters, limit: int | None = None) -> list[dict]:
    """需关注: projects in deviation, worst first (by how far the rate is from 100% for budget deviations,
    then the number of deviating indicators, then id), at most `limit` (None: all), with rate, deviating
    indicators, reason, measures."""
    rows = figures(store, filters, attention=limit)["attention"]
    return attention_items(rows, _names(store, filters, rows))


def _names(store: Store, filters: Filters, rows: pd.DataFrame) -> dict[int, str]:
    return deviating_names(store, filters, rows.loc[rows["indicator_deviations"] > 0, "id"])


def rate_chart_rows(store: Store, filters: Filters, top: int = CHART_TOP) -> tuple[pd.DataFrame, int]:
    """(rows, n): the rows perfboard.charts.execution_rate_chart draws for the filtered projects, and how
    many projects have a rate. The rows are the `top` with a rate furthest from 100% and, when more
    have one, a "其他 k 个项目" row summing the rest, exactly as charts.cap_projects folds them: draw
    them with top_n=len(rows)."""
    df = scope.run(store, "rate_chart", filters, {"top": int(top)})
    shown = df[df["rk"].notna()].drop(columns=["rk", "n"])
    rest = df[df["rk"].isna()]
    n = int(rest["n"].iloc[0]) if len(rest) else 0
    if n:
        from .charts import other_row
        other = other_row(n, float(rest["budget"].iloc[0]), float(rest["spent"].iloc[0]))
        shown = pd.concat([shown, pd.DataFrame([other])], ignore_index=True)
    return shown.reset_index(drop=True), len(shown) - (1 if n else 0) + n


def overview(store: Store, filters: Filters = Filters(), attention_limit: int = 8, chart_top: int = CHART_TOP) -> dict:
    """Everything the overview page shows.

    {"figures": totals and deviation counts of the filtered year (deviations.figures() keys), "base": the
    same for the previous year or None, "base_year" (None when no earlier year holds data), "change":
    figure_changes(), "chart": rate_chart_rows() (at most chart_top + 1 rows), "chart_projects": how many
    projects have a rate, "departments": the departments of the filtered projects, "bands", "attention":
    list, "attention_total": int, "quality": {check: count}, "quality_labels": QUALITY_CHECKS}.
    """
    fig = figures(store, filters, attention=attention_limit)
    base_year = previous_year(store, filters.year)
    base = figures(store, filters.with_year(base_year)) if base_year is not None else None
    if base is not None and base["projects"] == 0:
        base = None      # nothing under these filters that year: no change to show, but say which year
    chart, chart_projects = rate_chart_rows(store, filters, chart_top)
    return {
        "figures": fig,
        "base": base,
        "base_year": base_year,
        "change": figure_changes(fig, base),
        "chart": chart,
        "chart_projects": chart_projects,
        "departments": fig["departments"],
        "bands": bands(store),
        "attention": attention_items(fig["attention"], _names(store, filters, fig["attention"])),
        "attention_total": fig["deviation_projects"],
        "quality": fig["quality"],
        "quality_labels": QUALITY_CHECKS,
    }


# ---------------------------------------------------------------- the overview in two parts (issue 19)
# overview() reads notes in three places: the 数据检查 counts NOTE_CHECKS, the 需关注 items' reason and measures,
# and figures()' own quality/rows/attention (not shown). overview_figures is the rest, cached on the figures
# version (a save of a 偏差原因 keeps it); overview_notes the note parts, cheap, on the data version; the page
# joins them with with_notes (tests/test_figures_version.py checks the join equals overview()).
NOTE_CHECKS = ("budget_no_reason", "unmet_no_reason")
_NOTE_PARTS = ("quality", "rows", "attention")       # keys of deviations.figures() that notes decide
_NOTE_ITEM_KEYS = ("reason", "measures")


def _figures_only(fig: dict | None) -> dict | None:
    return None if fig is None else {k: v for k, v in fig.items() if k not in _NOTE_PARTS}


@notes_blind
def overview_figures(store: Store, filters: Filters = Filters(), attention_limit: int = 8,
                     chart_top: int = CHART_TOP) -> dict:
    """overview() less everything a note decides: "figures" and "base" without quality/rows/attention, the
    "attention" items without reason and measures, "quality" without NOTE_CHECKS. The 需关注 projects, their
    order and deviating indicators are figures (rates, statuses, ids)."""
    o = overview(store, filters, attention_limit, chart_top)
    o["figures"], o["base"] = _figures_only(o["figures"]), _figures_only(o["base"])
    o["attention"] = [{k: v for k, v in item.items() if k not in _NOTE_ITEM_KEYS} for item in o["attention"]]
    o["quality"] = {k: v for k, v in o["quality"].items() if k not in NOTE_CHECKS}
    return o


def overview_notes(store: Store, filters: Filters, attention_ids: tuple[int, ...] = ()) -> dict:
    """The note parts of the overview under `filters`: {"quality": {NOTE_CHECKS: count}, "texts": {project id:
    (偏离原因, 改进措施)}} of the 需关注 projects `attention_ids` (queries/scoped/overview_notes.sql)."""
    ids = pd.DataFrame({"id": pd.Series([int(i) for i in attention_ids], dtype="int64")})
    r = scope.run(store, "overview_notes", filters, tables={"project_ids": ids}).iloc[0]
    return {"quality": {k: int(r[k]) for k in NOTE_CHECKS},
            "texts": {int(t["id"]): (t["deviation_reason"], t["improvement"]) for t in r["texts"]}}


def with_notes(figures_part: dict, notes: dict) -> dict:
    """overview_figures() joined with overview_notes() of its 需关注 ids: what the page shows, as overview()
    (less figures()' unshown quality/rows/attention in "figures" and "base")."""
    o = dict(figures_part)
    o["attention"] = []
    for item in figures_part["attention"]:
        reason, measures = notes["texts"].get(item["id"], (None, None))
        o["attention"].append({**item, "reason": or_placeholder(reason, NO_REASON),
                               "measures": or_placeholder(measures, NO_MEASURE)})
    o["quality"] = {k: notes["quality"][k] if k in NOTE_CHECKS else figures_part["quality"][k] for k in QUALITY_CHECKS}
    return o
