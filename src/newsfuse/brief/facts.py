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

from newsfuse.conventions import WEEKDAYS
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
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_NUM = re.compile(
    r"(?P<cur>[$€£¥])?\s?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + rf"(?:{_TENS})-(?:{_UNITS})\b|"  # "Twenty-three": one number, not 20 and a stray "three"
    + "|".join(sorted(_NUMWORDS, key=len, reverse=True))
    + r")(?:\s?(?P<scale>thousand|million|billion|trillion|bn|m|k)\b)?(?P<pct>\s?(?:%|percent|per cent))?",
    re.I,
)
# a number right after a capitalised word names something ("Pier 9", "Local 212", "Route 41", "March 5");
# one followed by capitalised words and a street word is an address ("5 Foundry Lane")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\s$")
_NOT_A_NAME = frozenset(
    "roughly approximately just only all nearly almost around about some over under at in of on by for from with to "
    "and but or the a an those these another every each exactly up fewer least estimated its their still overall "
    "today yesterday now then last next finally altogether together total also even already meanwhile".split()
)
_ADDRESS = re.compile(
    r"\s(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Place|Court|"
    r"Square|Highway|Parkway|Terrace|Row)\b"
)
_MIN_BOUND = re.compile(r"\b(?:at least|more than|over|above|upwards of|no fewer than|no less than)\s+$", re.I)
_MAX_BOUND = re.compile(
    r"\b(?:at most|up to|fewer than|less than|under|below|as many as|no more than|nearly|almost|just under|close to)\s+$",
    re.I,
)
_APPROX = re.compile(r"\b(?:about|around|roughly|approximately|some|an estimated|estimated)\s+$", re.I)
# a figure someone expects, aims at or needs is not a report of what happened ("economists expected 500,000
# jobs", "the 40-vote threshold needed"), so it never disputes one
_HYPOTHETICAL = re.compile(
    r"\b(?:expect\w*|forecast\w*|consensus|projected|projections?|predict\w*|goal|targets?|threshold|needed|"
    r"looking for|would need)\b",
    re.I,
)
# a figure in a condition is a line someone draws, not a count ("must repay the credits if it falls below 300
# jobs", "unless more than 40 members vote"): the clause opens with "if" or "unless" before the figure
_CONDITION = re.compile(r"\b(?:if|unless)\b[^.;:!?]{0,50}$", re.I)
_BOUNDS = (("min", _MIN_BOUND), ("max", _MAX_BOUND), ("approx", _APPROX))
_DURATIONS = frozenset(
    "second seconds minute minutes hour hours day days week weeks month months year years decade decades century "
    "centuries time times".split()
)
_WEEKDAYS = tuple(d.lower() for d in WEEKDAYS)
_FIG_STOP = STOPWORDS | {"than", "nearly", "about", "around", "least", "more", "less", "over", "some", "almost"}


@dataclass(frozen=True)
class Figure:
    value: float
    surface: str  # as written
    kind: str  # count / money / percent / year / weekday
    noun: str = ""  # the first content word after it, lower-cased: what is counted ("12 people" -> "people")
    label: bool = False  # part of a name or an address, not an amount ("Pier 9", "Local 212", "5 Foundry Lane")
    bound: str = ""  # "min": "at least 12", "more than 12"; "max": "up to 12", "nearly 12"; "approx": "about 12"
    hypothetical: bool = False  # expected, aimed at, needed or a condition, not reported ("expected 500,000 jobs")


def _stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 2 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def _names_it(text: str, start: int) -> bool:
    """Whether the number at ``start`` follows a capitalised word that it belongs to ("Pier 9", "No. 7")."""
    m = _WORD_BEFORE.search(text, max(0, start - 30), start)
    if m and m.group(1).lower() in ("no.", "nos."):
        return True
    if not m or not m.group(1)[:1].isupper():
        return False
    word = m.group(1).rstrip(".").lower()
    # "On Tuesday 12 people", "Still 12 people", "Democrats 52, Republicans 48"
    return not (word in _NOT_A_NAME or word in STOPWORDS or word in _WEEKDAYS or word.endswith("s"))


