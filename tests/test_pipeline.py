"""The pipeline end to end on a temporary store: grouping, idempotence, failure safety, the seeds."""

from __future__ import annotations

import pytest

from conftest import shared_path
from fixtures_articles import ARTICLES, write_jsonl
from newsfuse.pipeline import NotFound, Pipeline
from newsfuse.store import ArticleQuery


@pytest.fixture
def pipe(settings):
    with Pipeline(settings) as p:
        yield p


def _stories_by_url(pipe):
    by_story = {}
    for a in pipe.repo.list_articles():
        by_story.setdefault(a.story_id, set()).add(a.url)
    return sorted(sorted(v) for v in by_story.values())


def test_two_events_of_one_kind_become_two_stories(pipe, tmp_path):
    report = pipe.ingest([str(write_jsonl(tmp_path / "a.jsonl"))])
    assert report.stored == 4 and not report.skipped
    groups = _stories_by_url(pipe)
    assert groups == sorted([sorted(a["url"] for a in ARTICLES[:2]), sorted(a["url"] for a in ARTICLES[2:])])
    stories = pipe.repo.list_stories()
    assert len(stories) == 2 and all(len(s.outlets) == 2 for s in stories)


def test_reingest_stores_nothing_twice(pipe, tmp_path):
    path = str(write_jsonl(tmp_path / "a.jsonl"))
    first = pipe.ingest([path])
    second = pipe.ingest([path])
    assert first.stored == 4
    assert second.stored == 0 and second.unchanged == 4
    assert pipe.repo.count_articles() == 4 and pipe.repo.count_stories() == 2


def test_wire_copy_is_a_duplicate_linked_to_its_story(pipe, tmp_path):
    wire = dict(ARTICLES[2], url="https://metrowire.example/larkspur", source="Metro Wire")
    report = pipe.ingest([str(write_jsonl(tmp_path / "a.jsonl", ARTICLES + [wire]))])
    assert report.duplicates == 1
    dup = next(a for a in pipe.repo.list_articles() if a.outlet == "Metro Wire")
    original = next(a for a in pipe.repo.list_articles() if a.url == ARTICLES[2]["url"])
    assert dup.duplicate_of == original.id and dup.story_id == original.story_id
    story = pipe.repo.get_story(original.story_id)
    assert "Metro Wire" in story.outlets  # counted as coverage by that outlet


