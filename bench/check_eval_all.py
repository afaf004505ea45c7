"""Run ``newsfuse eval check`` on every reported set (FRANK test, the SummaC validation subsets).

Usage: python bench/check_eval_all.py [--weights PATH] [--out results.json] [--sets frank,polytope,...]

``--sets frank_valid`` scores FRANK valid, the selection set. It is not a reported set: the
checker's summary model and thresholds were fitted on it and 424 of its 671 summaries train the
sentence model, so its figures are in-sample (the out-of-fold FRANK valid figures are in the
training log and in ``checker.json`` under ``training.frank_valid_oof``).
``--sets roundup`` scores the 275 hand-labelled AllSides roundup sentences (``bench/roundup_set.py``):
human multi-source summaries, the style of newsfuse's own briefs. It is not in the default list, so
the issue's five reported sets stay what a plain run prints. ``--sets roundup4`` scores the fourth
batch (105 sentences, ``bench/roundup_labels_batch4.json``), kept apart as an untouched test.
Sentence embeddings are cached in data_local/check/emb_cache.npz (``emb_cache.bf16.npz`` for bf16
vectors), so reruns are quick. ``--precision`` defaults to the ``precision`` setting
(``NEWSFUSE_PRECISION``, else ``auto``: bf16 on a CPU with hardware bfloat16). The reported tables are
fp32 figures: ``--precision fp32`` reproduces them on any CPU (see newsfuse.embed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from newsfuse.check import Checker
from newsfuse.check.data import DiskCachedEncoder, raw_root
from newsfuse.embed import get_encoder
from newsfuse.eval.check import evaluate, load_pairs

ROOT = Path(__file__).resolve().parents[1]


def roundup_pairs(labels_file: str = "roundup_labels.json") -> list:
    """The hand-labelled roundup sentences (see bench/roundup_set.py) as checker pairs, read as
    ``newsfuse eval check`` reads the file that script writes."""
    import sys

    from newsfuse.eval.check import pairs_from_items

    sys.path.insert(0, str(ROOT / "bench"))
    from roundup_set import build

    labels = json.loads((ROOT / "bench" / labels_file).read_text())
    return pairs_from_items(build(labels), "roundup")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--sets", default="frank,polytope,factcc,summeval,xsumfaith")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--precision", default=None, help="fp32, bf16 or auto (default: the precision setting)")
    ap.add_argument("--scores", default=None, help="write each set's newsfuse scores to this JSON file")
    args = ap.parse_args()
    enc = DiskCachedEncoder(get_encoder(precision=args.precision), ROOT / "data_local" / "check" / "emb_cache.npz")
    checker = Checker.load(path=args.weights, encoder=enc)
    files = {
        "frank": (raw_root() / "frank" / "frank_joined.jsonl", "test"),
        "frank_valid": (raw_root() / "frank" / "frank_joined.jsonl", "valid"),
        **{
            n: (raw_root() / "summac_pr15_subsets" / f"{n}.json", None)
            for n in ("polytope", "factcc", "summeval", "xsumfaith")
        },
    }
    results = {}
    all_scores: dict[str, list[float]] = {}
    for name in args.sets.split(","):
        if name == "roundup":
            pairs = roundup_pairs()
        elif name == "roundup4":
            pairs = roundup_pairs("roundup_labels_batch4.json")
        else:
            path, split = files[name]
            pairs = load_pairs(path, split=split)
        t = time.time()
        scores: dict = {}
        systems = evaluate(pairs, checker, enc, baselines=not args.no_baselines, scores=scores)
        all_scores[name] = scores["newsfuse"]
        enc.save()
        results[name] = {"n": len(pairs), "systems": systems}
        row = "  ".join(f"{k}={v['balanced_accuracy']:.3f}/{v['roc_auc']}" for k, v in systems.items())
        print(f"{name:10s} n={len(pairs):5d} {time.time() - t:5.0f}s  {row}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    if args.scores:
        Path(args.scores).write_text(json.dumps(all_scores))


if __name__ == "__main__":
    main()
