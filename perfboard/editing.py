"""Editing one project's figures and indicator table: load with a version token, validate, save in one
transaction with an audit trail (refusing when someone else saved meanwhile), undo a save, the history."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from . import auth
from .db import QUERIES, Store
from .flat import indicator_values
from .indicators import STATUS_ZH, refresh_status, status_of, with_status
from .validation_report import ERROR, INFO, WARNING
from .scoring import DEFAULTS as SCORING_DEFAULTS
from .scoring import ProjectScore, score_project
from .targets import DIRECTIONS, JUDGEMENTS, QUALITATIVE, parse_value
from .versions import notes_blind

# ---------------------------------------------------------------- vocabulary
LEVELS_KEY = "indicator_levels"
DEFAULT_LEVELS = {                    # in form order; 成本 as a 一级 of its own where a province uses it
    "产出指标": ["数量指标", "质量指标", "时效指标", "成本指标"],
    "成本指标": ["经济成本指标", "社会成本指标", "生态环境成本指标"],
    "效益指标": ["经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"],
    "满意度指标": ["服务对象满意度指标"],
}
DIRECTION_CHOICES = [*DIRECTIONS, QUALITATIVE]
JUDGEMENT_CHOICES = list(JUDGEMENTS)

# Project columns a person may edit here, with their labels.
PROJECT_FIELDS = {
    "initial_budget": "年初预算数（万元）", "budget": "全年预算数（万元）", "spent": "全年执行数（万元）",
    "reported_rate": "填报执行率", "goal": "年度总体目标", "achievement": "实际完成情况",
    "deviation_reason": "偏离原因", "improvement": "改进措施",
}
NUMBER_FIELDS = ("initial_budget", "budget", "spent", "reported_rate")
REQUIRED_FIELDS = ("budget", "spent")
PROJECT_READ = ["id", "year", "department", "unit", "project_code", "name", *PROJECT_FIELDS,
                "execution_weight", "execution_reported_score", "reported_total_score"]

# Every stored indicator column (what an audit row may name and an undo restores).
INDICATOR_FIELDS = ["position", "level1", "level2", "level3", "direction", "target_value", "target_unit",
                    "actual_value", "actual_unit", "target_text", "actual_text", "weight", "reported_score",
                    "judgement", "deviation_note", "source_sheet", "source_row"]
# The columns of the editing table, in order, with their headers.
EDITOR_COLUMNS = {"level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "direction": "指标性质",
                  "target_text": "年度指标值", "target_unit": "度量单位", "actual_text": "实际完成值",
                  "weight": "分值", "judgement": "判定", "deviation_note": "偏差原因分析及改进措施"}
ID_COLUMN = "_id"
TEXT_COLUMNS = ("level3", "target_text", "target_unit", "actual_text", "deviation_note")
TARGET_FIELDS = ("target_text", "direction", "target_unit")

FIELD_ZH = {**PROJECT_FIELDS, **EDITOR_COLUMNS, "position": "排序", "target_value": "指标值（数值）",
            "actual_value": "实际完成值（数值）", "actual_unit": "实际完成值单位", "reported_score": "填报得分",
            "source_sheet": "来源工作表", "source_row": "来源行", "*": "整条指标"}
KIND_ZH = {"edit": "修改", "undo": "撤销", "import": "导入", "match": "同比匹配"}
ACTION_ZH = {"update": "修改", "insert": "新增", "delete": "删除"}
RATE_TOLERANCE = 0.0005


class EditRefused(Exception):
    """Validation errors block the save; `issues` says which."""

    def __init__(self, issues: list["Issue"]):
        self.issues = issues
        super().__init__("；".join(i.message for i in issues if i.severity == ERROR))


class EditConflict(Exception):
    """The stored data changed since it was loaded; `changes` lists what changed (Chinese lines)."""

    def __init__(self, message: str, changes: list[str]):
        self.changes = changes
        super().__init__(message)


class UndoRefused(Exception):
    """A save cannot be undone (already undone, later edits on the same fields, project gone)."""


# ---------------------------------------------------------------- values
def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) \
        or v is pd.NA or v is pd.NaT


def clean_text(v) -> str | None:
    """An edited text as stored: trimmed, blank as NULL, without NUL (U+0000: invisible, and PostgreSQL's
    text cannot hold it, so both stores keep the same value)."""
    if _blank(v):
        return None
    return str(v).replace("\x00", "").strip() or None


def clean_number(v) -> float | None:
    """None for blank; a float otherwise; ValueError for text that is not a number."""
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError(v)
    x = float(str(v).strip().replace(",", "")) if isinstance(v, str) else float(v)
    if not math.isfinite(x):
        raise ValueError(v)
    return x


def _plain(v):
    """A stored value as a JSON-able Python value (numpy scalars and NaN folded)."""
    if _blank(v) and not isinstance(v, str):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def encode(v) -> str:
    """JSON text of a value: floats keep every digit (repr), NULL is null."""
    return json.dumps(_plain(v), ensure_ascii=False, sort_keys=True)


def decode(s: str | None):
    return None if s is None else json.loads(s)


def _same(a, b) -> bool:
    return encode(a) == encode(b)


def show(v) -> str:
    """A value for a person: '—' for empty, numbers without a trailing .0."""
    v = _plain(v)
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.10g}"
    if isinstance(v, dict):
        return v.get("level3") or "（无名称）"
    return str(v)


# ---------------------------------------------------------------- levels
@notes_blind
def indicator_levels(store: Store | None) -> dict[str, list[str]]:
    """一级 -> its 二级 choices (setting 'indicator_levels', defaults from the national forms)."""
    stored = store.get_setting(LEVELS_KEY, None) if store is not None else None
    if isinstance(stored, dict) and stored and all(isinstance(v, list) for v in stored.values()):
        return {str(k): [str(x) for x in v] for k, v in stored.items()}
    return {k: list(v) for k, v in DEFAULT_LEVELS.items()}


def level_choices(levels: dict[str, list[str]], rows: list[dict] = ()) -> tuple[list[str], list[str]]:
    """Options for the 一级 and 二级 columns: the configured lists plus any value the data already holds."""
    l1 = list(levels) + [v for v in dict.fromkeys(clean_text(r.get("level1")) for r in rows) if v and v not in levels]
    configured2 = [x for v in levels.values() for x in v]
    l2 = list(dict.fromkeys(configured2))
    l2 += [v for v in dict.fromkeys(clean_text(r.get("level2")) for r in rows) if v and v not in l2]
    return l1, l2


# ---------------------------------------------------------------- loading
@dataclass(frozen=True)
class ProjectState:
    """A project as loaded for editing; `token` changes whenever any of these values changes."""
    project: dict
    indicators: list[dict]            # "id" + INDICATOR_FIELDS, in form order
    token: str
    loaded_at: datetime

    @property
    def project_id(self) -> int:
        return int(self.project["id"])

    @property
    def identity(self) -> tuple[int, str, str]:
        return int(self.project["year"]), self.project["department"], self.project["name"]

    def fields(self) -> dict:
        """The editable project fields as loaded (the starting point of an edit)."""
        return {f: self.project.get(f) for f in PROJECT_FIELDS}

    def rows(self) -> list[dict]:
        """The indicator rows as loaded, editable columns only, grouped by 一级/二级."""
        return [{"id": r["id"], **{c: r.get(c) for c in EDITOR_COLUMNS}} for r in _grouped(self.indicators)]


def _fetch(cur, name: str, params: dict) -> list[dict]:
    q = QUERIES[name]
    res = cur.execute(q.sql, q.bind(params))
    cols = [d[0] for d in res.description]
    return [dict(zip(cols, (_plain(v) for v in row))) for row in res.fetchall()]


def _token(project: dict, indicators: list[dict]) -> str:
    payload = encode([{k: project.get(k) for k in PROJECT_READ}, [{k: r.get(k) for k in ["id", *INDICATOR_FIELDS]}
                                                                   for r in sorted(indicators, key=lambda r: r["id"])]])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _load(cur, project_id: int) -> ProjectState | None:
    rows = _fetch(cur, "edit_project", {"project_id": int(project_id)})
    if not rows:
        return None
    project = rows[0]
    indicators = _fetch(cur, "edit_indicators", {"project_id": int(project_id)})
    return ProjectState(project, indicators, _token(project, indicators), datetime.now())


def load_state(store: Store, project_id: int) -> ProjectState | None:
    """The project and its indicators with a version token; None when the project does not exist."""
    cur = store.cursor()
    try:
        return _load(cur, project_id)
    finally:
        cur.close()


# ---------------------------------------------------------------- rows after an edit
def _merged_order(existing: list, new: list, configured: list) -> list:
    """Existing values keep their order (as on the form); a value only new rows use is placed after the
    last existing value that comes before it in the configured order (a new 效益 row goes between 产出
    and 满意度), unknown ones at the end."""
    order = list(existing)
    rank = {v: i for i, v in enumerate(configured)}
    for v in sorted(new, key=lambda v: rank.get(v, len(rank))):
        if v in order:
            continue
        if v not in rank:
            order.append(v)
            continue
        at = 0
        for i, e in enumerate(order):
            if rank.get(e, len(rank)) < rank[v]:
                at = i + 1
        order.insert(at, v)
    return order


def _grouped(rows: list[dict], levels: dict | None = None) -> list[dict]:
    """Rows ordered as on the form, grouped by 一级 then 二级 (see _merged_order for new rows)."""
    levels = levels or DEFAULT_LEVELS
    l1 = [clean_text(r.get("level1")) for r in rows]
    l2 = [clean_text(r.get("level2")) for r in rows]
    old = [_int(r.get("id")) is not None and _int(r.get("id")) > 0 for r in rows]
    order1 = _merged_order(list(dict.fromkeys(a for a, o in zip(l1, old) if o)), [a for a in l1], list(levels))
    rank1 = {v: i for i, v in enumerate(order1)}
    rank2 = {}
    for a in order1:
        mine = [(b, o) for x, b, o in zip(l1, l2, old) if x == a]
        order2 = _merged_order(list(dict.fromkeys(b for b, o in mine if o)), [b for b, _ in mine], levels.get(a, []))
        rank2.update({(a, b): i for i, b in enumerate(order2)})
    keyed = sorted((rank1[a], rank2[(a, b)], i) for i, (a, b) in enumerate(zip(l1, l2)))
    return [rows[i] for *_, i in keyed]


def _stored_row(old: dict | None, new: dict) -> dict:
    """The full stored row an edited row becomes: edited columns cleaned, target/actual numbers re-derived
    (flat.indicator_values, as on import) only when those texts, the direction or the unit changed."""
    out = dict(old) if old else {f: None for f in INDICATOR_FIELDS}
    old = old or {}
    for f in ("level1", "level2", "level3", "judgement", "deviation_note"):
        out[f] = clean_text(new.get(f))
    try:
        out["weight"] = clean_number(new.get("weight"))
    except (TypeError, ValueError):
        out["weight"] = new.get("weight")        # validation reports it; never saved like this
    now = {f: clean_text(new.get(f)) for f in (*TARGET_FIELDS, "actual_text")}
    changed = {f for f in now if not old or not _same(clean_text(old.get(f)), now[f])}
    if not changed:
        return out
    target, direction, unit = now["target_text"], now["direction"], now["target_unit"]
    if "direction" not in changed and direction in DIRECTIONS:
        # Left as loaded, the direction follows a new text that writes its own operator ("≤90万元"),
        # and stays when the text is a bare number ("80" under ≤ is still ≤ 80).
        if parse_value(target).direction is not None:
            direction = None
    elif "direction" not in changed:
        direction = None
    derived = indicator_values(target, now["actual_text"], direction, unit)
    if changed & set(TARGET_FIELDS):
        out.update({k: derived[k] for k in ("target_text", "direction", "target_value", "target_unit")})
        if "target_unit" in changed and unit:
            out["target_unit"] = unit            # a unit the person chose wins over the text's
    if "actual_text" in changed:
        out.update({k: derived[k] for k in ("actual_text", "actual_value", "actual_unit")})
    return out


def draft_rows(state: ProjectState, rows: list[dict], levels: dict | None = None) -> list[dict]:
    """Stored rows of an edited table (new rows get temporary negative ids), grouped and numbered."""
    base = {r["id"]: r for r in state.indicators}
    out, new_id = [], -1
    for r in rows:
        rid = _int(r.get("id"))
        old = base.get(rid) if rid is not None else None
        row = _stored_row(old, r)
        if old is None:
            row["id"], new_id = new_id, new_id - 1
        else:
            row["id"] = rid
        out.append(row)
    out = _grouped(out, levels)
    for pos, row in enumerate(out, 1):
        row["position"] = pos
    return out


def _int(v) -> int | None:
    if _blank(v):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def draft_frame(state: ProjectState, rows: list[dict]) -> pd.DataFrame:
    """The edited indicator table as stored columns plus status, for live scoring and validation."""
    df = pd.DataFrame(draft_rows(state, rows), columns=["id", *INDICATOR_FIELDS])
    df["project_id"] = state.project_id
    return with_status(df)


def _draft_project(state: ProjectState, fields: dict) -> dict:
    p = dict(state.project)
    for f, v in fields.items():
        if f in NUMBER_FIELDS:
            try:
                p[f] = clean_number(v)
            except (TypeError, ValueError):
                p[f] = None
        elif f in PROJECT_FIELDS:
            p[f] = clean_text(v)
    return p


def draft_score(state: ProjectState, fields: dict, rows: list[dict], cfg: dict = SCORING_DEFAULTS) -> ProjectScore:
    """The score the project would have with these (unsaved) edits."""
    return score_project(_draft_project(state, fields), draft_frame(state, rows), cfg)


# ---------------------------------------------------------------- the editing table
def editor_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows (editable columns + id) as the data editor shows them: Chinese headers, hidden id column."""
    df = pd.DataFrame([{ID_COLUMN: _int(r.get("id")), **{h: _plain(r.get(c)) for c, h in EDITOR_COLUMNS.items()}}
                       for r in rows], columns=[ID_COLUMN, *EDITOR_COLUMNS.values()])
    df[ID_COLUMN] = df[ID_COLUMN].astype("Int64")
    df["分值"] = pd.to_numeric(df["分值"], errors="coerce").astype("float64")
    for c, h in EDITOR_COLUMNS.items():
        if c in TEXT_COLUMNS:
            df[h] = df[h].astype(object).where(df[h].notna(), "")    # an empty cell, not a grey "None"
        elif h != "分值":
            df[h] = df[h].astype(object)
    return df.reset_index(drop=True)


