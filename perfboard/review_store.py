"""自评复核's findings of a whole year kept in the database (migration 015, tables review_findings and
review_findings_runs), so that the app's sessions and processes and the CLI compute a year's findings once
per data version and settings: perfboard.review.year_findings reads them here first and stores what it
computed. Any write that changes figures or settings moves the data version, so a stored year is current
only while review_findings_runs names the current version and settings (the 自评复核 page takes a version at
least as new as the one it read when its render began: review._year_now); a decision (已核实 / 不采纳) is not
part of them (review.findings joins the decisions at read time).

Works on both stores: DuckDB directly, PostgreSQL through Store.transaction() (the rows registered and
COPYed) and read from the process's synced DuckDB copy. A store opened read-only only reads."""
from __future__ import annotations

import hashlib
from datetime import datetime

import pandas as pd

from .db import Store

COLUMNS = ["key", "code", "severity", "dimension", "year", "department", "project_id", "project", "project_code",
           "indicator_id", "indicator", "location", "message", "fact", "evidence"]   # review._RULE_COLUMNS
_INTS = ("project_id", "indicator_id")
_WRITE_ROWS = 50_000        # rows per INSERT of a stored year (bounds the registered frame on PostgreSQL)


def settings_md5(settings_key: str) -> str:
    return hashlib.md5(settings_key.encode()).hexdigest()


