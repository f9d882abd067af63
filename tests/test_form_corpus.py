"""The corpus of real published 自评表 (tests/form_corpus.py): each imports with pinned figures, indicator rows
and report lines. Figures are checked against the source by hand (e.g. 387664.62 元 = 38.766462 万元; a total row
written 0 with its 本年财政拨款 row 90 / 89.974 / 89.974 imports the sub-row's amounts with a warning)."""
from __future__ import annotations

import pytest

from form_corpus import CORPUS, build, by_id
from perfboard import importer

KEYS = ("name", "project_code", "year", "department", "initial_budget", "budget", "spent", "reported_rate",
        "execution_weight", "execution_reported_score", "reported_total_score")

# id -> (project figures or None when refused, indicators (Excel row, 三级, 分值, 得分), report lines
# (severity initial, code, Excel row) in report order, form-found left out)
EXPECTED = {
    "sc-qingshen-2023": ({'name': '工资性支出', 'project_code': '51000021R000000019951', 'year': 2023, 'department': '青神县发展和改革局本级', 'initial_budget': 238.93, 'budget': 251.89, 'spent': 251.89, 'reported_rate': 1.0, 'execution_weight': 10.0, 'execution_reported_score': None, 'reported_total_score': None},
        [(14, '发放(缴纳)覆盖率', 60.0, None), (15, '足额保障率(参保率)', 30.0, None)],
        [('i', 'name-code-split', 2), ('w', 'score-missing', 8), ('w', 'template-text', 8), ('w', 'template-text', 5), ('w', 'achievement-missing', 2), ('w', 'actual-missing', 14), ('w', 'score-missing', 14), ('w', 'actual-missing', 15), ('w', 'score-missing', 15), ('w', 'level1-missing', 13), ('w', 'total-score-missing', 16)]),
    "sc-daying-2023": ({'name': '2023年全县安可替代补助资金项目', 'project_code': '51092324T000010263357', 'year': 2023, 'department': '大英县司法局部门', 'initial_budget': 0.0, 'budget': 3.36, 'spent': 3.36, 'reported_rate': 1.0, 'execution_weight': 10.0, 'execution_reported_score': 10.0, 'reported_total_score': None},
        [(14, '完成安可产品购买并按要求支付资金', None, None)],
        [('i', 'name-code-split', 2), ('w', 'template-text', 8), ('w', 'actual-missing', 14), ('w', 'level1-missing', 13), ('w', 'level1-missing', 13), ('w', 'total-score-missing', 14)]),
    "sc-zhongjiang-2022": ({'name': '中江县农业水价综合改革精准补贴和节水奖励项目小型水库水标尺制作安装', 'project_code': None, 'year': 2022, 'department': '中江县水利局', 'initial_budget': None, 'budget': 20.0, 'spent': 20.0, 'reported_rate': 1.0, 'execution_weight': 10.0, 'execution_reported_score': 10.0, 'reported_total_score': 100.0},
        [(11, '安装坡面水标尺', 10.0, 10.0), (12, '水标尺宽度', 10.0, 10.0), (13, '项目(工程)验收合格率', 20.0, 20.0), (14, '及时(按期)开工率', 10.0, 10.0), (15, '及时(按期)完工率', 10.0, 10.0), (16, '项目计划总投资', 10.0, 10.0), (18, '受益脱贫(含监测对象)户人口数', 10.0, 10.0), (19, '群众生产生活条件改善状况', 10.0, 10.0), (20, '受益脱贫(含监测对象)户满意度', 10.0, 10.0)],
        [('i', 'unused-category', 17), ('i', 'unused-category', 21), ('w', 'weight-mismatch', 22), ('w', 'total-mismatch', 22)]),
    "ah-tangxi-weituo-2022": ({'name': '委托业务项目', 'project_code': None, 'year': 2022, 'department': '池州市贵池区棠溪镇人民政府', 'initial_budget': 90.0, 'budget': 89.974, 'spent': 89.974, 'reported_rate': 0.0, 'execution_weight': 10.0, 'execution_reported_score': 0.0, 'reported_total_score': None},
        [(13, '基建工程委托业务项目数量', 8.0, 8.0), (14, '委托业务报告合格率', 8.0, 8.0), (15, '经费支出合规性', 8.0, 8.0), (16, '提交报告及时性', 8.0, 8.0), (17, '项目总成本', 8.0, 8.0), (18, '单项业务成本', 10.0, 10.0), (19, '对维护基建市场公平的影响程度', 10.0, 10.0), (20, '对控制基建项目成本影响程度', 10.0, 10.0), (21, '对推动基建项目“四项制度”健全和落实的持续性影响', 10.0, 10.0)],
        [('w', 'fund-total-zero', 6), ('w', 'fund-total-zero', 6), ('w', 'fund-total-zero', 6), ('w', 'rate-mismatch', 6), ('w', 'score-mismatch', 6), ('i', 'unused-category', 22), ('i', 'unused-category', 23), ('w', 'level1-missing', 23), ('w', 'total-score-missing', 23)]),
    "ah-tangxi-cunji-2022": ({'name': '村级补助及运转经费', 'project_code': None, 'year': 2022, 'department': '池州市贵池区棠溪镇人民政府', 'initial_budget': 202.64, 'budget': 132.912, 'spent': 132.912, 'reported_rate': 0.0, 'execution_weight': 10.0, 'execution_reported_score': 0.0, 'reported_total_score': None},
        [(13, '补助村(社区)数量', 8.0, 8.0), (14, '保障村干部人数', 8.0, 8.0), (15, '补助资格合规性', 8.0, 8.0), (16, '经费审批流程规范性', 8.0, 8.0), (17, '补助经费到位及时性', 8.0, 8.0), (18, '项目总成本', 10.0, 10.0), (19, '对保障村(社区)两委机构正常运行的影响程度', 10.0, 10.0), (20, '提高村(社区)干部工作积极性的影响程度', 10.0, 10.0)],
        [('w', 'fund-total-zero', 6), ('w', 'fund-total-zero', 6), ('w', 'fund-total-zero', 6), ('w', 'rate-mismatch', 6), ('w', 'score-mismatch', 6), ('w', 'level1-missing', 12), ('w', 'weight-mismatch', 19), ('w', 'total-score-missing', 20)]),
    "yn-yongde-2022": ({'name': '义务教育营养改善计划专项资金', 'project_code': None, 'year': 2022, 'department': '永德县教育体育局', 'initial_budget': None, 'budget': 38.766462, 'spent': 38.766462, 'reported_rate': 1.0, 'execution_weight': 10.0, 'execution_reported_score': 10.0, 'reported_total_score': 96.0},
        [(14, '学生受资助人数', 10.0, 10.0), (15, '营养改善计划覆盖率', 10.0, 10.0), (16, '资金到位及时率', 10.0, 7.0), (17, '生均补助标准达标率', 10.0, 10.0), (18, '减轻贫困学生家庭经济负担', 10.0, 10.0), (19, '政策知晓率', 10.0, 9.0), (21, '促进学校教育事业健康发展', 10.0, 10.0), (22, '学生满意度', 10.0, 10.0), (23, '家长满意度', 10.0, 10.0)],
        [('w', 'reason-missing', 16), ('w', 'reason-missing', 19), ('i', 'unused-category', 20)]),
    "nx-yinchuan-2021": ({'name': '初中公用经费', 'project_code': None, 'year': 2021, 'department': '银川市教育局', 'initial_budget': 64.8, 'budget': 64.8, 'spent': 64.8, 'reported_rate': 1.0, 'execution_weight': None, 'execution_reported_score': None, 'reported_total_score': 98.0},
        [(10, '完整性', 4.0, 4.0), (11, '相关性', 2.0, 2.0), (12, '可行性', 2.0, 2.0), (13, '适当性', 2.0, 2.0), (14, '保障人数', 10.0, 10.0), (15, '公用经费标准', 5.0, 5.0), (16, '公用经费完成时间', 5.0, 4.0), (17, '办公所需成本', 4.0, 4.0), (18, '维修(维护)所需成本', 3.0, 3.0), (19, '绿化、水电费等成本', 3.0, 3.0), (21, '效果显著', 15.0, 13.0)],
        [('w', 'achievement-missing', 2), ('w', 'target-missing', 10), ('w', 'target-missing', 11), ('w', 'target-missing', 12), ('w', 'target-missing', 13), ('w', 'reason-missing', 16), ('i', 'unused-category', 20), ('w', 'reason-missing', 21), ('w', 'level1-missing', 9), ('w', 'weight-mismatch', 20)]),
    "hb-xiangyang-2021": ({'name': '东津院区建设补助', 'project_code': None, 'year': 2021, 'department': '襄阳市卫生健康委', 'initial_budget': None, 'budget': 1000.0, 'spent': 1000.0, 'reported_rate': 1.0, 'execution_weight': None, 'execution_reported_score': 20.0, 'reported_total_score': None},
        [(8, '成本控制', None, 10.0), (9, '保证财政建设补助专款专用', None, 10.0), (10, '每年财政补助1000万元', None, 10.0), (11, '完成东津院区建设,医院东津医疗收入达到5亿元', None, 10.0)],
        [('w', 'achievement-missing', 3), ('w', 'level1-missing', 7), ('w', 'total-score-missing', 11)]),
    "ah-jinzhai-2023-dept": (None,
        [],
        [('e', 'form-not-project', 1)]),
    "nm-qingshan-2020-target": (None,
        [],
        [('e', 'form-not-project', 3)]),
    "hn-batang-2021-target": (None,
        [],
        [('e', 'form-not-project', 3)]),
    "hb-hbeu-2021-stripped": (None,
        [],
        [('e', 'form-incomplete', None)]),
    "hn-hengshan-2020": ({'name': '县级储备粮', 'project_code': None, 'year': 2020, 'department': '衡山县商务和粮食局', 'initial_budget': None, 'budget': 194.9, 'spent': 194.9, 'reported_rate': 1.0, 'execution_weight': None, 'execution_reported_score': None, 'reported_total_score': None},
        [(11, '5000吨稻谷、500吨成品粮储备到位率', None, None), (12, '库存数量真实率', None, None), (13, '县级储备粮管理制度严格执行率', None, None), (14, '储备粮管理专户管理率', None, None), (15, '县级储备粮库存粮食明显变质比例', None, None), (16, '县级储备粮贷款付息及时率', None, None), (17, '县级储备粮应急保障率', None, None), (18, '国家政策性粮收购价格执行率', None, None), (19, '县级储备粮库存成本核算率', None, None), (20, '利息费用保障率', None, None), (21, '政策性挂账利息补贴保障率', None, None), (22, '低温、低氧、低剂量科学保粮率', None, None), (23, '食品安全指标达标率', None, None), (24, '粮食储备设备维护及安全性', None, None), (26, '因粮食市场波动引起的粮食安全事件发生数', None, None), (27, '市民满意度调查', None, None)],
        []),
    "sx-jishan-2020": ({'name': '建档立卡个人缴费县级配套资金', 'project_code': None, 'year': 2020, 'department': '稷山县医疗保障局', 'initial_budget': None, 'budget': 65.66, 'spent': 65.07, 'reported_rate': 0.99, 'execution_weight': 10.0, 'execution_reported_score': 9.0, 'reported_total_score': 94.0},
        [(13, '全县参合人数', 15.0, 13.0), (14, '资金是否全部纳入医保统筹', 15.0, 15.0), (15, '资金是否全部及时纳入', 10.0, 10.0), (16, '配套资金每人每年', 10.0, 10.0), (17, '是否解决建档立卡人员看病难贵问题', 30.0, 27.0), (18, '是否满意', 10.0, 9.0)],
        [('w', 'score-mismatch', 6), ('w', 'reason-missing', 17), ('w', 'reason-missing', 18), ('w', 'total-mismatch', 19)]),
    "hb-changjiang-2020": ({'name': '渔业成品油价格改革补贴', 'project_code': None, 'year': 2020, 'department': '区市场监督管理局', 'initial_budget': None, 'budget': 1.56, 'spent': 1.56, 'reported_rate': 1.0, 'execution_weight': None, 'execution_reported_score': 20.0, 'reported_total_score': 100.0},
        [(10, '补贴渔船数', None, 20.0), (11, '渔船补贴发放率', None, 10.0), (12, '12月底之前完成', None, 10.0), (14, '退捕渔民抽样调查满意度', None, 40.0)],
        [('w', 'achievement-missing', 3), ('i', 'unused-category', 13), ('w', 'level1-missing', 13)]),
    "sc-daying-yibao-2023-page": (None,
        [],
        [('i', 'name-code-split', 14), ('e', 'form-incomplete', None), ('w', 'row-not-read', 1)]),
    "ah-tongling-2021-scoring": (None,
        [],
        [('e', 'no-department', 1), ('e', 'form-incomplete', None), ('e', 'form-incomplete', None), ('e', 'form-incomplete', None), ('e', 'form-incomplete', None), ('e', 'form-incomplete', None)]),
    "sn-jiaxian-2016-target": (None,
        [],
        [('e', 'form-not-project', 4)]),
    "prov-kejifazhan-2021-template": (None,
        [],
        [('e', 'empty-required', 8)]),
}


