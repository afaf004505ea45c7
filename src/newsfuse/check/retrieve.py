"""Sentence splitting and evidence retrieval for the claim checker.

``split_summary`` turns a summary into claims: a headline line and bullet lines ("- ...",
"* ...", "1. ...") each count as one sentence; prose is split with pysbd, plus a rule for
tokenised text (" . " ends a sentence). ``SourceIndex`` holds the sentences of the source
articles (split like the brief builder splits them, so ``sentence_index`` values agree with its
citations), their MiniLM vectors and their analysed tokens; ``rank`` orders them for one claim by
a mix of embedding cosine and IDF-weighted word coverage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from newsfuse.brief.sentences import CJK_END, sentence_spans
from newsfuse.extract.text import repeats_lead
from newsfuse.model import Article

from .features import TextInfo, analyse, background, loose

__all__ = ["split_summary", "split_text", "SourceSentence", "SourceIndex", "Match", "article_sentences"]

# SourceIndex.match: per-sentence word coverage and cosine, the claim's word weights and their total
Match = tuple[np.ndarray, np.ndarray, dict[str, float], float]

_BULLET = re.compile(r"^\s*(?:[-*•‣▪–—]|\d{1,2}[.)])\s+")
_TOKENISED_END = re.compile(r"(?<=\s[.!?])\s+(?=\S)")
_GLUED_END = re.compile(r"(?<=[a-z0-9)\"”’][.!?])(?=[A-Z][a-z])")
_CJK_CLOSERS = "」』）"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_FINAL = ".!?\"”'’)。！？」』）"  # a line ending in one of these is prose, not a headline


@lru_cache(maxsize=1)
def _segmenter():  # noqa: ANN202
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def split_text(text: str) -> list[str]:
    """Split prose into sentences (pysbd per line, then tokenised " . " boundaries)."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            pieces = _segmenter().segment(line)
        except Exception:  # noqa: BLE001 - pysbd fails on rare inputs; a regex split is good enough
            pieces = re.split(r"(?<=[.!?])\s+(?=[\"“‘(]?[A-Z0-9])", line)
        glued: list[str] = []
        for piece in pieces:  # the rules split 「……。」 inside the brackets: glue the closer back
            if glued and piece.lstrip()[:1] in _CJK_CLOSERS:
                glued[-1] = glued[-1].rstrip() + piece.strip()
            else:
                glued.append(piece)
        for piece in glued:
            for sub in _TOKENISED_END.split(piece.strip()):
                for sub2 in (x for part in _GLUED_END.split(sub) for x in CJK_END.split(part)):
                    sub2 = sub2.strip()
                    if sub2 and any(c.isalnum() for c in sub2):
                        if out and not any(c.isalpha() for c in sub2):
                            out[-1] = out[-1] + " " + sub2
                        else:
                            out.append(sub2)
    return out


def split_summary(summary: str | Sequence[str]) -> list[str]:
    """Claims of a summary: given as a list, or split from text (headline and bullets are sentences)."""
    if not isinstance(summary, str):
        return [s.strip() for s in summary if s and s.strip()]
    claims: list[str] = []
    for line in summary.splitlines():
        line = line.strip()
        if not line:
            continue
        bullet = _BULLET.match(line)
        if bullet:
            line = line[bullet.end() :].strip()
        if not line:
            continue
        words = line.split()
        headline = not bullet and line[-1] not in _FINAL and len(words) <= 25
        if headline:
            claims.append(line)
        else:
            claims.extend(split_text(line))
    return claims


def article_sentences(article: Article) -> list[tuple[int | None, str]]:
    """(sentence_index, text) pairs of an article; the title (index None) first when it adds text."""
    out: list[tuple[int | None, str]] = []
    text = article.text or ""
    spans: list[tuple[int, int]] | None = None
    letters = [c for c in text[:2000] if c.isalpha()]
    cased = bool(letters) and sum(c.isupper() for c in letters) > 0.01 * len(letters)
    cased = cased or bool(_CJK.search(text[:2000]))  # scripts without case use the brief's splitter too
    if cased:  # agree with the brief builder's sentence numbering when it is available
        try:
            spans = sentence_spans(text)
        except Exception:  # noqa: BLE001 - fall back to our own splitter
            spans = None
    if spans is not None:
        sents = [text[s:e] for s, e in spans]
    else:
        sents = split_text(text)
    title = (article.title or "").strip()
    # a title derived from the first sentence (a text without a headline) is not one more sentence
    repeats = sents and (sents[0].strip().startswith(title) or repeats_lead(title, text))
    if title and not repeats:
        out.append((None, title))
    out.extend((i, s) for i, s in enumerate(sents))
    return out


