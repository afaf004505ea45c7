"""Storage: the ``Repository`` interface and its implementations."""

from __future__ import annotations

from pathlib import Path

from .base import ArticleQuery, FeedRecord, Repository, StoreError
from .sqlite import SQLiteRepository

__all__ = [
    "Repository",
    "SQLiteRepository",
    "StoreError",
    "FeedRecord",
    "ArticleQuery",
    "open_repository",
    "store_exists",
]


def open_repository(location: str | Path) -> Repository:
    """Open the store at ``location``: a file path or ``sqlite:///path`` (SQLite)."""
    return SQLiteRepository(_sqlite_path(location))


def _sqlite_path(location: str | Path) -> str:
    loc = str(location)
    if loc.startswith("sqlite:///"):
        loc = loc[len("sqlite:///") :]
    elif "://" in loc:
        scheme = loc.split("://", 1)[0]
        raise StoreError(f"no store implementation for {scheme!r} URLs yet (use a file path for SQLite)")
    return loc


def store_exists(location: str | Path) -> bool:
    """Whether a store is already at ``location`` (read as :func:`open_repository` reads it), without
    creating one."""
    loc = _sqlite_path(location)
    return loc == ":memory:" or Path(loc).expanduser().exists()
