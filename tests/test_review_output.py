"""`review --json` streamed column-wise (issue 19): the same bytes as the whole-document json.dumps of to_json
it replaced, on the sample with hostile text and a decision, and the CLI marks its output as JSON instead of
TerminalStream parsing it again."""
from __future__ import annotations

import json

import pytest

from perfboard import review, text
from perfboard.db import Store
from perfboard.filters import Filters


def _old_output(store, filters) -> str:
    """What `review --json` printed before: json.dumps of the whole dict, escaped by TerminalStream."""
    out = review.to_json(review.findings(store, filters))
    out["filters"] = filters.describe()
    return text.json_terminal(json.dumps(out, ensure_ascii=False, default=str)) + "\n"


@pytest.fixture
def dirty_db(sample_db_path):
    """The sample with control characters, an escape sequence, C1 controls and a line separator in names and
    texts, and decisions (one with a reason) on two findings."""
    s = Store(sample_db_path)
    bad = ["\x1b[31m", "\x9b", "\x85", "\x7f", "\u2028", "\x01", '"引号"\\']
    with s.transaction(bump_version=False) as cur:       # a write transaction: the same on both stores
        for k, (pid,) in enumerate(cur.execute("SELECT id FROM projects ORDER BY id").fetchall()):
            cur.execute("UPDATE projects SET name = name || ?, department = department || ?, deviation_reason = NULL "
                        "WHERE id = ?", [bad[k % len(bad)], bad[(k + 1) % len(bad)] if k % 3 == 0 else "", pid])
        cur.execute("UPDATE indicators SET level3 = level3 || ? WHERE id % 3 = 0", ["\x02\x0b"])
    f = review.findings(s, Filters())
    assert len(f) > 20
    review.decide(s, f.iloc[0].to_dict(), "rejected", "理由\x1b[2J\u2028“已说明”", user=None)
    review.decide(s, f.iloc[5].to_dict(), "verified", None, user=None)
    s.close()
    return sample_db_path


def _no_parse(s):
    if s[:1] in ("{", "["):
        pytest.fail("the CLI re-parsed its own JSON")
    return False


@pytest.mark.parametrize("chunk", [review.JSON_CHUNK, 7])
@pytest.mark.parametrize("args,filters", [([], Filters(year=2024)), (["--year", "2024"], Filters(year=2024)),
                                          (["--year", "1999"], Filters(year=1999))])
def test_streamed_json_is_byte_identical(dirty_db, capsys, monkeypatch, chunk, args, filters):
    from perfboard.cli import main
    monkeypatch.setattr(review, "JSON_CHUNK", chunk)
    monkeypatch.setattr(text, "_is_json", _no_parse)
    assert main(["review", "--db", str(dirty_db), "--json", *args]) == 0
    got = capsys.readouterr().out
    monkeypatch.undo()
    with Store(dirty_db) as s:
        want = _old_output(s, filters)
    assert got == want
    doc = json.loads(got)
    assert ("\x1b" not in got and "\x9b" not in got and "\u2028" not in got)
    if filters.year != 1999:
        assert any(i["reason"] and i["reason"].startswith("理由\x1b[2J") for i in doc["findings"])
        assert any(isinstance(i["evidence"], dict) and i["evidence"] for i in doc["findings"])
    else:
        assert doc["findings"] == [] and doc["units"] == []


def test_write_json_escapes_as_a_whole_document_is():
    import io
    doc = json.dumps({"n": "坏\x1b[31m\x85\x9b名\x7f\u2028"}, ensure_ascii=False)
    raw = io.StringIO()
    ts = text.TerminalStream(raw)
    ts.write(doc)
    whole = raw.getvalue()
    raw2 = io.StringIO()
    ts2 = text.TerminalStream(raw2)
    for piece in (doc[:5], doc[5:9], doc[9:]):       # pieces alone are not JSON: still escaped as JSON
        text.write_json(ts2, piece)
    plain = io.StringIO()
    text.write_json(plain, doc)                     # a stream that is not a TerminalStream: the same text
    assert raw2.getvalue() == whole == plain.getvalue() and json.loads(whole) == json.loads(doc)
    assert "\x9b" not in whole and "\x7f" not in whole


