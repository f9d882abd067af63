"""Import is validate -> preview -> commit. `prepare` reads and checks files without writing;
`commit` writes a prepared plan in one transaction."""
from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from . import auth, cells, flat, forms, monitoring, monitoring_forms
from .batch import FUND_COLUMNS, INDICATOR_COLUMNS, PROJECT_COLUMNS, Batch, ImportRefused  # noqa: F401 (re-exported)
from .db import Store
from .indicators import STATUS_INPUTS, compute_status
from .readers import DEFAULT_LIMITS, DEFAULT_MAX_MB, SETTING_KEY, Limits, limits_of, read_book
from .validation_report import ERROR, INFO, MESSAGES, Report
from .sample_rows import delete_sample_rows, sample_files, sample_scopes
from .text import clean

_STR, _F, _I = pa.string(), pa.float64(), pa.int64()
_TYPES = {"year": _I, "source_row": _I, "position": _I, "id": _I, "project_id": _I, "import_id": _I,
          "initial_budget": _F, "budget": _F, "spent": _F, "reported_rate": _F, "execution_weight": _F,
          "execution_reported_score": _F, "reported_total_score": _F, "target_value": _F, "actual_value": _F,
          "weight": _F, "reported_score": _F, "imported_at": pa.timestamp("us")}


def _schema(cols: list[str]) -> pa.Schema:
    return pa.schema([(c, _TYPES.get(c, _STR)) for c in cols])


@dataclass
class ImportPlan:
    batches: list[Batch] = field(default_factory=list)
    report: Report = field(default_factory=Report)       # all files' problems together
    existing_scopes: list[tuple[int, str]] = field(default_factory=list)
    replace: bool = False
    remove_sample: bool = False      # delete the shipped sample's rows in the same transaction (issue 15)
    sample_loaded: bool = False      # the database holds sample rows (the preview offers removing them)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def projects(self) -> int:
        return sum(b.project_count for b in self.batches)

    @property
    def indicators(self) -> int:
        return sum(b.indicator_count for b in self.batches)


def _is_flat(book) -> bool:
    """A CSV, or a workbook with a projects table, is the flat format, unless that table is only a summary
    sheet next to forms (a 项目 table without a 绩效指标 table, in a workbook holding forms): then the forms
    are the data and the summary is skipped with a note."""
    if book.kind == "csv":
        return True
    if not flat.looks_flat(book):
        return False
    return flat.has_indicator_sheet(book) or not forms.has_form(book)


def _where(file_name: str, p: dict) -> str:
    """'文件“a.xlsx”工作表“项目”第 3 行' for the cross-file duplicate message."""
    out = f"文件“{file_name}”"
    if p.get("source_sheet"):
        out += f"工作表“{p['source_sheet']}”"
    if p.get("source_row"):
        out += f"第 {p['source_row']} 行"
    return out


def parse_file(file_name: str, data: bytes, department: str | None = None, max_mb: float = DEFAULT_MAX_MB,
               limits: Limits = DEFAULT_LIMITS) -> Batch:
    """Read and validate one file, in this process; nothing touches the database. The server and the CLI
    go through prepare(), which runs this in a worker process (perfboard.isolate)."""
    batch = Batch(file_name=file_name, content_hash=hashlib.sha256(data).hexdigest())
    book = read_book(file_name, data, batch.report, max_mb, limits)
    if book is None:
        return batch
    if monitoring_forms.is_monitoring(book):         # in-year monitoring forms / sheets (issue 17)
        return monitoring_forms.parse(book, batch, department)
    if _is_flat(book):
        flat.parse_flat(book, batch, department)
    else:
        forms.parse_forms(book, batch, department)      # self-evaluation forms, one project per form
    if batch.report.ok and not batch.projects:
        batch.report.add("no-data", ERROR)
    return batch


def may_import(store: Store | None, user, department: str | None = None) -> str | None:
    """Why `user` may not import (into `department`, or anywhere), or None when they may."""
    try:
        actor = auth.resolve(store, user) if store is not None else user
    except auth.PermissionDenied as exc:
        return str(exc)
    if not isinstance(actor, auth.User) or auth.can(actor, "import", department):
        return None
    where = f"向“{department}”" if department else ""
    return f"用户“{actor.name}”无权{where}导入数据"


LIMIT_BOUNDS = {"max_rows": (1, 1_048_576, "每个工作表最多行数"), "max_cols": (1, 16_384, "每个工作表最多列数"),
                "max_cells": (1_000, 100_000_000, "每个工作表最多单元格数（行数×列数）"),
                "memory_mb": (256, 16_384, "读取一个文件最多使用内存（MB）"), "timeout_s": (5, 3_600, "读取一个文件最长时间（秒）")}


