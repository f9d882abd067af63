"""The written 项目支出绩效自评报告 (.docx) in the structure and voice of the reference report.

For each project: 一、项目名称 / （一）项目基本情况 (1.项目概况, 2.项目绩效总目标) / （二）绩效目标完成情况分析
(1.资金投入情况分析, 2.绩效目标完成情况分析 with one line per indicator class) / （三）偏离绩效目标的原因和
下一步改进措施. Stored text is used as written; missing data is said visibly (in red, e.g. （未填写项目概况）),
never invented. Sentences are built by small pure functions so tests can read them without Word.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from ..db import Store
from .. import auth
from ..filters import Filters
from ..indicators import indicator_rows
from ..summary import projects
from ..targets import DIRECTIONS, completion_ratio, effective_direction, parse_value
from ..text import clean_deep

FULL = 1e-9                      # a rate within this of 1 is 100%
# Per-project sections (about a page each) are written when the filter holds at most this many projects
# (the default of the page and the CLI); above it the report is the aggregate chapters only, and says so.
SECTION_LIMIT = 500
MAX_SECTION_LIMIT = 5000         # the most a caller may ask for (the largest department at 200,000 projects)
TABLE_LIMIT = 5000               # the aggregate report lists every project (名称/得分/等级) up to this many
BATCH = 500                      # projects whose indicator and fund rows are read at once
FUND_LABELS = {"current": "本年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
MET = ("met", "na")
DEVIATING = ("unmet",)            # a missing actual is said in red, not called a deviation
UNDECIDED = ("pending", "no_target")


# ---------------------------------------------------------------- numbers and numerals
def zh_numeral(n: int) -> str:
    """1 -> 一, 10 -> 十, 11 -> 十一, 20 -> 二十, 99 -> 九十九, 101 -> 一百零一, 110 -> 一百一十 (1..9999)."""
    if not 0 < n < 10000:
        raise ValueError(f"zh_numeral supports 1..9999, got {n}")
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out += "零"
            out += digits[d] + unit
            zero = False
        elif out:
            zero = True
    return out


def num(x, max_decimals: int = 4) -> str:
    """A figure as the reference writes it: 425, 8.48, 3.537 (no trailing zeros; 万元 keep yuan precision)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    s = f"{float(x):.{max_decimals}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def wan(x) -> str:
    return f"{num(x)}万元"


# ---------------------------------------------------------------- tidy text (issue 15)
_CJK = r"\u3400-\u9fff\uff08\uff09\u201c\u201d\u3001\uff0c\u3002\uff1b\uff1a"
_SPACE_AFTER_NUMBER = re.compile(rf"(?<=[\d%])[ \t\u3000]+(?=[{_CJK}])")
_SPACE_BEFORE_NUMBER = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[\d])")
# "2.8万" / "91 万" of money without 元 (not 万人, 万次, 万亩 …)
_BARE_WAN = re.compile(r"(\d(?:\.\d+)?)\s*万(?![元人户亩吨次件个台套份册株头只名余多千百亿平字张条篇辆斤公步])")


def tidy(text: str | None) -> str:
    """Stored and generated text as a Chinese document writes it: no PDF spaces between a number and the
    characters around it ("77 项" -> "77项", "截止 2024 年底" -> "截止2024年底"), money always in 万元."""
    if not text:
        return ""
    t = _SPACE_AFTER_NUMBER.sub("", text)
    t = _SPACE_BEFORE_NUMBER.sub("", t)
    return _BARE_WAN.sub(r"\1万元", t)


def pct(rate) -> str:
    """0.7074 -> "70.74%", 1 -> "100%" (at most two decimals)."""
    return f"{num(rate * 100, 2)}%"


def rate_phrase(rate) -> str:
    """"执行率＝100%" when fully executed, otherwise "执行率为 70.74%" (the reference's two forms)."""
    if rate is None:
        return "执行率无法计算（全年预算数为 0 或未填写）"
    if abs(rate - 1) <= FULL:
        return "执行率＝100%"
    return f"执行率为 {pct(rate)}"


# ---------------------------------------------------------------- the text model
@dataclass
class Para:
    """A paragraph as runs of (text, kind); kind is "text", "label" (bold lead-in) or "missing" (red)."""
    runs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str, kind: str = "text") -> "Para":
        if text:
            self.runs.append((tidy(text), kind))
        return self

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.runs)


@dataclass
class ProjectSection:
    number: int
    name: str
    basic: list[Para]
    analysis: list[Para]
    deviation: list[Para]

    @property
    def heading(self) -> str:
        return f"{zh_numeral(self.number)}、{tidy(self.name)}"

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.basic + self.analysis + self.deviation)


