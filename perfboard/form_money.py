"""Block reader of a 项目支出绩效自评表's money block: its header row (年初预算数 / 全年预算数 / 全年执行数 / 分值 /
执行率 / 得分 / 原因 under any variant's wording), the total row and the sub-rows by fund kind, and the checks
of the execution figures (rate, score, over-execution)."""
from __future__ import annotations

import math

from . import cells
from .flat import RATE_TOLERANCE
from .form_cells import (FUND_ROWS, GOAL, LAYOUT, MONEY_HEADERS, MONEY_ZH, TOTAL_ROW, FormScope, as_written, blank,
                         field_of, fmt, half_unit, is_estimate, looked_for_money, matches, unit_of)
from .validation_report import ERROR, INFO, WARNING

MONEY_EPS = 1e-6            # 万元: 0.01 yuan, below any amount a form shows
SCORE_TOLERANCE = 0.01


# -- money block
def find_header(fs: FormScope):
    """(row, {field: (col, unit, header)}, data_start) of the money block, or None."""
    g = fs.g
    missing = []
    for r in range(fs.lo, min(fs.hi, g.nrows)):
        fields = {}
        for c, k in enumerate(g.keys[r]):
            f = field_of(k, MONEY_HEADERS)
            if f and f not in fields:
                fields[f] = (c, unit_of(k), as_written(fs.sheet.cell(r, c)))
        if "budget" in fields or "spent" in fields:
            missing = [f for f in ("budget", "spent") if f not in fields]
            for f in missing:
                fs.need(looked_for_money(f))
            start = max(g.end(r, c)[0] for c, _, _ in fields.values()) + 1
            return None if missing else (r, fields, start)
    fs.need(looked_for_money("budget"))
    fs.need(looked_for_money("spent"))
    return None


def _first_amount_row(fs: FormScope, fields: dict, start: int, end: int, first_col: int) -> tuple[int, str] | None:
    """The first row of the money block with an amount under 全年预算数 or 全年执行数, and its label."""
    for r in range(start, end):
        for f in ("budget", "spent"):
            c = fields[f][0]
            v = fs.sheet.cell(*fs.g.origin(r, c))
            if not blank(v) and cells.money(v)[1] is None:
                # the row's own label: not the block label (项目资金) merged down beside all the rows
                label = next((as_written(fs.sheet.cell(*fs.g.origin(r, cc))) for cc in range(first_col)
                              if fs.g.origin(r, cc)[0] == r and fs.g.key(*fs.g.origin(r, cc))), "（无标签）")
                return r, label
    return None


def _sheet_unit(fs: FormScope, header_row: int, first_col: int) -> str:
    g = fs.g
    for c in range(first_col):
        r1, c1 = g.origin(header_row, c)
        u = unit_of(g.key(r1, c1))
        if u:
            return u
    for r in range(header_row, fs.title_lo - 1, -1):
        for k in g.keys[r]:
            u = unit_of(k)
            if u:
                return u
    return "万元"


class _Block:
    """The money block being read: its header fields, the unit amounts are in, and whether a cell was
    unreadable (then the form adds nothing)."""

    def __init__(self, fs: FormScope, money):
        self.fs, self.g = fs, fs.g
        self.hr, self.fields, self.start = money
        self.first_col = min(c for c, _, _ in self.fields.values())
        self.unit = _sheet_unit(fs, self.hr, self.first_col)
        self.bad = False

    def amount(self, r, f):
        """An amount in 万元 under field f (年初 / 全年预算 / 全年执行) of row r; blank and 无 are None."""
        if f not in self.fields:
            return None
        c, unit, header = self.fields[f]
        v, ok = self.fs.cell(r, c, header)
        if not ok:
            self.bad = True
            return None
        if blank(v) or (isinstance(v, str) and cells.norm(v) == "无"):
            return None
        value, code = cells.money(v, unit or self.unit)
        if code:
            self.fs.add(code, ERROR, r, header, value=v)
            self.bad = True
            return None
        if cells.money_as_text(v):
            self.fs.add("money-as-text", INFO, r, header, value=v.strip(), limit=fmt(value))
        return value

    def number(self, tr, f, parse):
        """分值 / 执行率 / 得分 of the total row, parsed; an estimate column (issue 15) is left out."""
        if f not in self.fields:
            return None
        c, _, header = self.fields[f]
        if f in ("weight", "score") and is_estimate(header) and self.fs.estimate_left_out(tr, header):
            return None
        v, ok = self.fs.cell(tr, c, header)
        if not ok:
            self.bad = True
            return None
        if blank(v):
            return None
        value, code = parse(v)
        if code:
            self.fs.add(code, ERROR, tr, header, value=v)
            self.bad = True
            return None
        return value


def read(fs: FormScope, money, body_end: int, project: dict) -> list[dict] | None:
    """Fill the project's money and execution figures from the block; its funds by kind, or None when the
    block cannot be read (the reason is reported)."""
    b = _Block(fs, money)
    goal_rows = [r for r, _ in fs.g.find(GOAL, b.start, body_end)]
    end = min(goal_rows + [body_end])
    rows = _row_kinds(b, end)
    fs.claim(b.hr, b.start)                     # the header row(s)
    fs.claims.area(b.start, end, "资金部分，行标签未识别")
    if "total" not in rows:
        assumed = _first_amount_row(fs, b.fields, b.start, end, b.first_col)
        if assumed is None:
            fs.need("年度资金总额（已查找的行：" + "、".join(f"“{x}”" for x in LAYOUT["money"]["total_row"]) + "）")
            return None
        r, label = assumed
        fs.add("total-row-assumed", WARNING, r, label, value=label)
        rows["total"] = [r]
    tr = rows["total"][0]
    for rs in rows.values():
        for r in rs:
            fs.claim(r, r + 1)
    funds = _amounts(b, rows, project)
    _execution(b, tr, project)
    if b.bad:
        return None
    _check_execution(fs, tr, b.fields, project)
    return funds


