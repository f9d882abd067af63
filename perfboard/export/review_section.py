"""The optional 自评复核 section of the written report (export.report.report_docx(include_review=True)): the
review findings of the report's projects, per unit and by severity, in the report's own styles. Kept apart from
report.py so the report's text and this section change independently."""
from __future__ import annotations

from .. import auth
from ..db import Store
from ..filters import Filters
from ..text import clean_deep
from ..review import RULES, SEVERITIES, SEVERITY_ZH, STATUS_ZH, findings, unit_counts

MAX_LISTED = 300        # findings written out one by one; the rest are counted (the workpaper has them all)


def review_paragraphs(store: Store, filters: Filters = Filters(), user=None) -> list[tuple[str, str]]:
    """(kind, text) of the section: kind 'heading' (level 2), 'text' or 'missing' (the report's red text),
    for the findings not marked 不采纳, within the departments `user` may export."""
    filters = auth.scoped(store, filters, user, "export")
    f = findings(store, filters)
    f = f[f["status"] != "rejected"]
    out: list[tuple[str, str]] = []
    if not len(f):
        out.append(("text", "按复核规则检查，未发现问题。"))
        return out
    counts = "、".join(f"{SEVERITY_ZH[s]} {int((f['severity'] == s).sum())} 条" for s in SEVERITIES
                       if (f["severity"] == s).any())
    verified = int((f["status"] == "verified").sum())
    out.append(("text", f"按复核规则检查，共发现问题 {len(f)} 条（{counts}），其中已核实 {verified} 条，"
                        f"其余待核实。逐条明细见复核底稿。"))
    units = unit_counts(f)
    if len(units) > 1:
        out.append(("heading", "（一）各单位发现"))
        for u in units.head(50).to_dict("records"):
            out.append(("text", f"{int(u['year'])} 年度 {u['department']}：共 {int(u['total'])} 条（"
                                + "、".join(f"{s} {int(u[s])}" for s in SEVERITIES if u[s]) + "）。"))
    out.append(("heading", "（二）主要发现" if len(units) > 1 else "（一）主要发现"))
    for r in f.head(MAX_LISTED).itertuples(index=False):
        who = r.department + (f"“{r.project}”" if isinstance(r.project, str) else "")
        state = "" if r.status == "open" else f"（{STATUS_ZH[r.status]}）"
        out.append(("text", f"【{r.severity}·{RULES[r.code].title}】{who}，{r.location}：{r.fact}{state}"))
    if len(f) > MAX_LISTED:
        out.append(("missing", f"（另有 {len(f) - MAX_LISTED} 条未逐条列出，见复核底稿。）"))
    return out


def write_review_section(doc, store: Store, filters: Filters = Filters(), user=None) -> None:
    """Append the section to a python-docx Document built by export.report (its Heading 1/2 styles)."""
    from .docxutil import MISSING_COLOUR
    doc.add_page_break()
    doc.add_heading("附：自评复核发现", level=1)
    for kind, text in clean_deep(review_paragraphs(store, filters, user)):     # lxml refuses control characters
        if kind == "heading":
            doc.add_heading(text, level=2)
            continue
        run = doc.add_paragraph().add_run(text)
        if kind == "missing":
            run.font.color.rgb = MISSING_COLOUR
