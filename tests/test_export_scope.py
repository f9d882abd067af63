"""Issue 10: every export (tables, forms, report, brief) and the CLI read commands give a viewer or editor
limited to departments only their departments; enforced in perfboard.export given the user (auth.scoped),
whatever filters the caller passes. Two departments: the 2024 sample as 张掖市科学技术局 and as 乙局."""
from __future__ import annotations

import io
import json

import openpyxl
import pytest

from perfboard import auth, importer
from perfboard.auth import PermissionDenied, User
from perfboard.cli import main
from perfboard.export.brief import brief_data, brief_docx
from perfboard.export.catalog import build_table
from perfboard.export.forms import form_projects, forms_xlsx
from perfboard.export.report import report_docx, report_model
from perfboard.filters import Filters
from perfboard.sample import sample_files

KJJ, OTHER = "张掖市科学技术局", "乙局"
PW = "password-123"
LOCAL = auth.local_admin("测试")
VIEWER = User(name="li", role="viewer", departments=(OTHER,))
ADMIN = User(name="wang", role="admin")
F2024 = Filters(year=2024)


@pytest.fixture
def two_depts(sample_store, monkeypatch):
    monkeypatch.setattr(auth, "BCRYPT_ROUNDS", 4)
    src = next(p for p in sample_files() if "2024" in p.name)
    plan = importer.prepare(sample_store, [("乙局-2024.xlsx", src.read_bytes())], department=OTHER)
    assert plan.ok
    importer.commit(sample_store, plan)
    auth.add_user(sample_store, "wang", PW, "admin", by=LOCAL)
    auth.add_user(sample_store, "li", PW, "viewer", [OTHER], by=LOCAL)
    return sample_store


def test_tables_only_hold_the_users_departments(two_depts):
    _, df, totals = build_table(two_depts, F2024, "projects", user=ADMIN)
    assert set(df["主管部门"]) == {KJJ, OTHER} and len(df) == 24
    _, df, totals = build_table(two_depts, F2024, "projects", user=VIEWER)
    assert set(df["主管部门"]) == {OTHER} and len(df) == 12
    # asking for another department by name gives nothing, not everything
    _, df, _ = build_table(two_depts, Filters(year=2024, departments=(KJJ,)), "projects", user=VIEWER)
    assert len(df) == 0
    _, df, _ = build_table(two_depts, F2024, "by-department", user=VIEWER)
    assert df.iloc[:, 0].tolist() == [OTHER]


def test_forms_report_and_brief_only_hold_the_users_departments(two_depts):
    assert {p.department for p in form_projects(two_depts, F2024, user=ADMIN)} == {KJJ, OTHER}
    forms = form_projects(two_depts, F2024, user=VIEWER)
    assert len(forms) == 12 and {p.department for p in forms} == {OTHER}
    kjj_id = int(two_depts.scalar("SELECT min(id) FROM projects WHERE department = ?", [KJJ]))
    assert form_projects(two_depts, F2024, project_ids=[kjj_id], user=VIEWER) == []   # by id: still refused
    wb = openpyxl.load_workbook(io.BytesIO(forms_xlsx(two_depts, F2024, user=VIEWER)))
    assert len(wb.sheetnames) == 12

    groups = report_model(two_depts, F2024, user=VIEWER).groups
    assert len(groups) == 1 and OTHER in groups[0][0] and KJJ not in groups[0][0]
    with pytest.raises(ValueError, match="没有项目"):
        report_docx(two_depts, Filters(year=2024, departments=(KJJ,)), user=VIEWER)

    b = brief_data(two_depts, F2024, with_chart=False, user=VIEWER)
    assert OTHER in b.title and KJJ not in b.title + " ".join(a.get("name", "") for a in b.attention)
    figures = {f.label: f.value for f in b.figures}
    assert (figures["项目数"], figures["全年预算数（万元）"]) == ("12 个", "636.98")      # 乙局 alone, not 24 / 1,273.96
    admin = {f.label: f.value for f in brief_data(two_depts, F2024, with_chart=False, user=ADMIN).figures}
    assert (admin["项目数"], admin["全年预算数（万元）"]) == ("24 个", "1,273.96")


@pytest.mark.parametrize("call", [
    lambda s: build_table(s, F2024, "projects"),
    lambda s: form_projects(s, F2024),
    lambda s: report_docx(s, F2024),
    lambda s: brief_docx(s, F2024),
    lambda s: build_table(s, F2024, "projects", user=User(name="x", role="viewer", departments=(OTHER,), disabled=True)),
])
def test_no_user_or_disabled_user_exports_nothing_once_users_exist(two_depts, call):
    with pytest.raises(PermissionDenied):
        call(two_depts)


def test_single_user_mode_exports_everything(sample_store):
    _, df, _ = build_table(sample_store, F2024, "projects")
    assert len(df) == 12


# ---------------------------------------------------------------- CLI --user
def _cli(monkeypatch, capsys, db, *args, stdin: str | None = None):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
    code = main([*args, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_summary_per_user(two_depts, sample_db_path, monkeypatch, capsys):
    two_depts.close()
    code, out, err = _cli(monkeypatch, capsys, sample_db_path, "summary", "--json", "--year", "2024")
    assert code == 1 and "--user" in err                              # users exist: who is asking?
    code, out, err = _cli(monkeypatch, capsys, sample_db_path, "summary", "--json", "--year", "2024",
                          "--user", "li", stdin=PW + "\n")
    assert code == 0, err
    s = json.loads(out)
    assert s["projects"] == 12 and {i["department"] for i in s["items"]} == {OTHER}
    assert round(s["budget_wan"], 2) == 636.98
    code, out, err = _cli(monkeypatch, capsys, sample_db_path, "summary", "--json", "--year", "2024",
                          "--user", "wang", stdin=PW + "\n")
    assert code == 0 and json.loads(out)["projects"] == 24
    code, out, err = _cli(monkeypatch, capsys, sample_db_path, "summary", "--user", "li", stdin="wrong-password\n")
    assert code == 1 and auth.GENERIC_FAILURE in err and "Traceback" not in err


def test_cli_exports_per_user(two_depts, sample_db_path, monkeypatch, capsys, tmp_path):
    two_depts.close()
    out_file = tmp_path / "p.csv"
    code, _, err = _cli(monkeypatch, capsys, sample_db_path, "export", "--what", "projects", "--year", "2024",
                        "--out", str(out_file))
    assert code == 1 and "--user" in err and not out_file.exists()
    code, _, err = _cli(monkeypatch, capsys, sample_db_path, "export", "--what", "projects", "--year", "2024",
                        "--out", str(out_file), "--user", "li", stdin=PW + "\n")
    assert code == 0, err
    text = out_file.read_text(encoding="utf-8-sig")
    assert OTHER in text and KJJ not in text
    code, _, err = _cli(monkeypatch, capsys, sample_db_path, "forms", "--year", "2024", "--out",
                        str(tmp_path / "f.xlsx"), "--user", "li", stdin=PW + "\n")
    assert code == 0, err
    assert len(openpyxl.load_workbook(tmp_path / "f.xlsx").sheetnames) == 12
