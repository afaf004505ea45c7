"""The checker's cross-encoder: shipped weights, scoring, storage, the NLI pool and reproducible training."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from newsfuse.check.crossenc import FROZEN_LAYERS, CrossEncoder, NLIPair, load_nli_pool, split_pool

SHARED = Path(__file__).resolve().parents[2] / "shared"
NLI = SHARED / "data" / "raw" / "nli"
SHIPPED = resources.files("newsfuse.check").joinpath("weights").joinpath("crossenc.safetensors")


@pytest.fixture(scope="module")
def shipped() -> CrossEncoder:
    return CrossEncoder(SHIPPED)


def test_shipped_weights_are_small_and_cover_the_trained_layers(shipped):
    from safetensors import safe_open

    path = Path(str(SHIPPED))
    assert path.stat().st_size < 20_000_000
    with safe_open(str(path), framework="pt") as fh:
        keys = set(fh.keys())
        meta = fh.metadata()
    assert keys == set(shipped.trainable())
    assert not any("embeddings" in k for k in keys)  # the base package's word embeddings are reused
    assert all(
        int(k.split(".")[3]) >= FROZEN_LAYERS for k in keys if k.startswith("encoder.encoder.layer.")
    )  # lower layers too
    assert meta["frozen_layers"] == str(FROZEN_LAYERS)
    assert float(meta["held_out_accuracy"]) > 0.7
    assert shipped.fingerprint == hashlib.sha1(path.read_bytes()).hexdigest()


def test_entailed_claims_score_above_contradicted_ones(shipped):
    ev = "A fire on the passenger ferry Nordlys injured 12 people at Port Halvard on Tuesday morning."
    good = ["Twelve people were injured in a ferry fire at Port Halvard.", "A ferry caught fire on Tuesday."]
    bad = ["Nobody was injured in the ferry fire at Port Halvard.", "The ferry fire happened on Friday evening."]
    s = shipped.score([(ev, c) for c in good + bad])
    assert s.shape == (4,) and np.isfinite(s).all()
    assert min(s[:2]) > max(s[2:])


def test_scores_do_not_depend_on_batching_or_order(shipped):
    pairs = [("The council approved the budget on Monday.", "The budget was approved."), ("x", "y " * 300)]
    pairs += [("Short evidence.", "A claim that is rather longer than the evidence it is checked against.")]
    pairs += [(f"The port reopened after {n} days of repairs to the quay.", "The port reopened.") for n in range(9)]
    one = shipped.score(pairs)
    rev = shipped.score(pairs[::-1])[::-1]
    np.testing.assert_allclose(one, rev, atol=1e-4)
    size = shipped.batch_size
    try:
        shipped.batch_size = 1  # no padding at all
        single = shipped.score(pairs)
    finally:
        shipped.batch_size = size
    np.testing.assert_allclose(one, single, atol=1e-4)
    assert shipped.score([]).shape == (0,)


def test_checker_features_match_what_training_computes():
    """Run time (``analyse_claims``) and training (``nli_features`` over ``evidence_order``) agree."""
    from newsfuse.check import Checker
    from newsfuse.model import Article

    checker = Checker.load()
    assert checker.needs_cross
    src = Article(
        id="a",
        title="",
        outlet="Harbour Gazette",
        text=(
            "A fire broke out on the passenger ferry Nordlys at Port Halvard on Tuesday morning. "
            "Twelve people were injured, officials said. The ferry was towed back to the dock by two tugboats."
        ),
    )
    claims = ["Twelve people were hurt in a ferry fire on Tuesday.", "The ferry sank at sea on Friday."]
    index = checker.index([src])
    results = checker.analyse_claims(claims, index)
    again = checker.nli_features(claims, checker.evidence_order(claims, index), index)
    assert [{k: r.features[k] for k in ("nli_top", "nli_max")} for r in results] == again
    assert results[0].features["nli_max"] > results[1].features["nli_max"]


def test_merge_features_joins_claim_by_claim_and_refuses_other_pairs():
    from newsfuse.check.train import merge_features

    base = [[{"a": 1.0}, {"a": 2.0}], [{"a": 3.0}]]
    extra = [[{"b": 4.0}, {"b": 5.0}], [{"b": 6.0}]]
    assert merge_features(base, extra) == [[{"a": 1.0, "b": 4.0}, {"a": 2.0, "b": 5.0}], [{"a": 3.0, "b": 6.0}]]
    with pytest.raises(ValueError):
        merge_features(base, [[{"b": 4.0}], [{"b": 6.0}]])


def test_weights_round_trip_and_missing_keys_are_refused(shipped, tmp_path):
    out = tmp_path / "w.safetensors"
    shipped.save_weights(out)
    again = CrossEncoder(out)
    pairs = [("The council approved the budget on Monday.", "The budget was approved on Monday.")]
    np.testing.assert_allclose(again.score(pairs), shipped.score(pairs), atol=1e-6)
    from safetensors.torch import load_file, save_file

    t = load_file(str(out))
    t.pop(sorted(t)[0])
    save_file(t, str(tmp_path / "bad.safetensors"))
    with pytest.raises(ValueError, match="lack"):
        CrossEncoder(tmp_path / "bad.safetensors")


def test_split_keeps_each_premise_on_one_side():
    pairs = [NLIPair(f"premise {i % 50}", f"hypothesis {i}", i % 2, "t") for i in range(1000)]
    train, held = split_pool(pairs, held_out=0.1)
    assert len(train) + len(held) == 1000 and held
    assert not {p.premise for p in train} & {p.premise for p in held}


needs_nli = pytest.mark.skipif(not NLI.is_dir(), reason="needs ../shared/data/raw/nli (the shared data is absent)")


@pytest.mark.shared
@needs_nli
def test_nli_pool_is_deduplicated_binary_and_mixed():
    pool = load_nli_pool()
    assert len(pool) > 100_000
    keys = [(" ".join(p.premise.lower().split()), " ".join(p.hypothesis.lower().split())) for p in pool]
    assert len(set(keys)) == len(keys)
    assert {p.label for p in pool} == {0, 1}
    assert {"mnli", "snli", "fever_nli", "vitaminc_real", "anli_dev", "rte"} <= {p.source for p in pool}


@pytest.mark.shared
@needs_nli
def test_training_is_reproducible(tmp_path):
    from newsfuse.check.crossenc import train

    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    ra = train(a, n_pairs=48, progress=False, held_out_pairs=32)
    rb = train(b, n_pairs=48, progress=False, held_out_pairs=32)
    from safetensors.torch import load_file

    ta, tb = load_file(str(a)), load_file(str(b))  # the files differ only in the recorded seconds
    assert ta.keys() == tb.keys() and all(bool((ta[k] == tb[k]).all()) for k in ta)
    assert ra["pairs"] == 48 and ra == {**rb, "seconds": ra["seconds"]}
