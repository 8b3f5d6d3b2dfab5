"""2-D map of the frame features (UMAP) and fast placement of new frames into that map.

``fit_umap`` embeds a seeded sample of standardized frame features with umap-learn. The k-nearest
neighbour graph is computed by brute force (``nearest_neighbours``: a BLAS GEMM per block) and
handed to UMAP as ``precomputed_knn``: that skips pynndescent's numba compilation and its
approximate search.

``FramePlacer`` puts *new* frames (an uploaded image's) on the same map without UMAP:
``UMAP.transform`` needs numba JIT compilation (~40 s in every fresh process here) and the
fitted UMAP object (pickle). Instead each new frame goes to the inverse-square-distance weighted
mean of the 2-D positions of its ``n_neighbors`` nearest reference frames in the standardized
feature space (the space UMAP saw). A frame identical to a reference frame lands exactly on it;
a frame between two groups lands between them. Queries are brute-force distances (numpy).
"""

from __future__ import annotations

import sys
import time
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = [
    "FramePlacer", "UmapResult", "fit_umap", "import_umap", "nearest_neighbours",
    "place_by_cluster", "warm_up_umap",
]  # fmt: skip

KNN_CHUNK = 256
"""Rows per block of the UMAP kNN search: 256 x 20,000 float32 distances (20 MB) and their
argpartition (int64, 41 MB) at a time."""
EXACT_DISTANCE = 1e-6
"""Closer than this (standardized units) to a reference frame counts as being that frame."""


@dataclass(frozen=True)
class UmapResult:
    """``coords`` (n, 2) float32 for the embedded rows; ``info`` records parameters and timing."""

    coords: np.ndarray
    info: dict[str, Any]


def fit_umap(
    features: np.ndarray,
    seed: int = 0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_epochs: int = 200,
) -> UmapResult:
    """Seeded 2-D UMAP of ``features`` (n, d); tiny inputs (< 4 rows) get a trivial layout."""
    n = features.shape[0]
    info: dict[str, Any] = {
        "method": "umap-learn UMAP on standardized features, brute-force kNN graph (float32)",
        "n_neighbors": int(min(n_neighbors, max(n - 1, 1))),
        "min_dist": min_dist,
        "n_epochs": n_epochs,
        "metric": "euclidean",
        "seed": seed,
        "rows": int(n),
    }
    if n < 4:
        info["method"] = "too few frames for UMAP: points on a line"
        return UmapResult(np.column_stack([np.arange(n), np.zeros(n)]).astype(np.float32), info)
    start = time.perf_counter()
    umap = import_umap()

    info["umap_version"] = umap.__version__
    k = info["n_neighbors"]
    distances, indices = nearest_neighbours(features, features, k, chunk=KNN_CHUNK)
    info["knn_seconds"] = time.perf_counter() - start
    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=k,
        min_dist=min_dist,
        n_epochs=n_epochs,
        metric="euclidean",
        random_state=seed,
        precomputed_knn=(indices, distances.astype(np.float32), None),
        verbose=False,
    )
    with warnings.catch_warnings():
        # Seeding forces n_jobs=1 (says so), and tiny graphs fall back from spectral init.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        coords = reducer.fit_transform(features)
    info["seconds"] = time.perf_counter() - start
    return UmapResult(np.asarray(coords, dtype=np.float32), info)


def import_umap() -> ModuleType:
    """umap-learn without TensorFlow. Its ``__init__`` imports ``ParametricUMAP``, and so all of
    TensorFlow (~1 GiB RSS) whenever TensorFlow is installed; plain UMAP never uses it. Marking
    ``umap.parametric_umap`` unimportable makes umap-learn take its own "no TensorFlow" branch.
    Deferred to first use: the import costs seconds (numba)."""
    if "umap" not in sys.modules and "tensorflow" not in sys.modules:
        sys.modules.setdefault("umap.parametric_umap", None)  # type: ignore[arg-type]
    import umap

    return umap


WARM_UP_ROWS = 4200
"""Rows of the warm-up fit: umap-learn takes its small-data path (dense distances, other numba
functions) below 4,096 rows, so a smaller warm-up would leave the real fit's code uncompiled."""


def warm_up_umap() -> float | None:
    """Import umap-learn and JIT-compile its numba code on seeded random data of the real fit's
    dtypes (numba compiles per dtype, not per shape), so a later ``fit_umap`` in this process
    finds it compiled; returns the seconds it took.

    umap-learn's numba functions are not cached on disk, so every fresh process compiles them
    again: measured here, a 20,000-frame fit took 18.5 s cold and 12.1 s after this warm-up, with
    identical coordinates. The UMAP worker (``umap_worker``) runs it while the parent renders
    the words. Best effort: a failure here returns None, and the real fit then raises it itself.
    """
    start = time.perf_counter()
    rows = np.random.default_rng(0).standard_normal((WARM_UP_ROWS, 32))
    try:
        fit_umap(rows.astype(np.float32), seed=0, n_epochs=5)
    except Exception:  # best effort: the real fit reports its own errors
        return None
    return round(time.perf_counter() - start, 3)


