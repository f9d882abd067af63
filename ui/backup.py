"""The in-app backup panel (on 设置): a consistent copy of the database while the app runs, for
administrators. The CLI's `backup` also works while the app runs (it reads the app's snapshot)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import streamlit as st

from perfboard import auth
from perfboard.db import StoreError, backup
from ui import state
from ui.auth import current_user, download

K_BACKUP_FILE = "backup_file"


def _backup_bytes(path: str, user) -> bytes:
    """Read at the click, for an administrator whose session is still valid then (the file holds every
    password hash)."""
    auth.require(user, "admin")
    return Path(path).read_bytes()


def panel() -> None:
    if not auth.can(current_user(), "admin"):
        return
    st.subheader("数据备份")
    store = state.store()
    if not isinstance(store.path, Path):        # PostgreSQL: backed up with its own tools
        st.info("数据保存在 PostgreSQL 数据库中：请由管理员用 pg_dump 定时备份、用 pg_restore 恢复（见 docs/deploy.md）。")
        return
    folder = Path(store.path).parent / "backups"
    st.markdown(f"备份是数据库在某一时刻的完整副本（含用户、设置和修改记录），保存在服务器的 `{folder}` 目录，"
                "也可下载到本机。应用运行时随时可以备份，不影响其他人使用。")
    if st.button("立即备份", key="backup_now"):
        try:
            out = backup(store, folder / f"perfboard-{datetime.now():%Y%m%d-%H%M%S}.duckdb")
        except StoreError as exc:
            st.error(str(exc))
        else:
            st.session_state[K_BACKUP_FILE] = str(out)
    path = st.session_state.get(K_BACKUP_FILE)
    if path and Path(path).is_file():
        st.success(f"已备份到服务器：{path}")
        st.download_button("下载备份文件", data=download(lambda u: _backup_bytes(path, u)), file_name=Path(path).name,
                           mime="application/octet-stream", key="backup_download")
    st.caption("恢复：先关闭应用，再运行 `python -m perfboard restore --from 备份文件`（原数据库文件会保留一份）。")
