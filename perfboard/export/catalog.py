"""The tables `python -m perfboard export --what TABLE` can write: each is the DataFrame a page shows, built
by the same domain function the page calls, so a CLI export and a download from the page agree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from ..db import Store
from ..filters import Filters


@dataclass(frozen=True)
class Table:
    title: str
    build: Callable[[Store, Filters], tuple[pd.DataFrame, pd.DataFrame | dict | None]]   # (rows, totals)
    page: str
    # the number of rows build() would give, counted in SQL (None: a table that cannot outgrow a sheet):
    # an .xlsx too long for one sheet is refused before anything is built
    count: Callable[[Store, Filters], int] | None = None
    # the rows in pieces (no totals), for a CSV written as it is read (None: build() in one piece)
    chunks: Callable[[Store, Filters], Iterator[pd.DataFrame]] | None = None
    # the totals build() gives, alone (None: the table has none), written after the last piece
    totals: Callable[[Store, Filters], pd.DataFrame | dict | None] | None = None


def _execution(key: str):
    def build(store, filters):      # the page's figures (a few hundred rows), and the project table only if asked
        from ..execution import figures, full_table
        e = figures(store, filters)
        return full_table(store, filters) if key == "table" else e[key], e[f"{key}_total"]
    return build


def _execution_chunks(store, filters):
    from ..execution import table_chunks
    return table_chunks(store, filters)


def _execution_total(store, filters):
    from ..execution import table_total
    return table_total(store, filters)


def _budget_chunks(store, filters):
    from ..deviations import project_chunks
    return project_chunks(store, filters, "budget")


def _deviations(key: str):
    def build(store, filters):
        from ..deviations import table
        return table(store, filters, key), None      # that one table in full, not all of the page's
    return build


def _figure(name: str, key: str | None = None):
    """A count of deviations.figures() (one SQL row): `name`, or rows[`key`]."""
    def count(store, filters):
        from ..deviations import figures
        fig = figures(store, filters)
        return int(fig["rows"][key] if key else fig[name])
    return count


def _indicator_chunks(key: str):
    def chunks(store, filters):
        from ..deviations import indicator_chunks
        return indicator_chunks(store, filters, key)
    return chunks


ATTENTION_COLUMNS = {"name": "项目名称", "department": "主管部门", "light": "状态", "execution_rate": "执行率",
                     "reported_rate": "填报执行率", "deviating_indicators": "偏离指标", "reason": "偏离原因",
                     "measures": "改进措施"}


def attention_table(items: list[dict]) -> pd.DataFrame:
    """The overview's 需关注 list as a table (worst first)."""
    return pd.DataFrame([{v: i[k] for k, v in ATTENTION_COLUMNS.items()} for i in items],
                        columns=list(ATTENTION_COLUMNS.values()))


def _attention(store, filters):
    from ..overview import attention          # the overview's 需关注 list alone (its other figures are not needed)
    return attention_table(attention(store, filters, limit=None)), None


def _scores(store, filters):
    from ..scoring import score_table
    t = score_table(store, filters)
    return pd.DataFrame({"项目名称": t["name"].to_numpy(dtype=object), "主管部门": t["department"].to_numpy(dtype=object),
                         "执行率": t["execution_rate"].to_numpy(dtype=object),
                         "预算执行得分": t["execution_score"].to_numpy(dtype=float),
                         "指标得分": t["indicator_score"].to_numpy(dtype=float), "总分": t["total"].to_numpy(dtype=float),
                         "等级": t["grade"].astype(object).where(t["grade"].notna(), "待判定").to_numpy(dtype=object),
                         "估算": np.where(t["estimated"].astype(bool), "是", "否").astype(object)},
                        columns=["项目名称", "主管部门", "执行率", "预算执行得分", "指标得分", "总分", "等级", "估算"]), None


TABLES: dict[str, Table] = {
    "projects": Table("项目执行情况", _execution("table"), "预算执行", _figure("projects"), _execution_chunks,
                      _execution_total),
    "by-department": Table("按主管部门汇总", _execution("by_department"), "预算执行"),
    "by-funding-source": Table("按资金来源汇总", _execution("by_funding_source"), "预算执行"),
    "attention": Table("需关注项目", _attention, "总览", _figure("deviation_projects")),
    "deviations": Table("预算执行偏离", _deviations("budget"), "偏离分析", _figure("rows", "budget"), _budget_chunks),
    "indicator-deviations": Table("绩效指标偏离", _deviations("indicators"), "偏离分析", _figure("rows", "indicators"),
                                  _indicator_chunks("indicators")),
    "pending": Table("待判定指标", _deviations("pending"), "偏离分析", _figure("rows", "pending"),
                     _indicator_chunks("pending")),
    "indicators": Table("全部绩效指标", _deviations("all_indicators"), "偏离分析", _figure("rows", "all_indicators"),
                        _indicator_chunks("all_indicators")),
    "scores": Table("自评得分", _scores, "评分", _figure("projects")),
}
ALIASES = {"execution": "projects"}


def table_names() -> list[str]:
    return sorted(TABLES) + sorted(ALIASES)


def table_of(what: str) -> Table:
    return TABLES[ALIASES.get(what, what)]


def count_rows(store: Store, filters: Filters, what: str, user=None) -> int | None:
    """How many rows build_table() would give (None: the table has no count; it cannot outgrow a sheet),
    counted in SQL under the same department scope."""
    from .. import auth
    t = table_of(what)
    return None if t.count is None else t.count(store, auth.scoped(store, filters, user, "export"))


def table_chunks(store: Store, filters: Filters, what: str, user=None) -> Iterator[pd.DataFrame] | None:
    """build_table()'s rows in pieces, when the table has a chunked reader (else None)."""
    from .. import auth
    t = table_of(what)
    return None if t.chunks is None else t.chunks(store, auth.scoped(store, filters, user, "export"))


def table_totals(store: Store, filters: Filters, what: str, user=None):
    """build_table()'s totals alone, for a table read in pieces (table_chunks); None when it has none."""
    from .. import auth
    t = table_of(what)
    return None if t.totals is None else t.totals(store, auth.scoped(store, filters, user, "export"))


def build_table(store: Store, filters: Filters, what: str, user=None) -> tuple[Table, pd.DataFrame, object]:
    """One table of the catalogue under the filters, within the departments `user` may export
    (auth.scoped: None is the local administrator of single-user mode)."""
    from .. import auth
    t = TABLES[ALIASES.get(what, what)]
    df, totals = t.build(store, auth.scoped(store, filters, user, "export"))
    return t, df, totals
