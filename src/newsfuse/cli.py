"""The ``newsfuse`` command line: thin wrappers that parse, call the pipeline and print."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table
from rich.text import Text

from .config import ConfigError, Settings, load_settings

__all__ = ["app", "main", "State"]

console = Console()
err = Console(stderr=True)


def _plain(*cells: str) -> list[Text]:
    """Table cells shown as they are: a stored title such as "Vote [/b] tonight" is text, not markup."""
    return [Text(c) for c in cells]


app = typer.Typer(
    name="newsfuse",
    help="Many outlets' coverage in, one cited and checked account of each story out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure a stage against a public benchmark (prints peers beside newsfuse).")
bench_app = typer.Typer(help="Speed and scale benchmarks.")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")


class UserError(Exception):
    """An error the user can fix; printed as one line, exit code 2."""


@dataclass
class State:
    settings: Settings
    _pipeline: Any = None

    def pipeline(self, *, existing: bool = False) -> Any:
        """The pipeline on the configured store. ``existing``: a command that only reads the store
        refuses one that does not exist, rather than creating an empty store (and its folders) at a
        mistyped ``--db`` path and listing nothing."""
        if self._pipeline is None:
            from .pipeline import Pipeline
            from .store import store_exists

            db = self.settings.db
            if existing and db and not store_exists(db):
                raise UserError(
                    f"no store at {db}: check --db / NEWSFUSE_DB, or run 'newsfuse ingest' or 'newsfuse demo' first"
                )
            self._pipeline = Pipeline(self.settings)
        return self._pipeline


def _state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if obj is None:  # a sub-command invoked directly in tests
        obj = State(load_settings())
        ctx.find_root().obj = obj
    return obj


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="Store file (default: NEWSFUSE_DB or the user data dir).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="TOML settings file.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each skipped input and stage.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    settings = load_settings(config, db=db)
    # commands that build their models without the settings object (eval, bench) read the precision from here
    os.environ["NEWSFUSE_PRECISION"] = settings.precision
    ctx.obj = State(settings)


def _progress(description: str):  # noqa: ANN202
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _print_report(report: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    console.print(
        f"read {report.seen}, stored {report.stored} ({report.duplicates} duplicates), "
        f"already stored {report.unchanged}, skipped {len(report.skipped)}"
    )
    for loc, reason in report.skipped[:50]:
        console.print(f"  [yellow]skipped[/] {esc(loc)}: {esc(reason)}", highlight=False)
    if len(report.skipped) > 50:
        console.print(f"  ... and {len(report.skipped) - 50} more (use --json for all)")


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


@app.command()
def ingest(
    ctx: typer.Context,
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, JSON Lines, feed files, or http(s) URLs.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
) -> None:
    """Ingest articles: extract, drop duplicates, group into stories, store."""
    for item in inputs:
        if "://" not in item and not _exists(item):
            raise UserError(f"no such file or folder: {item[:200]}")
    st = _state(ctx)
    pipe = st.pipeline()
    with _progress("ingest") as prog:
        task = prog.add_task("ingesting", total=None)
        try:
            report = pipe.ingest(inputs, progress=lambda _s, n, _t: prog.update(task, completed=n))
        except KeyboardInterrupt as exc:  # before click turns it into Abort and the report is lost
            prog.stop()
            _say_interrupted(exc)
            raise typer.Exit(130) from None
    _print_report(report, as_json)
    if report.seen == 0:
        raise UserError("nothing to ingest in " + ", ".join(inputs))
    if report.skipped and not (report.stored or report.unchanged):
        raise typer.Exit(1)  # every input was skipped: the report above says why


@app.command()
def reextract(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Rerun extraction on the stored raw pages (after an extractor improvement); no fetching."""
    pipe = _state(ctx).pipeline()
    with _progress("reextract") as prog:
        task = prog.add_task("re-extracting", total=None)
        report = pipe.reextract(progress=lambda _s, n, _t: prog.update(task, completed=n))
    _print_report(report, as_json)


