from __future__ import annotations

from newsfuse.dedupe import Deduper, canonical_url
from newsfuse.model import text_hash

WIRE = (
    "Rescue crews in the river town of Millbrook worked through the night on Tuesday after the Ash Creek dam "
    "released water faster than forecast, flooding 140 homes along the east bank. County officials said no one "
    "was missing, but 23 people were taken to shelters at the high school. The state water board will review "
    "the release schedule, its chair said on Wednesday morning, adding that the gauges upstream had failed."
)
OTHER = (
    "The Millbrook council voted on Wednesday to open a second shelter after flooding along the east bank, "
    "as residents questioned why warnings came so late. Several homeowners said the sirens never sounded, "
    "and the mayor promised an independent inquiry into the dam operator's decisions during the storm."
)


def test_exact_and_near_duplicates():
    dd = Deduper(threshold=0.8)
    sig = dd.signature(WIRE)
    dd.add("wire", text_hash(WIRE), sig)
    exact = dd.find(text_hash(WIRE), sig)
    assert exact and exact.kind == "exact" and exact.canonical_id == "wire"
    copy = WIRE + " This story was distributed by Continental Press."
    near = dd.find(text_hash(copy), dd.signature(copy))
    assert near is not None and near.kind == "near" and near.canonical_id == "wire" and near.similarity > 0.8
    assert dd.find(text_hash(OTHER), dd.signature(OTHER)) is None


def test_signatures_are_stable_across_instances():
    assert (Deduper().signature(WIRE) == Deduper().signature(WIRE)).all()


def test_canonical_url_drops_tracking():
    a = canonical_url("https://WWW.Harborledger.example/story/1?utm_source=x&utm_medium=y#top")
    b = canonical_url("https://www.harborledger.example/story/1")
    assert a == b


def test_a_near_copy_in_the_same_batch_is_found_by_direct_comparison():
    """Within a batch the pipeline compares every pair (``find_among``): the index's LSH finds a pair of
    0.8-0.85 similarity only some of the time, and the check before embedding and the one under the lock
    must agree."""
    import numpy as np

    dd = Deduper(threshold=0.8)
    base = np.arange(128, dtype=np.uint64)
    near = base.copy()
    near[:23] += 1000  # 105 of 128 values equal: similarity 0.82
    far = base + 1000
    earlier = [("a", "h1", base)]
    match = dd.find_among("h2", near, earlier)
    assert match is not None and match.canonical_id == "a" and match.kind == "near"
    assert dd.find_among("h3", far, earlier) is None
    assert dd.find_among("h1", far, earlier).kind == "exact"


def test_a_long_text_is_signed_in_slices_with_the_same_result():
    """A 10 MB page of short words has millions of shingles; hashed as one batch they took about 4 GB.
    The signature is a minimum over shingles, so hashing them in slices must give the same one."""
    import numpy as np
    from datasketch import MinHash

    from newsfuse.dedupe import shingles

    dd = Deduper()
    text = " ".join(f"w{i % 4999} v{i % 773}" for i in range(60_000))
    whole = MinHash(
        num_perm=dd.num_perm,
        seed=dd.seed,
        permutations=dd._template.permutations,
        scheme=dd._template.scheme,
    )
    whole.update_batch(shingles(text))
    assert len(shingles(text)) > 50_000
    assert np.array_equal(dd.signature(text), whole.hashvalues.astype(np.uint64))


def test_texts_without_words_are_copies_only_of_their_exact_text():
    dd = Deduper()
    empty = dd.signature("\u200b" * 300)
    dd.add("zw", text_hash("\u200b" * 300), empty)
    assert dd.find(text_hash("\ufffd" * 300), dd.signature("\ufffd" * 300)) is None
    assert dd.find(text_hash("\u200b" * 300), empty).kind == "exact"
