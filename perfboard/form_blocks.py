"""Block readers of a 项目支出绩效自评表 for its title and parties (项目名称 line, 主管部门, 实施单位, 项目编码, 年度),
the variant it matches, and the 年度总体目标 block (预期目标 / 实际完成情况)."""
from __future__ import annotations

from . import cells, form_layouts
from .form_cells import (FOOTER_PREFIXES, ACHIEVEMENT_HEADERS, GOAL, GOAL_HEADERS, NAME_CODE, NATIONAL_LABELS, NATIONAL_TITLES,
                         YEAR, YEAR_CELL, YEAR_IN_TITLE, FormScope, as_written, base_label, blank, key_of, text_of,
                         variant_labels)
from .validation_report import ERROR, INFO, WARNING

TITLE_LINE_MAX = 60         # a title line's cells are short texts ("项目支出绩效自评表", "(2022年度)", "填报单位:…")


def title(fs: FormScope) -> str:
    """The form's title line (the cell naming a 自评表 above the 项目名称 row), as a label key."""
    above = range(fs.lo - 1, fs.title_lo - 1, -1) if fs.has_name else range(fs.lo, min(fs.hi, fs.lo + 5))
    for r in above:
        for k in fs.g.keys[r] if 0 <= r < fs.g.nrows else []:
            if "表" in k and len(k) <= 60:
                return k
    return ""


def split_name_code(fs: FormScope, name: str) -> tuple[str, str | None]:
    """'51000021R000000019951-工资性支出' -> ('工资性支出', '51000021R000000019951'): Sichuan's 一体化 system
    prints the project code in front of the name; a form without a 项目编码 line keeps it as the code."""
    m = NAME_CODE.match(name)
    if not m:
        return name, None
    fs.add("name-code-split", INFO, fs.lo, value=name, limit=m.group(1))
    return m.group(2).strip(), m.group(1)


def layout(fs: FormScope, title: str) -> dict:
    """The variant of form_layouts.VARIANTS this form matches best: the most of its own labels (those the
    national form does not print) found on the form, the fewest of them missing; the national form when
    no other variant's own label appears."""
    keys = {k for r in range(fs.title_lo, min(fs.hi, fs.g.nrows)) for k in fs.g.keys[r] if k}
    bases = keys | {base_label(k)[0] for k in keys}
    best, best_rank = form_layouts.VARIANTS[0], (0, 0)
    for v in form_layouts.VARIANTS[1:]:
        own = variant_labels(v) - NATIONAL_LABELS
        hits = sum(1 for x in own if x in keys or (x in bases and "(" not in x))
        hits += sum(2 for t in v["title"] if key_of(t) in title and key_of(t) not in NATIONAL_TITLES)
        rank = (hits, -(len(own) - hits))
        if hits and rank > best_rank:
            best, best_rank = v, rank
    return best


# -- title, year, parties
def year(fs: FormScope, above: int) -> int | None:
    g = fs.g
    for r in range(above - 1, fs.title_lo - 1, -1):        # nearest title line above the name
        for k in g.keys[r] if r < g.nrows else []:
            m = YEAR_CELL.match(k) or (YEAR_IN_TITLE.search(k) if "自评表" in k else None)
            if m:
                y, code = cells.year(m.group(1))
                if y is not None:
                    return y
    for r, c in g.find(YEAR, fs.title_lo, fs.hi, inline=True):
        v = fs.right_of(r, c)
        y, code = cells.year(v)
        if y is not None:
            return y
        if v is not None:
            fs.add("bad-year", ERROR, r, as_written(fs.sheet.cell(r, c)), value=v)
            return None
    fs.need("年度（如标题下的“（2022年度）”）")
    return None


def party(fs: FormScope, label_sets: list[frozenset[str]], r_end: int) -> str | None:
    for labels in label_sets:
        for r, c in fs.g.find(labels, fs.lo, r_end, inline=True):
            v = text_of(fs.right_of(r, c))
            if v:
                return v
    return None


# -- 年度总体目标
def goal(fs: FormScope, money_row: int, body_end: int) -> tuple[str | None, str | None]:
    g = fs.g
    found = g.find(GOAL, money_row, body_end)
    if not found:
        return None, None
    gr, gc = found[0]
    gr2 = max(g.end(gr, gc)[0], gr + 1)
    block_end = min(body_end, gr2 + 1)
    fs.claim(gr, block_end)
    fs.claims.area(gr, block_end, "年度总体目标部分")
    out = []
    for labels in (GOAL_HEADERS, ACHIEVEMENT_HEADERS):
        heads = [(r, c) for r, c in g.find(labels, gr, block_end) if c > gc]
        if not heads:
            out.append(None)
            continue
        hr, hc = heads[0]
        value, where = None, None
        for r in range(g.end(hr, hc)[0] + 1, block_end):
            v, ok = fs.cell(r, hc, as_written(fs.sheet.cell(hr, hc)))
            if not blank(v):
                value, where = v, r
                break
        if value is None:
            value, where = fs.right_of(hr, hc), hr
        out.append(fs.clean_text(value, where, as_written(fs.sheet.cell(hr, hc))))
    if out == [None, None] and not any(c > gc for _, c in g.find(GOAL_HEADERS | ACHIEVEMENT_HEADERS, gr, block_end)):
        out[0] = fs.clean_text(fs.right_of(gr, gc), gr, as_written(fs.sheet.cell(gr, gc)))
    return out[0], out[1]


def claim_title_lines(fs: FormScope) -> None:
    """The rows above the 项目名称 line that are title lines: at most three short texts, not a footer of an
    earlier form ("评价结论", "项目负责人:"). Other rows there (a previous form's tail cut onto this page) are
    left to be reported."""
    fs.claims.area(fs.title_lo, fs.lo, "项目名称行之上")
    for r in range(fs.title_lo, fs.lo):
        own = fs.own_cells(r)
        first = key_of(own[0]) if own else ""
        if not own or (len(own) <= 3 and not first.startswith(FOOTER_PREFIXES)
                       and all(isinstance(v, str) and len(key_of(v)) <= TITLE_LINE_MAX for v in own)):
            fs.claim(r, r + 1)


def report_leftovers(g, claims, rep) -> None:
    """Every run of rows with content of their own that no block read: one warning per run, with its first
    row, how many rows and the area it lies in."""
    sheet = g.sheet
    runs: list[list[int]] = []
    for r in range(g.nrows):
        if r in claims.rows:
            continue
        own = [v for c, v in enumerate(sheet.rows[r][:len(g.keys[r])]) if g.origin(r, c) == (r, c) and not blank(v)]
        if not own:
            continue
        if runs and runs[-1][-1] == r - 1 and claims.area_of(r) == claims.area_of(runs[-1][0]):
            runs[-1].append(r)
        else:
            runs.append([r])
    for run in runs:
        r = run[0]
        first = next(v for c, v in enumerate(sheet.rows[r]) if g.origin(r, c) == (r, c) and not blank(v))
        text = as_written(first)
        rep.add("row-not-read", WARNING, sheet=sheet.name, row=r + 1, value=text[:30] + ("…" if len(text) > 30 else ""),
                limit=f"{len(run)} 行（在{claims.area_of(r)}）")
