"""Each CLI command, run in-process through the real entry point."""

from __future__ import annotations

import json

import pytest

from fixtures_articles import write_jsonl
from newsfuse.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "cli.sqlite3")


@pytest.fixture
def loaded(capsys, db, tmp_path):
    code, out, err = run(capsys, "--db", db, "ingest", str(write_jsonl(tmp_path / "a.jsonl")))
    assert code == 0, err
    return db


def test_ingest_reports_counts_and_is_idempotent(capsys, loaded, tmp_path):
    code, out, _ = run(capsys, "--db", loaded, "ingest", "--json", str(tmp_path / "a.jsonl"))
    assert code == 0
    report = json.loads(out)
    assert report["stored"] == 0 and report["unchanged"] == 4


def test_articles_json_lines(capsys, loaded):
    code, out, _ = run(capsys, "--db", loaded, "articles", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 4
    assert {r["outlet"] for r in rows} == {"Harbor Ledger", "Valley Courier"}
    assert all(r["title"] and len(r["text"]) > 200 for r in rows)
    code, out, _ = run(capsys, "--db", loaded, "articles")
    assert code == 0 and "Harbor Ledger" in out


def test_stories_and_brief_in_every_format(capsys, loaded):
    code, out, _ = run(capsys, "--db", loaded, "stories", "--json")
    stories = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(stories) == 2
    sid = stories[0]["id"]
    code, md, _ = run(capsys, "--db", loaded, "brief", sid)
    assert code == 0 and md.startswith("#")
    code, js, _ = run(capsys, "--db", loaded, "brief", sid, "--format", "json")
    brief = json.loads(js)
    assert code == 0 and brief["story_id"] == sid and brief["synthesis"]
    code, html, _ = run(capsys, "--db", loaded, "brief", sid, "--format", "html")
    assert code == 0 and "<" in html and brief["headline"].split()[0] in html


def test_env_var_selects_the_store(capsys, loaded, monkeypatch):
    monkeypatch.setenv("NEWSFUSE_DB", loaded)
    code, out, _ = run(capsys, "stories", "--json")
    assert code == 0 and len(out.splitlines()) == 2


def test_check_command(capsys, loaded, tmp_path):
    from fixtures_articles import ARTICLES

    src = tmp_path / "src.txt"
    src.write_text(ARTICLES[0]["title"] + "\n\n" + ARTICLES[0]["text"], encoding="utf-8")
    summ = tmp_path / "summary.txt"
    summ.write_text(
        "Fire chief Tomas Varga said 60 firefighters from four stations fought the blaze for six hours. "
        "The mayor announced a ban on fireworks across the whole county.",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "--db", loaded, "check", str(summ), "--source", str(src), "--json")
    report = json.loads(out)
    assert code == 0
    labels = [v["label"] for v in report["verdicts"]]
    assert labels[0] == "supported" and labels[1] != "supported"
    code, _, _ = run(capsys, "--db", loaded, "check", str(summ), "--source", str(src), "--strict")
    assert code == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "/no/such/file.html"], "no such file"),
        (["ingest", "a" * 300], "no such file"),  # a name too long for the file system (ENAMETOOLONG)
        (["brief", "s-does-not-exist"], "no store at"),
        (["check", "/no/summary.txt", "--source", "x"], "summary file not found"),
    ],
)
def test_errors_are_one_line_without_traceback(capsys, db, args, message):
    code, out, err = run(capsys, "--db", db, *args)
    text = out + err
    assert code != 0
    assert message in text.lower()
    assert "Traceback" not in text


def test_read_commands_refuse_a_store_that_does_not_exist(capsys, tmp_path, loaded):
    missing = tmp_path / "typo" / "dir" / "x.sqlite3"
    for args in (["stories"], ["articles"], ["brief", "s-1"], ["check", "-", "--story", "s-1"]):
        code, out, err = run(capsys, "--db", str(missing), *args)
        assert code == 2 and "no store at" in err and "Traceback" not in out + err, args
    assert not (tmp_path / "typo").exists()
    # an existing store answers as before, an unknown story in it is named as such
    code, out, err = run(capsys, "--db", loaded, "brief", "s-does-not-exist")
    assert code == 2 and "no story" in err.lower()


