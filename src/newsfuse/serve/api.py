"""The JSON API under ``/api`` (OpenAPI schema at ``/openapi.json``, reference page at ``/api/docs``).

Reads are public unless ``public_reads`` is off; writes (adding articles and feeds) need the bearer
token; writes and checks are rate-limited per client. Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..model import Article, Brief, CheckReport, IngestReport, RawDocument, Story
from ..store import ArticleQuery, FeedRecord
from .security import SESSION_COOKIE, ApiError, client_key
from .service import BriefState, NewsService, SourceSpec, StoryFilter, coverage, headline, parse_filter_time, root_of

__all__ = ["router", "story_summary", "article_summary"]

_bearer = HTTPBearer(auto_error=False, description="The server's API token (NEWSFUSE_API_TOKEN).")


_HTTP_URL = r"^[hH][tT][tT][pP][sS]?://[^\s/]+\S*$"

# -- models -----------------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    code: str = Field(description="Stable snake_case error code, e.g. not_found, rate_limited.")
    message: str = Field(description="What went wrong and how to fix it.")


class ErrorResponse(BaseModel):
    error: ErrorBody


class StorySummary(BaseModel):
    id: str
    headline: str
    outlets: list[str]
    n_outlets: int
    n_articles: int
    first_seen: str | None
    last_seen: str | None
    key_points: list[str] = Field(description="Up to three key points, when the brief has been built.")
    has_brief: bool
    url: str = Field(description="The story's page in the web reader.")
    api_url: str


class StoryPage(BaseModel):
    items: list[StorySummary]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class ArticleSummary(BaseModel):
    id: str
    title: str
    outlet: str
    url: str | None
    published: str | None
    author: str | None
    story_id: str | None
    duplicate_of: str | None
    words: int
    api_url: str


class ArticleOut(ArticleSummary):
    text: str
    canonical_url: str | None
    language: str | None
    fetched_at: str | None
    content_hash: str
    extra: dict[str, Any]


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    limit: int
    offset: int


class CoverageRow(BaseModel):
    text: str
    kind: str = Field(description="key_point, agreement or only_one (where the fact came from in the brief).")
    outlets: list[str]


class OnlyOne(BaseModel):
    outlet: str
    text: str


class Coverage(BaseModel):
    outlets: list[str]
    articles_per_outlet: dict[str, int]
    rows: list[CoverageRow]
    only_one: list[OnlyOne]


class BriefStatus(BaseModel):
    status: Literal["ready", "building", "unavailable", "failed"]
    message: str | None = None


class StoryOut(BaseModel):
    story: Story
    brief: Brief | None
    brief_status: BriefStatus
    articles: list[ArticleSummary]
    coverage: Coverage


class ArticleIn(BaseModel):
    """Add one article: a `url` to fetch, or the page's `html`, or its `text` (a JSON record)."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(
        None, max_length=4096, pattern=_HTTP_URL, description="Fetched when neither html nor text is given."
    )
    html: str | None = Field(None, description="The article page's HTML.")
    text: str | None = Field(None, description="The article's plain text (with title, outlet, ... as fields).")
    title: str | None = Field(None, max_length=1000)
    outlet: str | None = Field(None, max_length=200)
    author: str | None = Field(None, max_length=500)
    published: str | None = Field(None, max_length=64, description="ISO 8601 publication time.")
    language: str | None = Field(None, max_length=16)

    @field_validator("published")
    @classmethod
    def _readable_date(cls, value: str | None) -> str | None:
        from ..extract import normalise_date

        if value is None or not value.strip():
            return None
        if normalise_date(value) is None:
            raise ValueError("not a date newsfuse can read (give ISO 8601, e.g. 2026-11-24T08:30:00Z)")
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> ArticleIn:
        if self.html and self.text:
            raise ValueError("give html or text, not both")
        if not (self.html or self.text or self.url):
            raise ValueError("give a url, the page's html, or the article's text")
        return self


class IngestOut(BaseModel):
    report: IngestReport
    articles: list[ArticleSummary]


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=4096, pattern=_HTTP_URL, description="An RSS, Atom or JSON Feed URL (http or https).")
    title: str | None = Field(None, max_length=500)


class FeedOut(BaseModel):
    feed: FeedRecord
    created: bool


MAX_CHECK_SOURCE_CHARS = 300_000  # text given inline to one /api/check request (about 50,000 words)


