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

import hashlib
import json
import re
import threading
import time
import weakref
from dataclasses import dataclass, replace
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
    Rule("missing-actual", "报告内容逻辑", "P1", "缺实际完成值",
         "指标没有填写实际完成值，无法判断是否达成（总览“数据检查”中的“缺实际完成值”）。",
         BASIS_SCORING + "：自评应填写各项指标的实际完成值。",
         "补填实际完成值；确实无法取得的，说明原因。"),
    Rule("missing-target", "指标设置", "P1", "缺年度指标值且未判定",
         "指标没有填写年度指标值（目标），也没有人工判定，无法判断是否达成（总览“数据检查”中的“缺指标值未判定”）。"
         "已人工判定的指标不在此列。",
         BASIS_INDICATORS + "：绩效指标应设置明确的指标值。",
         "按批复的绩效目标补填年度指标值，或由复核人员人工判定是否达成。"),
    Rule("pending-judgement", "自评口径", "P2", "指标待人工判定",
         "年度指标值为定性表述（或单位、方向无法比较），实际完成值已填写，但没有人工判定是否达成。",
         BASIS_SCORING + "：定性指标根据指标完成情况分为达成、部分达成、未达成等档次评分。",
         "由填报单位或复核人员按佐证材料判定达成、部分达成或未达成。"),
    Rule("zero-without-reason", "报告内容逻辑", "P1", "实际值为零无说明",
         "实际完成值为 0，但未填写原因。",
         BASIS_FORM + "：未完成绩效目标的，应说明原因。",
         "说明实际完成值为 0 的原因（未实施、结转、口径错误等），必要时更正数据。"),
)}
DIMENSIONS = tuple(dict.fromkeys(r.dimension for r in RULES.values()))

# The overview's data-quality strip (deviations.QUALITY_CHECKS, counted in figures.sql) and these rules are one
# list: each check is a rule here, over the same definitions (scope.sql's rate_mismatch, blank_text, the stored
# status), and tests/test_review_quality.py checks the counts agree. The strip counts in one SQL row for the
# overview; the review page lists the findings. check -> (rule code, which of its findings).
QUALITY_CHECK_RULES = {
    "rate_mismatch": ("reported-vs-computed", "执行率"),       # its findings located at 执行率
    "budget_no_reason": ("missing-reason", "project"),        # project-level findings
    "missing_actual": ("missing-actual", None),
    "missing_target": ("missing-target", None),
    "unmet_no_reason": ("missing-reason", "indicator"),       # indicator-level findings
}


def _check_mask(f: pd.DataFrame, check: str) -> np.ndarray:
    """Which findings of `f` the data-quality check `check` counts."""
    code, part = QUALITY_CHECK_RULES[check]
    m = (f["code"] == code).to_numpy(dtype=bool, copy=True)
    if part == "project":
        m &= f["indicator_id"].isna().to_numpy()
    elif part == "indicator":
        m &= f["indicator_id"].notna().to_numpy()
    elif part is not None:
        m &= (f["location"] == part).to_numpy(dtype=bool)
    return m


def quality_counts(f: pd.DataFrame) -> dict[str, int]:
    """The data-quality strip's counts (deviations.QUALITY_CHECKS keys) from review findings `f`."""
    return {check: int(_check_mask(f, check).sum()) for check in QUALITY_CHECK_RULES}


@dataclass(frozen=True)
class CountItem:
    """One line item of the findings as the brief states them: `n` findings of rule `code`, each one `unit`
    (个单位 / 个项目 / 条指标), under a label saying what they are; `check` is the overview strip's check it is."""
    code: str
    severity: str
    label: str
    n: int
    unit: str
    check: str | None = None

    @property
    def text(self) -> str:
        return f"{self.label} {self.n} {self.unit}"


# Rules whose project-level findings differ by where they are (执行率 / 总分 / 得分; 实际完成情况 / 偏离原因):
# counted apart, so that each item counts at most one finding per project.
_BY_LOCATION = ("reported-vs-computed", "copied-text")


def count_items(f: pd.DataFrame) -> list[CountItem]:
    """Findings `f` (findings() rows) counted for the one-page brief, every finding in exactly one item: first
    the overview strip's checks (deviations.QUALITY_CHECKS labels, the strip's counts), then the other findings by
    severity and rule, split into units, projects and indicators so each item's unit is what it counts. Items
    that count nothing are left out; summed per code they give counts_by_code(f)."""
    from .deviations import QUALITY_CHECKS
    items: list[CountItem] = []
    if not len(f):
        return items
    taken = np.zeros(len(f), dtype=bool)
    for check in QUALITY_CHECK_RULES:
        m = _check_mask(f, check) & ~taken
        taken |= m
        if m.any():
            label, _, unit = QUALITY_CHECKS[check]
            items.append(CountItem(QUALITY_CHECK_RULES[check][0], str(f["severity"][m].iloc[0]), label,
                                   int(m.sum()), unit, check))
    rest = f.loc[~taken, ["code", "severity", "project_id", "indicator_id", "location"]]
    no_project = rest["project_id"].isna().to_numpy()
    on_indicator = rest["indicator_id"].notna().to_numpy()
    level = np.where(on_indicator, "条指标", np.where(no_project, "个单位", "个项目"))
    placed = (level == "个项目") & rest["code"].isin(_BY_LOCATION).to_numpy()
    place = np.full(len(rest), "", dtype=object)       # the locations of those only (not of every indicator)
    place[placed] = rest["location"][placed].astype(object).fillna("").to_numpy()
    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    rule_rank = {c: i for i, c in enumerate(RULES)}
    groups = pd.DataFrame({"code": rest["code"].to_numpy(), "severity": rest["severity"].to_numpy(),
                           "unit": level, "place": place}).value_counts(sort=False).reset_index(name="n")
    groups = groups.assign(_s=groups["severity"].map(sev_rank), _r=groups["code"].map(rule_rank),
                           _u=groups["unit"].map({"个单位": 0, "个项目": 1, "条指标": 2}))
    for g in groups.sort_values(["_s", "_r", "_u", "place"], kind="stable").itertuples(index=False):
        label = RULES[g.code].title + (f"（{g.place}）" if g.place else "")
        items.append(CountItem(g.code, g.severity, label, int(g.n), g.unit))
    return items


