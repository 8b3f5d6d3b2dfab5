from __future__ import annotations

import os

import numpy as np
import pytest

from crnn_core.analysis.projection import FramePlacer


def reference_map(n: int = 3000, dim: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clustered reference vectors and a 2-D map that keeps their neighbourhoods (a projection)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 6, size=(12, dim))
    reference = (centers[rng.integers(0, 12, n)] + rng.normal(size=(n, dim))).astype(np.float32)
    coords = reference @ rng.normal(size=(dim, 2))
    return reference, coords


def test_reference_frame_lands_on_its_own_position() -> None:
    reference, coords = reference_map()
    placer = FramePlacer(reference, coords, n_neighbors=10)
    rows = np.arange(0, 3000, 30)
    # float16 round trip, as for frames reloaded from logits.npz: not bit-identical any more
    probe = reference[rows].astype(np.float16).astype(np.float32)
    x, y = placer.place(probe)
    error = np.hypot(x - coords[rows, 0], y - coords[rows, 1])
    extent = np.ptp(coords, axis=0).max()
    assert error.max() < 1e-3 * extent
    exact_x, _ = placer.place(reference[rows])
    np.testing.assert_allclose(exact_x, coords[rows, 0], rtol=1e-5, atol=1e-5)


def test_new_frame_lands_between_its_neighbours() -> None:
    reference = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]], np.float32)
    coords = np.array([[0.0, 0.0], [4.0, 2.0], [50.0, 50.0]])
    placer = FramePlacer(reference, coords, n_neighbors=2)
    x, y = placer.place(np.array([[5.0, 0.0], [2.0, 0.0]], np.float32))
    assert (x[0], y[0]) == pytest.approx((2.0, 1.0))  # equidistant: the midpoint
    # inverse-square weights 1/4 and 1/64: much closer to the nearer neighbour
    far = (1 / 64) / (1 / 4 + 1 / 64)
    assert (x[1], y[1]) == pytest.approx((4.0 * far, 2.0 * far))


def test_neighbours_match_brute_force() -> None:
    reference, coords = reference_map(n=500, dim=8, seed=2)
    placer = FramePlacer(reference, coords, n_neighbors=5)
    queries = np.random.default_rng(9).normal(0, 6, size=(40, 8)).astype(np.float32)
    distances, indices = placer.neighbours(queries, chunk=7)
    full = np.sqrt(((queries[:, None, :] - reference[None]) ** 2).sum(axis=2))
    np.testing.assert_array_equal(indices, np.argsort(full, axis=1)[:, :5])
    np.testing.assert_allclose(distances, np.sort(full, axis=1)[:, :5], rtol=1e-4)


def test_bad_inputs_are_explained() -> None:
    reference, coords = reference_map(n=50, dim=4)
    placer = FramePlacer(reference, coords, n_neighbors=100)
    assert placer.n_neighbors == 50
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        placer.place(np.zeros((3, 5), np.float32))
    assert placer.place(np.zeros((0, 4), np.float32))[0].shape == (0,)
    with pytest.raises(ValueError, match="NaN"):
        FramePlacer(reference, np.full((50, 2), np.nan))


def test_held_out_frames_land_among_their_neighbours() -> None:
    """The frames outside the UMAP sample, placed by cluster (``place_by_cluster``), land where
    the exact nearest-reference placement puts them, i.e. among their own group."""
    from crnn_core.analysis.clustering import fit_kmeans
    from crnn_core.analysis.projection import place_by_cluster

    rng = np.random.default_rng(3)
    centers = rng.normal(0, 6, size=(12, 20))
    group = rng.integers(0, 12, 4000)
    frames = (centers[group] + rng.normal(size=(4000, 20))).astype(np.float32)
    coords = frames @ rng.normal(size=(20, 2))
    km = fit_kmeans(frames, 12, seed=0)
    reference, held_out = np.arange(0, 3000), np.arange(3000, 4000)
    placer = FramePlacer(frames[reference], coords[reference], n_neighbors=10)
    x, y = place_by_cluster(placer, frames[held_out], km.labels[held_out],
                            km.labels[reference], km.centers, probe=3)  # fmt: skip
    exact_x, exact_y = placer.place(frames[held_out])
    extent = np.ptp(coords, axis=0).max()
    gap = np.hypot(x - exact_x, y - exact_y)
    assert np.mean(gap < 1e-3 * extent) >= 0.95 and gap.max() < 0.05 * extent
    own = np.hypot(x - coords[held_out, 0], y - coords[held_out, 1])  # the map is a projection
    shuffled = rng.permutation(held_out)
    chance = np.hypot(*(coords[shuffled] - coords[held_out]).T)
    assert np.median(own) < 0.25 * np.median(chance)


WARM_UP_CHECK = """
from crnn_core.analysis.projection import import_umap, warm_up_umap
import_umap()
from umap import layouts
kernel = layouts._nb_optimize_layout_euclidean_single_epoch
assert not kernel.signatures, "compiled before the warm-up"
seconds = warm_up_umap()
assert seconds is not None and seconds > 0, seconds
assert kernel.signatures, "the warm-up did not compile the epoch kernel"
"""


def test_umap_warm_up_compiles_the_layout_code_once() -> None:
    """In a fresh process (numba's compiled code lives per process), the warm-up compiles
    umap-learn's epoch kernel, which a 20,000-frame fit otherwise spends seconds compiling."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", WARM_UP_CHECK], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]


def test_nearest_neighbours_match_sklearn_exact_search() -> None:
    """The GEMM + argpartition kNN (UMAP's graph, the placer's queries) finds what sklearn's
    exact brute-force search finds: the same neighbours, the same distances, itself first."""
    from sklearn.neighbors import NearestNeighbors

    from crnn_core.analysis.projection import nearest_neighbours

    rng = np.random.default_rng(5)
    points = rng.normal(size=(700, 12)).astype(np.float32)
    distances, indices = nearest_neighbours(points, points, k=8, chunk=64)
    exact = NearestNeighbors(n_neighbors=8, algorithm="brute").fit(points)
    want_d, want_i = exact.kneighbors(points)
    np.testing.assert_array_equal(indices, want_i)
    np.testing.assert_allclose(distances, want_d, atol=1e-5)
    assert (indices[:, 0] == np.arange(700)).all() and (distances[:, 0] == 0).all()
    empty_d, empty_i = nearest_neighbours(points, points[:0], k=8)
    assert empty_d.shape == empty_i.shape == (0, 8)