def _blank(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA or (isinstance(x, str) and not x.strip())


def _s(x) -> str | None:
    return None if _blank(x) else str(x).strip()


def _f(x) -> float | None:
    return None if _blank(x) else float(x)


def _class_label(level2, level1) -> str:
    label = _s(level2) or _s(level1) or "其他指标"
    return label if label.endswith("指标") else label + "指标"


def _starts_with_operator(text: str) -> bool:
    p = parse_value(text)
    return p.direction in DIRECTIONS and not text[:1].isdigit()


def indicator_phrase(r: dict) -> tuple[str, str | None]:
    """One indicator as a clause, and a red note when its actual value is missing.

    "服务对象满意度≥95%", "全年登记合同数量 771项", a qualitative actual on its own ("资金已及时拨付"),
    "市级科技计划项目评审数量≥25项，已全面完成目标任务", "年度赴外招商，年度指标值 2次，实际完成 2次".
    """
    name = _s(r.get("level3")) or ""
    target, actual = _s(r.get("target_text")), _s(r.get("actual_text"))
    if target and actual:
        if parse_value(actual).qualitative:
            text = f"{name}{target}，{actual}" if _starts_with_operator(target) else \
                f"{name}（年度指标值 {target}），{actual}"
        else:
            text = f"{name}，年度指标值 {target}，实际完成 {actual}" if name else f"年度指标值 {target}，实际完成 {actual}"
    elif actual:
        if not name or parse_value(actual).qualitative:
            text = actual
        elif _starts_with_operator(actual):
            text = name + actual
        else:
            text = f"{name} {actual}"
    elif target:
        text = f"{name}，年度指标值 {target}" if name else f"年度指标值 {target}"
    else:
        text = name or "（未命名指标）"
    if r.get("status") == "unmet":
        t, a = parse_value(target or ""), parse_value(actual or "")
        ratio = None
        if t.value is not None and a.value is not None:
            ratio = completion_ratio(effective_direction(t), t.value, a.value)
        text += f"，未达成目标（完成率为 {pct(ratio)}）" if ratio is not None else "，未达成目标"
    return text, (None if actual else "（未填写实际完成值）")


def _counted(r: dict) -> bool:
    """A target or actual counted in things (项, 次, 万元…), after which the reference adds "执行率＝100%";
    a percentage (满意度≥95%, 合规率 100%) already says it."""
    for k in ("target_text", "actual_text"):
        p = parse_value(_s(r.get(k)) or "")
        if p.value is not None and p.unit != "%":
            return True
    return False


def indicator_class_paras(rows: list[dict]) -> list[Para]:
    """One paragraph per indicator class (二级指标) in form order: "数量指标：…，执行率＝100%；"."""
    classes: dict[str, list[dict]] = {}
    for r in rows:
        classes.setdefault(_class_label(r.get("level2"), r.get("level1")), []).append(r)
    paras = []
    for i, (label, items) in enumerate(classes.items()):
        p = Para().add(f"{label}：", "label")
        shared = _shared_actual(items)
        if shared:       # "A≥25项、B≥10项，已全面完成目标任务" instead of the same words after each target
            p.add("、".join(f"{_s(r.get('level3')) or ''}{_s(r.get('target_text'))}" for r in items) + f"，{shared}")
        for k, r in enumerate([] if shared else items):
            text, note = indicator_phrase(r)
            p.add(("；" if k else "") + text)
            if note:
                p.add(note, "missing")
        if any(_counted(r) for r in items) and all(r.get("status") in MET for r in items):
            p.add("，执行率＝100%")
        p.add("。" if i == len(classes) - 1 else "；")
        paras.append(p)
    return paras


def _shared_actual(items: list[dict]) -> str | None:
    """The one qualitative actual several targeted, met indicators of a class share, if they do."""
    if len(items) < 2:
        return None
    actuals = {_s(r.get("actual_text")) for r in items}
    if len(actuals) != 1 or None in actuals or not all(_s(r.get("target_text")) for r in items):
        return None
    actual = actuals.pop()
    if not parse_value(actual).qualitative or not all(r.get("status") in MET for r in items):
        return None
    if not all(_starts_with_operator(_s(r.get("target_text"))) for r in items):
        return None
    return actual


def achievement_paras(p: dict, rows: list[dict]) -> list[Para] | None:
    """Section （二） from the stored 实际完成情况 (its dates, recipients and uses as written), one paragraph per
    line, then red notes for what it does not settle; None when nothing is stored."""
    text = _s(p.get("achievement"))
    if not text:
        return None
    paras = [Para().add(line.strip()) for line in text.split("\n") if line.strip()]
    missing = [r for r in rows if r.get("status") == "missing" or not _s(r.get("actual_text"))]
    if missing:
        names = "、".join(f"{_s(r.get('level3')) or '（未命名指标）'}（年度指标值 {_s(r.get('target_text')) or '未填写'}）"
                         for r in missing)
        paras.append(Para().add(f"（以下指标未填写实际完成值：{names}。）", "missing"))
    rate, reported = _f(p.get("execution_rate")), _f(p.get("reported_rate"))
    if reported is not None and rate is not None and abs(reported - rate) > 0.0005:
        paras.append(Para().add(f"（填报执行率为 {pct(reported)}，按全年执行数÷全年预算数计算为 {pct(rate)}，请核实。）",
                                "missing"))
    return paras


def money_paras(p: dict, funds: list[dict]) -> tuple[Para, Para]:
    """1.资金投入情况分析 and the opening of 2.绩效目标完成情况分析."""
    year, budget, spent = int(p["year"]), _f(p.get("budget")), _f(p.get("spent"))
    initial, rate, reported = _f(p.get("initial_budget")), _f(p.get("execution_rate")), _f(p.get("reported_rate"))
    one = Para().add("1.资金投入情况分析。", "label")
    if budget is None or budget <= 0:
        one.add(f"{year} 年度项目")
        one.add("（未填写全年预算数）", "missing")
    else:
        one.add(f"{year} 年度项目全年预算数 {wan(budget)}")
        if initial is not None and abs(initial - budget) > 1e-9:
            one.add(f"（年初预算数 {wan(initial)}）")
        parts = [f"{FUND_LABELS[f['kind']]} {wan(f['budget'])}" for f in funds
                 if f["kind"] in FUND_LABELS and _f(f.get("budget"))]
        if parts:
            one.add("，其中" + "、".join(parts))
    if spent is None:
        one.add("，")
        one.add("（未填写全年执行数）", "missing")
        one.add("。")
    else:
        one.add(f"。截至 {year} 年底，全年执行数 {wan(spent)}，{rate_phrase(rate)}")
        if rate is not None and rate < 1 - FULL:
            one.add(f"，结余 {wan(round(budget - spent, 6))}")
        elif rate is not None and rate > 1 + FULL:
            one.add(f"，超出预算 {wan(round(spent - budget, 6))}")
        one.add("。")
    if reported is not None and rate is not None and abs(reported - rate) > 0.0005:
        one.add(f"（原填报执行率为 {pct(reported)}，与按全年执行数÷全年预算数计算的 {pct(rate)} 不一致，请核实。）",
                "missing")
    two = Para().add("2.绩效目标完成情况分析。", "label")
    if spent is None:
        two.add("（未填写全年执行数）", "missing")
        two.add("；")
    elif rate is not None and abs(rate - 1) <= FULL:
        two.add(f"截至 {year} 年底，{wan(spent)}已全部支出，执行率＝100%；")
    else:
        two.add(f"截至 {year} 年底，支出 {wan(spent)}，{rate_phrase(rate)}；")
    return one, two


def deviation_paras(p: dict, rows: list[dict]) -> list[Para]:
    """（三）: the stored reason and measures, or 未偏离绩效目标。 when the project met everything.

    An indicator without an actual value is not called a deviation (the data does not say it is one): the
    section says in red that it must be filled in before deviation can be confirmed, as for undecided ones."""
    rate = _f(p.get("execution_rate"))
    budget_off = rate is not None and abs(rate - 1) > FULL
    off = [r for r in rows if r.get("status") == "unmet"]
    no_actual = [r for r in rows if r.get("status") == "missing"]
    undecided = [r for r in rows if r.get("status") in UNDECIDED]
    reason, measures = _s(p.get("deviation_reason")), _s(p.get("improvement"))
    paras: list[Para] = []

    def open_notes(confirm: bool) -> None:
        tail = "补充后再确认是否偏离绩效目标。" if confirm else ""
        if no_actual:
            paras.append(Para().add(f"（{len(no_actual)}项指标缺少实际完成值（见上），{tail or '请补充。'}）", "missing"))
        if undecided:
            names = "、".join(_s(r.get("level3")) or "（未命名指标）" for r in undecided)
            paras.append(Para().add(f"（以下指标尚未判定是否达成：{names}。"
                                    f"{'请判定后再确认是否偏离绩效目标。' if confirm and not no_actual else ''}）", "missing"))

    if not budget_off and not off and not reason and not measures:
        if no_actual or undecided:
            open_notes(confirm=True)
        else:
            paras.append(Para().add("未偏离绩效目标。"))
        return paras
    if reason:
        paras.append(Para().add(reason))
    else:
        facts = []
        if budget_off:
            facts.append(f"全年预算数{wan(_f(p.get('budget')))}，全年执行数{wan(_f(p.get('spent')))}，{rate_phrase(rate)}")
        for r in off:
            facts.append(f"{_s(r.get('level3')) or '（未命名指标）'}未达成")
        para = Para()
        if facts:
            para.add("；".join(facts) + "，偏离绩效目标。")
        para.add("（未填写偏离原因）", "missing")
        paras.append(para)
    for r in off:
        note = _s(r.get("deviation_note"))
        if note:
            paras.append(Para().add(f"{_s(r.get('level3')) or '（未命名指标）'}：", "label").add(note))
    if measures:
        paras.append(Para().add("下一步改进措施：", "label").add(measures))
    else:
        paras.append(Para().add("下一步改进措施：", "label").add("（未填写改进措施）", "missing"))
    open_notes(confirm=False)
    return paras


def project_section(number: int, p: dict, rows: list[dict], funds: list[dict],
                    include_achievement: bool = False) -> ProjectSection:
    overview, goal = _s(p.get("overview")), _s(p.get("goal"))
    basic = [
        Para().add("1.项目概况。", "label").add(overview or "").add("" if overview else "（未填写项目概况）", "missing"),
        Para().add("2.项目绩效总目标。", "label").add(goal or "").add("" if goal else "（未填写项目绩效总目标）", "missing"),
    ]
    # The stored 实际完成情况 is the bureau's own section （二） (dates, recipients, uses): used as written when
    # there is one; the sentences built from the figures and indicators only when there is none.
    # include_achievement is kept for callers; the text is never written twice (it used to repeat （二）).
    analysis = achievement_paras(p, rows)
    if analysis is None:
        one, two = money_paras(p, funds)
        analysis = [one, two]
        if rows:
            analysis += indicator_class_paras(rows)
        else:
            analysis.append(Para().add("（未填写绩效指标）", "missing"))
        if include_achievement:
            analysis.append(Para().add("（未填写实际完成情况）", "missing"))
    return ProjectSection(number, str(p["name"]), basic, analysis, deviation_paras(p, rows))


@dataclass
class Overall:
    """The report's opening part for one year + department: totals, each project's score and grade, conclusion."""
    paras: list[Para]                          # totals (before the table)
    table: list[tuple[str, ...]]               # (项目名称, 自评得分, 等级), 估算 marked
    closing: list[Para] = field(default_factory=list)   # the overall conclusion and its red notes
    header: tuple[str, ...] = ("项目名称", "自评得分", "等级")
    departments: list[tuple[str, ...]] = field(default_factory=list)    # the aggregate report's table
    notes: list[Para] = field(default_factory=list)     # what the aggregate report covers (after the tables)


@dataclass
class ReportModel:
    title: str
    caption: str
    groups: list[tuple[str, list[ProjectSection]]]   # (group title, sections) per year + department
    overall: list[Overall] = field(default_factory=list)   # one per group, in the same order

    @property
    def text(self) -> str:
        """Everything the body says, in order (for tests and reading without Word)."""
        out = []
        for (title, sections), o in zip(self.groups, self.overall or [None] * len(self.groups)):
            out.append(title)
            if o is not None:
                out += [p.text for p in o.paras] + [p.text for p in o.notes] + ["\t".join(r) for r in o.departments]
                if o.notes:     # the aggregate report: the conclusion before the long list of projects
                    out += [p.text for p in o.closing] + ["\t".join(r) for r in o.table]
                else:
                    out += ["\t".join(r) for r in o.table] + [p.text for p in o.closing]
            for s in sections:
                out += [s.heading, s.text]
        return "\n".join(out)


def _deviates(p: dict, rows: list[dict]) -> bool | None:
    """True when the project deviates (money or an indicator), None when indicators are undecided."""
    rate = _f(p.get("execution_rate"))
    if (rate is not None and abs(rate - 1) > FULL) or any(r.get("status") == "unmet" for r in rows) \
            or _s(p.get("deviation_reason")):
        return True
    if any(r.get("status") in UNDECIDED + ("missing",) for r in rows):   # not known yet: said in red
        return None
    return False


def overall_part(year: int, g: pd.DataFrame, rows_of: dict, scores: pd.DataFrame, fictional: bool) -> Overall:
    from ..scoring import PENDING_GRADE
    budget, spent = float(g["budget"].sum()), float(g["spent"].sum())
    rate = spent / budget if budget > 0 else None
    paras = []
    if fictional:
        paras.append(Para().add(f"（{year}年度为示例（虚构）数据，不是真实数据，仅供演示。）", "missing"))
    paras.append(Para().add(f"{year}年度共实施项目{len(g)}个，全年预算数{wan(budget)}，全年执行数{wan(spent)}，"
                            f"{'执行率' + pct(rate) if rate is not None else '执行率无法计算'}。"))
    by_id = scores.set_index("id") if len(scores) else None
    table, estimated, grades = [], False, {}
    for p in g.to_dict("records"):
        s = by_id.loc[int(p["id"])] if by_id is not None and int(p["id"]) in by_id.index else None
        if s is None or pd.isna(s["total"]):
            table.append((tidy(str(p["name"])), "—", PENDING_GRADE))
            continue
        est = bool(s["estimated"])
        estimated |= est
        grade = s["grade"] if isinstance(s["grade"], str) and s["grade"] else PENDING_GRADE
        grades[grade] = grades.get(grade, 0) + 1
        mark = "（估算）" if est else ""
        table.append((tidy(str(p["name"])), f"{float(s['total']):.2f}{mark}", grade + (mark if grade != PENDING_GRADE else "")))
    dev = {str(p["name"]): _deviates(p, rows_of.get(int(p["id"]), [])) for p in g.to_dict("records")}
    off = [n for n, d in dev.items() if d]
    open_ = [n for n, d in dev.items() if d is None]
    ok = len(dev) - len(off) - len(open_)
    conclusion = f"总体来看，{ok}个项目未偏离绩效目标"
    if off:
        conclusion += f"，{len(off)}个项目偏离绩效目标（{'、'.join(off)}）"
    conclusion += "。"
    if grades:
        conclusion += "自评等级：" + "、".join(f"{k}{v}个" for k, v in grades.items()) + "。"
    closing = [Para().add(conclusion)]
    if open_:
        closing.append(Para().add(f"（{'、'.join(open_)}有指标尚未判定或缺少实际完成值，补充后再确认是否偏离绩效目标。）",
                                "missing"))
    if estimated:
        closing.append(Para().add("（标“估算”的得分按默认权重估算：原始数据未填写分值，请核实后确定。）", "missing"))
    return Overall(paras, table, closing)


def _check_limit(max_sections: int) -> int:
    if isinstance(max_sections, bool) or not isinstance(max_sections, int) or \
            not 0 <= max_sections <= MAX_SECTION_LIMIT:
        raise ValueError(f"逐项目章节上限须为 0 到 {MAX_SECTION_LIMIT} 之间的整数（0 表示只生成汇总章节），"
                         f"收到：{max_sections!r}。")
    return max_sections


def report_model(store: Store, filters: Filters = Filters(), include_achievement: bool = False,
                 now: datetime | None = None, user=None, max_sections: int = SECTION_LIMIT) -> ReportModel:
    """The report of the filtered projects (one year; within the departments `user` may export).

    Up to `max_sections` projects: the overall part and one section per project, as the reference writes it.
    Above: the aggregate chapters only (aggregate_model), which count every project and say how to get the
    sections. Indicator and fund rows are read BATCH projects at a time, never the whole filter at once."""
    from ..summary import with_default_year
    max_sections = _check_limit(max_sections)
    filters = auth.scoped(store, filters, user, "export")      # only the departments `user` may export
    filters = with_default_year(store, filters)                # one year at a time: never a fictional one mixed in
    now = now or datetime.now()
    # The body names no tool: where it came from goes into the document properties (report_docx).
    caption = f"根据已录入的数据生成（筛选：{filters.describe()}；生成时间：{now:%Y-%m-%d %H:%M}）"
    from .. import scope
    sizes = scope.run(store, "report_groups", filters)
    total = int(sizes["projects"].sum()) if len(sizes) else 0
    if total > max_sections:
        return aggregate_model(store, filters, sizes, max_sections, caption)
    pdf = projects(store, filters)
    from ..sample import fictional_years
    from ..scoring import project_scores
    invented = set(fictional_years(store))
    scores = project_scores(store, filters) if len(pdf) else pd.DataFrame()
    groups, overall = [], []
    for (year, dept), g in pdf.groupby(["year", "department"], sort=False):
        sections, rows_of, k = [], {}, 0
        for start in range(0, len(g), BATCH):
            batch = g.iloc[start:start + BATCH]
            ind = indicator_rows(store, filters, project_df=batch)
            funds = store.df("project_funds", tables={"project_ids": batch[["id"]]})
            # split by project once per batch (a to_dict per project cost 44 of 100 s for 3,451 projects)
            ind_of: dict[int, list[dict]] = {}
            for r in ind.sort_values(["project_id", "position"], kind="stable").to_dict("records"):
                ind_of.setdefault(int(r["project_id"]), []).append(r)
            funds_of: dict[int, list[dict]] = {}
            for r in funds.to_dict("records"):
                funds_of.setdefault(int(r["project_id"]), []).append(r)
            for p in batch.to_dict("records"):
                k += 1
                pid = int(p["id"])
                rows = ind_of.get(pid, [])
                rows_of[pid] = [{"status": r.get("status")} for r in rows]    # all overall_part reads
                sections.append(project_section(k, p, rows, funds_of.get(pid, []), include_achievement))
        fictional = int(year) in invented
        groups.append((f"{dept}{int(year)}年度项目支出绩效自评报告" + ("（示例（虚构）数据）" if fictional else ""),
                       sections))
        overall.append(overall_part(int(year), g, rows_of, scores, fictional))
    title = groups[0][0] if len(groups) == 1 else "项目支出绩效自评报告"
    return ReportModel(title, caption, groups, overall)


def _grade_counts(grades: pd.Series, order: list[str]) -> str:
    """"优8个、待判定4个": the configured grades best first, then 待判定 (overall_part's words)."""
    counts = grades.value_counts(sort=False)
    rank = {g: i for i, g in enumerate(order)}
    return "、".join(f"{g}{int(counts[g])}个" for g in sorted(counts.index, key=lambda g: (rank.get(g, len(rank)), g)))


def aggregate_model(store: Store, filters: Filters, sizes: pd.DataFrame, max_sections: int,
                    caption: str) -> ReportModel:
    """The report of a filter above `max_sections` projects: the overall figures from SQL
    (queries/scoped/report_groups.sql, the same figures the overall part of a per-project report states),
    a table per 主管部门, the grades from the vectorised scoring, every project listed in a compact table up
    to TABLE_LIMIT, and a plain statement of what is covered and how to get the per-project sections."""
    from .. import scope
    from ..sample import fictional_years
    from ..scoring import PENDING_GRADE, project_scores, scoring_settings
    order = [str(name) for _, name in sorted(scoring_settings(store)["grades"], key=lambda t: -float(t[0]))]
    year = int(sizes["year"].iloc[0])
    fictional = year in set(fictional_years(store))
    n, depts = int(sizes["projects"].sum()), len(sizes)
    budget, spent = float(sizes["budget"].sum()), float(sizes["spent"].sum())
    ok, off, open_ = (int(sizes[c].sum()) for c in ("ok", "deviating", "undecided"))
    rate = spent / budget if budget > 0 else None
    ids = scope.run(store, "report_projects", filters)
    scores = project_scores(store, filters)
    sc = ids.merge(scores[["id", "total", "grade", "estimated"]], on="id", how="left", sort=False)
    scored = sc[sc["total"].notna()]
    grade = scored["grade"].where(scored["grade"].map(lambda g: isinstance(g, str) and bool(g)), PENDING_GRADE)
    estimated = bool(scored["estimated"].fillna(False).astype(bool).any())

    paras = []
    if fictional:
        paras.append(Para().add(f"（{year}年度为示例（虚构）数据，不是真实数据，仅供演示。）", "missing"))
    paras.append(Para().add(f"{year}年度共实施项目{n}个，全年预算数{wan(budget)}，全年执行数{wan(spent)}，"
                            f"{'执行率' + pct(rate) if rate is not None else '执行率无法计算'}。"))
    departments = []
    if depts > 1:
        paras.append(Para().add(f"涉及{depts}个主管部门，各部门情况见下表（金额单位：万元）。"))
        by_dept = grade.groupby(scored["department"], sort=False)
        for r in sizes.to_dict("records"):
            d_rate = r["spent"] / r["budget"] if r["budget"] > 0 else None
            g = by_dept.get_group(r["department"]) if r["department"] in by_dept.groups else pd.Series(dtype=object)
            departments.append((tidy(str(r["department"])), str(int(r["projects"])), f"{r['budget']:,.2f}",
                                f"{r['spent']:,.2f}", pct(d_rate) if d_rate is not None else "—",
                                str(int(r["deviating"])), str(int(r["undecided"])),
                                _grade_counts(g, order) if len(g) else "—"))
    table, header = [], ("项目名称", "自评得分", "等级")
    if n <= TABLE_LIMIT:
        if depts > 1:
            header = ("主管部门",) + header
        for r in sc.to_dict("records"):
            if pd.isna(r["total"]):
                cells = (tidy(str(r["name"])), "—", PENDING_GRADE)
            else:
                mark = "（估算）" if bool(r["estimated"]) else ""
                g = r["grade"] if isinstance(r["grade"], str) and r["grade"] else PENDING_GRADE
                cells = (tidy(str(r["name"])), f"{float(r['total']):.2f}{mark}",
                         g + (mark if g != PENDING_GRADE else ""))
            table.append(((tidy(str(r["department"])),) if depts > 1 else ()) + cells)
    conclusion = f"总体来看，{ok}个项目未偏离绩效目标"
    if off:
        conclusion += f"，{off}个项目偏离绩效目标"
    conclusion += "。"
    if len(grade):
        conclusion += "自评等级：" + _grade_counts(grade, order) + "。"
    closing = [Para().add(conclusion)]
    if open_:
        closing.append(Para().add(f"（{open_}个项目有指标尚未判定或缺少实际完成值，补充后再确认是否偏离绩效目标。）",
                                  "missing"))
    if estimated:
        closing.append(Para().add("（标“估算”的得分按默认权重估算：原始数据未填写分值，请核实后确定。）", "missing"))
    why = "本次按要求只生成汇总章节" if max_sections == 0 else \
        f"逐项目章节只在筛选结果不超过{max_sections}个项目时生成，本次共{n}个项目，未生成"
    listed = "“各项目自评得分”表逐一列出每个项目的自评得分和等级" if table else \
        f"项目超过{TABLE_LIMIT}个，未逐一列出（各项目的执行率、得分和等级可用“导出表格”取得，命令行：export）"
    notes = [Para().add("说明：", "label").add(
        f"本报告按汇总口径涵盖筛选出的全部{n}个项目，每个项目都计入以上数字；{listed}。{why}。"
        f"需要逐项目章节（项目基本情况、绩效目标完成情况分析、偏离原因和改进措施）时，请按主管部门或其他条件缩小筛选"
        f"（页面左侧筛选；命令行 --department、--search），使项目数不超过逐项目章节上限（默认{SECTION_LIMIT}个，"
        f"最多{MAX_SECTION_LIMIT}个；命令行 --max-sections）后再生成。")]
    o = Overall(paras, table, closing, header=header, departments=departments, notes=notes)
    dept = str(sizes["department"].iloc[0])
    title = (f"{dept}{year}年度项目支出绩效自评报告" if depts == 1 else
             f"{year}年度项目支出绩效自评报告（{depts}个主管部门汇总）") + ("（示例（虚构）数据）" if fictional else "")
    return ReportModel(title, caption, [(title, [])], [o])


# ---------------------------------------------------------------- .docx
def _document():
    from docx import Document
    from docx.enum.text import WD_LINE_SPACING
    from docx.shared import Cm, Pt

    from .docxutil import add_page_number_footer, style_text

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    add_page_number_footer(sec)
    normal = style_text(doc, "Normal", "仿宋", 16)
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28)
    pf.first_line_indent = Pt(32)
    pf.space_before = pf.space_after = Pt(0)
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体")):
        st = style_text(doc, name, font, 16, bold=False)
        st.paragraph_format.first_line_indent = Pt(32)
        st.paragraph_format.space_before = st.paragraph_format.space_after = Pt(0)
        st.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        st.paragraph_format.line_spacing = Pt(28)
    title = style_text(doc, "Title", "方正小标宋简体", 22)
    title.paragraph_format.alignment = 1
    title.paragraph_format.space_after = Pt(12)
    _no_border(title)
    return doc


