"""Issue 17 follow-ups: the monitoring importer stores department names folded as the main importer does
(cells.department), and departments that only have monitoring snapshots are offered by the sidebar picker
(without adding their years or funding sources to the other pickers)."""
from __future__ import annotations

from monitor_fixtures import flat_book
from perfboard.importer import commit, prepare
from perfboard.summary import filter_options


def load(store, data: bytes, name: str):
    plan = prepare(store, [(name, data)])
    assert plan.ok, [(p.code, p.sheet, p.row, p.column) for p in plan.report.errors]
    commit(store, plan)
    return plan


def test_monitoring_departments_are_folded_like_the_main_importers(store):
    load(store, flat_book([[2024, 6, "乙\u3000局", "项目一", 10, 5, 10], [2024, 6, " 乙局", "项目二", 20, 10, 20]]),
         "监控.xlsx")
    assert store.sql_df("SELECT DISTINCT department FROM monitor_projects")["department"].tolist() == ["乙局"]


def test_variants_in_one_file_are_one_department_so_a_repeated_project_is_refused(store):
    plan = prepare(store, [("监控.xlsx", flat_book([[2024, 6, "乙 局", "项目一", 10, 5, 10],
                                                     [2024, 6, "乙局", "项目一", 10, 5, 10]]))])
    assert [p.code for p in plan.report.errors] == ["duplicate-project"]


def test_monitoring_only_departments_are_offered_by_the_picker(store):
    load(store, "年度,主管部门,项目名称,全年预算数,全年执行数\n2024,甲局,p,10,5\n".encode(), "x.csv")
    assert filter_options(store)["departments"] == ["甲局"]
    load(store, flat_book([[2025, 6, "乙局", "项目一", 10, 5, 10]]), "监控.xlsx")
    opts = filter_options(store)
    assert opts["departments"] == ["乙局", "甲局"]
    assert opts["years"] == [2024] and opts["funding_sources"] == ["未填写"]     # monitoring adds departments only
    assert filter_options(store, ("乙 局",))["departments"] == ["乙局"]          # a user's scope folds too
