"""Claim checker: splitting, features, verdicts and the shipped weights (no shared data needed)."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from newsfuse.check.features import analyse, find_conflicts
from newsfuse.check.retrieve import split_summary, split_text
from newsfuse.model import Article, CheckReport

# A small news text written for these tests.
ARTICLE_A = (
    "The city council of Riverton voted 7-2 on Tuesday to approve a new budget of $48 million for 2025. "
    "Mayor Ellen Carter said the budget adds 12 police officers and expands bus service on weekends. "
    "Councilman David Ortiz opposed the plan, arguing that property taxes would rise by 3 percent. "
    "The budget takes effect on July 1."
)
ARTICLE_B = (
    "Riverton's new spending plan passed after a two-hour debate. "
    "Carter, who was elected in 2021, called the vote a win for residents who rely on public transit. "
    "Ortiz said he would not support any budget that raises taxes."
)


@pytest.fixture(scope="module")
def checker():
    from newsfuse.check import Checker

    return Checker.load()


@pytest.fixture(scope="module")
def sources():
    return [
        Article(id="a", title="", text=ARTICLE_A, outlet="Riverton Post"),
        Article(id="b", title="", text=ARTICLE_B, outlet="Valley News"),
    ]


def test_split_summary_headline_bullets_and_prose():
    text = (
        "Council approves Riverton budget\n"
        "- The vote was 7-2.\n"
        "* Taxes may rise.\n"
        "The mayor praised it. The budget starts in July."
    )
    assert split_summary(text) == [
        "Council approves Riverton budget",
        "The vote was 7-2.",
        "Taxes may rise.",
        "The mayor praised it.",
        "The budget starts in July.",
    ]
    assert split_summary(["one claim.", "  ", "two claims."]) == ["one claim.", "two claims."]
    # a line of Chinese prose is split into its sentences, not taken for one headline
    assert split_summary("市政府宣布新地铁线明年开通。官员说：“这是重要的一步。”市民表示欢迎！") == [
        "市政府宣布新地铁线明年开通。",
        "官员说：“这是重要的一步。”",
        "市民表示欢迎！",
    ]
    # Japanese: a quotation closed after its full stop stays with its quotative particle
    assert split_summary("知事は「計画は来年始まる。」と述べた。「費用は未定だ。」議会は反発した。") == [
        "知事は「計画は来年始まる。」と述べた。",
        "「費用は未定だ。」",
        "議会は反発した。",
    ]


def test_split_text_handles_tokenised_and_glued_text():
    assert split_text("the man left . he was tired .") == ["the man left .", "he was tired ."]
    assert split_text("It rained (AP).Later it snowed.") == ["It rained (AP).", "Later it snowed."]


def test_conflicts_find_number_and_negation_changes():
    ev = analyse("The council voted 7-2 on Tuesday to approve a budget of $48 million.")
    kinds = {c.kind for c in find_conflicts(analyse("The council voted to approve a budget of $58 million."), ev)}
    assert "number" in kinds
    kinds = {c.kind for c in find_conflicts(analyse("The council did not approve a budget of $48 million."), ev)}
    assert "negation" in kinds


def test_word_weights_are_computed_as_the_shipped_weights_were_trained():
    # the claim features and the evidence ranking weigh stems by IDF, looked up in the table of lower-cased
    # words the shipped model was trained with: a stem that is itself a word ("statement") gets that
    # word's IDF, one that is not ("releas") the largest, like an unseen word. A lookup by stem was
    # refitted in session 15 and was no better within noise (MODEL_CARD.md, "Tried and not kept"). Any
    # change to the lookup fails here; such a change needs a refit of the weights and a new test.
    from newsfuse.check.features import background, claim_features, stem
    from newsfuse.check.retrieve import SourceIndex

    bg = background()
    mx = bg.max_idf()
    assert stem("released") == "releas" and "releas" not in bg.counts and bg.counts.get("released", 0) > 0
    assert stem("statement") == "statement" and bg.counts.get("statement", 0) > 0
    assert bg.idf("statement") < mx - 3

    doc = analyse("The mayor spoke to reporters on Tuesday about the new park.")
    claim = analyse("The mayor released a statement about the new park.")  # novel: "released", "statement"
    f, _ = claim_features(claim, [doc], set(doc.stems), doc.bigrams, doc.trigrams, doc.numbers, 0.5, 0.5)
    assert f["rare_novel_doc"] == pytest.approx((mx + 1.0) + (bg.idf("statement") + 1.0))

    index = SourceIndex.from_articles(
        [Article(id="a", title="", text="The mayor spoke about the new park.", outlet="x")]
    )
    _, _, weights, _ = index.match(claim, None)
    assert weights["releas"] == pytest.approx(mx + 1.0)
    assert weights["statement"] == pytest.approx(bg.idf("statement") + 1.0)


def test_weights_are_shipped_as_plain_json():
    raw = resources.files("newsfuse.check").joinpath("weights").joinpath("checker.json").read_text()
    model = json.loads(raw)
    assert 0.0 < model["threshold"] < 1.0
    assert set(model["baselines"]) == {"rouge2_precision", "entity_overlap", "minilm_cosine"}
    assert model["sentence_model"]["type"] in {"trees", "logistic"}


def test_verbatim_sentence_is_supported_by_itself(checker, sources):
    sentence = "Mayor Ellen Carter said the budget adds 12 police officers and expands bus service on weekends."
    report = checker.check([sentence], sources)
    assert isinstance(report, CheckReport)
    (v,) = report.verdicts
    assert v.label == "supported"
    assert v.evidence[0].text == sentence
    assert (v.evidence[0].article_id, v.evidence[0].sentence_index, v.evidence[0].outlet) == ("a", 1, "Riverton Post")
    assert 1 <= len(v.evidence) <= 3


def test_number_changed_copy_is_contradicted(checker, sources):
    report = checker.check(
        ["The city council of Riverton voted 7-2 on Tuesday to approve a new budget of $84 million for 2025."], sources
    )
    (v,) = report.verdicts
    assert v.label == "contradicted"
    assert "48 million" in v.evidence[0].text


def test_invented_sentence_is_unsupported(checker, sources):
    report = checker.check(["The European Space Agency launched a new weather satellite from French Guiana."], sources)
    (v,) = report.verdicts
    assert v.label == "unsupported"
    assert v.score < 0.5


def test_report_shape_and_summary_score(checker, sources):
    summary = (
        "Riverton passes budget\n"
        "The council approved a $48 million budget on Tuesday. "
        "Ortiz said he would not support a budget that raises taxes. "
        "The budget was rejected by the state governor."
    )
    report = checker.check(summary, sources)
    assert [v.sentence for v in report.verdicts][0] == "Riverton passes budget"
    assert len(report.verdicts) == 4
    assert all(0.0 <= v.score <= 1.0 for v in report.verdicts)
    assert report.verdicts[-1].label != "supported"
    assert report.score <= min(v.score for v in report.verdicts) + 0.25
    d = report.to_dict()
    assert set(d) == {"verdicts", "score"} and set(d["verdicts"][0]) == {"sentence", "label", "score", "evidence"}


def test_combiner_trees_and_logistic_agree_on_format():
    from newsfuse.check.verifier import CombinerModel

    trees = CombinerModel(
        {
            "type": "trees",
            "features": ["x"],
            "baseline": 0.5,
            "trees": [
                {
                    "value": [0.0, -1.0, 1.0],
                    "feature": [0, 0, 0],
                    "threshold": [0.3, 0.0, 0.0],
                    "left": [1, 0, 0],
                    "right": [2, 0, 0],
                    "is_leaf": [0, 1, 1],
                    "missing_left": [1, 0, 0],
                }
            ],
        }
    )
    out = trees.logits(trees.matrix([{"x": 0.1}, {"x": 0.9}, {}]))
    assert np.allclose(out, [-0.5, 1.5, -0.5])


def test_version1_summary_model_is_applied_as_trained():
    # v1 weights store the summary model as min/mean/intercept over the claim logits; the shipped
    # threshold was fitted for that formula, so it must not fall back to the minimum alone
    from newsfuse.check.verifier import Checker

    sentence = {"type": "logistic", "features": ["x"], "mean": [0.0], "scale": [1.0], "coef": [1.0], "intercept": 0.0}
    checker = Checker({"sentence_model": sentence, "summary_model": {"min": 0.5, "mean": 2.0, "intercept": -1.0}})
    logits = np.array([-1.0, 2.0, 3.0])
    assert checker.summary_logit(logits) == pytest.approx(0.5 * -1.0 + 2.0 * 4.0 / 3.0 - 1.0)


def test_long_rewrites_and_acronyms_are_not_contradictions(checker):
    from newsfuse.check.features import Conflict
    from newsfuse.check.verifier import ClaimResult

    def res(*conflicts, lex1=0.8, bi1=0.2):
        return ClaimResult("s", {"lex1": lex1, "bi1": bi1}, [], [], list(conflicts))

    assert checker._contradiction(res(Conflict("number", "84", "48")))
    assert not checker._contradiction(res(Conflict("number", "84", "48"), lex1=0.3))
    assert not checker._contradiction(res(Conflict("name", "faults uk", "criticised the united kingdom")))
    assert checker._contradiction(res(Conflict("name", "ellen carter", "david ortiz")))
    long = Conflict("name", "riverton plans to widen its tram network across the valley", "carter on tuesday")
    assert not checker._contradiction(res(long))
    assert not checker._contradiction(res(Conflict("negation", "affirmed", "negated")))
    assert checker._contradiction(res(Conflict("negation", "negated", "affirmed"), bi1=0.7))


def test_source_index_skips_a_title_cut_from_the_first_sentence():
    from newsfuse.check.retrieve import article_sentences
    from newsfuse.extract.text import derive_title

    first = ARTICLE_A.split("\n")[0].strip()
    cut = derive_title(first, limit=40)
    assert cut.endswith("…")
    derived = article_sentences(Article(id="a", title=cut, text=ARTICLE_A, outlet="Riverton Post"))
    assert all(idx is not None for idx, _ in derived)  # no title row: it would show "…" as evidence
    real = article_sentences(
        Article(id="a", title="Council votes on the budget", text=ARTICLE_A, outlet="Riverton Post")
    )
    assert real[0] == (None, "Council votes on the budget")


def test_source_index_skips_a_title_derived_from_a_dated_first_sentence():
    """A titleless text's derived title leaves out the dateline and the full stop; the index must still know it
    as the first sentence, or that sentence is evidence twice and a third one drops out of the top 3."""
    from newsfuse.check.retrieve import article_sentences
    from newsfuse.extract.text import derive_title

    text = (
        "WASHINGTON (AP) — The Senate passed the farm bill on Friday.\n"
        "The vote was 68 to 31. The House takes it up next week."
    )
    title = derive_title(text.split("\n")[0])
    assert title == "The Senate passed the farm bill on Friday"
    rows = article_sentences(Article(id="d", title=title, text=text, outlet="Wire"))
    assert all(idx is not None for idx, _ in rows), rows
    assert article_sentences(Article(id="d", title="Farm bill clears the Senate", text=text, outlet="Wire"))[0] == (
        None,
        "Farm bill clears the Senate",
    )


def test_source_index_skips_a_cut_title_when_the_splitter_ends_the_first_sentence_early():
    from newsfuse.check.retrieve import article_sentences
    from newsfuse.extract.text import derive_title

    text = (
        "Officials said the fire began at 3 a.m. Tuesday in a warehouse near the port and spread quickly to the "
        "neighbouring buildings on the quay before crews arrived.\nNo one was hurt, the fire service said."
    )
    cut = derive_title(text.split("\n")[0])
    assert cut.endswith("…") and len(cut) > len("Officials said the fire began at 3 a.m.")
    rows = article_sentences(Article(id="f", title=cut, text=text, outlet="Quay News"))
    assert all(idx is not None for idx, _ in rows)