def load(store: Store, year: int, version: int, md5: str, columns=COLUMNS) -> pd.DataFrame | None:
    """The stored findings of `year` when they were computed at data version `version` with settings `md5`
    and are all there, with `columns` (of COLUMNS; all by default); None otherwise (or when the tables are
    missing: an older database opened read-only)."""
    columns = [c for c in COLUMNS if c in set(columns)]
    try:
        run = store.sql_df("SELECT findings FROM review_findings_runs WHERE year = ? AND data_version = ? "
                           "AND settings_md5 = ?", [int(year), int(version), md5])
        if not len(run):
            return None
        # no ORDER BY: DuckDB keeps the insertion order (one year is inserted in seq order), and sorting
        # 668,000 rows of text in DuckDB doubled the read's memory; checked, and sorted here if ever not so
        # streamed as Arrow batches: DuckDB never materialises the whole result beside the frame (2 GB for a
        # year of 836,000 findings read with .df(), ~0.5 GB as a frame)
        import pyarrow as pa
        cur = store.cursor()
        reader = cur.sql(f"SELECT seq, {', '.join(columns)} FROM review_findings WHERE year = ?",
                         params=[int(year)]).to_arrow_reader(100_000)
        f = pa.Table.from_batches(list(reader), schema=reader.schema).to_pandas(
            types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        del reader, cur
    except Exception:        # noqa: BLE001 - no table (read-only, not migrated): compute instead
        return None
    if len(f) != int(run.iloc[0, 0]):
        return None
    if not f["seq"].is_monotonic_increasing:
        f = f.sort_values("seq", kind="stable")
    f = f.drop(columns="seq").reset_index(drop=True)
    # the dtypes run_rules gives: the text columns stay DuckDB's Arrow-backed strings (no Python objects: a
    # year at a province's scale is 668,000 findings), ids as Python ints or None, the year int64
    for c in (*_INTS, "project_code"):
        if c in f:
            f[c] = f[c].astype(object).where(f[c].notna(), None)
    if "year" in f:
        f["year"] = f["year"].astype("int64")
    return f


def save(store: Store, year: int, version: int, md5: str, f: pd.DataFrame) -> bool:
    """Store `f`, the findings of `year` computed at data version `version` with settings `md5`, replacing the
    year's older ones, in one transaction that does not move the data version; nothing when the data changed
    meanwhile (the findings are already stale) or the store is read-only. True when stored."""
    if getattr(store, "read_only", False):
        return False
    import pyarrow as pa

    def chunk(a: int) -> pa.Table:     # converted a chunk at a time: never a second copy of the whole year
        rows = f.iloc[a:a + _WRITE_ROWS][COLUMNS].copy()
        for c in _INTS:
            rows[c] = pd.to_numeric(rows[c], errors="coerce").astype("Int64")
        rows["year"] = rows["year"].astype("int64")
        for c in COLUMNS:
            if c not in _INTS and c != "year" and rows[c].dtype == object:
                rows[c] = rows[c].where(rows[c].notna(), None)
        rows.insert(0, "seq", range(a, a + len(rows)))
        # as Arrow, the text as it is: DuckDB held a year's rows given as Python strings in the transaction
        # until its commit (+1.5 GB at 836,000 findings); Arrow strings stay ~0.3 GB
        return pa.Table.from_pandas(rows, preserve_index=False)
    names = ", ".join(["seq", *COLUMNS])
    try:
        with store.transaction(bump_version=False) as cur:
            now = int(cur.execute("SELECT version FROM data_version").fetchall()[0][0])
            if now != int(version):
                return False
            cur.execute("DELETE FROM review_findings WHERE year = ?", [int(year)])
            cur.execute("DELETE FROM review_findings_runs WHERE year = ?", [int(year)])
            for a in range(0, len(f), _WRITE_ROWS):
                cur.register("review_findings_new", chunk(a))
                cur.execute(f"INSERT INTO review_findings ({names}) SELECT {names} FROM review_findings_new")
                cur.unregister("review_findings_new")
            cur.execute("INSERT INTO review_findings_runs (year, data_version, settings_md5, findings, computed_at) "
                        "VALUES (?, ?, ?, ?, ?)", [int(year), int(version), md5, len(f), datetime.now()])
    except Exception:        # noqa: BLE001 - keeping them is an optimisation: the caller has the findings
        return False
    return True


def stored_version(store: Store, year: int, md5: str) -> int | None:
    """The data version `year`'s stored findings with settings `md5` were computed at; None when none are stored
    (or the tables are missing: an older database opened read-only). save() stores a year only at the data
    version current when it commits, so the stored version of a year never goes back."""
    try:
        v = store.sql_df("SELECT max(data_version) AS v FROM review_findings_runs WHERE year = ? AND settings_md5 = ?",
                         [int(year), md5]).iloc[0, 0]
    except Exception:        # noqa: BLE001 - no table: nothing stored
        return None
    return None if pd.isna(v) else int(v)


# ---------------------------------------------------------------- the page's reads, in SQL
def _view_params(filters, codes, severities, statuses) -> dict:
    """The parameters review_stored_*.sql take besides the filters' own (review.narrow_findings' narrowing)."""
    return {"narrow": bool(filters.funding_sources or filters.lights or filters.search.strip()),
            "codes": list(codes) or None, "severities": list(severities) or None, "statuses": list(statuses) or None}


def counts(store: Store, filters, codes=(), severities=(), statuses=()) -> pd.DataFrame:
    """The stored findings of filters.year (current: the caller checked) under `filters`, `codes`, `severities`
    and `statuses` as review.findings narrows them, counted: year, department, severity, dimension, status, n
    (queries/scoped/review_stored_counts.sql)."""
    from . import scope
    g = scope.run(store, "review_stored_counts", filters, _view_params(filters, codes, severities, statuses))
    return g.astype({"year": "int64", "n": "int64"})


def rows(store: Store, filters, codes=(), severities=(), statuses=(), severity: str | None = None,
         key: str | None = None, limit: int = 200, offset: int = 0) -> pd.DataFrame:
    """`limit` rows from `offset` of the stored findings of filters.year under the same narrowing as counts(),
    of one `severity` (or the one finding `key`), in the page's order (dimension, rule, then the rules' order),
    with review.FINDING_COLUMNS: the decision's status ('open' without one), reason, who and when."""
    from . import scope
    extra = {**_view_params(filters, codes, severities, statuses), "severity": severity, "key": key,
             "limit": int(limit), "offset": int(offset)}
    f = scope.run(store, "review_stored_rows", filters, extra)
    for c in _INTS:          # as review.findings gives them: Python ints or None
        f[c] = f[c].astype(object).where(f[c].notna(), None)
    f["year"] = f["year"].astype("int64")
    for c in ("reason", "decided_by", "project", "project_code", "indicator"):
        f[c] = f[c].astype(object).where(f[c].notna(), None)
    f["decided_at"] = pd.to_datetime(f["decided_at"])
    return f
