"""The one-page monitoring brief (issue 17), A4 landscape, like the meeting brief (brief.py): one monitoring
period's figures against 序时进度, the execution chart with the 序时进度 line as a PNG, and the projects at risk
with their reasons. As .docx (python-docx) and .pdf (reportlab with the embedded CJK font, fonts.py).

The content is the 执行监控 page's (perfboard.monitoring), so the brief never disagrees with the screen."""
from __future__ import annotations

from datetime import datetime

from .. import auth, monitoring
from ..db import Store
from ..filters import Filters
from .brief import BriefData, Figure, LIGHT_HEX, _set_font, clip, pct_text, wan_text
from .fonts import FontMissing, reportlab_font, vl_convert_font

RISK_LIMIT = 6

MONITOR_HEX = {**LIGHT_HEX, "蓝": "1565C0"}


class NoSnapshot(Exception):
    """No monitoring snapshot for the asked year / period (the message is Chinese)."""


def monitor_brief_data(store: Store, filters: Filters = Filters(), year: int | None = None, period: int | None = None,
                       with_chart: bool = True, now: datetime | None = None, user=None) -> BriefData:
    filters = auth.scoped(store, filters, user, "export")
    picked = monitoring.pick_period(store, year if year is not None else filters.year, period)
    if picked is None:
        raise NoSnapshot("没有符合条件的运行监控数据。")
    year, period = picked
    fig = monitoring.figures(store, filters, year, period)
    t = fig["totals"] or {"projects": 0, "budget": 0.0, "spent": 0.0, "red": 0, "yellow": 0, "green": 0, "at_risk": 0}
    tp = fig["time_progress"]
    rate = t["spent"] / t["budget"] if t["budget"] else None
    depts = list(filters.departments)
    scope = depts[0] if len(depts) == 1 else ("各部门" if not depts else f"{depts[0]}等 {len(depts)} 个部门")
    now = now or datetime.now()
    title = f"{scope} {year} 年 1—{period}月绩效运行监控简报"
    subtitle = (f"筛选：{filters.describe()}　·　序时进度 {tp:.1%}（{period} ÷ 12）　·　生成时间：{now:%Y-%m-%d %H:%M}")
    figures = [
        Figure("项目数", f"{int(t['projects'])} 个"),
        Figure("预算数（万元）", wan_text(t["budget"])),
        Figure(f"1—{period}月执行数（万元）", wan_text(t["spent"])),
        Figure("执行率", pct_text(rate), None if rate is None else f"对序时进度 {(rate - tp) * 100:+.1f} 个百分点"),
        Figure("红 / 黄 / 绿", f"{int(t['red'])} / {int(t['yellow'])} / {int(t['green'])}"),
        Figure("风险项目", f"{int(t['at_risk'])} 个"),
    ]
    risky = monitoring.at_risk(store, filters, year, period, RISK_LIMIT)
    attention = [{"name": r["name"], "light": r["light"], "execution_rate": r["execution_rate"],
                  "lines": [clip(x) for x in r["risk_reasons"]]
                  + ([f"偏差原因：{clip('、'.join(r['causes']))}"] if r["causes"] else [])} for r in risky]
    counts = fig["indicator_lights"].groupby("light", dropna=False)["n"].sum()
    quality = [f"指标 {k} {int(counts.get(k, 0))} 条" for k in monitoring.INDICATOR_LIGHTS]
    quality.append(f"待判定 {int(counts[counts.index.isna()].sum())} 条")
    data = BriefData(title=title, subtitle=subtitle, figures=figures, attention=attention,
                     attention_total=int(t["at_risk"]), quality=quality)
    if with_chart:
        if not len(fig["chart"]):
            data.chart_note = "筛选出的项目都没有预算数，无法计算执行率，未绘制执行率图。"
        else:
            try:
                data.chart_png = chart_png(fig["chart"], tp)
            except FontMissing as exc:
                data.chart_note = f"执行率图未生成：{exc}"
                data.warnings.append(str(exc))
    return data


def chart_png(rows, time_progress: float, width: int = 560, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    from ..charts_monitor import monitor_rate_chart
    family = vl_convert_font()
    spec = monitor_rate_chart(rows, time_progress, font_size=12).properties(width=width).to_dict()
    _set_font(spec, family)
    return vlc.vegalite_to_png(spec, scale=scale)


def _heading(data: BriefData) -> str:
    if not data.attention_total:
        return "风险项目：无"
    more = f"，列出最严重的 {len(data.attention)} 个" if data.attention_total > len(data.attention) else ""
    return f"风险项目（{data.attention_total} 个{more}）"


def _head(item: dict) -> str:
    return f"{item['name']}　{item['light']} · 执行率 {pct_text(item['execution_rate'])}"


def _footer(data: BriefData) -> str:
    return "指标进度：" + "；".join(data.quality)


def _page(data: BriefData):
    from .onepage import Entry, OnePage
    entries = [Entry(_head(item), MONITOR_HEX.get(item["light"], "000000"), item["lines"]) for item in data.attention]
    return OnePage(title=data.title, subtitle=data.subtitle, figures=data.figures,
                   chart_heading="各项目执行率与序时进度（落后最多的在前）", chart_png=data.chart_png,
                   chart_note=data.chart_note, heading=_heading(data), entries=entries, footer=_footer(data),
                   value_pt=(16, 16), blank_change="")


def monitor_brief_docx(data: BriefData) -> bytes:
    from .onepage import onepage_docx
    return onepage_docx(_page(data))


def monitor_brief_pdf(data: BriefData) -> bytes:
    """Raises FontMissing without a CJK font."""
    from .onepage import onepage_pdf
    return onepage_pdf(_page(data))


def monitor_brief_bytes(store: Store, filters: Filters, year: int, period: int, fmt: str, user=None) -> bytes:
    """"docx" or "pdf" of one snapshot."""
    if fmt == "pdf":
        reportlab_font()                      # FontMissing before any work
        return monitor_brief_pdf(monitor_brief_data(store, filters, year, period, user=user))
    if fmt == "docx":
        return monitor_brief_docx(monitor_brief_data(store, filters, year, period, user=user))
    raise ValueError(f"unknown brief format {fmt!r}")
