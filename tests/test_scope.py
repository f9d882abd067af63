"""queries/scope.sql: the one definition behind the overview's and deviations page's SQL is
queries/projects.sql's filter and traffic light, and deviation means what perfboard.deviations says."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from perfboard import scope
from perfboard.db import QUERIES
from perfboard.deviations import BUDGET_DEVIATION_LIGHTS, INDICATOR_DEVIATION_STATUS, blank
from perfboard.filters import Filters
from perfboard.summary import projects
from tests.synthetic_data import synthetic_db, synthetic_store  # noqa: F401  (fixtures)


def _ctes(sql: str) -> str:
    return sql[sql.index("WITH p AS ("):sql.index("    FROM p\n)") + len("    FROM p\n)")]


def test_filter_and_light_are_projects_sql_verbatim():
    assert _ctes(QUERIES["scope"].sql) == re.sub(r"\$(\w+)", r"f_\1", _ctes(QUERIES["projects"].sql))
    lights = "(" + ", ".join(f"'{x}'" for x in BUDGET_DEVIATION_LIGHTS) + ")"
    assert QUERIES["scope"].sql.count(f"lit.light IN {lights}") == 2
    status = "(" + ", ".join(f"'{x}'" for x in INDICATOR_DEVIATION_STATUS) + ")"
    assert f"indicator_deviation(s) AS s IN {status};" in QUERIES["scope"].sql


@pytest.mark.parametrize("f", [Filters(year=2024), Filters(), Filters(year=2023, lights=("红", "无预算", "超预算")),
                               Filters(year=2024, funding_sources=("未填写", "其他资金"), search="科技")], ids=str)
def test_scoped_projects_are_the_project_list(synthetic_store, f):
    want = projects(synthetic_store, f)
    cur = synthetic_store.cursor()
    cur.execute(scope.DEFINITIONS.sql)
    got = cur.execute("SELECT id, light, rate_mismatch, execution_rate, budget_deviation, severity FROM scoped_projects("
                      "$year, $departments, $funding_sources, $search, $lights, $green, $yellow) ORDER BY id",
                      scope.params(synthetic_store, f)).df()
    want = want.sort_values("id").reset_index(drop=True)
    assert len(want) > 0
    pd.testing.assert_series_equal(got["id"], want["id"], check_dtype=False)
    assert got["light"].tolist() == want["light"].tolist()
    assert got["rate_mismatch"].tolist() == want["rate_mismatch"].tolist()
    pd.testing.assert_series_equal(got["execution_rate"], want["execution_rate"], check_dtype=False)
    assert got["budget_deviation"].tolist() == want["light"].isin(BUDGET_DEVIATION_LIGHTS).tolist()
    assert got["severity"].tolist() == [abs(1.0 - r) if b else 0.0 for r, b in
                                        zip(want["execution_rate"], got["budget_deviation"])]


@pytest.mark.parametrize("text", [None, "", " ", "　", "\t\n", "\u00a0\u3000", "\x1c", "原因", " 原因 ", "　原因"])
def test_blank_text_is_deviations_blank(store, text):
    cur = store.cursor()
    cur.execute(scope.DEFINITIONS.sql)
    assert cur.execute("SELECT blank_text(?::VARCHAR)", [text]).fetchall()[0][0] == blank(text)


def test_every_scoped_query_runs_with_empty_filters(store):
    for name, q in scope.SCOPED.items():
        extra = {p: None for p in q.params if p not in Filters().params()}
        tables = {"project_ids": pd.DataFrame({"id": pd.Series([], dtype="int64")})}
        extra |= {"kind": "all_indicators" if name == "indicator_rows" else "budget"} if "kind" in q.params else {}
        extra |= {"offset": 0} if "offset" in q.params else {}
        extra |= {"top": 20} if "top" in q.params else {}
        assert isinstance(scope.run(store, name, Filters(), extra, tables), pd.DataFrame), name


def test_scope_definitions_run_once_per_pooled_cursor(synthetic_store, monkeypatch):
    """Queries reuse a pooled cursor that already has the macros: the definitions are not executed
    again per query, a registered table does not outlive its query, and the figures stay the same."""
    f = Filters(year=2024)
    first = scope.run(synthetic_store, "figures", f, {"attention": 0})
    pooled = list(synthetic_store._pools[scope.DEFINITIONS.sql])
    assert len(pooled) == 1
    executed = []
    real_cursor = synthetic_store.cursor

    class Recording:            # every new cursor from now on records what it runs
        def __init__(self):
            self.cur = real_cursor()

        def execute(self, sql, *args):
            executed.append(sql)
            return self.cur.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self.cur, name)

    monkeypatch.setattr(synthetic_store, "cursor", Recording)
    again = scope.run(synthetic_store, "figures", f, {"attention": 0})
    pd.testing.assert_frame_equal(first, again)
    assert scope.DEFINITIONS.sql not in executed and executed      # the settings read ran, the definitions did not
    assert synthetic_store._pools[scope.DEFINITIONS.sql] == pooled
    ids = pd.DataFrame({"id": pd.Series([1], dtype="int64")})
    scope.run(synthetic_store, "deviating_names", f, tables={"project_ids": ids})
    with pytest.raises(Exception, match="project_ids"):
        pooled[0].execute("SELECT * FROM project_ids").fetchall()


def test_scope_pool_after_the_store_closed(tmp_path):
    from perfboard.db import Store
    s = Store(tmp_path / "a.duckdb")
    assert scope.run(s, "figures", Filters(), {"attention": 0})["projects"].iloc[0] == 0
    s.close()
    with pytest.raises(Exception):      # a closed store still fails as before, it does not loop or hang
        scope.run(s, "figures", Filters(), {"attention": 0})
