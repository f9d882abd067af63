"""The import page's parse cache: an uploaded file's Batch kept for the session, keyed by the sha256 of
its bytes (with its name, the department override and the limits in force), so a rerun (any keystroke
or click on the page) does not parse it again. At most MAX_ENTRIES files, the least recently used go."""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import streamlit as st

from perfboard.readers import limits_of
from ui import state

K_CACHE = "imp_parse_cache"
MAX_ENTRIES = 4


def _cache() -> OrderedDict:
    cache = st.session_state.get(K_CACHE)
    if not isinstance(cache, OrderedDict):
        cache = st.session_state[K_CACHE] = OrderedDict()
    return cache


def parsed(department: str | None):
    """A `parsed` callable for perfboard.importer.prepare."""
    limits = limits_of(state.store())

    def get(name: str, data: bytes, parse_one):
        key = (hashlib.sha256(data).hexdigest(), name, department, limits)
        cache = _cache()
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        batch = parse_one()
        cache[key] = batch
        while len(cache) > MAX_ENTRIES:
            cache.popitem(last=False)
        return batch

    return get


def clear() -> None:
    st.session_state.pop(K_CACHE, None)
