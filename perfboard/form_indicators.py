"""Block reader of a 项目支出绩效自评表's indicator block (一级 / 二级 / 三级 rows under a one- or two-row header)
and of its total (总分 / 合计 row, or a 自评得分 stated in the header lines), with the checks of categories,
weights and scores."""
from __future__ import annotations

import math

from . import cells, form_layouts, rows
from .flat import indicator_values
from .form_cells import (FOOTER_PREFIXES, FOOTER_TEXT_PREFIXES, key_of, INDICATOR_HEADERS, INDICATOR_ZH, STATED_TOTAL, TITLE_YEAR, TOTAL_SCORE,
                         FormScope, as_written, blank, dateless, field_of, fmt, half_unit, is_estimate, is_template,
                         matches, placeholder, split_target, split_weight, squash)
from .form_money import SCORE_TOLERANCE
from .validation_report import ERROR, INFO, WARNING
from .targets import JUDGEMENTS


# -- indicator block
def find_header(fs: FormScope, after: int):
    g = fs.g
    for r in range(after, min(fs.hi, g.nrows)):
        if not any(matches(k, INDICATOR_HEADERS["level3"]) for k in g.keys[r]):
            continue
        cols = {}
        for c in range(g.ncols(r)):
            # own headers, and headers merged down from the row above (a two-row header: 云南 prints
            # 年度指标值 over 指标性质 | 指标值 | 度量单位, with 实际完成值, 分值, 得分 spanning both rows)
            r1, c1 = g.origin(r, c)
            if (r1, c1) != (r, c) and (r1 == r or c1 != c):
                continue
            f = field_of(g.key(r1, c1), INDICATOR_HEADERS)
            if f and f not in cols:
                cols[f] = (c, as_written(fs.sheet.cell(r1, c1)))
        for f in ("target", "actual"):
            if f not in cols:
                fs.need(INDICATOR_ZH[f])
        if "target" not in cols or "actual" not in cols:
            return None
        start = max(g.end(r, c)[0] for c, _ in cols.values()) + 1
        return r, cols, start
    fs.need("三级指标")
    return None


def _stop_row(fs: FormScope, r: int, cols: dict) -> str | None:
    """'total' at the 总分 row, 'end' at a footer or the next form's title, else None."""
    g = fs.g
    first = next((k for k in g.keys[r] if k), "")
    limit = cols.get("weight", cols.get("score", cols.get("target", (g.ncols(r), ""))))[0]
    for c in range(0, limit):
        k = g.key(*g.origin(r, c))
        if matches(k, TOTAL_SCORE):
            return "total"
    if first.startswith(FOOTER_PREFIXES) or "自评表" in first or TITLE_YEAR.match(first):
        return "end"
    return None


class _Block:
    """The indicator block being read: its header, the indicators so far, the unused-category rows, the
    weights claimed in 一级 labels, and whether a cell was unreadable (then no figures are checked)."""

    def __init__(self, fs: FormScope, ind):
        self.fs, self.g = fs, fs.g
        self.hr, self.cols, self.start = ind
        self.out: list[dict] = []
        self.claims: list[tuple[str, float, int]] = []      # (level1, weight in its label, row)
        self.unused: list[tuple[str, int]] = []             # (category named, row) of unused-category rows
        self.carry1 = self.carry2 = None
        self.bad = False

    def header(self, f):
        return self.cols[f][1] if f in self.cols else None

    def get(self, r, f):
        if f not in self.cols:
            return None
        v, ok = self.fs.cell(r, self.cols[f][0], self.cols[f][1])
        self.bad |= not ok
        return v


