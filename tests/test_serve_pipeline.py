"""The server over a store filled by the real pipeline (extract, dedupe, cluster) with briefs built on demand
by the real brief builder and checks by the real checker. A small offline encoder stands in for MiniLM so
no model download or load is needed; spaCy loads once (a few seconds), hence ``slow``."""

from __future__ import annotations

import json

import httpx
import pytest

from test_serve_support import BRIDGE, BUDGET, HOSTILE, HOSTILE_TITLE, TOKEN, HashingEncoder, LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    pytest.importorskip("newsfuse.extract", reason="needs the extract stage")
    pytest.importorskip("newsfuse.cluster", reason="needs the cluster stage")
    brief_mod = pytest.importorskip("newsfuse.brief", reason="needs the brief builder")
    if not hasattr(brief_mod, "build_brief"):
        pytest.skip("newsfuse.brief has no build_brief yet")
    from newsfuse.check import Checker
    from newsfuse.config import load_settings
    from newsfuse.pipeline import Pipeline
    from newsfuse.serve import create_app

    tmp = tmp_path_factory.mktemp("pipeline")
    corpus = tmp / "fixture.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for rec in BRIDGE + BUDGET + HOSTILE:
            fh.write(json.dumps({k: v for k, v in rec.items() if v is not None}) + "\n")
    settings = load_settings(db=str(tmp / "p.sqlite3"), api_token=TOKEN, min_article_chars=50)
    enc = HashingEncoder()
    pipe = Pipeline(settings, encoder=enc, checker=Checker.load(settings, encoder=enc))
    report = pipe.ingest([str(corpus)])
    assert report.stored == len(BRIDGE + BUDGET + HOSTILE), report.skipped
    with LiveServer(create_app(settings, pipe, brief_wait_s=60, prefetch_briefs=False)) as srv:
        yield srv.url, pipe
    pipe.close()


def test_every_story_page_renders_its_real_brief(live):
    url, pipe = live
    stories = httpx.get(f"{url}/api/stories", params={"limit": 100}).json()["items"]
    assert stories and sum(s["n_articles"] for s in stories) == 6
    for s in stories:
        body = httpx.get(f"{url}/api/stories/{s['id']}", timeout=120).json()
        assert body["brief_status"]["status"] == "ready", body["brief_status"]
        brief = body["brief"]
        texts = {a.id: a.text for a in pipe.story_articles(s["id"], include_duplicates=True)}
        for kp in brief["key_points"]:
            for c in kp["citations"]:
                assert c["text"] in texts[c["article_id"]] or texts[c["article_id"]][c["start"] : c["end"]] == c["text"]
        page = httpx.get(f"{url}/stories/{s['id']}")
        assert page.status_code == 200 and "Timeline of coverage" in page.text
        assert "<script>window.__pwned" not in page.text
    front = httpx.get(f"{url}/").text
    assert "Top stories" in front and "<script>window.__pwned" not in front
    assert HOSTILE_TITLE.replace("<", "&lt;").replace(">", "&gt;")[:40] in front


def test_real_checker_through_the_api_and_the_page(live):
    url, _ = live
    bridge = next(
        s for s in httpx.get(f"{url}/api/stories", params={"q": "ferry"}).json()["items"] if s["n_outlets"] >= 1
    )
    summary = "The Harbor Bridge was closed on Tuesday after inspectors found cracks in its main span."
    r = httpx.post(f"{url}/api/check", json={"summary": summary, "story_id": bridge["id"]}, timeout=120)
    assert r.status_code == 200, r.text
    verdicts = r.json()["verdicts"]
    assert len(verdicts) == 1 and verdicts[0]["label"] in {"supported", "unsupported", "contradicted"}
    assert verdicts[0]["evidence"], "the checker gives its evidence"
    page = httpx.post(f"{url}/check", data={"summary": summary, "story": bridge["id"], "sources": ""}, timeout=120)
    assert page.status_code == 200 and 'class="verdicts"' in page.text
