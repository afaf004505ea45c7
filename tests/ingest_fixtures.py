"""Invented news items and the feeds/pages that carry them, for the network-ingest tests.

The stories are written for these tests (no real outlet's text). Each builder returns bytes in one
feed format, so the same items can be served as RSS 0.91, RSS 1.0 (RDF), RSS 2.0, Atom or JSON Feed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from html import escape

import numpy as np


@dataclass(frozen=True)
class Item:
    slug: str
    title: str
    author: str
    published: str  # RFC 3339
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def html(self) -> str:
        return "".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)

    @property
    def summary(self) -> str:
        return self.paragraphs[0][:160]


ITEMS: tuple[Item, ...] = (
    Item(
        slug="ferry-strike",
        title="Ferry crews walk out over night-shift rota",
        author="Mara Lind",
        published="2024-03-04T07:30:00Z",
        paragraphs=(
            "Crews on the three harbour ferry routes stopped work at dawn on Monday after talks over a new "
            "night-shift rota broke down late on Sunday, leaving commuters to queue for replacement buses.",
            "The crew union said the rota would add two overnight shifts a month without extra rest days. "
            "The operator said the change was needed to keep the late services running through the summer "
            "and that it had offered a one-off payment to every crew member who signed up.",
            "Replacement buses ran every fifteen minutes from the north quay, but the journey took almost an "
            "hour in morning traffic. The city transport office said it expected the walkout to last at least "
            "until Wednesday, when both sides are due back at the table with a mediator.",
        ),
    ),
    Item(
        slug="library-roof",
        title="Central library closes wing after roof leak",
        author="Tomas Wren",
        published="2024-03-05T12:00:00Z",
        paragraphs=(
            "The central library has closed its east wing after heavy rain on Tuesday forced water through "
            "the roof above the reading room, soaking part of the local history collection.",
            "Staff moved more than four hundred boxes of papers to the basement stores overnight. The head "
            "librarian said most of the damaged material had copies, but a set of parish maps from the last "
            "century would need to be dried page by page by a specialist team.",
            "The council said engineers would inspect the roof this week and that the wing could stay shut "
            "for a month. Lending, the children's floor and the cafe remain open as usual, and the evening "
            "talks planned for the reading room will move to the hall on the ground floor.",
        ),
    ),
    Item(
        slug="orchard-frost",
        title="Late frost threatens valley apple harvest",
        author="Ines Okafor",
        published="2024-04-11T06:15:00Z",
        paragraphs=(
            "Growers in the river valley spent the night lighting burners between the rows after temperatures "
            "fell to four degrees below freezing, weeks after the apple trees had come into blossom.",
            "The growers' cooperative said it was too early to count the losses, but that blossom in the low "
            "orchards nearest the river looked badly hit. Higher orchards on the slopes seemed to have escaped "
            "the worst of the cold.",
            "Forecasters expect one more cold night before milder air arrives at the weekend. The cooperative "
            "has asked members to report damage by the end of the month so it can apply for the regional "
            "frost relief scheme.",
        ),
    ),
)


def page(item: Item, base: str = "") -> bytes:
    """A small article page for ``item``."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{escape(item.title)} | Harbour Courier</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{escape(item.title)}</h1><p class='byline'>By {escape(item.author)}</p>"
        f"{item.html}</article><footer>Harbour Courier</footer></body></html>"
    ).encode()


def rss20(items: tuple[Item, ...], base: str, full: bool = True, title: str = "Harbour Courier") -> bytes:
    entries = []
    for it in items:
        body = f"<content:encoded><![CDATA[{it.html}]]></content:encoded>" if full else ""
        entries.append(
            f"<item><title>{escape(it.title)}</title><link>{base}/news/{it.slug}</link>"
            f"<guid>{base}/news/{it.slug}</guid><dc:creator>{escape(it.author)}</dc:creator>"
            f"<pubDate>{_rfc822(it.published)}</pubDate><description>{escape(it.summary)}</description>{body}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>{base}/</link><description>Local news</description>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def rss091(items: tuple[Item, ...], base: str) -> bytes:
    entries = "".join(
        f"<item><title>{escape(it.title)}</title><link>{base}/news/{it.slug}</link>"
        f"<description>{escape(it.html)}</description></item>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        '<rss version="0.91"><channel><title>Valley Gazette</title>'
        f"<link>{base}/</link><description>News</description><language>en</language>{entries}</channel></rss>"
    ).encode("latin-1")


def rss10(items: tuple[Item, ...], base: str) -> bytes:
    seq = "".join(f'<rdf:li rdf:resource="{base}/news/{it.slug}"/>' for it in items)
    entries = "".join(
        f'<item rdf:about="{base}/news/{it.slug}"><title>{escape(it.title)}</title>'
        f"<link>{base}/news/{it.slug}</link><dc:creator>{escape(it.author)}</dc:creator>"
        f"<dc:date>{it.published}</dc:date><description>{escape(it.text)}</description></item>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/rss"><title>River Post</title><link>{base}/</link>'
        f"<description>News</description><items><rdf:Seq>{seq}</rdf:Seq></items></channel>"
        f"{entries}</rdf:RDF>"
    ).encode()


def atom(items: tuple[Item, ...], base: str, full: bool = True) -> bytes:
    entries = []
    for it in items:
        content = f'<content type="html">{escape(it.html)}</content>' if full else ""
        entries.append(
            f"<entry><title>{escape(it.title)}</title><link rel='alternate' href='{base}/news/{it.slug}'/>"
            f"<id>{base}/news/{it.slug}</id><updated>{it.published}</updated><published>{it.published}</published>"
            f"<author><name>{escape(it.author)}</name></author><summary>{escape(it.summary)}</summary>{content}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Hill Chronicle</title><id>{base}/atom</id><updated>2024-04-11T06:15:00Z</updated>"
        f"<link rel='self' href='{base}/atom'/>" + "".join(entries) + "</feed>"
    ).encode()


def json_feed(items: tuple[Item, ...], base: str, full: bool = True) -> bytes:
    out = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Coast Daily",
        "home_page_url": f"{base}/",
        "items": [
            {
                "id": f"{base}/news/{it.slug}",
                "url": f"{base}/news/{it.slug}",
                "title": it.title,
                "date_published": it.published,
                "authors": [{"name": it.author}],
                **({"content_html": it.html} if full else {"summary": it.summary}),
            }
            for it in items
        ],
    }
    return json.dumps(out).encode()


def entity_bomb(levels: int = 9) -> bytes:
    """The classic exponential entity expansion, wrapped as an RSS feed."""
    decls = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels + 1):
        decls.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    return (
        '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(decls) + "]>"
        f'<rss version="2.0"><channel><title>Bomb</title><item><title>&lol{levels};</title>'
        f"<description>&lol{levels};</description><link>http://127.0.0.1/x</link></item></channel></rss>"
    ).encode()


def _rfc822(iso: str) -> str:
    from datetime import datetime
    from email.utils import format_datetime

    return format_datetime(datetime.fromisoformat(iso.replace("Z", "+00:00")), usegmt=True)


class HashingEncoder:
    """Bag-of-words hashed into 64 dimensions, unit rows: deterministic, no model (the
    pipeline tests' stand-in for MiniLM)."""

    dim = 64

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
            out[i] /= max(float(np.linalg.norm(out[i])), 1e-9)
        return out
