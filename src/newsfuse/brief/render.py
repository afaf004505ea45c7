"""Render a :class:`~newsfuse.model.Brief` as Markdown, HTML or JSON.

All text in a brief comes from scraped pages and must be treated as hostile: the HTML
renderer escapes every string (element text and attribute values), only links to
``http``/``https`` URLs, and citations are superscript links whose ``title`` attribute holds
the cited source sentence. Markdown output escapes the characters Markdown would interpret.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import urlsplit

from newsfuse.model import Brief, Citation, KeyPoint

__all__ = ["to_markdown", "to_html", "to_json", "citation_index", "DISPUTED"]


def citation_index(brief: Brief) -> list[Citation]:
    """Every distinct cited source sentence, in first-use order (the numbering used by the renderers)."""
    seen: dict[tuple, Citation] = {}
    groups = [brief.key_points, brief.synthesis, brief.agreement, brief.only_one, brief.quotes, brief.figure_conflicts]
    for group in groups:
        for item in group:
            for c in item.citations:
                seen.setdefault((c.article_id, c.sentence_index), c)
    return list(seen.values())


def _numbers(brief: Brief) -> dict[tuple, int]:
    return {(c.article_id, c.sentence_index): n for n, c in enumerate(citation_index(brief), 1)}


# --------------------------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def _md(text: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return _MD_SPECIAL.sub(r"\\\1", text)


# the marker beside a sentence whose figure outlets dispute (``Brief.disputes``); the web page uses it too
DISPUTED = "Outlets give different figures here"


def _md_cites(cites: list[Citation], nums: dict[tuple, int]) -> str:
    refs = sorted({nums[(c.article_id, c.sentence_index)] for c in cites if (c.article_id, c.sentence_index) in nums})
    return "".join(f"[^{n}]" for n in refs)


def _md_disputed(brief: Brief, item: KeyPoint) -> str:
    return f" *({DISPUTED}: see “Figures that differ”)*" if brief.disputes(item) else ""


def to_markdown(brief: Brief) -> str:
    nums = _numbers(brief)
    out = [f"# {_md(brief.headline)}", ""]
    if brief.outlets:
        out += [f"*{len(brief.outlets)} outlet(s): {_md(', '.join(brief.outlets))}*", ""]
    if brief.key_points:
        out += ["## Key points", ""]
        out += [
            f"- {_md(k.text)} {_md_cites(k.citations, nums)}{_md_disputed(brief, k)}".rstrip() for k in brief.key_points
        ]
        out.append("")
    if brief.synthesis:
        out += ["## Summary", ""]
        out.append(
            " ".join(f"{_md(s.text)}{_md_cites(s.citations, nums)}{_md_disputed(brief, s)}" for s in brief.synthesis)
        )
        out.append("")
    if brief.quotes:
        out += ["## Quotes", ""]
        for q in brief.quotes:
            who = _md(q.speaker) if q.speaker else "unattributed"
            out.append(f"> “{_md(q.text)}” — {who} {_md_cites(q.citations, nums)}".rstrip())
            out.append("")
    if brief.agreement:
        out += ["## What the outlets agree on", ""]
        for k in brief.agreement:
            outlets = ", ".join(k.outlets)
            out.append(f"- {_md(k.text)} ({_md(outlets)}) {_md_cites(k.citations, nums)}".rstrip())
        out.append("")
    if brief.only_one:
        out += ["## Reported by one outlet only", ""]
        for k in brief.only_one:
            outlet = k.citations[0].outlet if k.citations else "?"
            out.append(f"- **{_md(outlet)}**: {_md(k.text)} {_md_cites(k.citations, nums)}".rstrip())
        out.append("")
    if brief.figure_conflicts:
        out += ["## Figures that differ", ""]
        for f in brief.figure_conflicts:
            vals = "; ".join(f"{_md(o)}: {_md(v)}" for o, v in sorted(f.values.items()))
            out.append(f"- {_md(f.description)} — {vals} {_md_cites(f.citations, nums)}".rstrip())
        out.append("")
    if brief.framing:
        out += ["## How each outlet frames it", ""]
        for fr in brief.framing:
            terms = ", ".join(fr.distinctive_terms)
            line = f"- **{_md(fr.outlet)}**: “{_md(fr.headline)}”"
            if terms:
                line += f" — distinctive terms: {_md(terms)}"
            out.append(line)
        out.append("")
    if brief.entities:
        out += ["## Who and where", ""]
        for e in brief.entities:
            counts = ", ".join(f"{_md(o)} {n}" for o, n in sorted(e.counts.items()))
            out.append(f"- {_md(e.name)} ({e.label}): {counts}")
        out.append("")
    cites = citation_index(brief)
    if cites:
        out += ["## Sources", ""]
        for n, c in enumerate(cites, 1):
            where = f" <{c.url}>" if _safe_url(c.url) else ""
            out.append(f"[^{n}]: {_md(c.outlet)}, sentence {c.sentence_index + 1}: “{_md(c.text)}”{where}")
        out.append("")
    out.append(f"*Generated {_md(brief.generated_at or '')} ({_md(brief.method)}).*")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------------------------- HTML


def _e(text: object) -> str:
    return html.escape(str(text if text is not None else ""), quote=True)


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(ch in url for ch in "\"'<>` \n\r\t"):
        return None
    return url


def _html_cites(cites: list[Citation], nums: dict[tuple, int]) -> str:
    parts = []
    done = set()
    for c in cites:
        n = nums.get((c.article_id, c.sentence_index))
        if n is None or n in done:
            continue
        done.add(n)
        title = f"{c.outlet}: {c.text}"
        parts.append(f'<a href="#src-{n}" title="{_e(title)}">{n}</a>')
    if not parts:
        return ""
    return '<sup class="cite">[' + ", ".join(parts) + "]</sup>"


def _html_disputed(brief: Brief, item: KeyPoint) -> str:
    if not brief.disputes(item):
        return ""
    return f' <a class="disputed" href="#figures">({_e(DISPUTED)})</a>'


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#1d1d1f}
h1{font-size:1.6rem;line-height:1.25}h2{font-size:1.1rem;margin-top:1.8rem;border-bottom:1px solid #ddd}
sup.cite a{text-decoration:none;color:#06c}blockquote{margin:.6rem 0;padding-left:.8rem;border-left:3px solid #ccc}
.meta{color:#666;font-size:.9rem}.outlet{font-weight:600}table{border-collapse:collapse}
td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}.terms{color:#555}
a.disputed{color:#8a5a00;font-size:.9rem}
"""