def save_import_limits(store: Store, limits: Limits, user=None) -> list[str]:
    """Store the import limits (administrators only, audited like every setting). Returns the problems
    (Chinese), nothing stored when there are any."""
    errors = [f"“{label}”应在 {lo:,} 到 {hi:,} 之间。" for key, (lo, hi, label) in LIMIT_BOUNDS.items()
              if not lo <= getattr(limits, key) <= hi]
    if not errors:
        auth.change_setting(store, SETTING_KEY, limits.to_setting(), user)
    return errors


def parse(name: str, data: bytes, department: str | None = None, max_mb: float = DEFAULT_MAX_MB,
          limits: Limits = DEFAULT_LIMITS, isolate: bool = True) -> Batch:
    """One file's Batch: in a memory-limited worker process (isolate=True), or in this process."""
    if not isolate:
        return parse_file(name, data, department, max_mb, limits)
    from .isolate import parse_isolated
    return parse_isolated(parse_file, name, data, department, max_mb, limits)


def prepare(store: Store | None, files: list[tuple[str, bytes]], department: str | None = None,
            replace: bool = False, max_mb: float = DEFAULT_MAX_MB, *, user=None, isolate: bool = True,
            parsed=None, remove_sample: bool = False) -> ImportPlan:
    """Validate files and check them against the database: duplicates across files, scopes that
    already hold data (need consent to replace), files imported before (by content hash).

    `user` given: checked first, and a user who may not import gets an error with no file parsed.
    `isolate`: parse in a worker process (see perfboard.isolate); False parses here (tests, benchmarks).
    `parsed(name, data, parse_one) -> Batch`: lets a caller reuse an earlier parse of the same bytes
    (the import page's cache); the Batch it returns is not changed here.
    `remove_sample`: the commit also deletes the shipped sample's rows, so sample rows need no replace."""
    plan = ImportPlan(replace=replace, remove_sample=remove_sample)
    if user is not None:
        why = may_import(store, user, department)
        if why:
            plan.report.add("no-permission", ERROR, value=why)
            return plan
    limits = limits_of(store)
    seen: dict[tuple, str] = {}
    for name, data in files:
        name = clean(name).replace("\n", " ")

        def parse_one(name=name, data=data):
            return parse(name, data, department, max_mb, limits, isolate)

        b = parsed(name, data, parse_one) if parsed is not None else parse_one()
        b = dataclasses.replace(b, report=Report(list(b.report.problems), b.report.truncated,
                                                 b.report.hidden_errors, b.report.hidden_warnings))
        for p in b.projects:
            p["department"] = cells.department(p["department"])     # one spelling per department (issue 20)
            key = (p["year"], p["department"], p["project_code"] or cells.norm(p["name"]))
            if key in seen:
                value = p["project_code"] or p["name"]
                b.report.add("duplicate-project", ERROR, sheet=p["source_sheet"], row=p["source_row"],
                             column="项目名称", value=value, limit=seen[key],
                             message=MESSAGES["duplicate-across-files"].format(value=value, limit=seen[key]))
            else:
                seen[key] = _where(name, p)
        for problem in b.report.problems:
            problem.file = name
        plan.batches.append(b)
        plan.report.extend(b.report)
    if store is None:
        monitoring.check_plan(None, plan)
        return plan
    for b in plan.batches:
        when = store.scalar("SELECT max(imported_at) FROM import_log WHERE content_hash = ? AND outcome <> 'refused'",
                            [b.content_hash])
        if when is not None:
            plan.report.add("already-imported", INFO, sheet=None, value=f"{when:%Y-%m-%d %H:%M}（{b.file_name}）",
                            file=b.file_name)
    sample_names = [p.name for p in sample_files()]
    plan.sample_loaded = bool(store.scalar("SELECT count(*) FROM projects WHERE list_contains(?, source_file)",
                                           [sample_names]))
    kept = sample_names if remove_sample else []
    scopes = sorted({s for b in plan.batches for s in b.scopes()})
    plan.existing_scopes = [s for s in scopes if store.scalar(
        "SELECT count(*) FROM projects WHERE year = ? AND department = ?"
        " AND NOT list_contains(?, coalesce(source_file, ''))", [*s, kept])]
    if plan.existing_scopes and not replace:
        for y, d in plan.existing_scopes:
            plan.report.add("replace-needed", ERROR, value=f"{y} 年度“{d}”")
    monitoring.check_plan(store, plan)               # monitoring periods already held, duplicates across files
    return plan


