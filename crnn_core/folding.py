"""Fold each conv block's BatchNorm into its conv for inference.

At inference a BatchNorm layer is a fixed per-channel affine map, ``y = scale * x + shift``, that
TensorFlow runs as separate element-wise passes over the largest tensors of the model (after
conv0 they hold 32 x W x 32 values per image). Folded into the conv before it (kernel columns
times ``scale``, ``shift`` as the conv's bias), the same logits come out of one op that oneDNN
fuses with the ReLU. The training graph keeps its BN layers; only ``Recognizer`` runs this one.
"""

from __future__ import annotations

import keras
import numpy as np

from crnn_core.model import ModelConfig, build_crnn

__all__ = ["fold_batchnorm"]


def _block_conv_name(config: ModelConfig, index: int) -> str:
    return f"conv{index}_mix" if config.ranks[index] > 0 else f"conv{index}"


def _scale_shift(bn: keras.layers.BatchNormalization) -> tuple[np.ndarray, np.ndarray]:
    weights = {w.path.rsplit("/", 1)[-1]: np.asarray(w, np.float64) for w in bn.weights}
    mean, variance = weights["moving_mean"], weights["moving_variance"]
    gamma = weights.get("gamma", np.ones_like(mean))
    beta = weights.get("beta", np.zeros_like(mean))
    scale = gamma / np.sqrt(variance + bn.epsilon)
    return scale, beta - mean * scale


def fold_batchnorm(
    model: keras.Model, config: ModelConfig, frame_masks: bool = True
) -> keras.Model:
    """A BN-free copy of ``model`` (built by ``build_crnn(config)``) with the same logits
    (``frame_masks``: see ``build_crnn``)."""
    folded = build_crnn(config, folded=True, frame_masks=frame_masks)
    blocks = {_block_conv_name(config, i): i for i in range(len(config.conv_channels))}
    for layer in folded.layers:
        if not layer.weights:
            continue
        source = model.get_layer(layer.name)
        weights = [np.asarray(w) for w in source.get_weights()]
        if layer.name in blocks:
            scale, shift = _scale_shift(model.get_layer(f"bn{blocks[layer.name]}"))
            # The last weight is the kernel whose output channels BN scales (the pointwise
            # kernel of a separable conv); its last axis is the output channel.
            weights[-1] = (weights[-1] * scale).astype(weights[-1].dtype)
            weights.append(shift.astype(weights[-1].dtype))
        layer.set_weights(weights)
    return folded
