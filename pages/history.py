"""修改记录: every save, undo and import, for one project or the whole database, filterable; one click
undoes a save (the undo is recorded too)."""
from datetime import datetime, timedelta

import streamlit as st

from perfboard import auth, editing
from perfboard.auth import PermissionDenied
from ui import picker, render, state
from ui.auth import current_user
from ui.export import download_buttons
from ui.paging import cursor_stack, keyset_buttons

LIMIT = 50
HISTORY_EXPORT = [("saved_at", "时间", "date"), ("user_name", "操作人"), ("kind_zh", "类型"), ("save_id", "保存序号", "int"),
                  ("year", "年度", "int"), ("department", "主管部门"), ("project_name", "项目名称"), ("summary", "修改内容"),
                  ("reverted_by", "撤销于第几次保存", "int")]
PERIODS = {"全部时间": None, "今天": 0, "近 7 天": 7, "近 30 天": 30}
K_PAGES = "hist_pages"
KIND_BADGE = {"edit": "blue", "undo": "orange", "import": "green", "match": "violet"}
md, name = render.md, render.name


st.title("修改记录")
state.show_flash()
store = state.store()
f = state.filters()
for key in (state.K_HIST_PROJECT, state.K_HIST_KINDS, state.K_HIST_USERS, state.K_HIST_PERIOD, state.K_HIST_SEARCH):
    state.keep(key)
idents, _ = picker.projects(f, keep=st.session_state.get(state.K_HIST_PROJECT) or None)
ALL = 0                     # project ids start at 1
if st.session_state.get(state.K_HIST_PROJECT) not in idents:
    st.session_state[state.K_HIST_PROJECT] = ALL
c = st.columns([3, 2, 2, 1.4, 2])
pid = c[0].selectbox("项目（按左侧筛选）", [ALL, *idents], key=state.K_HIST_PROJECT,
                     format_func=lambda p: "全部项目" if p == ALL else f"{idents[p][0]} 年 · {render.option(idents[p][2])}")
kinds = c[1].multiselect("类型", list(editing.KIND_ZH), key=state.K_HIST_KINDS, format_func=editing.KIND_ZH.get,
                         placeholder="全部类型")
users = c[2].multiselect("操作人", state.load(editing.history_users, f.departments), key=state.K_HIST_USERS, placeholder="全部人员",
                         format_func=render.option)
period = c[3].selectbox("时间", list(PERIODS), key=state.K_HIST_PERIOD)
search = c[4].text_input("搜索", key=state.K_HIST_SEARCH, placeholder="项目名称或修改内容")

days = PERIODS[period or "全部时间"]
since = None if days is None else datetime.combine(datetime.now().date() - timedelta(days=days), datetime.min.time())
hf = editing.HistoryFilter(year=f.year, departments=f.departments, project=idents.get(pid), users=tuple(users),
                           kinds=tuple(kinds), since=since, search=search or "")
# keyset pages: the cursors (last row of each page read) of this filter; a new filter starts at the newest
stack = cursor_stack(K_PAGES, hf)
df = state.load(editing.history, hf, LIMIT, stack[-1] if stack else None)
scope = f"“{name(idents[pid][2])}”的" if pid != ALL else f"{md(f.describe())}　·　"
page_no = len(stack) + 1
st.caption(f"{scope}" + (f"第 {page_no} 页，" if page_no > 1 or len(df) >= LIMIT else "") + f"{len(df)} 条记录"
           + (f"（每页 {LIMIT} 条，由新到旧）" if page_no > 1 or len(df) >= LIMIT else "")
           + "。导入会整体替换同年度、同部门的数据，不能在此撤销。")
render.illustrative(f)


def page_buttons(where: str) -> None:
    keyset_buttons(K_PAGES, stack, editing.history_cursor(df), len(df) >= LIMIT, ("较新的记录", "更早的记录"),
                   (f"hist_newer_{where}", f"hist_older_{where}"))
settings_log = auth.settings_history(store, LIMIT, include_users=auth.can(current_user(), "admin"))
if len(settings_log):
    with st.expander(f"设置修改（最近 {len(settings_log)} 条）：执行率区间、评分规则等" + ("及用户账户" if auth.can(
            current_user(), "admin") else ""), icon=":material/settings:"):
        st.dataframe(settings_log.drop(columns=["key"]).rename(columns={
            "changed_at": "时间", "user_name": "操作人", "what": "设置项", "old_value": "原值", "new_value": "新值"}),
            hide_index=True, placeholder="—", width="stretch", column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})

if not len(df):
    st.info("没有符合条件的修改记录。在“指标填报”页面保存修改后，会显示在这里。", icon=":material/info:")
    page_buttons("empty")
    st.stop()
download_buttons(df, "修改记录", f, spec=HISTORY_EXPORT, key="exp_history")

for r in df.to_dict("records"):
    sid = None if r["save_id"] is None else int(r["save_id"])
    head = f"**{r['saved_at']:%Y-%m-%d %H:%M}**　{name(r['user_name'])}　:{KIND_BADGE[r['kind']]}-badge[{r['kind_zh']}]"
    if sid is not None:
        head += f"　第 {sid} 次保存　**{name(r['project_name'])}**（{r['year']} 年）"
        if r["reverted_by"] is not None:
            head += f"　:gray-badge[已于第 {int(r['reverted_by'])} 次保存中撤销]"
    with st.container(border=True):
        left, right = st.columns([9, 1], vertical_alignment="center")
        left.markdown(head + "  \n" + md(r["summary"] or ""))
        if sid is not None:
            if r["can_undo"] and right.button("撤销", key=f"undo_{sid}", icon=":material/undo:",
                                              help="恢复这次保存之前的值；撤销本身也记入修改记录，可再撤销"):
                try:
                    res = editing.undo(store, sid, state.user_name())
                except (editing.UndoRefused, PermissionDenied) as exc:
                    state.flash(str(exc), "error")
                else:
                    state.flash(f"已撤销第 {sid} 次保存：{res.changes} 处修改已恢复（记为第 {res.save_id} 次保存）。")
                st.rerun()
            # details on demand: fifty tables built and sent on every run cost more than the rest of the page
            if left.toggle("显示修改明细", key=f"hist_details_{sid}"):
                left.dataframe(state.load(editing.save_details, sid), hide_index=True, width="stretch")

page_buttons("bottom")
