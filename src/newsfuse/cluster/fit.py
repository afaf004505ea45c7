"""Fit the pair scorer (``scorer.json``) on labelled clusters.

Recipe (after Miranda et al. 2018): replay a labelled stream in which every article is put into its
*gold* story; at each arrival, the open stories the index would offer as candidates are scored with
``pair_features`` and labelled 1 if the candidate is the article's gold story, else 0. A logistic
regression is fitted on those pairs; the join threshold (then the merge threshold) is chosen by
running the real online clusterer on the training streams and keeping the value with the best mean
BCubed F1.

Sources (``--sources``, comma-separated; default ``ecb,allsides``):
  ``ecb``       ECB+ topics (``--ecb-topics``, default 1-22, replayed in 5 orders), each topic = two
                similar events: the hard case the scorer is for
  ``allsides``  the AllSides raw crawl (3 outlets per story, dated: the only source for the time
                weight), weighted ``--allsides-weight`` (0.25) against ECB+
  ``neus``      NeuS clusters (title + lead of 3 outlets); not in the default mix (it lowers ECB+ F1)

Usage::

    python -m newsfuse.cluster.fit                        # writes the shipped scorer.json (~1 min)
    python -m newsfuse.cluster.fit --out /tmp/scorer.json  # somewhere else
    python -m newsfuse.cluster.fit --cv                   # ECB+ odd/even-topic cross-validation report

The shipped weights are fitted on all of ECB+ topics 1-22, so ``newsfuse eval cluster`` on that set
is an in-sample figure; ``--cv`` gives the held-out one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import typer

from ..config import Settings
from ..model import Article
from .features import embedding_text, extract_signals
from .online import OnlineClusterer, _Story
from .scorer import WEIGHTS_PATH, Scorer, pair_features

__all__ = ["load_neus", "load_allsides", "load_ecb", "training_pairs", "fit_scorer", "tune_thresholds", "main"]

SHARED_RAW = Path(__file__).resolve().parents[4] / "shared" / "data" / "raw"


# -- data -----------------------------------------------------------------------------------------
def load_neus(split: str = "train", limit: int | None = None, seed: int = 0) -> tuple[list[Article], list[str]]:
    """NeuS clusters: one line per story, in the format ``newsfuse.eval.summarize`` reads (its parts are
    the outlets' articles; a part without a title and a text is skipped)."""
    from newsfuse.eval.summarize import NEUS_PART, NEUS_SEP

    path = SHARED_RAW / "neus_allsides" / f"{split}.source"
    lines = path.read_text(encoding="utf-8").splitlines()
    idx = list(range(len(lines)))
    if limit and limit < len(idx):
        idx = sorted(random.Random(seed).sample(idx, limit))
    arts: list[Article] = []
    gold: list[str] = []
    for i in idx:
        for j, part in enumerate(lines[i].split(NEUS_SEP)):
            m = NEUS_PART.match(part)
            if not m:
                continue
            title, body = m.group(1).strip().rstrip("."), m.group(2).strip()
            if not body and not title:
                continue
            arts.append(Article(id=f"neus-{split}-{i}-{j}", title=title, text=f"{title}. {body}", outlet=str(j)))
            gold.append(f"{split}-{i}")
    return arts, gold


def load_allsides(jitter_hours: float = 24.0, seed: int = 0) -> tuple[list[Article], list[str]]:
    """The AllSides raw crawl: each story's left/centre/right articles.

    The crawl dates the *story* (the roundup), not each article; outlets publish around it, so each
    article gets the story date plus a seeded uniform 0-``jitter_hours`` offset. Without it every
    same-story pair would have a zero time gap and the scorer would learn a far too sharp time rule.
    """
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    from newsfuse.check.data import neus_crawl_path

    path = neus_crawl_path()
    arts: list[Article] = []
    gold: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        for side, item in (d.get("news") or {}).items():
            if not item:
                continue
            title = (item.get("newsTitle") or "").strip()
            body = item.get("newBody") or []
            body = " ".join(body) if isinstance(body, list) else str(body)
            if not title and not body:
                continue
            arts.append(
                Article(
                    id=f"allsides-{d['id']}-{side}",
                    title=title,
                    text=f"{title}. {body}" if title else body,
                    outlet=str(item.get("newsSource") or side),
                    url=item.get("newsLink"),
                    published=_jitter(d.get("date"), rng.uniform(0, jitter_hours), datetime, timedelta),
                )
            )
            gold.append(f"allsides-{d['id']}")
    return arts, gold


def _jitter(date: str | None, hours: float, datetime: Any, timedelta: Any) -> str | None:
    if not date:
        return None
    try:
        return (datetime.fromisoformat(date) + timedelta(hours=hours)).isoformat()
    except ValueError:
        return None


def load_ecb(topics: set[int] | None = None) -> tuple[list[Article], list[str], list[int]]:
    from ..eval.cluster import DEFAULT_FILE, load_jsonl_docs

    arts, gold = load_jsonl_docs(DEFAULT_FILE)
    tops = [int(g.split("_")[0]) for g in gold]
    keep = [i for i, t in enumerate(tops) if topics is None or t in topics]
    return [arts[i] for i in keep], [gold[i] for i in keep], [tops[i] for i in keep]


def _parse_topics(spec: str) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


def _shuffle(arts: list[Article], gold: list[str], seed: int) -> tuple[list[Article], list[str]]:
    order = list(range(len(arts)))
    random.Random(seed).shuffle(order)
    return [arts[i] for i in order], [gold[i] for i in order]


def _sort_by_time(arts: list[Article], gold: list[str], seed: int) -> tuple[list[Article], list[str]]:
    """Shuffle, then stable-sort by published time (a realistic stream order for dated sources)."""
    from .features import parse_time

    arts, gold = _shuffle(arts, gold, seed)
    order = sorted(range(len(arts)), key=lambda i: parse_time(arts[i].published) or 0.0)
    return [arts[i] for i in order], [gold[i] for i in order]


# -- pairs ----------------------------------------------------------------------------------------
def training_pairs(
    articles: Sequence[Article],
    vectors: np.ndarray,
    gold: Sequence[str],
    settings: Settings | None = None,
    k: int = 12,
) -> tuple[np.ndarray, np.ndarray]:
    """(features, labels) from replaying the stream with gold assignments (see module docstring)."""
    oc = OnlineClusterer(settings, scorer=Scorer.default())
    gold_story: dict[str, _Story] = {}
    X: list[list[float]] = []
    y: list[int] = []
    for art, vec, g in zip(articles, vectors, gold, strict=True):
        vec = np.asarray(vec, dtype=np.float32)
        vec = vec / (np.linalg.norm(vec) or 1.0)
        if oc._index is None:
            from .index import StoryIndex

            oc._dim = int(vec.shape[0])
            oc._index = StoryIndex(oc._dim)
        sig = extract_signals(art)
        oc.observe(sig)
        prof = oc.profile(sig)
        if sig.time is not None and (oc._clock is None or sig.time > oc._clock):
            oc._clock = sig.time
            oc._close_quiet()
        target = gold_story.get(g)
        if target is not None and (target.status != "open" or not oc._in_window(prof.time, prof.time, target)):
            target = None  # the gold story closed: the article legitimately opens a new one
            del gold_story[g]
        seen = set()
        for key, _ in oc._index.search(vec, k):
            story = oc._stories[key]
            if not oc._in_window(prof.time, prof.time, story):
                continue
            seen.add(key)
            cos = float(story.centroid @ vec)  # type: ignore[operator]
            X.append(pair_features(cos, prof, story.profile(), oc.quiet_hours))
            y.append(int(story is target))
        if target is not None and target.key not in seen:
            cos = float(target.centroid @ vec)  # type: ignore[operator]
            X.append(pair_features(cos, prof, target.profile(), oc.quiet_hours))
            y.append(1)
        if target is None:
            target = _Story(len(oc._stories), f"g-{len(oc._stories)}")
            oc._stories.append(target)
            oc._by_sid[target.sid] = target
            gold_story[g] = target
        oc._join(target, art.id, vec, sig, prof)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)


