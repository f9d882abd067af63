"""How one indicator is judged (met / unmet / missing / ...) and the stored `indicators.status` kept equal
to it. Pure judgement over plain rows and a cursor: it imports no store, so perfboard.db can fill the
column after a migration without importing the upper modules (perfboard.indicators re-exports these)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .targets import DIRECTIONS, Parsed, judge, parse_value, units_compatible

STATUS_ZH = {"met": "达成", "unmet": "未达成", "missing": "缺实际值", "no_target": "无目标值",
             "pending": "待判定", "na": "不适用"}


def _parsed(text, value, unit, direction=None) -> Parsed:
    if value is None or pd.isna(value):
        return parse_value(text)
    return Parsed(text=text if isinstance(text, str) else "", direction=direction, value=float(value),
                  unit=unit if isinstance(unit, str) else "")


def parsed_values(row) -> tuple[Parsed, Parsed]:
    """(target, actual) of one indicator row as judged here; scoring reads the numbers from these."""
    direction = row["direction"] if isinstance(row["direction"], str) else None
    target = _parsed(row["target_text"], row["target_value"], row["target_unit"], direction)
    actual = _parsed(row["actual_text"], row["actual_value"], row["actual_unit"])
    return target, actual


def status_of(row) -> str:
    """Judge one indicator row (a mapping with the indicators table's columns)."""
    target, actual = parsed_values(row)
    judgement = row["judgement"] if isinstance(row["judgement"], str) else None
    return judge(target, actual, judgement)


# The columns a status depends on (everything status_of reads).
STATUS_INPUTS = ["direction", "target_value", "target_unit", "actual_value", "actual_unit", "target_text",
                 "actual_text", "judgement"]
_COMPARE = {"≥": np.greater_equal, ">": np.greater, "≤": np.less_equal, "<": np.less}


def _key(v):
    """A hashable, NaN-free form of a cell for memoising status_of over repeated rows."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    return v


def compute_status(df: pd.DataFrame) -> pd.Series:
    """status_of for every row of `df` (needs STATUS_INPUTS), vectorised: equal to
    `[status_of(r) for r in df.to_dict("records")]`, tested so.

    The common row (no person's judgement, numeric target and actual, a comparable direction) is judged
    with numpy; every other row (judgements, qualitative or empty values, odd directions) goes through
    status_of itself, once per distinct combination of inputs."""
    n = len(df)
    if n == 0:
        return pd.Series([], index=df.index, dtype=object)
    t = pd.to_numeric(df["target_value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    a = pd.to_numeric(df["actual_value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    raw = df["direction"].to_numpy(dtype=object)
    eff = np.array([d if isinstance(d, str) else "≥" for d in raw], dtype=object)   # a plain number is read as ≥
    fast = (df["judgement"].isna().to_numpy() & np.isfinite(t) & np.isfinite(a)
            & np.isin(eff, list(DIRECTIONS)))
    out = np.empty(n, dtype=object)
    if fast.any():
        tf, af, ef = t[fast], a[fast], eff[fast]
        ok = np.zeros(len(tf), dtype=bool)
        for op, fn in _COMPARE.items():
            m = ef == op
            ok[m] = fn(af[m], tf[m])
        m = ef == "="
        ok[m] = np.abs(af[m] - tf[m]) <= 1e-9 * np.maximum(1.0, np.abs(tf[m]))
        res = np.where(ok, "met", "unmet").astype(object)
        # units: judged once per distinct (target unit, actual unit) pair
        c1, u1 = pd.factorize(df["target_unit"].where(df["target_unit"].notna(), "").to_numpy(dtype=object)[fast])
        c2, u2 = pd.factorize(df["actual_unit"].where(df["actual_unit"].notna(), "").to_numpy(dtype=object)[fast])
        pair, inverse = np.unique(c1.astype(np.int64) * len(u2) + c2, return_inverse=True)
        compatible = np.array([units_compatible(u1[p // len(u2)], u2[p % len(u2)]) for p in pair], dtype=bool)
        res[~compatible[inverse.reshape(-1)]] = "pending"
        out[fast] = res
    slow = np.flatnonzero(~fast)
    if len(slow):
        # judged once per distinct combination of inputs (qualitative rows and judgements repeat a lot)
        part = df.iloc[slow][STATUS_INPUTS]
        group = part.groupby(STATUS_INPUTS, dropna=False, sort=False).ngroup().to_numpy()
        first = np.unique(group, return_index=True)[1]
        records = part.iloc[first].to_dict("records")
        judged = np.array([status_of(r) for r in records], dtype=object)
        out[slow] = judged[group]
    return pd.Series(out, index=df.index, dtype=object)


_STATUS_SQL = "SELECT id, status AS stored_status, " + ", ".join(STATUS_INPUTS) + " FROM indicators WHERE "


def refresh_status(cur, project_ids=None, chunk: int = 1_000_000) -> int:
    """Recompute the stored status of the indicators of `project_ids` (None: every row whose status is
    NULL, e.g. after migration 005), inside the caller's transaction, writing only the rows whose status
    changes: a save that changes no status input (e.g. only a 偏差原因) runs no UPDATE of status, so the
    transaction stays notes-only (db.Writes.figures) and the figures version stays. Returns the rows written."""
    if project_ids is not None:
        ids = sorted({int(p) for p in project_ids})
        if not ids:
            return 0
        frames = [cur.execute(_STATUS_SQL + "list_contains(?, project_id)", [ids]).df()]
    else:
        frames = []
        lo = cur.execute("SELECT min(id), max(id) FROM indicators WHERE status IS NULL").fetchall()[0]
        if lo[0] is None:
            return 0
        for start in range(int(lo[0]), int(lo[1]) + 1, chunk):
            frames.append(cur.execute(_STATUS_SQL + "status IS NULL AND id >= ? AND id < ?",
                                      [start, start + chunk]).df())
    written = 0
    for df in frames:
        if not len(df):
            continue
        status = compute_status(df).to_numpy(dtype=object)
        stored = df["stored_status"].to_numpy(dtype=object)
        changed = np.array([not isinstance(s, str) or s != n for s, n in zip(stored, status)], dtype=bool)
        if not changed.any():
            continue
        update = pd.DataFrame({"id": df["id"].to_numpy()[changed], "status": status[changed]})
        cur.register("_status_update", update)
        try:
            cur.execute("UPDATE indicators SET status = u.status FROM _status_update u WHERE indicators.id = u.id")
        finally:
            cur.unregister("_status_update")
        written += len(update)
    return written


def with_status(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with `status` (the stored one when every row has it, else computed) and `status_zh`."""
    df = df.copy()
    if "status" not in df.columns or df["status"].isna().any():
        df["status"] = compute_status(df) if len(df) else pd.Series(dtype=object)
    df["status_zh"] = df["status"].map(STATUS_ZH)
    return df
