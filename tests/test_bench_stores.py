"""bench/bench_stores.py (issue 16: the two stores compared), on a tiny database: the loader leaves a database
PgStore opens with the same rows, and the page part's "after save" step sees a save made by another process
on PostgreSQL (the incremental sync) and by the page's own process on a DuckDB file. Timings are not judged."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import bench_stores  # noqa: E402
import build_db  # noqa: E402

from perfboard.db import Store  # noqa: E402


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> str:
    return build_db.ensure(300, 2, 6, 7, quiet=True, out=tmp_path_factory.mktemp("stores"))["path"]


def _counts(cur) -> tuple:
    return tuple(cur.execute("SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM indicators), "
                             "(SELECT round(sum(budget), 2) FROM projects)").fetchall()[0])


def test_a_loaded_bench_database_opens_as_a_store_with_the_same_rows(tiny_db, pg_url):
    import bench_pg_readpath
    bench_pg_readpath.load(Path(tiny_db), pg_url)
    src = duckdb.connect(tiny_db, read_only=True)
    want = _counts(src)
    src.close()
    s = Store(pg_url)               # the migrations are recorded as applied: not run again on the loaded tables
    try:
        assert _counts(s.cursor()) == want
        assert s.scalar("SELECT count(*) FROM schema_migrations") == len(__import__("perfboard.db").db.migrations())
    finally:
        s.close()


def test_the_rerun_after_a_save_by_the_page_process_on_a_duckdb_file(tiny_db, tmp_path):
    copy = tmp_path / "pages.duckdb"
    shutil.copyfile(tiny_db, copy)
    _rerun_after_save("duckdb", str(copy), None, copy, tiny_db, tmp_path)


def test_the_rerun_after_a_save_by_another_process_on_postgresql_syncs_it(tiny_db, tmp_path, pg_url):
    import bench_pg_readpath
    copy = tmp_path / "pages.duckdb"
    shutil.copyfile(tiny_db, copy)
    bench_pg_readpath.load(copy, pg_url)
    _rerun_after_save("postgres", pg_url, pg_url.rsplit("/", 1)[1], copy, tiny_db, tmp_path)


def _rerun_after_save(store: str, target: str, name: str | None, copy: Path, tiny_db: str, tmp_path: Path) -> None:
    import bench_pages
    years, depts = bench_pages._choices(str(copy))
    spec = {"pages": ["overview"], "year": years[0], "base_year": years[1], "department": depts[0],
            "more_departments": [], "more_years": [], "timeout": 120, "source": tiny_db, "store": store,
            "target": target, "pg_name": name, "out": str(tmp_path / "child.json")}
    res = bench_stores.run_page_child(spec, limit=600)
    assert "error" not in res, res.get("error")
    page = res["pages"]["overview"]
    assert "error" not in page, page["error"]
    assert list(page["steps"]) == ["cold", "filter", "year", "rerun", "after save"]
    saved = page["save"]
    assert saved["save_id"] and saved["by"] == ("another process" if store == "postgres" else
                                                "this process (no other can write the file)")
    after = page["steps"]["after save"]
    if store == "postgres":
        assert after["sync_calls"] >= 1 and res["open"]["sync_calls"] >= 1
    else:
        assert "sync_calls" not in after
    s = Store(target)
    try:
        text = s.scalar("SELECT improvement FROM projects WHERE id = ?", [saved["project_id"]])
        year = s.scalar("SELECT year FROM projects WHERE id = ?", [saved["project_id"]])
    finally:
        s.close()
    assert text.startswith("存储对比基准") and year == years[1]      # the year the page showed after the year step
    assert "(empty page)" in res["pages"] and res["open"]["seconds"] >= 0
