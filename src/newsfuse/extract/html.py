"""Web page -> main text and metadata.

The body text comes from trafilatura (Barbaresi 2021), run on a tree parsed once:

* first in its *precision* mode (``favor_precision=True``) without comments, which on news pages keeps
  less navigation and fewer teasers than the default mode;
* when that yields less than an article (fewer than ``min_chars`` characters after cleaning, or no prose:
  precision mode sometimes discards a whole short page), again in the balanced mode, keeping whichever
  cleaned output is longer.

A page with more than ``MAX_ELEMENTS`` elements once scripts and styles are gone (a link farm, a table dump:
real article pages here have under 2,000) is not given to trafilatura, whose time grows with the tree
(about 3 s for 40,000 elements, so half a minute for a 10 MB page). Its text is read from its
paragraphs instead (mode ``paragraphs``): those of the largest ``<article>`` or ``<main>`` when the page
has one, leaving out navigation, headers, footers, asides and blocks named as comments, related links or
teasers. That takes under a second for a 10 MB page. When libxml2 cut such a tree at its depth limit
(hundreds of unclosed tags) and the paragraphs come to less than an article, the page is parsed again
without the limit and read the same way (mode ``paragraphs-deep``).

Metadata is read directly from the parsed tree (OpenGraph / Twitter / Dublin Core / schema.org JSON-LD /
``<title>`` / ``<time>``), which is cheaper than trafilatura's full metadata pass; htmldate only runs
when the page declares no date at all. The first paragraph is dropped when it merely repeats the headline,
then the cleaning rules of :mod:`newsfuse.extract.rules` apply.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from newsfuse.extract.rules import clean_lines
from newsfuse.extract.text import looks_like_article, unwrap

__all__ = ["HtmlExtraction", "extract_html", "read_metadata", "parse_html"]

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]{1,2}\s+")
_WORDS = re.compile(r"\w+", re.UNICODE)
_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "socialmediaposting",
    "liveblogposting",
    "scholarlyarticle",
    "techarticle",
    "report",
    "webpage",
}
_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "published_time",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "dcterms.date",
    "date",
    "article:modified_time",
    "datemodified",
)
_AUTHOR_KEYS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl", "citation_author")


_INERT = ("script", "style", "noscript", "template", "svg", "link", "meta", "iframe", "object", "embed")


class _Failure(ValueError):
    """Internal: carries a short reason to the public ExtractError."""


@dataclass
class HtmlExtraction:
    """What :func:`extract_html` found on a page."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # as written on the page; normalised by the caller
    sitename: str | None = None
    language: str | None = None  # declared by the page (html lang, og:locale, ...)
    description: str | None = None
    declared_url: str | None = None  # <link rel=canonical> or og:url
    mode: str = "precision"
    removed: list[tuple[str, str]] = field(default_factory=list)


def parse_html(html: str, deep: bool = False):  # noqa: ANN201 - lxml HtmlElement or None
    """Parse (and repair) HTML into an lxml tree; None when there is no document at all.

    libxml2 stops building the tree 256 elements deep, so a page with a few hundred unclosed ``<span>``
    or ``<font>`` tags loses everything below that depth. ``deep=True`` lifts the limit (its huge-tree
    option); :func:`extract_html` uses it only when the normal tree gave too little text."""
    if not html or not html.strip():
        return None
    head = html[:2048].lower()
    if "<html" not in head and "<body" not in head and "<!doctype" not in head:
        html = f"<html><body>{html}</body></html>"
    try:
        if deep:
            import lxml.html

            return lxml.html.fromstring(html.encode("utf-8", "surrogatepass"), parser=_deep_parser())
        from trafilatura.utils import load_html

        return load_html(html)
    except Exception:  # noqa: BLE001 - lxml raises a zoo of errors on garbage
        return None


