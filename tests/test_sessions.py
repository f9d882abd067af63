"""Issue 20 (5): sessions end everywhere. A session is a database row checked on every page run and on
every download click; idle expiry and disabling the account end it, and a download of an open page then
builds no bytes."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from perfboard import auth, sessions
from perfboard.db import Store
from perfboard.sessions import SessionEnded
from tests.dashboard_helpers import frame, open_page  # noqa: F401  (fixture: run app.py around each page)

PW = "password-123"
LOCAL = auth.local_admin("测试")
T0 = datetime(2026, 3, 1, 9, 0, 0)


@pytest.fixture
def fast(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def test_session_checks_idle_time_and_account(store, fast):
    auth.add_user(store, "admin1", PW, "admin", by=LOCAL)
    auth.add_user(store, "li", PW, "viewer", ["甲局"], by=LOCAL)
    token = sessions.start(store, "li", "10.0.0.8", now=T0)
    assert sessions.check(store, token, now=T0 + timedelta(minutes=29), touch=True).name == "li"
    # touched at 9:29, so 9:58 is 29 minutes idle: still valid; 10:30 is past the 30-minute default
    assert sessions.check(store, token, now=T0 + timedelta(minutes=58)).name == "li"
    with pytest.raises(SessionEnded) as e:
        sessions.check(store, token, now=T0 + timedelta(minutes=90))
    assert e.value.reason == "idle" and "长时间未操作" in str(e.value)
    # once ended it stays ended, even for a check "earlier" than the expiry
    with pytest.raises(SessionEnded):
        sessions.check(store, token, now=T0 + timedelta(minutes=1))
    assert store.scalar("SELECT end_reason FROM sessions WHERE id = ?", [token]) == "idle"


def test_disabling_an_account_ends_all_its_sessions(store, fast):
    auth.add_user(store, "li", PW, "viewer", ["甲局"], by=LOCAL)
    auth.add_user(store, "wu", PW, "viewer", ["甲局"], by=LOCAL)
    tabs = [sessions.start(store, "li") for _ in range(2)]
    other = sessions.start(store, "wu")
    assert sessions.open_sessions(store, "li") == 2
    auth.disable_user(store, "li", by=LOCAL)
    assert sessions.open_sessions(store, "li") == 0
    for t in tabs:
        with pytest.raises(SessionEnded, match="已被停用"):
            sessions.check(store, t)
    assert sessions.check(store, other).name == "wu"
    auth.disable_user(store, "li", False, by=LOCAL)           # enabling again does not revive old sessions
    with pytest.raises(SessionEnded):
        sessions.check(store, tabs[0])


def test_no_token_is_valid_only_in_single_user_mode(store, fast):
    assert sessions.check(store, None) is auth.LOCAL_ADMIN
    auth.add_user(store, "admin1", PW, "admin", by=LOCAL)
    with pytest.raises(SessionEnded):
        sessions.check(store, None)


def test_guarded_download_builds_nothing_for_an_ended_session(store, fast):
    auth.add_user(store, "li", PW, "viewer", ["甲局"], by=LOCAL)
    token = sessions.start(store, "li")
    built = []
    data = sessions.guarded(store, token, lambda user: built.append(user.name) or b"bytes")
    assert data() == b"bytes" and built == ["li"]
    sessions.end(store, token, "logout")
    with pytest.raises(SessionEnded, match="已退出登录"):
        data()
    assert built == ["li"]


# ---------------------------------------------------------------- the real pages' download buttons
@pytest.fixture
def downloads(monkeypatch):
    """Every callable `data=` the pages hand st.download_button, by label (AppTest cannot click one)."""
    from streamlit.elements.widgets import button
    seen = {}
    original = button.marshall_file

    def record(coordinates, data, proto, *args, **kwargs):
        if callable(data):
            seen[proto.label] = data
        return original(coordinates, data, proto, *args, **kwargs)

    monkeypatch.setattr(button, "marshall_file", record)
    return seen


def _viewer_on(page, db, downloads):
    with Store(db) as s:
        auth.add_user(s, "admin1", PW, "admin", by=LOCAL)
        dept = s.scalar("SELECT min(department) FROM projects")
        auth.add_user(s, "li", PW, "viewer", [dept], by=LOCAL)
    at = open_page(page, auth_user="li", auth_last_seen=time.time())
    assert not at.exception
    assert downloads, "the page offered no download"
    return at


@pytest.mark.parametrize("page", ["pages/reports.py", "pages/execution.py", "pages/review.py"])
def test_download_refused_after_the_account_is_disabled(app_env, frame, fast, downloads, page):
    _viewer_on(page, app_env, downloads)
    label, data = next(iter(downloads.items()))
    assert len(data()) > 100, label                          # valid session: the file is built
    with Store(app_env) as s:
        auth.disable_user(s, "li", by=auth.local_admin("管理员"))
    for label, data in downloads.items():
        with pytest.raises(SessionEnded, match="已被停用"):
            data()


@pytest.mark.parametrize("page", ["pages/reports.py", "pages/history.py"])
def test_download_refused_after_idle_expiry(app_env, frame, fast, downloads, page):
    if page == "pages/history.py":
        with Store(app_env) as s:      # a history row, so 修改记录 shows its export buttons
            from perfboard import matching
            b = s.sql_df("SELECT * FROM projects ORDER BY id LIMIT 2").to_dict("records")
            matching.decide(s, matching.pair_of(b[0], b[1]), "rejected", user=LOCAL)
    _viewer_on(page, app_env, downloads)
    with Store(app_env) as s, s.transaction(bump_version=False) as cur:        # both stores' spelling
        cur.execute("UPDATE sessions SET last_seen = last_seen - INTERVAL '31 minutes'")
    for label, data in downloads.items():
        with pytest.raises(SessionEnded, match="长时间未操作"):
            data()


def test_gate_logs_out_a_tab_whose_account_was_disabled(app_env, frame, fast):
    with Store(app_env) as s:
        auth.add_user(s, "admin1", PW, "admin", by=LOCAL)
        auth.add_user(s, "li", PW, "viewer", ["*"], by=LOCAL)
    at = open_page("pages/overview.py", auth_user="li", auth_last_seen=time.time())
    token = at.session_state["auth_session"]
    with Store(app_env) as s:
        auth.disable_user(s, "li", by=LOCAL)
    at.run()
    assert any("已被停用" in i.value for i in at.info)
    assert "auth_user" not in at.session_state
    with Store(app_env) as s:
        assert s.scalar("SELECT end_reason FROM sessions WHERE id = ?", [token]) == "disabled"