def _no_border(style) -> None:
    from docx.oxml.ns import qn
    ppr = style.element.pPr
    if ppr is not None:
        for b in ppr.findall(qn("w:pBdr")):
            ppr.remove(b)


DEPARTMENT_HEADER = ("主管部门", "项目数", "全年预算数", "全年执行数", "执行率", "偏离绩效目标", "待确认", "自评等级")


def _write_table(doc, header: tuple[str, ...], rows: list[tuple[str, ...]], widths_cm: tuple[float, ...]) -> None:
    """A grid table in 12 pt; the widths (cm, adding up to the 15.6 cm text width) on the grid and each cell."""
    from docx.shared import Cm, Pt
    from docx.table import _Cell
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    # cells from each row's own <w:tc> elements: python-docx's row.cells builds every cell of the table for
    # each row (quadratic: 17 s for a table of 3,451 projects)
    cells_of = lambda tr: [_Cell(tc, table) for tc in tr.tc_lst]     # noqa: E731
    for cell, text in zip(cells_of(table.rows[0]._tr), header):
        cell.text = text
    for row in rows:
        for cell, text in zip(cells_of(table.add_row()._tr), row):
            cell.text = text
    table.autofit = False                     # the project name gets the room: one line per project where it fits
    widths = tuple(Cm(w) for w in widths_cm)
    for col, width in zip(table.columns, widths):   # the grid (LibreOffice/WPS read it) and each cell (Word)
        col.width = width
    for tr in table._tbl.tr_lst:
        for cell, width in zip(cells_of(tr), widths):
            cell.width = width
            for para in cell.paragraphs:
                para.paragraph_format.first_line_indent = Pt(0)
                para.paragraph_format.line_spacing = Pt(20)
                for run in para.runs:
                    run.font.size = Pt(12)