@lru_cache(maxsize=1)
def _deep_parser():  # noqa: ANN202
    from lxml.html import HTMLParser

    # trafilatura's parser options, plus no depth limit
    return HTMLParser(
        collect_ids=False,
        default_doctype=False,
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )


MAX_ELEMENTS = 30_000  # larger trees are read paragraph by paragraph, not by trafilatura (see the module doc)
MAX_DEEP_CHARS = 2_000_000  # pages parsed again without the depth limit are at most this long


def _depth(tree, stop: int | None = None) -> int:  # noqa: ANN001
    """How deep the tree nests its elements (the walk ends early once ``stop`` is reached)."""
    from lxml import etree

    depth = deepest = 0
    for event, _el in etree.iterwalk(tree, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
        if stop is not None and deepest >= stop:
            break
    return deepest


def _meta_table(tree) -> dict[str, str]:  # noqa: ANN001
    table: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        content = el.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                table.setdefault(key.strip().lower(), content.strip())
    return table


def _json_ld_objects(tree) -> list[dict[str, Any]]:  # noqa: ANN001
    found: list[dict[str, Any]] = []

    def walk(obj: Any, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(obj, list):
            for item in obj:
                walk(item, depth + 1)
        elif isinstance(obj, dict):
            types = obj.get("@type")
            names = [types] if isinstance(types, str) else types if isinstance(types, list) else []
            if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in names):
                found.append(obj)
            if "@graph" in obj:
                walk(obj["@graph"], depth + 1)
            main = obj.get("mainEntity")
            if isinstance(main, dict | list):
                walk(main, depth + 1)

    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            walk(json.loads(raw))
        except (ValueError, RecursionError):
            continue
    # real articles first, generic WebPage last
    found.sort(key=lambda o: str(o.get("@type", "")).lower() == "webpage")
    return found


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [n for item in value for n in _names(item)]
    return []


def _clean_author(value: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"\s+", " ", value).strip()
    value = re.sub(r"^(by|von|par|por|di)\s+", "", value, flags=re.IGNORECASE)
    if not value or "http" in value or "@" in value or len(value) > 120 or not any(c.isalpha() for c in value):
        return None
    return value


def _clean_title(value: str | None, sitename: str | None) -> str | None:
    if not value:
        return None
    value = re.sub(r"\s+", " ", value).strip()
    if sitename and len(value) > len(sitename) + 3:
        low, site = value.lower(), sitename.lower()
        if low.endswith(site):
            value = _TITLE_SEPARATORS.sub(" | ", value[: -len(sitename)]).rstrip(" |-–—:·•»")
        elif low.startswith(site):
            value = value[len(sitename) :].lstrip(" |-–—:·•»")
    return value or None


def _title_from_document_title(value: str, sitename: str | None) -> str | None:
    value = _clean_title(value, sitename) or ""
    parts = _TITLE_SEPARATORS.split(value)
    if len(parts) > 1:
        value = max(parts, key=len)
    return value.strip() or None


def _confirms(doc_title: str, h1: str, sitename: str | None) -> bool:
    """Whether a ``<title>`` (``Headline | Site``) carries this ``<h1>`` as its headline part."""
    words = _words(h1)
    if len(words) < 3 or (sitename and _words(sitename) == words):
        return False
    target = " ".join(words)
    for part in [doc_title, *_TITLE_SEPARATORS.split(doc_title)]:
        if " ".join(_words(part)) == target:
            return True
    return False


def read_metadata(tree, url: str | None = None) -> dict[str, Any]:  # noqa: ANN001
    """Title, author, published, sitename, language, description, declared URL and all headline variants
    (``headlines``: OpenGraph, Twitter, JSON-LD, ``<h1>``, ``<title>``) of a parsed page."""
    meta = _meta_table(tree)
    ld = _json_ld_objects(tree)

    def ld_get(key: str) -> Any:
        for obj in ld:
            if obj.get(key):
                return obj[key]
        return None

    sitename = meta.get("og:site_name") or meta.get("application-name") or meta.get("twitter:site:name")
    if not sitename:
        pub = ld_get("publisher")
        names = _names(pub)
        sitename = names[0] if names else None
    sitename = sitename.strip() if isinstance(sitename, str) and sitename.strip() else None

    headlines: list[str] = []  # every headline the page shows or declares, to spot it in the body

    def add_headline(value: Any) -> str | None:
        if isinstance(value, str):
            value = _clean_title(value, sitename)
            if value and value not in headlines:
                headlines.append(value)
            return value
        return None

    title = None
    for candidate in (meta.get("og:title"), ld_get("headline"), meta.get("twitter:title"), meta.get("title")):
        title = title or add_headline(candidate)
        add_headline(candidate)
    h1s = []
    for h1 in tree.iterfind(".//h1"):
        text = re.sub(r"\s+", " ", " ".join(h1.itertext())).strip()
        if 3 <= len(text) <= 300:
            h1s.append(text)
            add_headline(text)
        if len(h1s) >= 3:
            break
    node = tree.find(".//title")
    doc_title = node.text if node is not None and node.text else None
    # the headline the reader sees (<h1>) wins over a social-media variant (og:title) when the page's
    # <title> confirms it
    if h1s and doc_title and _confirms(doc_title, h1s[0], sitename):
        title = h1s[0]
    title = title or (h1s[0] if h1s else None)
    if doc_title:
        from_doc = _title_from_document_title(doc_title, sitename)
        add_headline(doc_title)
        add_headline(from_doc)
        title = title or from_doc

    author = None
    for key in _AUTHOR_KEYS:
        author = _clean_author(meta.get(key))
        if author:
            break
    if not author:
        for name in _names(ld_get("author")):
            author = _clean_author(name)
            if author:
                break

    published = None
    for key in _DATE_KEYS:
        if meta.get(key):
            published = meta[key]
            break
    if not published:
        value = ld_get("datePublished") or ld_get("dateCreated")
        if isinstance(value, str):
            published = value
    if not published:
        for el in tree.iterfind(".//time"):
            value = el.get("datetime")
            if value and any(c.isdigit() for c in value):
                published = value
                break

    language = tree.get("lang") or tree.get("xml:lang") or meta.get("content-language") or meta.get("og:locale")
    if not language:
        value = ld_get("inLanguage")
        language = value if isinstance(value, str) else None

    declared_url = None
    for link in tree.iterfind(".//link[@rel='canonical']"):
        if link.get("href"):
            declared_url = link.get("href").strip()
            break
    declared_url = declared_url or meta.get("og:url")
    if declared_url and not declared_url.startswith(("http://", "https://")):
        if url and declared_url.startswith("/"):
            parts = urlsplit(url)
            declared_url = f"{parts.scheme}://{parts.netloc}{declared_url}"
        else:
            declared_url = None

    return {
        "title": title,
        "author": author,
        "published": published,
        "sitename": sitename,
        "language": language,
        "description": meta.get("og:description") or meta.get("description"),
        "declared_url": declared_url,
        "headlines": headlines,
    }


def _find_date(tree) -> str | None:  # noqa: ANN001
    """htmldate's fast search, for pages that declare no date in their metadata."""
    try:
        from htmldate import find_date

        return find_date(tree, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 - a date is nice to have, never a reason to fail
        return None


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def _same_text(line: str, other: str | None) -> bool:
    """Whether a paragraph repeats ``other`` (up to case, punctuation, a site name or kicker around it)."""
    if not other or len(line) > 2 * len(other) + 40:
        return False
    a, b = " ".join(_words(line)), " ".join(_words(other))
    if not a or not b:
        return False
    if a == b:
        return True
    from rapidfuzz import fuzz

    if fuzz.ratio(a, b) >= 90:
        return True
    na, nb = a.count(" ") + 1, b.count(" ") + 1
    if na >= 4 and b.startswith(a) and na >= 0.6 * nb:  # the declared title adds the site name
        return True
    # the shown line adds a kicker or label; a lede that merely opens with the headline's words goes on
    return nb >= 4 and a.startswith(b) and na - nb <= 4 and not line.rstrip().endswith(".")


def _polish(text: str, meta: dict[str, Any], removed: list[tuple[str, str]]) -> list[str]:
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    headlines = meta.get("headlines") or ([meta["title"]] if meta.get("title") else [])
    # the headline repeated at the top of the body
    for i in range(min(2, len(lines))):
        if len(lines[i]) <= 400 and any(_same_text(lines[i], h) for h in headlines):
            removed.append(("title-echo", lines[i]))
            del lines[i]
            break
    return clean_lines(unwrap(lines), explain=removed)


def _strip_inert(tree) -> None:  # noqa: ANN001
    """Drop elements that never hold article text (scripts, styles, embedded media, comments) once the
    metadata has been read. trafilatura would discard them too, but only after copying the whole tree
    several times; removing them first makes extraction about 15% faster with the same output."""
    from lxml import etree

    etree.strip_elements(tree, *_INERT, etree.Comment, etree.ProcessingInstruction, with_tail=False)


def _count_elements(tree, stop: int) -> int:  # noqa: ANN001
    """Elements in the tree, counting no further than ``stop``."""
    n = 0
    for _ in tree.iter():
        n += 1
        if n >= stop:
            break
    return n


_NOT_BODY = frozenset({"nav", "header", "footer", "aside", "menu"})
_NOT_BODY_NAME = re.compile(r"comment|related|teaser|promo|recommend", re.I)


def _paragraphs(tree) -> list[str]:  # noqa: ANN001
    """The text of each ``<p>`` in page order: the plain reading of a page too large for trafilatura.

    Only the largest ``<article>``, ``<main>`` or ``itemprop=articleBody`` element is read when the page has
    one (by text length); ``<p>`` inside navigation, headers, footers, asides and elements whose class or id
    names comments, related links or teasers are left out, as are paragraphs that are mostly link text."""
    from lxml import etree

    roots = tree.xpath("//article | //main | //*[@itemprop='articleBody']")
    root = max(roots, key=lambda el: len(el.text_content())) if roots else tree

    def left_out(el) -> bool:  # noqa: ANN001
        return el.tag in _NOT_BODY or bool(_NOT_BODY_NAME.search(f"{el.get('class', '')} {el.get('id', '')}"))

    # one walk, counting the left-out blocks open around each element: time in proportion to the page, where
    # asking each <p> for its ancestors costs paragraphs x depth (a page nested 2,000 deep took 20 s)
    out = []
    inside = sum(left_out(a) for a in (root, *root.iterancestors()))
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        if event == "end":
            inside -= left_out(el) and el is not root
            continue
        if el.tag == "p" and not inside:
            text = " ".join(el.text_content().split())
            links = sum(len(a.text_content()) for a in el.iter("a"))
            if text and links <= len(text) / 2:
                out.append(text)
        inside += left_out(el) and el is not root
    return out


def _trafilatura_text(tree, url: str | None, precision: bool) -> str:  # noqa: ANN001
    from trafilatura import bare_extraction

    doc = bare_extraction(
        tree,
        url=url,
        favor_precision=precision,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
    )
    return (doc.text or "") if doc is not None else ""


def extract_html(
    html: str,
    url: str | None = None,
    *,
    min_chars: int = 200,
    precision: bool = True,
    fallback: bool = True,
    polish: bool = True,
) -> HtmlExtraction:
    """Main text and metadata of a web page.

    Raises ``ValueError`` subclasses with a short reason when there is no page or no text; the caller
    decides whether the result is long enough to be an article. ``precision``, ``fallback`` and ``polish``
    (headline echo + cleaning rules) switch off parts of the method, for ablations in ``newsfuse eval
    extract --variants``.
    """
    tree = parse_html(html)
    if tree is None:
        raise _Failure("empty page")
    meta = read_metadata(tree, url)
    published = meta["published"] or _find_date(tree)
    _strip_inert(tree)
    if _count_elements(tree, stop=MAX_ELEMENTS + 1) > MAX_ELEMENTS:
        paras, mode = _paragraphs(tree), "paragraphs"
        if fallback and _size(paras) < min_chars and _depth(tree, stop=255) >= 255:
            # cut at libxml2's depth limit: parse again without it. Reading paragraphs costs time in
            # proportion to the page, not to its depth, so no size bound is needed here
            deep_tree = parse_html(html, deep=True)
            if deep_tree is not None:
                _strip_inert(deep_tree)
                deep_paras = _paragraphs(deep_tree)
                if _size(deep_paras) > _size(paras):
                    paras, mode = deep_paras, "paragraphs-deep"
        if not paras:
            raise _Failure(
                f"no text (a page of over {MAX_ELEMENTS:,} elements with no paragraphs outside navigation, "
                "headers, footers and comments)"
            )
        removed_p: list[tuple[str, str]] = []
        lines = _polish("\n".join(paras), meta, removed_p) if polish else paras
        return _result(lines, meta, published, mode, removed_p)

    def run(favor_precision: bool, removed: list[tuple[str, str]], tree=tree) -> list[str]:  # noqa: ANN001
        text = _trafilatura_text(tree, url, precision=favor_precision)
        if polish:
            return _polish(text, meta, removed)
        return [ln.strip() for ln in text.splitlines() if ln.strip()]

    removed: list[tuple[str, str]] = []
    lines = run(precision, removed)
    mode = "precision" if precision else "balanced"
    if precision and fallback and (_size(lines) < min_chars or not looks_like_article(lines)):
        removed_b: list[tuple[str, str]] = []
        other = run(False, removed_b)
        if _size(other) > _size(lines):
            lines, removed, mode = other, removed_b, "balanced"
    weak = _size(lines) < min_chars or not looks_like_article(lines)
    if fallback and weak and len(html) > min_chars and _depth(tree, stop=255) >= 255:
        # too little text, or no prose (a list of links before the cut), from a tree that libxml2 cut at its
        # depth limit (unclosed tags): parse it again without the limit, for pages of an article's size (a
        # deep tree costs trafilatura much more time)
        deep_tree = parse_html(html, deep=True) if len(html) <= MAX_DEEP_CHARS else None
        deepest = _depth(deep_tree) if deep_tree is not None else 0
        if deep_tree is None:
            if not lines:
                raise _Failure("no text (the page nests its elements over 255 deep and is too large to parse again)")
        elif deepest > 255:
            _strip_inert(deep_tree)
            removed_d: list[tuple[str, str]] = []
            try:
                other = run(precision, removed_d, deep_tree)
            except RecursionError:
                other = []
            prose = _size(other) >= min_chars and looks_like_article(other) and not looks_like_article(lines)
            if _size(other) > _size(lines) or prose:
                lines, removed, mode = other, removed_d, f"{mode}-deep"
            elif not lines:
                raise _Failure(f"no text (the page nests its elements at least {deepest} deep)")
    return _result(lines, meta, published, mode, removed)


def _size(lines: list[str]) -> int:
    return sum(len(ln) for ln in lines)


def _result(
    lines: list[str], meta: dict[str, Any], published: str | None, mode: str, removed: list[tuple[str, str]]
) -> HtmlExtraction:
    return HtmlExtraction(
        text="\n".join(lines),
        title=meta["title"],
        author=meta["author"],
        published=published,
        sitename=meta["sitename"],
        language=meta["language"],
        description=meta["description"],
        declared_url=meta["declared_url"],
        mode=mode,
        removed=removed,
    )
