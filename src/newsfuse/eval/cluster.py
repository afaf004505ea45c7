"""``newsfuse eval cluster``: story clustering on ECB+ (or any JSONL with a gold cluster field).

All documents are clustered as one stream in a fixed shuffled order. Reported for newsfuse and three
baselines computed in the same run: online TF-IDF centroid cosine >= 0.25 (``tfidf_online``), online
MiniLM centroid cosine >= 0.57 (``minilm_online``) and agglomerative average-link clustering on
MiniLM cosine distance 0.52 (``agglomerative_minilm``). Metrics: BCubed precision/recall/F1,
pairwise (pair-counting) F1, number of clusters and documents per second (clustering only; the
MiniLM vectors are computed once, cached on disk, and shared by every system that uses them).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import typer

from ..model import Article
from . import split_info

__all__ = [
    "command",
    "bcubed",
    "pairwise_f1",
    "load_jsonl_docs",
    "cached_encode",
    "cache_dir",
    "tfidf_online",
    "minilm_online",
    "agglomerative",
    "run_systems",
    "DEFAULT_FILE",
]

SHARED = Path(__file__).resolve().parents[4] / "shared"
DEFAULT_FILE = SHARED / "data" / "raw" / "ecb_plus" / "ecbplus_documents.jsonl"


# -- metrics --------------------------------------------------------------------------------------
def bcubed(gold: Sequence[Any], pred: Sequence[Any]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 (Bagga & Baldwin 1998), averaged over items."""
    if len(gold) != len(pred):
        raise ValueError("gold and pred differ in length")
    n = len(gold)
    if n == 0:
        return 0.0, 0.0, 0.0
    joint = Counter(zip(gold, pred, strict=True))
    gsize = Counter(gold)
    psize = Counter(pred)
    p = sum(c * c / psize[pc] for (_g, pc), c in joint.items()) / n
    r = sum(c * c / gsize[g] for (g, _pc), c in joint.items()) / n
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f


def pairwise_f1(gold: Sequence[Any], pred: Sequence[Any]) -> tuple[float, float, float]:
    """Pair-counting precision, recall and F1 over all unordered pairs of items."""

    def pairs(c: int) -> int:
        return c * (c - 1) // 2

    joint = Counter(zip(gold, pred, strict=True))
    tp = sum(pairs(c) for c in joint.values())
    pp = sum(pairs(c) for c in Counter(pred).values())
    gp = sum(pairs(c) for c in Counter(gold).values())
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f


# -- data -----------------------------------------------------------------------------------------
_DETOK = [
    (re.compile(r" ([,.;:!?%)\]}])"), r"\1"),
    (re.compile(r"([(\[{$]) "), r"\1"),
    (re.compile(r" (n't|'s|'re|'ve|'ll|'d|'m)\b"), r"\1"),
    (re.compile(r"`` ?| ?''"), '"'),
    (re.compile(r" - "), "-"),
]


def _detok(text: str) -> str:
    for pat, rep in _DETOK:
        text = pat.sub(rep, text)
    return text


def _pick_title(sents: list[str]) -> str:
    """The first of the leading sentences that reads like a headline (not a date or time line)."""
    for s in sents[:3]:
        words = re.findall(r"[A-Za-z]{2,}", s)
        if len(words) >= 3 and sum(c.isdigit() for c in s) < len(s) / 4:
            return s
    return sents[0] if sents else ""


def load_jsonl_docs(
    path: str | Path, text_field: str = "sentences", gold_field: str = "subtopic", title_field: str | None = None
) -> tuple[list[Article], list[str]]:
    """Articles and gold cluster labels from a JSONL file.

    ECB+ layout: ``sentences`` is a list of (tokenised) sentences; in ``*ecbplus.xml`` documents the
    first sentence is the source URL (kept as ``url``, dropped from the text). The title is the
    first remaining sentence. For other layouts the text field may be a plain string.
    """
    arts: list[Article] = []
    gold: list[str] = []
    seen: Counter[str] = Counter()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig") as fh:  # a byte-order mark is tolerated
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{i}: not a JSON object per line ({exc.msg})") from None
            if not isinstance(d, dict):
                raise ValueError(f"{path}:{i}: not a JSON object per line")
            if gold_field not in d or d[gold_field] in (None, ""):
                raise ValueError(f"{path}:{i}: no gold label in field {gold_field!r} (fields: {', '.join(d)})")
            if text_field not in d:
                raise ValueError(f"{path}:{i}: no text in field {text_field!r} (fields: {', '.join(d)})")
            raw = d.get(text_field)
            url = None
            if isinstance(raw, list):
                sents = [str(s) for s in raw]
                if sents and re.match(r"^\s*https?\s*:", sents[0]):
                    url = re.sub(r"\s+", "", sents[0])
                    sents = sents[1:]
                sents = [_detok(s) for s in sents if s.strip()]
                title = _pick_title(sents)
                text = " ".join(sents)
            else:
                text = str(raw or "")
                title = str(d.get(title_field, "")) if title_field else ""
                if not title:
                    title = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0][:200]
            doc_id = str(d.get("doc_name") or d.get("id") or i)
            seen[doc_id] += 1
            if seen[doc_id] > 1:  # a repeated id would be read as the first copy's story
                doc_id = f"{doc_id}#{seen[doc_id]}"
            arts.append(
                Article(
                    id=doc_id,
                    title=title,
                    text=text,
                    outlet=str(d.get("outlet") or d.get("source") or "unknown"),
                    url=url,
                    published=d.get("published"),
                )
            )
            gold.append(str(d.get(gold_field)))
    return arts, gold


