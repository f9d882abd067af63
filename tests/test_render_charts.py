"""ui.render.altair_chart: the cached spec of a perfboard.charts builder is the very element st.altair_chart
draws for the chart (same spec, same Arrow datasets), for 预算执行's two charts."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

SCRIPT = """
import pandas as pd
import streamlit as st
from perfboard.charts import budget_spent_chart_top, rate_distribution_chart
from ui import render

top = pd.DataFrame({"id": [1, 2, 3], "name": ["甲项目", "乙项目", "甲项目"], "department": ["一局", "二局", "三局"],
                    "budget": [300.0, 200.5, 100.25], "spent": [150.0, 210.0, None],
                    "execution_rate": [0.5, 1.0474, None], "reported_rate": [0.5, None, None],
                    "light": ["红", "超预算", "无预算"]})
rest = {"projects": 40, "budget": 1234.5, "spent": 1000.0} if st.session_state.get("rest") else None
dist = pd.DataFrame({"bucket": ["<50%", "100%", ">100%"], "light": ["红", "绿", "超预算"], "count": [3, 1, 2],
                     "names": ["甲、乙、丙", "丁", "戊、己"]})
font = st.session_state.get("font", 12)
for fn, args, kwargs in ((budget_spent_chart_top, (top, rest), {"font_size": font}),
                         (rate_distribution_chart, (None,), {"font_size": font, "data": dist})):
    st.altair_chart(fn(*args, **kwargs), width="stretch")
    render.altair_chart(fn, *args, **kwargs)
"""


def _charts(at):
    return [e.proto for e in at.get("vega_lite_chart")]


def test_cached_spec_is_the_altair_chart_element():
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    for rest, font in ((False, 12), (True, 16), (True, 16)):        # the last: the specs from the cache
        at.session_state["rest"], at.session_state["font"] = rest, font
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        protos = _charts(at)
        assert len(protos) == 4
        for drawn, cached in (protos[0:2], protos[2:4]):
            assert drawn.spec and len(drawn.datasets) >= 1     # a real chart with its data, not two empty ones
            assert cached == drawn


def test_spec_equals_streamlits_conversion():
    """altair_spec skips only the schema validation of Streamlit's conversion: the dict is the same."""
    import pandas as pd
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec

    from perfboard.charts import budget_spent_chart_top
    from ui.render import altair_spec
    top = pd.DataFrame({"id": [1], "name": ["甲"], "department": ["局"], "budget": [1.0], "spent": [0.5],
                        "execution_rate": [0.5], "reported_rate": [None], "light": ["红"]})
    chart = budget_spent_chart_top(top, {"projects": 2, "budget": 3.0, "spent": 1.0}, font_size=14)
    assert altair_spec(chart) == _convert_altair_to_vega_lite_spec(chart)
