"""复核底稿: the findings of perfboard.review as an .xlsx workpaper, one row per finding in the layout of
published review workpapers, a summary sheet per unit and the rules with their basis. Text cells are
written as strings (never formulas) and any text a spreadsheet could take for a formula gets a quote
prefix (export.tables.is_risky, the guard of every exported table)."""
from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..review import RULES, SEVERITIES, SEVERITY_ZH, STATUS_ZH, unit_counts
from ..text import clean
from .tables import is_missing, is_risky

HEADERS = ["等级", "复核维度", "对象", "位置", "复核发现", "事实及判定", "处理建议", "核验依据", "复核状态", "复核意见"]
WIDTHS = [7, 14, 36, 34, 34, 60, 40, 50, 10, 30]
SUMMARY_HEADERS = ["年度", "主管部门", *SEVERITIES, "合计", "待核实", "主要问题"]
CHUNK = 20_000         # findings whose cells are built at a time (the rest of the memory is xlsxwriter's one row)
RULE_HEADERS = ["规则代码", "名称", "复核维度", "等级", "说明", "核验依据", "处理建议", "发现数"]
ARROW_ROWS = True       # the 复核底稿 rows' plain texts built column-wise in Arrow (_ArrowRows); False: per cell


def _year(year, fictional) -> str:
    """"2023 年度（示例（虚构））" for an invented sample year (issue 15), else "2024 年度"."""
    from ..sample import FICTIONAL_LABEL
    return f"{int(year)} 年度" + (f"（{FICTIONAL_LABEL}）" if int(year) in fictional else "")


def _columns(f: pd.DataFrame, fictional=()) -> list[list]:
    """The workpaper's columns (HEADERS) of findings() rows, in their order, built column-wise from object
    arrays (iterating Arrow-backed rows one by one cost ~20 s at 668,000 findings); rows of a `fictional` year
    say 示例（虚构） in their 位置."""
    col = {c: f[c].to_numpy(dtype=object) for c in ("severity", "dimension", "department", "project", "year",
                                                      "location", "message", "fact", "code", "status", "reason")}
    years: dict = {}

    def where(y, loc):
        if is_missing(y):
            return str(loc)
        if y not in years:
            years[y] = _year(y, fictional)
        return f"{years[y]} · {loc}"
    rules = {c: RULES[c] for c in RULES}
    return [list(col["severity"]), list(col["dimension"]),
            [d if not isinstance(p, str) else f"{d} · {p}" for d, p in zip(col["department"], col["project"])],
            [where(y, loc) for y, loc in zip(col["year"], col["location"])],
            list(col["message"]), list(col["fact"]),
            [rules[c].suggestion for c in col["code"]], [rules[c].basis for c in col["code"]],
            [STATUS_ZH.get(x, x) for x in col["status"]],
            [x if isinstance(x, str) else "" for x in col["reason"]]]


def workpaper_rows(f: pd.DataFrame, fictional=()) -> list[list[str]]:
    """The workpaper's rows (HEADERS) of findings() rows, in their order; rows of a `fictional` year say
    示例（虚构） in their 位置."""
    return [list(r) for r in zip(*_columns(f, fictional))] if len(f) else []


def summary_rows(f: pd.DataFrame, fictional=()) -> list[list]:
    """Per unit, the units needing attention first (review.unit_counts), with its three most frequent rules."""
    units = unit_counts(f)
    top = {}
    if len(f):
        # the three columns it reads: grouping the whole frame sorted a copy of every column (+0.45 GB at 836,000)
        for (y, d), g in f[["year", "department", "code"]].groupby(["year", "department"]):
            vc = g["code"].value_counts().head(3)
            top[(y, d)] = "；".join(f"{RULES[c].title} {n}" for c, n in vc.items())
    return [[_year(u["year"], fictional) if int(u["year"]) in fictional else int(u["year"]), u["department"], *[int(u[s]) for s in SEVERITIES], int(u["total"]), int(u["open"]),
             top.get((u["year"], u["department"]), "")] for u in units.to_dict("records")]


