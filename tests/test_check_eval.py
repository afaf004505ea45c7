"""``newsfuse eval check``: input formats and the JSON shape on a few FRANK rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from newsfuse.eval.check import command, load_pairs

SHARED = Path(__file__).resolve().parents[2] / "shared"
FRANK = SHARED / "data" / "raw" / "frank" / "frank_joined.jsonl"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(command)
    return app


def test_load_pairs_reads_list_object_and_lines(tmp_path):
    items = [
        {"document": "Rain fell in Oslo on Monday.", "claim": "it rained in oslo .", "label": 1},
        {"document": "Rain fell in Oslo on Monday.", "claim": "it snowed in rome .", "label": "0"},
    ]
    (tmp_path / "a.json").write_text(json.dumps(items))
    (tmp_path / "b.json").write_text(json.dumps({f"k{i}": x for i, x in enumerate(items)}))
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(x) for x in items))
    for name in ("a.json", "b.json", "c.jsonl"):
        pairs = load_pairs(tmp_path / name)
        assert [p.label for p in pairs] == [1, 0]
        assert pairs[0].summary == "it rained in oslo ."


def test_load_pairs_field_options_and_split(tmp_path):
    rows = [
        {"src": "A text.", "hyp": "A.", "ok": 1, "split": "test"},
        {"src": "B text.", "hyp": "B.", "ok": 0, "split": "valid"},
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(x) for x in rows))
    pairs = load_pairs(tmp_path / "d.jsonl", "src", "hyp", "ok", split="valid")
    assert [(p.doc, p.label) for p in pairs] == [("B text.", 0)]
    with pytest.raises(typer.BadParameter):
        load_pairs(tmp_path / "d.jsonl")  # no default field for the document


@pytest.mark.shared
@pytest.mark.skipif(not FRANK.is_file(), reason="needs ../shared/data/raw/frank (the shared data folder is absent)")
def test_eval_json_shape_on_frank_rows():
    result = CliRunner().invoke(_app(), [str(FRANK), "--split", "test", "--limit", "6", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["task"] == "check" and out["n"] == 6 and out["dataset"] == "frank_joined:test"
    assert set(out["systems"]) == {"newsfuse", "rouge2_precision", "entity_overlap", "minilm_cosine"}
    for metrics in out["systems"].values():
        assert set(metrics) == {"balanced_accuracy", "roc_auc"}
        assert 0.0 <= metrics["balanced_accuracy"] <= 1.0
        assert metrics["roc_auc"] is None or 0.0 <= metrics["roc_auc"] <= 1.0


CRAWL = SHARED / "data" / "raw" / "neus_allsides" / "allsides_raw_crawled_headline_11_2021-10-19.jsonl"


@pytest.mark.shared
@pytest.mark.skipif(
    not CRAWL.is_file(), reason="needs ../shared/data/raw/neus_allsides (the shared data folder is absent)"
)
@pytest.mark.parametrize(
    ("labels_file", "n", "supported", "stories"),
    [("roundup_labels.json", 275, 93, 81), ("roundup_labels_batch4.json", 105, 26, 30)],
)
def test_roundup_set_finds_every_labelled_sentence(tmp_path, labels_file, n, supported, stories):
    # bench/roundup_set.py rebuilds the hand-labelled set from the crawl by each sentence's hash; a change
    # to the summary splitter that moves a labelled sentence must fail here, not shrink the set silently
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    labels_path = root / "bench" / labels_file
    labels = json.loads(labels_path.read_text())
    out = tmp_path / "roundup.jsonl"
    cmd = [sys.executable, str(root / "bench" / "roundup_set.py"), "--out", str(out), "--labels", str(labels_path)]
    subprocess.run(cmd, check=True)
    pairs = load_pairs(out)
    assert len(pairs) == len(labels) == n
    assert [p.label for p in pairs] == [x["label"] for x in labels]
    assert sum(x["label"] for x in labels) == supported
    roundups = {}
    for line in CRAWL.open(encoding="utf-8"):
        r = json.loads(line)
        roundups[r["id"]] = r["roundup"][0].replace("\xa0", " ")
    assert len({x["story"] for x in labels}) == stories
    for p, x in zip(pairs, labels, strict=True):
        assert p.summary in roundups[x["story"]]  # the editor's sentence, from the labelled story
        assert len(p.doc.split("\n\n")) >= 2  # two or more outlets' articles


def test_roundup_batch4_shares_no_story_with_the_first_three():
    # batch 4 is the untouched test of the shipped checker on roundup text: none of its stories may
    # appear among the 81 stories of batches 1-3, which played a part in choosing the checker
    root = Path(__file__).resolve().parents[1]
    first = json.loads((root / "bench" / "roundup_labels.json").read_text())
    fourth = json.loads((root / "bench" / "roundup_labels_batch4.json").read_text())
    assert {x["story"] for x in first}.isdisjoint({x["story"] for x in fourth})
    assert len({x["sha"] for x in fourth}) == len(fourth) == 105
    assert {x["label"] for x in fourth} == {0, 1}


def test_labels_and_fields_of_other_shapes_are_read_or_left_out_never_guessed(tmp_path, capsys):
    """Found in review: a -1 ("unsure") label crashed the run (and counted as consistent before that), a
    row without a label raised KeyError, FactCC-style CORRECT/INCORRECT read as no label at all, rows
    whose document field was named differently from the first row's raised KeyError, and a BOM failed."""
    from newsfuse.eval.check import pairs_from_items

    doc = "The council approved the budget on Monday."
    items = [
        {"article": doc, "summary": "a", "label": "CORRECT"},
        {"article": doc, "summary": "b", "label": "incorrect"},
        {"document": doc, "claim": "c", "label": True},
        {"article": doc, "summary": "d", "label": 1.0},
        {"article": doc, "summary": "e", "label": -1},
        {"article": doc, "summary": "f", "label": 2},
        {"article": doc, "summary": "g", "label": 0.67},
        {"article": doc, "summary": "h"},
        {"article": None, "summary": "i", "label": 0},
        {"article": doc, "summary": "j", "label": "0"},
    ]
    pairs = pairs_from_items(items, "mixed")
    assert [(p.summary, p.label) for p in pairs] == [("a", 1), ("b", 0), ("c", 1), ("d", 1), ("j", 0)]
    err = capsys.readouterr().err
    assert "left out 5 of 10 items" in err and "label -1" in err
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(items[:2]).encode())
    assert [p.label for p in load_pairs(path)] == [1, 0]
