"""All network I/O of newsfuse: a guarded, polite HTTP fetcher and URL ingest.

``Fetcher`` wraps an ``httpx.Client`` and adds what a crawler that reads untrusted URLs needs:

* **SSRF guard.** Only ``http``/``https`` URLs without credentials are fetched. The host is resolved
  and every address must be globally routable: loopback, private, link-local, multicast, reserved,
  unspecified and shared (CGNAT) ranges are refused, including IPv4 addresses hidden in IPv6
  (mapped, NAT64, 6to4, Teredo). Ports below 1024 other than 80 and 443 are refused too (mail,
  SSH, database and admin services live there; news sites do not). The check runs on every redirect
  hop, and again at connect time inside the transport, which connects to the very address it checked,
  so a DNS answer that changes between check and connect (DNS rebinding) cannot slip through.
  ``settings.allow_private_addresses`` lifts the address and port rules (tests on 127.0.0.1 use it).
  Proxies from the environment are ignored (``trust_env=False``) for the same reason.
* **Limits.** Connect and read timeouts per socket operation, and a total deadline per attempt that is
  enforced inside every socket read, so a server that trickles bytes (headers or body) is cut at
  ``total_timeout``. Bodies are streamed and cut at ``max_bytes`` of decoded content (a declared
  ``Content-Length`` over the cap is refused before reading). Redirects are followed by hand, at most
  ``max_redirects``, with loops reported as such.
* **Content.** HTML, XML (RSS/Atom/RDF), JSON (JSON Feed) and plain text are accepted; PDFs, images,
  audio, video, archives and other binaries are refused by header and by magic bytes. The charset from
  the header, or else from a BOM, XML declaration or HTML meta tag, is kept in ``content_type``.
* **Politeness.** A clear User-Agent, robots.txt honoured (fetched through the same guarded client,
  cached per origin; unreachable robots.txt means "do not crawl" as RFC 9309 says, a missing one means
  "allowed"), at most ``per_host_concurrency`` requests per host at once and ``per_host_delay`` seconds
  (or the robots.txt Crawl-delay, up to a minute) between request starts to one host.
* **Retries.** Timeouts, connection failures, 429 and 5xx are retried ``settings.retries`` times with
  exponential backoff (``Retry-After`` honoured up to a cap); other failures are final at once.
* **Conditional GET.** ``fetch(url, etag=..., last_modified=...)`` sends ``If-None-Match`` /
  ``If-Modified-Since``; a 304 comes back as ``FetchResult(not_modified=True)``.

Every failure is a ``FetchError`` whose ``reason`` is one line a person can act on.

``iter_url(url, settings, fetcher)`` turns a URL into raw documents: a page becomes one ``html``
document; a feed becomes its entries, and entries that only carry a summary are followed to their
page. It never raises for bad input: failures come back as ``Skipped``.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import html
import ipaddress
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..config import Settings
from ..model import RawDocument
from .base import Skipped
from .feeds import feed_entries, looks_like_feed

__all__ = [
    "Fetcher",
    "FetchResult",
    "FetchError",
    "iter_url",
    "iter_fetched",
    "check_url",
    "static_url_problem",
    "address_problem",
    "discover_feeds",
    "FOLLOW_BELOW_CHARS",
]

#: Feed entries with less text than this are "summary only": their link is fetched as a page.
FOLLOW_BELOW_CHARS = 600
#: At most this many entry pages are followed per feed fetch (the rest wait for the next poll).
MAX_FOLLOW = 100
#: robots.txt is small; anything bigger is cut here.
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TTL = 6 * 3600.0
ROBOTS_FAILURE_TTL = 600.0
ROBOTS_UNREACHABLE_TTL = 60.0
MAX_CRAWL_DELAY = 60.0
MAX_BACKOFF = 30.0
MAX_RETRY_AFTER = 60.0
SAFE_LOW_PORTS = {80, 443}

DEFAULT_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/feed+json,"
    "application/xml;q=0.9,text/xml;q=0.9,application/json;q=0.8,text/plain;q=0.7,*/*;q=0.1"
)

_ACCEPTED_MIME = {
    "text/html",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
    "text/plain",
}
_HTML_MIME = {"text/html", "application/xhtml+xml"}
_UNKNOWN_MIME = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}

# (magic prefix, offset, what it is)
_MAGIC: list[tuple[bytes, int, str]] = [
    (b"%PDF-", 0, "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", 0, "a PNG image"),
    (b"\xff\xd8\xff", 0, "a JPEG image"),
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"WEBP", 8, "a WebP image"),
    (b"BM", 0, ""),  # bitmap: too short to trust alone, checked with a NUL byte below
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"\x00\x00\x01\x00", 0, "an icon"),
    (b"PK\x03\x04", 0, "a ZIP archive (or office document)"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"Rar!", 0, "a RAR archive"),
    (b"\xd0\xcf\x11\xe0", 0, "an old Office document"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"OggS", 0, "an Ogg media file"),
    (b"fLaC", 0, "a FLAC audio file"),
    (b"ftyp", 4, "an MP4/QuickTime video"),
    (b"\x1aE\xdf\xa3", 0, "a Matroska/WebM video"),
    (b"wOFF", 0, "a web font"),
    (b"wOF2", 0, "a web font"),
    (b"\x7fELF", 0, "an executable"),
    (b"MZ", 0, ""),  # Windows executable: checked with a NUL byte below
]

_CHARSET_META = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_HTML_SNIFF = re.compile(rb"<(!doctype\s+html|html|head|body|title|meta|article|p|div)[\s>]", re.IGNORECASE)
_HTML_ROOT = re.compile(rb"<(!doctype\s+html|html)[\s>]", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_WS = re.compile(r"\s+")

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_local = threading.local()  # per-thread deadline of the fetch in progress (read by the socket wrapper)


class FetchError(Exception):
    """A URL could not be fetched (or was refused); ``reason`` says why in one line.

    ``retryable``: worth retrying at once (timeouts, 5xx). ``temporary``: may work on a later poll
    (every retryable error, and e.g. a robots.txt that is unreachable right now); a refusal by
    policy, a 404 or a PDF is neither.
    """

    def __init__(
        self,
        reason: str,
        url: str | None = None,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        temporary: bool | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.temporary = retryable if temporary is None else temporary

    def __str__(self) -> str:
        return self.reason


class _Blocked(Exception):
    """Raised inside the transport when a connection would reach a refused address."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class FetchResult:
    """One successful fetch (or a 304). ``content_type`` carries the charset when one is known."""

    url: str  # what was asked for
    final_url: str  # where it was found, after redirects
    status: int
    content_type: str | None = None
    payload: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    charset: str | None = None
    redirects: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def mime(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    def text(self) -> str:
        return self.payload.decode(self.charset or "utf-8", "replace")


# --------------------------------------------------------------------------------------------------
# URL and address policy
# --------------------------------------------------------------------------------------------------


def _address_kind(address: str) -> str | None:
    """What kind of non-public address ``address`` is ("a loopback address", ...), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = None
        if ip.ipv4_mapped is not None:
            embedded = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            embedded = ip.sixtofour
        elif ip.teredo is not None:
            embedded = ip.teredo[1]
        elif ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = _address_kind(str(embedded))
            if inner:
                return f"an IPv6 form of {embedded}, {inner}"
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    )
    for attr, what in checks:
        if getattr(ip, attr):
            return what
    if not ip.is_global:
        return "not a public address"
    return None


def address_problem(address: str) -> str | None:
    """Why ``address`` must not be contacted from a server (``None`` when it is a public address)."""
    kind = _address_kind(address)
    return f"{address} is {kind}" if kind else None


def _port_problem(port: int, settings: Settings) -> str | None:
    """Why the URL policy refuses ``port`` (None when it is allowed): below 1024 only 80 and 443, unless
    private addresses are allowed."""
    if settings.allow_private_addresses or port >= 1024 or port in SAFE_LOW_PORTS:
        return None
    return f"port {port} is not allowed (only 80, 443 and ports from 1024 up)"


def static_url_problem(url: str, settings: Settings | None = None) -> str | None:
    """Why the URL policy refuses ``url`` before its host is looked up (scheme, credentials, port, a
    host that is an address literal or a loopback name), or None when only the lookup can tell. For
    checks on input that is stored and fetched later (a feed added through the API); the fetcher still
    checks every resolved address when it connects."""
    settings = settings or Settings()
    try:
        _scheme, host, port = _split(url)
    except FetchError as exc:
        return exc.reason
    if settings.allow_private_addresses:
        return None
    if problem := _port_problem(port, settings):
        return problem
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback name"
    literal = host.strip("[]").split("%", 1)[0]
    try:
        address = str(ipaddress.ip_address(literal))
    except ValueError:
        try:  # the legacy forms a resolver also accepts: 127.1, 0x7f.1, 2130706433
            address = socket.inet_ntoa(socket.inet_aton(literal))
        except OSError:
            return None
    return address_problem(address)


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


Resolver = Callable[[str, int], list[str]]


def _split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL, refusing what the fetcher never fetches."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}", url) from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise FetchError(f"refused: scheme {scheme or '(none)'!r} is not http or https", url)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise FetchError("refused: the URL carries credentials (user:password@host)", url)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchError("invalid URL: no host", url)
    if len(host) > 253 or any(not label or len(label) > 63 for label in host.split(".")):
        # DNS names stop at 253 characters and 63 per label: refuse before any lookup
        raise FetchError(f"invalid URL: {host[:40]}... is not a valid host name", url)
    return scheme, host.lower(), port or (443 if scheme == "https" else 80)


def check_url(url: str, settings: Settings | None = None, resolver: Resolver | None = None) -> list[str]:
    """Apply the URL policy (scheme, credentials, port, addresses); return the resolved addresses.

    Raises ``FetchError`` with the reason when the URL is refused or its host does not resolve.
    """
    settings = settings or Settings()
    _scheme, host, port = _split(url)
    if problem := _port_problem(port, settings):
        raise FetchError(f"refused: {problem}", url)
    return _resolve_checked(host, port, settings, resolver or _system_resolve, url)


def _resolve_checked(host: str, port: int, settings: Settings, resolver: Resolver, url: str | None) -> list[str]:
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise FetchError(f"cannot resolve host {host!r}: {why}", url, retryable=True) from None
    if not addresses:
        raise FetchError(f"cannot resolve host {host!r}: no addresses", url, retryable=True)
    if not settings.allow_private_addresses:
        for addr in addresses:
            kind = _address_kind(addr)
            if kind:
                what = f"{addr} is {kind}" if host == addr else f"{host} resolves to {addr}, {kind}"
                raise FetchError(f"refused by the SSRF guard: {what} (allow_private_addresses is off)", url)
    return addresses


# --------------------------------------------------------------------------------------------------
# The transport: connect only to checked addresses, and enforce the total deadline in every read
# --------------------------------------------------------------------------------------------------


def _remaining(timeout: float | None) -> float | None:
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("total timeout reached")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, settings: Settings, resolver: Resolver) -> None:
        self._inner = httpcore.SyncBackend()
        self._settings = settings
        self._resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _resolve_checked(host, port, self._settings, self._resolver, None)
        except FetchError as exc:
            raise _Blocked(exc.reason) from None
        error: Exception | None = None
        for addr in addresses:  # connect to exactly the addresses that were checked
            try:
                stream = self._inner.connect_tcp(addr, port, _remaining(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> Any:
        raise _Blocked("refused: unix sockets are never used")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def _ssl_context() -> Any:
    """One verifying TLS context per process (building one reads the CA bundle: tens of ms)."""
    return httpx.create_ssl_context(trust_env=False)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool rebuilt on the guarded network backend."""

    def __init__(self, settings: Settings, resolver: Resolver, limits: httpx.Limits) -> None:
        context = _ssl_context()
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(settings, resolver),
        )


