"""Time the extraction of very large pages, made up here in three shapes of N repeated items.

Usage: python bench/extract_large.py [--items 5000 20000 200000] [--trafilatura]

Shapes: ``related`` (a short article of five paragraphs after a ``<div>`` with a list of N links, as on
a page with an endless "related" block), ``deep`` (the same with 400 unclosed ``<font>`` tags before an
article of 500 paragraphs, so that libxml2's first tree, cut 255 elements deep, ends before it), ``farm`` (N links and one short line: no article) and ``table``
(a table of N rows: no article). Each page is read with ``newsfuse.extract.html.extract_html``; a page with
more than ``MAX_ELEMENTS`` elements is read from its paragraphs (mode ``paragraphs``) instead of by
trafilatura. With ``--trafilatura`` the same pages are also read with the limit lifted, to show what it
saves: trafilatura's time grows with the tree, and a page with no article is read twice (precision, then
balanced mode). One small page is read first, untimed, to load the libraries.
"""

from __future__ import annotations

import argparse
import json
import time

import newsfuse.extract.html as H

PARAS = [
    "The county board voted on Tuesday to close the Mill Street bridge for repairs starting next month.",
    "Engineers found corrosion on two of the bridge's four steel girders during an inspection in March.",
    "The repairs are expected to take about eleven weeks and cost roughly 2.4 million dollars.",
    "A detour will send traffic along River Road, adding about six minutes to the crossing at rush hour.",
    "Board members said they would review the schedule again in June once a contractor has been chosen.",
]


def page(shape: str, n: int) -> str:
    links = "".join(f"<li><a href='/tag/{i}'>Tag number {i}</a></li>" for i in range(n))
    head = "<html><head><title>Bridge to close for repairs</title></head><body>"
    if shape == "related":
        body = "".join(f"<p>{p}</p>" for p in PARAS)
        return (
            f"{head}<div class='related'><ul>{links}</ul></div><article><h1>Bridge</h1>{body}</article></body></html>"
        )
    if shape == "deep":  # 500 paragraphs, each under the unclosed tags: a walk per paragraph would show here
        body = "".join(f"<p>{p}</p>" for p in PARAS * 100)
        return f"{head}<div class='related'><ul>{links}</ul></div>{'<font>' * 400}<h1>Bridge</h1>{body}</body></html>"
    if shape == "farm":
        return f"{head}<div><ul>{links}</ul></div><p>{PARAS[0]}</p></body></html>"
    rows = "".join(f"<tr><td>{i}</td><td>row {i}</td></tr>" for i in range(n))
    return f"{head}<table>{rows}</table></body></html>"


def timed(html: str) -> dict:
    t = time.perf_counter()
    try:
        r = H.extract_html(html)
        out = {"chars": len(r.text), "mode": r.mode}
    except ValueError as exc:
        out = {"error": str(exc)}
    out["seconds"] = round(time.perf_counter() - t, 3)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, nargs="+", default=[5000, 20000, 200000])
    ap.add_argument("--trafilatura", action="store_true", help="also time trafilatura with the limit lifted")
    args = ap.parse_args()
    limit = H.MAX_ELEMENTS
    H.extract_html(page("related", 10))
    for shape in ("related", "deep", "farm", "table"):
        for n in args.items:
            html = page(shape, n)
            row = {"shape": shape, "items": n, "megabytes": round(len(html.encode()) / 1e6, 2)}
            row["newsfuse"] = timed(html)
            if args.trafilatura:
                H.MAX_ELEMENTS = 10**12
                try:
                    row["without_limit"] = timed(html)
                finally:
                    H.MAX_ELEMENTS = limit
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
