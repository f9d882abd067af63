"""Which files and rows are the shipped sample data (data/sample/*.xlsx), and deleting those rows inside a
write transaction. Below perfboard.importer (which removes the sample on request) and perfboard.sample
(which loads it through the importer), so neither imports the other in a circle."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .db import ROOT, Store

SAMPLE_DIR = ROOT / "data" / "sample"


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLE_DIR.glob("*.xlsx") if not p.name.startswith("~$"))


_SAMPLE_IDS = "SELECT id FROM projects WHERE list_contains(?, source_file)"


_SCOPES = "SELECT DISTINCT year, department FROM projects WHERE list_contains(?, source_file) ORDER BY year, department"


def sample_scopes(store: Store) -> list[tuple[int, str]]:
    """(year, department) pairs holding sample rows."""
    df = store.sql_df(_SCOPES, [[p.name for p in sample_files()]])
    return [(int(y), d) for y, d in zip(df["year"].tolist(), df["department"].tolist())]


def delete_sample_rows(cur, user_name: str, now: datetime | None = None) -> tuple[int, int]:
    """Inside the caller's transaction: delete every row of the shipped sample files (projects, their
    indicators and fund rows, year-pair decisions of scopes left empty) and log it. Returns (projects,
    indicators) removed."""
    names = [p.name for p in sample_files()]
    scopes = [(int(y), d) for y, d in cur.execute(_SCOPES, [names]).fetchall()]
    n_projects = cur.execute("SELECT count(*) FROM projects WHERE list_contains(?, source_file)", [names]).fetchall()[0][0]
    if not n_projects:
        return 0, 0
    n_indicators = cur.execute(f"SELECT count(*) FROM indicators WHERE project_id IN ({_SAMPLE_IDS})",
                               [names]).fetchall()[0][0]
    cur.execute(f"DELETE FROM indicators WHERE project_id IN ({_SAMPLE_IDS})", [names])
    cur.execute(f"DELETE FROM project_funds WHERE project_id IN ({_SAMPLE_IDS})", [names])
    cur.execute("DELETE FROM projects WHERE list_contains(?, source_file)", [names])
    for y, d in scopes:             # decisions about pairs of a scope that no longer holds any project
        if not cur.execute("SELECT count(*) FROM projects WHERE year = ? AND department = ?", [y, d]).fetchall()[0][0]:
            cur.execute("DELETE FROM project_matches WHERE (base_year = ? AND base_department = ?)"
                        " OR (target_year = ? AND target_department = ?)", [y, d, y, d])
    log_id = Store.next_id(cur, "import_log")
    cur.execute(
        "INSERT INTO import_log (id, file_name, content_hash, imported_at, outcome, projects, indicators,"
        " errors, warnings, scope, message, user_name) VALUES (?, ?, ?, ?, 'removed', ?, ?, 0, 0, ?, ?, ?)",
        [log_id, "示例数据", "-", now or datetime.now(), n_projects, n_indicators,
         "；".join(f"{y} {d}" for y, d in scopes), f"删除示例数据 {n_projects} 个项目、{n_indicators} 条指标",
         user_name])
    return int(n_projects), int(n_indicators)
