"""Big-figure text that must fit a metric tile at a bureau's and at a province's scale."""
from perfboard.compare import _pp
from perfboard.display import met_text


def test_met_text_counts_for_a_bureau_share_for_a_province():
    assert met_text(52, 56) == "52 / 56"
    assert met_text(9_000, 9_999) == "9,000 / 9,999"
    assert met_text(12_345, 23_456) == "52.6%"
    assert met_text(1_859_173, 2_300_011) == "80.8%"
    assert met_text(0, 0) == "—" and met_text(3, None) == "—"


def test_percentage_point_changes_never_show_minus_zero():
    assert _pp(-0.004) == "持平" and _pp(0.0) == "持平" and _pp(None) is None
    assert _pp(-0.01) == "-0.01 个百分点" and _pp(12.97) == "+12.97 个百分点"
