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
    # 70.74% is green now; the two projects whose goal targets lack an actual (issue 15) still deviate
    assert {m.label: m.value for m in at.metric}["偏离项目"] == "2 个"


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


# ---------------------------------------------------------------- issue 10: administrators only, audited
def _users(path):
    from perfboard import auth
    with opened(path) as s:
        auth.add_user(s, "wang", "password-123", "admin", by=auth.local_admin("测试"))
        auth.add_user(s, "zhang", "password-123", "editor", ["张掖市科学技术局"], by=auth.local_admin("测试"))


def _as(name):
    import time
    return {"auth_user": name, "auth_last_seen": time.time()}


def test_an_administrators_change_is_recorded_with_their_name(app_env, monkeypatch):
    from perfboard import auth
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    _users(app_env)
    at = open_page(PAGE, **_as("wang"))
    at.number_input(key="set_green").set_value(70.0)
    at.number_input(key="set_yellow").set_value(50.0)
    at.button[0].click().run()
    assert not at.exception
    assert stored(app_env) == {"green": 0.7, "yellow": 0.5}
    with opened(app_env) as s:
        rows = s.sql_df("SELECT user_name, key, new_value FROM settings_log WHERE key = 'rate_bands'").values.tolist()
    assert rows == [["wang", "rate_bands", '{"green": 0.7, "yellow": 0.5}']]
    at.number_input(key="set_idle").set_value(45)
    next(b for b in at.button if b.label == "保存" and b.key != at.button[0].key).click().run()
    with opened(app_env) as s:
        assert s.get_setting("session_idle_minutes") == 45
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert any(e.label.startswith("设置修改（最近 4 条）") for e in at.expander)   # 2 accounts, bands, idle time
    shown = at.dataframe[0].value
    assert shown["操作人"].tolist()[:2] == ["wang", "wang"] and "执行率红绿灯区间" in shown["设置项"].tolist()


def test_an_editor_sees_the_settings_but_cannot_change_them(app_env, monkeypatch):
    from perfboard import auth
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    _users(app_env)
    at = open_page(PAGE, **_as("zhang"))
    assert not at.exception
    assert any("只有管理员可以修改设置" in i.value for i in at.info)
    assert not at.number_input and not [b for b in at.button if b.label in ("保存", "恢复默认区间")]
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert not any(e.label.startswith("设置修改") for e in at.expander)     # account changes are not for editors
