"""``newsfuse eval extract``: article-body extraction on the Scrapinghub article-extraction benchmark.

Data layout (``DIR``): ``html/<id>.html.gz`` (UTF-8 pages) and ``ground-truth.json`` =
``{id: {"articleBody": ..., "url": ...}}``.

Systems, run in the same process on the same pages:

* ``newsfuse``: :func:`newsfuse.extract.extract_article` on ``RawDocument(kind="html", payload=<page
  bytes>, url=<page url>)``; the whole stage is timed (decoding, metadata, extraction, cleaning, language
  detection, ids). A page it rejects with ``ExtractError`` counts as an empty prediction.
* ``trafilatura``: ``trafilatura.extract(html, include_comments=False)``, exactly as the benchmark's own
  ``extractors/run_trafilatura.py`` calls it (the configuration behind its published 0.958).
* ``trafilatura_defaults``: ``trafilatura.extract(html)`` with every default (comments included).
* with ``--variants``: trafilatura with ``favor_precision``, ``favor_recall``, ``fast``, ``include_tables=False``
  and ``deduplicate`` (each without comments), and ablations of newsfuse's html path
  (``newsfuse_balanced``: balanced mode instead of precision; ``newsfuse_no_fallback``; ``newsfuse_no_polish``:
  no headline-echo removal and no cleaning rules). The ablations call ``extract_html`` directly, without the
  article-level checks (minimum length, non-article pages).

Metrics, as the benchmark's ``evaluate.py`` defines them:

* text is tokenised with the regex ``\\w+`` (Unicode), and compared as multisets of *shingles*: runs of 4
  consecutive tokens (a text of fewer than 4 tokens is one shingle);
* per page, TP = shingles in common (multiset minimum), FP = predicted extra, FN = missed, then
  precision = TP / (TP + FP) and recall = TP / (TP + FN) (both 1 when FP = FN = 0);
* ``precision`` is the mean over pages with a non-empty prediction, ``recall`` the mean over pages with a
  non-empty truth, and ``f1`` the harmonic mean of those two means (not a mean of per-page F1s).

Also reported: ``token_precision`` / ``token_recall`` / ``token_f1`` (the same with single tokens instead of
4-token shingles: a bag-of-words view), ``accuracy`` (token sequence identical to the truth), ``empty``
(fraction of pages with no output), ``pages_per_s`` and, for newsfuse, ``speed_vs_trafilatura`` (its
pages/s over trafilatura's). Timing: each page is run by every system in
turn (the order rotates per page) after one untimed warm-up page, so a busy machine slows all systems alike.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from . import split_info

__all__ = ["command", "evaluate", "page_counts", "aggregate", "load_benchmark", "DEFAULT_DIR"]

SHARED = Path(__file__).resolve().parents[4] / "shared"
DEFAULT_DIR = SHARED / "data" / "raw" / "scrapinghub_article_extraction_benchmark"
DATASET = "scrapinghub_article_extraction_benchmark"
_TOKEN = re.compile(r"\w+", re.UNICODE)


# -- metric ---------------------------------------------------------------------------------------
def _shingles(text: str, n: int) -> Counter:
    tokens = _TOKEN.findall(text or "")
    if n == 1:
        return Counter((t,) for t in tokens)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(true: str, pred: str, n: int = 4) -> tuple[int, int, int]:
    """(TP, FP, FN) of one page over n-token shingles."""
    t, p = _shingles(true, n), _shingles(pred, n)
    tp = sum((t & p).values())
    return tp, sum(p.values()) - tp, sum(t.values()) - tp


def aggregate(counts: list[tuple[int, int, int]]) -> dict[str, float]:
    """Mean precision over pages with a prediction, mean recall over pages with a truth, F1 of the means."""

    def score(tp: int, other: int, fp: int, fn: int) -> float:
        if fp == fn == 0:
            return 1.0
        return tp / (tp + other) if tp + other else 0.0

    precisions = [score(tp, fp, fp, fn) for tp, fp, fn in counts if tp + fp > 0]
    recalls = [score(tp, fn, fp, fn) for tp, fp, fn in counts if tp + fn > 0]
    p = statistics.fmean(precisions) if precisions else 0.0
    r = statistics.fmean(recalls) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


# -- data -----------------------------------------------------------------------------------------
def load_benchmark(directory: Path, limit: int | None = None) -> list[tuple[str, bytes, dict[str, Any]]]:
    """``[(page id, html bytes, truth)]`` in sorted id order (the first ``limit`` pages)."""
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8-sig"))
    pages = []
    missing = 0
    no_body = 0
    for key in sorted(truth):
        if not isinstance(truth[key], dict) or not isinstance(truth[key].get("articleBody"), str):
            no_body += 1  # no gold text to score against
            continue
        packed, plain = directory / "html" / f"{key}.html.gz", directory / "html" / f"{key}.html"
        if packed.is_file():
            pages.append((key, gzip.decompress(packed.read_bytes()), truth[key]))
        elif plain.is_file():
            pages.append((key, plain.read_bytes(), truth[key]))
        else:
            missing += 1
        if limit is not None and len(pages) >= limit:
            break
    if missing or no_body:
        print(
            f"left out {missing} truth entries with no html/<id>.html(.gz) page and {no_body} with no articleBody",
            file=sys.stderr,
        )
    return pages


# -- systems --------------------------------------------------------------------------------------
def _newsfuse_system() -> Callable[[bytes, str, str | None], str]:
    from newsfuse.config import Settings
    from newsfuse.extract import ExtractError, extract_article
    from newsfuse.model import RawDocument

    settings = Settings()

    def run(payload: bytes, _html: str, url: str | None) -> str:
        raw = RawDocument(kind="html", location=url or "eval:page", payload=payload, url=url)
        try:
            return extract_article(raw, settings).text
        except ExtractError:
            return ""

    return run


def _trafilatura_system(**options: Any) -> Callable[[bytes, str, str | None], str]:
    import trafilatura

    def run(_payload: bytes, html: str, _url: str | None) -> str:
        return trafilatura.extract(html, **options) or ""

    return run


def _newsfuse_part(**switches: bool) -> Callable[[bytes, str, str | None], str]:
    """The html path of newsfuse with parts switched off (ablation; no article-level checks)."""
    from newsfuse.extract.encoding import decode_payload
    from newsfuse.extract.html import extract_html

    def run(payload: bytes, _html: str, url: str | None) -> str:
        try:
            return extract_html(decode_payload(payload, html=True), url, **switches).text
        except ValueError:
            return ""

    return run


VARIANTS: dict[str, Callable[[], Callable[[bytes, str, str | None], str]]] = {
    "trafilatura_precision": lambda: _trafilatura_system(include_comments=False, favor_precision=True),
    "trafilatura_recall": lambda: _trafilatura_system(include_comments=False, favor_recall=True),
    "trafilatura_fast": lambda: _trafilatura_system(include_comments=False, fast=True),
    "trafilatura_no_tables": lambda: _trafilatura_system(include_comments=False, include_tables=False),
    "trafilatura_dedup": lambda: _trafilatura_system(include_comments=False, deduplicate=True),
    "newsfuse_balanced": lambda: _newsfuse_part(precision=False),
    "newsfuse_no_fallback": lambda: _newsfuse_part(fallback=False),
    "newsfuse_no_polish": lambda: _newsfuse_part(polish=False),
}


def evaluate(directory: Path = DEFAULT_DIR, limit: int | None = None, variants: bool = False) -> dict[str, Any]:
    """Run all systems on the benchmark pages and score them (``variants``: also the ablations)."""
    pages = load_benchmark(directory, limit)
    if not pages:
        raise ValueError(f"no pages under {directory}")
    htmls = [payload.decode("utf-8", errors="replace") for _k, payload, _t in pages]
    systems: dict[str, Callable[[bytes, str, str | None], str]] = {
        "newsfuse": _newsfuse_system(),
        "trafilatura": _trafilatura_system(include_comments=False),
        "trafilatura_defaults": _trafilatura_system(),
    }
    if variants:
        systems.update({name: make() for name, make in VARIANTS.items()})
    names = list(systems)
    # warm-up (imports, model loads, caches): one page per system, not timed
    for name in names:
        systems[name](pages[0][1], htmls[0], pages[0][2].get("url"))
    seconds = dict.fromkeys(names, 0.0)
    outputs: dict[str, list[str]] = {name: [] for name in names}
    for i, ((_key, payload, truth), html) in enumerate(zip(pages, htmls, strict=True)):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            start = time.perf_counter()
            out = systems[name](payload, html, truth.get("url"))
            seconds[name] += time.perf_counter() - start
            outputs[name].append(out)
    dataset = DATASET if directory == DEFAULT_DIR else directory.name
    result: dict[str, Any] = {"task": "extract", "dataset": dataset, "n": len(pages), "systems": {}}
    for name in names:
        preds = outputs[name]
        truths = [str(t.get("articleBody") or "") for _k, _p, t in pages]
        shingle = aggregate([page_counts(t, p, 4) for t, p in zip(truths, preds, strict=True)])
        token = aggregate([page_counts(t, p, 1) for t, p in zip(truths, preds, strict=True)])
        exact = [float(_TOKEN.findall(t) == _TOKEN.findall(p)) for t, p in zip(truths, preds, strict=True)]
        result["systems"][name] = {
            **shingle,
            "token_precision": token["precision"],
            "token_recall": token["recall"],
            "token_f1": token["f1"],
            "accuracy": statistics.fmean(exact),
            "empty": sum(1 for p in preds if not p.strip()) / len(preds),
            "pages_per_s": round(len(pages) / seconds[name], 2) if seconds[name] > 0 else 0.0,
        }
    base = result["systems"]["trafilatura"]["pages_per_s"]
    ours = result["systems"]["newsfuse"]
    ours["speed_vs_trafilatura"] = round(ours["pages_per_s"] / base, 3) if base else 0.0
    result["systems"], result["info"] = split_info(result["systems"], ("pages_per_s", "speed_vs_trafilatura"))
    return result


def command(
    directory: Path = typer.Argument(DEFAULT_DIR, help="Benchmark folder: html/*.html.gz + ground-truth.json."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N pages (sorted by id)."),
    variants: bool = typer.Option(False, "--variants", help="Also run trafilatura options and newsfuse ablations."),
) -> None:
    """Score article-body extraction (shingle precision/recall/F1, pages/s) for newsfuse and trafilatura."""
    directory = Path(directory)
    if not (directory / "ground-truth.json").is_file():
        raise typer.BadParameter(f"no ground-truth.json under {directory}")
    result = evaluate(directory, limit=limit, variants=variants)
    if json_out:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    table = Table(title=f"article extraction: {directory.name} (n={result['n']})")
    cols = ["precision", "recall", "f1", "token_f1", "accuracy", "empty", "pages_per_s"]
    table.add_column("system", no_wrap=True)
    for col in cols:
        table.add_column(col, justify="right")
    for name, metrics in result["systems"].items():
        metrics = {**metrics, **result["info"].get(name, {})}
        table.add_row(name, *(f"{metrics[c]:.1f}" if c == "pages_per_s" else f"{metrics[c]:.4f}" for c in cols))
    console.print(table)
    console.print(f"newsfuse speed / trafilatura speed: {result['info']['newsfuse']['speed_vs_trafilatura']}")
