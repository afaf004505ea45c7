"""The fetcher against a real local HTTP server: limits, retries, robots.txt, SSRF guard, conditional GET.

Only 127.0.0.1 is ever contacted: the SSRF tests either refuse before connecting or use a fake resolver
and transport, and the few hostnames they name are answered by that fake resolver, never by DNS.
"""

from __future__ import annotations

import importlib.util
import threading
import time

import httpx
import pytest

from newsfuse.config import Settings
from newsfuse.ingest.http import Fetcher, FetchError, address_problem, check_url, iter_url

try:
    from .hostile_server import HostileServer, hostile  # noqa: F401
    from .ingest_fixtures import ITEMS, entity_bomb, page, rss20
except ImportError:
    from hostile_server import HostileServer, hostile  # noqa: F401
    from ingest_fixtures import ITEMS, entity_bomb, page, rss20


@pytest.fixture
def net(settings: Settings) -> Settings:
    """Settings for talking to the local server: private addresses allowed, short limits, no delay."""
    return settings.replace(
        per_host_delay=0.0,
        connect_timeout=2.0,
        read_timeout=2.0,
        total_timeout=5.0,
        retries=2,
        max_bytes=2_000_000,
    )


@pytest.fixture
def fetcher(net: Settings):
    with Fetcher(net, backoff=0.01) as f:
        yield f


def _reason(excinfo: pytest.ExceptionInfo[FetchError]) -> str:
    return excinfo.value.reason


# -- ordinary fetching -----------------------------------------------------------------------------


def test_fetches_a_page_with_clear_user_agent_and_compression(hostile: HostileServer, fetcher: Fetcher, net):
    url = hostile.static("/story", page(ITEMS[0]))
    res = fetcher.fetch(url)
    assert res.status == 200 and res.final_url == url and not res.not_modified
    assert res.content_type == "text/html; charset=utf-8"
    assert b"Ferry crews walk out" in res.payload
    sent = hostile.headers_for("/story")[0]
    assert sent["user-agent"] == net.user_agent and "newsfuse" in sent["user-agent"]
    assert "gzip" in sent["accept-encoding"]
    assert "text/html" in sent["accept"]


def test_gzip_body_is_decoded(hostile: HostileServer, fetcher: Fetcher):
    body = page(ITEMS[1])
    res = fetcher.fetch(hostile.gzipped("/gz", body))
    assert res.payload == body


@pytest.mark.skipif(importlib.util.find_spec("brotli") is None, reason="brotli is not installed")
def test_brotli_and_deflate_bodies_are_decoded(hostile: HostileServer, fetcher: Fetcher):
    import zlib

    import brotli

    body = page(ITEMS[2])
    hostile.static("/br", brotli.compress(body), headers={"Content-Encoding": "br"})
    hostile.static("/deflate", zlib.compress(body), headers={"Content-Encoding": "deflate"})
    assert fetcher.fetch(hostile.url("/br")).payload == body
    assert fetcher.fetch(hostile.url("/deflate")).payload == body
    assert "br" in hostile.headers_for("/br")[0]["accept-encoding"]


def test_feed_served_as_text_html_is_still_read_as_a_feed(hostile: HostileServer, fetcher: Fetcher, net):
    url = hostile.static("/feed-as-html", rss20(ITEMS, hostile.base), "text/html")
    out = list(iter_url(url, net, fetcher))
    assert [d.kind for d in out] == ["record"] * 3


def test_charset_from_meta_is_kept_when_the_header_has_none(hostile: HostileServer, fetcher: Fetcher):
    html = "<html><head><meta charset='iso-8859-1'><title>Caf\xe9</title></head><body>Caf\xe9 cr\xe8me</body></html>"
    res = fetcher.fetch(hostile.static("/latin", html.encode("latin-1"), "text/html"))
    assert res.charset == "iso8859-1"
    assert res.content_type == "text/html; charset=iso8859-1"
    assert "Café crème" in res.text()


def test_redirects_are_followed_and_recorded(hostile: HostileServer, fetcher: Fetcher):
    target = hostile.static("/final", page(ITEMS[0]))
    hostile.redirect("/hop2", "/final", 301)
    start = hostile.redirect("/hop1", hostile.url("/hop2"), 302)
    res = fetcher.fetch(start)
    assert res.url == start and res.final_url == target
    assert res.redirects == [hostile.url("/hop2"), target]


def test_fetch_many_keeps_input_order_and_reports_errors_inline(hostile: HostileServer, fetcher: Fetcher):
    urls = [hostile.static(f"/p{i}", page(ITEMS[i % 3])) for i in range(5)] + [hostile.url("/missing")]
    out = list(fetcher.fetch_many(urls))
    assert [u for u, _ in out] == urls
    assert all(r.status == 200 for _, r in out[:5])
    assert isinstance(out[5][1], FetchError) and out[5][1].reason == "HTTP 404 Not Found"


