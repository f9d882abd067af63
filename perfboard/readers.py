"""Reading uploaded files into plain cell grids, safely: size and zip-bomb checks, a sheet's extent
(declared and actual, streamed from the XML) checked against limits before the Excel reader sees it,
CSV encodings, formula cells that carry no cached value, and control characters cleaned out of every
text cell (perfboard.text) with a warning naming the cell.

The reader (python-calamine) allocates rows x columns of the used range up front: one cell at
XFD1048576 asks for ~550 GB and aborts the process. So the extent is checked here first, and the parse
itself runs in a memory-limited worker process (perfboard.isolate)."""
from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.etree import ElementTree as ET

import python_calamine as pc

from .validation_report import ERROR, WARNING, Report
from .text import clean, has_control, shown

DEFAULT_MAX_MB = 50
MAX_UNCOMPRESSED = 600 * 1024 * 1024   # what a 200,000-row sheet plausibly needs, with room
MAX_RATIO = 150                        # real xlsx parts compress ~5-20x; bombs do 1000x
MAX_ROWS = 500_000

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
CONTROL_WARNINGS_PER_SHEET = 20       # then one line counting the rest: the report stays readable


@dataclass(frozen=True)
class Limits:
    """How far a sheet may reach before it is refused unread (settings key `import_limits`), and what
    the parse worker may use. The defaults take any real sheet, a formula filled down to row 1,048,576
    in a few columns too, and refuse the far cells that make the reader allocate gigabytes."""
    max_rows: int = 1_048_576
    max_cols: int = 16_384
    max_cells: int = 10_000_000          # rows x columns of the extent (what the reader allocates)
    memory_mb: int = 2048                # address space of the parse worker, over what it has at start
    timeout_s: int = 120                 # wall clock of one file's parse

    @classmethod
    def from_setting(cls, value) -> "Limits":
        """From the stored JSON (unknown keys ignored, bad values -> the default)."""
        out = {}
        for f in cls.__dataclass_fields__:
            v = (value or {}).get(f) if isinstance(value, dict) else None
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
                out[f] = int(v)
        return cls(**out)

    def to_setting(self) -> dict:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}

    def describe(self) -> str:
        return f"最多 {self.max_rows:,} 行、{self.max_cols:,} 列、共 {self.max_cells:,} 个单元格"


DEFAULT_LIMITS = Limits()
SETTING_KEY = "import_limits"


def limits_of(store) -> Limits:
    """The limits stored in settings, or the defaults."""
    return Limits.from_setting(store.get_setting(SETTING_KEY)) if store is not None else DEFAULT_LIMITS


@dataclass
class Sheet:
    name: str
    rows: list[list]                      # absolute grid: rows[i][j] is Excel row i+1, column j+1
    merged: list = field(default_factory=list)          # [((r1, c1), (r2, c2)), ...] 0-based, inclusive
    formulas: dict = field(default_factory=dict)        # (r, c) 0-based -> formula text, only those without a cached value

    def cell(self, r: int, c: int):
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return ""


@dataclass
class RawBook:
    file_name: str
    kind: str                 # "xlsx" | "xls" | "csv"
    sheets: list[Sheet]


def col_letter(c: int) -> str:
    """0-based column index -> Excel letters."""
    s = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


NOT_EXCEL = "不是有效的 Excel 文件，可能已损坏或扩展名不对：请在 Excel/WPS 中打开并另存为 .xlsx 后再导入"


def _unreadable(report: Report, file_name: str, why: str = NOT_EXCEL) -> None:
    report.add("file-unreadable", ERROR, value=file_name, limit=why)


def _not_excel_reason(data: bytes, is_zip: bool, names: set[str] | None = None) -> str | None:
    """Why these bytes are not a workbook the reader should be given, or None. Checked before the
    reader runs, so its own messages ("Cannot detect file format") never reach a clerk."""
    if not data:
        return "文件是空的（0 字节）：请确认上传的是填写并保存过的文件"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        return ("文件实际是网页（HTML/XML）格式，只是扩展名为 Excel（一些系统导出的“Excel”就是这样）："
                "请在 Excel/WPS 中打开并另存为 .xlsx 后再导入")
    if is_zip:
        if names is not None and "xl/workbook.xml" not in names:
            if "xl/workbook.bin" in names:
                return "文件是 Excel 二进制工作簿（.xlsb），不能直接导入：请在 Excel/WPS 中另存为 .xlsx 后再导入"
            if "word/document.xml" in names:
                return "文件实际是 Word 文档，不是 Excel 工作簿：请上传 .xlsx 表格"
            return NOT_EXCEL
        return None
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":       # OLE2: .xls, or an encrypted .xlsx
        return None
    return NOT_EXCEL


