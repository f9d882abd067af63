"""Indicator rows under the filters and their status (met / unmet / missing / ...), judged once here
for every page, the scoring and the exports."""
from __future__ import annotations

import pandas as pd

from .db import Store
from .filters import Filters
from .summary import projects
from .targets import Parsed, judge

STATUS_ZH = {"met": "达成", "unmet": "未达成", "missing": "缺实际值", "no_target": "无目标值",
             "pending": "待判定", "na": "不适用"}


def _parsed(text, value, unit, direction=None) -> Parsed:
    if value is None or pd.isna(value):
        from .targets import parse_value
        return parse_value(text)
    return Parsed(text=text or "", direction=direction, value=float(value), unit=unit or "")


def parsed_values(row) -> tuple[Parsed, Parsed]:
    """(target, actual) of one indicator row as judged here; scoring reads the numbers from these."""
    direction = row["direction"] if isinstance(row["direction"], str) else None
    target = _parsed(row["target_text"], row["target_value"], row["target_unit"], direction)
    actual = _parsed(row["actual_text"], row["actual_value"], row["actual_unit"])
    return target, actual


def status_of(row) -> str:
    """Judge one indicator row (a mapping with the indicators table's columns)."""
    target, actual = parsed_values(row)
    judgement = row["judgement"] if isinstance(row["judgement"], str) else None
    return judge(target, actual, judgement)


def with_status(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["status"] = [status_of(r) for r in df.to_dict("records")] if len(df) else pd.Series(dtype=str)
    df["status_zh"] = df["status"].map(STATUS_ZH)
    return df


def indicator_rows(store: Store, filters: Filters = Filters(), project_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator of the filtered projects, in form order, with `status` and `status_zh`."""
    if project_df is None:
        project_df = projects(store, filters)
    ids = project_df[["id"]]
    return with_status(store.df("indicators", tables={"project_ids": ids}))