# -- hostile input ---------------------------------------------------------------------------------


def test_entity_bomb_feed_is_refused_without_expansion(hostile: HostileServer, fetcher: Fetcher, net):
    url = hostile.static("/bomb.xml", entity_bomb(), "application/rss+xml")
    out = list(iter_url(url, net, fetcher))
    assert len(out) == 1
    assert "XML entities" in out[0].reason and "refused" in out[0].reason


def test_utf16_entity_bomb_is_refused_too(hostile: HostileServer, fetcher: Fetcher, net):
    text = entity_bomb().decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>')
    url = hostile.static("/bomb16.xml", text.encode("utf-16"), "application/xml")
    out = list(iter_url(url, net, fetcher))
    assert len(out) == 1 and "XML entities" in out[0].reason


def test_huge_page_is_cut_while_streaming(hostile: HostileServer, fetcher: Fetcher, net):
    url = hostile.huge("/huge", 50 * 1024 * 1024)  # 50 MB, no Content-Length: only the streamed cap can stop it
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url)
    assert _reason(ei).startswith("too large") and f"{net.max_bytes:,}" in _reason(ei)
    assert ei.value.retryable is False


def test_declared_huge_length_is_refused_before_reading(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.huge("/huge-cl", 50 * 1024 * 1024, declare_length=True)
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url)
    assert "Content-Length 52,428,800 bytes" in _reason(ei)


def test_gzip_bomb_is_capped_on_decoded_size(hostile: HostileServer, fetcher: Fetcher, net):
    url = hostile.gzipped("/gzbomb", b"<html><body>" + b"0" * (20 * 1024 * 1024))  # ~20 KB on the wire
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url)
    assert _reason(ei).startswith("too large")


def test_trickling_body_is_cut_at_total_timeout(hostile: HostileServer, net):
    url = hostile.trickle("/slow", interval=0.05)
    with Fetcher(net.replace(total_timeout=0.6, read_timeout=5.0), backoff=0.01) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(url)
    assert _reason(ei) == "total timeout: the transfer took longer than 0.6 s"
    assert hostile.hits["/slow"] == 1  # a total timeout is not retried


def test_trickling_headers_are_cut_at_total_timeout(hostile: HostileServer, net):
    url = hostile.trickle_headers("/slow-head", interval=0.05)
    with Fetcher(net.replace(total_timeout=0.6, read_timeout=5.0), backoff=0.01) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(url)
    assert _reason(ei).startswith("total timeout")


def test_hanging_server_hits_the_read_timeout_and_is_retried(hostile: HostileServer, net):
    url = hostile.hang("/hang")
    with Fetcher(net.replace(read_timeout=0.3, total_timeout=5.0, retries=1), backoff=0.01) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(url)
    assert _reason(ei).startswith("read timeout: the server sent nothing for 0.3 s")
    assert "gave up after 2 attempts" in _reason(ei)
    assert hostile.hits["/hang"] == 2


def test_redirect_loop_is_reported(hostile: HostileServer, fetcher: Fetcher):
    hostile.redirect("/loop-b", "/loop-a")
    url = hostile.redirect("/loop-a", "/loop-b")
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url)
    assert _reason(ei).startswith("redirect loop")


def test_redirect_chain_longer_than_the_limit_is_refused(hostile: HostileServer, fetcher: Fetcher, net):
    for i in range(net.max_redirects + 2):
        hostile.redirect(f"/r{i}", f"/r{i + 1}")
    hostile.static(f"/r{net.max_redirects + 2}", page(ITEMS[0]))
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(hostile.url("/r0"))
    assert _reason(ei).startswith(f"too many redirects (more than {net.max_redirects}")


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf", "application/pdf (a PDF document)"),
        (b"%PDF-1.7\n1 0 obj", "text/html", "the body is a PDF document (text/html)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "the body is a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", "image/jpeg (an image)"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream", "the body is a binary file"),
    ],
)
def test_pdf_and_images_are_refused_with_a_clear_reason(hostile, fetcher, net, body, ctype, expected):
    url = hostile.static("/file", body, ctype)
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url)
    assert _reason(ei).startswith("not an HTML page or feed") and expected in _reason(ei)
    skipped = list(iter_url(url, net, fetcher))
    assert len(skipped) == 1 and expected in skipped[0].reason


