"""Settings, in one place.

Precedence (highest first): explicit keyword arguments / CLI options, environment
variables (``NEWSFUSE_<NAME>``), a TOML file (``NEWSFUSE_CONFIG`` or
``<user config dir>/newsfuse/config.toml``), then the defaults below.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import platformdirs

__all__ = ["Settings", "load_settings", "default_db_path", "ConfigError"]

APP = "newsfuse"


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "newsfuse.sqlite3"


def _default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


@dataclass
class Settings:
    # storage
    db: str = field(default_factory=lambda: str(default_db_path()))
    # fetching
    user_agent: str = "newsfuse/0.1 (+https://github.com/newsfuse/newsfuse; news aggregation bot)"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    respect_robots: bool = True
    allow_private_addresses: bool = False  # SSRF guard; tests on 127.0.0.1 switch it on
    # extraction / dedupe
    min_article_chars: int = 200
    near_duplicate_threshold: float = 0.8  # MinHash Jaccard estimate
    # encoder
    encoder: str = "minilm"  # the sentence encoder; "minilm" is the one built in (newsfuse.embed.Encoder is the seam)
    encode_batch_size: int = 8  # texts per MiniLM batch (see embed.DEFAULT_BATCH)
    # MiniLM inference (the encoder and the checker's cross-encoder): "fp32", "bf16", or "auto" (bf16 where
    # the CPU does it in hardware; see newsfuse.embed)
    precision: str = "auto"
    # clustering
    story_quiet_hours: float = 72.0
    # briefs
    key_points: int = 4
    synthesis_sentences: int = 5
    # LLM (optional abstractive mode)
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    # serving
    api_token: str | None = None
    public_reads: bool = True
    rate_limit_per_minute: int = 60
    max_body_bytes: int = 2 * 1024 * 1024

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def redacted(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked (safe to log or show)."""
        d = dataclasses.asdict(self)
        for key in ("api_token", "llm_api_key"):
            if d.get(key):
                d[key] = "***"
        return d


def _coerce(name: str, value: Any, typ: Any) -> Any:
    text = str(typ)
    try:
        if isinstance(value, str):
            if "bool" in text:
                low = value.strip().lower()
                if low in {"1", "true", "yes", "on"}:
                    return True
                if low in {"0", "false", "no", "off"}:
                    return False
                raise ValueError(value)
            if "int" in text and "float" not in text:
                return int(value)
            if "float" in text:
                return float(value)
            if value == "" and "None" in text:
                return None
        return value
    except ValueError as exc:
        raise ConfigError(f"setting {name!r}: cannot read {value!r} as {text}") from exc


# settings that take one of a few names
_CHOICES = {"encoder": ("minilm",), "precision": ("auto", "fp32", "bf16")}


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, a TOML file, the environment and ``overrides``."""
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    path = Path(config_file or os.environ.get("NEWSFUSE_CONFIG") or _default_config_path())
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        data = data.get("newsfuse", data)
        for key, val in data.items():
            if key not in hints:
                raise ConfigError(f"unknown setting {key!r} in {path}")
            values[key] = _coerce(key, val, hints[key])
    elif config_file:
        raise ConfigError(f"config file not found: {path}")
    for key, typ in hints.items():
        env = os.environ.get(f"NEWSFUSE_{key.upper()}")
        if env is not None:
            values[key] = _coerce(key, env, typ)
    for key, val in overrides.items():
        if val is None:
            continue
        if key not in hints:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _coerce(key, val, hints[key])
    if values.get("encoder") == "hashing":  # offered by an old comment, never built: MiniLM is used
        import logging

        logging.getLogger(__name__).warning("setting 'encoder': 'hashing' is not built in; using 'minilm'")
        values["encoder"] = "minilm"
    for key, allowed in _CHOICES.items():
        if key in values and values[key] not in allowed:
            raise ConfigError(f"setting {key!r}: {values[key]!r} is not one of {', '.join(allowed)}")
    return Settings(**values)
