"""Year-over-year comparison (同比) of any two years under the sidebar filters: totals, groups,
per-project changes over matched pairs, the indicator table of a pair, the multi-year trend."""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import matching, pair_results, scope, year_pairs
from .db import Store
from .display import NAME_LIMIT, md_text, met_text, plain
from .filters import Filters
from .indicators import indicator_rows
from .sample import sample_in_use
from .summary import change, projects, totals
from .versions import notes_blind

STATUS_ZH = {"continued": "延续", "new": "新增", "discontinued": "不再安排"}


@dataclass
class Comparison:
    """base/current: summary.totals() of each year under the filters, change: summary.change()
    (the overview's deltas come from the same two functions). items: one row per project pair or
    unpaired project (see ITEM_COLUMNS). candidates: matching candidates awaiting a person."""
    base_year: int | None
    year: int
    current: dict
    base: dict | None
    change: dict
    items: pd.DataFrame
    candidates: pd.DataFrame
    decisions: pd.DataFrame
    by_department: pd.DataFrame
    by_funding_source: pd.DataFrame
    # scoring.project_scores' id, total, grade, estimated of each year's projects under the filters, when the
    # view was read from a stored result (perfboard.pair_results) that holds them; None: not loaded here
    scores: pd.DataFrame | None = None
    base_scores: pd.DataFrame | None = None

    @property
    def indicator_totals(self) -> dict:
        """Indicators met / total of the projects of each year under the filters."""
        i = self.items
        if i.empty:
            return {"met": 0, "total": 0, "base_met": 0, "base_total": 0}
        cur, base = i["in_current"].to_numpy(dtype=bool), i["in_base"].to_numpy(dtype=bool)

        def total(col, mask):
            return int(np.nansum(i[col].to_numpy(dtype=float)[mask]))
        return {"met": total("met", cur), "total": total("indicators", cur),
                "base_met": total("base_met", base), "base_total": total("base_indicators", base)}


def _pct(new, old):
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(old > 0, (new - old) / old, np.nan), index=new.index)


def _indicator_counts(store: Store, ids) -> pd.DataFrame:
    """met / total per project, judged by indicators.py (the one place indicators are judged)."""
    rows = indicator_rows(store, project_df=pd.DataFrame({"id": pd.Series(list(ids), dtype="int64")}))
    rows = rows[rows["status"] != "na"]
    return rows.groupby("project_id").agg(met=("status", lambda s: int((s == "met").sum())),
                                          indicators=("status", "size"))


def _year_indicator_counts(store: Store, years: list[int]) -> pd.DataFrame:
    """met / total per project of the years, counted in SQL from the stored status (migration 005; Store
    fills it on open); projects with rows not judged yet are judged in Python."""
    df = store.df("compare_indicator_counts", {"years": years}).set_index("project_id")
    todo = df.index[df["unjudged"] > 0]
    df = df[["met", "indicators"]]
    if len(todo):
        df = pd.concat([df.drop(index=todo), _indicator_counts(store, todo)])
    return df


def _scores(store: Store, filters: Filters) -> pd.DataFrame | None:
    """scoring.project_scores of the filtered projects (None while no scoring module exists)."""
    try:
        from .scoring import project_scores
    except ImportError:
        return None
    return project_scores(store, filters)


def _total_by_id(scores) -> pd.Series | None:
    if scores is None:
        return None
    if isinstance(scores, pd.Series):
        return scores
    return scores.set_index("id")["total"] if len(scores) else pd.Series(dtype=float)


def with_scores(items: pd.DataFrame, scores, base_scores) -> pd.DataFrame:
    """A copy of (some) items with score, base_score and score_change from each year's
    scoring.project_scores frame (or a total-per-id Series; None: no scores). The page passes the
    frames it loads for its grade lines and scores only the rows it shows."""
    out = items.copy()
    for side, col, sc in (("", "target_id", scores), ("base_", "base_id", base_scores)):
        s = _total_by_id(sc)
        out[side + "score"] = np.nan if s is None else s.reindex(out[col].astype("float").to_numpy()).to_numpy()
    out["score_change"] = out["score"] - out["base_score"]
    return out


