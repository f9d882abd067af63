"""Project pickers that stay usable with a province's data: a select box lists at most CAP projects (a
browser cannot scroll 200,000 options, and building them costs seconds), and says how to find the others."""
from __future__ import annotations

import streamlit as st

from perfboard.editing import project_choices
from ui import state

CAP = 1000
MAX_EXPORT = 500     # projects per workbook of forms (a sheet each) and per written report (about a page each)


def projects(filters, keep=None) -> tuple[dict[int, tuple[int, str, str]], int]:
    """{id: (year, department, name)} of the first CAP projects under the filters (in the filters' order),
    plus `keep` when it is under the filters too, and the total; a caption says when some are left out."""
    df, total = state.load(project_choices, filters, CAP)
    found = {int(i): (int(y), d, n) for i, y, d, n in zip(df["id"], df["year"], df["department"], df["name"])}
    if keep is not None and keep not in found and total > CAP:
        extra, _ = state.load(project_choices, filters, 0, int(keep))
        found.update({int(i): (int(y), d, n) for i, y, d, n in zip(extra["id"], extra["year"], extra["department"],
                                                                      extra["name"])})
    if total > CAP:
        st.caption(f":orange[共 {total:,} 个项目，下拉框只列出前 {CAP:,} 个。请用左侧“项目名称搜索”、主管部门或资金来源"
                   "筛选缩小范围。]")
    return found, total
