"""Display formatting: 万元 with two decimals and separators, rates as percentages."""
from __future__ import annotations

import math


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def wan(x) -> str:
    return "—" if _missing(x) else f"{x:,.2f}"


def wan_unit(x) -> str:
    return "—" if _missing(x) else f"{x:,.2f} 万元"


def pct(x, digits: int = 2) -> str:
    return "—" if _missing(x) else f"{x * 100:.{digits}f}%"


def count(n, unit: str = "个") -> str:
    return "—" if _missing(n) else f"{int(n):,} {unit}"


def _signed(x: float, body: str) -> str:
    return ("+" if x > 0 else "-" if x < 0 else "") + body


def delta_count(d, unit: str = "个") -> str | None:
    """st.metric delta for a count: '+2 个', '-1 个', '0' (the literal Streamlit draws as no change)."""
    if _missing(d):
        return None
    return "0" if d == 0 else _signed(d, f"{abs(int(d)):,} {unit}".rstrip())


def delta_wan(d, rel=None) -> str | None:
    """'+12.30（+2.0%）' for a change in 万元 (the unit is in the metric's label) and its relative change."""
    if _missing(d):
        return None
    if abs(d) < 0.005:
        return "0"
    text = _signed(d, f"{abs(d):,.2f}")
    if not _missing(rel):
        text += f"（{_signed(rel, f'{abs(rel) * 100:.1f}%')}）"
    return text


def delta_pp(pp) -> str | None:
    """A change of a rate in percentage points: '+1.23 个百分点'."""
    if _missing(pp):
        return None
    return "0" if abs(pp) < 0.005 else _signed(pp, f"{abs(pp):.2f} 个百分点")
