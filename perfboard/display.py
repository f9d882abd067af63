"""Display text shared by the pages and the domain's ready-made headlines (no streamlit here)."""
from __future__ import annotations

WIDE = 13     # characters a big-figure value can show before a metric tile truncates it


def met_text(met, total) -> str:
    """指标达成 as a big figure: "52 / 56" for a bureau; a province's "1,859,173 / 2,300,011" does not fit a
    tile, so it becomes the share "80.8%" (the counts go in the tile's help)."""
    if total is None or not total:
        return "—"
    text = f"{int(met):,} / {int(total):,}"
    return text if len(text) <= WIDE else f"{met / total * 100:.1f}%"
