"""The web reader: server-rendered Jinja2 pages (autoescape on) with a little progressive JavaScript.

Pages: the front page (ranked stories, search and filters), a story (its brief with every citation,
coverage matrix, figure conflicts, quotes, entities, framing, timeline), an article (its text with the
cited sentence marked), the check page (a plain form POST; JavaScript only adds polish), the API
reference, and a login page used only when reads are private.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..brief.render import DISPUTED
from ..model import Brief, Citation
from .security import SESSION_COOKIE, ApiError, client_key
from .service import NewsService, SourceSpec, StoryFilter, clip, coverage, headline, parse_time, root_of

__all__ = ["router", "make_templates", "render", "STATIC_DIR", "TEMPLATES_DIR"]

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"

PAGE_SIZE = 20

router = APIRouter(include_in_schema=False)


# -- template helpers -------------------------------------------------------------------------------------


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs may become links (a ``javascript:`` or ``data:`` URL from a feed never does)."""
    if not url:
        return None
    u = url.strip()
    try:
        parts = urlsplit(u)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return u


def fmt_time(value: str | None) -> str:
    dt = parse_time(value)
    if dt is None:
        return value or ""
    dt = dt.astimezone(UTC)
    if value and len(value.strip()) <= 10:  # a date without a time
        return f"{dt.day} {dt:%b %Y}"
    return f"{dt.day} {dt:%b %Y}, {dt:%H:%M} UTC"


