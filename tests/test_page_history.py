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


def test_older_records_a_page_at_a_time(app_env):
    """More records than a page, 70 of them at one instant: 更早的记录 shows the next page (keyset), every
    record once over the pages, and 较新的记录 goes back to the page before."""
    from datetime import datetime
    at_once = datetime(2026, 1, 1, 8, 0, 0)
    with opened(app_env) as s, s.transaction(bump_version=False) as cur:     # a write: the same on both stores
        cur.executemany(
            "INSERT INTO import_log (id, file_name, content_hash, imported_at, outcome, scope, message, user_name) "
            "VALUES (?, ?, 'h', ?, 'imported', '2024 张掖市科学技术局', '导入', '赵六')",
            [[1000 + i, f"分页测试{i}.xlsx", at_once] for i in range(70)])
    at = open_page("pages/history.py")

    def shown():
        return [m.value for m in at.markdown if "分页测试" in m.value]
    first, seen, pages = shown(), [], 1
    assert 0 < len(first) <= 50
    seen += first
    while True:
        older = [b for b in at.button if b.key == "hist_older_bottom"]
        if not older:
            break
        older[0].click().run()
        assert not at.exception
        pages += 1
        assert f"第 {pages} 页" in " ".join(c.value for c in at.caption)
        seen += shown()
    assert pages >= 2
    assert len(seen) == len(set(seen)) == 70                   # no record twice, none left out
    while pages > 1:
        at.button(key="hist_newer_bottom").click().run()
        pages -= 1
    assert shown() == first