@app.command()
def articles(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one article per line, with full text.")] = False,
    story: Annotated[str | None, typer.Option(help="Only this story's articles.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many.", min=1)] = None,
) -> None:
    """List stored articles (outlet, title, cleaned text)."""
    from .store import ArticleQuery

    pipe = _state(ctx).pipeline(existing=True)
    rows = pipe.repo.list_articles(ArticleQuery(story_id=story, limit=limit))
    if as_json:
        for a in rows:
            print(json.dumps(a.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} articles in {esc(str(pipe.repo.location))}")
    for col in ("id", "outlet", "title", "story", "words", "note"):
        table.add_column(col, overflow="fold")
    for a in rows:
        table.add_row(
            *_plain(
                a.id,
                a.outlet,
                a.title,
                a.story_id or "",
                str(len(a.text.split())),
                f"duplicate of {a.duplicate_of}" if a.duplicate_of else "",
            )
        )
    console.print(table)


@app.command()
def stories(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one story per line.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many.", min=1)] = None,
) -> None:
    """List stories, most outlets and freshest first."""
    pipe = _state(ctx).pipeline(existing=True)
    rows = pipe.repo.list_stories(limit=limit)
    if as_json:
        for s in rows:
            print(json.dumps(s.to_dict(), ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} stories")
    for col in ("id", "outlets", "articles", "title", "last seen"):
        table.add_column(col, overflow="fold")
    for s in rows:
        table.add_row(*_plain(s.id, str(len(s.outlets)), str(len(s.article_ids)), s.title, s.last_seen or ""))
    console.print(table)


class Format(StrEnum):
    md = "md"
    json = "json"
    html = "html"


@app.command()
def brief(
    ctx: typer.Context,
    story_id: Annotated[str, typer.Argument(help="A story id from 'newsfuse stories'.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.md,
    rebuild: Annotated[bool, typer.Option(help="Rebuild even if a stored brief is fresh.")] = False,
) -> None:
    """Print the brief of one story (built on demand)."""
    from .brief import render
    from .pipeline import NotFound

    pipe = _state(ctx).pipeline(existing=True)
    try:
        b = pipe.brief(story_id, rebuild=rebuild)
    except NotFound as exc:
        raise UserError(str(exc)) from exc
    if fmt is Format.json:
        print(render.to_json(b))
    elif fmt is Format.html:
        print(render.to_html(b))
    else:
        print(render.to_markdown(b))


def _load_source(pipe: Any, src: str) -> list[Any]:
    """A --source value: a stored article id, a file, or a URL -> Articles."""
    from .pipeline import SourceUnreadable

    art = pipe.repo.get_article(src)
    if art is not None:
        return [art]
    try:
        return pipe.read_source(src)
    except SourceUnreadable as exc:
        raise UserError(f"cannot read source {src}: {exc}") from exc


@app.command()
def check(
    ctx: typer.Context,
    summary: Annotated[str, typer.Argument(help="Summary file (or '-' for standard input).")],
    source: Annotated[list[str] | None, typer.Option("--source", "-s", help="Source file, URL or article id.")] = None,
    story: Annotated[str | None, typer.Option("--story", help="Use this story's articles as the sources.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any sentence is not supported.")] = False,
) -> None:
    """Check every sentence of a summary against its sources."""
    from .extract import decode_payload, sniff_binary
    from .pipeline import NotFound
    from .store import store_exists

    st = _state(ctx)
    if story:
        st.pipeline(existing=True)  # refuse a missing store before waiting on standard input
    elif st.settings.db and not store_exists(st.settings.db):
        # files and URLs need no store: check them without creating one at a mistyped --db path
        st.settings = st.settings.replace(db=":memory:")
    if summary == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    else:
        p = Path(summary)
        if not p.is_file():
            raise UserError(f"summary file not found: {summary}")
        data = p.read_bytes()
    kind = sniff_binary(data)
    if kind:
        raise UserError(f"the summary is not text ({kind})")
    text = decode_payload(data)
    if not text.strip():
        raise UserError("the summary is empty")
    pipe = st.pipeline(existing=bool(story))
    sources: list[Any] = []
    if story:
        try:
            sources += pipe.story_articles(story)
        except NotFound as exc:
            raise UserError(str(exc)) from exc
    for src in source or []:
        sources += _load_source(pipe, src)
    if not sources:
        raise UserError("give at least one --source or a --story")
    report = pipe.check(text, sources)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        colors = {"supported": "green", "unsupported": "yellow", "contradicted": "red"}
        for i, v in enumerate(report.verdicts, start=1):
            console.print(
                f"[bold]{i}.[/] [{colors[v.label]}]{v.label}[/] ({v.score:.2f}) {esc(v.sentence)}", highlight=False
            )
            for ev in v.evidence[:1]:
                console.print(
                    f"     evidence [{ev.outlet or '?'}]: {ev.text}", style="dim", highlight=False, markup=False
                )
        n_ok = sum(v.label == "supported" for v in report.verdicts)
        console.print(f"summary score {report.score:.2f}: {n_ok}/{len(report.verdicts)} sentences supported")
    if strict and report.unsupported:
        raise typer.Exit(1)


@app.command()
def demo(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Folder for the static site and JSON briefs.")] = Path("newsfuse-demo"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the table.")] = False,
) -> None:
    """Ingest the bundled example corpus, build every brief, write a static site."""
    from .demo import run_demo

    st = _state(ctx)
    with _progress("demo") as prog:
        task = prog.add_task("demo", total=None)

        def progress(stage: str, n: int, total: int | None) -> None:
            prog.update(task, description=stage, completed=n, total=total)

        result = run_demo(st.pipeline(), out, progress=progress)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    table = Table(
        title=f"{result['stories']} stories from {result['articles']} articles ({result['duplicates']} duplicates)"
    )
    for col in ("story", "outlets", "headline"):
        table.add_column(col, overflow="fold")
    for row in result["table"]:
        table.add_row(*_plain(row["id"], str(row["outlets"]), row["headline"]))
    console.print(table)
    console.print(
        f"site written to [bold]{esc(str(result['out']))}[/] (open index.html); store: {esc(str(result['db']))}"
    )
    if result["skipped"]:
        err.print(
            f"[yellow]warning:[/] {result['skipped']} corpus file(s) skipped; the bundled corpus should "
            f"ingest whole (first: {esc(str(result['skipped_reasons'][0]))})"
        )


def _register_optional() -> None:
    """Commands that live in their stage's package, registered here so the CLI stays one tree."""
    import importlib

    for name in ("extract", "cluster", "pairs", "summarize", "check"):
        try:
            mod = importlib.import_module(f"newsfuse.eval.{name}")
        except ImportError:
            continue
        eval_app.command(name)(mod.command)
    try:
        from .cluster.bench import command as bench_cluster

        bench_app.command("cluster")(bench_cluster)
    except ImportError:
        pass
    try:
        from .check.train import command as train_checker

        app.command("train-checker")(train_checker)
    except ImportError:
        pass
    try:
        from .ingest.commands import feeds_app, watch_command

        app.add_typer(feeds_app, name="feeds", help="Keep a list of feeds (OPML import/export).")
        app.command("watch")(watch_command)
    except ImportError:
        pass
    try:
        from .serve.commands import serve_command

        app.command("serve")(serve_command)
    except ImportError:
        pass


_register_optional()


_said_interrupted: list[bool] = []


def _say_interrupted(exc: BaseException | None = None) -> None:
    """Ctrl-C: say what an interrupted ingest kept (its report rides on the exception), once."""
    if _said_interrupted:
        return
    _said_interrupted.append(True)
    report = getattr(exc, "report", None)
    if report is not None:
        err.print(
            f"interrupted after reading {report.seen}: stored {report.stored} ({report.duplicates} duplicates), "
            f"already stored {report.unchanged}, skipped {len(report.skipped)}; they are kept (rerun to continue)"
        )
    else:
        err.print("interrupted; everything stored so far is kept (rerun to continue)")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning expected errors into one line on stderr (exit 2)."""
    from .store import StoreError

    _said_interrupted.clear()
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:
            if rc == 130:  # click turned a Ctrl-C into its Abort and returned the code
                _say_interrupted()
            sys.exit(rc)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (UserError, ConfigError, StoreError, FileNotFoundError, PermissionError) as exc:
        err.print(f"[red]error:[/] {esc(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt as exc:
        _say_interrupted(exc)
        sys.exit(130)
    except Exception as exc:  # usage errors (click's, or the copy vendored by typer) and the rest
        if hasattr(exc, "show") and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        if type(exc).__name__ == "Abort":  # click turns Ctrl-C into Abort
            _say_interrupted(exc.__cause__ or exc.__context__)
            sys.exit(130)
        err.print(f"[red]error:[/] {type(exc).__name__}: {esc(str(exc))} (run with -v for details)", highlight=False)
        if logging.getLogger().isEnabledFor(logging.INFO):
            raise
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
