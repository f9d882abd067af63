"""perfboard.bands: validation and storage of the traffic-light bands."""
from __future__ import annotations

import pytest

from perfboard.bands import describe_bands, get_bands, reset_bands, save_bands, validate_bands
from perfboard.filters import DEFAULT_BANDS


@pytest.mark.parametrize("green, yellow", [(0.95, 0.9), (1.0, 0.5), (0.02, 0.01)])
def test_valid(green, yellow):
    assert validate_bands(green, yellow) == []


@pytest.mark.parametrize("green, yellow, word", [
    (0.9, 0.9, "必须高于"), (0.8, 0.9, "必须高于"), (1.2, 0.9, "不超过 100%"), (0.9, 0, "大于 0%"),
    (0.9, -0.1, "大于 0%"), (float("nan"), 0.5, "数字"), ("0.9", 0.5, "数字")])
def test_invalid(green, yellow, word):
    errors = validate_bands(green, yellow)
    assert errors and any(word in e for e in errors)


def test_saved_in_the_database(store):
    assert get_bands(store) == DEFAULT_BANDS
    v = store.data_version()
    assert save_bands(store, 0.98, 0.925) == []
    assert store.get_setting("rate_bands") == {"green": 0.98, "yellow": 0.925}
    assert store.data_version() > v                      # cached pages see the change
    assert "92.5%" in describe_bands(get_bands(store))
    assert save_bands(store, 0.5, 0.6)                    # refused ...
    assert get_bands(store) == {"green": 0.98, "yellow": 0.925}   # ... and nothing written
    reset_bands(store)
    assert get_bands(store) == DEFAULT_BANDS
