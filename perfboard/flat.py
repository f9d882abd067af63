"""The flat import layout: a 项目 sheet (one row per project) and an optional 绩效指标 sheet."""
from __future__ import annotations

import functools

from . import cells, rows
from .batch import Batch
from .headers import INDICATOR_REQUIRED, INDICATOR_ZH, PROJECT_REQUIRED, PROJECT_ZH, map_header_row
from .readers import RawBook, Sheet
from .validation_report import ERROR, INFO, WARNING
from .targets import QUALITATIVE, effective_direction
from .targets import parse_value as _parse_value

PROJECT_SHEETS = {"项目", "projects", "项目表", "项目支出"}
INDICATOR_SHEETS = {"绩效指标", "indicators", "指标", "指标表"}
JUDGEMENTS = {"达成", "部分达成", "未达成", "不适用"}
DIRECTION_WORDS = {"≥": "≥", ">=": "≥", "＞＝": "≥", "大于等于": "≥", ">": ">", "＞": ">", "大于": ">",
                   "≤": "≤", "<=": "≤", "小于等于": "≤", "<": "<", "＜": "<", "小于": "<", "=": "=", "＝": "=",
                   "等于": "=", "定性": QUALITATIVE}
RATE_TOLERANCE = 0.0005       # 0.05 percentage points


@functools.lru_cache(maxsize=1 << 16)
def parse_value(text):
    """targets.parse_value, cached: the same target/actual texts recur on every project (Parsed is frozen)."""
    return _parse_value(text)
HEADER_SCAN_ROWS = 20


def find_header(sheet: Sheet, fields: str, must: str) -> tuple[int, dict, list] | None:
    """The first row (within the top rows) that maps `must` and at least one other field."""
    for r in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
        mapping, unknown = map_header_row(sheet.rows[r], fields)
        if must in mapping and len(mapping) >= 2:
            return r, mapping, unknown
    return None


def _header_without_name(sheet: Sheet) -> tuple[int, dict, list] | None:
    """A header row lacking 项目名称 but holding three other project columns: report the missing column."""
    for r in range(min(HEADER_SCAN_ROWS, len(sheet.rows))):
        mapping, unknown = map_header_row(sheet.rows[r], "projects")
        if len(mapping) >= 3:
            return r, mapping, unknown
    return None


def looks_flat(book: RawBook) -> bool:
    return any(classify(s) == "projects" for s in book.sheets)


def has_indicator_sheet(book: RawBook) -> bool:
    return any(classify(s) == "indicators" for s in book.sheets)


def classify(sheet: Sheet) -> str | None:
    """'projects' or 'indicators' for a sheet holding that flat table (by name or header), else None."""
    name = cells.norm(sheet.name).lower()
    if name in PROJECT_SHEETS:
        return "projects"
    if name in INDICATOR_SHEETS:
        return "indicators"
    found = find_header(sheet, "projects", "project_name")
    if found and {"budget", "spent"} <= found[1].keys():
        return "projects"
    found = find_header(sheet, "indicators", "level3")
    if found and ({"project_name", "project_code"} & found[1].keys()):
        return "indicators"
    return None


def parse_flat(book: RawBook, batch: Batch, department: str | None = None) -> None:
    """Fill `batch` from a flat workbook or CSV, collecting every problem in batch.report."""
    rep = batch.report
    project_sheets = [s for s in book.sheets if classify(s) == "projects"]
    indicator_sheets = [s for s in book.sheets if classify(s) == "indicators"]
    for s in book.sheets:
        if s not in project_sheets and s not in indicator_sheets:
            rep.add("sheet-skipped", INFO, sheet=s.name, value=s.name)
    if not project_sheets:
        rep.add("no-sheet", ERROR)
        return
    for s in project_sheets:
        _parse_projects(s, batch, department)
    for s in indicator_sheets:
        _parse_indicators(s, batch)


def _check_formula(sheet: Sheet, r: int, c: int, header: str, batch: Batch) -> bool:
    f = sheet.formulas.get((r, c))
    if f is not None:
        batch.report.add("formula-no-value", ERROR, sheet=sheet.name, row=r + 1, column=header, value=f)
        return True
    return False


