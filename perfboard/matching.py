"""Finding the same project in two years: by code, by year-normalised name, and fuzzy candidates
that a person confirms or rejects (decisions stored in project_matches, reused, undoable)."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from . import auth
from .db import Store

DEFAULT_THRESHOLD = 60.0        # fuzz.ratio on name stems, 0-100; a setting ("match_threshold")
MAX_CANDIDATES = 3              # per project: a person reviews a few, not a ranked list of hundreds
MAX_BLOCK_PAIRS = 4_000_000     # above this a department block is narrowed by rare shared bigrams

# ---------------------------------------------------------------- names
# Every name is analysed by one of two engines that must agree: Python `re` for a single name
# (normalise_name, indicators, tests) and Arrow's RE2 kernels for a whole column (_analyse_many,
# ~5x faster; tests/test_matching.py checks they agree). So the patterns use only what both have:
# no lookbehind; the character before a year is captured (`pre`) and put back; \s is ASCII.
#
# A year token: 19xx/20xx not preceded by a digit, then 年 or 年度, as in "2024年", "2024 年度",
# "２０２４年" (NFKC makes the digits ASCII), or a range "2023-2025年". A year without 年
# ("编号20241", "2024招商引资") is not taken for one: in names that is a number more often than a year.
_YEAR_PATTERN = r"(^|[^0-9])((?:19|20)[0-9]{2})\s*(?:[-~至到]\s*((?:19|20)[0-9]{2})\s*)?年度?"
_YEAR = re.compile(_YEAR_PATTERN, re.ASCII)
_YEAR_NAMED = r"(?P<pre>^|[^0-9])(?P<y1>(?:19|20)[0-9]{2})\s*(?:[-~至到]\s*(?P<y2>(?:19|20)[0-9]{2})\s*)?年度?"
# Enumeration separators are not thrown away but made one canonical "、": deleting them would turn
# "第1、2批" (batches 1 and 2) into "第12批" (batch 12), and "第一、二批" into "第一二批". So
# "第一、二批" = "第一，二批" = "第一,二批" by name, while "第一二批" stays different: near
# misses like that are left to the fuzzy candidates, where a person decides.
_SEP = "、"
_SEPARATORS = "、,，;；/／"
_DROP = (" \t\r\n\u3000\u00a0\"'“”‘’„‟「」『』()（）[]［］{}｛｝【】〔〕〖〗《》〈〉<>＜＞"
         "-－—–‑_~～·・•.。:：!！?？*＊#＃")
_DROP_PATTERN = "[" + re.escape(_DROP) + "]+"
_SEPS_PATTERN = "[" + re.escape(_SEPARATORS) + "]+"
_DROP_RE, _SEPS_RE = re.compile(_DROP_PATTERN), re.compile(_SEPS_PATTERN)


def _clean_nfkc(s: str) -> str:
    """Spelling noise out of an NFKC, lower-cased string."""
    return _SEPS_RE.sub(_SEP, _DROP_RE.sub("", s)).strip(_SEP)


def _analyse(name: str, year: int | None = None) -> tuple[str, str, str, list[int]]:
    """(stem, tag, literal, years) of one name."""
    s = unicodedata.normalize("NFKC", str(name)).lower()
    years = [int(g) for m in _YEAR.finditer(s) for g in m.groups()[1:] if g]
    if not years:
        stem = _clean_nfkc(s)
        return stem, "", stem, []
    tag = "" if year is None else ",".join(f"{y - int(year):+d}" for y in years)
    return _clean_nfkc(_YEAR.sub(r"\1", s)), tag, _clean_nfkc(s), years


def _clean_many(s):
    import pyarrow.compute as pc
    s = pc.replace_substring_regex(s, _DROP_PATTERN, "")
    s = pc.replace_substring_regex(s, _SEPS_PATTERN, _SEP)
    return pc.utf8_trim(s, _SEP)


def _analyse_many(names: list[str], years: list[int]) -> tuple[list[str], list[str], list[str]]:
    """(stems, tags, literals) of many names at once, equal to _analyse name by name: Arrow kernels
    for names with at most one year token, _analyse for the rare rest."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if not names:
        return [], [], []
    s = pc.utf8_lower(pc.utf8_normalize(pa.array([str(n) for n in names], pa.string()), "NFKC"))
    count = pc.count_substring_regex(s, _YEAR_PATTERN).to_numpy(zero_copy_only=False)
    literals = _clean_many(s).to_pylist()
    stems = _clean_many(pc.replace_substring_regex(s, _YEAR_PATTERN, r"\1")).to_pylist()
    tags = np.full(len(names), "", dtype=object)
    one = np.flatnonzero(count == 1)
    if len(one):
        found = pc.extract_regex(pc.take(s, pa.array(one)), _YEAR_NAMED)
        offset = pc.cast(found.field("y1"), pa.int64()).to_numpy() - np.asarray(years, dtype=np.int64)[one]
        label = {o: f"{o:+d}" for o in np.unique(offset).tolist()}
        tags[one] = [label[o] for o in offset.tolist()]
        y2 = found.field("y2").to_numpy(zero_copy_only=False)
        for k in np.flatnonzero(y2 != "").tolist():          # a range "2023-2025年": rare
            i = int(one[k])
            tags[i] += f",{int(y2[k]) - int(years[i]):+d}"
    tags = tags.tolist()
    for i in np.flatnonzero(count > 1).tolist():
        stems[i], tags[i], literals[i], _ = _analyse(names[i], years[i])
    return stems, tags, literals


