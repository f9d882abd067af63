"""Scores and grades by the national self-evaluation rules (execution 10 + indicators 90), built on the
indicator status judged in indicators.py; every constant comes from the 'scoring' setting."""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from . import cells
from .db import Store
from .filters import Filters
from .indicators import STATUS_ZH, indicator_rows, parsed_values, with_status
from .summary import projects
from .targets import completion_ratio, effective_direction

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


def scoring_settings(store: Store | None) -> dict:
    """DEFAULTS overlaid with the stored 'scoring' setting; an unusable stored value falls back to DEFAULTS."""
    cfg = copy.deepcopy(DEFAULTS)
    stored = store.get_setting(SETTING_KEY, {}) if store is not None else {}
    if isinstance(stored, dict):
        for k, v in stored.items():
            if k == "coefficients" and isinstance(v, dict):
                cfg[k].update(v)         # one coefficient may be stored alone
            elif k in cfg:
                cfg[k] = v
    return cfg if not validate_settings(cfg) else copy.deepcopy(DEFAULTS)


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
    df["class"] = [class_of(x, cfg) for x in df["level1"]] if len(df) else pd.Series(dtype=object)
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


def project_scores(store: Store, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per filtered project: id, execution_score, indicator_score, total, grade, estimated
    (default weights were used: show 估算) and findings (list of codes). Join on id."""
    rows = [{"id": int(p["id"]), "execution_score": s.execution_score, "indicator_score": s.indicator_score,
             "total": s.total, "grade": s.grade, "estimated": s.estimated, "findings": s.finding_codes}
            for p, s in scores(store, filters)]
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def score_report(store: Store, filters: Filters = Filters()) -> list[dict]:
    """`score --json`: per project its identity and scores."""
    return [{"year": int(p["year"]), "department": p["department"], "name": p["name"], **s.as_dict()}
            for p, s in scores(store, filters)]


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
    parts = [f"{g} **{n}** 个" for g in GRADES if (n := int((graded["grade"] == g).sum()))]
    pending = len(scores) - len(graded)
    if pending:
        parts.append(f"{PENDING_GRADE} **{pending}** 个（指标未判定或缺实际值）")
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
