"""``newsfuse eval summarize``: ROUGE of newsfuse briefs on NeuS (AllSides) against extractive peers.

Each NeuS line is one story: three outlets' title + lead joined by `` [SEP] ``, each part
``TITLE=> ... ARTICLE=> ...``; the target line has the same shape (the neutral AllSides
roundup and its title). Systems (all computed in the same run, on the same sentence split):

* ``newsfuse``: the brief's synthesis (``--sentences``, default 3) and headline;
* ``lead3``: the first three sentences of the most central article (MiniLM);
* ``first_sentences``: the first sentence of each article;
* ``lexrank`` / ``textrank``: sumy, with our own sentence/word tokenizer (NLTK punkt is not available offline);
* ``centroid_minilm``: the sentences closest to the MiniLM centroid of all sentences;
* ``oracle``: greedy extractive oracle (<= 3 sentences maximising ROUGE-2 against the reference; an upper bound);
* ``central_title``: headline peer, the title of the most central article.

ROUGE-1/2/L F1 from rouge-score with the Porter stemmer, one sentence per line, macro-averaged.
The briefs are built as the pipeline builds them, with the shipped claim checker (a sentence repaired
to stand alone is published only when it passes); ``--no-check`` leaves it out (no repairs).
``--bench`` times ``build_brief`` on a 10-article story instead (the models loaded beforehand).
"""

from __future__ import annotations

import json
import pickle
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

__all__ = ["command", "load_neus", "neus_articles", "rouge_scores", "DiskCachedEncoder", "NEUS_SEP", "NEUS_PART"]

DEFAULT_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "raw" / "neus_allsides"
CACHE = Path(__file__).resolve().parents[3] / "data_local" / "brief" / "embeddings.pkl"


# the NeuS line format: a story's parts joined by NEUS_SEP, each part a title and a text after their markers
NEUS_SEP = " [SEP] "
NEUS_PART = re.compile(r"\s*TITLE=>\s*(.*?)\s*ARTICLE=>\s*(.*)$", re.S)


def _parse_part(part: str) -> tuple[str, str]:
    m = NEUS_PART.match(part)
    if not m:
        return "", part.strip()
    return m.group(1).strip(), m.group(2).strip()


def load_neus(
    source: Path, target: Path, limit: int | None = None
) -> list[tuple[list[tuple[str, str]], tuple[str, str]]]:
    """[(articles as (title, text), (reference title, reference text))], line-aligned."""
    src, tgt = _lines(source), _lines(target)
    if len(src) != len(tgt):
        raise typer.BadParameter(f"{source} has {len(src)} lines but {target} has {len(tgt)}")
    out = []
    blank = 0
    for s, t in zip(src, tgt, strict=True):
        parts = [_parse_part(p) for p in s.split(NEUS_SEP) if p.strip()]
        parts = [(title, text) for title, text in parts if text or title]
        if not parts or not t.strip():  # a story with no article or no reference cannot be scored
            blank += 1
            continue
        out.append((parts, _parse_part(t)))
        if limit and len(out) >= limit:
            break
    if blank:
        print(f"left out {blank} line(s) with no article or no reference summary", file=sys.stderr)
    return out


def _lines(path: Path) -> list[str]:
    """A line-aligned file's lines: split at line ends only (not at U+2028 or U+0085, which
    ``str.splitlines`` also takes), with a byte-order mark and the blank lines at the end dropped."""
    lines = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def neus_articles(parts: list[tuple[str, str]], prefix: str) -> list:
    """One story's (title, text) parts as ``Article`` objects, ids ``{prefix}-{i}``, outlets ``source-{i + 1}``."""
    from newsfuse.model import Article

    return [Article(id=f"{prefix}-{i}", title=t, text=x, outlet=f"source-{i + 1}") for i, (t, x) in enumerate(parts)]