def test_workpaper_written_row_by_row_holds_every_row(dirty_db, tmp_path, monkeypatch):
    """The CLI's workpaper (constant_memory, written to the file) has every finding's row in order, the same
    cells as workpaper_rows and as the page's bytes, and a reason starting a formula is quoted."""
    import openpyxl

    from perfboard.cli import main
    from perfboard.export.workpaper import workpaper_rows, workpaper_xlsx
    s = Store(dirty_db)
    f = review.findings(s, Filters(year=2024))
    review.decide(s, f.iloc[1].to_dict(), "rejected", "=HYPERLINK(\"x\")", user=None)
    f = review.findings(s, Filters(year=2024))
    s.close()
    from perfboard.export import workpaper
    monkeypatch.setattr(workpaper, "CHUNK", 7)          # cells built a few rows at a time: still every row, in order
    path = tmp_path / "wp.xlsx"
    assert main(["review", "--db", str(dirty_db), "--out", str(path)]) == 0
    ws = openpyxl.load_workbook(path)["复核底稿"]
    got = [[c.value or "" for c in r] for r in ws.iter_rows(min_row=2)]
    want = [[text.clean(str(v), newlines=False) for v in r] for r in workpaper_rows(f)]
    assert len(got) == len(f) > 20 and got == want
    quoted = [c for r in ws.iter_rows(min_row=2) for c in r if c.quotePrefix]
    assert [c.value for c in quoted] == ['=HYPERLINK("x")']
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:J{len(f) + 1}"
    import io
    page = openpyxl.load_workbook(io.BytesIO(workpaper_xlsx(f)))["复核底稿"]
    assert [[c.value or "" for c in r] for r in page.iter_rows(min_row=2)] == got


def _members(path) -> dict[str, bytes]:
    import zipfile
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}     # core.xml: the time written


