"""The pipeline: the only module that knows the order of the stages.

ingest -> extract -> dedupe -> embed -> cluster -> (store) ... brief -> check

Articles are processed in batches; each batch is written in one store transaction together with
the clusterer's state, so an ingest that fails or is interrupted midway leaves the store exactly as
it was after the last complete batch, and rerunning it picks up where it stopped.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .config import Settings, load_settings
from .dedupe import Deduper
from .model import Article, Brief, CheckReport, IngestReport, RawDocument, Story, instant, text_hash
from .store import ArticleQuery, Repository, open_repository

__all__ = ["Pipeline", "NotFound", "SourceUnreadable", "EMBED_MODEL"]

log = logging.getLogger("newsfuse")

EMBED_MODEL = "all-MiniLM-L6-v2"
_CLUSTER_STATE = "cluster.v1"
_GENERATION = "ingest.generation"  # changes with every ingest batch that stores something, and reextract

ProgressFn = Callable[[str, int, int | None], None]


@dataclass
class _WriteState:
    """What an ingest run keeps between batches: the duplicate index, the clustering state, and the
    store's generation marker they were loaded at."""

    deduper: Deduper
    clusterer: Any
    generation: bytes | None


class NotFound(LookupError):
    """A story or article id that is not in the store."""


class SourceUnreadable(ValueError):
    """A source given for a check (file or URL) that cannot be read or holds no text."""