def read(fs: FormScope, ind, project: dict) -> tuple[list[dict], float | None]:
    """The indicators of the block and the reported total (总分 row, or a 自评得分 stated above)."""
    b = _Block(fs, ind)
    total_row = None
    after = min(fs.hi, fs.g.nrows)             # the first row after the block (its total row included)
    for r in range(b.start, min(fs.hi, fs.g.nrows)):
        stop = _stop_row(fs, r, b.cols)
        if stop == "total":
            total_row, after = r, r + 1
            break
        if stop == "end":
            after = r
            break
        if matches(b.g.key(*b.g.origin(r, b.cols["level3"][0])), INDICATOR_HEADERS["level3"]):
            continue          # the header repeated at the top of a printed page
        _row(b, r)
    top = min([b.hr] + [b.g.origin(b.hr, c)[0] for c, _ in b.cols.values()])   # a two-row header's upper row
    fs.claim(top, after)
    fs.claims.area(b.start, after, "绩效指标部分")
    _claim_footer(fs, after)
    if b.bad:
        return b.out, None
    _check_categories(fs, b.out, b.unused, b.hr, b.header("level1"))
    for name, claimed, r in b.claims:         # the weights written in 一级 labels
        ws = [i["weight"] for i in b.out if i["level1"] == name and i["weight"] is not None]
        if ws and abs(math.fsum(ws) - claimed) > 1e-6:
            fs.add("weight-mismatch", WARNING, r, b.header("level1"), value=fmt(claimed), limit=fmt(math.fsum(ws)))
    return b.out, _total(b, total_row, project)


NIL_TEXTS = frozenset({"", "无", "暂无", "/", "-", "—", "——", "无。"})   # a footer saying nothing is not text


def _claim_footer(fs: FormScope, after: int) -> None:
    """The footer lines below the block (评价结论, 存在问题, 备注, 项目负责人…): part of the form, not data."""
    fs.claims.area(after, fs.hi, "绩效指标部分之后")
    for r in range(after, min(fs.hi, fs.g.nrows)):
        own = fs.own_cells(r)
        if own and key_of(own[0]).startswith(FOOTER_PREFIXES):
            fs.claim(r, r + 1)
            first = key_of(own[0])
            label = next((p for p in FOOTER_TEXT_PREFIXES if first.startswith(p)), None)
            # the text is the cells right of the label, or what follows the label in its own cell ("存在问题：…")
            text = "".join(key_of(v) for v in own[1:]) if len(own) > 1 else first[len(label or ""):].lstrip(":：")
            if label and text not in NIL_TEXTS and not any(is_template(v) for v in own[1:] or own):
                # written text is not data this importer stores: said, never dropped silently (issue 14)
                fs.add("footer-text-not-imported", INFO, r, None, value=label)


def _levels(b: _Block, r: int) -> tuple[str | None, str | None]:
    """一级 / 二级 of row r: merged cells give every covered row the top-left value; a level left blank
    without a merge continues the one above (within the same 一级 for 二级)."""
    fs, g, cols = b.fs, b.g, b.cols
    new_group = False
    level1 = level2 = None
    if "level1" in cols:
        c = cols["level1"][0]
        v = b.get(r, "level1")
        if not blank(v):
            text = squash(v)
            if g.origin(r, c) == (r, c):
                fs.date_check(v, r, b.header("level1"))
                name, weight = split_weight(text)
                if weight is not None and text != b.carry1:
                    b.claims.append((name, weight, r))
                new_group = text != b.carry1
            b.carry1 = text
        level1 = split_weight(b.carry1)[0] if b.carry1 else None
    if "level2" in cols:
        v = b.get(r, "level2")
        if not blank(v):
            if g.origin(r, cols["level2"][0]) == (r, cols["level2"][0]):
                fs.date_check(v, r, b.header("level2"))
            b.carry2 = squash(v)
        elif new_group:
            b.carry2 = None
        level2 = split_weight(b.carry2)[0] if b.carry2 else None
    return level1, level2