def rows_from_editor(df: pd.DataFrame) -> list[dict]:
    """The data editor's table back to rows keyed by stored column names (id None for added rows)."""
    back = {h: c for c, h in EDITOR_COLUMNS.items()}
    out = []
    for rec in df.to_dict("records"):
        row = {back[h]: _plain(v) if not isinstance(v, str) else v for h, v in rec.items() if h in back}
        row["id"] = _int(rec.get(ID_COLUMN))
        out.append(row)
    return out


# ---------------------------------------------------------------- validation
@dataclass
class Issue:
    code: str
    severity: str                      # error blocks the save; warning / info do not
    message: str
    row: int | None = None             # 1-based row of the editing table
    column: str | None = None          # Chinese header
    value: Any = None


def validate(state: ProjectState, fields: dict, rows: list[dict], levels: dict | None = None,
             cfg: dict = SCORING_DEFAULTS, score: ProjectScore | None = None) -> list[Issue]:
    """Every problem of an edit: errors (numbers, choices, unparsable targets, empty names) and warnings
    (weights not summing, unmet without a reason, missing actuals, rates that disagree). `score`:
    draft_score(state, fields, rows, cfg) when the caller has it already (指标填报 shows it): not scored twice."""
    levels = levels or DEFAULT_LEVELS
    issues: list[Issue] = []
    num: dict[str, float | None] = {}
    for f in NUMBER_FIELDS:
        if f not in fields:
            num[f] = state.project.get(f)
            continue
        try:
            num[f] = clean_number(fields[f])
        except (TypeError, ValueError):
            issues.append(Issue("not-a-number", ERROR, f"“{PROJECT_FIELDS[f]}”应为数字，实际为“{fields[f]}”。",
                                column=PROJECT_FIELDS[f], value=fields[f]))
            num[f] = None
            continue
        if num[f] is not None and num[f] < 0:
            issues.append(Issue("negative", ERROR, f"“{PROJECT_FIELDS[f]}”不能为负数。", column=PROJECT_FIELDS[f],
                                value=num[f]))
        if f in REQUIRED_FIELDS and num[f] is None:
            issues.append(Issue("empty-required", ERROR, f"“{PROJECT_FIELDS[f]}”不能为空。", column=PROJECT_FIELDS[f]))
    budget, spent, rate = num["budget"], num["spent"], num["reported_rate"]
    if budget is not None and spent is not None and spent > budget:
        issues.append(Issue("over-execution", WARNING, f"全年执行数 {spent:g} 万元大于全年预算数 {budget:g} 万元（超预算执行）。",
                            column=PROJECT_FIELDS["spent"], value=spent))
    if rate is not None:
        if not 0 <= rate <= 3:
            issues.append(Issue("rate-out-of-range", WARNING, f"填报执行率 {rate:.2%} 不在合理范围内。",
                                column=PROJECT_FIELDS["reported_rate"], value=rate))
        elif budget and spent is not None and abs(rate - spent / budget) > RATE_TOLERANCE:
            issues.append(Issue("rate-mismatch", WARNING, f"填报执行率 {rate:.2%} 与计算的 {spent / budget:.2%} 不一致。",
                                column=PROJECT_FIELDS["reported_rate"], value=rate))

    base = {r["id"]: r for r in state.indicators}
    row_of: dict[int, int] = {}
    new_id = -1
    for i, r in enumerate(rows, 1):
        rid = _int(r.get("id"))
        old = base.get(rid) if rid is not None else None
        if old is None:
            row_of[new_id], new_id = i, new_id - 1
        else:
            row_of[rid] = i
        issues += _row_issues(i, r, old, levels)

    if not any(i.severity == ERROR for i in issues):
        if score is None or not fields.keys() >= set(PROJECT_FIELDS):     # else: the same project, the same rows
            score = score_project(_draft_project(state, {**state.fields(), **fields}), draft_frame(state, rows), cfg)
        for f in score.findings:
            if f.code in ("score-mismatch", "total-mismatch", "no-budget"):
                continue            # reported scores are the form's business; budget is checked above
            severity = INFO if f.code == "unclassified" else WARNING
            row = row_of.get(f.indicator_id)
            issues.append(Issue(f.code, severity, (f"第 {row} 行" if row else "") + f.text(), row=row))
        for r in score.indicators.to_dict("records"):
            # A judgement wins over the numbers; say so when they disagree (an actual edited, 达成 left as was).
            by_numbers = status_of({**r, "judgement": None})
            said = JUDGEMENTS.get(clean_text(r["judgement"]) or "")
            if said in ("met", "unmet") and by_numbers in ("met", "unmet") and said != by_numbers:
                row = row_of.get(r["id"])
                issues.append(Issue("judgement-disagrees", WARNING,
                                    f"第 {row} 行“{r['level3']}”：判定为“{r['judgement']}”，但按年度指标值与实际完成值为"
                                    f"“{STATUS_ZH[by_numbers]}”；计分以判定为准。", row=row, column=EDITOR_COLUMNS["judgement"],
                                    value=r["judgement"]))
        if score.estimated and rows:
            issues.append(Issue("no-weights", INFO, f"未填写分值：得分按默认分值估算（{score.indicator_weight:g} 分按一级指标分配）。"))
    return issues


