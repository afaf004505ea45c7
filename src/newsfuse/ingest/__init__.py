"""Sources -> raw documents.

``iter_raw`` turns a mix of inputs (files, folders, JSON Lines, feed files, feed or page URLs)
into ``RawDocument`` objects for extraction, or ``Skipped`` records that explain, in one line,
why an input was not used. It never raises for bad input: should reading one input fail in a way the
readers did not foresee, the documents already read from it are kept, the failure is logged with its
traceback and reported as a ``Skipped`` for that input, and the run goes on with the next input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..config import Settings
from ..model import RawDocument
from .base import Skipped
from .files import iter_path

__all__ = ["iter_raw", "Skipped", "is_url"]

log = logging.getLogger(__name__)


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def iter_raw(
    inputs: Sequence[str],
    settings: Settings | None = None,
    fetcher: object | None = None,
    *,
    skip_link: Callable[[str], bool] | None = None,
) -> Iterator[RawDocument | Skipped]:
    """``skip_link(url)`` true: a summary-only feed entry's page is not fetched (it is stored already)."""
    settings = settings or Settings()
    for item in inputs:
        yield from _guarded(item, _iter_one(item, settings, fetcher, skip_link))


def _iter_one(
    item: str, settings: Settings, fetcher: object | None, skip_link: Callable[[str], bool] | None
) -> Iterator[RawDocument | Skipped]:
    if is_url(item):
        from .http import iter_url

        yield from iter_url(item, settings, fetcher, skip_link=skip_link)
    elif "://" in item:
        yield Skipped(item[:200], "unsupported URL scheme (only http and https are fetched)")
    else:
        yield from iter_path(Path(item), settings)


def _guarded(item: str, docs: Iterator[RawDocument | Skipped]) -> Iterator[RawDocument | Skipped]:
    try:
        yield from docs
    except Exception as exc:  # noqa: BLE001 - one unreadable input must not end the run
        log.warning("reading %s failed", item[:200], exc_info=True)
        yield Skipped(item[:200], f"reading failed: {type(exc).__name__}: {str(exc)[:200]}")
