"""Shared pieces for the serve tests (imported by test_serve_*.py and tests/browser/), plus unit tests of
the serve package's small helpers.

The fixture store holds three fictional stories written for these tests, stored through the Repository
exactly as the pipeline stores them (articles with story ids, stories, briefs with citations whose
offsets point into the article texts). One story's brief is left unbuilt so the server builds it on
demand; one story is hostile (markup and a javascript: URL in its title, text and links).
"""

from __future__ import annotations

import re
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsfuse.model import (
    Article,
    Brief,
    CheckReport,
    Citation,
    Entity,
    Evidence,
    FigureConflict,
    KeyPoint,
    OutletFraming,
    Quote,
    Story,
    SynthesisSentence,
    Verdict,
)
from newsfuse.pipeline import Pipeline
from newsfuse.store import open_repository

TOKEN = "test-token-0123456789abcdef"
HOSTILE_TITLE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">Budget row'

# -- the fixture corpus (fiction) --------------------------------------------------------------------------

BRIDGE = [
    {
        "outlet": "Harbor Ledger",
        "title": "Harbor Bridge shut after inspectors find cracks in main span",
        "published": "2024-05-14T07:30:00+00:00",
        "url": "https://harborledger.example/news/harbor-bridge-shut",
        "text": (
            "The Harbor Bridge was closed to all traffic on Tuesday after inspectors found cracks in its main span.\n"
            "City engineer Maria Okafor said the cracks were discovered during a routine inspection on Monday night.\n"
            "About 40,000 vehicles cross the bridge every day, according to the transport department.\n"
            '"We will not reopen the bridge until we are certain it is safe," Okafor said.\n'
            "Ferry services will run every 15 minutes while the bridge is closed."
        ),
    },
    {
        "outlet": "Northside Gazette",
        "title": "Commuters scramble as cracked Harbor Bridge closes indefinitely",
        "published": "2024-05-14T09:10:00+00:00",
        "url": "https://northside.example/2024/05/14/bridge",
        "text": (
            "Commuters faced long queues on Tuesday after the Harbor Bridge was closed because of cracks in its main span.\n"
            "The bridge carries roughly 55,000 vehicles a day, the mayor's office said.\n"
            "Mayor Daniel Reyes called the closure a painful but necessary step.\n"
            '"Public safety comes first, and that is not negotiable," Reyes told reporters.\n'
            "Engineers expect the repairs to take at least six weeks."
        ),
    },
    {
        "outlet": "Valley Courier",
        "title": "Bridge closure: what we know",
        "published": "2024-05-14T12:45:00+00:00",
        "url": None,
        "text": (
            "Inspectors found cracks in the main span of the Harbor Bridge during a routine inspection on Monday night.\n"
            "The bridge was closed to all traffic on Tuesday morning.\n"
            "Ferry services will run every 15 minutes while the bridge is closed.\n"
            "The Harbor Transit Authority said extra buses would serve the eastern shore."
        ),
    },
]

BUDGET = [
    {
        "outlet": "Northside Gazette",
        "title": "Council passes budget with big transit expansion",
        "published": "2024-05-13T18:00:00+00:00",
        "url": "https://northside.example/2024/05/13/budget",
        "text": (
            "The city council approved a 2.1 billion dollar budget on Monday by a vote of seven to two.\n"
            "The budget includes 120 million dollars for new tram lines on the eastern shore.\n"
            "Councillor Priya Nair said the transit money would cut commuting times for thousands of families."
        ),
    },
    {
        "outlet": "Valley Courier",
        "title": "Tram lines win funding in city budget",
        "published": "2024-05-13T20:30:00+00:00",
        "url": "https://valleycourier.example/budget-trams",
        "text": (
            "New tram lines for the eastern shore will receive 120 million dollars under the budget approved on Monday.\n"
            "The council voted seven to two in favour of the plan.\n"
            "Opponents said the money should have gone to road repairs."
        ),
    },
]

HOSTILE = [
    {
        "outlet": "Mischief Daily",
        "title": HOSTILE_TITLE,
        "published": "2024-05-12T08:00:00+00:00",
        "url": "javascript:window.__pwned=3",
        "text": (
            "A reader wrote <script>window.__pwned=4</script> into the comment box on Sunday.\n"
            'The site said the <img src=x onerror="window.__pwned=5"> tag would be shown as text.'
        ),
    },
]


def _article(story_id: str, raw: dict[str, Any], n: int) -> Article:
    return Article(
        id=f"{story_id}-a{n}",
        title=raw["title"],
        text=raw["text"],
        outlet=raw["outlet"],
        url=raw["url"],
        published=raw["published"],
        story_id=story_id,
        fetched_at=raw["published"],
    )


