"""The one-page brief's data-quality part is the 自评复核 rules' (perfboard.review): per rule the brief counts what
`review --json` counts, its 数据检查 items are the overview strip's checks with the strip's counts, the undecided
list is the rules' missing-target and pending-judgement findings, and a review setting changes the brief too."""
from __future__ import annotations

import io
import json
from collections import Counter

from docx import Document

from perfboard import review
from perfboard.cli import main
from perfboard.db import Store
from perfboard.deviations import figures
from perfboard.export.brief import _quality_line, brief_data, brief_docx
from perfboard.filters import Filters
from tests.test_review import add_indicator, add_project, complete

Y2024 = Filters(year=2024)


def per_code(d) -> dict[str, int]:
    c = Counter()
    for item in d.quality + d.review:
        c[item.code] += item.n
    return dict(c)


def strip(d) -> dict[str, int]:
    return {item.check: item.n for item in d.quality}


def review_json(path, capsys, *args) -> dict:
    assert main(["review", "--db", str(path), "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def nonzero(counts: dict) -> dict:
    return {k: n for k, n in counts.items() if n}


def test_sample_2024_brief_counts_are_the_reviews_and_the_strips(sample_db_path, capsys):
    s = Store(sample_db_path)
    d = brief_data(s, Y2024, with_chart=False)
    default = brief_data(s, Filters(), with_chart=False)            # no year: the latest, 2024
    strip_counts = figures(s, Y2024)["quality"]
    s.close()
    out = review_json(sample_db_path, capsys, "--year", "2024")
    assert per_code(d) == nonzero(out["counts"]) == {
        "reported-vs-computed": 1, "missing-actual": 6, "missing-target": 4, "score-inflation": 1,
        "unit-mismatch": 3, "missing-level1": 9, "missing-improvement": 3, "thin-indicators": 2}
    assert strip(d) == nonzero(strip_counts) == {"rate_mismatch": 1, "missing_actual": 6, "missing_target": 4}
    assert per_code(default) == per_code(d) and default.undecided == d.undecided
    # every label counts what it says: the 4 undecided indicators are not called "all without a target" (47 are)
    assert [i.text for i in d.quality] == ["填报执行率与计算值不一致 1 个项目", "指标缺少实际完成值 6 条指标",
                                           "指标无年度指标值且未人工判定 4 条指标"]
    assert [(i.severity, i.text) for i in d.review] == [
        ("P1", "自评流于形式 1 个单位"), ("P1", "计量单位不一致 3 条指标"), ("P1", "缺少一级指标 9 个项目"),
        ("P1", "偏离未写改进措施 3 个项目"), ("P2", "产出指标过少 2 个项目")]
    assert d.undecided == [("2024 年残疾人就业保障金", 3), ("2024 年招商引资", 1)]   # apart from the red ones
    assert sum(n for _, n in d.undecided) == out["counts"]["missing-target"] + out["counts"]["pending-judgement"]


def fixture(store):
    """Two units, hand-built: every finding counted by hand below."""
    a = add_project(store, "甲一", dept="甲局", budget=10, spent=10, reported_rate=0.5,
                    improvement="整改", deviation_reason="原因")                          # rate 100% reported 50%
    add_indicator(store, a, "产出指标", "数量指标", "处个", "1处", "1个")                 # unit-mismatch, pending
    add_indicator(store, a, "产出指标", "数量指标", "缺实际", "≥10项", None)              # missing-actual
    add_indicator(store, a, "效益指标", "社会效益指标", "效益", "≥80%", "85%")
    add_indicator(store, a, "满意度指标", "服务对象满意度指标", "满意度", "≥90%", "95%")  # 2 产出: thin
    b = add_project(store, "甲二", dept="甲局", budget=10, spent=5)                    # 50%: no reason, no measure
    complete(store, b)
    add_indicator(store, b, "产出指标", "数量指标", "未达", "≥10项", "8项")              # unmet, no 偏差原因
    add_project(store, "乙一", dept="乙局", budget=10, spent=10, deviation_reason="无")   # no indicators: level1, not thin
    add_project(store, "乙二", dept="乙局", year=2023, budget=10, spent=1)              # another year


def test_hand_built_brief_counts_are_the_reviews_and_the_strips(store, capsys):
    fixture(store)
    d = brief_data(store, Y2024, with_chart=False)
    strip_counts = figures(store, Y2024)["quality"]
    path = getattr(store, "url", store.path)      # PostgreSQL: the URL (its path is redacted)
    store.close()
    out = review_json(path, capsys, "--year", "2024")
    want = {"reported-vs-computed": 1, "missing-reason": 2, "missing-actual": 1, "unit-mismatch": 1,
            "pending-judgement": 1, "missing-level1": 1, "thin-indicators": 1, "missing-improvement": 1}
    assert per_code(d) == nonzero(out["counts"]) == want
    assert strip(d) == nonzero(strip_counts) == {"rate_mismatch": 1, "budget_no_reason": 1, "missing_actual": 1,
                                                 "unmet_no_reason": 1}
    assert [i.text for i in d.review] == ["计量单位不一致 1 条指标", "缺少一级指标 1 个项目", "偏离未写改进措施 1 个项目",
                                          "产出指标过少 1 个项目", "指标待人工判定 1 条指标"]
    assert d.undecided == [("甲一", 1)]
    line = _quality_line(d)
    assert line.startswith("数据检查：填报执行率与计算值不一致 1 个项目；执行偏离但未填写偏离原因 1 个项目；")
    assert "自评复核另发现：P1 计量单位不一致 1 条指标、" in line and "；P2 产出指标过少 1 个项目、指标待人工判定 1 条指标" in line


def test_a_review_setting_changes_the_brief(sample_store):
    before = brief_data(sample_store, Y2024, with_chart=False)
    review.save_review_settings(sample_store, {"thin_min_output": 2, "severity": {"missing-level1": "P2"}})
    after = brief_data(sample_store, Y2024, with_chart=False)
    assert per_code(before)["thin-indicators"] == 2 and per_code(after)["thin-indicators"] == 1   # only 1 产出 left
    assert ("P2", "缺少一级指标 9 个项目") in [(i.severity, i.text) for i in after.review]
    text = Document(io.BytesIO(brief_docx(sample_store, Y2024, after))).paragraphs[-1].text
    assert "P2 缺少一级指标 9 个项目、产出指标过少 1 个项目" in text


def test_brief_counts_read_the_stored_year_without_its_texts(sample_store, monkeypatch):
    """The brief counts from the year's findings as computed, from this process's cache or from the stored rows
    (COUNT_COLUMNS only: the messages, facts and evidence of a province's year are most of its memory)."""
    from perfboard import review_store
    s = sample_store
    real = review_store.load
    for f in (Y2024, Filters(year=2024, departments=("张掖市科学技术局",)), Filters(year=2024, lights=("红",)),
              Filters(year=2023)):
        full = review.findings(s, f)[list(review.COUNT_COLUMNS)]
        asked = []
        monkeypatch.setattr(review_store, "load", lambda *a: asked.append(a[4:]) or real(*a))
        monkeypatch.setattr(review, "run_rules", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran")))
        cached = review.count_findings(s, f)                    # computed in this process: its cache
        assert asked == []
        review._CACHE.clear()                                   # a fresh process: the stored rows, without texts
        got = review.count_findings(s, f)
        assert asked == [(review.COUNT_COLUMNS,)]
        for x in (cached, got):
            assert list(x.columns) == list(review.COUNT_COLUMNS)
            for c in review.COUNT_COLUMNS:
                assert x[c].astype(object).where(x[c].notna(), None).tolist() == \
                    full[c].astype(object).where(full[c].notna(), None).tolist(), c
            assert review.count_items(x) == review.count_items(full) and review.undecided(x) == review.undecided(full)
        monkeypatch.undo()
