"""Control characters (C0 but tab/newline, C1, NUL, lone surrogates): perfboard.text cleans them, and every
writer survives a database that already holds them (inserted directly, as an older version stored them)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from perfboard import text
from perfboard.filters import Filters

BAD = {"vt": "坏\x0b名", "soh": "坏\x01名", "nul": "坏\x00名", "esc": "坏\x1b[31m红\x1b[0m名",
       "c1": "坏\x85\x9b2J名", "del": "坏\x7f名", "nonchar": "坏\uffff名"}   # (DuckDB cannot store a lone surrogate)


@pytest.mark.parametrize("raw, cleaned", [
    ("坏\x0b名", "坏\n名"), ("坏\x0c名", "坏\n名"), ("坏\x85名", "坏\n名"),     # VT/FF/NEL are line breaks
    ("坏\x01名", "坏名"), ("坏\x00名", "坏名"), ("a\x07b\x1b[31mc\x01d", "ab[31mcd"),
    ("x\x7fy\x80z\x9f", "xyz"), ("坏\ud800名\udfff", "坏名"), ("a\ufffeb\uffffc", "abc"),
    ("一\r\n二\r三\n四\t五", "一\n二\n三\n四\t五"),                             # line endings normalised, tab kept
    ("项目😀𠮷\u202e\u200b", "项目😀𠮷\u202e\u200b"),                             # not control characters: kept
])
def test_clean(raw, cleaned):
    assert text.clean(raw) == cleaned
    assert text.has_control(raw) == (raw.replace("\r", "") != cleaned.replace("\r", "")
                                     and cleaned != raw.replace("\r\n", "\n").replace("\r", "\n"))


def test_for_terminal_removes_whole_escape_sequences():
    assert text.for_terminal("坏\x1b[31m红\x1b[0m名") == "坏红名"
    assert text.for_terminal("\x1b]0;pwned\x07标题") == "标题"                  # OSC: window title
    assert text.for_terminal("a\x9b2Jb\x01c") == "abc"                            # 8-bit CSI
    assert text.for_terminal("第一行\n第二行\t列") == "第一行\n第二行\t列"


def test_json_terminal_keeps_the_value():
    doc = json.dumps({"name": "坏\x1b[31m\x85\x9b名\x7f"}, ensure_ascii=False)
    safe = text.json_terminal(doc)
    assert not any(0x7f <= ord(ch) <= 0x9f or ch == "\x1b" for ch in safe)
    assert json.loads(safe) == json.loads(doc)


def test_clean_deep():
    import pandas as pd
    from dataclasses import dataclass

    @dataclass
    class D:
        a: str
        b: list

    d = text.clean_deep(D("x\x00", [("y\x01", 1), {"k\x0b": "v\x1f"}]))
    assert d == D("x", [("y", 1), {"k\n": "v"}])
    df = text.clean_deep(pd.DataFrame({"n": ["a\x00", None], "x": [1.0, 2.0]}))
    assert df["n"].iloc[0] == "a" and df["n"].isna().iloc[1] and df["x"].tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- an older database holding such text
@pytest.fixture
def dirty_store(sample_store):
    """Every project name and overview, and some indicator texts, carry one of the characters above."""
    with sample_store.transaction(bump_version=False) as cur:       # a write: the same on both stores
        ids = [r[0] for r in cur.execute("SELECT id FROM projects ORDER BY id").fetchall()]
        values = list(BAD.values())
        for k, pid in enumerate(ids):
            bad = values[k % len(values)]
            cur.execute("UPDATE projects SET name = name || ?, overview = ?, deviation_reason = ? WHERE id = ?",
                        [bad, "概况" + bad, "原因" + bad, pid])
        cur.execute("UPDATE indicators SET level3 = level3 || ?, deviation_note = ?, actual_text = actual_text || ? "
                    "WHERE id % 3 = 0", ["\x01\x0b", "原因\x00\x1b[2J", "\x02"])
    return sample_store


def _xml_parts_parse(data: bytes) -> None:
    """Every XML part of an OOXML file parses (what Excel/Word do first)."""
    from lxml import etree
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                etree.fromstring(z.read(name))


def test_table_exports(dirty_store):
    from perfboard.export import tables
    from perfboard.export.catalog import build_table
    import openpyxl
    t, df, totals = build_table(dirty_store, Filters(), "projects")
    assert df["项目名称"].str.contains("\x01").any()          # the database really holds them (PostgreSQL: not NUL)
    data = tables.to_xlsx(df, t.title, totals=totals)
    _xml_parts_parse(data)
    names = [r[0] for r in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
    assert any(isinstance(n, str) and n.endswith("坏\n名") for n in names)
    assert any(isinstance(n, str) and n.endswith("坏[31m红[0m名") for n in names)
    assert not any(isinstance(n, str) and text.has_control(n) for n in names)
    csv_text = tables.to_csv(df, totals=totals).decode("utf-8-sig")
    assert not text.has_control(csv_text) and "坏名" in csv_text


def test_forms_export(dirty_store):
    from perfboard.export.forms import forms_xlsx
    import openpyxl
    data = forms_xlsx(dirty_store, Filters())
    _xml_parts_parse(data)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert any("坏名" in n for n in wb.sheetnames)
    cells = [v for ws in wb for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any(v.endswith("坏名") for v in cells) and not any(text.has_control(v) for v in cells)


def test_report_docx(dirty_store):
    from perfboard.export.report import report_docx
    import docx
    data = report_docx(dirty_store, Filters(), include_review=True)
    _xml_parts_parse(data)
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "坏名" in body and not text.has_control(body)


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_brief_with_chart(dirty_store, fmt):
    """Used to abort the whole process (vl-convert: NonXmlChar) when the chart held such a name."""
    from perfboard.export import brief
    data = brief.brief_data(dirty_store, Filters(year=2024))
    assert data.chart_png and data.chart_png[:4] == b"\x89PNG"
    assert any(text.has_control(i["name"]) for i in data.attention)      # the data still holds them
    out = brief.brief_bytes(dirty_store, Filters(year=2024), fmt)
    assert out[:4] == (b"PK\x03\x04" if fmt == "docx" else b"%PDF")
    if fmt == "docx":
        _xml_parts_parse(out)


def test_cli_text_output_carries_no_control_characters(dirty_store, sample_db_path, capsys):
    from perfboard.cli import main
    dirty_store.close()
    for args in (["score"], ["compare", "--base", "2023", "--year", "2024"], ["summary"]):
        assert main([*args, "--db", str(sample_db_path)]) == 0
        out = capsys.readouterr().out
        assert out.strip()
        assert "\x1b" not in out and not text.has_control(out), args
        if args[0] != "summary":
            assert "坏红名" in out or "坏名" in out
    assert main(["score", "--json", "--db", str(sample_db_path)]) == 0
    out = capsys.readouterr().out
    assert not text.has_control(out)
    names = {i["name"] for i in json.loads(out)["items"]}
    assert any(n.endswith(BAD["esc"]) for n in names) and any(n.endswith(BAD["c1"]) for n in names)
