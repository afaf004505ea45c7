"""The JSON API over real HTTP: uvicorn on 127.0.0.1 (free port) in a thread, against a temp store."""

from __future__ import annotations

import threading

import httpx
import pytest

from newsfuse.model import Story
from test_serve_support import TOKEN, FixturePipeline, LexicalChecker, LiveServer, fill_store, make_app, serve

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A read-mostly server shared by the tests that do not change the store."""
    yield from serve(tmp_path_factory.mktemp("serve-read"))


@pytest.fixture
def fresh(tmp_path):
    yield from serve(tmp_path)


def _error(resp: httpx.Response, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# -- reads ---------------------------------------------------------------------------------------------------


def test_health_and_openapi(base):
    url, _ = base
    h = httpx.get(f"{url}/api/health").json()
    assert h["status"] == "ok" and h["writes_enabled"] is True and h["public_reads"] is True
    schema = httpx.get(f"{url}/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/stories", "get"),
        ("/api/stories/{story_id}", "get"),
        ("/api/articles/{article_id}", "get"),
        ("/api/articles", "post"),
        ("/api/feeds", "get"),
        ("/api/feeds", "post"),
        ("/api/feeds", "delete"),
        ("/api/check", "post"),
    ]:
        assert method in paths[path], (path, method)
    assert paths["/api/feeds"]["post"]["x-requires-token"] is True
    docs = httpx.get(f"{url}/api/docs")
    assert docs.status_code == 200 and "/api/stories/{story_id}" in docs.text and "token" in docs.text


def test_list_stories_ranked_with_paging(base):
    url, _ = base
    body = httpx.get(f"{url}/api/stories").json()
    assert body["total"] == 3 and body["offset"] == 0 and body["next_offset"] is None
    assert [s["id"] for s in body["items"]] == ["s-bridge", "s-budget", "s-hostile"]
    first = body["items"][0]
    assert first["n_outlets"] == 3 and first["n_articles"] == 4 and first["has_brief"] is True
    assert first["key_points"][0].startswith("The Harbor Bridge was closed")
    assert first["url"] == "/stories/s-bridge" and first["api_url"] == "/api/stories/s-bridge"

    page = httpx.get(f"{url}/api/stories", params={"limit": 1, "offset": 1}).json()
    assert [s["id"] for s in page["items"]] == ["s-budget"]
    assert page["total"] == 3 and page["next_offset"] == 2
    last = httpx.get(f"{url}/api/stories", params={"limit": 2, "offset": 2}).json()
    assert [s["id"] for s in last["items"]] == ["s-hostile"] and last["next_offset"] is None
    assert httpx.get(f"{url}/api/stories", params={"offset": 50}).json()["items"] == []
    recent = httpx.get(f"{url}/api/stories", params={"sort": "recent"}).json()
    assert [s["id"] for s in recent["items"]] == ["s-bridge", "s-budget", "s-hostile"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"outlet": "Harbor Ledger"}, ["s-bridge"]),
        ({"outlet": "valley courier"}, ["s-bridge", "s-budget"]),
        ({"since": "2024-05-14"}, ["s-bridge"]),
        ({"until": "2024-05-13T23:59:59Z"}, ["s-budget", "s-hostile"]),
        ({"since": "2024-05-13", "until": "2024-05-13T23:00:00+00:00"}, ["s-budget"]),
        ({"q": "tram"}, ["s-budget"]),
        ({"q": "ferry services bridge"}, ["s-bridge"]),
        ({"q": "submarine"}, []),
        ({"entity": "Maria Okafor"}, ["s-bridge"]),
        ({"entity": "Priya Nair"}, ["s-budget"]),  # no entities in a brief yet: found in the text
        ({"outlet": "Northside Gazette", "q": "council"}, ["s-budget"]),
        ({"until": "2024-05-13"}, ["s-budget", "s-hostile"]),  # a plain date: to the end of that day
        ({"q": "\U0001f525"}, []),  # a search with no word in it matches nothing, not everything
        ({"q": "---"}, []),
        ({"entity": "!!!"}, []),
    ],
)
def test_story_filters(base, params, expected):
    url, _ = base
    body = httpx.get(f"{url}/api/stories", params=params).json()
    assert [s["id"] for s in body["items"]] == expected
    assert body["total"] == len(expected)


def test_bad_query_parameters(base):
    url, _ = base
    err = _error(httpx.get(f"{url}/api/stories", params={"since": "last tuesday"}), 400, "bad_request")
    assert "since" in err["message"] and "ISO 8601" in err["message"]
    _error(httpx.get(f"{url}/api/stories", params={"limit": 0}), 422, "validation_error")
    _error(httpx.get(f"{url}/api/stories", params={"limit": 1000}), 422, "validation_error")
    _error(httpx.get(f"{url}/api/stories", params={"offset": -1}), 422, "validation_error")
    _error(httpx.get(f"{url}/api/stories", params={"sort": "random"}), 422, "validation_error")


def test_get_story_with_brief_articles_and_coverage(base):
    url, _ = base
    body = httpx.get(f"{url}/api/stories/s-bridge").json()
    assert body["story"]["id"] == "s-bridge" and body["brief_status"]["status"] == "ready"
    brief = body["brief"]
    assert brief["headline"].startswith("Harbor Bridge closed")
    cit = brief["key_points"][0]["citations"][0]
    assert {"article_id", "outlet", "sentence_index", "text", "url", "start", "end"} <= set(cit)
    assert [a["id"] for a in body["articles"]][:2] == ["s-bridge-a1", "s-bridge-copy"]  # chronological
    assert body["articles"][1]["duplicate_of"] == "s-bridge-a1"
    cov = body["coverage"]
    assert cov["articles_per_outlet"]["Harbor Ledger"] == 1
    rows = {r["text"]: r["outlets"] for r in cov["rows"]}
    assert rows["Engineers expect repairs to take at least six weeks."] == ["Northside Gazette"]
    assert len(cov["rows"][0]["outlets"]) == 3  # most widely reported first
    assert {"outlet": "Valley Courier", "text": "Extra buses will serve the eastern shore."} in cov["only_one"]


def test_brief_is_built_on_demand_and_cached(fresh):
    url, pipe = fresh
    listed = httpx.get(f"{url}/api/stories", params={"q": "tram"}).json()["items"][0]
    assert listed["has_brief"] is False and listed["key_points"] == []
    skip = httpx.get(f"{url}/api/stories/s-budget", params={"brief": "false"}).json()
    assert skip["brief"] is None and skip["brief_status"]["status"] == "building"
    assert getattr(pipe, "built", []) == []
    body = httpx.get(f"{url}/api/stories/s-budget").json()
    assert body["brief_status"]["status"] == "ready" and body["brief"]["method"] == "test-extractive"
    assert pipe.built == ["s-budget"]
    httpx.get(f"{url}/api/stories/s-budget")
    assert pipe.built == ["s-budget"]  # cached, not rebuilt
    assert httpx.get(f"{url}/api/stories", params={"q": "tram"}).json()["items"][0]["has_brief"] is True


def test_missing_things_are_404(base):
    url, _ = base
    _error(httpx.get(f"{url}/api/stories/nope"), 404, "not_found")
    _error(httpx.get(f"{url}/api/articles/nope"), 404, "not_found")
    _error(httpx.get(f"{url}/api/no-such-endpoint"), 404, "not_found")
    _error(httpx.put(f"{url}/api/stories"), 405, "method_not_allowed")


def test_merged_story_redirects_to_its_target(tmp_path):
    app, pipe = make_app(tmp_path)
    pipe.repo.save_story(Story(id="s-old", title="old", status="merged", merged_into="s-bridge"))
    with LiveServer(app) as srv:
        r = httpx.get(f"{srv.url}/api/stories/s-old", params={"brief": "false"})
        assert r.status_code == 308 and r.headers["location"] == "/api/stories/s-bridge?brief=false"
        assert httpx.get(f"{srv.url}/api/stories/s-old", follow_redirects=True).json()["story"]["id"] == "s-bridge"
    pipe.close()


def test_articles(base):
    url, _ = base
    art = httpx.get(f"{url}/api/articles/s-bridge-a2").json()
    assert art["outlet"] == "Northside Gazette" and "55,000 vehicles" in art["text"]
    assert art["story_id"] == "s-bridge" and art["words"] > 20
    listed = httpx.get(f"{url}/api/articles", params={"story_id": "s-bridge", "include_duplicates": "false"}).json()
    assert [a["id"] for a in listed["items"]] == ["s-bridge-a1", "s-bridge-a2", "s-bridge-a3"]


# -- auth ----------------------------------------------------------------------------------------------------


def test_writes_need_the_bearer_token(fresh):
    url, _ = fresh
    feed = {"url": "https://harborledger.example/feed.xml", "title": "Harbor Ledger"}
    r = httpx.post(f"{url}/api/feeds", json=feed)
    _error(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    _error(httpx.post(f"{url}/api/feeds", json=feed, headers={"Authorization": "Bearer wrong"}), 401, "invalid_token")
    _error(httpx.post(f"{url}/api/feeds", json=feed, headers={"Authorization": f"Basic {TOKEN}"}), 401)
    _error(httpx.delete(f"{url}/api/feeds", params={"url": feed["url"]}), 401)
    _error(httpx.post(f"{url}/api/articles", json={"url": "https://x.example/a"}), 401)

    r = httpx.post(f"{url}/api/feeds", json=feed, headers=AUTH)
    assert r.status_code == 201 and r.json()["created"] is True and r.json()["feed"]["url"] == feed["url"]
    assert httpx.post(f"{url}/api/feeds", json=feed, headers=AUTH).status_code == 200
    assert [f["url"] for f in httpx.get(f"{url}/api/feeds").json()] == [feed["url"]]
    _error(httpx.post(f"{url}/api/feeds", json={"url": "ftp://x.example/f"}, headers=AUTH), 422)
    assert httpx.delete(f"{url}/api/feeds", params={"url": feed["url"]}, headers=AUTH).status_code == 204
    _error(httpx.delete(f"{url}/api/feeds", params={"url": feed["url"]}, headers=AUTH), 404, "not_found")
    assert httpx.get(f"{url}/api/feeds").json() == []


def test_feeds_and_articles_with_values_the_policy_refuses(tmp_path):
    for url, _ in serve(tmp_path, allow_private_addresses=False):
        for feed in ("http://10.0.0.1/rss", "http://127.1:8080/feed", "http://localhost:9000/rss"):
            err = _error(httpx.post(f"{url}/api/feeds", json={"url": feed}, headers=AUTH), 422, "refused_url")
            assert "refused" in err["message"]
        assert httpx.get(f"{url}/api/feeds").json() == []
        art = {"text": "A bridge closed. " * 30, "title": "Bridge", "outlet": "X", "published": "yesterday-ish"}
        err = _error(httpx.post(f"{url}/api/articles", json=art, headers=AUTH), 422)
        assert "published" in err["message"]
        art["published"] = "2026-11-24T08:30:00Z"
        assert httpx.post(f"{url}/api/articles", json=art, headers=AUTH).status_code == 201


def test_writes_refused_when_no_token_is_configured(tmp_path):
    for url, _ in serve(tmp_path, api_token=None):
        r = httpx.post(f"{url}/api/feeds", json={"url": "https://a.example/feed"}, headers=AUTH)
        err = _error(r, 403, "writes_disabled")
        assert "NEWSFUSE_API_TOKEN" in err["message"]
        assert httpx.get(f"{url}/api/health").json()["writes_enabled"] is False
        assert httpx.get(f"{url}/api/stories").status_code == 200  # reads stay public


def test_private_reads(tmp_path):
    for url, _ in serve(tmp_path, public_reads=False):
        _error(httpx.get(f"{url}/api/stories"), 401, "unauthorized")
        _error(httpx.get(f"{url}/api/stories/s-bridge"), 401)
        assert httpx.get(f"{url}/api/stories", headers=AUTH).json()["total"] == 3
        # the web reader sends visitors to the login page, which sets a session cookie (not the token)
        r = httpx.get(f"{url}/stories/s-bridge")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        with httpx.Client(base_url=url) as web:
            bad = web.post("/login", data={"token": "wrong", "next": "/"})
            assert bad.status_code == 401 and "not valid" in bad.text
            ok = web.post("/login", data={"token": TOKEN, "next": "/stories/s-bridge"})
            assert ok.status_code == 303 and ok.headers["location"] == "/stories/s-bridge"
            cookie = ok.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
            assert web.get("/stories/s-bridge").status_code == 200
            assert web.get("/api/stories").status_code == 200
            _error(web.post("/api/feeds", json={"url": "https://a.example/feed"}), 401)  # cookies never write
            evil = web.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
            assert evil.headers["location"] == "/"


# -- limits --------------------------------------------------------------------------------------------------


def test_body_cap_413(base):
    url, _ = base
    big = {"summary": "x" * (70 * 1024), "sources": ["y"]}
    err = _error(httpx.post(f"{url}/api/check", json=big), 413, "payload_too_large")
    assert "65,536" in err["message"]

    def chunks():  # no Content-Length: the cap is enforced while streaming
        yield b'{"summary": "'
        for _ in range(100):
            yield b"z" * 1024
        yield b'", "sources": ["a"]}'

    r = httpx.post(f"{url}/api/check", content=chunks(), headers={"Content-Type": "application/json"})
    _error(r, 413, "payload_too_large")
    r = httpx.post(f"{url}/api/articles", content=b"x" * (65 * 1024), headers=AUTH)
    _error(r, 413)
    page = httpx.post(
        f"{url}/check",
        content=b"summary=" + b"x" * (65 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413 and "text/html" in page.headers["content-type"]


def test_rate_limit_429(tmp_path):
    for url, _ in serve(tmp_path, rate_limit_per_minute=3):
        body = {"summary": "The council voted seven to two.", "story_id": "s-budget"}
        codes = [httpx.post(f"{url}/api/check", json=body).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = httpx.post(f"{url}/api/check", json=body)
        err = _error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1 and "3 a minute" in err["message"]
        _error(httpx.post(f"{url}/api/feeds", json={"url": "https://a.example/f"}, headers=AUTH), 429)
        assert httpx.get(f"{url}/api/stories").status_code == 200  # reads are not limited


# -- check ---------------------------------------------------------------------------------------------------


def test_check_against_a_story(base):
    url, _ = base
    summary = (
        "The Harbor Bridge was closed on Tuesday after inspectors found cracks in its main span. "
        "About 90,000 vehicles cross the bridge every day. "
        "The mayor resigned in disgrace."
    )
    r = httpx.post(f"{url}/api/check", json={"summary": summary, "story_id": "s-bridge"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert [v["label"] for v in report["verdicts"]] == ["supported", "contradicted", "unsupported"]
    ev = report["verdicts"][1]["evidence"][0]
    assert "vehicles" in ev["text"] and ev["outlet"] in {"Harbor Ledger", "Northside Gazette"}
    assert 0 <= report["score"] <= 1


def test_check_with_texts_ids_and_sentence_lists(base):
    url, _ = base
    r = httpx.post(
        f"{url}/api/check",
        json={
            "summary": ["Tram lines on the eastern shore get 120 million dollars.", "Snow fell in July."],
            "sources": [
                {"text": "New tram lines on the eastern shore will receive 120 million dollars.", "outlet": "Memo"},
                "s-bridge-a3",
            ],
        },
    )
    assert r.status_code == 200, r.text
    verdicts = r.json()["verdicts"]
    assert [v["label"] for v in verdicts] == ["supported", "unsupported"]
    assert verdicts[0]["evidence"][0]["outlet"] == "Memo"


def test_check_input_errors(base):
    url, _ = base
    _error(httpx.post(f"{url}/api/check", json={"summary": "  ", "story_id": "s-bridge"}), 422, "validation_error")
    _error(httpx.post(f"{url}/api/check", json={"summary": "Something happened."}), 400, "bad_request")
    _error(httpx.post(f"{url}/api/check", json={"summary": "x.", "story_id": "nope"}), 404, "not_found")
    _error(
        httpx.post(f"{url}/api/check", json={"summary": "x.", "sources": [{"article_id": "nope"}]}), 404, "not_found"
    )
    _error(httpx.post(f"{url}/api/check", json={"summary": "x.", "sources": [{"text": "a", "url": "https://a"}]}), 422)
    _error(httpx.post(f"{url}/api/check", json={"summary": "x.", "bogus": 1, "story_id": "s-bridge"}), 422)
    r = httpx.post(f"{url}/api/check", content=b'{"summary": ', headers={"Content-Type": "application/json"})
    _error(r, 400, "bad_request")


# -- ingest --------------------------------------------------------------------------------------------------


def test_add_article_validation(fresh):
    url, _ = fresh
    _error(httpx.post(f"{url}/api/articles", json={}, headers=AUTH), 422, "validation_error")
    _error(httpx.post(f"{url}/api/articles", json={"html": "<p>a</p>", "text": "a"}, headers=AUTH), 422)
    _error(httpx.post(f"{url}/api/articles", json={"url": "file:///etc/passwd"}, headers=AUTH), 422)


def test_add_article_by_record(tmp_path):
    pytest.importorskip("newsfuse.extract", reason="needs the extract stage")
    pytest.importorskip("newsfuse.cluster", reason="needs the cluster stage")
    from newsfuse.config import load_settings
    from newsfuse.serve import create_app
    from test_serve_support import HashingEncoder

    db = str(tmp_path / "ingest.sqlite3")
    fill_store(db)
    settings = load_settings(db=db, api_token=TOKEN)
    pipe = FixturePipeline(settings, encoder=HashingEncoder(), checker=LexicalChecker())
    with LiveServer(create_app(settings, pipe, prefetch_briefs=False)) as srv:
        record = {
            "title": "Lighthouse keeper retires after forty years",
            "outlet": "Harbor Ledger",
            "published": "2024-05-15T08:00:00+00:00",
            "url": "https://harborledger.example/news/lighthouse-keeper",
            "text": " ".join(
                [
                    "The keeper of the Point Sable lighthouse retired on Wednesday after forty years of service.",
                    "Colleagues gathered at the harbour to thank him for decades of storm watches and rescues.",
                    "The lighthouse has been automated and will be run from the harbour office from next month.",
                    "He said he plans to spend his retirement sailing along the northern coast with his family.",
                ]
            ),
        }
        r = httpx.post(f"{srv.url}/api/articles", json=record, headers=AUTH)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["report"]["stored"] == 1
        art = body["articles"][0]
        assert art["outlet"] == "Harbor Ledger" and art["story_id"]
        assert httpx.get(f"{srv.url}/api/articles/{art['id']}").json()["title"].startswith("Lighthouse keeper")
        again = httpx.post(f"{srv.url}/api/articles", json=record, headers=AUTH)
        assert again.status_code == 200 and again.json()["report"]["stored"] == 0
        # the repeated post names the article it already stored
        assert [a["id"] for a in again.json()["articles"]] == [art["id"]]
        assert again.json()["report"]["existing_ids"] == [art["id"]]
    pipe.close()


# -- responsiveness ------------------------------------------------------------------------------------------


class _BlockedPipeline(FixturePipeline):
    """A brief build that waits until the test lets it go."""

    started: threading.Event
    release: threading.Event

    def brief(self, story_id, rebuild=False):  # noqa: ANN001, ANN201
        if self.repo.get_brief(story_id) is None:
            self.started.set()
            assert self.release.wait(30)
        return super().brief(story_id, rebuild)


def test_server_answers_while_a_brief_is_built(tmp_path):
    from newsfuse.config import load_settings
    from newsfuse.serve import create_app

    db = str(tmp_path / "slow.sqlite3")
    fill_store(db)
    settings = load_settings(db=db, api_token=TOKEN)
    pipe = _BlockedPipeline(settings, checker=LexicalChecker())
    pipe.started, pipe.release = threading.Event(), threading.Event()
    app = create_app(settings, pipe, brief_wait_s=0.2, prefetch_briefs=False)
    with LiveServer(app) as srv:
        results: dict[str, httpx.Response] = {}
        t = threading.Thread(
            target=lambda: results.update(api=httpx.get(f"{srv.url}/api/stories/s-budget", timeout=60))
        )
        t.start()
        assert pipe.started.wait(30)
        # the build is blocked, yet the server answers other requests, and the page says it is building
        assert httpx.get(f"{srv.url}/api/health").status_code == 200
        assert httpx.get(f"{srv.url}/api/stories/s-bridge").json()["brief"] is not None
        page = httpx.get(f"{srv.url}/stories/s-budget")
        assert page.status_code == 200 and "Building the brief" in page.text
        assert 'http-equiv="refresh"' in page.text and "Council passes budget" in page.text
        assert t.is_alive()
        pipe.release.set()
        t.join(30)
        assert results["api"].json()["brief_status"]["status"] == "ready"
        assert pipe.built == ["s-budget"]  # one build, shared by the API call and the page
    pipe.close()


def test_check_bounds_the_source_text_one_request_may_send():
    from pydantic import ValidationError

    from newsfuse.serve.api import MAX_CHECK_SOURCE_CHARS, CheckIn

    half = "The bridge closed on Monday. " * (MAX_CHECK_SOURCE_CHARS // 58)
    CheckIn(summary="The bridge closed.", sources=[{"text": half}, half])  # just under the bound
    with pytest.raises(ValidationError, match="check against fewer or shorter sources"):
        CheckIn(summary="The bridge closed.", sources=[{"text": half}, half, "one more sentence of text"])
