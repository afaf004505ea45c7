"""Data-driven cleaning of extracted article text.

The rules live in ``rules.toml`` next to this file (see the comment at its top for the schema); this
module only knows how to apply each *kind* of rule. The file is read once per process.

Text is handled as a list of paragraphs (one per line). The passes, in order:

1. ``suffix`` rules trim widget leftovers glued to the end of a paragraph ("... Click To Tweet"), and
   ``label`` rules cut a section label that opens one ("Why it matters: ...");
2. ``cut`` rules find the first header of a reader-comment section (after enough article text) and drop
   it with everything that follows;
3. ``block`` rules drop a cross-link header ("Don't miss", "You may also like") and the headline-like
   teaser lines that follow it, stopping at the first line that reads like prose;
4. ``pullquote`` rules drop display quotes ("..." - Name) whose words are repeated in another paragraph;
5. ``line``, ``prefix``, ``caps`` and ``dateline`` rules drop single lines, each limited to the head or the
   tail of the text when the rule says so.

Lines are matched in a normalised form (outer whitespace, bullets and pipes stripped, curly quotes made
straight) but kept verbatim.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["Rule", "load_rules", "clean_lines", "clean_text", "match_key", "looks_like_prose"]

_KINDS = {"line", "prefix", "suffix", "label", "caps", "dateline", "block", "cut", "pullquote"}
_QUOTES = (
    ("\u2018", "'"),
    ("\u2019", "'"),
    ("\u201a", "'"),
    ("\u201b", "'"),
    ("\u2032", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u201e", '"'),
    ("\u00ab", '"'),
    ("\u00bb", '"'),
)
_STRAIGHT = str.maketrans(dict(_QUOTES))
_EDGE = " \t\u200b\ufeff|•·*▪►▸›»-–—"
_TERMINAL = re.compile(r"""[.!?…。！？]["')\]]*$""")

