from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crnn_core.analysis.clustering import fit_kmeans
from crnn_core.analysis.matching import (
    MIN_MATCH_COUNT,
    MIN_MATCH_SHARE,
    clusters_table,
    contingency,
    contingency_long,
    eligible,
    match_clusters,
    matching_accuracy,
    matching_rule,
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
    matched = match_clusters(table, min_share=0, min_count=0)  # plain Hungarian
    assert sorted(matched[:2].tolist()) != [1, 1]
    assert matched.tolist() == [1, 3, -1]  # 10 + 3 beats 9 + 2; empty cluster unmatched
    assert matching_accuracy(table, matched) == pytest.approx(13 / 24)
    # With the default rule, 3 frames of 12 are too few to name cluster 1 after class 3.
    assert match_clusters(table).tolist() == [1, -1, -1]


def test_almost_blank_cluster_is_not_named_after_its_stray_frame() -> None:
    # The finding of issue 12: cluster 0 holds 861 blanks and one "5"; cluster 1 is the blank
    # cluster the assignment prefers, so plain Hungarian names cluster 0 "5" on one frame.
    charset = Charset("0123456789", name="digits")  # class 6 = "5"
    table = np.zeros((3, 11), dtype=np.int64)
    table[0, 0], table[0, 6] = 861, 1
    table[1, 0] = 900
    table[2, 3], table[2, 0] = 40, 10  # a real "2" cluster
    assert match_clusters(table, min_share=0, min_count=0)[0] == 6  # the old behaviour
    matched = match_clusters(table)
    assert matched.tolist() == [-1, 0, 3]
    info = clusters_table(table, matched, charset, np.ones(3))
    assert pd.isna(info.loc[0, "matched_char"]) and info.loc[0, "matched_count"] == 0
    assert info.loc[2, "matched_share"] == pytest.approx(0.8)
    # Each threshold alone refuses a pair: 5 frames that are 1 % of a cluster; 2 of 2 frames.
    assert not eligible(np.array([[495, 5]]))[0, 1]
    assert not eligible(np.array([[0, 2]]))[0, 1]
    assert eligible(np.array([[20, 5]]))[0, 1]  # 5 frames, 20 %: exactly at both thresholds


def test_matching_rule_is_recorded_for_the_page() -> None:
    rule = matching_rule()
    assert (rule["min_share"], rule["min_count"]) == (MIN_MATCH_SHARE, MIN_MATCH_COUNT)
    assert rule["min_share"] >= 0.2 and rule["min_count"] >= 5
    assert "20%" in str(rule["text"]) and "5" in str(rule["text"])


def test_contingency_long_and_clusters_table() -> None:
    table = np.array([[5, 0, 1, 0, 0, 0, 0], [0, 0, 0, 4, 4, 0, 0]])
    long = contingency_long(table, CHARSET, view="non_blank")
    assert list(long.columns) == ["view", "cluster", "class_index", "char", "count"]
    assert set(long["view"]) == {"non_blank"}
    rebuilt = np.zeros_like(table)
    rebuilt[long["cluster"], long["class_index"]] = long["count"]
    np.testing.assert_array_equal(rebuilt, table)
    assert set(long["char"]) == {"∅", "b", "c", "d"}
    matched = match_clusters(table, min_count=4)
    info = clusters_table(table, matched, CHARSET, np.array([0.9, 0.5]))
    assert info["size"].tolist() == [6, 8]
    assert info["non_blank_size"].tolist() == [1, 8]
    assert info.loc[0, "majority_char"] == "∅"
    assert info.loc[0, "majority_share"] == pytest.approx(5 / 6)
    assert info.loc[0, "top_labels"] == "∅:5 b:1"
    assert info.loc[1, "matched_char"] in ("c", "d")
    assert info.loc[1, "matched_share"] == pytest.approx(0.5)
    assert set(info["view"]) == {"all"}
