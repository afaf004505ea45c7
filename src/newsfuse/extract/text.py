"""Plain-text articles: headline detection, derived titles, paragraph layout.

A plain-text news file may or may not start with its headline. The first non-empty line is taken as the
headline when it is short (at most ``MAX_HEADLINE_CHARS``), has at least two words, does not end the way
a sentence or a list lead-in does (``.``, ``,``, ``;``, ``:``), is not a bullet, and more text follows.
Otherwise the text is titleless and a title is derived from its first sentence, cut at a word boundary
to about ``DERIVED_TITLE_CHARS`` characters.
"""

from __future__ import annotations

import re

from newsfuse.conventions import dateline

__all__ = [
    "split_headline",
    "derive_title",
    "drop_full_stop",
    "is_cut_lead",
    "repeats_lead",
    "first_sentence",
    "paragraphs",
    "unwrap",
    "looks_like_article",
    "prose_share",
]

MAX_HEADLINE_CHARS = 140
DERIVED_TITLE_CHARS = 100

_CLOSERS = "\"'”’»)]"
_SENTENCE_END = re.compile(r"""[.!?…。！？]["'”’»)\]]*(?=\s|$)""")
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "sen", "rep", "gov", "gen", "lt", "col", "sgt", "capt", "cmdr", "adm",
    "jr", "sr", "inc", "corp", "co", "ltd", "no", "vs", "etc", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ft", "mt", "ave", "blvd",
}  # fmt: skip
_BULLET = re.compile(r"^\s*([-*•▪►–—]|\d+[.)])\s+")
_TERMINAL_LINE = re.compile(r"""[.!?…。！？]["'”’»)\]]*$""")


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` is the hard-wrapped continuation of ``previous``."""
    return (
        len(previous) >= 30  # wrapped text fills its lines; a short line is a label of its own
        and line[:1].islower()
        and not line[1:2].isupper()  # "iPhone", "eBay" start a new line as often as not
        and not _TERMINAL_LINE.search(previous)
        and not _BULLET.match(line)
        and (previous[-1:].isalnum() or previous[-1:] in ",;-–—")
    )


def paragraphs(text: str, *, join_wrapped: bool = True) -> list[str]:
    """Non-empty, stripped paragraphs with inner whitespace collapsed; hard-wrapped lines (see
    :func:`unwrap`) are joined unless a blank line separates them or ``join_wrapped`` is false."""
    out: list[str] = []
    blank = True
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(line.split())
        if not line:
            blank = True
            continue
        if join_wrapped and out and not blank and _continues(out[-1], line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        blank = False
    return out


def _is_headline(line: str) -> bool:
    if len(line) > MAX_HEADLINE_CHARS or len(line.split()) < 2:
        return False
    if _BULLET.match(line):
        return False
    if line.rstrip(_CLOSERS).endswith((".", ",", ";", ":", "…")):
        return False
    return any(c.isalpha() for c in line)


def split_headline(text: str) -> tuple[str | None, list[str]]:
    """``(headline or None, body paragraphs)`` of a plain text."""
    lines = paragraphs(text)
    if len(lines) >= 2 and _is_headline(lines[0]):
        return lines[0], lines[1:]
    return None, lines


def _word_before(text: str) -> str:
    """The last word of ``text``, lower-cased, without opening quotes or brackets (the word a full stop follows)."""
    words = text.split()
    return words[-1].lstrip(_CLOSERS + "(“‘\"'").lower() if words else ""


def first_sentence(paragraph: str) -> str:
    """The first sentence of a paragraph (a period after a known abbreviation or an initial does not end it)."""
    for m in _SENTENCE_END.finditer(paragraph):
        end = m.end()
        word = _word_before(paragraph[: m.start()])
        if paragraph[m.start()] == "." and (word in _ABBREV or (len(word) == 1 and word.isalpha())):
            continue
        rest = paragraph[end:].lstrip()
        if rest and not (rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"“‘'(«"):
            continue
        return paragraph[:end].strip()
    return paragraph.strip()


def _without_dateline(paragraph: str) -> str:
    m = dateline(paragraph)
    return paragraph[m.end() :] if m and paragraph[m.end() :].strip() else paragraph


def derive_title(paragraph: str, limit: int = DERIVED_TITLE_CHARS) -> str:
    """A headline-like title from the opening of a titleless text, without its dateline ("LAKESIDE — Staff
    at the hospital are ..." gives "Staff at the hospital are ...")."""
    sentence = first_sentence(_without_dateline(paragraph))
    if len(sentence) > limit:
        cut = sentence[: limit + 1]
        cut = cut[: cut.rfind(" ")] if " " in cut[limit // 2 :] else cut[:limit]
        return cut.rstrip(" ,;:-–—") + "…"
    return drop_full_stop(sentence)


def drop_full_stop(sentence: str) -> str:
    """``sentence`` without the full stop that ends it, as a headline is written; the stop of an abbreviation
    ("U.S.", "Inc.", "p.m.", "Gen. J. R.") and an ellipsis stay ("Voters said no." and "Plan B." lose theirs)."""
    text = sentence.rstrip()
    if not text.endswith(".") or text.endswith(".."):
        return text
    words = text[:-1].split()
    word = _word_before(text[:-1])
    if (word != "no" and word in _ABBREV) or re.search(r"[a-z]\.[a-z]$", word):  # "No." stands before a number
        return text
    if len(word) == 1 and word.isalpha() and len(words) > 1 and re.fullmatch(r"[A-Z]\.", words[-2]):  # "J. R."
        return text
    return text[:-1]


def repeats_lead(title: str, text: str) -> bool:
    """Whether ``title`` is the text's own opening rather than a headline of its own: its first words, with
    or without the dateline and the full stop, or cut off with "…" (:func:`is_cut_lead`); so a title derived
    from the first sentence is not read as one more sentence of the text."""
    title = " ".join((title or "").split())
    if not title:
        return True
    if is_cut_lead(title, text):
        return True
    opening = " ".join((text or "")[: 2 * len(title) + 80].split())
    return any(o.startswith(drop_full_stop(title)) for o in (opening, _without_dateline(opening)))


def is_cut_lead(title: str, text: str) -> bool:
    """Whether ``title`` is the opening of ``text`` cut off with an ellipsis, as :func:`derive_title`
    makes it for a long first sentence: a fragment of the text, not a headline of its own.

    A real headline that ends in "…" and repeats the text's opening words (with or without its dateline)
    counts as cut too; the words are compared as written, so a title cut inside a word still matches."""
    title = (title or "").strip()
    if not title.endswith("…"):
        return False
    head = " ".join(title[:-1].split())
    opening = " ".join((text or "")[: 2 * len(title) + 80].split())
    return bool(head) and (opening.startswith(head) or _without_dateline(opening).startswith(head))


def unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines: a line that does not finish a sentence, followed by one that starts in
    lower case, continues the same paragraph."""
    out: list[str] = []
    for line in lines:
        if out and _continues(out[-1], line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def prose_share(lines: list[str]) -> float:
    """Share of characters in prose paragraphs: long ones (100+ characters) or finished sentences of 40+.

    Table rows (``| a | b |`` as trafilatura writes them) are data, neither prose nor navigation: they are
    left out of the count.
    """
    lines = [ln for ln in lines if not (ln.startswith("|") and ln.count(" | ") >= 2)]
    total = sum(len(ln) for ln in lines)
    if total == 0:
        return 0.0
    prose = sum(len(ln) for ln in lines if len(ln) >= 100 or (len(ln) >= 40 and _TERMINAL_LINE.search(ln)))
    return prose / total


def looks_like_article(lines: list[str], min_prose_share: float = 0.2) -> bool:
    """Whether the paragraphs read like running text rather than a list of links or labels
    (at least ``min_prose_share`` of the characters in prose paragraphs, see :func:`prose_share`)."""
    return prose_share(unwrap(lines)) >= min_prose_share
