"""修改记录: a save's details are built only when asked for (a toggle per save), and then show old and new."""
from __future__ import annotations

import pytest

from perfboard import editing
from tests.dashboard_helpers import frame  # noqa: F401  (fixture)
from tests.dashboard_helpers import open_page, opened

pytestmark = pytest.mark.usefixtures("frame")


def test_details_on_demand(app_env):
    with opened(app_env) as s:
        pid = int(s.scalar("SELECT id FROM projects WHERE year = 2024 AND name = '2024 年招商引资'"))
        st_ = editing.load_state(s, pid)
        rows = st_.rows()
        old = rows[0]["deviation_note"]
        rows[0] = dict(rows[0], deviation_note="历史页测试")
        sid = editing.save(s, st_, st_.fields(), rows, user="赵六").save_id
    at = open_page("pages/history.py")
    assert not at.exception
    assert not at.dataframe                                   # nothing built until asked
    at.toggle(key=f"hist_details_{sid}").set_value(True).run()
    assert not at.exception
    details = at.dataframe[0].value
    assert details[["字段", "新值"]].values.tolist()[0][1] == "历史页测试"
    assert details["原值"].tolist()[0] == editing.show(old)