def read_book(file_name: str, data: bytes, report: Report, max_mb: float = DEFAULT_MAX_MB,
              limits: Limits = DEFAULT_LIMITS) -> RawBook | None:
    """Read a file into sheets, or add an error to the report and return None."""
    if len(data) > max_mb * 1024 * 1024:
        report.add("file-too-large", ERROR, value=file_name, limit=max_mb)
        return None
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix in (".csv", ".txt"):
        book = _read_csv(file_name, data, report)
        return _finish(book, report)
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        report.add("file-type", ERROR, value=suffix or file_name)
        return None
    is_zip = data[:4].startswith(b"PK")
    names = None
    if is_zip:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if not _zip_is_sane(zf, report):
                    return None
                names = set(zf.namelist())
                why = _not_excel_reason(data, True, names)
                if why is None and not _extent_is_sane(zf, report, limits):
                    return None
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError):
            _unreadable(report, file_name)
            return None
        except ET.ParseError:
            _unreadable(report, file_name, "文件内部的 XML 已损坏：" + NOT_EXCEL)
            return None
    else:
        why = _not_excel_reason(data, False)
    if why:
        _unreadable(report, file_name, why)
        return None
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in wb.sheet_names:
            sh = wb.get_sheet_by_name(name)
            if not is_zip and sh.total_height * max(sh.total_width, 1) > limits.max_cells:   # .xls: no XML to scan
                report.add("sheet-too-large", ERROR, sheet=name, value=f"{col_letter(sh.total_width - 1)}{sh.total_height}",
                           limit=limits.describe())
                return None
            if sh.total_height > MAX_ROWS:
                rows = _rows_up_to_last_filled(sh)
                if rows is None:
                    report.add("too-many-rows", ERROR, sheet=name, value=f"{MAX_ROWS}+", limit=MAX_ROWS)
                    return None
            else:
                rows = sh.to_python(skip_empty_area=False)
            sheets.append(Sheet(name, rows, list(sh.merged_cell_ranges or [])))
        wb.close()
    except pc.PasswordError:
        _unreadable(report, file_name, "文件设有打开密码：请在 Excel/WPS 中取消密码并保存后再导入")
        return None
    except Exception:  # calamine raises its own error types for every kind of corruption
        _unreadable(report, file_name)
        return None
    if is_zip:
        # after calamine, so each sheet's scan stops past its last filled row (a formula filled down
        # to row 1,048,576 would otherwise cost a minute of XML parsing)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                formulas = _formulas_without_value(zf, {s.name: len(s.rows) for s in sheets})
        except (zipfile.BadZipFile, zlib.error, EOFError):   # a damaged part fails only when inflated
            _unreadable(report, file_name)
            return None
        except ET.ParseError:
            _unreadable(report, file_name, "文件内部的 XML 已损坏：" + NOT_EXCEL)
            return None
        for sheet in sheets:
            sheet.formulas = formulas.get(sheet.name, {})
    return _finish(RawBook(file_name, "xls" if suffix == ".xls" else "xlsx", sheets), report)


def _finish(book: RawBook | None, report: Report) -> RawBook | None:
    """Every text cell cleaned of control characters (a warning per cell); an empty workbook refused."""
    if book is None:
        return None
    for sheet in book.sheets:
        if has_control(sheet.name):
            sheet.name = clean(sheet.name)
        clean_cells(sheet, report)
    if not any(_has_content(s) for s in book.sheets):
        report.add("empty-workbook", ERROR, value=book.file_name)
        return None
    return book


def _has_content(sheet: Sheet) -> bool:
    return any(v is not None and not (isinstance(v, str) and not v.strip()) for row in sheet.rows for v in row)


def clean_cells(sheet: Sheet, report: Report) -> int:
    """Clean every text cell of `sheet` in place (perfboard.text.clean: control characters removed, line
    endings "\\n"); a warning names each changed cell (the first CONTROL_WARNINGS_PER_SHEET of a sheet,
    then one line counting the rest). Returns how many cells held control characters."""
    found = 0
    for r, row in enumerate(sheet.rows):
        for c, v in enumerate(row):
            if type(v) is not str or not v:
                continue
            if "\r" in v or has_control(v):
                if has_control(v):
                    found += 1
                    if found <= CONTROL_WARNINGS_PER_SHEET:
                        report.add("control-chars", WARNING, sheet=sheet.name, row=r + 1, column=col_letter(c),
                                   value=shown(v))
                row[c] = clean(v)
    if found > CONTROL_WARNINGS_PER_SHEET:
        report.add("control-chars-more", WARNING, sheet=sheet.name, value=found - CONTROL_WARNINGS_PER_SHEET)
    return found


