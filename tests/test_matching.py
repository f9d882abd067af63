"""Year-over-year matching: names, tiers, ambiguity, fuzzy candidates, stored decisions."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfboard import matching
from perfboard.matching import (_analyse, _analyse_many, _keys_many, literal_name, match, name_parts,
                                normalise_name, pair_of, project_key)
from perfboard.sample import load_sample

DEPT = "张掖市科学技术局"


def frame(rows, year, start=1, department=DEPT):
    """Projects of one year: rows are names or (name, code) or (name, code, department)."""
    out = []
    for k, r in enumerate(rows):
        r = (r,) if isinstance(r, str) else r
        out.append({"id": start + k, "year": year, "department": r[2] if len(r) > 2 else department,
                    "code": r[1] if len(r) > 1 else None, "name": r[0]})
    return pd.DataFrame(out, columns=["id", "year", "department", "code", "name"])


def pairs_by_name(m, base, target):
    names_b = dict(zip(base["id"], base["name"]))
    names_t = dict(zip(target["id"], target["name"]))
    return {(names_b[r.base_id], names_t[r.target_id], r.match) for r in m.pairs.itertuples()}


def candidates_by_name(m):
    return {(r.base_name, r.target_name, r.via, bool(r.ambiguous)) for r in m.candidates.itertuples()}


# ---------------------------------------------------------------- a table of real name pairs
# (base name, base year, target name, target year, matched by name?)
NAME_PAIRS = [
    ("2023年招商引资", 2023, "2024 年招商引资", 2024, True),                       # the reference report's spacing
    ("2023 年度科技活动周", 2023, "2024年科技活动周", 2024, True),                   # 年度 vs 年
    ("2023  年 度科技活动周", 2023, "2024年科技活动周", 2024, False),                # "年 度" split: 度 stays, not the same name
    ("招商引资（2023年）", 2023, "招商引资(2024 年)", 2024, True),                   # year at the end, full/half brackets
    ("２０２３年招商引资", 2023, "2024年招商引资", 2024, True),                       # full-width digits
    ("科技特派员（2023年度）奖补资金", 2023, "科技特派员【2024 年度】奖补资金", 2024, True),  # year in the middle
    ("2022 年省科学技术奖励资金", 2023, "2023 年省科学技术奖励资金", 2024, True),     # named after the previous year, both years
    ("完成技术合同登记任务指标机构奖励", 2023, "完成技术合同登记任务指标机构奖励", 2024, True),  # no year at all
    ("“张掖科技”政务新媒体平台管理运维", 2023, "\"张掖科技\" 政务新媒体平台管理运维", 2024, True),  # quotes and spaces
    ("2023年度第一，二批省级科技计划项目资金", 2023, "2024 年第一、二批省级科技计划项目资金", 2024, True),  # batch words kept, 、 = ，
    ("2023年第一二批省级科技计划项目资金", 2023, "2024 年第一、二批省级科技计划项目资金", 2024, False),  # 一二 is not 一、二
    ("2023年第1、2批省级科技计划项目资金", 2023, "2024年第12批省级科技计划项目资金", 2024, False),  # batches 1 and 2 vs batch 12
    ("2023年第一批省级科技计划项目资金", 2023, "2024年第二批省级科技计划项目资金", 2024, False),   # another batch
    ("2023 年度市级科技计划－服务体系建设专项", 2023, "2023年度市级科技计划-服务体系建设专项", 2024, True),  # carried over under its old name
    ("2023年招商引资", 2023, "2023年招商引资", 2024, True),                           # literally the same name
    # the two 市级科技计划项目: a year token gained or lost is never a name match
    ("2023年市级科技计划项目", 2023, "市级科技计划项目", 2024, False),
    ("市级科技计划项目", 2023, "2024 年市级科技计划项目", 2024, False),
    ("2023年市级科技计划项目", 2023, "2024 年市级科技计划项目", 2024, True),
    ("市级科技计划项目", 2023, "市级科技计划项目", 2024, True),
    ("2023年招商引资", 2023, "2025年招商引资", 2024, False),                         # token shifted by 2 for a 1-year step
]


@pytest.mark.parametrize("base_name,base_year,target_name,target_year,same", NAME_PAIRS)
def test_name_pairs(base_name, base_year, target_name, target_year, same):
    base, target = frame([base_name], base_year), frame([target_name], target_year, start=100)
    m = match(base, target)
    assert (pairs_by_name(m, base, target) == {(base_name, target_name, "name")}) is same
    if not same:
        assert m.pairs.empty


def test_normalisation_details():
    assert normalise_name("2024 年市级科技计划项目") == normalise_name("市级科技计划项目") == "市级科技计划项目"
    assert name_parts("2024 年市级科技计划项目", 2024) == ("市级科技计划项目", "+0")
    assert name_parts("市级科技计划项目", 2024) == ("市级科技计划项目", "")
    assert name_parts("2023 年省科学技术奖励资金", 2024) == ("省科学技术奖励资金", "-1")
    assert name_parts("2023-2025年度 规划", 2024) == ("规划", "-1,+1")
    # batch words: separators become one canonical 、, never vanish
    assert normalise_name("第一、二批") == normalise_name("第一，二批") == normalise_name("第一,二批") == "第一、二批"
    assert normalise_name("第一二批") == "第一二批"
    assert normalise_name("第1、2批") != normalise_name("第12批")
    # a number that is not a year, and a year without 年, stay in the name
    assert normalise_name("编号20241号") == "编号20241号"
    assert normalise_name("2024招商引资") == "2024招商引资"
    assert literal_name("2023 年度市级科技计划－服务体系建设专项") == "2023年度市级科技计划服务体系建设专项"


def test_identity_survives_spacing_and_width():
    assert project_key(None, "2024 年（招商）引资") == project_key(None, "2024年(招商)引资")
    assert project_key("  C-1 ", "任何名称") == "code:C-1"
    assert project_key("", "名称") == "name:名称"


# ---------------------------------------------------------------- the 市级科技计划项目 trap
def test_two_shiji_projects_never_merged():
    """2024 holds this year's round '2024 年市级科技计划项目' and the carried-over '市级科技计划项目';
    2023 holds its round and the 服务体系建设专项 that was carried over."""
    base = frame(["2023年市级科技计划项目", "2023 年度市级科技计划－服务体系建设专项"], 2023)
    target = frame(["2024 年市级科技计划项目", "市级科技计划项目"], 2024, start=100)
    m = match(base, target)
    assert pairs_by_name(m, base, target) == {("2023年市级科技计划项目", "2024 年市级科技计划项目", "name")}
    # the carried-over project is offered its real predecessor, for a person to confirm
    assert candidates_by_name(m) == {("2023 年度市级科技计划－服务体系建设专项", "市级科技计划项目", "fuzzy", False)}


def test_trap_without_this_years_round_is_only_a_candidate():
    base = frame(["2023年市级科技计划项目"], 2023)
    target = frame(["市级科技计划项目"], 2024, start=100)
    m = match(base, target)
    assert m.pairs.empty
    assert [(r.via, r.score) for r in m.candidates.itertuples()] == [("fuzzy", 100.0)]


# ---------------------------------------------------------------- tiers and ambiguity
def test_code_beats_name_and_blocks_by_department():
    base = frame([("旧名称", "P1"), ("2023年招商引资", None), ("2023年招商引资", None, "张掖市财政局")], 2023)
    target = frame([("完全不同的新名称", "P1"), ("2024年招商引资", None)], 2024, start=100)
    m = match(base, target)
    assert pairs_by_name(m, base, target) == {("旧名称", "完全不同的新名称", "code"),
                                              ("2023年招商引资", "2024年招商引资", "name")}


def test_two_name_matches_are_ambiguous_not_resolved():
    base = frame(["2023年招商引资"], 2023)
    target = frame(["2024年招商引资", "2023年招商引资"], 2024, start=100)   # this year's and a carried-over one
    m = match(base, target)
    assert m.pairs.empty
    assert candidates_by_name(m) == {("2023年招商引资", "2024年招商引资", "name", True),
                                     ("2023年招商引资", "2023年招商引资", "name", True)}


def test_duplicate_code_is_ambiguous():
    base = frame([("甲", "P1")], 2023)
    target = frame([("甲一", "P1"), ("甲二", "P1")], 2024, start=100)
    m = match(base, target)
    assert m.pairs.empty
    assert {(r.via, bool(r.ambiguous)) for r in m.candidates.itertuples()} == {("code", True)}


def test_two_fuzzy_candidates_are_flagged_ambiguous():
    base = frame(["2023年科技成果转化服务平台建设", "2023年科技成果转化服务平台运维"], 2023)
    target = frame(["2024年科技成果转化服务平台建设运维"], 2024, start=100)
    m = match(base, target)
    assert m.pairs.empty
    assert len(m.candidates) == 2 and m.candidates["ambiguous"].all()


def test_fuzzy_threshold_is_configurable_and_never_applied():
    base = frame(["2023 年度市级科技计划－服务体系建设专项"], 2023)
    target = frame(["市级科技计划项目"], 2024, start=100)
    assert len(match(base, target, threshold=60).candidates) == 1
    assert match(base, target, threshold=70).candidates.empty
    assert match(base, target, threshold=60).pairs.empty


def test_large_blocks_use_rare_bigrams_and_find_the_same_pair():
    base = frame(["2023 年度市级科技计划－服务体系建设专项", "2023年科技创新券补助资金", "2023年残疾人就业保障金"], 2023)
    target = frame(["市级科技计划项目", "张掖科技政务新媒体平台管理运维"], 2024, start=100)
    small = matching.fuzzy_candidates(matching._prepare(base), matching._prepare(target), 60)
    large = matching.fuzzy_candidates(matching._prepare(base), matching._prepare(target), 60, max_block_pairs=0)
    assert small[["base_id", "target_id"]].values.tolist() == large[["base_id", "target_id"]].values.tolist() == [[1, 100]]


# ---------------------------------------------------------------- the two engines agree
NAME_CHARS = list("2023年度2024年 　市级科技计划项目第一二、，,;（）()【】“”\"－-—~至到批19号0") + ["２０２４", "年度"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(NAME_CHARS), max_size=14).map("".join), min_size=1, max_size=8),
       st.integers(2019, 2026))
def test_arrow_and_python_engines_agree(names, year):
    stems, tags, literals = _analyse_many(names, [year] * len(names))
    assert list(zip(stems, tags, literals)) == [_analyse(n, year)[:3] for n in names]
    assert _keys_many([None] * len(names), names) == [project_key(None, n) for n in names]


# ---------------------------------------------------------------- stored decisions
def _shiji_pair(store):
    m = matching.match_years(store, 2023, 2024)
    (row,) = m.candidates.to_dict("records")
    assert (row["base_name"], row["target_name"]) == ("2023 年度市级科技计划－服务体系建设专项", "市级科技计划项目")
    return row


def _kind_of(store, target_name, base_year=2023, year=2024):
    m = matching.match_years(store, base_year, year)
    ids = store.sql_df("SELECT id, name FROM projects")
    names = dict(zip(ids["id"], ids["name"]))
    found = [r.match for r in m.pairs.itertuples() if names[r.target_id] == target_name]
    return found[0] if found else None


def test_confirm_persists_survives_reimport_and_reopen(sample_db_path):
    from perfboard.db import Store
    store = Store(sample_db_path)
    pair = _shiji_pair(store)
    matching.decide(store, pair, "confirmed", user="张三")
    assert _kind_of(store, "市级科技计划项目") == "confirmed"
    assert matching.match_years(store, 2023, 2024).candidates.empty
    assert load_sample(store).ok                         # re-import: new row ids, same identities
    assert _kind_of(store, "市级科技计划项目") == "confirmed"
    store.close()
    store = Store(sample_db_path)                         # a new process would see the same
    d = matching.decisions(store, 2023, 2024)
    assert d[["decision", "decided_by"]].values.tolist() == [["confirmed", "张三"]]
    # the decision is reused when the years are compared the other way round
    assert _kind_of(store, "2023 年度市级科技计划－服务体系建设专项", base_year=2024, year=2023) == "confirmed"
    store.close()


def test_reject_then_undo(sample_store):
    pair = _shiji_pair(sample_store)
    matching.decide(sample_store, pair, "rejected")
    m = matching.match_years(sample_store, 2023, 2024)
    assert m.candidates.empty and _kind_of(sample_store, "市级科技计划项目") is None
    matching.undo(sample_store, pair)
    assert len(matching.match_years(sample_store, 2023, 2024).candidates) == 1
    assert matching.decisions(sample_store, 2023, 2024).empty


def test_a_later_decision_replaces_the_earlier(sample_store):
    pair = _shiji_pair(sample_store)
    matching.decide(sample_store, pair, "rejected")
    matching.decide(sample_store, pair, "confirmed")
    assert matching.decisions(sample_store, 2023, 2024)["decision"].tolist() == ["confirmed"]


def test_rejecting_a_name_match_unmatches_it(sample_store):
    projects = sample_store.sql_df("SELECT year, department, project_code AS code, name FROM projects")
    b = projects[projects["name"] == "2023年招商引资"].iloc[0].to_dict()
    t = projects[projects["name"] == "2024 年招商引资"].iloc[0].to_dict()
    assert _kind_of(sample_store, "2024 年招商引资") == "name"
    matching.decide(sample_store, pair_of(b, t), "rejected")
    assert _kind_of(sample_store, "2024 年招商引资") is None


def test_sample_matches(sample_store):
    """All 2024 sample projects but two continue from 2023 by name; none by fuzzy rule."""
    m = matching.match_years(sample_store, 2023, 2024)
    assert m.pairs["match"].tolist() == ["name"] * 10
    assert len(m.candidates) == 1


# ---------------------------------------------------------------- the two stages (issue 9): prepare once, finish per decision
from perfboard.db import Store  # noqa: E402
from perfboard.filters import Filters  # noqa: E402
from tests.scale_fixtures import _synthetic_db, synthetic_db_path, synthetic_store  # noqa: E402,F401


def whole_years(store, base_year, year):
    from perfboard import scope
    df = scope.run(store, "compare_projects", Filters(), {"years": [base_year, year]})
    return df[df["year"] == base_year], df[df["year"] == year]


def same_matches(a, b):
    key = ["base_id", "target_id"]
    pd.testing.assert_frame_equal(a.pairs.sort_values(key).reset_index(drop=True),
                                  b.pairs.sort_values(key).reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(a.candidates.reset_index(drop=True), b.candidates.reset_index(drop=True),
                                  check_dtype=False)


def decisions_frame(store, base_year, year, chosen):
    """Stored decisions after deciding `chosen` ([(pair, decision)]) in a transaction rolled back."""
    for pair, decision in chosen:
        matching.decide(store, pair, decision)
    d = matching.decisions(store, base_year, year)
    for pair, _ in chosen:
        matching.undo(store, pair)
    return d


@pytest.mark.parametrize("years", [(2023, 2024), (2022, 2023), (2024, 2022)])
def test_finish_of_prepare_equals_match(synthetic_store, years):
    s = synthetic_store
    base, target = whole_years(s, *years)
    prep = matching.prepare(base, target)
    plain = match(base, target)
    same_matches(matching.finish(prep), plain)
    cand = plain.candidates
    fuzzy = cand[cand["via"] == "fuzzy"]
    assert len(fuzzy) >= 6
    # confirmations and rejections of fuzzy candidates (a confirmed base leaves the others' top-3)
    busy_base = fuzzy["base_id"].value_counts().index[0]
    picks = [(fuzzy.iloc[0].to_dict(), "confirmed"), (fuzzy.iloc[3].to_dict(), "rejected"),
             (fuzzy[fuzzy["base_id"] == busy_base].iloc[0].to_dict(), "confirmed"), (fuzzy.iloc[5].to_dict(), "rejected")]
    for k in range(1, len(picks) + 1):
        d = decisions_frame(s, *years, picks[:k])
        same_matches(matching.finish(prep, d), match(base, target, d))
    # a continued project confirmed with another partner, and a code pair rejected
    pairs = plain.pairs
    by_name = pairs[pairs["match"] == "name"].iloc[0]
    by_code = pairs[pairs["match"] == "code"].iloc[0]
    b, t = base.set_index("id"), target.set_index("id")
    other = fuzzy.iloc[1]
    cross = matching.pair_of({**b.loc[other["base_id"]].to_dict()}, {**t.loc[by_name["target_id"]].to_dict()})
    code_pair = matching.pair_of(b.loc[by_code["base_id"]].to_dict(), t.loc[by_code["target_id"]].to_dict())
    d = decisions_frame(s, *years, [(cross, "confirmed"), (code_pair, "rejected")])
    same_matches(matching.finish(prep, d), match(base, target, d))


def test_finish_gives_up_when_a_rejection_hits_the_name_tier(synthetic_store):
    s = synthetic_store
    base, target = whole_years(s, 2023, 2024)
    prep = matching.prepare(base, target)
    pairs = match(base, target).pairs
    row = pairs[pairs["match"] == "name"].iloc[0]
    b, t = base.set_index("id"), target.set_index("id")
    pair = matching.pair_of(b.loc[row["base_id"]].to_dict(), t.loc[row["target_id"]].to_dict())
    d = decisions_frame(s, 2023, 2024, [(pair, "rejected")])
    assert matching.finish(prep, d) is None
    assert not ((match(base, target, d).pairs["base_id"] == row["base_id"]) &
                (match(base, target, d).pairs["target_id"] == row["target_id"])).any()


def test_decisions_keep_the_stored_year_pair(synthetic_store):
    from perfboard import compare as cmp
    from perfboard import year_pairs
    s = synthetic_store
    cmp.clear_cache()
    cmp.year_pair(s, 2023, 2024)                          # stored at projects version p0
    v0, p0 = s.data_version(), s.projects_version()
    base, target = whole_years(s, 2023, 2024)
    cand = match(base, target).candidates.iloc[0].to_dict()
    matching.decide(s, cand, "confirmed")
    matching.undo(s, cand)
    th = matching.DEFAULT_THRESHOLD
    assert s.data_version() == v0 + 2 and s.projects_version() == p0      # a decision changes no project
    assert year_pairs.find(s, p0, 2023, 2024, th) == p0
    s.set_setting("match_threshold", 70)               # another threshold: not the stored pair's
    assert year_pairs.find(s, s.projects_version(), 2023, 2024, 70.0) is None
    cmp.clear_cache()
