"""In-year monitoring (issue 17): importing 执行监控表 forms and flat sheets, the default rules, replace, settings."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from monitor_fixtures import JIA, YI, flat_book, form_book
from perfboard import auth, cli, monitoring
from perfboard.db import Store
from perfboard.filters import Filters
from perfboard.importer import ImportRefused, commit, prepare
from perfboard.monitoring_forms import tick


@pytest.fixture
def store():
    s = Store(":memory:")
    yield s
    s.close()


def load(store, data: bytes, name: str = "监控.xlsx", replace: bool = False):
    plan = prepare(store, [(name, data)], replace=replace)
    assert plan.ok, [(p.code, p.sheet, p.row, p.column, p.value) for p in plan.report.errors]
    commit(store, plan)
    return plan


def errors(plan):
    return [(p.code, p.sheet, p.row, p.column) for p in plan.report.errors]


def by_name(out):
    return {i["name"]: i for i in out["items"]}


# ---------------------------------------------------------------- the two-project 1—7月 form
def test_two_project_form_imports_and_monitor_json_applies_default_rules(tmp_path, capsys):
    db = tmp_path / "m.duckdb"
    path = tmp_path / "监控表.xlsx"
    path.write_bytes(form_book())
    assert cli.main(["import", str(path), "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["monitor", "--db", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["year"] == 2024 and out["period_month"] == 7
    assert out["time_progress"] == pytest.approx(7 / 12)
    items = by_name(out)
    jia, yi = items[JIA["name"]], items[YI["name"]]
    # 甲: 30 / 100 = 30%, behind 58.33% by 28.3 points (>= 20) -> 红, at risk for that alone
    assert (jia["budget_wan"], jia["spent_to_date_wan"], jia["forecast_spent_wan"]) == (100.0, 30.0, 95.0)
    assert jia["execution_rate"] == pytest.approx(0.30)
    assert jia["light"] == "红" and jia["at_risk"] is True
    assert len(jia["risk_reasons"]) == 1 and "28.3 个百分点" in jia["risk_reasons"][0]
    assert jia["department"] == "张掖市科学技术局"          # the code after the name is dropped
    # 乙: 110 / 200 = 55%, behind by 3.3 points -> 黄; forecast 170 = 85% of budget (< 90%) and an indicator
    # 完全不可能 -> at risk for those two
    assert yi["execution_rate"] == pytest.approx(0.55)
    assert yi["light"] == "黄" and yi["at_risk"] is True
    assert len(yi["risk_reasons"]) == 2
    assert "完全不可能" in yi["risk_reasons"][0] and "85.0%" in yi["risk_reasons"][1]
    lights = {i["name"]: i["light"] for it in out["items"] for i in it["indicators"]}
    assert lights == {
        "平台建设数量": "黄",        # 5 / (12 x 7/12 = 7) = 71.4%
        "验收合格率": "绿",          # 质量: 100% within =100%
        "资金拨付时间": "红",        # reverse ≤30天, 35天 outside
        "科技服务能力": "黄",        # qualitative 部分达到
        "企业满意度": "蓝",          # 92 / (90 x 7/12 = 52.5) = 175%
        "选派科技特派员人数": "蓝",  # 70 / 58.33 = exactly 120% -> 蓝
        "技术培训场次": "红",        # 8 / 14 = 57.1%
    }
    training = next(i for i in yi["indicators"] if i["name"] == "技术培训场次")
    assert training == {"name": "技术培训场次", "target": "≥24场", "actual_to_date": "8场", "forecast": "12场",
                        "light": "红", "likelihood": "完全不可能", "reasons": ["经费保障", "人员保障", "审批延迟"]}


@pytest.mark.parametrize("layout", [dict(stacked=True), dict(adjusted=True, likelihood_ticks=True),
                                    dict(stacked=True, adjusted=True, likelihood_ticks=True)])
def test_other_layouts_read_the_same(store, layout):
    plan = load(store, form_book(**layout))
    assert (plan.projects, plan.indicators) == (2, 7)
    out = by_name(monitoring.monitor_json(store))
    assert out[JIA["name"]]["light"] == "红" and out[YI["name"]]["light"] == "黄"
    training = next(i for i in out[YI["name"]]["indicators"] if i["name"] == "技术培训场次")
    assert training["likelihood"] == "完全不可能" and training["reasons"] == ["经费保障", "人员保障", "审批延迟"]
    funds = store.sql_df("SELECT kind, budget, spent_to_date FROM monitor_funds ORDER BY project_id, kind")
    assert funds.values.tolist()[:2] == [["fiscal", 80.0, 30.0], ["other", 20.0, 0.0]]


def test_a_form_without_period_or_year_is_refused_with_its_location(store):
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(form_book(projects=(JIA,))))
    ws = wb.active
    for row in ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and "1—7月" in c.value:
                c.value = c.value.replace("1—7月", "")
    ws["A1"] = "项目支出绩效目标执行监控表"
    buf = io.BytesIO()
    wb.save(buf)
    plan = prepare(store, [("x.xlsx", buf.getvalue())])
    assert errors(plan) == [("monitor-no-year", "监控表1", 2, None)]
    ws["A1"] = "2024年度项目支出绩效目标执行监控表"
    buf = io.BytesIO()
    wb.save(buf)
    plan = prepare(store, [("x.xlsx", buf.getvalue())])
    assert errors(plan) == [("monitor-no-period", "监控表1", 4, None)]
    assert store.scalar("SELECT count(*) FROM monitor_projects") == 0


# ---------------------------------------------------------------- the rules, pinned at their boundaries
def _flat_projects(rows, month=6):
    """rows: (name, budget, spent, forecast)."""
    return flat_book([[2024, month, "测试局", n, b, s, f] for n, b, s, f in rows])


def test_execution_light_boundaries(store):
    # period 6: 序时进度 50%; 黄 when behind by less than 20 points, 红 from 20 points
    load(store, _flat_projects([("恰好序时", 100, 50, 100), ("略落后", 100, 49.99, 100),
                                ("落后不足20点", 100, 30.01, 100), ("恰好落后20点", 100, 30, 100),
                                ("超序时", 100, 80, 100), ("无预算", 0, 0, None)]))
    out = by_name(monitoring.monitor_json(store))
    assert {k: v["light"] for k, v in out.items()} == {"恰好序时": "绿", "略落后": "黄", "落后不足20点": "黄",
                                                       "恰好落后20点": "红", "超序时": "绿", "无预算": "无预算"}
    assert {k for k, v in out.items() if v["at_risk"]} == {"恰好落后20点"}


def test_forecast_rule_at_90_percent(store):
    load(store, _flat_projects([("预计90%", 100, 60, 90), ("预计89.99%", 100, 60, 89.99), ("未填预计", 100, 60, None)]))
    out = by_name(monitoring.monitor_json(store))
    assert {k: v["at_risk"] for k, v in out.items()} == {"预计90%": False, "预计89.99%": True, "未填预计": False}
    assert out["预计89.99%"]["risk_reasons"] == ["全年预计执行数 89.99 万元，为预算的 90.0%（低于 90%）"]


def _indicator_lights(store, indicators, month=6):
    """indicators: (level2, level3, target, actual[, likelihood]) of one project -> {level3: light}."""
    rows = [[2024, month, "指标项目", "产出指标", l2, l3, t, a, None, None, None, None, None, None,
             (rest[0] if rest else None), None] for l2, l3, t, a, *rest in indicators]
    load(store, flat_book([[2024, month, "测试局", "指标项目", 100, 50, 100]], rows), replace=True)
    item = monitoring.monitor_json(store)["items"][0]
    return {i["name"]: i["light"] for i in item["indicators"]}, item


def test_positive_indicator_light_boundaries(store):
    # period 6: the standard of ≥100 is 50; 红 < 60% (30), 黄 60–80% (30–40), 绿 80–120% (40–60), 蓝 >= 120%
    lights, _ = _indicator_lights(store, [("数量指标", "a", "≥100项", "29.99项"), ("数量指标", "b", "≥100项", "30项"),
                                          ("数量指标", "c", "≥100项", "39.99项"), ("数量指标", "d", "≥100项", "40项"),
                                          ("数量指标", "e", "≥100项", "59.99项"), ("数量指标", "f", "≥100项", "60项"),
                                          ("数量指标", "g", "100项", "45"), ("数量指标", "h", "＝10个", "2个"),
                                          ("数量指标", "i", "≥100项", None)])
    assert lights == {"a": "红", "b": "黄", "c": "黄", "d": "绿", "e": "绿", "f": "蓝", "g": "绿", "h": "红",
                      "i": None}


def test_reverse_quality_and_qualitative_indicator_lights(store):
    lights, _ = _indicator_lights(store, [
        ("成本指标", "成本内", "≤10万元", "10万元"), ("成本指标", "成本超", "≤10万元", "10.5万元"),
        ("数量指标", "严格小于", "<5次", "5次"), ("数量指标", "反向达标", "<5次", "1次"),
        ("质量指标", "合格率达标", "≥95%", "95%"), ("质量指标", "合格率未达", "≥95%", "94%"),
        ("时效指标", "按时", "＝100%", "100%"),
        ("社会效益指标", "定性达到", "效果明显", "达到"), ("社会效益指标", "定性部分", "效果明显", "部分达到"),
        ("社会效益指标", "定性未达", "效果明显", "未达到"), ("社会效益指标", "定性其他", "效果明显", "正在推进")])
    assert lights == {"成本内": "绿", "成本超": "红", "严格小于": "红", "反向达标": "绿", "合格率达标": "绿",
                      "合格率未达": "红", "按时": "绿", "定性达到": "绿", "定性部分": "黄", "定性未达": "红",
                      "定性其他": None}


def test_an_impossible_indicator_puts_the_project_at_risk(store):
    _, item = _indicator_lights(store, [("数量指标", "x", "≥10项", "5项", "有可能")])
    assert item["light"] == "绿" and item["at_risk"] is False          # 50 / 100 = 序时进度 50%
    _, item = _indicator_lights(store, [("数量指标", "x", "≥10项", "5项", "不可能")])
    assert item["at_risk"] is True and item["risk_reasons"] == ["1 个指标完成目标可能性为“完全不可能”：x"]


@pytest.mark.parametrize("cell,expected", [("√", (True, True)), ("✓", (True, True)), ("是", (True, True)),
                                           (1, (True, True)), ("1", (True, True)), ("", (False, True)),
                                           (None, (False, True)), ("否", (False, True)), ("×", (False, True)),
                                           ("资金未到位", (True, False))])
def test_ticks(cell, expected):
    assert tick(cell) == expected


def test_ticks_in_a_flat_sheet_and_a_bad_tick_is_reported(store):
    rows = [[2024, 7, "项目A", "产出指标", "数量指标", f"指标{i}", "≥12个", "7个", None, t1, t2, t3, t4, other, "确定能", None]
            for i, (t1, t2, t3, t4, other) in enumerate([("√", "✓", "是", 1, None), (None, None, None, "资金未到位", "天气")])]
    plan = prepare(store, [("f.xlsx", flat_book([[2024, 7, "测试局", "项目A", 100, 60, 100]], rows))])
    assert plan.ok
    assert [(p.code, p.sheet, p.row, p.column) for p in plan.report.warnings] == \
        [("monitor-bad-tick", "监控指标", 3, "硬件条件保障")]
    commit(store, plan)
    inds = monitoring.monitor_json(store)["items"][0]["indicators"]
    assert [i["reasons"] for i in inds] == [["经费保障", "制度保障", "人员保障", "硬件条件保障"], ["硬件条件保障", "天气"]]


def test_flat_sheet_errors_name_sheet_row_column(store):
    data = flat_book([[2024, 13, "测试局", "坏月份", 100, 50, 100], [2024, 7, "测试局", "好项目", 100, "五十", 100]],
                     [[2024, 7, "不存在的项目", "产出指标", "数量指标", "x", "≥1", "1", None, None, None, None, None,
                       None, None, None]])
    plan = prepare(store, [("f.xlsx", data)])
    assert errors(plan) == [("monitor-bad-month", "执行监控", 2, "监控月份"),
                            ("not-a-number", "执行监控", 3, "执行数（万元）"),
                            ("orphan-indicator", "监控指标", 2, "项目名称")]
    assert store.scalar("SELECT count(*) FROM monitor_projects") == 0


# ---------------------------------------------------------------- snapshots: several per year, replace
def test_reimporting_a_period_needs_replace_and_keeps_other_periods(store):
    load(store, _flat_projects([("项目A", 100, 30, 100)], month=6))
    load(store, _flat_projects([("项目A", 100, 50, 100)], month=7))
    plan = prepare(store, [("again.xlsx", _flat_projects([("项目A", 100, 40, 100)], month=6))])
    assert [p.code for p in plan.report.errors] == ["monitor-replace-needed"]
    assert plan.existing_scopes == [(2024, "测试局（1—6月监控）")]
    with pytest.raises(ImportRefused):
        commit(store, plan)
    load(store, _flat_projects([("项目A", 100, 40, 100)], month=6), name="again.xlsx", replace=True)
    got = store.sql_df("SELECT period_month, spent_to_date FROM monitor_projects ORDER BY period_month")
    assert got.values.tolist() == [[6, 40.0], [7, 50.0]]
    assert monitoring.monitor_json(store)["period_month"] == 7                 # the latest by default
    assert monitoring.monitor_json(store, period=6)["items"][0]["spent_to_date_wan"] == 40.0
    log = store.sql_df("SELECT outcome, scope FROM import_log ORDER BY id")
    assert log.values.tolist()[-1] == ["replaced", "2024 测试局 1—6月监控"]


def test_monitoring_import_leaves_self_evaluation_data_alone(store):
    from perfboard.sample import load_sample
    load_sample(store)
    before = store.scalar("SELECT count(*) FROM projects")
    load(store, form_book())
    assert store.scalar("SELECT count(*) FROM projects") == before
    assert store.scalar("SELECT count(*) FROM monitor_projects") == 2


def test_filters_apply(store):
    load(store, form_book())
    load(store, flat_book([[2024, 7, "另一局", "别的项目", 100, 90, 100]]), name="b.xlsx")
    out = monitoring.monitor_json(store, Filters(departments=("另一局",)))
    assert [i["name"] for i in out["items"]] == ["别的项目"]
    out = monitoring.monitor_json(store, Filters(search="特派员"))
    assert [i["name"] for i in out["items"]] == [YI["name"]]
    out = monitoring.monitor_json(store, Filters(lights=("红",)))
    assert [i["name"] for i in out["items"]] == [JIA["name"]]


def test_no_snapshot_is_a_usage_error(tmp_path, capsys):
    assert cli.main(["monitor", "--db", str(tmp_path / "e.duckdb"), "--json"]) == cli.EXIT_USAGE
    assert "没有" in capsys.readouterr().err


# ---------------------------------------------------------------- thresholds in settings
def test_rules_are_settings_audited_and_admin_only(store):
    load(store, _flat_projects([("项目A", 100, 35, 100)]))         # 15 points behind 50%
    assert monitoring.monitor_json(store)["items"][0]["light"] == "黄"
    rules = {**monitoring.DEFAULT_RULES, "yellow_gap": 0.10}
    assert monitoring.save_rules(store, rules) == []
    assert monitoring.monitor_json(store)["items"][0]["light"] == "红"
    log = store.sql_df("SELECT key, old_value, new_value FROM settings_log")
    assert log["key"].tolist() == ["monitor_rules"] and json.loads(log["new_value"][0])["yellow_gap"] == 0.10
    assert monitoring.save_rules(store, {**rules, "indicator_red": 0.9}) == ["指标灯的界限须满足 红灯上限 < 黄灯上限 < 蓝灯下限。"]
    auth.add_user(store, "viewer1", "password-123", "viewer", ["测试局"])
    with pytest.raises(auth.PermissionDenied):
        monitoring.save_rules(store, monitoring.DEFAULT_RULES, user=auth.get_user(store, "viewer1"))


def test_monitor_text_output(store, tmp_path):
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        load(s, form_book())
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli.main(["monitor", "--db", str(db), "--year", "2024", "--period", "7"]) == 0
    text = buf.getvalue()
    assert "序时进度 58.3%" in text and "风险项目 2 个" in text


def test_the_template_imports_back(store):
    from openpyxl import load_workbook

    from perfboard.template import monitoring_template_bytes
    wb = load_workbook(io.BytesIO(monitoring_template_bytes()))
    wb["执行监控"].append([2024, 7, "测试局", "测试单位", "P1", "项目A", 100, 120, 60, "50%", 110, "目标"])
    wb["监控指标"].append([2024, 7, "P1", "项目A", "产出指标", "数量指标", "数量", "≥12个", "7个", "12个", "√", None, None,
                         None, "原因", "有可能", "备注"])
    buf = io.BytesIO()
    wb.save(buf)
    plan = load(store, buf.getvalue())
    assert [p.code for p in plan.report.problems] == ["sheet-skipped"]          # the 说明 sheet
    item = monitoring.monitor_json(store)["items"][0]
    assert (item["budget_wan"], item["spent_to_date_wan"], item["forecast_spent_wan"]) == (120.0, 60.0, 110.0)
    assert item["execution_rate"] == pytest.approx(0.5) and item["light"] == "黄"
    assert item["indicators"] == [{"name": "数量", "target": "≥12个", "actual_to_date": "7个", "forecast": "12个",
                                   "light": "绿", "likelihood": "有可能", "reasons": ["经费保障", "原因"]}]


def test_chart_caps_bars_and_draws_the_time_progress_line(store):
    from perfboard.charts_monitor import monitor_rate_chart
    rows = [(f"项目{i:02d}", 100, i, 100) for i in range(20)]
    load(store, _flat_projects(rows, month=6))
    fig = monitoring.figures(store, Filters(), 2024, 6)
    chart = fig["chart"]
    assert len(chart) == monitoring.TOP_N + 1
    assert chart["name"].iloc[-1] == "其他 5 个项目"
    assert chart["execution_rate"].iloc[-1] == pytest.approx((15 + 16 + 17 + 18 + 19) / 500)
    spec = monitor_rate_chart(chart, fig["time_progress"]).to_dict()        # validated against Vega-Lite
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1
    assert spec["datasets"][rules[0]["data"]["name"]][0]["value"] == 0.5
    dept = fig["by_department"]
    assert dept[["主管部门", "项目数", "红", "状态"]].values.tolist() == [["测试局", 20, 20, "红"]]