def find_figures(text: str) -> list[Figure]:
    """Numbers (digits or words, with currency/scale/percent) and weekdays, each with what it counts and how
    it is qualified."""
    figs: list[Figure] = []
    for m in _NUM.finditer(text):
        raw = m.group("num")
        start, end = m.start("cur") if m.group("cur") else m.start("num"), m.end()
        # skip parts of words, ordinals, ids like "AIM-120" or "COVID-19", and times "3:30"
        before = text[max(0, start - 1) : start]
        after = text[end : end + 2]
        if (
            before.isalpha()
            or (before and before in "-/:")
            or (after[:1].isalpha() and not m.group("scale"))
            or after[:1] == ":"
        ):
            continue
        low = raw.lower()
        if "-" in low:
            tens, units = low.split("-")
            value = float(_NUMWORDS[tens] + _NUMWORDS[units])
        elif low in _NUMWORDS:
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
        nouns = [w for w in tokens(text[end : end + 60]) if w not in _FIG_STOP and not w[:1].isdigit()]
        label = kind == "count" and raw.isdigit() and (_names_it(text, start) or bool(_ADDRESS.match(text, end)))
        lead = text[max(0, start - 20) : start]
        bound = next((b for b, rx in _BOUNDS if rx.search(lead)), "")
        hypothetical = bool(_HYPOTHETICAL.search(text, max(0, start - 60), min(len(text), end + 40)))
        hypothetical = hypothetical or bool(_CONDITION.search(text[max(0, start - 60) : start]))
        figs.append(Figure(value, m.group(0).strip(), kind, nouns[0] if nouns else "", label, bound, hypothetical))
    for m in re.finditer(r"\b(" + "|".join(_WEEKDAYS) + r")\b", text, re.I):
        figs.append(Figure(float(_WEEKDAYS.index(m.group(1).lower())), m.group(1), "weekday"))
    return figs


# ----------------------------------------------------------------------------------------------- units and facts


_CUT_OFF = re.compile(r"(?:\.\.\.|…|\[…\]|\[\.\.\.\])[\"”’']?\s*$")


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
    last: bool = False  # the last sentence of its article

    @property
    def text(self) -> str:
        return self.sent.text

    @property
    def cut_off(self) -> bool:
        """The text ends here in an ellipsis: cut short by a feed or a crawl ("... when he ran to..."), so
        the sentence is not whole and is never shown as a point of the brief."""
        return self.last and bool(_CUT_OFF.search(self.sent.text))

    @property
    def outlet(self) -> str:
        return self.sent.outlet


@dataclass
class Fact:
    members: list[int]  # unit indices, at most one per article
    outlets: list[str]
    score: float = 0.0


def citation(u: Unit) -> Citation:
    return Citation.to(u.sent, u.url)


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


def disputes(fa: Figure, fb: Figure, a_figs: list[Figure], b_figs: list[Figure], max_ratio: float = 3.0) -> bool:
    """Whether figure ``fa`` (of a sentence whose figures are ``a_figs``) and ``fb`` (of ``b_figs``) give
    different values for the same thing: one kind, the same counted noun, not a name, a duration, a year or
    an expected figure, neither allowed by the other's wording, within ``max_ratio``, and neither value
    found in the other sentence too (then the other is another count). Symmetric."""
    if fa.kind != fb.kind or fa.value == fb.value or fa.kind in ("weekday", "year"):
        return False
    if fa.hypothetical or fb.hypothetical or fa.label or fb.label:
        return False
    if not fa.noun or _stem(fa.noun) != _stem(fb.noun) or fa.noun in _DURATIONS or fb.noun in _DURATIONS:
        return False
    if _within_bound(fa, fb) or _within_bound(fb, fa):  # "at least 12" allows 14
        return False
    low, high = sorted((abs(fa.value), abs(fb.value)))
    if low == 0 or high / low > max_ratio:
        return False
    return not (any(f.value == fa.value for f in b_figs) or any(f.value == fb.value for f in a_figs))


