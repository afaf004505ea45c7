"""The checker's training step (``train.fit_all``) on small made-up feature rows (no shared data).

The real run (``newsfuse train-checker``) needs ../shared/data/raw and about an hour on 2 cores; see
MODEL_CARD.md for how the shipped weights were checked against it. Here: the fit is deterministic
for a seed, and each version writes the layout ``Checker`` reads.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from newsfuse.check import train
from newsfuse.check.data import Pair
from newsfuse.check.features import FEATURE_NAMES
from newsfuse.check.train import V1_FEATURES, fit_all
from newsfuse.check.verifier import NLI_FEATURES, SUMMARY_FEATURES, Checker


def _feats(rng: random.Random, good: bool) -> dict[str, float]:
    base = 0.75 if good else 0.35
    # two decimals: few distinct values keep the binning fast (as most real features are)
    out = {n: round(min(1.0, max(0.0, rng.gauss(base, 0.2))), 2) for n in FEATURE_NAMES}
    out.update({n: round(rng.gauss(1.0 if good else -1.0, 1.0), 2) for n in NLI_FEATURES})  # cross-encoder logits
    return out


def _data(seed: int = 1):  # noqa: ANN202
    rng = random.Random(seed)
    synth, f_synth = [], []
    for d in range(60):
        for j in range(4):
            y = int(j % 2 == 0)
            synth.append(Pair(f"doc{d}", f"s{d}.{j}", y, "synthetic", {"doc": f"allsides:{d}"}))
            f_synth.append([_feats(rng, bool(y))])
    msrp = [Pair(f"m{i}", f"p{i}", 1, "msrp", {"doc": f"msrp:{i}"}) for i in range(40)]
    f_msrp = [[_feats(rng, True)] for _ in msrp]
    real: dict[str, list[Pair]] = {"qags": [], "falke": [], "frank_valid": []}
    f_real: dict[str, list] = {k: [] for k in real}
    for i in range(80):
        y = i % 2
        real["qags"].append(
            Pair(f"q{i // 2}", f"qs{i}", y, "qags_cnndm" if i < 40 else "qags_xsum", {"doc": f"qags:{i // 2}"})
        )
        f_real["qags"].append([_feats(rng, bool(y))])
        real["falke"].append(Pair(f"f{i}", f"fs{i}", y, "falke", {"doc": f"falke:{i}"}))
        f_real["falke"].append([_feats(rng, bool(y))])
    for i in range(120):
        y = int(i % 4 != 0)
        n = 1 + i % 3
        meta = {"doc": f"frank:{i}", "hash": str(i), "dataset": "cnndm" if i % 4 else "bbc"}
        real["frank_valid"].append(Pair(f"fr{i}", f"frs{i}", y, "frank", meta))
        f_real["frank_valid"].append([_feats(rng, bool(y) or k > 0) for k in range(n)])
    return synth, msrp, real, f_synth, f_msrp, f_real


@pytest.fixture
def few_trees(monkeypatch):
    """Fewer, smaller boosting rounds: the same code path in seconds."""
    from newsfuse.check import train

    fit = train.fit_trees
    monkeypatch.setattr(train, "fit_trees", lambda X, y, w, seed=13, **kw: fit(X, y, w, seed, **{"max_iter": 15, **kw}))


def _sts(seed: int = 2):  # noqa: ANN202
    """Version 5's extra rows: STS-like pairs, half supported, half not (one claim each)."""
    rng = random.Random(seed)
    pairs = [Pair(f"h{i}", f"t{i}", i % 2, "sts", {"doc": f"sts:{i}"}) for i in range(30)]
    return {"sts": (pairs, [[_feats(rng, bool(p.label))] for p in pairs])}


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_fit_is_deterministic_and_loadable(version, few_trees):
    pytest.importorskip("sklearn")
    extra = _sts() if version == 5 else None
    first = fit_all(*_data(), seed=13, version=version, extra=extra)
    again = fit_all(*_data(), seed=13, version=version, extra=extra)
    for d in (first, again):
        d.pop("created")
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["version"] == version
    want = FEATURE_NAMES + list(NLI_FEATURES) if version >= 4 else {1: V1_FEATURES}.get(version, FEATURE_NAMES)
    assert first["sentence_model"]["features"] == list(want)
    frank, f_frank = _data()[2]["frank_valid"], _data()[5]["frank_valid"]
    plain = (
        240 + 40 + 80 + 80 + sum(len(f) if p.label else int(len(f) == 1) for p, f in zip(frank, f_frank, strict=True))
    )
    if version == 5:  # every STS pair is one row, supported or not
        plain += 30
        assert first["training"]["sets"]["sts"] == 30
    long_bad = sum(1 for p, f in zip(frank, f_frank, strict=True) if not p.label and len(f) > 1)
    assert long_bad > 0
    if version == 1:
        assert set(first["summary_model"]) == {"min", "mean", "intercept"}
        assert first["training"]["rows"] == plain  # no multiple-instance rows
    else:
        assert first["summary_model"]["type"] == "logistic"
        want_summary = {2: train.V2_SUMMARY_FEATURES, 3: SUMMARY_FEATURES}.get(
            version, [*SUMMARY_FEATURES, "min_nli_max"]
        )
        assert first["summary_model"]["features"] == list(want_summary)
        macro = first["training"]["summary_groups_oof_macro"]
        per_group = first["training"]["summary_groups_oof_balanced_accuracy"]
        assert macro == pytest.approx(np.mean([v[0] for v in per_group.values()]), abs=1e-4)
        assert first["training"]["rows"] == plain + long_bad  # one per long inconsistent FRANK summary
    checker = Checker({**first, "baselines": {}})
    assert checker.needs_cross == (version >= 4)  # versions 4 and 5 load the cross-encoder
    logits = checker.claim_logits([])
    assert logits.size == 0
    X = checker.sentence_model.matrix([_feats(random.Random(3), True)])
    assert np.isfinite(checker.sentence_model.logits(X)).all()
    assert 0.0 < first["threshold"] < 1.0 and 0.0 < first["sentence_threshold"] < 1.0


def test_unknown_version_is_refused(few_trees):
    with pytest.raises(ValueError):
        fit_all(*_data(), seed=13, version=6)


def test_feature_caches_are_keyed_by_the_sentence_splitter(monkeypatch):
    # the source index splits cased articles with the brief's splitter: a change there must not reuse old features
    from pathlib import Path

    from newsfuse.brief import sentences

    seen = {}

    def fake_cached(prefix, what, name, pairs, key, compute):
        seen[prefix] = list(key)
        return []

    class FakeCross:
        fingerprint, batch_size, max_length = "x", 16, 160

    class FakeFeat:
        class checker:
            cross = FakeCross()

    monkeypatch.setattr(train, "_cached", fake_cached)
    train.cached_features("s", [], FakeFeat())
    train.cached_nli_features("s", [], FakeFeat())
    splitter = Path(sentences.__file__).read_bytes()
    assert splitter in seen["feat"] and splitter in seen["nli"]


def test_extra_rows_go_with_version_5_only(few_trees):
    # a "version 5" file without the STS-B rows would be version 4 under another name, and the rows in an
    # older version's file would make it a design that never shipped
    with pytest.raises(ValueError):
        fit_all(*_data(), seed=13, version=5)
    with pytest.raises(ValueError):
        fit_all(*_data(), seed=13, version=4, extra=_sts())