def fit_scorer(X: np.ndarray, y: np.ndarray, c: float = 1.0, sample_weight: np.ndarray | None = None) -> Scorer:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit(X, y, sample_weight=sample_weight)
    return Scorer(weights=[float(w) for w in lr.coef_[0]], bias=float(lr.intercept_[0]))


def _cluster_f1(scorer: Scorer, articles, vectors, gold, settings=None) -> float:
    from ..eval.cluster import bcubed

    oc = OnlineClusterer(settings, scorer=scorer)
    for a, v in zip(articles, vectors, strict=True):
        oc.add(a, v)
    pred = [oc.story_of(a.id) for a in articles]
    return bcubed(gold, pred)[2]


def tune_thresholds(
    scorer: Scorer,
    streams: list[tuple[list[Article], np.ndarray, list[str]]],
    grid: Sequence[float] = tuple(round(0.05 + 0.025 * i, 3) for i in range(27)),
    merge_grid: Sequence[float] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01),
) -> tuple[Scorer, dict[str, Any]]:
    """Pick the join threshold, then the merge threshold, maximising the mean BCubed F1 of ``streams``."""
    table: dict[str, Any] = {"threshold": {}, "merge_threshold": {}}
    best_t, best_f = scorer.threshold, -1.0
    for t in grid:
        scorer.threshold, scorer.merge_threshold = t, 1.01
        f = float(np.mean([_cluster_f1(scorer, *s) for s in streams]))
        table["threshold"][t] = round(f, 4)
        if f > best_f + 1e-9:
            best_t, best_f = t, f
    scorer.threshold = best_t
    best_m, best_mf = 1.01, -1.0
    for m in merge_grid:
        scorer.merge_threshold = m
        f = float(np.mean([_cluster_f1(scorer, *s) for s in streams]))
        table["merge_threshold"][m] = round(f, 4)
        if f > best_mf + 1e-9:
            best_m, best_mf = m, f
    scorer.merge_threshold = best_m
    table["best_mean_bcubed_f1"] = round(best_mf, 4)
    return scorer, table