def cache_dir() -> Path:
    """Where embeddings are cached: $NEWSFUSE_CACHE_DIR, the repo's data_local/, or the user cache."""
    env = os.environ.get("NEWSFUSE_CACHE_DIR")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file():
        return root / "data_local" / "embed_cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("newsfuse")) / "embed_cache"


def cached_encode(
    texts: Sequence[str], name: str = "minilm", encoder: Any = None, precision: str | None = None
) -> np.ndarray:
    """Encode ``texts`` with MiniLM, reusing vectors cached on disk (keyed by the SHA-1 of each text; one
    file per precision: ``precision``, else the encoder's, else the setting; see newsfuse.embed)."""
    from ..embed import cache_file, encoder_precision

    precision = encoder_precision(encoder, precision)
    path = cache_file(cache_dir() / f"{name}.npz", precision)
    cache: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            cache = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in cache}
    if missing:
        if encoder is None:
            from ..embed import get_encoder

            encoder = get_encoder(precision=precision)
        vecs = encoder.encode(list(missing.values()))
        cache.update(zip(missing.keys(), vecs, strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, keys=np.array(list(cache.keys())), vecs=np.stack(list(cache.values())).astype(np.float32))
        os.replace(tmp, path)
    if not keys:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([cache[k] for k in keys]).astype(np.float32)


# -- baselines ------------------------------------------------------------------------------------
_TOKEN = re.compile(r"[a-z0-9]+")


def tfidf_online(texts: Sequence[str], threshold: float = 0.25) -> list[int]:
    """Online clustering on TF-IDF centroids: join the most similar centroid if cosine >= threshold.

    Tokens are lowercase alphanumeric runs minus scikit-learn's English stop words; weights are
    sublinear tf x online idf ``log((1 + n) / (1 + df))`` over the documents seen so far (this one
    included); a centroid is the sum of its members' unit vectors (weights frozen on arrival).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    df: Counter[str] = Counter()
    n = 0
    cents: list[dict[str, float]] = []
    norms: list[float] = []
    index: dict[str, set[int]] = defaultdict(set)  # term -> clusters containing it
    out: list[int] = []
    for text in texts:
        tf = Counter(w for w in _TOKEN.findall(text.lower()) if w not in ENGLISH_STOP_WORDS)
        n += 1
        df.update(tf.keys())
        vec = {t: (1 + math.log(c)) * math.log((n + 1) / (df[t] + 1)) for t, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {t: v / norm for t, v in vec.items() if v > 0}
        scores: dict[int, float] = defaultdict(float)
        for t, v in vec.items():
            for c in index.get(t, ()):
                scores[c] += v * cents[c][t]
        best, best_s = -1, -1.0
        for c, s in sorted(scores.items()):
            s /= norms[c]
            if s > best_s:
                best, best_s = c, s
        if best_s < threshold:
            best = len(cents)
            cents.append({})
            norms.append(1.0)
        cent = cents[best]
        for t, v in vec.items():
            cent[t] = cent.get(t, 0.0) + v
            index[t].add(best)
        norms[best] = math.sqrt(sum(v * v for v in cent.values())) or 1.0
        out.append(best)
    return out


def minilm_online(vectors: np.ndarray, threshold: float = 0.57) -> list[int]:
    """Online clustering on MiniLM centroids (mean of member vectors), cosine >= threshold joins."""
    sums = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    cents = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    out: list[int] = []
    for v in vectors:
        if len(cents):
            sims = cents @ v
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                sums[best] += v
                cents[best] = sums[best] / np.linalg.norm(sums[best])
                out.append(best)
                continue
        sums = np.vstack([sums, v[None, :]])
        cents = np.vstack([cents, v[None, :]])
        out.append(len(cents) - 1)
    return out


def agglomerative(vectors: np.ndarray, distance: float = 0.52) -> list[int]:
    """Average-link agglomerative clustering on cosine distance, cut at ``distance`` (not online)."""
    from sklearn.cluster import AgglomerativeClustering

    if len(vectors) < 2:
        return [0] * len(vectors)
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance)
    return [int(x) for x in model.fit_predict(vectors)]


# -- running --------------------------------------------------------------------------------------
def _scores(gold: Sequence[str], pred: Sequence[Any], seconds: float) -> dict[str, float]:
    p, r, f = bcubed(gold, pred)
    _pp, _pr, pf = pairwise_f1(gold, pred)
    return {
        "bcubed_p": round(p, 4),
        "bcubed_r": round(r, 4),
        "bcubed_f1": round(f, 4),
        "pairwise_f1": round(pf, 4),
        "n_clusters": len(set(pred)),
        "docs_per_s": round(len(gold) / max(seconds, 1e-9), 1),
    }


def _timed(fn: Callable[[], list[Any]]) -> tuple[list[Any], float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run_systems(
    articles: list[Article],
    gold: list[str],
    vectors: np.ndarray,
    settings: Any = None,
    baselines: bool = True,
    scorer: Any = None,
) -> dict[str, dict[str, float]]:
    """Cluster ``articles`` (already in stream order) with newsfuse and the baselines."""
    from ..cluster.online import OnlineClusterer

    def ours() -> list[str]:
        oc = OnlineClusterer(settings, scorer=scorer)
        for a, v in zip(articles, vectors, strict=True):
            oc.add(a, v)
        return [oc.story_of(a.id) for a in articles]  # type: ignore[misc]

    systems: dict[str, dict[str, float]] = {}
    pred, secs = _timed(ours)
    systems["newsfuse"] = _scores(gold, pred, secs)
    if baselines:
        texts = [a.text for a in articles]
        pred, secs = _timed(lambda: tfidf_online(texts, 0.25))
        systems["tfidf_online"] = _scores(gold, pred, secs)
        pred, secs = _timed(lambda: minilm_online(vectors, 0.57))
        systems["minilm_online"] = _scores(gold, pred, secs)
        pred, secs = _timed(lambda: agglomerative(vectors, 0.52))
        systems["agglomerative_minilm"] = _scores(gold, pred, secs)
    return systems


def evaluate(
    file: Path = DEFAULT_FILE,
    seed: int = 0,
    text_field: str = "sentences",
    gold_field: str = "subtopic",
    limit: int | None = None,
    baselines: bool = True,
) -> dict[str, Any]:
    from ..cluster.features import embedding_text

    articles, gold = load_jsonl_docs(file, text_field=text_field, gold_field=gold_field)
    if not articles:
        raise ValueError(f"no documents in {file}")
    order = list(range(len(articles)))
    random.Random(seed).shuffle(order)
    if limit:
        order = order[:limit]
    articles = [articles[i] for i in order]
    gold = [gold[i] for i in order]
    vectors = cached_encode([embedding_text(a) for a in articles])
    systems, info = split_info(run_systems(articles, gold, vectors, baselines=baselines), _INFO)
    return {
        "task": "cluster",
        "dataset": Path(file).name.split(".")[0],
        "n": len(articles),
        "seed": seed,
        "gold_clusters": len(set(gold)),
        "systems": systems,
        "info": info,
    }


_INFO = ("n_clusters", "docs_per_s")  # a count and a speed: reported under "info", not as metrics


def command(
    file: Path = typer.Argument(DEFAULT_FILE, help="JSONL documents (ECB+ layout by default)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    seed: int = typer.Option(0, "--seed", help="Seed of the fixed shuffled stream order."),
    text_field: str = typer.Option("sentences", "--text-field", help="Field with the text (string or list)."),
    gold_field: str = typer.Option("subtopic", "--gold-field", help="Field with the gold cluster label."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N documents of the shuffled stream."),
) -> None:
    """Cluster a document set as one stream and score it (BCubed, pairwise F1) beside baselines."""
    if not Path(file).is_file():
        raise typer.BadParameter(f"no such file: {file}")
    try:
        result = evaluate(Path(file), seed=seed, text_field=text_field, gold_field=gold_field, limit=limit)
    except ValueError as exc:  # a file of another shape: say where, in one line
        raise typer.BadParameter(str(exc)) from None
    if json_out:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"story clustering: {Path(file).name} (n={result['n']}, gold clusters={result['gold_clusters']})"
    )
    cols = {
        "bcubed_p": "B3 P",
        "bcubed_r": "B3 R",
        "bcubed_f1": "B3 F1",
        "pairwise_f1": "pair F1",
        "n_clusters": "clusters",
        "docs_per_s": "docs/s",
    }
    table.add_column("system", no_wrap=True)
    for label in cols.values():
        table.add_column(label, justify="right", no_wrap=True)
    for name, m in result["systems"].items():
        m = {**m, **result["info"].get(name, {})}
        cells = [f"{m[c]:.3f}" if c not in _INFO else f"{m[c]:g}" for c in cols]
        table.add_row(name, *cells)
    Console().print(table)
