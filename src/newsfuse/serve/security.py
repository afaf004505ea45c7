"""The server's safety layer: token auth, a per-client rate limit, a request body cap, security headers.

Everything here is plain ASGI or small helpers, so it works the same under any route and needs only
Starlette at import time.

* Auth: write endpoints need ``Authorization: Bearer <settings.api_token>``; with no token configured,
  writes are refused (403) with a message that says how to set one. Reads are public unless
  ``settings.public_reads`` is off; then they need the token too (or the session cookie the login page
  sets, which holds an HMAC of the token, never the token itself).
* Rate limit: a token bucket per client (``rate_limit_per_minute`` requests a minute, the same number
  as burst); an empty bucket answers 429 with ``Retry-After``.
* Body cap: ``max_body_bytes``; a larger ``Content-Length`` is refused before the body is read and a
  chunked body is cut off as soon as it passes the cap (413).
* Headers: a strict Content-Security-Policy (scripts and styles from this origin only, no inline code,
  no framing), ``X-Content-Type-Options``, ``Referrer-Policy`` and friends on every response.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = [
    "ApiError",
    "AuthPolicy",
    "TokenBucketLimiter",
    "BodyLimitMiddleware",
    "SecurityHeadersMiddleware",
    "CSP",
    "SECURITY_HEADERS",
    "SESSION_COOKIE",
    "client_key",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SESSION_COOKIE = "newsfuse_session"

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class ApiError(HTTPException):
    """An error with an HTTP status, a stable snake_case code and a message for people.

    Rendered as ``{"error": {"code": ..., "message": ...}}`` under ``/api`` and as an HTML page elsewhere.
    (A Starlette ``HTTPException``, so FastAPI passes it through body parsing and dependencies untouched.)
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


# -- auth ------------------------------------------------------------------------------------------------


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class AuthPolicy:
    """Decides whether a request may read or write, from ``api_token`` and ``public_reads``."""

    HOW_TO = (
        "set NEWSFUSE_API_TOKEN (or api_token in config.toml) before starting 'newsfuse serve', "
        "then send 'Authorization: Bearer <token>'"
    )

    def __init__(self, api_token: str | None, public_reads: bool) -> None:
        self._token = api_token or None
        self.public_reads = public_reads

    @property
    def token_configured(self) -> bool:
        return self._token is not None

    def session_value(self) -> str | None:
        """What the session cookie holds: an HMAC of the token (the token itself never leaves the server)."""
        if self._token is None:
            return None
        return hmac.new(self._token.encode(), b"newsfuse-session-v1", hashlib.sha256).hexdigest()

    def token_matches(self, candidate: str | None) -> bool:
        if self._token is None or not candidate:
            return False
        return hmac.compare_digest(candidate.encode(), self._token.encode())

    def _session_ok(self, cookie: str | None) -> bool:
        expected = self.session_value()
        return bool(expected and cookie and hmac.compare_digest(cookie.encode(), expected.encode()))

    def require_write(self, authorization: str | None) -> None:
        """Raise ``ApiError`` unless the request carries the bearer token (cookies never authorise writes)."""
        if self._token is None:
            raise ApiError(
                403, "writes_disabled", "writes are disabled because no API token is configured: " + self.HOW_TO
            )
        self._check_bearer(authorization)

    def require_read(self, authorization: str | None, cookie: str | None = None) -> None:
        if self.public_reads:
            return
        if self._token is None:
            raise ApiError(
                403,
                "reads_disabled",
                "reads are private (public_reads is off) and no API token is configured: " + self.HOW_TO,
            )
        if authorization is None and self._session_ok(cookie):
            return
        self._check_bearer(authorization)

    def reader_allowed(self, authorization: str | None, cookie: str | None) -> bool:
        try:
            self.require_read(authorization, cookie)
        except ApiError:
            return False
        return True

    def _check_bearer(self, authorization: str | None) -> None:
        given = _bearer(authorization)
        if given is None:
            raise ApiError(
                401,
                "unauthorized",
                "this endpoint needs 'Authorization: Bearer <token>' (the server's NEWSFUSE_API_TOKEN)",
                {"WWW-Authenticate": 'Bearer realm="newsfuse"'},
            )
        if not self.token_matches(given):
            raise ApiError(
                401,
                "invalid_token",
                "the bearer token is not valid for this server",
                {"WWW-Authenticate": 'Bearer realm="newsfuse", error="invalid_token"'},
            )


# -- rate limit ------------------------------------------------------------------------------------------


class TokenBucketLimiter:
    """Per-client token buckets: ``per_minute`` tokens refilled evenly, burst up to ``per_minute``.

    ``per_minute <= 0`` turns limiting off. Buckets of clients not seen lately are dropped (LRU, at most
    ``max_clients``), so memory stays bounded under many client addresses.
    """

    def __init__(self, per_minute: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.capacity = float(max(per_minute, 0))
        self.rate = self.capacity / 60.0  # tokens per second
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last time)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def acquire(self, key: str, cost: float = 1.0) -> float:
        """Take ``cost`` tokens; returns 0 when allowed, else the seconds to wait before retrying."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, now)
                self._buckets.move_to_end(key)
                allowed = 0.0
            else:
                self._buckets[key] = (tokens, now)
                self._buckets.move_to_end(key)
                allowed = (cost - tokens) / self.rate
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return allowed

    def check(self, key: str) -> None:
        """Raise a 429 ``ApiError`` (with ``Retry-After``) when ``key`` is over its limit."""
        wait = self.acquire(key)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                "rate_limited",
                f"too many requests: the limit is {self.per_minute} a minute per client; retry in {seconds} s",
                {"Retry-After": str(seconds)},
            )


def client_key(scope: Scope) -> str:
    """Who a request counts against: the client address (uvicorn resolves trusted proxy headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


# -- ASGI middleware -------------------------------------------------------------------------------------


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"the request body is larger than the limit of {limit:,} bytes")


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` (413): by ``Content-Length`` first, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, on_error: Callable[[Scope, ApiError], Any]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await self._reply(scope, send, ApiError(400, "bad_request", "invalid Content-Length header"))
                    return
                if declared > self.max_bytes:
                    await self._reply(scope, send, BodyTooLarge(self.max_bytes))
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._reply(scope, send, exc)

    async def _reply(self, scope: Scope, send: Send, error: ApiError) -> None:
        response = self.on_error(scope, error)
        await response(scope, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (not overriding ones a route set itself)."""

    def __init__(self, app: ASGIApp, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        self.app = app
        self.headers = SECURITY_HEADERS + list(extra or [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
