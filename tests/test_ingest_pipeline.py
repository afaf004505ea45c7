"""Network ingest through the real ``Pipeline`` (extract, dedupe, cluster, store) on a local server.

The store-level guarantees: re-ingesting a feed stores nothing new, hostile input after a good
ingest leaves every stored article as it was, an interrupted ingest reruns cleanly, and watch rounds
only add what is new. A small hashing encoder stands in for MiniLM so these tests stay fast.
"""

from __future__ import annotations

import pytest

from newsfuse.ingest.http import Fetcher
from newsfuse.ingest.watch import Watcher

try:
    from .hostile_server import HostileServer, hostile  # noqa: F401
    from .ingest_fixtures import ITEMS, HashingEncoder, atom, entity_bomb, page, rss20
except ImportError:
    from hostile_server import HostileServer, hostile  # noqa: F401
    from ingest_fixtures import ITEMS, HashingEncoder, atom, entity_bomb, page, rss20

pipeline_mod = pytest.importorskip("newsfuse.pipeline", reason="newsfuse.pipeline is not importable yet")
for _stage in ("newsfuse.extract", "newsfuse.cluster"):
    pytest.importorskip(_stage, reason=f"{_stage} is not importable yet")


@pytest.fixture
def pipe(settings):
    net = settings.replace(per_host_delay=0.0, retries=1, read_timeout=5.0, total_timeout=10.0, max_bytes=1_000_000)
    fetcher = Fetcher(net, backoff=0.01)
    p = pipeline_mod.Pipeline(net, encoder=HashingEncoder(), fetcher=fetcher)
    yield p
    p.close()


def _snapshot(pipe) -> dict[str, tuple[str, str, str | None]]:
    return {a.id: (a.title, a.text, a.story_id) for a in pipe.repo.list_articles()}


def test_reingesting_a_feed_stores_nothing_new(hostile: HostileServer, pipe):
    url = hostile.static("/rss", rss20(ITEMS, hostile.base), "application/rss+xml")
    first = pipe.ingest([url])
    assert (first.stored, first.skipped) == (3, [])
    before = _snapshot(pipe)
    second = pipe.ingest([url])
    assert (second.stored, second.unchanged) == (0, 3)
    assert _snapshot(pipe) == before
    assert {a.title for a in pipe.repo.list_articles()} == {it.title for it in ITEMS}


def test_summary_only_feed_is_stored_from_the_pages(hostile: HostileServer, pipe):
    for item in ITEMS:
        hostile.static(f"/news/{item.slug}", page(item))
    report = pipe.ingest([hostile.static("/atom", atom(ITEMS, hostile.base, full=False), "application/atom+xml")])
    assert report.stored == 3, report.skipped
    by_url = {a.url: a for a in pipe.repo.list_articles()}
    for item in ITEMS:
        art = by_url[f"{hostile.base}/news/{item.slug}"]
        assert art.title == item.title
        assert item.paragraphs[1][:50] in art.text


def test_hostile_input_after_a_good_ingest_changes_nothing(hostile: HostileServer, pipe):
    hostile.static("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    good = hostile.static("/rss", rss20(ITEMS, hostile.base), "application/rss+xml")
    assert pipe.ingest([good]).stored == 3
    before, count = _snapshot(pipe), pipe.repo.count_articles()
    hostile.redirect("/loop-b", "/loop-a")
    bad = [
        hostile.static("/bomb", entity_bomb(), "application/rss+xml"),
        hostile.huge("/huge", 50 * 1024 * 1024),
        hostile.trickle("/slow", interval=0.05),
        hostile.static("/doc.pdf", b"%PDF-1.5\n", "application/pdf"),
        hostile.redirect("/loop-a", "/loop-b"),
        hostile.flaky("/down", failures=10, body="x", status=500),
        hostile.static("/private/page", page(ITEMS[0])),
        hostile.static("/empty", b"", "text/html"),
    ]
    # the same store and stages, with a fetcher whose total timeout is short enough for the trickle
    tight = pipe.settings.replace(total_timeout=1.0, read_timeout=1.0)
    with Fetcher(tight, backoff=0.01) as fetcher:
        hostile_pipe = pipeline_mod.Pipeline(tight, repo=pipe.repo, encoder=pipe.encoder, fetcher=fetcher)
        report = hostile_pipe.ingest(bad)
    assert report.stored == 0 and len(report.skipped) == len(bad)
    reasons = dict(report.skipped)
    assert "XML entities" in reasons[bad[0]]
    assert reasons[bad[1]].startswith("too large")
    assert reasons[bad[2]].startswith("total timeout")
    assert "PDF" in reasons[bad[3]]
    assert reasons[bad[4]].startswith("redirect loop")
    assert reasons[bad[5]].startswith("HTTP 500")
    assert reasons[bad[6]].startswith("disallowed by robots.txt")
    assert reasons[bad[7]] == "empty response body"
    assert pipe.repo.count_articles() == count and _snapshot(pipe) == before


def test_interrupted_ingest_reruns_cleanly(hostile: HostileServer, pipe):
    from newsfuse.ingest import iter_raw

    url = hostile.static("/rss", rss20(ITEMS, hostile.base), "application/rss+xml")

    def interrupted():
        for i, doc in enumerate(iter_raw([url], pipe.settings, fetcher=pipe.fetcher)):
            if i == 2:
                raise KeyboardInterrupt
            yield doc

    with pytest.raises(KeyboardInterrupt):
        pipe.ingest_raw(interrupted(), batch_size=1)
    kept = pipe.repo.count_articles()
    assert kept <= 2
    again = pipe.ingest([url])
    assert again.stored == 3 - kept and again.unchanged == kept
    assert pipe.repo.count_articles() == 3


def test_ingesting_a_summary_only_feed_again_fetches_only_pages_not_stored(hostile: HostileServer, pipe):
    """Found in review: each rerun fetched every linked page again (a second per page at the default
    politeness delay) only to find it stored, and the entries past the per-feed limit were never reached."""
    for item in ITEMS:
        hostile.static(f"/news/{item.slug}", page(item))
    url = hostile.static("/atom2", atom(ITEMS[:2], hostile.base, full=False), "application/atom+xml")
    assert pipe.ingest([url]).stored == 2
    hostile.static("/atom2", atom(ITEMS, hostile.base, full=False), "application/atom+xml")
    again = pipe.ingest([url])
    assert (again.stored, again.unchanged) == (1, 0)
    assert [hostile.hits[f"/news/{item.slug}"] for item in ITEMS] == [1, 1, 1]
    assert pipe.repo.count_articles() == 3


def test_watch_rounds_add_only_what_is_new(hostile: HostileServer, pipe):
    for item in ITEMS:
        hostile.static(f"/news/{item.slug}", page(item))
    lm = "Mon, 04 Mar 2024 08:00:00 GMT"
    url = hostile.conditional("/feed", rss20(ITEMS[:2], hostile.base, full=False), '"a"', lm)
    pipe.repo.add_feed(url)
    watcher = Watcher(pipe)
    assert watcher.run_round().stored == 2
    assert watcher.run_round().polls[0].status == "not modified"
    hostile.conditional("/feed", rss20(ITEMS, hostile.base, full=False), '"b"', lm)
    third = watcher.run_round()
    assert third.stored == 1 and third.polls[0].followed == 1
    assert pipe.repo.count_articles() == 3
    assert pipe.repo.list_feeds()[0].etag == '"b"'
