"""AppTest of 自评复核: the page shows the same findings as `review --json`, groups them by severity, links a
finding's project to 指标填报 and records a reviewer's decision."""
from __future__ import annotations

import json

import pytest

from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import open_page
from ui import state

pytestmark = pytest.mark.usefixtures("frame")
PAGE = "pages/review.py"


def _json(db, capsys, *args):
    from perfboard.cli import main
    assert main(["review", "--db", str(db), "--year", "2024", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def _shown(at) -> list[tuple]:
    """(规则, 项目, 位置, 复核发现) of every row of the page's three severity tables."""
    rows = []
    for df in at.dataframe:
        v = df.value
        if "复核发现" in v.columns:
            rows += [tuple(r) for r in v[["规则", "项目", "位置", "复核发现"]].fillna("").astype(str).itertuples(index=False)]
    return rows


def test_page_and_cli_agree(app_env, capsys):
    from perfboard.review import RULES
    out = _json(app_env, capsys)
    at = open_page(PAGE)
    want = sorted((RULES[i["code"]].title, i["project"] or "", i["location"], i["message"]) for i in out["findings"])
    # 18 + the 4 indicators without a target; the sample states the goal targets of projects 6 and 7 (issue 15):
    # +6 missing-actual, +2 missing-improvement (their unmet targets), -1 thin-indicators (project 7 has 4 产出 now)
    assert sorted(_shown(at)) == want and len(want) == 29
    metrics = {m.label: m.value for m in at.metric}
    for sev in ("P0", "P1", "P2"):
        assert int(metrics[next(k for k in metrics if k.startswith(sev))]) == \
            sum(i["severity"] == sev for i in out["findings"])
    assert [s.value for s in at.subheader][0].startswith("P0 严重（1 条")


def test_rule_filter(app_env, capsys):
    out = _json(app_env, capsys, "--rule", "unit-mismatch")
    at = open_page(PAGE)
    at.multiselect(key="rv_rules").set_value(["unit-mismatch"]).run()
    assert not at.exception
    assert len(_shown(at)) == len(out["findings"]) == 3


def test_pick_decide_and_link(app_env):
    at = open_page(PAGE)
    at.session_state["rv_rules"] = ["missing-improvement"]
    at.run()
    from perfboard.db import Store
    from perfboard.filters import Filters
    from perfboard.review import findings
    with Store(app_env) as s:
        key = findings(s, Filters(year=2024), codes=["missing-improvement"]).iloc[0]["key"]
    at.session_state["rv_pick"] = key
    at.run()
    assert not at.exception
    assert any("2024 年招商引资" in m.value and "改进措施" in m.value for m in at.markdown)
    at.radio[0].set_value("rejected")
    at.button(key="FormSubmitter:rv_decide-保存复核结论").click().run()
    assert any("不采纳需填写理由" in e.value for e in at.error)
    at.radio[0].set_value("verified")
    at.text_input[0].set_value("已电话核实，单位将补充")
    at.button(key="FormSubmitter:rv_decide-保存复核结论").click().run()
    assert not at.exception
    assert any("已保存复核结论：已核实" in s.value for s in at.success)
    link = next(b for b in at.button if b.label == "在指标填报中打开此项目")
    link.click().run()
    assert not at.exception
    assert at.session_state[state.K_EDIT_PROJECT] == 4
    assert any("改进措施" in i.value for i in at.info)


def test_settings_panel_changes_a_rule_and_is_audited(app_env):
    from tests.dashboard_helpers import opened
    at = open_page("pages/settings.py")
    at.selectbox(key="rv_sev_unit-mismatch").set_value("P0")
    at.number_input(key="rv_set_thin_min_output").set_value(2)
    at.button(key="FormSubmitter:review_rules-保存").click().run()
    assert not at.exception
    with opened(app_env) as s:
        cfg = s.get_setting("review")
        log = s.sql_df("SELECT key FROM settings_log")["key"].tolist()
    assert cfg["severity"]["unit-mismatch"] == "P0" and cfg["thin_min_output"] == 2 and log == ["review"]
    at.switch_page(PAGE).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["P0 严重"] == "4"          # the rate mismatch and the three unit mismatches
    thin = [r[1] for r in _shown(at) if r[0] == "产出指标过少"]
    assert thin == ["2024 年第一、二批省级科技计划项目资金"]        # 1 产出; those with 2 no longer count
