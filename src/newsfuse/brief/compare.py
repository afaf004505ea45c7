"""Agreement and difference between outlets.

* ``agreement``: facts carried by all or most outlets (at least two, and at least half);
* ``only_one``: informative facts that a single outlet reports (its citation names it);
* ``framing``: each outlet's headline and its distinctive wording — the words it uses more
  than the other outlets, by the weighted log-odds ratio with an informative Dirichlet prior
  (Monroe, Colaresi & Quinn 2008), which keeps rare words from dominating.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from newsfuse.brief.facts import STOPWORDS, Fact, Unit, citation, disputes, tokens
from newsfuse.brief.select import concept_set, standalone_problem
from newsfuse.model import Article, KeyPoint, OutletFraming

__all__ = ["agreement", "only_one", "framing", "distinctive_terms"]


def _representative(f: Fact, units: list[Unit], scores: np.ndarray) -> int:
    ok = [
        k for k in f.members if not standalone_problem(units[k].text) and not units[k].is_title and not units[k].cut_off
    ]
    pool = ok or [k for k in f.members if not units[k].is_title] or f.members
    return max(pool, key=lambda k: scores[k])


AGREE_SIM = 0.72  # a fact's sentence must be this close to the one shown to count as the same report
# a sentence is something another outlet reports too when, for one of that outlet's sentences, the fact
# similarity plus the share of its content words found there reaches this (set by reading the demo corpus's
# briefs: the restatements there score 1.13-1.74, different facts on the same story up to 1.10)
SAID_ELSEWHERE = 1.1
# a longer sentence holds another outlet's shorter one (see _said_elsewhere): set by reading the demo corpus's
# briefs and 30 AllSides stories. Restated: share 0.89 at similarity 0.78 ("Smoke ... closed Highway 14 for
# about three hours"); nearer the line and kept, 0.67 at 0.67 and 0.69 at 0.70 (part of a longer report; such
# sentences share most of their words and rank low in only_one anyway). Different facts: shares of 0.82 at
# similarity 0.47, 1.00 at 0.55 (a five-word sentence), 0.62 at 0.82, and 0.80 at 0.69 for a sentence cut short
RESTATED_SHARE = 0.7
RESTATED_SIM = 0.6
MIN_RESTATED = 5  # stemmed content words a shorter sentence needs to take a fact away from a longer one


def _disagrees(a: Unit, b: Unit) -> bool:
    """Whether two sentences give different figures for the same counted thing ("38,000 vehicles" /
    "41,000 vehicles"), by the same test as the brief's figure conflicts: then they do not agree."""
    return any(disputes(fa, fb, a.figures, b.figures) for fa in a.figures for fb in b.figures)


def agreement(
    facts: list[Fact],
    units: list[Unit],
    scores: np.ndarray,
    n_outlets: int,
    limit: int = 5,
    texts: dict[int, str] | None = None,
    fsim: np.ndarray | None = None,
) -> list[KeyPoint]:
    """Facts that all or most outlets carry, each shown in its most salient outlet's words.

    ``texts`` maps a unit to the text to show instead of its own (a checked rewrite, such as the
    sentence without its dateline); the others are shown as written. With ``fsim`` (the fact similarity
    of every sentence pair), an outlet counts as carrying the fact only if its sentence is at least
    ``AGREE_SIM`` similar to the one shown and gives no different figure for the same thing; a fact
    left with too few outlets is not shown."""
    if n_outlets < 2:
        return []
    need = max(2, math.ceil(n_outlets / 2))
    good = []
    for f in facts:
        if len(f.outlets) < need or all(units[k].is_title for k in f.members):
            continue
        rep = _representative(f, units, scores)
        if units[rep].cut_off:  # every outlet's version of it was cut short
            continue
        members = [rep] + [
            k
            for k in f.members
            if k != rep and (fsim is None or (fsim[rep, k] >= AGREE_SIM and not _disagrees(units[rep], units[k])))
        ]
        if len({units[k].outlet for k in members}) >= need:
            good.append((f, rep, members))
    good.sort(key=lambda x: (-len({units[k].outlet for k in x[2]}), -max(scores[k] for k in x[0].members)))
    out = []
    for _f, rep, members in good[:limit]:
        cites = [citation(units[k]) for k in members]
        out.append(KeyPoint(text=(texts or {}).get(rep, units[rep].text), citations=cites))
    return out


