"""Validation reports (not the written self-evaluation report, which is perfboard.export.report): every
problem in an input file or an edit, with a stable code and its location."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ZH = {ERROR: "错误", WARNING: "警告", INFO: "提示"}
MAX_PROBLEMS = 300

# Stable codes -> message templates. Tests assert on codes and locations, not on prose.
MESSAGES = {
    "file-too-large": "文件 {value} 超过大小上限（{limit} MB），未读取。",
    "file-unreadable": "无法读取文件“{value}”：{limit}。",
    "empty-workbook": "文件“{value}”是空的：没有任何工作表含有数据。请确认上传的是填写并保存过的文件。",
    "sheet-too-large": "工作表的单元格范围延伸到 {value}，超过导入上限（{limit}），未读取。常见原因是数据区以外的远处单元格被误填或设了格式：请在 Excel/WPS 中删除数据区以外的行和列（或把数据复制到新工作表）后保存，再导入。",
    "parse-failed": "读取文件时出错（{value}），未导入：文件可能已损坏或过于复杂。请在 Excel/WPS 中打开并另存为 .xlsx，或拆分后再导入。",
    "parse-timeout": "读取文件超过 {limit} 秒仍未完成，已中止，未导入：请拆分文件或删除多余的工作表后再导入。",
    "no-permission": "{value}，文件未读取。",
    "control-chars": "单元格含控制字符（{value}），已删除（垂直制表符、换页符按换行处理）；导入的是去掉后的文字。",
    "control-chars-more": "本表另有 {value} 个单元格含控制字符，已同样删除。",
    "file-type": "不支持的文件类型“{value}”：请上传 .xlsx / .xlsm / .xls 或 .csv 文件。",
    "zip-bomb": "文件解压后过大（{value}），疑似异常文件，已拒绝。",
    "csv-encoding": "无法识别 CSV 文件的编码（已尝试 UTF-8、GB18030）。",
    "no-sheet": "未找到可识别的工作表：需要名为“项目”（projects）的数据表，或表头含“项目名称”“全年预算数”“全年执行数”（或“预算数”“执行数”“调整后预算数”“预算执行数”）的表格，或项目支出绩效自评表（含“项目名称”、“年度资金总额”或“总额”、“全年预算数”或“调整后预算数”、“全年执行数”或“预算执行数”、“三级指标”等栏目）。",
    "no-header": "工作表中未找到表头行（需要包含“项目名称”等列名）。",
    "missing-column": "缺少必填列“{value}”。",
    "too-many-rows": "数据行数 {value} 超过上限 {limit} 行，未导入。请拆分文件后分批导入。",
    "empty-required": "必填项“{column}”为空。",
    "not-a-number": "“{column}”应为数字，实际为“{value}”。",
    "negative-money": "“{column}”不能为负数：{value}。",
    "bad-year": "年度“{value}”无效，应为四位年份（如 2024）。",
    "formula-no-value": "单元格是公式（{value}）但文件中没有保存计算结果；请在 Excel/WPS 中打开并保存后重新导入，或直接填写数值。",
    "over-execution": "全年执行数 {value} 万元大于全年预算数 {limit} 万元（超预算执行）。",
    "rate-mismatch": "填报执行率 {value} 与按全年执行数÷全年预算数计算的 {limit} 相差超过 0.05 个百分点。",
    "zero-budget": "全年预算数为 0，无法计算执行率。",
    "rate-out-of-range": "执行率“{value}”不在合理范围内。",
    "duplicate-project": "项目重复：与第 {limit} 行的项目（同年度、主管部门、{value}）重复。",
    "duplicate-across-files": "项目重复：与{limit}的项目（同年度、主管部门、{value}）重复。",
    "orphan-indicator": "该指标行关联不到任何项目（{value}）。",
    "unknown-column": "未识别的列“{value}”，已忽略（保留在导入报告中）。",
    "sheet-skipped": "不是可导入的数据表（或填报表），已跳过。",
    "summary-skipped": "是项目汇总表；本文件按各张自评表导入，汇总表未导入（请核对两者是否一致）。",
    "already-imported": "相同内容的文件已于 {value} 导入过。",
    "replace-needed": "{value} 的数据已存在；如需用本文件替换，请确认“替换已有数据”。",
    "truncated": "问题过多，仅列出前 {value} 条。",
    "no-data": "文件中没有可导入的项目数据。",
    "bad-judgement": "评价结论“{value}”无效，应为 达成 / 部分达成 / 未达成 / 不适用。",
    "no-department": "没有主管部门：请在文件中填写“主管部门”列，或在导入时指定部门。",
    # 项目支出绩效目标执行监控表 and the flat monitoring sheets (monitoring_forms.py, issue 17)
    "monitor-form-found": "识别为项目支出绩效目标执行监控表（{value}）。",
    "monitor-no-year": "监控表中没有年度：请在标题（如“2024年度项目支出绩效目标执行监控表”）或“年度”栏填写年度。",
    "monitor-no-period": "找不到监控期：执行数、执行情况的表头应写明月份，如“1—7月执行数”，或填写“监控月份”列。",
    "monitor-period-mismatch": "表中的监控期不一致（{value}）：资金与指标的表头应为同一月份。",
    "monitor-bad-month": "监控月份“{value}”无效，应为 1—12 的月份（如 7 或“1—7月”）。",
    "monitor-rate-mismatch": "填报执行率 {value} 与按 执行数÷预算数 计算的 {limit} 相差超过 0.05 个百分点。",
    "monitor-bad-tick": "勾选栏填写了“{value}”：按已勾选导入；勾选请写 √、✓、是 或 1，未勾选留空。",
    "monitor-bad-likelihood": "完成目标可能性“{value}”无法识别，应为 确定能 / 有可能 / 完全不可能；未导入该项。",
    "monitor-likelihood-several": "完成目标可能性勾选了多项（{value}），按最不利的“{limit}”导入。",
    "monitor-empty-row": "空的指标行（只有一级、二级指标），已跳过。",
    "monitor-replace-needed": "{value} 的监控数据已存在；如需用本文件替换，请确认“替换已有数据”。",
    # 项目支出绩效自评表 (forms.py)
    "no-form": "未找到可识别的工作表：需要名为“项目”（projects）的数据表，或表头含“项目名称”“全年预算数”“全年执行数”（或“预算数”“执行数”“调整后预算数”“预算执行数”）的表格，或项目支出绩效自评表（含“项目名称”、“年度资金总额”或“总额”、“全年预算数”或“调整后预算数”、“全年执行数”或“预算执行数”、“三级指标”等栏目）；本文件两者都没有。",
    "form-incomplete": "未找到‘{value}’：本表不是完整的绩效自评表，未导入。",
    "form-found": "识别为项目支出绩效自评表（{value}）。",
    "fund-total-zero": "“年度资金总额”的“{column}”为 {value}，但其中各项合计 {limit} 万元：已按各项之和导入。",
    "fund-sum-mismatch": "“年度资金总额”的“{column}” {value} 万元与其中各项之和 {limit} 万元不一致（已按总额导入）。",
    "score-mismatch": "填报得分 {value} 与按 min(执行率, 100%) × 分值计算的 {limit} 不一致。",
    "total-mismatch": "填报总分 {value} 与预算执行得分及各指标得分之和 {limit} 不一致。",
    "weight-mismatch": "标注的分值 {value} 与其下各项分值之和 {limit} 不一致。",
    "score-over-weight": "得分 {value} 高于分值 {limit}。",
    "reason-missing": "得分 {value} 低于分值 {limit}，但未填写偏差原因及改进措施。",
    "template-text": "单元格中是模板的填写说明（“{value}”），不是数据，已忽略。",
    "date-in-text": "此处应为文字，单元格却是日期（{value}），可能被 Excel 自动转换；已按原样导入，请核对。",
    "indicator-name-missing": "指标有内容但没有三级指标名称（{value}）。",
    "target-missing": "未填写年度指标值。",
    "actual-missing": "未填写实际完成值。",
    "row-not-read": "从这一行起的 {limit}不属于本表识别出的任何部分（表头、资金、目标、指标、总分、表尾），未导入（首格“{value}”）；如其中有数据，请把它放到相应位置后再导入。",
    "footer-text-not-imported": "表尾“{value}”一行写有文字，未作为数据导入（本表只导入资金、目标、指标和总分）；偏离原因和改进措施请在“指标填报”页的项目文字说明中核对填写。",
    "unused-category": "只写了指标类别“{value}”，没有三级指标、指标值、完成值和分值：视为未使用的类别，已跳过。",
    "level1-missing": "缺少{value}：本表没有任何一条{value}，请核对是否漏填或原表被截断。",
    "score-missing": "分值为 {value}，但未填写得分（缺少填报数据，未按计算值补填）。",
    "total-score-missing": "未填写{value}的得分（缺少填报数据，未按计算值补填）。",
    "achievement-missing": "未填写年度总体目标的实际完成情况。",
    "total-row-assumed": "未找到“年度资金总额”行：已把第一行有金额的“{value}”行当作资金总额，请核对。",
    "money-as-text": "金额写作“{value}”，已按 {limit} 万元导入。",
    "name-code-split": "项目名称“{value}”前面是项目编码：已按编码 {limit} 与名称分开导入。",
    "form-not-project": "这是{value}，不是项目支出绩效自评表，未导入；请导入各项目的自评表。",
    "estimate-left-out": "“{value}”一栏是导出时按默认权重估算的数值，不是填报值，未导入（导入后重新估算）。",
}


def _as_written(value) -> str:
    """A cell value quoted in a message as the user wrote it: -5, not -5.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Problem:
    code: str
    severity: str
    sheet: str | None = None
    row: int | None = None       # 1-based, as Excel shows it
    column: str | None = None    # the header text as written in the file (or the field name)
    value: Any = None
    message: str = ""
    file: str | None = None      # which uploaded file, when an import has several

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件“{self.file}”")
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"“{self.column}”列")
        return " ".join(parts)

    def text(self) -> str:
        loc = self.location()
        return f"{SEVERITY_ZH[self.severity]}：{loc + '：' if loc else ''}{self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False
    hidden_errors: int = 0       # errors past the cap: not listed, but they still block the import
    hidden_warnings: int = 0

    def add(self, code: str, severity: str, *, sheet=None, row=None, column=None, value=None, limit=None,
            message: str | None = None, file: str | None = None) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self._mark_truncated()
            self.hidden_errors += severity == ERROR
            self.hidden_warnings += severity == WARNING
            return
        shown = "" if value is None else _as_written(value)
        if len(shown) > 80:
            shown = shown[:80] + "…"
        msg = message or MESSAGES[code].format(value=shown, column=column or "", limit=limit)
        self.problems.append(Problem(code, severity, sheet, row, column, value, msg, file))

    def extend(self, other: "Report") -> None:
        dropped = other.truncated
        self.hidden_errors += other.hidden_errors
        self.hidden_warnings += other.hidden_warnings
        for p in other.problems:
            if p.code == "truncated":
                continue
            if len(self.problems) >= MAX_PROBLEMS:
                dropped = True
                self.hidden_errors += p.severity == ERROR
                self.hidden_warnings += p.severity == WARNING
                continue
            self.problems.append(p)
        if dropped:
            self._mark_truncated()

    def _mark_truncated(self) -> None:
        if not self.truncated:
            self.truncated = True
            self.problems.append(Problem("truncated", INFO, message=MESSAGES["truncated"].format(value=MAX_PROBLEMS)))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def error_count(self) -> int:
        """Every error found, the ones past the listing cap too."""
        return len(self.errors) + self.hidden_errors

    def count_text(self) -> str:
        """“N 个错误，M 个警告” for a heading, saying when the list below is cut short."""
        text = f"{self.error_count} 个错误，{len(self.warnings) + self.hidden_warnings} 个警告"
        return text + (f"（下表只列出前 {MAX_PROBLEMS} 条问题）" if self.truncated else "")

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.hidden_errors

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    def to_frame(self) -> pd.DataFrame:
        """Errors first, then warnings, then info; Chinese column names for the page."""
        order = {ERROR: 0, WARNING: 1, INFO: 2}
        rows = sorted(self.problems, key=lambda p: (order[p.severity], p.file or "", p.sheet or "", p.row or 0))
        return pd.DataFrame(
            [{"级别": SEVERITY_ZH[p.severity], "代码": p.code, "文件": p.file or "", "工作表": p.sheet or "", "行": p.row,
              "列": p.column or "", "内容": "" if p.value is None else _as_written(p.value)[:80], "说明": p.message}
             for p in rows],
            columns=["级别", "代码", "文件", "工作表", "行", "列", "内容", "说明"],
        )

    def to_dicts(self) -> list[dict]:
        return [{k: (v if k != "value" or v is None else _as_written(v)) for k, v in asdict(p).items()}
                for p in self.problems]
