"""Scores and grades by the national self-evaluation rules (execution 10 + indicators 90), built on the
indicator status judged in indicators.py; every constant comes from the 'scoring' setting."""
from __future__ import annotations

import copy
import json
import math
import re
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import cells, scope
from .db import Store
from .filters import Filters
from .indicators import STATUS_ZH, indicator_rows, parsed_values, with_status
from .summary import projects
from .targets import completion_ratio, effective_direction
from .versions import notes_blind

SETTING_KEY = "scoring"

DEFAULTS: dict = {
    "total": 100.0,
    "execution_weight": 10.0,                       # 预算执行率 分值
    # Default 一级 weights, used only to estimate when a project has no 分值 at all.
    "class_weights": {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0},
    # A 一级 spelled differently that shares another's default weight: 成本 was part of 产出 until
    # some provinces made it a 一级 of its own.
    "class_aliases": {"成本指标": "产出指标"},
    # Coefficients of a person's judgement (qualitative indicators, or any indicator judged by hand).
    "coefficients": {"达成": 1.0, "部分达成": 0.8, "未达成": 0.5},
    # A quantitative indicator judged unmet scores its completion ratio, but never full marks: at a
    # strict boundary ('>95%' with 95% achieved) the ratio is 1 while the target was not met.
    "unmet_max_ratio": 0.99,
    "grades": [[90.0, "优"], [80.0, "良"], [60.0, "中"], [0.0, "差"]],
    # A reported 得分 / 总分 further than this from the computed one is a finding.
    "score_tolerance": 0.05,
}

# Allowed ranges of the judgement coefficients (national rules): 部分达成 in (60%, 80%], 未达成 in [0, 60%].
COEFFICIENT_BOUNDS = {"达成": (1.0, 1.0, True), "部分达成": (0.6, 0.8, False), "未达成": (0.0, 0.6, True)}

FINDINGS_ZH = {
    "score-mismatch": "填报得分与计算得分不一致",
    "total-mismatch": "填报总分与计算总分不一致",
    "unmet-no-note": "未完成指标缺少偏差原因",
    "missing-actual": "指标缺少实际完成值",
    "not-judged": "指标尚未判定（无目标值或定性指标未选择判定）",
    "weights-sum": "指标分值合计不等于应有分值",
    "weight-missing": "部分指标未填写分值",
    "unclassified": "一级指标无法归类，估算时未计分",
    "no-indicators": "项目没有绩效指标",
    "no-budget": "全年预算数为 0，无法计算执行率得分",
}

GRADES = ("优", "良", "中", "差")
BASIS_ZH = {"met": "达成，满分", "ratio": "未达成，按完成比例", "judgement": "按人工判定的系数",
            "missing": "缺实际完成值，0 分", "not-judged": "尚未判定，0 分", "na": "不适用，分值分给同类指标",
            "reported": "未判定，按填报得分"}


# ---------------------------------------------------------------- settings
def validate_settings(cfg: dict) -> list[str]:
    """Problems with a scoring configuration, in Chinese; empty when it can be used."""
    problems = []
    try:
        total, ew = float(cfg["total"]), float(cfg["execution_weight"])
        if not (0 <= ew <= total):
            problems.append(f"预算执行率分值 {ew:g} 应在 0 到总分 {total:g} 之间。")
        if any(float(w) < 0 for w in cfg["class_weights"].values()):
            problems.append("一级指标默认分值不能为负数。")
        if not any(float(w) > 0 for w in cfg["class_weights"].values()):
            problems.append("至少一个一级指标的默认分值应大于 0。")
        for name, (lo, hi, closed_lo) in COEFFICIENT_BOUNDS.items():
            c = float(cfg["coefficients"][name])
            ok = (lo <= c if closed_lo else lo < c) and c <= hi
            if not ok:
                rng = f"{'[' if closed_lo else '('}{lo:.0%}, {hi:.0%}]"
                problems.append(f"“{name}”的得分系数 {c:.0%} 应在 {rng} 内。")
        if not 0 <= float(cfg["unmet_max_ratio"]) < 1:
            problems.append("未完成定量指标的得分比例上限应在 [0, 1) 内。")
        grades = [(float(t), str(g)) for t, g in cfg["grades"]]
        if [t for t, _ in grades] != sorted((t for t, _ in grades), reverse=True) or not grades or grades[-1][0] > 0:
            problems.append("等级分数线应从高到低排列，且最后一档为 0。")
        if float(cfg["score_tolerance"]) < 0:
            problems.append("得分比对容差不能为负数。")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"评分设置格式有误：{exc}")
    return problems


@notes_blind
def scoring_settings(store: Store | None) -> dict:
    """DEFAULTS overlaid with the stored 'scoring' setting; an unusable stored value falls back to DEFAULTS."""
    from .overlay import stored_settings
    return stored_settings(store, SETTING_KEY, DEFAULTS, "coefficients", validate_settings)   # one coefficient may be stored alone


def save_scoring_settings(store: Store, cfg: dict, user=None) -> None:
    """Store a scoring configuration as `user` (administrators only; audited in settings_log); raises
    ValueError (Chinese message) when it is not usable, auth.PermissionDenied for a non-administrator."""
    from .auth import change_setting
    merged = {**copy.deepcopy(DEFAULTS), **cfg}
    problems = validate_settings(merged)
    if problems:
        raise ValueError("；".join(problems))
    change_setting(store, SETTING_KEY, merged, user)


def grade_of(total: float | None, cfg: dict = DEFAULTS) -> str | None:
    if total is None or not math.isfinite(total):
        return None
    for threshold, name in cfg["grades"]:
        if total >= float(threshold) - 1e-9:
            return name
    return cfg["grades"][-1][1]


# ---------------------------------------------------------------- one project
@dataclass
class Finding:
    code: str
    message: str
    indicator_id: int | None = None
    indicator: str | None = None      # 三级指标

    def text(self) -> str:
        return f"{self.indicator}：{self.message}" if self.indicator else self.message


