"""Issue 16 item 3, short: three app processes behind nginx (deploy/nginx-team.conf) on one PostgreSQL store.

One session per process over Streamlit's own protocol (bench/st_client.py), placed by the route cookie:
a save made on process 1 is what a page served by process 2 shows, and process 3, which loaded the
project before that save, gets the conflict message when it saves. The long version with 30 sessions,
an import and 60 saves is bench/bench_team.py. Skipped without PostgreSQL (PERFBOARD_TEST_PG) or nginx."""
from __future__ import annotations

import os

import pytest

NGINX = "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not (os.environ.get("PERFBOARD_TEST_PG") and os.path.exists(NGINX)),
                                reason="needs PostgreSQL (PERFBOARD_TEST_PG) and nginx")


def test_three_processes_behind_nginx_share_saves_and_conflicts(pg_url, tmp_path):
    from bench.bench_team import (CONFLICT_ZH, EDIT_FIELD, EDITOR_PREFIX, Cluster, Result, Tab, prepare_store,
                                  project_names)
    import threading

    prepare_store(pg_url, editors=3)
    project = project_names(pg_url)[0]
    cluster = Cluster(pg_url, 3, tmp_path).start()
    result, lock = Result(), threading.Lock()
    tabs = []
    try:
        cookies = cluster.cookies(1)
        tabs = [Tab(cluster.url, cookies[k][0], f"p{k + 1}", result, lock) for k in range(3)]
        # each tab reached a different process (nginx said which, by the cookie's hash)
        assert sorted(cluster.upstream_of(t.s.upstream) for t in tabs) == [0, 1, 2]
        for k, t in enumerate(tabs):
            run = t.login(f"{EDITOR_PREFIX}{k + 1}")
            assert "用户名" not in run.widgets, run.alerts          # logged in on its own process
            t.search(project)
        third = tabs[2].run("indicators_edit")                     # process 3 loads the project now
        before = third.values[EDIT_FIELD]
        tabs[2].type_text("团队模式测试：进程 3 的修改")              # and edits it, unsaved

        saved = tabs[0].save("团队模式测试：进程 1 保存的改进措施")
        assert not saved.errors()

        seen = tabs[1].run("indicators_edit")                      # process 2 renders it afresh
        assert seen.values[EDIT_FIELD] == "团队模式测试：进程 1 保存的改进措施"
        assert before != seen.values[EDIT_FIELD]

        refused = tabs[2].press_save(expect=(CONFLICT_ZH, "已被他人修改"))
        conflict = [b for kind, b in refused.alerts if kind == "error" and CONFLICT_ZH in b]
        assert conflict and f"{EDITOR_PREFIX}1" in conflict[0]       # names who saved in between
        assert result.errors == []
    finally:
        for t in tabs:
            t.close()
        cluster.stop()

    from perfboard.db import Store
    s = Store(pg_url)
    try:
        got = s.cursor().execute("SELECT improvement FROM projects WHERE year = 2024 AND name = ?",
                                 [project]).fetchall()
        assert got == [("团队模式测试：进程 1 保存的改进措施",)]              # the refused save changed nothing
        assert s.cursor().execute("SELECT count(*) FROM saves WHERE user_name LIKE ?",
                                  [EDITOR_PREFIX + "%"]).fetchall() == [(1,)]
    finally:
        s.close()
