from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from crnn_core.analysis import clustering
from crnn_core.analysis.clustering import (
    apply_standardize,
    fit_kmeans,
    fit_rows,
    purity,
    sampled_silhouette,
    silhouette_rows,
    silhouettes,
    standardize,
)


def test_purity_hand_computed() -> None:
    # cluster 0 holds a, a, b -> 2; cluster 1 holds b, b -> 2; cluster 2 holds c -> 1: 5 of 6.
    clusters = np.array([0, 0, 0, 1, 1, 2])
    labels = np.array([7, 7, 3, 3, 3, 9])
    assert purity(clusters, labels) == pytest.approx(5 / 6)


def test_purity_extremes_and_invariance() -> None:
    labels = np.array([1, 1, 2, 2, 3, 3, 3])
    assert purity(labels, labels) == 1.0
    # One cluster: purity is the share of the most common label (3 of 7).
    assert purity(np.zeros(7, int), labels) == pytest.approx(3 / 7)
    # Renaming clusters or labels changes nothing.
    clusters = np.array([5, 5, 5, 8, 8, 9, 9])
    assert purity(clusters, labels) == purity(100 - clusters, labels * 10)
    assert purity(clusters, labels) == pytest.approx((2 + 1 + 2) / 7)
    assert math.isnan(purity(np.array([]), np.array([])))
    with pytest.raises(ValueError, match="must match"):
        purity(np.zeros(3), np.zeros(4))


def test_silhouette_hand_computed() -> None:
    # 1-D points {0, 1} and {10, 11}: a(i) = 1 for all; b = mean distance to the other pair.
    points = np.array([[0.0], [1.0], [10.0], [11.0]])
    labels = np.array([0, 0, 1, 1])
    b = [10.5, 9.5, 9.5, 10.5]
    expected = sum((bi - 1) / bi for bi in b) / 4
    score, used = sampled_silhouette(points, labels, max_samples=100)
    assert used == 4
    assert score == pytest.approx(expected)


def test_silhouette_matches_sklearn_without_and_with_sampling() -> None:
    rng = np.random.default_rng(3)
    points = np.concatenate([rng.normal(c, 1.0, size=(60, 4)) for c in (0, 4, 8)])
    labels = np.repeat([0, 1, 2], 60)
    score, used = sampled_silhouette(points, labels, max_samples=1000, seed=1)
    assert used == 180
    assert score == pytest.approx(silhouette_score(points, labels))
    # Sampled: equals sklearn on exactly the seeded subset, and is reproducible.
    score_a, used_a = sampled_silhouette(points, labels, max_samples=50, seed=7)
    score_b, _ = sampled_silhouette(points, labels, max_samples=50, seed=7)
    rows = silhouette_rows(180, 50, seed=7)
    assert used_a == 50
    assert score_a == score_b == pytest.approx(silhouette_score(points[rows], labels[rows]))


def test_silhouette_sample_is_drawn_independently_of_the_fit_sample() -> None:
    # Same seed, same sizes: the old code scored exactly the frames KMeans was fitted on.
    fit = fit_rows(50_000, 20_000, seed=1)
    scored = silhouette_rows(50_000, 20_000, seed=1)
    assert fit.size == scored.size == 20_000
    assert not np.array_equal(fit, scored)
    assert np.array_equal(scored, silhouette_rows(50_000, 20_000, seed=1))  # still seeded
    # Independent draws overlap by chance only: about 20k * 20k / 50k = 8000 frames.
    assert 7_000 < np.intersect1d(fit, scored).size < 9_000
    assert np.array_equal(fit, fit_kmeans(np.zeros((50_000, 1), np.float32), 1, seed=1).fit_rows)
    # When everything fits in both budgets, both are all frames (the population figure).
    np.testing.assert_array_equal(silhouette_rows(100, 500, seed=1), np.arange(100))


@pytest.mark.parametrize("one_hot_limit", [2048, 1])
def test_silhouettes_share_distances_and_match_sklearn(
    one_hot_limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clustering, "ONE_HOT_LIMIT", one_hot_limit)  # both summing paths
    rng = np.random.default_rng(4)
    points = np.concatenate([rng.normal(c, 1.0, size=(70, 5)) for c in (0, 3, 9)])
    real = np.repeat([0, 1, 2], 70)
    shuffled = rng.permutation(real)
    singletons = np.arange(210)
    singletons[:3] = 0  # one cluster of 3, the rest alone: silhouette 0 for those
    scores = silhouettes(points.astype(np.float32), [real, shuffled, singletons], chunk=64)
    expected = [silhouette_score(points, labels) for labels in (real, shuffled, singletons)]
    assert scores == pytest.approx(expected, abs=1e-6)
    assert scores[0] > 0.5 and abs(scores[1]) < 0.05  # random labels: about 0
    assert math.isnan(silhouettes(points, [np.zeros(210, int)])[0])
    with pytest.raises(ValueError, match="210 entries"):
        silhouettes(points, [np.zeros(5, int)])


def test_silhouette_undefined_is_nan() -> None:
    points = np.arange(10, dtype=float)[:, None]
    assert math.isnan(sampled_silhouette(points, np.zeros(10, int))[0])
    assert math.isnan(sampled_silhouette(points, np.arange(10))[0])


def test_standardize_zero_mean_unit_scale_and_constant_column() -> None:
    rng = np.random.default_rng(0)
    data = np.column_stack([rng.normal(5, 3, 500), np.full(500, 2.0)])
    scaled, mean, scale = standardize(data)
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled[:, 0].mean(), 0, atol=1e-5)
    np.testing.assert_allclose(scaled[:, 0].std(), 1, atol=1e-4)
    assert np.all(scaled[:, 1] == 0) and scale[1] == 1.0
    np.testing.assert_allclose(apply_standardize(data, mean, scale), scaled)


def blobs(
    seed: int = 0, per: int = 40, centers: int = 5, dim: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    middle = rng.normal(0, 20, size=(centers, dim))
    points = np.concatenate([rng.normal(c, 0.5, size=(per, dim)) for c in middle])
    return points.astype(np.float32), np.repeat(np.arange(centers), per)


def test_kmeans_reproducible_and_recovers_blobs() -> None:
    points, truth = blobs()
    first = fit_kmeans(points, 5, seed=3)
    second = fit_kmeans(points, 5, seed=3)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert first.centers.shape == (5, 6)
    assert purity(first.labels, truth) == 1.0
    assert first.info["fit_frames"] == 200 and "sample" not in first.info["method"]


def test_kmeans_fit_on_sample_predicts_all() -> None:
    points, truth = blobs(per=100)
    result = fit_kmeans(points, 5, seed=0, fit_sample=60)
    assert result.labels.shape == (500,)
    assert result.info["fit_frames"] == 60 and "sample" in result.info["method"]
    assert purity(result.labels, truth) == 1.0


def test_kmeans_caps_k_at_distinct_points() -> None:
    points = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]], np.float32), 4, axis=0)
    result = fit_kmeans(points, 10, seed=0)
    assert result.info["k"] == 3 and result.info["k_requested"] == 10
    assert len(np.unique(result.labels)) == 3
