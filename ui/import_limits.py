"""设置 › 导入文件上限: the limits a sheet's extent and a file's parse are checked against (administrators
change them; every change is audited like any setting)."""
from __future__ import annotations

import dataclasses

import streamlit as st

from perfboard import auth
from perfboard.importer import LIMIT_BOUNDS, save_import_limits
from perfboard.readers import DEFAULT_LIMITS, limits_of
from ui import state


def panel(admin: bool) -> None:
    store = state.store()
    limits = limits_of(store)
    st.subheader("导入文件上限")
    st.caption("上传的工作表在读取前先检查其范围（文件声明的和实际最远的单元格）；超过上限的文件不读取，"
               "导入报告说明是哪个工作表、哪个单元格。读取在独立进程中进行，受内存和时间上限约束。")
    st.markdown("当前：" + limits.describe() + f"；读取一个文件最多 {limits.memory_mb:,} MB 内存、{limits.timeout_s:,} 秒。")
    if not admin:
        return
    with st.form("import_limits", width=520):
        values = {}
        for key, (lo, hi, label) in LIMIT_BOUNDS.items():
            values[key] = st.number_input(label, min_value=lo, max_value=hi, step=1, value=int(getattr(limits, key)),
                                          key=f"set_lim_{key}",
                                          help=f"默认 {getattr(DEFAULT_LIMITS, key):,}")
        submitted = st.form_submit_button("保存", type="primary")
    if submitted:
        try:
            errors = save_import_limits(store, dataclasses.replace(limits, **{k: int(v) for k, v in values.items()}),
                                        state.user_name())
        except auth.PermissionDenied as exc:
            errors = [str(exc)]
        for message in errors:
            st.error(message)
        if not errors:
            state.flash("已保存导入文件上限：" + limits_of(store).describe())
            st.rerun()
