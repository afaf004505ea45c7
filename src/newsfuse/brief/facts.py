"""Facts across outlets: sentences that report the same thing, and figures that disagree.

Every sentence of every article becomes a :class:`Unit` (its text, position, entities,
figures and embedding). :func:`group_facts` links sentences from *different* articles
that say the same thing — embedding similarity, raised when they share named entities and
figures — into :class:`Fact` groups, so each fact knows which outlets carry it.
:func:`figure_conflicts` then compares the figures of sentences about the same fact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from newsfuse.model import Citation, FigureConflict, Sentence

__all__ = [
    "Unit",
    "Fact",
    "Figure",
    "tokens",
    "content_tokens",
    "find_figures",
    "group_facts",
    "figure_conflicts",
    "citation",
    "STOPWORDS",
]

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    now of off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves said says say
    told according new one two would could may might must shall us mr mrs ms dr s t re ve ll d don didn doesn
    isn wasn aren weren won hasn haven hadn wouldn couldn shouldn""".split()
)

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens (possessives dropped)."""
    out = []
    for w in _WORD.findall(text):
        w = w.lower().replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        w = w.strip("'-")
        if w:
            out.append(w)
    return out


def content_tokens(text: str) -> list[str]:
    return [w for w in tokens(text) if w not in STOPWORDS and len(w) > 1]


# ----------------------------------------------------------------------------------------------- figures

_NUMWORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "dozens": 24,
}  # fmt: skip
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "m": 1e6, "bn": 1e9, "k": 1e3}
_NUM = re.compile(
    r"(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(_NUMWORDS, key=len, reverse=True))
    + r")(?:\s?(?P<scale>thousand|million|billion|trillion|bn|m|k)\b)?(?P<pct>\s?(?:%|percent|per cent))?",
    re.I,
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FIG_STOP = STOPWORDS | {"than", "nearly", "about", "around", "least", "more", "less", "over", "some", "almost"}


@dataclass(frozen=True)
class Figure:
    value: float
    surface: str  # as written
    kind: str  # count / money / percent / year / weekday
    context: frozenset[str]  # nearby content words (what the figure counts)


def _stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def find_figures(text: str) -> list[Figure]:
    """Numbers (digits or words, with currency/scale/percent) and weekdays, each with its context words."""
    figs: list[Figure] = []
    for m in _NUM.finditer(text):
        raw = m.group("num")
        start, end = m.start("cur") if m.group("cur") else m.start("num"), m.end()
        # skip parts of words, ordinals, ids like "AIM-120" or "COVID-19", and times "3:30"
        before = text[max(0, start - 1) : start]
        after = text[end : end + 2]
        if before.isalpha() or before in "-/:" or (after[:1].isalpha() and not m.group("scale")) or after[:1] == ":":
            continue
        low = raw.lower()
        if low in _NUMWORDS:
            if low == "one":
                continue
            value = float(_NUMWORDS[low])
        else:
            value = float(raw.replace(",", ""))
        if m.group("scale"):
            value *= _SCALE[m.group("scale").lower()]
        kind = "count"
        if m.group("cur"):
            kind = "money"
        elif m.group("pct"):
            kind = "percent"
        elif raw.isdigit() and 1900 <= value <= 2100 and not m.group("scale"):
            kind = "year"
        left = [_stem(w) for w in tokens(text[max(0, start - 40) : start]) if w not in _FIG_STOP][-2:]
        right = [_stem(w) for w in tokens(text[end : end + 50]) if w not in _FIG_STOP][:3]
        figs.append(Figure(value, m.group(0).strip(), kind, frozenset(left + right)))
    for m in re.finditer(r"\b(" + "|".join(_WEEKDAYS) + r")\b", text, re.I):
        figs.append(Figure(float(_WEEKDAYS.index(m.group(1).lower())), m.group(1), "weekday", frozenset()))
    return figs


# ----------------------------------------------------------------------------------------------- units and facts


@dataclass
class Unit:
    """One source sentence with what the brief stages need to know about it."""

    sent: Sentence
    art: int  # index of its article in the story
    pos: int  # index of the sentence in its article
    n_in_article: int
    url: str | None = None
    is_title: bool = False
    entities: list[tuple[str, str]] = field(default_factory=list)  # (normalised name, label)
    figures: list[Figure] = field(default_factory=list)
    toks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.sent.text

    @property
    def outlet(self) -> str:
        return self.sent.outlet


@dataclass
class Fact:
    members: list[int]  # unit indices, at most one per article
    outlets: list[str]
    score: float = 0.0


def citation(u: Unit) -> Citation:
    s = u.sent
    return Citation(
        article_id=s.article_id,
        outlet=s.outlet,
        sentence_index=s.index,
        text=s.text,
        url=u.url,
        start=s.start,
        end=s.end,
    )


def _entity_overlap(a: Unit, b: Unit) -> float:
    ea = {e for e, _ in a.entities}
    eb = {e for e, _ in b.entities}
    if not ea or not eb:
        return 0.0
    return len(ea & eb) / min(len(ea), len(eb))


def _figure_agreement(a: Unit, b: Unit) -> float:
    va = {f.value for f in a.figures if f.kind != "weekday"}
    vb = {f.value for f in b.figures if f.kind != "weekday"}
    if not va or not vb:
        return 0.0
    return len(va & vb) / min(len(va), len(vb))


def _lexical(a: Unit, b: Unit) -> float:
    sa, sb = set(a.toks), set(b.toks)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / min(len(sa), len(sb))


def pair_similarity(units: list[Unit], sims: np.ndarray) -> np.ndarray:
    """Fact-level similarity of every unit pair: embedding cosine nudged by shared entities, figures and words."""
    n = len(units)
    out = sims.astype(np.float32).copy()
    for i in range(n):
        for j in range(i + 1, n):
            if units[i].art == units[j].art:
                out[i, j] = out[j, i] = -1.0
                continue
            bonus = 0.06 * _entity_overlap(units[i], units[j]) + 0.05 * _figure_agreement(units[i], units[j])
            bonus += 0.08 * _lexical(units[i], units[j])
            out[i, j] = out[j, i] = out[i, j] + bonus
    np.fill_diagonal(out, 1.0)
    return out


def group_facts(units: list[Unit], fsim: np.ndarray, threshold: float = 0.68) -> list[Fact]:
    """Greedy average-link grouping of units from different articles (at most one sentence per article)."""
    n = len(units)
    cluster = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    pairs = [(fsim[i, j], i, j) for i in range(n) for j in range(i + 1, n) if fsim[i, j] >= threshold]
    pairs.sort(reverse=True)
    for _s, i, j in pairs:
        ci, cj = cluster[i], cluster[j]
        if ci == cj:
            continue
        a, b = members[ci], members[cj]
        if {units[k].art for k in a} & {units[k].art for k in b}:
            continue
        link = float(np.mean([fsim[x, y] for x in a for y in b]))
        if link < threshold:
            continue
        members[ci] = a + b
        for k in b:
            cluster[k] = ci
        del members[cj]
    facts = []
    for ms in members.values():
        ms.sort(key=lambda k: (units[k].art, units[k].pos))
        outlets = sorted({units[k].outlet for k in ms})
        facts.append(Fact(members=ms, outlets=outlets))
    return facts


def figure_conflicts(
    units: list[Unit], facts: list[Fact], fsim: np.ndarray, loose: float = 0.55
) -> list[FigureConflict]:
    """Different figures for the same thing in sentences (of different outlets) about the same fact."""
    fact_of = {}
    for fi, f in enumerate(facts):
        for k in f.members:
            fact_of[k] = fi
    seen: set[tuple] = set()
    out: list[FigureConflict] = []
    n = len(units)
    for i in range(n):
        for j in range(i + 1, n):
            a, b = units[i], units[j]
            if a.outlet == b.outlet or a.is_title or b.is_title:
                continue
            if fact_of.get(i) != fact_of.get(j) and fsim[i, j] < loose:
                continue
            for fa in a.figures:
                for fb in b.figures:
                    if fa.kind != fb.kind or fa.value == fb.value:
                        continue
                    if fa.kind == "weekday":
                        continue  # too often a different event ("on Sunday ... on Monday")
                    shared = fa.context & fb.context
                    if not shared or fa.kind == "year":
                        continue
                    # the same figure must not appear in both sentences (then the other is another count)
                    if any(f.value == fa.value for f in b.figures) or any(f.value == fb.value for f in a.figures):
                        continue
                    key = (min(fa.value, fb.value), max(fa.value, fb.value), tuple(sorted(shared)))
                    if key in seen:
                        continue
                    seen.add(key)
                    what = " ".join(sorted(shared))
                    out.append(
                        FigureConflict(
                            description=f"{a.outlet} reports {fa.surface} and {b.outlet} reports {fb.surface} ({what})",
                            values={a.outlet: fa.surface, b.outlet: fb.surface},
                            citations=[citation(a), citation(b)],
                        )
                    )
    # merge conflicts about the same thing reported by more than two outlets
    merged: list[FigureConflict] = []
    for c in out:
        for m in merged:
            if set(m.values) & set(c.values) and any(m.values.get(k) == v for k, v in c.values.items()):
                for k, v in c.values.items():
                    m.values.setdefault(k, v)
                have = {(x.article_id, x.sentence_index) for x in m.citations}
                m.citations += [x for x in c.citations if (x.article_id, x.sentence_index) not in have]
                m.description = "Outlets report different figures: " + ", ".join(
                    f"{k} {v}" for k, v in sorted(m.values.items())
                )
                break
        else:
            merged.append(c)
    return merged
