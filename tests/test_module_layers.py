"""The house rules on module dependencies, read from the source with ast (lazy imports inside functions
count too): perfboard/db.py is the only module that opens a database and imports only low-level modules;
no import cycle among perfboard modules; the domain package imports no streamlit; the command-line
subcommand modules share perfboard/cli_common.py instead of importing perfboard/cli.py."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "perfboard"

# Modules that open database connections (the driver modules may be imported only here).
STORE_MODULES = {"perfboard.db"}
DRIVERS = {"duckdb", "psycopg", "psycopg_pool", "adbc_driver_postgresql", "sqlite3"}
# What perfboard.db may import from the package: pure modules that import no store themselves.
DB_MAY_IMPORT = {"perfboard.indicator_status", "perfboard.targets"}
CLI_SUBCOMMANDS = {"perfboard.export.cli", "perfboard.review_cli", "perfboard.monitor_cli"}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str], root: Path = ROOT) -> tuple[set[str], set[str]]:
    """(perfboard modules imported, top-level names of other imports) anywhere in the file."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    ours, others = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for a in node.names:
                (ours if a.name in known else others).add(a.name if a.name in known else a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "perfboard":
                others.add(target.split(".")[0])
                continue
            for a in node.names:
                full = f"{target}.{a.name}"
                ours.add(full if full in known else target)
    ours.discard(name)
    return {m for m in ours if m in known}, others


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    ours, others = {}, {}
    for name, path in files.items():
        ours[name], others[name] = imports_of(path, set(files))
    return ours, others


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return sorted(found)


def reach(g: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in g.get(todo.pop(), ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import(tmp_path):
    """The rule below is not vacuous: a two-module circle (one side a function-level import) is found."""
    pkg = tmp_path / "perfboard"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("def x():\n    from . import a\n")
    (pkg / "c.py").write_text("from perfboard.a import x\n")
    known = {"perfboard", "perfboard.a", "perfboard.b", "perfboard.c"}
    g = {module_name(p, tmp_path): imports_of(p, known, tmp_path)[0] for p in pkg.glob("*.py")}
    assert g["perfboard.b"] == {"perfboard.a"} and g["perfboard.c"] == {"perfboard.a"}
    assert cycles(g) == [["perfboard.a", "perfboard.b"]]


def test_no_import_cycle_among_perfboard_modules():
    ours, _ = graph()
    assert cycles(ours) == []


def test_db_imports_only_low_level_modules_that_import_no_store():
    ours, _ = graph()
    below = reach(ours, "perfboard.db")
    assert below <= DB_MAY_IMPORT, sorted(below - DB_MAY_IMPORT)
    assert not any(reach(ours, m) & STORE_MODULES for m in below)


def test_only_the_store_module_opens_database_connections():
    """Driver imports (duckdb, psycopg, …) only in perfboard/db.py; pages, ui/ and app.py go through it."""
    _, others = graph()
    users = {m for m, names in others.items() if names & DRIVERS}
    assert users == STORE_MODULES
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        names = imports_of(path, set())[1]
        assert not names & DRIVERS, (path.name, names & DRIVERS)


def test_the_domain_package_imports_no_streamlit():
    _, others = graph()
    assert not {m for m, names in others.items() if "streamlit" in names}


def test_cli_subcommand_modules_do_not_import_the_cli_module():
    ours, _ = graph()
    assert "perfboard.cli_common" in ours["perfboard.cli"]
    for m in CLI_SUBCOMMANDS:
        assert "perfboard.cli" not in ours[m], m
