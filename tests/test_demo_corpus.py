"""The bundled example corpus: its files are well formed and agree with ``expected.json``.

These tests read the corpus files directly (HTML with the standard library parser, feeds with
feedparser); they do not run the pipeline.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "src" / "newsfuse" / "demo" / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
REQUIRED_JSONL_FIELDS = {"url", "title", "source", "published", "author", "language"}
TEXT_NAME = re.compile(r"^(?P<outlet>[a-z0-9]+(?:-[a-z0-9]+)*)__(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.txt$")
NAMESPACE_HOSTS = {"www.w3.org", "purl.org", "schema.org"}  # XML/JSON-LD vocabularies, never fetched


@dataclass
class Doc:
    """One article as read from its file."""

    item: str
    fmt: str
    outlet: str | None
    title: str | None
    body: str
    url: str | None = None
    published: str | None = None
    author: str | None = None


class _PageParser(HTMLParser):
    """Collects the head metadata and the paragraph text of the article element of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.title = ""
        self.paragraphs: list[str] = []
        self.tags_seen: set[str] = set()
        self._in_title = False
        self._body_tag: str | None = None  # <article>, or the element marked itemprop="articleBody"
        self._body_depth = 0
        self._p: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags_seen.add(tag)
        if tag == "meta":
            key = a.get("property") or a.get("name")
            if key and a.get("content") is not None:
                self.meta[key] = a["content"]
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag == "title":
            self._in_title = True
        if self._body_tag is None and (tag == "article" or a.get("itemprop") == "articleBody"):
            self._body_tag, self._body_depth = tag, 0
        if tag == self._body_tag:
            self._body_depth += 1
        if tag == "p" and self._body_depth:
            self._p = []

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag == self._body_tag and self._body_depth:
            self._body_depth -= 1
        elif tag == "p" and self._p is not None:
            self.paragraphs.append(" ".join("".join(self._p).split()))
            self._p = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._p is not None:
            self._p.append(data)


def _parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def _strip_tags(fragment: str) -> str:
    text = re.sub(r"</(p|h[1-6]|li|blockquote)>", "\n\n", fragment)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n\n".join(p.strip() for p in text.split("\n\n") if p.strip())


def _outlet_from_text_name(name: str) -> str | None:
    m = TEXT_NAME.match(name)
    return " ".join(w.capitalize() for w in m.group("outlet").split("-")) if m else None