class _RowWriter:
    """The 复核底稿 sheet's rows written as xlsxwriter's constant_memory mode writes them (Worksheet.write_string,
    then _write_single_row and _write_cell when the next row begins), byte for byte, without its per-cell calls
    (~7 µs a cell: most of a province's 8 million cells' time): each cell's XML is built here with xlsxwriter's
    own escaping, a plain text (no markup, control or escape-like characters, nothing long) straight, anything
    else through the same helper calls in the same order; formats get their index at first use, in row order,
    as there. tests/test_review_output.py compares the file with the plain write_string calls'. Used only on
    the xlsxwriter version it was checked against (requirements.txt), else the plain calls."""
    VERSION = "3.3.1"
    _SPECIAL = re.compile('[\x00-\x08\x0b-\x1f"&<>\n\ufffe\uffff]|_x[0-9a-fA-F]{4}_')

    @classmethod
    def usable(cls, ws) -> bool:
        import xlsxwriter
        return (xlsxwriter.__version__ == cls.VERSION and getattr(ws, "constant_memory", False)
                and ws.previous_row == 0 and not ws.row_info)

    def __init__(self, ws):
        from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
        self.ws = ws
        self.letters = [xl_col_to_name(c) for c in range(len(HEADERS))]
        self.preserve, self.utf16_len, self.utf16_truncate = _preserve_whitespace, _utf16_len, _utf16_truncate
        self.last = None                      # the last row written
        self.bodies: dict[str, str] = {}      # the repeated texts' XML after the cell reference and format

    def body(self, s: str) -> str:
        """The cell XML after its ' s="…"' attribute, for a non-empty text `s` (Worksheet._write_string, then
        _write_cell's in-line string branch and XMLwriter._xml_inline_string)."""
        ws = self.ws
        if len(s) <= ws.xls_strmax // 2 and not self._SPECIAL.search(s) and not s.startswith("<r>"):
            pre = ' xml:space="preserve"' if self.preserve(s) else ""
            return f' t="inlineStr"><is><t{pre}>{s}</t></is></c>'
        if len(s) > ws.xls_strmax // 2 and self.utf16_len(s) > ws.xls_strmax:
            s = self.utf16_truncate(s, ws.xls_strmax)
        s = ws._escape_control_characters(s)
        if s.startswith("<r>") and s.endswith("</r>"):
            return f' t="inlineStr"><is>{s}</is></c>'
        pre = ' xml:space="preserve"' if self.preserve(s) else ""
        return f' t="inlineStr"><is><t{pre}>{ws._escape_data(s)}</t></is></c>'

    def write(self, first: int, columns: list[list[tuple]]) -> None:
        """Rows first, first + 1, ... of `columns` (per column, per row: (text, format); "" writes no cell)."""
        ws = self.ws
        if self.last is None:
            ws._write_single_row(first)        # the header row, as the first write_string below it would
        repeated = [c in (0, 1, 6, 7, 8) for c in range(len(columns))]
        bodies = self.bodies
        parts = []
        for i, row in enumerate(zip(*columns), start=first):
            r = str(i + 1)
            out = []
            for c, (s, fm) in enumerate(row):
                if not s:
                    continue
                if repeated[c]:
                    b = bodies.get(s)
                    if b is None:
                        b = bodies[s] = self.body(s)
                else:
                    b = self.body(s)
                xf = fm.xf_index if fm.xf_index is not None else fm._get_xf_index()
                out.append(f'<c r="{self.letters[c]}{r}" s="{xf}"{b}')
            if out:
                parts.append(f'<row r="{r}">' + "".join(out) + "</row>")
                self.last = i
        ws.fh.write("".join(parts))

    def close(self) -> None:
        """The sheet's dimensions and row state as the plain calls leave them."""
        ws = self.ws
        if self.last is not None:
            ws._check_dimensions(self.last, 0)
            ws.previous_row = self.last


def _join(*parts, **kw):
    """pyarrow's binary_join_element_wise of `parts` (the last one the separator) with the Python strings among
    them as large_string scalars (the arrays here are large_string: a kernel takes one string type)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    return pc.binary_join_element_wise(*(pa.scalar(x, pa.large_string()) if isinstance(x, str) else x
                                         for x in parts), **kw)


def _whitespace() -> str:
    """Every character Python's re counts as \\s in a str pattern (str.isspace: all in the BMP), as an RE2 class body."""
    return "".join(f"\\x{{{ord(c):x}}}" for c in map(chr, range(0x10000)) if c.isspace())


_FAST_OUT = None       # the RE2 pattern of a text the Arrow path leaves to the Python calls (built at first use)