def _row(b: _Block, r: int) -> None:
    """Row r of the block: an indicator, an unused category (info line), or covered by merges only."""
    fs, header = b.fs, b.header
    level1, level2 = _levels(b, r)
    raw = {f: b.get(r, f) for f in ("level3", "target", "actual", "weight", "score", "note", "direction", "unit",
                                    "judgement")}
    # a row of the template never filled in: an unused 二级 category, "指标1：" and nothing else
    if rows.empty(raw["note"]) and rows.is_unused_category(level1, level2, raw["level3"], raw["target"],
                                                           raw["actual"], raw["weight"], raw["score"]):
        if _names_a_level(fs, r, b.cols) or not (blank(raw["level3"]) and blank(raw["score"])):
            text = rows.category_text(level1, level2)
            fs.add("unused-category", INFO, r, header("level2") or header("level1"), value=text)
            b.unused.append((text, r))
        return
    if all(rows.empty(raw[f]) for f in ("level3", "target", "actual", "weight", "score", "note")):
        return          # covered only by the merged 一级/二级 of the rows above: nothing of its own
    level3 = raw["level3"]
    if placeholder(level3):
        fs.add("indicator-name-missing", WARNING, r, header("level3"), value=level3)
        level3 = None
    elif blank(level3):
        fs.add("indicator-name-missing", WARNING, r, header("level3"), value="（空）")
        level3 = None
    else:
        fs.date_check(level3, r, header("level3"))
        level3 = rows.strip_numbering(fs.clean_text(level3, r, header("level3")))
    target, actual = _target_actual(b, r, raw)
    note = fs.clean_text(raw["note"], r, header("note")) if "note" in b.cols else None
    weight, score = _weight_score(b, r, raw, note)
    direction = None if blank(raw["direction"]) else raw["direction"]
    direction = form_layouts.DIRECTION_ALIASES.get(cells.norm(direction), direction) if direction else None
    unit = None if blank(raw["unit"]) else raw["unit"]
    judgement = None if blank(raw["judgement"]) else squash(raw["judgement"])
    if judgement is not None and judgement not in JUDGEMENTS:
        fs.add("bad-judgement", ERROR, r, header("judgement"), value=raw["judgement"])
        b.bad = True
    b.out.append({"position": len(b.out) + 1, "level1": level1, "level2": level2, "level3": level3,
                  "weight": weight, "reported_score": score, "judgement": judgement, "deviation_note": note,
                  "source_sheet": fs.sheet.name, "source_row": r + 1,
                  **indicator_values(split_target(direction, dateless(target), unit), dateless(actual),
                                     direction, unit)})


def _target_actual(b: _Block, r: int, raw: dict):
    """年度指标值 and 实际完成值 of a row: template instructions and blanks are reported and read as missing."""
    out = []
    for f in ("target", "actual"):
        if is_template(raw[f]):
            b.fs.add("template-text", WARNING, r, b.header(f), value=raw[f])
    for f in ("target", "actual"):
        v = raw[f]
        if is_template(v):
            out.append(None)
        elif blank(v):
            b.fs.add(f"{f}-missing", WARNING, r, b.header(f))
            out.append(None)
        else:
            out.append(v)
    return out


def _weight_score(b: _Block, r: int, raw: dict, note) -> tuple[float | None, float | None]:
    """分值 and 得分 of a row, with the missing-score, score-over-weight and reason-missing checks."""
    fs, header = b.fs, b.header
    nums = {}
    for f in ("weight", "score"):
        v = raw[f]
        if blank(v) or (is_estimate(header(f)) and fs.estimate_left_out(r, header(f))):
            nums[f] = None
            continue
        value, code = cells.number(v)
        if code:
            fs.add(code, ERROR, r, header(f), value=v)
            b.bad = True
        nums[f] = value
    weight, score = nums["weight"], nums["score"]
    if "score" in b.cols and score is None and weight is not None and not b.bad:
        fs.add("score-missing", WARNING, r, header("score"), value=fmt(weight))
    if weight is not None and score is not None:
        if score > weight + 1e-9:
            fs.add("score-over-weight", WARNING, r, header("score"), value=fmt(score), limit=fmt(weight))
        elif score < weight - 1e-9 and note is None:
            fs.add("reason-missing", WARNING, r, header("note") or header("score"), value=fmt(score),
                   limit=fmt(weight))
    return weight, score