def figure_conflicts(
    units: list[Unit], facts: list[Fact], fsim: np.ndarray, loose: float = 0.55, max_ratio: float = 3.0
) -> list[FigureConflict]:
    """Different figures for the same thing in sentences (of different outlets) about the same fact.

    Two figures are about the same thing when both sentences report the same fact (the same fact group,
    or a fact similarity of at least ``loose``), the figures are of one kind (count, money, percent), count
    the same noun ("12 people" / "Fourteen people"), and are within ``max_ratio`` of each other (12 and
    14 injured are one count reported two ways; 9 and 110 firefighters are two counts). Numbers that are
    part of a name or an address ("Pier 9", "5 Foundry Lane") and years are never compared. Pairs about
    the same noun that share an outlet's figure are merged into one conflict of several outlets."""
    fact_of = {}
    for fi, f in enumerate(facts):
        for k in f.members:
            fact_of[k] = fi
    seen: set[tuple] = set()
    pairs: list[_Conflict] = []
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
                    if not disputes(fa, fb, a.figures, b.figures, max_ratio):
                        continue
                    key = (a.outlet, fa.value, b.outlet, fb.value, fa.kind, _stem(fa.noun))
                    if key in seen:
                        continue
                    seen.add(key)
                    pairs.append(
                        _Conflict(
                            fa.kind,
                            fa.noun,
                            {a.outlet: (fa.value, fa.surface), b.outlet: (fb.value, fb.surface)},
                            [citation(a), citation(b)],
                        )
                    )
    # one conflict per counted thing: pairs about the same noun joined through an outlet's figure
    merged: list[_Conflict] = []
    for c in pairs:
        for m in merged:
            if m.same_thing(c.kind, c.noun) and any(m.values.get(k, (None,))[0] == v for k, (v, _) in c.values.items()):
                for k, v in c.values.items():
                    m.values.setdefault(k, v)
                m.cite(c.citations)
                break
        else:
            merged.append(c)
    # other outlets that give one of the disputed figures, plainly, for the same noun join in, in a sentence
    # close to one already cited ("It normally carries 38,000 vehicles a day.")
    index = {(u.sent.article_id, u.sent.index): k for k, u in enumerate(units)}
    for m in merged:
        disputed = {v for v, _ in m.values.values()}
        members = [
            index[(c.article_id, c.sentence_index)] for c in m.citations if (c.article_id, c.sentence_index) in index
        ]
        for j, u in enumerate(units):
            if u.is_title or u.outlet in m.values or not any(fsim[j, k] >= loose for k in members):
                continue
            for f in u.figures:
                plain = not (f.label or f.hypothetical or f.bound in ("min", "max"))
                if plain and f.value in disputed and m.same_thing(f.kind, f.noun):
                    m.values[u.outlet] = (f.value, f.surface)
                    m.cite([citation(u)])
                    break
    out: list[FigureConflict] = []
    for m in merged:
        values = {outlet: surface for outlet, (_v, surface) in m.values.items()}
        if len(values) == 2:
            (oa, va), (ob, vb) = values.items()
            description = f"{oa} reports {va} and {ob} reports {vb} ({m.noun})"
        else:
            description = f"Outlets report different figures ({m.noun}): " + ", ".join(
                f"{k} {v}" for k, v in sorted(values.items())
            )
        out.append(FigureConflict(description=description, values=values, citations=m.citations))
    return out


def _within_bound(bounded: Figure, other: Figure) -> bool:
    """Whether ``other`` agrees with what ``bounded`` says ("at least 12" and 14; "about 6,000" and 6,204)."""
    if bounded.bound == "min":
        return other.value >= bounded.value
    if bounded.bound == "max":
        return other.value <= bounded.value
    if bounded.bound == "approx":
        return abs(other.value - bounded.value) <= 0.05 * max(abs(other.value), abs(bounded.value))
    return False


@dataclass
class _Conflict:
    kind: str
    noun: str
    values: dict[str, tuple[float, str]]  # outlet -> (value, as written)
    citations: list[Citation]

    def same_thing(self, kind: str, noun: str) -> bool:
        return kind == self.kind and _stem(noun) == _stem(self.noun)

    def cite(self, citations: list[Citation]) -> None:
        have = {(x.article_id, x.sentence_index) for x in self.citations}
        self.citations += [x for x in citations if (x.article_id, x.sentence_index) not in have]
