"""用户管理 (issue 10) through AppTest: administrators list, add, reset and disable accounts through
perfboard.auth (the CLI's functions); the page is not listed for others and refuses them."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from perfboard import auth
from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import open_page, opened

pytestmark = pytest.mark.usefixtures("frame")
PAGE = "pages/users.py"
PW = "password-123"
KJJ = "张掖市科学技术局"


@pytest.fixture(autouse=True)
def fast_hash(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


def _users(path):
    with opened(path) as s:
        auth.add_user(s, "wang", PW, "admin", by=auth.local_admin("测试"))
        auth.add_user(s, "zhang", PW, "editor", [KJJ], by=auth.local_admin("测试"))


def _as(name):
    return {"auth_user": name, "auth_last_seen": time.time()}


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _fill_add(at, name, role, depts, pw1=PW, pw2=PW):
    at.text_input(key="ua_name").input(name)
    at.selectbox(key="ua_role").select(role)
    at.multiselect(key="ua_depts").set_value(depts)
    at.text_input(key="ua_pw1").input(pw1)
    at.text_input(key="ua_pw2").input(pw2)
    _button(at, "新增用户").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_administrator_manages_accounts(app_env):
    _users(app_env)
    at = open_page(PAGE, **_as("wang"))
    shown = at.dataframe[0].value
    assert shown[["用户名", "角色", "部门", "状态"]].values.tolist() == [
        ["wang", "管理员", "全部部门", "正常"], ["zhang", "编辑者", KJJ, "正常"]]

    _fill_add(at, "li", "viewer", [KJJ])
    assert any("已新增用户“li”" in s.value for s in at.success)
    with opened(app_env) as s:
        li = auth.get_user(s, "li")
        assert (li.role, li.departments) == ("viewer", (KJJ,))
        assert auth.authenticate(s, "li", PW).name == "li"

    _fill_add(at, "li2", "viewer", [KJJ], pw2="something-else")          # mismatch: nothing added
    assert any("不一致" in e.value for e in at.error)
    _fill_add(at, "li2", "viewer", [])                                   # viewer without a department
    assert any("主管部门" in e.value for e in at.error)
    with opened(app_env) as s:
        assert auth.get_user(s, "li2") is None

    at.selectbox(key="up_name").select("zhang")
    at.text_input(key="up_pw1").input("新的密码 12345")
    at.text_input(key="up_pw2").input("新的密码 12345")
    _button(at, "重设密码（同时解除锁定）").click().run()
    assert any("已重设用户“zhang”的密码" in s.value for s in at.success)

    at.selectbox(key="ud_name").select("zhang").run()
    _button(at, "停用").click().run()
    assert any("已停用用户“zhang”" in s.value for s in at.success)
    assert "已停用" in at.dataframe[0].value.set_index("用户名").loc["zhang", "状态"]
    at.selectbox(key="ud_name").select("wang").run()
    _button(at, "停用").click().run()                                   # not oneself
    assert any("不能停用自己的账户" in e.value for e in at.error)

    with opened(app_env) as s:
        assert auth.get_user(s, "zhang").disabled and not auth.get_user(s, "wang").disabled
        stored_hash = s.scalar("SELECT password_hash FROM users WHERE name = 'zhang'")
        assert auth.check_password("新的密码 12345", stored_hash) and not auth.check_password(PW, stored_hash)
        log = s.sql_df("SELECT user_name, key FROM settings_log WHERE user_name = 'wang' ORDER BY id").values.tolist()
    assert log == [["wang", "user:li"], ["wang", "user:zhang"], ["wang", "user:zhang"]]


def test_first_user_from_single_user_mode_is_an_administrator(app_env):
    at = open_page(PAGE)                       # no users: the local administrator
    assert any("本机单用户模式" in i.value for i in at.info)
    assert at.selectbox(key="ua_role").options == ["管理员"]
    _fill_add(at, "wang", "admin", [])
    with opened(app_env) as s:
        assert [(u.name, u.role) for u in auth.list_users(s)] == [("wang", "admin")]
    at.run()
    assert at.text_input(key="auth_password")                          # now every page asks to log in


def test_others_do_not_see_it_and_are_refused(app_env, monkeypatch):
    _users(app_env)
    page = str(Path(__file__).resolve().parent.parent / PAGE)
    at = AppTest.from_file(page, default_timeout=60)
    for k, v in _as("zhang").items():
        at.session_state[k] = v
    at.run()
    assert [e.value for e in at.error] == ["只有管理员可以管理用户。"]
    assert not at.text_input and not at.button and not at.dataframe
    # app.py lists the page for administrators only; for everyone else it is registered but hidden, so a
    # bookmarked …/users shows the login form (then the page, or its refusal), not "Page not found"
    seen = []
    real_page = st.Page

    def recording_page(page, **kw):
        seen.append((str(page), kw.get("visibility", "visible")))
        return real_page(page, **kw)

    monkeypatch.setattr(st, "Page", recording_page)
    for name, visibility in (("zhang", "hidden"), ("wang", "visible")):
        seen.clear()
        at = open_page("pages/overview.py", **_as(name))
        assert "users.py" in str(at._registered_pages)
        assert [v for p, v in seen if p.endswith("users.py")] == [visibility]
        assert [v for p, v in seen if not p.endswith("users.py")] == ["visible"] * 11


def test_bookmarked_users_page_asks_to_log_in_first(app_env):
    """Opening …/users in a new tab (no login yet) shows the login form, not Streamlit's English dialog."""
    _users(app_env)
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=60)
    at.switch_page("pages/users.py")
    at.run()
    assert not at.exception
    assert at.text_input(key="auth_password")
    assert not [e for e in at.error if "只有管理员" in e.value]