def _row_issues(i: int, r: dict, old: dict | None, levels: dict) -> list[Issue]:
    out = []
    h = EDITOR_COLUMNS
    if clean_text(r.get("level3")) is None:
        out.append(Issue("empty-required", ERROR, f"第 {i} 行：三级指标名称不能为空。", i, h["level3"]))
    try:
        w = clean_number(r.get("weight"))
        if w is not None and w < 0:
            out.append(Issue("negative", ERROR, f"第 {i} 行：分值不能为负数。", i, h["weight"], w))
    except (TypeError, ValueError):
        out.append(Issue("not-a-number", ERROR, f"第 {i} 行：分值应为数字，实际为“{r.get('weight')}”。", i, h["weight"],
                         r.get("weight")))
    direction = clean_text(r.get("direction"))
    if direction is not None and direction not in DIRECTION_CHOICES:
        out.append(Issue("bad-choice", ERROR, f"第 {i} 行：指标性质“{direction}”无效，应为 " + " ".join(DIRECTION_CHOICES) + "。",
                         i, h["direction"], direction))
    judgement = clean_text(r.get("judgement"))
    if judgement is not None and judgement not in JUDGEMENTS:
        out.append(Issue("bad-choice", ERROR, f"第 {i} 行：判定“{judgement}”无效，应为 达成 / 部分达成 / 未达成 / 不适用。",
                         i, h["judgement"], judgement))
    target = clean_text(r.get("target_text"))
    if direction in DIRECTIONS and parse_value(target).value is None:
        touched = old is None or any(not _same(clean_text(old.get(f)), clean_text(r.get(f))) for f in TARGET_FIELDS)
        out.append(Issue("target-unparsable", ERROR if touched else WARNING,
                         f"第 {i} 行：指标性质为“{direction}”，但年度指标值“{target or ''}”中没有可识别的数值；"
                         "如为定性指标，请将指标性质改为“定性”。", i, h["target_text"], target))
    l1, l2 = clean_text(r.get("level1")), clean_text(r.get("level2"))
    if l1 is not None and l1 not in levels:
        out.append(Issue("unknown-level", WARNING, f"第 {i} 行：一级指标“{l1}”不在指标层级列表中。", i, h["level1"], l1))
    elif l1 is not None and l2 is not None and l2 not in levels.get(l1, []):
        out.append(Issue("unknown-level", WARNING, f"第 {i} 行：二级指标“{l2}”不属于“{l1}”。", i, h["level2"], l2))
    return out


