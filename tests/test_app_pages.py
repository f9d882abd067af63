"""Every registered page opens on the sample data without an exception."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard_helpers import frame  # noqa: F401  (fixture: run app.py around each page)
from tests.hostile.markup import visible

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
REGISTERED = re.findall(r'st\.Page\("(pages/[^"]+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8"))


def test_every_page_file_is_registered():
    files = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
    assert sorted(REGISTERED) == files


@pytest.mark.parametrize("page", REGISTERED)
def test_page_opens_without_exception(app_env, frame, page):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} shows no title"
    assert at.sidebar.text_input, f"{page} lost the frame's sidebar filters"
    assert any("示例数据" in c.value for c in at.caption), f"{page} lost the frame's sample label"


def test_fresh_database_loads_and_labels_sample(monkeypatch, tmp_path):
    import streamlit as st
    monkeypatch.setenv("PERFBOARD_DB", str(tmp_path / "fresh.duckdb"))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert any("示例数据" in c.value and "zhangye-kjj-2024.xlsx" in visible(c.value) for c in at.caption)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["项目数"] == "12 个"
    assert metrics["全年预算数（万元）"] == "636.98"
    assert metrics["执行率"] == "99.77%"


def test_tables_show_a_dash_not_none_for_missing_values(app_env, frame):
    """st.dataframe draws a missing value as "None" unless told otherwise: a reported rate left blank must
    read "—" to a performance officer, and an empty editor cell must look empty."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/execution.py").run()
    assert not at.exception
    assert at.dataframe and {d.proto.placeholder for d in at.dataframe} == {"—"}
    at.switch_page("pages/indicators_edit.py").run()
    assert not at.exception
    editors = [e for e in at.dataframe if e.proto.editing_mode]
    assert editors and all(e.proto.placeholder == "" for e in editors)
