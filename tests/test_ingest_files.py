"""Local files and concurrent writers through the real ``Pipeline`` (extract, dedupe, cluster, store).

Cases found by a bad-input review: ``.html`` files that are fragments, UTF-16 or open with a long
comment were stored with their tags; a cp1252 text file and non-UTF-8 JSON Lines came out garbled; a
word-for-word copy with no URL from a second outlet was dropped as "already stored"; and two ingests
writing to one store at once each kept their own duplicate index and clustering state, so the copies
they shared were missed and one event became two stories.
"""

from __future__ import annotations

import codecs
import json

import pytest

from newsfuse.extract import text_article_id
from newsfuse.model import Article, RawDocument

try:
    from .ingest_fixtures import HashingEncoder
except ImportError:
    from ingest_fixtures import HashingEncoder

pipeline_mod = pytest.importorskip("newsfuse.pipeline")

BODY = (
    "The Ferrier Street bridge closed on Monday after inspectors found a cracked steel girder under "
    "the eastern span, the city's transport office said. Engineers expect repairs to take three weeks, "
    "and buses will use the Harbour Road crossing until then. The council set aside 2 million for the work."
)
OTHER = (
    "A late frost damaged apple blossom across the valley's orchards this week, growers said, and the "
    "cooperative now expects a harvest a third smaller than last year's. Insurers have sent assessors "
    "to the worst-hit farms, and the regional minister promised an emergency fund by the end of May."
)


@pytest.fixture
def pipe(settings):
    p = pipeline_mod.Pipeline(settings, encoder=HashingEncoder())
    yield p
    p.close()


def _texts(pipe) -> list[str]:
    return [a.text for a in pipe.repo.list_articles()]


@pytest.mark.parametrize(
    "name, payload",
    [
        ("fragment.html", f"<article><h1>Bridge closed</h1><p>{BODY}</p></article>".encode()),
        ("utf16.html", f"<html><body><h1>Bridge closed</h1><p>{BODY}</p></body></html>".encode("utf-16")),
        (
            "late.html",
            (
                "<!-- " + "x" * 3000 + " -->\n" + f"<html><body><h1>Bridge closed</h1><p>{BODY}</p></body></html>"
            ).encode(),
        ),
    ],
)
def test_html_files_are_extracted_not_stored_with_their_tags(pipe, tmp_path, name, payload):
    path = tmp_path / name
    path.write_bytes(payload)
    report = pipe.ingest([str(path)])
    assert report.stored == 1, report.skipped
    (text,) = _texts(pipe)
    assert "<" not in text and "cracked steel girder" in text


def test_a_text_named_html_without_tags_is_still_text(pipe, tmp_path):
    path = tmp_path / "plain.html"
    path.write_text(f"Bridge closed\n\n{BODY}")
    assert pipe.ingest([str(path)]).stored == 1
    assert "cracked steel girder" in _texts(pipe)[0]


def test_cp1252_text_keeps_its_quotes_and_accents(pipe, tmp_path):
    text = f"Bridge closed\n\nThe mayor said \u201cthis bridge matters\u201d \u2014 at the caf\u00e9, for \u20ac2 million. {BODY}"
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    assert pipe.ingest([str(path)]).stored == 1
    stored = _texts(pipe)[0]
    assert "\u201cthis bridge matters\u201d \u2014 at the caf\u00e9, for \u20ac2 million" in stored


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_json_lines_with_a_bom_or_a_legacy_code_page(pipe, tmp_path, encoding):
    records = [
        {"title": "Pont fermé", "text": f"Le pont est fermé au café du port. {BODY}", "source": "Le Courrier"},
        {"title": "Frost", "text": OTHER, "source": "Valley News"},
    ]
    path = tmp_path / "items.jsonl"
    path.write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode(encoding))
    report = pipe.ingest([str(path)])
    assert (report.stored, report.skipped) == (2, [])
    titles = sorted(a.title for a in pipe.repo.list_articles())
    assert titles == ["Frost", "Pont fermé"]
    assert any("fermé au café" in t for t in _texts(pipe))


def test_the_same_words_from_another_outlet_are_recorded_as_a_duplicate(pipe, tmp_path):
    path = tmp_path / "wire.jsonl"
    rows = [{"title": "Bridge closed", "text": BODY, "source": s} for s in ("Wire A", "Paper B", "Wire A")]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = pipe.ingest([str(path)])
    assert (report.stored, report.duplicates, report.unchanged) == (2, 1, 1)
    outlets = sorted(a.outlet for a in pipe.repo.list_articles(pipeline_mod.ArticleQuery(include_duplicates=True)))
    assert outlets == ["Paper B", "Wire A"]
    # ingesting again stores nothing
    again = pipe.ingest([str(path)])
    assert (again.stored, again.unchanged) == (0, 3)


