"""同比分析's finished result of a whole year pair kept in the database (migration 019): every item, every
pending candidate and both years' scores, so a process that has not computed the pair (a new server process,
another team-mode process) reads only the rows its view shows instead of matching two years, building their
items and scoring them (seconds at a province's scale). The command-line import and the app's warm-up store
the newest pair (perfboard.compare.store_result).

Keyed as 自评复核's findings (perfboard.review_store, migration 015): a result is current only while
year_pair_results names the current figures version (migration 021) and the md5 of the scoring settings; every
write that changes what the page shows (an import, an edit of a figure, a match decision, a settings save) moves
the figures version, so a stale result is never read; a save of notes only (a 偏差原因) keeps it current. Works on both stores: written through Store.transaction() (registered frames; COPY on
PostgreSQL), read from DuckDB (the process's synced copy on PostgreSQL). A store opened read-only only reads."""
from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd

from .db import QUERIES, Store
from .review_store import settings_md5

ITEMS = ["base_id", "target_id", "match", "status", "department", "funding_source", "code", "name", "base_name",
         "budget", "base_budget", "spent", "base_spent", "execution_rate", "base_execution_rate",
         "met", "indicators", "base_met", "base_indicators"]          # compare.ITEM_COLUMNS not derived on reading
CANDIDATES = ["base_id", "target_id", "via", "score", "ambiguous", "base_year", "base_department", "base_key",
              "base_name", "target_year", "target_department", "target_key", "target_name", "department"]
SCORES = ["id", "total", "grade", "estimated"]                       # of scoring.SCORE_COLUMNS: what the page shows
_WRITE_ROWS = 50_000        # rows per INSERT (bounds the registered frame, COPYed row by row on PostgreSQL)


def md5_of(scoring_cfg: dict) -> str:
    """The settings key of a result: the scoring settings as scoring.project_scores keys its cache."""
    return settings_md5(json.dumps(scoring_cfg, ensure_ascii=False))


def _key(base_year: int, year: int, threshold: float) -> dict:
    return {"base_year": int(base_year), "year": int(year), "threshold": float(threshold)}


def find(store: Store, base_year: int, year: int, threshold: float, version: int, md5: str) -> dict | None:
    """The row counts of the stored result of the pair at figures version `version` and settings `md5`; None
    when none is (or the tables are missing: an older database opened read-only)."""
    try:
        df = store.df("pair_result_find", {**_key(base_year, year, threshold), "version": int(version), "md5": md5})
    except Exception:        # noqa: BLE001 - no table (read-only, not migrated): nothing stored
        return None
    return None if df.empty else {k: int(df.iloc[0][k]) for k in ("items", "candidates", "scores")}


def _ids(ids) -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series(np.asarray(ids, dtype="int64"), dtype="int64")})


