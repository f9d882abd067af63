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