def _write_overall(doc, o: Overall, numbered: bool) -> None:
    """总体情况: totals, the table of scores and grades, the conclusion; then the projects follow.
    The aggregate report (o.notes): totals, what it covers, the 主管部门 table, the conclusion, then every
    project's score and grade."""
    doc.add_heading("总体情况", level=1)
    for para in o.paras + o.notes:
        _write_para(doc, para)
    if o.departments:
        _write_table(doc, DEPARTMENT_HEADER, o.departments, (3.4, 1.4, 2.0, 2.0, 1.6, 1.4, 1.3, 2.5))
    if o.notes:
        for para in o.closing:
            _write_para(doc, para)
    if o.table or not o.notes:
        if o.notes:
            doc.add_heading("各项目自评得分", level=2)
        widths = (8.4, 3.9, 3.3) if len(o.header) == 3 else (3.6, 6.4, 3.0, 2.6)   # 15.6 cm: the text width
        _write_table(doc, o.header, o.table, widths)
    if not o.notes:
        for para in o.closing:
            _write_para(doc, para)


class _Appender:
    """doc.add_paragraph / add_heading without python-docx's costs that grow with the document: it finds the
    body's closing <w:sectPr> by scanning every paragraph so far, and looks each style up by name among all
    styles (together 20 s of a 3,451-section report). Same XML: a <w:p> before sectPr, the style by id."""

    def __init__(self, doc):
        self.doc, self.ids = doc, {}
        self.sect = doc.element.body.sectPr

    def paragraph(self, text: str = "", style: str | None = None):
        from docx.enum.style import WD_STYLE_TYPE
        from docx.oxml import OxmlElement
        from docx.text.paragraph import Paragraph
        if self.sect is None:                         # no section properties: python-docx's own way
            return self.doc.add_paragraph(text, style)
        p = OxmlElement("w:p")
        self.sect.addprevious(p)
        para = Paragraph(p, self.doc._body)
        if text:
            para.add_run(text)
        if style is not None:
            if style not in self.ids:
                self.ids[style] = self.doc.part.get_style_id(style, WD_STYLE_TYPE.PARAGRAPH)
            p.style = self.ids[style]
        return para

    def heading(self, text: str, level: int):
        return self.paragraph(text, "Title" if level == 0 else f"Heading {level}")


