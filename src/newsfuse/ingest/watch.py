"""Polling the stored feeds: conditional GET, new entries through the pipeline, feed state kept.

One poll of a feed:

1. GET with ``If-None-Match`` / ``If-Modified-Since`` from the stored ``FeedRecord``; a 304 costs
   one request and changes nothing but ``last_checked``.
2. Otherwise the feed's documents (``iter_fetched``) go through ``pipeline.ingest_raw``, so already
   stored articles count as unchanged. Summary-only entries are followed to their page once: the
   links already fetched are remembered per feed in the store's state table (pruned to the links the
   feed still lists), so a changed feed only costs requests for its new entries.
3. The feed record is updated (status, error, validators) in one transaction. Validators are kept
   only when every new entry page came through or failed for good (404, refused ...); after a
   temporary failure (timeout, 5xx) the old validators stay, so the next poll refetches the feed
   and retries exactly the entries that are still missing.

Nothing about a feed is written before the pipeline has stored its articles, so a poll that is
interrupted (Ctrl-C, crash) is simply redone next time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..store.base import FeedRecord
from .feeds import feed_info, looks_like_feed
from .http import FetchError, FetchResult, iter_fetched

__all__ = ["Watcher", "PollResult", "RoundResult", "parse_interval", "seen_links_key"]

log = logging.getLogger("newsfuse.watch")

SEEN_LIMIT = 5000
_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?)?", re.I)
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """``"10m"`` -> 600.0; also ``90s``, ``1h30m``, ``1.5h``, ``2d``, or plain seconds (``"45"``)."""
    s = text.strip().lower().replace(" ", "")
    if not s:
        raise ValueError("empty interval")
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _INTERVAL.match(s, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text!r} as an interval (try 30s, 10m, 1h)")
        unit = (m.group(2) or "s").lower()
        key = "ms" if unit == "ms" else unit[0]
        total += float(m.group(1)) * _UNIT[key]
        pos = m.end()
    if total <= 0:
        raise ValueError(f"interval must be positive, got {text!r}")
    return total


def seen_links_key(feed_url: str) -> str:
    """The store state key holding the entry links already followed for ``feed_url``."""
    return "watch.seen." + hashlib.sha256(feed_url.encode("utf-8")).hexdigest()[:24]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class PollResult:
    url: str
    status: str  # "ok", "partial", "not modified", "error"
    stored: int = 0
    unchanged: int = 0
    skipped: int = 0
    followed: int = 0
    error: str | None = None
    skipped_reasons: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "stored": self.stored,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "followed": self.followed,
            "error": self.error,
        }


@dataclass
class RoundResult:
    number: int
    started: str
    polls: list[PollResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return sum(p.stored for p in self.polls)

    def count(self, status: str) -> int:
        return sum(1 for p in self.polls if p.status == status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.number,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "feeds": len(self.polls),
            "stored": self.stored,
            "not_modified": self.count("not modified"),
            "errors": self.count("error"),
            "partial": self.count("partial"),
            "polls": [p.to_dict() for p in self.polls],
        }


FeedHook = Callable[[int, int, FeedRecord], None]


class Watcher:
    """Polls every feed of ``pipeline.repo`` (see the module docstring).

    ``pipeline`` needs ``repo``, ``settings``, ``ingest_raw(docs)`` and (unless ``fetcher`` is given)
    ``fetcher``: the ``newsfuse.pipeline.Pipeline`` has all four.
    """

    def __init__(
        self,
        pipeline: Any,
        fetcher: Any | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pipeline = pipeline
        self.fetcher = fetcher if fetcher is not None else pipeline.fetcher
        self._sleep = sleep
        self._clock = clock

    @property
    def repo(self) -> Any:
        return self.pipeline.repo

    # -- one feed ---------------------------------------------------------------------------------
    def _load_seen(self, feed_url: str) -> set[str]:
        raw = self.repo.get_state(seen_links_key(feed_url))
        if not raw:
            return set()
        try:
            links = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return set()
        return {str(x) for x in links} if isinstance(links, list) else set()

    def poll(self, record: FeedRecord) -> PollResult:
        """Poll one feed, ingest what is new, and store the feed's new state. Never raises for network trouble."""
        checked = _now()
        try:
            result: FetchResult = self.fetcher.fetch(record.url, etag=record.etag, last_modified=record.last_modified)
        except FetchError as exc:
            self._save(record, checked, "error", exc.reason)
            return PollResult(record.url, "error", error=exc.reason)
        if result.not_modified:
            self._save(record, checked, "not modified", None)
            return PollResult(record.url, "not modified")

        seen = self._load_seen(record.url)
        listed: set[str] = set()  # summary-only links the feed lists now
        done: list[str] = []  # followed links that need no retry
        retry: dict[str, str] = {}  # followed links that failed for now -> reason

        def skip_link(link: str) -> bool:
            listed.add(link)
            return link in seen

        def on_follow(link: str, outcome: object) -> None:
            listed.add(link)
            if isinstance(outcome, FetchError) and outcome.temporary:
                retry[link] = outcome.reason
            else:
                done.append(link)

        docs = iter_fetched(result, self.pipeline.settings, self.fetcher, skip_link=skip_link, on_follow=on_follow)
        try:
            report = self.pipeline.ingest_raw(docs)
        except Exception as exc:  # noqa: BLE001 - one feed must not stop the watch
            log.exception("ingest of %s failed", record.url)
            reason = f"ingest failed: {type(exc).__name__}: {exc}"
            self._save(record, checked, "error", reason)
            return PollResult(record.url, "error", error=reason)

        if not record.title and looks_like_feed(result.payload):
            try:
                record.title = feed_info(result.payload).get("title") or None
            except Exception:  # noqa: BLE001 - a title is a nicety
                pass
        new_seen = sorted(({link for link in listed if link in seen} | set(done)) - set(retry))[-SEEN_LIMIT:]
        if retry:
            first = next(iter(retry.items()))
            error = f"{len(retry)} entry page(s) failed, retried next poll (first: {first[0]}: {first[1]})"
            status = "partial"
        else:
            error, status = None, "ok"
            record.etag, record.last_modified = result.etag, result.last_modified
        self._save(record, checked, status, error, new_seen)
        return PollResult(
            record.url,
            status,
            stored=report.stored,
            unchanged=report.unchanged,
            skipped=len(report.skipped),
            followed=len(done) + len(retry),
            error=error,
            skipped_reasons=list(report.skipped),
        )

    def _save(
        self, record: FeedRecord, checked: str, status: str, error: str | None, seen: list[str] | None = None
    ) -> None:
        record.last_checked, record.last_status, record.error = checked, status, error
        with self.repo.transaction():
            self.repo.update_feed(record)
            if seen is not None:
                self.repo.set_state(seen_links_key(record.url), json.dumps(seen).encode("utf-8"))

    # -- rounds -----------------------------------------------------------------------------------
    def run_round(self, number: int = 1, on_feed: FeedHook | None = None) -> RoundResult:
        """Poll every stored feed once, in the order they were added."""
        started = self._clock()
        rr = RoundResult(number=number, started=_now())
        feeds = self.repo.list_feeds()
        for i, record in enumerate(feeds, start=1):
            if on_feed:
                on_feed(i, len(feeds), record)
            rr.polls.append(self.poll(record))
        rr.seconds = self._clock() - started
        return rr

    def run(
        self,
        every: float,
        rounds: int | None = None,
        on_round: Callable[[RoundResult], None] | None = None,
        on_feed: FeedHook | None = None,
        wait: Callable[[float, int], None] | None = None,
    ) -> int:
        """Poll every ``every`` seconds (start to start) until ``rounds`` are done (forever if None).

        ``wait(seconds, next_round)`` does the waiting between rounds (default: sleep). Returns the
        number of rounds run. Ctrl-C (KeyboardInterrupt) propagates to the caller, between or during polls.
        """
        number = 0
        while True:
            number += 1
            start = self._clock()
            rr = self.run_round(number, on_feed)
            if on_round:
                on_round(rr)
            if rounds is not None and number >= rounds:
                return number
            pause = max(0.0, every - (self._clock() - start))
            if wait:
                wait(pause, number + 1)
            elif pause:
                self._sleep(pause)
