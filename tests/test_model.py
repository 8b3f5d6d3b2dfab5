from __future__ import annotations

import numpy as np
import pytest

from crnn_core.losses import ctc_batch_loss
from crnn_core.model import ModelConfig, build_crnn, count_params
from crnn_core.preprocess import pad_batch

TINY = ModelConfig(num_classes=11, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=16)


def test_output_contract_for_variable_widths() -> None:
    model = build_crnn(TINY)
    images, widths = pad_batch([np.zeros((32, 40), np.uint8), np.zeros((32, 97), np.uint8)])
    logits = np.asarray(model({"image": images.astype("float32"), "width": widths}))
    assert logits.shape == (2, 25, 11)  # 100 padded columns / 4
    assert logits.dtype == np.float32
    assert count_params(model) > 0


def test_masking_removes_most_of_the_batch_padding_effect() -> None:
    """A word's logits barely change when it is batched next to a wider image.

    Only the convolutions' receptive field at the right edge still sees padding; without the
    LSTM frame mask the backward LSTM would read all the padding frames first.
    """
    model = build_crnn(TINY)
    rng = np.random.default_rng(0)
    short = rng.integers(0, 255, (32, 48), dtype=np.uint8)
    wide = rng.integers(0, 255, (32, 160), dtype=np.uint8)

    def run(images: np.ndarray, widths: np.ndarray) -> np.ndarray:
        return np.asarray(model({"image": images.astype("float32"), "width": widths}))[0, :12]

    alone = run(*pad_batch([short]))
    pair_images, pair_widths = pad_batch([short, wide])
    masked = run(pair_images, pair_widths)
    unmasked = run(pair_images, np.array([160, 160]))
    assert np.abs(alone - masked).max() < 0.25 * np.abs(alone - unmasked).max()


def test_separable_variant_is_smaller() -> None:
    dense = build_crnn(ModelConfig(num_classes=95))
    separable = build_crnn(ModelConfig(num_classes=95, separable_from=2))
    assert count_params(separable) < 0.7 * count_params(dense)


def test_ctc_loss_is_lower_for_the_right_label() -> None:
    frames, classes = 6, 5
    logits = np.full((1, frames, classes), -5.0, np.float32)
    for t, c in enumerate([1, 0, 2, 0, 3, 0]):
        logits[0, t, c] = 5.0
    widths = np.array([frames * 4])
    good = ctc_batch_loss(np.array([[1, 2, 3]]), np.array([3]), logits, widths)
    bad = ctc_batch_loss(np.array([[3, 2, 1]]), np.array([3]), logits, widths)
    assert float(np.asarray(good)[0]) < 0.1 < float(np.asarray(bad)[0])


def test_config_round_trip() -> None:
    import json

    data = json.loads(TINY.to_json())
    assert ModelConfig.from_dict(data) == TINY
    with pytest.raises(ValueError, match="6 layer"):
        build_crnn(ModelConfig(num_classes=5, conv_channels=(8, 8)))
