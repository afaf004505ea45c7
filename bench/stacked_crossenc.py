"""Stacked cross-encoder experiment (issue 6): fine-tune the checker's cross-encoder on the checker's own
labelled training claims, out of fold, and refit the version-4 design over its features.

Not shipped: the cross-encoder gets better per claim but the checker gets worse on the training-side
criteria (the model card's "Tried and not kept" gives the figures). Kept so the result can be reproduced
and built on. Three steps:

    python bench/stacked_crossenc.py dump --data data_local/stack        # here: needs ../shared (1 min)
    python bench/stacked_crossenc.py train --data data_local/stack --out data_local/stack/out --tag e --only-real
    python bench/stacked_crossenc.py fit --oof data_local/stack/out/oof_e.json   # criteria, fold seeds 13/1/2

``dump`` writes, for every claim of the training sets, the premises ``Checker.nli_features`` gives it (best
evidence, second best, the two joined), its label as ``train._rows`` assigns it (-1: no training row), and its document fold in
``fit_all`` (seed 13); the claims of inconsistent multi-sentence FRANK valid summaries that the shipped
sentence model trusts least are marked ``mil`` (a stand-in for ``fit_all``'s multiple-instance picks); an
NLI replay sample drawn as ``crossenc.train`` draws its pairs; and the frozen
part of the base encoder in float16 (embeddings and layers 0-1, which training never changes).

``train`` imports nothing from newsfuse, so it runs on a GPU machine that has only torch and transformers
(copy the data folder along; about 33 MB). It continues fine-tuning the shipped cross-encoder
(``weights/crossenc.safetensors``) once per fold on the claims of the other four folds plus the NLI replay,
scores the held-out fold's claims (``oof_TAG.json``: ``"set:pair:claim" -> [nli_top, nli_max]``), then
trains on every fold (``crossenc_TAG.safetensors``, loadable by ``crossenc.CrossEncoder``). On one H100
about 25-35 s per model at batch 64 (the first one longer); on 2 CPU cores roughly half an hour per model.

``fit`` refits ``train.fit_all`` (version 4) with the shipped cross-encoder features replaced by the
out-of-fold ones (or, with ``--extra``, beside them) and prints the training-side criteria: the mean of
the summary groups' out-of-fold balanced accuracies, FRANK valid's out-of-fold balanced accuracy and AUC.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
FROZEN = 2  # crossenc.FROZEN_LAYERS: embeddings and layers 0-1 keep the base weights
MAXLEN = 160  # crossenc.MAX_LENGTH


# ------------------------------------------------------------------------------------------------ dump


def dump(data: Path) -> None:
    import os
    import shutil

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from safetensors.torch import load_file, save_file

    from newsfuse.check import train as T
    from newsfuse.check.crossenc import _base_path, load_nli_pool, split_pool
    from newsfuse.check.data import DiskCachedEncoder, reported_doc_keys
    from newsfuse.check.retrieve import split_summary
    from newsfuse.check.verifier import CombinerModel
    from newsfuse.embed import MiniLMEncoder

    data.mkdir(parents=True, exist_ok=True)
    enc = DiskCachedEncoder(MiniLMEncoder(batch_size=32), T.CACHE_DIR / "emb_cache.npz")
    feat = T.Featurizer(enc, cross=None)
    sets = {"synthetic": T.build_synthetic(T.SEED), "msrp": T.build_msrp(T.SEED), **T.build_real(reported_doc_keys())}
    claims_of: dict[str, list] = {}
    for name, pairs in sets.items():
        out: list = [None] * len(pairs)
        for i in sorted(range(len(pairs)), key=lambda i: pairs[i].doc):  # reuse each document's index
            claims = split_summary(pairs[i].summary) or [pairs[i].summary]
            index = feat.index(pairs[i].doc)
            cl = []
            for c, top in zip(claims, feat.checker.evidence_order(claims, index), strict=True):
                ev = [index.sentences[j].text for j in top[:2]]
                cl.append((c, [*ev, f"{ev[0]} {ev[1]}"] if len(ev) > 1 else (ev or [""])))
            out[i] = cl
        claims_of[name] = out
        print(f"{name}: {len(pairs)} items", flush=True)
    enc.save()
    # the folds of fit_all: its rows in its order, then _folds over their documents
    real_sets = ("qags", "falke", "frank_valid")

    def stub(name: str) -> list:
        return [[{}] * len(c) for c in claims_of[name]]

    rows = T._rows(sets["synthetic"], stub("synthetic"), "synthetic", False) + T._rows(
        sets["msrp"], stub("msrp"), "msrp", False
    )
    for k in real_sets:
        rows += T._rows(sets[k], stub(k), k, True)
    docs = [r["doc"] for r in rows]
    doc_fold = dict(zip(docs, T._folds(docs, 5, T.SEED).tolist(), strict=True))
    qidx = {d: i for i, d in enumerate(sorted({p.meta["doc"] for p in sets["qags"]}))}  # fit_all's fallback
    # the claims fit_all's multiple-instance step would pick (here: the shipped sentence model's least trusted)
    spec = json.loads((T.WEIGHTS_DIR / "checker.json").read_text())
    sm = CombinerModel(spec["sentence_model"])
    from newsfuse.check.crossenc import CrossEncoder
    from newsfuse.check.verifier import CROSS_WEIGHTS

    cross_feat = T.Featurizer(None, cross=CrossEncoder(T.WEIGHTS_DIR / CROSS_WEIGHTS, batch_size=16))
    fr = sets["frank_valid"]
    f_fr = T.merge_features(
        T.cached_features("frank_valid", fr, feat), T.cached_nli_features("frank_valid", fr, cross_feat)
    )
    mil = {
        (i, int(np.argmin(sm.logits(sm.matrix(fl)))))
        for i, (p, fl) in enumerate(zip(fr, f_fr, strict=True))
        if p.label == 0 and len(fl) > 1
    }
    n = 0
    with gzip.open(data / "claims.jsonl.gz", "wt") as fh:
        for name, pairs in sets.items():
            for i, (p, cl) in enumerate(zip(pairs, claims_of[name], strict=True)):
                d = p.meta.get("doc", "")
                fold = doc_fold.get(d, qidx[d] % 5 if name == "qags" else i % 5)
                for j, (c, prem) in enumerate(cl):
                    y = int(p.label) if (p.label == 1 or len(cl) == 1) else -1
                    rec = {
                        "set": name,
                        "i": i,
                        "j": j,
                        "claim": c,
                        "prem": prem,
                        "y": y,
                        "fold": fold,
                        "real": name in real_sets,
                    }
                    rec["mil"] = name == "frank_valid" and (i, j) in mil
                    fh.write(json.dumps(rec) + "\n")
                    n += 1
    train_side, held = split_pool(load_nli_pool())
    random.Random(T.SEED).shuffle(train_side)  # as crossenc.train draws its pairs
    for fname, part in (("nli.jsonl.gz", train_side[:16000]), ("nli_held.jsonl.gz", held[:3000])):
        with gzip.open(data / fname, "wt") as fh:
            for p in part:
                fh.write(json.dumps([p.premise, p.hypothesis, int(p.label)]) + "\n")
    base_dir = data / "base"
    base_dir.mkdir(exist_ok=True)
    base = _base_path()
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(base / f, base_dir / f)
    frozen = {}
    for k, v in load_file(str(base / "model.safetensors")).items():
        m = re.search(r"encoder\.layer\.(\d+)\.", k)
        if (m and int(m.group(1)) >= FROZEN) or "pooler" in k or "position_ids" in k:
            continue
        frozen[k] = v.to(torch.float16).contiguous()
    save_file(frozen, str(base_dir / "frozen.safetensors"))
    print(f"{n} claims ({len(mil)} multiple-instance picks), NLI replay and frozen base written to {data}")


# ------------------------------------------------------------------------------------------------ train

import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from transformers import AutoConfig, AutoModel, AutoTokenizer  # noqa: E402


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


class CE(torch.nn.Module):
    def __init__(self, data: Path, init: Path):
        super().__init__()
        cfg = AutoConfig.from_pretrained(str(data / "base"))
        self.enc = AutoModel.from_config(cfg, add_pooling_layer=False)
        frozen = {
            k: (v.float() if v.is_floating_point() else v)
            for k, v in load_file(str(data / "base" / "frozen.safetensors")).items()
            if "position_ids" not in k
        }
        missing, unexpected = self.enc.load_state_dict(frozen, strict=False)
        assert not unexpected, unexpected
        self.head = torch.nn.Linear(cfg.hidden_size, 1)
        t = load_file(str(init))
        sd = {}
        for k, v in t.items():
            if k.startswith("encoder."):
                sd[k[len("encoder.") :]] = v.float()
        m2, u2 = self.enc.load_state_dict(sd, strict=False)
        assert not u2, u2
        still = set(missing) - set(sd)
        assert not [k for k in still if "position_ids" not in k], sorted(still)[:5]
        with torch.no_grad():
            self.head.weight.copy_(t["head.weight"].float())
            self.head.bias.copy_(t["head.bias"].float())

    def trainable(self):
        out = {}
        for name, p in self.enc.named_parameters():
            m = re.match(r"encoder\.layer\.(\d+)\.", name)
            if m and int(m.group(1)) >= FROZEN:
                out[f"encoder.{name}"] = p
        for name, p in self.head.named_parameters():
            out[f"head.{name}"] = p
        return out

    def forward(self, batch):
        out = self.enc(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)


def read(data, name):
    with gzip.open(data / name, "rt") as fh:
        return [json.loads(line) for line in fh]


def score(model, tok, pairs, dev, bs=256):
    model.eval()
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    out = np.zeros(len(pairs), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(order), bs):
            idx = order[s : s + bs]
            b = tok(
                [pairs[i][0] for i in idx],
                [pairs[i][1] for i in idx],
                truncation="longest_first",
                max_length=MAXLEN,
                padding=True,
                return_tensors="pt",
            )
            b = {k: v.to(dev) for k, v in b.items()}
            if dev == "cuda":
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    lg = model(b)
            else:
                lg = model(b)
            out[idx] = lg.float().cpu().numpy()
    return out


def train_one(rows, args, dev, seed, tok):
    torch.manual_seed(seed)
    model = CE(args.data, REPO / "src/newsfuse/check/weights/crossenc.safetensors").to(dev)
    tr = model.trainable()
    for name, p in model.enc.named_parameters():
        p.requires_grad = f"encoder.{name}" in tr
    for p in model.head.parameters():
        p.requires_grad = True
    params = list(tr.values())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(rows) + args.bs - 1) // args.bs)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    lossf = torch.nn.BCEWithLogitsLoss()
    model.train()
    enc = tok([r[0] for r in rows], [r[1] for r in rows], truncation="only_first", max_length=MAXLEN)
    ids, tts = enc["input_ids"], enc["token_type_ids"]
    ys = np.array([float(r[2]) for r in rows], dtype=np.float32)
    for ep in range(args.epochs):
        order = list(range(len(rows)))
        rng = random.Random(seed + ep)
        rng.shuffle(order)
        # length buckets: sort chunks of 50 batches by length, then shuffle the batches
        chunk = args.bs * 50
        bl = []
        for c0 in range(0, len(order), chunk):
            part = sorted(order[c0 : c0 + chunk], key=lambda i: len(ids[i]))
            bl += [part[s : s + args.bs] for s in range(0, len(part), args.bs)]
        rng.shuffle(bl)
        for idx in bl:
            L = max(len(ids[i]) for i in idx)
            a = np.zeros((len(idx), L), dtype=np.int64)
            t = np.zeros_like(a)
            m = np.zeros_like(a)
            for r, i in enumerate(idx):
                n = len(ids[i])
                a[r, :n] = ids[i]
                t[r, :n] = tts[i]
                m[r, :n] = 1
            b = {
                "input_ids": torch.from_numpy(a).to(dev),
                "token_type_ids": torch.from_numpy(t).to(dev),
                "attention_mask": torch.from_numpy(m).to(dev),
            }
            y = torch.from_numpy(ys[idx]).to(dev)
            if dev == "cuda":
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    lg = model(b)
            else:
                lg = model(b)
            loss = lossf(lg.float(), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
    return model


def auc(y, s):
    y = np.asarray(y)
    s = np.asarray(s)
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return None
    r = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((r[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def train_cmd(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    tok = AutoTokenizer.from_pretrained(str(args.data / "base"))
    claims = read(args.data, "claims.jsonl.gz")
    nli = read(args.data, "nli.jsonl.gz")[: args.nli]
    held = read(args.data, "nli_held.jsonl.gz")
    if args.quick:  # a smoke test on CPU
        claims, nli, held = claims[:: max(1, len(claims) // args.quick)], nli[: args.quick], held[: args.quick]
    if args.mil:
        for c in claims:
            if c.get("mil"):
                c["y"] = 0
    log(dev, "claims", len(claims), "nli", len(nli), {k: str(v) for k, v in vars(args).items()})
    feats: dict[str, list[float]] = {}
    for f in args.folds.split(","):
        k = None if f == "full" else int(f)
        rows = [tuple(x) for x in nli]
        for c in claims:
            if c["y"] < 0 or (k is not None and c["fold"] == k) or (args.only_real and not c["real"]):
                continue
            for p in [c["prem"][0]] + ([c["prem"][2]] if len(c["prem"]) == 3 else []):
                rows.extend([(p, c["claim"], c["y"])] * (args.real_x if c["real"] else 1))
        t = time.time()
        model = train_one(rows, args, dev, 13 + (k if k is not None else 9), tok)
        log(f"fold {f}: {len(rows)} pairs, {time.time() - t:.0f}s")
        if k is None:
            hs = score(model, tok, [(h[0], h[1]) for h in held], dev)
            hy = np.array([h[2] for h in held])
            acc = float(((hs >= 0).astype(int) == hy).mean())
            log(f"all folds: NLI held-out accuracy {acc:.4f} (n={len(hy)})")
            tensors = {
                name: p.detach().float().cpu().to(torch.float16).contiguous()
                for name, p in sorted(model.trainable().items())
            }
            meta = {
                "frozen_layers": str(FROZEN),
                "recipe": json.dumps({k: str(v) for k, v in vars(args).items()}),
                "held_out_accuracy": f"{acc:.4f}",
            }
            save_file(tensors, str(out / f"crossenc_{args.tag}.safetensors"), metadata=meta)
            continue
        mine = [c for c in claims if c["fold"] == k]
        pairs, spans = [], []
        for c in mine:
            spans.append((len(pairs), len(pairs) + len(c["prem"])))
            pairs += [(p, c["claim"]) for p in c["prem"]]
        s = score(model, tok, pairs, dev)
        for c, (a, b) in zip(mine, spans, strict=True):
            feats[f"{c['set']}:{c['i']}:{c['j']}"] = [round(float(s[a]), 4), round(float(s[a:b].max()), 4)]
        real = [(c["y"], s[a]) for c, (a, _b) in zip(mine, spans, strict=True) if c["real"] and c["y"] >= 0]
        log(
            f"fold {f}: out-of-fold AUC of nli_top on the labelled claims {auc([r[0] for r in real], [r[1] for r in real])}"
        )
        (out / f"oof_{args.tag}.json").write_text(json.dumps(feats))


# ------------------------------------------------------------------------------------------------ fit


def fit_cmd(args: argparse.Namespace) -> None:
    import contextlib
    import io
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from newsfuse.check import train as T
    from newsfuse.check.crossenc import CrossEncoder
    from newsfuse.check.data import reported_doc_keys
    from newsfuse.check.verifier import CROSS_WEIGHTS

    oof = json.loads(Path(args.oof).read_text()) if args.oof != "shipped" else None
    feat = T.Featurizer(None, cross=CrossEncoder(T.WEIGHTS_DIR / CROSS_WEIGHTS, batch_size=16))
    sets = {"synthetic": T.build_synthetic(T.SEED), "msrp": T.build_msrp(T.SEED), **T.build_real(reported_doc_keys())}
    extra = ["ft_top", "ft_max"] if args.extra else ["nli_top", "nli_max"]

    def features(name: str, pairs: list) -> list:
        base = T.cached_features(name, pairs, feat)
        shipped = T.cached_nli_features(name, pairs, feat)
        if oof is None:
            return T.merge_features(base, shipped)
        mine = [
            [dict(zip(extra, oof[f"{name}:{i}:{j}"], strict=True)) for j in range(len(fl))] for i, fl in enumerate(base)
        ]
        return T.merge_features(T.merge_features(base, shipped), mine) if args.extra else T.merge_features(base, mine)

    F = {k: features(k, v) for k, v in sets.items()}
    if args.extra:
        T.V4_EXTRA = [*T.V4_EXTRA, *extra]
    real = {k: sets[k] for k in ("qags", "falke", "frank_valid")}
    res = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            m = T.fit_all(
                sets["synthetic"],
                sets["msrp"],
                real,
                F["synthetic"],
                F["msrp"],
                {k: F[k] for k in real},
                seed=seed,
                version=4,
            )
        tr = m["training"]
        res.append(
            (
                tr["summary_groups_oof_macro"],
                tr["frank_valid_oof"]["balanced_accuracy"],
                tr["frank_valid_oof"]["roc_auc"],
            )
        )
        print(
            f"fold seed {seed}: macro {res[-1][0]:.4f}, FRANK valid OOF BAcc {res[-1][1]:.4f} AUC {res[-1][2]:.4f}; "
            f"threshold {m['threshold']:.4f}; groups {tr['summary_groups_oof_balanced_accuracy']}",
            flush=True,
        )
    mean = np.mean(res, axis=0)
    print(f"mean: macro {mean[0]:.4f}, FRANK valid OOF BAcc {mean[1]:.4f} AUC {mean[2]:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump", help="claims, premises, labels, folds, NLI replay and the frozen base")
    d.add_argument("--data", type=Path, required=True)
    t = sub.add_parser("train", help="fold models (out-of-fold features) and a model on all folds")
    t.add_argument("--data", type=Path, required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--tag", default="e")
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=4e-5)
    t.add_argument("--bs", type=int, default=64)
    t.add_argument("--nli", type=int, default=8000, help="NLI replay pairs")
    t.add_argument("--real-x", type=int, default=3, help="copies of each human-labelled claim")
    t.add_argument("--only-real", action="store_true", help="train on the human-labelled claims only (plus NLI)")
    t.add_argument("--mil", action="store_true", help="also the multiple-instance negatives of FRANK valid")
    t.add_argument("--quick", type=int, default=0, help="smoke test: this many claims and NLI pairs")
    t.add_argument("--folds", default="0,1,2,3,4,full")
    f = sub.add_parser("fit", help="refit version 4 over the out-of-fold features; print the criteria")
    f.add_argument("--oof", required=True, help="oof_TAG.json, or 'shipped' for the shipped cross-encoder's features")
    f.add_argument("--extra", action="store_true", help="beside the shipped cross-encoder's features, not instead")
    f.add_argument("--seeds", default="13,1,2")
    args = ap.parse_args()
    {"dump": lambda: dump(args.data), "train": lambda: train_cmd(args), "fit": lambda: fit_cmd(args)}[args.cmd]()


if __name__ == "__main__":
    main()
