"""``iter_url`` / ``iter_raw`` on URLs: every feed format from a local server, summary-only feeds
followed to their pages, plain pages, and bad input turned into ``Skipped`` (never an exception)."""

from __future__ import annotations

from html import escape

import pytest

from newsfuse.config import Settings
from newsfuse.ingest import Skipped, iter_raw
from newsfuse.ingest.feeds import declares_entities, feed_entries, looks_like_feed, parse_feed
from newsfuse.ingest.http import FOLLOW_BELOW_CHARS, Fetcher, FetchError, discover_feeds, iter_url
from newsfuse.model import RawDocument

try:
    from .hostile_server import HostileServer, hostile  # noqa: F401
    from .ingest_fixtures import ITEMS, atom, entity_bomb, json_feed, page, rss091, rss10, rss20
except ImportError:
    from hostile_server import HostileServer, hostile  # noqa: F401
    from ingest_fixtures import ITEMS, atom, entity_bomb, json_feed, page, rss091, rss10, rss20


@pytest.fixture
def net(settings: Settings) -> Settings:
    return settings.replace(per_host_delay=0.0, retries=1, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0)


@pytest.fixture
def fetcher(net: Settings):
    with Fetcher(net, backoff=0.01) as f:
        yield f


def _docs(out: list) -> list[RawDocument]:
    return [d for d in out if isinstance(d, RawDocument)]


