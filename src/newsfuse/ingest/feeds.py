"""Feeds -> raw documents: RSS 0.9x/1.0/2.0 and Atom (feedparser) and JSON Feed 1.x.

Feed bytes are always fetched or read by us and handed to the parser, so size limits and network
policy stay in one place. Documents that declare XML entities are refused outright (the
"billion laughs" entity bomb and external-entity tricks need them; real feeds do not). The check
reads the prolog with expat, so it also sees declarations in UTF-16 documents or behind long
comments, and falls back to a byte scan where expat cannot read the document.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

from ..model import RawDocument
from .base import Skipped

__all__ = ["looks_like_feed", "parse_feed", "feed_entries", "declares_entities", "FeedInfo", "feed_info"]

_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)
_FEED_ROOT = re.compile(r"<(rss|feed|rdf:RDF|channel)[\s>]", re.IGNORECASE)


def _head_text(data: bytes, limit: int) -> str:
    """The first ``limit`` bytes as text, decoding UTF-16/32 (BOM or ``<?`` pattern); else Latin-1."""
    head = data[:limit]
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, "ignore")
    if head.startswith(b"<\x00") and not head.startswith(b"<\x00\x00"):
        return head.decode("utf-16-le", "ignore")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", "ignore")
    return head.decode("latin-1")


class _EntityDeclared(Exception):
    pass


class _RootReached(Exception):
    pass


def declares_entities(data: bytes) -> bool:
    """True when an XML document declares entities (in its DTD) before its root element."""
    import pyexpat

    parser = pyexpat.ParserCreate()

    def on_entity(*_args: object) -> None:
        raise _EntityDeclared

    def on_start(*_args: object) -> None:
        raise _RootReached

    parser.EntityDeclHandler = on_entity
    parser.UnparsedEntityDeclHandler = on_entity
    parser.StartElementHandler = on_start
    try:
        parser.Parse(data, True)
    except _EntityDeclared:
        return True
    except _RootReached:
        return False
    except Exception:  # noqa: BLE001 - expat cannot read it (broken or exotic encoding): scan the text
        return bool(_ENTITY_DECL.search(_head_text(data, len(data))))
    return False


def _is_json_feed(data: bytes) -> bool:
    head = data[:4096].lstrip()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :].lstrip()
    return head.startswith(b"{") and b"jsonfeed.org" in head


def looks_like_feed(data: bytes) -> bool:
    return _is_json_feed(data) or bool(_FEED_ROOT.search(_head_text(data, 8192)))


class FeedInfo(dict):
    """``title`` and ``link`` of a feed (a plain dict with attribute names documented)."""


def feed_info(data: bytes) -> FeedInfo:
    if _is_json_feed(data):
        try:
            obj = json.loads(data)
        except ValueError:
            return FeedInfo()
        if not isinstance(obj, dict):
            return FeedInfo()
        return FeedInfo(title=obj.get("title"), link=obj.get("home_page_url"))
    if declares_entities(data):
        return FeedInfo()
    import feedparser

    parsed = feedparser.parse(data)
    return FeedInfo(title=parsed.feed.get("title"), link=parsed.feed.get("link"))


def _entry_fields(entry: Any, source: str | None) -> dict[str, Any]:
    content = ""
    if entry.get("content"):
        content = max((c.get("value", "") for c in entry["content"]), key=len)
    summary = entry.get("summary", "") or ""
    body = content if len(content) >= len(summary) else summary
    fields: dict[str, Any] = {
        "title": entry.get("title"),
        "url": entry.get("link"),
        "source": source,
        "published": entry.get("published") or entry.get("updated"),
        "author": entry.get("author"),
        "html": body,
    }
    if entry.get("id"):
        fields["guid"] = entry.get("id")
    return {k: v for k, v in fields.items() if v}


def _iter_json_feed(data: bytes, location: str, keep_empty: bool = False) -> Iterator[RawDocument | Skipped]:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep to parse
        yield Skipped(location, f"invalid JSON feed: {str(exc)[:200]}")
        return
    if not isinstance(obj, dict):
        yield Skipped(location, "invalid JSON feed: not an object")
        return
    source = _string(obj.get("title"))
    items = obj.get("items") or []
    if not isinstance(items, list):
        yield Skipped(location, "invalid JSON feed: 'items' is not a list")
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            yield Skipped(f"{location}#{i}", "JSON feed item is not an object")
            continue
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        if not isinstance(authors, list):
            authors = [authors]
        names = [_string(a.get("name")) for a in authors if isinstance(a, dict)]
        fields = {
            "title": _string(item.get("title")),
            "url": _string(item.get("url")) or _string(item.get("external_url")),
            "source": source,
            "published": _string(item.get("date_published")) or _string(item.get("date_modified")),
            "author": ", ".join(n for n in names if n) or None,
        }
        # a field of the wrong type (a number, a list) counts as absent
        if _string(item.get("content_html")):
            fields["html"] = item["content_html"]
        elif _string(item.get("content_text")):
            fields["text"] = item["content_text"]
        elif _string(item.get("summary")):
            fields["text"] = item["summary"]
        fields = {k: v for k, v in fields.items() if v}
        url = fields.get("url")
        where = f"{location}#{url if isinstance(url, str) else i}"
        if not (fields.get("html") or fields.get("text")) and not keep_empty:
            yield Skipped(where, "feed item has no content")
            continue
        if not isinstance(url, str):
            fields.pop("url", None)
            url = None
        yield RawDocument(kind="record", location=where, url=url, fields=fields)


def _string(value: object) -> str | None:
    """A JSON feed's string field, or None when it is missing or of another type."""
    return value if isinstance(value, str) and value.strip() else None


def feed_entries(
    data: bytes, location: str, base_url: str | None = None, keep_empty: bool = True
) -> Iterator[RawDocument | Skipped]:
    """Every entry of a feed as a ``record`` document, including entries that only carry a link.

    ``base_url`` (the URL the feed was fetched from) resolves relative entry links. With
    ``keep_empty=False`` entries without content become ``Skipped`` (that is ``parse_feed``).
    """
    if _is_json_feed(data):
        yield from _iter_json_feed(data, location, keep_empty=keep_empty)
        return
    if declares_entities(data):
        yield Skipped(location, "feed declares XML entities (possible entity bomb); refused")
        return
    import feedparser

    headers = {"content-location": base_url} if base_url else None
    parsed = feedparser.parse(data, response_headers=headers)
    if not parsed.entries:
        why = str(parsed.get("bozo_exception") or "no entries")
        yield Skipped(location, f"feed has no usable entries ({why[:120]})")
        return
    source = parsed.feed.get("title")
    for i, entry in enumerate(parsed.entries):
        try:
            fields = _entry_fields(entry, source)
        except Exception as exc:  # noqa: BLE001 - one malformed entry must not cost the feed's others
            yield Skipped(f"{location}#{i}", f"malformed feed entry: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        where = f"{location}#{fields.get('url') or i}"
        if not fields.get("html") and not keep_empty:
            yield Skipped(where, "feed entry has no content (only a link)")
            continue
        yield RawDocument(kind="record", location=where, url=fields.get("url"), fields=fields)


def parse_feed(data: bytes, location: str) -> Iterator[RawDocument | Skipped]:
    """One ``RawDocument`` (kind ``record``) per feed entry that carries content."""
    yield from feed_entries(data, location, keep_empty=False)