def _slow_pattern() -> str:
    """A text the Arrow path hands to the per-cell calls: anything clean() would change or xlsxwriter would
    escape (every C0 control but none kept apart, DEL and the C1 controls, the non-characters, " & < >, a
    literal _xHHHH_), a rich-string look-alike, a formula start (its quote-prefix format), a leading or trailing
    blank (the preserve attribute). The rest is written as it is, in the plain in-line string form."""
    global _FAST_OUT
    if _FAST_OUT is None:
        ws = _whitespace()
        _FAST_OUT = (r'[\x{0}-\x{1f}\x{7f}-\x{9f}"&<>\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_|^<r>|^[=+\-@]'
                     f"|^[{ws}]|[{ws}]$")
    return _FAST_OUT


class _ArrowRows(_RowWriter):
    """The 复核底稿 rows as _RowWriter writes them, byte for byte, with the per-cell work done column-wise in
    Arrow: a text nothing needs to change or escape (almost every one) becomes its cell's XML in one Arrow
    expression per column; the others (control characters, markup, formula starts, leading or trailing
    blanks, long texts) go through _RowWriter's own calls, one by one. Formats get their index in the order
    of their first use, row by row, as there. `write_frame` returns False (nothing written, nothing assigned)
    for a chunk whose values are not plain strings, which the caller then writes through the per-cell path."""

    def write_frame(self, first: int, part: pd.DataFrame, fictional, cells) -> bool:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        raw = _arrow_columns(part, fictional)
        if raw is None:
            return False
        n = len(part)
        formats: list = []                     # format objects by code, in the order first met here
        codes_of: dict[int, int] = {}

        def code(fm) -> int:
            k = codes_of.get(id(fm))
            if k is None:
                k = codes_of[id(fm)] = len(formats)
                formats.append(fm)
            return k
        bodies, codes = [], []
        for c, arr in enumerate(raw):
            if c in (0, 1, 6, 7, 8):           # few distinct texts: each one through cells() (memoised there)
                enc = arr.dictionary_encode()
                dvals = enc.dictionary.to_pylist()
                made = cells(c, dvals)
                dbody = pa.array([self._memo_body(s) if s else None for s, _ in made], pa.large_string())
                dcode = np.array([code(fm) if s else -1 for s, fm in made] + [-1], dtype=np.int64)
                idx = enc.indices.fill_null(len(dvals)).to_numpy(zero_copy_only=False)
                ids = pa.array(np.where(idx < len(dvals), idx, 0), pa.int64())
                body = dbody.take(ids) if len(dvals) else pa.nulls(n, pa.large_string())
                cc = dcode[idx]
                body = pc.if_else(pa.array(cc >= 0), body, pa.scalar(None, pa.large_string()))
            else:                                # mostly distinct texts: the plain ones in Arrow
                arr = arr.cast(pa.large_string())
                slow = pc.or_(pc.match_substring_regex(arr, _slow_pattern()),
                              pc.greater(pc.utf8_length(arr), self.ws.xls_strmax // 2))
                empty = pc.or_(pc.is_null(arr), pc.equal(arr, ""))
                slow_np = slow.fill_null(False).to_numpy(zero_copy_only=False)
                empty_np = empty.fill_null(True).to_numpy(zero_copy_only=False)
                fast_np = ~slow_np & ~empty_np
                wrap_code = code(cells(c, ["a"])[0][1])      # a plain text's format (cell(v, wrap))
                cc = np.where(fast_np, wrap_code, -1).astype(np.int64)
                slow_bodies = [None] * n
                for i in np.flatnonzero(slow_np):
                    s, fm = cells(c, [arr[int(i)].as_py()])[0]
                    if s:
                        slow_bodies[i] = self.body(s)
                        cc[i] = code(fm)
                fast_body = _join(' t="inlineStr"><is><t>', arr, "</t></is></c>", "")
                body = pc.if_else(pa.array(fast_np), fast_body, pa.array(slow_bodies, pa.large_string()))
            bodies.append(body)
            codes.append(cc)
        # from here on the sheet is written: the header row first, as the first write_string below it would
        ws = self.ws
        if self.last is None:
            ws._write_single_row(first)
        # each format's index at its first use in row order (row by row, left to right), as the per-cell calls
        firsts = []
        for k, fm in enumerate(formats):
            where = [int(np.flatnonzero(cc == k)[0]) * len(raw) + c for c, cc in enumerate(codes) if (cc == k).any()]
            if where:
                firsts.append((min(where), k))
        xf = {k: str(formats[k].xf_index if formats[k].xf_index is not None else formats[k]._get_xf_index())
              for _, k in sorted(firsts)}
        xf_strings = pa.array([xf.get(k, "") for k in range(len(formats))] or [""], pa.large_string())
        rows = pa.array([str(i + 1) for i in range(first, first + n)], pa.large_string())
        cells_xml, has = [], np.zeros(n, dtype=bool)
        for c, (body, cc) in enumerate(zip(bodies, codes)):
            present = cc >= 0
            has |= present
            xfs = xf_strings.take(pa.array(np.where(present, cc, 0), pa.int64()))
            xml = _join(f'<c r="{self.letters[c]}', rows, '" s="', xfs, '"', body, "",
                                              null_handling="emit_null")
            cells_xml.append(pc.if_else(pa.array(present), xml, pa.scalar(None, pa.large_string())))
        row_xml = _join('<row r="', rows, '">', *cells_xml, "</row>", "",
                                              null_handling="replace", null_replacement="")
        if has.any():
            row_xml = row_xml.filter(pa.array(has))
            joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array([0, len(row_xml)], pa.int64()), row_xml),
                                    pa.scalar("", pa.large_string()))
            ws.fh.write(joined[0].as_py())
            self.last = first + int(np.flatnonzero(has)[-1])
        return True

    def _memo_body(self, s: str) -> str:
        b = self.bodies.get(s)
        if b is None:
            b = self.bodies[s] = self.body(s)
        return b


