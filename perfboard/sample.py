"""The shipped sample data (data/sample/*.xlsx): loading it into a fresh database, naming the illustrative
(示例（虚构）) years, and removing every sample row again."""
from __future__ import annotations

from .auth import local_admin
from .db import Store
from .importer import ImportPlan, import_paths
from .sample_rows import SAMPLE_DIR, delete_sample_rows, sample_files, sample_scopes  # noqa: F401 (re-exported)
from .versions import notes_blind

FICTIONAL_MARK = "虚构"              # in the file name of an invented sample year
FICTIONAL_LABEL = "示例（虚构）"


def load_sample(store: Store, replace: bool = True) -> ImportPlan:
    """Import every sample workbook in one go (replacing earlier sample rows of the same scope)."""
    return import_paths(store, sample_files(), replace=replace, user=local_admin("系统（示例数据）"))


@notes_blind
def sample_in_use(store: Store) -> list[str]:
    """Names of sample files whose rows are in the database now (so pages can label them)."""
    names = [p.name for p in sample_files()]
    if not names:
        return []
    df = store.sql_df("SELECT DISTINCT source_file FROM projects WHERE list_contains(?, source_file)", [names])
    return sorted(df["source_file"].tolist())


@notes_blind
def fictional_years(store: Store) -> list[int]:
    """Years holding rows of an invented sample file (示例（虚构）): every output showing or comparing
    against such a year says so."""
    names = [p.name for p in sample_files() if FICTIONAL_MARK in p.name]
    if not names:
        return []
    df = store.sql_df("SELECT DISTINCT year FROM projects WHERE list_contains(?, source_file) ORDER BY year", [names])
    return [int(y) for y in df["year"].tolist()]


_ILLUSTRATIVE = ("SELECT DISTINCT year FROM projects WHERE list_contains(?, source_file)"
                 " AND (CAST(? AS INTEGER) IS NULL OR year = ?) AND (CAST(? AS VARCHAR[]) IS NULL OR list_contains(?, department))"
                 " ORDER BY year")


def illustrative_years(store: Store, filters=None, compared=()) -> tuple[list[int], list[int]]:
    """(shown, compared): the 示例（虚构） years among the rows `filters` select (every year when it names
    none) and among the years those rows are compared against. Pages and exports label their data by it."""
    names = [p.name for p in sample_files() if FICTIONAL_MARK in p.name]
    if not names:
        return [], []
    year = getattr(filters, "year", None)
    depts = list(getattr(filters, "departments", ()) or ()) or None
    df = store.sql_df(_ILLUSTRATIVE, [names, year, year, depts, depts])
    shown = [int(y) for y in df["year"].tolist()]
    fictional = set(fictional_years(store))
    other = sorted({int(y) for y in compared if y is not None and int(y) in fictional} - set(shown))
    return shown, other


@notes_blind
def illustrative_note(store: Store, filters=None, compared=()) -> str:
    """One sentence saying which shown or compared years are 示例（虚构）; "" when none is."""
    shown, other = illustrative_years(store, filters, compared)
    parts = []
    if shown:
        parts.append("、".join(f"{y} 年度" for y in shown) + f"的数据为{FICTIONAL_LABEL}数据，不是真实数据，仅供演示。")
    if other:
        parts.append("对比的 " + "、".join(f"{y} 年度" for y in other) + f"为{FICTIONAL_LABEL}数据，同比变化仅供演示。")
    return "".join(parts)


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
def remove_sample(store: Store, user=None) -> tuple[int, int]:
    """Delete every sample row in one transaction (`user` must be allowed to import into the sample's
    departments). Returns (projects, indicators) removed."""
    from . import auth
    actor = auth.resolve(store, user)
    for _, d in sample_scopes(store):
        auth.require(actor, "import", d)
    with store.transaction() as cur:
        return delete_sample_rows(cur, actor.name)
