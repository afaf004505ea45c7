"""Print the figure conflicts newsfuse's briefs find in real multi-outlet stories, for reading.

Usage: python bench/figure_conflicts.py [--stories 300] [--seed 3] [--only-one]

The stories are AllSides issues from the NeuS crawl (read from ../shared at run time): each has a left,
centre and right outlet's article, of which the crawl keeps the first paragraphs. Stories with at least
two articles of 40 words or more are shuffled with ``--seed`` and briefed (no claim checker: conflicts do
not depend on it). Every conflict is printed with its citations, then the counts. There is no gold
standard for conflicts, so precision is judged by reading the output (README gives our reading).

With ``--only-one`` it prints each brief's "Reported by one outlet only" list instead, for the same kind of
reading.
"""

from __future__ import annotations

import argparse
import json
import random
import sys

from newsfuse.check.data import neus_crawl_path

CRAWL = neus_crawl_path()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stories", type=int, default=300)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--only-one", action="store_true", help='print the "one outlet only" lists instead')
    args = ap.parse_args()
    if not CRAWL.is_file():
        print(f"needs {CRAWL} (the shared evaluation data)", file=sys.stderr)
        return 2
    from newsfuse.brief import build_brief
    from newsfuse.embed import get_encoder
    from newsfuse.model import Article

    rows = [json.loads(line) for line in CRAWL.open(encoding="utf-8")]
    random.Random(args.seed).shuffle(rows)
    encoder = get_encoder()
    stories = shown = 0
    for row in rows:
        arts = []
        for side, item in row["news"].items():
            body = "\n".join(item.get("newBody") or [])
            if len(body.split()) >= 40:
                outlet = item.get("newsSource") or side
                arts.append(
                    Article(id=f"{row['id']}-{side}", title=item.get("newsTitle", ""), text=body, outlet=outlet)
                )
        if len(arts) < 2:
            continue
        stories += 1
        brief = build_brief(str(row["id"]), arts, encoder=encoder)
        if args.only_one:
            print(f"[{row['id']}] {row.get('issue', '')}")
            for k in brief.only_one:
                print(f"      {k.citations[0].outlet}: {k.text[:220]}")
            shown += len(brief.only_one)
        else:
            for c in brief.figure_conflicts:
                print(f"[{row['id']}] {c.description}")
                for cite in c.citations:
                    print(f"      {cite.outlet}: {cite.text[:220]}")
            shown += len(brief.figure_conflicts)
        if stories >= args.stories:
            break
    print(f"{stories} stories, {shown} {'items reported by one outlet' if args.only_one else 'figure conflicts'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