FORMATS = {
    "rss091": (rss091, "application/rss+xml", "Valley Gazette"),
    "rss10": (rss10, "application/rdf+xml", "River Post"),
    "rss20": (rss20, "application/rss+xml; charset=utf-8", "Harbour Courier"),
    "atom": (atom, "application/atom+xml", "Hill Chronicle"),
    "jsonfeed": (json_feed, "application/feed+json", "Coast Daily"),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_full_content_feeds_of_every_format(hostile: HostileServer, fetcher: Fetcher, net: Settings, fmt: str):
    build, ctype, source = FORMATS[fmt]
    url = hostile.static(f"/{fmt}", build(ITEMS, hostile.base), ctype)
    out = list(iter_url(url, net, fetcher))
    docs = _docs(out)
    assert len(docs) == len(ITEMS), out
    for doc, item in zip(docs, ITEMS, strict=True):
        assert doc.kind == "record"
        assert doc.url == f"{hostile.base}/news/{item.slug}"
        assert doc.fields["title"] == item.title
        assert doc.fields["source"] == source
        body = doc.fields.get("html") or doc.fields.get("text")
        assert item.paragraphs[1][:60] in body.replace("&#x27;", "'").replace("&#39;", "'")
    # full entries are not followed: only the feed itself (and robots.txt) was requested
    assert not any(path.startswith("/news/") for path in hostile.hits)


@pytest.mark.parametrize("fmt", ["rss20", "atom", "jsonfeed"])
def test_summary_only_feeds_are_followed_to_the_pages(hostile: HostileServer, fetcher, net, fmt: str):
    builders = {"rss20": rss20, "atom": atom, "jsonfeed": json_feed}
    for item in ITEMS:
        hostile.static(f"/news/{item.slug}", page(item))
    url = hostile.static("/summaries", builders[fmt](ITEMS, hostile.base, full=False), "application/xml")
    docs = _docs(list(iter_url(url, net, fetcher)))
    assert [d.kind for d in docs] == ["html"] * 3
    for doc, item in zip(docs, ITEMS, strict=True):
        assert doc.url == doc.location == f"{hostile.base}/news/{item.slug}"
        assert doc.content_type == "text/html; charset=utf-8"
        assert escape(item.paragraphs[2]).encode() in doc.payload
        assert doc.fields["title"] == item.title
        assert doc.fields["feed"] == url
        assert doc.fields.get("published")
        if fmt != "jsonfeed":
            assert doc.fields["author"] == item.author
    assert all(hostile.hits[f"/news/{it.slug}"] == 1 for it in ITEMS)


def test_link_only_rss_entries_are_followed_and_failures_skipped(hostile: HostileServer, fetcher, net):
    hostile.static("/news/ferry-strike", page(ITEMS[0]))
    hostile.static("/news/library-roof", b"%PDF-1.4 not a page", "application/pdf")
    # orchard-frost is not served: 404
    feed = (
        '<rss version="2.0"><channel><title>Links</title>'
        + "".join(f"<item><title>{it.title}</title><link>/news/{it.slug}</link></item>" for it in ITEMS)
        + "</channel></rss>"
    )
    url = hostile.static("/links.rss", feed, "text/xml")
    seen: dict[str, object] = {}
    from newsfuse.ingest.http import iter_fetched

    out = list(iter_fetched(fetcher.fetch(url), net, fetcher, on_follow=seen.__setitem__))
    docs, skipped = _docs(out), [s for s in out if isinstance(s, Skipped)]
    assert [d.url for d in docs] == [f"{hostile.base}/news/ferry-strike"]  # relative link resolved
    reasons = {s.location.rsplit("/", 1)[-1]: s.reason for s in skipped}
    assert "application/pdf (a PDF document)" in reasons["library-roof"]
    assert reasons["orchard-frost"] == "entry page: HTTP 404 Not Found"
    assert set(seen) == {f"{hostile.base}/news/{it.slug}" for it in ITEMS}
    assert isinstance(seen[f"{hostile.base}/news/orchard-frost"], FetchError)


def test_skip_link_hook_avoids_refetching_known_entries(hostile: HostileServer, fetcher, net):
    for item in ITEMS:
        hostile.static(f"/news/{item.slug}", page(item))
    url = hostile.static("/s.xml", rss20(ITEMS, hostile.base, full=False), "application/rss+xml")
    from newsfuse.ingest.http import iter_fetched

    known = {f"{hostile.base}/news/{ITEMS[0].slug}", f"{hostile.base}/news/{ITEMS[1].slug}"}
    docs = _docs(list(iter_fetched(fetcher.fetch(url), net, fetcher, skip_link=known.__contains__)))
    assert [d.fields["title"] for d in docs] == [ITEMS[2].title]
    assert hostile.hits[f"/news/{ITEMS[0].slug}"] == 0


def test_short_entries_follow_long_entries_do_not(hostile: HostileServer, fetcher, net):
    long_item, short_item = ITEMS[0], ITEMS[1]
    assert len(long_item.text) >= FOLLOW_BELOW_CHARS > len(short_item.summary)
    hostile.static(f"/news/{short_item.slug}", page(short_item))
    feed = (
        '<rss version="2.0"><channel><title>Mixed</title>'
        f"<item><title>{long_item.title}</title><link>/news/{long_item.slug}</link>"
        f"<description>{long_item.text}</description></item>"
        f"<item><title>{short_item.title}</title><link>/news/{short_item.slug}</link>"
        f"<description>{short_item.summary}</description></item></channel></rss>"
    )
    docs = _docs(list(iter_url(hostile.static("/mixed", feed, "application/rss+xml"), net, fetcher)))
    assert [(d.kind, d.fields["title"]) for d in docs] == [("record", long_item.title), ("html", short_item.title)]
    assert docs[1].fields["summary"] == short_item.summary
    assert hostile.hits[f"/news/{long_item.slug}"] == 0


def test_html_page_and_plain_text_and_redirect(hostile: HostileServer, fetcher, net):
    target = hostile.static("/story.html", page(ITEMS[0]), "text/html; charset=utf-8")
    start = hostile.redirect("/s/1", "/story.html")
    (doc,) = list(iter_url(start, net, fetcher))
    assert doc.kind == "html" and doc.location == start and doc.url == target
    assert doc.content_type == "text/html; charset=utf-8" and doc.payload == page(ITEMS[0])
    (txt,) = list(iter_url(hostile.static("/t.txt", ITEMS[1].text, "text/plain"), net, fetcher))
    assert txt.kind == "text" and txt.payload.decode() == ITEMS[1].text


def test_html_page_without_content_type_is_sniffed(hostile: HostileServer, fetcher, net):
    (doc,) = list(iter_url(hostile.static("/bare", page(ITEMS[2]), None), net, fetcher))
    assert doc.kind == "html" and doc.content_type == "text/html; charset=utf-8"


def test_non_feed_json_and_xml_are_skipped(hostile: HostileServer, fetcher, net):
    (a,) = list(iter_url(hostile.static("/api", '{"ok": true}', "application/json"), net, fetcher))
    (b,) = list(iter_url(hostile.static("/sitemap", "<urlset><url/></urlset>", "application/xml"), net, fetcher))
    assert isinstance(a, Skipped) and a.reason == "JSON that is not a JSON Feed (application/json)"
    assert isinstance(b, Skipped) and "not an RSS, Atom or RDF feed" in b.reason


def test_iter_raw_routes_urls_to_the_fetcher_and_never_raises(hostile: HostileServer, fetcher, net):
    url = hostile.static("/rss", rss20(ITEMS[:2], hostile.base), "application/rss+xml")
    inputs = [url, "http://", "http://[::1", "gopher://old.example/", hostile.url("/gone")]
    out = list(iter_raw(inputs, net, fetcher=fetcher))
    assert len(_docs(out)) == 2
    skipped = [s for s in out if isinstance(s, Skipped)]
    assert len(skipped) == 4 and all(s.reason for s in skipped)
    assert skipped[-1].reason == "HTTP 404 Not Found"


def test_iter_url_without_a_fetcher_makes_its_own(hostile: HostileServer, net):
    docs = _docs(list(iter_url(hostile.static("/j", json_feed(ITEMS, hostile.base), "application/json"), net)))
    assert len(docs) == 3


def test_feed_helpers():
    data = rss20(ITEMS, "http://news.example")
    assert looks_like_feed(data) and looks_like_feed(data.decode().encode("utf-16"))
    assert not declares_entities(data)
    assert declares_entities(entity_bomb())
    assert declares_entities(("<!-- " + "x" * 70000 + " -->").encode() + entity_bomb()[21:])
    assert declares_entities(entity_bomb().decode().replace('"1.0"?>', '"1.0" encoding="utf-16"?>').encode("utf-16"))
    links = list(feed_entries(rss20(ITEMS, "http://news.example", full=False), "feed"))
    assert [d.fields["title"] for d in links] == [it.title for it in ITEMS]
    assert [d.kind for d in parse_feed(data, "feed")] == ["record"] * 3
    html = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
    assert discover_feeds(html, "https://news.example/world/") == ["https://news.example/feed.xml"]


def test_static_url_policy_needs_no_lookup():
    from newsfuse.ingest.http import static_url_problem

    strict = Settings(allow_private_addresses=False)
    for url in (
        "http://10.0.0.1/rss",
        "http://127.1/feed",
        "http://0x7f.1/feed",
        "http://2130706433/feed",
        "http://[::1]:8080/feed",
        "http://localhost:8080/feed",
        "http://news.localhost/feed",
        "http://169.254.169.254/latest",
        "http://93.184.216.34:22/feed",  # a public address on a low port
        "ftp://example.org/feed",
        "http://user:pw@example.org/feed",
    ):
        assert static_url_problem(url, strict), url
    assert static_url_problem("https://news.example.org/feed.xml", strict) is None  # a name: only a lookup can tell
    assert static_url_problem("http://93.184.216.34/feed", strict) is None
    assert static_url_problem("http://10.0.0.1/rss", Settings(allow_private_addresses=True)) is None


def test_an_impossible_host_name_is_refused_before_any_lookup():
    from newsfuse.ingest.http import check_url

    looked_up = []

    def resolver(host, port):
        looked_up.append(host)
        return ["93.184.216.34"]

    for host in ("a" * 70_000 + ".example", "a" * 64 + ".example", "news..example"):
        with pytest.raises(FetchError, match="not a valid host name") as exc:
            check_url(f"https://{host}/feed", Settings(), resolver=resolver)
        assert len(exc.value.reason) < 120
    assert looked_up == []
    assert check_url("https://news.example/feed", Settings(), resolver=resolver) == ["93.184.216.34"]


def test_json_feed_items_that_are_not_objects_are_counted_skips():
    body = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Coast Daily",
        "items": [
            "x",
            {"url": ["not", "a", "url"], "title": "Odd", "content_text": "A ferry ran aground. " * 20},
            {"url": "https://coast.example/a", "title": "Ferry", "content_text": "A ferry ran aground. " * 20},
        ],
    }
    import json as _json

    out = list(parse_feed(_json.dumps(body).encode(), "odd.feed.json"))
    skips = [x for x in out if isinstance(x, Skipped)]
    docs = [x for x in out if isinstance(x, RawDocument)]
    assert [(s.location, s.reason) for s in skips] == [("odd.feed.json#0", "JSON feed item is not an object")]
    assert [d.location for d in docs] == ["odd.feed.json#1", "odd.feed.json#https://coast.example/a"]
    assert docs[0].url is None and "url" not in docs[0].fields and docs[1].url == "https://coast.example/a"


