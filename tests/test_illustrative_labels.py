"""Issue 15: wherever the sample's invented year (2023, 示例（虚构）) is shown or compared against, the same page
or exported sheet says 示例（虚构） next to the data; a page or file of real data only does not; and no output
adds the invented year to the real one."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from perfboard.db import Store
from perfboard.export.tables import to_csv, to_xlsx
from perfboard.export.workpaper import workpaper_xlsx
from perfboard.filters import Filters
from perfboard.review import findings
from perfboard.sample import illustrative_note, illustrative_years

from test_cli import run

APP = str(Path(__file__).resolve().parent.parent / "app.py")
BADGE = ":orange-badge[示例（虚构）]"            # the page's own label (the frame's banner reads differently)
SHOWN = "2023 年度的数据为示例（虚构）数据，不是真实数据，仅供演示。"
COMPARED = "对比的 2023 年度为示例（虚构）数据，同比变化仅供演示。"


def open_page(page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def labels(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith(BADGE)]


# ---------------------------------------------------------------- the rule, in perfboard
def test_which_years_are_illustrative(sample_store):
    assert illustrative_years(sample_store, Filters(year=2023)) == ([2023], [])
    assert illustrative_years(sample_store, Filters(year=2024)) == ([], [])
    assert illustrative_years(sample_store, Filters(year=2024), [2023]) == ([], [2023])
    assert illustrative_years(sample_store, Filters()) == ([2023], [])          # no year: every year the rows hold
    assert illustrative_years(sample_store, Filters(year=2023, departments=("张掖市财政局",))) == ([], [])
    assert illustrative_note(sample_store, Filters(year=2023)) == SHOWN
    assert illustrative_note(sample_store, Filters(year=2024), [2023]) == COMPARED
    assert illustrative_note(sample_store, Filters(year=2024)) == ""


# ---------------------------------------------------------------- pages
PAGES = ["pages/overview.py", "pages/execution.py", "pages/deviations.py", "pages/review.py",
         "pages/indicators_edit.py", "pages/history.py", "pages/reports.py"]


@pytest.mark.parametrize("page", PAGES)
def test_page_of_the_invented_year_says_so(app_env, page):
    at = open_page(page, f_year=2023)
    assert labels(at) == [f"{BADGE} {SHOWN}"], page


def test_overview_compared_with_the_invented_year_says_so(app_env):
    at = open_page("pages/overview.py", f_year=2024)
    assert "箭头为与 2023 年度同口径比较" in "\n".join(c.value for c in at.caption)
    assert labels(at) == [f"{BADGE} {COMPARED}"]


@pytest.mark.parametrize("page", ["pages/execution.py", "pages/deviations.py", "pages/indicators_edit.py",
                                  "pages/reports.py"])
def test_page_of_real_data_has_no_label(app_env, page):
    at = open_page(page, f_year=2024)
    assert labels(at) == [], page


# ---------------------------------------------------------------- exported tables, CLI and page writers
def _xlsx_text(path_or_bytes) -> list[str]:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    ws = load_workbook(src).worksheets[0]
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_cli_table_export_of_the_invented_year_says_so(sample_db_path, tmp_path):
    out = tmp_path / "t.xlsx"
    r = run("export", "--what", "projects", "--year", "2023", "--out", out, "--db", sample_db_path)
    assert r.returncode == 0, r.stderr
    ws = load_workbook(out).worksheets[0]
    assert ws["A2"].value.startswith(SHOWN) and "筛选：2023 年度" in ws["A2"].value   # just above the header
    assert ws["A3"].value == "项目名称"
    out = tmp_path / "t.csv"
    assert run("export", "--what", "projects", "--year", "2023", "--out", out, "--db", sample_db_path).returncode == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "数据说明" and rows[0][1] == "项目名称"
    assert len(rows) == 1 + 12 + 1 and all(r[0] == SHOWN for r in rows[1:])    # 12 projects and 合计


def test_cli_table_export_without_year_is_the_real_year_only(sample_db_path, tmp_path):
    out = tmp_path / "t.csv"
    r = run("export", "--what", "projects", "--out", out, "--db", sample_db_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "项目名称" and "数据说明" not in rows[0]              # real data: no label
    assert len(rows) == 1 + 12 + 1                                             # 2024 only, never 24 projects
    total = rows[-1]
    assert "636.98" in total and "1248.98" not in total
    out = tmp_path / "t.xlsx"
    assert run("export", "--what", "projects", "--out", out, "--db", sample_db_path).returncode == 0
    assert not any("示例（虚构）" in v for v in _xlsx_text(out))


def test_page_writers_carry_the_note(sample_store):
    import pandas as pd
    df = pd.DataFrame({"项目名称": ["甲"], "全年预算数（万元）": [5.0]})
    ws = load_workbook(io.BytesIO(to_xlsx(df, "项目执行情况", Filters(year=2023), note=SHOWN))).worksheets[0]
    assert ws["A2"].value.startswith(SHOWN)
    text = to_csv(df, note=SHOWN).decode("utf-8-sig").splitlines()
    assert text[0] == "数据说明,项目名称,全年预算数（万元）" and text[1] == f"{SHOWN},甲,5"
    assert to_csv(df).decode("utf-8-sig").splitlines()[0] == "项目名称,全年预算数（万元）"


def test_workpaper_rows_of_the_invented_year_say_so(sample_store):
    f = findings(sample_store, Filters(year=2023))
    assert len(f)
    wb = load_workbook(io.BytesIO(workpaper_xlsx(f, "2023", fictional=[2023])))
    where = [r[3] for r in wb["复核底稿"].iter_rows(min_row=2, values_only=True) if r[3]]
    assert where and all(w.startswith("2023 年度（示例（虚构）） · ") for w in where)
    assert [r[0] for r in wb["单位汇总"].iter_rows(min_row=2, values_only=True)] == ["2023 年度（示例（虚构））"]


def test_cli_workpaper_labels_the_invented_year_only(sample_db_path, tmp_path):
    # the CLI passes the invented years itself; the real year stays a plain number
    out = tmp_path / "wp.xlsx"
    assert run("review", "--year", "2024", "--out", out, "--db", sample_db_path).returncode == 0
    wb = load_workbook(out)
    assert [r[0] for r in wb["单位汇总"].iter_rows(min_row=2, values_only=True)] == [2024]
    assert not any("示例（虚构）" in str(r[3]) for r in wb["复核底稿"].iter_rows(min_row=2, values_only=True))
    assert run("review", "--year", "2023", "--out", out, "--db", sample_db_path).returncode == 0
    assert [r[0] for r in load_workbook(out)["单位汇总"].iter_rows(min_row=2, values_only=True)] == ["2023 年度（示例（虚构））"]


def test_score_and_summary_without_year_never_add_the_years(sample_db_path):
    out = json.loads(run("summary", "--db", sample_db_path, "--json").stdout)
    assert (out["years"], out["projects"]) == ([2024], 12)
    r = run("score", "--db", sample_db_path, "--json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    items = items["items"] if isinstance(items, dict) else items
    assert len(items) == 12 and {i.get("year", 2024) for i in items} == {2024}
