"""The login gate (ui/auth.py) in AppTest: single-user mode, login, generic failure, logout, idle expiry."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from perfboard import auth
from perfboard.db import Store

SCRIPT = """
import streamlit as st
from ui.auth import gate
user = gate()
st.markdown("受保护的内容：" + user.name)
"""
PW = "password-123"
LOCAL = auth.local_admin("测试")


@pytest.fixture
def db(app_env, monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    return app_env


def add_user(db, name="zhang", role="editor", depts=("甲局",)):
    s = Store(db)
    try:
        auth.add_user(s, name, PW, role, list(depts), by=LOCAL)
    finally:
        s.close()


def run(at=None):
    at = AppTest.from_string(SCRIPT, default_timeout=30) if at is None else at   # an AppTest with no elements is falsy
    at.run()
    assert not at.exception, at.exception
    return at


def text(at) -> str:
    return " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption) + \
        " ".join(c.value for c in at.sidebar.caption)


def login(at, name, password):
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    at.button[0].click()
    return run(at)


def test_single_user_mode_says_so_and_lets_in(db):
    at = run()
    assert "本机单用户模式" in text(at)
    assert "受保护的内容：" + auth.LOCAL_ADMIN.name in text(at)


def test_login_required_once_a_user_exists(db):
    add_user(db)
    at = run()
    assert "受保护的内容" not in text(at)
    assert at.text_input(key="auth_password").proto.type == at.text_input(key="auth_password").proto.PASSWORD


@pytest.mark.parametrize("name,password", [("zhang", "wrong-password"), ("nobody", PW)])
def test_failed_login_is_generic(db, name, password):
    add_user(db)
    at = login(run(), name, password)
    assert [e.value for e in at.error] == [auth.GENERIC_FAILURE]
    assert "受保护的内容" not in text(at)


def test_login_logout(db):
    add_user(db)
    at = login(run(), "zhang", PW)
    assert "受保护的内容：zhang" in text(at)
    assert "已登录：zhang" in text(at)
    at.sidebar.button(key="auth_logout").click()
    at = run(at)
    assert "受保护的内容" not in text(at)
    assert any("已退出" in i.value for i in at.info)


def test_idle_session_expires(db):
    add_user(db)
    at = login(run(), "zhang", PW)
    at.session_state["auth_last_seen"] = at.session_state["auth_last_seen"] - 31 * 60
    at = run(at)
    assert "受保护的内容" not in text(at)
    assert any("自动退出" in i.value for i in at.info)


def test_idle_limit_comes_from_settings(db):
    add_user(db)
    s = Store(db)
    s.set_setting("session_idle_minutes", 120)
    s.close()
    at = login(run(), "zhang", PW)
    at.session_state["auth_last_seen"] = at.session_state["auth_last_seen"] - 61 * 60
    at = run(at)
    assert "受保护的内容：zhang" in text(at)


def test_disabled_user_is_logged_out(db):
    add_user(db)
    at = login(run(), "zhang", PW)
    s = Store(db)
    auth.disable_user(s, "zhang", by=LOCAL)
    s.close()
    at = run(at)
    assert "受保护的内容" not in text(at)


def test_lockout_through_the_form(db):
    add_user(db)
    at = run()
    for _ in range(auth.MAX_FAILURES):
        at = login(at, "zhang", "wrong-password")
    at = login(at, "zhang", PW)                     # locked now: same generic message
    assert [e.value for e in at.error] == [auth.GENERIC_FAILURE]
    assert "受保护的内容" not in text(at)


def test_single_user_mode_refuses_remote_clients(db, monkeypatch):
    import ui.auth
    monkeypatch.setattr(ui.auth, "_is_local_client", lambda: False)
    at = run()
    assert "受保护的内容" not in text(at)
    assert any("只允许在本机访问" in e.value for e in at.error)


def test_import_page_enforces_the_logged_in_users_scope(db):
    """The page checks the session's user before offering an upload (issue 20: nothing is parsed for a
    viewer), and passes the user to importer.commit: an editor's import outside their departments is
    refused there."""
    from pathlib import Path
    add_user(db, "viewer1", "viewer", ("甲局",))
    add_user(db, "editor1", "editor", ("乙局",))
    page = str(Path(__file__).resolve().parent.parent / "pages" / "import_data.py")
    at = AppTest.from_file(page, default_timeout=30)
    at.session_state["auth_user"] = "viewer1"
    at.run()
    assert not at.file_uploader
    assert any("无权导入" in e.value for e in at.error), [e.value for e in at.error]
    at = AppTest.from_file(page, default_timeout=30)
    at.session_state["auth_user"] = "editor1"
    at.run()
    csv = "年度,主管部门,项目名称,全年预算数,全年执行数\n2030,甲局,新项目,10,5\n".encode()
    at.file_uploader[0].upload("x.csv", csv, "text/csv")
    at = run(at)
    [b for b in at.button if b.label == "确认导入"][0].click()
    at = run(at)
    assert any("无权" in e.value for e in at.error), [e.value for e in at.error]
    s = Store(db)
    try:
        assert s.scalar("SELECT count(*) FROM projects WHERE year = 2030") == 0
    finally:
        s.close()


def test_logged_in_viewer_reads_only_own_departments(db):
    """ui.state.filters() is narrowed by perfboard.auth.scope_filters: every page reading through it
    sees only the user's departments, whatever the sidebar holds."""
    s = Store(db)
    try:
        from perfboard.summary import filter_options
        depts = filter_options(s)["departments"]
    finally:
        s.close()
    add_user(db, "viewer1", "viewer", (depts[0],))
    script = SCRIPT + """
from perfboard.summary import summary
from ui import state
st.markdown("部门：" + "|".join(sorted({i["department"] for i in summary(state.store(), state.filters())["items"]})))
"""
    at = AppTest.from_string(script, default_timeout=30)
    at.session_state["auth_user"] = "viewer1"
    import time as _t
    at.session_state["auth_last_seen"] = _t.time()
    at = run(at)
    assert f"部门：{depts[0]}" in text(at)
    at.session_state["f_departments"] = ["不是我的部门"]
    at = run(at)
    assert [m.value for m in at.markdown if m.value.startswith("部门：")] == ["部门："]   # nothing, not everything


