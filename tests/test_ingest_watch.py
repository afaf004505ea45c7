"""Feed polling (``Watcher``) against a local server, with a recording stand-in for the pipeline so the
tests exercise the network and feed-state logic only (the real pipeline is in test_ingest_pipeline.py)."""

from __future__ import annotations

import pytest

from newsfuse.config import Settings
from newsfuse.ingest import Skipped
from newsfuse.ingest.http import Fetcher
from newsfuse.ingest.watch import Watcher, parse_interval, seen_links_key
from newsfuse.model import IngestReport
from newsfuse.store import open_repository

try:
    from .hostile_server import HostileServer, hostile  # noqa: F401
    from .ingest_fixtures import ITEMS, page, rss20
except ImportError:
    from hostile_server import HostileServer, hostile  # noqa: F401
    from ingest_fixtures import ITEMS, page, rss20

LM1 = "Mon, 04 Mar 2024 08:00:00 GMT"
LM2 = "Tue, 05 Mar 2024 13:00:00 GMT"


class RecordingPipeline:
    """What ``Watcher`` needs from ``Pipeline``: settings, repo, fetcher, ingest_raw (keyed by URL here)."""

    def __init__(self, settings: Settings, fetcher: Fetcher) -> None:
        self.settings = settings
        self.repo = open_repository(settings.db)
        self.fetcher = fetcher
        self.stored: dict[str, object] = {}

    def ingest_raw(self, docs, progress=None, batch_size=32) -> IngestReport:
        report = IngestReport()
        for doc in docs:
            report.seen += 1
            if isinstance(doc, Skipped):
                report.skip(doc.location, doc.reason)
            elif (doc.url or doc.location) in self.stored:
                report.unchanged += 1
            else:
                self.stored[doc.url or doc.location] = doc
                report.stored += 1
        return report


@pytest.fixture
def pipe(settings: Settings):
    net = settings.replace(per_host_delay=0.0, retries=1, read_timeout=2.0, total_timeout=5.0)
    with Fetcher(net, backoff=0.01) as f:
        p = RecordingPipeline(net, f)
        yield p
        p.repo.close()


def _serve_pages(hostile: HostileServer, items=ITEMS) -> None:
    for item in items:
        hostile.static(f"/news/{item.slug}", page(item))


def test_first_poll_ingests_and_stores_validators_then_304(hostile: HostileServer, pipe: RecordingPipeline):
    _serve_pages(hostile)
    url = hostile.conditional("/feed", rss20(ITEMS, hostile.base, full=False), '"v1"', LM1)
    pipe.repo.add_feed(url)
    watcher = Watcher(pipe)

    first = watcher.run_round(1)
    (poll,) = first.polls
    assert (poll.status, poll.stored, poll.followed, poll.error) == ("ok", 3, 3, None)
    (rec,) = pipe.repo.list_feeds()
    assert (rec.etag, rec.last_modified, rec.last_status, rec.error) == ('"v1"', LM1, "ok", None)
    assert rec.last_checked and rec.title == "Harbour Courier"

    second = watcher.run_round(2)
    assert second.polls[0].status == "not modified" and second.stored == 0
    assert hostile.headers_for("/feed")[-1]["if-none-match"] == '"v1"'
    assert all(hostile.hits[f"/news/{it.slug}"] == 1 for it in ITEMS)
    (rec,) = pipe.repo.list_feeds()
    assert rec.last_status == "not modified" and rec.etag == '"v1"'


def test_changed_feed_only_costs_requests_for_new_entries(hostile: HostileServer, pipe: RecordingPipeline):
    _serve_pages(hostile)
    url = hostile.conditional("/feed", rss20(ITEMS[:2], hostile.base, full=False), '"v1"', LM1)
    pipe.repo.add_feed(url, "Courier")
    watcher = Watcher(pipe)
    assert watcher.run_round().stored == 2
    hostile.conditional("/feed", rss20(ITEMS[1:], hostile.base, full=False), '"v2"', LM2)  # one new, one dropped
    again = watcher.run_round()
    assert again.stored == 1 and again.polls[0].followed == 1
    assert [hostile.hits[f"/news/{it.slug}"] for it in ITEMS] == [1, 1, 1]
    seen = pipe.repo.get_state(seen_links_key(url)).decode()
    assert ITEMS[0].slug not in seen and ITEMS[1].slug in seen and ITEMS[2].slug in seen  # pruned to the feed
    assert pipe.repo.list_feeds()[0].title == "Courier"  # a title given by the user is kept


