"""The checker on the seed story: summary 001 checked against articles 000 and 002.

Each sentence of 001 was read against both articles and labelled by hand (supported = all of its
factual content is in 000 or 002; evaluative framing that adds no checkable fact is tolerated).
A sentence the checker gets wrong is marked ``xfail(strict=True)`` with the measured outcome, so
a mismatch is reported rather than hidden, and a fix shows up as an XPASS.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsfuse.model import Article

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds (the shared data folder is absent)"),
]

# (start of the sentence, supported?, reason)
LABELS = [
    ("North Korea criticizes US-Japan missile deal as provocative", True, "002: 'decried' the deal, 'a provocation'"),
    ("North Korea condemned the co-production agreement", True, "000 sentence 1: condemned, exacerbating risks"),
    ("This agreement, reached during a recent visit", True, "000: agreed during Hegseth's visit to Tokyo"),
    ("The situation highlights growing insecurity", True, "000 last: strengthening deterrence vs instability"),
    ("North Korea denounced the recent agreement", True, "000 sentence 1, restated"),
    ("This announcement came just after", True, "002: Hegseth in Tokyo, accelerate the AIM-120"),
    ("North Korea's response, articulated by an unnamed", True, "000: vice general director; militarize Japan"),
    ("The North Korean official expressed strong opposition", True, "002: treaty expanded to space and cyber"),
    ("He criticized the U.S. for enabling", True, "002 quote: military giant since the last century, treaty"),
    ("This shift in military strategy", False, "'imminent threat' and China as a target: 000 says none named"),
    ("During Hegseth's visit, the U.S. reinforced", True, "000: Japan's role in deterring China, Taiwan Strait"),
    ("This solidifies Japan's defensive capabilities", False, "a 'marked shift in U.S. policy' is not reported"),
    ("The evolving dynamics of U.S.-Japan relations", False, "'feels outmaneuvered' is in neither article"),
    ("In summation, North Korea's vehement critique", True, "the critique is reported; the rest is framing"),
    ("With each step towards military collaboration", True, "000: strengthening deterrence remains a priority"),
    ("The current state of relations is a stark contrast", False, "002 only says relations 'could be cooler'"),
]

# Sentences the shipped model gets wrong (measured; see MODEL_CARD.md). Empty when all agree.
# All ten are restatements the model scores below the sentence threshold (0.70, fixed on the real
# training sentences): the lexical features punish the summary's paraphrase and framing words.
_THR = "the sentence threshold is 0.70"
KNOWN_MISSES: dict[str, str] = {
    "North Korea criticizes US-Japan missile deal as provocative": f"measured: unsupported (0.60; {_THR})",
    "North Korea condemned the co-production agreement": f"measured: unsupported (0.69; {_THR})",
    "This agreement, reached during a recent visit": f"measured: unsupported (0.37; {_THR})",
    "The situation highlights growing insecurity": f"measured: unsupported (0.25; {_THR})",
    "This announcement came just after": f"measured: unsupported (0.57; {_THR})",
    "North Korea's response, articulated by an unnamed": f"measured: unsupported (0.17; {_THR})",
    "The North Korean official expressed strong opposition": f"measured: unsupported (0.23; {_THR})",
    "During Hegseth's visit, the U.S. reinforced": f"measured: unsupported (0.58; {_THR})",
    "In summation, North Korea's vehement critique": f"measured: unsupported (0.28; {_THR})",
    "With each step towards military collaboration": f"measured: unsupported (0.40; {_THR})",
}


@pytest.fixture(scope="module")
def report():
    from newsfuse.check import Checker

    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    sources = [Article(id=k, title="", text=texts[k], outlet=f"seed {k}") for k in ("000", "002")]
    return Checker.load().check(texts["001"], sources)


def test_every_sentence_gets_a_verdict(report):
    assert len(report.verdicts) == len(LABELS)
    for v, (start, _, _) in zip(report.verdicts, LABELS, strict=True):
        assert v.sentence.startswith(start)
        assert v.evidence and v.evidence[0].article_id in {"000", "002"}


@pytest.mark.parametrize(
    "i",
    [
        pytest.param(i, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[start]))
        if start in KNOWN_MISSES
        else i
        for i, (start, _, _) in enumerate(LABELS)
    ],
    ids=[s[:30] for s, _, _ in LABELS],
)
def test_sentence_verdict_matches_hand_label(report, i):
    start, supported, reason = LABELS[i]
    v = report.verdicts[i]
    assert (v.label == "supported") == supported, f"{start!r}: got {v.label} ({v.score:.2f}); label: {reason}"


def test_supported_sentences_cite_the_right_article(report):
    # "space and cyber" is only in 002
    v = report.verdicts[7]
    assert any(e.article_id == "002" and "cyber" in e.text for e in v.evidence)


def test_restatements_are_never_called_contradicted(report):
    # a sentence hand-labelled supported may be missed ("unsupported"), but calling it "contradicted"
    # is a worse error: long reworded spans are paraphrase, not a swapped name or number
    wrong = [
        v.sentence[:30]
        for v, (_, supported, _) in zip(report.verdicts, LABELS, strict=True)
        if supported and v.label == "contradicted"
    ]
    assert wrong == []
