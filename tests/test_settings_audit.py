"""Issue 10: every settings change is an administrator's, recorded with who, when, key, old and new value
(perfboard.auth.change_setting; rate bands, scoring constants, the idle time); account changes too."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from perfboard import auth
from perfboard.auth import PermissionDenied, User, UserError
from perfboard.bands import get_bands, reset_bands, save_bands
from perfboard.filters import DEFAULT_BANDS
from perfboard.scoring import save_scoring_settings, scoring_settings

PW = "password-123"
LOCAL = auth.local_admin("测试")
ADMIN = User(name="wang", role="admin")
EDITOR = User(name="zhang", role="editor", departments=("甲局",))
VIEWER = User(name="li", role="viewer", departments=("*",))


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def log(store):
    return store.sql_df("SELECT user_name, key, old_value, new_value, changed_at FROM settings_log ORDER BY id")


def multi_user(store):
    auth.add_user(store, "wang", PW, "admin", by=LOCAL)
    auth.add_user(store, "zhang", PW, "editor", ["甲局"], by=LOCAL)


def test_bands_change_records_who_when_old_new(store):
    multi_user(store)
    before = datetime.now() - timedelta(seconds=1)
    assert save_bands(store, 0.98, 0.925, ADMIN) == []
    reset_bands(store, ADMIN)
    rows = log(store)
    rows = rows[rows.key == "rate_bands"]
    assert rows[["user_name", "key"]].values.tolist() == [["wang", "rate_bands"], ["wang", "rate_bands"]]
    assert pd.isna(rows.old_value.iloc[0])                             # not stored before: the default applied
    assert json.loads(rows.new_value.iloc[0]) == {"green": 0.98, "yellow": 0.925}
    assert json.loads(rows.old_value.iloc[1]) == {"green": 0.98, "yellow": 0.925}
    assert json.loads(rows.new_value.iloc[1]) == DEFAULT_BANDS
    assert (rows.changed_at >= before).all() and (rows.changed_at <= datetime.now()).all()


@pytest.mark.parametrize("who", [EDITOR, VIEWER, User(name="wang", role="admin", disabled=True), None, "wang"])
def test_non_administrators_cannot_change_settings(store, who):
    multi_user(store)
    n = len(log(store))
    with pytest.raises(PermissionDenied):
        save_bands(store, 0.98, 0.925, who)
    with pytest.raises(PermissionDenied):
        reset_bands(store, who)
    with pytest.raises(PermissionDenied):
        save_scoring_settings(store, {"coefficients": {"达成": 1.0, "部分达成": 0.75, "未达成": 0.4}}, who)
    with pytest.raises(PermissionDenied):
        auth.change_setting(store, "session_idle_minutes", 5, who)
    assert get_bands(store) == DEFAULT_BANDS and store.get_setting("session_idle_minutes") is None
    assert store.get_setting("scoring") is None
    assert len(log(store)) == n                                        # nothing recorded either


def test_scoring_constants_are_audited(store):
    multi_user(store)
    save_scoring_settings(store, {"coefficients": {"达成": 1.0, "部分达成": 0.75, "未达成": 0.4}}, ADMIN)
    assert scoring_settings(store)["coefficients"]["部分达成"] == 0.75
    row = log(store).iloc[-1]
    assert (row.user_name, row.key) == ("wang", "scoring") and pd.isna(row.old_value)
    assert json.loads(row.new_value)["coefficients"]["部分达成"] == 0.75


def test_single_user_mode_is_the_local_administrator(store):
    assert save_bands(store, 0.9, 0.8) == []                           # no users: None is the local admin
    assert save_bands(store, 0.91, 0.8, "赵六") == []                   # ... or the name typed on the page
    assert log(store)[["user_name", "key"]].values.tolist() == [[auth.LOCAL_ADMIN.name, "rate_bands"],
                                                                 ["赵六", "rate_bands"]]


def test_unchanged_setting_is_not_recorded(store):
    assert auth.change_setting(store, "session_idle_minutes", 15, LOCAL) is True
    v = store.data_version()
    assert auth.change_setting(store, "session_idle_minutes", 15, LOCAL) is False
    assert len(log(store)) == 1 and store.data_version() == v


def test_account_changes_are_administrators_and_audited_without_secrets(store):
    multi_user(store)
    with pytest.raises(PermissionDenied):
        auth.add_user(store, "li", PW, "viewer", ["甲局"], by=EDITOR)
    with pytest.raises(PermissionDenied):
        auth.add_user(store, "li", PW, "viewer", ["甲局"])             # users exist: None is nobody
    with pytest.raises(PermissionDenied):
        auth.set_password(store, "wang", "another-password", by=EDITOR)
    with pytest.raises(PermissionDenied):
        auth.disable_user(store, "wang", by=EDITOR)
    assert auth.get_user(store, "li") is None and not auth.get_user(store, "wang").disabled

    auth.add_user(store, "li", PW, "viewer", ["甲局", "乙局"], by=ADMIN)
    auth.set_password(store, "li", "another-password", by=ADMIN)
    auth.disable_user(store, "li", by=ADMIN)
    with pytest.raises(UserError, match="自己"):
        auth.disable_user(store, "wang", by=ADMIN)
    rows = log(store)
    rows = rows[rows.key == "user:li"]
    assert rows.user_name.tolist() == ["wang"] * 3
    assert json.loads(rows.new_value.iloc[0]) == {"role": "viewer", "departments": ["甲局", "乙局"], "disabled": False}
    assert json.loads(rows.new_value.iloc[1]) == {"password": "已重设"}
    assert json.loads(rows.old_value.iloc[2])["disabled"] is False and json.loads(rows.new_value.iloc[2])["disabled"] is True
    everything = " ".join(str(v) for v in log(store).values.ravel())
    assert PW not in everything and "another-password" not in everything and "$2b$" not in everything


def test_last_login(store):
    multi_user(store)
    assert auth.get_user(store, "zhang").last_login is None
    t = datetime(2026, 3, 1, 9, 30)
    auth.authenticate(store, "zhang", PW, now=t)
    assert auth.get_user(store, "zhang").last_login == t


def test_settings_history_hides_accounts_when_asked(store):
    multi_user(store)
    save_bands(store, 0.9, 0.8, ADMIN)
    full = auth.settings_history(store)
    assert full.what.tolist() == ["执行率红绿灯区间", "用户“zhang”", "用户“wang”"]
    assert auth.settings_history(store, include_users=False).what.tolist() == ["执行率红绿灯区间"]
