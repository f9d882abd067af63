"""The tables `python -m perfboard export --what TABLE` can write: each is the DataFrame a page shows, built
by the same domain function the page calls, so a CLI export and a download from the page agree."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..db import Store
from ..filters import Filters


@dataclass(frozen=True)
class Table:
    title: str
    build: Callable[[Store, Filters], tuple[pd.DataFrame, pd.DataFrame | dict | None]]   # (rows, totals)
    page: str


def _execution(key: str):
    def build(store, filters):
        from ..execution import execution
        e = execution(store, filters)
        return e[key], e[f"{key}_total"]
    return build


def _deviations(key: str):
    def build(store, filters):
        from ..deviations import table
        return table(store, filters, key), None      # that one table in full, not all of the page's
    return build


ATTENTION_COLUMNS = {"name": "项目名称", "department": "主管部门", "light": "状态", "execution_rate": "执行率",
                     "reported_rate": "填报执行率", "deviating_indicators": "偏离指标", "reason": "偏离原因",
                     "measures": "改进措施"}


def attention_table(items: list[dict]) -> pd.DataFrame:
    """The overview's 需关注 list as a table (worst first)."""
    return pd.DataFrame([{v: i[k] for k, v in ATTENTION_COLUMNS.items()} for i in items],
                        columns=list(ATTENTION_COLUMNS.values()))


def _attention(store, filters):
    from ..overview import overview
    return attention_table(overview(store, filters, attention_limit=None)["attention"]), None


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
    "projects": Table("项目执行情况", _execution("table"), "预算执行"),
    "by-department": Table("按主管部门汇总", _execution("by_department"), "预算执行"),
    "by-funding-source": Table("按资金来源汇总", _execution("by_funding_source"), "预算执行"),
    "attention": Table("需关注项目", _attention, "总览"),
    "deviations": Table("预算执行偏离", _deviations("budget"), "偏离分析"),
    "indicator-deviations": Table("绩效指标偏离", _deviations("indicators"), "偏离分析"),
    "pending": Table("待判定指标", _deviations("pending"), "偏离分析"),
    "indicators": Table("全部绩效指标", _deviations("all_indicators"), "偏离分析"),
    "scores": Table("自评得分", _scores, "评分"),
}
ALIASES = {"execution": "projects"}


def table_names() -> list[str]:
    return sorted(TABLES) + sorted(ALIASES)


def build_table(store: Store, filters: Filters, what: str, user=None) -> tuple[Table, pd.DataFrame, object]:
    """One table of the catalogue under the filters, within the departments `user` may export
    (auth.scoped: None is the local administrator of single-user mode)."""
    from .. import auth
    t = TABLES[ALIASES.get(what, what)]
    df, totals = t.build(store, auth.scoped(store, filters, user, "export"))
    return t, df, totals