def read(store: Store, base_year: int, year: int, threshold: float, cur_ids=None, base_ids=None
         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(items, candidates, scores) of the stored result, in their stored order: every row when cur_ids is
    None, else the items and candidates of the projects cur_ids (of `year`) and base_ids (of `base_year`)
    and their scores. Only after find() said the result is current."""
    everything = cur_ids is None
    params = {**_key(base_year, year, threshold), "all": everything}
    tables = {"cur_ids": _ids([] if everything else cur_ids), "base_ids": _ids([] if everything else base_ids)}
    import pyarrow as pa
    ints = {pa.int64(): pd.Int64Dtype()}.get
    items = _ordered(store.df("pair_result_items", params, tables, arrow=True, types_mapper=ints))
    cand = _ordered(store.df("pair_result_candidates", params, tables, arrow=True))
    scores = _ordered(store.df("pair_result_scores", params, tables, arrow=True), by_year=True)
    return items, cand, scores


def _ordered(df: pd.DataFrame, by_year: bool = False) -> pd.DataFrame:
    """df in its stored order (seq, per year when by_year), without seq. The queries leave out ORDER BY (a
    scan keeps DuckDB's insertion order, which is seq's: sorting 220,000 rows of text doubled the read);
    sorted here when a join or another store's copy did not keep it."""
    seq = df["seq"].to_numpy()
    if by_year:         # each year its own seq; the years in either order (the caller splits them)
        yr = df["year"].to_numpy()
        ok = all((np.diff(seq[yr == y]) > 0).all() for y in np.unique(yr))
    else:
        ok = bool((np.diff(seq) > 0).all())
    if not ok:
        df = df.sort_values(["year", "seq"] if by_year else ["seq"], kind="stable")
    return df.drop(columns="seq").reset_index(drop=True)


def save(store: Store, version: int, md5: str, base_year: int, year: int, threshold: float,
         items: pd.DataFrame, candidates: pd.DataFrame, scores: dict[int, pd.DataFrame]) -> bool:
    """Store the pair's result computed at figures version `version` with settings `md5` (items: compare.YearPair's,
    candidates: its pending ones, scores: scoring.project_scores of each year), replacing the pair's older one
    and every result of another version, in one transaction that leaves the data version alone. Nothing is
    written (False) when the data moved on meanwhile (the result is stale already), when it is stored already,
    or on a read-only store."""
    if getattr(store, "read_only", False):
        return False
    key = _key(base_year, year, threshold)
    head = {"pair_base": key["base_year"], "pair_year": key["year"], "threshold": key["threshold"]}

    def rows(frame: pd.DataFrame, cols: list[str], a: int, extra: dict | None = None) -> pd.DataFrame:
        part = frame.iloc[a:a + _WRITE_ROWS]
        out = pd.DataFrame({k: np.full(len(part), v) for k, v in {**head, **(extra or {})}.items()})
        out["seq"] = np.arange(a, a + len(part), dtype="int64")
        for c in cols:
            v = part[c]
            if c in ("base_id", "target_id", "id"):
                v = pd.to_numeric(v, errors="coerce").astype("Int64")
            elif v.dtype == object or isinstance(v.dtype, pd.StringDtype):
                v = v.astype(object).where(v.notna(), None)
            out[c] = v.to_numpy() if not isinstance(v.dtype, pd.Int64Dtype) else v.array
        return out

    chunks = [("items", items, ITEMS, None), ("candidates", candidates, CANDIDATES, None)]
    chunks += [("scores", scores[y], SCORES, {"year": int(y)}) for y in (key["base_year"], key["year"])]
    with store.transaction(bump_version=False) as cur:
        if int(cur.execute("SELECT version FROM figures_version").fetchall()[0][0]) != int(version):
            return False
        found = cur.execute(QUERIES["pair_result_find"].sql, {**key, "version": int(version), "md5": md5}).fetchall()
        if found:
            return False
        cur.execute(QUERIES["pair_result_clear"].sql, {**key, "version": int(version)})
        for t in ("items", "candidates", "scores"):
            cur.execute(QUERIES[f"pair_result_clear_{t}"].sql)
        for t, frame, cols, extra in chunks:
            for a in range(0, len(frame), _WRITE_ROWS):
                cur.register(f"_pair_result_{t}", rows(frame, cols, a, extra))
                cur.execute(QUERIES[f"pair_result_insert_{t}"].sql)
                cur.unregister(f"_pair_result_{t}")
        run = pd.DataFrame({**{k: [v] for k, v in key.items()}, "figures_version": [int(version)], "settings_md5": [md5],
                            "items": [len(items)], "candidates": [len(candidates)],
                            "scores": [sum(len(scores[y]) for y in (key["base_year"], key["year"]))],
                            "computed_at": [datetime.now()]})
        cur.register("_pair_result_run", run)
        cur.execute(QUERIES["pair_result_insert"].sql)
        cur.unregister("_pair_result_run")
    return True


def save_quietly(store: Store, *args) -> bool:
    """save(), but a failure to store (the database busy, read-only in another way) costs only the reuse."""
    try:
        return save(store, *args)
    except Exception:        # noqa: BLE001 - keeping it is an optimisation: the caller has the result in hand
        return False
