"""Time ``newsfuse ingest`` of a stream heavy with wire copies.

Usage: python bench/ingest_copies.py [--originals 600] [--seed 7]

The stream: the NeuS/AllSides validation articles of at least 60 words (read from ../shared at run
time; 512 of them), each as its own outlet's page, plus a copy of half of them as a wire service
would republish it (the same body and a one-line credit), shuffled together. It is written as JSON
Lines to a temporary folder and ingested by the ``newsfuse`` command into a fresh store, so the
figure includes starting Python and loading the encoder (about 5 s). Prints the item counts, the
seconds and the command's report line.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsfuse.check.data import raw_root

SOURCE = raw_root() / "neus_allsides" / "val.source"


def stream(originals: int, seed: int) -> tuple[list[dict], int]:
    arts = []
    for i, line in enumerate(SOURCE.open(encoding="utf-8")):
        for j, part in enumerate(line.split(" [SEP] ")):
            if "ARTICLE=>" not in part:
                continue
            title, body = part.split("ARTICLE=>", 1)
            if len(body.split()) < 60:
                continue
            arts.append(
                {
                    "url": f"https://outlet{j}.example/{i}",
                    "source": f"Outlet {j}",
                    "title": title.replace("TITLE=>", "").strip(),
                    "text": body.strip(),
                    "published": "2026-11-20T10:00:00+00:00",
                }
            )
    arts = arts[:originals]
    rng = random.Random(seed)
    copies = [
        dict(
            a,
            url=a["url"].replace("outlet", "wire"),
            source="Wire Copy",
            text=a["text"] + " Distributed by a wire service.",
        )
        for a in rng.sample(arts, len(arts) // 2)
    ]
    items = arts + copies
    rng.shuffle(items)
    return items, len(copies)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--originals", type=int, default=600)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if not SOURCE.is_file():
        print(f"needs {SOURCE} (the shared evaluation data)", file=sys.stderr)
        return 2
    items, n_copies = stream(args.originals, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.jsonl"
        path.write_text("".join(json.dumps(a) + "\n" for a in items), encoding="utf-8")
        t = time.perf_counter()
        done = subprocess.run(
            ["newsfuse", "--db", str(Path(tmp) / "bench.sqlite3"), "ingest", str(path)],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - t
    report = (done.stdout.strip().splitlines() or [done.stderr.strip()])[-1]
    print(f"{len(items)} items ({len(items) - n_copies} originals, {n_copies} wire copies): {seconds:.1f} s; {report}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
