"""The CRNN: convolutional backbone → 2-layer bidirectional LSTM → per-frame logits (+ blank).

Written with ``keras.layers`` / ``keras.ops`` only, so the same model runs on TensorFlow or JAX.
The model takes the true image widths as a second input and masks the padded frames in the LSTMs,
so a word's prediction does not depend on what else is in its batch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import keras
from keras import layers, ops

from crnn_core.geometry import HEIGHT, frames_for_width
from crnn_core.strict import known_fields

__all__ = ["ColumnMask", "FrameMask", "ModelConfig", "build_crnn", "count_params"]


@dataclass(frozen=True)
class ModelConfig:
    """Everything that varies between CRNN variants; saved as JSON next to the weights."""

    num_classes: int
    height: int = HEIGHT
    max_width: int = 160
    conv_channels: tuple[int, ...] = (32, 64, 128, 128, 256, 256)
    # Conv layers with index >= this use depthwise-separable convolutions (cheaper on CPU).
    separable_from: int = 99
    # Per conv layer: 0 = a full 3x3 conv; r > 0 = the same conv factorized to rank r, a 3x3 conv
    # to r channels then a 1x1 conv to the layer's width (cheaper; see training/factorize.py).
    # Empty = all full. Must list 6 entries when given.
    conv_ranks: tuple[int, ...] = ()
    lstm_units: int = 128
    lstm_layers: int = 2
    dropout: float = 0.1
    bn_momentum: float = 0.99  # lower only for very short runs, where 0.99 lags the weights
    name: str = "crnn"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ranks(self) -> tuple[int, ...]:
        """``conv_ranks`` with the empty default spelled out: one rank per conv, 0 = full."""
        return self.conv_ranks or (0,) * len(self.conv_channels)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> ModelConfig:
        """Strict: an unknown key raises ``ConfigError`` naming it (``where``: the file)."""
        values = known_fields(cls, data, where)
        values["conv_channels"] = tuple(values.get("conv_channels", cls.conv_channels))
        values["conv_ranks"] = tuple(int(r) for r in values.get("conv_ranks", cls.conv_ranks))
        return cls(**values)


# Pooling after each conv layer: height halves 32 → 16 → 8 → 4 → 2, width only twice (÷4 total).
_POOLS: dict[int, tuple[int, int]] = {0: (2, 2), 1: (2, 2), 3: (2, 1), 5: (2, 1)}


@keras.saving.register_keras_serializable(package="crnn_core")
class FrameMask(layers.Layer):
    """Boolean ``(batch, frames)`` mask of the frames that cover real (unpadded) image columns."""

    def call(self, width: Any, features: Any) -> Any:
        frames = ops.shape(features)[1]
        lengths = frames_for_width(ops.cast(width, "int32"))
        positions = ops.arange(frames, dtype="int32")
        return ops.expand_dims(positions, 0) < ops.expand_dims(lengths, 1)

    def compute_output_shape(self, width_shape: Any, features_shape: Any) -> tuple[Any, ...]:
        return (features_shape[0], features_shape[1])


@keras.saving.register_keras_serializable(package="crnn_core")
class ColumnMask(layers.Layer):
    """Zero the feature columns right of the image's true width, at a resolution of ``stride``
    input columns per feature column (keeps ``ceil(width / stride)`` columns).

    Applied to the input and after every conv block: BatchNorm + ReLU turn zero padding into a
    constant (~0.5), which the next 3x3 conv would read into the last real columns, so a word
    would be read differently next to a wider one. Masked at every depth, a padded image sees
    exactly the zero padding the widest image of the batch sees at its edge.
    """

    def __init__(self, stride: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stride = int(stride)

    def call(self, features: Any, width: Any) -> Any:
        columns = ops.arange(ops.shape(features)[2], dtype="int32")
        valid = (ops.cast(width, "int32") + self.stride - 1) // self.stride
        keep = ops.expand_dims(columns, 0) < ops.expand_dims(valid, 1)
        return features * ops.cast(keep, features.dtype)[:, None, :, None]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stride": self.stride}


def _conv_block(
    x: Any,
    width: Any,
    stride: int,
    index: int,
    channels: int,
    separable: bool,
    rank: int,
    momentum: float,
    folded: bool,
) -> tuple[Any, int]:
    """conv → BN → ReLU → re-zero the padding → pool; returns the output and its column stride.

    A rank-``r`` conv is a 3x3 conv to ``r`` channels (``conv{i}_basis``) and a 1x1 conv to
    ``channels`` (``conv{i}_mix``), with nothing in between, so it is one linear map of rank r.
    ``folded``: no BN layer; the block's last conv has a bias instead (``fold_batchnorm``).
    """
    if rank > 0:
        x = layers.Conv2D(rank, 3, padding="same", use_bias=False, name=f"conv{index}_basis")(x)
        x = layers.Conv2D(channels, 1, use_bias=folded, name=f"conv{index}_mix")(x)
    else:
        conv_cls = layers.SeparableConv2D if separable else layers.Conv2D
        x = conv_cls(channels, 3, padding="same", use_bias=folded, name=f"conv{index}")(x)
    if not folded:
        x = layers.BatchNormalization(momentum=momentum, name=f"bn{index}")(x)
    x = layers.ReLU(name=f"relu{index}")(x)
    x = ColumnMask(stride, name=f"column_mask{index}")(x, width)
    if index in _POOLS:
        x = layers.MaxPooling2D(_POOLS[index], strides=_POOLS[index], name=f"pool{index}")(x)
        stride *= _POOLS[index][1]
    return x, stride


def build_crnn(config: ModelConfig, folded: bool = False, frame_masks: bool = True) -> keras.Model:
    """Inference model: inputs ``image`` (batch, 32, width, 1) 0–255 and ``width`` (batch,) int.

    Output: logits ``(batch, ceil(width_padded / 4), num_classes)``, float32, blank = class 0.
    ``folded=True`` builds the graph without BatchNorm layers that ``fold_batchnorm`` fills: for
    inference only (it cannot train BN statistics), and about a tenth faster on CPU.
    ``frame_masks=False`` drops the LSTMs' frame masks (the conv padding masks stay): exact for
    a batch whose rows all have as many frames as the padded width (always at batch 1).
    """
    if len(config.conv_channels) != 6:
        raise ValueError("conv_channels must list 6 layer widths (the pooling schedule assumes 6).")
    ranks = config.ranks
    if len(ranks) != len(config.conv_channels) or min(ranks) < 0:
        raise ValueError("conv_ranks must list 6 ranks >= 0 (0 = full conv), or be empty.")
    image = keras.Input((config.height, None, 1), name="image")
    width = keras.Input((), dtype="int32", name="width")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(image)
    x = ColumnMask(name="column_mask")(x, width)
    stride = 1
    for index, channels in enumerate(config.conv_channels):
        x, stride = _conv_block(
            x,
            width,
            stride,
            index,
            channels,
            separable=index >= config.separable_from,
            rank=ranks[index],
            momentum=config.bn_momentum,
            folded=folded,
        )
    # (batch, 2, frames, C) → (batch, frames, 2 * C): each frame sees a full-height column strip.
    x = layers.Permute((2, 1, 3), name="to_frames")(x)
    x = layers.Reshape((-1, 2 * config.conv_channels[-1]), name="flatten_height")(x)
    x = layers.Dense(config.lstm_units * 2, activation="relu", name="project")(x)
    mask = FrameMask(name="frame_mask")(width, x) if frame_masks else None
    for index in range(config.lstm_layers):
        lstm = layers.LSTM(config.lstm_units, return_sequences=True, name=f"lstm{index}")
        x = layers.Bidirectional(lstm, name=f"bilstm{index}")(x, mask=mask)
        if config.dropout > 0:
            x = layers.Dropout(config.dropout, name=f"dropout{index}")(x)
    logits = layers.Dense(config.num_classes, dtype="float32", name="logits")(x)
    return keras.Model({"image": image, "width": width}, logits, name=config.name)


def count_params(model: keras.Model) -> int:
    return int(sum(int(ops.size(w)) for w in model.weights if w.trainable))