def test_500_then_200_is_retried(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.flaky("/flaky", failures=1, body=page(ITEMS[2]))
    res = fetcher.fetch(url)
    assert res.status == 200 and b"Late frost" in res.payload
    assert hostile.hits["/flaky"] == 2


def test_persistent_503_gives_up_after_the_configured_retries(hostile: HostileServer, fetcher: Fetcher, net):
    url = hostile.flaky("/down", failures=10, body="never", status=503)
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(url)
    assert _reason(ei) == f"HTTP 503 Service Unavailable (gave up after {net.retries + 1} attempts)"
    assert hostile.hits["/down"] == net.retries + 1


def test_retry_after_is_honoured(hostile: HostileServer, net):
    waits: list[float] = []
    url = hostile.flaky("/busy", failures=1, body=page(ITEMS[0]), status=429, headers={"Retry-After": "3"})
    with Fetcher(net, backoff=0.01, sleep=waits.append) as f:
        assert f.fetch(url).status == 200
    assert waits == [3.0]


def test_404_is_final_at_once(hostile: HostileServer, fetcher: Fetcher):
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(hostile.url("/nothing-here"))
    assert ei.value.status == 404 and not ei.value.retryable
    assert hostile.hits["/nothing-here"] == 1


def test_conditional_get_gets_304_not_modified(hostile: HostileServer, fetcher: Fetcher, net):
    lm = "Mon, 04 Mar 2024 08:00:00 GMT"
    url = hostile.conditional("/feed.xml", rss20(ITEMS, hostile.base), etag='"v1"', last_modified=lm)
    first = fetcher.fetch(url)
    assert first.status == 200 and first.etag == '"v1"' and first.last_modified == lm
    second = fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.payload == b""
    sent = hostile.headers_for("/feed.xml")
    assert "if-none-match" not in sent[0] and sent[1]["if-none-match"] == '"v1"'
    assert sent[1]["if-modified-since"] == lm
    # validators kept on the fetcher apply to plain fetches (what iter_url does)
    fetcher.validators[url] = (first.etag, first.last_modified)
    out = list(iter_url(url, net, fetcher))
    assert len(out) == 1 and out[0].reason == "not modified since the last fetch (HTTP 304)"


# -- politeness ------------------------------------------------------------------------------------


def test_robots_disallow_is_honoured_and_cached(hostile: HostileServer, fetcher: Fetcher, net):
    hostile.static(
        "/robots.txt", "User-agent: *\nAllow: /\n\nUser-agent: newsfuse\nDisallow: /private/\n", "text/plain"
    )
    secret = hostile.static("/private/page", page(ITEMS[0]))
    public = hostile.static("/public/page", page(ITEMS[1]))
    with pytest.raises(FetchError) as ei:
        fetcher.fetch(secret)
    assert _reason(ei).startswith("disallowed by robots.txt")
    assert hostile.hits["/private/page"] == 0
    assert fetcher.fetch(public).status == 200
    assert hostile.hits["/robots.txt"] == 1  # cached per host
    out = list(iter_url(secret, net, fetcher))
    assert len(out) == 1 and out[0].reason.startswith("disallowed by robots.txt")
    with Fetcher(net.replace(respect_robots=False)) as impolite:
        assert impolite.fetch(secret).status == 200


def test_missing_robots_allows_and_broken_robots_refuses(hostile: HostileServer, net):
    url = hostile.static("/a", page(ITEMS[0]))
    with Fetcher(net, backoff=0.01) as f:
        assert f.fetch(url).status == 200  # /robots.txt is a 404: everything allowed
    hostile.static("/robots.txt", "oops", "text/plain", status=503)
    with Fetcher(net.replace(retries=0), backoff=0.01) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(url)
    assert _reason(ei).startswith("robots.txt unavailable (HTTP 503")


def test_unreachable_host_is_reported_as_such_and_temporary(net):
    import socket

    with socket.socket() as sock:  # a port on 127.0.0.1 that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Fetcher(net.replace(retries=0), backoff=0.01) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(f"http://127.0.0.1:{port}/feed")
    assert _reason(ei).startswith("cannot connect:") and _reason(ei).endswith("(fetching robots.txt)")
    assert ei.value.temporary and not ei.value.retryable


def test_crawl_delay_and_per_host_delay_space_requests(hostile: HostileServer, net):
    hostile.static("/robots.txt", "User-agent: *\nCrawl-delay: 7\n", "text/plain")
    urls = [hostile.static(f"/d{i}", page(ITEMS[0])) for i in range(3)]
    waits: list[float] = []
    with Fetcher(net.replace(per_host_delay=2.0), sleep=waits.append) as f:
        for u in urls:
            f.fetch(u)
    # robots.txt, then 3 pages: the first page waits out the per-host delay after robots.txt, each later
    # one the robots.txt Crawl-delay more. The fake sleep returns at once, so the schedule accumulates:
    # waits are about 2, 9 and 16 s.
    assert len(waits) == 3
    assert 1.0 < waits[0] <= 2.0
    assert all(6.0 < later - earlier <= 7.0 for earlier, later in zip(waits, waits[1:], strict=False))


def test_per_host_concurrency_is_limited(hostile: HostileServer, net):
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(h):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        h.send(200, page(ITEMS[0]))

    for i in range(6):
        hostile.route(f"/c{i}", slow)
    urls = [hostile.url(f"/c{i}") for i in range(6)]
    with Fetcher(net.replace(per_host_concurrency=2, respect_robots=False), max_workers=6) as f:
        results = list(f.fetch_many(urls))
    assert all(not isinstance(r, FetchError) for _, r in results)
    assert state["max"] == 2
    state["max"] = 0
    with Fetcher(net.replace(per_host_concurrency=1, respect_robots=False), max_workers=6) as f:
        list(f.fetch_many(urls))
    assert state["max"] == 1


# -- SSRF guard ------------------------------------------------------------------------------------


@pytest.fixture
def strict(settings: Settings) -> Settings:
    return settings.replace(allow_private_addresses=False, per_host_delay=0.0, retries=0)


def test_ssrf_guard_refuses_loopback_without_contacting_it(hostile: HostileServer, strict: Settings):
    url = hostile.static("/internal", page(ITEMS[0]))
    with Fetcher(strict) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(url)
    assert _reason(ei).startswith("refused by the SSRF guard: 127.0.0.1 is a loopback address")
    assert sum(hostile.hits.values()) == 0
    out = list(iter_url(url, strict))
    assert len(out) == 1 and "SSRF guard" in out[0].reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        ("http://[::ffff:10.0.0.1]/", "an IPv6 form of 10.0.0.1, a private address"),
        ("http://0.0.0.0:8080/", "0.0.0.0 is an unspecified address"),
        ("http://localhost:8080/", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://2130706433:8080/", "2130706433 resolves to 127.0.0.1, a loopback address"),
    ],
)
def test_ssrf_guard_refuses_non_public_addresses(strict: Settings, url: str, expected: str):
    with pytest.raises(FetchError) as ei:
        check_url(url, strict)
    assert "SSRF guard" in _reason(ei) and expected in _reason(ei)