def _arrow_columns(part: pd.DataFrame, fictional) -> list | None:
    """_columns(part, fictional) as Arrow string arrays (null: a missing value, which writes no cell), or None
    when some value is not what the Arrow expressions assume (a non-string text, a missing 主管部门 beside a
    project, a missing 位置, a year that is not a plain integer): the caller then builds the cells one by one."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def text(col):
        try:
            a = pa.array(part[col], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            return None
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        if pa.types.is_null(a.type):
            return pa.nulls(len(a), pa.large_string())
        if not (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
            return None
        return a.cast(pa.large_string())
    col = {c: text(c) for c in ("severity", "dimension", "department", "project", "location", "message", "fact",
                                "code", "status", "reason")}
    if any(v is None for v in col.values()) or part["year"].dtype.kind not in "iu":
        return None
    dept, proj, loc = col["department"], col["project"], col["location"]
    if pc.any(pc.and_(pc.is_null(dept), pc.is_valid(proj))).as_py() or loc.null_count or col["code"].null_count:
        return None
    obj = pc.if_else(pc.is_valid(proj), _join(dept, proj, " · "), dept)
    years = part["year"].to_numpy()
    uniq = np.unique(years)
    labels = pa.array([_year(y, fictional) for y in uniq.tolist()], pa.large_string())
    where = _join(labels.take(pa.array(np.searchsorted(uniq, years), pa.int64())), loc, " · ")

    def per_code(values, of):
        enc = values.dictionary_encode()
        made = pa.array([of(v) for v in enc.dictionary.to_pylist()], pa.large_string())
        return made.take(enc.indices) if len(made) else pa.nulls(len(values), pa.large_string())
    return [col["severity"], col["dimension"], obj, where, col["message"], col["fact"],
            per_code(col["code"], lambda c: RULES[c].suggestion), per_code(col["code"], lambda c: RULES[c].basis),
            per_code(col["status"], lambda x: STATUS_ZH.get(x, x)), col["reason"]]


def workpaper_xlsx(f: pd.DataFrame, description: str = "", now: datetime | None = None, fictional=()) -> bytes:
    """The workpaper of findings `f` (review.findings()) as bytes: sheets 复核底稿, 单位汇总, 复核规则 (see
    write_workpaper). Rows of a `fictional` year (perfboard.sample.fictional_years) say 示例（虚构） next to
    their year."""
    with tempfile.TemporaryDirectory(prefix="perfboard-wp-") as tmp:
        path = Path(tmp) / "workpaper.xlsx"
        write_workpaper(path, f, description, now, fictional)
        return path.read_bytes()


def write_workpaper(path, f: pd.DataFrame, description: str = "", now: datetime | None = None, fictional=()) -> None:
    """Write the workpaper of findings `f` to `path`, row by row in xlsxwriter's constant_memory mode (each
    row goes to a temporary file when the next begins: memory does not grow with the findings); each distinct
    cell text is cleaned and checked for a formula start once."""
    fictional = {int(y) for y in fictional}
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    wrap_q = wb.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
    sev_fmt = {"P0": wb.add_format({"bold": True, "font_color": "#C00000", "valign": "top"}),
               "P1": wb.add_format({"bold": True, "font_color": "#C65911", "valign": "top"}),
               "P2": wb.add_format({"valign": "top"})}

    def cell(v, fmt=wrap):
        """(text, format) of a value as written, text "" when nothing is written."""
        if type(v) is str:        # most cells: is_missing and str() say nothing about a str
            s = clean(v, newlines=False)                                   # no control characters (perfboard.text)
        else:
            s = "" if is_missing(v) else clean(str(v), newlines=False)
        return s, (wrap_q if is_risky(s) else fmt)

    def text(ws, r, c, v, fmt=wrap):
        s, fm = cell(v, fmt)
        if s:
            ws.write_string(r, c, s, fm)

    ws = wb.add_worksheet("复核底稿")
    for c, (h, w) in enumerate(zip(HEADERS, WIDTHS)):
        ws.write_string(0, c, h, head)
        ws.set_column(c, c, w)
    if len(f):
        # 等级, 复核维度, 处理建议, 核验依据, 复核状态 repeat: each distinct one cleaned and checked once
        memo: list[dict | None] = [{} if c in (0, 1, 6, 7, 8) else None for c in range(len(HEADERS))]

        def cells(c: int, values: list) -> list:
            """(text, format) of column c's values as written."""
            m = memo[c]
            if m is None:                     # mostly distinct texts: not kept
                return [cell(v, wrap) for v in values]
            out = []
            for v in values:
                try:
                    out.append(m[v])
                except KeyError:
                    m[v] = cell(v, sev_fmt.get(v, wrap) if c == 0 else wrap)
                    out.append(m[v])
            return out
        rows = (_ArrowRows if ARROW_ROWS else _RowWriter)(ws) if _RowWriter.usable(ws) else None
        for a in range(0, len(f), CHUNK):
            part = f.iloc[a:a + CHUNK]
            if ARROW_ROWS and rows is not None and rows.write_frame(a + 1, part, fictional, cells):
                continue
            columns = [cells(c, col) for c, col in enumerate(_columns(part, fictional))]
            if rows is not None:
                rows.write(a + 1, columns)
                continue
            for i, row in enumerate(zip(*columns), start=a + 1):
                for c, (s, fm) in enumerate(row):
                    if s:
                        ws.write_string(i, c, s, fm)
        if rows is not None:
            rows.close()
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(f), 1), len(HEADERS) - 1)

    ws = wb.add_worksheet("单位汇总")
    for c, h in enumerate(SUMMARY_HEADERS):
        ws.write_string(0, c, h, head)
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 6, 9)
    ws.set_column(7, 7, 50)
    for i, row in enumerate(summary_rows(f, fictional), start=1):
        for c, v in enumerate(row):
            if isinstance(v, int):
                ws.write_number(i, c, v)
            else:
                text(ws, i, c, v)
    ws.freeze_panes(1, 0)

    ws = wb.add_worksheet("复核规则")
    for c, h in enumerate(RULE_HEADERS):
        ws.write_string(0, c, h, head)
    for c, w in enumerate([22, 16, 14, 8, 50, 50, 40, 8]):
        ws.set_column(c, c, w)
    counts = f["code"].value_counts() if len(f) else pd.Series(dtype="int64")
    # each rule's severity as its last finding has it (what dict(zip(code, severity)) kept), without walking
    # every finding's two Arrow values in Python (~1.4 s at 836,000)
    last = f[["code", "severity"]].drop_duplicates("code", keep="last") if len(f) else None
    sev = dict(zip(last["code"].tolist(), last["severity"].tolist())) if len(f) else {}
    for i, rule in enumerate(RULES.values(), start=1):
        for c, v in enumerate([rule.code, rule.title, rule.dimension, sev.get(rule.code, rule.severity),
                               rule.description, rule.basis, rule.suggestion]):
            text(ws, i, c, v)
        ws.write_number(i, 7, int(counts.get(rule.code, 0)))
    now = now or datetime.now()
    wb.set_properties({"title": "自评复核底稿", "author": "PerfBoard",
                       "comments": f"{description}；生成时间 {now:%Y-%m-%d %H:%M}；等级：" + "、".join(SEVERITY_ZH.values())})
    wb.close()
