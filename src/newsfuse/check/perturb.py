"""Synthetic training claims made from real news sentences (the FactCC recipe, extended).

Positives keep the meaning of the source: the sentence itself, a compression (an appositive,
an attribution or a parenthesis dropped; the first clause kept) or a fusion of two source
sentences. Negatives are small edits of a positive -- the errors that summaries really make:
a changed number or date, a swapped name (from the same article, so the words look at home),
a negation added or removed, an antonym, a pronoun swap, an invented detail (a phrase taken
from an unrelated article), or a sentence from another story. Every generator is deterministic
given its ``random.Random``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Claim", "make_claims", "lowercase_tokenised", "POSITIVE_KINDS", "NEGATIVE_KINDS"]


@dataclass
class Claim:
    text: str
    label: int  # 1 supported, 0 not
    kind: str


_NAME_SPAN = re.compile(
    r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|[A-Z]\.|of|de|van|al))*(?: [A-Z][a-z]+)?)"
)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w.]*\d)")
_NUM_WORDS = "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = "January February March April June July August September October November December".split()
_AUX = re.compile(
    r"\b(is|are|was|were|has|have|had|will|would|can|could|should|did|does|do|may|might|must)\b(?! not\b)(?!n't)"
)
_NEG = re.compile(r"\b(is|are|was|were|has|have|had|will|would|can|could|should|did|does|do)(?: not|n't)\b")
_GENERATION_ANTONYMS = [
    ("increase", "decrease"),
    ("increased", "decreased"),
    ("rise", "fall"),
    ("rose", "fell"),
    ("higher", "lower"),
    ("more", "fewer"),
    ("before", "after"),
    ("first", "last"),
    ("won", "lost"),
    ("win", "lose"),
    ("approved", "rejected"),
    ("supported", "opposed"),
    ("support", "oppose"),
    ("allowed", "banned"),
    ("larger", "smaller"),
    ("largest", "smallest"),
    ("early", "late"),
    ("earlier", "later"),
    ("opened", "closed"),
    ("began", "ended"),
    ("accepted", "refused"),
    ("strong", "weak"),
    ("agreed", "refused"),
    ("confirmed", "denied"),
    ("positive", "negative"),
    ("legal", "illegal"),
    ("majority", "minority"),
    ("arrested", "released"),
    ("ahead", "behind"),
    ("above", "below"),
    ("long", "short"),
    ("high", "low"),
    ("most", "least"),
    ("best", "worst"),
    ("better", "worse"),
    ("expanded", "reduced"),
    ("raised", "cut"),
    ("gained", "lost"),
    ("new", "old"),
    ("public", "private"),
    ("foreign", "domestic"),
    ("always", "never"),
    ("all", "none of the"),
    ("men", "women"),
    ("husband", "wife"),
    ("son", "daughter"),
    ("father", "mother"),
    ("Republicans", "Democrats"),
    ("Republican", "Democratic"),
    ("conservative", "liberal"),
    ("guilty", "innocent"),
    ("killed", "injured"),
    ("dead", "alive"),
    ("buy", "sell"),
    ("bought", "sold"),
    ("hired", "fired"),
    ("joined", "left"),
    ("imports", "exports"),
    ("north", "south"),
    ("east", "west"),
]
_ANT = {}
for _a, _b in _GENERATION_ANTONYMS:
    _ANT[_a] = _b
    _ANT[_b] = _a
_ANT_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in _ANT) + r")\b")
_PRON = {"he": "she", "she": "he", "his": "her", "him": "her", "her": "his", "He": "She", "She": "He", "His": "Her"}
_PRON_RE = re.compile(r"\b(he|she|his|him|her|He|She|His)\b")
_INSERT_PHRASES = [
    "on Tuesday",
    "last year",
    "for the first time",
    "in London",
    "after a two-year investigation",
    "in a closed-door meeting",
    "despite strong opposition",
    "according to police",
    "in an interview with CNN",
    "earlier this month",
    "for the third time",
    "with the help of the FBI",
    "in New York",
    "at the request of the White House",
    "during a visit to Paris",
    "after weeks of negotiations",
    "in a unanimous vote",
    "on Friday night",
    "two days earlier",
    "in a statement",
]


def _sentence_end(s: str) -> tuple[str, str]:
    m = re.search(r"[.!?][\"”’']?$", s)
    if m:
        return s[: m.start()], s[m.start() :]
    return s, ""


def _ok(text: str) -> bool:
    return 5 <= len(text.split()) <= 60


# ---- positives -------------------------------------------------------------------------------------


def compress(s: str, rng: random.Random) -> str | None:
    body, end = _sentence_end(s)
    options: list[str] = []
    # drop a trailing attribution: ", X said" / ", according to X"
    m = re.search(r",\s*(?:[^,]{2,60}\s)?(?:said|says|told [^,]+|according to [^,]+)\s*[^,]{0,40}$", body)
    if m and m.start() > 25:
        options.append(body[: m.start()])
    # drop a leading attribution: "According to X, ..." / "X said that ..."
    m = re.match(r"^(?:According to [^,]{3,60},|[A-Z][^,]{2,60} (?:said|says) (?:that )?)\s*", body)
    if m and len(body) - m.end() > 25:
        rest = body[m.end() :]
        options.append(rest[:1].upper() + rest[1:])
    # drop a parenthesis or an appositive between commas
    for m in re.finditer(r"\s*\([^)]{2,80}\)", body):
        options.append(body[: m.start()] + body[m.end() :])
    for m in re.finditer(r",\s[^,]{3,60},\s", body):
        options.append(body[: m.start()] + " " + body[m.end() :])
    # keep the first clause
    m = re.search(r"[,;]\s(?:and|but|while|which|who|as|after|before|because|although)\s", body)
    if m and m.start() > 30:
        options.append(body[: m.start()])
    options = [re.sub(r"\s+", " ", o).strip() for o in options]
    options = [o for o in options if _ok(o) and o != body]
    if not options:
        return None
    return rng.choice(options) + (end or ".")


def fuse(a: str, b: str, rng: random.Random) -> str | None:
    a_body, _ = _sentence_end(a)
    b_body, b_end = _sentence_end(b)
    if not b_body or len(a_body.split()) + len(b_body.split()) > 55:
        return None
    joiner = rng.choice([", and ", "; ", ", while "])
    first = b_body[:1].lower() + b_body[1:] if not re.match(r"^[A-Z][a-z]+ [A-Z]", b_body) else b_body
    return a_body + joiner + first + (b_end or ".")


# ---- negatives -------------------------------------------------------------------------------------


def change_number(s: str, rng: random.Random, doc_numbers: Sequence[str]) -> str | None:
    nums = list(_NUMBER.finditer(s))
    if nums:
        m = rng.choice(nums)
        raw = m.group(1)
        val = float(raw.replace(",", ""))
        others = [n for n in doc_numbers if n != raw]
        if others and rng.random() < 0.4:
            new = rng.choice(others)
        elif 1900 <= val <= 2030 and "." not in raw:
            new = str(int(val) + rng.choice([-3, -2, -1, 1, 2, 5]))
        else:
            factor = rng.choice([0.5, 0.7, 0.8, 1.25, 1.5, 2, 3, 10])
            nv = val * factor
            if nv == val or (val < 20 and nv == int(val)):
                nv = val + rng.choice([1, 2, 3, -1]) if val > 3 else val + rng.choice([1, 2, 3])
            new = f"{nv:,.0f}" if "," in raw else (f"{nv:.1f}" if "." in raw else str(int(round(nv))))
            if new == raw:
                new = str(int(val) + 1)
        return s[: m.start(1)] + new + s[m.end(1) :]
    words = [m for m in re.finditer(r"\b(" + "|".join(_NUM_WORDS) + r")\b", s, flags=re.I)]
    if words:
        m = rng.choice(words)
        new = rng.choice([w for w in _NUM_WORDS if w != m.group(1).lower()])
        return s[: m.start()] + new + s[m.end() :]
    for pool in (_WEEKDAYS, _MONTHS):
        hits = [m for m in re.finditer(r"\b(" + "|".join(pool) + r")\b", s)]
        if hits:
            m = rng.choice(hits)
            new = rng.choice([w for w in pool if w != m.group(1)])
            return s[: m.start()] + new + s[m.end() :]
    return None


def swap_name(s: str, rng: random.Random, doc_names: Sequence[str], foreign_names: Sequence[str]) -> str | None:
    spans = [m for m in _NAME_SPAN.finditer(s) if m.start() > 0 and m.group(1) not in _WEEKDAYS + _MONTHS]
    if not spans:
        return None
    m = rng.choice(spans)
    old = m.group(1)
    pool = [n for n in doc_names if n != old and n not in s and old not in n]
    if not pool or rng.random() < 0.25:
        pool = [n for n in foreign_names if n != old and n not in s]
    if not pool:
        return None
    new = rng.choice(pool)
    return s[: m.start(1)] + new + s[m.end(1) :]


def negate(s: str, rng: random.Random) -> str | None:
    neg = list(_NEG.finditer(s))
    if neg and rng.random() < 0.5:
        m = rng.choice(neg)
        return s[: m.start()] + m.group(1) + s[m.end() :]
    aux = list(_AUX.finditer(s))
    if aux:
        m = rng.choice(aux[:2])
        return s[: m.end()] + " not" + s[m.end() :]
    m = re.search(r"\b([a-z]+ed)\b", s)
    if m and m.start() > 0:
        return s[: m.start()] + "did not " + _base_verb(m.group(1)) + s[m.end() :]
    return None


def _base_verb(v: str) -> str:
    if v.endswith("ied"):
        return v[:-3] + "y"
    stem = v[:-2]
    if v.endswith("eed") or stem.endswith("ss"):
        return v[:-1] if v.endswith("eed") else stem
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]  # stopped -> stop
    if stem[-1:] in tuple("sczvgu") or v.endswith(("ated", "ured", "ired", "ived", "oted", "uted")):
        return v[:-1]  # raised -> raise, produced -> produce, stated -> state
    return stem


def antonym(s: str, rng: random.Random) -> str | None:
    hits = list(_ANT_RE.finditer(s))
    if not hits:
        return None
    m = rng.choice(hits)
    return s[: m.start()] + _ANT[m.group(1)] + s[m.end() :]


def swap_pronoun(s: str, rng: random.Random) -> str | None:
    hits = list(_PRON_RE.finditer(s))
    if not hits:
        return None
    m = rng.choice(hits)
    return s[: m.start()] + _PRON[m.group(1)] + s[m.end() :]


def insert_detail(s: str, rng: random.Random, foreign_sentences: Sequence[str]) -> str | None:
    body, end = _sentence_end(s)
    r = rng.random()
    if r < 0.45 and foreign_sentences:
        # a clause from an unrelated article, attached as a relative or temporal clause
        other = rng.choice(foreign_sentences)
        ob, _ = _sentence_end(other)
        words = ob.split()
        if len(words) < 6:
            return None
        k = rng.randint(4, min(12, len(words)))
        start = rng.randint(0, max(0, len(words) - k))
        frag = " ".join(words[start : start + k]).strip(",;: ")
        frag = frag[:1].lower() + frag[1:]
        joiner = rng.choice([", after ", ", as ", " because ", ", which ", ", while "])
        return body + joiner + frag + (end or ".")
    phrase = rng.choice(_INSERT_PHRASES)
    words = body.split()
    if len(words) < 5:
        return None
    if rng.random() < 0.5:
        return body + " " + phrase + (end or ".")
    pos = rng.randint(2, len(words) - 1)
    return " ".join(words[:pos] + [phrase] + words[pos:]) + (end or ".")


# ---- formatting noise -----------------------------------------------------------------------------


def lowercase_tokenised(s: str) -> str:
    """The look of summaries in CNN/DM and XSum data sets: lower case, split punctuation."""
    s = s.lower()
    s = re.sub(r"([,.!?;:)])(\s|$)", r" \1\2", s)
    s = re.sub(r"(\S)'s\b", r"\1 's", s)
    s = re.sub(r"n't\b", " n't", s)
    return re.sub(r"\s+", " ", s).strip()


POSITIVE_KINDS = ("verbatim", "compress", "fuse", "prefix")
NEGATIVE_KINDS = ("number", "name", "negation", "antonym", "pronoun", "insert", "foreign")


def make_claims(
    sentences: Sequence[str],
    rng: random.Random,
    doc_names: Sequence[str],
    doc_numbers: Sequence[str],
    foreign_sentences: Sequence[str],
    foreign_names: Sequence[str],
    n: int = 4,
) -> list[Claim]:
    """About ``n`` positives and ``n`` negatives from one article's sentences."""
    cands = [s for s in sentences if _ok(s) and not s.endswith(("?", "..", "…", ":")) and len(s) > 40]
    if len(cands) < 2:
        return []
    out: list[Claim] = []
    picks = rng.sample(cands, min(n, len(cands)))
    negs: dict[str, Callable[[str], str | None]] = {
        "number": lambda x: change_number(x, rng, doc_numbers),
        "name": lambda x: swap_name(x, rng, doc_names, foreign_names),
        "negation": lambda x: negate(x, rng),
        "antonym": lambda x: antonym(x, rng),
        "pronoun": lambda x: swap_pronoun(x, rng),
        "insert": lambda x: insert_detail(x, rng, foreign_sentences),
    }
    neg_weights = {"number": 3, "name": 3, "negation": 2, "antonym": 2, "pronoun": 1, "insert": 3}
    for s in picks:
        r = rng.random()
        pos: str | None
        kind = "verbatim"
        if r < 0.15:
            pos = s
        elif r < 0.6:
            pos, kind = compress(s, rng), "compress"
        elif r < 0.8:
            other = rng.choice([c for c in cands if c != s])
            pos, kind = fuse(s, other, rng), "fuse"
        else:  # the part before a comma, when it is a clause of its own
            cuts = [m.start() for m in re.finditer(r",\s", s) if len(s[: m.start()].split()) >= 7]
            pos, kind = (s[: rng.choice(cuts)].rstrip() + ".", "prefix") if cuts else (None, "prefix")
        if not pos:
            pos, kind = s, "verbatim"
        out.append(Claim(pos, 1, kind))
        order = sorted(negs, key=lambda k: -neg_weights[k] * rng.random())
        for k in order:
            neg = negs[k](pos)
            if neg and neg != pos and _ok(neg):
                out.append(Claim(neg, 0, k))
                break
    if foreign_sentences and rng.random() < 0.3:
        out.append(Claim(rng.choice(foreign_sentences), 0, "foreign"))
    return out