# ---------------------------------------------------------------- changes
@dataclass
class Change:
    action: str                       # update / insert / delete
    field: str                        # stored column, or '*' for a whole indicator row
    old: Any
    new: Any
    indicator_id: int | None = None   # None: a project field
    indicator_name: str | None = None
    visible: bool = True              # counts as one of the "N 处修改" a person made

    def text(self) -> str:
        where = f"指标“{self.indicator_name or '（无名称）'}”" if self.indicator_id is not None else "项目"
        if self.action == "insert":
            return f"新增{where}"
        if self.action == "delete":
            return f"删除{where}"
        return f"{where}的{FIELD_ZH.get(self.field, self.field)}：{show(self.old)} → {show(self.new)}"


def plan_changes(state: ProjectState, fields: dict, rows: list[dict], levels: dict | None = None) -> list[Change]:
    """What saving this edit would write, field by field (derived numbers and positions included)."""
    changes: list[Change] = []
    draft = _draft_project(state, fields)
    for f in PROJECT_FIELDS:
        if f in fields and not _same(state.project.get(f), draft[f]):
            changes.append(Change("update", f, state.project.get(f), draft[f]))
    base = {r["id"]: r for r in state.indicators}
    new_rows = draft_rows(state, rows, levels)
    kept = {r["id"] for r in new_rows if r["id"] > 0}
    # A stored change counts as one of the person's changes only when they edited that cell; numbers and
    # units re-derived from an edited text, and positions, are recorded but not counted.
    typed = {}
    for r in rows:
        rid = _int(r.get("id"))
        if rid in base:
            typed[rid] = {c for c in EDITOR_COLUMNS if not _same(_cell(base[rid].get(c), c), _cell(r.get(c), c))}
    for r in new_rows:
        if r["id"] < 0:
            changes.append(Change("insert", "*", None, {k: r.get(k) for k in INDICATOR_FIELDS}, r["id"], r["level3"]))
            continue
        old = base[r["id"]]
        for f in INDICATOR_FIELDS:
            if not _same(old.get(f), r.get(f)):
                changes.append(Change("update", f, old.get(f), r.get(f), r["id"], r.get("level3") or old.get("level3"),
                                      visible=f in typed.get(r["id"], ())))
    for rid, old in base.items():
        if rid not in kept:
            changes.append(Change("delete", "*", {k: old.get(k) for k in INDICATOR_FIELDS}, None, rid, old.get("level3")))
    return changes


