"""The SQLite repository: round trip, idempotence, transactions, migrations."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from newsfuse.model import Article, Brief, Citation, KeyPoint, RawDocument, Story
from newsfuse.store import ArticleQuery, SQLiteRepository, StoreError, open_repository
from newsfuse.store.migrations import MIGRATIONS


def _article(i: int, **kw) -> Article:
    base = dict(
        id=f"a{i}",
        title=f"Harbour bridge closes for repairs, day {i}",
        text=f"The harbour bridge closed on day {i} after inspectors found cracks in two support cables.",
        outlet="Harbor Ledger" if i % 2 else "Valley Courier",
        url=f"https://harborledger.example/bridge-{i}",
        published=f"2026-03-0{i % 9 + 1}T08:00:00+00:00",
    )
    base.update(kw)
    return Article(**base)


def test_article_round_trip_keeps_every_field(tmp_path):
    repo = SQLiteRepository(tmp_path / "s.sqlite3")
    a = _article(1, author="Ana Reyes", language="en", extra={"section": "local", "tags": ["bridge"]})
    raw = RawDocument(kind="html", location="x.html", payload="<p>héllo</p>".encode(), fields={"source": "HL"})
    assert repo.add_article(a, raw) is True
    got = repo.get_article("a1")
    assert got == a
    ((aid, raw_back),) = list(repo.iter_raw())
    assert aid == "a1" and raw_back.payload == raw.payload and raw_back.fields == {"source": "HL"}


def test_adding_the_same_id_twice_stores_it_once(tmp_path):
    repo = SQLiteRepository(tmp_path / "s.sqlite3")
    assert repo.add_article(_article(1)) is True
    assert repo.add_article(_article(1, text="changed text")) is False
    assert repo.count_articles() == 1
    assert repo.get_article("a1").text.startswith("The harbour bridge")


def test_failed_transaction_leaves_store_as_it_was(tmp_path):
    repo = SQLiteRepository(tmp_path / "s.sqlite3")
    repo.add_article(_article(1))
    with pytest.raises(RuntimeError):
        with repo.transaction():
            repo.add_article(_article(2))
            repo.add_article(_article(3))
            repo.set_state("k", b"v")
            raise RuntimeError("disk on fire")
    assert repo.count_articles() == 1
    assert repo.get_state("k") is None
    # and the store is still usable afterwards
    repo.add_article(_article(4))
    assert {a.id for a in repo.list_articles()} == {"a1", "a4"}


def test_state_survives_reopen_and_file_is_wal(tmp_path):
    path = tmp_path / "s.sqlite3"
    repo = SQLiteRepository(path)
    repo.set_state("cluster", b"\x00\x01")
    repo.add_article(_article(1))
    repo.put_embedding("a1", "m", np.arange(4, dtype=np.float32))
    repo.close()
    repo = open_repository(f"sqlite:///{path}")
    assert repo.get_state("cluster") == b"\x00\x01"
    assert repo.get_embeddings(["a1", "zz"], "m")["a1"].tolist() == [0, 1, 2, 3]
    assert repo.schema_version() == len(MIGRATIONS)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_stories_order_and_membership(tmp_path):
    repo = SQLiteRepository(tmp_path / "s.sqlite3")
    for i in range(1, 5):
        repo.add_article(_article(i, story_id="s-big" if i < 4 else "s-small"))
    repo.save_story(Story(id="s-small", outlets=["Valley Courier"], last_seen="2026-03-09"))
    repo.save_story(Story(id="s-big", outlets=["Harbor Ledger", "Valley Courier"], last_seen="2026-03-01"))
    stories = repo.list_stories()
    assert [s.id for s in stories] == ["s-big", "s-small"]
    assert stories[0].article_ids == ["a1", "a2", "a3"]
    assert [a.id for a in repo.list_articles(ArticleQuery(story_id="s-small"))] == ["a4"]


def test_brief_round_trip(tmp_path):
    repo = SQLiteRepository(tmp_path / "s.sqlite3")
    cit = Citation(article_id="a1", outlet="Harbor Ledger", sentence_index=0, text="The bridge closed.")
    b = Brief(story_id="s1", headline="Bridge closes", key_points=[KeyPoint("The bridge closed.", [cit])])
    repo.save_brief(b)
    assert repo.get_brief("s1") == b
    repo.delete_brief("s1")
    assert repo.get_brief("s1") is None


def test_feeds(tmp_path):
    repo = SQLiteRepository(tmp_path / "s.sqlite3")
    assert repo.add_feed("https://a.example/rss", "A") is True
    assert repo.add_feed("https://a.example/rss") is False
    feed = repo.list_feeds()[0]
    feed.etag = '"abc"'
    repo.update_feed(feed)
    assert repo.list_feeds()[0].etag == '"abc"'
    assert repo.remove_feed("https://a.example/rss") is True
    assert repo.list_feeds() == []


def test_not_a_store_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a usable newsfuse store|cannot open"):
        SQLiteRepository(bad)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite3"
    SQLiteRepository(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version VALUES (999)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteRepository(path)


def test_unknown_scheme_is_refused():
    with pytest.raises(StoreError, match="postgresql"):
        open_repository("postgresql://localhost/news")


def test_times_with_different_offsets_are_ordered_by_instant(tmp_path):
    """Found in review: stored times keep the outlet's offset, and were sorted as strings, so an article
    published at 23:10-05:00 (04:10 UTC the next day) came before one from 01:00 UTC that day; and one
    undated article (its fetch time stood in) made a story from March look new in November."""
    from newsfuse.config import load_settings
    from newsfuse.pipeline import Pipeline

    late = _article(1, published="2026-03-05T23:10:00-05:00", story_id="s-1")
    early = _article(2, published="2026-03-06T01:00:00+00:00", story_id="s-1")
    undated = _article(3, published=None, story_id="s-1", fetched_at="2026-11-20T09:00:00+00:00")
    fetched = [
        _article(i, published=None, story_id="s-2", fetched_at=f"2026-11-2{i - 3}T0{i}:00:00+01:00") for i in (4, 5)
    ]
    db = str(tmp_path / "s.sqlite3")
    pipe = Pipeline(load_settings(db=db))
    try:
        for a in (late, early, undated, *fetched):
            pipe.repo.add_article(a)
        dated = [a.id for a in pipe.repo.list_articles(ArticleQuery(story_id="s-1")) if a.published]
        assert dated == ["a2", "a1"]
        pipe._refresh_story("s-1")
        story = pipe.repo.get_story("s-1")
        assert (story.first_seen, story.last_seen) == (early.published, late.published)
        pipe._refresh_story("s-2")  # no article dated: the fetch times stand in
        story = pipe.repo.get_story("s-2")
        assert (story.first_seen, story.last_seen) == (fetched[0].fetched_at, fetched[1].fetched_at)
    finally:
        pipe.close()