def year_tokens(name: str) -> list[int]:
    """The years written in a name, in order ("2023-2025年度X" gives [2023, 2025])."""
    return _analyse(name)[3]


def normalise_name(name: str) -> str:
    """The name's stem: year tokens, spaces, brackets, quotes and dashes removed, full-width made
    half-width, enumeration separators kept as one canonical "、"."""
    return _analyse(name)[0]


def literal_name(name: str) -> str:
    """The name with only spelling noise removed (year tokens kept): '2023 年度X' -> '2023年度x'."""
    return _analyse(name)[2]


def name_parts(name: str, year: int) -> tuple[str, str]:
    """(stem, year tag). The tag is each year token's offset from the project's own year, "" when
    the name has none: '2024 年市级科技计划项目' in 2024 -> ('市级科技计划项目', '+0');
    '市级科技计划项目' in 2024 -> ('市级科技计划项目', '').

    Why the tag. Removing the year is what lets '2023年招商引资' (2023) meet '2024 年招商引资'
    (2024). But it also makes two different 2024 projects equal strings: '2024年市级科技计划项目'
    (this year's round, 425 万元) and '市级科技计划项目' (money carried over from 2023, 50 万元).
    Whichever 2023 project one of them matched by stem, the other would match it too. So the year
    token is not thrown away: its offset from the record's year says what kind of name it is.
    Two names match by name only when the stems AND the tags are equal (a name re-dated every year,
    '2023年X' in 2023 <-> '2024年X' in 2024, or an award named after the previous year,
    '2022年省科学技术奖励资金' in 2023 <-> '2023 年省科学技术奖励资金' in 2024), or when they are
    literally the same name (a project carried over under its old name, or one with no year at all).
    A name that gained or lost its year token ('2023年市级科技计划项目' vs '市级科技计划项目')
    never matches by name: at most it is a fuzzy candidate, which a person confirms or rejects."""
    stem, tag, _, _ = _analyse(name, year)
    return stem, tag


_SPACE_PATTERN = r"\s+"
_SPACE_RE = re.compile(_SPACE_PATTERN, re.ASCII)


def project_key(code, name) -> str:
    """The identity of a project within (year, department) that survives a re-import: its code,
    else its name in NFKC without spaces (so re-typed spacing or full-width brackets keep it)."""
    if isinstance(code, str) and code.strip():
        return "code:" + code.strip()
    return "name:" + _SPACE_RE.sub("", unicodedata.normalize("NFKC", str(name)))


