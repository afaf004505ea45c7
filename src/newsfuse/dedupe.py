"""Duplicate detection: canonical URLs, exact content hashes and near-duplicates.

Near-duplicates (a wire story republished with a different headline or footer) are found with
MinHash signatures over word 3-shingles and locality-sensitive hashing (Broder 1997, "On the
resemblance and containment of documents"; LSH banding as in datasketch's MinHashLSH). A new
article whose estimated Jaccard similarity to a stored one reaches the threshold is linked to
that canonical copy: it is stored and counted as coverage by its outlet, but never clustered or
summarised twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .extract.article import canonical_url

__all__ = ["Deduper", "DuplicateMatch", "canonical_url", "shingles"]

_WORD = re.compile(r"\w+", re.UNICODE)
_BATCH = 20_000  # shingles hashed at once


def shingles(text: str, k: int = 3) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return [" ".join(words).encode("utf-8")] if words else []
    return [" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)]


@dataclass(frozen=True)
class DuplicateMatch:
    kind: Literal["exact", "near"]
    canonical_id: str
    similarity: float


class Deduper:
    """Finds exact and near-duplicate copies among the articles it has seen."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, seed: int = 1) -> None:
        from datasketch import MinHash, MinHashLSH

        self.threshold = threshold
        self.num_perm = num_perm
        self.seed = seed
        self._MinHash = MinHash
        self._template = MinHash(num_perm=num_perm, seed=seed)
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._by_hash: dict[str, str] = {}
        self._sigs: dict[str, np.ndarray] = {}

    def signature(self, text: str) -> np.ndarray:
        m = self._MinHash(
            num_perm=self.num_perm,
            seed=self.seed,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )
        sh = list(dict.fromkeys(shingles(text)))
        # datasketch hashes a batch as one (permutations x shingles) array: in slices, a 10 MB text costs
        # tens of megabytes, not gigabytes, and the minimum over the slices is the same signature
        for start in range(0, len(sh), _BATCH):
            m.update_batch(sh[start : start + _BATCH])
        return m.hashvalues.astype(np.uint64)

    def _minhash(self, sig: np.ndarray):  # noqa: ANN202
        return self._MinHash(
            num_perm=self.num_perm,
            seed=self.seed,
            hashvalues=sig,
            permutations=self._template.permutations,
            scheme=self._template.scheme,
        )

    def add(self, article_id: str, content_hash: str, signature: np.ndarray) -> None:
        """Register a canonical (non-duplicate) article."""
        self._by_hash.setdefault(content_hash, article_id)
        if article_id not in self._sigs:
            self._sigs[article_id] = signature
            self._lsh.insert(article_id, self._minhash(signature))

    def load(self, items: Iterable[tuple[str, str, np.ndarray]]) -> None:
        for article_id, content_hash, sig in items:
            self.add(article_id, content_hash, sig)

    def find(self, content_hash: str, signature: np.ndarray) -> DuplicateMatch | None:
        """The canonical copy this content duplicates, if any (exact first, then near)."""
        if content_hash in self._by_hash:
            return DuplicateMatch("exact", self._by_hash[content_hash], 1.0)
        candidates = ((cand, None, self._sigs[cand]) for cand in self._lsh.query(self._minhash(signature)))
        return self.find_among(content_hash, signature, candidates)

    def find_among(
        self, content_hash: str, signature: np.ndarray, others: Iterable[tuple[str, str | None, np.ndarray]]
    ) -> DuplicateMatch | None:
        """The copy among ``others`` ((id, content hash or None, signature) triples, compared one by one and
        not through the index): the first with the same content hash, else the most similar at or above the
        threshold. The pipeline uses it within a batch, where every pair must be compared."""
        best: DuplicateMatch | None = None
        # a text with no words has the signature of the empty set, which every other such text shares:
        # only an exact copy is a copy of it
        wordless = bool(np.all(signature == self._template.hashvalues))
        for other_id, other_hash, other_sig in others:
            if other_hash is not None and other_hash == content_hash:
                return DuplicateMatch("exact", other_id, 1.0)
            if wordless:
                continue
            sim = float(np.mean(other_sig == signature))  # the share of equal MinHash values estimates Jaccard
            if sim >= self.threshold and (best is None or sim > best.similarity):
                best = DuplicateMatch("near", other_id, sim)
        return best

    def __len__(self) -> int:
        return len(self._sigs)