def _row_kinds(b: _Block, end: int) -> dict[str, list[int]]:
    """The block's rows by what their label says: 'total', or a fund kind (current / carryover / other)."""
    g = b.g
    rows: dict[str, list[int]] = {}
    for r in range(b.start, end):
        for c in range(b.first_col):
            if g.origin(r, c) != (r, c):
                # a total label merged down from the header row (银川: 年度资金总额 beside the headers)
                if "total" not in rows and matches(g.key(*g.origin(r, c)), TOTAL_ROW):
                    rows["total"] = [r]
                    break
                continue
            k = g.key(r, c)
            if matches(k, TOTAL_ROW):
                rows.setdefault("total", []).append(r)
                break
            kind = field_of(k, FUND_ROWS)
            if kind:
                rows.setdefault(kind, []).append(r)
                break
    return rows


def _amounts(b: _Block, rows: dict[str, list[int]], project: dict) -> list[dict]:
    """The total row's amounts (the sub-rows' sum when the total is empty or 0) and the funds by kind."""
    fs, fields, tr = b.fs, b.fields, rows["total"][0]
    total = {f: b.amount(tr, f) for f in MONEY_ZH}
    funds, subs = [], {f: [] for f in MONEY_ZH}
    for kind in ("current", "carryover", "other"):
        merged: dict | None = None
        for r in rows.get(kind, []):
            vals = {f: b.amount(r, f) for f in MONEY_ZH}
            for f, v in vals.items():
                if v is not None:
                    subs[f].append(v)
            if all(v is None for v in vals.values()):
                continue
            if merged is None:
                merged = {"kind": kind, **vals}
            else:          # e.g. 中央财政资金 and 地方资金 of a transfer payment: both this year's money
                for f, v in vals.items():
                    if v is not None:
                        merged[f] = (merged[f] or 0) + v
        if merged is not None:
            funds.append({"kind": kind, "initial_budget": merged["initial"], "budget": merged["budget"],
                          "spent": merged["spent"]})
    for f in MONEY_ZH:
        if f not in fields:
            continue
        header = fields[f][2]
        s = math.fsum(subs[f]) if subs[f] else None
        if (total[f] is None or total[f] == 0) and s:
            fs.add("fund-total-zero", WARNING, tr, header, value="（空）" if total[f] is None else fmt(total[f]),
                   limit=fmt(s))
            total[f] = s
        elif total[f] is not None and s is not None and abs(total[f] - s) > MONEY_EPS:
            fs.add("fund-sum-mismatch", WARNING, tr, header, value=fmt(total[f]), limit=fmt(s))
    for f in ("budget", "spent"):
        if total[f] is None and not b.bad:
            fs.add("empty-required", ERROR, tr, fields[f][2])
            b.bad = True
    project["initial_budget"], project["budget"], project["spent"] = total["initial"], total["budget"], total["spent"]
    return funds


def _execution(b: _Block, tr: int, project: dict) -> None:
    """分值 / 执行率 / 得分 / 原因 of the total row."""
    fs, fields = b.fs, b.fields
    weight = b.number(tr, "weight", cells.number)
    rate = b.number(tr, "rate", cells.rate)
    if rate is not None:       # '70.4%' / 100 is 0.7040000000000001 in binary; keep the figure written
        rate = float(f"{rate:.12g}")
    score = b.number(tr, "score", cells.number)
    project["execution_weight"], project["reported_rate"], project["execution_reported_score"] = weight, rate, score
    if weight is not None and score is None and "score" in fields and not b.bad:
        fs.add("score-missing", WARNING, tr, fields["score"][2], value=fmt(weight))
    if "reason" in fields:
        v, ok = fs.cell(tr, fields["reason"][0], fields["reason"][2])
        b.bad |= not ok
        project["deviation_reason"] = fs.clean_text(v, tr, fields["reason"][2])


def _check_execution(fs: FormScope, tr: int, fields: dict, p: dict) -> None:
    budget, spent, rate = p["budget"], p["spent"], p["reported_rate"]
    if budget == 0:
        fs.add("zero-budget", WARNING, tr, fields["budget"][2], value=0)
    if spent > budget:
        fs.add("over-execution", WARNING, tr, fields["spent"][2], value=fmt(spent), limit=fmt(budget))
    if rate is not None:
        header = fields["rate"][2]
        if not -0.01 <= rate <= 3:
            fs.add("rate-out-of-range", WARNING, tr, header, value=f"{rate:.2%}")
        elif budget:
            actual = spent / budget
            # a rate written with fewer decimals is right when it rounds the true one: 71% for 70.74%
            tolerance = max(RATE_TOLERANCE, half_unit(rate * 100) / 100)
            if abs(rate - actual) > tolerance + 1e-12:
                shown, true = f"{rate * 100:.10g}%", f"{actual * 100:.2f}%"
                message = None
                if tolerance > RATE_TOLERANCE:
                    message = (f"填报执行率 {shown} 与按全年执行数÷全年预算数计算的 {true} 不一致"
                               f"（已按填报值的小数位数取舍比较）。")
                fs.add("rate-mismatch", WARNING, tr, header, value=shown, limit=true, message=message)
    weight, score = p["execution_weight"], p["execution_reported_score"]
    if weight is not None and score is not None and budget:
        expected = min(spent / budget, 1.0) * weight
        if abs(score - expected) > max(SCORE_TOLERANCE, half_unit(score)) + 1e-9:
            fs.add("score-mismatch", WARNING, tr, fields["score"][2], value=fmt(score), limit=fmt(expected))
