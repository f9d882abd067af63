"""The sidebar filters, shared by every page, the CLI and the exports."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

LIGHTS = ["绿", "黄", "红", "超预算", "无预算"]
DEFAULT_BANDS = {"green": 0.95, "yellow": 0.90}


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    departments: tuple[str, ...] = ()
    funding_sources: tuple[str, ...] = ()
    lights: tuple[str, ...] = ()
    search: str = ""

    def params(self, bands: dict | None = None) -> dict:
        """Bound parameters of queries/projects.sql (empty selections mean 'all')."""
        bands = bands or DEFAULT_BANDS
        return {
            "year": self.year,
            "departments": list(self.departments) or None,
            "funding_sources": list(self.funding_sources) or None,
            "lights": list(self.lights) or None,
            "search": self.search.strip() or None,
            "green": bands["green"],
            "yellow": bands["yellow"],
        }

    def describe(self) -> str:
        """One Chinese line naming the filters, for export titles."""
        parts = [f"{self.year} 年度" if self.year else "全部年度"]
        if self.departments:
            parts.append("部门：" + "、".join(self.departments))
        if self.funding_sources:
            parts.append("资金来源：" + "、".join(self.funding_sources))
        if self.lights:
            parts.append("状态：" + "、".join(self.lights))
        if self.search.strip():
            parts.append(f"名称含“{self.search.strip()}”")
        return "；".join(parts)

    def with_year(self, year: int | None) -> "Filters":
        d = asdict(self)
        d["year"] = year
        return Filters(**d)
