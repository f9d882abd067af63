"""The execution-rate traffic-light bands (绿/黄/红), stored in the database's settings table."""
from __future__ import annotations

import math

from .auth import change_setting
from .db import Store
from .filters import DEFAULT_BANDS
from .versions import notes_blind

SETTING = "rate_bands"


def pct_text(v: float) -> str:
    """95% or 92.5%: band floors without trailing zeros."""
    return f"{round(v * 100, 4):g}%"


def validate_bands(green, yellow) -> list[str]:
    """Problems with a pair of band floors (fractions), in Chinese; empty when they are usable."""
    errors = []
    for name, v in (("绿灯下限", green), ("黄灯下限", yellow)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            errors.append(f"{name}必须是数字。")
        elif not 0 < v <= 1:
            errors.append(f"{name}必须大于 0% 且不超过 100%（当前 {pct_text(v)}）。")
    if not errors and not green > yellow:
        errors.append(f"绿灯下限（{pct_text(green)}）必须高于黄灯下限（{pct_text(yellow)}）。")
    return errors


@notes_blind
def get_bands(store: Store) -> dict:
    return store.get_setting(SETTING, DEFAULT_BANDS)


def save_bands(store: Store, green: float, yellow: float, user=None) -> list[str]:
    """Validate and store the bands in one transaction, as `user` (administrators only; None = the local
    administrator in single-user mode; the change is recorded in settings_log). Returns the problems
    (nothing saved then); auth.PermissionDenied for anyone else."""
    errors = validate_bands(green, yellow)
    if not errors:
        change_setting(store, SETTING, {"green": float(green), "yellow": float(yellow)}, user)
    return errors


def reset_bands(store: Store, user=None) -> None:
    change_setting(store, SETTING, dict(DEFAULT_BANDS), user)


def describe_bands(b: dict) -> str:
    g, y = pct_text(b["green"]), pct_text(b["yellow"])
    return f"绿：{g} ≤ 执行率 ≤ 100%；黄：{y} ≤ 执行率 < {g}；红：执行率 < {y}；超预算：执行率 > 100%（单独标出）"
