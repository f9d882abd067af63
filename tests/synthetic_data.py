"""A synthetic multi-department, two-year database (bench/generate.py through the real flat parser and
importer), with the awkward cases the sample lacks written in: blank reasons in Unicode whitespace, no
budget, over-execution, tied rates, missing actuals and targets, pending and 不适用 judgements, unnamed
indicators and repeated project names. Imported once per session (fixture `synthetic_db`)."""
from __future__ import annotations

import numpy as np
import pytest

from bench.generate import generate
from perfboard import flat
from perfboard.batch import Batch
from perfboard.db import Store
from perfboard.importer import ImportPlan, commit
from perfboard.indicators import refresh_status
from perfboard.readers import RawBook, Sheet

YEARS = (2023, 2024)


def _rows(df) -> list[list]:
    out = [list(df.columns)]
    for row in df.itertuples(index=False):
        out.append(["" if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row])
    return out


def import_frames(store: Store, frames, name: str) -> None:
    """Import generate() frames as one flat workbook would be (parse_flat + commit), without the file."""
    book = RawBook(name, "xlsx", [Sheet("项目", _rows(frames.projects)), Sheet("绩效指标", _rows(frames.indicators))])
    batch = Batch(file_name=name, content_hash=name)
    flat.parse_flat(book, batch, None)
    assert batch.report.ok, [p.text() for p in batch.report.errors[:5]]
    commit(store, ImportPlan(batches=[batch], report=batch.report))


def build(path, projects_per_year: int = 300, departments: int = 8, seed: int = 11) -> None:
    with Store(path) as store:
        import_frames(store, generate(projects_per_year, len(YEARS), departments, seed, first_year=YEARS[-1]),
                      "synthetic.xlsx")
        with store.transaction() as cur:
            ids = [r[0] for r in cur.execute("SELECT id FROM projects ORDER BY id").fetchall()]
            sel = lambda k: [i for n, i in enumerate(ids) if n % k == 0]          # noqa: E731
            cur.execute("UPDATE projects SET budget = 0, spent = 0 WHERE list_contains(?, id)", [sel(37)])
            cur.execute("UPDATE projects SET spent = budget * 1.2 WHERE list_contains(?, id)", [sel(41)])
            cur.execute("UPDATE projects SET spent = budget * 0.5 WHERE list_contains(?, id)", [sel(29)])    # ties
            cur.execute("UPDATE projects SET deviation_reason = '　 ' WHERE list_contains(?, id)", [sel(7)])
            cur.execute("UPDATE projects SET deviation_reason = e'\\t\\n' WHERE list_contains(?, id)", [sel(11)])
            cur.execute("UPDATE projects SET improvement = '  加强监控  ' WHERE list_contains(?, id)", [sel(13)])
            cur.execute("UPDATE projects SET reported_rate = 0.5 WHERE list_contains(?, id)", [sel(17)])
            cur.execute("UPDATE projects SET name = '重复的项目名称' WHERE list_contains(?, id)", [sel(53)])
            cur.execute("UPDATE projects SET funding_source = NULL WHERE list_contains(?, id)", [sel(19)])
            iid = [r[0] for r in cur.execute("SELECT id FROM indicators ORDER BY id").fetchall()]
            isel = lambda k, o=0: [i for n, i in enumerate(iid) if n % k == o]   # noqa: E731
            cur.execute("UPDATE indicators SET actual_text = NULL, actual_value = NULL, actual_unit = NULL, "
                        "judgement = NULL WHERE list_contains(?, id)", [isel(23)])
            cur.execute("UPDATE indicators SET target_text = NULL, target_value = NULL, target_unit = NULL, "
                        "direction = NULL, judgement = NULL WHERE list_contains(?, id)", [isel(31)])
            cur.execute("UPDATE indicators SET judgement = NULL WHERE direction = '定性' AND list_contains(?, id)",
                        [isel(3)])
            cur.execute("UPDATE indicators SET judgement = '不适用' WHERE list_contains(?, id)", [isel(43, 5)])
            cur.execute("UPDATE indicators SET judgement = '部分达成' WHERE list_contains(?, id)", [isel(47, 7)])
            cur.execute("UPDATE indicators SET deviation_note = '\u3000' WHERE list_contains(?, id)", [isel(5, 1)])
            cur.execute("UPDATE indicators SET level3 = NULL WHERE list_contains(?, id)", [isel(59, 2)])
            refresh_status(cur, ids)


@pytest.fixture(scope="session")
def synthetic_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "synthetic.duckdb"
    build(path)
    return path


@pytest.fixture
def synthetic_store(synthetic_db):
    s = Store(synthetic_db)
    yield s
    s.close()
