"""自评复核's page reads the year's stored findings in SQL (review.PageView over review_store.counts / rows)
instead of the year's findings in pandas: its figures, units, 维度 counts, rows page by page and the finding
picked are those of the old page (review.findings narrowed in pandas), on the sample and on the synthetic set,
under departments, lights, a search, a funding source, rules, severities and review statuses (decisions
recorded); and a rerun under a filter reads no year into pandas."""
from __future__ import annotations

import pandas as pd
import pytest

from perfboard import review, review_store
from perfboard.filters import Filters
from tests.synthetic_data import synthetic_db, synthetic_store  # noqa: F401  (fixtures)

ROWS = 7          # a small page, so that several pages and offsets are compared


def _old_unit_counts(f: pd.DataFrame) -> pd.DataFrame:
    """review.unit_counts as it was before it took counted rows (the reference)."""
    sev_cols = list(review.SEVERITIES)
    cols = ["year", "department", *sev_cols, "open", "total"]
    if not len(f):
        return pd.DataFrame(columns=cols)
    g = pd.crosstab([f["year"], f["department"]], f["severity"]).reindex(columns=sev_cols, fill_value=0)
    op = f[f["status"] == "open"]
    open_sev = pd.crosstab([op["year"], op["department"]], op["severity"]).reindex(columns=sev_cols,
                                                                                   fill_value=0) if len(op) else None
    g["open"] = f.assign(o=f["status"] == "open").groupby(["year", "department"])["o"].sum()
    g["total"] = g[sev_cols].sum(axis=1)
    g = g.reset_index()
    if open_sev is not None:
        g = g.merge(open_sev.add_prefix("_o").reset_index(), on=["year", "department"], how="left").fillna(
            {f"_o{s}": 0 for s in sev_cols})
    else:
        for s in sev_cols:
            g[f"_o{s}"] = 0
    g = g.sort_values([f"_o{s}" for s in sev_cols] + ["total", "department"],
                      ascending=[False] * len(sev_cols) + [False, True], kind="stable")
    g.columns.name = None
    return g[cols].astype({s: "int64" for s in sev_cols} | {"open": "int64", "total": "int64"}).reset_index(drop=True)


def _plain(df: pd.DataFrame) -> list[list]:
    return [[None if v is None or v is pd.NaT or (isinstance(v, float) and v != v) else v for v in row]
            for row in df.astype(object).itertuples(index=False)]


