"""Issue 15: the sample states only what the reference report states; the illustrative 2023 year is
never added to the real 2024; the sample can be removed (alone, or in the same transaction as an import)."""
from __future__ import annotations

import json

import pytest
from openpyxl import Workbook, load_workbook

from perfboard import importer
from perfboard.db import Store
from perfboard.sample import SAMPLE_DIR, fictional_years, remove_sample, sample_in_use

from test_cli import run

WB_2024 = SAMPLE_DIR / "zhangye-kjj-2024.xlsx"


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


@pytest.fixture(scope="module")
def book():
    return load_workbook(WB_2024)


def test_sample_leaves_unstated_fields_empty(book):
    projects = _rows(book["项目"])
    assert [p["年初预算数（万元）"] for p in projects] == [None] * 12          # the report gives no such figure
    sources = {p["项目名称"]: p["资金来源"] for p in projects if p["资金来源"]}
    assert sources == {                                                     # only where the report says so
        "“张掖科技”政务新媒体平台管理运维": "市级财政资金",
        "市级科技计划项目": "上年结转资金",
        "2024 年重点工作完成情况奖励资金": "省级转移支付资金",
        "2024 年第一、二批省级科技计划项目资金": "省级转移支付资金",
    }
    assert round(sum(p["全年预算数（万元）"] for p in projects), 6) == 636.98
    assert round(sum(p["全年执行数（万元）"] for p in projects), 6) == 635.517


def test_goal_targets_of_projects_6_and_7_are_indicators_without_actuals(book):
    rows = _rows(book["绩效指标"])
    no_actual = [(r["项目名称"], r["三级指标"], r["年度指标值"]) for r in rows if not r["实际完成值"]]
    assert no_actual == [
        ("完成技术合同登记任务指标机构奖励", "全市技术合同认定登记金额增长率", "10%"),
        ("完成技术合同登记任务指标机构奖励", "全市技术合同认定登记金额", "50亿元以上"),
        ("市级科技计划项目", "建成科技管理信息系统功能模块（并使用正常）", "6个"),
        ("市级科技计划项目", "培训市县两级项目管理人员", "20人以上"),
        ("市级科技计划项目", "租赁服务器", "1台"),
        ("市级科技计划项目", "签订运维合同期限", "3年以上"),
    ]
    assert all(not r["评价结论"] for r in rows if not r["实际完成值"])     # no judgement without an actual
    notes = "\n".join(r[0] for r in book["说明"].iter_rows(min_row=2, values_only=True) if r[0])
    for choice in ("年初预算数", "资金来源留空", "增长 10%", "6 个功能模块", "招商引资 3.537 / 5 = 70.74%"):
        assert choice in notes
    assert "/work/" not in notes and "shared/" not in notes                # nothing outside the project


def test_summary_without_year_never_adds_the_illustrative_year(sample_db_path):
    s = Store(sample_db_path)
    try:
        assert fictional_years(s) == [2023]
        assert s.scalar("SELECT count(*) FROM projects") == 24          # both years are loaded
    finally:
        s.close()
    r = run("summary", "--db", sample_db_path, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["years"] == [2024]
    assert (out["projects"], round(out["budget_wan"], 2), round(out["spent_wan"], 3)) == (12, 636.98, 635.517)
    text = run("summary", "--db", sample_db_path).stdout
    assert "636.98" in text and "1,248.98" not in text
    out = json.loads(run("summary", "--db", sample_db_path, "--json", "--year", "2023").stdout)
    assert (out["years"], out["projects"]) == ([2023], 12)               # one year at a time, when asked


def _counts(path):
    s = Store(path)
    try:
        return {t: s.scalar(f"SELECT count(*) FROM {t}") for t in ("projects", "indicators", "project_funds")} | {
            "sample_projects": len(sample_in_use(s))}
    finally:
        s.close()


def test_sample_remove_leaves_no_sample_row(sample_db_path):
    r = run("sample", "--remove", "--db", sample_db_path)
    assert r.returncode == 0, r.stderr
    assert "已删除示例数据：24 个项目" in r.stdout
    assert _counts(sample_db_path) == {"projects": 0, "indicators": 0, "project_funds": 0, "sample_projects": 0}
    s = Store(sample_db_path)
    try:
        assert s.scalar("SELECT count(*) FROM project_matches") == 0
        assert s.scalar("SELECT outcome FROM import_log ORDER BY id DESC LIMIT 1") == "removed"
        assert s.get_setting("sample_offered") is True                  # the app does not load it again
    finally:
        s.close()
    assert "没有示例数据" in run("sample", "--remove", "--db", sample_db_path).stdout


def _real_workbook(path, dept="张掖市科学技术局", year=2024):
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws.append(["年度", "主管部门", "项目名称", "全年预算数（万元）", "全年执行数（万元）"])
    ws.append([year, dept, "真实项目甲", 20, 10])
    wb.save(path)
    return path


def test_import_offers_and_removes_the_sample_in_the_same_transaction(sample_store, tmp_path):
    files = [("real.xlsx", _real_workbook(tmp_path / "real.xlsx").read_bytes())]
    plan = importer.prepare(sample_store, files)
    assert plan.sample_loaded and plan.existing_scopes == [(2024, "张掖市科学技术局")]   # needs a replace
    plan = importer.prepare(sample_store, files, remove_sample=True)
    assert plan.ok and plan.existing_scopes == []            # the scope only holds sample rows, removed anyway
    importer.commit(sample_store, plan)
    assert sample_store.scalar("SELECT count(*) FROM projects") == 1
    assert sample_store.scalar("SELECT name FROM projects") == "真实项目甲"
    assert sample_in_use(sample_store) == []


def test_failed_import_keeps_the_sample(sample_store, tmp_path, monkeypatch):
    files = [("other.xlsx", _real_workbook(tmp_path / "o.xlsx", dept="张掖市财政局").read_bytes())]
    plan = importer.prepare(sample_store, files, remove_sample=True)

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(importer, "_insert", boom)
    with pytest.raises(RuntimeError):
        importer.commit(sample_store, plan)
    assert sample_store.scalar("SELECT count(*) FROM projects") == 24
    assert len(sample_in_use(sample_store)) == 2


def test_remove_sample_keeps_real_rows(sample_store, tmp_path):
    plan = importer.prepare(sample_store, [("fin.xlsx", _real_workbook(tmp_path / "f.xlsx", "张掖市财政局").read_bytes())])
    importer.commit(sample_store, plan)
    assert remove_sample(sample_store) == (24, 104)         # 62 + 42 indicators
    assert sample_store.scalar("SELECT count(*) FROM projects") == 1


def test_brief_without_a_year_is_the_latest_and_labels_the_invented_base(sample_store):
    from perfboard.export.brief import brief_data
    from perfboard.filters import Filters
    d = brief_data(sample_store, Filters(), with_chart=False)
    assert d.title == "张掖市科学技术局 2024 年度预算绩效简报"
    figures = {f.label: f.value for f in d.figures}
    assert (figures["项目数"], figures["全年预算数（万元）"]) == ("12 个", "636.98")      # not 24 / 1,248.98
    assert "2023 年度（示例（虚构））" in d.subtitle                                     # compared, and said so
    assert all(a["name"].startswith("2023") is False or "省科学技术奖励" in a["name"] for a in d.attention)
    d = brief_data(sample_store, Filters(year=2023), with_chart=False)
    assert "示例（虚构）" in d.title
