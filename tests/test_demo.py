"""The demo on the bundled corpus: grouping matches the corpus design; the site is written."""

from __future__ import annotations

import json
import re

import pytest

from newsfuse.demo import CORPUS_DIR
from newsfuse.pipeline import Pipeline

EXPECTED = json.loads((CORPUS_DIR / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    from newsfuse.config import load_settings
    from newsfuse.demo import run_demo

    tmp = tmp_path_factory.mktemp("demo")
    pipe = Pipeline(load_settings(db=str(tmp / "demo.sqlite3")))
    result = run_demo(pipe, tmp / "site")
    yield pipe, result
    pipe.close()


def _locate(pipe):
    """Map each expected item name to its stored article."""
    from newsfuse.store import ArticleQuery

    arts = pipe.repo.list_articles(ArticleQuery())
    raws = dict(pipe.repo.iter_raw())
    index = {}
    for a in arts:
        raw = raws[a.id]
        loc = raw.location.split(str(CORPUS_DIR) + "/", 1)[-1]
        index[loc] = a
        # multi-article files (feeds "file#link", JSON Lines "file:line") are named "file#url"
        base = re.sub(r":\d+$", "", loc.split("#", 1)[0])
        if base != loc:
            index[base + "#" + (a.url or "")] = a
    return index


def test_every_corpus_item_is_stored(demo_run):
    pipe, result = demo_run
    index = _locate(pipe)
    items = [i for s in EXPECTED["stories"].values() for i in s["items"]]
    missing = [i for i in items if i not in index]
    assert not missing, f"not stored: {missing}; stored: {sorted(index)}"
    assert result["skipped"] == 0


def test_stories_match_the_corpus_design(demo_run):
    pipe, _ = demo_run
    index = _locate(pipe)
    story_of = {}
    for key, story in EXPECTED["stories"].items():
        ids = {index[i].story_id for i in story["items"]}
        assert len(ids) == 1, f"story {key!r} was split into {len(ids)} stories"
        story_of[key] = ids.pop()
    assert len(set(story_of.values())) == len(story_of), "two expected stories were merged"
    for a, b in EXPECTED.get("same_kind_pairs", []):
        assert story_of[a] != story_of[b]
    for key in EXPECTED.get("singles", []):
        members = [a for a in pipe.repo.list_articles() if a.story_id == story_of[key]]
        assert len(members) == 1


def test_wire_copy_is_recognised(demo_run):
    pipe, result = demo_run
    index = _locate(pipe)
    for copy, original in EXPECTED["duplicates"]:
        assert index[copy].duplicate_of == index[original].id or index[original].duplicate_of == index[copy].id
    assert result["duplicates"] == len(EXPECTED["duplicates"])


def test_site_and_json_written(demo_run):
    pipe, result = demo_run
    from pathlib import Path

    out = Path(result["out"])
    assert (out / "index.html").is_file()
    assert result["stories"] == pipe.repo.count_stories() == len(list((out / "stories").glob("*.html")))
    briefs = json.loads((out / "briefs.json").read_text(encoding="utf-8"))
    assert len(briefs) == result["stories"]
    assert all(b["headline"] and b["synthesis"] for b in briefs)


def test_briefs_show_the_corpus_figure_conflicts_and_few_others(demo_run):
    """The corpus was written with two figures that outlets report differently (people injured, vehicles per
    day): each brief must show them with every outlet's figure, and not pad the section with numbers that
    count different things (before the fix: 22 conflicts, among them "Pier 9" against "12 people" and
    "$68,000 a year" against "$12 million in state tax credits")."""
    pipe, result = demo_run
    index = _locate(pipe)
    from pathlib import Path

    briefs = json.loads((Path(result["out"]) / "briefs.json").read_text(encoding="utf-8"))
    by_story = {b["story_id"]: b for b in briefs}
    found = [c for b in briefs for c in b["figure_conflicts"]]
    for expected in EXPECTED["figure_conflicts"]:
        story_id = index[next(iter(expected["values"]))].story_id
        want = {index[item].outlet: value for item, value in expected["values"].items()}
        shown = [c["values"] for c in by_story[story_id]["figure_conflicts"]]
        assert any(all(_number(v.get(outlet)) == _number(value) for outlet, value in want.items()) for v in shown), (
            f"{expected['fact']}: {want} not among {shown}"
        )
    assert len(found) <= len(EXPECTED["figure_conflicts"]) + 1, [c["description"] for c in found]


def _number(text):
    words = {"twelve": "12", "fourteen": "14"}
    return None if text is None else words.get(text.lower(), text.replace(",", ""))


def test_demo_cli_json(capsys, tmp_path):
    from newsfuse.cli import main

    try:
        main(["--db", str(tmp_path / "d.sqlite3"), "demo", "--json", "--out", str(tmp_path / "site")])
    except SystemExit as exc:
        assert not exc.code
    result = json.loads(capsys.readouterr().out)
    assert {"stories", "articles", "duplicates", "out"} <= set(result)
    assert result["duplicates"] >= 1 and result["stories"] >= 8
