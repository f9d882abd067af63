"""同比分析's warm-up stores every adjacent year pair (issue 19): after compare.warm each pair's finished result is
stored and current, a fresh process moved to an older pair reads it (no matching computed) and sees what a
process computing the pair sees; the older pairs are computed outside this process's caches (the newest pair
stays the only one kept) and a current result is never stored twice."""
from __future__ import annotations

import numpy as np
import pytest

from perfboard import compare as cmp
from perfboard import matching, pair_results, scoring
from perfboard.filters import Filters
from perfboard.importer import import_paths
from perfboard.scoring import scoring_settings
from tests.scale_fixtures import generate, write_workbook
from tests.test_pair_results import computed, same_view, stored

TH = matching.DEFAULT_THRESHOLD
YEARS = (2022, 2023, 2024)


@pytest.fixture
def three_years(any_store, tmp_path):
    """Three years of generated projects (40 a year, 4 departments) imported into an empty store of either kind."""
    book = write_workbook(generate(40, 3, 4, 5, first_year=2024), tmp_path / "three.xlsx")
    plan = import_paths(any_store, [book])
    assert plan.ok, plan.report.to_frame()
    years = [int(r[0]) for r in any_store.cursor().execute("SELECT DISTINCT year FROM projects ORDER BY 1").fetchall()]
    assert tuple(years) == YEARS
    cmp.clear_cache()
    yield any_store
    cmp.clear_cache()


def current(store, base_year, year):
    md5 = pair_results.md5_of(scoring_settings(store))
    return pair_results.find(store, base_year, year, TH, store.figures_version(), md5)


def test_warm_stores_every_adjacent_pair_keeping_only_the_newest(three_years, monkeypatch):
    s = three_years
    assert current(s, 2022, 2023) is None and current(s, 2023, 2024) is None
    assert cmp.warm(s) == (2023, 2024)
    for b, y in ((2022, 2023), (2023, 2024)):
        run = current(s, b, y)
        assert run is not None and run["items"] > 0 and run["scores"] > 0, (b, y)
    # in this process's caches only the newest pair (its matching, pair, prepared frames) and its years' scores
    kept = list(cmp._CACHE.get(s, {}))
    assert kept and all(k[3:5] == (2023, 2024) for k in kept), kept
    assert {k[0] for k in kept} >= {"pair", "match"}
    ids = set(scoring._CACHE[s][1]["id"].tolist())
    rows = s.cursor().execute("SELECT id, year FROM projects").fetchall()
    by_year = {y: {int(i) for i, yr in rows if int(yr) == y} for y in YEARS}
    assert ids == by_year[2023] | by_year[2024]

    # a fresh process moved to the older pair reads its stored result: what computing the pair shows
    for f in (Filters(year=2023), Filters(year=2023, lights=("绿",))):
        same_view(computed(s, f, 2022, 2023, monkeypatch=monkeypatch), stored(s, f, 2022, 2023, monkeypatch=monkeypatch),
                  s, f)


def test_warm_does_not_store_a_current_pair_again_and_redoes_stale_ones(three_years, monkeypatch):
    s = three_years
    assert cmp.warm(s, load=False) == (2023, 2024)
    saved = []
    real = pair_results.save_quietly
    monkeypatch.setattr(pair_results, "save_quietly", lambda store, *a: saved.append(a[2:4]) or real(store, *a))
    cmp.clear_cache()
    assert cmp.warm(s) == (2023, 2024)
    assert saved == []                                  # both current: nothing computed or stored
    # an edit of a figure makes every pair stale: each stored again, the newest first, once
    with s.transaction() as cur:
        cur.execute("UPDATE projects SET spent = spent + 1 WHERE id = (SELECT min(id) FROM projects WHERE year = 2022)")
    assert current(s, 2022, 2023) is None
    assert cmp.warm(s, load=False) == (2023, 2024)
    assert saved == [(2023, 2024), (2022, 2023)]
    assert current(s, 2022, 2023) is not None and current(s, 2023, 2024) is not None
    assert cmp.warm(s, load=False) == (2023, 2024) and len(saved) == 2


def test_warm_newest_only(three_years):
    s = three_years
    assert cmp.warm(s, load=False, older=False) == (2023, 2024)      # as the command-line import does
    assert current(s, 2023, 2024) is not None and current(s, 2022, 2023) is None
    assert not cmp._CACHE.get(s) and s not in scoring._CACHE          # load=False: only stored, nothing kept


def test_an_older_pair_computed_by_warm_equals_the_one_a_page_computes(three_years):
    """keep=False computes the same result as the cached path (a regression guard for the uncached route)."""
    s = three_years
    assert cmp.store_result(s, 2022, 2023, TH, keep=False)
    assert not cmp._CACHE.get(s) and s not in scoring._CACHE
    items, cand, scores = pair_results.read(s, 2022, 2023, TH)
    yp = cmp.year_pair(s, 2022, 2023, TH)
    assert len(items) == len(yp.items) and len(cand) == len(yp.candidates)
    assert np.array_equal(items["target_id"].to_numpy(dtype=float), yp.items["target_id"].to_numpy(dtype=float),
                          equal_nan=True)
    assert np.array_equal(items["base_id"].to_numpy(dtype=float), yp.items["base_id"].to_numpy(dtype=float),
                          equal_nan=True)
