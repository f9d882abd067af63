"""Any table a page shows, as .xlsx (title row, Chinese headers, number formats, coloured lights) or .csv.

A page describes its table with a column spec: a list of `Col(column, 中文表头, kind)` (plain tuples work
too), kind being one of KINDS. Numbers stay numbers in the workbook; only the number format changes how
they look. Text that a spreadsheet could take for a formula (= + - @, tab, CR) is written as a string.
"""
from __future__ import annotations

import csv
import io
import math
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..text import clean

KINDS = ("text", "wan", "rate", "int", "num", "light", "date")
NUMERIC_KINDS = ("wan", "rate", "int", "num")
NUMBER_FORMATS = {"wan": "#,##0.00", "rate": "0.00%", "int": "#,##0", "num": "#,##0.00", "date": "yyyy-mm-dd hh:mm"}

# Traffic-light cells: (fill, font colour). The same colours as the pages' badges.
LIGHT_COLOURS = {
    "绿": ("C6EFCE", "006100"),
    "黄": ("FFEB9C", "9C5700"),
    "红": ("FFC7CE", "9C0006"),
    "超预算": ("E4DFEC", "5B2C87"),
    "无预算": ("EDEDED", "595959"),
}
HEADER_FILL = "DDEBF7"
TOTAL_LABEL = "合计"

# OWASP's list of characters that make a spreadsheet treat a cell as a formula.
RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TITLE_ROW, FILTER_ROW, HEADER_ROW = 0, 1, 2  # 0-based; data starts on the row after the header
FIRST_DATA_ROW = HEADER_ROW + 1
WIDTH_SAMPLE = 2000          # rows looked at to fit column widths: enough to be right, cheap at 50,000 rows
MAX_WIDTH, MIN_WIDTH = 60, 6
# xlsxwriter is the default writer: with identical formatting it measured faster at every size
# (bench/bench_export.py, 50,000 x 12: 3.6 s vs 8.4 s for openpyxl write_only; 500 rows: 36 ms vs 113 ms).
# The openpyxl writer stays as a second implementation the tests hold to the same output.
DEFAULT_ENGINE = "xlsxwriter"


@dataclass(frozen=True)
class Col:
    """One exported column: DataFrame column, Chinese header, kind (see KINDS)."""
    column: str
    header: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r} for {self.column!r}; expected one of {KINDS}")


Spec = Sequence["Col | tuple"]


def make_spec(df: pd.DataFrame, spec: Spec | None = None) -> list[Col]:
    """Normalise a spec (Col objects or (column, header[, kind]) tuples); None infers it (infer_spec)."""
    if spec is None:
        return infer_spec(df)
    out = []
    for item in spec:
        col = item if isinstance(item, Col) else Col(*item)
        if col.column not in df.columns:
            raise KeyError(f"export spec names column {col.column!r}, which the table does not have")
        out.append(col)
    return out


def infer_spec(df: pd.DataFrame, money=(), rates=(), lights=("状态",)) -> list[Col]:
    """A spec from a display table's Chinese headers, the convention the pages follow: "…（万元）" is 万元,
    "执行率"/"…率（加权）" a rate (not "…（百分点）" or "…（%）", already in percent), "状态" a traffic light; `money`/`rates`/`lights`
    name more columns explicitly. Everything else by its dtype."""
    out = []
    for c in df.columns:
        name = str(c)
        if name in money or ("万元" in name and name not in rates):
            kind = "wan"
        elif name in rates or (not any(u in name for u in ("百分点", "（%）", "(%)"))
                               and (name.endswith("率") or "率（" in name)):
            kind = "rate"
        elif name in lights:
            kind = "light"
        else:
            kind = _infer_kind(df[c])
        out.append(Col(name, name, kind))
    return out