class DiskCachedEncoder:
    """Wraps an encoder with a pickle cache on disk (text -> vector), for repeated evaluation runs."""

    def __init__(self, inner, path: Path = CACHE) -> None:  # noqa: ANN001
        self.inner = inner
        self.dim = inner.dim
        from newsfuse.embed import cache_file

        self.precision = getattr(inner, "precision", "fp32")
        self.path = cache_file(path, self.precision)
        self._cache: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path.is_file():
            try:
                self._cache = pickle.loads(self.path.read_bytes())
            except Exception:  # noqa: BLE001 - a broken cache is rebuilt
                self._cache = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vecs = self.inner.encode(missing)
            self._cache.update(zip(missing, vecs, strict=True))
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(self._cache, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(self.path)
            self._dirty = False


def rouge_scores(scorer, reference: str, sentences: list[str]) -> dict[str, float]:  # noqa: ANN001
    pred = "\n".join(s.strip() for s in sentences if s.strip())
    sc = scorer.score(reference, pred)
    return {"rouge1": sc["rouge1"].fmeasure, "rouge2": sc["rouge2"].fmeasure, "rouge_l": sc["rougeL"].fmeasure}


class _Tokenizer:
    """What sumy's PlaintextParser needs, without NLTK punkt."""

    def __init__(self) -> None:
        from newsfuse.brief.sentences import sentence_spans

        self._spans = sentence_spans

    def to_sentences(self, text: str) -> list[str]:
        return [text[s:e] for s, e in self._spans(text)]

    @staticmethod
    def to_words(sentence: str) -> list[str]:
        return re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", sentence)


def _sumy(kind: str, sentences: list[str], k: int) -> list[str]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser

    if kind == "lexrank":
        from sumy.summarizers.lex_rank import LexRankSummarizer as Summ
    else:
        from sumy.summarizers.text_rank import TextRankSummarizer as Summ
    tok = _Tokenizer()
    parser = PlaintextParser.from_string("\n".join(sentences), tok)
    summ = Summ(Stemmer("english"))
    try:
        from sumy.utils import get_stop_words

        summ.stop_words = get_stop_words("english")
    except Exception:  # noqa: BLE001 - stop words are optional
        pass
    picked = summ(parser.document, k)
    return [str(s) for s in picked]


def _oracle(scorer, reference: str, sentences: list[str], k: int = 3) -> list[str]:  # noqa: ANN001
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < k:
        cand = None
        for i in range(len(sentences)):
            if i in chosen:
                continue
            trial = sorted([*chosen, i])
            r2 = scorer.score(reference, "\n".join(sentences[j] for j in trial))["rouge2"].fmeasure
            if r2 > best + 1e-9:
                best, cand = r2, i
        if cand is None:
            break
        chosen.append(cand)
    return [sentences[j] for j in sorted(chosen)]


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = rows[0].keys() if rows else []
    return {k: round(float(np.mean([r[k] for r in rows])), 4) for k in keys}


def evaluate(
    source: Path,
    target: Path,
    sentences: int = 3,
    limit: int | None = None,
    encoder=None,  # noqa: ANN001
    checker=None,  # noqa: ANN001
    use_checker: bool = True,
) -> dict:
    """ROUGE of the synthesis and headline of every story, beside the peers and the oracle.

    As in the pipeline, the brief gets the shipped claim checker (``checker``, loaded when None), so a
    repaired sentence is published only when the checker supports it; ``use_checker=False`` builds the
    briefs without one (no repairs)."""
    from rouge_score import rouge_scorer

    from newsfuse.brief import build_brief
    from newsfuse.brief.sentences import split_sentences
    from newsfuse.config import Settings

    if encoder is None:
        from newsfuse.embed import get_encoder

        encoder = DiskCachedEncoder(get_encoder())
    if not use_checker:
        checker = None
    elif checker is None:
        from newsfuse.check import Checker

        checker = Checker.load(encoder=encoder)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    data = load_neus(source, target, limit)
    settings = Settings(synthesis_sentences=sentences, key_points=max(3, min(5, sentences)))
    rows: dict[str, list[dict[str, float]]] = {}
    heads: dict[str, list[dict[str, float]]] = {}

    def add(system: str, ref: str, sents: list[str], table: dict) -> None:
        table.setdefault(system, []).append(rouge_scores(scorer, ref, sents))

    for n, (parts, (ref_title, ref_text)) in enumerate(data):
        arts = neus_articles(parts, f"neus-{n}")
        brief = build_brief(f"neus-{n}", arts, encoder=encoder, settings=settings, checker=checker)
        add("newsfuse", ref_text, [s.text for s in brief.synthesis], rows)
        add("newsfuse", ref_title, [brief.headline], heads)

        per_art = [[s.text for s in split_sentences(a)] for a in arts]
        all_sents = [s for ss in per_art for s in ss]
        avec = encoder.encode([f"{a.title}. {a.text}" for a in arts])
        cent = avec.mean(0)
        central = int(np.argmax(avec @ cent))
        add("lead3", ref_text, per_art[central][:3], rows)
        add("first_sentences", ref_text, [ss[0] for ss in per_art if ss], rows)
        add("lexrank", ref_text, _sumy("lexrank", all_sents, sentences), rows)
        add("textrank", ref_text, _sumy("textrank", all_sents, sentences), rows)
        svec = encoder.encode(all_sents) if all_sents else np.zeros((0, encoder.dim))
        if len(all_sents):
            c = svec.mean(0)
            c /= np.linalg.norm(c) + 1e-9
            top = sorted(np.argsort(-(svec @ c))[:sentences])
            add("centroid_minilm", ref_text, [all_sents[i] for i in top], rows)
        else:
            add("centroid_minilm", ref_text, [], rows)
        add("oracle", ref_text, _oracle(scorer, ref_text, all_sents, sentences), rows)
        add("central_title", ref_title, [arts[central].title], heads)
    if hasattr(encoder, "save"):
        encoder.save()
    systems: dict[str, dict[str, float]] = {}
    for name, r in rows.items():
        systems[name] = _mean(r)
    for name, r in heads.items():
        systems.setdefault(name, {}).update({f"headline_{k}": v for k, v in _mean(r).items()})
    return {"task": "summarize", "dataset": f"neus_allsides/{source.stem}", "n": len(data), "systems": systems}


def _bench_articles() -> list:
    """A 10-article story for timing: the three seed articles plus seven AllSides stories' bodies."""
    from newsfuse.model import Article

    shared = Path(__file__).resolve().parents[3].parent / "shared"
    arts = []
    for p in sorted((shared / "seeds").glob("*.txt")):
        arts.append(Article(id=p.stem, title="", text=p.read_text(encoding="utf-8"), outlet=p.stem[:3]))
    from newsfuse.check.data import neus_crawl_path

    raw = neus_crawl_path()
    with raw.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            bodies = [row["news"][s] for s in ("left", "center", "right") if s in row["news"]]
            text = "\n".join(p for b in bodies for p in b.get("newBody") or [])
            title = bodies[0].get("newsTitle", "") if bodies else ""
            if len(text.split()) > 250:
                arts.append(Article(id=str(row["id"]), title=title, text=text, outlet=f"raw-{len(arts)}"))
            if len(arts) >= 10:
                break
    return arts


def bench(repeats: int = 5, use_checker: bool = True) -> dict:
    from newsfuse.brief import build_brief
    from newsfuse.check import Checker
    from newsfuse.embed import CachedEncoder, get_encoder

    enc = get_encoder()
    checker = Checker.load(encoder=enc.inner) if use_checker else None  # as the pipeline builds briefs
    arts = _bench_articles()
    build_brief("warm", arts[:2], encoder=enc.inner, checker=checker)  # load spaCy and the models once
    times, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        # a fresh cache each time: every sentence is embedded once, and the checker reuses what the brief
        # embedded, as with the pipeline's shared encoder
        fresh = CachedEncoder(enc.inner)
        if checker is not None:
            checker.encoder = fresh
        build_brief("bench", arts, encoder=fresh, checker=checker)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    words = sum(len(a.text.split()) for a in arts)
    return {
        "articles": len(arts),
        "words": words,
        "seconds_median": round(float(np.median(times)), 3),
        "seconds_min": round(float(np.min(times)), 3),
        "seconds_max": round(float(np.max(times)), 3),
        # CPU seconds used by this process (all its threads): less sensitive to other jobs on a shared machine
        "cpu_seconds_median": round(float(np.median(cpu)), 3),
        "checker": use_checker,
    }


def command(
    source: Annotated[Path, typer.Argument(help="NeuS .source file")] = DEFAULT_DIR / "val.source",
    target: Annotated[Path, typer.Argument(help="NeuS .target file (line-aligned)")] = DEFAULT_DIR / "val.target",
    sentences: Annotated[int, typer.Option(help="synthesis sentences per story")] = 3,
    limit: Annotated[int | None, typer.Option(help="only the first N stories")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    bench_only: Annotated[bool, typer.Option("--bench", help="time a 10-article brief instead")] = False,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="give the briefs the claim checker, as the pipeline does")
    ] = True,
) -> None:
    """ROUGE of newsfuse's synthesis and headline on NeuS/AllSides, with extractive peers."""
    if bench_only:
        res = bench(use_checker=check)
        print(json.dumps(res) if json_out else res)
        return
    if not source.is_file() or not target.is_file():
        raise typer.BadParameter(f"missing {source} or {target}")
    result = evaluate(source, target, sentences=sentences, limit=limit, use_checker=check)
    if json_out:
        print(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"summarize on {result['dataset']} (n={result['n']}), ROUGE F1 x100")
    cols = ["rouge1", "rouge2", "rouge_l", "headline_rouge1", "headline_rouge2", "headline_rouge_l"]
    table.add_column("system")
    for c in cols:
        table.add_column(c.replace("headline_", "head "), justify="right")
    for name, m in result["systems"].items():
        table.add_row(name, *[f"{100 * m[c]:.1f}" if c in m else "" for c in cols])
    Console().print(table)