def _parse_projects(sheet: Sheet, batch: Batch, department: str | None) -> None:
    rep = batch.report
    found = find_header(sheet, "projects", "project_name") or _header_without_name(sheet)
    if not found:
        rep.add("no-header", ERROR, sheet=sheet.name)
        return
    hr, mapping, unknown = found
    batch.extra_columns += [h for _, h in unknown]
    for _, h in unknown:
        rep.add("unknown-column", INFO, sheet=sheet.name, row=hr + 1, column=h, value=h)
    missing = [f for f in PROJECT_REQUIRED if f not in mapping]
    if "department" not in mapping and not department:
        missing.append("department")
    for f in missing:
        rep.add("missing-column", ERROR, sheet=sheet.name, row=hr + 1, value=PROJECT_ZH[f])
    if missing:
        return
    seen: dict[tuple, int] = {}
    for r in range(hr + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if all(cells.is_blank(v) for v in row) and not any((r, c) in sheet.formulas for c, _, _ in mapping.values()):
            continue
        p = _project_row(sheet, r, mapping, batch, department)
        if p is None:
            cell = (lambda f: sheet.cell(r, mapping[f][0]) if f in mapping else None)
            batch.rejected.add((cells.text(cell("project_code")), cells.norm(cells.text(cell("project_name")) or "")))
            continue
        key = (p["year"], p["department"], p["project_code"] or p["name"])
        if key in seen:
            rep.add("duplicate-project", ERROR, sheet=sheet.name, row=r + 1, column=mapping["project_name"][2],
                    value=p["project_code"] or p["name"], limit=seen[key])
            continue
        seen[key] = r + 1
        batch.projects.append(p)


def _project_row(sheet: Sheet, r: int, mapping: dict, batch: Batch, department: str | None) -> dict | None:
    rep = batch.report
    loc = dict(sheet=sheet.name, row=r + 1)
    bad: set[str] = set()          # fields already reported for this row
    out: dict = {"source_file": batch.file_name, "source_sheet": sheet.name, "source_row": r + 1,
                 "execution_weight": None, "execution_reported_score": None, "reported_total_score": None}
    for field in PROJECT_ZH:
        if field not in mapping:
            out[field] = None
            continue
        c, unit, header = mapping[field]
        v = sheet.cell(r, c)
        if _check_formula(sheet, r, c, header, batch):
            bad.add(field)
            out[field] = None
            continue
        if field == "year":
            value, code = cells.year(v)
        elif field == "reported_rate":
            value, code = cells.rate(v)
        elif field in ("initial_budget", "budget", "spent"):
            value, code = cells.money(v, unit or "万元")
            if code is None and value is not None and cells.money_as_text(v):
                rep.add("money-as-text", INFO, column=header, value=v.strip(), limit=_fmt(value), **loc)
        else:
            value, code = cells.text(v), None
        if code:
            rep.add(code, ERROR, column=header, value=v, **loc)
            bad.add(field)
        out[field] = value
    if department:
        out["department"] = department
    for field in ("year", "department", "project_name", "budget", "spent"):
        if out[field] is None and field not in bad:
            rep.add("empty-required", ERROR, column=mapping[field][2] if field in mapping else PROJECT_ZH[field], **loc)
            bad.add(field)
    if bad:
        return None
    out["name"] = out.pop("project_name")
    budget, spent, reported = out["budget"], out["spent"], out["reported_rate"]
    if budget == 0:
        rep.add("zero-budget", WARNING, column=mapping["budget"][2], value=0, **loc)
    if spent > budget:
        rep.add("over-execution", WARNING, column=mapping["spent"][2], value=_fmt(spent), limit=_fmt(budget), **loc)
    if reported is not None:
        if not -0.01 <= reported <= 3:
            rep.add("rate-out-of-range", WARNING, column=mapping["reported_rate"][2], value=f"{reported:.2%}", **loc)
        if budget and abs(reported - spent / budget) > RATE_TOLERANCE:
            rep.add("rate-mismatch", WARNING, column=mapping["reported_rate"][2], value=f"{reported * 100:.2f}%",
                    limit=f"{spent / budget * 100:.2f}%", **loc)
    return out


def _fmt(x: float) -> str:
    return f"{x:,.4f}".rstrip("0").rstrip(".")


def _parse_indicators(sheet: Sheet, batch: Batch) -> None:
    rep = batch.report
    found = find_header(sheet, "indicators", "level3")
    if not found:
        rep.add("no-header", ERROR, sheet=sheet.name)
        return
    hr, mapping, unknown = found
    for _, h in unknown:
        rep.add("unknown-column", INFO, sheet=sheet.name, row=hr + 1, column=h, value=h)
    if not ({"project_name", "project_code"} & mapping.keys()):
        rep.add("missing-column", ERROR, sheet=sheet.name, row=hr + 1, value="项目名称（或项目编码）")
        return
    by_code: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for i, p in enumerate(batch.projects):
        if p["project_code"]:
            by_code.setdefault(p["project_code"], []).append(i)
        by_name.setdefault(cells.norm(p["name"]), []).append(i)
    positions: dict[int, int] = {}
    for r in range(hr + 1, len(sheet.rows)):
        row = sheet.rows[r]
        if all(cells.is_blank(v) for v in row):
            continue
        loc = dict(sheet=sheet.name, row=r + 1)

        def raw(field, row=row, width=len(row)):        # sheet.cell() without the per-call bounds checks
            c = mapping[field][0] if field in mapping else None
            return None if c is None else row[c] if c < width else ""

        if rows.empty(raw("deviation_note")) and rows.is_unused_category(
                raw("level1"), raw("level2"), raw("level3"), raw("target"), raw("actual"), raw("weight"), raw("score")):
            column = mapping.get("level2", mapping.get("level1"))[2]
            rep.add("unused-category", INFO, column=column, value=rows.category_text(raw("level1"), raw("level2")), **loc)
            continue
        bad = False
        for field, (c, _, header) in mapping.items() if sheet.formulas else ():
            bad |= _check_formula(sheet, r, c, header, batch)
        year, code = cells.year(raw("year"))
        if code:
            rep.add(code, ERROR, column=mapping["year"][2], value=raw("year"), **loc)
            bad = True
        pcode, pname = cells.text(raw("project_code")), cells.text(raw("project_name"))
        candidates = by_code.get(pcode, []) if pcode else []
        if not candidates and pname:
            candidates = by_name.get(cells.norm(pname), [])
        if year is not None:
            candidates = [i for i in candidates if batch.projects[i]["year"] == year]
        if not candidates and _of_rejected(batch, pcode, pname):
            continue                    # its project row has an error of its own: one message is enough
        if len(candidates) != 1:
            col = mapping.get("project_name", mapping.get("project_code"))[2]
            rep.add("orphan-indicator", ERROR, column=col, value=pname or pcode or "（空）", **loc)
            continue
        level3 = cells.text(raw("level3"))
        if level3 is None:
            rep.add("empty-required", ERROR, column=mapping["level3"][2], **loc)
            bad = True
        weight, code = cells.number(raw("weight"))
        if code:
            rep.add(code, ERROR, column=mapping["weight"][2], value=raw("weight"), **loc)
            bad = True
        score, code = cells.number(raw("score"))
        if code:
            rep.add(code, ERROR, column=mapping["score"][2], value=raw("score"), **loc)
            bad = True
        judgement = cells.text(raw("judgement"))
        if judgement is not None and judgement not in JUDGEMENTS:
            rep.add("bad-judgement", ERROR, column=mapping["judgement"][2], value=judgement, **loc)
            bad = True
        if bad:
            continue
        ref = candidates[0]
        positions[ref] = positions.get(ref, 0) + 1
        batch.indicators.append({
            "ref": ref, "position": positions[ref], "level1": cells.text(raw("level1")),
            "level2": cells.text(raw("level2")), "level3": level3, "weight": weight, "reported_score": score,
            "judgement": judgement, "deviation_note": cells.text(raw("deviation_note")),
            "source_sheet": sheet.name, "source_row": r + 1,
            **indicator_values(raw("target"), raw("actual"), raw("direction"), raw("unit")),
        })


def _of_rejected(batch: Batch, pcode, pname) -> bool:
    name = cells.norm(pname or "")
    return any((pcode and code == pcode) or (name and n == name) for code, n in batch.rejected)


def indicator_values(target, actual, direction=None, unit=None) -> dict:
    """Target/actual cells (and, on split forms, 指标性质 and 度量单位) -> the stored columns."""
    target, actual = _percent_cell(target, actual), _percent_cell(actual, target)
    target_text, actual_text = cells.text(target), cells.text(actual)
    tp, ap = parse_value(target_text), parse_value(actual_text)
    unit_text = cells.text(unit) or ""
    d = DIRECTION_WORDS.get(cells.norm(direction)) if not cells.is_blank(direction) else None
    if d is None:
        d = QUALITATIVE if tp.qualitative else effective_direction(tp)
    return {
        "direction": d, "target_value": tp.value, "target_unit": tp.unit or unit_text or None,
        "actual_value": ap.value, "actual_unit": ap.unit or (unit_text if ap.value is not None else "") or None,
        "target_text": target_text, "actual_text": actual_text,
    }


def _percent_cell(value, other):
    """Excel keeps a cell shown as '95%' as the number 0.95. When the other side of the pair is a
    percentage and this one is a bare fraction, show and judge it as the percentage the user saw."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1.5:
        if isinstance(other, str) and parse_value(other).unit == "%":
            return f"{value * 100:.10g}%"
    return value
