"""Issue 20 (3): every write checks the user in the domain layer and records the real actor.

WRITES lists every function of perfboard/ that changes shared data, each as a small driver taking the
store and the acting user. A viewer is refused on every one, an editor of another department on every
department-scoped one, and nothing changes when refused; an allowed user's name is what the logs keep.
"""
from __future__ import annotations

import hashlib

import pytest

from perfboard import auth, bands, editing, matching, monitoring, review
from perfboard.auth import PermissionDenied, User
from perfboard.importer import commit, prepare

PW = "password-123"
LOCAL = auth.local_admin("测试")
DEPT = "张掖市科学技术局"          # the sample's only department
VIEWER = User(name="只读者", role="viewer", departments=(DEPT,))
EDITOR = User(name="编辑者", role="editor", departments=(DEPT,))
OTHER_EDITOR = User(name="他局编辑", role="editor", departments=("甘州区财政局",))
ADMIN = User(name="管理员甲", role="admin")


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)


@pytest.fixture
def s(sample_store):
    auth.add_user(sample_store, "admin0", PW, "admin", by=LOCAL)      # users exist: no single-user mode
    auth.add_user(sample_store, "target", PW, "viewer", [DEPT], by=LOCAL)
    return sample_store


def _pair(store):
    p = store.sql_df("SELECT year, department, project_code AS code, name FROM projects")
    b = p[p["name"] == "2023年招商引资"].iloc[0].to_dict()
    t = p[p["name"] == "2024 年招商引资"].iloc[0].to_dict()
    return matching.pair_of(b, t, 88.0)


def _edit(store, user):
    st = editing.load_state(store, store.scalar("SELECT id FROM projects WHERE name = '2024 年招商引资'"))
    rows = st.rows()
    rows[0]["deviation_note"] = "由测试修改"
    return editing.save(store, st, {}, rows, user)


def _undo(store, user):
    return editing.undo(store, store.scalar("SELECT max(id) FROM saves"), user)


def _undo_match(store, user):
    matching.undo(store, _pair(store), user=user)


# what an undo needs first, written by an administrator before the user under test acts
SETUP = {"editing.undo": lambda s: _edit(s, ADMIN),
         "matching.undo": lambda s: matching.decide(s, _pair(s), "rejected", user=ADMIN)}


def _import(store, user):
    csv = f"年度,主管部门,项目名称,全年预算数,全年执行数\n2024,{DEPT},新项目,10,5\n".encode()
    plan = prepare(store, [("x.csv", csv)], replace=True)
    assert plan.ok, plan.report.to_frame()
    commit(store, plan, user=user)


def _review(store, user):
    finding = review.findings(store).iloc[0].to_dict()
    review.decide(store, finding, "rejected", "测试理由", user=user)


# name -> (driver, department-scoped?, where the actor's name is recorded)
WRITES = {
    "review.decide": (_review, True, "SELECT user_name FROM review_decision_log ORDER BY id DESC LIMIT 1"),
    "editing.save": (_edit, True, "SELECT user_name FROM saves WHERE kind = 'edit' ORDER BY id DESC LIMIT 1"),
    "editing.undo": (_undo, True, "SELECT user_name FROM saves WHERE kind = 'undo'"),
    "matching.decide": (lambda s, u: matching.decide(s, _pair(s), "confirmed", user=u), True,
                        "SELECT user_name FROM match_log WHERE action = 'confirmed'"),
    "matching.undo": (_undo_match, True, "SELECT user_name FROM match_log WHERE action = 'undone'"),
    "importer.commit": (_import, True, "SELECT user_name FROM import_log ORDER BY id DESC LIMIT 1"),
    "auth.change_setting": (lambda s, u: auth.change_setting(s, "match_threshold", 91, u), False,
                            "SELECT user_name FROM settings_log WHERE key = 'match_threshold'"),
    "bands.save_bands": (lambda s, u: bands.save_bands(s, 0.8, 0.5, u), False,
                         "SELECT user_name FROM settings_log WHERE key = 'rate_bands'"),
    "monitoring.save_rules": (lambda s, u: monitoring.save_rules(s, dict(monitoring.DEFAULT_RULES, yellow_gap=0.1), u),
                              False, "SELECT user_name FROM settings_log WHERE key = 'monitor_rules'"),
    "bands.reset_bands": (lambda s, u: bands.reset_bands(s, u), False,
                          "SELECT user_name FROM settings_log WHERE key = 'rate_bands'"),
    "auth.add_user": (lambda s, u: auth.add_user(s, "新人", PW, "viewer", [DEPT], by=u), False,
                      "SELECT user_name FROM settings_log WHERE key = 'user:新人'"),
    "auth.set_password": (lambda s, u: auth.set_password(s, "target", "another-pass-1", by=u), False,
                          "SELECT user_name FROM settings_log WHERE key = 'user:target' ORDER BY id DESC LIMIT 1"),
    "auth.disable_user": (lambda s, u: auth.disable_user(s, "target", by=u), False,
                          "SELECT user_name FROM settings_log WHERE key = 'user:target' ORDER BY id DESC LIMIT 1"),
}

