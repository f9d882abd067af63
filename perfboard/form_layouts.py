"""Every known 项目支出绩效自评表 variant, as data: the labels each block of the form prints, per field.

perfboard/form_cells.py builds its label sets from this table and no reader names a label itself: a province's wording is a
new entry here (plus a fixture in tests/form_corpus.py), not a code branch. docs/forms.md draws each variant.

Per variant, per block:
- title:      words of the form's title (tells the variant apart; also "this is a form" on detection)
- parties:    label -> field of the header lines (项目名称, 主管部门, 实施单位, 项目编码, 年度, a stated 自评得分)
- money:      column headers per field, `required` fields, the total row's labels and the sub-rows' labels by
              fund kind (current / carryover / other)
- goal:       the block label, and the headers of the expected (goal) and achieved (achievement) texts
- indicators: column headers per field and the `required` ones
- total:      labels of the 总分 row (its 分值 and 得分 are read under the indicator block's columns)
Labels are compared after NFKC with spaces removed, a trailing colon and a leading "其中：" dropped; a label
followed by brackets ("全年预算数（A）", "项目资金（万元）") also matches its bare form.
"""
from __future__ import annotations

# ---------------------------------------------------------------- the variants
VARIANTS: list[dict] = [
    {
        "id": "national",
        "zh": "全国通用格式",
        "source": "财政部《项目支出绩效评价管理办法》（财预〔2020〕10号）附件的项目支出绩效自评表；张掖市科学技术局 2024 年度自评报告",
        "title": ["项目支出绩效自评表"],
        "parties": {
            "name": ["项目名称"],
            "department": ["主管部门", "主管部门名称", "部门名称"],
            "unit": ["实施单位", "实施单位名称", "项目实施单位", "资金使用单位"],
            "code": ["项目编码", "项目代码", "项目编号"],
            "year": ["年度", "预算年度", "评价年度", "自评年度"],
        },
        "money": {
            "block": ["项目资金"],
            "fields": {"initial": ["年初预算数"], "budget": ["全年预算数"], "spent": ["全年执行数"],
                       "weight": ["分值"], "rate": ["执行率"], "score": ["得分"]},
            "required": ["budget", "spent"],
            "total_row": ["年度资金总额"],
            "sub_rows": {"current": ["本年财政拨款", "当年财政拨款"], "carryover": ["上年结转资金"],
                         "other": ["其他资金"]},
        },
        "goal": {"block": ["年度总体目标"], "expected": ["预期目标"], "achieved": ["实际完成情况"]},
        "indicators": {
            "block": ["绩效指标"],
            "fields": {"level1": ["一级指标"], "level2": ["二级指标"], "level3": ["三级指标"],
                       "target": ["年度指标值"], "actual": ["实际完成值"], "weight": ["分值"], "score": ["得分"],
                       "note": ["偏差原因分析及改进措施"]},
            "required": ["level3", "target", "actual"],
        },
        "total": ["总分"],
    },
    {
        "id": "ab",
        "zh": "全国通用格式（A/B 标注）",
        "source": "中央部门项目支出绩效自评表（金额与指标列标注 A、B，执行率写作 B/A）",
        "title": ["项目支出绩效自评表"],
        "parties": {},
        "money": {"fields": {"budget": ["全年预算数(A)"], "spent": ["全年执行数(B)"], "rate": ["执行率(B/A)"]}},
        "goal": {},
        "indicators": {"fields": {"target": ["年度指标值(A)"], "actual": ["实际完成值(B)"]}},
        "total": [],
    },
    {
        "id": "transfer",
        "zh": "转移支付绩效自评表",
        "source": "中央对地方转移支付区域绩效自评表（无分值、得分）",
        "title": ["转移支付区域绩效自评表", "转移支付绩效自评表"],
        "parties": {
            "name": ["转移支付(项目)名称", "转移支付项目名称", "转移支付名称"],
            "department": ["地方主管部门", "中央主管部门"],
        },
        "money": {
            "block": ["资金情况"],
            "fields": {},
            "sub_rows": {"current": ["中央财政资金", "中央补助资金", "中央补助地方资金", "地方资金", "地方财政资金"]},
        },
        "goal": {"expected": ["年初设定目标"], "achieved": ["全年实际完成情况"]},
        "indicators": {"fields": {"target": ["指标值"], "actual": ["全年完成值"], "note": ["未完成原因和改进措施"]}},
        "total": [],
    },
    {
        "id": "sichuan",
        "zh": "四川省格式（部门预算项目支出绩效自评表）",
        "source": "青神县发展和改革局《部门预算项目支出绩效自评表（2023年度）》，https://www.scqs.gov.cn/info/13206/211004.htm；"
                  "大英县司法局 2023 年度自评表，https://dyxrmt.cn/article-157795-21.html",
        "title": ["部门预算项目支出绩效自评表"],
        "parties": {"department": ["主管部门及代码"]},
        "money": {
            "block": ["预算执行情况", "年度预算数"],
            "fields": {"initial": ["年初预算"], "budget": ["调整后预算数", "调整后预算"], "spent": ["预算执行数"],
                       "rate": ["预算执行率"], "weight": ["权重"], "reason": ["原因"]},
            "total_row": ["总额"],
            "sub_rows": {"current": ["财政资金", "财政拨款"], "carryover": ["上年结转"],
                         "other": ["财政专户管理资金", "单位资金"]},
        },
        "goal": {"block": ["项目基本情况"], "expected": ["项目年度目标"], "achieved": ["年度目标完成情况", "实际完成目标"]},
        "indicators": {
            "fields": {"direction": ["指标性质"], "target": ["指标值"], "unit": ["度量单位"], "actual": ["完成值"],
                       "weight": ["权重"], "note": ["未完成原因分析"]},
        },
        "total": ["合计"],
    },
    {
        "id": "sichuan_link",
        "zh": "四川省绩效目标自评表（衔接资金）",
        "source": "中江县水利局《绩效目标自评表（2022年度）》，https://chacewang.com/newsdetail/news242266.html",
        "title": ["绩效目标自评表"],
        "parties": {},
        "money": {"block": ["资金情况"], "fields": {}},
        "goal": {"expected": ["年初设定目标"], "achieved": ["年度总体目标完成情况综述", "年度总体目标完成情况"]},
        "indicators": {"fields": {"actual": ["全年实际值"], "note": ["未完成原因及拟采取的改进措施"]}},
        "total": [],
    },
    {
        "id": "hunan_special",
        "zh": "湖南省县级专项资金绩效目标自评表",
        "source": "衡山县商务和粮食局《2020年度县级专项资金绩效目标自评表》（县级储备粮），https://taowenge.com/p-72820237.html",
        "title": ["专项资金绩效目标自评表"],
        "parties": {"name": ["专项资金名称"], "department": ["县级主管部门"]},
        "money": {"fields": {}, "sub_rows": {"current": ["中央、省、市补助县级资金"]}},
        "goal": {"expected": ["年初设定目标"], "achieved": ["全年实际完成情况"]},
        "indicators": {"fields": {"actual": ["全年完成值"], "note": ["未完成原因和改进措施"]}},
        "total": [],
    },
    {
        "id": "yunnan",
        "zh": "云南省项目支出绩效自评表（公开14表）",
        "source": "永德县明朗中学《2022年度项目支出绩效自评表》（公开14表），https://www.yongde.gov.cn/info/3003/116104.htm",
        "title": ["项目支出绩效自评表"],
        "parties": {},
        "money": {"fields": {}, "sub_rows": {"current": ["当年财政拨款"], "carryover": ["上年结转资金"]}},
        "goal": {},
        "indicators": {"fields": {"direction": ["指标性质"], "target": ["指标值"], "unit": ["度量单位"]}},
        "total": ["总分"],
    },
    {
        "id": "ningxia",
        "zh": "银川市本级部门项目支出绩效自评表",
        "source": "银川市本级部门项目支出绩效自评表（2021年，初中公用经费），https://m.yzwku.com/doc/476505.html（OCR 文本）",
        "title": ["部门项目支出绩效自评表"],
        "parties": {"stated_total": ["自评得分"]},
        "money": {"fields": {"budget": ["调整预算数"], "spent": ["全年执行数"]}},
        "goal": {"expected": ["年初设定目标"], "achieved": ["年度总体目标完成情况"]},
        "indicators": {"fields": {"weight": ["参考分值"], "target": ["指标值"], "actual": ["全年实际值"],
                                  "note": ["未完成原因分析及改进措施"]}},
        "total": [],
    },
    {
        "id": "hubei",
        "zh": "湖北省财政项目绩效自评表",
        "source": "襄阳市中心医院《2021年度财政项目绩效自评表》，https://taowenge.com/d-68000429.html（OCR 文本）",
        "title": ["财政项目绩效自评表"],
        "parties": {"unit": ["项目实施单位"]},
        "money": {
            "block": ["预算执行情况"],
            "fields": {"budget": ["预算数"], "spent": ["执行数"], "score": ["得分"]},
            "total_row": ["年度财政资金总额"],
        },
        "goal": {},
        "indicators": {"fields": {"target": ["年初目标值"], "actual": ["实际完成值"], "score": ["得分"]}},
        "total": [],
    },
]

