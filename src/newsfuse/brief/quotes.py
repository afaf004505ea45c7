"""Direct quotations with their speakers, as each outlet attributes them, merged across outlets.

Patterns recognised around a quotation (curly or straight double quotes):

* ``"...," said X`` / ``"...," X said`` / ``"...," X told reporters`` (after the quote);
* ``X said: "..."`` / ``X said "..."`` (before the quote);
* ``according to X``; X may be a named person, a role ("the official") or a pronoun,
  which is resolved to the last person named earlier in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from newsfuse.conventions import HONORIFICS, strip_honorifics
from newsfuse.model import Article, Citation, Quote, Sentence

__all__ = ["RawQuote", "find_quotes", "merge_quotes"]

_SAY = (
    r"(?:said|says|say|told|added|adds|stated|states|wrote|writes|warned|warns|argued|argues|noted|notes|declared|"
    r"explained|insisted|asked|asks|concluded|continued|tweeted|posted|claimed|claims|announced|replied|responded|"
    r"commented|remarked|acknowledged|admitted|predicted|urged|vowed|stressed|emphasized|emphasised|cautioned)"
)
_QUOTE = re.compile(r"“([^”]{12,}?)”|\"([^\"]{12,}?)\"")
_PRONOUNS = {"he", "she", "they", "him", "her", "it"}
_NAME = r"(?:[A-Z][\w’'.-]+(?:\s+(?:[A-Z][\w’'.-]+|of|de|van|von|al-|bin))*)"
_ROLE = r"(?:(?:the|a|an|one|another)\s+(?:[\w’'-]+\s+){0,5}?[\w’'-]+)"
# lower-case words between an organisation and a name ("Greenfield spokeswoman Paula Drummond"), not a
# preposition or conjunction that starts something else ("said on Tuesday", "said in a statement")
# role words between an organisation and a name ("Greenfield spokeswoman Paula Drummond", "company chief
# executive Ann Lee"); only these, so "said Ann Moyer late Tuesday" keeps Ann Moyer
_ROLE_WORDS = (
    "spokesman|spokeswoman|spokesperson|president|vice|director|chief|executive|official|officer|secretary|"
    "minister|chairman|chairwoman|chair|leader|head|manager|analyst|economist|professor|lawyer|attorney|senator|"
    "governor|mayor|commissioner|superintendent|councillor|councilor|member|supervisor|founder|owner|researcher|"
    "scientist|engineer|inspector|investigator|adviser|advisor|aide|strategist|coach|captain|deputy|assistant|"
    "press|communications|general|counsel|ceo|cfo|coordinator|organizer|organiser|representative|rep|trustee|"
    "fire|police|city|county|state|federal|company|agency|union|party|campaign|team|school|health|senior|former|"
    "acting|interim|department|board|council|house|senate|white|defense|defence|foreign|prime|district|regional"
)
_DESCRIPTOR = rf"(?:(?:{_ROLE_WORDS})\s+)"
_AFTER = [
    re.compile(rf"^\s*,?\s*{_SAY}\s+(?:{_NAME}\s+)?{_DESCRIPTOR}{{1,3}}(?P<who>{_NAME})"),
    re.compile(rf"^\s*,?\s*{_SAY}\s+(?P<who>{_NAME}(?:,\s+(?:a|an|the)\s[^,.]+)?|{_ROLE})"),
    re.compile(rf"^\s*,?\s*(?P<who>{_NAME}|{_ROLE}|he|she|they)\s+{_SAY}\b"),
    # '"...," according to the presiding judge, Maria Lenz' / 'according to board chair Ruth Adeyemi'
    re.compile(rf"^\s*,?\s*according to\s+(?:the|a|an)\s+(?:[\w’'-]+\s+){{0,3}}?[\w’'-]+,\s+(?P<who>{_NAME})"),
    re.compile(rf"^\s*,?\s*according to\s+(?:{_NAME}\s+)?{_DESCRIPTOR}{{0,3}}(?P<who>{_NAME})"),
]
_BEFORE = [
    re.compile(
        rf"(?P<who>{_NAME}|{_ROLE}|\b[Hh]e|\b[Ss]he|\b[Tt]hey)\s+(?:also\s+|then\s+|later\s+)?{_SAY}\b[^“\"]{{0,60}}$"
    ),
    re.compile(rf"[Aa]ccording to\s+(?P<who>{_NAME}|{_ROLE})[^“\"]{{0,20}}$"),
]


@dataclass
class RawQuote:
    text: str
    speaker: str | None
    sentence: Sentence  # the sentence holding the quote's start
    url: str | None = None


_TITLE_WORDS = frozenset((*HONORIFICS, "St"))  # a stop after these is no sentence end ("St. John said")


def _clean_speaker(who: str, persons_before: list[str]) -> str | None:
    who = who.strip(" ,.")
    low = who.lower()
    if low in _PRONOUNS:
        return persons_before[-1] if persons_before else None
    if low.startswith(("the ", "a ", "an ", "one ", "another ")):
        return who[0].lower() + who[1:]
    # a sentence end inside the phrase ("Okafor. She added"), but not after a title ("Dr. Miriam Osterhout")
    # or an initial ("J. R. Ortiz")
    for m in re.finditer(r"(\w+)\.\s+(?=[A-Z][a-z])", who):
        if m.group(1) not in _TITLE_WORDS and not (len(m.group(1)) == 1 and m.group(1).isupper()):
            who = who[: m.start(1) + len(m.group(1))]
            break
    who = strip_honorifics(who.split(",")[0].strip(" ."))  # "Dr. Miriam Osterhout" -> "Miriam Osterhout"
    return who or None


def _not_a_quotation(body: str) -> bool:
    """A title or a name between quotation marks, not somebody's words ("Notes From the Harbour
    Road", "Save Our Harbour Ferry Rally")."""
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", body) if w.lower() not in _MINOR]
    if sum(w.isupper() for w in words) > len(words) / 2:
        return False  # shouted words in capitals are somebody's words, not a title
    return len(words) >= 3 and all(w[0].isupper() for w in words)