@pytest.mark.parametrize("writer", ["arrow", "rows", "arrow-fallback"])
@pytest.mark.parametrize("chunk", [20_000, 3])
def test_workpaper_rows_are_the_plain_xlsxwriter_calls_byte_for_byte(dirty_db, tmp_path, monkeypatch, chunk, writer):
    """The 复核底稿 rows written by _ArrowRows (the texts column-wise in Arrow, the odd ones per cell) and by
    _RowWriter (every cell in Python) are the file xlsxwriter's own write_string calls make, every part
    byte for byte: the sample with hostile text, and texts that take each of xlsxwriter's escaping branches
    (markup, quotes, line breaks, a literal _x0041_, leading and trailing blanks, a rich-string look-alike, the
    non-characters, texts above half and above all of Excel's 32,767 limit, astral characters, formula starts,
    blanks Python's \\s knows and RE2's does not). "arrow-fallback": some chunks hold a value that is not a text
    (written per cell), the others in Arrow."""
    from datetime import datetime

    from perfboard.export import workpaper
    s = Store(dirty_db)
    f = review.findings(s, Filters())
    s.close()
    odd = ["a&b<c>d", '"引号"', "第一行\n第二行", "_x0041_ 字面", " 前空格", "后空格 ", "\t制表", "<r><t>富文本</t></r>",
           "<r>半个", "\ufffe\uffff", "长" * 20_000, "长" * 40_000, "😀" * 17_000, "=SUM(A1)", "+1", "-", "@x", "",
           "普通文字", "\u3000全角空格\u3000", "尾随全角\u3000", "\xa0前", "后\u2029", "\x1c分隔", "中\u3000间",
           "<r>", "a_x00E9_b", "_X0041_", "&amp;", "\x85NEL", "\x7f", "长" * 16_383, "长" * 16_384]
    f = f.assign(message=[odd[i % len(odd)] for i in range(len(f))],
                 fact=[odd[(i * 7 + 3) % len(odd)] for i in range(len(f))],
                 location=[odd[(i * 5 + 1) % len(odd)] for i in range(len(f))],
                 reason=[odd[(i * 3 + 2) % len(odd)] if i % 2 else None for i in range(len(f))],
                 department=[odd[(i * 11) % len(odd)] or "某单位" for i in range(len(f))])
    monkeypatch.setattr(workpaper, "CHUNK", chunk)
    now = datetime(2026, 12, 5, 21, 0)
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    if writer == "arrow-fallback":          # every third chunk has a number for a text: that chunk goes per cell
        f = f.assign(fact=[v if (i // chunk) % 3 else 7 for i, v in enumerate(f["fact"])]).astype({"fact": object})
    used, arrow = [], []
    real, real_frame = workpaper._RowWriter.write, workpaper._ArrowRows.write_frame
    monkeypatch.setattr(workpaper._RowWriter, "write", lambda self, *a: used.append(a[0]) or real(self, *a))
    monkeypatch.setattr(workpaper._ArrowRows, "write_frame",
                        lambda self, *a: (real_frame(self, *a) and not arrow.append(a[0])))
    monkeypatch.setattr(workpaper, "ARROW_ROWS", writer != "rows")
    workpaper.write_workpaper(fast, f, "描述", now, fictional=(2023,))
    if writer == "rows":
        assert used and used[0] == 1 and not arrow
    elif writer == "arrow":
        assert arrow and arrow[0] == 1 and not used
    else:
        assert used and (arrow or len(f) <= chunk) and sorted(arrow + used) == list(range(1, len(f) + 1, chunk))
    monkeypatch.setattr(workpaper._RowWriter, "usable", classmethod(lambda cls, ws: False))
    workpaper.write_workpaper(plain, f, "描述", now, fictional=(2023,))
    a, b = _members(fast), _members(plain)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert b"_x005F_x0041_" in a["xl/worksheets/sheet1.xml"] and b"&amp;b&lt;c&gt;d" in a["xl/worksheets/sheet1.xml"]
    # and an empty workpaper
    workpaper.write_workpaper(plain, f.iloc[:0], "描述", now)
    monkeypatch.undo()
    workpaper.write_workpaper(fast, f.iloc[:0], "描述", now)
    assert _members(fast) == _members(plain)


def test_unit_summary_names_each_units_three_most_frequent_rules(dirty_db):
    """单位汇总's 主要问题 groups only the columns it reads: the same text as grouping the whole findings frame."""
    from perfboard.export.workpaper import summary_rows
    s = Store(dirty_db)
    f = review.findings(s, Filters())
    s.close()
    want = {}
    for (y, d), g in f.groupby(["year", "department"]):
        vc = g["code"].value_counts().head(3)
        want[(int(y), d)] = "；".join(f"{review.RULES[c].title} {n}" for c, n in vc.items())
    rows = summary_rows(f)
    assert len(rows) == len(want) > 1
    assert {(int(r[0]), r[1]): r[-1] for r in rows} == want and all(r[-1] for r in rows)


def test_rules_sheet_names_the_severity_of_each_rules_last_finding(dirty_db, tmp_path):
    """复核规则's 等级 is what dict(zip(code, severity)) kept (the rule's last finding), also when findings of
    one rule carry different severities (settings changed between years), and the rule's own without one."""
    import openpyxl

    from perfboard.export import workpaper
    s = Store(dirty_db)
    f = review.findings(s, Filters())
    s.close()
    sev = ["P0", "P2", "P1"]
    f = f.assign(severity=[sev[i % 3] for i in range(len(f))])
    path = tmp_path / "wp.xlsx"
    workpaper.write_workpaper(path, f, "描述")
    ws = openpyxl.load_workbook(path)["复核规则"]
    got = {r[0].value: r[3].value for r in ws.iter_rows(min_row=2)}
    want = dict(zip(f["code"], f["severity"]))
    assert got == {c: want.get(c, rule.severity) for c, rule in review.RULES.items()}
    assert len(set(f["severity"])) == 3 and set(got.values()) & {"P0", "P1", "P2"}
