"""Keyset pages of the deviations page's indicator tables (全部指标 and the others of
queries/scoped/indicator_rows.sql): page after page, following each page's cursor, gives the whole
ordered table once, with ties on every sort column; an empty filter gives an empty page."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard.deviations import (INDICATOR_KEY, indicator_cursor, indicator_page, indicator_rows,
                                  indicator_table)
from perfboard.filters import Filters
from tests.dashboard_helpers import YEAR

F = Filters(year=YEAR)


@pytest.fixture
def tied_store(sample_store):
    """The sample year with ties on every column of the key but id: every indicator at position 1, and
    four projects spending exactly half their budget (the same severity 0.5, the same deviating count)."""
    with sample_store.transaction() as cur:
        cur.execute("UPDATE indicators SET position = 1")
        ids = [r[0] for r in cur.execute("SELECT id FROM projects WHERE year = ? ORDER BY id LIMIT 4", [YEAR]).fetchall()]
        cur.execute("UPDATE projects SET budget = 100, spent = 50, reported_rate = NULL WHERE list_contains(?, id)", [ids])
    return sample_store


def walk(store, kind: str, size: int, filters: Filters = F) -> list[pd.DataFrame]:
    pages, after = [], None
    while True:
        page = indicator_rows(store, filters, kind, size, after=after)
        if not len(page):
            return pages
        pages.append(page)
        after = indicator_cursor(page)


def test_the_key_has_ties_on_every_column_but_id(tied_store):
    full = indicator_rows(tied_store, F, "all_indicators")
    assert len(full) == 62
    for col in INDICATOR_KEY[:-1]:
        assert full[col].duplicated().any(), col
    assert (full["severity"] == 0.5).sum() >= 2 * 2 and full["id"].is_unique
    # a severity tie between different projects with the same deviating count
    half = full[full["severity"] == 0.5].drop_duplicates("project_id")
    assert len(half) == 4 and half["indicator_deviations"].duplicated().any()


@pytest.mark.parametrize("size", [1, 5, 7, 62, 100])
@pytest.mark.parametrize("kind", ["all_indicators", "indicators"])
def test_pages_concatenate_to_the_ordered_table(tied_store, size, kind):
    full = indicator_rows(tied_store, F, kind)
    # the order, computed independently of the SQL: worst first, then form order, then id
    expected = full.assign(neg_s=-full["severity"], neg_n=-full["indicator_deviations"]).sort_values(
        ["neg_s", "neg_n", "project_id", "position", "id"], kind="mergesort")["id"].tolist()
    assert full["id"].tolist() == expected
    pages = walk(tied_store, kind, size)
    ids = [i for p in pages for i in p["id"].tolist()]
    assert ids == expected                                   # no gap, no repeat, same order
    assert all(len(p) == size for p in pages[:-1]) and 0 < len(pages[-1]) <= size
    # and each page is the page OFFSET would give
    for n, page in enumerate(pages):
        assert page["id"].tolist() == indicator_rows(tied_store, F, kind, size, n * size)["id"].tolist()


def test_indicator_page_is_the_display_table_and_the_next_cursor(tied_store):
    df, last = indicator_page(tied_store, F, "all_indicators", 10)
    rows = indicator_rows(tied_store, F, "all_indicators", 10)
    pd.testing.assert_frame_equal(df, indicator_table(rows))
    assert last == indicator_cursor(rows) == tuple(rows.iloc[-1][list(INDICATOR_KEY)])
    second, _ = indicator_page(tied_store, F, "all_indicators", 10, last)
    pd.testing.assert_frame_equal(second, indicator_table(indicator_rows(tied_store, F, "all_indicators", 10, 10)))


def test_an_empty_filter_gives_an_empty_page_and_no_cursor(tied_store):
    nothing = Filters(year=YEAR, search="没有这个项目")
    df, last = indicator_page(tied_store, nothing, "all_indicators", 10)
    assert df.empty and last is None and list(df.columns) == list(indicator_table(
        indicator_rows(tied_store, F, "all_indicators", 1)).columns)
    assert walk(tied_store, "all_indicators", 3, nothing) == []
    # past the last row: an empty page, not an error
    last_row = indicator_cursor(indicator_rows(tied_store, F, "all_indicators"))
    assert indicator_rows(tied_store, F, "all_indicators", 10, after=last_row).empty