def _load_docs() -> dict[str, Doc]:
    import feedparser

    docs: dict[str, Doc] = {}

    def add(doc: Doc) -> None:
        assert doc.item not in docs, f"two articles are both named {doc.item}"
        docs[doc.item] = doc

    for path in sorted((CORPUS / "html").glob("*.html")):
        page = _parse_page(path)
        add(
            Doc(
                item=f"html/{path.name}",
                fmt="html",
                outlet=page.meta.get("og:site_name"),
                title=page.meta.get("og:title") or page.title,
                body="\n\n".join(page.paragraphs),
                url=page.canonical,
                published=page.meta.get("article:published_time"),
                author=page.meta.get("author"),
            )
        )
    for line in (CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        body = rec.get("text") or _strip_tags(rec.get("html", ""))
        add(
            Doc(
                item=f"articles.jsonl#{rec.get('url')}",
                fmt="jsonl",
                outlet=rec.get("source"),
                title=rec.get("title"),
                body=body,
                url=rec.get("url"),
                published=rec.get("published"),
                author=rec.get("author"),
            )
        )
    for path in sorted((CORPUS / "feeds").iterdir()):
        feed = feedparser.parse(path.read_bytes())
        fmt = "atom" if feed.version.startswith("atom") else "rss"
        for entry in feed.entries:
            content = max((c.value for c in entry.get("content", [])), key=len, default="")
            add(
                Doc(
                    item=f"feeds/{path.name}#{entry.link}",
                    fmt=fmt,
                    outlet=feed.feed.get("title"),
                    title=entry.get("title"),
                    body=_strip_tags(content or entry.get("summary", "")),
                    url=entry.link,
                    published=entry.get("published"),
                    author=entry.get("author"),
                )
            )
    for path in sorted((CORPUS / "text").glob("*.txt")):
        raw = path.read_text(encoding="utf-8").strip("\n")
        item = f"text/{path.name}"
        titled = EXPECTED["articles"].get(item, {}).get("title") is not None
        title, body = raw.split("\n\n", 1) if titled else (None, raw)
        add(Doc(item=item, fmt="txt", outlet=_outlet_from_text_name(path.name), title=title, body=body))
    return docs


DOCS = _load_docs()
ALL_ITEMS = [item for story in EXPECTED["stories"].values() for item in story["items"]]


def _words(text: str) -> int:
    return len(text.split())


def _content_paragraphs(doc: Doc) -> str:
    """Body text without the one-line page furniture an HTML page carries inside <article>."""
    return "\n\n".join(p for p in doc.body.split("\n\n") if _words(p) >= 12)


# ---------------------------------------------------------------------------------------------- ground truth


def test_expected_json_has_the_documented_shape():
    assert {"stories", "duplicates", "singles", "same_kind_pairs"} <= set(EXPECTED)
    stories = EXPECTED["stories"]
    assert all(s["description"] and s["items"] for s in stories.values())
    assert set(EXPECTED["singles"]) <= set(stories)
    assert all(a in stories and b in stories and a != b for a, b in EXPECTED["same_kind_pairs"])
    multi = [k for k in stories if k not in EXPECTED["singles"]]
    assert len(multi) >= 6 and len(EXPECTED["singles"]) >= 3
    assert 30 <= len(ALL_ITEMS) <= 36


def test_every_listed_item_exists_and_every_article_is_listed_once():
    assert len(ALL_ITEMS) == len(set(ALL_ITEMS)), "an article is listed in two stories"
    for item in ALL_ITEMS:
        assert (CORPUS / item.split("#", 1)[0]).is_file(), f"{item}: file missing"
    assert set(ALL_ITEMS) == set(DOCS), (
        f"listed but not found: {sorted(set(ALL_ITEMS) - set(DOCS))}; "
        f"found but not listed: {sorted(set(DOCS) - set(ALL_ITEMS))}"
    )


def test_article_metadata_in_expected_json_matches_the_files():
    meta = EXPECTED["articles"]
    assert set(meta) == set(ALL_ITEMS)
    story_of = {item: key for key, s in EXPECTED["stories"].items() for item in s["items"]}
    for item, m in meta.items():
        doc = DOCS[item]
        assert m["story"] == story_of[item]
        assert m["outlet"] == doc.outlet, item
        if doc.fmt in ("jsonl", "rss", "atom"):
            assert (m["title"], m["url"]) == (doc.title, doc.url), item
        if doc.fmt == "html":
            assert m["url"] == doc.url and m["author"] == doc.author, item


# ---------------------------------------------------------------------------------------------- formats


def test_html_pages_are_full_pages_with_metadata():
    pages = [d for d in DOCS.values() if d.fmt == "html"]
    assert len(pages) >= 8
    for doc in pages:
        page = _parse_page(CORPUS / doc.item)
        assert page.title.strip(), doc.item
        assert page.meta.get("og:site_name"), doc.item
        assert page.meta.get("og:title") and page.meta.get("author"), doc.item
        assert datetime.fromisoformat(page.meta["article:published_time"]).tzinfo is not None
        assert page.canonical and page.canonical.startswith("https://"), doc.item
        assert {"nav", "footer", "h1"} <= page.tags_seen, doc.item
        source = (CORPUS / doc.item).read_text(encoding="utf-8").lower()
        assert "cookie" in source, f"{doc.item}: no cookie banner"


def test_html_bodies_carry_realistic_page_junk():
    """Across the pages, the junk an extractor must remove sits inside <article>."""
    inside = "\n".join(d.body for d in DOCS.values() if d.fmt == "html")
    for phrase in (
        "Be the first to leave a comment",
        "Story continues below advertisement",
        "Sign up for our morning newsletter",
        "Photo: ",
    ):
        assert phrase in inside, phrase
    capitals = [p for p in inside.split("\n\n") if len(p) > 20 and p.upper() == p]
    assert len(capitals) >= 5, "expected related-story headlines in capitals inside article bodies"


def test_jsonl_lines_parse_and_have_the_required_fields():
    lines = [ln for ln in (CORPUS / "articles.jsonl").read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert 5 <= len(lines) <= 8
    records = [json.loads(ln) for ln in lines]
    for rec in records:
        assert REQUIRED_JSONL_FIELDS <= set(rec), sorted(REQUIRED_JSONL_FIELDS - set(rec))
        assert bool(rec.get("text")) != bool(rec.get("html")), "each line carries exactly one of text/html"
        assert rec["language"] == "en"
        assert datetime.fromisoformat(rec["published"]).tzinfo is not None
    assert any("html" in rec for rec in records) and any("text" in rec for rec in records)


def test_rss_feed_parses_with_full_content():
    import feedparser

    feed = feedparser.parse((CORPUS / "feeds" / "northern-dispatch.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version.startswith("rss")
    assert feed.feed.title == "The Northern Dispatch"
    assert 3 <= len(feed.entries) <= 5
    for entry in feed.entries:
        assert entry.title and entry.link and entry.published_parsed and entry.author
        assert _words(_strip_tags(entry.content[0].value)) >= 250


def test_atom_feed_parses():
    import feedparser

    feed = feedparser.parse((CORPUS / "feeds" / "riverbend-tribune.atom").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version.startswith("atom") and feed.feed.title == "Riverbend Tribune"
    assert len(feed.entries) == 2
    for entry in feed.entries:
        assert entry.title and entry.link and entry.published and entry.author
        assert datetime.fromisoformat(entry.published).tzinfo is not None


def test_text_files_follow_the_naming_and_title_conventions():
    texts = sorted((CORPUS / "text").glob("*.txt"))
    assert texts
    titleless = 0
    for path in texts:
        assert TEXT_NAME.match(path.name), f"{path.name}: not <outlet-slug>__<slug>.txt"
        lines = path.read_text(encoding="utf-8").split("\n")
        if EXPECTED["articles"][f"text/{path.name}"]["title"] is None:
            titleless += 1
            assert _words(lines[0]) > 25, "a titleless file starts straight into the body"
        else:
            assert lines[0].strip() and lines[1] == "" and lines[2].strip(), path.name
            assert _words(lines[0]) <= 20 and not lines[0].endswith(".")
    assert titleless >= 1


def test_every_file_is_a_known_corpus_file():
    allowed = {"README.md", "expected.json", "articles.jsonl"}
    for path in CORPUS.rglob("*"):
        if path.is_file():
            rel = path.relative_to(CORPUS).as_posix()
            assert rel in allowed or rel.split("/")[0] in {"html", "feeds", "text"}, rel


# ---------------------------------------------------------------------------------------------- design


def test_wire_copies_have_identical_body_text():
    assert EXPECTED["duplicates"]
    story_of = {item: key for key, s in EXPECTED["stories"].items() for item in s["items"]}
    for copy, original in EXPECTED["duplicates"]:
        a, b = DOCS[copy], DOCS[original]
        assert a.body == b.body
        assert a.outlet != b.outlet
        assert story_of[copy] == story_of[original]
        assert "Continental Press" in a.body


def test_no_other_article_repeats_another():
    declared = {frozenset(pair) for pair in EXPECTED["duplicates"]}
    seen: dict[str, str] = {}
    for item, doc in DOCS.items():
        key = " ".join(_content_paragraphs(doc).split())
        if key in seen:
            assert frozenset((item, seen[key])) in declared, f"{item} repeats {seen[key]}"
        seen[key] = item


def test_multi_outlet_stories_have_three_or_more_outlets():
    for key, story in EXPECTED["stories"].items():
        outlets = {DOCS[i].outlet for i in story["items"]}
        assert None not in outlets, key
        if key in EXPECTED["singles"]:
            assert len(story["items"]) == 1, key
        else:
            assert 3 <= len(outlets) <= 6, f"{key}: {sorted(outlets)}"
            headlines = [DOCS[i].title for i in story["items"] if DOCS[i].title]
            assert len(set(headlines)) == len(headlines), f"{key}: two outlets share a headline"


def test_same_kind_stories_are_separate_events():
    for a, b in EXPECTED["same_kind_pairs"]:
        items_a, items_b = EXPECTED["stories"][a]["items"], EXPECTED["stories"][b]["items"]
        assert not set(items_a) & set(items_b)
        for items in (items_a, items_b):
            assert len({DOCS[i].outlet for i in items}) >= 3


def test_figure_conflicts_are_in_the_text():
    assert EXPECTED["figure_conflicts"]
    for conflict in EXPECTED["figure_conflicts"]:
        assert len(set(conflict["values"].values())) >= 2, conflict["fact"]
        for item, figure in conflict["values"].items():
            assert item in EXPECTED["stories"][conflict["story"]]["items"]
            body = DOCS[item].body.replace("Fourteen", "14")
            assert re.search(rf"\b{re.escape(figure)}\b", body), f"{item} does not report {figure}"


def test_dates_fall_within_one_week():
    stamps = []
    for item, m in EXPECTED["articles"].items():
        if m["published"] is None:
            assert DOCS[item].fmt == "txt"
            continue
        dt = datetime.fromisoformat(m["published"])
        assert dt.tzinfo is not None
        stamps.append(dt)
    assert len(stamps) >= 25
    assert max(stamps) - min(stamps) <= timedelta(days=7)


@pytest.mark.parametrize("item", ALL_ITEMS)
def test_article_length(item):
    doc = DOCS[item]
    declared = EXPECTED["articles"][item]["words"]  # the story text alone
    assert 250 <= declared <= 600, f"{item}: {declared} words"
    if doc.fmt == "html":  # the page's paragraphs also hold junk (newsletter boxes, pull quotes, ...)
        assert declared <= _words(_content_paragraphs(doc)) <= declared + 100, item
    else:
        assert _words(doc.body) == pytest.approx(declared, abs=25), item  # feeds add a "post appeared first" line


def test_quotes_are_attributed_to_named_speakers():
    said = re.compile(r"[\"\u201d],? (?:said|says) [A-Z]|\b[A-Z][a-z]+ said\b")
    for item, doc in DOCS.items():
        assert len(said.findall(doc.body)) >= 2, f"{item}: fewer than two attributed quotes"


def test_urls_use_the_reserved_example_domain():
    for path in CORPUS.rglob("*"):
        if path.is_file() and path.suffix != ".md":
            for host in re.findall(r"https?://([^/\"'<>\s]+)", path.read_text(encoding="utf-8")):
                assert host.endswith(".example") or host in NAMESPACE_HOSTS, f"{path.name}: {host}"
    for doc in DOCS.values():
        if doc.url:
            assert re.match(r"https://[a-z]+\.example/", doc.url), doc.url
