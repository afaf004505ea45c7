"""News-writing conventions that several stages read: honorifics before names, datelines, the names of
days and months.

One definition of each, so the quotes' speakers, the entities and the synthesis' dateline cut agree on what
a title and a dateline are, the sentence splitter and the figures on what a day or a month is, and a
titleless article's derived title knows a dateline when it sees one (it leaves out any dateline; the
synthesis cuts one only when at least five words follow it and the checker agrees). (Other stages keep lists of
their own: the extraction rules, the clustering's dates and the checker's features and perturbations, each
with its own needs.)
"""

from __future__ import annotations

import re

__all__ = ["HONORIFICS", "DATELINE", "WEEKDAYS", "MONTHS", "strip_honorifics", "dateline"]

WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS: tuple[str, ...] = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip

# Courtesy titles, ranks and offices written before a person's name, abbreviated ("Dr.", "Sen.", "Lt.") or,
# for the first four, also without a stop in British style ("Mr Osei").
HONORIFICS: tuple[str, ...] = (
    "Mr", "Mrs", "Ms", "Dr", "Miss", "Mx", "Prof", "Rev", "Hon", "Sen", "Rep", "Gov", "Pres", "Gen", "Lt", "Col",
    "Capt", "Sgt", "Maj", "Adm", "Cmdr", "Supt", "Atty", "Insp", "Det",
)  # fmt: skip
_NO_STOP = ("Mr", "Mrs", "Ms", "Dr")
_LEADING = re.compile(r"^(?:(?:" + "|".join(HONORIFICS) + r")\.\s*|(?:" + "|".join(_NO_STOP) + r")\s+)+(?=[A-Z])")

# A dateline opens a story's first paragraph: "WASHINGTON (AP) — ", "PORT HALVARD, Fla. - ",
# "LONDON, Jan 5 (Reuters) - ", "TOLLERBY, Westmarch (Continental Press) — ". The place is one to five
# words of capitals, the first of two or more ("U.S. - China talks" is not a dateline); a region (state,
# country) of up to three words, a date and the agency in brackets may follow; then a dash and the text.
_MONTH = r"(?:" + "|".join(m[:3] for m in MONTHS) + r")[a-z]*\.?"  # "Jan", "Jan.", "January", "Sept."
DATELINE = re.compile(
    r"^(?P<place>[A-Z]{2,}[A-Z.'’-]*(?:[ \t]+[A-Z]{2,}[A-Z.'’-]*){0,4})"
    r"(?:,[ \t]*(?P<region>[A-Z][A-Za-z.'’]*(?:[ \t]+[A-Z][A-Za-z.'’]*){0,2}))?"
    rf"(?:,?[ \t]*(?P<date>{_MONTH}[ \t]+\d{{1,2}}))?"
    r"[ \t]*(?:\((?P<agency>[^()\n]{1,40})\))?[ \t]*[-—–]{1,2}[ \t]*(?=[\"“A-Z0-9])",
    re.M,
)


def strip_honorifics(name: str) -> str:
    """``name`` without the titles before it: "Dr. Miriam Osterhout" -> "Miriam Osterhout"."""
    return _LEADING.sub("", name)


def dateline(text: str) -> re.Match[str] | None:
    """The dateline that opens ``text`` (groups ``place``, ``region``, ``date``, ``agency``), or None."""
    return DATELINE.match(text)
