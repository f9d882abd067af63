"""Download buttons for any table a page shows: .xlsx and .csv of exactly that DataFrame.

The bytes are built only when a button is clicked (Streamlit calls the `data` callable then), so a page
with several tables pays nothing for its exports until someone downloads one; and only if the session is
still valid at that moment (ui.auth.download: not idle, not logged out, the account not disabled).
"""
from __future__ import annotations

import re
from datetime import datetime

import streamlit as st

from perfboard.display import NAME_LIMIT, md_text
from perfboard.export.tables import MAX_XLSX_ROWS, csv_chunks, to_csv, to_xlsx
from ui.auth import download

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV_MIME = "text/csv"
PDF_MIME = "application/pdf"


def file_name(title: str, filters=None, ext: str = "xlsx", now: datetime | None = None) -> str:
    """“项目执行情况-2024年度-20250301-0930.xlsx”: safe on Windows, says what and when."""
    year = f"{filters.year}年度" if getattr(filters, "year", None) else "全部年度"
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", f"{title}-{year}-{(now or datetime.now()):%Y%m%d-%H%M}")
    return f"{stem}.{ext}"


def export_bytes(df, title: str, filters, spec=None, totals=None, fmt: str = "xlsx", note: str | None = None) -> bytes:
    """What the buttons download (tests call this: AppTest cannot read a download's bytes). `note`: the
    示例（虚构） sentence the page shows next to the same data (export_note)."""
    if fmt == "csv":
        return to_csv(df, spec, totals, note)
    return to_xlsx(df, title, filters, spec, totals, note=note)


def export_note(filters, compared=()) -> str:
    """The 示例（虚构） sentence for a table of the rows `filters` select (compared with `compared` years)."""
    from perfboard.filters import Filters
    from perfboard.sample import illustrative_note
    from ui import state
    if not isinstance(filters, Filters):
        return ""
    return state.load(illustrative_note, filters, tuple(int(y) for y in compared if y is not None))


def download_buttons(df, title: str, filters, spec=None, totals=None, key: str = "export",
                     rows: int | None = None, narrow: bool = False, compared=(), illustrative: bool = True,
                     pieces=None) -> None:
    """Two small buttons, 导出 Excel and 导出 CSV, for `df` as shown (same rows, same order); narrow=True
    when they sit in a narrow column (the 需关注 list).

    df may be a DataFrame or a callable returning one: a paged table passes a callable that builds
    every row, called only when a button is clicked; then `rows` (the row count) decides whether the
    buttons are enabled.

    spec: list of Col / (column, 中文表头, kind) tuples, or None to infer from the Chinese headers
    (“…（万元）”, “…率”, “状态”). totals: {column: value} or the page's one-row 合计 DataFrame.
    compared: years the rows are compared against; illustrative=False for data that never comes from the
    sample (monitoring): otherwise a file of 示例（虚构） rows says so (export_note).
    pieces: a callable giving the same rows in pieces (deviations.indicator_chunks): the CSV is then written
    a piece at a time (csv_chunks, the same bytes) without the whole table in pandas (2.3M indicator rows).
    """
    note = export_note(filters, compared) if illustrative else ""
    if callable(df):
        disabled, make = not rows, df
    else:
        disabled, make, rows = df is None or len(df) == 0, (lambda: df), 0 if df is None else len(df)
    too_long = bool(rows) and rows > MAX_XLSX_ROWS
    # in a narrow column the usual 1:1:5 split leaves no room for the labels (icons only)
    left, right, _ = st.columns([1, 1, 0.2] if narrow else [1, 1, 5], gap="small")
    left.download_button("导出 Excel", data=download(lambda _user: export_bytes(make(), title, filters, spec, totals, "xlsx", note)),
                         file_name=file_name(title, filters, "xlsx"), mime=XLSX_MIME, key=f"{key}_xlsx",
                         icon=":material/download:", on_click="ignore", disabled=disabled or too_long,
                         help=(f"共 {rows:,} 行，超过 Excel 工作表的行数上限，请导出 CSV 或缩小筛选范围" if too_long
                               else f"“{md_text(title, NAME_LIMIT)}”为 Excel 工作簿（含标题、筛选条件与导出时间）"))
    csv_data = ((lambda _user: b"".join(csv_chunks(pieces(), spec, note))) if pieces is not None and totals is None
                else (lambda _user: export_bytes(make(), title, filters, spec, totals, "csv", note)))
    right.download_button("导出 CSV", data=download(csv_data),
                          file_name=file_name(title, filters, "csv"), mime=CSV_MIME, key=f"{key}_csv",
                          icon=":material/download:", on_click="ignore", disabled=disabled,
                          help="UTF-8 编码（带 BOM），Excel/WPS 可直接打开")