def _keys_many(codes: list, names: list[str]) -> list[str]:
    """project_key of many projects at once (Arrow kernels; equal to project_key one by one)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if not names:
        return []
    by_name = pc.binary_join_element_wise(
        "name:", pc.replace_substring_regex(pc.utf8_normalize(pa.array([str(n) for n in names], pa.string()), "NFKC"),
                                            _SPACE_PATTERN, ""), "")
    out = by_name.to_pylist()
    for i, c in enumerate(codes):
        if isinstance(c, str) and c.strip():
            out[i] = "code:" + c.strip()
    return out


def _keyed(df: pd.DataFrame) -> pd.DataFrame:
    """df with its project_key column ("key"), computed when it has none (a Prepared from stored parts
    leaves it out: finish() needs the keys of a few candidates and decided pairs, not of every project)."""
    if "key" in df:
        return df
    df = df.copy()
    # a text column even when empty (no decision of one kind): an empty list would make it float, and the
    # decisions' merge on it fail (str against float64)
    df["key"] = pd.Series(_keys_many(df["code"].tolist(), df["name"].tolist()), index=df.index, dtype="str")
    return df


def _identity(df: pd.DataFrame) -> pd.DataFrame:
    """id, year, department, code (None when blank), name."""
    df = df[["id", "year", "department", "code", "name"]].copy()
    code = df["code"].astype(object)
    df["code"] = code.where(code.notna() & (code.astype(str).str.strip() != ""), None)
    return df


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Add key, stem, tag and literal columns (only for projects the code tier left unmatched)."""
    df = df.copy()
    names, years = df["name"].tolist(), df["year"].tolist()
    df["key"] = _keys_many(df["code"].tolist(), names)
    df["stem"], df["tag"], df["literal"] = _analyse_many(names, years)
    return df


# ---------------------------------------------------------------- matching
@dataclass
class Matches:
    """pairs: base_id, target_id, match (code/name/confirmed), score.
    candidates: base_id, target_id, via (code/name/fuzzy), score, ambiguous, with names and keys;
    never applied until a person confirms one."""
    pairs: pd.DataFrame
    candidates: pd.DataFrame


_PAIR_COLS = ["base_id", "target_id"]


