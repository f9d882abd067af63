"""Hostile and broken input files, generated (not committed): corrupt and truncated zips, zip
bombs, wrong encodings, huge shapes, and text that other programs would execute or render."""
from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import xlsxwriter

from perfboard.text import clean

HEADER = ["年度", "主管部门", "项目名称", "全年预算数", "全年执行数", "项目概况"]
DEPARTMENT = "测试局"

# Text that must be stored exactly and never executed or rendered.
NASTY_TEXT = {
    "script": "<script>alert('xss')</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "sql-quote": "'; DROP TABLE projects; --",
    "sql-double": 'Robert"); DELETE FROM indicators WHERE ("1"="1',
    "hyperlink": '=HYPERLINK("http://evil.example/","点我")',
    "dde": "=cmd|' /C calc'!A0",
    "plus-formula": "+SUM(1,2)",
    "template": "{{7*7}}",
    "template-dollar": "${7*7} #{7*7} <%= 7*7 %>",
    "format": "{value} {0} %s %n",
    "query-param": "$name $year",
    "markdown": "**粗体** [链接](javascript:alert(1)) :red[红]",
    "control": "a\x07b\x1b[31mc\x01d",
    "bidi-zero-width": "项目\u202e倒序\u200b零宽\ufeff",
    "emoji-rare-han": "项目😀𠮷",
    "backslash": "C:\\Windows\\System32\\..\\..\\",
    "newlines": "第一行\n第二行\r\n第三行",
}


@dataclass
class Case:
    id: str
    file_name: str
    data: bytes | Callable[[], bytes]     # expensive ones are built only when the case runs
    refuse: frozenset = frozenset()        # acceptable error codes; empty = must import
    texts: dict = field(default_factory=dict)   # project name -> 项目概况 expected exactly after import
    warns: dict = field(default_factory=dict)   # warning code -> [(sheet, row, column)] it must name (at least)

    def bytes(self) -> bytes:
        return self.data() if callable(self.data) else self.data


def xlsx(rows: list[list], sheet: str = "项目", post=None, options=None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   **(options or {})})
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, str):
                ws.write_string(r, c, v)
            else:
                ws.write(r, c, v)
    if post:
        post(wb, ws)
    wb.close()
    return buf.getvalue()


def csv_text(rows: list[list]) -> str:
    import csv
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def good_rows(n: int = 2) -> list[list]:
    return [HEADER] + [[2024, DEPARTMENT, f"正常项目{i}", 100, 80, "概况"] for i in range(n)]


def rezip(data: bytes, replace: dict[str, bytes], level: int = 9) -> bytes:
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        for info in zin.infolist():
            z.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
    return out.getvalue()


def _pad_sheet(data: bytes, mb: int) -> bytes:
    """The sheet XML with `mb` MB of whitespace inside <sheetData>: valid XML that compresses ~1000:1."""
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet.replace(b"</sheetData>", b" " * (mb << 20) + b"</sheetData>")})


def _many_parts(data: bytes, parts: int, mb: int) -> bytes:
    """Many parts, each under the per-part ratio check (<= 10 MB), together past the total limit."""
    out = io.BytesIO(data)
    chunk = b" " * (mb << 20)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for i in range(parts):
            z.writestr(f"xl/media/pad{i}.xml", chunk)
    return out.getvalue()


def _lying_size(data: bytes, part: str) -> bytes:
    """Declare a tiny uncompressed size for a part that is really large."""
    real = zipfile.ZipFile(io.BytesIO(data)).getinfo(part).file_size
    return data.replace(struct.pack("<I", real), struct.pack("<I", 5000))


def _entity_bomb(data: bytes) -> bytes:
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    dtd = ['<!ENTITY a0 "aaaaaaaaaa">'] + [f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 9)]
    sheet = sheet.replace(b"<worksheet", f"<!DOCTYPE worksheet [{''.join(dtd)}]>\n<worksheet".encode(), 1)
    sheet = sheet.replace(b"<v>100</v>", b"<f>SUM(1)</f><v>&a8;</v>", 1)   # a formula, so our XML scan parses it
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet})


def _blank_tail(cell_value):
    def post(wb, ws):
        ws.write_string(999_999, 2, cell_value) if isinstance(cell_value, str) else ws.write_blank(
            999_999, 2, None, wb.add_format({"bold": True}))
    return post


