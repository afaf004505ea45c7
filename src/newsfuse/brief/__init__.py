"""Briefs: one cited, extractive account of a story from its outlets' articles.

``build_brief(story_id, articles, encoder=..., checker=None, settings=None) -> Brief`` is the
pipeline's entry point; ``newsfuse.brief.render`` turns a Brief into Markdown, HTML or JSON.
The JSON shape is documented in ``docs/brief-schema.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from newsfuse.brief.facts import Fact, Unit, citation, content_tokens, find_figures
from newsfuse.model import Article, Brief, KeyPoint, SynthesisSentence

if TYPE_CHECKING:
    from newsfuse.config import Settings
    from newsfuse.embed import Encoder

__all__ = ["build_brief", "analyse", "Analysis"]

MAX_UNITS = 64  # sentences embedded per story: the leads of long articles carry the news (2 s budget, 2 cores)
MIN_PER_ARTICLE = 5


@dataclass
class Analysis:
    """Everything computed about a story's sentences, shared by the brief's sections."""

    articles: list[Article]
    units: list[Unit]
    vecs: np.ndarray
    sims: np.ndarray
    fsim: np.ndarray
    facts: list[Fact]
    scores: np.ndarray
    title_vecs: np.ndarray
    centroid: np.ndarray
    mentions: list  # per article, list[Mention]
    outlets: list[str]
    feats: np.ndarray
    sentences: list  # per article, all its sentences (list[Sentence]); units cover only the leads


def _units(articles: list[Article], mentions: list, all_sents: list) -> list[Unit]:
    per_art = max(MIN_PER_ARTICLE, MAX_UNITS // max(1, len(articles)))
    units: list[Unit] = []
    for ai, art in enumerate(articles):
        sents = [s for s in all_sents[ai] if len(s.text) >= 3 and any(ch.isalpha() for ch in s.text)]
        for pos, s in enumerate(sents[:per_art]):
            ents = [
                (m.text, m.label)
                for m in mentions[ai]
                if m.start >= s.start and m.end <= s.end and m.label in ("PERSON", "ORG", "PLACE", "OTHER")
            ]
            units.append(
                Unit(
                    sent=s,
                    art=ai,
                    pos=pos,
                    n_in_article=min(len(sents), per_art),
                    url=art.url,
                    entities=[(e.lower(), lab) for e, lab in ents],
                    figures=find_figures(s.text),
                    toks=content_tokens(s.text),
                    last=s is sents[-1],
                )
            )
    return units


def analyse(articles: list[Article], encoder: Encoder, weights: Any = None) -> Analysis:
    """Split, tag, embed and group the sentences of a story (the shared first half of a brief)."""
    from newsfuse.brief.entities import find_mentions
    from newsfuse.brief.facts import group_facts, pair_similarity
    from newsfuse.brief.select import features, salience_from
    from newsfuse.brief.sentences import split_sentences

    mentions = find_mentions(articles)
    all_sents = [split_sentences(a) for a in articles]
    units = _units(articles, mentions, all_sents)
    titles = [a.title or "" for a in articles]
    title_of, k = [], 0
    for t in titles:
        title_of.append(k if t.strip() else -1)
        k += 1 if t.strip() else 0
    texts = [u.text for u in units] + [t for t in titles if t.strip()]
    allv = encoder.encode(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    vecs = allv[: len(units)]
    title_vecs = allv[len(units) :]
    sims = vecs @ vecs.T if len(units) else np.zeros((0, 0))
    fsim = pair_similarity(units, sims) if len(units) else sims
    facts = group_facts(units, fsim) if len(units) else []
    outlets = sorted({a.outlet for a in articles})
    art_words = [set(content_tokens(f"{a.title or ''} {a.text or ''}")) for a in articles]
    title_words = set(content_tokens(" ".join(titles)))
    feats = features(
        units, vecs, facts, len(outlets), title_vecs if len(title_vecs) else None, title_of, art_words, title_words
    )
    scores = salience_from(feats, weights)
    if len(units):
        centroid = vecs.mean(0)
    elif len(title_vecs):
        centroid = title_vecs.mean(0)
    else:
        centroid = np.zeros(getattr(encoder, "dim", 384), dtype=np.float32)
    centroid = centroid / (np.linalg.norm(centroid) + 1e-9)
    return Analysis(
        articles, units, vecs, sims, fsim, facts, scores, title_vecs, centroid, mentions, outlets, feats, all_sents
    )


def _citations_for(k: int, an: Analysis, fact_of: dict[int, Fact]) -> list:
    units = an.units
    cites = [citation(units[k])]
    f = fact_of.get(k)
    if f is not None:
        cites += [citation(units[m]) for m in f.members if m != k]
    return cites


_PRONOUN_START = re.compile(r"^(He|She)\b")
# A sentence-opening connective that only links to the sentence before: dropped, the rest must stand alone.
# "However", "Still", "Meanwhile", "Instead", "Also", "Moreover" and "Furthermore" only with their comma
# ("However hard they tried, ...", "Still images ...", "Also on Tuesday ..." are not connectives); "So" and
# "Yet" never ("So far", "Yet another").
_CONNECTIVE = re.compile(
    r"^(?:(?:But|And)\b,?|(?:However|Still|Meanwhile|Instead|Also|Moreover|Furthermore),)\s+(?=[\"“A-Za-z0-9])"
)


def _undated(text: str) -> str | None:
    """``text`` without its leading dateline (None when it has none, or too little is left)."""
    from newsfuse.conventions import dateline

    m = dateline(text)
    if not m or len(text[m.end() :].split()) < 5:
        return None
    return text[m.end() :]


def _drop_connective(text: str) -> str | None:
    from newsfuse.brief.select import standalone_problem

    m = _CONNECTIVE.match(text)
    if not m:
        return None
    rest = text[m.end() :]
    if rest.split(" ", 1)[0].islower():  # "the evidence" -> "The evidence"; "iPhone" stays as written
        rest = rest[:1].upper() + rest[1:]
    return rest if standalone_problem(rest) is None else None


def _repair(k: int, an: Analysis) -> str | None:
    """Drop a leading connective ("But, ...", "However, ..."), or replace a leading He/She with the last
    person named before it in the same article."""
    u = an.units[k]
    dropped = _drop_connective(u.text)
    if dropped is not None:
        return dropped
    m = _PRONOUN_START.match(u.text)
    if not m:
        return None
    persons = [x.text for x in an.mentions[u.art] if x.label == "PERSON" and x.end <= u.sent.start]
    if not persons:
        return None
    name = re.sub(r"(?:’s|'s)$", "", persons[-1])
    full = [p for p in persons if p.endswith(" " + name)]
    return (full[-1] if full else name) + u.text[m.end() :]


def _checked(texts: list[str], articles: list[Article], checker: Any) -> list[bool]:
    if checker is None or not texts:
        return [False] * len(texts)
    try:
        report = checker.check(list(texts), articles)
    except Exception as exc:  # noqa: BLE001 - an unavailable checker means nothing new is published
        import logging

        logging.getLogger(__name__).warning("claim check failed, no rewritten sentence is published: %s", exc)
        return [False] * len(texts)
    labels = [v.label for v in report.verdicts]
    if len(labels) != len(texts):
        return [False] * len(texts)
    return [lab == "supported" for lab in labels]


def _candidates(an: Analysis, checker: Any) -> tuple[np.ndarray, dict[int, str], np.ndarray, list[int]]:
    """Which units may be published, their published texts, scores and fact ids.

    A unit is published as written when it stands alone. The four most salient that do not are
    repaired where a rule can (:func:`_repair`), and a leading dateline is cut from those that do
    (:func:`_undated`); every rewritten text is checked in one call, and only those the checker
    supports are used (a failed dateline cut keeps the sentence as written; a failed repair keeps it out).
    """
    from newsfuse.brief.select import WEIGHTS, standalone_problem

    n = len(an.units)
    allowed = np.array([not standalone_problem(u.text) and not u.cut_off for u in an.units], dtype=bool)
    repaired: dict[int, str] = {}
    dependent: set[int] = set()
    if checker is not None and n:
        cand = [i for i in range(n) if not allowed[i] and not an.units[i].cut_off]
        cand.sort(key=lambda i: -an.scores[i])
        fixes = {i: t for i in cand[:4] if (t := _repair(i, an))}
        dependent = set(fixes)
        leads = [i for i in range(n) if allowed[i] and an.units[i].pos == 0]
        fixes.update({i: t for i in leads if (t := _undated(an.units[i].text))})
        ok = _checked(list(fixes.values()), an.articles, checker)
        for (i, t), good in zip(fixes.items(), ok, strict=True):
            if good:
                repaired[i] = t
                allowed[i] = True
    if n and not allowed.any():
        allowed[:] = True  # nothing stands alone: better a dependent sentence than an empty brief
    scores = an.scores.copy()
    for i in repaired:
        if i in dependent:
            scores[i] -= WEIGHTS.get("dependent", 0.0)  # undo the dependent-sentence weight once repaired
    group = [0] * n
    for fi, f in enumerate(an.facts):
        for m in f.members:
            group[m] = fi
    return allowed, repaired, scores, group


def _pick(
    an: Analysis,
    k: int,
    cands: tuple[np.ndarray, dict[int, str], np.ndarray, list[int]],
    redundancy: float = 0.05,
    coverage: bool = False,
) -> list[tuple[int, str]]:
    """Choose up to k sentences (unit index, published text) among ``cands`` (from :func:`_candidates`, where
    a repaired sentence is allowed only when the checker agreed).

    ``coverage=True`` (the synthesis of a multi-article story) selects by corroborated coverage and may
    return fewer than ``k`` sentences when the rest would add nothing several outlets report."""
    from newsfuse.brief.select import coverage_select, mmr

    if not an.units or k <= 0:
        return []
    allowed, repaired, scores, group = cands
    if coverage and len(an.articles) > 1:
        titles = [a.title or "" for a in an.articles]
        bodies = [a.text or "" for a in an.articles]
        chosen = coverage_select(an.units, scores, titles, bodies, k, allowed, group, an.sims)
    else:
        chosen = mmr(scores, an.sims, k, redundancy=redundancy, allowed=allowed, groups=group)
    return [(i, repaired.get(i, an.units[i].text)) for i in chosen]


def _abstractive(an: Analysis, checker: Any, settings: Settings, k: int, llm: Any) -> list:
    import logging

    from newsfuse.brief.abstractive import abstractive_synthesis
    from newsfuse.llm import LLMError, get_llm

    try:
        client = llm or get_llm(settings)
        return abstractive_synthesis(an, client, checker, k)
    except LLMError as exc:
        logging.getLogger(__name__).warning("abstractive brief skipped: %s", exc)
        return []


def build_brief(
    story_id: str,
    articles: list[Article],
    *,
    encoder: Encoder,
    checker: Any = None,
    settings: Settings | None = None,
    llm: Any = None,
) -> Brief:
    """Build the brief of one story from its (non-duplicate) articles.

    Extractive by default. When ``settings.llm_url``/``llm_model`` are set (or an ``llm`` client is
    passed) *and* a ``checker`` is given, the synthesis is written by the LLM from numbered source
    sentences, and each generated sentence is published only if the checker supports it.
    """
    from newsfuse.brief.compare import agreement, framing, only_one
    from newsfuse.brief.entities import build_entities
    from newsfuse.brief.facts import figure_conflicts
    from newsfuse.brief.headline import choose_headline, clean_title
    from newsfuse.brief.quotes import find_quotes, merge_quotes
    from newsfuse.brief.select import order_for_reading
    from newsfuse.config import Settings
    from newsfuse.extract.text import drop_full_stop, is_cut_lead

    settings = settings or Settings()
    articles = [a for a in articles if (a.text or "").strip() or (a.title or "").strip()]
    an = analyse(articles, encoder)
    units = an.units
    fact_of = {m: f for f in an.facts for m in f.members}
    n_outlets = len(an.outlets)

    # key points: the most salient, mutually distinct facts, each cited to every outlet carrying it
    kp_n = max(1, int(settings.key_points))
    cands = _candidates(an, checker)  # the repairs are checked once, for both selections
    kp = _pick(an, kp_n, cands)
    kp = [(i, t) for i, t in sorted(kp, key=lambda it: -an.scores[it[0]])]
    key_points = [KeyPoint(text=t, citations=_citations_for(i, an, fact_of)) for i, t in kp]

    syn_n = max(1, int(settings.synthesis_sentences))
    syn = dict(_pick(an, syn_n, cands, coverage=True))
    synthesis = [
        SynthesisSentence(text=syn[i], citations=_citations_for(i, an, fact_of))
        for i in order_for_reading(list(syn), units, an.scores)
    ]
    method = "extractive"
    if checker is not None and (llm is not None or (settings.llm_url and settings.llm_model)):
        generated = _abstractive(an, checker, settings, syn_n, llm)
        if generated and any(g.text not in {u.text for u in units} for g in generated):
            synthesis, method = generated, "abstractive"

    # headline: the most representative, least loaded outlet title
    titled = [i for i, a in enumerate(articles) if (a.title or "").strip()]  # an.title_vecs rows, in order
    # a title cut from the first sentence (derived for a text without a headline) is a fragment, not a headline
    whole = [k for k, i in enumerate(titled) if not is_cut_lead(articles[i].title or "", articles[i].text or "")]
    headline = ""
    if whole:
        tv = an.title_vecs[whole]
        heads = [titled[k] for k in whole]
        leads = [next((u.text for u in units if u.art == i), "") for i in heads]
        res = choose_headline([articles[i].title for i in heads], leads, tv, an.centroid)
        if res is not None:
            headline = clean_title(articles[heads[res[0]]].title)
    if not headline and units:
        # no whole titles: the most central lead sentence that reads like a headline (verbatim, so no check needed)
        from newsfuse.brief.select import standalone_problem

        leads = [k for k, u in enumerate(units) if u.pos == 0 and standalone_problem(u.text) is None and not u.cut_off]
        short = [k for k in leads if len(units[k].text.split()) <= 30] or leads
        if short:
            headline = drop_full_stop(units[max(short, key=lambda k: float(an.vecs[k] @ an.centroid))].text)
    if not headline and synthesis:
        headline = synthesis[0].text
    if not headline and articles:
        headline = (articles[0].text or "").strip().split("\n")[0][:120]

    # quotes with speakers, merged across outlets
    raw = []
    for ai, art in enumerate(articles):
        persons = [(m.start, m.text) for m in an.mentions[ai] if m.label == "PERSON"]
        persons = [(off, re.sub(r"(?:’s|'s)$", "", name)) for off, name in persons]
        raw += find_quotes(art, an.sentences[ai], persons)
    quotes = merge_quotes(raw)

    entities = build_entities(articles, an.mentions)
    # checked rewrites only: a dateline cut (or repair) the checker supported; the rest are shown as written
    shown = cands[1]
    agree = agreement(an.facts, units, an.scores, n_outlets, texts=shown, fsim=an.fsim)
    single = only_one(an.facts, units, an.scores, n_outlets, texts=shown, fsim=an.fsim)
    frames = framing(articles)
    conflicts = figure_conflicts(units, an.facts, an.fsim)

    return Brief(
        story_id=story_id,
        headline=headline,
        key_points=key_points,
        synthesis=synthesis,
        quotes=quotes,
        entities=entities,
        agreement=agree,
        only_one=single,
        framing=frames,
        figure_conflicts=conflicts,
        outlets=an.outlets,
        article_ids=[a.id for a in articles],
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        method=method,
    )
