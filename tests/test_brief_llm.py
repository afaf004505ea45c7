"""The optional abstractive mode, against a fake OpenAI-compatible server (httpx.MockTransport)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import httpx
import pytest

from newsfuse.brief import build_brief
from newsfuse.brief.abstractive import parse_reply
from newsfuse.config import Settings
from newsfuse.llm import LLMError, OpenAICompatibleLLM, get_llm
from newsfuse.model import CheckReport, Verdict

# the fictional story and helpers of test_brief.py (loaded by path: works with any pytest import mode)
_spec = importlib.util.spec_from_file_location("_brief_story", Path(__file__).with_name("test_brief.py"))
_story = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_story)
ENC, STORY, _assert_citations_real = _story.ENC, _story.STORY, _story._assert_citations_real

GOOD = "A fire on the ferry Nordlys at Port Halvard injured at least 12 people on Tuesday"
BAD = "The captain was arrested for negligence"


def _server(reply: str, seen: list):
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append((request, body))
        assert request.url.path.endswith("/chat/completions")
        return httpx.Response(200, json={"choices": [{"message": {"role": "assistant", "content": reply}}]})

    return httpx.MockTransport(handler)


class KeywordChecker:
    """Supports a sentence unless it mentions an arrest (the fake hallucination)."""

    def __init__(self):
        self.seen = []

    def check(self, summary, sources):
        self.seen.append(list(summary))
        return CheckReport(
            verdicts=[
                Verdict(sentence=s, label="unsupported" if "arrested" in s else "supported", score=0.5) for s in summary
            ]
        )


def test_client_posts_openai_shape_with_key():
    seen = []
    llm = OpenAICompatibleLLM("http://llm.test/v1", "tiny", "sekret", transport=_server("hello", seen))
    assert llm.chat([{"role": "user", "content": "hi"}]) == "hello"
    req, body = seen[0]
    assert str(req.url) == "http://llm.test/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sekret"
    assert body["model"] == "tiny" and body["messages"][0]["content"] == "hi"


def test_client_errors_are_llmerror():
    def boom(request):
        return httpx.Response(500, json={"error": "x"})

    llm = OpenAICompatibleLLM("http://llm.test/v1", "tiny", transport=httpx.MockTransport(boom))
    with pytest.raises(LLMError):
        llm.chat([{"role": "user", "content": "hi"}])
    odd = OpenAICompatibleLLM(
        "http://llm.test", "m", transport=httpx.MockTransport(lambda r: httpx.Response(200, json={}))
    )
    with pytest.raises(LLMError):
        odd.chat([{"role": "user", "content": "hi"}])


def test_get_llm_only_when_configured():
    assert get_llm(Settings()) is None
    assert isinstance(get_llm(Settings(llm_url="http://x/v1", llm_model="m")), OpenAICompatibleLLM)


def test_parse_reply_keeps_valid_citations():
    got = parse_reply("First claim [1][3].\nSecond claim [99].\n- Third claim [2]", n_sources=3)
    assert got == [("First claim.", [0, 2]), ("Third claim", [1])]


def test_abstractive_publishes_only_checked_sentences():
    seen = []
    reply = f"{GOOD} [1][2].\n{BAD} [1]."
    llm = OpenAICompatibleLLM("http://llm.test/v1", "tiny", transport=_server(reply, seen))
    checker = KeywordChecker()
    b = build_brief("abs", STORY, encoder=ENC, checker=checker, settings=Settings(synthesis_sentences=3), llm=llm)
    assert b.method == "abstractive"
    texts = [s.text for s in b.synthesis]
    assert any(t.startswith(GOOD) for t in texts)
    assert not any("arrested" in t for t in texts)
    for s in b.synthesis:
        assert s.citations
        _assert_citations_real(s.citations)
    # the model saw numbered source sentences
    prompt = seen[0][1]["messages"][1]["content"]
    assert "[1] (" in prompt


def test_without_checker_stays_extractive():
    seen = []
    llm = OpenAICompatibleLLM("http://llm.test/v1", "tiny", transport=_server(f"{BAD} [1].", seen))
    b = build_brief("abs", STORY, encoder=ENC, settings=Settings(llm_url="http://llm.test/v1", llm_model="m"), llm=llm)
    assert b.method == "extractive" and not seen
    assert all(any(s.text == c.text for c in s.citations) for s in b.synthesis)


def test_unreachable_llm_falls_back_to_extractive():
    def down(request):
        raise httpx.ConnectError("refused")

    llm = OpenAICompatibleLLM("http://llm.test/v1", "tiny", transport=httpx.MockTransport(down))
    b = build_brief("abs", STORY, encoder=ENC, checker=KeywordChecker(), llm=llm)
    assert b.method == "extractive" and b.synthesis
