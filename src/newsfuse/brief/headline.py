"""A neutral, representative headline for a story.

Candidates are the outlets' own titles (cleaned of "| Outlet" suffixes and trailing stops).
Each is scored by how much of its wording the other outlets share (word and bigram overlap
with the other titles and leads), how central it is by embedding, a mild length prior, and
penalties for loaded or sensational words and for a title that gives an opinion or explains
("... Should Stop ...", "Why ...", "...: what the research says"). When no article has a title, the most central
lead sentence is used, cut to a headline length only at a clause boundary (and, being a new
sentence, only when the checker supports it).
"""

from __future__ import annotations

import re

import numpy as np

from newsfuse.brief.facts import content_tokens, tokens

__all__ = ["clean_title", "loaded_terms", "choose_headline", "LOADED"]

LOADED = frozenset(
    """slams slam slammed blasts blast blasted rips ripped destroys destroyed eviscerates eviscerated torches
    shreds shredded obliterates humiliates humiliated humiliating meltdown melts unhinged disgraceful disgrace
    shocking shock stunning stuns bombshell explosive outrage outraged outrageous furious fury chaos chaotic
    disaster disastrous catastrophe catastrophic radical extremist extreme crazy insane lunatic idiot stupid
    pathetic ridiculous absurd lies liar lying scandal scandalous brutal brutally savage savagely epic
    massive huge horrifying horrific terrifying panic panics frenzy fever mock mocks mocked smear smears
    hysterical hysteria rant rants tirade debacle fiasco sham hoax witch-hunt hypocrite hypocrisy
    jaw-dropping must-see unbelievable incredible totally utterly finally fumes fuming rages raging far-left
    far-right""".split()
)
# an opinion or an explainer rather than a report: advice ("should", "must"), the first person, or a title
# that asks or explains ("Why ...", "Millbrook's four-day week: what the research says")
# ("Biden says US must act" reports an opinion, so a speech verb lifts the first test)
_ADVICE = re.compile(r"\b(?:should|must|ought to)\b", re.I)
_REPORTED = re.compile(
    r"\b(?:says?|said|urges?|urged|warns?|warned|tells?|told|calls?|called|rules?|ruled|finds?|found|orders?|"
    r"ordered|decides?|decided|votes?|voted|argues?|argued|insists?|insisted|demands?|demanded|writes?|wrote)\b",
    re.I,
)
# the pronoun "I" with a verb ("I was", "I'm"), unlike "World War I", "Phase I" or "I-95"
_OPINION = re.compile(
    r"(?-i:\bI(?:['’](?:m|ve|ll|d)\b|\s+(?:am|was|have|had|think|believe|will|would|can|could|do|did|want|know|"
    r"feel|never|just|went|got|saw|need|must|should)\b))|\bmy\b|^(?:why|how|what)\b|:\s*(?:why|how|what)\b|"
    r"^opinion\b",
    re.I,
)


def _opinion(title: str) -> bool:
    return bool(_OPINION.search(title) or (_ADVICE.search(title) and not _REPORTED.search(title)))


_SUFFIX = re.compile(r"\s+(?:[|–—-]|::)\s+[^|–—-]{2,40}$")


def clean_title(title: str) -> str:
    t = re.sub(r"\s+", " ", title or "").strip()
    t = _SUFFIX.sub("", t) if len(t) > 40 else t
    t = t.rstrip(" .")
    return t


def loaded_terms(text: str) -> list[str]:
    return [w for w in tokens(text) if w in LOADED]


def _bigrams(ws: list[str]) -> set[tuple[str, str]]:
    return set(zip(ws, ws[1:], strict=False))


def _overlap(cand: str, others: list[str]) -> float:
    cu = set(content_tokens(cand))
    cb = _bigrams(tokens(cand))
    if not cu or not others:
        return 0.0
    vals = []
    for o in others:
        ou = set(content_tokens(o))
        ob = _bigrams(tokens(o))
        uni = len(cu & ou) / len(cu)
        bi = len(cb & ob) / max(1, len(cb))
        vals.append(0.7 * uni + 0.3 * bi)
    return float(np.mean(vals))


def choose_headline(
    titles: list[str],
    leads: list[str],
    title_vecs: np.ndarray | None,
    centroid: np.ndarray | None,
) -> tuple[int, float] | None:
    """Index of the best title among ``titles`` (None when there is none), with its score."""
    cands = [(i, clean_title(t)) for i, t in enumerate(titles) if clean_title(t)]
    if not cands:
        return None
    best, best_score = None, -np.inf
    for i, t in cands:
        others = [clean_title(o) for j, o in enumerate(titles) if j != i and clean_title(o)]
        others_leads = [lead for j, lead in enumerate(leads) if j != i and lead]
        share = _overlap(t, others) + 0.5 * _overlap(t, others_leads)
        cent = float(title_vecs[i] @ centroid) if title_vecs is not None and centroid is not None else 0.0
        n = len(t.split())
        length = -abs(n - 10) / 10.0
        loaded = len(loaded_terms(t))
        punct = 1.0 if re.search(r"[?!]|^\W|\b(?:you|your|we|our)\b", t, re.I) else 0.0
        opinion = 1.0 if _opinion(t) else 0.0
        score = 1.0 * share + 1.0 * cent + 0.15 * length - 0.5 * loaded - 0.3 * punct - 0.3 * opinion
        if score > best_score:
            best, best_score = i, score
    return (best, best_score) if best is not None else None