def nearest_neighbours(
    reference: np.ndarray,
    queries: np.ndarray,
    k: int,
    chunk: int = 256,
    squared_norms: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(distances, indices)``, each ``(queries, k)``, of the ``k`` nearest ``reference`` rows
    of every query row (euclidean), nearest first; a query that is a reference row finds itself.

    Brute force in float32, ``chunk`` queries at a time: one GEMM gives ``|r|² - 2 q·r`` (the
    query's own norm does not change the order), ``argpartition`` picks the ``k`` candidates,
    and their distances are then computed exactly. That is BLAS speed: for the 20,000-frame
    UMAP sample, 2-3x faster than sklearn's brute-force ``kneighbors`` on one thread, whose
    per-pair heap dominates it. Only near-ties at the k-th place can differ from an exact
    float64 search.
    """
    reference = np.asarray(reference, dtype=np.float32)
    queries = np.asarray(queries, dtype=np.float32)
    if squared_norms is None:
        squared_norms = (reference.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)
    all_d, all_i = [], []
    for lo in range(0, queries.shape[0], chunk):
        block = queries[lo : lo + chunk]
        approx = block @ reference.T
        approx *= -2.0
        approx += squared_norms[None, :]
        if k < approx.shape[1]:
            candidates = np.argpartition(approx, k - 1, axis=1)[:, :k]
        else:
            candidates = np.broadcast_to(np.arange(k), (block.shape[0], k))
        exact = np.sqrt(((reference[candidates] - block[:, None, :]) ** 2).sum(axis=2))
        order = np.argsort(exact, axis=1, kind="stable")
        all_d.append(np.take_along_axis(exact, order, axis=1))
        all_i.append(np.take_along_axis(candidates, order, axis=1))
    if not all_d:
        return np.empty((0, k), np.float32), np.empty((0, k), np.int64)
    return np.concatenate(all_d), np.concatenate(all_i)


class FramePlacer:
    """Place standardized feature vectors on a 2-D map given reference vectors and positions.

    Distances are plain numpy (one GEMM per chunk, then the exact distance of the ``n_neighbors``
    candidates) on one BLAS thread: for a query this small, waking a thread pool costs more than
    it saves, and on a busy CPU (training next door) it made queries 5-50x slower.
    """

    def __init__(self, reference: np.ndarray, coords: np.ndarray, n_neighbors: int = 10) -> None:
        reference = np.asarray(reference, dtype=np.float32)
        coords = np.asarray(coords, dtype=np.float64)
        if reference.ndim != 2 or coords.shape != (reference.shape[0], 2):
            raise ValueError(
                f"reference must be (n, d) and coords (n, 2); got {reference.shape} and "
                f"{coords.shape}."
            )
        if reference.shape[0] == 0:
            raise ValueError("No reference frames to place new frames against.")
        if not np.isfinite(coords).all():
            raise ValueError("Reference coords contain NaN: pass only frames that have a position.")
        self.reference = reference
        self.coords = coords
        self.n_neighbors = int(min(max(n_neighbors, 1), reference.shape[0]))
        self._squared_norms = (reference.astype(np.float64) ** 2).sum(axis=1).astype(np.float32)

    @property
    def dimensions(self) -> int:
        return int(self.reference.shape[1])

    def neighbours(self, features: np.ndarray, chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """``(distances, indices)``, each ``(n, n_neighbors)``, nearest first."""
        return nearest_neighbours(
            self.reference, features, self.n_neighbors, chunk, self._squared_norms
        )

    def place(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` float32 arrays ``(n,)`` for standardized features ``(n, d)``."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2 or features.shape[1] != self.dimensions:
            raise ValueError(
                f"features must be (n, {self.dimensions}) standardized vectors (one per frame, "
                f"same classes as the analysed model); got {features.shape}."
            )
        if features.shape[0] == 0:
            return np.empty(0, np.float32), np.empty(0, np.float32)
        with threadpool_limits(limits=1, user_api="blas"):
            distances, indices = self.neighbours(features)
        weights = 1.0 / np.maximum(distances.astype(np.float64), EXACT_DISTANCE) ** 2
        weights /= weights.sum(axis=1, keepdims=True)
        placed = np.einsum("nk,nkc->nc", weights, self.coords[indices])
        return placed[:, 0].astype(np.float32), placed[:, 1].astype(np.float32)


def place_by_cluster(
    placer: FramePlacer,
    features: np.ndarray,
    clusters: np.ndarray,
    reference_clusters: np.ndarray,
    centers: np.ndarray,
    probe: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """``placer.place(features)`` for many frames at once, searching only near their cluster.

    An inverted-file index (as FAISS's IVF): a frame of KMeans cluster ``c`` (``clusters``) is
    placed among the reference frames of the ``probe`` clusters whose centres are nearest to
    ``c``'s centre (``c`` included), not among all references: about ``K / probe`` times less
    work, so placing every frame outside the UMAP sample costs a fixed time per frame. A true
    neighbour in a cluster further away is missed; the weighted mean of the ten nearest found
    barely moves (``tests/test_analysis_projection.py`` compares with the exact placement).
    """
    features = np.asarray(features, dtype=np.float32)
    x, y = np.empty(len(features), np.float32), np.empty(len(features), np.float32)
    gaps = ((centers[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argsort(gaps, axis=1, kind="stable")[:, :probe]
    for cluster in np.unique(clusters):
        rows = np.flatnonzero(clusters == cluster)
        candidates = np.flatnonzero(np.isin(reference_clusters, nearest[cluster]))
        if candidates.size < placer.n_neighbors:  # too few references near: search them all
            x[rows], y[rows] = placer.place(features[rows])
            continue
        local = FramePlacer(
            placer.reference[candidates], placer.coords[candidates], placer.n_neighbors
        )
        x[rows], y[rows] = local.place(features[rows])
    return x, y
