"""``create_app(settings, pipeline=None) -> FastAPI``: the web reader and the JSON API on one store.

Startup is light: the store opens on the first request and no model loads until a brief is built or a
summary checked. ``watch_every`` (seconds) starts a background thread that polls the stored feeds.
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..config import Settings, load_settings
from .security import (
    SECURITY_HEADERS,
    ApiError,
    AuthPolicy,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    TokenBucketLimiter,
)
from .service import NewsService, root_of

__all__ = ["create_app", "FeedWatcher"]

log = logging.getLogger("newsfuse.serve")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

_TITLES = {
    400: "That request didn't make sense",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too much data",
    415: "Unsupported form",
    422: "Invalid input",
    429: "Slow down",
    500: "Something went wrong",
    503: "Not available here",
}


class FeedWatcher:
    """A daemon thread that polls the stored feeds every ``every_s`` seconds until stopped."""

    def __init__(self, service: NewsService, every_s: float) -> None:
        self.service = service
        self.every_s = max(1.0, float(every_s))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="newsfuse-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.service.poll_feeds()
                self.rounds += 1
                self.last_error = None
                stored = getattr(report, "stored", None)
                log.info("feed poll %d done%s", self.rounds, f": {stored} new articles" if stored is not None else "")
            except Exception as exc:  # noqa: BLE001 - one failed round must not stop the watcher
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("feed poll failed")
            self._stop.wait(self.every_s)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    root = root_of(request.scope)
    if root and path.startswith(root):
        path = path[len(root) :]
    return (path.startswith("/api/") and path != "/api/docs") or path == "/openapi.json"


def _error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
    from .pages import render

    try:
        return render(
            request,
            "error.html",
            status=status,
            code=status,
            title=_TITLES.get(status, "Error"),
            message=message,
            headers_=headers,
        )
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        log.exception("rendering the error page failed")
        return HTMLResponse("<!doctype html><title>Error</title><p>Something went wrong.</p>", status_code=status)


def _add_headers(resp: Response, headers: dict[str, str] | None) -> Response:
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "bad_request", "the request body is not valid JSON"
    parts = []
    for e in errors[:5]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body",)) or "body"
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return 422, "validation_error", "; ".join(parts) + more


def create_app(
    settings: Settings | None = None,
    pipeline: Any | None = None,
    *,
    watch_every: float | None = None,
    brief_wait_s: float = 8.0,
    prefetch_briefs: bool = True,
) -> FastAPI:
    """The newsfuse web app. ``pipeline`` defaults to ``Pipeline(settings)`` (same store as the CLI)."""
    settings = settings or load_settings()
    own_pipeline = pipeline is None
    if pipeline is None:
        from ..pipeline import Pipeline

        pipeline = Pipeline(settings)
    service = NewsService(settings, pipeline, brief_wait_s=brief_wait_s, prefetch=prefetch_briefs)
    watcher = FeedWatcher(service, watch_every) if watch_every else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # noqa: ANN202
        if watcher is not None:
            watcher.start()
        try:
            yield
        finally:
            if watcher is not None:
                watcher.stop()
            service.close()
            if own_pipeline:
                pipeline.close()

    from .. import __version__

    app = FastAPI(
        title="newsfuse",
        version=__version__,
        summary="Many outlets' coverage in, one cited and checked account of each story out.",
        description="Stories, their cited briefs, articles, feeds and claim checks. Errors are "
        '`{"error": {"code", "message"}}`. Writes need `Authorization: Bearer <NEWSFUSE_API_TOKEN>`.',
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    from .pages import STATIC_DIR, make_templates

    app.state.settings = settings
    app.state.service = service
    app.state.watcher = watcher
    app.state.auth = AuthPolicy(settings.api_token, settings.public_reads)
    app.state.limiter = TokenBucketLimiter(settings.rate_limit_per_minute)
    app.state.templates = make_templates()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc, ApiError):
            return _add_headers(_error_response(request, exc.status, exc.code, exc.message), exc.headers)
        status = exc.status_code
        message = str(exc.detail) if exc.detail else _TITLES.get(status, "error")
        if status == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return _add_headers(_error_response(request, status, _CODES.get(status, "error"), message), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        status, code, message = _validation_message(exc)
        return _error_response(request, status, code, message)

    @app.exception_handler(UnicodeError)
    async def _bad_text(request: Request, exc: UnicodeError) -> Response:
        # e.g. lone surrogates in a JSON string, which the store cannot encode
        return _error_response(request, 400, "bad_request", "the request holds text that is not valid Unicode")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Runs outside the middleware stack (Starlette's ServerErrorMiddleware), so add the headers here.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        resp = _error_response(request, 500, "internal_error", "internal error; the details are in the server log")
        for name, value in SECURITY_HEADERS:
            resp.headers[name.decode()] = value.decode()
        return resp

    from . import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    def _body_error(scope: Any, error: ApiError) -> Response:
        request = Request(scope)
        return _error_response(request, error.status, error.code, error.message)

    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, on_error=_body_error)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
