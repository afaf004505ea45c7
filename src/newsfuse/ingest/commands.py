"""``newsfuse feeds ...`` (the feed list) and ``newsfuse watch`` (polling it).

The CLI root stores ``ctx.obj`` with ``settings`` and ``pipeline()``; these commands use it, or build
a ``Pipeline`` from ``ctx.obj.settings`` (or from the environment) when run on their own.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table
from rich.text import Text

__all__ = ["feeds_app", "watch_command"]

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

feeds_app = typer.Typer(
    help="Keep a list of feeds to watch (OPML import/export).",
    no_args_is_help=True,
    add_completion=False,
)


def _pipeline(ctx: typer.Context) -> Any:
    root = ctx.find_root()
    obj = root.obj
    maker = getattr(obj, "pipeline", None)
    if maker is not None:
        return maker() if callable(maker) else maker
    from ..config import load_settings
    from ..pipeline import Pipeline

    settings = getattr(obj, "settings", None) or load_settings()
    pipe = Pipeline(settings)
    root.call_on_close(pipe.close)
    return pipe


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/] {esc(message)}")
    return typer.Exit(code)


def _is_http(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


# --------------------------------------------------------------------------------------------------
# feeds
# --------------------------------------------------------------------------------------------------


@feeds_app.command("add")
def add_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="Feed URL (RSS, Atom, JSON Feed), or a page that links to one.")],
    title: Annotated[str | None, typer.Option("--title", help="Name to show (default: the feed's own title).")] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Fetch the URL first to check it is a feed (and find its title).")
    ] = True,
) -> None:
    """Add a feed to the list that 'newsfuse watch' polls."""
    url = url.strip()
    if not _is_http(url):
        raise _fail(f"not an http(s) URL: {url}")
    pipe = _pipeline(ctx)
    if check:
        from .feeds import feed_info, looks_like_feed
        from .http import FetchError, discover_feeds

        fetcher = pipe.fetcher
        try:
            res = fetcher.fetch(url)
        except FetchError as exc:
            raise _fail(f"cannot fetch {url}: {exc.reason} (use --no-check to add it anyway)") from None
        if not looks_like_feed(res.payload):
            found = discover_feeds(res.payload, res.final_url) if "html" in res.mime else []
            if not found:
                raise _fail(f"{url} is not a feed and links to none (use --no-check to add it anyway)")
            console.print(f"{url} is a page; it links to the feed {found[0]}", markup=False)
            url = found[0]
            try:
                res = fetcher.fetch(url)
            except FetchError as exc:
                raise _fail(f"cannot fetch {url}: {exc.reason}") from None
            if not looks_like_feed(res.payload):
                raise _fail(f"{url} is not a feed")
        if title is None:
            title = feed_info(res.payload).get("title") or None
    if pipe.repo.add_feed(url, title):
        console.print(f"added {url}" + (f" ({title})" if title else ""), markup=False)
    else:
        console.print(f"already listed: {url}", markup=False)


@feeds_app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the feeds as a JSON array.")] = False,
) -> None:
    """List the feeds with the outcome of their last poll."""
    import dataclasses

    feeds = _pipeline(ctx).repo.list_feeds()
    if as_json:
        print(json.dumps([dataclasses.asdict(f) for f in feeds], ensure_ascii=False))
        return
    if not feeds:
        console.print("no feeds yet: add one with 'newsfuse feeds add URL' or 'newsfuse feeds import FILE.opml'")
        return
    table = Table("feed", "title", "last checked", "status", show_lines=False)
    for f in feeds:
        status = f.last_status or "never polled"
        if f.error:
            status += f": {f.error}"
        table.add_row(*(Text(c) for c in (f.url, f.title or "", f.last_checked or "", status)))
    console.print(table)


@feeds_app.command("remove")
def remove_command(ctx: typer.Context, url: Annotated[str, typer.Argument(help="The feed URL as listed.")]) -> None:
    """Remove a feed from the list (its stored articles stay)."""
    if not _pipeline(ctx).repo.remove_feed(url.strip()):
        raise _fail(f"not in the feed list: {url} (see 'newsfuse feeds list')")
    console.print(f"removed {url.strip()}", markup=False)


@feeds_app.command("import")
def import_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="An OPML file (or an http(s) URL of one).")],
) -> None:
    """Add every feed of an OPML file (OPML 1.0 or 2.0) to the list."""
    from .opml import OpmlError, parse_opml

    pipe = _pipeline(ctx)
    limit = pipe.settings.max_bytes
    if _is_http(source):
        from .http import FetchError

        try:
            data = pipe.fetcher.fetch(source).payload
        except FetchError as exc:
            raise _fail(f"cannot fetch {source}: {exc.reason}") from None
    else:
        path = Path(source)
        try:
            if path.stat().st_size > limit:
                raise _fail(f"{source} is too large ({path.stat().st_size:,} bytes > {limit:,})")
            data = path.read_bytes()
        except OSError as exc:
            raise _fail(f"cannot read {source}: {exc.strerror or exc}") from None
    try:
        feeds, left_out = parse_opml(data)
    except OpmlError as exc:
        raise _fail(f"{source}: {exc}") from None
    added = 0
    with pipe.repo.transaction():
        for feed in feeds:
            added += bool(pipe.repo.add_feed(feed.url, feed.title))
    console.print(f"imported {added} new feed(s) from {source} ({len(feeds) - added} already listed)", markup=False)
    for where, why in left_out:
        console.print(f"  [yellow]left out[/] {esc(where)}: {esc(why)}")


@feeds_app.command("export")
def export_command(
    ctx: typer.Context,
    dest: Annotated[Path | None, typer.Argument(help="OPML file to write (default: standard output).")] = None,
) -> None:
    """Write the feed list as OPML 2.0."""
    from .opml import to_opml

    feeds = _pipeline(ctx).repo.list_feeds()
    data = to_opml(feeds)
    if dest is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    try:
        dest.write_bytes(data)
    except OSError as exc:
        raise _fail(f"cannot write {dest}: {exc.strerror or exc}") from None
    console.print(f"wrote {len(feeds)} feed(s) to {dest}", markup=False)


# --------------------------------------------------------------------------------------------------
# watch
# --------------------------------------------------------------------------------------------------


def _round_line(rr: Any, every: float | None) -> str:
    parts = [
        f"{len(rr.polls)} feed(s)",
        f"{rr.stored} new article(s)",
        f"{rr.count('not modified')} not modified",
    ]
    if rr.count("partial"):
        parts.append(f"{rr.count('partial')} partial")
    errors = rr.count("error")
    parts.append(f"[red]{errors} error(s)[/]" if errors else "0 errors")
    when = datetime.now().strftime("%H:%M:%S")
    return f"[{when}] round {rr.number}: " + ", ".join(parts) + f" in {rr.seconds:.1f} s"


def watch_command(
    ctx: typer.Context,
    every: Annotated[str, typer.Option("--every", help="Time between rounds, start to start: 30s, 10m, 1h.")] = "10m",
    once: Annotated[bool, typer.Option("--once", help="Poll every feed once, then stop.")] = False,
    rounds: Annotated[int | None, typer.Option("--rounds", min=1, help="Stop after this many rounds.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per round.")] = False,
) -> None:
    """Poll every listed feed, ingest new articles, repeat (Ctrl-C stops cleanly)."""
    from .watch import Watcher, parse_interval

    try:
        interval = parse_interval(every)
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    limit = 1 if once else rounds
    pipe = _pipeline(ctx)
    if not pipe.repo.list_feeds():
        raise _fail("no feeds to watch: add one with 'newsfuse feeds add URL' or 'newsfuse feeds import FILE.opml'")
    watcher = Watcher(pipe)
    done = 0
    status = err.status("starting", spinner="dots")
    live = err.is_terminal and not as_json

    def on_feed(i: int, n: int, record: Any) -> None:
        if live:
            status.update(f"round {done + 1}: polling {i}/{n} {esc(record.title or record.url)}")

    def on_round(rr: Any) -> None:
        nonlocal done
        done = rr.number
        if as_json:
            print(json.dumps(rr.to_dict(), ensure_ascii=False), flush=True)
            return
        console.print(_round_line(rr, interval))
        for poll in rr.polls:
            if poll.status in ("error", "partial"):
                console.print(f"  [yellow]{poll.status}[/] {esc(poll.url)}: {esc(str(poll.error))}")

    def wait(seconds: float, next_round: int) -> None:
        import time

        end = time.monotonic() + seconds
        nxt = datetime.fromtimestamp(time.time() + seconds).strftime("%H:%M:%S")
        if live:
            status.update(f"waiting: round {next_round} at {nxt} (Ctrl-C to stop)")
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.5))

    try:
        if live:
            status.start()
        watcher.run(interval, limit, on_round=on_round, on_feed=on_feed, wait=wait)
    except KeyboardInterrupt:
        if live:
            status.stop()
        err.print(f"stopped after {done} complete round(s); everything stored so far is kept")
        return
    finally:
        if live:
            status.stop()
    if not as_json:
        err.print(f"done: {done} round(s)")