# --------------------------------------------------------------------------------------------------
# Content type and charset
# --------------------------------------------------------------------------------------------------


def _refused_mime(mime: str) -> str | None:
    """A reason to refuse a declared type before reading the body, or None."""
    if not mime or mime in _ACCEPTED_MIME or mime in _UNKNOWN_MIME:
        return None
    if mime.startswith("text/") or mime.endswith(("+xml", "+json")):
        return None
    family = mime.split("/", 1)[0]
    label = {
        "image": "an image",
        "audio": "audio",
        "video": "a video",
        "font": "a font",
        "model": "a 3D model",
    }.get(family)
    if mime == "application/pdf":
        label = "a PDF document"
    elif label is None and any(k in mime for k in ("zip", "compressed", "tar", "rar", "7z", "gzip")):
        label = "an archive"
    elif label is None and any(k in mime for k in ("msword", "officedocument", "ms-excel", "ms-powerpoint")):
        label = "an office document"
    return f"not an HTML page or feed: {mime} ({label or 'unsupported type'})"


def _sniff_binary(head: bytes) -> str | None:
    for magic, offset, what in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if what:
                return what
            if b"\x00" in head[:512]:
                return "a binary file"
    if b"\x00" in head[:1024] and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if head[:2] not in (b"<\x00", b"\x00<"):
            return "a binary file"
    return None