def _year_rows(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of one year of queries/compare_projects.sql's frame: a slice (no copy), as the query
    orders by year; a boolean mask if the frame is not in year order."""
    yr = frame["year"].to_numpy()
    if len(yr) > 1 and not (yr[:-1] <= yr[1:]).all():
        return frame[frame["year"] == year]
    return frame.iloc[int(np.searchsorted(yr, year, "left")):int(np.searchsorted(yr, year, "right"))]


def _take(values: pd.Series, pos: np.ndarray):
    """values at positions pos (-1: missing), keeping the column's own array type (strings stay Arrow:
    no round trip through Python objects)."""
    return values.array.take(pos, allow_fill=True)


def _items(pairs: pd.DataFrame, frame: pd.DataFrame, base_year: int, year: int) -> pd.DataFrame:
    """One row per pair, then per new project, then per discontinued one, with both sides' columns
    (base ones prefixed base_), taken by position (no merges: 400,000 rows at a province's scale); in
    the order shown: continued, new, discontinued, each by the larger budget of its two years, from
    largest (stable). The order is found from the ids and budgets first, so every other column is taken
    once, already in order."""
    base, cur = _year_rows(frame, base_year), _year_rows(frame, year)
    cur_ids, base_ids = cur["id"].to_numpy(dtype=float), base["id"].to_numpy(dtype=float)
    pair_t, pair_b = pairs["target_id"].to_numpy(dtype=float), pairs["base_id"].to_numpy(dtype=float)
    new, gone = cur_ids[~np.isin(cur_ids, pair_t)], base_ids[~np.isin(base_ids, pair_b)]
    nan_new, nan_gone = np.full(len(new), np.nan), np.full(len(gone), np.nan)
    target_id = np.concatenate([pair_t, new, nan_gone])
    base_id = np.concatenate([pair_b, nan_new, gone])
    match = np.concatenate([pairs["match"].to_numpy(dtype=object), np.full(len(new) + len(gone), "none", dtype=object)])
    status = np.concatenate([np.full(len(pairs), 0), np.full(len(new), 1), np.full(len(gone), 2)])
    cur_pos = pd.Index(cur_ids).get_indexer(target_id)          # -1: no project on this side
    base_pos = pd.Index(base_ids).get_indexer(base_id)
    size = np.fmax(_take(cur["budget"], cur_pos).astype(float), _take(base["budget"], base_pos).astype(float))
    order = np.lexsort((-size, status))                          # stable
    target_id, base_id, match, status = target_id[order], base_id[order], match[order], status[order]
    cur_pos, base_pos = cur_pos[order], base_pos[order]
    df = pd.DataFrame({"base_id": pd.array(base_id, dtype="Int64"), "target_id": pd.array(target_id, dtype="Int64"),
                       "match": match})
    cols = ["department", "code", "name", "funding_source", "budget", "spent", "execution_rate"]
    for prefix, side, pos in (("", cur, cur_pos), ("base_", base, base_pos)):
        for c in cols:
            df[prefix + c] = _take(side[c], pos)
    df["status"] = np.array(["continued", "new", "discontinued"], dtype=object)[status]
    for c in ("department", "funding_source", "code"):
        df[c] = df[c].where(df[c].notna(), df["base_" + c])
    return df


# ---------------------------------------------------------------- the matching of two whole years, cached
@dataclass
class YearPair:
    """Everything of a comparison that does not depend on the sidebar filters, computed once per pair
    of years and figures version over ALL projects of the two years: the matching (pairs, candidates,
    stored decisions), one item per pair or unpaired project with its changes, indicator counts and
    candidates counted, sorted as shown (this is the view with no filter but the years); and each year's
    projects (in queries/projects.sql's order) with what the filters test (department, funding_source,
    light, name) and sum (budget, spent). Scores are not here: see with_scores."""
    base_year: int
    year: int
    items: pd.DataFrame
    candidates: pd.DataFrame
    decisions: pd.DataFrame
    current: pd.DataFrame
    base: pd.DataFrame


_CACHE: "weakref.WeakKeyDictionary[Store, OrderedDict]" = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
_PENDING: dict[tuple, threading.Lock] = {}
MATCHINGS_CACHED = 2        # prepared matchings kept per store (per projects version: kept across saves)
PREPS_CACHED = 1            # the projects of two years with their matching and indicator counts (per figures version)
PAIRS_CACHED = 2            # year pairs kept per store (each ~100 MB at 200,000 projects a year)
VIEWS_CACHED = 3            # filtered comparisons kept per store (the unfiltered one shares the pair's frames)


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


def _cached(store: Store, key: tuple, make, keep: int):
    """make() once per (store, key); key = (kind, database path, version, ...): the figures version, or the
    projects version for the kind "match". Per kind only entries of the newest version are kept, at most
    `keep` of them: an import, a save of figures or a match decision (each bumps the figures version) recomputes, and frees
    what the older version held. Sessions
    asking for the same key meanwhile wait for the one computing it; other keys are not held up."""
    with _CACHE_LOCK:
        entries = _CACHE.setdefault(store, OrderedDict())
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        pending = _PENDING.setdefault((id(store), key), threading.Lock())
    with pending:
        with _CACHE_LOCK:
            if key in entries:
                return entries[key]
            same_kind = [k for k in entries if k[0] == key[0]]
            for k in same_kind[:max(0, len(same_kind) - keep + 1)]:     # room first: a lower peak of memory
                del entries[k]
        value = make()
        with _CACHE_LOCK:
            _PENDING.pop((id(store), key), None)
            same_kind = [k for k in entries if k[0] == key[0]]
            if any(k[2] > key[2] for k in same_kind):      # computed for a version already superseded
                return value
            for k in same_kind:                            # entries of older versions are never asked again
                if k[2] < key[2]:
                    del entries[k]
            entries[key] = value
            same_kind = [k for k in entries if k[0] == key[0]]
            for k in same_kind[:-keep]:
                del entries[k]
        return value


def year_pair(store: Store, base_year: int, year: int, threshold: float | None = None,
              version: int | None = None) -> YearPair:
    """The filter-independent part of compare(), cached per (store, database file, figures version,
    years, threshold): nothing of it reads a note or the change log, so a save of notes only (a 偏差原因)
    keeps it (perfboard.versions). The projects of the two years and their indicator counts are read at the
    figures version;
    their prepared matching (the costly part) is kept per projects version, which only a write that may change
    a project's identity moves (perfboard.year_pairs): a save of an indicator, of amounts or texts, or a match
    decision redoes only the reading, matching.finish and the items, not the matching. The prepared matching is
    stored in the database: another process or session at the same projects version loads it instead of
    matching the two years again."""
    if threshold is None:
        threshold = float(store.get_setting("match_threshold", matching.DEFAULT_THRESHOLD))
    base_year, year, threshold = int(base_year), int(year), float(threshold)
    version = store.figures_version() if version is None else version
    key = ("pair", str(store.path), version, base_year, year, threshold)

    def make():
        prep_key = ("prep", str(store.path), version, base_year, year, threshold)
        prep = _cached(store, prep_key, lambda: _prepared_pair(store, base_year, year, threshold), PREPS_CACHED)
        return _year_pair(store, prep, base_year, year)
    return _cached(store, key, make, PAIRS_CACHED)


def adjacent_pairs(store: Store) -> list[tuple[int, int]]:
    """(base year, year) of every year and the latest year before it (as the page's 对比年度 defaults to),
    the newest pair first: the pairs warm() stores."""
    years = store.years()
    return list(zip(years[1:], years))


_WARM_OLDER = threading.Lock()     # the older pairs of warm(): one at a time per process (open + import warm-ups)


def warm(store: Store, load: bool = True, older: bool = True) -> tuple[int, int] | None:
    """Store the finished result of every pair of adjacent years (a year and the latest year before it, as the
    page's 对比年度 defaults to) whose stored result is missing or stale, newest first, one pair at a time, ahead
    of 同比分析 (at 200,000 projects a year a pair takes seconds): the app calls this in a background thread when
    it opens the database and after an import, the command-line import after importing. The matching and the
    finished result are stored in the database (perfboard.year_pairs, perfboard.pair_results, see store_result)
    for every process; the page then reads only the rows it shows, whatever year it is moved to.

    The newest pair is also built in this process's cache, and a page that arrives meanwhile waits for the same
    cache entry instead of redoing it. The older pairs are only stored: computed outside this process's caches
    (neither their matching, pair nor scores kept), so they neither pile up nor evict the newest; load=False (the
    command-line import, the bench database): the newest too is only stored, so memory is that of one pair. older=False: the newest pair only (the app warms the
    older ones after 自评复核's findings, ui.state.warm_up). Never raises (a failure is the page's to report).
    Returns the newest (base year, year) when its result was warmed, None when there is no pair or it failed."""
    try:
        pairs = adjacent_pairs(store)
        if not pairs:
            return None
        threshold = float(store.get_setting("match_threshold", matching.DEFAULT_THRESHOLD))
    except Exception:               # a warm-up must never take the app down; the page reports real errors
        return None
    newest = None
    for n, (base_year, year) in enumerate(pairs if older else pairs[:1]):
        try:
            if n == 0:
                if load:
                    year_pair(store, base_year, year, threshold)
                store_result(store, base_year, year, threshold, keep=load)
                newest = base_year, year
            else:
                with _WARM_OLDER:
                    store_result(store, base_year, year, threshold, keep=False)
        except Exception:           # noqa: BLE001 - the next pair may still be stored; the page recomputes
            continue
    return newest


def store_result(store: Store, base_year: int, year: int, threshold: float, keep: bool = True) -> bool:
    """Compute the pair's whole result (its matching stored on the way, or loaded when stored) and both
    years' scores, and store them for the current figures version and scoring settings (perfboard.pair_results),
    unless stored already: then any process's first view of the pair reads only its rows. True when this
    call stored it. keep=False: nothing of the computation stays in this process's caches (the pair, its
    matching, the two years' scores): warm()'s older pairs."""
    from .scoring import project_scores, scoring_settings, scores_not_kept
    version = store.figures_version()
    md5 = pair_results.md5_of(scoring_settings(store))
    if store.read_only or pair_results.find(store, base_year, year, threshold, version, md5) is not None:
        return False
    yp = (year_pair(store, base_year, year, threshold, version) if keep else
          _year_pair(store, _prepared_pair(store, base_year, year, threshold, keep=False), base_year, year))
    with nullcontext() if keep else scores_not_kept(store):
        scores = {y: project_scores(store, Filters(year=y)) for y in (base_year, year)}
    if pair_results.md5_of(scoring_settings(store)) != md5:
        return False                # the settings moved meanwhile (save() checks the figures version)
    return pair_results.save_quietly(store, version, md5, base_year, year, threshold, yp.items, yp.candidates, scores)


@dataclass
class _PreparedPair:
    frame: pd.DataFrame                 # queries/compare_projects.sql of the two years
    matching: matching.Prepared
    counts: pd.DataFrame                # met / indicators per project id
    current: pd.DataFrame               # YearPair.current / .base
    base: pd.DataFrame


def _prepared_pair(store: Store, base_year: int, year: int, threshold: float, keep: bool = True) -> _PreparedPair:
    """The projects of the two years, their prepared matching (kept per projects version: in this process's
    memory, else loaded from the database, else computed and stored) and indicator counts. keep=False: the
    matching is not kept in this process's memory (loaded or computed, and stored, all the same)."""
    projects_version = store.projects_version()
    frame = scope.run(store, "compare_projects", Filters(), {"years": [base_year, year]}, arrow=True)
    base_rows, rows = _year_rows(frame, base_year), _year_rows(frame, year)
    if store.projects_version() == projects_version:    # no write that may change the matching came in between
        key = ("match", str(store.path), projects_version, base_year, year, threshold)
        if keep:
            prep = _cached(store, key, lambda: _matching(store, projects_version, base_year, year, threshold,
                                                         base_rows, rows), MATCHINGS_CACHED)
        else:
            prep = _peek(store, key)        # kept by a page meanwhile: used, not recomputed
            if prep is None:
                prep = _matching(store, projects_version, base_year, year, threshold, base_rows, rows)
    else:                       # the frame may be of either version: its own matching, neither kept nor stored
        prep = matching.prepare(base_rows, rows, threshold)
    return _PreparedPair(frame, prep, _year_indicator_counts(store, [base_year, year]),
                         _side(frame, year), _side(frame, base_year))


def _matching(store: Store, projects_version: int, base_year: int, year: int, threshold: float,
              base_rows: pd.DataFrame, rows: pd.DataFrame) -> matching.Prepared:
    """The prepared matching of the two years' projects (read at `projects_version`): the stored one, else
    computed and stored (perfboard.year_pairs)."""
    if year_pairs.find(store, projects_version, base_year, year, threshold) is not None:
        return year_pairs.load(store, projects_version, base_year, year, threshold, base_rows, rows)
    prep = matching.prepare(base_rows, rows, threshold)
    year_pairs.save_quietly(store, projects_version, base_year, year, threshold, prep)
    return prep


def _side(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """YearPair.current / .base: the projects of `year` in compare_projects.sql's frame, with what the filters
    test and the totals sum."""
    p = _year_rows(frame, year)[["id", "department", "funding_source", "name", "budget", "spent", "light"]]
    # categories: the filters' isin and the groups' groupby work on small integer codes
    return p.reset_index(drop=True).astype({"department": "category", "funding_source": "category",
                                            "light": "category"})


def _year_pair(store: Store, pp: _PreparedPair, base_year: int, year: int) -> YearPair:
    frame = pp.frame
    decided = matching.decisions(store, base_year, year)
    m = matching.finish(pp.matching, decided)
    if m is None:                       # a rejection inside the name tier: the whole matching again
        m = matching.match(_year_rows(frame, base_year), _year_rows(frame, year), decided,
                           pp.matching.threshold)
    df = _items(m.pairs, frame, base_year, year)

    counts = pp.counts
    for side, col in (("", "target_id"), ("base_", "base_id")):
        joined = counts.reindex(df[col].astype("float").to_numpy())
        has = df[col].notna().to_numpy()
        df[side + "met"] = np.where(has, joined["met"].fillna(0).to_numpy(dtype=float), np.nan)
        df[side + "indicators"] = np.where(has, joined["indicators"].fillna(0).to_numpy(dtype=float), np.nan)

    df = _changes(df)
    df["score"] = df["base_score"] = df["score_change"] = np.nan      # filled per view: see with_scores
    df["size"] = np.fmax(df["budget"].to_numpy(dtype=float), df["base_budget"].to_numpy(dtype=float))
    # The view with no filter but the years, kept as is so that view shares these frames.
    df["in_current"], df["in_base"] = df["target_id"].notna().to_numpy(), df["base_id"].notna().to_numpy()
    df = _with_candidates(df, m.candidates)[ITEM_COLUMNS]
    return YearPair(base_year, year, df, m.candidates, decided, pp.current, pp.base)


def _with_candidates(df: pd.DataFrame, cand: pd.DataFrame) -> pd.DataFrame:
    """Each item's number of pending candidates (as base or target) and whether it has several."""
    pending = pd.concat([cand["target_id"], cand["base_id"]]).value_counts()
    own = df["target_id"].where(df["target_id"].notna(), df["base_id"]).astype("float")
    df["candidates"] = pending.reindex(own.to_numpy()).fillna(0).astype(int).to_numpy()
    df["ambiguous"] = df["candidates"] > 1
    return df.reset_index(drop=True)


def _filtered(p: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of a YearPair side that pass the sidebar filters (their year aside), as
    queries/projects.sql filters them."""
    keep = np.ones(len(p), dtype=bool)
    if filters.departments:
        keep &= p["department"].isin(filters.departments).to_numpy()
    if filters.funding_sources:
        keep &= p["funding_source"].isin(filters.funding_sources).to_numpy()
    if filters.lights:
        keep &= p["light"].isin(filters.lights).to_numpy()
    if filters.search.strip():        # contains(lower(name), lower($search)), as projects.sql
        keep &= p["name"].str.lower().str.contains(filters.search.strip().lower(), regex=False).to_numpy(dtype=bool)
    return p if keep.all() else p[keep]


def compare(store: Store, filters: Filters, base_year: int | None, year: int,
            threshold: float | None = None, scores: bool = True) -> Comparison:
    """Compare `year` with `base_year` under the filters (their own year is ignored). The matching
    is year_pair()'s (cached); the filters apply to its items. Results are cached too (per figures
    version and filters) and shared: treat the frames as read-only.

    scores=False leaves the items' score columns empty (a page fills the rows it shows with
    with_scores); True fills every item from scoring.project_scores of each filtered year."""
    if base_year is None:
        cur = totals(projects(store, filters.with_year(year)))
        empty = pd.DataFrame()
        return Comparison(None, year, cur, None, {}, empty, empty, empty, empty, empty)
    version = store.figures_version()          # one reading for the pair and the view
    if threshold is None:
        threshold = float(store.get_setting("match_threshold", matching.DEFAULT_THRESHOLD))
    base_year, year, threshold = int(base_year), int(year), float(threshold)
    key = ("view", str(store.path), version, base_year, year, threshold, filters)

    def make():
        # the pair in this process's memory; else the stored result of this figures version (only the view's
        # rows are read); else the pair computed (and its matching stored)
        pair_key = ("pair", str(store.path), version, base_year, year, threshold)
        if _peek(store, pair_key) is None:
            c = _stored_view(store, filters, base_year, year, threshold, version)
            if c is not None:
                return c
        return _view(year_pair(store, base_year, year, threshold, version), filters)
    c = _cached(store, key, make, VIEWS_CACHED)
    if not scores or c.items.empty:
        return c
    items = with_scores(c.items, c.scores if c.scores is not None else _scores(store, filters.with_year(year)),
                        c.base_scores if c.base_scores is not None else _scores(store, filters.with_year(base_year)))
    return dataclasses.replace(c, items=items)


def _peek(store: Store, key: tuple):
    """The cached value of `key`, None when it is not cached (never computes it)."""
    with _CACHE_LOCK:
        return _CACHE.get(store, {}).get(key)


def _stored_view(store: Store, filters: Filters, base_year: int, year: int, threshold: float,
                 version: int) -> Comparison | None:
    """_view() of the pair as stored by store_result (perfboard.pair_results) at `version` with the current
    scoring settings, reading only the rows of the projects under the filters (the same Comparison, its
    scores included); None when no current result is stored."""
    from .scoring import scoring_settings
    md5 = pair_results.md5_of(scoring_settings(store))
    run = pair_results.find(store, base_year, year, threshold, version, md5)
    if run is None:
        return None
    narrowed = _narrowing(filters)
    frame = scope.run(store, "compare_projects", filters.with_year(None) if narrowed else Filters(),
                      {"years": [base_year, year]}, arrow=True)
    # the rows of each year as they come (no categories: only summed and grouped here, in the order _view's are)
    cur_df, base_df = _year_rows(frame, year), _year_rows(frame, base_year)
    if narrowed:
        items, cand, scores = pair_results.read(store, base_year, year, threshold, cur_df["id"], base_df["id"])
    else:
        items, cand, scores = pair_results.read(store, base_year, year, threshold)
        if (len(items), len(cand), len(scores)) != (run["items"], run["candidates"], run["scores"]):
            return None             # not all there (never so after a committed save): compute instead
    df = items
    df["in_current"] = df["target_id"].isin(cur_df["id"]).fillna(False).to_numpy(dtype=bool)
    df["in_base"] = df["base_id"].isin(base_df["id"]).fillna(False).to_numpy(dtype=bool)
    df = _changes(df)
    df["score"] = df["base_score"] = df["score_change"] = np.nan      # filled per view: see with_scores
    df["size"] = np.fmax(df["budget"].to_numpy(dtype=float), df["base_budget"].to_numpy(dtype=float))
    df = _with_candidates(df, cand)[ITEM_COLUMNS]
    current, base = totals(cur_df), totals(base_df)
    yr = scores["year"].to_numpy()
    side_scores = {y: scores[yr == y][pair_results.SCORES].reset_index(drop=True) for y in (year, base_year)}
    return Comparison(base_year, year, current, base, change(current, base), df, cand,
                      matching.decisions(store, base_year, year), groups(cur_df, base_df, "department"),
                      groups(cur_df, base_df, "funding_source"), side_scores[year], side_scores[base_year])


def _narrowing(filters: Filters) -> bool:
    """Whether the filters (their year aside) leave out any project."""
    return bool(filters.departments or filters.funding_sources or filters.lights or filters.search.strip())


def _view(yp: YearPair, filters: Filters) -> Comparison:
    cur_df, base_df = _filtered(yp.current, filters), _filtered(yp.base, filters)
    current, base = totals(cur_df), totals(base_df)
    if cur_df is yp.current and base_df is yp.base:          # nothing filtered out: share the pair's frames
        df, cand = yp.items, yp.candidates
    else:
        df = yp.items
        in_current = df["target_id"].isin(cur_df["id"]).fillna(False).to_numpy(dtype=bool)
        in_base = df["base_id"].isin(base_df["id"]).fillna(False).to_numpy(dtype=bool)
        keep = in_current | in_base
        df = df[keep].copy()
        df["in_current"], df["in_base"] = in_current[keep], in_base[keep]
        cand = yp.candidates
        cand = cand[cand["target_id"].isin(cur_df["id"]) | cand["base_id"].isin(base_df["id"])].reset_index(drop=True)
        df = _with_candidates(df, cand)
    return Comparison(yp.base_year, yp.year, current, base, change(current, base), df, cand,
                      yp.decisions, groups(cur_df, base_df, "department"), groups(cur_df, base_df, "funding_source"))


ITEM_COLUMNS = [
    "department", "funding_source", "code", "name", "base_name", "status", "match", "candidates", "ambiguous",
    "budget", "base_budget", "budget_change", "budget_change_pct",
    "spent", "base_spent", "spent_change", "spent_change_pct",
    "execution_rate", "base_execution_rate", "execution_rate_change_pp",
    "met", "indicators", "base_met", "base_indicators", "met_share_change_pp",
    "score", "base_score", "score_change", "size", "target_id", "base_id", "in_current", "in_base",
]


def _changes(df: pd.DataFrame) -> pd.DataFrame:
    """Per-item changes. Money changes of a new or discontinued project are its whole amount (from or
    to 0), so they add up to the total change; % and rate changes exist only for continued projects."""
    for k in ("budget", "spent"):
        df[k + "_change"] = df[k].fillna(0) - df["base_" + k].fillna(0)
        df[k + "_change_pct"] = _pct(df[k], df["base_" + k]).where(df["status"] == "continued")
    df["execution_rate_change_pp"] = (df["execution_rate"] - df["base_execution_rate"]) * 100
    with np.errstate(divide="ignore", invalid="ignore"):
        share = df["met"] / df["indicators"].where(df["indicators"] > 0)
        base_share = df["base_met"] / df["base_indicators"].where(df["base_indicators"] > 0)
    df["met_share_change_pp"] = (share - base_share) * 100
    return df


def groups(cur_df: pd.DataFrame, base_df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Totals per department or funding source in both years with summary.change() per group."""
    def per(df):
        if by not in df or not len(df):
            return {}
        key = df[by] if isinstance(df[by].dtype, pd.CategoricalDtype) else df[by].fillna("未填写")
        grouped = df.groupby(key, sort=True, observed=True)
        sums, sizes = grouped[["budget", "spent"]].sum(), grouped.size()
        return {k: _group_totals(n, b, s) for k, n, b, s in zip(sums.index.tolist(), sizes.tolist(),
                                                                sums["budget"].tolist(), sums["spent"].tolist())}
    cur, base = per(cur_df), per(base_df)
    rows = []
    for k in sorted(set(cur) | set(base)):
        c = cur.get(k) or _group_totals(0, 0.0, 0.0)
        b = base.get(k) or _group_totals(0, 0.0, 0.0)
        d = change(c, b)
        rows.append({by: k, "projects": c["projects"], "base_projects": b["projects"],
                     "budget": c["budget_wan"], "base_budget": b["budget_wan"], "budget_change": d["budget_wan"],
                     "budget_change_pct": d["budget_wan_pct"], "spent": c["spent_wan"], "base_spent": b["spent_wan"],
                     "spent_change": d["spent_wan"], "execution_rate": c["execution_rate"],
                     "base_execution_rate": b["execution_rate"], "execution_rate_change_pp": d["execution_rate_pp"]})
    return pd.DataFrame(rows)


def _group_totals(projects: int, budget: float, spent: float) -> dict:
    """summary.totals()'s dict of one group."""
    return {"projects": int(projects), "budget_wan": float(budget), "spent_wan": float(spent),
            "execution_rate": spent / budget if budget > 0 else None}


# ---------------------------------------------------------------- a matched pair's indicators
INDICATOR_CHANGE_ZH = {"better": "改善", "worse": "退步", "same": "持平", "added": "新设", "dropped": "不再设置"}


@notes_blind
def indicator_comparison(store: Store, base_id: int | None, target_id: int | None) -> pd.DataFrame:
    """The indicators of a pair side by side: the same 三级 indicator by normalised name (year tokens,
    spaces and punctuation ignored; the n-th of equal names pairs with the n-th), target, actual and
    status in both years, and whether the outcome got better or worse."""
    ids = [int(i) for i in (base_id, target_id) if i is not None and not pd.isna(i)]
    rows = indicator_rows(store, project_df=pd.DataFrame({"id": pd.Series(ids, dtype="int64")}))
    rows["stem"] = [matching.normalise_name(n) for n in rows["level3"].fillna("")]
    rows["nth"] = rows.groupby(["project_id", "stem"]).cumcount()
    keep = ["stem", "nth", "position", "level1", "level2", "level3", "target_text", "actual_text", "status", "status_zh"]
    b = rows[rows["project_id"] == base_id][keep] if base_id is not None else rows.iloc[0:0][keep]
    t = rows[rows["project_id"] == target_id][keep] if target_id is not None else rows.iloc[0:0][keep]
    df = t.merge(b, on=["stem", "nth"], how="outer", suffixes=("", "_base"))
    for c in ("level1", "level2", "level3"):
        df[c] = df[c].where(df[c].notna(), df[c + "_base"])
    df["order"] = df["position"].fillna(df["position_base"] + 1000)

    def verdict(r):
        if pd.isna(r["status_base"]):
            return "added"
        if pd.isna(r["status"]):
            return "dropped"
        now, before = r["status"] == "met", r["status_base"] == "met"
        return "same" if now == before else ("better" if now else "worse")

    df["change"] = [verdict(r) for r in df.to_dict("records")] if len(df) else pd.Series(dtype=str)
    df["change_zh"] = df["change"].map(INDICATOR_CHANGE_ZH)
    df = df.sort_values("order").reset_index(drop=True)
    return df[["level1", "level2", "level3", "target_text_base", "actual_text_base", "status_zh_base",
               "target_text", "actual_text", "status_zh", "change", "change_zh"]]


# ---------------------------------------------------------------- trend and labels
@notes_blind
def trend(store: Store, filters: Filters) -> pd.DataFrame:
    """summary.totals() per year under the filters (every year), oldest first (queries/compare_trend.sql)."""
    df = scope.run(store, "compare_trend", filters.with_year(None))
    rate = [s / b if b > 0 else None for s, b in zip(df["spent_wan"].tolist(), df["budget_wan"].tolist())]
    return pd.DataFrame({"year": df["year"].astype(int), "projects": df["projects"].astype(int),
                         "budget_wan": df["budget_wan"].astype(float), "spent_wan": df["spent_wan"].astype(float),
                         "execution_rate": rate}, columns=["year", "projects", "budget_wan", "spent_wan", "execution_rate"])


@notes_blind
def sample_years(store: Store) -> dict[int, list[str]]:
    """Years holding rows of the shipped sample files -> those file names (to label them 示例)."""
    files = sample_in_use(store)
    if not files:
        return {}
    out: dict[int, list[str]] = {}
    for r in store.df("compare_sample_years", {"files": files}).itertuples(index=False):
        out.setdefault(int(r.year), []).append(r.source_file)
    return out


def sample_label(files: list[str]) -> str:
    return "示例（虚构）数据" if any("虚构" in f for f in files) else "示例数据"


# ---------------------------------------------------------------- machine-readable
def _num(v):
    return None if v is None or pd.isna(v) else float(v)


JSON_CHUNK = 20_000          # items per piece of the streamed `compare --json` (iter_json_items)


def iter_json_items(c: Comparison, chunk: int | None = None):
    """to_json()'s items, a list of at most `chunk` (JSON_CHUNK) at a time: `compare --json` writes them
    piece by piece instead of holding 400,000 dicts and their whole text at a province's scale."""
    chunk = chunk or JSON_CHUNK
    for lo in range(0, len(c.items), chunk):
        yield [{
            "name": None if pd.isna(r.name) else r.name, "base_name": None if pd.isna(r.base_name) else r.base_name,
            "department": r.department, "status": r.status, "match": r.match,
            "base_budget_wan": _num(r.base_budget), "budget_wan": _num(r.budget),
            "budget_change_wan": _num(r.budget_change), "budget_change_pct": _num(r.budget_change_pct),
            "base_spent_wan": _num(r.base_spent), "spent_wan": _num(r.spent),
            "spent_change_wan": _num(r.spent_change), "spent_change_pct": _num(r.spent_change_pct),
            "base_execution_rate": _num(r.base_execution_rate), "execution_rate": _num(r.execution_rate),
            "execution_rate_change_pp": _num(r.execution_rate_change_pp),
            "candidates": int(r.candidates),
        } for r in c.items.iloc[lo:lo + chunk].itertuples(index=False)]


def json_head(c: Comparison) -> dict:
    """to_json() without its items: the years, totals, change and candidates (in to_json's key order)."""
    cand = [{"base_name": r.base_name, "name": r.target_name, "department": r.department, "via": r.via,
             "score": round(float(r.score), 1), "ambiguous": bool(r.ambiguous)}
            for r in c.candidates.itertuples(index=False)] if len(c.candidates) else []
    return {"base_year": c.base_year, "year": c.year, "totals": {"base": c.base, "current": c.current},
            "change": c.change, "items": [], "candidates": cand}


def to_json(c: Comparison) -> dict:
    """`compare --json`: totals of both years, their change, and per project the pair's figures."""
    out = json_head(c)
    out["items"] = [i for items in iter_json_items(c) for i in items]
    return out


# ---------------------------------------------------------------- display frames (Chinese headers)
def _signed(x, fmt: str, unit: str = "") -> str | None:
    return None if x is None or pd.isna(x) else f"{x:+{fmt}}{unit}"


def _pp(x) -> str | None:
    """A change in percentage points with two decimals; "持平" below 0.005 (never "-0.0")."""
    if x is None or pd.isna(x):
        return None
    return "持平" if abs(x) < 0.005 else f"{x:+.2f} 个百分点"


def headline(c: Comparison) -> list[dict]:
    """The big figures: label, value, delta (change from the base year; "持平" when none) and help."""
    cur, d, ind = c.current, c.change, c.indicator_totals
    rate = "—" if cur["execution_rate"] is None else f"{cur['execution_rate'] * 100:.2f}%"

    def money(k):
        if d.get(k) is None:
            return None
        return "持平" if round(d[k], 2) == 0 else f"{d[k]:+,.2f}" + ("" if d.get(k + "_pct") is None else f"（{d[k + '_pct'] * 100:+.1f}%）")

    def share(m, t):
        return m / t if t else None

    met_pp = None
    if share(ind["met"], ind["total"]) is not None and share(ind["base_met"], ind["base_total"]) is not None:
        met_pp = (share(ind["met"], ind["total"]) - share(ind["base_met"], ind["base_total"])) * 100
    b = c.base_year
    out = [
        {"label": "项目数", "value": f"{cur['projects']:,} 个", "delta": None if not d else
         ("持平" if d["projects"] == 0 else f"{d['projects']:+,d} 个"), "help": f"与 {b} 年度相比"},
        {"label": "全年预算数（万元）", "value": f"{cur['budget_wan']:,.2f}", "delta": money("budget_wan"),
         "help": f"与 {b} 年度相比的变化（万元，括号内为变化率）"},
        {"label": "全年执行数（万元）", "value": f"{cur['spent_wan']:,.2f}", "delta": money("spent_wan"),
         "help": f"与 {b} 年度相比的变化（万元，括号内为变化率）"},
        {"label": "执行率", "value": rate, "delta": _pp(d.get("execution_rate_pp")),
         "help": f"全年执行数 ÷ 全年预算数；变化以百分点计，与 {b} 年度相比"},
        {"label": "指标达成", "value": met_text(ind["met"], ind["total"]), "delta": _pp(met_pp),
         "help": f"达成的指标数 / 指标总数（{ind['met']:,} / {ind['total']:,}）；变化为达成率的百分点变化，"
                 f"与 {b} 年度（{ind['base_met']:,} / {ind['base_total']:,}）相比"},
    ]
    for m in out:        # a count going up is neither good nor bad; "持平" gets no arrow
        m["color"] = "off" if m["label"] == "项目数" or m["delta"] == "持平" else "normal"
        m["arrow"] = "off" if m["delta"] == "持平" else "auto"
    return out


MATCH_ZH = {"code": "编码一致", "name": "名称一致", "confirmed": "人工确认", "none": "—"}


def _ratio(met, total) -> str:
    return "—" if pd.isna(total) else f"{int(met)}/{int(total)}"


def items_table(items: pd.DataFrame, base_year: int, year: int) -> pd.DataFrame:
    """The per-project table as shown: money in 万元, rates and changes in %, indicator met/total."""
    b, y = f"{base_year}", f"{year}"
    i = items
    note = np.where(i["ambiguous"], "多个候选，待确认", np.where(i["candidates"] > 0, "有候选，待确认", ""))
    return pd.DataFrame({
        "状态": i["status"].map(STATUS_ZH), "匹配": i["match"].map(MATCH_ZH).where(note == "", note),
        f"{y} 项目名称": i["name"], f"{b} 项目名称": i["base_name"], "主管部门": i["department"],
        f"{b} 预算（万元）": i["base_budget"], f"{y} 预算（万元）": i["budget"], "预算变化（万元）": i["budget_change"],
        "预算变化（%）": i["budget_change_pct"] * 100,
        f"{b} 执行数（万元）": i["base_spent"], f"{y} 执行数（万元）": i["spent"], "执行数变化（万元）": i["spent_change"],
        f"{b} 执行率（%）": i["base_execution_rate"] * 100, f"{y} 执行率（%）": i["execution_rate"] * 100,
        "执行率变化（百分点）": i["execution_rate_change_pp"],
        f"{b} 指标达成": [_ratio(m, t) for m, t in zip(i["base_met"], i["base_indicators"])],
        f"{y} 指标达成": [_ratio(m, t) for m, t in zip(i["met"], i["indicators"])],
        f"{b} 得分": i["base_score"], f"{y} 得分": i["score"],
    })


def groups_table(g: pd.DataFrame, by: str, base_year: int, year: int) -> pd.DataFrame:
    b, y = f"{base_year}", f"{year}"
    return pd.DataFrame({
        {"department": "主管部门", "funding_source": "资金来源"}[by]: g[by],
        f"{b} 项目数": g["base_projects"], f"{y} 项目数": g["projects"],
        f"{b} 预算（万元）": g["base_budget"], f"{y} 预算（万元）": g["budget"], "预算变化（万元）": g["budget_change"],
        "预算变化（%）": g["budget_change_pct"] * 100,
        f"{b} 执行数（万元）": g["base_spent"], f"{y} 执行数（万元）": g["spent"], "执行数变化（万元）": g["spent_change"],
        f"{b} 执行率（%）": g["base_execution_rate"] * 100, f"{y} 执行率（%）": g["execution_rate"] * 100,
        "执行率变化（百分点）": g["execution_rate_change_pp"],
    }) if len(g) else pd.DataFrame()


def indicator_table(df: pd.DataFrame, base_year: int, year: int) -> pd.DataFrame:
    b, y = f"{base_year}", f"{year}"
    return pd.DataFrame({
        "一级指标": df["level1"], "二级指标": df["level2"], "三级指标": df["level3"],
        f"{b} 指标值": df["target_text_base"], f"{b} 实际值": df["actual_text_base"], f"{b} 结果": df["status_zh_base"],
        f"{y} 指标值": df["target_text"], f"{y} 实际值": df["actual_text"], f"{y} 结果": df["status_zh"],
        "变化": df["change_zh"],
    })


def candidate_text(r) -> str:
    """One candidate pair as markdown, with the ambiguity said plainly."""
    warn = "　:orange[存在多个候选，请只确认正确的一对]" if r["ambiguous"] else ""
    via = {"fuzzy": f"相似度 {r['score']:.0f}", "name": "名称相同", "code": "编码相同"}[r["via"]]
    return (f"{r['base_year']}：**{md_text(r['base_name'], NAME_LIMIT)}** → {r['target_year']}："
            f"**{md_text(r['target_name'], NAME_LIMIT)}**　{via}{warn}")


def decision_text(r) -> str:
    verdict = ":green[已确认为同一项目]" if r["decision"] == "confirmed" else ":red[已拒绝，不是同一项目]"
    return (f"{r['base_year']}：{md_text(r['base_name'], NAME_LIMIT)} → {r['target_year']}："
            f"{md_text(r['target_name'], NAME_LIMIT)}　{verdict}"
            f"（{md_text(r['decided_by'], NAME_LIMIT)}，{r['decided_at']:%Y-%m-%d %H:%M}）")


def pair_ids(r) -> tuple[int | None, int | None]:
    """(base_id, target_id) of an items row as plain ints (None for the missing side)."""
    return tuple(None if pd.isna(r[k]) else int(r[k]) for k in ("base_id", "target_id"))


def pair_label(r) -> str:
    """How a project pair is named in a picker (plain text there; long names clipped)."""
    if r["status"] == "continued":
        return f"{plain(r['name'])}  ←  {plain(r['base_name'])}"
    return f"{plain(r['name'] if r['status'] == 'new' else r['base_name'])}（{STATUS_ZH[r['status']]}）"
