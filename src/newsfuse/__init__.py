"""newsfuse: many outlets' coverage in, one cited and checked account of each story out.

The Python API::

    from newsfuse import Pipeline, load_settings

    with Pipeline(load_settings(db="news.sqlite3")) as nf:
        report = nf.ingest(["articles/", "https://example.org/feed.xml"])
        for story in nf.repo.list_stories():
            brief = nf.brief(story.id)
            print(brief.headline)
"""

from __future__ import annotations

from .config import Settings, load_settings
from .model import (
    Article,
    Brief,
    CheckReport,
    Citation,
    Entity,
    Evidence,
    IngestReport,
    KeyPoint,
    Quote,
    RawDocument,
    Sentence,
    Story,
    SynthesisSentence,
    Verdict,
)
from .pipeline import NotFound, Pipeline

__version__ = "0.1.0"

__all__ = [
    "Pipeline",
    "NotFound",
    "Settings",
    "load_settings",
    "Article",
    "Brief",
    "CheckReport",
    "Citation",
    "Entity",
    "Evidence",
    "IngestReport",
    "KeyPoint",
    "Quote",
    "RawDocument",
    "Sentence",
    "Story",
    "SynthesisSentence",
    "Verdict",
    "__version__",
]
