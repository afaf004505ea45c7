"""Nearest-story search over the centroids of open stories.

``StoryIndex`` answers "which open stories are closest to this vector" (inner product on unit
vectors). It starts as an exact flat matrix (a matrix-vector product is cheaper than a graph walk for
a few thousand stories and gives exact, order-independent answers) and switches to an hnswlib HNSW
graph once the number of open stories passes ``flat_max``, so the cost per article then grows
roughly with the log of the number of stories rather than linearly.

Centroids move as articles join. HNSW updates in place are expensive, so the graph is only told
about a story again when its centroid has drifted (cosine to the indexed copy < ``drift_cos``);
the caller re-ranks candidates with exact centroids anyway.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import numpy as np

__all__ = ["StoryIndex"]


_BLAS: Any = None
_busy = {"calls": 0, "single": False}


def _blas_context() -> Any:
    """Keep BLAS single-threaded for the centroid product while the machine is busy.

    A matrix-vector product over a couple of thousand centroids takes ~20 microseconds on two idle
    cores, but OpenBLAS threads spin-wait, and on a loaded machine the same product can take 10-50x
    longer; one thread is then far faster. The load average is re-read every 2,048 searches. Results
    do not depend on the thread count (each output row is one dot product). Uses threadpoolctl
    (installed with scikit-learn) when available.
    """
    global _BLAS
    st = _busy
    st["calls"] += 1
    if st["calls"] % 2048 == 1:
        try:
            st["single"] = os.getloadavg()[0] > (os.cpu_count() or 1) - 0.5
        except (AttributeError, OSError):
            st["single"] = True
    if not st["single"]:
        return contextlib.nullcontext()
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except Exception:  # noqa: BLE001 - optional speed-up only
            _BLAS = False
    if _BLAS is False:
        return contextlib.nullcontext()
    return _BLAS.limit(limits=1, user_api="blas")


class _Flat:
    def __init__(self, dim: int, capacity: int = 256) -> None:
        self.dim = dim
        self.mat = np.zeros((capacity, dim), dtype=np.float32)
        self.keys: list[int] = []
        self.row: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: int, vec: np.ndarray) -> None:
        n = len(self.keys)
        if n == self.mat.shape[0]:
            grown = np.zeros((n * 2, self.dim), dtype=np.float32)
            grown[:n] = self.mat
            self.mat = grown
        self.mat[n] = vec
        self.keys.append(key)
        self.row[key] = n

    def update(self, key: int, vec: np.ndarray) -> None:
        self.mat[self.row[key]] = vec

    def remove(self, key: int) -> None:
        r = self.row.pop(key)
        last = len(self.keys) - 1
        if r != last:
            moved = self.keys[last]
            self.mat[r] = self.mat[last]
            self.keys[r] = moved
            self.row[moved] = r
        self.keys.pop()

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        n = len(self.keys)
        if n == 0:
            return []
        with _blas_context():
            sims = self.mat[:n] @ vec
        top = np.argpartition(sims, n - k)[n - k :].tolist() if n > k else range(n)
        keys = self.keys
        # best score first, ties by key (order-independent)
        return sorted(((keys[i], float(sims[i])) for i in top), key=lambda p: (-p[1], p[0]))

    def items(self) -> list[tuple[int, np.ndarray]]:
        return [(k, self.mat[self.row[k]]) for k in self.keys]


class _Hnsw:
    def __init__(self, dim: int, capacity: int = 4096, m: int = 12, ef_construction: int = 48, ef: int = 48) -> None:
        import hnswlib

        self.dim = dim
        self.index = hnswlib.Index(space="ip", dim=dim)
        self.index.init_index(
            max_elements=capacity, ef_construction=ef_construction, M=m, random_seed=7, allow_replace_deleted=True
        )
        self.index.set_num_threads(1)
        self.index.set_ef(ef)
        self.ef = ef
        self.capacity = capacity
        self.label_key: dict[int, int] = {}
        self.key_label: dict[int, int] = {}
        self.indexed: dict[int, np.ndarray] = {}
        self.next_label = 0
        self.n_deleted = 0

    def __len__(self) -> int:
        return len(self.key_label)

    def _insert(self, key: int, vec: np.ndarray) -> None:
        label = self.next_label
        self.next_label += 1
        if self.n_deleted > 0:
            self.index.add_items(vec[None, :], [label], replace_deleted=True)
            self.n_deleted -= 1
        else:
            used = self.index.get_current_count()
            if used >= self.capacity:
                self.capacity *= 2
                self.index.resize_index(self.capacity)
            self.index.add_items(vec[None, :], [label])
        self.label_key[label] = key
        self.key_label[key] = label
        self.indexed[key] = vec.copy()

    def _delete(self, key: int) -> None:
        label = self.key_label.pop(key)
        del self.label_key[label]
        del self.indexed[key]
        self.index.mark_deleted(label)
        self.n_deleted += 1

    def add(self, key: int, vec: np.ndarray) -> None:
        self._insert(key, vec)

    def update(self, key: int, vec: np.ndarray, drift_cos: float) -> None:
        if float(self.indexed[key] @ vec) < drift_cos:
            self._delete(key)
            self._insert(key, vec)

    def remove(self, key: int) -> None:
        self._delete(key)

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        n = len(self.key_label)
        if n == 0:
            return []
        k = min(k, n)
        if self.ef < k:
            self.index.set_ef(k)
        labels, dists = self.index.knn_query(vec[None, :], k=k)
        lk = self.label_key
        return [(lk[int(lab)], 1.0 - float(d)) for lab, d in zip(labels[0], dists[0], strict=True)]


class StoryIndex:
    """Open-story centroids; exact below ``flat_max`` stories, HNSW above."""

    def __init__(self, dim: int, flat_max: int = 2048, drift_cos: float = 0.985) -> None:
        self.dim = dim
        self.flat_max = flat_max
        self.drift_cos = drift_cos
        self._flat: _Flat | None = _Flat(dim)
        self._hnsw: _Hnsw | None = None

    @property
    def kind(self) -> str:
        return "flat" if self._flat is not None else "hnsw"

    def __len__(self) -> int:
        return len(self._flat) if self._flat is not None else len(self._hnsw)  # type: ignore[arg-type]

    def add(self, key: int, vec: np.ndarray) -> None:
        if self._flat is not None:
            self._flat.add(key, vec)
            if len(self._flat) > self.flat_max:
                self._to_hnsw()
        else:
            self._hnsw.add(key, vec)  # type: ignore[union-attr]

    def update(self, key: int, vec: np.ndarray) -> None:
        if self._flat is not None:
            self._flat.update(key, vec)
        else:
            self._hnsw.update(key, vec, self.drift_cos)  # type: ignore[union-attr]

    def remove(self, key: int) -> None:
        if self._flat is not None:
            self._flat.remove(key)
        else:
            self._hnsw.remove(key)  # type: ignore[union-attr]

    def search(self, vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Up to ``k`` (story key, approximate cosine) pairs, best first."""
        if self._flat is not None:
            return self._flat.search(vec, k)
        return self._hnsw.search(vec, k)  # type: ignore[union-attr]

    def _to_hnsw(self) -> None:
        items = self._flat.items()  # type: ignore[union-attr]
        items.sort(key=lambda kv: kv[0])
        h = _Hnsw(self.dim, capacity=max(4096, 2 * len(items)))
        for key, vec in items:
            h.add(key, vec)
        self._hnsw = h
        self._flat = None

    @classmethod
    def build(cls, dim: int, items: list[tuple[int, np.ndarray]], flat_max: int = 2048) -> StoryIndex:
        """Rebuild from (key, centroid) pairs in key order (used after ``loads``)."""
        idx = cls(dim, flat_max=flat_max)
        for key, vec in sorted(items, key=lambda kv: kv[0]):
            idx.add(key, vec)
        return idx
