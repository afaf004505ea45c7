"""The checker on the seed story: summary 001 checked against articles 000 and 002.

Each sentence of 001 was read against both articles and labelled by hand (supported = all of its
factual content is in 000 or 002; evaluative framing that adds no checkable fact is tolerated).
A sentence the checker gets wrong is marked ``xfail(strict=True)`` with the measured outcome, so
a mismatch is reported rather than hidden, and a fix shows up as an XPASS.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from newsfuse.model import Article

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not SEEDS.is_dir(), reason="needs ../shared/seeds (the shared data folder is absent)"),
]

# One row per sentence of 001, in order: (sha1 of the sentence's first 40 characters, supported?, why).
# The seed texts are not ours, so the sentences are identified by hash and the reasons are our own words.
LABELS = [
    ("a2b6efbd5b", True, "headline: the condemnation is reported in 002"),
    ("38b9a54520", True, "000, first sentence: the condemnation of the co-production deal"),
    ("e2f1ab3184", True, "000: the deal was agreed during the defence secretary's visit to Japan"),
    ("f4ea3eb2eb", True, "000, last sentence: deterrence as the North's stated answer"),
    ("2aab0cb8ba", True, "a restatement of 000's first sentence"),
    ("4fc3066256", True, "002: the visit and the plan to speed up joint missile production"),
    ("ecd3061bc9", True, "000: the official's post and the accusation against the US"),
    ("b7b0b14790", True, "002: the alliance treaty widened to new domains"),
    ("ded47fe7c1", True, "002: the official's quoted criticism of the US and the treaty"),
    ("b32001f34f", False, "the imminent-threat claim and its named target are in neither article"),
    ("5f6469832f", True, "000: Japan's role in deterrence in the region"),
    ("60511e248b", False, "claims a policy shift that neither article reports"),
    ("9dfb71f89e", False, "says how the North feels; neither article does"),
    ("1416b73636", True, "the critique is reported; the rest is framing"),
    ("5b16381026", True, "000: deterrence remains the North's priority"),
    ("643b0e0c84", False, "002 says only that relations could be cooler; the contrast is invented"),
]

# Sentences the shipped model gets wrong (measured; see MODEL_CARD.md). Empty when all agree.
# All eight are restatements the model scores below the sentence threshold (0.643, fixed on the real
# training sentences): the lexical features punish the summary's paraphrase and framing words.
# The scores move with each refit: version 5 (the STS-B news rows) lifts sentence 5 over the threshold
# (0.60 -> 0.73) and sentence 14 most of the way (0.31 -> 0.51).
_THR = "the sentence threshold is 0.643"
KNOWN_MISSES: dict[int, str] = {
    0: f"measured: unsupported (0.43; {_THR})",
    2: f"measured: unsupported (0.47; {_THR})",
    3: f"measured: unsupported (0.46; {_THR})",
    6: f"measured: unsupported (0.27; {_THR})",
    7: f"measured: unsupported (0.21; {_THR})",
    8: f"measured: unsupported (0.61; {_THR})",
    13: f"measured: unsupported (0.14; {_THR})",
    14: f"measured: unsupported (0.51; {_THR})",
}


def _key(sentence: str) -> str:
    return hashlib.sha1(sentence[:40].encode("utf-8")).hexdigest()[:10]


@pytest.fixture(scope="module")
def report():
    from newsfuse.check import Checker

    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    sources = [Article(id=k, title="", text=texts[k], outlet=f"seed {k}") for k in ("000", "002")]
    return Checker.load().check(texts["001"], sources)


def test_every_sentence_gets_a_verdict(report):
    assert len(report.verdicts) == len(LABELS)
    for v, (key, _, _) in zip(report.verdicts, LABELS, strict=True):
        assert _key(v.sentence) == key, "the sentences of 001 changed: relabel them"
        assert v.evidence and v.evidence[0].article_id in {"000", "002"}


@pytest.mark.parametrize(
    "i",
    [
        pytest.param(i, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[i])) if i in KNOWN_MISSES else i
        for i in range(len(LABELS))
    ],
    ids=[f"sentence-{i:02d}" for i in range(len(LABELS))],
)
def test_sentence_verdict_matches_hand_label(report, i):
    _, supported, reason = LABELS[i]
    v = report.verdicts[i]
    assert (v.label == "supported") == supported, f"sentence {i}: got {v.label} ({v.score:.2f}); label: {reason}"


def test_supported_sentences_cite_the_right_article(report):
    # "space and cyber" is only in 002
    v = report.verdicts[7]
    assert any(e.article_id == "002" and "cyber" in e.text for e in v.evidence)


def test_restatements_are_never_called_contradicted(report):
    # a sentence hand-labelled supported may be missed ("unsupported"), but calling it "contradicted"
    # is a worse error: long reworded spans are paraphrase, not a swapped name or number
    wrong = [
        i
        for i, (v, (_, supported, _)) in enumerate(zip(report.verdicts, LABELS, strict=True))
        if supported and v.label == "contradicted"
    ]
    assert wrong == []
