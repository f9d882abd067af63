"""In-year monitoring (绩效运行监控, "双监控", issue 17): writing imported snapshots, the rule thresholds (a
setting), and every figure of the 执行监控 page, the CLI and the exports, computed in DuckDB by the macros of
queries/monitor/definitions.sql (one definition of the rate, the lights and "at risk")."""
from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from . import auth
from .db import QUERIES_DIR, Store, load_queries
from .batch import ImportRefused
from .filters import Filters
from .monitoring_forms import FUND_COLUMNS, INDICATOR_COLUMNS, ITEM_COLUMNS, MonitorBatch
from .validation_report import ERROR
from .versions import notes_blind

SETTING = "monitor_rules"
DEFAULT_RULES = {
    "yellow_gap": 0.20,        # execution: 黄 when behind 序时进度 by less than this (fraction), 红 from it
    "forecast_floor": 0.90,    # at risk when 全年预计执行数 < this x budget
    "indicator_red": 0.60,     # indicator progress / (target x month / 12): below = 红
    "indicator_yellow": 0.80,  # below = 黄
    "indicator_blue": 1.20,    # from here = 蓝 (far ahead); between yellow and blue = 绿
}
RULES_ZH = {"yellow_gap": "执行进度黄灯幅度（落后序时进度不足此值为黄，达到为红）",
            "forecast_floor": "全年预计执行率下限（低于此值列为风险）",
            "indicator_red": "指标红灯上限（完成进度低于标准的此比例为红）",
            "indicator_yellow": "指标黄灯上限（低于此比例为黄）",
            "indicator_blue": "指标蓝灯下限（达到标准的此比例及以上为蓝）"}
LIGHTS = ("绿", "黄", "红", "无预算")
INDICATOR_LIGHTS = ("绿", "黄", "红", "蓝")
CAUSE_ORDER = ["经费保障", "制度保障", "人员保障", "硬件条件保障"]      # the form's order; 其他 texts after

_Q = load_queries(QUERIES_DIR / "monitor")
DEFINITIONS = _Q.pop("definitions")


# ---------------------------------------------------------------- rules (settings)
@notes_blind
def get_rules(store: Store) -> dict:
    stored = store.get_setting(SETTING, None) or {}
    return {k: float(stored.get(k, v)) for k, v in DEFAULT_RULES.items()}


def validate_rules(rules: dict) -> list[str]:
    errors = []
    for k in DEFAULT_RULES:
        v = rules.get(k)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v <= 0:
            errors.append(f"{RULES_ZH[k]}必须是大于 0 的数字。")
    if errors:
        return errors
    if rules["yellow_gap"] > 1:
        errors.append("执行进度黄灯幅度不能超过 100 个百分点。")
    if rules["forecast_floor"] > 1.5:
        errors.append("全年预计执行率下限不能超过 150%。")
    if not rules["indicator_red"] < rules["indicator_yellow"] < rules["indicator_blue"]:
        errors.append("指标灯的界限须满足 红灯上限 < 黄灯上限 < 蓝灯下限。")
    return errors


def save_rules(store: Store, rules: dict, user=None) -> list[str]:
    """Validate and store the thresholds as `user` (administrators only; recorded in settings_log)."""
    rules = {k: rules.get(k) for k in DEFAULT_RULES}
    errors = validate_rules(rules)
    if not errors:
        auth.change_setting(store, SETTING, {k: float(v) for k, v in rules.items()}, user)
    return errors


def describe_rules(r: dict) -> str:
    return (f"执行：执行率 ≥ 序时进度为绿，落后不足 {r['yellow_gap'] * 100:g} 个百分点为黄，否则为红；"
            f"指标（正向，按 年度指标值 × 月数 ÷ 12）：低于 {r['indicator_red']:.0%} 红，{r['indicator_red']:.0%}–"
            f"{r['indicator_yellow']:.0%} 黄，{r['indicator_yellow']:.0%}–{r['indicator_blue']:.0%} 绿，"
            f"≥ {r['indicator_blue']:.0%} 蓝；风险：红灯、任一指标“完全不可能”、全年预计执行数低于预算的 "
            f"{r['forecast_floor']:.0%}")