def ago(value: str | None, now: datetime | None = None) -> str:
    dt = parse_time(value)
    if dt is None:
        return ""
    now = now or datetime.now(UTC)
    secs = (now - dt).total_seconds()
    if secs < 0 or secs > 7 * 86400:
        return fmt_time(value)
    if secs < 3600:
        n = max(1, int(secs // 60))
        return f"{n} min ago"
    if secs < 86400:
        return f"{int(secs // 3600)} h ago"
    n = int(secs // 86400)
    return f"{n} day{'s' if n > 1 else ''} ago"


def iso(value: str | None) -> str:
    dt = parse_time(value)
    return dt.isoformat() if dt else ""


def initials(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name)
    if not words:
        return name[:2].upper() or "?"
    if len(words) == 1:
        return words[0][:3].capitalize()
    return "".join(w[0].upper() for w in words[:3])


def _abbreviations(outlets: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    used: set[str] = set()
    for o in outlets:
        ab = initials(o)
        base, n = ab, 2
        while ab in used:
            ab, n = f"{base}{n}", n + 1
        used.add(ab)
        out[o] = ab
    return out


def pct(value: float | None) -> str:
    return "" if value is None else f"{round(100 * float(value))}%"


def _asset_version() -> str:
    h = hashlib.sha256()
    for p in sorted(STATIC_DIR.glob("*")):
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:10]


def make_templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,  # everywhere: a <script> in a title is text
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(safe_url=safe_url, fmt_time=fmt_time, ago=ago, iso=iso, initials=initials, pct=pct)
    env.globals.update(asset_version=_asset_version(), headline=headline, disputed_text=DISPUTED)
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    auth = request.app.state.auth
    root = root_of(request.scope)
    html = env.get_template(name).render(
        root=root,
        path=request.url.path,
        private=not auth.public_reads,
        signed_in=bool(request.cookies.get(SESSION_COOKIE)),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _svc(request: Request) -> NewsService:
    return request.app.state.service


def _gate(request: Request) -> Response | None:
    """None when the visitor may read; else a redirect to the login page (or the 403 page)."""
    auth = request.app.state.auth
    if auth.reader_allowed(request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE)):
        return None
    if not auth.token_configured:
        raise ApiError(403, "reads_disabled", "this server's reads are private and it has no API token configured")
    root = root_of(request.scope)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{root}/login?{urlencode({'next': target})}", 303)


class CiteIndex:
    """Numbers the story's articles (chronologically) so citations read [1], [2], ... and link to sources."""

    def __init__(self, articles: list[Any]) -> None:
        self.number: dict[str, int] = {}
        self.articles = {a.id: a for a in articles}
        for a in articles:
            if a.id not in self.number and not a.duplicate_of:
                self.number[a.id] = len(self.number) + 1
        self._uid = 0

    def uid(self) -> str:
        self._uid += 1
        return f"cite-{self._uid}"

    def ordered(self, citations: list[Citation]) -> list[Citation]:
        """Citations of one sentence by source number, each cited sentence once."""
        unique = {(c.article_id, c.sentence_index): c for c in reversed(citations)}
        return sorted(unique.values(), key=lambda c: (self.number.get(c.article_id, 1 << 30), c.sentence_index))

    def original(self, c: Citation) -> str | None:
        """The cited article's own http(s) URL, if it has one."""
        art = self.articles.get(c.article_id)
        return safe_url(c.url) or safe_url(art.url if art else None)

    def n(self, c: Citation) -> int | str:
        return self.number.get(c.article_id, "?")

    def link(self, c: Citation, root: str) -> str:
        """Where the citation leads: the original article when it has an http(s) URL, else our copy."""
        return self.original(c) or self.local(c, root)

    def local(self, c: Citation, root: str) -> str:
        q = f"?hl={c.start}-{c.end}#cited" if c.start is not None and c.end is not None else ""
        return f"{root}/articles/{quote(c.article_id, safe='')}{q}"


# -- pages --------------------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def front_page(request: Request) -> Response:
    if (gate := _gate(request)) is not None:
        return gate
    svc = _svc(request)
    qp = request.query_params
    try:
        page = max(1, min(int(qp.get("page", "1") or 1), 10_000))
    except ValueError:
        page = 1
    sort = qp.get("sort", "rank")
    if sort not in {"rank", "recent", "outlets"}:
        sort = "rank"
    flt = StoryFilter(
        outlet=(qp.get("outlet") or "").strip()[:200] or None,
        entity=(qp.get("entity") or "").strip()[:200] or None,
        q=(qp.get("q") or "").strip()[:500] or None,
        sort=sort,
    )
    stories = svc.repo.list_stories()
    rows, total = svc.list_stories(flt, PAGE_SIZE, (page - 1) * PAGE_SIZE, stories)
    svc.prefetch_briefs([r.story for r in rows])
    leads: dict[str, str] = {}
    for r in rows:
        if r.brief is None or not r.brief.key_points:
            leads[r.story.id] = _lead(svc, r.story.id)
    params = {k: v for k, v in {"q": flt.q, "outlet": flt.outlet, "entity": flt.entity}.items() if v}
    if sort != "rank":
        params["sort"] = sort

    def page_url(p: int) -> str:
        return "?" + urlencode({**params, "page": p})

    return render(
        request,
        "index.html",
        rows=rows,
        leads=leads,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page * PAGE_SIZE < total else None,
        flt=flt,
        sort=sort,
        outlets=svc.outlets(stories),
        filtered=flt.active,
        now=datetime.now(UTC),
    )


def _lead(svc: NewsService, story_id: str) -> str:
    """The opening of the story's earliest article, for stories whose brief is not built yet."""
    from ..store import ArticleQuery

    arts = svc.repo.list_articles(ArticleQuery(story_id=story_id, include_duplicates=False, limit=1))
    return clip(arts[0].text, 260) if arts else ""


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def story_page(request: Request, story_id: str) -> Response:
    if (gate := _gate(request)) is not None:
        return gate
    svc = _svc(request)
    story = svc.resolve_story(story_id)
    root = root_of(request.scope)
    if story.id != story_id:
        return RedirectResponse(f"{root}/stories/{quote(story.id, safe='')}", 301)
    state = await svc.brief(story.id, wait_s=svc.brief_wait_s)
    articles = await svc.run(svc.story_articles, story.id)
    brief: Brief | None = state.brief
    cites = CiteIndex(articles)
    cov = coverage(brief, articles)
    # matrix columns: outlets with their own reporting (a syndicated copy adds no column)
    own = {a.outlet for a in articles if not a.duplicate_of}
    cov["columns"] = [o for o in cov["outlets"] if o in own or any(o in r["outlets"] for r in cov["rows"])]
    abbr = _abbreviations(cov["outlets"])
    entities: dict[str, list[Any]] = {}
    if brief:
        names = {"PERSON": "People", "PLACE": "Places", "ORG": "Organisations", "OTHER": "Other"}
        for e in sorted(brief.entities, key=lambda e: -e.total):
            entities.setdefault(names.get(e.label, "Other"), []).append(e)
        entities = {k: entities[k] for k in ("People", "Places", "Organisations", "Other") if k in entities}
    return render(
        request,
        "story.html",
        story=story,
        brief=brief,
        state=state,
        articles=articles,
        cites=cites,
        cov=cov,
        abbr=abbr,
        entities=entities,
        headline=headline(story, brief),
        refresh=state.status == "building",
        now=datetime.now(UTC),
        leads={a.id: clip(a.text, 320) for a in articles} if brief is None else {},
    )


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> Response:
    if (gate := _gate(request)) is not None:
        return gate
    svc = _svc(request)
    art = svc.repo.get_article(article_id)
    if art is None:
        raise ApiError(404, "not_found", f"no article with id {article_id!r}")
    before, marked, after = art.text, "", ""
    m = re.fullmatch(r"(\d{1,9})-(\d{1,9})", request.query_params.get("hl", ""))
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if 0 <= a < b <= len(art.text):
            before, marked, after = art.text[:a], art.text[a:b], art.text[b:]
    story = svc.repo.get_story(art.story_id) if art.story_id else None
    return render(
        request,
        "article.html",
        article=art,
        story=story,
        before=[p for p in before.split("\n")],
        marked=marked,
        after=[p for p in after.split("\n")],
    )


def _parse_sources(text: str, svc: NewsService) -> list[SourceSpec]:
    """The check form's sources box: blocks separated by a line of three dashes; a lone URL or id is one."""
    blocks = (b.strip() for b in re.split(r"(?m)^\s*-{3,}\s*$", text))
    return [svc.source_from_string(b) for b in blocks if b]


def _story_choices(svc: NewsService) -> list[tuple[str, str]]:
    rows, _ = svc.list_stories(StoryFilter(), 50, 0)
    return [(r.story.id, headline(r.story, r.brief)) for r in rows]


@router.get("/check", response_class=HTMLResponse)
def check_page(request: Request) -> Response:
    if (gate := _gate(request)) is not None:
        return gate
    svc = _svc(request)
    story_id = (request.query_params.get("story") or "")[:200]
    return render(request, "check.html", stories=_story_choices(svc), form={"story": story_id}, report=None, error=None)


@router.post("/check", response_class=HTMLResponse)
async def check_submit(request: Request) -> Response:
    if (gate := _gate(request)) is not None:
        return gate
    svc = _svc(request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise ApiError(415, "unsupported_media_type", "send the check form as application/x-www-form-urlencoded")
    request.app.state.limiter.check(client_key(request.scope))
    data = await _form(request, 20)
    form = {
        "summary": data.get("summary", ""),
        "sources": data.get("sources", ""),
        "story": data.get("story", "")[:200],
    }
    error, report, status = None, None, 200
    if not form["summary"].strip():
        error, status = "Paste the summary you want to check.", 400
    elif len(form["summary"]) > 20_000:
        error, status = "The summary is longer than 20,000 characters.", 400
    else:
        specs = _parse_sources(form["sources"], svc)
        if not specs and not form["story"]:
            error, status = "Add at least one source, or choose a story whose coverage to check against.", 400
        else:
            try:
                report = await svc.run(svc.check, form["summary"], specs, form["story"] or None)
            except ApiError as exc:
                error, status = exc.message, exc.status
    return render(
        request,
        "check.html",
        status=status,
        stories=_story_choices(svc),
        form=form,
        report=report,
        error=error,
    )


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    schema = request.app.openapi()
    ops = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p.get("name"),
                    "where": p.get("in"),
                    "required": p.get("required", False),
                    "type": _type_name(p.get("schema", {})),
                    "description": p.get("description") or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": _type_name(body) if body else None,
                    "auth": bool(op.get("x-requires-token")),
                    "responses": sorted(op.get("responses", {}).keys()),
                    "anchor": re.sub(r"[^a-z0-9]+", "-", f"{method}-{path}".lower()).strip("-"),
                }
            )
    models = sorted(schema.get("components", {}).get("schemas", {}).items())
    return render(request, "api_docs.html", ops=ops, models=models, info=schema.get("info", {}), type_name=_type_name)


def _type_name(s: dict[str, Any] | None) -> str:
    if not s:
        return ""
    if "$ref" in s:
        return s["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf"):
        if key in s:
            return " | ".join(_type_name(x) for x in s[key])
    t = s.get("type", "")
    if t == "array":
        return f"list[{_type_name(s.get('items', {}))}]"
    if "enum" in s:
        return " | ".join(repr(v) for v in s["enum"])
    if "const" in s:
        return repr(s["const"])
    return str(t or "any")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    nxt = _safe_next(request.query_params.get("next"))
    return render(request, "login.html", next=nxt, error=None)


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    auth = request.app.state.auth
    request.app.state.limiter.check(client_key(request.scope))
    data = await _form(request, 5)
    nxt = _safe_next(data.get("next"))
    if not auth.token_matches(data.get("token", "")):
        return render(request, "login.html", status=401, next=nxt, error="That token is not valid for this server.")
    resp = RedirectResponse(nxt, 303)
    resp.set_cookie(
        SESSION_COOKIE,
        auth.session_value() or "",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=30 * 86400,
        path="/",
    )
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    resp = RedirectResponse(_safe_next("/"), 303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


async def _form(request: Request, max_fields: int) -> dict[str, str]:
    """An urlencoded form body (first value of each field); parsed here, no multipart dependency."""
    raw = (await request.body()).decode("utf-8", "replace")
    try:
        fields = parse_qs(raw, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:  # more fields than the form has
        raise ApiError(400, "bad_request", f"the form has at most {max_fields} fields") from None
    return {k: v[0] for k, v in fields.items()}


def _safe_next(value: str | None) -> str:
    """Only same-site paths may be redirect targets (no //host or scheme)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"
