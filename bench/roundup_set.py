"""Build a sentence-level consistency set from AllSides roundups, for ``newsfuse eval check``.

An AllSides "roundup" is an editor's multi-source summary of a story, written over the articles of
outlets from the left, the centre and the right: the kind of text newsfuse's briefs (and seed 001)
are. 275 roundup sentences of 81 stories (up to four per story, six words or more; the stories
drawn by a seeded shuffle of the crawl) were labelled by reading them against the article texts in
the crawl, which are often cut short: 1 when every checkable fact of the sentence is stated or
directly implied by the crawled titles and texts (facts may be combined across articles; framing
that adds no checkable fact is tolerated), 0 otherwise. 93 are supported and 182 not. They came in
three batches: 76 sentences (two of us labelled them independently and agreed on 73, Cohen's kappa
0.90), 92 (one labeller), and 107 from 30 further stories of the same shuffle (two other
labellers, independently: 104 of 107 agreed, kappa 0.94). Where two labellers disagreed, the
stricter label was kept. The labels are in ``bench/roundup_labels.json``, batch by batch in that
order, keyed by story id and the first 10 hex digits of the sentence's SHA-1 (the news text itself
is read from ``../shared/data/raw/neus_allsides`` and never committed).

A fourth batch, ``bench/roundup_labels_batch4.json``, is kept apart as an untouched test: 105
sentences of 30 further stories of the same shuffle, labelled in session 17 by two labellers
working independently (103 of 105 agreed, kappa 0.95; the stricter label kept) after the shipped
checker had scored them, with no choice depending on them. 26 are supported and 79 not.

Usage:
    python bench/roundup_set.py [--out data_local/roundup_check.jsonl] [--labels bench/roundup_labels_batch4.json]
    newsfuse eval check data_local/roundup_check.jsonl --json

Each line of the output is {"doc", "summary", "label", "story"}: the story's crawled articles (title
and text, one after another) and one roundup sentence. Caveat: the checker's synthetic training
claims are made from the same crawl's article bodies (not from the roundups), so the documents, but
not these sentences or their labels, were seen in training.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from newsfuse.check.data import raw_root
from newsfuse.check.retrieve import split_summary

HERE = Path(__file__).resolve().parent
CRAWL = "neus_allsides/allsides_raw_crawled_headline_11_2021-10-19.jsonl"


def sha(sentence: str) -> str:
    return hashlib.sha1(sentence.encode("utf-8")).hexdigest()[:10]


def build(labels: list[dict]) -> list[dict]:
    stories = {}
    for line in (raw_root() / CRAWL).open(encoding="utf-8"):
        r = json.loads(line)
        stories[r["id"]] = r
    out, missing = [], []
    for lab in labels:
        r = stories.get(lab["story"])
        if r is None:
            missing.append(lab["sha"])
            continue
        sents = {sha(s): s for s in split_summary(r["roundup"][0].replace("\xa0", " "))}
        if lab["sha"] not in sents:
            missing.append(lab["sha"])
            continue
        parts = []
        for a in r["news"].values():
            body = [p for p in (a.get("newBody") or []) if p.strip()]
            if body:
                parts.append("\n".join([(a.get("newsTitle") or "").strip(), *body]).strip())
        out.append({"doc": "\n\n".join(parts), "summary": sents[lab["sha"]], "label": lab["label"], "story": r["id"]})
    if missing:
        raise SystemExit(f"{len(missing)} labelled sentences not found (has the splitter changed?): {missing[:5]}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(HERE.parent / "data_local" / "roundup_check.jsonl"))
    ap.add_argument("--labels", default=str(HERE / "roundup_labels.json"), help="the labels file to build from")
    args = ap.parse_args()
    items = build(json.loads(Path(args.labels).read_text()))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items), encoding="utf-8")
    print(f"{len(items)} sentences ({sum(x['label'] for x in items)} supported) -> {out}")


if __name__ == "__main__":
    main()
