"""Sentence segmentation for news text.

``split_sentences(article)`` returns :class:`~newsfuse.model.Sentence` objects whose
``start``/``end`` are character offsets into ``article.text`` (``text[start:end]`` is the
sentence, stripped of surrounding whitespace). Segmentation is rule based (pysbd, which
knows abbreviations such as "U.S.", "Dr.", "Jan." and initials), run paragraph by
paragraph, followed by news-specific repairs:

* a line without final punctuation (a subhead, a dateline on its own line) is its own sentence;
* a piece that starts with a lower-case letter or a closing quote (also 」 』 ）) is glued back to
  the one before (a split inside a quotation or after an abbreviation the rules did not know);
* a piece that is only a dateline ("OSLO (Reuters) -") is glued to the sentence that follows, and so
  is a piece that starts with a dash after a dateline the rules split at its state abbreviation
  ("DOVER, Del." + "— The county board ...");
* a piece that starts with a comma, semicolon or colon is glued back ("Senator Ann Moyer, R-Ky." +
  ", blocked ...");
* a quotation that ends a sentence and another that opens the next (``... "a tax on commuters."
  "Nobody voted ...``), which the rules keep together, are split. A list of short quoted items
  (``the words "Stop." "Go." and ...``) is split there too; that is rare in news prose.

Curly double quotes (“ ”) are read as straight ones by the rules (same offsets), so a quotation opened
with one kind and closed with the other does not hide the sentence ends after it.

pysbd was chosen over spaCy's statistical ``senter`` after comparing both on news-style text
(see ``docs/brief-schema.md``): it is deterministic, needs no model and handles abbreviations.
"""

from __future__ import annotations

import re
from functools import lru_cache

from newsfuse.conventions import MONTHS, WEEKDAYS
from newsfuse.model import Article, Sentence

__all__ = ["split_sentences", "sentence_spans"]

_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{1,40}(\([A-Za-z .&]+\))?\s*[-—–:]\s*$")
_CLOSERS = "\"”’')]"
_ABBREV_END = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Capt|Sgt|St|Jr|Sr|Inc|Corp|Co|Ltd|No|Jan|Feb|Mar|Apr|"
    r"Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mt|Ft|Rev|Hon|vs|v)\.|\b[A-Z]\.)$"
)


@lru_cache(maxsize=1)
def _segmenter():  # noqa: ANN202
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


_QUOTE_MAP = str.maketrans({"“": '"', "”": '"'})
# a sentence-final quotation followed by another that opens the next sentence
_QUOTE_BOUNDARY = re.compile(r"(?<=[.!?][\"”])\s+(?=[\"“][A-Z0-9])")
# Chinese and Japanese sentence ends, which need no space after them: the rules miss the one after a
# closing quotation mark followed at once by the next sentence (“……一步。”市民……), except before a
# Japanese quotative particle (「……。」と述べた) or a short Chinese attribution (“……。”他说。); the
# checker's splitter (check/retrieve.py) uses it too
CJK_END = re.compile(
    r"(?<=[。！？][”」』])(?=[^\s”」』，、。！？とっ])(?![^。！？\s]{0,6}?(?:说|說|表示|称|稱|指出|写道|寫道)[。，,：:])"
)


