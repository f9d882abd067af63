"""Figure queries over the filtered projects: queries/scoped/*.sql, run after the scope definitions.

The scope definitions live in queries/scope.sql: the table macros scoped_projects (queries/projects.sql's
filters, rate and traffic light, copied verbatim and tested so) and scoped_flags, and the macros
blank_text and indicator_deviation. Every figure query here reads them, so a filter, the rate, the light
and "deviation" mean one thing on the overview, the deviations page and the exports. The macros are
temporary (per cursor): Store.defined_df runs the queries on cursors that already hold them (a small pool
per store in perfboard.db, the only module that opens connections). Values are bound parameters.
"""
from __future__ import annotations

from typing import Any, Iterator

import pandas as pd

from .db import QUERIES, QUERIES_DIR, Store, load_queries
from .filters import DEFAULT_BANDS, Filters

DEFINITIONS = QUERIES["scope"]
SCOPED = load_queries(QUERIES_DIR / "scoped")
# scoped queries that also read definitions of their own (a file under queries/, run after scope.sql): kept out
# of scope.sql where they name tables a store may lack (DuckDB binds a macro's tables when it is defined)
MORE = {"review_stored_counts": "review_scope", "review_stored_rows": "review_scope"}


def definitions(name: str) -> str:
    """The definitions queries/scoped/<name>.sql runs after: scope.sql, then its own (MORE)."""
    return DEFINITIONS.sql + ("\n" + QUERIES[MORE[name]].sql if name in MORE else "")


def bands(store: Store) -> dict:
    """The traffic-light bands set on 设置 (the defaults until then)."""
    return store.get_setting("rate_bands", DEFAULT_BANDS)


def params(store: Store, filters: Filters) -> dict[str, Any]:
    """The bound filter parameters of a scoped query (the stored bands included)."""
    return filters.params(bands(store))


def run(store: Store, name: str, filters: Filters, extra: dict[str, Any] | None = None,
        tables: dict[str, Any] | None = None, arrow: bool = False) -> pd.DataFrame:
    """Run queries/scoped/<name>.sql under `filters` (plus `extra` params; `tables` registered by name),
    after the scope definitions and the query's own (MORE)."""
    q = SCOPED[name]
    scope = {k: v for k, v in params(store, filters).items() if k in q.params}   # a query may not need them all
    bound = q.bind({**scope, **(extra or {})})
    return store.defined_df(definitions(name), q.sql, bound, tables, arrow)   # arrow: see Store.defined_df


def stream(store: Store, name: str, filters: Filters, extra: dict[str, Any] | None = None,
           rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """run() a piece of at most `rows` rows at a time, fetched as DuckDB produces them: one query, one
    sort, and an export of millions of rows never holds them all in pandas. The first piece comes even
    when the result is empty (it carries the columns). The cursor is the caller's own until the last piece."""
    q = SCOPED[name]
    scope = {k: v for k, v in params(store, filters).items() if k in q.params}
    bound = q.bind({**scope, **(extra or {})})
    cur = store.cursor()
    try:
        cur.execute(definitions(name))
        cur.execute(q.sql, bound)
        first, vectors = True, max(1, rows // 2048)          # DuckDB hands out vectors of 2,048 rows
        while True:
            df = cur.fetch_df_chunk(vectors)
            if not len(df):
                if first:
                    yield df
                return
            first = False
            for start in range(0, len(df), rows):
                yield df.iloc[start:start + rows].reset_index(drop=True)
    finally:
        cur.close()
