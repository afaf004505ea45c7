"""The bundled example corpus (fiction written for newsfuse) and the demo runner."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

__all__ = ["CORPUS_DIR", "run_demo", "write_site"]

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def run_demo(pipeline: Any, out: Path, progress: Any = None) -> dict[str, Any]:
    """Ingest the corpus into ``pipeline``'s store, brief every story, write the site to ``out``."""
    if not CORPUS_DIR.is_dir():
        raise FileNotFoundError(f"the example corpus is missing from the install: {CORPUS_DIR}")
    report = pipeline.ingest([str(CORPUS_DIR)], progress=progress)
    briefs = pipeline.brief_all(progress=progress)
    out = Path(out).resolve()
    write_site(pipeline, briefs, out)
    repo = pipeline.repo
    n_dup = sum(1 for a in repo.list_articles() if a.duplicate_of)
    return {
        "stories": repo.count_stories(),
        "articles": repo.count_articles(),
        "duplicates": n_dup,
        "skipped": len(report.skipped),
        "skipped_reasons": [f"{Path(loc).name}: {why}" for loc, why in report.skipped],
        "stored_now": report.stored,
        "out": str(out),
        "db": repo.location,
        "table": [{"id": b.story_id, "outlets": len(b.outlets), "headline": b.headline} for b in briefs],
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body{{font:16px/1.55 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:46rem;margin:0 auto;padding:1rem;color:#1b1b1b}}
a{{color:#0b57d0}} h1{{font-size:1.6rem;line-height:1.25}} li{{margin:.4rem 0}}
.meta{{color:#555;font-size:.9rem}} sup a{{text-decoration:none}}
</style></head><body><main>
{body}
</main></body></html>
"""


def write_site(pipeline: Any, briefs: list[Any], out: Path) -> None:
    """A static site: ``index.html``, ``stories/<id>.html`` and ``briefs/<id>.json`` per story."""
    from ..brief import render

    (out / "stories").mkdir(parents=True, exist_ok=True)
    (out / "briefs").mkdir(parents=True, exist_ok=True)
    items = []
    for b in briefs:
        (out / "briefs" / f"{b.story_id}.json").write_text(render.to_json(b), encoding="utf-8")
        fragment = render.to_html(b)
        page = (
            fragment
            if fragment.lstrip().lower().startswith("<!doctype")
            else _PAGE.format(
                title=html.escape(b.headline), body='<p><a href="../index.html">All stories</a></p>' + fragment
            )
        )
        (out / "stories" / f"{b.story_id}.html").write_text(page, encoding="utf-8")
        points = "".join(f"<li>{html.escape(k.text)}</li>" for k in b.key_points[:3])
        items.append(
            f'<article><h2><a href="stories/{html.escape(b.story_id)}.html">{html.escape(b.headline)}</a></h2>'
            f'<p class="meta">{len(b.outlets)} outlets: {html.escape(", ".join(b.outlets))}</p><ul>{points}</ul></article>'
        )
    (out / "index.html").write_text(
        _PAGE.format(title="newsfuse: today's stories", body="<h1>Stories</h1>" + "\n".join(items)), encoding="utf-8"
    )
    (out / "briefs.json").write_text(
        json.dumps([b.to_dict() for b in briefs], ensure_ascii=False, indent=1), encoding="utf-8"
    )