class SourceIn(BaseModel):
    """One source: exactly one of text, url or article_id."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(None, max_length=MAX_CHECK_SOURCE_CHARS)
    url: str | None = Field(None, max_length=4096)
    article_id: str | None = Field(None, max_length=200)
    outlet: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=1000)

    @model_validator(mode="after")
    def _exactly_one(self) -> SourceIn:
        given = [x for x in (self.text, self.url, self.article_id) if x]
        if len(given) != 1:
            raise ValueError("each source needs exactly one of text, url or article_id")
        return self


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str | list[str] = Field(
        description="The summary to check: one text (split into sentences) or a list of sentences."
    )
    sources: list[SourceIn | str] = Field(
        default_factory=list,
        max_length=50,
        description="Texts, http(s) URLs or stored article ids (a plain string is read as a URL if it looks "
        "like one, else as an article id if one exists, else as text).",
    )
    story_id: str | None = Field(None, max_length=200, description="Use this story's articles as sources too.")

    @model_validator(mode="after")
    def _bounded(self) -> CheckIn:
        parts = [self.summary] if isinstance(self.summary, str) else self.summary
        if not any(p.strip() for p in parts):
            raise ValueError("the summary is empty")
        if sum(len(p) for p in parts) > 20_000:
            raise ValueError("the summary is longer than 20,000 characters")
        if len(parts) > 200:
            raise ValueError("at most 200 summary sentences")
        # the cost of a check grows with the source text (entities, sentence splitting, retrieval):
        # a bound keeps one anonymous request to seconds, not a minute of CPU
        given = sum(len(s.text or "") if isinstance(s, SourceIn) else len(s) for s in self.sources)
        if given > MAX_CHECK_SOURCE_CHARS:
            raise ValueError(
                f"the sources hold {given:,} characters of text, more than {MAX_CHECK_SOURCE_CHARS:,}: "
                "check against fewer or shorter sources"
            )
        return self


class HealthOut(BaseModel):
    status: str
    version: str
    writes_enabled: bool
    public_reads: bool


# -- dependencies -----------------------------------------------------------------------------------------


def service(request: Request) -> NewsService:
    return request.app.state.service


Service = Annotated[NewsService, Depends(service)]


def require_read(request: Request, _cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    request.app.state.auth.require_read(request.headers.get("authorization"), request.cookies.get(SESSION_COOKIE))


def require_write(request: Request, _cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    request.app.state.limiter.check(client_key(request.scope))
    request.app.state.auth.require_write(request.headers.get("authorization"))


def rate_limited_read(request: Request, _: None = Depends(require_read)) -> None:
    request.app.state.limiter.check(client_key(request.scope))


_ERROR_TEXT = {
    400: "Bad request",
    401: "Missing or invalid bearer token",
    403: "Forbidden (e.g. no API token configured on the server)",
    404: "Not found",
    413: "Request body too large",
    422: "Invalid input",
    429: "Rate limited (see Retry-After)",
    503: "A pipeline stage this needs is not installed",
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers of one route (all shaped like ``ErrorResponse``)."""
    return {code: {"model": ErrorResponse, "description": _ERROR_TEXT[code]} for code in codes}


router = APIRouter(prefix="/api")
_TOKEN = {"x-requires-token": True}
reads = [Depends(require_read)]


# -- helpers ----------------------------------------------------------------------------------------------


def story_summary(story: Story, brief: Brief | None, root: str = "") -> dict[str, Any]:
    return {
        "id": story.id,
        "headline": headline(story, brief),
        "outlets": list(story.outlets),
        "n_outlets": len(story.outlets),
        "n_articles": len(story.article_ids),
        "first_seen": story.first_seen,
        "last_seen": story.last_seen,
        "key_points": [k.text for k in brief.key_points[:3]] if brief else [],
        "has_brief": brief is not None,
        "url": f"{root}/stories/{quote(story.id, safe='')}",
        "api_url": f"{root}/api/stories/{quote(story.id, safe='')}",
    }


def article_summary(a: Article, root: str = "") -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "outlet": a.outlet,
        "url": a.url,
        "published": a.published,
        "author": a.author,
        "story_id": a.story_id,
        "duplicate_of": a.duplicate_of,
        "words": len(a.text.split()),
        "api_url": f"{root}/api/articles/{quote(a.id, safe='')}",
    }


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def _source_spec(svc: NewsService, src: SourceIn | str) -> SourceSpec:
    if isinstance(src, str):
        return svc.source_from_string(src)
    return SourceSpec(text=src.text, url=src.url, article_id=src.article_id, outlet=src.outlet, title=src.title)


# -- routes -----------------------------------------------------------------------------------------------