def parse(fixture):
    return importer.parse_file(fixture["id"] + ".xlsx", build(fixture))


def test_the_corpus_is_all_pinned():
    assert [f["id"] for f in CORPUS] == list(EXPECTED)
    assert all(f["source"].startswith("http") and f["where"] and f["uncertain"] for f in CORPUS)


@pytest.mark.parametrize("fixture", CORPUS, ids=[f["id"] for f in CORPUS])
def test_fixture_imports_with_pinned_figures(fixture):
    project, indicators, problems = EXPECTED[fixture["id"]]
    b = parse(fixture)
    assert b.report.ok is (project is not None)
    assert ({k: b.projects[0][k] for k in KEYS} if b.projects else None) == project
    assert [(i["source_row"], i["level3"], i["weight"], i["reported_score"]) for i in b.indicators] == indicators
    assert [(p.severity[0], p.code, p.row) for p in b.report.problems if p.code != "form-found"] == problems


def test_sichuan_2023_layout_reads_the_adjusted_budget_and_flags_what_is_missing():
    b = parse(by_id("sc-qingshen-2023"))
    p = b.projects[0]
    assert (p["budget"], p["initial_budget"], p["spent"]) == (251.89, 238.93, 251.89)   # 调整后预算数, 年初预算
    assert p["reported_rate"] == 1.0                                                  # the text "100.00%"
    assert p["name"] == "工资性支出" and p["project_code"] == "51000021R000000019951"
    codes = [(x.code, x.row, x.column) for x in b.report.warnings]
    assert ("actual-missing", 14, "完成值") in codes and ("score-missing", 14, "得分") in codes
    assert ("score-missing", 8, "得分") in codes                                      # 预算执行 得分 left empty
    assert ("total-score-missing", 16, "得分") in codes                               # 合计 row without 得分
    assert ("level1-missing", 13, "一级指标") in codes
    assert [i["target_text"] for i in b.indicators] == ["=100%", "=100%"]
    assert b.report.problems[-1].value.startswith("四川省格式")


