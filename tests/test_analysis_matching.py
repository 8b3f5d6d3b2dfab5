from __future__ import annotations

import numpy as np
import pytest

from crnn_core.analysis.clustering import fit_kmeans
from crnn_core.analysis.matching import (
    clusters_table,
    contingency,
    contingency_long,
    match_clusters,
    matching_accuracy,
)
from crnn_core.charset import Charset

CHARSET = Charset("abcdef", name="test")  # classes: 0 blank, 1..6 = a..f


def test_contingency_counts() -> None:
    table = contingency(np.array([0, 0, 1, 1, 1, 2]), np.array([1, 1, 2, 0, 2, 1]), 3, 4)
    expected = np.array([[0, 2, 0, 0], [1, 0, 2, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(table, expected)
    with pytest.raises(ValueError, match="labels must be in"):
        contingency(np.array([0]), np.array([4]), 1, 4)


def test_matching_recovers_planted_permutation_on_blobs() -> None:
    rng = np.random.default_rng(11)
    n_blobs, per = 7, 50
    centers = rng.normal(0, 25, size=(n_blobs, 8))
    points = np.concatenate([rng.normal(c, 0.6, size=(per, 8)) for c in centers])
    blob = np.repeat(np.arange(n_blobs), per)
    permutation = rng.permutation(n_blobs)  # blob i's frames are labelled class permutation[i]
    labels = permutation[blob]
    clusters = fit_kmeans(points.astype(np.float32), n_blobs, seed=5).labels
    table = contingency(clusters, labels, n_blobs, n_blobs)
    matched = match_clusters(table)
    for i in range(n_blobs):
        cluster_of_blob = np.bincount(clusters[blob == i]).argmax()
        assert matched[cluster_of_blob] == permutation[i]
    assert matching_accuracy(table, matched) == 1.0


def test_matching_is_one_to_one_unlike_majority() -> None:
    # Clusters 0 and 1 are both mostly class 1; only one of them may be named after it.
    table = np.array([[0, 10, 2, 0], [0, 9, 0, 3], [0, 0, 0, 0]])
    matched = match_clusters(table)
    assert sorted(matched[:2].tolist()) != [1, 1]
    assert matched.tolist() == [1, 3, -1]  # 10 + 3 beats 9 + 2; empty cluster unmatched
    assert matching_accuracy(table, matched) == pytest.approx(13 / 24)


def test_contingency_long_and_clusters_table() -> None:
    table = np.array([[5, 0, 1, 0, 0, 0, 0], [0, 0, 0, 4, 4, 0, 0]])
    long = contingency_long(table, CHARSET)
    assert list(long.columns) == ["cluster", "class_index", "char", "count"]
    rebuilt = np.zeros_like(table)
    rebuilt[long["cluster"], long["class_index"]] = long["count"]
    np.testing.assert_array_equal(rebuilt, table)
    assert set(long["char"]) == {"∅", "b", "c", "d"}
    matched = match_clusters(table)
    info = clusters_table(table, matched, CHARSET, np.array([0.9, 0.5]))
    assert info["size"].tolist() == [6, 8]
    assert info["non_blank_size"].tolist() == [1, 8]
    assert info.loc[0, "majority_char"] == "∅"
    assert info.loc[0, "majority_share"] == pytest.approx(5 / 6)
    assert info.loc[0, "top_labels"] == "∅:5 b:1"
    assert info.loc[1, "matched_char"] in ("c", "d")
