"""Rules about indicator rows shared by both importers (the flat 绩效指标 sheet and the self-evaluation forms)."""
from __future__ import annotations

import re

from . import cells

_DASHES = set("-—–―─/\\")
# A template row never filled in: "指标1：", "……", "..."
_PLACEHOLDER = re.compile(r"^指标\d+[:：]?$|^…+$|^\.{3,}$")
# The template's numbering in front of a written 三级指标: "指标1：全县参合人数" names 全县参合人数.
_NUMBERING = re.compile(r"^\s*指标\s*\d+\s*[:：]\s*(?=\S)")


def dash(v) -> bool:
    """'—', '/', '-' and the like: a cell crossed out rather than filled."""
    if not isinstance(v, str):
        return False
    k = cells.norm(v)
    return bool(k) and all(ch in _DASHES for ch in k)


def placeholder(v) -> bool:
    return isinstance(v, str) and bool(_PLACEHOLDER.match(cells.norm(v)))


def strip_numbering(name: str | None) -> str | None:
    """'指标1：全县参合人数' -> '全县参合人数' (a bare '指标1：' is a placeholder, see `placeholder`)."""
    return _NUMBERING.sub("", name) if name else name


def empty(v) -> bool:
    """Nothing written: blank, a dash, or a template placeholder."""
    return cells.is_blank(v) or dash(v) or placeholder(v)


def _zero(v) -> bool:
    value, code = cells.number(v)
    return code is None and value == 0


def is_unused_category(level1, level2, level3, target, actual, weight, score) -> bool:
    """A row that names only a 一级/二级 category (e.g. 效益指标 / 生态效益指标) and nothing else: no 三级,
    no target, no actual, no weight, a score empty or 0. Both importers skip it with an info line: it is
    neither an error nor an indicator, and nothing about it counts as missing."""
    if empty(level1) and empty(level2):
        return False
    if not all(empty(v) for v in (level3, target, actual, weight)):
        return False
    return empty(score) or _zero(score)


def category_text(level1, level2) -> str:
    """'效益指标 / 生态效益指标' for the info line."""
    parts = [cells.text(v) for v in (level1, level2) if not empty(v)]
    return " / ".join(p for p in parts if p)