@router.get("/health", response_model=HealthOut, summary="Is the server up?")
def health(request: Request) -> Any:
    from .. import __version__

    auth = request.app.state.auth
    return {
        "status": "ok",
        "version": __version__,
        "writes_enabled": auth.token_configured,
        "public_reads": auth.public_reads,
    }


@router.get(
    "/stories",
    response_model=StoryPage,
    dependencies=reads,
    responses=_errors(400, 401, 403, 422),
    summary="List stories",
)
def list_stories(
    request: Request,
    svc: Service,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Stories to skip.")] = 0,
    since: Annotated[str | None, Query(max_length=64, description="Last seen at or after (ISO 8601).")] = None,
    until: Annotated[str | None, Query(max_length=64, description="First seen at or before (ISO 8601).")] = None,
    outlet: Annotated[str | None, Query(max_length=200, description="Reported by this outlet.")] = None,
    entity: Annotated[
        str | None, Query(max_length=200, description="Mentions this person, place or organisation.")
    ] = None,
    q: Annotated[str | None, Query(max_length=500, description="Words that must all appear in the story.")] = None,
    sort: Annotated[Literal["rank", "recent", "outlets"], Query(description="Ranking.")] = "rank",
) -> Any:
    """Stories ranked by freshness and number of outlets (`sort=rank`), newest first (`recent`) or widest
    first (`outlets`)."""
    flt = StoryFilter(
        since=parse_filter_time("since", since),
        until=parse_filter_time("until", until),
        outlet=outlet,
        entity=entity,
        q=q,
        sort=sort,
    )
    rows, total = svc.list_stories(flt, limit, offset)
    root = root_of(request.scope)
    nxt = offset + limit if offset + limit < total else None
    return _json(
        {
            "items": [story_summary(r.story, r.brief, root) for r in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": nxt,
        }
    )


@router.get(
    "/stories/{story_id}",
    response_model=StoryOut,
    dependencies=reads,
    responses=_errors(401, 403, 404, 422),
    summary="One story",
)
async def get_story(
    request: Request,
    story_id: str,
    svc: Service,
    brief: Annotated[bool, Query(description="Build the brief if it is missing (waits for it).")] = True,
) -> Any:
    """The story with its brief (built on demand and cached), its articles and the coverage matrix."""
    story = svc.resolve_story(story_id)
    root = root_of(request.scope)
    if story.id != story_id:
        return RedirectResponse(
            f"{root}/api/stories/{story.id}" + (f"?{request.url.query}" if request.url.query else ""), 308
        )
    if brief:
        state = await svc.brief(story.id, wait_s=None)
    else:
        cached = svc.repo.get_brief(story.id)
        state = BriefState("ready", cached) if cached else BriefState("building", None, "not built yet (brief=false)")
    articles = await svc.run(svc.story_articles, story.id)
    return _json(
        {
            "story": story.to_dict(),
            "brief": state.brief.to_dict() if state.brief else None,
            "brief_status": state.to_dict(),
            "articles": [article_summary(a, root) for a in articles],
            "coverage": coverage(state.brief, articles),
        }
    )


@router.get(
    "/articles",
    response_model=ArticlePage,
    dependencies=reads,
    responses=_errors(401, 403, 422),
    summary="List articles",
)
def list_articles(
    request: Request,
    svc: Service,
    story_id: Annotated[str | None, Query(max_length=200)] = None,
    outlet: Annotated[str | None, Query(max_length=200)] = None,
    include_duplicates: bool = True,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    rows = svc.repo.list_articles(
        ArticleQuery(
            story_id=story_id, outlet=outlet, include_duplicates=include_duplicates, limit=limit, offset=offset
        )
    )
    root = root_of(request.scope)
    return _json({"items": [article_summary(a, root) for a in rows], "limit": limit, "offset": offset})


@router.get(
    "/articles/{article_id}",
    response_model=ArticleOut,
    dependencies=reads,
    responses=_errors(401, 403, 404),
    summary="One article",
)
def get_article(request: Request, article_id: str, svc: Service) -> Any:
    art = svc.repo.get_article(article_id)
    if art is None:
        raise ApiError(404, "not_found", f"no article with id {article_id!r}")
    out = article_summary(art, root_of(request.scope))
    out.update(
        text=art.text,
        canonical_url=art.canonical_url,
        language=art.language,
        fetched_at=art.fetched_at,
        content_hash=art.content_hash,
        extra=art.extra,
    )
    return _json(out)


@router.post(
    "/articles",
    response_model=IngestOut,
    status_code=201,
    dependencies=[Depends(require_write)],
    openapi_extra=_TOKEN,
    responses=_errors(400, 401, 403, 413, 422, 429, 503),
    summary="Add an article",
)
async def add_article(request: Request, body: ArticleIn, svc: Service) -> Any:
    """Add an article by URL (fetched), by its HTML, or as a JSON record with its text.

    Answers 201 when something new was stored, 200 when it was already there, 422 when it was skipped.
    """
    fields = {
        k: v
        for k, v in {
            "title": body.title,
            "outlet": body.outlet,
            "source": body.outlet,
            "author": body.author,
            "published": body.published,
            "language": body.language,
            "url": body.url,
        }.items()
        if v
    }
    try:
        if body.html is not None:
            doc = RawDocument(
                kind="html",
                location=body.url or "api:html",
                payload=body.html.encode("utf-8"),
                url=body.url,
                content_type="text/html",
                fields=fields,
            )
            report = await svc.run(svc.ingest_docs, [doc])
        elif body.text is not None:
            doc = RawDocument(
                kind="record", location=body.url or "api:record", url=body.url, fields={**fields, "text": body.text}
            )
            report = await svc.run(svc.ingest_docs, [doc])
        else:
            report = await svc.run(svc.ingest_url, body.url)
    except ImportError as exc:
        raise ApiError(503, "unavailable", "ingesting needs the extract and cluster stages, missing here") from exc
    if report.stored == 0 and report.unchanged == 0:
        reasons = "; ".join(r for _, r in report.skipped) or "nothing readable"
        raise ApiError(422, "not_an_article", f"nothing was stored: {reasons}")
    root = root_of(request.scope)
    # a repeated post answers with the article it already stored, so the client learns its id
    stored = svc.repo.get_articles(list(dict.fromkeys(report.article_ids + report.existing_ids)))
    return _json(
        {"report": report.to_dict(), "articles": [article_summary(a, root) for a in stored]},
        201 if report.stored else 200,
    )


@router.get(
    "/feeds", response_model=list[FeedRecord], dependencies=reads, responses=_errors(401, 403), summary="List feeds"
)
def list_feeds(svc: Service) -> Any:
    return _json([f.__dict__ for f in svc.repo.list_feeds()])


@router.post(
    "/feeds",
    response_model=FeedOut,
    status_code=201,
    dependencies=[Depends(require_write)],
    openapi_extra=_TOKEN,
    responses=_errors(400, 401, 403, 413, 422, 429),
    summary="Add a feed",
)
def add_feed(body: FeedIn, svc: Service) -> Any:
    """Store a feed URL (polled by `newsfuse serve --watch` and `newsfuse watch`). 200 if already stored.
    422 for a URL the fetch policy refuses outright (a private or loopback address, a port below 1024
    other than 80 and 443), as `newsfuse feeds add` does."""
    from ..ingest.http import static_url_problem

    url = body.url
    problem = static_url_problem(url, svc.settings)
    if problem:
        raise ApiError(422, "refused_url", f"refused: {problem}")
    created = svc.repo.add_feed(url, body.title)
    feed = next((f for f in svc.repo.list_feeds() if f.url == url), FeedRecord(url=url, title=body.title))
    return _json({"feed": feed.__dict__, "created": created}, 201 if created else 200)


@router.delete(
    "/feeds",
    status_code=204,
    dependencies=[Depends(require_write)],
    openapi_extra=_TOKEN,
    responses=_errors(401, 403, 404, 422, 429),
    summary="Remove a feed",
    response_class=Response,
    response_model=None,
)
def delete_feed(
    svc: Service, url: Annotated[str, Query(max_length=4096, description="The feed URL to remove.")]
) -> Any:
    if not svc.repo.remove_feed(url):
        raise ApiError(404, "not_found", f"no feed with url {url!r}")
    return Response(status_code=204)


@router.post(
    "/check",
    response_model=CheckReport,
    dependencies=[Depends(rate_limited_read)],
    responses=_errors(400, 401, 403, 404, 413, 422, 429, 503),
    summary="Check a summary",
)
async def check(body: CheckIn, svc: Service) -> Any:
    """Check every sentence of a summary against the sources; each gets a verdict, a score and evidence."""
    specs = [_source_spec(svc, s) for s in body.sources]
    if not specs and not body.story_id:
        raise ApiError(400, "bad_request", "give at least one source (text, url or article_id) or a story_id")
    report: CheckReport = await svc.run(svc.check, body.summary, specs, body.story_id)
    return _json(report.to_dict())
