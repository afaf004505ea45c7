"""The claim checker: evidence retrieval, claim features and a small learned combiner.

``Checker.load()`` reads the shipped model (``weights/checker.json``: a feature list, a sentence
model -- logistic regression or a small boosted-tree ensemble, exported to plain JSON -- a
summary-level calibration and the decision thresholds). ``checker.check(summary, sources)`` splits
the summary into claims, finds the best 1-3 source sentences for each, computes the features of
:mod:`newsfuse.check.features` and returns a :class:`~newsfuse.model.CheckReport`.

Labels: ``supported`` when the calibrated probability reaches the sentence threshold; otherwise
``contradicted`` when the best evidence is closely aligned and something in it conflicts (a short
swap of a number, name or antonym, or a negation flip; see ``Checker._contradiction``), else
``unsupported``. The evidence shown is chosen by ``SourceIndex.cover``; the features use ``rank``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from newsfuse.model import Article, CheckReport, Evidence, Verdict

from .features import Conflict, TextInfo, analyse, claim_features, entity_mentions
from .retrieve import SourceIndex, split_summary

__all__ = [
    "Checker",
    "CombinerModel",
    "ClaimResult",
    "DEFAULT_WEIGHTS",
    "SUMMARY_FEATURES",
    "load_model_dict",
    "summary_features",
]

DEFAULT_WEIGHTS = "checker.json"
CROSS_WEIGHTS = "crossenc.safetensors"
# Cross-encoder features (versions 4 and 5): the entailment logit of the claim given its best evidence sentence,
# and the largest over the best, the second and the two together (``crossenc.CrossEncoder``).
NLI_FEATURES = ("nli_top", "nli_max")
_MAX_SWAP = 4  # longest differing span (tokens) that still reads as a swapped number, name or antonym


def _sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def _acronym_of(claim_words: Sequence[str], ev_words: Sequence[str]) -> bool:
    """Whether a short claim token spells the initials of consecutive evidence words ("us" / "united states")."""
    for tok in claim_words:
        n = len(tok)
        if 2 <= n <= 4 and tok.isalpha():
            for i in range(len(ev_words) - n + 1):
                if "".join(w[:1] for w in ev_words[i : i + n]) == tok:
                    return True
    return False


class CombinerModel:
    """Maps feature vectors to a logit. Plain-JSON storage: no pickles are shipped."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.features: list[str] = list(spec["features"])
        self.kind = spec["type"]
        if self.kind == "logistic":
            self.mean = np.asarray(spec["mean"], dtype=np.float64)
            self.scale = np.asarray(spec["scale"], dtype=np.float64)
            self.coef = np.asarray(spec["coef"], dtype=np.float64)
            self.intercept = float(spec["intercept"])
        elif self.kind == "trees":
            self.baseline = float(spec["baseline"])
            self.trees = [{k: np.asarray(v) for k, v in t.items()} for t in spec["trees"]]
        else:
            raise ValueError(f"unknown combiner type {self.kind!r}")
        # models fitted on rounded features (train.DECIMALS) see them rounded the same way here, so a
        # value that sits on a split threshold goes the way it went in training
        self.decimals: int | None = spec.get("round")
        cal = spec.get("calibration", {"a": 1.0, "b": 0.0})
        self.cal_a = float(cal["a"])
        self.cal_b = float(cal["b"])

    def matrix(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        m = np.array([[r.get(f, 0.0) for f in self.features] for r in rows], dtype=np.float64).reshape(
            len(rows), len(self.features)
        )
        return m if self.decimals is None else np.round(m, self.decimals)

    def raw(self, X: np.ndarray) -> np.ndarray:
        if self.kind == "logistic":
            return ((X - self.mean) / self.scale) @ self.coef + self.intercept
        out = np.full(X.shape[0], self.baseline, dtype=np.float64)
        for t in self.trees:
            node = np.zeros(X.shape[0], dtype=np.int64)
            leaf = t["is_leaf"].astype(bool)
            for _ in range(64):
                active = ~leaf[node]
                if not active.any():
                    break
                idx = np.nonzero(active)[0]
                nd = node[idx]
                x = X[idx, t["feature"][nd]]
                go_left = np.where(np.isnan(x), t["missing_left"][nd].astype(bool), x <= t["threshold"][nd])
                node[idx] = np.where(go_left, t["left"][nd], t["right"][nd])
            out += t["value"][node]
        return out

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Calibrated logit of 'supported' (Platt scaling on top of the raw score)."""
        return self.cal_a * self.raw(X) + self.cal_b


def load_model_dict(path: str | Path | None = None) -> dict[str, Any]:
    if path is not None:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    raw = resources.files("newsfuse.check").joinpath("weights").joinpath(DEFAULT_WEIGHTS).read_text(encoding="utf-8")
    return json.loads(raw)


# The summary model's inputs: the weakest and the average claim, the number of claims, and the most
# numbers and names (capped at 3) that one claim holds and the source never mentions. Coverage signals
# (bigram, word and cosine coverage) were dropped in version 3: they lifted FRANK valid but moved the score
# scale from one kind of summary to another, so one fixed threshold did not carry across sources
# (MODEL_CARD.md, "Choosing the version").
SUMMARY_FEATURES = [
    "min_logit",
    "mean_logit",
    "log_claims",
    "max_num_novel_doc",
    "max_name_novel_doc",
]


def summary_features(logits: np.ndarray, claim_feats: Sequence[dict[str, float]]) -> dict[str, float]:
    """Summary-level signals: the weakest and the average claim, and average coverage."""

    def col(name: str) -> np.ndarray:
        return np.array([f.get(name, 0.0) for f in claim_feats]) if claim_feats else np.zeros(1)

    out = {
        "min_logit": float(np.min(logits)),
        "mean_logit": float(np.mean(logits)),
        "log_claims": float(np.log(max(1, len(logits)))),
    }
    for name in ("bi1", "lex1", "lex3", "cos_max", "soft3", "softdoc", "uni_doc", *NLI_FEATURES):
        v = col(name)
        out[f"mean_{name}"] = float(v.mean())
        out[f"min_{name}"] = float(v.min())
    for name in ("rare_novel_ev", "rare_novel_doc", "name_novel_doc", "num_novel_doc", "ent_novel_doc", "ent_novel_ev"):
        v = col(name)
        out[f"mean_{name}"] = float(v.mean())
        out[f"max_{name}"] = float(v.max())
    return out


@dataclass
class ClaimResult:
    """Everything computed for one claim (kept for training and evaluation code)."""

    sentence: str
    features: dict[str, float]
    evidence: list[int]  # indices into the SourceIndex shown as evidence (``SourceIndex.cover``), best first
    evidence_scores: list[float]  # their retrieval scores (cosine and word coverage mixed)
    conflicts: list[Conflict]


class Checker:
    """Checks every sentence of a summary against source articles."""

    def __init__(
        self,
        model: dict[str, Any],
        encoder: Any | None = None,
        settings: Any | None = None,
        cross: Any | None = None,
        precision: str | None = None,
    ) -> None:
        self.model = model
        self.sentence_model = CombinerModel(model["sentence_model"])
        summ = model.get("summary_model") or {}
        if "type" not in summ and {"min", "mean", "intercept"} <= set(summ):
            # version-1 weights store ``logit = min * a + mean * b + intercept`` over the calibrated claim
            # logits (no "type" key); the shipped threshold was fitted for that formula
            summ = {
                "type": "logistic",
                "features": ["min_logit", "mean_logit"],
                "mean": [0.0, 0.0],
                "scale": [1.0, 1.0],
                "coef": [float(summ["min"]), float(summ["mean"])],
                "intercept": float(summ["intercept"]),
            }
        self.summary_model = CombinerModel(summ) if "type" in summ else None
        self.threshold = float(model.get("threshold", 0.5))
        self.sentence_threshold = float(model.get("sentence_threshold", 0.5))
        self.encoder = encoder
        self.settings = settings
        # the shipped cross-encoder runs at the encoder's precision (newsfuse.embed)
        from newsfuse.embed import encoder_precision

        # a given encoder's wins over the settings'; neither: the setting from the environment or config file
        self.precision = encoder_precision(encoder, precision, getattr(settings, "precision", None))
        # the cross-encoder, loaded on first use, only for a model that reads its features
        read = set(self.sentence_model.features) | set(self.summary_model.features if self.summary_model else [])
        self.needs_cross = any(f in read or f"min_{f}" in read or f"mean_{f}" in read for f in NLI_FEATURES)
        self._cross: Any | None = cross
        self._cross_lock = threading.Lock()  # one load, and one scoring at a time (the tokenizer is not re-entrant)

    @property
    def cross(self) -> Any | None:
        """The cross-encoder (``crossenc.CrossEncoder``): the one given, else the shipped one when the
        model reads its features (loaded on first use), else None."""
        if self._cross is None and self.needs_cross:
            with self._cross_lock:
                if self._cross is None:
                    from .crossenc import CrossEncoder

                    path = resources.files("newsfuse.check").joinpath("weights").joinpath(CROSS_WEIGHTS)
                    if not path.is_file():
                        raise FileNotFoundError(
                            f"the checker's model reads the cross-encoder, but {path} is missing: reinstall the "
                            "package, or train it (python -m newsfuse.check.crossenc --out ...)"
                        )
                    self._cross = CrossEncoder(path, precision=self.precision)
        return self._cross

    # ---------------------------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        settings: Any | None = None,
        path: str | Path | None = None,
        encoder: Any | None = None,
        precision: str | None = None,
    ) -> Checker:
        """Load the shipped weights (or ``path``) and the shared MiniLM encoder. Both MiniLM models run at
        ``precision``: by default the settings' ``precision``, else the setting's value from the
        environment or config file. With ``encoder`` given, at that encoder's (a different ``precision``
        is refused: ``newsfuse.embed``)."""
        model = load_model_dict(path)
        if encoder is None:
            from newsfuse.embed import get_encoder, resolve_precision

            precision = resolve_precision(precision or getattr(settings, "precision", None))
            try:
                encoder = get_encoder(precision=precision)
            except Exception:  # noqa: BLE001 - without the encoder the lexical signals still work
                encoder = None
        return cls(model, encoder=encoder, settings=settings, precision=precision)

    # ---------------------------------------------------------------------------------------------
    def index(self, sources: Sequence[Article]) -> SourceIndex:
        return SourceIndex.from_articles(sources, encoder=self.encoder)

    def _ranked(self, claims: Sequence[str], index: SourceIndex) -> list[tuple[TextInfo, Any, Any, tuple]]:
        """Per claim: its analysis, its vector (None without an encoder), its ``index.match`` and its
        ``index.rank`` (the 3 best evidence sentences: indices, cosines, scores; the max cosine)."""
        vecs = self.encoder.encode(list(claims)) if self.encoder is not None and claims else None
        out = []
        for i, claim in enumerate(claims):
            info = analyse(claim)
            vec = vecs[i] if vecs is not None else None
            match = index.match(info, vec)
            out.append((info, vec, match, index.rank(info, vec, k=3, match=match)))
        return out

    def analyse_claims(self, claims: Sequence[str], index: SourceIndex) -> list[ClaimResult]:
        mentions = entity_mentions(claims)
        out: list[ClaimResult] = []
        tops: list[Sequence[int]] = []
        for i, (claim, (info, vec, match, ranked)) in enumerate(zip(claims, self._ranked(claims, index), strict=True)):
            order, cosines, _scores, cos_max = ranked
            ev_infos: list[TextInfo] = [index.sentences[j].info for j in order]
            feats, conflicts = claim_features(
                info,
                ev_infos,
                index.doc_stems,
                index.doc_bigrams,
                index.doc_trigrams,
                index.doc_numbers,
                cos_max=cos_max if vec is not None else 0.0,
                cos_top=cosines[0] if (cosines and vec is not None) else 0.0,
                doc_words=index.doc_words,
                mentions=mentions[i],
                doc_loose=index.doc_loose,
            )
            if vec is None:  # no encoder: stand in lexical coverage for the cosines
                feats["cos_max"] = feats["cos_top"] = feats["lex1"]
            shown, shown_scores = index.cover(info, vec, k=3, match=match)
            out.append(ClaimResult(claim, feats, shown, shown_scores, conflicts))
            tops.append(order[:2])
        if self.needs_cross:  # (training computes them apart, with ``nli_features``, and caches them apart)
            self.add_nli_features(out, tops, index)
        return out

    def add_nli_features(
        self, results: Sequence[ClaimResult], tops: Sequence[Sequence[int]], index: SourceIndex
    ) -> None:
        """Add ``NLI_FEATURES`` to each result (see :meth:`nli_features`)."""
        feats = self.nli_features([r.sentence for r in results], tops, index)
        for res, f in zip(results, feats, strict=True):
            res.features.update(f)

    def nli_features(
        self, claims: Sequence[str], tops: Sequence[Sequence[int]], index: SourceIndex
    ) -> list[dict[str, float]]:
        """The cross-encoder's logit for each claim given its best evidence sentence (``nli_top``), and
        the largest over the best, the second best and the two together (``nli_max``); ``tops[i]`` are
        the indices of claim i's best evidence sentences in ``index``, best first."""
        pairs: list[tuple[str, str]] = []
        spans: list[tuple[int, int]] = []
        for claim, top in zip(claims, tops, strict=True):
            ev = [index.sentences[j].text for j in top[:2]]
            prem = [*ev, f"{ev[0]} {ev[1]}"] if len(ev) > 1 else (ev or [""])
            spans.append((len(pairs), len(pairs) + len(prem)))
            pairs += [(e, claim) for e in prem]
        cross = self.cross
        if pairs and cross is not None:
            with self._cross_lock:
                scores = cross.score(pairs)
        else:
            scores = np.zeros(len(pairs))
        return [
            {"nli_top": float(round(scores[a], 4)), "nli_max": float(round(scores[a:b].max(), 4))} for a, b in spans
        ]

    def evidence_order(self, claims: Sequence[str], index: SourceIndex) -> list[list[int]]:
        """The 3 best evidence sentences of each claim (indices into ``index``, best first), ranked as
        :meth:`analyse_claims` ranks them (:meth:`nli_features` reads the first two)."""
        return [list(ranked[0]) for _info, _vec, _match, ranked in self._ranked(claims, index)]

    def claim_logits(self, results: Sequence[ClaimResult]) -> np.ndarray:
        if not results:
            return np.zeros(0)
        X = self.sentence_model.matrix([r.features for r in results])
        return self.sentence_model.logits(X)

    def summary_logit(self, logits: np.ndarray, results: Sequence[ClaimResult] | None = None) -> float:
        """Summary-level logit: a small logistic model over the claims' logits and coverage signals."""
        if logits.size == 0:
            return 0.0
        if self.summary_model is None:
            return float(logits.min())
        feats = summary_features(logits, [r.features for r in results] if results is not None else [])
        return float(self.summary_model.logits(self.summary_model.matrix([feats]))[0])

    # ---------------------------------------------------------------------------------------------
    def check(self, summary: str | list[str], sources: list[Article]) -> CheckReport:
        """Verdict and evidence for every sentence of ``summary`` against ``sources``."""
        claims = split_summary(summary)
        if not claims:
            return CheckReport(verdicts=[], score=1.0)
        index = self.index(sources)
        results = self.analyse_claims(claims, index)
        logits = self.claim_logits(results)
        verdicts: list[Verdict] = []
        for res, lg in zip(results, logits, strict=True):
            p = float(_sigmoid(lg))
            evidence = self._evidence(res, index)
            if p >= self.sentence_threshold:
                label = "supported"
            elif self._contradiction(res):
                label = "contradicted"
            else:
                label = "unsupported"
            verdicts.append(Verdict(sentence=res.sentence, label=label, score=round(p, 4), evidence=evidence))
        score = float(_sigmoid(self.summary_logit(logits, results)))
        return CheckReport(verdicts=verdicts, score=round(score, 4))

    def score_summary(self, summary: str | list[str], sources: list[Article]) -> float:
        """Summary-level probability only (what the evaluation thresholds)."""
        claims = split_summary(summary)
        if not claims:
            return 1.0
        index = self.index(sources)
        results = self.analyse_claims(claims, index)
        return float(_sigmoid(self.summary_logit(self.claim_logits(results), results)))

    @staticmethod
    def _contradiction(res: ClaimResult) -> bool:
        """A conflict that reads as a substitution inside a closely aligned sentence, not a rewrite.

        The claim must be mostly covered by its best evidence (``lex1`` >= 0.5). A changed number, name
        or antonym counts only when the differing spans are short (at most ``_MAX_SWAP`` tokens on each
        side): long differing spans are paraphrase, where a name or a negation on one side alone proves
        nothing. A negation mismatch needs the word pairs themselves to agree (``bi1`` >= 0.5).
        These constants were set by reading, not fitted; they only choose between "contradicted" and
        "unsupported" and do not change any score.
        """
        f = res.features
        if f.get("lex1", 0.0) < 0.5:
            return False
        for c in res.conflicts:
            if c.kind == "negation":
                if f.get("bi1", 0.0) >= 0.5:
                    return True
            elif len(c.claim.split()) <= _MAX_SWAP and len(c.evidence.split()) <= _MAX_SWAP:
                if c.kind == "name" and _acronym_of(c.claim.split(), c.evidence.split()):
                    continue  # "US" for "United States" is the same name
                return True
        return False

    @staticmethod
    def _evidence(res: ClaimResult, index: SourceIndex) -> list[Evidence]:
        out: list[Evidence] = []
        for rank, (j, score) in enumerate(zip(res.evidence, res.evidence_scores, strict=True)):
            s = index.sentences[j]
            if rank > 0 and score < 0.35:  # the best sentence always; the others only when not weak
                continue
            out.append(
                Evidence(
                    text=s.text,
                    score=round(float(score), 4),
                    outlet=s.outlet,
                    article_id=s.article_id,
                    sentence_index=s.index,
                )
            )
        return out
