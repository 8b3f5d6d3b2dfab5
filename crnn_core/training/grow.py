"""Start a bigger CRNN from a trained smaller one without changing what it computes.

A training stage may raise capacity (issue 9: the stage-4 curve plateaued at the old size). Training
the bigger model from scratch would throw away hours of CPU; instead its weights are set so that it
computes *exactly* the old model's logits, and training then uses the extra capacity:

* a depthwise-separable 3×3 conv becomes the full 3×3 conv it equals:
  ``full[kh, kw, cin, cout] = depthwise[kh, kw, cin] * pointwise[cin, cout]``;
* wider LSTMs (more units): the new units keep the target's fresh random weights, but every
  weight from a new unit into an *old* gate (recurrent, the next BiLSTM, the logits) is zero, so
  they change nothing until training moves those weights off zero;
* the ``project`` layer (width ``2 * lstm_units``) keeps its old outputs first; its new outputs
  feed the first BiLSTM through zero rows;
* wider convs (more channels): the same rule as the LSTM units. Old channels come first and keep
  their weights and BatchNorm statistics; new channels keep their random kernels, and every weight
  from a new channel into an old one (the next conv, or ``project`` for the last conv) is zero.

One move is the other way, and approximate: a full 3×3 conv may become a low-rank pair
(``conv_ranks``, ``training/factorize.py``: its best rank-r approximation by SVD), the cheaper
model that training then brings back to the old accuracy.

Anything else (narrower layers, layer count, charset) must match: it raises ``GrowError``.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from crnn_core.model import ModelConfig
from crnn_core.training.factorize import factorize_kernel, kept_energy

__all__ = ["GrowError", "describe_growth", "factorization_energy", "grow_into", "is_exact"]


class GrowError(ValueError):
    """The source model cannot be embedded in the target configuration."""


def describe_growth(source: ModelConfig, target: ModelConfig) -> list[str]:
    """Human-readable changes from ``source`` to ``target`` (empty: same architecture)."""
    changes = []
    if source.separable_from != target.separable_from:
        changes.append(
            f"separable convs from layer {source.separable_from} -> {target.separable_from}"
        )
    if source.lstm_units != target.lstm_units:
        changes.append(f"LSTM units {source.lstm_units} -> {target.lstm_units}")
    if source.conv_channels != target.conv_channels:
        changes.append(
            f"conv channels {list(source.conv_channels)} -> {list(target.conv_channels)}"
        )
    if source.ranks != target.ranks:
        changes.append(f"conv ranks {list(source.ranks)} -> {list(target.ranks)} (0 = full)")
    return changes


def is_exact(source: ModelConfig, target: ModelConfig) -> bool:
    """Whether ``grow_into`` keeps the logits (everything but a rank reduction does)."""
    return source.ranks == target.ranks


def _check(source: ModelConfig, target: ModelConfig) -> None:
    same = ("num_classes", "height", "lstm_layers")
    for name in same:
        if getattr(source, name) != getattr(target, name):
            raise GrowError(
                f"cannot grow {name} {getattr(source, name)} -> {getattr(target, name)}: "
                "only separable_from, conv_channels and lstm_units may rise"
            )
    old_widths, new_widths = source.conv_channels, target.conv_channels
    if len(old_widths) != len(new_widths) or any(
        new < old for old, new in zip(old_widths, new_widths, strict=True)
    ):
        raise GrowError(f"conv channels may only grow: {list(old_widths)} -> {list(new_widths)}")
    if old_widths != new_widths:
        if source.ranks != target.ranks:
            raise GrowError("widen the convs and change their ranks in two separate stages")
        if target.separable_from < len(new_widths):
            raise GrowError("only full or low-rank convs can be widened (separable_from 99)")
    if target.separable_from < source.separable_from:
        raise GrowError("separable_from may only rise (separable -> full conv), never fall")
    if target.lstm_units < source.lstm_units:
        raise GrowError("lstm_units may only grow")
    for index, (old, new) in enumerate(zip(source.ranks, target.ranks, strict=True)):
        if old != new and (old != 0 or index >= target.separable_from):
            raise GrowError(
                f"conv{index}: only a full 3x3 conv can be factorized (rank {old} -> {new})"
            )


def _scatter_rows(old: np.ndarray, new: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``new`` with all rows zeroed, then old row ``i`` written to row ``rows[i]``."""
    out = np.zeros_like(new)
    out[rows] = old
    return out


def _lstm_weights(
    old: list[np.ndarray], new: list[np.ndarray], input_rows: np.ndarray, units: int
) -> list[np.ndarray]:
    """One LSTM's (kernel, recurrent_kernel, bias) embedded in a wider one.

    Keras packs the four gates (i, f, c, o) side by side: old gate column ``g*u + j`` goes to
    ``g*u' + j``. Only the weights *into old gates* from new inputs or new units are zeroed; all
    weights into new units keep the target's random initialisation (so they learn at once).
    """
    kernel, recurrent, bias = old
    new_kernel, new_recurrent, new_bias = (w.copy() for w in new)
    old_units = recurrent.shape[0]
    columns = np.concatenate([g * units + np.arange(old_units) for g in range(4)])
    grown_inputs = np.setdiff1d(np.arange(new_kernel.shape[0]), input_rows)
    new_kernel[np.ix_(input_rows, columns)] = kernel
    new_kernel[np.ix_(grown_inputs, columns)] = 0.0
    new_recurrent[np.ix_(np.arange(old_units), columns)] = recurrent
    new_recurrent[np.ix_(np.arange(old_units, units), columns)] = 0.0
    new_bias[columns] = bias
    return [new_kernel, new_recurrent, new_bias]


