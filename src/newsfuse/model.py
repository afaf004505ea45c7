"""Plain data classes passed between pipeline stages.

Nothing here does work beyond light validation and (de)serialisation; each stage
module owns its own logic. Every class round-trips through ``to_dict`` /
``from_dict`` so the store, the JSON output and the HTTP API share one shape.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "RawDocument",
    "Article",
    "Sentence",
    "Story",
    "Citation",
    "KeyPoint",
    "SynthesisSentence",
    "Quote",
    "Entity",
    "FigureConflict",
    "OutletFraming",
    "Brief",
    "Evidence",
    "Verdict",
    "CheckReport",
    "IngestReport",
    "VerdictLabel",
    "text_hash",
    "instant",
]

VerdictLabel = Literal["supported", "unsupported", "contradicted"]


def text_hash(text: str) -> str:
    """Stable hex digest of a text (used for content hashes and cache keys)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def instant(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (naive means UTC, a plain date is its
    midnight); None for empty or unreadable text. Stored times keep the offset the outlet gave
    ("23:10-05:00"), so they are compared through this, never as strings."""
    if not value:
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


class _Serde:
    """Mixin: dataclass <-> plain dict (JSON-ready)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class RawDocument(_Serde):
    """What a source hands to extraction: one fetched or read payload.

    ``kind`` tells extraction how to read ``payload``: ``html`` (a web page),
    ``text`` (plain text, maybe titleless) or ``record`` (already-structured
    fields, e.g. a JSON Lines row or a feed entry with full content).
    """

    kind: Literal["html", "text", "record"]
    location: str  # file path or URL it came from
    payload: bytes = b""
    url: str | None = None
    content_type: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # title, source, published, ...

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["payload"] = self.payload.decode("utf-8", "replace")
        return d


@dataclass
class Article(_Serde):
    """A cleaned news article. ``id`` is a content-derived key (stable across re-ingest)."""

    id: str
    title: str
    text: str
    outlet: str
    url: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601
    language: str | None = None
    content_hash: str = ""
    duplicate_of: str | None = None  # id of the canonical copy when this is a near/exact duplicate
    story_id: str | None = None
    fetched_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = text_hash(self.text)

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None


@dataclass
class Sentence(_Serde):
    """One sentence of an article with its position (character offsets into ``Article.text``)."""

    article_id: str
    outlet: str
    index: int
    text: str
    start: int
    end: int


@dataclass
class Citation(_Serde):
    """A pointer from a brief sentence to the source sentence that supports it."""

    article_id: str
    outlet: str
    sentence_index: int
    text: str
    url: str | None = None
    start: int | None = None
    end: int | None = None

    @classmethod
    def to(cls, sentence: Sentence, url: str | None = None) -> Citation:
        """A citation of ``sentence`` (of the article at ``url``)."""
        s = sentence
        return cls(s.article_id, s.outlet, s.index, s.text, url=url, start=s.start, end=s.end)


@dataclass
class KeyPoint(_Serde):
    text: str
    citations: list[Citation] = field(default_factory=list)

    @property
    def outlets(self) -> list[str]:
        return sorted({c.outlet for c in self.citations})

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206
        return cls(text=data["text"], citations=[Citation.from_dict(c) for c in data.get("citations", [])])


@dataclass
class SynthesisSentence(KeyPoint):
    """A sentence of the synthesis paragraph; same shape as a key point."""


@dataclass
class Quote(_Serde):
    text: str
    speaker: str | None
    citations: list[Citation] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206
        return cls(
            text=data["text"],
            speaker=data.get("speaker"),
            citations=[Citation.from_dict(c) for c in data.get("citations", [])],
        )


@dataclass
class Entity(_Serde):
    name: str
    label: Literal["PERSON", "ORG", "PLACE", "OTHER"]
    counts: dict[str, int] = field(default_factory=dict)  # outlet -> mentions

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class FigureConflict(_Serde):
    """Outlets that report different figures for the same fact."""

    description: str
    values: dict[str, str] = field(default_factory=dict)  # outlet -> figure as written
    citations: list[Citation] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):  # noqa: ANN206
        return cls(
            description=data["description"],
            values=dict(data.get("values", {})),
            citations=[Citation.from_dict(c) for c in data.get("citations", [])],
        )


