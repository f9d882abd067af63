"""The overview's data-quality strip and the 自评复核 rules are one list: every check of the strip is a review
rule over the same definitions, and the counts agree on the sample and on the synthetic database."""
from __future__ import annotations

import pytest

from perfboard import review
from perfboard.deviations import QUALITY_CHECKS, figures
from perfboard.filters import Filters
from tests.synthetic_data import synthetic_db, synthetic_store  # noqa: F401  (fixtures)


def test_every_check_is_a_rule():
    assert set(review.QUALITY_CHECK_RULES) == set(QUALITY_CHECKS)
    assert {code for code, _ in review.QUALITY_CHECK_RULES.values()} <= set(review.RULES)


@pytest.mark.parametrize("f", [Filters(year=2024), Filters(year=2023), Filters()])
def test_counts_agree_on_the_sample(sample_store, f):
    assert review.quality_counts(review.findings(sample_store, f)) == figures(sample_store, f)["quality"]


@pytest.mark.parametrize("f", [Filters(year=2024), Filters(year=2023, lights=("红", "黄")), Filters(search="项目")])
def test_counts_agree_on_synthetic_data(synthetic_store, f):
    got = review.quality_counts(review.findings(synthetic_store, f))
    want = figures(synthetic_store, f)["quality"]
    assert got == want and sum(want.values()) > 0


@pytest.mark.parametrize("f", [Filters(year=2024), Filters(year=2023, lights=("红", "黄")), Filters()])
def test_pending_judgement_is_the_overviews_pending_count(synthetic_store, f):
    """pending-judgement counts what the overview's 指标达成 help calls 待人工判定."""
    got = review.counts_by_code(review.findings(synthetic_store, f))["pending-judgement"]
    assert got == figures(synthetic_store, f)["indicators_pending"] > 0