def _cell(v, column: str):
    if column == "weight":
        try:
            return clean_number(v)
        except (TypeError, ValueError):
            return str(v)
    return clean_text(v)


def count_visible(changes: list[Change]) -> int:
    return sum(c.visible for c in changes)


def describe(old: ProjectState, new: ProjectState) -> list[str]:
    """What differs between two loads of a project, as lines for a person (conflict messages)."""
    fields = {f: new.project.get(f) for f in PROJECT_FIELDS}
    rows = [{"id": r["id"], **{c: r.get(c) for c in EDITOR_COLUMNS}} for r in new.indicators]
    lines = [c.text() for c in plan_changes(old, fields, rows) if c.visible]
    other = [f"{c}：{show(old.project.get(c))} → {show(new.project.get(c))}"
             for c in ("year", "department", "name", "execution_weight") if not _same(old.project.get(c), new.project.get(c))]
    return lines + other


@dataclass
class Draft:
    """An edit in progress: the project as loaded and the person's current values (kept per session)."""
    state: ProjectState
    fields: dict
    rows: list[dict]
    generation: int = 0               # bumped whenever the editing widgets must start over

    @classmethod
    def of(cls, state: ProjectState, generation: int = 0) -> "Draft":
        return cls(state, state.fields(), state.rows(), generation)

    def changes(self) -> list[Change]:
        return plan_changes(self.state, self.fields, self.rows)

    def pending(self) -> int:
        """User-visible unsaved changes (0: nothing to save). Rows stored out of their 一级/二级 grouping (a flat
        import in any order) are renumbered by the editor: that alone is not an edit the person made, so
        it neither prompts nor enables 保存; it is written along with the next real save.

        Kept with the values it was counted for: a page counts every draft of the session on every run
        (the 其他项目也有未保存的修改 line), and only the open project's values change between runs."""
        values = (self.state.project_id, self.state.token, repr(self.fields), repr(self.rows))
        memo = self.__dict__.get("_pending")
        if memo is None or memo[0] != values:
            memo = self.__dict__["_pending"] = (values, count_visible(self.changes()))
        return memo[1]


