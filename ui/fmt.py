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
