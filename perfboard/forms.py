"""Reading the 项目支出绩效自评表 users already have: the national form and its variants ("(A)/(B)" labels,
transfer payments without 分值/得分, the Sichuan form), one project per form, found by their labels.

The labels are data (form_layouts); cells, grid and detection are in form_cells; each block has its reader
(form_blocks: title, parties, goal; form_money; form_indicators: indicators and total). This module finds
the forms of a workbook and puts each form's blocks together."""
from __future__ import annotations

from . import form_blocks, form_indicators, form_money
from .batch import PROJECT_COLUMNS, Batch
from .form_cells import (CODE, DEPARTMENT, NAME, NOT_PROJECT, UNIT, Claims, FormScope, Grid, as_written, detect, is_form,
                         split_weight, strip_code, text_of)
from .readers import RawBook
from .validation_report import ERROR, INFO, WARNING

__all__ = ["has_form", "parse_forms", "split_weight"]



# ---------------------------------------------------------------- public entry
def _summary_table(sheet) -> bool:
    """A flat table of projects (项目名称 with 全年预算数/全年执行数 columns), e.g. a summary next to forms."""
    from .flat import classify
    return classify(sheet) is not None


def has_form(book: RawBook) -> bool:
    """True when any sheet is a 项目支出绩效自评表 (a summary table of projects is not one)."""
    return any(not _summary_table(sheet) and is_form(detect(Grid(sheet))) for sheet in book.sheets)


def parse_forms(book: RawBook, batch: Batch, department: str | None) -> None:
    """Fill `batch` from every sheet that is a 项目支出绩效自评表 (one project per form). A form with any
    error adds nothing (its problems go to the report); sheets that are not forms get an info line."""
    rep = batch.report
    forms = 0
    for sheet in book.sheets:
        if _summary_table(sheet):
            rep.add("summary-skipped", INFO, sheet=sheet.name, value=sheet.name)
            continue
        g = Grid(sheet)
        if not is_form(detect(g)):
            rep.add("sheet-skipped", INFO, sheet=sheet.name, value=sheet.name)
            continue
        name_rows = sorted({r for r, _ in g.find(NAME, 0, g.nrows, inline=True)})
        bounds = name_rows or [None]
        claims = Claims()
        for i, label_row in enumerate(bounds):
            lo = label_row if label_row is not None else 0
            hi = bounds[i + 1] if i + 1 < len(bounds) else g.nrows
            title_lo = (bounds[i - 1] + 1) if i > 0 else 0
            forms += 1
            _FormReader(g, batch, department, title_lo, lo, hi, label_row is not None, claims).read()
        form_blocks.report_leftovers(g, claims, rep)
    if not forms:
        rep.add("no-form", ERROR)


class _Incomplete(Exception):
    pass


class _FormReader(FormScope):
    """One form: rows [lo, hi) of a sheet, its title somewhere in [title_lo, lo)."""

    # -- the whole form
    def read(self) -> None:
        try:
            project, indicators, funds = self._read()
        except _Incomplete:
            project = None
        if project is None or self.rep.errors:      # the refusal covers the whole form: no line per row
            self.claim(self.lo, self.hi)
        for what in self.missing:
            self.add("form-incomplete", ERROR, value=what)
        if project is not None and not self.rep.errors:
            ref = len(self.batch.projects)
            self.batch.projects.append({c: project.get(c) for c in PROJECT_COLUMNS})
            self.batch.indicators += [{**i, "ref": ref} for i in indicators]
            self.batch.funds += [{**f, "ref": ref} for f in funds]
        self.batch.report.extend(self.rep)

    def _read(self):
        g = self.g
        project: dict = {"source_file": self.batch.file_name, "source_sheet": self.sheet.name,
                         "source_row": self.lo + 1 if self.has_name else None, "funding_source": None,
                         "overview": None, "improvement": None, "deviation_reason": None}
        title = form_blocks.title(self)
        form_blocks.claim_title_lines(self)
        what = next((v for k, v in NOT_PROJECT.items() if k in title), None)
        if what:                       # a department-wide or a target form: not one project's self-evaluation
            self.add("form-not-project", ERROR, self.lo, value=what)
            raise _Incomplete
        # 项目名称
        if not self.has_name:
            self.need("项目名称")
            name = None
        else:
            c = next(c for r, c in g.find(NAME, self.lo, self.lo + 1, inline=True))
            name = text_of(self.right_of(self.lo, c))
            if name is None:
                self.add("empty-required", ERROR, self.lo, as_written(self.sheet.cell(self.lo, c)).split("：")[0])
        project["name"] = name

        money = form_money.find_header(self)
        ind = form_indicators.find_header(self, money[0] if money else self.lo)
        body_end = ind[0] if ind else self.hi
        self.claim(self.lo, money[0] if money else body_end)          # the parties' label lines
        year = form_blocks.year(self, self.lo if self.has_name else (money[0] if money else body_end))
        project["year"] = year
        dept_row_end = money[0] if money else body_end
        project["department"] = self.department or strip_code(form_blocks.party(self, DEPARTMENT, dept_row_end))
        project["unit"] = strip_code(form_blocks.party(self, [UNIT], dept_row_end))
        project["project_code"] = form_blocks.party(self, [CODE], dept_row_end)
        if name and not project["project_code"]:
            project["name"], project["project_code"] = form_blocks.split_name_code(self, name)
        if project["department"] is None:
            self.add("no-department", ERROR, self.lo)
        if money is None or ind is None or year is None:
            raise _Incomplete
        funds = form_money.read(self, money, body_end, project)
        if funds is None:
            raise _Incomplete
        project["goal"], project["achievement"] = form_blocks.goal(self, self.lo, body_end)
        if project["achievement"] is None:
            self.add("achievement-missing", WARNING, self.lo)
        indicators, total = form_indicators.read(self, ind, project)
        project["reported_total_score"] = total
        layout = form_blocks.layout(self, title)
        self.add("form-found", INFO, self.lo, value=f"{layout['zh']}：{project['name'] or ''}")
        return project, indicators, funds
