"""The inference graph with BatchNorm folded into the convs computes the training graph's logits."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from crnn_core.folding import fold_batchnorm
from crnn_core.model import ModelConfig, build_crnn

BASE = ModelConfig(num_classes=9, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=8)


def _with_moved_batchnorm(model: keras.Model, seed: int) -> keras.Model:
    """Random weights and BN statistics far from their 0/1 start, as after training."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, variance = (np.asarray(w) for w in layer.get_weights())
            layer.set_weights(
                [
                    rng.uniform(0.5, 2.0, gamma.shape),
                    rng.normal(0, 0.5, beta.shape),
                    rng.normal(0, 1.0, mean.shape),
                    rng.uniform(0.2, 3.0, variance.shape),
                ]
            )
    return model


@pytest.mark.parametrize("changes", [{}, {"separable_from": 2}, {"conv_ranks": (0, 4, 4, 8, 8, 8)}])
def test_folded_graph_has_no_batchnorm_and_the_same_logits(changes: dict[str, object]) -> None:
    config = dataclasses.replace(BASE, **changes)
    keras.utils.set_random_seed(7)
    model = _with_moved_batchnorm(build_crnn(config), seed=8)
    folded = fold_batchnorm(model, config)
    assert not any(isinstance(x, keras.layers.BatchNormalization) for x in folded.layers)
    rng = np.random.default_rng(9)
    batch = {
        "image": rng.uniform(0, 255, (3, 32, 72, 1)).astype("float32"),
        "width": np.array([72, 45, 13], "int32"),
    }
    expected = np.asarray(model.predict(batch, verbose=0))
    np.testing.assert_allclose(np.asarray(folded.predict(batch, verbose=0)), expected, atol=1e-4)
    assert np.abs(expected).max() > 0.1  # not a trivially zero output


def test_graph_without_frame_masks_is_exact_when_every_row_fills_the_frames() -> None:
    keras.utils.set_random_seed(10)
    model = _with_moved_batchnorm(build_crnn(BASE), seed=11)
    unmasked = fold_batchnorm(model, BASE, frame_masks=False)
    rng = np.random.default_rng(12)
    image = rng.uniform(0, 255, (2, 32, 72, 1)).astype("float32")
    # 72 and 70 px both give 18 frames: only the conv padding masks differ between the rows.
    full = {"image": image, "width": np.array([72, 70], "int32")}
    expected = np.asarray(model.predict(full, verbose=0))
    np.testing.assert_allclose(np.asarray(unmasked.predict(full, verbose=0)), expected, atol=1e-4)
    # With a shorter row the frame masks matter, so the unmasked graph must not be used there.
    short = {"image": image, "width": np.array([72, 30], "int32")}
    differs = np.asarray(unmasked.predict(short, verbose=0)) - model.predict(short, verbose=0)
    assert np.abs(differs[1, :8]).max() > 1e-3


def test_run_logits_uses_the_unmasked_graph_only_for_chunks_that_fill_every_frame() -> None:
    from crnn_core.recognizer import run_logits

    keras.utils.set_random_seed(13)
    masked = build_crnn(BASE)
    other = build_crnn(BASE, frame_masks=False)  # different random weights: tells them apart
    rng = np.random.default_rng(14)
    images = [rng.integers(0, 256, (32, w), dtype=np.uint8) for w in (41, 97)]
    alone = run_logits(masked, images[:1], full_frames_model=other)[0]
    together = run_logits(masked, images, full_frames_model=other)[0]
    reference = run_logits(masked, images[:1])[0]
    np.testing.assert_allclose(alone, run_logits(other, images[:1])[0], atol=1e-5)
    np.testing.assert_allclose(together, reference, atol=1e-4)  # mixed widths: masked graph
    assert np.abs(alone - reference).max() > 1e-3