def test_json_feed_fields_of_the_wrong_type_are_skipped_not_fatal():
    """A second review's finds: ``"authors": [{"name": null}]`` raised TypeError, and ``"items": 5``
    ended the whole ingest run."""
    import json as _json

    good = {"url": "https://coast.example/b", "title": "Ferry", "content_text": "A ferry ran aground. " * 20}
    body = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": ["not", "a", "title"],
        "items": [
            {**good, "authors": [{"name": None}, {"name": "Ana Ruiz"}], "date_published": 20260301},
            {"url": "https://coast.example/c", "content_html": 7, "summary": ["x"]},
            {**good, "url": "https://coast.example/d", "authors": {"name": "Bo Lind"}},
        ],
    }
    out = list(parse_feed(_json.dumps(body).encode(), "typed.json"))
    docs = [x for x in out if isinstance(x, RawDocument)]
    assert [d.url for d in docs] == ["https://coast.example/b", "https://coast.example/d"]
    assert docs[0].fields["author"] == "Ana Ruiz" and "published" not in docs[0].fields
    assert "source" not in docs[0].fields
    assert docs[1].fields["author"] == "Bo Lind"
    assert [(s.location, s.reason) for s in out if isinstance(s, Skipped)] == [
        ("typed.json#https://coast.example/c", "feed item has no content")
    ]
    (bad,) = list(parse_feed(_json.dumps({"version": "https://jsonfeed.org/version/1", "items": 5}).encode(), "f"))
    assert isinstance(bad, Skipped) and bad.reason == "invalid JSON feed: 'items' is not a list"
    deep = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    (too_deep,) = list(parse_feed(deep, "deep.json"))
    assert isinstance(too_deep, Skipped) and too_deep.reason.startswith("invalid JSON feed: maximum recursion")


