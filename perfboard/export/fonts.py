"""Finding a CJK font for the PDF brief (reportlab embeds it) and the chart PNGs (vl-convert draws with it).

Without one, Chinese comes out as empty boxes, so a missing font is an error with instructions, never a
silently broken file. Order: $PERFBOARD_CJK_FONT, well-known paths (Debian's fonts-wqy-microhei first),
then fontconfig (`fc-match :lang=zh`). Only TrueType-outline fonts (.ttf/.ttc) qualify: reportlab cannot
embed the CFF outlines of .otf files such as Noto Sans CJK.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ENV = "PERFBOARD_CJK_FONT"
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",        # Debian/Ubuntu: fonts-wqy-microhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",         # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",          # fonts-wqy-zenhei
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "C:/Windows/Fonts/msyh.ttc", "C:/Windows/Fonts/simhei.ttf", "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc", "/Library/Fonts/Arial Unicode.ttf",
)
INSTALL_HINT = ("未找到可用的中文字体，无法生成含中文的 PDF 或图片。请安装文泉驿微米黑字体"
                "（Debian/Ubuntu：sudo apt-get install fonts-wqy-microhei），"
                f"或设置环境变量 {ENV} 指向一个 .ttf/.ttc 中文字体文件。")


class FontMissing(RuntimeError):
    """No usable CJK font; the message says how to install one."""


@dataclass(frozen=True)
class CJKFont:
    path: Path
    family: str            # e.g. "WenQuanYi Micro Hei", what vl-convert and CSS call it
    subfont: int = 0       # index inside a .ttc collection
    rl_name: str = "PerfBoardCJK"   # the name registered with reportlab


def _fc_match() -> list[str]:
    if not shutil.which("fc-match"):
        return []
    try:
        out = subprocess.run(["fc-match", "-s", "-f", "%{file}\n", ":lang=zh"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in out.splitlines()[:20] if line.lower().endswith((".ttf", ".ttc"))]


def _load(path: str) -> CJKFont | None:
    """The font at `path` if reportlab can embed it and it has Chinese glyphs."""
    from reportlab.pdfbase.ttfonts import TTFError, TTFont
    p = Path(path)
    if not p.is_file():
        return None
    try:
        font = TTFont(CJKFont.rl_name, str(p), subfontIndex=0)
    except (TTFError, OSError, ValueError, KeyError, IndexError):
        return None
    if 0x4E2D not in font.face.charToGlyph:          # 中
        return None
    family = font.face.familyName
    family = family.decode("utf-8", "replace") if isinstance(family, bytes) else str(family)
    return CJKFont(path=p, family=family, subfont=0)


@lru_cache(maxsize=1)
def find_cjk_font() -> CJKFont:
    """The first usable CJK font; raises FontMissing (with install instructions) when there is none."""
    env = os.environ.get(ENV)
    if env:
        found = _load(env)
        if found is None:
            raise FontMissing(f"环境变量 {ENV} 指向的字体不可用：{env}（需要含中文字形的 .ttf/.ttc 文件）。")
        return found
    for path in list(CANDIDATES) + _fc_match():
        found = _load(path)
        if found is not None:
            return found
    raise FontMissing(INSTALL_HINT)


@lru_cache(maxsize=1)
def reportlab_font() -> str:
    """Register the CJK font with reportlab (once) and return the name to draw with."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    font = find_cjk_font()
    pdfmetrics.registerFont(TTFont(font.rl_name, str(font.path), subfontIndex=font.subfont))
    return font.rl_name


_registered_dirs: set[str] = set()


def vl_convert_font() -> str:
    """Make the CJK font's folder known to vl-convert (once) and return its family name for chart specs."""
    import vl_convert as vlc
    font = find_cjk_font()
    folder = str(font.path.parent.resolve())
    if folder not in _registered_dirs:
        vlc.register_font_directory(folder)
        _registered_dirs.add(folder)
    return font.family