def _segment(text: str, start: int, end: int) -> list[tuple[int, int]]:
    block = text[start:end].translate(_QUOTE_MAP)  # one character for one: offsets stay the same
    try:
        pieces = _segmenter().segment(block)
    except Exception:  # noqa: BLE001 - pysbd can fail on odd input; fall back to a regex split
        pieces = re.split(r"(?<=[.!?][\"”’)]?)\s+(?=[\"“‘(]?[A-Z0-9])", block)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        pos = block.find(piece, cursor)
        if pos < 0:  # the segmenter altered the text: give up on exact mapping for the rest
            rest = block[cursor:].strip()
            if rest:
                pos = block.find(rest, cursor)
                spans.append((start + pos, start + pos + len(rest)))
            break
        spans.append((start + pos, start + pos + len(piece)))
        cursor = pos + len(piece)
    if cursor < len(block) and block[cursor:].strip() and spans and spans[-1][1] - start < len(block.rstrip()):
        tail = block[cursor:].strip()
        pos = block.find(tail, cursor)
        spans.append((start + pos, start + pos + len(tail)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        cut = s
        for m in sorted(
            [*_QUOTE_BOUNDARY.finditer(text, s, e), *CJK_END.finditer(text, s, e)], key=lambda m: m.start()
        ):
            if m.start() > cut:
                out.append((cut, m.start()))
            cut = m.end()
        out.append((cut, e))
    return out


# a dateline the rules cut after its state abbreviation: "DOVER, Del." / "WEST HAVEN, Conn."
_SPLIT_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]{1,40},\s+[A-Z][A-Za-z.]{1,6}\.$")

# a clock time whose "a.m."/"p.m." the rules took for a sentence end, and what goes on the time: a day, a
# date or a time zone ("at 12:04 a.m." + "Friday near the club.", "at 8 p.m." + "ET on Tuesday."). What
# only looks like one starts a sentence: "Friday's game ...", "June 2020 was ...", "CT scans ...".
_CLOCK_END = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s*[ap]\.\s?m\.$", re.I)
_WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
_MONTH = "(?:" + "|".join(MONTHS) + "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)"
_ON_THE_CLOCK = re.compile(
    rf"(?:{_WEEKDAY}\b(?!['’]s)|"
    rf"{_MONTH}\.?\s+\d{{1,2}}(?!\d)|"  # a day of a month: not "May" the name, not a year
    # a zone code, then the end of the sentence, a mark or a word that goes on with the time
    r"(?:[ECMP][SD]?T|GMT|BST|UTC|CET)(?=\s*(?:$|[,;:.!?)\]—–-]|(?:on|in|at|to|and|or|until|through|when|with|from|"
    rf"for|by|this|tonight|today|tomorrow|{_WEEKDAY})\b))|"
    r"(?:Eastern|Central|Mountain|Pacific)\s+(?:[Ss]tandard\s+|[Dd]aylight\s+)?[Tt]ime\b)"
)


def _repair(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in spans:
        piece = text[s:e]
        if out:
            ps, pe = out[-1]
            prev = text[ps:pe]
            same_par = "\n" not in text[pe:s]
            glue = False
            if same_par:
                first = piece.lstrip(_CLOSERS + " ")[:1]
                dangling = piece[:1] in _CLOSERS and (len(piece) == 1 or piece[1] in " ,.;:!?")
                if dangling or piece[:1] in "”’)]」』）" or (first and first.islower()):
                    glue = True
                elif _ABBREV_END.search(prev) and first and not first.isupper():
                    glue = True
                elif _CLOCK_END.search(prev) and _ON_THE_CLOCK.match(piece):
                    glue = True
                elif len(piece) <= 3 and not piece[:1].isalnum():
                    glue = True
                elif piece[:1] in ",;:" or (piece[:1] in "—–-" and _SPLIT_DATELINE.match(prev)):
                    glue = True
            if _DATELINE.match(prev):
                glue = True
            if glue:
                out[-1] = (ps, e)
                continue
        out.append((s, e))
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace-trimmed, in order)."""
    spans: list[tuple[int, int]] = []
    for ps, pe in _paragraph_spans(text):
        spans.extend(_segment(text, ps, pe))
    return _repair(text, spans)


def split_sentences(article: Article) -> list[Sentence]:
    """Split an article's text into sentences that keep their offsets into ``article.text``."""
    text = article.text or ""
    return [
        Sentence(article_id=article.id, outlet=article.outlet, index=i, text=text[s:e], start=s, end=e)
        for i, (s, e) in enumerate(sentence_spans(text))
    ]