def to_html(brief: Brief, *, standalone: bool = True) -> str:
    """The brief as HTML: a full page (``standalone=True``) or an ``<article>`` fragment. Every text is escaped."""
    nums = _numbers(brief)
    h: list[str] = ['<article class="newsfuse-brief">', f"<h1>{_e(brief.headline)}</h1>"]
    if brief.outlets:
        h.append(f'<p class="meta">{len(brief.outlets)} outlet(s): {_e(", ".join(brief.outlets))}</p>')
    if brief.key_points:
        h.append("<h2>Key points</h2><ul>")
        h += [
            f"<li>{_e(k.text)}{_html_cites(k.citations, nums)}{_html_disputed(brief, k)}</li>" for k in brief.key_points
        ]
        h.append("</ul>")
    if brief.synthesis:
        h.append("<h2>Summary</h2><p>")
        h.append(
            " ".join(f"{_e(s.text)}{_html_cites(s.citations, nums)}{_html_disputed(brief, s)}" for s in brief.synthesis)
        )
        h.append("</p>")
    if brief.quotes:
        h.append("<h2>Quotes</h2>")
        for q in brief.quotes:
            who = _e(q.speaker) if q.speaker else "unattributed"
            h.append(f"<blockquote>“{_e(q.text)}” — <cite>{who}</cite>{_html_cites(q.citations, nums)}</blockquote>")
    if brief.agreement:
        h.append("<h2>What the outlets agree on</h2><ul>")
        for k in brief.agreement:
            h.append(f"<li>{_e(k.text)} <span class=\"meta\">({_e(', '.join(k.outlets))})</span>"
                     f"{_html_cites(k.citations, nums)}</li>")  # fmt: skip
        h.append("</ul>")
    if brief.only_one:
        h.append("<h2>Reported by one outlet only</h2><ul>")
        for k in brief.only_one:
            outlet = k.citations[0].outlet if k.citations else "?"
            h.append(f'<li><span class="outlet">{_e(outlet)}</span>: {_e(k.text)}{_html_cites(k.citations, nums)}</li>')
        h.append("</ul>")
    if brief.figure_conflicts:
        h.append('<h2 id="figures">Figures that differ</h2><ul>')
        for f in brief.figure_conflicts:
            vals = "; ".join(f"{_e(o)}: {_e(v)}" for o, v in sorted(f.values.items()))
            h.append(f"<li>{_e(f.description)} — {vals}{_html_cites(f.citations, nums)}</li>")
        h.append("</ul>")
    if brief.framing:
        h.append("<h2>How each outlet frames it</h2><ul>")
        for fr in brief.framing:
            head = _e(fr.headline)
            url = _safe_url(fr.url)
            if url:
                head = f'<a href="{_e(url)}" rel="nofollow noopener noreferrer">{head}</a>'
            terms = (
                f' <span class="terms">— {_e(", ".join(fr.distinctive_terms))}</span>' if fr.distinctive_terms else ""
            )
            h.append(f'<li><span class="outlet">{_e(fr.outlet)}</span>: “{head}”{terms}</li>')
        h.append("</ul>")
    if brief.entities:
        h.append("<h2>Who and where</h2><table><tr><th>name</th><th>type</th><th>mentions by outlet</th></tr>")
        for e in brief.entities:
            counts = ", ".join(f"{_e(o)} {int(n)}" for o, n in sorted(e.counts.items()))
            h.append(f"<tr><td>{_e(e.name)}</td><td>{_e(e.label)}</td><td>{counts}</td></tr>")
        h.append("</table>")
    cites = citation_index(brief)
    if cites:
        h.append('<h2>Sources</h2><ol class="sources">')
        for n, c in enumerate(cites, 1):
            url = _safe_url(c.url)
            link = f' <a href="{_e(url)}" rel="nofollow noopener noreferrer">link</a>' if url else ""
            h.append(f'<li id="src-{n}"><span class="outlet">{_e(c.outlet)}</span>: “{_e(c.text)}”{link}</li>')
        h.append("</ol>")
    h.append(f'<p class="meta">Generated {_e(brief.generated_at or "")} ({_e(brief.method)}).</p></article>')
    body = "\n".join(h)
    if not standalone:
        return body
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{_e(brief.headline)}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


# --------------------------------------------------------------------------------------------- JSON


def to_json(brief: Brief, *, indent: int | None = 2) -> str:
    """The brief as JSON (the shape of ``Brief.to_dict()``; see docs/brief-schema.md)."""
    return json.dumps(brief.to_dict(), ensure_ascii=False, indent=indent)