def _vectors(arts: list[Article]) -> np.ndarray:
    from ..eval.cluster import cached_encode

    return cached_encode([embedding_text(a) for a in arts], precision="fp32")  # the shipped scorer was fitted so


def build_streams(
    sources: Sequence[str],
    ecb_topics: set[int] | None,
    neus_limit: int | None,
    seed: int = 0,
    shuffles: int = 5,
) -> list[tuple[str, list[Article], np.ndarray, list[str]]]:
    """Labelled streams per source; ECB+ is small, so it is replayed in ``shuffles`` different orders."""
    streams = []
    for src in sources:
        if src == "neus":
            arts, gold = load_neus("train", limit=neus_limit, seed=seed)
            va, vg = load_neus("val")
            arts, gold = _shuffle(arts + va, gold + vg, seed)
        elif src == "allsides":
            arts, gold = _sort_by_time(*load_allsides(), seed)
        elif src == "ecb":
            base, bgold, _t = load_ecb(ecb_topics)
            vecs = _vectors(base)
            for k in range(shuffles):
                order = list(range(len(base)))
                random.Random(seed * 1000 + k).shuffle(order)
                streams.append((src, [base[i] for i in order], vecs[order], [bgold[i] for i in order]))
            continue
        else:
            raise typer.BadParameter(f"unknown source {src!r} (neus, allsides, ecb)")
        streams.append((src, arts, _vectors(arts), gold))
    return streams


def fit_from_streams(
    streams: list[tuple[str, list[Article], np.ndarray, list[str]]],
    c: float = 1.0,
    settings: Settings | None = None,
    tune_on: Sequence[str] | None = None,
    source_weights: dict[str, float] | None = None,
) -> tuple[Scorer, dict[str, Any]]:
    Xs, ys, ws = [], [], []
    counts: dict[str, int] = {}
    for name, arts, _v, _g in streams:
        counts[name] = counts.get(name, 0) + len(arts)
    for name, arts, vecs, gold in streams:
        X, y = training_pairs(arts, vecs, gold, settings)
        Xs.append(X)
        ys.append(y)
        # each source counts equally (times its weight), however many articles it has
        ws.append(np.full(len(y), (source_weights or {}).get(name, 1.0) / counts[name]))
    X, y, w = np.vstack(Xs), np.concatenate(ys), np.concatenate(ws)
    scorer = fit_scorer(X, y, c=c, sample_weight=w * len(w) / w.sum())
    chosen = [(a, v, g) for n, a, v, g in streams if tune_on is None or n in tune_on]
    scorer, table = tune_thresholds(scorer, chosen)
    info = {"pairs": int(len(y)), "positives": int(y.sum()), "tuning": table}
    return scorer, info


app = typer.Typer(add_completion=False)