def _filled_down(data: bytes, rows: int = 1_000_000) -> bytes:
    """A formula showing "" filled down to row `rows` in column G, as spreadsheets often carry
    (the XML written directly: building it with a spreadsheet library takes minutes)."""
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    filler = "".join(f'<row r="{r}"><c r="G{r}" t="str"><f>IF(A{r}="","",A{r})</f><v></v></c></row>'
                     for r in range(4, rows + 1)).encode()
    sheet = sheet.replace(b"</sheetData>", filler + b"</sheetData>")
    sheet = sheet.replace(b'<dimension ref="A1:F2"/>', f'<dimension ref="A1:G{rows}"/>'.encode())
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet}, level=6)


def _sheet_xml(data: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


def far_cell(data: bytes, ref: str, declare: bool = False) -> bytes:
    """One more cell, holding 1, at `ref` (e.g. XFD1048576): the reader would allocate rows x columns
    of the whole range. `declare`: also say so in <dimension ref>."""
    row = "".join(ch for ch in ref if ch.isdigit())
    sheet = _sheet_xml(data).replace(b"</sheetData>", f'<row r="{row}"><c r="{ref}"><v>1</v></c></row></sheetData>'.encode())
    if declare:
        sheet = _declare(sheet, f"A1:{ref}")
    return rezip(data, {"xl/worksheets/sheet1.xml": sheet})


def _declare(sheet: bytes, ref: str) -> bytes:
    import re
    return re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), sheet, count=1)


def huge_dimension(data: bytes) -> bytes:
    """The real cells are A1:F3, the sheet declares A1:XFD1048576."""
    return rezip(data, {"xl/worksheets/sheet1.xml": _declare(_sheet_xml(data), "A1:XFD1048576")})


def cells_without_r(data: bytes, n: int = 17_000) -> bytes:
    """A row of `n` cells with no r attribute: a reader places them one after another, past column XFD."""
    cells = "<c><v>1</v></c>" * n
    return rezip(data, {"xl/worksheets/sheet1.xml": _sheet_xml(data).replace(
        b"</sheetData>", f"<row>{cells}</row></sheetData>".encode())})


def raw_shared_string(data: bytes, old: str, new: str) -> bytes:
    """Replace a shared string's XML text as written (to put escapes such as _x000B_ there ourselves)."""
    sst = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")
    assert old.encode() in sst
    return rezip(data, {"xl/sharedStrings.xml": sst.replace(old.encode(), new.encode())})


# control characters and terminal escapes in names and texts: imported as the literal text without them
CONTROL_NAMES = {
    "垂直制表\x0b项目": "垂直制表\n项目", "标题开始\x01项目": "标题开始项目", "空字符\x00项目": "空字符项目",
    "红色\x1b[31m项目\x1b[0m": "红色[31m项目[0m", "清屏\x1b[2J\x1b[H项目": "清屏[2J[H项目",
    "窗口标题\x1b]0;pwned\x07项目": "窗口标题]0;pwned项目", "八位\x9b2J\x85项目": "八位2J\n项目",
    "退格\x08\x08项目\x7f": "退格项目",
}


def control_rows() -> list[list]:
    return [HEADER] + [[2024, DEPARTMENT, raw, 100, 80, "概况" + raw] for raw in CONTROL_NAMES]