def test_a_page_served_as_text_plain_is_html_only_when_it_opens_as_a_document(hostile: HostileServer, fetcher, net):
    (doc,) = list(iter_url(hostile.static("/saved", page(ITEMS[0]), "text/plain; charset=utf-8"), net, fetcher))
    assert doc.kind == "html"
    quoting = ITEMS[1].text + " The template uses <p> and <div> tags."
    (txt,) = list(iter_url(hostile.static("/notes.txt", quoting, "text/plain"), net, fetcher))
    assert txt.kind == "text"


def test_an_input_whose_reader_fails_is_a_skip_and_the_run_goes_on(net, tmp_path, monkeypatch):
    import newsfuse.ingest as ingest_mod

    good = tmp_path / "good.txt"
    good.write_text(ITEMS[0].text, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(ITEMS[1].text, encoding="utf-8")
    real = ingest_mod.iter_path

    def flaky(path, settings):
        if path.name == "bad.txt":
            yield RawDocument(kind="text", location="bad.txt:part", payload=b"read before the failure")
            raise RuntimeError("reader bug")
        yield from real(path, settings)

    monkeypatch.setattr(ingest_mod, "iter_path", flaky)
    out = list(iter_raw([str(bad), str(good), "x" * 5000], net))
    assert [type(x).__name__ for x in out] == ["RawDocument", "Skipped", "RawDocument", "Skipped"]
    assert out[1].location == str(bad) and out[1].reason == "reading failed: RuntimeError: reader bug"
    assert out[2].location == str(good)
    assert out[3].reason.startswith("no such file or folder") or out[3].reason.startswith("not a usable path")