def _infer_kind(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "text"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_numeric_dtype(s):
        return "num"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    return "text"


# ---------------------------------------------------------------- cell values
def is_missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    try:
        return bool(pd.isna(v)) if not isinstance(v, (str, bytes, list, tuple, dict, set)) else False
    except (TypeError, ValueError):
        return False


def is_risky(s: str) -> bool:
    """Would Excel/WPS/LibreOffice evaluate this text as a formula if it were typed or read from CSV?"""
    return bool(s) and s[0] in RISKY_PREFIXES


def as_text(v) -> str:
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple, set)):
        return "、".join(as_text(x) for x in v)
    if isinstance(v, (pd.Timestamp, datetime)):
        return v.strftime("%Y-%m-%d %H:%M")
    return clean(str(v), newlines=False)       # no control characters: xlsx cannot hold them, a CSV reader chokes on NUL


def cell_value(v, kind: str):
    """The value to store: a number for numeric kinds, a datetime for dates, otherwise text (or None)."""
    if is_missing(v):
        return None
    if kind in NUMERIC_KINDS:
        if isinstance(v, bool):
            return as_text(v)
        if isinstance(v, (int, float)) or hasattr(v, "dtype"):
            try:
                x = float(v)
            except (TypeError, ValueError):
                return as_text(v)
            if not math.isfinite(x):
                return None
            return int(x) if kind == "int" and x.is_integer() else x
        return as_text(v)
    if kind == "date":
        if isinstance(v, pd.Timestamp):
            return v.to_pydatetime().replace(tzinfo=None)
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)
        if isinstance(v, date):
            return datetime(v.year, v.month, v.day)
        return as_text(v)
    return as_text(v)


def cell_values(values: pd.Series, kind: str) -> list:
    """[cell_value(v, kind) for v in values], column-wise where the dtype says what every value is: a
    numeric column (not bool) of a numeric kind through one float array, a column of text (and missing
    values) once per distinct text. Anything else cell by cell. tests/test_export_fast.py holds it to the
    cell-by-cell list, types included."""
    dtype = values.dtype
    if (kind in NUMERIC_KINDS and pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not pd.api.types.is_complex_dtype(dtype)):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        out = arr.tolist()
        if kind == "int":
            out = [int(x) if x.is_integer() else x for x in out]      # NaN and inf are not integers
        finite = np.isfinite(arr)
        if not finite.all():
            for i in np.flatnonzero(~finite).tolist():
                out[i] = None
        return out
    if dtype == object or pd.api.types.is_string_dtype(dtype):
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            texts = [cell_value(u, kind) for u in uniques] + [None]     # code -1 (missing) picks the last one
            return [texts[i] for i in codes.tolist()]
    return [cell_value(v, kind) for v in values.tolist()]


