"""Types shared by the ingest sources."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Skipped"]


@dataclass(frozen=True)
class Skipped:
    """An input that was not ingested, with a one-line reason."""

    location: str
    reason: str