# ---------------------------------------------------------------- a sheet's extent, streamed
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|dimension)\b([^>]*)>")
_R_ATTR = re.compile(rb"""(?:^|\s)(r|ref)\s*=\s*["']\$?([A-Za-z]{0,7})\$?(\d{0,15})(?::\$?([A-Za-z]{0,7})\$?(\d{0,15}))?["']""")
MAX_TAG = 1 << 20           # a start tag longer than this is not a worksheet's
# fast path (two C-level regex passes over a chunk) when every <c> of the chunk has an r="A1" and no
# tag has a namespace prefix: the cells' own references give the extent (a reader places a cell by its
# reference; <row> elements matter only for cells without one). Otherwise the chunk is walked tag by tag.
_FAST_CELL = re.compile(rb'<c r="([A-Z]{1,7})(\d{1,15})"')        # as Excel, WPS, openpyxl, xlsxwriter write it
_ANY_CELL = re.compile(rb"<c[\s>/]")


def _max_col(letters) -> int:
    longest = max(map(len, letters))
    return _letters_index(max(x for x in set(letters) if len(x) == longest))


def _letters_index(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n            # 1-based


def sheet_extent(fh, chunk: int = 1 << 20) -> tuple[tuple[int, int] | None, tuple[int, int]]:
    """Stream a worksheet part: (declared (rows, cols) from <dimension ref>, or None; actual (rows, cols)
    reached by <row>/<c> elements, counting those without an r attribute the way a reader places them).
    Memory: one chunk plus one tag."""
    declared = None
    max_row = max_col = 0
    row = col = 0
    tail = b""
    while True:
        data = fh.read(chunk)
        buf = tail + data
        if data:
            cut = buf.rfind(b"<")
            if cut == -1:
                tail = b""
                continue
            body, tail = buf[:cut], buf[cut:]
            if len(tail) > MAX_TAG:
                raise ET.ParseError("start tag too long")
        else:
            body, tail = buf, b""
        if b":c" not in body and b":row" not in body and b"dimension" not in body:     # no prefixed tags
            cells = _FAST_CELL.findall(body)
            if len(cells) == len(_ANY_CELL.findall(body)):
                if cells:
                    letters, digits = zip(*cells)
                    max_col = max(max_col, _max_col(letters))
                    row = max(map(int, digits))
                    max_row = max(max_row, row)
                    col = _letters_index(letters[-1])
                if not data:
                    break
                continue
        for m in _TAG.finditer(body):
            name, attrs = m.group(1), m.group(2)
            a = _R_ATTR.search(attrs)
            if name == b"c":
                if a and a.group(1) == b"r" and a.group(2) and a.group(3):
                    col = _letters_index(a.group(2))
                    r = int(a.group(3))
                    if r > max_row:
                        max_row = r
                else:
                    col += 1
                if col > max_col:
                    max_col = col
            elif name == b"row":
                row = int(a.group(3)) if a and a.group(1) == b"r" and a.group(3) else row + 1
                col = 0
                if row > max_row:
                    max_row = row
            elif a and a.group(1) == b"ref" and declared is None:      # <dimension ref="A1:XFD1048576"/>
                end_letters, end_digits = (a.group(4), a.group(5)) if a.group(4) is not None else (a.group(2), a.group(3))
                if end_letters and end_digits:
                    declared = (int(end_digits), _letters_index(end_letters))
        if not data:
            break
    return declared, (max_row, max_col)


def _too_far(rows: int, cols: int, limits: Limits) -> bool:
    return rows > limits.max_rows or cols > limits.max_cols or rows * cols > limits.max_cells


def _extent_is_sane(zf: zipfile.ZipFile, report: Report, limits: Limits) -> bool:
    """Every worksheet's declared dimension and actual farthest cell within `limits`, or an error
    naming the sheet and the cell. Raises zipfile/XML errors for a damaged part. Every worksheet part
    in the zip is scanned, not only those the workbook names as we resolve them (the reader might
    resolve a relationship differently)."""
    parts = {posixpath.normpath(path): name for name, path in _sheet_paths(zf).items()}
    for n in zf.namelist():
        if "worksheets/" in n and n.endswith(".xml") and n not in parts:
            parts[n] = PurePosixPath(n).stem
    for path, name in parts.items():
        try:
            fh = zf.open(path)
        except KeyError:
            continue
        with fh:
            declared, (rows, cols) = sheet_extent(fh)
        if _too_far(rows, cols, limits):
            report.add("sheet-too-large", ERROR, sheet=name, value=f"{col_letter(cols - 1)}{rows}", limit=limits.describe())
            return False
        if declared and _too_far(*declared, limits):
            report.add("sheet-too-large", ERROR, sheet=name,
                       value=f"{col_letter(declared[1] - 1)}{declared[0]}（文件声明的数据区域）", limit=limits.describe())
            return False
    return True


def _rows_up_to_last_filled(sh) -> list[list] | None:
    """A sheet taller than MAX_ROWS is usually a formula showing '' filled down to row 1,048,576:
    keep the rows up to the last one holding anything, or None when more than MAX_ROWS hold data.
    iter_rows() yields rows from the first (absolute) but columns from the used area's first."""
    pad = [""] * sh.start[1] if sh.start else []
    width = len(pad) + (sh.end[1] - sh.start[1] + 1 if sh.start and sh.end else 0)
    rows: list[list] = []
    blank_run = filled = 0
    for row in sh.iter_rows():
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            blank_run += 1          # materialised only if a filled row follows
            continue
        filled += 1
        if filled > MAX_ROWS:
            return None
        rows.extend([""] * width for _ in range(blank_run))
        blank_run = 0
        rows.append(pad + list(row))
    return rows


def _zip_is_sane(zf: zipfile.ZipFile, report: Report) -> bool:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if info.file_size > 10 * 1024 * 1024 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            report.add("zip-bomb", ERROR, value=f"{info.filename} 压缩比 {info.file_size // max(info.compress_size, 1)}:1")
            return False
    if total > MAX_UNCOMPRESSED:
        report.add("zip-bomb", ERROR, value=f"{total / 1024 / 1024:.0f} MB")
        return False
    return True


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the zip."""
    try:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    out = {}
    for s in wb.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(s.get(f"{{{_NS['r']}}}id"), "")
        if target:
            out[s.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def _formulas_without_value(zf: zipfile.ZipFile, row_limits: dict[str, int] | None = None) -> dict[str, dict]:
    """Cells holding a formula but no cached value: calamine reads them as blank, so find them in the XML.
    `row_limits` (sheet name -> rows kept) ends a sheet's scan past the rows that will be read."""
    out: dict[str, dict] = {}
    for name, path in _sheet_paths(zf).items():
        limit = (row_limits or {}).get(name)
        try:
            with zf.open(path) as fh:
                if not _contains(fh, (b"<f>", b"<f ")):
                    continue
        except KeyError:
            continue
        found = {}
        with zf.open(path) as fh:
            for _, el in ET.iterparse(fh):
                if el.tag == f"{{{_NS['m']}}}c":
                    f = el.find("m:f", _NS)
                    v = el.find("m:v", _NS)
                    m = _CELL_REF.match(el.get("r", ""))
                    if m and limit is not None and int(m.group(2)) > limit:
                        break
                    if f is not None and (v is None or v.text in (None, "")):
                        if m:
                            found[(int(m.group(2)) - 1, _col_index(m.group(1)))] = "=" + (f.text or "")
                    el.clear()
                elif el.tag == f"{{{_NS['m']}}}row":
                    el.clear()
        if found:
            out[name] = found
    return out


def _contains(fh, needles: tuple[bytes, ...]) -> bool:
    tail = b""
    while chunk := fh.read(1 << 20):
        buf = tail + chunk
        if any(n in buf for n in needles):
            return True
        tail = buf[-8:]
    return False


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first; GB18030 (a superset of GBK) otherwise; UTF-16 when it
    starts with its byte-order mark (Excel's "Unicode text" export)."""
    encodings = ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(file_name: str, data: bytes, report: Report) -> RawBook | None:
    text = decode_text(data)
    if text is None:
        report.add("csv-encoding", ERROR, value=file_name)
        return None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    blank_run = filled = 0          # blank lines count only when data follows them (trailing ones are dropped)
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            if not any(cell.strip() for cell in row):
                blank_run += 1
                continue
            filled += 1
            if filled > MAX_ROWS:
                report.add("too-many-rows", ERROR, sheet=file_name, value=f"{MAX_ROWS}+", limit=MAX_ROWS)
                return None
            rows.extend([] for _ in range(blank_run))
            blank_run = 0
            rows.append(row)
    except csv.Error as exc:         # e.g. a cell past csv.field_size_limit(), or a NUL byte
        limit = csv.field_size_limit()
        why = f"单元格超过 {limit} 个字符" if "field limit" in str(exc) else str(exc)
        report.add("file-unreadable", ERROR, value=f"{file_name}（第 {len(rows) + 1} 行附近：{why}）")
        return None
    return RawBook(file_name, "csv", [Sheet(PurePosixPath(file_name).stem or "csv", rows)])
