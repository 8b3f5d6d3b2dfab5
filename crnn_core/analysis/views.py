"""The two clusterings the analysis reports side by side, each figure with its trivial baselines.

- ``all``: every frame, K = number of output classes (blank included): the original protocol.
  Most frames are blank (74 % on synthetic words), so most clusters hold blanks and one single
  cluster already scores a high purity.
- ``non_blank``: only the frames whose greedy label is a character, clustered on their own with
  K = the number of distinct characters among those labels, i.e. the non-blank classes that
  occur, not the charset size minus blank: a class the model never predicts has no frames to
  form a cluster. Same standardized feature space as ``all`` (one scaler, one UMAP map).

A figure alone cannot be judged, so each comes with what a trivial clustering scores on the
same frames:

- purity: ``one_cluster`` (every frame in one cluster: the majority class's share) and
  ``random_assignment`` (frames dealt to clusters at random with the real cluster sizes, mean
  of ``RANDOM_REPEATS`` seeded shuffles);
- silhouette: ``random_labels``, the same cluster labels shuffled over the same sample, scored
  with the same distances as the real labels: about 0, and below 0 when cluster sizes differ
  (a frame's nearest *small* random cluster looks closer than its own by chance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crnn_core.analysis.clustering import (
    SILHOUETTE_STREAM,
    KMeansResult,
    fit_kmeans,
    purity,
    silhouette_rows,
    silhouettes,
)
from crnn_core.analysis.matching import (
    clusters_table,
    contingency,
    contingency_long,
    match_clusters,
    matching_accuracy,
)
from crnn_core.charset import BLANK_INDEX, Charset

__all__ = [
    "K_RULES",
    "RANDOM_REPEATS",
    "TITLES",
    "VIEWS",
    "ClusterView",
    "centers",
    "fit_views",
    "purity_baselines",
    "score_views",
    "view_tables",
]

VIEWS = ("all", "non_blank")
TITLES = {"all": "All frames", "non_blank": "Non-blank frames, clustered on their own"}
K_RULES = {
    "all": "number of output classes (blank included)",
    "non_blank": "number of distinct non-blank classes among the frames' greedy labels",
}
RANDOM_REPEATS = 5
"""Seeded shuffles averaged for the random-assignment purity."""
BASELINE_STREAM = 2
"""Random stream ``[seed, BASELINE_STREAM]`` of the baselines' shuffles (independent of the
KMeans fit sample and of the silhouette sample)."""
SAMPLING_NOTE = (
    f"silhouette sample drawn from default_rng([seed, {SILHOUETTE_STREAM}]), independently of "
    "the KMeans fit sample (default_rng(seed)); fit_overlap = sampled frames also fitted on"
)


@dataclass(frozen=True)
class ClusterView:
    """One clustering: ``rows`` of the frames table it covers, KMeans (labels aligned with
    ``rows``), its cluster x class contingency table and Hungarian matching."""

    name: str
    rows: np.ndarray
    kmeans: KMeansResult
    table: np.ndarray
    matched: np.ndarray

    @property
    def k(self) -> int:
        return int(self.kmeans.info["k"])

    @property
    def labels(self) -> np.ndarray:
        return self.kmeans.labels

    def frame_clusters(self, n_frames: int) -> np.ndarray:
        """Cluster of every frame of the table (int16), ``-1`` for frames outside the view."""
        out = np.full(n_frames, -1, dtype=np.int16)
        out[self.rows] = self.kmeans.labels
        return out


def fit_views(
    features: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    *,
    seed: int,
    fit_sample: int,
    min_share: float,
    min_count: int,
    k: int | None = None,
    k_non_blank: int | None = None,
) -> dict[str, ClusterView]:
    """Fit both clusterings (``k``/``k_non_blank`` None: the rules in ``K_RULES``); the
    ``non_blank`` view is left out when no frame has a non-blank label."""
    labels = np.asarray(labels)
    wanted = {
        "all": (np.arange(labels.size), k or num_classes),
        "non_blank": (np.flatnonzero(labels != BLANK_INDEX), k_non_blank),
    }
    views: dict[str, ClusterView] = {}
    for name, (rows, k_view) in wanted.items():
        if rows.size == 0:
            continue
        k_view = k_view or int(np.unique(labels[rows]).size)
        km = fit_kmeans(features[rows], k_view, seed, fit_sample)
        table = contingency(km.labels, labels[rows], km.info["k"], num_classes)
        matched = match_clusters(table, min_share, min_count)
        views[name] = ClusterView(name, rows, km, table, matched)
    return views


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, BASELINE_STREAM])


def purity_baselines(
    clusters: np.ndarray, labels: np.ndarray, seed: int, repeats: int = RANDOM_REPEATS
) -> dict[str, float]:
    """``one_cluster`` and ``random_assignment`` purity of ``labels`` (see the module doc)."""
    clusters = np.asarray(clusters)
    rng = _rng(seed)
    shuffled = [purity(rng.permutation(clusters), labels) for _ in range(repeats)]
    return {
        "one_cluster": purity(np.zeros(len(labels), np.int8), labels),
        "random_assignment": float(np.mean(shuffled)) if shuffled else float("nan"),
    }


def _matching(view: ClusterView) -> dict[str, Any]:
    present = int((view.table.sum(axis=0) > 0).sum())
    named = int((view.matched >= 0).sum())
    return {
        "accuracy": matching_accuracy(view.table, view.matched),
        "matched_clusters": named,
        "classes_present": present,
        "classes_without_cluster": present - named,
    }


def _view_summary(
    view: ClusterView, labels: np.ndarray, seed: int, silhouette: dict[str, Any]
) -> dict[str, Any]:
    own = labels[view.rows]
    return {
        "title": TITLES[view.name],
        "frames": int(view.rows.size),
        "k": view.k,
        "k_rule": K_RULES[view.name],
        "kmeans": view.kmeans.info,
        "silhouette": silhouette,
        "purity": {
            "value": purity(view.labels, own),
            **purity_baselines(view.labels, own, seed),
            "random_repeats": RANDOM_REPEATS,
        },
        "matching": _matching(view),
    }


def _silhouette_entry(
    scores: list[float], sample: np.ndarray, fit_rows: np.ndarray
) -> dict[str, Any]:
    return {
        "value": scores[0],
        "random_labels": scores[1],
        "sample": int(sample.size),
        "fit_overlap": int(np.intersect1d(sample, fit_rows).size),
        "sampling": SAMPLING_NOTE,
    }


def score_views(
    features: np.ndarray,
    labels: np.ndarray,
    views: dict[str, ClusterView],
    max_samples: int,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(summary["views"], summary["scores"])``. Two distance passes: a sample of all frames
    (all-frame clusters and their shuffle) and a sample of the non-blank frames (the all-frame
    clusters restricted to them, the non-blank clusters and their shuffle)."""
    labels = np.asarray(labels)
    rng = _rng(seed)
    full, own = views["all"], views.get("non_blank")
    sample = silhouette_rows(labels.size, max_samples, seed)
    chosen = full.labels[sample]
    all_sil = silhouettes(features[sample], [chosen, rng.permutation(chosen)])
    entry = _silhouette_entry(all_sil, sample, full.kmeans.fit_rows)
    out = {"all": _view_summary(full, labels, seed, entry)}

    nb_rows = np.flatnonzero(labels != BLANK_INDEX)
    nb_sample = silhouette_rows(nb_rows.size, max_samples, seed)
    sets = [full.labels[nb_rows[nb_sample]]]
    if own is not None:
        mine = own.labels[nb_sample]
        sets += [mine, rng.permutation(mine)]
    nb_sil = silhouettes(features[nb_rows[nb_sample]], sets) if nb_rows.size else [np.nan]
    restricted = {
        "note": "the all-frame clusters scored on the non-blank frames only",
        "silhouette": nb_sil[0],
        "sample": int(nb_sample.size),
        "purity": purity(full.labels[nb_rows], labels[nb_rows]),
    }
    out["all"]["non_blank_frames"] = restricted
    if own is not None:
        entry = _silhouette_entry(nb_sil[1:], nb_sample, own.kmeans.fit_rows)
        out["non_blank"] = _view_summary(own, labels, seed, entry)
    else:
        out["non_blank"] = {
            "title": TITLES["non_blank"],
            "frames": 0,
            "k": 0,
            "k_rule": K_RULES["non_blank"],
            "skipped": "no frame has a non-blank label",
        }
    return out, _legacy_scores(out["all"], int(sample.size))