def test_edits_are_made_as_the_logged_in_user(db):
    """ui.state.user_name() hands editing.save/undo the logged-in User, so the domain checks its scope."""
    add_user(db, "viewer1", "viewer", ("甲局",))
    script = SCRIPT + """
from ui import state
u = state.user_name()
st.markdown("操作者：" + u.name + "/" + u.role)
"""
    at = AppTest.from_string(script, default_timeout=30)
    at.session_state["auth_user"] = "viewer1"
    import time as _t
    at.session_state["auth_last_seen"] = _t.time()
    at = run(at)
    assert "操作者：viewer1/viewer" in text(at)


@pytest.mark.duckdb_only("the panel's backup copies the DuckDB file; on PostgreSQL it points to pg_dump")
def test_backup_panel(db):
    """An administrator backs up from inside the running app (the CLI cannot read a held file)."""
    from pathlib import Path
    from perfboard.db import check_backup
    script = SCRIPT + "\nfrom ui import backup\nbackup.panel()\n"
    at = run(AppTest.from_string(script, default_timeout=30))     # single-user mode: the local administrator
    at.button(key="backup_now").click()
    at = run(at)
    path = Path(at.session_state["backup_file"])
    assert path.is_file() and path.parent == Path(db).parent / "backups"
    assert check_backup(path) >= 4
    assert [b.label for b in at.get("download_button")] == ["下载备份文件"]


def test_backup_panel_is_for_administrators_only(db):
    add_user(db, "viewer1", "viewer", ("甲局",))
    script = SCRIPT + "\nfrom ui import backup\nbackup.panel()\n"
    at = AppTest.from_string(script, default_timeout=30)
    at.session_state["auth_user"] = "viewer1"
    import time as _t
    at.session_state["auth_last_seen"] = _t.time()
    at = run(at)
    assert "受保护的内容：viewer1" in text(at)
    assert all(b.key != "backup_now" for b in at.button) and not at.get("download_button")