def _valid_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _sniff_charset(payload: bytes) -> str | None:
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if payload.startswith(bom):
            return enc
    head = payload[:4096]
    m = _XML_ENCODING.search(head) or _CHARSET_META.search(head)
    return _valid_charset(m.group(1).decode("ascii", "ignore")) if m else None


def _header_charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return _valid_charset(value)
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --------------------------------------------------------------------------------------------------
# The fetcher
# --------------------------------------------------------------------------------------------------


@dataclass
class _Host:
    semaphore: threading.BoundedSemaphore
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_start: float = 0.0
    crawl_delay: float = 0.0


@dataclass
class _Robots:
    expires: float
    parser: Any | None = None  # urllib.robotparser.RobotFileParser; None = everything allowed
    refusal: str | None = None  # robots.txt could not be read: refuse (for now) with this reason


class Fetcher:
    """Guarded, polite HTTP GET (see the module docstring). Thread-safe; ``close()`` when done.

    ``transport`` replaces the network (e.g. ``httpx.MockTransport`` in tests); without one the
    guarded transport is used. ``resolver(host, port) -> [address, ...]`` replaces DNS (tests).
    ``backoff`` is the first retry delay in seconds (doubled each retry).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        transport: httpx.BaseTransport | None = None,
        *,
        resolver: Resolver | None = None,
        backoff: float = 0.5,
        max_workers: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or Settings()
        self.backoff = backoff
        self.max_workers = max(1, max_workers)
        self._sleep = sleep
        self._resolver = resolver or _system_resolve
        s = self.settings
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=8, keepalive_expiry=30.0)
        self._client = httpx.Client(
            transport=transport or _GuardedTransport(s, self._resolver, limits),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": s.user_agent, "Accept-Language": "en, *;q=0.5"},
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=None),
        )
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        #: Conditional-GET validators by URL, used when ``fetch`` is given none: url -> (etag, last_modified).
        self.validators: dict[str, tuple[str | None, str | None]] = {}
        self.robots_agent = re.split(r"[/\s]", s.user_agent.strip(), maxsplit=1)[0] or "newsfuse"

    # -- lifecycle --------------------------------------------------------------------------------
    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -------------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = DEFAULT_ACCEPT,
        robots: bool = True,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """GET ``url`` under every rule of the fetcher; raise ``FetchError`` on failure or refusal."""
        if etag is None and last_modified is None:
            etag, last_modified = self.validators.get(url, (None, None))
        attempts = 1 + max(0, int(self.settings.retries))
        for attempt in range(attempts):
            try:
                return self._fetch_once(url, etag, last_modified, accept, robots, max_bytes or self.settings.max_bytes)
            except FetchError as exc:
                if not exc.retryable or attempt == attempts - 1:
                    if exc.retryable and attempt > 0:
                        raise FetchError(
                            f"{exc.reason} (gave up after {attempt + 1} attempts)",
                            url,
                            status=exc.status,
                            retryable=True,
                        ) from None
                    raise
                wait = min(self.backoff * (2**attempt), MAX_BACKOFF)
                if exc.retry_after is not None:
                    wait = max(wait, min(exc.retry_after, MAX_RETRY_AFTER))
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def fetch_many(self, urls: Iterable[str], **kwargs: Any) -> Iterator[tuple[str, FetchResult | FetchError]]:
        """Fetch ``urls`` on a few threads; yield ``(url, result or error)`` in input order.

        At most ``2 * max_workers`` results are held at once, so a long list does not pile up bodies.
        Per-host limits still apply, so many URLs on one host are fetched politely, one after another.
        """
        urls = list(urls)
        if not urls:
            return
        workers = min(self.max_workers, len(urls))

        def one(u: str) -> FetchResult | FetchError:
            try:
                return self.fetch(u, **kwargs)
            except FetchError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - a bug in one fetch must not lose the others
                return FetchError(f"fetch failed: {type(exc).__name__}: {exc}", u)

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="newsfuse-fetch") as pool:
            window: deque[tuple[str, Future[FetchResult | FetchError]]] = deque()
            pending = iter(urls)
            try:
                for u in pending:
                    window.append((u, pool.submit(one, u)))
                    if len(window) >= 2 * workers:
                        break
                while window:
                    u, fut = window.popleft()
                    yield u, fut.result()
                    nxt = next(pending, None)
                    if nxt is not None:
                        window.append((nxt, pool.submit(one, nxt)))
            finally:
                for _u, fut in window:
                    fut.cancel()

    # -- one attempt: the redirect chain ------------------------------------------------------------
    def _fetch_once(
        self, url: str, etag: str | None, last_modified: str | None, accept: str, robots: bool, max_bytes: int
    ) -> FetchResult:
        s = self.settings
        started = time.monotonic()
        deadline = started + s.total_timeout
        current = url
        chain = [url]
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _hop in range(s.max_redirects + 1):
            check_url(current, s, self._resolver)
            if robots and s.respect_robots:
                self._check_robots(current)
            outcome = self._request(current, headers, deadline, max_bytes)
            if isinstance(outcome, str):  # a redirect target
                nxt = outcome
                if nxt in chain:
                    raise FetchError(f"redirect loop: {current} redirects back to {nxt}", url)
                chain.append(nxt)
                current = nxt
                continue
            outcome.url = url
            outcome.redirects = chain[1:]
            outcome.elapsed = time.monotonic() - started
            return outcome
        raise FetchError(f"too many redirects (more than {s.max_redirects}; last {current})", url)

    def _request(self, url: str, headers: dict[str, str], deadline: float, max_bytes: int) -> FetchResult | str:
        """One GET. Returns the result, or the absolute URL of a redirect target."""
        s = self.settings
        host = _split(url)[1]
        with self._host_slot(host):
            _local.deadline = deadline
            try:
                timeout = httpx.Timeout(
                    connect=min(s.connect_timeout, max(0.001, deadline - time.monotonic())),
                    read=s.read_timeout,
                    write=s.read_timeout,
                    pool=max(0.001, deadline - time.monotonic()),
                )
                request = self._client.build_request("GET", url, headers=headers, timeout=timeout)
                response = self._client.send(request, stream=True)
                try:
                    return self._handle(url, response, deadline, max_bytes)
                finally:
                    response.close()
            except FetchError:
                raise
            except _Blocked as exc:
                raise FetchError(exc.reason, url) from None
            except httpx.ConnectTimeout:
                if time.monotonic() >= deadline:
                    raise FetchError(self._total_reason(), url) from None
                raise FetchError(
                    f"connect timeout: no connection within {s.connect_timeout:g} s", url, retryable=True
                ) from None
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.PoolTimeout):
                if time.monotonic() >= deadline - 0.01:
                    raise FetchError(self._total_reason(), url) from None
                raise FetchError(
                    f"read timeout: the server sent nothing for {s.read_timeout:g} s", url, retryable=True
                ) from None
            except httpx.ConnectError as exc:
                raise FetchError(f"cannot connect: {_short(exc)}", url, retryable=True) from None
            except httpx.RemoteProtocolError as exc:
                raise FetchError(f"broken HTTP response: {_short(exc)}", url, retryable=True) from None
            except httpx.DecodingError as exc:
                raise FetchError(f"cannot decode the response body: {_short(exc)}", url) from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise FetchError(f"invalid URL: {_short(exc)}", url) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"HTTP error: {type(exc).__name__}: {_short(exc)}", url, retryable=True) from None
            finally:
                _local.deadline = None

    def _total_reason(self) -> str:
        return f"total timeout: the transfer took longer than {self.settings.total_timeout:g} s"

    def _handle(self, url: str, response: httpx.Response, deadline: float, max_bytes: int) -> FetchResult | str:
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header", url, status=status)
            return urljoin(url, location.strip())
        if status == 304:
            return FetchResult(
                url=url,
                final_url=url,
                status=304,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                not_modified=True,
            )
        if status == 429 or status >= 500:
            raise FetchError(
                f"HTTP {status} {response.reason_phrase}".strip(),
                url,
                status=status,
                retryable=True,
                retry_after=_retry_after(response.headers.get("retry-after")),
            )
        if status >= 400 or status < 200:
            raise FetchError(f"HTTP {status} {response.reason_phrase}".strip(), url, status=status)
        if status == 204:
            raise FetchError("HTTP 204 No Content (empty response)", url, status=status)

        raw_type = response.headers.get("content-type", "")
        mime = raw_type.split(";", 1)[0].strip().lower()
        refused = _refused_mime(mime)
        if refused:
            raise FetchError(refused, url, status=status)
        declared = response.headers.get("content-length")
        if declared and declared.strip().isdigit() and int(declared) > max_bytes:
            raise FetchError(
                f"too large: Content-Length {int(declared):,} bytes is over the limit of {max_bytes:,} (max_bytes)",
                url,
                status=status,
            )
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise FetchError(
                    f"too large: more than {max_bytes:,} bytes (max_bytes); download stopped", url, status=status
                )
            if time.monotonic() > deadline:
                raise FetchError(self._total_reason(), url, status=status)
        payload = bytes(body)
        binary = _sniff_binary(payload[:1024])
        if binary:
            shown = mime or "no content type"
            raise FetchError(f"not an HTML page or feed: the body is {binary} ({shown})", url, status=status)
        charset = _header_charset(raw_type) or _sniff_charset(payload)
        if not mime or mime in _UNKNOWN_MIME:
            mime = _guess_mime(payload)
        content_type = f"{mime}; charset={charset}" if charset else mime
        return FetchResult(
            url=url,
            final_url=str(response.url),
            status=status,
            content_type=content_type,
            payload=payload,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            charset=charset,
        )

    # -- politeness -------------------------------------------------------------------------------
    def _host(self, host: str) -> _Host:
        with self._lock:
            st = self._hosts.get(host)
            if st is None:
                st = _Host(threading.BoundedSemaphore(max(1, int(self.settings.per_host_concurrency))))
                self._hosts[host] = st
            return st

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        st = self._host(host)
        st.semaphore.acquire()
        try:
            with st.lock:
                now = time.monotonic()
                start = max(now, st.next_start)
                st.next_start = start + max(float(self.settings.per_host_delay), st.crawl_delay)
            if start > now:
                self._sleep(start - now)
            yield
        finally:
            st.semaphore.release()

    def _check_robots(self, url: str) -> None:
        scheme, host, port = _split(url)
        origin = f"{scheme}://{host}:{port}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            entry = self._robots.get(origin)
            if entry is None or entry.expires < time.monotonic():
                entry = self._load_robots(origin, host)
                self._robots[origin] = entry
        if entry.refusal:
            raise FetchError(entry.refusal, url, temporary=True)
        if entry.parser is not None and not entry.parser.can_fetch(self.robots_agent, url):
            raise FetchError(f"disallowed by robots.txt ({origin}/robots.txt, user agent {self.robots_agent!r})", url)

    def _load_robots(self, origin: str, host: str) -> _Robots:
        from urllib.robotparser import RobotFileParser

        now = time.monotonic()
        robots_url = f"{origin}/robots.txt"
        try:
            res = self._fetch_once(robots_url, None, None, "text/plain,*/*;q=0.5", False, ROBOTS_MAX_BYTES)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return _Robots(expires=now + ROBOTS_TTL)  # no robots.txt: everything is allowed
            if exc.reason.startswith("too large"):
                return _Robots(expires=now + ROBOTS_TTL)
            if exc.status is None:  # the host is unreachable: say so, and try again soon
                return _Robots(expires=now + ROBOTS_UNREACHABLE_TTL, refusal=f"{exc.reason} (fetching robots.txt)")
            return _Robots(
                expires=now + ROBOTS_FAILURE_TTL,
                refusal=f"robots.txt unavailable ({exc.reason}); not crawling {host} for now (RFC 9309)",
            )
        parser = RobotFileParser(robots_url)
        parser.parse(res.payload.decode(res.charset or "utf-8", "replace").splitlines())
        delay = parser.crawl_delay(self.robots_agent)
        if delay:
            try:
                self._host(host).crawl_delay = min(float(delay), MAX_CRAWL_DELAY)
            except (TypeError, ValueError):
                pass
        return _Robots(expires=now + ROBOTS_TTL, parser=parser)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _guess_mime(payload: bytes) -> str:
    head = payload[:2048].lstrip()
    if looks_like_feed(payload):
        return "application/json" if head.startswith(b"{") else "application/xml"
    if _HTML_SNIFF.search(head):
        return "text/html"
    if head.startswith(b"<?xml"):
        return "application/xml"
    return "text/plain"


# --------------------------------------------------------------------------------------------------
# URL ingest
# --------------------------------------------------------------------------------------------------


def _text_chars(fields: dict[str, Any]) -> int:
    if fields.get("html"):
        text = html.unescape(_TAG.sub(" ", str(fields["html"])))
    else:
        text = str(fields.get("text") or "")
    return len(_WS.sub(" ", text).strip())


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def iter_url(
    url: str,
    settings: Settings | None = None,
    fetcher: Any | None = None,
    *,
    skip_link: Callable[[str], bool] | None = None,
) -> Iterator[RawDocument | Skipped]:
    """Fetch ``url`` and yield what it holds (see ``iter_fetched``, which takes ``skip_link``); never
    raises for bad input."""
    settings = settings or Settings()
    own = fetcher is None
    if own:
        fetcher = Fetcher(settings)
    try:
        try:
            result = fetcher.fetch(url)
        except FetchError as exc:
            yield Skipped(url, exc.reason)
            return
        except Exception as exc:  # noqa: BLE001 - never raise for one bad URL
            yield Skipped(url, f"fetch failed: {type(exc).__name__}: {exc}")
            return
        yield from iter_fetched(result, settings, fetcher, skip_link=skip_link)
    finally:
        if own:
            fetcher.close()


FollowHook = Callable[[str, "FetchResult | FetchError"], None]


def iter_fetched(
    result: FetchResult,
    settings: Settings | None = None,
    fetcher: Any | None = None,
    *,
    skip_link: Callable[[str], bool] | None = None,
    on_follow: FollowHook | None = None,
    max_follow: int = MAX_FOLLOW,
) -> Iterator[RawDocument | Skipped]:
    """Raw documents from one fetched payload.

    * a 304 -> ``Skipped`` "not modified";
    * a feed (RSS 0.9x/1.0/2.0, Atom, JSON Feed) -> one ``record`` per entry with enough text, and for
      each entry with less than ``FOLLOW_BELOW_CHARS`` characters of text (a summary-only feed) its
      page, fetched as ``html`` with the entry's title/source/published/author as ``fields`` hints;
      links for which ``skip_link(link)`` is true are not fetched (already seen by the caller), and
      ``on_follow(link, result_or_error)`` is told the outcome of every followed link;
    * an HTML page -> one ``html`` document; plain text -> one ``text`` document;
    * anything else -> ``Skipped`` with the reason.
    """
    settings = settings or Settings()
    where = result.url
    if result.not_modified:
        yield Skipped(where, "not modified since the last fetch (HTTP 304)")
        return
    payload = result.payload
    if not payload.strip():
        yield Skipped(where, "empty response body")
        return
    mime = result.mime
    # a feed served as text/html is still a feed; a page that merely mentions <rss> is still a page
    is_html = mime in _HTML_MIME and bool(_HTML_ROOT.search(payload[:4096]))
    if not is_html and looks_like_feed(payload):
        yield from _iter_feed(result, settings, fetcher, skip_link, on_follow, max_follow)
        return
    fetched = {"fetched_at": _now_iso()}
    # text/plain is trusted unless the body opens as an HTML document (a server's default type for a
    # page saved without its extension): a plain article that quotes a tag stays text
    head = payload[:4096]
    if (
        mime in _HTML_MIME
        or (mime != "text/plain" and _HTML_SNIFF.search(head))
        or (mime == "text/plain" and _HTML_ROOT.match(head.lstrip(b"\xef\xbb\xbf \t\r\n")))
    ):
        yield RawDocument(
            kind="html",
            location=where,
            payload=payload,
            url=result.final_url,
            content_type=result.content_type,
            fields=fetched,
        )
    elif mime.startswith("text/") and "xml" not in mime:
        yield RawDocument(
            kind="text",
            location=where,
            payload=payload,
            url=result.final_url,
            content_type=result.content_type,
            fields=fetched,
        )
    elif "json" in mime:
        yield Skipped(where, f"JSON that is not a JSON Feed ({mime})")
    elif "xml" in mime:
        yield Skipped(where, f"XML that is not an RSS, Atom or RDF feed ({mime})")
    else:
        yield Skipped(where, f"not an HTML page or feed ({mime or 'no content type'})")


def _iter_feed(
    result: FetchResult,
    settings: Settings,
    fetcher: Any | None,
    skip_link: Callable[[str], bool] | None,
    on_follow: FollowHook | None,
    max_follow: int,
) -> Iterator[RawDocument | Skipped]:
    base = result.final_url
    to_follow: list[tuple[str, dict[str, Any]]] = []
    queued: set[str] = set()
    for item in feed_entries(result.payload, result.url, base_url=base):
        if isinstance(item, Skipped):
            yield item
            continue
        fields = dict(item.fields)
        link = fields.get("url")
        if link:
            link = urljoin(base, str(link).strip())
            fields["url"] = link
        has_text = _text_chars(fields)
        followable = bool(link) and link.lower().startswith(("http://", "https://"))
        if has_text >= FOLLOW_BELOW_CHARS or not followable:
            if not has_text:
                yield Skipped(item.location, "feed entry has no content and no link to follow")
                continue
            yield RawDocument(kind="record", location=item.location, url=link or None, fields=fields)
            continue
        if link in queued or (skip_link is not None and skip_link(link)):
            continue
        queued.add(link)
        to_follow.append((link, fields))
    if not to_follow:
        return
    if len(to_follow) > max_follow:
        for link, _fields in to_follow[max_follow:]:
            err = FetchError(
                f"more than {max_follow} summary-only entries in one feed; left for the next poll", link, temporary=True
            )
            if on_follow:
                on_follow(link, err)
            yield Skipped(link, err.reason)
        to_follow = to_follow[:max_follow]
    own = fetcher is None
    if own:
        fetcher = Fetcher(settings)
    hints_by_link = dict(to_follow)
    try:
        if hasattr(fetcher, "fetch_many"):
            outcomes: Iterable[tuple[str, Any]] = fetcher.fetch_many(list(hints_by_link))
        else:
            outcomes = ((lk, _fetch_or_error(fetcher, lk)) for lk in hints_by_link)
        for link, outcome in outcomes:
            if on_follow:
                on_follow(link, outcome)
            if isinstance(outcome, FetchError):
                yield Skipped(link, f"entry page: {outcome.reason}")
                continue
            yield from _entry_page(link, outcome, hints_by_link[link], base)
    finally:
        if own:
            fetcher.close()


def _fetch_or_error(fetcher: Any, link: str) -> FetchResult | FetchError:
    try:
        return fetcher.fetch(link)
    except FetchError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001
        return FetchError(f"fetch failed: {type(exc).__name__}: {exc}", link)


def _entry_page(link: str, page: FetchResult, entry: dict[str, Any], feed_url: str) -> Iterator[RawDocument | Skipped]:
    if page.not_modified:
        yield Skipped(link, "entry page not modified (HTTP 304)")
        return
    payload = page.payload
    mime = page.mime
    if not payload.strip():
        yield Skipped(link, "entry page: empty response body")
        return
    hints = {k: entry[k] for k in ("title", "source", "published", "author", "guid") if entry.get(k)}
    hints["feed"] = feed_url
    hints["fetched_at"] = _now_iso()
    if summary := entry.get("html") or entry.get("text"):
        hints["summary"] = summary
    if mime in _HTML_MIME or _HTML_SNIFF.search(payload[:4096]):
        kind = "html"
    elif mime.startswith("text/") and "xml" not in mime:
        kind = "text"
    else:
        yield Skipped(link, f"entry page is not an HTML page ({mime or 'no content type'})")
        return
    yield RawDocument(
        kind=kind,  # type: ignore[arg-type]
        location=link,
        payload=payload,
        url=page.final_url,
        content_type=page.content_type,
        fields=hints,
    )


_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml"}


def discover_feeds(page: bytes, base_url: str) -> list[str]:
    """Feed URLs an HTML page advertises with ``<link rel="alternate" type="application/rss+xml" href=...>``."""
    from html.parser import HTMLParser

    found: list[str] = []

    class _Links(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag != "link":
                return
            a = {k.lower(): (v or "") for k, v in attrs}
            rels = a.get("rel", "").lower().split()
            kind = a.get("type", "").split(";", 1)[0].strip().lower()
            href = a.get("href", "").strip()
            if "alternate" in rels and kind in _FEED_TYPES and href:
                url = urljoin(base_url, href)
                if url.lower().startswith(("http://", "https://")) and url not in found:
                    found.append(url)

    parser = _Links(convert_charrefs=True)
    try:
        parser.feed(page[:262144].decode("utf-8", "replace"))
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; a broken page just has no feeds
        pass
    return found