def commit(store: Store, plan: ImportPlan, user: "auth.User | str | None" = None) -> list[int]:
    """Write every batch of the plan in one transaction; returns the import log ids. `user` must be allowed to
    import into every scope of the plan (None: the local administrator, only in single-user mode)."""
    if not plan.ok:
        raise ImportRefused("; ".join(p.text() for p in plan.report.errors[:5]))
    actor = auth.resolve(store, user)
    for d in sorted({d for b in plan.batches for _, d in b.scopes()}):
        auth.require(actor, "import", d)
    if plan.remove_sample:
        for _, d in sample_scopes(store):
            auth.require(actor, "import", d)
    now = datetime.now()
    log_ids = []
    with store.transaction() as cur:
        if plan.remove_sample:
            delete_sample_rows(cur, actor.name, now)
        for y, d in sorted({s for b in plan.batches for s in b.scopes()}):
            n = cur.execute("SELECT count(*) FROM projects WHERE year = ? AND department = ?", [y, d]).fetchall()[0][0]
            if n and not plan.replace:
                raise ImportRefused(f"{y} 年度“{d}”的数据已存在，未确认替换。")
            if n:
                delete_scope(cur, y, d)
        next_project = Store.next_id(cur, "projects")
        next_indicator = Store.next_id(cur, "indicators")
        next_log = Store.next_id(cur, "import_log")
        for b in plan.batches:
            if isinstance(b, monitoring_forms.MonitorBatch):
                monitoring.write(cur, b, plan, next_log, now, actor)
                log_ids.append(next_log)
                next_log += 1
                continue
            ids = list(range(next_project, next_project + len(b.projects)))
            next_project += len(b.projects)
            proj_rows = [{**{c: p.get(c) for c in PROJECT_COLUMNS}, "id": ids[i], "import_id": next_log,
                          "imported_at": now} for i, p in enumerate(b.projects)]
            _insert(cur, "projects", PROJECT_COLUMNS + ["id", "import_id", "imported_at"], proj_rows)
            ind_rows = [{**{c: ind.get(c) for c in INDICATOR_COLUMNS}, "id": next_indicator + k,
                         "project_id": ids[ind["ref"]]} for k, ind in enumerate(b.indicators)]
            next_indicator += len(ind_rows)
            if ind_rows:
                for row, status in zip(ind_rows, compute_status(pd.DataFrame(ind_rows, columns=STATUS_INPUTS))):
                    row["status"] = status
            _insert(cur, "indicators", INDICATOR_COLUMNS + ["id", "project_id", "status"], ind_rows)
            fund_rows = [{**{c: f.get(c) for c in FUND_COLUMNS}, "project_id": ids[f["ref"]]} for f in b.funds]
            _insert(cur, "project_funds", FUND_COLUMNS + ["project_id"], fund_rows)
            scope = "；".join(f"{y} {d}" for y, d in b.scopes())
            replaced = any(s in plan.existing_scopes for s in b.scopes())
            cur.execute(
                "INSERT INTO import_log (id, file_name, content_hash, imported_at, outcome, projects, indicators,"
                " errors, warnings, scope, message, user_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [next_log, b.file_name, b.content_hash, now, "replaced" if replaced else "imported", len(b.projects),
                 len(b.indicators), len(b.report.errors), len(b.report.warnings), scope,
                 f"导入 {len(b.projects)} 个项目、{len(b.indicators)} 条指标", actor.name])
            log_ids.append(next_log)
            next_log += 1
    return log_ids


def delete_scope(cur, year: int, department: str) -> None:
    ids = "SELECT id FROM projects WHERE year = ? AND department = ?"
    cur.execute(f"DELETE FROM indicators WHERE project_id IN ({ids})", [year, department])
    cur.execute(f"DELETE FROM project_funds WHERE project_id IN ({ids})", [year, department])
    cur.execute("DELETE FROM projects WHERE year = ? AND department = ?", [year, department])


def _insert(cur, table: str, cols: list[str], rows: list[dict]) -> None:
    if not rows:
        return
    arrow = pa.Table.from_pylist(rows, schema=_schema(cols))
    cur.register("_incoming", arrow)
    try:
        cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM _incoming")
    finally:
        cur.unregister("_incoming")


def import_paths(store: Store, paths: list[str | Path], department: str | None = None, replace: bool = False,
                 user: str | None = None, remove_sample: bool = False) -> ImportPlan:
    """CLI and sample loader: prepare and, when clean, commit."""
    files = [(Path(p).name, Path(p).read_bytes()) for p in paths]
    plan = prepare(store, files, department, replace, user=user, remove_sample=remove_sample)
    if plan.ok:
        commit(store, plan, user)
    return plan
