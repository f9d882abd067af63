"""Page CSS: a compact frame so the overview fits a 1366×768 laptop, and the presentation mode."""
from __future__ import annotations

import streamlit as st

_BASE = """
<style>
[data-testid="stMainBlockContainer"] { padding: 3.6rem 2.5rem 2rem 2.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.7rem; padding: 0.2rem 0 0.1rem 0; }
[data-testid="stMainBlockContainer"] h2 { font-size: 1.35rem; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.15rem; }
[data-testid="stMetricValue"] { font-size: 1.7rem; }
[data-testid="stMetric"] { padding: 0; }
</style>
"""

_PRESENT = """
<style>
html { font-size: 19px; }
[data-testid="stMainBlockContainer"] { max-width: none; padding-left: 1.5rem; padding-right: 1.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2.2rem; }
[data-testid="stMetricValue"] { font-size: 2.3rem; }
/* big type must wrap, not end in "…": the sidebar may still be open on a laptop */
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div { white-space: normal; overflow: visible; }
[data-testid="stMetricDelta"] div { white-space: normal; overflow: visible; }
</style>
"""


def apply(presentation: bool) -> None:
    st.html(_BASE + (_PRESENT if presentation else ""))
