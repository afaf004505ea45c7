"""The data-driven cleaning rules of newsfuse/extract/rules.toml.

Every rule carries ``drop`` examples (boilerplate it must remove) and ``keep`` examples (real reporting
that looks similar and must survive); each example is run through ``clean_text`` inside a small article
of our own, at the position the rule applies to. Hand-written cases below add the behaviour the brief
asks for explicitly (quoted "Subscribe" sentences, all-caps sentences, comment prompts, ...).
"""

from __future__ import annotations

import pytest

from newsfuse.extract import clean_text
from newsfuse.extract.rules import Rule, clean_lines, load_rules, match_key

P1 = "The county council approved a new transport budget on Monday after a debate that ran late into the evening."
P2 = "Officials said the plan would pay for road repairs, two new bus routes and safer crossings near three schools."
P3 = "Opposition members said the revenue forecasts behind the plan were optimistic and warned of cuts in later years."
P4 = "The budget takes effect in January, and the council will review its progress at a public meeting in the spring."
PROSE = [P1, P2, P3, P4]

RULES, _DEFAULTS = load_rules()


def _cuts(line: str) -> bool:
    key = match_key(line)
    return any(r.kind == "cut" and r.matches(key) for r in RULES)


def _document(rule: Rule, example_lines: list[str]) -> tuple[list[str], list[str]]:
    """An article with the example where the rule looks, and the prose expected to survive."""
    if rule.kind == "pullquote":  # a display quote only goes when the body repeats it
        m = rule.regex.fullmatch(match_key(example_lines[0]))
        repeat = f"\u201c{m.group('quote')},\u201d she told the meeting on Tuesday."
        return [P1, *example_lines, P2, repeat, P3], [P1, P2, repeat, P3]
    if rule.where in ("head", "edges"):
        return example_lines + PROSE, PROSE
    if rule.where == "tail":
        return PROSE + example_lines, PROSE
    if rule.kind == "cut":
        return [P1, P2, *example_lines, "Great read, thanks for sharing!"], [P1, P2]
    # a "line" example that is also a comment-section header ends the article there, by design
    expected = [P1, P2] if _cuts(example_lines[0]) else PROSE
    return [P1, P2, *example_lines, P3, P4], expected


DROP_CASES = [pytest.param(rule, ex, id=f"{rule.name}-drop-{i}") for rule in RULES for i, ex in enumerate(rule.drop)]
KEEP_CASES = [pytest.param(rule, ex, id=f"{rule.name}-keep-{i}") for rule in RULES for i, ex in enumerate(rule.keep)]


def test_every_rule_has_examples_in_both_directions():
    for rule in RULES:
        assert rule.keep, f"rule {rule.name} has no keep example"
        if rule.kind not in ("suffix", "label"):
            assert rule.drop, f"rule {rule.name} has no drop example"


@pytest.mark.parametrize(("rule", "example"), DROP_CASES)
def test_rule_removes_its_examples(rule, example):
    doc, expected = _document(rule, example.split("\n"))
    removed: list[tuple[str, str]] = []
    assert clean_lines(doc, explain=removed) == expected
    assert removed, "something must have been removed"


@pytest.mark.parametrize(("rule", "example"), KEEP_CASES)
def test_rule_keeps_real_reporting(rule, example):
    if rule.where in ("head", "edges"):
        doc = [example, *PROSE]
    elif rule.where == "tail":
        doc = [*PROSE, example]
    else:
        doc = [P1, P2, example, P3, P4]
    assert clean_lines(doc) == doc


def test_comment_prompt_at_the_end_is_removed():
    text = "\n".join([*PROSE, "Be the first to leave a comment"])
    assert clean_text(text) == "\n".join(PROSE)


def test_comment_section_is_cut_with_the_comments():
    text = "\n".join([*PROSE, "3 comments", "Loved this story!", "Jane: the council never listens."])
    assert clean_text(text) == "\n".join(PROSE)


def test_comments_header_at_the_very_top_does_not_cut_the_article():
    # too little text before it to be a comment section: only the label goes
    text = "\n".join(["Comments", *PROSE])
    assert clean_text(text) == "\n".join(PROSE)


def test_advertisement_markers():
    text = "\n".join([P1, "Advertisement", P2, "Story continues below advertisement", P3, "ADVERTISEMENT", P4])
    assert clean_text(text) == "\n".join(PROSE)


def test_quoted_subscribe_sentence_mid_article_survives():
    quote = "\u201cSubscribe to the idea that this is finished, and you will be disappointed,\u201d the mayor told reporters."
    plain = "Subscribe to our newsletter for the latest updates."
    text = "\n".join([P1, quote, P2, plain, P3])
    assert clean_text(text) == "\n".join([P1, quote, P2, P3])


