"""A small threaded HTTP server on 127.0.0.1 for the network-ingest tests (real sockets, random port).

Tests register routes (path -> handler function) and read back what the server saw (hits per path,
request headers). Ready-made behaviours cover the hostile cases: trickling bytes, hanging, huge bodies,
redirect loops, flaky 5xx, conditional GET. Import the ``hostile`` fixture into a test module with
``from hostile_server import hostile  # noqa: F401``.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

Handler = Callable[["RequestHandler"], None]
_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError)


class RequestHandler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.0"  # one request per connection: simple, and bodies may end at close

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = urlsplit(self.path).path
        srv = self.server
        with srv.lock:
            srv.hits[path] += 1
            srv.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        handler = srv.routes.get(path)
        try:
            if handler is None:
                self.send(404, b"not found", "text/plain")
            else:
                handler(self)
        except _DISCONNECTS:
            pass  # the client gave up (size cap, timeout): expected in these tests

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: bool = True,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the access log
        pass


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RequestHandler)
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # disconnects mid-response are the point of several tests

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def headers_for(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.requests if p == path]

    # -- route helpers ------------------------------------------------------------------------------
    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def static(
        self,
        path: str,
        body: bytes | str,
        content_type: str | None = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.route(path, lambda h: h.send(status, data, content_type, headers))

    def gzipped(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> str:
        packed = gzip.compress(body)
        return self.route(path, lambda h: h.send(200, packed, content_type, {"Content-Encoding": "gzip"}))

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        return self.route(path, lambda h: h.send(status, b"", None, {"Location": to}))

    def huge(self, path: str, total: int, declare_length: bool = False, chunk: int = 64 * 1024) -> str:
        """A body of ``total`` bytes streamed in chunks (no Content-Length unless asked)."""

        def handler(h: RequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            if declare_length:
                h.send_header("Content-Length", str(total))
            h.end_headers()
            block = b"<p>" + b"x" * (chunk - 7) + b"</p>\n"
            sent = 0
            while sent < total and not self.stop.is_set():
                h.wfile.write(block)
                sent += len(block)

        return self.route(path, handler)

    def trickle(self, path: str, interval: float = 0.1, limit: float = 20.0) -> str:
        """Headers at once, then one byte per ``interval`` for up to ``limit`` seconds."""

        def handler(h: RequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            h.wfile.write(b"<html><body><p>")
            h.wfile.flush()
            end = time.monotonic() + limit
            while time.monotonic() < end and not self.stop.wait(interval):
                h.wfile.write(b"x")
                h.wfile.flush()

        return self.route(path, handler)

    def trickle_headers(self, path: str, interval: float = 0.1, limit: float = 20.0) -> str:
        """The status line and headers themselves, one byte per ``interval``."""

        def handler(h: RequestHandler) -> None:
            head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"a" * 400 + b"\r\n\r\n"
            end = time.monotonic() + limit
            for byte in head:
                if time.monotonic() > end or self.stop.wait(interval):
                    return
                h.wfile.write(bytes([byte]))
                h.wfile.flush()

        return self.route(path, handler)

    def hang(self, path: str, limit: float = 20.0) -> str:
        """Accept the request and never answer (until the server stops or ``limit`` passes)."""
        return self.route(path, lambda h: self.stop.wait(limit))

    def flaky(self, path: str, failures: int, body: bytes | str, status: int = 500, **kw: object) -> str:
        """``failures`` times ``status``, then ``body`` with 200."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        count = {"n": 0}

        def handler(h: RequestHandler) -> None:
            with self.lock:
                count["n"] += 1
                n = count["n"]
            if n <= failures:
                h.send(status, b"try again later", "text/plain", kw.get("headers"))  # type: ignore[arg-type]
            else:
                h.send(200, data, str(kw.get("content_type", "text/html; charset=utf-8")))

        return self.route(path, handler)

    def conditional(
        self, path: str, body: bytes | str, etag: str, last_modified: str, content_type: str = "application/rss+xml"
    ) -> str:
        """200 with validators, or 304 when the request carries the matching one."""
        data = body.encode("utf-8") if isinstance(body, str) else body

        def handler(h: RequestHandler) -> None:
            validators = {"ETag": etag, "Last-Modified": last_modified}
            if h.headers.get("If-None-Match") == etag or (
                h.headers.get("If-None-Match") is None and h.headers.get("If-Modified-Since") == last_modified
            ):
                h.send(304, b"", None, validators, length=False)
            else:
                h.send(200, data, content_type, validators)

        return self.route(path, handler)


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