def _old_page(store, filters, codes, severities, statuses) -> dict:
    """What pages/review.py computed from review.findings() before (pandas on the year's findings)."""
    found = review.findings(store, filters, codes, severities, statuses)
    out = {"metrics": [int((found["severity"] == s).sum()) for s in review.SEVERITIES]
           + [int((found["status"] == "open").sum()), found[["year", "department"]].drop_duplicates().shape[0]],
           "units": _plain(_old_unit_counts(found)), "tables": {}}
    for sev in review.SEVERITIES:
        part = found[found["severity"] == sev].sort_values(["dimension", "code"], kind="stable")
        if len(part):
            dims = [(d, int(n)) for d, n in part["dimension"].value_counts(sort=False).items()]
            pages = [_plain(part.iloc[a:a + ROWS][review.FINDING_COLUMNS]) for a in range(0, len(part), ROWS)]
            out["tables"][sev] = (len(part), dims, pages)
    keys = found["key"].tolist()
    out["picked"] = [_plain(found[found["key"] == k][review.FINDING_COLUMNS]) for k in keys[:: max(1, len(keys) // 5)]]
    return out, keys[:: max(1, len(keys) // 5)]


def _new_page(view: review.PageView, keys) -> dict:
    by = view.by_severity()
    out = {"metrics": [by[s] for s in review.SEVERITIES] + [view.open(), view.unit_count()],
           "units": _plain(view.units()), "tables": {}}
    for sev in review.SEVERITIES:
        if by[sev]:
            pages = [_plain(view.rows(sev, a, ROWS)[review.FINDING_COLUMNS]) for a in range(0, by[sev], ROWS)]
            out["tables"][sev] = (by[sev], view.dimensions(sev), pages)
    out["picked"] = [_plain(view.picked(k)) for k in keys]
    return out


def _departments(store, year):
    return [r[0] for r in store.cursor().execute(
        "SELECT department FROM projects WHERE year = ? GROUP BY 1 ORDER BY count(*) DESC, 1", [year]).fetchall()]


def _decide_some(store, year):
    f = review.findings(store, Filters(year=year))
    for i, status in zip(range(0, len(f), max(1, len(f) // 6)), ["verified", "rejected", "verified", "rejected"]):
        review.decide(store, f.iloc[i].to_dict(), status, "已核实" if status == "rejected" else None)


def _cases(store, year):
    depts = _departments(store, year)
    fund = store.scalar("SELECT funding_source FROM projects WHERE year = ? AND funding_source IS NOT NULL "
                        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", [year])
    return [
        (Filters(year=year), (), (), ()),
        (Filters(year=year, departments=(depts[0],)), (), (), ()),
        (Filters(year=year, departments=tuple(depts[:2])), (), ("P1", "P2"), ()),
        (Filters(year=year, lights=("红", "黄")), (), (), ()),
        (Filters(year=year, search="项目"), ("missing-actual", "unit-mismatch", "score-inflation"), (), ()),
        (Filters(year=year, funding_sources=(fund,)), (), (), ("open",)),
        (Filters(year=year, departments=tuple(depts[:3]), lights=("红", "绿")), (), (), ("verified", "rejected")),
        (Filters(year=year, departments=("没有这个单位",)), (), (), ()),
    ]


def _check(store, year):
    _decide_some(store, year)
    compared = 0
    for filters, codes, severities, statuses in _cases(store, year):
        old, keys = _old_page(store, filters, codes, severities, statuses)
        view = review.page_view(store, filters, codes, severities, statuses)
        assert view.stored                                    # the SQL path, not the frame
        assert _new_page(view, keys) == old, (filters, codes, severities, statuses)
        frame = review.PageView(store, filters, codes, severities, statuses,
                                frame=review.findings(store, filters, codes, severities, statuses))
        assert _new_page(frame, keys) == old                  # the fallback (a read-only store) likewise
        compared += sum(n for n, _, _ in old["tables"].values())
    assert compared > 0


def test_sql_view_equals_the_old_page_on_the_sample(sample_store):
    _check(sample_store, 2024)


def test_sql_view_equals_the_old_page_on_the_synthetic_set(synthetic_store):
    for year in (2023, 2024):
        _check(synthetic_store, year)


def test_a_filter_rerun_reads_no_year_into_pandas(sample_store, monkeypatch):
    s = sample_store
    review.warm(s)
    review._CACHE.clear()                       # a fresh process: only the database holds the findings
    calls = []
    monkeypatch.setattr(review, "run_rules", lambda *a, **k: calls.append("run_rules"))
    monkeypatch.setattr(review_store, "load", lambda *a, **k: calls.append("load"))
    view = review.page_view(s, Filters(year=2024, departments=("张掖市科学技术局",)))
    assert view.stored and view.total() > 0 and len(view.rows("P1")) > 0
    view = review.page_view(s, Filters(year=2023, lights=("红",)))
    assert view.stored and view.total() > 0
    assert calls == []


def test_a_read_only_store_uses_the_frame(sample_db_path):
    from perfboard.db import Store
    from tests.conftest import ON_PG
    if ON_PG:
        pytest.skip("a read-only PostgreSQL store is a different path")
    with Store(sample_db_path, read_only=True) as s:
        review._CACHE.clear()
        view = review.page_view(s, Filters(year=2024))
        assert not view.stored and view.total() == len(review.findings(s, Filters(year=2024))) > 0