# ---------------------------------------------------------------- import: check and write
def periods_text(year: int, month: int, department: str) -> str:
    return f"{year} 年 1—{month}月“{department}”"


def check_plan(store: Store | None, plan) -> None:
    """Monitoring batches of an import plan: the same project twice across files, and periods already held
    (replace needs consent, like a self-evaluation scope). Held periods are added to plan.existing_scopes as
    (year, "department（1—M月监控）") so the upload page's replace checkbox names them."""
    batches = [b for b in plan.batches if isinstance(b, MonitorBatch)]
    seen: dict[tuple, str] = {}
    for b in batches:
        for p in b.items:
            key = (p["year"], p["period_month"], p["department"], p["project_code"] or p["name"])
            if key in seen and seen[key] != b.file_name:
                plan.report.add("duplicate-project", ERROR, sheet=p["source_sheet"], row=p["source_row"],
                                column="项目名称", value=p["project_code"] or p["name"], limit=f"{seen[key]} 中的同名",
                                file=b.file_name)
            seen.setdefault(key, b.file_name)
    if store is None:
        return
    held = []
    for period in sorted({s for b in batches for s in b.periods()}):
        if store.scalar("SELECT count(*) FROM monitor_projects WHERE year = ? AND period_month = ? AND department = ?",
                        list(period)):
            held.append(period)
    plan.existing_scopes.extend((y, f"{d}（1—{m}月监控）") for y, m, d in held)
    if held and not plan.replace:
        for y, m, d in held:
            plan.report.add("monitor-replace-needed", ERROR, value=periods_text(y, m, d))


def _table(rows: list[dict], cols: list[str], types: dict) -> pa.Table:
    schema = pa.schema([(c, types.get(c, pa.string())) for c in cols])
    return pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows], schema=schema)


_F, _I, _B = pa.float64(), pa.int64(), pa.bool_()
_TYPES = {"id": _I, "project_id": _I, "year": _I, "period_month": _I, "source_row": _I, "position": _I,
          "import_id": _I, "imported_at": pa.timestamp("us"), "initial_budget": _F, "budget": _F, "spent_to_date": _F,
          "reported_rate": _F, "forecast_spent": _F, "target_value": _F, "actual_value": _F, "forecast_value": _F,
          "reason_funding": _B, "reason_system": _B, "reason_staff": _B, "reason_hardware": _B}


def write(cur, b: MonitorBatch, plan, log_id: int, now: datetime, actor) -> None:
    """Write one monitoring batch inside the import's transaction (importer.commit): replace the periods it
    holds (only with plan.replace), insert its projects, funds and indicators, log it as import `log_id`."""
    for d in sorted({d for _, _, d in b.periods()}):
        auth.require(actor, "import", d)
    for y, m, d in b.periods():
        n = cur.execute("SELECT count(*) FROM monitor_projects WHERE year = ? AND period_month = ? AND department = ?",
                        [y, m, d]).fetchall()[0][0]
        if n and not plan.replace:
            raise ImportRefused(f"{periods_text(y, m, d)}的监控数据已存在，未确认替换。")
        if n:
            delete_period(cur, y, m, d)
    first = int(cur.execute("SELECT coalesce(max(id), 0) + 1 FROM monitor_projects").fetchall()[0][0])
    first_ind = int(cur.execute("SELECT coalesce(max(id), 0) + 1 FROM monitor_indicators").fetchall()[0][0])
    items = [{**p, "id": first + i, "import_id": log_id, "imported_at": now} for i, p in enumerate(b.items)]
    inds = [{**ind, "id": first_ind + k, "project_id": first + ind["ref"]} for k, ind in enumerate(b.monitor_indicators)]
    funds = [{**f, "project_id": first + f["ref"]} for f in b.monitor_funds]
    for table, cols, rows in (("monitor_projects", ITEM_COLUMNS + ["id", "import_id", "imported_at"], items),
                              ("monitor_indicators", INDICATOR_COLUMNS + ["id", "project_id"], inds),
                              ("monitor_funds", FUND_COLUMNS + ["project_id"], funds)):
        if rows:
            cur.register("_incoming_monitor", _table(rows, cols, _TYPES))
            try:
                cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _incoming_monitor")
            finally:
                cur.unregister("_incoming_monitor")
    scope = "；".join(f"{y} {d} 1—{m}月监控" for y, m, d in b.periods())
    replaced = any((y, f"{d}（1—{m}月监控）") in plan.existing_scopes for y, m, d in b.periods())
    cur.execute(
        "INSERT INTO import_log (id, file_name, content_hash, imported_at, outcome, projects, indicators,"
        " errors, warnings, scope, message, user_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [log_id, b.file_name, b.content_hash, now, "replaced" if replaced else "imported", len(b.items),
         len(b.monitor_indicators), len(b.report.errors), len(b.report.warnings), scope,
         f"导入运行监控 {len(b.items)} 个项目、{len(b.monitor_indicators)} 条指标", actor.name])


