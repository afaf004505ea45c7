"""Optional abstractive synthesis through an LLM, held to the same citation and checking rules.

The model sees the story's most salient source sentences, numbered, and must end each sentence it
writes with the numbers of the sentences that support it (``[2][5]``). A generated sentence is
published only when (1) it cites at least one valid source number and (2) the claim checker labels
it ``supported`` against the articles. A sentence that fails is replaced by the verbatim source
sentence it cited first (when that can stand alone and is not already used) or dropped. Without a
checker nothing generated is published: the caller keeps the extractive synthesis.
"""

from __future__ import annotations

import re
from typing import Any

from newsfuse.brief.facts import citation
from newsfuse.brief.select import standalone_problem
from newsfuse.model import SynthesisSentence

__all__ = ["abstractive_synthesis", "build_prompt", "parse_reply"]

_SYSTEM = (
    "You summarise news neutrally. Use only facts stated in the numbered source sentences; add no facts, "
    "opinions, speculation or loaded words. Write at most {k} sentences, main event first. End every sentence "
    "with the numbers of the source sentences that support it, in square brackets, for example [2][5]. "
    "Reply with the sentences only, one per line."
)
_CITE = re.compile(r"\[(\d{1,3})\]")


def build_prompt(numbered: list[tuple[str, str]], k: int) -> list[dict[str, str]]:
    """Chat messages for ``numbered`` = [(outlet, sentence)], numbered from 1."""
    lines = [f"[{i}] ({outlet}) {text}" for i, (outlet, text) in enumerate(numbered, 1)]
    return [
        {"role": "system", "content": _SYSTEM.format(k=k)},
        {
            "role": "user",
            "content": "Source sentences:\n" + "\n".join(lines) + f"\n\nWrite the summary ({k} sentences).",
        },
    ]


def parse_reply(reply: str, n_sources: int) -> list[tuple[str, list[int]]]:
    """[(sentence without its citation marks, [0-based source indices])], invalid numbers dropped."""
    out = []
    for line in reply.splitlines():
        line = line.strip().lstrip("-*• ").strip()
        if not line:
            continue
        parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", line) if len(_CITE.findall(line)) > 1 else [line]
        pending: list[str] = []
        for part in parts:
            nums = [int(x) - 1 for x in _CITE.findall(part)]
            text = re.sub(r"\s*" + _CITE.pattern, "", part).strip()
            if not nums:
                pending.append(text)
                continue
            if pending:
                text = " ".join([*pending, text])
                pending = []
            cited = [n for n in dict.fromkeys(nums) if 0 <= n < n_sources]
            text = re.sub(r"\s+([.,;:!?])", r"\1", text)
            if text and cited:
                out.append((text, cited))
    return out


def abstractive_synthesis(an: Any, llm: Any, checker: Any, k: int, max_sources: int = 30) -> list[SynthesisSentence]:
    """Generated, checked, cited synthesis sentences (may be fewer than ``k``; empty on any failure)."""
    if checker is None or llm is None or not an.units:
        return []
    order = sorted(range(len(an.units)), key=lambda i: -an.scores[i])[:max_sources]
    order.sort(key=lambda i: (an.units[i].art, an.units[i].pos))
    numbered = [(an.units[i].outlet, an.units[i].text) for i in order]
    reply = llm.chat(build_prompt(numbered, k))
    parsed = parse_reply(reply, len(order))[:k]
    if not parsed:
        return []
    texts = [t for t, _ in parsed]
    try:
        report = checker.check(texts, an.articles)
        labels = [v.label for v in report.verdicts]
    except Exception:  # noqa: BLE001 - no check, no publication
        return []
    if len(labels) != len(texts):
        return []
    out: list[SynthesisSentence] = []
    used: set[int] = set()
    for (text, cited), label in zip(parsed, labels, strict=True):
        units = [order[c] for c in cited]
        if label == "supported":
            out.append(SynthesisSentence(text=text, citations=[citation(an.units[u]) for u in units]))
            used.update(units)
            continue
        first = units[0]
        if first not in used and standalone_problem(an.units[first].text) is None:
            out.append(SynthesisSentence(text=an.units[first].text, citations=[citation(an.units[first])]))
            used.add(first)
    return out