def undecided(f: pd.DataFrame) -> list[tuple[str, int]]:
    """(project, indicators nobody has decided) from findings `f`: the missing-target and pending-judgement
    findings per project, most first (the brief lists them apart from the red projects)."""
    u = f[f["code"].isin(["missing-target", "pending-judgement"])]
    if not len(u):
        return []
    n = u.groupby(["project_id", "project"], sort=False).size()       # by id: two units may share a name
    return sorted(((str(p), int(k)) for (_, p), k in n.items()), key=lambda x: (-x[1], x[0]))

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
    # each distinct text is compared with this many neighbours in sorted order, forwards and backwards
    # (RapidFuzz's ratio costs ~1 µs a pair on Chinese texts of 80 characters)
    "copied_window": 6,
    "copied_max_pairs": 10_000_000,        # comparisons at most per run (the page then says 已截断)
}
LEVEL1_CLASSES = {"产出指标": "n_output", "效益指标": "n_benefit", "满意度指标": "n_satisfaction"}
SETTINGS_ZH = {
    "score_inflation_min_projects": "自评流于形式：单位至少有几个项目才判断",
    "score_inflation_min_judged": "自评流于形式：至少有几条人工判定的指标",
    "full_score": "满分（填报总分达到即为满分）",
    "thin_min_output": "产出指标最少条数",
    "copied_min_chars": "文字雷同：参与比较的最短字数",
    "copied_similarity": "文字雷同：相似度阈值（0–100）",
    "copied_window": "文字雷同：每条文字比较的相邻文字数",
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
                    "copied_min_chars", "copied_window", "copied_max_pairs"):
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
    from .overlay import stored_settings
    return stored_settings(store, SETTING_KEY, DEFAULTS, "severity", validate_settings)


def save_review_settings(store: Store, cfg: dict, user=None) -> bool:
    """Store a review configuration as `user` (administrators only; audited in settings_log). ValueError
    (Chinese message) when it is not usable; auth.PermissionDenied for a non-administrator."""
    from .auth import change_setting
    from .overlay import overlay
    merged = overlay(DEFAULTS, cfg, "severity")
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
    cols = []
    for v in evidence.values():
        v = v if isinstance(v, pd.Series) else pd.Series([v] * n, index=idx)
        cols.append([_jsonable(x) for x in v.astype(object).tolist()])
    names = list(evidence)
    dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
    ev = [dumps(dict(zip(names, vals))) for vals in zip(*cols)] if cols else ["{}"] * n
    return _compact(pd.DataFrame({
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
    }, index=range(n)))


_TEXT_COLUMNS = ("code", "dimension", "department", "project", "project_code", "indicator", "location", "message",
                 "fact", "evidence", "_l1", "_l2")


