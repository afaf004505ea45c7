"""``newsfuse serve --watch``: the background poller ingests a feed served on 127.0.0.1, and the new story
shows up in the API and on the front page while the server keeps answering."""

from __future__ import annotations

import html
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from test_serve_support import BUDGET, TOKEN, FixturePipeline, HashingEncoder, LexicalChecker, LiveServer, fill_store

pytest.importorskip("newsfuse.ingest.watch", reason="needs the ingest stage's feed watcher")


def _rss(base: str) -> bytes:
    items = []
    for i, art in enumerate(BUDGET, start=1):
        body = "".join(f"<p>{html.escape(p)}</p>" for p in art["text"].split("\n"))
        body += "<p>" + html.escape(" ".join(["The vote followed a long public hearing at city hall."] * 3)) + "</p>"
        items.append(
            f"<item><title>{html.escape(art['title'])}</title><link>{base}/a{i}</link>"
            f"<guid>{base}/a{i}</guid><pubDate>Mon, 13 May 2024 1{i}:00:00 GMT</pubDate>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Town Crier</title><link>{base}/</link><description>Local news</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


class _FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/feed.xml":
            body, ctype, status = _rss(base), "application/rss+xml", 200
        elif self.path in ("/a1", "/a2"):  # the entries' pages (short feed entries are followed)
            art = BUDGET[int(self.path[-1]) - 1]
            paras = "".join(f"<p>{html.escape(p)}</p>" for p in art["text"].split("\n"))
            page = f"<html><head><title>{html.escape(art['title'])}</title></head><body><article>"
            page += f"<h1>{html.escape(art['title'])}</h1>{paras}</article></body></html>"
            body, ctype, status = page.encode(), "text/html; charset=utf-8", 200
        else:
            body, ctype, status = b"not here", "text/plain", 404
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def feed_url():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/feed.xml"
    srv.shutdown()
    srv.server_close()


def test_watch_polls_feeds_in_the_background(tmp_path, feed_url):
    from newsfuse.config import load_settings
    from newsfuse.serve import create_app
    from newsfuse.store import open_repository

    db = str(tmp_path / "watch.sqlite3")
    fill_store(db)
    with open_repository(db) as repo:
        repo.add_feed(feed_url, "Town Crier")
    settings = load_settings(db=db, api_token=TOKEN, allow_private_addresses=True, per_host_delay=0.0)
    pipe = FixturePipeline(settings, encoder=HashingEncoder(), checker=LexicalChecker())
    app = create_app(settings, pipe, watch_every=3600, prefetch_briefs=False)
    with LiveServer(app) as srv:
        deadline = time.monotonic() + 60
        feeds = []
        while time.monotonic() < deadline:
            feeds = httpx.get(f"{srv.url}/api/feeds").json()
            if feeds and feeds[0]["last_checked"]:
                break
            time.sleep(0.2)
        assert feeds and feeds[0]["last_checked"], "the watcher never polled the feed"
        assert feeds[0]["error"] in (None, ""), feeds[0]
        assert app.state.watcher.rounds >= 1
        listed = httpx.get(f"{srv.url}/api/articles", params={"limit": 50}).json()["items"]
        arts = [a for a in listed if (a["url"] or "").startswith(feed_url.rsplit("/", 1)[0])]
        assert len(arts) == 2, arts
        assert {a["title"] for a in arts} == {b["title"] for b in BUDGET}
        assert all(a["story_id"] for a in arts)
        front = httpx.get(f"{srv.url}/")
        assert front.status_code == 200 and "Tram lines win funding in city budget" in front.text
    pipe.close()
