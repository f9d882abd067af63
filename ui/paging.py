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


# ---------------------------------------------------------------- keyset pages (上一页 / 下一页)
# A table too long to sort to an offset (2.3M indicator rows) is read after the key of the last row
# shown: the reader steps forward and back through a stack of cursors, one per page read, kept per
# table; a new filter (`token`) starts the stack again at the first page.
def cursor_stack(key: str, token) -> list:
    """The cursors (the `after` of each page past the first) of the keyset-paged table `key` under the
    filter `token`; the last one is the page to show (none: the first page)."""
    pages = st.session_state.get(key)
    if not isinstance(pages, dict) or pages.get("filter") != token:
        pages = st.session_state[key] = {"filter": token, "after": []}
    return pages["after"]


def keyset_caption(stack: list, shown: int, total: int, page_rows: int) -> str:
    """"第 N 页（共 M 页），第 a–b 行，共 T 行" of the page after `stack` showing `shown` rows."""
    page, pages = len(stack) + 1, pages_for(total, page_rows)
    first = (page - 1) * page_rows + 1
    return (f"第 {page:,} 页（共 {pages:,} 页），第 {first:,}–{first + shown - 1:,} 行，共 {total:,} 行；"
            "导出按钮导出全部行。")


def keyset_buttons(key: str, stack: list, next_after, has_next: bool,
                   labels: tuple[str, str] = ("上一页", "下一页"), keys: tuple[str, str] | None = None) -> None:
    """The back / forward buttons of a keyset-paged table: back pops the stack, forward pushes the cursor
    of the page's last row (`next_after`); each shows only when there is a page that way. Their widget
    keys are `keys`, else "<key>_back" / "<key>_next"."""
    def back():
        if stack:
            stack.pop()

    def forward():
        stack.append(next_after)

    back_key, next_key = keys or (f"{key}_back", f"{key}_next")
    left, right, _ = st.columns([1.3, 1.3, 6])
    if stack:
        left.button(labels[0], key=back_key, icon=":material/arrow_back:", on_click=back)
    if has_next and next_after is not None:
        right.button(labels[1], key=next_key, icon=":material/arrow_forward:", on_click=forward)