_MINOR = frozenset("a an the of on in at to for and or but nor with by from as vs".split())


def _named_person_in(text: str, persons: list[str]) -> str | None:
    """A person named in ``text`` followed closely by a speech verb ("Mayor Ruiz, who chairs the board, said")."""
    for p in persons:
        if p and re.search(rf"{re.escape(p)}[^.]{{0,80}}\b{_SAY}\b", text):
            return p
    return None


def find_quotes(article: Article, sentences: list[Sentence], persons: list[tuple[int, str]]) -> list[RawQuote]:
    """Quotes in one article. ``sentences``: its sentences in order (``split_sentences``); ``persons``:
    (character offset, full name) of PERSON mentions in this article, in order."""
    text = article.text or ""
    out: list[RawQuote] = []
    said: list[tuple[int, str]] = []  # (offset, speaker) of quotes attributed so far
    # who a pronoun refers to: the latest speaker quoted, or the first person named in a sentence (a stand-in
    # for its subject: "Council leader Mara Quist wrote ... quoting her old coach Tom Hale" -> Quist)
    subjects: list[tuple[int, str]] = []
    ordered = sorted(persons)
    at = 0
    for u in sorted(sentences, key=lambda x: x.start):  # one pass over both, in text order
        while at < len(ordered) and ordered[at][0] < u.start:
            at += 1
        if at < len(ordered) and ordered[at][0] < u.end:
            subjects.append(ordered[at])
    last: tuple[int, str | None, int] | None = None  # (end offset, speaker, paragraph start) of the last quote
    pos = 0
    while (m := _QUOTE.search(text, pos)) is not None:
        pos = m.end()
        qs, qe = m.start(), m.end()
        raw_body = m.group(1) or m.group(2) or ""
        first = raw_body.split("\n", 1)[0]
        if first[:1].isspace() or ("\n" not in raw_body and raw_body[-1:].isspace()):
            pos = qe - 1  # a closing mark taken for an opening one: the real quotation may open here
            continue
        if "\n" in raw_body:
            # a paragraph break ends a quotation (one that goes on opens the next paragraph with a mark of its
            # own); what lies between that break and the closing mark is not part of it
            pos = qs + 1 + len(first)
            raw_body, qe = first, pos
        body = raw_body.strip()
        if len(body.split()) < 4 or _not_a_quotation(body):
            continue
        holder = None
        for u in sentences:
            if u.start <= qs < u.end or (qs < u.start < qe):
                holder = u
                break
        if holder is None:
            continue
        before_persons = [name for _, name in sorted([(o, n) for o, n in subjects if o < qs] + said)]
        speaker = None
        tail = text[qe : qe + 120].split("\n")[0]
        for pat in _AFTER:
            mm = pat.search(tail)
            if mm:
                speaker = _clean_speaker(mm.group("who"), before_persons)
                break
        if speaker is None:
            # look back inside the sentence that holds the opening quote
            head = text[max(holder.start, qs - 160) : qs]
            for pat in _BEFORE:
                mm = pat.search(head)
                if mm:
                    speaker = _clean_speaker(mm.group("who"), before_persons)
                    break
        if speaker is None:
            outside = holder.text.replace(text[qs:qe], " ")
            speaker = _named_person_in(outside, [n for _, n in persons])
        paragraph = text.rfind("\n", 0, qs) + 1
        if speaker is None and last is not None and last[1] and last[2] == paragraph:
            # a second quotation in the same paragraph, after '"...," X said.': still X speaking, unless the
            # text between names somebody else ("Council member Ann Jones called it ...")
            between = [n for o, n in persons if last[0] <= o < qs]
            if all(n in last[1] or last[1] in n for n in between):
                speaker = last[1]
        if speaker is not None:
            # a named person inside a longer speaker phrase ("Fire Chief Maria Okafor") is the speaker
            inside = [n for _, n in persons if n in speaker and n != speaker]
            if inside:
                speaker = max(inside, key=len)
            # prefer the full name of a person mentioned by surname ("Hegseth" -> "Pete Hegseth")
            # the latest such name before the quote, else the first after it: "Karl Henning ... 'I never
            # took a cent,' Henning said ... his wife, Petra Henning" is Karl's quote
            full = [(o, n) for o, n in persons if n != speaker and n.endswith(" " + speaker)]
            if full:
                earlier = [n for o, n in full if o < qs]
                speaker = earlier[-1] if earlier else min(full)[1]
        body = body.rstrip(",")
        if speaker:
            said.append((qs, speaker))
        last = (qe, speaker, paragraph)
        out.append(RawQuote(text=body, speaker=speaker, sentence=holder, url=article.url))
    return out


def merge_quotes(raw: list[RawQuote], limit: int = 8) -> list[Quote]:
    """Merge the same quotation carried by several outlets; keep the most specific speaker."""
    groups: list[list[RawQuote]] = []
    for q in raw:
        for g in groups:
            if fuzz.partial_ratio(q.text.lower(), g[0].text.lower()) >= 85:
                g.append(q)
                break
        else:
            groups.append([q])
    quotes = []
    for g in groups:
        speakers = [q.speaker for q in g if q.speaker]
        named = [s for s in speakers if s[:1].isupper()]
        speaker = max(named or speakers, key=lambda s: (speakers.count(s), len(s))) if speakers else None
        best = max(g, key=lambda q: len(q.text))
        cites = []
        seen = set()
        for q in g:
            key = (q.sentence.article_id, q.sentence.index)
            if key not in seen:
                seen.add(key)
                cites.append(Citation.to(q.sentence, q.url))
        quotes.append(Quote(text=best.text, speaker=speaker, citations=cites))
    quotes.sort(key=lambda q: (q.speaker is None, -len({c.outlet for c in q.citations}), _first_pos(q)))
    return quotes[:limit]


def _first_pos(q: Quote) -> int:
    return min((c.sentence_index for c in q.citations), default=0)