def cases() -> list[Case]:
    good = xlsx(good_rows())
    out: list[Case] = []
    unreadable = frozenset({"file-unreadable"})

    # broken containers
    out.append(Case("corrupt-zip", "坏.xlsx", b"PK\x03\x04" + b"\x00garbage\xff" * 200, unreadable))
    out.append(Case("zip-of-text", "t.xlsx", rezip(good, {"xl/workbook.xml": b"not xml <<<"}), unreadable | {"no-sheet"}))
    out.append(Case("truncated-xlsx-half", "t.xlsx", good[: len(good) // 2], unreadable))
    out.append(Case("truncated-xlsx-tail", "t.xlsx", good[:-30], unreadable))
    out.append(Case("empty-xlsx", "e.xlsx", b"", unreadable))
    out.append(Case("html-as-xlsx", "h.xlsx", b"<html><body><script>alert(1)</script></body></html>", unreadable))
    out.append(Case("xls-garbage", "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, unreadable))
    out.append(Case("exe-renamed", "report.exe", b"MZ\x90\x00", frozenset({"file-type"})))
    out.append(Case("no-extension", "report", b"abc", frozenset({"file-type"})))
    csv_good = csv_text(good_rows()).encode("utf-8")
    out.append(Case("truncated-csv-mid-char", "t.csv", csv_good[:-2] + "项".encode("utf-8")[:2],
                    frozenset({"csv-encoding"})))

    # bombs: refused before anything is expanded
    out.append(Case("zip-bomb-ratio", "bomb.xlsx", lambda: _pad_sheet(good, 64), frozenset({"zip-bomb"})))
    out.append(Case("zip-bomb-many-parts", "bomb2.xlsx", lambda: _many_parts(good, 61, 10), frozenset({"zip-bomb"})))
    out.append(Case("zip-lying-size", "lie.xlsx", lambda: _lying_size(_pad_sheet(good, 20), "xl/worksheets/sheet1.xml"),
                    unreadable | {"zip-bomb"}))
    out.append(Case("xml-entity-bomb", "ent.xlsx", _entity_bomb(good), unreadable))

    # encodings
    gbk_rows = [HEADER, [2024, DEPARTMENT, "国标编码项目", 100, 80, "GB18030 编码的概况"]]
    out.append(Case("csv-gb18030", "gbk.csv", csv_text(gbk_rows).encode("gb18030"),
                    texts={"国标编码项目": "GB18030 编码的概况"}))
    out.append(Case("csv-utf8-bom", "bom.csv", b"\xef\xbb\xbf" + csv_text(gbk_rows).encode("utf-8"),
                    texts={"国标编码项目": "GB18030 编码的概况"}))
    out.append(Case("csv-utf16-tabs", "unicode.txt", csv_text(gbk_rows).replace(",", "\t").encode("utf-16"),
                    texts={"国标编码项目": "GB18030 编码的概况"}))
    out.append(Case("csv-utf16-no-bom", "u16.csv", csv_text(gbk_rows).encode("utf-16-le"),
                    frozenset({"csv-encoding", "no-sheet", "no-header", "missing-column", "file-unreadable"})))
    out.append(Case("csv-binary", "bin.csv", bytes(range(256)) * 40, frozenset({"csv-encoding", "no-sheet",
                                                                                 "file-unreadable"})))

    # shapes
    wide = [HEADER + [f"多余列{i}" for i in range(10_000)],
            [2024, DEPARTMENT, "宽表项目", 100, 80, "宽表"] + ["x"] * 10_000]
    out.append(Case("xlsx-10000-columns", "wide.xlsx", lambda: xlsx(wide), texts={"宽表项目": "宽表"}))
    out.append(Case("csv-10000-columns", "wide.csv", csv_text(wide).encode("utf-8"), texts={"宽表项目": "宽表"}))
    tail = good_rows(1)
    out.append(Case("xlsx-blank-cell-at-row-1M", "tall.xlsx", lambda: xlsx(tail, post=_blank_tail(None)),
                    texts={"正常项目0": "概况"}))
    out.append(Case("xlsx-empty-string-at-row-1M", "tall2.xlsx", lambda: xlsx(tail, post=_blank_tail("")),
                    texts={"正常项目0": "概况"}))
    out.append(Case("xlsx-space-at-row-1M", "tall3.xlsx", lambda: xlsx(tail, post=_blank_tail("   ")),
                    texts={"正常项目0": "概况"}))
    out.append(Case("xlsx-formula-filled-down-1M", "tall4.xlsx",
                    lambda: _filled_down(xlsx(tail)), texts={"正常项目0": "概况"}))
    out.append(Case("csv-1M-empty-lines", "tall.csv", lambda: csv_text(tail).encode() + b"\n" * 1_000_000,
                    texts={"正常项目0": "概况"}))
    out.append(Case("csv-1M-comma-lines", "tall2.csv", lambda: csv_text(tail).encode() + b",,,,,\n" * 1_000_000,
                    texts={"正常项目0": "概况"}))

    # long cells
    long_xlsx = "长" * 32_767                      # Excel's own limit per cell
    out.append(Case("xlsx-32767-char-cell", "long.xlsx",
                    xlsx([HEADER, [2024, DEPARTMENT, "长文本项目", 100, 80, long_xlsx]]), texts={"长文本项目": long_xlsx}))
    long_csv = "长" * 100_000
    out.append(Case("csv-100000-char-cell", "long.csv",
                    csv_text([HEADER, [2024, DEPARTMENT, "长文本项目", 100, 80, long_csv]]).encode(),
                    texts={"长文本项目": long_csv}))
    out.append(Case("csv-over-field-limit", "huge-cell.csv",
                    csv_text([HEADER, [2024, DEPARTMENT, "超长项目", 100, 80, "长" * 200_000]]).encode(), unreadable))
    out.append(Case("csv-nul-byte", "nul.csv", csv_text([HEADER, [2024, DEPARTMENT, "正常项目0", 100, 80, "概\x00况"]]).encode(),
                    texts={"正常项目0": "概况"}, warns={"control-chars": [("nul", 2, "F")]}))

    # text that must be stored exactly (control characters cleaned: perfboard.text), as project names
    # and as 项目概况, in both formats
    rows = [HEADER] + [[2024, DEPARTMENT, text, 100, 80, text] for text in NASTY_TEXT.values()]
    expected = {clean(text): clean(text) for text in NASTY_TEXT.values()}
    control_row = 2 + list(NASTY_TEXT).index("control")
    out.append(Case("nasty-text-xlsx", "nasty.xlsx", xlsx(rows), texts=expected,
                    warns={"control-chars": [("项目", control_row, "C"), ("项目", control_row, "F")]}))
    csv_rows = [r for r in rows if "\r" not in str(r[2])]    # csv normalises \r\n inside quotes the same way Excel does
    out.append(Case("nasty-text-csv", "nasty.csv", csv_text(csv_rows).encode("utf-8"),
                    texts={k: v for k, v in expected.items() if "第三行" not in k},
                    warns={"control-chars": [("nasty", control_row, "C")]}))
    # far cells: refused before the reader allocates (XFD1048576 ~ 550 GB, XFD40000 ~ 20 GB)
    too_large = frozenset({"sheet-too-large"})
    out.append(Case("xlsx-far-cell-XFD1048576", "far.xlsx", far_cell(good, "XFD1048576"), too_large))
    out.append(Case("xlsx-far-cell-XFD40000", "far2.xlsx", far_cell(good, "XFD40000"), too_large))
    out.append(Case("xlsx-far-cell-declared", "far3.xlsx", far_cell(good, "XFD40000", declare=True), too_large))
    out.append(Case("xlsx-huge-declared-dimension", "dim.xlsx", huge_dimension(good), too_large))
    out.append(Case("xlsx-cells-without-r-past-XFD", "nor.xlsx", cells_without_r(good), too_large))
    out.append(Case("xlsx-far-row-beyond-excel", "far4.xlsx", far_cell(good, "A99999999999"), too_large))

    # control characters (xlsx stores them as _x000B_ escapes, which the reader decodes) and terminal escapes
    expected = {clean(raw): "概况" + clean(raw) for raw in CONTROL_NAMES}
    assert list(expected) == list(CONTROL_NAMES.values())
    out.append(Case("xlsx-control-chars", "ctrl.xlsx", xlsx(control_rows()), texts=expected,
                    warns={"control-chars": [("项目", 2, "C"), ("项目", 2, "F"), ("项目", 9, "C")]}))
    out.append(Case("csv-control-chars", "ctrl.csv", csv_text(control_rows()).encode("utf-8"), texts=expected,
                    warns={"control-chars": [("ctrl", 2, "C"), ("ctrl", 4, "F")]}))
    out.append(Case("csv-control-chars-gb18030", "ctrl-gbk.csv", csv_text(control_rows()).encode("gb18030"),
                    texts=expected, warns={"control-chars": [("ctrl-gbk", 3, "C")]}))
    escaped = raw_shared_string(xlsx([HEADER, [2024, DEPARTMENT, "转义项目", 100, 80, "PLACEHOLDER"]]),
                                "PLACEHOLDER", "第一段_x000B_第二段_x0001__x0000_完_x001B_[1m")
    out.append(Case("xlsx-x000B-escapes", "esc.xlsx", escaped, texts={"转义项目": "第一段\n第二段完[1m"},
                    warns={"control-chars": [("项目", 2, "F")]}))
    surrogate = raw_shared_string(xlsx([HEADER, [2024, DEPARTMENT, "代理项目", 100, 80, "PLACEHOLDER"]]),
                                  "PLACEHOLDER", "孤_xD800_立")
    out.append(Case("xlsx-lone-surrogate-escape", "sur.xlsx", surrogate, texts={"代理项目": "孤_xD800_立"}))   # the reader keeps it literal
    out.append(Case("csv-terminal-escapes-department", "dept-esc.csv",
                    csv_text([HEADER, [2024, "局\x1b[41m", "部门含转义", 100, 80, "x"]]).encode(),
                    texts={"部门含转义": "x"}, warns={"control-chars": [("dept-esc", 2, "B")]}))

    nasty_dept = [HEADER, [2024, "<b>部门</b>'; --", "部门名也危险", 100, 80, "x"]]
    out.append(Case("nasty-department", "dept.csv", csv_text(nasty_dept).encode(), texts={"部门名也危险": "x"}))
    out.append(Case("formula-with-cached-value", "f.xlsx",
                    xlsx(good_rows(1), post=lambda wb, ws: ws.write_formula(1, 5, '=HYPERLINK("http://x","点我")',
                                                                             None, "点我")),
                    texts={"正常项目0": "点我"}))
    return out


def write_all(folder: str | Path) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for c in cases():
        (folder / f"{c.id}__{c.file_name}").write_bytes(c.bytes())
