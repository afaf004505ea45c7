"""``newsfuse serve``: the web reader and JSON API over the CLI's store (FastAPI on uvicorn).

Imports nothing heavy at module level: the CLI imports this file for ``--help``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

__all__ = ["serve_command"]


def _state(ctx: typer.Context) -> Any:
    """The CLI's state (``settings`` and ``pipeline()``); built from the environment when run standalone."""
    root = ctx.find_root()
    if root.obj is None:
        from ..cli import State
        from ..config import load_settings

        root.obj = State(load_settings())
    return root.obj


def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help="Poll the stored feeds in the background.")] = False,
    every: Annotated[str, typer.Option(help="How often --watch polls, e.g. 30s, 10m, 1h.")] = "10m",
) -> None:
    """Serve the web reader and the JSON API (docs at /api/docs) on the same store as the CLI."""
    from ..cli import UserError
    from ..ingest.watch import parse_interval

    try:
        every_s = parse_interval(every)
    except ValueError as exc:
        raise UserError(f"--every: {exc}") from exc
    import uvicorn

    from .app import create_app

    _check_can_listen(host, port, UserError)
    st = _state(ctx)
    settings = st.settings
    app = create_app(settings, st.pipeline(), watch_every=every_s if watch else None)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"newsfuse: serving http://{shown}:{port}/ (API reference at /api/docs)", err=True)
    if not settings.api_token:
        typer.echo("newsfuse: writes are disabled; set NEWSFUSE_API_TOKEN to enable them", err=True)
    if watch:
        typer.echo(f"newsfuse: polling stored feeds every {every}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False, proxy_headers=True)


def _check_can_listen(host: str, port: int, error: type[Exception]) -> None:
    """Fail with one clear line, before the banner, when the address is taken or cannot be bound."""
    import socket

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise error(f"cannot listen on {host}:{port}: {why} (is another server running? try --port)") from None
