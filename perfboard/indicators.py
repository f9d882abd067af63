"""Indicator rows under the filters and their status (met / unmet / missing / ...) for every page, the
scoring and the exports; the judgement itself is perfboard.indicator_status (re-exported here)."""
from __future__ import annotations

import pandas as pd

from .db import Store
from .filters import Filters
from .indicator_status import (STATUS_INPUTS, STATUS_ZH, compute_status, parsed_values,  # noqa: F401 (re-exported)
                               refresh_status, status_of, with_status)
from .summary import projects


def indicator_rows(store: Store, filters: Filters = Filters(), project_df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every indicator of the filtered projects, in form order, with `status` and `status_zh`."""
    if project_df is None:
        project_df = projects(store, filters)
    ids = project_df[["id"]]
    return with_status(store.df("indicators", tables={"project_ids": ids}))