TABLES = ["projects", "indicators", "project_funds", "import_log", "saves", "audit_log", "project_matches",
          "match_log", "settings", "settings_log", "users", "review_decisions", "review_decision_log"]


def snapshot(store) -> dict:
    """A digest of every shared table (users without the volatile last_login)."""
    out = {}
    for t in TABLES:
        df = store.sql_df(f"SELECT * FROM {t}")
        out[t] = hashlib.sha256(df.sort_values(list(df.columns)).to_csv(index=False).encode()).hexdigest()
    return out


def test_every_write_path_is_listed():
    """A new write function in perfboard/ must join WRITES: each module's public writers are named here."""
    import inspect

    from perfboard import auth as a, bands as b, editing as e, importer as i, matching as m, review as r
    from perfboard import monitoring as mo
    writers = {"editing": {"save", "undo"}, "matching": {"decide", "undo"}, "importer": {"commit"},
               "review": {"decide"}, "monitoring": {"save_rules"},
               "bands": {"save_bands", "reset_bands"},
               "auth": {"add_user", "set_password", "disable_user", "change_setting"}}
    for mod in (a, b, e, i, m, r, mo):
        short = mod.__name__.split(".")[-1]
        for name in writers[short]:
            assert f"{short}.{name}" in WRITES
            assert "user" in inspect.signature(getattr(mod, name)).parameters or \
                "by" in inspect.signature(getattr(mod, name)).parameters


@pytest.mark.parametrize("name", list(WRITES))
def test_viewer_is_refused_and_nothing_changes(s, name):
    driver, _, _ = WRITES[name]
    SETUP.get(name, lambda s: None)(s)
    before = snapshot(s)
    with pytest.raises(PermissionDenied):
        driver(s, VIEWER)
    assert snapshot(s) == before


@pytest.mark.parametrize("name", [n for n, (_, scoped, _) in WRITES.items() if scoped])
def test_editor_of_another_department_is_refused(s, name):
    driver, _, _ = WRITES[name]
    SETUP.get(name, lambda s: None)(s)
    before = snapshot(s)
    with pytest.raises(PermissionDenied, match="张掖市科学技术局"):
        driver(s, OTHER_EDITOR)
    assert snapshot(s) == before


@pytest.mark.parametrize("name", [n for n, (_, scoped, _) in WRITES.items() if not scoped])
def test_editor_is_refused_administration(s, name):
    driver, _, _ = WRITES[name]
    SETUP.get(name, lambda s: None)(s)
    before = snapshot(s)
    with pytest.raises(PermissionDenied):
        driver(s, EDITOR)
    assert snapshot(s) == before


@pytest.mark.parametrize("name", list(WRITES))
def test_the_real_actor_is_recorded(s, name):
    driver, scoped, actor_sql = WRITES[name]
    user = EDITOR if scoped else ADMIN
    SETUP.get(name, lambda s: None)(s)
    driver(s, user)
    assert s.scalar(actor_sql) == user.name


def test_a_not_logged_in_caller_is_refused_once_users_exist(s):
    with pytest.raises(PermissionDenied, match="请先登录"):
        matching.decide(s, _pair(s), "confirmed")
    with pytest.raises(PermissionDenied, match="请先登录"):
        matching.decide(s, _pair(s), "confirmed", user="匿名")
    assert s.scalar("SELECT count(*) FROM match_log") == 0


def test_match_decisions_appear_in_the_history(s):
    matching.decide(s, _pair(s), "confirmed", user=EDITOR)
    matching.undo(s, _pair(s), user=EDITOR)
    h = editing.history(s, editing.HistoryFilter(departments=(DEPT,)))
    rows = h[h["kind"] == "match"]
    assert rows["user_name"].tolist() == ["编辑者", "编辑者"]
    assert rows["kind_zh"].tolist() == ["同比匹配", "同比匹配"]
    assert rows["summary"].tolist() == [
        "撤销匹配决定：2023年招商引资（2023 年度，张掖市科学技术局）→ 2024 年招商引资（2024 年度，张掖市科学技术局）",
        "确认为同一项目：2023年招商引资（2023 年度，张掖市科学技术局）→ 2024 年招商引资（2024 年度，张掖市科学技术局）"]
    assert rows["year"].tolist() == [2024, 2024]
    # another department's history does not show them; the 操作人 picker of that scope does not name the editor
    assert editing.history(s, editing.HistoryFilter(departments=("甘州区财政局",))).empty
    assert editing.history_users(s, ("甘州区财政局",)) == []
    assert "编辑者" in editing.history_users(s, (DEPT,))
    assert editing.history(s, editing.HistoryFilter(year=2023, kinds=("match",)))["kind"].tolist() == ["match"] * 2
    assert editing.history(s, editing.HistoryFilter(year=2022, kinds=("match",))).empty
