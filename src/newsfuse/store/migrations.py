"""Schema migrations, applied in order; a store records the last one it ran.

Append a new script to ``MIGRATIONS`` to change the schema; never edit a released one.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_V1 = """
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    outlet TEXT NOT NULL,
    url TEXT,
    canonical_url TEXT,
    author TEXT,
    published TEXT,
    language TEXT,
    content_hash TEXT NOT NULL,
    duplicate_of TEXT,
    story_id TEXT,
    fetched_at TEXT,
    extra TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_canonical_url ON articles (canonical_url);
CREATE INDEX articles_story ON articles (story_id);
CREATE INDEX articles_outlet ON articles (outlet);
CREATE TABLE raw_documents (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    location TEXT NOT NULL,
    url TEXT,
    content_type TEXT,
    payload BLOB NOT NULL,
    fields TEXT
);
CREATE TABLE embeddings (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (article_id, model)
);
CREATE TABLE signatures (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    signature BLOB NOT NULL
);
CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    title TEXT,
    outlets TEXT,
    n_articles INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT,
    last_seen TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    merged_into TEXT,
    updated_at TEXT
);
CREATE TABLE briefs (
    story_id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    generated_at TEXT
);
CREATE TABLE feeds (
    url TEXT PRIMARY KEY,
    title TEXT,
    added_at TEXT,
    etag TEXT,
    last_modified TEXT,
    last_checked TEXT,
    last_status TEXT,
    error TEXT
);
CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
)
"""

MIGRATIONS: list[str] = [_V1]
