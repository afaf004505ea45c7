"""The web reader's HTML over real HTTP: content, escaping, security headers, errors, the no-JS check form."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from test_serve_support import serve

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for url, _ in serve(tmp_path_factory.mktemp("pages")):
        yield url


def _csp(resp: httpx.Response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in resp.headers["content-security-policy"].split(";"))


def test_security_headers_everywhere(site):
    for path in ("/", "/stories/s-bridge", "/check", "/api/stories", "/static/style.css", "/nope", "/api/nope"):
        r = httpx.get(site + path)
        csp = _csp(r)
        assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'", path
        assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'none'", path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "no-referrer", path
        assert r.headers["x-frame-options"] == "DENY", path


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_no_inline_script_style_or_handlers_in_pages(site):
    for path in ("/", "/stories/s-bridge", "/stories/s-hostile", "/check", "/api/docs", "/articles/s-hostile-a1"):
        tags = _Tags(httpx.get(site + path).text).tags
        assert [t for t, _ in tags].count("html") == 1, path
        for tag, attrs in tags:
            assert tag not in ("style", "img", "iframe", "object"), (path, tag)
            assert tag != "script" or attrs.get("src", "").startswith("/static/"), (path, attrs)
            assert "style" not in attrs, (path, tag)
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)
            for key in ("href", "src", "action"):
                assert not (attrs.get(key) or "").lower().startswith(("javascript:", "data:")), (path, tag, attrs)


def test_hostile_text_is_escaped(site):
    page = httpx.get(f"{site}/stories/s-hostile").text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert "<script>window" not in page and "<img src=x" not in page and "<svg onload" not in page
    assert "javascript:" not in page.lower()  # links from feeds are kept only when http(s)
    front = httpx.get(f"{site}/").text
    assert "&lt;script&gt;window.__pwned=1" in front and "<script>window" not in front
    art = httpx.get(f"{site}/articles/s-hostile-a1").text
    assert "&lt;img src=x" in art and "javascript:" not in art.lower()


def test_front_page_lists_filters_and_links(site):
    page = httpx.get(f"{site}/").text
    assert page.index("Harbor Bridge closed after inspectors") < page.index("Council passes budget")
    assert 'href="/stories/s-bridge"' in page and "3 outlets" in page
    assert "Ferries will run every 15 minutes while the bridge is closed." in page  # a key point
    assert "The city council approved a 2.1 billion dollar budget" in page  # no brief yet: the lead instead
    filtered = httpx.get(f"{site}/", params={"q": "tram"}).text
    assert "Council passes budget" in filtered and "Harbor Bridge closed" not in filtered
    assert "Matching stories" in filtered
    by_entity = httpx.get(f"{site}/", params={"entity": "Maria Okafor"}).text
    assert "Harbor Bridge closed" in by_entity and "Council passes budget" not in by_entity
    assert "No story matches" in httpx.get(f"{site}/", params={"outlet": "Nobody"}).text


def test_story_page_sections(site):
    r = httpx.get(f"{site}/stories/s-bridge")
    assert r.status_code == 200
    page = r.text
    for heading in (
        "The story so far",
        "Key points",
        "Who reports what",
        "Reported by only one outlet",
        "Figures that differ",
        "Quotes",
        "People, places, organisations",
        "How each outlet framed it",
        "Timeline of coverage",
    ):
        assert f">{heading}</h" in page, heading
    assert 'aria-label="Source 1: Harbor Ledger"' in page
    assert "about 40,000" in page and "roughly 55,000" in page
    # the synthesis sentence on the disputed figure points to the conflict; no key point cites it
    summary = page[page.index("The story so far") : page.index(">Key points</h")]
    assert summary.count('class="disputed" href="#sec-figures"') == 1 and page.count('class="disputed"') == 1
    assert "Maria Okafor" in page and "Harbor Transit Authority" in page
    assert 'href="/?entity=Maria%20Okafor"' in page
    assert 'href="/check?story=s-bridge"' in page


def test_article_page_marks_the_cited_sentence(site):
    art = httpx.get(f"{site}/api/articles/s-bridge-a2").json()
    start = art["text"].index("The bridge carries")
    end = art["text"].index("\n", start)
    page = httpx.get(f"{site}/articles/s-bridge-a2", params={"hl": f"{start}-{end}"}).text
    assert '<mark id="cited" tabindex="-1">The bridge carries roughly 55,000 vehicles a day' in page
    plain = httpx.get(f"{site}/articles/s-bridge-a2", params={"hl": "999999-9999999"}).text
    assert "<mark" not in plain


def test_html_errors(site):
    r = httpx.get(f"{site}/stories/does-not-exist")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "no story with id" in r.text and 'href="/"' in r.text
    assert httpx.get(f"{site}/no/such/page").status_code == 404


def test_check_form_without_javascript(site):
    r = httpx.post(
        f"{site}/check",
        data={"summary": "Extra buses will serve the eastern shore.", "story": "s-bridge", "sources": ""},
    )
    assert r.status_code == 200 and "Supported" in r.text and "1 of 1" in r.text
    r = httpx.post(f"{site}/check", data={"summary": "", "story": "s-bridge"})
    assert r.status_code == 400 and "Paste the summary" in r.text
    r = httpx.post(f"{site}/check", data={"summary": "Something.", "story": "", "sources": ""})
    assert r.status_code == 400 and "Add at least one source" in r.text
    r = httpx.post(f"{site}/check", content=b'{"summary": "x"}', headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    sources = "Tram lines get 120 million dollars.\n---\nhttps://offline.example/story"
    r = httpx.post(f"{site}/check", data={"summary": "Tram lines get 120 million dollars.", "sources": sources})
    assert r.status_code == 422 and "offline in tests" in r.text  # a URL source that cannot be fetched
    # more fields than the form has: a 400, not a server error (found in review)
    r = httpx.post(f"{site}/check", data={f"f{i}": "x" for i in range(30)})
    assert r.status_code == 400 and "at most 20 fields" in r.text


def test_api_reference_page(site):
    page = httpx.get(f"{site}/api/docs").text
    for path in ("/api/stories", "/api/stories/{story_id}", "/api/articles", "/api/feeds", "/api/check"):
        assert f"<code>{path}</code>" in page, path
    assert "CheckIn" in page and "Bearer" in page