def _compact(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Arrow-backed strings (a province's findings are ~700,000 rows: Python str objects
    would take several times the memory)."""
    for c in _TEXT_COLUMNS:
        if c in df and df[c].dtype == object:
            df[c] = df[c].astype("str")
    return df


def _jsonable(x):
    """A cell as JSON can hold it: numpy numbers as Python ones, NaN/NA as None, whole floats as ints."""
    if x is None or x is pd.NA:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if x != x else (int(x) if float(x).is_integer() and abs(x) < 1e15 else float(x))
    return x


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


def _states_scores(store: Store) -> bool:
    """Whether any project states a 得分 or 总分 at all (else reported-vs-computed has no scores to compare)."""
    q = ("SELECT count(*) FROM projects p WHERE p.reported_total_score IS NOT NULL "
         "OR p.execution_reported_score IS NOT NULL OR EXISTS (SELECT 1 FROM indicators i "
         "WHERE i.project_id = p.id AND i.reported_score IS NOT NULL)")
    return bool(store.scalar(q))


def _score_findings(store: Store, filters: Filters, cfg: dict) -> list[pd.DataFrame]:
    """reported-vs-computed for stated 得分 / 总分: scoring.project_scores (vectorised); run_rules calls it only
    when some project states a score at all (_states_scores)."""
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
    seconds: float = 0.0


FIELD_ZH = {"achievement": "实际完成情况", "deviation_reason": "偏离原因"}


def _neighbour_pairs(texts: list[str], window: int, cutoff: float, budget: list[int],
                     stats: CopyStats) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, score) arrays, i < j, of `texts` at least `cutoff` similar (RapidFuzz ratio), found by sorted
    neighbourhood: the texts sorted as written and sorted back to front (a copy that differs near its end sorts
    next to its source, one that differs near its start sorts next to it read backwards), each compared with
    the `window` texts after it in either order, element-wise (process.cpdist: no all-pairs matrix)."""
    from rapidfuzz import fuzz, process
    m = len(texts)
    found = []
    if m >= 2:
        for keyed in (texts, [t[::-1] for t in texts]):
            order = np.array(sorted(range(m), key=keyed.__getitem__), dtype=np.int64)
            for k in range(1, min(window, m - 1) + 1):
                a, b = order[:-k], order[k:]
                if budget[0] < len(a):
                    stats.capped = True
                    break
                budget[0] -= len(a)
                stats.pairs_compared += len(a)
                score = process.cpdist([texts[i] for i in a], [texts[j] for j in b], scorer=fuzz.ratio,
                                       score_cutoff=cutoff, dtype=np.uint8, workers=1)
                hit = np.flatnonzero(score)
                found.append((np.minimum(a[hit], b[hit]), np.maximum(a[hit], b[hit]), score[hit]))
            if stats.capped:
                break
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
    i, j, sc = (np.concatenate(x) for x in zip(*found))
    _, first = np.unique(i * m + j, return_index=True)      # a pair found both ways counts once
    return i[first], j[first], sc[first]



def copied_text(store: Store, filters: Filters, cfg: dict, stats: CopyStats | None = None) -> pd.DataFrame:
    """copied-text findings: 实际完成情况 / 偏离原因 texts nearly identical (RapidFuzz ratio ≥ copied_similarity,
    after removing spaces and punctuation) to another project's, across units. Per year and field: exact copies
    are grouped by text (compared once, as one text); the distinct texts are compared by sorted neighbourhood
    (_neighbour_pairs, copied_window neighbours), at most copied_max_pairs comparisons in all (stats.capped)."""
    stats = stats if stats is not None else CopyStats()
    started = time.perf_counter()
    try:
        return _copied_text(store, filters, cfg, stats)
    finally:
        stats.seconds = time.perf_counter() - started


def _copied_text(store: Store, filters: Filters, cfg: dict, stats: CopyStats) -> pd.DataFrame:
    t = scope.run(store, "review_texts", filters, {"min_chars": int(cfg["copied_min_chars"])})
    stats.texts = len(t)
    if len(t) < 2:
        return pd.DataFrame()
    cutoff = float(cfg["copied_similarity"])
    budget = [int(cfg["copied_max_pairs"])]
    window = int(cfg["copied_window"])
    rows_out, other_out, score_out, count_out = [], [], [], []
    for _, g in t.groupby(["year", "field"], sort=False):
        rows = g.index.to_numpy()
        codes, uniq = pd.factorize(g["norm"])        # exact copies share a code: compared once, as one text
        n_text = len(uniq)
        size = np.bincount(codes, minlength=n_text)
        i, j, sc = _neighbour_pairs([str(u) for u in uniq], window, cutoff, budget, stats)
        a, b, s2 = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([sc, sc]).astype(np.int64)
        others = np.bincount(a, weights=size[b], minlength=n_text).astype(np.int64)
        best_text = np.full(n_text, -1, dtype=np.int64)
        best_score = np.zeros(n_text, dtype=np.int64)
        if len(a):
            order = np.lexsort((b, -s2, a))                 # per text: the most similar other first
            lead = order[np.r_[True, a[order][1:] != a[order][:-1]]]
            best_text[a[lead]], best_score[a[lead]] = b[lead], s2[lead]
        # first and second row holding each distinct text
        first_pos = np.full(n_text, -1, dtype=np.int64)
        second_pos = np.full(n_text, -1, dtype=np.int64)
        uniq_codes, first_idx = np.unique(codes, return_index=True)
        first_pos[uniq_codes] = first_idx
        rest = np.ones(len(codes), dtype=bool)
        rest[first_idx] = False
        rc, ri = np.unique(codes[rest], return_index=True)
        second_pos[rc] = np.flatnonzero(rest)[ri]
        flagged = (size[codes] > 1) | (others[codes] > 0)
        pos = np.flatnonzero(flagged)
        c = codes[pos]
        copy = size[c] > 1
        other_pos = np.where(copy, np.where(first_pos[c] == pos, second_pos[c], first_pos[c]),
                             first_pos[np.maximum(best_text[c], 0)])
        rows_out.append(rows[pos])
        other_out.append(rows[other_pos])
        score_out.append(np.where(copy, 100, best_score[c]))
        count_out.append(size[c] - 1 + others[c])
        if stats.capped:
            break
    rows_all = np.concatenate(rows_out) if rows_out else np.zeros(0, np.int64)
    stats.similar_pairs = int(np.concatenate(count_out).sum() // 2) if count_out else 0
    if not len(rows_all):
        return pd.DataFrame()
    d = t.loc[rows_all].copy()
    other = t.loc[np.concatenate(other_out)]
    d["similar_to"] = other["project"].to_numpy()
    d["similar_department"] = other["department"].to_numpy()
    d["similarity"] = np.concatenate(score_out)
    d["similar_count"] = np.concatenate(count_out)
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
def _identity(code, name) -> str:
    """A project's identity in a finding key, as queries/scoped/review_indicators.sql writes it."""
    if isinstance(code, str) and code.strip():
        return "code:" + code.strip()
    return "name:" + re.sub(r"\s", "", str(name)) if isinstance(name, str) else ""


def _key_strings(f: pd.DataFrame) -> list[str]:
    """Each finding's key (the formula of review_indicators.sql): md5 of code | year | department | project
    identity | 一级 | 二级 | 三级 | evidence JSON (copied-text: the field and its own text's md5)."""
    pairs = pd.MultiIndex.from_arrays([f["project_code"].astype(object).where(f["project_code"].notna(), ""),
                                       f["project"].astype(object).where(f["project"].notna(), "")])
    codes, uniq = pd.factorize(pairs)
    ident = np.array([_identity(c, n or None) for c, n in uniq], dtype=object)[codes]
    ev = f["_keyev"].where(f["_keyev"].notna(), f["evidence"]) if "_keyev" in f else f["evidence"]
    parts = zip(f["code"].tolist(), f["year"].astype(str).tolist(), f["department"].tolist(), ident.tolist(),
                f["_l1"].tolist(), f["_l2"].tolist(), f["indicator"].where(f["indicator"].notna(), "").tolist(),
                ev.tolist())
    md5 = hashlib.md5
    return [md5("|".join(p).encode()).hexdigest() for p in parts]


ID_SLICE = 20_000      # project ids per run of review_indicators.sql (bounds DuckDB's memory at a province's scale)
# Projects per group of whole units (主管部门) the rules run over at a time: the findings of one group are built,
# keyed and sorted while the others' are only their finished rows (a year at a province's scale in one piece
# peaked at ~2.5 GB). A unit larger than this is a group of its own.
GROUP_PROJECTS = 20_000


def run_rules(store: Store, filters: Filters = Filters(), cfg: dict | None = None,
              stats: CopyStats | None = None) -> pd.DataFrame:
    """Every rule over the projects under `filters`: one row per finding (FINDING_COLUMNS without the
    decision columns), ordered by severity, rule, year, department, project, indicator position.

    Computed a group of whole units at a time (_unit_groups, GROUP_PROJECTS projects) and merged in that
    order; the rules that compare across units (copied-text) or judge a unit as a whole (score-inflation) run
    once over all the filtered projects and each group takes its units' findings. The same rows as one run
    over all of them (tests/test_review_chunks.py): every sort key above the project is the unit's, a finding's
    key names its unit, so each group's rows, duplicates and order are the ones the whole run has there."""
    cfg = cfg or review_settings(store)
    cp = copied_text(store, filters, cfg, stats)        # first: its working memory is gone before the rest
    from .scoring import scoring_settings
    scfg = scoring_settings(store)
    run = _GroupRun(
        cfg=cfg,
        extra={"score_tolerance": float(scfg["score_tolerance"]), "vague_regex": _regex(cfg["vague_words"]),
               "quant_regex": _regex(cfg["quantitative_level2"])},
        pextra={"need_output": "产出指标" in set(cfg["required_level1"]),
                "need_benefit": "效益指标" in set(cfg["required_level1"]),
                "need_satisfaction": "满意度指标" in set(cfg["required_level1"]),
                "thin_min": int(cfg["thin_min_output"]), "total": float(scfg["total"]),
                "execution_weight": float(scfg["execution_weight"])},
        units=_unit_findings(scope.run(store, "review_units", filters,
                                       {"min_projects": int(cfg["score_inflation_min_projects"])}), cfg),
        copied=cp, scored=_states_scores(store))
    groups = _unit_groups(store, filters)
    if len(groups) <= 1:        # one group: the filters as they are
        return _group_rules(store, filters, run, None)
    parts = [_group_rules(store, replace(filters, departments=g), run, g) for g in groups]
    return _merged(parts)


@dataclass
class _GroupRun:
    """What every group of a run_rules call shares: the settings, the query parameters, and the findings of
    the rules judged over all the filtered projects at once (score-inflation per unit, copied-text)."""
    cfg: dict
    extra: dict
    pextra: dict
    units: list
    copied: pd.DataFrame
    scored: bool          # some project states a 得分 / 总分: reported-vs-computed compares the scores


def _unit_groups(store: Store, filters: Filters) -> list[tuple[str, ...]]:
    """The departments of the filtered projects in groups of whole units of at most GROUP_PROJECTS projects
    (a larger unit alone), in the order of their first project (queries/scoped/review_departments.sql)."""
    d = scope.run(store, "review_departments", filters)
    groups, cur, n = [], [], 0
    for dept, k in zip(d["department"].tolist(), d["projects"].tolist()):
        if cur and n + int(k) > GROUP_PROJECTS:
            groups.append(tuple(cur))
            cur, n = [], 0
        cur.append(dept)
        n += int(k)
    if cur:
        groups.append(tuple(cur))
    return groups


def _of_units(parts: list[pd.DataFrame], units: tuple[str, ...] | None) -> list[pd.DataFrame]:
    """The rows of `parts` of the departments `units` (all of them when None), in their order."""
    if units is None:
        return [p for p in parts if len(p)]
    return [q for q in (p[p["department"].isin(list(units)).to_numpy()] for p in parts if len(p)) if len(q)]


def _group_rules(store: Store, filters: Filters, run: _GroupRun, units: tuple[str, ...] | None) -> pd.DataFrame:
    """The findings of the projects under `filters` (one group of units, or all when `units` is None), with
    the shared whole-filter findings of those units: keyed, given their severity, sorted and without duplicates."""
    cfg = run.cfg
    lo, hi = scope.run(store, "review_id_range", filters).iloc[0]
    slices, parts = [], []
    for a in ([] if pd.isna(lo) else range(int(lo), int(hi) + 1, ID_SLICE)):
        ids = {"lo": int(a), "hi": int(min(a + ID_SLICE - 1, hi))}
        slices.append(scope.run(store, "review_indicators", filters, {**run.extra, **ids}))
        parts += _project_findings(scope.run(store, "review_projects", filters, {**run.pextra, **ids}), cfg)
    slices = [x for x in slices if len(x)]
    ind = pd.concat(slices, ignore_index=True) if len(slices) > 1 else slices[0] if slices else pd.DataFrame()
    del slices
    parts += _of_units(run.units, units) + (_score_findings(store, filters, cfg) if run.scored else [])
    parts += _of_units([run.copied], units)
    parts = [p for p in parts if len(p)]
    if parts:
        py = pd.concat(parts, ignore_index=True)
        py["key"] = _key_strings(py)
        parts = [py[_RULE_COLUMNS]]
    if len(ind):
        ind["severity"] = None
        ind["dimension"] = ind["code"].map({c: r.dimension for c, r in RULES.items()})
        parts.append(ind[_RULE_COLUMNS])
    if not parts:
        return pd.DataFrame(columns=_RULE_COLUMNS)
    f = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    del parts, ind
    f["severity"] = f["code"].map(cfg["severity"]).astype("str")
    dup = f["key"].duplicated().to_numpy()     # the same rule twice on one row (a score finding and a rate one)
    order = _rule_order(f)
    order = order[~dup[order]]
    return f.take(order).reset_index(drop=True)


def _rule_order(f: pd.DataFrame) -> np.ndarray:
    """The positions of findings `f` by severity, rule, year, department, project, then as they are."""
    sev = f["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy()
    rule = f["code"].map({c: i for i, c in enumerate(RULES)}).to_numpy()
    dept = pd.factorize(f["department"], sort=True)[0]
    pid = pd.to_numeric(f["project_id"], errors="coerce").fillna(-1).to_numpy()
    return np.lexsort((np.arange(len(f)), pid, dept, f["year"].to_numpy(), rule, sev))


def _merged(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Sorted findings of disjoint groups of units as one sorted frame (_rule_order): each (severity, rule,
    year, department) is one group's run of rows, so the result is runs of the parts, put together without
    copying their text (Arrow-backed strings are concatenated as chunks: never a second copy of the year)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=_RULE_COLUMNS)
    if len(parts) == 1:
        return parts[0]
    f = pd.concat(parts, ignore_index=True)
    order = _rule_order(f)
    cut = np.flatnonzero(np.diff(order) != 1) + 1
    starts, ends = np.r_[0, cut], np.r_[cut, len(order)]
    runs = [f.iloc[order[a]:order[b - 1] + 1] for a, b in zip(starts, ends)]
    del f
    return pd.concat(runs, ignore_index=True)


_CACHE: "weakref.WeakKeyDictionary[Store, dict]" = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
_RUNNING: dict = {}          # key -> lock: a second caller of the same (store, key) waits for the first's result
YEARS_KEPT = 4               # a year's findings at a province's scale are ~150 MB: keep this many per store


def _memo(store: Store, key, compute):
    """compute(), kept per store under `key` (whose first element is the data version: entries of an older
    version are dropped when a newer one is stored); one computation at a time per key."""
    with _CACHE_LOCK:
        entry = _CACHE.get(store, {})
        if key in entry:
            return entry[key]
        lock = _RUNNING.setdefault((id(store), key), threading.Lock())
    with lock:
        with _CACHE_LOCK:
            if key in _CACHE.get(store, {}):
                return _CACHE[store][key]
        try:
            f = compute()
        finally:
            with _CACHE_LOCK:
                _RUNNING.pop((id(store), key), None)
        with _CACHE_LOCK:
            entry = {k: v for k, v in _CACHE.get(store, {}).items() if k[0] == key[0]}
            while len(entry) >= YEARS_KEPT:
                entry.pop(next(iter(entry)))
            entry[key] = f
            _CACHE[store] = entry
    return f


def _settings_key(store: Store, cfg: dict) -> str:
    """The settings the rules read (review and scoring), as one string; a settings save also moves the data
    version, this only makes the key say so."""
    from .scoring import scoring_settings
    return json.dumps([cfg, scoring_settings(store)], ensure_ascii=False, sort_keys=True, default=str)


def year_findings(store: Store, year: int, cfg: dict | None = None) -> pd.DataFrame:
    """run_rules over the whole year (every unit, every project), computed once per (data version, settings,
    year) and kept in this process and in the database for every other (perfboard.review_store); the page's
    filter changes and the CLI narrow it (narrow_findings)."""
    cfg = cfg or review_settings(store)
    skey, version = _settings_key(store, cfg), store.data_version()

    def compute():          # another process (the app, the CLI) may have computed them: perfboard.review_store
        from . import review_store
        md5 = review_store.settings_md5(skey)
        f = review_store.load(store, year, version, md5)
        if f is None:
            with _COMPUTE_LOCK:         # one year's computation at a time in this process (the warm-up's too)
                f = review_store.load(store, year, version, md5)
                if f is None:
                    f = run_rules(store, Filters(year=int(year)), cfg)
                    review_store.save(store, year, version, md5, f)
        return f
    return _memo(store, (version, "year", int(year), skey), compute)


# One year's run_rules at a time in a process (~1 GB at a province's scale): the warm-up's years one after the
# other, and a page or command computing a year waits for the year being computed instead of running beside it.
_COMPUTE_LOCK = threading.Lock()


def stored_year(store: Store, year: int, cfg: dict | None = None, remember: bool = True) -> str | None:
    """Make sure the findings of `year` are stored and current (perfboard.review_store) for the current data
    version and settings, computing and storing them when they are not (one year at a time per process,
    _COMPUTE_LOCK), without keeping them in this process. Returns the settings md5 they are stored under; None
    when they cannot be stored (a read-only store, or the data changed while they were computed): then, with
    `remember`, the computed findings are kept in this process's cache for year_findings instead.

    Current means computed at the data version read on entry or a newer one (see _year_now)."""
    return _year_now(store, year, cfg, remember)[0]


def _kept_since(store: Store, year: int, skey: str, since: int) -> pd.DataFrame | None:
    """The findings of `year` with settings `skey` kept in this process for a data version >= `since`."""
    with _CACHE_LOCK:
        entry = _CACHE.get(store, {})
        for k in sorted(entry, key=lambda k: k[0], reverse=True):
            if k[0] >= since and k[1:] == ("year", int(year), skey):
                return entry[k]
    return None


def _year_now(store: Store, year: int, cfg: dict | None = None,
              remember: bool = True) -> tuple[str | None, pd.DataFrame | None]:
    """The findings of `year` as of now: (md5, None) when they are stored (review_store) for the data version
    read on entry or a newer one, else (None, the year's findings computed here) when they could not be stored
    (the data changed while they were computed; kept in this process with `remember`), else (None, None) (a
    read-only store, or not remembered).

    Findings computed at a version no older than the one read on entry show that state or a newer one, never an
    older one. So under load (issue 19: 20 sessions while saves move the data version every second) a session
    that waited for _COMPUTE_LOCK takes what the session before it computed when that is new enough, instead
    of computing again for every save that came meanwhile: one computation, for the newest version, serves every
    session waiting for it."""
    from . import review_store
    want = store.data_version()           # first: the settings read next are at least as new
    cfg = cfg or review_settings(store)
    skey = _settings_key(store, cfg)
    md5 = review_store.settings_md5(skey)

    def ready():
        v = review_store.stored_version(store, year, md5)
        if v is not None and v >= want:
            return md5, None
        f = _kept_since(store, year, skey, want)
        return (None, f) if f is not None else None
    got = ready()
    if got is not None:
        return got
    if getattr(store, "read_only", False):
        return None, None
    with _COMPUTE_LOCK:
        got = ready()       # computed meanwhile, new enough (another session, the warm-up, another process)
        if got is not None:
            return got
        version = store.data_version()
        f = run_rules(store, Filters(year=int(year)), cfg)
        if review_store.save(store, year, version, md5, f):
            return md5, None
        if not remember:
            return None, None
        with _CACHE_LOCK:   # inside the lock: the sessions waiting for it find them (ready)
            entry = {k: v for k, v in _CACHE.get(store, {}).items() if k[0] >= version}
            while len(entry) >= YEARS_KEPT:
                entry.pop(next(iter(entry)))
            entry[(version, "year", int(year), skey)] = f
            _CACHE[store] = entry
    return None, f


def narrow_findings(store: Store, f: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The findings `f` of a whole year that concern the projects under `filters`, and the units (findings
    without a project) that have a project under them; in f's order. Each rule judged the whole year: a text
    copied from a unit outside the filters is still a copy, and 自评流于形式 is judged on the whole unit."""
    if not len(f):
        return f
    if not (filters.funding_sources or filters.lights or filters.search.strip()):
        if not filters.departments:
            return f
        return f[f["department"].isin(list(filters.departments)).to_numpy()].reset_index(drop=True)
    ids = scope.run(store, "review_scope_ids", filters)
    pid = pd.to_numeric(f["project_id"], errors="coerce")
    keep = pid.isin(ids["id"].astype("int64")).to_numpy(dtype=bool, copy=True)
    keep |= (pid.isna() & f["department"].isin(ids["department"].unique())).to_numpy()
    return f[keep].reset_index(drop=True)


def _cached_rules(store: Store, filters: Filters) -> pd.DataFrame:
    """The rules' findings under `filters`: the year's findings (computed once per data version and settings,
    see year_findings) narrowed to the filters; without a year, run_rules over the filters, kept likewise.
    Decisions are not part of it, so marking a finding does not re-run the rules."""
    cfg = review_settings(store)
    if filters.year is not None:
        return narrow_findings(store, year_findings(store, filters.year, cfg), filters)
    key = (store.data_version(), "filters", filters, _settings_key(store, cfg))
    return _memo(store, key, lambda: run_rules(store, filters, cfg))


# What the counts of the findings read (count_items, undecided, quality_counts, counts_by_code, and
# narrow_findings to narrow them): not the texts, which are most of a year's memory.
COUNT_COLUMNS = ("code", "severity", "year", "department", "project_id", "project", "indicator_id", "location")


def count_findings(store: Store, filters: Filters) -> pd.DataFrame:
    """The rules' findings under `filters` (as findings() without decisions, in its order) with COUNT_COLUMNS
    only, for a brief that counts them: a year's from this process's cache, else the database's stored rows
    read without their texts (a province's year: ~0.15 GB instead of ~0.6 GB), else computed (year_findings)."""
    if filters.year is None:
        return _cached_rules(store, filters)[list(COUNT_COLUMNS)]
    cfg = review_settings(store)
    skey, version = _settings_key(store, cfg), store.data_version()
    with _CACHE_LOCK:
        f = _CACHE.get(store, {}).get((version, "year", int(filters.year), skey))
    if f is None:
        from . import review_store
        f = review_store.load(store, filters.year, version, review_store.settings_md5(skey), COUNT_COLUMNS)
    if f is None:
        f = year_findings(store, filters.year, cfg)
    return narrow_findings(store, f[list(COUNT_COLUMNS)], filters)


def warm(store: Store) -> list[int]:
    """Store the findings of every year whose stored findings are missing or stale (stored_year), the newest
    year first, one year at a time, none kept in this process: after opening and importing (ui.state.warm_up,
    in the background) and for the bench database (bench/build_db.py), so that the page, whatever year it is
    moved to, only reads them. Returns the years stored and current at the end; a failure here is the page's to
    report, not the warm-up's."""
    done = []
    try:
        for year in store.years():
            if stored_year(store, year, remember=False) is not None:
                done.append(year)
    except Exception:         # noqa: BLE001 - a background warm-up must not die loudly; the page recomputes
        pass
    return done


def decisions(store: Store) -> pd.DataFrame:
    return store.sql_df("SELECT finding_key AS key, status, reason, decided_by, decided_at FROM review_decisions")


def findings(store: Store, filters: Filters = Filters(), codes=(), severities=(), statuses=()) -> pd.DataFrame:
    """The findings under `filters` (FINDING_COLUMNS) with each one's decision: status open / verified /
    rejected, the reason, who and when; narrowed to `codes`, `severities`, `statuses` when given."""
    return _decided(store, _cached_rules(store, filters), codes, severities, statuses)


def _decided(store: Store, f: pd.DataFrame, codes=(), severities=(), statuses=()) -> pd.DataFrame:
    """Findings `f` (the rules' rows) narrowed to `codes` and `severities`, with each one's decision, narrowed to
    `statuses` (findings())."""
    if codes:
        f = f[f["code"].isin(list(codes)).to_numpy()]
    if severities:
        f = f[f["severity"].isin(list(severities)).to_numpy()]
    d = decisions(store)
    # the decisions looked up by key (a left join without copying the findings' columns: a year at a
    # province's scale is ~0.5 GB of text, and a merge copied all of it on every rerun)
    pos = pd.Index(d["key"]).get_indexer(f["key"]) if len(d) else np.full(len(f), -1)
    has = pos >= 0

    def looked_up(col, missing):
        v = d[col].to_numpy(dtype=object)[np.where(has, pos, 0)] if len(d) else np.empty(len(f), dtype=object)
        v[~has] = missing
        return v
    out = f.assign(status=looked_up("status", "open"), reason=looked_up("reason", None),
                   decided_by=looked_up("decided_by", None),
                   decided_at=pd.to_datetime(looked_up("decided_at", None)))
    out["reason"] = out["reason"].where(pd.notna(out["reason"]), None)
    if statuses:
        out = out[out["status"].isin(list(statuses)).to_numpy()]
    return out[FINDING_COLUMNS].reset_index(drop=True)


class PageView:
    """What 自评复核 shows of the findings under the filters and its choices (rules, severities, statuses): the
    counts (`groups`: year, department, severity, dimension, status, n), one severity's rows a page at a time,
    the finding picked, and every row only for the workpaper. From the year's stored findings in SQL
    (review_store.counts / rows: only the counts and the rows shown leave DuckDB), or, when they cannot be
    stored (no year chosen, a read-only store), from findings() in pandas: the same figures and rows either way
    (tests/test_review_view.py)."""

    def __init__(self, store: Store, filters: Filters, codes=(), severities=(), statuses=(),
                 frame: pd.DataFrame | None = None):
        self.store, self.filters = store, filters
        self.choices = (tuple(codes), tuple(severities), tuple(statuses))
        self.frame = frame
        if frame is None:
            from . import review_store
            self.groups = review_store.counts(store, filters, *self.choices)
        elif len(frame):
            self.groups = frame.groupby(["year", "department", "severity", "dimension", "status"],
                                        sort=True, dropna=False).size().reset_index(name="n").astype({"year": "int64"})
        else:
            self.groups = pd.DataFrame({c: pd.Series(dtype=object) for c in
                                        ("year", "department", "severity", "dimension", "status")}
                                       | {"n": pd.Series(dtype="int64")})

    @property
    def stored(self) -> bool:
        return self.frame is None

    def total(self) -> int:
        return int(self.groups["n"].sum())

    def by_severity(self) -> dict[str, int]:
        n = self.groups.groupby("severity")["n"].sum()
        return {s: int(n.get(s, 0)) for s in SEVERITIES}

    def open(self) -> int:
        return int(self.groups.loc[self.groups["status"] == "open", "n"].sum())

    def unit_count(self) -> int:
        return int(self.groups[["year", "department"]].drop_duplicates().shape[0])

    def units(self) -> pd.DataFrame:
        return unit_counts(self.groups)

    def dimensions(self, severity: str) -> list[tuple[str, int]]:
        """(维度, findings) of one severity, in the order of its table (by 维度)."""
        g = self.groups[self.groups["severity"] == severity]
        n = g.groupby("dimension", sort=True)["n"].sum()
        return [(str(d), int(k)) for d, k in n.items() if k]

    def rows(self, severity: str, offset: int = 0, limit: int = 200) -> pd.DataFrame:
        """Findings of `severity` (FINDING_COLUMNS) from `offset`, at most `limit`, by 维度 and rule."""
        if self.frame is None:
            from . import review_store
            return review_store.rows(self.store, self.filters, *self.choices, severity=severity,
                                     limit=limit, offset=offset)[FINDING_COLUMNS]
        part = self.frame[(self.frame["severity"] == severity).to_numpy(dtype=bool)]
        part = part.sort_values(["dimension", "code"], kind="stable")
        return part.iloc[offset:offset + limit].reset_index(drop=True)

    def picked(self, key) -> pd.DataFrame:
        """The finding `key` when it is under the filters and choices (no row otherwise)."""
        if not isinstance(key, str):
            return pd.DataFrame(columns=FINDING_COLUMNS)
        if self.frame is None:
            from . import review_store
            return review_store.rows(self.store, self.filters, *self.choices, key=key, limit=1)[FINDING_COLUMNS]
        return self.frame[(self.frame["key"] == key).to_numpy(dtype=bool)].reset_index(drop=True)

    def all(self) -> pd.DataFrame:
        """Every finding (findings()): for the workpaper, built only when it is asked for."""
        return self.frame if self.frame is not None else findings(self.store, self.filters, *self.choices)


def page_view(store: Store, filters: Filters, codes=(), severities=(), statuses=()) -> PageView:
    """自评复核's findings under `filters` and the page's choices (PageView): the year's findings stored first
    when they are not (stored_year: computed once per data version and settings, then read in SQL per filter),
    else findings() in pandas."""
    if filters.year is not None:
        md5, f = _year_now(store, int(filters.year))
        if md5 is not None:
            return PageView(store, filters, codes, severities, statuses)
        if f is not None:   # computed at the version read on entry or later, not stored (the data moved on)
            return PageView(store, filters, codes, severities, statuses,
                            frame=_decided(store, narrow_findings(store, f, filters), codes, severities, statuses))
    return PageView(store, filters, codes, severities, statuses, frame=findings(store, filters, codes, severities,
                                                                                statuses))


def unit_counts(f: pd.DataFrame) -> pd.DataFrame:
    """Per unit (year, department): findings per severity, still open, and in all; the units that need attention
    first (most open P0, then P1, then P2) on top. `f` is findings() rows, or rows counted (a column n: each
    row stands for n findings, as review_store.counts gives them)."""
    cols = ["year", "department", *SEVERITIES, "open", "total"]
    if not len(f):
        return pd.DataFrame(columns=cols)
    w = (f["n"] if "n" in f else pd.Series(1, index=f.index)).astype("int64")
    is_open = (f["status"] == "open").to_numpy(dtype=bool)
    by = [f["year"], f["department"]]
    g = pd.crosstab(by, f["severity"], values=w, aggfunc="sum").reindex(columns=list(SEVERITIES)).fillna(0)
    open_w = w.where(is_open, 0)
    o = pd.crosstab(by, f["severity"], values=open_w, aggfunc="sum").reindex(columns=list(SEVERITIES)).fillna(0)
    g["open"] = open_w.groupby(by).sum()
    g["total"] = g[list(SEVERITIES)].sum(axis=1)
    g = g.join(o.add_prefix("_o")).reset_index()
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


def decision_log(store: Store, filters: Filters = Filters(), limit: int = 200) -> pd.DataFrame:
    """The latest decision changes, newest first, of the filters' year and departments (the user's own, once
    auth.scope_filters narrowed them; none chosen: all)."""
    return store.sql_df("SELECT changed_at, user_name, code, year, department, project_name, indicator, old_status, "
                        "new_status, reason FROM review_decision_log "
                        "WHERE (? IS NULL OR year = ?) AND (? IS NULL OR list_contains(?, department)) "
                        "ORDER BY id DESC LIMIT ?",
                        [filters.year, filters.year, list(filters.departments) or None,
                         list(filters.departments) or None, limit])


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


_JSON_FIELDS = ("key", "code", "severity", "dimension", "year", "department", "project", "indicator", "location",
                "message", "fact", "evidence", "status", "reason")


def _str_or_none(v):
    return v if isinstance(v, str) else None


# what to_json makes of each column's value (the item's field of the same name)
_JSON_VALUE = {"year": _plain, "project": _str_or_none, "reason": _str_or_none,
               "indicator": lambda v: v if isinstance(v, str) and v else None,
               "evidence": lambda v: json.loads(v) if isinstance(v, str) else {}}


# json.dumps(s, ensure_ascii=False) of a str is this function's result (JSONEncoder.encode returns
# encode_basestring(s) for any str); without the encoder object json.dumps makes on every call with keywords
_ENCODE_STR = json.encoder.encode_basestring


def _json_column(values: pd.Series, name: str, head: str = "", tail: str = "") -> np.ndarray:
    """Each value of column `name` as the JSON text json.dumps(to_json's item) writes for it, between `head`
    and `tail`: encoded once per distinct value (evidence parsed once per distinct text), missing values one by
    one (None and NaN differ)."""
    conv = _JSON_VALUE.get(name)

    def enc(v):
        v = conv(v) if conv else v
        if isinstance(v, str):
            return head + _ENCODE_STR(v) + tail
        return head + json.dumps(v, ensure_ascii=False, default=str) + tail
    codes, uniq = pd.factorize(values)
    out = np.array([enc(u) for u in uniq.tolist()] + [""], dtype=object)[codes]
    miss = np.flatnonzero(codes < 0)
    if len(miss):
        raw = values.to_numpy(dtype=object)
        out[miss] = [enc(raw[i]) for i in miss]
    return out


JSON_CHUNK = 20_000      # findings per piece of iter_json


def iter_json(f: pd.DataFrame, extra: dict | None = None):
    """to_json(f) (with `extra`'s keys after its own) as pieces of text whose concatenation is exactly
    json.dumps(that dict, ensure_ascii=False, default=str): the findings encoded column-wise, a chunk of
    JSON_CHUNK items at a time, never the whole list of dicts or the whole document in memory."""
    yield '{"findings": ['
    for a in range(0, len(f), JSON_CHUNK):
        part = f.iloc[a:a + JSON_CHUNK]
        last = len(_JSON_FIELDS) - 1      # each item: {"key": ..., "code": ..., ...}, its field names in the columns
        cols = [_json_column(part[name], name, ("{" if i == 0 else ", ") + f'"{name}": ', "}" if i == last else "")
                .tolist() for i, name in enumerate(_JSON_FIELDS)]
        yield (", " if a else "") + ", ".join(map("".join, zip(*cols)))
    units = unit_counts(f)
    tail = {"counts": counts_by_code(f),
            "units": [{k: _plain(v) for k, v in row.items()} for row in units.to_dict("records")], **(extra or {})}
    yield "]" + "".join(f", {json.dumps(k)}: {json.dumps(v, ensure_ascii=False, default=str)}"
                        for k, v in tail.items()) + "}"


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
            "evidence": json.loads(r.evidence) if isinstance(r.evidence, str) else {},
            "status": r.status, "reason": r.reason if isinstance(r.reason, str) else None,
        })
    units = unit_counts(f)
    return {"findings": items, "counts": counts_by_code(f),
            "units": [{k: _plain(v) for k, v in row.items()} for row in units.to_dict("records")]}
