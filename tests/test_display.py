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


# ---------------------------------------------------------------- data shown as text (issue 20)
import pytest  # noqa: E402

from perfboard.display import BREAK, md_text, plain  # noqa: E402
from tests.hostile.markup import LONG, MARKUP, live_markup, visible  # noqa: E402


@pytest.mark.parametrize("case", list(MARKUP))
def test_markup_in_data_is_escaped_and_reads_literally(case):
    text = MARKUP[case]
    source = md_text(text)
    assert visible(source) == text
    assert not live_markup(source), live_markup(source)


def test_the_checker_sees_live_markup_in_unescaped_data():
    """The corpus would be interpreted without the helper (so the page tests can fail)."""
    for case in ("link", "image", "bare-url", "www", "email", "icon", "emoji", "latex", "html"):
        assert live_markup(MARKUP[case]), case


def test_autolink_emoji_and_icon_triggers_are_broken_by_a_word_joiner():
    # remark-gfm and remark-emoji run on the text after escapes are resolved: escaping alone keeps these
    src = md_text("http://x.example www.x.example a@x.example :smile:")
    assert f"http\\:{BREAK}\\/\\/" in src and f"www{BREAK}\\." in src and f"a{BREAK}\\@" in src
    assert f"\\:{BREAK}smile\\:{BREAK}" in src


def test_lines_stay_lines_never_blocks():
    assert md_text("第一行\n\n    第二行\r\n# 三") == "第一行  \n第二行  \n\\# 三"
    assert md_text("===") == "\\=\\=\\=" and md_text("- 项") == "\\- 项" and md_text("1. 项") == "1\\. 项"


def test_long_text_is_clipped_with_its_length_said():
    source = md_text(LONG)
    assert len(visible(source)) < 2_100 and visible(source).endswith("…（共 100,000 字）")
    assert visible(source).startswith(LONG[:2_000]) and not live_markup(source)
    assert plain("名" * 300) == "名" * 200 + "…（共 300 字）"


def test_bidi_overrides_cannot_reorder_the_text_around_them():
    assert md_text("甲\u202e乙\u2069") == "\u2068甲\u202e乙\u2069"     # the data's own PDI cannot close the isolate
    assert plain("a\nb") == "a b" and md_text(None) == ""


def test_plain_text_shortcut_gives_what_the_escaping_gives(monkeypatch):
    """md_text returns most texts unchanged after one scan; for every kind of text that answer must be what
    the full escaping gives (the shortcut forced off: every text through the steps)."""
    import re

    from perfboard import display
    texts = ["", "资金到位较晚", "项目 名称 abc 123", " 前导空格", "\t制表", "尾随空格 ", "名" * 2_000, "名" * 2_001,
             "a:b", "x@y", "www.example", "1,234.56", "50%", "第一行\n第二行", "甲\u202e乙", "甲\u2028乙", "a->b",
             "（全角括号）【】、。", "emoji 😀", "\u00a0不换行空格", "#标题", "a_b*c", "x\x85y", "a\u200eb"]
    fast = [display.md_text(t) for t in texts] + [display.md_text(t, None) for t in texts] + \
        [display.md_text(t, 5) for t in texts]
    monkeypatch.setattr(display, "_PLAIN_UNSAFE", re.compile(""))      # matches every text: the full path
    slow = [display.md_text(t) for t in texts] + [display.md_text(t, None) for t in texts] + \
        [display.md_text(t, 5) for t in texts]
    assert fast == slow
    assert display.md_text("资金到位较晚") == "资金到位较晚" and display.md_text("a:b") != "a:b"
