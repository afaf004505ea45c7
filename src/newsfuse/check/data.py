"""Readers for the shared evaluation and training sets (used by training and ``newsfuse eval check``).

Nothing here is imported by ``Checker``; the data sets live in ``../shared/data/raw`` next to the
repository (or wherever ``NEWSFUSE_SHARED`` points) and are read at run time, never copied.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "shared_root",
    "raw_root",
    "neus_crawl_path",
    "Pair",
    "read_items",
    "doc_key",
    "load_frank",
    "load_summac",
    "load_qags",
    "load_falke",
    "load_allsides_articles",
    "load_msrp_pairs",
    "background_texts",
    "reported_doc_keys",
    "fix_glued_sentences",
    "load_sts_news",
]


def shared_root() -> Path:
    env = os.environ.get("NEWSFUSE_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4] / "shared"


def raw_root() -> Path:
    return shared_root() / "data" / "raw"


def neus_crawl_path() -> Path:
    """The NeuS/AllSides crawl (one JSON object per story, the outlets' article bodies) in the shared data,
    found by the pattern of its file name (the folder holds one)."""
    folder = raw_root() / "neus_allsides"
    found = sorted(folder.glob("allsides_raw_crawled_*.jsonl"))
    return found[-1] if found else folder / "allsides_raw_crawled.jsonl"


@dataclass
class Pair:
    """A (document, summary, label) item; label 1 = consistent/supported, None = unknown."""

    doc: str
    summary: str
    label: int | None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def read_items(path: str | Path) -> list[dict[str, Any]]:
    """A JSON list, a JSON object of items (values), or JSON Lines."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8-sig") as fh:  # a byte-order mark is tolerated
        text = fh.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return list(json.loads(text))
    if stripped.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            vals = list(obj.values())
            if vals and all(isinstance(v, dict) for v in vals):
                return vals
            return [obj]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


_GLUED = re.compile(r"(?<=[a-z0-9)\"”’][.!?])(?=[A-Z][a-z])")


def fix_glued_sentences(text: str) -> str:
    """Put a space back where a data set glued sentences together ("(AP).Less than")."""
    return _GLUED.sub(" ", text)


def doc_key(text: str) -> str:
    """A key that finds the same news document across data sets (case, spacing and punctuation ignored)."""
    t = re.sub(r"[^a-z0-9]", "", text.lower())
    return t[50:250]


def load_frank(split: str | None = None) -> list[Pair]:
    path = raw_root() / "frank" / "frank_joined.jsonl"
    out = []
    for r in read_items(path):
        if split and r.get("split") != split:
            continue
        out.append(
            Pair(
                fix_glued_sentences(r["article"]),
                r["summary"],
                int(r["label_consistent"]),
                "frank",
                {"split": r["split"], "dataset": r["dataset"], "model": r["model_name"], "hash": r["hash"]},
            )
        )
    return out


def load_summac(name: str) -> list[Pair]:
    path = raw_root() / "summac_pr15_subsets" / f"{name}.json"
    return [
        Pair(fix_glued_sentences(x["document"]), x["claim"], int(x["label"]), f"summac_{name}", {})
        for x in read_items(path)
    ]


def load_qags() -> list[Pair]:
    """QAGS sentence-level items (majority of 3 votes); meta carries the document key."""
    out = []
    for sub in ("cnndm", "xsum"):
        for r in read_items(raw_root() / "qags" / f"mturk_{sub}.jsonl"):
            doc = fix_glued_sentences(r["article"])
            for s in r["summary_sentences"]:
                votes = [a["response"] for a in s["responses"]]
                yes = sum(1 for v in votes if v == "yes")
                out.append(Pair(doc, s["sentence"], int(yes * 2 > len(votes)), f"qags_{sub}", {}))
    return out


def load_falke() -> list[Pair]:
    out = []
    items = json.loads((raw_root() / "falke_correctness_sentence_pairs" / "val_sentence_pairs.json").read_text())
    for r in items:
        out.append(Pair(r["article_sent"], r["correct_sent"], 1, "falke", {"article_id": r["article_id"]}))
        out.append(Pair(r["article_sent"], r["incorrect_sent"], 0, "falke", {"article_id": r["article_id"]}))
    return out


