"""Storage: the ``Repository`` interface and its implementations."""

from __future__ import annotations

from pathlib import Path

from .base import ArticleQuery, FeedRecord, Repository, StoreError
from .sqlite import SQLiteRepository

__all__ = ["Repository", "SQLiteRepository", "StoreError", "FeedRecord", "ArticleQuery", "open_repository"]


def open_repository(location: str | Path) -> Repository:
    """Open the store at ``location``: a file path or ``sqlite:///path`` (SQLite)."""
    loc = str(location)
    if loc.startswith("sqlite:///"):
        loc = loc[len("sqlite:///") :]
    elif "://" in loc:
        scheme = loc.split("://", 1)[0]
        raise StoreError(f"no store implementation for {scheme!r} URLs yet (use a file path for SQLite)")
    return SQLiteRepository(loc)
