"""Display text shared by the pages and the domain's ready-made headlines (no streamlit here)."""
from __future__ import annotations

import re

WIDE = 13     # characters a big-figure value can show before a metric tile truncates it


def met_text(met, total) -> str:
    """指标达成 as a big figure: "52 / 56" for a bureau; a province's "1,859,173 / 2,300,011" does not fit a
    tile, so it becomes the share "80.8%" (the counts go in the tile's help)."""
    if total is None or not total:
        return "—"
    text = f"{int(met):,} / {int(total):,}"
    return text if len(text) <= WIDE else f"{met / total * 100:.1f}%"


# ---------------------------------------------------------------- data shown as text (issue 20)
# Streamlit renders st.markdown, captions, alerts, widget labels and help, metric labels and values, tab and
# expander labels, radio options and every cell of st.table as Markdown (react-markdown + remark-gfm, math,
# directives, emoji). Data from files must come out as the literal characters it holds. Backslash escapes
# (CommonMark allows one before any ASCII punctuation) stop links, images, emphasis, HTML, headings, lists,
# tables, `$` formulas and `:name[...]` directives. Some transforms run on the text *after* escapes are
# resolved, so escaping cannot stop them; an invisible WORD JOINER inside the trigger does:
#   remark-gfm autolinks (`http://`, `https://`, `www.`, `a@b.cd`), remark-emoji (`:smile:`), Streamlit's
#   `:material_x:` / `:streamlit:` icons and its typographic arrows (` -> `, ` <= `, ` -- `).
BREAK = "\u2060"                          # WORD JOINER: invisible, not a space, not \w
TEXT_LIMIT = 2_000                        # characters of one text shown on a page (the export has all of it)
NAME_LIMIT = 200                          # characters of a name in a line, a label or a picker option
_PUNCT = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_TRIGGERS = re.compile(r"(?<=:)|(?=@)|(?i:(?<=www)(?=\.))|(?<=[-<>~])(?=[-<>=])")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_LINES = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")


def clip(text, limit: int | None = NAME_LIMIT) -> str:
    """`text` as a str, cut to `limit` characters with the full length said (a 100,000-character cell must
    not fill a page); None shows as an empty string."""
    s = "" if text is None else str(text)
    if limit is not None and len(s) > limit:
        return s[:limit] + f"…（共 {len(s):,} 字）"
    return s


def _isolate(line: str) -> str:
    """A line holding bidi controls (an RTL override) wrapped in FIRST STRONG ISOLATE … POP DIRECTIONAL
    ISOLATE, so it cannot reorder the text around it; the data's own PDIs go (they would close ours)."""
    if not _BIDI.search(line):
        return line
    return "\u2068" + line.replace("\u2069", "") + "\u2069"


def plain(text, limit: int | None = NAME_LIMIT) -> str:
    """Data for a place that shows plain text (select box and multiselect options, st.text): clipped,
    one line, bidi controls isolated."""
    return _isolate(" ".join(_LINES.split(clip(text, limit))))


# A text with none of these (ASCII punctuation, line breaks, bidi controls) and no leading space or tab is
# its own Markdown source: no escape, trigger, line break or isolate applies to it (most names and texts).
_PLAIN_UNSAFE = re.compile("[!-/:-@\\[-`{-~\r\n\u2028\u2029\x0b\x0c\x85\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def md_text(text, limit: int | None = TEXT_LIMIT) -> str:
    """Data as Markdown source that renders as exactly its characters (plus invisible word joiners):
    nothing in it becomes a link, image, icon, emoji, formula, directive, HTML or formatting. Line
    breaks stay line breaks (never paragraphs, headings or code blocks); longer than `limit` is clipped."""
    if (type(text) is str and (limit is None or len(text) <= limit) and text[:1] not in (" ", "\t")
            and not _PLAIN_UNSAFE.search(text)):
        return text                     # what the steps below return for it, one scan instead of four
    lines = []
    for line in _LINES.split(clip(text, limit)):
        line = line.lstrip(" \t")           # leading spaces would make an indented code block
        if line:
            lines.append(_isolate(_PUNCT.sub(r"\\\1", _TRIGGERS.sub(BREAK, line))))
    return "  \n".join(lines)
