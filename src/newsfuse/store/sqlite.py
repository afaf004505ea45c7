"""SQLite implementation of the repository: one file, WAL journal, versioned schema."""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..model import Article, Brief, RawDocument, Story
from .base import ArticleQuery, FeedRecord, Repository, StoreError
from .migrations import MIGRATIONS

__all__ = ["SQLiteRepository"]

_ARTICLE_COLUMNS = (
    "id, title, text, outlet, url, canonical_url, author, published, language, content_hash, "
    "duplicate_of, story_id, fetched_at, extra"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row_to_article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        outlet=row["outlet"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        author=row["author"],
        published=row["published"],
        language=row["language"],
        content_hash=row["content_hash"],
        duplicate_of=row["duplicate_of"],
        story_id=row["story_id"],
        fetched_at=row["fetched_at"],
        extra=json.loads(row["extra"] or "{}"),
    )


def _article_values(article: Article) -> tuple[object, ...]:
    """The stored columns of ``article`` after its id, in ``_ARTICLE_COLUMNS`` order."""
    return (
        article.title,
        article.text,
        article.outlet,
        article.url,
        article.canonical_url,
        article.author,
        article.published,
        article.language,
        article.content_hash,
        article.duplicate_of,
        article.story_id,
        article.fetched_at,
        json.dumps(article.extra, ensure_ascii=False, default=str),
    )


class SQLiteRepository(Repository):
    """Repository on one SQLite file. Safe to share between threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        if self._path != ":memory:":
            p = Path(self._path).expanduser()
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for the store {p}: {exc}") from exc
            self._path = str(p)
        try:
            self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store {self._path}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        self._migrate()

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        return self._path

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("COMMIT")

    def _execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def _migrate(self) -> None:
        try:
            with self.transaction():
                self._conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
                current = row[0] or 0
                if current > len(MIGRATIONS):
                    raise StoreError(
                        f"the store {self._path} has schema version {current}, newer than this newsfuse "
                        f"({len(MIGRATIONS)}); upgrade newsfuse"
                    )
                for version, script in enumerate(MIGRATIONS, start=1):
                    if version > current:
                        for statement in script.split(";"):
                            if statement.strip():
                                self._conn.execute(statement)
                        self._conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self._path} is not a usable newsfuse store: {exc}") from exc

    def schema_version(self) -> int:
        return int(self._execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0)

    # -- articles ----------------------------------------------------------------------------------
    def add_article(self, article: Article, raw: RawDocument | None = None) -> bool:
        with self.transaction():
            cur = self._execute(
                f"INSERT OR IGNORE INTO articles ({_ARTICLE_COLUMNS}, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (article.id, *_article_values(article), _now()),
            )
            if cur.rowcount == 0:
                return False
            if raw is not None:
                self._execute(
                    "INSERT OR REPLACE INTO raw_documents (article_id, kind, location, url, content_type, payload, "
                    "fields) VALUES (?,?,?,?,?,?,?)",
                    (
                        article.id,
                        raw.kind,
                        raw.location,
                        raw.url,
                        raw.content_type,
                        zlib.compress(raw.payload, 6),
                        json.dumps(raw.fields, ensure_ascii=False, default=str),
                    ),
                )
            return True

    def update_article(self, article: Article) -> None:
        with self.transaction():
            self._execute(
                "UPDATE articles SET title=?, text=?, outlet=?, url=?, canonical_url=?, author=?, published=?, "
                "language=?, content_hash=?, duplicate_of=?, story_id=?, fetched_at=?, extra=? WHERE id=?",
                (*_article_values(article), article.id),
            )

    def get_article(self, article_id: str) -> Article | None:
        row = self._execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id=?", (article_id,)).fetchone()
        return _row_to_article(row) if row else None

    def get_articles(self, ids: Sequence[str]) -> list[Article]:
        found: dict[str, Article] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", chunk):
                found[row["id"]] = _row_to_article(row)
        return [found[i] for i in ids if i in found]

    def has_article(self, article_id: str) -> bool:
        return self._execute("SELECT 1 FROM articles WHERE id=?", (article_id,)).fetchone() is not None

    def find_by_content_hash(self, content_hash: str) -> str | None:
        row = self._execute(
            "SELECT id FROM articles WHERE content_hash=? ORDER BY duplicate_of IS NOT NULL, rowid LIMIT 1",
            (content_hash,),
        ).fetchone()
        return row[0] if row else None

    def list_articles(self, query: ArticleQuery | None = None) -> list[Article]:
        q = query or ArticleQuery()
        where, params = [], []
        if q.story_id:
            where.append("story_id=?")
            params.append(q.story_id)
        if q.outlet:
            where.append("outlet=?")
            params.append(q.outlet)
        if not q.include_duplicates:
            where.append("duplicate_of IS NULL")
        sql = f"SELECT {_ARTICLE_COLUMNS} FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        # julianday() reads an ISO time's offset, so "23:10-05:00" sorts after "01:00+00:00" of that day
        sql += " ORDER BY julianday(COALESCE(published, created_at)), rowid"
        if q.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [q.limit, q.offset]
        return [_row_to_article(r) for r in self._execute(sql, params)]

    def count_articles(self, include_duplicates: bool = True) -> int:
        sql = "SELECT COUNT(*) FROM articles" + ("" if include_duplicates else " WHERE duplicate_of IS NULL")
        return int(self._execute(sql).fetchone()[0])

    def iter_raw(self) -> Iterator[tuple[str, RawDocument]]:
        rows = self._execute(
            "SELECT article_id, kind, location, url, content_type, payload, fields FROM raw_documents ORDER BY rowid"
        ).fetchall()
        for r in rows:
            yield (
                r["article_id"],
                RawDocument(
                    kind=r["kind"],
                    location=r["location"],
                    payload=zlib.decompress(r["payload"]),
                    url=r["url"],
                    content_type=r["content_type"],
                    fields=json.loads(r["fields"] or "{}"),
                ),
            )

    def set_article_story(self, article_ids: Sequence[str], story_id: str) -> None:
        with self.transaction():
            for aid in article_ids:
                self._execute("UPDATE articles SET story_id=? WHERE id=?", (story_id, aid))

    # -- vectors -----------------------------------------------------------------------------------
    def put_embedding(self, article_id: str, model: str, vector: np.ndarray) -> None:
        v = np.asarray(vector, dtype=np.float32)
        self._execute(
            "INSERT OR REPLACE INTO embeddings (article_id, model, dim, vector) VALUES (?,?,?,?)",
            (article_id, model, int(v.shape[0]), v.tobytes()),
        )

    def get_embeddings(self, ids: Sequence[str], model: str) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._execute(
                f"SELECT article_id, vector FROM embeddings WHERE model=? AND article_id IN ({marks})",
                [model, *chunk],
            )
            for r in rows:
                out[r[0]] = np.frombuffer(r[1], dtype=np.float32).copy()
        return out

    def put_signature(self, article_id: str, signature: np.ndarray) -> None:
        sig = np.asarray(signature, dtype=np.uint64)
        self._execute(
            "INSERT OR REPLACE INTO signatures (article_id, signature) VALUES (?,?)", (article_id, sig.tobytes())
        )

    def iter_signatures(self) -> Iterator[tuple[str, np.ndarray]]:
        for r in self._execute("SELECT article_id, signature FROM signatures ORDER BY rowid").fetchall():
            yield r[0], np.frombuffer(r[1], dtype=np.uint64).copy()

    # -- stories and briefs ------------------------------------------------------------------------
    def save_story(self, story: Story) -> None:
        self._execute(
            "INSERT OR REPLACE INTO stories (id, title, outlets, n_articles, first_seen, last_seen, status, "
            "merged_into, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                story.id,
                story.title,
                json.dumps(story.outlets, ensure_ascii=False),
                len(story.article_ids),
                story.first_seen,
                story.last_seen,
                story.status,
                story.merged_into,
                _now(),
            ),
        )

    def _story_from_row(self, row: sqlite3.Row) -> Story:
        ids = [r[0] for r in self._execute("SELECT id FROM articles WHERE story_id=? ORDER BY rowid", (row["id"],))]
        return Story(
            id=row["id"],
            article_ids=ids,
            outlets=json.loads(row["outlets"] or "[]"),
            title=row["title"] or "",
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            status=row["status"],
            merged_into=row["merged_into"],
        )

    def get_story(self, story_id: str) -> Story | None:
        row = self._execute("SELECT * FROM stories WHERE id=?", (story_id,)).fetchone()
        return self._story_from_row(row) if row else None

    def list_stories(self, limit: int | None = None, offset: int = 0, include_merged: bool = False) -> list[Story]:
        sql = "SELECT * FROM stories"
        if not include_merged:
            sql += " WHERE status != 'merged'"
        sql += " ORDER BY json_array_length(outlets) DESC, julianday(last_seen) DESC, id"
        params: list[object] = []
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = [limit, offset]
        rows = self._execute(sql, params).fetchall()
        return [self._story_from_row(r) for r in rows]

    def count_stories(self) -> int:
        return int(self._execute("SELECT COUNT(*) FROM stories WHERE status != 'merged'").fetchone()[0])

    def save_brief(self, brief: Brief) -> None:
        self._execute(
            "INSERT OR REPLACE INTO briefs (story_id, json, generated_at) VALUES (?,?,?)",
            (brief.story_id, json.dumps(brief.to_dict(), ensure_ascii=False), brief.generated_at or _now()),
        )

    def get_brief(self, story_id: str) -> Brief | None:
        row = self._execute("SELECT json FROM briefs WHERE story_id=?", (story_id,)).fetchone()
        return Brief.from_dict(json.loads(row[0])) if row else None

    def delete_brief(self, story_id: str) -> None:
        self._execute("DELETE FROM briefs WHERE story_id=?", (story_id,))

    # -- feeds -------------------------------------------------------------------------------------
    def add_feed(self, url: str, title: str | None = None) -> bool:
        cur = self._execute("INSERT OR IGNORE INTO feeds (url, title, added_at) VALUES (?,?,?)", (url, title, _now()))
        return cur.rowcount > 0

    def remove_feed(self, url: str) -> bool:
        return self._execute("DELETE FROM feeds WHERE url=?", (url,)).rowcount > 0

    def list_feeds(self) -> list[FeedRecord]:
        rows = self._execute(
            "SELECT url, title, added_at, etag, last_modified, last_checked, last_status, error FROM feeds "
            "ORDER BY added_at, url"
        ).fetchall()
        return [FeedRecord(**dict(r)) for r in rows]

    def update_feed(self, feed: FeedRecord) -> None:
        self._execute(
            "UPDATE feeds SET title=?, etag=?, last_modified=?, last_checked=?, last_status=?, error=? WHERE url=?",
            (feed.title, feed.etag, feed.last_modified, feed.last_checked, feed.last_status, feed.error, feed.url),
        )

    # -- stage state -------------------------------------------------------------------------------
    def get_state(self, key: str) -> bytes | None:
        row = self._execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def set_state(self, key: str, value: bytes) -> None:
        self._execute("INSERT OR REPLACE INTO state (key, value) VALUES (?,?)", (key, value))