# Words that may make up a timestamp line (lower-cased); digits always count.
_DATE_WORDS = set(
    """
    jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july august september
    october november december mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday
    saturday sunday am pm a m p mst est edt cst cdt pst pdt gmt utc bst cet cest ist aest jst hkt sgt amt msk et pt ct
    updated published posted last first modified at on by the of de del da do à às um le la h hrs hr st nd rd th
    janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro
    enero febrero marzo mayo junio julio agosto septiembre octubre noviembre diciembre
    janvier février mars avril mai juin juillet août septembre octobre novembre décembre
    januar februar märz juni juli oktober dezember
    segunda terça quarta quinta sexta feira sábado domingo lunes martes miércoles jueves viernes
    lundi mardi mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag
    atualizado publicado actualizado publié mis jour aktualisiert veröffentlicht am um uhr
    """.split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_UPPER = re.compile(r"[A-Z\u00c0-\u00d6\u00d8-\u00de\u0391-\u03a9\u0410-\u042f\u0100-\u017e]", re.UNICODE)
_LOWER = re.compile(r"[a-z\u00df-\u00f6\u00f8-\u00ff\u03b1-\u03c9\u0430-\u044f]", re.UNICODE)
_CLOCK_OR_DATE = re.compile(r"\b\d{1,2}[:h.]\d{2}\b|\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b|\b\d{1,2}\s*[ap]\.?m\b")
_ANCHOR_WORDS = _DATE_WORDS - set(
    "a m p at on by the of de del da do à às um le la h hrs hr st nd rd th am um et pt ct mis".split()
)


@dataclass(frozen=True)
class Rule:
    """One cleaning rule as read from ``rules.toml``."""

    name: str
    kind: str
    where: str = "any"
    patterns: tuple[str, ...] = ()
    max_chars: int = 220
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    drop: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = field(default=None, hash=False, compare=False)

    def matches(self, key: str) -> bool:
        """Whether a single (normalised) line is removed by this rule, ignoring position."""
        if self.kind in ("line", "cut", "block"):
            return len(key) <= self.max_chars and bool(self.regex and self.regex.fullmatch(key))
        if self.kind == "prefix":
            return len(key) <= self.max_chars and bool(self.regex and self.regex.match(key))
        if self.kind == "caps":
            return _is_caps_headline(key, self.params)
        if self.kind == "dateline":
            return _is_timestamp(key, self.max_chars, float(self.params.get("min_date_ratio", 0.7)))
        return False


def match_key(line: str) -> str:
    """The normalised form of a line that rules are matched against."""
    if not line.isascii():
        line = unicodedata.normalize("NFC", line)
        for curly, straight in _QUOTES:
            if curly in line:
                line = line.replace(curly, straight)
    return " ".join(line.split()).strip(_EDGE)


def looks_like_prose(line: str) -> bool:
    """A line that reads like running text rather than a headline, label or link."""
    key = line.strip()
    if _TERMINAL.search(key):
        return True
    return len(key) > 300


def _is_caps_headline(key: str, params: dict[str, Any]) -> bool:
    if len(key) > 300 or _TERMINAL.search(key) or " | " in key:  # too long, a sentence, or a table row
        return False
    letters = len(_LETTERS.findall(key))
    if letters < 8:
        return False
    upper = len(_UPPER.findall(key))
    lower = len(_LOWER.findall(key))
    if upper + lower < 0.9 * letters:  # scripts without case (CJK, Arabic, ...) are never "all caps"
        return False
    if upper / letters < float(params.get("min_upper_ratio", 0.8)):
        return False
    words = [w for w in key.split() if _LETTERS.search(w)]
    return len(words) >= int(params.get("min_words", 3))


def _is_timestamp(key: str, max_chars: int, min_ratio: float) -> bool:
    if len(key) > max_chars or not any(c.isdigit() for c in key):
        return False
    low = key.lower()
    tokens = _TOKEN.findall(low)
    if not tokens:
        return False
    # a number-only line (a table row, a price, a score) is not a timestamp: ask for a clock time,
    # a numeric date or a month/weekday name
    if not (_CLOCK_OR_DATE.search(low) or any(tok in _ANCHOR_WORDS or "feira" in tok for tok in tokens)):
        return False
    dateish = 0
    for tok in tokens:
        if tok.isdigit() or tok in _DATE_WORDS or (tok[:-2].isdigit() and tok[-2:] in ("st", "nd", "rd", "th")):
            dateish += 1
        elif "feira" in tok:
            dateish += 1
    return dateish / len(tokens) >= min_ratio


def _compile(patterns: tuple[str, ...], case_sensitive: bool) -> re.Pattern[str] | None:
    if not patterns:
        return None
    flags = re.UNICODE if case_sensitive else re.UNICODE | re.IGNORECASE
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def _parse(data: dict[str, Any]) -> tuple[list[Rule], dict[str, Any]]:
    defaults = {"max_chars": 220, "head_lines": 3, "tail_lines": 5, **data.get("defaults", {})}
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw in data.get("rules", []):
        raw = dict(raw)
        name = raw.pop("name")
        kind = raw.pop("kind")
        if kind not in _KINDS:
            raise ValueError(f"rule {name!r}: unknown kind {kind!r}")
        if name in seen:
            raise ValueError(f"duplicate rule name {name!r}")
        seen.add(name)
        where = raw.pop("where", "any")
        if where not in ("any", "head", "tail", "edges"):
            raise ValueError(f"rule {name!r}: where must be any, head, tail or edges")
        patterns = tuple(raw.pop("patterns", ()))
        case_sensitive = bool(raw.pop("case_sensitive", False))
        max_chars = int(raw.pop("max_chars", defaults["max_chars"]))
        drop = tuple(raw.pop("drop", ()))
        keep = tuple(raw.pop("keep", ()))
        regex = _compile(patterns, case_sensitive)
        if kind == "suffix" and regex is not None:
            regex = re.compile(f"(?:{regex.pattern})$", regex.flags)
            if "tail_chars" not in raw:
                raw["tail_chars"] = 60
        if kind == "label" and regex is not None:  # a section label, then a sentence that starts with a capital
            regex = re.compile(f'^(?:{regex.pattern})\\s+(?=["“]?(?-i:[A-Z0-9]))', regex.flags)
        if kind in ("line", "prefix", "suffix", "label", "block", "cut", "pullquote") and regex is None:
            raise ValueError(f"rule {name!r}: kind {kind} needs patterns")
        rules.append(Rule(name, kind, where, patterns, max_chars, raw, drop, keep, regex))
    return rules, defaults


@lru_cache(maxsize=4)
def load_rules(path: str | None = None) -> tuple[tuple[Rule, ...], dict[str, Any]]:
    """The rules (in file order) and the ``[defaults]`` table; ``path=None`` reads the packaged file."""
    if path is None:
        text = resources.files("newsfuse.extract").joinpath("rules.toml").read_text(encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    rules, defaults = _parse(tomllib.loads(text))
    return tuple(rules), defaults


def clean_lines(
    lines: list[str], *, path: str | None = None, explain: list[tuple[str, str]] | None = None
) -> list[str]:
    """Apply the rules to a list of paragraphs; returns the kept paragraphs (stripped, non-empty).

    When ``explain`` is a list, ``(rule name, removed line)`` pairs are appended to it.
    """
    rules, defaults = load_rules(path)
    head_n, tail_n = int(defaults["head_lines"]), int(defaults["tail_lines"])
    out = [ln.strip() for ln in lines]
    out = [ln for ln in out if ln]

    def note(rule: Rule, line: str) -> None:
        if explain is not None:
            explain.append((rule.name, line))

    # 1. suffixes
    for rule in rules:
        if rule.kind != "suffix" or rule.regex is None:
            continue
        tail = int(rule.params["tail_chars"])
        trimmed = []
        for ln in out:
            m = rule.regex.search(ln, max(0, len(ln) - tail))
            if m:
                note(rule, ln)
                ln = ln[: m.start()].rstrip()
            if ln:
                trimmed.append(ln)
        out = trimmed
    # 1b. section labels that open a paragraph ("Why it matters: ..."): the label goes, the sentence stays
    for rule in rules:
        if rule.kind != "label" or rule.regex is None:
            continue
        for i, ln in enumerate(out):
            m = rule.regex.match(ln.translate(_STRAIGHT))  # one character for one: offsets hold
            if m and len(ln) - m.end() >= 20:
                note(rule, ln)
                out[i] = ln[m.end() :]
    keys = [match_key(ln) for ln in out]

    # 2. cut at a comment section
    cut_rules = [r for r in rules if r.kind == "cut"]
    if cut_rules:
        chars = 0
        for i, key in enumerate(keys):
            for rule in cut_rules:
                if chars >= int(rule.params.get("min_chars_before", 150)) and rule.matches(key):
                    for ln in out[i:]:
                        note(rule, ln)
                    out, keys = out[:i], keys[:i]
                    break
            else:
                chars += len(out[i])
                continue
            break

    # 3. teaser blocks
    block_rules = [r for r in rules if r.kind == "block"]
    if block_rules:
        kept: list[int] = []
        i = 0
        while i < len(out):
            rule = next((r for r in block_rules if r.matches(keys[i])), None)
            if rule is None:
                kept.append(i)
                i += 1
                continue
            note(rule, out[i])
            j = i + 1
            limit = int(rule.params.get("max_teasers", 12))
            max_len = int(rule.params.get("teaser_max_chars", 300))
            while j < len(out) and j - i - 1 < limit and len(out[j]) <= max_len and not looks_like_prose(keys[j]):
                note(rule, out[j])
                j += 1
            i = j
        out, keys = [out[k] for k in kept], [keys[k] for k in kept]

    # 4. pull quotes: display quotes that repeat words found in another paragraph
    quote_rules = [r for r in rules if r.kind == "pullquote" and r.regex is not None]
    if quote_rules and len(out) > 1:
        flat = [" ".join(_TOKEN.findall(k.lower())) for k in keys]
        drop_idx: set[int] = set()
        for i, key in enumerate(keys):
            for rule in quote_rules:
                m = rule.regex.fullmatch(key) if len(key) <= rule.max_chars else None
                if not m or not m.groupdict().get("quote"):
                    continue
                quote = " ".join(_TOKEN.findall(m.group("quote").lower()))
                probe = " ".join(quote.split()[:12])
                if len(probe) >= 15 and any(probe in other for j, other in enumerate(flat) if j != i):
                    note(rule, out[i])
                    drop_idx.add(i)
                    break
        if drop_idx:
            out = [ln for i, ln in enumerate(out) if i not in drop_idx]
            keys = [k for i, k in enumerate(keys) if i not in drop_idx]

    # 5. single lines
    line_rules = [r for r in rules if r.kind in ("line", "prefix", "caps", "dateline")]
    caps_lines = {r.name: {i for i, k in enumerate(keys) if r.matches(k)} for r in line_rules if r.kind == "caps"}
    n = len(out)
    longest = max((r.max_chars if r.kind != "caps" else 300 for r in line_rules), default=0)
    result = []
    for i, (ln, key) in enumerate(zip(out, keys, strict=True)):
        if len(key) > longest:
            result.append(ln)
            continue
        removed = False
        for rule in line_rules:
            if rule.where == "head" and i >= head_n:
                continue
            if rule.where == "tail" and i < n - tail_n:
                continue
            if rule.where == "edges" and head_n <= i < n - tail_n:
                continue
            if rule.kind == "caps":
                hits = caps_lines[rule.name]
                # many capitalised lines: section headings of the article, not inserted links
                if i in hits and len(hits) <= int(rule.params.get("max_per_text", 2)):
                    note(rule, ln)
                    removed = True
                    break
                continue
            if rule.matches(key):
                note(rule, ln)
                removed = True
                break
        if not removed:
            result.append(ln)
    return result


def clean_text(text: str, *, path: str | None = None, explain: list[tuple[str, str]] | None = None) -> str:
    """Clean an extracted article text with the rules of ``rules.toml``.

    Returns paragraphs joined by single newlines, without empty lines. ``explain`` works as in
    :func:`clean_lines`.
    """
    return "\n".join(clean_lines(text.splitlines(), path=path, explain=explain))