def _batch_sigs(articles: list[Article], sigs: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(id, content hash, signature) of ``articles``, for :meth:`Deduper.find_among`."""
    return ((a.id, a.content_hash, sigs[a.id]) for a in articles)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Pipeline:
    """Runs the stages against one store.

    Every collaborator can be injected (tests pass their own); by default the store comes from
    ``settings.db``, the encoder is the process-wide MiniLM, the checker is the shipped verifier.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        repo: Repository | None = None,
        encoder: Any | None = None,
        checker: Any | None = None,
        fetcher: Any | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self._repo = repo
        self._encoder = encoder
        self._checker = checker
        self._fetcher = fetcher

    # -- collaborators (lazy: opening the model costs seconds) ----------------------------------------
    @property
    def repo(self) -> Repository:
        if self._repo is None:
            self._repo = open_repository(self.settings.db)
        return self._repo

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from .embed import get_encoder

            self._encoder = get_encoder(self.settings.encode_batch_size, self.settings.precision)
        return self._encoder

    @property
    def checker(self) -> Any:
        if self._checker is None:
            from .check import Checker

            self._checker = Checker.load(self.settings)
        return self._checker

    @property
    def fetcher(self) -> Any:
        if self._fetcher is None:
            from .ingest.http import Fetcher

            self._fetcher = Fetcher(self.settings)
        return self._fetcher

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None
        if self._fetcher is not None and hasattr(self._fetcher, "close"):
            self._fetcher.close()
            self._fetcher = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stage state ---------------------------------------------------------------------------------
    def _load_deduper(self) -> Deduper:
        dd = Deduper(threshold=self.settings.near_duplicate_threshold)
        hashes = {a.id: a.content_hash for a in self.repo.list_articles(ArticleQuery(include_duplicates=False))}
        dd.load((aid, hashes[aid], sig) for aid, sig in self.repo.iter_signatures() if aid in hashes)
        return dd

    def _stored_under_text_id(self, article: Article) -> str | None:
        """The id under which a store made before ids included the outlet holds this article with no URL
        (``text_article_id(text)``, its text's id alone), when that is the same outlet's copy; else None."""
        from .extract import text_article_id

        if article.canonical_url:
            return None
        old_id = text_article_id(article.text)
        if old_id == article.id:
            return None
        old = self.repo.get_article(old_id)
        return old_id if old is not None and old.outlet == article.outlet else None

    def _bump_generation(self) -> bytes:
        """Mark the store as changed for other writers (call inside a write transaction)."""
        generation = uuid.uuid4().hex.encode()
        self.repo.set_state(_GENERATION, generation)
        return generation

    def _load_write_state(self) -> _WriteState:
        # the marker is read first: a writer that commits while the rest loads then forces a reload at
        # the next batch, instead of its commit being hidden behind a marker newer than what was loaded
        generation = self.repo.get_state(_GENERATION)
        return _WriteState(self._load_deduper(), self._load_clusterer(), generation)

    def _load_clusterer(self) -> Any:
        from .cluster import OnlineClusterer

        state = self.repo.get_state(_CLUSTER_STATE)
        if state:
            return OnlineClusterer.loads(state, self.settings)
        return OnlineClusterer(self.settings)

    # -- ingest --------------------------------------------------------------------------------------
    def ingest(
        self,
        inputs: Sequence[str],
        progress: ProgressFn | None = None,
        batch_size: int = 32,
    ) -> IngestReport:
        """Read, extract, deduplicate, embed, cluster and store ``inputs`` (paths and URLs)."""
        from .ingest import Skipped, iter_raw

        fetcher = self.fetcher if any(i.lower().startswith(("http://", "https://")) for i in inputs) else None
        docs = iter_raw(inputs, self.settings, fetcher=fetcher, skip_link=self._stored_url)
        return self._run(docs, Skipped, progress, batch_size)

    def _stored_url(self, url: str) -> bool:
        """Whether the article at ``url`` is stored (its id is the hash of its canonical URL): a feed's
        summary-only entry whose page is stored is not fetched again when the feed is ingested again."""
        from .extract import canonical_url

        try:
            canonical = canonical_url(url)
        except Exception:  # noqa: BLE001 - a link we cannot canonicalise is simply fetched
            return False
        return bool(canonical) and self.repo.has_article(text_hash(canonical)[:16])

    def ingest_raw(
        self, docs: Iterable[RawDocument], progress: ProgressFn | None = None, batch_size: int = 32
    ) -> IngestReport:
        """Like ``ingest`` for documents already in hand (the HTTP API, feed polling)."""
        from .ingest import Skipped

        return self._run(docs, Skipped, progress, batch_size)

    def _run(
        self, items: Iterable[Any], skipped_type: type, progress: ProgressFn | None, batch_size: int
    ) -> IngestReport:
        report = IngestReport()
        state = self._load_write_state()
        pending_ids: set[str] = set()
        try:
            self._run_items(items, skipped_type, progress, batch_size, report, state, pending_ids)
        except KeyboardInterrupt as exc:
            exc.report = report  # type: ignore[attr-defined]  # what committed before the interrupt
            raise
        return report

    def _run_items(
        self,
        items: Iterable[Any],
        skipped_type: type,
        progress: ProgressFn | None,
        batch_size: int,
        report: IngestReport,
        state: _WriteState,
        pending_ids: set[str],
    ) -> None:
        from .extract import ExtractError, extract_article

        batch: list[tuple[Article, RawDocument]] = []
        for item in items:
            report.seen += 1
            if progress:
                progress("read", report.seen, None)
            if isinstance(item, skipped_type):
                report.skip(item.location, item.reason)
                log.warning("skipped %s: %s", item.location, item.reason)
                continue
            try:
                article = extract_article(item, self.settings)
            except ExtractError as exc:
                report.skip(item.location, str(exc))
                log.warning("skipped %s: %s", item.location, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad page must not stop the run
                report.skip(item.location, f"extraction failed: {type(exc).__name__}: {exc}")
                # the reason goes to the report; the traceback only to a verbose log
                log.warning("extraction failed for %s: %s: %s", item.location, type(exc).__name__, exc)
                log.debug("traceback of the failed extraction", exc_info=True)
                continue
            article.fetched_at = article.fetched_at or _now()
            if article.id in pending_ids or self.repo.has_article(article.id):
                report.unchanged += 1
                report.existing_ids.append(article.id)
                continue
            if old_id := self._stored_under_text_id(article):
                report.unchanged += 1
                report.existing_ids.append(old_id)
                continue
            pending_ids.add(article.id)
            batch.append((article, item))
            if len(batch) >= batch_size:
                self._commit_batch_counted(batch, report, state)
                batch = []
        if batch:
            self._commit_batch_counted(batch, report, state)

    def _commit_batch_counted(
        self, batch: list[tuple[Article, RawDocument]], report: IngestReport, state: _WriteState
    ) -> None:
        """:meth:`_commit_batch`, with the report's counts put back when the batch does not commit (an
        error, or Ctrl-C), so the report counts what is stored; after Ctrl-C the ``KeyboardInterrupt``
        carries it as ``.report`` (see :meth:`_run`)."""
        saved = (report.stored, report.duplicates, report.unchanged, len(report.article_ids), len(report.existing_ids))
        try:
            self._commit_batch(batch, report, state)
        except BaseException:
            report.stored, report.duplicates, report.unchanged = saved[:3]
            del report.article_ids[saved[3] :]
            del report.existing_ids[saved[4] :]
            raise

    def _commit_batch(self, batch: list[tuple[Article, RawDocument]], report: IngestReport, state: _WriteState) -> None:
        """Deduplicate, cluster and store one batch in one write transaction.

        Another process (a second ``ingest``, or ``serve`` polling feeds) may have written to the store
        since ``state`` was loaded. The write transaction holds SQLite's write lock, so inside it the
        generation marker tells whether that happened; if so the duplicate index and the clustering
        state are reloaded from the store before this batch is placed, and articles stored meanwhile by
        the other writer count as unchanged. The embeddings depend on the text alone and are computed
        before the lock is taken, for the articles that are not already known to be copies: a copy is
        never clustered, so embedding it would be wasted work. Both places use the same tests (the stored
        index, then every earlier article of the batch), and the index only grows, so an article found to
        be a copy here is still one under the lock; one that turns out new there after all (the store was
        rebuilt meanwhile) is embedded then."""
        sigs = {article.id: state.deduper.signature(article.text) for article, _ in batch}
        vectors_of = self._embed(self._probably_new(batch, sigs, state.deduper))
        with self.repo.transaction():
            if self.repo.get_state(_GENERATION) != state.generation:
                log.info("the store changed under this ingest (another writer); reloading its state")
                fresh = self._load_write_state()
                state.deduper, state.clusterer, state.generation = fresh.deduper, fresh.clusterer, fresh.generation
                stored = [a.id for a, _ in batch if self.repo.has_article(a.id)]
                report.unchanged += len(stored)
                report.existing_ids += stored
                batch = [(a, r) for a, r in batch if a.id not in stored]
            deduper, clusterer = state.deduper, state.clusterer
            canon: list[Article] = []
            for article, _raw in batch:
                sig = sigs[article.id]
                match = deduper.find(article.content_hash, sig)
                if match is None:  # a copy of an earlier article of this batch, compared directly
                    match = deduper.find_among(article.content_hash, sig, _batch_sigs(canon, sigs))
                if match is not None:
                    article.duplicate_of = match.canonical_id
                else:
                    deduper.add(article.id, article.content_hash, sig)
                    canon.append(article)
            vectors_of.update(self._embed([a for a in canon if a.id not in vectors_of]))
            vectors = [vectors_of[a.id] for a in canon]
            by_id = {a.id: a for a, _ in batch}
            touched: set[str] = set()
            for article, vec in zip(canon, vectors, strict=True):
                article.story_id = clusterer.add(article, vec)
                touched.add(article.story_id)
            for article, _raw in batch:
                if article.duplicate_of:
                    src = by_id.get(article.duplicate_of) or self.repo.get_article(article.duplicate_of)
                    article.story_id = src.story_id if src else None
                    if article.story_id:
                        touched.add(article.story_id)
            merges = list(getattr(clusterer, "merges", []))
            stored_before = report.stored
            for article, raw in batch:
                if self.repo.add_article(article, raw):
                    report.stored += 1
                    report.article_ids.append(article.id)
                    if article.duplicate_of:
                        report.duplicates += 1
                    else:
                        self.repo.put_signature(article.id, sigs[article.id])
                else:
                    report.unchanged += 1
                    report.existing_ids.append(article.id)
            for article, vec in zip(canon, vectors, strict=True):
                self.repo.put_embedding(article.id, EMBED_MODEL, vec)
            for src, into in merges:
                members = [a.id for a in self.repo.list_articles(ArticleQuery(story_id=src))]
                self.repo.set_article_story(members, into)
                old = self.repo.get_story(src) or Story(id=src)
                old.status, old.merged_into = "merged", into
                self.repo.save_story(old)
                self.repo.delete_brief(src)
                touched.discard(src)
                touched.add(into)
            for sid in touched:
                self._refresh_story(sid)
            if report.stored > stored_before or merges:
                self.repo.set_state(_CLUSTER_STATE, clusterer.dumps())
                state.generation = self._bump_generation()
        if hasattr(clusterer, "merges"):
            clusterer.merges.clear()

    def _embed(self, articles: list[Article]) -> dict[str, Any]:
        """Article id -> embedding of the text the clusterer compares."""
        from .cluster import embedding_text

        if not articles:
            return {}
        vectors = self.encoder.encode([embedding_text(a) for a in articles])
        return dict(zip([a.id for a in articles], vectors, strict=True))

    @staticmethod
    def _probably_new(
        batch: list[tuple[Article, RawDocument]], sigs: dict[str, Any], deduper: Deduper
    ) -> list[Article]:
        """The articles of ``batch`` that are neither copies of a stored article nor of an earlier one
        in the batch: the same tests as under the write lock, without changing the index."""
        new: list[Article] = []
        for article, _raw in batch:
            sig = sigs[article.id]
            if deduper.find(article.content_hash, sig) is not None:
                continue
            if deduper.find_among(article.content_hash, sig, _batch_sigs(new, sigs)) is not None:
                continue
            new.append(article)
        return new

    def _refresh_story(self, story_id: str) -> None:
        members = self.repo.list_articles(ArticleQuery(story_id=story_id))
        if not members:
            return
        old = self.repo.get_story(story_id)
        # by instant, not by string ("23:10-05:00" is after "01:00+00:00" the next day); the fetch time
        # stands in only when no article is dated, or one undated article would make an old story new
        dates = sorted((t, a.published) for a in members if (t := instant(a.published)))
        if not dates:
            dates = sorted((t, a.fetched_at) for a in members if (t := instant(a.fetched_at)))
        dates = [d for _, d in dates]
        story = Story(
            id=story_id,
            article_ids=[a.id for a in members],
            outlets=sorted({a.outlet for a in members}),
            title=(old.title if old and old.title else members[0].title),
            first_seen=dates[0] if dates else None,
            last_seen=dates[-1] if dates else None,
            status="open",
        )
        self.repo.save_story(story)
        self.repo.delete_brief(story_id)  # stale: rebuilt on demand

    def reextract(self, progress: ProgressFn | None = None) -> IngestReport:
        """Rerun extraction on every stored raw payload; update articles whose text changed."""
        from .extract import ExtractError, extract_article

        report = IngestReport()
        changed_stories: set[str] = set()
        with self.repo.transaction():
            for i, (aid, raw) in enumerate(self.repo.iter_raw(), start=1):
                report.seen += 1
                if progress:
                    progress("reextract", i, None)
                old = self.repo.get_article(aid)
                if old is None:
                    continue
                try:
                    new = extract_article(raw, self.settings)
                except ExtractError as exc:
                    report.skip(raw.location, str(exc))
                    continue
                if (new.text, new.title, new.author, new.published) == (old.text, old.title, old.author, old.published):
                    report.unchanged += 1
                    continue
                old.text, old.title, old.author, old.published = new.text, new.title, new.author, new.published
                old.content_hash = new.content_hash
                self.repo.update_article(old)
                report.stored += 1
                if old.story_id:
                    changed_stories.add(old.story_id)
            for sid in changed_stories:
                self.repo.delete_brief(sid)
            if report.stored:  # content hashes changed: a concurrent ingest must reload its duplicate index
                self._bump_generation()
        return report

    # -- stories and briefs --------------------------------------------------------------------------
    def story_articles(self, story_id: str, include_duplicates: bool = False) -> list[Article]:
        story = self.repo.get_story(story_id)
        if story is None:
            raise NotFound(f"no story with id {story_id!r}")
        if story.status == "merged" and story.merged_into:
            return self.story_articles(story.merged_into, include_duplicates)
        return self.repo.list_articles(ArticleQuery(story_id=story_id, include_duplicates=include_duplicates))

    def brief(self, story_id: str, rebuild: bool = False) -> Brief:
        """The brief of a story, built (and stored) if it is missing or stale."""
        story = self.repo.get_story(story_id)
        if story is None:
            raise NotFound(f"no story with id {story_id!r} (list them with 'newsfuse stories')")
        if story.status == "merged" and story.merged_into:
            return self.brief(story.merged_into, rebuild)
        if not rebuild:
            cached = self.repo.get_brief(story_id)
            if cached is not None:
                return cached
        from .brief import build_brief

        articles = self.story_articles(story_id)
        brief = build_brief(story_id, articles, encoder=self.encoder, checker=self.checker, settings=self.settings)
        all_members = self.story_articles(story_id, include_duplicates=True)
        brief.outlets = sorted(set(brief.outlets) | {a.outlet for a in all_members})
        brief.article_ids = [a.id for a in all_members]
        with self.repo.transaction():
            self.repo.save_brief(brief)
            story.title = brief.headline or story.title
            self.repo.save_story(story)
        return brief

    def brief_all(self, progress: ProgressFn | None = None, rebuild: bool = False) -> list[Brief]:
        stories = self.repo.list_stories()
        out = []
        for i, story in enumerate(stories, start=1):
            out.append(self.brief(story.id, rebuild=rebuild))
            if progress:
                progress("brief", i, len(stories))
        return out

    # -- check ---------------------------------------------------------------------------------------
    def read_source(self, location: str) -> list[Article]:
        """Articles from a file, folder or http(s) URL, extracted but not stored (sources of a check).

        Any length of text is accepted (a source may be a short statement). Raises
        :class:`SourceUnreadable` with the reason when nothing can be read.
        """
        from .extract import ExtractError, extract_article
        from .ingest import Skipped, iter_raw

        relaxed = self.settings.replace(min_article_chars=1)
        fetcher = self.fetcher if location.lower().startswith(("http://", "https://")) else None
        out: list[Article] = []
        for item in iter_raw([location], relaxed, fetcher=fetcher):
            if isinstance(item, Skipped):
                raise SourceUnreadable(f"cannot read {item.location}: {item.reason}")
            try:
                out.append(extract_article(item, relaxed))
            except ExtractError as exc:
                raise SourceUnreadable(f"cannot read {item.location}: {exc}") from exc
        if not out:
            raise SourceUnreadable(f"nothing readable at {location}")
        return out

    def check(self, summary: str | list[str], sources: list[Article]) -> CheckReport:
        if not sources:
            raise ValueError("checking needs at least one source article")
        return self.checker.check(summary, sources)
