"""Stored settings over their defaults, one way for every setting (scoring, review): known keys replace the
default, one nested dict (scoring's coefficients, review's severities) is updated entry by entry so one entry
may be stored alone, and a value that does not validate falls back to the defaults as a whole."""
from __future__ import annotations

import copy
from collections.abc import Callable


def overlay(defaults: dict, stored, nested: str) -> dict:
    """A deep copy of `defaults` with the known keys of `stored` (a dict; anything else is ignored) over it."""
    cfg = copy.deepcopy(defaults)
    if isinstance(stored, dict):
        for k, v in stored.items():
            if k == nested and isinstance(v, dict):
                cfg[k].update(v)
            elif k in cfg:
                cfg[k] = v
    return cfg


def stored_settings(store, key: str, defaults: dict, nested: str, validate: Callable[[dict], list]) -> dict:
    """`defaults` overlaid with the stored setting `key` (store None: the defaults); an unusable stored value
    (validate() returns problems) gives the defaults."""
    cfg = overlay(defaults, store.get_setting(key, {}) if store is not None else {}, nested)
    return cfg if not validate(cfg) else copy.deepcopy(defaults)
