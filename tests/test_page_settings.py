"""AppTest of 设置: the bands are validated and saved in the database, and the pages follow them."""
from __future__ import annotations

import pytest

from perfboard.filters import DEFAULT_BANDS
from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import open_page, opened

pytestmark = pytest.mark.usefixtures("frame")
PAGE = "pages/settings.py"


def stored(path):
    with opened(path) as s:
        return s.get_setting("rate_bands", DEFAULT_BANDS)


def test_save_bands(app_env):
    at = open_page(PAGE)
    at.number_input(key="set_green").set_value(70.0)
    at.number_input(key="set_yellow").set_value(50.0)
    at.button[0].click().run()            # the form's 保存
    assert not at.exception
    assert stored(app_env) == {"green": 0.7, "yellow": 0.5}
    assert any("已保存" in s.value for s in at.success)
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["偏离项目"] == "0 个"     # 70.74% is green now


def test_invalid_bands_are_refused(app_env):
    at = open_page(PAGE)
    at.number_input(key="set_green").set_value(85.0)
    at.number_input(key="set_yellow").set_value(90.0)
    at.button[0].click().run()
    assert any("必须高于" in e.value for e in at.error)
    assert stored(app_env) == DEFAULT_BANDS


def test_reset_to_default(app_env):
    with opened(app_env) as s:
        s.set_setting("rate_bands", {"green": 0.8, "yellow": 0.6})
    at = open_page(PAGE)
    reset = next(b for b in at.button if b.label == "恢复默认区间")
    reset.click().run()
    assert stored(app_env) == DEFAULT_BANDS
