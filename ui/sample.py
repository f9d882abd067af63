"""The sample banner's and 数据导入's "删除示例数据" button (issue 15): one confirmation, one transaction."""
from __future__ import annotations

import streamlit as st

from perfboard.auth import PermissionDenied, can
from perfboard.sample import remove_sample
from ui import state
from ui.auth import current_user

K_CONFIRM = "sample_remove_confirm"


def _remove() -> None:
    store = state.store()
    try:
        n_projects, n_indicators = remove_sample(store, current_user())
    except PermissionDenied as exc:
        state.flash(f"未删除示例数据：{exc}", "error")
        return
    store.set_setting("sample_offered", True)          # not loaded again on the next start
    state.flash(f"已删除示例数据：{n_projects:,} 个项目、{n_indicators:,} 条指标。")


def remove_button(where: str, container=None) -> None:
    """'删除示例数据' (in `container`, default the page) with a confirmation below it, for users who may
    import (the sample's department)."""
    if not can(current_user(), "import"):
        return
    key = f"{K_CONFIRM}_{where}"
    if not st.session_state.get(key):
        (container or st).button("删除示例数据", key=f"sample_remove_{where}", icon=":material/delete:",
                  on_click=lambda: st.session_state.__setitem__(key, True))
        return
    st.warning("将删除全部示例数据（项目、指标及其同比匹配记录），删除后页面为空，可再从“数据导入”导入本单位数据。")
    c1, c2, _ = st.columns([1, 1, 4])
    c1.button("确认删除", key=f"sample_remove_yes_{where}", type="primary",
              on_click=lambda: (_remove(), st.session_state.pop(key, None)))
    c2.button("取消", key=f"sample_remove_no_{where}", on_click=lambda: st.session_state.pop(key, None))