def sentences_of(article: Article) -> list[tuple[int, int, str]]:
    """(start, end, text) of each line-sentence of a fixture article."""
    out, pos = [], 0
    for line in article.text.split("\n"):
        start = article.text.index(line, pos)
        out.append((start, start + len(line), line))
        pos = start + len(line)
    return out


def cite(article: Article, index: int) -> Citation:
    start, end, text = sentences_of(article)[index]
    return Citation(
        article_id=article.id,
        outlet=article.outlet,
        sentence_index=index,
        text=text,
        url=article.url,
        start=start,
        end=end,
    )


def _bridge_brief(arts: list[Article]) -> Brief:
    hl, ng, vc = arts
    closed = KeyPoint(
        "The Harbor Bridge was closed on Tuesday after inspectors found cracks in its main span.",
        [cite(hl, 0), cite(ng, 0), cite(vc, 1)],
    )
    inspection = KeyPoint(
        "The cracks were found during a routine inspection on Monday night.", [cite(hl, 1), cite(vc, 0)]
    )
    ferries = KeyPoint("Ferries will run every 15 minutes while the bridge is closed.", [cite(hl, 4), cite(vc, 2)])
    repairs = KeyPoint("Engineers expect repairs to take at least six weeks.", [cite(ng, 4)])
    buses = KeyPoint("Extra buses will serve the eastern shore.", [cite(vc, 3)])
    return Brief(
        story_id="s-bridge",
        headline="Harbor Bridge closed after inspectors find cracks in main span",
        key_points=[closed, inspection, ferries, repairs],
        synthesis=[
            SynthesisSentence(closed.text, closed.citations),
            SynthesisSentence(inspection.text, inspection.citations),
            SynthesisSentence(
                "About 40,000 vehicles cross the bridge every day, according to the transport department.",
                [cite(hl, 2), cite(ng, 1)],
            ),
        ],
        quotes=[
            Quote("We will not reopen the bridge until we are certain it is safe.", "Maria Okafor", [cite(hl, 3)]),
            Quote("Public safety comes first, and that is not negotiable.", "Daniel Reyes", [cite(ng, 3)]),
        ],
        entities=[
            Entity("Harbor Bridge", "PLACE", {"Harbor Ledger": 2, "Northside Gazette": 2, "Valley Courier": 3}),
            Entity("Maria Okafor", "PERSON", {"Harbor Ledger": 2}),
            Entity("Daniel Reyes", "PERSON", {"Northside Gazette": 2}),
            Entity("Harbor Transit Authority", "ORG", {"Valley Courier": 1}),
        ],
        agreement=[closed, inspection],
        only_one=[repairs, buses],
        framing=[
            OutletFraming("Harbor Ledger", hl.title, ["inspectors", "main span"], hl.id, hl.url),
            OutletFraming("Northside Gazette", ng.title, ["commuters", "queues"], ng.id, ng.url),
            OutletFraming("Valley Courier", vc.title, ["transit authority", "buses"], vc.id, vc.url),
        ],
        figure_conflicts=[
            FigureConflict(
                "Vehicles crossing the bridge each day",
                {"Harbor Ledger": "about 40,000", "Northside Gazette": "roughly 55,000"},
                [cite(hl, 2), cite(ng, 1)],
            )
        ],
        outlets=["Harbor Ledger", "Northside Gazette", "Valley Courier"],
        article_ids=[a.id for a in arts],
        generated_at="2024-05-14T13:00:00+00:00",
    )


def _hostile_brief(arts: list[Article]) -> Brief:
    (a,) = arts
    point = KeyPoint(a.text.split("\n")[0], [cite(a, 0)])
    return Brief(
        story_id="s-hostile",
        headline=HOSTILE_TITLE,
        key_points=[point, KeyPoint(a.text.split("\n")[1], [cite(a, 1)])],
        synthesis=[SynthesisSentence(point.text, point.citations)],
        quotes=[Quote('<b onmouseover="window.__pwned=6">bold</b>', "<script>x()</script>", [cite(a, 1)])],
        entities=[Entity("<svg onload=window.__pwned=7>", "ORG", {a.outlet: 1})],
        framing=[OutletFraming(a.outlet, a.title, ["<i>term</i>"], a.id, "javascript:window.__pwned=8")],
        outlets=[a.outlet],
        article_ids=[a.id],
        generated_at="2024-05-12T09:00:00+00:00",
    )


