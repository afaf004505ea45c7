"""``newsfuse eval summarize`` on a tiny NeuS-format file written here (hashing encoder: no model)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from newsfuse.eval import summarize
from newsfuse.eval.summarize import _Tokenizer, evaluate, load_neus

_spec = importlib.util.spec_from_file_location("_brief_story", Path(__file__).with_name("test_brief.py"))
_story = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_story)

SOURCE = [
    " [SEP] ".join(f"TITLE=> {a.title}. ARTICLE=> {a.text.replace(chr(10), ' ')}" for a in _story.STORY),
    "TITLE=> Council backs new park plan. ARTICLE=> The city council approved a plan for two new parks on Monday. "
    "Work starts in May. [SEP] TITLE=> Parks plan passes. ARTICLE=> Two new parks were approved by the council on "
    "Monday, officials said. Councillors split 7 to 2 on it.",
]
TARGET = [
    "TITLE=> Fire on ferry at Port Halvard injures passengers. ARTICLE=> A fire on the passenger ferry Nordlys at Port "
    "Halvard injured at least 12 people on Tuesday. The fire started in the engine room.",
    "TITLE=> Council approves two parks. ARTICLE=> The city council approved two new parks on Monday by a vote of 7 to 2.",
]


def _files(tmp_path: Path) -> tuple[Path, Path]:
    src, tgt = tmp_path / "val.source", tmp_path / "val.target"
    src.write_text("\n".join(SOURCE) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(TARGET) + "\n", encoding="utf-8")
    return src, tgt


def test_load_neus_parses_titles_and_articles(tmp_path):
    src, tgt = _files(tmp_path)
    data = load_neus(src, tgt)
    assert len(data) == 2
    parts, (ref_title, ref_text) = data[1]
    assert [t for t, _ in parts] == ["Council backs new park plan.", "Parks plan passes."]
    assert parts[1][1].startswith("Two new parks") and ref_title == "Council approves two parks."
    assert ref_text.startswith("The city council approved")
    assert len(load_neus(src, tgt, limit=1)) == 1


def test_tokenizer_for_sumy():
    tok = _Tokenizer()
    assert tok.to_sentences("Dr. Okafor reached the quay by 5 p.m. with the crew. Officials agreed.") == [
        "Dr. Okafor reached the quay by 5 p.m. with the crew.",
        "Officials agreed.",
    ]
    assert tok.to_words("The U.S. isn't here") == ["The", "U", "S", "isn't", "here"]


def test_evaluate_reports_all_systems(tmp_path):
    src, tgt = _files(tmp_path)
    res = evaluate(src, tgt, sentences=3, encoder=_story.ENC)
    assert res["task"] == "summarize" and res["n"] == 2
    systems = res["systems"]
    expected = {
        "newsfuse",
        "lead3",
        "first_sentences",
        "lexrank",
        "textrank",
        "centroid_minilm",
        "oracle",
        "central_title",
    }
    assert set(systems) == expected
    for name, metrics in systems.items():
        for key, value in metrics.items():
            assert 0.0 <= value <= 1.0, (name, key, value)
    assert {"rouge1", "rouge2", "rouge_l", "headline_rouge1", "headline_rouge2", "headline_rouge_l"} <= set(
        systems["newsfuse"]
    )
    assert set(systems["central_title"]) == {"headline_rouge1", "headline_rouge2", "headline_rouge_l"}
    # the oracle is an upper bound for ROUGE-2 among the extractive systems here
    assert systems["oracle"]["rouge2"] >= max(m.get("rouge2", 0) for n, m in systems.items() if n != "oracle") - 1e-9


def test_command_json(tmp_path, monkeypatch):
    src, tgt = _files(tmp_path)
    real = summarize.evaluate
    monkeypatch.setattr(summarize, "evaluate", lambda *a, **k: real(*a, **{**k, "encoder": _story.ENC}))
    app = typer.Typer()
    app.command()(summarize.command)
    out = CliRunner().invoke(app, [str(src), str(tgt), "--json", "--limit", "1"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["n"] == 1 and "newsfuse" in data["systems"]


def test_load_neus_skips_blank_stories_and_reads_line_ends_only(tmp_path, capsys):
    """Found in review: a blank story line crashed the evaluation (argmax of an empty sequence), a
    trailing blank line in one file made the two files "differ in length", and U+2028 inside a text
    split one story in two."""
    src, tgt = tmp_path / "s.source", tmp_path / "s.target"
    story = "TITLE=> Ferry resumes ARTICLE=> The island ferry runs again,\u2028the operator said."
    src.write_text(f"{story}\n\n{story}\n", encoding="utf-8")
    tgt.write_text("TITLE=> A ARTICLE=> Ferry back.\nTITLE=> B ARTICLE=> x\nTITLE=> C ARTICLE=> Ferry again.\n\n")
    data = load_neus(src, tgt)
    assert [ref[0] for _parts, ref in data] == ["A", "C"]
    assert "\u2028" in data[0][0][0][1]
    assert "left out 1 line" in capsys.readouterr().err
