"""同比分析's prepared matching of two whole years (perfboard.matching.Prepared), stored in the database per
projects version (migrations 008, 020), so a year pair is matched once per change of its projects (the import
or the first process to ask stores it), not once per process, session or save.

What the matching reads is the two years' projects as queries/scoped/compare_projects.sql gives them, and of
them only id, year, department, code and name (matching._identity); match decisions come in afterwards
(matching.finish). The projects version (Store.projects_version) moves with every write transaction that may
change those columns (an import, a project inserted or deleted, an UPDATE of projects naming one of them or one
it cannot read, the sample loaded or removed; perfboard.db.Writes), and with no other: an edit of an
indicator, of amounts or texts, a settings save, a match decision leave it, so the stored matching is reused
after them. A derived cache: found only by the exact projects version, so a stale one is never served; the
figures built on it (amounts, indicator counts, scores) are read at the current data version every time
(perfboard.compare)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import matching
from .db import QUERIES, Store


def _key(base_year: int, year: int, threshold: float) -> dict:
    return {"base_year": int(base_year), "year": int(year), "threshold": float(threshold)}


def find(store: Store, version: int, base_year: int, year: int, threshold: float) -> int | None:
    """`version` when a matching computed at projects version `version` is stored; None when none is."""
    try:
        df = store.df("year_pair_find", {"version": int(version), **_key(base_year, year, threshold)})
    except Exception:       # a file opened read-only before migration 008/020 (no table): nothing stored
        return None
    return None if df.empty else int(df.iloc[0, 0])


def load(store: Store, version: int, base_year: int, year: int, threshold: float,
         base: pd.DataFrame, target: pd.DataFrame) -> matching.Prepared:
    """The matching stored at projects version `version` (find() said it is) as matching.prepare(base, target,
    threshold) gave it; base/target: the two years' projects as queries/scoped/compare_projects.sql gives them,
    read at that projects version."""
    rows = store.df("year_pair_parts", {"version": int(version), **_key(base_year, year, threshold)})
    part = rows["part"].to_numpy()
    frames = {}
    for n, name in enumerate(matching.PARTS, start=1):
        lo, hi = np.searchsorted(part, n, "left"), np.searchsorted(part, n, "right")
        f = rows.iloc[lo:hi]
        frames[name] = pd.DataFrame({"base_id": f["base_id"].to_numpy(dtype="int64"),
                                     "target_id": f["target_id"].to_numpy(dtype="int64"),
                                     "score": f["score"].to_numpy(dtype=float)})
    return matching.from_parts(base, target, frames, threshold)


def save_quietly(store: Store, *args) -> bool:
    """save(), but a failure to store (the database busy or read-only in another way) costs only the reuse:
    the caller has the matching in hand, and the page must not fail for a cache."""
    try:
        return save(store, *args)
    except Exception:
        return False


def save(store: Store, version: int, base_year: int, year: int, threshold: float, prep: matching.Prepared) -> bool:
    """Store prep, computed from the projects of projects version `version`, in one transaction that leaves the
    data version alone. Nothing is written (False) when the projects version moved on meanwhile (prep would be
    mislabelled), when it is stored already, or on a read-only store. Entries of other versions are cleared on
    the way."""
    if store.read_only:
        return False
    frames = []
    for n, name in enumerate(matching.PARTS, start=1):
        f = matching.parts(prep)[name]
        frames.append(pd.DataFrame({
            "part": np.full(len(f), n, dtype="int64"), "seq": np.arange(len(f), dtype="int64"),   # PgCursor: no int16
            "base_id": f["base_id"].to_numpy(dtype="int64"), "target_id": f["target_id"].to_numpy(dtype="int64"),
            "score": f["score"].to_numpy(dtype=float) if "score" in f else np.full(len(f), np.nan)}))
    rows = pd.concat(frames, ignore_index=True)
    for k, v in (("projects_version", int(version)), ("base_year", int(base_year)), ("year", int(year)),
                 ("threshold", float(threshold))):
        rows.insert(0, k, np.full(len(rows), v))
    entry = pd.DataFrame({"projects_version": [int(version)], "base_year": [int(base_year)], "year": [int(year)],
                          "threshold": [float(threshold)]})
    key = {"version": int(version), **_key(base_year, year, threshold)}
    with store.transaction(bump_version=False) as cur:
        if int(cur.execute("SELECT version FROM projects_version").fetchall()[0][0]) != int(version):
            return False
        cur.execute(QUERIES["year_pair_clear"].sql, {"version": int(version)})
        cur.execute(QUERIES["year_pair_clear_parts"].sql)
        if cur.execute(QUERIES["year_pair_find"].sql, key).fetchall():
            return False
        for name, table, query in (("_year_pair_rows", rows, "year_pair_insert_parts"),
                                   ("_year_pair_entry", entry, "year_pair_insert")):
            cur.register(name, table)
            cur.execute(QUERIES[query].sql)
            cur.unregister(name)
    return True