def simple_brief(story_id: str, articles: list[Article]) -> Brief:
    """A small extractive brief (first sentence of each article), as the on-demand builder in tests."""
    points = [KeyPoint(sentences_of(a)[0][2], [cite(a, 0)]) for a in articles if not a.duplicate_of]
    return Brief(
        story_id=story_id,
        headline=articles[0].title if articles else "",
        key_points=points,
        synthesis=[SynthesisSentence(p.text, p.citations) for p in points[:2]],
        outlets=sorted({a.outlet for a in articles}),
        article_ids=[a.id for a in articles],
        generated_at="2024-05-14T14:00:00+00:00",
        method="test-extractive",
    )


def fill_store(db: str) -> dict[str, list[Article]]:
    """Write the fixture stories into the store at ``db``; returns story id -> articles."""
    repo = open_repository(db)
    out: dict[str, list[Article]] = {}
    try:
        with repo.transaction():
            for sid, raws, brief_fn in (
                ("s-bridge", BRIDGE, _bridge_brief),
                ("s-budget", BUDGET, None),
                ("s-hostile", HOSTILE, _hostile_brief),
            ):
                arts = [_article(sid, r, i) for i, r in enumerate(raws, start=1)]
                for a in arts:
                    repo.add_article(a)
                if sid == "s-bridge":  # a syndicated copy of the first article
                    copy = Article(
                        id="s-bridge-copy",
                        title=arts[0].title,
                        text=arts[0].text,
                        outlet="Wire Digest",
                        url="https://wiredigest.example/harbor-bridge",
                        published="2024-05-14T08:00:00+00:00",
                        duplicate_of=arts[0].id,
                        story_id=sid,
                    )
                    repo.add_article(copy)
                stamps = sorted(a.published for a in arts)
                repo.save_story(
                    Story(
                        id=sid,
                        article_ids=[a.id for a in arts],
                        outlets=sorted({a.outlet for a in arts}),
                        title=arts[0].title,
                        first_seen=stamps[0],
                        last_seen=stamps[-1],
                    )
                )
                if brief_fn is not None:
                    repo.save_brief(brief_fn(arts))
                out[sid] = arts
    finally:
        repo.close()
    return out


# -- a checker for tests: word overlap and numbers, nothing learned ---------------------------------------

_WORD = re.compile(r"[a-z0-9][a-z0-9,.']*[a-z0-9]|[a-z0-9]")
_STOP = set(
    "a an the of in on at to for and or but is was were be by with its it this that as from after while".split()
)


def _words(text: str) -> set[str]:
    return {w.replace(",", "") for w in _WORD.findall(text.lower())} - _STOP


class LexicalChecker:
    """Supported when most content words of a sentence appear in one source sentence; contradicted when
    that sentence matches well but states a different number."""

    def check(self, summary: str | list[str], sources: list[Article]) -> CheckReport:
        sents = summary if isinstance(summary, list) else [s for s in re.split(r"(?<=[.!?])\s+", summary.strip()) if s]
        pool = [(a, i, s) for a in sources for i, s in enumerate(re.split(r"(?<=[.!?])\s+|\n", a.text)) if s.strip()]
        verdicts = []
        for sent in sents:
            w = _words(sent)
            best, best_score = None, 0.0
            for a, i, s in pool:
                score = len(w & _words(s)) / max(1, len(w))
                if score > best_score:
                    best, best_score = (a, i, s), score
            nums = {x for x in w if x[0].isdigit()}
            label = "unsupported"
            if best is not None and best_score >= 0.6:
                src_nums = {x for x in _words(best[2]) if x[0].isdigit()}
                label = "contradicted" if nums and not nums <= src_nums else "supported"
            ev = [Evidence(best[2], round(best_score, 3), best[0].outlet, best[0].id, best[1])] if best else []
            verdicts.append(Verdict(sent, label, round(best_score if label == "supported" else best_score / 3, 3), ev))
        score = min((v.score for v in verdicts), default=0.0)
        return CheckReport(verdicts, score)


class HashingEncoder:
    """A tiny offline encoder (hashed word counts, unit rows) so ingest tests load no model."""

    dim = 256

    def encode(self, texts):  # noqa: ANN001, ANN201
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in _words(t):
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
            norm = float(np.linalg.norm(out[i]))
            if norm:
                out[i] /= norm
        return out


class OfflineFetcher:
    """Refuses every URL at once (tests never reach the network)."""

    def fetch(self, url: str, **_kw: Any) -> Any:
        from newsfuse.ingest.http import FetchError

        raise FetchError("offline in tests", url)

    def fetch_many(self, urls: Any, **kw: Any) -> Iterator[tuple[str, Any]]:
        from newsfuse.ingest.http import FetchError

        for u in urls:
            yield u, FetchError("offline in tests", u)

    def close(self) -> None:
        pass


