"""The shipped sample data (data/sample/*.xlsx) and loading it into a fresh database."""
from __future__ import annotations

from pathlib import Path

from .auth import local_admin
from .db import ROOT, Store
from .importer import ImportPlan, import_paths

SAMPLE_DIR = ROOT / "data" / "sample"


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


def ensure_sample(store: Store) -> bool:
    """On a brand-new database, load the sample data so a newcomer sees something real. Returns True if loaded."""
    if not store.is_empty() or store.get_setting("sample_offered", False):
        return False
    plan = load_sample(store)
    store.set_setting("sample_offered", True)
    return plan.ok
