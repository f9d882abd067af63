"""ui.render.report_table's cell styles: one Styler pass giving what the three steps it replaced gave
(numbers right-aligned and unwrapped, short columns unwrapped, the 未填写 placeholders marked)."""
from __future__ import annotations

import pandas as pd

from perfboard.deviations import NO_MEASURE, NO_REASON
from ui.render import _report_styles


def _three_steps(shown: pd.DataFrame, money, rates):
    short = [c for c in shown.columns if c in money or c in rates or c in ("状态", "判定", "判定方式", "一级指标",
                                                                       "二级指标", "年度指标值")]
    styled = shown.style.set_properties(subset=[c for c in short if c in money or c in rates],
                                        **{"text-align": "right"})
    styled = styled.set_properties(subset=short, **{"white-space": "nowrap"})
    flagged = [c for c in shown.columns if shown[c].isin((NO_REASON, NO_MEASURE)).any()]
    if flagged:
        styled = styled.map(lambda v: "white-space: nowrap; color: #b45309; font-weight: 600"
                            if v in (NO_REASON, NO_MEASURE) else "", subset=flagged)
    return styled


def test_one_pass_styles_equal_the_three_steps():
    shown = pd.DataFrame({"项目名称": ["甲", "乙", "丙"], "全年预算数（万元）": ["1.00", "2.00", "3.00"],
                          "执行率": ["50.00%", "90.00%", "—"], "状态": ["红", "黄", "无预算"],
                          "偏离原因": [NO_REASON, "资金晚到", NO_REASON], "改进措施": ["加快", NO_MEASURE, "催办"]})
    money, rates = ["全年预算数（万元）"], ["执行率"]
    one = shown.style.apply(_report_styles, axis=None, money=money, rates=rates)
    one._compute()
    three = _three_steps(shown, money, rates)
    three._compute()
    assert dict(one.ctx) == dict(three.ctx)
    assert one.ctx[(0, 1)] == [("text-align", "right"), ("white-space", "nowrap")]
    assert one.ctx[(0, 3)] == [("white-space", "nowrap")]
    assert one.ctx[(2, 4)] == [("white-space", "nowrap"), ("color", "#b45309"), ("font-weight", "600")]
    assert (1, 4) not in one.ctx and (0, 0) not in one.ctx


def test_no_placeholder_no_flag_style():
    shown = pd.DataFrame({"项目名称": ["甲"], "偏离原因": ["资金晚到"]})
    css = _report_styles(shown)
    assert css.to_dict("list") == {"项目名称": [""], "偏离原因": [""]}
