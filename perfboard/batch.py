"""What an import will write: validated projects, their funds and indicators, and the report."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .validation_report import Report


class ImportRefused(Exception):
    """Raised by an import's commit when the plan has errors or needs a replace it was not given (here, below
    perfboard.importer and perfboard.monitoring, which both raise it)."""


# Columns of `projects` an importer may fill (id, import_id, imported_at are set on commit).
PROJECT_COLUMNS = [
    "year", "department", "unit", "project_code", "name", "funding_source", "initial_budget", "budget",
    "spent", "reported_rate", "overview", "goal", "achievement", "deviation_reason", "improvement",
    "execution_weight", "execution_reported_score", "reported_total_score",
    "source_file", "source_sheet", "source_row",
]
INDICATOR_COLUMNS = [
    "position", "level1", "level2", "level3", "direction", "target_value", "target_unit", "actual_value",
    "actual_unit", "target_text", "actual_text", "weight", "reported_score", "judgement", "deviation_note",
    "source_sheet", "source_row",
]
FUND_COLUMNS = ["kind", "initial_budget", "budget", "spent"]


@dataclass
class Batch:
    """Projects are dicts with PROJECT_COLUMNS; indicators and funds carry `ref`, the index of
    their project in `projects`."""
    file_name: str
    content_hash: str
    report: Report = field(default_factory=Report)
    projects: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    funds: list[dict] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    # (project code, normalised name) of project rows refused for an error: their indicator rows are not
    # reported again as orphans (the project's own error says what to fix)
    rejected: set[tuple] = field(default_factory=set)

    @property
    def project_count(self) -> int:        # monitoring batches (monitoring_forms.MonitorBatch) count their own rows
        return len(self.projects)

    @property
    def indicator_count(self) -> int:
        return len(self.indicators)

    def scopes(self) -> list[tuple[int, str]]:
        return sorted({(p["year"], p["department"]) for p in self.projects})

    def projects_frame(self) -> pd.DataFrame:
        """Preview for the import page: one row per project, Chinese headers."""
        counts: dict[int, int] = {}
        for ind in self.indicators:
            counts[ind["ref"]] = counts.get(ind["ref"], 0) + 1
        rows = []
        for i, p in enumerate(self.projects):
            rate = p["spent"] / p["budget"] if p.get("budget") else None
            rows.append({"年度": p["year"], "主管部门": p["department"], "项目名称": p["name"],
                         "资金来源": p.get("funding_source") or "", "全年预算数（万元）": p["budget"],
                         "全年执行数（万元）": p["spent"], "执行率": rate, "填报执行率": p.get("reported_rate"),
                         "指标数": counts.get(i, 0), "来源": f"{p.get('source_sheet') or ''} 第{p.get('source_row') or ''}行"})
        return pd.DataFrame(rows)