# ---------------------------------------------------------------- saving
@dataclass
class SaveResult:
    save_id: int | None               # None: nothing to save
    changes: int                      # user-visible changes
    state: ProjectState | None = None  # the project as stored after the save

    @property
    def message(self) -> str:
        return f"已保存：{self.changes} 处修改" if self.save_id is not None else "没有需要保存的修改。"


def _actor(store: Store, user, department: str) -> auth.User:
    actor = auth.resolve(store, user if user is not None else "匿名")
    auth.require(actor, "edit", department)
    return actor


def save(store: Store, state: ProjectState, fields: dict, rows: list[dict], user=None,
         levels: dict | None = None, cfg: dict = SCORING_DEFAULTS) -> SaveResult:
    """Validate and write an edit in one transaction, every changed field into audit_log under one save.
    Raises EditRefused (validation errors), EditConflict (the project changed since `state` was loaded)
    or auth.PermissionDenied."""
    actor = _actor(store, user, state.project["department"])
    issues = validate(state, fields, rows, levels, cfg)
    if any(i.severity == ERROR for i in issues):
        raise EditRefused(issues)
    changes = plan_changes(state, fields, rows, levels)
    if not changes:
        return SaveResult(None, 0, state)
    n = count_visible(changes)
    with store.transaction() as cur:
        _check_unchanged(cur, state)
        ids = _apply(cur, state.project_id, changes)
        refresh_status(cur, [state.project_id])
        save_id = _record(cur, "edit", actor.name, state.project, changes, ids, n,
                          _summary(changes, n))
    return SaveResult(save_id, n, load_state(store, state.project_id))


def _check_unchanged(cur, state: ProjectState) -> None:
    current = _load(cur, state.project_id)
    if current is None:
        raise EditConflict("保存失败：该项目已被删除或重新导入，您的修改未保存。请重新载入后再修改。", [])
    if current.token == state.token:
        return
    lines = describe(state, current)
    who = cur.execute("SELECT user_name, saved_at FROM saves WHERE project_id = ? AND saved_at >= ? ORDER BY id",
                      [state.project_id, state.loaded_at]).fetchall()
    who += cur.execute("SELECT '数据导入（' || file_name || '）', imported_at FROM import_log WHERE imported_at >= ?"
                       " AND outcome <> 'refused' AND contains(scope, ?) ORDER BY id",
                       [state.loaded_at, f"{state.project['year']} {state.project['department']}"]).fetchall()
    by = "、".join(dict.fromkeys(f"{u}（{t:%H:%M}）" for u, t in who)) or "其他人"
    raise EditConflict(f"保存失败：您载入此项目后，{by}已修改了它。为避免覆盖，您的修改未保存。", lines)


def _apply(cur, project_id: int, changes: list[Change]) -> dict[int, int]:
    """Write the changes; returns temporary (negative) indicator ids -> the ids given on insert. Inserts go
    first so a new row never takes the id of a row deleted in the same transaction."""
    ids: dict[int, int] = {}
    for c in changes:
        if c.action == "insert":
            ids[c.indicator_id] = _insert_indicator(cur, project_id, c.new, None)
    for c in changes:
        if c.action == "update" and c.indicator_id is None:
            assert c.field in PROJECT_FIELDS
            cur.execute(f"UPDATE projects SET {c.field} = ? WHERE id = ?", [_plain(c.new), project_id])
        elif c.action == "update":
            assert c.field in INDICATOR_FIELDS
            cur.execute(f"UPDATE indicators SET {c.field} = ? WHERE id = ?", [_plain(c.new), c.indicator_id])
        elif c.action == "delete":
            cur.execute("DELETE FROM indicators WHERE id = ?", [c.indicator_id])
    return ids


