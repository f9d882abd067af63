"""Issue 20 (6): one client address cannot lock every account. Wrong passwords are also counted per
address (in the database, so new tabs or sessions do not reset it); past the limit that address is refused
for every account, and its attempts stop counting against the accounts it tries."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from perfboard import auth
from perfboard.auth import AuthError
from perfboard.db import Store

PW = "password-123"
LOCAL = auth.local_admin("测试")
T0 = datetime(2026, 3, 1, 9, 0, 0)
ATTACKER, OFFICE = "203.0.113.9", "198.51.100.20"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def fail(store, name, address, now, password="wrong password"):
    with pytest.raises(AuthError) as e:
        auth.authenticate(store, name, password, now=now, address=address)
    assert str(e.value) == auth.GENERIC_FAILURE


def test_an_address_is_locked_after_the_limit_for_every_account(store):
    names = [f"user{i}" for i in range(8)]
    for n in names:
        auth.add_user(store, n, PW, "viewer", ["甲局"], by=LOCAL)
    # 20 wrong passwords spread over 8 accounts (at most 3 each: no account lock-out) and unknown names
    tries = [names[i % 8] if i < 16 else f"nobody{i}" for i in range(auth.ADDRESS_MAX_FAILURES)]
    for i, n in enumerate(tries):
        assert not auth.address_locked(store, ATTACKER, T0 + timedelta(seconds=i))
        fail(store, n, ATTACKER, T0 + timedelta(seconds=i))
    t = T0 + timedelta(seconds=30)
    assert auth.address_locked(store, ATTACKER, t)
    fail(store, "user0", ATTACKER, t, password=PW)            # even the right password, same message
    counts = {u.name: u.failed_attempts for u in auth.list_users(store)}
    fail(store, "user1", ATTACKER, t)
    assert {u.name: u.failed_attempts for u in auth.list_users(store)} == counts     # not counted on accounts
    assert max(counts.values()) < auth.MAX_FAILURES
    # another address is not affected, and the accounts are not locked
    assert auth.authenticate(store, "user0", PW, now=t, address=OFFICE).name == "user0"
    # the lock ends after ADDRESS_LOCK
    later = T0 + timedelta(seconds=auth.ADDRESS_MAX_FAILURES) + auth.ADDRESS_LOCK + timedelta(seconds=1)
    assert not auth.address_locked(store, ATTACKER, later)
    assert auth.authenticate(store, "user1", PW, now=later, address=ATTACKER).name == "user1"


def test_failures_spread_beyond_the_window_do_not_add_up(store):
    auth.add_user(store, "zhang", PW, "viewer", ["甲局"], by=LOCAL)
    t = T0
    for _ in range(3):
        for i in range(auth.ADDRESS_MAX_FAILURES // 2):
            fail(store, f"nobody{i}", ATTACKER, t)
        t += auth.ADDRESS_WINDOW + timedelta(seconds=1)
    assert not auth.address_locked(store, ATTACKER, t)


def test_the_count_lives_in_the_database(tmp_path):
    path = tmp_path / "x.duckdb"
    with Store(path) as s:
        auth.add_user(s, "zhang", PW, "viewer", ["甲局"], by=LOCAL)
        for i in range(auth.ADDRESS_MAX_FAILURES - 1):
            fail(s, "nobody", ATTACKER, T0)
    with Store(path) as s:                                  # a restarted server, another session
        fail(s, "nobody", ATTACKER, T0)
        assert auth.address_locked(s, ATTACKER, T0 + timedelta(seconds=1))
        assert s.scalar("SELECT failures FROM login_failures WHERE address = ?", [ATTACKER]) == 0


def test_the_login_form_passes_the_proxied_client_address(app_env, monkeypatch):
    """Behind the nginx recipe Streamlit sees 127.0.0.1; ui.auth takes the address from X-Real-IP."""
    from streamlit.testing.v1 import AppTest
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    with Store(app_env) as s:
        auth.add_user(s, "zhang", PW, "viewer", ["甲局"], by=LOCAL)
    import streamlit
    monkeypatch.setattr(streamlit, "context", type("C", (), {"ip_address": None,
                                                             "headers": {"X-Real-Ip": "192.0.2.44"}})())
    script = """
import streamlit as st
from ui import auth as ui_auth
user = ui_auth.gate()
st.markdown("ok " + user.name)
"""
    at = AppTest.from_string(script, default_timeout=30)
    at.run()
    at.text_input(key="auth_name").input("zhang")
    at.text_input(key="auth_password").input("wrong password")
    at.button[0].click()
    at.run()
    assert any(auth.GENERIC_FAILURE in e.value for e in at.error)
    with Store(app_env) as s:
        assert s.scalar("SELECT failures FROM login_failures WHERE address = '192.0.2.44'") == 1