@dataclass
class OutletFraming(_Serde):
    outlet: str
    headline: str
    distinctive_terms: list[str] = field(default_factory=list)
    article_id: str | None = None
    url: str | None = None


@dataclass
class Story(_Serde):
    """A group of articles reporting one event."""

    id: str
    article_ids: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    title: str = ""
    first_seen: str | None = None
    last_seen: str | None = None
    status: Literal["open", "closed", "merged"] = "open"
    merged_into: str | None = None


def _states(text: str, figure: str) -> bool:
    """Whether ``text`` states ``figure`` as written (case aside), not inside a longer number or word."""
    figure = figure.strip()
    return bool(figure) and re.search(rf"(?<![\w.,]){re.escape(figure)}(?!\w|[.,]\d)", text, re.I) is not None


@dataclass
class Brief(_Serde):
    """Everything newsfuse says about one story."""

    story_id: str
    headline: str
    key_points: list[KeyPoint] = field(default_factory=list)
    synthesis: list[SynthesisSentence] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    agreement: list[KeyPoint] = field(default_factory=list)  # facts most outlets carry
    only_one: list[KeyPoint] = field(default_factory=list)  # facts a single outlet carries
    framing: list[OutletFraming] = field(default_factory=list)
    figure_conflicts: list[FigureConflict] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)
    generated_at: str | None = None
    method: str = "extractive"

    def disputes(self, item: KeyPoint | Quote) -> list[FigureConflict]:
        """The figure conflicts ``item`` takes a side in: a conflict that cites a source sentence ``item``
        also cites, and one of whose figures ``item``'s text states ("about 40,000"). A reader should see
        the conflict beside it. An item that cites such a sentence but states none of its figures is not
        flagged."""
        mine = {(c.article_id, c.sentence_index) for c in item.citations}
        return [
            f
            for f in self.figure_conflicts
            if any((c.article_id, c.sentence_index) in mine for c in f.citations)
            and any(_states(item.text, v) for v in f.values.values())
        ]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Brief:
        return cls(
            story_id=data["story_id"],
            headline=data.get("headline", ""),
            key_points=[KeyPoint.from_dict(k) for k in data.get("key_points", [])],
            synthesis=[SynthesisSentence.from_dict(k) for k in data.get("synthesis", [])],
            quotes=[Quote.from_dict(q) for q in data.get("quotes", [])],
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            agreement=[KeyPoint.from_dict(k) for k in data.get("agreement", [])],
            only_one=[KeyPoint.from_dict(k) for k in data.get("only_one", [])],
            framing=[OutletFraming.from_dict(f) for f in data.get("framing", [])],
            figure_conflicts=[FigureConflict.from_dict(f) for f in data.get("figure_conflicts", [])],
            outlets=list(data.get("outlets", [])),
            article_ids=list(data.get("article_ids", [])),
            generated_at=data.get("generated_at"),
            method=data.get("method", "extractive"),
        )


@dataclass
class Evidence(_Serde):
    text: str
    score: float
    outlet: str | None = None
    article_id: str | None = None
    sentence_index: int | None = None


@dataclass
class Verdict(_Serde):
    """The check's judgement of one summary sentence."""

    sentence: str
    label: VerdictLabel
    score: float  # calibrated probability that the sentence is supported
    evidence: list[Evidence] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            sentence=data["sentence"],
            label=data["label"],
            score=float(data["score"]),
            evidence=[Evidence.from_dict(e) for e in data.get("evidence", [])],
        )


@dataclass
class CheckReport(_Serde):
    verdicts: list[Verdict] = field(default_factory=list)
    score: float = 0.0  # summary-level score (probability the whole summary is supported)

    @property
    def unsupported(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.label != "supported"]


@dataclass
class IngestReport(_Serde):
    """What one ingest run did. ``skipped`` holds (location, reason) pairs."""

    seen: int = 0
    stored: int = 0
    unchanged: int = 0  # already stored (idempotent re-ingest)
    duplicates: int = 0  # stored but linked to a canonical copy
    skipped: list[tuple[str, str]] = field(default_factory=list)
    article_ids: list[str] = field(default_factory=list)  # stored by this run
    existing_ids: list[str] = field(default_factory=list)  # inputs found stored already (the unchanged)

    def skip(self, location: str, reason: str) -> None:
        self.skipped.append((location, reason))
