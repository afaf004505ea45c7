"""Refit the linear salience weights (``select.WEIGHTS``) on NeuS train stories.

Each sentence of each story gets the :func:`newsfuse.brief.select.features` row computed by
:func:`newsfuse.brief.analyse`, and a target of ``0.5 * ROUGE-1 F1 + ROUGE-2 F1`` against the
story's neutral reference; a ridge regression (alpha=1) maps one to the other. The shipped
weights came from train stories 300-999 (0-299 were kept for development)::

    python -m newsfuse.brief.fit ../shared/data/raw/neus_allsides/train.source \\
        ../shared/data/raw/neus_allsides/train.target --start 300 --stop 1000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["fit_salience"]


def fit_salience(source: Path, target: Path, start: int = 300, stop: int = 1000, encoder=None) -> dict[str, float]:  # noqa: ANN001
    from rouge_score import rouge_scorer
    from sklearn.linear_model import Ridge

    from newsfuse.brief import analyse
    from newsfuse.brief.select import FEATURES
    from newsfuse.eval.summarize import DiskCachedEncoder, load_neus
    from newsfuse.model import Article

    if encoder is None:
        from newsfuse.embed import get_encoder

        encoder = DiskCachedEncoder(get_encoder())
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    data = load_neus(source, target, stop)[start:stop]
    xs, ys = [], []
    for n, (parts, (_title, ref)) in enumerate(data):
        arts = [Article(id=f"fit-{n}-{i}", title=t, text=x, outlet=f"source-{i + 1}") for i, (t, x) in enumerate(parts)]
        an = analyse(arts, encoder)
        for row, unit in zip(an.feats, an.units, strict=True):
            sc = scorer.score(ref, unit.text)
            xs.append(row)
            ys.append(0.5 * sc["rouge1"].fmeasure + sc["rouge2"].fmeasure)
    if hasattr(encoder, "save"):
        encoder.save()
    model = Ridge(alpha=1.0).fit(np.vstack(xs), np.array(ys))
    return {k: round(float(v), 4) for k, v in zip(FEATURES, model.coef_, strict=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("target", type=Path)
    ap.add_argument("--start", type=int, default=300)
    ap.add_argument("--stop", type=int, default=1000)
    args = ap.parse_args()
    print(json.dumps(fit_salience(args.source, args.target, args.start, args.stop), indent=2))


if __name__ == "__main__":
    main()
