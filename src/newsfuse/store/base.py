"""The repository interface: everything newsfuse persists goes through it.

Callers never see SQL. A PostgreSQL (or any other) implementation subclasses
``Repository`` and is picked by ``open_repository`` from the URL scheme.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np

from ..model import Article, Brief, RawDocument, Story

__all__ = ["Repository", "StoreError", "FeedRecord", "ArticleQuery"]


class StoreError(RuntimeError):
    """The store cannot be opened or written."""


@dataclass
class FeedRecord:
    url: str
    title: str | None = None
    added_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_checked: str | None = None
    last_status: str | None = None
    error: str | None = None


@dataclass
class ArticleQuery:
    story_id: str | None = None
    outlet: str | None = None
    include_duplicates: bool = True
    limit: int | None = None
    offset: int = 0


class Repository(abc.ABC):
    """Storage for articles, their raw payloads, embeddings, stories, briefs, feeds and stage state."""

    # -- lifecycle ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all (nesting joins the outer transaction)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def location(self) -> str: ...

    @abc.abstractmethod
    def schema_version(self) -> int: ...

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- articles ----------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_article(self, article: Article, raw: RawDocument | None = None) -> bool:
        """Insert an article (and its raw payload). Returns False if its id was already stored."""

    @abc.abstractmethod
    def update_article(self, article: Article) -> None:
        """Replace the stored fields of an existing article (same id)."""

    @abc.abstractmethod
    def get_article(self, article_id: str) -> Article | None: ...

    @abc.abstractmethod
    def get_articles(self, ids: Sequence[str]) -> list[Article]: ...

    @abc.abstractmethod
    def has_article(self, article_id: str) -> bool: ...

    @abc.abstractmethod
    def find_by_content_hash(self, content_hash: str) -> str | None: ...

    @abc.abstractmethod
    def list_articles(self, query: ArticleQuery | None = None) -> list[Article]: ...

    @abc.abstractmethod
    def count_articles(self, include_duplicates: bool = True) -> int: ...

    @abc.abstractmethod
    def iter_raw(self) -> Iterator[tuple[str, RawDocument]]:
        """(article id, raw payload) pairs, for re-extraction."""

    @abc.abstractmethod
    def set_article_story(self, article_ids: Sequence[str], story_id: str) -> None: ...

    # -- vectors -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def put_embedding(self, article_id: str, model: str, vector: np.ndarray) -> None: ...

    @abc.abstractmethod
    def get_embeddings(self, ids: Sequence[str], model: str) -> dict[str, np.ndarray]: ...

    @abc.abstractmethod
    def put_signature(self, article_id: str, signature: np.ndarray) -> None:
        """The article's MinHash signature (for near-duplicate detection)."""

    @abc.abstractmethod
    def iter_signatures(self) -> Iterator[tuple[str, np.ndarray]]: ...

    # -- stories and briefs ------------------------------------------------------------------------
    @abc.abstractmethod
    def save_story(self, story: Story) -> None: ...

    @abc.abstractmethod
    def get_story(self, story_id: str) -> Story | None: ...

    @abc.abstractmethod
    def list_stories(self, limit: int | None = None, offset: int = 0, include_merged: bool = False) -> list[Story]:
        """Stories, most outlets and freshest first."""

    @abc.abstractmethod
    def count_stories(self) -> int: ...

    @abc.abstractmethod
    def save_brief(self, brief: Brief) -> None: ...

    @abc.abstractmethod
    def get_brief(self, story_id: str) -> Brief | None: ...

    @abc.abstractmethod
    def delete_brief(self, story_id: str) -> None: ...

    # -- feeds -------------------------------------------------------------------------------------
    @abc.abstractmethod
    def add_feed(self, url: str, title: str | None = None) -> bool: ...

    @abc.abstractmethod
    def remove_feed(self, url: str) -> bool: ...

    @abc.abstractmethod
    def list_feeds(self) -> list[FeedRecord]: ...

    @abc.abstractmethod
    def update_feed(self, feed: FeedRecord) -> None: ...

    # -- stage state -------------------------------------------------------------------------------
    @abc.abstractmethod
    def get_state(self, key: str) -> bytes | None: ...

    @abc.abstractmethod
    def set_state(self, key: str, value: bytes) -> None: ...
