"""Reading uploaded files into plain cell grids, safely: size and zip-bomb checks, CSV encodings,
formula cells that carry no cached value."""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from xml.etree import ElementTree as ET

import python_calamine as pc

from .report import ERROR, Report

DEFAULT_MAX_MB = 50
MAX_UNCOMPRESSED = 600 * 1024 * 1024   # what a 200,000-row sheet plausibly needs, with room
MAX_RATIO = 150                        # real xlsx parts compress ~5-20x; bombs do 1000x
MAX_ROWS = 500_000

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
       "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


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


def read_book(file_name: str, data: bytes, report: Report, max_mb: float = DEFAULT_MAX_MB) -> RawBook | None:
    """Read a file into sheets, or add an error to the report and return None."""
    if len(data) > max_mb * 1024 * 1024:
        report.add("file-too-large", ERROR, value=file_name, limit=max_mb)
        return None
    suffix = PurePosixPath(file_name.lower()).suffix
    if suffix in (".csv", ".txt"):
        return _read_csv(file_name, data, report)
    if suffix not in (".xlsx", ".xlsm", ".xls"):
        report.add("file-type", ERROR, value=suffix or file_name)
        return None
    is_zip = data[:4].startswith(b"PK")
    if is_zip:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if not _zip_is_sane(zf, report):
                    return None
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            report.add("file-unreadable", ERROR, value=f"{file_name}（{exc}）")
            return None
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in wb.sheet_names:
            sh = wb.get_sheet_by_name(name)
            if sh.total_height > MAX_ROWS:
                rows = _rows_up_to_last_filled(sh)
                if rows is None:
                    report.add("too-many-rows", ERROR, sheet=name, value=f"{MAX_ROWS}+", limit=MAX_ROWS)
                    return None
            else:
                rows = sh.to_python(skip_empty_area=False)
            sheets.append(Sheet(name, rows, list(sh.merged_cell_ranges or [])))
        wb.close()
    except Exception as exc:  # calamine raises its own error types for every kind of corruption
        report.add("file-unreadable", ERROR, value=f"{file_name}（{type(exc).__name__}: {str(exc)[:120]}）")
        return None
    if is_zip:
        # after calamine, so each sheet's scan stops past its last filled row (a formula filled down
        # to row 1,048,576 would otherwise cost a minute of XML parsing)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                formulas = _formulas_without_value(zf, {s.name: len(s.rows) for s in sheets})
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:   # a damaged part fails only when inflated
            report.add("file-unreadable", ERROR, value=f"{file_name}（{exc}）")
            return None
        except ET.ParseError as exc:
            report.add("file-unreadable", ERROR, value=f"{file_name}（XML 损坏：{exc}）")
            return None
        for sheet in sheets:
            sheet.formulas = formulas.get(sheet.name, {})
    return RawBook(file_name, "xls" if suffix == ".xls" else "xlsx", sheets)


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