def load_allsides_articles() -> list[dict[str, Any]]:
    """Full-body articles of the AllSides crawl: dicts with story, outlet, title, sentences (paragraphs)."""
    path = neus_crawl_path()
    out = []
    for r in read_items(path):
        for side, art in (r.get("news") or {}).items():
            body = [p.strip() for p in art.get("newBody") or [] if p and p.strip()]
            if len(body) < 3:
                continue
            out.append(
                {
                    "story": r["id"],
                    "outlet": art.get("newsSource") or side,
                    "title": art.get("newsTitle") or "",
                    "paragraphs": body,
                }
            )
    return out


def load_msrp_pairs(split: str = "train") -> list[tuple[int, str, str]]:
    path = raw_root() / "msrp" / f"msr_paraphrase_{split}.txt"
    out = []
    with open(path, encoding="utf-8-sig") as fh:
        rd = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rd)
        for row in rd:
            if len(row) >= 5:
                out.append((int(row[0]), row[3], row[4]))
    return out


def load_sts_news() -> list[tuple[float, str, str]]:
    """STS-B's news pairs as (similarity 0-5, sentence 1, sentence 2): the headlines and DEFT-news parts
    of its train, dev and test files. The MSRpar part is left out (it repeats MSRP sentences)."""
    out = []
    for split in ("train", "dev", "test"):
        path = raw_root() / "nli" / "paraphrase" / "stsbenchmark" / f"sts-{split}.csv"
        with open(path, encoding="utf-8") as fh:
            rows = [line.rstrip("\n").split("\t") for line in fh]
        for row in rows:
            if len(row) >= 7 and row[0] == "main-news" and row[1] != "MSRpar":
                out.append((float(row[4]), row[5].strip(), row[6].strip()))
    return out


def background_texts() -> Iterator[str]:
    """News prose for word statistics: AllSides bodies, NeuS train leads and the MSRP sentences."""
    for art in load_allsides_articles():
        yield from art["paragraphs"]
    src = raw_root() / "neus_allsides" / "train.source"
    for line in src.read_text(encoding="utf-8").splitlines():
        for part in line.split(" [SEP] "):
            yield re.sub(r"TITLE=>|ARTICLE=>", " ", part)
    with open(raw_root() / "msrp" / "msr_paraphrase_data.txt", encoding="utf-8-sig") as fh:
        rd = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rd)
        for row in rd:
            if len(row) > 1:
                yield row[1]


def reported_doc_keys() -> set[str]:
    """Document keys of every set we report on (FRANK test, the SummaC validation subsets)."""
    keys = {doc_key(p.doc) for p in load_frank("test")}
    for name in ("polytope", "factcc", "summeval", "xsumfaith"):
        keys |= {doc_key(p.doc) for p in load_summac(name)}
    return keys


class DiskCachedEncoder:
    """Wraps an encoder with a cache that persists to ``path`` (an ``.npz``), for training and evaluation runs."""

    def __init__(self, inner: Any, path: str | Path) -> None:
        import numpy as np

        self.inner = inner
        self.dim = inner.dim
        from newsfuse.embed import cache_file

        self.precision = getattr(inner, "precision", "fp32")
        self.path = cache_file(Path(path), self.precision)
        self._np = np
        self._cache: dict[str, Any] = {}
        self._dirty = False
        if self.path.is_file():
            z = np.load(self.path, allow_pickle=False)
            for k, v in zip(z["keys"], z["vecs"], strict=True):
                self._cache[str(k)] = v

    @staticmethod
    def key(text: str) -> str:
        import hashlib

        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: list[str]) -> Any:
        np = self._np
        keys = [self.key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._cache}
        if missing:
            vecs = self.inner.encode(list(missing.values()))
            for k, v in zip(missing, vecs, strict=True):
                self._cache[k] = v.astype(np.float16)
            self._dirty = True
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.stack([self._cache[k] for k in keys]).astype(np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out

    def save(self) -> None:
        if not self._dirty:
            return
        np = self._np
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache.keys()))
        vecs = np.stack(list(self._cache.values())) if self._cache else np.zeros((0, self.dim), np.float16)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs)
        tmp.replace(self.path)
        self._dirty = False
