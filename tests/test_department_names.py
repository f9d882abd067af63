"""Issue 20 (6): department names are normalised once (NFKC, no whitespace) at import and in permission
checks alike, so 'spacing or full-width variants' are one department, not a second one the check lets by."""
from __future__ import annotations

import pytest

from perfboard import auth, cells
from perfboard.auth import PermissionDenied, User
from perfboard.importer import commit, prepare
from perfboard.summary import filter_options

LOCAL = auth.local_admin("测试")


def csv(dept: str, name: str = "项目一", budget: float = 10) -> bytes:
    return f"年度,主管部门,项目名称,全年预算数,全年执行数\n2030,{dept},{name},{budget},5\n".encode()


@pytest.mark.parametrize("variant", ["甲局", " 甲局 ", "甲 局", "甲\u3000局", "甲局\t"])
def test_variants_are_one_stored_department(store, variant):
    assert cells.department(variant) == "甲局"
    plan = prepare(store, [("x.csv", csv(variant))])
    assert plan.ok, plan.report.to_frame()
    commit(store, plan)
    assert store.sql_df("SELECT DISTINCT department FROM projects")["department"].tolist() == ["甲局"]


def test_full_width_letters_and_digits_are_folded(store):
    commit(store, prepare(store, [("x.csv", csv("ＡＢ市第１局"))]))
    assert store.scalar("SELECT department FROM projects") == "AB市第1局"


def test_a_variant_replaces_the_same_scope_instead_of_adding_a_department(store):
    commit(store, prepare(store, [("a.csv", csv("甲局", budget=10))]))
    plan = prepare(store, [("b.csv", csv("甲\u3000局", budget=99))])
    assert not plan.ok and plan.existing_scopes == [(2030, "甲局")]        # replace needed: same department
    plan = prepare(store, [("b.csv", csv("甲\u3000局", budget=99))], replace=True)
    auth.add_user(store, "admin0", "password-123", "admin", by=LOCAL)
    editor = User(name="e", role="editor", departments=("甲 局",))          # the user's spelling differs too
    commit(store, plan, user=editor)
    assert store.sql_df("SELECT department, budget FROM projects").values.tolist() == [["甲局", 99.0]]
    # the same key decides the permission: another department's editor is refused
    with pytest.raises(PermissionDenied):
        commit(store, prepare(store, [("c.csv", csv("甲局", budget=1))], replace=True),
               user=User(name="o", role="editor", departments=("乙局",)))


def test_users_departments_are_stored_normalised_and_pickers_follow_them(store):
    commit(store, prepare(store, [("a.csv", csv("甲局") + "2030,乙局,项目二,20,5\n".encode())]))
    u = auth.add_user(store, "li", "password-123", "viewer", ["甲\u3000局 "], by=LOCAL)
    assert u.departments == ("甲局",)
    assert filter_options(store, auth.department_scope(u))["departments"] == ["甲局"]
    assert filter_options(store, None)["departments"] == ["乙局", "甲局"]
