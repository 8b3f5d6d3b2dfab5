"""Both clusterings (all frames; non-blank frames on their own) and their baselines."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from crnn_core.analysis.clustering import fit_rows, purity, silhouette_rows
from crnn_core.analysis.views import (
    K_RULES,
    ClusterView,
    fit_views,
    purity_baselines,
    score_views,
)
from crnn_core.charset import Charset

CHARSET = Charset("abcd", name="test")  # classes: 0 blank, 1..4 = a..d


def fit(points: np.ndarray, labels: np.ndarray, fit_sample: int = 20000) -> dict[str, ClusterView]:
    return fit_views(
        points, labels, CHARSET.num_classes, seed=3, fit_sample=fit_sample, min_share=0.2,
        min_count=5,
    )  # fmt: skip


def planted(blank: int = 600, per: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A big blank blob and one tight blob per character a, b, c (class d never occurs)."""
    rng = np.random.default_rng(seed)
    centres = {0: np.zeros(6), 1: np.full(6, 8.0), 2: np.full(6, -8.0), 3: np.eye(6)[0] * 16}
    sizes = {0: blank, 1: per, 2: per, 3: per}
    points = np.concatenate([rng.normal(centres[c], 1.0, (sizes[c], 6)) for c in sizes])
    labels = np.repeat(list(sizes), list(sizes.values()))
    order = rng.permutation(labels.size)
    return points[order].astype(np.float32), labels[order]


def test_non_blank_frames_are_clustered_on_their_own() -> None:
    points, labels = planted()
    views = fit(points, labels)
    assert set(views) == {"all", "non_blank"}
    full, own = views["all"], views["non_blank"]
    assert full.k == CHARSET.num_classes == 5 and full.rows.size == labels.size
    # K = the non-blank classes that occur (a, b, c), not charset size minus blank (4).
    assert own.k == 3 and "occur" not in K_RULES["all"] and "distinct" in K_RULES["non_blank"]
    np.testing.assert_array_equal(own.rows, np.flatnonzero(labels != 0))
    assert own.table[:, 0].sum() == 0  # no blank frame in it
    assert purity(own.labels, labels[own.rows]) == 1.0
    assert sorted(own.matched.tolist()) == [1, 2, 3]
    clusters = own.frame_clusters(labels.size)
    assert (clusters[labels == 0] == -1).all() and (clusters[labels != 0] >= 0).all()


def test_no_non_blank_frames_means_no_non_blank_view() -> None:
    points, labels = planted()
    views = fit(points, np.zeros_like(labels))
    assert list(views) == ["all"]
    summary, legacy = score_views(points, np.zeros_like(labels), views, 20000, seed=3)
    assert summary["non_blank"]["frames"] == 0 and "skipped" in summary["non_blank"]
    assert legacy["purity"]["all"] == 1.0


def test_purity_baselines() -> None:
    labels = np.array([0] * 8 + [1, 2])
    clusters = np.array([0] * 5 + [1] * 5)
    base = purity_baselines(clusters, labels, seed=0, repeats=50)
    assert base["one_cluster"] == pytest.approx(0.8)  # the majority class's share
    # Any clustering scores at least the one-cluster purity; random ones barely more here.
    assert 0.8 - 1e-9 <= base["random_assignment"] <= 1.0
    assert purity_baselines(clusters, labels, seed=0, repeats=50) == base  # seeded


def test_scores_carry_baselines_and_an_independent_sample() -> None:
    points, labels = planted(blank=1500, per=150)
    views = fit(points, labels, fit_sample=600)
    summary, legacy = score_views(points, labels, views, max_samples=500, seed=3)
    full, own = summary["all"], summary["non_blank"]
    assert full["frames"] == 1950 and own["frames"] == 450 and own["k"] == 3
    # Purity: real clusters beat one cluster (= share of blank) and random assignment.
    assert full["purity"]["one_cluster"] == pytest.approx(1500 / 1950)
    assert full["purity"]["value"] > full["purity"]["random_assignment"]
    assert own["purity"]["one_cluster"] == pytest.approx(1 / 3)
    assert own["purity"]["value"] == 1.0
    # Silhouette: the real labels score well, shuffled labels of the same sample about 0 (below
    # it with unequal cluster sizes: the nearest small random cluster looks closer by chance).
    for view in (full, own):
        assert view["silhouette"]["value"] > 0.2
        assert -0.3 < view["silhouette"]["random_labels"] < 0.05
    # The all-frame silhouette is sklearn's on the silhouette sample, not the fit sample.
    sample = silhouette_rows(1950, 500, seed=3)
    assert full["silhouette"]["sample"] == 500
    expected = silhouette_score(points[sample], views["all"].labels[sample])
    assert full["silhouette"]["value"] == pytest.approx(expected, abs=1e-6)
    fitted = fit_rows(1950, 600, seed=3)
    assert full["silhouette"]["fit_overlap"] == np.intersect1d(sample, fitted).size < 500
    # 450 non-blank frames fit in both budgets: scored on all of them (population figure).
    assert own["silhouette"]["sample"] == own["silhouette"]["fit_overlap"] == 450
    # Format /1 keys keep their meaning: all-frame clusters, then those on non-blank frames.
    assert legacy["purity"]["all"] == full["purity"]["value"]
    assert legacy["silhouette"]["non_blank"] == full["non_blank_frames"]["silhouette"]
    assert legacy["matched_clusters"] == full["matching"]["matched_clusters"]
    assert own["matching"]["classes_present"] == 3 == own["matching"]["matched_clusters"]