def _one_to_one(cand: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split pairs into those unique on both sides and the ambiguous rest."""
    if cand.empty:
        return cand, cand
    nb = cand.groupby("base_id")["target_id"].transform("size")
    nt = cand.groupby("target_id")["base_id"].transform("size")
    unique = (nb == 1) & (nt == 1)
    return cand[unique], cand[~unique]


def _pairs_on(b: pd.DataFrame, t: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    b = b.dropna(subset=on)
    t = t.dropna(subset=on)
    m = b[["id", *on]].merge(t[["id", *on]], on=on, suffixes=("_b", "_t"))
    return m.rename(columns={"id_b": "base_id", "id_t": "target_id"})[_PAIR_COLS]


def _without(pairs: pd.DataFrame, drop: pd.DataFrame) -> pd.DataFrame:
    if pairs.empty or drop.empty:
        return pairs
    m = pairs.merge(drop[_PAIR_COLS].drop_duplicates(), on=_PAIR_COLS, how="left", indicator=True)
    return m[m["_merge"] == "left_only"].drop(columns="_merge")


def _decided_pairs(decisions: pd.DataFrame | None, b: pd.DataFrame, t: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Stored decisions of one kind, mapped from identities to the current row ids."""
    if decisions is None or decisions.empty:
        return pd.DataFrame(columns=[*_PAIR_COLS, "score"])
    d = decisions[decisions["decision"] == kind]
    b = _keyed(b[b["department"].isin(d["base_department"])])       # keys of the decisions' departments only
    t = _keyed(t[t["department"].isin(d["target_department"])])
    d = d.merge(b[["id", "department", "key"]], left_on=["base_department", "base_key"],
                right_on=["department", "key"]).rename(columns={"id": "base_id"}).drop(columns=["department", "key"])
    d = d.merge(t[["id", "department", "key"]], left_on=["target_department", "target_key"],
                right_on=["department", "key"]).rename(columns={"id": "target_id"})
    return d[[*_PAIR_COLS, "score"]].drop_duplicates(_PAIR_COLS)


def fuzzy_candidates(b: pd.DataFrame, t: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD,
                     limit: int | None = MAX_CANDIDATES, max_block_pairs: int = MAX_BLOCK_PAIRS) -> pd.DataFrame:
    """Pairs (base_id, target_id, score) with fuzz.ratio of the stems >= threshold, blocked by
    department (a project does not change department between years), at most `limit` per target.
    A department block larger than max_block_pairs is narrowed to pairs sharing a rare character
    bigram (_rare_bigram_pairs), so the work grows with the data, not with its square."""
    out = []
    b = b[b["stem"] != ""]
    t = t[t["stem"] != ""]
    base_blocks = dict(tuple(b.groupby("department", sort=False)))
    for dept, tb in t.groupby("department", sort=False):
        bb = base_blocks.get(dept)
        if bb is None:
            continue
        bs, ts = bb["stem"].tolist(), tb["stem"].tolist()
        if len(bs) * len(ts) <= max_block_pairs:
            m = process.cdist(bs, ts, scorer=fuzz.ratio, score_cutoff=threshold, workers=-1, dtype=np.float32)
            i, j = np.nonzero(m)
            scores = m[i, j]
        else:
            i, j = _rare_bigram_pairs(bs, ts)
            scores = process.cpdist([bs[k] for k in i], [ts[k] for k in j], scorer=fuzz.ratio,
                                    workers=-1, dtype=np.float32) if len(i) else np.zeros(0, np.float32)
            keep = scores >= threshold
            i, j, scores = i[keep], j[keep], scores[keep]
        if len(i):
            out.append(pd.DataFrame({"base_id": bb["id"].to_numpy()[i], "target_id": tb["id"].to_numpy()[j],
                                     "score": scores.astype(float)}))
    if not out:
        return pd.DataFrame({"base_id": pd.Series(dtype="int64"), "target_id": pd.Series(dtype="int64"),
                             "score": pd.Series(dtype=float)})
    c = pd.concat(out, ignore_index=True).sort_values(["target_id", "score", "base_id"], ascending=[True, False, True])
    if limit is None:                   # every pair, in the order the per-target cap takes them
        return c.reset_index(drop=True)
    return c.groupby("target_id", sort=False).head(limit).reset_index(drop=True)


def _rare_bigram_pairs(bs: list[str], ts: list[str], cap: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (base, target) sharing a character bigram that at most `cap` names of the block
    contain. Common bigrams (项目, 资金, 专项) would pair everything with everything; a renamed
    project keeps some rarer piece of its name, and that is enough to be scored."""
    def grams(s):
        return {s[i:i + 2] for i in range(len(s) - 1)} or {s}

    gb, gt = [grams(s) for s in bs], [grams(s) for s in ts]
    freq = Counter()
    for g in gb + gt:
        freq.update(g)
    index = defaultdict(list)
    for j, g in enumerate(gt):
        for x in g:
            if freq[x] <= cap:
                index[x].append(j)
    pairs = {(i, j) for i, g in enumerate(gb) for x in g if freq[x] <= cap for j in index.get(x, ())}
    if not pairs:
        return np.zeros(0, int), np.zeros(0, int)
    arr = np.array(sorted(pairs))
    return arr[:, 0], arr[:, 1]


def match(base: pd.DataFrame, target: pd.DataFrame, decisions: pd.DataFrame | None = None,
          threshold: float = DEFAULT_THRESHOLD) -> Matches:
    """Match base-year projects to target-year projects (frames with id, year, department, code, name).

    Tiers, each only among projects still unmatched: the same code; the same name by the rule of
    name_parts; pairs a person confirmed. A project with two or more pairs in a tier is ambiguous:
    none of its pairs is applied, all are shown as candidates. Pairs a person rejected are never
    applied by name nor offered again. The rest get fuzzy candidates, never applied."""
    b, t = _identity(base), _identity(target)
    by_code, amb_code = _one_to_one(_pairs_on(b, t, ["department", "code"]))
    # Names, keys and decisions only for what the codes left open: at a province's scale most
    # projects carry a code, and normalising 400,000 names is the costly part.
    rb, rt = _prepare(b[~b["id"].isin(by_code["base_id"])]), _prepare(t[~t["id"].isin(by_code["target_id"])])
    b, t = rb, rt
    rejected = _decided_pairs(decisions, rb, rt, "rejected")
    confirmed = _decided_pairs(decisions, rb, rt, "confirmed")
    matched, ambiguous = [by_code.assign(match="code")], [amb_code.assign(via="code", score=100.0)]
    for kind in ("name", "confirmed"):
        if kind == "name":
            pairs = pd.concat([_pairs_on(rb, rt, ["department", "stem", "tag"]),
                               _pairs_on(rb, rt, ["department", "literal"])]).drop_duplicates()
        else:
            pairs = confirmed[confirmed["base_id"].isin(rb["id"]) & confirmed["target_id"].isin(rt["id"])][_PAIR_COLS]
        ok, amb = _one_to_one(_without(pairs, rejected))
        matched.append(ok.assign(match=kind))
        ambiguous.append(amb.assign(via=kind, score=100.0))
        rb, rt = rb[~rb["id"].isin(ok["base_id"])], rt[~rt["id"].isin(ok["target_id"])]
    pairs = pd.concat(matched, ignore_index=True)
    pairs = pairs.merge(confirmed, on=_PAIR_COLS, how="left")
    pairs.loc[pairs["match"] != "confirmed", "score"] = None

    amb = pd.concat(ambiguous, ignore_index=True)
    amb = amb[amb["base_id"].isin(rb["id"]) & amb["target_id"].isin(rt["id"])]
    fuzzy = _without(fuzzy_candidates(rb, rt, threshold), pd.concat([rejected[_PAIR_COLS], amb[_PAIR_COLS]]))
    return _candidates(pairs, amb, fuzzy, rejected, b, t)


# ---------------------------------------------------------------- the same in two stages
# match() again, split where the person's decisions come in, so that a confirm or reject does not redo
# the costly part (names analysed, codes and names paired, fuzzy similarities) at a province's scale:
# prepare() once per pair of years and data, finish() per set of decisions. finish(prepare(b, t), d)
# equals match(b, t, d) (tests/test_matching.py checks it) with one exception it reports by returning
# None: a rejected pair among the name tier's pairs changes which projects the name tier matches, and
# so everything after; the caller then runs match().
@dataclass
class Prepared:
    b: pd.DataFrame             # base projects left after the code tier, with key/stem/tag/literal
    t: pd.DataFrame
    by_code: pd.DataFrame       # code tier: applied pairs and ambiguous ones
    amb_code: pd.DataFrame
    name_pairs: pd.DataFrame    # every name-tier pair before rejections
    name_ok: pd.DataFrame       # the name tier without rejections: applied and ambiguous
    name_amb: pd.DataFrame
    fuzzy: pd.DataFrame         # fuzzy pairs of what the name tier leaves, uncapped, in cap order
    threshold: float


def prepare(base: pd.DataFrame, target: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> Prepared:
    b, t = _identity(base), _identity(target)
    by_code, amb_code = _one_to_one(_pairs_on(b, t, ["department", "code"]))
    rb, rt = _prepare(b[~b["id"].isin(by_code["base_id"])]), _prepare(t[~t["id"].isin(by_code["target_id"])])
    pairs = pd.concat([_pairs_on(rb, rt, ["department", "stem", "tag"]),
                       _pairs_on(rb, rt, ["department", "literal"])]).drop_duplicates()
    ok, amb = _one_to_one(pairs)
    left_b, left_t = rb[~rb["id"].isin(ok["base_id"])], rt[~rt["id"].isin(ok["target_id"])]
    fuzzy = fuzzy_candidates(left_b, left_t, threshold, limit=None)
    return Prepared(rb, rt, by_code, amb_code, pairs, ok, amb, fuzzy, threshold)


def finish(prep: Prepared, decisions: pd.DataFrame | None = None) -> Matches | None:
    """match()'s result from prepare()'s and the decisions; None when a rejection hits the name tier."""
    b, t = prep.b, prep.t
    rejected = _decided_pairs(decisions, b, t, "rejected")
    confirmed = _decided_pairs(decisions, b, t, "confirmed")
    if len(rejected) and len(prep.name_pairs.merge(rejected[_PAIR_COLS], on=_PAIR_COLS)):
        return None
    matched = [prep.by_code.assign(match="code"), prep.name_ok.assign(match="name")]
    ambiguous = [prep.amb_code.assign(via="code", score=100.0), prep.name_amb.assign(via="name", score=100.0)]
    rb, rt = b[~b["id"].isin(prep.name_ok["base_id"])], t[~t["id"].isin(prep.name_ok["target_id"])]
    pairs = confirmed[confirmed["base_id"].isin(rb["id"]) & confirmed["target_id"].isin(rt["id"])][_PAIR_COLS]
    ok, amb = _one_to_one(_without(pairs, rejected))
    matched.append(ok.assign(match="confirmed"))
    ambiguous.append(amb.assign(via="confirmed", score=100.0))
    rb, rt = rb[~rb["id"].isin(ok["base_id"])], rt[~rt["id"].isin(ok["target_id"])]
    pairs = pd.concat(matched, ignore_index=True)
    pairs = pairs.merge(confirmed, on=_PAIR_COLS, how="left")
    pairs.loc[pairs["match"] != "confirmed", "score"] = None

    amb = pd.concat(ambiguous, ignore_index=True)
    amb = amb[amb["base_id"].isin(rb["id"]) & amb["target_id"].isin(rt["id"])]
    fz = prep.fuzzy[prep.fuzzy["base_id"].isin(rb["id"]) & prep.fuzzy["target_id"].isin(rt["id"])]
    fz = fz.groupby("target_id", sort=False).head(MAX_CANDIDATES).reset_index(drop=True)
    return _candidates(pairs, amb, _without(fz, pd.concat([rejected[_PAIR_COLS], amb[_PAIR_COLS]])), rejected, b, t)


def _candidates(pairs, amb, fuzzy, rejected, b, t) -> Matches:
    """The Matches of match() and finish(): the candidates (ambiguous name pairs and fuzzy ones, less the
    rejected), flagged ambiguous, labelled with both sides' projects, most doubtful first."""
    cand = pd.concat([amb, fuzzy.assign(via="fuzzy")], ignore_index=True)
    cand = _without(cand, rejected)
    if len(cand):
        cand["ambiguous"] = (cand.groupby("base_id")["target_id"].transform("size") > 1) | \
                            (cand.groupby("target_id")["base_id"].transform("size") > 1)
    else:
        cand["ambiguous"] = pd.Series(dtype=bool)
    cols = ["id", "year", "department", "key", "name"]
    b, t = _keyed(b[b["id"].isin(cand["base_id"])]), _keyed(t[t["id"].isin(cand["target_id"])])
    cand = (cand.merge(b[cols].add_prefix("base_"), on="base_id")
                .merge(t[cols].add_prefix("target_"), on="target_id"))
    cand["department"] = cand["target_department"]
    cand = cand.sort_values(["ambiguous", "score", "target_id"], ascending=[False, False, True]).reset_index(drop=True)
    return Matches(pairs=pairs[[*_PAIR_COLS, "match", "score"]].reset_index(drop=True), candidates=cand)


# Prepared as rows (perfboard.year_pairs stores them, migration 008): its frames of id pairs, in order. The
# projects left after the code tier (b, t) are not stored: from_parts finds them again from the two years'
# projects and the stored code tier; only their identity and key are needed after prepare().
PARTS = ("by_code", "amb_code", "name_pairs", "name_ok", "name_amb", "fuzzy")


def parts(prep: Prepared) -> dict[str, pd.DataFrame]:
    """The frames of prep that from_parts needs, each with base_id, target_id (and score for fuzzy)."""
    return {k: getattr(prep, k) for k in PARTS}


def from_parts(base: pd.DataFrame, target: pd.DataFrame, frames: dict[str, pd.DataFrame],
               threshold: float) -> Prepared:
    """The Prepared that prepare(base, target, threshold) gave, from its stored frames (parts()), its b and t
    without the name analysis (stem, tag, literal) and without keys (finish() adds those it needs); finish()
    of it equals finish() of the original (tests/test_year_pairs.py checks it)."""
    b, t = _identity(base), _identity(target)
    by_code = frames["by_code"]
    rb, rt = b[~b["id"].isin(by_code["base_id"])], t[~t["id"].isin(by_code["target_id"])]   # keys: see _keyed
    pairs = {k: frames[k][_PAIR_COLS] for k in PARTS if k != "fuzzy"}
    return Prepared(rb, rt, pairs["by_code"], pairs["amb_code"], pairs["name_pairs"], pairs["name_ok"],
                    pairs["name_amb"], frames["fuzzy"][[*_PAIR_COLS, "score"]], float(threshold))


# ---------------------------------------------------------------- stored decisions
def decisions(store: Store, base_year: int, year: int) -> pd.DataFrame:
    """Stored decisions between the two years, oriented base -> target (decisions made with the
    years the other way round are turned around, so comparing 2024 with 2023 reuses them)."""
    d = store.df("project_matches", {"base_year": base_year, "year": year})
    flip = d["base_year"] != base_year
    if flip.any():
        cols = ["year", "department", "key", "name"]
        swapped = d.loc[flip].rename(columns={**{f"base_{c}": f"target_{c}" for c in cols},
                                              **{f"target_{c}": f"base_{c}" for c in cols}})
        d = pd.concat([d.loc[~flip], swapped[d.columns]], ignore_index=True)
    return d


def match_years(store: Store, base_year: int, year: int, departments: tuple[str, ...] = (),
                threshold: float | None = None) -> Matches:
    """Match every project of two years (within the given departments; matching is per department)."""
    from . import scope
    from .filters import Filters
    df = scope.run(store, "compare_projects", Filters(departments=tuple(departments)), {"years": [base_year, year]})
    if threshold is None:
        threshold = float(store.get_setting("match_threshold", DEFAULT_THRESHOLD))
    return match(df[df["year"] == base_year], df[df["year"] == year], decisions(store, base_year, year), threshold)


PAIR_FIELDS = ["base_year", "base_department", "base_key", "target_year", "target_department", "target_key"]


def pair_of(base: dict, target: dict, score: float | None = None) -> dict:
    """A pair as decide()/undo() take it, from two projects (mappings with year, department, code, name)."""
    return {"base_year": int(base["year"]), "base_department": base["department"],
            "base_key": project_key(base.get("code"), base["name"]), "base_name": base["name"],
            "target_year": int(target["year"]), "target_department": target["department"],
            "target_key": project_key(target.get("code"), target["name"]), "target_name": target["name"],
            "score": score}


def _actor(store: Store, pair: dict, user):
    """The acting user of a decision: allowed to edit both projects' departments (a decision changes
    what 同比分析 shows everyone). None (or a name) is the local administrator, only in single-user mode."""
    actor = auth.resolve(store, user)
    for department in dict.fromkeys([str(pair["base_department"]), str(pair["target_department"])]):
        auth.require(actor, "edit", department)
    return actor


def decide(store: Store, pair: dict, decision: str, user=None) -> None:
    """Store a person's decision on a pair (a candidates row or pair_of()), replacing an earlier one, as
    `user` (a perfboard.auth.User; PermissionDenied unless they may edit both departments). The decision
    is logged in match_log (修改记录)."""
    assert decision in ("confirmed", "rejected"), decision
    actor = _actor(store, pair, user)
    key = _key(pair)
    score = pair.get("score")
    score = None if score is None or pd.isna(score) else float(score)
    now = datetime.now()
    with store.transaction() as cur:       # changes no project: the stored matchings stay (perfboard.year_pairs)
        _delete(cur, key)
        _delete(cur, key[3:] + key[:3])
        cur.execute("INSERT INTO project_matches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [*key, pair.get("base_name"), pair.get("target_name"), decision, score, actor.name, now])
        _log(cur, now, actor.name, decision, key, pair, score)


def undo(store: Store, pair: dict, user=None) -> None:
    """Forget the decision on a pair (in either orientation): it becomes a candidate again. Same
    permission as decide(); the undo is logged too."""
    actor = _actor(store, pair, user)
    key = _key(pair)
    now = datetime.now()
    with store.transaction() as cur:
        _delete(cur, key)
        _delete(cur, key[3:] + key[:3])
        _log(cur, now, actor.name, "undone", key, pair, None)


def _log(cur, now, user_name: str, action: str, key: list, pair: dict, score) -> None:
    next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM match_log").fetchall()[0][0]
    cur.execute("INSERT INTO match_log (id, decided_at, user_name, action, base_year, base_department, base_key,"
                " base_name, target_year, target_department, target_key, target_name, score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [next_id, now, user_name, action, *key[:3], pair.get("base_name"), *key[3:], pair.get("target_name"),
                 score])


def _key(pair: dict) -> list:
    return [int(pair["base_year"]), str(pair["base_department"]), str(pair["base_key"]),
            int(pair["target_year"]), str(pair["target_department"]), str(pair["target_key"])]


def _delete(cur, key: list) -> None:
    cur.execute("DELETE FROM project_matches WHERE base_year = ? AND base_department = ? AND base_key = ?"
                " AND target_year = ? AND target_department = ? AND target_key = ?", key)
