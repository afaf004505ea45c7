"""``newsfuse eval pairs``: does our same-story score track human judgements of article similarity?

Data: SemEval-2022 Task 8 (multilingual news article similarity) article pairs with text. Only the
original English pairs are kept: ``lang1 == lang2 == "en"`` and a ``pair_id`` without letters (ids
with a language suffix are machine-translated augmentations). The human ``Overall`` score runs from
1 (very similar) to 4 (very dissimilar), so we report Pearson's r between each system's score and
the *negated* Overall score: higher is better for every system.

Systems: ``newsfuse`` (the clusterer's learned pair probability, article vs article, averaged over
both directions, IDF from all texts in the evaluated files; ``pearson_logit`` is the same score on
the log-odds scale) and ``cosine`` (MiniLM cosine of the same embedded title + lead). The scorer is
fitted to say "same event or not", a sharper question than the graded similarity annotators gave.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import typer

from ..model import Article
from .cluster import SHARED, cached_encode

__all__ = ["command", "load_pairs", "pearson", "evaluate", "DEFAULT_FILES"]

_DIR = SHARED / "data" / "raw" / "semeval2022_task8_hfl_samples"
DEFAULT_FILES = [_DIR / "training_set.csv", _DIR / "testing_set.csv"]


def _article(pid: str, side: str, text: str) -> Article:
    text = text.strip()
    first, _, rest = text.partition("\n")
    if rest.strip():
        title = first.strip()
    else:
        m = re.match(r"(.{20,200}?[.!?])\s", text)
        title = m.group(1) if m else text[:120]
    return Article(id=f"{pid}:{side}", title=title, text=text, outlet=side)


def load_pairs(files: list[Path]) -> list[tuple[Article, Article, float]]:
    """(article 1, article 2, Overall) for the original en-en pairs of the given CSV files."""
    csv.field_size_limit(sys.maxsize)
    out: list[tuple[Article, Article, float]] = []
    seen: set[str] = set()
    for f in files:
        with open(f, encoding="utf-8-sig", newline="") as fh:  # a byte-order mark is tolerated
            head = fh.readline()
            fh.seek(0)
            delimiter = "\t" if head.count("\t") > head.count(",") else ","
            for row in csv.DictReader(fh, delimiter=delimiter):
                pid = str(row.get("pair_id", ""))
                if re.search(r"[A-Za-z]", pid) or pid in seen:
                    continue
                # the HFL layout names the languages lang1/lang2, the official one url1_lang/url2_lang
                langs = (row.get("lang1") or row.get("url1_lang"), row.get("lang2") or row.get("url2_lang"))
                if langs != ("en", "en"):
                    continue
                try:
                    overall = float(row["Overall"])
                except (KeyError, TypeError, ValueError):
                    continue
                text1, text2 = row.get("text1"), row.get("text2")
                if not text1 or not text2:
                    continue
                seen.add(pid)
                out.append((_article(pid, "1", text1), _article(pid, "2", text2), overall))
    return out


def pearson(x: list[float] | np.ndarray, y: list[float] | np.ndarray) -> float:
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def evaluate(files: list[Path], limit: int | None = None) -> dict[str, Any]:
    from ..cluster.features import embedding_text, extract_signals
    from ..cluster.online import OnlineClusterer

    pairs = load_pairs(files)
    if limit:
        pairs = pairs[:limit]
    if len(pairs) < 2:
        raise ValueError(
            f"{len(pairs)} usable pairs: the files need pair_id, lang1/lang2 (or url1_lang/url2_lang), "
            "text1, text2 and Overall columns, with en-en pairs"
        )
    arts = [a for p in pairs for a in p[:2]]
    vecs = cached_encode([embedding_text(a) for a in arts])
    oc = OnlineClusterer()
    for a in arts:
        oc.observe(extract_signals(a))
    ours: list[float] = []
    logits: list[float] = []
    cos: list[float] = []
    for i, (a, b, _o) in enumerate(pairs):
        va, vb = vecs[2 * i], vecs[2 * i + 1]
        p = min(max(oc.pair_probability(a, va, b, vb), 1e-9), 1 - 1e-9)
        ours.append(p)
        logits.append(math.log(p / (1 - p)))
        cos.append(float(va @ vb))
    sim = [-o for _a, _b, o in pairs]
    n = len(pairs)
    return {
        "task": "pairs",
        "dataset": ",".join(Path(f).stem for f in files),
        "n": n,
        "target": "negated Overall (1 = very similar ... 4 = dissimilar), so higher r is better",
        "systems": {
            "newsfuse": {
                "pearson": round(pearson(ours, sim), 4),
                "pearson_logit": round(pearson(logits, sim), 4),
            },
            "cosine": {"pearson": round(pearson(cos, sim), 4)},
        },
    }


def command(
    files: list[Path] = typer.Argument(None, help="SemEval-2022 Task 8 CSV file(s); default: both shared files."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    limit: int | None = typer.Option(None, "--limit", help="Only the first N pairs (smoke tests)."),
) -> None:
    """Pearson correlation of the learned same-story score with human article-similarity judgements."""
    files = list(files) if files else DEFAULT_FILES
    for f in files:
        if not Path(f).is_file():
            raise typer.BadParameter(f"no such file: {f}")
    try:
        result = evaluate([Path(f) for f in files], limit=limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if json_out:
        typer.echo(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"SemEval-2022 Task 8 en-en pairs (n={result['n']}); r against similarity (-Overall)")
    table.add_column("system")
    table.add_column("pearson", justify="right")
    for name, m in result["systems"].items():
        table.add_row(name, f"{m['pearson']:.3f}")
    Console().print(table)
