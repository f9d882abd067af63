"""The fast paths of the table exports give what the plain ones give: `tables.cell_values` the cell-by-cell
`cell_value` list (types included), and `tables._SheetRows` (the .xlsx rows without xlsxwriter's per-cell
calls) the same file as the plain write_string / write_number / write_datetime / write_blank calls, every
part of the zip byte for byte (docProps/core.xml: the time written), on hostile text, every cell kind,
missing values, lights, totals, dates and rows longer than one 16-row block; on the sample data and a
generated 2,000-project database, every table of the export catalogue."""
from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from perfboard.export import tables
from perfboard.export.tables import Col, cell_value, cell_values, to_xlsx
from perfboard.filters import Filters

NOW = datetime(2025, 3, 1, 9, 30)
HOSTILE = ['=HYPERLINK("http://x","a")', "+1", "-2", "@SUM(A1)", "\tcmd", "\r=1+1", "a\x00b\x07c", " lead",
           "trail ", "<b>&amp;</b>", '"quoted"', "_x0041_", "line\nbreak", "x" * 40_000, "", "中文　全角",
           "\ufffe", "<r>rich</r>", "超预算"]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def plain(monkeypatch, *args, **kw) -> bytes:
    with monkeypatch.context() as m:
        m.setattr(tables._SheetRows, "usable", classmethod(lambda cls, ws, lay: False))
        return to_xlsx(*args, **kw)


def fast(monkeypatch, *args, **kw) -> bytes:
    used = []
    real = tables._SheetRows.install

    def install(self):
        used.append(True)
        return real(self)
    with monkeypatch.context() as m:
        m.setattr(tables._SheetRows, "install", install)
        data = to_xlsx(*args, **kw)
    assert used, "the fast path was not taken"
    return data


def assert_same(monkeypatch, *args, **kw) -> None:
    a, b = members(plain(monkeypatch, *args, **kw)), members(fast(monkeypatch, *args, **kw))
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


def hostile_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    texts = [HOSTILE[i % len(HOSTILE)] if i % 3 else f"项目{i % 37}" for i in range(n)]
    money = rng.normal(1000, 500, n).round(4)
    money[::7] = np.nan
    if n > 6:
        money[5] = np.inf
        money[6] = 12345678901234567.0
    ints = pd.array([None if i % 11 == 0 else i * 3 for i in range(n)], dtype="Int64")
    mixed = [[None, 1, 2.5, "文本", True, float("nan"), -0.0, 10**20][i % 8] for i in range(n)]
    return pd.DataFrame({
        "name": texts,
        "budget": money,
        "rate": rng.uniform(0, 1.3, n),
        "light": [["红", "绿", "黄", "超预算", "无预算", None, "=1"][i % 7] for i in range(n)],
        "n": ints,
        "count": np.arange(n, dtype="int64"),
        "mixed": mixed,
        "when": [datetime(2024, 1, 1 + i % 28, i % 24, 5) if i % 4 else None for i in range(n)],
        "day": [date(2024, 2, 1 + i % 28) if i % 5 else None for i in range(n)],
        "flag": [bool(i % 2) for i in range(n)],
        "sparse": [None if i % 40 else "偶尔" for i in range(n)],
    })


SPEC = [Col("name", "项目名称"), Col("budget", "全年预算数（万元）", "wan"), Col("rate", "执行率", "rate"),
        Col("light", "状态", "light"), Col("n", "指标数", "int"), Col("count", "序号", "num"),
        Col("mixed", "混合", "wan"), Col("when", "时间", "date"), Col("day", "日期", "date"),
        Col("flag", "标记"), Col("sparse", "稀疏")]


@pytest.mark.parametrize("kind", tables.KINDS)
def test_cell_values_equal_cell_value_of_every_cell(kind):
    df = hostile_frame(300)
    df["float_ints"] = df["count"].astype(float)
    df["strings"] = df["name"].astype("string")
    df["arrow"] = df["name"].astype("string[pyarrow]")
    df["empty"] = pd.Series([None] * len(df), dtype=object)
    df["bools"] = pd.array([True, False, None] * 100, dtype="boolean")
    for col in df.columns:
        want = [cell_value(v, kind) for v in df[col].tolist()]
        got = cell_values(df[col], kind)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert type(g) is type(w), (col, g, w)
            assert g == w or (isinstance(w, float) and math.isnan(w) and math.isnan(g)), (col, g, w)