def test_truncated_satisfaction_row_is_a_warning_with_its_row():
    b = parse(by_id("ah-tangxi-weituo-2022"))
    [missing] = [p for p in b.report.warnings if p.code == "level1-missing"]
    assert (missing.row, missing.value) == (23, "满意度指标") and "缺少满意度指标" in missing.message
    assert [(p.code, p.row) for p in b.report.problems if p.code == "unused-category"] == \
        [("unused-category", 22), ("unused-category", 23)]


@pytest.mark.parametrize("fid, what", [("ah-jinzhai-2023-dept", "部门整体"), ("nm-qingshan-2020-target", "绩效目标表"),
                                       ("hn-batang-2021-target", "绩效目标表"), ("sn-jiaxian-2016-target", "绩效目标申报表")])
def test_forms_that_are_not_a_projects_self_evaluation_say_what_they_are(fid, what):
    b = parse(by_id(fid))
    assert [p.code for p in b.report.errors] == ["form-not-project"]
    assert what in b.report.errors[0].message and b.projects == []


def test_the_corpus_has_nineteen_real_forms_from_distinct_sources():
    assert len(CORPUS) >= 19
    # 棠溪镇's two forms are two files of one township; every other fixture is its own published page
    assert len({f["source"] for f in CORPUS}) == len(CORPUS)


