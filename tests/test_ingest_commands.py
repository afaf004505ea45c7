"""``newsfuse feeds ...`` and ``newsfuse watch`` end to end (CLI runner, local server, temporary store)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from newsfuse.ingest.commands import feeds_app, watch_command
from newsfuse.ingest.http import Fetcher

try:
    from .hostile_server import HostileServer, hostile  # noqa: F401
    from .ingest_fixtures import ITEMS, entity_bomb, page, rss20
    from .test_ingest_watch import RecordingPipeline
except ImportError:
    from hostile_server import HostileServer, hostile  # noqa: F401
    from ingest_fixtures import ITEMS, entity_bomb, page, rss20
    from test_ingest_watch import RecordingPipeline

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """The real ``newsfuse`` app on a temporary store, allowed to reach the local test server."""
    db = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("NEWSFUSE_DB", str(db))
    monkeypatch.setenv("NEWSFUSE_ALLOW_PRIVATE_ADDRESSES", "1")
    monkeypatch.setenv("NEWSFUSE_PER_HOST_DELAY", "0")
    monkeypatch.setenv("NEWSFUSE_RETRIES", "0")
    cli = pytest.importorskip("newsfuse.cli")
    names = {g.name for g in cli.app.registered_groups}
    if "feeds" not in names:
        pytest.skip("newsfuse.cli does not register 'feeds' yet")
    return cli.app


def run(app, *args: str):
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_cli_lists_the_commands(cli_env):
    out = run(cli_env, "--help").stdout
    assert "feeds" in out and "watch" in out
    sub = run(cli_env, "feeds", "--help").stdout
    for name in ("add", "list", "remove", "import", "export"):
        assert name in sub


def test_add_list_remove(cli_env, hostile: HostileServer):
    url = hostile.static("/rss", rss20(ITEMS, hostile.base), "application/rss+xml")
    r = run(cli_env, "feeds", "add", url)
    assert r.exit_code == 0 and f"added {url} (Harbour Courier)" in r.stdout
    assert "already listed" in run(cli_env, "feeds", "add", url).stdout
    r = run(cli_env, "feeds", "add", "https://offline.example/feed", "--title", "Offline", "--no-check")
    assert r.exit_code == 0
    listed = json.loads(run(cli_env, "feeds", "list", "--json").stdout)
    assert {(f["url"], f["title"]) for f in listed} == {
        (url, "Harbour Courier"),
        ("https://offline.example/feed", "Offline"),
    }
    table = run(cli_env, "feeds", "list").stdout
    assert "never polled" in table
    assert run(cli_env, "feeds", "remove", url).exit_code == 0
    r = run(cli_env, "feeds", "remove", url)
    assert r.exit_code == 1 and "not in the feed list" in r.stderr
    assert [f["url"] for f in json.loads(run(cli_env, "feeds", "list", "--json").stdout)] == [
        "https://offline.example/feed"
    ]


def test_add_checks_the_url(cli_env, hostile: HostileServer):
    feed = hostile.static("/feed.xml", rss20(ITEMS, hostile.base), "application/rss+xml")
    home = hostile.static(
        "/",
        '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>hi</body></html>',
    )
    r = run(cli_env, "feeds", "add", home)
    assert r.exit_code == 0 and f"it links to the feed {feed}" in r.stdout
    assert [f["url"] for f in json.loads(run(cli_env, "feeds", "list", "--json").stdout)] == [feed]
    plain = hostile.static("/plain", page(ITEMS[0]))
    r = run(cli_env, "feeds", "add", plain)
    assert r.exit_code == 1 and "is not a feed and links to none" in r.stderr
    r = run(cli_env, "feeds", "add", hostile.url("/missing"))
    assert r.exit_code == 1 and "HTTP 404 Not Found" in r.stderr and "--no-check" in r.stderr
    assert run(cli_env, "feeds", "add", "ftp://old.example/feed").exit_code == 1


def test_import_and_export(cli_env, tmp_path):
    src = tmp_path / "in.opml"
    src.write_text(
        '<?xml version="1.0"?><opml version="1.0"><body><outline text="News">'
        '<outline text="A" xmlUrl="https://a.example/rss"/><outline text="B" xmlUrl="https://b.example/atom"/>'
        '</outline><outline text="bad" xmlUrl="mailto:x@example.org"/></body></opml>'
    )
    r = run(cli_env, "feeds", "import", str(src))
    assert r.exit_code == 0 and "imported 2 new feed(s)" in r.stdout and "left out" in r.stdout
    assert "imported 0 new feed(s)" in run(cli_env, "feeds", "import", str(src)).stdout
    out = tmp_path / "out.opml"
    assert run(cli_env, "feeds", "export", str(out)).exit_code == 0
    from newsfuse.ingest.opml import parse_opml

    feeds, _ = parse_opml(out.read_bytes())
    assert [(f.url, f.title) for f in feeds] == [("https://a.example/rss", "A"), ("https://b.example/atom", "B")]
    stdout = run(cli_env, "feeds", "export").stdout
    assert stdout.startswith("<?xml") and "https://b.example/atom" in stdout


def test_import_refuses_entity_declarations_and_missing_files(cli_env, tmp_path):
    bomb = tmp_path / "bomb.opml"
    bomb.write_bytes(entity_bomb().replace(b"<rss", b"<opml").replace(b"</rss>", b"</opml>"))
    r = run(cli_env, "feeds", "import", str(bomb))
    assert r.exit_code == 1 and "declares XML entities" in r.stderr
    assert json.loads(run(cli_env, "feeds", "list", "--json").stdout) == []
    r = run(cli_env, "feeds", "import", str(tmp_path / "absent.opml"))
    assert r.exit_code == 1 and "cannot read" in r.stderr


# -- watch (with the recording pipeline: the network and feed-state logic, not the NLP stages) ------


@pytest.fixture
def watch_app(settings):
    net = settings.replace(per_host_delay=0.0, retries=0)
    fetcher = Fetcher(net, backoff=0.01)
    pipe = RecordingPipeline(net, fetcher)
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = SimpleNamespace(settings=net, pipeline=lambda: pipe)

    app.add_typer(feeds_app, name="feeds")
    app.command("watch")(watch_command)
    yield app, pipe
    fetcher.close()
    pipe.repo.close()


def test_watch_once_and_rounds(watch_app, hostile: HostileServer):
    app, pipe = watch_app
    for item in ITEMS:
        hostile.static(f"/news/{item.slug}", page(item))
    url = hostile.conditional("/feed", rss20(ITEMS, hostile.base, full=False), '"e1"', "Mon, 04 Mar 2024 08:00:00 GMT")
    pipe.repo.add_feed(url)
    r = run(app, "watch", "--once")
    assert r.exit_code == 0, r.output
    assert "round 1: 1 feed(s), 3 new article(s), 0 not modified, 0 errors" in r.stdout
    r = run(app, "watch", "--rounds", "2", "--every", "50ms", "--json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(d["round"], d["stored"], d["not_modified"]) for d in lines] == [(1, 0, 1), (2, 0, 1)]
    assert lines[0]["polls"][0]["status"] == "not modified"


def test_watch_reports_errors_and_refuses_bad_options(watch_app, hostile: HostileServer):
    app, pipe = watch_app
    r = run(app, "watch", "--once")
    assert r.exit_code == 1 and "no feeds to watch" in r.stderr
    pipe.repo.add_feed(hostile.url("/gone"))
    r = run(app, "watch", "--once")
    assert r.exit_code == 0 and "1 error(s)" in r.stdout and "HTTP 404 Not Found" in r.stdout
    r = run(app, "watch", "--every", "often")
    assert r.exit_code == 2 and "cannot read 'often'" in r.stderr


def test_watch_stops_cleanly_on_ctrl_c(watch_app, hostile: HostileServer):
    app, pipe = watch_app
    pipe.repo.add_feed(hostile.static("/rss", rss20(ITEMS, hostile.base), "application/rss+xml"))

    def interrupted(docs, progress=None, batch_size=32):
        raise KeyboardInterrupt

    pipe.ingest_raw = interrupted
    r = run(app, "watch", "--every", "1s")
    assert r.exit_code == 0
    assert "stopped after 0 complete round(s); everything stored so far is kept" in r.stderr
    assert pipe.repo.list_feeds()[0].last_checked is None  # the interrupted poll left no half state