@pytest.mark.parametrize("n", [1, 12, 13, 16, 29, 300])
@pytest.mark.parametrize("totals", [False, True])
def test_xlsx_rows_are_the_plain_calls_byte_for_byte(monkeypatch, n, totals):
    df = hostile_frame(n)
    tot = {"budget": 5.5, "n": 7, "light": "红", "when": datetime(2024, 5, 6)} if totals else None
    assert_same(monkeypatch, df, "表（含<危险>&字符）", Filters(), SPEC, tot, "xlsxwriter", NOW, note="示例（虚构）")


def test_xlsx_rows_with_blank_rows_and_columns(monkeypatch):
    # rows with no value at all (no cells), a block of 16 rows with none, a column never written
    df = pd.DataFrame({"a": [None] * 40 + ["x"] * 3 + [None] * 5, "b": [None] * 48, "c": [1.0] * 3 + [None] * 45})
    spec = [Col("a", "甲"), Col("b", "乙", "wan"), Col("c", "丙", "num")]
    assert_same(monkeypatch, df, "空行", None, spec, None, "xlsxwriter", NOW)
    assert_same(monkeypatch, df, "空行", None, spec, {"c": 3.0}, "xlsxwriter", NOW)


def test_the_check_can_fail(monkeypatch):
    """The comparison sees a changed cell: the fast path with one number written differently."""
    df = hostile_frame(20)
    real = tables._SheetRows._build

    def broken(self):
        self.lay.columns[1][2] = 1.0 if self.lay.columns[1][2] != 1.0 else 2.0
        return real(self)
    a = members(plain(monkeypatch, df, "t", None, SPEC, None, "xlsxwriter", NOW))
    monkeypatch.setattr(tables._SheetRows, "_build", broken)
    b = members(fast(monkeypatch, df, "t", None, SPEC, None, "xlsxwriter", NOW))
    assert a["xl/worksheets/sheet1.xml"] != b["xl/worksheets/sheet1.xml"]


def _catalogue_same(monkeypatch, store):
    from perfboard.export.catalog import TABLES, build_table
    seen = 0
    for what in TABLES:
        t, df, totals = build_table(store, Filters(), what)
        if len(df) > tables.MAX_XLSX_ROWS or not len(df):
            continue
        assert_same(monkeypatch, df, t.title, Filters(), None, totals, "xlsxwriter", NOW)
        seen += 1
    assert seen >= 6


def test_every_catalogue_table_on_the_sample(monkeypatch, sample_store):
    _catalogue_same(monkeypatch, sample_store)


def test_every_catalogue_table_on_a_generated_database(monkeypatch, tmp_path):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import build_db
    from perfboard.db import Store
    info = build_db.ensure(2000, 2, 20, 7, quiet=True, out=tmp_path)
    store = Store(info["path"])
    try:
        _catalogue_same(monkeypatch, store)
    finally:
        store.close()


def _generated_store(tmp_path):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import build_db
    from perfboard.db import Store
    return Store(build_db.ensure(2000, 2, 20, 7, quiet=True, out=tmp_path)["path"])


def _attention_and_names_same(store):
    from perfboard import scope
    from perfboard.deviations import STATUS_ZH, deviating_names
    from perfboard.export.catalog import attention_table, build_table
    from perfboard.overview import overview
    f = Filters()
    _, df, _ = build_table(store, f, "attention")
    want = attention_table(overview(store, f, attention_limit=None)["attention"])
    pd.testing.assert_frame_equal(df, want)
    assert len(df) > 0
    projects = store.sql_df("SELECT id FROM projects")["id"].tolist()
    ind = scope.run(store, "deviating_names", f, tables={"project_ids": pd.DataFrame({"id": pd.Series(projects, dtype="int64")})})
    labels = ind["level3"].fillna("（未命名指标）") + "（" + ind["status"].map(STATUS_ZH) + "）"
    old = labels.groupby(ind["project_id"], sort=False).agg("；".join).to_dict()     # the former grouping
    new = deviating_names(store, f, projects)
    assert new == old and list(new) == list(old) and len(new) > 0


def test_attention_export_and_deviating_names_on_the_sample(sample_store):
    _attention_and_names_same(sample_store)


def test_attention_export_and_deviating_names_on_a_generated_database(tmp_path):
    store = _generated_store(tmp_path)
    try:
        _attention_and_names_same(store)
    finally:
        store.close()
