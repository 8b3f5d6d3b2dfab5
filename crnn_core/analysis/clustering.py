"""KMeans over standardized frame features, and the two scores that say how well it worked.

- ``purity``: share of frames whose cluster's majority label is their own label (1 = every
  cluster holds one label). Labels are the greedy frame labels, so it measures whether the
  logit space separates what the model *predicts*, blank included or not.
- ``sampled_silhouette``: sklearn's silhouette on a seeded subsample (exact O(n^2) distances,
  so at most ``max_samples`` frames), in the same standardized space KMeans used.

KMeans: Lloyd (``sklearn.cluster.KMeans``, fixed ``n_init``, seeded) fitted on all frames, or on
a seeded sample of ``fit_sample`` frames when there are more, then ``predict`` for all: the
centres of 20 000 frames are as good as those of 100 000 and cost a fraction of the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from crnn_core.charset import BLANK_INDEX

__all__ = [
    "KMeansResult",
    "apply_standardize",
    "cluster_scores",
    "fit_kmeans",
    "purity",
    "sampled_silhouette",
    "standardize",
]


def standardize(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(standardized float32, mean, scale)`` per feature column (StandardScaler).

    Constant columns get scale 1 (sklearn's rule), so nothing divides by zero.
    """
    scaler = StandardScaler().fit(features)
    mean = scaler.mean_.astype(np.float32)
    scale = scaler.scale_.astype(np.float32)
    return apply_standardize(features, mean, scale), mean, scale


def apply_standardize(features: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(features - mean) / scale`` in float32; the transform ``standardize`` fitted."""
    return (np.asarray(features, dtype=np.float32) - mean) / scale


@dataclass(frozen=True)
class KMeansResult:
    """Cluster of every frame, centres ``(k, features)`` in standardized space, and how."""

    labels: np.ndarray
    centers: np.ndarray
    info: dict[str, Any]


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted seeded subset of ``range(n)`` of ``min(n, size)`` indices."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def fit_kmeans(
    features: np.ndarray, k: int, seed: int = 0, fit_sample: int = 20000, n_init: int = 3
) -> KMeansResult:
    """KMeans with ``k`` clusters (fewer if there are fewer distinct frames); reproducible."""
    n = features.shape[0]
    fit_rows = _sample(n, fit_sample, seed)
    fit_data = features[fit_rows]
    distinct = np.unique(fit_data, axis=0).shape[0]
    used_k = max(1, min(k, distinct))
    model = KMeans(n_clusters=used_k, n_init=n_init, random_state=seed, algorithm="lloyd")
    model.fit(fit_data)
    labels = model.labels_ if fit_rows.size == n else model.predict(features)
    info = {
        "method": "sklearn KMeans (lloyd)"
        + ("" if fit_rows.size == n else " fitted on a seeded sample, predict() for all frames"),
        "k_requested": int(k),
        "k": int(used_k),
        "n_init": int(n_init),
        "fit_frames": int(fit_rows.size),
        "iterations": int(model.n_iter_),
        "inertia_fit": float(model.inertia_),
        "seed": int(seed),
    }
    return KMeansResult(labels.astype(np.int16), model.cluster_centers_.astype(np.float32), info)


def purity(clusters: np.ndarray, labels: np.ndarray) -> float:
    """``sum over clusters of (count of its most common label) / n``; nan for no frames."""
    clusters = np.asarray(clusters).ravel()
    labels = np.asarray(labels).ravel()
    if clusters.shape != labels.shape:
        raise ValueError(f"clusters {clusters.shape} and labels {labels.shape} must match.")
    if clusters.size == 0:
        return math.nan
    _, cluster_index = np.unique(clusters, return_inverse=True)
    _, label_index = np.unique(labels, return_inverse=True)
    counts = np.zeros((cluster_index.max() + 1, label_index.max() + 1), dtype=np.int64)
    np.add.at(counts, (cluster_index, label_index), 1)
    return float(counts.max(axis=1).sum() / clusters.size)


def sampled_silhouette(
    features: np.ndarray, labels: np.ndarray, max_samples: int = 20000, seed: int = 0
) -> tuple[float, int]:
    """``(silhouette, frames used)``: exact on all frames up to ``max_samples``, else on a seeded
    sample of that size. nan when undefined (fewer than 2 clusters, or every frame its own)."""
    labels = np.asarray(labels).ravel()
    rows = _sample(labels.size, max_samples, seed)
    chosen = labels[rows]
    n_labels = np.unique(chosen).size
    if not 2 <= n_labels <= rows.size - 1:
        return math.nan, int(rows.size)
    score = silhouette_score(features[rows], chosen, metric="euclidean")
    return float(score), int(rows.size)


def cluster_scores(
    features: np.ndarray, clusters: np.ndarray, labels: np.ndarray, max_samples: int, seed: int
) -> dict[str, Any]:
    """Silhouette (seeded sample) and purity against ``labels`` (greedy frame classes), on all
    frames and on non-blank frames only (blank = class 0), as written to summary.json."""
    non_blank = labels != BLANK_INDEX
    sil_all, n_all = sampled_silhouette(features, clusters, max_samples, seed)
    sil_nb, n_nb = sampled_silhouette(features[non_blank], clusters[non_blank], max_samples, seed)
    return {
        "silhouette": {
            "method": "sklearn silhouette_score, euclidean, standardized features, seeded sample",
            "all": sil_all,
            "non_blank": sil_nb,
            "sample_all": n_all,
            "sample_non_blank": n_nb,
        },
        "purity": {
            "all": purity(clusters, labels),
            "non_blank": purity(clusters[non_blank], labels[non_blank]),
        },
        "purity_labels": "greedy frame labels (argmax class, blank = 0)",
    }
