"""The one place that knows Streamlit: the store per process, cached reads, the shared filters."""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager

import streamlit as st

from perfboard.db import Store, StoreError, resolve_target
from perfboard.display import md_text
from perfboard.filters import Filters
from perfboard.versions import name_of, version_of

# Session-state keys used by more than one page live here, not invented ad hoc.
K_YEAR, K_DEPTS, K_FUNDS, K_LIGHTS, K_SEARCH = "f_year", "f_departments", "f_funding", "f_lights", "f_search"
K_PRESENT = "presentation"
K_FLASH = "flash"


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    store = Store(path)
    from perfboard.sample import ensure_sample
    ensure_sample(store)
    warm_up(store)
    from perfboard.snapshots import serve
    serve(store)        # command-line reads beside the app get a consistent copy (issue 16)
    return store


def warm_up(store: Store) -> None:
    """Match the newest two years in the background (同比分析's slow first step at a province's scale),
    after opening the database and after an import; then 自评复核's findings of every year, then 同比分析's
    older year pairs (_warm_review). PERFBOARD_WARM=0 turns it off (benchmarks)."""
    if os.environ.get("PERFBOARD_WARM", "1") == "0":
        return
    import threading

    from perfboard.compare import warm

    def run():
        try:                       # Linux niceness is per thread: page runs keep the CPU first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        warm(store, older=False)
    # Not a daemon (said explicitly: a thread inherits the flag, and script threads are daemons): a process
    # exiting while a daemon thread is inside DuckDB aborts ("FATAL: exception not rethrown"); exit waits
    # for the warm-up instead (seconds at most).
    threading.Thread(target=run, name="perfboard-warm-compare", daemon=False).start()
    _warm_review(store)


def _warm_review(store: Store) -> None:
    """自评复核: the findings of every year whose stored findings are missing or stale, newest first, one year
    at a time (perfboard.review.warm), in the background, niced like the matching; the page then reads only
    the counts and rows it shows, in SQL, whatever year it is moved to. Then 同比分析's older year pairs
    (perfboard.compare.warm, only stored: a visit is most likely of the newest year on either page, so both
    pages' newest come first), one at a time, so 同比分析 too only reads whatever year it is moved to."""
    import threading

    from perfboard.compare import warm as warm_pairs
    from perfboard.review import warm

    def run():
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        for t in threading.enumerate():        # after the matching, not beside it: two cores, one memory
            if t.name.startswith("perfboard-warm-compare"):
                t.join()
        warm(store)
        warm_pairs(store, load=False)       # the newest pair's result is current: only the older ones computed
    threading.Thread(target=run, name="perfboard-warm-review", daemon=False).start()


def store() -> Store:
    """The process-wide store; a clear page message (not a traceback) when it cannot be opened."""
    path = str(resolve_target(os.environ.get("PERFBOARD_DB")))      # a file, or a postgresql:// URL
    try:
        return _open_store(path=path)          # by keyword: see load()
    except StoreError as exc:
        st.error(str(exc))
        st.stop()


@contextmanager
def page_run():
    """Wrap one script run (app.py): on PostgreSQL the process's copy is brought up to date once, at the
    start, instead of asking PostgreSQL for news before every query of the run (Store.reading)."""
    with store().reading():
        yield


@st.cache_data(show_spinner=False, max_entries=256)
def _cached(fn_path: str, db_path: str, version: int, args: tuple, kwargs: tuple):
    module, name = fn_path.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), name)
    return fn(store(), *args, **dict(kwargs))


def load(fn, *args, **kwargs):
    """Call a domain function `fn(store, *args)`, cached until the database's data version changes; for a
    function marked perfboard.versions.notes_blind, until its figures version changes (a save of notes only
    keeps it)."""
    s = store()
    # by keyword: Streamlit names each positional argument of a cached call through inspect.signature, on
    # every call (the same names and hash either way)
    return _cached(fn_path=name_of(fn), db_path=str(s.path), version=version_of(s, fn),
                   args=args, kwargs=tuple(sorted(kwargs.items())))


def filters() -> Filters:
    ss = st.session_state
    chosen = Filters(year=ss.get(K_YEAR), departments=tuple(ss.get(K_DEPTS) or ()),
                     funding_sources=tuple(ss.get(K_FUNDS) or ()), lights=tuple(ss.get(K_LIGHTS) or ()),
                     search=ss.get(K_SEARCH) or "")
    from perfboard.auth import scope_filters
    from ui.auth import current_user          # here: ui.auth imports this module
    return scope_filters(current_user(), chosen)    # reads never reach departments outside the user's scope


def flash(message: str, kind: str = "success") -> None:
    """A message shown once on the next run (after st.rerun)."""
    st.session_state[K_FLASH] = (kind, message)


def show_flash() -> None:
    item = st.session_state.pop(K_FLASH, None)
    if item:
        getattr(st, item[0])(md_text(item[1]))      # messages quote names: shown as text


# Keys of the overview -> deviations links and of the deviations page's views.
K_DQ = "dq_check"
K_INDICATOR_VIEW = "dev_indicator_view"
K_DQ_OPEN = "dq_open"       # set by a data-quality link: open the 数据检查 tab once


def presentation() -> bool:
    return bool(st.session_state.get(K_PRESENT))


def chart_font() -> int:
    return 16 if presentation() else 12


def narrowed() -> bool:
    """True when any filter besides the year is set (then the sidebar offers to clear them)."""
    f = filters()
    return bool(f.departments or f.funding_sources or f.lights or f.search.strip())


# 指标填报 and 修改记录 (issue 6).
K_USER = "user_name"                  # who is recorded in the history until login exists
K_EDIT_PROJECT = "edit_project"       # the project picked on 指标填报 (its id)
K_EDIT_DRAFTS = "edit_drafts"         # "year|department|name" -> editing.Draft: unsaved edits per project
K_EDITOR_INPUT = "edit_editor_input"  # data editor key -> the rows that widget was created with
K_HIST_PROJECT, K_HIST_KINDS, K_HIST_USERS, K_HIST_PERIOD, K_HIST_SEARCH = (
    "hist_project", "hist_kinds", "hist_users", "hist_period", "hist_search")


def editor_key(project_id: int, generation: int) -> str:
    """Key of the 指标填报 data editor; a new generation starts the widget over (after a save or reload)."""
    return f"ind_editor_{project_id}_{generation}"


def keep(key: str) -> None:
    """Give a page's widget its value back after a page switch dropped the widget's state. Call before
    creating the widget with key=`key`; the value is copied aside on every run."""
    shadow = "_kept_" + key
    if key not in st.session_state and shadow in st.session_state:
        st.session_state[key] = st.session_state[shadow]
    elif key in st.session_state:
        st.session_state[shadow] = st.session_state[key]


def user_name():
    """The acting user for domain writes: the logged-in user once users exist; in single-user mode the
    name typed on the page, else the configured one, else 匿名."""
    from ui.auth import current_user
    user = current_user()
    if user is None or not user.local:
        return user                     # a perfboard.auth.User (None: not logged in, refused by the domain)
    name = (st.session_state.get(K_USER) or "").strip()
    return name or store().get_setting("user_name", None) or "匿名"