def test_all_caps_related_headline_goes_but_all_caps_sentence_stays():
    headline = "MAYOR VOWS TO \u2018REBUILD AND EXPAND\u2019 THE EAST BRIDGE"
    sentence = "NATO AND THE EU SAID ON TUESDAY THEY WOULD MEET AGAIN IN MARCH."
    text = "\n".join([P1, headline, P2, sentence, P3])
    assert clean_text(text) == "\n".join([P1, P2, sentence, P3])


def test_many_capitalised_lines_are_section_headings_and_stay():
    headings = ["WHAT THE COUNCIL DECIDED", "WHO PAYS FOR THE PLAN", "WHAT HAPPENS IN JANUARY"]
    doc = [headings[0], P1, headings[1], P2, headings[2], P3]
    assert clean_lines(doc) == doc


def test_acronym_lines_stay():
    doc = [P1, "NASA and the ESA will share the cost of the probe, officials said.", P2]
    assert clean_lines(doc) == doc


def test_read_more_related_and_click_here_lines():
    text = "\n".join(
        [P1, "Read more: Council rejects stadium plan", P2, "Related: Five things to know about the budget", P3]
        + ["Click here to sign the petition", P4]
    )
    assert clean_text(text) == "\n".join(PROSE)


def test_teaser_block_stops_at_the_next_paragraph():
    text = "\n".join([P1, P2, "DON'T MISS", "Bridge closed for repairs [LATEST]", "Council in row over parking", P3])
    assert clean_text(text) == "\n".join([P1, P2, P3])


def test_photo_credits_and_share_prompts():
    text = "\n".join(
        [P1, "(AP Photo/Jane Doe)", P2, "Photo: John Smith / Reuters", P3, "Share this article", "Follow us on Twitter"]
        + [P4]
    )
    assert clean_text(text) == "\n".join(PROSE)


def test_copyright_and_credits_only_at_the_end():
    mid = "Copyright 2019 rules were cited by the lawyers in their filing, the court heard."
    text = "\n".join([P1, mid, P2, P3, P4, "Reporting by Jane Doe; Editing by John Smith", "\u00a9 2024 Example News"])
    assert clean_text(text) == "\n".join([P1, mid, P2, P3, P4])


def test_clean_text_normalises_layout():
    text = "  " + P1 + "  \n\n\n" + P2 + "\r\n" + "\n   \n" + P3
    assert clean_text(text) == "\n".join([P1, P2, P3])


def test_tweet_button_suffix_is_trimmed():
    line = "Every online business grows in its own small corner of the web."
    assert clean_text("\n".join([P1, line + "Click To Tweet", P2])) == "\n".join([P1, line, P2])


def test_pull_quote_goes_but_the_quoted_paragraph_stays():
    display = "\u201cA terminal that works in winter is not too much to ask.\u201d \u2014 Ana Ruiz, residents\u2019 association"
    body = "\u201cA terminal that works in winter is not too much to ask,\u201d Ruiz said. \u201cWe have waited long enough.\u201d"
    assert clean_lines([P1, display, P2, body, P3]) == [P1, P2, body, P3]
    # the same display quote with no repeat in the body is a quote of its own: kept
    assert clean_lines([P1, display, P2, P3]) == [P1, display, P2, P3]


def test_explain_names_the_rule():
    removed: list[tuple[str, str]] = []
    clean_text("\n".join([P1, "Advertisement", P2]), explain=removed)
    assert removed == [("advertisement", "Advertisement")]


def test_rule_file_is_validated(tmp_path):
    bad = tmp_path / "rules.toml"
    bad.write_text('[[rules]]\nname = "x"\nkind = "nonsense"\npatterns = ["a"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind"):
        load_rules(str(bad))
    custom = tmp_path / "custom.toml"
    custom.write_text('[[rules]]\nname = "promo"\nkind = "line"\npatterns = ["buy now"]\n', encoding="utf-8")
    assert clean_text("\n".join([P1, "Buy now", P2]), path=str(custom)) == "\n".join([P1, P2])


def test_section_labels_are_cut_and_their_sentences_kept():
    doc = [
        P1,
        "Why it matters: The bill would fund roads and bridges in every state for five years.",
        "Driving the news: Senate leaders reached a deal late Sunday after two weeks of talks.",
        "By the numbers: 69 senators voted for the bill, including 19 Republicans.",
        "What they’re saying: The mayor called the vote a turning point for the city.",
        "Why it matters: Short.",
        P2,
    ]
    removed: list[tuple[str, str]] = []
    assert clean_lines(doc, explain=removed) == [
        P1,
        "The bill would fund roads and bridges in every state for five years.",
        "Senate leaders reached a deal late Sunday after two weeks of talks.",
        "69 senators voted for the bill, including 19 Republicans.",
        "The mayor called the vote a turning point for the city.",
        "Why it matters: Short.",  # too little would be left
        P2,
    ]
    assert [name for name, _ in removed] == ["section-label"] * 4
