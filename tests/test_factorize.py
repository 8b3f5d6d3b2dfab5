"""Low-rank conv factorization: exact at full rank, the best approximation below it, and a
factorized model started from a trained full-conv one keeps (at full rank) or nearly keeps its
logits."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from crnn_core.model import ModelConfig, build_crnn
from crnn_core.training.factorize import factorize_kernel, kept_energy
from crnn_core.training.grow import GrowError, describe_growth, grow_into, is_exact

FULL = ModelConfig(
    num_classes=11, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=8, separable_from=99
)


def _compose(basis: np.ndarray, mix: np.ndarray) -> np.ndarray:
    return np.einsum("hwir,ro->hwio", basis, mix[0, 0])


def test_full_rank_factors_compose_to_the_kernel() -> None:
    kernel = np.random.default_rng(0).normal(size=(3, 3, 4, 6)).astype("float32")
    basis, mix = factorize_kernel(kernel, 6)
    assert basis.shape == (3, 3, 4, 6) and mix.shape == (1, 1, 6, 6)
    np.testing.assert_allclose(_compose(basis, mix), kernel, atol=1e-5)
    assert kept_energy(kernel, 6) == pytest.approx(1.0)


def test_truncation_error_is_the_dropped_singular_energy_and_beats_a_random_subspace() -> None:
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(3, 3, 8, 16))
    basis, mix = factorize_kernel(kernel, 4)
    error = np.sum((_compose(basis, mix) - kernel) ** 2) / np.sum(kernel**2)
    assert error == pytest.approx(1 - kept_energy(kernel, 4), rel=1e-6)
    # Any other rank-4 map does worse, e.g. projecting the outputs on a random 4-d subspace.
    flat = kernel.reshape(72, 16)
    q = np.linalg.qr(rng.normal(size=(16, 4)))[0]
    other = np.sum((flat @ q @ q.T - flat) ** 2) / np.sum(flat**2)
    assert error < other


def test_rank_outside_the_kernel_is_refused() -> None:
    kernel = np.zeros((3, 3, 2, 4), "float32")
    for rank in (0, 5):
        with pytest.raises(ValueError, match="rank"):
            factorize_kernel(kernel, rank)


def test_config_needs_six_ranks() -> None:
    with pytest.raises(ValueError, match="conv_ranks"):
        build_crnn(dataclasses.replace(FULL, conv_ranks=(0, 4)))
    restored = ModelConfig.from_dict({**dataclasses.asdict(FULL), "conv_ranks": [0, 1, 2, 3, 4, 5]})
    assert restored.conv_ranks == (0, 1, 2, 3, 4, 5)


def _trained_full() -> keras.Model:
    keras.utils.set_random_seed(3)
    model = build_crnn(FULL)
    rng = np.random.default_rng(4)
    model.set_weights(
        [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in model.get_weights()]
    )
    return model


def _batch() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        "image": rng.uniform(0, 255, (3, 32, 80, 1)).astype("float32"),
        "width": np.array([80, 57, 20], "int32"),
    }


def test_factorized_model_from_a_full_one_keeps_logits_at_full_rank_and_nearly_below() -> None:
    full = _trained_full()
    before = np.asarray(full.predict(_batch(), verbose=0))
    # conv1..conv5 map 9 * 8 or 9 * 16 patch values to 8 or 16 channels: ranks 8 / 16 are full.
    exact_config = dataclasses.replace(FULL, conv_ranks=(0, 8, 16, 16, 16, 16))
    exact = build_crnn(exact_config)
    grow_into(full, exact, FULL, exact_config)
    np.testing.assert_allclose(np.asarray(exact.predict(_batch(), verbose=0)), before, atol=1e-4)

    low_config = dataclasses.replace(FULL, conv_ranks=(0, 0, 0, 12, 12, 8))
    low = build_crnn(low_config)
    grow_into(full, low, FULL, low_config)
    after = np.asarray(low.predict(_batch(), verbose=0))
    difference = np.abs(after - before).max()
    assert 1e-4 < difference < np.abs(before).max()  # changed, but still the same model's scale
    assert not is_exact(FULL, low_config) and is_exact(FULL, dataclasses.replace(FULL))
    assert describe_growth(FULL, low_config) == [
        "conv ranks [0, 0, 0, 0, 0, 0] -> [0, 0, 0, 12, 12, 8] (0 = full)"
    ]


def test_only_full_convs_can_be_factorized() -> None:
    separable = dataclasses.replace(FULL, separable_from=2)
    target = dataclasses.replace(separable, conv_ranks=(0, 0, 0, 4, 4, 4))
    with pytest.raises(GrowError, match="full 3x3"):
        grow_into(build_crnn(separable), build_crnn(target), separable, target)
