"""Cache claim features of the reported sets (for analysis of the summary model; not used in training)."""

from __future__ import annotations

from newsfuse.check.data import DiskCachedEncoder, load_frank, load_summac
from newsfuse.check.train import CACHE_DIR, Featurizer, cached_features
from newsfuse.embed import MiniLMEncoder

enc = DiskCachedEncoder(MiniLMEncoder(), CACHE_DIR / "emb_cache.npz")
feat = Featurizer(enc)
try:
    cached_features("eval_frank_test", load_frank("test"), feat)
    for name in ("polytope", "factcc", "summeval", "xsumfaith"):
        cached_features(f"eval_{name}", load_summac(name), feat)
finally:
    enc.save()
