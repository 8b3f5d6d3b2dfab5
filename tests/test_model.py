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


def _randomised(model, seed: int = 0):  # type: ignore[no-untyped-def]
    """Random weights everywhere, BatchNorm shifts included: with fresh BN (beta = 0) padding
    stays zero after ReLU and a padding leak would go unnoticed."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.get_weights():
        if w.ndim == 1:  # BN gamma/beta/mean/var and biases: positive, non-trivial
            weights.append(rng.uniform(0.2, 1.0, w.shape).astype(w.dtype))
        else:
            weights.append(rng.normal(0, 0.3, w.shape).astype(w.dtype))
    model.set_weights(weights)
    return model


@pytest.mark.parametrize("separable_from", [2, 99])
def test_valid_frames_do_not_depend_on_the_batch(separable_from: int) -> None:
    """A word's logits are the same predicted alone and batched with wider images (odd widths
    included), so predict, evaluate, analyze and the dashboard agree on every image."""
    config = ModelConfig(
        num_classes=11, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=16,
        separable_from=separable_from,
    )  # fmt: skip
    model = _randomised(build_crnn(config))
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 255, (32, w), dtype=np.uint8) for w in (37, 41, 64, 53, 160, 99)]

    def logits(batch: list[np.ndarray]) -> np.ndarray:
        padded, widths = pad_batch(batch)
        return np.asarray(model({"image": padded.astype("float32"), "width": widths}))

    batched = logits(images)
    for i, image in enumerate(images):
        frames = -(-image.shape[1] // 4)
        alone = logits([image])[0, :frames]
        np.testing.assert_allclose(batched[i, :frames], alone, atol=1e-4, rtol=0)
    # the width input matters: claiming the padding is image changes the short word's logits
    padded, _ = pad_batch(images)
    unmasked = np.asarray(
        model({"image": padded.astype("float32"), "width": np.full(len(images), 160)})
    )
    assert np.abs(unmasked[0, :10] - batched[0, :10]).max() > 1e-2


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


def test_caseless_loss_accepts_either_case_of_a_capitals_label() -> None:
    """SVT labels are capitals only: with ``caseless`` the loss of a lower-case reading of
    "AB" is as low as for an upper-case one; without it the case mismatch is penalised."""
    from crnn_core.charset import Charset
    from crnn_core.losses import case_fold_log_probs

    charset = Charset.preset("94_full")
    upper, lower = charset.case_pairs()
    assert len(upper) == 26 and charset.encode("A") == [upper[lower.index(charset.encode("a")[0])]]
    frames, classes = 4, charset.num_classes
    logits = np.full((1, frames, classes), -6.0, np.float32)
    for t, ch in enumerate("a b "):
        logits[0, t, 0 if ch == " " else charset.encode(ch)[0]] = 6.0
    labels, lengths, widths = np.array([charset.encode("AB")]), np.array([2]), np.array([16])
    up, lo = np.array(upper), np.array(lower)
    plain = float(np.asarray(ctc_batch_loss(labels, lengths, logits, widths))[0])
    folded = case_fold_log_probs(logits, up, lo, np.array([1]))
    caseless = float(np.asarray(ctc_batch_loss(labels, lengths, folded, widths))[0])
    untouched = case_fold_log_probs(logits, up, lo, np.array([0]))
    cased = float(np.asarray(ctc_batch_loss(labels, lengths, untouched, widths))[0])
    assert caseless < 0.1 and plain > 10 and abs(cased - plain) < 1e-3