def _informative(u: Unit) -> bool:
    if u.is_title or u.cut_off or standalone_problem(u.text):
        return False
    if re.match(r"^\s*[\"“]", u.text):
        return False
    return bool(u.entities or u.figures) and len(u.toks) >= 5


def _said_elsewhere(k: int, units: list[Unit], fsim: np.ndarray, concepts: list[frozenset[str]]) -> bool:
    """Whether another outlet reports unit ``k``'s fact, by one of two tests against each of its sentences:

    * theirs holds much of ``k``: fact similarity plus the share of ``k``'s content words found in it reaches
      ``SAID_ELSEWHERE``;
    * ``k`` holds theirs: a lead that folds another outlet's shorter report into one long sentence ("Thick
      smoke ... closed Highway 14 for about three hours on Thursday evening and drifted over ..." against
      "Smoke from the fire closed Highway 14 for about three hours on Thursday night."). The first test
      misses it, as most of the long sentence's words are not in the short one. Here ``RESTATED_SHARE`` of
      the other sentence's stemmed content words (``concepts``) must be in ``k`` and the two must be at
      least ``RESTATED_SIM`` similar. A sentence of fewer than ``MIN_RESTATED`` words, a headline (it names
      the story's core) and a sentence cut short ("The vote on his $1.2 trillion bill has...": what it
      reports is unknown) do not take a fact away from ``k`` this way."""
    mine = set(units[k].toks)
    if not mine:
        return False
    for j, u in enumerate(units):
        if u.outlet == units[k].outlet:
            continue
        if fsim[k, j] + len(mine & set(u.toks)) / len(mine) >= SAID_ELSEWHERE:
            return True
        theirs = concepts[j]
        if u.is_title or u.cut_off or len(theirs) < MIN_RESTATED or fsim[k, j] < RESTATED_SIM:
            continue
        if len(theirs & concepts[k]) / len(theirs) >= RESTATED_SHARE:
            return True
    return False


def _unique_weights(
    cands: list[int], units: list[Unit], scores: np.ndarray, concepts: list[frozenset[str]]
) -> dict[int, float]:
    """How much each candidate adds that no other outlet says: its salience (shifted to start at zero, as
    salience can be negative) times the share of its stemmed content words that no other outlet's sentences
    use. Salience alone ranks first the sentences most like the other outlets' (a lead restating the story,
    with one detail of its own); this ranks first the salient sentences whose words are their outlet's own."""
    users: dict[str, set[str]] = {}  # concept -> the outlets whose sentences use it
    for u, c in zip(units, concepts, strict=True):
        for w in c:
            users.setdefault(w, set()).add(u.outlet)
    floor = min([0.0, *(float(scores[k]) for k in cands)])
    out = {}
    for k in cands:
        mine = concepts[k]
        own = sum(1 for w in mine if users[w] == {units[k].outlet})
        out[k] = (float(scores[k]) - floor) * own / len(mine) if mine else 0.0
    return out


def only_one(
    facts: list[Fact],
    units: list[Unit],
    scores: np.ndarray,
    n_outlets: int,
    limit: int = 5,
    texts: dict[int, str] | None = None,
    fsim: np.ndarray | None = None,
) -> list[KeyPoint]:
    """Facts only one outlet reports, at most ``limit``, shown best first (:func:`_unique_weights`). They are
    chosen so that every outlet gets a say: each outlet's best is taken before any outlet's second, and no
    outlet has more than two.

    ``texts`` as in :func:`agreement`. With ``fsim``, a sentence is left out when another outlet has one
    close to it (:func:`_said_elsewhere`), even if the two were not grouped as one fact."""
    if n_outlets < 2:
        return []
    singles = [f for f in facts if len(f.outlets) == 1 and _informative(units[f.members[0]])]
    concepts = [concept_set(u.text) for u in units]
    if fsim is not None:  # not when another outlet has a sentence close to it (a looser test than the facts')
        singles = [f for f in singles if not _said_elsewhere(f.members[0], units, fsim, concepts)]
    cands = [f.members[0] for f in singles]
    weight = _unique_weights(cands, units, scores, concepts)
    ranked = sorted(cands, key=lambda k: (-weight[k], -scores[k]))
    # each outlet's best is taken first, then second bests; the chosen are shown in rank order
    firsts: dict[str, int] = {}
    for k in ranked:
        firsts.setdefault(units[k].outlet, k)
    picked = list(firsts.values())[:limit]
    per = Counter(units[k].outlet for k in picked)
    for k in ranked:
        if len(picked) >= limit:
            break
        if k not in picked and per[units[k].outlet] < 2:
            per[units[k].outlet] += 1
            picked.append(k)
    picked.sort(key=ranked.index)
    return [KeyPoint(text=(texts or {}).get(k, units[k].text), citations=[citation(units[k])]) for k in picked]


