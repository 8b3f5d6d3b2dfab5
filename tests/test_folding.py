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
