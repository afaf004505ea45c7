"""``newsfuse train-checker``: build the training data, fit the verifier, write ``weights/checker.json``.

Procedure (fixed seeds; every step reads ``../shared/data/raw`` at run time):

1. Held-out documents. Every document of a set we report on (FRANK test, the four SummaC
   validation subsets) is keyed (:func:`newsfuse.check.data.doc_key`) and excluded from all
   training data below. FRANK, SummEval and SummaC share CNN/DM and XSum documents, so this
   is checked by text, not by set name.
2. Sentence-level training data:
   * synthetic claims from AllSides full-body news articles (:mod:`newsfuse.check.perturb`:
     compressions and fusions as positives; number/date, name, negation, antonym, pronoun and
     invented-detail edits as negatives), half of them lower-cased and tokenised like CNN/DM and
     XSum system output;
   * MSRP train paraphrase pairs (label 1 only: the paraphrase is supported by its twin);
   * version 5: STS-B news pairs, rated paraphrases as label 1 and pairs rated unrelated as label 0
     (:func:`build_sts`): claims that say the source's event in other words, or another event in
     the source's words;
   * QAGS CNN/DM + XSum sentence labels (majority of three votes), FALKE correct/incorrect
     sentence pairs;
   * FRANK valid: sentences of consistent summaries (label 1) and one-sentence inconsistent
     summaries (label 0).
3. The sentence model (gradient-boosted trees, exported to JSON) is fitted on all of that with
   real labels up-weighted; a Platt calibration of its output is fitted on the real sentence
   labels with out-of-fold scores (5 folds grouped by document).
   FRANK valid also gives multiple-instance negatives: in an inconsistent summary of several
   sentences, the sentence the out-of-fold model trusts least.
   Version 4 gives the trees two more inputs per claim: the
   cross-encoder's entailment logits (``verifier.NLI_FEATURES``; the cross-encoder is trained
   beforehand by ``python -m newsfuse.check.crossenc`` and read from ``weights/``). Version 5 (the
   default and what ships) is version 4 with the STS-B rows added.
4. Summary level (versions 3 to 5): a logistic model over ``verifier.SUMMARY_FEATURES`` (versions 4
   and 5 add ``V4_SUMMARY_EXTRA``, the weakest claim's best cross-encoder logit) fitted on FRANK valid,
   QAGS documents and synthetic summaries,
   each real summary scored by the fold model that did not see its document; the decision
   threshold maximises balanced accuracy on the out-of-fold FRANK valid scores (re-weighted to its
   full CNN/DM : XSum mix). It ships with the model and is never re-tuned on a scored set.
   The log and ``training.summary_groups_oof_macro`` give the mean of the four real groups'
   out-of-fold balanced accuracies (FRANK CNN/DM, FRANK XSum, QAGS CNN/DM, QAGS XSum) at that one
   threshold: how well a fixed threshold carries across sources, the criterion versions 3 and 4
   were chosen by. Version 5 was chosen on hand-labelled multi-source summary sentences
   (``bench/roundup_set.py``), with a bound on how far this criterion might fall (see MODEL_CARD.md). ``--version 4``: no STS-B rows.
   ``--version 3``: no cross-encoder. ``--version 2``: the same, with coverage
   signals in the summary model
   (``V2_SUMMARY_FEATURES``). ``--version 1``: 27 features, no multiple-instance rows, and
   ``logit = a * min + b * mean + c`` fitted on FRANK valid alone.
5. Baselines (ROUGE-2 precision, entity/number overlap, MiniLM min-max cosine): thresholds
   maximising balanced accuracy on FRANK valid, stored in the same file.

Reproducible: the same command gives the same JSON (every number; ``created`` and
``training.seconds`` aside), also from an empty cache, on one machine and library stack. Features are rounded to ``DECIMALS`` for
fitting, because a few are sums over a ``set`` whose order follows Python's string hash seed.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from .data import (
    Pair,
    doc_key,
    load_allsides_articles,
    load_falke,
    load_frank,
    load_msrp_pairs,
    load_qags,
    load_sts_news,
    reported_doc_keys,
)
from .features import FEATURE_NAMES
from .verifier import NLI_FEATURES

__all__ = ["command", "build_synthetic", "build_real", "Featurizer", "balanced_accuracy", "best_threshold"]

SEED = 13
VERSION = 5  # the design of the shipped weights/checker.json (see MODEL_CARD.md)
# The 27 claim features of the version-1 model (the first 27 of FEATURE_NAMES; version 2 adds the soft
# word-vector coverage and the entity features).
V1_FEATURES = [
    "cos_max", "cos_top", "lex1", "lex3", "lexdoc", "uni_doc", "bi1", "bi3", "bidoc", "tridoc", "lcs1",
    "num_claim", "num_novel_doc", "num_novel_ev", "name_claim", "name_novel_doc", "name_novel_ev",
    "rare_novel_doc", "rare_novel_ev", "neg_mismatch", "antonym", "num_conflict", "name_conflict",
    "pron_start", "pron_mismatch", "len", "novel_frac_ev",
]  # fmt: skip
# Version 2's summary model also read coverage signals; version 3 uses verifier.SUMMARY_FEATURES.
V2_SUMMARY_FEATURES = [
    "min_logit", "mean_logit", "mean_bi1", "min_bi1", "mean_lex1", "mean_cos_max", "min_cos_max",
    "mean_rare_novel_ev", "log_claims",
]  # fmt: skip
# Version 4 adds the cross-encoder's features (verifier.NLI_FEATURES) to the sentence model, and the
# weakest claim's best cross-encoder logit to the summary model.
V4_EXTRA = list(NLI_FEATURES)
V4_SUMMARY_EXTRA = ["min_nli_max"]
SUMMARY_C = 0.3
V1_SUMMARY_C = 1.0
DECIMALS = 10  # features are rounded to this many decimals for fitting; the models record it ("round")
THRESHOLD_MODE = "frank_mix"
SUMMARY_MODEL = "logistic"
FRANK_VALID_MIX = {"frank_cnndm": 375 / 671, "frank_bbc": 296 / 671}  # all of FRANK valid, before exclusion


def frank_mix_weights(groups: np.ndarray) -> np.ndarray:
    n = len(groups)
    have = {g: (groups == g).sum() / n for g in FRANK_VALID_MIX}
    return np.array([FRANK_VALID_MIX[g] / have[g] for g in groups])


WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
# features and sentence vectors are cached here between runs (NEWSFUSE_CHECK_CACHE moves it, e.g. to
# check that a run from a cold cache gives the same weights)
CACHE_DIR = Path(os.environ.get("NEWSFUSE_CHECK_CACHE") or Path(__file__).resolve().parents[3] / "data_local" / "check")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------------------------
# data


def build_synthetic(seed: int = SEED, max_articles: int | None = None, per_article: int = 4) -> list[Pair]:
    """Synthetic claims against AllSides articles (one Pair per claim, doc = the article text)."""
    import re

    from .perturb import lowercase_tokenised, make_claims
    from .retrieve import split_text

    rng = random.Random(seed)
    arts = load_allsides_articles()
    rng.shuffle(arts)
    if max_articles:
        arts = arts[:max_articles]
    name_re = re.compile(r"(?<=[a-z,;] )([A-Z][a-z]+(?: [A-Z][a-z]+){0,2})")
    num_re = re.compile(r"\b\d[\d,.]*\b")
    sents_by_art = []
    for a in arts:
        sents = []
        for p in a["paragraphs"]:
            sents.extend(split_text(p))
        sents_by_art.append(sents)
    out: list[Pair] = []
    for i, (a, sents) in enumerate(zip(arts, sents_by_art, strict=True)):
        doc = "\n".join(a["paragraphs"])
        names = sorted({m.group(1) for m in name_re.finditer(doc)})
        numbers = sorted({m.group(0).rstrip(".,") for m in num_re.finditer(doc)})
        j = (i + 1 + rng.randrange(len(arts) - 1)) % len(arts)
        if arts[j]["story"] == a["story"]:
            j = (j + 1) % len(arts)
        foreign = sents_by_art[j]
        foreign_names = sorted({m.group(1) for m in name_re.finditer(" ".join(foreign))})
        for c in make_claims(sents, rng, names, numbers, foreign, foreign_names, n=per_article):
            text = lowercase_tokenised(c.text) if rng.random() < 0.5 else c.text
            out.append(Pair(doc, text, c.label, "synthetic", {"kind": c.kind, "doc": f"allsides:{a['story']}:{i}"}))
    return out


def build_msrp(seed: int = SEED, limit: int = 1500) -> list[Pair]:
    rng = random.Random(seed)
    pos = [(a, b) for q, a, b in load_msrp_pairs("train") if q == 1]
    rng.shuffle(pos)
    out = []
    for a, b in pos[:limit]:
        if rng.random() < 0.5:
            a, b = b, a
        out.append(Pair(a, b, 1, "msrp", {"doc": "msrp:" + a[:40]}))
    return out


def build_sts(seed: int = SEED, supported: float = 4.0, unsupported: float = 2.0) -> list[Pair]:
    """STS-B news pairs (version 5): one sentence as the document, its twin as the claim. Pairs rated
    ``supported`` or more (of 5) are labelled 1, pairs rated ``unsupported`` or less are labelled 0,
    the ones between are left out. The headlines say the same event in other words, or a different
    one in similar words: rows the synthetic claims, compressions of their own source, do not give."""
    rng = random.Random(seed)
    out = []
    for score, a, b in load_sts_news():
        if score >= supported:
            label = 1
        elif score <= unsupported:
            label = 0
        else:
            continue
        if rng.random() < 0.5:
            a, b = b, a
        out.append(Pair(a, b, label, "sts", {"doc": "sts:" + a[:40]}))
    return out


def build_real(exclude: set[str]) -> dict[str, list[Pair]]:
    """Real labelled items whose documents are not in ``exclude`` (the reported sets)."""
    out: dict[str, list[Pair]] = {}
    qags = [p for p in load_qags() if doc_key(p.doc) not in exclude]
    for p in qags:
        p.meta["doc"] = "qags:" + doc_key(p.doc)
    out["qags"] = qags
    # FALKE has only the article sentence; exclude by its CNN/DM id against the reported sets' ids
    reported_ids = _reported_cnndm_ids()
    falke = [p for p in load_falke() if p.meta.get("article_id") not in reported_ids]
    for p in falke:
        p.meta["doc"] = "falke:" + p.meta["article_id"]
    out["falke"] = falke
    frank = [p for p in load_frank("valid") if doc_key(p.doc) not in exclude]
    for p in frank:
        p.meta["doc"] = "frank:" + p.meta["hash"]
    out["frank_valid"] = frank
    return out


def _reported_cnndm_ids() -> set[str]:
    from .data import raw_root, read_items

    ids = {p.meta["hash"] for p in load_frank("test")}
    root = raw_root() / "summac_pr15_subsets"
    for x in read_items(root / "factcc.json"):
        ids.add(str(x.get("id", "")).split("-")[-1])
    for x in read_items(root / "summeval.json"):
        ids.add(str(x.get("cnndm_id", "")).split("-")[-1])
    return ids


# ------------------------------------------------------------------------------------------------
# features


class Featurizer:
    """Per-claim features of (document, summary) pairs, with the source index cached per document."""

    def __init__(self, encoder: Any | None, cross: Any | None = None) -> None:
        from .verifier import Checker

        dummy = {
            "sentence_model": {
                "type": "logistic",
                "features": FEATURE_NAMES,
                "mean": [0.0] * len(FEATURE_NAMES),
                "scale": [1.0] * len(FEATURE_NAMES),
                "coef": [0.0] * len(FEATURE_NAMES),
                "intercept": 0.0,
            }
        }
        self.checker = Checker(dummy, encoder=encoder, cross=cross)
        self._index: dict[str, Any] = {}

    def index(self, doc: str) -> Any:
        from newsfuse.model import Article, text_hash

        key = text_hash(doc)
        idx = self._index.get(key)
        if idx is None:
            if len(self._index) > 64:
                self._index.clear()
            idx = self.checker.index([Article(id=key[:16], title="", text=doc, outlet="source")])
            self._index[key] = idx
        return idx

    def pair_features(self, doc: str, summary: str) -> list[dict[str, float]]:
        from .retrieve import split_summary

        claims = split_summary(summary) or [summary]
        return [r.features for r in self.checker.analyse_claims(claims, self.index(doc))]

    def pair_nli_features(self, doc: str, summary: str) -> list[dict[str, float]]:
        """Only the cross-encoder features of each claim (``verifier.NLI_FEATURES``)."""
        from .retrieve import split_summary

        claims = split_summary(summary) or [summary]
        index = self.index(doc)
        return self.checker.nli_features(claims, self.checker.evidence_order(claims, index), index)

    def run(self, pairs: Sequence[Pair], desc: str = "", nli: bool = False) -> list[list[dict[str, float]]]:
        order = sorted(range(len(pairs)), key=lambda i: pairs[i].doc)  # reuse each document's index
        out: list[list[dict[str, float]] | None] = [None] * len(pairs)
        t0 = time.time()
        fn = self.pair_nli_features if nli else self.pair_features
        for n, i in enumerate(order):
            out[i] = fn(pairs[i].doc, pairs[i].summary)
            if n and n % 2000 == 0:
                log(f"  {desc}: {n}/{len(pairs)} ({time.time() - t0:.0f}s)")
        return [o or [] for o in out]


def cached_nli_features(name: str, pairs: Sequence[Pair], feat: Featurizer) -> list[list[dict[str, float]]]:
    """The cross-encoder features of ``pairs`` (versions 4 and 5), cached apart from the others: keyed by the set,
    the retrieval, splitter, title and cross-encoder code and the cross-encoder weights."""
    from newsfuse.brief import sentences
    from newsfuse.extract import text

    from . import crossenc, retrieve, verifier
    from . import features as fmod

    cross = feat.checker.cross
    if cross is None:
        raise RuntimeError("cross-encoder features need the cross-encoder")
    key = [Path(mod.__file__).read_bytes() for mod in (fmod, retrieve, verifier, crossenc, sentences, text)]
    key.append(Path(__file__).read_bytes())  # the Featurizer, and the batch size pinned for the cross-encoder
    key.append(f"{cross.fingerprint} {cross.batch_size} {cross.max_length}".encode())
    return _cached("nli", "cross-encoder features", name, pairs, key, lambda: feat.run(pairs, name, nli=True))


def merge_features(
    base: Sequence[list[dict[str, float]]], extra: Sequence[list[dict[str, float]]]
) -> list[list[dict[str, float]]]:
    """Claim by claim, the union of two feature lists of the same pairs."""
    if len(base) != len(extra) or any(len(a) != len(b) for a, b in zip(base, extra, strict=True)):
        raise ValueError("feature lists of different pairs")
    return [[{**x, **y} for x, y in zip(a, b, strict=True)] for a, b in zip(base, extra, strict=True)]


def cached_features(name: str, pairs: Sequence[Pair], feat: Featurizer) -> list[list[dict[str, float]]]:
    """Features of ``pairs`` cached under data_local/ (keyed by the set name, its content and the code)."""
    from newsfuse.brief import sentences
    from newsfuse.extract import text

    from . import features as fmod
    from . import retrieve as rmod

    # the source index splits cased articles with the brief's splitter and tells a title from the text's own
    # opening with extract.text, so their code is part of the key
    key = [Path(mod.__file__).read_bytes() for mod in (fmod, rmod, sentences, text)]
    return _cached("feat", "features", name, pairs, key, lambda: feat.run(pairs, name))


def _cached(
    prefix: str, what: str, name: str, pairs: Sequence[Pair], key: Sequence[bytes], compute: Any
) -> list[list[dict[str, float]]]:
    """``compute()`` cached in ``CACHE_DIR/{prefix}_{name}_{hash}.json``, the hash over ``key`` and the pairs."""
    import hashlib

    h = hashlib.sha1()
    for part in key:
        h.update(part)
    for p in pairs:
        h.update(p.doc[:200].encode() + p.summary.encode())
    path = CACHE_DIR / f"{prefix}_{name}_{h.hexdigest()[:12]}.json"
    if path.is_file():
        return json.loads(path.read_text())
    t = time.time()
    out = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    log(f"{what} {name}: {len(pairs)} pairs in {time.time() - t:.0f}s")
    return out


# ------------------------------------------------------------------------------------------------
# metrics


def balanced_accuracy(y: np.ndarray, pred: np.ndarray, w: np.ndarray | None = None) -> float:
    y = np.asarray(y).astype(bool)
    pred = np.asarray(pred).astype(bool)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    pos, neg = w[y].sum(), w[~y].sum()
    tpr = w[pred & y].sum() / pos if pos else 0.0
    tnr = w[~pred & ~y].sum() / neg if neg else 0.0
    if not pos:
        return float(tnr)
    if not neg:
        return float(tpr)
    return float((tpr + tnr) / 2)


def roc_auc(y: np.ndarray, s: np.ndarray) -> float | None:
    y = np.asarray(y).astype(int)
    if y.min() == y.max():
        return None
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def macro_threshold(y: np.ndarray, s: np.ndarray, groups: np.ndarray) -> float:
    """The threshold that maximises the mean over groups of the balanced accuracy."""
    u = np.unique(s)
    cands = np.concatenate([[u[0] - 1e-6], (u[1:] + u[:-1]) / 2])
    names = sorted(set(groups.tolist()))
    best, best_t = -1.0, float(cands[0])
    for t in cands:
        m = float(np.mean([balanced_accuracy(y[groups == g], s[groups == g] >= t) for g in names]))
        if m > best:
            best, best_t = m, float(t)
    return best_t


def best_threshold(y: np.ndarray, s: np.ndarray, w: np.ndarray | None = None) -> float:
    """The threshold (midpoint between neighbouring scores) that maximises (weighted) balanced accuracy."""
    s = np.asarray(s, dtype=float)
    u = np.unique(s)
    if len(u) == 1:
        return float(u[0])
    cands = np.concatenate([[u[0] - 1e-6], (u[1:] + u[:-1]) / 2])
    best, best_t = -1.0, float(cands[0])
    for t in cands:
        b = balanced_accuracy(y, s >= t, w)
        if b > best:
            best, best_t = b, float(t)
    return best_t


# ------------------------------------------------------------------------------------------------
# models


def export_trees(model: Any) -> dict[str, Any]:
    """A fitted HistGradientBoostingClassifier as plain JSON arrays."""
    trees = []
    for it in model._predictors:
        nodes = it[0].nodes
        trees.append(
            {
                "value": [round(float(v), 6) for v in nodes["value"]],
                "feature": [int(v) for v in nodes["feature_idx"]],
                "threshold": [float(v) for v in nodes["num_threshold"]],
                "left": [int(v) for v in nodes["left"]],
                "right": [int(v) for v in nodes["right"]],
                "is_leaf": [int(v) for v in nodes["is_leaf"]],
                "missing_left": [int(v) for v in nodes["missing_go_to_left"]],
            }
        )
    return {"type": "trees", "baseline": float(np.ravel(model._baseline_prediction)[0]), "trees": trees}


def fit_trees(X: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int = SEED, **kw: Any) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    params = dict(max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0)
    params.update(kw)
    clf = HistGradientBoostingClassifier(random_state=seed, early_stopping=False, **params)
    clf.fit(X, y, sample_weight=w)
    return clf


def fit_logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, C: float = 1.0) -> dict[str, Any]:
    from sklearn.linear_model import LogisticRegression

    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    clf = LogisticRegression(C=C, max_iter=2000)
    clf.fit((X - mean) / scale, y, sample_weight=w)
    return {
        "type": "logistic",
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": clf.coef_[0].tolist(),
        "intercept": float(clf.intercept_[0]),
    }


def platt(raw: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=100.0, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return {"a": float(clf.coef_[0, 0]), "b": float(clf.intercept_[0])}


# ------------------------------------------------------------------------------------------------


def _rows(pairs: Sequence[Pair], feats: Sequence[list[dict[str, float]]], source: str, real: bool) -> list[dict]:
    """Sentence-level training rows: every claim of a consistent item is positive; an inconsistent
    item gives a negative only when it has one claim (otherwise we do not know which one is wrong)."""
    rows = []
    for p, fl in zip(pairs, feats, strict=True):
        if p.label == 1:
            rows.extend({"f": f, "y": 1, "src": source, "doc": p.meta.get("doc", ""), "real": real} for f in fl)
        elif len(fl) == 1:
            rows.append({"f": fl[0], "y": 0, "src": source, "doc": p.meta.get("doc", ""), "real": real})
    return rows


def _folds(docs: Sequence[str], k: int, seed: int) -> np.ndarray:
    uniq = sorted(set(docs))
    rng = random.Random(seed)
    rng.shuffle(uniq)
    fold_of = {d: i % k for i, d in enumerate(uniq)}
    return np.array([fold_of[d] for d in docs])


def train(
    out: Path,
    seed: int = SEED,
    max_articles: int | None = None,
    rebuild_vocab: bool = True,
    version: int = VERSION,
) -> dict[str, Any]:
    from newsfuse.embed import MiniLMEncoder

    from .data import DiskCachedEncoder

    t0 = time.time()
    random.seed(seed)
    np.random.seed(seed)
    # batches of 32, as when the shipped weights were trained: a cold run then gives the same vectors and
    # trees (run time encodes in batches of 8, embed.DEFAULT_BATCH; the vectors differ by about 2e-7)
    encoder = DiskCachedEncoder(MiniLMEncoder(batch_size=32), CACHE_DIR / "emb_cache.npz")
    if rebuild_vocab:  # the word statistics and word vectors the features use (shipped next to the model)
        from .features import background, word_vectors

        build_background()
        build_word_vectors(encoder.inner)
        background.cache_clear()
        word_vectors.cache_clear()
    cross = None
    if version >= 4:
        from .crossenc import CrossEncoder
        from .verifier import CROSS_WEIGHTS

        if not (WEIGHTS_DIR / CROSS_WEIGHTS).is_file():
            raise FileNotFoundError(
                f"version {version} reads the cross-encoder {WEIGHTS_DIR / CROSS_WEIGHTS}: train it first with "
                f"python -m newsfuse.check.crossenc --out {WEIGHTS_DIR / CROSS_WEIGHTS}"
            )
        # batches of 16, as when the shipped weights were trained (run time scores in batches of 8: less padding)
        cross = CrossEncoder(WEIGHTS_DIR / CROSS_WEIGHTS, batch_size=16)
    feat = Featurizer(encoder, cross=cross)
    exclude = reported_doc_keys()
    log(f"reported documents excluded from training: {len(exclude)}")

    synth = build_synthetic(seed, max_articles=max_articles)
    msrp = build_msrp(seed)
    sts = build_sts(seed) if version >= 5 else []
    real = build_real(exclude)
    log(
        f"synthetic {len(synth)}, msrp {len(msrp)}, sts {len(sts)}, "
        + ", ".join(f"{k} {len(v)}" for k, v in real.items())
    )
    try:
        f_synth = cached_features("synthetic", synth, feat)
        f_msrp = cached_features("msrp", msrp, feat)
        f_sts = cached_features("sts", sts, feat) if sts else []
        f_real = {k: cached_features(k, v, feat) for k, v in real.items()}
        if version >= 4:
            f_synth = merge_features(f_synth, cached_nli_features("synthetic", synth, feat))
            f_msrp = merge_features(f_msrp, cached_nli_features("msrp", msrp, feat))
            if sts:
                f_sts = merge_features(f_sts, cached_nli_features("sts", sts, feat))
            f_real = {k: merge_features(f_real[k], cached_nli_features(k, v, feat)) for k, v in real.items()}
    finally:
        encoder.save()

    extra = {"sts": (sts, f_sts)} if sts else None
    result = fit_all(synth, msrp, real, f_synth, f_msrp, f_real, seed, version=version, extra=extra)
    result["training"]["excluded_reported_documents"] = len(exclude)
    result["training"]["seconds"] = round(time.time() - t0)
    result["baselines"] = tune_baselines(encoder)
    encoder.save()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, separators=(",", ":")))
    log(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f}s")
    return result


def _matrix(feats: Sequence[dict[str, float]], names: Sequence[str] = FEATURE_NAMES) -> np.ndarray:
    """Feature rows as a matrix, rounded to 10 decimals. Some features are sums over a ``set`` of words,
    whose order (and so the last bits of the sum) changes with Python's string hash seed; rounding makes
    the fitted trees and thresholds the same from run to run."""
    m = np.array([[f[n] for n in names] for f in feats], dtype=np.float64).reshape(len(feats), len(names))
    return np.round(m, DECIMALS)


def _summary_fit(Z: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int):  # noqa: ANN202
    spec = _summary_spec(Z, y, w, seed)
    from .verifier import CombinerModel

    return CombinerModel({**spec, "features": [str(i) for i in range(Z.shape[1])]}).logits


def _summary_spec(Z: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> dict[str, Any]:
    if SUMMARY_MODEL == "trees":
        m = fit_trees(Z, y, w, seed, max_iter=150, max_leaf_nodes=6, min_samples_leaf=20, learning_rate=0.05)
        return export_trees(m)
    return fit_logistic(Z, y, w, C=SUMMARY_C)


def synthetic_summaries(
    rows: Sequence[dict], logits: np.ndarray, seed: int
) -> tuple[list[dict[str, float]], list[int]]:
    """Summary-level rows made of synthetic claims of one article: 2-4 supported claims, or the same
    with one replaced by an edited (unsupported) claim. Lexical coverage is high in both, so only the
    claim logits separate them: this keeps the summary model from leaning on coverage alone."""
    from .verifier import summary_features

    rng = random.Random(seed + 1)
    by_doc: dict[str, dict[int, list[int]]] = {}
    for i, r in enumerate(rows):
        by_doc.setdefault(r["doc"], {0: [], 1: []})[int(r["y"])].append(i)
    feats = [r["f"] for r in rows]
    rows, labels = [], []
    for d in sorted(by_doc):
        pos, neg = by_doc[d][1], by_doc[d][0]
        if len(pos) < 2:
            continue
        k = min(len(pos), rng.randint(2, 4))
        pick = rng.sample(pos, k)
        rows.append(summary_features(logits[pick], [feats[i] for i in pick]))
        labels.append(1)
        if neg:
            bad = list(pick)
            bad[rng.randrange(k)] = rng.choice(neg)
            rows.append(summary_features(logits[bad], [feats[i] for i in bad]))
            labels.append(0)
    return rows, labels


def fit_all(
    synth: Sequence[Pair],
    msrp: Sequence[Pair],
    real: dict[str, list[Pair]],
    f_synth: Sequence[list[dict[str, float]]],
    f_msrp: Sequence[list[dict[str, float]]],
    f_real: dict[str, Sequence[list[dict[str, float]]]],
    seed: int = SEED,
    version: int = VERSION,
    extra: dict[str, tuple[Sequence[Pair], Sequence[list[dict[str, float]]]]] | None = None,
) -> dict[str, Any]:
    """Fit the sentence model, its calibration, the summary model and the thresholds.

    ``version`` 1: the sentence model uses the 27 ``V1_FEATURES`` and the summary model is
    ``a * min + b * mean + c`` over the claim logits, fitted on FRANK valid alone
    (:func:`_summary_v1`). ``version`` 2 and 3: all ``FEATURE_NAMES`` and a logistic model over
    summary features (``V2_SUMMARY_FEATURES``, or ``verifier.SUMMARY_FEATURES`` for 3), fitted on
    FRANK valid, QAGS and synthetic summaries. ``version`` 4 adds the cross-encoder's features, and
    5 is 4 fitted with ``extra`` rows too: {name: (pairs, features)} of more sets whose labels are not
    consistency judgements (STS-B news, whose similarity ratings :func:`build_sts` maps to labels), placed
    after the MSRP rows and weighted like them (the calibration and thresholds read only the real rows)."""
    from .verifier import SUMMARY_FEATURES as V3_SUMMARY_FEATURES
    from .verifier import summary_features

    if version not in (1, 2, 3, 4, 5):
        raise ValueError(f"unknown checker version {version}")
    if (version >= 5) != bool(extra):
        raise ValueError("version 5 is fitted with the extra rows (STS-B news pairs), and only version 5 is")
    summary_names = {2: V2_SUMMARY_FEATURES, 1: V3_SUMMARY_FEATURES, 3: V3_SUMMARY_FEATURES}.get(
        version, V3_SUMMARY_FEATURES + V4_SUMMARY_EXTRA
    )
    names = {1: V1_FEATURES, 2: FEATURE_NAMES, 3: FEATURE_NAMES}.get(version, FEATURE_NAMES + V4_EXTRA)

    rows = _rows(synth, f_synth, "synthetic", False) + _rows(msrp, f_msrp, "msrp", False)
    for name, (pairs, feats) in (extra or {}).items():
        rows += _rows(pairs, feats, name, False)
    for k, v in real.items():
        rows += _rows(v, f_real[k], k, True)
    frank, f_frank = real["frank_valid"], f_real["frank_valid"]
    docs = [r["doc"] for r in rows]
    folds = _folds(docs, 5, seed)
    doc_fold = dict(zip(docs, folds.tolist(), strict=True))

    def design(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        X = _matrix([r["f"] for r in rows], names)
        y = np.array([r["y"] for r in rows])
        is_real = np.array([r["real"] for r in rows])
        # real labels are few but matter most: together they weigh as much as the synthetic rows
        w = np.where(is_real, (~is_real).sum() / max(1, is_real.sum()), 1.0)
        return X, y, is_real, w

    def oof_models(X: np.ndarray, y: np.ndarray, w: np.ndarray, folds: np.ndarray) -> tuple[np.ndarray, dict]:
        oof = np.zeros(len(y))
        models = {}
        for k in range(5):
            tr, te = folds != k, folds == k
            models[k] = fit_trees(X[tr], y[tr], w[tr], seed)
            oof[te] = models[k].decision_function(X[te])
        return oof, models

    X, y, is_real, w = design(rows)
    oof, models = oof_models(X, y, w, folds)
    # multiple-instance step: in an inconsistent FRANK summary of several sentences, the sentence the
    # out-of-fold model trusts least is taken as the wrong one and added as a negative
    mil = []
    for i, (p, fl) in enumerate(zip(frank, f_frank, strict=True)):
        if p.label == 0 and len(fl) > 1 and version >= 2:  # version 1 had no multiple-instance rows
            k = doc_fold.get(p.meta["doc"], i % 5)
            lg = models[k].decision_function(_matrix(fl, names))
            mil.append({"f": fl[int(np.argmin(lg))], "y": 0, "src": "frank_mil", "doc": p.meta["doc"], "real": True})
    if mil:
        rows += mil
        docs += [r["doc"] for r in mil]
        folds = np.array([doc_fold.get(d, 0) for d in docs])
        X, y, is_real, w = design(rows)
        oof, models = oof_models(X, y, w, folds)
    log(f"sentence rows: {len(rows)} ({is_real.sum()} real, {len(mil)} from FRANK by MIL), positives {y.mean():.2f}")
    final = fit_trees(X, y, w, seed)
    spec = export_trees(final)
    spec["features"] = list(names)
    spec["round"] = DECIMALS
    spec["calibration"] = platt(oof[is_real], y[is_real])
    a, b = spec["calibration"]["a"], spec["calibration"]["b"]
    for src in sorted({r["src"] for r in rows}):
        sel = np.array([r["src"] == src for r in rows])
        auc = roc_auc(y[sel], oof[sel])
        log(f"  out-of-fold sentence AUC {src}: {auc if auc is None else round(auc, 3)} (n={sel.sum()})")
    p_sent = 1 / (1 + np.exp(-(a * oof + b)))
    sent_thr = best_threshold(y[is_real], p_sent[is_real])
    if version == 1:
        return _summary_v1(spec, models, doc_fold, frank, f_frank, rows, is_real, sent_thr, synth, msrp, real, seed)

    # summary level. Real summaries: FRANK valid, and QAGS documents (their labelled sentences joined;
    # consistent when every sentence is). Each is scored by the fold model that did not see its
    # document. Synthetic summaries are added at half the real weight.
    groups: list[str] = []
    S_real: list[dict[str, float]] = []
    y_real: list[int] = []
    fold_real: list[int] = []

    def add(doc: str, fl: list[dict[str, float]], label: int, group: str, i: int) -> None:
        k = doc_fold.get(doc, i % 5)
        lg = a * models[k].decision_function(_matrix(fl, names)) + b
        S_real.append(summary_features(lg, fl))
        y_real.append(label)
        groups.append(group)
        fold_real.append(k)

    for i, (p, fl) in enumerate(zip(frank, f_frank, strict=True)):
        add(p.meta["doc"], fl, int(p.label), f"frank_{p.meta['dataset']}", i)
    by_doc: dict[str, tuple[str, list[dict[str, float]], int]] = {}
    for p, fl in zip(real["qags"], f_real["qags"], strict=True):
        src, feats, lab = by_doc.get(p.meta["doc"], (p.source, [], 1))
        by_doc[p.meta["doc"]] = (src, feats + list(fl), min(lab, int(p.label)))
    for i, (d, (src, fl, lab)) in enumerate(sorted(by_doc.items())):
        if fl:
            add(d, fl, lab, src, i)
    y_real_a = np.array(y_real)
    groups_a = np.array(groups)
    fold_a = np.array(fold_real)
    n_syn = sum(1 for r in rows if r["src"] == "synthetic")
    S_syn, y_syn = synthetic_summaries(rows[:n_syn], a * oof[:n_syn] + b, seed)
    Zr = _matrix(S_real, summary_names)
    Zs = _matrix(S_syn, summary_names)
    Z = np.vstack([Zr, Zs])
    yz = np.concatenate([y_real_a, y_syn])
    # every real group weighs the same in total; synthetic summaries weigh half of one group
    gw = {g: len(y_real_a) / (len(set(groups)) * (groups_a == g).sum()) for g in set(groups)}
    w_real = np.array([gw[g] for g in groups])
    wz = np.concatenate([w_real, np.full(len(y_syn), 0.5 * len(y_real_a) / max(1, len(y_syn)))])
    oof_s = np.zeros(len(y_real_a))
    for k in range(5):
        tr = np.concatenate([fold_a != k, np.ones(len(y_syn), bool)])
        te = fold_a == k
        oof_s[te] = _summary_fit(Z[tr], yz[tr], wz[tr], seed)(Zr[te])
    prob = 1 / (1 + np.exp(-oof_s))
    fr = np.char.startswith(groups_a.astype(str), "frank")
    if THRESHOLD_MODE == "macro":  # the mean of the groups' balanced accuracies (out-of-fold scores)
        thr = macro_threshold(y_real_a, prob, groups_a)
    else:  # FRANK valid, re-weighted to its full CNN/DM : XSum mix (the exclusion removed XSum documents)
        thr = best_threshold(y_real_a[fr], prob[fr], frank_mix_weights(groups_a[fr]))
    sm = _summary_spec(Z, yz, wz, seed)
    sm["features"] = list(summary_names)
    sm["round"] = DECIMALS
    from .verifier import CombinerModel

    summary_raw = CombinerModel(sm).logits
    per_group = {
        g: (
            round(balanced_accuracy(y_real_a[groups_a == g], prob[groups_a == g] >= thr), 3),
            int((groups_a == g).sum()),
        )
        for g in sorted(set(groups))
    }
    log(
        f"summary level (out-of-fold): FRANK valid BAcc {balanced_accuracy(y_real_a[fr], prob[fr] >= thr):.3f} "
        f"AUC {roc_auc(y_real_a[fr], prob[fr]):.3f}; per group {per_group}; threshold {thr:.3f}"
    )
    if sm["type"] == "logistic":
        coefs = zip(summary_names, sm["coef"], strict=True)
        log("summary coefficients: " + ", ".join(f"{n} {c:+.2f}" for n, c in coefs))
    syn_auc = roc_auc(np.array(y_syn), summary_raw(Zs))
    log(f"synthetic summaries (in-sample) AUC {syn_auc:.3f} (n={len(y_syn)})")
    y_frank = y_real_a[fr]
    prob_frank = prob[fr]
    oof_fv = (balanced_accuracy(y_frank, prob_frank >= thr), float(roc_auc(y_frank, prob_frank) or 0))
    macro = float(np.mean([v[0] for v in per_group.values()]))
    log(f"cross-source (mean of the groups' out-of-fold BAcc at the one threshold): {macro:.4f}")
    out = _result(version, seed, spec, sm, thr, sent_thr, rows, is_real, synth, msrp, real, oof_fv, extra)
    out["training"]["summary_groups_oof_balanced_accuracy"] = per_group
    out["training"]["summary_groups_oof_macro"] = round(macro, 4)
    return out


def _result(
    version: int,
    seed: int,
    spec: dict[str, Any],
    summary_model: dict[str, Any],
    thr: float,
    sent_thr: float,
    rows: Sequence[dict],
    is_real: np.ndarray,
    synth: Sequence[Pair],
    msrp: Sequence[Pair],
    real: dict[str, list[Pair]],
    frank_valid_oof: tuple[float, float],
    extra: dict[str, tuple[Sequence[Pair], Any]] | None = None,
) -> dict[str, Any]:
    """The checker.json content of either version; ``frank_valid_oof`` is (balanced accuracy, ROC AUC)."""
    sets = {"synthetic": len(synth), "msrp": len(msrp), **{k: len(v) for k, v in real.items()}}
    sets.update({k: len(pairs) for k, (pairs, _feats) in (extra or {}).items()})
    return {
        "version": version,
        "created": time.strftime("%Y-%m-%d"),
        "seed": seed,
        "sentence_model": spec,
        "summary_model": summary_model,
        "threshold": float(thr),
        "sentence_threshold": float(sent_thr),
        "training": {
            "rows": int(len(rows)),
            "real_rows": int(is_real.sum()),
            "sets": sets,
            "frank_valid_oof": {
                "balanced_accuracy": round(frank_valid_oof[0], 4),
                "roc_auc": round(frank_valid_oof[1], 4),
            },
        },
    }


def _summary_v1(
    spec: dict[str, Any],
    models: dict[int, Any],
    doc_fold: dict[str, int],
    frank: Sequence[Pair],
    f_frank: Sequence[list[dict[str, float]]],
    rows: Sequence[dict],
    is_real: np.ndarray,
    sent_thr: float,
    synth: Sequence[Pair],
    msrp: Sequence[Pair],
    real: dict[str, list[Pair]],
    seed: int,
) -> dict[str, Any]:
    """The version-1 summary model: ``logit = a * min + b * mean + c`` over the calibrated claim logits,
    a logistic regression on FRANK valid, each summary scored by the fold model that did not see its
    document; the threshold maximises balanced accuracy on those FRANK valid summaries."""
    from sklearn.linear_model import LogisticRegression

    a, b = spec["calibration"]["a"], spec["calibration"]["b"]
    names = spec["features"]
    Z, yz, fold = [], [], []
    for i, (p, fl) in enumerate(zip(frank, f_frank, strict=True)):
        k = doc_fold.get(p.meta["doc"], i % 5)
        lg = a * models[k].decision_function(_matrix(fl, names)) + b
        Z.append([float(lg.min()), float(lg.mean())])
        yz.append(int(p.label))
        fold.append(k)
    Za, ya, fa = np.array(Z), np.array(yz), np.array(fold)

    def fit(Zt: np.ndarray, yt: np.ndarray) -> Any:
        return LogisticRegression(C=V1_SUMMARY_C, max_iter=1000).fit(Zt, yt)

    m = fit(Za, ya)
    prob = m.predict_proba(Za)[:, 1]
    thr = best_threshold(ya, prob)
    # for comparison with version 2 only (not used by the model): the same fit, out of fold
    oof = np.zeros(len(ya))
    for k in range(5):
        oof[fa == k] = fit(Za[fa != k], ya[fa != k]).predict_proba(Za[fa == k])[:, 1]
    groups = np.array([f"frank_{p.meta['dataset']}" for p in frank])
    thr_oof = best_threshold(ya, oof, frank_mix_weights(groups))
    oof_bacc = balanced_accuracy(ya, oof >= thr_oof)
    oof_auc = float(roc_auc(ya, oof) or 0)
    log(
        f"summary level: FRANK valid (n={len(ya)}) in-sample BAcc {balanced_accuracy(ya, prob >= thr):.3f} "
        f"AUC {roc_auc(ya, prob):.3f}; out-of-fold BAcc {oof_bacc:.3f} AUC {oof_auc:.3f}; threshold {thr:.4f}"
    )
    sm = {"min": float(m.coef_[0, 0]), "mean": float(m.coef_[0, 1]), "intercept": float(m.intercept_[0])}
    return _result(1, seed, spec, sm, thr, sent_thr, rows, is_real, synth, msrp, real, (oof_bacc, oof_auc))


def tune_baselines(encoder: Any) -> dict[str, float]:
    """Thresholds of the three baselines that maximise balanced accuracy on FRANK valid (all of it)."""
    from newsfuse.eval.check import baseline_scores

    pairs = load_frank("valid")
    y = np.array([p.label for p in pairs])
    scores = baseline_scores(pairs, encoder)
    return {name: best_threshold(y, s) for name, s in scores.items()}


def command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write checker.json (default: the package).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for data generation and the model.")] = SEED,
    max_articles: Annotated[
        int | None, typer.Option(help="Use only this many AllSides articles for synthetic claims (quick runs).")
    ] = None,
    version: Annotated[
        int,
        typer.Option(
            "--version",
            help="Model design: 1 (27 features, min/mean summary model), 2, 3, 4 (3 plus the cross-encoder) or "
            "5 (4 plus STS-B news pairs); see MODEL_CARD.md.",
        ),
    ] = VERSION,
) -> None:
    """Train the claim checker's verifier from the shared data sets and write its weights."""
    train(out or WEIGHTS_DIR / "checker.json", seed=seed, max_articles=max_articles, version=version)