def delete_period(cur, year: int, month: int, department: str) -> None:
    ids = "SELECT id FROM monitor_projects WHERE year = ? AND period_month = ? AND department = ?"
    args = [year, month, department]
    cur.execute(f"DELETE FROM monitor_indicators WHERE project_id IN ({ids})", args)
    cur.execute(f"DELETE FROM monitor_funds WHERE project_id IN ({ids})", args)
    cur.execute(f"DELETE FROM monitor_projects WHERE {ids.split('WHERE ', 1)[1]}", args)


# ---------------------------------------------------------------- reads
def run(store: Store, name: str, params: dict[str, Any]) -> pd.DataFrame:
    """queries/monitor/<name>.sql after the rule definitions (on a pooled cursor that holds them)."""
    q = _Q[name]
    return store.defined_df(DEFINITIONS.sql, q.sql, q.bind(params))


@notes_blind
def periods(store: Store) -> pd.DataFrame:
    """year, period_month, projects of every snapshot, newest first."""
    return run(store, "periods", {})


def pick_period(store: Store, year: int | None = None, period: int | None = None) -> tuple[int, int] | None:
    """(year, period) to show: the given ones, else the latest period of `year`, else the latest snapshot;
    None when no snapshot matches."""
    p = periods(store)
    if year is not None:
        p = p[p["year"] == year]
    if period is not None:
        p = p[p["period_month"] == period]
    if p.empty:
        return None
    return int(p["year"].iloc[0]), int(p["period_month"].iloc[0])


def params(store: Store, filters: Filters, year: int, period: int, rules: dict | None = None) -> dict:
    """The bound parameters of a monitoring query: the snapshot, the sidebar filters that mean something for
    a snapshot (departments, name search, the light as the monitoring light), the thresholds."""
    r = rules or get_rules(store)
    lights = [x for x in filters.lights if x in LIGHTS]
    return {"year": int(year), "period": int(period), "departments": list(filters.departments) or None,
            "search": filters.search.strip() or None,
            "lights": (lights or ["\x00"]) if filters.lights else None,     # only year-end states picked: nothing
            "yellow_gap": r["yellow_gap"], "floor": r["forecast_floor"], "red": r["indicator_red"],
            "yellow": r["indicator_yellow"], "blue": r["indicator_blue"]}


def _bind(name: str, p: dict, extra: dict | None = None) -> dict:
    allowed = _Q[name].params
    return {k: v for k, v in {**p, **(extra or {})}.items() if k in allowed}


