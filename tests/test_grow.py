"""Growing a trained CRNN into a bigger one keeps its logits, and the bigger one can still learn."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import pytest

from crnn_core.losses import CTCTrainingModel
from crnn_core.model import ModelConfig, build_crnn
from crnn_core.training.grow import GrowError, describe_growth, grow_into

SMALL = ModelConfig(
    num_classes=11, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=8, separable_from=2
)


def _batch(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "image": rng.uniform(0, 255, (3, 32, 96, 1)).astype("float32"),
        "width": np.array([96, 61, 33], "int32"),
    }


def _trained_small(config: ModelConfig = SMALL, seed: int = 1) -> keras.Model:
    """A small model whose weights are all non-trivial (random, BN statistics moved off 0/1)."""
    keras.utils.set_random_seed(seed)
    model = build_crnn(config)
    rng = np.random.default_rng(seed + 1)
    model.set_weights(
        [w + rng.normal(0, 0.1, w.shape).astype(w.dtype) for w in model.get_weights()]
    )
    return model


def _train_one_step(model: keras.Model) -> None:
    """One Adam step on ``_batch()`` with fixed labels: it moves every weight that can learn."""
    trainer = CTCTrainingModel(model)
    trainer.compile(optimizer=keras.optimizers.Adam(1e-2))
    targets = {
        "labels": np.array([[1, 2, 3], [4, 5, 0], [6, 0, 0]], "int32"),
        "label_length": np.array([3, 2, 1], "int32"),
    }
    trainer.train_on_batch(_batch(), targets)


@pytest.mark.parametrize(
    "changes",
    [
        {"separable_from": 99},
        {"lstm_units": 13},
        {"separable_from": 4, "lstm_units": 12},
        {"separable_from": 99, "conv_channels": (12, 8, 24, 16, 16, 20), "lstm_units": 10},
    ],
)
def test_grown_model_computes_the_same_logits(changes: dict[str, int]) -> None:
    small = _trained_small()
    big_config = dataclasses.replace(SMALL, **changes)
    big = build_crnn(big_config)
    grow_into(small, big, SMALL, big_config)
    before = np.asarray(small.predict(_batch(), verbose=0))
    after = np.asarray(big.predict(_batch(), verbose=0))
    assert after.shape == before.shape
    np.testing.assert_allclose(after, before, atol=1e-4)
    assert describe_growth(SMALL, big_config)


def test_new_lstm_units_get_gradients_and_change_the_logits_after_one_step() -> None:
    small = _trained_small()
    big_config = dataclasses.replace(SMALL, lstm_units=12)
    big = build_crnn(big_config)
    grow_into(small, big, SMALL, big_config)
    before = np.asarray(big.predict(_batch(), verbose=0))
    kernel = big.get_layer("logits").get_weights()[0]
    assert not kernel[8:12].any()  # rows of the new forward units start at zero
    _train_one_step(big)
    assert big.get_layer("logits").get_weights()[0][8:12].any()
    assert np.abs(np.asarray(big.predict(_batch(), verbose=0)) - before).max() > 1e-4


def test_widened_low_rank_convs_keep_the_logits_and_their_new_channels_learn() -> None:
    low_rank = dataclasses.replace(SMALL, separable_from=99, conv_ranks=(0, 0, 4, 4, 8, 8))
    small = _trained_small(low_rank, seed=3)
    wide_config = dataclasses.replace(low_rank, conv_channels=(16, 12, 16, 24, 16, 32))
    wide = build_crnn(wide_config)
    grow_into(small, wide, low_rank, wide_config)
    before = np.asarray(small.predict(_batch(), verbose=0))
    np.testing.assert_allclose(np.asarray(wide.predict(_batch(), verbose=0)), before, atol=1e-4)
    assert wide.get_layer("bn3").get_weights()[2][16:].tolist() == [0.0] * 8  # fresh statistics
    assert not wide.get_layer("conv4_basis").get_weights()[0][:, :, 16:].any()
    _train_one_step(wide)
    assert wide.get_layer("conv4_basis").get_weights()[0][:, :, 16:].any()
    assert np.abs(np.asarray(wide.predict(_batch(), verbose=0)) - before).max() > 1e-4
    full_rank = dataclasses.replace(wide_config, conv_ranks=(0,) * 6)
    with pytest.raises(GrowError, match="two separate stages"):
        grow_into(small, build_crnn(full_rank), low_rank, full_rank)


def test_shrinking_or_changing_other_fields_is_refused() -> None:
    small = _trained_small()
    for changes in ({"lstm_units": 4}, {"separable_from": 1}, {"conv_channels": (8,) * 6}):
        config = dataclasses.replace(SMALL, **changes)
        with pytest.raises(GrowError):
            grow_into(small, build_crnn(config), SMALL, config)


def test_export_records_how_the_stage_grew_its_model(tmp_path: Path) -> None:
    from crnn_core.training.export import _growth

    (tmp_path / "model_config.json").write_text(SMALL.to_json())
    grown = dataclasses.replace(SMALL, separable_from=99, lstm_units=12)
    assert _growth(str(tmp_path), grown) == [
        "separable convs from layer 2 -> 99",
        "LSTM units 8 -> 12",
    ]
    assert _growth(str(tmp_path), SMALL) == [] and _growth("", grown) == []
