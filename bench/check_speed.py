"""Time ``Checker.check`` on a 5-sentence summary against 3 full articles, with the model loaded.

Usage: python bench/check_speed.py [--set frank|allsides] [--stories 20] [--threads N] [--weights PATH]
                                   [--precision auto|fp32|bf16]

``--set frank`` (default): three different CNN/DM articles of FRANK test (full bodies, about 700
words and 30-40 sentences each) and a 5-sentence summary made of the first sentences of FRANK
summaries of those articles. ``--set allsides``: the left, centre and right articles of an AllSides
story (the crawl keeps only the first paragraphs, about 90 words each) and the first 5 sentences of
its roundup. Texts are read from ../shared at run time only. No embedding cache: every call
encodes its source sentences from scratch. Reports the sizes, the first (cold) call and the median /
90th percentile / max of the warm calls, in seconds (sentences: as the checker splits them).
``--precision`` is the MiniLM inference precision (newsfuse.embed). The default is the ``precision``
setting, as ``newsfuse check`` uses it: ``NEWSFUSE_PRECISION``, else ``auto``, which means bf16 on a CPU
with hardware bfloat16 and fp32 elsewhere. The output says which ran.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["frank", "allsides"], default="frank")
    ap.add_argument("--stories", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)")
    ap.add_argument("--weights", default=None, help="checker.json to load (default: the shipped one)")
    ap.add_argument("--precision", default=None, help="fp32, bf16 or auto (default: the precision setting)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from newsfuse.check import Checker
    from newsfuse.check.retrieve import article_sentences

    cases = frank_cases(args.stories + 1) if args.set == "frank" else allsides_cases(args.stories + 1)
    t = time.perf_counter()
    checker = Checker.load(path=args.weights, precision=args.precision)
    load_s = time.perf_counter() - t
    times = []
    for summary, arts in cases:
        t = time.perf_counter()
        report = checker.check(summary, arts)
        times.append(time.perf_counter() - t)
        assert len(report.verdicts) == len(summary)
    warm = sorted(times[1:])
    out = {
        "set": args.set,
        "precision": checker.precision,
        "stories": len(warm),
        "source_words_median": statistics.median(sum(len(a.text.split()) for a in arts) for _, arts in cases),
        "source_sentences_median": statistics.median(sum(len(article_sentences(a)) for a in arts) for _, arts in cases),
        "load_s": round(load_s, 2),
        "first_call_s": round(times[0], 3),
        "warm_median_s": round(statistics.median(warm), 3),
        "warm_p90_s": round(warm[int(0.9 * (len(warm) - 1))], 3),
        "warm_max_s": round(warm[-1], 3),
    }
    print(json.dumps(out))


def frank_cases(n: int) -> list:
    from newsfuse.check.data import load_frank
    from newsfuse.check.retrieve import split_text
    from newsfuse.model import Article

    by_doc: dict[str, list] = {}
    for p in load_frank("test"):
        if p.meta["dataset"] == "cnndm":
            by_doc.setdefault(p.doc, []).append(p.summary)
    docs = sorted(by_doc, key=lambda d: by_doc[d][0])
    cases = []
    for i in range(0, min(len(docs) - 2, 3 * n), 3):
        group = docs[i : i + 3]
        arts = [Article(id=f"frank{i + j}", title="", text=d, outlet=f"outlet {j}") for j, d in enumerate(group)]
        sents: list[str] = []
        for d in group:
            sents += split_text(by_doc[d][0])[:2]
        cases.append((sents[:5], arts))
    return [c for c in cases if len(c[0]) == 5][:n]


def allsides_cases(n: int) -> list:
    from newsfuse.check.data import neus_crawl_path, read_items
    from newsfuse.check.retrieve import split_text
    from newsfuse.model import Article

    path = neus_crawl_path()
    cases = []
    for r in read_items(path):
        news = r.get("news") or {}
        if not all(news.get(k, {}).get("newBody") for k in ("left", "center", "right")):
            continue
        arts = [
            Article(
                id=f"{r['id']}:{k}",
                title=news[k].get("newsTitle") or "",
                text="\n".join(news[k]["newBody"]),
                outlet=news[k].get("newsSource") or k,
            )
            for k in ("left", "center", "right")
        ]
        roundup = r.get("roundup") or ""
        if isinstance(roundup, list):
            roundup = " ".join(roundup)
        sents = split_text(roundup)
        for a in arts:
            sents += split_text(a.text)[:2]
        cases.append((sents[:5], arts))
        if len(cases) >= n:
            break
    return cases


if __name__ == "__main__":
    main()
