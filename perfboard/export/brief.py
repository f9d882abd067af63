"""The one-page meeting brief (A4 landscape): the overview figures with year-over-year changes, the
execution-rate chart as a PNG, and the projects needing attention with their reasons. As .docx
(python-docx) and .pdf (reportlab, with an embedded CJK font; see fonts.py).

The content is the overview page's (perfboard.overview), so the brief never disagrees with the screen.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from .. import auth
from ..db import Store
from ..filters import Filters
from ..text import clean_deep
from .fonts import FontMissing, reportlab_font, vl_convert_font

ATTENTION_LIMIT = 6       # what fits on the page next to the chart
CHART_PROJECTS = 12
TEXT_LIMIT = 70           # characters of a reason or measure shown in the brief
LIGHT_HEX = {"绿": "2E7D32", "黄": "B26A00", "红": "C62828", "超预算": "7B1FA2", "无预算": "757575"}


# ---------------------------------------------------------------- formatting
def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _signed(x: float, body: str) -> str:
    return ("+" if x > 0 else "−" if x < 0 else "±") + body


def wan_text(x) -> str:
    return "—" if _missing(x) else f"{x:,.2f}"


def pct_text(x) -> str:
    return "—" if _missing(x) else f"{x * 100:.2f}%"


def change_count(d, unit="个") -> str | None:
    return None if _missing(d) else ("持平" if d == 0 else _signed(d, f"{abs(int(d))} {unit}"))


def change_wan(d, rel) -> str | None:
    if _missing(d):
        return None
    if abs(d) < 0.005:
        return "持平"
    text = _signed(d, f"{abs(d):,.2f} 万元")
    return text + (f"（{_signed(rel, f'{abs(rel) * 100:.1f}%')}）" if not _missing(rel) else "")


def change_pp(pp) -> str | None:
    return None if _missing(pp) else ("持平" if abs(pp) < 0.005 else _signed(pp, f"{abs(pp):.2f} 个百分点"))


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------- the content
@dataclass
class Figure:
    label: str
    value: str
    change: str | None = None


@dataclass
class BriefData:
    title: str
    subtitle: str
    figures: list[Figure]
    attention: list[dict]
    attention_total: int
    quality: list          # the brief: review.CountItem of the overview strip's checks; the monitoring brief: lines
    undecided: list[tuple[str, int]] = field(default_factory=list)   # (project, indicators nobody decided yet)
    review: list = field(default_factory=list)    # review.CountItem: the other review findings
    chart_png: bytes | None = None
    chart_note: str | None = None
    warnings: list[str] = field(default_factory=list)


def _scope_name(filters: Filters, departments: list[str]) -> str:
    depts = list(filters.departments) or sorted(departments)
    if len(depts) == 1:
        return depts[0]
    return "各部门" if not depts else f"{depts[0]}等 {len(depts)} 个部门"


# The data-quality part is the 自评复核 rules' (perfboard.review), one source of truth with the overview strip, the
# review page and `review --json`: the strip's checks under the strip's labels and counts, then every other
# finding by severity and rule, each item counting units, projects or indicators as its label says; the undecided
# list is the missing-target and pending-judgement findings per project.
def review_part(store: Store, filters: Filters) -> tuple[list, list, list[tuple[str, int]]]:
    """(the strip's check items, the other rules' items (review.CountItem), undecided projects) under `filters`."""
    from .. import review
    f = review.count_findings(store, filters)      # the counts only: never the findings' texts
    items = review.count_items(f)
    return ([i for i in items if i.check], [i for i in items if not i.check], review.undecided(f))


def brief_data(store: Store, filters: Filters = Filters(), with_chart: bool = True,
               now: datetime | None = None, user=None) -> BriefData:
    from ..overview import overview
    from ..sample import FICTIONAL_LABEL, fictional_years
    from ..summary import with_default_year
    filters = auth.scoped(store, filters, user, "export")      # only the departments `user` may export
    filters = with_default_year(store, filters)                # never several years (nor a fictional one) added up
    o = overview(store, filters, attention_limit=ATTENTION_LIMIT, chart_top=CHART_PROJECTS)
    fig, ch = o["figures"], o["change"]
    now = now or datetime.now()
    invented = set(fictional_years(store))
    mark = lambda y: f"{y} 年度" + (f"（{FICTIONAL_LABEL}）" if y in invented else "")  # noqa: E731
    year = mark(filters.year) if filters.year else "各年度"
    title = f"{_scope_name(filters, o['departments'])} {year}预算绩效简报"
    if o["base"]:
        compare = f"变化为与 {mark(o['base_year'])}同口径比较"
        if o["base_year"] in invented:
            compare += f"；{o['base_year']} 年度为虚构的示例数据，变化仅供演示"
    elif o["base_year"]:
        compare = f"{o['base_year']} 年度没有符合筛选条件的项目，不作同比"
    else:
        compare = "没有更早年度的数据，不作同比"
    subtitle = f"筛选：{filters.describe()}　·　{compare}　·　生成时间：{now:%Y-%m-%d %H:%M}"
    figures = [
        Figure("项目数", f"{fig['projects']} 个", change_count(ch.get("projects"))),
        Figure("全年预算数（万元）", wan_text(fig["budget_wan"]), change_wan(ch.get("budget_wan"), ch.get("budget_wan_pct"))),
        Figure("全年执行数（万元）", wan_text(fig["spent_wan"]), change_wan(ch.get("spent_wan"), ch.get("spent_wan_pct"))),
        Figure("执行率", pct_text(fig["execution_rate"]), change_pp(ch.get("execution_rate_pp"))),
        Figure("偏离项目", f"{fig['deviation_projects']} 个", change_count(ch.get("deviation_projects"))),
        Figure("指标达成", f"{fig['indicators_met']} / {fig['indicators_total']}",
               change_pp(ch.get("indicators_met_share_pp"))),
    ]
    quality, others, undecided = review_part(store, filters)
    data = BriefData(title=title, subtitle=subtitle, figures=figures, attention=o["attention"],
                     attention_total=o["attention_total"], quality=quality, undecided=undecided, review=others)
    if with_chart:
        try:
            data.chart_png = chart_png(o["chart"], o["bands"], top_n=len(o["chart"]))   # already capped
            if data.chart_png is None:
                data.chart_note = "筛选出的项目都没有全年预算数，无法计算执行率，未绘制执行率图。"
        except FontMissing as exc:
            data.chart_note = f"执行率图未生成：{exc}"
            data.warnings.append(str(exc))
    return data


def chart_png(projects_df, bands: dict, top_n: int = CHART_PROJECTS, width: int = 560, scale: float = 2.0) -> bytes | None:
    """The overview's execution-rate chart as PNG (None when no project has a rate). Raises FontMissing
    when no CJK font is installed: vl-convert would draw every Chinese character as a box."""
    if not len(projects_df) or not projects_df["execution_rate"].notna().any():
        return None
    import vl_convert as vlc

    from ..charts import execution_rate_chart
    family = vl_convert_font()
    bars = min(int(projects_df["execution_rate"].notna().sum()), top_n + 1)
    step = max(18, min(32, 420 // max(bars, 1)))       # fill the brief's chart box, however many bars
    projects_df = clean_deep(projects_df)      # vl-convert aborts the process on a control character (NonXmlChar)
    spec = execution_rate_chart(projects_df, bands, top_n=top_n, font_size=12, bar_step=step) \
        .properties(width=width).to_dict()
    _set_font(spec, family)
    return vlc.vegalite_to_png(spec, scale=scale)


def _set_font(spec, family: str) -> None:
    """Every font setting in a chart spec -> the one family vl-convert actually has (the CSS fallback
    lists the pages use name fonts of other systems)."""
    def walk(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in ("font", "labelFont", "titleFont") and isinstance(v, str):
                    obj[k] = family
                else:
                    walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
    walk(spec)
    spec.setdefault("config", {})["font"] = family


def _attention_lines(item: dict) -> tuple[str, list[str]]:
    head = f"{item['name']}　{item['light']} · 执行率 {pct_text(item['execution_rate'])}"
    lines = []
    if item.get("rate_mismatch"):
        lines.append(f"填报执行率 {pct_text(item['reported_rate'])}，与计算值不一致")
    if item.get("deviating_indicators"):
        lines.append("偏离指标：" + clip(item["deviating_indicators"]))
    lines.append("偏离原因：" + clip(item["reason"]))
    lines.append("改进措施：" + clip(item["measures"]))
    return head, lines


def _attention_heading(data: BriefData) -> str:
    if not data.attention_total:
        return "需关注：无偏离项目"
    shown = len(data.attention)
    more = f"，列出最严重的 {shown} 个" if data.attention_total > shown else ""
    return f"需关注（{data.attention_total} 个项目偏离{more}）"


UNDECIDED_LISTED = 10     # projects named on the one page; the rest are counted (a province had 100,000: 2.8M characters)


def _undecided_line(data: BriefData) -> str | None:
    if not data.undecided:
        return None
    line = "待判定指标：" + "、".join(f"{name} {n} 条" for name, n in data.undecided[:UNDECIDED_LISTED])
    if len(data.undecided) > UNDECIDED_LISTED:
        line += (f"等 {len(data.undecided):,} 个项目共 {sum(n for _, n in data.undecided):,} 条"
                 "（逐条见“自评复核”页面）")
    return line


def _quality_line(data: BriefData) -> str:
    line = "数据检查：" + ("；".join(i.text for i in data.quality) if data.quality else "未发现问题")
    if data.review:
        by = {}
        for i in data.review:
            by.setdefault(i.severity, []).append(i.text)
        line += "。自评复核另发现：" + "；".join(f"{sev} " + "、".join(t) for sev, t in by.items())
    return line


# ---------------------------------------------------------------- .docx / .pdf (onepage.py lays it out)
def _page(data: BriefData):
    from .onepage import Entry, OnePage
    entries = []
    for item in data.attention:
        head, lines = _attention_lines(item)
        entries.append(Entry(head, LIGHT_HEX.get(item["light"], "000000"), lines))
    return OnePage(title=data.title, subtitle=data.subtitle, figures=data.figures,
                   chart_heading="各项目执行率（由低到高）", chart_png=data.chart_png, chart_note=data.chart_note,
                   heading=_attention_heading(data), entries=entries, footer=_quality_line(data),
                   after=_undecided_line(data))     # apart from the red ones: nobody has decided these yet


def brief_docx(store: Store, filters: Filters = Filters(), data: BriefData | None = None, user=None) -> bytes:
    from .onepage import onepage_docx
    return onepage_docx(_page(data or brief_data(store, filters, user=user)))


def brief_pdf(store: Store, filters: Filters = Filters(), data: BriefData | None = None, user=None) -> bytes:
    """The brief as a one-page PDF with the CJK font embedded. Raises FontMissing without a CJK font."""
    from .onepage import onepage_pdf
    reportlab_font()                            # FontMissing before any work when there is no CJK font
    return onepage_pdf(_page(data or brief_data(store, filters, user=user)))


def brief_bytes(store: Store, filters: Filters, fmt: str, user=None) -> bytes:
    """"docx" or "pdf"."""
    if fmt == "pdf":
        return brief_pdf(store, filters, user=user)
    if fmt == "docx":
        return brief_docx(store, filters, user=user)
    raise ValueError(f"unknown brief format {fmt!r}")
