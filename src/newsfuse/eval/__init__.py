"""Evaluation commands: one module per task, each exposing a typer ``command``.

Every command's ``--json`` prints one object ``{"task", "dataset", "n", "systems": {name: {metric:
value}}}`` whose metrics are fractions in [0, 1] with snake_case names. Figures of another kind (a
count, a speed) go under ``"info": {name: {...}}`` beside it (:func:`split_info`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["split_info"]


def split_info(
    systems: dict[str, dict[str, Any]], info_keys: tuple[str, ...]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """``systems`` without ``info_keys``, and those keys per system (systems that have none are left out)."""
    metrics = {name: {k: v for k, v in m.items() if k not in info_keys} for name, m in systems.items()}
    info = {name: {k: m[k] for k in info_keys if k in m} for name, m in systems.items()}
    return metrics, {name: i for name, i in info.items() if i}
