"""``newsfuse bench cluster``: clustering throughput and memory on a long, real-shaped stream.

The stream is built from real articles (ECB+, the AllSides crawl and NeuS clusters under
../shared, with their MiniLM vectors from the on-disk cache): the pool of stories is replayed in
rounds until the stream is long enough; each round is a different "week" (time-shifted by more than
the quiet period) and stands for other events of the same kinds: its numbers are shifted, its
capitalised names get a round-specific suffix, each story's vectors get a shared random offset
(norm 0.6), a sentence may be dropped, and every vector gets small Gaussian noise before
renormalising. Articles of one story arrive
within 36 hours of its start, stories start uniformly over the round, and everything is sorted by
time. Clustering is timed with precomputed vectors (signal extraction included); embedding
throughput is measured separately on a small sample with the real MiniLM encoder, and the
end-to-end rate combines the two. Peak memory is the process's maximum resident set size, taken
before the encoder is loaded.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import typer

from ..model import Article

__all__ = ["command", "build_stream", "run_bench"]

_NUM = re.compile(r"\d+")
_CAPWORD = re.compile(r"\b[A-Z][a-z]{2,}\b")
_TAGS = ("ov", "ak", "ine", "ur", "esk", "am", "ol", "ent", "ix", "ard", "eb", "un", "os", "ith", "ga", "el")


def _pool() -> tuple[list[Article], np.ndarray, list[str]]:
    """Base articles with cached vectors and gold story labels (what is available under shared)."""
    from .fit import _vectors, load_allsides, load_ecb, load_neus

    arts: list[Article] = []
    gold: list[str] = []
    for loader in (lambda: load_ecb()[:2], load_allsides, lambda: load_neus("val"), lambda: load_neus("train", 1000)):
        try:
            a, g = loader()
        except OSError:
            continue
        arts += a
        gold += g
    if not arts:
        raise typer.BadParameter("no base articles found under ../shared/data/raw")
    return arts, _vectors(arts), gold


def build_stream(
    n: int,
    seed: int = 0,
    noise: float = 0.012,
    with_time: bool = True,
    pool: tuple[list[Article], np.ndarray, list[str]] | None = None,
) -> tuple[list[Article], np.ndarray, list[str]]:
    """``n`` articles (see module docstring) with vectors and gold story labels, in arrival order.

    ``pool`` (articles, vectors, gold labels) replaces the shared-data pool (tests pass a small one).
    """
    base, base_vecs, base_gold = pool if pool is not None else _pool()
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    by_story: dict[str, list[int]] = {}
    for i, g in enumerate(base_gold):
        by_story.setdefault(g, []).append(i)
    stories = list(by_story)
    per_round = len(base)
    rounds = -(-n // per_round)
    round_hours = 7 * 24.0
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    items: list[tuple[float, int, int]] = []  # (hours, round, base index)
    for r in range(rounds):
        for s in stories:
            start = r * (round_hours + 96.0) + rng.uniform(0, round_hours)
            for i in by_story[s]:
                items.append((start + rng.uniform(0, 36.0), r, i))
    rng.shuffle(items)
    items = sorted(items[:n])
    arts: list[Article] = []
    gold: list[str] = []
    dim = base_vecs.shape[1]
    vecs = np.empty((len(items), dim), dtype=np.float32)
    offsets: dict[tuple[str, int], np.ndarray] = {}
    for j, (hours, r, i) in enumerate(items):
        src = base[i]
        shift = 17 * r + 1
        tag = _TAGS[r % len(_TAGS)] * (1 + r // len(_TAGS)) if r else ""

        def renum(m: re.Match[str], shift: int = shift) -> str:
            return str(int(m.group(0)) + shift) if len(m.group(0)) < 9 else m.group(0)

        def rename(m: re.Match[str], tag: str = tag) -> str:
            return m.group(0) + tag

        text = _NUM.sub(renum, src.text)
        title = _NUM.sub(renum, src.title)
        if tag:  # a later round is another event: other names, other numbers, a shifted vector
            text = _CAPWORD.sub(rename, text)
            title = _CAPWORD.sub(rename, title)
        if rng.random() < 0.3:
            sents = text.split(". ")
            if len(sents) > 3:
                del sents[rng.randrange(1, len(sents))]
                text = ". ".join(sents)
        arts.append(
            Article(
                id=f"{src.id}#r{r}",
                title=title,
                text=text,
                outlet=src.outlet,
                published=(t0 + timedelta(hours=hours)).isoformat() if with_time else None,
            )
        )
        gold.append(f"{base_gold[i]}#r{r}")
        v = base_vecs[i] + nrng.normal(scale=noise, size=dim).astype(np.float32)
        if r:
            off = offsets.get((base_gold[i], r))
            if off is None:
                off = nrng.normal(size=dim).astype(np.float32)
                off *= 0.6 / np.linalg.norm(off)
                offsets[(base_gold[i], r)] = off
            v = v + off
        vecs[j] = v / np.linalg.norm(v)
    return arts, vecs, gold


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def run_bench(
    n: int = 100_000,
    seed: int = 0,
    embed_sample: int = 200,
    with_time: bool = True,
    pool: tuple[list[Article], np.ndarray, list[str]] | None = None,
) -> dict[str, Any]:
    from ..eval.cluster import bcubed
    from .online import OnlineClusterer

    t = time.perf_counter()
    arts, vecs, gold = build_stream(n, seed=seed, with_time=with_time, pool=pool)
    build_s = time.perf_counter() - t
    rss_before = _maxrss_mb()
    oc = OnlineClusterer()
    t = time.perf_counter()
    cpu = time.process_time()
    for a, v in zip(arts, vecs, strict=True):
        oc.add(a, v)
    cluster_s = time.perf_counter() - t
    cluster_cpu_s = time.process_time() - cpu
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    rss_peak = _maxrss_mb()
    pred = [oc.story_of(a.id) for a in arts]
    p, r, f = bcubed(gold, pred)
    t = time.perf_counter()
    state = oc.dumps()
    dump_s = time.perf_counter() - t
    result: dict[str, Any] = {
        "task": "bench_cluster",
        "articles": len(arts),
        "with_time": with_time,
        "stream_build_s": round(build_s, 1),
        "cluster_s": round(cluster_s, 2),
        "articles_per_s": round(len(arts) / cluster_s, 1),
        "cpu_articles_per_s": round(len(arts) / cluster_cpu_s, 1),  # per second of this process's CPU time
        "load_average_1m": round(load, 2) if load is not None else None,  # other jobs on the machine
        "peak_rss_mb": round(rss_peak, 1),
        "rss_before_clustering_mb": round(rss_before, 1),
        "stories": len(set(pred)),
        "gold_stories": len(set(gold)),
        "open_stories_at_end": oc.n_open,
        "index": oc._index.kind if oc._index is not None else None,
        "merges": len(oc.merges),
        "bcubed_p": round(p, 4),
        "bcubed_r": round(r, 4),
        "bcubed_f1": round(f, 4),
        "state_bytes": len(state),
        "dumps_s": round(dump_s, 2),
    }
    if embed_sample > 0:
        from ..embed import MiniLMEncoder
        from .features import embedding_text

        enc = MiniLMEncoder(precision=None)  # the precision setting, as ingest encodes
        sample = [embedding_text(a) for a in random.Random(seed).sample(arts, min(embed_sample, len(arts)))]
        enc.encode(sample[:8])  # warm up
        t = time.perf_counter()
        enc.encode(sample)
        emb_s = time.perf_counter() - t
        emb_rate = len(sample) / emb_s
        result["embed_sample"] = len(sample)
        result["embed_precision"] = enc.precision
        result["embed_articles_per_s"] = round(emb_rate, 1)
        result["end_to_end_articles_per_s"] = round(1.0 / (1.0 / emb_rate + cluster_s / len(arts)), 1)
    return result


def command(
    articles: int = typer.Option(100_000, "--articles", help="Stream length."),
    seed: int = typer.Option(0, "--seed"),
    embed_sample: int = typer.Option(200, "--embed-sample", help="Articles embedded to time MiniLM (0: skip)."),
    no_time: bool = typer.Option(False, "--no-time", help="Strip timestamps (nothing closes: stresses the index)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Time online clustering on a long real-shaped stream (precomputed vectors) and MiniLM embedding."""
    result = run_bench(articles, seed=seed, embed_sample=embed_sample, with_time=not no_time)
    if json_out:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"newsfuse bench cluster ({result['articles']} articles)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for k, v in result.items():
        if k != "task":
            table.add_row(k, str(v))
    Console().print(table)