def _total(b: _Block, total_row: int | None, project: dict) -> float | None:
    """The reported 总分: the 得分 of the total row (its 分值 and 得分 checked against the rows and the money
    block's), else a 自评得分 stated in the header lines; missing is a warning with the row."""
    fs, header, out = b.fs, b.header, b.out
    if total_row is None:
        if "score" not in b.cols:
            return None
        total = _stated_total(fs, b.hr)
        if total is None:
            last = _last_row(fs, b.start, out, b.unused)
            fs.add("total-score-missing", WARNING, b.hr if last is None else last, header("score"), value="总分")
        return total
    total = total_weight = None
    if "weight" in b.cols and not is_estimate(header("weight")):
        v = b.get(total_row, "weight")
        if not blank(v):
            total_weight, code = cells.number(v)
            if code:
                fs.add(code, ERROR, total_row, header("weight"), value=v)
    if "score" in b.cols and not is_estimate(header("score")):
        v = b.get(total_row, "score")
        if not blank(v):
            total, code = cells.number(v)
            if code:
                fs.add(code, ERROR, total_row, header("score"), value=v)
        else:
            fs.add("total-score-missing", WARNING, total_row, header("score"),
                   value=as_written(fs.sheet.cell(*b.g.origin(total_row, 0))) or "总分")
    weights = [i["weight"] for i in out if i["weight"] is not None]
    if total_weight is not None and weights:
        expected = math.fsum(weights) + (project.get("execution_weight") or 0)
        if abs(expected - total_weight) > 1e-6:
            fs.add("weight-mismatch", WARNING, total_row, header("weight"), value=fmt(total_weight),
                   limit=fmt(expected))
    scores = [i["reported_score"] for i in out if i["reported_score"] is not None]
    if total is not None and (scores or project.get("execution_reported_score") is not None):
        expected = math.fsum(scores) + (project.get("execution_reported_score") or 0)
        if abs(expected - total) > max(SCORE_TOLERANCE, half_unit(total)) + 1e-9:
            fs.add("total-mismatch", WARNING, total_row, header("score"), value=fmt(total), limit=fmt(expected))
    return total


def _names_a_level(fs: FormScope, r: int, cols: dict) -> bool:
    """The row writes a 一级 or 二级 name of its own (not only the merged name of the rows above)."""
    for f in ("level1", "level2"):
        if f in cols:
            c = cols[f][0]
            if fs.g.origin(r, c) == (r, c) and not blank(fs.sheet.cell(r, c)):
                return True
    return False


def _last_row(fs: FormScope, start: int, out: list, unused: list) -> int | None:
    rows_seen = [i["source_row"] - 1 for i in out] + [r for _, r in unused]
    return max(rows_seen) if rows_seen else None


def _check_categories(fs: FormScope, out: list[dict], unused: list[tuple[str, int]], hr: int, column) -> None:
    """产出, 效益 and 满意度 should each have an indicator: a missing one is a warning with the row that
    names the category (an unused-category row) or the header row."""
    for word, label in form_layouts.LEVEL1_EXPECTED:
        if any(word in (i["level1"] or "") or word in (i["level2"] or "") for i in out):
            continue
        r = next((r for text, r in reversed(unused) if word in text), hr)
        fs.add("level1-missing", WARNING, r, column, value=label)


def _stated_total(fs: FormScope, hr: int) -> float | None:
    """A total written in the header lines ("自评得分 98", 银川) when the form has no 总分 row."""
    for r, c in fs.g.find(STATED_TOTAL, fs.lo, hr, inline=True):
        value, code = cells.number(fs.right_of(r, c))
        if code is None and value is not None:
            return value
    return None