def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _shown(v, kind: str) -> str:
    """Roughly what Excel will display, for fitting widths."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if kind == "rate":
            return f"{v:.2%}"
        if kind == "int":
            return f"{v:,.0f}"
        return f"{v:,.2f}"
    if isinstance(v, datetime):
        return "2024-01-01 00:00"
    return str(v).split("\n", 1)[0]


# ---------------------------------------------------------------- the layout both writers share
@dataclass
class Layout:
    title: str
    subtitle: str
    cols: list[Col]
    columns: list[list]            # column-wise cell values, len(cols) lists of len(rows)
    totals: list | None            # one value per column, or None
    widths: list[float]

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    @property
    def last_data_row(self) -> int:       # 0-based; equals HEADER_ROW when there is no data
        return HEADER_ROW + self.n_rows

    def rows(self) -> Iterable[tuple]:
        return zip(*self.columns) if self.columns else iter(())


def filters_text(filters) -> str:
    if filters is None:
        return "无筛选"
    return filters.describe() if hasattr(filters, "describe") else str(filters)


def layout(df: pd.DataFrame, title: str, filters=None, spec: Spec | None = None, totals: dict | None = None,
           now: datetime | None = None, note: str | None = None) -> Layout:
    """`note`: the 示例（虚构） sentence (perfboard.sample.illustrative_note) when the rows are, or are compared
    with, invented sample data; it leads the row just above the header."""
    cols = make_spec(df, spec)
    now = now or datetime.now()
    title = clean(title)
    subtitle = clean((f"{note}　　" if note else "") + f"筛选：{filters_text(filters)}　　导出时间：{now:%Y-%m-%d %H:%M}")
    columns = [cell_values(df[c.column], c.kind) for c in cols]
    totals = totals_dict(totals)
    total_row = None
    if totals:
        total_row = [cell_value(totals.get(c.column), c.kind) for c in cols]
        label_at = next((i for i, c in enumerate(cols) if c.kind == "text" and total_row[i] is None), None)
        if label_at is not None:
            total_row[label_at] = TOTAL_LABEL
    widths = []
    for i, c in enumerate(cols):
        w = _display_width(c.header)
        for v in columns[i][:WIDTH_SAMPLE]:
            w = max(w, _display_width(_shown(v, c.kind)))
        if total_row is not None:
            w = max(w, _display_width(_shown(total_row[i], c.kind)))
        widths.append(float(min(max(w + 2, MIN_WIDTH), MAX_WIDTH)))
    return Layout(title=title, subtitle=subtitle, cols=cols, columns=columns, totals=total_row, widths=widths)


def totals_dict(totals) -> dict | None:
    """Totals as {column: value}: a dict as is, a one-row DataFrame (a page's 合计 table) by its first row."""
    if totals is None:
        return None
    if isinstance(totals, pd.DataFrame):
        return totals.iloc[0].to_dict() if len(totals) else None
    return dict(totals)


def auto_totals(df: pd.DataFrame, spec: Spec | None = None, rate: tuple[str, str, str] | None = None) -> dict:
    """Sums of the 万元 and count columns; `rate=(rate_col, numerator_col, denominator_col)` adds the
    overall rate (sum of numerators / sum of denominators, not the mean of the rates)."""
    out = {}
    for c in make_spec(df, spec):
        if c.kind in ("wan", "int"):
            out[c.column] = float(pd.to_numeric(df[c.column], errors="coerce").sum())
    if rate:
        rc, num, den = rate
        d = float(pd.to_numeric(df[den], errors="coerce").sum())
        out[rc] = float(pd.to_numeric(df[num], errors="coerce").sum()) / d if d > 0 else None
    return out


def _sheet_name(title: str) -> str:
    bad = '[]:*?/\\'
    name = "".join("_" if ch in bad else ch for ch in title).strip("'") or "Sheet1"
    return name[:31]


# ---------------------------------------------------------------- writers
EXCEL_ROWS = 1_048_576
MAX_XLSX_ROWS = EXCEL_ROWS - FIRST_DATA_ROW - 1        # title, filter and header rows above, a totals row below


class TooManyRows(ValueError):
    """A table longer than an Excel sheet can hold."""


def too_many_rows_message(title: str, rows: int) -> str:
    """The refusal of a table of `rows` rows as .xlsx: how many rows, and the ways out."""
    return (f"“{title}”共 {rows:,} 行，超过 Excel 工作表的行数上限（{EXCEL_ROWS:,} 行，含标题与合计行），"
            "请导出 CSV（--format csv），或缩小筛选范围。")


def to_xlsx(df: pd.DataFrame, title: str, filters=None, spec: Spec | None = None, totals: dict | None = None,
            engine: str = "auto", now: datetime | None = None, note: str | None = None) -> bytes:
    """The table as an .xlsx: title row, filter/time row, header (frozen, autofilter), data, totals row.

    `filters` is a Filters (its describe() is used) or a ready string. `totals` maps column -> value for a
    totals row (see auto_totals). engine: "xlsxwriter" (default, faster), "openpyxl" or "auto"; both
    give the same workbook.
    """
    if len(df) > MAX_XLSX_ROWS:
        raise TooManyRows(too_many_rows_message(title, len(df)))
    lay = layout(df, title, filters, spec, totals, now, note)
    if engine == "auto":
        engine = DEFAULT_ENGINE
    if engine == "openpyxl":
        return _write_openpyxl(lay)
    if engine == "xlsxwriter":
        return _write_xlsxwriter(lay)
    raise ValueError(f"unknown engine {engine!r}")


def _write_openpyxl(lay: Layout) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_name(lay.title))
    ncol = len(lay.cols)
    for i, w in enumerate(lay.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = f"A{FIRST_DATA_ROW + 1}"
    if ncol:
        ws.auto_filter.ref = f"A{HEADER_ROW + 1}:{get_column_letter(ncol)}{lay.last_data_row + 1}"

    thin = Side(style="thin", color="808080")
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    light_fills = {k: PatternFill("solid", fgColor=f) for k, (f, _) in LIGHT_COLOURS.items()}
    light_fonts = {k: Font(color=c) for k, (_, c) in LIGHT_COLOURS.items()}
    light_fonts_bold = {k: Font(color=c, bold=True) for k, (_, c) in LIGHT_COLOURS.items()}

    def text_cell(value: str, font=None, fill=None):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"           # never a formula, whatever the text starts with
        if is_risky(value):
            cell.quotePrefix = True    # and stays text if someone edits the cell in Excel
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        return cell

    title = text_cell(lay.title, font=Font(bold=True, size=14))
    ws.append([title])
    ws.append([text_cell(lay.subtitle, font=Font(color="595959"))])
    header = []
    for c in lay.cols:
        cell = text_cell(c.header, font=bold, fill=header_fill)
        cell.alignment = header_align
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        header.append(cell)
    ws.append(header)

    kinds = [c.kind for c in lay.cols]
    formats = [NUMBER_FORMATS.get(k) for k in kinds]

    def data_row(values, is_total=False):
        out = []
        for v, kind, fmt in zip(values, kinds, formats):
            if v is None:
                cell = WriteOnlyCell(ws, value=None)
                if is_total:
                    cell.font = bold
                    cell.border = Border(top=thin)
                out.append(cell)
                continue
            if isinstance(v, str):
                font = fill = None
                if kind == "light" and v in LIGHT_COLOURS:
                    fill = light_fills[v]
                    font = (light_fonts_bold if is_total else light_fonts)[v]
                elif is_total:
                    font = bold
                cell = text_cell(v, font=font, fill=fill)
            else:
                cell = WriteOnlyCell(ws, value=v)
                if fmt:
                    cell.number_format = fmt
                if is_total:
                    cell.font = bold
            if is_total:
                cell.border = Border(top=thin)
            out.append(cell)
        return out

    for values in lay.rows():
        ws.append(data_row(values))
    if lay.totals is not None:
        ws.append(data_row(lay.totals, is_total=True))
    _set_properties(wb.properties, lay.title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_xlsxwriter(lay: Layout) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    ws = wb.add_worksheet(_sheet_name(lay.title))
    ncol = len(lay.cols)
    border = {"border": 1, "border_color": "#808080"}
    f_title = wb.add_format({"bold": True, "font_size": 14})
    f_sub = wb.add_format({"font_color": "#595959"})
    f_header = wb.add_format({"bold": True, "bg_color": "#" + HEADER_FILL, "align": "center", "valign": "vcenter",
                              "text_wrap": True, **border})

    def fmt_for(kind: str, total: bool, light: str | None = None, risky: bool = False):
        props: dict[str, Any] = {}
        if kind in NUMBER_FORMATS:
            props["num_format"] = NUMBER_FORMATS[kind]
        if light:
            fill, colour = LIGHT_COLOURS[light]
            props.update(bg_color="#" + fill, font_color="#" + colour)
        if total:
            props.update(bold=True, top=1, top_color="#808080")
        if risky:
            props["quote_prefix"] = True
        return wb.add_format(props) if props else None

    kinds = [c.kind for c in lay.cols]
    cache: dict[tuple, Any] = {}

    def fmt(kind, total=False, light=None, risky=False):
        key = (kind, total, light, risky)
        if key not in cache:
            cache[key] = fmt_for(kind, total, light, risky)
        return cache[key]

    for i, w in enumerate(lay.widths):
        ws.set_column(i, i, w)
    ws.write_string(TITLE_ROW, 0, lay.title, f_title)
    ws.write_string(FILTER_ROW, 0, lay.subtitle, f_sub)
    for i, c in enumerate(lay.cols):
        ws.write_string(HEADER_ROW, i, c.header, f_header)
    ws.freeze_panes(FIRST_DATA_ROW, 0)
    if ncol:
        ws.autofilter(HEADER_ROW, 0, lay.last_data_row, ncol - 1)

    def put(r: int, values, total=False):
        for i, (v, kind) in enumerate(zip(values, kinds)):
            if v is None:
                if total:
                    ws.write_blank(r, i, None, fmt("text", True))
                continue
            if isinstance(v, str):
                light = v if kind == "light" and v in LIGHT_COLOURS else None
                risky = is_risky(v)
                ws.write_string(r, i, v, fmt("text", total, light, risky) if (light or total or risky) else None)
            elif isinstance(v, datetime):
                ws.write_datetime(r, i, v, fmt("date", total))
            else:
                ws.write_number(r, i, v, fmt(kind, total))

    if _SheetRows.usable(ws, lay):
        _SheetRows(ws, lay, fmt, (f_title, f_sub, f_header)).install()
    else:
        r = FIRST_DATA_ROW
        for values in lay.rows():
            put(r, values)
            r += 1
        if lay.totals is not None:
            put(r, lay.totals, total=True)
    wb.set_properties({"title": lay.title, "author": "PerfBoard", "comments": lay.subtitle})
    wb.close()
    return buf.getvalue()


class _SheetRows:
    """The data and totals rows of _write_xlsxwriter's sheet as xlsxwriter writes them from its per-cell
    calls (write_string / write_number / write_datetime / write_blank, then Worksheet._write_rows at close),
    byte for byte, without the per-cell calls and the cell table (~10 µs a cell with the XML: most of a
    200,000-row export's time and memory). One row-major pass does what the calls would do in their order:
    each text gets its shared-string index (first use, then the count), each format its XF index at first
    use (after the title, filter and header rows' formats, as the close would), and the rows' XML is built
    in blocks of 16 rows (a block's `spans` covers its cells). At close the title, filter and header rows
    are written by xlsxwriter itself, then this XML. Used only on the xlsxwriter version it was checked
    against (requirements.txt) and the sheet options _write_xlsxwriter sets, else the plain calls;
    tests/test_export_fast.py compares every part of the file with theirs."""
    VERSION = "3.3.1"

    @classmethod
    def usable(cls, ws, lay: Layout) -> bool:
        import xlsxwriter
        return (xlsxwriter.__version__ == cls.VERSION and not ws.constant_memory and lay.n_rows > 0
                and len(lay.cols) > 0 and not ws.row_info and not ws.comments and ws.excel_version == 2007
                and ws.default_row_height == ws.original_row_height and not ws.date_1904
                and sorted(ws.table) == [TITLE_ROW, FILTER_ROW, HEADER_ROW] and ws.dim_rowmax == HEADER_ROW
                and ws.dim_colmin == 0 and ws.dim_colmax == len(lay.cols) - 1)

    def __init__(self, ws, lay: Layout, fmt, head_formats):
        from xlsxwriter.utility import _utf16_len, _utf16_truncate, xl_col_to_name
        self.ws, self.lay, self.fmt, self.head_formats = ws, lay, fmt, head_formats
        self.letters = [xl_col_to_name(c) for c in range(len(lay.cols))]
        self.utf16_len, self.utf16_truncate = _utf16_len, _utf16_truncate
        self.xml: list[str] = []
        self.first_span = (0, 0)

    def install(self) -> None:
        ws = self.ws
        # the XF indices of the rows above the data, in the order the close writes their cells
        for r in (TITLE_ROW, FILTER_ROW, HEADER_ROW):
            for c in sorted(ws.table[r]):
                f = ws.table[r][c].format
                if f is not None:
                    f._get_xf_index()
        head = {r: dict(ws.table[r]) for r in (TITLE_ROW, FILTER_ROW, HEADER_ROW)}
        # the first block of 16 rows holds the rows above the data too: its span covers their cells
        self.first_span = (min(min(cells) for cells in head.values() if cells),
                           max(max(cells) for cells in head.values() if cells))
        last = self._build()
        if last is not None:
            ws._check_dimensions(last, 0)
        rows = self

        def write_rows() -> None:        # Worksheet._write_rows of this sheet
            span = f"{rows.first_span[0] + 1}:{rows.first_span[1] + 1}"
            for r, cells in head.items():
                if cells:
                    ws._write_row(r, span)
                    for c in sorted(cells):
                        ws._write_cell(r, c, cells[c])
                    ws._xml_end_tag("row")
            for part in rows.xml:
                ws.fh.write(part)
            rows.xml = []
        ws._write_rows = write_rows

    def _text(self, s: str, f) -> str:
        ws = self.ws
        if len(s) > ws.xls_strmax // 2 and self.utf16_len(s) > ws.xls_strmax:
            s = self.utf16_truncate(s, ws.xls_strmax)
        idx = ws.str_table._get_shared_string_index(s)
        if f is None:
            return f' t="s"><v>{idx}</v></c>'
        xf = f.xf_index if f.xf_index is not None else f._get_xf_index()
        return f' s="{xf}" t="s"><v>{idx}</v></c>'

    def _build(self) -> int | None:
        """Every data row and the totals row into self.xml; the last row with a cell (None: none)."""
        lay, fmt, letters = self.lay, self.fmt, self.letters
        kinds = [c.kind for c in lay.cols]
        lights = [k == "light" for k in kinds]
        convert = self.ws._convert_date_time
        text = self._text
        plain_text: dict[str, str] = {}           # a text with no format: its cell XML after the reference
        last = None
        block, block_no = [], FIRST_DATA_ROW // 16
        lo, hi = self.first_span

        def flush():
            nonlocal block, lo, hi
            if lo is None:
                return
            span = f' spans="{lo + 1}:{hi + 1}">'
            if block_no == FIRST_DATA_ROW // 16:
                self.first_span = (lo, hi)           # with the data rows' cells of that block
            self.xml.append("".join(f'<row r="{n}"{span}{cells}</row>' for n, cells in block))
            block, lo, hi = [], None, None

        rows = list(lay.rows())
        if lay.totals is not None:
            rows.append(None)
        for k, values in enumerate(rows):
            r = FIRST_DATA_ROW + k
            if r // 16 != block_no:
                flush()
                block_no = r // 16
            total = values is None
            if total:
                values = lay.totals
            n = str(r + 1)
            out = []
            first = None
            for c, v in enumerate(values):
                if v is None:
                    if not total:
                        continue
                    f = fmt("text", True)
                    xf = f.xf_index if f.xf_index is not None else f._get_xf_index()
                    cell = f' s="{xf}"/>'
                elif isinstance(v, str):
                    light = v if lights[c] and v in LIGHT_COLOURS else None
                    risky = bool(v) and v[0] in RISKY_PREFIXES
                    if light or total or risky:
                        cell = text(v, fmt("text", total, light, risky))
                    elif (cell := plain_text.get(v)) is None:
                        if len(plain_text) < 200_000:
                            cell = text(v, None)
                            # the index is fixed once given; the count goes up with every use
                            plain_text[v] = cell
                        else:
                            cell = text(v, None)
                    else:
                        self.ws.str_table.count += 1
                elif isinstance(v, datetime):
                    f = fmt("date", total)
                    xf = f.xf_index if f.xf_index is not None else f._get_xf_index()
                    cell = f' s="{xf}"><v>{convert(v):.16G}</v></c>'
                else:
                    f = fmt(kinds[c], total)            # formats are made at first use, as put() makes them
                    if f is None:
                        cell = f"><v>{v:.16G}</v></c>"
                    else:
                        xf = f.xf_index if f.xf_index is not None else f._get_xf_index()
                        cell = f' s="{xf}"><v>{v:.16G}</v></c>'
                out.append(f'<c r="{letters[c]}{n}"{cell}')
                if first is None:
                    first = c
                hi_c = c
            if out:
                block.append((n, "".join(out)))
                lo = first if lo is None else min(lo, first)
                hi = hi_c if hi is None else max(hi, hi_c)
                last = r
        flush()
        return last


def _set_properties(props, title: str) -> None:
    props.title = title
    props.creator = "PerfBoard"


# ---------------------------------------------------------------- CSV
def _csv_number(v: float, kind: str) -> str:
    if kind == "rate":
        return f"{v * 100:.2f}%"
    if isinstance(v, int) or float(v).is_integer():
        return str(int(v))
    return f"{v:.6f}".rstrip("0").rstrip(".")


NOTE_HEADER = "数据说明"


def _csv_cell(v, kind: str) -> str:
    """One CSV cell: numbers plain, rates as "70.74%", text with the formula guard, missing as ""."""
    v = cell_value(v, kind)
    if v is None:
        return ""
    if isinstance(v, str):
        return "'" + v if is_risky(v) else v
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return _csv_number(v, kind)


def to_csv(df: pd.DataFrame, spec: Spec | None = None, totals: dict | None = None, note: str | None = None) -> bytes:
    """The table as CSV in UTF-8 with a BOM (so Excel/WPS open Chinese correctly), Chinese headers.

    Numbers are plain (no thousands separators); rates are written as "70.74%", which Excel reads as a
    number. Text that starts with = + - @ (or tab/CR) is prefixed with a single quote. `note` (the
    示例（虚构） sentence) becomes a first column 数据说明 on every row: a CSV has no title row to carry it.
    (csv_chunks writes the same bytes a chunk at a time, for tables too long to hold.)
    """
    cols = make_spec(df, spec)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    lead = [clean(note, newlines=False)] if note else []
    w.writerow(([NOTE_HEADER] if note else []) + [c.header for c in cols])
    fmt = _csv_cell
    columns = [df[c.column].tolist() for c in cols]
    for values in zip(*columns):
        w.writerow(lead + [fmt(v, c.kind) for v, c in zip(values, cols)])
    row = _csv_totals_row(cols, totals)
    if row is not None:
        w.writerow(lead + row)
    return buf.getvalue().encode("utf-8-sig")


def _csv_totals_row(cols: list[Col], totals) -> list[str] | None:
    """The 合计 row's cells (None: no totals): the label in the first text column the totals leave empty."""
    totals = totals_dict(totals)
    if not totals:
        return None
    row = [_csv_cell(totals.get(c.column), c.kind) for c in cols]
    label_at = next((i for i, c in enumerate(cols) if c.kind == "text" and not row[i]), None)
    if label_at is not None:
        row[label_at] = TOTAL_LABEL
    return row


def _csv_column(values: pd.Series, kind: str) -> list[str]:
    """_csv_cell of every value of a column. A column of text (and missing values) is formatted once per
    distinct value: indicator tables repeat their names and levels, and 2.3M rows x 9 columns one cell at
    a time is most of an export's time. Anything else goes cell by cell (1 and True hash alike)."""
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        texts = np.array([_csv_cell(u, kind) for u in uniques] + [_csv_cell(None, kind)], dtype=object)
        return texts[codes].tolist()                # code -1 (missing) picks the last one
    return [_csv_cell(v, kind) for v in values.tolist()]


def csv_chunks(chunks: Iterable[pd.DataFrame], spec: Spec | None = None, note: str | None = None,
               totals=None) -> Iterator[bytes]:
    """to_csv() of the rows of `chunks` (DataFrames with the same columns, the first one even when it is
    empty), as bytes a chunk at a time: the BOM and header, then each chunk's rows, then the 合计 row of
    `totals` as to_csv writes it. The spec is inferred from the first
    chunk, as to_csv infers it from the whole table."""
    cols, first = None, True
    lead = clean(note, newlines=False) if note else None
    for df in chunks:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        if cols is None:
            cols = make_spec(df, spec)
            w.writerow(([NOTE_HEADER] if note else []) + [c.header for c in cols])
        columns = [_csv_column(df[c.column], c.kind) for c in cols]
        if lead is not None:
            columns.insert(0, repeat(lead, len(df)))
        w.writerows(zip(*columns))
        yield buf.getvalue().encode("utf-8-sig" if first else "utf-8")      # one BOM, at the start
        first = False
    row = _csv_totals_row(cols or [], totals)
    if row is not None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerow(([lead] if lead is not None else []) + row)
        yield buf.getvalue().encode("utf-8")
