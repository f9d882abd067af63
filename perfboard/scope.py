"""Figure queries over the filtered projects: queries/scoped/*.sql, run after the scope definitions.

The scope definitions live in queries/scope.sql: the table macros scoped_projects (queries/projects.sql's
filters, rate and traffic light, copied verbatim and tested so) and scoped_flags, and the macros
blank_text and indicator_deviation. Every figure query here reads them, so a filter, the rate, the light
and "deviation" mean one thing on the overview, the deviations page and the exports. The macros are
temporary (per cursor), so they are defined once per cursor: queries run on cursors kept in a small pool
per store (one thread at a time on each), not on a new cursor that parses the definitions again before
every query (4-5 times per page run). Values are bound parameters.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

import duckdb
import pandas as pd

from .db import QUERIES, QUERIES_DIR, Store, load_queries
from .filters import Filters

DEFINITIONS = QUERIES["scope"]
SCOPED = load_queries(QUERIES_DIR / "scoped")


def params(store: Store, filters: Filters) -> dict[str, Any]:
    """The bound filter parameters of a scoped query (the stored bands included)."""
    from .summary import bands
    return filters.params(bands(store))


POOL_SIZE = 8           # idle cursors kept per store (more threads than that just make new ones)
_pools: "weakref.WeakKeyDictionary[Store, list]" = weakref.WeakKeyDictionary()
_pool_lock = threading.Lock()


def _take(store: Store) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """(cursor with the scope definitions, whether it came from the pool)."""
    with _pool_lock:
        pool = _pools.setdefault(store, [])
        if pool:
            return pool.pop(), True
    cur = store.cursor()
    try:
        cur.execute(DEFINITIONS.sql)
    except BaseException:
        cur.close()
        raise
    return cur, False


def _give_back(store: Store, cur: duckdb.DuckDBPyConnection) -> None:
    with _pool_lock:
        pool = _pools.setdefault(store, [])
        if len(pool) < POOL_SIZE:
            pool.append(cur)
            return
    cur.close()


def run(store: Store, name: str, filters: Filters, extra: dict[str, Any] | None = None,
        tables: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run queries/scoped/<name>.sql under `filters` (plus `extra` params; `tables` registered by name)."""
    q = SCOPED[name]
    scope = {k: v for k, v in params(store, filters).items() if k in q.params}   # a query may not need them all
    bound = q.bind({**scope, **(extra or {})})
    while True:
        cur, pooled = _take(store)
        try:
            for tname, obj in (tables or {}).items():
                cur.register(tname, obj)
            out = cur.execute(q.sql, bound).df()
            for tname in tables or {}:
                cur.unregister(tname)
        except duckdb.ConnectionException:
            cur.close()
            if pooled:          # the store was closed (and its cursors with it) or reopened: a fresh cursor
                with _pool_lock:
                    _pools.pop(store, None)
                continue
            raise
        except BaseException:
            cur.close()         # a failed or interrupted query: never hand that cursor out again
            raise
        _give_back(store, cur)
        return out
