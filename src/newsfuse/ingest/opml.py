"""OPML feed lists: read (1.0 and 2.0) and write (2.0).

Reading uses ``xml.etree`` after refusing any document that declares XML entities (the same expat
check as for feeds), so an entity bomb in a feed list is never expanded. Outlines are read at any
depth; those with an ``xmlUrl`` are feeds, the text of enclosing outlines becomes their category.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from .feeds import declares_entities

__all__ = ["OpmlFeed", "OpmlError", "parse_opml", "to_opml"]


class OpmlError(ValueError):
    """The file is not an OPML feed list newsfuse can read."""


@dataclass
class OpmlFeed:
    url: str
    title: str | None = None
    html_url: str | None = None
    category: str | None = None


def _attr(el: ET.Element, name: str) -> str | None:
    """An attribute by name, case-insensitively (``xmlUrl`` is spelt ``xmlurl`` in the wild)."""
    low = name.lower()
    for key, value in el.attrib.items():
        if key.lower() == low and value.strip():
            return value.strip()
    return None


def parse_opml(data: bytes) -> tuple[list[OpmlFeed], list[tuple[str, str]]]:
    """Feeds in an OPML document, and (outline, reason) for outlines that were left out.

    Raises ``OpmlError`` for a document that is not OPML, is not well-formed, or declares entities.
    """
    if not data.strip():
        raise OpmlError("empty file")
    if declares_entities(data):
        raise OpmlError("the document declares XML entities (possible entity bomb); refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"not an OPML document (root element <{root.tag}>)")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise OpmlError("OPML document has no <body>")
    feeds: list[OpmlFeed] = []
    left_out: list[tuple[str, str]] = []
    seen: set[str] = set()

    # depth first, in document order, with a stack of its own: outlines nested thousands deep must not
    # exhaust Python's recursion limit
    stack: list[tuple[Iterator[ET.Element], str | None]] = [(iter(body), None)]
    while stack:
        children, category = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if child.tag.lower() != "outline":
            continue
        label = _attr(child, "title") or _attr(child, "text")
        url = _attr(child, "xmlUrl")
        if url:
            if not url.lower().startswith(("http://", "https://")):
                left_out.append((url, "not an http(s) URL"))
            elif url in seen:
                left_out.append((url, "listed twice"))
            else:
                seen.add(url)
                feeds.append(OpmlFeed(url=url, title=label, html_url=_attr(child, "htmlUrl"), category=category))
        stack.append((iter(child), label if not url else category))
    return feeds, left_out


def to_opml(feeds: Iterable[object], title: str = "newsfuse feeds") -> bytes:
    """An OPML 2.0 document listing ``feeds`` (objects with ``url`` and ``title``, e.g. ``FeedRecord``)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    ET.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    for feed in feeds:
        url = str(getattr(feed, "url"))  # noqa: B009 - any object with a url attribute
        label = getattr(feed, "title", None) or url
        attrs = {"type": "rss", "text": label, "title": label, "xmlUrl": url}
        html_url = getattr(feed, "html_url", None)
        if html_url:
            attrs["htmlUrl"] = html_url
        ET.SubElement(body, "outline", attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
