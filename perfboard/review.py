"""自评复核: the checks a finance reviewer applies to the self-evaluations of many units, run over the
filtered data at once (SQL in queries/scoped/review_*.sql, numpy/pandas and RapidFuzz here), the findings
with a reviewer's decisions (已核实 / 不采纳, audited), and the counts per unit.

Every rule has a stable code, a 复核维度, a default severity (P0 most serious), a Chinese description and the
rule or document it rests on; its thresholds and severities are the 'review' setting (administrators,
audited in settings_log). Nothing is judged project by project: each SQL file flags the rows that break its
rules and only those leave DuckDB; the messages are built column-wise.

A finding's key is an md5 of its rule code, year, department, project identity (matching.project_key: code,
else the normalised name), the indicator's 一级/二级/三级 and its own evidence values, so a decision survives
a re-run and a re-import of unchanged rows; changed evidence is a new finding.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from . import scope
from .db import Store
from .filters import Filters

SEVERITIES = ("P0", "P1", "P2")
SEVERITY_ZH = {"P0": "P0 严重", "P1": "P1 重要", "P2": "P2 一般"}
STATUSES = ("open", "verified", "rejected")
STATUS_ZH = {"open": "待核实", "verified": "已核实", "rejected": "不采纳"}

BASIS_SCORING = "《项目支出绩效评价管理办法》（财预〔2020〕10号）附件项目支出绩效自评表及评分规则"
BASIS_INDICATORS = "《中央部门项目支出核心绩效目标和指标设置及取值指引（试行）》（财预〔2021〕101号）"
BASIS_FORM = "《项目支出绩效评价管理办法》（财预〔2020〕10号）项目支出绩效自评表“偏差原因分析及改进措施”"


@dataclass(frozen=True)
class Rule:
    code: str
    dimension: str          # 复核维度
    severity: str           # default; the 'review' setting may change it
    title: str              # short Chinese name
    description: str        # what the rule checks, in Chinese
    basis: str              # 核验依据
    suggestion: str         # 处理建议


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("score-inflation", "自评口径", "P1", "自评流于形式",
         "同一单位的项目全部自评满分，或人工判定的指标全部为“达成”。",
         BASIS_SCORING + "：自评应如实反映绩效目标完成情况，得分与完成情况相符。",
         "抽查该单位项目的佐证材料，逐项核实达成情况；未完成的指标按完成比例扣分后重新填报。"),
    Rule("full-score-below-target", "自评口径", "P0", "未达目标仍满分",
         "实际完成值未达到年度指标值，但得分等于分值或判定为“达成”。",
         BASIS_SCORING + "：定量指标未完成的，按完成值与指标值的比例计分。",
         "按完成比例重新计算该指标得分，或补充说明实际已达成的依据。"),
    Rule("cost-direction", "指标设置", "P1", "成本指标方向错误",
         "成本指标的年度指标值写为“≥”或“>”。成本指标是支出上限，应写“≤”或“=”。",
         BASIS_INDICATORS + "：成本指标反映项目成本控制，一般设为上限（≤）。",
         "将成本指标改为“≤”（或“=”）目标值，次年设置指标时同步纠正。"),
    Rule("unit-mismatch", "指标设置", "P1", "计量单位不一致",
         "年度指标值与实际完成值的计量单位不同（如 1处 与 1个、50名 与 50人、万元 与 元），无法直接比较。",
         BASIS_INDICATORS + "：指标值应明确计量单位，实际完成值与指标值口径一致。",
         "统一计量单位后重新填报实际完成值，并核实是否达成。"),
    Rule("vague-target", "指标设置", "P2", "指标值不可考核",
         "年度指标值无法衡量：数量、成本类指标给出文字目标，满意度指标未给出数值，或使用“效果明显”“逐步提高”等模糊表述。",
         BASIS_INDICATORS + "：绩效指标应细化、量化，可衡量、可考核。",
         "设置可量化、可核验的指标值（数值和单位）；满意度应以调查结果为依据。"),
    Rule("missing-level1", "指标设置", "P1", "缺少一级指标",
         "项目没有产出、效益或满意度指标（可在设置中调整必须具备的一级指标）。",
         BASIS_SCORING + "：自评指标包括产出指标、效益指标和满意度指标。",
         "补充缺少的一级指标及相应的二级、三级指标。"),
    Rule("thin-indicators", "指标设置", "P2", "产出指标过少",
         "产出指标少于设定条数，难以全面反映项目产出（数量、质量、时效、成本）。",
         BASIS_INDICATORS + "：产出指标一般包括数量、质量、时效、成本指标。",
         "按数量、质量、时效、成本补充产出指标。"),
    Rule("weights-sum", "自评口径", "P1", "分值合计不符",
         "指标分值合计不等于应有分值（总分减预算执行率分值，一般为 90 分）。",
         BASIS_SCORING + "：总分 100 分，预算执行率 10 分，产出、效益、满意度指标共 90 分。",
         "调整各指标分值，使其合计等于应有分值。"),
    Rule("missing-improvement", "报告内容逻辑", "P1", "偏离未写改进措施",
         "项目存在偏离（执行率低于绿色区间或超预算，或有指标未达成、缺实际值），但未填写改进措施。",
         BASIS_FORM + "：对偏离绩效目标的原因进行分析，提出下一步改进措施。",
         "补充针对偏离原因的具体改进措施（措施、责任、时限）。"),
    Rule("missing-reason", "报告内容逻辑", "P1", "偏离未写原因",
         "预算执行偏离但未填写偏离原因，或指标未达成但未填写偏差原因。",
         BASIS_FORM + "：未完成绩效目标的，应说明偏差原因。",
         "补充偏离（偏差）原因分析。"),
    Rule("reported-vs-computed", "报告与底稿一致性", "P0", "填报数与计算数不符",
         "填报的执行率、得分或总分与按规则计算的结果不一致。",
         BASIS_SCORING + "：预算执行率 = 全年执行数 ÷ 全年预算数；得分按评分规则计算。",
         "核对原始数据，按计算结果更正报告与自评表中的数字。"),
    Rule("copied-text", "报告内容逻辑", "P2", "文字雷同",
         "实际完成情况或偏离原因的文字与其他项目（含其他单位）高度相似，疑似套用模板。",
         BASIS_SCORING + "：自评应如实反映本项目的实际完成情况。",
         "按本项目实际情况重写，写明具体完成内容和数据。"),
    Rule("zero-without-reason", "报告内容逻辑", "P1", "实际值为零无说明",
         "实际完成值为 0，但未填写原因。",
         BASIS_FORM + "：未完成绩效目标的，应说明原因。",
         "说明实际完成值为 0 的原因（未实施、结转、口径错误等），必要时更正数据。"),
)}
DIMENSIONS = tuple(dict.fromkeys(r.dimension for r in RULES.values()))

# ---------------------------------------------------------------- settings
SETTING_KEY = "review"
DEFAULTS: dict = {
    "severity": {code: r.severity for code, r in RULES.items()},
    "score_inflation_min_projects": 3,     # a unit needs this many projects before "all full marks" means anything
    "score_inflation_min_judged": 10,      # ... and this many indicators judged by a person
    "full_score": 100.0,                   # a stated 总分 at or above this is full marks
    "thin_min_output": 3,                  # fewer 产出 indicators than this: thin-indicators
    "required_level1": ["产出指标", "效益指标", "满意度指标"],
    "quantitative_level2": ["数量", "成本"],  # 二级 whose target must be a number
    "vague_words": ["效果明显", "明显提升", "明显提高", "明显改善", "逐步提高", "逐步提升", "逐步完善", "有所提高",
                    "有所提升", "不断提高", "不断提升", "进一步提高", "进一步提升", "大幅提高", "显著提高", "显著提升"],
    "copied_min_chars": 30,                # shorter texts (without spaces and punctuation) are not compared
    "copied_similarity": 90,               # RapidFuzz ratio (0-100) at or above which two texts are copies
    "copied_block": 2000,                  # texts compared all-pairs at once; bigger blocks go in length windows
    "copied_max_pairs": 30_000_000,        # comparisons at most per run (the result then says 已截断)
}
LEVEL1_CLASSES = {"产出指标": "n_output", "效益指标": "n_benefit", "满意度指标": "n_satisfaction"}
SETTINGS_ZH = {
    "score_inflation_min_projects": "自评流于形式：单位至少有几个项目才判断",
    "score_inflation_min_judged": "自评流于形式：至少有几条人工判定的指标",
    "full_score": "满分（填报总分达到即为满分）",
    "thin_min_output": "产出指标最少条数",
    "copied_min_chars": "文字雷同：参与比较的最短字数",
    "copied_similarity": "文字雷同：相似度阈值（0–100）",
    "copied_block": "文字雷同：一次全量比较的文字条数",
    "copied_max_pairs": "文字雷同：每次最多比较的文字对数",
}


def validate_settings(cfg: dict) -> list[str]:
    """Problems with a review configuration, in Chinese; empty when it can be used."""
    problems = []
    try:
        sev = cfg["severity"]
        for code in RULES:
            if sev.get(code) not in SEVERITIES:
                problems.append(f"规则 {code} 的等级应为 P0、P1 或 P2。")
        for key in ("score_inflation_min_projects", "score_inflation_min_judged", "thin_min_output",
                    "copied_min_chars", "copied_block", "copied_max_pairs"):
            v = cfg[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < 1:
                problems.append(f"{SETTINGS_ZH[key]}应为不小于 1 的整数。")
        if not 0 < float(cfg["copied_similarity"]) <= 100:
            problems.append("文字雷同的相似度阈值应在 0 到 100 之间。")
        if float(cfg["full_score"]) <= 0:
            problems.append("满分应大于 0。")
        if not set(cfg["required_level1"]) <= set(LEVEL1_CLASSES):
            problems.append("必须具备的一级指标只能是：" + "、".join(LEVEL1_CLASSES) + "。")
        for key in ("quantitative_level2", "vague_words"):
            if not isinstance(cfg[key], list) or not all(isinstance(w, str) and w.strip() for w in cfg[key]):
                problems.append(f"{key} 应为非空文字的列表。")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(f"复核规则设置格式有误：{exc}")
    return problems


def review_settings(store: Store | None) -> dict:
    """DEFAULTS overlaid with the stored 'review' setting; an unusable stored value falls back to DEFAULTS."""
    cfg = copy.deepcopy(DEFAULTS)
    stored = store.get_setting(SETTING_KEY, {}) if store is not None else {}
    if isinstance(stored, dict):
        for k, v in stored.items():
            if k == "severity" and isinstance(v, dict):
                cfg[k].update(v)
            elif k in cfg:
                cfg[k] = v
    return cfg if not validate_settings(cfg) else copy.deepcopy(DEFAULTS)


def save_review_settings(store: Store, cfg: dict, user=None) -> bool:
    """Store a review configuration as `user` (administrators only; audited in settings_log). ValueError
    (Chinese message) when it is not usable; auth.PermissionDenied for a non-administrator."""
    from .auth import change_setting
    merged = copy.deepcopy(DEFAULTS)
    for k, v in cfg.items():
        if k == "severity" and isinstance(v, dict):
            merged[k].update(v)
        elif k in merged:
            merged[k] = v
    problems = validate_settings(merged)
    if problems:
        raise ValueError("；".join(problems))
    return change_setting(store, SETTING_KEY, merged, user)


# ---------------------------------------------------------------- findings
FINDING_COLUMNS = ["key", "code", "severity", "dimension", "year", "department", "project_id", "project",
                   "project_code", "indicator_id", "indicator", "location", "message", "fact", "evidence",
                   "status", "reason", "decided_by", "decided_at"]
_RULE_COLUMNS = FINDING_COLUMNS[:15]


def _regex(words) -> str:
    """An RE2 alternation matching any of `words` literally (never empty: a never-matching pattern)."""
    words = [w for w in words if w]
    return "|".join(re.escape(w) for w in words) if words else r"[^\s\S]"


def _s(col: pd.Series) -> pd.Series:
    """A text column with missing values as ''."""
    return col.astype(object).where(col.notna(), "").astype(str)


def _num(col: pd.Series) -> pd.Series:
    """Numbers as short text: 1.0 -> '1', 2.5 -> '2.5', missing -> ''."""
    v = pd.to_numeric(col, errors="coerce")
    return pd.Series([("" if pd.isna(x) else f"{x:g}") for x in v], index=col.index, dtype=object)


def _pct(col: pd.Series) -> pd.Series:
    v = pd.to_numeric(col, errors="coerce")
    return pd.Series(["—" if pd.isna(x) else f"{x * 100:.2f}%" for x in v], index=col.index, dtype=object)


def _location(df: pd.DataFrame) -> pd.Series:
    parts = [_s(df[c]).str.strip() for c in ("level1", "level2", "level3")]
    out = parts[0]
    for p in parts[1:]:
        out = out.where(p == "", out.where(out == "", out + " › ") + p)
    return out


def _finding_frame(code: str, rows: pd.DataFrame, message, fact, evidence: dict, indicator: bool,
                   location=None) -> pd.DataFrame:
    """Findings of one rule from its flagged rows: `message`/`fact` are Series (or one str), `evidence` maps
    evidence field -> Series. Key and severity are added later (all rules at once)."""
    n = len(rows)
    idx = rows.index
    ev_cols = list(evidence)
    ev_frame = pd.DataFrame({k: (v if isinstance(v, pd.Series) else pd.Series([v] * n, index=idx))
                             for k, v in evidence.items()}, index=idx)
    ev_frame = ev_frame.astype(object).where(ev_frame.notna(), None)
    ev = ev_frame.to_dict("records") if ev_cols else [{} for _ in range(n)]
    return pd.DataFrame({
        "key": None, "code": code, "severity": None, "dimension": RULES[code].dimension,
        "year": rows["year"].astype("int64").to_numpy() if n else np.zeros(0, dtype=np.int64),
        "department": rows["department"].to_numpy(dtype=object),
        "project_id": rows["project_id"].to_numpy(dtype=object) if "project_id" in rows else None,
        "project": rows["project"].to_numpy(dtype=object) if "project" in rows else None,
        "project_code": rows["project_code"].to_numpy(dtype=object) if "project_code" in rows else None,
        "indicator_id": rows["indicator_id"].to_numpy(dtype=object) if indicator else None,
        "indicator": _s(rows["level3"]).to_numpy(dtype=object) if indicator else None,
        "location": (_location(rows).to_numpy(dtype=object) if indicator else
                     (location.to_numpy(dtype=object) if isinstance(location, pd.Series) else location)),
        "message": message.to_numpy(dtype=object) if isinstance(message, pd.Series) else message,
        "fact": fact.to_numpy(dtype=object) if isinstance(fact, pd.Series) else fact,
        "evidence": ev,
        # the indicator's place: part of the key, not shown
        "_l1": _s(rows["level1"]).to_numpy(dtype=object) if indicator else "",
        "_l2": _s(rows["level2"]).to_numpy(dtype=object) if indicator else "",
    }, index=range(n))


def _indicator_findings(df: pd.DataFrame, cfg: dict) -> list[pd.DataFrame]:
    out = []
    if not len(df):
        return out
    target, actual = _s(df["target_text"]).str.strip(), _s(df["actual_text"]).str.strip()
    shown_target = target.where(target != "", "（未填写）")

    m = df["below_target"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        by_score = (pd.to_numeric(d["weight"]) > 0) & \
            (pd.to_numeric(d["reported_score"]) >= pd.to_numeric(d["weight"]) - 1e-12)
        how = pd.Series(np.where(by_score, "得分 " + _num(d["reported_score"]) + " 分等于分值 " + _num(d["weight"]) + " 分",
                                 "判定为“达成”"), index=d.index)
        fact = ("年度指标值 " + target[m] + "，实际完成值 " + actual[m] + "，未达到目标，但" + how
                + "。未完成的定量指标应按完成比例计分。")
        out.append(_finding_frame("full-score-below-target", d, "实际完成值未达到年度指标值，但" + how, fact,
                                  {"target": target[m], "actual": actual[m], "weight": d["weight"],
                                   "reported_score": d["reported_score"], "judgement": d["judgement"]}, True))
    m = df["cost_direction"].fillna(False).astype(bool)
    if m.any():     # a plain "5万元" is stored as ≥ (targets.effective_direction): only an operator as written counts
        from .targets import parse_value
        m[m] = [parse_value(t).direction in (">", "≥") for t in df.loc[m, "target_text"]]
    if m.any():
        d = df[m]
        fact = "“" + _s(d["level3"]) + "”的年度指标值为 " + target[m] + "：成本指标是支出上限，应写作“≤”或“=”。"
        out.append(_finding_frame("cost-direction", d, "成本指标的年度指标值写为“" + _s(d["direction"]) + "”", fact,
                                  {"level2": d["level2"], "target": target[m], "direction": d["direction"]}, True))
    m = df["unit_mismatch"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        fact = ("年度指标值 " + target[m] + "（单位“" + _s(d["target_unit"]) + "”），实际完成值 " + actual[m]
                + "（单位“" + _s(d["actual_unit"]) + "”）：单位不同，无法直接比较是否达成。")
        out.append(_finding_frame("unit-mismatch", d, "年度指标值与实际完成值的计量单位不一致（"
                                  + _s(d["target_unit"]) + " 与 " + _s(d["actual_unit"]) + "）", fact,
                                  {"target": target[m], "actual": actual[m], "target_unit": d["target_unit"],
                                   "actual_unit": d["actual_unit"]}, True))
    m = df["vague"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        t = target[m]
        words = t.str.contains(_regex(cfg["vague_words"]), regex=True)
        l2 = _s(d["level2"])
        quant = l2.str.contains(_regex(cfg["quantitative_level2"]), regex=True)
        why = pd.Series(np.select([words, quant], [
            "为模糊表述，无法衡量是否完成",
            "属于" + l2 + "，却没有可计量的数值和单位"],
            "是满意度指标，却没有数值目标（满意度应以调查结果衡量）"), index=d.index)
        out.append(_finding_frame("vague-target", d, "年度指标值“" + t + "”无法考核", "年度指标值“" + t + "”" + why + "。",
                                  {"target": t, "level2": d["level2"]}, True))
    m = df["no_reason"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        fact = "年度指标值 " + shown_target[m] + "，实际完成值 " + actual[m] + "，判定未达成；“偏差原因分析及改进措施”为空。"
        out.append(_finding_frame("missing-reason", d, "指标未达成但未填写偏差原因", fact,
                                  {"target": target[m], "actual": actual[m]}, True))
    m = df["zero_no_reason"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        fact = "实际完成值 " + actual[m] + "（年度指标值 " + shown_target[m] + "），未说明原因。"
        out.append(_finding_frame("zero-without-reason", d, "实际完成值为 0 且未说明原因", fact,
                                  {"target": target[m], "actual": actual[m]}, True))
    return out


def _project_findings(df: pd.DataFrame, cfg: dict) -> list[pd.DataFrame]:
    out = []
    if not len(df):
        return out
    m = df["missing_level1"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        missing = pd.Series("", index=d.index, dtype=object)
        for cls in cfg["required_level1"]:
            none = d[LEVEL1_CLASSES[cls]] == 0
            missing = missing.where(~none, missing.where(missing == "", missing + "、") + cls)
        fact = ("共 " + _num(d["n_indicators"]) + " 条指标：产出 " + _num(d["n_output"]) + " 条、效益 "
                + _num(d["n_benefit"]) + " 条、满意度 " + _num(d["n_satisfaction"]) + " 条；缺少" + missing + "。")
        out.append(_finding_frame("missing-level1", d, "缺少" + missing, fact,
                                  {"missing": missing, "indicators": d["n_indicators"]}, False, "绩效指标"))
    m = df["thin"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        fact = "产出指标 " + _num(d["n_output"]) + " 条，少于 " + str(int(cfg["thin_min_output"])) + " 条。"
        out.append(_finding_frame("thin-indicators", d, "产出指标仅 " + _num(d["n_output"]) + " 条", fact,
                                  {"output_indicators": d["n_output"]}, False, "绩效指标（产出指标）"))
    m = df["weights_sum"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        fact = "指标分值合计 " + _num(d["weight_sum"]) + " 分，应为 " + _num(d["weight_due"]) + " 分。"
        out.append(_finding_frame("weights-sum", d, "指标分值合计 " + _num(d["weight_sum"]) + " 分，不等于 "
                                  + _num(d["weight_due"]) + " 分", fact,
                                  {"weight_sum": d["weight_sum"], "weight_due": d["weight_due"]}, False, "绩效指标（分值）"))
    m = df["no_improvement"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        budget = d["budget_deviation"].astype(bool)
        dev = pd.Series(np.where(budget, "执行率 " + _pct(d["execution_rate"]) + "（" + _s(d["light"]) + "）", ""),
                        index=d.index)
        ind = d["n_deviating"] > 0
        dev = dev.where(~ind, dev.where(dev == "", dev + "，") + _num(d["n_deviating"]) + " 条指标未达成或缺实际值")
        out.append(_finding_frame("missing-improvement", d, "存在偏离但未填写改进措施", dev + "；“改进措施”为空。",
                                  {"execution_rate": d["execution_rate"].round(6), "light": d["light"],
                                   "deviating_indicators": d["n_deviating"]}, False, "改进措施"))
    m = df["no_reason"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        fact = "执行率 " + _pct(d["execution_rate"]) + "（" + _s(d["light"]) + "）；“偏离原因”为空。"
        out.append(_finding_frame("missing-reason", d, "预算执行偏离但未填写偏离原因", fact,
                                  {"execution_rate": d["execution_rate"].round(6), "light": d["light"]}, False, "偏离原因"))
    m = df["rate_mismatch"].fillna(False).astype(bool)
    if m.any():
        d = df[m]
        diff = (pd.to_numeric(d["reported_rate"]) - pd.to_numeric(d["execution_rate"])) * 100
        fact = ("填报执行率 " + _pct(d["reported_rate"]) + "，按全年执行数 " + _num(d["spent"]) + " 万元 ÷ 全年预算数 "
                + _num(d["budget"]) + " 万元计算为 " + _pct(d["execution_rate"]) + "，相差 "
                + pd.Series([f"{x:+.2f}" for x in diff], index=d.index) + " 个百分点。")
        out.append(_finding_frame("reported-vs-computed", d, "填报执行率与计算值不一致", fact,
                                  {"reported_rate": d["reported_rate"], "budget": d["budget"], "spent": d["spent"]},
                                  False, "执行率"))
    return out


def _score_findings(store: Store, filters: Filters, cfg: dict) -> list[pd.DataFrame]:
    """reported-vs-computed for stated 得分 / 总分: scoring.project_scores (vectorised), only when some project
    under the filters states a score at all."""
    q = ("SELECT count(*) FROM projects p WHERE p.reported_total_score IS NOT NULL "
         "OR p.execution_reported_score IS NOT NULL OR EXISTS (SELECT 1 FROM indicators i "
         "WHERE i.project_id = p.id AND i.reported_score IS NOT NULL)")
    if not store.scalar(q):
        return []
    from .scoring import project_scores
    s = project_scores(store, filters)
    if not len(s):
        return []
    bad = s[[bool({"score-mismatch", "total-mismatch"} & set(f)) for f in s["findings"]]]
    if not len(bad):
        return []
    ids = pd.DataFrame({"id": bad["id"].astype("int64")})
    info = store.df("review_score_projects", tables={"project_ids": ids})
    d = bad.merge(info, on="id").rename(columns={"id": "project_id"})
    total_bad = np.array(["total-mismatch" in f for f in d["findings"]])
    rep = _num(d["reported_total_score"])
    fact = pd.Series(np.where(total_bad, "填报总分 " + rep + " 分，按评分规则计算为 "
                              + pd.Series([f"{x:.2f}" for x in d["total"]], index=d.index) + " 分。",
                              "有指标（或预算执行率）的填报得分与按评分规则计算的得分不一致，详见“指标填报 › 评分明细”。"),
                     index=d.index)
    return [_finding_frame("reported-vs-computed", d, pd.Series(np.where(total_bad, "填报总分与计算总分不一致",
                                                                          "填报得分与计算得分不一致"), index=d.index),
                           fact, {"reported_total": d["reported_total_score"], "computed_total": d["total"]},
                           False, pd.Series(np.where(total_bad, "总分", "得分"), index=d.index))]


def _unit_findings(df: pd.DataFrame, cfg: dict) -> list[pd.DataFrame]:
    if not len(df):
        return []
    full = float(cfg["full_score"])
    all_full = (df["n_reported"] == df["n_projects"]) & (pd.to_numeric(df["min_reported"]) >= full - 1e-9)
    all_met = (df["n_judged"] >= int(cfg["score_inflation_min_judged"])) & (df["n_judged_met"] == df["n_judged"])
    m = all_full | all_met
    if not m.any():
        return []
    d = df[m].copy()
    af = all_full[m]
    n = _num(d["n_projects"])
    fact = pd.Series(np.where(af, "全部 " + n + " 个项目填报总分均为满分（" + _num(d["min_reported"]) + " 分及以上）。",
                              "全部 " + _num(d["n_judged"]) + " 条人工判定的指标均为“达成”（共 " + n + " 个项目）。"),
                     index=d.index)
    d["project_id"] = None
    d["project"] = None
    d["project_code"] = None
    msg = pd.Series(np.where(af, "单位全部项目自评满分", "单位全部人工判定指标均为“达成”"), index=d.index)
    return [_finding_frame("score-inflation", d, msg, fact + "需抽查佐证材料，确认自评未流于形式。",
                           {"projects": d["n_projects"], "reported": d["n_reported"], "judged": d["n_judged"],
                            "judged_met": d["n_judged_met"]}, False, "单位整体")]


# ---------------------------------------------------------------- copied-text
@dataclass
class CopyStats:
    texts: int = 0
    pairs_compared: int = 0
    similar_pairs: int = 0
    capped: bool = False


FIELD_ZH = {"achievement": "实际完成情况", "deviation_reason": "偏离原因"}


def _similar_pairs(norms: list[str], cutoff: float, block: int, budget: list[int], stats: CopyStats) -> list[tuple]:
    """(i, j, score) of texts at least `cutoff` similar among `norms` (indices into it), i < j. Blocks bigger
    than `block` are compared in windows of texts sorted by length (similar texts have similar lengths)."""
    from rapidfuzz import fuzz, process
    m = len(norms)
    if m < 2:
        return []
    order = sorted(range(m), key=lambda i: len(norms[i]))
    half = max(block // 2, 1)
    starts = [0] if m <= block else list(range(0, m, half))
    out = []
    for s in starts:
        rows = order[s:s + half] if m > block else order
        cols = order[s:s + 2 * half] if m > block else order
        cost = len(rows) * len(cols)
        if budget[0] - cost < 0:
            stats.capped = True
            return out
        budget[0] -= cost
        stats.pairs_compared += cost
        mat = process.cdist([norms[i] for i in rows], [norms[j] for j in cols], scorer=fuzz.ratio,
                            score_cutoff=cutoff, dtype=np.uint8, workers=1)
        r, c = np.nonzero(mat)
        for a, b in zip(r.tolist(), c.tolist()):
            i, j = rows[a], cols[b]
            if i != j:
                out.append((min(i, j), max(i, j), int(mat[a, b])))
    return out


def copied_text(store: Store, filters: Filters, cfg: dict, stats: CopyStats | None = None) -> pd.DataFrame:
    """copied-text findings: 实际完成情况 / 偏离原因 texts nearly identical (RapidFuzz ratio ≥ copied_similarity,
    after removing spaces and punctuation) to another project's, across units. Exact copies are grouped by text;
    near copies are compared within blocks that share the first or the last six characters (a template keeps
    its opening or its ending), per year and field, with at most copied_max_pairs comparisons in all."""
    stats = stats if stats is not None else CopyStats()
    t = scope.run(store, "review_texts", filters, {"min_chars": int(cfg["copied_min_chars"])})
    stats.texts = len(t)
    if len(t) < 2:
        return pd.DataFrame()
    cutoff = float(cfg["copied_similarity"])
    budget = [int(cfg["copied_max_pairs"])]
    block = int(cfg["copied_block"])
    hits: dict[int, tuple[int, int, int]] = {}      # row of t -> (a similar row, its similarity, similar projects)
    for _, g in t.groupby(["year", "field"], sort=False):
        rows = g.index.to_numpy()
        codes, uniq = pd.factorize(g["norm"])        # exact copies share a code: compared once, as one text
        members = [[] for _ in range(len(uniq))]
        for r, c in zip(rows.tolist(), codes.tolist()):
            members[c].append(r)
        texts = [str(u) for u in uniq]
        near: dict[int, dict[int, int]] = {}          # distinct text -> {similar distinct text: similarity}
        for key_of in (lambda s: s[:6], lambda s: s[-6:]):
            blocks: dict[str, list[int]] = {}
            for k, s in enumerate(texts):
                blocks.setdefault(key_of(s), []).append(k)
            for ks in blocks.values():
                if len(ks) < 2 or stats.capped:
                    continue
                for i, j, score in _similar_pairs([texts[k] for k in ks], cutoff, block, budget, stats):
                    a, b = ks[i], ks[j]
                    near.setdefault(a, {})[b] = score
                    near.setdefault(b, {})[a] = score
        for c, rs in enumerate(members):
            nb = near.get(c, {})
            if len(rs) < 2 and not nb:
                continue
            others = sum(len(members[o]) for o in nb)
            if len(rs) > 1:
                best_other, best_score = None, 100
            else:
                o = max(nb, key=lambda x: (nb[x], -x))
                best_other, best_score = members[o][0], nb[o]
            for r in rs:
                other = best_other if best_other is not None else next(x for x in rs if x != r)
                hits[r] = (other, best_score, len(rs) - 1 + others)
        if stats.capped:
            break
    stats.similar_pairs = sum(h[2] for h in hits.values()) // 2
    if not hits:
        return pd.DataFrame()
    rows = np.array(sorted(hits))
    d = t.loc[rows].copy()
    other = t.loc[[hits[r][0] for r in rows]]
    d["similar_to"] = other["project"].to_numpy()
    d["similar_department"] = other["department"].to_numpy()
    d["similarity"] = [hits[r][1] for r in rows]
    d["similar_count"] = [hits[r][2] for r in rows]
    d["text_md5"] = [hashlib.md5(s.encode()).hexdigest() for s in d["norm"]]
    field = d["field"].map(FIELD_ZH)
    where = pd.Series(np.where(d["similar_department"] == d["department"], "本单位",
                               d["similar_department"].astype(str)), index=d.index)
    fact = (field + "与" + where + "“" + d["similar_to"].astype(str) + "”相似度 " + d["similarity"].astype(str)
            + "%（共与 " + d["similar_count"].astype(str) + " 个项目相似），疑似套用模板。")
    f = _finding_frame("copied-text", d, field + "与其他项目高度相似", fact,
                       {"field": d["field"], "similar_to": d["similar_to"], "similarity": d["similarity"],
                        "similar_projects": d["similar_count"]}, False, field)
    f["_keyev"] = (d["field"] + ":" + d["text_md5"]).to_numpy()
    return f


# ---------------------------------------------------------------- all rules
def _key_strings(f: pd.DataFrame) -> list[str]:
    from .matching import project_key
    pk = [project_key(c, n) if n is not None else "" for c, n in zip(f["project_code"], f["project"])]
    if "_keyev" in f:
        ev = [k if isinstance(k, str) else json.dumps(e, ensure_ascii=False, sort_keys=True, default=str)
              for k, e in zip(f["_keyev"], f["evidence"])]
    else:
        ev = [json.dumps(e, ensure_ascii=False, sort_keys=True, default=str) for e in f["evidence"]]
    return [hashlib.md5("|".join(map(str, parts)).encode()).hexdigest()
            for parts in zip(f["code"], f["year"], f["department"], pk, f["_l1"], f["_l2"], f["indicator"].fillna(""), ev)]


def run_rules(store: Store, filters: Filters = Filters(), cfg: dict | None = None,
              stats: CopyStats | None = None) -> pd.DataFrame:
    """Every rule over the projects under `filters`: one row per finding (FINDING_COLUMNS without the
    decision columns), ordered by severity, rule, year, department, project, indicator position."""
    cfg = cfg or review_settings(store)
    from .scoring import scoring_settings
    scfg = scoring_settings(store)
    ind = scope.run(store, "review_indicators", filters, {
        "score_tolerance": float(scfg["score_tolerance"]), "vague_regex": _regex(cfg["vague_words"]),
        "quant_regex": _regex(cfg["quantitative_level2"])})
    need = set(cfg["required_level1"])
    proj = scope.run(store, "review_projects", filters, {
        "need_output": "产出指标" in need, "need_benefit": "效益指标" in need,
        "need_satisfaction": "满意度指标" in need, "thin_min": int(cfg["thin_min_output"]),
        "total": float(scfg["total"]), "execution_weight": float(scfg["execution_weight"])})
    units = scope.run(store, "review_units", filters, {"min_projects": int(cfg["score_inflation_min_projects"])})
    parts = (_unit_findings(units, cfg) + _indicator_findings(ind, cfg) + _project_findings(proj, cfg)
             + _score_findings(store, filters, cfg))
    cp = copied_text(store, filters, cfg, stats)
    if len(cp):
        parts.append(cp)
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=_RULE_COLUMNS)
    f = pd.concat(parts, ignore_index=True)
    f["key"] = _key_strings(f)
    f["severity"] = f["code"].map(cfg["severity"])
    f = f.drop_duplicates("key")         # the same rule twice on one row (a score finding and a rate one)
    order = {c: i for i, c in enumerate(RULES)}
    f["_sev"] = f["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    f["_rule"] = f["code"].map(order)
    f["_pid"] = pd.to_numeric(f["project_id"], errors="coerce").fillna(-1)
    f = f.sort_values(["_sev", "_rule", "year", "department", "_pid"], kind="stable")
    return f[_RULE_COLUMNS].reset_index(drop=True)


_CACHE: "weakref.WeakKeyDictionary[Store, dict]" = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _cached_rules(store: Store, filters: Filters) -> pd.DataFrame:
    """run_rules, kept per store until the data version or the settings change (decisions are not part of it,
    so marking a finding does not re-run the rules)."""
    cfg = review_settings(store)
    key = (store.data_version(), filters, json.dumps(cfg, ensure_ascii=False, sort_keys=True))
    with _CACHE_LOCK:
        entry = _CACHE.get(store, {})
        if key in entry:
            return entry[key]
    f = run_rules(store, filters, cfg)
    with _CACHE_LOCK:
        entry = {k: v for k, v in _CACHE.get(store, {}).items() if k[0] == key[0]}
        if len(entry) >= 8:
            entry.pop(next(iter(entry)))
        entry[key] = f
        _CACHE[store] = entry
    return f


def decisions(store: Store) -> pd.DataFrame:
    return store.sql_df("SELECT finding_key AS key, status, reason, decided_by, decided_at FROM review_decisions")


def findings(store: Store, filters: Filters = Filters(), codes=(), severities=(), statuses=()) -> pd.DataFrame:
    """The findings under `filters` (FINDING_COLUMNS) with each one's decision: status open / verified /
    rejected, the reason, who and when; narrowed to `codes`, `severities`, `statuses` when given."""
    f = _cached_rules(store, filters)
    d = decisions(store)
    out = f.merge(d, on="key", how="left")
    out["status"] = out["status"].fillna("open")
    out["reason"] = out["reason"].astype(object).where(out["reason"].notna(), None)
    if codes:
        out = out[out["code"].isin(list(codes))]
    if severities:
        out = out[out["severity"].isin(list(severities))]
    if statuses:
        out = out[out["status"].isin(list(statuses))]
    return out[FINDING_COLUMNS].reset_index(drop=True)


def unit_counts(f: pd.DataFrame) -> pd.DataFrame:
    """Per unit (year, department): findings per severity, still open, and in all; the units that need attention
    first (most open P0, then P1, then P2) on top."""
    cols = ["year", "department", *SEVERITIES, "open", "total"]
    if not len(f):
        return pd.DataFrame(columns=cols)
    g = pd.crosstab([f["year"], f["department"]], f["severity"]).reindex(columns=list(SEVERITIES), fill_value=0)
    op = f[f["status"] == "open"]
    open_sev = pd.crosstab([op["year"], op["department"]], op["severity"]).reindex(columns=list(SEVERITIES),
                                                                                   fill_value=0) if len(op) else None
    g["open"] = f.assign(o=f["status"] == "open").groupby(["year", "department"])["o"].sum()
    g["total"] = g[list(SEVERITIES)].sum(axis=1)
    g = g.reset_index()
    if open_sev is not None:
        o = open_sev.add_prefix("_o").reset_index()
        g = g.merge(o, on=["year", "department"], how="left").fillna({f"_o{s}": 0 for s in SEVERITIES})
    else:
        for s in SEVERITIES:
            g[f"_o{s}"] = 0
    g = g.sort_values([f"_o{s}" for s in SEVERITIES] + ["total", "department"],
                      ascending=[False] * len(SEVERITIES) + [False, True], kind="stable")
    g.columns.name = None
    return g[cols].astype({s: "int64" for s in SEVERITIES} | {"open": "int64", "total": "int64"}).reset_index(drop=True)


def counts_by_code(f: pd.DataFrame) -> dict[str, int]:
    """Findings per rule code (every rule, 0 when it found nothing)."""
    vc = f["code"].value_counts() if len(f) else pd.Series(dtype="int64")
    return {code: int(vc.get(code, 0)) for code in RULES}


# ---------------------------------------------------------------- decisions (audited)
class DecisionError(ValueError):
    """A decision that cannot be recorded (unknown finding, a 不采纳 without a reason); Chinese message."""


def decide(store: Store, finding: dict, status: str, reason: str | None, user=None) -> None:
    """Record a reviewer's decision on `finding` (a row of findings()): 'verified' (已核实), 'rejected' (不采纳,
    a reason is required) or 'open' (withdraw the decision). The user must be an editor (or admin) of the
    finding's department; the change and who made it go to review_decision_log in the same transaction."""
    from . import auth
    if status not in STATUSES:
        raise DecisionError(f"未知的复核状态：{status}")
    reason = (reason or "").strip() or None
    if status == "rejected" and not reason:
        raise DecisionError("不采纳需填写理由。")
    actor = auth.resolve(store, user)
    auth.require(actor, "edit", finding["department"])
    now = datetime.now()
    key = finding["key"]
    with store.transaction(bump_version=False) as cur:
        old = cur.execute("SELECT status FROM review_decisions WHERE finding_key = ?", [key]).fetchall()
        old_status = old[0][0] if old else "open"
        cur.execute("DELETE FROM review_decisions WHERE finding_key = ?", [key])
        ident = [finding["code"], _int_or_none(finding.get("year")), finding["department"],
                 finding.get("project"), finding.get("indicator") or None]
        if status != "open":
            cur.execute("INSERT INTO review_decisions (finding_key, code, year, department, project_name, indicator, "
                        "status, reason, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [key, *ident, status, reason, actor.name, now])
        next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM review_decision_log").fetchall()[0][0]
        cur.execute("INSERT INTO review_decision_log (id, changed_at, user_name, finding_key, code, year, department, "
                    "project_name, indicator, old_status, new_status, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [next_id, now, actor.name, key, *ident, old_status, status, reason])


def _int_or_none(v):
    try:
        return None if v is None or pd.isna(v) else int(v)
    except (TypeError, ValueError):
        return None


def decision_log(store: Store, limit: int = 200) -> pd.DataFrame:
    return store.sql_df("SELECT changed_at, user_name, code, year, department, project_name, indicator, old_status, "
                        "new_status, reason FROM review_decision_log ORDER BY id DESC LIMIT ?", [limit])


# ---------------------------------------------------------------- JSON (the CLI; the page shows the same rows)
def _plain(v):
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def to_json(f: pd.DataFrame) -> dict:
    """{"findings": [{code, severity, dimension, department, year, project, indicator (or null), location,
    message, fact, evidence, status, reason, key}], "counts": {code: n}, "units": [...]}."""
    items = []
    for r in f.itertuples(index=False):
        items.append({
            "key": r.key, "code": r.code, "severity": r.severity, "dimension": r.dimension,
            "year": _plain(r.year), "department": r.department,
            "project": r.project if isinstance(r.project, str) else None,
            "indicator": r.indicator if isinstance(r.indicator, str) and r.indicator else None,
            "location": r.location, "message": r.message, "fact": r.fact,
            "evidence": {k: _plain(v) for k, v in (r.evidence or {}).items()},
            "status": r.status, "reason": r.reason if isinstance(r.reason, str) else None,
        })
    units = unit_counts(f)
    return {"findings": items, "counts": counts_by_code(f),
            "units": [{k: _plain(v) for k, v in row.items()} for row in units.to_dict("records")]}