@dataclass
class ProjectScore:
    project_id: int | None
    execution_rate: float | None
    execution_weight: float
    execution_score: float
    indicator_weight: float           # points the indicators were worth (90 by default)
    indicator_score: float
    total: float
    grade: str | None                 # None while an indicator is not judged or lacks its actual (待判定)
    estimated: bool                   # default weights were used: label 估算
    indicators: pd.DataFrame          # input rows + class, weight_used, coefficient, basis, score
    findings: list[Finding] = field(default_factory=list)

    @property
    def finding_codes(self) -> list[str]:
        return list(dict.fromkeys(f.code for f in self.findings))

    def table(self) -> pd.DataFrame:
        """Per indicator, for a person: 一级, 三级, 状态, 计分分值, 得分比例, 得分, 计分依据."""
        df = self.indicators
        return pd.DataFrame({
            "一级指标": df["level1"], "三级指标": df["level3"], "状态": df["status"].map(STATUS_ZH),
            "计分分值": df["weight_used"].round(2), "得分比例": df["coefficient"],
            "得分": df["score"].astype(float).round(2), "计分依据": df["basis"].map(BASIS_ZH),
        })

    def as_dict(self) -> dict:
        return {"execution_rate": self.execution_rate, "execution_score": self.execution_score,
                "indicator_score": self.indicator_score, "total": self.total, "grade": self.grade,
                "estimated": self.estimated, "findings": self.finding_codes}


_BRACKETS = re.compile(r"[（(【\[].*?[）)】\]]")


def class_of(level1, cfg: dict = DEFAULTS) -> str | None:
    """The scoring class (a key of class_weights) of a 一级指标 as written: "产出指标（50分）" -> 产出指标."""
    if not isinstance(level1, str):
        return None
    s = _BRACKETS.sub("", cells.norm(level1))
    if not s:
        return None
    for name in cfg["class_weights"]:
        if cells.norm(name).removesuffix("指标") in s:
            return name
    for alias, target in cfg["class_aliases"].items():
        if cells.norm(alias).removesuffix("指标") in s and target in cfg["class_weights"]:
            return target
    return None