# words too general to say anything about how an outlet frames a story, and abbreviated titles
_BLAND = frozenset(
    """get gets got getting make makes made making take takes took taking thing things still since starting start
    started find found think thinks thought way ways lot lots going want wants wanted know knows knew see sees
    saw come comes came go goes went like just really well even much many also back first last next another
    week weeks day days time times year years month months sen rep gov mr mrs ms dr st""".split()
)


def _terms(text: str) -> list[str]:
    ws = [w for w in tokens(text) if not w.isdigit()]
    plain = [w not in STOPWORDS and w not in _BLAND and "'" not in w for w in ws]  # "i'm", "we'll": no
    uni = [w for w, ok in zip(ws, plain, strict=True) if ok and len(w) > 2]
    bi = [f"{ws[i]} {ws[i + 1]}" for i in range(len(ws) - 1) if plain[i] and plain[i + 1]]
    return uni + bi


def distinctive_terms(texts_by_outlet: dict[str, str], top: int = 8, min_count: int = 2) -> dict[str, list[str]]:
    """Per outlet, the terms whose log-odds (vs all the other outlets) are highest and significant."""
    counts = {o: Counter(_terms(t)) for o, t in texts_by_outlet.items()}
    total = Counter()
    for c in counts.values():
        total.update(c)
    a0 = sum(total.values()) or 1
    prior_scale = 0.5  # strength of the prior relative to the pooled counts
    out: dict[str, list[str]] = {}
    for o, c in counts.items():
        rest = total - c
        n_i, n_j = sum(c.values()) or 1, sum(rest.values()) or 1
        scored = []
        for w, y_i in c.items():
            if y_i < min_count and not (" " in w and y_i >= 1 and len(counts) > 1 and total[w] == y_i and y_i >= 2):
                continue
            a_w = prior_scale * total[w] + 0.01
            a = prior_scale * a0
            y_j = rest.get(w, 0)
            d = math.log((y_i + a_w) / (n_i + a - y_i - a_w)) - math.log((y_j + a_w) / (n_j + a - y_j - a_w))
            var = 1.0 / (y_i + a_w) + 1.0 / (y_j + a_w)
            z = d / math.sqrt(var)
            if z > 1.0:
                scored.append((z, w))
        scored.sort(reverse=True)
        picked: list[str] = []
        for _z, w in scored:
            if any(w in p.split() or p in w.split() for p in picked):
                continue
            picked.append(w)
            if len(picked) >= top:
                break
        out[o] = picked
    return out


def framing(articles: list[Article]) -> list[OutletFraming]:
    by_outlet: dict[str, list[Article]] = {}
    for a in articles:
        by_outlet.setdefault(a.outlet, []).append(a)
    texts = {o: "\n".join(f"{a.title}\n{a.text}" for a in arts) for o, arts in by_outlet.items()}
    terms = distinctive_terms(texts) if len(by_outlet) > 1 else {o: [] for o in by_outlet}
    out = []
    for o, arts in by_outlet.items():
        first = arts[0]
        out.append(
            OutletFraming(
                outlet=o,
                headline=first.title or "",
                distinctive_terms=terms.get(o, []),
                article_id=first.id,
                url=first.url,
            )
        )
    return out