class _CountingEncoder:
    """The MiniLM encoder, recording every text it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.texts = inner, []

    def encode(self, texts):
        self.texts.extend(texts)
        return self.inner.encode(texts)


def _copies():
    exact = dict(ARTICLES[2], url="https://metrowire.example/larkspur", source="Metro Wire")
    near = dict(
        ARTICLES[0],
        url="https://riverpost.example/mill",
        source="River Post",
        text=ARTICLES[0]["text"] + "\nThis story was distributed by the Metro Wire service.",
    )
    return exact, near


def test_copies_are_not_embedded(settings, tmp_path):
    """Dedupe comes before embedding: a wire copy is never clustered, so its text is never encoded, whether
    its original is in the same batch or was stored by an earlier run."""
    exact, near = _copies()
    from newsfuse.embed import get_encoder

    enc = _CountingEncoder(get_encoder())
    with Pipeline(settings, encoder=enc) as pipe:
        report = pipe.ingest([str(write_jsonl(tmp_path / "a.jsonl", ARTICLES + [exact, near]))])
        assert report.stored == 6 and report.duplicates == 2
        assert len(enc.texts) == 4
        assert not any("Metro Wire service" in t for t in enc.texts)
        later = dict(ARTICLES[1], url="https://thirdpaper.example/mill", source="Third Paper")
        enc.texts.clear()
        again = pipe.ingest([str(write_jsonl(tmp_path / "b.jsonl", [later]))])
        assert again.stored == 1 and again.duplicates == 1 and enc.texts == []
        by_url = {a.url: a for a in pipe.repo.list_articles()}
        assert by_url[near["url"]].duplicate_of == by_url[ARTICLES[0]["url"]].id
        assert by_url[near["url"]].story_id == by_url[ARTICLES[0]["url"]].story_id
        assert by_url[later["url"]].story_id == by_url[ARTICLES[1]["url"]].story_id


def test_an_article_wrongly_taken_for_a_copy_before_the_lock_is_embedded_under_it(settings, tmp_path, monkeypatch):
    """The check before embedding is only a saving: if it calls an article a copy and the index under the
    write lock does not, the article is embedded there and clustered as usual."""
    path = str(write_jsonl(tmp_path / "a.jsonl", ARTICLES + list(_copies())))
    from newsfuse.config import load_settings

    with Pipeline(load_settings(db=str(tmp_path / "plain.sqlite3"), allow_private_addresses=True)) as plain:
        plain.ingest([path])
        expected = _stories_by_url(plain)
    monkeypatch.setattr(Pipeline, "_probably_new", staticmethod(lambda batch, sigs, deduper: []))
    with Pipeline(settings) as pipe:
        report = pipe.ingest([path])
        assert report.stored == 6 and report.duplicates == 2
        assert _stories_by_url(pipe) == expected
        assert len(pipe.repo.list_stories()) == 2


def test_batch_that_fails_midway_leaves_store_as_it_was(pipe, tmp_path, monkeypatch):
    path = str(write_jsonl(tmp_path / "a.jsonl"))
    pipe.ingest([str(write_jsonl(tmp_path / "first.jsonl", ARTICLES[:2]))])
    before = [(a.id, a.story_id, a.text) for a in pipe.repo.list_articles()]
    state_before = pipe.repo.get_state("cluster.v1")
    real_put = pipe.repo.put_embedding
    calls = {"n": 0}

    def failing_put(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_put(*args, **kw)

    monkeypatch.setattr(pipe.repo, "put_embedding", failing_put)
    with pytest.raises(OSError, match="disk full"):
        pipe.ingest([path], batch_size=8)
    assert [(a.id, a.story_id, a.text) for a in pipe.repo.list_articles()] == before
    assert pipe.repo.get_state("cluster.v1") == state_before
    monkeypatch.setattr(pipe.repo, "put_embedding", real_put)
    again = pipe.ingest([path])
    assert again.stored == 2 and again.unchanged == 2
    assert pipe.repo.count_stories() == 2


def test_bad_inputs_are_counted_skips(pipe, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "x", "text": "too short"}\nnot json at all\n{"title": "no body"}\n', encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    report = pipe.ingest([str(bad), str(empty), str(tmp_path / "missing.html")])
    assert report.stored == 0
    reasons = " | ".join(r for _, r in report.skipped)
    assert len(report.skipped) == 5, reasons
    assert "invalid JSON" in reasons and "empty file" in reasons and "no such file" in reasons
    assert "short" in reasons


def test_brief_cites_both_outlets(pipe, tmp_path):
    pipe.ingest([str(write_jsonl(tmp_path / "a.jsonl"))])
    story = next(s for s in pipe.repo.list_stories() if "Dunmore" in s.title or "Kessler" in s.title)
    brief = pipe.brief(story.id)
    assert brief.headline
    cited = {c.outlet for s in brief.synthesis for c in s.citations}
    assert cited == {"Harbor Ledger", "Valley Courier"}
    assert pipe.repo.get_brief(story.id) == brief  # stored
    with pytest.raises(NotFound):
        pipe.brief("s-nope")


def test_seeds_form_one_story_whose_brief_cites_both(pipe):
    seeds = shared_path("seeds")
    a = next(seeds.glob("000_*.txt"))
    b = next(seeds.glob("002_*.txt"))
    report = pipe.ingest([str(a), str(b)])
    assert report.stored == 2, report.skipped
    arts = pipe.repo.list_articles()
    assert len({x.story_id for x in arts}) == 1
    for art in arts:
        assert art.title and len(art.title) < 200
        assert "Be the first to leave a comment" not in art.text
        assert "NORTH KOREA VOWS TO" not in art.text
    brief = pipe.brief(arts[0].story_id)
    cited = {c.article_id for s in brief.synthesis for c in s.citations}
    assert cited == {x.id for x in arts}
    assert pipe.repo.list_articles(ArticleQuery(story_id=arts[0].story_id, include_duplicates=False))


def test_read_source_extracts_without_storing(pipe, tmp_path):
    from newsfuse.pipeline import SourceUnreadable

    src = tmp_path / "statement.txt"
    src.write_text("Council statement\n\nThe council approved the budget on Tuesday.\n", encoding="utf-8")
    arts = pipe.read_source(str(src))
    assert len(arts) == 1 and "approved the budget" in arts[0].text  # short texts are fine as sources
    assert pipe.repo.count_articles() == 0  # nothing stored
    with pytest.raises(SourceUnreadable, match="missing.txt"):
        pipe.read_source(str(tmp_path / "missing.txt"))
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    with pytest.raises(SourceUnreadable):
        pipe.read_source(str(tmp_path / "empty.txt"))