def _present(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and str(x).strip() != ""


def _number(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _coefficient(row: dict, cfg: dict) -> tuple[float | None, str]:
    """Share of its weight an indicator earns, and why: judgement / met / ratio / missing / not-judged / na."""
    status = row["status"]
    if status == "na":
        return None, "na"
    judgement = cells.norm(row.get("judgement")) if _present(row.get("judgement")) else None
    if judgement in cfg["coefficients"]:
        return float(cfg["coefficients"][judgement]), "judgement"
    if status == "met":
        return 1.0, "met"
    if status == "unmet":
        target, actual = parsed_values(row)
        ratio = completion_ratio(effective_direction(target), target.value, actual.value)
        return min(ratio, float(cfg["unmet_max_ratio"])), "ratio"
    if status == "missing":
        return 0.0, "missing"
    # Forms carry no judgement column: for an indicator the app cannot judge, the 得分 a person wrote
    # next to its 分值 is that person's judgement.
    reported, weight = _number(row.get("reported_score")), _number(row.get("weight"))
    if reported is not None and weight and weight > 0:
        return min(max(reported / weight, 0.0), 1.0), "reported"
    return 0.0, "not-judged"


def _weights(df: pd.DataFrame, indicator_total: float, cfg: dict) -> tuple[list[float], bool, list[Finding]]:
    """The weight each indicator counts with. Not-applicable rows get 0 and their weight goes to the
    rest of their 一级 (or, when a whole 一级 is not applicable, to the other classes)."""
    findings: list[Finding] = []
    active = [r["status"] != "na" for r in df.to_dict("records")]
    given = [_number(w) for w in df["weight"]]
    n = len(df)
    if all(w is None for w in given):
        classes = list(df["class"])
        counts: dict[str, int] = {}
        for c, a in zip(classes, active):
            if a and c is not None:
                counts[c] = counts.get(c, 0) + 1
        class_total = sum(float(cfg["class_weights"][c]) for c in counts)
        weights = [0.0] * n
        if class_total > 0:
            scale = indicator_total / class_total
            for i, (c, a) in enumerate(zip(classes, active)):
                if a and c is not None:
                    weights[i] = float(cfg["class_weights"][c]) * scale / counts[c]
            for i, (c, a) in enumerate(zip(classes, active)):
                if a and c is None:
                    findings.append(Finding("unclassified", f"一级指标“{df['level1'].iloc[i] or '（空）'}”无法归入"
                                            + "、".join(cfg["class_weights"]) + "，估算时未计分",
                                            _int(df["id"].iloc[i]), df["level3"].iloc[i]))
        elif any(active):              # no row maps to a known class: share the points evenly
            k = sum(active)
            weights = [indicator_total / k if a else 0.0 for a in active]
        return weights, True, findings

    if any(w is None for w in given):
        missing = sum(w is None for w in given)
        findings.append(Finding("weight-missing", f"{missing} 条指标未填写分值，按 0 分计"))
    base = [w or 0.0 for w in given]
    weights = list(base)
    groups: dict[str, list[int]] = {}
    for i, l1 in enumerate(df["level1"]):
        groups.setdefault(cells.norm(l1) if _present(l1) else "", []).append(i)
    for rows in groups.values():
        group_total = sum(base[i] for i in rows)
        live = [i for i in rows if active[i]]
        for i in rows:
            if not active[i]:
                weights[i] = 0.0
        if not live or len(live) == len(rows):
            continue
        live_total = sum(base[i] for i in live)
        for i in live:
            weights[i] = base[i] * group_total / live_total if live_total > 0 else group_total / len(live)
    kept, original = sum(weights), sum(base)
    if 0 < kept < original - 1e-9:      # a whole 一级 was not applicable: keep the indicators' total
        weights = [w * original / kept for w in weights]
    return weights, False, findings


def _int(x) -> int | None:
    v = _number(x)
    return int(v) if v is not None else None


def score_project(project: dict, indicators: pd.DataFrame, cfg: dict = DEFAULTS) -> ProjectScore:
    """Score one project. `project` needs budget and spent (execution_weight, execution_reported_score and
    reported_total_score when known); `indicators` has the indicators table's columns and `status`."""
    findings: list[Finding] = []
    budget, spent = _number(project.get("budget")), _number(project.get("spent"))
    rate = spent / budget if budget and budget > 0 and spent is not None else None
    exec_weight = _number(project.get("execution_weight"))
    exec_weight = float(cfg["execution_weight"]) if exec_weight is None else exec_weight
    indicator_total = float(cfg["total"]) - exec_weight
    if rate is None:
        findings.append(Finding("no-budget", FINDINGS_ZH["no-budget"]))
    exec_score = round(min(max(rate or 0.0, 0.0), 1.0) * exec_weight, 2)

    df = indicators.reset_index(drop=True).copy()
    if "status" not in df.columns:
        df = with_status(df)
    # object, not pandas' inferred str dtype: that would turn an unclassified row's None into NaN
    df["class"] = pd.Series([class_of(x, cfg) for x in df["level1"]], index=df.index, dtype=object)
    if not len(df):
        findings.append(Finding("no-indicators", FINDINGS_ZH["no-indicators"]))
        weights, estimated = [], True
    else:
        weights, estimated, wfind = _weights(df, indicator_total, cfg)
        findings += wfind
    coeffs = [_coefficient(r, cfg) for r in df.to_dict("records")]
    df["weight_used"] = weights
    df["coefficient"] = [c for c, _ in coeffs]
    df["basis"] = [b for _, b in coeffs]
    df["score"] = [w * (c or 0.0) if c is not None else None for w, c in zip(weights, df["coefficient"])]
    tol = float(cfg["score_tolerance"])

    for r in df.to_dict("records"):
        iid, name = _int(r.get("id")), r.get("level3")
        note = _present(r.get("deviation_note"))
        below_full = r["status"] == "unmet" or (r["basis"] == "reported" and r["coefficient"] < 1)
        if below_full and not note:
            findings.append(Finding("unmet-no-note", "未完成目标但未填写偏差原因", iid, name))
        elif r["status"] == "missing":
            findings.append(Finding("missing-actual", "缺少实际完成值", iid, name))
        elif r["basis"] == "not-judged":
            findings.append(Finding("not-judged", "无法自动判定，请选择判定结果（达成/部分达成/未达成/不适用）", iid, name))
        reported = _number(r.get("reported_score"))
        if reported is not None and r["score"] is not None and abs(reported - r["score"]) > tol:
            findings.append(Finding("score-mismatch", f"填报得分 {reported:g}，计算得分 {r['score']:.2f}", iid, name))

    if not estimated:
        weight_sum = sum(_number(w) or 0.0 for w in df["weight"])
        if abs(weight_sum - indicator_total) > 0.005:
            findings.append(Finding("weights-sum", f"指标分值合计 {weight_sum:g} 分，应为 {indicator_total:g} 分"))
    indicator_score = round(sum(s for s in df["score"] if s is not None and not pd.isna(s)), 2)
    total = round(exec_score + indicator_score, 2)
    # An indicator nobody could judge scores 0, so the total is a lower bound: no grade until it is judged.
    complete = len(df) > 0 and not any(b in ("missing", "not-judged") for b in df["basis"])

    reported_exec = _number(project.get("execution_reported_score"))
    if reported_exec is not None and abs(reported_exec - exec_score) > tol:
        findings.append(Finding("score-mismatch", f"预算执行率填报得分 {reported_exec:g}，计算得分 {exec_score:.2f}"))
    reported_total = _number(project.get("reported_total_score"))
    if reported_total is not None and abs(reported_total - total) > tol:
        findings.append(Finding("total-mismatch", f"填报总分 {reported_total:g}，计算总分 {total:.2f}"))

    return ProjectScore(project_id=_int(project.get("id")), execution_rate=rate, execution_weight=exec_weight,
                        execution_score=exec_score, indicator_weight=indicator_total,
                        indicator_score=indicator_score, total=total, grade=grade_of(total, cfg) if complete else None,
                        estimated=estimated, indicators=df, findings=findings)


# ---------------------------------------------------------------- many projects
def _score_inputs(store: Store, project_df: pd.DataFrame) -> pd.DataFrame:
    extra = store.df("score_inputs", tables={"project_ids": project_df[["id"]]})
    return project_df.merge(extra, on="id", how="left")


def scores(store: Store, filters: Filters = Filters()) -> list[tuple[dict, ProjectScore]]:
    """(project row, score) for every project under the filters, in the projects query's order."""
    cfg = scoring_settings(store)
    project_df = projects(store, filters)
    if not len(project_df):
        return []
    project_df = _score_inputs(store, project_df)
    rows = indicator_rows(store, filters, project_df)
    by_project = {pid: g for pid, g in rows.groupby("project_id", sort=False)}
    empty = rows.iloc[0:0]
    return [(p, score_project(p, by_project.get(p["id"], empty), cfg)) for p in project_df.to_dict("records")]


SCORE_COLUMNS = ["id", "execution_score", "indicator_score", "total", "grade", "estimated", "findings"]


def project_scores_by_project(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """project_scores the slow way, score_project per project: the reference the vectorised path is tested
    and benchmarked against."""
    rows = [{"id": int(p["id"]), "execution_score": s.execution_score, "indicator_score": s.indicator_score,
             "total": s.total, "grade": s.grade, "estimated": s.estimated, "findings": s.finding_codes}
            for p, s in scores(store, filters)]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


# Below this share of their id range, the filtered projects' indicators are fetched by id, not by range.
_DENSE = 0.3
# Projects scored per pass (by id): ~10 indicators each, so about 200,000 rows in memory at a time.
_CHUNK = 20_000
# Per Store, the scores computed so far under one data version and scoring configuration: a filter change
# then scores only projects not seen yet (often none). A write bumps the data version, which empties it.
_CACHE: "weakref.WeakKeyDictionary[Store, tuple[tuple, pd.DataFrame]]" = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


@contextmanager
def scores_not_kept(store: Store):
    """Scores computed inside are not kept in project_scores' cache of `store` beyond the block: what it held
    before is put back (compare.warm's older pairs: memory stays that of the years a page asked for)."""
    with _CACHE_LOCK:
        before = _CACHE.get(store)
    try:
        yield
    finally:
        with _CACHE_LOCK:
            if before is None:
                _CACHE.pop(store, None)
            else:
                _CACHE[store] = before


def project_scores(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per filtered project, in the projects query's order: id, execution_score, indicator_score,
    total, grade, estimated (default weights were used: show 估算) and findings (list of codes; lists are
    shared between rows, do not change them). Join on id.

    Equal to score_project's results for every project (tests/test_scoring_fast.py), computed for all
    projects at once from numbers fetched by queries/score_*.sql (see _vector_scores), and kept per store
    until the data version or the scoring settings change."""
    cfg = scoring_settings(store)
    key = (store.data_version(), json.dumps(cfg, ensure_ascii=False))     # dict order counts: class_of
    pj = scope.run(store, "score_projects", filters)
    if not len(pj):
        return pd.DataFrame(columns=SCORE_COLUMNS)
    ids = pj["id"].to_numpy(dtype=np.int64)
    with _CACHE_LOCK:
        entry = _CACHE.get(store)
    known = entry[1] if entry is not None and entry[0] == key else pd.DataFrame(columns=SCORE_COLUMNS)
    known_ids = known["id"].to_numpy(dtype=np.int64)
    at = np.minimum(np.searchsorted(known_ids, ids), max(len(known_ids) - 1, 0))
    seen = (known_ids[at] == ids) if len(known_ids) else np.zeros(len(ids), dtype=bool)
    if not seen.all():
        todo = pj[~seen].sort_values("id", kind="stable")
        parts = []
        for start in range(0, len(todo), _CHUNK):             # a bounded slice of indicator rows in memory at once
            part = _score_projects(store, todo.iloc[start:start + _CHUNK], cfg)
            if part is None:   # a row's 一级/判定 text written after the labels query was read
                return project_scores_by_project(store, filters)
            parts.append(part)
        new = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        known = pd.concat([known, new], ignore_index=True) if len(known) else new
        known = known.sort_values("id", kind="stable", ignore_index=True)
        known_ids = known["id"].to_numpy(dtype=np.int64)
        with _CACHE_LOCK:
            _CACHE[store] = (key, known)
        at = np.searchsorted(known_ids, ids)
    return known.iloc[at].reset_index(drop=True)


@notes_blind
def project_grades(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """project_scores without its findings (whose "unmet-no-note" reads whether a 偏差原因 is written): the
    totals, grades and estimates the pages' grade lines and 同比分析's score columns show, which no note
    changes, so a save of notes only keeps their cache (perfboard.versions)."""
    return project_scores(store, filters).drop(columns="findings")


def _score_projects(store: Store, pj: pd.DataFrame, cfg: dict, rows: bool = False):
    """SCORE_COLUMNS of the projects `pj` (score_projects.sql's rows), ordered by id (rows=True: and the
    indicator rows, see _vector_scores); None: see project_scores."""
    ids = pj["id"].to_numpy(dtype=np.int64)
    lo, hi = int(ids.min()), int(ids.max())
    labels = store.df("score_labels", {"lo": lo, "hi": hi})
    # "" first: never an empty list (no type to bind), and a row's "" finds itself either way
    texts = {kind: [""] + labels.loc[labels["kind"] == kind, "text"].tolist() for kind in ("level1", "judgement")}
    params = {"spaces": _SPACES, "level1_texts": texts["level1"], "judgement_texts": texts["judgement"]}
    if len(ids) >= _DENSE * (hi - lo + 1):
        ind = store.df("score_indicators", {**params, "lo": lo, "hi": hi})
    else:
        ind = store.df("score_indicators_of", params, tables={"project_ids": pd.DataFrame({"id": ids})})
    return _vector_scores(pj, ind, texts, cfg, lambda row_ids: store.df("score_rows", {"ids": row_ids.tolist()}),
                          with_rows=rows)


ROW_COLUMNS = ["id", "project_id", "weight_used", "score"]


def score_table(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """project_scores with each project's identity, in the projects query's order: id, year, department,
    name, execution_rate (score_project's: spent ÷ budget, None without a positive budget) and
    SCORE_COLUMNS. What `score --json` and the scores export show."""
    ident = scope.run(store, "score_identity", filters)
    s = project_scores(store, filters)
    if not len(ident):
        return pd.DataFrame(columns=["id", "year", "department", "name", "execution_rate"] + SCORE_COLUMNS[1:])
    # same filter, same order; a write in between (another data version) is re-aligned on id
    if len(s) != len(ident) or not (s["id"].to_numpy() == ident["id"].to_numpy()).all():
        s = ident[["id"]].merge(s, on="id", how="left")
    budget, spent = _finite_or_nan(ident["budget"]), _finite_or_nan(ident["spent"])
    ok = ~np.isnan(budget) & (budget > 0) & ~np.isnan(spent)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(ok, spent / np.where(ok, budget, 1.0), np.nan)
    out = ident[["id", "year", "department", "name"]].reset_index(drop=True)
    out["execution_rate"] = pd.Series(rate).astype(object).where(ok, None).to_numpy()
    for c in SCORE_COLUMNS[1:]:
        out[c] = s[c].to_numpy()
    return out


def _report_items(t: pd.DataFrame) -> list[dict]:
    cols = [t[c].tolist() for c in ("year", "department", "name", "execution_rate", "execution_score",
                                     "indicator_score", "total", "grade", "estimated", "findings")]
    return [{"year": int(y), "department": d, "name": n, "execution_rate": r, "execution_score": es,
             "indicator_score": i, "total": tot, "grade": g if isinstance(g, str) else None, "estimated": bool(e),
             "findings": list(f)}
            for y, d, n, r, es, i, tot, g, e, f in zip(*cols)]


# Items of `score --json` built (and written) per chunk, so the whole list never sits in memory.
REPORT_CHUNK = 20_000


def iter_score_report(store: Store, filters: Filters = Filters(), chunk: int | None = None):
    """score_report's items, `chunk` (default REPORT_CHUNK) at a time (lists), in the same order."""
    chunk = chunk or REPORT_CHUNK
    t = score_table(store, filters)
    for start in range(0, len(t), chunk):
        yield _report_items(t.iloc[start:start + chunk])


def score_report(store: Store, filters: Filters = Filters()) -> list[dict]:
    """`score --json`: per project its identity and scores (ProjectScore.as_dict), from the vectorised
    scoring (equal to score_project's, tests/test_scoring_fast.py)."""
    return _report_items(score_table(store, filters))


@dataclass
class FormScore:
    """What a 自评表 shows of a project's score (the fields of ProjectScore it uses) and, per indicator id,
    (weight_used, score)."""
    execution_rate: float | None
    execution_weight: float
    execution_score: float
    indicator_weight: float
    total: float
    estimated: bool
    indicators: dict


def form_scores(store: Store, filters: Filters, project_ids) -> dict[int, FormScore]:
    """{project id: FormScore} for the filtered projects among `project_ids`, vectorised (scores
    equal to score_project's: tests/test_scoring_fast.py)."""
    cfg = scoring_settings(store)
    ids = pd.DataFrame({"id": pd.Series([int(i) for i in project_ids], dtype="int64")})
    if ids.empty:
        return {}
    pj = scope.run(store, "score_projects", filters)
    pj = pj[pj["id"].isin(ids["id"])].sort_values("id", kind="stable")
    out: dict[int, FormScore] = {}
    for start in range(0, len(pj), _CHUNK):
        part = pj.iloc[start:start + _CHUNK]
        got = _score_projects(store, part, cfg, rows=True)
        if got is None:            # a text written in between: the slow way for these projects
            slow = {int(p["id"]): s for p, s in scores(store, filters) if int(p["id"]) in set(part["id"])}
            for pid, s in slow.items():
                out[pid] = FormScore(s.execution_rate, s.execution_weight, s.execution_score, s.indicator_weight,
                                     s.total, s.estimated,
                                     {int(r["id"]): (r["weight_used"], r["score"]) for r in s.indicators.to_dict("records")})
            continue
        sp, rows = got
        budget, spent = _finite_or_nan(part["budget"]), _finite_or_nan(part["spent"])
        by_project = {pid: g for pid, g in rows.groupby("project_id", sort=False)}
        for p, b, sv in zip(sp.itertuples(index=False), budget, spent):
            g = by_project.get(p.id)
            ind = {} if g is None else {int(i): (w, None if np.isnan(sc) else sc)
                                        for i, w, sc in zip(g["id"].tolist(), g["weight_used"].tolist(), g["score"].tolist())}
            rate = sv / b if not np.isnan(b) and b > 0 and not np.isnan(sv) else None
            out[int(p.id)] = FormScore(rate, float(p.execution_weight), float(p.execution_score),
                                       float(p.indicator_weight), float(p.total), bool(p.estimated), ind)
    return out


# ---------------------------------------------------------------- many projects at once
# The vectorised twin of score_project: the same rules, for every project of a frame at once, with numpy over
# the indicator rows (sorted by project, then form order). Every float is computed with the same operations in
# the same order as score_project (sums added left to right in form order, Python's round), so the results are
# equal, not just close; tests/test_scoring_fast.py compares the two on the sample, on synthetic data and on
# random indicator sets.

# The characters str.strip() removes: a 偏差原因 of only these is not written (_present).
_SPACES = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
STATUS_CODES = ("met", "unmet", "missing", "no_target", "pending", "na")
_MET, _UNMET, _MISSING, _NA = 0, 1, 2, 5
# bases (BASIS_ZH keys) as codes
_B_NA, _B_JUDGEMENT, _B_MET, _B_RATIO, _B_MISSING, _B_REPORTED, _B_NOT_JUDGED = range(7)
# the findings a row can give, in the order score_project checks them
_ROW_CODES = ("unmet-no-note", "missing-actual", "not-judged", "score-mismatch")


def _finite_or_nan(x) -> np.ndarray:
    """_number over a column: the float, or NaN for None / NaN / inf."""
    v = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(v), v, np.nan)


def _round2(x: np.ndarray) -> np.ndarray:
    """Python's round(v, 2) for every v: numpy where the decimal rounding is unambiguous, round() itself
    near a tie (x.xx5) or for huge / non-finite values."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x * 100.0
        out = np.rint(y) / 100.0
        frac = np.abs(y - np.floor(y))
        doubt = ~np.isfinite(y) | (np.abs(y) > 1e9) | (np.abs(frac - 0.5) < 1e-6)    # y exact to < 1e-6 below 1e9
    for i in np.flatnonzero(doubt):
        out[i] = round(float(x[i]), 2)
    return out


def _completion_ratio(direction: np.ndarray, t: np.ndarray, a: np.ndarray) -> np.ndarray:
    """targets.completion_ratio over arrays; direction 0 (≥ >, and anything read as ≥), 1 (≤ <), 2 (=)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ge = np.where(t <= 0, np.where(a >= t, 1.0, 0.0), a / t)
        le = np.where(a <= 0, 1.0, t / a)
        equal = np.abs(a - t) <= 1e-9 * np.maximum(1.0, np.abs(t))
        eq = np.where(equal, 1.0, np.where((t == 0) | (a == 0), 0.0, np.minimum(a / t, t / a)))
        ratio = np.where(direction == 1, le, np.where(direction == 2, eq, ge))
        ratio = np.where(np.isfinite(ratio), ratio, 0.0)
        ratio = np.minimum(np.maximum(ratio, 0.0), 1.0)
    return np.where(np.isfinite(t) & np.isfinite(a), ratio, 0.0)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, each value's index among them) for small non-negative integers or any int64."""
    if len(values) and 0 <= values.min() and values.max() < 1 << 20:
        present = np.flatnonzero(np.bincount(values))
        lookup = np.zeros(int(values.max()) + 1, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        return present, lookup[values]
    codes, uniques = pd.factorize(values)
    return np.asarray(uniques), codes


def _vector_scores(pj: pd.DataFrame, ind: pd.DataFrame, texts: dict[str, list], cfg: dict, fetch_rows,
                   with_rows: bool = False):
    """SCORE_COLUMNS for the projects `pj` (score_projects.sql's rows), ordered by id, from their indicators `ind`
    (score_indicators.sql, any order) and the 一级/判定 texts its codes point into (`texts`, as bound to it).
    `fetch_rows(ids array)` returns score_rows.sql for the few rows numbers alone cannot score.
    with_rows=True: (that frame with execution_weight and indicator_weight added, ROW_COLUMNS per indicator row).
    None when a row's text is not in `texts` (written in between: the caller scores the slow way)."""
    # projects by id; rows by project, then form order. Sums below are np.bincount over rows in that order,
    # which adds each project's (or group's) values left to right from 0.0: bit for bit Python's sum()
    # (numpy's and pandas' sums pair or compensate, which can differ in the last bit and so in a rounded score)
    p_order = np.argsort(pj["id"].to_numpy(dtype=np.int64), kind="stable")
    pj = pj.iloc[p_order]
    pid = pj["id"].to_numpy(dtype=np.int64)
    P = len(pj)
    lookup = np.full(int(pid[-1] - pid[0]) + 1, -1, dtype=np.int64)
    lookup[pid - pid[0]] = np.arange(P)
    k = ind["project_id"].to_numpy(dtype=np.int64) - pid[0]
    k = lookup[np.clip(k, 0, len(lookup) - 1)]
    keep = k >= 0                                               # a fetched range holds unfiltered projects too
    if not keep.all():
        ind, k = ind[keep], k[keep]
    n = len(ind)
    pos = ind["position"].to_numpy(dtype=np.int64)
    row_id = ind["id"].to_numpy(dtype=np.int64)
    if n:
        key = k * (int(pos.max()) - int(pos.min()) + 2) + (pos - int(pos.min()))
        if not (key[1:] > key[:-1]).all():
            order = np.argsort(key, kind="stable")
            key = key[order]
            if (key[1:] == key[:-1]).any():                   # two rows at one position: by id as well
                order = np.lexsort((row_id, pos, k))
            ind = ind.iloc[order]
            k, pos, row_id = k[order], pos[order], row_id[order]
    status = ind["status"].to_numpy(dtype=np.int64).copy()
    direction = ind["direction"].to_numpy(dtype=np.int64)
    # stored numbers as parsed_values reads them: NULL (or NaN) means "read the text"; inf stays inf
    t = pd.to_numeric(ind["target_value"]).to_numpy(dtype=np.float64, na_value=np.nan)
    a = pd.to_numeric(ind["actual_value"]).to_numpy(dtype=np.float64, na_value=np.nan)
    w = _finite_or_nan(ind["weight"])
    rep = _finite_or_nan(ind["reported_score"])
    note = ind["note"].to_numpy(dtype=bool)

    # 一级 -> class (_weights' class_of) and group (its normalised text); 判定 -> coefficient (_coefficient)
    l1 = ind["level1"].to_numpy(dtype=np.int64)
    jd = ind["judgement"].to_numpy(dtype=np.int64)
    if n and (l1.min() < 0 or jd.min() < 0):
        return None
    classes = list(cfg["class_weights"])
    keys: dict[str, int] = {}
    l1_texts = [None] + texts["level1"]                       # code 0: NULL
    l1_class = np.array([classes.index(c) if (c := class_of(x, cfg)) is not None else -1 for x in l1_texts])
    l1_group = np.array([keys.setdefault(cells.norm(x) if _present(x) else "", len(keys)) for x in l1_texts])
    cls, grp = l1_class[l1], l1_group[l1]
    j_coef = np.array([float(cfg["coefficients"][c]) if _present(x) and (c := cells.norm(x)) in cfg["coefficients"]
                       else np.nan for x in [None] + texts["judgement"]])
    jcoef = j_coef[jd]

    # rows numbers alone cannot score: an unmet row whose target or actual number was not stored, or a row
    # without a stored status, read from their texts, once each, by the functions score_project uses
    unmet_ratio = (status == _UNMET) & np.isnan(jcoef)
    from_text = (status < 0) | (unmet_ratio & (np.isnan(t) | np.isnan(a)))
    ratio = np.zeros(n)
    quick = unmet_ratio & ~from_text
    ratio[quick] = _completion_ratio(direction[quick], t[quick], a[quick])
    if from_text.any():
        from .indicators import status_of
        rows = fetch_rows(row_id[from_text]).set_index("id")
        memo: dict[tuple, tuple[int, float]] = {}
        for i in np.flatnonzero(from_text):
            row = {c: (None if not isinstance(v, str) and pd.isna(v) else v) for c, v in rows.loc[row_id[i]].items()}
            got = memo.get(key := tuple(row.values()))
            if got is None:
                target, actual = parsed_values(row)
                got = memo[key] = (STATUS_CODES.index(status_of(row)),
                                   completion_ratio(effective_direction(target), target.value, actual.value))
            if status[i] < 0:
                status[i] = got[0]
            ratio[i] = got[1]

    active = status != _NA
    # _coefficient
    basis = np.full(n, _B_NOT_JUDGED, dtype=np.int8)            # the first rule that holds wins: set in reverse
    basis[~np.isnan(rep) & (w > 0)] = _B_REPORTED               # (w > 0 is False for NaN)
    basis[status == _MISSING] = _B_MISSING
    basis[status == _UNMET] = _B_RATIO
    basis[status == _MET] = _B_MET
    basis[~np.isnan(jcoef)] = _B_JUDGEMENT
    basis[~active] = _B_NA
    coef = np.zeros(n)
    m = basis == _B_JUDGEMENT
    coef[m] = jcoef[m]
    coef[basis == _B_MET] = 1.0
    m = basis == _B_RATIO
    coef[m] = np.minimum(ratio[m], float(cfg["unmet_max_ratio"]))
    m = basis == _B_REPORTED
    coef[m] = np.minimum(np.maximum(rep[m] / w[m], 0.0), 1.0)

    # per project
    rows_p = np.bincount(k, minlength=P)
    given_p = np.bincount(k[~np.isnan(w)], minlength=P)
    estimated_p = given_p == 0                       # no indicators, or not one 分值
    start_p = np.cumsum(rows_p) - rows_p              # a row's place in its project: row - start_p[k[row]]
    budget, spent = _finite_or_nan(pj["budget"]), _finite_or_nan(pj["spent"])
    has_rate = ~np.isnan(budget) & (budget > 0) & ~np.isnan(spent)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(has_rate, spent / np.where(has_rate, budget, 1.0), 0.0)
    exec_weight = _finite_or_nan(pj["execution_weight"])
    exec_weight = np.where(np.isnan(exec_weight), float(cfg["execution_weight"]), exec_weight)
    indicator_total = float(cfg["total"]) - exec_weight
    exec_score = _round2(np.minimum(np.maximum(rate, 0.0), 1.0) * exec_weight)

    # _weights, estimated projects: default class weights, split evenly within each class
    weight_used = np.zeros(n)
    est = estimated_p[k]
    K = len(classes)
    class_w = np.array([float(cfg["class_weights"][c]) for c in classes], dtype=np.float64)
    counted = est & active & (cls >= 0)
    counts = np.bincount(k[counted] * K + cls[counted], minlength=P * K).reshape(P, K)
    first = np.full((P, K), n, dtype=np.int64)      # each class's first row: the order sum() adds them in
    for c in range(K):
        rows_c = np.flatnonzero(counted & (cls == c))
        kc = k[rows_c]
        lead = np.r_[True, kc[1:] != kc[:-1]] if len(kc) else np.zeros(0, dtype=bool)
        first[kc[lead], c] = rows_c[lead] - start_p[kc[lead]]
    order = np.argsort(first, axis=1, kind="stable")
    present = np.take_along_axis(counts, order, axis=1) > 0
    sig = ((order + 1) * present * (K + 1) ** np.arange(K)).sum(axis=1)
    sigs, inverse = _codes(sig)
    totals = []
    for s in sigs:
        seq = []
        while s:
            seq.append(int(s % (K + 1)) - 1)
            s //= K + 1
        totals.append(sum(float(class_w[c]) for c in seq))
    class_total = np.array(totals, dtype=np.float64)[inverse]
    by_class = est & (class_total[k] > 0)
    scale = indicator_total / np.where(class_total > 0, class_total, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class = (class_w[None, :] * scale[:, None] / counts).reshape(-1)     # one row's weight, per class
    m = np.flatnonzero(by_class & counted)
    weight_used[m] = per_class[k[m] * K + cls[m]]
    na_p = np.bincount(k[~active], minlength=P)
    active_p = rows_p - na_p
    m = est & ~by_class & active
    weight_used[m] = indicator_total[k[m]] / active_p[k[m]]
    unclassified = by_class & active & (cls < 0)

    # _weights, given weights: 不适用 rows' points go to the rest of their 一级, then to the other classes
    base = np.where(np.isnan(w) | (w == 0), 0.0, w)
    original = np.bincount(k, weights=base, minlength=P)
    given_w = np.where(active, base, 0.0)
    touched = ~estimated_p & (na_p > 0)               # 不适用 rows whose points move
    sub = np.flatnonzero(touched[k])
    if len(sub):
        _, gid = _codes(k[sub] * (int(grp.max()) + 1) + grp[sub])   # (project, 一级) groups, rows in form order
        group_total = np.bincount(gid, weights=base[sub])
        live_total = np.bincount(gid, weights=np.where(active[sub], base[sub], 0.0))
        live_n = np.bincount(gid, weights=active[sub])
        partial = (live_n > 0) & (live_n < np.bincount(gid))
        move = active[sub] & partial[gid]
        r, g = sub[move], gid[move]
        with np.errstate(divide="ignore", invalid="ignore"):
            given_w[r] = np.where(live_total[g] > 0, base[r] * group_total[g] / live_total[g], group_total[g] / live_n[g])
    kept = np.bincount(k, weights=given_w, minlength=P)
    rescale = (0 < kept) & (kept < original - 1e-9)
    m = rescale[k]
    given_w[m] = given_w[m] * original[k[m]] / kept[k[m]]
    weight_used = np.where(est, weight_used, given_w)

    # scores
    score = np.where(active, weight_used * coef, 0.0)
    indicator_score = _round2(np.bincount(k, weights=score, minlength=P))
    total = _round2(exec_score + indicator_score)
    incomplete = np.bincount(k[(basis == _B_MISSING) | (basis == _B_NOT_JUDGED)], minlength=P) > 0
    complete = (rows_p > 0) & ~incomplete
    grade = np.full(P, None, dtype=object)
    undecided = complete & np.isfinite(total)
    for threshold, name in cfg["grades"]:
        hit = undecided & (total >= float(threshold) - 1e-9)
        grade[hit] = name
        undecided &= ~hit
    grade[undecided] = cfg["grades"][-1][1]

    # findings: (project, order key, code) events, the first of each code kept, in score_project's order
    tol = float(cfg["score_tolerance"])
    below_full = (status == _UNMET) | ((basis == _B_REPORTED) & (coef < 1))
    no_note = below_full & ~note
    missing = ~no_note & (status == _MISSING)
    not_judged = ~no_note & ~missing & (basis == _B_NOT_JUDGED)
    with np.errstate(invalid="ignore"):
        mismatch = ~np.isnan(rep) & active & (np.abs(rep - score) > tol)
    rep_exec, rep_total = _finite_or_nan(pj["execution_reported_score"]), _finite_or_nan(pj["reported_total_score"])
    with np.errstate(invalid="ignore"):
        exec_mismatch = ~np.isnan(rep_exec) & (np.abs(rep_exec - exec_score) > tol)
        total_mismatch = ~np.isnan(rep_total) & (np.abs(rep_total - total) > tol)
        weights_sum = ~estimated_p & (np.abs(original - indicator_total) > 0.005)
    # the order score_project finds them in: no-budget; one of no-indicators / unclassified / weight-missing;
    # the four row findings in the order of the first row showing each (a row's score-mismatch after its other
    # finding); weights-sum; the money block's score-mismatch unless a row had one; total-mismatch
    big = np.iinfo(np.int64).max
    first_row = np.full((P, 4), big, dtype=np.int64)
    for c, (mask, sub_key) in enumerate(((no_note, 0), (missing, 0), (not_judged, 0), (mismatch, 1))):
        rows_c = np.flatnonzero(mask)
        kc = k[rows_c]
        lead = np.r_[True, kc[1:] != kc[:-1]] if len(kc) else np.zeros(0, dtype=bool)
        first_row[kc[lead], c] = 2 * (rows_c[lead] - start_p[kc[lead]]) + sub_key
    row_order = np.argsort(first_row, axis=1, kind="stable")
    row_seq = np.zeros(P, dtype=np.int64)                    # row codes 1..4 in order, 3 bits each
    for j in range(4):
        c = row_order[:, j]
        has = first_row[np.arange(P), c] != big
        row_seq |= np.where(has, c + 1, 0) << (3 * j)
    stage1 = np.select([rows_p == 0, np.bincount(k[unclassified], minlength=P) > 0,
                        ~estimated_p & (given_p < rows_p)], [1, 2, 3], 0)
    sig = (~has_rate).astype(np.int64) | (stage1 << 1) | (row_seq << 3) | (weights_sum.astype(np.int64) << 15) \
        | ((exec_mismatch & (first_row[:, 3] == big)).astype(np.int64) << 16) | (total_mismatch.astype(np.int64) << 17)
    sigs, inverse = _codes(sig)
    shared = np.empty(len(sigs), dtype=object)
    for i, v in enumerate(sigs.tolist()):
        codes = ["no-budget"] if v & 1 else []
        codes += [[], ["no-indicators"], ["unclassified"], ["weight-missing"]][(v >> 1) & 3]
        codes += [_ROW_CODES[((v >> (3 + 3 * j)) & 7) - 1] for j in range(4) if (v >> (3 + 3 * j)) & 7]
        codes += [c for bit, c in ((15, "weights-sum"), (16, "score-mismatch"), (17, "total-mismatch")) if v >> bit & 1]
        shared[i] = codes
    findings = shared[inverse]

    out = pd.DataFrame({"id": pid, "execution_score": exec_score, "indicator_score": indicator_score, "total": total,
                        "grade": grade, "estimated": estimated_p, "findings": findings}, columns=SCORE_COLUMNS)
    if not with_rows:
        return out
    out["execution_weight"], out["indicator_weight"] = exec_weight, indicator_total
    # score_project's weight_used and score columns: a 不适用 row scores None (NaN here)
    return out, pd.DataFrame({"id": row_id, "project_id": pid[k], "weight_used": weight_used,
                              "score": np.where(active, score, np.nan)}, columns=ROW_COLUMNS)


# ---------------------------------------------------------------- for the overview and execution pages
PENDING_GRADE = "待判定"


def grade_label(grade, estimated: bool) -> str:
    """'优', '优（估算）' or '待判定' for a table cell."""
    g = grade if isinstance(grade, str) and grade else PENDING_GRADE
    return f"{g}（估算）" if estimated and g != PENDING_GRADE else g


def grade_line(scores: pd.DataFrame, title: str = "自评等级") -> str:
    """One Markdown line for a page: projects per grade (those present) and the mean total of the graded
    ones; estimates and projects without a grade yet are said so."""
    if not len(scores):
        return ""
    graded = scores[scores["grade"].notna()]
    parts = [f"{g} **{n:,}** 个" for g in GRADES if (n := int((graded["grade"] == g).sum()))]
    pending = len(scores) - len(graded)
    if pending:
        parts.append(f"{PENDING_GRADE} **{pending:,}** 个（指标未判定或缺实际值）")
    est = "（估算）" if scores["estimated"].any() else ""
    mean = f"　·　已评定项目平均总分 **{graded['total'].mean():.2f}**" if len(graded) else ""
    return f"**{title}**{est}　" + "　".join(parts) + mean


def with_score_columns(table: pd.DataFrame, project_df: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """`table` (one row per row of `project_df`, same order) with 自评总分 and 等级 appended."""
    s = project_df[["id"]].merge(scores, on="id", how="left")
    out = table.copy()
    out["自评总分"] = s["total"].to_numpy()
    out["等级"] = [grade_label(g, bool(e)) for g, e in zip(s["grade"], s["estimated"].fillna(False))]
    return out
