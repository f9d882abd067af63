"""Text that Streamlit's Markdown would turn into links, images, icons, emoji, formulas, directives or
HTML if it were not escaped (issue 20, "data is text"), and helpers to check a page shows it literally.

`visible(source)` reads a Markdown source the way a person sees the rendered text (backslash escapes
resolved, the invisible word joiners and bidi isolates gone); `live_markup(source)` lists the syntax in a
source that would still be interpreted (unescaped link/image brackets, `$`, `<`, directives and icons
other than the app's own, and autolink/emoji/icon patterns that survive escaping)."""
from __future__ import annotations

import re

EVIL = "evil.example"
LONG_LEN = 100_000

MARKUP = {
    "link": "链接[x](http://evil.example/a)",
    "image": "图片![x](http://evil.example/i.png)",
    "bare-url": "网址 http://evil.example 与 https://evil.example/p?q=1",
    "www": "万维 www.evil.example",
    "email": "邮件 a@evil.example",
    "icon": "图标 :material/home: 与 :material_home: 与 :streamlit:",
    "directive": "颜色 :red[红] :blue-badge[蓝] :help[帮助] :color[c]{foreground=\"red\"}",
    "emoji": "表情 :smile: :+1:",
    "latex": "公式 $x^2$ 与 $$\\int_0^1 x\\,dx$$",
    "html": "<img src=x onerror=alert(1)> <script>alert(1)</script> &amp; &#60;",
    "format": "**粗** _斜_ ~~删~~ `代码` # 标题",
    "arrows": "箭头 a -> b <= c -- d",
    "rtl": "倒序\u202e文字\u202c之后",
    "zero-width": "零\u200b宽\u200d字",
}
# 100,000 characters of the same syntax, for a reason text: must neither break the page nor time out.
LONG = ("长文[x](http://evil.example/l) ![i](http://evil.example/l.png) $y$ :red[r] "
        * (LONG_LEN // 40 + 1))[:LONG_LEN]

_WJ_ISOLATES = dict.fromkeys(map(ord, "\u2060\u2068\u2069"))
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
APP_DIRECTIVES = re.compile(r":(?:red|orange|green|blue|violet|gray|grey|rainbow|primary)(?:-badge)?\[|:material/\w+:")


def visible(source: str) -> str:
    """What a person reads of a Markdown source made by perfboard.display.md_text."""
    text = _ESCAPE.sub(r"\1", source.replace("  \n", "\n"))
    return text.translate(_WJ_ISOLATES)


def _mask(source: str) -> str:
    """The source with every backslash-escaped character replaced by a space (only live syntax left)."""
    return _ESCAPE.sub("  ", source)


_LIVE = {
    "link or image": re.compile(r"\]\("),
    "image": re.compile(r"!\["),
    "formula": re.compile(r"\$"),
    "html": re.compile(r"<[A-Za-z/!]"),
}
# Transforms Streamlit applies to the text after escapes are resolved.
_AFTER = {
    "autolink": re.compile(r"https?://|www\.|[-.\w+]+@[-\w]+\.", re.I),
    "emoji or icon": re.compile(r":[\w+-][\w_+-]*:"),
}


def live_markup(source: str) -> list[str]:
    """Names of the syntax in `source` that Streamlit would still interpret from data."""
    masked = APP_DIRECTIVES.sub(" ", _mask(source))
    found = [name for name, rx in _LIVE.items() if rx.search(masked)]
    found += [f"directive {m.group(0)}" for m in re.finditer(r":[a-z][\w-]*[\[{]", masked)]
    resolved = _ESCAPE.sub(r"\1", source)                      # the text the after-transforms see
    resolved = re.sub(r":material/\w+:", " ", resolved) if APP_DIRECTIVES.search(source) else resolved
    found += [name for name, rx in _AFTER.items() if rx.search(resolved)]
    return found


# ---------------------------------------------------------------- a workbook of it
DEPARTMENT = "部门[d](http://evil.example/d) :red[红]"
FUNDING = "资金![f](http://evil.example/f.png) $z$"
FILE_NAME = "文件[f](http://evil.example/f)![i](http://evil.example/i.png):material/home:.xlsx"
LONG_NAME = "超长名称" + LONG[: LONG_LEN - 4]


def project_names() -> dict[str, str]:
    """case -> project name (each corpus text is also the project's reason, measure and an indicator name)."""
    names = {case: f"项目{i:02d} {text}" for i, (case, text) in enumerate(MARKUP.items())}
    names["long"] = LONG_NAME
    return names


def workbook(year: int = 2024) -> bytes:
    """A flat import workbook: every project deviates (half spent, an indicator missed), so the corpus
    reaches the tables, the 需关注 list, the findings and the pickers."""
    import io

    from openpyxl import Workbook
    return _workbook(year, io, Workbook)


def _headers():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "data" / "sample" / "build_sample.py"
    spec = importlib.util.spec_from_file_location("_build_sample_markup", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.PROJECT_HEADERS, mod.INDICATOR_HEADERS


def _workbook(year, io, Workbook) -> bytes:
    project_headers, indicator_headers = _headers()
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(project_headers)
    texts = dict(MARKUP, long=LONG)
    for i, (case, name) in enumerate(project_names().items()):
        text = texts[case]
        row = {"年度": year, "主管部门": DEPARTMENT, "实施单位": text[:200], "项目编码": f"HX-{i:03d}", "项目名称": name,
               "资金来源": FUNDING, "年初预算数（万元）": 100, "全年预算数（万元）": 100, "全年执行数（万元）": 50,
               "执行率": 0.5, "项目概况": text, "年度总体目标": text, "实际完成情况": text, "偏离原因": text,
               "改进措施": text}
        ws.append([row[h] for h in project_headers])
    ws = wb.create_sheet("绩效指标")
    ws.append(indicator_headers)
    for case, name in project_names().items():
        level3 = texts[case][:200]
        ws.append([year, name, "产出指标", "数量指标", level3, "≥100人次", "50人次", 10, 5, "未达成", texts[case]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
