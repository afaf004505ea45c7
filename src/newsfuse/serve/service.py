"""What the API and the web pages share: story listing and ranking, filters, coverage, brief jobs, checks.

``NewsService`` wraps one ``Pipeline``. Reads go straight to the store; heavy work (building a brief,
checking a summary, ingesting) runs on small thread pools so the event loop never blocks, and all
ingestion (API posts and the feed watcher) is serialised by one lock because the clusterer's state is
read, updated and written back by each ingest run.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import Settings
from ..model import Article, Brief, CheckReport, IngestReport, RawDocument, Story, instant, text_hash
from ..store import ArticleQuery
from .security import ApiError

__all__ = [
    "NewsService",
    "StoryFilter",
    "BriefState",
    "parse_time",
    "coverage",
    "SourceSpec",
    "headline",
    "clip",
    "root_of",
]

log = logging.getLogger("newsfuse.serve")

_FAILURE_TTL_S = 300.0
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NEVER = datetime.min.replace(tzinfo=UTC)


def _when(article: Article) -> datetime:
    """When an article appeared, for ordering: its publication time, else when it was fetched."""
    return instant(article.published) or instant(article.fetched_at) or _NEVER


parse_time = instant  # ISO 8601 date or date-time -> aware UTC datetime; None for empty or unreadable


def parse_filter_time(name: str, value: str | None) -> datetime | None:
    """Like ``parse_time`` for a user-supplied filter: unreadable input is a 400, not a silent no-op.
    ``until`` given as a plain date means the end of that day: ``until=2026-03-02`` keeps a story first
    seen on the afternoon of March 2."""
    if value is None or not value.strip():
        return None
    dt = parse_time(value)
    if dt is None:
        raise ApiError(400, "bad_request", f"{name}: {value!r} is not an ISO 8601 date or date-time (e.g. 2024-05-01)")
    if name == "until" and _PLAIN_DATE.fullmatch(value.strip()):
        dt += timedelta(days=1, microseconds=-1)
    return dt


@dataclass
class StoryFilter:
    since: datetime | None = None
    until: datetime | None = None
    outlet: str | None = None
    entity: str | None = None
    q: str | None = None
    sort: str = "rank"  # rank | recent | outlets

    @property
    def active(self) -> bool:
        return any([self.since, self.until, self.outlet, self.entity, self.q])


@dataclass
class BriefState:
    """Where a story's brief stands: ``ready`` (with ``brief``), ``building``, ``unavailable`` or ``failed``."""

    status: str
    brief: Brief | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message}


@dataclass
class SourceSpec:
    """One check source: exactly one of text, url or article_id."""

    text: str | None = None
    url: str | None = None
    article_id: str | None = None
    outlet: str | None = None
    title: str | None = None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class _Listed:
    story: Story
    brief: Brief | None
    score: float
    last: datetime  # last seen (the epoch when unknown)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def root_of(scope: Any) -> str:
    """The path prefix the app is mounted under (ASGI ``root_path``), without a trailing slash."""
    return str(scope.get("root_path", "")).rstrip("/")


def headline(story: Story, brief: Brief | None) -> str:
    """What to call a story: its brief's headline, else its title."""
    return (brief.headline if brief and brief.headline else story.title) or "(untitled story)"


def clip(text: str, chars: int) -> str:
    """``text`` on one line, cut at a word boundary to at most about ``chars`` characters."""
    t = " ".join(text.split())
    return t if len(t) <= chars else t[:chars].rsplit(" ", 1)[0] + "…"


def coverage(brief: Brief | None, articles: Sequence[Article]) -> dict[str, Any]:
    """Which outlet reports which fact of the brief, and what only one outlet reports.

    Rows come from the key points, the facts most outlets agree on and the single-outlet facts
    (deduplicated by text), most widely reported first.
    """
    outlets = sorted({a.outlet for a in articles} | set(brief.outlets if brief else []))
    per_outlet = Counter(a.outlet for a in articles)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    if brief is not None:
        for kind, items in (
            ("key_point", brief.key_points),
            ("agreement", brief.agreement),
            ("only_one", brief.only_one),
        ):
            for kp in items:
                key = _norm(kp.text)
                if not key or key in seen:
                    continue
                seen.add(key)
                rows.append({"text": kp.text, "kind": kind, "outlets": sorted({c.outlet for c in kp.citations})})
    rows.sort(key=lambda r: -len(r["outlets"]))
    only_one = [{"outlet": r["outlets"][0], "text": r["text"]} for r in rows if len(r["outlets"]) == 1]
    return {
        "outlets": outlets,
        "articles_per_outlet": {o: per_outlet.get(o, 0) for o in outlets},
        "rows": rows,
        "only_one": only_one,
    }