@dataclass
class SourceSentence:
    text: str
    info: TextInfo
    article_id: str | None
    outlet: str | None
    index: int | None


class SourceIndex:
    """The sentences of a set of source articles, ready for ranking against claims."""

    def __init__(self, sentences: list[SourceSentence], vectors: np.ndarray | None) -> None:
        self.sentences = sentences
        self.vectors = vectors
        self.doc_stems: set[str] = set()
        self.doc_bigrams: set[tuple[str, str]] = set()
        self.doc_trigrams: set[tuple[str, str, str]] = set()
        self.doc_numbers: set[str] = set()
        words: dict[str, None] = {}
        for s in sentences:
            words.update(dict.fromkeys(s.info.content_words))
            self.doc_stems.update(s.info.stems)
            self.doc_bigrams |= s.info.bigrams
            self.doc_trigrams |= s.info.trigrams
            self.doc_numbers |= s.info.numbers
        self.doc_words = list(words)
        self.doc_loose = "".join(loose(s.text) for s in sentences)
        self._content_sets = [set(s.info.content) for s in sentences]

    @classmethod
    def from_articles(cls, articles: Sequence[Article], encoder=None, max_sentences: int = 400) -> SourceIndex:  # noqa: ANN001
        sents: list[SourceSentence] = []
        for art in articles:
            for idx, text in article_sentences(art):
                if len(sents) >= max_sentences:
                    break
                sents.append(SourceSentence(text, analyse(text), art.id, art.outlet, idx))
        vecs = encoder.encode([s.text for s in sents]) if encoder is not None and sents else None
        return cls(sents, vecs)

    def rank(
        self, claim: TextInfo, claim_vec: np.ndarray | None, k: int = 3, match: Match | None = None
    ) -> tuple[list[int], list[float], list[float], float]:
        """The ``k`` best evidence sentences: indices, cosines, retrieval scores; and the max cosine over all.

        ``match``: :meth:`match` of this claim when the caller has it already (it is not computed twice)."""
        if not self.sentences:
            return [], [], [], 0.0
        lex, cos, _, _ = match if match is not None else self.match(claim, claim_vec)
        score = 0.5 * lex + 0.5 * cos
        order = np.argsort(-score, kind="stable")[:k]
        return (
            [int(i) for i in order],
            [float(cos[i]) for i in order],
            [float(score[i]) for i in order],
            float(cos.max()),
        )

    def match(self, claim: TextInfo, claim_vec: np.ndarray | None) -> Match:
        """Per sentence: IDF-weighted share of the claim's content words it holds, and its cosine; plus
        the claim's word weights and their total."""
        weight = background().weight  # the claim features' word weights (Background.weight)
        content = set(claim.content)
        weights = {w: weight(w) for w in content}
        total = sum(weights.values()) or 1.0
        lex = np.array([sum(weights[w] for w in content & cs) / total for cs in self._content_sets], dtype=np.float32)
        if self.vectors is not None and claim_vec is not None:
            cos = self.vectors @ claim_vec
        else:
            cos = lex.copy()
        return lex, cos, weights, total

    def cover(
        self, claim: TextInfo, claim_vec: np.ndarray | None, k: int = 3, match: Match | None = None
    ) -> tuple[list[int], list[float]]:
        """Evidence to show for a claim: the best sentence (as in :meth:`rank`), then, greedily, the
        sentences that add most of the claim's words not yet covered (half the weight) or are closest
        in meaning (the other half). Returns indices and their plain retrieval scores (as in ``rank``).

        ``rank``'s top 3 often repeat one fact from several articles; this picks the sentence that
        holds the rest of a fused claim (e.g. a detail only one outlet reports). Used for display
        only: the model's features use ``rank``, as in training.
        """
        if not self.sentences:
            return [], []
        lex, cos, weights, total = match if match is not None else self.match(claim, claim_vec)
        score = 0.5 * lex + 0.5 * cos
        first = int(np.argmax(score))
        chosen = [first]
        covered = set(claim.content) & self._content_sets[first]
        while len(chosen) < min(k, len(self.sentences)):
            best, best_j = -np.inf, -1
            for j, cs in enumerate(self._content_sets):
                if j in chosen:
                    continue
                gain = sum(weights[w] for w in (cs - covered) if w in weights) / total
                val = 0.5 * gain + 0.5 * float(cos[j])
                if val > best:
                    best, best_j = val, j
            chosen.append(best_j)
            covered |= set(claim.content) & self._content_sets[best_j]
        return chosen, [float(score[j]) for j in chosen]
