"""The learned article-vs-story scorer (logistic regression over pair features).

Following Miranda et al. (2018), the decision to put an article into a story is made by a small
linear model over similarity signals, with weights fitted on labelled clusters (see
``newsfuse.cluster.fit``) and kept in ``scorer.json`` next to this module. The same features also
score story-vs-story pairs (for merging) and article-vs-article pairs (``newsfuse eval pairs``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FEATURES", "CHANNELS", "Profile", "Scorer", "pair_features", "WEIGHTS_PATH"]

WEIGHTS_PATH = Path(__file__).with_name("scorer.json")

FEATURES = (
    "cos_dense",  # MiniLM cosine to the story centroid
    "cos_terms",  # TF-IDF cosine over content words
    "cos_names",  # TF-IDF cosine over capitalised tokens (people, places, organisations)
    "cos_nums",  # TF-IDF cosine over numbers and month-day dates
    "no_nums",  # one side has no numbers
    "year_shared",  # a year in common (undated pairs only)
    "year_conflict",  # both sides name years, none in common (undated pairs only)
    "ymax_match",  # share of the story's articles from the article's year (see _year_agreement)
    "ymax_conflict",  # no article of the story can be from the same year as this one
    "time_gap",  # dated pairs: log-scaled gap, 0 for simultaneous (and for undated pairs), 1 at the quiet period
)

CHANNELS = ("terms", "names", "nums")


@dataclass(slots=True)
class Profile:
    """Sparse signals of one side of a pair (an article, or a whole story).

    ``vecs``: one sparse TF-IDF vector per channel of ``CHANNELS`` (feature -> weight) and ``norms``
    their L2 norms (a story's vector is the sum of its articles' unit vectors). ``years``: years named
    (a story: year -> count). ``ymax``: latest named year -> number of articles. ``time``: hours (for
    a story the latest article's, ``first`` the earliest).
    """

    vecs: tuple[Mapping[str, float], ...]
    norms: tuple[float, ...]
    years: set[int] | Mapping[int, int]
    ymax: Mapping[int, int]
    ypub: Mapping[int, int] = field(default_factory=dict)
    time: float | None = None
    first: float | None = None
    size: int = 1


def _dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    common = a.keys() & b.keys()  # set intersection runs in C; few keys survive for unrelated pairs
    return sum([a[k] * b[k] for k in common]) if common else 0.0


def _year_agreement(a: Profile, s: Profile) -> tuple[float, float]:
    """(match, conflict) between the article's year and the years of the story's articles.

    An article's year is its publication year when it is dated (``ypub``), else the latest year its
    text names (``ymax``), which is only a lower bound on when it was written. Two undated articles
    agree when their latest named years are equal (different latest years suggest different events,
    e.g. two hurricanes years apart); a lower bound agrees with a publication year not earlier than
    it; two dated articles are left to the time-gap feature. ``match`` is the share of the story's
    comparable articles from exactly the same year; ``conflict`` is 1 when none of them agrees.
    """
    total = hit = ok = 0
    if a.ypub:
        year = max(a.ypub, key=lambda y: (a.ypub[y], y))  # a story on the article side: its main year
        for y, c in s.ymax.items():  # undated story articles: their named year must not be later
            total += c
            if y == year:
                hit += c
            if y <= year:
                ok += c
    elif a.ymax:
        year = max(a.ymax, key=lambda y: (a.ymax[y], y))
        for y, c in s.ymax.items():
            total += c
            if y == year:
                hit += c
                ok += c
        for y, c in s.ypub.items():
            total += c
            if y == year:
                hit += c
            if y >= year:
                ok += c
    if total == 0:
        return 0.0, 0.0
    return hit / total, (1.0 if ok == 0 else 0.0)


def pair_features(cos_dense: float, a: Profile, s: Profile, quiet_hours: float) -> list[float]:
    """Feature vector (order of ``FEATURES``) for article/story ``a`` against story ``s``."""
    cos = []
    for va, na, vs, ns in zip(a.vecs, a.norms, s.vecs, s.norms, strict=True):
        den = na * ns
        cos.append(_dot(va, vs) / den if den > 0 else 0.0)
    no_nums = 0.0 if (a.vecs[2] and s.vecs[2]) else 1.0
    year_shared = year_conflict = 0.0
    # Named years stand in for the missing dates of undated articles (e.g. two hurricanes years apart);
    # once either side is dated, the time gap speaks and old years named in passing would only mislead.
    if a.years and s.years and a.time is None and s.time is None:
        if any(y in s.years for y in a.years):
            year_shared = 1.0
        else:
            year_conflict = 1.0
    ymax_match, ymax_conflict = _year_agreement(a, s)
    time_gap = 0.0
    if a.time is not None and s.time is not None:
        lo = s.first if s.first is not None else s.time
        a_lo = a.first if a.first is not None else a.time
        if a.time < lo:
            gap = lo - a.time
        elif a_lo > s.time:
            gap = a_lo - s.time
        else:
            gap = 0.0
        time_gap = min(1.0, math.log1p(gap) / math.log1p(max(quiet_hours, 1.0))) if gap > 0 else 0.0
    return [
        float(cos_dense),
        cos[0],
        cos[1],
        cos[2],
        no_nums,
        year_shared,
        year_conflict,
        ymax_match,
        ymax_conflict,
        time_gap,
    ]


@dataclass
class Scorer:
    """Logistic regression: p = sigmoid(w . f + b); join when p >= threshold."""

    weights: list[float]
    bias: float
    threshold: float = 0.5
    merge_threshold: float = 0.9
    candidates: int = 3
    min_cos: float = 0.2  # candidates below this dense cosine are not scored
    features: tuple[str, ...] = FEATURES
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.features):
            raise ValueError(f"scorer has {len(self.weights)} weights for {len(self.features)} features")
        if tuple(self.features) != FEATURES:
            raise ValueError("scorer.json was fitted for a different feature set; refit it")

    def logit(self, f: list[float]) -> float:
        z = self.bias
        for w, x in zip(self.weights, f, strict=True):
            z += w * x
        return z

    def prob(self, f: list[float]) -> float:
        z = self.logit(f)
        if z >= 0:
            return 1.0 / (1.0 + math.exp(-z))
        e = math.exp(z)
        return e / (1.0 + e)

    # -- persistence ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "weights": [round(w, 6) for w in self.weights],
            "bias": round(self.bias, 6),
            "threshold": self.threshold,
            "merge_threshold": self.merge_threshold,
            "candidates": self.candidates,
            "min_cos": self.min_cos,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Scorer:
        return cls(
            weights=[float(w) for w in d["weights"]],
            bias=float(d["bias"]),
            threshold=float(d.get("threshold", 0.5)),
            merge_threshold=float(d.get("merge_threshold", 0.9)),
            candidates=int(d.get("candidates", 3)),
            min_cos=float(d.get("min_cos", 0.2)),
            features=tuple(d.get("features", FEATURES)),
            meta=dict(d.get("meta", {})),
        )

    def save(self, path: str | Path = WEIGHTS_PATH) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> Scorer:
        p = Path(path) if path else WEIGHTS_PATH
        if not p.is_file():
            return cls.default()
        return cls.from_dict(json.loads(p.read_text(encoding="utf-8")))

    @classmethod
    def default(cls) -> Scorer:
        """Fallback weights (used only if scorer.json is missing): dense + keyword cosine dominate."""
        w = [5.0, 4.0, 4.0, 2.0, 0.0, 0.5, -1.0, 1.0, -0.5, -1.0]
        return cls(weights=w, bias=-6.5, meta={"source": "built-in default (not fitted)"})
