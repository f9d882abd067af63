"""Long tables a page at a time: the browser never receives more rows than a person can read.

A page asks `page_slice(total, key)` for the (limit, offset) of the rows to show, fetches just those
(in SQL, or `.iloc` on a frame it already has), shows them, and the picker says where the reader is.
Exports still cover every row: `ui.export.download_buttons` accepts a callable that builds the full
table only when a button is clicked.
"""
from __future__ import annotations

import math

import streamlit as st

PAGE_ROWS = 200


def pages_for(total: int, page_rows: int = PAGE_ROWS) -> int:
    return max(1, math.ceil(max(0, int(total)) / page_rows))


def page_slice(total: int, key: str, page_rows: int = PAGE_ROWS) -> tuple[int, int]:
    """(limit, offset) of the page to show of a `total`-row table. With more than one page it shows
    a page number box and a caption "第 a–b 行，共 N 行"; a filter change that shrinks the table
    brings the reader back to a page that exists instead of an error."""
    pages = pages_for(total, page_rows)
    if pages == 1:
        st.session_state.pop(key, None)
        return page_rows, 0
    current = st.session_state.get(key, 1)
    if not isinstance(current, int) or not 1 <= current <= pages:
        st.session_state[key] = 1
    left, right = st.columns([1, 4], vertical_alignment="bottom")
    page = left.number_input(f"页码（共 {pages:,} 页）", min_value=1, max_value=pages, step=1, key=key)
    offset = (int(page) - 1) * page_rows
    right.caption(f"第 {offset + 1:,}–{min(offset + page_rows, total):,} 行，共 {total:,} 行；"
                  "导出按钮导出全部行。")
    return page_rows, offset