def test_temporary_entry_failure_keeps_old_validators_and_retries_only_that_entry(
    hostile: HostileServer, pipe: RecordingPipeline
):
    _serve_pages(hostile, ITEMS[:2])
    hostile.flaky(f"/news/{ITEMS[2].slug}", failures=2, body=page(ITEMS[2]), status=503)  # fails both attempts once
    url = hostile.conditional("/feed", rss20(ITEMS, hostile.base, full=False), '"v1"', LM1)
    pipe.repo.add_feed(url)
    watcher = Watcher(pipe)

    (poll,) = watcher.run_round().polls
    assert poll.status == "partial" and poll.stored == 2
    assert "1 entry page(s) failed" in poll.error and "HTTP 503" in poll.error
    rec = pipe.repo.list_feeds()[0]
    assert rec.etag is None and rec.last_status == "partial"  # so the next poll refetches the feed

    (poll,) = watcher.run_round().polls
    assert (poll.status, poll.stored, poll.followed) == ("ok", 1, 1)
    assert hostile.hits[f"/news/{ITEMS[0].slug}"] == 1 and hostile.hits[f"/news/{ITEMS[2].slug}"] == 3
    assert pipe.repo.list_feeds()[0].etag == '"v1"'


def test_broken_feeds_are_recorded_and_do_not_stop_the_round(hostile: HostileServer, pipe: RecordingPipeline):
    _serve_pages(hostile)
    pipe.repo.add_feed(hostile.url("/gone"))
    pipe.repo.add_feed(hostile.static("/pdf", b"%PDF-1.4", "application/pdf"))
    good = hostile.static("/ok", rss20(ITEMS, hostile.base), "application/rss+xml")
    pipe.repo.add_feed(good)
    rr = Watcher(pipe).run_round()
    status = {p.url: p.status for p in rr.polls}
    assert status == {hostile.url("/gone"): "error", hostile.url("/pdf"): "error", good: "ok"}
    assert rr.stored == 3 and rr.count("error") == 2
    by_url = {f.url: f for f in pipe.repo.list_feeds()}
    assert by_url[hostile.url("/gone")].error == "HTTP 404 Not Found"
    assert "PDF" in by_url[hostile.url("/pdf")].error
    assert by_url[good].error is None
    assert rr.to_dict()["errors"] == 2


def test_run_counts_rounds_and_waits_between_them(hostile: HostileServer, pipe: RecordingPipeline):
    pipe.repo.add_feed(hostile.conditional("/feed", rss20(ITEMS, hostile.base), '"v1"', LM1))
    waits: list[tuple[float, int]] = []
    rounds: list[int] = []
    n = Watcher(pipe).run(
        600.0, rounds=3, on_round=lambda rr: rounds.append(rr.stored), wait=lambda s, k: waits.append((s, k))
    )
    assert n == 3 and rounds == [3, 0, 0]
    assert [k for _, k in waits] == [2, 3] and all(0 < s <= 600.0 for s, _ in waits)


def test_interrupt_mid_round_leaves_unpolled_feeds_untouched(hostile: HostileServer, pipe: RecordingPipeline):
    a = hostile.static("/a", rss20(ITEMS[:1], hostile.base), "application/rss+xml")
    b = hostile.static("/b", rss20(ITEMS[1:], hostile.base), "application/rss+xml")
    pipe.repo.add_feed(a)
    pipe.repo.add_feed(b)

    def on_feed(i, n, record):
        if i == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Watcher(pipe).run_round(on_feed=on_feed)
    by_url = {f.url: f for f in pipe.repo.list_feeds()}
    assert by_url[a].last_status == "ok" and by_url[b].last_checked is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10m", 600), ("30s", 30), ("1h30m", 5400), ("1.5h", 5400), ("45", 45), ("2d", 172800), ("500ms", 0.5)],
)
def test_parse_interval(text: str, seconds: float):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "10x", "0s", "-5m"])
def test_parse_interval_refuses_nonsense(text: str):
    with pytest.raises(ValueError):
        parse_interval(text)
