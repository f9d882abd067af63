"""Which data version a cached read may be keyed on (issue 19).

Every write moves the data version (Store.data_version); a write that only changes explanatory text (the note
columns of db.NOTE_COLUMNS) and the change log (db.LOG_TABLES) leaves the figures version (Store.figures_version,
migration 021). A domain function whose result cannot depend on those columns and tables is marked
@notes_blind; ui.state.load then keys its cache on the figures version, so a save of a 偏差原因 does not make
every session's 总览/预算执行/同比分析/执行监控/设置 compute again. Unmarked functions keep the data version.

Mark a function only after reading every query it runs (and every function it calls): it must read none of the
note columns and none of the log tables, directly or through what it calls (scoring.project_scores does, through
its "unmet-no-note" finding; the overview's 数据检查 counts and 需关注 texts do; 自评复核's findings do).
tests/test_figures_version.py computes every marked function before and after notes-only saves and fails on
any difference."""
from __future__ import annotations

from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

# "module.qualname" of every marked function (the test enumerates them)
NOTES_BLIND: set[str] = set()


def name_of(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def notes_blind(fn: F) -> F:
    """Declare that `fn(store, ...)`'s result reads no note column and no change-log table (see above)."""
    NOTES_BLIND.add(name_of(fn))
    fn.__notes_blind__ = True
    return fn


def is_notes_blind(fn: Callable) -> bool:
    return bool(getattr(fn, "__notes_blind__", False))


def version_of(store, fn: Callable) -> int:
    """The version a cache of `fn`'s results is keyed on: the figures version for a notes_blind function, the
    data version for every other."""
    return store.figures_version() if is_notes_blind(fn) else store.data_version()