def test_bad_option_value_is_a_usage_error(capsys, db):
    code, out, err = run(capsys, "--db", db, "brief", "x", "--format", "pdf")
    assert code == 2 and "Traceback" not in out + err


def test_a_limit_below_one_is_a_usage_error(capsys, loaded):
    for cmd in ("articles", "stories"):
        code, out, err = run(capsys, "--db", loaded, cmd, "--limit", "-1")
        assert code == 2 and "Traceback" not in out + err and "limit" in (out + err).lower()
    code, out, _ = run(capsys, "--db", loaded, "articles", "--json", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 1


def test_read_commands_find_a_store_named_by_url_or_home(capsys, loaded, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    code, _, err = run(capsys, "--db", "~/x.sqlite3", "ingest", str(write_jsonl(tmp_path / "b.jsonl")))
    assert code == 0 and (home / "x.sqlite3").is_file(), err
    for db in (f"sqlite:///{loaded}", "~/x.sqlite3"):
        code, out, err = run(capsys, "--db", db, "stories", "--json")
        assert code == 0 and out.strip(), (db, err)


def test_ctrl_c_during_ingest_says_what_was_stored(capsys, db, tmp_path, monkeypatch):
    from newsfuse.model import IngestReport
    from newsfuse.pipeline import Pipeline

    def interrupted(self, inputs, progress=None, batch_size=32):
        exc = KeyboardInterrupt()
        exc.report = IngestReport(seen=3, stored=2, duplicates=1)
        raise exc

    monkeypatch.setattr(Pipeline, "ingest", interrupted)
    code, out, err = run(capsys, "--db", db, "ingest", str(write_jsonl(tmp_path / "a.jsonl")))
    assert code == 130
    assert "interrupted after reading 3: stored 2 (1 duplicates)" in " ".join(err.split())


def test_stored_text_with_square_brackets_is_printed_not_read_as_markup(capsys, tmp_path):
    """Found in review: a stored title such as "Vote [/b] tonight" made `newsfuse articles` fail with a
    markup error, and "[updated]" vanished from a printed summary sentence."""
    from newsfuse.model import Article
    from newsfuse.store import open_repository

    db = str(tmp_path / "m.sqlite3")
    repo = open_repository(db)
    repo.add_article(
        Article(id="a1", title="Council vote [/b] tonight [bold]now", text="The council votes tonight.", outlet="x")
    )
    repo.close()
    code, out, err = run(capsys, "--db", db, "articles")
    assert code == 0 and "Traceback" not in out + err
    cells = "".join(line.split("│")[3] for line in out.splitlines() if line.count("│") > 3)  # the title column
    assert "".join(cells.split()) == "Councilvote[/b]tonight[bold]now"
    summ = tmp_path / "s.txt"
    summ.write_text("The council votes tonight [updated].", encoding="utf-8")
    src = tmp_path / "src.txt"
    src.write_text("The council votes tonight on the new budget, the clerk said on Monday. " * 4, encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "check", str(summ), "--source", str(src))
    assert code == 0 and "[updated]" in out and "evidence [src]" in out.replace("\n", " ")


def test_check_needs_no_store_and_refuses_a_binary_summary(capsys, tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("The council votes tonight on the new budget, the clerk said on Monday. " * 4, encoding="utf-8")
    summ = tmp_path / "s.txt"
    summ.write_text("The council votes tonight.", encoding="utf-8")
    typo = tmp_path / "typo" / "x.sqlite3"
    code, out, err = run(capsys, "--db", str(typo), "check", str(summ), "--source", str(src))
    assert code == 0 and "sentences supported" in out
    assert not typo.exists() and not typo.parent.exists()
    binary = tmp_path / "b.txt"
    binary.write_bytes(bytes(range(256)) * 8)
    code, out, err = run(capsys, "--db", str(typo), "check", str(binary), "--source", str(src))
    assert code == 2 and "the summary is not text" in err