def _legacy_scores(full: dict[str, Any], sample: int) -> dict[str, Any]:
    """``summary["scores"]`` as format /1 had it (readers of the old keys keep working)."""
    restricted = full["non_blank_frames"]
    return {
        "note": "the all-frame clustering (views.all); non_blank = its clusters on non-blank "
        "frames only. Both clusterings, with baselines: summary['views'].",
        "silhouette": {
            "method": "exact euclidean silhouette (every pair of the sample, float32 distances), "
            "standardized features, seeded sample",
            "all": full["silhouette"]["value"],
            "non_blank": restricted["silhouette"],
            "sample_all": sample,
            "sample_non_blank": restricted["sample"],
        },
        "purity": {"all": full["purity"]["value"], "non_blank": restricted["purity"]},
        "purity_labels": "greedy frame labels (argmax class, blank = 0)",
        "matching_accuracy": full["matching"]["accuracy"],
        "matched_clusters": full["matching"]["matched_clusters"],
    }


def view_tables(
    views: dict[str, ClusterView], max_prob: np.ndarray, charset: Charset
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clusters and long contingency tables of every view, stacked (column ``view``)."""
    clusters, cells = [], []
    for name, view in views.items():
        mean_max = np.bincount(view.labels, max_prob[view.rows], minlength=view.k)
        mean_max = mean_max / np.maximum(view.table.sum(axis=1), 1)
        clusters.append(clusters_table(view.table, view.matched, charset, mean_max, view=name))
        cells.append(contingency_long(view.table, charset, view=name))
    return pd.concat(clusters, ignore_index=True), pd.concat(cells, ignore_index=True)


def centers(views: dict[str, ClusterView], name: str, dimensions: int) -> np.ndarray:
    """KMeans centres ``(k, dimensions)`` float32 of view ``name``; ``(0, dimensions)`` if the
    view is absent."""
    view = views.get(name)
    return view.kmeans.centers if view is not None else np.zeros((0, dimensions), np.float32)