def _num(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def monitor_json_chunks(store: Store, filters: Filters = Filters(), year: int | None = None,
                        period: int | None = None, batch: int = 5000):
    """The `monitor --json` object as pieces of JSON text (the CLI writes them as they come, so 200,000 items
    never sit in memory twice): year, period_month, time_progress and every project of the snapshot (the latest
    of `year`, else the latest held, unless `period` is given); items written by DuckDB."""
    picked = pick_period(store, year if year is not None else filters.year, period)
    if picked is None:
        head = {"year": year if year is not None else filters.year, "period_month": period, "time_progress": None}
        yield json.dumps({**head, "items": []}, ensure_ascii=False)
        return
    y, m = picked
    q = _Q["items"]
    cur = store.cursor()
    try:
        cur.execute(DEFINITIONS.sql)
        res = cur.execute(q.sql, _bind("items", params(store, filters, y, m)))
        yield json.dumps({"year": y, "period_month": m, "time_progress": m / 12}, ensure_ascii=False)[:-1]
        yield ', "items": ['
        first = True
        while rows := res.fetchmany(batch):
            yield ("" if first else ", ") + ", ".join(r[0] for r in rows)
            first = False
        yield "]}"
    finally:
        cur.close()


def monitor_json_text(store: Store, filters: Filters = Filters(), year: int | None = None,
                      period: int | None = None) -> str:
    return "".join(monitor_json_chunks(store, filters, year, period))


def monitor_json(store: Store, filters: Filters = Filters(), year: int | None = None,
                 period: int | None = None) -> dict:
    """monitor_json_text() as a dict (tests, the CLI's text output)."""
    return json.loads(monitor_json_text(store, filters, year, period))


# ---------------------------------------------------------------- the page's figures
ROW_COLUMNS = {"name": "项目名称", "department": "主管部门", "budget": "预算数（万元）", "spent_to_date": "执行数（万元）",
               "execution_rate": "执行率", "time_progress": "序时进度", "gap_pp": "落后序时进度（百分点）",
               "light": "状态", "forecast_spent": "全年预计执行数（万元）", "at_risk": "风险",
               "risk_reasons": "风险原因"}
TOP_N = 15


@notes_blind
def figures(store: Store, filters: Filters, year: int, period: int) -> dict:
    """Everything the page shows except the paged rows: totals, by department, chart bars, indicator light
    counts, the rules."""
    rules = get_rules(store)
    p = params(store, filters, year, period, rules)
    agg = run(store, "groups", _bind("groups", p))
    tot = agg[agg["grouped_by"] == "total"]
    t = tot.iloc[0].to_dict() if len(tot) and int(tot["projects"].iloc[0]) else None
    by_dept = agg[agg["grouped_by"] == "department"]
    dept = pd.DataFrame({
        "主管部门": by_dept["department"].to_numpy(dtype=object), "项目数": by_dept["projects"].astype(int).to_numpy(),
        "预算数（万元）": by_dept["budget"].astype(float).to_numpy(), "执行数（万元）": by_dept["spent"].astype(float).to_numpy(),
        "执行率（加权）": [s / b if b > 0 else None for s, b in zip(by_dept["spent"], by_dept["budget"])],
        "全年预计执行数（万元）": by_dept["forecast"].astype(float).to_numpy(),
        "绿": by_dept["green"].astype(int).to_numpy(), "黄": by_dept["yellow"].astype(int).to_numpy(),
        "红": by_dept["red"].astype(int).to_numpy(), "风险项目": by_dept["at_risk"].astype(int).to_numpy()})
    tp = period / 12
    dept["状态"] = [None if r is None else execution_light(r, tp, rules["yellow_gap"]) for r in dept["执行率（加权）"]]
    chart = run(store, "chart", _bind("chart", p, {"top": TOP_N}))
    lights = run(store, "indicator_lights", _bind("indicator_lights", p))
    return {"year": year, "period": period, "time_progress": tp, "rules": rules, "totals": t, "by_department": dept,
            "chart": chart, "indicator_lights": lights}


def execution_light(rate: float, time_progress: float, yellow_gap: float) -> str:
    """The execution light of one (group) rate, as monitor_scope computes it for a project."""
    if rate >= time_progress - 1e-9:
        return "绿"
    return "黄" if time_progress - rate < yellow_gap - 1e-9 else "红"


@notes_blind
def rows(store: Store, filters: Filters, year: int, period: int, limit: int | None = None, offset: int = 0,
         worst_first: bool = False, at_risk_only: bool = False) -> pd.DataFrame:
    p = params(store, filters, year, period)
    return run(store, "rows", _bind("rows", p, {"limit": limit, "offset": int(offset), "worst_first": worst_first,
                                                "at_risk_only": at_risk_only}))


@notes_blind
def table(store: Store, filters: Filters, year: int, period: int, limit: int | None = None, offset: int = 0,
          worst_first: bool = False, at_risk_only: bool = False) -> pd.DataFrame:
    """rows() for display and export: Chinese headers, reasons joined, the flag as 是/blank."""
    df = rows(store, filters, year, period, limit, offset, worst_first, at_risk_only)
    out = df[list(ROW_COLUMNS)].rename(columns=ROW_COLUMNS)
    out["风险"] = out["风险"].map({True: "是", False: ""})
    out["风险原因"] = ["；".join(x) if x is not None and len(x) else "" for x in df["risk_reasons"]]
    out["落后序时进度（百分点）"] = out["落后序时进度（百分点）"].astype(float)
    return out


@notes_blind
def at_risk(store: Store, filters: Filters, year: int, period: int, limit: int = 20) -> list[dict]:
    """The worst at-risk projects with their reasons and the 偏差原因 / 完成目标可能性 of their indicators."""
    df = rows(store, filters, year, period, limit, 0, worst_first=True, at_risk_only=True)
    ids = [int(i) for i in df["id"]]
    details = run(store, "risk_details", {"ids": ids}) if ids else pd.DataFrame(columns=["project_id"])
    by_id = {int(r.project_id): r for r in details.itertuples(index=False)}
    out = []
    for r in df.itertuples(index=False):
        d = by_id.get(int(r.id))
        causes = sorted(list(d.causes) if d is not None and d.causes is not None else [],
                        key=lambda c: (CAUSE_ORDER.index(c) if c in CAUSE_ORDER else len(CAUSE_ORDER), c))
        likelihood: dict[str, int] = {}
        for word in (list(d.likelihoods) if d is not None and d.likelihoods is not None else []):
            likelihood[word] = likelihood.get(word, 0) + 1
        out.append({"id": int(r.id), "name": r.name, "department": r.department, "light": r.light,
                    "execution_rate": _num(r.execution_rate), "gap_pp": _num(r.gap_pp),
                    "forecast_spent": _num(r.forecast_spent), "budget": _num(r.budget),
                    "risk_reasons": list(r.risk_reasons if r.risk_reasons is not None else []), "causes": causes,
                    "likelihood": {k: likelihood[k] for k in ("完全不可能", "有可能", "确定能") if k in likelihood}})
    return out


@notes_blind
def project_indicators(store: Store, filters: Filters, year: int, period: int, project_id: int) -> pd.DataFrame:
    p = params(store, filters, year, period)
    return run(store, "indicators", _bind("indicators", p, {"project": int(project_id)}))


@notes_blind
def trajectory(store: Store, filters: Filters, limit: int = 50) -> pd.DataFrame:
    """The overview's 监控轨迹 of filters.year: name, department, line ("7月 30.0% → 年末 99.0%"), total."""
    if filters.year is None or not store.scalar("SELECT count(*) FROM monitor_projects WHERE year = ?", [filters.year]):
        return pd.DataFrame(columns=["项目名称", "主管部门", "执行进度"])
    df = run(store, "trajectory", {"year": int(filters.year), "departments": list(filters.departments) or None,
                                   "search": filters.search.strip() or None, "limit": int(limit)})

    def rate(x):
        return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"
    lines = []
    for snaps, end in zip(df["snapshots"], df["year_end_rate"]):
        parts = [f"{s['month']}月 {rate(s['rate'])}" for s in snaps]
        if end is not None and not (isinstance(end, float) and math.isnan(end)):
            parts.append(f"年末 {rate(end)}")
        lines.append(" → ".join(parts))
    out = pd.DataFrame({"项目名称": df["name"], "主管部门": df["department"], "执行进度": lines})
    out.attrs["total"] = int(df["total"].iloc[0]) if len(df) else 0
    return out
