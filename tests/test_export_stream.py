"""`export --what indicators` (and the other indicator tables) at a province's scale: the row count comes
from SQL before anything is built (an .xlsx too long for a sheet is refused at once), and the CSV is
written a piece at a time, byte for byte what to_csv() writes of the whole table."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from perfboard import deviations
from perfboard.cli import main
from perfboard.deviations import indicator_chunks, table
from perfboard.export import tables
from perfboard.export.catalog import TABLES, build_table, count_rows, table_names
from perfboard.export.tables import _csv_cell, _csv_column, csv_chunks, to_csv
from perfboard.filters import Filters
from perfboard.indicators import refresh_status
from perfboard.sample import illustrative_note

CHUNKED = {"indicators": "all_indicators", "indicator-deviations": "indicators", "pending": "pending"}
HOSTILE = ["=HYPERLINK(\"http://x\",\"点击\")", "+1+2", "-3", "@SUM(A1)", "\t制表符开头", "\r回车开头",
           "逗号,分号;引号\"", "两行\r\n文字", "控制\x01字符\x7f", "  ", "", None, "１００%"]


@pytest.fixture
def hostile_store(sample_store):
    """The sample with formula-like, multi-line, quoted and control-character texts in the indicator
    columns the table shows (levels, values, reasons), and a pending judgement."""
    with sample_store.transaction() as cur:
        ids = [r[0] for r in cur.execute("SELECT id FROM indicators ORDER BY id").fetchall()]
        for n, i in enumerate(ids[:40]):
            text = HOSTILE[n % len(HOSTILE)]
            col = ("level3", "target_text", "actual_text", "deviation_note", "level2")[n % 5]
            cur.execute(f"UPDATE indicators SET {col} = ? WHERE id = ?", [text, i])
        cur.execute("UPDATE indicators SET judgement = NULL, target_text = '合规' WHERE id = ?", [ids[41]])
        refresh_status(cur, [r[0] for r in cur.execute("SELECT id FROM projects").fetchall()])
    return sample_store


def whole(store, filters, key):
    """What the export wrote before it streamed: to_csv() of the whole table."""
    return to_csv(table(store, filters, key), None, None, illustrative_note(store, filters))


@pytest.mark.parametrize("filters", [Filters(year=2024), Filters(year=2023), Filters(),
                                     Filters(year=2024, search="没有这个项目")],
                         ids=["2024", "2023-invented", "all-years", "nothing"])
@pytest.mark.parametrize("what", sorted(CHUNKED))
def test_streamed_csv_is_byte_identical_to_the_whole_table(hostile_store, sample_db_path, tmp_path, what, filters):
    key = CHUNKED[what]
    expected = whole(hostile_store, filters, key)
    for size in (1, 7, 100_000):          # pieces of one row, several, all in one
        got = b"".join(csv_chunks(indicator_chunks(hostile_store, filters, key, size), None,
                                  illustrative_note(hostile_store, filters)))
        assert got == expected, size
    hostile_store.close()
    if filters.year is None:              # the command always has a year (the latest by default)
        return
    out = tmp_path / f"{what}.csv"
    args = ["export", "--db", str(sample_db_path), "--what", what, "--format", "csv", "--out", str(out)]
    args += ["--year", str(filters.year)] if filters.year else []
    args += ["--search", filters.search] if filters.search else []
    assert main(args) == 0
    assert out.read_bytes() == expected and not (tmp_path / f"{what}.csv.part").exists()


def test_the_sample_streams_what_it_wrote_before(sample_store, sample_db_path, tmp_path):
    """The real sample's invented year (示例（虚构） in 数据说明 on every row): BOM, header, the rows."""
    expected = whole(sample_store, Filters(year=2023), "all_indicators")
    sample_store.close()
    out = tmp_path / "i.csv"
    assert main(["export", "--db", str(sample_db_path), "--year", "2023", "--what", "indicators", "--format", "csv",
                 "--out", str(out)]) == 0
    data = out.read_bytes()
    assert data == expected and data.startswith(b"\xef\xbb\xbf\xe6\x95\xb0\xe6\x8d\xae\xe8\xaf\xb4\xe6\x98\x8e,")  # BOM 数据说明
    assert data.count(b"\xef\xbb\xbf") == 1 and "示例（虚构）".encode() in data


def test_column_formatting_once_per_value_is_cell_by_cell():
    values = ["=1", "a", "=1", None, math.nan, "b\x01", "a", "", "  x", "+", "@a", "-"]
    assert _csv_column(pd.Series(values, dtype=object), "text") == [_csv_cell(v, "text") for v in values]
    mixed = [1, True, 1.0, "1", None, 2.5, False, "=x"]          # 1 == True == 1.0: cell by cell
    assert _csv_column(pd.Series(mixed, dtype=object), "text") == [_csv_cell(v, "text") for v in mixed]
    assert _csv_column(pd.Series([0.5, None, 1.25]), "rate") == ["50.00%", "", "125.00%"]
    assert _csv_column(pd.Series([], dtype=object), "text") == []


@pytest.mark.parametrize("filters", [Filters(year=2024), Filters(), Filters(year=2023, lights=("红",))],
                         ids=["2024", "all", "2023-red"])
def test_counts_in_sql_are_the_rows_built(sample_store, filters):
    for what in table_names():
        n = count_rows(sample_store, filters, what)
        if n is not None:
            assert n == len(build_table(sample_store, filters, what)[1]), what
    assert {w for w, t in TABLES.items() if t.count is None} == {"by-department", "by-funding-source"}


def test_too_long_for_a_sheet_is_refused_before_anything_is_built(sample_db_path, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tables, "MAX_XLSX_ROWS", 61)          # the sample's 62 indicators of 2024 stand in for 1,048,576

    def never(*args, **kwargs):
        raise AssertionError("the table was built")
    monkeypatch.setattr(deviations, "table", never)
    monkeypatch.setattr(deviations, "indicator_rows", never)
    out = tmp_path / "indicators.xlsx"
    code = main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", "indicators", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and not out.exists() and "Traceback" not in err
    assert "“全部绩效指标”共 62 行" in err and "超过 Excel 工作表的行数上限" in err
    assert "--format csv" in err and "缩小筛选范围" in err
    # exactly at the limit it is written
    monkeypatch.undo()
    monkeypatch.setattr(tables, "MAX_XLSX_ROWS", 62)
    assert main(["export", "--db", str(sample_db_path), "--year", "2024", "--what", "indicators", "--out", str(out)]) == 0
    assert out.exists()
