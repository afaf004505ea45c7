"""Shared test fixtures. Stage-specific fixtures live in their own test modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with a clear reason when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"needs {p} (the shared evaluation data sits beside the checkout; absent here)")
    return p


@pytest.fixture
def settings(tmp_path):
    from newsfuse.config import load_settings

    return load_settings(db=str(tmp_path / "test.sqlite3"), allow_private_addresses=True)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Keep every test away from the user's real store and config."""
    monkeypatch.setenv("NEWSFUSE_DB", str(tmp_path / "default.sqlite3"))
    monkeypatch.setenv("NEWSFUSE_CONFIG", str(tmp_path / "absent-config.toml"))
    # the default precision, whatever the user set (and the CLI writes it here: undone after each test)
    monkeypatch.setenv("NEWSFUSE_PRECISION", "auto")