# ------------------------------------------------------------------------------------------------
# shipped word statistics


def build_background(out: Path | None = None) -> Path:
    """weights/background.json: word counts and mid-sentence capitalisation ratios of news prose."""
    from collections import Counter

    from .data import background_texts
    from .features import _TOKEN, normalise_text

    counts: Counter[str] = Counter()
    mid: Counter[str] = Counter()
    capmid: Counter[str] = Counter()
    total = 0
    for para in background_texts():
        first = True
        for tok in _TOKEN.findall(normalise_text(para)):
            low = tok.lower()
            if low.endswith("'s"):
                low = low[:-2]
            if not low:
                continue
            counts[low] += 1
            total += 1
            if not first and low.isalpha():
                mid[low] += 1
                if tok[:1].isupper():
                    capmid[low] += 1
            first = False
    keep = {w: c for w, c in counts.items() if c >= 2}
    caps = {w: round(capmid[w] / mid[w], 2) for w in keep if mid[w] >= 2}
    path = out or WEIGHTS_DIR / "background.json"
    data = {
        "about": "word counts and mid-sentence capitalisation ratios (AllSides bodies, NeuS train leads, MSRP)",
        "total": total,
        "counts": keep,
        "caps": caps,
    }
    path.write_text(json.dumps(data, separators=(",", ":")))
    log(f"background: {total} tokens, {len(keep)} words -> {path}")
    return path


def build_word_vectors(encoder: Any, out: Path | None = None, min_count: int = 3) -> Path:
    """weights/words.safetensors: MiniLM vectors of single frequent words (float16), for soft matching."""
    from safetensors.numpy import save_file

    from .features import STOP, background

    background.cache_clear()
    bg = background()
    words = sorted(w for w, c in bg.counts.items() if c >= min_count and w.isalpha() and w not in STOP)
    vecs = encoder.encode(words).astype(np.float16)
    blob = np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)
    path = out or WEIGHTS_DIR / "words.safetensors"
    save_file({"vectors": vecs, "words": blob.copy()}, str(path))
    log(f"word vectors: {len(words)} words -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return path
