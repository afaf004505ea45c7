"""Sources -> raw documents.

``iter_raw`` turns a mix of inputs (files, folders, JSON Lines, feed files, feed or page URLs)
into ``RawDocument`` objects for extraction, or ``Skipped`` records that explain, in one line,
why an input was not used. It never raises for bad input; it only raises for programming errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ..config import Settings
from ..model import RawDocument
from .base import Skipped
from .files import iter_path

__all__ = ["iter_raw", "Skipped", "is_url"]


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def iter_raw(
    inputs: Sequence[str], settings: Settings | None = None, fetcher: object | None = None
) -> Iterator[RawDocument | Skipped]:
    settings = settings or Settings()
    for item in inputs:
        if is_url(item):
            from .http import iter_url

            yield from iter_url(item, settings, fetcher)
        elif "://" in item:
            yield Skipped(item, "unsupported URL scheme (only http and https are fetched)")
        else:
            yield from iter_path(Path(item), settings)