def test_an_article_stored_under_its_text_id_alone_is_not_stored_again(pipe, tmp_path):
    # a store made before the outlet was part of a URL-less article's id
    old = Article(id=text_article_id(BODY), title="Bridge closed", text=BODY, outlet="Wire A")
    with pipe.repo.transaction():
        assert pipe.repo.add_article(old)
        pipe.repo.put_signature(old.id, pipe._load_deduper().signature(BODY))
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": "Bridge closed", "text": BODY, "source": "Wire A"}))
    report = pipe.ingest([str(path)])
    assert (report.stored, report.unchanged) == (0, 1)
    # the same words from another outlet are still that outlet's copy
    path.write_text(json.dumps({"title": "Bridge closed", "text": BODY, "source": "Paper B"}))
    report = pipe.ingest([str(path)])
    assert (report.stored, report.duplicates) == (1, 1)


def _record(text: str, outlet: str, n: int) -> RawDocument:
    fields = {"title": f"{outlet} report {n}", "text": text, "source": outlet}
    return RawDocument(kind="record", location=f"test:{outlet}:{n}", fields=fields)


def test_a_second_writer_between_batches_is_seen(settings):
    """Writer A loads its state, writer B stores an article, then A gets B's article word for word from
    another outlet, and a lightly edited copy: A must find both copies of B's article (exact and near)
    and file them under B's story."""
    a = pipeline_mod.Pipeline(settings, encoder=HashingEncoder())
    b = pipeline_mod.Pipeline(settings, encoder=HashingEncoder())
    try:

        def stream():
            yield _record(OTHER, "Valley News", 1)  # A's first batch, committed before B writes
            report_b = b.ingest_raw([_record(BODY, "Coast Courier", 1)])
            assert report_b.stored == 1
            yield _record(BODY, "Wire A", 2)  # B's article, word for word
            yield _record(BODY.replace("three weeks", "about three weeks"), "Harbour Times", 3)

        report = a.ingest_raw(stream(), batch_size=1)
        assert (report.stored, report.duplicates) == (3, 2)
        arts = {x.outlet: x for x in a.repo.list_articles(pipeline_mod.ArticleQuery(include_duplicates=True))}
        assert arts["Wire A"].duplicate_of == arts["Harbour Times"].duplicate_of == arts["Coast Courier"].id
        assert arts["Harbour Times"].story_id == arts["Coast Courier"].story_id != arts["Valley News"].story_id
        stories = {x.story_id for x in arts.values()}
        assert len(stories) == 2
        # and B, ingesting again after A, sees A's articles too
        again = b.ingest_raw([_record(BODY, "Wire A", 2), _record(OTHER, "Valley News", 1)])
        assert (again.stored, again.unchanged) == (0, 2)
    finally:
        a.close()
        b.close()


def test_utf16_bom_is_read_by_the_sniffer():
    # the sniffer decodes before it looks for tags (every other byte of UTF-16 is a NUL)
    from newsfuse.ingest.files import _sniff_kind

    html = "<html><body><p>x</p></body></html>"
    assert _sniff_kind(codecs.BOM_UTF16_LE + html.encode("utf-16-le"), html_suffix=False) == "html"
    assert _sniff_kind(b"just words", html_suffix=True) == "text"
    assert _sniff_kind(b"<p>a fragment</p>", html_suffix=True) == "html"
    assert _sniff_kind(b"<p>a fragment</p>", html_suffix=False) == "text"


def test_a_commit_while_the_state_loads_is_not_lost(settings, monkeypatch):
    """Writer B commits while writer A is loading its duplicate index and clustering state: A must not
    take B's new marker for its stale state (and then write its clustering state over B's)."""
    a = pipeline_mod.Pipeline(settings, encoder=HashingEncoder())
    b = pipeline_mod.Pipeline(settings, encoder=HashingEncoder())
    try:
        load = a._load_clusterer
        fired = []

        def load_during_b_commit():
            if not fired:
                fired.append(b.ingest_raw([_record(BODY, "Coast Courier", 1)]).stored)
            return load()

        monkeypatch.setattr(a, "_load_clusterer", load_during_b_commit)
        report = a.ingest_raw([_record(BODY, "Wire A", 2)])
        assert fired == [1]
        assert (report.stored, report.duplicates) == (1, 1)
        arts = {x.outlet: x for x in a.repo.list_articles(pipeline_mod.ArticleQuery(include_duplicates=True))}
        assert arts["Wire A"].duplicate_of == arts["Coast Courier"].id
        assert arts["Wire A"].story_id == arts["Coast Courier"].story_id
        # B's story is still in the stored clustering state: a third writer's report of it joins it
        c = pipeline_mod.Pipeline(settings, encoder=HashingEncoder())
        try:
            c.ingest_raw([_record(BODY.replace("three weeks", "a month") + " Traffic was light.", "Harbour Times", 3)])
        finally:
            c.close()
        stories = {x.story_id for x in a.repo.list_articles(pipeline_mod.ArticleQuery(include_duplicates=True))}
        assert stories == {arts["Coast Courier"].story_id}
    finally:
        a.close()
        b.close()