class NewsService:
    """The serving layer's access to the pipeline (thread-safe; one per app)."""

    def __init__(self, settings: Settings, pipeline: Any, *, brief_wait_s: float = 8.0, prefetch: bool = True) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.brief_wait_s = brief_wait_s
        self.prefetch = prefetch
        self.brief_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsfuse-brief")
        self.work_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsfuse-work")
        self.ingest_lock = threading.Lock()
        self._jobs: dict[str, Future[Brief]] = {}
        self._failures: dict[str, tuple[float, str, str]] = {}  # story id -> (time, status, message)
        self._jobs_lock = threading.Lock()
        self._search_cache: OrderedDict[tuple[Any, ...], str] = OrderedDict()
        self._search_lock = threading.Lock()
        self._watcher: Any = None
        self._rounds = 0

    @property
    def repo(self) -> Any:
        return self.pipeline.repo

    def close(self) -> None:
        self.brief_pool.shutdown(wait=False, cancel_futures=True)
        self.work_pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run blocking ``fn`` on the work pool without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.work_pool, lambda: fn(*args))

    # -- stories ------------------------------------------------------------------------------------------
    def story(self, story_id: str) -> Story:
        story = self.repo.get_story(story_id)
        if story is None:
            raise ApiError(404, "not_found", f"no story with id {story_id!r}")
        return story

    def resolve_story(self, story_id: str) -> Story:
        """The story, following merges to the story it now lives in."""
        story = self.story(story_id)
        hops = 0
        while story.status == "merged" and story.merged_into and hops < 20:
            nxt = self.repo.get_story(story.merged_into)
            if nxt is None:
                break
            story, hops = nxt, hops + 1
        return story

    def story_articles(self, story_id: str, include_duplicates: bool = True) -> list[Article]:
        arts = self.repo.list_articles(ArticleQuery(story_id=story_id, include_duplicates=include_duplicates))
        return sorted(arts, key=lambda a: (_when(a), a.outlet))

    def list_stories(
        self, flt: StoryFilter, limit: int, offset: int, stories: Sequence[Story] | None = None
    ) -> tuple[list[_Listed], int]:
        """Stories matching ``flt``, ranked, and the total count before paging.

        Briefs are read only for the page shown, unless a text or entity filter needs them for matching.
        ``stories`` lets a caller that already listed the store reuse that list.
        """
        stories = self.repo.list_stories() if stories is None else stories
        times = [parse_time(s.last_seen) for s in stories]
        newest = max((t for t in times if t), default=None)
        listed: list[_Listed] = []
        outlet = flt.outlet.strip().lower() if flt.outlet else None
        terms = _norm(flt.q).split() if flt.q else []
        entity = _norm(flt.entity) if flt.entity else ""
        if (flt.q and flt.q.strip() and not terms) or (flt.entity and flt.entity.strip() and not entity):
            return [], 0  # a search with no word in it ("🔥", "---") matches nothing; it is not "no filter"
        for story, last in zip(stories, times, strict=True):
            first = parse_time(story.first_seen) or last
            if flt.since and (last is None or last < flt.since):
                continue
            if flt.until and (first is None or first > flt.until):
                continue
            if outlet and outlet not in {o.lower() for o in story.outlets}:
                continue
            item = _Listed(story, None, self._score(story, last, newest), last or _EPOCH)
            if terms or entity:
                item.brief = self.repo.get_brief(story.id)
                padded = f" {self._search_blob(story, item.brief)} "
                if terms and not all(f" {t} " in padded or (len(t) >= 4 and t in padded) for t in terms):
                    continue
                if entity and not self._entity_match(entity, item.brief, padded):
                    continue
            listed.append(item)
        if flt.sort == "recent":
            listed.sort(key=lambda x: (x.last, len(x.story.outlets)), reverse=True)
        elif flt.sort == "outlets":
            listed.sort(key=lambda x: (len(x.story.outlets), x.last), reverse=True)
        else:
            listed.sort(key=lambda x: (x.score, len(x.story.outlets), x.last), reverse=True)
        page = listed[offset : offset + limit]
        for item in page:
            if item.brief is None:
                item.brief = self.repo.get_brief(item.story.id)
        return page, len(listed)

    @staticmethod
    def _score(story: Story, last: datetime | None, newest: datetime | None) -> float:
        """Rank: more outlets is better, halved for every day a story is older than the newest one."""
        outlets = math.log2(1 + len(story.outlets))
        if last is None or newest is None:
            return outlets * 0.01
        age_days = max(0.0, (newest - last).total_seconds() / 86400.0)
        return outlets * 0.5**age_days

    def _search_blob(self, story: Story, brief: Brief | None) -> str:
        key = (story.id, len(story.article_ids), story.last_seen, brief.generated_at if brief else None, story.title)
        with self._search_lock:
            if key in self._search_cache:
                self._search_cache.move_to_end(key)
                return self._search_cache[key]
        parts = [story.title, " ".join(story.outlets)]
        if brief is not None:
            parts += [brief.headline, *(k.text for k in brief.key_points), *(e.name for e in brief.entities)]
        for art in self.repo.list_articles(ArticleQuery(story_id=story.id, include_duplicates=False)):
            parts += [art.title, art.text]
        blob = _norm(" ".join(p for p in parts if p))
        with self._search_lock:
            self._search_cache[key] = blob
            while len(self._search_cache) > 4096:
                self._search_cache.popitem(last=False)
        return blob

    @staticmethod
    def _entity_match(entity: str, brief: Brief | None, padded_blob: str) -> bool:
        if brief is not None and brief.entities:
            return any(entity == _norm(e.name) or f" {entity} " in f" {_norm(e.name)} " for e in brief.entities)
        return f" {entity} " in padded_blob

    def outlets(self, stories: Sequence[Story] | None = None) -> list[str]:
        names: set[str] = set()
        for s in self.repo.list_stories() if stories is None else stories:
            names.update(s.outlets)
        return sorted(names, key=str.lower)

    # -- briefs -------------------------------------------------------------------------------------------
    def _build(self, story_id: str, rebuild: bool) -> Brief:
        try:
            brief = self.pipeline.brief(story_id, rebuild=rebuild)
        except ImportError as exc:
            with self._jobs_lock:
                self._failures[story_id] = (time.monotonic(), "unavailable", "the brief builder is not installed")
            log.warning("brief builder unavailable: %s", exc)
            raise
        except Exception:
            with self._jobs_lock:
                self._failures[story_id] = (time.monotonic(), "failed", "building the brief failed; see the server log")
            log.exception("building the brief of %s failed", story_id)
            raise
        with self._jobs_lock:
            self._failures.pop(story_id, None)
        return brief

    def brief_job(self, story_id: str, rebuild: bool = False) -> Future[Brief]:
        """The running or new build of ``story_id``'s brief (one build per story at a time)."""
        with self._jobs_lock:
            job = self._jobs.get(story_id)
            if job is not None and not job.done():
                return job
            job = self.brief_pool.submit(self._build, story_id, rebuild)
            self._jobs[story_id] = job
        job.add_done_callback(lambda _f: self._forget(story_id, job))
        return job

    def _forget(self, story_id: str, job: Future[Brief]) -> None:
        with self._jobs_lock:
            if self._jobs.get(story_id) is job:
                del self._jobs[story_id]

    def recent_failure(self, story_id: str) -> BriefState | None:
        with self._jobs_lock:
            hit = self._failures.get(story_id)
        if hit and time.monotonic() - hit[0] < _FAILURE_TTL_S:
            return BriefState(hit[1], None, hit[2])
        return None

    async def brief(self, story_id: str, wait_s: float | None, rebuild: bool = False) -> BriefState:
        """The brief if stored; else build it, waiting up to ``wait_s`` seconds (``None``: until done)."""
        if not rebuild:
            cached = self.repo.get_brief(story_id)
            if cached is not None:
                return BriefState("ready", cached)
            failed = self.recent_failure(story_id)
            if failed is not None:
                return failed
        job = self.brief_job(story_id, rebuild)
        try:
            if wait_s is None:
                brief = await asyncio.wrap_future(job)
            else:
                brief = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job)), timeout=wait_s)
        except TimeoutError:
            return BriefState("building", None, "the brief is being built; try again in a few seconds")
        except Exception:  # noqa: BLE001 - recorded by _build
            return self.recent_failure(story_id) or BriefState("failed", None, "building the brief failed")
        return BriefState("ready", brief)

    def prefetch_briefs(self, stories: Sequence[Story], most: int = 8) -> None:
        """Queue background builds for listed stories that have no brief yet (bounded; failures not retried soon)."""
        if not self.prefetch:
            return
        queued = 0
        for s in stories:
            if queued >= most:
                break
            if self.repo.get_brief(s.id) is None and self.recent_failure(s.id) is None:
                self.brief_job(s.id)
                queued += 1

    def source_from_string(self, text: str) -> SourceSpec:
        """A check source given as one string: an http(s) URL, a stored article id, else the source's text."""
        s = text.strip()
        if s.lower().startswith(("http://", "https://")) and not any(c.isspace() for c in s):
            return SourceSpec(url=s)
        if s and len(s) <= 200 and not any(c.isspace() for c in s) and self.repo.has_article(s):
            return SourceSpec(article_id=s)
        return SourceSpec(text=s)

    # -- check --------------------------------------------------------------------------------------------
    def resolve_sources(self, specs: Sequence[SourceSpec], story_id: str | None) -> list[Article]:
        """Turn check sources (texts, URLs, article ids) and/or a story into Articles. Blocking (may fetch)."""
        articles: list[Article] = []
        if story_id:
            story = self.resolve_story(story_id)
            articles += self.story_articles(story.id, include_duplicates=False)
        for i, spec in enumerate(specs, start=1):
            if spec.article_id:
                art = self.repo.get_article(spec.article_id)
                if art is None:
                    raise ApiError(404, "not_found", f"source {i}: no article with id {spec.article_id!r}")
                articles.append(art)
            elif spec.url:
                articles += self._fetch_source(i, spec.url)
            elif spec.text and spec.text.strip():
                text = spec.text.strip()
                articles.append(
                    Article(
                        id="text-" + text_hash(text)[:16],
                        title=spec.title or "",
                        text=text,
                        outlet=spec.outlet or f"Source {i}",
                    )
                )
            else:
                raise ApiError(400, "bad_request", f"source {i} is empty: give text, url or article_id")
        return articles

    def _fetch_source(self, i: int, url: str) -> list[Article]:
        if not url.lower().startswith(("http://", "https://")):
            raise ApiError(400, "bad_request", f"source {i}: only http(s) URLs can be fetched")
        from ..pipeline import SourceUnreadable

        try:
            return self.pipeline.read_source(url)
        except SourceUnreadable as exc:
            raise ApiError(422, "source_unreadable", f"source {i}: {exc}") from exc
        except ImportError as exc:
            raise ApiError(503, "unavailable", "fetching sources needs the ingest and extract stages") from exc

    def check(self, summary: str | list[str], specs: Sequence[SourceSpec], story_id: str | None) -> CheckReport:
        """Check ``summary`` against the sources. Blocking: call through ``run``."""
        sources = self.resolve_sources(specs, story_id)
        if not sources:
            raise ApiError(400, "bad_request", "give at least one source (text, url or article_id) or a story_id")
        try:
            return self.pipeline.check(summary, sources)
        except ImportError as exc:
            log.warning("checker unavailable: %s", exc)
            raise ApiError(503, "unavailable", "the claim checker is not installed on this server") from exc

    # -- ingest -------------------------------------------------------------------------------------------
    def ingest_url(self, url: str) -> IngestReport:
        with self.ingest_lock:
            return self.pipeline.ingest([url])

    def ingest_docs(self, docs: Sequence[RawDocument]) -> IngestReport:
        with self.ingest_lock:
            return self.pipeline.ingest_raw(list(docs))

    def poll_feeds(self) -> Any:
        """One round over every stored feed with the ingest stage's ``Watcher`` (conditional GETs, feed
        state kept); returns its ``RoundResult``."""
        with self.ingest_lock:
            if self._watcher is None:
                from ..ingest.watch import Watcher

                self._watcher = Watcher(self.pipeline)
            self._rounds += 1
            return self._watcher.run_round(self._rounds)