def test_hostname_resolving_to_loopback_is_refused(hostile: HostileServer, strict: Settings):
    port = hostile.server_address[1]
    resolver = {"intranet.example": ["127.0.0.1"]}.__getitem__
    with Fetcher(strict, resolver=lambda host, _port: resolver(host)) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(f"http://intranet.example:{port}/")
    assert "intranet.example resolves to 127.0.0.1, a loopback address" in _reason(ei)
    assert sum(hostile.hits.values()) == 0


def test_dns_rebinding_is_caught_at_connect_time(hostile: HostileServer, strict: Settings):
    """The first answer is public (passes the URL check), the next one loopback: the transport refuses it."""
    port = hostile.server_address[1]
    answers = iter([["93.184.215.14"], ["127.0.0.1"], ["127.0.0.1"]])
    with Fetcher(strict.replace(respect_robots=False), resolver=lambda host, _port: next(answers)) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(f"http://rebind.example:{port}/")
    assert "rebind.example resolves to 127.0.0.1, a loopback address" in _reason(ei)
    assert sum(hostile.hits.values()) == 0


def test_every_redirect_hop_is_checked(strict: Settings):
    def app(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "news.example"  # the refused hop is never requested
        return httpx.Response(302, headers={"Location": "http://10.0.0.1/admin"})

    public = lambda host, _port: ["93.184.215.14"] if host == "news.example" else [host]  # noqa: E731
    with Fetcher(strict.replace(respect_robots=False), transport=httpx.MockTransport(app), resolver=public) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch("http://news.example/story")
    assert "10.0.0.1 is a private address" in _reason(ei)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://news.example/feed", "scheme 'ftp' is not http or https"),
        ("file:///etc/passwd", "scheme 'file' is not http or https"),
        ("http://user:secret@news.example/", "the URL carries credentials"),
        ("http://news.example:22/", "port 22 is not allowed"),
        ("http://news.example:6379x/", "invalid URL"),
    ],
)
def test_url_policy_refuses_before_any_lookup(strict: Settings, url: str, expected: str):
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("must not resolve")

    with Fetcher(strict, resolver=no_dns) as f:
        with pytest.raises(FetchError) as ei:
            f.fetch(url)
    assert expected in _reason(ei)


def test_allow_private_addresses_lifts_the_guard(hostile: HostileServer, net: Settings):
    assert net.allow_private_addresses
    with Fetcher(net) as f:
        assert f.fetch(hostile.static("/ok", page(ITEMS[0]))).status == 200


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("192.168.1.1", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("224.0.0.251", False),
        ("240.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 form of 127.0.0.1
        ("2002:7f00:1::", False),  # 6to4 form of 127.0.0.1
    ],
)
def test_address_problem(address: str, public: bool):
    assert (address_problem(address) is None) is public
