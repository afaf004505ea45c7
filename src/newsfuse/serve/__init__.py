"""The web reader and JSON API: ``create_app(settings, pipeline=None) -> FastAPI``.

``create_app`` is imported on first use so that importing ``newsfuse.serve.commands`` (the CLI does,
for ``--help``) stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
