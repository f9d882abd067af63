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


def _marshalled(data) -> bytes:
    from streamlit.elements.table import marshall_table
    from streamlit.proto.ArrowData_pb2 import ArrowData
    proto = ArrowData()
    marshall_table(proto, data, "default")
    return proto.SerializeToString()


def _report_frame(n: int = 100) -> pd.DataFrame:
    return pd.DataFrame({
        "项目名称": [f"项目{i}" for i in range(n)],
        "全年预算数（万元）": [f"{i * 1.5:,.2f}" for i in range(n)],
        "执行率": ["50.00%" if i % 3 else "—" for i in range(n)],
        "状态": ["红", "黄", "绿", "超预算"] * (n // 4),
        "偏离指标数": list(range(n)),                                   # ints stay numbers
        "年度指标值": [None if i % 7 == 0 else f"≥{i}" for i in range(n)],  # missing values show as None
        "得分": [float("nan") if i % 5 == 0 else i / 3 for i in range(n)],  # floats: pandas' 6 decimals
        "是否": [bool(i % 2) for i in range(n)],
        "偏离原因": [NO_REASON if i % 4 == 0 else f"原因 {i}" for i in range(n)],
        "改进措施": [NO_MEASURE if i % 6 == 0 else "加快进度" for i in range(n)],
    })


def test_styled_table_marshals_as_the_pandas_styler():
    """What st.table sends for render.styled(...) is byte for byte what it sends for the pandas Styler with
    the same cell styles: the styles (grouped and ordered as pandas groups them), every display value
    (floats with pandas' six decimals, None and NaN as pandas shows them, ints, bools) and the data."""
    from ui.render import styled
    money, rates = ["全年预算数（万元）"], ["执行率"]
    for shown in (_report_frame(), _report_frame(4), _report_frame(0),
                  _report_frame(8).astype({"项目名称": "object"}).set_index(pd.Index(range(10, 18)))):
        css = _report_styles(shown, money=money, rates=rates)
        reference = shown.style.apply(_report_styles, axis=None, money=money, rates=rates)
        fast = styled(shown, css)
        reference.set_uuid("x1")
        fast.set_uuid("x1")
        assert _marshalled(fast) == _marshalled(reference)


def test_styled_table_carries_the_flag_styles():
    """The check above compares against pandas; this one says what the table must carry at all, so the
    comparison cannot pass on two empty results."""
    from streamlit.elements.table import marshall_table
    from streamlit.proto.ArrowData_pb2 import ArrowData

    from ui.render import styled
    shown = pd.DataFrame({"执行率": ["50.00%"], "偏离原因": [NO_REASON]})
    proto = ArrowData()
    styler = styled(shown, _report_styles(shown, rates=["执行率"]))
    styler.set_uuid("u")
    marshall_table(proto, styler, "default")
    assert proto.styler.styles.splitlines() == [
        "#T_u_row0_col0 { text-align: right; white-space: nowrap }",
        "#T_u_row0_col1 { color: #b45309; font-weight: 600 }".replace("{ ", "{ white-space: nowrap; "),
    ]