def test_a_batch_that_stores_nothing_leaves_the_marker_alone(pipe, tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": "Bridge closed", "text": BODY, "source": "Wire A"}))
    pipe.ingest([str(path)])
    marker = pipe.repo.get_state("ingest.generation")
    assert marker
    assert pipe.ingest([str(path)]).unchanged == 1
    assert pipe.repo.get_state("ingest.generation") == marker


@pytest.mark.parametrize(
    "text, encoding",
    [
        (
            "Rz\u0105d og\u0142osi\u0142 w poniedzia\u0142ek, \u017ce most zostanie zamkni\u0119ty na trzy "
            "tygodnie. Prace b\u0119d\u0105 kosztowa\u0107 dwa miliony z\u0142otych, a autobusy pojad\u0105 objazdem.",
            "cp852",
        ),
        (
            "Vyriausyb\u0117 pirmadien\u012f paskelb\u0117, kad tiltas bus u\u017edarytas trims savait\u0117ms. "
            "Darbai kainuos du milijonus eur\u0173, o autobusai va\u017einės aplinkeliu.",
            "cp775",
        ),
    ],
)
def test_a_central_european_code_page_is_kept_when_nothing_says_windows(text, encoding):
    # the cp1252 rule above must not turn Polish or Lithuanian DOS text into mojibake
    from newsfuse.extract import detect_encoding

    data = text.encode(encoding)
    assert data.decode(detect_encoding(data)) == text


def test_one_latin1_line_does_not_garble_the_utf8_lines(pipe, tmp_path):
    good = [
        {"title": "Pont fermé", "text": f"Le pont est fermé au café du port. {BODY}", "source": "Le Courrier"},
        {"title": "Frost", "text": OTHER, "source": "Valley News"},
    ]
    pasted = {"title": "Crème", "text": f"La crème du café. {BODY} Encore.", "source": "La Presse"}
    data = b"\n".join(json.dumps(r, ensure_ascii=False).encode() for r in good)
    data += b"\n" + json.dumps(pasted, ensure_ascii=False).encode("latin-1")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(data)
    report = pipe.ingest([str(path)])
    assert report.skipped == []
    titles = sorted(a.title for a in pipe.repo.list_articles(pipeline_mod.ArticleQuery(include_duplicates=True)))
    assert titles == ["Crème", "Frost", "Pont fermé"]


def test_ctrl_c_reports_what_was_committed(pipe):
    def stream():
        yield _record(BODY, "Coast Courier", 1)
        yield _record(OTHER, "Valley News", 2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as exc:
        pipe.ingest_raw(stream(), batch_size=1)
    assert (exc.value.report.seen, exc.value.report.stored) == (2, 2)
    assert len(pipe.repo.list_articles()) == 2


def test_a_batch_that_fails_is_not_counted(pipe, monkeypatch):
    def broken(article, raw=None):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the batch is written: it rolls back

    monkeypatch.setattr(pipe.repo, "add_article", broken)
    with pytest.raises(KeyboardInterrupt) as exc:
        pipe.ingest_raw([_record(BODY, "Coast Courier", 1)])
    report = exc.value.report
    assert (report.stored, report.duplicates, report.article_ids) == (0, 0, [])
    monkeypatch.undo()
    assert pipe.repo.list_articles() == []


FERRY = (
    "The island ferry will run two extra sailings each weekend from June, the operator said on Thursday, "
    "after a winter in which queues at the mainland terminal stretched past the car park. The new timetable "
    "adds a 7 a.m. departure on Saturdays and a late return on Sundays, and fares will not change this year."
)


def test_json_lines_that_python_cannot_parse_are_skipped_and_the_rest_stored(pipe, tmp_path):
    """Found in review: a 5000-digit number (ValueError) or nesting 100,000 deep (RecursionError) on one
    line ended the whole run, so the good files beside it were not stored either."""
    (tmp_path / "a.txt").write_text(BODY, encoding="utf-8")
    lines = [
        json.dumps({"title": "Frost", "text": OTHER, "source": "Valley News"}),
        '{"title": "big", "text": "x", "n": ' + "9" * 5000 + "}",
        "[" * 100_000 + "]" * 100_000,
        json.dumps({"title": "Ferry", "body": FERRY, "source": "Harbour Courier"}),
    ]
    (tmp_path / "b.jsonl").write_text("\n".join(lines), encoding="utf-8")
    report = pipe.ingest([str(tmp_path)])
    assert report.stored == 3
    reasons = {loc.rsplit(":", 1)[-1]: why for loc, why in report.skipped}
    assert sorted(reasons) == ["2", "3"]
    assert all(why.startswith("invalid JSON line") for why in reasons.values())
    assert sorted(a.outlet for a in pipe.repo.list_articles()) == ["Harbour Courier", "Valley News", "a"]