# Labels every variant may use beyond its own (spellings met in hand-made copies of the forms).
COMMON = {
    "money": {
        "fields": {"initial": ["年初预算数", "年初预算"], "budget": ["全年预算", "调整后预算"],
                   "spent": ["全年执行", "实际执行数"], "rate": ["执行率", "预算执行率"],
                   "reason": ["原因", "偏差原因", "未完成原因", "执行偏差原因"]},
        "total_row": ["资金总额"],
        "sub_rows": {"current": ["本年度财政拨款", "本年财政资金", "本级财政资金"],
                     "carryover": ["上年结转", "上年结转结余资金", "上年结余资金"],
                     "other": ["其他资金来源", "自筹资金", "单位自有资金"]},
    },
    "goal": {"block": ["总体目标", "年度绩效目标"], "achieved": ["实际完成目标"]},
    "indicators": {"fields": {"target": ["年度目标值"], "actual": ["全年完成值", "全年实际完成值"],
                              "unit": ["计量单位"], "note": ["未完成原因和改进措施", "偏差原因分析", "偏差原因"],
                              # issue 15: PerfBoard's exported forms carry the judgement right of the print area
                              "judgement": ["评价结论"]}},
    "total": ["自评总分", "合计得分"],
}

# The national form's name of a field, used when a message says which column or row is missing.
FIELD_NAMES = {
    "money": {"initial": "年初预算数", "budget": "全年预算数", "spent": "全年执行数"},
    "indicators": {"level3": "三级指标", "target": "年度指标值", "actual": "实际完成值"},
}