class FixturePipeline(Pipeline):
    """The real Pipeline with a lexical checker and a tiny brief builder (no model loads in tests)."""

    built: list[str]

    def brief(self, story_id: str, rebuild: bool = False) -> Brief:
        story = self.repo.get_story(story_id)
        if story is None:
            from newsfuse.pipeline import NotFound

            raise NotFound(story_id)
        cached = None if rebuild else self.repo.get_brief(story_id)
        if cached is not None:
            return cached
        self.built = [*getattr(self, "built", []), story_id]
        brief = simple_brief(story_id, self.story_articles(story_id))
        self.repo.save_brief(brief)
        return brief


# -- a live server on a free port ---------------------------------------------------------------------------


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def make_app(tmp_path: Path, encoder: Any = None, **overrides: Any) -> tuple[Any, FixturePipeline]:
    from newsfuse.config import load_settings
    from newsfuse.serve import create_app

    db = str(tmp_path / "serve.sqlite3")
    fill_store(db)
    options = {"api_token": TOKEN, "rate_limit_per_minute": 600, "max_body_bytes": 64 * 1024}
    options.update(overrides)
    settings = load_settings(db=db, **{k: v for k, v in options.items() if v is not None})
    if "api_token" in overrides and overrides["api_token"] is None:
        settings = settings.replace(api_token=None)
    pipe = FixturePipeline(settings, encoder=encoder, checker=LexicalChecker(), fetcher=OfflineFetcher())
    app = create_app(settings, pipe, brief_wait_s=5.0, prefetch_briefs=False)
    return app, pipe


def serve(tmp_path: Path, encoder: Any = None, **overrides: Any) -> Iterator[tuple[str, FixturePipeline]]:
    app, pipe = make_app(tmp_path, encoder, **overrides)
    with LiveServer(app) as srv:
        yield srv.url, pipe
    pipe.close()


# -- unit tests of the small helpers ----------------------------------------------------------------------


def test_token_bucket_refills_at_the_configured_rate():
    from newsfuse.serve.security import ApiError, TokenBucketLimiter

    now = [100.0]
    lim = TokenBucketLimiter(6, clock=lambda: now[0])  # 6 a minute: one every 10 s, burst 6
    assert all(lim.acquire("a") == 0 for _ in range(6))
    wait = lim.acquire("a")
    assert 9.9 < wait <= 10.0
    assert lim.acquire("b") == 0  # another client has its own bucket
    now[0] += 10.0
    assert lim.acquire("a") == 0
    with pytest.raises(ApiError) as exc:
        lim.check("a")
    assert exc.value.status == 429 and exc.value.headers["Retry-After"] == "10"
    assert TokenBucketLimiter(0).acquire("x") == 0  # 0 turns limiting off


def test_auth_policy_distinguishes_missing_wrong_and_unconfigured_tokens():
    from newsfuse.serve.security import ApiError, AuthPolicy

    with pytest.raises(ApiError) as exc:
        AuthPolicy(None, True).require_write("Bearer anything")
    assert exc.value.status == 403 and "NEWSFUSE_API_TOKEN" in exc.value.message
    pol = AuthPolicy("s3cret", public_reads=False)
    for header, status in ((None, 401), ("Basic czNjcmV0", 401), ("Bearer nope", 401)):
        with pytest.raises(ApiError) as exc:
            pol.require_write(header)
        assert exc.value.status == status
    pol.require_write("Bearer s3cret")
    pol.require_read("bearer s3cret")
    assert pol.reader_allowed(None, pol.session_value())
    assert not pol.reader_allowed(None, "forged")
    assert "s3cret" not in (pol.session_value() or "")


def test_safe_url_keeps_only_http_links():
    from newsfuse.serve.pages import safe_url

    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in (
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "/local",
        None,
        "",
    ):
        assert safe_url(bad) is None


def test_fixture_citations_point_at_their_sentences(tmp_path):
    stories = fill_store(str(tmp_path / "f.sqlite3"))
    repo = open_repository(str(tmp_path / "f.sqlite3"))
    try:
        brief = repo.get_brief("s-bridge")
        assert brief is not None and repo.get_brief("s-budget") is None
        arts = {a.id: a for a in stories["s-bridge"]}
        for kp in brief.key_points:
            for c in kp.citations:
                assert arts[c.article_id].text[c.start : c.end] == c.text
        assert [s.id for s in repo.list_stories()][0] == "s-bridge"
    finally:
        repo.close()


def test_lexical_checker_labels():
    arts = [_article("s", r, i) for i, r in enumerate(BRIDGE, start=1)]
    rep = LexicalChecker().check(
        "The Harbor Bridge was closed on Tuesday after inspectors found cracks. "
        "About 90,000 vehicles cross the bridge every day. The mayor resigned in disgrace.",
        arts,
    )
    assert [v.label for v in rep.verdicts] == ["supported", "contradicted", "unsupported"]
