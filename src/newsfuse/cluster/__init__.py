"""Story clustering: online assignment of articles to stories (see ``online.py``).

Public API (what the pipeline uses): ``OnlineClusterer``, ``cluster_batch`` and ``embedding_text``.
Attributes are imported lazily so that importing the package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["OnlineClusterer", "cluster_batch", "embedding_text", "story_id_for", "Scorer"]

if TYPE_CHECKING:  # pragma: no cover
    from .features import embedding_text
    from .online import OnlineClusterer, cluster_batch, story_id_for
    from .scorer import Scorer


def __getattr__(name: str) -> Any:
    if name in ("OnlineClusterer", "cluster_batch", "story_id_for"):
        from . import online

        return getattr(online, name)
    if name == "embedding_text":
        from .features import embedding_text

        return embedding_text
    if name == "Scorer":
        from .scorer import Scorer

        return Scorer
    raise AttributeError(name)
