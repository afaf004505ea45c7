"""The claim checker: a verdict and its evidence for every sentence of a summary.

``Checker.load(settings)`` loads the verifier trained by ``newsfuse train-checker`` and shipped in
``weights/`` (see ``MODEL_CARD.md``); ``checker.check(summary, sources)`` returns a
:class:`~newsfuse.model.CheckReport`. Heavy imports (the encoder, torch) happen on load, not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .verifier import Checker

__all__ = ["Checker"]


def __getattr__(name: str) -> Any:
    if name == "Checker":
        from .verifier import Checker

        return Checker
    raise AttributeError(name)