def test_hunan_county_special_fund_form_reads_with_its_own_labels():
    b = parse(by_id("hn-hengshan-2020"))
    p = b.projects[0]
    assert (p["name"], p["department"], p["budget"], p["spent"]) == ("县级储备粮", "衡山县商务和粮食局", 194.9, 194.9)
    assert [f["kind"] for f in b.funds] == ["current"]                  # 其中:中央、省、市补助县级资金
    assert b.report.problems[-1].value.startswith("湖南省县级专项资金")
    # the 说明 | 无 line below the block ends it: 无 is not an indicator
    assert "无" not in [i["level3"] for i in b.indicators] and len(b.indicators) == 16
    [noted] = [i for i in b.indicators if i["level3"] == "政策性挂账利息补贴保障率"]
    assert (noted["actual_text"], noted["deviation_note"]) == ("无", "没有轮换、动用库存")


def test_template_numbering_is_not_part_of_the_indicator_name():
    b = parse(by_id("sx-jishan-2020"))
    assert b.indicators[0]["level3"] == "全县参合人数"                   # written 指标1:全县参合人数
    assert b.indicators[0]["deviation_note"] == "建档立卡中有新增死亡人员,导致有偏差"
    [total] = [x for x in b.report.warnings if x.code == "total-mismatch"]
    assert (total.row, total.value) == (19, "94") and "93" in total.message   # 9 + 13+15+10+10+27+9 as written


def test_a_previous_forms_tail_above_the_name_line_is_reported_not_dropped():
    b = parse(by_id("sc-daying-yibao-2023-page"))
    [tail] = [x for x in b.report.problems if x.code == "row-not-read"]
    assert (tail.severity, tail.sheet, tail.row) == ("warning", "自评表", 1)
    assert "12 行" in tail.message and "项目名称行之上" in tail.message and "城乡居民医保参保工作经费发放及时率" in tail.message


def test_layout_named_after_the_variant_that_matches():
    found = {f["id"]: next(p.value for p in parse(f).report.problems if p.code == "form-found")
             for f in CORPUS if EXPECTED[f["id"]][0] is not None}
    assert found["yn-yongde-2022"].startswith("云南省")
    assert found["sc-zhongjiang-2022"].startswith("四川省绩效目标自评表")
    assert found["nx-yinchuan-2021"].startswith("银川市")
    assert found["hb-xiangyang-2021"].startswith("湖北省")
    assert found["ah-tangxi-cunji-2022"].startswith("全国通用格式")
    assert found["sx-jishan-2020"].startswith("全国通用格式")
    assert found["hb-changjiang-2020"].startswith("湖北省")
