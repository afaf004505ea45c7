"""Local sources: HTML files, plain text, JSON Lines, feed files and folders of them."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings
from ..extract.article import record_body_keys
from ..extract.encoding import decode_payload, detect_encoding, sniff_binary
from ..model import RawDocument
from .base import Skipped
from .feeds import looks_like_feed, parse_feed

__all__ = ["iter_path", "outlet_from_filename", "HTML_SUFFIXES", "TEXT_SUFFIXES", "JSONL_SUFFIXES", "FEED_SUFFIXES"]

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json"}
KNOWN = HTML_SUFFIXES | TEXT_SUFFIXES | JSONL_SUFFIXES | FEED_SUFFIXES

_OUTLET_RE = re.compile(r"^(?P<outlet>[a-z0-9][a-z0-9-]*)__")


def outlet_from_filename(path: Path) -> str | None:
    """``harbor-ledger__fire.txt`` -> ``Harbor Ledger`` (the convention for text files)."""
    m = _OUTLET_RE.match(path.name.lower())
    if not m:
        return None
    return " ".join(w.capitalize() for w in m.group("outlet").split("-") if w)


def _read(path: Path, settings: Settings) -> bytes | Skipped:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return Skipped(str(path), f"cannot read file: {exc.strerror or exc}")
    if size == 0:
        return Skipped(str(path), "empty file")
    if size > settings.max_bytes:
        return Skipped(str(path), f"file too large ({size:,} bytes > limit {settings.max_bytes:,})")
    try:
        return path.read_bytes()
    except OSError as exc:
        return Skipped(str(path), f"cannot read file: {exc.strerror or exc}")


def _iter_jsonl(path: Path, data: bytes) -> Iterator[RawDocument | Skipped]:
    for lineno, line in enumerate(_jsonl_lines(data), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"invalid JSON line: {exc.msg} at column {exc.colno}")
            continue
        except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, nesting too deep
            yield Skipped(where, f"invalid JSON line: {str(exc)[:200]}")
            continue
        if not isinstance(record, dict):
            yield Skipped(where, "JSON line is not an object")
            continue
        if not any(record.get(key) for key in record_body_keys()):
            yield Skipped(where, f"JSON line has no article body (none of {', '.join(record_body_keys())})")
            continue
        url = record.get("url")
        yield RawDocument(kind="record", location=where, url=url if isinstance(url, str) else None, fields=record)


def _jsonl_lines(data: bytes) -> list[str]:
    """The lines of a JSON Lines file as text. JSON Lines should be UTF-8, but files saved by other tools
    carry a byte-order mark, a legacy code page, or a few lines pasted from one: each line is read as
    UTF-8 when it is, and the others in the encoding the charset detector finds for all of them together
    (one bad line must not turn the good lines' accents into mojibake, nor its own into U+FFFD)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_payload(data).splitlines()
    raw = data.splitlines()
    out: list[str | None] = []
    bad: list[int] = []
    for i, line in enumerate(raw):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
            bad.append(i)
    if bad:
        encoding = detect_encoding(b"\n".join(raw[i] for i in bad))
        for i in bad:
            out[i] = raw[i].decode(encoding, errors="replace")
    return [x or "" for x in out]


def iter_path(path: Path, settings: Settings) -> Iterator[RawDocument | Skipped]:
    try:
        exists = path.exists()
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        yield Skipped(str(path)[:200], f"not a usable path: {exc.strerror if isinstance(exc, OSError) else exc}")
        return
    if not exists:
        yield Skipped(str(path), "no such file or folder")
        return
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.parts))
        for p in files:
            if p.suffix.lower() in KNOWN and p.name not in {"expected.json", "package.json"}:
                yield from _iter_file(p, settings, from_folder=True)
        return
    yield from _iter_file(path, settings, from_folder=False)


def _iter_file(path: Path, settings: Settings, from_folder: bool) -> Iterator[RawDocument | Skipped]:
    suffix = path.suffix.lower()
    if suffix not in KNOWN and not from_folder:
        # Unknown suffix given explicitly: sniff it below as HTML or text.
        pass
    data = _read(path, settings)
    if isinstance(data, Skipped):
        yield data
        return
    fields: dict[str, object] = {}
    outlet = outlet_from_filename(path)
    if outlet:
        fields["source"] = outlet
    if suffix in JSONL_SUFFIXES:
        yield from _iter_jsonl(path, data)
    elif suffix in FEED_SUFFIXES:
        if looks_like_feed(data):
            yield from parse_feed(data, str(path))
        elif from_folder:
            return  # a stray .json/.xml in a folder that is not a feed: not ours to ingest
        else:
            yield Skipped(str(path), "not an RSS, Atom or JSON feed")
    elif suffix in TEXT_SUFFIXES:
        yield RawDocument(kind="text", location=str(path), payload=data, fields=fields)
    else:
        kind = _sniff_kind(data, suffix in HTML_SUFFIXES)
        if suffix not in HTML_SUFFIXES and kind == "text" and sniff_binary(data):
            yield Skipped(str(path), "binary file (not HTML or text)")
            return
        yield RawDocument(kind=kind, location=str(path), payload=data, content_type="text/html", fields=fields)


# a document (not a fragment) announces itself; a fragment is recognised by its block-level tags
_DOC_MARKERS = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)
_FRAGMENT_TAGS = re.compile(
    r"</?(?:p|br|div|article|section|main|header|footer|h[1-6]|ul|ol|li|table|tr|td|span|a|em|strong|b|i|"
    r"blockquote|figure|img)\b[^<>]*>",
    re.IGNORECASE,
)


def _sniff_kind(data: bytes, html_suffix: bool) -> str:
    """Whether a local file is "html" or "text". The head is decoded first (UTF-16 files put a NUL in every other byte) and read
    up to 64 KB in (a page may open with a long comment). A file named .html is HTML when it holds any
    common tag (a paragraph, a break, emphasis, ...), so a bare fragment such as ``<article><p>...</p></article>`` is extracted, not stored
    with its tags; any other file needs a document marker."""
    head = decode_payload(data[:65536], html=True)
    if _DOC_MARKERS.search(head):
        return "html"
    if html_suffix and _FRAGMENT_TAGS.search(head):
        return "html"
    return "text"
