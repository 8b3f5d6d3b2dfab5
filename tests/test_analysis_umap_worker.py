"""The UMAP worker process: same map as a fit in this process, its failures explained, and a
dead worker replaced by a fit here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crnn_core.analysis.io import AnalysisError
from crnn_core.analysis.projection import fit_umap
from crnn_core.analysis.umap_worker import InProcessUmap, UmapWorker


def _features(rows: int = 300, seed: int = 0) -> np.ndarray:
    """Three separated blobs, so the map has structure to reproduce."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(3, 8))
    return (centres[rng.integers(0, 3, rows)] + rng.normal(size=(rows, 8))).astype(np.float32)


def test_worker_draws_the_same_map_as_this_process(tmp_path: Path) -> None:
    features = _features()
    with UmapWorker(tmp_path / "w") as worker:
        worker.submit(features, seed=4)
        found = worker.result()
    assert worker.process is not None and worker.process.returncode == 0
    assert found.info["worker"].startswith("separate process")
    assert found.info["warm_up_seconds"] is not None and found.info["worker_peak_rss_mib"] > 0
    here = fit_umap(features, seed=4)
    np.testing.assert_array_equal(found.coords, here.coords)
    assert found.coords.dtype == np.float32 and found.coords.shape == (300, 2)


def test_a_failed_fit_reaches_the_parent_as_a_message(tmp_path: Path) -> None:
    features = _features(50)
    features[3, 2] = np.nan
    with UmapWorker(tmp_path / "w") as worker:
        worker.submit(features, seed=0)
        with pytest.raises(AnalysisError, match="UMAP failed: ValueError"):
            worker.result()


def test_a_dead_worker_is_replaced_by_a_fit_here(tmp_path: Path) -> None:
    features = _features(200, seed=1)
    worker = UmapWorker(tmp_path / "w")
    assert worker.process is not None
    worker.process.kill()
    worker.process.wait()
    worker.submit(features, seed=2)
    found = worker.result()
    worker.close()
    assert found.info["worker"].startswith("fitted in the analysis process")
    np.testing.assert_array_equal(found.coords, fit_umap(features, seed=2).coords)


def test_closing_an_unused_worker_stops_it(tmp_path: Path) -> None:
    worker = UmapWorker(tmp_path / "w")
    worker.close()
    assert worker.process is not None and worker.process.poll() is not None
    worker.close()  # a second close is harmless


def test_in_process_fit_needs_its_features_first() -> None:
    job = InProcessUmap()
    with pytest.raises(RuntimeError, match="submit"):
        job.result()
    job.submit(_features(40), seed=0)
    assert job.result().coords.shape == (40, 2)