def _bilstm_input_rows(index: int, old_units: int, units: int) -> np.ndarray:
    """Where the old input features of BiLSTM ``index`` sit in the grown model's input."""
    if index == 0:  # from ``project``: its old outputs come first
        return np.arange(2 * old_units)
    # from the previous BiLSTM: [forward (u'), backward (u')]
    return np.concatenate([np.arange(old_units), units + np.arange(old_units)])


def grow_into(
    source: keras.Model, target: keras.Model, source_config: ModelConfig, target_config: ModelConfig
) -> None:
    """Set ``target``'s weights so that it computes ``source``'s logits (see the module doc)."""
    _check(source_config, target_config)
    old_u, new_u = source_config.lstm_units, target_config.lstm_units
    factors: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # conv index -> (basis, mix), one SVD
    for layer in target.layers:
        if layer.name.endswith(("_basis", "_mix")) and _find(source, layer.name) is None:
            index = int(layer.name.removeprefix("conv").split("_")[0])
            if index not in factors:
                full = np.asarray(source.get_layer(f"conv{index}").get_weights()[0])
                factors[index] = factorize_kernel(full, target_config.ranks[index])
            basis, mix = factors[index]
            layer.set_weights([basis if layer.name.endswith("_basis") else mix])
            continue
        old_layer = _find(source, layer.name)
        if old_layer is None or not layer.weights:
            continue
        old = [np.asarray(w) for w in old_layer.get_weights()]
        new = [np.asarray(w) for w in layer.get_weights()]
        if layer.name.startswith("conv"):
            layer.set_weights(_conv_weights(old, new))
        elif layer.name.startswith("bn"):
            layer.set_weights([_embed_leading(o, n) for o, n in zip(old, new, strict=True)])
        elif layer.name == "project":
            kernel, bias = new[0].copy(), new[1].copy()
            rows = _flattened_rows(source_config.conv_channels[-1], target_config.conv_channels[-1])
            kernel[:, : 2 * old_u] = _scatter_rows(old[0], kernel[:, : 2 * old_u], rows)
            bias[: 2 * old_u] = old[1]
            layer.set_weights([kernel, bias])
        elif layer.name.startswith("bilstm"):
            rows = _bilstm_input_rows(int(layer.name.removeprefix("bilstm")), old_u, new_u)
            forward = _lstm_weights(old[:3], new[:3], rows, new_u)
            backward = _lstm_weights(old[3:], new[3:], rows, new_u)
            layer.set_weights(forward + backward)
        elif layer.name == "logits":
            rows = _bilstm_input_rows(1, old_u, new_u)
            layer.set_weights([_scatter_rows(old[0], new[0], rows), old[1]])
        else:
            if [w.shape for w in old] != [w.shape for w in new]:
                raise GrowError(f"layer {layer.name}: weight shapes differ and no rule applies")
            layer.set_weights(old)


def factorization_energy(source: keras.Model, target_config: ModelConfig) -> dict[str, float]:
    """Per factorized layer, the share of the full kernel's energy its rank keeps (for the log)."""
    return {
        f"conv{index}": round(
            kept_energy(np.asarray(source.get_layer(f"conv{index}").get_weights()[0]), rank), 3
        )
        for index, rank in enumerate(target_config.ranks)
        if rank > 0 and _find(source, f"conv{index}") is not None
    }


def _find(model: keras.Model, name: str) -> Any:
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def _flattened_rows(old_channels: int, new_channels: int) -> np.ndarray:
    """Where ``flatten_height``'s old features (row h, channel c at ``h*C + c``) sit when wider."""
    return np.concatenate([h * new_channels + np.arange(old_channels) for h in range(2)])


def _embed_leading(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``new`` with ``old`` written into its leading corner (BatchNorm vectors, conv biases)."""
    out = new.copy()
    out[tuple(slice(0, size) for size in old.shape)] = old
    return out


def _embed_kernel(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Conv kernel ``(kh, kw, cin, cout)`` widened: old block kept, new inputs -> old outputs 0."""
    cin, cout = old.shape[2], old.shape[3]
    out = _embed_leading(old, new)
    out[:, :, cin:, :cout] = 0.0
    return out


def _conv_weights(old: list[np.ndarray], new: list[np.ndarray]) -> list[np.ndarray]:
    if len(old) == 2 and len(new) == 1:  # separable (depthwise, pointwise) -> full conv
        depthwise, pointwise = old  # (3, 3, cin, 1), (1, 1, cin, cout)
        old = [(depthwise[:, :, :, 0, None] * pointwise[0, 0][None, None]).astype(new[0].dtype)]
    if len(old) != len(new):
        raise GrowError("a full conv cannot become a separable one")
    pairs = list(zip(old, new, strict=True))
    if any(a.ndim != b.ndim or np.any(np.greater(a.shape, b.shape)) for a, b in pairs):
        raise GrowError(f"conv {[a.shape for a in old]} does not fit {[b.shape for b in new]}")
    if len(old) == 2 and old[0].shape[-1] == 1:  # both separable: widening is not supported
        if any(a.shape != b.shape for a, b in pairs):
            raise GrowError("a separable conv cannot be widened")
        return old
    kernel, *vectors = pairs
    return [_embed_kernel(*kernel), *(_embed_leading(a, b) for a, b in vectors)]