# issue 15: PerfBoard's exported forms mark the headers of estimated 分值/得分/总分 columns with this word.
ESTIMATE_MARK = "估算"

# Title words of forms that are not one project's self-evaluation: refused with what they are instead.
NOT_PROJECT_FORMS = {
    "部门整体支出绩效自评表": "部门整体支出绩效自评表（整个部门的自评，不是某个项目的自评）",
    "部门整体支出绩效评价表": "部门整体支出绩效评价表（整个部门的评价，不是某个项目的自评）",
    "绩效目标表": "绩效目标表（年初申报的目标，没有执行数和完成值）",
    "绩效目标申报表": "绩效目标申报表（年初申报的目标，没有执行数和完成值）",
}

# Lines that end a form's indicator block (below its last indicator or 总分 row).
END_PREFIXES = ("备注", "注:", "说明", "填表人", "填报人", "联系人", "联系电话", "单位负责人", "审核人", "财务负责人",
                "填报日期", "填表日期", "项目负责人", "评价结论", "存在问题", "改进措施", "其他需要说明事项",
                "偏差大或目标未完成原因分析")
# Footer lines whose written text is the unit's own (not a signature, not the form's printed 备注/说明): reported as
# not imported when they carry text that is neither empty ("无") nor the template's instruction.
FOOTER_TEXT_PREFIXES = ("偏差大或目标未完成原因分析", "其他需要说明事项", "评价结论", "存在问题", "改进措施")

# The three 一级 categories every project's indicators should cover: missing one is a warning naming it.
LEVEL1_EXPECTED = (("产出", "产出指标"), ("效益", "效益指标"), ("满意度", "满意度指标"))

# Operator spellings of 指标性质 cells that the operator parser does not know (box-drawing "═" typed for "=").
DIRECTION_ALIASES = {"═": "=", "〓": "=", "≧": "≥", "≦": "≤"}


# ---------------------------------------------------------------- derived label sets
def _merge(into: dict, table: dict) -> None:
    for k, v in table.items():
        if isinstance(v, dict):
            _merge(into.setdefault(k, {}), v)
        elif isinstance(v, list):
            into.setdefault(k, [])
            into[k] += [x for x in v if x not in into[k]]


def merged() -> dict:
    """All variants' labels together, per block and field (what the reader matches)."""
    out: dict = {}
    for v in VARIANTS:
        _merge(out, {k: v[k] for k in ("title", "parties", "money", "goal", "indicators", "total")})
    _merge(out, COMMON)
    return out


def required(block: str) -> list[str]:
    """The fields a form must have in `block` (the national form's list)."""
    return list(VARIANTS[0][block]["required"])
