"""Project pickers that stay usable with a province's data: a select box lists at most CAP projects (a
browser cannot scroll 200,000 options), and says how to find the others."""
from __future__ import annotations

import streamlit as st

CAP = 1000
MAX_EXPORT = 500     # projects per workbook of forms (a sheet each) and per written report (about a page each)


def capped(ids: list, what: str = "项目") -> list:
    """The first CAP of `ids` (in the filters' order), with a caption when some are left out."""
    if len(ids) <= CAP:
        return ids
    st.caption(f":orange[共 {len(ids):,} 个{what}，下拉框只列出前 {CAP:,} 个。请用左侧“项目名称搜索”、主管部门或资金来源"
               "筛选缩小范围。]")
    return ids[:CAP]
