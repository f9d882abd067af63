"""The shipped sample data (data/sample/*.xlsx): loading it into a fresh database, naming the illustrative
(示例（虚构）) years, and removing every sample row again."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .auth import local_admin
from .db import ROOT, Store
from .importer import ImportPlan, import_paths

SAMPLE_DIR = ROOT / "data" / "sample"
FICTIONAL_MARK = "虚构"              # in the file name of an invented sample year
FICTIONAL_LABEL = "示例（虚构）"


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLE_DIR.glob("*.xlsx") if not p.name.startswith("~$"))


def load_sample(store: Store, replace: bool = True) -> ImportPlan:
    """Import every sample workbook in one go (replacing earlier sample rows of the same scope)."""
    return import_paths(store, sample_files(), replace=replace, user=local_admin("系统（示例数据）"))


def sample_in_use(store: Store) -> list[str]:
    """Names of sample files whose rows are in the database now (so pages can label them)."""
    names = [p.name for p in sample_files()]
    if not names:
        return []
    df = store.sql_df("SELECT DISTINCT source_file FROM projects WHERE list_contains(?, source_file)", [names])
    return sorted(df["source_file"].tolist())


def fictional_years(store: Store) -> list[int]:
    """Years holding rows of an invented sample file (示例（虚构）): every output showing or comparing
    against such a year says so."""
    names = [p.name for p in sample_files() if FICTIONAL_MARK in p.name]
    if not names:
        return []
    df = store.sql_df("SELECT DISTINCT year FROM projects WHERE list_contains(?, source_file) ORDER BY year", [names])
    return [int(y) for y in df["year"].tolist()]


def year_label(year: int | None, fictional: list[int] | set[int]) -> str:
    """'2023 年度（示例（虚构））' for an invented sample year, else '2024 年度'."""
    if year is None:
        return ""
    return f"{year} 年度" + (f"（{FICTIONAL_LABEL}）" if year in fictional else "")


def ensure_sample(store: Store) -> bool:
    """On a brand-new database, load the sample data so a newcomer sees something real. Returns True if loaded."""
    if not store.is_empty() or store.get_setting("sample_offered", False):
        return False
    plan = load_sample(store)
    store.set_setting("sample_offered", True)
    return plan.ok


# ---------------------------------------------------------------- removal
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


def remove_sample(store: Store, user=None) -> tuple[int, int]:
    """Delete every sample row in one transaction (`user` must be allowed to import into the sample's
    departments). Returns (projects, indicators) removed."""
    from . import auth
    actor = auth.resolve(store, user)
    for _, d in sample_scopes(store):
        auth.require(actor, "import", d)
    with store.transaction() as cur:
        return delete_sample_rows(cur, actor.name)