def _appender(doc) -> _Appender:
    app = getattr(doc, "_pb_appender", None)
    if app is None or app.doc is not doc:
        app = _Appender(doc)
        doc._pb_appender = app
    return app


def _write_para(doc, para: Para) -> None:
    from .docxutil import MISSING_COLOUR
    p = _appender(doc).paragraph()
    for text, kind in para.runs:
        run = p.add_run(text)
        if kind == "missing":
            run.font.color.rgb = MISSING_COLOUR


def report_docx(store: Store, filters: Filters = Filters(), include_achievement: bool = False,
                now: datetime | None = None, user=None, include_review: bool = False,
                max_sections: int = SECTION_LIMIT) -> bytes:
    """The self-evaluation report of the projects under the filters (within the departments `user` may
    export); raises ValueError if there are none. Per-project sections up to `max_sections` projects, the
    aggregate chapters above (report_model). include_review appends the 自评复核 findings
    (export.review_section), for a report with per-project sections only: the review of a whole province is
    the 自评复核 page's and the `review` command's."""
    model = clean_deep(report_model(store, filters, include_achievement, now, user, max_sections))   # lxml refuses control characters
    if not model.groups:
        raise ValueError("当前筛选条件下没有项目，无法生成自评报告。")
    from docx.shared import Pt
    doc = _document()
    for gi, (group_title, sections) in enumerate(model.groups):
        if gi:
            doc.add_page_break()
        doc.add_paragraph(group_title, style="Title")
        if model.overall:
            _write_overall(doc, model.overall[gi], len(model.groups) > 1)
        add = _appender(doc)
        for s in sections:
            add.heading(s.heading, level=1)
            add.heading("（一）项目基本情况", level=2)
            for para in s.basic:
                _write_para(doc, para)
            add.heading("（二）绩效目标完成情况分析", level=2)
            for para in s.analysis:
                _write_para(doc, para)
            add.heading("（三）偏离绩效目标的原因和下一步改进措施", level=2)
            for para in s.deviation:
                _write_para(doc, para)
    if include_review and model.overall and model.overall[0].notes:
        doc.add_page_break()
        doc.add_heading("附：自评复核发现", level=1)
        _write_para(doc, Para().add("本报告为汇总口径，未附逐条复核发现：请在“自评复核”页面或用命令行 review 查看、导出。"))
    elif include_review:
        from .review_section import write_review_section
        write_review_section(doc, store, filters, user)
    doc.core_properties.title = model.title
    doc.core_properties.author = "PerfBoard"
    doc.core_properties.comments = ("PerfBoard " + model.caption + "。红色括号内为原始数据缺失或需核实之处，"
                                    "请补充、核实后删除再报送。")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