def _insert_indicator(cur, project_id: int, row: dict, want_id: int | None) -> int:
    """Insert one indicator row; keeps `want_id` when it is still free (undo of a delete)."""
    taken = want_id is None or cur.execute("SELECT count(*) FROM indicators WHERE id = ?", [want_id]).fetchall()[0][0]
    new_id = Store.next_id(cur, "indicators") if taken else want_id
    cols = ["id", "project_id", *INDICATOR_FIELDS]
    cur.execute(f"INSERT INTO indicators ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [new_id, project_id, *(_plain(row.get(f)) for f in INDICATOR_FIELDS)])
    return new_id


def _summary(changes: list[Change], n: int) -> str:
    visible = [c for c in changes if c.visible]
    head = "；".join(c.text() for c in visible[:3])
    return f"{n} 处修改：{head}" + ("……" if len(visible) > 3 else "")


def _record(cur, kind: str, user_name: str, project: dict, changes: list[Change], ids: dict[int, int], n: int,
            summary: str, reverts: int | None = None) -> int:
    now = datetime.now()
    save_id = Store.next_id(cur, "saves")
    cur.execute("INSERT INTO saves (id, saved_at, user_name, kind, project_id, year, department, project_name, summary,"
                " changes, reverts, reverted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [save_id, now, user_name, kind, project["id"], project["year"], project["department"], project["name"],
                 summary, n, reverts])
    audit_id = Store.next_id(cur, "audit_log")
    rows = []
    for c in changes:
        iid = ids.get(c.indicator_id, c.indicator_id) if c.indicator_id is not None else None
        new = dict(c.new, id=iid) if c.action == "insert" else c.new
        old = dict(c.old, id=iid) if c.action == "delete" else c.old
        rows.append([audit_id, save_id, now, user_name, project["id"], project["year"], project["department"],
                     project["name"], iid, c.indicator_name, c.action, c.field, encode(old), encode(new)])
        audit_id += 1
    if rows:
        cur.executemany("INSERT INTO audit_log (id, save_id, changed_at, user_name, project_id, year, department,"
                        " project_name, indicator_id, indicator_name, action, field, old_value, new_value)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return save_id


# ---------------------------------------------------------------- undo
def undo(store: Store, save_id: int, user=None) -> SaveResult:
    """Revert one save: restore the exact old values, recorded as a save of its own ('undo'); the original
    is marked reverted. Refused when a later change touched the same values (undo that one first)."""
    sql = ("SELECT project_id, year, department, project_name, reverted_by, kind, summary, changes"
           " FROM saves WHERE id = ?")
    rows = store.cursor().execute(sql, [int(save_id)]).fetchall()
    if not rows:
        raise UndoRefused(f"找不到第 {save_id} 次保存。")
    actor = _actor(store, user, rows[0][2])
    with store.transaction() as cur:
        # read again inside the transaction: another undo of the same save may have just landed
        project_id, year, department, name, reverted_by, kind, summary, n_original = \
            cur.execute(sql, [int(save_id)]).fetchall()[0]
        if reverted_by is not None:
            raise UndoRefused(f"第 {save_id} 次保存已于第 {reverted_by} 次保存中撤销。")
        project = _fetch(cur, "edit_project", {"project_id": int(project_id)})
        if not project or (project[0]["year"], project[0]["department"], project[0]["name"]) != (year, department, name):
            raise UndoRefused("无法撤销：该项目已被删除或重新导入（导入会替换项目数据）。")
        audit = cur.execute("SELECT indicator_id, indicator_name, action, field, old_value, new_value FROM audit_log"
                            " WHERE save_id = ? ORDER BY id DESC", [int(save_id)]).fetchall()
        inverse, problems = [], []
        for iid, iname, action, fld, old_s, new_s in audit:
            old, new = decode(old_s), decode(new_s)
            if action == "delete":         # the row comes back (under a new id if its id was reused)
                inverse.append(Change("insert", "*", None, {k: old.get(k) for k in INDICATOR_FIELDS}, iid, iname))
                continue
            current = _current(cur, project_id, iid, action, fld)
            if current is _GONE:
                problems.append(f"指标“{iname}”此后已被删除")
                continue
            expected = new
            if action == "insert" and current is not None:
                current = {k: current.get(k) for k in INDICATOR_FIELDS}
                expected = {k: new.get(k) for k in INDICATOR_FIELDS}
            if not _same(current, expected):
                where = f"指标“{iname}”" if iid is not None else "项目"
                problems.append(f"{where}的{FIELD_ZH.get(fld, fld)}此后已被修改（现为 {show(current)}）")
                continue
            if action == "update":
                inverse.append(Change("update", fld, new, old, iid, iname, visible=fld in EDITOR_COLUMNS or iid is None))
            else:
                inverse.append(Change("delete", "*", {k: new.get(k) for k in INDICATOR_FIELDS}, None, iid, iname))
        if problems:
            raise UndoRefused("无法撤销：" + "；".join(dict.fromkeys(problems)) + "。请先撤销之后的修改。")
        ids = {}
        for c in inverse:
            if c.action == "update":
                table, fields = ("projects", PROJECT_FIELDS) if c.indicator_id is None else ("indicators", INDICATOR_FIELDS)
                assert c.field in fields
                cur.execute(f"UPDATE {table} SET {c.field} = ? WHERE id = ?",
                            [c.new, project_id if c.indicator_id is None else c.indicator_id])
            elif c.action == "delete":
                cur.execute("DELETE FROM indicators WHERE id = ?", [c.indicator_id])
            else:
                ids[c.indicator_id] = _insert_indicator(cur, project_id, c.new, c.indicator_id)
        refresh_status(cur, [project_id])
        n = int(n_original or count_visible(inverse))
        new_id = _record(cur, "undo", actor.name, project[0], inverse, ids, n,
                         f"撤销第 {save_id} 次{KIND_ZH.get(kind, '')}（{summary or ''}）", reverts=int(save_id))
        cur.execute("UPDATE saves SET reverted_by = ? WHERE id = ?", [new_id, int(save_id)])
    return SaveResult(new_id, n, load_state(store, project_id))


_GONE = object()


def _current(cur, project_id: int, indicator_id, action: str, fld: str):
    """The value an audit row names as it is now: a project field, an indicator field, or a whole
    indicator row (None when absent, for an insert); _GONE when an updated indicator was deleted."""
    if indicator_id is None:
        assert fld in PROJECT_FIELDS
        rows = cur.execute(f"SELECT {fld} FROM projects WHERE id = ?", [project_id]).fetchall()
        return _plain(rows[0][0]) if rows else _GONE
    rows = _fetch(cur, "edit_indicator", {"indicator_id": int(indicator_id)})
    row = rows[0] if rows and rows[0]["project_id"] == project_id else None
    if action == "insert":
        return row
    if row is None:
        return _GONE
    assert fld in INDICATOR_FIELDS
    return row[fld]


# ---------------------------------------------------------------- pickers
@notes_blind
def project_choices(store: Store, filters, limit: int = 1000, keep: int | None = None) -> tuple[pd.DataFrame, int]:
    """(id, year, department, name) of the first `limit` projects under the filters (plus `keep` when it is
    under them too), and how many there are in all: a picker never lists 200,000 options."""
    from . import scope
    df = scope.run(store, "project_choices", filters, {"limit": int(limit), "keep": keep})
    total = int(df["total"].iloc[0]) if len(df) else 0
    return df.drop(columns="total"), total


# ---------------------------------------------------------------- history
@dataclass(frozen=True)
class HistoryFilter:
    year: int | None = None
    departments: tuple[str, ...] = ()
    project: tuple[int, str, str] | None = None     # (year, department, name): survives re-imports
    users: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()                     # edit / undo / import
    since: datetime | None = None
    until: datetime | None = None
    search: str = ""

    def params(self, limit: int, after: tuple | None = None) -> dict:
        py, pd_, pn = self.project or (None, None, None)
        a_at, a_src, a_id = after or (None, None, None)
        return {"after_at": a_at, "after_src": a_src, "after_id": a_id,"year": self.year, "departments": list(self.departments) or None, "p_year": py, "p_department": pd_,
                "p_name": pn, "users": list(self.users) or None, "kinds": list(self.kinds) or None,
                "since": self.since, "until": self.until, "search": self.search.strip() or None, "limit": limit}


def history(store: Store, f: HistoryFilter = HistoryFilter(), limit: int = 200, after: tuple | None = None) -> pd.DataFrame:
    """Saves, undos and imports, newest first: save_id (None for an import), at, user_name, kind, kind_zh,
    year, department, project_name, summary, changes, reverted_by, reverts, can_undo, src, src_id.
    `after`: history_cursor() of the last row of the previous page (keyset paging: every page costs what
    the first one costs, no offset)."""
    df = store.df("history", f.params(limit, after))
    df["kind_zh"] = df["kind"].map(KIND_ZH)
    df["can_undo"] = df["kind"].isin(["edit", "undo"]) & df["reverted_by"].isna()
    return df.astype(object).where(df.notna(), None)


def history_cursor(df: pd.DataFrame) -> tuple | None:
    """The `after` of the page following `df` (a history() page): its last row's time, source and id."""
    if not len(df):
        return None
    last = df.iloc[-1]
    return (last["saved_at"], int(last["src"]), int(last["src_id"]))


def history_users(store: Store, departments: tuple[str, ...] | None = None) -> list[str]:
    """The operators of the history rows in `departments` (None = all): the 操作人 picker of a viewer
    names only people who changed something the viewer may see."""
    f = HistoryFilter(departments=tuple(departments or ()))
    q = QUERIES["history"]
    sql = f"SELECT DISTINCT user_name FROM ({q.sql}) ORDER BY 1"
    return [r[0] for r in store.cursor().execute(sql, q.bind(f.params(2 ** 62))).fetchall()]


def save_details(store: Store, save_id: int) -> pd.DataFrame:
    """The audit rows of one save for a person: 指标, 操作, 字段, 原值, 新值."""
    df = store.df("save_details", {"save_id": int(save_id)})
    return pd.DataFrame({
        "指标": [n if i is not None and not pd.isna(i) else "（项目）" for i, n in zip(df["indicator_id"], df["indicator_name"])],
        "操作": df["action"].map(ACTION_ZH),
        "字段": df["field"].map(lambda x: FIELD_ZH.get(x, x)),
        "原值": [show(decode(v)) for v in df["old_value"]],
        "新值": [show(decode(v)) for v in df["new_value"]],
    })
