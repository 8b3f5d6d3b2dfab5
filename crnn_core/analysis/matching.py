"""Which cluster is which character: the contingency table and a one-to-one (Hungarian) matching.

``contingency[k, c]`` counts frames of cluster ``k`` whose greedy label is class ``c`` (blank = 0).
``match_clusters`` pairs each cluster with at most one class, and each class with at most one
cluster, maximising the frames on matched pairs (``scipy.optimize.linear_sum_assignment``).
Unlike "majority label per cluster", it cannot name two clusters after the same character, so a
character the model splits over several clusters (e.g. upper/lower case forms, or blank between
different neighbours) shows up as unmatched clusters instead of disappearing.

A cluster is named only after a character that is a real part of it: the pair must hold at
least ``MIN_MATCH_SHARE`` of the cluster's frames *and* at least ``MIN_MATCH_COUNT`` frames.
Without that rule the assignment, forced to pair every cluster with some class, named a
cluster of 861 blanks and one "5" after "5". Pairs below the rule are not offered to the
Hungarian algorithm at all (so a real match elsewhere is not lost to them); clusters left
without an eligible class stay unmatched (``-1``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from crnn_core.analysis.export import class_display
from crnn_core.charset import Charset

__all__ = [
    "MIN_MATCH_COUNT",
    "MIN_MATCH_SHARE",
    "clusters_table",
    "contingency",
    "contingency_long",
    "eligible",
    "match_clusters",
    "matching_accuracy",
    "matching_rule",
]

MIN_MATCH_SHARE = 0.2
"""A cluster is named after a class only if that class holds at least this share of its frames."""
MIN_MATCH_COUNT = 5
"""... and at least this many of its frames (one stray frame is not evidence)."""


def contingency(clusters: np.ndarray, labels: np.ndarray, k: int, num_classes: int) -> np.ndarray:
    """Counts ``(k, num_classes)`` int64 of (cluster, label) pairs."""
    clusters = np.asarray(clusters, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if clusters.size and (clusters.min() < 0 or clusters.max() >= k):
        raise ValueError(
            f"cluster ids must be in [0, {k}); got {clusters.min()}..{clusters.max()}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}); got {labels.min()}..{labels.max()}."
        )
    flat = np.bincount(clusters * num_classes + labels, minlength=k * num_classes)
    return flat.reshape(k, num_classes).astype(np.int64)


def eligible(
    table: np.ndarray, min_share: float = MIN_MATCH_SHARE, min_count: int = MIN_MATCH_COUNT
) -> np.ndarray:
    """Boolean ``(k, classes)``: pairs with ``count >= min_count`` and ``count >= min_share *
    cluster size`` (and at least one frame, whatever the thresholds)."""
    table = np.asarray(table)
    sizes = table.sum(axis=1, keepdims=True)
    return (table > 0) & (table >= min_count) & (table >= min_share * sizes)


def match_clusters(
    table: np.ndarray, min_share: float = MIN_MATCH_SHARE, min_count: int = MIN_MATCH_COUNT
) -> np.ndarray:
    """Class matched to each cluster (``-1`` when none is eligible or it got none), maximising
    the frames on matched pairs among the pairs ``eligible`` allows."""
    allowed = np.where(eligible(table, min_share, min_count), table, 0)
    rows, cols = linear_sum_assignment(allowed, maximize=True)
    matched = np.full(table.shape[0], -1, dtype=np.int64)
    matched[rows] = cols
    # A zero pair is a forced assignment (or one the rule refused), not evidence: unmatched.
    matched[rows[allowed[rows, cols] == 0]] = -1
    return matched


def matching_rule(
    min_share: float = MIN_MATCH_SHARE, min_count: int = MIN_MATCH_COUNT
) -> dict[str, object]:
    """The rule as written to summary.json (the Clusters page states it from there)."""
    return {
        "method": "Hungarian one-to-one cluster-character assignment maximising matched frames "
        "(scipy linear_sum_assignment) over eligible pairs only",
        "min_share": float(min_share),
        "min_count": int(min_count),
        "text": f"a cluster is named after a character only if that character holds at least "
        f"{min_share:.0%} and at least {min_count} of the cluster's frames",
    }


def matching_accuracy(table: np.ndarray, matched: np.ndarray) -> float:
    """Share of frames lying on a matched (cluster, class) pair; nan for an empty table."""
    total = table.sum()
    if total == 0:
        return float("nan")
    rows = np.flatnonzero(matched >= 0)
    return float(table[rows, matched[rows]].sum() / total)


def contingency_long(table: np.ndarray, charset: Charset, view: str = "all") -> pd.DataFrame:
    """Non-zero cells as rows ``view, cluster, class_index, char, count`` (pivot for the
    matrix); ``view`` names the clustering (``all`` frames or ``non_blank`` frames)."""
    clusters, classes = np.nonzero(table)
    names = np.array(class_display(charset), dtype=object)
    return pd.DataFrame(
        {
            "view": pd.Series([view] * clusters.size, dtype="string"),
            "cluster": clusters.astype(np.int16),
            "class_index": classes.astype(np.int16),
            "char": pd.Series(names[classes], dtype="string"),
            "count": table[clusters, classes].astype(np.int64),
        }
    )


def clusters_table(
    table: np.ndarray,
    matched: np.ndarray,
    charset: Charset,
    mean_max_prob: np.ndarray,
    top: int = 3,
    view: str = "all",
) -> pd.DataFrame:
    """One row per cluster of clustering ``view``: size, non-blank size, majority label and its
    share, matched label with its count and share, mean max-probability of its frames, and its
    ``top`` labels as ``"o:120 O:40 0:3"``."""
    names = class_display(charset)
    sizes = table.sum(axis=1)
    majority = table.argmax(axis=1)
    rows = []
    for k in range(table.shape[0]):
        order = np.argsort(-table[k], kind="stable")[:top]
        summary = " ".join(f"{names[c]}:{table[k, c]}" for c in order if table[k, c] > 0)
        m = int(matched[k])
        rows.append(
            {
                "view": view,
                "cluster": k,
                "size": int(sizes[k]),
                "non_blank_size": int(sizes[k] - table[k, 0]),
                "majority_class": int(majority[k]),
                "majority_char": names[majority[k]],
                "majority_share": float(table[k, majority[k]] / sizes[k]) if sizes[k] else np.nan,
                "matched_class": m,
                "matched_char": names[m] if m >= 0 else None,
                "matched_count": int(table[k, m]) if m >= 0 else 0,
                "matched_share": float(table[k, m] / sizes[k]) if m >= 0 else np.nan,
                "mean_max_prob": float(mean_max_prob[k]),
                "top_labels": summary,
            }
        )
    frame = pd.DataFrame(rows)
    for name in ("view", "majority_char", "matched_char", "top_labels"):
        frame[name] = frame[name].astype("string")
    return frame.astype(
        {"cluster": np.int16, "majority_class": np.int16, "matched_class": np.int16}
    )