@app.command()
def main(
    sources: str = typer.Option("ecb,allsides", help="Comma-separated: neus, allsides, ecb."),
    ecb_topics: str = typer.Option("1-22", help="ECB+ topics used for fitting (e.g. 1-11)."),
    neus_limit: int = typer.Option(1000, help="NeuS train stories sampled (plus all of val)."),
    c: float = typer.Option(1.0, help="Inverse L2 strength of the logistic regression."),
    allsides_weight: float = typer.Option(
        0.25,
        help="Weight of the AllSides pairs relative to ECB+ (the only source with dates: it fits the time weight).",
    ),
    out: Path = typer.Option(WEIGHTS_PATH, help="Where to write the weights."),
    cv: bool = typer.Option(False, help="Instead of writing weights: ECB+ two-fold leave-topics-out report."),
    seed: int = typer.Option(0),
) -> None:
    """Fit the pair scorer and write scorer.json (or, with --cv, report leave-topics-out ECB+ scores)."""
    names = [s.strip() for s in sources.split(",") if s.strip()]
    topics = _parse_topics(ecb_topics)
    weights = {"allsides": allsides_weight}
    if cv:
        _cross_validate(names, topics, neus_limit, c, seed, weights)
        return
    streams = build_streams(names, topics, neus_limit, seed)
    # thresholds: best mean BCubed F1 over the ECB+ and AllSides streams (NeuS only when alone)
    scorer, info = fit_from_streams(streams, c=c, tune_on=_tune_on(names), source_weights=weights)
    scorer.meta = {
        "fitted_on": {n: {"articles": len(a), "clusters": len(set(g))} for n, a, _v, g in streams},
        "ecb_topics": ecb_topics if "ecb" in names else None,
        "command": f"python -m newsfuse.cluster.fit --sources {sources} --ecb-topics {ecb_topics} "
        f"--neus-limit {neus_limit} --c {c} --allsides-weight {allsides_weight} --seed {seed}",
        **info,
    }
    scorer.save(out)
    typer.echo(json.dumps(scorer.to_dict(), indent=2))


def _tune_on(names: Sequence[str]) -> list[str] | None:
    chosen = [n for n in names if n in ("ecb", "allsides")]
    return chosen or None


def _stream_scores(scorer: Scorer, topics: set[int] | None, seeds: Sequence[int]) -> list[dict[str, float]]:
    from ..eval.cluster import bcubed

    base, bgold, _t = load_ecb(topics)
    out = []
    for s in seeds:
        arts, gold = _shuffle(base, bgold, s)
        oc = OnlineClusterer(scorer=scorer)
        for a, v in zip(arts, _vectors(arts), strict=True):
            oc.add(a, v)
        p, r, f = bcubed(gold, [oc.story_of(a.id) for a in arts])
        out.append({"seed": s, "bcubed_p": round(p, 4), "bcubed_r": round(r, 4), "bcubed_f1": round(f, 4)})
    return out


def _cross_validate(
    names: list[str], topics: set[int], neus_limit: int, c: float, seed: int, weights: dict[str, float]
) -> None:
    """Two folds of ECB+ topics (odd/even): fit on one, score the other (three stream orders each).

    Also scores the whole set as one stream with each fold's weights: half of its topics are then
    unseen, which is closer to the reported ``eval cluster`` figure than the small held-out streams.
    """
    all_topics = sorted(topics)
    folds = [set(all_topics[0::2]), set(all_topics[1::2])]
    others = [n for n in names if n != "ecb"]
    base = build_streams(others, None, neus_limit, seed) if others else []
    seeds = [seed, seed + 1, seed + 2]
    report = []
    for i, held in enumerate(folds):
        streams = list(base)
        if "ecb" in names:
            streams += build_streams(["ecb"], topics - held, neus_limit, seed)
        scorer, _info = fit_from_streams(streams, c=c, tune_on=_tune_on(names), source_weights=weights)
        held_scores = _stream_scores(scorer, held, seeds)
        all_scores = _stream_scores(scorer, topics, seeds)
        report.append(
            {
                "fold": i,
                "held_out_topics": sorted(held),
                "threshold": scorer.threshold,
                "merge_threshold": scorer.merge_threshold,
                "held_out_stream": held_scores,
                "all_topics_stream": all_scores,
            }
        )

    def mean(key: str) -> float:
        vals = [x["bcubed_f1"] for r in report for x in r[key]]
        return round(float(np.mean(vals)), 4)

    summary = {
        "held_out_mean_bcubed_f1": mean("held_out_stream"),
        "all_topics_mean_bcubed_f1": mean("all_topics_stream"),
    }
    typer.echo(json.dumps({"sources": names, "summary": summary, "folds": report}, indent=2))


if __name__ == "__main__":
    app()
