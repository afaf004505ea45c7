"""Optional LLM client for the abstractive brief mode.

``LLM`` is the interface (one method, ``chat(messages) -> str``); ``OpenAICompatibleLLM`` talks
to any server that implements the OpenAI ``/chat/completions`` endpoint (a local llama.cpp or
vLLM server, a hosted API), over httpx. ``get_llm(settings)`` returns a client when
``settings.llm_url`` and ``settings.llm_model`` are set, else ``None`` — newsfuse stays
extractive and offline by default.

Nothing generated is trusted: the brief stage numbers the source sentences, asks the model to
cite them, and publishes a generated sentence only when the claim checker labels it
``supported`` (see ``newsfuse.brief.abstractive``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import httpx

    from newsfuse.config import Settings

__all__ = ["LLM", "LLMError", "OpenAICompatibleLLM", "get_llm"]


class LLMError(RuntimeError):
    """The LLM server could not be reached or gave an unusable answer."""


@runtime_checkable
class LLM(Protocol):
    def chat(self, messages: list[dict[str, str]], *, temperature: float = 0.0, max_tokens: int = 600) -> str:
        """The assistant's reply to ``messages`` (``[{"role": ..., "content": ...}]``)."""
        ...


class OpenAICompatibleLLM:
    """A minimal OpenAI-compatible chat client (``POST {url}/chat/completions``)."""

    def __init__(
        self,
        url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        import httpx

        base = url.rstrip("/")
        if base.endswith("/chat/completions"):
            base = base[: -len("/chat/completions")]
        self.endpoint = base + "/chat/completions"
        self.model = model
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    def chat(self, messages: list[dict[str, str]], *, temperature: float = 0.0, max_tokens: int = 600) -> str:
        import httpx

        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        try:
            resp = self._client.post(self.endpoint, json=body)
        except httpx.HTTPError as exc:
            raise LLMError(f"LLM request failed: {exc.__class__.__name__}") from exc
        if resp.status_code != 200:
            raise LLMError(f"LLM server answered HTTP {resp.status_code}")
        try:
            data = resp.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError("LLM server gave an answer without choices[0].message.content") from exc
        if not isinstance(content, str):
            raise LLMError("LLM answer content is not text")
        return content

    def close(self) -> None:
        self._client.close()


def get_llm(settings: Settings | None) -> LLM | None:
    """A client for ``settings.llm_url``/``llm_model``, or None when no LLM is configured."""
    if settings is None or not settings.llm_url or not settings.llm_model:
        return None
    return OpenAICompatibleLLM(settings.llm_url, settings.llm_model, settings.llm_api_key)
